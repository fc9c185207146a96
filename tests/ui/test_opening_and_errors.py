"""Ways into a study (recent list, drag and drop, command line) and what the window does with bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QDropEvent, QKeySequence
from PySide6.QtWidgets import QApplication

from cemviewer.study.loader import NOT_DICOM_REASON, scan_path
from cemviewer.ui.actions import ACTIONS
from cemviewer.ui.main_window import MainWindow
from cemviewer.ui.recent import RecentStudies


@pytest.fixture
def study_copy(synthetic_study, tmp_path) -> Path:
    """A private copy of the synthetic study that a test may damage."""
    return Path(shutil.copytree(synthetic_study, tmp_path / "study"))


def _files_of(study: Path, view: str) -> tuple[Path, Path]:
    [model] = scan_path(study).studies
    found = model.view(view)
    return found.low_energy.path, found.recombined.path


def test_an_opened_study_joins_the_recent_list_and_reopens_from_it(wait_for, qtbot, window, open_study, settings,
                                                                     synthetic_study):
    open_study(window, synthetic_study)
    assert RecentStudies(settings).paths() == [str(synthetic_study)]
    window.recent_menu.aboutToShow.emit()
    [entry] = [a for a in window.recent_menu.actions() if a.text() == str(synthetic_study)]
    window.loaded.clear()
    with wait_for(window.loader.idle):
        entry.trigger()
    assert len(window.loaded) == 8
    # A new window (a later session) finds the list in the same settings.
    later = MainWindow(settings)
    qtbot.addWidget(later)
    later.recent_menu.aboutToShow.emit()
    assert str(synthetic_study) in [a.text() for a in later.recent_menu.actions()]


def test_a_missing_path_is_reported_and_the_window_keeps_working(wait_for, window, open_study, settings, tmp_path,
                                                                  synthetic_study):
    missing = tmp_path / "no-such-study"
    with wait_for(window.loader.openFailed):
        window.open_paths([missing])
    assert window.message_bar.isVisible()
    shown = window.message_bar.text.text()
    assert "no such file or directory" in shown and str(missing) in shown
    assert str(missing) in window.statusBar().currentMessage()
    assert RecentStudies(settings).paths() == []
    open_study(window, synthetic_study)
    assert window.view_name == "RCC" and len(window.loaded) == 8
    assert not window.message_bar.isVisible()


def test_a_folder_without_mammograms_says_so_and_why(wait_for, qtbot, window, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "readme.txt").write_text("not an image")
    with wait_for(window.loader.openFailed):
        window.open_paths([folder])
    text = window.message_bar.text.text()
    assert "No CEM mammograms found" in text and "not a DICOM file" in text


def test_a_failed_open_leaves_the_open_study_in_place(wait_for, qtbot, window, open_study, synthetic_study, tmp_path):
    open_study(window, synthetic_study)
    with wait_for(window.loader.openFailed):
        window.open_paths([tmp_path / "gone"])
    assert window.view_name == "RCC" and window.pair.low_energy.window is not None
    qtbot.keyClick(window, Qt.Key.Key_2)
    assert window.view_name == "LCC"


def test_corrupt_pixels_show_in_their_pane_and_the_rest_loads(qtbot, window, open_study, study_copy):
    _, recombined = _files_of(study_copy, "RCC")
    dataset = pydicom.dcmread(recombined)
    dataset.Rows += 16  # the header now promises more pixels than the file holds
    dataset.save_as(recombined)
    open_study(window, study_copy)
    pane = window.pair.recombined
    assert pane.window is None and pane.placeholder.isVisible()
    assert "Cannot display the recombined image" in pane.placeholder.textItem.toPlainText()
    assert window.pair.low_energy.window is not None
    assert any(str(recombined) in message for message in window.message_bar.messages)
    assert len(window.loaded) == 7 and len(window.failed) == 1


def test_a_view_without_its_recombined_image_says_so(qtbot, window, open_study, study_copy):
    _, recombined = _files_of(study_copy, "LMLO")
    recombined.unlink()
    open_study(window, study_copy)
    window.select_view("LMLO")
    pane = window.pair.recombined
    assert pane.placeholder.isVisible() and pane.placeholder.textItem.toPlainText() == "No recombined image for LMLO"
    assert "Recombined" in pane.title.text and "LMLO" in pane.title.text
    assert window.pair.low_energy.window is not None
    qtbot.waitUntil(lambda: "LMLO" in window.info.notes.text() and window.info.notes.isVisible())


def test_dropping_files_opens_them_as_one_study(wait_for, qtbot, window, synthetic_study):
    low_energy, recombined = _files_of(synthetic_study, "LCC")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(low_energy)), QUrl.fromLocalFile(str(recombined))])
    drop = QDropEvent(QPointF(400, 300), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    with wait_for(window.loader.idle):
        window.dropEvent(drop)
    assert drop.isAccepted()
    assert [view.name for view in window.study.views] == ["LCC"]
    assert window.pair.low_energy.window.image.ref.path == low_energy
    assert window.pair.recombined.window.image.ref.path == recombined


def test_skipped_files_are_listed_with_reasons_on_demand(qtbot, window, open_study, study_copy):
    (study_copy / "DICOMDIR.txt").write_text("export notes")
    open_study(window, study_copy)
    info = window.info
    qtbot.waitUntil(info.skipped_toggle.isVisible)  # the panel fills a moment after the panes
    assert not info.skipped_list.isVisible()
    qtbot.mouseClick(info.skipped_toggle, Qt.MouseButton.LeftButton)
    assert info.skipped_list.isVisible()
    reasons = {info.skipped_list.topLevelItem(i).text(0): info.skipped_list.topLevelItem(i).text(1)
               for i in range(info.skipped_list.topLevelItemCount())}
    assert reasons["DICOMDIR.txt"] == NOT_DICOM_REASON


def test_shortcuts_dialog_lists_every_action_with_its_keys(qtbot, window):
    window.actions_by_key["shortcuts"].trigger()
    dialog = window._shortcuts_dialog
    assert dialog.isVisible() and not dialog.isModal()
    table = dialog.table
    rows = {table.item(r, 1).text(): table.item(r, 2).text() for r in range(table.rowCount())}
    for spec in ACTIONS:
        keys = rows[window.actions_by_key[spec.key].text()]
        for shortcut in spec.shortcuts:
            assert QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText) in keys
    assert any("Window/level" in command or "window/level" in keys for command, keys in rows.items())


def test_no_two_actions_share_a_key():
    keys = [QKeySequence(k).toString() for spec in ACTIONS for k in spec.shortcuts]
    assert len(keys) == len(set(keys))


def test_command_line_opens_the_given_study(qtbot, synthetic_study, tmp_path):
    from cemviewer.cli import main

    # The viewer keeps its recent list in the user's settings; point those at the test's folder.
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    seen = {}

    def close_when_loaded():
        [win] = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        qtbot.waitUntil(lambda: len(win.loaded) == 8, timeout=60_000)
        seen["view"], seen["title"] = win.view_name, win.windowTitle()
        win.close()

    QTimer.singleShot(0, close_when_loaded)
    assert main([str(synthetic_study)]) == 0
    assert seen["view"] == "RCC" and "cemviewer" in seen["title"]
    assert RecentStudies(QSettings("cemviewer", "cemviewer")).paths() == [str(synthetic_study)]


def test_overview_tiles_are_clicked_not_dragged(qtbot, window, open_study, synthetic_study):
    open_study(window, synthetic_study)
    tile = window.overview.tiles["RMLO"]
    qtbot.mouseClick(tile, Qt.MouseButton.RightButton, pos=QPoint(10, 10))
    assert window.view_name == "RCC"
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    assert window.view_name == "RMLO"


def test_open_demo_writes_the_demo_study_once_and_shows_it(qtbot, wait_for, window, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with wait_for(window.loader.idle):
        window.open_demo()
    assert window.view_name == "RCC" and len(window.loaded) == 8
    assert all(ref.path.is_relative_to(tmp_path / "cache") for ref in window.loaded)


def test_a_folder_with_two_studies_offers_a_choice(qtbot, wait_for, window, open_study, tmp_path):
    from cemviewer.synth.study import write_study

    folder = tmp_path / "two"
    for seed in (8, 9):
        write_study(folder / f"seed{seed}", seed=seed, shape=(240, 200), pixel_spacing_mm=1.0)
    open_study(window, folder)
    chooser = window.info.study_chooser
    qtbot.waitUntil(chooser.isVisible)
    assert chooser.count() == 2
    assert chooser.currentIndex() == 0 and window.study is window.scan.studies[0]
    other = window.scan.studies[1]
    with wait_for(window.loader.idle):
        chooser.activated.emit(1)
    assert window.study is other
    assert {loaded.ref.study_uid for loaded in window.loaded.values()} == {other.study_uid}
