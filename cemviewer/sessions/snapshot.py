"""Between the editor's LesionSets and a stored session: what is kept of a view, and a view brought back.

Everything on screen is kept, pending AI proposals included, so that a restored study looks as it was left (the
AI is not asked to propose again on a view that comes back from a session). A view is worth keeping once the
annotator has done something to it; a study whose views only hold untouched AI proposals is not written at all.
"""

from __future__ import annotations

from collections.abc import Mapping

from cemviewer.annotations.records import records_of, restore
from cemviewer.editing.lesion_set import PROPOSAL, LesionSet
from cemviewer.sessions.store import ViewSession


def view_session(view_name: str, lesions: LesionSet) -> ViewSession:
    """The view's lesions as they are now (a copy: the editor goes on changing its masks)."""
    return ViewSession(lesions.shape, lesions.spacing_mm, tuple(records_of(view_name, lesions, with_proposals=True)))


def touched(lesions: LesionSet) -> bool:
    """Has the annotator done anything here: an edit (undone or not), a lesion of their own, a note?"""
    return (lesions.history.can_undo() or lesions.history.can_redo()
            or any(lesion.source != PROPOSAL or lesion.note for lesion in lesions.lesions.values()))


def study_session(sets: Mapping[str, LesionSet], kept: set[str]) -> dict[str, ViewSession] | None:
    """The session of a study's views (EditSession.sets): the views touched, holding lesions or in `kept` (views
    already in the stored session); None when no view was touched and nothing was stored before."""
    if not kept and not any(touched(lesions) for lesions in sets.values()):
        return None
    return {name: view_session(name, lesions) for name, lesions in sets.items()
            if name in kept or lesions.lesions or touched(lesions)}


def restored_set(view: ViewSession) -> LesionSet:
    """A fresh LesionSet holding the view's stored lesions; ValueError when a record does not fit its shape."""
    lesions = LesionSet(view.shape, view.spacing_mm)
    restore(lesions, view.records)
    return lesions
