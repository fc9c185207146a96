"""Mask operations of ROI editing, on plain numpy bool masks.

Coordinates follow the rest of the viewer: a box is (x0, y0, x1, y1) in image pixels, x1/y1 exclusive; a point is
(x, y) in image pixel units where pixel (row, column) covers [column, column + 1) x [row, row + 1), so its centre is
at (column + 0.5, row + 0.5). Each shape-making function returns the box it covers and a footprint of that box's
size, so callers touch (and record for undo) only that region.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage
from skimage.draw import polygon as polygon_pixels

Box = tuple[int, int, int, int]  # (x0, y0, x1, y1), x1/y1 exclusive
Point = tuple[float, float]  # (x, y) image pixel units


def box_slices(box: Box) -> tuple[slice, slice]:
    x0, y0, x1, y1 = box
    return slice(y0, y1), slice(x0, x1)


def union(a: Box | None, b: Box | None) -> Box | None:
    if a is None or b is None:
        return a or b
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def clip(box: Box, shape: tuple[int, int]) -> Box | None:
    """`box` within an image of `shape` (rows, columns); None when nothing of it is inside."""
    rows, columns = shape
    x0, y0, x1, y1 = max(box[0], 0), max(box[1], 0), min(box[2], columns), min(box[3], rows)
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


def grow(box: Box, margin: int, shape: tuple[int, int]) -> Box | None:
    return clip((box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin), shape)


def bounding_box(mask: np.ndarray, within: Box | None = None) -> Box | None:
    """The tight box of the set pixels of `mask`, searched inside `within` only when given; None when empty."""
    x_off, y_off = (within[0], within[1]) if within is not None else (0, 0)
    crop = mask[box_slices(within)] if within is not None else mask
    rows, columns = np.flatnonzero(crop.any(axis=1)), np.flatnonzero(crop.any(axis=0))
    if rows.size == 0:
        return None
    return (x_off + int(columns[0]), y_off + int(rows[0]), x_off + int(columns[-1]) + 1, y_off + int(rows[-1]) + 1)


def capsule(start: Point, end: Point, radius: float, shape: tuple[int, int]) -> tuple[Box, np.ndarray] | None:
    """The pixels whose centres lie within `radius` of the segment start-end: one brush dab when start == end, the
    whole path between two mouse positions otherwise, so a fast drag leaves no gaps. None when off the image."""
    (ax, ay), (bx, by) = start, end
    reach = radius + 1.0
    box = clip((math.floor(min(ax, bx) - reach), math.floor(min(ay, by) - reach),
                math.ceil(max(ax, bx) + reach), math.ceil(max(ay, by) + reach)), shape)
    if box is None:
        return None
    x0, y0, x1, y1 = box
    xs = np.arange(x0, x1, dtype=np.float32) + 0.5 - ax
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5 - ay
    dx, dy = bx - ax, by - ay
    length_sq = dx * dx + dy * dy
    if length_sq > 0.0:
        # Distance to the nearest point of the segment: project, clamp to the ends.
        t = np.clip((xs * dx + ys * dy) / length_sq, 0.0, 1.0)
        xs, ys = xs - t * dx, ys - t * dy
    # Even the smallest brush marks the pixel under the pointer.
    footprint = xs * xs + ys * ys <= max(radius, 0.5) ** 2
    return box, footprint


def polygon(points: list[Point], shape: tuple[int, int]) -> tuple[Box, np.ndarray] | None:
    """The pixels whose centres lie inside the closed polygon through `points` (at least 3); None when none do."""
    if len(points) < 3:
        return None
    xs = np.array([p[0] for p in points]) - 0.5
    ys = np.array([p[1] for p in points]) - 0.5
    rows, columns = polygon_pixels(ys, xs, shape)
    if rows.size == 0:
        return None
    box = (int(columns.min()), int(rows.min()), int(columns.max()) + 1, int(rows.max()) + 1)
    footprint = np.zeros((box[3] - box[1], box[2] - box[0]), bool)
    footprint[rows - box[1], columns - box[0]] = True
    return box, footprint


def filled_holes(crop: np.ndarray) -> np.ndarray:
    """`crop` with every background region it encloses filled. Background touching the crop's edge counts as
    outside, so the crop must reach past the lesion (callers take its box grown by a pixel)."""
    return ndimage.binary_fill_holes(crop)


def without_islands(crop: np.ndarray, min_pixels: float) -> np.ndarray:
    """`crop` keeping only the 8-connected parts of at least `min_pixels` pixels."""
    labels, count = ndimage.label(crop, structure=np.ones((3, 3), bool))
    if count == 0:
        return crop.copy()
    sizes = np.bincount(labels.ravel())
    keep = sizes >= min_pixels
    keep[0] = False
    return keep[labels]


def smoothed(crop: np.ndarray, sigma_px: float) -> np.ndarray:
    """`crop` with its outline smoothed: the mask blurred by a Gaussian and thresholded at one half, which rounds
    corners, closes narrow gaps and drops spurs thinner than about a sigma, while keeping the area about the same.
    The crop must reach 3 sigma past the lesion so nothing is cut at its edge."""
    blurred = ndimage.gaussian_filter(crop.astype(np.float32), sigma_px, mode="constant")
    return blurred >= 0.5
