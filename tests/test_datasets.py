"""Tests for hlmtutor.datasets against R's copies of High School and Beyond."""

import numpy as np
import pandas as pd
import pytest
from pandas.api import types

from hlmtutor import load_hsb, load_hsb_schools
from hlmtutor.datasets import HSB_COLUMNS, SCHOOL_COLUMNS

FOLDER = "foundation/"


@pytest.fixture(scope="module")
def hsb():
    return load_hsb()


@pytest.fixture(scope="module")
def by_school(read_reference):
    # R: Hsb82 grouped by school, merged with nlme::MathAchSchool
    return read_reference(FOLDER + "hsb_by_school.csv", dtype={"school": str}).set_index("school")


def test_counts_match_r_packages(hsb, read_reference):
    # R: nrow(mlmRev::Hsb82), nlevels(school); nrow(nlme::MathAchieve); nrow(MathAchSchool)
    counts = read_reference(FOLDER + "hsb_counts.csv")
    students = counts.query("quantity == 'students'")["value"]
    schools = counts.query("quantity == 'schools'")["value"]
    assert (students == len(hsb)).all() and len(hsb) == 7185
    assert (schools == hsb["school"].nunique()).all()
    assert (schools == len(load_hsb_schools())).all()


def test_columns_and_types(hsb):
    assert list(hsb.columns) == HSB_COLUMNS == [
        "school", "minority", "female", "ses", "mathach", "meanses",
        "size", "sector", "pracad", "disclim", "himinty",
    ]  # fmt: skip
    assert types.is_string_dtype(hsb["school"]) and hsb["school"].iloc[0] == "1224"
    for column in ["minority", "female", "himinty", "size"]:
        assert types.is_integer_dtype(hsb[column]), column
    for column in ["ses", "mathach", "meanses", "pracad", "disclim"]:
        assert types.is_float_dtype(hsb[column]), column
    assert isinstance(hsb["sector"].dtype, pd.CategoricalDtype)
    assert list(hsb["sector"].cat.categories) == ["Public", "Catholic"]
    assert hsb.notna().all().all()
    assert set(hsb["minority"]) == set(hsb["female"]) == set(hsb["himinty"]) == {0, 1}


def test_per_school_values_match_r(hsb, by_school):
    # R: Hsb82 %>% group_by(school) %>% summarise(n, sum(minrty == "Yes"), ...)
    ours = hsb.groupby("school").agg(
        n=("mathach", "size"), minority=("minority", "sum"), female=("female", "sum"),
        mean_ses=("ses", "mean"), mean_mathach=("mathach", "mean"),
        sector=("sector", "first"), size=("size", "first"), pracad=("pracad", "first"),
        disclim=("disclim", "first"), himinty=("himinty", "first"), meanses=("meanses", "first"),
    )  # fmt: skip
    ref = by_school.loc[ours.index]
    assert len(ref) == 160
    for column in ["n", "minority", "female", "size", "himinty"]:
        assert ours[column].tolist() == ref[column].tolist(), column
    for column in ["mean_ses", "mean_mathach", "pracad", "disclim", "meanses"]:
        np.testing.assert_allclose(ours[column], ref[column], rtol=1e-12, err_msg=column)
    assert ours["sector"].astype(str).tolist() == ref["sector"].tolist()
    assert (ref["sector"] == ref["sector_school_file"]).all()


def test_school_table_matches_r(by_school):
    # R: nlme::MathAchSchool
    schools = load_hsb_schools()
    assert list(schools.columns) == SCHOOL_COLUMNS and schools["school"].is_unique
    ref = by_school.loc[schools["school"]]
    assert schools["size"].tolist() == ref["size"].tolist()
    assert schools["sector"].astype(str).tolist() == ref["sector_school_file"].tolist()
    np.testing.assert_allclose(schools["meanses"], ref["meanses"], rtol=1e-12)


def test_whole_sample_figures_match_r(hsb, read_reference):
    # R: mean(MathAch), sd(MathAch), mean(SES), sum(Minority == "Yes"), ... of MathAchieve
    ref = read_reference(FOLDER + "hsb_students_summary.csv").set_index("quantity")["value"]
    ours = {
        "mean(MathAch)": hsb["mathach"].mean(),
        "sd(MathAch)": hsb["mathach"].std(),
        "mean(SES)": hsb["ses"].mean(),
        "sum(Minority == 'Yes')": hsb["minority"].sum(),
        "sum(Sex == 'Female')": hsb["female"].sum(),
        "sum(MEANSES)": hsb["meanses"].sum(),
    }
    assert list(ours) == list(ref.index)
    np.testing.assert_allclose(list(ours.values()), ref.to_numpy(), rtol=1e-10)


def test_each_call_returns_a_fresh_copy():
    first = load_hsb()
    first.loc[0, "mathach"] = -999.0
    assert load_hsb().loc[0, "mathach"] != -999.0
    schools = load_hsb_schools()
    schools.loc[0, "size"] = 0
    assert load_hsb_schools().loc[0, "size"] != 0
