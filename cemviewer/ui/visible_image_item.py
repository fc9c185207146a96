"""An ImageItem that maps only the part of its image in view to grey levels.

pyqtgraph's ImageItem maps every pixel of its image whenever the levels or table change. At 1:1 zoom a pane shows
about a tenth of a 3062 x 2394 mammogram, so a window/level step spent most of its time on pixels off screen. This
item maps the rows and columns in view, plus a margin so that small pans reuse the result, and draws that piece in
place. The image it holds is still the whole array (readouts, bounds and tests see the modality data unchanged);
images pyqtgraph's direct QImage path does not take (e.g. signed or float data) are drawn by ImageItem as before.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from pyqtgraph.functions_qimage import try_make_qimage
from PySide6.QtCore import QRectF

# Each side of the mapped piece extends past the view by this fraction of the view's size.
MARGIN_FRACTION = 0.125

Region = tuple[slice, slice]  # rows, columns


class VisibleImageItem(pg.ImageItem):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._region: Region | None = None  # the part of the image self.qimage holds; None: all of it

    def render(self) -> None:
        if self._maps_regions():
            visible = self._visible_region()
            if visible is None:
                return
            region = _with_margin(visible, self.image.shape)
            qimage = try_make_qimage(self.image[region], levels=self.levels, lut=self.lut)
            if qimage is not None:
                self.qimage, self._region = qimage, region
                self._renderRequired = self._unrenderable = False
                return
        self._region = None
        super().render()

    def prepare(self) -> None:
        """Map the image to grey levels now, not in the next paint: an image that arrives in a slot of its own is
        then mapped there, and the paint that follows draws what is ready (two images mapped in one paint had been
        one long stall of the UI thread)."""
        if self.image is not None and self._renderRequired:
            self.render()

    def paint(self, painter, *args) -> None:
        if self.image is None:
            return
        if not self._renderRequired and self._region is not None and not _covers(self._region, self._visible_region()):
            self._renderRequired = True  # panned or zoomed out past the mapped piece
        if self._renderRequired:
            self.render()
            if self._unrenderable or self._renderRequired:
                return
        if self._region is None:
            super().paint(painter, *args)
            return
        if self.paintMode is not None:
            painter.setCompositionMode(self.paintMode)
        rows, columns = self._region
        painter.drawImage(QRectF(columns.start, rows.start, columns.stop - columns.start, rows.stop - rows.start),
                          self.qimage)
        if self.border is not None:
            painter.setPen(self.border)
            painter.drawRect(self.boundingRect())

    def _maps_regions(self) -> bool:
        image = self.image
        return (image is not None and image.ndim == 2 and image.dtype.kind in "ui" and self.axisOrder == "row-major"
                and not self.autoDownsample and (self.lut is None or isinstance(self.lut, np.ndarray)))

    def _visible_region(self) -> Region | None:
        """The rows and columns of the image in view; None when none are (or the item is in no view)."""
        view = self.getViewBox()
        if view is None:
            return None
        # Item coordinates are pixel coordinates: x runs along columns, y along rows.
        rect = self.mapRectFromView(view.viewRect()).normalized()
        rows, columns = self.image.shape[:2]
        top, bottom = max(math.floor(rect.top()), 0), min(math.ceil(rect.bottom()), rows)
        left, right = max(math.floor(rect.left()), 0), min(math.ceil(rect.right()), columns)
        if top >= bottom or left >= right:
            return None
        return slice(top, bottom), slice(left, right)


def _with_margin(region: Region, shape: tuple[int, ...]) -> Region:
    grown = []
    for part, size in zip(region, shape, strict=False):
        margin = math.ceil((part.stop - part.start) * MARGIN_FRACTION)
        grown.append(slice(max(part.start - margin, 0), min(part.stop + margin, size)))
    return grown[0], grown[1]


def _covers(outer: Region, inner: Region | None) -> bool:
    return inner is None or all(o.start <= i.start and i.stop <= o.stop for o, i in zip(outer, inner, strict=True))
