"""The three assignments: their designs, graded tasks, and one data set per student.

Every student gets other data: :func:`student_seed` turns a student id into a seed (a stable
hash, the same on every machine and Python version), and :func:`assignment_data` feeds it to
:func:`~hlmtutor.simulate.simulate_classrooms` with the assignment's design. Each :class:`Task`
names the notebook variable that holds the student's answer and what is asked; nothing here computes
an answer. The instructor's tools (the separate ``hlmtutor-instructor`` install) seal, key and
grade each task.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .checks import KIND_NAMES

__all__ = [
    "ASSIGNMENTS",
    "Assignment",
    "Task",
    "assignment_data",
    "student_seed",
]

_SEED_SALT = "hlmtutor-assignment:"


@dataclass(frozen=True)
class Task:
    """One graded quantity of an assignment (a row of the answer key, a column of the scores).

    Attributes
    ----------
    key : str
        Short name: the ``task`` column of the answer key.
    variable : str
        The notebook variable that holds the student's answer (``my_mean``, ...).
    quantity : str
        What is asked, in words.
    """

    key: str
    variable: str
    quantity: str


@dataclass(frozen=True)
class Assignment:
    """An assignment: its notebook, the design of its data and its graded tasks.

    Attributes
    ----------
    name : str
        ``"a1"``, ``"a2"`` or ``"a3"``.
    title : str
        The assignment's title.
    notebook : str
        File name of its notebook (``<name>.ipynb`` in the package, ``<name>.md`` in the book).
    design : dict
        Keyword arguments of :func:`~hlmtutor.simulate.simulate_classrooms` (without the seed).
    tasks : tuple of Task
        The graded tasks, in the notebook's order.
    """

    name: str
    title: str
    notebook: str
    design: dict[str, Any]
    tasks: tuple[Task, ...] = field(default_factory=tuple)


def _normalise_id(student_id: str | int) -> str:
    return str(student_id).strip()


def student_seed(student_id: str | int) -> int:
    """The seed of a student's data: a stable hash of their id.

    Parameters
    ----------
    student_id : str or int
        The id from the class roster; surrounding spaces are ignored, case is not.

    Returns
    -------
    int
        A seed in ``[0, 2**63)``, the same on every machine, Python version and run.

    Notes
    -----
    The seed is the first 8 bytes (big-endian, top bit cleared) of the SHA-256 digest of
    ``"hlmtutor-assignment:" + id``. Python's own ``hash()`` is salted per process, so it
    could not give a student the same data twice. (There is no R counterpart.)

    Examples
    --------
    >>> student_seed("s001") == student_seed(" s001 ")
    True
    >>> student_seed("s001") == student_seed("s002")
    False
    """
    text = _normalise_id(student_id)
    if not text:
        raise ValueError("student_id is empty: give the id from the class roster, e.g. 's001'")
    digest = hashlib.sha256((_SEED_SALT + text).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def get_assignment(name: str) -> Assignment:
    """The assignment of that short name, or a KeyError that lists the known ones."""
    try:
        return ASSIGNMENTS[name]
    except KeyError:
        known = ", ".join(ASSIGNMENTS)
        raise KeyError(f"no assignment {name!r}; the assignments are {known}") from None


def assignment_data(assignment: str, student_id: str | int) -> pd.DataFrame:
    """A student's data for one assignment.

    Parameters
    ----------
    assignment : str
        ``"a1"``, ``"a2"`` or ``"a3"`` (the keys of ``ASSIGNMENTS``).
    student_id : str or int
        The student's id; :func:`student_seed` turns it into the seed.

    Returns
    -------
    pandas.DataFrame
        The ``data`` of :func:`~hlmtutor.simulate.simulate_classrooms` with the assignment's
        design: columns ``classroom_id``, ``student_id``, ``treatment``, ``ses``,
        ``math_score``.

    Notes
    -----
    ``simulate_classrooms(**design, seed=student_seed(student_id)).data``. The same id
    always gives the same data; two ids give different data. Assignment 1's classrooms differ
    in size, so that the mean of the classroom means (each classroom once) differs from the mean
    over students, and a centering at the wrong one is caught.

    Examples
    --------
    >>> data = assignment_data("a1", "s001")
    >>> list(data.columns)
    ['classroom_id', 'student_id', 'treatment', 'ses', 'math_score']
    >>> data.equals(assignment_data("a1", "s001"))
    True
    """
    from ..simulate import simulate_classrooms

    spec = get_assignment(assignment)
    return simulate_classrooms(**spec.design, seed=student_seed(student_id)).data


# ---------------------------------------------------------------------------------------------
# The three assignments

A3_FORMULA = "math_score ~ treatment * ses_cwc + ses_cm_gmc + (1 + ses_cwc | classroom_id)"
A2_NULL_FORMULA = "math_score ~ 1 + (1 | classroom_id)"
# Assignment 1: twelve classrooms of unequal size (236 students).
A1_CLASS_SIZES = (8, 10, 12, 14, 16, 18, 20, 22, 25, 28, 30, 33)


def _fixef_task(key: str, variable: str, formula: str, term: str, statistic: str) -> Task:
    return Task(key, variable, f"{statistic} of {term} in {formula}")


def _variance_task(key: str, variable: str, formula: str, component: str) -> Task:
    return Task(key, variable, f"variance of {component} in {formula}")


def _column_task(key: str, variable: str, kind: str) -> Task:
    return Task(
        key, variable, f"SD of the column ses as {KIND_NAMES[kind]} (the check compares every row)"
    )


def _statistic_task(key: str, variable: str, statistic: str, group: Any = None) -> Task:
    where = "" if group is None else f" where classroom_id == {group}"
    return Task(key, variable, f"{statistic} of math_score{where}")


#: The three assignments by short name ("a1", "a2", "a3"), each with its notebook and tasks.
ASSIGNMENTS: dict[str, Assignment] = {
    "a1": Assignment(
        "a1",
        "Descriptives and centering",
        "a1-descriptives-centering.ipynb",
        {"n_classrooms": len(A1_CLASS_SIZES), "n_students": list(A1_CLASS_SIZES)},
        (
            _statistic_task("mean_math", "my_mean", "mean"),
            _statistic_task("sd_math_classroom_1", "my_sd", "sd", group=1),
            _column_task("ses_cm", "my_ses_cm", "group_mean"),
            _column_task("ses_cwc", "my_ses_cwc", "within"),
            _column_task("ses_cm_gmc", "my_ses_cm_gmc", "cluster_grand"),
        ),
    ),
    "a2": Assignment(
        "a2",
        "The null model and the ICC",
        "a2-null-model-icc.ipynb",
        {"n_classrooms": 20, "n_students": 15, "sd_intercept": 4.0, "sigma": 8.0},
        (
            _variance_task("var_intercept", "my_tau00", A2_NULL_FORMULA, "(Intercept)"),
            _variance_task("var_residual", "my_sigma2", A2_NULL_FORMULA, "Residual"),
            Task("icc", "my_icc", "ICC of math_score by classroom_id"),
        ),
    ),
    "a3": Assignment(
        "a3",
        "A random slope and a cross-level interaction",
        "a3-random-slope.ipynb",
        {"n_classrooms": 30, "n_students": 20, "cross_level": 1.5, "sd_slope": 1.5, "sigma": 6.0},
        (
            _fixef_task("b_treatment", "my_treatment", A3_FORMULA, "treatment", "Estimate"),
            _fixef_task(
                "b_interaction", "my_interaction", A3_FORMULA, "treatment:ses_cwc", "Estimate"
            ),
            _fixef_task("df_interaction", "my_df", A3_FORMULA, "treatment:ses_cwc", "df"),
            _fixef_task("p_interaction", "my_p", A3_FORMULA, "treatment:ses_cwc", "Pr(>|t|)"),
            _variance_task("var_slope", "my_slope_variance", A3_FORMULA, "ses_cwc"),
        ),
    ),
}
