"""DICOM values spelled out for the study panel."""

from __future__ import annotations

from cemviewer.study.dicom_text import age, dicom_date, person_name, sex


def test_person_names_read_family_name_first():
    assert person_name("DOE^JANE^MARIE^MRS") == "DOE, JANE MARIE"
    assert person_name("DOE") == "DOE"
    assert person_name("^JANE") == "JANE"
    assert person_name("Yamada^Tarou=山田^太郎") == "Yamada, Tarou"


def test_dates_are_iso_and_bad_ones_are_kept_as_written():
    assert dicom_date("20240115") == "2024-01-15"
    assert dicom_date("2024.01.15") == "2024-01-15"
    assert dicom_date("20241315") == "20241315"
    assert dicom_date("") == ""


def test_age_comes_from_patient_age_or_the_birth_date():
    assert age("052Y", "", "") == "52 years"
    assert age("006M", "", "") == "6 months"
    assert age("", "19790815", "20240103") == "44 years"
    assert age("", "19790103", "20240103") == "45 years"
    assert age("", "19790815", "") == ""


def test_sex_is_spelled_out():
    assert (sex("F"), sex("m"), sex("O"), sex("")) == ("Female", "Male", "Other", "")
