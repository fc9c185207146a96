"""Freed image memory serves the next image."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_REUSE_PROBE = """
import resource, sys
import numpy as np
from cemviewer.study.fresh_memory import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
image = np.ones((3062, 2394), np.uint16)  # a study's image, freed when the next study opens
del image
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
image = np.ones((3062, 2394), np.uint16)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults_for_the_second_image(mode: str) -> int:
    # Without numpy's huge-page advice, faults count 4 KiB pages.
    run = subprocess.run([sys.executable, "-c", _REUSE_PROBE, mode], capture_output=True, text=True, check=True,
                         env={**os.environ, "NUMPY_MADVISE_HUGEPAGE": "0"})
    return int(run.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_freed_image_memory_serves_the_next_image():
    pages = 3062 * 2394 * 2 // 4096
    assert _faults_for_the_second_image("default") > pages // 2  # glibc returned the first image's memory
    assert _faults_for_the_second_image("keep") < pages // 20
