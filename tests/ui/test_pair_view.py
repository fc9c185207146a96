"""The pair view on full-size images: zoomed out it draws a halved level, yet reads out full-resolution values."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from cemviewer.imaging.pyramid import build_pyramid
from cemviewer.imaging.thumbnail import thumbnail
from cemviewer.imaging.windowing import WindowState
from cemviewer.services.study_loader import LoadedImage
from cemviewer.study.model import Energy, ImageRef, MammoImage, WindowPreset
from cemviewer.ui.pair_view import PairView

SHAPE = (3000, 2400)


def _loaded(energy: Energy, seed: int, spacing=(0.07, 0.07)) -> LoadedImage:
    pixels = np.random.default_rng(seed).integers(0, 4096, size=SHAPE).astype(np.uint16)
    ref = ImageRef(Path(f"{seed}.dcm"), str(seed), "1", "1", "P", "R", "CC", energy, *SHAPE)
    window = WindowState(MammoImage(ref, pixels, spacing, [WindowPreset(2048, 4096, "FULL")], False))
    return LoadedImage(window, thumbnail(pixels, window.mapping()), build_pyramid(pixels))


def _draws(pane, pixels: np.ndarray) -> bool:
    """Whether the pane's ImageItem holds exactly `pixels` (pyqtgraph keeps a view of the array, not a copy)."""
    shown = pane.image_item.image
    return shown.shape == pixels.shape and np.shares_memory(shown, pixels)


@pytest.fixture
def pair(qtbot):
    view = PairView()
    qtbot.addWidget(view)
    view.resize(1200, 760)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_zoomed_out_a_halved_level_is_drawn_and_one_to_one_draws_the_pixels(qtbot, pair):
    le, rec = _loaded(Energy.LOW, 1), _loaded(Energy.RECOMBINED, 2)
    pair.show_pair("RCC", le, rec)
    qtbot.waitUntil(lambda: pair.low_energy.level == 2)  # ~4 image pixels per screen pixel when fitted
    assert _draws(pair.low_energy, le.pyramid[2]) and _draws(pair.recombined, rec.pyramid[2])
    rect = pair.low_energy.image_item.mapRectToParent(pair.low_energy.image_item.boundingRect())
    assert (rect.width(), rect.height()) == pytest.approx((2400 * 0.07, 3000 * 0.07))
    pair.one_to_one()
    assert pair.low_energy.level == 0 and _draws(pair.low_energy, le.window.image.pixels)


def test_an_image_loaded_without_its_pyramid_gets_it_when_first_drawn(qtbot, pair):
    le, rec = _loaded(Energy.LOW, 5), _loaded(Energy.RECOMBINED, 6)
    unbuilt = LoadedImage(le.window, le.thumbnail)
    assert not unbuilt.pyramid_built
    pair.show_pair("RMLO", unbuilt, rec)
    qtbot.waitUntil(lambda: pair.low_energy.level == 2)
    assert unbuilt.pyramid_built and _draws(pair.low_energy, unbuilt.pyramid[2])
    assert np.array_equal(unbuilt.pyramid[2], le.pyramid[2])


def test_readout_uses_the_full_resolution_pixels_when_zoomed_out(qtbot, pair):
    le, rec = _loaded(Energy.LOW, 3), _loaded(Energy.RECOMBINED, 4)
    pair.show_pair("LCC", le, rec)
    qtbot.waitUntil(lambda: pair.low_energy.level == 2)
    readouts = []
    pair.cursorMoved.connect(readouts.append)
    viewbox = pair.low_energy.viewbox
    qtbot.mouseMove(pair.viewport(), pair.mapFromScene(viewbox.mapViewToScene(QPointF(70.0, 90.0))))
    column, row = (int(v) for v in re.search(r"\(col (\d+), row (\d+)\)", readouts[-1]).groups())
    assert f"Low energy {le.window.image.pixels[row, column]}" in readouts[-1]
    assert f"Recombined {rec.window.image.pixels[row, column]}" in readouts[-1]


def test_an_image_without_spacing_borrows_its_partners(qtbot, pair):
    le, rec = _loaded(Energy.LOW, 5), _loaded(Energy.RECOMBINED, 6, spacing=None)
    pair.show_pair("RMLO", le, rec)
    assert pair.recombined.grid.spacing_mm == (0.07, 0.07)
    assert pair.recombined.grid.extent == pair.low_energy.grid.extent


def test_a_missing_image_leaves_both_panes_the_same_width(qtbot, pair):
    pair.show_pair("LMLO", _loaded(Energy.LOW, 7), "No recombined image for LMLO")
    qtbot.waitUntil(lambda: pair.low_energy.viewbox.width() > 100)
    assert pair.low_energy.viewbox.width() == pytest.approx(pair.recombined.viewbox.width(), abs=1)
    assert pair.recombined.placeholder.isVisible()
