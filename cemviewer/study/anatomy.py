"""Which breast and which projection an image shows, from the attributes vendors fill in (or forget)."""

from __future__ import annotations

import re

import pydicom

# DICOM CID 4014 (view for mammography): SNOMED CT code and code meaning of each view shorthand.
VIEW_CODES: dict[str, tuple[str, str]] = {
    "CC": ("399162004", "cranio-caudal"),
    "MLO": ("399368009", "medio-lateral oblique"),
    "ML": ("399260004", "medio-lateral"),
    "LM": ("399352003", "latero-medial"),
    "LMO": ("399099002", "latero-medial oblique"),
    "XCCL": ("399192008", "cranio-caudal exaggerated laterally"),
    "XCCM": ("399101009", "cranio-caudal exaggerated medially"),
    "FB": ("399196006", "caudo-cranial (from below)"),
    "SIO": ("399188001", "superolateral to inferomedial oblique"),
    "ISO": ("441555000", "inferomedial to superolateral oblique"),
    "AT": ("399255006", "axillary tail"),
}
VIEW_SHORTHANDS = tuple(VIEW_CODES)
# Older units write the SNOMED-RT (SRT) codes instead.
_LEGACY_CODES = {"R-10242": "CC", "R-10226": "MLO", "R-10224": "ML", "R-10228": "LM", "R-10230": "LMO",
                 "R-1024A": "XCCL", "R-1024B": "XCCM", "R-10244": "FB", "R-102D0": "SIO", "R-102CF": "AT"}  # fmt: skip
_CODE_TO_VIEW = {code: view for view, (code, _) in VIEW_CODES.items()} | _LEGACY_CODES
# Longest meaning first so "cranio-caudal exaggerated laterally" is not read as plain CC.
_VIEW_MEANINGS = sorted(
    ((meaning.split(" (")[0], view) for view, (_, meaning) in VIEW_CODES.items()), key=lambda m: -len(m[0])
)

# View modifiers that make a separate picture of the same breast and projection, so they get their own slot.
_MODIFIER_SUFFIXES = [("spot", "SPOT"), ("magnif", "MAG"), ("implant displaced", "ID")]

_TEXT_ATTRIBUTES = ("SeriesDescription", "ImageComments", "ProtocolName", "AcquisitionDeviceProcessingDescription")
# View shorthands are matched in capitals only: "at" or "ml" inside ordinary words are not views.
_VIEW_ALTERNATION = "|".join(sorted(VIEW_SHORTHANDS, key=len, reverse=True))
_LATERALITY_AND_VIEW = re.compile(rf"\b([RL])[\s_-]?({_VIEW_ALTERNATION})\b")
_LATERALITY_WORD = re.compile(r"\b(right|left)\b", re.IGNORECASE)
_VIEW_WORD = re.compile(rf"\b({_VIEW_ALTERNATION})\b")


def _texts(ds: pydicom.Dataset) -> list[str]:
    return [str(ds.get(keyword) or "") for keyword in _TEXT_ATTRIBUTES]


def _meaning_to_view(meaning: str) -> str | None:
    folded = meaning.lower().replace("mediolateral", "medio-lateral").replace("craniocaudal", "cranio-caudal")
    folded = folded.replace("lateromedial", "latero-medial")
    return next((view for text, view in _VIEW_MEANINGS if text in folded), None)


def laterality_of(ds: pydicom.Dataset) -> str | None:
    """'L' or 'R' from ImageLaterality, else the series Laterality, else description text."""
    for keyword in ("ImageLaterality", "Laterality"):
        value = str(ds.get(keyword) or "").strip().upper()
        if value in ("L", "R"):
            return value
    for text in _texts(ds):
        match = _LATERALITY_AND_VIEW.search(text)
        if match:
            return match.group(1).upper()
        match = _LATERALITY_WORD.search(text)
        if match:
            return match.group(1)[0].upper()
    return None


def _base_view(ds: pydicom.Dataset) -> str | None:
    position = str(ds.get("ViewPosition") or "").strip().upper()
    if position in VIEW_SHORTHANDS:
        return position
    # Some units prefix the laterality ("RCC") or separate it ("R-MLO").
    stripped = position.lstrip("RL").lstrip(" _-")
    if position[:1] in ("R", "L") and stripped in VIEW_SHORTHANDS:
        return stripped
    for item in ds.get("ViewCodeSequence") or []:
        view = _CODE_TO_VIEW.get(str(item.get("CodeValue") or "").strip())
        view = view or _meaning_to_view(str(item.get("CodeMeaning") or ""))
        if view:
            return view
    for text in _texts(ds):
        match = _LATERALITY_AND_VIEW.search(text) or _VIEW_WORD.search(text)
        if match:
            return match.group(match.lastindex).upper()
        view = _meaning_to_view(text)
        if view:
            return view
    return None


def _modifier_suffix(ds: pydicom.Dataset) -> str:
    meanings = [
        str(modifier.get("CodeMeaning") or "").lower()
        for item in ds.get("ViewCodeSequence") or []
        for modifier in item.get("ViewModifierCodeSequence") or []
    ]
    suffixes = [suffix for word, suffix in _MODIFIER_SUFFIXES if any(word in meaning for meaning in meanings)]
    return "".join(f" {suffix}" for suffix in suffixes)


def view_of(ds: pydicom.Dataset) -> str | None:
    """Projection shorthand (CC, MLO, ML, ...) from ViewPosition, else ViewCodeSequence, else description text.

    Spot, magnification and implant-displaced views are suffixed ("CC SPOT") so they do not compete with the
    plain view for its slot.
    """
    view = _base_view(ds)
    return f"{view}{_modifier_suffix(ds)}" if view else None
