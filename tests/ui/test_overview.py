"""The view overview keeps its four standard places from the start and reuses its tiles from study to study."""

from __future__ import annotations

import numpy as np

from cemviewer.study.model import Study, View
from cemviewer.ui.overview import STANDARD_SLOTS, ViewOverview


def test_standard_places_wait_empty_before_a_study(window):
    tiles = window.overview.tiles
    assert set(tiles) == set(STANDARD_SLOTS)
    assert all(not tile.isEnabled() and tile.picture.text() == "" and tile.picture.pixmap().isNull()
               for tile in tiles.values())


def test_opening_a_study_fills_the_same_tiles_and_keeps_the_overview_height(window, open_study, synthetic_study):
    before = dict(window.overview.tiles)
    height = window.overview.sizeHint().height()
    open_study(window, synthetic_study)
    assert window.overview.tiles == before and all(window.overview.tiles[name] is tile for name, tile in before.items())
    assert window.overview.sizeHint().height() == height
    assert all(tile.isEnabled() and not tile.picture.pixmap().isNull() for tile in before.values())
    assert window.overview.tiles["RCC"].toolTip() == "Show RCC"


def test_a_reused_tile_forgets_the_last_study(qtbot):
    overview = ViewOverview()
    qtbot.addWidget(overview)
    overview.set_study(Study("1.2.3", views=[View("R", "CC"), View("L", "CC"), View("R", "ML")]))
    overview.set_thumbnail("RCC", _grey())
    overview.set_current("RCC")
    extra = overview.tiles["RML"]
    assert overview.layout().getItemPosition(overview.layout().indexOf(extra))[:2] == (2, 0)

    overview.set_study(Study("4.5.6", views=[View("L", "CC")]))
    rcc = overview.tiles["RCC"]
    assert "RML" not in overview.tiles
    assert not rcc.isEnabled() and rcc.picture.pixmap().isNull() and rcc.picture.text() == "missing"
    assert not rcc.caption.font().bold() and rcc.toolTip() == ""
    assert overview.tiles["LCC"].isEnabled() and overview.tiles["LCC"].picture.text() == "…"

    overview.set_study(None)
    assert set(overview.tiles) == set(STANDARD_SLOTS)
    assert not any(tile.isEnabled() for tile in overview.tiles.values())


def _grey() -> np.ndarray:
    return np.arange(64 * 48, dtype=np.uint8).reshape(64, 48)
