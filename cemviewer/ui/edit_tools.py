"""The editing tools on the image pair: the mouse paints, erases or draws a polygon or lasso while a tool is on,
and pans as before in Navigate.

Only the left button changes meaning: the middle button still pans, the right button still sets window/level and
the wheel still zooms, so an annotator can move around without leaving the tool; Ctrl+wheel sizes the brush. Mouse
positions are mapped through the pane's overlay item, whose coordinates are image pixels, so edits land on the
right pixels at any zoom and pan.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsPathItem

from cemviewer.editing.lesion_set import EditError, LesionSet
from cemviewer.editing.mask_ops import Point
from cemviewer.ui.edit_overlay import MaskOverlayItem

NAVIGATE, BRUSH, ERASER, POLYGON, LASSO = "navigate", "brush", "eraser", "polygon", "lasso"
TOOLS = (NAVIGATE, BRUSH, ERASER, POLYGON, LASSO)
PAINT_TOOLS = (BRUSH, ERASER)
OUTLINE_TOOLS = (POLYGON, LASSO)

# Brush radius in image pixels: 15 px is about 1 mm on a full-field detector.
DEFAULT_RADIUS = 15.0
MIN_RADIUS, MAX_RADIUS = 1.0, 400.0
RADIUS_STEP = 1.2  # factor per [ or ] press or Ctrl+wheel notch
WHEEL_NOTCH = 120  # angleDelta of one wheel notch
CLOSE_DISTANCE = 8.0  # screen pixels: a click this close to a polygon's first vertex closes it
CLICK_SLOP = 3  # screen pixels a Navigate click may move and still select rather than pan
# Above the lesion overlay and the AI's outlines.
TOOL_Z = 30

BRUSH_PEN = "#ffffff"
ERASER_PEN = "#ff9090"
OUTLINE_PEN = "#ffe060"
CURSOR_HALO = "#000000"


def _cosmetic_pen(colour: str, style=Qt.PenStyle.SolidLine, width: float = 1.5) -> QPen:
    pen = QPen(QColor(colour), width, style)
    pen.setCosmetic(True)  # the same width on screen at any zoom
    return pen


class EditTools(QObject):
    toolChanged = Signal(str)
    radiusChanged = Signal(float)
    message = Signal(str)  # for the status bar: why a click did nothing

    def __init__(self, pair, items: tuple[MaskOverlayItem, ...], lesions: Callable[[], LesionSet | None]) -> None:
        super().__init__(pair)
        self.pair = pair
        self.items = items  # one per pane, in pane order
        self._lesions = lesions
        self.tool = NAVIGATE
        self.radius = DEFAULT_RADIUS
        self.points: list[Point] = []  # the polygon or lasso being drawn
        self._stroke_pane: int | None = None  # the pane a brush stroke started on, while the button is down
        self._lasso_down = False
        self._holding = False  # the left button went down on an image with a tool on: its release is ours too
        self._click_start: QPointF | None = None  # where the left button went down in Navigate
        self._hover: Point | None = None
        # The brush outline: a light ring over a dark one, visible on bright and dark tissue alike.
        self._cursor_halos = [QGraphicsEllipseItem(item) for item in items]
        self.cursors = [QGraphicsEllipseItem(item) for item in items]
        self.previews = [QGraphicsPathItem(item) for item in items]
        for halo in self._cursor_halos:
            halo.setPen(_cosmetic_pen(CURSOR_HALO, width=3.5))
        for shape in (*self._cursor_halos, *self.cursors, *self.previews):
            shape.setZValue(TOOL_Z)
            shape.setVisible(False)
            shape.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        for preview in self.previews:
            preview.setPen(_cosmetic_pen(OUTLINE_PEN, Qt.PenStyle.DashLine))
        pair.viewport().installEventFilter(self)

    # --- commands -------------------------------------------------------------------------------------------

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"Unknown edit tool {tool!r}; the tools are {', '.join(TOOLS)}")
        self.interrupt()
        self.tool = tool
        if tool == NAVIGATE:
            self.pair.viewport().unsetCursor()
        else:
            self.pair.viewport().setCursor(Qt.CursorShape.CrossCursor)
        pen = _cosmetic_pen(ERASER_PEN if tool == ERASER else BRUSH_PEN)
        for cursor in self.cursors:
            cursor.setPen(pen)
        self._show_cursor()
        self.toolChanged.emit(tool)

    def escape(self) -> bool:
        """Esc: drop a polygon being drawn, else go back to Navigate; False when there was nothing to leave."""
        if self.points:
            self.cancel_outline()
            return True
        if self.tool != NAVIGATE:
            self.set_tool(NAVIGATE)
            return True
        return False

    def set_radius(self, radius: float) -> None:
        radius = min(max(float(radius), MIN_RADIUS), MAX_RADIUS)
        if radius != self.radius:
            self.radius = radius
            self._show_cursor()
            self.radiusChanged.emit(radius)

    def resize_brush(self, steps: float) -> None:
        """Grow (steps > 0) or shrink the brush by RADIUS_STEP per step, by at least a pixel."""
        radius = self.radius * RADIUS_STEP ** steps
        if abs(radius - self.radius) < 1.0:
            radius = self.radius + math.copysign(1.0, steps)
        self.set_radius(round(radius))

    def interrupt(self) -> None:
        """End a stroke and drop an outline under way (another view is coming on screen)."""
        self._finish_stroke()
        self.cancel_outline()

    def cancel_outline(self) -> None:
        self.points = []
        self._lasso_down = False
        self._show_preview()

    # --- mouse ----------------------------------------------------------------------------------------------

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Leave:
            self._hover = None
            self._show_cursor()
            return False
        if self.tool == NAVIGATE:
            self._navigate_click(event)
            return False
        if kind == QEvent.Type.Wheel:
            return self._wheel(event)
        if kind not in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick, QEvent.Type.MouseMove,
                        QEvent.Type.MouseButtonRelease):
            return False
        position = event.position()
        if kind == QEvent.Type.MouseMove:
            return self._move(position)
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if kind == QEvent.Type.MouseButtonRelease:
            self._release(shift)
            held, self._holding = self._holding, False
            return held
        self._holding = self._press(position, kind == QEvent.Type.MouseButtonDblClick, shift)
        return self._holding

    def _navigate_click(self, event) -> None:
        """In Navigate a left click without a drag selects the lesion under it (none: no lesion is active);
        the press and release still go on to pan."""
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            self._click_start = event.position()
        elif kind == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            start, self._click_start = self._click_start, None
            moved = start is None or (event.position() - start).manhattanLength() > CLICK_SLOP
            lesions, located = self._lesions(), self._locate(event.position())
            if not moved and lesions is not None and located is not None:
                lesions.select(lesions.lesion_at(*located[1]))

    def _press(self, position: QPointF, double: bool, shift: bool) -> bool:
        lesions, located = self._lesions(), self._locate(position)
        if lesions is None or located is None:
            return False  # not over an image: the press pans as in Navigate
        pane, point = located
        if self.tool in PAINT_TOOLS:
            self._begin_stroke(lesions, pane, point)
        elif self.tool == POLYGON:
            if double or (len(self.points) >= 3 and self._near_first(position, pane)):
                self._close_outline(shift)
            else:
                self.points.append(point)
                self._show_preview()
        else:  # LASSO
            self.points = [point]
            self._lasso_down = True
        return True

    def _move(self, position: QPointF) -> bool:
        located = self._locate(position, self._stroke_pane)
        self._hover = located[1] if located else None
        self._show_cursor()
        if self._stroke_pane is not None:
            lesions = self._lesions()
            if lesions is None or not lesions.stroking:  # undone or switched view mid-stroke
                self._stroke_pane = None
            else:
                self._edit(lambda lesions: lesions.stroke_to(located[1]))
                return True
        if self._lasso_down and located is not None:
            self.points.append(located[1])
        if self.points:
            self._show_preview()
        return self._lasso_down

    def _release(self, shift: bool) -> None:
        self._finish_stroke()
        if self._lasso_down:
            self._close_outline(shift)

    def _wheel(self, event) -> bool:
        if self.tool not in PAINT_TOOLS or not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            return False
        self.resize_brush(event.angleDelta().y() / WHEEL_NOTCH)
        return True

    # --- edits ----------------------------------------------------------------------------------------------

    def _begin_stroke(self, lesions: LesionSet, pane: int, point: Point) -> None:
        """Paint into the editable lesion clicked on, else into the active lesion, else a new one. AI proposals
        are passed over: a large one must not stop the annotator painting their own lesion inside it."""
        clicked = lesions.lesion_at(*point, editable_only=True)
        erase = self.tool == ERASER
        started = self._edit(lambda lesions: lesions.begin_stroke(self.radius, erase, clicked))
        if started is None:
            self.message.emit("Select a lesion to erase from")
            return
        self._stroke_pane = pane
        self._edit(lambda lesions: lesions.stroke_to(point))

    def _finish_stroke(self) -> None:
        if self._stroke_pane is not None:
            self._stroke_pane = None
            self._edit(lambda lesions: lesions.end_stroke())

    def _close_outline(self, erase: bool) -> None:
        points, self.points, self._lasso_down = self.points, [], False
        self._show_preview()
        if len(points) < 3:
            self.message.emit("An outline needs at least three points")
            return
        if self._edit(lambda lesions: lesions.fill_polygon(points, erase=erase)) is None:
            self.message.emit("The outline encloses no pixel to change")

    def _edit(self, change: Callable[[LesionSet], object]):
        lesions = self._lesions()
        if lesions is None:
            return None
        try:
            return change(lesions)
        except EditError as error:
            self.message.emit(str(error))
            return None

    # --- where the mouse is, and what follows it ------------------------------------------------------------

    def _locate(self, position: QPointF, pane: int | None = None) -> tuple[int, Point] | None:
        """(pane index, image point) under viewport `position`: in pane `pane` when given (a stroke keeps to its
        pane), else in the pane under it with an image; None when there is none."""
        scene = self.pair.viewportTransform().inverted()[0].map(position)
        if pane is None:
            pane = next((i for i, p in enumerate(self.pair.panes)
                         if p.grid is not None and p.viewbox.sceneBoundingRect().contains(scene)), None)
            if pane is None:
                return None
        local = self.items[pane].mapFromScene(scene)
        return pane, (local.x(), local.y())

    def _near_first(self, position: QPointF, pane: int) -> bool:
        first = self.items[pane].mapToScene(QPointF(*self.points[0]))
        screen = self.pair.viewportTransform().map(first)
        return math.hypot(screen.x() - position.x(), screen.y() - position.y()) <= CLOSE_DISTANCE

    def _show_cursor(self) -> None:
        shown = self.tool in PAINT_TOOLS and self._hover is not None
        for ring in (*self._cursor_halos, *self.cursors):
            ring.setVisible(shown)
            if shown:
                x, y = self._hover
                ring.setRect(QRectF(x - self.radius, y - self.radius, 2 * self.radius, 2 * self.radius))

    def _show_preview(self) -> None:
        path = QPainterPath()
        if self.points:
            path.moveTo(*self.points[0])
            for point in self.points[1:]:
                path.lineTo(*point)
            if self.tool == POLYGON and self._hover is not None:
                path.lineTo(*self._hover)
        for preview in self.previews:
            preview.setPath(path)
            preview.setVisible(bool(self.points))
