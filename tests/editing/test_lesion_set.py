"""The lesion set of a view: strokes, regions, lesions, labels, AI proposals, undo and redo, and its updates."""

from __future__ import annotations

import math

import numpy as np
import pytest
from skimage.draw import disk

from cemviewer.editing.history import TILE
from cemviewer.editing.lesion_set import (ACCEPTED, BENIGN, MALIGNANT, MANUAL, PROPOSAL, EditError, LesionSet,
                                          Update)
from cemviewer.editing.proposals import outline_mask
from cemviewer.imaging.lesion_marks import LesionMarks, outline_contours

SHAPE = (600, 500)
SPACING = (0.1, 0.1)


@pytest.fixture
def lesions() -> LesionSet:
    return LesionSet(SHAPE, SPACING)


@pytest.fixture
def updates(lesions) -> list[Update]:
    heard: list[Update] = []
    lesions.subscribe(heard.append)
    return heard


def _stroke(lesions: LesionSet, points, radius=6.0, erase=False, lesion_id=None) -> int | None:
    lesion_id = lesions.begin_stroke(radius, erase, lesion_id)
    for point in points:
        lesions.stroke_to(point)
    lesions.end_stroke()
    return lesion_id


def _disc_mask(centre, radius) -> np.ndarray:
    mask = np.zeros(SHAPE, bool)
    mask[disk(centre, radius, shape=SHAPE)] = True
    return mask


def test_painting_with_nothing_selected_makes_a_lesion_along_the_stroke(lesions, updates):
    lesion_id = _stroke(lesions, [(50.0, 100.0), (300.0, 100.0)])
    lesion = lesions.lesion(lesion_id)
    assert lesion.source == MANUAL and lesion.editable and lesions.active_id == lesion_id
    assert lesion.mask[100, 50:301].all() and not lesion.mask[120, 150]
    assert lesions.tight_box(lesion_id) == (44, 94, 306, 106)  # 6 px either side of pixel corners
    assert lesions.area(lesion_id) == pytest.approx((250 * 12 + math.pi * 36) * 0.01, rel=0.05)
    # Dabs report their region as they go; the finished mask is announced once, at the end of the stroke.
    drawn = [update for update in updates if update.box is not None]
    assert [update.roi for update in drawn] == [False, False, True]
    finished = drawn[-1].box
    assert finished[0] <= 44 and finished[1] <= 94 and finished[2] >= 306 and finished[3] >= 106


def test_the_eraser_clears_part_of_the_active_lesion(lesions):
    lesion_id = _stroke(lesions, [(50.0, 100.0), (300.0, 100.0)])
    _stroke(lesions, [(150.0, 80.0), (150.0, 120.0)], radius=10.0, erase=True)
    mask = lesions.lesion(lesion_id).mask
    assert not mask[100, 145:156].any() and mask[100, 50:139].all() and mask[100, 161:301].all()
    # Erasing with no lesion to erase from starts nothing.
    lesions.select(None)
    assert lesions.begin_stroke(5.0, erase=True) is None and not lesions.stroking


def test_a_stroke_is_one_undo_step_and_redo_reapplies_it(lesions):
    lesion_id = _stroke(lesions, [(50.0, 100.0), (300.0, 100.0)])
    painted = lesions.lesion(lesion_id).mask.copy()
    _stroke(lesions, [(60.0, 200.0), (70.0, 250.0), (200.0, 260.0)])
    twice = lesions.lesion(lesion_id).mask.copy()
    assert lesions.undo() == "paint"
    assert np.array_equal(lesions.lesion(lesion_id).mask, painted)
    assert lesions.undo() == "paint"  # the first stroke also made the lesion: undoing it takes the lesion away
    assert lesions.lesions == {} and lesions.active_id is None
    assert lesions.redo() == "paint" and np.array_equal(lesions.lesion(lesion_id).mask, painted)
    assert lesions.redo() == "paint" and np.array_equal(lesions.lesion(lesion_id).mask, twice)
    assert lesions.redo() is None


def test_undo_keeps_at_least_fifty_steps_of_changed_tiles_only(lesions):
    first = _stroke(lesions, [(20.0, 20.0)], radius=4.0)
    for step in range(1, 60):
        _stroke(lesions, [(20.0 + 7 * (step % 60), 20.0 + 9 * step)], radius=4.0, lesion_id=first)
    assert lesions.history.depth >= 50
    for _ in range(59):
        assert lesions.undo() == "paint"
    assert lesions.area(first) == pytest.approx(lesions.pixel_area * np.count_nonzero(_disc_mask((19.5, 19.5), 4)),
                                                rel=0.2)
    assert lesions.undo() == "paint" and first not in lesions.lesions
    # Each step kept only the tiles under its dab: one or two of 64 x 64, not the 300 000-pixel mask.
    steps = list(lesions.history._redo)
    assert all(sum(p.old.size for c in s.changes if hasattr(c, "patches") for p in c.patches) <= 4 * TILE * TILE
               for s in steps)


def test_a_new_edit_clears_redo(lesions):
    lesion_id = _stroke(lesions, [(100.0, 100.0)])
    lesions.undo()
    _stroke(lesions, [(200.0, 200.0)])
    assert lesions.redo() is None and lesion_id not in lesions.lesions


def test_polygon_fill_area_is_the_polygon_area_and_erase_polygon_cuts(lesions):
    points = [(100.0, 100.0), (400.0, 120.0), (350.0, 400.0), (120.0, 380.0)]
    lesion_id = lesions.fill_polygon(points)
    xs, ys = np.array(points).T
    shoelace = 0.5 * abs(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1)))
    assert lesions.area(lesion_id) == pytest.approx(shoelace * 0.01, rel=0.01)
    lesions.fill_polygon([(200.0, 200.0), (300.0, 200.0), (300.0, 300.0), (200.0, 300.0)], erase=True)
    assert lesions.area(lesion_id) == pytest.approx((shoelace - 100 * 100) * 0.01, rel=0.01)
    assert lesions.undo() == "erase polygon" and lesions.area(lesion_id) == pytest.approx(shoelace * 0.01, rel=0.01)


def test_fill_holes_remove_islands_and_smooth_are_undoable(lesions):
    lesion_id = lesions.new_lesion()
    _stroke(lesions, [(250.0, 300.0)], radius=60.0, lesion_id=lesion_id)
    _stroke(lesions, [(250.0, 300.0)], radius=20.0, erase=True, lesion_id=lesion_id)
    ring = lesions.lesion(lesion_id).mask.copy()
    assert lesions.fill_holes(lesion_id) and lesions.lesion(lesion_id).mask[300, 250]
    assert not lesions.fill_holes(lesion_id)  # nothing left to fill: no step
    assert lesions.undo() == "fill holes" and np.array_equal(lesions.lesion(lesion_id).mask, ring)

    _stroke(lesions, [(50.0, 50.0)], radius=3.0, lesion_id=lesion_id)  # ~0.28 mm² at 0.1 mm pixels
    _stroke(lesions, [(450.0, 60.0)], radius=12.0, lesion_id=lesion_id)  # ~4.5 mm²
    assert lesions.remove_islands(lesion_id, min_area_mm2=2.0)
    mask = lesions.lesion(lesion_id).mask
    assert not mask[50, 50] and mask[60, 450] and np.array_equal(mask[150:450, 150:350], ring[150:450, 150:350])

    jagged = lesions.lesion(lesion_id).mask.copy()
    _stroke(lesions, [(311.0, 300.0), (330.0, 300.0)], radius=1.0, lesion_id=lesion_id)  # a thin spur
    assert lesions.smooth(lesion_id, sigma_mm=0.3)
    smooth = lesions.lesion(lesion_id).mask
    assert not smooth[300, 325] and smooth[300, 300]
    assert smooth.sum() == pytest.approx(jagged.sum(), rel=0.03)
    assert lesions.undo() == "smooth" and lesions.lesion(lesion_id).mask[300, 325]


def test_new_and_delete_lesion_and_undoing_a_delete_restores_it(lesions):
    first = _stroke(lesions, [(100.0, 100.0)], radius=10.0)
    second = lesions.new_lesion()
    assert lesions.active_id == second and lesions.lesion(second).mask.sum() == 0
    _stroke(lesions, [(300.0, 300.0)], radius=8.0)
    assert lesions.lesion(second).mask[300, 300]
    lesions.set_label(first, MALIGNANT)
    lesions.set_note(first, "spiculated, 11 o'clock")
    before = lesions.lesion(first).mask.copy()
    lesions.delete(first)
    assert list(lesions.lesions) == [second]
    assert lesions.undo() == "delete lesion"
    restored = lesions.lesion(first)
    assert list(lesions.lesions) == [first, second]
    assert np.array_equal(restored.mask, before)
    assert (restored.label, restored.note) == (MALIGNANT, "spiculated, 11 o'clock")


def test_labels_and_notes_are_stored_and_a_bad_label_says_so(lesions):
    lesion_id = _stroke(lesions, [(100.0, 100.0)])
    lesions.set_label(lesion_id, BENIGN)
    lesions.set_note(lesion_id, "cyst")
    assert (lesions.lesion(lesion_id).label, lesions.lesion(lesion_id).note) == (BENIGN, "cyst")
    assert lesions.undo() == "label benign" and lesions.lesion(lesion_id).label == "unknown"
    with pytest.raises(EditError, match="Unknown label 'cancer'.*unknown, benign, malignant"):
        lesions.set_label(lesion_id, "cancer")
    with pytest.raises(EditError, match="no lesion 99"):
        lesions.delete(99)


def test_accepting_a_proposal_makes_it_editable_and_rejecting_removes_it(lesions, updates):
    kept = lesions.add_proposal(_disc_mask((200, 200), 40), score=0.9, malignancy=0.8)
    dropped = lesions.add_proposal(_disc_mask((450, 400), 30), score=0.4, malignancy=0.1)
    assert lesions.lesion(kept).source == PROPOSAL and not lesions.lesion(kept).editable
    with pytest.raises(EditError, match="AI proposal: accept it"):
        lesions.begin_stroke(5.0, lesion_id=kept)
    # Painting while a proposal is active starts a lesion of its own rather than changing the proposal.
    lesions.select(kept)
    own = _stroke(lesions, [(50.0, 50.0)])
    assert own not in (kept, dropped) and not lesions.lesion(kept).mask[50, 50]

    lesions.accept(kept)
    assert lesions.lesion(kept).source == ACCEPTED and lesions.active_id == kept
    _stroke(lesions, [(200.0, 250.0)], radius=10.0)
    assert lesions.lesion(kept).mask[250, 200]
    lesions.reject(dropped)
    assert dropped not in lesions.lesions
    with pytest.raises(EditError, match="not an AI proposal"):
        lesions.reject(kept)
    assert lesions.undo() == "reject AI lesion" and lesions.lesion(dropped).source == PROPOSAL
    lesions.undo()
    assert lesions.undo() == "accept AI lesion" and lesions.lesion(kept).source == PROPOSAL


def test_a_proposal_from_the_ai_outlines_covers_the_ai_mask():
    mask = _disc_mask((300, 250), 45)
    mask[disk((300, 250), 10)] = False  # with a hole the outline goes round too
    mask[disk((330, 310), 20, shape=SHAPE)] = True
    rows, columns = np.nonzero(mask)
    box = (int(columns.min()), int(rows.min()), int(columns.max()) + 1, int(rows.max()) + 1)
    marks = LesionMarks(1, 0.9, 0.7, box, {"recombined": outline_contours(mask, box)})
    filled = outline_mask(marks, SHAPE)
    assert np.count_nonzero(filled & mask) / np.count_nonzero(filled | mask) > 0.97
    assert not filled[300, 250]


def test_a_proposal_searched_only_within_the_ai_box_keeps_the_same_pixels_and_extent():
    marks = LesionMarks(1, 0.9, 0.7, (180, 230, 320, 370), {"recombined": outline_contours(
        _disc_mask((300, 250), 60), (180, 230, 320, 370))})
    whole, boxed = LesionSet(SHAPE, (0.1, 0.1)), LesionSet(SHAPE, (0.1, 0.1))
    searched = whole.lesion(whole.add_proposal(outline_mask(marks, SHAPE)))
    within = boxed.lesion(boxed.add_proposal(outline_mask(marks, SHAPE), within=marks.box))
    assert within.extent == searched.extent and within.extent[0] > 180
    assert np.array_equal(within.mask, searched.mask) and within.mask.any()


def test_a_mask_of_another_size_is_refused(lesions):
    with pytest.raises(EditError, match="does not fit this view's 500 x 600 image"):
        lesions.add_proposal(np.zeros((10, 10), bool))


def test_clicking_finds_the_lesion_under_the_point(lesions):
    below = lesions.add_proposal(_disc_mask((200, 200), 40))
    above = _stroke(lesions, [(230.0, 200.0)], radius=20.0)
    assert lesions.lesion_at(235.0, 200.0) == above  # the active one where they overlap
    lesions.select(below)
    assert lesions.lesion_at(235.0, 200.0) == below
    assert lesions.lesion_at(170.0, 200.0) == below and lesions.lesion_at(5.0, 5.0) is None
    lesions.select(None)
    assert lesions.lesion_at(235.0, 200.0) == above  # the annotator's own before a proposal
    assert lesions.lesion_at(170.0, 200.0, editable_only=True) is None
    assert lesions.lesion_at(-3.0, 700.0) is None
