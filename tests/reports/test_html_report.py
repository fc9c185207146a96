"""The HTML report of the synthetic study, assessed with the real models: every lesion with its probabilities,
threshold, call, main features and an embedded key image, agreeing with `cemviewer analyze`."""

from __future__ import annotations

import base64
import io
import json
import re
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from cemviewer.annotations.export import export_study
from cemviewer.annotations.output import ExportError
from cemviewer.cli import main
from cemviewer.reports.assessment import assess_study
from cemviewer.reports.html_report import render_html, write_html
from cemviewer.reports.key_image import OUTLINE, PANEL_SIDE
from cemviewer.fusion.feature_names import contribution_label

DATA_URI = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def test_the_report_holds_every_lesion_with_its_figures_and_key_image(assessment, study, tmp_path):
    path = write_html(assessment, tmp_path / "report.html")
    text = path.read_text(encoding="utf-8")
    assert study.patient.patient_id in text and study.study_uid in text
    assert len(assessment.findings) == 4  # two lesions on RCC and RMLO each
    images = DATA_URI.findall(text)
    assert len(images) == len(assessment.findings)
    for finding, encoded in zip(assessment.findings, images, strict=True):
        a = finding.assessment
        section = text[text.index(f'id="lesion-{finding.record.view}-{finding.record.number}"'):]
        section = section[: section.index("</section>")]
        assert f"<h2>{finding.name}</h2>" in section
        for figure in (a.dl_prob, a.radiomics_prob):
            assert f"{figure:.3f}" in section
        assert f"{a.fused_prob:.3f} (threshold {a.threshold:.3f})" in section
        assert f'<span class="{a.call}">{a.call}</span>' in section
        assert f"{a.area_mm2:.1f} mm²" in section
        name, value = a.contributions[0]
        assert f"<td>{contribution_label(name)}</td>" in section and f"{value:+.3f}" in section  # main feature
        picture = np.asarray(Image.open(io.BytesIO(base64.b64decode(encoded))))
        assert np.array_equal(picture, finding.key_image)
    assert "http://" not in text and "https://" not in text and 'src="file' not in text  # self-contained


def test_the_key_image_shows_le_recombined_and_heatmap_with_the_outline(assessment):
    picture = assessment.findings[0].key_image
    assert picture.shape[0] == PANEL_SIDE and picture.shape[1] == 3 * PANEL_SIDE + 2 * 4 and picture.dtype == np.uint8
    panels = [picture[:, i * (PANEL_SIDE + 4): i * (PANEL_SIDE + 4) + PANEL_SIDE] for i in range(3)]
    for panel in panels:
        assert np.all(panel == OUTLINE, axis=2).sum() > 50  # the outline is drawn on each
    tissue = ~np.all(panels[1] == OUTLINE, axis=2)
    grey = panels[1][tissue]
    assert np.array_equal(grey[:, 0], grey[:, 1])  # plain grey recombined...
    assert not np.array_equal(panels[2][tissue], grey)  # ...and coloured by the heatmap in the third


def test_the_report_agrees_with_cemviewer_analyze(assessment, synthetic_study, tmp_path):
    out = tmp_path / "analyze.json"
    assert main(["analyze", str(synthetic_study), "--masks", str(synthetic_study / "masks"), "--out", str(out)]) == 0
    analysed = {(entry["laterality"] + entry["view"], entry["lesion"]): entry
                for entry in json.loads(out.read_text())["lesions"]}
    for finding in assessment.findings:
        entry = analysed[(finding.record.view, finding.record.number)]
        assert finding.assessment.fused_prob == pytest.approx(entry["fused_probability"], abs=1e-6)
        assert finding.assessment.call == entry["call"]


def test_a_lesion_that_cannot_be_measured_is_listed_with_the_reason(study, records, models):
    tiny = replace(records[0], number=9, box=(10, 10, 11, 11), mask=np.ones((1, 1), bool))
    assessment = assess_study(study, [records[0], tiny], models)
    assert assessment.findings[0].assessment is not None
    unmeasured = assessment.findings[1]
    assert unmeasured.assessment is None and unmeasured.problem
    assert "not assessed" in render_html(assessment) and unmeasured.problem in render_html(assessment)


def test_without_models_the_report_export_says_so(study, records, tmp_path, monkeypatch):
    empty = tmp_path / "no_models"
    empty.mkdir()
    monkeypatch.setenv("CEMVIEWER_MODELS", str(empty))
    with pytest.raises(ExportError, match="no report without the models: .*radiomics model file not found"):
        export_study(study, records, tmp_path / "out", ("html",))
    assert not (tmp_path / "out" / "report.html").exists()


def test_the_pdf_report_has_the_lesions_and_their_key_images(study, records, tmp_path):
    result = export_study(study, records, tmp_path, ("pdf",))
    [pdf] = result.written
    data = pdf.read_bytes()
    assert pdf.name == "report.pdf" and data.startswith(b"%PDF")
    assert data.count(b"/Subtype /Image") == len(records)  # one key image per lesion
