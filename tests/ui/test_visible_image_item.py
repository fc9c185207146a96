"""Mapping only the part of the image in view draws exactly what pyqtgraph's ImageItem draws from the whole image."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

from cemviewer.ui.visible_image_item import VisibleImageItem

SHAPE = (1200, 900)
LEVELS = (800.0, 3000.0)
INVERTED_GREYS = np.arange(256, dtype=np.uint8)[::-1].copy()


def _screen(qtbot, item: pg.ImageItem, pixels: np.ndarray) -> pg.GraphicsLayoutWidget:
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    viewbox = widget.addViewBox(lockAspect=True, invertY=True)
    item.setImage(pixels, levels=LEVELS, lut=np.arange(256, dtype=np.uint8))
    viewbox.addItem(item)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _grab(widget: pg.GraphicsLayoutWidget) -> np.ndarray:
    widget.viewport().repaint()
    image = widget.viewport().grab().toImage()
    return np.array(pg.functions.ndarray_from_qimage(image), copy=True)


@pytest.fixture
def pair(qtbot):
    """The same uint16 image on two identical screens: one VisibleImageItem, one plain ImageItem."""
    pixels = np.random.default_rng(0).integers(0, 4096, size=SHAPE).astype(np.uint16)
    items = VisibleImageItem(axisOrder="row-major"), pg.ImageItem(axisOrder="row-major")
    return items, [_screen(qtbot, item, pixels) for item in items]


def _look_at(widgets, x_range, y_range) -> None:
    for widget in widgets:
        widget.getItem(0, 0).setRange(xRange=x_range, yRange=y_range, padding=0.0)


def _set_window(items, levels, lut=INVERTED_GREYS) -> None:
    for item in items:
        item.setLookupTable(lut, update=False)
        item.setLevels(levels)


def test_a_window_change_zoomed_in_maps_only_the_part_in_view_and_draws_the_same(pair):
    (visible, plain), widgets = pair
    _look_at(widgets, (300.0, 500.0), (400.0, 550.0))
    _set_window((visible, plain), (1500.0, 2500.0))
    assert np.array_equal(_grab(widgets[0]), _grab(widgets[1]))
    assert visible.qimage.width() < SHAPE[1] / 2 and visible.qimage.height() < SHAPE[0] / 2
    assert visible.image.shape == SHAPE  # the item still holds the whole image


def test_panning_past_the_mapped_part_and_zooming_out_draw_the_same(pair):
    (visible, plain), widgets = pair
    _look_at(widgets, (300.0, 500.0), (400.0, 550.0))
    _set_window((visible, plain), (1500.0, 2500.0))
    _grab(widgets[0])
    _look_at(widgets, (650.0, 850.0), (1000.0, 1150.0))
    assert np.array_equal(_grab(widgets[0]), _grab(widgets[1]))
    _look_at(widgets, (-100.0, 1000.0), (-50.0, 1250.0))
    assert np.array_equal(_grab(widgets[0]), _grab(widgets[1]))
    assert (visible.qimage.height(), visible.qimage.width()) == SHAPE


def test_images_it_cannot_map_in_parts_are_drawn_whole(qtbot):
    pixels = np.random.default_rng(1).normal(2000.0, 300.0, size=SHAPE).astype(np.float32)
    visible, plain = VisibleImageItem(axisOrder="row-major"), pg.ImageItem(axisOrder="row-major")
    widgets = [_screen(qtbot, item, pixels) for item in (visible, plain)]
    _look_at(widgets, (300.0, 500.0), (400.0, 550.0))
    _set_window((visible, plain), (1500.0, 2500.0))
    assert np.array_equal(_grab(widgets[0]), _grab(widgets[1]))
    assert (visible.qimage.height(), visible.qimage.width()) == SHAPE


def test_a_colour_image_after_a_mapped_part_is_drawn_whole_and_the_same(pair):
    (visible, plain), widgets = pair
    _look_at(widgets, (300.0, 500.0), (400.0, 550.0))
    _set_window((visible, plain), (1500.0, 2500.0))
    _grab(widgets[0])
    colour = np.random.default_rng(2).integers(0, 256, size=(*SHAPE, 3)).astype(np.uint8)
    for item in (visible, plain):
        item.setImage(colour, levels=None, lut=None)
    assert np.array_equal(_grab(widgets[0]), _grab(widgets[1]))
    assert (visible.qimage.height(), visible.qimage.width()) == SHAPE
