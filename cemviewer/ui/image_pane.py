"""One image of the side-by-side pair: a title, a ViewBox with the image, a placeholder and a linked cursor."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import QFont

from cemviewer.imaging.geometry import PixelGrid, value_at
from cemviewer.imaging.pyramid import level_for
from cemviewer.imaging.windowing import WindowState
from cemviewer.services.study_loader import LoadedImage
from cemviewer.ui import theme
from cemviewer.ui.visible_image_item import VisibleImageItem

# Padding around a fitted image, as a fraction of its size: the skin line stays clear of the pane edge.
FIT_PADDING = 0.02


class WindowingViewBox(pg.ViewBox):
    """A ViewBox where a right-drag adjusts window/level instead of zooming; left and middle drag pan, the wheel
    zooms. Reports the drag in screen pixels so its feel does not depend on the zoom."""

    sigWindowDrag = Signal(float, float)

    def __init__(self) -> None:
        super().__init__(lockAspect=True, invertY=True, enableMenu=False, defaultPadding=FIT_PADDING)

    def mouseDragEvent(self, ev, axis=None) -> None:
        if ev.button() != Qt.MouseButton.RightButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        delta = ev.screenPos() - ev.lastScreenPos()
        self.sigWindowDrag.emit(delta.x(), delta.y())


class _Title(pg.LabelItem):
    """A one-line title that never widens its column, so the two images get equal halves whatever their titles
    say (a LabelItem asks for the width of its text)."""

    def updateMin(self) -> None:
        super().updateMin()
        self.setMinimumWidth(0)

    def sizeHint(self, hint, constraint) -> QSizeF:
        size = super().sizeHint(hint, constraint)
        return size if hint == Qt.SizeHint.MaximumSize else QSizeF(0.0, size.height())


class ImagePane:
    """Shows one image (or a placeholder saying why there is none) with its window in the title."""

    def __init__(self, layout: pg.GraphicsLayout, column: int, label: str) -> None:
        self.label = label
        self.title = _Title("", color=theme.TEXT, size="11pt", justify="left")
        self.viewbox = WindowingViewBox()
        layout.addItem(self.title, row=0, col=column)
        layout.addItem(self.viewbox, row=1, col=column)
        # Zoomed out, a pre-halved level of the image is drawn (see cemviewer.imaging.pyramid) instead of letting
        # pyqtgraph reduce the full image again on every window/level change; zoomed in, only the part in view is
        # mapped to grey levels.
        self.image_item = VisibleImageItem(axisOrder="row-major", autoDownsample=False)
        self.viewbox.addItem(self.image_item)
        self.placeholder = pg.TextItem("", color=theme.DIM_TEXT, anchor=(0.5, 0.5))
        self.placeholder.setFont(QFont(QFont().family(), 13))
        self.viewbox.addItem(self.placeholder, ignoreBounds=True)
        pen = pg.mkPen(theme.ACCENT, width=1, style=Qt.PenStyle.DashLine)
        self.cursor_lines = (pg.InfiniteLine(angle=90, pen=pen), pg.InfiniteLine(angle=0, pen=pen))
        for line in self.cursor_lines:
            line.setVisible(False)
            self.viewbox.addItem(line, ignoreBounds=True)
        self.viewbox.sigRangeChanged.connect(self._centre_placeholder)
        self.viewbox.sigRangeChanged.connect(self._draw_level_for_zoom)
        self.viewbox.sigResized.connect(self._draw_level_for_zoom)
        self.window: WindowState | None = None
        self.grid: PixelGrid | None = None
        self.level: int | None = None  # the pyramid level on screen
        self._pyramid: list[np.ndarray] = []
        self._view_name = ""

    def show_image(self, view_name: str, loaded: LoadedImage, grid: PixelGrid) -> None:
        self._view_name = view_name
        if loaded.window is not self.window or grid != self.grid:
            self.window, self.grid, self._pyramid, self.level = loaded.window, grid, loaded.pyramid, None
            self._draw_level_for_zoom()
        else:
            self.refresh_window()
        self.placeholder.setVisible(False)
        self._update_title()

    def show_placeholder(self, view_name: str, text: str) -> None:
        self._view_name = view_name
        self.window, self.grid, self._pyramid, self.level = None, None, [], None
        self.image_item.clear()
        self.placeholder.setText(text)
        self.placeholder.setVisible(True)
        self._centre_placeholder()
        self._update_title()

    def refresh_window(self) -> None:
        """Re-apply the image's grey mapping: pyqtgraph re-renders from the same pixels with new levels."""
        if self.window is None:
            return
        mapping = self.window.mapping()
        self.image_item.setLookupTable(mapping.lut, update=False)
        self.image_item.setLevels(mapping.levels)
        self._update_title()

    def _draw_level_for_zoom(self) -> None:
        if self.window is None:
            return
        screen = self.viewbox.getViewWidget()
        device_ratio = screen.devicePixelRatioF() if screen is not None else 1.0
        scene_per_screen_pixel = self.viewbox.viewPixelSize()[0] / device_ratio
        level = level_for(scene_per_screen_pixel / self.grid.pixel_size[0], len(self._pyramid))
        if level == self.level:
            return
        self.level = level
        pixels = self._pyramid[level]
        mapping = self.window.mapping()
        self.image_item.setImage(pixels, levels=mapping.levels, lut=mapping.lut)
        # A level covers 2**level original pixels per pixel; an odd edge row or column was dropped when halving.
        width, height = self.grid.pixel_size
        self.image_item.setRect(QRectF(0.0, 0.0, pixels.shape[1] * width * 2**level,
                                       pixels.shape[0] * height * 2**level))

    def value_at(self, x: float, y: float) -> float | int | None:
        if self.window is None:
            return None
        return value_at(self.window.image.pixels, self.grid, x, y)

    def show_cursor(self, point: QPointF | None) -> None:
        for line in self.cursor_lines:
            line.setVisible(point is not None)
        if point is not None:
            self.cursor_lines[0].setValue(point.x())
            self.cursor_lines[1].setValue(point.y())

    def _update_title(self) -> None:
        name = f"<b>{self.label}</b>&nbsp;&nbsp;{self._view_name}"
        if self.window is not None:
            name += f"&nbsp;&nbsp;&nbsp;<span style='color:{theme.DIM_TEXT}'>{self.window.describe()}</span>"
        if name != self.title.text:  # a LabelItem lays its rich text out anew on every setText
            self.title.setText(name)

    def _centre_placeholder(self) -> None:
        (x0, x1), (y0, y1) = self.viewbox.viewRange()
        self.placeholder.setPos((x0 + x1) / 2.0, (y0 + y1) / 2.0)
