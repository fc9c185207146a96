"""`cemviewer analyze` on a synthetic study written as DICOM: with its masks, with the lesion AI, and bad input."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from cemviewer.cli import main
from cemviewer.commands.analyze import lesion_masks
from cemviewer.synth.truth import StudyTruth

REQUIRED = ("image", "laterality", "view", "area_mm2", "features", "dl_probability", "radiomics_probability",
            "fused_probability", "threshold", "call")


def _analyze(*arguments) -> int:
    return main(["analyze", *map(str, arguments)])


@pytest.fixture(scope="module")
def mask_report(synthetic_study, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("analyze") / "report.json"
    assert _analyze(synthetic_study, "--masks", synthetic_study / "masks", "--out", out) == 0
    return json.loads(out.read_text())


def test_report_has_every_truth_lesion_of_every_view_with_the_required_keys(synthetic_study, mask_report):
    truth = StudyTruth.load(synthetic_study)
    expected = sorted((finding.file, lesion.id) for lesion in truth.lesions for finding in lesion.images
                      if finding.energy == "low_energy")
    assert expected, "the fixture study has lesions"
    assert sorted((entry["image"], entry["lesion"]) for entry in mask_report["lesions"]) == expected
    assert mask_report["skipped"] == [] and mask_report["lesion_source"] == "masks"
    spacing = truth.pixel_spacing_mm
    for entry in mask_report["lesions"]:
        assert all(key in entry for key in REQUIRED), set(REQUIRED) - set(entry)
        image = truth.image(entry["image"])
        assert (entry["laterality"], entry["view"]) == (image.laterality, image.view)
        labels = np.asarray(Image.open(synthetic_study / image.mask))
        assert entry["area_mm2"] == pytest.approx((labels == entry["lesion"]).sum() * spacing**2)
        assert any(name.startswith("le_original_glcm_") for name in entry["features"])
        assert any(name.startswith("rec_original_firstorder_") for name in entry["features"])
        assert "original_shape2D_MeshSurface" in entry["features"]
        mean = (entry["dl_probability"] + entry["radiomics_probability"]) / 2
        assert entry["fused_probability"] == pytest.approx(mean)
        assert entry["call"] == ("malignant" if entry["fused_probability"] >= entry["threshold"] else "benign")
        assert entry["threshold"] == mask_report["models"]["threshold"]
        assert entry["recombined"].endswith(".dcm") and entry["low_energy"] == entry["image"]


def test_without_masks_the_lesion_ai_finds_the_lesions(synthetic_study, tmp_path):
    out = tmp_path / "report.json"
    assert _analyze(synthetic_study, "--out", out) == 0
    report = json.loads(out.read_text())
    assert report["lesion_source"] == "ai" and report["lesions"]
    truth = StudyTruth.load(synthetic_study)
    lesion_views = {(truth.image(finding.file).laterality, truth.image(finding.file).view)
                    for lesion in truth.lesions for finding in lesion.images}
    assert {(entry["laterality"], entry["view"]) for entry in report["lesions"]} & lesion_views
    for entry in report["lesions"]:
        assert all(key in entry for key in REQUIRED) and 0 <= entry["segmenter_score"] <= 1


def test_a_damaged_image_and_a_bad_mask_are_reported_and_the_rest_runs(synthetic_study, tmp_path, capsys):
    study = tmp_path / "study"
    shutil.copytree(synthetic_study, study)
    truth = StudyTruth.load(study)
    lesion_files = sorted({finding.file for lesion in truth.lesions for finding in lesion.images
                           if finding.energy == "low_energy"})
    damaged_le, bad_mask_le = lesion_files[0], lesion_files[1]
    damaged_rec = next(i.file for i in truth.images if i.energy == "recombined" and
                       (i.laterality, i.view) == (truth.image(damaged_le).laterality, truth.image(damaged_le).view))
    data = (study / damaged_rec).read_bytes()
    (study / damaged_rec).write_bytes(data[: len(data) // 2])
    Image.fromarray(np.ones((10, 10), np.uint8)).save(study / truth.image(bad_mask_le).mask)
    out = tmp_path / "report.json"

    assert _analyze(study, "--masks", study / "masks", "--out", out) == 0
    report = json.loads(out.read_text())
    reasons = {entry["image"]: entry["reason"] for entry in report["skipped"]}
    assert "truncated" in reasons[damaged_rec]
    assert "mask of 10 x 10 pixels" in reasons[f"masks/{(study / bad_mask_le).stem}.png"]
    analysed = {entry["image"] for entry in report["lesions"]}
    assert damaged_le in analysed and bad_mask_le not in analysed
    single_energy = [entry for entry in report["lesions"] if entry["image"] == damaged_le]
    assert all(not any(name.startswith("rec_") for name in entry["features"]) for entry in single_energy)
    assert "skipping" in capsys.readouterr().err


def test_unusable_study_masks_or_models_stop_with_a_message(synthetic_study, tmp_path, capsys):
    out = tmp_path / "report.json"
    assert _analyze(tmp_path / "nowhere", "--out", out) == 2
    assert _analyze(synthetic_study, "--masks", tmp_path / "nowhere", "--out", out) == 2
    assert _analyze(synthetic_study, "--masks", synthetic_study / "masks", "--out", out, "--models", tmp_path) == 2
    err = capsys.readouterr().err
    assert "no such file or folder" in err and "not a folder" in err and "radiomics model file not found" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _analyze(empty, "--out", out) == 2
    assert not out.exists()


def test_masks_split_by_label_value_else_by_connected_region():
    labels = np.zeros((20, 20), np.uint8)
    labels[2:6, 2:6] = 3
    labels[10:14, 10:14] = 3
    assert [value for value, _ in lesion_masks(labels)] == [1, 2]
    labels[10:14, 10:14] = 7
    split = lesion_masks(labels)
    assert [value for value, _ in split] == [3, 7] and split[1][1].sum() == 16
    assert lesion_masks(np.zeros((5, 5), np.uint8)) == []
