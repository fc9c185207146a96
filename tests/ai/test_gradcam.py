"""Grad-CAM++ of the shipped classifier on a synthetic lesion, pasted back onto the full image."""

from __future__ import annotations

import numpy as np
import pytest

from cemviewer.ai.classifier import MalignancyClassifier
from cemviewer.ai.crops import CropWindow, mask_box
from cemviewer.ai.gradcam import heatmap_for_lesion, view_heatmap
from cemviewer.ai.pipeline import CLASSIFIER_FILE, default_models_dir
from cemviewer.ai.synth_lesions import MALIGNANT, truth_views


@pytest.fixture(scope="module")
def classifier() -> MalignancyClassifier:
    return MalignancyClassifier.load(default_models_dir() / CLASSIFIER_FILE)


@pytest.fixture(scope="module")
def malignant_lesion(synthetic_study):
    view = next(view for view in truth_views(synthetic_study) if MALIGNANT in view.kinds.values())
    lesion_id = next(i for i, kind in view.kinds.items() if kind == MALIGNANT)
    return view, view.lesion_mask(lesion_id)


def test_heatmap_has_the_image_shape_values_in_unit_range_and_structure(classifier, malignant_lesion):
    view, mask = malignant_lesion
    heatmap = heatmap_for_lesion(classifier, view.le, view.rec, mask)
    assert heatmap.shape == view.le.shape and heatmap.dtype == np.float32
    assert heatmap.min() >= 0.0 and heatmap.max() <= 1.0
    assert heatmap.max() > 0.5 and heatmap.std() > 0.01


def test_heatmap_peaks_near_the_lesion_and_is_zero_far_from_it(classifier, malignant_lesion):
    view, mask = malignant_lesion
    heatmap = heatmap_for_lesion(classifier, view.le, view.rec, mask)
    x0, y0, x1, y1 = mask_box(mask)
    margin_x, margin_y = (x1 - x0) // 2, (y1 - y0) // 2
    peak_row, peak_col = np.unravel_index(np.argmax(heatmap), heatmap.shape)
    assert y0 - margin_y <= peak_row < y1 + margin_y and x0 - margin_x <= peak_col < x1 + margin_x
    rows, cols = np.nonzero(heatmap > 0)
    assert rows.min() >= y0 - (y1 - y0) and rows.max() < y1 + (y1 - y0)  # confined to the crop around the lesion
    assert cols.min() >= x0 - (x1 - x0) and cols.max() < x1 + (x1 - x0)


def test_single_energy_heatmap(classifier, malignant_lesion):
    view, mask = malignant_lesion
    heatmap = heatmap_for_lesion(classifier, view.le, None, mask)
    assert heatmap.shape == view.le.shape and 0.0 <= heatmap.min() and heatmap.max() <= 1.0


def test_view_heatmap_is_the_weighted_maximum_of_the_lesion_maps():
    crop_maps = np.stack([np.full((4, 4), 0.5, np.float32), np.full((4, 4), 1.0, np.float32)])
    windows = [CropWindow(0, 0, 8), CropWindow(4, 4, 8)]
    combined = view_heatmap(crop_maps, windows, (16, 16), weights=np.array([1.0, 0.25]))
    assert combined.shape == (16, 16)
    assert np.allclose(combined[:4, :4], 0.5) and np.allclose(combined[4:8, 4:8], 0.5)  # max(0.5, 0.25)
    assert np.allclose(combined[8:12, 8:12], 0.25) and combined[12:, :4].max() == 0
    assert view_heatmap(crop_maps[:0], [], (16, 16)) is None
