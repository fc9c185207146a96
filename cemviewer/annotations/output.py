"""How every export writes: whole files or none, and one error type with a message for the user."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


class ExportError(Exception):
    """An export that cannot be made (unreadable source image, lesions of a view the study lacks); nothing in
    memory is touched by it. Writing itself fails with OSError (read-only folder, full disk)."""


def write_atomically(path: Path, write: Callable[[Path], None]) -> Path:
    """Call `write` on a temporary file beside `path`, then rename it into place: a failed write (OSError) leaves
    any previous file whole and no partial one behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.partial")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
