"""The hanging convention and the flips that restore it."""

from __future__ import annotations

import pytest

from cemviewer.study.orientation import conventional_orientation, display_flips


@pytest.mark.parametrize(
    ("laterality", "view", "expected"),
    [("R", "CC", ("P", "L")), ("L", "CC", ("A", "R")), ("R", "MLO", ("P", "FL")), ("L", "MLO", ("A", "FR")),
     ("R", "ML", ("P", "F")), ("L", "LM", ("A", "F")), ("L", "CC SPOT", ("A", "R"))],
)
def test_conventional_orientation(laterality, view, expected):
    assert conventional_orientation(laterality, view) == expected
    assert display_flips(list(expected), laterality, view) == (False, False)


@pytest.mark.parametrize(
    ("orientation", "laterality", "view", "flips"),
    [
        (["A", "L"], "R", "CC", (True, False)),
        (["P", "R"], "R", "CC", (False, True)),
        (["A", "R"], "R", "CC", (True, True)),
        (["P", "L"], "L", "CC", (True, True)),
        (["A", "HR"], "L", "MLO", (False, True)),
        (["A", "FL"], "R", "MLO", (True, False)),
        (["P", "H"], "R", "ML", (False, True)),
    ],
)
def test_mirrored_images_are_flipped(orientation, laterality, view, flips):
    assert display_flips(orientation, laterality, view) == flips


@pytest.mark.parametrize("orientation", [None, [], ["P"], ["F", "P"]])
def test_missing_or_rotated_orientation_is_left_alone(orientation):
    assert display_flips(orientation, "R", "CC") == (False, False)
