"""How memory for decoded images is kept from study to study.

A study keeps its eight images and their display pyramids (156 MB at 3062 x 2394), and memory touched for the first
time costs far more than memory reused: filling a new 14.6 MB image took 3-17 ms of CPU on the development VM
(5.3 ms in 4 KiB pages; 3 ms in huge pages when the kernel has them free, 15-17 ms when it must compact memory to
find them), against 1 ms in memory already touched. glibc hands large blocks back to the system when they are
freed (blocks over a threshold that it adapts as it goes, and free space at the top of a heap past another), so
each open faulted in 50-90 MB afresh even when the study before had just freed as much; with the thresholds fixed
(`keep_freed_memory`), opens after the first few fault in about 28 MB (the window's own). The cost: a process
keeps up to TRIM_THRESHOLD of freed memory for later.

That holds only for glibc's main heap. The decode threads allocate from heaps of their own (glibc's arenas): what
one thread's image freed serves only images that thread decodes later, and glibc unmaps such a heap whenever it
falls wholly free, whatever the thresholds. An image then faulted in anew (500-3600 faults, 30-40 ms of CPU,
mostly in the kernel, in one or two decodes of most opens). Decoded pixels therefore come from `image_array`:
memory this module keeps itself, whichever thread frees it, and hands from a freed image to the next.
"""

from __future__ import annotations

import ctypes
import mmap
import threading
import weakref

import numpy as np

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


class RecycledMemory:
    """Anonymous mappings handed out as arrays and taken back when the last array using one is freed."""

    def __init__(self, keep_bytes: int) -> None:
        self._keep_bytes = keep_bytes
        self._lock = threading.Lock()  # arrays are made on decode threads and freed on any thread
        self._free: list[mmap.mmap] = []

    def kept_bytes(self) -> int:
        with self._lock:
            return sum(len(block) for block in self._free)

    def array(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        dtype = np.dtype(dtype)
        nbytes = int(np.prod(shape)) * dtype.itemsize
        with self._lock:
            fitting = [block for block in self._free if len(block) >= nbytes]
            block = min(fitting, key=len) if fitting else None
            if block is not None:
                self._free.remove(block)
        if block is None:
            block = mmap.mmap(-1, max(nbytes, 1))
        # Every view of the array has `owner` as its base (numpy stops collapsing bases at the mapping), so the
        # mapping comes back when no view is left.
        owner = np.frombuffer(block, np.uint8, nbytes)
        weakref.finalize(owner, self._take_back, block).atexit = False
        return owner.view(dtype).reshape(shape)

    def _take_back(self, block: mmap.mmap) -> None:
        with self._lock:
            if sum(len(kept) for kept in self._free) + len(block) <= self._keep_bytes:
                self._free.append(block)  # else dropped, and unmapped with its last reference


_recycled = RecycledMemory(TRIM_THRESHOLD)


def image_array(shape: tuple[int, ...], dtype) -> np.ndarray:
    """An uninitialised, writable, C-contiguous array, in memory freed by earlier images where there is some (up to
    TRIM_THRESHOLD of it is kept; any thread)."""
    return _recycled.array(shape, dtype)

