"""One DICOM attribute as text: present, padded, absent, empty, or unconvertible."""

from __future__ import annotations

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.tag import Tag

from cemviewer.study.attributes import text


def test_values_read_as_stripped_text_and_missing_ones_as_empty():
    ds = pydicom.Dataset()
    ds.PatientID = " P001 "
    ds.StudyDescription = ""
    ds.KVP = "28"
    assert text(ds, "PatientID") == "P001"
    assert text(ds, "StudyDescription") == "" and text(ds, "AccessionNumber") == ""
    assert text(ds, "KVP") == "28"


def test_a_value_pydicom_cannot_convert_reads_as_empty():
    ds = pydicom.Dataset()
    # A Decimal String that is not a number, stored raw as a file would hold it: converted only when read.
    ds[Tag("KVP")] = RawDataElement(Tag("KVP"), "DS", 8, b"not-a-nr", 0, True, True)
    pydicom.config.settings.reading_validation_mode = pydicom.config.RAISE
    try:
        assert text(ds, "KVP") == ""
    finally:
        pydicom.config.settings.reading_validation_mode = pydicom.config.WARN
