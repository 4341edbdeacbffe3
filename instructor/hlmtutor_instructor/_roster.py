"""Class rosters and assignment lists, read strictly (shared by the instructor's tools).

A module of its own so that :mod:`hlmtutor_instructor.instructor` and
:mod:`hlmtutor_instructor._grading` both import it and neither imports the other's caller.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from hlmtutor.course.assignments import ASSIGNMENTS, _normalise_id, get_assignment

__all__ = ["ROSTER_ID_COLUMN", "parse_assignments", "read_roster", "roster_ids", "validate_ids"]

ROSTER_ID_COLUMN = "student_id"
# Ids become folder names and appear in feedback: letters, digits, '.', '_', '-', 64 at most.
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _roster_text(path: Any) -> str:
    """The roster's text, decoded strictly as UTF-8 (a byte-order mark is allowed)."""
    if isinstance(path, str | Path):
        if not Path(path).is_file():
            raise FileNotFoundError(f"roster {path}: no such file")
        raw: bytes | str = Path(path).read_bytes()
    else:
        raw = path.read()
    if isinstance(raw, str):
        return raw.removeprefix("\ufeff")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ValueError(
            f"roster {path} is not UTF-8 text: byte {raw[error.start]:#04x} on line {line} "
            "cannot be read; save the roster as 'CSV UTF-8'"
        ) from None


def read_roster(path: Any) -> pd.DataFrame:
    """Read and validate a class roster (a CSV with a ``student_id`` column).

    Parameters
    ----------
    path : str, Path or file-like
        The CSV file, UTF-8. Other columns (names, e-mails) are kept and ignored.

    Returns
    -------
    pandas.DataFrame
        The roster, every column as text with surrounding spaces removed (so an id like
        ``007`` keeps its zeros).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        The roster is not UTF-8, is empty, has no ``student_id`` column (the message lists the
        columns it has), has a row with more or fewer fields than the header (a trailing comma,
        an unquoted comma in a name: the message names the line), or has blank, duplicated or
        unsafe ids (the message lists them).

    Notes
    -----
    Ids become folder names and appear in feedback, so they may hold letters, digits, ``.``,
    ``_`` and ``-``, must start with a letter or digit and are 64 characters at most. Blank
    lines are skipped. (There is no R counterpart.)

    Examples
    --------
    >>> import io
    >>> read_roster(io.StringIO("student_id,name\\ns001,Ada\\n 007 ,Bo\\n"))["student_id"].tolist()
    ['s001', '007']
    """
    text = _roster_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = [
            (reader.line_num, [field.strip() for field in row])
            for row in reader
            if any(field.strip() for field in row)
        ]
    except csv.Error as error:
        raise ValueError(
            f"roster {path}, line {reader.line_num}: not readable as CSV ({error}); check the "
            "quotes on that line"
        ) from None
    if not rows:
        raise ValueError(
            f"roster {path} is empty: it needs a header row with a {ROSTER_ID_COLUMN!r} "
            "column and one row per student"
        )
    (_, header), body = rows[0], rows[1:]
    if ROSTER_ID_COLUMN not in header:
        found = ", ".join(repr(column) for column in header) or "none"
        raise ValueError(
            f"roster {path} has no {ROSTER_ID_COLUMN!r} column; the columns needed are "
            f"{ROSTER_ID_COLUMN!r} (others are kept and ignored); the columns found are {found}"
        )
    for number, row in body:
        if len(row) != len(header):
            raise ValueError(
                f"roster {path}, line {number}: {len(row)} fields where the header has "
                f"{len(header)} ({', '.join(map(repr, header))}); remove a trailing comma or "
                "quote a value that holds a comma"
            )
    if not body:
        raise ValueError(f"roster {path} has no students: add one row per student")
    roster = pd.DataFrame([row for _, row in body], columns=header, dtype=str)
    validate_ids(roster[ROSTER_ID_COLUMN], path, [number for number, _ in body])
    return roster


def validate_ids(ids: pd.Series, path: Any, lines: list[int] | None = None) -> None:
    """Raise a ValueError naming blank, duplicated or unsafe ids (and their lines)."""
    lines = lines or [i + 2 for i in range(len(ids))]  # the header is line 1
    blank = [str(line) for line, value in zip(lines, ids, strict=True) if not value]
    if blank:
        raise ValueError(f"roster {path}: rows {', '.join(blank)} have no {ROSTER_ID_COLUMN}")
    duplicated = sorted(set(ids[ids.duplicated()]))
    if duplicated:
        raise ValueError(
            f"roster {path}: duplicated {ROSTER_ID_COLUMN}s {', '.join(duplicated)}; "
            "every student needs an id of their own"
        )
    unsafe = [value for value in ids if not _SAFE_ID.match(value)]
    if unsafe:
        shown = ", ".join(repr(value[:80]) for value in unsafe[:10])
        raise ValueError(
            f"roster {path}: ids {shown} cannot be folder names; use up to 64 letters, digits, "
            "'.', '_' and '-', starting with a letter or digit"
        )


def roster_ids(roster: pd.DataFrame | str | Path) -> list[str]:
    """The ids of a roster (a DataFrame or the path of its CSV), validated."""
    table = roster if isinstance(roster, pd.DataFrame) else read_roster(roster)
    if ROSTER_ID_COLUMN not in table.columns:
        raise ValueError(f"the roster needs a {ROSTER_ID_COLUMN!r} column")
    ids = table[ROSTER_ID_COLUMN].map(_normalise_id).tolist()
    validate_ids(pd.Series(ids, dtype=str), "given")
    return ids


def parse_assignments(assignments: str | Iterable[str]) -> list[str]:
    """Assignment names from a list or a comma-separated string, checked and deduplicated."""
    names = assignments.split(",") if isinstance(assignments, str) else list(assignments)
    names = [name.strip() for name in names if name.strip()]
    if not names:
        raise ValueError(f"no assignments given; choose among {', '.join(ASSIGNMENTS)}")
    for name in names:
        get_assignment(name)
    return list(dict.fromkeys(names))
