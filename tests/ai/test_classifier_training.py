"""A tiny real training run on a few small synthetic studies: it writes loadable weights and resume continues."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cemviewer.ai.classifier import MalignancyClassifier
from cemviewer.ai.synth_lesions import BENIGN, CACHE_FILE, CACHE_SIZE, MALIGNANT, NORMAL, generate_studies, load_crops
from cemviewer.ai.train_classifier import auc, bootstrap_auc, split_studies, train_classifier


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    data = tmp_path_factory.mktemp("classifier_data")
    # Seeds 4-7: each study holds a benign and a malignant lesion, so every split can train and validate.
    generate_studies(data, 4, first_seed=4, shape=(480, 400), spacing_mm=0.5)
    return data


def test_studies_are_cut_into_cached_lesion_and_normal_crops(tiny_data):
    crops = load_crops(tiny_data)
    assert crops.crops.shape[1:] == (2, CACHE_SIZE, CACHE_SIZE)
    assert {NORMAL, BENIGN, MALIGNANT} <= set(crops.kind.tolist())
    assert sorted(set(crops.study.tolist())) == ["study_4", "study_5", "study_6", "study_7"]
    assert all((tiny_data / f"study_{seed}" / CACHE_FILE).is_file() for seed in range(4, 8))


def test_an_empty_data_folder_says_how_to_make_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="synth_lesions"):
        train_classifier(tmp_path, tmp_path / "classifier.pt", epochs=1)


def test_one_epoch_then_resume_continues(tiny_data, tmp_path, capsys):
    out = tmp_path / "classifier.pt"
    first = train_classifier(tiny_data, out, seed=3, epochs=1)
    assert first["epochs"] == 1 and len(first["history"]) == 1
    classifier = MalignancyClassifier.load(out)
    crop = torch.from_numpy(load_crops(tiny_data).crops[:2, :, 16:112, 16:112].astype(np.float32))
    assert np.all((classifier.probabilities(crop) >= 0) & (classifier.probabilities(crop) <= 1))

    capsys.readouterr()
    second = train_classifier(tiny_data, out, seed=3, epochs=2, resume=True)
    assert "resuming after epoch 1" in capsys.readouterr().err
    assert second["epochs"] == 2
    assert second["history"][0] == first["history"][0]  # epoch 1 was not trained again (same wall time)
    assert len(second["history"]) == 2

    restarted = train_classifier(tiny_data, out, seed=3, epochs=1, resume=False)
    assert restarted["epochs"] == 1 and len(restarted["history"]) == 1


def test_studies_split_without_overlap_and_reproducibly():
    studies = [f"study_{i}" for i in range(20)]
    split = split_studies(studies, seed=5)
    assert sorted(split["train"] + split["val"] + split["test"]) == sorted(studies)
    assert len(split["test"]) == 4 and len(split["val"]) == 2
    assert split == split_studies(list(reversed(studies)), seed=5)


def test_auc_and_its_bootstrap_interval():
    labels = np.array([0, 0, 1, 1, 0, 1])
    assert auc(labels, np.array([0.1, 0.2, 0.8, 0.9, 0.3, 0.7])) == 1.0
    assert auc(labels, np.array([0.5] * 6)) == 0.5
    assert auc(labels, np.array([0.9, 0.8, 0.1, 0.2, 0.7, 0.3])) == 0.0
    scores = np.array([0.1, 0.6, 0.4, 0.9, 0.3, 0.7])
    value, low, high = bootstrap_auc(labels, scores, np.array([0, 0, 1, 1, 2, 2]), resamples=200)
    assert low <= value <= high and 0 <= low and high <= 1


def test_train_command_runs_the_classifier_on_a_folder_of_studies(tiny_data, tmp_path, capsys):
    from cemviewer.cli import main

    out = tmp_path / "cls.pt"
    assert main(["train", "classifier", "--data", str(tiny_data), "--out", str(out), "--epochs", "1"]) == 0
    assert "held-out benign vs malignant AUC" in capsys.readouterr().out
    assert MalignancyClassifier.load(out).meta["summary"]["epochs"] == 1


def test_train_command_on_an_empty_folder_explains_and_fails(tmp_path, capsys):
    from cemviewer.cli import main

    assert main(["train", "classifier", "--data", str(tmp_path), "--out", str(tmp_path / "cls.pt")]) == 2
    assert "python -m cemviewer.ai.synth_lesions" in capsys.readouterr().err
