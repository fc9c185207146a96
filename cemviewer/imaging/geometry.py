"""Where an image lies in the viewer's shared coordinate system, and what lies under a point of it.

The LE and recombined images of a view are placed in one coordinate system measured in millimetres from the
image's top-left corner (x to the right, y downwards), so linked panning, the linked cursor and measurements
agree even when the two images differ in pixel count. Without a pixel spacing the unit is the pixel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cemviewer.study.model import MammoImage


@dataclass(frozen=True)
class PixelGrid:
    rows: int
    columns: int
    spacing_mm: tuple[float, float] | None  # (row, column)

    @classmethod
    def of(cls, image: MammoImage, fallback_spacing_mm: tuple[float, float] | None = None) -> PixelGrid:
        """The grid of `image`; `fallback_spacing_mm` (its partner's) stands in when its file gives none."""
        rows, columns = image.pixels.shape
        return cls(rows, columns, image.spacing_mm or fallback_spacing_mm)

    @property
    def unit(self) -> str:
        return "mm" if self.spacing_mm else "px"

    @property
    def pixel_size(self) -> tuple[float, float]:
        """(width, height) of one pixel in scene units."""
        if self.spacing_mm is None:
            return 1.0, 1.0
        row_mm, column_mm = self.spacing_mm
        return column_mm, row_mm

    @property
    def extent(self) -> tuple[float, float]:
        """(width, height) of the whole image in scene units."""
        width, height = self.pixel_size
        return self.columns * width, self.rows * height

    def pixel_at(self, x: float, y: float) -> tuple[int, int] | None:
        """(row, column) of the pixel covering scene point (x, y); None outside the image."""
        width, height = self.pixel_size
        column, row = math.floor(x / width), math.floor(y / height)
        if 0 <= row < self.rows and 0 <= column < self.columns:
            return row, column
        return None


def value_at(pixels: np.ndarray, grid: PixelGrid, x: float, y: float) -> float | int | None:
    """The modality value under scene point (x, y), as a Python number; None outside the image."""
    where = grid.pixel_at(x, y)
    return None if where is None else pixels[where].item()


def format_value(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) or float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.4g}"


def format_position(grid: PixelGrid, x: float, y: float) -> str:
    """'x 12.3 mm  y 45.6 mm  (col 123, row 456)'; the pixel part only over the image."""
    decimals = 1 if grid.spacing_mm else 0
    text = f"x {x:.{decimals}f} {grid.unit}  y {y:.{decimals}f} {grid.unit}"
    where = grid.pixel_at(x, y)
    if where is not None and grid.spacing_mm:
        text += f"  (col {where[1]}, row {where[0]})"
    return text


def readout_text(grid: PixelGrid, x: float, y: float, values: list[tuple[str, float | int | None]]) -> str:
    """Status-bar text for the cursor: position, then each labelled value, e.g. 'LE 2345  Recombined 512'."""
    parts = [format_position(grid, x, y)] + [f"{label} {format_value(value)}" for label, value in values]
    return "    ".join(parts)
