"""assess_lesion on a synthetic study written as DICOM, with the shipped DL classifier and radiomics model."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from cemviewer.ai.classifier import MalignancyClassifier
from cemviewer.ai.pipeline import CLASSIFIER_FILE, default_models_dir
from cemviewer.ai.synth_lesions import truth_views
from cemviewer.fusion import RadiomicsModel, assess_lesion, dense_bright, fuse
from cemviewer.fusion.assess import BENIGN, MALIGNANT, age_years
from cemviewer.radiomics import RoiError
from cemviewer.study.loader import scan_path
from cemviewer.study.pixels import load_image
from cemviewer.synth.truth import StudyTruth


@pytest.fixture(scope="module")
def models() -> tuple[MalignancyClassifier, RadiomicsModel]:
    return MalignancyClassifier.load(default_models_dir() / CLASSIFIER_FILE, device="cpu"), RadiomicsModel.load()


@pytest.fixture(scope="module")
def lesion(synthetic_study):
    """(le, rec, mask, spacing) of the first lesion of the first view that has one."""
    view = next(view for view in truth_views(synthetic_study) if view.kinds)
    spacing = StudyTruth.load(synthetic_study).pixel_spacing_mm
    return view.le, view.rec, view.lesion_mask(min(view.kinds)), (spacing, spacing)


def test_fused_probability_is_the_mean_of_dl_and_radiomics(models, lesion):
    classifier, model = models
    le, rec, mask, spacing = lesion
    result = assess_lesion(le, rec, mask, spacing, classifier, model)
    assert result.dl_prob == pytest.approx(classifier.predict(le, rec, mask))
    assert result.radiomics_prob == pytest.approx(model.predict(result.features))
    assert result.fused_prob == pytest.approx((result.dl_prob + result.radiomics_prob) / 2)
    assert result.threshold == model.fused_threshold
    assert result.call == (MALIGNANT if result.fused_prob >= result.threshold else BENIGN)
    assert result.area_mm2 == pytest.approx(mask.sum() * spacing[0] * spacing[1])
    assert result.features["original_shape2D_PixelSurface"] == pytest.approx(result.area_mm2, rel=0.05)
    assert result.seconds > 0


def test_the_threshold_decides_the_call(models, lesion):
    classifier, model = models
    le, rec, mask, spacing = lesion
    fused = assess_lesion(le, rec, mask, spacing, classifier, model).fused_prob
    calls = {}
    for shift in (-1e-6, 1e-6):
        moved = RadiomicsModel(model.booster, {**copy.deepcopy(model.meta), "fused_threshold": fused + shift})
        calls[shift] = assess_lesion(le, rec, mask, spacing, classifier, moved).call
    assert calls == {-1e-6: MALIGNANT, 1e-6: BENIGN}


def test_without_a_dl_classifier_the_radiomics_probability_and_threshold_stand_alone(models, lesion):
    _, model = models
    le, rec, mask, spacing = lesion
    result = assess_lesion(le, rec, mask, spacing, None, model)
    assert result.dl_prob is None and result.fused_prob == result.radiomics_prob
    assert result.threshold == model.threshold
    assert fuse(None, 0.3) == 0.3 and fuse(0.2, 0.6) == pytest.approx(0.4)


def test_contributions_are_the_largest_treeshap_terms_and_add_up_to_the_log_odds(models, lesion):
    classifier, model = models
    le, rec, mask, spacing = lesion
    result = assess_lesion(le, rec, mask, spacing, classifier, model)
    sizes = [abs(value) for _, value in result.contributions]
    assert sizes == sorted(sizes, reverse=True) and len(result.contributions) <= len(model.features)
    assert {name for name, _ in result.contributions} <= set(model.features)
    # Contributions plus the bias give the model's log-odds; the bias is the same for every lesion.
    biases = []
    for features in (result.features, {name: value * 1.5 for name, value in result.features.items()}):
        terms = model.contributions(features, top=len(model.features))
        probability = model.predict(features)
        biases.append(math.log(probability / (1 - probability)) - sum(value for _, value in terms))
    assert biases[0] == pytest.approx(biases[1], abs=1e-3)


def test_a_bad_outline_is_refused_before_any_model_runs(models, lesion):
    classifier, model = models
    le, rec, mask, spacing = lesion
    with pytest.raises(RoiError, match="empty"):
        assess_lesion(le, rec, np.zeros_like(mask), spacing, classifier, model)


def test_viewer_pixels_and_age_helpers(synthetic_study):
    image = load_image(scan_path(synthetic_study).studies[0].views[0].low_energy)
    assert dense_bright(image) is image.pixels  # MONOCHROME2: as stored
    image.invert = True
    flipped = dense_bright(image)
    assert flipped.max() - flipped.min() == pytest.approx(float(image.pixels.max()) - float(image.pixels.min()))
    assert np.argmax(flipped) == np.argmin(image.pixels)
    assert age_years("054Y") == 54 and age_years("018M") == 1.5 and age_years("") is None
