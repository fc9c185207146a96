"""What the spec adds by hand: the CUDA libraries of the nvidia-* wheels torch depends on, each collected once.

torch's CUDA build links some of them (found by PyInstaller's dependency analysis) and dlopens the rest (cuDNN's
engine libraries, nvrtc's builtins, cuSPARSELt, NVSHMEM), which no analysis sees. Collecting the whole
site-packages/nvidia tree at its own relative path means every library has exactly one place in the bundle, the same
place the linked ones get from the analysis, so PyInstaller keeps a single copy of each. Static archives and NCCL's
device-side LTO inputs are build-time files and stay out. On a CPU-only torch there is no nvidia tree and this
returns nothing.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def nvidia_root() -> Path | None:
    spec = importlib.util.find_spec("nvidia")
    return Path(next(iter(spec.submodule_search_locations))) if spec and spec.submodule_search_locations else None


def is_runtime_library(path: Path) -> bool:
    """libfoo.so or libfoo.so.13 / .so.13.2, not libfoo.a or libnccl_device.bc."""
    return path.is_file() and ".so" in path.suffixes and path.name.startswith("lib")


def cuda_libraries() -> list[tuple[str, str]]:
    """(source file, destination folder in the bundle) for every CUDA runtime library of the nvidia-* wheels."""
    root = nvidia_root()
    if root is None:
        return []
    return [(str(path), str(Path("nvidia") / path.parent.relative_to(root)))
            for path in sorted(root.rglob("lib*")) if is_runtime_library(path)]
