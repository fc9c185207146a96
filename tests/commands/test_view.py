"""`cemviewer` as a user starts it, from the installed package: `--smoke-test`, the check the packaged bundle runs
(a fresh user's demo study opened offscreen, analysed by the real models and assessed with radiomics; exit status
0), and a viewer on a study ended by SIGTERM, SIGHUP or SIGINT to its process group, as a logout, a shutdown or
Ctrl+C in its terminal ends it: it closes as from its close button, with exit status 0, no traceback from it or
its helper processes, and nothing left behind for Python's resource tracker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cemviewer.services.helper_processes import TERMINATION_SIGNALS

SMOKE_TIMEOUT_S = 900
PROCESS_TIMEOUT_S = 600  # a hang guard for the viewer process, not a performance figure
CLI = [sys.executable, "-c", "from cemviewer.cli import main; raise SystemExit(main())"]


def _fresh_user(tmp_path: Path) -> dict[str, str]:
    """An environment with the user's folders in tmp_path and none of cemviewer's overrides."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CEMVIEWER_")}
    env.update(QT_QPA_PLATFORM="offscreen", XDG_CACHE_HOME=str(tmp_path / "cache"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    return env


def test_smoke_test_opens_the_demo_study_analyses_it_and_exits_0(tmp_path):
    result = subprocess.run([*CLI, "--smoke-test"], check=False, env=_fresh_user(tmp_path), cwd=tmp_path,
                            capture_output=True, text=True, timeout=SMOKE_TIMEOUT_S)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "smoke test passed: 8 images, 4 views analysed" in result.stdout
    assert "radiomics features" in result.stdout
    assert not (tmp_path / "data").exists()  # the autosave wrote into the check's own scratch folder


def _has_analysed_a_view(tmp_path: Path, study: Path) -> bool:
    """The study is in File ▸ Recent (its scan succeeded) and the lesion AI has cached a view's findings."""
    recent = any(str(study) in path.read_text() for path in (tmp_path / "config").rglob("*.conf"))
    return recent and any((tmp_path / "cache").rglob("*.npz"))


@pytest.mark.parametrize("number", TERMINATION_SIGNALS, ids=lambda number: number.name)
def test_a_termination_signal_to_its_process_group_closes_the_viewer_cleanly(tmp_path, synthetic_study, number):
    viewer = subprocess.Popen([*CLI, str(synthetic_study)], env=_fresh_user(tmp_path), cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + PROCESS_TIMEOUT_S
        while not _has_analysed_a_view(tmp_path, synthetic_study):
            assert viewer.poll() is None and time.monotonic() < deadline, viewer.stderr.read()[-4000:]
            time.sleep(0.2)
        os.killpg(viewer.pid, number)  # as a logout or Ctrl+C does: the viewer and its helper processes at once
        _, stderr = viewer.communicate(timeout=PROCESS_TIMEOUT_S)
    finally:
        viewer.kill()
    assert viewer.returncode == 0, stderr[-4000:]
    for trouble in ("Traceback", "leaked", "died unexpectedly"):  # the last two: Python's resource tracker
        assert trouble not in stderr, stderr[-4000:]
