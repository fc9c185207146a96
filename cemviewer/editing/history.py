"""Undo and redo for lesion editing, storing only what an edit changed.

A mask edit is kept as patches: the old and new contents of the tiles of the mask it changed, never whole masks
(a 3062 x 2394 mask is 7 MB, a brush stroke changes a few tiles of 4 KB). A stroke records each tile the first time
a dab touches it, so a stroke of any length is one undo step holding only the tiles under its path.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from cemviewer.editing.mask_ops import Box, box_slices

if TYPE_CHECKING:
    from cemviewer.editing.lesion_set import EditableLesion

# Undo depth: the issue asks for at least 50 steps.
DEFAULT_DEPTH = 100
TILE = 64  # pixels a side of a recorded tile: small enough that a dab's neighbourhood is a few of them


@dataclass(frozen=True)
class Patch:
    box: Box
    old: np.ndarray
    new: np.ndarray


class MaskRecorder:
    """Collects the patches of one edit of one lesion's mask: call touch(box) before writing inside box."""

    def __init__(self, mask: np.ndarray) -> None:
        self.mask = mask
        self._old: dict[tuple[int, int], np.ndarray] = {}

    def touch(self, box: Box) -> None:
        x0, y0, x1, y1 = box
        rows, columns = self.mask.shape
        for ty in range(y0 // TILE, (y1 - 1) // TILE + 1):
            for tx in range(x0 // TILE, (x1 - 1) // TILE + 1):
                if (ty, tx) not in self._old:
                    tile = (tx * TILE, ty * TILE, min((tx + 1) * TILE, columns), min((ty + 1) * TILE, rows))
                    self._old[ty, tx] = self.mask[box_slices(tile)].copy()

    def patches(self) -> list[Patch]:
        """The tiles whose contents differ now from when they were first touched."""
        patches = []
        rows, columns = self.mask.shape
        for (ty, tx), old in self._old.items():
            tile = (tx * TILE, ty * TILE, min((tx + 1) * TILE, columns), min((ty + 1) * TILE, rows))
            new = self.mask[box_slices(tile)]
            if not np.array_equal(old, new):
                patches.append(Patch(tile, old, new.copy()))
        return patches


# What one step did; the lesion set undoes a step's changes in reverse order.
@dataclass(frozen=True)
class MaskChange:
    lesion_id: int
    patches: list[Patch]


@dataclass(frozen=True)
class LesionPresence:
    """A lesion created (`added`) or deleted (not `added`): its attributes with its mask cut down to the crop of
    its extent (the lesion's own mask is left out), and where it stood in the list, so taking it out and putting
    it back restore it exactly."""

    lesion: EditableLesion
    crop: np.ndarray | None  # the mask within lesion.extent; None: empty mask
    index: int
    added: bool


@dataclass(frozen=True)
class AttributeChange:
    lesion_id: int
    name: str
    old: object
    new: object


Change = MaskChange | LesionPresence | AttributeChange


@dataclass
class Step:
    description: str
    changes: list[Change] = field(default_factory=list)


class History:
    def __init__(self, depth: int = DEFAULT_DEPTH) -> None:
        self._undo: deque[Step] = deque(maxlen=depth)
        self._redo: list[Step] = []

    @property
    def depth(self) -> int:
        return self._undo.maxlen

    def push(self, step: Step) -> None:
        if step.changes:
            self._undo.append(step)
            self._redo.clear()

    def take_undo(self) -> Step | None:
        """The step to undo, moved over to the redo side; None when there is none."""
        if not self._undo:
            return None
        step = self._undo.pop()
        self._redo.append(step)
        return step

    def take_redo(self) -> Step | None:
        if not self._redo:
            return None
        step = self._redo.pop()
        self._undo.append(step)
        return step

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def next_undo(self) -> str | None:
        return self._undo[-1].description if self._undo else None

    def next_redo(self) -> str | None:
        return self._redo[-1].description if self._redo else None
