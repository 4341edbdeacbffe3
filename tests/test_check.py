"""The grader's checks (hlmtutor_instructor.checks): right answers pass, wrong ones get a hint.

Right values come from R (tests/reference/check.R on student s001's data). The slip hints are on
for every test (as in the grader's feedback) except those that check what a student's notebook
shows without slip hints (``student_view``): no direction and no slip.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hlmtutor import center_within, group_mean
from hlmtutor.course import CheckResult
from hlmtutor_instructor import checks as checks_module
from hlmtutor_instructor.checks import (
    check_centered,
    check_fixef,
    check_icc,
    check_statistic,
    check_variance,
)
from hlmtutor_instructor.expected import (
    expected_centered,
    expected_fixef,
    expected_icc,
    expected_statistic,
    expected_variance,
)

A2_NULL = "math_score ~ 1 + (1 | classroom_id)"


@pytest.fixture(autouse=True)
def slips():
    """Slip hints on, as the grader judges (student_view turns them off again)."""
    token = checks_module._SLIP_HINTS.set(True)
    yield
    checks_module._SLIP_HINTS.reset(token)


@contextmanager
def student_view():
    """What a student's notebook shows: the checks without slip hints."""
    token = checks_module._SLIP_HINTS.set(False)
    try:
        yield
    finally:
        checks_module._SLIP_HINTS.reset(token)


A3_MODEL = "math_score ~ treatment * ses_cwc + ses_cm_gmc + (1 + ses_cwc | classroom_id)"


@pytest.fixture(scope="module")
def r_values(read_reference) -> dict[tuple[str, str], float]:
    table = read_reference("check/r_values.csv")
    return {(row.assignment, row.quantity): row.value for row in table.itertuples()}


@pytest.fixture(scope="module")
def data(read_reference):
    def load(assignment: str) -> pd.DataFrame:
        return read_reference(f"check/{assignment}_s001.csv")

    return {name: load(name) for name in ("a1", "a2", "a3")}


def assert_hides(result: CheckResult, right: float) -> None:
    """The message holds none of the usual printings of the right value."""
    text = str(result) + result._repr_html_()
    for shown in {f"{right:.{digits}f}" for digits in (2, 3, 4, 6)} | {f"{right:.4g}", repr(right)}:
        if re.fullmatch(r"-?0\.0*", shown):
            continue  # a tiny p-value prints as 0.00: no information, and tolerances contain it
        assert shown not in text, f"{shown!r} appears in {text!r}"


def assert_wrong(result: CheckResult, right: float, hint: str | None = None) -> None:
    assert not result.correct and not bool(result)
    assert result.message.startswith(("Not within", "No answer", "Give", "Your column"))
    if hint is not None:
        assert hint in result.message, result.message
    assert_hides(result, right)


# ---------------------------------------------------------------------------------------------
# ICC and variances (assignment 2)


def test_icc_accepts_r_value_and_values_within_tolerance(data, r_values):
    right = r_values[("a2", "icc")]
    for answer in (right, right + 0.004, right - 0.004, round(right, 3)):
        result = check_icc(answer, data["a2"])
        assert result.correct and bool(result), result
        assert "0.005" in result.message
        assert_hides(result, right)


@pytest.mark.parametrize(
    ("make_answer", "hint"),
    [
        (lambda icc, tau, s2: 1 - icc, "residual"),
        (lambda icc, tau, s2: np.sqrt(tau) / (np.sqrt(tau) + np.sqrt(s2)), "standard deviations"),
        (lambda icc, tau, s2: tau / s2, "total"),
        (lambda icc, tau, s2: 1.4, "between 0 and 1"),
    ],
)
def test_icc_rejects_wrong_values_with_a_hint(data, r_values, make_answer, hint):
    icc = r_values[("a2", "icc")]
    tau, s2 = r_values[("a2", "var_intercept")], r_values[("a2", "var_residual")]
    assert_wrong(check_icc(make_answer(icc, tau, s2), data["a2"]), icc, hint)


@pytest.mark.parametrize("offset", [0.02, 0.2])
def test_a_students_check_gives_no_direction(data, r_values, offset):
    """Above or below the right value, the notebook's message is the same: no bisection."""
    icc = r_values[("a2", "icc")]
    with student_view():
        above, below = check_icc(icc + offset, data["a2"]), check_icc(icc - offset, data["a2"])
        slip = check_icc(1 - icc, data["a2"])
        centered = check_centered(data["a1"]["ses"], data["a1"], "ses", kind="within")
    assert not above.correct and not below.correct
    assert above.message == below.message == slip.message
    for result in (above, below, slip, centered):
        assert not re.search(r"too (high|low)|residual|itself", result.message), result.message
    assert_hides(above, icc)


def test_slip_hints_are_off_outside_the_grader(data, r_values):
    icc = r_values[("a2", "icc")]
    assert "residual" in check_icc(1 - icc, data["a2"]).message  # the autouse fixture's view
    token = checks_module._SLIP_HINTS.set(False)
    try:
        assert "residual" not in check_icc(1 - icc, data["a2"]).message
        with checks_module.slip_hints():
            assert "residual" in check_icc(1 - icc, data["a2"]).message
        assert "residual" not in check_icc(1 - icc, data["a2"]).message
    finally:
        checks_module._SLIP_HINTS.reset(token)


def test_variances_match_r(data, r_values):
    for component, key in (("(Intercept)", "var_intercept"), ("residual", "var_residual")):
        right = r_values[("a2", key)]
        assert check_variance(right, data["a2"], A2_NULL, component).correct
        assert check_variance(right * 1.005, data["a2"], A2_NULL, component).correct
        assert_wrong(check_variance(right * 1.05, data["a2"], A2_NULL, component), right)
    slope = r_values[("a3", "var_slope")]
    assert check_variance(slope, data["a3"], A3_MODEL, "ses_cwc").correct


@pytest.mark.parametrize("label", ["Residual", "residual"])
def test_variance_accepts_lme4s_residual_label(data, r_values, label):
    right = r_values[("a2", "var_residual")]
    assert check_variance(right, data["a2"], A2_NULL, label).correct


@pytest.mark.parametrize("label", ["(Intercept)", "classroom_id", "classroom_id:(Intercept)"])
def test_variance_accepts_lme4s_intercept_labels(data, r_values, label):
    """R prints the random intercept's row as Groups 'classroom_id', Name '(Intercept)'."""
    right = r_values[("a2", "var_intercept")]
    assert check_variance(right, data["a2"], A2_NULL, label).correct


def test_variance_unknown_label_lists_lme4s_labels(data):
    with pytest.raises(KeyError) as error:
        check_variance(1.0, data["a2"], A2_NULL, "sigma2")
    message = str(error.value)
    for label in ("'(Intercept)'", "'classroom_id'", "'Residual'"):
        assert label in message, message


def test_variance_hints(data, r_values):
    tau = r_values[("a2", "var_intercept")]
    s2 = r_values[("a2", "var_residual")]
    frame = data["a2"]
    assert_wrong(check_variance(np.sqrt(tau), frame, A2_NULL), tau, "standard deviation")
    assert_wrong(check_variance(s2, frame, A2_NULL), tau, "variance of 'Residual'")
    assert_wrong(check_variance(tau**2, frame, A2_NULL), tau, "square")


# ---------------------------------------------------------------------------------------------
# Fixed effects (assignment 3)


@pytest.mark.parametrize(
    ("term", "statistic", "key"),
    [
        ("treatment", "Estimate", "b_treatment"),
        ("treatment:ses_cwc", "Estimate", "b_interaction"),
        ("treatment:ses_cwc", "Std. Error", "se_interaction"),
        ("treatment:ses_cwc", "df", "df_interaction"),
        ("treatment:ses_cwc", "Pr(>|t|)", "p_interaction"),
    ],
)
def test_fixef_accepts_r_values_and_rejects_others(data, r_values, term, statistic, key):
    right = r_values[("a3", key)]
    frame = data["a3"]
    result = check_fixef(right, frame, A3_MODEL, term, statistic)
    assert result.correct, result
    assert_hides(result, right)
    assert_wrong(check_fixef(right * 1.3 + 0.05, frame, A3_MODEL, term, statistic), right)


def test_fixef_hints(data, r_values):
    frame = data["a3"]
    b = r_values[("a3", "b_treatment")]
    assert_wrong(check_fixef(-b, frame, A3_MODEL, "treatment"), b, "sign")
    interaction = r_values[("a3", "b_interaction")]
    assert_wrong(
        check_fixef(b, frame, A3_MODEL, "treatment:ses_cwc"), interaction, "term 'treatment'"
    )
    df = r_values[("a3", "df_interaction")]
    n_minus_p = len(frame) - 5
    assert_wrong(check_fixef(n_minus_p, frame, A3_MODEL, "treatment:ses_cwc", "df"), df, "n - p")
    assert_wrong(
        check_fixef(
            frame["classroom_id"].nunique() - 1, frame, A3_MODEL, "treatment:ses_cwc", "df"
        ),
        df,
        "classrooms minus one",
    )
    p = r_values[("a3", "p_interaction")]
    assert_wrong(
        check_fixef(p / 2, frame, A3_MODEL, "treatment:ses_cwc", "Pr(>|t|)"), p, "one-sided"
    )


def test_z_p_value_gets_its_own_hint_not_another_terms(data, r_values):
    """A z-based p-value lies within 0.0001 of another term's tiny p; the hint names the slip."""
    frame = data["a3"]
    t = expected_fixef(frame, A3_MODEL, "treatment:ses_cwc", "t value")
    z_p = 2 * stats.norm.sf(abs(t))
    p = r_values[("a3", "p_interaction")]
    result = check_fixef(z_p, frame, A3_MODEL, "treatment:ses_cwc", "Pr(>|t|)")
    assert_wrong(result, p, "normal distribution")
    assert "term" not in result.message


def test_another_terms_p_value_is_named_only_when_close_in_relative_terms(data, r_values):
    frame = data["a3"]
    p_other = expected_fixef(frame, A3_MODEL, "ses_cm_gmc", "Pr(>|t|)")
    p = r_values[("a3", "p_interaction")]
    result = check_fixef(p_other, frame, A3_MODEL, "treatment:ses_cwc", "Pr(>|t|)")
    assert_wrong(result, p, "term 'ses_cm_gmc'")


def test_fixef_bad_input_names_what_would_work(data):
    with pytest.raises(KeyError, match=r"no fixed-effect term 'ses'.*'treatment:ses_cwc'"):
        check_fixef(1.0, data["a3"], A3_MODEL, "ses")
    with pytest.raises(ValueError, match=r"statistic 'p'.*'Pr\(>\|t\|\)'"):
        check_fixef(1.0, data["a3"], A3_MODEL, "treatment", "p")
    with pytest.raises(KeyError, match="no variance component 'slope'.*'ses_cwc'"):
        check_variance(1.0, data["a3"], A3_MODEL, "slope")
    with pytest.raises(KeyError, match="no column 'score'"):
        check_icc(0.1, data["a2"], outcome="score")
    with pytest.raises(TypeError, match="DataFrame"):
        check_icc(0.1, data["a2"].to_numpy())


def test_checked_model_uses_its_own_centering(data, r_values):
    """A wrong ses_cwc column in the student's data does not change the right answer."""
    frame = data["a3"].assign(ses_cwc=data["a3"]["ses"])  # not centered at all
    right = r_values[("a3", "b_interaction")]
    assert check_fixef(right, frame, A3_MODEL, "treatment:ses_cwc").correct


# ---------------------------------------------------------------------------------------------
# Descriptives and centered columns (assignment 1)


def test_statistics_match_r(data, r_values):
    frame = data["a1"]
    assert check_statistic(r_values[("a1", "mean_math")], frame, "math_score").correct
    right_sd = r_values[("a1", "sd_math_classroom_1")]
    assert check_statistic(right_sd, frame, "math_score", "sd", group=1).correct
    assert_wrong(check_statistic(right_sd + 0.1, frame, "math_score", "sd", group=1), right_sd)


def test_statistic_hints(data, r_values):
    frame = data["a1"]
    room = frame.loc[frame["classroom_id"] == 1, "math_score"]
    right_sd = r_values[("a1", "sd_math_classroom_1")]
    sd = lambda answer: check_statistic(answer, frame, "math_score", "sd", group=1)  # noqa: E731
    assert_wrong(sd(room.std(ddof=0)), right_sd, "n - 1")
    assert_wrong(sd(room.var()), right_sd, "variance")
    assert_wrong(sd(frame["math_score"].std()), right_sd, "all rows")
    mean = r_values[("a1", "mean_math")]
    assert_wrong(check_statistic(frame["ses"].mean(), frame, "math_score"), mean, "'ses'")


def test_statistic_bad_input(data):
    with pytest.raises(ValueError, match="statistic 'average'.*mean"):
        check_statistic(1.0, data["a1"], "math_score", "average")
    with pytest.raises(ValueError, match="no rows with classroom_id == 99"):
        check_statistic(1.0, data["a1"], "math_score", group=99)


def test_centered_columns_match_r(data, r_values):
    frame = data["a1"]
    within = center_within(frame["ses"], frame["classroom_id"])
    for row in range(3):
        assert within.iloc[row] == pytest.approx(r_values[("a1", f"ses_cwc_row{row + 1}")])
    assert check_centered(within, frame, kind="within").correct
    assert check_centered(within.to_numpy(), frame, kind="within").correct
    assert check_centered(list(within), frame, kind="within").correct
    means = group_mean(frame["ses"], frame["classroom_id"])
    assert check_centered(means, frame, kind="group_mean").correct
    centered_means = means - means.groupby(frame["classroom_id"]).first().mean()
    assert centered_means.iloc[0] == pytest.approx(r_values[("a1", "ses_cm_gmc_row1")])
    assert check_centered(centered_means, frame, kind="cluster_grand").correct
    assert check_centered(frame["ses"] - frame["ses"].mean(), frame, kind="grand").correct


def test_a1_classrooms_differ_in_size_so_the_weighting_matters(data):
    """Centering classroom means at the mean over students is caught, with its own hint."""
    frame = data["a1"]
    sizes = frame.groupby("classroom_id").size()
    assert sizes.nunique() > 1
    means = group_mean(frame["ses"], frame["classroom_id"])
    by_students = means - means.mean()
    by_classrooms = means - means.groupby(frame["classroom_id"]).first().mean()
    assert abs(by_students - by_classrooms).max() > 1e-3
    assert check_centered(by_classrooms, frame, kind="cluster_grand").correct
    result = check_centered(by_students, frame, kind="cluster_grand")
    assert not result.correct
    assert "mean over all students" in result.message


def test_check_functions_take_other_column_names(data, r_values):
    """Nothing is tied to classroom_id/math_score/ses beyond the defaults."""
    frame = data["a2"].rename(columns={"classroom_id": "school", "math_score": "y"})
    right = r_values[("a2", "icc")]
    assert check_icc(right, frame, outcome="y", cluster="school").correct
    assert expected_icc(frame, "y", "school") == pytest.approx(right, rel=1e-4)
    a1 = data["a1"].rename(columns={"classroom_id": "school", "ses": "x"})
    within = center_within(a1["x"], a1["school"])
    assert check_centered(within, a1, "x", "school", kind="within").correct
    a3 = data["a3"].rename(columns={"classroom_id": "school", "ses": "x"})
    model = "math_score ~ treatment * x_cwc + x_cm_gmc + (1 + x_cwc | school)"
    b = r_values[("a3", "b_interaction")]
    assert check_fixef(b, a3, model, "treatment:x_cwc", center="x", cluster="school").correct
    slope = r_values[("a3", "var_slope")]
    assert check_variance(slope, a3, model, "x_cwc", center="x", cluster="school").correct


def test_expected_values_match_r(data, r_values):
    assert expected_statistic(data["a1"], "math_score") == pytest.approx(
        r_values[("a1", "mean_math")]
    )
    assert float(expected_centered(data["a1"], kind="within").std()) == pytest.approx(
        r_values[("a1", "ses_cwc")]
    )
    assert expected_variance(data["a3"], A3_MODEL, "ses_cwc") == pytest.approx(
        r_values[("a3", "var_slope")], rel=1e-4
    )


def test_centered_hints(data):
    frame = data["a1"]
    within = center_within(frame["ses"], frame["classroom_id"])
    means = group_mean(frame["ses"], frame["classroom_id"])
    cases = [
        (means, "within", "classroom means"),
        (frame["ses"], "within", "column itself"),
        (within + 0.3, "within", "same amount"),
        (within.iloc[::-1], "within", "row order"),
        (within.iloc[:-1], "within", "rows"),
        (frame["ses"] - frame["ses"].mean(), "within", "grand mean"),
        (within, "group_mean", "centered within classrooms"),
        (within.where(frame.index > 0), "within", "missing values"),
        (frame, "within", "one column"),
    ]
    for answer, kind, hint in cases:
        result = check_centered(answer, frame, kind=kind)
        assert not result.correct, (kind, hint)
        assert hint in result.message, (hint, result.message)


def test_centered_bad_input(data):
    with pytest.raises(ValueError, match="kind 'cwc'.*within"):
        check_centered([0.0], data["a1"], kind="cwc")
    with pytest.raises(KeyError, match="no column 'SES'"):
        check_centered([0.0], data["a1"], "SES")


# ---------------------------------------------------------------------------------------------
# The result object


@pytest.mark.parametrize("answer", [None, ..., "0.3", [0.1, 0.2], float("nan")])
def test_non_answers_are_not_correct_and_say_why(data, answer):
    result = check_icc(answer, data["a2"])
    assert not result.correct
    assert re.search(r"No answer yet|single number|finite number", result.message)


def test_single_value_containers_are_numbers(data, r_values):
    right = r_values[("a2", "icc")]
    assert check_icc(np.float64(right), data["a2"]).correct
    assert check_icc(pd.Series([right]), data["a2"]).correct


def test_result_renders_for_notebooks(data):
    result = check_icc(2.0, data["a2"])
    assert str(result).startswith("Not yet: ICC of math_score by classroom_id.")
    assert repr(result) == str(result)
    html = CheckResult(True, "a <b> & c", "x < y")._repr_html_()
    assert "&lt;b&gt; &amp; c" in html and "x &lt; y" in html and "Correct" in html
