"""`cemviewer pacs` against a real Orthanc: store a study's folder, search it, retrieve it, echo; a node that is not
configured or a server that is down gives exit status 1 and the reason."""

from __future__ import annotations

import json

import pytest

from cemviewer.cli import main
from cemviewer.pacs.cache import CACHE_ENV
from cemviewer.pacs.nodes import CONFIG_ENV, DIMSE, PacsConfig, PacsNode, save_config
from tests.annotations.study_helpers import only_study
from tests.pacs.orthanc import (  # noqa: F401 - fixtures
    ORTHANC_AET,
    OUR_AET,
    dicomweb_node_fixture,
    free_port,
    orthanc_fixture,
)


@pytest.fixture(autouse=True)
def private_pacs_folders(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "config"))
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))


def test_store_search_retrieve_and_echo_through_the_configured_nodes(capsys, orthanc, synthetic_study, tmp_path):
    save_config(PacsConfig([PacsNode("Web", dicomweb_url=orthanc.dicomweb_url),
                            PacsNode("Dimse", protocol=DIMSE, host="127.0.0.1", port=orthanc.dicom_port,
                                     called_ae=ORTHANC_AET, calling_ae=OUR_AET)], "Web"))
    study = only_study(synthetic_study)
    assert main(["pacs", "nodes"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"* Web: dicomweb {orthanc.dicomweb_url}", f"  Dimse: dimse {ORTHANC_AET}@127.0.0.1:{orthanc.dicom_port}"]

    assert main(["pacs", "store", str(synthetic_study / "DICOM")]) == 0
    assert capsys.readouterr().out == "stored 8 objects on Web\n"
    assert main(["pacs", "search", "--node", "Dimse", "--id", study.patient.patient_id, "--json"]) == 0
    [found] = json.loads(capsys.readouterr().out)
    assert (found["study_uid"], found["instance_count"]) == (study.study_uid, 8)
    assert main(["pacs", "search", "--accession", study.accession_number]) == 0
    assert capsys.readouterr().out.split("\t")[-1] == study.study_uid + "\n"

    assert main(["pacs", "retrieve", study.study_uid]) == 0
    folder = capsys.readouterr().out.strip()
    assert folder == str(tmp_path / "cache" / "studies" / study.study_uid)
    assert only_study(tmp_path / "cache").study_uid == study.study_uid
    assert main(["pacs", "echo", "--node", "Dimse"]) == 0
    assert "answers C-ECHO" in capsys.readouterr().out


def test_no_node_a_server_down_and_bad_arguments_say_why(capsys):
    assert main(["pacs", "search"]) == 1
    assert "cemviewer pacs: no PACS node in" in capsys.readouterr().err
    assert main(["pacs", "echo", "--url", f"http://127.0.0.1:{free_port()}/dicom-web"]) == 1
    assert "connection refused" in capsys.readouterr().err
    assert main(["pacs", "retrieve", "--url", "http://127.0.0.1:1/dicom-web"]) == 2
    assert "retrieve takes one Study Instance UID" in capsys.readouterr().err
