"""The instructor's side of the course: rosters, students' notebooks, the answer key, grading.

This module is part of ``hlmtutor-instructor``, a distribution of its own that instructors
install and students do not: the ``hlmtutor`` package students install computes no answer. Each
student's notebook gets the sealed answers its checks open (:func:`student_notebook`), and the
grade rests on :func:`grade` trusting a submitted notebook for nothing but the answers it reads
back from it: the student's id comes from the roster, the data and the right values are computed
here, and the scores are written by the grader.

``hlmtutor assignment`` (:func:`write_assignments`) and ``hlmtutor grade`` (:func:`grade`) are
the command-line faces of this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

import pandas as pd

from hlmtutor.course import _myst, _seal
from hlmtutor.course.assignments import (
    ASSIGNMENTS,
    Assignment,
    _normalise_id,
    assignment_data,
    get_assignment,
)

from . import _grading, tasks
from ._grading import GradingAborted
from ._roster import ROSTER_ID_COLUMN, parse_assignments, read_roster, roster_ids, validate_ids

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
    "SEALS_TAG",
    "student_notebook",
    "validate_ids",
    "write_assignments",
]

# ---------------------------------------------------------------------------------------------
# Notebooks


def notebook_source(assignment: str, source: str | Path | None = None) -> Path:
    """The notebook an assignment is written from.

    Parameters
    ----------
    assignment : str
        ``"a1"``, ``"a2"`` or ``"a3"``.
    source : str or Path, optional
        A folder holding ``<notebook>.ipynb`` or the MyST ``<notebook>.md`` (for instance the
        book's ``book/assignments``); by default the notebook shipped in the package.

    Returns
    -------
    Path
    """
    spec = get_assignment(assignment)
    stem = Path(spec.notebook).stem
    if source is None:
        shipped = resources.files("hlmtutor.course") / "notebooks" / f"{stem}.ipynb"
        if not shipped.is_file():
            raise FileNotFoundError(f"the package lacks its notebook {stem}.ipynb; reinstall it")
        return Path(str(shipped))
    folder = Path(source)
    for suffix in (".ipynb", ".md"):
        if (folder / f"{stem}{suffix}").is_file():
            return folder / f"{stem}{suffix}"
    raise FileNotFoundError(
        f"no notebook {stem}.md or {stem}.ipynb for assignment {spec.name} in {folder}; "
        "pass the folder of the assignment notebooks (source=..., --source), or leave it out "
        "to use the notebooks shipped with hlmtutor"
    )


def _read_notebook(path: Path):
    import nbformat

    if path.suffix == ".ipynb":
        return nbformat.read(path, as_version=4)
    try:
        import jupytext
    except ImportError as error:  # the book extra holds jupytext
        raise ImportError(
            f"reading the MyST notebook {path} needs jupytext: pip install jupytext "
            "(or leave out the source folder to use the .ipynb notebooks shipped with hlmtutor)"
        ) from error
    return jupytext.read(path)


def _chapter_titles(source: Path):
    """``doc_title(target)``: the first heading of the page a ``{doc}`` role names."""

    def title(target: str) -> str:
        page = (source.parent / target).with_suffix(".md")
        if page.is_file():
            for line in page.read_text(encoding="utf-8").splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
        return Path(target).name.replace("-", " ")

    return title


def plain_notebook(notebook, source: Path | None = None):
    """``notebook`` as a plain Jupyter notebook: MyST markup converted, outputs cleared,
    jupytext metadata removed, a Python 3 kernel, a stable id on every cell (nbformat 4.5)."""
    import nbformat

    titles = _chapter_titles(source) if source is not None else None
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            cell.source = _myst.plain_markdown(cell.source, titles).strip()
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("jupytext", None)
        cell["id"] = f"cell-{index}"
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    notebook.metadata.setdefault("language_info", {"name": "python"})
    notebook.nbformat, notebook.nbformat_minor = 4, max(notebook.nbformat_minor, 5)
    nbformat.validate(notebook)
    return notebook


SEALS_TAG = "hlmtutor-seals"


def _seals_cell(assignment: str, student_id: str):
    import nbformat

    return nbformat.v4.new_code_cell(
        "# Sealed answers for this notebook's checks (hashes of tolerance bins, no values):\n"
        "# leave this cell as it is and run it.\n"
        "from hlmtutor.course import load_seals\n\n"
        f"load_seals({_seal.dumps(tasks.seals(assignment, student_id))!r})",
        metadata={"tags": [SEALS_TAG]},
    )


def _assignment_of(source: Path) -> str | None:
    for name, spec in ASSIGNMENTS.items():
        if Path(spec.notebook).stem == source.stem:
            return name
    return None


def student_notebook(source: str | Path, student_id: str, assignment: str | None = None):
    """A student's copy of an assignment notebook, with their id and sealed answers injected.

    Parameters
    ----------
    source : str or Path
        The assignment notebook, ``.ipynb`` or MyST markdown (``.md``, read with jupytext); see
        :func:`notebook_source`.
    student_id : str
        The student's id.
    assignment : str, optional
        The assignment it answers (``"a1"``, ...); by default the one whose notebook has the
        source's name. Without one, no seals are written (the checks then check form only).

    Returns
    -------
    nbformat.NotebookNode
        A valid nbformat 4 notebook, outputs cleared and MyST markup converted to plain
        markdown, ready for ``nbformat.write``.

    Raises
    ------
    ValueError
        The notebook has no cell tagged ``parameters``.

    Notes
    -----
    As papermill does, a code cell tagged ``injected-parameters`` that sets
    ``student_id = '<id>'`` goes right after the cell tagged ``parameters``, so the
    notebook's default id is overridden. Right after it goes a cell tagged ``hlmtutor-seals``
    that loads the sealed answers of that student's data
    (:func:`hlmtutor_instructor.tasks.seals`): salted, slow hashes of each right value's tolerance
    bins, so the notebook's checks say correct / not yet without holding any value.
    (No R counterpart.)

    Examples
    --------
    >>> notebook = student_notebook(notebook_source("a1"), "s001")
    >>> [cell.source.splitlines()[-1] for cell in notebook.cells
    ...  if "injected-parameters" in cell.metadata.get("tags", [])]
    ["student_id = 's001'"]
    """
    import nbformat

    source = Path(source)
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
    notebook.cells = [
        cell
        for cell in notebook.cells
        if not {"injected-parameters", SEALS_TAG} & set(cell.get("metadata", {}).get("tags", []))
    ]
    injected = nbformat.v4.new_code_cell(
        f"# Parameters injected for this student\nstudent_id = {student_id!r}",
        metadata={"tags": ["injected-parameters"]},
    )
    notebook.cells.insert(position + 1, injected)
    name = assignment if assignment is not None else _assignment_of(source)
    if name is not None:
        notebook.cells.insert(position + 2, _seals_cell(name, _normalise_id(student_id)))
    return plain_notebook(notebook, source if source.suffix == ".md" else None)


# ---------------------------------------------------------------------------------------------
# The answer key and a class set

ANSWER_KEY_FILE = "answer_key.csv"
ANSWER_KEY_COLUMNS = ["student_id", "assignment", "task", "quantity", "answer", "tolerance"]


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
    Each answer is computed by :mod:`hlmtutor_instructor.expected` (through
    :data:`hlmtutor_instructor.tasks.RULES`), as the seals and the grader compute it, on
    :func:`~hlmtutor.course.assignments.assignment_data` for that student. For a column the key holds its
    standard deviation, a fingerprint (the seal and the grader compare every row).

    Examples
    --------
    >>> key = answer_key(["s001", "s002"], "a1")
    >>> key.groupby("student_id").size().tolist() == [len(ASSIGNMENTS["a1"].tasks)] * 2
    True
    """
    rows = []
    for name in parse_assignments(assignments):
        spec = ASSIGNMENTS[name]
        for student_id in map(_normalise_id, student_ids):
            data = assignment_data(name, student_id)
            for task in spec.tasks:
                item = tasks.rule(name, task.key)
                rows.append(
                    (
                        student_id,
                        name,
                        task.key,
                        task.quantity,
                        item.key_value(data),
                        item.tolerance_text(),
                    )
                )
    return pd.DataFrame(rows, columns=ANSWER_KEY_COLUMNS)


def student_files(out_dir: Path, student_id: str, spec: Assignment) -> tuple[Path, Path]:
    """Where a student's notebook and data file go: ``out_dir/<id>/<notebook>``,
    ``out_dir/<id>/<assignment>-data.csv``."""
    folder = Path(out_dir) / student_id
    return folder / f"{Path(spec.notebook).stem}.ipynb", folder / f"{spec.name}-data.csv"


def write_assignments(
    roster: pd.DataFrame | str | Path,
    out_dir: str | Path,
    assignments: str | Sequence[str] = "a1,a2,a3",
    *,
    overwrite: bool = False,
    source: str | Path | None = None,
    key_file: str | Path | None = None,
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
        A folder of assignment notebooks (``.ipynb`` or MyST ``.md``) to use instead of the
        notebooks shipped with hlmtutor.
    key_file : str or Path, optional
        Where to write the answer key (default ``out_dir/answer_key.csv``). Keep it out of the
        folders you hand out.

    Returns
    -------
    pandas.DataFrame
        The answer key (see :func:`answer_key`), also written to ``key_file``. Rows of
        students already in an existing key are replaced; others are kept, so a late student
        can be added with a roster of their own.

    Raises
    ------
    FileExistsError
        A student's notebook or data file exists and ``overwrite`` is false (all are listed).

    Notes
    -----
    Layout: ``out_dir/<student_id>/<notebook>.ipynb`` with the id injected after the cell
    tagged ``parameters`` (as papermill does), ``out_dir/<student_id>/<assignment>-data.csv``
    (the same data the notebook builds, for other software), and the answer key. The key is
    for reading: :func:`grade` recomputes every right value from the roster's ids.
    """
    import nbformat

    student_ids = roster_ids(roster)
    names = parse_assignments(assignments)
    sources = {name: notebook_source(name, source) for name in names}
    out = Path(out_dir)

    targets = [
        path
        for student_id in student_ids
        for name in names
        for path in student_files(out, student_id, ASSIGNMENTS[name])
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

    for name in names:
        spec = ASSIGNMENTS[name]
        for student_id in student_ids:
            notebook_path, data_path = student_files(out, student_id, spec)
            notebook_path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(student_notebook(sources[name], student_id, name), notebook_path)
            assignment_data(name, student_id).to_csv(data_path, index=False)
    key_path = Path(key_file) if key_file is not None else out / ANSWER_KEY_FILE
    return _update_answer_key(key_path, answer_key(student_ids, names))


def _update_answer_key(path: Path, new: pd.DataFrame) -> pd.DataFrame:
    if path.is_file():
        old = pd.read_csv(path, dtype={"student_id": str})
        replaced = old.set_index(["student_id", "assignment"]).index.isin(
            new.set_index(["student_id", "assignment"]).index
        )
        new = pd.concat([old[~replaced], new], ignore_index=True)
    new = new.sort_values(["assignment", "student_id"], kind="stable", ignore_index=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    new.to_csv(path, index=False)
    return new


# ---------------------------------------------------------------------------------------------
# Grading


def grade(
    submissions: str | Path,
    roster: pd.DataFrame | str | Path,
    out: str | Path,
    assignments: str | Sequence[str] | None = None,
    *,
    timeout: float = _grading.DEFAULT_TIMEOUT,
    jobs: int = 1,
    force: bool = False,
) -> pd.DataFrame:
    """Grade the submitted notebooks of a class; write scores and feedback.

    Parameters
    ----------
    submissions : str or Path
        A folder with one folder per student, named by the roster's id, holding the returned
        notebooks: ``<id>/a1-descriptives-centering.ipynb`` (the layout ``hlmtutor assignment``
        writes), or one ``.ipynb`` whose name starts with the assignment's name (``a1...``).
        Symbolic links (a student's folder, a notebook) are refused, not followed.
    roster : DataFrame, str or Path
        The class roster (see :func:`read_roster`).
    out : str or Path
        Where to write ``scores.csv``, ``feedback/<id>.md`` and ``executed/<id>/``.
    assignments : str or sequence of str, optional
        Which assignments to grade (default: each one that at least one student submitted).
    timeout : float, default 300
        Seconds each notebook may run in all, a finite positive number; a notebook stopped at
        the limit is graded on the answers it had reached.
    jobs : int, default 1
        Students graded at the same time.
    force : bool, default False
        Replace the outputs of an earlier grading in ``out`` (``scores.csv``, ``feedback/``,
        ``executed/``, ``scores.progress.csv``). Without it, nothing is graded when any exists.

    Returns
    -------
    pandas.DataFrame
        The scores: ``student_id``, one column per task (``a1_mean_math``, ...; 1 or 0),
        ``total``; one row per student of the roster, in its order. ``attrs`` holds
        ``"unmatched_folders"`` (entries of ``submissions`` named by no roster id) and
        ``"grader_failures"`` (``"<id>/<assignment>: <error>"`` for each submission the grader
        itself failed on; those score 0).

    Raises
    ------
    FileNotFoundError
        No folder ``submissions``.
    FileExistsError
        Outputs of an earlier grading are in ``out`` and ``force`` is false.
    ValueError
        A bad roster, a timeout that is not a finite positive number, or no submission at all
        and no ``assignments`` given.
    GradingAborted
        The installed hlmtutor package (or a ``.pth`` file of the site folders) changed while
        grading: a submission tampered with the grader. The rows graded before are in
        ``scores.progress.csv``; reinstall the package and grade again.
    ImportError
        papermill or ipykernel is missing (``pip install 'hlmtutor[course]'``).

    Notes
    -----
    A student without a submission gets a row of zeros and feedback that says so; a notebook
    that fails part-way is graded on the answers set before the failure, with the error
    (shortened, fenced) in the feedback. Each notebook runs in its own processes, in a scratch
    folder that holds only that submission and its data, with an allow-list environment and the
    roster's id injected; every process it started is killed when it ends. Only the answer
    variables are read back, and the grader judges them on data it builds itself from the
    roster's id. Each student's feedback and score row are written as soon as they are graded;
    ``scores.csv`` is written, atomically, at the end. What this does and does not protect
    against is on the book's instructor page (``book/assignments/index.md``). (No R
    counterpart.)
    """
    return _grading.grade_submissions(
        submissions, roster, out, assignments, timeout=timeout, jobs=jobs, force=force
    )
