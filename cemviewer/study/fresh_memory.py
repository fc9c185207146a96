"""How the memory for decoded images is first touched.

numpy asks the kernel to back every array of 4 MiB or more with transparent huge pages (madvise). Where the kernel
then compacts memory to find a free 2 MiB page on the first touch (defrag "madvise", the usual setting), fresh
memory costs about three times as much: a new 3062 x 2394 16-bit image (14.6 MB) took 15-17 ms of CPU to fill on the
development VM, against 5.3 ms in ordinary 4 KiB pages and 1 ms in memory already touched. A study keeps its eight
images and their display pyramids (156 MB), and the first opens of a process find little memory to reuse, so this
was most of their extra cost. Drawing and window/level read these arrays a level or a region at a time, so huge
pages buy them nothing measurable.
"""

from __future__ import annotations

import importlib

# Where numpy keeps its switch (private, but there since numpy 1.20): numpy 2, then numpy 1.
_SWITCH_MODULES = ("numpy._core.multiarray", "numpy.core.multiarray")


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
