"""The pixel grid of a synthetic image and the coarser working grid on which smooth anatomy is computed.

Outline, gland envelope and vessels vary over millimetres, so they are built on a grid of about 0.4 mm and
interpolated up; only the fine texture, noise and lesions are drawn at full resolution. This keeps a full-size
study to a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

WORK_SPACING_MM = 0.4


@dataclass(frozen=True)
class Grid:
    shape: tuple[int, int]
    spacing_mm: float

    @cached_property
    def factor(self) -> int:
        return max(1, int(WORK_SPACING_MM / self.spacing_mm))

    @cached_property
    def work_shape(self) -> tuple[int, int]:
        return (-(-self.shape[0] // self.factor), -(-self.shape[1] // self.factor))

    @property
    def work_spacing_mm(self) -> float:
        return self.spacing_mm * self.shape[0] / self.work_shape[0]

    def mm_to_px(self, mm: float) -> float:
        return mm / self.spacing_mm

    def work_coords(self) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of each working-grid pixel centre, in full-resolution pixels (broadcastable)."""
        scale_r = self.shape[0] / self.work_shape[0]
        scale_c = self.shape[1] / self.work_shape[1]
        rows = (np.arange(self.work_shape[0], dtype=np.float32) + 0.5) * scale_r - 0.5
        cols = (np.arange(self.work_shape[1], dtype=np.float32) + 0.5) * scale_c - 0.5
        return rows[:, None], cols[None, :]

    def upsample(self, work: np.ndarray) -> np.ndarray:
        """Linear interpolation of a working-grid field to the full grid (float32), pixel centres aligned."""
        work = work.astype(np.float32, copy=False)
        if self.factor == 1:
            return work
        rows = _lerp_axis(work, self.shape[0], axis=0)
        return _lerp_axis(rows, self.shape[1], axis=1)


def _lerp_axis(values: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Separable linear interpolation along one axis (several times faster than ndimage.zoom here)."""
    n = values.shape[axis]
    position = np.clip((np.arange(size, dtype=np.float32) + 0.5) * n / size - 0.5, 0, n - 1)
    low = np.minimum(position.astype(np.int64), n - 2) if n > 1 else np.zeros(size, dtype=np.int64)
    frac = position - low
    high = np.minimum(low + 1, n - 1)
    shape = (-1, 1) if axis == 0 else (1, -1)
    frac = frac.reshape(shape)
    out = np.take(values, low, axis=axis)
    step = np.take(values, high, axis=axis)
    step -= out
    step *= frac
    out += step
    return out
