"""Breast vessels: tortuous tubes running from the chest wall and axilla toward the nipple.

They are faint on the low-energy image and enhance brightly on the recombined one, which is much of what makes a
recombined image recognisable as CEM.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from cemviewer.synth.anatomy import Anatomy

_WIDTH_CLASSES_MM = (0.7, 1.1, 1.6)


def vessel_map(anatomy: Anatomy, rng: np.random.Generator) -> np.ndarray:
    """Working-grid field, about 1 on a vessel's axis and 0 away from vessels."""
    grid = anatomy.grid
    step_px = grid.factor  # one working pixel per step, in full-grid pixels
    accumulators = [np.zeros(grid.work_shape, dtype=np.float32) for _ in _WIDTH_CLASSES_MM]
    n_vessels = int(rng.integers(2, 5))
    for _ in range(n_vessels):
        width_class = int(rng.integers(0, len(_WIDTH_CLASSES_MM)))
        start = _start_point(anatomy, rng)
        for path, cls in _walk(anatomy, start, width_class, step_px, rng):
            _deposit(accumulators[cls], grid.to_work(path))
    field = np.zeros(grid.work_shape, dtype=np.float32)
    for acc, width_mm in zip(accumulators, _WIDTH_CLASSES_MM):
        sigma = width_mm / 2 / grid.work_spacing_mm
        # A unit-weight line blurred by a Gaussian peaks at 1/(sqrt(2 pi) sigma): rescale to ~1 on the axis.
        field += ndimage.gaussian_filter(acc, sigma) * (np.sqrt(2 * np.pi) * sigma)
    return np.clip(field, 0, 1) * (anatomy.skin_mm_work > 1.5)


def _start_point(anatomy: Anatomy, rng: np.random.Generator) -> np.ndarray:
    """A point close to the chest wall (or the pectoral border) inside the breast."""
    inside = anatomy.skin_mm_work > 6
    if anatomy.pectoral_mm_work is not None:
        near_wall = inside & (anatomy.pectoral_mm_work < 0) & (anatomy.pectoral_mm_work > -25)
    else:
        near_wall = inside & (np.arange(inside.shape[1])[None, :] * anatomy.grid.work_spacing_mm < 20)
    rows, cols = np.nonzero(near_wall)
    pick = int(rng.integers(0, rows.size))
    return anatomy.grid.to_full((rows[pick], cols[pick]))


def _walk(anatomy: Anatomy, start: np.ndarray, width_class: int, step_px: float, rng: np.random.Generator):
    """Yield (points, width class) for a vessel and, sometimes, a thinner branch."""
    grid = anatomy.grid
    nipple = np.asarray(anatomy.nipple)
    target = nipple + rng.uniform(-0.35, 0.35) * anatomy.breast_length_mm / grid.spacing_mm * np.asarray(anatomy.perpendicular)
    length_px = rng.uniform(0.5, 0.95) * np.linalg.norm(target - start)
    n_steps = int(length_px / step_px)
    heading = np.arctan2(*(target - start))
    turn = 0.0
    points = [start]
    for _ in range(n_steps):
        # Tortuosity: the turning rate is itself a slowly varying random process.
        turn = 0.97 * turn + rng.normal(0, 0.006)
        desired = np.arctan2(*(target - points[-1]))
        heading += turn + 0.01 * np.angle(np.exp(1j * (desired - heading)))
        points.append(points[-1] + step_px * np.array([np.sin(heading), np.cos(heading)]))
    path = np.array(points)
    yield path, width_class
    if width_class > 0 and rng.random() < 0.5:
        fork = int(rng.integers(len(path) // 4, max(len(path) // 2, len(path) // 4 + 1)))
        yield from _walk(anatomy, path[fork], width_class - 1, step_px, rng)


def _deposit(accumulator: np.ndarray, path_work: np.ndarray) -> None:
    rows = np.round(path_work[:, 0]).astype(int)
    cols = np.round(path_work[:, 1]).astype(int)
    keep = (rows >= 0) & (rows < accumulator.shape[0]) & (cols >= 0) & (cols < accumulator.shape[1])
    np.add.at(accumulator, (rows[keep], cols[keep]), 1.0)
