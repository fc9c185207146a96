"""Segmentation and detection metrics on binary masks, and patient-level bootstrap confidence intervals.

A predicted lesion (connected component) matches a true one when their IoU is >= 0.3 or it contains the true
lesion's centroid. Sensitivity pools true lesions over images; false positives are predicted lesions matching none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from cemviewer.ai.instances import CONNECTIVITY

MATCH_IOU = 0.3


@dataclass(frozen=True)
class ImageScore:
    dice: float
    true_lesions: int
    detected: int  # true lesions matched by at least one predicted lesion
    false_positives: int  # predicted lesions matching no true lesion


def dice(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Dice of two binary masks; 1.0 when both are empty."""
    predicted, truth = np.asarray(predicted, bool), np.asarray(truth, bool)
    total = predicted.sum() + truth.sum()
    return 1.0 if total == 0 else float(2.0 * np.logical_and(predicted, truth).sum() / total)


def score_image(predicted: np.ndarray, truth: np.ndarray) -> ImageScore:
    predicted, truth = np.asarray(predicted, bool), np.asarray(truth, bool)
    if predicted.shape != truth.shape:
        raise ValueError(f"mask shapes differ: predicted {predicted.shape}, truth {truth.shape}")
    true_labels, true_count = ndimage.label(truth, structure=CONNECTIVITY)
    predicted_labels, predicted_count = ndimage.label(predicted, structure=CONNECTIVITY)
    matches = _match_matrix(predicted_labels, predicted_count, true_labels, true_count)
    return ImageScore(
        dice=dice(predicted, truth),
        true_lesions=true_count,
        detected=int(matches.any(axis=0).sum()),
        false_positives=int((~matches.any(axis=1)).sum()),
    )


def _match_matrix(predicted_labels, predicted_count, true_labels, true_count) -> np.ndarray:
    """matches[p, t]: predicted component p+1 matches true component t+1."""
    matches = np.zeros((predicted_count, true_count), dtype=bool)
    if predicted_count == 0 or true_count == 0:
        return matches
    # Overlap counts of every (predicted, true) label pair in one pass.
    pair_counts = np.bincount(predicted_labels.ravel() * (true_count + 1) + true_labels.ravel(),
                              minlength=(predicted_count + 1) * (true_count + 1)).reshape(predicted_count + 1, -1)
    predicted_areas, true_areas = pair_counts.sum(axis=1)[1:], pair_counts.sum(axis=0)[1:]
    intersection = pair_counts[1:, 1:]
    iou = intersection / (predicted_areas[:, None] + true_areas[None, :] - intersection)
    matches |= iou >= MATCH_IOU
    centroids = ndimage.center_of_mass(true_labels > 0, true_labels, np.arange(1, true_count + 1))
    for t, (row, column) in enumerate(centroids):
        label = predicted_labels[int(round(row)), int(round(column))]
        if label:
            matches[label - 1, t] = True
    return matches


@dataclass(frozen=True)
class Summary:
    images: int
    patients: int
    dice: float
    sensitivity: float
    false_positives_per_image: float
    dice_ci: tuple[float, float]
    sensitivity_ci: tuple[float, float]
    false_positives_ci: tuple[float, float]

    def lines(self) -> list[str]:
        def ci(bounds):
            return f"[{bounds[0]:.3f}, {bounds[1]:.3f}]"

        return [
            f"images {self.images}, patients {self.patients}",
            f"mean Dice (images with a lesion) {self.dice:.3f}  95% CI {ci(self.dice_ci)}",
            f"lesion sensitivity {self.sensitivity:.3f}  95% CI {ci(self.sensitivity_ci)}",
            f"false-positive lesions per image {self.false_positives_per_image:.3f}  95% CI {ci(self.false_positives_ci)}",
        ]


def _point_estimates(scores: list[ImageScore]) -> tuple[float, float, float]:
    with_lesion = [score.dice for score in scores if score.true_lesions > 0]
    true_total = sum(score.true_lesions for score in scores)
    return (
        float(np.mean(with_lesion)) if with_lesion else float("nan"),
        sum(score.detected for score in scores) / true_total if true_total else float("nan"),
        float(np.mean([score.false_positives for score in scores])) if scores else float("nan"),
    )


def summarise(scores: list[ImageScore], patient_ids: list[str], *, resamples: int = 2000, seed: int = 0) -> Summary:
    """Point estimates and 95% percentile bootstrap intervals, resampling patients (images of a patient correlate)."""
    if len(scores) != len(patient_ids):
        raise ValueError("one patient id per image score is needed")
    if not scores:
        raise ValueError("no image scores to summarise")
    by_patient: dict[str, list[ImageScore]] = {}
    for score, patient in zip(scores, patient_ids):
        by_patient.setdefault(patient, []).append(score)
    groups = list(by_patient.values())
    rng = np.random.default_rng(seed)
    draws = np.array([
        _point_estimates([score for index in rng.integers(0, len(groups), len(groups)) for score in groups[index]])
        for _ in range(resamples)
    ])
    bounds = np.nanpercentile(draws, [2.5, 97.5], axis=0)
    point = _point_estimates(scores)
    return Summary(
        images=len(scores),
        patients=len(groups),
        dice=point[0],
        sensitivity=point[1],
        false_positives_per_image=point[2],
        dice_ci=(float(bounds[0, 0]), float(bounds[1, 0])),
        sensitivity_ci=(float(bounds[0, 1]), float(bounds[1, 1])),
        false_positives_ci=(float(bounds[0, 2]), float(bounds[1, 2])),
    )
