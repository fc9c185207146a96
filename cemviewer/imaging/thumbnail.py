"""Small greyscale renderings of mammograms for the view overview, made off the UI thread."""

from __future__ import annotations

import math

import cv2
import numpy as np

from cemviewer.imaging.windowing import GreyMapping


def block_mean(pixels: np.ndarray, max_side: int) -> np.ndarray:
    """`pixels` shrunk by a whole factor so its longer side is at most `max_side`, each output the mean of its
    block (plain striding would alias the fine texture of a mammogram). Edge rows/columns that do not fill a
    block are dropped."""
    factor = max(1, math.ceil(max(pixels.shape) / max_side))
    rows, columns = pixels.shape[0] // factor, pixels.shape[1] // factor
    whole_blocks = pixels[: rows * factor, : columns * factor].astype(np.float32)
    if not rows or not columns:
        return whole_blocks[:rows, :columns]
    # OpenCV's area resize by a whole factor is the block mean, 8x faster than numpy's mean over a 4-D reshape
    # (0.25 vs 2.1 ms for a 765 x 598 pyramid level, a thumbnail per image while a study loads).
    return cv2.resize(whole_blocks, (columns, rows), interpolation=cv2.INTER_AREA)


def apply_mapping(values: np.ndarray, mapping: GreyMapping) -> np.ndarray:
    """uint8 grey levels for `values`, spread over the table as pyqtgraph does for ImageItem levels and lut."""
    low, high = mapping.levels
    entries = len(mapping.lut)
    index = (values.astype(np.float32) - low) * (entries / max(high - low, 1e-12))
    return mapping.lut[np.clip(index, 0, entries - 1).astype(np.intp)]


def thumbnail(pixels: np.ndarray, mapping: GreyMapping, max_side: int = 256) -> np.ndarray:
    return np.ascontiguousarray(apply_mapping(block_mean(pixels, max_side), mapping))
