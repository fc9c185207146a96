"""What the models folder holds, for Help ▸ About: each model's version, date and headline metrics, read from the
metadata saved with its weights (the segmenter's and classifier's `meta`, the radiomics model's .meta.json).

The version is the first 12 hex digits of the file's SHA-256: two copies of the same weights show the same version
wherever they are installed. The weights carry no training date, so the date is the file's modification time.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cemviewer.ai.model_files import CLASSIFIER_FILE, SEGMENTER_FILE, default_models_dir
from cemviewer.fusion.model import MODEL_FILE as RADIOMICS_FILE
from cemviewer.fusion.model import metadata_path

MODEL_CARD_FILE = "MODEL_CARD.md"
VERSION_DIGITS = 12


@dataclass(frozen=True)
class ModelInfo:
    title: str
    file: Path
    version: str = ""
    date: str = ""  # the file's modification date, YYYY-MM-DD
    metrics: list[tuple[str, str]] = field(default_factory=list)  # (what, value) as shown to the reader
    problem: str | None = None  # why the file cannot be described (missing, unreadable); None when it can


def _file_facts(path: Path, data: bytes) -> dict:
    return {"version": hashlib.sha256(data).hexdigest()[:VERSION_DIGITS],
            "date": datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d")}


def _torch_meta(data: bytes) -> dict:
    import torch

    return dict(torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)["meta"])


def _segmenter_metrics(meta: dict) -> list[tuple[str, str]]:
    validation = meta.get("validation", {})
    metrics = [("architecture", str(meta.get("architecture", "?"))),
               ("input", f"{meta.get('input_size', '?')} px, LE + recombined"),
               ("training", f"{meta.get('epochs', '?')} epochs (best {meta.get('best_epoch', '?')})")]
    if "dice" in validation:
        metrics.append(("validation", f"Dice {validation['dice']:.3f}, sensitivity "
                                      f"{validation.get('sensitivity', float('nan')):.2f}, "
                                      f"{validation.get('false_positives_per_image', float('nan')):.2f} "
                                      f"false positives per image"))
    return metrics


def _classifier_metrics(meta: dict) -> list[tuple[str, str]]:
    summary = meta.get("summary", {})
    metrics = [("input", f"{meta.get('crop_size', '?')} px lesion crops, LE + recombined"),
               ("training", f"{summary.get('epochs', '?')} epochs (best {summary.get('best_epoch', '?')})")]
    if "validation_auc" in summary:
        metrics.append(("validation", f"AUC {summary['validation_auc']:.3f}"))
    test = summary.get("test_auc_benign_vs_malignant")
    if test:
        low, high = test.get("ci95", (float("nan"), float("nan")))
        metrics.append(("test, benign vs malignant", f"AUC {test['auc']:.3f} (95% CI {low:.3f}-{high:.3f})"))
    return metrics


def _radiomics_metrics(meta: dict) -> list[tuple[str, str]]:
    cv = meta.get("cv", {})
    data = meta.get("data", {})
    metrics = [("features", f"{len(meta.get('features', []))} selected radiomics features (XGBoost)"),
               ("training data", f"{data.get('studies', '?')} studies, {data.get('lesions', '?')} lesions")]
    if "radiomics_auc" in cv:
        metrics.append((f"{cv.get('folds', '?')}-fold CV by patient",
                        f"AUC radiomics {cv['radiomics_auc']:.3f}, fused {cv.get('fused_auc', float('nan')):.3f}"))
    if "threshold" in meta:
        metrics.append(("thresholds (Youden)", f"radiomics {meta['threshold']:.3f}, "
                                               f"fused {meta.get('fused_threshold', float('nan')):.3f}"))
    return metrics


def _describe(title: str, path: Path, read_meta, metrics_of) -> ModelInfo:
    try:
        data = path.read_bytes()
        return ModelInfo(title, path, metrics=metrics_of(read_meta(path, data)), **_file_facts(path, data))
    except FileNotFoundError:
        return ModelInfo(title, path, problem="not installed")
    except Exception as error:  # a damaged or half-written file: torch, json and zip errors alike
        return ModelInfo(title, path, problem=f"unreadable ({type(error).__name__}: {error})")


def installed_models(models_dir: Path | None = None) -> list[ModelInfo]:
    """The segmenter, the malignancy classifier and the radiomics model of `models_dir` (default: the one the
    viewer uses), each described or with the reason it cannot be."""
    folder = Path(models_dir) if models_dir is not None else default_models_dir()
    radiomics = folder / RADIOMICS_FILE
    return [
        _describe("Lesion segmenter", folder / SEGMENTER_FILE, lambda _path, data: _torch_meta(data),
                  _segmenter_metrics),
        _describe("Malignancy classifier (deep learning)", folder / CLASSIFIER_FILE,
                  lambda _path, data: _torch_meta(data), _classifier_metrics),
        _describe("Radiomics classifier", radiomics,
                  lambda path, _data: json.loads(metadata_path(path).read_text(encoding="utf-8")),
                  _radiomics_metrics),
    ]


def model_card(models_dir: Path | None = None) -> Path:
    return (Path(models_dir) if models_dir is not None else default_models_dir()) / MODEL_CARD_FILE
