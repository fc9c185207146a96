"""`cemviewer train segmenter` on a tiny generated dataset: one epoch, then a resumed second epoch."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from cemviewer.ai.segmenter import LesionSegmenter
from cemviewer.cli import main

SHAPE = (48, 40)


def _write_tiny_dataset(root, patients: int = 4) -> None:
    """LE + recombined JPEG pairs with a brighter disc, and its PNG outline, in the CDD-CESM index layout."""
    rng = np.random.default_rng(0)
    (root / "images").mkdir()
    (root / "masks").mkdir()
    rows = ["image,mask,patient_id,side,energy,view,pathology"]
    yy, xx = np.mgrid[: SHAPE[0], : SHAPE[1]]
    for index in range(patients):
        centre = rng.uniform(12, 28, 2)
        disc = (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 < 36
        for code, energy in (("DM", "low_energy"), ("CM", "recombined")):
            stem = f"P{index}_L_{code}_CC"
            pixels = rng.uniform(60, 120, SHAPE) + 100 * disc
            Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(root / "images" / f"{stem}.jpg")
            Image.fromarray(disc.astype(np.uint8) * 255).save(root / "masks" / f"{stem}.png")
            rows.append(f"images/{stem}.jpg,masks/{stem}.png,P{index},L,{energy},CC,Malignant")
    (root / "index.csv").write_text("\n".join(rows) + "\n")


def test_one_epoch_then_resume_to_two(tmp_path, capsys):
    data, out = tmp_path / "data", tmp_path / "seg.pt"
    data.mkdir()
    _write_tiny_dataset(data)
    arguments = ["train", "segmenter", "--data", str(data), "--out", str(out), "--size", "32", "--seed", "1"]

    assert main([*arguments, "--epochs", "1"]) == 0
    first = LesionSegmenter.load(out).meta
    assert first["epochs"] == 1 and first["input_size"] == 32
    assert first["training_command"].startswith("cemviewer train segmenter --data")
    split = first["split"]
    assert sum(len(patients) for patients in split.values()) == 4
    assert not set(split["train"]) & set(split["test"])
    assert (tmp_path / "seg.pt.ckpt").is_file()

    assert main([*arguments, "--epochs", "2", "--resume"]) == 0
    assert "resuming from" in capsys.readouterr().err
    second = torch.load(out, weights_only=True)["meta"]
    assert second["epochs"] == 2
    assert second["history"][0] == first["history"][0]  # epoch 1 was continued from, not trained again
    assert 0.0 < second["threshold"] < 1.0


def test_resume_with_other_settings_is_refused_clearly(tmp_path, capsys):
    data, out = tmp_path / "data", tmp_path / "seg.pt"
    data.mkdir()
    _write_tiny_dataset(data)
    arguments = ["train", "segmenter", "--data", str(data), "--out", str(out), "--epochs", "1", "--size", "32"]
    assert main(arguments) == 0
    assert main([*arguments[:-1], "64", "--resume"]) == 2
    assert "resume with the same --size" in capsys.readouterr().err


def test_missing_dataset_index_is_reported(tmp_path, capsys):
    assert main(["train", "segmenter", "--data", str(tmp_path), "--out", str(tmp_path / "x.pt")]) == 2
    assert "index.csv" in capsys.readouterr().err
