"""The PACS tests talk to a real Orthanc (tests/pacs/orthanc.py); settings and cache go to the test's own folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from cemviewer.pacs.cache import CACHE_ENV
from cemviewer.pacs.nodes import CONFIG_ENV
from tests.pacs.orthanc import (  # noqa: F401 - fixtures
    dicomweb_node_fixture,
    dimse_node_fixture,
    orthanc_fixture,
)


@pytest.fixture(autouse=True)
def private_folders(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """(configuration folder, study cache) of the test's own, never the user's ~/.config or ~/.cache."""
    config, cache = tmp_path / "config", tmp_path / "cache"
    monkeypatch.setenv(CONFIG_ENV, str(config))
    monkeypatch.setenv(CACHE_ENV, str(cache))
    return config, cache
