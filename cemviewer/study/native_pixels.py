"""Uncompressed pixel data read straight from its place in the file.

For an uncompressed image, `pixel_array` is little more than a copy of the file's bytes, yet pydicom reads the
value into a bytes object, copies it into an array and then clears the unused high bits in two more passes over
it: about 14 ms for a 3062 x 2394 mammogram here, against 1.1 ms for reading the bytes into their array and
0.5 ms for one masking pass. The common case (one frame, one sample, 8 or 16 bits allocated, little endian) is
read here; everything else returns None and goes through pydicom.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from cemviewer.study.fresh_memory import image_array
from cemviewer.study.model import ScannedHeader

# Pass as dcmread's defer_size: pixel data longer than this stays in the file while the header is parsed, to be read
# once, straight into its array.
DEFER_SIZE = 64 * 1024
_LITTLE_ENDIAN_NATIVE = (ExplicitVRLittleEndian, ImplicitVRLittleEndian)


def _int(ds: pydicom.Dataset, keyword: str, default: int | None = None) -> int | None:
    value = ds.get(keyword, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _layout(ds: pydicom.Dataset) -> tuple[int, int, np.dtype, int] | None:
    """(rows, columns, dtype, bits stored) when this reader handles the image, else None."""
    if ds.file_meta.get("TransferSyntaxUID") not in _LITTLE_ENDIAN_NATIVE or not ds.original_encoding[1]:
        return None
    rows, columns = _int(ds, "Rows"), _int(ds, "Columns")
    allocated, stored = _int(ds, "BitsAllocated"), _int(ds, "BitsStored")
    signed = _int(ds, "PixelRepresentation")
    if (_int(ds, "SamplesPerPixel", 1) != 1 or _int(ds, "NumberOfFrames", 1) != 1 or allocated not in (8, 16)
            or signed not in (0, 1) or not rows or not columns or stored is None or not 0 < stored <= allocated):
        return None
    return rows, columns, np.dtype(f"<{'u' if signed == 0 else 'i'}{allocated // 8}"), stored


def read_native_pixels(ds: pydicom.Dataset, path: Path) -> np.ndarray | None:
    """The stored values of `ds`'s image, as `ds.pixel_array` gives them (bits above Bits Stored cleared, or
    sign-extended for signed data), read from `path`, the file `ds` was just read from with dcmread (before any
    access to its PixelData). None when this reader does not handle the image, or the element is shorter than the
    image or cut short by the end of the file: pydicom then decodes it, or names what is wrong."""
    element = ds.get_item("PixelData", keep_deferred=True)
    if not isinstance(element, RawDataElement) or element.value_tell is None:
        return None
    return _read(ds, path, element.value_tell, element.length)


def read_scanned_pixels(header: ScannedHeader, path: Path) -> np.ndarray | None:
    """As read_native_pixels, from the header the scan read and the place of the pixels it found. None also when
    the file is no longer the one the scan read (another size or modification time)."""
    return _read(header.dataset, path, header.pixel_offset, header.pixel_length, header)


def _read(ds: pydicom.Dataset, path: Path, offset: int, length: int,
          scanned: ScannedHeader | None = None) -> np.ndarray | None:
    layout = _layout(ds)
    if layout is None:
        return None
    rows, columns, dtype, bits_stored = layout
    if length < rows * columns * dtype.itemsize:
        return None
    with open(path, "rb") as file:
        if scanned is not None:
            stat = os.fstat(file.fileno())
            if (stat.st_size, stat.st_mtime_ns) != (scanned.file_size, scanned.modified_ns):
                return None
        pixels = image_array((rows, columns), dtype)
        file.seek(offset)
        got = file.readinto(memoryview(pixels).cast("B"))
    if got != pixels.nbytes:
        return None
    unused = 8 * dtype.itemsize - bits_stored
    if unused and dtype.kind == "u":
        np.bitwise_and(pixels, (1 << bits_stored) - 1, out=pixels)
    elif unused:
        np.left_shift(pixels, unused, out=pixels)
        np.right_shift(pixels, unused, out=pixels)  # arithmetic: the sign bit of the stored value spreads up
    return pixels
