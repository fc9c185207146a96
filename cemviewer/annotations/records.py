"""A study's annotations as plain values: what exports, imports, autosave and reports pass around.

A LesionRecord is one lesion of one view, as the annotator left it. Its box and mask are in the view's LesionSet
pixels, i.e. the display (hanging) orientation of cemviewer.study.orientation; the file formats that lie on a
file's stored pixel grid (DICOM SEG, PNG masks) flip them back with the image's flips when they write.

Pending AI proposals are not ground truth: `records_of` leaves them out unless asked (`with_proposals=True`, for a
store that must bring the screen back as it was). Rejected proposals are gone from the set and so from the records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from cemviewer.editing import mask_ops
from cemviewer.editing.lesion_set import LABELS, MANUAL, PROPOSAL, UNKNOWN, EditableLesion, LesionSet
from cemviewer.editing.mask_ops import Box, box_slices


@dataclass(frozen=True, eq=False)
class LesionRecord:
    view: str  # View.name, e.g. "RCC"
    number: int  # 1, 2, ... in the view's drawing order (the last drawn on top)
    box: Box  # (x0, y0, x1, y1), x1/y1 exclusive, tight around the mask, in the view's display pixels
    mask: np.ndarray  # bool, the box's size (rows y1 - y0, columns x1 - x0)
    label: str = UNKNOWN  # one of cemviewer.editing.lesion_set.LABELS
    note: str = ""
    source: str = MANUAL  # PROPOSAL, ACCEPTED or MANUAL
    score: float | None = None  # the AI's, for proposals and accepted lesions
    malignancy: float | None = None

    def __post_init__(self) -> None:
        x0, y0, x1, y1 = self.box
        if self.mask.shape != (y1 - y0, x1 - x0):
            raise ValueError(f"{self.view} lesion {self.number}: a {self.mask.shape} mask for the box {self.box}")

    @property
    def pixel_count(self) -> int:
        return int(np.count_nonzero(self.mask))

    def full_mask(self, shape: tuple[int, int]) -> np.ndarray:
        """The mask on a whole image of `shape` (rows, columns)."""
        full = np.zeros(shape, bool)
        full[box_slices(self.box)] = self.mask
        return full


def record_of(view_name: str, number: int, mask: np.ndarray, **attributes) -> LesionRecord | None:
    """A record of a full-image bool mask, cropped to its set pixels; None when the mask is empty."""
    box = mask_ops.bounding_box(np.asarray(mask, bool))
    if box is None:
        return None
    return LesionRecord(view_name, number, box, np.array(mask[box_slices(box)], bool), **attributes)


def records_of(view_name: str, lesions: LesionSet, with_proposals: bool = False) -> list[LesionRecord]:
    """The lesions of one view that have pixels, numbered in drawing order; pending AI proposals only when asked."""
    records = []
    for lesion in lesions.lesions.values():
        if lesion.extent is None or (lesion.source == PROPOSAL and not with_proposals):
            continue
        box = mask_ops.bounding_box(lesion.mask, lesion.extent)
        if box is None:
            continue
        records.append(LesionRecord(
            view_name, len(records) + 1, box, lesion.mask[box_slices(box)].copy(), label=lesion.label,
            note=lesion.note, source=lesion.source, score=lesion.score, malignancy=lesion.malignancy))
    return records


def study_records(sets: Mapping[str, LesionSet], with_proposals: bool = False) -> list[LesionRecord]:
    """records_of for every view, e.g. of EditSession.sets."""
    return [record for view_name, lesions in sets.items()
            for record in records_of(view_name, lesions, with_proposals)]


def restore(lesions: LesionSet, records: Iterable[LesionRecord]) -> None:
    """Make `records` the lesions of `lesions` (replacing what it held), in their order. Not an edit: the undo
    history starts clean. Raises ValueError when a record does not fit the set's image."""
    rows, columns = lesions.shape
    loaded = []
    for record in records:
        x0, y0, x1, y1 = record.box
        if not (0 <= x0 < x1 <= columns and 0 <= y0 < y1 <= rows):
            raise ValueError(f"{record.view} lesion {record.number} at {record.box} lies outside the "
                             f"{columns} x {rows} image")
        label = record.label if record.label in LABELS else UNKNOWN
        loaded.append(EditableLesion(0, record.full_mask(lesions.shape), record.source, label, record.note,
                                     record.score, record.malignancy, extent=record.box))
    lesions.load_lesions(loaded)


def by_view(records: Iterable[LesionRecord]) -> dict[str, list[LesionRecord]]:
    """Records grouped by view name, each group in its order."""
    groups: dict[str, list[LesionRecord]] = {}
    for record in records:
        groups.setdefault(record.view, []).append(record)
    return groups
