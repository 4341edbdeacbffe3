"""The checks of a student's notebook (hlmtutor.course.checks) open sealed answers.

The seals are written by the instructor's tool (hlmtutor_instructor.tasks.seals) for one
student; the right values here come from the instructor's expected values, which tests/test_check.py
compares with R (tests/reference/check.R).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from hlmtutor.course import (
    _seal,
    assignment_data,
    check_centered,
    check_fixef,
    check_icc,
    check_statistic,
    check_variance,
    load_seals,
    sealed_quantities,
)
from hlmtutor.course.assignments import A2_NULL_FORMULA, A3_FORMULA
from hlmtutor_instructor import tasks

DIRECTION = re.compile(
    r"too (high|low)|higher|lower|smaller|(?<!whichever is )larger|above|below", re.I
)


@pytest.fixture
def sealed():
    """Load one student's seals of an assignment, as the notebook's seal cell does."""

    def load(assignment: str, student_id: str = "s001"):
        load_seals(_seal.dumps(tasks.seals(assignment, student_id)))
        return assignment_data(assignment, student_id)

    yield load
    load_seals("{}")


def right(assignment: str, key: str, data):
    return tasks.rule(assignment, key).expected(data)


def test_a2_right_answers_open_their_seals_and_others_do_not(sealed):
    data = sealed("a2")
    tau = right("a2", "var_intercept", data)
    icc = right("a2", "icc", data)
    assert check_icc(icc, data).correct
    assert check_icc(icc + 0.0049, data).correct  # within 0.005
    assert not check_icc(icc + 0.0065, data).correct  # beyond 1.25 tolerances
    assert check_variance(tau * 1.009, data, A2_NULL_FORMULA, "(Intercept)").correct  # 1%
    assert not check_variance(tau * 1.02, data, A2_NULL_FORMULA, "(Intercept)").correct
    sigma2 = right("a2", "var_residual", data)
    assert check_variance(round(sigma2, 2), data, A2_NULL_FORMULA, "Residual").correct
    assert not check_variance(tau, data, A2_NULL_FORMULA, "Residual").correct


def test_a3_fixed_effects_and_the_practice_intercept(sealed):
    data = sealed("a3")
    for key, term, statistic in (
        ("b_treatment", "treatment", "Estimate"),
        ("b_interaction", "treatment:ses_cwc", "Estimate"),
        ("df_interaction", "treatment:ses_cwc", "df"),
        ("p_interaction", "treatment:ses_cwc", "Pr(>|t|)"),
    ):
        value = right("a3", key, data)
        assert check_fixef(value, data, A3_FORMULA, term, statistic).correct, key
        wrong = check_fixef(-value - 1, data, A3_FORMULA, term, statistic)
        other_side = check_fixef(value + 5, data, A3_FORMULA, term, statistic)
        assert not wrong.correct and not DIRECTION.search(wrong.message), key
        assert wrong.message == other_side.message, key
    practice = tasks.PRACTICE["a3"][0].expected(data)
    assert check_fixef(practice, data, A3_FORMULA, "(Intercept)").correct


def test_a1_statistics_and_columns(sealed):
    data = sealed("a1")
    assert check_statistic(float(data["math_score"].mean()), data, "math_score").correct
    assert check_statistic(data["math_score"].count(), data, "math_score", "count").correct
    assert not check_statistic(data["math_score"].count() - 1, data, "math_score", "count")
    within = right("a1", "ses_cwc", data)
    assert check_centered(within, data, "ses", kind="within").correct
    assert check_centered(within.to_numpy() + 1e-9, data, "ses", kind="within").correct
    assert not check_centered(within + 1e-3, data, "ses", kind="within").correct
    assert not check_centered(within, data, "ses", kind="group_mean").correct


def test_the_seals_are_the_students_own(sealed):
    data = sealed("a2", "s002")
    theirs = right("a2", "icc", assignment_data("a2", "s001"))
    mine = right("a2", "icc", data)
    assert abs(theirs - mine) > 0.02  # the two students' data differ
    assert check_icc(mine, data).correct and not check_icc(theirs, data).correct


def test_a_wrong_answer_gets_the_same_words_whatever_it_is(sealed):
    data = sealed("a2")
    messages = {check_icc(value, data).message for value in (0.01, 0.5, 0.99, 7.0)}
    assert len(messages) == 1
    (message,) = messages
    assert message.startswith("Not within 0.005. Hint:") and not DIRECTION.search(message)


def test_form_comes_first_and_unsealed_quantities_say_so(sealed):
    data = sealed("a2")
    assert check_icc(None, data).message.startswith("No answer yet")
    assert check_icc("0.2", data).message == "Give a single number; got a str."
    assert check_icc(float("nan"), data).message.startswith("Give a finite number")
    other = check_fixef(1.0, data, A2_NULL_FORMULA, "ses")
    assert not other.checked and not other.correct
    assert "no sealed answer for this quantity" in other.message
    assert str(other).startswith("Form only:")
    load_seals("{}")
    assert sealed_quantities() == []
    book = check_icc(0.2, data)
    assert not book.checked and "no sealed answers" in book.message


def test_bad_arguments_and_bad_seals_are_named():
    data = assignment_data("a2", "demo")
    with pytest.raises(ValueError, match="statistic 'Estimates' is not known"):
        check_fixef(1.0, data, A2_NULL_FORMULA, "(Intercept)", "Estimates")
    with pytest.raises(KeyError, match="no column 'score'"):
        check_statistic(1.0, data, "score")
    with pytest.raises(ValueError, match="not readable JSON"):
        load_seals("{not json")


def test_a_number_opens_its_seal_only_near_its_bin():
    value = 12.3456
    sealed = _seal.seal_number(value, absolute=0.01, relative=0.005)
    width = max(0.01, 0.005 * value)
    grid = value + np.linspace(-2, 2, 81) * width
    opened = np.array([_seal.opens(sealed, answer) for answer in grid])
    distance = np.abs(grid - value) / width
    assert opened[distance <= 1].all()  # every answer within the tolerance
    assert not opened[distance > 1 + 1 / _seal.STEPS + 1e-9].any()  # none beyond 1.25 of it
    # Two seals of one value share no digest (each has its own salt).
    again = _seal.seal_number(value, absolute=0.01, relative=0.005)
    assert not set(sealed["digests"]) & set(again["digests"])
