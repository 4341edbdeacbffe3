"""Tests for hlmtutor.describe against R's summary() and psych's describe/describeBy."""

import numpy as np
import pandas as pd
import pytest

from hlmtutor import describe, describe_by, r_summary
from hlmtutor.describe import DESCRIBE_COLUMNS

FOLDER = "foundation/"
RTOL = 1e-12


@pytest.fixture(scope="module")
def small(read_reference):
    """The small awkward data set of foundation.R, with R's column types."""
    frame = read_reference(FOLDER + "small_input.csv")
    frame["count"] = frame["count"].astype("Int64")
    frame["level"] = pd.Categorical(frame["level"], categories=["low", "mid", "high"])
    return frame


def assert_matches_psych(result: pd.DataFrame, ref: pd.DataFrame) -> None:
    """Compare a describe() table with psych's (NA in R is NaN here)."""
    assert list(result.columns) == DESCRIBE_COLUMNS
    assert list(result.index.get_level_values("variable")) == list(ref["variable"])
    for column in DESCRIBE_COLUMNS:
        np.testing.assert_allclose(
            result[column].to_numpy(dtype=float),
            ref[column].to_numpy(dtype=float),
            rtol=RTOL,
            atol=1e-14,
            equal_nan=True,
            err_msg=column,
        )


def test_r_summary_of_guide_data(data, read_reference):
    # R: summary(data) (quantile type 7 and mean, unrounded)
    ref = read_reference(FOLDER + "guide_summary.csv").set_index("stat")
    result = r_summary(data)
    assert list(result.index) == ["Min.", "1st Qu.", "Median", "Mean", "3rd Qu.", "Max."]
    assert list(result.columns) == list(data.columns)
    np.testing.assert_allclose(result, ref.loc[result.index, result.columns], rtol=RTOL)
    assert (ref.loc["NA's"] == 0).all()


def test_r_summary_counts_missing_values(small, read_reference):
    # R: summary(small[c("score", "count", "constant")]) with its NA's line
    ref = read_reference(FOLDER + "small_summary.csv").set_index("stat")
    result = r_summary(small[["score", "count", "constant"]])
    assert list(result.index) == list(ref.index)
    np.testing.assert_allclose(result, ref.loc[:, result.columns], rtol=RTOL)
    assert result.loc["NA's"].tolist() == [2, 1, 0]


def test_r_summary_rejects_text_columns(small):
    with pytest.raises(TypeError, match=r"\['team', 'level', 'word'\] are not numeric"):
        r_summary(small)


def test_describe_guide_data(data, read_reference):
    # R: psych::describe(data)
    assert_matches_psych(describe(data), read_reference(FOLDER + "guide_describe.csv"))


def test_describe_by_all_twelve_classrooms(data, read_reference):
    # R: psych::describeBy(data, group = "classroom_id"), every classroom and column
    ref = read_reference(FOLDER + "guide_describe_by.csv")
    result = describe_by(data, "classroom_id")
    assert result.index.names == ["group", "variable"]
    assert list(result.index.get_level_values("group")) == ref["group"].tolist()
    assert_matches_psych(result, ref)


def test_describe_awkward_columns(small, read_reference):
    # R: psych::describe(small): NA's removed, constant column, factor and character
    assert_matches_psych(describe(small), read_reference(FOLDER + "small_describe.csv"))


def test_describe_by_with_a_group_of_one(small, read_reference):
    # R: psych::describeBy(small, group = "team"); team "c" has one row
    ref = read_reference(FOLDER + "small_describe_by.csv")
    result = describe_by(small, "team")
    assert list(result.index.get_level_values("group")) == ref["group"].tolist()
    assert_matches_psych(result, ref)
    one = result.loc["c"]
    assert (one["n"] == 1).all() and one[["sd", "se", "skew", "kurtosis"]].isna().all().all()


def test_describe_by_series_group_is_not_described(data):
    result = describe_by(data.drop(columns="classroom_id"), data["classroom_id"])
    expected = describe_by(data, "classroom_id").drop(index="classroom_id", level="variable")
    expected["vars"] = result["vars"]  # column positions shift by one after the drop
    pd.testing.assert_frame_equal(result, expected)


def test_classroom_counts_and_means_match_dplyr(data, read_reference):
    # R: data %>% group_by(classroom_id) %>% summarise(n = n()); summarise(mean, sd)
    counts = read_reference(FOLDER + "guide_classroom_counts.csv")
    math = read_reference(FOLDER + "guide_classroom_math.csv")
    by_room = data.groupby("classroom_id")["math_score"]
    assert by_room.size().tolist() == counts["n"].tolist()
    np.testing.assert_allclose(by_room.mean(), math["mean"], rtol=RTOL)
    np.testing.assert_allclose(by_room.std(), math["sd"], rtol=RTOL)


def test_describe_by_warns_about_missing_groups():
    frame = pd.DataFrame({"g": ["a", None, "a", "b"], "x": [1.0, 2.0, 3.0, 4.0]})
    with pytest.warns(UserWarning, match="1 row\\(s\\) with a missing group"):
        result = describe_by(frame, "g")
    assert result.loc[("a", "x"), "n"] == 2


def test_describe_by_errors_name_the_problem(data):
    with pytest.raises(KeyError, match="'room' is not a column"):
        describe_by(data, "room")
    with pytest.raises(ValueError, match="group has 3 values but the data frame has 240 rows"):
        describe_by(data, [1, 2, 3])


def test_describe_rejects_dates_naming_the_column():
    frame = pd.DataFrame({"when": pd.to_datetime(["2024-01-01", "2024-02-01"])})
    with pytest.raises(TypeError, match="column 'when' has dtype datetime64"):
        describe(frame)


def test_describe_of_an_empty_column_and_booleans():
    frame = pd.DataFrame({"empty": [np.nan, np.nan], "flag": [True, False]})
    result = describe(frame)
    assert result.loc["empty", "n"] == 0 and result.loc["empty"].drop(["vars", "n"]).isna().all()
    assert result.loc["flag", "mean"] == 0.5


def test_describe_by_categorical_group_keeps_category_order_and_skips_unused():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 5.0]})
    group = pd.Series(pd.Categorical(["z", "a", "z", "a"], categories=["z", "m", "a"]))
    result = describe_by(frame, group)
    assert list(result.index.get_level_values("group")) == ["z", "a"]
    assert result["mean"].tolist() == [2.0, 3.5]
