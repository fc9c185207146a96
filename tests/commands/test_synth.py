"""`cemviewer synth` on the command line."""

from __future__ import annotations

import pydicom
import pytest

from cemviewer.cli import main
from cemviewer.synth.truth import StudyTruth


def test_writes_the_study_and_prints_one_line(tmp_path, capsys):
    out = tmp_path / "new" / "study"
    assert main(["synth", str(out), "--seed", "5", "--size", "240x200", "--spacing", "1.0"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and "8 images" in printed[0] and "seed 5" in printed[0]
    truth = StudyTruth.load(out)
    assert truth.seed == 5 and truth.shape == (240, 200) and truth.pixel_spacing_mm == 1.0
    for image in truth.images:
        ds = pydicom.dcmread(out / image.file, stop_before_pixels=True)
        assert (ds.Rows, ds.Columns) == (240, 200)
        assert (out / image.mask).is_file()


def test_an_output_path_that_is_a_file_is_refused(tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    assert main(["synth", str(blocker / "study"), "--size", "240x200", "--spacing", "1.0"]) == 2
    assert "cannot write to" in capsys.readouterr().err


def test_malformed_size_is_explained(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["synth", str(tmp_path), "--size", "big"])
    assert exit_info.value.code == 2
    assert "ROWSxCOLS" in capsys.readouterr().err


def test_too_small_an_image_is_explained(tmp_path, capsys):
    assert main(["synth", str(tmp_path), "--size", "32x32"]) == 2
    assert "at least 64 pixels" in capsys.readouterr().err
