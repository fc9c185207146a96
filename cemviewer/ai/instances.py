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
    if count == 0:
        return []
    index = np.arange(1, count + 1)
    areas = ndimage.sum_labels(np.ones_like(labels), labels, index)
    scores = ndimage.maximum(probability, labels, index)
    slices = ndimage.find_objects(labels)
    lesions = []
    for label, area, score, (rows, columns) in zip(index, areas, scores, slices):
        if area < min_area_px or score < min_score:
            continue
        box = (columns.start, rows.start, columns.stop, rows.stop)
        lesions.append(Lesion(labels == label, box, int(area), float(score)))
    return sorted(lesions, key=lambda lesion: -lesion.score)


def union_mask(lesions: list[Lesion], shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    for lesion in lesions:
        mask |= lesion.mask
    return mask
