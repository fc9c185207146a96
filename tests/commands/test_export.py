"""`cemviewer export` on a synthetic study written as DICOM: PNG masks in, SEG/PNG/CSV/JSON out, and back."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pydicom
from PIL import Image

from cemviewer.cli import main


def _export(*arguments) -> int:
    return main(["export", *map(str, arguments)])


def test_masks_become_seg_png_and_tables_and_the_seg_exports_the_same_masks_again(synthetic_study, tmp_path,
                                                                                  capsys):
    first = tmp_path / "first"
    assert _export(synthetic_study, "--masks", synthetic_study / "masks", "--out", first) == 0
    assert "wrote 12 file(s)" in capsys.readouterr().err
    assert sorted(path.name for path in first.glob("SEG_*.dcm")) == ["SEG_RCC.dcm", "SEG_RMLO.dcm"]
    assert all(pydicom.dcmread(path).Modality == "SEG" for path in first.glob("SEG_*.dcm"))
    lesions = json.loads((first / "lesions.json").read_text())["lesions"]
    assert len(lesions) == len((first / "lesions.csv").read_text().splitlines()) - 1 > 0

    # The SEGs placed in a copy of the study folder are now where its lesions come from.
    study = shutil.copytree(synthetic_study, tmp_path / "study")
    shutil.rmtree(study / "masks")
    for seg in first.glob("SEG_*.dcm"):
        shutil.copy(seg, study / seg.name)
    second = tmp_path / "second"
    assert _export(study, "--out", second, "--format", "png,json") == 0
    for mask in (synthetic_study / "masks").glob("*.png"):
        assert np.array_equal(np.asarray(Image.open(second / "masks" / mask.name)), np.asarray(Image.open(mask)))
    assert json.loads((second / "lesions.json").read_text())["lesions"] == lesions
    assert not (second / "SEG_RCC.dcm").exists()


def test_bad_input_stops_with_a_message(synthetic_study, tmp_path, capsys):
    assert _export(tmp_path / "missing", "--out", tmp_path / "out") == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert _export(synthetic_study, "--out", tmp_path / "out", "--format", "seg,nifti") == 2
    assert "--format seg,nifti: choose from seg, png, csv, json" in capsys.readouterr().err
    assert _export(synthetic_study, "--out", tmp_path / "out", "--masks", tmp_path / "nothing") == 2
    assert "not a folder" in capsys.readouterr().err
    assert _export(synthetic_study, "--out", tmp_path / "out") == 1  # no SEG in it and no --masks
    assert "no DICOM SEG in the study folder" in capsys.readouterr().err
    (tmp_path / "file").write_text("in the way")
    assert _export(synthetic_study, "--masks", synthetic_study / "masks", "--out", tmp_path / "file" / "out") == 1
    assert "error: cannot write" in capsys.readouterr().err


def test_a_corrupt_seg_is_named_and_left_out(synthetic_study, tmp_path, capsys):
    study = shutil.copytree(synthetic_study, tmp_path / "study")
    assert _export(study, "--masks", study / "masks", "--out", study, "--format", "seg") == 0
    (study / "SEG_RCC.dcm").write_bytes((study / "SEG_RCC.dcm").read_bytes()[:5000])
    capsys.readouterr()
    assert _export(study, "--out", tmp_path / "out", "--format", "csv") == 1
    err = capsys.readouterr().err
    assert "warning: SEG_RCC.dcm:" in err and "lesion(s) in 1 view(s)" in err  # RMLO's SEG still counts
