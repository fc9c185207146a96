"""The assessment panel in the real main window on the synthetic study: lesions painted with the real tools (mouse
events on the pair view), the shipped radiomics model and DL classifier in the background worker, and what the
panel then shows."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog
from scipy import ndimage

from cemviewer.ai.pipeline import CLASSIFIER_FILE, MODELS_ENV, default_models_dir
from cemviewer.fusion.assess import MALIGNANT
from cemviewer.fusion.model import MODEL_FILE, metadata_path
from cemviewer.services.roi_assessment import NO_LESION_TEXT
from cemviewer.ui.assessment_panel import EXPORT_HEADER, call_text
from tests.ui.test_editing import _click, _drag, _key

RESULT_TIMEOUT_MS = 60_000


def _models_folder(folder, *names):
    folder.mkdir()
    for name in names:
        (folder / name).symlink_to(default_models_dir() / name)
    return folder


@pytest.fixture
def assessing(qtbot, window, open_study, synthetic_study, tmp_path, monkeypatch):
    """The window on the synthetic study (RCC on screen) with the assessment models but no segmenter, so no AI
    proposal arrives mid-test."""
    radiomics = default_models_dir() / MODEL_FILE
    models = _models_folder(tmp_path / "models", radiomics.name, metadata_path(radiomics).name, CLASSIFIER_FILE)
    monkeypatch.setenv(MODELS_ENV, str(models))
    open_study(window, synthetic_study)
    qtbot.waitUntil(lambda: window.editor.lesions is not None)
    return window


def _deep_in_breast(window) -> tuple[float, float]:
    pixels = window.loaded[window.current_view().low_energy].window.image.pixels
    breast = np.pad((pixels > pixels.min() + 0.05 * np.ptp(pixels))[1:-1, 1:-1], 1)
    row, column = np.unravel_index(int(np.argmax(ndimage.distance_transform_edt(breast))), breast.shape)
    return column + 0.5, row + 0.5


def _wait_for_current(qtbot, window):
    """The panel's figures, once they are those of the active lesion's outline as it is now."""
    panel, lesions = window.assessment_panel, window.editor.lesions

    def current() -> bool:
        shown = panel.shown
        return (shown is not None and shown.lesion_id == lesions.active_id and panel.results.isEnabled()
                and shown.assessment.area_mm2 == pytest.approx(lesions.area(lesions.active_id)))

    qtbot.waitUntil(current, timeout=RESULT_TIMEOUT_MS)
    return panel.shown


def _wait_for_message(qtbot, window, words: str) -> str:
    panel = window.assessment_panel
    qtbot.waitUntil(lambda: words in panel.status.text(), timeout=RESULT_TIMEOUT_MS)
    assert panel.shown is None and panel.results.isHidden()
    return panel.status.text()


def test_a_painted_lesion_fills_the_panel_and_the_figures_follow_the_outline(qtbot, assessing):
    window, panel = assessing, assessing.assessment_panel
    assert panel.status.text() == NO_LESION_TEXT
    x, y = _deep_in_breast(window)
    _key(qtbot, window, Qt.Key.Key_B)
    window.editor.tools.set_radius(12)
    _drag(qtbot, window, [(x - 8, y), (x + 8, y)])
    assert panel.status.text() == "Computing…" and not panel.results.isEnabled()
    result = _wait_for_current(qtbot, window)
    lesion_id, a = window.editor.lesions.active_id, result.assessment
    area = window.editor.lesions.area(lesion_id)
    # mm²; pyradiomics measures the outline resampled to 0.2 mm (resources/radiomics.yaml), hence not exact
    assert a.features["original_shape2D_PixelSurface"] == pytest.approx(area, rel=0.01)
    assert a.fused_prob == pytest.approx((a.dl_prob + a.radiomics_prob) / 2)
    assert a.call == (MALIGNANT if a.fused_prob >= a.threshold else "benign")
    assert panel.title.text() == f"Lesion #{lesion_id}  ·  {area:.0f} mm²"
    assert panel.probabilities["dl"].text() == f"{a.dl_prob:.2f}"
    assert panel.probabilities["radiomics"].text() == f"{a.radiomics_prob:.2f}"
    assert panel.call.text() == call_text(a.fused_prob, a.threshold, a.call)
    assert panel.call.text().startswith(f"Fused {a.fused_prob:.2f}")
    assert ("≥" in panel.call.text()) == (a.call == MALIGNANT)
    assert panel.chart.contributions == a.contributions and len(a.contributions) == 8
    assert len(panel.features.rows) == len({name.removeprefix("le_").removeprefix("rec_") for name in a.features})
    headings = [line for line in range(panel.features.rowCount()) if panel.features.heading(line)]
    assert [panel.features.index(line, 0).data() for line in headings] == [
        "First order", "Shape", "GLCM", "GLRLM", "GLSZM", "GLDM", "NGTDM"]

    # A second stroke grows the lesion: the area and the features follow.
    _drag(qtbot, window, [(x + 8, y), (x + 8, y + 20)], pane=1)
    grown = _wait_for_current(qtbot, window).assessment
    assert grown.area_mm2 > a.area_mm2
    assert grown.features["original_shape2D_PixelSurface"] == pytest.approx(window.editor.lesions.area(lesion_id),
                                                                            rel=0.01)


def test_an_edit_while_a_result_is_computed_replaces_it(qtbot, assessing):
    window = assessing
    assessor, lesions = window.assessor, window.editor.lesions
    shown = []
    assessor.assessed.connect(shown.append)
    x, y = _deep_in_breast(window)
    _key(qtbot, window, Qt.Key.Key_B)
    window.editor.tools.set_radius(10)
    _click(qtbot, window, x, y)
    small = lesions.area(lesions.active_id)
    _drag(qtbot, window, [(x, y), (x, y + 24)])
    qtbot.waitUntil(lambda: assessor.busy, timeout=RESULT_TIMEOUT_MS)
    window.actions_by_key["undo"].trigger()  # no event is handled in between: the running result is stale
    result = _wait_for_current(qtbot, window)
    assert result.assessment.area_mm2 == pytest.approx(small)
    assert assessor.dropped == 1 and shown == [result]


def test_outlines_that_cannot_be_measured_give_a_message(qtbot, assessing):
    window = assessing
    tools = window.editor.tools
    x, y = _deep_in_breast(window)
    columns = window.editor.lesions.shape[1]
    _key(qtbot, window, Qt.Key.Key_B)
    tools.set_radius(1)
    _click(qtbot, window, x, y)
    assert "covers only" in _wait_for_message(qtbot, window, "draw around the whole lesion")

    _key(qtbot, window, Qt.Key.Key_N)
    tools.set_radius(6)
    _click(qtbot, window, columns - 2.5, y)
    _wait_for_message(qtbot, window, "touches the image edge")

    _key(qtbot, window, Qt.Key.Key_N)
    tools.set_radius(10)
    background = (20.5, 20.5) if window.current_view().laterality == "R" else (columns - 20.5, 20.5)
    _click(qtbot, window, *background)
    _wait_for_message(qtbot, window, "lies outside the breast")

    _key(qtbot, window, Qt.Key.Key_E)
    tools.set_radius(30)
    _click(qtbot, window, *background)
    assert window.editor.lesions.area(window.editor.lesions.active_id) == 0
    _wait_for_message(qtbot, window, "The outline is empty")

    # Deleting the lesion leaves nothing selected.
    window.actions_by_key["delete_lesion"].trigger()
    _wait_for_message(qtbot, window, NO_LESION_TEXT)


def test_without_the_radiomics_model_the_panel_says_so(qtbot, window, open_study, synthetic_study, tmp_path,
                                                      monkeypatch):
    monkeypatch.setenv(MODELS_ENV, str(_models_folder(tmp_path / "models", CLASSIFIER_FILE)))
    open_study(window, synthetic_study)
    qtbot.waitUntil(lambda: window.editor.lesions is not None)
    _key(qtbot, window, Qt.Key.Key_B)
    _click(qtbot, window, *_deep_in_breast(window))
    text = _wait_for_message(qtbot, window, "radiomics model file not found")
    assert text.startswith("Assessment is off") and "cemviewer train radiomics" in text


def test_the_feature_table_copies_and_exports(qtbot, assessing, tmp_path, monkeypatch):
    window, panel = assessing, assessing.assessment_panel
    _key(qtbot, window, Qt.Key.Key_B)
    window.editor.tools.set_radius(12)
    _click(qtbot, window, *_deep_in_breast(window))
    features = _wait_for_current(qtbot, window).assessment.features

    target = tmp_path / "features.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), "CSV files (*.csv)"))
    qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    with target.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert tuple(rows[0]) == EXPORT_HEADER and len(rows) == len(panel.features.rows) + 1
    by_name = {row[0]: row[1:] for row in rows[1:]}
    for name, value in features.items():
        image, _, rest = name.partition("_")
        le, rec = by_name[rest] if image in ("le", "rec") else by_name[name]
        exported = float({"le": le, "rec": rec}.get(image, le) or "nan")
        assert exported == pytest.approx(value, nan_ok=True), name
    assert f"written to {target}" in panel.status.text()

    qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    copied = [line.split("\t") for line in QApplication.clipboard().text().splitlines()]
    assert copied == rows
