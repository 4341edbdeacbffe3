"""hlmtutor-instructor: the instructor's course tools, kept out of the package students install.

Everything that computes an assignment's right answer lives here, not in ``hlmtutor``: the
expected values (:mod:`hlmtutor_instructor.expected`), the grader's checks with their slip hints
(:mod:`hlmtutor_instructor.checks`), the rules that key, seal and judge each task
(:mod:`hlmtutor_instructor.tasks`), writing students' notebooks and the answer key, and grading
(:mod:`hlmtutor_instructor.instructor`). ``hlmtutor assignment`` and ``hlmtutor grade`` run them
when this distribution is installed (``pip install ./instructor`` from the repository).
"""

from .instructor import (
    ANSWER_KEY_FILE,
    ROSTER_ID_COLUMN,
    GradingAborted,
    answer_key,
    grade,
    notebook_source,
    parse_assignments,
    read_roster,
    roster_ids,
    student_notebook,
    validate_ids,
    write_assignments,
)

__all__ = [
    "ANSWER_KEY_FILE",
    "ROSTER_ID_COLUMN",
    "GradingAborted",
    "answer_key",
    "grade",
    "notebook_source",
    "parse_assignments",
    "read_roster",
    "roster_ids",
    "student_notebook",
    "validate_ids",
    "write_assignments",
]
