"""PACS node settings: pacs.json in the configuration folder, written privately, read back the same, and a file
that is not a configuration named with what is wrong."""

from __future__ import annotations

import stat
from datetime import date

import pytest

from cemviewer.pacs.errors import PacsError
from cemviewer.pacs.nodes import (
    DIMSE,
    PacsConfig,
    PacsNode,
    config_path,
    load_config,
    save_config,
)
from cemviewer.pacs.query import StudyQuery


def test_nodes_saved_come_back_the_same_from_the_configured_folder(private_folders):
    assert load_config() == PacsConfig()  # no file yet: no nodes
    config = PacsConfig()
    config.put(PacsNode("Hospital", dicomweb_url="http://pacs:8042/dicom-web", username="u", password="p"))
    config.put(PacsNode("Modality", protocol=DIMSE, host="10.0.0.5", port=11112, called_ae="ARCHIVE"))
    path = save_config(config)
    assert path == config_path() == private_folders[0] / "pacs.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it may hold a password
    assert load_config() == config and config.default == "Hospital"
    assert config.node().name == "Hospital" and config.node("Modality").port == 11112 and config.node("x") is None

    config.put(PacsNode("Hospital 2", dicomweb_url="http://pacs2/dicom-web"), replacing="Hospital")
    assert [node.name for node in config.nodes] == ["Hospital 2", "Modality"] and config.default == "Hospital 2"


@pytest.mark.parametrize(("text", "words"), [
    ("{not json", "Expecting property name"),
    ('["a list"]', 'expected {"nodes"'),
    ('{"nodes": [{"name": "A", "colour": "red"}]}', "unknown setting colour"),
    ('{"nodes": [{"name": "A", "port": "104"}]}', "port must be a whole number"),
    ('{"nodes": [42]}', "a node must be an object"),
])
def test_a_settings_file_that_is_not_one_is_named_with_the_fault(private_folders, text, words):
    config_path().parent.mkdir(parents=True)
    config_path().write_text(text)
    with pytest.raises(PacsError, match=f"The PACS settings {config_path()} are not usable .*{words}"):
        load_config()


def test_query_keys_follow_what_the_user_typed():
    assert StudyQuery().matching_keys() == {}
    assert StudyQuery(patient_name=" doe,  jane ").matching_keys() == {"PatientName": "*doe*jane*"}
    assert StudyQuery(patient_name="DOE^J?NE").matching_keys() == {"PatientName": "DOE*J?NE"}
    assert StudyQuery(patient_id=" P1 ", accession_number="A*").matching_keys() == {
        "PatientID": "P1", "AccessionNumber": "A*"}
    assert StudyQuery(date_from=date(2024, 1, 2)).matching_keys() == {"StudyDate": "20240102-"}
    assert StudyQuery(date_to=date(2024, 1, 2)).matching_keys() == {"StudyDate": "-20240102"}
    assert StudyQuery(date_from=date(2024, 1, 2), date_to=date(2024, 3, 4)).matching_keys() == {
        "StudyDate": "20240102-20240304"}
