"""Feature selection, Youden thresholds, and training the XGBoost radiomics model on small made-up tables."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cemviewer.ai.segmenter import ModelLoadError
from cemviewer.fusion.dataset import table_from_rows
from cemviewer.fusion.model import AGE_FEATURE, RadiomicsModel, metadata_path
from cemviewer.fusion.selection import select_features
from cemviewer.fusion.threshold import youden_threshold
from cemviewer.fusion.train import fit_model
from cemviewer.radiomics import load_parameters

SMALL_GRID = {"max_depth": (2, 3), "n_estimators": (30,), "learning_rate": (0.3,)}


def _rows(studies: int = 30, seed: int = 0) -> list[dict]:
    """Two lesions per study; 'strong' and 'weak' carry the truth, the others do not or repeat another."""
    rng = np.random.default_rng(seed)
    rows = []
    for study in range(studies):
        for lesion in (1, 2):
            malignant = int(rng.random() < 0.5)
            strong = rng.normal(2.0 * malignant, 0.7)
            rows.append({
                "study": f"study_{study}", "laterality": "R", "view": "CC", "lesion": lesion,
                "malignant": malignant, "dl_prob": float(np.clip(0.5 + 0.4 * (malignant - 0.5) + rng.normal(0, 0.2),
                                                                 0, 1)),
                AGE_FEATURE: np.nan,
                "le_original_firstorder_Strong": strong,
                "le_original_firstorder_StrongCopy": 3 * strong + 1,
                "rec_original_glcm_Weak": rng.normal(0.8 * malignant, 1.0),
                "rec_original_glcm_Noise": rng.normal(0, 1),
                "le_original_ngtdm_Constant": 5.0,
                "rec_original_gldm_MostlyMissing": np.nan if rng.random() < 0.5 else rng.normal(),
            })
    return rows


def test_selection_drops_constant_missing_and_redundant_features_and_ranks_by_strength():
    table = table_from_rows(_rows())
    selected = select_features(table.x, table.malignant, table.names)
    assert selected[0] in ("le_original_firstorder_Strong", "le_original_firstorder_StrongCopy")
    assert not {"le_original_firstorder_Strong", "le_original_firstorder_StrongCopy"} <= set(selected)
    assert "rec_original_glcm_Weak" in selected
    for dropped in ("le_original_ngtdm_Constant", "rec_original_gldm_MostlyMissing", AGE_FEATURE):
        assert dropped not in selected
    assert select_features(table.x, table.malignant, table.names, max_features=1) == selected[:1]


def test_youden_threshold_separates_and_needs_both_classes():
    truth = np.array([0, 0, 0, 1, 1, 1])
    assert youden_threshold(truth, np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.9])) == pytest.approx(0.6)
    # One benign scored high: the best cut-off still keeps all malignant ones above it.
    assert youden_threshold(truth, np.array([0.1, 0.2, 0.8, 0.6, 0.7, 0.9])) == pytest.approx(0.6)
    with pytest.raises(ValueError, match="both"):
        youden_threshold(np.ones(3), np.array([0.1, 0.5, 0.9]))


def test_training_on_a_tiny_table_selects_cross_validates_and_round_trips(tmp_path):
    table = table_from_rows(_rows())
    model, summary = fit_model(table, load_parameters(), seed=3, grid=SMALL_GRID)
    assert summary["cv"]["radiomics_auc"] > 0.8
    assert summary["cv"]["folds"] == 5 and len(summary["cv"]["grid"]) == 2
    assert summary["grid_winner"] in [entry["params"] for entry in summary["cv"]["grid"]]
    assert 0.0 <= summary["threshold"] <= 1.0 and 0.0 <= summary["fused_threshold"] <= 1.0
    assert summary["cv"]["fused_auc"] is not None and summary["cv"]["dl_auc"] > 0.7
    assert model.features[0] in ("le_original_firstorder_Strong", "le_original_firstorder_StrongCopy")

    malignant_like = {"le_original_firstorder_Strong": 2.5, "le_original_firstorder_StrongCopy": 8.5,
                      "rec_original_glcm_Weak": 1.0}
    benign_like = {"le_original_firstorder_Strong": -0.5, "le_original_firstorder_StrongCopy": -0.5,
                   "rec_original_glcm_Weak": -0.5}
    assert model.predict(malignant_like) > model.threshold > model.predict(benign_like)
    assert 0.0 <= model.predict({}) <= 1.0  # every feature unknown: XGBoost's missing-value branches

    path = tmp_path / "radiomics_xgb.json"
    model.save(path)
    loaded = RadiomicsModel.load(path)
    assert loaded.features == model.features and loaded.threshold == model.threshold
    assert loaded.predict(malignant_like) == pytest.approx(model.predict(malignant_like), abs=1e-6)
    top = loaded.contributions(malignant_like, top=2)
    assert len(top) == 2 and top[0][0] == model.features[0] and top[0][1] > 0
    assert abs(top[0][1]) >= abs(top[1][1])


def test_training_is_reproducible_for_a_seed():
    table = table_from_rows(_rows())
    first, _ = fit_model(table, load_parameters(), seed=5, grid=SMALL_GRID)
    again, _ = fit_model(table, load_parameters(), seed=5, grid=SMALL_GRID)
    probe = {"le_original_firstorder_Strong": 1.0, "rec_original_glcm_Weak": 0.3}
    assert first.meta["threshold"] == again.meta["threshold"]
    assert first.predict(probe) == again.predict(probe)


def test_one_class_or_one_study_is_refused():
    rows = _rows()
    with pytest.raises(ValueError, match="both benign and malignant"):
        fit_model(table_from_rows([{**row, "malignant": 1} for row in rows]), load_parameters(), grid=SMALL_GRID)
    with pytest.raises(ValueError, match="two studies"):
        fit_model(table_from_rows([{**row, "study": "one"} for row in rows]), load_parameters(), grid=SMALL_GRID)


def test_loading_a_missing_or_damaged_model_says_what_is_wrong(tmp_path):
    with pytest.raises(ModelLoadError, match="not found"):
        RadiomicsModel.load(tmp_path / "radiomics_xgb.json")
    model, _ = fit_model(table_from_rows(_rows()), load_parameters(), grid=SMALL_GRID)
    path = tmp_path / "radiomics_xgb.json"
    model.save(path)
    meta = json.loads(metadata_path(path).read_text())
    metadata_path(path).write_text(json.dumps({**meta, "features": meta["features"] + ["extra"]}))
    with pytest.raises(ModelLoadError, match="inputs"):
        RadiomicsModel.load(path)
    path.write_text("not a model")
    with pytest.raises(ModelLoadError, match="not a usable radiomics model"):
        RadiomicsModel.load(path)
