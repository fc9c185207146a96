"""Lesion records as DICOM Segmentation objects (highdicom): the ground truth in a form any PACS keeps.

One SEG per view, all of one export in one series: a SEG's frames must all be one size and derive from one
series, and a study's views need neither (vendors put each view in its own series, detectors differ). Per view:

- source image: the low-energy image (the recombined when there is none). The SEG's frames lie on its stored
  pixel grid, so masks are flipped back from the viewer's display orientation, and the SEG takes its patient,
  study, frame of reference and PatientOrientation.
- the recombined image is referenced too (further source image, so it is in the Referenced Series Sequence);
  when it shares the source's grid (same size and orientation, as CEM pairs do) each frame also names it as a
  second source image, so a PACS viewer can overlay the mask on either image.
- one segment per lesion, BINARY, one frame each (Segments Overlap says whether lesions share pixels): category
  SCT "Morphologically abnormal structure", type SCT "Mass", "Neoplasm, benign" or "Malignant neoplasm, primary"
  from the lesion's label; Segment Label "RCC lesion 1 (malignant)", Segment Description the note (an ST value:
  its first 1024 characters). The note in full, the lesion's source and the AI's scores travel in a private
  element (CEMVIEWER LESION, JSON) of the segment item, so our own SEGs come back exactly; other readers see the
  standard attributes. dciodvfy warns only that it does not know that private element.
- a manual lesion is MANUAL, an accepted AI proposal SEMIAUTOMATIC, a pending proposal (only when the caller
  included them) AUTOMATIC, the last two naming the cemviewer lesion AI.

The Pixel Measures functional group is left out: a projection image has no slice thickness, which the macro
requires with it, and a reader takes the spacing from the referenced image.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import partial
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.sr.coding import Code

from cemviewer import __version__
from cemviewer.annotations.output import ExportError, write_atomically
from cemviewer.annotations.records import LesionRecord, by_view
from cemviewer.annotations.stored_grid import flipped, flipped_box, flips_of, read_header
from cemviewer.editing.lesion_set import ACCEPTED, BENIGN, MALIGNANT, PROPOSAL, UNKNOWN
from cemviewer.editing.mask_ops import box_slices
from cemviewer.study.model import ImageRef, Study, View

SERIES_NUMBER = 9001
SERIES_DESCRIPTION = "cemviewer lesion segmentation"
CONTENT_LABEL = "LESIONS"
MANUFACTURER = "cemviewer"

LESION_CATEGORY = Code("49755003", "SCT", "Morphologically abnormal structure")
LESION_TYPES = {
    UNKNOWN: Code("4147007", "SCT", "Mass"),
    BENIGN: Code("3898006", "SCT", "Neoplasm, benign"),
    MALIGNANT: Code("86049000", "SCT", "Malignant neoplasm, primary"),
}
AI_NAME = "cemviewer lesion AI"
_ALGORITHM_TYPES = {PROPOSAL: "AUTOMATIC", ACCEPTED: "SEMIAUTOMATIC"}  # anything else: MANUAL

# A private element per segment item: the record's own fields, JSON, so that our SEGs round-trip exactly.
PRIVATE_GROUP = 0x0071
PRIVATE_CREATOR = "CEMVIEWER LESION"
PRIVATE_RECORD = 0x01  # UT, JSON: note, source, score, malignancy

_LO_FORBIDDEN = re.compile(r"[\\\x00-\x1f]+")
_LO_LENGTH = 64
_ST_FORBIDDEN = re.compile(r"[\x00-\x09\x0b\x0e-\x1a\x1c-\x1f]")  # ST keeps line breaks (LF, CR, FF) and ESC
_ST_LENGTH = 1024


class SegWriteError(ExportError):
    """The lesions cannot be made into a SEG (a record of a view not in the study, an unreadable source image)."""


def seg_file_name(view_name: str) -> str:
    return f"SEG_{view_name}.dcm"


def build_segmentations(study: Study, records: Iterable[LesionRecord],
                        series_uid: str | None = None) -> dict[str, hd.seg.Segmentation]:
    """One SEG per view that has records, by view name, in the study's view order, sharing one new series."""
    groups = by_view(records)
    unknown = sorted(set(groups) - {view.name for view in study.views})
    if unknown:
        raise SegWriteError(f"lesions of {', '.join(unknown)}, which this study has no images of")
    series_uid = series_uid or hd.UID()
    views = [view for view in study.views if view.name in groups]
    return {view.name: _view_segmentation(view, groups[view.name], series_uid, number)
            for number, view in enumerate(views, start=1)}


def write_segmentations(study: Study, records: Iterable[LesionRecord], folder: Path) -> list[Path]:
    """Write the SEGs into `folder` (made if needed) as SEG_<view>.dcm, each to a temporary file renamed into
    place, so a failed write (OSError: read-only, disk full) leaves the previous file whole. A SEG of ours left in
    the folder for a view that now has no lesion is removed, so that opening the folder does not bring back
    lesions deleted since. Returns the paths written."""
    segmentations = build_segmentations(study, records)
    folder = Path(folder)
    written = []
    for view_name, segmentation in segmentations.items():
        path = folder / seg_file_name(view_name)
        written.append(write_atomically(path, partial(segmentation.save_as, enforce_file_format=True)))
    for view in study.views:
        stale = folder / seg_file_name(view.name)
        if view.name not in segmentations and _is_our_seg_of(stale, study):
            stale.unlink()
    return written


def _is_our_seg_of(path: Path, study: Study) -> bool:
    if not path.is_file():
        return False
    try:
        header = pydicom.dcmread(path, stop_before_pixels=True)
    except Exception:  # noqa: BLE001 - a damaged file is not known to be ours: leave it
        return False
    return (header.get("Modality") == "SEG" and header.get("StudyInstanceUID") == study.study_uid
            and header.get("Manufacturer") == MANUFACTURER)


def _header(ref: ImageRef) -> Dataset:
    try:
        return read_header(ref)
    except Exception as error:  # noqa: BLE001 - OSError or any of pydicom's parse errors
        raise SegWriteError(f"cannot read the source image {ref.path} ({error})") from error


def _view_segmentation(view: View, records: list[LesionRecord], series_uid: str,
                       instance_number: int) -> hd.seg.Segmentation:
    source_ref = view.low_energy or view.recombined
    partner_ref = view.recombined if view.low_energy is not None else None
    source = _header(source_ref)
    partner = _header(partner_ref) if partner_ref is not None else None
    flips = flips_of(source, source_ref)
    shape = (int(source.Rows), int(source.Columns))
    for record in records:
        if record.box[2] > shape[1] or record.box[3] > shape[0]:
            raise SegWriteError(f"{view.name} lesion {record.number} at {record.box} lies outside the "
                                f"{shape[1]} x {shape[0]} image {source_ref.path.name}")
    segmentation = hd.seg.Segmentation(
        source_images=[source],
        further_source_images=[partner] if partner is not None else None,
        pixel_array=_pixel_array(records, shape, flips),
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=[_description(number, record) for number, record in enumerate(records, start=1)],
        series_instance_uid=series_uid,
        series_number=SERIES_NUMBER,
        sop_instance_uid=hd.UID(),
        instance_number=instance_number,
        manufacturer=MANUFACTURER,
        manufacturer_model_name="cemviewer",
        software_versions=__version__,
        device_serial_number="none",
        series_description=SERIES_DESCRIPTION,
        content_label=CONTENT_LABEL,
        content_description=f"{view.name} lesions",
    )
    segmentation.SpecificCharacterSet = "ISO_IR 192"  # notes in any language
    # A projection image is placed by PatientOrientation, which General Image requires without a plane orientation.
    segmentation.PatientOrientation = source.get("PatientOrientation", "")
    for group in segmentation.SharedFunctionalGroupsSequence:
        if "PixelMeasuresSequence" in group:
            del group.PixelMeasuresSequence
    if partner is not None and (partner.Rows, partner.Columns) == (source.Rows, source.Columns) \
            and flips_of(partner, partner_ref) == flips:
        _name_second_source(segmentation, partner)
    for item, record in zip(segmentation.SegmentSequence, records, strict=True):
        _add_private_record(item, record)
    return segmentation


def _pixel_array(records: list[LesionRecord], shape: tuple[int, int], flips) -> np.ndarray:
    """The lesions on the stored grid as highdicom takes them: a label image (1, rows, columns), segment k = k,
    when no two overlap (cheap to check and to encode), else (1, rows, columns, segments) of bool."""
    labels = np.zeros((1, *shape), np.uint8 if len(records) < 256 else np.uint16)
    for number, record in enumerate(records, start=1):
        region = labels[0][box_slices(flipped_box(record.box, shape, flips))]
        mask = flipped(record.mask, flips)
        if region[mask].any():
            break
        region[mask] = number
    else:
        return labels
    stack = np.zeros((1, *shape, len(records)), bool)
    for index, record in enumerate(records):
        stack[0][box_slices(flipped_box(record.box, shape, flips)) + (index,)] = flipped(record.mask, flips)
    return stack


def _description(number: int, record: LesionRecord) -> hd.seg.SegmentDescription:
    algorithm_type = _ALGORITHM_TYPES.get(record.source, "MANUAL")
    description = hd.seg.SegmentDescription(
        segment_number=number,
        segment_label=_lo(f"{record.view} lesion {record.number}"
                          + (f" ({record.label})" if record.label != UNKNOWN else "")),
        segmented_property_category=LESION_CATEGORY,
        segmented_property_type=LESION_TYPES.get(record.label, LESION_TYPES[UNKNOWN]),
        algorithm_type=algorithm_type,
        algorithm_identification=None if algorithm_type == "MANUAL" else hd.AlgorithmIdentificationSequence(
            name=AI_NAME, family=Code("123110", "DCM", "Artificial Intelligence"), version=__version__),
    )
    if record.note.strip():
        description.SegmentDescription = _ST_FORBIDDEN.sub(" ", record.note)[:_ST_LENGTH]
    return description


def _lo(text: str) -> str:
    """`text` as a DICOM LO value: control characters and backslashes become spaces, 64 characters at most."""
    text = " ".join(_LO_FORBIDDEN.sub(" ", text).split())
    return text if len(text) <= _LO_LENGTH else text[: _LO_LENGTH - 3] + "..."


def _add_private_record(item: Dataset, record: LesionRecord) -> None:
    block = item.private_block(PRIVATE_GROUP, PRIVATE_CREATOR, create=True)
    fields = {"note": record.note, "source": record.source, "label": record.label,
              "score": record.score, "malignancy": record.malignancy}
    block.add_new(PRIVATE_RECORD, "UT", json.dumps(fields, ensure_ascii=False))


def _name_second_source(segmentation: hd.seg.Segmentation, partner: Dataset) -> None:
    for frame in segmentation.PerFrameFunctionalGroupsSequence:
        derivation = frame.DerivationImageSequence[0]
        reference = Dataset()
        reference.ReferencedSOPClassUID = partner.SOPClassUID
        reference.ReferencedSOPInstanceUID = partner.SOPInstanceUID
        reference.PurposeOfReferenceCodeSequence = derivation.SourceImageSequence[0].PurposeOfReferenceCodeSequence
        reference.SpatialLocationsPreserved = "YES"
        derivation.SourceImageSequence.append(reference)
