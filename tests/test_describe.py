"""Tests for hlmtutor.describing (describe, describe_by, r_summary) against R's summary() and
psych's describe/describeBy."""

import numpy as np
import pandas as pd
import pytest

from hlmtutor import describe, describe_by, r_summary
from hlmtutor.describing import DESCRIBE_COLUMNS, _coded_values

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


# ---- tests/reference/describe.R: text with missing values and mixed case, constant columns ----

DESCRIBE = "describe/"


@pytest.fixture(scope="module")
def mixed(read_reference):
    """describe.R's text frame: mixed-case words with missing values, mixed-case teams."""
    return read_reference(DESCRIBE + "mixed_input.csv")


@pytest.fixture(scope="module")
def constant(read_reference):
    """describe.R's frame with columns constant within (or across) the groups p and q."""
    return read_reference(DESCRIBE + "constant_input.csv")


def test_describe_text_with_missing_values(mixed, read_reference):
    # R: psych::describe(mixed): word has two NA, coded as.numeric(as.factor(word))
    assert mixed["word"].isna().sum() == 2
    ref = read_reference(DESCRIBE + "mixed_describe.csv")
    assert_matches_psych(describe(mixed), ref)
    # the same text held in object columns (None for missing) is coded the same way
    as_objects = mixed.astype({"team": object, "word": object})
    as_objects["word"] = as_objects["word"].where(mixed["word"].notna(), None)
    assert_matches_psych(describe(as_objects), ref)


def test_describe_by_text_with_missing_values_and_mixed_case_groups(mixed, read_reference):
    # R: psych::describeBy(mixed, group = "team"); groups in R's order a, A, b, B
    ref = read_reference(DESCRIBE + "mixed_describe_by.csv")
    result = describe_by(mixed, "team")
    assert list(result.index.get_level_values("group")) == ref["group"].tolist()
    assert list(dict.fromkeys(ref["group"])) == ["a", "A", "b", "B"]
    assert_matches_psych(result, ref)


def test_text_is_coded_by_r_levels_not_python_order(read_reference):
    # R: levels(factor(mixed$word)): "apple" < "Apple" < "banana" < ... (ICU collation)
    levels = read_reference(DESCRIBE + "mixed_word_levels.csv")["level"].tolist()
    assert levels != sorted(levels)  # Python would put every capital first
    shuffled = [levels[i] for i in (4, 1, 5, 0, 3, 2)]
    codes = _coded_values(pd.Series(shuffled))
    assert codes.tolist() == [levels.index(word) + 1.0 for word in shuffled]


def assert_constant_rows_exact(result: pd.DataFrame, values: dict) -> None:
    """Rows of constant columns: mean, median, trimmed, min, max exactly the value; sd,
    mad, range, se exactly 0; skew and kurtosis NaN (0/0), as in R."""
    for label, value in values.items():
        row = result.loc[label]
        assert (row[["mean", "median", "trimmed", "min", "max"]] == value).all(), label
        assert (row[["sd", "mad", "range", "se"]] == 0.0).all(), label
        assert row[["skew", "kurtosis"]].isna().all(), label


def test_describe_by_column_constant_within_groups(constant, read_reference):
    # R: psych::describeBy(constant, group = "g"): tenth is 0.1 in all 14 rows, big is
    # 1e6 + 0.3 in group p and 1e6 + 0.7 in group q
    ref = read_reference(DESCRIBE + "constant_describe_by.csv")
    result = describe_by(constant, "g")
    assert list(result.index.get_level_values("group")) == ref["group"].tolist()
    assert_matches_psych(result, ref)
    assert_constant_rows_exact(result.loc["p"], {"tenth": 0.1, "big": 1e6 + 0.3})
    assert_constant_rows_exact(result.loc["q"], {"tenth": 0.1, "big": 1e6 + 0.7})


def test_describe_constant_column_and_one_column_groups(constant, read_reference):
    # R: psych::describe(constant); describeBy(constant["big"], constant$g) (one column:
    # describe's vector branch)
    whole = describe(constant)
    assert_matches_psych(whole, read_reference(DESCRIBE + "constant_describe.csv"))
    assert_constant_rows_exact(whole, {"tenth": 0.1})
    by_group = describe_by(constant[["big"]], constant["g"])
    assert_matches_psych(by_group, read_reference(DESCRIBE + "constant_big_by.csv"))
    assert_constant_rows_exact(by_group.loc["q"], {"big": 1e6 + 0.7})


def test_r_summary_mean_of_a_constant_column(constant, read_reference):
    # R: summary(constant[c("tenth", "big", "x")]) as numbers
    ref = read_reference(DESCRIBE + "constant_summary.csv").set_index("stat")
    result = r_summary(constant[["tenth", "big", "x"]])
    np.testing.assert_allclose(result, ref.loc[result.index, result.columns], rtol=RTOL)
    assert result.loc["Mean", "tenth"] == 0.1


def test_describe_by_pairs_a_series_group_by_index_label(data):
    frame = data.drop(columns="classroom_id")
    expected = describe_by(frame, data["classroom_id"])
    shuffled = data["classroom_id"].sample(frac=1, random_state=3)
    assert not shuffled.index.equals(frame.index)
    pd.testing.assert_frame_equal(describe_by(frame, shuffled), expected)
    # arrays, lists and an Index carry no labels: they pair by position
    in_order = data["classroom_id"].to_numpy()
    pd.testing.assert_frame_equal(describe_by(frame, in_order), expected)
    pd.testing.assert_frame_equal(describe_by(frame, list(in_order)), expected)
    pd.testing.assert_frame_equal(describe_by(frame, pd.Index(in_order)), expected)


def test_describe_by_refuses_a_series_group_with_other_labels(data):
    moved = pd.Series(data["classroom_id"].to_numpy(), index=data.index + 1000)
    with pytest.raises(ValueError, match=r"df and group have different index labels.*to_numpy"):
        describe_by(data, moved)
    repeated = pd.Series(data["classroom_id"].to_numpy(), index=[0] * len(data))
    with pytest.raises(ValueError, match="group repeats index labels.*reset_index"):
        describe_by(data, repeated)


def test_the_module_is_not_shadowed_by_the_function():
    """``hlmtutor.describe`` is the function; its module is reachable as hlmtutor.describing."""
    import hlmtutor
    import hlmtutor.describing as D

    assert D.describe is hlmtutor.describe and D.describe_by is hlmtutor.describe_by
    assert callable(hlmtutor.describe) and not isinstance(hlmtutor.describe, type(D))
