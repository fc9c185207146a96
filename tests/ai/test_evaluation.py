"""Dice, lesion matching (IoU >= 0.3 or centroid inside) and false-positive counting on hand-made masks."""

from __future__ import annotations

import numpy as np
import pytest

from cemviewer.ai.evaluation import ImageScore, dice, score_image, summarise


def _box(shape, y0, y1, x0, x1):
    mask = np.zeros(shape, bool)
    mask[y0:y1, x0:x1] = True
    return mask


def test_dice_of_hand_made_masks():
    truth = _box((20, 20), 0, 10, 0, 10)  # 100 px
    assert dice(truth, truth) == 1.0
    assert dice(_box((20, 20), 0, 10, 0, 5), truth) == pytest.approx(2 * 50 / 150)
    assert dice(np.zeros((20, 20)), truth) == 0.0
    assert dice(np.zeros((4, 4)), np.zeros((4, 4))) == 1.0


def test_iou_match_centroid_match_and_false_positives():
    shape = (100, 100)
    truth = _box(shape, 10, 30, 10, 30) | _box(shape, 60, 90, 60, 90) | _box(shape, 5, 15, 80, 90)
    predicted = (
        _box(shape, 12, 30, 10, 30)  # IoU 0.9 with lesion 1
        | _box(shape, 74, 76, 74, 76)  # tiny, IoU << 0.3, but contains lesion 2's centroid (75, 75)
        | _box(shape, 50, 55, 0, 5)  # matches nothing
    )  # lesion 3 is missed
    score = score_image(predicted, truth)
    assert score == ImageScore(dice=pytest.approx(dice(predicted, truth)), true_lesions=3, detected=2,
                               false_positives=1)


def test_low_overlap_without_centroid_is_not_a_match():
    shape = (60, 60)
    truth = _box(shape, 0, 40, 0, 40)  # centroid (19.5, 19.5)
    predicted = _box(shape, 30, 60, 30, 60)  # IoU 100/2400, far from the centroid
    assert score_image(predicted, truth) == ImageScore(pytest.approx(dice(predicted, truth)), 1, 0, 1)


def test_one_prediction_covering_two_lesions_detects_both():
    shape = (40, 40)
    truth = _box(shape, 5, 15, 5, 15) | _box(shape, 5, 15, 25, 35)
    predicted = _box(shape, 4, 16, 4, 36)
    score = score_image(predicted, truth)
    assert (score.detected, score.false_positives) == (2, 0)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shapes differ"):
        score_image(np.zeros((3, 3)), np.zeros((4, 4)))


def test_summary_pools_lesions_and_bootstraps_patients():
    scores = [ImageScore(0.8, 1, 1, 0), ImageScore(0.6, 2, 1, 2), ImageScore(0.9, 1, 1, 1), ImageScore(0.5, 1, 0, 0)]
    summary = summarise(scores, ["A", "A", "B", "C"], resamples=500, seed=1)
    assert summary.dice == pytest.approx(0.7)
    assert summary.sensitivity == pytest.approx(3 / 5)
    assert summary.false_positives_per_image == pytest.approx(0.75)
    assert (summary.images, summary.patients) == (4, 3)
    for value, (low, high) in [(summary.dice, summary.dice_ci), (summary.sensitivity, summary.sensitivity_ci),
                               (summary.false_positives_per_image, summary.false_positives_ci)]:
        assert low <= value <= high and low < high
    # Patient C alone has no detection: resampling patients can give sensitivity 0 or 1, never outside.
    assert 0.0 <= summary.sensitivity_ci[0] and summary.sensitivity_ci[1] <= 1.0
    assert summary == summarise(scores, ["A", "A", "B", "C"], resamples=500, seed=1)
