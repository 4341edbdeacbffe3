"""The code base passes ruff's lint rules and format (pyproject.toml's [tool.ruff])."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["hlmtutor", "tests", "benchmarks", "book"]
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")

pytestmark = pytest.mark.skipif(RUFF is None, reason="ruff is not installed (pip install ruff)")


def run_ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([RUFF, *args, *PATHS], cwd=ROOT, capture_output=True, text=True)


def test_ruff_check_passes():
    result = run_ruff("check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = run_ruff("format", "--check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
