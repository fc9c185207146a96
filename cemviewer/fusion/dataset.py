"""The radiomics training table: one row per lesion per view of the synthetic studies in a data folder.

A data folder holds study folders written by cemviewer.synth.study.write_study (make one with
`python -m cemviewer.ai.synth_lesions DIR --studies 200 --first-seed 200000`; use seeds the lesion classifier was
not trained on, so its probabilities here are honest and the fused threshold is not tuned on its training data).
Each row holds the study (the patient, for grouped cross-validation), the truth, the DL classifier's probability
and the radiomics features of the truth outline. Rows are cached in DIR/radiomics_features_<parameters hash>.csv;
studies added later are extracted and appended, other parameters start another cache.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from cemviewer.ai.synth_lesions import MALIGNANT, study_dirs, truth_views
from cemviewer.fusion.model import AGE_FEATURE
from cemviewer.radiomics import RadiomicsExtractor, RoiError

SAVE_EVERY = 20  # studies
KEY_COLUMNS = ("study", "laterality", "view", "lesion", "malignant", "dl_prob", AGE_FEATURE)


@dataclass
class FeatureTable:
    names: list[str]  # feature columns of x
    x: np.ndarray  # (lesions, features) float64, NaN = missing
    malignant: np.ndarray  # (lesions,) bool
    groups: np.ndarray  # (lesions,) str: the study (patient) each row belongs to
    dl_prob: np.ndarray  # (lesions,) float64, NaN where no classifier ran


def cache_path(data_dir: Path, extractor: RadiomicsExtractor) -> Path:
    return Path(data_dir) / f"radiomics_features_{extractor.parameters_hash}.csv"


def build_table(data_dir: Path, extractor: RadiomicsExtractor, classifier) -> FeatureTable:
    """Features of every lesion of every study under `data_dir`, from the cache where it has them.

    `classifier` (a MalignancyClassifier) gives each lesion's DL probability.
    """
    folders = study_dirs(data_dir)
    if not folders:
        raise FileNotFoundError(f"{data_dir}: no synthetic studies (folders with truth.json); make some with "
                                f"`python -m cemviewer.ai.synth_lesions {data_dir} --studies 200 --first-seed 200000`")
    cache = cache_path(data_dir, extractor)
    done_list = cache.with_suffix(".studies.txt")  # studies already extracted, including those with no lesion
    done = set(done_list.read_text(encoding="utf-8").split()) if done_list.is_file() else set()
    rows = [row for row in _read_rows(cache) if row["study"] in done]
    missing = [folder for folder in folders if folder.name not in done]
    for count, folder in enumerate(tqdm(missing, desc="radiomics features", unit="study", file=sys.stderr), 1):
        rows.extend(study_rows(folder, extractor, classifier))
        done.add(folder.name)
        if count % SAVE_EVERY == 0 or count == len(missing):  # an interrupted run keeps most of its work
            _write_rows(cache, rows)
            done_list.write_text("\n".join(sorted(done)) + "\n", encoding="utf-8")
    wanted = {folder.name for folder in folders}
    return table_from_rows([row for row in rows if row["study"] in wanted])


def study_rows(folder: Path, extractor: RadiomicsExtractor, classifier) -> list[dict]:
    """One row per lesion per view of one synthetic study; outlines radiomics cannot measure are left out."""
    from cemviewer.ai.classifier import normalised_pair
    from cemviewer.synth.truth import StudyTruth

    spacing = StudyTruth.load(folder).pixel_spacing_mm
    rows = []
    for view in truth_views(folder):
        le_n, rec_n = normalised_pair(view.le, view.rec)
        for lesion_id, kind in sorted(view.kinds.items()):
            mask = view.lesion_mask(lesion_id)
            try:
                features = extractor.extract(view.le, view.rec, mask, (spacing, spacing))
            except RoiError as error:
                print(f"{folder.name} {view.laterality}{view.view} lesion {lesion_id}: left out ({error})",
                      file=sys.stderr)
                continue
            dl_prob = float(classifier.predict_lesions(le_n, rec_n, [mask])[0])
            rows.append({"study": folder.name, "laterality": view.laterality, "view": view.view,
                         "lesion": lesion_id, "malignant": int(kind == MALIGNANT), "dl_prob": dl_prob,
                         AGE_FEATURE: np.nan, **features})  # synthetic patients have no age
    return rows


def table_from_rows(rows: list[dict]) -> FeatureTable:
    """The table of rows as study_rows makes them (or as read back from the cache CSV)."""
    if not rows:
        raise ValueError("no measurable lesion in the training studies")
    names = [name for name in rows[0] if name not in KEY_COLUMNS] + [AGE_FEATURE]
    x = np.array([[float(row.get(name, np.nan)) for name in names] for row in rows], dtype=np.float64)
    return FeatureTable(
        names=names,
        x=x,
        malignant=np.array([int(row["malignant"]) == 1 for row in rows]),
        groups=np.array([str(row["study"]) for row in rows]),
        dl_prob=np.array([float(row["dl_prob"]) for row in rows], dtype=np.float64),
    )


def _read_rows(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write_rows(path: Path, rows: list[dict]) -> None:
    columns = list(KEY_COLUMNS) + [name for name in rows[0] if name not in KEY_COLUMNS] if rows else list(KEY_COLUMNS)
    temporary = path.with_suffix(".partial.csv")
    with temporary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="nan")
        writer.writeheader()
        writer.writerows(rows)
    temporary.replace(path)
