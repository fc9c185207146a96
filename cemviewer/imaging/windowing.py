"""How modality values become grey levels, and how presets and mouse drags change that.

A display mapping is a pair of levels and a grey-level table: values at or below the low level take the table's
first entry, values at or above the high level its last, and values between are spread evenly over the entries.
That is exactly what pyqtgraph's ImageItem applies when given `levels=` and `lut=`, so the viewer hands the mapping
over and never rewrites the pixels; the same pair also renders thumbnails here with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from cemviewer.study.model import MammoImage, WindowPreset
from cemviewer.study.pixels import auto_window

VOI_LUT_NAME = "File LUT"
# A right-drag across this many screen pixels changes the width (or moves the level) by the current width:
# fine windows then adjust finely and wide ones quickly, as on reading-room workstations.
DRAG_PIXELS_PER_WIDTH = 256.0
# The narrowest window a drag can reach, as a fraction of the image's value span (avoids a zero-width window).
MIN_WIDTH_FRACTION = 1e-3
_RANGE_SAMPLE_STEP = 4
_GREY_RAMP = np.arange(256, dtype=np.uint8)
# Sigmoid VOI (DICOM PS3.3 C.11.2.1.3.1) is drawn over centre +- _SIGMOID_SPAN * width, where it comes within 2 %
# of its limits.
_SIGMOID_SPAN = 1.0


@dataclass(frozen=True)
class GreyMapping:
    levels: tuple[float, float]
    lut: np.ndarray  # uint8 grey levels, first entry for the low level


def window_levels(window: WindowPreset) -> tuple[float, float]:
    half = window.width / 2.0
    return window.center - half, window.center + half


def window_mapping(window: WindowPreset, function: str = "LINEAR", inverted: bool = False) -> GreyMapping:
    """Levels and table for a DICOM window (LINEAR and LINEAR_EXACT share the centre +- width/2 ramp)."""
    if function == "SIGMOID":
        span = _SIGMOID_SPAN * window.width
        levels = (window.center - span, window.center + span)
        x = np.linspace(-span, span, 256)
        lut = np.round(255.0 / (1.0 + np.exp(-4.0 * x / window.width))).astype(np.uint8)
    else:
        levels, lut = window_levels(window), _GREY_RAMP
    return GreyMapping(levels, lut[::-1].copy() if inverted else lut)


def voi_lut_mapping(table: np.ndarray, first: int, inverted: bool = False) -> GreyMapping:
    """Levels and table for a file's VOI LUT: entry i serves modality value first + i.

    The levels span one unit per entry so pyqtgraph's even spread lands each value on its own entry.
    """
    low, high = float(table.min()), float(table.max())
    grey = np.round((table - low) * (255.0 / max(high - low, 1e-12))).astype(np.uint8)
    return GreyMapping((float(first), float(first + len(table))), grey[::-1].copy() if inverted else grey)


def lut_equivalent_window(table: np.ndarray, first: int) -> WindowPreset:
    """The linear window spanning the values a VOI LUT actually grades, to continue from when the user drags."""
    rising = np.flatnonzero((table > table.min()) & (table < table.max()))
    if not rising.size:
        return WindowPreset(first + len(table) / 2.0, float(max(len(table), 1)), VOI_LUT_NAME)
    low, high = first + rising[0] - 1, first + rising[-1] + 1
    return WindowPreset((low + high) / 2.0, float(high - low), VOI_LUT_NAME)


def dragged_window(window: WindowPreset, dx: float, dy: float, value_span: float) -> WindowPreset:
    """The window after a right-drag of (dx, dy) screen pixels.

    Rightwards widens (less contrast), leftwards narrows; downwards raises the level (darker image), upwards
    lowers it (brighter), the usual radiology workstation convention.
    """
    min_width = max(value_span * MIN_WIDTH_FRACTION, 1e-6)
    step = max(window.width, min_width) / DRAG_PIXELS_PER_WIDTH
    width = max(window.width + dx * step, min_width)
    return WindowPreset(window.center + dy * step, width, "")


def value_span(pixels: np.ndarray) -> float:
    sample = pixels[::_RANGE_SAMPLE_STEP, ::_RANGE_SAMPLE_STEP]
    return float(sample.max()) - float(sample.min()) if sample.size else 0.0


class WindowState:
    """One image's current grey mapping and the user's changes to it: presets, auto, drags, invert, reset.

    The default is what the file asks for: its VOI LUT when it has one, else its first window (which the loader
    makes an automatic one when the file has none). `user_inverted` is the viewer's invert toggle, applied on top
    of the file's MONOCHROME1 inversion.
    """

    def __init__(self, image: MammoImage) -> None:
        self.image = image
        self.user_inverted = False
        self.window: WindowPreset | None = None  # None: the file's VOI LUT
        self.reset()

    @cached_property
    def value_span(self) -> float:
        """The spread of the image's values, which scales a drag; worked out at the first drag, not while the
        study loads."""
        return value_span(self.image.pixels)

    @cached_property
    def auto(self) -> WindowPreset:
        """The automatic window, worked out when first asked for: most images are never auto-windowed, and the
        full-image statistics cost about as much as decoding an uncompressed file."""
        return auto_window(self.image.pixels, self.image.invert)

    @property
    def presets(self) -> list[WindowPreset]:
        return list(self.image.windows)

    @property
    def uses_voi_lut(self) -> bool:
        return self.window is None

    def reset(self) -> None:
        self.window = None if self.image.voi_lut is not None else self.image.windows[0]

    def apply_preset(self, index: int) -> bool:
        """Use the file's window number `index` (from 0); False when the file has no such window."""
        if not 0 <= index < len(self.image.windows):
            return False
        self.window = self.image.windows[index]
        return True

    def apply_auto(self) -> None:
        self.window = self.auto

    def drag(self, dx: float, dy: float) -> None:
        self.window = dragged_window(self.current_window(), dx, dy, self.value_span)

    def current_window(self) -> WindowPreset:
        """The window in force; for a VOI LUT, the linear window closest to it."""
        if self.window is None:
            return lut_equivalent_window(self.image.voi_lut, self.image.voi_lut_first)
        return self.window

    def mapping(self) -> GreyMapping:
        inverted = self.image.invert != self.user_inverted
        if self.window is None:
            return voi_lut_mapping(self.image.voi_lut, self.image.voi_lut_first, inverted)
        return window_mapping(self.window, self.image.voi_lut_function, inverted)

    def describe(self) -> str:
        """Short text for the pane title, e.g. 'W 1200  L 2100 (NORMAL)'."""
        window = self.current_window()
        name = VOI_LUT_NAME if self.window is None else window.name
        text = f"W {window.width:.0f}  L {window.center:.0f}"
        if name:
            text += f" ({name})"
        if self.user_inverted:
            text += "  inverted"
        return text
