"""Ground truth of a synthetic study, as written to truth.json next to the images.

Coordinates are pixels of the written (display-oriented) images: (row, col) from the top-left pixel; a bbox is
[row_min, col_min, row_max, col_max] with the maxima exclusive, like Python slices. Every image has a label PNG
(masks/<image file stem>.png, uint8): 0 outside lesions, lesion k has value k.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

TRUTH_FILE = "truth.json"


@dataclass(frozen=True)
class ImageTruth:
    file: str  # path of the DICOM file relative to the study folder (POSIX)
    mask: str  # path of its label PNG
    laterality: str
    view: str
    energy: str  # cemviewer.study.model.Energy value
    nipple: tuple[float, float]  # (row, col)
    nipple_axis: tuple[float, float]  # unit (row, col) vector from the nipple toward the chest wall
    pectoral_muscle: bool


@dataclass(frozen=True)
class LesionOnImage:
    file: str
    view: str
    energy: str
    center: tuple[float, float]  # centroid of the lesion's label, (row, col)
    bbox: tuple[int, int, int, int]
    distance_from_nipple_mm: float  # centre's depth along the nipple axis


@dataclass(frozen=True)
class LesionTruth:
    id: int  # also its value in the label PNGs
    laterality: str
    pathology: str  # "benign" | "malignant"
    shape: str  # oval | round | irregular
    margin: str  # circumscribed | indistinct | spiculated
    enhancement: str  # homogeneous | heterogeneous | rim | non-enhancing
    birads: int
    calcifications: bool  # associated fine pleomorphic calcifications (visible on LE only)
    size_mm: float
    depth_mm: float  # behind the nipple, along the posterior nipple line
    depth: str  # BI-RADS depth third: anterior | middle | posterior
    clock: int  # clock-face position seen from the front
    images: tuple[LesionOnImage, ...]

    @property
    def malignant(self) -> bool:
        return self.pathology == "malignant"

    @property
    def enhancing(self) -> bool:
        return self.enhancement != "non-enhancing"


@dataclass(frozen=True)
class StudyTruth:
    seed: int
    shape: tuple[int, int]
    pixel_spacing_mm: float
    breast_density: str  # ACR a-d
    bpe: str  # background parenchymal enhancement: minimal | mild | moderate
    images: tuple[ImageTruth, ...]
    lesions: tuple[LesionTruth, ...]

    def image(self, file: str) -> ImageTruth:
        return next(i for i in self.images if i.file == file)

    def save(self, folder: Path) -> Path:
        path = Path(folder) / TRUTH_FILE
        path.write_text(json.dumps(asdict(self), indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, folder_or_file: Path) -> StudyTruth:
        path = Path(folder_or_file)
        if path.is_dir():
            path = path / TRUTH_FILE
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            seed=data["seed"],
            shape=tuple(data["shape"]),
            pixel_spacing_mm=data["pixel_spacing_mm"],
            breast_density=data["breast_density"],
            bpe=data["bpe"],
            images=tuple(ImageTruth(**{**i, "nipple": tuple(i["nipple"]), "nipple_axis": tuple(i["nipple_axis"])})
                         for i in data["images"]),
            lesions=tuple(
                LesionTruth(**{**lesion, "images": tuple(
                    LesionOnImage(**{**o, "center": tuple(o["center"]), "bbox": tuple(o["bbox"])})
                    for o in lesion["images"])})
                for lesion in data["lesions"]
            ),
        )
