"""Find the CEM studies under a path from DICOM headers alone, and say why every other file was left out.

Every file under a folder is tried, whatever its name; pixels are never read, so a scan of a whole CD takes
about as long as reading its headers. A DICOMDIR is cross-checked rather than trusted: the folder walk still finds
files it does not list, and files it lists that are gone are reported.
"""

from __future__ import annotations

import os
import re
import struct
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pydicom
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID, MediaStorageDirectoryStorage

from cemviewer.study.anatomy import laterality_of, view_of
from cemviewer.study.attributes import text
from cemviewer.study.energy import classify_energy
from cemviewer.study.model import Energy, ImageRef, PatientInfo, ScanResult, ScannedHeader, Skipped, Study, View

HANGING_ORDER = ("RCC", "LCC", "RMLO", "LMLO")
# Exports carry viewers, reports and thumbnails next to the images; a UI may show these less prominently.
NOT_DICOM_REASON = "not a DICOM file"
HIGH_ENERGY_REASON = "high-energy image (not displayed; CEM shows the low-energy and recombined images)"
_PIXEL_TAGS = {0x7FE00010, 0x7FE00008, 0x7FE00009}
_SEQUENCE_DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
_UNDEFINED_LENGTH = 0xFFFFFFFF
_NO_PIXELS = "absent"  # what _pixel_data says about an object that has no pixel data at all
_ENERGY_WORDS = {Energy.LOW: "low-energy", Energy.RECOMBINED: "recombined"}


class _Rejected(Exception):
    """A file that is not a usable mammogram; the message is the reason shown to the user."""


@dataclass
class _Candidate:
    ref: ImageRef
    header: pydicom.Dataset
    order: tuple  # later acquisitions sort last and win a contested slot


def _walk(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    found = []
    for folder, subfolders, files in os.walk(root):
        subfolders.sort()
        found.extend(Path(folder) / name for name in sorted(files))
    return found


def _pixel_data(fp: BinaryIO, ds: pydicom.Dataset, stat: os.stat_result) -> tuple[str | None, ScannedHeader | None]:
    """Why the pixel data element starting at the file position is unusable (None when it looks whole), and for
    whole uncompressed pixel data, the header with where its value lies.

    The problem is _NO_PIXELS when the object has no pixel data at all. Checked from the element's length (or, for
    compressed data, its closing delimiter) so a truncated file is caught without reading the pixels.
    """
    start = fp.tell()
    head = fp.read(12)
    if len(head) < 8:
        return _NO_PIXELS, None
    implicit_vr, little_endian = ds.original_encoding
    endian = "<" if little_endian in (True, None) else ">"
    group, element = struct.unpack(f"{endian}HH", head[:4])
    if (group << 16 | element) not in _PIXEL_TAGS:
        return _NO_PIXELS, None
    if implicit_vr:
        (length,), header_size = struct.unpack(f"{endian}I", head[4:8]), 8
    else:
        (length,), header_size = struct.unpack(f"{endian}I", head[8:12]), 12
    if length == _UNDEFINED_LENGTH:
        fp.seek(max(start, stat.st_size - 4096))
        if _SEQUENCE_DELIMITER not in fp.read():
            return "truncated file: the compressed pixel data has no end (missing sequence delimiter)", None
        return None, None
    available = stat.st_size - start - header_size
    if available < length:
        return f"truncated file: pixel data needs {length} bytes, only {max(available, 0)} are present", None
    return None, ScannedHeader(ds, start + header_size, length, stat.st_size, stat.st_mtime_ns)


def _read_header(path: Path) -> tuple[pydicom.Dataset, str | None, ScannedHeader | None]:
    """The header of `path`, what is wrong with its pixel data (None when fine, _NO_PIXELS when there is none), and
    for uncompressed pixel data, the header with where the pixels lie."""
    try:
        with open(path, "rb") as fp:
            try:
                ds = pydicom.dcmread(fp, stop_before_pixels=True)
            except InvalidDicomError:
                # Old archives hold DICOM without the 128-byte preamble; such a file starts with a group 0002
                # or 0008 element. Anything else is forced open only to produce noise.
                fp.seek(0)
                if fp.read(2) not in (b"\x02\x00", b"\x08\x00"):
                    raise _Rejected(NOT_DICOM_REASON) from None
                fp.seek(0)
                ds = pydicom.dcmread(fp, stop_before_pixels=True, force=True)
                if "SOPClassUID" not in ds:
                    raise _Rejected(NOT_DICOM_REASON) from None
            return ds, *_pixel_data(fp, ds, os.fstat(fp.fileno()))
    except _Rejected:
        raise
    except OSError as error:
        raise _Rejected(f"cannot read the file: {error.strerror or error}") from error
    except Exception as error:  # noqa: BLE001 - pydicom raises many types on damaged input; all mean "corrupt"
        raise _Rejected(f"corrupt or truncated DICOM header: {error}") from error


def _number(ds: pydicom.Dataset, keyword: str) -> int:
    try:
        return int(ds.get(keyword) or 0)
    except Exception:  # noqa: BLE001 - as in cemviewer.study.attributes.text
        return 0


def _decimal(ds: pydicom.Dataset, keyword: str) -> float | None:
    try:
        value = ds.get(keyword)
        return float(value) if value not in (None, "") else None
    except Exception:  # noqa: BLE001 - as in cemviewer.study.attributes.text
        return None


def _acquisition_order(ds: pydicom.Dataset, path: Path) -> tuple:
    moment = (text(ds, "AcquisitionDate") or text(ds, "ContentDate")) + (
        text(ds, "AcquisitionTime") or text(ds, "ContentTime")
    )
    return moment, _number(ds, "SeriesNumber"), _number(ds, "InstanceNumber"), str(path)


def _class_name(ds: pydicom.Dataset) -> str:
    # A file cut short inside its dataset still names its class in the file meta.
    meta_class = ds.file_meta.get("MediaStorageSOPClassUID") if hasattr(ds, "file_meta") else None
    sop_class = UID(text(ds, "SOPClassUID") or str(meta_class or ""))
    return sop_class.name if sop_class else "no SOP class"


def _check_image(ds: pydicom.Dataset, pixel_problem: str | None) -> None:
    """Reject a mammography object that is not one displayable 2-D image."""
    if pixel_problem:
        raise _Rejected(pixel_problem)
    intent = text(ds, "PresentationIntentType").upper()
    if "For Processing" in _class_name(ds) or intent == "FOR PROCESSING":
        raise _Rejected("for-processing (raw detector) image; only For Presentation images are displayed")
    frames = _number(ds, "NumberOfFrames")
    if frames > 1:
        raise _Rejected(f"multi-frame object ({frames} frames, e.g. tomosynthesis); only 2-D mammograms are shown")


def _identify(path: Path, ds: pydicom.Dataset, header: ScannedHeader | None) -> _Candidate:
    """An ImageRef for a mammogram header, or _Rejected saying which attribute is missing."""
    study_uid = text(ds, "StudyInstanceUID")
    if not study_uid:
        raise _Rejected("no StudyInstanceUID, so the image cannot be placed in a study")
    laterality = laterality_of(ds)
    if laterality is None:
        raise _Rejected("no laterality: ImageLaterality, Laterality and the descriptions do not say which breast")
    view = view_of(ds)
    if view is None:
        raise _Rejected(
            "no view: ViewPosition, ViewCodeSequence and the descriptions do not name the projection"
        )
    verdict = classify_energy(ds)
    if verdict.energy is None:
        raise _Rejected(verdict.evidence)
    ref = ImageRef(
        path=path,
        sop_instance_uid=text(ds, "SOPInstanceUID"),
        series_uid=text(ds, "SeriesInstanceUID"),
        study_uid=study_uid,
        patient_id=text(ds, "PatientID"),
        laterality=laterality,
        view=view,
        energy=verdict.energy,
        rows=_number(ds, "Rows"),
        columns=_number(ds, "Columns"),
        kvp=_decimal(ds, "KVP"),
        compressed=_compressed(ds),
        header=header,
    )
    return _Candidate(ref, ds, _acquisition_order(ds, path))


def _is_mammography(ds: pydicom.Dataset) -> bool:
    modality = text(ds, "Modality").upper()
    return modality == "MG" or (not modality and "Mammography" in _class_name(ds))


# DICOM allows 8 upper-case characters per File ID component; real media bend that, but never to control characters.
_FILE_ID_PART = re.compile(r"[\w.\- ]{1,64}")


def _file_id_parts(file_id) -> list[str]:
    parts = [file_id] if isinstance(file_id, str) else [str(part) for part in file_id]
    if not all(_FILE_ID_PART.fullmatch(part) for part in parts):
        raise ValueError("a ReferencedFileID is garbled")
    return parts


class _Scan:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.base = root if root.is_dir() else root.parent
        self.result = ScanResult(root=root)
        self.candidates: list[_Candidate] = []
        self.other_series: dict[tuple[str, str], list[Path]] = defaultdict(list)
        self.segmentations: dict[str, list[Path]] = defaultdict(list)  # by StudyInstanceUID

    def relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.base).as_posix()
        except ValueError:
            return path.as_posix()

    def skip(self, path: Path, reason: str) -> None:
        self.result.skipped.append(Skipped(path, reason))

    def add_file(self, path: Path) -> None:
        try:
            ds, pixel_problem, header = _read_header(path)
            if _class_name(ds) == MediaStorageDirectoryStorage.name or "DirectoryRecordSequence" in ds:
                self.check_dicomdir(path, ds)
                return
            if pixel_problem == _NO_PIXELS and "Image Storage" in _class_name(ds):
                raise _Rejected(f"no pixel data in a {_class_name(ds)} object (truncated or incomplete file)")
            if "Segmentation" in _class_name(ds):
                self.segmentations[text(ds, "StudyInstanceUID")].append(path)
                return
            if pixel_problem == _NO_PIXELS:
                raise _Rejected(f"not an image ({_class_name(ds)})")
            if not _is_mammography(ds):
                self.note_other_series(path, ds)
                return
            _check_image(ds, pixel_problem)
            self.candidates.append(_identify(path, ds, header))
        except _Rejected as rejection:
            self.skip(path, str(rejection))
        except Exception as error:  # noqa: BLE001 - one malformed header must not end the scan of the others
            self.skip(path, f"unusable DICOM header ({type(error).__name__}: {error})")

    def note_other_series(self, path: Path, ds: pydicom.Dataset) -> None:
        modality = text(ds, "Modality") or "no modality"
        kind = f"{modality}, {_class_name(ds)}"
        self.other_series[(text(ds, "SeriesInstanceUID") or str(path), kind)].append(path)

    def check_dicomdir(self, path: Path, ds: pydicom.Dataset) -> None:
        """Report the files a DICOMDIR lists that no longer exist; the walk finds everything else."""
        try:
            listed = [
                path.parent.joinpath(*_file_id_parts(file_id))
                for record in ds.DirectoryRecordSequence
                if (file_id := record.get("ReferencedFileID"))
            ]
        except Exception as error:  # noqa: BLE001 - a damaged DICOMDIR only loses its cross-check
            self.skip(path, f"unreadable DICOMDIR ({error}); the folder was searched without it")
            return
        for missing in (p for p in listed if not p.is_file()):
            self.skip(missing, f"listed in the DICOMDIR {self.relative(path)} but the file is missing")

    def finish(self) -> ScanResult:
        for (_, kind), paths in sorted(self.other_series.items(), key=lambda item: str(item[1][0])):
            others = len(paths) - 1
            reason = f"not mammography ({kind})"
            if others:
                reason += f"; {others} more file{'s' if others > 1 else ''} of this series also left out"
            self.skip(paths[0], reason)
        self.result.studies = self.assemble_studies()
        shown = {study.study_uid for study in self.result.studies}
        for study_uid, paths in self.segmentations.items():
            for path in paths if study_uid not in shown else ():
                self.skip(path, "segmentation (DICOM SEG) of a study whose images are not here")
        self.result.skipped.sort(key=lambda item: self.relative(item.path))
        return self.result

    def assemble_studies(self) -> list[Study]:
        by_study: dict[str, list[_Candidate]] = defaultdict(list)
        for candidate in self.candidates:
            by_study[candidate.ref.study_uid].append(candidate)
        studies = [self.assemble_study(members) for members in by_study.values()]
        return sorted(studies, key=lambda study: (study.study_date, study.study_uid))

    def assemble_study(self, members: list[_Candidate]) -> Study:
        first = min(members, key=lambda c: str(c.ref.path)).header
        study = Study(
            study_uid=text(first, "StudyInstanceUID"),
            patient=PatientInfo(
                patient_id=text(first, "PatientID"),
                patient_name=text(first, "PatientName"),
                birth_date=text(first, "PatientBirthDate"),
                sex=text(first, "PatientSex"),
                age=text(first, "PatientAge"),
            ),
            study_date=text(first, "StudyDate"),
            study_description=text(first, "StudyDescription"),
            accession_number=text(first, "AccessionNumber"),
            institution=text(first, "InstitutionName"),
            manufacturer=text(first, "Manufacturer"),
            model_name=text(first, "ManufacturerModelName"),
            segmentations=sorted(self.segmentations.get(text(first, "StudyInstanceUID"), [])),
        )
        slots: dict[tuple[str, str], dict[Energy, list[_Candidate]]] = defaultdict(lambda: defaultdict(list))
        for candidate in members:
            slots[(candidate.ref.laterality, candidate.ref.view)][candidate.ref.energy].append(candidate)
        for (laterality, view_name), by_energy in slots.items():
            for candidate in by_energy.pop(Energy.HIGH, []):
                self.skip(candidate.ref.path, HIGH_ENERGY_REASON)
            view = View(laterality, view_name)
            view.low_energy = self.choose(view, Energy.LOW, by_energy.get(Energy.LOW, []))
            view.recombined = self.choose(view, Energy.RECOMBINED, by_energy.get(Energy.RECOMBINED, []))
            if view.low_energy or view.recombined:
                study.views.append(view)
        study.views.sort(key=_hanging_key)
        for view in study.views:
            self.note_incomplete(study, view)
        return study

    def choose(self, view: View, energy: Energy, contenders: list[_Candidate]) -> ImageRef | None:
        """The latest acquisition for a slot; every other contender is skipped with the slot named."""
        if not contenders:
            return None
        contenders = sorted(contenders, key=lambda c: c.order)
        kept = contenders[-1].ref
        for loser in contenders[:-1]:
            if loser.ref.sop_instance_uid and loser.ref.sop_instance_uid == kept.sop_instance_uid:
                reason = f"copy of {self.relative(kept.path)} (same SOPInstanceUID)"
            else:
                reason = (
                    f"second {_ENERGY_WORDS[energy]} image for {view.name}; "
                    f"kept the later acquisition {self.relative(kept.path)}"
                )
            self.skip(loser.ref.path, reason)
        return kept

    def note_incomplete(self, study: Study, view: View) -> None:
        missing = "recombined" if view.recombined is None else "low-energy" if view.low_energy is None else None
        if missing:
            present = "low-energy" if missing == "recombined" else "recombined"
            who = study.patient.patient_id or study.study_uid
            self.result.notes.append(f"{who}: {view.name} has a {present} image but no {missing} image")


def _hanging_key(view: View) -> tuple:
    if view.name in HANGING_ORDER:
        return (0, HANGING_ORDER.index(view.name), "", "")
    return (1, 0, view.view, "0" if view.laterality == "R" else "1")


def scan_path(path: Path, progress: Callable[[int, int], None] | None = None) -> ScanResult:
    """Group the mammograms under `path` (a folder, searched recursively, or one file) into studies and views.

    `progress(done, total)` is called after each file. Raises FileNotFoundError when `path` does not exist;
    every problem with the files themselves ends up in ScanResult.skipped or ScanResult.notes instead.
    """
    return scan_paths([path], progress)


def scan_paths(paths: list[Path], progress: Callable[[int, int], None] | None = None) -> ScanResult:
    """scan_path for several files and folders taken together (e.g. dropped on the viewer at once): their images
    are grouped as if they lay in one folder, so an LE file and its recombined partner still make one view."""
    roots = [Path(path) for path in paths]
    if not roots:
        raise ValueError("no path to scan")
    for root in roots:
        if not root.exists():
            raise FileNotFoundError(f"no such file or directory: {root}")
    # Opening a DICOMDIR means opening the media it indexes.
    roots = [root.parent if root.is_file() and root.name.upper() == "DICOMDIR" else root for root in roots]
    scan = _Scan(roots[0] if len(roots) == 1 else Path(os.path.commonpath(roots)))
    files = list(dict.fromkeys(file for root in roots for file in _walk(root)))
    for done, file in enumerate(files, start=1):
        scan.add_file(file)
        if progress is not None:
            progress(done, len(files))
    return scan.finish()


def _compressed(ds: pydicom.Dataset) -> bool:
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    try:
        return bool(syntax is not None and UID(str(syntax)).is_compressed)
    except ValueError:  # an unknown transfer syntax: pydicom will say why when the pixels are decoded
        return False
