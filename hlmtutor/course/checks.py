"""Check a student's answer against the sealed answers of their notebook: correct or not yet.

The instructor's tool (the separate ``hlmtutor-instructor`` install) writes each student's
notebook with a cell that calls :func:`load_seals`: every graded (and practice) quantity's right
value, sealed (salted, slow hashes of its tolerance bins; see ``hlmtutor.course._seal``).
A check here fits no model and computes no right value: it checks the answer's form (a finite
number, a column as long as the data), hashes the answer's bins and says "correct" when they open
the seal, "not yet" otherwise, with a hint that depends on the task only: never a direction (too
high, too low), which would give the value away by bisection.

Without a seal for the quantity (the book's copy of an assignment, or a check of a quantity the
instructor did not seal) the check says so and checks the answer's form only. The grade comes
from the instructor's grader, which judges each answer with the exact tolerance on its own copy
of the data, and names the slip an answer matches in the instructor's feedback.

Each check is one ``Question`` (its name, the hint a wrong answer gets, its form; built by
``icc_question``, ``fixef_question``, ...) put to a judge by ``judge_answer``: here the judge
opens the seal (``open_seal``); the grader's checks (``hlmtutor_instructor.checks``) ask the
same questions of a judge that computes the right value. So the two sides cannot drift apart on
what a quantity is called, what form an answer must have and what a verdict says.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import _seal

__all__ = [
    "CENTERING_KINDS",
    "FIXEF_STATISTICS",
    "STATISTICS",
    "CheckResult",
    "Tolerance",
    "check_centered",
    "check_fixef",
    "check_icc",
    "check_statistic",
    "check_variance",
    "load_seals",
    "sealed_quantities",
]

CLUSTER = "classroom_id"
OUTCOME = "math_score"
PREDICTOR = "ses"
FIXEF_STATISTICS = ("Estimate", "Std. Error", "df", "t value", "Pr(>|t|)")
CENTERING_KINDS = ("within", "group_mean", "grand", "cluster_grand")
STATISTICS = ("mean", "sd", "var", "median", "min", "max", "count")
KIND_NAMES = {
    "within": "the column centered within classrooms (value minus its classroom's mean)",
    "group_mean": "the classroom means",
    "grand": "the column centered at the grand mean (value minus the mean of all rows)",
    "cluster_grand": "the classroom means centered at the mean of the classroom means",
}


@dataclass(frozen=True)
class Tolerance:
    """Accept ``|answer - right| <= max(absolute, relative * |right|)``.

    Attributes
    ----------
    absolute, relative : float
        The absolute and relative parts (0 leaves a part out).

    Examples
    --------
    >>> tolerance = Tolerance(absolute=0.01, relative=0.005)
    >>> tolerance.accepts(10.04, 10.0), str(tolerance)
    (True, 'within 0.01 or 0.5% of its size, whichever is larger')
    """

    absolute: float = 0.0
    relative: float = 0.0

    def width(self, right: float) -> float:
        """The largest difference accepted around ``right``."""
        return max(self.absolute, self.relative * abs(right))

    def distance(self, answer: float, right: float) -> float:
        """``|answer - right|`` in widths: 1 or less is accepted."""
        width = self.width(right)
        difference = abs(answer - right)
        if width == 0:
            return 0.0 if difference == 0 else float("inf")
        return difference / width

    def accepts(self, answer: float, right: float) -> bool:
        """Whether ``answer`` lies within the tolerance of ``right``."""
        return self.distance(answer, right) <= 1

    def __str__(self) -> str:
        parts = []
        if self.absolute:
            parts.append(f"{self.absolute:g}")
        if self.relative:
            parts.append(f"{self.relative * 100:g}% of its size")
        return "within " + " or ".join(parts) + (", whichever is larger" if len(parts) > 1 else "")


# ---------------------------------------------------------------------------------------------
# What each check is called: the key of its seal


def icc_label(outcome: str = OUTCOME, cluster: str = CLUSTER) -> str:
    return f"ICC of {outcome} by {cluster}"


def fixef_label(formula: str, term: str, statistic: str = "Estimate") -> str:
    return f"{statistic} of {term!r} in {formula}"


def variance_label(formula: str, component: str = "(Intercept)") -> str:
    return f"variance of {component!r} in {formula}"


def statistic_label(
    column: str, statistic: str = "mean", cluster: str = CLUSTER, group: Any = None
) -> str:
    where = "" if group is None else f" where {cluster} == {group!r}"
    return f"{statistic} of {column}{where}"


def centered_label(column: str = PREDICTOR, kind: str = "within") -> str:
    return f"{column} as {KIND_NAMES[kind]}"


# ---------------------------------------------------------------------------------------------
# The seals of this notebook

_SEALS: dict[str, dict[str, Any]] = {}


def load_seals(sealed: str) -> None:
    """Load the sealed answers the instructor's tool wrote into this notebook.

    Parameters
    ----------
    sealed : str
        The JSON text of the notebook's seal cell: ``{quantity: seal}``. It holds no right
        value, only salted hashes of tolerance bins (see ``hlmtutor.course._seal``).

    Examples
    --------
    >>> load_seals("{}")
    >>> sealed_quantities()
    []
    """
    try:
        seals = json.loads(sealed)
    except (TypeError, ValueError) as error:
        raise ValueError(
            "the sealed answers are not readable JSON: keep the cell your instructor's tool wrote "
            "as it is (or ask for a fresh copy of the notebook)"
        ) from error
    if not isinstance(seals, dict):
        raise ValueError("the sealed answers must be a JSON object {quantity: seal}")
    _SEALS.clear()
    _SEALS.update(seals)


def sealed_quantities() -> list[str]:
    """The quantities this notebook's checks can judge (the keys of its seals)."""
    return sorted(_SEALS)


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one answer.

    Attributes
    ----------
    correct : bool
        Whether the answer is right within the stated tolerance (``bool(result)`` too).
    message : str
        The tolerance, and a hint when the answer is not right. It never contains the right
        value or a direction.
    quantity : str
        What was checked, e.g. ``"ICC of math_score by classroom_id"``.
    checked : bool, default True
        False when there was no sealed answer to check the value against (only its form was
        checked); ``correct`` is then False.
    """

    correct: bool
    message: str
    quantity: str
    checked: bool = True

    def __bool__(self) -> bool:
        return self.correct

    def _verdict(self) -> str:
        if not self.checked:
            return "Form only"
        return "Correct" if self.correct else "Not yet"

    def __str__(self) -> str:
        return f"{self._verdict()}: {self.quantity}. {self.message}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour, mark = ("#1a7f37", "&#10004;") if self.correct else ("#b35900", "&#10008;")
        if not self.checked:
            colour, mark = "#57606a", "&#8226;"
        return (
            f'<div style="border-left: 4px solid {colour}; padding: 0.3em 0.8em;">'
            f'<strong style="color: {colour}">{mark} {self._verdict()}</strong>: '
            f"{html.escape(self.quantity)}<br>{html.escape(self.message)}</div>"
        )


def _as_number(answer: Any) -> float | str:
    """The answer as a float, or the sentence that says why it is not one."""
    if answer is None or answer is Ellipsis:
        return "No answer yet: put your value in place of None (or ...)."
    if isinstance(answer, bool) or not isinstance(answer, int | float | np.number):
        if isinstance(answer, pd.Series | np.ndarray) and np.size(answer) == 1:
            return _as_number(np.asarray(answer).item())
        return f"Give a single number; got a {type(answer).__name__}."
    if not math.isfinite(float(answer)):
        return f"Give a finite number; got {answer}."
    return float(answer)


def _column_values(answer: Any, n_rows: int) -> np.ndarray | str:
    """The answer as a float array of ``n_rows`` values, or the sentence that says why it is not."""
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


def tolerance_text(tolerance: Tolerance | float) -> str:
    """A tolerance as a verdict states it: a number's :class:`Tolerance` without its "within",
    or a column's largest difference in any row (a float)."""
    if isinstance(tolerance, Tolerance):
        return str(tolerance).removeprefix("within ")
    return f"{tolerance:g} in every row"


@dataclass(frozen=True)
class Question:
    """One quantity a check asks for, whoever judges the answer.

    The student's checks judge it by opening its seal (:func:`open_seal`); the instructor's
    grader (``hlmtutor_instructor.checks``) by computing the right value. Both build the question
    with the same function (:func:`icc_question`, :func:`fixef_question`, ...), so the two agree on
    its name, its form and the hint a wrong answer gets.

    Attributes
    ----------
    quantity : str
        What is checked, e.g. ``"ICC of math_score by classroom_id"``: the key of its seal.
    hint : str
        The hint a wrong answer gets: it depends on the task only, never on the answer.
    rows : int or None, default None
        For a column, the number of values it must have (the data's rows); None for a number.
    """

    quantity: str
    hint: str
    rows: int | None = None

    def right(self, tolerance: str) -> CheckResult:
        """The verdict on a right answer, ``tolerance`` as :func:`tolerance_text` gives it."""
        return CheckResult(True, f"Right (within {tolerance}).", self.quantity)

    def not_yet(self, tolerance: str, hint: str | None = None) -> CheckResult:
        """The verdict on a wrong answer, with ``hint`` (default the question's; "" for none)."""
        hint = self.hint if hint is None else hint
        # No direction (too high / too low): it would let the value be found by bisection.
        return CheckResult(
            False, f"Not within {tolerance}." + (f" Hint: {hint}" if hint else ""), self.quantity
        )


#: A judge gives the verdict on an answer of the right form (a float, or a column's values).
Judge = Callable[[Any, Question], CheckResult]


def judge_answer(answer: Any, question: Question, judge: Judge) -> CheckResult:
    """The verdict on an answer: its form first (a finite number, or a column of
    ``question.rows`` numbers), then ``judge(value, question)``."""
    if question.rows is None:
        value = _as_number(answer)
    else:
        value = _column_values(answer, question.rows)
    if isinstance(value, str):
        return CheckResult(False, value, question.quantity)
    return judge(value, question)


def open_seal(value: Any, question: Question) -> CheckResult:
    """The student's judge: whether the answer opens the quantity's seal in this notebook."""
    sealed = _SEALS.get(question.quantity)
    if sealed is None:
        return _unsealed(question)
    if sealed["kind"] == "column":
        tolerance = tolerance_text(float(sealed["tolerance"]))
    else:
        tolerance = tolerance_text(Tolerance(sealed["absolute"], sealed["relative"]))
    if _seal.opens(sealed, value if question.rows is None else value.tolist()):
        return question.right(tolerance)
    return question.not_yet(tolerance)


def _unsealed(question: Question) -> CheckResult:
    where = (
        "This notebook has no sealed answers (the book's copy, or a notebook whose seal cell was "
        "not run)"
        if not sealed_quantities()
        else "This notebook has no sealed answer for this quantity"
    )
    form = (
        "the answer is a finite number."
        if question.rows is None
        else f"the column has one number per row ({question.rows})."
    )
    return CheckResult(
        False,
        f"{where}: {form} Your instructor's copy of the notebook checks the value.",
        question.quantity,
        checked=False,
    )


def require_columns(data: Any, columns: Iterable[str]) -> None:
    """Raise a clear error when ``data`` is not a DataFrame or lacks one of ``columns``."""
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


def _require_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(
            f"{name} {value!r} is not known; use one of {', '.join(map(repr, choices))}"
        )


# ---------------------------------------------------------------------------------------------
# The questions: what each check asks for, after checking its arguments


def icc_question(data: pd.DataFrame, outcome: str = OUTCOME, cluster: str = CLUSTER) -> Question:
    """The question of :func:`check_icc`."""
    require_columns(data, [outcome, cluster])
    return Question(
        icc_label(outcome, cluster),
        "read both variances from the null model's random-effects table.",
    )


def fixef_question(
    data: pd.DataFrame, formula: str, term: str, statistic: str = "Estimate"
) -> Question:
    """The question of :func:`check_fixef`."""
    _require_choice("statistic", statistic, FIXEF_STATISTICS)
    require_columns(data, [])
    hint = {
        "df": "lmerTest's summary gives Satterthwaite df for each term.",
        "Pr(>|t|)": "use the t value and the Satterthwaite df, two-sided.",
    }.get(statistic, f"read the row {term!r} of the fixed-effects table of the REML fit.")
    return Question(fixef_label(formula, term, statistic), hint)


def variance_question(data: pd.DataFrame, formula: str, component: str = "(Intercept)") -> Question:
    """The question of :func:`check_variance`."""
    require_columns(data, [])
    return Question(
        variance_label(formula, component),
        "read the Variance column of the random-effects table.",
    )


def statistic_question(
    data: pd.DataFrame,
    column: str,
    statistic: str = "mean",
    cluster: str = CLUSTER,
    group: Any = None,
) -> Question:
    """The question of :func:`check_statistic`."""
    _require_choice("statistic", statistic, STATISTICS)
    require_columns(data, [column] + ([cluster] if group is not None else []))
    where = "" if group is None else f" over the rows where {cluster} == {group!r}"
    return Question(
        statistic_label(column, statistic, cluster, group),
        f"compute the {statistic} of {column!r}{where}.",
    )


def centered_question(
    data: pd.DataFrame, column: str = PREDICTOR, cluster: str = CLUSTER, kind: str = "within"
) -> Question:
    """The question of :func:`check_centered`: a column of one value per row of ``data``."""
    _require_choice("kind", kind, CENTERING_KINDS)
    require_columns(data, [column, cluster])
    return Question(
        centered_label(column, kind),
        f"compute it from {column!r} and {cluster!r}, in the data's row order.",
        rows=len(data),
    )


# ---------------------------------------------------------------------------------------------
# The checks


def check_icc(
    answer: float | None,
    data: pd.DataFrame,
    *,
    outcome: str = OUTCOME,
    cluster: str = CLUSTER,
) -> CheckResult:
    """Check an intraclass correlation of the null model of the student's data.

    Parameters
    ----------
    answer : float or None
        The student's ICC (``None`` while there is none yet).
    data : pandas.DataFrame
        The student's data.
    outcome, cluster : str
        The outcome and the grouping column (default ``math_score`` and ``classroom_id``).

    Returns
    -------
    CheckResult

    Notes
    -----
    The sealed value is :math:`\\tau_{00} / (\\tau_{00} + \\sigma^2)` of the REML fit of
    ``outcome ~ 1 + (1 | cluster)``, as ``performance::icc()`` gives for
    ``lmer(math_score ~ 1 + (1 | classroom_id))`` in R, within 0.005.

    Examples
    --------
    >>> from hlmtutor.course import assignment_data
    >>> load_seals("{}")
    >>> print(check_icc(0.2, assignment_data("a2", "demo")).message)
    This notebook has no sealed answers (the book's copy, or a notebook whose seal cell was not run): the answer is a finite number. Your instructor's copy of the notebook checks the value.
    """
    return judge_answer(answer, icc_question(data, outcome, cluster), open_seal)


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
        The model the task names, in lme4 syntax, as the notebook writes it.
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
    The sealed value is that cell of ``summary(lmerTest::lmer(formula, data))`` in R (REML,
    Satterthwaite df), with the centered predictors recomputed from ``data``. Tolerances:
    estimates, SEs and t within 0.01 or 0.5%; df within 0.1 or 1%; p within 0.0001 or 2%.
    """
    return judge_answer(answer, fixef_question(data, formula, term, statistic), open_seal)


def check_variance(
    answer: float | None,
    data: pd.DataFrame,
    formula: str,
    component: str = "(Intercept)",
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
        The name the task uses: ``"(Intercept)"``, a random slope's term (``"ses_cwc"``) or
        ``"Residual"``.

    Returns
    -------
    CheckResult

    Notes
    -----
    The sealed value is the "Variance" column of ``VarCorr`` in R
    (``as.data.frame(VarCorr(m))$vcov``), within 0.01 or 1%.
    """
    return judge_answer(answer, variance_question(data, formula, component), open_seal)


def check_statistic(
    answer: float | None,
    data: pd.DataFrame,
    column: str,
    statistic: str = "mean",
    *,
    cluster: str = CLUSTER,
    group: Any = None,
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

    Returns
    -------
    CheckResult

    Notes
    -----
    The sealed value is R's ``mean``, ``sd``, ``var``, ``median``, ``min``, ``max`` with
    ``na.rm = TRUE`` (pandas' statistics), within 0.001 or 0.1%.

    Examples
    --------
    >>> from hlmtutor.course import assignment_data
    >>> check_statistic("12", assignment_data("a1", "demo"), "math_score").message
    'Give a single number; got a str.'
    """
    question = statistic_question(data, column, statistic, cluster, group)
    return judge_answer(answer, question, open_seal)


def check_centered(
    answer: Any,
    data: pd.DataFrame,
    column: str = PREDICTOR,
    cluster: str = CLUSTER,
    *,
    kind: str = "within",
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
        ``"within"`` (value minus its classroom's mean), ``"group_mean"`` (the classroom's
        mean), ``"grand"`` (value minus the grand mean) or ``"cluster_grand"`` (classroom mean
        minus the mean of the classroom means).

    Returns
    -------
    CheckResult

    Notes
    -----
    The sealed column is the :mod:`hlmtutor.centering` function of that kind (MLMusingR's
    ``group_center`` for ``"within"``, misty's ``center(type = "CGM")`` for
    ``"cluster_grand"``), every row within 1e-6.

    Examples
    --------
    >>> from hlmtutor.course import assignment_data
    >>> check_centered([0.0], assignment_data("a1", "demo")).message
    'Your column has 1 values; the data has 236 rows.'
    """
    return judge_answer(answer, centered_question(data, column, cluster, kind), open_seal)
