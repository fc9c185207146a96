"""The viewer's helper processes leave the termination signals to the viewer and leave with it; Python's resource
tracker, started by start_resource_tracker, survives a hang-up. Each runs in a viewer stand-in process of its own,
started here, whose children are looked up in /proc."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cemviewer.services.helper_processes import TERMINATION_SIGNALS

WAIT_S = 60  # a hang guard, not a performance figure

HELPER_IN_A_VIEWER = """
import multiprocessing, time
from concurrent.futures import ProcessPoolExecutor
from cemviewer.services.helper_processes import follow_the_viewer
pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=follow_the_viewer)
pool.submit(int).result()
print("ready", flush=True)
time.sleep(600)
"""

TRACKER_IN_A_VIEWER = """
import time
from cemviewer.services.helper_processes import start_resource_tracker
start_resource_tracker()
print("ready", flush=True)
time.sleep(600)
"""


def _children(pid: int) -> set[int]:
    return {int(child) for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()}


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie may wait for a reaper that a container lacks)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def viewer_stand_in():
    started: list[subprocess.Popen] = []

    def start(script: str) -> tuple[subprocess.Popen, set[int]]:
        process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        started.append(process)
        assert process.stdout.readline().strip() == "ready"
        return process, _children(process.pid)

    yield start
    for process in started:
        process.kill()
        process.wait()


def _wait_until(condition) -> bool:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_helper_ignores_the_termination_signals_and_leaves_with_the_viewer(viewer_stand_in):
    viewer, children = viewer_stand_in(HELPER_IN_A_VIEWER)
    [helper] = [pid for pid in children if "multiprocessing" in Path(f"/proc/{pid}/cmdline").read_text()
                and "resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_text()]
    for number in TERMINATION_SIGNALS:
        os.kill(helper, number)
    time.sleep(0.5)  # a signal the helper did not ignore would have ended it by now
    assert _running(helper)

    viewer.kill()  # a viewer killed or crashed: nothing shuts the pool down
    viewer.wait()
    assert _wait_until(lambda: not _running(helper))


def test_the_resource_tracker_survives_a_hang_up(viewer_stand_in):
    _viewer, children = viewer_stand_in(TRACKER_IN_A_VIEWER)
    [tracker] = [pid for pid in children if "resource_tracker" in Path(f"/proc/{pid}/cmdline").read_text()]
    os.kill(tracker, signal.SIGHUP)
    time.sleep(0.5)
    assert _running(tracker)
