"""One lesion ROI -> radiomics, DL and fused malignancy probabilities, the call, and why.

The viewer (after every ROI edit) and `cemviewer analyze` both call assess_lesion, so they always agree.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import numpy as np

from cemviewer.fusion.model import RadiomicsModel
from cemviewer.study.model import MammoImage

MALIGNANT, BENIGN = "malignant", "benign"
_AGE_UNITS = {"Y": 1.0, "M": 12.0, "W": 52.1775, "D": 365.25}  # DICOM Age String unit -> count per year


@dataclass
class LesionAssessment:
    features: dict[str, float]  # see cemviewer.radiomics for the names
    dl_prob: float | None  # lesion classifier on the crop around the ROI; None without a classifier
    radiomics_prob: float
    fused_prob: float  # mean of dl_prob and radiomics_prob (radiomics_prob alone without a classifier)
    threshold: float  # Youden cut-off from training for fused_prob
    call: str  # MALIGNANT when fused_prob >= threshold, else BENIGN
    contributions: list[tuple[str, float]]  # largest TreeSHAP contributions to the radiomics log-odds
    area_mm2: float
    seconds: float


def fuse(dl_prob: float | None, radiomics_prob: float) -> float:
    return radiomics_prob if dl_prob is None else (dl_prob + radiomics_prob) / 2.0


def assess_lesion(le: np.ndarray | None, rec: np.ndarray | None, mask: np.ndarray,
                  spacing_mm: tuple[float, float] | None, dl_classifier, radiomics_model: RadiomicsModel,
                  age: float | None = None) -> LesionAssessment:
    """Assess the lesion outlined by `mask` (bool, image shape) on co-registered LE / recombined pixels (bright =
    dense; one may be None). `dl_classifier` is a cemviewer.ai.classifier.MalignancyClassifier or None.

    Raises cemviewer.radiomics.RoiError for an outline that cannot be measured, RadiomicsError for unusable images.
    """
    start = time.perf_counter()
    mask = np.asarray(mask, dtype=bool)
    features = radiomics_model.extractor.extract(le, rec, mask, spacing_mm)
    radiomics_prob = radiomics_model.predict(features, age)
    dl_prob = None if dl_classifier is None else float(dl_classifier.predict(le, rec, mask))
    fused = fuse(dl_prob, radiomics_prob)
    threshold = radiomics_model.threshold if dl_prob is None else radiomics_model.fused_threshold
    return LesionAssessment(
        features=features,
        dl_prob=dl_prob,
        radiomics_prob=radiomics_prob,
        fused_prob=fused,
        threshold=threshold,
        call=MALIGNANT if fused >= threshold else BENIGN,
        contributions=radiomics_model.contributions(features, age),
        area_mm2=float(mask.sum()) * float(spacing_mm[0]) * float(spacing_mm[1]),
        seconds=time.perf_counter() - start,
    )


def dense_bright(image: MammoImage) -> np.ndarray:
    """The image's modality values with dense tissue bright, as the models expect (MONOCHROME1 stores it dark)."""
    pixels = image.pixels
    return pixels.max() - pixels.astype(np.float32) if image.invert else pixels


def age_years(age: str) -> float | None:
    """Years from a DICOM Age String ('054Y', '018M'); None when absent or malformed."""
    match = re.fullmatch(r"\s*(\d{1,3})\s*([YMWD])\s*", age or "")
    return int(match.group(1)) / _AGE_UNITS[match.group(2)] if match else None
