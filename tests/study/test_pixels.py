"""Decoding real DICOM files into display-ready MammoImage objects."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from dicom_variants import breast_pixels, mammogram, write
from pydicom.dataelem import RawDataElement
from pydicom.sequence import Sequence
from pydicom.tag import Tag
from pydicom.uid import JPEG2000Lossless, JPEGLSLossless, RLELossless

from cemviewer.study.loader import scan_path
from cemviewer.study.model import Energy
from cemviewer.study.pixels import ImageLoadError, load_image


def _load(tmp_path, ds, syntax=pydicom.uid.ExplicitVRLittleEndian, name="image"):
    write(ds, tmp_path / name, syntax)
    [ref] = scan_path(tmp_path / name).studies[0].images()
    return load_image(ref)


@pytest.mark.parametrize("syntax", [pydicom.uid.ExplicitVRLittleEndian, RLELossless, JPEG2000Lossless])
def test_decoded_pixels_equal_the_originals(tmp_path, syntax):
    original = breast_pixels(seed=4)
    image = _load(tmp_path, mammogram(pixels=original), syntax)
    # An identity modality transform keeps the decoded integers: no conversion copy.
    assert image.pixels.dtype == np.uint16 and image.pixels.flags.c_contiguous
    np.testing.assert_array_equal(image.pixels, original)
    assert image.invert is False and (image.flipped_horizontally, image.flipped_vertically) == (False, False)
    assert image.spacing_mm == (0.1, 0.1)


def test_jpeg_ls_files_from_a_vendor_decode(tmp_path):
    # JPEG-LS is only written by scanners here (no encoder is installed), so the stream comes from pydicom's own
    # test data: a real 16-bit JPEG-LS lossless image with its uncompressed twin.
    from pydicom.data import get_testdata_file

    compressed = pydicom.dcmread(get_testdata_file("MR_small_jpeg_ls_lossless.dcm"))
    reference = pydicom.dcmread(get_testdata_file("MR_small.dcm")).pixel_array
    ds = mammogram(pixels=np.zeros(reference.shape, np.uint16))
    ds.file_meta.TransferSyntaxUID = JPEGLSLossless
    ds.PixelData = compressed.PixelData
    ds["PixelData"].VR = "OB"
    ds.PixelRepresentation = compressed.PixelRepresentation
    ds.BitsStored, ds.HighBit = compressed.BitsStored, compressed.HighBit
    ds.save_as(tmp_path / "jls", enforce_file_format=True)
    [ref] = scan_path(tmp_path).studies[0].images()
    np.testing.assert_array_equal(load_image(ref).pixels, reference)


def test_monochrome1_is_flagged_not_inverted(tmp_path):
    original = breast_pixels(seed=1)
    image = _load(tmp_path, mammogram(pixels=original, monochrome1=True))
    assert image.invert is True
    np.testing.assert_array_equal(image.pixels, original)


def test_rescale_slope_and_intercept_give_modality_values(tmp_path):
    original = breast_pixels(seed=2)
    ds = mammogram(pixels=original)
    ds.RescaleSlope, ds.RescaleIntercept = 0.5, -100
    image = _load(tmp_path, ds)
    assert image.pixels.dtype == np.float32
    np.testing.assert_allclose(image.pixels, original * 0.5 - 100)


def test_rescale_and_flip_together(tmp_path):
    original = breast_pixels(seed=2)
    ds = mammogram(pixels=original)
    ds.RescaleSlope, ds.RescaleIntercept = 2, 10
    ds.PatientOrientation = ["A", "L"]
    image = _load(tmp_path, ds)
    assert image.flipped_horizontally and image.pixels.flags.c_contiguous
    np.testing.assert_allclose(image.pixels, original[:, ::-1] * 2.0 + 10)


def test_modality_lut_sequence_is_applied(tmp_path):
    original = breast_pixels(seed=2)
    ds = mammogram(pixels=original)
    del ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType
    item = pydicom.Dataset()
    item.LUTDescriptor = [4096, 0, 16]
    item.ModalityLUTType = "US"
    item.LUTData = (2 * np.arange(4096, dtype="<u2")).tobytes()
    ds.ModalityLUTSequence = Sequence([item])
    image = _load(tmp_path, ds)
    assert image.pixels.dtype == np.float32
    np.testing.assert_array_equal(image.pixels, 2 * original.astype(np.float32))


def test_all_window_presets_are_kept_with_their_names(tmp_path):
    ds = mammogram()
    ds.WindowCenter, ds.WindowWidth = ["1500", "1400", "1600"], ["1000", "2000", "600"]
    ds.WindowCenterWidthExplanation = ["STANDARD", "SOFT", "HARD"]
    ds.VOILUTFunction = "SIGMOID"
    image = _load(tmp_path, ds)
    assert [(w.center, w.width, w.name) for w in image.windows] == [
        (1500.0, 1000.0, "STANDARD"), (1400.0, 2000.0, "SOFT"), (1600.0, 600.0, "HARD")]
    assert image.voi_lut_function == "SIGMOID"


def test_missing_window_is_derived_from_the_breast(tmp_path):
    original = breast_pixels(seed=3, shape=(200, 160))
    ds = mammogram(pixels=original)
    del ds.WindowCenter, ds.WindowWidth, ds.WindowCenterWidthExplanation
    [window] = _load(tmp_path, ds).windows
    # Air sits near 60, tissue near 1500 +- 200: the window spans the tissue, not the air.
    assert window.name == "AUTO"
    assert 1300 < window.center < 1700
    assert 600 < window.width < 1800
    assert window.center - window.width / 2 > 200


def test_missing_window_on_monochrome1_ignores_the_bright_air(tmp_path):
    original = breast_pixels(seed=3, shape=(200, 160))
    inverted = (4095 - original).astype(np.uint16)
    ds = mammogram(pixels=inverted, monochrome1=True)
    del ds.WindowCenter, ds.WindowWidth, ds.WindowCenterWidthExplanation
    [window] = _load(tmp_path, ds).windows
    assert 4095 - 1700 < window.center < 4095 - 1300


def test_malformed_numbers_in_the_header_do_not_stop_the_image(tmp_path):
    ds = mammogram(pixels=breast_pixels(seed=3, shape=(120, 100)))
    # Values as a broken unit writes them, stored raw so pydicom only parses them when read back.
    ds["KVP"] = RawDataElement(Tag(0x00180060), "DS", 4, b"abc ", 0, False, True)
    ds["WindowCenter"] = RawDataElement(Tag(0x00281050), "DS", 4, b"x\\y ", 0, False, True)
    ds["RescaleSlope"] = RawDataElement(Tag(0x00281053), "DS", 2, b"? ", 0, False, True)
    image = _load(tmp_path, ds)
    assert [window.name for window in image.windows] == ["AUTO"]
    assert image.pixels.dtype == np.uint16


def test_voi_lut_sequence_is_kept(tmp_path):
    ds = mammogram()
    item = pydicom.Dataset()
    item.LUTDescriptor = [2048, 100, 16]
    item.LUTData = np.arange(0, 4096, 2, dtype="<u2").tobytes()
    item.LUTExplanation = "vendor curve"
    ds.VOILUTSequence = Sequence([item])
    image = _load(tmp_path, ds)
    assert image.voi_lut_first == 100
    np.testing.assert_array_equal(image.voi_lut, np.arange(0, 4096, 2, dtype=np.float32))
    assert image.windows  # still offered for manual adjustment


def test_spacing_falls_back_to_imager_pixel_spacing(tmp_path):
    ds = mammogram(pixel_spacing_mm=0.085)
    del ds.PixelSpacing
    assert _load(tmp_path, ds, name="imager").spacing_mm == (0.085, 0.085)
    del ds.ImagerPixelSpacing
    assert _load(tmp_path, ds, name="none").spacing_mm is None


def _marked(shape=(64, 48)) -> np.ndarray:
    pixels = np.full(shape, 100, np.uint16)
    pixels[3, 0] = 4000  # top-left corner
    return pixels


@pytest.mark.parametrize(
    ("laterality", "view", "orientation", "marker"),
    [
        # Stored as displayed: nothing moves.
        ("R", "CC", ["P", "L"], (3, 0)),
        # A right CC stored with rows running anterior: the chest wall was on the left, it goes to the right.
        ("R", "CC", ["A", "L"], (3, 47)),
        ("R", "CC", ["A", "R"], (60, 47)),
        ("L", "CC", ["P", "R"], (3, 47)),
        # A left MLO stored feet up.
        ("L", "MLO", ["A", "HR"], (60, 0)),
    ],
)
def test_orientation_flips_bring_the_chest_wall_to_the_conventional_side(
    tmp_path, laterality, view, orientation, marker
):
    ds = mammogram(laterality, view, pixels=_marked())
    ds.PatientOrientation = orientation
    image = _load(tmp_path, ds)
    assert np.unravel_index(int(np.argmax(image.pixels)), image.pixels.shape) == marker
    assert image.pixels.flags.c_contiguous
    assert (image.flipped_horizontally, image.flipped_vertically) == (marker[1] != 0, marker[0] != 3)


@pytest.mark.parametrize("syntax", [pydicom.uid.ExplicitVRLittleEndian, RLELossless])
@pytest.mark.parametrize(("orientation", "rows", "columns"), [
    (["A", "L"], slice(None), slice(None, None, -1)),
    (["P", "R"], slice(None, None, -1), slice(None)),
    (["A", "R"], slice(None, None, -1), slice(None, None, -1)),
])
def test_mirrored_pixels_are_the_stored_ones_reversed(tmp_path, syntax, orientation, rows, columns):
    # Odd sizes: the middle row and column stay put when mirrored in place.
    original = breast_pixels(seed=5, shape=(61, 47))
    ds = mammogram("R", "CC", pixels=original)
    ds.PatientOrientation = orientation
    image = _load(tmp_path, ds, syntax)
    np.testing.assert_array_equal(image.pixels, original[rows, columns])
    assert image.pixels.flags.c_contiguous


def test_corrupt_compressed_pixels_raise_a_clear_error(tmp_path):
    path = write(mammogram(), tmp_path / "image", JPEG2000Lossless)
    [ref] = scan_path(path).studies[0].images()
    content = bytearray(path.read_bytes())
    codestream = content.index(b"\xff\x4f\xff\x51")  # JPEG 2000 SOC + SIZ markers
    content[codestream : codestream + 40] = bytes(40)
    path.write_bytes(bytes(content))
    with pytest.raises(ImageLoadError, match="cannot decode the pixel data"):
        load_image(ref)


def test_pixels_truncated_after_scanning_raise_a_clear_error(tmp_path):
    path = write(mammogram(), tmp_path / "image")
    [ref] = scan_path(path).studies[0].images()
    path.write_bytes(path.read_bytes()[:-1000])
    with pytest.raises(ImageLoadError, match=str(path)):
        load_image(ref)


def test_recombined_image_loads_like_low_energy(tmp_path):
    image = _load(tmp_path, mammogram("L", "MLO", Energy.RECOMBINED))
    assert image.ref.energy is Energy.RECOMBINED and image.ref.view == "MLO"


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.int32, np.float32])
@pytest.mark.parametrize(("horizontally", "vertically"), [(False, False), (True, False), (False, True), (True, True)])
def test_mirroring_into_display_orientation_matches_numpy_for_every_pixel_type(dtype, horizontally, vertically):
    from cemviewer.study.pixels import _mirrored

    stored = np.arange(7 * 5).reshape(7, 5).astype(dtype)
    expected = stored[:: -1 if vertically else 1, :: -1 if horizontally else 1].copy()
    mirrored = _mirrored(stored, horizontally, vertically)
    assert mirrored.dtype == dtype
    np.testing.assert_array_equal(mirrored, expected)
    # What OpenCV takes is mirrored in its own memory, and a read-only array into new memory.
    if dtype in (np.uint8, np.uint16, np.int16, np.float32):
        assert np.shares_memory(mirrored, stored)
        stored = np.arange(7 * 5).reshape(7, 5).astype(dtype)
        stored.flags.writeable = False
        np.testing.assert_array_equal(_mirrored(stored, horizontally, vertically), expected)
