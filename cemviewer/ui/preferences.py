"""The user's preferences, kept in the viewer's QSettings (cemviewer.ui.recent.default_settings), and how the
window takes them up. Edit ▸ Preferences… changes them (cemviewer.ui.preferences_dialog).

Settings keys (other parts of the viewer read them by these names):

- `autosave/folder`  where the annotation autosave (cemviewer.services.autosave) writes; `autosave_folder(settings)`
                     gives the folder in use: CEMVIEWER_SESSIONS, else this setting, else autosave_default()
                     (the session store's own default under $XDG_DATA_HOME/cemviewer).
- `ai/device`        "auto" (CEMVIEWER_DEVICE when set, else CUDA when torch sees a GPU, else the CPU), "cpu" or
                     "cuda"; the lesion analyser is handed the choice (None for "auto").
- `overlay/outline_high`, `overlay/outline_intermediate`, `overlay/outline_low`
                     the AI outline colours of the malignancy bands (cemviewer.ui.lesion_overlay.MALIGNANCY_BANDS).
- `overlay/annotation_unknown`, `overlay/annotation_benign`, `overlay/annotation_malignant`
                     the annotated lesions' colours by label (cemviewer.ui.edit_overlay.LABEL_COLOURS).
- `overlay/heatmap_colour_map`  the Grad-CAM++ heatmap's pyqtgraph colour map (HEATMAP_COLOUR_MAPS).
PACS nodes are not kept here but in pacs.json (cemviewer.pacs.nodes), edited on the dialog's PACS tab.

Colours are stored as "#rrggbb"; a stored value that is not a colour (or not a known colour map) is ignored for
the default, so a damaged settings file never breaks the overlays.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor

from cemviewer.editing.lesion_set import BENIGN, MALIGNANT, UNKNOWN
from cemviewer.sessions.store import default_folder
from cemviewer.ui import edit_overlay, heatmap_overlay, lesion_overlay

AUTOSAVE_KEY = "autosave/folder"
DEVICE_KEY = "ai/device"
AUTO, CPU, CUDA = "auto", "cpu", "cuda"
DEVICES = (AUTO, CPU, CUDA)
OVERLAY_GROUP = "overlay"
# Perceptually ordered maps that read as "more" toward the hot end; turbo is the usual Grad-CAM look.
HEATMAP_COLOUR_MAPS = ("turbo", "inferno", "magma", "plasma", "viridis", "cividis")


def autosave_default() -> Path:
    """Where the autosave writes when no folder is set (cemviewer.sessions.store.default_folder)."""
    return default_folder(None)


def _band_colour(index: int) -> str:
    return lesion_overlay.MALIGNANCY_BANDS[index][1]


@dataclass(frozen=True)
class OverlayColours:
    outline_high: str = _band_colour(0)
    outline_intermediate: str = _band_colour(1)
    outline_low: str = _band_colour(2)
    annotation_unknown: str = edit_overlay.LABEL_COLOURS[UNKNOWN]
    annotation_benign: str = edit_overlay.LABEL_COLOURS[BENIGN]
    annotation_malignant: str = edit_overlay.LABEL_COLOURS[MALIGNANT]
    heatmap_colour_map: str = heatmap_overlay.COLOUR_MAP

    @property
    def bands(self) -> tuple[str, str, str]:
        """The outline colours, highest malignancy band first (as MALIGNANCY_BANDS)."""
        return self.outline_high, self.outline_intermediate, self.outline_low

    @property
    def labels(self) -> dict[str, str]:
        return {UNKNOWN: self.annotation_unknown, BENIGN: self.annotation_benign,
                MALIGNANT: self.annotation_malignant}


@dataclass(frozen=True)
class Preferences:
    autosave_folder: str = ""  # "" : autosave_default()
    device: str = AUTO
    colours: OverlayColours = OverlayColours()

    @property
    def analyser_device(self) -> str | None:
        """What the lesion analyser is given: None lets it choose (CEMVIEWER_DEVICE, else a GPU when there is one)."""
        return None if self.device == AUTO else self.device


def _valid(key: str, value) -> bool:
    if key == "heatmap_colour_map":
        return value in HEATMAP_COLOUR_MAPS
    return isinstance(value, str) and QColor.isValidColorName(value)


def read_preferences(settings: QSettings) -> Preferences:
    stored = {}
    for item in fields(OverlayColours):
        value = settings.value(f"{OVERLAY_GROUP}/{item.name}")
        if value is not None and _valid(item.name, value):
            stored[item.name] = value
    device = settings.value(DEVICE_KEY, AUTO)
    return Preferences(autosave_folder=str(settings.value(AUTOSAVE_KEY, "") or ""),
                       device=device if device in DEVICES else AUTO,
                       colours=replace(OverlayColours(), **stored))


def write_preferences(settings: QSettings, preferences: Preferences) -> None:
    settings.setValue(AUTOSAVE_KEY, preferences.autosave_folder)
    settings.setValue(DEVICE_KEY, preferences.device)
    for key, value in asdict(preferences.colours).items():
        settings.setValue(f"{OVERLAY_GROUP}/{key}", value)
    settings.sync()


def autosave_folder(settings: QSettings) -> Path:
    """The folder the autosave writes to: CEMVIEWER_SESSIONS, else the `autosave/folder` setting, else
    autosave_default()."""
    return default_folder(read_preferences(settings).autosave_folder or None)


def apply_preferences(window, preferences: Preferences) -> None:
    """Hand the device to the lesion analyser (from its next run on) and redraw the overlays in the colours."""
    window.analyser.set_device(preferences.analyser_device)
    colours = preferences.colours
    lesion_overlay.set_band_colours(colours.bands)
    edit_overlay.set_label_colours(colours.labels)
    window.pair.heatmap.set_colour_map(colours.heatmap_colour_map)
    window.lesion_panel.refresh_legend()
    for outlines in window.pair.outlines:
        outlines.clear()  # drawn again below, in the new colours
    analysis = window.analyses.get(window.view_name)
    window.pair.show_marks(analysis.marks if analysis else None)
    if window.editor.lesions is not None:
        window.editor.canvas.redraw(window.editor.lesions)
        window.editor.panel.show_lesions(window.editor.lesions)
