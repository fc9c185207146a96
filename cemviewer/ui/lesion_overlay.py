"""A view's lesion outlines on one image pane, each in the colour of its malignancy band, with a short label just
above its box: the label sits outside the lesion so it never hides the margin being judged.

A lesion the segmenter outlined on the other image only is drawn here with that outline dashed, so the reader
still sees where to look on this image.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from cemviewer.imaging.geometry import PixelGrid
from cemviewer.imaging.lesion_marks import LesionMarks

# Malignancy bands, highest first: (lower bound, colour). Saturated hues that stay visible on grey anatomy.
# A list changed in place by set_band_colours (Preferences), so every module that imported it sees the new colours.
MALIGNANCY_BANDS = [(0.7, "#ff4040"), (0.3, "#ffb020"), (0.0, "#30d070")]
UNCLASSIFIED_COLOUR = "#8fa8ff"
OUTLINE_WIDTH = 2.0
SELECTED_WIDTH = 3.5
LABEL_POINT_SIZE = 9
# Above the image and the heatmap (cemviewer.ui.heatmap_overlay), below nothing.
OUTLINE_Z = 20
LABEL_Z = 21


def malignancy_colour(malignancy: float | None) -> str:
    if malignancy is None:
        return UNCLASSIFIED_COLOUR
    return next(colour for bound, colour in MALIGNANCY_BANDS if malignancy >= bound)


def set_band_colours(colours: tuple[str, ...]) -> None:
    """The bands' colours, highest band first; outlines drawn from now on use them."""
    MALIGNANCY_BANDS[:] = [(bound, colour) for (bound, _), colour in zip(MALIGNANCY_BANDS, colours, strict=True)]


def scene_polyline(contour: np.ndarray, grid: PixelGrid) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) in the pane's millimetre scene of a (column, row) polyline; pixel centres sit half a pixel in."""
    width, height = grid.pixel_size
    return (contour[:, 0] + 0.5) * width, (contour[:, 1] + 0.5) * height


def label_text(lesion: LesionMarks) -> str:
    malignancy = "–" if lesion.malignancy is None else f"{lesion.malignancy:.2f}"
    return f"#{lesion.number}  score {lesion.score:.2f}  malig. {malignancy}"


class LesionOverlay:
    def __init__(self, viewbox: pg.ViewBox, energy: str) -> None:
        self.viewbox = viewbox
        self.energy = energy  # which of a lesion's outlines belong on this pane
        self.visible = True
        self.curves: dict[int, list[pg.PlotCurveItem]] = {}  # lesion number -> its outline pieces
        self.labels: dict[int, pg.TextItem] = {}
        self._shown: tuple[list[LesionMarks], PixelGrid] | None = None

    def show(self, lesions: list[LesionMarks], grid: PixelGrid | None) -> None:
        """Draw `lesions` on an image laid out by `grid`, replacing what was drawn; nothing when grid is None."""
        if self._shown is not None and self._shown[0] is lesions and self._shown[1] == grid:
            return
        self.clear()
        if grid is None or not lesions:
            return
        self._shown = (lesions, grid)
        font = QFont()
        font.setPointSize(LABEL_POINT_SIZE)
        for lesion in lesions:
            colour = malignancy_colour(lesion.malignancy)
            own = lesion.contours.get(self.energy)
            borrowed = own is None
            contours = next(iter(lesion.contours.values())) if borrowed else own
            style = Qt.PenStyle.DashLine if borrowed else Qt.PenStyle.SolidLine
            pen = pg.mkPen(colour, width=OUTLINE_WIDTH, style=style)
            self.curves[lesion.number] = [self._add(pg.PlotCurveItem(*scene_polyline(contour, grid), pen=pen),
                                                    OUTLINE_Z) for contour in contours]
            label = pg.TextItem(label_text(lesion), color=colour, anchor=(0.0, 1.0), fill=pg.mkBrush(0, 0, 0, 170))
            label.setFont(font)
            width, height = grid.pixel_size
            x0, y0, _x1, _y1 = lesion.box
            label.setPos(x0 * width, y0 * height)  # its bottom-left corner on the box's top-left: above the lesion
            self.labels[lesion.number] = self._add(label, LABEL_Z)

    def clear(self) -> None:
        for item in [*(curve for curves in self.curves.values() for curve in curves), *self.labels.values()]:
            self.viewbox.removeItem(item)
        self.curves.clear()
        self.labels.clear()
        self._shown = None

    def set_visible(self, visible: bool) -> None:
        self.visible = visible
        for item in [*(curve for curves in self.curves.values() for curve in curves), *self.labels.values()]:
            item.setVisible(visible)

    def select(self, number: int | None) -> None:
        """Draw lesion `number`'s outline thicker (None: none)."""
        for lesion_number, curves in self.curves.items():
            for curve in curves:
                pen = pg.mkPen(curve.opts["pen"])
                pen.setWidthF(SELECTED_WIDTH if lesion_number == number else OUTLINE_WIDTH)
                curve.setPen(pen)

    def _add(self, item, z: float):
        item.setZValue(z)
        item.setVisible(self.visible)
        self.viewbox.addItem(item, ignoreBounds=True)
        return item
