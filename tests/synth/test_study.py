"""The written study: DICOM tags, masks and truth.json agree with each other and with the pixels."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.uid import RLELossless
from scipy import ndimage

from cemviewer.study.model import Energy
from cemviewer.study.orientation import conventional_orientation
from cemviewer.synth.study import write_study
from cemviewer.synth.truth import StudyTruth
from tests.conftest import TEST_SHAPE, TEST_SPACING_MM

SMALL = (240, 200)  # for the tests that write their own studies
SMALL_SPACING = 1.0


@pytest.fixture(scope="module")
def truth(synthetic_study) -> StudyTruth:
    return StudyTruth.load(synthetic_study)


def _pixels(study, file) -> np.ndarray:
    return pydicom.dcmread(study / file).pixel_array


def _labels(study, image) -> np.ndarray:
    return np.array(Image.open(study / image.mask))


def test_eight_images_one_per_view_and_energy_with_matching_tags(synthetic_study, truth):
    assert len(truth.images) == 8
    seen = set()
    for image in truth.images:
        ds = pydicom.dcmread(synthetic_study / image.file)
        assert (ds.ImageLaterality, ds.ViewPosition) == (image.laterality, image.view)
        assert ("RECOMBINED" in ds.ImageType) == (image.energy == Energy.RECOMBINED.value)
        assert tuple(ds.PatientOrientation) == conventional_orientation(image.laterality, image.view)
        assert (ds.Rows, ds.Columns) == TEST_SHAPE
        assert [float(v) for v in ds.PixelSpacing] == [TEST_SPACING_MM, TEST_SPACING_MM]
        pixels = ds.pixel_array
        assert pixels.dtype == np.uint16 and pixels.max() < 4096 and ds.BitsStored == 12
        centre, width = float(ds.WindowCenter[0]), float(ds.WindowWidth[0])
        assert 0 < centre - width / 2 < centre + width / 2 <= 4096 * 1.5
        seen.add((image.laterality, image.view, image.energy))
    assert len(seen) == 8
    assert {i.file.split("/")[1] for i in truth.images if i.energy == Energy.LOW.value} == {"S0001"}
    assert {i.file.split("/")[1] for i in truth.images if i.energy == Energy.RECOMBINED.value} == {"S0002"}


def test_every_lesion_appears_on_all_four_images_of_its_breast(truth):
    assert 1 <= len(truth.lesions) <= 3
    for lesion in truth.lesions:
        files = {finding.file for finding in lesion.images}
        assert files == {i.file for i in truth.images if i.laterality == lesion.laterality}


def test_mask_centroid_and_bbox_match_truth(synthetic_study, truth):
    for lesion in truth.lesions:
        for finding in lesion.images:
            labels = _labels(synthetic_study, truth.image(finding.file))
            assert labels.shape == TEST_SHAPE and labels.dtype == np.uint8
            rows, cols = np.nonzero(labels == lesion.id)
            assert rows.mean() == pytest.approx(finding.center[0], abs=0.01)
            assert cols.mean() == pytest.approx(finding.center[1], abs=0.01)
            assert finding.bbox == (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1)
    for image in truth.images:
        ids = set(np.unique(_labels(synthetic_study, image))) - {0}
        assert ids == {l.id for l in truth.lesions if l.laterality == image.laterality}


def test_lesions_sit_inside_the_breast_and_have_their_size(synthetic_study, truth):
    for lesion in truth.lesions:
        for finding in lesion.images:
            image = truth.image(finding.file)
            low_energy = next(i for i in truth.images if (i.laterality, i.view, i.energy) ==
                              (image.laterality, image.view, Energy.LOW.value))
            pixels = _pixels(synthetic_study, low_energy.file)
            labels = _labels(synthetic_study, image)
            breast_floor = np.percentile(pixels[labels == 0], 5)
            assert pixels[labels == lesion.id].min() > breast_floor
            extent_mm = max(finding.bbox[2] - finding.bbox[0], finding.bbox[3] - finding.bbox[1]) * TEST_SPACING_MM
            assert 0.5 * lesion.size_mm <= extent_mm <= 1.6 * lesion.size_mm


def test_enhancing_lesions_are_brighter_than_their_surroundings_on_recombined(synthetic_study, truth):
    assert any(lesion.enhancing for lesion in truth.lesions)
    for lesion in truth.lesions:
        for finding in lesion.images:
            if finding.energy != Energy.RECOMBINED.value:
                continue
            labels = _labels(synthetic_study, truth.image(finding.file))
            pixels = _pixels(synthetic_study, finding.file).astype(float)
            inside = labels == lesion.id
            ring = ndimage.binary_dilation(inside, iterations=int(4 / TEST_SPACING_MM)) & (labels == 0)
            contrast = pixels[inside].mean() - pixels[ring].mean()
            if lesion.enhancing:
                assert contrast > 100, (lesion.id, finding.file, contrast)
            else:
                assert contrast < 100


def test_depth_behind_the_nipple_agrees_between_cc_and_mlo(truth):
    for lesion in truth.lesions:
        for energy in (Energy.LOW.value, Energy.RECOMBINED.value):
            cc, mlo = (next(f for f in lesion.images if f.view == view and f.energy == energy) for view in ("CC", "MLO"))
            assert abs(cc.distance_from_nipple_mm - mlo.distance_from_nipple_mm) < 10
            assert cc.distance_from_nipple_mm == pytest.approx(lesion.depth_mm, abs=8)


def test_pectoral_muscle_fills_the_upper_chest_wall_corner_on_mlo_only(synthetic_study, truth):
    for image in truth.images:
        if image.energy != Energy.LOW.value:
            continue
        pixels = _pixels(synthetic_study, image.file).astype(float)
        rows, cols = pixels.shape
        corner_cols = slice(0, cols // 20) if image.laterality == "L" else slice(cols - cols // 20, cols)
        corner = pixels[: rows // 20, corner_cols].mean()
        breast = pixels[pixels > 200]
        assert image.pectoral_muscle == (image.view == "MLO")
        if image.view == "MLO":
            assert corner > np.percentile(breast, 60)
        else:
            assert corner < 100


def test_chest_wall_is_on_the_conventional_side(synthetic_study, truth):
    """Right breast: chest wall on the right edge, nipple pointing left; left breast mirrored."""
    for image in truth.images:
        pixels = _pixels(synthetic_study, image.file)
        tissue_columns = np.nonzero((pixels > 200).sum(axis=0) > 0.2 * pixels.shape[0])[0]
        wall_on_right = tissue_columns.mean() > pixels.shape[1] / 2
        assert wall_on_right == (image.laterality == "R")
        assert (image.nipple[1] < pixels.shape[1] / 2) == (image.laterality == "R")
        assert (image.nipple_axis[1] > 0) == (image.laterality == "R")


def test_same_seed_same_files_other_seed_differs(tmp_path):
    first = write_study(tmp_path / "a", seed=3, shape=SMALL, pixel_spacing_mm=SMALL_SPACING)
    again = write_study(tmp_path / "b", seed=3, shape=SMALL, pixel_spacing_mm=SMALL_SPACING)
    other = write_study(tmp_path / "c", seed=4, shape=SMALL, pixel_spacing_mm=SMALL_SPACING)
    assert first == again
    for image in first.images:
        a = (tmp_path / "a" / image.file).read_bytes()
        assert a == (tmp_path / "b" / image.file).read_bytes()
        assert (tmp_path / "a" / image.mask).read_bytes() == (tmp_path / "b" / image.mask).read_bytes()
        assert not np.array_equal(_pixels(tmp_path / "a", image.file), _pixels(tmp_path / "c", image.file))
    assert (tmp_path / "a" / "truth.json").read_text() == (tmp_path / "b" / "truth.json").read_text()
    assert first != other


def test_compressed_transfer_syntax_keeps_the_pixels(tmp_path):
    plain = write_study(tmp_path / "plain", seed=2, shape=SMALL, pixel_spacing_mm=SMALL_SPACING)
    write_study(tmp_path / "rle", seed=2, shape=SMALL, pixel_spacing_mm=SMALL_SPACING, transfer_syntax=RLELossless)
    for image in plain.images:
        ds = pydicom.dcmread(tmp_path / "rle" / image.file)
        assert ds.file_meta.TransferSyntaxUID == RLELossless
        assert np.array_equal(ds.pixel_array, _pixels(tmp_path / "plain", image.file))


@pytest.mark.parametrize(("shape", "spacing", "message"), [
    ((40, 400), 0.5, "at least 64 pixels"),
    ((480, 400), 0.0, "pixel spacing"),
    ((100, 80), 0.1, "no room"),
])
def test_impossible_geometry_is_refused_with_a_reason(tmp_path, shape, spacing, message):
    with pytest.raises(ValueError, match=message):
        write_study(tmp_path, seed=0, shape=shape, pixel_spacing_mm=spacing)
