"""PySide6 + pyqtgraph widgets of the viewer: they present the core's results and forward the user's requests."""
