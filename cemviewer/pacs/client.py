"""What the application asks of a PACS, whichever protocol the node speaks: test the connection, search studies,
retrieve a study into the local cache, store DICOM files (our SEG and SR) back.

Each call opens a connection, does its work and closes it; all of them raise PacsError with a message for the
user, and retrieve raises PacsCancelled when `cancelled()` turns true (nothing partial is left in the cache).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from cemviewer.pacs.cache import StudyStaging, study_folder
from cemviewer.pacs.errors import PacsError
from cemviewer.pacs.nodes import DIMSE, PacsNode
from cemviewer.pacs.query import StudyQuery, StudySummary

DEFAULT_LIMIT = 200  # studies per search: a worklist, not a census of the archive

Progress = Callable[[int, int], None]  # (instances done, instances in all)


class Connection(Protocol):
    node: PacsNode

    def echo(self) -> str: ...
    def search_studies(self, query: StudyQuery, limit: int) -> list[StudySummary]: ...
    def retrieve_study(self, study_uid: str, staging: StudyStaging, progress: Progress,
                       cancelled: Callable[[], bool]) -> None: ...
    def store(self, datasets: list[Dataset]) -> None: ...
    def close(self) -> None: ...


@contextmanager
def connection(node: PacsNode):
    problems = node.problems()
    if problems:
        raise PacsError(f"PACS “{node.name or '(unnamed)'}” is not set up: {'; '.join(problems)}")
    if node.protocol == DIMSE:
        from cemviewer.pacs.dimse import DimseConnection

        opened: Connection = DimseConnection(node)
    else:
        from cemviewer.pacs.dicomweb import DicomwebConnection

        opened = DicomwebConnection(node)
    try:
        yield opened
    finally:
        opened.close()


def check_connection(node: PacsNode) -> str:
    """A sentence saying the node answers; PacsError saying why it does not."""
    with connection(node) as opened:
        return opened.echo()


def search(node: PacsNode, query: StudyQuery, limit: int = DEFAULT_LIMIT) -> list[StudySummary]:
    """The studies matching `query`, newest first, at most `limit`."""
    problems = query.problems()
    if problems:
        raise PacsError(f"Search not sent: {'; '.join(problems)}")
    with connection(node) as opened:
        found = opened.search_studies(query, limit)
    return sorted(found, key=lambda s: (s.study_date, s.study_time), reverse=True)


def retrieve(node: PacsNode, study_uid: str, progress: Progress | None = None,
             cancelled: Callable[[], bool] | None = None, cache_root: Path | None = None) -> Path:
    """Fetch every instance of the study into its cache folder (replacing an earlier copy) and return the
    folder, ready for cemviewer.study.loader.scan_path."""
    study_folder(study_uid, cache_root)  # a bad UID fails before the network is touched
    with connection(node) as opened, StudyStaging(study_uid, cache_root) as staging:
        opened.retrieve_study(study_uid, staging, progress or _ignore, cancelled or _never)
        return staging.publish()


def store(node: PacsNode, paths: Iterable[Path]) -> int:
    """Send the DICOM files to the node; the number stored. PacsError for a file that is not DICOM (before
    anything is sent) or when the archive refuses any of them."""
    datasets = [_read(Path(path)) for path in paths]
    if not datasets:
        raise PacsError("Nothing to send: no DICOM files were given")
    with connection(node) as opened:
        opened.store(datasets)
    return len(datasets)


def _read(path: Path) -> Dataset:
    try:
        return pydicom.dcmread(path)
    except (OSError, InvalidDicomError) as error:
        raise PacsError(f"{path} cannot be sent: {error}") from error


def _ignore(done: int, total: int) -> None:
    pass


def _never() -> bool:
    return False
