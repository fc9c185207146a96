"""Freed image memory serves the next image."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from cemviewer.study.fresh_memory import RecycledMemory

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


_RECYCLE_PROBE = """
import resource, threading
from cemviewer.study.fresh_memory import image_array
image = image_array((3062, 2394), "uint16")
image.fill(1)  # a study's image, decoded on one thread
del image
faults = []
def decode():  # the next study's image, decoded on another thread
    before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
    image_array((3062, 2394), "uint16").fill(2)
    faults.append(resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - before)
thread = threading.Thread(target=decode)
thread.start()
thread.join()
print(faults[0])
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RUSAGE_THREAD is Linux's")
def test_an_image_freed_on_one_thread_serves_the_next_image_on_another():
    run = subprocess.run([sys.executable, "-c", _RECYCLE_PROBE], capture_output=True, text=True, check=True)
    assert int(run.stdout) < 3062 * 2394 * 2 // 4096 // 20


def test_recycled_memory_comes_back_once_no_view_is_left_and_only_up_to_its_limit():
    block = 1000 * 4 * 8
    memory = RecycledMemory(keep_bytes=2 * block)
    image = memory.array((1000, 4), np.float64)
    assert image.flags.writeable and image.flags.c_contiguous and image.shape == (1000, 4)
    address = image.ctypes.data
    view = image[::2, 1:]
    del image
    assert memory.kept_bytes() == 0  # the view still uses the memory
    other = memory.array((1000, 4), np.float64)
    assert other.ctypes.data != address
    del view
    assert memory.kept_bytes() == block
    assert memory.array((10, 10), np.uint8).ctypes.data == address  # freed at once: the memory is back
    del other
    assert memory.kept_bytes() == 2 * block
    images = [memory.array((1000, 4), np.float64) for _ in range(3)]
    del images
    assert memory.kept_bytes() == 2 * block  # the third block was let go
