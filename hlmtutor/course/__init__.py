"""hlmtutor's course tools for students: per-student assignment data and the checks they run.

Students write ``from hlmtutor.course import assignment_data, check_icc``. Nothing in this
package computes an assignment's answer: each check opens the sealed answers the instructor's
tool wrote into the student's notebook (:func:`~hlmtutor.course.checks.load_seals`) and says
correct or not yet, with a hint that depends on the task only, never the right value or a
direction (too high, too low).

The instructor's tools (expected values, the answer key, students' notebooks with their seals,
grading) are a separate distribution, ``hlmtutor-instructor`` (package ``hlmtutor_instructor``,
in the repository's ``instructor/`` folder), which students do not install.
"""

from .assignments import ASSIGNMENTS, Assignment, Task, assignment_data, student_seed
from .checks import (
    CheckResult,
    Tolerance,
    check_centered,
    check_fixef,
    check_icc,
    check_statistic,
    check_variance,
    load_seals,
    sealed_quantities,
)

__all__ = [
    "ASSIGNMENTS",
    "Assignment",
    "CheckResult",
    "Task",
    "Tolerance",
    "assignment_data",
    "check_centered",
    "check_fixef",
    "check_icc",
    "check_statistic",
    "check_variance",
    "load_seals",
    "sealed_quantities",
    "student_seed",
]
