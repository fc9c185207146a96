"""Size of a built bundle by part, and no large file carried twice.

    python packaging/check_bundle.py dist/cemviewer

Two files with the same bytes (from COMPARED up), or two shared libraries (lib*.so*) with the same name, are a duplicate: the bundle
loads one and carries the other for nothing, which for a CUDA library is up to gigabytes. Exit 1 when a duplicated
file is LARGE or more. Smaller duplicates are listed without failing: manylinux wheels each vendor their own
libgfortran or libgomp (numpy.libs and scipy.libs), which the bundle keeps where each wheel's rpath looks.
Symbolic links (PyInstaller links the CUDA libraries into the top folder) cost nothing and are not counted.
"""

from __future__ import annotations

import hashlib
import sys
from collections import defaultdict
from pathlib import Path

COMPARED = 1 << 20  # files compared by content from this size: below, equal bytes are empty __init__.py and the like
LARGE = 4 << 20
MIB = float(1 << 20)


def files_of(bundle: Path) -> list[Path]:
    return [path for path in bundle.rglob("*") if path.is_file() and not path.is_symlink()]


def part_of(path: Path, bundle: Path) -> str:
    """The top-level package a file belongs to (`_internal/torch/lib/x.so` -> torch), or `(top level)`."""
    parts = path.relative_to(bundle).parts
    inside = parts[1:] if parts[0] == "_internal" else parts
    return inside[0] if len(inside) > 1 else "(top level)"


def sizes_by_part(bundle: Path, files: list[Path]) -> dict[str, int]:
    sizes: dict[str, int] = defaultdict(int)
    for path in files:
        sizes[part_of(path, bundle)] += path.stat().st_size
    return dict(sorted(sizes.items(), key=lambda item: -item[1]))


def duplicates(files: list[Path]) -> list[list[Path]]:
    """Groups of files with equal bytes, and of shared libraries with equal names."""
    by_size: dict[int, list[Path]] = defaultdict(list)
    by_name: dict[str, list[Path]] = defaultdict(list)
    for path in files:
        if path.stat().st_size >= COMPARED:
            by_size[path.stat().st_size].append(path)
        # Python extension modules (x.cpython-311-*.so) of different packages may share a name, not a library.
        if path.name.startswith("lib") and ".so" in path.suffixes:
            by_name[path.name].append(path)
    groups = [paths for paths in by_name.values() if len(paths) > 1]
    named = {path for group in groups for path in group}
    for same_size in by_size.values():
        if len(same_size) > 1:
            by_hash: dict[str, list[Path]] = defaultdict(list)
            for path in same_size:
                by_hash[_sha256(path)].append(path)
            groups += [paths for paths in by_hash.values() if len(paths) > 1 and not named.issuperset(paths)]
    return groups


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: python packaging/check_bundle.py BUNDLE_FOLDER (e.g. dist/cemviewer; build it with "
              "`make package`)", file=sys.stderr)
        return 2
    bundle = Path(argv[0])
    files = files_of(bundle)
    sizes = sizes_by_part(bundle, files)
    print(f"{bundle}: {sum(sizes.values()) / MIB:,.0f} MiB in {len(files)} files")
    for part, size in list(sizes.items())[:12]:
        print(f"  {part:<24} {size / MIB:>9,.0f} MiB")
    found = duplicates(files)
    large = [group for group in found if max(path.stat().st_size for path in group) >= LARGE]
    for group in found:
        print(f"duplicate ({group[0].stat().st_size / MIB:,.1f} MiB each): "
              + ", ".join(str(path.relative_to(bundle)) for path in group),
              file=sys.stderr if group in large else sys.stdout)
    wasted = sum(path.stat().st_size for group in found for path in group[1:])
    print(f"duplicates: {len(found)} groups, {wasted / MIB:,.1f} MiB carried twice; "
          f"{len(large)} of {LARGE / MIB:g} MiB or more")
    return 1 if large else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
