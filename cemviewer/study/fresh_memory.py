"""How the memory for decoded images is first touched.

numpy asks the kernel to back every array of 4 MiB or more with transparent huge pages (madvise). Where the kernel
then compacts memory to find a free 2 MiB page on the first touch (defrag "madvise", the usual setting), fresh
memory costs about three times as much: a new 3062 x 2394 16-bit image (14.6 MB) took 15-17 ms of CPU to fill on the
development VM, against 5.3 ms in ordinary 4 KiB pages and 1 ms in memory already touched. A study keeps its eight
images and their display pyramids (156 MB), and the first opens of a process find little memory to reuse, so this
was most of their extra cost. Drawing and window/level read these arrays a level or a region at a time, so huge
pages buy them nothing measurable.

Memory freed by one study should serve the next. glibc hands large blocks back to the system when they are freed
(blocks over a threshold that it adapts as it goes, and free space at the top of a heap past another), so each
open faulted in about 90 MB afresh even when the study before had just freed as much; with the thresholds fixed
(`keep_freed_memory`), opens after the first two faulted in 28 MB (the window's own) and the decode threads' CPU per
open fell by about a fifth. The cost: a process keeps up to TRIM_THRESHOLD of freed memory for later.
"""

from __future__ import annotations

import ctypes
import importlib

# Where numpy keeps its switch (private, but there since numpy 1.20): numpy 2, then numpy 1.
_SWITCH_MODULES = ("numpy._core.multiarray", "numpy.core.multiarray")
# glibc's mallopt parameters (malloc.h) and the values kept: blocks up to MMAP_THRESHOLD (glibc's maximum; a whole
# 3062 x 2394 image in float32 is 29 MB) come from the heap and go back to it when freed, and free space at the top
# of the heap is handed back to the system only past TRIM_THRESHOLD (a study and a half).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20
TRIM_THRESHOLD = 256 * 2**20


def prefer_small_pages() -> None:
    """Stop numpy advising huge pages for the arrays it allocates from now on (process-wide; idempotent). A numpy
    without the switch is left as it is."""
    switch = numpy_huge_page_switch()
    if switch is not None:
        switch(False)


def numpy_huge_page_switch():
    """numpy's `_set_madvise_hugepage(enabled) -> previous`, or None."""
    for name in _SWITCH_MODULES:
        try:
            return importlib.import_module(name)._set_madvise_hugepage
        except (ImportError, AttributeError):
            continue
    return None


def keep_freed_memory() -> bool:
    """Fix glibc's thresholds so freed image memory is reused rather than returned and faulted in again
    (process-wide; idempotent). False where the C library has no mallopt (not glibc)."""
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
