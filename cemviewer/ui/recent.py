"""The recently opened studies, most recent first, kept in the user's settings between sessions."""

from __future__ import annotations

from PySide6.QtCore import QSettings

ORGANISATION = "cemviewer"
APPLICATION = "cemviewer"
_KEY = "recent_studies"
MAX_RECENT = 10


def default_settings() -> QSettings:
    return QSettings(ORGANISATION, APPLICATION)


class RecentStudies:
    def __init__(self, settings: QSettings) -> None:
        self._settings = settings

    def paths(self) -> list[str]:
        value = self._settings.value(_KEY, [])
        # QSettings hands back a bare string for a one-item list in some formats.
        return [value] if isinstance(value, str) else list(value or [])

    def add(self, path: str) -> None:
        paths = [path] + [p for p in self.paths() if p != path]
        self._store(paths[:MAX_RECENT])

    def remove(self, path: str) -> None:
        self._store([p for p in self.paths() if p != path])

    def clear(self) -> None:
        self._store([])

    def _store(self, paths: list[str]) -> None:
        self._settings.setValue(_KEY, paths)
        self._settings.sync()
