"""DICOM Segmentation objects back into lesion records: ours (cemviewer.annotations.seg_writer) exactly, and
compatible ones (BINARY, FRACTIONAL or LABELMAP segments whose frames name their source images) as well as the
standard attributes allow.

A frame is placed on the study's image its Derivation Image Sequence names (else the one image the whole SEG
references), checked against that image's size, and flipped from the image's stored grid into the viewer's display
orientation. Each segment becomes one record per view it has pixels on. Where a SEG lacks our private element the
label comes from the segmented property type, the note from the segment description, and the source from the
algorithm type: an AUTOMATIC segment (another AI's finding) arrives as a proposal to accept or reject.

Every problem is a SegError whose message names the file and what is wrong with it; nothing else escapes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.pixels import iter_pixels
from pydicom.uid import UID

from cemviewer.annotations.records import LesionRecord, record_of
from cemviewer.annotations.seg_writer import LESION_TYPES, PRIVATE_CREATOR, PRIVATE_GROUP, PRIVATE_RECORD
from cemviewer.annotations.stored_grid import flipped, flips_of, read_header
from cemviewer.editing.lesion_set import ACCEPTED, LABELS, MANUAL, PROPOSAL, UNKNOWN
from cemviewer.study.model import ImageRef, Study

SEGMENTATION_CLASSES = {"1.2.840.10008.5.1.4.1.1.66.4", "1.2.840.10008.5.1.4.1.1.66.7"}  # binary/fractional, labelmap
_LABEL_OF_TYPE = {code.value: label for label, code in LESION_TYPES.items()}
_SOURCE_OF_ALGORITHM = {"AUTOMATIC": PROPOSAL, "SEMIAUTOMATIC": ACCEPTED, "MANUAL": MANUAL}


class SegError(Exception):
    """A SEG that cannot be used with this study; the message names the file and the reason."""


@dataclass
class SegImport:
    """What the SEGs of a study folder hold: the records of the views they cover, and what could not be used."""

    records: list[LesionRecord] = field(default_factory=list)
    views: set[str] = field(default_factory=set)  # views whose lesions the SEGs give (none there means none)
    problems: list[str] = field(default_factory=list)  # one message per SEG left out, for the user
    sources: list[Path] = field(default_factory=list)  # the SEGs used


def read_segmentation(path: Path, study: Study) -> list[LesionRecord]:
    """The lesions of the SEG at `path`, on `study`'s views. Raises SegError."""
    return _load(Path(path), study)[1]


def import_segmentations(study: Study, paths: Iterable[Path]) -> SegImport:
    """The lesions of several SEGs of one study. Where two cover the same view the later one (content date and
    time) gives that view's lesions; every SEG left out is explained in `problems` and the others still count."""
    result = SegImport()
    readings = []
    for path in paths:
        try:
            ds, records = _load(Path(path), study)
        except SegError as error:
            result.problems.append(str(error))
            continue
        readings.append((_created(ds), Path(path), records))
    taken: dict[str, Path] = {}
    for _moment, path, records in sorted(readings, key=lambda reading: reading[0], reverse=True):
        views = {record.view for record in records}
        clash = sorted(view for view in views if view in taken)
        if clash:
            result.problems.append(f"{path.name}: left out, the newer {taken[clash[0]].name} also gives the "
                                   f"lesions of {', '.join(clash)}")
            continue
        taken.update(dict.fromkeys(views, path))
        result.records.extend(records)
        result.views |= views
        result.sources.append(path)
    order = {view.name: index for index, view in enumerate(study.views)}
    result.records.sort(key=lambda record: (order[record.view], record.number))
    return result


def _load(path: Path, study: Study) -> tuple[Dataset, list[LesionRecord]]:
    ds = _read(path)
    _check_belongs(ds, study, path)
    try:
        return ds, _Reading(path, ds, study).records()
    except SegError:
        raise
    except Exception as error:  # noqa: BLE001 - a missing or malformed attribute anywhere in the SEG
        raise SegError(f"{path.name}: malformed segmentation ({type(error).__name__}: {error})") from error


def _read(path: Path) -> Dataset:
    try:
        ds = pydicom.dcmread(path)
    except Exception as error:  # noqa: BLE001 - OSError or any of pydicom's parse errors: the file is unusable
        raise SegError(f"{path.name}: not a readable DICOM file ({error})") from error
    sop_class = str(ds.get("SOPClassUID", ""))
    if sop_class not in SEGMENTATION_CLASSES:
        kind = UID(sop_class).name if sop_class else "no SOP class"
        raise SegError(f"{path.name}: not a DICOM Segmentation ({kind})")
    return ds


def _check_belongs(ds: Dataset, study: Study, path: Path) -> None:
    study_uid = str(ds.get("StudyInstanceUID", ""))
    if study_uid != study.study_uid:
        whose = " ".join(filter(None, (str(ds.get("PatientID", "")), str(ds.get("StudyDate", "")))))
        raise SegError(f"{path.name}: a segmentation of another study{f' ({whose})' if whose else ''}, "
                       f"not of the open one ({study.patient.patient_id or study.study_uid})")


def _created(ds: Dataset) -> str:
    return "".join(str(ds.get(keyword, "")) for keyword in ("ContentDate", "ContentTime"))


class _Reading:
    def __init__(self, path: Path, ds: Dataset, study: Study) -> None:
        self.path, self.ds = path, ds
        self.images = {ref.sop_instance_uid: (view.name, ref) for view in study.views for ref in view.images()}
        self.flips: dict[ImageRef, tuple[bool, bool]] = {}
        self.segments = {int(item.SegmentNumber): item for item in ds.get("SegmentSequence", [])}
        if not self.segments:
            raise self.error("it defines no segment")

    def error(self, reason: str) -> SegError:
        return SegError(f"{self.path.name}: {reason}")

    def records(self) -> list[LesionRecord]:
        kind = str(self.ds.get("SegmentationType", "")).upper()
        if kind not in ("BINARY", "FRACTIONAL", "LABELMAP"):
            raise self.error(f"unsupported segmentation type {kind or '(none)'}")
        frames = self.frame_count()
        per_frame = self.ds.get("PerFrameFunctionalGroupsSequence") or []
        shared = (self.ds.get("SharedFunctionalGroupsSequence") or [Dataset()])[0]
        if per_frame and len(per_frame) != frames:
            raise self.error(f"{len(per_frame)} per-frame descriptions for {frames} frames")
        threshold = max(int(self.ds.get("MaximumFractionalValue", 1)), 1) / 2 if kind == "FRACTIONAL" else 0
        masks: dict[tuple[int, str], np.ndarray] = {}
        try:
            pixels = iter_pixels(self.ds)
            for index, frame in enumerate(pixels):
                groups = per_frame[index] if per_frame else Dataset()
                view_name, ref = self.image_of(groups, shared, index)
                if frame.shape != (ref.rows, ref.columns):
                    raise self.error(f"frame {index + 1} is {frame.shape[1]} x {frame.shape[0]} pixels, its image "
                                     f"{ref.path.name} {ref.columns} x {ref.rows}")
                frame = flipped(frame, self.flips_of(ref))
                for number, mask in self.frame_segments(frame, kind, threshold, groups, shared, index):
                    key = (number, view_name)
                    masks[key] = masks[key] | mask if key in masks else mask
        except SegError:
            raise
        except Exception as error:  # noqa: BLE001 - pixel decoders raise many types on damaged data
            raise self.error(f"corrupt pixel data ({error})") from error
        return self.make_records(masks)

    def frame_count(self) -> int:
        try:
            return int(self.ds.get("NumberOfFrames", 1))
        except (TypeError, ValueError):
            raise self.error("Number of Frames is not a number") from None

    def frame_segments(self, frame: np.ndarray, kind: str, threshold: float, groups: Dataset, shared: Dataset,
                       index: int):
        """(segment number, bool mask) of one frame."""
        if kind == "LABELMAP":
            for number in np.unique(frame[frame > 0]):
                yield int(number), frame == number
            return
        identification = groups.get("SegmentIdentificationSequence") or shared.get("SegmentIdentificationSequence")
        if not identification:
            raise self.error(f"frame {index + 1} names no segment")
        number = int(identification[0].ReferencedSegmentNumber)
        if number not in self.segments:
            raise self.error(f"frame {index + 1} belongs to segment {number}, which the SEG does not define")
        yield number, frame > threshold if kind == "FRACTIONAL" else frame != 0

    def image_of(self, groups: Dataset, shared: Dataset, index: int) -> tuple[str, ImageRef]:
        """The study image a frame lies on: the first of its source images that is in the study."""
        named = _source_uids(groups) or _source_uids(shared) or self.whole_seg_sources()
        for uid in named:
            if uid in self.images:
                return self.images[uid]
        if not named:
            raise self.error(f"frame {index + 1} names no source image")
        raise self.error(f"frame {index + 1} lies on an image that is not in this study (SOP Instance UID "
                         f"{named[0]})")

    def whole_seg_sources(self) -> list[str]:
        """The images the whole SEG references, when they are all of one view: then every frame lies there."""
        uids = [str(item.ReferencedSOPInstanceUID) for item in self.ds.get("SourceImageSequence", [])]
        for series in self.ds.get("ReferencedSeriesSequence", []):
            uids += [str(item.ReferencedSOPInstanceUID) for item in series.get("ReferencedInstanceSequence", [])]
        views = {self.images[uid][0] for uid in uids if uid in self.images}
        return uids if len(views) <= 1 else []

    def flips_of(self, ref: ImageRef) -> tuple[bool, bool]:
        if ref not in self.flips:
            try:
                self.flips[ref] = flips_of(read_header(ref), ref)
            except Exception as error:  # noqa: BLE001 - the study's image file is gone or damaged
                raise self.error(f"cannot read its image {ref.path} ({error})") from error
        return self.flips[ref]

    def make_records(self, masks: dict[tuple[int, str], np.ndarray]) -> list[LesionRecord]:
        records, counts = [], defaultdict(int)
        for (number, view_name), mask in sorted(masks.items()):
            attributes = _attributes(self.segments[number])
            record = record_of(view_name, counts[view_name] + 1, mask, **attributes)
            if record is not None:
                counts[view_name] += 1
                records.append(record)
        return records


def _source_uids(groups: Dataset) -> list[str]:
    return [str(source.ReferencedSOPInstanceUID)
            for derivation in groups.get("DerivationImageSequence", [])
            for source in derivation.get("SourceImageSequence", [])
            if "ReferencedSOPInstanceUID" in source]


def _attributes(segment: Dataset) -> dict:
    """A record's label, note, source and scores from a Segment Sequence item: our private element when it is
    there and sound, else the standard attributes."""
    types = segment.get("SegmentedPropertyTypeCodeSequence") or []
    algorithm = str(segment.get("SegmentAlgorithmType", "")).upper()
    attributes = {
        "label": _LABEL_OF_TYPE.get(str(types[0].CodeValue), UNKNOWN) if types else UNKNOWN,
        "note": str(segment.get("SegmentDescription", "") or ""),
        "source": _SOURCE_OF_ALGORITHM.get(algorithm, MANUAL),
    }
    try:
        block = segment.private_block(PRIVATE_GROUP, PRIVATE_CREATOR)
        fields = json.loads(block[PRIVATE_RECORD].value)
    except (KeyError, ValueError, TypeError):
        return attributes
    if isinstance(fields, dict):
        if isinstance(fields.get("note"), str):
            attributes["note"] = fields["note"]
        if fields.get("label") in LABELS:
            attributes["label"] = fields["label"]
        if fields.get("source") in (PROPOSAL, ACCEPTED, MANUAL):
            attributes["source"] = fields["source"]
        for score in ("score", "malignancy"):
            if isinstance(fields.get(score), (int, float)):
                attributes[score] = float(fields[score])
    return attributes
