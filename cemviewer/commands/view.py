"""`cemviewer [PATH]`: the viewer window, on PATH or, without one, on the welcome screen (demo study, a folder,
the recent studies). A PATH that cannot be opened is reported in the window, which stays open for another study.
`cemviewer --demo` opens the built-in demo study at once (what `make run` does). SIGTERM, SIGHUP and Ctrl+C close
the window as its close button does, saving the edits not yet autosaved (cemviewer.ui.termination).

`cemviewer --smoke-test` is the packaged bundle's self-check: it opens the demo study in a window nobody sees,
waits until every image is decoded and the lesion AI has analysed every view, assesses the first AI lesion with the
radiomics model (pyradiomics and XGBoost are the bundle's other native parts), prints what it found and exits 0,
or 1 with the reason (2 when it took longer than SMOKE_TEST_SECONDS).
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

SMOKE_TEST = "--smoke-test"
DEMO = "--demo"
SMOKE_TEST_SECONDS = 900  # a cold start of a large bundle on a busy machine, plus four views on the CPU


def _application():
    from PySide6.QtWidgets import QApplication

    from cemviewer.ui.main_window import APP_NAME
    from cemviewer.ui.recent import ORGANISATION
    from cemviewer.ui.theme import apply_dark_theme

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APP_NAME)
    apply_dark_theme(app)
    return app


def run_viewer(path: str | None, demo: bool = False) -> int:
    from cemviewer.services.helper_processes import start_resource_tracker
    from cemviewer.ui.main_window import MainWindow
    from cemviewer.ui.termination import closing_on_termination

    app = _application()
    start_resource_tracker()  # before the window starts its helper processes
    window = MainWindow()
    window.resize(1600, 1000)
    window.showMaximized()
    if demo:
        window.open_demo()
    elif path is not None:
        window.open_paths([Path(path)])
    with closing_on_termination():
        return app.exec()


def run_smoke_test() -> int:
    from PySide6.QtCore import QSettings, QTemporaryDir, QTimer

    from cemviewer.services.inference import FINISHED
    from cemviewer.ui.main_window import MainWindow
    from cemviewer.ui.preferences import AUTOSAVE_KEY

    app = _application()
    scratch = QTemporaryDir()
    # Settings of its own: the check neither reads nor changes the user's recent studies, preferences and autosave.
    settings = QSettings(scratch.filePath("settings.ini"), QSettings.Format.IniFormat)
    settings.setValue(AUTOSAVE_KEY, scratch.filePath("autosave"))
    window = MainWindow(settings)
    outcome: list[str] = []

    def finish(problem: str | None, code: int) -> None:
        if not outcome:
            outcome.append(problem or "")
            app.exit(code)

    def check() -> None:
        study = window.study
        if study is None or len(window.loaded) + len(window.failed) < len(study.images()):
            return
        if window.failed:
            finish(f"images not decoded: {'; '.join(window.failed.values())}", 1)
        elif window.analyser.state == FINISHED and len(window.analyses) == len(study.views):
            finish(None, 0)

    # An exception in a slot would otherwise leave the window waiting for a study that never comes.
    sys.excepthook = lambda kind, error, trace: finish(
        "".join(traceback.format_exception(kind, error, trace)).rstrip(), 1)
    window.loader.idle.connect(check)
    window.analyser.finished.connect(check)
    window.loader.openFailed.connect(lambda message: finish(f"the demo study did not open: {message}", 1))
    window.analyser.failed.connect(lambda message: finish(f"the lesion AI failed: {message}", 1))
    QTimer.singleShot(SMOKE_TEST_SECONDS * 1000, lambda: finish(f"not done after {SMOKE_TEST_SECONDS} s", 2))
    window.resize(1200, 800)
    window.show()
    window.open_demo()
    code = app.exec()
    window.close()
    if code == 0:
        lesions = sum(len(analysis.marks.lesions) for analysis in window.analyses.values())
        devices = ", ".join(sorted({analysis.marks.device for analysis in window.analyses.values()}))
        print(f"smoke test passed: {len(window.loaded)} images, {len(window.analyses)} views analysed on "
              f"{devices}, {lesions} lesions; {_radiomics_check(window)}")
    else:
        print(f"smoke test failed: {outcome[0]}", file=sys.stderr)
    return code


def _radiomics_check(window) -> str:
    """The first AI lesion of the first view that has one, assessed as the radiomics panel would."""
    import numpy as np

    from cemviewer.fusion.assess import assess_lesion, dense_bright
    from cemviewer.fusion.model import RadiomicsModel

    for view in window.study.views:
        lesions = window.analyses[view.name].marks.lesions
        if lesions and lesions[0].mask is not None:
            le, rec = (window.loaded[ref].window.image for ref in (view.low_energy, view.recombined))
            x0, y0, x1, y1 = lesions[0].box
            mask = np.zeros(le.pixels.shape, bool)
            mask[y0:y1, x0:x1] = lesions[0].mask
            result = assess_lesion(dense_bright(le), dense_bright(rec), mask, le.spacing_mm, None,
                                   RadiomicsModel.load())
            return (f"{view.name} lesion 1: {len(result.features)} radiomics features, radiomics malignancy "
                    f"{result.radiomics_prob:.2f}")
    return "no AI lesion to assess with radiomics"
