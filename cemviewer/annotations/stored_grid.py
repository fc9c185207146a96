"""Between the viewer's display orientation and an image file's stored pixel grid.

The viewer flips each mammogram into the hanging convention (cemviewer.study.orientation), and lesion masks are
drawn on the flipped image; a mask written into a file (DICOM SEG, PNG) must lie on the file's own grid, as the
image's pixels do there. A flip is its own inverse, so one function goes both ways.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pydicom

from cemviewer.annotations.output import ExportError
from cemviewer.study.model import ImageRef
from cemviewer.study.orientation import display_flips

Flips = tuple[bool, bool]  # (left-right, top-bottom)


def read_header(ref: ImageRef) -> pydicom.Dataset:
    """The image's header without its pixels; OSError or pydicom's errors when the file is gone or damaged."""
    return pydicom.dcmread(ref.path, stop_before_pixels=True)


def flips_of(header: pydicom.Dataset, ref: ImageRef) -> Flips:
    return display_flips(header.get("PatientOrientation"), ref.laterality, ref.view)


def flipped(array: np.ndarray, flips: Flips) -> np.ndarray:
    """`array` (rows, columns, ...) between display and stored orientation, either way; a view, not a copy."""
    flip_h, flip_v = flips
    return array[:: -1 if flip_v else 1, :: -1 if flip_h else 1]


def flipped_box(box: tuple[int, int, int, int], shape: tuple[int, int], flips: Flips) -> tuple[int, int, int, int]:
    """An (x0, y0, x1, y1) box, x1/y1 exclusive, on an image of `shape` (rows, columns), flipped like `flipped`."""
    x0, y0, x1, y1 = box
    rows, columns = shape
    if flips[0]:
        x0, x1 = columns - x1, columns - x0
    if flips[1]:
        y0, y1 = rows - y1, rows - y0
    return x0, y0, x1, y1


@dataclass(frozen=True)
class StoredGrid:
    """An image file's pixel grid as the exports need it, read from its header."""

    ref: ImageRef
    shape: tuple[int, int]  # (rows, columns)
    flips: Flips
    spacing_mm: tuple[float, float] | None  # (row, column)

    @classmethod
    def read(cls, ref: ImageRef) -> StoredGrid:
        """Raises ExportError when the file's header cannot be read."""
        try:
            header = read_header(ref)
        except Exception as error:  # noqa: BLE001 - OSError or any of pydicom's parse errors
            raise ExportError(f"cannot read the image {ref.path} ({error})") from error
        spacing = header.get("PixelSpacing") or header.get("ImagerPixelSpacing")
        try:
            spacing = (float(spacing[0]), float(spacing[1])) if spacing and len(spacing) == 2 else None
        except (TypeError, ValueError):
            spacing = None
        return cls(ref, (int(header.Rows), int(header.Columns)), flips_of(header, ref), spacing)
