"""Studies and lesion records for the annotation tests: the session's synthetic study, copies of it changed the
way real data differs (mirrored pixels), and a second study to confuse with it."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image

@pytest.fixture
def study_copy(synthetic_study, tmp_path) -> Path:
    """A copy of the synthetic study the test may change."""
    return Path(shutil.copytree(synthetic_study, tmp_path / "study"))


@pytest.fixture
def mirrored_study(study_copy) -> Path:
    """The synthetic study with the RCC and RMLO files (and their masks) stored mirrored, their PatientOrientation
    saying so, as some vendors write them: the viewer flips them back for display."""
    mirrors = {"I0001": 1, "I0005": 1, "I0003": 0, "I0007": 0}  # stem -> axis mirrored (1 left-right, 0 top-bottom)
    for path in (study_copy / "DICOM").rglob("I*"):
        axis = mirrors.get(path.stem)
        if axis is None:
            continue
        ds = pydicom.dcmread(path)
        ds.PixelData = np.ascontiguousarray(np.flip(ds.pixel_array, axis)).tobytes()
        rows, columns = ds.PatientOrientation
        if axis == 1:  # RCC: P\L becomes A\L
            ds.PatientOrientation = ["A" if rows == "P" else "P", columns]
        else:  # RMLO: P\FL becomes P\HL
            ds.PatientOrientation = [rows, columns.replace("F", "H")]
        ds.save_as(path)
        mask = study_copy / "masks" / f"{path.stem}.png"
        Image.fromarray(np.ascontiguousarray(np.flip(np.asarray(Image.open(mask)), axis))).save(mask)
    return study_copy


@pytest.fixture(scope="session")
def other_study(tmp_path_factory) -> Path:
    from cemviewer.synth.study import write_study

    out = tmp_path_factory.mktemp("other_study")
    write_study(out, seed=8, shape=(480, 400), pixel_spacing_mm=0.5)
    return out
