"""Ground truth in the real main window: a study folder holding our SEG opens with its lesions ready to edit, bad
SEGs beside it are explained while the viewer goes on, and File ▸ Export writes what is on screen."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from cemviewer.annotations.records import study_records
from cemviewer.annotations.seg_reader import import_segmentations
from cemviewer.annotations.seg_writer import write_segmentations
from cemviewer.editing.lesion_set import MANUAL, PROPOSAL
from tests.annotations.study_helpers import full_masks, only_study, truth_records
from tests.ui.test_editing import _drag, _key


@pytest.fixture
def annotated_study(synthetic_study, tmp_path) -> Path:
    """A copy of the synthetic study with our SEGs of its true lesions written into its folder."""
    folder = Path(shutil.copytree(synthetic_study, tmp_path / "study"))
    study = only_study(folder)
    write_segmentations(study, truth_records(study, folder), folder / "DICOM")
    return folder


def test_a_study_with_our_seg_opens_with_its_lesions_ready_to_edit(qtbot, window, open_study, annotated_study):
    open_study(window, annotated_study)
    study = window.study
    assert [path.name for path in study.segmentations] == ["SEG_RCC.dcm", "SEG_RMLO.dcm"]
    expected = truth_records(study, annotated_study)
    shown = study_records(window.editor.sets, with_proposals=True)
    assert [(r.view, r.number, r.label, r.note, r.source) for r in shown] == \
        [(r.view, r.number, r.label, r.note, r.source) for r in expected]
    for key, mask in full_masks(expected, study).items():
        assert np.array_equal(full_masks(shown, study)[key], mask), key
    qtbot.waitUntil(lambda: window.editor.lesions is not None and window.editor.view_name == "RCC")
    lesions = window.editor.lesions
    assert lesions is window.editor.sets["RCC"] and lesions.history.take_undo() is None  # a clean start
    assert not any(lesion.source == PROPOSAL for lesion in lesions.lesions.values())
    # Ready to edit: a brush stroke adds to the view, and undo takes it back to what the SEG held.
    before = {i: lesion.mask.copy() for i, lesion in lesions.lesions.items()}
    _key(qtbot, window, Qt.Key.Key_N)
    _key(qtbot, window, Qt.Key.Key_B)
    _drag(qtbot, window, [(20.5, 20.5), (60.5, 20.5)])
    assert len(lesions.lesions) == len(before) + 1
    _key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert {i: lesion.mask for i, lesion in lesions.lesions.items()}.keys() == before.keys()


def test_a_corrupt_seg_and_one_of_another_study_are_explained_and_the_viewer_works_on(
        qtbot, window, open_study, annotated_study, other_study_seg):
    folder = annotated_study / "DICOM"
    (folder / "SEG_RCC.dcm").write_bytes((folder / "SEG_RCC.dcm").read_bytes()[:4000])  # cut short
    shutil.copy(other_study_seg, folder / "SEG_other.dcm")
    open_study(window, annotated_study)
    messages = "\n".join(window.message_bar.messages)
    assert "Lesions not loaded: SEG_RCC.dcm:" in messages
    assert "SEG_other.dcm" not in [path.name for path in window.study.segmentations]  # another study's: skipped
    assert window.editor.sets["RMLO"].lesions  # the sound SEG still counts
    rcc = window.editor.sets.get("RCC")
    assert rcc is None or all(lesion.source == PROPOSAL for lesion in rcc.lesions.values())
    assert len(window.loaded) == 8  # every image still shown
    qtbot.waitUntil(lambda: window.editor.lesions is not None)
    _key(qtbot, window, Qt.Key.Key_B)
    _drag(qtbot, window, [(20.5, 20.5), (60.5, 20.5)])
    assert window.editor.lesions.lesions  # RCC is editable from scratch


@pytest.fixture
def other_study_seg(tmp_path_factory) -> Path:
    from cemviewer.synth.study import write_study

    folder = tmp_path_factory.mktemp("other")
    write_study(folder, seed=8, shape=(480, 400), pixel_spacing_mm=0.5)
    study = only_study(folder)
    return write_segmentations(study, truth_records(study, folder), folder / "seg")[0]


def test_file_export_writes_what_is_on_screen_and_a_failed_write_keeps_the_lesions(
        qtbot, window, open_study, synthetic_study, tmp_path, monkeypatch):
    open_study(window, synthetic_study)
    qtbot.waitUntil(lambda: window.editor.lesions is not None)
    _key(qtbot, window, Qt.Key.Key_B)
    _drag(qtbot, window, [(100.5, 200.5), (175.5, 200.5)])
    painted = next(lesion for lesion in window.editor.lesions.lesions.values() if lesion.source == MANUAL)
    drawn = painted.mask.copy()
    menu = window._menus["File"]
    export_menu = next(action.menu() for action in menu.actions() if action.menu() and action.text() == "Export")
    assert [action.text() for action in export_menu.actions()] == ["DICOM SEG…", "PNG masks…",
                                                                   "Lesion table (CSV/JSON)…", "HTML report…",
                                                                   "PDF report…", "DICOM SR (measurement report)…"]
    # A folder that cannot be made (a file stands where it should be): a message, nothing lost.
    blocked = tmp_path / "blocked"
    blocked.write_text("a file")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args: str(blocked / "out"))
    window.actions_by_key["export_seg"].trigger()
    assert any("Export failed" in message and "blocked" in message for message in window.message_bar.messages)
    assert np.array_equal(painted.mask, drawn) and painted.id in window.editor.lesions.lesions
    # The same export into a usable folder.
    out = tmp_path / "export"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args: str(out))
    window.actions_by_key["export_seg"].trigger()
    assert "Exported 1 lesion as DICOM SEG" in window.statusBar().currentMessage()
    (seg,) = out.glob("SEG_*.dcm")
    assert pydicom.dcmread(seg, stop_before_pixels=True).Modality == "SEG"
    (record,) = import_segmentations(window.study, [seg]).records
    assert np.array_equal(record.full_mask(drawn.shape), drawn)
    window.actions_by_key["export_table"].trigger()
    assert (out / "lesions.csv").is_file() and (out / "lesions.json").is_file()
