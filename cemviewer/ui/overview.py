"""Thumbnails of the study's views, hung as on a mammography workstation: right breast on the left, left breast on
the right, chest walls meeting in the middle (the images already come flipped that way); CC above MLO.

The four standard views keep their places even when missing, so an absent view is noticed; other projections
(ML, XCCL, ...) follow in further rows, right breast on the left again. Clicking a tile selects its view.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from cemviewer.study.model import Study
from cemviewer.ui import theme

STANDARD_SLOTS = {"RCC": (0, 0), "LCC": (0, 1), "RMLO": (1, 0), "LMLO": (1, 1)}
TILE_WIDTH = 118
TILE_HEIGHT = 142
BORDER_WIDTH = 2  # around the current view's tile


def grey_pixmap(grey: np.ndarray) -> QPixmap:
    rows, columns = grey.shape
    image = QImage(grey.data, columns, rows, grey.strides[0], QImage.Format.Format_Grayscale8)
    return QPixmap.fromImage(image.copy())  # copy: the QImage must not outlive the numpy buffer


class ThumbnailTile(QFrame):
    clicked = Signal(str)

    def __init__(self, view_name: str) -> None:
        super().__init__()
        self.view_name = view_name
        self.present = False
        self.current = False
        self._caption_look: tuple[str, bool] | None = None
        # The current view's border is the frame's, in the palette's colour: a style sheet set on the tiles as the
        # current view changes re-polished them in every open (1-3 ms a tile).
        self.setFrameShape(QFrame.Shape.Box)
        self.setLineWidth(BORDER_WIDTH)
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setFixedSize(TILE_WIDTH, TILE_HEIGHT)
        self.picture.setStyleSheet(f"background: {theme.IMAGE_BACKGROUND}; color: {theme.DIM_TEXT};")
        self.caption = QLabel(view_name)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(3, 3, 3, 3)
        layout.setSpacing(2)
        layout.addWidget(self.picture)
        layout.addWidget(self.caption)

    def show_slot(self, present: bool, text: str) -> None:
        """Waiting for this view's thumbnail (`present`), or standing for a view the study lacks; `text` in the
        picture's place."""
        self.present = present
        self.picture.setText(text)  # also drops an earlier study's thumbnail
        self.setEnabled(present)
        if present:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
            self.setToolTip(f"Show {self.view_name}")
        else:
            self.unsetCursor()
            self.setToolTip("")
        self.set_current(False)

    def set_thumbnail(self, grey: np.ndarray) -> None:
        pixmap = grey_pixmap(grey).scaled(TILE_WIDTH, TILE_HEIGHT, Qt.AspectRatioMode.KeepAspectRatio,
                                          Qt.TransformationMode.SmoothTransformation)
        self.picture.setPixmap(pixmap)

    def set_current(self, current: bool) -> None:
        if current != self.current or self._caption_look is None:
            self.current = current
            theme.set_text_colour(self, QColor(theme.ACCENT) if current else QColor(Qt.GlobalColor.transparent))
        look = (theme.ACCENT if current else (theme.TEXT if self.present else theme.DIM_TEXT), current)
        if look != self._caption_look:
            self._caption_look = look
            theme.set_text_colour(self.caption, look[0])
            font = self.caption.font()
            font.setBold(current)
            self.caption.setFont(font)

    def mouseReleaseEvent(self, event) -> None:
        if self.present and event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.view_name)
        super().mouseReleaseEvent(event)


class ViewOverview(QWidget):
    """The four standard places are there from the start, empty until a study opens, and tiles are reused from
    study to study: the overview keeps its height, so opening a study does not make the main window share the
    side column out anew (a relayout of every side panel, 20-30 ms of the UI thread)."""

    viewSelected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(4, 4, 4, 4)
        self._grid.setSpacing(4)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.tiles: dict[str, ThumbnailTile] = {}
        self.set_study(None)

    def set_study(self, study: Study | None) -> None:
        present = {view.name for view in study.views} if study else set()
        places = dict(STANDARD_SLOTS)
        extra_row = {"R": 2, "L": 2}
        for view in study.views if study else []:
            if view.name not in places:
                side = view.laterality if view.laterality in extra_row else "R"
                places[view.name] = (extra_row[side], 0 if side == "R" else 1)
                extra_row[side] += 1
        for name in [name for name in self.tiles if name not in places]:
            tile = self.tiles.pop(name)
            self._grid.removeWidget(tile)
            tile.deleteLater()
        for name, (row, column) in places.items():
            tile = self.tiles.get(name)
            if tile is None or self._grid.getItemPosition(self._grid.indexOf(tile))[:2] != (row, column):
                if tile is not None:
                    self._grid.removeWidget(tile)
                    tile.deleteLater()
                tile = self.tiles[name] = ThumbnailTile(name)
                tile.clicked.connect(self.viewSelected)
                self._grid.addWidget(tile, row, column)
            tile.show_slot(name in present, ("…" if name in present else "missing") if study else "")

    def set_thumbnail(self, view_name: str, grey: np.ndarray) -> None:
        if view_name in self.tiles:
            self.tiles[view_name].set_thumbnail(grey)

    def set_current(self, view_name: str | None) -> None:
        for name, tile in self.tiles.items():
            tile.set_current(name == view_name)
