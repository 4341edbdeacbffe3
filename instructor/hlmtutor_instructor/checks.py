"""The grader's judgement of an answer, on the grader's own copy of the student's data.

Each function takes the student's answer and their data (the raw data of
:func:`~hlmtutor.course.assignments.assignment_data`), computes the right value with the matching function of
:mod:`hlmtutor_instructor.expected`, and returns a :class:`~hlmtutor.course.checks.CheckResult`:
``.correct`` (also its truth value) and a ``.message`` that states the tolerance. The right value
is never printed, returned or stored on the result. These are the instructor's checks (the
grader's): the checks in a student's notebook (:mod:`hlmtutor.course.checks`) compute nothing
and open sealed answers instead.

A wrong answer gets "not yet" and a general hint that depends on the task only: never a
direction (too high, too low), which would give the value away by bisection, and never a hint
that names a slip (a flipped sign, 1 - ICC), which would give it away by arithmetic. The grader
turns the slip hints on (:func:`slip_hints`) for the instructor's feedback.

The model checks recompute the centered predictors (``ses_cm``, ``ses_cwc``, ``ses_cm_gmc`` by
default; see :func:`~hlmtutor_instructor.expected.centered_predictors`) before fitting a model, so a
model checked with a wrongly centered column in ``data`` is still judged against the right one.

Each check asks the student's check's question (``hlmtutor.course.checks.icc_question``, ...:
the quantity's name, the answer's form, the general hint) of its own judge, which compares the
answer with the right value; the student's check asks the same question of the notebook's seal.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from hlmtutor.course.checks import (
    CENTERING_KINDS,
    CLUSTER,
    KIND_NAMES,
    OUTCOME,
    PREDICTOR,
    CheckResult,
    Judge,
    Question,
    Tolerance,
    centered_question,
    fixef_question,
    icc_question,
    judge_answer,
    statistic_question,
    tolerance_text,
    variance_question,
)

from . import expected as _x
from .expected import (
    CENTERED_TOLERANCE,
    FIXEF_TOLERANCE,
    ICC_TOLERANCE,
    STATISTIC_TOLERANCE,
    VARIANCE_TOLERANCE,
)

__all__ = [
    "check_centered",
    "check_fixef",
    "check_icc",
    "check_statistic",
    "check_variance",
    "slip_hints",
]

_SLIP_HINTS: ContextVar[bool] = ContextVar("hlmtutor_slip_hints", default=False)


@contextmanager
def slip_hints() -> Iterator[None]:
    """Within this block, a wrong answer's message names the slip it matches (for feedback).

    Outside it (in a student's notebook) a wrong answer gets only a hint that depends on the
    task, not on the answer: a slip hint ("that is 1 - ICC") would give the right value away.

    Examples
    --------
    >>> from hlmtutor.course import assignment_data
    >>> data = assignment_data("a2", "demo")
    >>> print(check_icc(1.5, data).message)
    Not within 0.005. Hint: read both variances from the null model's random-effects table.
    >>> with slip_hints():
    ...     print(check_icc(1.5, data).message)
    Not within 0.005. Hint: an ICC is a share of variance, between 0 and 1.
    """
    token = _SLIP_HINTS.set(True)
    try:
        yield
    finally:
        _SLIP_HINTS.reset(token)


# A wrong answer that matches one of these (hint, value) pairs gets the hint. They are computed
# only for a wrong answer and with the slip hints on (some need another fit), hence passed as a
# function of the answer.
_Alternatives = list[tuple[str, float]]
_AlternativesFn = Callable[[float], _Alternatives]


def _within(
    right: float,
    tolerance: Tolerance,
    alternatives: _AlternativesFn,
    hint_tolerance: Tolerance | None = None,
) -> Judge:
    """The grader's judge of a number: within ``tolerance`` of ``right``, or the hint of the
    alternative a wrong answer is closest to.

    An alternative matches when the answer lies within ``hint_tolerance`` of it (default: the
    answer's tolerance); of several, the closest (in tolerance widths) wins, so a value close
    to another term's by an absolute margin does not take the hint of a slip it is nearer to.
    """
    text = tolerance_text(tolerance)
    near = hint_tolerance or tolerance

    def judge(value: float, question: Question) -> CheckResult:
        if tolerance.accepts(value, right):
            return question.right(text)
        matches = [
            (near.distance(value, alternative), order, hint)
            for order, (hint, alternative) in enumerate(
                alternatives(value) if _SLIP_HINTS.get() else []
            )
            if np.isfinite(alternative) and near.accepts(value, alternative)
        ]
        return question.not_yet(text, min(matches)[2] if matches else None)

    return judge


# ---------------------------------------------------------------------------------------------
# The checks


def check_icc(
    answer: float | None,
    data: pd.DataFrame,
    *,
    outcome: str = OUTCOME,
    cluster: str = CLUSTER,
    tolerance: float = ICC_TOLERANCE.absolute,
) -> CheckResult:
    """Check an intraclass correlation against the null model of the student's data.

    Parameters
    ----------
    answer : float or None
        The student's ICC (``None`` while there is none yet).
    data : pandas.DataFrame
        The student's data.
    outcome, cluster : str
        The outcome and the grouping column (default ``math_score`` and ``classroom_id``).
    tolerance : float, default 0.005
        Absolute tolerance.

    Returns
    -------
    CheckResult

    Notes
    -----
    The right value is :func:`~hlmtutor_instructor.expected.expected_icc`:
    :math:`\\tau_{00} / (\\tau_{00} + \\sigma^2)` from the REML fit of
    ``outcome ~ 1 + (1 | cluster)``, as ``performance::icc()`` gives for
    ``lmer(math_score ~ 1 + (1 | classroom_id))`` in R. Hints recognise the residual share
    (:math:`1 - \\mathrm{ICC}`), a ratio of standard deviations instead of variances, the
    between-to-within ratio and the ML fit.

    Examples
    --------
    >>> from hlmtutor.course import assignment_data
    >>> data = assignment_data("a2", "demo")
    >>> check_icc(1.5, data).correct
    False
    >>> print(check_icc(1.5, data).message)
    Not within 0.005. Hint: read both variances from the null model's random-effects table.
    """
    tau, sigma2 = _x.null_variances(data, outcome, cluster)
    right = tau / (tau + sigma2)

    def alternatives(answer: float) -> _Alternatives:
        ml_tau, ml_sigma2 = _x.null_variances(data, outcome, cluster, reml=False)
        # The answer itself when it lies outside [0, 1], so the 'between 0 and 1' hint matches.
        out_of_unit = answer if not 0 <= answer <= 1 else math.nan
        return [
            ("an ICC is a share of variance, between 0 and 1.", out_of_unit),
            (
                "that is the residual (within-classroom) share; the ICC is the between share.",
                1 - right,
            ),
            (
                "use the variances (squared standard deviations), not the standard deviations.",
                math.sqrt(tau) / (math.sqrt(tau) + math.sqrt(sigma2)),
            ),
            (
                "divide the between variance by the total (between + within), not by the within "
                "variance.",
                tau / sigma2,
            ),
            ("fit the model by REML (lmer's default), not ML.", ml_tau / (ml_tau + ml_sigma2)),
        ]

    question = icc_question(data, outcome, cluster)
    return judge_answer(
        answer, question, _within(right, Tolerance(absolute=tolerance), alternatives)
    )


# A hint names a slip when the answer is within this relative distance of the slip's value: a
# relative band, so that tiny p-values of other terms do not all sit within 0.0001 of the answer.
_P_HINT_TOLERANCE = Tolerance(relative=FIXEF_TOLERANCE["Pr(>|t|)"].relative)


def check_fixef(
    answer: float | None,
    data: pd.DataFrame,
    formula: str,
    term: str,
    statistic: str = "Estimate",
    *,
    center: str | None = PREDICTOR,
    cluster: str = CLUSTER,
) -> CheckResult:
    """Check a cell of a model's fixed-effects table: an estimate, SE, df, t or p-value.

    Parameters
    ----------
    answer : float or None
        The student's value.
    data : pandas.DataFrame
        The student's data.
    formula : str
        The model the task names, in lme4 syntax, e.g.
        ``"math_score ~ treatment + ses_cwc + (1 | classroom_id)"``.
    term : str
        The row of the table, e.g. ``"treatment"`` or ``"(Intercept)"``.
    statistic : str, default "Estimate"
        The column: ``"Estimate"``, ``"Std. Error"``, ``"df"`` (Satterthwaite),
        ``"t value"`` or ``"Pr(>|t|)"`` (two-sided p-value).
    center : str or None, default "ses"
        The predictor whose centered columns (``ses_cm``, ``ses_cwc``, ``ses_cm_gmc``) are
        recomputed from ``data`` before the fit; ``None`` fits ``data`` as it is.
    cluster : str, default "classroom_id"
        The grouping column.

    Returns
    -------
    CheckResult

    Notes
    -----
    The right value is :func:`~hlmtutor_instructor.expected.expected_fixef`, that cell of
    ``hlmtutor.lmer(formula, data).fixef``: the table of
    ``summary(lmerTest::lmer(formula, data))`` in R (REML, Satterthwaite df). Tolerances:
    estimates, SEs and t within 0.01 or 0.5%; df within 0.1 or 1%; p within 0.0001 or 2%.
    Hints recognise the value of another term, a flipped sign, the ML fit, the residual df
    ``n - p``, the number of classrooms minus one, a one-sided p-value and a normal (z) p-value;
    a p-value takes a hint only within 2% of the slip's value.

    Examples
    --------
    >>> from hlmtutor.course import assignment_data
    >>> data = assignment_data("a3", "demo")
    >>> result = check_fixef(0.0, data, "math_score ~ treatment + (1 | classroom_id)", "treatment")
    >>> result.correct
    False
    """
    model = _x.fixef_fit(data, formula, term, statistic, center=center, cluster=cluster)
    table = model.fixef
    right = float(table.loc[term, statistic])

    def alternatives(answer: float) -> _Alternatives:
        others = [
            (
                f"that is the value of the term {other!r}; read the row {term!r}.",
                float(table.loc[other, statistic]),
            )
            for other in table.index
            if other != term
        ]
        slips = _fixef_alternatives(model, table, term, statistic, formula, data, center, cluster)
        return slips + others

    hint_tolerance = _P_HINT_TOLERANCE if statistic == "Pr(>|t|)" else None
    judge = _within(right, FIXEF_TOLERANCE[statistic], alternatives, hint_tolerance)
    return judge_answer(answer, fixef_question(data, formula, term, statistic), judge)


def _fixef_alternatives(
    model, table, term, statistic, formula, data, center, cluster
) -> _Alternatives:
    """Values a typical slip gives for this cell of the table."""
    right = float(table.loc[term, statistic])
    if statistic == "df":
        return [
            (
                "that is the residual df n - p of ordinary regression; use Satterthwaite's.",
                model.nobs - len(table),
            ),
            (
                "that is the number of classrooms minus one; use Satterthwaite's df from the fit.",
                data[cluster].nunique() - 1 if cluster in data.columns else math.nan,
            ),
        ]
    if statistic == "Pr(>|t|)":
        t = float(table.loc[term, "t value"])
        return [
            ("that is a one-sided p-value; the table's is two-sided.", right / 2),
            (
                "that is a p-value from the normal distribution; use t with Satterthwaite df.",
                2 * stats.norm.sf(abs(t)),
            ),
        ]
    hints = [("check the sign.", -right)] if statistic in ("Estimate", "t value") else []
    ml = _x.expected_fixef(
        data, formula, term, statistic, center=center, cluster=cluster, reml=False
    )
    hints.append(("fit the model by REML (lmer's default), not ML.", ml))
    return hints


def check_variance(
    answer: float | None,
    data: pd.DataFrame,
    formula: str,
    component: str = "(Intercept)",
    *,
    relative_tolerance: float = VARIANCE_TOLERANCE.relative,
    center: str | None = PREDICTOR,
    cluster: str = CLUSTER,
) -> CheckResult:
    """Check a variance component of a model: a random effect's variance or the residual's.

    Parameters
    ----------
    answer : float or None
        The student's variance (not a standard deviation).
    data : pandas.DataFrame
        The student's data.
    formula : str
        The model the task names, in lme4 syntax.
    component : str, default "(Intercept)"
        The random intercept (``"(Intercept)"``, or the group's name as R's table prints it,
        e.g. ``"classroom_id"``), a random slope's term (e.g. ``"ses_cwc"``), or the residual
        (``"Residual"``, as lme4 labels it, or ``"residual"``).
    relative_tolerance : float, default 0.01
        Relative tolerance (or 0.01 absolute, whichever is larger).
    center, cluster
        As in :func:`check_fixef`.

    Returns
    -------
    CheckResult

    Notes
    -----
    The right value is :func:`~hlmtutor_instructor.expected.expected_variance`, the "Variance"
    column of ``VarCorr`` in R (``print(VarCorr(m), comp = "Variance")``), which
    ``hlmtutor.lmer(formula, data).varcorr`` prints too. Hints recognise a standard deviation,
    a squared variance, another component and the ML fit.

    Examples
    --------
    >>> from hlmtutor.course import assignment_data
    >>> data = assignment_data("a2", "demo")
    >>> check_variance(None, data, "math_score ~ 1 + (1 | classroom_id)", "Residual").message
    'No answer yet: put your value in place of None (or ...).'
    """
    variances = _x.model_variances(data, formula, component, center=center, cluster=cluster)
    right = variances[component]

    def alternatives(answer: float) -> _Alternatives:
        ml = _x.expected_variance(
            data, formula, component, center=center, cluster=cluster, reml=False
        )
        return [
            (
                "that is a standard deviation; the task asks for a variance (its square).",
                math.sqrt(right),
            ),
            ("that is the square of the variance; the variance itself is asked for.", right**2),
            ("fit the model by REML (lmer's default), not ML.", ml),
        ] + [
            (f"that is the variance of {other!r}; the task asks for {component!r}.", value)
            for other, value in variances.items()
            if other in _x._variance_labels(variances) and value != right
        ]

    tolerance = Tolerance(VARIANCE_TOLERANCE.absolute, relative_tolerance)
    question = variance_question(data, formula, component)
    return judge_answer(answer, question, _within(right, tolerance, alternatives))


def check_statistic(
    answer: float | None,
    data: pd.DataFrame,
    column: str,
    statistic: str = "mean",
    *,
    cluster: str = CLUSTER,
    group: Any = None,
    relative_tolerance: float = STATISTIC_TOLERANCE.relative,
) -> CheckResult:
    """Check a descriptive statistic of a column, overall or in one classroom.

    Parameters
    ----------
    answer : float or None
        The student's value.
    data : pandas.DataFrame
        The student's data.
    column : str
        The column, e.g. ``"math_score"``.
    statistic : str, default "mean"
        ``"mean"``, ``"sd"`` (n - 1 in the denominator), ``"var"``, ``"median"``, ``"min"``,
        ``"max"`` or ``"count"`` (non-missing values).
    cluster : str, default "classroom_id"
        The grouping column (used with ``group``).
    group : optional
        Restrict to the rows where ``data[cluster] == group``; ``None`` uses all rows.
    relative_tolerance : float, default 0.001
        Relative tolerance (or 0.001 absolute, whichever is larger).

    Returns
    -------
    CheckResult

    Notes
    -----
    The right value is :func:`~hlmtutor_instructor.expected.expected_statistic`: the statistics of
    pandas (``Series.mean``, ``Series.std`` with ``ddof=1``, ...), which are R's ``mean``,
    ``sd``, ``var``, ``median``, ``min``, ``max`` with ``na.rm = TRUE``. Hints recognise the SD
    with n in the denominator, a variance for an SD (and back), the value over all rows instead
    of the classroom, and another column's value.

    Examples
    --------
    >>> from hlmtutor.course import assignment_data
    >>> data = assignment_data("a1", "demo")
    >>> check_statistic(float(data["math_score"].mean()), data, "math_score").correct
    True
    """
    rows = _x.statistic_rows(data, column, statistic, cluster, group)
    values = rows[column]
    right = _x.statistic_of(values, statistic)

    def alternatives(answer: float) -> _Alternatives:
        found: _Alternatives = []
        if statistic == "sd":
            found += [
                (
                    "divide by n - 1, not n (numpy's std uses n; pandas' std and R's sd use n - 1).",
                    float(values.std(ddof=0)),
                ),
                ("that is the variance; the SD is its square root.", float(values.var())),
            ]
        if statistic == "var":
            found.append(("that is the SD; the variance is its square.", float(values.std())))
        if group is not None:
            found.append(
                (
                    f"that is the value over all rows; use only {cluster} == {group!r}.",
                    _x.statistic_of(data[column], statistic),
                )
            )
        return found + [
            (
                f"that is the value of {other!r}; the task asks for {column!r}.",
                _x.statistic_of(rows[other], statistic),
            )
            for other in rows.columns
            if other != column and pd.api.types.is_numeric_dtype(rows[other])
        ]

    tolerance = Tolerance(STATISTIC_TOLERANCE.absolute, relative_tolerance)
    # The grader gives no general hint here (the notebook's check does): a wrong statistic gets a
    # slip's hint or none.
    question = replace(statistic_question(data, column, statistic, cluster, group), hint="")
    return judge_answer(answer, question, _within(right, tolerance, alternatives))


def check_centered(
    answer: Any,
    data: pd.DataFrame,
    column: str = PREDICTOR,
    cluster: str = CLUSTER,
    *,
    kind: str = "within",
    tolerance: float = CENTERED_TOLERANCE,
) -> CheckResult:
    """Check a centered (or classroom-mean) column built from ``data[column]``.

    Parameters
    ----------
    answer : Series, array or list
        The student's column, one value per row of ``data``, in the same order.
    data : pandas.DataFrame
        The student's data.
    column, cluster : str
        The column that was centered and the grouping column (default ``ses`` and
        ``classroom_id``).
    kind : str, default "within"
        ``"within"`` (value minus its classroom's mean, ``center_within``), ``"group_mean"``
        (the classroom's mean, ``group_mean``), ``"grand"`` (value minus the grand mean,
        ``center_grand(x)``) or ``"cluster_grand"`` (classroom mean minus the mean of the
        classroom means, ``center_grand(group_mean(x, cluster), cluster)``).
    tolerance : float, default 1e-6
        Largest absolute difference accepted in any row.

    Returns
    -------
    CheckResult

    Notes
    -----
    The right column is :func:`~hlmtutor_instructor.expected.expected_centered`, the
    :mod:`hlmtutor.centering` function of that kind, which matches MLMusingR's ``group_center``
    (``"within"``) and misty's ``center(type = "CGM")`` (``"cluster_grand"``). Hints recognise
    the other kinds, classroom means centered at the mean over students (each student counted
    once) instead of the mean of the classroom means, the uncentered column, a column off by a
    constant, and a length or missing-value mismatch.

    Examples
    --------
    >>> from hlmtutor.course import assignment_data
    >>> data = assignment_data("a1", "demo")
    >>> print(check_centered(data["ses"], data, "ses", kind="within").message)
    Not within 1e-06 in every row. Hint: compute it from 'ses' and 'classroom_id', in the data's row order.
    """
    right = _x.expected_centered(data, column, cluster, kind)  # checks kind and columns

    def alternatives() -> list[tuple[str, np.ndarray]]:
        raw = data[column].to_numpy(dtype=float)
        means = _x.expected_centered(data, column, cluster, "group_mean").to_numpy(dtype=float)
        others = [
            (
                f"that is {KIND_NAMES[other]}.",
                _x.expected_centered(data, column, cluster, other).to_numpy(dtype=float),
            )
            for other in CENTERING_KINDS
            if other != kind
        ]
        return [
            ("that is the column itself, not centered.", raw),
            *others,
            (
                "those are the classroom means centered at the mean over all students, so large "
                "classrooms count more; center at the mean of the classroom means, each classroom "
                "once.",
                means - np.nanmean(raw),
            ),
        ]

    judge = _column_within(right.to_numpy(dtype=float), tolerance, alternatives)
    return judge_answer(answer, centered_question(data, column, cluster, kind), judge)


def _column_within(
    right: np.ndarray,
    tolerance: float,
    alternatives: Callable[[], list[tuple[str, np.ndarray]]],
) -> Judge:
    """The grader's judge of a column: every row within ``tolerance`` of ``right``, or the hint
    of the first alternative column it matches, or of a column off by one constant."""
    text = tolerance_text(tolerance)

    def matches(values: np.ndarray, other: np.ndarray) -> bool:
        return bool(np.nanmax(np.abs(values - other), initial=0.0) <= tolerance)

    def judge(values: np.ndarray, question: Question) -> CheckResult:
        if not np.array_equal(np.isnan(values), np.isnan(right)):
            return CheckResult(
                False,
                "Your column has missing values in other rows than the data.",
                question.quantity,
            )
        if matches(values, right):
            return question.right(text)
        if not _SLIP_HINTS.get():
            return question.not_yet(text)
        for hint, other in alternatives():
            if matches(values, other):
                return question.not_yet(text, hint)
        difference = values - right
        if np.nanmax(difference) - np.nanmin(difference) <= tolerance:
            return question.not_yet(
                text,
                "your column is off by the same amount in every row; check which mean you "
                "subtract.",
            )
        return question.not_yet(text)

    return judge
