"""hlmtutor/data/hsb_published.csv holds cited values: check them against the cited source text."""

from importlib.resources import files
from pathlib import Path

import pandas as pd
import pytest

# The data's provenance note, shipped with the package (a copy of the shared data README).
SOURCE_NOTE = Path(str(files("hlmtutor") / "data" / "README.md"))


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    # Read as text: a cited value is the string the source prints, trailing zeros included.
    return pd.read_csv(files("hlmtutor") / "data" / "hsb_published.csv", dtype=str)


def test_every_row_names_its_table_and_source(published):
    assert list(published.columns) == ["table", "model", "parameter", "estimate", "se", "source"]
    assert set(published["table"]) == {"4.2", "4.3"}
    assert published["source"].str.contains("Raudenbush & Bryk").all()
    assert published["estimate"].astype(float).notna().all()


def test_values_are_those_printed_in_the_source_note(published):
    note = SOURCE_NOTE.read_text()
    for table, block in published.groupby("table"):
        # The note's line for this table, up to the next table.
        section = note.split(f"Table {table}", 1)[1].split("Table 4.", 1)[0]
        for _, row in block.iterrows():
            assert row["estimate"] in section, (table, row["parameter"], row["estimate"])
            if isinstance(row["se"], str):
                assert row["se"] in section, (table, row["parameter"], row["se"])
