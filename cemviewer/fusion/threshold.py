"""Decision thresholds chosen on training data."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_curve


def youden_threshold(truth: np.ndarray, scores: np.ndarray) -> float:
    """The score cut-off maximising Youden's J = sensitivity + specificity - 1 (score >= cut-off is positive)."""
    truth = np.asarray(truth, dtype=bool)
    if truth.all() or not truth.any():
        raise ValueError("a Youden threshold needs both positive and negative cases")
    fpr, tpr, thresholds = roc_curve(truth, scores)
    best = int(np.argmax(tpr - fpr))
    return float(min(thresholds[best], 1.0))  # roc_curve's first threshold is +inf: "call nothing positive"
