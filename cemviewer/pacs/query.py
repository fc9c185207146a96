"""A study search as the user types it, and each study found as the results table shows it.

Both protocols speak the same study-level attributes: a query becomes DICOM matching keys (keyword -> value), an
answer is a pydicom Dataset (DICOMweb's JSON and a C-FIND response alike) read into a StudySummary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from pydicom.dataset import Dataset

from cemviewer.study.attributes import text

# What the results table shows; asked for explicitly, as an archive returns only the keys it is asked for.
RETURN_KEYS = ("StudyInstanceUID", "PatientName", "PatientID", "PatientBirthDate", "StudyDate", "StudyTime",
               "AccessionNumber", "StudyDescription", "ModalitiesInStudy", "NumberOfStudyRelatedSeries",
               "NumberOfStudyRelatedInstances")
_WILDCARD = re.compile(r"[*?]")
_NAME_SEPARATORS = re.compile(r"[\s,^]+")


@dataclass(frozen=True)
class StudyQuery:
    """Empty fields match anything. A patient name matches anywhere in the name (case as the archive does it),
    its words in order, unless it holds a wildcard (* or ?) of the user's own; ID and accession number match
    exactly unless they hold one."""

    patient_name: str = ""
    patient_id: str = ""
    accession_number: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def problems(self) -> list[str]:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            return [f"the study date range starts ({self.date_from}) after it ends ({self.date_to})"]
        return []

    def matching_keys(self) -> dict[str, str]:
        keys = {}
        words = _NAME_SEPARATORS.split(self.patient_name.strip())
        if any(words):
            # "doe, jane" and "doe jane" find DOE^JANE: a wildcard between the words spans the ^ between the
            # name's components, and a "^" itself cannot be sent to every archive (see dicomweb._QuerySession).
            name = "*".join(word for word in words if word)
            keys["PatientName"] = name if _WILDCARD.search(self.patient_name) else f"*{name}*"
        if self.patient_id.strip():
            keys["PatientID"] = self.patient_id.strip()
        if self.accession_number.strip():
            keys["AccessionNumber"] = self.accession_number.strip()
        if self.date_from or self.date_to:
            keys["StudyDate"] = "-".join(d.strftime("%Y%m%d") if d else "" for d in (self.date_from, self.date_to))
        return keys


@dataclass(frozen=True)
class StudySummary:
    study_uid: str
    patient_name: str = ""  # as DICOM writes it, DOE^JANE
    patient_id: str = ""
    birth_date: str = ""  # YYYYMMDD
    study_date: str = ""  # YYYYMMDD
    study_time: str = ""
    accession_number: str = ""
    description: str = ""
    modalities: tuple[str, ...] = ()
    series_count: int | None = None  # None when the archive did not say
    instance_count: int | None = None

    @property
    def display_name(self) -> str:
        """DOE^JANE as "DOE, JANE"."""
        parts = [part for part in self.patient_name.split("^")[:2] if part]
        return ", ".join(parts)

    @classmethod
    def from_dataset(cls, ds: Dataset) -> StudySummary:
        """ValueError when the answer has no Study Instance UID (nothing could be retrieved by it)."""
        uid = str(ds.get("StudyInstanceUID", "") or "").strip()
        if not uid:
            raise ValueError("a study without a Study Instance UID")
        modalities = ds.get("ModalitiesInStudy", "") or ()
        return cls(
            study_uid=uid,
            patient_name=text(ds, "PatientName"),
            patient_id=text(ds, "PatientID"),
            birth_date=text(ds, "PatientBirthDate"),
            study_date=text(ds, "StudyDate"),
            study_time=text(ds, "StudyTime"),
            accession_number=text(ds, "AccessionNumber"),
            description=text(ds, "StudyDescription"),
            modalities=(str(modalities),) if isinstance(modalities, str) else tuple(str(m) for m in modalities),
            series_count=_count(ds, "NumberOfStudyRelatedSeries"),
            instance_count=_count(ds, "NumberOfStudyRelatedInstances"),
        )


def _count(ds: Dataset, keyword: str) -> int | None:
    value = ds.get(keyword)
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
