"""RoiAssessor on a real LesionSet and the synthetic study's decoded images, with the shipped models: what it
reports matches the fusion core, edits are debounced and never read mid-stroke, stale results are dropped, and
what cannot be assessed is said in words."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from cemviewer.ai.classifier import MalignancyClassifier
from cemviewer.ai.pipeline import CLASSIFIER_FILE, default_models_dir
from cemviewer.editing.lesion_set import LesionSet
from cemviewer.fusion import RadiomicsModel, assess_lesion, dense_bright
from cemviewer.services.roi_assessment import (
    NO_IMAGES_TEXT,
    NO_LESION_TEXT,
    RoiAssessor,
    ViewInputs,
)
from cemviewer.study.loader import scan_path
from cemviewer.study.pixels import load_image

RESULT_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def view_inputs(synthetic_study) -> ViewInputs:
    view = scan_path(synthetic_study).studies[0].views[0]
    return ViewInputs(load_image(view.low_energy), load_image(view.recombined), age=55.0)


@pytest.fixture(scope="module")
def inside_breast(view_inputs) -> tuple[float, float]:
    """(x, y) of the point deepest inside the breast (the chest-wall edge counts as outside)."""
    pixels = view_inputs.le.pixels
    breast = np.pad((pixels > pixels.min() + 0.05 * np.ptp(pixels))[1:-1, 1:-1], 1)
    depth = ndimage.distance_transform_edt(breast)
    row, column = np.unravel_index(int(np.argmax(depth)), depth.shape)
    return column + 0.5, row + 0.5


@pytest.fixture
def lesions(view_inputs) -> LesionSet:
    return LesionSet(view_inputs.le.pixels.shape, view_inputs.le.spacing_mm)


@pytest.fixture
def assessor(qtbot, view_inputs, lesions):
    reports = []
    assessor = RoiAssessor(lambda: view_inputs, models_dir=default_models_dir())
    for signal in (assessor.assessed, assessor.refused, assessor.idle):
        signal.connect(lambda *args, signal=signal: reports.append((signal, args)))
    assessor.reports = reports
    assessor.show_lesions(lesions)
    yield assessor
    assessor.shutdown()


def _paint(lesions: LesionSet, points, radius: float = 12.0) -> int:
    lesion_id = lesions.begin_stroke(radius)
    for point in points:
        lesions.stroke_to(point)
    lesions.end_stroke()
    return lesion_id


def _next_report(qtbot, assessor):
    count = len(assessor.reports)
    qtbot.waitUntil(lambda: len(assessor.reports) > count, timeout=RESULT_TIMEOUT_MS)
    return assessor.reports[-1]


def test_the_result_is_the_fusion_cores_for_the_current_outline(qtbot, assessor, lesions, view_inputs,
                                                                inside_breast):
    x, y = inside_breast
    lesion_id = _paint(lesions, [(x - 10, y), (x + 10, y)])
    signal, (result,) = _next_report(qtbot, assessor)
    assert signal == assessor.assessed and result.lesion_id == lesion_id and result.note == ""
    mask = lesions.lesion(lesion_id).mask
    expected = assess_lesion(dense_bright(view_inputs.le), dense_bright(view_inputs.rec), mask,
                             view_inputs.le.spacing_mm,
                             MalignancyClassifier.load(default_models_dir() / CLASSIFIER_FILE),
                             RadiomicsModel.load(), age=55.0)
    got = result.assessment
    assert got.features == pytest.approx(expected.features, nan_ok=True)
    assert (got.dl_prob, got.radiomics_prob, got.threshold, got.call) == pytest.approx(
        (expected.dl_prob, expected.radiomics_prob, expected.threshold, expected.call))
    assert got.fused_prob == pytest.approx((got.dl_prob + got.radiomics_prob) / 2)
    assert got.area_mm2 == pytest.approx(lesions.area(lesion_id))


def test_edits_in_quick_succession_make_one_run_and_none_starts_mid_stroke(qtbot, assessor, lesions,
                                                                          inside_breast):
    x, y = inside_breast
    lesion_id = _paint(lesions, [(x, y)])
    _paint(lesions, [(x, y), (x + 15, y)])
    lesions.begin_stroke(12.0)
    lesions.stroke_to((x, y + 15))
    qtbot.wait(600)  # well past the debounce: the outline is not final, so nothing runs
    assert not assessor.busy and assessor.reports[-1][0] != assessor.assessed
    lesions.end_stroke()
    _signal, (result,) = _next_report(qtbot, assessor)
    assert result.assessment.area_mm2 == pytest.approx(lesions.area(lesion_id))
    assert assessor.dropped == 0 and [s for s, _ in assessor.reports].count(assessor.assessed) == 1


def test_a_result_for_an_older_outline_is_dropped(qtbot, assessor, lesions, inside_breast):
    x, y = inside_breast
    lesion_id = _paint(lesions, [(x, y)])
    qtbot.waitUntil(lambda: assessor.busy, timeout=RESULT_TIMEOUT_MS)
    # Synchronously (no event is processed, so the running result cannot be delivered in between): grow it.
    _paint(lesions, [(x, y), (x + 20, y)])
    grown = lesions.area(lesion_id)
    qtbot.waitUntil(lambda: any(s == assessor.assessed for s, _ in assessor.reports), timeout=RESULT_TIMEOUT_MS)
    results = [args[0] for s, args in assessor.reports if s == assessor.assessed]
    assert assessor.dropped == 1 and len(results) == 1
    assert results[0].assessment.area_mm2 == pytest.approx(grown)


def test_selecting_another_lesion_or_none(qtbot, assessor, lesions, inside_breast):
    x, y = inside_breast
    first = _paint(lesions, [(x, y)], radius=8.0)
    lesions.new_lesion()
    second = _paint(lesions, [(x + 30, y)], radius=14.0)
    _signal, (result,) = _next_report(qtbot, assessor)
    assert result.lesion_id == second
    lesions.select(first)
    _signal, (result,) = _next_report(qtbot, assessor)
    assert result.lesion_id == first and result.assessment.area_mm2 == pytest.approx(lesions.area(first))
    lesions.select(None)
    assert assessor.reports[-1] == (assessor.idle, (NO_LESION_TEXT,))


def test_an_outline_that_cannot_be_measured_is_refused_with_the_reason(qtbot, assessor, lesions):
    _paint(lesions, [(0.5, 100.5)], radius=6.0)  # on the image's edge
    signal, (_lesion_id, message) = _next_report(qtbot, assessor)
    assert signal == assessor.refused and "touches the image edge" in message
    lesions.begin_stroke(30.0, erase=True)
    lesions.stroke_to((0.5, 100.5))
    lesions.end_stroke()
    signal, (_lesion_id, message) = _next_report(qtbot, assessor)
    assert signal == assessor.refused and "empty" in message


def test_missing_models_and_images_are_said(qtbot, tmp_path, lesions, view_inputs, inside_breast):
    messages = []
    assessor = RoiAssessor(lambda: view_inputs, models_dir=tmp_path)
    assessor.refused.connect(lambda _lesion_id, message: messages.append(message))
    assessor.show_lesions(lesions)
    _paint(lesions, [inside_breast])
    qtbot.waitUntil(lambda: bool(messages), timeout=RESULT_TIMEOUT_MS)
    assert messages[-1].startswith("Assessment is off: radiomics model file not found")
    assessor.shutdown()

    no_images = RoiAssessor(lambda: None, models_dir=default_models_dir())
    no_images.refused.connect(lambda _lesion_id, message: messages.append(message))
    no_images.show_lesions(lesions)
    qtbot.waitUntil(lambda: messages[-1] == NO_IMAGES_TEXT, timeout=RESULT_TIMEOUT_MS)
    no_images.shutdown()


def test_without_the_dl_classifier_the_radiomics_probability_stands_alone(qtbot, tmp_path, lesions, view_inputs,
                                                                         inside_breast):
    for name in ("radiomics_xgb.json", "radiomics_xgb.meta.json"):
        (tmp_path / name).symlink_to(default_models_dir() / name)
    results = []
    assessor = RoiAssessor(lambda: view_inputs, models_dir=tmp_path)
    assessor.assessed.connect(results.append)
    assessor.show_lesions(lesions)
    _paint(lesions, [inside_breast])
    qtbot.waitUntil(lambda: bool(results), timeout=RESULT_TIMEOUT_MS)
    assessor.shutdown()
    result = results[-1]
    assert result.assessment.dl_prob is None and "No DL probability" in result.note
    assert result.assessment.fused_prob == result.assessment.radiomics_prob
