"""hlmtutor.lmm.frame against R 4.2.2 + lme4 1.1-31's lFormula (tests/reference/formula.R)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hlmtutor.lmm.frame import ModelFrame, factor_levels, model_frame

REF = Path(__file__).parent / "reference" / "formula"
RANK_MESSAGE = "fixed-effect model matrix is rank deficient so dropping"


def _ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, keep_default_na=False)


def _data() -> pd.DataFrame:
    data = pd.read_csv(REF / "data.csv", dtype={"school": "str", "class": "str"})
    levels = _ref("grp3f_levels.csv")["level"].tolist()
    data["grp3f"] = pd.Categorical(data["grp3"], categories=levels)
    return data


FRAMES = _ref("frames.csv")
FORMULAS = FRAMES["formula"].tolist()


def _rows(name: str, formula: str) -> pd.DataFrame:
    table = _ref(name)
    return table[table["formula"] == formula]


@pytest.fixture(scope="module")
def frames() -> dict[str, ModelFrame]:
    data = _data()
    return {f: model_frame(f, data) for f in FORMULAS}


@pytest.mark.parametrize("formula", FORMULAS)
def test_fixed_matrix_matches_lme4(frames, formula):
    mf = frames[formula]
    columns = _rows("x_columns.csv", formula)
    assert mf.x_names == tuple(columns["column"])
    assert mf.x_assign == tuple(int(a) for a in columns["assign"])
    row = FRAMES[FRAMES["formula"] == formula].iloc[0]
    assert mf.x_term_labels == (tuple(row["term_labels"].split(";")) if row["term_labels"] else ())
    assert mf.aliased == (tuple(row["dropped"].split(";")) if row["dropped"] else ())
    rank_messages = [m for m in mf.messages if m.startswith(RANK_MESSAGE)]
    assert rank_messages == ([row["message"]] if row["message"] else [])
    assert len(mf.y) == mf.X.shape[0] == int(row["nobs"])
    assert mf.n_dropped == int(row["n_dropped"])
    expected = pd.read_csv(REF / f"X_{FORMULAS.index(formula) + 1:02d}.csv")
    assert list(mf.data.index + 1) == expected["row"].tolist()  # R's row names
    np.testing.assert_allclose(
        mf.X, expected.drop(columns="row").to_numpy(), rtol=1e-12, atol=1e-13
    )


@pytest.mark.parametrize("formula", FORMULAS)
def test_random_terms_match_lme4(frames, formula):
    mf = frames[formula]
    levels = _rows("levels.csv", formula)
    unused = list(mf.random)
    for _, ref in _rows("random_terms.csv", formula).iterrows():
        labels = [t.label for t in mf.formula.random]
        k = next(i for i, term in enumerate(unused) if labels[mf.random.index(term)] == ref.label)
        term = unused.pop(k)
        assert term.name == ref["name"]
        assert term.column_names == tuple(ref["columns"].split(";"))
        assert len(term.levels) == ref["nlevels"]
        assert term.labels == tuple(levels[levels["name"] == ref["name"]]["level"])
        assert term.codes.shape == (len(mf.y),)
        assert term.codes.min() == 0 and term.codes.max() == len(term.levels) - 1
        assert term.columns.shape == (len(mf.y), len(term.column_names))
    assert not unused


@pytest.mark.parametrize("formula", FORMULAS)
def test_lost_groups_match_r(frames, formula):
    mf = frames[formula]
    lost = _rows("lost_groups.csv", formula)
    expected = {name: tuple(rows["level"]) for name, rows in lost.groupby("name", sort=False)}
    got = {name: tuple(str(v) for v in levels) for name, levels in mf.lost_groups.items()}
    assert got == expected
    for name, levels in expected.items():
        k = len(levels)
        assert any(m.startswith(f"{k} group") and repr(name) in m for m in mf.messages)


def test_missing_values_are_reported_with_their_columns():
    data = _data()
    mf = model_frame("y ~ x + (1 | school)", data)
    expected = int(data[["y", "x"]].isna().any(axis=1).sum())
    assert mf.n_dropped == expected
    assert mf.messages[0] == (
        f"{expected} row(s) with missing values in y, x dropped (as lme4's na.omit does)"
    )
    assert mf.lost_groups == {"school": ("008",)}
    assert "1 group of 'school' (008) lost all its rows" in mf.messages[1]
    assert mf.data.index.equals(data.dropna(subset=["y", "x"]).index)
    log_negative = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "x": [1.0, -1.0, 2.0, 3.0],
                                 "g": ["a", "a", "b", "b"]})  # fmt: skip
    with np.errstate(invalid="ignore"):
        mf = model_frame("y ~ log(x) + (1 | g)", log_negative)
    assert mf.n_dropped == 1 and "missing values in log(x)" in mf.messages[0]


def test_infinite_values_are_errors_naming_the_column():
    data = _data().dropna()
    data.loc[data.index[:2], "z"] = np.inf
    with pytest.raises(ValueError, match=r"predictor 'z' has 2 infinite value"):
        model_frame("y ~ z + (1 | school)", data)
    data = _data().dropna()
    data.loc[data.index[0], "y"] = -np.inf
    with pytest.raises(ValueError, match=r"outcome 'y' has 1 infinite value"):
        model_frame("y ~ z + (1 | school)", data)
    zero = _data().dropna().assign(z=0.0)
    with pytest.raises(ValueError, match=r"predictor 'log\(z\)' has \d+ infinite"):
        model_frame("y ~ log(z) + (1 | school)", zero)


def test_dates_are_refused_and_numbers_as_text_are_factors():
    data = _data().dropna()
    data["when"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(len(data)), unit="D")
    with pytest.raises(TypeError, match="'when' .* date/time column.*astype"):
        model_frame("y ~ when + (1 | school)", data)
    # Text is a factor as R reads a character column, digits or not, levels in R's text order
    # (lme4 on such a column: tests/test_lmm_fit.py::test_text_column_of_digits_is_a_factor_as_in_r)
    data["score"] = np.resize(["10", "9", "2"], len(data))
    mf = model_frame("y ~ score + (1 | school)", data)
    assert mf.x_names == ("(Intercept)", "score2", "score9")
    data["score_obj"] = data["score"].astype(object)
    assert model_frame("y ~ score_obj + (1 | school)", data).x_names[1:] == (
        "score_obj2",
        "score_obj9",
    )
    # As a factor on purpose, or as a grouping factor, numbers as text are fine.
    model_frame("y ~ factor(school) + (1 | class)", data)
    mf = model_frame("y ~ z + (1 | school)", data)
    assert mf.random[0].levels[:2] == ("001", "002")


def test_outcome_must_be_numeric_and_data_a_frame():
    data = _data()
    with pytest.raises(TypeError, match="outcome 'sex' must be numeric"):
        model_frame("sex ~ z + (1 | school)", data)
    with pytest.raises(TypeError, match="outcome 'flag' must be numeric"):
        model_frame("flag ~ z + (1 | school)", data)
    with pytest.raises(TypeError, match="data must be a pandas DataFrame"):
        model_frame("y ~ z + (1 | school)", data.to_numpy())
    with pytest.raises(KeyError, match="'nosuch'.*Columns there are: y, x, z"):
        model_frame("y ~ nosuch + (1 | school)", data)


def test_a_grouping_factor_needs_two_levels():
    data = _data().dropna().assign(one="s01")
    with pytest.raises(ValueError, match="grouping factor 'one' has 1 level"):
        model_frame("y ~ z + (1 | one)", data)


def test_booleans_and_numbers_are_factors_with_r_labels():
    data = _data()
    mf = model_frame("y ~ flag + (1 | num_id) + (1 | flag:num_id)", data)
    assert mf.x_names == ("(Intercept)", "flagTRUE")
    assert mf.random[0].levels == (1, 2, 3, 10)
    assert mf.random[0].labels == ("1", "2", "3", "10")
    assert mf.random[1].levels[:3] == ("FALSE:1", "FALSE:2", "FALSE:3")


def test_categorical_keeps_its_category_order():
    mf = model_frame("y ~ grp3f + (1 | school)", _data())
    assert mf.x_names == ("(Intercept)", "grp3flow", "grp3fhigh")
    assert factor_levels(_data()["grp3f"]) == ["mid", "low", "high"]


def test_rank_deficiency_is_scale_free():
    rng = np.random.default_rng(3)
    n = 60
    data = pd.DataFrame({"y": rng.normal(size=n), "g": np.repeat(list("abcdef"), 10)})
    data["x"] = rng.normal(size=n)
    data["w"] = rng.normal(size=n)
    for scale in (1e14, 1e-14):
        scaled = data.assign(big=data["w"] * scale, copy=data["x"] * scale)
        mf = model_frame("y ~ x + big + (1 | g)", scaled)
        assert mf.aliased == () and mf.X.shape[1] == 3
        mf = model_frame("y ~ x + big + copy + (1 | g)", scaled)
        assert mf.aliased == ("copy",)
        assert mf.x_names == ("(Intercept)", "x", "big") and mf.x_assign == (0, 1, 2)
        assert mf.messages[-1] == f"{RANK_MESSAGE} 1 column / coefficient"
    near = data.assign(near=data["x"] + 1e-9 * data["w"])  # within 1e-7 of x: aliased
    assert model_frame("y ~ x + near + (1 | g)", near).aliased == ("near",)
    apart = data.assign(apart=data["x"] + 1e-5 * data["w"])
    assert model_frame("y ~ x + apart + (1 | g)", apart).aliased == ()


def test_new_data_uses_the_fits_levels_columns_and_scaling(frames):
    data = _data()
    formula = FORMULAS[1]  # log(z) + scale(z) + factor(num_id) + (1 | school/class)
    mf = frames[formula]
    np.testing.assert_allclose(mf.fixed_matrix(mf.data), mf.X, rtol=1e-13)
    np.testing.assert_allclose(mf.fixed_matrix(mf.data.iloc[:5]), mf.X[:5], rtol=1e-13)
    for k, term in enumerate(mf.random):
        np.testing.assert_array_equal(mf.random_codes(k, mf.data), term.codes)
        np.testing.assert_allclose(mf.random_columns(k, mf.data), term.columns)
    new = data.iloc[:4].copy()
    new["num_id"] = new["num_id"].astype(str)  # "3" is the level 3
    np.testing.assert_allclose(mf.fixed_matrix(new), model_frame(formula, data).fixed_matrix(
        data.iloc[:4]))  # fmt: skip
    new["num_id"] = "7"
    with pytest.raises(ValueError, match=r"'factor\(num_id\)' has level\(s\) \['7'\].*'10'"):
        mf.fixed_matrix(new)
    unseen = data.iloc[:3].assign(school=["001", "999", None], **{"class": ["b", "b", "b"]})
    inner = next(k for k, t in enumerate(mf.random) if t.name == "class:school")
    outer = next(k for k, t in enumerate(mf.random) if t.name == "school")
    assert mf.random_codes(outer, unseen).tolist() == [0, -1, -1]
    codes = mf.random_codes(inner, unseen)
    assert codes[1:].tolist() == [-1, -1]
    assert mf.random[inner].levels[codes[0]] == "b:001"


def test_numeric_group_ids_match_their_labels():
    data = _data().dropna()
    mf = model_frame("y ~ z + (1 | num_id)", data)
    new = pd.DataFrame({"num_id": ["3", "10", "4", None]})
    assert mf.random_codes(0, new).tolist() == [2, 3, -1, -1]
    as_text = model_frame("y ~ z + (1 | school)", data)
    assert as_text.random_codes(0, pd.DataFrame({"school": [1, "002"]})).tolist() == [-1, 1]


def test_two_million_rows_build_without_row_loops():
    rng = np.random.default_rng(11)
    n = 2_000_000
    data = pd.DataFrame({
        "y": rng.normal(size=n), "x": rng.normal(size=n),
        "g": rng.integers(0, 5000, n), "h": rng.integers(0, 4, n),
    })  # fmt: skip
    mf = model_frame("y ~ x + (1 + x | g) + (1 | g:h)", data)
    assert mf.X.shape == (n, 2)
    assert len(mf.random[1].levels) == 20000


def test_nullable_dtypes_and_missing_new_rows():
    data = pd.DataFrame({
        "y": pd.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.5, 7.0, 8.0], dtype="Float64"),
        "x": pd.array([1, 2, 3, None, 5, 6, 7, 8], dtype="Int64"),
        "b": pd.array([True, False, None, True, False, True, False, True], dtype="boolean"),
        "g": pd.array(["a", "a", "b", "b", "c", "c", None, "d"], dtype="str"),
        "f": pd.Categorical(list("uvuvuvuv"), categories=["v", "u", "w"]),
    })  # fmt: skip
    mf = model_frame("y ~ x + b + f + (1 | g)", data)
    assert mf.x_names == ("(Intercept)", "x", "bTRUE", "fu")
    assert mf.n_dropped == 3 and mf.messages[0].startswith(
        "3 row(s) with missing values in x, b, g"
    )
    assert mf.lost_groups == {"g": ("b",)} and mf.random[0].levels == ("a", "c", "d")
    new = pd.DataFrame({"x": [1, None], "b": [True, False], "f": ["u", None]})
    rows = mf.fixed_matrix(new)
    assert rows[0].tolist() == [1.0, 1.0, 1.0, 1.0] and np.isnan(rows[1]).all()


def test_one_level_factors_and_repeated_columns_are_errors():
    data = _data().dropna().assign(constant="F")
    with pytest.raises(ValueError, match="factor 'constant' .* has 1 level"):
        model_frame("y ~ constant + (1 | school)", data)
    twice = pd.concat([data[["y", "z"]], data[["z", "school"]]], axis=1)
    with pytest.raises(ValueError, match="'z' appear more than once"):
        model_frame("y ~ z + (1 | school)", twice)
