"""The Grad-CAM++ heatmap over an image: colour where the malignancy classifier looked, fading to fully transparent
where it did not, so the anatomy outside the hot spots is untouched; the reader sets the overall opacity."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

from cemviewer.imaging.geometry import PixelGrid
from cemviewer.imaging.lesion_marks import HeatImage

COLOUR_MAP = "turbo"  # the usual Grad-CAM colours: cool for weak, red for strong evidence
# Heat below TRANSPARENT_BELOW is not drawn; from there the colour's own opacity grows to full at OPAQUE_FROM.
TRANSPARENT_BELOW = 0.1
OPAQUE_FROM = 0.5
DEFAULT_OPACITY = 0.45
HEATMAP_Z = 10  # above the image, below the outlines


def heat_lut(colour_map: str = COLOUR_MAP) -> np.ndarray:
    """256 x RGBA uint8: the colour map, with alpha ramping up with the heat."""
    heat = np.linspace(0.0, 1.0, 256)
    lut = pg.colormap.get(colour_map).map(heat, mode="byte")[:, :3]
    alpha = np.clip((heat - TRANSPARENT_BELOW) / (OPAQUE_FROM - TRANSPARENT_BELOW), 0.0, 1.0)
    return np.column_stack([lut, np.round(alpha * 255)]).astype(np.uint8)


class HeatmapOverlay:
    def __init__(self, viewbox: pg.ViewBox) -> None:
        self.item = pg.ImageItem(axisOrder="row-major", autoDownsample=False)
        self.item.setZValue(HEATMAP_Z)
        self.item.setOpacity(DEFAULT_OPACITY)
        viewbox.addItem(self.item, ignoreBounds=True)
        self._lut = heat_lut()
        self._shown: tuple[HeatImage, PixelGrid] | None = None

    def show(self, heat: HeatImage | None, grid: PixelGrid | None) -> None:
        """Draw `heat` over an image laid out by `grid`; nothing when either is None."""
        if heat is None or grid is None:
            self.item.clear()
            self._shown = None
            return
        if self._shown is not None and self._shown[0] is heat and self._shown[1] == grid:
            return
        self._shown = (heat, grid)
        self.item.setImage(heat.levels, levels=(0, 255), lut=self._lut)
        width, height = grid.pixel_size
        rows, columns = heat.levels.shape
        self.item.setRect(QRectF(0.0, 0.0, columns * heat.step * width, rows * heat.step * height))

    def set_colour_map(self, colour_map: str) -> None:
        """A pyqtgraph colour map by name (Preferences); the heatmap on screen is redrawn in it."""
        self._lut = heat_lut(colour_map)
        if self._shown is not None:
            self.item.setLookupTable(self._lut)

    def set_visible(self, visible: bool) -> None:
        self.item.setVisible(visible)

    def set_opacity(self, opacity: float) -> None:
        self.item.setOpacity(opacity)

    @property
    def shown(self) -> bool:
        return self._shown is not None and self.item.isVisible()
