"""`cemviewer analyze STUDY_PATH [--masks DIR] --out report.json [--models DIR]`: every lesion of a study, assessed.

Lesions come from the lesion AI (segmenter), or with --masks from one PNG per image file stem in DIR (a synthetic
study's masks/ folder works as is): non-zero pixels are lesion; a mask with several non-zero values holds one
lesion per value, otherwise each connected region is a lesion. A mask lies on its file's stored pixel grid and is
flipped with the image into display orientation. When both images of a view have a mask, the low-energy one is used.

For each lesion the report gives the image, laterality, view, area in mm², the radiomics features of the LE and
recombined images, the DL, radiomics and fused probabilities, the threshold and the call (see
cemviewer.fusion.assess_lesion). Progress and problems go to stderr; an image or lesion that cannot be used is
listed under "skipped" with the reason and the rest runs. Exit code: 0 when the report is written, 1 when no view
could be read, 2 when the study, the masks folder or the models cannot be used at all.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from cemviewer.annotations.mask_files import MaskImageError, lesion_masks, read_label_image
from cemviewer.study.view_images import load_view_images


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("study", type=Path, help="study folder, DICOMDIR or DICOM file")
    parser.add_argument("--masks", type=Path, default=None,
                        help="folder of lesion masks, <image file stem>.png (default: the lesion AI finds the lesions)")
    parser.add_argument("--out", type=Path, required=True, help="report JSON to write")
    parser.add_argument("--models", type=Path, default=None,
                        help="folder holding radiomics_xgb.json, classifier.pt and segmenter.pt (default: "
                             "$CEMVIEWER_MODELS, else the models/ folder beside the package)")


def run(args: argparse.Namespace) -> int:
    from cemviewer.ai.pipeline import default_models_dir
    from cemviewer.ai.model_files import ModelLoadError
    from cemviewer.fusion.model import MODEL_FILE, RadiomicsModel
    from cemviewer.study.loader import NOT_DICOM_REASON, scan_path

    if not args.study.exists():
        return _fail(f"{args.study}: no such file or folder")
    if args.masks is not None and not args.masks.is_dir():
        return _fail(f"--masks {args.masks}: not a folder")
    models_dir = args.models or default_models_dir()
    try:
        radiomics_model = RadiomicsModel.load(models_dir / MODEL_FILE)
        find_lesions, dl_classifier = _lesion_source(args.masks, models_dir)
    except ModelLoadError as error:
        return _fail(str(error))
    scan = scan_path(args.study)
    if not scan.studies:
        return _fail(f"{args.study}: no CEM study found")

    base = args.study if args.study.is_dir() else args.study.parent
    lesions, skipped, views_read = [], [], 0

    def skip(entry: dict) -> None:
        skipped.append(entry)
        what = f"{entry['image']} lesion {entry['lesion']}" if "lesion" in entry else entry["image"]
        print(f"skipping {what}: {entry['reason']}", file=sys.stderr)

    for item in scan.skipped:
        if item.reason != NOT_DICOM_REASON:  # masks, truth and reports beside the images are no news
            skip({"image": _relative(item.path, base), "reason": item.reason})
    views = [(study, view) for study in scan.studies for view in study.views]
    for number, (study, view) in enumerate(views, 1):
        images, problems = load_view_images(view)
        if images:
            views_read += 1
            found, mask_problems = find_lesions(images)
            problems += mask_problems
        for path, reason in problems:
            skip({"image": _relative(path, base), "reason": reason})
        if not images:
            continue
        print(f"[{number}/{len(views)}] {view.name}: {len(found)} lesion(s)", file=sys.stderr)
        for lesion in found:
            entry = _assess(lesion, images, study, view, base, dl_classifier, radiomics_model)
            if "reason" in entry:
                skip(entry)
            else:
                lesions.append(entry)
    report = {
        "path": str(args.study),
        "lesion_source": "masks" if args.masks is not None else "ai",
        "models": {"radiomics": str(models_dir / MODEL_FILE), "dl_classifier": dl_classifier is not None,
                   "threshold": radiomics_model.fused_threshold if dl_classifier else radiomics_model.threshold},
        "lesions": lesions,
        "skipped": skipped,
        "notes": scan.notes,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(_finite(report), indent=1, allow_nan=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(lesions)} lesion(s) from {views_read} of {len(views)} view(s)", file=sys.stderr)
    return 0 if views_read else 1


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _lesion_source(masks_dir: Path | None, models_dir: Path):
    """(find_lesions(images) -> (lesions, problems), the DL classifier or None)."""
    from cemviewer.ai.classifier import MalignancyClassifier
    from cemviewer.ai.pipeline import CLASSIFIER_FILE, LesionAI
    from cemviewer.ai.model_files import ModelLoadError

    if masks_dir is None:
        ai = LesionAI.load(models_dir)
        return (lambda images: (_ai_lesions(ai, images), [])), ai.classifier
    try:
        classifier = MalignancyClassifier.load(models_dir / CLASSIFIER_FILE)
    except ModelLoadError as error:
        print(f"warning: {error}; the fused probability is the radiomics one alone", file=sys.stderr)
        classifier = None
    return (lambda images: _mask_lesions(masks_dir, images)), classifier


def _ai_lesions(ai, images: dict) -> list[dict]:
    le, rec = _pixels(images)
    findings = ai.analyze(le, rec)
    image = images.get("low_energy") or images["recombined"]
    return [{"image": image, "lesion": index, "mask": lesion.mask, "segmenter_score": lesion.score}
            for index, lesion in enumerate(findings.lesions, 1)]


def _mask_lesions(masks_dir: Path, images: dict) -> tuple[list[dict], list[tuple[Path, str]]]:
    for image in images.values():  # low energy first
        path = masks_dir / f"{image.ref.path.stem}.png"
        if not path.is_file():
            continue
        try:
            labels = read_label_image(path)
        except MaskImageError as error:
            return [], [(path, str(error))]
        labels = labels[:: -1 if image.flipped_vertically else 1, :: -1 if image.flipped_horizontally else 1]
        if labels.shape != image.pixels.shape:
            return [], [(path, f"mask of {labels.shape[0]} x {labels.shape[1]} pixels for an image of "
                               f"{image.pixels.shape[0]} x {image.pixels.shape[1]}")]
        return [{"image": image, "lesion": value, "mask": mask} for value, mask in lesion_masks(labels)], []
    return [], []


def _pixels(images: dict) -> tuple[np.ndarray | None, np.ndarray | None]:
    from cemviewer.fusion.assess import dense_bright

    return tuple(dense_bright(images[energy]) if energy in images else None
                 for energy in ("low_energy", "recombined"))


def _assess(lesion: dict, images: dict, study, view, base: Path, dl_classifier, radiomics_model) -> dict:
    from cemviewer.fusion.assess import age_years, assess_lesion
    from cemviewer.radiomics import RadiomicsError

    image = lesion["image"]
    entry = {"image": _relative(image.ref.path, base), "lesion": lesion["lesion"]}
    le, rec = _pixels(images)
    try:
        result = assess_lesion(le, rec, lesion["mask"], image.spacing_mm, dl_classifier, radiomics_model,
                               age=age_years(study.patient.age))
    except RadiomicsError as error:
        return {**entry, "reason": str(error)}
    rows, cols = np.nonzero(lesion["mask"])
    return {
        **entry,
        **{energy: _relative(images[energy].ref.path, base) for energy in ("low_energy", "recombined")
           if energy in images},
        "study_uid": study.study_uid,
        "laterality": view.laterality,
        "view": view.view,
        "box": [int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1],  # x0, y0, x1, y1
        **({"segmenter_score": lesion["segmenter_score"]} if "segmenter_score" in lesion else {}),
        "area_mm2": result.area_mm2,
        "features": result.features,
        "dl_probability": result.dl_prob,
        "radiomics_probability": result.radiomics_prob,
        "fused_probability": result.fused_prob,
        "threshold": result.threshold,
        "call": result.call,
        "contributions": [{"feature": name, "log_odds": value} for name, value in result.contributions],
        "seconds": round(result.seconds, 3),
    }


def _relative(path: Path, base: Path) -> str:
    try:
        return Path(path).resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path)


def _finite(value):
    """NaN features (pyradiomics gives some for flat ROIs) become null, which JSON has and NaN is not."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value
