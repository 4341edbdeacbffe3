"""Tests for hlmtutor.datasets: High School and Beyond against R's copies; the simulated survey."""

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.api import types

from hlmtutor import load_hsb, load_hsb_schools, load_school_survey, school_survey_path
from hlmtutor.datasets import HSB_COLUMNS, SCHOOL_COLUMNS, SURVEY_COLUMNS

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


# -- the simulated school survey ---------------------------------------------------------------
SURVEY_SCRIPT = Path(__file__).resolve().parents[1] / "book" / "_tools" / "school_survey.py"


@pytest.fixture(scope="module")
def survey():
    return load_school_survey()


def test_survey_shape_columns_and_types(survey):
    assert survey.shape == (772, 7)
    assert list(survey.columns) == SURVEY_COLUMNS == [
        "student_id", "school_id", "sector", "teacher_exp", "gender", "ses", "score",
    ]  # fmt: skip
    for column in ["student_id", "school_id", "sector", "gender"]:
        assert types.is_string_dtype(survey[column]), column
    for column in ["teacher_exp", "ses", "score"]:
        assert types.is_float_dtype(survey[column]), column
    assert survey["student_id"].is_unique
    assert survey["student_id"].str.fullmatch(r"ST-\d{4}").all()
    assert survey["school_id"].str.fullmatch(r"SCH-\d{2}").all()


def test_survey_schools_sizes_and_level2_values(survey):
    sizes = survey.groupby("school_id").size()
    assert len(sizes) == 30 and (sizes.min(), sizes.max()) == (5, 60)
    assert sizes.nunique() > 20  # unequal schools
    numbers = sorted(int(i[4:]) for i in sizes.index)
    assert numbers != list(range(1, 31))  # ids with gaps, as a sample of a district list
    # Rows grouped by school: each school's rows are contiguous.
    assert (survey["school_id"] != survey["school_id"].shift()).sum() == 30
    # Level-2 columns take one value per school (missing counted as a value).
    per_school = survey.groupby("school_id")[["sector", "teacher_exp"]].nunique(dropna=False)
    assert (per_school == 1).all().all()
    sectors = survey.groupby("school_id")["sector"].first().value_counts()
    assert sectors.to_dict() == {"Public": 14, "Catholic": 9, "Independent": 7}
    assert set(survey["gender"].dropna()) == {"female", "male"}


def test_survey_missing_pattern(survey):
    assert survey.isna().sum().to_dict() == {
        "student_id": 0, "school_id": 0, "sector": 0, "teacher_exp": 26, "gender": 12,
        "ses": 34, "score": 0,
    }  # fmt: skip
    # teacher_exp: every row of one public school, nowhere else.
    lost = survey.loc[survey["teacher_exp"].isna(), "school_id"].unique().tolist()
    assert lost == ["SCH-32"]
    assert (survey["school_id"] == "SCH-32").sum() == 26
    assert set(survey.loc[survey["school_id"] == "SCH-32", "sector"]) == {"Public"}
    # Missing text is missing, not an empty string.
    assert not (survey["gender"] == "").any()
    # SES is missing more often for low scorers (missing at random given the score).
    low = survey["score"] < 45
    assert survey.loc[low, "ses"].isna().mean() > survey.loc[~low, "ses"].isna().mean()
    complete = survey.dropna()
    assert len(complete) == 706 and complete["school_id"].nunique() == 29


def test_survey_file_reads_as_the_loader_returns(survey):
    path = school_survey_path()
    assert path.is_file() and path.name == "school_survey.csv"
    pd.testing.assert_frame_equal(pd.read_csv(path), survey)
    first = load_school_survey()
    first.loc[0, "score"] = -1.0
    assert load_school_survey().loc[0, "score"] != -1.0


def test_survey_script_writes_the_same_bytes(tmp_path):
    spec = importlib.util.spec_from_file_location("school_survey_script", SURVEY_SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    written = script.write(tmp_path / "school_survey.csv")
    assert written.read_bytes() == school_survey_path().read_bytes()
