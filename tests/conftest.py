"""Shared test fixtures (keep this file small)."""

from pathlib import Path

import pandas as pd
import pytest

from hlmtutor import guide_data

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


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    """The guide's data, ``hlmtutor.guide_data()``, one copy per test module (do not modify it).

    A module that needs other data under this name defines its own ``data`` fixture.
    """
    return guide_data()
