"""Write a synthetic CEM study to disk: eight DICOM files, their lesion label masks and truth.json.

Layout (vendor-like: extension-less names for one series, .dcm for the other):

    out_dir/DICOM/S0001/I0001 .. I0004       low energy, RCC LCC RMLO LMLO
    out_dir/DICOM/S0002/I0005.dcm .. I0008.dcm  recombined, same order
    out_dir/masks/I0001.png .. I0008.png    uint8 labels: 0 background, lesion k = k
    out_dir/truth.json                      StudyTruth (cemviewer.synth.truth)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from cemviewer.study.model import Energy
from cemviewer.synth.dicom_writer import StudyIdentity, mammo_dataset, write_dataset
from cemviewer.synth.scene import SyntheticStudy, SyntheticView, synthesize
from cemviewer.synth.truth import ImageTruth, LesionOnImage, LesionTruth, StudyTruth

FULL_SHAPE = (2294, 1914)
MIN_SIDE = 64
_SERIES = ((Energy.LOW, 1, ""), (Energy.RECOMBINED, 2, ".dcm"))  # energy, series number, file extension


def write_study(out_dir: Path, seed: int = 0, shape: tuple[int, int] = FULL_SHAPE, pixel_spacing_mm: float = 0.1,
                transfer_syntax: str | None = None) -> StudyTruth:
    """Synthesize the study for `seed` and write it under `out_dir` (created if needed). Same seed, shape and
    spacing give identical pixels."""
    _check_geometry(shape, pixel_spacing_mm)
    out_dir = Path(out_dir)
    study = synthesize(seed, shape, pixel_spacing_mm)
    identity = StudyIdentity.new(seed, (shape, pixel_spacing_mm))
    (out_dir / "masks").mkdir(parents=True, exist_ok=True)
    images: list[ImageTruth] = []
    findings: dict[int, list[LesionOnImage]] = {lesion.spec.id: [] for lesion in study.lesions}
    for energy, series, extension in _SERIES:
        for instance, view in enumerate(study.views, start=1):
            number = (series - 1) * len(study.views) + instance
            file = f"DICOM/S{series:04d}/I{number:04d}{extension}"
            mask = f"masks/I{number:04d}.png"
            recombined = energy is Energy.RECOMBINED
            ds = mammo_dataset(
                view.recombined if recombined else view.low_energy,
                identity=identity,
                laterality=view.laterality,
                view=view.view,
                energy=energy,
                series_number=series,
                instance_number=instance,
                pixel_spacing_mm=study.spacing_mm,
                window=view.window_recombined if recombined else view.window_low_energy,
            )
            kwargs = {} if transfer_syntax is None else {"transfer_syntax": transfer_syntax}
            write_dataset(ds, out_dir / file, **kwargs)
            Image.fromarray(view.labels).save(out_dir / mask)
            nipple = (round(view.nipple[0], 2), round(view.nipple[1], 2))
            axis = (round(view.axis[0], 4), round(view.axis[1], 4))
            images.append(ImageTruth(file, mask, view.laterality, view.view, energy.value, nipple, axis,
                                     view.has_pectoral))
            for lesion_id, finding in _findings(view, file, energy, study.spacing_mm):
                findings[lesion_id].append(finding)
    truth = StudyTruth(
        seed=seed,
        shape=study.shape,
        pixel_spacing_mm=study.spacing_mm,
        breast_density=study.density,
        bpe=study.bpe,
        images=tuple(images),
        lesions=tuple(_lesion_truth(study, lesion, findings[lesion.spec.id]) for lesion in study.lesions),
    )
    truth.save(out_dir)
    return truth


def _check_geometry(shape, pixel_spacing_mm: float) -> None:
    if len(shape) != 2 or min(shape) < MIN_SIDE:
        raise ValueError(f"image shape must be two sizes of at least {MIN_SIDE} pixels, got {tuple(shape)}")
    if not 0 < pixel_spacing_mm <= 2:
        raise ValueError(f"pixel spacing must be in (0, 2] mm, got {pixel_spacing_mm}")


def _findings(view: SyntheticView, file: str, energy: Energy, spacing_mm: float):
    for lesion_id in np.unique(view.labels[view.labels > 0]):
        rows, cols = np.nonzero(view.labels == lesion_id)
        centre = (float(rows.mean()), float(cols.mean()))
        depth = ((centre[0] - view.nipple[0]) * view.axis[0] + (centre[1] - view.nipple[1]) * view.axis[1]) * spacing_mm
        yield int(lesion_id), LesionOnImage(
            file=file,
            view=view.view,
            energy=energy.value,
            center=(round(centre[0], 2), round(centre[1], 2)),
            bbox=(int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1),
            distance_from_nipple_mm=round(float(depth), 2),
        )


def _lesion_truth(study: SyntheticStudy, lesion, findings: list[LesionOnImage]) -> LesionTruth:
    spec, placement = lesion.spec, lesion.placement
    cc = next(v for v in study.views if v.laterality == spec.laterality and v.view == "CC")
    third = min(int(3 * placement.depth_mm / cc.breast_length_mm), 2)
    return LesionTruth(
        id=spec.id,
        laterality=spec.laterality,
        pathology=spec.pathology,
        shape=spec.shape,
        margin=spec.margin,
        enhancement=spec.enhancement,
        birads=spec.birads,
        calcifications=spec.calcifications,
        size_mm=round(spec.size_mm, 1),
        depth_mm=round(placement.depth_mm, 1),
        depth=("anterior", "middle", "posterior")[third],
        clock=placement.clock(spec.laterality),
        images=tuple(findings),
    )
