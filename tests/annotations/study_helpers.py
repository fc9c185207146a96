"""Helpers of the annotation tests: the one study under a path, its true lesions as records, dciodvfy."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import numpy as np

from cemviewer.annotations.mask_files import read_png_masks
from cemviewer.annotations.records import LesionRecord
from cemviewer.study.loader import scan_path
from cemviewer.study.model import Study

DCIODVFY = "/usr/bin/dciodvfy"


def only_study(path: Path) -> Study:
    scan = scan_path(path)
    assert len(scan.studies) == 1, scan
    return scan.studies[0]


def truth_records(study: Study, study_path: Path) -> list[LesionRecord]:
    """The synthetic study's true lesions, given every label, a note, each source and AI scores."""
    records, problems = read_png_masks(study, study_path / "masks")
    assert records and not problems
    sources = ("manual", "accepted", "manual")
    labels = ("malignant", "benign", "unknown")
    return [dataclasses.replace(record, label=labels[i % 3], source=sources[i % 3],
                                note=f"lesion {i}: irregular margin\\ rim enhancement\nsecond line é",
                                score=0.25 + i / 100 if sources[i % 3] == "accepted" else None,
                                malignancy=0.5 if sources[i % 3] == "accepted" else None)
            for i, record in enumerate(records)]


def full_masks(records: list[LesionRecord], study: Study) -> dict[tuple[str, int], np.ndarray]:
    shapes = {view.name: (view.low_energy.rows, view.low_energy.columns) for view in study.views}
    return {(record.view, record.number): record.full_mask(shapes[record.view]) for record in records}


def dciodvfy_errors(path: Path) -> tuple[list[str], str]:
    """The 'Error' lines dciodvfy prints for `path`, and all it printed."""
    run = subprocess.run([DCIODVFY, str(path)], capture_output=True, text=True, check=False)
    printed = run.stdout + run.stderr
    return [line for line in printed.splitlines() if "Error" in line], printed
