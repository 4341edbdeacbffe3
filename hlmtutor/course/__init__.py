"""hlmtutor's course tools: per-student assignment data and the checks students run.

Students write ``from hlmtutor.course import assignment_data, check_icc``. The checks are
formative: right or not yet, with a hint that depends on the task only, never the right value,
a direction (too high, too low) or the slip an answer matches (the grader's feedback names the
slip: :func:`~hlmtutor.course.checks.slip_hints`). The expected-value functions the checks
compare with are public (:mod:`hlmtutor.course.expected`), so the checks and the instructor's
answer key share one definition of every right answer; that also means a notebook can call them
(see the instructor page on what grading does and does not protect against).

The instructor's tools (rosters, students' notebooks, the answer key, grading) are in
:mod:`hlmtutor.course.instructor`, which the student notebooks never import. That is a
convention, not a security boundary: the package is installed on the students' machines too.
The grade does not rest on it; see :func:`hlmtutor.course.instructor.grade`.
"""

from .assignments import ASSIGNMENTS, Assignment, Task, assignment_data, student_seed
from .checks import (
    CheckResult,
    check_centered,
    check_fixef,
    check_icc,
    check_statistic,
    check_variance,
    slip_hints,
)
from .expected import (
    Tolerance,
    centered_predictors,
    expected_centered,
    expected_fixef,
    expected_icc,
    expected_statistic,
    expected_variance,
    variance_components,
)

__all__ = [
    "ASSIGNMENTS",
    "Assignment",
    "CheckResult",
    "Task",
    "Tolerance",
    "assignment_data",
    "centered_predictors",
    "check_centered",
    "check_fixef",
    "check_icc",
    "check_statistic",
    "check_variance",
    "expected_centered",
    "expected_fixef",
    "expected_icc",
    "expected_statistic",
    "expected_variance",
    "slip_hints",
    "student_seed",
    "variance_components",
]
