"""The editing toolbar: the tools, the brush size, undo/redo and the clean-up operations on the active lesion."""

from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QLabel, QSpinBox, QToolBar, QWidget

from cemviewer.ui.edit_tools import MAX_RADIUS, MIN_RADIUS, TOOLS, EditTools

TOOL_KEYS = tuple(f"tool_{tool}" for tool in TOOLS)
OPERATION_KEYS = ("undo", "redo", None, "fill_holes", "remove_islands", "smooth", None, "show_annotations")


class EditToolbar(QToolBar):
    def __init__(self, actions: dict[str, QAction], tools: EditTools, parent: QWidget | None = None) -> None:
        super().__init__("Editing", parent)
        self.setObjectName("editing")
        self.tools = tools
        group = QActionGroup(self)
        group.setExclusive(True)
        for key in TOOL_KEYS:
            action = actions[key]
            group.addAction(action)
            self._add(action)
        actions[f"tool_{tools.tool}"].setChecked(True)
        tools.toolChanged.connect(lambda tool: actions[f"tool_{tool}"].setChecked(True))
        self.addSeparator()
        self.radius_box = QSpinBox()
        self.radius_box.setRange(int(MIN_RADIUS), int(MAX_RADIUS))
        self.radius_box.setSuffix(" px")
        self.radius_box.setToolTip("Brush radius in image pixels ([ and ], or Ctrl+wheel over the image)")
        self.radius_box.setValue(round(tools.radius))
        self.radius_box.valueChanged.connect(tools.set_radius)
        tools.radiusChanged.connect(lambda radius: self.radius_box.setValue(round(radius)))
        self.addWidget(QLabel(" Radius "))
        self.addWidget(self.radius_box)
        self.addSeparator()
        for key in OPERATION_KEYS:
            if key is None:
                self.addSeparator()
            else:
                self._add(actions[key])

    def _add(self, action: QAction) -> None:
        self.addAction(action)
        keys = action.shortcut().toString()
        action.setToolTip(f"{action.text()} ({keys})" if keys else action.text())
