"""The segmenter network, preprocessing geometry, lesion instances and weight loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from secondary_capture import write_secondary_capture
from cemviewer.ai.instances import lesion_instances, union_mask
from cemviewer.ai.preprocess import ImageReadError, normalise, read_image, to_network, to_original
from cemviewer.ai.segmenter import LesionSegmenter, LesionUNet, ModelLoadError, save_segmenter

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "segmenter.pt"


@pytest.mark.parametrize("stages", [3, 4])
def test_network_maps_two_channels_to_two_full_size_logit_maps(stages):
    network = LesionUNet(stages=stages).eval()
    with torch.inference_mode():
        logits = network(torch.rand(2, 2, 96, 96))
    assert logits.shape == (2, 2, 96, 96)
    assert torch.isfinite(logits).all()


def _tiny_segmenter(size=64) -> LesionSegmenter:
    torch.manual_seed(0)
    return LesionSegmenter(LesionUNet(stages=3), {"input_size": size, "stages": 3, "threshold": 0.5})


def test_single_energy_input_gives_only_that_energy_on_its_own_grid():
    segmenter = _tiny_segmenter()
    image = np.random.default_rng(0).uniform(0, 4000, (70, 50)).astype(np.float32)
    assert set(segmenter.probabilities(image, None)) == {"low_energy"}
    results = segmenter.segment(None, image)
    assert set(results) == {"recombined"}
    result = results["recombined"]
    assert result.probability.shape == result.mask.shape == (70, 50)
    assert ((result.probability >= 0) & (result.probability <= 1)).all()
    assert np.array_equal(result.mask, union_mask(result.lesions, (70, 50)))


def test_pair_input_gives_both_energies():
    segmenter = _tiny_segmenter()
    image = np.random.default_rng(1).uniform(0, 255, (40, 60)).astype(np.float32)
    assert set(segmenter.segment(image, image)) == {"low_energy", "recombined"}
    with pytest.raises(ValueError):
        segmenter.segment(None, None)


def test_instances_from_a_known_probability_map():
    probability = np.zeros((50, 60), np.float32)
    probability[5:15, 10:30] = 0.9  # 200 px, strong
    probability[8:10, 12:14] = 0.95  # its peak
    probability[30:45, 40:50] = 0.6  # 150 px, weaker
    probability[45:47, 0:2] = 0.99  # 4 px speck
    lesions = lesion_instances(probability, threshold=0.5, min_area_px=10)
    assert [lesion.box for lesion in lesions] == [(10, 5, 30, 15), (40, 30, 50, 45)]
    assert [lesion.area_px for lesion in lesions] == [200, 150]
    assert [lesion.score for lesion in lesions] == pytest.approx([0.95, 0.6])
    assert lesions[0].mask.sum() == 200 and lesions[0].mask[5:15, 10:30].all()
    assert len(lesion_instances(probability, threshold=0.5, min_area_px=0)) == 3
    assert [lesion.area_px for lesion in lesion_instances(probability, 0.5, 10, min_score=0.7)] == [200]
    assert lesion_instances(probability, threshold=0.99, min_area_px=0) == []


def test_normalisation_ignores_background_and_bit_depth():
    rng = np.random.default_rng(2)
    breast = np.zeros((64, 64), np.float32)
    breast[:, 20:] = rng.uniform(10, 200, (64, 44))
    eight_bit = normalise(breast)
    assert eight_bit.min() == 0.0 and eight_bit.max() == 1.0
    assert (eight_bit[:, :20] == 0).all()
    np.testing.assert_allclose(normalise(breast * 16 + 100), eight_bit, atol=1e-5)


def test_geometry_round_trip_puts_structures_back_where_they_were():
    image = np.zeros((300, 180), np.float32)
    image[:, :150] = 50
    image[40:100, 20:60] = 200  # a bright "lesion" off centre in a non-square image
    network_image, geometry = to_network(image, 128)
    assert network_image.shape == (128, 128)
    assert (geometry.side, geometry.top, geometry.left) == (300, 0, 60)
    back = to_original(network_image, geometry)
    assert back.shape == image.shape
    found = back > 0.5
    truth = image == 200
    assert (found & truth).sum() / (found | truth).sum() > 0.9


def test_stacked_maps_map_back_together():
    _, geometry = to_network(np.ones((30, 90), np.float32), 32)
    assert to_original(np.zeros((2, 32, 32), np.float32), geometry).shape == (2, 30, 90)


def test_dicom_pixels_are_read_as_modality_values(tmp_path):
    pixels = np.arange(12 * 10, dtype=np.uint16).reshape(12, 10) * 30
    write_secondary_capture(tmp_path / "a.dcm", pixels, slope=2.0)
    np.testing.assert_allclose(read_image(tmp_path / "a.dcm"), pixels * 2.0)


def test_unreadable_images_raise_image_read_error(tmp_path):
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg")
    (tmp_path / "broken.dcm").write_bytes(b"not a dicom")
    for name in ("broken.jpg", "broken.dcm", "absent.png"):
        with pytest.raises(ImageReadError, match=name):
            read_image(tmp_path / name)


def test_missing_or_corrupt_weights_raise_model_load_error(tmp_path):
    with pytest.raises(ModelLoadError, match="not found"):
        LesionSegmenter.load(tmp_path / "absent.pt")
    (tmp_path / "corrupt.pt").write_bytes(b"\x00garbage")
    with pytest.raises(ModelLoadError, match="corrupt.pt"):
        LesionSegmenter.load(tmp_path / "corrupt.pt")
    torch.save({"state_dict": {"x": torch.zeros(1)}, "meta": {"stages": 3, "input_size": 64}}, tmp_path / "other.pt")
    with pytest.raises(ModelLoadError, match="other.pt"):
        LesionSegmenter.load(tmp_path / "other.pt")


def test_saved_weights_reload_to_the_same_predictions(tmp_path):
    segmenter = _tiny_segmenter()
    save_segmenter(tmp_path / "seg.pt", segmenter.network, segmenter.meta)
    reloaded = LesionSegmenter.load(tmp_path / "seg.pt")
    image = np.random.default_rng(3).uniform(0, 255, (64, 64)).astype(np.float32)
    np.testing.assert_allclose(reloaded.probabilities(image, image)["recombined"],
                               segmenter.probabilities(image, image)["recombined"], atol=2e-3)


def test_shipped_weights_load_with_their_tuned_post_processing():
    segmenter = LesionSegmenter.load(SHIPPED)
    assert segmenter.meta["channels"] == ["low_energy", "recombined"]
    assert 0 < segmenter.threshold < 1 and segmenter.min_score >= segmenter.threshold
    assert SHIPPED.stat().st_size < 50 * 1024 * 1024
    assert torch.load(SHIPPED, weights_only=True)["meta"]["split"]["test"]
