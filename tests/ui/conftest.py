"""Fixtures for driving the real main window offscreen."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from cemviewer.ai.pipeline import MODELS_ENV
from cemviewer.ui.main_window import MainWindow

LOAD_TIMEOUT_MS = 60_000


@pytest.fixture(autouse=True)
def findings_cache_folder(tmp_path_factory, monkeypatch) -> Path:
    """The lesion AI's disk cache in a folder of the test session's own, never the user's ~/.cache."""
    folder = tmp_path_factory.getbasetemp() / "xdg_cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


@pytest.fixture
def no_ai(tmp_path, monkeypatch) -> Path:
    """The lesion AI off (an empty models folder), so no proposal arrives mid-test."""
    models = tmp_path / "no_models"
    models.mkdir()
    monkeypatch.setenv(MODELS_ENV, str(models))
    return models


@pytest.fixture
def settings(tmp_path) -> QSettings:
    """Settings in a file of the test's own, so the recent-studies list starts empty and stays private."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings) -> MainWindow:
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    yield win
    win.loader.shutdown()
    win.analyser.shutdown()


@pytest.fixture
def wait_for(qtbot):
    """wait_for(signal): a context manager that waits for `signal` as long as opening a study may take."""
    return lambda signal: qtbot.waitSignal(signal, timeout=LOAD_TIMEOUT_MS)


@pytest.fixture
def open_study(qtbot):
    """open_study(window, *paths): open paths and wait until every image has been decoded (or has failed)."""

    def open_and_wait(win: MainWindow, *paths: Path) -> None:
        with qtbot.waitSignal(win.loader.idle, timeout=LOAD_TIMEOUT_MS):
            win.open_paths(list(paths))

    return open_and_wait
