"""Square crops around one lesion, and the way back from a crop to the full image.

The crop is the lesion's bounding box enlarged by a context factor, made square and never smaller than a fixed
fraction of the image's short side. Both rules are relative to the image rather than in millimetres, so the same
crop covers the same anatomy whatever the pixel spacing (full-size DICOM at 0.1 mm, reduced synthetic studies,
512-pixel research images) and the classifier API needs no spacing argument.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

CROP_SIZE = 96  # network input, pixels
CONTEXT = 1.75  # crop side / longest side of the lesion box
MIN_SIDE_FRACTION = 0.06  # crop side >= this fraction of the image's short side (about 11 mm on a full detector)


@dataclass(frozen=True)
class CropWindow:
    """A square window in full-image pixel coordinates; it may reach past the image borders (padded with zeros)."""

    y0: int
    x0: int
    side: int

    @property
    def y1(self) -> int:
        return self.y0 + self.side

    @property
    def x1(self) -> int:
        return self.x0 + self.side

    def inside(self, shape: tuple[int, int]) -> tuple[slice, slice, slice, slice]:
        """(image rows, image cols, window rows, window cols) slices of the part of the window inside the image."""
        top, left = max(self.y0, 0), max(self.x0, 0)
        bottom, right = min(self.y1, shape[0]), min(self.x1, shape[1])
        if bottom <= top or right <= left:
            raise ValueError(f"crop window {self} lies outside the image of shape {shape}")
        return (slice(top, bottom), slice(left, right),
                slice(top - self.y0, bottom - self.y0), slice(left - self.x0, right - self.x0))


def mask_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the mask's foreground, x1/y1 exclusive."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        raise ValueError("the lesion mask is empty")
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def crop_window(box: tuple[int, int, int, int], shape: tuple[int, int], *, context: float = CONTEXT,
                min_side_fraction: float = MIN_SIDE_FRACTION) -> CropWindow:
    """The square window centred on `box` (x0, y0, x1, y1; exclusive ends) for an image of `shape`."""
    x0, y0, x1, y1 = box
    side = max(max(x1 - x0, y1 - y0) * context, min(shape) * min_side_fraction, 8.0)
    side = int(round(side))
    cy, cx = (y0 + y1) / 2.0, (x0 + x1) / 2.0
    return CropWindow(y0=int(round(cy - side / 2.0)), x0=int(round(cx - side / 2.0)), side=side)


def extract_crop(channels: list[np.ndarray | None], window: CropWindow, size: int = CROP_SIZE) -> np.ndarray:
    """(len(channels), size, size) float32 crop; a missing channel (None) and the area past the borders are zeros."""
    present = [c for c in channels if c is not None]
    if not present:
        raise ValueError("at least one image channel is needed for a crop")
    shape = present[0].shape
    rows, cols, wrows, wcols = window.inside(shape)
    window_pixels = np.zeros((len(channels), window.side, window.side), dtype=np.float32)
    for index, channel in enumerate(channels):
        if channel is not None:
            if channel.shape != shape:
                raise ValueError(f"image channels differ in shape: {channel.shape} vs {shape}")
            window_pixels[index, wrows, wcols] = channel[rows, cols]
    return resize_stack(window_pixels, size)


def resize_stack(stack: np.ndarray, size: int) -> np.ndarray:
    """Resize a (C, H, W) stack to (C, size, size), antialiased so large lesions do not alias when shrunk."""
    if stack.shape[1:] == (size, size):
        return stack.astype(np.float32, copy=False)
    tensor = torch.from_numpy(np.ascontiguousarray(stack, dtype=np.float32))[None]
    resized = F.interpolate(tensor, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return resized[0].numpy()


def paste_back(crop_map: np.ndarray, window: CropWindow, shape: tuple[int, int]) -> np.ndarray:
    """A float32 map of `shape`: `crop_map` resized to the window and put in its place, zeros elsewhere."""
    full = np.zeros(shape, dtype=np.float32)
    resized = resize_stack(crop_map[None], window.side)[0]
    rows, cols, wrows, wcols = window.inside(shape)
    full[rows, cols] = resized[wrows, wcols]
    return full
