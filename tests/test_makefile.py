"""``make``'s own checks, run on a copy of the Makefile in an empty folder: it refuses a Python
older than hlmtutor supports before making ``.venv``, and makes ``.venv`` again when another
Python made it (a fake old ``.venv`` stands in for one made by Python 3.10)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed (apt-get install make)")


def run_make(folder: Path, *arguments: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return subprocess.run(
        [MAKE, "--no-print-directory", *arguments],
        cwd=folder,
        capture_output=True,
        text=True,
        env=environ,
        timeout=300,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy2(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    # the instructor's distribution is a prerequisite of the venv too (Makefile's STAMP)
    (tmp_path / "instructor").mkdir()
    (tmp_path / "instructor" / "pyproject.toml").write_text("[project]\nname = 'y'\n")
    return tmp_path


def fake_python(path: Path, version: str, prefix: str) -> Path:
    """A stand-in for another Python: answers the Makefile's two questions as that one would."""
    major, minor = (int(part) for part in version.split("."))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "#!/bin/sh\n"
        f'case "$*" in *"--version"*) echo "Python {version}.0";; '
        f'*"sys.exit"*) exit {int((major, minor) < (3, 11))};; '
        f'*) echo "{version} {prefix}";; esac\n'
    )
    path.chmod(0o755)
    return path


def test_make_refuses_a_python_older_than_supported(project: Path) -> None:
    old = fake_python(project / "old" / "python3", "3.10", "/opt/python3.10")
    done = run_make(project, "venv", f"PYTHON={old}")
    assert done.returncode != 0
    assert "hlmtutor needs Python 3.11 or newer" in done.stderr
    assert "Python 3.10.0" in done.stderr and "python3-venv" in done.stderr
    assert not (project / ".venv").exists(), "made .venv with a Python that cannot run hlmtutor"


def test_make_remakes_a_venv_made_by_another_python(project: Path) -> None:
    fake_python(project / ".venv" / "bin" / "python", "3.10", "/opt/python3.10")
    (project / ".venv" / "left-over").write_text("from the old environment")
    target = ".venv/.made-by"
    done = run_make(project, target, f"PYTHON={sys.executable}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "made by another Python (3.10 /opt/python3.10)" in done.stdout
    assert not (project / ".venv" / "left-over").exists()
    version = subprocess.run(
        [
            str(project / ".venv" / "bin" / "python"),
            "-c",
            "import sys; print(sys.version_info[:2])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert version == str(sys.version_info[:2])
    expected = f"{sys.version_info[0]}.{sys.version_info[1]} {sys.base_prefix}"
    assert (project / target).read_text().strip() == expected
    # Made by this Python now: a second run keeps it and leaves the record untouched.
    before = (project / target).stat().st_mtime_ns
    again = run_make(project, target, f"PYTHON={sys.executable}")
    assert again.returncode == 0 and "another Python" not in again.stdout
    assert (project / target).stat().st_mtime_ns == before
