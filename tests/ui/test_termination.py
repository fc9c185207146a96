"""A termination signal, sent for real to this process, closes the window as its close button does: the edit made
a moment ago, before its autosave, is saved, and the previous signal handling comes back afterwards."""

from __future__ import annotations

import os
import signal

import pytest
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtWidgets import QDialog

from cemviewer.services.helper_processes import TERMINATION_SIGNALS
from cemviewer.sessions.store import SessionStore
from cemviewer.ui.edit_tools import BRUSH
from cemviewer.ui.termination import closing_on_termination

LEFT = Qt.MouseButton.LeftButton
DIALOG_GUARD_MS = 30_000


def _brush_stroke(qtbot, window) -> None:
    window.editor.tools.set_tool(BRUSH)
    viewport = window.pair.viewport()
    start, end = (window.pair.mapFromScene(window.editor.items[0].mapToScene(QPointF(x, 200.5)))
                  for x in (100.5, 200.5))
    qtbot.mousePress(viewport, LEFT, Qt.KeyboardModifier.NoModifier, start)
    qtbot.mouseMove(viewport, end)
    qtbot.mouseRelease(viewport, LEFT, Qt.KeyboardModifier.NoModifier, end)


@pytest.mark.parametrize("number", TERMINATION_SIGNALS, ids=lambda number: number.name)
def test_a_termination_signal_closes_the_window_and_saves_the_edit_not_yet_autosaved(
        qtbot, window, open_study, synthetic_study, session_store, no_ai, number):
    open_study(window, synthetic_study)
    qtbot.waitUntil(lambda: window.editor.lesions is not None)
    _brush_stroke(qtbot, window)
    study_uid = window.study.study_uid
    assert SessionStore(session_store).load(study_uid) is None  # the autosave's timer has not fired yet
    before = signal.getsignal(number)

    with closing_on_termination():
        os.kill(os.getpid(), number)
        qtbot.waitUntil(lambda: not window.isVisible())

    assert SessionStore(session_store).load(study_uid).lesion_count == 1
    assert signal.getsignal(number) is before


def test_a_dialog_open_over_the_window_is_closed_and_its_loop_ends(qtbot, window):
    dialog = QDialog(window)
    QTimer.singleShot(100, lambda: os.kill(os.getpid(), signal.SIGTERM))
    QTimer.singleShot(DIALOG_GUARD_MS, dialog.accept)  # if the signal did not end it, the test fails, not hangs
    with closing_on_termination():
        result = dialog.exec()
        qtbot.waitUntil(lambda: not window.isVisible())
    assert result == QDialog.DialogCode.Rejected


def test_another_signal_leaves_the_window_open(qtbot, window):
    caught = []
    previous = signal.signal(signal.SIGUSR1, lambda number, _frame: caught.append(number))
    try:
        with closing_on_termination():
            os.kill(os.getpid(), signal.SIGUSR1)
            qtbot.waitUntil(lambda: caught == [signal.SIGUSR1])
            qtbot.wait(200)  # the wakeup byte is read in this time
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert window.isVisible()
