"""What the window shows before any study is open: open the demo study, open a folder, or pick a recent study.

A recent study whose folder is gone (an unplugged disk, a deleted export) is listed greyed out, not dropped: the
reader sees why it cannot be opened and File ▸ Recent studies ▸ Clear list removes it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from cemviewer.radiomics import resources_dir
from cemviewer.ui import theme
from cemviewer.ui.about_dialog import ICON_FILE
from cemviewer.ui.recent import MAX_RECENT

ICON_SIZE = 96
CONTENT_WIDTH = 560
NO_RECENT = "No recent studies yet: open the demo study to look around, or a folder of CEM DICOM files."


class WelcomeScreen(QWidget):
    openDemo = Signal()
    openFolder = Signal()
    openRecent = Signal(str)  # the path as File ▸ Recent studies keeps it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAutoFillBackground(True)  # over the image panes, which wait beneath it
        icon = QLabel()
        icon.setPixmap(QPixmap(str(resources_dir() / ICON_FILE)).scaled(
            ICON_SIZE, ICON_SIZE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
        title = QLabel("<h1 style='margin:0'>cemviewer</h1>"
                       "<p>Contrast-enhanced mammography: low-energy and recombined images side by side, "
                       "AI lesion outlines, ROI editing and radiomics.</p>")
        title.setWordWrap(True)
        header = QHBoxLayout()
        header.addWidget(icon, alignment=Qt.AlignmentFlag.AlignTop)
        header.addWidget(title, stretch=1)

        self.demo_button = QPushButton("Open demo study")
        self.demo_button.setToolTip("A synthetic four-view CEM study with lesions (written once, then reused)")
        self.folder_button = QPushButton("Open folder…")
        self.folder_button.setToolTip("A study folder, a CD or a DICOMDIR folder (Ctrl+O)")
        for button in (self.demo_button, self.folder_button):
            button.setMinimumHeight(36)
        self.demo_button.setDefault(True)
        self.demo_button.clicked.connect(self.openDemo)
        self.folder_button.clicked.connect(self.openFolder)
        buttons = QHBoxLayout()
        buttons.addWidget(self.demo_button)
        buttons.addWidget(self.folder_button)

        recent_title = QLabel("Recent studies")
        recent_title.setStyleSheet(f"color: {theme.DIM_TEXT}; margin-top: 12px;")
        self.recent = QListWidget()
        self.recent.setMaximumHeight((self.recent.fontMetrics().height() + 6) * MAX_RECENT + 4)
        self.recent.itemActivated.connect(self._open_item)
        self.recent.itemClicked.connect(self._open_item)
        self.no_recent = QLabel(NO_RECENT)
        self.no_recent.setWordWrap(True)
        self.no_recent.setStyleSheet(f"color: {theme.DIM_TEXT};")

        content = QWidget()
        content.setMaximumWidth(CONTENT_WIDTH)
        column = QVBoxLayout(content)
        column.addLayout(header)
        column.addSpacing(12)
        column.addLayout(buttons)
        column.addWidget(recent_title)
        column.addWidget(self.recent)
        column.addWidget(self.no_recent)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(content, stretch=4)
        row.addStretch(1)
        outer = QVBoxLayout(self)  # the content a little above the middle, where the eye starts
        outer.addStretch(2)
        outer.addLayout(row)
        outer.addStretch(3)
        self.set_recent([])

    def set_recent(self, paths: list[str]) -> None:
        self.recent.clear()
        for path in paths:
            exists = Path(path).exists()
            item = QListWidgetItem(path if exists else f"{path}  (not found)")
            item.setData(Qt.ItemDataRole.UserRole, path)
            item.setToolTip(path)
            if not exists:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.recent.addItem(item)
        self.recent.setVisible(bool(paths))
        self.no_recent.setVisible(not paths)

    def _open_item(self, item: QListWidgetItem) -> None:
        if item.flags() & Qt.ItemFlag.ItemIsEnabled:
            self.openRecent.emit(item.data(Qt.ItemDataRole.UserRole))
