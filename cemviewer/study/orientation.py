"""The display convention for mammograms and the flips that bring any image into it.

Mammograms hang back to back: right-breast images on the left of the screen with the chest wall on their right
edge, left-breast images on the right of the screen with the chest wall on their left edge, so the two breasts
face away from each other like a mirror image. CC-like views put the lateral side at the top, the other views put
the superior side (the axilla, for obliques) at the top. In DICOM PatientOrientation terms (row direction, column
direction), as in the IHE Mammography Image profile:

    RCC "P\\L"    LCC "A\\R"    RMLO "P\\FL"    LMLO "A\\FR"    RML "P\\F"    LML "A\\F"
"""

from __future__ import annotations

_CC_LIKE = ("CC", "XCCL", "XCCM", "FB")
_OBLIQUE = ("MLO", "LMO", "SIO", "ISO")


def _base(view: str) -> str:
    return view.split()[0] if view else view


def conventional_orientation(laterality: str, view: str) -> tuple[str, str]:
    """PatientOrientation (row direction, column direction) of an image shown in the conventional way."""
    row = "P" if laterality == "R" else "A"
    medial = "L" if laterality == "R" else "R"
    base = _base(view)
    if base in _CC_LIKE:
        return row, medial
    if base in _OBLIQUE:
        return row, f"F{medial}"
    return row, "F"


def display_flips(orientation: list[str] | tuple[str, ...] | None, laterality: str, view: str) -> tuple[bool, bool]:
    """(flip left-right, flip top-bottom) that turn an image with this PatientOrientation into the convention.

    Only mirrored images are corrected; an orientation that is missing or names a rotation (rows running head to
    foot) is left as stored, since a guess would mislead more than it helps.
    """
    if not orientation or len(orientation) != 2:
        return False, False
    rows, columns = (str(v).strip().upper() for v in orientation)
    want_rows, want_columns = conventional_orientation(laterality, view)
    opposite_rows = "A" if want_rows == "P" else "P"
    flip_h = opposite_rows in rows and want_rows not in rows
    if "H" in columns or "F" in columns:
        flip_v = "H" in columns and "F" in want_columns
    else:
        lateral = "R" if laterality == "R" else "L"
        flip_v = lateral in columns and _base(view) in _CC_LIKE
    return flip_h, flip_v
