"""Lesions: BI-RADS-style descriptors drawn by pathology, and their footprint on one image.

A lesion is described once (size, shape, margin, enhancement, where it sits in the breast) and drawn on each view
from the same description, so CC and MLO agree. Its footprint is computed in a small patch around its centre:
- `core`: soft 0..1 mass body; the truth mask is core >= 0.5 (spicules are not part of the outline); on the LE
  image the mass replaces the parenchyma texture under it;
- `density`: dense tissue the mass adds on the LE image, on top of that (masses are about as dense as gland or
  denser, so they can hide in a dense breast);
- `enhancement`: contrast uptake for the recombined image, patterned by the enhancement descriptor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from cemviewer.synth.ramps import smoothstep

# Descriptor frequencies by pathology: (value, weight) pairs.
_DESCRIPTORS = {
    "malignant": {
        "shape": (("irregular", 0.7), ("oval", 0.2), ("round", 0.1)),
        "margin": (("spiculated", 0.5), ("indistinct", 0.4), ("circumscribed", 0.1)),
        "enhancement": (("heterogeneous", 0.5), ("rim", 0.35), ("homogeneous", 0.15)),
    },
    "benign": {
        "shape": (("oval", 0.6), ("round", 0.3), ("irregular", 0.1)),
        "margin": (("circumscribed", 0.75), ("indistinct", 0.25)),
        "enhancement": (("homogeneous", 0.4), ("non-enhancing", 0.4), ("heterogeneous", 0.2)),
    },
}
_SIZE_MM = {"malignant": (8.0, 28.0), "benign": (6.0, 22.0)}
_ASPECT = {"round": (0.88, 1.0), "oval": (0.55, 0.75), "irregular": (0.7, 0.95)}
# Edge width of the mass body, as a fraction of its radius.
_EDGE = {"circumscribed": 0.03, "indistinct": 0.16, "spiculated": 0.08}


@dataclass(frozen=True)
class LesionSpec:
    id: int
    laterality: str
    pathology: str  # "benign" | "malignant"
    shape: str
    margin: str
    enhancement: str
    size_mm: float  # longest diameter
    aspect: float  # short / long axis
    orientation_deg: float
    lobes: tuple[tuple[float, float], ...]  # (amplitude, phase) of contour harmonics 2, 3, ...
    le_contrast: float
    uptake: float  # peak enhancement, in recombined display units (parenchyma ~0.4)
    calcifications: bool  # fine pleomorphic calcifications in and around the mass (LE only: they subtract out)
    seed: int  # per-lesion texture: the same lesion draws the same way every time

    @property
    def malignant(self) -> bool:
        return self.pathology == "malignant"

    @property
    def birads(self) -> int:
        """The assessment a reader would likely give these descriptors."""
        if self.margin == "spiculated" or (self.shape == "irregular" and self.enhancement == "rim"):
            return 5
        if self.malignant or self.shape == "irregular" or self.margin == "indistinct":
            return 4
        return 3 if self.enhancement != "non-enhancing" else 2


def draw_lesion(rng: np.random.Generator, lesion_id: int, laterality: str, pathology: str,
                max_size_mm: float) -> LesionSpec:
    """Descriptors and size by pathology; `max_size_mm` keeps a lesion small next to a small breast."""
    table = _DESCRIPTORS[pathology]
    shape, margin, enhancement = (_choose(rng, table[key]) for key in ("shape", "margin", "enhancement"))
    lobe_amplitude = {"irregular": 0.13, "oval": 0.02, "round": 0.015}[shape]
    # Slowly falling harmonics: lobulation from the low ones, jagged angular margins from the high ones.
    lobes = tuple((float(lobe_amplitude * rng.uniform(0.4, 1.0) * (2 / k) ** 0.7), float(rng.uniform(0, 2 * np.pi)))
                  for k in range(2, 11))
    malignant = pathology == "malignant"
    return LesionSpec(
        id=lesion_id,
        laterality=laterality,
        pathology=pathology,
        shape=shape,
        margin=margin,
        enhancement=enhancement,
        size_mm=float(min(rng.uniform(*_SIZE_MM[pathology]), max_size_mm)),
        aspect=float(rng.uniform(*_ASPECT[shape])),
        orientation_deg=float(rng.uniform(0, 180)),
        lobes=lobes,
        le_contrast=float(rng.uniform(0.2, 0.32) if malignant else rng.uniform(0.1, 0.2)),
        uptake=float(rng.uniform(0.22, 0.34) if malignant else rng.uniform(0.1, 0.18)),
        calcifications=bool(malignant and rng.random() < 0.4),
        seed=int(rng.integers(0, 2**31)),
    )


def _choose(rng: np.random.Generator, options) -> str:
    values, weights = zip(*options)
    return values[int(rng.choice(len(values), p=np.asarray(weights) / sum(weights)))]


@dataclass(frozen=True)
class Footprint:
    """A lesion's contribution to one image, in the patch `rows, cols` (slices of the full image)."""

    rows: slice
    cols: slice
    core: np.ndarray
    density: np.ndarray
    enhancement: np.ndarray

    @property
    def mask(self) -> np.ndarray:
        return self.core >= 0.5


def footprint(spec: LesionSpec, view: str, centre: tuple[float, float], spacing_mm: float,
              image_shape: tuple[int, int]) -> Footprint:
    """Draw the lesion on one view. The two views see it from different angles: the outline turns and its
    irregularity shifts a little, its size stays."""
    rng = np.random.default_rng([spec.seed, 0 if view == "CC" else 1])
    radius = spec.size_mm / 2 / spacing_mm
    reach = radius * (2.9 if spec.margin == "spiculated" else 1.5) + 3
    rows = slice(max(0, int(centre[0] - reach)), min(image_shape[0], int(centre[0] + reach) + 1))
    cols = slice(max(0, int(centre[1] - reach)), min(image_shape[1], int(centre[1] + reach) + 1))
    y, x = np.mgrid[rows, cols].astype(np.float32)
    y -= centre[0]
    x -= centre[1]
    turn = np.radians(spec.orientation_deg + (0.0 if view == "CC" else rng.normal(0, 20)))
    along = x * np.cos(turn) + y * np.sin(turn)
    across = -x * np.sin(turn) + y * np.cos(turn)
    long_axis, short_axis = radius, radius * spec.aspect
    rho = np.hypot(along / long_axis, across / short_axis)
    phi = np.arctan2(across / short_axis, along / long_axis)
    outline = np.ones_like(rho)
    for k, (amplitude, phase) in enumerate(spec.lobes, start=2):
        outline += amplitude * np.cos(k * phi + phase + rng.normal(0, 0.25))
    rho = rho / outline
    if spec.margin == "indistinct":
        rho = rho + 0.12 * _smooth_noise(rho.shape, radius / 6, rng)
    edge = max(_EDGE[spec.margin], 0.8 / radius)
    core = smoothstep(1 + edge, 1 - edge, rho)
    dome = np.sqrt(np.clip(1 - rho**2, 0, 1))
    spicules = _spicules(spec, y, x, radius, turn, rng) if spec.margin == "spiculated" else np.zeros_like(rho)
    density = spec.le_contrast * (core * (0.6 + 0.4 * dome) + 0.8 * spicules)
    enhancement = _enhancement(spec, rho, core, spicules, radius, rng)
    if spec.calcifications:  # drawn last, so the rest of the lesion is the same with or without them
        density += _calcifications(y, x, radius, spacing_mm, rng)
    return Footprint(rows, cols, core, density.astype(np.float32), enhancement.astype(np.float32))


def _enhancement(spec: LesionSpec, rho, core, spicules, radius, rng) -> np.ndarray:
    # Contrast blurs the outline a little on the recombined image.
    body = smoothstep(1.08, 0.9, rho) if spec.margin == "circumscribed" else core
    if spec.enhancement == "non-enhancing":
        # No uptake: the mass only displaces enhancing parenchyma, a faint hole at most.
        return -0.015 * body
    if spec.enhancement == "homogeneous":
        pattern = 1 + 0.05 * _smooth_noise(rho.shape, radius / 5, rng)
    elif spec.enhancement == "heterogeneous":
        pattern = np.clip(0.65 + 0.4 * _smooth_noise(rho.shape, radius / 5, rng), 0.2, 1.2)
    else:  # rim: uptake at the periphery, a dark (necrotic or fibrotic) centre
        pattern = 0.3 + 0.8 * smoothstep(0.45, 0.85, rho)
    return spec.uptake * (body * pattern + 0.25 * spicules)


def _calcifications(y, x, radius: float, spacing_mm: float, rng: np.random.Generator) -> np.ndarray:
    """A cluster of 0.1-0.5 mm specks of varied size and brightness. Specks smaller than a pixel keep their
    total brightness, spread over the pixel, as a detector would record them."""
    out = np.zeros_like(y)
    for _ in range(int(rng.integers(8, 25))):
        r, a = radius * 1.1 * np.sqrt(rng.random()), rng.uniform(0, 2 * np.pi)
        size_px = rng.uniform(0.1, 0.5) / spacing_mm
        sigma = max(size_px / 2.5, 0.5)
        peak = 0.9 * rng.uniform(0.6, 1.0) * min(1.0, (size_px / 2.5 / sigma) ** 2)
        out += peak * np.exp(-((y - r * np.sin(a)) ** 2 + (x - r * np.cos(a)) ** 2) / (2 * sigma**2))
    return out


def _smooth_noise(shape, scale_px: float, rng: np.random.Generator) -> np.ndarray:
    field = ndimage.gaussian_filter(rng.standard_normal(shape).astype(np.float32), max(scale_px, 0.7))
    return field / (field.std() + 1e-12)


def _spicules(spec: LesionSpec, y, x, radius: float, turn: float, rng: np.random.Generator) -> np.ndarray:
    """Thin tapering lines radiating from the mass, each bent once and a little off-radial, as real spicules are."""
    out = np.zeros_like(y)
    for _ in range(int(rng.integers(9, 17))):
        angle = rng.uniform(0, 2 * np.pi)
        start = 0.85 * radius * np.array([np.sin(angle + turn) * spec.aspect ** 0.5, np.cos(angle + turn)])
        heading = angle + turn + rng.normal(0, 0.25)
        half = radius * rng.uniform(0.35, 0.9)
        bend = heading + rng.normal(0, 0.35)
        middle = start + half * np.array([np.sin(heading), np.cos(heading)])
        end = middle + half * np.array([np.sin(bend), np.cos(bend)])
        width = max(0.09 * radius, 0.7)
        for a, b, t0 in ((start, middle, 0.0), (middle, end, 0.5)):
            t, distance = _along_segment(y, x, a, b)
            t = t0 + 0.5 * t  # position along the whole spicule, for the taper
            out = np.maximum(out, np.exp(-((distance / (width * (1 - t) ** 0.8 + 0.35)) ** 2)) * (1 - 0.6 * t))
    return out


def _along_segment(y, x, a, b):
    """(fraction along a->b of the closest point, distance to it) for every pixel."""
    direction = b - a
    length_sq = float(direction @ direction) or 1.0
    t = np.clip(((y - a[0]) * direction[0] + (x - a[1]) * direction[1]) / length_sq, 0, 1)
    return t, np.hypot(y - a[0] - t * direction[0], x - a[1] - t * direction[1])
