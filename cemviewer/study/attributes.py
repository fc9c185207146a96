"""Reading one DICOM attribute as text, for the scanner, the energy classifier and the PACS query results."""

from __future__ import annotations

from pydicom import Dataset


def text(ds: Dataset, keyword: str) -> str:
    """The attribute as text without surrounding spaces; absent, empty or unreadable values read as "". A value
    pydicom cannot convert must not fail a whole folder scan or search."""
    try:
        value = ds.get(keyword)
        return "" if value is None else str(value).strip()
    except Exception:  # noqa: BLE001 - lazily converted values raise whatever their VR parser raises
        return ""
