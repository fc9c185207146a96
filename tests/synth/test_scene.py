"""The in-memory study: anatomy per view, lesion mix across seeds."""

from __future__ import annotations

import numpy as np
import pytest

from cemviewer.synth.anatomy import BreastForm, build_anatomy
from cemviewer.synth.grid import Grid
from cemviewer.synth.scene import synthesize

SHAPE, SPACING = (240, 200), 1.0


@pytest.fixture(scope="module")
def studies():
    return [synthesize(seed, SHAPE, SPACING) for seed in range(6)]


def test_pectoral_muscle_only_on_mlo_and_only_in_the_upper_chest_wall_corner():
    grid = Grid((480, 400), 0.5)
    form = BreastForm.draw(np.random.default_rng(0))
    cc = build_anatomy("CC", form, grid, np.random.default_rng(1))
    mlo = build_anatomy("MLO", form, grid, np.random.default_rng(1))
    assert cc.pectoral_mm is None
    muscle = mlo.pectoral_mm > 0
    rows, cols = np.nonzero(muscle)
    assert muscle[0, 0] and rows.max() < 0.6 * grid.shape[0] and cols.max() < 0.45 * grid.shape[1]
    assert (mlo.skin_mm[muscle] > 0).all()  # the muscle is within the imaged body


def test_nipple_is_on_the_skin_line_and_the_axis_points_to_the_chest_wall():
    grid = Grid((480, 400), 0.5)
    form = BreastForm.draw(np.random.default_rng(2))
    for view in ("CC", "MLO"):
        anatomy = build_anatomy(view, form, grid, np.random.default_rng(3))
        row, col = (int(round(v)) for v in anatomy.nipple)
        assert abs(anatomy.skin_mm[row, col]) < 2.0
        assert anatomy.axis[1] < 0 and np.hypot(*anatomy.axis) == pytest.approx(1.0)
        assert 40 < anatomy.breast_length_mm < 200


def test_every_study_has_one_to_three_lesions_and_multi_lesion_studies_mix_pathology(studies):
    for study in studies:
        kinds = [lesion.spec.pathology for lesion in study.lesions]
        assert 1 <= len(kinds) <= 3
        if len(kinds) > 1:
            assert set(kinds) == {"benign", "malignant"}
    assert {len(study.lesions) for study in studies} != {1}


def test_lesions_do_not_overlap_and_stay_off_the_muscle(studies):
    for study in studies:
        for view in study.views:
            ids = [lesion.spec.id for lesion in study.lesions if lesion.spec.laterality == view.laterality]
            assert set(np.unique(view.labels)) - {0} == set(ids)
            assert view.breast[view.labels > 0].all()


def test_recombined_is_flat_where_low_energy_shows_texture(studies):
    """Subtraction cancels most tissue contrast: away from lesions and vessels the recombined image varies far
    less (relative to its level) than the low-energy image does."""
    for study in studies:
        for view in study.views:
            tissue = view.breast & (view.labels == 0)
            le = view.low_energy[tissue].astype(float)
            rec = view.recombined[tissue].astype(float)
            le_spread = np.subtract(*np.percentile(le, [75, 25])) / np.median(le)
            rec_spread = np.subtract(*np.percentile(rec, [75, 25])) / np.median(rec)
            assert rec_spread < 0.5 * le_spread
