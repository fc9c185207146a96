"""The local study cache: each retrieved study in a folder of its own, <cache>/studies/<StudyInstanceUID>/, one
<SOPInstanceUID>.dcm per instance, which cemviewer.study.loader.scan_path opens like any study folder.

The cache is $CEMVIEWER_CACHE_DIR when set, else $XDG_CACHE_HOME/cemviewer (~/.cache/cemviewer). A retrieval
writes into a hidden staging folder next to the study's and renames it into place only once complete, so an
interrupted or failed retrieval never leaves a half study that looks whole; a study retrieved again replaces the
earlier copy.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Self

import pydicom
from pydicom.dataset import Dataset

from cemviewer.pacs.errors import PacsError

CACHE_ENV = "CEMVIEWER_CACHE_DIR"
_SAFE_UID = re.compile(r"^[0-9.]{1,64}$")


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cemviewer"


def study_folder(study_uid: str, root: Path | None = None) -> Path:
    """Where the study is (or will be) cached. PacsError for a UID that is not one (it names a folder)."""
    if not _SAFE_UID.match(study_uid):
        raise PacsError(f"{study_uid[:80]!r} is not a Study Instance UID")
    return (root or cache_dir()) / "studies" / study_uid


class StudyStaging:
    """Collects one study's instances, then publishes them as the study's cache folder.

    Use as a context manager: leaving it without publish() (an error, a cancel) deletes what was written."""

    def __init__(self, study_uid: str, root: Path | None = None) -> None:
        self.target = study_folder(study_uid, root)
        self.study_uid = study_uid
        self.folder = self.target.parent / f".staging-{study_uid}-{uuid.uuid4().hex[:8]}"
        self.count = 0

    def __enter__(self) -> Self:
        try:
            self.folder.mkdir(parents=True)
        except OSError as error:
            raise PacsError(f"Cannot write to the study cache {self.target.parent}: {error}") from error
        return self

    def __exit__(self, *exc_info) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def path_for(self, sop_instance_uid: str) -> Path:
        if not _SAFE_UID.match(sop_instance_uid):
            raise PacsError(f"the archive sent an instance with SOP Instance UID {sop_instance_uid[:80]!r}, "
                            "which is not a UID")
        return self.folder / f"{sop_instance_uid}.dcm"

    def add(self, ds: Dataset) -> Path:
        """Write one instance; PacsError when it is not a usable DICOM object or the disk refuses."""
        study_uid = str(ds.get("StudyInstanceUID", ""))
        if study_uid != self.study_uid:
            raise PacsError(f"the archive sent an instance of study {study_uid or '(none)'} "
                            f"when asked for study {self.study_uid}")
        path = self.path_for(str(ds.get("SOPInstanceUID", "")))
        try:
            pydicom.dcmwrite(path, ds, enforce_file_format=True)
        except OSError as error:
            raise PacsError(f"Cannot write to the study cache {self.folder}: {error}") from error
        except (ValueError, AttributeError, TypeError) as error:
            raise PacsError(f"the archive sent an instance that cannot be written as DICOM: {error}") from error
        self.count += 1
        return path

    def publish(self) -> Path:
        """Replace the study's cache folder by what was collected. PacsError when nothing was."""
        if self.count == 0:
            raise PacsError(f"the archive sent no instances of study {self.study_uid}")
        old = self.target.with_name(f".old-{self.study_uid}-{uuid.uuid4().hex[:8]}")
        try:
            if self.target.exists():
                os.replace(self.target, old)
            os.replace(self.folder, self.target)
        except OSError as error:
            if old.exists() and not self.target.exists():
                os.replace(old, self.target)  # the earlier copy stays rather than none
            raise PacsError(f"Cannot put the retrieved study into the cache {self.target}: {error}") from error
        shutil.rmtree(old, ignore_errors=True)
        return self.target
