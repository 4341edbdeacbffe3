"""Tests for hlmtutor.simulate."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.api import types

from hlmtutor import guide_data

FOLDER = "foundation/"
# The guide folder sits beside the repository (../shared/guide), as CONTRIBUTING.md says.
SHARED_GUIDE_CSV = Path(__file__).resolve().parents[2] / "shared" / "guide" / "guide_data.csv"
COLUMNS = ["math_score", "intervention", "classroom_id", "student_id", "ses"]


@pytest.fixture(scope="module")
def data():
    return guide_data()


def test_guide_data_equals_r_data_frame(data, read_reference):
    # R: the data.frame() of guide.R, written with 17 significant digits
    ref = read_reference(FOLDER + "guide_data_full.csv")
    assert list(data.columns) == COLUMNS == list(ref.columns)
    assert len(data) == len(ref) == 240
    for column in COLUMNS:
        np.testing.assert_allclose(data[column], ref[column], rtol=1e-12, atol=0, err_msg=column)


def test_guide_data_head_equals_r_head(data, read_reference):
    # R: head(data) (six rows)
    ref = read_reference(FOLDER + "guide_data_head.csv")
    assert len(ref) == 6
    pd.testing.assert_frame_equal(data.head(6), ref, check_dtype=False, rtol=1e-12)


@pytest.mark.skipif(not SHARED_GUIDE_CSV.exists(), reason="the shared guide_data.csv is absent")
def test_guide_data_equals_shared_guide_csv(data):
    # R: write.csv(data, "guide_data.csv") in guide.R (15 significant digits)
    shared = pd.read_csv(SHARED_GUIDE_CSV)
    assert list(shared.columns) == COLUMNS
    np.testing.assert_allclose(data[COLUMNS], shared[COLUMNS], rtol=1e-9, atol=0)


def test_guide_data_types_follow_r_classes(data, read_reference):
    # R: sapply(data, class): numeric -> float, integer -> int
    classes = read_reference(FOLDER + "guide_data_classes.csv").set_index("column")["r_class"]
    for column, r_class in classes.items():
        check = types.is_float_dtype if r_class == "numeric" else types.is_integer_dtype
        assert check(data[column]), (column, data[column].dtype, r_class)


def test_guide_data_recycles_ses_and_intervention_as_r_does(data):
    by_room = data.groupby("classroom_id")
    assert by_room["intervention"].first().tolist() == [0, 0, 0, 1, 1, 1] * 2
    assert (by_room["intervention"].nunique() == 1).all()
    first_half = data.loc[data["classroom_id"] <= 6, "ses"].to_numpy()
    second_half = data.loc[data["classroom_id"] > 6, "ses"].to_numpy()
    np.testing.assert_array_equal(first_half, second_half)
    assert data["student_id"].tolist() == list(range(1, 21)) * 12
