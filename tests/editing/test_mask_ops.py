"""Mask operations on plain arrays: brush capsules, polygons, holes, islands, smoothing."""

from __future__ import annotations

import math

import numpy as np
import pytest
from skimage.draw import disk

from cemviewer.editing import mask_ops

SHAPE = (200, 300)


def _paint(shape_and_footprint, mask=None) -> np.ndarray:
    mask = np.zeros(SHAPE, bool) if mask is None else mask
    box, footprint = shape_and_footprint
    mask[mask_ops.box_slices(box)] |= footprint
    return mask


def test_a_dab_is_a_disc_of_the_radius():
    mask = _paint(mask_ops.capsule((100.0, 80.0), (100.0, 80.0), 10.0, SHAPE))
    assert mask.sum() == pytest.approx(math.pi * 10**2, rel=0.05)
    assert mask[80, 100] and not mask[80, 111] and not mask[91, 100]
    assert mask_ops.bounding_box(mask) == (90, 70, 110, 90)


def test_a_segment_between_distant_mouse_positions_leaves_no_gap():
    mask = _paint(mask_ops.capsule((20.5, 50.5), (250.5, 50.5), 3.0, SHAPE))
    assert mask[50, 20:251].all()
    assert mask.sum() == pytest.approx(230 * 7 + math.pi * 9, rel=0.05)
    # A diagonal one too: every row between the ends is crossed.
    diagonal = _paint(mask_ops.capsule((10.0, 10.0), (150.0, 190.0), 1.0, SHAPE))
    assert all(diagonal[row].any() for row in range(10, 190))


def test_capsule_off_the_image_is_none_and_at_the_edge_is_clipped():
    assert mask_ops.capsule((-50.0, -50.0), (-40.0, -40.0), 5.0, SHAPE) is None
    box, footprint = mask_ops.capsule((0.0, 0.0), (0.0, 0.0), 5.0, SHAPE)
    assert box[:2] == (0, 0) and footprint.shape == (box[3], box[2])


def test_polygon_area_matches_the_shoelace_area():
    points = [(30.0, 20.0), (220.0, 40.0), (180.0, 170.0), (60.0, 150.0)]
    mask = _paint(mask_ops.polygon(points, SHAPE))
    xs, ys = np.array(points).T
    shoelace = 0.5 * abs(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1)))
    assert mask.sum() == pytest.approx(shoelace, rel=0.02)
    assert mask_ops.polygon(points[:2], SHAPE) is None


def test_filled_holes_fills_a_ring():
    disc = np.zeros((60, 60), bool)
    disc[disk((30, 30), 20)] = True
    ring = disc.copy()
    ring[disk((30, 30), 8)] = False
    assert np.array_equal(mask_ops.filled_holes(ring), disc)


def test_without_islands_keeps_the_large_parts():
    mask = np.zeros((80, 80), bool)
    mask[10:40, 10:40] = True  # 900 px
    mask[60:63, 60:63] = True  # 9 px
    mask[70, 20] = True  # 1 px
    kept = mask_ops.without_islands(mask, 10)
    assert kept.sum() == 900 and kept[10:40, 10:40].all()
    assert not mask_ops.without_islands(np.zeros((5, 5), bool), 3).any()


def test_smoothed_drops_a_spur_and_keeps_the_area():
    mask = np.zeros((100, 100), bool)
    mask[30:70, 30:70] = True
    mask[49, 70:90] = True  # a one-pixel spur
    smooth = mask_ops.smoothed(mask, 2.0)
    assert not smooth[49, 80]
    assert smooth.sum() == pytest.approx(1600, rel=0.05)
    assert smooth[50, 50]


def test_boxes():
    assert mask_ops.union(None, (1, 2, 3, 4)) == (1, 2, 3, 4)
    assert mask_ops.union((0, 5, 3, 9), (1, 2, 8, 4)) == (0, 2, 8, 9)
    assert mask_ops.clip((-5, -5, 10, 400), SHAPE) == (0, 0, 10, 200)
    assert mask_ops.bounding_box(np.zeros(SHAPE, bool)) is None
