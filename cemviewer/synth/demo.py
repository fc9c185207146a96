"""The built-in demo study opened by `cemviewer` without a path: written once per user, then reused."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from cemviewer.synth.study import write_study
from cemviewer.synth.truth import TRUTH_FILE

DEMO_VERSION = "demo-v3"  # bump when the synthesizer changes what seed 0 looks like
DEMO_SEED = 0


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cemviewer"


def demo_study_path() -> Path:
    """Folder of the demo study (seed 0, full size), written on first use.

    It is written to a temporary sibling folder and renamed into place, so an interrupted first run or two
    viewers starting together never leave a half-written study behind.
    """
    target = cache_root() / DEMO_VERSION
    if (target / TRUTH_FILE).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{DEMO_VERSION}-", dir=target.parent))
    try:
        write_study(staging, seed=DEMO_SEED)
        try:
            staging.rename(target)
        except OSError:
            # Another process finished first (the target now exists); its study is the same one.
            if not (target / TRUTH_FILE).is_file():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target
