"""The study panel fills a moment after it is asked, in a turn of the event loop of its own, with the latest asked."""

from __future__ import annotations

from cemviewer.study.loader import scan_path
from cemviewer.ui.info_panel import InfoPanel


def test_the_panel_fills_after_the_asking_turn_with_what_was_asked_last(qtbot, synthetic_study):
    scan = scan_path(synthetic_study)
    study = scan.studies[0]
    first, second = study.views[:2]
    panel = InfoPanel()
    qtbot.addWidget(panel)
    panel.show_scan(scan, study)
    panel.show_view(first, {})
    panel.show_view(second, {})
    assert panel.patient.text() == "No study open" and panel.images.text() == ""
    qtbot.waitUntil(lambda: panel.images.text() != "")
    assert panel.images.text().startswith(f"View: {second.name}\n")
    assert f"ID: {study.patient.patient_id}" in panel.patient.text()
