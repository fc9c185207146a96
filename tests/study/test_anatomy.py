"""Laterality and view from the attribute a vendor filled in, with fallbacks for the ones it left empty."""

from __future__ import annotations

import pydicom
import pytest
from pydicom.sequence import Sequence

from cemviewer.study.anatomy import laterality_of, view_of


def _code(value: str = "", meaning: str = "", scheme: str = "SCT") -> pydicom.Dataset:
    item = pydicom.Dataset()
    if value:
        item.CodeValue, item.CodingSchemeDesignator = value, scheme
    if meaning:
        item.CodeMeaning = meaning
    return item


def _header(**attributes) -> pydicom.Dataset:
    ds = pydicom.Dataset()
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)
    return ds


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"ImageLaterality": "L", "Laterality": "R"}, "L"),
        ({"Laterality": "R"}, "R"),
        ({"ImageLaterality": "B", "Laterality": "L"}, "L"),
        ({"SeriesDescription": "CESM L MLO"}, "L"),
        ({"ImageComments": "RCC recombined"}, "R"),
        ({"ProtocolName": "Right breast contrast"}, "R"),
        ({"SeriesDescription": "recombined"}, None),
        ({}, None),
    ],
)
def test_laterality(attributes, expected):
    assert laterality_of(_header(**attributes)) == expected


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"ViewPosition": "MLO"}, "MLO"),
        ({"ViewPosition": "RCC"}, "CC"),
        ({"ViewPosition": "L_XCCL"}, "XCCL"),
        ({"ViewCodeSequence": Sequence([_code("399368009")])}, "MLO"),
        ({"ViewCodeSequence": Sequence([_code("R-10242", scheme="SRT")])}, "CC"),
        ({"ViewCodeSequence": Sequence([_code(meaning="cranio-caudal exaggerated laterally")])}, "XCCL"),
        ({"ViewCodeSequence": Sequence([_code(meaning="Mediolateral oblique")])}, "MLO"),
        ({"ViewCodeSequence": Sequence([_code(meaning="latero-medial")])}, "LM"),
        ({"SeriesDescription": "Low energy R MLO"}, "MLO"),
        ({"SeriesDescription": "recombined LCC"}, "CC"),
        ({"SeriesDescription": "image taken at noon"}, None),
        ({}, None),
    ],
)
def test_view(attributes, expected):
    assert view_of(_header(**attributes)) == expected


def test_spot_and_magnification_views_get_their_own_slot():
    item = _code("399162004")
    item.ViewModifierCodeSequence = Sequence([_code("R-102D2", "Spot Compression", "SRT"),
                                              _code("R-102D3", "Magnification", "SRT")])
    assert view_of(_header(ViewPosition="CC", ViewCodeSequence=Sequence([item]))) == "CC SPOT MAG"
