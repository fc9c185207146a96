"""LesionAnalyser with the real models on the synthetic study as the loader decodes it: order, results, the
findings cache in memory and on disk, cancelling, and what happens when the AI cannot run."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal

import numpy as np
import pytest

from cemviewer.ai.pipeline import CLASSIFIER_FILE, SEGMENTER_FILE, LesionAI, default_models_dir
from cemviewer.imaging.lesion_marks import ViewMarks
from cemviewer.services.findings_cache import FindingsCache, findings_key, model_fingerprint
from cemviewer.services import lesion_ai_process
from cemviewer.services.inference import (CANCELLED, FAILED, FINISHED, FROM_DISK, FROM_MEMORY, FROM_MODEL,
                                          LesionAnalyser)
from cemviewer.services.lesion_ai_process import view_marks, worker_threads
from cemviewer.study.loader import scan_path
from cemviewer.study.pixels import load_image

TIMEOUT_MS = 120_000
VIEWS = {"RCC", "LCC", "RMLO", "LMLO"}


@pytest.fixture(scope="module")
def study(synthetic_study):
    [found] = scan_path(synthetic_study).studies
    return found


@pytest.fixture(scope="module")
def images(study):
    """The decoded images, as the viewer's loader hands them over."""
    return {ref: load_image(ref) for ref in study.images()}


@pytest.fixture(scope="module")
def ai() -> LesionAI:
    return LesionAI.load()


class Recorder:
    """Everything an analyser reports, in order."""

    def __init__(self, analyser: LesionAnalyser) -> None:
        self.analyses, self.failures, self.positions = [], [], []
        analyser.viewAnalysed.connect(self.analyses.append)
        analyser.failed.connect(self.failures.append)
        analyser.progress.connect(lambda name, position, total: self.positions.append((name, position, total)))

    def by_view(self) -> dict:
        return {analysis.view_name: analysis for analysis in self.analyses}


@pytest.fixture
def make_analyser(qtbot, tmp_path):
    """make_analyser(**kwargs) -> (analyser, recorder), the disk cache in this test's folder unless given."""
    made = []

    def make(**kwargs):
        kwargs.setdefault("cache", FindingsCache(tmp_path / "findings"))
        analyser = LesionAnalyser(**kwargs)
        made.append(analyser)
        return analyser, Recorder(analyser)

    yield make
    for analyser in made:
        analyser.shutdown()


def _feed(analyser: LesionAnalyser, study, images, first: str | None = None) -> None:
    """Hand over the images, `first`'s before the others (the loader's order)."""
    views = sorted(study.views, key=lambda view: view.name != first)
    for view in views:
        for ref in view.images():
            analyser.add_image(images[ref])


def _analyse_all(qtbot, analyser, study, images, first: str | None = None) -> None:
    with qtbot.waitSignal(analyser.finished, timeout=TIMEOUT_MS):
        analyser.start(study, first)
        _feed(analyser, study, images, first)


def _failure(qtbot, analyser, recorded, study, images) -> str:
    """Open `study` on an analyser that cannot run: the one message it gives, having analysed nothing."""
    with qtbot.waitSignal(analyser.failed, timeout=TIMEOUT_MS):
        analyser.start(study)
        _feed(analyser, study, images)
    assert analyser.state == FAILED and not recorded.analyses
    [message] = recorded.failures
    return message


def test_views_are_analysed_as_the_pipeline_finds_and_drawn_on_the_image_grid(qtbot, make_analyser, study, images,
                                                                             ai):
    analyser, recorded = make_analyser()
    _analyse_all(qtbot, analyser, study, images, first="LMLO")
    assert analyser.state == FINISHED and analyser.model_runs == 4
    assert [analysis.view_name for analysis in recorded.analyses][0] == "LMLO"
    assert [position for _name, position, _total in recorded.positions] == [1, 2, 3, 4]
    assert set(recorded.by_view()) == VIEWS and not recorded.failures

    for view in study.views:
        analysis = recorded.by_view()[view.name]
        le, rec = images[view.low_energy].pixels, images[view.recombined].pixels
        direct = ai.analyze(le, rec)
        assert analysis.source == FROM_MODEL and analysis.marks.device == direct.device
        # Same numbers up to float rounding: the worker's torch runs on fewer threads.
        assert [m.box for m in analysis.marks.lesions] == [lesion.box for lesion in direct.lesions]
        assert np.allclose([(m.score, m.malignancy) for m in analysis.marks.lesions],
                           [(lesion.score, lesion.malignancy) for lesion in direct.lesions], atol=1e-5)
        assert [m.number for m in analysis.marks.lesions] == list(range(1, len(direct.lesions) + 1))
        for marks, lesion in zip(analysis.marks.lesions, direct.lesions):
            assert set(marks.contours) == set(lesion.outlines)
            x0, y0, x1, y1 = lesion.box
            assert np.array_equal(marks.mask, lesion.mask[y0:y1, x0:x1])
            # The crop keeps no full-size mask alive (from the AI process, it lies in its own bytes).
            assert marks.mask.base is None or memoryview(marks.mask.base).nbytes == marks.mask.nbytes
            for energy, contours in marks.contours.items():
                points = np.concatenate(contours)
                assert (points[:, 0] >= x0 - 0.5).all() and (points[:, 0] <= x1 - 0.5).all()
                assert (points[:, 1] >= y0 - 0.5).all() and (points[:, 1] <= y1 - 0.5).all()
                # Every vertex lies on the outline: between a pixel inside the mask and one outside.
                mask = lesion.outlines[energy]
                columns, rows = points[:, 0], points[:, 1]
                inside = mask[np.floor(rows).astype(int), np.floor(columns).astype(int)] | \
                    mask[np.ceil(rows).astype(int).clip(max=mask.shape[0] - 1),
                         np.ceil(columns).astype(int).clip(max=mask.shape[1] - 1)]
                assert inside.all()
        if direct.heatmap is None:
            assert analysis.marks.heat is None
        else:
            heat = analysis.marks.heat
            assert heat.levels.dtype == np.uint8 and heat.peak == pytest.approx(float(direct.heatmap.max()))
            assert heat.levels.shape == tuple(-(-side // heat.step) for side in le.shape)
            assert abs(heat.levels.max() / 255 - direct.heatmap.max()) < 0.25  # block means soften the peak
    # The AI process left a core to the UI (on a dual-core machine, torch ran on one thread).
    assert {analysis.torch_threads for analysis in recorded.analyses} == {worker_threads()}
    assert worker_threads() == max(1, len(os.sched_getaffinity(0)) - 1)


def test_a_view_selected_while_others_wait_is_analysed_next(qtbot, make_analyser, study, images):
    analyser, recorded = make_analyser()
    with qtbot.waitSignal(analyser.finished, timeout=TIMEOUT_MS):
        analyser.start(study, "RCC")
        _feed(analyser, study, images, "RCC")  # RCC goes to the worker at once, the others wait
        analyser.prioritize("LMLO")
    assert [analysis.view_name for analysis in recorded.analyses][:2] == ["RCC", "LMLO"]


def test_findings_come_back_from_memory_then_from_disk_until_the_weights_change(qtbot, make_analyser, study, images,
                                                                                 tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    for name in (SEGMENTER_FILE, CLASSIFIER_FILE):
        shutil.copy2(default_models_dir() / name, models / name)
    analyser, recorded = make_analyser(models_dir=models)
    _analyse_all(qtbot, analyser, study, images)
    computed = recorded.by_view()
    assert analyser.model_runs == 4
    entries = sorted((tmp_path / "findings").iterdir())
    assert len(entries) == 4 and all(entry.suffix == ".npz" for entry in entries)  # no temporary file left

    recorded.analyses.clear()
    analyser.start(study)  # no images needed: all four views are served from memory at once
    assert analyser.state == FINISHED and analyser.model_runs == 4
    assert {analysis.source for analysis in recorded.analyses} == {FROM_MEMORY}
    assert all(recorded.by_view()[name].marks is computed[name].marks for name in VIEWS)

    later, from_disk = make_analyser(models_dir=models)  # a new session
    _analyse_all(qtbot, later, study, images)
    assert later.model_runs == 0 and {analysis.source for analysis in from_disk.analyses} == {FROM_DISK}
    for name in VIEWS:
        _assert_same_marks(from_disk.by_view()[name].marks, computed[name].marks)

    # New weights: a new session finds no entry for them; this process keeps the weights it loaded, and their entries.
    before = model_fingerprint(models)
    stat = (models / CLASSIFIER_FILE).stat()
    os.utime(models / CLASSIFIER_FILE, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert model_fingerprint(models) != before
    cache = FindingsCache(tmp_path / "findings")
    rcc = study.view("RCC")
    uids = [rcc.low_energy.sop_instance_uid, rcc.recombined.sop_instance_uid]
    assert cache.load(findings_key(study.study_uid, uids, before)) is not None
    assert cache.load(findings_key(study.study_uid, uids, model_fingerprint(models))) is None
    same_process, _recorded = make_analyser(models_dir=models)
    _analyse_all(qtbot, same_process, study, images)
    assert same_process.model_runs == 0


def test_cancel_stops_at_once_and_a_rerun_completes_the_study(qtbot, make_analyser, study, images):
    analyser, recorded = make_analyser()
    analyser.start(study)
    with qtbot.waitSignal(analyser.cancelled, timeout=1000):
        _feed(analyser, study, images)
        assert analyser.cancel()
    assert analyser.state == CANCELLED and not analyser.cancel()
    qtbot.waitUntil(lambda: analyser._pool.activeThreadCount() == 0, timeout=TIMEOUT_MS)
    assert analyser.model_runs <= 1 and len(recorded.analyses) <= 1  # the view in flight, if it beat the cancel

    with qtbot.waitSignal(analyser.finished, timeout=TIMEOUT_MS):
        analyser.rerun()
    assert set(recorded.by_view()) == VIEWS and analyser.model_runs == 4


def test_an_unusable_view_is_reported_and_the_others_are_analysed(qtbot, make_analyser, study, images):
    analyser, recorded = make_analyser()
    failures = []
    analyser.viewFailed.connect(lambda name, message: failures.append((name, message)))
    rcc = study.view("RCC")
    broken = dict(images)
    broken[rcc.recombined] = dataclasses.replace(images[rcc.recombined], pixels=images[rcc.recombined].pixels[:100])
    with qtbot.waitSignal(analyser.finished, timeout=TIMEOUT_MS):
        analyser.start(study)
        _feed(analyser, study, broken)
    assert [name for name, _message in failures] == ["RCC"]
    assert "differ in shape" in failures[0][1] and "RCC" in failures[0][1]
    assert set(recorded.by_view()) == VIEWS - {"RCC"}


@pytest.mark.parametrize("damage", ["no folder", "empty folder", "corrupt classifier"])
def test_unusable_weights_fail_the_run_with_a_message(qtbot, make_analyser, study, images, tmp_path, damage):
    models = tmp_path / "models"
    if damage != "no folder":
        models.mkdir()
    if damage == "corrupt classifier":
        shutil.copy(default_models_dir() / SEGMENTER_FILE, models / SEGMENTER_FILE)
        (models / CLASSIFIER_FILE).write_bytes(b"\x00" * 100)
    analyser, recorded = make_analyser(models_dir=models)
    message = _failure(qtbot, analyser, recorded, study, images)
    assert message.startswith("Lesion AI is off:")
    expected = {"no folder": str(models), "empty folder": str(models / SEGMENTER_FILE),
                "corrupt classifier": str(models / CLASSIFIER_FILE)}[damage]
    assert expected in message


def test_an_ai_process_that_dies_stops_the_run_with_a_message_and_the_next_study_starts_another(
        qtbot, make_analyser, study, images):
    analyser, recorded = make_analyser()
    dead = lesion_ai_process.worker_pid()

    def kill(*_progress) -> None:  # as the first view is handed to the process
        analyser.progress.disconnect(kill)
        os.kill(dead, signal.SIGKILL)

    analyser.progress.connect(kill)
    message = _failure(qtbot, analyser, recorded, study, images)
    assert message.startswith("Lesion AI stopped: its process ended unexpectedly")

    _analyse_all(qtbot, analyser, study, images)
    assert set(recorded.by_view()) == VIEWS and analyser.model_runs == 4
    assert lesion_ai_process.worker_pid() != dead


def test_monochrome1_images_are_analysed_bright_dense(qtbot, make_analyser, study, images, tmp_path):
    """A MONOCHROME1 file stores dense tissue dark; the models must see it as the MONOCHROME2 original."""
    analyser, recorded = make_analyser()
    inverted = {ref: dataclasses.replace(image, pixels=image.pixels.max() - image.pixels, invert=True)
                for ref, image in images.items()}
    _analyse_all(qtbot, analyser, study, inverted)
    plain, plain_recorded = make_analyser(cache=FindingsCache(tmp_path / "plain"))
    _analyse_all(qtbot, plain, study, images)
    for name in VIEWS:
        assert [m.box for m in recorded.by_view()[name].marks.lesions] == \
               [m.box for m in plain_recorded.by_view()[name].marks.lesions]


def _assert_same_marks(a: ViewMarks, b: ViewMarks) -> None:
    """`a` is `b` to the bit: what the disk cache gives back is what was drawn when the models ran."""
    assert a.device == b.device and len(a.lesions) == len(b.lesions)
    for x, y in zip(a.lesions, b.lesions):
        assert (x.number, x.box, x.score, x.malignancy) == (y.number, y.box, y.score, y.malignancy)
        assert list(x.contours) == list(y.contours)  # the order too: a missing energy borrows the first one's
        for energy, lines in y.contours.items():
            assert len(x.contours[energy]) == len(lines)
            assert all(p.dtype == np.float32 and np.array_equal(p, q) for p, q in zip(x.contours[energy], lines))
        assert x.mask.dtype == bool and np.array_equal(x.mask, y.mask)
    assert (a.heat is None) == (b.heat is None)
    if b.heat is not None:
        assert (a.heat.step, a.heat.peak) == (b.heat.step, b.heat.peak)
        assert a.heat.levels.dtype == np.uint8 and np.array_equal(a.heat.levels, b.heat.levels)


def test_cache_entries(tmp_path, study, images, ai):
    view = study.view("RCC")
    findings = ai.analyze(images[view.low_energy].pixels, images[view.recombined].pixels)
    assert findings.lesions and findings.heatmap is not None
    marks = view_marks(findings)
    cache = FindingsCache(tmp_path)
    fingerprint = model_fingerprint(default_models_dir())
    key = findings_key(study.study_uid, [view.low_energy.sop_instance_uid, view.recombined.sop_instance_uid],
                       fingerprint)
    assert key != findings_key(study.study_uid, [view.low_energy.sop_instance_uid, None], fingerprint)
    assert key != findings_key(study.study_uid, [view.low_energy.sop_instance_uid,
                                                 view.recombined.sop_instance_uid], fingerprint + "x")
    assert cache.load(key) is None
    cache.save(key, marks)
    assert [entry.name for entry in tmp_path.iterdir()] == [f"{key}.npz"]  # no temporary file left
    _assert_same_marks(cache.load(key), marks)
    assert model_fingerprint(tmp_path / "nowhere") is None

    # No lesion, no heatmap; and a lesion whose marks were made from outlines only (no mask): both come back as such.
    bare = ViewMarks([dataclasses.replace(marks.lesions[0], number=1, mask=None, malignancy=None, contours={})],
                     None, "cpu")
    for other in (ViewMarks([], None, "cpu"), bare):
        cache.save(key, other)
        restored = cache.load(key)
        assert (restored.device, restored.heat) == ("cpu", None)
        assert [(m.number, m.box, m.score, m.malignancy, m.mask, m.contours) for m in restored.lesions] == \
               [(m.number, m.box, m.score, m.malignancy, m.mask, m.contours) for m in other.lesions]

    cache.path(key).write_bytes(b"PK\x03\x04 truncated")  # a damaged entry is a miss, and goes
    assert cache.load(key) is None and not cache.path(key).exists()

    # An entry of the first format (full findings: masks cropped to boxes, the float16 heatmap) is a miss, and goes.
    lesion = findings.lesions[0]
    x0, y0, x1, y1 = lesion.box
    np.savez_compressed(cache.path(key), meta=np.array(json.dumps({"version": 1, "device": "cpu", "seconds": {},
                                                                   "energies": [sorted(lesion.outlines)]})),
                        boxes=np.array([lesion.box]), scores=np.array([lesion.score]),
                        malignancy=np.array([lesion.malignancy]), shape=np.array(lesion.mask.shape),
                        heatmap=findings.heatmap.astype(np.float16),
                        **{f"outline_0_{energy}": mask[y0:y1, x0:x1] for energy, mask in lesion.outlines.items()})
    assert cache.load(key) is None and not cache.path(key).exists()
