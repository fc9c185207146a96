"""A dismissable strip above the images for problems the reader must see; never modal, so work goes on."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from cemviewer.ui import theme


class MessageBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        layout.addWidget(self.text, stretch=1)
        layout.addWidget(close, alignment=Qt.AlignmentFlag.AlignTop)
        self.setStyleSheet(f"MessageBar {{ background: #3a1f1f; border-bottom: 1px solid {theme.ERROR}; }}"
                           f" QLabel {{ color: #f0d0d0; }}")
        self._messages: list[str] = []
        self.setVisible(False)

    @property
    def messages(self) -> list[str]:
        return list(self._messages)

    def show_error(self, message: str) -> None:
        """Add a message; several problems stack up until dismissed."""
        if message not in self._messages:
            self._messages.append(message)
        self.text.setText("\n".join(self._messages))
        self.setVisible(True)

    def dismiss(self) -> None:
        self._messages.clear()
        self.text.clear()
        self.setVisible(False)
