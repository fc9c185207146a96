"""The radiomics training table from synthetic studies written as DICOM, its cache, and `cemviewer train radiomics`."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from cemviewer.ai.classifier import MalignancyClassifier
from cemviewer.ai.pipeline import CLASSIFIER_FILE, default_models_dir
from cemviewer.cli import main
from cemviewer.fusion.dataset import build_table, cache_path
from cemviewer.fusion.model import RadiomicsModel
from cemviewer.radiomics import RadiomicsExtractor
from cemviewer.synth.study import write_study
from cemviewer.synth.truth import StudyTruth
from tests.conftest import TEST_SHAPE, TEST_SPACING_MM


@pytest.fixture(scope="module")
def classifier() -> MalignancyClassifier:
    return MalignancyClassifier.load(default_models_dir() / CLASSIFIER_FILE, device="cpu")


def _lesion_views(study) -> list[bool]:
    """Malignant or not, for every lesion on every view (each lesion shows on the CC and the MLO view)."""
    truth = StudyTruth.load(study)
    return sorted(lesion.malignant for lesion in truth.lesions for finding in lesion.images
                  if finding.energy == "low_energy")


def test_table_has_one_row_per_lesion_view_and_is_read_back_from_its_cache(synthetic_study, tmp_path, classifier):
    data = tmp_path / "data"
    shutil.copytree(synthetic_study, data / "study_a")
    extractor = RadiomicsExtractor()
    table = build_table(data, extractor, classifier)
    assert sorted(table.malignant.tolist()) == _lesion_views(synthetic_study)
    assert set(table.groups) == {"study_a"}
    assert np.all((table.dl_prob >= 0) & (table.dl_prob <= 1))
    assert "le_original_glcm_Contrast" in table.names and "age" in table.names
    assert cache_path(data, extractor).is_file()

    shutil.rmtree(data / "study_a" / "DICOM")  # from now on only the cache can give study_a's features
    again = build_table(data, extractor, classifier)
    np.testing.assert_array_equal(again.x, table.x)
    np.testing.assert_array_equal(again.malignant, table.malignant)
    np.testing.assert_allclose(again.dl_prob, table.dl_prob)


def test_no_studies_names_how_to_make_them(tmp_path, classifier):
    with pytest.raises(FileNotFoundError, match="synth_lesions"):
        build_table(tmp_path, RadiomicsExtractor(), classifier)


def test_train_command_writes_a_loadable_model_with_its_metadata(synthetic_study, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(synthetic_study, data / "study_7")
    for seed in (8, 9):  # each holds a benign and a malignant lesion
        write_study(data / f"study_{seed}", seed=seed, shape=TEST_SHAPE, pixel_spacing_mm=TEST_SPACING_MM)
    out = tmp_path / "models" / "radiomics_xgb.json"

    assert main(["train", "radiomics", "--data", str(data), "--out", str(out), "--seed", "1"]) == 0
    assert "patient-grouped CV AUC" in capsys.readouterr().out
    model = RadiomicsModel.load(out)
    meta = json.loads(out.with_suffix(".meta.json").read_text())
    assert meta["data"]["studies"] == 3 and meta["cv"]["folds"] == 3 and meta["seed"] == 1
    assert meta["parameters"] == RadiomicsExtractor().parameters
    assert model.features and set(model.features) <= set(build_table(data, RadiomicsExtractor(), None).names)


def test_train_command_without_studies_fails_with_a_message(tmp_path, capsys):
    assert main(["train", "radiomics", "--data", str(tmp_path), "--out", str(tmp_path / "m.json")]) == 2
    assert "no synthetic studies" in capsys.readouterr().err
