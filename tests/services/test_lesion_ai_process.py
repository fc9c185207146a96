"""The lesion AI's process: the models run there, with the viewer's process never importing torch; it runs nicer
than the viewer, hears a cancel, and leaves when the viewer is killed."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from test_decode_processes import _running

from cemviewer.ai.findings import AnalysisCancelled
from cemviewer.ai.model_files import ModelLoadError, default_models_dir
from cemviewer.ai.pipeline import LesionAI
from cemviewer.services import lesion_ai_process
from cemviewer.services.lesion_ai_process import NICENESS, ModelJob, worker_threads
from cemviewer.study.loader import scan_path
from cemviewer.study.pixels import load_image

# A viewer's process in miniature: it analyses the RCC view through the AI process, says what it saw, and waits.
VIEWER = """
import json, os, sys, threading, time
from pathlib import Path
from cemviewer.ai.model_files import default_models_dir
from cemviewer.services import lesion_ai_process
from cemviewer.study.loader import scan_path
from cemviewer.study.pixels import load_image

[study] = scan_path(Path(sys.argv[1])).studies
view = study.view("RCC")
le, rec = load_image(view.low_energy), load_image(view.recombined)
job = lesion_ai_process.ModelJob(study.study_uid, ("le", "rec"), le.pixels, rec.pixels, (False, False),
                                 default_models_dir(), "cpu", Path(sys.argv[2]))
result = lesion_ai_process.analyse(job, threading.Event())
worker = lesion_ai_process.worker_pid()
print(json.dumps({"boxes": [list(marks.box) for marks in result.marks.lesions], "threads": result.torch_threads,
                  "worker": worker, "worker_niceness": os.getpriority(os.PRIO_PROCESS, worker),
                  "niceness": os.getpriority(os.PRIO_PROCESS, 0), "torch": "torch" in sys.modules}), flush=True)
time.sleep(600)
"""


@pytest.fixture(scope="module")
def rcc(synthetic_study):
    [study] = scan_path(synthetic_study).studies
    view = study.view("RCC")
    return study, load_image(view.low_energy).pixels, load_image(view.recombined).pixels


def test_the_models_run_in_a_process_of_their_own_which_leaves_with_the_viewer(synthetic_study, rcc, tmp_path):
    viewer = subprocess.Popen([sys.executable, "-c", VIEWER, str(synthetic_study), str(tmp_path / "findings")],
                              stdout=subprocess.PIPE, text=True)
    try:
        seen = json.loads(viewer.stdout.readline())
    finally:
        viewer.kill()
        viewer.wait()
    _study, le, rec = rcc
    assert seen["boxes"] == [list(lesion.box) for lesion in LesionAI.load(device="cpu").analyze(le, rec).lesions]
    assert not seen["torch"] and seen["worker"] != viewer.pid
    assert seen["threads"] == worker_threads() and seen["worker_niceness"] == min(19, seen["niceness"] + NICENESS)
    assert len(list((tmp_path / "findings").glob("*.npz"))) == 1  # the process saved the findings for next time
    deadline = time.monotonic() + 60
    while _running(seen["worker"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(seen["worker"])


def test_a_job_whose_stop_is_set_is_cancelled_in_the_process(rcc, tmp_path):
    study, le, rec = rcc
    job = ModelJob(study.study_uid, ("le", "rec"), le, rec, (False, False), default_models_dir(),
                   None, tmp_path)
    stop = threading.Event()
    stop.set()
    with pytest.raises(AnalysisCancelled, match="cancelled before"):
        lesion_ai_process.analyse(job, stop)
    assert not list(tmp_path.iterdir())
    assert lesion_ai_process.analyse(job, threading.Event()).key  # the next job is not cancelled



def test_weights_that_cannot_load_fail_the_job_before_any_pixels_are_shared(rcc, tmp_path):
    study, le, rec = rcc
    (tmp_path / "models").mkdir()
    job = ModelJob(study.study_uid, ("le", "rec"), le, rec, (False, False), tmp_path / "models", None,
                   tmp_path / "findings")
    blocks_before = set(Path("/dev/shm").iterdir())
    with pytest.raises(ModelLoadError, match="segmenter weights not found"):
        lesion_ai_process.analyse(job, threading.Event())
    assert set(Path("/dev/shm").iterdir()) == blocks_before
