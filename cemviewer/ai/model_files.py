"""Where the lesion-AI weights are and what a bad weights file raises; no torch here, so the viewer can name the
model files, fingerprint them and report load errors before (or without) importing torch."""

from __future__ import annotations

import os
from pathlib import Path

import cemviewer

MODELS_ENV = "CEMVIEWER_MODELS"
DEVICE_ENV = "CEMVIEWER_DEVICE"
SEGMENTER_FILE = "segmenter.pt"
CLASSIFIER_FILE = "classifier.pt"


class ModelLoadError(RuntimeError):
    """A weights file is missing, damaged or not the model asked for."""


def default_models_dir() -> Path:
    override = os.environ.get(MODELS_ENV)
    return Path(override) if override else Path(cemviewer.__file__).resolve().parents[1] / "models"
