"""The built desktop bundle (dist/cemviewer, `make package`) started as a user would: offscreen, from another
folder, with settings and caches of its own. Deselected by default (pyproject addopts); `make package-test` runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "cemviewer"
EXECUTABLE = BUNDLE / "cemviewer"
SMOKE_TIMEOUT_S = 1200

pytestmark = pytest.mark.bundle


@pytest.fixture(scope="module")
def bundle() -> Path:
    assert EXECUTABLE.is_file(), f"no bundle at {BUNDLE}: build it with `make package`"
    return BUNDLE


def _user_environment(home: Path) -> dict[str, str]:
    """A fresh user: no settings, no demo study or findings cached, nothing pointing back into the repository."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CEMVIEWER_")}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(home), XDG_CACHE_HOME=str(home / "cache"),
               XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"))
    return env


def test_the_bundle_opens_the_demo_study_analyses_it_and_exits_0(bundle, tmp_path):
    result = subprocess.run([str(bundle / "cemviewer"), "--smoke-test"], cwd=tmp_path, env=_user_environment(tmp_path),
                            capture_output=True, text=True, timeout=SMOKE_TIMEOUT_S)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "smoke test passed: 8 images, 4 views analysed" in result.stdout
    assert "radiomics features" in result.stdout
    assert (tmp_path / "cache" / "cemviewer").is_dir()  # the demo study was written for this user


def test_the_bundle_carries_its_models_and_resources(bundle):
    internal = bundle / "_internal"
    for name in ("segmenter.pt", "classifier.pt", "radiomics_xgb.json", "radiomics_xgb.meta.json", "MODEL_CARD.md"):
        assert (internal / "models" / name).is_file(), name
    for name in ("radiomics.yaml", "cemviewer.desktop", "icons/cemviewer.svg", "icons/cemviewer.png"):
        assert (internal / "resources" / name).is_file(), name
    assert not list(internal.glob("models/*.ckpt"))  # training checkpoints stay out


def test_the_bundle_carries_no_large_file_twice(bundle):
    result = subprocess.run([sys.executable, str(ROOT / "packaging" / "check_bundle.py"), str(bundle)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
