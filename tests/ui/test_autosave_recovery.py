"""Nothing lost: a real viewer process edits a study and is killed with SIGKILL mid-stroke; a new window on the
study brings back every edit up to the last autosave, pixel for pixel. Also: a read-only study folder, a store
that cannot be written, and a clean close."""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, Qt

from cemviewer.ai.pipeline import MODELS_ENV
from cemviewer.sessions.store import STORE_ENV, SessionStore
from cemviewer.ui.edit_tools import BRUSH

DRIVER = Path(__file__).with_name("autosave_driver.py")
PROCESS_TIMEOUT_S = 600  # a hang guard for the child process, not a performance figure
LEFT = Qt.MouseButton.LeftButton


def _lines(process: subprocess.Popen):
    """The child's stdout lines as they come, ending when it exits or PROCESS_TIMEOUT_S passes."""
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + PROCESS_TIMEOUT_S
    while time.monotonic() < deadline:
        if selector.select(timeout=1):
            line = process.stdout.readline()
            if not line:
                return
            yield line.strip()
        elif process.poll() is not None:
            return


def _expected(dump: Path) -> dict[str, list[tuple[dict, np.ndarray]]]:
    with np.load(dump) as arrays:
        meta = json.loads(arrays["meta"].tobytes())
        return {view: [(attributes, arrays[f"{view}_{index}"]) for index, attributes in enumerate(lesions)]
                for view, lesions in meta.items()}


def _assert_restored(window, expected) -> None:
    assert set(window.editor.sets) >= set(expected)
    for view_name, lesions in expected.items():
        restored = list(window.editor.sets[view_name].lesions.values())
        assert len(restored) == len(lesions), view_name
        for lesion, (attributes, mask) in zip(restored, lesions, strict=True):
            assert {"source": lesion.source, "label": lesion.label, "note": lesion.note, "score": lesion.score,
                    "malignancy": lesion.malignancy} == attributes
            assert np.array_equal(lesion.mask, mask), f"{view_name}: a mask differs"


def test_sigkill_mid_stroke_then_reopening_restores_every_autosaved_edit(qtbot, window, open_study, synthetic_study,
                                                                         session_store, no_ai, tmp_path):
    dump = tmp_path / "dump.npz"
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", STORE_ENV: str(session_store),
                   MODELS_ENV: str(no_ai)}
    process = subprocess.Popen([sys.executable, str(DRIVER), str(synthetic_study), str(dump)], env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        lines = []
        for line in _lines(process):
            lines.append(line)
            if line.startswith("stroking"):
                break
        assert lines and lines[-1].startswith("stroking"), f"the viewer process stopped early: {lines}"
        [session_file] = session_store.glob("*.npz")  # written while the process ran, the stroke still going
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=60) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
    assert not [path for path in session_store.iterdir() if path != session_file]  # no temporary file left

    expected = _expected(dump)
    assert [len(expected["RCC"]), len(expected["LCC"])] == [4, 2]
    open_study(window, synthetic_study)
    _assert_restored(window, expected)
    restored = sum(len(lesions) for lesions in expected.values())
    assert window.autosave_status.text().startswith(f"Restored {restored} lesions from autosave of ")
    # Shown at once on the open view (RCC): the overlay holds the restored lesions.
    assert window.editor.view_name == "RCC" and np.count_nonzero(window.editor.canvas.pixels) > 0
    # The restored lesions are edited on as any others, and no AI proposal is added on top of them.
    assert not window.editor.sets["RCC"].history.can_undo()


def _paint(qtbot, window, points) -> None:
    viewport = window.pair.viewport()
    positions = [window.pair.mapFromScene(window.editor.items[0].mapToScene(QPointF(x, y))) for x, y in points]
    qtbot.mousePress(viewport, LEFT, Qt.KeyboardModifier.NoModifier, positions[0])
    for position in positions[1:]:
        qtbot.mouseMove(viewport, position)
    qtbot.mouseRelease(viewport, LEFT, Qt.KeyboardModifier.NoModifier, positions[-1])


def _folder_state(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
            for path in sorted(folder.rglob("*"))}


def test_a_read_only_study_folder_is_autosaved_outside_it(qtbot, window, open_study, synthetic_study, session_store,
                                                          no_ai, tmp_path):
    study = Path(shutil.copytree(synthetic_study, tmp_path / "read_only_study"))
    for path in [study, *study.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    before = _folder_state(study)
    try:
        open_study(window, study)
        qtbot.waitUntil(lambda: window.editor.lesions is not None)
        window.editor.tools.set_tool(BRUSH)
        with qtbot.waitSignal(window.autosave.saved, timeout=30_000):
            _paint(qtbot, window, [(100.5, 200.5), (200.5, 200.5)])
        assert _folder_state(study) == before
        stored = SessionStore(session_store).load(window.study.study_uid)
        [record] = stored.views["RCC"].records
        assert np.array_equal(record.full_mask(window.editor.lesions.shape),
                              next(iter(window.editor.lesions.lesions.values())).mask)
    finally:
        for path in [study, *study.rglob("*")]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


def test_an_unwritable_store_says_so_keeps_the_edits_and_saves_once_it_can(qtbot, window, open_study,
                                                                           synthetic_study, no_ai, tmp_path,
                                                                           monkeypatch):
    blocker = tmp_path / "store_blocked"
    blocker.write_text("a file where the store folder should be")
    monkeypatch.setenv(STORE_ENV, str(blocker))
    open_study(window, synthetic_study)
    qtbot.waitUntil(lambda: window.editor.lesions is not None)
    window.editor.tools.set_tool(BRUSH)
    with qtbot.waitSignal(window.autosave.problem, timeout=30_000) as problem:
        _paint(qtbot, window, [(100.5, 200.5), (200.5, 200.5)])
    assert f"cannot autosave to {blocker}" in problem.args[0] and "kept in memory" in problem.args[0]
    assert any("cannot autosave" in message for message in window.message_bar.messages)
    assert window.autosave_status.text().startswith("Autosave failed")
    assert len(window.editor.lesions.lesions) == 1  # the edit is still there

    blocker.unlink()  # the store can be written again: the retry saves without another edit
    with qtbot.waitSignal(window.autosave.saved, timeout=60_000):
        pass
    stored = SessionStore(blocker).load(window.study.study_uid)
    assert len(stored.views["RCC"].records) == 1


def test_closing_the_window_saves_at_once(qtbot, window, open_study, synthetic_study, session_store, no_ai):
    open_study(window, synthetic_study)
    qtbot.waitUntil(lambda: window.editor.lesions is not None)
    window.editor.tools.set_tool(BRUSH)
    _paint(qtbot, window, [(100.5, 200.5), (200.5, 200.5)])
    study_uid = window.study.study_uid
    assert SessionStore(session_store).load(study_uid) is None  # the timer has not fired yet
    window.close()
    stored = SessionStore(session_store).load(study_uid)
    assert stored.lesion_count == 1


def test_without_the_environment_the_preferences_folder_is_the_store(qtbot, window, settings, open_study,
                                                                     synthetic_study, no_ai, tmp_path, monkeypatch):
    from cemviewer.ui.preferences import AUTOSAVE_KEY

    monkeypatch.delenv(STORE_ENV)
    settings.setValue(AUTOSAVE_KEY, str(tmp_path / "chosen"))
    open_study(window, synthetic_study)
    qtbot.waitUntil(lambda: window.editor.lesions is not None)
    window.editor.tools.set_tool(BRUSH)
    with qtbot.waitSignal(window.autosave.saved, timeout=30_000) as saved:
        _paint(qtbot, window, [(100.5, 200.5), (200.5, 200.5)])
    assert Path(saved.args[0]).parent == tmp_path / "chosen"


def _second_window(qtbot, settings):
    from cemviewer.ui.main_window import MainWindow

    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    return window


def test_a_seg_written_after_the_autosave_wins_and_the_status_says_so(qtbot, window, settings, open_study,
                                                                      synthetic_study, session_store, no_ai,
                                                                      tmp_path):
    from cemviewer.annotations.mask_files import read_png_masks
    from cemviewer.annotations.seg_writer import write_segmentations

    study_folder = Path(shutil.copytree(synthetic_study, tmp_path / "study"))
    open_study(window, study_folder)
    qtbot.waitUntil(lambda: window.editor.lesions is not None)
    window.editor.tools.set_tool(BRUSH)
    _paint(qtbot, window, [(100.5, 200.5), (200.5, 200.5)])
    study = window.study
    window.close()
    assert SessionStore(session_store).load(study.study_uid).lesion_count == 1
    records, _ = read_png_masks(study, study_folder / "masks")
    time.sleep(0.01)  # the SEG's modification time must come after the session's save time
    write_segmentations(study, records, study_folder / "DICOM")

    reopened = _second_window(qtbot, settings)
    open_study(reopened, study_folder)
    assert reopened.autosave_status.text().startswith("Autosave of ")
    assert "not restored: SEG_RCC.dcm is newer" in reopened.autosave_status.text()
    assert len(reopened.editor.sets["RCC"].lesions) == 2  # the SEG's two lesions, not the one painted
    reopened.close()


def test_a_damaged_autosave_is_reported_and_the_study_opens(qtbot, window, open_study, synthetic_study,
                                                            session_store, no_ai):
    from cemviewer.study.loader import scan_path

    [study] = scan_path(synthetic_study).studies
    session_store.mkdir(parents=True, exist_ok=True)
    SessionStore(session_store).path(study.study_uid).write_bytes(b"not a session")
    open_study(window, synthetic_study)
    assert any("is damaged and was not restored" in message for message in window.message_bar.messages)
    assert window.editor.lesions is not None and not window.editor.lesions.lesions


def test_a_session_drawn_on_another_image_size_is_not_forced_onto_this_one(qtbot, window, open_study,
                                                                          synthetic_study, session_store, no_ai):
    from cemviewer.annotations.records import LesionRecord
    from cemviewer.sessions.store import ViewSession
    from cemviewer.study.loader import scan_path

    [study] = scan_path(synthetic_study).studies
    record = LesionRecord("RCC", 1, (2, 2, 6, 6), np.ones((4, 4), bool))
    SessionStore(session_store).save(study.study_uid, {"RCC": ViewSession((10, 10), None, (record,))})
    open_study(window, synthetic_study)
    assert any("Autosaved lesions of RCC not restored: they were drawn on a 10 x 10 image, this one is 400 x 480"
               in message for message in window.message_bar.messages)
    assert not window.editor.sets["RCC"].lesions
