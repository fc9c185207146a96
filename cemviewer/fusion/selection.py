"""Radiomics feature selection for a small training set (after Beuque et al. 2023).

Three filters, run on the training part only so cross-validation sees them as part of the model:
1. drop features that are missing too often or nearly constant over the lesions;
2. rank the rest by how well each separates benign from malignant on its own (|AUC - 0.5|);
3. walk down that ranking keeping a feature only when its Spearman correlation with every feature already kept
   stays below MAX_CORRELATION, up to MAX_FEATURES.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

MAX_MISSING = 0.2  # fraction of lesions
NEAR_CONSTANT = 0.95  # a single value on at least this fraction of the lesions
MAX_CORRELATION = 0.9  # |Spearman rho| above which two features measure the same thing
MAX_FEATURES = 20


def select_features(x: np.ndarray, y: np.ndarray, names: list[str], *, max_features: int = MAX_FEATURES) -> list[str]:
    """Names of the selected columns of `x` (lesions x features, NaN = missing), strongest first."""
    y = np.asarray(y, dtype=bool)
    candidates = [i for i in range(x.shape[1]) if _informative(x[:, i])]
    if not candidates:
        raise ValueError("no radiomics feature varies over the training lesions")
    filled = np.column_stack([_fill_missing(x[:, i]) for i in candidates])
    strength = np.array([abs(roc_auc_score(y, column) - 0.5) for column in filled.T])
    ranks = np.column_stack([rankdata(column) for column in filled.T])
    order = np.argsort(-strength, kind="stable")
    kept: list[int] = []
    for i in order:
        if len(kept) == max_features:
            break
        if kept and np.max(np.abs(_correlations(ranks[:, i], ranks[:, kept]))) > MAX_CORRELATION:
            continue
        kept.append(int(i))
    return [names[candidates[i]] for i in kept]


def _informative(column: np.ndarray) -> bool:
    present = column[np.isfinite(column)]
    if present.size < (1 - MAX_MISSING) * column.size or present.size == 0:
        return False
    _, counts = np.unique(present, return_counts=True)
    return counts.max() < NEAR_CONSTANT * present.size


def _fill_missing(column: np.ndarray) -> np.ndarray:
    finite = np.isfinite(column)
    return np.where(finite, column, np.median(column[finite]))


def _correlations(one: np.ndarray, others: np.ndarray) -> np.ndarray:
    a = one - one.mean()
    b = others - others.mean(axis=0)
    denominator = np.sqrt((a @ a) * np.sum(b * b, axis=0))
    return (a @ b) / np.where(denominator > 0, denominator, 1.0)
