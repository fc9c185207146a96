"""The study report as one self-contained HTML file (key images embedded as base64 PNG): patient and study, then
per lesion its view, size, DL / radiomics / fused probabilities against the threshold, the call, the features that
weighed most in the radiomics score and the key image. A browser prints it to PDF.
"""

from __future__ import annotations

import base64
import io
from datetime import datetime
from html import escape
from pathlib import Path

import numpy as np
from PIL import Image

from cemviewer import __version__
from cemviewer.annotations.output import write_atomically
from cemviewer.reports.assessment import LesionFinding, StudyAssessment
from cemviewer.study.dicom_text import age, dicom_date, person_name, sex

TITLE = "CEM lesion report"
DISCLAIMER = ("Probabilities come from research models (radiomics XGBoost and a CNN classifier) on the outlines "
              "drawn by the annotator; they support and do not replace the radiologist's reading.")

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; } td, th { padding: 0.2em 0.7em; text-align: left; }
table.grid td, table.grid th { border: 1px solid #ccc; } th { background: #f2f2f2; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.malignant { color: #b3261e; font-weight: bold; } .benign { color: #1e6b3a; font-weight: bold; }
.dim { color: #666; font-size: 0.9em; } img { max-width: 100%; image-rendering: auto; }
section.lesion { page-break-inside: avoid; }
"""


def render_html(assessment: StudyAssessment) -> str:
    study = assessment.study
    patient = study.patient
    who = person_name(patient.patient_name) or patient.patient_id or study.study_uid
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(TITLE)} — {escape(who)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{escape(TITLE)}</h1>",
        f'<p class="dim">{escape(DISCLAIMER)}</p>',
        "<h2>Patient and study</h2>",
        _facts([("Patient", person_name(patient.patient_name)), ("Patient ID", patient.patient_id),
                ("Birth date", dicom_date(patient.birth_date)), ("Sex", sex(patient.sex)),
                ("Age", age(patient.age, patient.birth_date, study.study_date)),
                ("Study date", dicom_date(study.study_date)), ("Accession number", study.accession_number),
                ("Description", study.study_description), ("Institution", study.institution),
                ("Equipment", " ".join(part for part in (study.manufacturer, study.model_name) if part)),
                ("Study Instance UID", study.study_uid)]),
        "<h2>Lesions</h2>",
        _summary(assessment) if assessment.findings else "<p>No lesion was annotated in this study.</p>",
        *(_lesion_section(finding, assessment) for finding in assessment.findings),
    ]
    if assessment.notes:
        parts += ["<h2>Notes</h2>", "<ul>", *(f"<li>{escape(note)}</li>" for note in assessment.notes), "</ul>"]
    fused = "the mean of the DL and radiomics probabilities" if assessment.dl_classifier \
        else "the radiomics probability alone (no DL classifier)"
    parts += [
        "<h2>Method</h2>",
        (f"<p>The fused probability is {fused}; a lesion is called malignant when it reaches the threshold (the "
         f"Youden cut-off found in training). Main features: the largest TreeSHAP contributions to the radiomics "
         f"score, in log-odds (positive toward malignant). Models: {escape(str(assessment.models_dir))}.</p>"),
        f'<p class="dim">cemviewer {escape(__version__)}, {datetime.now().strftime("%Y-%m-%d %H:%M")}</p>',
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def write_html(assessment: StudyAssessment, path: Path) -> Path:
    text = render_html(assessment)
    return write_atomically(Path(path), lambda target: target.write_text(text, encoding="utf-8"))


def png_data_uri(image: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _summary(assessment: StudyAssessment) -> str:
    header = ("Lesion", "Label", "Source", "Area mm²", "Max. diameter mm", "DL", "Radiomics", "Fused", "Threshold",
              "Call")
    rows = []
    for finding in assessment.findings:
        a = finding.assessment
        cells = [f'<a href="#{_anchor(finding)}">{escape(finding.name)}</a>', escape(finding.record.label),
                 escape(finding.record.source)]
        if a is None:
            cells += [f'<span class="dim">not assessed: {escape(finding.problem)}</span>'] + [""] * 6
        else:
            cells += [_number(a.area_mm2, 1), _number(finding.max_diameter_mm, 1), _number(a.dl_prob, 3),
                      _number(a.radiomics_prob, 3), _number(a.fused_prob, 3), _number(a.threshold, 3),
                      f'<span class="{a.call}">{escape(a.call)}</span>']
        rows.append("<tr>" + "".join(f'<td class="number">{cell}</td>' if index in range(3, 9) else f"<td>{cell}</td>"
                                     for index, cell in enumerate(cells)) + "</tr>")
    head = "<tr>" + "".join(f"<th>{escape(name)}</th>" for name in header) + "</tr>"
    return f'<table class="grid">{head}{"".join(rows)}</table>'


def _lesion_section(finding: LesionFinding, assessment: StudyAssessment) -> str:
    record, a = finding.record, finding.assessment
    parts = [f'<section class="lesion" id="{_anchor(finding)}">', f"<h2>{escape(finding.name)}</h2>"]
    facts = [("View", record.view), ("Annotator's label", record.label), ("Source", record.source)]
    if record.score is not None:
        facts.append(("AI detection score", f"{record.score:.3f}"))
    if record.note:
        facts.append(("Note", record.note))
    if a is None:
        facts.append(("Not assessed", finding.problem))
        return "\n".join(parts + [_facts(facts), "</section>"])
    facts += [("Area", f"{a.area_mm2:.1f} mm²"),
              ("Maximum diameter", f"{finding.max_diameter_mm:.1f} mm" if finding.max_diameter_mm else ""),
              ("DL probability", f"{a.dl_prob:.3f}" if a.dl_prob is not None else "no DL classifier"),
              ("Radiomics probability", f"{a.radiomics_prob:.3f}"),
              ("Fused probability", f"{a.fused_prob:.3f} (threshold {a.threshold:.3f})")]
    parts.append(_facts(facts))
    parts.append(f'<p>Call: <span class="{a.call}">{escape(a.call)}</span></p>')
    if finding.key_image is not None:
        panels = "low energy · recombined" + (" · recombined with the Grad-CAM++ heatmap"
                                               if assessment.dl_classifier else "")
        # A div, not a figure: Qt's rich text (the PDF) lays only known blocks out on lines of their own.
        parts.append(f'<div><img alt="{escape(finding.name)} key image" src="{png_data_uri(finding.key_image)}">'
                     f'</div><p class="dim">{escape(panels)}; outline in yellow</p>')
    parts.append(_features(a.contributions, a.features))
    parts.append("</section>")
    return "\n".join(parts)


def _features(contributions: list[tuple[str, float]], features: dict[str, float]) -> str:
    from cemviewer.fusion.feature_names import contribution_label

    if not contributions:
        return ""
    rows = "".join(
        f"<tr><td>{escape(contribution_label(name))}</td><td class=\"number\">{_number(features.get(name), 4)}</td>"
        f"<td class=\"number\">{value:+.3f}</td><td>{'toward malignant' if value > 0 else 'toward benign'}</td></tr>"
        for name, value in contributions)
    return ('<h3>Main features</h3><table class="grid"><tr><th>Feature</th><th>Value</th><th>Log-odds</th>'
            f"<th></th></tr>{rows}</table>")


def _facts(pairs: list[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><th>{escape(name)}</th><td>{escape(str(value))}</td></tr>" for name, value in pairs if value)
    return f"<table>{rows}</table>"


def _number(value: float | None, digits: int) -> str:
    return "" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def _anchor(finding: LesionFinding) -> str:
    return f"lesion-{finding.record.view}-{finding.record.number}"
