"""A lesion's key image for a report: the region around it on the low-energy and the recombined image with the
outline, and the recombined again under the classifier's Grad-CAM++ heatmap, side by side in one RGB picture.

Grey levels are stretched over the region's own 1st to 99.5th percentile (dense bright): a report shows the
lesion against its surroundings, not the whole breast's range. The heatmap uses the viewer's turbo colours and,
as in the viewer, is transparent where the classifier found little evidence.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from scipy import ndimage

from cemviewer.annotations.records import LesionRecord

PANEL_SIDE = 240  # pixels of each panel in the report
MARGIN_MM = 6.0  # around the lesion, at least
GAP = 4  # pixels between panels
OUTLINE = (255, 225, 0)  # yellow: seen on grey and on the heatmap's colours alike
HEAT_FROM, HEAT_FULL, HEAT_OPACITY = 0.1, 0.5, 0.55


def crop_box(record: LesionRecord, shape: tuple[int, int], spacing_mm: tuple[float, float] | None
             ) -> tuple[int, int, int, int]:
    """A square (x0, y0, x1, y1) around the lesion with as much margin as the lesion is large (MARGIN_MM at least),
    kept inside the image."""
    x0, y0, x1, y1 = record.box
    side = max(x1 - x0, y1 - y0)
    margin_px = MARGIN_MM / float(np.mean(spacing_mm)) if spacing_mm else 24
    side = round(min(max(2 * side, side + 2 * margin_px), *shape))
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    left = int(np.clip(cx - side // 2, 0, shape[1] - side))
    top = int(np.clip(cy - side // 2, 0, shape[0] - side))
    return left, top, left + side, top + side


def key_image(le: np.ndarray | None, rec: np.ndarray | None, record: LesionRecord, heat: np.ndarray | None,
              spacing_mm: tuple[float, float] | None) -> np.ndarray:
    """RGB uint8 (PANEL_SIDE rows): LE, recombined, recombined with the heatmap, each with the outline; a panel
    whose image is missing is left out."""
    shape = (le if le is not None else rec).shape
    x0, y0, x1, y1 = crop_box(record, shape, spacing_mm)
    window = (slice(y0, y1), slice(x0, x1))
    mask = record.full_mask(shape)[window]
    outline = _outline(_resized(mask.astype(np.float32), nearest=True) > 0.5)
    panels = [_grey(image[window]) for image in (le, rec) if image is not None]
    if heat is not None:
        panels.append(_with_heat(panels[-1], _resized(heat[window].astype(np.float32))))
    for panel in panels:
        panel[outline] = OUTLINE
    spacer = np.full((PANEL_SIDE, GAP, 3), 255, np.uint8)
    return np.concatenate([part for panel in panels for part in (panel, spacer)][:-1], axis=1)


def _resized(values: np.ndarray, nearest: bool = False) -> np.ndarray:
    image = Image.fromarray(np.ascontiguousarray(values, dtype=np.float32))
    resample = Image.Resampling.NEAREST if nearest else Image.Resampling.BILINEAR
    return np.asarray(image.resize((PANEL_SIDE, PANEL_SIDE), resample))


def _grey(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float32)
    low, high = np.percentile(values, (1.0, 99.5))
    scaled = np.clip((values - low) / max(float(high - low), 1e-6), 0.0, 1.0)
    grey = np.round(_resized(scaled) * 255).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def _outline(mask: np.ndarray) -> np.ndarray:
    """Two pixels wide, just outside the lesion, so the edge of the lesion itself stays visible."""
    return ndimage.binary_dilation(mask, iterations=2) & ~mask


def _with_heat(grey: np.ndarray, heat: np.ndarray) -> np.ndarray:
    import pyqtgraph as pg

    colours = pg.colormap.get("turbo").map(np.clip(heat, 0.0, 1.0).ravel(), mode="float")[:, :3]
    colours = colours.reshape(*heat.shape, 3)
    alpha = HEAT_OPACITY * np.clip((heat - HEAT_FROM) / (HEAT_FULL - HEAT_FROM), 0.0, 1.0)[:, :, None]
    blended = grey.astype(np.float32) * (1.0 - alpha) + colours * 255.0 * alpha
    return np.round(blended).astype(np.uint8)
