"""Per-image intensity scaling over the breast, shared by the lesion models and radiomics.

Percentiles are taken inside the breast (pixels above the image minimum), so 8-bit JPEGs and 12/16-bit DICOMs land
on the same [0, 1] scale.
"""

from __future__ import annotations

import numpy as np

LOW_PERCENTILE = 1.0
HIGH_PERCENTILE = 99.5
# Percentiles from at most about this many pixels: exact for the 512 px training images, a regular subsample
# (same statistics, a fraction of the sort time) for full-field DICOMs.
PERCENTILE_SAMPLE_PIXELS = 512 * 512


def breast_range(pixels: np.ndarray) -> tuple[float, float] | None:
    """(low, high) percentiles over the breast, i.e. the pixels above the image minimum; None for a blank image."""
    pixels = np.asarray(pixels)
    step = max(1, int(np.sqrt(pixels.size / PERCENTILE_SAMPLE_PIXELS)))
    sample = pixels[::step, ::step]
    inside = sample[sample > sample.min()]
    if inside.size < 16:
        return None
    low, high = np.percentile(inside, [LOW_PERCENTILE, HIGH_PERCENTILE])
    return low, (high if high > low else low + 1.0)  # numpy float64 scalars, as normalise has always used


def normalise(pixels: np.ndarray, scale: tuple[float, float] | None = None) -> np.ndarray:
    """Robust per-image scaling to [0, 1] over the breast's `breast_range`. With `scale` (the whole image's
    breast_range) `pixels` may be a part of the image, scaled exactly as in the whole one."""
    pixels = np.asarray(pixels, dtype=np.float32)
    scale = breast_range(pixels) if scale is None else scale
    if scale is None:
        return np.zeros_like(pixels)
    low, high = scale
    return np.clip((pixels - low) / (high - low), 0.0, 1.0)
