"""LesionAI on a synthetic study view written as real DICOM: segment, classify, explain; errors and cancelling."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from cemviewer.ai.pipeline import (CLASSIFIER_FILE, MODELS_ENV, SEGMENTER_FILE, AnalysisCancelled, LesionAI,
                                   ModelLoadError, default_models_dir)
from cemviewer.ai.synth_lesions import truth_views


@pytest.fixture(scope="module")
def ai() -> LesionAI:
    return LesionAI.load()


@pytest.fixture(scope="module")
def view(synthetic_study):
    return next(view for view in truth_views(synthetic_study) if view.kinds)


def test_analyze_returns_lesions_on_the_image_grid_with_malignancy_and_heatmap(ai, view):
    findings = ai.analyze(view.le, view.rec)
    assert findings.lesions, "the segmenter found no lesion on a view with two"
    for lesion in findings.lesions:
        assert lesion.mask.shape == view.le.shape and lesion.mask.dtype == bool
        assert lesion.area_px == int(lesion.mask.sum()) > 0
        x0, y0, x1, y1 = lesion.box
        assert lesion.mask[y0:y1, x0:x1].sum() == lesion.area_px
        assert 0.0 <= lesion.malignancy <= 1.0 and 0.0 <= lesion.score <= 1.0
        assert set(lesion.outlines) <= {"low_energy", "recombined"}
    scores = [lesion.score for lesion in findings.lesions]
    assert scores == sorted(scores, reverse=True)
    truth = view.labels > 0
    assert any((lesion.mask & truth).any() for lesion in findings.lesions)
    assert findings.heatmap.shape == view.le.shape and 0.0 <= findings.heatmap.min() <= findings.heatmap.max() <= 1.0
    assert ("cuda" in findings.device) == torch.cuda.is_available()
    assert {"preprocessing", "segmentation", "classification", "grad-cam++"} <= set(findings.seconds)


def test_single_energy_view(ai, view):
    findings = ai.analyze(None, view.rec)
    for lesion in findings.lesions:
        assert set(lesion.outlines) == {"recombined"} and lesion.mask.shape == view.rec.shape


def test_cancel_between_stages(ai, view):
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 1  # let preprocessing run, stop before segmentation

    with pytest.raises(AnalysisCancelled, match="segmentation"):
        ai.analyze(view.le, view.rec, cancel=cancel)


def test_images_of_different_shapes_are_refused(ai, view):
    with pytest.raises(ValueError, match="differ in shape"):
        ai.analyze(view.le, view.rec[:-1])
    with pytest.raises(ValueError, match="at least one"):
        ai.analyze(None, None)


def test_missing_models_folder_names_the_override(tmp_path):
    with pytest.raises(ModelLoadError, match=MODELS_ENV):
        LesionAI.load(tmp_path / "nowhere")


def test_environment_variable_chooses_the_models_folder(tmp_path, monkeypatch):
    shutil.copy(default_models_dir() / SEGMENTER_FILE, tmp_path / SEGMENTER_FILE)
    monkeypatch.setenv(MODELS_ENV, str(tmp_path))
    assert default_models_dir() == tmp_path
    with pytest.raises(ModelLoadError, match="classifier weights not found") as error:
        LesionAI.load()
    assert str(tmp_path / CLASSIFIER_FILE) in str(error.value)


def test_corrupt_classifier_in_the_models_folder(tmp_path):
    shutil.copy(default_models_dir() / SEGMENTER_FILE, tmp_path / SEGMENTER_FILE)
    (tmp_path / CLASSIFIER_FILE).write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ModelLoadError, match="classifier.pt: not a usable"):
        LesionAI.load(tmp_path)


def test_missing_segmenter_in_the_models_folder(tmp_path):
    shutil.copy(default_models_dir() / CLASSIFIER_FILE, tmp_path / CLASSIFIER_FILE)
    with pytest.raises(ModelLoadError, match="segmenter weights not found"):
        LesionAI.load(tmp_path)
