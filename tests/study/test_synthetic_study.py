"""The project's own synthetic study loads as a complete CEM study in the display convention."""

from __future__ import annotations

import numpy as np

from cemviewer.study.loader import NOT_DICOM_REASON, scan_path
from cemviewer.study.model import Energy
from cemviewer.study.pixels import load_image


def test_synthetic_study_scans_to_four_complete_views(synthetic_study):
    result = scan_path(synthetic_study)
    assert all(item.reason == NOT_DICOM_REASON for item in result.skipped)
    assert result.notes == []
    [study] = result.studies
    assert [view.name for view in study.views] == ["RCC", "LCC", "RMLO", "LMLO"]
    assert all(view.low_energy and view.recombined for view in study.views)


def test_synthetic_images_show_the_chest_wall_on_the_conventional_side(synthetic_study):
    [study] = scan_path(synthetic_study).studies
    for view in study.views:
        image = load_image(view.low_energy)
        assert image.ref.energy is Energy.LOW
        assert (image.flipped_horizontally, image.flipped_vertically) == (False, False)
        pixels = image.pixels.astype(np.float32)
        chest_wall, nipple_side = (pixels[:, -8:], pixels[:, :8]) if view.laterality == "R" else (
            pixels[:, :8], pixels[:, -8:])
        assert chest_wall.mean() > 4 * nipple_side.mean(), view.name
