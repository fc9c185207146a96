"""File ▸ Export ▸ HTML report…, PDF report… and DICOM SR… in the real main window: the lesion painted on screen is assessed with
the real models and written as a report and as an SR referencing the SEG written with it."""

from __future__ import annotations

import highdicom as hd
import pydicom
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from cemviewer.ai.pipeline import MODELS_ENV
from cemviewer.reports.sr_writer import SR_FILE_NAME
from tests.ui.test_editing import _drag, _key


def test_the_export_menu_writes_the_html_report_and_the_sr_of_the_lesions_on_screen(
        qtbot, window, open_study, synthetic_study, tmp_path, monkeypatch):
    models = tmp_path / "no_models"
    models.mkdir()
    monkeypatch.setenv(MODELS_ENV, str(models))  # the lesion AI off while painting: no proposal arrives mid-test
    open_study(window, synthetic_study)
    qtbot.waitUntil(lambda: window.editor.lesions is not None)
    _key(qtbot, window, Qt.Key.Key_B)
    _drag(qtbot, window, [(100.5, 200.5), (130.5, 210.5), (160.5, 200.5)])
    window.editor.panel.label.setCurrentText("malignant")
    monkeypatch.delenv(MODELS_ENV)  # the report's models: the repository's
    out = tmp_path / "reports"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args: str(out))

    window.actions_by_key["export_html"].trigger()
    assert "Exported 1 lesion as report.html" in window.statusBar().currentMessage()
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "RCC lesion 1" in text and "data:image/png;base64," in text and "Fused probability" in text

    window.actions_by_key["export_pdf"].trigger()
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")

    window.actions_by_key["export_sr"].trigger()
    assert f"{SR_FILE_NAME} and its DICOM SEG" in window.statusBar().currentMessage()
    sr = hd.sr.srread(out / SR_FILE_NAME)
    [group] = sr.content.get_planar_roi_measurement_groups()
    assert group.tracking_identifier == "RCC lesion 1"
    seg = pydicom.dcmread(out / "SEG_RCC.dcm", stop_before_pixels=True)
    assert group.referenced_segmentation_frame.referenced_sop_instance_uid == seg.SOPInstanceUID
