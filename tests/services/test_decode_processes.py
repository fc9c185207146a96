"""Compressed images decode in worker processes: same pixels as in this process, errors with their reason, and the
loader brings a whole JPEG 2000 study in."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from pydicom.uid import JPEG2000Lossless

from cemviewer.services import decode_processes
from cemviewer.services.study_loader import MAX_PARALLEL_DECODES, StudyLoader
from cemviewer.study.loader import scan_path
from cemviewer.study.pixels import ImageLoadError, load_image
from cemviewer.synth.study import write_study


@pytest.fixture(scope="module")
def j2k_study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("j2k")
    write_study(folder, seed=11, shape=(480, 400), pixel_spacing_mm=0.5, transfer_syntax=JPEG2000Lossless)
    return folder


def _refs(folder):
    return [ref for view in scan_path(folder).studies[0].views for ref in view.images()]


def test_the_loader_marks_compressed_images(j2k_study, synthetic_study):
    assert all(ref.compressed for ref in _refs(j2k_study))
    assert not any(ref.compressed for ref in _refs(synthetic_study))


def test_a_worker_process_decodes_the_same_image_as_this_process(j2k_study):
    ref = _refs(j2k_study)[0]
    image = decode_processes.load_compressed(ref, MAX_PARALLEL_DECODES)
    expected = load_image(ref)
    np.testing.assert_array_equal(image.pixels, expected.pixels)
    assert image.ref == ref and image.windows == expected.windows and image.spacing_mm == expected.spacing_mm
    workers = decode_processes._pool._processes  # the decode did not happen here: worker processes exist
    assert workers and os.getpid() not in workers


def test_a_damaged_compressed_image_fails_with_its_reason(j2k_study, tmp_path):
    ref = _refs(j2k_study)[0]
    damaged = tmp_path / "damaged.dcm"
    data = ref.path.read_bytes()
    damaged.write_bytes(data[: len(data) - 2000])
    with pytest.raises(ImageLoadError, match="damaged.dcm"):
        decode_processes.load_compressed(dataclasses.replace(ref, path=damaged), MAX_PARALLEL_DECODES)


def test_the_loader_brings_a_whole_jpeg2000_study_in(qtbot, j2k_study):
    loader = StudyLoader()
    loaded = []
    loader.imageLoaded.connect(loaded.append)
    with qtbot.waitSignal(loader.idle, timeout=120_000):
        loader.open_paths([j2k_study])
    loader.shutdown()
    assert len(loaded) == 8
    for item in loaded:
        np.testing.assert_array_equal(item.window.image.pixels, load_image(item.ref).pixels)


def test_worker_processes_decode_jpeg2000_on_every_core():
    decode_processes.start(MAX_PARALLEL_DECODES)
    threads = decode_processes._pool.submit(os.getenv, "OPJ_NUM_THREADS").result()
    assert threads == os.environ.get("OPJ_NUM_THREADS", str(os.cpu_count()))


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no nice values on this system")
def test_worker_processes_run_nicer_than_the_viewer():
    decode_processes.start(MAX_PARALLEL_DECODES)
    expected = min(os.getpriority(os.PRIO_PROCESS, 0) + decode_processes.WORKER_NICENESS, 19)
    pending = [decode_processes._pool.submit(os.getpriority, os.PRIO_PROCESS, 0) for _ in range(4)]
    assert {task.result() for task in pending} == {expected}



def test_worker_processes_leave_when_the_viewer_is_killed():
    viewer = subprocess.Popen(
        [sys.executable, "-c", "from cemviewer.services import decode_processes as d; d.start(2); "
                               "d._pool.submit(int).result(); print(flush=True); import time; time.sleep(600)"],
        stdout=subprocess.PIPE, text=True)
    viewer.stdout.readline()  # the pool is up
    workers = _children(viewer.pid)
    viewer.kill()
    viewer.wait()
    deadline = time.monotonic() + 60
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert workers and not any(_running(pid) for pid in workers)


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc; psutil is not a dependency)."""
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                children.append(int(entry))
    return children


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
