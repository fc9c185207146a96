"""The main window on a real synthetic study: opening, views, linked panes, cursor readout, display commands."""

from __future__ import annotations

import re

import numpy as np
import pydicom
import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from cemviewer.imaging.windowing import window_levels
from cemviewer.study.loader import scan_path
from cemviewer.study.pixels import auto_window, load_image
from cemviewer.ui import theme
from cemviewer.study.dicom_text import person_name


@pytest.fixture(scope="module")
def study_model(synthetic_study):
    [study] = scan_path(synthetic_study).studies
    return study


@pytest.fixture
def opened(window, open_study, synthetic_study):
    open_study(window, synthetic_study)
    return window


def _viewport_point(pane, pair, x: float, y: float) -> QPoint:
    """Where scene point (x, y) of a pane lies in the PairView's viewport."""
    scene = pane.viewbox.mapViewToScene(QPointF(x, y))
    return pair.mapFromScene(scene)


def _drag(qtbot, pair, button, start: QPoint, end: QPoint, steps: int = 5) -> None:
    viewport = pair.viewport()
    qtbot.mousePress(viewport, button, pos=start)
    for i in range(1, steps + 1):
        qtbot.mouseMove(viewport, start + (end - start) * i / steps)
    qtbot.mouseRelease(viewport, button, pos=end)


def test_opening_shows_the_first_view_side_by_side(opened, study_model):
    le, rec = opened.pair.low_energy, opened.pair.recombined
    assert opened.view_name == "RCC"
    rcc = study_model.view("RCC")
    assert le.window.image.ref == rcc.low_energy and rec.window.image.ref == rcc.recombined
    assert le.image_item.image.shape == (rcc.low_energy.rows, rcc.low_energy.columns)
    assert "Low energy" in le.title.text and "RCC" in le.title.text
    assert "Recombined" in rec.title.text and "RCC" in rec.title.text
    assert not le.placeholder.isVisible() and not rec.placeholder.isVisible()
    assert not opened.progress.isVisible()
    assert len(opened.loaded) == 8 and not opened.message_bar.isVisible()


def test_images_are_upright_with_locked_aspect(opened):
    viewbox = opened.pair.low_energy.viewbox
    assert viewbox.state["yInverted"] and viewbox.state["aspectLocked"] == 1.0
    width, height = viewbox.viewPixelSize()
    assert width == pytest.approx(height)


def test_overview_hangs_right_views_left_and_left_views_right(opened):
    tiles = opened.overview.tiles
    layout = opened.overview.layout()
    positions = {name: layout.getItemPosition(layout.indexOf(tile))[:2] for name, tile in tiles.items()}
    assert positions == {"RCC": (0, 0), "LCC": (0, 1), "RMLO": (1, 0), "LMLO": (1, 1)}
    assert all(not tile.picture.pixmap().isNull() for tile in tiles.values())


def test_study_panel_shows_the_patient_from_the_files(qtbot, opened, study_model):
    header = pydicom.dcmread(study_model.view("RCC").low_energy.path, stop_before_pixels=True)
    panel = opened.info
    qtbot.waitUntil(lambda: f"{float(header.PixelSpacing[0]):g} mm" in panel.images.text())
    assert person_name(str(header.PatientName)) in panel.patient.text()
    assert header.PatientID in panel.patient.text()
    assert header.AccessionNumber in panel.study.text()
    assert "RCC" in panel.images.text() and f"{float(header.PixelSpacing[0]):g} mm" in panel.images.text()
    assert f"{float(header.KVP):g} kVp" in panel.images.text()


def test_clicking_a_thumbnail_selects_and_highlights_its_view(qtbot, opened, study_model):
    qtbot.mouseClick(opened.overview.tiles["LMLO"], Qt.MouseButton.LeftButton)
    assert opened.view_name == "LMLO"
    assert opened.pair.recombined.window.image.ref == study_model.view("LMLO").recombined
    lmlo, rcc = opened.overview.tiles["LMLO"], opened.overview.tiles["RCC"]
    assert lmlo.current and lmlo.palette().windowText().color() == QColor(theme.ACCENT) and lmlo.caption.font().bold()
    assert not rcc.current and rcc.palette().windowText().color().alpha() == 0 and not rcc.caption.font().bold()
    assert "LMLO" in opened.pair.low_energy.title.text


def test_keys_step_through_the_views(qtbot, opened):
    qtbot.keyClick(opened, Qt.Key.Key_PageDown)
    assert opened.view_name == "LCC"
    qtbot.keyClick(opened, Qt.Key.Key_Right)
    assert opened.view_name == "RMLO"
    qtbot.keyClick(opened, Qt.Key.Key_PageUp)
    assert opened.view_name == "LCC"
    qtbot.keyClick(opened, Qt.Key.Key_4)
    assert opened.view_name == "LMLO"
    qtbot.keyClick(opened, Qt.Key.Key_PageDown)  # wraps round to the first view
    assert opened.view_name == "RCC"


def test_panning_one_image_pans_the_other_by_the_same_range(qtbot, opened):
    pair = opened.pair
    le, rec = pair.low_energy.viewbox, pair.recombined.viewbox
    before, rec_before = np.array(le.viewRange()), np.array(rec.viewRange())
    centre = _viewport_point(pair.low_energy, pair, *before.mean(axis=1))
    _drag(qtbot, pair, Qt.MouseButton.LeftButton, centre, centre + QPoint(120, 60))
    after = np.array(le.viewRange())
    assert (after[:, 0] < before[:, 0]).all()  # the content followed the mouse right and down
    # Same shift in mm; the panes may differ by a screen pixel in width, hence the tolerance.
    assert np.allclose(np.array(rec.viewRange()) - rec_before, after - before, atol=0.1)


def test_zooming_one_image_zooms_the_other(opened):
    pair = opened.pair
    pair.recombined.viewbox.scaleBy((0.5, 0.5))
    assert np.allclose(pair.low_energy.viewbox.viewRange(), pair.recombined.viewbox.viewRange(), atol=0.5)
    assert np.ptp(pair.low_energy.viewbox.viewRange()[1]) < 0.6 * pair.low_energy.window.image.pixels.shape[0]


def test_cursor_over_one_image_is_marked_on_the_other(qtbot, opened):
    pair = opened.pair
    point = _viewport_point(pair.low_energy, pair, 60.0, 80.0)
    qtbot.mouseMove(pair.viewport(), point)
    marked = pair.low_energy.viewbox.mapSceneToView(pair.mapToScene(point))
    vertical, horizontal = pair.recombined.cursor_lines
    assert vertical.isVisible() and horizontal.isVisible()
    assert vertical.value() == pytest.approx(marked.x()) and horizontal.value() == pytest.approx(marked.y())
    assert not pair.low_energy.cursor_lines[0].isVisible()


def test_status_bar_reads_position_in_mm_and_both_values(qtbot, opened):
    pair = opened.pair
    le_image, rec_image = pair.low_energy.window.image, pair.recombined.window.image
    row_mm, column_mm = le_image.spacing_mm
    row, column = 300, 150
    # Zoom in so a pixel spans several screen pixels and the mouse lands on its centre unambiguously.
    centre = QPointF((column + 0.5) * column_mm, (row + 0.5) * row_mm)
    pair.low_energy.viewbox.setRange(QRectF(centre.x() - 10 * column_mm, centre.y() - 10 * row_mm,
                                            20 * column_mm, 20 * row_mm), padding=0)
    qtbot.mouseMove(pair.viewport(), _viewport_point(pair.recombined, pair, centre.x(), centre.y()))
    text = opened.readout.text()
    assert f"(col {column}, row {row})" in text
    x, y = (float(v) for v in re.search(r"x ([\d.]+) mm  y ([\d.]+) mm", text).groups())
    assert x == pytest.approx(centre.x(), abs=0.06) and y == pytest.approx(centre.y(), abs=0.06)
    assert f"Low energy {le_image.pixels[row, column]}" in text
    assert f"Recombined {rec_image.pixels[row, column]}" in text


def test_right_drag_changes_the_window_of_that_image_only(qtbot, opened):
    pair = opened.pair
    le_levels = tuple(pair.low_energy.image_item.getLevels())
    rec_levels = tuple(pair.recombined.image_item.getLevels())
    start = _viewport_point(pair.low_energy, pair, 80.0, 100.0)
    _drag(qtbot, pair, Qt.MouseButton.RightButton, start, start + QPoint(100, 0))
    low, high = pair.low_energy.image_item.getLevels()
    assert high - low > le_levels[1] - le_levels[0]  # dragged right: wider window
    assert (low + high) / 2 == pytest.approx(sum(le_levels) / 2)
    assert tuple(pair.recombined.image_item.getLevels()) == rec_levels
    qtbot.wait(QApplication.styleHints().mouseDoubleClickInterval() + 100)  # a second press, not a double click
    _drag(qtbot, pair, Qt.MouseButton.RightButton, start, start + QPoint(0, -50))
    moved = pair.low_energy.image_item.getLevels()
    assert (moved[0] + moved[1]) / 2 < (low + high) / 2  # dragged up: lower level, brighter


def test_presets_auto_and_reset_set_the_levels(qtbot, opened):
    pair = opened.pair
    image = pair.low_energy.window.image
    assert len(image.windows) >= 2
    opened.actions_by_key["preset_2"].trigger()
    assert tuple(pair.low_energy.image_item.getLevels()) == pytest.approx(window_levels(image.windows[1]))
    qtbot.keyClick(opened, Qt.Key.Key_F4)
    assert tuple(pair.low_energy.image_item.getLevels()) == pytest.approx(
        window_levels(auto_window(image.pixels, image.invert)))
    qtbot.keyClick(opened, Qt.Key.Key_R)
    assert tuple(pair.low_energy.image_item.getLevels()) == pytest.approx(window_levels(image.windows[0]))
    opened.actions_by_key["preset_3"].trigger()  # the files have two windows: nothing changes, the user is told
    assert tuple(pair.low_energy.image_item.getLevels()) == pytest.approx(window_levels(image.windows[0]))
    assert "no window preset 3" in opened.statusBar().currentMessage()


def test_invert_flips_the_grey_table_of_both_images_and_persists_across_views(qtbot, opened):
    pair = opened.pair
    assert pair.low_energy.image_item.lut[0] == 0
    qtbot.keyClick(opened, Qt.Key.Key_I)
    assert pair.low_energy.image_item.lut[0] == 255 and pair.recombined.image_item.lut[0] == 255
    assert "inverted" in pair.low_energy.title.text
    qtbot.keyClick(opened, Qt.Key.Key_2)
    assert pair.recombined.image_item.lut[0] == 255
    qtbot.keyClick(opened, Qt.Key.Key_I)
    assert pair.recombined.image_item.lut[0] == 0


def test_one_to_one_shows_one_image_pixel_per_screen_pixel_and_fit_shows_it_all(qtbot, opened):
    pair = opened.pair
    image = pair.low_energy.window.image
    row_mm, column_mm = image.spacing_mm
    qtbot.keyClick(opened, Qt.Key.Key_A)
    ratio = pair.devicePixelRatioF()
    width, height = pair.low_energy.viewbox.viewPixelSize()
    assert width == pytest.approx(column_mm * ratio, rel=0.02) and height == pytest.approx(row_mm * ratio, rel=0.02)
    qtbot.keyClick(opened, Qt.Key.Key_F)
    (x0, x1), (y0, y1) = pair.low_energy.viewbox.viewRange()
    rows, columns = image.pixels.shape
    assert x0 <= 0 and y0 <= 0 and x1 >= columns * column_mm and y1 >= rows * row_mm
    assert min(x1 - x0 - columns * column_mm, y1 - y0 - rows * row_mm) < 0.1 * rows * row_mm  # and fills a side


def test_pixels_reach_pyqtgraph_unchanged(opened):
    """Windowing is done by the ImageItem's levels: the array on screen is the modality data itself."""
    item = opened.pair.low_energy.image_item
    assert np.shares_memory(item.image, opened.pair.low_energy.window.image.pixels)
    reloaded = load_image(opened.pair.low_energy.window.image.ref)
    assert np.array_equal(item.image, reloaded.pixels)
