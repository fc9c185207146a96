"""numpy stops advising huge pages once the loader asks for small ones; freed image memory is reused."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cemviewer.study.fresh_memory import numpy_huge_page_switch, prefer_small_pages


@pytest.fixture
def numpy_switch():
    """numpy's huge-page switch, advising huge pages at the start and set back to what it was after the test."""
    switch = numpy_huge_page_switch()
    assert switch is not None, "the installed numpy has no huge-page switch"
    was = switch(True)
    yield switch
    switch(was)


def test_numpy_no_longer_advises_huge_pages(numpy_switch):
    prefer_small_pages()
    assert numpy_switch(False) is False


def test_asking_twice_changes_nothing(numpy_switch):
    prefer_small_pages()
    prefer_small_pages()
    assert numpy_switch(False) is False


_REUSE_PROBE = """
import resource, sys
import numpy as np
from cemviewer.study.fresh_memory import keep_freed_memory, prefer_small_pages
prefer_small_pages()  # count 4 KiB faults
if sys.argv[1] == "keep":
    assert keep_freed_memory()
image = np.ones((3062, 2394), np.uint16)  # a study's image, freed when the next study opens
del image
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
image = np.ones((3062, 2394), np.uint16)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults_for_the_second_image(mode: str) -> int:
    run = subprocess.run([sys.executable, "-c", _REUSE_PROBE, mode], capture_output=True, text=True, check=True)
    return int(run.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
def test_freed_image_memory_serves_the_next_image():
    pages = 3062 * 2394 * 2 // 4096
    assert _faults_for_the_second_image("default") > pages // 2  # glibc returned the first image's memory
    assert _faults_for_the_second_image("keep") < pages // 20
