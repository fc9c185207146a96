"""Window/level maths: mappings, VOI LUTs, drags, presets, reset and invert on real arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cemviewer.imaging.thumbnail import apply_mapping
from cemviewer.imaging.windowing import (
    WindowState,
    dragged_window,
    lut_equivalent_window,
    voi_lut_mapping,
    window_levels,
    window_mapping,
)
from cemviewer.study.model import Energy, ImageRef, MammoImage, WindowPreset


def _image(pixels: np.ndarray, windows=None, invert=False, voi_lut=None, voi_lut_first=0, function="LINEAR"):
    ref = ImageRef(Path("x.dcm"), "1.2.3", "1.2", "1", "P", "R", "CC", Energy.LOW, *pixels.shape)
    return MammoImage(ref, pixels, (0.1, 0.1), windows or [WindowPreset(2000, 1000, "NORMAL")], invert,
                      voi_lut=voi_lut, voi_lut_first=voi_lut_first, voi_lut_function=function)


def _breast_like(seed=0) -> np.ndarray:
    """Air at 100 on the left third, tissue between 1500 and 3500 elsewhere."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(1500, 3500, size=(200, 150)).astype(np.uint16)
    pixels[:, :50] = 100
    return pixels


def test_window_levels_span_the_width_around_the_centre():
    assert window_levels(WindowPreset(2000, 1000)) == (1500, 2500)


def test_linear_mapping_grades_from_black_to_white_across_the_window():
    mapping = window_mapping(WindowPreset(2000, 1000))
    grey = apply_mapping(np.array([1000.0, 1500.0, 2000.0, 2499.9, 4000.0]), mapping)
    assert grey[0] == 0 and grey[-1] == 255
    assert grey[1] == 0 and 120 <= grey[2] <= 135 and grey[3] == 255


def test_inverted_mapping_swaps_black_and_white():
    grey = apply_mapping(np.array([1000.0, 4000.0]), window_mapping(WindowPreset(2000, 1000), inverted=True))
    assert grey.tolist() == [255, 0]


def test_sigmoid_mapping_is_mid_grey_at_the_centre_and_steepest_there():
    mapping = window_mapping(WindowPreset(2000, 1000), function="SIGMOID")
    grey = apply_mapping(np.array([1000.0, 1900.0, 2000.0, 2100.0, 3000.0]), mapping).astype(int)
    assert grey[0] < 10 and grey[-1] > 245
    assert abs(grey[2] - 128) <= 2
    # grey levels per modality unit: steeper across the centre than over the tail
    assert (grey[3] - grey[1]) / 200 > (grey[1] - grey[0]) / 900


def test_voi_lut_mapping_puts_each_value_on_its_own_entry():
    table = np.array([0, 0, 100, 200, 400, 400], dtype=np.float32)
    mapping = voi_lut_mapping(table, first=10)
    values = np.arange(8, 18, dtype=np.float32)
    grey = apply_mapping(values, mapping)
    expected = np.round(np.clip(table[np.clip(values.astype(int) - 10, 0, 5)], 0, 400) * 255 / 400)
    assert grey.tolist() == expected.astype(int).tolist()


def test_lut_equivalent_window_covers_the_graded_part_of_the_table():
    table = np.concatenate([np.zeros(100), np.linspace(0, 1000, 50), np.full(100, 1000)]).astype(np.float32)
    window = lut_equivalent_window(table, first=500)
    low, high = window_levels(window)
    assert 598 <= low <= 601 and 648 <= high <= 651


def test_drag_right_widens_and_drag_down_raises_the_level():
    window = WindowPreset(2000, 1000)
    wider = dragged_window(window, dx=256, dy=0, value_span=4000)
    assert wider.width == pytest.approx(2000) and wider.center == 2000
    narrower = dragged_window(window, dx=-128, dy=0, value_span=4000)
    assert narrower.width == pytest.approx(500)
    darker = dragged_window(window, dx=0, dy=64, value_span=4000)
    assert darker.center == pytest.approx(2250) and darker.width == 1000


def test_drag_never_reaches_a_zero_width():
    narrowest = dragged_window(WindowPreset(2000, 10), dx=-10_000, dy=0, value_span=4000)
    assert narrowest.width == pytest.approx(4.0)


def test_window_state_starts_on_the_files_first_window_and_cycles_presets():
    windows = [WindowPreset(2000, 1000, "NORMAL"), WindowPreset(2500, 600, "HARDER")]
    state = WindowState(_image(_breast_like(), windows))
    assert state.window == windows[0]
    assert state.apply_preset(1) and state.mapping().levels == (2200, 2800)
    assert not state.apply_preset(2)  # no third window: unchanged
    assert state.window == windows[1]
    state.drag(50, 0)
    state.reset()
    assert state.window == windows[0]


def test_auto_window_leaves_the_air_out():
    state = WindowState(_image(_breast_like()))
    state.apply_auto()
    low, high = window_levels(state.window)
    assert 1450 < low < 1600 and 3400 < high < 3550
    assert state.value_span == pytest.approx(3499 - 100, abs=20)


def test_user_invert_combines_with_monochrome1():
    state = WindowState(_image(_breast_like(), invert=True))
    assert state.mapping().lut[0] == 255  # MONOCHROME1 displays low values white
    state.user_inverted = True
    assert state.mapping().lut[0] == 0
    assert "inverted" in state.describe()


def test_voi_lut_is_the_default_and_a_drag_continues_from_it():
    table = np.concatenate([np.zeros(1000), np.linspace(0, 4095, 2000), np.full(1000, 4095)]).astype(np.float32)
    state = WindowState(_image(_breast_like(), voi_lut=table, voi_lut_first=0))
    assert state.uses_voi_lut and state.mapping().levels == (0.0, 4000.0)
    assert "File LUT" in state.describe()
    state.drag(0, 0)
    assert not state.uses_voi_lut
    assert window_levels(state.window) == pytest.approx((999, 3000), abs=2)
    state.reset()
    assert state.uses_voi_lut
