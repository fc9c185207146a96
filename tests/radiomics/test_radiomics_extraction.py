"""Radiomics of painted ROIs on made-up LE / recombined images: areas in mm², names, ROI sensitivity, bad ROIs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cemviewer.radiomics import RadiomicsError, RadiomicsExtractor, RoiError

SHAPE = (400, 320)


@pytest.fixture(scope="module")
def extractor() -> RadiomicsExtractor:
    return RadiomicsExtractor()


def _pair(shape=SHAPE, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """uint16 LE and recombined images: air (0) on the right quarter, textured breast elsewhere, a bright blob."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    breast = cols < 0.75 * shape[1]
    blob = np.exp(-((rows - 0.5 * shape[0]) ** 2 + (cols - 0.35 * shape[1]) ** 2) / (2 * (0.08 * shape[0]) ** 2))
    le = (1500 + 300 * np.sin(rows / 7.0) * np.cos(cols / 11.0) + 400 * blob + rng.normal(0, 40, shape)) * breast
    rec = (800 + 900 * blob + rng.normal(0, 60, shape)) * breast
    return le.astype(np.uint16), rec.astype(np.uint16)


def _disc(shape, centre, radius_px: float) -> np.ndarray:
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius_px**2


@pytest.mark.parametrize(("spacing", "radius_mm"), [(0.1, 5.0), (0.2, 12.0), (0.5, 30.0)])
def test_shape_area_is_the_roi_area_in_mm2(extractor, spacing, radius_mm):
    le, rec = _pair()
    mask = _disc(SHAPE, (200, 112), radius_mm / spacing)
    features = extractor.extract(le, rec, mask, (spacing, spacing))
    expected = math.pi * radius_mm**2
    assert features["original_shape2D_PixelSurface"] == pytest.approx(expected, rel=0.03)
    assert features["original_shape2D_MeshSurface"] == pytest.approx(expected, rel=0.03)
    assert features["original_shape2D_MaximumDiameter"] == pytest.approx(2 * radius_mm, rel=0.05)


def test_anisotropic_spacing_is_passed_row_then_column(extractor):
    le, rec = _pair()
    mask = np.zeros(SHAPE, dtype=bool)
    mask[150:250, 60:100] = True  # 100 rows x 40 columns
    features = extractor.extract(le, rec, mask, (0.1, 0.3))
    assert features["original_shape2D_PixelSurface"] == pytest.approx(100 * 0.1 * 40 * 0.3, rel=0.03)
    assert features["original_shape2D_MajorAxisLength"] > features["original_shape2D_MinorAxisLength"]


def test_names_prefix_each_image_and_give_the_shape_once(extractor):
    le, rec = _pair()
    features = extractor.extract(le, rec, _disc(SHAPE, (200, 112), 30), (0.2, 0.2))
    shape = {name for name in features if "_shape2D_" in name}
    assert shape and all(name.startswith("original_shape2D_") for name in shape)
    for prefix in ("le", "rec"):
        for feature_class in ("firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm"):
            assert any(name.startswith(f"{prefix}_original_{feature_class}_") for name in features), feature_class
    assert "le_original_glcm_Contrast" in features and "rec_original_firstorder_Mean" in features
    assert len(features) == len(shape) + 2 * len([name for name in features if name.startswith("le_")])
    assert all(isinstance(value, float) for value in features.values())


def test_features_follow_the_roi(extractor):
    le, rec = _pair()
    on_blob = extractor.extract(le, rec, _disc(SHAPE, (200, 112), 25), (0.2, 0.2))
    beside = extractor.extract(le, rec, _disc(SHAPE, (110, 112), 25), (0.2, 0.2))
    larger = extractor.extract(le, rec, _disc(SHAPE, (200, 112), 40), (0.2, 0.2))
    assert on_blob["rec_original_firstorder_Mean"] > beside["rec_original_firstorder_Mean"] + 0.1
    assert on_blob["le_original_glcm_Contrast"] != beside["le_original_glcm_Contrast"]
    assert larger["original_shape2D_MeshSurface"] > 2 * on_blob["original_shape2D_MeshSurface"]
    # The same ROI gives the same numbers: nothing random in the extraction.
    assert extractor.extract(le, rec, _disc(SHAPE, (200, 112), 25), (0.2, 0.2)) == on_blob


def test_intensities_are_scaled_per_image_so_bit_depth_does_not_matter(extractor):
    le, rec = _pair()
    mask = _disc(SHAPE, (200, 112), 25)
    sixteen = extractor.extract(le, rec, mask, (0.2, 0.2))
    times_four = extractor.extract(le.astype(np.float32) * 4, rec.astype(np.float32) * 4, mask, (0.2, 0.2))
    for name in ("le_original_firstorder_Mean", "rec_original_firstorder_90Percentile", "le_original_glcm_Contrast"):
        assert times_four[name] == pytest.approx(sixteen[name], rel=1e-3)


def test_single_energy_view_gives_the_features_of_its_one_image(extractor):
    le, _ = _pair()
    features = extractor.extract(le, None, _disc(SHAPE, (200, 112), 25), (0.2, 0.2))
    assert "original_shape2D_MeshSurface" in features and "le_original_glcm_Contrast" in features
    assert not any(name.startswith("rec_") for name in features)


def _one_pixel(shape):
    mask = np.zeros(shape, dtype=bool)
    mask[200, 100] = True
    return mask


def _touching_border(shape):
    mask = np.zeros(shape, dtype=bool)
    mask[180:220, 0:30] = True
    return mask


def _line(shape):
    mask = np.zeros(shape, dtype=bool)
    mask[200, 60:160] = True
    return mask


@pytest.mark.parametrize(("make_mask", "message"), [
    (lambda shape: np.zeros(shape, dtype=bool), "The outline is empty: draw a lesion first"),
    (_one_pixel, "covers only"),
    (_line, "a line one pixel wide"),
    (_touching_border, "touches the image edge"),
    (lambda shape: _disc(shape, (200, 290), 20), "outside the breast"),
    (lambda shape: np.ones((10, 10), dtype=bool), "does not match the image"),
])
def test_bad_roi_raises_roi_error_with_a_message_for_the_user(extractor, make_mask, message):
    le, rec = _pair()
    with pytest.raises(RoiError, match=message):
        extractor.extract(le, rec, make_mask(SHAPE), (0.2, 0.2))


def test_unusable_images_raise_radiomics_error(extractor):
    le, rec = _pair()
    mask = _disc(SHAPE, (200, 112), 25)
    with pytest.raises(RadiomicsError, match="no pixel spacing"):
        extractor.extract(le, rec, mask, None)
    with pytest.raises(RadiomicsError, match="blank"):
        extractor.extract(np.zeros(SHAPE, np.uint16), rec, mask, (0.2, 0.2))
    with pytest.raises(RadiomicsError, match="differ in size"):
        extractor.extract(le, rec[:-1], mask, (0.2, 0.2))
    with pytest.raises(RadiomicsError, match="neither"):
        extractor.extract(None, None, mask, (0.2, 0.2))
