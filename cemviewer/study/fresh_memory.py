"""How memory for decoded images is kept from study to study.

A study keeps its eight images and their display pyramids (156 MB at 3062 x 2394), and memory touched for the first
time costs far more than memory reused: filling a new 14.6 MB image took 3-17 ms of CPU on the development VM
(5.3 ms in 4 KiB pages; 3 ms in huge pages when the kernel has them free, 15-17 ms when it must compact memory to
find them), against 1 ms in memory already touched. glibc hands large blocks back to the system when they are
freed (blocks over a threshold that it adapts as it goes, and free space at the top of a heap past another), so
each open faulted in 50-90 MB afresh even when the study before had just freed as much; with the thresholds fixed
(`keep_freed_memory`), opens after the first few fault in about 28 MB (the window's own). The cost: a process
keeps up to TRIM_THRESHOLD of freed memory for later.
"""

from __future__ import annotations

import ctypes

# glibc's mallopt parameters (malloc.h) and the values kept: blocks up to MMAP_THRESHOLD (glibc's maximum; a whole
# 3062 x 2394 image in float32 is 29 MB) come from the heap and go back to it when freed, and free space at the top
# of the heap is handed back to the system only past TRIM_THRESHOLD (a study and a half).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20
TRIM_THRESHOLD = 256 * 2**20


def keep_freed_memory() -> bool:
    """Fix glibc's thresholds so freed image memory is reused rather than returned and faulted in again
    (process-wide; idempotent). False where the C library has no mallopt (not glibc)."""
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
