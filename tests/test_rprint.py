"""R's printing rules (``hlmtutor/_rprint.py``) against R itself on hard cases: each test reads
what ``tests/reference/rprint.R`` wrote with R 4.2 (``format``, ``format.pval``, ``abbreviate``)
and formats the same doubles."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hlmtutor._rprint import abbreviate, format_pval, r_format

REFERENCE = Path(__file__).resolve().parent / "reference" / "rprint"


def _values(text: str) -> list[float]:
    return [float(v.replace("Inf", "inf")) for v in text.split(";")]


def _rows(name: str) -> list[dict]:
    table = pd.read_csv(REFERENCE / name, dtype={"r": str, "values": str}, keep_default_na=False)
    return table.to_dict("records")


@pytest.mark.parametrize("row", _rows("format.csv"), ids=lambda row: row["values"][:40])
def test_format_equals_r(row: dict) -> None:
    """``format(x, digits =, nsmall =)``: tests/reference/rprint.R."""
    got = r_format(_values(row["values"]), int(row["digits"]), int(row["nsmall"]))
    assert "|".join(got) == row["r"]


@pytest.mark.parametrize("row", _rows("format_pval.csv"), ids=lambda row: row["values"][:40])
def test_format_pval_equals_r(row: dict) -> None:
    """``format.pval(pv, digits =)``: tests/reference/rprint.R."""
    assert "|".join(format_pval(_values(row["values"]), int(row["digits"]))) == row["r"]


@pytest.mark.parametrize("row", _rows("abbreviate.csv"), ids=lambda row: str(row["minlength"]))
def test_abbreviate_equals_r(row: dict) -> None:
    """``abbreviate(names, minlength)``: tests/reference/rprint.R."""
    names = row["names"].split(";")
    assert abbreviate(names, int(row["minlength"])) == row["r"].split(";")
