"""Every lesion of a study assessed for a report: the same core as the viewer's live assessment and
`cemviewer analyze` (cemviewer.fusion.assess_lesion: radiomics, DL and fused probabilities, threshold, call,
TreeSHAP contributions), plus the classifier's Grad-CAM++ map of the lesion for its key image.

Lesions are LesionRecords in display orientation, as the viewer draws them, on the grid of the view's low-energy
image (the recombined without one); the images are loaded flipped the same way. A lesion that cannot be measured
(an outline too small for radiomics) or a view whose images cannot be read is kept in the report with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cemviewer.annotations.records import LesionRecord, by_view
from cemviewer.fusion.assess import LesionAssessment, age_years, assess_lesion, dense_bright
from cemviewer.study.model import MammoImage, Study
from cemviewer.study.view_images import load_view_images


@dataclass
class LesionFinding:
    record: LesionRecord
    assessment: LesionAssessment | None  # None: not assessed, `problem` says why
    problem: str = ""
    key_image: np.ndarray | None = None  # RGB uint8: LE | recombined | recombined with the heatmap
    spacing_mm: tuple[float, float] | None = None  # (row, column)

    @property
    def name(self) -> str:
        return f"{self.record.view} lesion {self.record.number}"

    @property
    def max_diameter_mm(self) -> float | None:
        """The longest extent of the outline (between pixel centres, plus one pixel), in mm."""
        if self.spacing_mm is None:
            return None
        rows, columns = np.nonzero(self.record.mask)
        points = np.column_stack([rows * self.spacing_mm[0], columns * self.spacing_mm[1]])
        hull = _hull_points(points)
        differences = hull[:, None, :] - hull[None, :, :]
        return float(np.sqrt((differences ** 2).sum(-1)).max()) + float(np.mean(self.spacing_mm))


@dataclass
class StudyAssessment:
    study: Study
    findings: list[LesionFinding]
    dl_classifier: bool  # False: the fused probability is the radiomics one alone
    models_dir: Path
    notes: list[str] = field(default_factory=list)  # what the reader should know (no classifier, unread view)


@dataclass(frozen=True)
class ReportModels:
    radiomics: object  # cemviewer.fusion.model.RadiomicsModel
    classifier: object | None  # cemviewer.ai.classifier.MalignancyClassifier
    folder: Path
    classifier_problem: str = ""

    @classmethod
    def load(cls, models_dir: Path | None = None, device: str | None = None) -> ReportModels:
        """The radiomics model (required: ModelLoadError when it cannot be loaded) and the DL classifier (left out,
        with the reason, when it cannot)."""
        from cemviewer.ai.classifier import MalignancyClassifier
        from cemviewer.ai.model_files import (
            CLASSIFIER_FILE,
            ModelLoadError,
            default_models_dir,
        )
        from cemviewer.fusion.model import MODEL_FILE, RadiomicsModel

        folder = Path(models_dir) if models_dir is not None else default_models_dir()
        radiomics = RadiomicsModel.load(folder / MODEL_FILE)
        try:
            return cls(radiomics, MalignancyClassifier.load(folder / CLASSIFIER_FILE, device=device), folder)
        except ModelLoadError as error:
            return cls(radiomics, None, folder, f"{error}; the fused probability is the radiomics one alone")


def assess_study(study: Study, records: Iterable[LesionRecord], models: ReportModels) -> StudyAssessment:
    from cemviewer.reports.key_image import key_image

    result = StudyAssessment(study, [], models.classifier is not None, models.folder)
    if models.classifier_problem:
        result.notes.append(models.classifier_problem)
    age = age_years(study.patient.age)
    for view_name, view_records in by_view(records).items():
        view = study.view(view_name)
        if view is None:
            images, problems = {}, [f"the study has no {view_name} view"]
        else:
            images, unread = load_view_images(view)
            problems = [f"{view_name}: {path.name}: {reason}" for path, reason in unread]
        result.notes += problems
        if "low_energy" not in images and "recombined" not in images:
            result.findings += [LesionFinding(record, None, f"the images of {view_name} cannot be read")
                                for record in view_records]
            continue
        le, rec = (dense_bright(images[energy]) if energy in images else None
                   for energy in ("low_energy", "recombined"))
        reference = images.get("low_energy") or images["recombined"]
        for record in view_records:
            result.findings.append(_assess(record, le, rec, reference, models, age, key_image))
    return result


def _assess(record: LesionRecord, le, rec, reference: MammoImage, models: ReportModels, age, key_image
            ) -> LesionFinding:
    from cemviewer.radiomics import RadiomicsError

    shape = reference.pixels.shape
    _x0, _y0, x1, y1 = record.box
    spacing = reference.spacing_mm
    if x1 > shape[1] or y1 > shape[0]:
        return LesionFinding(record, None, f"the outline at {record.box} lies outside the {shape[1]} x {shape[0]} "
                                           f"image", spacing_mm=spacing)
    mask = record.full_mask(shape)
    try:
        assessment = assess_lesion(le, rec, mask, spacing, models.classifier, models.radiomics, age=age)
    except RadiomicsError as error:
        return LesionFinding(record, None, str(error), spacing_mm=spacing)
    heat = None
    if models.classifier is not None:
        from cemviewer.ai.gradcam import heatmap_for_lesion

        heat = heatmap_for_lesion(models.classifier, le, rec, mask)
    return LesionFinding(record, assessment, key_image=key_image(le, rec, record, heat, spacing),
                         spacing_mm=spacing)


def _hull_points(points: np.ndarray) -> np.ndarray:
    """The points on the convex hull (all of them when too few or collinear for a hull)."""
    if len(points) < 3:
        return points
    from scipy.spatial import ConvexHull, QhullError

    try:
        return points[ConvexHull(points).vertices]
    except QhullError:
        return points
