"""Lesion instances from a probability map: threshold, connected components, size filter, score."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

# 8-connectivity: a lesion outline touching itself diagonally is still one lesion.
CONNECTIVITY = np.ones((3, 3), dtype=bool)


@dataclass(frozen=True)
class Lesion:
    """One connected lesion: box is [x0, y0, x1, y1] with x1/y1 exclusive, in image pixels."""

    mask: np.ndarray  # bool, full image size
    box: tuple[int, int, int, int]
    area_px: int
    score: float  # maximum probability inside the component


def lesion_instances(probability: np.ndarray, threshold: float, min_area_px: float, min_score: float = 0.0) -> list[Lesion]:
    """Components of probability > threshold with at least min_area_px pixels and a score of at least min_score.

    Two thresholds on purpose: `threshold` sets how far an outline extends (Dice), `min_score` which components are
    confident enough to report (false positives). Highest score first.
    """
    labels, count = ndimage.label(probability > threshold, structure=CONNECTIVITY)
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    lesions = []
    # Per-component work inside each bounding box only: full-size DICOMs have millions of pixels.
    for label, (rows, columns) in enumerate(ndimage.find_objects(labels), start=1):
        if areas[label] < min_area_px:
            continue
        inside = labels[rows, columns] == label
        score = float(probability[rows, columns][inside].max())
        if score < min_score:
            continue
        mask = np.zeros(probability.shape, dtype=bool)
        mask[rows, columns] = inside
        lesions.append(Lesion(mask, (columns.start, rows.start, columns.stop, rows.stop), int(areas[label]), score))
    return sorted(lesions, key=lambda lesion: -lesion.score)


def union_mask(lesions: list[Lesion], shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    for lesion in lesions:
        mask |= lesion.mask
    return mask
