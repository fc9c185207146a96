"""Help ▸ About: the application's version, the versions of what it runs on, and the installed models with their
versions, dates and headline metrics (cemviewer.ai.model_info); "Model card…" shows models/MODEL_CARD.md."""

from __future__ import annotations

import html
import platform
from importlib import metadata
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout,
                               QWidget)

import cemviewer
from cemviewer.ai.model_info import ModelInfo, installed_models, model_card
from cemviewer.radiomics import resources_dir
from cemviewer.ui import theme

ICON_FILE = Path("icons") / "cemviewer.png"
ICON_SIZE = 72
SUMMARY = "Workstation viewer for contrast-enhanced mammography: lesion AI, ROI editing and radiomics."
NOT_FOR_DIAGNOSIS = "Research software: not cleared for diagnostic use."


def runtime_versions() -> list[tuple[str, str]]:
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none found"
    cuda = torch.version.cuda or "CPU-only build"
    return [("Python", platform.python_version()), ("Qt", qVersion()), ("PySide6", pyside_version),
            ("PyTorch", f"{torch.__version__} (CUDA {cuda}; GPU: {gpu})"),
            *((name, _version(name)) for name in ("numpy", "pydicom", "pyqtgraph", "xgboost", "pyradiomics-bhklab"))]


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _table(rows: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><td style='color:{theme.DIM_TEXT}; padding-right:12px'>{html.escape(what)}</td>"
                    f"<td>{html.escape(value)}</td></tr>" for what, value in rows)
    return f"<table cellspacing='0' cellpadding='1'>{cells}</table>"


def model_html(model: ModelInfo) -> str:
    title = f"<h4 style='margin-bottom:2px'>{html.escape(model.title)}</h4>"
    if model.problem is not None:
        return f"{title}<p style='color:{theme.ERROR}'>{html.escape(model.file.name)}: {html.escape(model.problem)}</p>"
    rows = [("file", model.file.name), ("version", model.version), ("date", model.date), *model.metrics]
    return title + _table(rows)


class ModelCardDialog(QDialog):
    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Model card")
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        try:
            self.text.setMarkdown(path.read_text(encoding="utf-8"))
        except OSError as error:
            self.text.setPlainText(f"The model card cannot be read: {path} ({error.strerror or error})")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(820, 760)


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, models_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About cemviewer")
        self.models = installed_models(models_dir)
        self._card_path = model_card(models_dir)
        self.card_dialog: ModelCardDialog | None = None

        icon = QLabel()
        icon.setPixmap(QPixmap(str(resources_dir() / ICON_FILE)).scaled(
            ICON_SIZE, ICON_SIZE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
        heading = QLabel(f"<h2 style='margin:0'>cemviewer {cemviewer.__version__}</h2><p>{SUMMARY}</p>"
                         f"<p style='color:{theme.DIM_TEXT}'>{NOT_FOR_DIAGNOSIS}</p>")
        heading.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(icon, alignment=Qt.AlignmentFlag.AlignTop)
        top.addWidget(heading, stretch=1)

        self.details = QTextBrowser()
        self.details.setHtml("<h3>Runs on</h3>" + _table(runtime_versions())
                             + "<h3>Models</h3>" + "".join(model_html(model) for model in self.models))
        self.card_button = QPushButton("Model card…")
        self.card_button.setEnabled(self._card_path.is_file())
        self.card_button.setToolTip(str(self._card_path))
        self.card_button.clicked.connect(self.show_model_card)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.card_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details, stretch=1)
        layout.addWidget(buttons)
        self.resize(640, 720)

    def show_model_card(self) -> None:
        if self.card_dialog is None:
            self.card_dialog = ModelCardDialog(self._card_path, self)
        self.card_dialog.show()
        self.card_dialog.raise_()
