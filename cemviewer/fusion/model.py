"""The trained radiomics classifier: an XGBoost model plus the metadata it cannot work without.

Files (written by `cemviewer train radiomics`): models/radiomics_xgb.json, XGBoost's own JSON model, and beside it
models/radiomics_xgb.meta.json with FORMAT, the selected feature names in model column order, the pyradiomics
parameters the features were extracted with, the Youden thresholds (radiomics alone and fused), the grid-search
winner and the cross-validated AUCs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xgboost as xgb

from cemviewer.ai.model_files import ModelLoadError
from cemviewer.radiomics import RadiomicsExtractor

FORMAT = "cemviewer-radiomics-xgb/1"
MODEL_FILE = "radiomics_xgb.json"
AGE_FEATURE = "age"  # years; a candidate feature beside the radiomics ones, missing (NaN) when unknown
TOP_CONTRIBUTIONS = 8


def metadata_path(model_path: Path) -> Path:
    return Path(model_path).with_suffix(".meta.json")


class RadiomicsModel:
    def __init__(self, booster: xgb.Booster, meta: dict):
        self.booster = booster
        self.meta = meta
        self._extractor: RadiomicsExtractor | None = None

    @property
    def features(self) -> list[str]:
        return list(self.meta["features"])

    @property
    def threshold(self) -> float:
        """Youden cut-off of the radiomics probability alone."""
        return float(self.meta["threshold"])

    @property
    def fused_threshold(self) -> float:
        """Youden cut-off of the fused probability (mean of the DL and radiomics probabilities)."""
        return float(self.meta["fused_threshold"])

    @property
    def extractor(self) -> RadiomicsExtractor:
        """A feature extractor with the parameters this model was trained on."""
        if self._extractor is None:
            self._extractor = RadiomicsExtractor(self.meta["parameters"])
        return self._extractor

    @classmethod
    def load(cls, path: Path | None = None) -> "RadiomicsModel":
        """The model at `path` (default: radiomics_xgb.json in the models folder); ModelLoadError says what is wrong."""
        if path is None:
            from cemviewer.ai.pipeline import default_models_dir

            path = default_models_dir() / MODEL_FILE
        path = Path(path)
        meta_path = metadata_path(path)
        for needed in (path, meta_path):
            if not needed.is_file():
                raise ModelLoadError(f"radiomics model file not found: {needed} (train it with "
                                     f"`cemviewer train radiomics --data DIR --out {path}`)")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT:
                raise ValueError(f"format {meta.get('format')!r}, expected {FORMAT!r}")
            booster = xgb.Booster(model_file=str(path))
            if booster.num_features() != len(meta["features"]):
                raise ValueError(f"the model has {booster.num_features()} inputs, the metadata names "
                                 f"{len(meta['features'])} features")
            for key in ("threshold", "fused_threshold", "parameters"):
                meta[key]  # noqa: B018 - fail now, not at the first lesion
        except (ValueError, KeyError, OSError, xgb.core.XGBoostError) as error:
            raise ModelLoadError(f"{path}: not a usable radiomics model ({type(error).__name__}: {error})") from error
        return cls(booster, meta)

    def save(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(path))
        metadata_path(path).write_text(json.dumps({"format": FORMAT, **self.meta}, indent=1) + "\n", encoding="utf-8")

    def _matrix(self, features: dict[str, float], age: float | None) -> xgb.DMatrix:
        values = {**features, AGE_FEATURE: np.nan if age is None else float(age)}
        row = np.array([[values.get(name, np.nan) for name in self.features]], dtype=np.float32)
        return xgb.DMatrix(row, feature_names=self.features, missing=np.nan)

    def predict(self, features: dict[str, float], age: float | None = None) -> float:
        """Probability of malignancy from the lesion's radiomics features (missing ones count as unknown)."""
        return float(self.booster.predict(self._matrix(features, age))[0])

    def contributions(self, features: dict[str, float], age: float | None = None,
                      top: int = TOP_CONTRIBUTIONS) -> list[tuple[str, float]]:
        """The `top` largest TreeSHAP contributions (log-odds; positive pushes toward malignant), largest first."""
        values = self.booster.predict(self._matrix(features, age), pred_contribs=True)[0][:-1]  # last one: bias
        order = np.argsort(-np.abs(values), kind="stable")[:top]
        return [(self.features[i], float(values[i])) for i in order]
