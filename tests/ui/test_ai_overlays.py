"""Lesion AI in the real main window on the synthetic study, with the real models: background analysis, outlines on
both images, the lesion list, the heatmap, cancelling, the findings cache and a viewer that works without AI."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QRectF, Qt, QTimer

from cemviewer.ai.pipeline import CLASSIFIER_FILE, MODELS_ENV, SEGMENTER_FILE, default_models_dir
from cemviewer.services.inference import CANCELLED, FINISHED, FROM_DISK, FROM_MEMORY, FROM_MODEL
from cemviewer.ui.lesion_overlay import malignancy_colour
from cemviewer.ui.main_window import MainWindow

ANALYSIS_TIMEOUT_MS = 120_000


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch) -> Path:
    """An empty findings cache of this test's own: the models have to run."""
    folder = tmp_path / "xdg_cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


def _open_and_analyse(qtbot, window: MainWindow, study: Path) -> None:
    with qtbot.waitSignal(window.analyser.finished, timeout=ANALYSIS_TIMEOUT_MS):
        window.open_paths([study])
    qtbot.waitUntil(lambda: not window.progress.isVisible(), timeout=ANALYSIS_TIMEOUT_MS)  # loader idle too


def _view_with_lesions(window: MainWindow) -> str:
    return next(name for name, analysis in window.analyses.items() if analysis.marks.lesions)


def _scene_box(lesion, pane) -> QRectF:
    width, height = pane.grid.pixel_size
    x0, y0, x1, y1 = lesion.box
    return QRectF(x0 * width, y0 * height, (x1 - x0) * width, (y1 - y0) * height)


def _shows(pane, box: QRectF) -> bool:
    (x0, x1), (y0, y1) = pane.viewbox.viewRange()
    return x0 <= box.left() and box.right() <= x1 and y0 <= box.top() and box.bottom() <= y1


def test_opening_analyses_in_the_background_and_outlines_both_images(qtbot, window, synthetic_study, fresh_cache):
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(5)
    window.open_paths([synthetic_study])
    assert window.analyses == {}  # opening returned at once; the models run elsewhere
    with qtbot.waitSignal(window.analyser.finished, timeout=ANALYSIS_TIMEOUT_MS):
        pass
    timer.stop()
    assert ticks, "the event loop did not run while the study was analysed"
    assert window.analyser.state == FINISHED and window.analyser.model_runs == 4
    assert set(window.analyses) == {"RCC", "LCC", "RMLO", "LMLO"}
    assert {analysis.source for analysis in window.analyses.values()} == {FROM_MODEL}
    assert "AI:" in window.ai_status.text() and "lesion" in window.ai_status.text()

    name = _view_with_lesions(window)
    qtbot.keyClick(window, {"RCC": Qt.Key.Key_1, "LCC": Qt.Key.Key_2, "RMLO": Qt.Key.Key_3, "LMLO": Qt.Key.Key_4}[name])
    lesions = window.analyses[name].marks.lesions
    for pane, overlay in zip(window.pair.panes, window.pair.outlines):
        assert set(overlay.curves) == {lesion.number for lesion in lesions}
        for lesion in lesions:
            box = _scene_box(lesion, pane)
            curves = overlay.curves[lesion.number]
            assert curves and all(curve.isVisible() for curve in curves)
            for curve in curves:
                xs, ys = curve.getData()
                assert box.left() <= xs.min() and xs.max() <= box.right()
                assert box.top() <= ys.min() and ys.max() <= box.bottom()
                assert curve.opts["pen"].color().name() == malignancy_colour(lesion.malignancy)
            label = overlay.labels[lesion.number]
            assert label.textItem.toPlainText().startswith(f"#{lesion.number}  score {lesion.score:.2f}")
            # Anchored by its bottom edge on the box's top edge: the label sits above the lesion, not on it.
            assert (label.pos().x(), label.pos().y()) == pytest.approx((box.left(), box.top()))
            assert label.anchor == pg.Point(0.0, 1.0)


def test_the_lesion_list_fills_and_choosing_a_lesion_zooms_both_images_to_it(qtbot, window, synthetic_study):
    _open_and_analyse(qtbot, window, synthetic_study)
    name = _view_with_lesions(window)
    window.select_view(name)
    lesions = window.analyses[name].marks.lesions
    listing = window.lesion_panel.lesions
    assert listing.count() == len(lesions)
    first = lesions[0]
    assert listing.item(0).text() == f"#1  score {first.score:.2f}  malignancy {first.malignancy:.2f}"

    chosen = lesions[-1]
    row = listing.count() - 1
    before = [np.array(pane.viewbox.viewRange()) for pane in window.pair.panes]
    where = listing.visualItemRect(listing.item(row)).center()
    qtbot.mouseClick(listing.viewport(), Qt.MouseButton.LeftButton, pos=where)
    for pane, old in zip(window.pair.panes, before):
        assert not np.allclose(np.array(pane.viewbox.viewRange()), old)
        assert _shows(pane, _scene_box(chosen, pane))
    for overlay in window.pair.outlines:
        widths = {number: curves[0].opts["pen"].widthF() for number, curves in overlay.curves.items()}
        assert widths[chosen.number] == max(widths.values())
        assert len(lesions) == 1 or sorted(widths.values())[-2] < widths[chosen.number]


def test_heatmap_and_outlines_toggle_and_the_slider_sets_the_heatmap_opacity(qtbot, window, synthetic_study):
    _open_and_analyse(qtbot, window, synthetic_study)
    window.select_view(_view_with_lesions(window))
    heatmap = window.pair.heatmap
    assert heatmap.item.image is not None and not heatmap.item.isVisible()  # drawn, but hidden until asked for
    qtbot.keyClick(window, Qt.Key.Key_H)
    assert heatmap.item.isVisible() and window.actions_by_key["heatmap"].isChecked()
    covered = heatmap.item.mapRectToParent(heatmap.item.boundingRect())
    width, height = window.pair.recombined.grid.extent
    assert covered.left() == 0 and covered.top() == 0 and covered.width() >= width and covered.height() >= height
    assert heatmap.item.image.dtype == np.uint8 and heatmap.item.image.max() > 0
    window.lesion_panel.opacity.setValue(80)
    assert heatmap.item.opacity() == pytest.approx(0.8)
    qtbot.keyClick(window, Qt.Key.Key_H)
    assert not heatmap.item.isVisible()

    curves = [curve for overlay in window.pair.outlines for pieces in overlay.curves.values() for curve in pieces]
    assert curves and all(curve.isVisible() for curve in curves)
    qtbot.keyClick(window, Qt.Key.Key_O)
    assert not any(curve.isVisible() for curve in curves)
    assert not any(label.isVisible() for overlay in window.pair.outlines for label in overlay.labels.values())
    qtbot.keyClick(window, Qt.Key.Key_O)
    assert all(curve.isVisible() for curve in curves)


def test_cancel_stops_the_analysis_and_a_later_run_completes_it(qtbot, window, synthetic_study, fresh_cache):
    with qtbot.waitSignal(window.analyser.progress, timeout=ANALYSIS_TIMEOUT_MS):
        window.open_paths([synthetic_study])
    with qtbot.waitSignal(window.analyser.cancelled, timeout=1000):
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.analyser.state == CANCELLED and "cancelled" in window.ai_status.text()
    qtbot.waitUntil(lambda: not window.analyser._busy, timeout=ANALYSIS_TIMEOUT_MS)
    assert len(window.analyses) <= 1  # at most the view in flight when cancelled
    window.step_view(1)  # the viewer goes on as usual
    assert window.view_name == "LCC"

    with qtbot.waitSignal(window.analyser.finished, timeout=ANALYSIS_TIMEOUT_MS):
        window.actions_by_key["analyse"].trigger()
    assert set(window.analyses) == {"RCC", "LCC", "RMLO", "LMLO"}
    assert window.analyser.model_runs == 4


def test_reopening_a_study_is_served_from_the_memory_cache_then_from_disk(qtbot, window, settings, synthetic_study,
                                                                           fresh_cache):
    _open_and_analyse(qtbot, window, synthetic_study)
    runs = window.analyser.model_runs
    first = {name: analysis.marks for name, analysis in window.analyses.items()}
    _open_and_analyse(qtbot, window, synthetic_study)
    assert window.analyser.model_runs == runs
    assert {analysis.source for analysis in window.analyses.values()} == {FROM_MEMORY}
    assert all(window.analyses[name].marks is marks for name, marks in first.items())
    assert len(list((fresh_cache / "cemviewer" / "findings").glob("*.npz"))) == 4

    later = MainWindow(settings)  # a new session: nothing in memory, the disk cache answers
    qtbot.addWidget(later)
    _open_and_analyse(qtbot, later, synthetic_study)
    assert later.analyser.model_runs == 0
    assert {analysis.source for analysis in later.analyses.values()} == {FROM_DISK}
    for name, marks in first.items():
        assert [lesion.box for lesion in later.analyses[name].marks.lesions] == [lesion.box for lesion in marks.lesions]
    later.close()


@pytest.mark.parametrize("damage", ["empty folder", "corrupt segmenter"])
def test_without_usable_weights_the_viewer_says_so_and_works_on(qtbot, window, synthetic_study, tmp_path,
                                                                 monkeypatch, damage):
    models = tmp_path / "models"
    models.mkdir()
    if damage == "corrupt segmenter":
        (models / SEGMENTER_FILE).write_bytes(b"not a torch file")
        shutil.copy(default_models_dir() / CLASSIFIER_FILE, models / CLASSIFIER_FILE)
    monkeypatch.setenv(MODELS_ENV, str(models))
    said_while_loading = []
    # Connected after the window's own slot: whether the window said it at once, and whether the images were all in.
    window.analyser.failed.connect(lambda _message: said_while_loading.append(
        (window.message_bar.isVisible(), len(window.loaded) == 8)))
    with qtbot.waitSignal(window.analyser.failed, timeout=ANALYSIS_TIMEOUT_MS) as failure:
        window.open_paths([synthetic_study])
    message = failure.args[0]
    assert "Lesion AI is off" in message and str(models / SEGMENTER_FILE) in message
    [(said, all_in)] = said_while_loading
    assert said == all_in  # said once the images are in, never in the middle of their loading
    qtbot.waitUntil(lambda: len(window.loaded) == 8, timeout=ANALYSIS_TIMEOUT_MS)
    assert message in window.message_bar.messages and window.message_bar.isVisible()
    assert "AI: off" in window.ai_status.text() and window.analyses == {}

    qtbot.keyClick(window, Qt.Key.Key_2)
    assert window.view_name == "LCC" and window.pair.low_energy.window.image.ref == window.current_view().low_energy
    levels = tuple(window.pair.low_energy.image_item.getLevels())
    qtbot.keyClick(window, Qt.Key.Key_F4)  # automatic window
    assert tuple(window.pair.low_energy.image_item.getLevels()) != levels
    assert not window.pair.outlines[0].curves and window.pair.heatmap.item.image is None


def test_the_display_switches_are_remembered_for_the_next_session(qtbot, window, settings):
    assert window.actions_by_key["outlines"].isChecked() and not window.actions_by_key["heatmap"].isChecked()
    qtbot.keyClick(window, Qt.Key.Key_H)
    qtbot.keyClick(window, Qt.Key.Key_O)
    window.lesion_panel.opacity.setValue(30)
    later = MainWindow(settings)
    qtbot.addWidget(later)
    assert later.actions_by_key["heatmap"].isChecked() and not later.actions_by_key["outlines"].isChecked()
    assert later.lesion_panel.opacity.value() == 30 and later.pair.heatmap.item.opacity() == pytest.approx(0.3)
    assert later.pair.heatmap.item.isVisible() and not later.pair.outlines[0].visible
