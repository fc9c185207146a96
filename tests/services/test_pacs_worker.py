"""The PACS worker against a real Orthanc: results arrive on the UI thread with progress; a request replaced by a
newer one or cancelled is never heard of again, and a cancelled retrieval leaves nothing in the cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from cemviewer.pacs.cache import CACHE_ENV
from cemviewer.pacs.client import store
from cemviewer.pacs.nodes import PacsNode
from cemviewer.pacs.query import StudyQuery
from cemviewer.services.pacs_worker import PacsWorker
from tests.annotations.study_helpers import only_study
from tests.pacs.bad_servers import silent_server
from tests.pacs.orthanc import dicomweb_node_fixture, orthanc_fixture  # noqa: F401 - fixtures

TIMEOUT_MS = 30_000


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def worker(qtbot):
    worker = PacsWorker()
    yield worker
    worker.shutdown()


def record(worker: PacsWorker) -> list[tuple]:
    heard = []
    for name in ("searched", "retrieved", "stored", "tested", "failed", "cancelled", "progress"):
        getattr(worker, name).connect(lambda *args, name=name: heard.append((name, *args)))
    return heard


def test_a_retrieval_reports_progress_then_the_cached_folder(qtbot, worker, dicomweb_node, synthetic_study, cache):
    store(dicomweb_node, sorted(p for p in (synthetic_study / "DICOM").rglob("*") if p.is_file()))
    uid = only_study(synthetic_study).study_uid
    heard = record(worker)
    with qtbot.waitSignal(worker.finished, timeout=TIMEOUT_MS):
        worker.retrieve(dicomweb_node, uid)
    assert heard[0] == ("progress", 0, 8) and heard[-2] == ("progress", 8, 8)
    assert heard[-1] == ("retrieved", cache / "studies" / uid) and not worker.busy
    assert [name for name, *_ in heard].count("progress") == 9


def test_a_request_replaced_or_cancelled_is_not_heard_of_again(qtbot, worker, dicomweb_node, synthetic_study,
                                                               cache):
    store(dicomweb_node, sorted(p for p in (synthetic_study / "DICOM").rglob("*") if p.is_file()))
    heard = record(worker)
    with silent_server() as port:
        silent = PacsNode("Silent", dicomweb_url=f"http://127.0.0.1:{port}/dicom-web", read_timeout_s=1)
        worker.search(silent, StudyQuery())
        with qtbot.waitSignal(worker.searched, timeout=TIMEOUT_MS) as searched:
            worker.search(dicomweb_node, StudyQuery())  # replaces the silent one
        assert [summary.patient_id for summary in searched.args[0]] == ["SYN000007"]
        worker.retrieve(silent, only_study(synthetic_study).study_uid)
        worker.cancel()
        assert not worker.busy
        qtbot.wait(1500)  # the silent server's timeout passes: its failure must not surface
    assert [name for name, *_ in heard] == ["searched", "cancelled"]
    assert not (cache / "studies").exists() or not any((cache / "studies").iterdir())
