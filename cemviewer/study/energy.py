"""Tell low-energy, high-energy and recombined CEM images apart from what vendors write in the header.

No vendor labels the exposures the same way: Hologic-like units put LOW_ENERGY / HIGH_ENERGY / RECOMBINED in
ImageType, GE-like units say "CESM" or "recombined" in the descriptions, Siemens-like units write SUBTRACTION.
The evidence is weighed from the most to the least specific: ImageType values, then description text, then tube
voltage (a low-energy exposure is taken at about 26-32 kV, the high-energy one at about 45-49 kV, and the
recombined image is DERIVED from both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pydicom

from cemviewer.study.attributes import text
from cemviewer.study.model import Energy

_IMAGE_TYPE_ENERGY = {
    "LOW_ENERGY": Energy.LOW,
    "LE": Energy.LOW,
    "HIGH_ENERGY": Energy.HIGH,
    "HE": Energy.HIGH,
    "RECOMBINED": Energy.RECOMBINED,
    "SUBTRACTION": Energy.RECOMBINED,
    "SUBTRACTED": Energy.RECOMBINED,
}
_GENERIC_IMAGE_TYPES = {"CESM", "CEDM", "CEM", "DUAL_ENERGY", "CONTRAST"}

# Words that name one exposure. They are tested before the generic CEM words below because every image of a
# CEM study may say "CESM" somewhere, the low-energy one included.
_SPECIFIC_WORDS: list[tuple[Energy, re.Pattern[str]]] = [
    (Energy.LOW, re.compile(r"\blow[\s_-]*(energy|kv)\b|\bLE\b", re.IGNORECASE)),
    (Energy.HIGH, re.compile(r"\bhigh[\s_-]*(energy|kv)\b|\bHE\b", re.IGNORECASE)),
    (Energy.RECOMBINED, re.compile(r"\brecomb\w*|\bsubtract\w*|\bsub\b|\bDES\b", re.IGNORECASE)),
]
_GENERIC_CEM_WORDS = re.compile(
    r"\bCESM\b|\bCEDM\b|\bCEM\b|\bdual[\s_-]*energy\b|\bcontrast[\s_-]*enhanced\b|\biodine\b", re.IGNORECASE
)
_TEXT_ATTRIBUTES = (
    "SeriesDescription",
    "AcquisitionDeviceProcessingDescription",
    "ImageComments",
    "DerivationDescription",
    "ProtocolName",
)

LOW_ENERGY_MAX_KVP = 35.0
HIGH_ENERGY_MIN_KVP = 40.0


@dataclass(frozen=True)
class EnergyVerdict:
    energy: Energy | None
    evidence: str  # what decided it, or why nothing could, in words a user can check against the header


def _kvp(ds: pydicom.Dataset) -> float | None:
    try:
        value = ds.get("KVP")
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _first_match(ds: pydicom.Dataset, pattern: re.Pattern[str]) -> str | None:
    for keyword in _TEXT_ATTRIBUTES:
        match = pattern.search(text(ds, keyword))
        if match:
            return f"{keyword} mentions '{match.group(0)}'"
    return None


def classify_energy(ds: pydicom.Dataset) -> EnergyVerdict:
    """Which exposure `ds` is, with the evidence; energy None (and the reason) when the header does not say."""
    image_type = [str(v).strip().upper() for v in (ds.get("ImageType") or [])]
    for value in image_type[2:]:
        if value in _IMAGE_TYPE_ENERGY:
            return EnergyVerdict(_IMAGE_TYPE_ENERGY[value], f"ImageType value {value}")

    for energy, pattern in _SPECIFIC_WORDS:
        evidence = _first_match(ds, pattern)
        if evidence:
            return EnergyVerdict(energy, evidence)

    derived = bool(image_type) and image_type[0] == "DERIVED"
    kvp = _kvp(ds)
    if kvp is not None and kvp <= LOW_ENERGY_MAX_KVP and not derived:
        return EnergyVerdict(Energy.LOW, f"original exposure at {kvp:g} kV")
    generic_type = next((v for v in image_type[2:] if v in _GENERIC_IMAGE_TYPES), None)
    evidence = f"ImageType value {generic_type}" if generic_type else _first_match(ds, _GENERIC_CEM_WORDS)
    if evidence or derived:
        return EnergyVerdict(Energy.RECOMBINED, evidence or "DERIVED image without an energy label")
    if kvp is not None and kvp >= HIGH_ENERGY_MIN_KVP:
        return EnergyVerdict(Energy.HIGH, f"original exposure at {kvp:g} kV")
    return EnergyVerdict(
        None,
        "cannot tell low-energy from recombined: no energy in ImageType or descriptions, "
        + (f"and {kvp:g} kV lies between the two energies" if kvp is not None else "and no kVp"),
    )
