"""packaging/check_bundle.py on small folders laid out like a bundle: what counts as a duplicate."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))

import check_bundle  # noqa: E402


def _write(path: Path, size: int, fill: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(fill * size)
    return path


def test_a_cuda_library_copied_beside_its_link_fails_and_a_link_does_not(tmp_path, capsys):
    bundle = tmp_path / "cemviewer"
    library = _write(bundle / "_internal" / "nvidia" / "cu13" / "lib" / "libcublas.so.13", check_bundle.LARGE)
    (bundle / "_internal" / "libcublas.so.13").symlink_to(library.relative_to(bundle / "_internal"))
    assert check_bundle.main([str(bundle)]) == 0

    (bundle / "_internal" / "libcublas.so.13").unlink()
    _write(bundle / "_internal" / "libcublas.so.13", check_bundle.LARGE)
    assert check_bundle.main([str(bundle)]) == 1
    assert "libcublas.so.13" in capsys.readouterr().err


def test_same_bytes_under_other_names_count_and_small_vendored_copies_only_warn(tmp_path, capsys):
    bundle = tmp_path / "cemviewer"
    _write(bundle / "_internal" / "numpy.libs" / "libgfortran-0400.so.5", check_bundle.COMPARED)
    _write(bundle / "_internal" / "scipy.libs" / "libgfortran-0400.so.5", check_bundle.COMPARED)
    assert check_bundle.main([str(bundle)]) == 0
    assert "libgfortran-0400.so.5" in capsys.readouterr().out

    _write(bundle / "_internal" / "torch" / "bin" / "protoc", check_bundle.LARGE, b"p")
    _write(bundle / "_internal" / "torch" / "bin" / "protoc-3.21", check_bundle.LARGE, b"p")
    assert check_bundle.main([str(bundle)]) == 1


def test_extension_modules_of_the_same_name_in_two_packages_are_not_duplicates(tmp_path):
    bundle = tmp_path / "cemviewer"
    _write(bundle / "_internal" / "sklearn" / "tree" / "_utils.cpython-311-x86_64-linux-gnu.so", 100, b"a")
    _write(bundle / "_internal" / "sklearn" / "manifold" / "_utils.cpython-311-x86_64-linux-gnu.so", 100, b"b")
    assert check_bundle.duplicates(check_bundle.files_of(bundle)) == []


def test_sizes_are_summed_by_top_level_package(tmp_path):
    bundle = tmp_path / "cemviewer"
    _write(bundle / "_internal" / "torch" / "lib" / "libtorch.so", 300)
    _write(bundle / "_internal" / "torch" / "version.py", 20)
    _write(bundle / "cemviewer", 50)
    sizes = check_bundle.sizes_by_part(bundle, check_bundle.files_of(bundle))
    assert sizes == {"torch": 320, "(top level)": 50}


def test_a_missing_folder_gets_the_usage(tmp_path, capsys):
    assert check_bundle.main([str(tmp_path / "nowhere")]) == 2
    assert "make package" in capsys.readouterr().err
