"""The session store on disk: lesions of every kind come back exactly, writes are whole or nothing, and a store
that cannot be written or a damaged file says so."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import numpy as np
import pytest

from cemviewer.editing.lesion_set import BENIGN, MALIGNANT, LesionSet
from cemviewer.sessions.snapshot import restored_set, study_session, touched
from cemviewer.sessions.store import (
    STORE_ENV,
    SessionStore,
    SessionStoreError,
    default_folder,
)

UID = "1.2.826.0.1.3680043.8.498.12345"
SHAPE = (3062, 2394)  # a full-size mammogram


def _disc(shape, centre, radius) -> np.ndarray:
    rows, columns = np.ogrid[: shape[0], : shape[1]]
    return (rows - centre[0]) ** 2 + (columns - centre[1]) ** 2 <= radius ** 2


def _edited_sets() -> dict[str, LesionSet]:
    """RCC: an accepted AI lesion with a label and note, a painted one, a pending proposal; LCC: a lesion drawn
    then deleted (touched, now empty); RMLO: only an untouched proposal."""
    rcc = LesionSet(SHAPE, (0.1, 0.1))
    accepted = rcc.add_proposal(_disc(SHAPE, (800, 900), 120), score=0.91, malignancy=0.77)
    rcc.accept(accepted)
    rcc.set_label(accepted, MALIGNANT)
    rcc.set_note(accepted, "spiculated,\nenhancing — BI-RADS 5")
    rcc.select(None)  # the stroke starts a lesion of its own
    rcc.begin_stroke(15)
    for x in range(1500, 1700, 7):
        rcc.stroke_to((x + 0.5, 2000.5 + (x % 40)))
    rcc.end_stroke()
    rcc.set_label(rcc.active_id, BENIGN)
    rcc.add_proposal(_disc(SHAPE, (2500, 400), 60), score=0.4, malignancy=0.2)
    lcc = LesionSet(SHAPE, (0.1, 0.1))
    drawn = lcc.fill_polygon([(100, 100), (300, 120), (200, 330)])
    lcc.delete(drawn)
    rmlo = LesionSet(SHAPE, (0.1, 0.1))
    rmlo.add_proposal(_disc(SHAPE, (1000, 1000), 50), score=0.6)
    return {"RCC": rcc, "LCC": lcc, "RMLO": rmlo}


def _state(lesions: LesionSet) -> list[tuple]:
    return [(lesion.source, lesion.label, lesion.note, lesion.score, lesion.malignancy, lesion.mask.copy())
            for lesion in lesions.lesions.values()]


def _assert_same(restored: LesionSet, original: LesionSet) -> None:
    assert restored.shape == original.shape and restored.spacing_mm == original.spacing_mm
    got, expected = _state(restored), _state(original)
    assert len(got) == len(expected)
    for (*attributes, mask), (*expected_attributes, expected_mask) in zip(got, expected, strict=True):
        assert attributes == expected_attributes
        assert np.array_equal(mask, expected_mask)


def test_a_session_comes_back_pixel_exact_with_every_attribute(tmp_path):
    sets = _edited_sets()
    session = study_session(sets, kept=set())
    assert set(session) == {"RCC", "LCC", "RMLO"}  # LCC is empty but was worked on
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    path = SessionStore(tmp_path / "store").save(UID, session, saved_at=moment)
    assert path.parent == tmp_path / "store" and path.name == f"{UID}.npz"
    assert os.listdir(path.parent) == [path.name]  # no temporary file left behind

    stored = SessionStore(tmp_path / "store").load(UID)
    assert stored.study_uid == UID and stored.saved_at == moment and stored.lesion_count == 4
    for name, original in sets.items():
        restored = restored_set(stored.views[name])
        _assert_same(restored, original)
        assert not restored.history.can_undo()  # a restored session starts a clean history


def test_untouched_proposals_alone_are_not_a_session():
    lesions = LesionSet((200, 200))
    lesions.add_proposal(_disc((200, 200), (50, 50), 10))
    assert not touched(lesions)
    assert study_session({"RCC": lesions}, kept=set()) is None
    # Once stored, a study goes on being saved, so that emptying it is saved too.
    assert set(study_session({"RCC": lesions}, kept={"RCC"})) == {"RCC"}


def test_no_session_is_none_and_a_full_size_session_is_small(tmp_path):
    store = SessionStore(tmp_path)
    assert store.load(UID) is None
    path = store.save(UID, study_session(_edited_sets(), kept=set()))
    # Four cropped masks, not four 7-megapixel images.
    assert path.stat().st_size < 100_000


def test_an_unwritable_store_raises_a_clear_error_and_keeps_the_previous_session(tmp_path):
    store = SessionStore(tmp_path / "store")
    sets = _edited_sets()
    store.save(UID, study_session(sets, kept=set()))
    before = store.path(UID).read_bytes()
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the store should be")
    with pytest.raises(SessionStoreError, match="cannot autosave to .*not_a_folder"):
        SessionStore(blocker / "store").save(UID, study_session(sets, kept=set()))
    # A write that fails half-way (the target is a folder) leaves the old file and no temporary one.
    os.replace(store.path(UID), tmp_path / "kept.npz")
    store.path(UID).mkdir()
    with pytest.raises(SessionStoreError, match="cannot autosave"):
        store.save(UID, study_session(sets, kept=set()))
    assert sorted(os.listdir(store.folder)) == [store.path(UID).name]
    assert (tmp_path / "kept.npz").read_bytes() == before


def test_a_damaged_or_foreign_session_file_is_reported(tmp_path):
    store = SessionStore(tmp_path)
    store.path(UID).write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(SessionStoreError, match="is damaged"):
        store.load(UID)
    other = SessionStore(tmp_path / "other")
    other.save("1.2.3", study_session(_edited_sets(), kept=set()))
    os.replace(other.path("1.2.3"), store.path(UID))
    with pytest.raises(SessionStoreError, match="holds study '1.2.3'"):
        store.load(UID)


def test_odd_study_uids_never_escape_the_store(tmp_path):
    store = SessionStore(tmp_path)
    for uid in ("../../etc/passwd", "..", "a/b"):
        assert store.path(uid).parent == tmp_path


def test_the_store_folder_is_the_environment_then_the_setting_then_the_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "env"))
    assert default_folder(tmp_path / "setting") == tmp_path / "env"
    monkeypatch.delenv(STORE_ENV)
    assert default_folder(tmp_path / "setting") == tmp_path / "setting"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_folder(None) == tmp_path / "data" / "cemviewer" / "autosave"
