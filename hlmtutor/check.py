"""Check a student's answer against their own data, without giving the answer away.

Each function takes the student's answer and their data (the raw data of
:func:`~hlmtutor.assignments.assignment_data`), computes the right value itself, and returns a
:class:`CheckResult`: ``.correct`` (also its truth value), a ``.message`` that states the
tolerance and, when the answer is wrong, a hint. The right value is never printed, returned or
stored on the result.

The checks recompute the centered predictors ``ses_cm`` (classroom mean), ``ses_cwc``
(centered within classroom) and ``ses_cm_gmc`` (classroom mean, grand-mean centered) from
``ses`` and ``classroom_id`` before fitting a model, so a model checked with a wrongly centered
column in ``data`` is still judged against the right one.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "CheckResult",
    "check_centered",
    "check_fixef",
    "check_icc",
    "check_statistic",
    "check_variance",
]

CLUSTER = "classroom_id"
OUTCOME = "math_score"
FIXEF_STATISTICS = ("Estimate", "Std. Error", "df", "t value", "Pr(>|t|)")
CENTERING_KINDS = ("within", "group_mean", "grand", "cluster_grand")
STATISTICS = ("mean", "sd", "var", "median", "min", "max", "count")


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one answer.

    Attributes
    ----------
    correct : bool
        Whether the answer is right within the stated tolerance (``bool(result)`` too).
    message : str
        What was checked, the tolerance, and a hint when the answer is not right. It never
        contains the right value.
    quantity : str
        What was checked, e.g. ``"ICC of math_score by classroom_id"``.
    """

    correct: bool
    message: str
    quantity: str

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        verdict = "Correct" if self.correct else "Not yet"
        return f"{verdict}: {self.quantity}. {self.message}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour, mark = ("#1a7f37", "&#10004;") if self.correct else ("#b35900", "&#10008;")
        verdict = "Correct" if self.correct else "Not yet"
        return (
            f'<div style="border-left: 4px solid {colour}; padding: 0.3em 0.8em;">'
            f'<strong style="color: {colour}">{mark} {verdict}</strong>: '
            f"{html.escape(self.quantity)}<br>{html.escape(self.message)}</div>"
        )


@dataclass(frozen=True)
class _Tolerance:
    """Accept |answer - right| <= max(absolute, relative * |right|)."""

    absolute: float = 0.0
    relative: float = 0.0

    def accepts(self, answer: float, right: float) -> bool:
        return abs(answer - right) <= max(self.absolute, self.relative * abs(right))

    def __str__(self) -> str:
        parts = []
        if self.absolute:
            parts.append(f"{self.absolute:g}")
        if self.relative:
            parts.append(f"{self.relative * 100:g}% of its size")
        return "within " + " or ".join(parts) + (", whichever is larger" if len(parts) > 1 else "")


ICC_TOLERANCE = _Tolerance(absolute=0.005)
VARIANCE_TOLERANCE = _Tolerance(absolute=0.01, relative=0.01)
STATISTIC_TOLERANCE = _Tolerance(absolute=0.001, relative=0.001)
CENTERED_TOLERANCE = 1e-6  # largest difference accepted in any row
FIXEF_TOLERANCE = {
    "Estimate": _Tolerance(absolute=0.01, relative=0.005),
    "Std. Error": _Tolerance(absolute=0.01, relative=0.005),
    "df": _Tolerance(absolute=0.1, relative=0.01),
    "t value": _Tolerance(absolute=0.01, relative=0.005),
    "Pr(>|t|)": _Tolerance(absolute=0.0001, relative=0.02),
}

# A wrong answer that matches one of these (hint, value) pairs gets the hint. They are computed
# only for a wrong answer (some need another fit), hence passed as a function.
_Alternatives = list[tuple[str, float]]
_AlternativesFn = Callable[[], _Alternatives]


def _as_number(answer: Any) -> float | str:
    """The answer as a float, or the reason it is not one."""
    if answer is None or answer is Ellipsis:
        return "no answer yet: put your value in place of None (or ...)"
    if isinstance(answer, bool) or not isinstance(answer, int | float | np.number):
        if isinstance(answer, pd.Series | np.ndarray) and np.size(answer) == 1:
            return _as_number(np.asarray(answer).item())
        return f"give a single number; got a {type(answer).__name__}"
    if not math.isfinite(float(answer)):
        return f"give a finite number; got {answer}"
    return float(answer)


def _judge(
    answer: Any,
    right: float,
    tolerance: _Tolerance,
    quantity: str,
    alternatives: _AlternativesFn = list,
    general_hint: str = "",
) -> CheckResult:
    value = _as_number(answer)
    if isinstance(value, str):
        return CheckResult(False, value[0].upper() + value[1:] + ".", quantity)
    if tolerance.accepts(value, right):
        return CheckResult(True, f"Right ({tolerance}).", quantity)
    for hint, alternative in alternatives():
        if np.isfinite(alternative) and tolerance.accepts(value, alternative):
            return CheckResult(False, f"Not within {_strip(tolerance)}. Hint: {hint}", quantity)
    direction = "too high" if value > right else "too low"
    hint = f" Hint: {general_hint}" if general_hint else ""
    return CheckResult(False, f"Not within {_strip(tolerance)}: {direction}.{hint}", quantity)


def _strip(tolerance: _Tolerance) -> str:
    return str(tolerance).removeprefix("within ")


# ---------------------------------------------------------------------------------------------
# Input checks and the values the answers are compared with


def _require_columns(data: pd.DataFrame, columns: Iterable[str]) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"data must be a pandas DataFrame (your assignment data); got {type(data).__name__}"
        )
    missing = [column for column in columns if column not in data.columns]
    if missing:
        raise KeyError(
            f"data has no column {', '.join(map(repr, missing))}; its columns are "
            f"{', '.join(map(repr, data.columns))}"
        )


def _with_centered_ses(data: pd.DataFrame) -> pd.DataFrame:
    """``data`` with ses_cm, ses_cwc and ses_cm_gmc recomputed (when ses and classroom_id exist)."""
    if not {"ses", CLUSTER} <= set(data.columns):
        return data
    from .centering import center_grand, center_within, group_mean

    ses_cm = group_mean(data["ses"], data[CLUSTER])
    return data.assign(
        ses_cm=ses_cm,
        ses_cwc=center_within(data["ses"], data[CLUSTER]),
        ses_cm_gmc=center_grand(ses_cm, data[CLUSTER]),
    )


def _fit(formula: str, data: pd.DataFrame, reml: bool = True):
    from .models import lmer

    return lmer(formula, _with_centered_ses(data), REML=reml)


def _fixef(formula: str, data: pd.DataFrame, reml: bool = True) -> pd.DataFrame:
    return _fit(formula, data, reml).fixef


def _null_formula(outcome: str, cluster: str) -> str:
    return f"{outcome} ~ 1 + (1 | {cluster})"


def _variances(model) -> dict[str, float]:
    """Variance of each random effect (by term) and of the residual."""
    (cov,) = model.cov_re.values()  # the course's models have one grouping factor
    out = {str(term): float(cov.loc[term, term]) for term in cov.index}
    out["residual"] = float(model.sigma) ** 2
    return out


def _null_variances(
    data: pd.DataFrame, outcome: str, cluster: str, reml: bool = True
) -> tuple[float, float]:
    """Between (tau00) and within (sigma^2) variances of the null model."""
    _require_columns(data, [outcome, cluster])
    variances = _variances(_fit(_null_formula(outcome, cluster), data, reml))
    return variances["(Intercept)"], variances["residual"]


def _expected_icc(data: pd.DataFrame, outcome: str = OUTCOME, cluster: str = CLUSTER) -> float:
    """The ICC of the REML null model (what :func:`check_icc` compares with)."""
    tau, sigma2 = _null_variances(data, outcome, cluster)
    return tau / (tau + sigma2)


def _expected_fixef(
    data: pd.DataFrame, formula: str, term: str, statistic: str = "Estimate"
) -> float:
    """A cell of the REML fit's fixed-effects table (what :func:`check_fixef` compares with)."""
    table = _fixef(formula, data)
    _require_term(table, term, formula)
    _require_statistic(statistic)
    return float(table.loc[term, statistic])


def _expected_variance(data: pd.DataFrame, formula: str, component: str) -> float:
    """A variance component of the REML fit (what :func:`check_variance` compares with)."""
    variances = _variances(_fit(formula, data))
    _require_component(variances, component, formula)
    return variances[component]


def _require_term(table: pd.DataFrame, term: str, formula: str) -> None:
    if term not in table.index:
        raise KeyError(
            f"the model {formula!r} has no fixed-effect term {term!r}; its terms are "
            f"{', '.join(map(repr, table.index))}"
        )


def _require_statistic(statistic: str) -> None:
    if statistic not in FIXEF_STATISTICS:
        raise ValueError(
            f"statistic {statistic!r} is not a column of the fixed-effects table; use one of "
            f"{', '.join(map(repr, FIXEF_STATISTICS))}"
        )


def _require_component(variances: dict[str, float], component: str, formula: str) -> None:
    if component not in variances:
        raise KeyError(
            f"the model {formula!r} has no variance component {component!r}; use one of "
            f"{', '.join(map(repr, variances))}"
        )


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
    The right value is :math:`\\tau_{00} / (\\tau_{00} + \\sigma^2)` from the REML fit of
    ``outcome ~ 1 + (1 | cluster)``, as ``performance::icc()`` gives for
    ``lmer(math_score ~ 1 + (1 | classroom_id))`` in R. Hints recognise the residual share
    (:math:`1 - \\mathrm{ICC}`), a ratio of standard deviations instead of variances, the
    between-to-within ratio and the ML fit.

    Examples
    --------
    >>> from hlmtutor import assignment_data
    >>> data = assignment_data("a2", "demo")
    >>> check_icc(1.5, data).correct
    False
    >>> print(check_icc(1.5, data).message)
    Not within 0.005. Hint: an ICC is a share of variance, between 0 and 1.
    """
    tau, sigma2 = _null_variances(data, outcome, cluster)
    right = tau / (tau + sigma2)

    def alternatives() -> _Alternatives:
        ml_tau, ml_sigma2 = _null_variances(data, outcome, cluster, reml=False)
        return [
            ("an ICC is a share of variance, between 0 and 1.", _out_of_unit(answer)),
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

    quantity = f"ICC of {outcome} by {cluster}"
    return _judge(
        answer,
        right,
        _Tolerance(absolute=tolerance),
        quantity,
        alternatives,
        "read both variances from the null model's random-effects table.",
    )


def _out_of_unit(answer: Any) -> float:
    """The answer itself when it lies outside [0, 1] (so the 'between 0 and 1' hint matches)."""
    value = _as_number(answer)
    return value if isinstance(value, float) and not 0 <= value <= 1 else math.nan


def check_fixef(
    answer: float | None,
    data: pd.DataFrame,
    formula: str,
    term: str,
    statistic: str = "Estimate",
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

    Returns
    -------
    CheckResult

    Notes
    -----
    The right value is that cell of ``hlmtutor.lmer(formula, data).fixef``, the table of
    ``summary(lmerTest::lmer(formula, data))`` in R (REML, Satterthwaite df). Tolerances:
    estimates, SEs and t within 0.01 or 0.5%; df within 0.1 or 1%; p within 0.0001 or 2%.
    Hints recognise the value of another term, a flipped sign, the ML fit, the residual df
    ``n - p``, the number of classrooms minus one, a one-sided p-value and a normal (z) p-value.

    Examples
    --------
    >>> from hlmtutor import assignment_data
    >>> data = assignment_data("a3", "demo")
    >>> result = check_fixef(0.0, data, "math_score ~ treatment + (1 | classroom_id)", "treatment")
    >>> result.correct
    False
    """
    _require_statistic(statistic)
    model = _fit(formula, data)
    table = model.fixef
    _require_term(table, term, formula)
    right = float(table.loc[term, statistic])

    def alternatives() -> _Alternatives:
        others = [
            (
                f"that is the value of the term {other!r}; read the row {term!r}.",
                float(table.loc[other, statistic]),
            )
            for other in table.index
            if other != term
        ]
        return others + _fixef_alternatives(model, term, statistic, formula, data)

    quantity = f"{statistic} of {term!r} in {formula}"
    general = {
        "df": "lmerTest's summary gives Satterthwaite df for each term.",
        "Pr(>|t|)": "use the t value and the Satterthwaite df, two-sided.",
    }.get(statistic, f"read the row {term!r} of the fixed-effects table of the REML fit.")
    return _judge(answer, right, FIXEF_TOLERANCE[statistic], quantity, alternatives, general)


def _fixef_alternatives(model, term: str, statistic: str, formula: str, data) -> _Alternatives:
    """Values a typical slip gives for this cell of the table."""
    table = model.fixef
    right = float(table.loc[term, statistic])
    if statistic == "df":
        return [
            (
                "that is the residual df n - p of ordinary regression; use Satterthwaite's.",
                model.nobs - len(table),
            ),
            (
                "that is the number of classrooms minus one; use Satterthwaite's df from the fit.",
                sum(model.ngroups.values()) - 1,
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
    ml = _fixef(formula, data, reml=False)
    hints.append(
        ("fit the model by REML (lmer's default), not ML.", float(ml.loc[term, statistic]))
    )
    return hints


def check_variance(
    answer: float | None,
    data: pd.DataFrame,
    formula: str,
    component: str = "(Intercept)",
    *,
    relative_tolerance: float = VARIANCE_TOLERANCE.relative,
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
        ``"(Intercept)"`` (the random intercept), a random slope's term (e.g. ``"ses_cwc"``)
        or ``"residual"``.
    relative_tolerance : float, default 0.01
        Relative tolerance (or 0.01 absolute, whichever is larger).

    Returns
    -------
    CheckResult

    Notes
    -----
    The right value is the "Variance" column of ``VarCorr`` in R (``print(VarCorr(m),
    comp = "Variance")``): the diagonal of ``hlmtutor.lmer(formula, data).cov_re[cluster]`` or
    ``sigma**2``. Hints recognise a standard deviation, a squared variance, another component
    and the ML fit.

    Examples
    --------
    >>> from hlmtutor import assignment_data
    >>> data = assignment_data("a2", "demo")
    >>> check_variance(None, data, "math_score ~ 1 + (1 | classroom_id)", "residual").message
    'No answer yet: put your value in place of None (or ...).'
    """
    variances = _variances(_fit(formula, data))
    _require_component(variances, component, formula)
    right = variances[component]

    def alternatives() -> _Alternatives:
        ml = _variances(_fit(formula, data, reml=False))
        return [
            (
                "that is a standard deviation; the task asks for a variance (its square).",
                math.sqrt(right),
            ),
            ("that is the square of the variance; the variance itself is asked for.", right**2),
            ("fit the model by REML (lmer's default), not ML.", ml[component]),
        ] + [
            (f"that is the variance of {other!r}; the task asks for {component!r}.", value)
            for other, value in variances.items()
            if other != component
        ]

    quantity = f"variance of {component!r} in {formula}"
    tolerance = _Tolerance(VARIANCE_TOLERANCE.absolute, relative_tolerance)
    return _judge(
        answer,
        right,
        tolerance,
        quantity,
        alternatives,
        "read the Variance column of the random-effects table.",
    )


def _statistic(values: pd.Series, statistic: str) -> float:
    if statistic == "count":
        return float(values.notna().sum())
    return float(getattr(values, {"sd": "std"}.get(statistic, statistic))())


def _statistic_rows(
    data: pd.DataFrame, column: str, statistic: str, cluster: str, group: Any
) -> pd.DataFrame:
    """The rows a statistic is computed on, after checking the arguments."""
    if statistic not in STATISTICS:
        raise ValueError(
            f"statistic {statistic!r} is not known; use one of {', '.join(STATISTICS)}"
        )
    _require_columns(data, [column] + ([cluster] if group is not None else []))
    rows = data if group is None else data[data[cluster] == group]
    if rows.empty:
        raise ValueError(
            f"no rows with {cluster} == {group!r}; its values are "
            f"{', '.join(map(str, sorted(data[cluster].unique())))}"
        )
    return rows


def _expected_statistic(
    data: pd.DataFrame,
    column: str,
    statistic: str = "mean",
    *,
    cluster: str = CLUSTER,
    group: Any = None,
) -> float:
    """A descriptive statistic (what :func:`check_statistic` compares with)."""
    return _statistic(_statistic_rows(data, column, statistic, cluster, group)[column], statistic)


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
    The statistics of pandas (``Series.mean``, ``Series.std`` with ``ddof=1``, ...), which
    are R's ``mean``, ``sd``, ``var``, ``median``, ``min``, ``max`` with ``na.rm = TRUE``.
    Hints recognise the SD with n in the denominator, a variance for an SD (and back), the
    value over all rows instead of the classroom, and another column's value.

    Examples
    --------
    >>> from hlmtutor import assignment_data
    >>> data = assignment_data("a1", "demo")
    >>> check_statistic(float(data["math_score"].mean()), data, "math_score").correct
    True
    """
    rows = _statistic_rows(data, column, statistic, cluster, group)
    values = rows[column]
    right = _statistic(values, statistic)

    def alternatives() -> _Alternatives:
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
                    _statistic(data[column], statistic),
                )
            )
        return found + [
            (
                f"that is the value of {other!r}; the task asks for {column!r}.",
                _statistic(rows[other], statistic),
            )
            for other in rows.columns
            if other != column and pd.api.types.is_numeric_dtype(rows[other])
        ]

    where = "" if group is None else f" where {cluster} == {group!r}"
    quantity = f"{statistic} of {column}{where}"
    return _judge(
        answer,
        right,
        _Tolerance(STATISTIC_TOLERANCE.absolute, relative_tolerance),
        quantity,
        alternatives,
    )


def _centered(values: pd.Series, clusters: pd.Series, kind: str) -> pd.Series:
    from .centering import center_grand, center_within, group_mean

    compute: dict[str, Callable[[], pd.Series]] = {
        "within": lambda: center_within(values, clusters),
        "group_mean": lambda: group_mean(values, clusters),
        "grand": lambda: center_grand(values),
        "cluster_grand": lambda: center_grand(group_mean(values, clusters), clusters),
    }
    return compute[kind]()


_KIND_NAMES = {
    "within": "the column centered within classrooms (value minus its classroom's mean)",
    "group_mean": "the classroom means",
    "grand": "the column centered at the grand mean (value minus the mean of all rows)",
    "cluster_grand": "the classroom means centered at the mean of the classroom means",
}


def check_centered(
    answer: Any,
    data: pd.DataFrame,
    column: str = "ses",
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
        The column that was centered and the grouping column.
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
    The right column is the :mod:`hlmtutor.centering` function of that kind, which matches
    MLMusingR's ``group_center`` (``"within"``) and misty's ``center(type = "CGM")``
    (``"cluster_grand"``). Hints recognise the other kinds, the uncentered column, a
    column off by a constant, and a length or missing-value mismatch.

    Examples
    --------
    >>> from hlmtutor import assignment_data
    >>> data = assignment_data("a1", "demo")
    >>> print(check_centered(data["ses"], data, "ses", kind="within").message)
    Not within 1e-06 in every row. Hint: that is the column itself, not centered.
    """
    if kind not in CENTERING_KINDS:
        raise ValueError(f"kind {kind!r} is not known; use one of {', '.join(CENTERING_KINDS)}")
    _require_columns(data, [column, cluster])
    quantity = f"{column} as {_KIND_NAMES[kind]}"
    values = _column_values(answer, len(data))
    if isinstance(values, str):
        return CheckResult(False, values, quantity)
    right = _centered(data[column], data[cluster], kind).to_numpy(dtype=float)
    if not np.array_equal(np.isnan(values), np.isnan(right)):
        return CheckResult(
            False, "Your column has missing values in other rows than the data.", quantity
        )

    def matches(other: np.ndarray) -> bool:
        return bool(np.nanmax(np.abs(values - other), initial=0.0) <= tolerance)

    if matches(right):
        return CheckResult(True, f"Right (within {tolerance:g} in every row).", quantity)
    raw = data[column].to_numpy(dtype=float)
    alternatives = [("that is the column itself, not centered.", raw)] + [
        (
            f"that is {_KIND_NAMES[other]}.",
            _centered(data[column], data[cluster], other).to_numpy(dtype=float),
        )
        for other in CENTERING_KINDS
        if other != kind
    ]
    intro = f"Not within {tolerance:g} in every row."
    for hint, other in alternatives:
        if matches(other):
            return CheckResult(False, f"{intro} Hint: {hint}", quantity)
    difference = values - right
    if np.nanmax(difference) - np.nanmin(difference) <= tolerance:
        return CheckResult(
            False,
            f"{intro} Hint: your column is off by the same amount in "
            "every row; check which mean you subtract.",
            quantity,
        )
    return CheckResult(
        False,
        f"{intro} Hint: compute it from {column!r} and {cluster!r}, in the data's row order.",
        quantity,
    )


def _column_values(answer: Any, n_rows: int) -> np.ndarray | str:
    """The answer as a float array of ``n_rows`` values, or the reason it is not one."""
    if answer is None or answer is Ellipsis:
        return "No answer yet: put your column in place of None (or ...)."
    if isinstance(answer, pd.DataFrame):
        return "Give one column (a Series), not a whole DataFrame."
    try:
        values = np.asarray(answer, dtype=float).ravel()
    except (TypeError, ValueError):
        return f"Give a column of numbers; got a {type(answer).__name__}."
    if values.size != n_rows:
        return f"Your column has {values.size} values; the data has {n_rows} rows."
    return values
