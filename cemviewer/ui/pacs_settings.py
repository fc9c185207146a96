"""PACS node settings: the nodes of pacs.json (cemviewer.pacs.nodes) in a form, with Test connection.

PacsSettingsWidget is the form alone, for the Preferences dialog to embed (it calls save()); PacsSettingsDialog
is the form with Save and Cancel, opened from the PACS dialog.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from cemviewer.pacs.errors import PacsError
from cemviewer.pacs.nodes import DICOMWEB, DIMSE, PacsConfig, PacsNode, config_path, load_config, save_config
from cemviewer.services.pacs_worker import PacsWorker
from cemviewer.ui import theme

PROTOCOL_NAMES = {DICOMWEB: "DICOMweb (HTTP)", DIMSE: "DIMSE (C-FIND / C-GET / C-STORE)"}
ERROR_STYLE = f"color: {theme.ERROR};"
OK_STYLE = "color: #6cbf6c;"


class PacsSettingsWidget(QWidget):
    saved = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.worker = PacsWorker(self)
        self.status = QLabel()
        self.status.setWordWrap(True)
        try:
            self.config = load_config()
        except PacsError as error:  # the user may fix it here: saving writes a good file over the bad one
            self.config = PacsConfig()
            self._say(str(error), ERROR_STYLE)
        self._shown: str | None = None  # the node name the form was filled from

        self.nodes = QComboBox()
        self.nodes.setMinimumWidth(220)
        self.add_button, self.remove_button = QPushButton("New node"), QPushButton("Delete")
        self.add_button.clicked.connect(self.add_node)
        self.remove_button.clicked.connect(self.remove_node)
        self.default_button = QPushButton("Make default")
        self.default_button.clicked.connect(self._make_default)
        top = QHBoxLayout()
        top.addWidget(QLabel("Node:"))
        top.addWidget(self.nodes, stretch=1)
        for button in (self.add_button, self.remove_button, self.default_button):
            top.addWidget(button)

        self.name = QLineEdit()
        self.protocol = QComboBox()
        for key, text in PROTOCOL_NAMES.items():
            self.protocol.addItem(text, key)
        self.url = QLineEdit()
        self.url.setPlaceholderText("http://pacs.example.org:8042/dicom-web")
        self.username, self.password = QLineEdit(), QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.username.setPlaceholderText("none")
        self.host = QLineEdit()
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.called_ae, self.calling_ae = QLineEdit(), QLineEdit()
        for field in (self.called_ae, self.calling_ae):
            field.setMaxLength(16)
        self.connect_timeout, self.read_timeout = _seconds(0.1, 120), _seconds(0.1, 600)

        timeouts = QHBoxLayout()
        timeouts.addWidget(QLabel("connect"))
        timeouts.addWidget(self.connect_timeout)
        timeouts.addWidget(QLabel("answer"))
        timeouts.addWidget(self.read_timeout)
        timeouts.addStretch(1)
        self.form = QFormLayout()
        self.form.addRow("Name", self.name)
        self.form.addRow("Protocol", self.protocol)
        # One form, the other protocol's rows hidden, so that every label lines up.
        self._rows = {DICOMWEB: (self.url, self.username, self.password),
                      DIMSE: (self.host, self.port, self.called_ae, self.calling_ae)}
        for label, field in zip(("DICOMweb URL", "User name", "Password", "Host", "Port", "Archive AE title",
                                 "Our AE title"), (*self._rows[DICOMWEB], *self._rows[DIMSE]), strict=True):
            self.form.addRow(label, field)
        self.form.addRow("Timeouts", timeouts)
        self.protocol.currentIndexChanged.connect(self._show_protocol_rows)
        self._show_protocol_rows()

        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        bottom = QHBoxLayout()
        bottom.addWidget(self.test_button)
        bottom.addWidget(self.status, stretch=1)
        where = QLabel(f"Saved in {config_path()}")
        where.setStyleSheet("color: gray;")

        column = QVBoxLayout(self)
        column.addLayout(top)
        column.addLayout(self.form)
        column.addLayout(bottom)
        column.addWidget(where)
        column.addStretch(1)

        self.worker.tested.connect(lambda text: self._say(text, OK_STYLE))
        self.worker.failed.connect(lambda text: self._say(text, ERROR_STYLE))
        self.worker.started.connect(lambda text: self._say(text, ""))
        self.worker.finished.connect(lambda: self.test_button.setEnabled(True))
        self.nodes.currentIndexChanged.connect(self._on_node_chosen)
        self._fill_nodes(self.config.default)

    # --- the form -------------------------------------------------------------------------------------------

    def node_from_form(self) -> PacsNode:
        return PacsNode(
            name=self.name.text().strip(), protocol=self.protocol.currentData(), dicomweb_url=self.url.text().strip(),
            username=self.username.text(), password=self.password.text(), host=self.host.text().strip(),
            port=self.port.value(), called_ae=self.called_ae.text().strip(), calling_ae=self.calling_ae.text().strip(),
            connect_timeout_s=self.connect_timeout.value(), read_timeout_s=self.read_timeout.value())

    def show_node(self, node: PacsNode) -> None:
        self._shown = node.name
        self.name.setText(node.name)
        self.protocol.setCurrentIndex(max(0, self.protocol.findData(node.protocol)))
        self.url.setText(node.dicomweb_url)
        self.username.setText(node.username)
        self.password.setText(node.password)
        self.host.setText(node.host)
        self.port.setValue(node.port)
        self.called_ae.setText(node.called_ae)
        self.calling_ae.setText(node.calling_ae)
        self.connect_timeout.setValue(node.connect_timeout_s)
        self.read_timeout.setValue(node.read_timeout_s)

    def add_node(self) -> None:
        if not self._keep_form():
            return
        names = {node.name for node in self.config.nodes}
        name, number = "PACS", 1
        while name in names:
            number += 1
            name = f"PACS {number}"
        self.config.put(PacsNode(name))
        self._fill_nodes(name)

    def remove_node(self) -> None:
        self.config.nodes = [node for node in self.config.nodes if node.name != self._shown]
        if self.config.default == self._shown:
            self.config.default = self.config.nodes[0].name if self.config.nodes else ""
        self._shown = None
        self._fill_nodes(self.config.default)

    def _make_default(self) -> None:
        if self._keep_form():
            self.config.default = self._shown or ""
            self._fill_nodes(self.config.default)

    def test_connection(self) -> None:
        node = self.node_from_form()
        problems = node.problems()
        if problems:
            self._say("Not tested: " + "; ".join(problems), ERROR_STYLE)
            return
        self.test_button.setEnabled(False)
        self.worker.test(node)

    def save(self) -> bool:
        """Write the nodes to pacs.json; False (with the reason shown) when the form or the disk refuses."""
        if not self._keep_form():
            return False
        try:
            save_config(self.config)
        except PacsError as error:
            self._say(str(error), ERROR_STYLE)
            return False
        self.saved.emit()
        return True

    def _keep_form(self) -> bool:
        """Put the form's node into the configuration; False, with the reason shown, when it is not usable."""
        if self._shown is None:
            return True
        node = self.node_from_form()
        problems = node.problems()
        if node.name != self._shown and node.name in {n.name for n in self.config.nodes}:
            problems.append(f"there is another node called {node.name!r}")
        if problems:
            text = "; ".join(problems)
            self._say(text[:1].upper() + text[1:], ERROR_STYLE)
            return False
        self.config.put(node, replacing=self._shown)
        self._shown = node.name
        return True

    def _fill_nodes(self, current: str) -> None:
        self.nodes.blockSignals(True)
        self.nodes.clear()
        for node in self.config.nodes:
            self.nodes.addItem(node.name + ("  (default)" if node.name == self.config.default else ""), node.name)
        self.nodes.setCurrentIndex(max(0, self.nodes.findData(current)))
        self.nodes.blockSignals(False)
        node = self.config.node(self.nodes.currentData())
        # No node, no form: an empty configuration is valid (a viewer without PACS), an empty node is not.
        for widget in (self.name, self.protocol, self.url, self.username, self.password, self.host, self.port,
                       self.called_ae, self.calling_ae, self.connect_timeout, self.read_timeout, self.test_button,
                       self.remove_button, self.default_button):
            widget.setEnabled(node is not None)
        self.show_node(node or PacsNode(""))
        self._shown = node.name if node else None
        if node is None and not self.status.text():
            self._say("No PACS node yet: press New node to add one.", "")

    def _on_node_chosen(self, index: int) -> None:
        wanted = self.nodes.itemData(index)
        if not self._keep_form():  # stay on the node whose form has a fault, with the fault shown
            self._fill_nodes(self._shown)
            return
        self._fill_nodes(wanted)

    def _show_protocol_rows(self) -> None:
        for protocol, fields in self._rows.items():
            for field in fields:
                self.form.setRowVisible(field, protocol == self.protocol.currentData())

    def _say(self, text: str, style: str) -> None:
        self.status.setStyleSheet(style)
        self.status.setText(text)

    def shutdown(self) -> None:
        self.worker.shutdown()


class PacsSettingsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("PACS settings")
        self.settings = PacsSettingsWidget()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addWidget(self.settings)
        column.addWidget(buttons)
        self.resize(640, 420)

    def _save(self) -> None:
        if self.settings.save():
            self.accept()

    def done(self, result: int) -> None:
        self.settings.shutdown()
        super().done(result)


def _seconds(minimum: float, maximum: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(minimum, maximum)
    box.setDecimals(1)
    box.setSuffix(" s")
    return box
