"""The DICOM SR of the synthetic study's lesions: a TID 1500 Measurement Report that parses back with pydicom and
highdicom, one measurement group per lesion referencing its segment in the SEG written with it, and that passes
dciodvfy without errors."""

from __future__ import annotations

import subprocess

import highdicom as hd
import pydicom
import pytest

from cemviewer.annotations.export import export_study
from cemviewer.cli import main
from cemviewer.reports.sr_writer import SR_FILE_NAME, SrWriteError, build_sr
from tests.annotations.study_helpers import DCIODVFY


@pytest.fixture(scope="module")
def exported(study, records, tmp_path_factory):
    out = tmp_path_factory.mktemp("sr_export")
    result = export_study(study, records, out, ("seg", "sr"))
    return out, result


def _groups(path):
    sr = hd.sr.srread(path)
    return sr, sr.content.get_planar_roi_measurement_groups()


def test_each_lesion_is_a_measurement_group_referencing_its_segment(exported, assessment):
    out, result = exported
    assert sorted(path.name for path in result.written) == ["SEG_RCC.dcm", "SEG_RMLO.dcm", SR_FILE_NAME]
    segs = {pydicom.dcmread(out / f"SEG_{view}.dcm").SOPInstanceUID: view for view in ("RCC", "RMLO")}
    sr, groups = _groups(out / SR_FILE_NAME)
    assert sr.Modality == "SR" and sr.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.34"  # Comprehensive 3D SR
    assert sr.ContentTemplateSequence[0].TemplateIdentifier == "1500"
    assert len(groups) == len(assessment.findings)
    for group, finding in zip(groups, assessment.findings, strict=True):
        assert group.tracking_identifier == finding.name
        reference = group.referenced_segmentation_frame
        assert segs[reference.referenced_sop_instance_uid] == finding.record.view
        [segment] = reference.referenced_segment_numbers
        assert not reference.referenced_frame_numbers  # by segment, not frame (one or the other, PS3.3 C.10.8)
        seg = pydicom.dcmread(out / f"SEG_{finding.record.view}.dcm")
        label = next(item.SegmentLabel for item in seg.SegmentSequence if item.SegmentNumber == segment)
        assert label.startswith(finding.name)
        values = {(m.name.value, m.unit.value): m.value for m in group.get_measurements()}
        a = finding.assessment
        assert float(values[("42798000", "mm2")]) == pytest.approx(a.area_mm2, abs=1e-3)
        probabilities = [float(m.value) for m in group.get_measurements() if m.name.value == "111047"]
        assert probabilities == pytest.approx([a.dl_prob, a.radiomics_prob, a.fused_prob], abs=1e-6)
        [call] = group.get_qualitative_evaluations()
        assert (call.name.value, call.value.meaning) == ("278201002", a.call.capitalize())
    # The SR names its evidence: the SEGs and the images they were drawn on.
    evidence = {item.ReferencedSOPInstanceUID
                for study_item in sr.CurrentRequestedProcedureEvidenceSequence
                for series in study_item.ReferencedSeriesSequence for item in series.ReferencedSOPSequence}
    assert set(segs) <= evidence


def _dciodvfy_errors(path) -> list[str]:
    result = subprocess.run([DCIODVFY, str(path)], capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    assert "Comprehensive3DSR" in output
    return [line for line in output.splitlines() if "Error" in line]


def test_the_sr_passes_dciodvfy(exported):
    out, _ = exported
    assert _dciodvfy_errors(out / SR_FILE_NAME) == []


def test_a_view_with_one_lesion_is_referenced_as_well(study, records, tmp_path):
    """A SEG of one segment names it in its shared functional groups, not per frame."""
    export_study(study, records[:1], tmp_path, ("seg", "sr"))
    _, [group] = _groups(tmp_path / SR_FILE_NAME)
    assert group.referenced_segmentation_frame.referenced_segment_numbers == [1]
    assert _dciodvfy_errors(tmp_path / SR_FILE_NAME) == []


def test_an_sr_alone_writes_the_seg_it_references(study, records, tmp_path):
    result = export_study(study, records, tmp_path, ("sr",))
    assert any("DICOM SEG written too" in note for note in result.notes)
    _, groups = _groups(tmp_path / SR_FILE_NAME)
    seg_uids = {pydicom.dcmread(path).SOPInstanceUID for path in tmp_path.glob("SEG_*.dcm")}
    assert {group.referenced_segmentation_frame.referenced_sop_instance_uid for group in groups} == seg_uids


def test_a_seg_that_does_not_hold_the_lesion_is_refused(assessment, exported):
    out, _ = exported
    wrong = {"RCC": pydicom.dcmread(out / "SEG_RMLO.dcm"), "RMLO": pydicom.dcmread(out / "SEG_RMLO.dcm")}
    with pytest.raises(SrWriteError, match="does not hold RCC lesion 1"):
        build_sr(assessment, wrong)
    with pytest.raises(SrWriteError, match="no DICOM SEG of RCC"):
        build_sr(assessment, {"RMLO": wrong["RMLO"]})


def test_cemviewer_export_writes_the_reports_on_request(synthetic_study, tmp_path):
    out = tmp_path / "out"
    assert main(["export", str(synthetic_study), "--masks", str(synthetic_study / "masks"), "--out", str(out),
                 "--format", "seg,html,sr"]) == 0
    assert sorted(path.name for path in out.iterdir()) == ["SEG_RCC.dcm", "SEG_RMLO.dcm", SR_FILE_NAME,
                                                           "report.html"]
