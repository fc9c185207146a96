"""Lesion footprints follow their descriptors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cemviewer.synth.lesions import draw_lesion, footprint


def _lesion(pathology="malignant", **overrides):
    spec = draw_lesion(np.random.default_rng(1), 1, "L", pathology, max_size_mm=40)
    return dataclasses.replace(spec, **overrides)


def _draw(spec, spacing_mm=0.2):
    return footprint(spec, "CC", (200.0, 200.0), spacing_mm, (400, 400))


def test_size_in_mm_holds_at_any_pixel_spacing():
    spec = _lesion(shape="round", margin="circumscribed", aspect=1.0, size_mm=12.0, lobes=((0.0, 0.0),))
    for spacing in (0.1, 0.2, 0.5):
        area_mm2 = _draw(spec, spacing).mask.sum() * spacing**2
        assert area_mm2 == pytest.approx(np.pi * 6.0**2, rel=0.05)


def test_spicules_reach_beyond_the_outline_on_both_images():
    spiculated = _draw(_lesion(margin="spiculated", enhancement="heterogeneous"))
    smooth = _draw(_lesion(margin="circumscribed", enhancement="heterogeneous"))
    for fp in (spiculated, smooth):
        assert fp.density[fp.mask].mean() > 0
    outside = ~spiculated.mask & (spiculated.core < 0.01)
    assert spiculated.density[outside].max() > 0.25 * spiculated.density.max()
    assert spiculated.enhancement[outside].max() > 0.1 * spiculated.enhancement.max()
    assert smooth.density[~smooth.mask & (smooth.core < 0.01)].max() < 0.02 * smooth.density.max()


def test_rim_enhancement_is_brighter_at_the_edge_than_the_centre():
    fp = _draw(_lesion(enhancement="rim", margin="circumscribed", shape="round", aspect=1.0))
    rows, cols = np.nonzero(fp.mask)
    centre = fp.enhancement[int(rows.mean()), int(cols.mean())]
    assert fp.enhancement[fp.mask].max() > 2 * centre > 0


def test_non_enhancing_lesion_takes_up_no_contrast():
    fp = _draw(_lesion("benign", enhancement="non-enhancing"))
    assert fp.enhancement.max() <= 0
    assert fp.density[fp.mask].mean() > 0  # still a density on the low-energy image


def test_same_lesion_draws_the_same_each_time_and_differs_between_views():
    spec = _lesion()
    a, b = _draw(spec), _draw(spec)
    assert np.array_equal(a.enhancement, b.enhancement)
    mlo = footprint(spec, "MLO", (200.0, 200.0), 0.2, (400, 400))
    assert not np.array_equal(a.mask, mlo.mask)
    assert mlo.mask.sum() == pytest.approx(a.mask.sum(), rel=0.25)


def test_descriptors_follow_pathology():
    rng = np.random.default_rng(0)
    malignant = [draw_lesion(rng, 1, "L", "malignant", 40) for _ in range(300)]
    benign = [draw_lesion(rng, 1, "L", "benign", 40) for _ in range(300)]
    assert np.mean([s.shape == "irregular" for s in malignant]) > 0.5
    assert np.mean([s.margin in ("spiculated", "indistinct") for s in malignant]) > 0.75
    assert not any(s.enhancement == "non-enhancing" for s in malignant)
    assert np.mean([s.shape in ("oval", "round") for s in benign]) > 0.75
    assert not any(s.margin == "spiculated" or s.enhancement == "rim" for s in benign)
    assert min(s.birads for s in malignant) >= 4 and max(s.birads for s in benign) <= 4


def test_calcifications_are_small_bright_specks_on_low_energy_only():
    spec = _lesion(margin="indistinct", enhancement="heterogeneous")
    with_specks = _draw(dataclasses.replace(spec, calcifications=True), spacing_mm=0.1)
    without = _draw(dataclasses.replace(spec, calcifications=False), spacing_mm=0.1)
    specks = with_specks.density - without.density
    assert specks.max() > 2 * spec.le_contrast
    assert (specks > 0.1).sum() < 0.05 * with_specks.mask.sum()
    assert np.array_equal(with_specks.enhancement, without.enhancement)
