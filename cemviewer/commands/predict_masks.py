"""`cemviewer predict-masks INDEX_CSV OUT_DIR [--evaluate]`: a lesion mask and lesion JSON for every image row.

Rows of the same patient/side/view run as one LE + recombined pair; an unpaired image runs alone. For each row:
OUT_DIR/<image stem>.png (0/255, the image's size) and OUT_DIR/<image stem>.json
({"lesions": [{"box": [x0, y0, x1, y1], "area_px": n, "score": s, "malignancy": p | null}]}, x1/y1 exclusive).
A bad row is reported on stderr and skipped. Exit code: 0 when at least one row was written, 1 when none, 2 when the
CSV or the model cannot be used at all.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("index_csv", type=Path, help="CSV with image, patient_id, side, view, energy (mask optional)")
    parser.add_argument("out_dir", type=Path, help="folder for the <image stem>.png / .json outputs")
    parser.add_argument("--model", type=Path, default=MODELS_DIR / "segmenter.pt", help="segmenter weights")
    parser.add_argument("--classifier", type=Path, default=MODELS_DIR / "classifier.pt",
                        help="malignancy classifier weights (malignancy is null when the file is absent)")
    parser.add_argument("--evaluate", action="store_true",
                        help="score rows that have a mask: Dice / detected / false positives per image, then a summary "
                             "with patient-bootstrap 95%% CIs")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from cemviewer.ai.cdd_index import IndexFileError, pair_views, read_index
    from cemviewer.ai.preprocess import ImageReadError, read_image
    from cemviewer.ai.segmenter import LesionSegmenter, ModelLoadError

    try:
        rows, problems = read_index(args.index_csv)
        segmenter = LesionSegmenter.load(args.model)
    except (IndexFileError, ModelLoadError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"skipping {args.index_csv}:{problem.message}", file=sys.stderr)
    classifier = _load_classifier(args.classifier)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    pairs, leftovers = pair_views(rows)
    groups = [pair.rows() for pair in pairs] + [[row] for row in leftovers]
    written, scored = 0, []
    with tqdm(total=len(rows), desc="predict-masks", unit="image", file=sys.stderr) as bar:
        for group in groups:
            pixels = {}
            for row in group:
                try:
                    pixels[row.energy] = read_image(row.image)
                except ImageReadError as error:
                    print(f"skipping line {row.line}: {error}", file=sys.stderr)
                    bar.update(1)
            if not pixels:
                continue
            results = segmenter.segment(pixels.get("low_energy"), pixels.get("recombined"))
            for row in (row for row in group if row.energy in pixels):
                result = results[row.energy]
                malignancy = _malignancy(classifier, pixels, result.lesions)
                _write_outputs(args.out_dir / row.image.stem, result, malignancy)
                written += 1
                if args.evaluate and row.mask is not None:
                    score = _evaluate_row(row, result.mask, read_image)
                    if score is not None:
                        scored.append((row.patient_id, row.energy, score))
                bar.update(1)
    if args.evaluate:
        _print_summary(scored)
    print(f"wrote masks and lesion JSON for {written} of {len(rows) + len(problems)} rows to {args.out_dir}")
    return 0 if written else 1


def _write_outputs(stem: Path, result, malignancy: list) -> None:
    from PIL import Image

    Image.fromarray(result.mask.astype(np.uint8) * 255).save(stem.with_suffix(".png"))
    lesions = [{
        "box": [int(value) for value in lesion.box],
        "area_px": lesion.area_px,
        "score": round(lesion.score, 4),
        "malignancy": probability,
    } for lesion, probability in zip(result.lesions, malignancy)]
    stem.with_suffix(".json").write_text(json.dumps({"lesions": lesions}, indent=1))


def _load_classifier(path: Path):
    """The colleague-owned malignancy classifier when its weights exist; None means malignancy is written as null."""
    if not path.is_file():
        return None
    try:
        from cemviewer.ai.classifier import MalignancyClassifier

        return MalignancyClassifier.load(path)
    except Exception as error:  # a broken classifier must not stop segmentation output
        print(f"warning: malignancy classifier unusable, writing null ({error})", file=sys.stderr)
        return None


def _malignancy(classifier, pixels: dict, lesions: list) -> list[float | None]:
    """One probability per lesion from the classifier on the view's (co-registered) images, else nulls."""
    if classifier is None or not lesions:
        return [None] * len(lesions)
    from cemviewer.ai.classifier import normalised_pair

    try:
        low_energy, recombined = normalised_pair(pixels.get("low_energy"), pixels.get("recombined"))
    except ValueError as error:  # e.g. LE and recombined of different sizes: not co-registered
        print(f"warning: no malignancy for this view ({error})", file=sys.stderr)
        return [None] * len(lesions)
    probabilities = classifier.predict_lesions(low_energy, recombined, [lesion.mask for lesion in lesions])
    return [round(float(probability), 4) for probability in probabilities]


def _evaluate_row(row, predicted: np.ndarray, read_image):
    from cemviewer.ai.evaluation import score_image
    from cemviewer.ai.preprocess import ImageReadError

    try:
        truth = read_image(row.mask) > 0
    except ImageReadError as error:
        print(f"not evaluating line {row.line}: {error}", file=sys.stderr)
        return None
    if truth.shape != predicted.shape:
        print(f"not evaluating line {row.line}: mask {truth.shape} and image {predicted.shape} differ", file=sys.stderr)
        return None
    score = score_image(predicted, truth)
    print(f"{row.image.name}: Dice {score.dice:.3f}  lesions {score.true_lesions}  detected {score.detected}  "
          f"false positives {score.false_positives}")
    return score


def _print_summary(scored: list) -> None:
    """All evaluated images, then each energy apart (LE outlines are harder to reproduce than recombined ones)."""
    from cemviewer.ai.evaluation import summarise

    if not scored:
        print("no rows with a usable mask to evaluate")
        return
    energies = sorted({energy for _, energy, _ in scored})
    for name, selected in [("all images", scored)] + [
            (energy, [item for item in scored if item[1] == energy]) for energy in energies if len(energies) > 1]:
        summary = summarise([score for *_, score in selected], [patient for patient, *_ in selected])
        print(f"== {name}: " + "\n   ".join(summary.lines()))
