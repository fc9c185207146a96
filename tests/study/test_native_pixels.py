"""Uncompressed pixel data read straight from the file gives exactly what pydicom's pixel_array gives, or is left to
pydicom; JPEG 2000 decoded through Pillow gives what pylibjpeg-openjpeg gives."""

from __future__ import annotations

import os

import numpy as np
import pydicom
import pytest
from dicom_variants import breast_pixels, mammogram, write
from pydicom.uid import (ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian, JPEG2000Lossless,
                         RLELossless)

from cemviewer.study.loader import scan_path
from cemviewer.study.native_pixels import DEFER_SIZE, read_native_pixels, read_scanned_pixels
from cemviewer.study.pixels import ImageLoadError, load_image

SMALL = (64, 48)  # pixel data read with the header
LARGE = (301, 233)  # odd sides; 140 kB of 16-bit pixel data, left in the file while the header is parsed


def _dataset(pixels: np.ndarray, bits_stored: int | None = None, **options) -> pydicom.Dataset:
    """A writer-made mammogram holding `pixels` as they are (any integer type), with its pixel module to match."""
    ds = mammogram(pixels=np.zeros(pixels.shape, np.uint16), **options)
    ds.BitsAllocated = 8 * pixels.itemsize
    ds.BitsStored = bits_stored or 8 * pixels.itemsize
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = int(pixels.dtype.kind == "i")
    ds.PixelData = pixels.astype(pixels.dtype.newbyteorder("<")).tobytes()
    ds["PixelData"].VR = "OB" if pixels.itemsize == 1 else "OW"
    return ds


def _random_values(dtype, bits_stored: int, shape, seed: int) -> np.ndarray:
    """Values that fit in `bits_stored` bits, negative ones too for a signed type."""
    signed = np.iinfo(dtype).min < 0
    low, high = (-(2 ** (bits_stored - 1)), 2 ** (bits_stored - 1)) if signed else (0, 2**bits_stored)
    return np.random.default_rng(seed).integers(low, high, shape).astype(dtype)


def _read_both(path):
    """(the direct read, pydicom's pixel_array) of the file at `path`."""
    direct = read_native_pixels(pydicom.dcmread(path, defer_size=DEFER_SIZE), path)
    return direct, pydicom.dcmread(path).pixel_array


def _garbage_above(values: np.ndarray, bits_stored: int, seed: int) -> np.ndarray:
    """`values` with random bits set above Bits Stored, as some modalities leave them."""
    rng = np.random.default_rng(seed)
    unsigned = values.view(np.dtype(f"u{values.itemsize}"))
    high = rng.integers(0, 2 ** (8 * values.itemsize - bits_stored), values.shape).astype(unsigned.dtype)
    return (unsigned | (high << bits_stored)).view(values.dtype)


@pytest.mark.parametrize("shape", [SMALL, LARGE])
@pytest.mark.parametrize("syntax", [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
@pytest.mark.parametrize(
    ("dtype", "bits_stored"),
    [(np.uint16, 16), (np.uint16, 12), (np.int16, 16), (np.int16, 12), (np.uint8, 8), (np.uint8, 6), (np.int8, 8)],
)
def test_the_direct_read_equals_pixel_array(tmp_path, shape, syntax, dtype, bits_stored):
    values = _random_values(dtype, bits_stored, shape, seed=5)
    stored = _garbage_above(values, bits_stored, seed=6) if bits_stored < 8 * values.itemsize else values
    path = write(_dataset(stored, bits_stored), tmp_path / "image", syntax)
    deferred = pydicom.dcmread(path, defer_size=DEFER_SIZE).get_item("PixelData", keep_deferred=True).value is None
    assert deferred == (shape == LARGE)
    direct, reference = _read_both(path)
    assert direct is not None and direct.dtype == reference.dtype and direct.flags.c_contiguous
    assert direct.flags.writeable
    np.testing.assert_array_equal(direct, reference)
    np.testing.assert_array_equal(direct, values)  # the high bits' garbage is gone, negative values stay negative


def test_an_odd_length_8_bit_image_skips_the_padding_byte(tmp_path):
    values = np.arange(7 * 5, dtype=np.uint8).reshape(7, 5)  # 35 bytes of pixels, 36 in the file
    path = write(_dataset(values), tmp_path / "odd")
    direct, reference = _read_both(path)
    np.testing.assert_array_equal(direct, reference)
    np.testing.assert_array_equal(direct, values)


def test_monochrome1_images_are_read_directly_and_flagged(tmp_path):
    original = breast_pixels(seed=8, shape=LARGE)
    path = write(mammogram(pixels=original, monochrome1=True), tmp_path / "m1")
    direct, reference = _read_both(path)
    np.testing.assert_array_equal(direct, reference)
    [ref] = scan_path(path).studies[0].images()
    image = load_image(ref)
    assert image.invert is True
    np.testing.assert_array_equal(image.pixels, original)


@pytest.mark.parametrize("syntax", [RLELossless, JPEG2000Lossless])
def test_compressed_images_are_left_to_pydicom(tmp_path, syntax):
    original = breast_pixels(seed=9, shape=LARGE)
    path = write(mammogram(pixels=original), tmp_path / "compressed", syntax)
    assert read_native_pixels(pydicom.dcmread(path, defer_size=DEFER_SIZE), path) is None
    [ref] = scan_path(path).studies[0].images()
    np.testing.assert_array_equal(load_image(ref).pixels, original)


def test_big_endian_images_are_left_to_pydicom(tmp_path):
    original = breast_pixels(seed=10, shape=LARGE)
    ds = mammogram(pixels=original)
    ds.PixelData = original.astype(">u2").tobytes()
    ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
    path = tmp_path / "big-endian"
    ds.save_as(path, implicit_vr=False, little_endian=False, enforce_file_format=True)
    assert read_native_pixels(pydicom.dcmread(path, defer_size=DEFER_SIZE), path) is None
    [ref] = scan_path(path).studies[0].images()
    np.testing.assert_array_equal(load_image(ref).pixels, original)


def test_images_the_reader_does_not_handle_are_left_to_pydicom(tmp_path):
    values = np.random.default_rng(11).integers(0, 2**20, SMALL).astype(np.uint32)
    path = write(_dataset(values, 20), tmp_path / "32-bit")
    assert read_native_pixels(pydicom.dcmread(path, defer_size=DEFER_SIZE), path) is None
    [ref] = scan_path(path).studies[0].images()
    np.testing.assert_array_equal(load_image(ref).pixels, values)


@pytest.mark.parametrize("shape", [SMALL, LARGE])
def test_pixel_data_cut_short_is_refused_with_the_file_named(tmp_path, shape):
    path = write(mammogram(pixels=breast_pixels(seed=12, shape=shape)), tmp_path / "cut")
    [ref] = scan_path(path).studies[0].images()
    path.write_bytes(path.read_bytes()[:-1001])
    assert read_native_pixels(pydicom.dcmread(path, defer_size=DEFER_SIZE), path) is None
    with pytest.raises(ImageLoadError, match=str(path)):
        load_image(ref)


def test_an_element_shorter_than_its_image_is_refused(tmp_path):
    ds = mammogram(pixels=breast_pixels(seed=13, shape=SMALL))
    ds.PixelData = ds.PixelData[:-96]
    path = write(ds, tmp_path / "short")
    [ref] = scan_path(path).studies[0].images()
    assert read_native_pixels(pydicom.dcmread(path, defer_size=DEFER_SIZE), path) is None
    with pytest.raises(ImageLoadError, match="cannot decode the pixel data"):
        load_image(ref)


@pytest.mark.parametrize(("dtype", "bits_stored", "monochrome1"),
                         [(np.uint16, 12, False), (np.uint16, 16, True), (np.int16, 14, False)])
def test_jpeg2000_through_pillow_equals_pylibjpeg(tmp_path, dtype, bits_stored, monochrome1):
    values = _random_values(dtype, bits_stored, LARGE, seed=14)
    path = write(_dataset(values, bits_stored, monochrome1=monochrome1), tmp_path / "j2k", JPEG2000Lossless)
    [ref] = scan_path(path).studies[0].images()
    reference = pydicom.dcmread(path)
    reference.pixel_array_options(decoding_plugin="pylibjpeg")
    np.testing.assert_array_equal(reference.pixel_array, values)
    image = load_image(ref)
    assert image.pixels.dtype == reference.pixel_array.dtype
    np.testing.assert_array_equal(image.pixels, values)


@pytest.mark.parametrize("shape", [SMALL, LARGE])
@pytest.mark.parametrize("syntax", [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
def test_the_scan_finds_the_pixels_so_decoding_reads_no_header_again(tmp_path, shape, syntax):
    values = _random_values(np.uint16, 12, shape, seed=14)
    path = write(_dataset(_garbage_above(values, 12, seed=15), 12), tmp_path / "image", syntax)
    [ref] = scan_path(path).studies[0].images()
    direct = read_scanned_pixels(ref.header, path)
    assert direct is not None and direct.flags.c_contiguous and direct.flags.writeable
    np.testing.assert_array_equal(direct, pydicom.dcmread(path).pixel_array)
    np.testing.assert_array_equal(direct, values)


def test_compressed_images_have_no_scanned_pixel_place(tmp_path):
    path = write(mammogram(pixels=breast_pixels(seed=16, shape=SMALL)), tmp_path / "rle", RLELossless)
    [ref] = scan_path(path).studies[0].images()
    assert ref.compressed and ref.header is None


def test_a_file_replaced_after_the_scan_is_read_afresh(tmp_path):
    path = write(_dataset(_random_values(np.uint16, 16, LARGE, seed=17)), tmp_path / "image")
    [ref] = scan_path(path).studies[0].images()
    replacement = _random_values(np.uint16, 16, LARGE, seed=18)
    write(_dataset(replacement), path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # whatever the file system's clock
    assert read_scanned_pixels(ref.header, path) is None
    np.testing.assert_array_equal(load_image(ref).pixels, replacement)
