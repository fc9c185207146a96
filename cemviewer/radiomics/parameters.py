"""Where resources/ is, and the pyradiomics parameters read from resources/radiomics.yaml.

resources/ sits at the repository's top level, next to the cemviewer package, which is where an editable install
and a source checkout find it. A packaged install (or a test) points CEMVIEWER_RESOURCES at its own copy.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import yaml

import cemviewer

RESOURCES_ENV = "CEMVIEWER_RESOURCES"
PARAMETERS_FILE = "radiomics.yaml"


def resources_dir() -> Path:
    """CEMVIEWER_RESOURCES when set, else the resources/ folder beside the cemviewer package."""
    override = os.environ.get(RESOURCES_ENV)
    return Path(override) if override else Path(cemviewer.__file__).resolve().parents[1] / "resources"


def load_parameters(path: Path | None = None) -> dict:
    """The pyradiomics parameter dictionary (imageType / featureClass / setting) from YAML."""
    path = Path(path) if path is not None else resources_dir() / PARAMETERS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"radiomics parameters not found: {path} (set {RESOURCES_ENV} to the folder "
                                f"holding {PARAMETERS_FILE})")
    parameters = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(parameters, dict) or "setting" not in parameters:
        raise ValueError(f"{path}: not a pyradiomics parameter file (no 'setting' section)")
    return parameters


def parameters_hash(parameters: dict) -> str:
    """A short fingerprint of the parameters' content (comments and key order do not count)."""
    canonical = json.dumps(parameters, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
