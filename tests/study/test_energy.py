"""Energy classification from the header conventions of different CEM vendors."""

from __future__ import annotations

import pydicom
import pytest

from cemviewer.study.energy import classify_energy
from cemviewer.study.model import Energy


def _header(**attributes) -> pydicom.Dataset:
    ds = pydicom.Dataset()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        # Hologic-like: the third ImageType value names the exposure.
        ({"ImageType": ["ORIGINAL", "PRIMARY", "", "LOW_ENERGY"], "KVP": "29"}, Energy.LOW),
        ({"ImageType": ["ORIGINAL", "PRIMARY", "", "HIGH_ENERGY"], "KVP": "45"}, Energy.HIGH),
        ({"ImageType": ["DERIVED", "PRIMARY", "", "RECOMBINED"], "KVP": "45"}, Energy.RECOMBINED),
        # Siemens-like: subtraction.
        ({"ImageType": ["DERIVED", "PRIMARY", "SUBTRACTION"]}, Energy.RECOMBINED),
        # GE-like: plain ImageType, the description tells.
        ({"ImageType": ["ORIGINAL", "PRIMARY"], "SeriesDescription": "CESM recombined", "KVP": "49"},
         Energy.RECOMBINED),
        ({"ImageType": ["ORIGINAL", "PRIMARY"], "SeriesDescription": "R CC Low Energy CESM", "KVP": "31"},
         Energy.LOW),
        ({"AcquisitionDeviceProcessingDescription": "LE", "KVP": "47"}, Energy.LOW),
        ({"ImageComments": "high-energy exposure"}, Energy.HIGH),
        ({"DerivationDescription": "dual energy subtracted image"}, Energy.RECOMBINED),
        # "CESM" on every image: a low-kV original exposure is still the low-energy image.
        ({"ImageType": ["ORIGINAL", "PRIMARY"], "SeriesDescription": "CESM RCC", "KVP": "28"}, Energy.LOW),
        ({"ImageType": ["DERIVED", "PRIMARY"], "SeriesDescription": "CESM RCC", "KVP": "28"}, Energy.RECOMBINED),
        ({"ImageType": ["ORIGINAL", "PRIMARY", "", "DUAL_ENERGY"], "KVP": "45"}, Energy.RECOMBINED),
        # No label anywhere: kVp and ORIGINAL/DERIVED decide.
        ({"ImageType": ["ORIGINAL", "PRIMARY"], "KVP": "28"}, Energy.LOW),
        ({"KVP": "26"}, Energy.LOW),
        ({"ImageType": ["ORIGINAL", "PRIMARY"], "KVP": "48"}, Energy.HIGH),
        ({"ImageType": ["DERIVED", "PRIMARY"], "KVP": "48"}, Energy.RECOMBINED),
        ({"ImageType": ["DERIVED", "SECONDARY"]}, Energy.RECOMBINED),
    ],
)
def test_vendor_conventions(attributes, expected):
    verdict = classify_energy(_header(**attributes))
    assert verdict.energy is expected, verdict.evidence
    assert verdict.evidence


@pytest.mark.parametrize(
    ("attributes", "words"),
    [
        ({"ImageType": ["ORIGINAL", "PRIMARY"]}, "no kVp"),
        ({"ImageType": ["ORIGINAL", "PRIMARY"], "KVP": "38"}, "38 kV"),
        ({"SeriesDescription": "breast"}, "no kVp"),
    ],
)
def test_undecidable_images_get_a_reason(attributes, words):
    verdict = classify_energy(_header(**attributes))
    assert verdict.energy is None
    assert "cannot tell" in verdict.evidence and words in verdict.evidence


def test_words_inside_other_words_do_not_count():
    # "LEFT" contains "LE", "subtle" contains "sub": neither is an energy label.
    verdict = classify_energy(_header(SeriesDescription="LEFT subtle findings", ImageType=["ORIGINAL", "PRIMARY"]))
    assert verdict.energy is None
