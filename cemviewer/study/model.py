"""What a CEM study is made of, as the loader hands it to the rest of the application."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np


class Energy(str, Enum):
    LOW = "low_energy"
    HIGH = "high_energy"
    RECOMBINED = "recombined"


@dataclass(frozen=True)
class ScannedHeader:
    """An image file's header as the scan read it, and where its uncompressed pixel data lies: decoding then reads
    only the pixels. Parsing the header a second time took 0.5 ms of the interpreter per image, and 2-9 ms of a
    decode while the window drew the first view and held the interpreter itself."""

    dataset: Any  # the pydicom Dataset, up to the pixel data
    pixel_offset: int  # where the pixel data's value starts in the file
    pixel_length: int
    file_size: int  # with modified_ns: the file the scan read, which decoding checks it still is
    modified_ns: int


@dataclass(frozen=True)
class ImageRef:
    """One mammography image file, identified and classified from its header only (no pixels read)."""

    path: Path
    sop_instance_uid: str
    series_uid: str
    study_uid: str
    patient_id: str
    laterality: str  # "L" or "R"
    view: str  # DICOM view code meaning in mammography shorthand: CC, MLO, ML, LM, XCCL, ...
    energy: Energy
    rows: int
    columns: int
    kvp: float | None = None  # tube peak kilovoltage (KVP); None when the header does not give it
    compressed: bool = False  # the pixel data is encapsulated (JPEG 2000, JPEG lossless, RLE ...): decoding costs
    header: ScannedHeader | None = field(default=None, compare=False, repr=False)  # uncompressed images only


@dataclass
class View:
    """One breast in one projection: its low-energy and its recombined image."""

    laterality: str
    view: str
    low_energy: ImageRef | None = None
    recombined: ImageRef | None = None

    @property
    def name(self) -> str:
        """Hanging-protocol shorthand, e.g. 'RCC', 'LMLO'."""
        return f"{self.laterality}{self.view}"

    def images(self) -> list[ImageRef]:
        return [ref for ref in (self.low_energy, self.recombined) if ref is not None]


@dataclass
class PatientInfo:
    patient_id: str = ""
    patient_name: str = ""
    birth_date: str = ""
    sex: str = ""
    age: str = ""


@dataclass
class Study:
    study_uid: str
    patient: PatientInfo = field(default_factory=PatientInfo)
    study_date: str = ""
    study_description: str = ""
    accession_number: str = ""
    institution: str = ""
    manufacturer: str = ""
    model_name: str = ""
    views: list[View] = field(default_factory=list)
    segmentations: list[Path] = field(default_factory=list)  # DICOM SEG files of this study found with the images

    def view(self, name: str) -> View | None:
        return next((v for v in self.views if v.name == name), None)

    def images(self) -> list[ImageRef]:
        return [ref for v in self.views for ref in v.images()]


@dataclass(frozen=True)
class Skipped:
    """A file or image that was not used, and the reason a user can act on."""

    path: Path
    reason: str


@dataclass
class ScanResult:
    root: Path
    studies: list[Study] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # Things worth telling the user that left no file out, e.g. "RCC has a low-energy image but no recombined image".
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WindowPreset:
    center: float
    width: float
    name: str = ""


@dataclass
class MammoImage:
    """Decoded pixels of one image, ready to display and measure.

    `pixels` holds modality values in a C-contiguous array: the decoded integers themselves (uint16 or int16)
    when the file's modality transform is the identity, as it is for almost every For Presentation mammogram,
    else float32 with Rescale Slope/Intercept or the Modality LUT applied. Convert with `astype(np.float32)`
    before arithmetic.

    The array is already flipped into the back-to-back hanging convention of cemviewer.study.orientation: right
    breast with its chest wall on the right edge of the image, left breast with its chest wall on the left edge;
    lateral side up for CC views, superior side up otherwise. A file without PatientOrientation is kept as stored.

    `invert` is True for MONOCHROME1 so the display flips grey levels; the stored values are not inverted, so
    pixel readouts and radiomics see what the modality wrote. `windows` are in modality values; the first is the
    default. `voi_lut`, when the file has one, maps a modality value v to voi_lut[clip(v - voi_lut_first)] and
    takes precedence over `windows` for the default display.
    """

    ref: ImageRef
    pixels: np.ndarray
    spacing_mm: tuple[float, float] | None  # (row, column); None when the file gives no spacing
    windows: list[WindowPreset]
    invert: bool
    voi_lut: np.ndarray | None = None  # a lookup table from the file, indexed by modality value minus voi_lut_first
    voi_lut_first: int = 0
    voi_lut_function: str = "LINEAR"  # DICOM VOILUTFunction for the windows: LINEAR, LINEAR_EXACT or SIGMOID
    flipped_horizontally: bool = False
    flipped_vertically: bool = False
