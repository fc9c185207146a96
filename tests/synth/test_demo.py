"""The demo study: written once into the user's cache, complete, then reused."""

from __future__ import annotations

from cemviewer.synth.demo import DEMO_VERSION, demo_study_path
from cemviewer.synth.study import FULL_SHAPE
from cemviewer.synth.truth import StudyTruth


def test_demo_is_written_once_and_shows_both_kinds_of_lesion(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = demo_study_path()
    assert path == tmp_path / "cemviewer" / DEMO_VERSION
    truth = StudyTruth.load(path)
    assert truth.seed == 0 and truth.shape == FULL_SHAPE
    assert {lesion.pathology for lesion in truth.lesions} == {"benign", "malignant"}
    assert all((path / image.file).is_file() for image in truth.images)
    stamp = (path / "truth.json").stat().st_mtime_ns
    assert demo_study_path() == path
    assert (path / "truth.json").stat().st_mtime_ns == stamp
    assert sorted(p.name for p in (tmp_path / "cemviewer").iterdir()) == [DEMO_VERSION]
