"""Small real DICOM mammograms for the study tests, written with the project's writer and then edited the way
individual vendors (or damaged archives) differ."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from pydicom.uid import ExplicitVRLittleEndian

from cemviewer.study.model import Energy
from cemviewer.synth.dicom_writer import StudyIdentity, mammo_dataset, write_dataset

SHAPE = (64, 48)
IDENTITY = StudyIdentity.new(11)
FOUR_VIEWS = (("R", "CC"), ("L", "CC"), ("R", "MLO"), ("L", "MLO"))


def breast_pixels(seed: int = 0, shape: tuple[int, int] = SHAPE, laterality: str = "R") -> np.ndarray:
    """A half-disc of noisy tissue against the chest-wall edge of its breast (right edge for R), air elsewhere."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    chest_wall_col = shape[1] - 1 if laterality == "R" else 0
    inside = (rows - shape[0] / 2) ** 2 + (cols - chest_wall_col) ** 2 < (0.45 * shape[0]) ** 2
    image = rng.normal(60, 5, shape)
    image[inside] = rng.normal(1500, 200, int(inside.sum()))
    return np.clip(image, 0, 4095).astype(np.uint16)


def mammogram(
    laterality: str = "R",
    view: str = "CC",
    energy: Energy = Energy.LOW,
    *,
    identity: StudyIdentity = IDENTITY,
    pixels: np.ndarray | None = None,
    seed: int = 0,
    series_number: int | None = None,
    instance_number: int = 1,
    **options,
) -> pydicom.Dataset:
    """A writer-made mammogram with series numbers that keep every (view, energy) in its own series."""
    views = [f"{lat}{v}" for lat, v in FOUR_VIEWS]
    slot = views.index(laterality + view) if laterality + view in views else len(views)
    energies = list(Energy)
    return mammo_dataset(
        breast_pixels(seed, laterality=laterality) if pixels is None else pixels,
        identity=identity,
        laterality=laterality,
        view=view,
        energy=energy,
        series_number=series_number if series_number is not None else 1 + slot * 3 + energies.index(energy),
        instance_number=instance_number,
        **options,
    )


def write(ds: pydicom.Dataset, path: Path, transfer_syntax: str = ExplicitVRLittleEndian) -> Path:
    return write_dataset(ds, path, transfer_syntax)


def write_cem_study(
    folder: Path,
    identity: StudyIdentity = IDENTITY,
    views=FOUR_VIEWS,
    energies=(Energy.LOW, Energy.RECOMBINED),
) -> dict[tuple[str, Energy], Path]:
    """One file per view and energy, named like a vendor export (no extension, one folder per series)."""
    written = {}
    for index, (laterality, view) in enumerate(views):
        for energy in energies:
            ds = mammogram(laterality, view, energy, identity=identity, seed=index)
            path = folder / f"SER{int(ds.SeriesNumber):03d}" / f"IMG{index:04d}"
            written[(laterality + view, energy)] = write(ds, path)
    return written


def ct_slice(index: int, series_uid: str) -> pydicom.Dataset:
    """A tiny CT image, the kind of series that ends up in the same export as a mammography study."""
    ds = pydicom.Dataset()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = pydicom.uid.CTImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = pydicom.uid.CTImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = pydicom.uid.generate_uid()
    ds.SeriesInstanceUID = series_uid
    ds.Modality = "CT"
    ds.PatientID = "CT-PATIENT"
    ds.InstanceNumber = index
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = 16
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.RescaleIntercept = -1024
    ds.RescaleSlope = 1
    ds.PixelData = np.zeros((16, 16), dtype=np.int16).tobytes()
    return ds


def structured_report() -> pydicom.Dataset:
    """A Basic Text SR: a DICOM object without pixels."""
    ds = pydicom.Dataset()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = pydicom.uid.BasicTextSRStorage
    ds.file_meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = pydicom.uid.BasicTextSRStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = IDENTITY.study_uid
    ds.SeriesInstanceUID = pydicom.uid.generate_uid()
    ds.Modality = "SR"
    ds.PatientID = IDENTITY.patient_id
    return ds
