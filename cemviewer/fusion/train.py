"""`cemviewer train radiomics`: feature selection, a small grid search with patient-grouped cross-validation
(AUC), the final XGBoost model on all lesions, and Youden thresholds from the out-of-fold predictions.

Selection runs inside every fold, so the cross-validated AUC is that of the whole recipe, not of features chosen
on the test lesions. The thresholds come from out-of-fold probabilities of the training lesions: in-sample
probabilities of boosted trees sit near 0 and 1 and would put any cut-off anywhere between.
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import numpy as np
import xgboost as xgb
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold

from cemviewer.fusion.assess import fuse
from cemviewer.fusion.dataset import FeatureTable, build_table
from cemviewer.fusion.model import RadiomicsModel
from cemviewer.fusion.selection import select_features
from cemviewer.fusion.threshold import youden_threshold
from cemviewer.radiomics import RadiomicsExtractor

FOLDS = 5
GRID = {"max_depth": (2, 3, 4), "n_estimators": (100, 300), "learning_rate": (0.05, 0.1)}
FIXED = {"subsample": 0.8, "colsample_bytree": 0.8, "min_child_weight": 2, "tree_method": "hist",
         "objective": "binary:logistic", "eval_metric": "auc", "n_jobs": 1}


def train_radiomics(data_dir: Path, out: Path, *, seed: int = 0, classifier_path: Path | None = None) -> dict:
    """Extract (or read cached) features of the studies under `data_dir`, fit, and write `out` and its metadata.

    Returns the summary stored in the metadata. Raises FileNotFoundError / ValueError for unusable data and
    ModelLoadError when the lesion classifier (for the fused threshold) cannot be loaded.
    """
    from cemviewer.ai.classifier import MalignancyClassifier
    from cemviewer.ai.pipeline import CLASSIFIER_FILE, default_models_dir

    extractor = RadiomicsExtractor()
    classifier = MalignancyClassifier.load(classifier_path or default_models_dir() / CLASSIFIER_FILE, device="cpu")
    table = build_table(data_dir, extractor, classifier)
    model, summary = fit_model(table, extractor.parameters, seed=seed)
    summary["data"] = {"folder": str(data_dir), "studies": int(len(set(table.groups))), "lesions": int(len(table.x)),
                       "malignant": int(table.malignant.sum())}
    model.meta.update(summary)
    model.save(out)
    return model.meta


def fit_model(table: FeatureTable, parameters: dict, *, seed: int = 0,
              grid: dict = GRID) -> tuple[RadiomicsModel, dict]:
    """Grid search with grouped CV, then the winner refit on every lesion with features selected on every lesion."""
    y = table.malignant
    if y.all() or not y.any():
        raise ValueError("the training lesions must include both benign and malignant ones")
    folds = _folds(table, seed)
    fold_features = [select_features(table.x[train], y[train], table.names) for train, _ in folds]
    results = []
    start = time.perf_counter()
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values))
        out_of_fold = _out_of_fold(table, folds, fold_features, params, seed)
        results.append((roc_auc_score(y, out_of_fold), params, out_of_fold))
        print(f"  {params}: CV AUC {results[-1][0]:.3f}", file=sys.stderr)
    cv_auc, best, out_of_fold = max(results, key=lambda result: result[0])
    selected = select_features(table.x, y, table.names)
    classifier = _classifier(best, seed).fit(table.x[:, _columns(table, selected)], y)
    booster = classifier.get_booster()
    booster.feature_names = selected
    threshold = youden_threshold(y, out_of_fold)
    # Fusion needs lesions the DL classifier scored; without any, the fused score is the radiomics one.
    has_dl = np.isfinite(table.dl_prob)
    dl = table.dl_prob[has_dl]
    fused = np.array([fuse(p, r) for p, r in zip(dl, out_of_fold[has_dl])])
    both_classes = y[has_dl].any() and not y[has_dl].all()
    summary = {
        "features": selected,
        "parameters": parameters,
        "threshold": threshold,
        "fused_threshold": youden_threshold(y[has_dl], fused) if both_classes else threshold,
        "grid_winner": best,
        "cv": {"folds": len(folds), "grouped_by": "patient (study)", "radiomics_auc": float(cv_auc),
               "fused_auc": float(roc_auc_score(y[has_dl], fused)) if both_classes else None,
               "dl_auc": float(roc_auc_score(y[has_dl], dl)) if both_classes else None,
               "grid": [{"params": params, "auc": float(auc)} for auc, params, _ in results],
               "seconds": round(time.perf_counter() - start, 1)},
        "seed": seed,
    }
    return RadiomicsModel(booster, summary), summary


def _folds(table: FeatureTable, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    studies = len(set(table.groups))
    if studies < 2:
        raise ValueError("cross-validation needs lesions from at least two studies")
    splitter = StratifiedGroupKFold(n_splits=min(FOLDS, studies), shuffle=True, random_state=seed)
    return list(splitter.split(table.x, table.malignant, table.groups))


def _out_of_fold(table: FeatureTable, folds, fold_features, params: dict, seed: int) -> np.ndarray:
    predictions = np.zeros(len(table.x))
    for (train, test), features in zip(folds, fold_features):
        columns = _columns(table, features)
        model = _classifier(params, seed).fit(table.x[train][:, columns], table.malignant[train])
        predictions[test] = model.predict_proba(table.x[test][:, columns])[:, 1]
    return predictions


def _classifier(params: dict, seed: int) -> xgb.XGBClassifier:
    return xgb.XGBClassifier(**FIXED, **params, random_state=seed)


def _columns(table: FeatureTable, names: list[str]) -> list[int]:
    return [table.names.index(name) for name in names]
