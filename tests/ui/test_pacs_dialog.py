"""File ▸ Open from PACS… and Send annotations to PACS in the real main window, against a real Orthanc: search,
results, retrieve opens the study; a PACS that is down or silent is explained, can be cancelled, and the viewer
goes on; the settings dialog tests and saves a node."""

from __future__ import annotations

import shutil
from pathlib import Path

import highdicom as hd
import pydicom
import pytest
from PySide6.QtCore import Qt

from cemviewer.ai.pipeline import MODELS_ENV
from cemviewer.annotations.records import study_records
from cemviewer.annotations.seg_reader import import_segmentations
from cemviewer.annotations.seg_writer import write_segmentations
from cemviewer.pacs.cache import CACHE_ENV, study_folder
from cemviewer.pacs.client import retrieve, search, store
from cemviewer.pacs.nodes import (
    CONFIG_ENV,
    DIMSE,
    PacsConfig,
    PacsNode,
    load_config,
    save_config,
)
from cemviewer.pacs.query import StudyQuery
from cemviewer.ui.pacs_settings import PacsSettingsDialog
from tests.annotations.study_helpers import only_study, truth_records
from tests.pacs.bad_servers import silent_server
from tests.pacs.orthanc import (  # noqa: F401 - fixtures
    ORTHANC_AET,
    OUR_AET,
    dicomweb_node_fixture,
    free_port,
    orthanc_fixture,
)
from tests.ui.conftest import LOAD_TIMEOUT_MS

PACS_TIMEOUT_MS = 30_000
SEND_TIMEOUT_MS = 180_000  # the SR's assessment runs the models on the CPU first


@pytest.fixture(autouse=True)
def private_pacs_folders(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "config"))
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))


def configure(*nodes: PacsNode) -> None:
    config = PacsConfig()
    for node in nodes:
        config.put(node)
    save_config(config)


def dicom_files(folder: Path) -> list[Path]:
    return sorted(path for path in (folder / "DICOM").rglob("*") if path.is_file())


def search_for(qtbot, dialog, **fields) -> None:
    dialog.patient_id.setText(fields.get("patient_id", ""))
    dialog.patient_name.setText(fields.get("patient_name", ""))
    with qtbot.waitSignal(dialog.worker.finished, timeout=PACS_TIMEOUT_MS):
        qtbot.mouseClick(dialog.search_button, Qt.MouseButton.LeftButton)


def lesion_fields(editor) -> list[tuple]:
    return [(r.view, r.number, r.box, r.label, r.note, r.mask.tobytes()) for r in study_records(editor.sets)]


def cell_texts(dialog) -> list[list[str]]:
    table = dialog.table
    return [[table.item(row, column).text() for column in range(table.columnCount())]
            for row in range(table.rowCount())]


def test_search_lists_the_study_and_retrieve_opens_it_in_the_window(qtbot, window, dicomweb_node, synthetic_study):
    configure(dicomweb_node)
    store(dicomweb_node, dicom_files(synthetic_study))
    original = only_study(synthetic_study)
    dialog = window.pacs.show_dialog()
    qtbot.waitExposed(dialog)
    assert dialog.node_choice.currentText() == dicomweb_node.name

    search_for(qtbot, dialog, patient_id="SYN999999")
    assert dialog.table.rowCount() == 0 and dialog.status.text().startswith("0 studies found")
    assert not dialog.retrieve_button.isEnabled()

    search_for(qtbot, dialog, patient_name=original.patient.patient_name.split("^")[1].lower())
    family, given = original.patient.patient_name.split("^")
    born, seen = (f"{value[:4]}-{value[4:6]}-{value[6:]}" for value in (original.patient.birth_date,
                                                                       original.study_date))
    assert cell_texts(dialog) == [[f"{family}, {given}", original.patient.patient_id, born, seen,
                                   original.accession_number, original.study_description, "MG", "8"]]
    assert dialog.status.text().startswith("1 study found") and dialog.retrieve_button.isEnabled()

    with qtbot.waitSignal(window.loader.idle, timeout=LOAD_TIMEOUT_MS):
        qtbot.mouseClick(dialog.retrieve_button, Qt.MouseButton.LeftButton)
    assert window.study.study_uid == original.study_uid
    assert window.scan.root == study_folder(original.study_uid)
    assert {ref.sop_instance_uid for ref in window.loaded} == {ref.sop_instance_uid for ref in original.images()}
    assert not window.failed and window.view_name == original.views[0].name
    assert dialog.status.text().startswith("Retrieved into") and not dialog.isVisible()
    assert window.pacs.show_dialog() is dialog and dialog.table.rowCount() == 1  # back as it was left


def test_a_pacs_that_is_down_or_silent_is_explained_cancelled_and_the_viewer_goes_on(qtbot, window, open_study,
                                                                                    synthetic_study):
    configure(PacsNode("Down", dicomweb_url=f"http://127.0.0.1:{free_port()}/dicom-web", connect_timeout_s=2))
    open_study(window, synthetic_study)
    dialog = window.pacs.show_dialog()
    search_for(qtbot, dialog, patient_id="X")
    assert "Cannot connect to PACS “Down”" in dialog.status.text() and "connection refused" in dialog.status.text()
    assert dialog.search_button.isEnabled() and not dialog.cancel_button.isEnabled()

    with silent_server() as port:
        configure(PacsNode("Silent", dicomweb_url=f"http://127.0.0.1:{port}/dicom-web", read_timeout_s=2))
        dialog.reload_nodes()
        dialog.node_choice.setCurrentText("Silent")
        qtbot.mouseClick(dialog.search_button, Qt.MouseButton.LeftButton)
        assert dialog.worker.busy and dialog.cancel_button.isEnabled() and not dialog.search_button.isEnabled()
        with qtbot.waitSignal(dialog.worker.cancelled, timeout=1000):
            qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        assert dialog.status.text() == "Cancelled." and dialog.search_button.isEnabled()
        qtbot.mouseClick(dialog.search_button, Qt.MouseButton.LeftButton)
        with qtbot.waitSignal(dialog.worker.cancelled, timeout=1000):
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Esc cancels first, and leaves the dialog open
        assert dialog.isVisible() and not dialog.worker.busy
        search_for(qtbot, dialog, patient_id="X")  # waits out the silence: the timeout is the message
        assert "did not answer the study search within 2 s" in dialog.status.text()
    # The open study was never touched, and the window still answers.
    assert window.study.study_uid == only_study(synthetic_study).study_uid and len(window.loaded) == 8
    window.select_view(window.study.views[1].name)
    assert window.view_name == window.study.views[1].name


@pytest.fixture
def annotated_study(synthetic_study, tmp_path) -> Path:
    """A copy of the synthetic study with our SEGs of its true lesions beside the images."""
    folder = Path(shutil.copytree(synthetic_study, tmp_path / "study"))
    study = only_study(folder)
    write_segmentations(study, truth_records(study, folder), folder / "DICOM" / "SEG")
    return folder


def test_send_annotations_stores_the_lesions_as_seg_and_their_report_as_sr(qtbot, window, open_study, dicomweb_node,
                                                                           synthetic_study, annotated_study):
    configure(dicomweb_node)
    store(dicomweb_node, dicom_files(synthetic_study))
    open_study(window, annotated_study)
    study, shown = window.study, study_records(window.editor.sets)
    assert shown

    with qtbot.waitSignal(window.pacs.sender.sent, timeout=SEND_TIMEOUT_MS):
        window.actions_by_key["send_to_pacs"].trigger()
    assert "Sent 2 DICOM SEG objects and 1 DICOM SR to Test Orthanc" in window.statusBar().currentMessage()
    [found] = search(dicomweb_node, StudyQuery(patient_id=study.patient.patient_id))
    assert set(found.modalities) == {"MG", "SEG", "SR"}
    folder = retrieve(dicomweb_node, study.study_uid)
    retrieved = only_study(folder)
    back = import_segmentations(retrieved, retrieved.segmentations).records
    assert [(r.view, r.number, r.label, r.note) for r in back] == [(r.view, r.number, r.label, r.note) for r in shown]
    [sr_path] = [path for path in folder.iterdir() if pydicom.dcmread(path, stop_before_pixels=True).Modality == "SR"]
    groups = hd.sr.srread(sr_path).content.get_planar_roi_measurement_groups()
    seg_uids = {pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID for path in retrieved.segmentations}
    assert len(groups) == len(shown)
    assert {group.referenced_segmentation_frame.referenced_sop_instance_uid for group in groups} == seg_uids


def test_without_the_models_the_seg_is_sent_alone_and_the_user_told(qtbot, window, open_study, dicomweb_node,
                                                                     annotated_study, tmp_path, monkeypatch):
    models = tmp_path / "no_models"
    models.mkdir()
    monkeypatch.setenv(MODELS_ENV, str(models))
    configure(dicomweb_node)
    open_study(window, annotated_study)
    with qtbot.waitSignal(window.pacs.sender.sent, timeout=SEND_TIMEOUT_MS):
        window.actions_by_key["send_to_pacs"].trigger()
    assert "Sent 2 DICOM SEG objects to Test Orthanc" in window.statusBar().currentMessage()
    assert any(message.startswith("sent without a DICOM SR (no report without the models")
               for message in window.message_bar.messages)
    [found] = search(dicomweb_node, StudyQuery())
    assert found.modalities == ("SEG",) and found.instance_count == 2


def test_send_annotations_to_a_pacs_that_is_down_keeps_the_lesions_and_says_so(qtbot, window, open_study,
                                                                              annotated_study):
    configure(PacsNode("Down", dicomweb_url=f"http://127.0.0.1:{free_port()}/dicom-web", connect_timeout_s=2))
    open_study(window, annotated_study)
    before = lesion_fields(window.editor)
    with qtbot.waitSignal(window.pacs.sender.failed, timeout=SEND_TIMEOUT_MS):
        window.actions_by_key["send_to_pacs"].trigger()
    assert any(message.startswith("Annotations not sent (they are kept here and autosaved): Cannot connect to "
                                  "PACS “Down”") for message in window.message_bar.messages)
    assert lesion_fields(window.editor) == before


def test_the_settings_dialog_tests_a_node_and_saves_it(qtbot, orthanc):
    dialog = PacsSettingsDialog()
    qtbot.addWidget(dialog)
    form = dialog.settings
    assert not form.name.isEnabled() and form.status.text() == "No PACS node yet: press New node to add one."
    assert form.save() and load_config() == PacsConfig()  # no PACS is a valid configuration
    qtbot.mouseClick(form.add_button, Qt.MouseButton.LeftButton)
    assert form.name.isEnabled() and form.name.text() == "PACS"  # a first node to fill in
    assert not form.save() and form.status.text().startswith("The DICOMweb URL must start with http")
    form.name.setText("Orthanc")
    form.url.setText("pacs:8042")
    qtbot.mouseClick(form.test_button, Qt.MouseButton.LeftButton)
    assert form.status.text().startswith("Not tested: the DICOMweb URL must start with http")
    form.url.setText(orthanc.dicomweb_url)
    with qtbot.waitSignal(form.worker.tested, timeout=PACS_TIMEOUT_MS):
        qtbot.mouseClick(form.test_button, Qt.MouseButton.LeftButton)
    assert form.status.text() == f"Orthanc answers DICOMweb searches at {orthanc.dicomweb_url}"
    form.read_timeout.setValue(12)
    assert form.save()
    assert load_config() == PacsConfig([PacsNode("Orthanc", dicomweb_url=orthanc.dicomweb_url, read_timeout_s=12)],
                                       "Orthanc")

    # The same node over DIMSE: its own fields replace the URL's, and C-ECHO tests it.
    form.protocol.setCurrentIndex(form.protocol.findData(DIMSE))
    assert form.host.isVisibleTo(dialog) and not form.url.isVisibleTo(dialog)
    form.host.setText("127.0.0.1")
    form.port.setValue(orthanc.dicom_port)
    form.called_ae.setText(ORTHANC_AET)
    form.calling_ae.setText(OUR_AET)
    with qtbot.waitSignal(form.worker.tested, timeout=PACS_TIMEOUT_MS):
        qtbot.mouseClick(form.test_button, Qt.MouseButton.LeftButton)
    assert form.status.text() == f"Orthanc answers C-ECHO at {ORTHANC_AET}@127.0.0.1:{orthanc.dicom_port}"
    assert form.save() and load_config().node().protocol == DIMSE
