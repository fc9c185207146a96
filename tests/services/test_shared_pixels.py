"""A view's pixels travel to the AI process through shared memory blocks kept from job to job."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cemviewer.services import shared_pixels
from cemviewer.services.shared_pixels import KEPT_BLOCKS, give_back, share, unshared


def _exists(name: str) -> bool:
    return (Path("/dev/shm") / name.lstrip("/")).exists()


def test_images_arrive_as_they_were_sent_a_missing_one_as_none():
    le = np.arange(12, dtype=np.uint16).reshape(3, 4)
    rec = np.linspace(0, 1, 20, dtype=np.float32).reshape(4, 5)
    block, pixels = share((le, None, rec))
    try:
        got = unshared(pixels)
    finally:
        give_back(block)
    assert got[1] is None
    for sent, arrived in ((le, got[0]), (rec, got[2])):
        assert arrived.dtype == sent.dtype and np.array_equal(arrived, sent)


def test_a_block_given_back_serves_the_next_job_and_only_a_few_are_kept():
    image = np.ones((64, 64), np.uint16)
    block, _pixels = share((image, image))
    name = block.name
    give_back(block)
    again, _pixels = share((image, None))  # smaller: the kept block fits
    assert again.name == name
    blocks = [again] + [share((image, image))[0] for _ in range(KEPT_BLOCKS)]
    for block in blocks:
        give_back(block)
    names = [block.name for block in blocks]
    assert sum(_exists(name) for name in names) == KEPT_BLOCKS  # the others were removed from the system
    shared_pixels._kept._release()  # as at exit
    assert not any(_exists(name) for name in names)
