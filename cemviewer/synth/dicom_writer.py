"""Write CEM images as the DICOM objects a vendor's contrast-enhanced mammography unit produces.

The objects are Digital Mammography X-Ray Image Storage - For Presentation, with the attributes the study loader
(cemviewer.study) and other viewers use to classify them: ImageType, descriptions and kVp tell the energy;
ImageLaterality, ViewPosition and ViewCodeSequence tell the view; PatientOrientation tells how the pixels lie.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import FileMetaDataset
from pydicom.pixels.encoders.base import get_encoder
from pydicom.sequence import Sequence
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    UID,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    generate_uid,
)

from cemviewer.study.anatomy import VIEW_CODES
from cemviewer.study.model import Energy
from cemviewer.study.orientation import conventional_orientation

DIGITAL_MAMMOGRAPHY_FOR_PRESENTATION = UID("1.2.840.10008.5.1.4.1.1.1.2")
_UNCOMPRESSED = {ExplicitVRLittleEndian, ImplicitVRLittleEndian}

# How vendors label the three exposures of a CEM acquisition (Hologic-style ImageType third value).
_ENERGY_LABELS: dict[Energy, tuple[list[str], str, float]] = {
    Energy.LOW: (["ORIGINAL", "PRIMARY", "", "LOW_ENERGY"], "low energy", 28.0),
    Energy.HIGH: (["ORIGINAL", "PRIMARY", "", "HIGH_ENERGY"], "high energy", 47.0),
    Energy.RECOMBINED: (["DERIVED", "PRIMARY", "", "RECOMBINED"], "recombined CESM", 47.0),
}

_FIRST_NAMES = ["ANNA", "BEATRIZ", "CHLOE", "DANA", "ELENA", "FATIMA", "GRACE", "HANNA", "INES", "JUDITH"]
_LAST_NAMES = ["SYNTH", "PHANTOM", "MODEL", "SAMPLE", "TESTCASE"]


@dataclass(frozen=True)
class StudyIdentity:
    """Patient and study attributes shared by every image of one synthetic study."""

    patient_id: str
    patient_name: str
    birth_date: str
    sex: str
    study_uid: str
    study_date: str
    study_time: str
    accession_number: str
    study_description: str
    frame_of_reference_uid: str

    @classmethod
    def new(cls, seed: int, geometry: tuple = ()) -> StudyIdentity:
        """A reproducible identity: the same seed always gives the same names, and with the same `geometry` (what
        else makes the pixels differ: shape, spacing) the same UIDs. Two studies of one seed at different sizes are
        different studies: annotations, caches and autosaves keyed by their UIDs must not mix."""
        rng = np.random.default_rng(seed)
        year = 1950 + int(rng.integers(0, 35))
        month, day = int(rng.integers(1, 13)), int(rng.integers(1, 29))
        return cls(
            patient_id=f"SYN{seed:06d}",
            patient_name=f"{rng.choice(_LAST_NAMES)}^{rng.choice(_FIRST_NAMES)}",
            birth_date=f"{year:04d}{month:02d}{day:02d}",
            sex="F",
            study_uid=_uid(seed, "study", *geometry),
            study_date=f"2024{int(rng.integers(1, 13)):02d}{int(rng.integers(1, 29)):02d}",
            study_time=f"{int(rng.integers(8, 18)):02d}{int(rng.integers(0, 60)):02d}00",
            accession_number=f"ACC{seed:08d}",
            study_description="CEM bilateral contrast-enhanced mammography",
            frame_of_reference_uid=_uid(seed, "frame-of-reference", *geometry),
        )


def _uid(*parts: object) -> str:
    return generate_uid(entropy_srcs=["cemviewer", *map(str, parts)])


def _bits_stored(pixels: np.ndarray) -> int:
    peak = int(pixels.max()) if pixels.size else 0
    return next(bits for bits in (12, 14, 16) if peak < (1 << bits))


def _default_window(pixels: np.ndarray) -> tuple[float, float]:
    tissue = pixels[pixels > 0]
    low, high = np.percentile(tissue if tissue.size else pixels, (1.0, 99.5))
    return float(low + high) / 2.0, max(float(high - low), 1.0)


def _code_item(value: str, meaning: str, scheme: str = "SCT") -> pydicom.Dataset:
    item = pydicom.Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    return item


def mammo_dataset(
    pixels: np.ndarray,
    *,
    identity: StudyIdentity,
    laterality: str,
    view: str,
    energy: Energy,
    series_number: int,
    instance_number: int,
    pixel_spacing_mm: float = 0.1,
    kvp: float | None = None,
    window: tuple[float, float] | None = None,
    monochrome1: bool = False,
    manufacturer: str = "cemviewer synthetic",
) -> pydicom.Dataset:
    """A For Presentation digital mammogram of `pixels` (rows x columns, already oriented as displayed).

    `pixels` must follow the display convention of cemviewer.study.orientation (right breast: chest wall on the
    right edge; left breast: chest wall on the left edge); PatientOrientation is written to say so.

    Values must fit in 16 bits unsigned; BitsStored is the smallest of 12, 14 or 16 that holds them.
    """
    if pixels.ndim != 2:
        raise ValueError(f"a mammogram is one 2-D frame, got an array of shape {pixels.shape}")
    if pixels.size and (pixels.min() < 0 or pixels.max() > 0xFFFF):
        raise ValueError("pixel values must lie in 0..65535 for a 16-bit unsigned mammogram")
    if laterality not in ("L", "R"):
        raise ValueError(f"laterality must be 'L' or 'R', got {laterality!r}")
    if view not in VIEW_CODES:
        raise ValueError(f"unknown mammography view {view!r}; expected one of {', '.join(VIEW_CODES)}")
    stored = np.ascontiguousarray(pixels, dtype=np.uint16)
    image_type, description, default_kvp = _ENERGY_LABELS[energy]
    series_uid = _uid(identity.study_uid, "series", series_number)
    sop_uid = _uid(identity.study_uid, "image", series_number, instance_number, laterality, view, energy.value)

    ds = pydicom.Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = DIGITAL_MAMMOGRAPHY_FOR_PRESENTATION
    ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID

    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = image_type
    ds.SOPClassUID = DIGITAL_MAMMOGRAPHY_FOR_PRESENTATION
    ds.SOPInstanceUID = sop_uid
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = identity.study_date
    ds.StudyTime = ds.SeriesTime = identity.study_time
    ds.AcquisitionTime = ds.ContentTime = f"{identity.study_time[:4]}{instance_number % 60:02d}"
    ds.AccessionNumber = identity.accession_number
    ds.Modality = "MG"
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.Manufacturer = manufacturer
    ds.ManufacturerModelName = "CEM simulator"
    ds.InstitutionName = "cemviewer"
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = identity.study_description
    ds.SeriesDescription = f"{laterality}{view} {description}"
    ds.AcquisitionDeviceProcessingDescription = description

    ds.PatientName = identity.patient_name
    ds.PatientID = identity.patient_id
    ds.PatientBirthDate = identity.birth_date
    ds.PatientSex = identity.sex

    ds.BodyPartExamined = "BREAST"
    ds.KVP = f"{kvp if kvp is not None else default_kvp:g}"
    ds.ImagerPixelSpacing = [pixel_spacing_mm, pixel_spacing_mm]
    ds.PixelSpacing = [pixel_spacing_mm, pixel_spacing_mm]
    ds.ViewPosition = view
    ds.DetectorType = "DIRECT"
    ds.PositionerType = "MAMMOGRAPHIC"

    ds.StudyInstanceUID = identity.study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyID = identity.accession_number[-8:]
    ds.SeriesNumber = series_number
    ds.AcquisitionNumber = 1
    ds.InstanceNumber = instance_number
    ds.PatientOrientation = list(conventional_orientation(laterality, view))
    ds.FrameOfReferenceUID = identity.frame_of_reference_uid
    ds.PositionReferenceIndicator = ""
    ds.Laterality = laterality
    ds.ImageLaterality = laterality
    ds.BurnedInAnnotation = "NO"
    ds.BreastImplantPresent = "NO"
    ds.LossyImageCompression = "00"
    ds.AnatomicRegionSequence = Sequence([_code_item("76752008", "Breast")])
    view_item = _code_item(*VIEW_CODES[view])
    view_item.ViewModifierCodeSequence = Sequence()
    ds.ViewCodeSequence = Sequence([view_item])

    bits = _bits_stored(stored)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME1" if monochrome1 else "MONOCHROME2"
    ds.PixelPresentation = "MONOCHROME"
    ds.Rows, ds.Columns = stored.shape
    ds.BitsAllocated = 16
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    ds.RescaleIntercept = 0
    ds.RescaleSlope = 1
    ds.RescaleType = "US"
    center, width = window if window is not None else _default_window(stored)
    # Vendors ship a default and a wider preset; both are kept so the viewer can offer them.
    ds.WindowCenter = [f"{center:.1f}", f"{center:.1f}"]
    ds.WindowWidth = [f"{width:.1f}", f"{width * 1.5:.1f}"]
    ds.WindowCenterWidthExplanation = ["NORMAL", "WIDE"]
    ds.VOILUTFunction = "LINEAR"
    ds.PixelData = stored.tobytes()
    return ds


def write_dataset(ds: pydicom.Dataset, path: Path, transfer_syntax: str = ExplicitVRLittleEndian) -> Path:
    """Write `ds` as a DICOM Part 10 file, encoding its pixels losslessly when a compressed syntax is asked for.

    RLE Lossless is encoded by pydicom itself, JPEG 2000 Lossless by pylibjpeg-openjpeg, JPEG-LS by pyjpegls when
    installed. The caller's dataset is left unchanged.
    """
    syntax = UID(transfer_syntax)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if syntax in _UNCOMPRESSED:
        ds.file_meta.TransferSyntaxUID = syntax
        ds.save_as(path, enforce_file_format=True)
        return path
    encoder = get_encoder(syntax)
    if not encoder.is_available:
        missing = "; ".join(encoder.missing_dependencies) or "no encoder plugin"
        raise RuntimeError(f"cannot encode {syntax.name}: {missing}")
    encoded = copy.deepcopy(ds)
    encoded.compress(syntax)
    encoded.save_as(path, enforce_file_format=True)
    return path
