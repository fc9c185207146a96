"""Checks that a lesion ROI can be measured, and the window around it that radiomics works on.

Every refusal is a RoiError whose message tells the user what is wrong with the outline and what to do; the
viewer shows it as is, the analyze command prints it and goes on with the next lesion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_AREA_MM2 = 2.0  # a 1.6 mm disc: below this, texture has too few pixels to mean anything
# On the breast-scaled image (cemviewer.ai.preprocess.breast_range -> 0..1) air and the detector background lie
# below 0; a little above that still counts as air, for the noise of real detectors.
TISSUE_LEVEL = 0.02
MIN_INSIDE_BREAST = 0.5  # fraction of the ROI that must be tissue
MARGIN_MM = 2.0  # image kept around the ROI's bounding box, for the resampling kernel


class RadiomicsError(ValueError):
    """Radiomics cannot be computed for this input; the message is meant for the user."""


class RoiError(RadiomicsError):
    """The ROI (outline) cannot be measured; the message says why and what to do."""


@dataclass(frozen=True)
class RoiWindow:
    """The ROI's bounding box plus a margin, clipped to the image, as slices of the full image."""

    rows: slice
    cols: slice
    area_px: int


def locate_roi(mask: np.ndarray, image_shape: tuple[int, int], spacing_mm: tuple[float, float]) -> RoiWindow:
    """The window radiomics crops around `mask` (bool, image shape); RoiError when the ROI cannot be measured."""
    if mask.shape != tuple(image_shape):
        raise RoiError(f"The outline ({mask.shape[0]} x {mask.shape[1]} pixels) does not match the image "
                       f"({image_shape[0]} x {image_shape[1]} pixels)")
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        raise RoiError("The outline is empty: draw a lesion first")
    cols = np.flatnonzero(mask.any(axis=0))
    top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    area_px = int(mask[top:bottom, left:right].sum())
    area_mm2 = area_px * spacing_mm[0] * spacing_mm[1]
    if area_mm2 < MIN_AREA_MM2:
        raise RoiError(f"The outline covers only {area_mm2:.2g} mm² ({area_px} pixel{'s' * (area_px != 1)}): "
                       f"draw around the whole lesion (at least {MIN_AREA_MM2:g} mm²)")
    if bottom - top < 2 or right - left < 2:
        raise RoiError("The outline is a line one pixel wide: draw around the lesion's area")
    if top == 0 or left == 0 or bottom == image_shape[0] or right == image_shape[1]:
        raise RoiError("The outline touches the image edge, so the lesion may be cut off: keep the outline "
                       "inside the image")
    margin_rows = math.ceil(MARGIN_MM / spacing_mm[0]) + 2
    margin_cols = math.ceil(MARGIN_MM / spacing_mm[1]) + 2
    return RoiWindow(slice(max(top - margin_rows, 0), min(bottom + margin_rows, image_shape[0])),
                     slice(max(left - margin_cols, 0), min(right + margin_cols, image_shape[1])), area_px)


def check_inside_breast(scaled: np.ndarray, mask: np.ndarray) -> None:
    """RoiError when most of the ROI lies on background; `scaled` is the breast-scaled image under `mask`."""
    tissue = float(np.mean(scaled[mask] > TISSUE_LEVEL))
    if tissue < MIN_INSIDE_BREAST:
        raise RoiError(f"The outline lies outside the breast ({100 * (1 - tissue):.0f}% of it is on the "
                       f"background): draw it on the lesion")
