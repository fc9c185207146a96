"""numpy stops advising huge pages once the loader asks for small ones."""

from __future__ import annotations

import pytest

from cemviewer.study.fresh_memory import numpy_huge_page_switch, prefer_small_pages


@pytest.fixture
def numpy_switch():
    """numpy's huge-page switch, advising huge pages at the start and set back to what it was after the test."""
    switch = numpy_huge_page_switch()
    assert switch is not None, "the installed numpy has no huge-page switch"
    was = switch(True)
    yield switch
    switch(was)


def test_numpy_no_longer_advises_huge_pages(numpy_switch):
    prefer_small_pages()
    assert numpy_switch(False) is False


def test_asking_twice_changes_nothing(numpy_switch):
    prefer_small_pages()
    prefer_small_pages()
    assert numpy_switch(False) is False
