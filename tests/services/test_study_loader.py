"""The background study loader on real DICOM: order of arrival, errors, and opens that overtake each other."""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pydicom
import pytest

from cemviewer.imaging.pyramid import build_pyramid
from cemviewer.services.study_loader import DECODE_NICENESS, MAX_PARALLEL_DECODES, StudyLoader, decode
from cemviewer.study.loader import scan_path
from cemviewer.study.pixels import load_image

TIMEOUT_MS = 60_000


@pytest.fixture
def loader(qtbot):
    loader = StudyLoader()
    yield loader
    loader.shutdown()


def _record(loader: StudyLoader) -> dict[str, list]:
    events: dict[str, list] = {"scanned": [], "loaded": [], "failed": [], "open_failed": [], "progress": []}
    loader.scanned.connect(events["scanned"].append)
    loader.imageLoaded.connect(events["loaded"].append)
    loader.imageFailed.connect(lambda ref, message: events["failed"].append((ref, message)))
    loader.openFailed.connect(events["open_failed"].append)
    loader.progress.connect(lambda what, done, total: events["progress"].append((what, done, total)))
    return events


@contextmanager
def _decoding_held(study, view_name, folder, compressed=False):
    """`study` with `view_name`'s images replaced by named pipes (marked compressed, if asked, so they go to the
    decode processes): a worker that opens one waits there until it is released, then reads an empty file (the
    image fails). Keeps the loader's workers where they are while a test looks at the queue: they take the next
    image themselves as soon as they are done. Yields the study, the held view and release(ref)."""
    view = study.view(view_name)
    pipes = {ref: folder / f"pipe-{view_name}-{ref.energy.value}" for ref in view.images()}
    for pipe in pipes.values():
        os.mkfifo(pipe)
    held = {ref: dataclasses.replace(ref, path=pipes[ref], compressed=compressed, header=None) for ref in pipes}
    held_view = dataclasses.replace(view, low_energy=held[view.low_energy], recombined=held[view.recombined])
    waiting = set(held.values())

    def release(ref):
        if ref in waiting:
            waiting.discard(ref)
            os.close(os.open(ref.path, os.O_WRONLY))  # waits for the worker's open, then lets it read the end

    try:
        yield dataclasses.replace(study, views=[held_view if other is view else other for other in study.views]), \
            held_view, release
    finally:
        for ref in list(waiting):
            release(ref)


def test_the_first_view_arrives_first_then_every_other_image(qtbot, loader, synthetic_study):
    events = _record(loader)
    with qtbot.waitSignal(loader.idle, timeout=TIMEOUT_MS):
        loader.open_paths([synthetic_study])
    [scan] = events["scanned"]
    [study] = scan.studies
    first = study.views[0]
    # Both of the first view's images are decoded at once, ahead of the others; either may finish first.
    assert events["loaded"][0].ref in first.images()
    assert {loaded.ref for loaded in events["loaded"]} == set(study.images())
    assert ("Loading images", 8, 8) in events["progress"]
    assert any(what == "Scanning" and done == total > 0 for what, done, total in events["progress"])


def _nice_by_thread() -> dict[int, int]:
    """This process's threads and their nice values (Linux: field 19 of /proc/self/task/<id>/stat)."""
    nice = {}
    for task in Path("/proc/self/task").iterdir():
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        nice[int(task.name)] = int(fields[16])
    return nice


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="threads have a nice value of their own on Linux")
def test_decodes_run_nicer_than_the_ui_thread(qtbot, loader, synthetic_study):
    ui_nice = os.getpriority(os.PRIO_PROCESS, 0)
    before = _nice_by_thread()
    with qtbot.waitSignal(loader.idle, timeout=TIMEOUT_MS):
        loader.open_paths([synthetic_study])
    after = _nice_by_thread()
    assert after[threading.get_native_id()] == ui_nice == os.getpriority(os.PRIO_PROCESS, 0)
    # The pool's threads outlive their work for a while: the ones that decoded are there, nicer.
    decoders = {tid for tid, nice in after.items() if tid not in before and nice == min(ui_nice + DECODE_NICENESS, 19)}
    assert decoders and len(decoders) <= MAX_PARALLEL_DECODES + 1


def test_decoded_images_match_the_core_and_carry_a_thumbnail(synthetic_study):
    [study] = scan_path(synthetic_study).studies
    ref = study.view("LMLO").recombined
    loaded = decode(ref, with_pyramid=False)
    assert np.array_equal(loaded.window.image.pixels, load_image(ref).pixels)
    assert not loaded.pyramid_built
    assert loaded.thumbnail.dtype == np.uint8 and max(loaded.thumbnail.shape) <= 256
    assert loaded.thumbnail.max() > loaded.thumbnail.min()


def test_the_first_view_comes_with_its_pyramid_and_the_others_get_theirs_once_all_are_in(qtbot, loader,
                                                                                       synthetic_study):
    built_on_arrival = {}
    loaded_images = []

    def on_loaded(loaded):
        built_on_arrival[loaded.ref] = loaded.pyramid_built
        loaded_images.append(loaded)

    loader.imageLoaded.connect(on_loaded)
    scans = []
    loader.scanned.connect(scans.append)
    with qtbot.waitSignal(loader.idle, timeout=TIMEOUT_MS):
        loader.open_paths([synthetic_study])
    [study] = scans[0].studies
    first = set(study.views[0].images())
    assert {ref for ref, built in built_on_arrival.items() if built} == first
    assert len(built_on_arrival) == 8
    qtbot.waitUntil(lambda: all(loaded.pyramid_built for loaded in loaded_images), timeout=TIMEOUT_MS)
    later = next(loaded for loaded in loaded_images if loaded.ref not in first)
    expected = build_pyramid(later.window.image.pixels)
    assert len(later.pyramid) == len(expected)
    assert all(np.array_equal(level, wanted) for level, wanted in zip(later.pyramid, expected))


def test_a_selected_view_jumps_the_queue(qtbot, loader, synthetic_study, tmp_path):
    [study] = scan_path(synthetic_study).studies
    with qtbot.waitSignal(loader.idle, timeout=TIMEOUT_MS):
        with _decoding_held(study, "RCC", tmp_path) as (held_study, _rcc, _release):
            loader.load_study(held_study)  # RCC's two decodes start at once; the rest wait in hanging order
            assert loader.queued() == [ref for name in ("LCC", "RMLO", "LMLO") for ref in study.view(name).images()]
            loader.prioritize(study.view("LMLO"))
            assert loader.queued()[:2] == study.view("LMLO").images()
            assert loader.queued()[2:] == study.view("LCC").images() + study.view("RMLO").images()


def test_the_view_on_screen_is_reported_once_both_its_images_are_done(qtbot, loader, synthetic_study, tmp_path):
    [study] = scan_path(synthetic_study).studies
    events = _record(loader)
    with _decoding_held(study, "RCC", tmp_path) as (held_study, rcc, release):
        loader.load_study(held_study, rcc)
        release(rcc.low_energy)  # its decode ends at once (the pipe is empty), while the recombined one waits
        qtbot.wait(300)
        assert not events["failed"] and not events["loaded"]  # held for the recombined image
        with qtbot.waitSignal(loader.idle, timeout=TIMEOUT_MS):
            release(rcc.recombined)
    assert [ref for ref, _message in events["failed"]] == [rcc.low_energy, rcc.recombined]
    assert len(events["loaded"]) == 6


def test_a_compressed_partner_is_not_waited_for(qtbot, loader, synthetic_study, tmp_path):
    [study] = scan_path(synthetic_study).studies
    events = _record(loader)
    with _decoding_held(study, "RCC", tmp_path, compressed=True) as (held_study, rcc, release):
        loader.load_study(held_study, rcc)
        with qtbot.waitSignal(loader.imageFailed, timeout=TIMEOUT_MS):
            release(rcc.recombined)  # the recombined image of a JPEG 2000 study shows before the slower LE
        assert not events["loaded"]
        with qtbot.waitSignal(loader.idle, timeout=TIMEOUT_MS):
            release(rcc.low_energy)
    assert [ref for ref, _message in events["failed"]] == [rcc.recombined, rcc.low_energy]


def test_images_already_shown_are_not_decoded_again(qtbot, loader, synthetic_study, tmp_path):
    [study] = scan_path(synthetic_study).studies
    events = _record(loader)
    done = set(study.view("RCC").images())
    with qtbot.waitSignal(loader.idle, timeout=TIMEOUT_MS):
        with _decoding_held(study, "LCC", tmp_path) as (held_study, lcc, _release):
            loader.load_study(held_study, lcc, done=done)
            assert loader.queued() == study.view("RMLO").images() + study.view("LMLO").images()  # LCC's started
    assert {ref for ref, _message in events["failed"]} == set(lcc.images())  # the pipes ended empty
    assert len(events["loaded"]) == 4 and not done & {loaded.ref for loaded in events["loaded"]}


def test_a_missing_path_fails_with_its_name(qtbot, loader, tmp_path):
    with qtbot.waitSignal(loader.openFailed, timeout=TIMEOUT_MS) as blocker:
        loader.open_paths([tmp_path / "absent"])
    assert blocker.args[0] == f"Cannot open: no such file or directory: {tmp_path / 'absent'}"


def test_a_folder_of_other_files_fails_with_the_reasons(qtbot, loader, tmp_path):
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "b.txt").write_text("y")
    with qtbot.waitSignal(loader.openFailed, timeout=TIMEOUT_MS) as blocker:
        loader.open_paths([tmp_path])
    assert blocker.args[0] == f"No CEM mammograms found in {tmp_path} (2 files skipped: not a DICOM file)"


def test_a_corrupt_image_fails_alone(qtbot, loader, synthetic_study, tmp_path):
    study_dir = Path(shutil.copytree(synthetic_study, tmp_path / "study"))
    [study] = scan_path(study_dir).studies
    broken = study.view("RMLO").low_energy.path
    dataset = pydicom.dcmread(broken)
    dataset.Columns += 8
    dataset.save_as(broken)
    events = _record(loader)
    with qtbot.waitSignal(loader.idle, timeout=TIMEOUT_MS):
        loader.open_paths([study_dir])
    [(ref, message)] = events["failed"]
    assert ref.path == broken and str(broken) in message
    assert len(events["loaded"]) == 7


def test_a_later_open_overtakes_an_earlier_one(qtbot, loader, synthetic_study, tmp_path):
    [study] = scan_path(synthetic_study).studies
    lcc_only = tmp_path / "lcc"
    lcc_only.mkdir()
    for ref in study.view("LCC").images():
        shutil.copy(ref.path, lcc_only / ref.path.name)
    events = _record(loader)
    loader.open_paths([synthetic_study])
    with qtbot.waitSignal(loader.idle, timeout=TIMEOUT_MS):
        loader.open_paths([lcc_only])
    [scan] = events["scanned"]
    assert scan.root == lcc_only
    assert {loaded.ref.path.parent for loaded in events["loaded"]} == {lcc_only}


def test_several_dropped_files_make_one_study(qtbot, loader, synthetic_study):
    [study] = scan_path(synthetic_study).studies
    events = _record(loader)
    refs = [study.view("RCC").low_energy, study.view("RCC").recombined, study.view("LMLO").recombined]
    with qtbot.waitSignal(loader.idle, timeout=TIMEOUT_MS):
        loader.open_paths([ref.path for ref in refs])
    [scan] = events["scanned"]
    [opened] = scan.studies
    assert [view.name for view in opened.views] == ["RCC", "LMLO"]
    assert opened.view("RCC").low_energy and opened.view("RCC").recombined
    assert any("LMLO" in note for note in scan.notes)


def test_the_demo_is_located_on_the_worker(qtbot, loader, synthetic_study):
    """open_with runs the locating step off the UI thread (the demo is written there on first use)."""
    events = _record(loader)
    with qtbot.waitSignal(loader.idle, timeout=TIMEOUT_MS):
        loader.open_with(lambda: [synthetic_study])
    assert len(events["loaded"]) == 8


def test_uncompressed_images_of_other_views_start_while_the_first_view_decodes(qtbot, loader, synthetic_study):
    [study] = scan_path(synthetic_study).studies
    queued_when_loaded = []
    loader.imageLoaded.connect(lambda loaded: queued_when_loaded.append(len(loader.queued())))
    with qtbot.waitSignal(loader.idle, timeout=TIMEOUT_MS):
        loader.load_study(study)
    # A worker starts its next image before the window hears of the one it just decoded.
    assert queued_when_loaded[0] <= 5 and queued_when_loaded[-3:] == [0, 0, 0]


@pytest.mark.parametrize("compressed", [True, False])
def test_a_compressed_image_on_screen_decodes_alone(qtbot, loader, synthetic_study, tmp_path, compressed):
    """While one of the first view's compressed images decodes, no other view's image starts: its decoder has the
    cores to itself. Uncompressed images do not wait."""
    [study] = scan_path(synthetic_study).studies
    queued_when_failed = []
    loader.imageFailed.connect(lambda ref, message: queued_when_failed.append(len(loader.queued())))
    with qtbot.waitSignal(loader.idle, timeout=TIMEOUT_MS):
        with _decoding_held(study, "RCC", tmp_path, compressed) as (held_study, rcc, release):
            loader.load_study(held_study)
            if compressed:
                with qtbot.waitSignal(loader.imageFailed, timeout=TIMEOUT_MS):
                    release(rcc.recombined)
                assert queued_when_failed == [6]  # all six other images wait
            else:
                # The worker takes the next image (its report waits for the low-energy image, still held).
                release(rcc.recombined)
                qtbot.waitUntil(lambda: len(loader.queued()) < 6, timeout=TIMEOUT_MS)
                assert not queued_when_failed
