"""``hlmtutor grade``: re-execute the submitted notebooks and score their answers.

For each student of the roster and each assignment, the grader

1. finds the submission (``SUBMISSIONS/<id>/<notebook>.ipynb``, or the one ``.ipynb`` in
   ``SUBMISSIONS/<id>/`` whose name starts with the assignment's name); a symbolic link (the
   student's folder or the notebook) is refused, not followed;
2. copies it (read without following links, at most :data:`MAX_NOTEBOOK_BYTES`), with that
   student's data, into a scratch folder of its own (nothing else is in it: not the key, not the
   other submissions);
3. executes it there under a supervisor (:mod:`hlmtutor.course._sandbox`) that kills every
   process the notebook started, detached ones too, when it ends or its time is up, and caps
   the size of every file it writes; the runner (:mod:`hlmtutor.course._runner`, papermill and
   a kernel of the grader's own Python named by a kernel spec built in code) gets an allow-list
   environment (no ``JUPYTER_PATH``, no grader variables; ``HOME``, IPython and Jupyter folders
   inside the scratch folder); the roster's id is injected into the cell tagged ``parameters``;
   a first cell added by the grader records the answer variables after every cell
   (:mod:`hlmtutor.course._recorder`);
4. after the supervisor ends, kills any process still carrying the run's token or using the
   scratch folder (:func:`hlmtutor.course._sandbox.sweep`), and checks that the installed
   package (and the ``.pth`` start-up files of the site folders) is unchanged, stopping the
   whole grading with :class:`GradingAborted` if not;
5. reads back the recorded answers, and only those (without following links, at most
   :data:`MAX_ANSWERS_BYTES`, any parse error meaning "no answers"), and judges each one with
   the task's check on data the grader builds from the roster's id.

Each student's feedback and score row are written as soon as that student is graded (the row
appended and flushed to ``scores.progress.csv``); ``scores.csv`` (roster order) is written
atomically at the end, and the progress file removed. An exception while grading one submission
is recorded for that student (score 0, feedback says the grader failed) and the others go on.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import secrets
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hlmtutor.course import _sandbox
from hlmtutor.course._safeio import (
    OutputFolder,
    Unreadable,
    inline,
    is_link,
    plain,
    quoted,
    read_capped,
)
from hlmtutor.course.assignments import ASSIGNMENTS, Assignment, Task, assignment_data
from hlmtutor.course.checks import CheckResult

from . import tasks as _tasks
from ._roster import parse_assignments, roster_ids
from .checks import slip_hints

SCORES_FILE = "scores.csv"
PROGRESS_FILE = "scores.progress.csv"
FEEDBACK_DIR = "feedback"
EXECUTED_DIR = "executed"
ANSWERS_FILE = "answers.json"
DEFAULT_TIMEOUT = 300.0
MAX_ANSWERS_BYTES = 10_000_000  # the answers file read back (a1's columns need about 15 kB)
MAX_NOTEBOOK_BYTES = 50_000_000  # a submitted notebook; any file the notebook's processes write
MAX_EXECUTED_BYTES = 20_000_000  # an executed notebook the grader reads back and keeps
# Seconds the grader waits for the supervisor beyond the time limit before killing it itself.
_SUPERVISOR_GRACE = 30.0
# What the notebook's processes inherit of the grader's environment, nothing else (no tokens,
# no JUPYTER_PATH, no HOME): the interpreter's search path and locale, and BLAS settings so a
# grade does not depend on the CPU.
_ENV_KEPT = (
    "PATH",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "SYSTEMROOT",
    "SYSTEMDRIVE",
    "WINDIR",
    "COMSPEC",
    "PATHEXT",
)

RAN, ERROR, TIMEOUT, UNREADABLE, MISSING, AMBIGUOUS, REFUSED, TOO_LARGE, GRADER_FAILED = (
    "ran",
    "error",
    "timeout",
    "unreadable",
    "missing",
    "ambiguous",
    "refused",
    "output too large",
    "grader failed",
)
_NOT_RUN = (MISSING, AMBIGUOUS, UNREADABLE, REFUSED, GRADER_FAILED)


class GradingAborted(RuntimeError):
    """Grading stopped for the whole class (the installed package changed while grading)."""


@dataclass
class Outcome:
    """What running one submission gave."""

    status: str
    answers: dict[str, Any] = field(default_factory=dict)
    notebook_id: Any = None  # the student_id the notebook ended with (never shown)
    message: str = ""  # for the feedback: what went wrong (may quote the notebook: see quoted)
    executed: Path | None = None
    submission: Path | None = None
    detail: str = ""  # notebook text (an error), shown fenced and cut


@dataclass
class TaskGrade:
    task: Task
    points: int
    result: CheckResult | None
    note: str = ""


# ---------------------------------------------------------------------------------------------
# Finding submissions


def _candidates(folder: Path, spec: Assignment) -> list[Path]:
    stem = Path(spec.notebook).stem
    exact = folder / f"{stem}.ipynb"
    if exact.is_file() or is_link(exact):
        return [exact]
    if is_link(folder) or not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.glob("*.ipynb")
        if (path.is_file() or is_link(path))
        and not path.name.endswith("-checkpoint.ipynb")
        and path.name.lower().startswith(spec.name)
    )


def find_submission(submissions: Path, student_id: str, spec: Assignment) -> list[Path]:
    """The notebooks that may be a student's submission of an assignment (ideally one).

    A symbolic link is listed (and refused when graded), never followed: a linked student
    folder gives its link's path only.
    """
    folder = Path(submissions) / student_id
    if is_link(folder):
        return [folder]
    return _candidates(folder, spec)


def submitted_assignments(submissions: Path, student_ids: Iterable[str]) -> list[str]:
    """The assignments of which at least one student of the roster submitted a notebook."""
    ids = list(student_ids)
    return [
        name
        for name, spec in ASSIGNMENTS.items()
        if any(find_submission(submissions, student_id, spec) for student_id in ids)
    ]


def unmatched_folders(submissions: Path, student_ids: Iterable[str]) -> list[str]:
    """Entries of the submissions folder named by no roster id (hidden ones left out)."""
    ids = set(student_ids)
    return sorted(
        entry.name
        for entry in os.scandir(submissions)
        if entry.name not in ids and not entry.name.startswith(".")
    )


# ---------------------------------------------------------------------------------------------
# Running one submission


def _environment(scratch: Path, token: str) -> dict[str, str]:
    """The allow-list environment of a submission; its home and Jupyter folders in scratch."""
    env = {name: os.environ[name] for name in _ENV_KEPT if name in os.environ}
    home = scratch / ".home"
    env.update(
        HOME=str(home),
        IPYTHONDIR=str(home / ".ipython"),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(home / ".jupyter-runtime"),
        MPLCONFIGDIR=str(home / ".matplotlib"),
        MPLBACKEND="Agg",
        TMPDIR=str(home / "tmp"),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONNOUSERSITE="1",
        PYTHONIOENCODING="utf-8",
        **{_sandbox.TOKEN_VARIABLE: token},
    )
    (home / "tmp").mkdir(parents=True)
    return env


def _first_error(notebook: Any) -> str:
    """The first error a cell of the executed notebook printed, with the start of that cell."""
    for cell in notebook.get("cells", []) if isinstance(notebook, dict) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []) or []:
            if isinstance(output, dict) and output.get("output_type") == "error":
                source = cell.get("source", "")
                source = "".join(source) if isinstance(source, list) else str(source)
                first = next((line for line in source.splitlines() if line.strip()), "")
                return (
                    f"{plain(output.get('ename', 'Error'), 80)}: "
                    f"{plain(output.get('evalue', ''), 300)}\n"
                    f"in the cell that begins: {plain(first, 80)}"
                )
    return ""


def _read_executed(path: Path) -> tuple[bytes | None, Any]:
    """The executed notebook's bytes and parsed JSON (None when unreadable or too large)."""
    try:
        raw = read_capped(path, MAX_EXECUTED_BYTES)
    except Unreadable:
        return None, None
    try:
        return raw, json.loads(raw.decode("utf-8"))
    except Exception:  # noqa: BLE001 - any parse failure (RecursionError too) means unreadable
        return raw, None


def _read_answers(path: Path) -> tuple[dict[str, Any], Any]:
    """The recorded answers and student_id; anything unreadable means no answers."""
    try:
        recorded = json.loads(read_capped(path, MAX_ANSWERS_BYTES).decode("utf-8"))
    except Exception:  # noqa: BLE001 - links, FIFOs, size, bad UTF-8/JSON, deep nesting
        return {}, None
    if not isinstance(recorded, dict) or not isinstance(recorded.get("answers"), dict):
        return {}, None
    return recorded["answers"], recorded.get("student_id")


def _supervised(command: list[str], timeout: float) -> list[str]:
    return [
        sys.executable,
        "-s",
        "-m",
        "hlmtutor.course._sandbox",
        "--timeout",
        repr(timeout),
        "--max-file-bytes",
        str(MAX_NOTEBOOK_BYTES),
        "--",
        *command,
    ]


def _run_contained(command: list[str], scratch: Path, timeout: float, log: Any) -> int | None:
    """Run ``command`` under the supervisor; kill whatever is left; its exit code or None."""
    token = secrets.token_hex(16)
    process = subprocess.Popen(
        _supervised(command, timeout),
        cwd=scratch,
        env=_environment(scratch, token),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=os.name == "posix",
    )
    try:
        code: int | None = process.wait(timeout=timeout + _SUPERVISOR_GRACE)
    except subprocess.TimeoutExpired:
        code = None
    finally:
        _kill_group(process)
        _sandbox.sweep(token, scratch)
    return None if code == _sandbox.TIMED_OUT else code


def run_submission(
    notebook: Path,
    student_id: str,
    spec: Assignment,
    *,
    timeout: float,
) -> tuple[Outcome, bytes | None]:
    """Execute one submission in a scratch folder of its own; return what it recorded.

    Parameters
    ----------
    notebook : Path
        The submitted notebook.
    student_id : str
        The roster's id, injected into the notebook.
    spec : Assignment
        The assignment it answers.
    timeout : float
        Seconds the whole notebook may run (kernel start included).

    Returns
    -------
    (Outcome, bytes or None)
        What it gave, and the executed notebook's bytes (None when there are none to keep).
    """
    stem = Path(spec.notebook).stem
    if is_link(notebook):
        return _refused("the submission is a symbolic link, which the grader does not follow"), None
    try:
        source = read_capped(notebook, MAX_NOTEBOOK_BYTES)
    except Unreadable as error:
        return Outcome(UNREADABLE, message=f"the notebook could not be read: {error}"), None
    with tempfile.TemporaryDirectory(
        prefix="hlmtutor-grade-", ignore_cleanup_errors=True
    ) as scratch_dir:
        scratch = Path(scratch_dir)
        (scratch / f"{stem}.ipynb").write_bytes(source)
        assignment_data(spec.name, student_id).to_csv(
            scratch / f"{spec.name}-data.csv", index=False
        )
        executed = scratch / ".graded.ipynb"
        command = [
            sys.executable,
            "-s",
            "-m",
            "hlmtutor.course._runner",
            f"{stem}.ipynb",
            executed.name,
            "--student-id",
            student_id,
            "--answers",
            ANSWERS_FILE,
            "--variables",
            ",".join(task.variable for task in spec.tasks),
            "--timeout",
            repr(timeout),
        ]
        with tempfile.TemporaryFile("w+b") as log:
            code = _run_contained(command, scratch, timeout, log)
            log.seek(0)
            runner_log = log.read(200_000).decode("utf-8", "replace")
        answers, notebook_id = _read_answers(scratch / ANSWERS_FILE)
        raw, parsed = _read_executed(executed)
    return _outcome(code, timeout, runner_log, answers, notebook_id, raw, parsed), raw


def _refused(reason: str) -> Outcome:
    return Outcome(REFUSED, message=reason)


def _outcome(code, timeout, runner_log, answers, notebook_id, raw, parsed) -> Outcome:
    error = _first_error(parsed)
    if code == 0:
        status, message, detail = RAN, "", ""
    elif code is None or code == 4:
        status, detail = TIMEOUT, ""
        message = (
            f"the notebook did not finish within the time limit of {timeout:g} s and was stopped"
        )
    elif code == 5 or (raw is None and "File too large" in runner_log):
        status, detail = TOO_LARGE, ""
        message = (
            f"the notebook's output passed the limit of {MAX_NOTEBOOK_BYTES / 1e6:g} MB and "
            "it was stopped"
        )
    elif code == 1:
        status, message, detail = ERROR, "a cell raised an error", error
    else:
        status = UNREADABLE if raw is None else ERROR
        message = f"the notebook could not be run (exit code {code})"
        detail = error or _last_lines(runner_log)
    return Outcome(status, answers, notebook_id, message, detail=detail)


def _last_lines(text: str, n: int = 3) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    wanted = [line for line in lines if line.startswith(("the notebook", "a cell"))]
    return " ".join((wanted or lines)[-n:])


def _kill_group(process: subprocess.Popen) -> None:
    """Stop the supervisor's session (whatever is left in it) and reap the supervisor."""
    try:
        if os.name == "posix":
            import signal

            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


# ---------------------------------------------------------------------------------------------
# The installed package must not change while grading


def _package_folders() -> list[Path]:
    """The folders of the grader's two packages: ``hlmtutor`` and ``hlmtutor_instructor``."""
    import hlmtutor

    return [Path(hlmtutor.__file__).resolve().parent, Path(__file__).resolve().parent]


def _watched_files() -> list[Path]:
    """The packages' files and the ``.pth`` start-up files of the site folders."""
    files = [
        path
        for package in _package_folders()
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]
    folders = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    folders.update(getattr(site, "getsitepackages", list)())
    folders.add(site.getusersitepackages())
    for folder in folders:
        if os.path.isdir(folder):
            files += sorted(Path(folder).glob("*.pth"))
    return files


def package_fingerprint() -> dict[str, str]:
    """SHA-256 of each watched file (:func:`_watched_files`), by path."""
    prints = {}
    for path in _watched_files():
        try:
            prints[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            prints[str(path)] = "unreadable"
    return prints


def installed_mismatches() -> list[str]:
    """Files of the installed packages whose SHA-256 differs from their wheel's ``RECORD``.

    Both distributions are compared: ``hlmtutor`` and ``hlmtutor-instructor``. An editable
    install (a source checkout) has no hashes to compare with and gives ``[]``.
    """
    mismatches = []
    for distribution, package in zip(
        ("hlmtutor", "hlmtutor-instructor"), _package_folders(), strict=True
    ):
        mismatches += _distribution_mismatches(distribution, package)
    return mismatches


def _distribution_mismatches(distribution: str, package: Path) -> list[str]:
    import base64
    from importlib import metadata

    try:
        files = metadata.distribution(distribution).files or []
    except metadata.PackageNotFoundError:
        return []
    mismatches = []
    for entry in files:
        if entry.hash is None or entry.hash.mode != "sha256":
            continue
        path = Path(entry.locate()).resolve()
        if package not in path.parents:
            continue  # another distribution's file, or this one's metadata
        try:
            digest = hashlib.sha256(path.read_bytes()).digest()
        except OSError:
            mismatches.append(str(path))
            continue
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != entry.hash.value:
            mismatches.append(str(path))
    return mismatches


def _changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(
        path for path in before.keys() | after.keys() if before.get(path) != after.get(path)
    )


# ---------------------------------------------------------------------------------------------
# Judging the answers


def decode(recorded: Any) -> tuple[Any, str]:
    """A recorded answer as the value a check takes, or ``(None, reason)`` if it is not one."""
    if not isinstance(recorded, dict):
        return None, "the recorded answer could not be read"
    kind = recorded.get("kind")
    if kind == "none":
        return None, ""
    if kind == "number":
        value = recorded.get("value")
        if value is None:
            return float("nan"), ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value), ""
    if kind == "column":
        values = recorded.get("values")
        if isinstance(values, list) and all(
            v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values
        ):
            return np.array([np.nan if v is None else float(v) for v in values]), ""
    if kind == "other":
        return None, f"it is not a number or a column (it is a {inline(recorded.get('type'), 60)})"
    return None, "the recorded answer could not be read"


def judge(spec: Assignment, student_id: str, outcome: Outcome) -> list[TaskGrade]:
    """Score each task of one submission on the grader's own copy of the student's data."""
    if outcome.status in _NOT_RUN and not outcome.answers:
        return [TaskGrade(task, 0, None, "no answer") for task in spec.tasks]
    data = assignment_data(spec.name, student_id)
    grades = []
    for task in spec.tasks:
        if task.variable not in outcome.answers:
            stopped = outcome.status in (ERROR, TIMEOUT, TOO_LARGE)
            note = (
                "no answer: the notebook stopped before this task"
                if stopped
                else f"no answer: `{task.variable}` was not set"
            )
            grades.append(TaskGrade(task, 0, None, note))
            continue
        value, problem = decode(outcome.answers[task.variable])
        if problem:
            grades.append(TaskGrade(task, 0, None, f"`{task.variable}`: {problem}"))
            continue
        try:
            with slip_hints():  # the instructor's feedback names the slip; the notebook does not
                result = _tasks.rule(spec.name, task.key).judge(value, data)
        except Exception as error:  # a check that cannot judge the value scores nothing
            reason = plain(type(error).__name__, 60)
            grades.append(TaskGrade(task, 0, None, f"could not be checked ({reason})"))
            continue
        grades.append(TaskGrade(task, int(bool(result.correct)), result))
    return grades


# ---------------------------------------------------------------------------------------------
# Feedback


def _status_text(outcome: Outcome, student_id: str) -> list[str]:
    lines = []
    if outcome.status == MISSING:
        lines.append("No submission was found, so every task scores 0.")
    elif outcome.status == AMBIGUOUS:
        lines.append(
            "More than one notebook could be this submission; none was graded. Hand in one. "
            "The notebooks found:"
        )
    elif outcome.status == REFUSED:
        lines.append(f"Your submission was not graded: {outcome.message}. Hand in the file itself.")
    elif outcome.status == GRADER_FAILED:
        lines.append(
            "The grader failed on this submission (not your notebook's fault as far as it can "
            "tell); every task scores 0 until your instructor grades it again."
        )
    elif outcome.status == UNREADABLE:
        lines.append(f"The notebook could not be run: {outcome.message}.")
    elif outcome.status == RAN:
        lines.append("Your notebook ran from top to bottom.")
    elif outcome.status in (TIMEOUT, TOO_LARGE):
        lines.append(
            f"Your notebook was stopped: {outcome.message}. The answers it had reached were graded."
        )
    else:
        lines.append(
            f"Your notebook stopped with an error ({outcome.message}). The answers set before "
            "the error were graded; the tasks after it score 0."
        )
    if outcome.detail:
        lines += ["", "What the notebook reported (shortened):", "", quoted(outcome.detail)]
    if outcome.notebook_id is not None and str(outcome.notebook_id) != student_id:
        lines.append(
            f"\nYour notebook changed `student_id`. Your answers were graded on the data of your "
            f"own id, `{student_id}`."
        )
    return lines


def feedback_text(student_id: str, graded: list[tuple[Assignment, Outcome, list[TaskGrade]]]):
    """The Markdown feedback of one student: per assignment, how it ran and each task.

    ``student_id`` is the roster's; any text that comes from the notebook (an error, the type of
    an answer, a file name) is shown fenced and cut (:func:`~hlmtutor.course._safeio.quoted`).
    """
    lines = [f"# Feedback for {student_id}", ""]
    for spec, outcome, grades in graded:
        points = sum(grade.points for grade in grades)
        lines += [
            f"## {spec.name}: {spec.title} ({points} of {len(grades)})",
            "",
            *_status_text(outcome, student_id),
            "",
        ]
        for grade in grades:
            mark = "correct" if grade.points else "not correct"
            if grade.result is not None:
                detail = grade.result.message
            else:
                detail = grade.note[:1].upper() + grade.note[1:] + "."
            lines.append(
                f"- **{grade.task.key}** ({grade.task.quantity}): {mark}, "
                f"{grade.points} point{'s' * (grade.points != 1)}. {detail}"
            )
        lines += [
            "",
            "The questions to answer in words are read by your instructor; they are not part of "
            "this score.",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------
# The whole class


_DUMPABLE_GET, _DUMPABLE_SET = 3, 4  # prctl options PR_GET_DUMPABLE, PR_SET_DUMPABLE


def _set_dumpable(value: int | None) -> int | None:
    """Make the grader's /proc entries (environment, memory) unreadable to the notebooks' user.

    Returns the previous value (None off Linux), to be restored at the end.
    """
    if value is None or not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        previous = libc.prctl(_DUMPABLE_GET, 0, 0, 0, 0)
        libc.prctl(_DUMPABLE_SET, value, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - no prctl
        return None
    return previous if previous >= 0 else None


def _existing_outputs(out_dir: Path) -> list[str]:
    names = [SCORES_FILE, PROGRESS_FILE, FEEDBACK_DIR, EXECUTED_DIR]
    return [
        str(out_dir / name)
        for name in names
        if (out_dir / name).exists() or is_link(out_dir / name)
    ]


def _clear_outputs(out_dir: Path) -> None:
    for name in (SCORES_FILE, PROGRESS_FILE):
        path = out_dir / name
        if path.exists() or is_link(path):
            path.unlink()
    for name in (FEEDBACK_DIR, EXECUTED_DIR):
        path = out_dir / name
        if is_link(path):
            path.unlink()
        elif path.exists():
            shutil.rmtree(path)


def _validate(timeout: float, jobs: int) -> None:
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a whole number of at least 1; got {jobs!r}")
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise ValueError(
            f"timeout must be a finite, positive number of seconds (such as 300); got {timeout!r}"
        )


def _csv_row(values: Sequence[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue().encode("utf-8")


class _Writer:
    """Writes each student's feedback, executed notebooks and score row as they finish."""

    def __init__(self, out: OutputFolder, columns: list[str]) -> None:
        self.out = out
        self.columns = columns
        self.feedback = out.sub(FEEDBACK_DIR)
        self.executed = out.sub(EXECUTED_DIR)
        self.lock = threading.Lock()
        out.append(PROGRESS_FILE, _csv_row(columns))

    def student(self, student_id: str, graded, kept: dict[str, bytes]) -> dict[str, Any]:
        row: dict[str, Any] = {"student_id": student_id}
        for spec, _, grades in graded:
            for task_grade in grades:
                row[f"{spec.name}_{task_grade.task.key}"] = task_grade.points
        row["total"] = sum(value for key, value in row.items() if key != "student_id")
        with self.lock:
            self.feedback.write(
                f"{student_id}.md", feedback_text(student_id, graded).encode("utf-8")
            )
            if kept:
                folder = self.executed.sub(student_id)
                try:
                    for name, data in kept.items():
                        folder.write(name, data)
                finally:
                    folder.close()
            self.out.append(PROGRESS_FILE, _csv_row([row[column] for column in self.columns]))
        return row

    def close(self) -> None:
        self.feedback.close()
        self.executed.close()


def _grade_one(
    folder: Path, student_id: str, spec: Assignment, timeout: float
) -> tuple[Outcome, list[TaskGrade], bytes | None]:
    """Run and judge one submission; an exception of the grader is this submission's only."""
    try:
        found = find_submission(folder, student_id, spec)
        raw = None
        if not found:
            outcome = Outcome(MISSING)
        elif len(found) > 1:
            names = "\n".join(path.name for path in found)
            outcome = Outcome(AMBIGUOUS, detail=names)
        elif is_link(found[0]):
            outcome = _refused(
                "the submission is a symbolic link, which the grader does not follow"
            )
        else:
            outcome, raw = run_submission(found[0], student_id, spec, timeout=timeout)
            outcome.submission = found[0]
        return outcome, judge(spec, student_id, outcome), raw
    except Exception as error:  # noqa: BLE001 - recorded for this student; the class goes on
        outcome = Outcome(GRADER_FAILED, message=f"{type(error).__name__}: {plain(error, 300)}")
        return outcome, [TaskGrade(task, 0, None, "not graded") for task in spec.tasks], None


def grade_submissions(
    submissions: str | Path,
    roster: pd.DataFrame | str | Path,
    out: str | Path,
    assignments: str | Sequence[str] | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    jobs: int = 1,
    force: bool = False,
) -> pd.DataFrame:
    """:func:`hlmtutor_instructor.instructor.grade` (documented there)."""
    for module in ("papermill", "ipykernel"):
        try:
            __import__(module)
        except ImportError as error:
            raise ImportError(f"grading needs {module}: pip install 'hlmtutor[course]'") from error
    _validate(timeout, jobs)
    tampered = installed_mismatches()
    if tampered:
        raise GradingAborted(
            "the installed hlmtutor package differs from the wheel it was installed from ("
            + ", ".join(plain(path, 200) for path in tampered[:5])
            + "): an earlier notebook may have changed it. Nothing was graded: reinstall "
            "hlmtutor (pip install --force-reinstall) and grade again"
        )
    folder = Path(submissions)
    if is_link(folder) or not folder.is_dir():
        raise FileNotFoundError(f"submissions folder {folder}: no such folder (or a link)")
    ids = roster_ids(roster)
    if assignments is None:
        names = submitted_assignments(folder, ids)
        if not names:
            raise ValueError(
                f"no submissions in {folder} for any student of the roster (looked for "
                f"<id>/<notebook>.ipynb, e.g. {ids[0]}/{ASSIGNMENTS['a1'].notebook}); name the "
                "assignments (--assignments a1) to write a row of zeros for everyone"
            )
    else:
        names = parse_assignments(assignments)
    out_dir = Path(out)
    existing = _existing_outputs(out_dir)
    if existing and not force:
        raise FileExistsError(
            f"{', '.join(existing)} exist already; nothing was graded. Grade into another "
            "folder, or use force=True (--force) to replace them"
        )
    if existing:
        _clear_outputs(out_dir)
    unmatched = unmatched_folders(folder, ids)

    columns = ["student_id"]
    columns += [f"{name}_{task.key}" for name in names for task in ASSIGNMENTS[name].tasks]
    columns.append("total")
    output = OutputFolder(out_dir)
    writer = _Writer(output, columns)
    previous_dumpable = _set_dumpable(0)
    rows: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    try:
        baseline = package_fingerprint()

        def one_student(student_id: str) -> str:
            graded, kept = [], {}
            for name in names:
                spec = ASSIGNMENTS[name]
                outcome, grades, raw = _grade_one(folder, student_id, spec, timeout)
                if outcome.status == GRADER_FAILED:
                    failures.append(f"{student_id}/{name}: {outcome.message}")
                if raw is not None:
                    kept[f"{Path(spec.notebook).stem}.ipynb"] = raw
                graded.append((spec, outcome, grades))
            rows[student_id] = writer.student(student_id, graded, kept)
            return student_id

        queue = list(ids)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            running: dict[Future, str] = {}
            while queue or running:
                # A student starts only once the package was found unchanged after the ones
                # before: no one is graded by a grader a notebook has rigged.
                while queue and len(running) < jobs:
                    student_id = queue.pop(0)
                    running[pool.submit(one_student, student_id)] = student_id
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                suspects = list(running.values())
                for future in done:
                    running.pop(future)
                    future.result()
                changed = _changed(baseline, package_fingerprint())
                if changed:
                    raise GradingAborted(
                        "the installed hlmtutor package changed while grading ("
                        + ", ".join(plain(path, 200) for path in changed[:5])
                        + "); one of the submissions graded then changed it: "
                        + ", ".join(suspects)
                        + ". Grading stopped: reinstall hlmtutor (pip install "
                        "--force-reinstall), then grade again; the rows graded so far are in "
                        f"{PROGRESS_FILE}"
                    )
        scores = pd.DataFrame([rows[student_id] for student_id in ids], columns=columns)
        output.write(SCORES_FILE, scores.to_csv(index=False).encode("utf-8"))
        output.remove(PROGRESS_FILE)
    finally:
        _set_dumpable(previous_dumpable)
        writer.close()
        output.close()
    scores.attrs["unmatched_folders"] = unmatched
    scores.attrs["grader_failures"] = failures
    return scores
