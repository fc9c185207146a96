"""`cemviewer [PATH]`: the viewer window, on PATH or on the built-in demo study. A PATH that cannot be opened
is reported in the window, which stays open for another study."""

from __future__ import annotations

import sys
from pathlib import Path


def run_viewer(path: str | None) -> int:
    from PySide6.QtWidgets import QApplication

    from cemviewer.ui.main_window import APP_NAME, MainWindow
    from cemviewer.ui.recent import ORGANISATION
    from cemviewer.ui.theme import apply_dark_theme

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APP_NAME)
    apply_dark_theme(app)
    window = MainWindow()
    window.resize(1600, 1000)
    window.showMaximized()
    if path is None:
        window.open_demo()
    else:
        window.open_paths([Path(path)])
    return app.exec()
