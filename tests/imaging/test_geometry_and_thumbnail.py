"""Scene geometry in mm, pixel readouts and thumbnails."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cemviewer.imaging.geometry import PixelGrid, format_value, readout_text, value_at
from cemviewer.imaging.thumbnail import block_mean, thumbnail
from cemviewer.imaging.windowing import window_mapping
from cemviewer.study.model import Energy, ImageRef, MammoImage, WindowPreset


def _image(shape, spacing):
    ref = ImageRef(Path("x.dcm"), "1", "1", "1", "P", "L", "MLO", Energy.RECOMBINED, *shape)
    pixels = np.arange(shape[0] * shape[1], dtype=np.uint16).reshape(shape)
    return MammoImage(ref, pixels, spacing, [WindowPreset(100, 50)], False)


def test_grid_places_pixels_at_their_spacing():
    grid = PixelGrid.of(_image((300, 200), (0.1, 0.05)))
    assert grid.unit == "mm"
    assert grid.pixel_size == (0.05, 0.1)
    assert grid.extent == (10.0, 30.0)
    assert grid.pixel_at(0.0, 0.0) == (0, 0)
    assert grid.pixel_at(9.99, 29.99) == (299, 199)
    assert grid.pixel_at(10.0, 5.0) is None and grid.pixel_at(-0.01, 5.0) is None


def test_grid_without_spacing_takes_its_partners_or_counts_pixels():
    image = _image((30, 20), None)
    assert PixelGrid.of(image, (0.2, 0.2)).extent == (4.0, 6.0)
    bare = PixelGrid.of(image)
    assert bare.unit == "px" and bare.extent == (20.0, 30.0)


def test_value_under_a_point_is_the_pixel_covering_it():
    image = _image((300, 200), (0.1, 0.1))
    grid = PixelGrid.of(image)
    assert value_at(image.pixels, grid, 1.25, 2.05) == 20 * 200 + 12
    assert value_at(image.pixels, grid, 50.0, 2.0) is None


def test_readout_text_gives_mm_pixel_and_values():
    grid = PixelGrid(300, 200, (0.1, 0.1))
    text = readout_text(grid, 1.25, 2.05, [("LE", 4012), ("Recombined", 12.5), ("X", None)])
    assert text.startswith("x 1.2 mm  y 2.0 mm  (col 12, row 20)") or text.startswith("x 1.3 mm  y 2.0 mm  (col 12")
    assert "LE 4012" in text and "Recombined 12.5" in text and "X -" in text


def test_format_value_keeps_integers_whole():
    assert format_value(3.0) == "3" and format_value(7) == "7" and format_value(0.123456) == "0.1235"


def test_block_mean_averages_whole_blocks():
    pixels = np.arange(36, dtype=np.uint16).reshape(6, 6)
    small = block_mean(pixels, max_side=3)
    assert small.shape == (3, 3)
    assert small[0, 0] == np.mean([0, 1, 6, 7])


def test_thumbnail_fits_the_size_and_uses_the_mapping():
    pixels = np.zeros((1000, 800), dtype=np.uint16)
    pixels[:, 400:] = 3000
    thumb = thumbnail(pixels, window_mapping(WindowPreset(1500, 1000)), max_side=200)
    assert thumb.dtype == np.uint8 and max(thumb.shape) <= 200 and thumb.flags.c_contiguous
    assert thumb.shape == (200, 160)
    assert thumb[:, :80].max() == 0 and thumb[:, 80:].min() == 255
