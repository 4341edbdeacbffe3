"""``hlmtutor grade``: re-execute the submitted notebooks and score their answers.

For each student of the roster and each assignment, the grader

1. finds the submission (``SUBMISSIONS/<id>/<notebook>.ipynb``, or the one ``.ipynb`` in
   ``SUBMISSIONS/<id>/`` whose name starts with the assignment's name);
2. copies it, with that student's data, into a scratch folder of its own (nothing else is in
   it: not the key, not the other submissions);
3. executes it there in a subprocess (:mod:`hlmtutor.course._runner`, papermill and a kernel of
   the grader's own Python), with the roster's id injected into the cell tagged ``parameters``
   and a time limit for the whole notebook; a first cell added by the grader records the answer
   variables after every cell (:mod:`hlmtutor.course._recorder`);
4. reads back the recorded answers, and only those, and judges each one with the task's check
   on data the grader builds from the roster's id.

It writes ``scores.csv`` (``student_id``, one column per task, ``total``), ``feedback/<id>.md``
and ``executed/<id>/<notebook>.ipynb`` (the executed copy, for reading the answers in words).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .assignments import ASSIGNMENTS, Assignment, Task, assignment_data
from .checks import CheckResult

SCORES_FILE = "scores.csv"
FEEDBACK_DIR = "feedback"
EXECUTED_DIR = "executed"
ANSWERS_FILE = "answers.json"
KERNEL_NAME = "hlmtutor-grader"
DEFAULT_TIMEOUT = 300.0
MAX_ANSWERS_BYTES = 20_000_000
# What the notebook's process inherits of the grader's environment (nothing else: no tokens).
_ENV_KEPT = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "SYSTEMROOT",
    "SYSTEMDRIVE",
    "WINDIR",
    "COMSPEC",
    "PATHEXT",
)

RAN, ERROR, TIMEOUT, UNREADABLE, MISSING, AMBIGUOUS = (
    "ran",
    "error",
    "timeout",
    "unreadable",
    "missing",
    "ambiguous",
)


@dataclass
class Outcome:
    """What running one submission gave."""

    status: str
    answers: dict[str, Any] = field(default_factory=dict)
    notebook_id: Any = None  # the student_id the notebook ended with
    message: str = ""  # for the feedback: what went wrong
    executed: Path | None = None
    submission: Path | None = None


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
    if exact.is_file():
        return [exact]
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.glob("*.ipynb")
        if path.is_file()
        and not path.name.endswith("-checkpoint.ipynb")
        and path.name.lower().startswith(spec.name)
    )


def find_submission(submissions: Path, student_id: str, spec: Assignment) -> list[Path]:
    """The notebooks that may be a student's submission of an assignment (ideally one)."""
    return _candidates(Path(submissions) / student_id, spec)


def submitted_assignments(submissions: Path, student_ids: Iterable[str]) -> list[str]:
    """The assignments of which at least one student of the roster submitted a notebook."""
    ids = list(student_ids)
    return [
        name
        for name, spec in ASSIGNMENTS.items()
        if any(find_submission(submissions, student_id, spec) for student_id in ids)
    ]


# ---------------------------------------------------------------------------------------------
# Running one submission


def _kernel_spec(folder: Path) -> None:
    """A kernel of the grader's own Python, so no other kernelspec named python3 is used."""
    spec = folder / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    kernel = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "hlmtutor grader (Python 3)",
        "language": "python",
    }
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")


def _environment(scratch: Path, kernels: Path) -> dict[str, str]:
    env = {name: os.environ[name] for name in _ENV_KEPT if name in os.environ}
    env.update(
        JUPYTER_PATH=str(kernels),
        JUPYTER_PLATFORM_DIRS="1",
        MPLBACKEND="Agg",
        TMPDIR=str(scratch),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONIOENCODING="utf-8",
    )
    return env


def _first_error(notebook_path: Path) -> str:
    """The first error a cell of the executed notebook printed, with the start of that cell."""
    import nbformat

    try:
        notebook = nbformat.read(notebook_path, as_version=4)
    except Exception:
        return ""
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                first = next((line for line in cell.source.splitlines() if line.strip()), "")
                value = str(output.get("evalue", ""))[:500]
                return (
                    f"the cell that begins `{first[:80]}` raised "
                    f"{output.get('ename', 'an error')}: {value}"
                )
    return ""


def _read_answers(path: Path) -> tuple[dict[str, Any], Any]:
    if not path.is_file() or path.stat().st_size > MAX_ANSWERS_BYTES:
        return {}, None
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {}, None
    if not isinstance(recorded, dict) or not isinstance(recorded.get("answers"), dict):
        return {}, None
    return recorded["answers"], recorded.get("student_id")


def run_submission(
    notebook: Path,
    student_id: str,
    spec: Assignment,
    *,
    timeout: float,
    kernels: Path,
    keep: Path | None = None,
) -> Outcome:
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
    kernels : Path
        A folder with the grader's kernelspec (see :func:`_kernel_spec`).
    keep : Path, optional
        Where to copy the executed notebook.
    """
    stem = Path(spec.notebook).stem
    with (
        tempfile.TemporaryDirectory(prefix="hlmtutor-grade-") as scratch_dir,
        tempfile.TemporaryDirectory(prefix="hlmtutor-grader-") as private_dir,
    ):
        scratch, private = Path(scratch_dir), Path(private_dir)
        shutil.copyfile(notebook, scratch / f"{stem}.ipynb")
        assignment_data(spec.name, student_id).to_csv(
            scratch / f"{spec.name}-data.csv", index=False
        )
        executed = private / f"{stem}.ipynb"
        command = [
            sys.executable,
            "-m",
            "hlmtutor.course._runner",
            str(scratch / f"{stem}.ipynb"),
            str(executed),
            "--student-id",
            student_id,
            "--answers",
            ANSWERS_FILE,
            "--variables",
            ",".join(task.variable for task in spec.tasks),
            "--timeout",
            str(timeout),
            "--kernel",
            KERNEL_NAME,
        ]
        with open(private / "runner.log", "w+", encoding="utf-8") as log:
            process = subprocess.Popen(
                command,
                cwd=scratch,
                env=_environment(scratch, kernels),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=os.name == "posix",
            )
            try:
                code = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill(process)
                code = None
            log.seek(0)
            runner_log = log.read()

        answers, notebook_id = _read_answers(scratch / ANSWERS_FILE)
        if keep is not None and executed.is_file():
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(executed, keep)
        error = _first_error(executed) if executed.is_file() else ""
        if code == 0:
            status, message = RAN, ""
        elif code is None or code == 4:
            status = TIMEOUT
            message = (
                f"the notebook did not finish within the time limit of {timeout:g} s and was "
                "stopped"
            )
        elif code == 1:
            status, message = ERROR, error or "a cell raised an error"
        else:
            status = UNREADABLE if not executed.is_file() else ERROR
            reason = _last_lines(runner_log)
            message = error or reason or f"the notebook could not be run (exit code {code})"
        return Outcome(
            status,
            answers,
            notebook_id,
            message,
            keep if keep is not None and keep.is_file() else None,
            notebook,
        )


def _last_lines(text: str, n: int = 3) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    wanted = [line for line in lines if line.startswith(("the notebook", "a cell"))]
    return " ".join((wanted or lines)[-n:])[:500]


def _kill(process: subprocess.Popen) -> None:
    """Stop the runner; its kernel, started in a session of its own, exits with its parent."""
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
        return None, f"it is not a number or a column (it is a {str(recorded.get('type'))[:60]})"
    return None, "the recorded answer could not be read"


def judge(spec: Assignment, student_id: str, outcome: Outcome) -> list[TaskGrade]:
    """Score each task of one submission on the grader's own copy of the student's data."""
    if outcome.status in (MISSING, AMBIGUOUS, UNREADABLE) and not outcome.answers:
        return [TaskGrade(task, 0, None, "no answer") for task in spec.tasks]
    data = assignment_data(spec.name, student_id)
    grades = []
    for task in spec.tasks:
        if task.variable not in outcome.answers:
            stopped = outcome.status in (ERROR, TIMEOUT)
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
            result = task.check(value, data)
        except Exception as error:  # a check that cannot judge the value scores nothing
            grades.append(TaskGrade(task, 0, None, f"could not be checked: {error}"))
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
            f"More than one notebook could be this submission ({outcome.message}); none was "
            "graded. Hand in one."
        )
    elif outcome.status == UNREADABLE:
        lines.append(f"The notebook could not be run: {outcome.message}.")
    elif outcome.status == RAN:
        lines.append("Your notebook ran from top to bottom.")
    elif outcome.status == TIMEOUT:
        lines.append(
            f"Your notebook was stopped: {outcome.message}. The answers it had reached were graded."
        )
    else:
        lines.append(
            f"Your notebook stopped with an error: {outcome.message}. The answers set before "
            "the error were graded; the tasks after it score 0."
        )
    if outcome.notebook_id is not None and str(outcome.notebook_id) != student_id:
        lines.append(
            f"Your notebook changed `student_id` to `{outcome.notebook_id}`. Your answers were "
            f"graded on the data of your own id, `{student_id}`."
        )
    return lines


def feedback_text(student_id: str, graded: list[tuple[Assignment, Outcome, list[TaskGrade]]]):
    """The Markdown feedback of one student: per assignment, how it ran and each task."""
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


def grade_submissions(
    submissions: str | Path,
    roster: pd.DataFrame | str | Path,
    out: str | Path,
    assignments: str | Sequence[str] | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    jobs: int = 1,
) -> pd.DataFrame:
    """:func:`hlmtutor.course.instructor.grade` (documented there)."""
    from .instructor import parse_assignments, roster_ids

    for module in ("papermill", "ipykernel"):
        try:
            __import__(module)
        except ImportError as error:
            raise ImportError(f"grading needs {module}: pip install 'hlmtutor[course]'") from error
    folder = Path(submissions)
    if not folder.is_dir():
        raise FileNotFoundError(f"submissions folder {folder}: no such folder")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1; got {jobs}")
    if timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds; got {timeout}")
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
    out_dir.mkdir(parents=True, exist_ok=True)

    jobs_list = [(student_id, ASSIGNMENTS[name]) for student_id in ids for name in names]
    with tempfile.TemporaryDirectory(prefix="hlmtutor-kernels-") as kernel_dir:
        kernels = Path(kernel_dir)
        _kernel_spec(kernels)

        def run(item: tuple[str, Assignment]) -> Outcome:
            student_id, spec = item
            found = find_submission(folder, student_id, spec)
            if not found:
                return Outcome(MISSING)
            if len(found) > 1:
                return Outcome(AMBIGUOUS, message=", ".join(path.name for path in found))
            keep = out_dir / EXECUTED_DIR / student_id / f"{Path(spec.notebook).stem}.ipynb"
            return run_submission(
                found[0], student_id, spec, timeout=timeout, kernels=kernels, keep=keep
            )

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            outcomes = list(pool.map(run, jobs_list))

    rows, feedback = [], {}
    for (student_id, spec), outcome in zip(jobs_list, outcomes, strict=True):
        grades = judge(spec, student_id, outcome)
        feedback.setdefault(student_id, []).append((spec, outcome, grades))
    for student_id in ids:
        row: dict[str, Any] = {"student_id": student_id}
        for spec, _, grades in feedback[student_id]:
            for task_grade in grades:
                row[f"{spec.name}_{task_grade.task.key}"] = task_grade.points
        row["total"] = sum(value for key, value in row.items() if key != "student_id")
        rows.append(row)
    scores = pd.DataFrame(rows)
    scores.to_csv(out_dir / SCORES_FILE, index=False)
    feedback_dir = out_dir / FEEDBACK_DIR
    feedback_dir.mkdir(exist_ok=True)
    for student_id, graded in feedback.items():
        (feedback_dir / f"{student_id}.md").write_text(
            feedback_text(student_id, graded), encoding="utf-8"
        )
    return scores
