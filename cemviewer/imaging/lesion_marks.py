"""What the viewer draws of one view's lesion findings, computed off the UI thread so that showing them costs the
UI next to nothing: each lesion's outlines as closed polylines, and the heatmap reduced to a small 8-bit image.

Coordinates are image pixel indices, (column, row) with pixel centres on integers, as the masks are indexed; the
viewer maps them to its millimetre scene with the image's PixelGrid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from skimage.measure import find_contours

# The heatmap is smooth (Grad-CAM++ upsampled from a coarse feature map): a few hundred pixels a side keep its
# shape, and a full-detector colour image would cost the UI thread tens of milliseconds to draw.
HEAT_MAX_SIDE = 512


@dataclass(frozen=True)
class LesionMarks:
    number: int  # 1 for the most confident lesion of the view, as the lesion list numbers them
    score: float
    malignancy: float | None
    box: tuple[int, int, int, int]  # (x0, y0, x1, y1) image pixels, x1/y1 exclusive
    contours: dict[str, list[np.ndarray]]  # energy ("low_energy"/"recombined") -> closed (N, 2) float32 (column, row)
    # The union of its outlines as a bool mask cropped to `box`, for pasting rather than filling contours back on
    # the UI thread; None when the marks were made from outlines only.
    mask: np.ndarray | None = None


@dataclass(frozen=True)
class HeatImage:
    levels: np.ndarray  # uint8, heat 0..1 as 0..255; each pixel covers step x step image pixels from the top left
    step: int
    peak: float  # the full-resolution heatmap's maximum


@dataclass(frozen=True)
class ViewMarks:
    lesions: list[LesionMarks]
    heat: HeatImage | None  # None when the view has no lesion
    device: str  # where the models ran


def outline_contours(mask: np.ndarray, box: tuple[int, int, int, int]) -> list[np.ndarray]:
    """Closed boundary polylines of `mask` (bool, image shape) within `box`, in image (column, row) coordinates."""
    x0, y0, x1, y1 = box
    # A background border around the crop closes the contours of a lesion touching the box or the image edge.
    crop = np.pad(mask[y0:y1, x0:x1], 1).astype(np.float32)
    lines = []
    for contour in find_contours(crop, 0.5):
        lines.append((_without_straight_runs(contour)[:, ::-1] + (x0 - 1, y0 - 1)).astype(np.float32))
    return lines


def _without_straight_runs(contour: np.ndarray) -> np.ndarray:
    """The contour's corners only: the vertices inside a straight run add nothing to the drawn line.

    A mask's contour at level 0.5 steps exactly by (0, 1), (1, 0) or (0.5, 0.5) up to sign, so equal steps compare
    exactly. One vectorised pass, unlike Douglas-Peucker simplification, which loops in Python and holds the GIL
    for over 100 ms on a large lesion, stalling the UI thread.
    """
    steps = np.diff(contour, axis=0)
    turns = np.any(steps[1:] != steps[:-1], axis=1)
    return contour[np.concatenate([[True], turns, [True]])]


def reduced_heat(heatmap: np.ndarray, max_side: int = HEAT_MAX_SIDE) -> HeatImage:
    """Block means of `heatmap` (float in [0, 1]) over step x step pixels, the smallest step fitting `max_side`."""
    rows, columns = heatmap.shape
    step = max(1, math.ceil(max(rows, columns) / max_side))
    padded = np.zeros((math.ceil(rows / step) * step, math.ceil(columns / step) * step), np.float32)
    padded[:rows, :columns] = heatmap
    blocks = padded.reshape(padded.shape[0] // step, step, padded.shape[1] // step, step).mean(axis=(1, 3))
    return HeatImage(np.round(np.clip(blocks, 0.0, 1.0) * 255.0).astype(np.uint8), step, float(heatmap.max()))
