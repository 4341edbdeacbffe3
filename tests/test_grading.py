"""``hlmtutor grade``: answers recorded in the kernel, judged on the grader's data, scores and feedback.

The fast tests drive the grader with a stand-in for the notebook runner; the slow ones execute real
notebooks (a kernel each). ``tests/test_wheel.py`` runs the whole round from an installed wheel.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from hlmtutor.course import ASSIGNMENTS, assignment_data
from hlmtutor.course._recorder import encode, snapshot
from hlmtutor.course._runner import RECORDER_TAG, recorder_cell
from hlmtutor_instructor import _grading as grading
from hlmtutor_instructor.expected import expected_centered
from hlmtutor_instructor.instructor import grade, notebook_source, student_notebook

A1 = ASSIGNMENTS["a1"]
A1_NOTEBOOK = "a1-descriptives-centering.ipynb"

# Code that answers every task of assignment 1 right, and code with a typical slip per task.
A1_RIGHT = {
    "my_mean = None": 'my_mean = data["math_score"].mean()',
    "my_sd = None": 'my_sd = data.loc[data["classroom_id"] == 1, "math_score"].std()',
    "my_ses_cm = None": 'my_ses_cm = data.groupby("classroom_id")["ses"].transform("mean")',
    "my_ses_cwc = None": 'my_ses_cwc = data["ses"] - my_ses_cm',
    "my_ses_cm_gmc = None": (
        'my_ses_cm_gmc = my_ses_cm - my_ses_cm.groupby(data["classroom_id"]).first().mean()'
    ),
}
A1_WRONG = {
    "my_mean = None": 'my_mean = data["math_score"].median()',
    "my_sd = None": 'my_sd = data.loc[data["classroom_id"] == 1, "math_score"].std(ddof=0)',
    "my_ses_cm = None": 'my_ses_cm = data["ses"] - data["ses"].mean()',
    "my_ses_cwc = None": 'my_ses_cwc = data["ses"]',
    # Centered at the mean over students: wrong because the classrooms differ in size.
    "my_ses_cm_gmc = None": (
        'my_ses_cm_gmc = data.groupby("classroom_id")["ses"].transform("mean") - data["ses"].mean()'
    ),
}
# Right up to task 2, then an error before task 3.
A1_FAILING = {
    **{key: A1_RIGHT[key] for key in ("my_mean = None", "my_sd = None")},
    "my_ses_cm = None": 'raise RuntimeError("stuck on the classroom means")',
}


def fill(notebook, answers: dict[str, str]):
    """The notebook with each placeholder line replaced by an answer."""
    for cell in notebook.cells:
        for placeholder, answer in answers.items():
            cell.source = cell.source.replace(placeholder, answer)
    return notebook


def hand_in(folder: Path, student_id: str, notebook, name: str = A1_NOTEBOOK) -> Path:
    path = folder / student_id / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


# ---------------------------------------------------------------------------------------------
# What the kernel records, and how the grader reads it back


def test_recorded_answers_round_trip():
    data = assignment_data("a1", "s001")
    namespace = {
        "my_mean": np.float64(51.5),
        "my_sd": 7,
        "my_ses_cm": data["ses"],
        "my_ses_cwc": None,
        "my_ses_cm_gmc": "a string",
        "student_id": "s001",
        "unrelated": object(),
    }
    recorded = json.loads(json.dumps(snapshot(namespace, [t.variable for t in A1.tasks])))
    assert recorded["student_id"] == "s001"
    assert set(recorded["answers"]) == {t.variable for t in A1.tasks}
    assert grading.decode(recorded["answers"]["my_mean"]) == (51.5, "")
    assert grading.decode(recorded["answers"]["my_sd"]) == (7.0, "")
    column, problem = grading.decode(recorded["answers"]["my_ses_cm"])
    assert problem == "" and np.allclose(column, data["ses"])
    assert grading.decode(recorded["answers"]["my_ses_cwc"]) == (None, "")
    assert "str" in grading.decode(recorded["answers"]["my_ses_cm_gmc"])[1]


@pytest.mark.parametrize(
    "recorded",
    [
        {"kind": "number", "value": True},
        {"kind": "column", "values": ["1", 2]},
        {"kind": "mystery"},
        "not a dict",
    ],
)
def test_malformed_records_are_not_answers(recorded):
    value, problem = grading.decode(recorded)
    assert value is None and problem


def test_nan_and_one_value_series_are_numbers():
    assert encode(float("nan")) == {"kind": "number", "value": None}
    assert encode(pd.Series([2.5])) == {"kind": "number", "value": 2.5}
    assert np.isnan(grading.decode({"kind": "number", "value": None})[0])


def test_the_recorder_cell_is_first_and_names_the_variables():
    cell = recorder_cell("answers.json", ["my_mean"])
    assert RECORDER_TAG in cell.metadata["tags"]
    assert "record_answers('answers.json', ['my_mean'])" in cell.source


# ---------------------------------------------------------------------------------------------
# Judging: the grader's own data, never the notebook's


def right_answers(student_id: str) -> dict:
    data = assignment_data("a1", student_id)
    values = {
        "my_mean": float(data["math_score"].mean()),
        "my_sd": float(data.loc[data["classroom_id"] == 1, "math_score"].std()),
        "my_ses_cm": expected_centered(data, kind="group_mean"),
        "my_ses_cwc": expected_centered(data, kind="within"),
        "my_ses_cm_gmc": expected_centered(data, kind="cluster_grand"),
    }
    return {name: encode(value) for name, value in values.items()}


def test_right_answers_score_on_the_rosters_data_only():
    outcome = grading.Outcome(grading.RAN, right_answers("s001"), "s001")
    assert [g.points for g in grading.judge(A1, "s001", outcome)] == [1] * 5
    # The same values handed in under another roster id are judged on that id's data.
    assert [g.points for g in grading.judge(A1, "s002", outcome)] == [0] * 5


def test_a_failed_notebook_is_graded_on_what_ran():
    answers = {k: v for k, v in right_answers("s001").items() if k in ("my_mean", "my_sd")}
    outcome = grading.Outcome(grading.ERROR, answers, "s001", "the cell ... raised KeyError: 'x'")
    grades = grading.judge(A1, "s001", outcome)
    assert [g.points for g in grades] == [1, 1, 0, 0, 0]
    text = grading.feedback_text("s001", [(A1, outcome, grades)])
    assert "stopped with an error" in text and "KeyError: 'x'" in text
    assert text.count("the notebook stopped before this task") == 3
    assert "(2 of 5)" in text


def test_feedback_never_shows_the_right_value():
    data = assignment_data("a1", "s001")
    outcome = grading.Outcome(grading.RAN, {"my_mean": encode(1.0)}, "s001")
    text = grading.feedback_text("s001", [(A1, outcome, grading.judge(A1, "s001", outcome))])
    right = float(data["math_score"].mean())
    for shown in (f"{right:.2f}", f"{right:.3f}", f"{right:.1f}"):
        assert shown not in text


def test_a_changed_student_id_is_reported():
    outcome = grading.Outcome(grading.RAN, {}, "s999")
    text = grading.feedback_text("s001", [(A1, outcome, grading.judge(A1, "s001", outcome))])
    assert "changed `student_id`" in text and "s999" not in text  # the notebook's id is not shown


# ---------------------------------------------------------------------------------------------
# Finding submissions and writing the class's scores (the runner stood in for)


def test_find_submission(tmp_path):
    folder = tmp_path / "s001"
    folder.mkdir()
    assert grading.find_submission(tmp_path, "s001", A1) == []
    (folder / "a1 my work.ipynb").write_text("{}")
    (folder / "a1-checkpoint.ipynb").write_text("{}")
    (folder / "a2-null-model-icc.ipynb").write_text("{}")
    assert [p.name for p in grading.find_submission(tmp_path, "s001", A1)] == ["a1 my work.ipynb"]
    (folder / "a1-second-try.ipynb").write_text("{}")
    assert len(grading.find_submission(tmp_path, "s001", A1)) == 2
    (folder / A1_NOTEBOOK).write_text("{}")  # the name it was handed out with wins
    assert [p.name for p in grading.find_submission(tmp_path, "s001", A1)] == [A1_NOTEBOOK]


def test_grade_writes_scores_and_feedback(tmp_path, monkeypatch):
    returned = tmp_path / "returned"
    for student in ("s001", "s002"):
        (returned / student).mkdir(parents=True)
        (returned / student / A1_NOTEBOOK).write_text("{}")
    (returned / "s003").mkdir()
    (returned / "s003" / "a1-a.ipynb").write_text("{}")
    (returned / "s003" / "a1-b.ipynb").write_text("{}")
    ran = []

    def fake_run(notebook, student_id, spec, *, timeout):
        ran.append(student_id)
        if student_id == "s001":
            return grading.Outcome(grading.RAN, right_answers("s001"), "s001"), b"{}"
        return grading.Outcome(grading.TIMEOUT, {}, None, "the notebook did not finish"), None

    monkeypatch.setattr(grading, "run_submission", fake_run)
    roster = pd.DataFrame({"student_id": ["s001", "s002", "s003", "s004"]})
    scores = grade(returned, roster, tmp_path / "grades")
    assert sorted(ran) == ["s001", "s002"]
    on_disk = pd.read_csv(tmp_path / "grades" / "scores.csv", dtype={"student_id": str})
    pd.testing.assert_frame_equal(on_disk, scores)
    assert scores.set_index("student_id")["total"].to_dict() == {
        "s001": 5,
        "s002": 0,
        "s003": 0,
        "s004": 0,
    }
    feedback = tmp_path / "grades" / "feedback"
    assert "was stopped" in (feedback / "s002.md").read_text()
    assert "More than one notebook" in (feedback / "s003.md").read_text()
    assert "No submission was found" in (feedback / "s004.md").read_text()


def test_grade_needs_the_course_extra(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_papermill(name, *args, **kwargs):
        if name == "papermill":
            raise ImportError("No module named 'papermill'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_papermill)
    with pytest.raises(ImportError, match=r"hlmtutor\[course\]"):
        grade(tmp_path, pd.DataFrame({"student_id": ["s1"]}), tmp_path / "g", "a1")


# ---------------------------------------------------------------------------------------------
# Real notebooks (slow: a kernel each)


@pytest.mark.slow
def test_the_roster_id_is_injected_and_a_notebook_is_stopped_at_the_time_limit(tmp_path):
    returned = tmp_path / "returned"
    # s001 answers task 1, then never finishes.
    looping = fill(
        student_notebook(notebook_source("a1"), "s001"),
        {**A1_RIGHT, "my_sd = None": "while True:\n    pass"},
    )
    hand_in(returned, "s001", looping)
    # s002 deletes the injected id and writes another into the parameters cell: papermill puts
    # the roster's id back, so the answers (computed in the notebook) are right for s002.
    notebook = fill(student_notebook(notebook_source("a1"), "s002"), A1_RIGHT)
    notebook.cells = [
        cell
        for cell in notebook.cells
        if "injected-parameters" not in cell.metadata.get("tags", [])
    ]
    parameters = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    parameters.source = 'student_id = "s001"'
    hand_in(returned, "s002", notebook)

    roster = pd.DataFrame({"student_id": ["s001", "s002"]})
    scores = grade(returned, roster, tmp_path / "grades", timeout=45, jobs=2)
    by_id = scores.set_index("student_id")
    assert by_id.loc["s002", "total"] == 5
    assert by_id.loc["s001", "a1_mean_math"] == 1 and by_id.loc["s001", "total"] == 1
    feedback = (tmp_path / "grades" / "feedback" / "s001.md").read_text()
    assert "time limit of 45 s" in feedback
    assert "changed `student_id`" not in (tmp_path / "grades" / "feedback" / "s002.md").read_text()
    executed = nbformat.read(tmp_path / "grades" / "executed" / "s002" / A1_NOTEBOOK, 4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'student_id = "s002"' in injected[0].source


def bash_blocks(markdown: str) -> list[str]:
    import re

    return re.findall(r"^```bash\n(.*?)^```", markdown, re.M | re.S)


@pytest.mark.slow
def test_the_instructor_pages_round_runs_as_written(tmp_path):
    """Every ```bash block of book/assignments/index.md, in order, in an empty folder."""
    import os
    import subprocess
    import sys

    page = Path(__file__).resolve().parents[1] / "book" / "assignments" / "index.md"
    blocks = bash_blocks(page.read_text(encoding="utf-8"))
    script = "\n".join(
        line
        for block in blocks
        for line in block.splitlines()
        if not line.startswith("pip install")
    )
    assert "hlmtutor assignment" in script and "hlmtutor grade" in script
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    scores = pd.read_csv(tmp_path / "grades" / "scores.csv", dtype={"student_id": str})
    assert scores["student_id"].tolist() == ["s001", "s002", "s003"]
    assert (scores["total"] == 0).all()  # the dry run hands back unanswered notebooks
    assert "No submission was found" in done.stdout  # the page shows s003's feedback
    assert (tmp_path / "a1-key.csv").is_file() and not (
        tmp_path / "class-2026" / "answer_key.csv"
    ).exists()


@pytest.mark.parametrize("package", ["hlmtutor.course", "hlmtutor_instructor"])
def test_course_modules_import_each_other_in_no_circle(package):
    """No module of the package imports, directly or not, a module that imports it."""
    import ast
    import importlib

    folder = Path(importlib.import_module(package).__file__).parent
    edges = {}
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges[path.stem] = {
            (node.module or "").split(".")[0] or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level == 1
            for alias in node.names
        } - {path.stem}
    edges = {module: targets & edges.keys() for module, targets in edges.items()}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(
            target == goal or (target not in seen and reaches(target, goal, seen | {target}))
            for target in edges[start]
        )

    circles = sorted(module for module in edges if reaches(module, module, {module}))
    if package == "hlmtutor_instructor":
        assert edges["instructor"] >= {"_grading", "_roster"}  # the test sees the imports
    else:
        assert edges["assignments"] >= {"checks"}
    assert circles == []
