"""Shared test fixtures (keep this file small)."""

from pathlib import Path

import pandas as pd
import pytest

REFERENCE_DIR = Path(__file__).parent / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The folder of R-written reference files (``tests/reference``)."""
    return REFERENCE_DIR


@pytest.fixture(scope="session")
def read_reference():
    """Read ``tests/reference/<name>`` (a CSV written by an R script) as a DataFrame."""

    def read(name: str, **kwargs) -> pd.DataFrame:
        return pd.read_csv(REFERENCE_DIR / name, **kwargs)

    return read
