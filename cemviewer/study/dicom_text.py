"""DICOM values as a reader expects to see them: names, dates, ages and sexes spelled out. No Qt."""

from __future__ import annotations

from datetime import date

_SEX = {"F": "Female", "M": "Male", "O": "Other"}
_AGE_UNITS = {"D": "days", "W": "weeks", "M": "months", "Y": "years"}


def person_name(value: str) -> str:
    """'DOE^JANE^^MRS' -> 'DOE, JANE' (family, given middle); other text unchanged."""
    parts = [part.strip() for part in value.split("=")[0].split("^")]
    family, given = parts[0], " ".join(p for p in parts[1:3] if p)
    return f"{family}, {given}" if family and given else family or given


def parse_date(value: str) -> date | None:
    text = value.strip().replace(".", "")
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def dicom_date(value: str) -> str:
    """'20240115' -> '2024-01-15'; a value that is not a date is shown as written."""
    parsed = parse_date(value)
    return parsed.isoformat() if parsed else value.strip()


def age(age_string: str, birth_date: str, study_date: str) -> str:
    """'052Y' -> '52 years'; without PatientAge, the whole years from birth to the study."""
    text = age_string.strip().upper()
    if len(text) == 4 and text[:3].isdigit() and text[3] in _AGE_UNITS:
        return f"{int(text[:3])} {_AGE_UNITS[text[3]]}"
    born, seen = parse_date(birth_date), parse_date(study_date)
    if born and seen and seen >= born:
        years = seen.year - born.year - ((seen.month, seen.day) < (born.month, born.day))
        return f"{years} years"
    return text


def sex(value: str) -> str:
    return _SEX.get(value.strip().upper(), value.strip())
