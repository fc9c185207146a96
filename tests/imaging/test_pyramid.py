"""Display pyramid: halving keeps means and dtype; the level chosen never shows less than the screen can."""

from __future__ import annotations

import numpy as np
import pytest

from cemviewer.imaging.pyramid import MIN_LEVEL_SIDE, build_pyramid, halved, level_for


def test_halving_averages_each_block_and_keeps_the_dtype():
    pixels = np.array([[0, 2, 10, 11], [4, 6, 12, 13], [7, 7, 1, 1]], dtype=np.uint16)
    small = halved(pixels)
    assert small.dtype == np.uint16 and small.tolist() == [[3, 12]]  # odd last row dropped, 11.5 rounds up


def test_halving_signed_and_float_images():
    assert halved(np.array([[-4, -2], [-2, -1]], dtype=np.int16)).tolist() == [[-2]]
    assert halved(np.array([[0.5, 1.0], [1.5, 2.0]], dtype=np.float32)).tolist() == [[1.25]]


def test_halving_uint16_near_the_top_does_not_overflow():
    assert halved(np.full((2, 2), 65535, dtype=np.uint16)).tolist() == [[65535]]


def test_pyramid_halves_down_to_the_smallest_useful_level():
    pixels = np.random.default_rng(0).integers(0, 4096, size=(3062, 2394)).astype(np.uint16)
    levels = build_pyramid(pixels)
    assert levels[0] is pixels
    assert [level.shape for level in levels] == [(3062, 2394), (1531, 1197), (765, 598), (382, 299)]
    assert max(levels[-1].shape) // 2 < MIN_LEVEL_SIDE
    assert levels[2].mean() == pytest.approx(pixels.mean(), rel=0.01)


@pytest.mark.parametrize("ratio, expected", [(0.25, 0), (1.0, 0), (1.9, 0), (2.0, 1), (3.1, 1), (4.0, 2), (100, 3)])
def test_level_keeps_at_least_one_pixel_per_screen_pixel(ratio, expected):
    assert level_for(ratio, level_count=4) == expected


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.int32, np.float32, np.float64])
def test_halving_matches_the_rounded_block_mean_for_every_pixel_type(dtype):
    pixels = np.random.default_rng(1).integers(-300 if np.dtype(dtype).kind in "if" else 0, 255,
                                                size=(101, 77)).astype(dtype)
    blocks = pixels[:100, :76].astype(np.float64).reshape(50, 2, 38, 2).mean(axis=(1, 3))
    expected = np.floor(blocks + 0.5) if np.dtype(dtype).kind in "iu" else blocks
    small = halved(pixels)
    assert small.dtype == dtype and small.shape == (50, 38)
    np.testing.assert_allclose(small, expected, atol=1e-4)
