"""First run in the real main window: the welcome screen, Help ▸ About with the installed models, Edit ▸ Preferences
persisted in QSettings and applied to the overlays and the lesion analyser."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog

from cemviewer.ai.model_info import installed_models
from cemviewer.ai.model_files import CLASSIFIER_FILE, SEGMENTER_FILE, default_models_dir
from cemviewer.editing.lesion_set import BENIGN, LesionSet
from cemviewer.pacs.nodes import CONFIG_ENV, load_config
from cemviewer.ui import edit_overlay, lesion_overlay
from cemviewer.ui.about_dialog import AboutDialog
from cemviewer.ui.lesion_overlay import malignancy_colour
from cemviewer.ui.main_window import MainWindow
from cemviewer.ui.preferences import (
    AUTOSAVE_KEY,
    CPU,
    CUDA,
    DEVICE_KEY,
    OverlayColours,
    Preferences,
    autosave_folder,
    read_preferences,
)
from cemviewer.ui.preferences_dialog import PreferencesDialog

ANALYSIS_TIMEOUT_MS = 120_000


@pytest.fixture(autouse=True)
def private_pacs_nodes(tmp_path, monkeypatch) -> Path:
    """The Preferences' PACS tab reads and writes pacs.json here, never in the user's ~/.config."""
    folder = tmp_path / "pacs-config"
    monkeypatch.setenv(CONFIG_ENV, str(folder))
    monkeypatch.delenv("CEMVIEWER_SESSIONS", raising=False)
    return folder


@pytest.fixture(autouse=True)
def default_colours():
    """Colours are the whole application's: put the defaults back for the tests that follow."""
    yield
    lesion_overlay.set_band_colours(OverlayColours().bands)
    edit_overlay.set_label_colours(OverlayColours().labels)


def _press(dialog, button: QDialogButtonBox.StandardButton) -> None:
    dialog.buttons.button(button).click()


# --- welcome screen -----------------------------------------------------------------------------------------------

def test_without_a_study_the_welcome_screen_stands_in_for_the_images(window):
    assert window.welcome.isVisible() and window.pair.visibleRegion().isEmpty()  # covered, waiting beneath
    assert window.welcome.no_recent.isVisible() and not window.welcome.recent.isVisible()


def test_open_demo_study_on_the_welcome_screen_opens_the_demo(qtbot, wait_for, window, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with wait_for(window.loader.idle):
        qtbot.mouseClick(window.welcome.demo_button, Qt.MouseButton.LeftButton)
    assert len(window.loaded) == 8 and window.view_name == "RCC"
    assert window.pair.isVisible() and not window.welcome.isVisible()


def test_open_folder_on_the_welcome_screen_asks_for_a_folder_and_opens_it(qtbot, wait_for, window, synthetic_study,
                                                                          monkeypatch):
    asked = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda *args: asked.append(args) or str(synthetic_study))
    with wait_for(window.loader.idle):
        qtbot.mouseClick(window.welcome.folder_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1 and len(window.loaded) == 8
    assert window.recent.paths() == [str(synthetic_study)]


def test_the_welcome_screen_lists_recent_studies_and_opens_one(qtbot, wait_for, settings, synthetic_study, tmp_path):
    gone = tmp_path / "unplugged-disk" / "study"
    settings.setValue("recent_studies", [str(synthetic_study), str(gone)])
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    listing = window.welcome.recent
    assert listing.count() == 2 and listing.isVisible()
    assert listing.item(1).text().endswith("(not found)")
    assert not listing.item(1).flags() & Qt.ItemFlag.ItemIsEnabled
    with wait_for(window.loader.idle):
        qtbot.mouseClick(listing.viewport(), Qt.MouseButton.LeftButton,
                         pos=listing.visualItemRect(listing.item(0)).center())
    assert window.study is not None and len(window.loaded) == 8
    window.loader.shutdown()
    window.analyser.shutdown()


# --- About ----------------------------------------------------------------------------------------------------------

def test_about_lists_each_model_with_its_version_and_metrics(qtbot):
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    text = dialog.details.toPlainText()
    for name in (SEGMENTER_FILE, CLASSIFIER_FILE, "radiomics_xgb.json"):
        digest = hashlib.sha256((default_models_dir() / name).read_bytes()).hexdigest()[:12]
        assert name in text and digest in text
    assert "Dice" in text and "AUC" in text and torch.__version__ in text
    assert [model.title for model in dialog.models] == [model.title for model in installed_models()]


def test_about_opens_the_model_card(qtbot):
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.card_button, Qt.MouseButton.LeftButton)
    card = (default_models_dir() / "MODEL_CARD.md").read_text(encoding="utf-8")
    first_heading = next(line.lstrip("# ").strip() for line in card.splitlines() if line.startswith("#"))
    assert dialog.card_dialog.isVisible() and first_heading in dialog.card_dialog.text.toPlainText()


def test_about_says_which_model_is_missing_and_the_card_cannot_be_opened(qtbot, tmp_path):
    shutil.copy(default_models_dir() / CLASSIFIER_FILE, tmp_path)
    dialog = AboutDialog(models_dir=tmp_path)
    qtbot.addWidget(dialog)
    text = dialog.details.toPlainText()
    assert f"{SEGMENTER_FILE}: not installed" in text and "radiomics_xgb.json: not installed" in text
    assert "AUC" in text  # the classifier that is there is still described
    assert not dialog.card_button.isEnabled()


# --- Preferences ----------------------------------------------------------------------------------------------------

def test_preferences_are_stored_under_their_keys_and_shown_again(qtbot, settings, tmp_path):
    dialog = PreferencesDialog(settings)
    qtbot.addWidget(dialog)
    dialog.autosave.setText(str(tmp_path / "autosave"))
    dialog.device.setCurrentIndex(dialog.device.findData(CPU))
    dialog.colour_buttons["outline_high"].set_colour("#00ffff")
    dialog.colour_map.setCurrentIndex(dialog.colour_map.findData("inferno"))
    _press(dialog, QDialogButtonBox.StandardButton.Ok)

    reread = QSettings(settings.fileName(), QSettings.Format.IniFormat)
    assert reread.value(AUTOSAVE_KEY) == str(tmp_path / "autosave") and reread.value(DEVICE_KEY) == CPU
    assert autosave_folder(reread) == tmp_path / "autosave"
    stored = read_preferences(reread)
    assert stored.colours.outline_high == "#00ffff" and stored.colours.heatmap_colour_map == "inferno"
    again = PreferencesDialog(reread)
    qtbot.addWidget(again)
    assert again.preferences() == stored


def test_cancel_and_damaged_values_leave_the_defaults(qtbot, settings):
    dialog = PreferencesDialog(settings)
    qtbot.addWidget(dialog)
    dialog.colour_buttons["outline_high"].set_colour("#00ffff")
    _press(dialog, QDialogButtonBox.StandardButton.Cancel)
    assert read_preferences(settings) == Preferences()
    settings.setValue("overlay/outline_high", "not a colour")
    settings.setValue("overlay/heatmap_colour_map", "no-such-map")
    settings.setValue(DEVICE_KEY, "tpu")
    assert read_preferences(settings) == Preferences()


def test_the_gpu_choice_is_offered_only_where_torch_sees_one(qtbot, settings):
    settings.setValue(DEVICE_KEY, CUDA)
    dialog = PreferencesDialog(settings)
    qtbot.addWidget(dialog)
    offered = dialog.device.model().item(dialog.device.findData(CUDA)).isEnabled()
    assert offered == torch.cuda.is_available()
    assert dialog.device.currentData() == (CUDA if offered else "auto")


def test_restore_defaults_shows_the_default_preferences(qtbot, settings):
    settings.setValue(DEVICE_KEY, CPU)
    settings.setValue("overlay/annotation_benign", "#123456")
    dialog = PreferencesDialog(settings)
    qtbot.addWidget(dialog)
    assert dialog.preferences() != Preferences()
    _press(dialog, QDialogButtonBox.StandardButton.RestoreDefaults)
    assert dialog.preferences() == Preferences()


def test_edit_preferences_recolours_the_overlays_and_sets_the_ai_device(qtbot, window, settings, synthetic_study):
    with qtbot.waitSignal(window.analyser.finished, timeout=ANALYSIS_TIMEOUT_MS):
        window.open_paths([synthetic_study])
    name = next(name for name, analysis in window.analyses.items() if analysis.marks.lesions)
    window.select_view(name)
    lesion = window.analyses[name].marks.lesions[0]
    lut_before = window.pair.heatmap.item.lut.copy()
    band = ("outline_high" if lesion.malignancy >= 0.7 else
            "outline_intermediate" if lesion.malignancy >= 0.3 else "outline_low")

    closed_by_ok = []

    def change() -> None:
        dialog = window.findChild(PreferencesDialog)
        if dialog is None or not dialog.isVisible():
            QTimer.singleShot(50, change)  # not on screen yet
            return
        dialog.colour_buttons[band].set_colour("#00ffff")
        dialog.colour_buttons["annotation_benign"].set_colour("#0000ff")
        dialog.colour_map.setCurrentIndex(dialog.colour_map.findData("viridis"))
        dialog.device.setCurrentIndex(dialog.device.findData(CPU))
        _press(dialog, QDialogButtonBox.StandardButton.Ok)
        closed_by_ok.append(not dialog.isVisible())
        dialog.reject()  # a dialog OK left open would otherwise hold the test forever

    QTimer.singleShot(0, change)
    window.actions_by_key["preferences"].trigger()  # returns when the dialog closes
    assert closed_by_ok == [True]

    for overlay in window.pair.outlines:
        assert overlay.curves[lesion.number][0].opts["pen"].color() == QColor("#00ffff")
    assert "#00ffff" in window.lesion_panel.legend.text()
    assert (window.pair.heatmap.item.lut != lut_before).any()
    benign = LesionSet((4, 4))
    benign.set_label(benign.new_lesion(), BENIGN)
    fill, _edge, _halo = edit_overlay.lesion_colours(benign.active, active=False)
    assert fill == edit_overlay.premultiplied("#0000ff", edit_overlay.FILL_ALPHA)
    assert window.analyser.device == CPU

    later = MainWindow(QSettings(settings.fileName(), QSettings.Format.IniFormat))  # the next session
    qtbot.addWidget(later)
    assert later.analyser.device == CPU and malignancy_colour(lesion.malignancy) == "#00ffff"
    later.loader.shutdown()
    later.analyser.shutdown()


def test_the_pacs_tab_is_the_pacs_settings_form_and_ok_saves_its_nodes(qtbot, settings):
    dialog = PreferencesDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.tabs.widget(dialog.tabs.count() - 1) is dialog.pacs
    dialog.pacs.add_node()
    dialog.pacs.url.setText("")
    _press(dialog, QDialogButtonBox.StandardButton.Ok)  # a node without an address cannot be saved
    assert dialog.isVisible() and dialog.tabs.currentWidget() is dialog.pacs
    assert "URL" in dialog.pacs.status.text() and load_config().nodes == []

    dialog.pacs.url.setText("http://pacs.example:8042/dicom-web")
    _press(dialog, QDialogButtonBox.StandardButton.Ok)
    assert not dialog.isVisible()
    assert [(node.name, node.dicomweb_url) for node in load_config().nodes] == [
        ("PACS", "http://pacs.example:8042/dicom-web")]
