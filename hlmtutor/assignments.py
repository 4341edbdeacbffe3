"""Course assignments: one data set per student, notebooks, rosters and an answer key.

Every student gets other data: :func:`student_seed` turns a student id into a seed (a stable
hash, the same on every machine and Python version), and :func:`assignment_data` feeds it to
:func:`~hlmtutor.simulate.simulate_classrooms` with the assignment's design. The notebooks live
in ``book/assignments``; :func:`write_assignments` (the ``hlmtutor assignment`` command)
writes each student's copy with their id injected, their data as CSV, and one answer key.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import check as _check

__all__ = [
    "ASSIGNMENTS",
    "Assignment",
    "Task",
    "answer_key",
    "assignment_data",
    "read_roster",
    "student_notebook",
    "student_seed",
    "write_assignments",
]

ROSTER_ID_COLUMN = "student_id"
# Ids become folder names: keep them to characters that are safe on every file system.
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SEED_SALT = "hlmtutor-assignment:"


@dataclass(frozen=True)
class Task:
    """One graded quantity of an assignment (a row of the answer key).

    Attributes
    ----------
    key : str
        Short name, the ``task`` column of the answer key.
    quantity : str
        What is asked, in words.
    expected : callable
        ``expected(data) -> float``: the right value for a student's data, computed as the
        :mod:`hlmtutor.check` function of the task computes it.
    tolerance : str
        The tolerance that check accepts, in words.
    """

    key: str
    quantity: str
    expected: Callable[[pd.DataFrame], float]
    tolerance: str


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
        File name of its notebook in ``book/assignments``.
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


def _normalise_id(student_id: str | int) -> str:
    return str(student_id).strip()


def _assignment(name: str) -> Assignment:
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
    always gives the same data; two ids give different data.

    Examples
    --------
    >>> data = assignment_data("a1", "s001")
    >>> list(data.columns)
    ['classroom_id', 'student_id', 'treatment', 'ses', 'math_score']
    >>> data.equals(assignment_data("a1", "s001"))
    True
    """
    from .simulate import simulate_classrooms

    spec = _assignment(assignment)
    return simulate_classrooms(**spec.design, seed=student_seed(student_id)).data


# ---------------------------------------------------------------------------------------------
# Roster


def read_roster(path: str | Path) -> pd.DataFrame:
    """Read and validate a class roster (a CSV with a ``student_id`` column).

    Parameters
    ----------
    path : str or Path
        The CSV file. Other columns (names, e-mails) are kept and ignored.

    Returns
    -------
    pandas.DataFrame
        The roster, ids as strings with surrounding spaces removed (read as text, so an id
        like ``007`` keeps its zeros).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        The roster is empty, has no ``student_id`` column (the message lists the columns it
        has), or has blank, duplicated or unsafe ids (the message lists them).

    Notes
    -----
    Ids become folder names, so they may hold letters, digits, ``.``, ``_`` and ``-`` and
    must start with a letter or digit. (There is no R counterpart.)

    Examples
    --------
    >>> import io
    >>> read_roster(io.StringIO("student_id,name\\ns001,Ada\\n 007 ,Bo\\n"))["student_id"].tolist()
    ['s001', '007']
    """
    if isinstance(path, str | Path) and not Path(path).is_file():
        raise FileNotFoundError(f"roster {path}: no such file")
    try:
        roster = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"roster {path} is empty: it needs a header row with a {ROSTER_ID_COLUMN!r} "
            "column and one row per student"
        ) from None
    roster.columns = [str(column).strip() for column in roster.columns]
    if ROSTER_ID_COLUMN not in roster.columns:
        found = ", ".join(repr(column) for column in roster.columns) or "none"
        raise ValueError(
            f"roster {path} has no {ROSTER_ID_COLUMN!r} column; the columns needed are "
            f"{ROSTER_ID_COLUMN!r} (others are kept and ignored); the columns found are {found}"
        )
    if roster.empty:
        raise ValueError(f"roster {path} has no students: add one row per student")
    ids = roster[ROSTER_ID_COLUMN].map(_normalise_id)
    _validate_ids(ids, path)
    return roster.assign(**{ROSTER_ID_COLUMN: ids})


def _validate_ids(ids: pd.Series, path: Any) -> None:
    # Row numbers as a spreadsheet shows them: the header is row 1.
    blank = [str(i + 2) for i, value in enumerate(ids) if not value]
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
        raise ValueError(
            f"roster {path}: ids {', '.join(map(repr, unsafe))} cannot be folder names; use "
            "letters, digits, '.', '_' and '-', starting with a letter or digit"
        )


# ---------------------------------------------------------------------------------------------
# Notebooks


def _default_source() -> Path:
    """``book/assignments`` of the source tree this package was installed from."""
    return Path(__file__).resolve().parents[1] / "book" / "assignments"


def _read_notebook(path: Path):
    try:
        import jupytext
    except ImportError as error:  # the book extra holds jupytext
        raise ImportError(
            "writing assignment notebooks needs jupytext: pip install 'hlmtutor[book]'"
        ) from error
    return jupytext.read(path)


def student_notebook(source: str | Path, student_id: str):
    """A student's copy of an assignment notebook, with their id injected.

    Parameters
    ----------
    source : str or Path
        The assignment notebook, MyST markdown (``.md``, read with jupytext) or ``.ipynb``.
    student_id : str
        The student's id.

    Returns
    -------
    nbformat.NotebookNode
        A valid nbformat 4 notebook, outputs cleared, ready for ``nbformat.write``.

    Raises
    ------
    ValueError
        The notebook has no cell tagged ``parameters``.

    Notes
    -----
    As papermill does, a code cell tagged ``injected-parameters`` that sets
    ``student_id = '<id>'`` goes right after the cell tagged ``parameters``, so the
    notebook's default id is overridden. (No R counterpart.)

    Examples
    --------
    >>> notebook = student_notebook(_default_source() / "a1-descriptives-centering.md", "s001")
    >>> [cell.source.splitlines()[-1] for cell in notebook.cells
    ...  if "injected-parameters" in cell.metadata.get("tags", [])]
    ["student_id = 's001'"]
    """
    source = Path(source)
    import nbformat

    notebook = _read_notebook(source)
    position = next(
        (
            i
            for i, cell in enumerate(notebook.cells)
            if "parameters" in cell.get("metadata", {}).get("tags", [])
        ),
        None,
    )
    if position is None:
        raise ValueError(f"{source} has no cell tagged 'parameters' to inject student_id after")
    injected = nbformat.v4.new_code_cell(
        f"# Parameters injected for this student\nstudent_id = {student_id!r}",
        metadata={"tags": ["injected-parameters"]},
    )
    notebook.cells.insert(position + 1, injected)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell["id"] = f"cell-{index}"  # nbformat 4.5 wants a unique id on every cell
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    notebook.nbformat, notebook.nbformat_minor = 4, max(notebook.nbformat_minor, 5)
    nbformat.validate(notebook)
    return notebook


# ---------------------------------------------------------------------------------------------
# Writing a class set and its answer key

ANSWER_KEY_FILE = "answer_key.csv"
ANSWER_KEY_COLUMNS = ["student_id", "assignment", "task", "quantity", "answer", "tolerance"]


def _parse_assignments(assignments: str | Iterable[str]) -> list[str]:
    names = assignments.split(",") if isinstance(assignments, str) else list(assignments)
    names = [name.strip() for name in names if name.strip()]
    if not names:
        raise ValueError(f"no assignments given; choose among {', '.join(ASSIGNMENTS)}")
    for name in names:
        _assignment(name)
    return list(dict.fromkeys(names))


def answer_key(student_ids: Iterable[str | int], assignments: str | Iterable[str] = "a1,a2,a3"):
    """The answers of every graded task, for each student's own data.

    Parameters
    ----------
    student_ids : iterable of str or int
        The roster's ids.
    assignments : str or iterable of str, default "a1,a2,a3"
        Which assignments, as a list or a comma-separated string.

    Returns
    -------
    pandas.DataFrame
        One row per student, assignment and task, with the columns ``student_id``,
        ``assignment``, ``task`` (the task's key), ``quantity`` (what is asked),
        ``answer`` (float) and ``tolerance`` (the tolerance the checks accept, as text).

    Notes
    -----
    Each answer is computed the way :mod:`hlmtutor.check` computes it when the student
    checks their own answer, on :func:`assignment_data` for that student.

    Examples
    --------
    >>> key = answer_key(["s001", "s002"], "a1")
    >>> key.groupby("student_id").size().tolist() == [len(ASSIGNMENTS["a1"].tasks)] * 2
    True
    """
    rows = []
    for name in _parse_assignments(assignments):
        spec = ASSIGNMENTS[name]
        for student_id in map(_normalise_id, student_ids):
            data = assignment_data(name, student_id)
            rows += [
                (
                    student_id,
                    name,
                    task.key,
                    task.quantity,
                    float(task.expected(data)),
                    task.tolerance,
                )
                for task in spec.tasks
            ]
    return pd.DataFrame(rows, columns=ANSWER_KEY_COLUMNS)


def _student_files(out_dir: Path, student_id: str, spec: Assignment) -> tuple[Path, Path]:
    folder = out_dir / student_id
    return folder / f"{Path(spec.notebook).stem}.ipynb", folder / f"{spec.name}-data.csv"


def write_assignments(
    roster: pd.DataFrame | str | Path,
    out_dir: str | Path,
    assignments: str | Sequence[str] = "a1,a2,a3",
    *,
    overwrite: bool = False,
    source: str | Path | None = None,
) -> pd.DataFrame:
    """Write each student's notebooks and data, and the class's answer key.

    Parameters
    ----------
    roster : DataFrame, str or Path
        A roster with a ``student_id`` column, or the path of its CSV (see :func:`read_roster`).
    out_dir : str or Path
        Where to write; created when missing.
    assignments : str or sequence of str, default "a1,a2,a3"
        Which assignments.
    overwrite : bool, default False
        Replace students' existing notebooks and data files. Without it, nothing is written
        when any of them exists.
    source : str or Path, optional
        The folder of the assignment notebooks (MyST ``.md`` or ``.ipynb``); by default
        ``book/assignments`` of the source tree hlmtutor is installed from.

    Returns
    -------
    pandas.DataFrame
        The answer key (see :func:`answer_key`), also written to ``out_dir/answer_key.csv``.
        Rows of students already in an existing key are replaced; others are kept, so a
        late student can be added with a roster of their own.

    Raises
    ------
    FileExistsError
        A student's notebook or data file exists and ``overwrite`` is false (all are listed).

    Notes
    -----
    Layout: ``out_dir/<student_id>/<notebook>.ipynb`` with the id injected after the cell
    tagged ``parameters`` (as papermill does), ``out_dir/<student_id>/<assignment>-data.csv``
    (the same data the notebook builds, for other software), and ``out_dir/answer_key.csv``.
    """
    table = roster if isinstance(roster, pd.DataFrame) else read_roster(roster)
    if ROSTER_ID_COLUMN not in table.columns:
        raise ValueError(f"the roster needs a {ROSTER_ID_COLUMN!r} column")
    student_ids = table[ROSTER_ID_COLUMN].map(_normalise_id).tolist()
    _validate_ids(pd.Series(student_ids, dtype=str), "given")
    names = _parse_assignments(assignments)
    source_dir = Path(source) if source is not None else _default_source()
    sources = {name: _notebook_source(source_dir, ASSIGNMENTS[name]) for name in names}
    out = Path(out_dir)

    targets = [
        path
        for student_id in student_ids
        for name in names
        for path in _student_files(out, student_id, ASSIGNMENTS[name])
    ]
    existing = [str(path) for path in targets if path.exists()]
    if existing and not overwrite:
        shown = ", ".join(existing[:10]) + (
            f" and {len(existing) - 10} more" if len(existing) > 10 else ""
        )
        raise FileExistsError(
            f"{len(existing)} student files exist already ({shown}); nothing was written. "
            "Use overwrite=True (--overwrite) to replace them, or another output folder"
        )

    import nbformat

    for name in names:
        spec = ASSIGNMENTS[name]
        for student_id in student_ids:
            notebook_path, data_path = _student_files(out, student_id, spec)
            notebook_path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(student_notebook(sources[name], student_id), notebook_path)
            assignment_data(name, student_id).to_csv(data_path, index=False)
    return _update_answer_key(out / ANSWER_KEY_FILE, answer_key(student_ids, names))


def _notebook_source(folder: Path, spec: Assignment) -> Path:
    stem = Path(spec.notebook).stem
    for suffix in (".md", ".ipynb"):
        if (folder / f"{stem}{suffix}").is_file():
            return folder / f"{stem}{suffix}"
    raise FileNotFoundError(
        f"no notebook {stem}.md or {stem}.ipynb for assignment {spec.name} in {folder}; "
        "pass the folder of the assignment notebooks (source=..., --source)"
    )


def _update_answer_key(path: Path, new: pd.DataFrame) -> pd.DataFrame:
    if path.is_file():
        old = pd.read_csv(path, dtype={"student_id": str})
        replaced = old.set_index(["student_id", "assignment"]).index.isin(
            new.set_index(["student_id", "assignment"]).index
        )
        new = pd.concat([old[~replaced], new], ignore_index=True)
    new = new.sort_values(["assignment", "student_id"], kind="stable", ignore_index=True)
    new.to_csv(path, index=False)
    return new


# ---------------------------------------------------------------------------------------------
# The three assignments

A3_FORMULA = "math_score ~ treatment * ses_cwc + ses_cm_gmc + (1 + ses_cwc | classroom_id)"
A2_NULL_FORMULA = "math_score ~ 1 + (1 | classroom_id)"


def _fixef_task(key: str, formula: str, term: str, statistic: str) -> Task:
    return Task(
        key,
        f"{statistic} of {term} in {formula}",
        lambda data: _check._expected_fixef(data, formula, term, statistic),
        str(_check.FIXEF_TOLERANCE[statistic]),
    )


def _variance_task(key: str, formula: str, component: str) -> Task:
    return Task(
        key,
        f"variance of {component} in {formula}",
        lambda data: _check._expected_variance(data, formula, component),
        str(_check.VARIANCE_TOLERANCE),
    )


def _column_task(key: str, kind: str) -> Task:
    return Task(
        key,
        f"SD of the column ses as {_check._KIND_NAMES[kind]} (the check compares every row)",
        lambda data: float(_check._centered(data["ses"], data["classroom_id"], kind).std()),
        f"within {_check.CENTERED_TOLERANCE:g} in every row",
    )


#: The three assignments by short name ("a1", "a2", "a3"), each with its notebook and tasks.
ASSIGNMENTS: dict[str, Assignment] = {
    "a1": Assignment(
        "a1",
        "Descriptives and centering",
        "a1-descriptives-centering.md",
        {"n_classrooms": 12, "n_students": 20},
        (
            Task(
                "mean_math",
                "mean of math_score",
                lambda data: _check._expected_statistic(data, "math_score", "mean"),
                str(_check.STATISTIC_TOLERANCE),
            ),
            Task(
                "sd_math_classroom_1",
                "sd of math_score where classroom_id == 1",
                lambda data: _check._expected_statistic(data, "math_score", "sd", group=1),
                str(_check.STATISTIC_TOLERANCE),
            ),
            _column_task("ses_cm", "group_mean"),
            _column_task("ses_cwc", "within"),
            _column_task("ses_cm_gmc", "cluster_grand"),
        ),
    ),
    "a2": Assignment(
        "a2",
        "The null model and the ICC",
        "a2-null-model-icc.md",
        {"n_classrooms": 20, "n_students": 15, "sd_intercept": 4.0, "sigma": 8.0},
        (
            _variance_task("var_intercept", A2_NULL_FORMULA, "(Intercept)"),
            _variance_task("var_residual", A2_NULL_FORMULA, "residual"),
            Task(
                "icc",
                "ICC of math_score by classroom_id",
                _check._expected_icc,
                str(_check.ICC_TOLERANCE),
            ),
        ),
    ),
    "a3": Assignment(
        "a3",
        "A random slope and a cross-level interaction",
        "a3-random-slope.md",
        {"n_classrooms": 30, "n_students": 20, "cross_level": 1.5, "sd_slope": 1.5, "sigma": 6.0},
        (
            _fixef_task("b_treatment", A3_FORMULA, "treatment", "Estimate"),
            _fixef_task("b_interaction", A3_FORMULA, "treatment:ses_cwc", "Estimate"),
            _fixef_task("df_interaction", A3_FORMULA, "treatment:ses_cwc", "df"),
            _fixef_task("p_interaction", A3_FORMULA, "treatment:ses_cwc", "Pr(>|t|)"),
            _variance_task("var_slope", A3_FORMULA, "ses_cwc"),
        ),
    ),
}
