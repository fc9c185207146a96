"""Radiomics timings per lesion size on a full-size view (2294 x 1914 at 0.1 mm): LE + recombined, one ROI.

ROIs are discs and irregular (lobulated) outlines of 10, 30 and 60 mm diameter placed deep in the breast of a
synthetic CC view. "radiomics" is RadiomicsExtractor.extract on both images (crop, scaling, pyradiomics);
"assess" is the whole cemviewer.fusion.assess_lesion (radiomics + DL classifier + XGBoost + contributions), when
the models are present. Medians over --repeats runs after one warm-up run; prints a Markdown table.

    .venv/bin/python benchmarks/bench_radiomics.py [--repeats 5] [--models DIR]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

from cemviewer.ai.segmenter import ModelLoadError
from cemviewer.fusion import RadiomicsModel, assess_lesion
from cemviewer.radiomics import RadiomicsExtractor
from cemviewer.synth.scene import synthesize
from cemviewer.synth.study import FULL_SHAPE

SPACING_MM = 0.1
SEED = 7
DIAMETERS_MM = (10, 30, 60)


def _outline(shape, centre, radius_px: float, irregular: bool) -> np.ndarray:
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    dy, dx = rows - centre[0], cols - centre[1]
    angle = np.arctan2(dy, dx)
    radius = radius_px * ((1 + 0.2 * np.sin(3 * angle) + 0.12 * np.cos(5 * angle + 1.0)) if irregular else 1.0)
    return dy**2 + dx**2 <= radius**2


def _deepest_point(breast: np.ndarray) -> tuple[int, int]:
    step = 8
    inside = np.pad(breast[::step, ::step][1:-1, 1:-1], 1)  # the image edge (chest wall) counts as outside
    depth = ndimage.distance_transform_edt(inside)
    row, col = np.unravel_index(int(np.argmax(depth)), depth.shape)
    return int(row * step), int(col * step)


def _median_ms(run, repeats: int) -> float:
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--models", type=Path, default=None, help="models folder (default: the package's models/)")
    args = parser.parse_args()

    view = next(v for v in synthesize(SEED, FULL_SHAPE, SPACING_MM).views if v.view == "CC")
    le, rec = view.low_energy, view.recombined
    centre = _deepest_point(view.breast)
    extractor = RadiomicsExtractor()
    try:
        from cemviewer.ai.classifier import MalignancyClassifier
        from cemviewer.ai.pipeline import CLASSIFIER_FILE, default_models_dir

        models = args.models or default_models_dir()
        model = RadiomicsModel.load(models / "radiomics_xgb.json")
        classifier = MalignancyClassifier.load(models / CLASSIFIER_FILE, device="cpu")
    except ModelLoadError as error:
        print(f"(no assess timings: {error})")
        model = classifier = None

    print(f"Radiomics on a {le.shape[0]} x {le.shape[1]} view at {SPACING_MM} mm, LE + recombined "
          f"(median of {args.repeats}, ms)\n")
    print("| outline | diameter | area (mm²) | features | radiomics (ms) | assess (ms) |")
    print("|---|---|---|---|---|---|")
    for irregular in (False, True):
        for diameter in DIAMETERS_MM:
            mask = _outline(le.shape, centre, diameter / 2 / SPACING_MM, irregular)
            spacing = (SPACING_MM, SPACING_MM)
            features = extractor.extract(le, rec, mask, spacing)
            radiomics_ms = _median_ms(lambda: extractor.extract(le, rec, mask, spacing), args.repeats)
            assess_ms = "-"
            if model is not None:
                ms = _median_ms(lambda: assess_lesion(le, rec, mask, spacing, classifier, model), args.repeats)
                assess_ms = f"{ms:.0f}"
            print(f"| {'irregular' if irregular else 'disc'} | {diameter} mm | "
                  f"{features['original_shape2D_PixelSurface']:.0f} | {len(features)} | {radiomics_ms:.0f} | "
                  f"{assess_ms} |")


if __name__ == "__main__":
    main()
