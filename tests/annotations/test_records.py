"""LesionRecord: a LesionSet's lesions as plain values and back, without an undo step."""

from __future__ import annotations

import numpy as np
import pytest

from cemviewer.annotations.records import LesionRecord, by_view, record_of, records_of, restore, study_records
from cemviewer.editing.lesion_set import ACCEPTED, MANUAL, PROPOSAL, LesionSet

SHAPE = (120, 100)


def _annotated() -> LesionSet:
    lesions = LesionSet(SHAPE, (0.1, 0.1))
    lesions.begin_stroke(4)
    lesions.stroke_to((20.5, 30.5))
    lesions.stroke_to((40.5, 30.5))
    lesions.end_stroke()
    lesions.set_label(1, "malignant")
    lesions.set_note(1, "spiculated")
    proposal = np.zeros(SHAPE, bool)
    proposal[80:90, 60:75] = True
    accepted = lesions.add_proposal(proposal, score=0.9, malignancy=0.7)
    lesions.accept(accepted)
    pending = np.zeros(SHAPE, bool)
    pending[5:9, 5:9] = True
    lesions.add_proposal(pending, score=0.3)
    lesions.new_lesion()  # empty: nothing to record
    return lesions


def test_records_crop_each_lesion_to_its_box_and_leave_pending_proposals_out():
    lesions = _annotated()
    records = records_of("RCC", lesions)
    assert [(r.view, r.number, r.label, r.note, r.source, r.score) for r in records] == [
        ("RCC", 1, "malignant", "spiculated", MANUAL, None), ("RCC", 2, "unknown", "", ACCEPTED, 0.9)]
    assert records[1].box == (60, 80, 75, 90) and records[1].mask.all() and records[1].pixel_count == 150
    for record, lesion in zip(records, lesions.lesions.values()):
        assert np.array_equal(record.full_mask(SHAPE), lesion.mask)
    assert [r.source for r in records_of("RCC", lesions, with_proposals=True)] == [MANUAL, ACCEPTED, PROPOSAL]


def test_restore_fills_a_set_with_a_clean_history_and_replaces_what_it_held():
    records = records_of("RCC", _annotated(), with_proposals=True)
    target = _annotated()
    heard = []
    target.subscribe(heard.append)
    restore(target, records)
    assert records_of("RCC", target, with_proposals=True) != [] and target.undo() is None
    again = records_of("RCC", target, with_proposals=True)
    assert [(r.box, r.label, r.note, r.source, r.score, r.malignancy) for r in again] == \
        [(r.box, r.label, r.note, r.source, r.score, r.malignancy) for r in records]
    assert all(np.array_equal(a.mask, b.mask) for a, b in zip(again, records))
    assert heard[-1].listing and heard[-1].roi and target.active_id is None
    target.begin_stroke(3)  # restored lesions are editable
    target.stroke_to((50.5, 50.5))
    target.end_stroke()
    assert target.undo() == "paint"


def test_a_record_that_does_not_fit_is_refused():
    with pytest.raises(ValueError, match="a \\(3, 3\\) mask for the box"):
        LesionRecord("RCC", 1, (0, 0, 4, 4), np.ones((3, 3), bool))
    with pytest.raises(ValueError, match="outside the 100 x 120 image"):
        restore(LesionSet(SHAPE), [LesionRecord("RCC", 1, (90, 0, 110, 4), np.ones((4, 20), bool))])


def test_helpers_group_and_build_records():
    mask = np.zeros(SHAPE, bool)
    assert record_of("LCC", 1, mask) is None
    mask[10:12, 20:25] = True
    record = record_of("LCC", 1, mask, label="benign")
    assert record.box == (20, 10, 25, 12) and record.label == "benign"
    sets = {"RCC": _annotated(), "LCC": LesionSet(SHAPE)}
    assert list(by_view(study_records(sets))) == ["RCC"]
