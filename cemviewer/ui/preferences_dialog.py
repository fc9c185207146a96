"""Edit ▸ Preferences…: autosave folder and AI device, overlay colours, PACS nodes; the keys and their meaning are in
cemviewer.ui.preferences, the PACS nodes are cemviewer.ui.pacs_settings' form. OK and Apply store them and emit
`applied`; Cancel leaves everything as it was."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QColor, QIcon, QLinearGradient, QPainter, QPixmap
from PySide6.QtWidgets import (QColorDialog, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QTabWidget, QVBoxLayout, QWidget)

from cemviewer.ui import theme
from cemviewer.ui.heatmap_overlay import heat_lut
from cemviewer.ui.pacs_settings import PacsSettingsWidget
from cemviewer.ui.preferences import (AUTO, CUDA, DEVICES, HEATMAP_COLOUR_MAPS, OverlayColours, Preferences,
                                      autosave_default, read_preferences, write_preferences)

DEVICE_TEXT = {AUTO: "Automatic (a GPU when there is one)", "cpu": "CPU", CUDA: "GPU (CUDA)"}
COLOUR_TEXT = {
    "outline_high": "AI outline, malignancy ≥ 0.7",
    "outline_intermediate": "AI outline, malignancy 0.3-0.7",
    "outline_low": "AI outline, malignancy < 0.3",
    "annotation_unknown": "Annotation, label unknown",
    "annotation_benign": "Annotation, benign",
    "annotation_malignant": "Annotation, malignant",
}
SWATCH = 18


class ColourButton(QPushButton):
    """Shows a colour; a click picks another."""

    def __init__(self, colour: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colour = colour
        self.clicked.connect(self._pick)
        self.set_colour(colour)

    def set_colour(self, colour: str) -> None:
        self.colour = QColor(colour).name()
        swatch = QPixmap(SWATCH, SWATCH)
        swatch.fill(QColor(self.colour))
        self.setIcon(QIcon(swatch))
        self.setText(self.colour)

    def _pick(self) -> None:
        chosen = QColorDialog.getColor(QColor(self.colour), self, "Overlay colour")
        if chosen.isValid():
            self.set_colour(chosen.name())


def colour_map_icon(name: str, width: int = 96, height: int = SWATCH) -> QIcon:
    """The heatmap's colours from cold to hot, as drawn (transparent where the heat is too weak to show)."""
    pixmap = QPixmap(width, height)
    pixmap.fill(QColor("#808080"))  # grey anatomy behind it, as on the image
    gradient = QLinearGradient(0, 0, width, 0)
    for index, (r, g, b, a) in enumerate(heat_lut(name)[::17]):
        gradient.setColorAt(index / 15, QColor(int(r), int(g), int(b), int(a)))
    painter = QPainter(pixmap)
    painter.fillRect(pixmap.rect(), gradient)
    painter.end()
    return QIcon(pixmap)


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


class PreferencesDialog(QDialog):
    applied = Signal(object)  # Preferences, stored

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.settings = settings
        self.tabs = QTabWidget()
        self.tabs.addTab(self._general_tab(), "General")
        self.tabs.addTab(self._overlay_tab(), "Overlays")
        self.tabs.addTab(self._pacs_tab(), "PACS")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.Apply
                                   | QDialogButtonBox.StandardButton.RestoreDefaults)
        self.buttons = buttons
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Apply).clicked.connect(self.apply)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            lambda: self.show_preferences(Preferences()))
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)
        self.show_preferences(read_preferences(settings))

    # --- tabs -----------------------------------------------------------------------------------------------

    def _general_tab(self) -> QWidget:
        self.autosave = QLineEdit()
        self.autosave.setPlaceholderText(str(autosave_default()))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._choose_autosave)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.autosave, stretch=1)
        folder_row.addWidget(browse)
        self.device = QComboBox()
        for device in DEVICES:
            self.device.addItem(DEVICE_TEXT[device], device)
        self.device_note = QLabel()
        self.device_note.setWordWrap(True)
        self.device_note.setStyleSheet(f"color: {theme.DIM_TEXT};")
        if not cuda_available():
            self.device.model().item(DEVICES.index(CUDA)).setEnabled(False)
            self.device_note.setText("No CUDA GPU is available to this program: the lesion AI runs on the CPU.")
        else:
            self.device_note.setText("Takes effect from the next study opened (or AI ▸ Analyse the study again).")
        page = QWidget()
        form = QFormLayout(page)
        form.addRow("Autosave folder", folder_row)
        form.addRow("Lesion AI runs on", self.device)
        form.addRow("", self.device_note)
        return page

    def _overlay_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.colour_buttons: dict[str, ColourButton] = {}
        for key, text in COLOUR_TEXT.items():
            self.colour_buttons[key] = ColourButton(getattr(OverlayColours(), key))
            form.addRow(text, self.colour_buttons[key])
        self.colour_map = QComboBox()
        for name in HEATMAP_COLOUR_MAPS:
            self.colour_map.addItem(colour_map_icon(name), name, name)
        self.colour_map.setIconSize(colour_map_icon(HEATMAP_COLOUR_MAPS[0]).availableSizes()[0])
        form.addRow("Heatmap colours", self.colour_map)
        return page

    def _pacs_tab(self) -> QWidget:
        # The PACS nodes live in pacs.json (cemviewer.pacs.nodes), edited by the PACS settings' own form.
        self.pacs = PacsSettingsWidget()
        return self.pacs

    # --- values ---------------------------------------------------------------------------------------------

    def show_preferences(self, preferences: Preferences) -> None:
        self.autosave.setText(preferences.autosave_folder)
        index = self.device.findData(preferences.device)
        if not self.device.model().item(index).isEnabled():
            index = self.device.findData(AUTO)
        self.device.setCurrentIndex(index)
        for key, button in self.colour_buttons.items():
            button.set_colour(getattr(preferences.colours, key))
        self.colour_map.setCurrentIndex(self.colour_map.findData(preferences.colours.heatmap_colour_map))

    def preferences(self) -> Preferences:
        colours = replace(OverlayColours(), heatmap_colour_map=self.colour_map.currentData(),
                          **{key: button.colour for key, button in self.colour_buttons.items()})
        return Preferences(autosave_folder=self.autosave.text().strip(), device=self.device.currentData(),
                           colours=colours)

    def apply(self) -> bool:
        """Store and apply; False, with the PACS tab showing why, when the PACS form cannot be saved."""
        preferences = self.preferences()
        write_preferences(self.settings, preferences)
        self.applied.emit(preferences)
        if not self.pacs.save():
            self.tabs.setCurrentWidget(self.pacs)
            return False
        return True

    def accept(self) -> None:
        if self.apply():
            super().accept()

    def done(self, result: int) -> None:
        self.pacs.shutdown()
        super().done(result)

    def _choose_autosave(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Autosave folder", self.autosave.text()
                                                  or str(autosave_default()))
        if folder:
            self.autosave.setText(folder)

