"""The shipped malignancy classifier on a synthetic study written as real DICOM, and its load errors."""

from __future__ import annotations

import numpy as np
import pytest

from cemviewer.ai.classifier import MalignancyClassifier, normalised_pair
from cemviewer.ai.pipeline import CLASSIFIER_FILE, SEGMENTER_FILE, ModelLoadError, default_models_dir
from cemviewer.ai.synth_lesions import MALIGNANT, truth_views


@pytest.fixture(scope="module")
def classifier() -> MalignancyClassifier:
    return MalignancyClassifier.load(default_models_dir() / CLASSIFIER_FILE)


@pytest.fixture(scope="module")
def view_with_lesions(synthetic_study):
    return next(view for view in truth_views(synthetic_study) if len(view.kinds) >= 2)


def test_probability_for_a_two_channel_and_a_single_energy_lesion(classifier, view_with_lesions):
    view = view_with_lesions
    for lesion_id in view.kinds:
        mask = view.lesion_mask(lesion_id)
        for le, rec in ((view.le, view.rec), (view.le, None)):
            probability = classifier.predict(le, rec, mask)
            assert isinstance(probability, float) and 0.0 <= probability <= 1.0


def test_malignant_lesion_scores_above_the_benign_one(classifier, view_with_lesions):
    view = view_with_lesions
    scores = {kind: classifier.predict(view.le, view.rec, view.lesion_mask(lesion_id))
              for lesion_id, kind in view.kinds.items()}
    malignant = scores.pop(MALIGNANT)
    assert malignant > max(scores.values())


def test_recombined_only_view_works(classifier, view_with_lesions):
    _, rec = normalised_pair(None, view_with_lesions.rec)
    batch = classifier.predict_lesions(None, rec, [view_with_lesions.lesion_mask(i) for i in view_with_lesions.kinds])
    assert batch.shape == (len(view_with_lesions.kinds),) and np.all((batch >= 0) & (batch <= 1))


def test_mask_of_another_shape_is_refused(classifier, view_with_lesions):
    with pytest.raises(ValueError, match="mask shape"):
        classifier.predict(view_with_lesions.le, view_with_lesions.rec, np.ones((10, 10), dtype=bool))


def test_missing_weights_file(tmp_path):
    with pytest.raises(ModelLoadError, match="classifier weights not found") as error:
        MalignancyClassifier.load(tmp_path / "absent.pt")
    assert "cemviewer train classifier" in str(error.value)


def test_corrupt_weights_file(tmp_path):
    path = tmp_path / "classifier.pt"
    path.write_bytes(b"\x80\x02 not a torch file at all")
    with pytest.raises(ModelLoadError, match="not a usable malignancy classifier"):
        MalignancyClassifier.load(path)


def test_truncated_weights_file(tmp_path):
    shipped = (default_models_dir() / CLASSIFIER_FILE).read_bytes()
    path = tmp_path / "classifier.pt"
    path.write_bytes(shipped[: len(shipped) // 2])
    with pytest.raises(ModelLoadError, match="not a usable malignancy classifier"):
        MalignancyClassifier.load(path)


def test_segmenter_weights_are_not_taken_for_a_classifier():
    with pytest.raises(ModelLoadError, match="format"):
        MalignancyClassifier.load(default_models_dir() / SEGMENTER_FILE)


def test_predict_normalises_only_the_crop_yet_matches_the_whole_image_path(classifier, view_with_lesions):
    view = view_with_lesions
    le_n, rec_n = normalised_pair(view.le, view.rec)
    corner = np.zeros(view.le.shape, dtype=bool)
    corner[:12, :9] = True  # its crop window reaches past the image's edges
    for mask in [view.lesion_mask(lesion_id) for lesion_id in view.kinds] + [corner]:
        for le, rec, le_whole, rec_whole in ((view.le, view.rec, le_n, rec_n), (None, view.rec, None, rec_n)):
            whole = classifier.predict_lesions(le_whole, rec_whole, [mask])[0]
            assert classifier.predict(le, rec, mask) == pytest.approx(float(whole), abs=1e-6)
