"""Command line: ``python -m hlmtutor`` (also installed as ``hlmtutor``).

``hlmtutor assignment --roster roster.csv --out DIR`` writes each student's assignment
notebooks and data, and the class's answer key. Both commands need the instructor's
distribution, ``hlmtutor-instructor`` (``hlmtutor_instructor``), and say how to install it when it
is missing. ``hlmtutor grade SUBMISSIONS --roster roster.csv
--out GRADES`` re-executes the returned notebooks and writes the scores and each student's
feedback. Messages go to stderr; exit codes are 0 (done), 1 (bad input: the message says what to
change; or grading stopped, or the grader failed on a submission: the message says which) and 2
(bad command line).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

EXIT_OK, EXIT_BAD_INPUT = 0, 1

ASSIGNMENT_HELP = """\
Write one copy of each assignment notebook per student, with the student's id injected (so
each student's notebook simulates data of its own) and the student's sealed answers (hashes that
let the notebook's checks say correct / not yet, no values), the same data as CSV, and one answer
key for the class (answer_key.csv: student_id, assignment, task, quantity, answer, tolerance).
Needs the instructor's tools, hlmtutor-instructor (pip install ./instructor from a clone of the
repository), which students do not install.

The roster is a CSV with a 'student_id' column (other columns are ignored). Ids become folder
names: letters, digits, '.', '_' and '-'. The notebooks are the ones shipped with hlmtutor
(--source names a folder of your own .ipynb or MyST .md versions).

Layout of DIR:
  DIR/<student_id>/a1-descriptives-centering.ipynb   the notebook, id injected
  DIR/<student_id>/a1-data.csv                        the same data, for other software
  DIR/answer_key.csv                                  every student's answers (--key: elsewhere)

Hand out each DIR/<student_id>/ folder, never DIR itself. 'hlmtutor grade' does not read the
key: it recomputes every answer from the roster's ids.

Example:
  hlmtutor assignment --roster roster.csv --out class-2026 --assignments a1,a2
"""

GRADE_HELP = """\
Re-execute each student's returned notebook and score its answers. Each notebook runs in a
process of its own, in a scratch folder that holds only that notebook and its data, with the
roster's id injected into the cell tagged 'parameters' (whatever the student wrote there) and a
time limit for the whole notebook. The grader reads back only the answer variables (my_mean, ...)
and judges them on data it builds from the roster's id; a notebook that fails part-way is graded
on the answers set before the failure, and a missing notebook scores 0 on every task.

SUBMISSIONS holds one folder per student, named by id, as 'hlmtutor assignment' wrote them:
  SUBMISSIONS/<student_id>/a1-descriptives-centering.ipynb
(or any one .ipynb in that folder whose name starts with the assignment's name, e.g. a1.ipynb).

Symbolic links (a student's folder or notebook) are refused, not followed; folders named by no
roster id are listed on stderr.

Writes into OUT (refused when an earlier grading's outputs are there, unless --force):
  OUT/scores.csv                     student_id, one column per task (1 or 0), total
  OUT/feedback/<student_id>.md       what ran, each task right or not with its hint
  OUT/executed/<student_id>/*.ipynb  the executed notebooks (to read the answers in words)
  OUT/scores.progress.csv            a row per student as graded; removed when scores.csv is
                                     written (kept if grading stops part-way)

Every process a notebook starts is killed when it ends; the installed package is checked after
each notebook, and grading stops if a notebook changed it. Submitted notebooks are still code
run on your machine, as you: see the book's instructor page for what is and is not protected,
and how to grade each notebook as another user.

Example:
  hlmtutor grade returned/ --roster roster.csv --out grades/ --assignments a1
"""


def _parser() -> argparse.ArgumentParser:
    from .course import ASSIGNMENTS

    parser = argparse.ArgumentParser(
        prog="hlmtutor",
        description=(
            "hlmtutor's course tools (see 'hlmtutor assignment --help', 'hlmtutor grade --help')."
        ),
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    assignment = commands.add_parser(
        "assignment",
        help="write each student's assignment notebooks, data and the answer key",
        description=ASSIGNMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    assignment.add_argument(
        "--roster",
        "--students",
        dest="students",
        required=True,
        type=Path,
        metavar="ROSTER.csv",
        help="class roster: a CSV with a 'student_id' column",
    )
    assignment.add_argument(
        "--out", required=True, type=Path, metavar="DIR", help="output folder (created if missing)"
    )
    assignment.add_argument(
        "--assignments",
        default=",".join(ASSIGNMENTS),
        metavar="LIST",
        help=f"comma-separated, from {', '.join(ASSIGNMENTS)} (default: all)",
    )
    assignment.add_argument(
        "--overwrite",
        action="store_true",
        help="replace students' existing notebooks and data (default: refuse and write nothing)",
    )
    assignment.add_argument(
        "--source",
        type=Path,
        metavar="DIR",
        help="folder of your own assignment notebooks, .ipynb or MyST .md (default: the ones "
        "shipped with hlmtutor)",
    )
    assignment.add_argument(
        "--key",
        type=Path,
        metavar="FILE",
        help="where to write the answer key (default: DIR/answer_key.csv)",
    )

    grade = commands.add_parser(
        "grade",
        help="re-execute the returned notebooks; write scores.csv and each student's feedback",
        description=GRADE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    grade.add_argument(
        "submissions", type=Path, metavar="SUBMISSIONS", help="folder of the returned notebooks"
    )
    grade.add_argument(
        "--roster",
        required=True,
        type=Path,
        metavar="ROSTER.csv",
        help="class roster: a CSV with a 'student_id' column",
    )
    grade.add_argument(
        "--out", required=True, type=Path, metavar="OUT", help="output folder (created if missing)"
    )
    grade.add_argument(
        "--assignments",
        metavar="LIST",
        help=f"comma-separated, from {', '.join(ASSIGNMENTS)} (default: each one submitted)",
    )
    grade.add_argument(
        "--force",
        action="store_true",
        help="replace the scores, feedback and executed notebooks of an earlier grading in OUT",
    )
    grade.add_argument(
        "--timeout",
        type=_seconds,
        default=300.0,
        metavar="SECONDS",
        help="time limit of each notebook, kernel start included (default: 300)",
    )
    grade.add_argument(
        "--jobs", type=int, default=1, metavar="N", help="notebooks run at once (default: 1)"
    )
    return parser


def _seconds(text: str) -> float:
    """A time limit: a finite, positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a finite, positive number of seconds (such as 300)"
        )
    return value


INSTRUCTOR_MISSING = (
    "the instructor's tools are a separate install, hlmtutor-instructor, which this Python "
    "lacks: from a clone of the hlmtutor repository, pip install ./instructor (students need "
    "only hlmtutor)"
)


def _instructor():
    """The instructor's module, or an ImportError that says how to install it."""
    try:
        from hlmtutor_instructor import instructor
    except ImportError as error:
        if error.name is not None and error.name.startswith("hlmtutor_instructor"):
            raise ImportError(INSTRUCTOR_MISSING) from error
        raise
    return instructor


def _run_assignment(args: argparse.Namespace) -> int:
    instructor = _instructor()

    roster = instructor.read_roster(args.students)
    key = instructor.write_assignments(
        roster,
        args.out,
        args.assignments,
        overwrite=args.overwrite,
        source=args.source,
        key_file=args.key,
    )
    n_students = roster["student_id"].nunique()
    key_path = args.key if args.key is not None else args.out / instructor.ANSWER_KEY_FILE
    print(
        f"hlmtutor: wrote {args.assignments} for {n_students} students into {args.out}; "
        f"answer key: {key_path} ({len(key)} rows)",
        file=sys.stderr,
    )
    return EXIT_OK


def _run_grade(args: argparse.Namespace) -> int:
    scores = _instructor().grade(
        args.submissions,
        args.roster,
        args.out,
        args.assignments,
        timeout=args.timeout,
        jobs=args.jobs,
        force=args.force,
    )
    tasks = len(scores.columns) - 2
    print(
        f"hlmtutor: graded {len(scores)} students on {tasks} tasks; scores: "
        f"{args.out / 'scores.csv'}, feedback: {args.out / 'feedback'}/",
        file=sys.stderr,
    )
    unmatched = scores.attrs.get("unmatched_folders", [])
    if unmatched:
        shown = ", ".join(repr(name[:60]) for name in unmatched[:20])
        more = f" and {len(unmatched) - 20} more" if len(unmatched) > 20 else ""
        print(
            f"hlmtutor grade: warning: {len(unmatched)} entries of {args.submissions} match no "
            f"roster id and were not graded: {shown}{more}",
            file=sys.stderr,
        )
    failures = scores.attrs.get("grader_failures", [])
    for failure in failures:
        print(f"hlmtutor grade: error: the grader failed on {failure}", file=sys.stderr)
    return EXIT_BAD_INPUT if failures else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 when done, 1 for bad input (the message on stderr says what to change). A bad
        command line exits with 2 (argparse's usage error).

    Examples
    --------
    >>> main(["assignment", "--roster", "no-such-roster.csv", "--out", "out"])
    1
    """
    try:
        from hlmtutor_instructor import GradingAborted
    except ImportError:  # no instructor install: its commands say so when run

        class GradingAborted(Exception):  # type: ignore[no-redef]  # noqa: N818
            pass

    args = _parser().parse_args(argv)
    run = {"assignment": _run_assignment, "grade": _run_grade}[args.command]
    try:
        return run(args)
    except (
        FileNotFoundError,
        FileExistsError,
        ValueError,
        KeyError,
        ImportError,
        GradingAborted,
    ) as error:
        message = error.args[0] if error.args else str(error)
        print(f"hlmtutor {args.command}: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
