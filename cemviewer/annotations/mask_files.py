"""Lesion masks as PNG label images, one per image file, as `cemviewer analyze --masks` and a synthetic study's
masks/ folder have them: <image file stem>.png on the file's stored pixel grid, 0 background, lesion k of the view
= k (8-bit, 16-bit past 255 lesions). Read back, a mask with several non-zero values holds one lesion per value,
otherwise each connected region is a lesion; when both images of a view have a mask the low-energy one counts.

Every image of the study gets a mask, an empty one where its view has no lesion: the export says "no lesion
here", not "not looked at". A label image holds one lesion per pixel: where lesions overlap, the later one (drawn
on top in the viewer) keeps the pixel. An image whose size differs from the one the lesions were drawn on (a
recombined image of another detector size) gets no mask; the returned notes say so.

NIfTI is not written: nibabel is not a dependency, and a 2-D mammogram gains nothing from it over PNG.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy import ndimage

from cemviewer.annotations.output import ExportError, write_atomically
from cemviewer.annotations.records import LesionRecord, by_view, record_of
from cemviewer.annotations.stored_grid import StoredGrid, flipped
from cemviewer.editing.mask_ops import box_slices
from cemviewer.study.model import Study


class MaskImageError(ValueError):
    """A mask file that is not a readable image."""


def read_label_image(path: Path) -> np.ndarray:
    """The label values of a mask image (8- or 16-bit grey PNG; other modes are turned grey)."""
    try:
        with Image.open(path) as png:
            return np.asarray(png.convert("I") if png.mode not in ("L", "I", "I;16") else png)
    except (UnidentifiedImageError, OSError) as error:
        raise MaskImageError(f"not a readable mask image ({error})") from error


def lesion_masks(labels: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(label, bool mask) per lesion: one per non-zero value when there are several, else per connected region."""
    values = np.unique(labels[labels != 0])
    if len(values) > 1:
        return [(int(value), labels == value) for value in values]
    regions, count = ndimage.label(labels != 0)
    return [(index, regions == index) for index in range(1, count + 1)]


def read_png_masks(study: Study, folder: Path) -> tuple[list[LesionRecord], list[str]]:
    """The lesions of the masks in `folder` for `study`'s images, as records (manual, unlabelled), and one
    problem per mask that cannot be used. Raises ExportError when an image's header cannot be read."""
    records, problems = [], []
    for view in study.views:
        for ref in view.images():  # low energy first
            path = Path(folder) / f"{ref.path.stem}.png"
            if not path.is_file():
                continue
            try:
                labels = read_label_image(path)
            except MaskImageError as error:
                problems.append(f"{path.name}: {error}")
                break
            grid = StoredGrid.read(ref)
            if labels.shape != grid.shape:
                problems.append(f"{path.name}: a mask of {labels.shape[1]} x {labels.shape[0]} pixels for the "
                                f"{grid.shape[1]} x {grid.shape[0]} image {ref.path.name}")
                break
            for number, (_value, mask) in enumerate(lesion_masks(flipped(labels, grid.flips)), start=1):
                records.append(record_of(view.name, number, mask))
            break
    return records, problems


def label_image(records: list[LesionRecord], shape: tuple[int, int]) -> np.ndarray:
    """The records of one view as a label image in display orientation, lesion k = k."""
    labels = np.zeros(shape, np.uint8 if len(records) < 256 else np.uint16)
    for record in records:
        labels[box_slices(record.box)][record.mask] = record.number
    return labels


def write_png_masks(study: Study, records: Iterable[LesionRecord], folder: Path) -> tuple[list[Path], list[str]]:
    """Write a mask per image of `study` into `folder` (made if needed); (paths written, notes). Raises
    ExportError when an image's header cannot be read, OSError when the folder cannot be written."""
    groups = by_view(records)
    unknown = sorted(set(groups) - {view.name for view in study.views})
    if unknown:
        raise ExportError(f"lesions of {', '.join(unknown)}, which this study has no images of")
    folder = Path(folder)
    written, notes = [], []
    for view in study.views:
        grids = [StoredGrid.read(ref) for ref in view.images()]
        shape = grids[0].shape  # the lesions lie on the first image's grid, as in the viewer
        labels = label_image(groups.get(view.name, []), shape)
        for grid in grids:
            if grid.shape != shape:
                notes.append(f"{grid.ref.path.name}: no mask, its {grid.shape[1]} x {grid.shape[0]} pixels differ "
                             f"from the {shape[1]} x {shape[0]} the {view.name} lesions were drawn on")
                continue
            path = folder / f"{grid.ref.path.stem}.png"
            image = Image.fromarray(np.ascontiguousarray(flipped(labels, grid.flips)))
            written.append(write_atomically(path, lambda target, image=image: image.save(target, format="PNG")))
    return written, notes

