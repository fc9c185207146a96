"""A PACS that is down, silent, failing or talking nonsense: each gives a PacsError that says what happened and
what to check, and nothing half-retrieved is left in the cache."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pydicom
import pytest

from cemviewer.pacs.client import check_connection, retrieve, search, store
from cemviewer.pacs.errors import PacsError
from cemviewer.pacs.nodes import DICOMWEB, DIMSE, PacsNode
from cemviewer.pacs.query import StudyQuery
from tests.pacs.bad_servers import http_server, scripted_http_server, silent_server
from tests.pacs.orthanc import ORTHANC_AET, free_port

UID = "1.2.826.0.1.3680043.8.498.1"


def web_node(port: int, path: str = "/dicom-web", read_timeout_s: float = 30) -> PacsNode:
    return PacsNode("Ward PACS", protocol=DICOMWEB, dicomweb_url=f"http://127.0.0.1:{port}{path}",
                    connect_timeout_s=2, read_timeout_s=read_timeout_s)


def assert_cache_empty(cache: Path) -> None:
    assert not (cache / "studies").exists() or not any((cache / "studies").iterdir())


def test_a_server_that_is_down_is_named_with_its_address(private_folders):
    node = web_node(free_port())
    for call in (lambda: search(node, StudyQuery()), lambda: retrieve(node, UID), lambda: check_connection(node)):
        with pytest.raises(PacsError, match=rf"Cannot connect to PACS “Ward PACS” at {node.dicomweb_url}: "
                                            "connection refused; check that the server is running"):
            call()
    assert_cache_empty(private_folders[1])


def test_a_server_that_never_answers_times_out_with_the_timeout_named(private_folders):
    with silent_server() as port:
        node = web_node(port, read_timeout_s=0.5)
        with pytest.raises(PacsError, match=r"did not answer the study search within 0\.5 s; the server is slow"):
            search(node, StudyQuery(patient_id="X"))
        with pytest.raises(PacsError, match=rf"did not answer the instances of study {UID} within 0\.5 s"):
            retrieve(node, UID)
    assert_cache_empty(private_folders[1])


@pytest.mark.parametrize(("status", "words"), [
    (500, "HTTP 500 Internal Server Error to the study search: the archive failed"),
    (503, "HTTP 503 Service Unavailable to the study search: the archive is unavailable"),
    (401, "HTTP 401 Unauthorized to the study search: check the user name and password"),
    (404, "HTTP 404 Not Found to the study search: check the DICOMweb URL"),
])
def test_an_http_error_says_the_status_and_what_to_check(status, words):
    with (http_server(status, b"<html>oops</html>", "text/html") as port,
          pytest.raises(PacsError, match=f"PACS “Ward PACS” answered {words}")):
        search(web_node(port), StudyQuery())


def test_a_server_answering_500_to_a_store_or_a_retrieval(synthetic_study, private_folders):
    files = sorted((synthetic_study / "DICOM").rglob("I0001*"))
    with http_server(500) as port:
        with pytest.raises(PacsError, match="HTTP 500 Internal Server Error to storing 1 object"):
            store(web_node(port), files)
        with pytest.raises(PacsError, match=f"HTTP 500 Internal Server Error to the instances of study {UID}"):
            retrieve(web_node(port), UID)
    assert_cache_empty(private_folders[1])


@pytest.mark.parametrize(("body", "content_type"), [
    (b"this is not json", "application/dicom+json"),
    (json.dumps([["a list, not a dataset"]]).encode(), "application/dicom+json"),
    (json.dumps([{"00100020": {"vr": "LO", "Value": ["P1"]}}]).encode(), "application/dicom+json"),  # no UID
])
def test_a_malformed_search_answer_is_called_not_dicomweb(body, content_type):
    with (http_server(200, body, content_type) as port,
          pytest.raises(PacsError, match="answered the study search with something that is not valid DICOMweb")):
        search(web_node(port), StudyQuery())


@pytest.mark.filterwarnings("ignore:message sent by origin server:UserWarning")
def test_a_malformed_retrieval_leaves_nothing_in_the_cache(private_folders):
    instances = json.dumps([{"00080018": {"vr": "UI", "Value": ["1.2.3"]}}]).encode()

    # The instance list parses; the study itself comes as that same JSON, which is no multipart DICOM body.
    with (http_server(200, instances, "application/dicom+json") as port,
          pytest.raises(PacsError, match=f"answered study {UID} with something that is not valid DICOMweb")):
        retrieve(web_node(port), UID)
    assert_cache_empty(private_folders[1])


def test_orthanc_at_a_url_that_is_not_its_dicomweb_root_gets_advice(orthanc):
    with pytest.raises(PacsError, match="HTTP 400 Bad Request to a test search: .* its DICOMweb root"):
        check_connection(web_node(orthanc.http_port, path=""))
    with pytest.raises(PacsError, match="HTTP 404 Not Found to a test search: check the DICOMweb URL"):
        check_connection(web_node(orthanc.http_port, path="/dicomweb"))
    assert "answers DICOMweb searches" in check_connection(web_node(orthanc.http_port))


def test_a_node_not_set_up_is_refused_before_the_network(private_folders):
    for node, words in ((PacsNode("Ward PACS", dicomweb_url="pacs:8042"), "must start with http"),
                        (PacsNode("Ward PACS", protocol="dimse", host="", called_ae="A" * 17), "host name"),
                        (PacsNode("", dicomweb_url="http://x"), "needs a name")):
        with pytest.raises(PacsError, match=f"is not set up: .*{words}"):
            search(node, StudyQuery())
    with pytest.raises(PacsError, match=r"Search not sent: the study date range starts \(2024-02-01\) after"):
        search(web_node(1), StudyQuery(date_from=date(2024, 2, 1), date_to=date(2024, 1, 1)))
    with pytest.raises(PacsError, match="is not a Study Instance UID"):
        retrieve(web_node(1), "../../etc")


def dimse_node(port: int, read_timeout_s: float = 30, calling_ae: str = "CEMVIEWERTEST") -> PacsNode:
    return PacsNode("Ward PACS", protocol=DIMSE, host="127.0.0.1", port=port, called_ae=ORTHANC_AET,
                    calling_ae=calling_ae, connect_timeout_s=2, read_timeout_s=read_timeout_s)


def test_dimse_to_a_port_nobody_listens_on_says_connection_refused(private_folders):
    node = dimse_node(free_port())
    for call in (lambda: search(node, StudyQuery()), lambda: retrieve(node, UID), lambda: check_connection(node)):
        with pytest.raises(PacsError, match=rf"Cannot connect to PACS “Ward PACS” at {node.address}: "
                                            "connection refused; check that the server is running"):
            call()
    assert_cache_empty(private_folders[1])


def test_dimse_to_a_server_that_never_answers_times_out(private_folders):
    with (silent_server() as port,
          pytest.raises(PacsError, match=r"did not accept the association for the study search within 0\.5 s")):
        search(dimse_node(port, read_timeout_s=0.5), StudyQuery())
    assert_cache_empty(private_folders[1])


def test_dimse_from_an_ae_title_the_archive_does_not_know_is_refused_with_advice(orthanc):
    node = dimse_node(orthanc.dicom_port, calling_ae="STRANGER")
    with pytest.raises(PacsError, match=r"refused the association for a C-ECHO: check the AE titles \(ours: "
                                        "STRANGER, the archive's: ORTHANCTEST\\) and that the archive knows ours"):
        check_connection(node)
    assert "answers C-ECHO" in check_connection(dimse_node(orthanc.dicom_port))


def test_a_cache_that_cannot_be_written_is_named_before_anything_is_fetched(private_folders):
    private_folders[1].parent.mkdir(parents=True, exist_ok=True)
    private_folders[1].write_text("a file where the cache folder should be")
    with pytest.raises(PacsError, match=f"Cannot write to the study cache {private_folders[1] / 'studies'}"):
        retrieve(web_node(free_port()), UID)


def test_a_retrieval_cut_short_leaves_nothing_in_the_cache(synthetic_study, private_folders):
    files = sorted((synthetic_study / "DICOM").rglob("I000[12]*"))
    uid = pydicom.dcmread(files[0], stop_before_pixels=True).StudyInstanceUID
    listed = json.dumps([{"00080018": {"vr": "UI", "Value": [pydicom.dcmread(f).SOPInstanceUID]}}
                         for f in files]).encode()
    boundary = "cut-short"
    one_part = (f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode() + files[0].read_bytes()
                + f"\r\n--{boundary}--\r\n".encode())

    def answer(path: str) -> tuple[int, bytes, str]:
        if "/instances" in path:
            return 200, listed, "application/dicom+json"
        return 200, one_part, f'multipart/related; type="application/dicom"; boundary={boundary}'

    with (scripted_http_server(answer) as port,
          pytest.raises(PacsError, match=f"sent 1 of the 2 instances of study {uid}; try again")):
        retrieve(web_node(port), uid)
    assert_cache_empty(private_folders[1])
