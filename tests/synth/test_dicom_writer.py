"""The DICOM writer produces valid For Presentation mammograms that round-trip through pydicom unchanged."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.uid import JPEG2000Lossless, RLELossless

from cemviewer.study.model import Energy
from cemviewer.synth.dicom_writer import DIGITAL_MAMMOGRAPHY_FOR_PRESENTATION, StudyIdentity, mammo_dataset, write_dataset


def _pixels(peak: int = 3000, shape=(60, 44), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, peak, size=shape, dtype=np.uint16)


def _dataset(pixels=None, **options) -> pydicom.Dataset:
    defaults = dict(identity=StudyIdentity.new(5), laterality="R", view="CC", energy=Energy.LOW, series_number=2,
                    instance_number=3)
    return mammo_dataset(_pixels() if pixels is None else pixels, **(defaults | options))


def test_identity_is_reproducible_per_seed_and_distinct_across_seeds():
    first, again, other = StudyIdentity.new(42), StudyIdentity.new(42), StudyIdentity.new(43)
    assert first == again
    assert first.study_uid != other.study_uid and first.patient_id != other.patient_id
    assert pydicom.uid.UID(first.study_uid).is_valid and pydicom.uid.UID(first.frame_of_reference_uid).is_valid


def test_one_seed_at_another_size_is_another_study_of_the_same_patient():
    small, large = StudyIdentity.new(42, ((480, 400), 0.5)), StudyIdentity.new(42, ((3062, 2394), 0.1))
    assert small == StudyIdentity.new(42, ((480, 400), 0.5))
    assert small.study_uid != large.study_uid and small.frame_of_reference_uid != large.frame_of_reference_uid
    assert small.patient_id == large.patient_id


def test_written_file_is_a_for_presentation_mammogram_with_identity(tmp_path):
    identity = StudyIdentity.new(8)
    path = write_dataset(_dataset(identity=identity, pixel_spacing_mm=0.07), tmp_path / "a" / "image.dcm")
    assert path.read_bytes()[128:132] == b"DICM"
    ds = pydicom.dcmread(path)
    assert ds.SOPClassUID == DIGITAL_MAMMOGRAPHY_FOR_PRESENTATION
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    assert (ds.Modality, ds.PresentationIntentType, ds.BodyPartExamined) == ("MG", "FOR PRESENTATION", "BREAST")
    assert (ds.PatientID, ds.PatientName, ds.StudyInstanceUID) == (
        identity.patient_id, identity.patient_name, identity.study_uid)
    assert ds.FrameOfReferenceUID == identity.frame_of_reference_uid
    assert [float(v) for v in ds.PixelSpacing] == [0.07, 0.07] == [float(v) for v in ds.ImagerPixelSpacing]
    assert (ds.BitsAllocated, ds.PixelRepresentation) == (16, 0)


@pytest.mark.parametrize(
    ("energy", "image_type", "kvp"),
    [
        (Energy.LOW, ["ORIGINAL", "PRIMARY", "", "LOW_ENERGY"], 28.0),
        (Energy.HIGH, ["ORIGINAL", "PRIMARY", "", "HIGH_ENERGY"], 47.0),
        (Energy.RECOMBINED, ["DERIVED", "PRIMARY", "", "RECOMBINED"], 47.0),
    ],
)
def test_energy_is_labelled_like_a_cem_unit(energy, image_type, kvp):
    ds = _dataset(energy=energy)
    assert list(ds.ImageType) == image_type
    assert float(ds.KVP) == kvp
    assert ds.SeriesDescription.startswith("RCC ")


@pytest.mark.parametrize(
    ("laterality", "view", "orientation", "code"),
    [
        ("R", "CC", ["P", "L"], "399162004"),
        ("L", "CC", ["A", "R"], "399162004"),
        ("R", "MLO", ["P", "FL"], "399368009"),
        ("L", "MLO", ["A", "FR"], "399368009"),
        ("L", "ML", ["A", "F"], "399260004"),
        ("R", "XCCL", ["P", "L"], "399192008"),
    ],
)
def test_view_attributes(laterality, view, orientation, code):
    ds = _dataset(laterality=laterality, view=view)
    assert (ds.ImageLaterality, ds.ViewPosition) == (laterality, view)
    assert list(ds.PatientOrientation) == orientation
    item = ds.ViewCodeSequence[0]
    assert (item.CodeValue, item.CodingSchemeDesignator) == (code, "SCT") and item.CodeMeaning


@pytest.mark.parametrize(("peak", "bits"), [(4000, 12), (9000, 14), (60000, 16)])
def test_bits_stored_fits_the_data(peak, bits):
    pixels = _pixels(peak)
    pixels[0, 0] = peak
    ds = _dataset(pixels)
    assert (ds.BitsStored, ds.HighBit) == (bits, bits - 1)


def test_window_monochrome1_and_kvp_options():
    ds = _dataset(window=(1200.0, 800.0), monochrome1=True, kvp=30.0, manufacturer="ACME")
    assert float(ds.WindowCenter[0]) == 1200.0 and float(ds.WindowWidth[0]) == 800.0
    assert len(ds.WindowCenterWidthExplanation) == len(ds.WindowCenter) == len(ds.WindowWidth)
    assert ds.PhotometricInterpretation == "MONOCHROME1"
    assert (float(ds.KVP), ds.Manufacturer) == (30.0, "ACME")


def test_default_window_covers_the_image_values():
    pixels = _pixels(3000)
    ds = _dataset(pixels)
    center, width = float(ds.WindowCenter[0]), float(ds.WindowWidth[0])
    assert center - width / 2 <= np.percentile(pixels, 5) and center + width / 2 >= np.percentile(pixels, 95)


@pytest.mark.parametrize("syntax", [RLELossless, JPEG2000Lossless])
def test_compressed_syntaxes_round_trip_exactly_and_leave_the_dataset_alone(tmp_path, syntax):
    pixels = _pixels(4095, shape=(70, 52), seed=3)
    ds = _dataset(pixels)
    path = write_dataset(ds, tmp_path / "compressed", syntax)
    written = pydicom.dcmread(path)
    assert written.file_meta.TransferSyntaxUID == syntax
    np.testing.assert_array_equal(written.pixel_array, pixels)
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    np.testing.assert_array_equal(ds.pixel_array, pixels)


def test_same_identity_and_numbers_give_the_same_uids():
    assert _dataset().SOPInstanceUID == _dataset().SOPInstanceUID
    assert _dataset().SOPInstanceUID != _dataset(energy=Energy.RECOMBINED).SOPInstanceUID
    assert _dataset().SeriesInstanceUID != _dataset(series_number=9).SeriesInstanceUID


@pytest.mark.parametrize(
    ("pixels", "options", "message"),
    [
        (np.zeros((2, 4, 4), np.uint16), {}, "2-D"),
        (np.full((4, 4), 70000, np.int64), {}, "0..65535"),
        (np.zeros((4, 4), np.uint16), {"laterality": "B"}, "laterality"),
        (np.zeros((4, 4), np.uint16), {"view": "TOP"}, "view"),
    ],
)
def test_invalid_input_is_refused_with_a_reason(pixels, options, message):
    with pytest.raises(ValueError, match=message):
        _dataset(pixels, **options)


def test_jpeg_ls_is_written_when_its_encoder_is_installed_and_refused_clearly_otherwise(tmp_path):
    from pydicom.pixels.encoders import JPEGLSLosslessEncoder

    pixels = _pixels(4095, shape=(40, 32), seed=5)
    if JPEGLSLosslessEncoder.is_available:
        path = write_dataset(_dataset(pixels), tmp_path / "jls", pydicom.uid.JPEGLSLossless)
        np.testing.assert_array_equal(pydicom.dcmread(path).pixel_array, pixels)
    else:
        with pytest.raises(RuntimeError, match="cannot encode JPEG-LS Lossless.*pyjpegls"):
            write_dataset(_dataset(pixels), tmp_path / "jls", pydicom.uid.JPEGLSLossless)
        assert not (tmp_path / "jls").exists()
