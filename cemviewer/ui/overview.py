"""Thumbnails of the study's views, hung as on a mammography workstation: right breast on the left, left breast on
the right, chest walls meeting in the middle (the images already come flipped that way); CC above MLO.

The four standard views keep their places even when missing, so an absent view is noticed; other projections
(ML, XCCL, ...) follow in further rows, right breast on the left again. Clicking a tile selects its view.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from cemviewer.study.model import Study
from cemviewer.ui import theme

STANDARD_SLOTS = {"RCC": (0, 0), "LCC": (0, 1), "RMLO": (1, 0), "LMLO": (1, 1)}
TILE_WIDTH = 118
TILE_HEIGHT = 142


def grey_pixmap(grey: np.ndarray) -> QPixmap:
    rows, columns = grey.shape
    image = QImage(grey.data, columns, rows, grey.strides[0], QImage.Format.Format_Grayscale8)
    return QPixmap.fromImage(image.copy())  # copy: the QImage must not outlive the numpy buffer


class ThumbnailTile(QFrame):
    clicked = Signal(str)

    def __init__(self, view_name: str, present: bool) -> None:
        super().__init__()
        self.view_name = view_name
        self.present = present
        self.picture = QLabel("…" if present else "missing")
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
        self.setEnabled(present)
        if present:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
            self.setToolTip(f"Show {view_name}")
        self.set_current(False)

    def set_thumbnail(self, grey: np.ndarray) -> None:
        pixmap = grey_pixmap(grey).scaled(TILE_WIDTH, TILE_HEIGHT, Qt.AspectRatioMode.KeepAspectRatio,
                                          Qt.TransformationMode.SmoothTransformation)
        self.picture.setPixmap(pixmap)

    def set_current(self, current: bool) -> None:
        border = theme.ACCENT if current else "transparent"
        self.setStyleSheet(f"ThumbnailTile {{ border: 2px solid {border}; border-radius: 3px; }}")
        color = theme.ACCENT if current else (theme.TEXT if self.present else theme.DIM_TEXT)
        self.caption.setStyleSheet(f"color: {color}; font-weight: {'bold' if current else 'normal'};")

    def mouseReleaseEvent(self, event) -> None:
        if self.present and event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.view_name)
        super().mouseReleaseEvent(event)


class ViewOverview(QWidget):
    viewSelected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(4, 4, 4, 4)
        self._grid.setSpacing(4)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.tiles: dict[str, ThumbnailTile] = {}

    def set_study(self, study: Study | None) -> None:
        for tile in self.tiles.values():
            tile.deleteLater()
        self.tiles = {}
        if study is None:
            return
        present = {view.name for view in study.views}
        places = dict(STANDARD_SLOTS)
        extra_row = {"R": 2, "L": 2}
        for view in study.views:
            if view.name not in places:
                side = view.laterality if view.laterality in extra_row else "R"
                places[view.name] = (extra_row[side], 0 if side == "R" else 1)
                extra_row[side] += 1
        for name, (row, column) in places.items():
            tile = ThumbnailTile(name, name in present)
            tile.clicked.connect(self.viewSelected)
            self._grid.addWidget(tile, row, column)
            self.tiles[name] = tile

    def set_thumbnail(self, view_name: str, grey: np.ndarray) -> None:
        if view_name in self.tiles:
            self.tiles[view_name].set_thumbnail(grey)

    def set_current(self, view_name: str | None) -> None:
        for name, tile in self.tiles.items():
            tile.set_current(name == view_name)
