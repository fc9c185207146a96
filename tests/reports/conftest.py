"""The synthetic study's true lesions, assessed once with the real models for all the report tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from cemviewer.annotations.mask_files import read_png_masks
from cemviewer.reports.assessment import ReportModels, StudyAssessment, assess_study
from cemviewer.study.loader import scan_path


@pytest.fixture(scope="module")
def study(synthetic_study):
    [study] = scan_path(synthetic_study).studies
    return study


@pytest.fixture(scope="module")
def records(study, synthetic_study):
    records, problems = read_png_masks(study, Path(synthetic_study) / "masks")
    assert records and not problems
    return records


@pytest.fixture(scope="module")
def models() -> ReportModels:
    return ReportModels.load()


@pytest.fixture(scope="module")
def assessment(study, records, models) -> StudyAssessment:
    return assess_study(study, records, models)
