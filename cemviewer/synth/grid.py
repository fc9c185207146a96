"""The pixel grid of a synthetic image and the coarser working grid on which smooth anatomy is computed.

Outline, gland envelope and vessels vary over millimetres, so they are built on a grid of about 0.4 mm and
interpolated up; only the fine texture, noise and lesions are drawn at full resolution. This keeps a full-size
study to a few seconds. Working pixel j covers full pixels j*factor .. (j+1)*factor - 1 (the last one may hang
over the image edge).
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
        return self.spacing_mm * self.factor

    def work_coords(self) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of each working-grid pixel centre, in full-resolution pixels (broadcastable)."""
        centre = (self.factor - 1) / 2
        rows = np.arange(self.work_shape[0], dtype=np.float32) * self.factor + centre
        cols = np.arange(self.work_shape[1], dtype=np.float32) * self.factor + centre
        return rows[:, None], cols[None, :]

    def to_full(self, work_position):
        """Full-grid (row, col) of a working-grid position."""
        return np.asarray(work_position, dtype=np.float64) * self.factor + (self.factor - 1) / 2

    def to_work(self, full_position):
        return (np.asarray(full_position, dtype=np.float64) - (self.factor - 1) / 2) / self.factor

    def upsample(self, work: np.ndarray) -> np.ndarray:
        """Linear interpolation of a working-grid field to the full grid (float32), pixel centres aligned."""
        work = work.astype(np.float32, copy=False)
        if self.factor == 1:
            return work
        rows = _upsample_axis(work, self.factor, axis=0)[: self.shape[0]]
        return _upsample_axis(rows, self.factor, axis=1)[:, : self.shape[1]]


def _upsample_axis(values: np.ndarray, factor: int, axis: int) -> np.ndarray:
    """Integer-factor linear interpolation along one axis of a 2-D array: each output phase is one fused array
    operation, with no gathers, which is several times faster than ndimage.zoom on images this size."""
    first, last = (values[:1], values[-1:]) if axis == 0 else (values[:, :1], values[:, -1:])
    padded = np.concatenate([first, values, last], axis=axis)
    n = values.shape[axis]
    following = padded[2:] if axis == 0 else padded[:, 2:]
    preceding = padded[: n] if axis == 0 else padded[:, : n]
    to_next, to_previous = following - values, values - preceding
    out = np.empty(values.shape + (factor,), dtype=np.float32) if axis == 1 else \
        np.empty((n, factor, values.shape[1]), dtype=np.float32)
    for phase in range(factor):
        offset = np.float32((phase + 0.5) / factor - 0.5)  # position between working pixel centres
        step = to_next if offset > 0 else to_previous
        if axis == 0:
            out[:, phase] = values + offset * step
        else:
            out[:, :, phase] = values + offset * step
    return out.reshape((n * factor, values.shape[1]) if axis == 0 else (values.shape[0], n * factor))
