"""The study's lesion assessments as a DICOM Structured Report: a TID 1500 Measurement Report (highdicom
Comprehensive 3D SR) with one Planar ROI measurement group (TID 1410) per assessed lesion.

Each group references the lesion's segment in the view's DICOM SEG (cemviewer.annotations.seg_writer: one SEG per
view, segment k = the view's k-th lesion), and through it the low-energy image it was drawn on. It carries:

- finding type: the SEG segment's type (Mass, Neoplasm benign, Malignant neoplasm, from the annotator's label);
  finding site: breast with the view's laterality
- measurements: Area (SCT 42798000, mm²), Long axis (SCT 103339001, mm: the outline's largest extent), and the
  Probability of cancer (DCM 111047, no units) three times, told apart by the algorithm that gave it: the DL
  classifier, the radiomics model, their fusion
- qualitative evaluation: Classification (SCT 278201002) = Malignant (SCT 21594007) or Benign (SCT 30807003): the
  fused call at the model's threshold (the threshold itself is in the HTML report; TID 1410 has no place for it).
  Not DCM 121071 "Finding": TID 1410 names the finding type with it, and readers take it for that

Lesions that could not be assessed are left out of the SR (the HTML report lists them with the reason).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import highdicom as hd
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code

from cemviewer import __version__
from cemviewer.annotations.output import ExportError, write_atomically
from cemviewer.annotations.records import by_view
from cemviewer.annotations.seg_writer import LESION_TYPES, MANUFACTURER
from cemviewer.annotations.stored_grid import read_header
from cemviewer.fusion.assess import BENIGN, MALIGNANT
from cemviewer.reports.assessment import LesionFinding, StudyAssessment

SERIES_NUMBER = 9002
SERIES_DESCRIPTION = "cemviewer lesion measurements"
SR_FILE_NAME = "SR_lesions.dcm"

PROBABILITY_OF_CANCER = Code("111047", "DCM", "Probability of cancer")
CALL_CONCEPT = Code("278201002", "SCT", "Classification")
CALL_VALUES = {MALIGNANT: codes.SCT.Malignant, BENIGN: codes.SCT.Benign}
LATERALITY = {"R": codes.SCT.Right, "L": codes.SCT.Left}
ALGORITHMS = {
    "dl": "cemviewer DL lesion classifier",
    "radiomics": "cemviewer radiomics XGBoost",
    "fused": "cemviewer fused (mean of DL and radiomics)",
}
AI_FAMILY = Code("123110", "DCM", "Artificial Intelligence")


class SrWriteError(ExportError):
    """The SR cannot be made: a lesion's SEG is missing or does not hold it, an image header cannot be read."""


def build_sr(assessment: StudyAssessment, segmentations: Mapping[str, Dataset]) -> hd.sr.Comprehensive3DSR:
    """The Measurement Report of `assessment`; `segmentations`: the SEG dataset of each view with lesions, by view
    name, written from the same records (segment k of a view = its k-th record)."""
    study = assessment.study
    groups, evidence = [], {}
    positions = {id(record): index for records in by_view(f.record for f in assessment.findings).values()
                 for index, record in enumerate(records, start=1)}
    for finding in assessment.findings:
        if finding.assessment is None:
            continue
        view = study.view(finding.record.view)
        segmentation = segmentations.get(finding.record.view)
        if view is None or segmentation is None:
            raise SrWriteError(f"no DICOM SEG of {finding.record.view} to reference for {finding.name}")
        segment_number = positions[id(finding.record)]
        _check_segment(segmentation, segment_number, finding)
        source_ref = view.low_energy or view.recombined
        try:
            source = read_header(source_ref)
        except Exception as error:
            raise SrWriteError(f"cannot read the image {source_ref.path} ({error})") from error
        evidence[source.SOPInstanceUID] = source
        evidence[segmentation.SOPInstanceUID] = segmentation
        groups.append(_measurement_group(finding, segmentation, segment_number, source, view.laterality))
    if not groups:
        raise SrWriteError("no assessed lesion to report")
    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=hd.UID(), name="cemviewer", manufacturer_name=MANUFACTURER, model_name="cemviewer"))
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_device_context=observer),
        procedure_reported=codes.SCT.Mammography,
        imaging_measurements=groups,
    )
    sr = hd.sr.Comprehensive3DSR(
        evidence=list(evidence.values()),
        content=report,
        series_instance_uid=hd.UID(),
        series_number=SERIES_NUMBER,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer=MANUFACTURER,
        is_complete=True,
        series_description=SERIES_DESCRIPTION,
    )
    sr.SpecificCharacterSet = "ISO_IR 192"
    sr.SoftwareVersions = __version__
    _segments_by_number(sr)
    return sr


def write_sr(assessment: StudyAssessment, segmentations: Mapping[str, Dataset], folder: Path) -> Path:
    """Build the SR and write it as SR_lesions.dcm into `folder` (to a temporary file renamed into place)."""
    try:
        sr = build_sr(assessment, segmentations)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as error:
        # highdicom refuses what it cannot encode; the user gets the reason, not a trace
        raise SrWriteError(f"cannot build the DICOM SR ({type(error).__name__}: {error})") from error
    return write_atomically(Path(folder) / SR_FILE_NAME, lambda target: sr.save_as(target, enforce_file_format=True))


def _measurement_group(finding: LesionFinding, segmentation: Dataset, segment_number: int, source: Dataset,
                       laterality: str) -> hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations:
    a = finding.assessment
    measurements = [hd.sr.Measurement(name=codes.SCT.Area, value=round(a.area_mm2, 3),
                                      unit=codes.UCUM.SquareMillimeter)]
    if finding.max_diameter_mm is not None:
        measurements.append(hd.sr.Measurement(name=codes.SCT.LongAxis, value=round(finding.max_diameter_mm, 3),
                                              unit=codes.UCUM.Millimeter))
    for key, probability in (("dl", a.dl_prob), ("radiomics", a.radiomics_prob), ("fused", a.fused_prob)):
        if probability is not None:
            measurements.append(hd.sr.Measurement(
                name=PROBABILITY_OF_CANCER, value=round(float(probability), 6), unit=codes.UCUM.NoUnits,
                algorithm_id=hd.sr.AlgorithmIdentification(name=ALGORITHMS[key], version=__version__,
                                                           family=AI_FAMILY)))
    referenced = hd.sr.ReferencedSegmentationFrame(
        sop_class_uid=segmentation.SOPClassUID, sop_instance_uid=segmentation.SOPInstanceUID,
        frame_number=_frames_of(segmentation, segment_number), segment_number=segment_number,
        source_image=hd.sr.SourceImageForSegmentation(source.SOPClassUID, source.SOPInstanceUID))
    sites = [hd.sr.FindingSite(codes.SCT.Breast, laterality=LATERALITY[laterality])] \
        if laterality in LATERALITY else None
    return hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier=finding.name),
        referenced_segment=referenced,
        finding_type=LESION_TYPES.get(finding.record.label, LESION_TYPES["unknown"]),
        finding_sites=sites,
        measurements=measurements,
        qualitative_evaluations=[hd.sr.QualitativeEvaluation(CALL_CONCEPT, CALL_VALUES[a.call])],
    )


def _segments_by_number(dataset: Dataset) -> None:
    """A SEG is referenced by segment number or by frame number, never both (Image SOP Instance Reference Macro,
    PS3.3 C.10.8); highdicom's TID 1410 writes both, so the frame goes: the segment is what the group is about."""
    for element in dataset.iterall():
        if element.keyword == "ReferencedSOPSequence":
            for item in element.value:
                if "ReferencedSegmentNumber" in item and "ReferencedFrameNumber" in item:
                    del item.ReferencedFrameNumber


def _frames_of(segmentation: Dataset, segment_number: int) -> list[int]:
    """The SEG frames (1-based) that hold the segment: a projection image's segment has one. A SEG of one segment
    names it once for all frames, in the shared functional groups."""
    shared = segmentation.SharedFunctionalGroupsSequence[0]

    def segment_of(frame: Dataset) -> int:
        group = frame if "SegmentIdentificationSequence" in frame else shared
        return int(group.SegmentIdentificationSequence[0].ReferencedSegmentNumber)

    return [index for index, frame in enumerate(segmentation.PerFrameFunctionalGroupsSequence, start=1)
            if segment_of(frame) == segment_number]


def _check_segment(segmentation: Dataset, segment_number: int, finding: LesionFinding) -> None:
    segments = {int(item.SegmentNumber): str(item.get("SegmentLabel", "")) for item in segmentation.SegmentSequence}
    label = segments.get(segment_number)
    if label is None or not label.startswith(f"{finding.record.view} lesion {finding.record.number}"):
        raise SrWriteError(f"the SEG of {finding.record.view} does not hold {finding.name} as segment "
                           f"{segment_number} (found {label!r})")
