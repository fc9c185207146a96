"""Breast outline, nipple, skin and pectoral muscle of one compressed breast in one projection.

Everything is built in a canonical orientation, the chest wall on the LEFT edge and the nipple pointing right
(how a left breast is displayed); the study flips right-breast images at the very end. Rows run from the top of
the image: in both CC and MLO the top is the lateral/superior side, where the axilla and most of the gland are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from cemviewer.synth.grid import Grid

NIPPLE_WIDTH_MM = 9.0
NIPPLE_PROTRUSION_MM = 4.0


@dataclass(frozen=True)
class BreastForm:
    """Size and shape of one patient's breast as fractions of the field; both breasts share it with small changes."""

    cc_length: float  # nipple distance from the chest-wall edge, fraction of image width
    cc_half_span: float  # chest-wall contact half-height, fraction of image height
    cc_roundness: float  # superellipse exponent of the CC contour
    mlo_length: float
    nipple_level: float  # MLO nipple row, fraction of height
    fold_level: float  # MLO inframammary fold row, fraction of height
    pectoral_top: float  # MLO pectoral width along the top edge, fraction of width
    pectoral_side: float  # MLO pectoral height along the chest wall, fraction of height
    pectoral_bulge: float  # convexity of the pectoral border, fraction of its length

    @classmethod
    def draw(cls, rng: np.random.Generator) -> BreastForm:
        return cls(
            cc_length=rng.uniform(0.58, 0.72),
            cc_half_span=rng.uniform(0.36, 0.43),
            cc_roundness=rng.uniform(2.0, 2.5),
            mlo_length=rng.uniform(0.62, 0.76),
            nipple_level=rng.uniform(0.50, 0.60),
            fold_level=rng.uniform(0.88, 0.96),
            pectoral_top=rng.uniform(0.2, 0.32),
            pectoral_side=rng.uniform(0.34, 0.5),
            pectoral_bulge=rng.uniform(0.03, 0.10),
        )

    def sibling(self, rng: np.random.Generator) -> BreastForm:
        """The other breast of the same patient: the same form within a few percent."""
        jitter = {name: value * rng.uniform(0.96, 1.04) for name, value in vars(self).items()}
        jitter["fold_level"] = min(jitter["fold_level"], 0.97)
        return BreastForm(**jitter)


@dataclass(frozen=True)
class Anatomy:
    """Geometry of one image, canonical orientation. Distances are signed, in mm, positive inside."""

    view: str
    grid: Grid
    skin_mm: np.ndarray  # full grid: distance inside the skin line
    skin_mm_work: np.ndarray  # the same on the working grid
    pectoral_mm: np.ndarray | None  # full grid: distance inside the pectoral muscle border (MLO only)
    pectoral_mm_work: np.ndarray | None
    nipple: tuple[float, float]  # (row, col), full-grid pixels
    axis: tuple[float, float]  # unit (row, col) vector from the nipple toward the chest wall
    breast_length_mm: float  # nipple to chest wall (CC) or to the pectoral border line (MLO) along the axis

    @property
    def perpendicular(self) -> tuple[float, float]:
        """Unit vector across the nipple axis pointing toward the top of the image (lateral/superior)."""
        # The axis always points left (to the chest wall), so (col, -row) of it points up.
        ar, ac = self.axis
        return (ac, -ar)


def build_anatomy(view: str, form: BreastForm, grid: Grid, rng: np.random.Generator) -> Anatomy:
    if view == "CC":
        contour, nipple_work = _cc_contour(form, grid, rng)
        pectoral = None
    elif view == "MLO":
        contour, nipple_work = _mlo_contour(form, grid, rng)
        pectoral = _pectoral_polygon(form, grid)
    else:
        raise ValueError(f"unknown view {view!r}; expected CC or MLO")
    inside = _fill(contour, grid.work_shape) | _nipple_mask(nipple_work, grid)
    skin_work = _signed_distance(inside) * grid.work_spacing_mm
    pectoral_work = None if pectoral is None else _signed_distance(_fill(pectoral, grid.work_shape)) * grid.work_spacing_mm
    tip = grid.to_full((nipple_work[0], nipple_work[1] + NIPPLE_PROTRUSION_MM / grid.work_spacing_mm))
    nipple = (float(tip[0]), float(tip[1]))
    axis, length_px = _nipple_axis(view, form, grid, nipple)
    return Anatomy(
        view=view,
        grid=grid,
        skin_mm=grid.upsample(skin_work),
        skin_mm_work=skin_work,
        pectoral_mm=None if pectoral_work is None else grid.upsample(pectoral_work),
        pectoral_mm_work=pectoral_work,
        nipple=nipple,
        axis=axis,
        breast_length_mm=length_px * grid.spacing_mm,
    )


def _wobble(t: np.ndarray, rng: np.random.Generator, amplitude: float) -> np.ndarray:
    """Smooth low-order irregularity of a skin contour, so no two breasts share a perfect ellipse."""
    out = np.ones_like(t)
    for k in (2, 3, 5):
        out += amplitude / k * np.sin(k * np.pi * t + rng.uniform(0, 2 * np.pi))
    return out


def _cc_contour(form: BreastForm, grid: Grid, rng: np.random.Generator):
    h, w = grid.work_shape
    centre = h * rng.uniform(0.47, 0.53)
    # The lateral (upper) half is usually fuller than the medial half.
    half_top = h * form.cc_half_span * rng.uniform(1.0, 1.08)
    half_bottom = h * form.cc_half_span * rng.uniform(0.9, 1.0)
    length = w * form.cc_length
    rows = np.linspace(centre - half_top, centre + half_bottom, 200)
    v = np.where(rows < centre, (centre - rows) / half_top, (rows - centre) / half_bottom)
    p = form.cc_roundness
    depth = length * np.clip(1 - v**p, 0, 1) ** (1 / p) * _wobble(np.linspace(0, 1, rows.size), rng, 0.025)
    contour = np.concatenate([np.column_stack([rows, depth]), [[rows[-1], -1.0], [rows[0], -1.0]]])
    return contour, (centre, float(np.interp(centre, rows, depth)))


def _mlo_contour(form: BreastForm, grid: Grid, rng: np.random.Generator):
    h, w = grid.work_shape
    nipple_row = h * form.nipple_level
    fold_row = h * form.fold_level
    length = w * form.mlo_length
    axilla = w * (form.pectoral_top + rng.uniform(0.07, 0.13))
    upper = np.linspace(-1.0, nipple_row, 120)
    t = np.clip(upper / nipple_row, 0, 1)
    upper_depth = axilla + (length - axilla) * np.sin(np.pi / 2 * t) ** rng.uniform(0.9, 1.3)
    lower = np.linspace(nipple_row, fold_row, 120)[1:]
    v = (lower - nipple_row) / (fold_row - nipple_row)
    p = rng.uniform(1.9, 2.4)
    lower_depth = length * np.clip(1 - v**p, 0, 1) ** (1 / p)
    rows = np.concatenate([upper, lower])
    depth = np.concatenate([upper_depth, lower_depth]) * _wobble(np.linspace(0, 1, rows.size), rng, 0.02)
    contour = np.concatenate([np.column_stack([rows, depth]), [[fold_row, -1.0], [-1.0, -1.0]]])
    return contour, (nipple_row, float(np.interp(nipple_row, rows, depth)))


def _pectoral_polygon(form: BreastForm, grid: Grid) -> np.ndarray:
    """Triangle in the upper chest-wall corner whose free border bows slightly toward the nipple."""
    h, w = grid.work_shape
    top, side = w * form.pectoral_top, h * form.pectoral_side
    s = np.linspace(0, 1, 60)
    bulge = form.pectoral_bulge * np.hypot(top, side) * np.sin(np.pi * s)
    normal = np.array([top, side]) / np.hypot(top, side)
    rows = s * side + bulge * normal[0]
    cols = (1 - s) * top + bulge * normal[1]
    return np.concatenate([[[-1.0, -1.0]], np.column_stack([rows, cols])])


def _nipple_axis(view: str, form: BreastForm, grid: Grid, nipple: tuple[float, float]):
    """Direction and length of the posterior nipple line: to the chest-wall edge on CC, perpendicular to the
    pectoral border on MLO (how radiologists compare lesion depth between views)."""
    if view == "CC":
        return (0.0, -1.0), nipple[1]
    top, side = form.pectoral_top * grid.shape[1], form.pectoral_side * grid.shape[0]
    norm = np.hypot(top, side)
    axis = (-top / norm, -side / norm)
    # Distance from the nipple to the straight line row/side + col/top = 1.
    distance = (nipple[0] / side + nipple[1] / top - 1) / np.hypot(1 / side, 1 / top)
    return axis, float(distance)


def _nipple_mask(nipple_work: tuple[float, float], grid: Grid) -> np.ndarray:
    rows, cols = np.ogrid[: grid.work_shape[0], : grid.work_shape[1]]
    half_width = NIPPLE_WIDTH_MM / 2 / grid.work_spacing_mm
    protrusion = NIPPLE_PROTRUSION_MM / grid.work_spacing_mm
    return ((rows - nipple_work[0]) / half_width) ** 2 + ((cols - nipple_work[1]) / protrusion) ** 2 <= 1


def _fill(contour: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    canvas = Image.new("1", (shape[1], shape[0]), 0)
    ImageDraw.Draw(canvas).polygon([(float(c), float(r)) for r, c in contour], fill=1)
    return np.array(canvas, dtype=bool)


def _signed_distance(mask: np.ndarray) -> np.ndarray:
    """Pixels to the mask border, positive inside. Structures cut by the image edge continue beyond it, so the
    edge itself is not a border (the chest wall is not skin)."""
    pad = 64
    padded = np.pad(mask, pad, mode="edge")
    inside = ndimage.distance_transform_edt(padded)
    outside = ndimage.distance_transform_edt(~padded)
    return (inside - outside)[pad:-pad, pad:-pad].astype(np.float32)
