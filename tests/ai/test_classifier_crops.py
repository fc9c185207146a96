"""Crop geometry around a lesion: enlargement, squareness, minimum size, image borders, and the way back."""

from __future__ import annotations

import numpy as np
import pytest

from cemviewer.ai.crops import CropWindow, crop_window, extract_crop, mask_box, paste_back


def test_mask_box_has_exclusive_ends():
    mask = np.zeros((50, 60), dtype=bool)
    mask[10:20, 30:45] = True
    assert mask_box(mask) == (30, 10, 45, 20)


def test_empty_mask_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="empty"):
        mask_box(np.zeros((5, 5), dtype=bool))


def test_window_is_a_square_enlarged_around_the_box_centre():
    window = crop_window((100, 200, 140, 220), (1000, 800), context=1.5, min_side_fraction=0.0)
    assert window.side == 60  # the longest box side (40) times 1.5
    assert (window.x0 + window.side / 2, window.y0 + window.side / 2) == (120, 210)


def test_small_lesion_gets_the_minimum_side():
    window = crop_window((100, 100, 104, 103), (1000, 800), context=1.75, min_side_fraction=0.1)
    assert window.side == 80  # 10% of the short image side, not 1.75 * 4


def test_crop_past_the_border_is_zero_padded_and_keeps_the_image_part():
    image = np.arange(100 * 80, dtype=np.float32).reshape(100, 80)
    window = CropWindow(y0=-10, x0=70, side=20)
    crop = extract_crop([image, None], window, size=20)
    assert crop.shape == (2, 20, 20)
    assert np.all(crop[:, :10, :] == 0)  # rows above the image
    assert np.all(crop[:, :, 10:] == 0)  # columns right of the image
    assert np.array_equal(crop[0, 10:, :10], image[0:10, 70:80])
    assert np.all(crop[1] == 0)  # the missing channel


def test_crop_is_resized_to_the_network_size():
    image = np.random.default_rng(0).random((300, 300)).astype(np.float32)
    crop = extract_crop([image, image], CropWindow(y0=50, x0=60, side=150), size=96)
    assert crop.shape == (2, 96, 96) and crop.dtype == np.float32
    assert abs(crop[0].mean() - image[50:200, 60:210].mean()) < 0.01


def test_paste_back_puts_the_crop_map_in_its_window_only():
    window = CropWindow(y0=90, x0=-5, side=30)
    full = paste_back(np.ones((12, 12), dtype=np.float32), window, (100, 50))
    assert full.shape == (100, 50)
    assert np.allclose(full[90:100, 0:25], 1.0)
    assert full[:90].max() == 0 and full[:, 25:].max() == 0


def test_window_entirely_outside_the_image_is_an_error():
    with pytest.raises(ValueError, match="outside"):
        extract_crop([np.zeros((10, 10), dtype=np.float32)], CropWindow(y0=20, x0=0, side=5))
