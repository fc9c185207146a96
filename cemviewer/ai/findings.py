"""What the lesion AI finds in a view, as plain numpy data (no torch): the viewer, its findings cache and the
reports handle findings without importing the models."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class AnalysisCancelled(Exception):
    """The caller's cancel() returned True between two stages."""


class AIOutOfMemoryError(RuntimeError):
    """The GPU ran out of memory; the message says what to do."""


@dataclass
class Lesion:
    """One lesion of a view. The LE and recombined outlines of the same lesion (they overlap) are one Lesion."""

    mask: np.ndarray  # bool, image shape: union of its outlines
    box: tuple[int, int, int, int]  # (x0, y0, x1, y1), x1/y1 exclusive, image pixels
    score: float  # segmenter confidence (highest lesion probability inside the outline)
    malignancy: float | None  # classifier probability; None when not classified
    area_px: int
    outlines: dict[str, np.ndarray] = field(default_factory=dict)  # "low_energy" / "recombined" -> bool mask


@dataclass
class ViewFindings:
    lesions: list[Lesion]  # most confident first
    heatmap: np.ndarray | None  # float32 in [0, 1], image shape: max over lesions of Grad-CAM++ x malignancy
    device: str
    seconds: dict[str, float]  # per stage
