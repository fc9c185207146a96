"""`cemviewer --smoke-test`, the check the packaged bundle runs, from the installed package: a fresh user's demo
study opened offscreen, analysed by the real models and assessed with radiomics; exit status 0."""

from __future__ import annotations

import os
import subprocess
import sys

SMOKE_TIMEOUT_S = 900


def test_smoke_test_opens_the_demo_study_analyses_it_and_exits_0(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("CEMVIEWER_")}
    env.update(QT_QPA_PLATFORM="offscreen", XDG_CACHE_HOME=str(tmp_path / "cache"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    result = subprocess.run([sys.executable, "-c", "from cemviewer.cli import main; raise SystemExit(main())",
                             "--smoke-test"], env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=SMOKE_TIMEOUT_S)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "smoke test passed: 8 images, 4 views analysed" in result.stdout
    assert "radiomics features" in result.stdout
    assert not (tmp_path / "data").exists()  # the autosave wrote into the check's own scratch folder
