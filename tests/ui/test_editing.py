"""ROI editing in the real main window on the synthetic study: real mouse events on the pair view's viewport, the
keyboard shortcuts, the toolbar and the annotation panel, checked against the shared lesion set and the pixels
drawn on both panes."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from cemviewer.ai.pipeline import MODELS_ENV
from cemviewer.editing.lesion_set import ACCEPTED, MALIGNANT, PROPOSAL
from cemviewer.imaging.lesion_marks import LesionMarks, ViewMarks
from cemviewer.ui.edit_overlay import compose
from cemviewer.ui.edit_tools import BRUSH, NAVIGATE, POLYGON

ANALYSIS_TIMEOUT_MS = 180_000
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def editing(qtbot, window, open_study, synthetic_study, tmp_path, monkeypatch):
    """The window on the synthetic study with the lesion AI off (no proposals arrive mid-test), showing RCC."""
    models = tmp_path / "no_models"
    models.mkdir()
    monkeypatch.setenv(MODELS_ENV, str(models))
    open_study(window, synthetic_study)
    qtbot.waitUntil(lambda: window.editor.lesions is not None)
    return window


def _point(window, pane: int, x: float, y: float) -> QPoint:
    """Where image point (x, y) of pane `pane` (0 LE, 1 recombined) lies in the pair view's viewport."""
    scene = window.editor.items[pane].mapToScene(QPointF(x, y))
    return window.pair.mapFromScene(scene)


def _drag(qtbot, window, points, pane: int = 0, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    viewport = window.pair.viewport()
    positions = [_point(window, pane, x, y) for x, y in points]
    qtbot.mousePress(viewport, LEFT, modifier, positions[0])
    for position in positions[1:]:
        qtbot.mouseMove(viewport, position)
    qtbot.mouseRelease(viewport, LEFT, modifier, positions[-1])


def _click(qtbot, window, x: float, y: float, pane: int = 0) -> None:
    _drag(qtbot, window, [(x, y)], pane)


def _key(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(window, key, modifier)


def _wheel(window, position: QPoint, notches: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    viewport = window.pair.viewport()
    event = QWheelEvent(QPointF(position), QPointF(viewport.mapToGlobal(position)), QPoint(0, 0),
                        QPoint(0, 120 * notches), Qt.MouseButton.NoButton, modifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(viewport, event)


def _screen_colour(window, pane: int, x: float, y: float) -> tuple[int, int, int]:
    image = window.pair.grab().toImage()
    where = _point(window, pane, x, y) * window.pair.devicePixelRatioF()
    colour = image.pixelColor(where)
    return colour.red(), colour.green(), colour.blue()


def _assert_overlay_current(window) -> None:
    """The overlay, updated region by region, is what drawing every lesion afresh gives."""
    rows, columns = window.editor.lesions.shape
    fresh = np.zeros((rows, columns), np.uint32)
    compose(window.editor.lesions, (0, 0, columns, rows), fresh)
    assert np.array_equal(window.editor.canvas.pixels, fresh)


def _only_lesion(window):
    [lesion] = window.editor.lesions.lesions.values()
    return lesion


def test_a_brush_stroke_sets_the_pixels_along_it_and_shows_on_both_images(qtbot, editing):
    window = editing
    before = [_screen_colour(window, pane, 175.5, 200.5) for pane in (0, 1)]
    masks = []
    window.editor.roiChanged.connect(lambda lesion_id, mask: masks.append((lesion_id, mask)))
    _key(qtbot, window, Qt.Key.Key_B)
    assert window.editor.tools.tool == BRUSH and window.actions_by_key["tool_brush"].isChecked()
    # Three mouse positions 75 px apart: the stroke joins them without gaps.
    _drag(qtbot, window, [(100.5, 200.5), (175.5, 200.5), (250.5, 200.5)])
    lesion = _only_lesion(window)
    assert window.editor.lesions.active_id == lesion.id
    assert lesion.mask[200, 100:251].all()
    radius = window.editor.tools.radius
    assert not lesion.mask[200 + int(radius) + 2, 175] and lesion.mask[200 + int(radius) - 1, 175]
    assert [lesion_id for lesion_id, _mask in masks] == [lesion.id] and masks[0][1] is lesion.mask
    after = [_screen_colour(window, pane, 175.5, 200.5) for pane in (0, 1)]
    assert after[0] != before[0] and after[1] != before[1]  # drawn on LE and on recombined
    assert window.editor.canvas.pixels[200, 175] != 0 and window.editor.canvas.pixels[50, 50] == 0

    # M hides the lesions to show the tissue under them, and shows them again.
    _key(qtbot, window, Qt.Key.Key_M)
    assert [_screen_colour(window, pane, 175.5, 200.5) for pane in (0, 1)] == before
    _key(qtbot, window, Qt.Key.Key_M)
    assert [_screen_colour(window, pane, 175.5, 200.5) for pane in (0, 1)] == after

    # Painting on the recombined image adds to the same, shared lesion.
    _drag(qtbot, window, [(175.5, 260.5), (175.5, 300.5)], pane=1)
    assert _only_lesion(window).mask[300, 175] and _only_lesion(window).mask[200, 100]


def test_erase_then_undo_and_redo_from_the_keyboard(qtbot, editing):
    window = editing
    _key(qtbot, window, Qt.Key.Key_B)
    _drag(qtbot, window, [(100.5, 200.5), (250.5, 200.5)])
    painted = _only_lesion(window).mask.copy()
    _key(qtbot, window, Qt.Key.Key_E)
    _drag(qtbot, window, [(175.5, 170.5), (175.5, 230.5)])
    erased = _only_lesion(window).mask.copy()
    assert not erased[200, 175] and erased[200, 110] and erased[200, 240]
    _key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(_only_lesion(window).mask, painted)
    _key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert np.array_equal(_only_lesion(window).mask, erased)
    _key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _key(qtbot, window, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(_only_lesion(window).mask, erased)
    assert window.editor.canvas.pixels[200, 175] == 0 and window.editor.canvas.pixels[200, 110] != 0
    _assert_overlay_current(window)


def test_fifty_five_strokes_undo_one_by_one(qtbot, editing):
    window = editing
    _key(qtbot, window, Qt.Key.Key_B)
    spots = [(30.5 + 6 * (i % 50), 60.5 + 7 * (i // 5)) for i in range(55)]
    for x, y in spots:
        _click(qtbot, window, x, y)
    lesion = _only_lesion(window)
    assert all(lesion.mask[int(y), int(x)] for x, y in spots)
    for undone, (x, y) in enumerate(reversed(spots[1:]), start=1):
        _key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert not lesion.mask[int(y), int(x)] or any(
            np.hypot(x - sx, y - sy) <= window.editor.tools.radius + 1 for sx, sy in spots[:-undone]), undone
    assert lesion.mask[int(spots[0][1]), int(spots[0][0])]
    _key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # the 55th: the first stroke
    assert window.editor.lesions.lesions == {}


def test_polygon_and_lasso_fill_their_outlines(qtbot, editing):
    window = editing
    _key(qtbot, window, Qt.Key.Key_P)
    corners = [(80.0, 100.0), (300.0, 120.0), (280.0, 330.0), (100.0, 300.0)]
    for x, y in corners:
        _click(qtbot, window, x, y)
    assert window.editor.tools.points and window.editor.lesions.lesions == {}
    _click(qtbot, window, *corners[0])  # back on the first corner closes it
    xs, ys = np.array(corners).T
    shoelace = 0.5 * abs(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1)))
    polygon = _only_lesion(window)
    # Clicks land on whole screen pixels: a corner may move by a fraction of an image pixel.
    assert window.editor.lesions.area(polygon.id) == pytest.approx(shoelace * 0.25, rel=0.02)

    _key(qtbot, window, Qt.Key.Key_N)  # a new lesion for the lasso
    _key(qtbot, window, Qt.Key.Key_L)
    angles = np.linspace(0.0, 2 * np.pi, 40, endpoint=False)
    loop = [(330.0 + 40 * np.cos(a), 400.0 + 40 * np.sin(a)) for a in angles]
    _drag(qtbot, window, loop)
    lasso = window.editor.lesions.active
    assert lasso.id != polygon.id and lasso.mask[400, 330]
    inscribed = 0.5 * 40 * 40 * np.sin(2 * np.pi / 40) * 40
    assert window.editor.lesions.area(lasso.id) == pytest.approx(inscribed * 0.25, rel=0.04)

    # Shift when closing cuts the outline out of the active lesion.
    _drag(qtbot, window, [(310.0, 380.0), (350.0, 380.0), (350.0, 420.0), (310.0, 420.0)],
          modifier=Qt.KeyboardModifier.ShiftModifier)
    assert not lasso.mask[400, 330] and lasso.mask[400, 365]
    _assert_overlay_current(window)


def test_escape_drops_the_polygon_then_leaves_the_tool(qtbot, editing):
    window = editing
    _key(qtbot, window, Qt.Key.Key_P)
    _click(qtbot, window, 100.0, 100.0)
    _click(qtbot, window, 200.0, 100.0)
    assert window.editor.tools.previews[0].isVisible() and window.editor.tools.previews[1].isVisible()
    _key(qtbot, window, Qt.Key.Key_Escape)
    assert window.editor.tools.points == [] and window.editor.tools.tool == POLYGON
    _key(qtbot, window, Qt.Key.Key_Escape)
    assert window.editor.tools.tool == NAVIGATE and window.actions_by_key["tool_navigate"].isChecked()
    # In Navigate a left drag pans again.
    range_before = window.pair.low_energy.viewbox.viewRange()
    _drag(qtbot, window, [(100.0, 100.0), (150.0, 150.0), (200.0, 200.0)])
    assert window.pair.low_energy.viewbox.viewRange() != range_before and window.editor.lesions.lesions == {}


def test_fill_holes_remove_islands_and_smooth_from_the_edit_menu(qtbot, editing):
    window = editing
    lesions = window.editor.lesions
    window.editor.tools.set_radius(30)
    _key(qtbot, window, Qt.Key.Key_B)
    _click(qtbot, window, 200.5, 200.5)
    window.editor.tools.set_radius(8)
    _key(qtbot, window, Qt.Key.Key_E)
    _click(qtbot, window, 200.5, 200.5)
    lesion = _only_lesion(window)
    assert not lesion.mask[200, 200]
    window.actions_by_key["fill_holes"].trigger()
    assert lesion.mask[200, 200]

    window.editor.tools.set_radius(1)
    _key(qtbot, window, Qt.Key.Key_B)
    _click(qtbot, window, 300.5, 60.5)  # a speck of 1 px (0.25 mm²), apart from the lesion
    assert lesion.mask[60, 300]
    window.actions_by_key["remove_islands"].trigger()
    assert not lesion.mask[60, 300] and lesion.mask[200, 200]

    _key(qtbot, window, Qt.Key.Key_P)  # a spike out of the disc, narrowing to a point
    for corner in [(225.0, 195.0), (262.0, 200.0), (225.0, 205.0), (225.0, 195.0)]:
        _click(qtbot, window, *corner)
    tip = np.flatnonzero(lesion.mask[200]).max()
    assert tip >= 258
    area = lesions.area(lesion.id)
    window.actions_by_key["smooth"].trigger()
    assert np.flatnonzero(lesion.mask[200]).max() < tip and lesion.mask[200, 200]  # the point is blunted
    assert lesions.area(lesion.id) == pytest.approx(area, rel=0.05)
    _key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.flatnonzero(lesion.mask[200]).max() == tip


def test_new_and_delete_lesion_label_and_note_in_the_panel(qtbot, editing):
    window = editing
    panel = window.editor.panel
    assert panel.isVisible() and not panel.label.isEnabled()
    _key(qtbot, window, Qt.Key.Key_B)
    _click(qtbot, window, 100.5, 100.5)
    _key(qtbot, window, Qt.Key.Key_N)
    second = window.editor.lesions.active_id
    _click(qtbot, window, 300.5, 300.5)
    first, later = window.editor.lesions.lesions.values()
    assert later.id == second and later.mask[300, 300] and not first.mask[300, 300]
    assert panel.lesions.count() == 2 and panel.lesions.currentItem().data(Qt.ItemDataRole.UserRole) == second

    panel.label.setCurrentText(MALIGNANT)
    qtbot.mouseClick(panel.note.viewport(), LEFT)
    qtbot.keyClicks(panel.note, "irregular margin")
    assert (later.label, later.note) == (MALIGNANT, "irregular margin")
    assert "malignant" in panel.lesions.currentItem().text()

    # Choosing the first in the list makes it active; the fields follow.
    panel.lesions.setCurrentRow(0)
    assert window.editor.lesions.active_id == first.id and panel.note.toPlainText() == ""
    panel.lesions.setCurrentRow(1)
    window.pair.setFocus()
    _key(qtbot, window, Qt.Key.Key_Delete)
    assert list(window.editor.lesions.lesions) == [first.id] and window.editor.canvas.pixels[300, 300] == 0
    _key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    restored = window.editor.lesions.lesion(second)
    assert (restored.label, restored.note) == (MALIGNANT, "irregular margin") and restored.mask[300, 300]
    assert window.editor.canvas.pixels[300, 300] != 0
    _assert_overlay_current(window)


def test_brush_size_from_the_keys_and_ctrl_wheel_while_the_plain_wheel_zooms(qtbot, editing):
    window = editing
    tools = window.editor.tools
    start = tools.radius
    _key(qtbot, window, Qt.Key.Key_B)
    _key(qtbot, window, Qt.Key.Key_BracketRight)
    assert tools.radius > start
    _key(qtbot, window, Qt.Key.Key_BracketLeft)
    _key(qtbot, window, Qt.Key.Key_BracketLeft)
    assert tools.radius < start
    toolbar = next(child for child in window.findChildren(type(window.addToolBar("probe"))) if child.objectName())
    assert toolbar.radius_box.value() == round(tools.radius)

    over_image = _point(window, 0, 200.0, 200.0)
    qtbot.mouseMove(window.pair.viewport(), over_image)
    assert tools.cursors[0].isVisible() and tools.cursors[1].isVisible()
    radius = tools.radius
    _wheel(window, over_image, 2, Qt.KeyboardModifier.ControlModifier)
    assert tools.radius > radius
    assert tools.cursors[0].rect().width() == pytest.approx(2 * tools.radius)
    view_range = window.pair.low_energy.viewbox.viewRange()
    radius = tools.radius
    _wheel(window, over_image, 1)
    assert tools.radius == radius and window.pair.low_energy.viewbox.viewRange() != view_range

    _key(qtbot, window, Qt.Key.Key_Escape)
    _wheel(window, over_image, 2, Qt.KeyboardModifier.ControlModifier)
    assert tools.radius == radius and not tools.cursors[0].isVisible()


def test_edits_land_on_the_right_pixels_zoomed_in_and_panned(qtbot, editing):
    window = editing
    _key(qtbot, window, Qt.Key.Key_A)  # 1:1
    window.pair.low_energy.viewbox.translateBy(x=-30.0, y=40.0)  # millimetres
    _key(qtbot, window, Qt.Key.Key_B)
    window.editor.tools.set_radius(2)
    (x0, x1), (y0, y1) = window.pair.low_energy.viewbox.viewRange()
    x, y = ((x0 + x1) / 2) / 0.5, ((y0 + y1) / 2) / 0.5  # the view's centre in image pixels (0.5 mm spacing)
    _click(qtbot, window, x, y, pane=1)
    rows, columns = np.nonzero(_only_lesion(window).mask)
    assert abs(rows.mean() - y) < 1.0 and abs(columns.mean() - x) < 1.0


def test_clicking_a_lesion_with_the_brush_selects_it(qtbot, editing):
    window = editing
    lesions = window.editor.lesions
    _key(qtbot, window, Qt.Key.Key_B)
    _click(qtbot, window, 100.5, 100.5)
    first = lesions.active_id
    _key(qtbot, window, Qt.Key.Key_N)
    _click(qtbot, window, 300.5, 300.5)
    assert lesions.active_id != first
    _click(qtbot, window, 102.5, 100.5)
    assert lesions.active_id == first
    active_fill = window.editor.canvas.pixels[100, 100]
    inactive_fill = window.editor.canvas.pixels[300, 300]
    assert active_fill != inactive_fill and active_fill >> 24 > inactive_fill >> 24  # the active one stands out

    # In Navigate a click selects too, and a click on no lesion leaves none active.
    _key(qtbot, window, Qt.Key.Key_Escape)
    _click(qtbot, window, 300.5, 300.5)
    assert lesions.active_id != first and lesions.active_id is not None
    _click(qtbot, window, 200.5, 200.5)
    assert lesions.active_id is None


def test_each_view_keeps_its_own_lesions(qtbot, editing):
    window = editing
    _key(qtbot, window, Qt.Key.Key_B)
    _click(qtbot, window, 150.5, 150.5)
    _key(qtbot, window, Qt.Key.Key_2)
    assert window.view_name == "LCC" and window.editor.lesions.lesions == {}
    assert window.editor.canvas.pixels[150, 150] == 0 and window.editor.panel.lesions.count() == 0
    _key(qtbot, window, Qt.Key.Key_1)
    assert _only_lesion(window).mask[150, 150] and window.editor.canvas.pixels[150, 150] != 0


def test_the_overlay_image_is_made_when_a_lesion_is_first_drawn(qtbot, editing):
    window = editing
    canvas = window.editor.canvas
    assert canvas.image.isNull()  # a study just opened has no lesion: no 29 MB image to blank
    before = [_screen_colour(window, pane, 150.5, 150.5) for pane in (0, 1)]
    _key(qtbot, window, Qt.Key.Key_B)
    _click(qtbot, window, 150.5, 150.5)
    rows, columns = window.editor.lesions.shape
    assert (canvas.image.height(), canvas.image.width()) == (rows, columns)
    after = [_screen_colour(window, pane, 150.5, 150.5) for pane in (0, 1)]
    assert after[0] != before[0] and after[1] != before[1]
    _key(qtbot, window, Qt.Key.Key_2)
    assert canvas.image.isNull()  # LCC has no lesion
    _key(qtbot, window, Qt.Key.Key_1)
    assert not canvas.image.isNull() and canvas.pixels[150, 150] != 0
    _assert_overlay_current(window)


def test_ai_lesions_arrive_as_proposals_to_accept_or_reject(qtbot, window, synthetic_study):
    with qtbot.waitSignal(window.analyser.finished, timeout=ANALYSIS_TIMEOUT_MS):
        window.open_paths([synthetic_study])
    qtbot.waitUntil(lambda: not window.progress.isVisible(), timeout=ANALYSIS_TIMEOUT_MS)
    found = {name: analysis.marks.lesions for name, analysis in window.analyses.items() if analysis.marks.lesions}
    assert found, "the models found no lesion in the synthetic study"
    name, marks = next(iter(found.items()))
    window.select_view(name)
    # They arrive one per turn of the event loop, so that a view with many does not hold the window.
    qtbot.waitUntil(lambda: not window.editor.proposing)
    lesions = window.editor.lesions
    proposals = list(lesions.lesions.values())
    assert [lesion.source for lesion in proposals] == [PROPOSAL] * len(marks)
    for proposal, mark in zip(proposals, marks, strict=True):
        x0, y0, x1, y1 = mark.box
        assert proposal.score == mark.score and proposal.mask[y0:y1, x0:x1].sum() == proposal.mask.sum() > 0
        assert window.editor.canvas.pixels[y0:y1, x0:x1].any()

    target = proposals[0]
    rows, columns = np.nonzero(target.mask)
    inside = (columns[len(columns) // 2] + 0.5, rows[len(rows) // 2] + 0.5)
    # The brush passes over proposals: painting inside one with nothing active starts the annotator's own lesion.
    _key(qtbot, window, Qt.Key.Key_B)
    _click(qtbot, window, *inside)
    own = lesions.active
    assert own.id != target.id and own.mask[int(inside[1]), int(inside[0])]
    assert np.count_nonzero(target.mask) == rows.size
    _key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    # In Navigate a click selects the proposal, and Y accepts it.
    _key(qtbot, window, Qt.Key.Key_Escape)
    _click(qtbot, window, *inside)
    assert lesions.active_id == target.id
    _key(qtbot, window, Qt.Key.Key_B)
    _key(qtbot, window, Qt.Key.Key_Y)
    assert target.source == ACCEPTED and target.editable
    window.editor.tools.set_radius(3)
    right_room = columns.max() + 3 < target.mask.shape[1]  # lesions may touch the image's edge
    outside = (columns.max() + 2.5 if right_room else columns.min() - 2.5, rows[len(rows) // 2] + 0.5)
    assert not target.mask[int(outside[1]), int(outside[0])]
    _drag(qtbot, window, [inside, outside])
    assert target.mask[int(outside[1]), int(outside[0])]  # the accepted lesion grew

    _key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert target.source == PROPOSAL
    window.editor.panel.lesions.setCurrentRow(0)
    _key(qtbot, window, Qt.Key.Key_X)
    assert target.id not in lesions.lesions
    uncovered = target.mask.copy()
    for other in lesions.lesions.values():
        uncovered &= ~other.mask
    assert uncovered.any() and not window.editor.canvas.pixels[uncovered].any()  # no longer drawn


def _marks(count: int) -> ViewMarks:
    """`count` AI lesions as the analyser reports them: 20 px squares along the top-left diagonal."""
    lesions = []
    for number in range(1, count + 1):
        x0 = y0 = 40 * number
        lesions.append(LesionMarks(number, 0.9, 0.5, (x0, y0, x0 + 20, y0 + 20), {}, np.ones((20, 20), bool)))
    return ViewMarks(lesions, None, "cpu")


def test_ai_lesions_still_on_their_way_are_dropped_when_another_study_opens(qtbot, editing):
    window = editing
    editor = window.editor
    grid = window.pair.reference_grid()
    editor.show_view("RMLO", grid, _marks(3))
    assert editor.proposing and len(editor.sets["RMLO"].lesions) < 3  # not all in one go
    qtbot.waitUntil(lambda: not editor.proposing)
    assert [lesion.source for lesion in editor.sets["RMLO"].lesions.values()] == [PROPOSAL] * 3

    editor.show_view("LMLO", grid, _marks(4))
    editor.clear()
    editor.show_view("LMLO", grid, None)
    qtbot.wait(50)
    assert not editor.proposing and editor.lesions.lesions == {}


def test_undo_or_another_view_in_the_middle_of_a_stroke_ends_it(qtbot, editing):
    window = editing
    viewport = window.pair.viewport()
    messages = []
    window.editor.message.connect(messages.append)
    _key(qtbot, window, Qt.Key.Key_B)
    _click(qtbot, window, 100.5, 100.5)
    first = _only_lesion(window).mask.copy()
    qtbot.mousePress(viewport, LEFT, pos=_point(window, 0, 200.5, 200.5))
    qtbot.mouseMove(viewport, _point(window, 0, 220.5, 200.5))
    _key(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undoes the stroke so far
    qtbot.mouseMove(viewport, _point(window, 0, 240.5, 200.5))
    qtbot.mouseRelease(viewport, LEFT, pos=_point(window, 0, 240.5, 200.5))
    assert np.array_equal(_only_lesion(window).mask, first) and messages == ["Undone: paint"]

    qtbot.mousePress(viewport, LEFT, pos=_point(window, 0, 300.5, 300.5))
    _key(qtbot, window, Qt.Key.Key_2)
    qtbot.mouseMove(viewport, _point(window, 0, 320.5, 300.5))
    qtbot.mouseRelease(viewport, LEFT, pos=_point(window, 0, 320.5, 300.5))
    assert window.editor.lesions.lesions == {}  # nothing painted on LCC
    _key(qtbot, window, Qt.Key.Key_1)
    assert _only_lesion(window).mask[300, 300] and not _only_lesion(window).mask[300, 320]
