"""Live assessment of the selected lesion's outline, off the UI thread: radiomics of LE and recombined, the DL and
radiomics probabilities, the fused one, its threshold and call, and the TreeSHAP contributions. The work is
cemviewer.fusion.assess_lesion, the same core `cemviewer analyze` runs, so the viewer and the report agree.

- Follows the LesionSet on screen (`show_lesions`, fed from EditSession.lesionsShown): its active lesion when it
  is selected, and after every completed edit of it (the set's `roi` updates, the ones EditSession passes on as
  roiChanged; listening to the set itself also catches selection, which roiChanged does not carry).
- Debounced: a run starts DEBOUNCE_MS after the last change and never in the middle of a stroke (the stroke's
  release brings the final outline). One run at a time; while one runs, only the newest request waits.
- Every request has a generation; a result of an older generation is dropped, so the panel never shows numbers for
  an outline that is no longer there.
- The worker gets a copy of the outline's bounding box (the UI thread goes on editing the lesion's own mask) and
  the view's images as decoded by the loader; nothing is read again.
- Models (the radiomics XGBoost model and the DL classifier) are loaded in the worker on first use, once per
  process and models folder. Without a usable classifier the fused probability is the radiomics one alone, as in
  `cemviewer analyze`, and the result says so; without the radiomics model nothing can be assessed and the
  message says which file is missing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from cemviewer.ai.model_files import CLASSIFIER_FILE, DEVICE_ENV, ModelLoadError, default_models_dir
from cemviewer.editing.lesion_set import LesionSet, Update
from cemviewer.editing.mask_ops import Box, box_slices
from cemviewer.fusion.assess import LesionAssessment, assess_lesion, dense_bright
from cemviewer.fusion.model import MODEL_FILE, RadiomicsModel
from cemviewer.radiomics import RadiomicsError
from cemviewer.services.study_loader import report_from_worker
from cemviewer.study.model import MammoImage

if TYPE_CHECKING:
    from cemviewer.ai.classifier import MalignancyClassifier

DEBOUNCE_MS = 200  # after the last edit: strokes in quick succession make one run
NO_LESION_TEXT = "Select or draw a lesion to see its assessment"
NO_IMAGES_TEXT = "The images of this view are not loaded yet"


@dataclass(frozen=True)
class ViewInputs:
    """What the worker measures on: the view's decoded images (either may be None) and the patient's age."""

    le: MammoImage | None
    rec: MammoImage | None
    age: float | None = None


@dataclass(frozen=True)
class RoiAssessment:
    lesion_id: int
    generation: int
    assessment: LesionAssessment
    note: str  # what the figures lack and why (no DL classifier); empty when complete


@dataclass(frozen=True)
class _Job:
    generation: int
    lesion_id: int
    shape: tuple[int, int]
    box: Box | None  # the outline's bounding box; None: the outline is empty
    crop: np.ndarray | None  # the mask inside box, copied
    inputs: ViewInputs
    models_dir: Path


@dataclass(frozen=True)
class FusionModels:
    radiomics: RadiomicsModel
    classifier: MalignancyClassifier | None
    classifier_problem: str  # why there is no classifier; empty when there is one


class _ModelRegistry:
    """The process's assessment models, per models folder. A failed radiomics load is tried again next time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[str, FusionModels] = {}

    def get(self, folder: Path) -> FusionModels:
        """Raises ModelLoadError when the radiomics model cannot be used."""
        place = str(folder.resolve())
        with self._lock:
            if place not in self._loaded:
                radiomics = RadiomicsModel.load(folder / MODEL_FILE)
                try:
                    device = os.environ.get(DEVICE_ENV) or None
                    # Imported here, in the worker: torch would cost the viewer 1.3 s and ~600 MB at start-up.
                    from cemviewer.ai.classifier import MalignancyClassifier

                    classifier, problem = MalignancyClassifier.load(folder / CLASSIFIER_FILE, device), ""
                except ModelLoadError as error:
                    classifier = None
                    problem = f"No DL probability ({error}): the fused probability is the radiomics one alone"
                self._loaded[place] = FusionModels(radiomics, classifier, problem)
            return self._loaded[place]


_MODELS = _ModelRegistry()


def assess_job(job: _Job) -> RoiAssessment:
    """Worker thread: the lesion of `job` through the fusion core. Raises RadiomicsError and ModelLoadError."""
    models = _MODELS.get(job.models_dir)
    # One crop through a small network: more OpenMP threads buy nothing, and their spinning took the CPU from
    # radiomics and the UI (edit to panel 0.6 -> 0.35 s on 2 cores). Set in this worker thread; the lesion
    # analyser's worker sets its own before each view.
    import torch  # loaded with the classifier; see _ModelRegistry.get

    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)
    mask = np.zeros(job.shape, bool)  # untouched pages cost nothing: only the box's rows are committed
    if job.box is not None:
        mask[box_slices(job.box)] = job.crop
    le, rec = (None if image is None else dense_bright(image) for image in (job.inputs.le, job.inputs.rec))
    spacing = next(image.spacing_mm for image in (job.inputs.le, job.inputs.rec) if image is not None)
    result = assess_lesion(le, rec, mask, spacing, models.classifier, models.radiomics, age=job.inputs.age)
    return RoiAssessment(job.lesion_id, job.generation, result, models.classifier_problem)


class RoiAssessor(QObject):
    computing = Signal(int)  # lesion id: a new assessment of it is on its way
    assessed = Signal(object)  # RoiAssessment of the active lesion's current outline
    refused = Signal(int, str)  # lesion id, why its outline cannot be assessed (meant for the user)
    idle = Signal(str)  # nothing to assess, and why

    _workerDone = Signal(int, object)  # generation, RoiAssessment or the message of a refusal

    def __init__(self, inputs: Callable[[], ViewInputs | None], parent: QObject | None = None,
                 models_dir: Path | None = None, delay_ms: int = DEBOUNCE_MS) -> None:
        """`inputs()` gives the images of the view on screen (UI thread). `models_dir` None:
        pipeline.default_models_dir() at each run (so CEMVIEWER_MODELS counts)."""
        super().__init__(parent)
        self._inputs = inputs
        self._models_dir = models_dir
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self._dispatch)
        self._lesions: LesionSet | None = None
        self._target: int | None = None  # the lesion the newest request is for
        self.generation = 0  # of the newest request
        self.busy = False  # a run is in the worker
        self._waiting = False  # a request came while busy: run it when the worker is free
        self.dropped = 0  # results that arrived after a newer request and were not reported
        self._workerDone.connect(self._on_done)

    # --- what the window connects ---------------------------------------------------------------------------

    def show_lesions(self, lesions: LesionSet | None) -> None:
        """The lesions now on screen (EditSession.lesionsShown)."""
        if self._lesions is not None:
            self._lesions.unsubscribe(self._on_update)
        self._lesions = lesions
        if lesions is not None:
            lesions.subscribe(self._on_update)
        self._request()

    def refresh(self) -> None:
        """Assess the active lesion again (the view's images may have changed)."""
        self._request()

    def shutdown(self) -> None:
        """Stop and wait for the worker; call before the window goes away."""
        self._timer.stop()
        self.generation += 1
        self._pool.waitForDone()

    # --- scheduling (UI thread) -----------------------------------------------------------------------------

    def _on_update(self, update: Update) -> None:
        active = self._lesions.active_id
        if active != self._target or (update.roi and active in update.lesion_ids):
            self._request()

    def _request(self) -> None:
        self.generation += 1
        self._target = self._lesions.active_id if self._lesions is not None else None
        if self._target is None:
            self._timer.stop()
            self.idle.emit(NO_LESION_TEXT)
            return
        self.computing.emit(self._target)
        self._timer.start()

    def _dispatch(self) -> None:
        lesions = self._lesions
        if lesions is None or self._target is None:
            return
        if lesions.stroking:  # the outline is not final yet; look again later
            self._timer.start()
            return
        if self.busy:
            self._waiting = True
            return
        inputs = self._inputs()
        if inputs is None or (inputs.le is None and inputs.rec is None):
            self.refused.emit(self._target, NO_IMAGES_TEXT)
            return
        box = lesions.tight_box(self._target)
        crop = lesions.lesion(self._target).mask[box_slices(box)].copy() if box is not None else None
        job = _Job(self.generation, self._target, lesions.shape, box, crop, inputs,
                   self._models_dir or default_models_dir())
        self.busy = True
        self._pool.start(lambda: self._work(job))

    def _work(self, job: _Job) -> None:
        """Worker thread."""
        try:
            outcome = assess_job(job)
        except RadiomicsError as error:
            outcome = str(error)
        except ModelLoadError as error:
            outcome = f"Assessment is off: {error}"
        except Exception as error:  # noqa: BLE001 - a failing model must leave a working viewer and say why
            outcome = f"The assessment failed: {type(error).__name__}: {error}"
        report_from_worker(self._workerDone, job.generation, (job.lesion_id, outcome))

    def _on_done(self, generation: int, result: tuple[int, RoiAssessment | str]) -> None:
        self.busy = False
        lesion_id, outcome = result
        if generation != self.generation:
            self.dropped += 1
        elif isinstance(outcome, RoiAssessment):
            self.assessed.emit(outcome)
        else:
            self.refused.emit(lesion_id, outcome)
        if self._waiting:
            self._waiting = False
            self._dispatch()
