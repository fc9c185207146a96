"""A view's images on their way from the viewer to the AI process, through shared memory.

The viewer copies the images into a shared block (numpy copies without holding the GIL), the AI process copies
them out into memory of its own, and the block serves the next job. A block made afresh for every job faulted all
its pages in while a study loaded: 7159 page faults and 15-20 ms of CPU for a 3062 x 2394 view pair, on a decode
core's time.
"""

from __future__ import annotations

import atexit
import threading
from dataclasses import dataclass
from multiprocessing.shared_memory import SharedMemory

import numpy as np

# Blocks kept between jobs: one per window analysing at the same moment is plenty.
KEPT_BLOCKS = 2


@dataclass(frozen=True)
class SharedPixels:
    """Images one after the other in a shared memory block: (shape, dtype, offset) each, None for a missing one."""

    name: str
    layouts: tuple[tuple[tuple[int, ...], str, int] | None, ...]


class _KeptBlocks:
    def __init__(self) -> None:
        self._lock = threading.Lock()  # analysers of several windows share from their worker threads
        self._free: list[SharedMemory] = []
        atexit.register(self._release)

    def take(self, size: int) -> SharedMemory:
        with self._lock:
            fitting = [block for block in self._free if block.size >= size]
            if fitting:
                block = min(fitting, key=lambda kept: kept.size)
                self._free.remove(block)
                return block
        return SharedMemory(create=True, size=size)

    def give_back(self, block: SharedMemory) -> None:
        with self._lock:
            self._free.append(block)
            self._free.sort(key=lambda kept: kept.size, reverse=True)
            dropped, self._free = self._free[KEPT_BLOCKS:], self._free[:KEPT_BLOCKS]
        for block in dropped:
            _remove(block)

    def _release(self) -> None:
        with self._lock:
            blocks, self._free = self._free, []
        for block in blocks:
            _remove(block)


def _remove(block: SharedMemory) -> None:
    block.close()
    block.unlink()


_kept = _KeptBlocks()


def share(images: tuple[np.ndarray | None, ...]) -> tuple[SharedMemory, SharedPixels]:
    """In the viewer: `images` copied into a shared block, which goes back with `give_back` once the AI process
    has taken them."""
    block = _kept.take(max(1, sum(image.nbytes for image in images if image is not None)))
    layouts, offset = [], 0
    for image in images:
        if image is None:
            layouts.append(None)
            continue
        np.copyto(np.ndarray(image.shape, image.dtype, block.buf, offset), image)
        layouts.append((image.shape, image.dtype.str, offset))
        offset += image.nbytes
    return block, SharedPixels(block.name, tuple(layouts))


def give_back(block: SharedMemory) -> None:
    """In the viewer, once the job that `share` made `block` for is over."""
    _kept.give_back(block)


def unshared(pixels: SharedPixels) -> list[np.ndarray | None]:
    """In the AI process: its own copies of the images, so the block is let go at once."""
    block = SharedMemory(pixels.name)
    try:
        return [None if layout is None else np.ndarray(layout[0], layout[1], block.buf, layout[2]).copy()
                for layout in pixels.layouts]
    finally:
        block.close()
