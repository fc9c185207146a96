"""Where a lesion sits, so that the CC and MLO views agree.

A lesion is placed once in breast coordinates: its depth behind the nipple (mm along the posterior nipple line)
and its position across the breast (lateral and superior, each -1..1). CC sees the lateral offset across the
image (lateral up); MLO, an oblique projection, sees roughly the sum of the lateral and superior offsets. The depth
behind the nipple is the same on both views, which is how a reader matches a finding between them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cemviewer.synth.anatomy import Anatomy

CLEARANCE_MM = 3.0  # between a lesion and the skin, the muscle or another lesion


@dataclass(frozen=True)
class Placement:
    depth_mm: float
    lateral: float  # -1 medial .. 1 lateral
    superior: float  # -1 inferior .. 1 superior
    centres: dict[str, tuple[float, float]]  # view -> (row, col), canonical orientation

    def clock(self, laterality: str) -> int:
        """Clock-face position seen from the front: 12 is superior, 3 is the patient's left (lateral for a left
        breast, medial for a right one)."""
        x = self.lateral if laterality == "L" else -self.lateral
        hour = round((90 - np.degrees(np.arctan2(self.superior, x))) / 30) % 12
        return 12 if hour == 0 else int(hour)


def place_lesion(radius_mm: float, anatomies: dict[str, Anatomy], taken: dict[str, list[tuple[tuple[float, float], float]]],
                 rng: np.random.Generator, attempts: int = 300) -> Placement | None:
    """A position inside the breast on every view, clear of the skin, muscle and the lesions in `taken`
    (view -> [(centre, radius_mm)]); None when the breast has no room left."""
    shortest = min(a.breast_length_mm for a in anatomies.values())
    for _ in range(attempts):
        depth = rng.uniform(0.2, 0.85) * shortest
        spread, angle = rng.uniform(0, 0.85), rng.uniform(0, 2 * np.pi)
        lateral, superior = spread * np.cos(angle), spread * np.sin(angle)
        offsets = {"CC": lateral, "MLO": np.clip((lateral + superior) / np.sqrt(2), -1, 1)}
        centres = {}
        for view, anatomy in anatomies.items():
            centre = _centre_on_view(anatomy, depth, offsets[view], radius_mm)
            if centre is None or _collides(centre, radius_mm, taken.get(view, []), anatomy.grid.spacing_mm):
                break
            centres[view] = centre
        else:
            return Placement(float(depth), float(lateral), float(superior), centres)
    return None


def _centre_on_view(anatomy: Anatomy, depth_mm: float, offset: float, radius_mm: float):
    """The point at `depth_mm` along the nipple axis, `offset` (-1..1) of the way across the room available there."""
    spacing = anatomy.grid.spacing_mm
    base = np.asarray(anatomy.nipple) + depth_mm / spacing * np.asarray(anatomy.axis)
    across = np.asarray(anatomy.perpendicular)
    steps = np.arange(-max(anatomy.grid.shape), max(anatomy.grid.shape), dtype=np.float64)
    points = base[None, :] + steps[:, None] * across[None, :]
    rows, cols = np.round(points[:, 0]).astype(int), np.round(points[:, 1]).astype(int)
    on_image = (rows >= 0) & (rows < anatomy.grid.shape[0]) & (cols >= 0) & (cols < anatomy.grid.shape[1])
    room = np.zeros(steps.size, dtype=bool)
    margin = radius_mm + CLEARANCE_MM
    r, c = rows[on_image], cols[on_image]
    fits = anatomy.skin_mm[r, c] > margin
    if anatomy.pectoral_mm is not None:
        fits &= anatomy.pectoral_mm[r, c] < -margin
    room[on_image] = fits
    if not room.any():
        return None
    # The run of free points through the breast (the longest one if the muscle splits it).
    edges = np.flatnonzero(np.diff(np.concatenate([[0], room.astype(np.int8), [0]])))
    starts, ends = edges[::2], edges[1::2]
    longest = int(np.argmax(ends - starts))
    low, high = steps[starts[longest]], steps[ends[longest] - 1]
    # `perpendicular` points up, so a positive offset moves the lesion toward the top (lateral/superior).
    step = (low + high) / 2 + offset * (high - low) / 2
    point = base + step * across
    return float(point[0]), float(point[1])


def _collides(centre, radius_mm: float, others, spacing_mm: float) -> bool:
    return any(np.hypot(centre[0] - c[0], centre[1] - c[1]) * spacing_mm < radius_mm + r + CLEARANCE_MM for c, r in others)
