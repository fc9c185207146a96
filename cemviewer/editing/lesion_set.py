"""The lesions of one view as an annotator edits them: AI proposals, accepted and hand-drawn lesions, each a
full-resolution bool mask with a label and a note, and every edit undoable.

The LE and recombined images of a view share one geometry, so one LesionSet serves both. Listeners (subscribe) hear
of every change as an Update: the viewer redraws the changed region from it, and a radiomics panel follows
`roi` updates, which come once an edit is complete (a stroke's release, not each dab).

Masks are allocated with np.zeros, whose untouched pages the operating system does not commit: a lesion's mask
costs memory only for the pages its rows fall in (measured: 20 small lesions on a 3062 x 2394 view, 41 MB rather
than 140 MB), so masks are never copied whole.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cemviewer.editing import mask_ops
from cemviewer.editing.history import (DEFAULT_DEPTH, AttributeChange, History, LesionPresence, MaskChange,
                                       MaskRecorder, Patch, Step)
from cemviewer.editing.mask_ops import Box, Point, box_slices

# Where a lesion came from.
PROPOSAL = "AI proposal"  # shown, not editable until accepted
ACCEPTED = "accepted"  # an AI proposal the annotator took over
MANUAL = "manual"

UNKNOWN, BENIGN, MALIGNANT = "unknown", "benign", "malignant"
LABELS = (UNKNOWN, BENIGN, MALIGNANT)

# Defaults of the clean-up operations, in millimetres so that they mean the same at any pixel spacing.
MIN_ISLAND_MM2 = 2.0
SMOOTH_SIGMA_MM = 0.5


@dataclass
class EditableLesion:
    id: int  # never reused within a set, so undo steps can name lesions
    mask: np.ndarray  # bool, image shape
    source: str = MANUAL
    label: str = UNKNOWN
    note: str = ""
    score: float | None = None  # the AI's, for proposals and accepted lesions
    malignancy: float | None = None
    extent: Box | None = None  # holds every set pixel of the mask (it may be larger); None: mask empty

    @property
    def editable(self) -> bool:
        return self.source != PROPOSAL


@dataclass(frozen=True)
class Update:
    lesion_ids: tuple[int, ...]
    box: Box | None  # the image region whose drawing changed; None: nothing drawn changed
    roi: bool  # the masks of lesion_ids are final after an edit (or the lesions are gone)
    listing: bool  # lesions came or went, or a label, source, note or the active lesion changed


class EditError(ValueError):
    """An edit that cannot be made; the message says why, for the status bar."""


class LesionSet:
    def __init__(self, shape: tuple[int, int], spacing_mm: tuple[float, float] | None = None,
                 depth: int = DEFAULT_DEPTH) -> None:
        self.shape = shape
        self.spacing_mm = spacing_mm  # (row, column); None: sizes are in pixels
        self.lesions: dict[int, EditableLesion] = {}  # in drawing order, the last on top
        self.active_id: int | None = None
        self.history = History(depth)
        self._next_id = 1
        self._listeners: list[Callable[[Update], None]] = []
        self._stroke: _Stroke | None = None

    # --- listening and queries ------------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[Update], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Update], None]) -> None:
        self._listeners.remove(listener)

    def _notify(self, lesion_ids: tuple[int, ...], box: Box | None, roi: bool, listing: bool) -> None:
        update = Update(lesion_ids, box, roi, listing)
        for listener in list(self._listeners):
            listener(update)

    def lesion(self, lesion_id: int) -> EditableLesion:
        try:
            return self.lesions[lesion_id]
        except KeyError:
            raise EditError(f"There is no lesion {lesion_id} in this view") from None

    @property
    def active(self) -> EditableLesion | None:
        return self.lesions.get(self.active_id) if self.active_id is not None else None

    def lesion_at(self, x: float, y: float, editable_only: bool = False) -> int | None:
        """The lesion covering image point (x, y): the active one if it does, else an editable one, else a
        proposal (none when `editable_only`), the latest first."""
        row, column = int(np.floor(y)), int(np.floor(x))
        if not (0 <= row < self.shape[0] and 0 <= column < self.shape[1]):
            return None
        candidates = sorted(reversed(self.lesions.values()),
                            key=lambda lesion: (lesion is not self.active, not lesion.editable))
        return next((lesion.id for lesion in candidates
                     if lesion.mask[row, column] and (lesion.editable or not editable_only)), None)

    @property
    def pixel_area(self) -> float:
        """Area of one pixel in mm² (in pixels without a spacing)."""
        return self.spacing_mm[0] * self.spacing_mm[1] if self.spacing_mm else 1.0

    @property
    def pixel_length(self) -> float:
        """Side of one pixel in mm (1 without a spacing), the mean of the two for non-square pixels."""
        return (self.spacing_mm[0] + self.spacing_mm[1]) / 2.0 if self.spacing_mm else 1.0

    def area(self, lesion_id: int) -> float:
        """The lesion's area in mm² (pixels without a spacing)."""
        lesion = self.lesion(lesion_id)
        if lesion.extent is None:
            return 0.0
        return float(np.count_nonzero(lesion.mask[box_slices(lesion.extent)])) * self.pixel_area

    def tight_box(self, lesion_id: int) -> Box | None:
        lesion = self.lesion(lesion_id)
        return mask_ops.bounding_box(lesion.mask, lesion.extent) if lesion.extent is not None else None

    # --- changes that are not undone ------------------------------------------------------------------------

    def add_proposal(self, mask: np.ndarray, score: float | None = None, malignancy: float | None = None,
                     within: Box | None = None) -> int:
        """An AI lesion, shown for the annotator to accept or reject. Not an edit: there is nothing to undo.
        `within`: a box inside the image that holds all of the mask's pixels (the AI's box of the lesion), to search
        only there; a full-size search takes milliseconds on the UI thread for each lesion found."""
        mask = self._checked(mask)
        box = mask_ops.bounding_box(mask, within)
        own = np.zeros(self.shape, bool)
        if box is not None:  # copying the set region only keeps the rest of the new mask uncommitted
            own[box_slices(box)] = mask[box_slices(box)]
        lesion = self._create(PROPOSAL, own, within=box, score=score, malignancy=malignancy)
        self._insert(lesion, len(self.lesions))
        self._notify((lesion.id,), lesion.extent, roi=True, listing=True)
        return lesion.id

    def load_lesions(self, lesions: list[EditableLesion]) -> None:
        """Replace every lesion with `lesions` (masks of this set's shape, which the set takes over; ids are given
        anew), e.g. read from a file. Not an edit: the history starts clean and nothing is active."""
        self.end_stroke()
        changed = None
        for lesion in self.lesions.values():
            changed = mask_ops.union(changed, lesion.extent)
        gone = tuple(self.lesions)
        self.lesions, self.active_id = {}, None
        self.history = History(self.history.depth)
        for lesion in lesions:
            own = self._create(lesion.source, self._checked(lesion.mask), label=lesion.label, note=lesion.note,
                               score=lesion.score, malignancy=lesion.malignancy)
            self._insert(own, len(self.lesions))
            changed = mask_ops.union(changed, own.extent)
        self._notify(gone + tuple(self.lesions), changed, roi=True, listing=True)

    def select(self, lesion_id: int | None) -> None:
        if lesion_id is not None:
            self.lesion(lesion_id)
        if lesion_id == self.active_id:
            return
        previous, self.active_id = self.active_id, lesion_id
        # One update per lesion: the union of two far-apart extents would redraw much in between.
        for changed in (previous, lesion_id):
            if changed in self.lesions:
                self._notify((changed,), self.lesions[changed].extent, roi=False, listing=True)

    def set_note(self, lesion_id: int, note: str) -> None:
        """Not an undo step: the note field undoes its own typing, and a step per keystroke would bury the edits."""
        self.lesion(lesion_id).note = note
        self._notify((lesion_id,), None, roi=False, listing=True)

    # --- lesions --------------------------------------------------------------------------------------------

    def new_lesion(self) -> int:
        """An empty manual lesion, made the active one."""
        lesion = self._create(MANUAL, np.zeros(self.shape, bool))
        step = Step("new lesion")
        self._add(lesion, step)
        self._push(step, (lesion.id,), None, roi=False)
        self.select(lesion.id)
        return lesion.id

    def delete(self, lesion_id: int) -> None:
        lesion = self.lesion(lesion_id)
        step = Step("reject AI lesion" if lesion.source == PROPOSAL else "delete lesion")
        self._remove(lesion, step)
        self._push(step, (lesion_id,), lesion.extent, roi=True)

    def reject(self, lesion_id: int) -> None:
        if self.lesion(lesion_id).source != PROPOSAL:
            raise EditError(f"Lesion {lesion_id} is not an AI proposal; delete it instead")
        self.delete(lesion_id)

    def accept(self, lesion_id: int) -> None:
        """Take an AI proposal over as an editable lesion, and make it the active one."""
        lesion = self.lesion(lesion_id)
        if lesion.source != PROPOSAL:
            raise EditError(f"Lesion {lesion_id} is not an AI proposal")
        self._push(self._set(lesion, "source", ACCEPTED, "accept AI lesion"), (lesion_id,), lesion.extent,
                   roi=False)
        self.select(lesion_id)

    def set_label(self, lesion_id: int, label: str) -> None:
        if label not in LABELS:
            raise EditError(f"Unknown label {label!r}; a lesion is {', '.join(LABELS)}")
        lesion = self.lesion(lesion_id)
        if label != lesion.label:
            self._push(self._set(lesion, "label", label, f"label {label}"), (lesion_id,), lesion.extent, roi=False)

    # --- painting -------------------------------------------------------------------------------------------

    def begin_stroke(self, radius: float, erase: bool = False, lesion_id: int | None = None) -> int | None:
        """Start a brush (or eraser) stroke on `lesion_id`, or on the active lesion when None. Painting with no
        editable lesion active starts a new one; erasing then does nothing and None is returned. The whole
        stroke, up to end_stroke, is one undo step."""
        self.end_stroke()
        step = Step("erase" if erase else "paint")
        lesion = self._editable(lesion_id) if lesion_id is not None else self.active
        if lesion is None or not lesion.editable:
            if erase:
                return None
            lesion = self._create(MANUAL, np.zeros(self.shape, bool))
            self._add(lesion, step)
            self._notify((lesion.id,), None, roi=False, listing=True)
        self.select(lesion.id)
        self._stroke = _Stroke(lesion, MaskRecorder(lesion.mask), float(radius), not erase, step)
        return lesion.id

    def stroke_to(self, point: Point) -> Box | None:
        """Paint from the stroke's last point to `point` (a dab at `point` first); the changed box, or None."""
        stroke = self._stroke
        if stroke is None:
            raise EditError("No stroke is in progress")
        shape = mask_ops.capsule(stroke.last or point, point, stroke.radius, self.shape)
        stroke.last = point
        if shape is None:
            return None
        box, footprint = shape
        region = stroke.lesion.mask[box_slices(box)]
        if not np.any(region[footprint] != stroke.value):
            return None
        stroke.recorder.touch(box)
        region[footprint] = stroke.value
        stroke.lesion.extent = mask_ops.union(stroke.lesion.extent, box)
        self._notify((stroke.lesion.id,), box, roi=False, listing=False)
        return box

    def end_stroke(self) -> None:
        stroke, self._stroke = self._stroke, None
        if stroke is None:
            return
        patches = stroke.recorder.patches()
        if patches:
            stroke.step.changes.append(MaskChange(stroke.lesion.id, patches))
            self._push(stroke.step, (stroke.lesion.id,), _patches_box(patches), roi=True)
        elif stroke.step.changes:  # a lesion made for a stroke that painted nothing (all off the image)
            self._apply(stroke.step, forward=False)

    @property
    def stroking(self) -> bool:
        return self._stroke is not None

    # --- region operations ----------------------------------------------------------------------------------

    def fill_polygon(self, points: list[Point], lesion_id: int | None = None, erase: bool = False) -> int | None:
        """Fill (or clear) the polygon through `points` in `lesion_id`, or the active lesion when None; with no
        editable lesion active a fill makes a new one. The lesion changed, or None when nothing changed."""
        shape = mask_ops.polygon(points, self.shape)
        lesion = self._editable(lesion_id) if lesion_id is not None else self.active
        if shape is None or (erase and (lesion is None or not lesion.editable)):
            return None
        step = Step("erase polygon" if erase else "fill polygon")
        if lesion is None or not lesion.editable:
            lesion = self._create(MANUAL, np.zeros(self.shape, bool))
            self._add(lesion, step)
        box, footprint = shape
        self._edit_region(lesion, box, lambda region: np.where(footprint, not erase, region), step)
        self.select(lesion.id)
        return lesion.id

    def fill_holes(self, lesion_id: int) -> bool:
        return self._edit_whole(lesion_id, 1, mask_ops.filled_holes, "fill holes")

    def remove_islands(self, lesion_id: int, min_area_mm2: float = MIN_ISLAND_MM2) -> bool:
        """Drop the parts of the lesion smaller than `min_area_mm2` (pixels without a spacing)."""
        min_pixels = min_area_mm2 / self.pixel_area
        return self._edit_whole(lesion_id, 1, lambda crop: mask_ops.without_islands(crop, min_pixels),
                                "remove islands")

    def smooth(self, lesion_id: int, sigma_mm: float = SMOOTH_SIGMA_MM) -> bool:
        sigma_px = sigma_mm / self.pixel_length
        return self._edit_whole(lesion_id, int(np.ceil(3 * sigma_px)) + 1,
                                lambda crop: mask_ops.smoothed(crop, sigma_px), "smooth")

    def _edit_whole(self, lesion_id: int, margin: int, operation: Callable[[np.ndarray], np.ndarray],
                    description: str) -> bool:
        lesion = self._editable(lesion_id)
        box = self.tight_box(lesion_id)
        if box is None:
            return False
        box = mask_ops.grow(box, margin, self.shape)
        return self._edit_region(lesion, box, operation, Step(description))

    def _edit_region(self, lesion: EditableLesion, box: Box, operation: Callable[[np.ndarray], np.ndarray],
                     step: Step) -> bool:
        region = lesion.mask[box_slices(box)]
        new = operation(region)
        if np.array_equal(new, region):
            if step.changes:
                self._apply(step, forward=False)
            return False
        recorder = MaskRecorder(lesion.mask)
        recorder.touch(box)
        region[...] = new
        lesion.extent = mask_ops.union(lesion.extent, box)
        step.changes.append(MaskChange(lesion.id, recorder.patches()))
        self._push(step, (lesion.id,), box, roi=True)
        return True

    # --- undo -----------------------------------------------------------------------------------------------

    def undo(self) -> str | None:
        """Undo the last step; what it was ("paint", "delete lesion", ...), or None when there is nothing to undo."""
        self.end_stroke()
        step = self.history.take_undo()
        if step is not None:
            self._apply(step, forward=False)
        return step.description if step else None

    def redo(self) -> str | None:
        self.end_stroke()
        step = self.history.take_redo()
        if step is not None:
            self._apply(step, forward=True)
        return step.description if step else None

    def _apply(self, step: Step, forward: bool) -> None:
        """Redo (forward) or undo the changes of `step`, then tell the listeners, and bring its lesion to the fore."""
        box, ids = None, []
        for change in step.changes if forward else reversed(step.changes):
            ids.append(change.lesion.id if isinstance(change, LesionPresence) else change.lesion_id)
            if isinstance(change, MaskChange):
                lesion = self.lesions[change.lesion_id]
                for patch in change.patches:
                    lesion.mask[box_slices(patch.box)] = patch.new if forward else patch.old
                    lesion.extent = mask_ops.union(lesion.extent, patch.box)
                    box = mask_ops.union(box, patch.box)
            elif isinstance(change, LesionPresence):
                if change.added == forward:
                    lesion = _restored(change, self.shape)
                    self._insert(lesion, change.index)
                else:
                    lesion = self.lesions.pop(change.lesion.id)
                    if self.active_id == lesion.id:
                        self.active_id = None
                box = mask_ops.union(box, lesion.extent)
            else:
                lesion = self.lesions[change.lesion_id]
                setattr(lesion, change.name, change.new if forward else change.old)
                box = mask_ops.union(box, lesion.extent)
        ids = tuple(dict.fromkeys(ids))
        self._notify(ids, box, roi=True, listing=True)
        remaining = [i for i in ids if i in self.lesions]
        if remaining:
            self.select(remaining[0])

    # --- helpers --------------------------------------------------------------------------------------------

    def _checked(self, mask: np.ndarray) -> np.ndarray:
        mask = np.asarray(mask)
        if mask.shape != self.shape:
            raise EditError(f"A lesion mask of {mask.shape[1:2] or '?'} x {mask.shape[:1] or '?'} pixels does not "
                            f"fit this view's {self.shape[1]} x {self.shape[0]} image")
        return mask.astype(bool, copy=False)

    def _editable(self, lesion_id: int) -> EditableLesion:
        lesion = self.lesion(lesion_id)
        if not lesion.editable:
            raise EditError(f"Lesion {lesion_id} is an AI proposal: accept it to edit it")
        return lesion

    def _create(self, source: str, mask: np.ndarray, within: Box | None = None, **attributes) -> EditableLesion:
        lesion = EditableLesion(self._next_id, mask, source, extent=mask_ops.bounding_box(mask, within), **attributes)
        self._next_id += 1
        return lesion

    def _insert(self, lesion: EditableLesion, index: int) -> None:
        items = list(self.lesions.items())
        items.insert(index, (lesion.id, lesion))
        self.lesions = dict(items)

    def _add(self, lesion: EditableLesion, step: Step) -> None:
        self._insert(lesion, len(self.lesions))
        step.changes.append(LesionPresence(*_snapshot(lesion), index=len(self.lesions) - 1, added=True))

    def _remove(self, lesion: EditableLesion, step: Step) -> None:
        index = list(self.lesions).index(lesion.id)
        step.changes.append(LesionPresence(*_snapshot(lesion), index=index, added=False))
        del self.lesions[lesion.id]
        if self.active_id == lesion.id:
            self.active_id = None

    @staticmethod
    def _set(lesion: EditableLesion, name: str, value, description: str) -> Step:
        step = Step(description, [AttributeChange(lesion.id, name, getattr(lesion, name), value)])
        setattr(lesion, name, value)
        return step

    def _push(self, step: Step, lesion_ids: tuple[int, ...], box: Box | None, roi: bool) -> None:
        self.history.push(step)
        self._notify(lesion_ids, box, roi=roi, listing=True)


@dataclass
class _Stroke:
    lesion: EditableLesion
    recorder: MaskRecorder
    radius: float
    value: bool  # True paints, False erases
    step: Step
    last: Point | None = None


def _patches_box(patches: list[Patch]) -> Box | None:
    box = None
    for patch in patches:
        box = mask_ops.union(box, patch.box)
    return box


def _snapshot(lesion: EditableLesion) -> tuple[EditableLesion, np.ndarray | None]:
    """The lesion without its full mask, its extent made tight, and the mask's crop of that extent."""
    box = mask_ops.bounding_box(lesion.mask, lesion.extent) if lesion.extent is not None else None
    crop = lesion.mask[box_slices(box)].copy() if box is not None else None
    return dataclasses.replace(lesion, mask=np.zeros((0, 0), bool), extent=box), crop


def _restored(change: LesionPresence, shape: tuple[int, int]) -> EditableLesion:
    mask = np.zeros(shape, bool)
    if change.crop is not None:
        mask[box_slices(change.lesion.extent)] = change.crop
    return dataclasses.replace(change.lesion, mask=mask)
