"""The one lesion-AI entry point for the viewer and the headless commands: segment, classify, explain one view.

    ai = LesionAI.load()                      # models/segmenter.pt + models/classifier.pt
    findings = ai.analyze(le_pixels, rec_pixels, cancel=worker.is_cancelled)

Weights are looked up in, first to last: the `models_dir` argument, the CEMVIEWER_MODELS environment variable, the
`models/` folder next to the installed package (the repository's models/ for an editable install).
The device is the `device` argument, else CEMVIEWER_DEVICE, else CUDA when torch sees a GPU, else the CPU.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from cemviewer.ai.classifier import MalignancyClassifier, lesion_windows, normalised_pair, pick_device
from cemviewer.ai.findings import AIOutOfMemoryError, AnalysisCancelled, Lesion, ViewFindings
from cemviewer.ai.gradcam import crop_heatmaps, view_heatmap
from cemviewer.ai.instances import Lesion as EnergyLesion
from cemviewer.ai.model_files import (CLASSIFIER_FILE, DEVICE_ENV, MODELS_ENV, SEGMENTER_FILE, ModelLoadError,
                                      default_models_dir)
from cemviewer.ai.segmenter import LesionSegmenter

__all__ = ["AnalysisCancelled", "AIOutOfMemoryError", "CLASSIFIER_FILE", "DEVICE_ENV", "Lesion", "LesionAI",
           "ModelLoadError", "SEGMENTER_FILE", "ViewFindings", "default_models_dir"]


class LesionAI:
    def __init__(self, segmenter: LesionSegmenter, classifier: MalignancyClassifier):
        self.segmenter = segmenter
        self.classifier = classifier
        # Grad-CAM++ hooks into the shared classifier, so two analyses at once would mix their gradients.
        self._lock = threading.Lock()

    @property
    def device(self) -> str:
        return str(self.classifier.device)

    @classmethod
    def load(cls, models_dir: Path | None = None, device: str | None = None) -> "LesionAI":
        """Both models; ModelLoadError names the file and what is wrong with it."""
        folder = Path(models_dir) if models_dir is not None else default_models_dir()
        if not folder.is_dir():
            raise ModelLoadError(f"models folder not found: {folder} (set {MODELS_ENV} to the folder holding "
                                 f"{SEGMENTER_FILE} and {CLASSIFIER_FILE})")
        device = device or os.environ.get(DEVICE_ENV) or None
        try:
            torch_device = pick_device(device)
        except RuntimeError as error:
            raise ModelLoadError(f"unknown device {device!r}: {error}") from error
        segmenter = LesionSegmenter.load(folder / SEGMENTER_FILE)
        classifier = MalignancyClassifier.load(folder / CLASSIFIER_FILE, device=str(torch_device))
        return cls(segmenter, classifier)

    def analyze(self, le: np.ndarray | None, rec: np.ndarray | None,
                cancel: Callable[[], bool] | None = None) -> ViewFindings:
        """Lesions of one view (LE and/or recombined pixels, co-registered), their malignancy and the heatmap.

        Raises ValueError for unusable images, AnalysisCancelled when `cancel()` turns True between stages,
        AIOutOfMemoryError when the GPU runs out of memory. Calls from several threads run one after the other.
        """
        with self._lock:
            return self._analyze(le, rec, cancel)

    def _analyze(self, le, rec, cancel) -> ViewFindings:
        seconds: dict[str, float] = {}

        def stage(name: str, work: Callable):
            if cancel is not None and cancel():
                raise AnalysisCancelled(f"lesion analysis cancelled before {name}")
            start = time.perf_counter()
            try:
                return work()
            except torch.cuda.OutOfMemoryError as error:
                torch.cuda.empty_cache()
                raise AIOutOfMemoryError(f"the GPU ran out of memory during {name}; close other programs using "
                                         f"the GPU or run on the CPU ({DEVICE_ENV}=cpu)") from error
            finally:
                seconds[name] = time.perf_counter() - start

        le_n, rec_n = stage("preprocessing", lambda: normalised_pair(le, rec))
        shape = (le_n if le_n is not None else rec_n).shape
        by_energy = stage("segmentation", lambda: self.segmenter.segment(le, rec))
        lesions = _merge_energies({energy: result.lesions for energy, result in by_energy.items()})
        if not lesions:
            return ViewFindings([], None, self.device, seconds)
        windows = lesion_windows([lesion.box for lesion in lesions], shape, self.classifier.meta)
        crops = stage("classification crops", lambda: self.classifier.crops(le_n, rec_n, windows))
        probabilities = stage("classification", lambda: self.classifier.probabilities(crops))
        for lesion, probability in zip(lesions, probabilities):
            lesion.malignancy = float(probability)
        crop_maps = stage("grad-cam++", lambda: crop_heatmaps(self.classifier, crops))
        heatmap = stage("heatmap", lambda: view_heatmap(crop_maps, windows, shape, probabilities))
        return ViewFindings(lesions, heatmap, self.device, seconds)


def _merge_energies(by_energy: dict[str, list[EnergyLesion]]) -> list[Lesion]:
    """Group overlapping outlines across energies into one Lesion each (union-find over overlapping pairs)."""
    members = [(energy, lesion) for energy, lesions in by_energy.items() for lesion in lesions]
    parent = list(range(len(members)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (energy_i, a) in enumerate(members):
        for j in range(i + 1, len(members)):
            energy_j, b = members[j]
            if energy_i != energy_j and _boxes_overlap(a.box, b.box) and np.any(a.mask & b.mask):
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(members)):
        groups.setdefault(root(i), []).append(i)
    merged = [_lesion_of([members[i] for i in group]) for group in groups.values()]
    return sorted(merged, key=lambda lesion: -lesion.score)


def _boxes_overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _lesion_of(group: list[tuple[str, EnergyLesion]]) -> Lesion:
    outlines: dict[str, np.ndarray] = {}
    for energy, member in group:
        outlines[energy] = member.mask if energy not in outlines else outlines[energy] | member.mask
    mask = np.logical_or.reduce(list(outlines.values())) if len(outlines) > 1 else next(iter(outlines.values()))
    boxes = np.array([member.box for _, member in group])
    box = (int(boxes[:, 0].min()), int(boxes[:, 1].min()), int(boxes[:, 2].max()), int(boxes[:, 3].max()))
    return Lesion(mask=mask, box=box, score=max(member.score for _, member in group), malignancy=None,
                  area_px=int(mask.sum()), outlines=outlines)
