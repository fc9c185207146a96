"""Shared fixtures: Qt runs offscreen; synthetic CEM studies are written once per session as real DICOM."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

# Small enough to keep the suite fast on two cores, large enough for lesions of realistic pixel size.
TEST_SHAPE = (480, 400)
TEST_SPACING_MM = 0.5


@pytest.fixture(autouse=True)
def session_store(tmp_path, monkeypatch) -> Path:
    """Autosaves go to a store of the test's own: never the user's, and no test restores another's lesions."""
    folder = tmp_path / "sessions"
    monkeypatch.setenv("CEMVIEWER_SESSIONS", str(folder))
    return folder


@pytest.fixture(scope="session")
def synthetic_study(tmp_path_factory) -> Path:
    """A complete four-view CEM study (8 DICOM files plus truth), reduced in size, seed 7."""
    from cemviewer.synth.study import write_study

    out = tmp_path_factory.mktemp("synthetic_study")
    write_study(out, seed=7, shape=TEST_SHAPE, pixel_spacing_mm=TEST_SPACING_MM)
    return out
