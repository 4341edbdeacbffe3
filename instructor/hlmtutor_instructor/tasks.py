"""How the instructor's tools compute, seal and judge each task of the three assignments.

The ``hlmtutor`` package a student installs knows each task's name, notebook variable and
question (:data:`hlmtutor.course.assignments.ASSIGNMENTS`) and nothing that computes its answer. This module,
part of the instructor's install only, adds for each task a :class:`Rule`: the function that
computes the right value from a student's data, the check the grader judges an answer with, and
the seal written into the student's notebook so its own check can say correct / not yet.
Each assignment also seals the practice checks its notebook shows (values that are not graded).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hlmtutor.course import _seal
from hlmtutor.course import checks as student_checks
from hlmtutor.course.assignments import A2_NULL_FORMULA, A3_FORMULA, assignment_data
from hlmtutor.course.checks import CheckResult

from . import checks as _judges
from . import expected as _x

__all__ = ["PRACTICE", "RULES", "Rule", "rule", "seals"]


@dataclass(frozen=True)
class Rule:
    """How one quantity is computed, judged and sealed.

    Attributes
    ----------
    label : str
        The key of its seal: the quantity the student's check names
        (:mod:`hlmtutor.course.checks`' labels).
    expected : callable
        ``expected(data)``: the right value (a float) or the right column (a Series).
    judge : callable
        ``judge(answer, data) -> CheckResult``: the grader's check, exact tolerance.
    tolerance : Tolerance or float
        The tolerance of a number, or the largest difference in any row of a column.
    """

    label: str
    expected: Callable[[pd.DataFrame], Any]
    judge: Callable[[Any, pd.DataFrame], CheckResult]
    tolerance: Any

    @property
    def is_column(self) -> bool:
        return isinstance(self.tolerance, float)

    def key_value(self, data: pd.DataFrame) -> float:
        """The answer key's value: the right value, or a column's SD (a fingerprint)."""
        value = self.expected(data)
        return float(value.std()) if self.is_column else float(value)

    def tolerance_text(self) -> str:
        return "within " + student_checks.tolerance_text(self.tolerance)

    def seal(self, data: pd.DataFrame) -> dict[str, Any]:
        value = self.expected(data)
        if self.is_column:
            return _seal.seal_column(np.asarray(value, dtype=float).tolist(), self.tolerance)
        return _seal.seal_number(float(value), self.tolerance.absolute, self.tolerance.relative)


def _fixef(formula: str, term: str, statistic: str = "Estimate") -> Rule:
    return Rule(
        student_checks.fixef_label(formula, term, statistic),
        lambda data: _x.expected_fixef(data, formula, term, statistic),
        lambda answer, data: _judges.check_fixef(answer, data, formula, term, statistic),
        _x.FIXEF_TOLERANCE[statistic],
    )


def _variance(formula: str, component: str) -> Rule:
    return Rule(
        student_checks.variance_label(formula, component),
        lambda data: _x.expected_variance(data, formula, component),
        lambda answer, data: _judges.check_variance(answer, data, formula, component),
        _x.VARIANCE_TOLERANCE,
    )


def _column(kind: str) -> Rule:
    return Rule(
        student_checks.centered_label("ses", kind),
        lambda data: _x.expected_centered(data, "ses", "classroom_id", kind),
        lambda answer, data: _judges.check_centered(answer, data, "ses", kind=kind),
        _x.CENTERED_TOLERANCE,
    )


def _statistic(statistic: str, group: Any = None) -> Rule:
    return Rule(
        student_checks.statistic_label("math_score", statistic, group=group),
        lambda data: _x.expected_statistic(data, "math_score", statistic, group=group),
        lambda answer, data: _judges.check_statistic(
            answer, data, "math_score", statistic, group=group
        ),
        _x.STATISTIC_TOLERANCE,
    )


_ICC = Rule(
    student_checks.icc_label(),
    _x.expected_icc,
    lambda answer, data: _judges.check_icc(answer, data),
    _x.ICC_TOLERANCE,
)

#: Each graded task's rule, by assignment and task key.
RULES: dict[tuple[str, str], Rule] = {
    ("a1", "mean_math"): _statistic("mean"),
    ("a1", "sd_math_classroom_1"): _statistic("sd", group=1),
    ("a1", "ses_cm"): _column("group_mean"),
    ("a1", "ses_cwc"): _column("within"),
    ("a1", "ses_cm_gmc"): _column("cluster_grand"),
    ("a2", "var_intercept"): _variance(A2_NULL_FORMULA, "(Intercept)"),
    ("a2", "var_residual"): _variance(A2_NULL_FORMULA, "Residual"),
    ("a2", "icc"): _ICC,
    ("a3", "b_treatment"): _fixef(A3_FORMULA, "treatment"),
    ("a3", "b_interaction"): _fixef(A3_FORMULA, "treatment:ses_cwc"),
    ("a3", "df_interaction"): _fixef(A3_FORMULA, "treatment:ses_cwc", "df"),
    ("a3", "p_interaction"): _fixef(A3_FORMULA, "treatment:ses_cwc", "Pr(>|t|)"),
    ("a3", "var_slope"): _variance(A3_FORMULA, "ses_cwc"),
}

#: The practice checks each notebook shows (not graded), sealed with the graded ones.
PRACTICE: dict[str, tuple[Rule, ...]] = {
    "a1": (_statistic("count"),),
    "a2": (_fixef(A2_NULL_FORMULA, "(Intercept)"),),
    "a3": (_fixef(A3_FORMULA, "(Intercept)"),),
}


def rule(assignment: str, task_key: str) -> Rule:
    """The rule of one task, or a KeyError naming the known ones."""
    try:
        return RULES[(assignment, task_key)]
    except KeyError:
        known = ", ".join(f"{a}/{k}" for a, k in RULES)
        raise KeyError(f"no task {assignment}/{task_key}; the tasks are {known}") from None


def seals(assignment: str, student_id: str) -> dict[str, dict[str, Any]]:
    """The sealed answers of one student's notebook: ``{label: seal}``.

    Examples
    --------
    >>> from hlmtutor.course import checks, load_seals
    >>> from hlmtutor.course import assignment_data
    >>> load_seals(_seal.dumps(seals("a2", "demo")))
    >>> data = assignment_data("a2", "demo")
    >>> right = _x.expected_icc(data)
    >>> checks.check_icc(right + 0.004, data).correct, checks.check_icc(right + 0.01, data).correct
    (True, False)
    """
    from hlmtutor.course.assignments import ASSIGNMENTS

    data = assignment_data(assignment, student_id)
    rules = [rule(assignment, task.key) for task in ASSIGNMENTS[assignment].tasks]
    rules += PRACTICE.get(assignment, ())
    return {item.label: item.seal(data) for item in rules}
