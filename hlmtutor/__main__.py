"""Command line: ``python -m hlmtutor`` (also installed as ``hlmtutor``).

``hlmtutor assignment --students roster.csv --out DIR`` writes each student's assignment
notebooks and data, and the class's answer key. Messages go to stderr; exit codes are 0 (done),
1 (bad input: the message says what to change) and 2 (bad command line).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_BAD_INPUT = 0, 1

ASSIGNMENT_HELP = """\
Write one copy of each assignment notebook per student, with the student's id injected (so
each student's notebook simulates data of its own), the same data as CSV, and one answer key
for the class (answer_key.csv: student_id, assignment, task, quantity, answer, tolerance).

The roster is a CSV with a 'student_id' column (other columns are ignored). Ids become folder
names: letters, digits, '.', '_' and '-'.

Layout of DIR:
  DIR/<student_id>/a1-descriptives-centering.ipynb   the notebook, id injected
  DIR/<student_id>/a1-data.csv                        the same data, for other software
  DIR/answer_key.csv                                  every student's answers

Example:
  hlmtutor assignment --students roster.csv --out class-2026 --assignments a1,a2
"""


def _parser() -> argparse.ArgumentParser:
    from .assignments import ASSIGNMENTS

    parser = argparse.ArgumentParser(
        prog="hlmtutor",
        description="hlmtutor's course tools (see 'hlmtutor assignment --help').",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    assignment = commands.add_parser(
        "assignment",
        help="write each student's assignment notebooks, data and the answer key",
        description=ASSIGNMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    assignment.add_argument(
        "--students",
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
        help="folder of the assignment notebooks (default: book/assignments of this source tree)",
    )
    return parser


def _run_assignment(args: argparse.Namespace) -> int:
    from .assignments import read_roster, write_assignments

    roster = read_roster(args.students)
    key = write_assignments(
        roster, args.out, args.assignments, overwrite=args.overwrite, source=args.source
    )
    n_students = roster["student_id"].nunique()
    print(
        f"hlmtutor: wrote {args.assignments} for {n_students} students into {args.out}; "
        f"answer key: {args.out / 'answer_key.csv'} ({len(key)} rows)",
        file=sys.stderr,
    )
    return EXIT_OK


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
    >>> main(["assignment", "--students", "no-such-roster.csv", "--out", "out"])
    1
    """
    args = _parser().parse_args(argv)
    try:
        return _run_assignment(args)
    except (FileNotFoundError, FileExistsError, ValueError, KeyError, ImportError) as error:
        message = error.args[0] if error.args else str(error)
        print(f"hlmtutor {args.command}: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
