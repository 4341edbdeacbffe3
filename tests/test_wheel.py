"""The built wheels in a fresh virtual environment with no source tree: a student's, then an
instructor's.

Builds the ``hlmtutor`` wheel and the ``hlmtutor-instructor`` wheel (``instructor/``), installs
the first (with the ``course`` extra) into a new venv and records what a student's install offers:
the wheel's files, whether ``hlmtutor.course.expected`` imports, what ``hlmtutor grade`` says.
Then it installs the instructor's wheel and, from an empty folder: writes assignment 1 for a
three-student roster, hands back one notebook with right answers, one with wrong answers and one
that fails part-way, grades them, and reads scores.csv and the feedback. pip needs its index (or
its cache) for the dependencies.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from test_grading import A1_FAILING, A1_NOTEBOOK, A1_RIGHT, A1_WRONG, fill, hand_in

ROOT = Path(__file__).resolve().parents[1]
BIN = "Scripts" if os.name == "nt" else "bin"


def run(
    command: list[str], cwd: Path, timeout: float = 300, check: bool = True
) -> subprocess.CompletedProcess:
    env = {
        key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")
    }
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    if check:
        assert done.returncode == 0, (
            f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done


STUDENT_PROBE = """
import importlib.util, inspect, hlmtutor.course as course
missing = [name for name in ("expected", "_fits", "_grading", "instructor", "_roster")
           if importlib.util.find_spec("hlmtutor.course." + name) is not None]
print("found:", missing)
print("instructor:", importlib.util.find_spec("hlmtutor_instructor") is not None)
print("public:", sorted(name for name in course.__all__ if callable(getattr(course, name))))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, object]]:
    """The bin folder of a fresh venv with both wheels of this tree installed, and what the venv
    offered when only the student's wheel (hlmtutor) was installed."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a copy: building in the tree would leave build/ behind
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", "NOTICE", "MANIFEST.in"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "hlmtutor", source / "hlmtutor", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(
        ROOT / "instructor", work / "instructor", ignore=shutil.ignore_patterns("__pycache__")
    )
    for folder in (source, work / "instructor"):
        run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"),
             str(folder)],
            work,
        )  # fmt: skip
    wheel = next((work / "dist").glob("hlmtutor-*.whl"))
    instructor_wheel = next((work / "dist").glob("hlmtutor_instructor-*.whl"))
    run([sys.executable, "-m", "venv", str(work / "venv")], work)
    bin_dir = work / "venv" / BIN
    run([str(bin_dir / "python"), "-m", "pip", "install", "-q", f"{wheel}[course]"], work, 600)

    student: dict[str, object] = {"files": zipfile.ZipFile(wheel).namelist()}
    student["probe"] = run([str(bin_dir / "python"), "-c", STUDENT_PROBE], work).stdout
    student["expected"] = run(
        [str(bin_dir / "python"), "-c", "import hlmtutor.course.expected"], work, check=False
    )
    (work / "roster.csv").write_text("student_id\nada\n")
    student["assignment"] = run(
        [str(bin_dir / "hlmtutor"), "assignment", "--roster", "roster.csv", "--out", "class"],
        work,
        check=False,
    )

    run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(instructor_wheel)], work, 600)
    return bin_dir, student


@pytest.mark.slow
def test_the_students_wheel_computes_no_answer(installed):
    _, student = installed
    modules = {name for name in student["files"] if name.endswith(".py")}
    assert "hlmtutor/course/checks.py" in modules
    for name in ("expected", "_fits", "_grading", "instructor", "_roster"):
        assert f"hlmtutor/course/{name}.py" not in modules, name
    assert not any("hlmtutor_instructor" in name for name in student["files"])
    assert "found: []" in student["probe"] and "instructor: False" in student["probe"]
    # The public callables: the data, and checks that open seals (none returns a value).
    assert (
        "public: ['Assignment', 'CheckResult', 'Task', 'Tolerance', 'assignment_data', "
        in (student["probe"])
    )
    expected = student["expected"]
    assert expected.returncode == 1 and "No module named 'hlmtutor.course.expected'" in (
        expected.stderr
    )
    assignment = student["assignment"]
    assert assignment.returncode == 1 and "pip install ./instructor" in assignment.stderr


@pytest.mark.slow
def test_an_instructors_round_from_the_wheel(installed, tmp_path):
    installed, _ = installed
    python = str(installed / "python")
    # The package imported is the installed one, not this tree.
    where = run(
        [python, "-c", "import hlmtutor; print(hlmtutor.__file__, hlmtutor.__version__)"], tmp_path
    )
    assert str(ROOT) not in where.stdout and "site-packages" in where.stdout
    assert where.stdout.split()[1] != "0+unknown"
    # The licence and the third-party notices travel with the package.
    shipped = run(
        [python, "-c", "import importlib.metadata as m; print(m.files('hlmtutor'))"], tmp_path
    )
    assert "licenses/LICENSE" in shipped.stdout and "licenses/NOTICE" in shipped.stdout

    (tmp_path / "roster.csv").write_text("student_id,name\nada,Ada\nben,Ben\ncy,Cy\n")
    hlmtutor = str(installed / "hlmtutor")
    run(
        [hlmtutor, "assignment", "--roster", "roster.csv", "--out", "class", "--assignments", "a1"],
        tmp_path,
    )
    for student in ("ada", "ben", "cy"):
        notebook = nbformat.read(tmp_path / "class" / student / A1_NOTEBOOK, 4)
        markdown = "".join(c.source for c in notebook.cells if c.cell_type == "markdown")
        assert "{doc}" not in markdown and ":::" not in markdown

    returned = tmp_path / "returned"
    for student, answers in (("ada", A1_RIGHT), ("ben", A1_WRONG), ("cy", A1_FAILING)):
        notebook = nbformat.read(tmp_path / "class" / student / A1_NOTEBOOK, 4)
        hand_in(returned, student, fill(notebook, answers))

    done = run(
        [hlmtutor, "grade", "returned", "--roster", "roster.csv", "--out", "grades", "--jobs", "2"],
        tmp_path,
    )
    assert "graded 3 students" in done.stderr

    scores = pd.read_csv(tmp_path / "grades" / "scores.csv", dtype={"student_id": str})
    tasks = [
        f"a1_{task}"
        for task in ("mean_math", "sd_math_classroom_1", "ses_cm", "ses_cwc", "ses_cm_gmc")
    ]
    assert list(scores.columns) == ["student_id", *tasks, "total"]
    by_id = scores.set_index("student_id")
    assert by_id.loc["ada"].tolist() == [1, 1, 1, 1, 1, 5]
    assert by_id.loc["ben"].tolist() == [0, 0, 0, 0, 0, 0]
    assert by_id.loc["cy"].tolist() == [1, 1, 0, 0, 0, 2]

    feedback = {
        s: (tmp_path / "grades" / "feedback" / f"{s}.md").read_text() for s in ("ada", "ben", "cy")
    }
    assert "ran from top to bottom" in feedback["ada"] and "(5 of 5)" in feedback["ada"]
    for hint in (
        "n - 1",
        "classroom means centered at the mean over all students",
        "column itself",
    ):
        assert hint in feedback["ben"], hint
    assert "RuntimeError: stuck on the classroom means" in feedback["cy"]
    assert "(2 of 5)" in feedback["cy"]
    assert (tmp_path / "grades" / "executed" / "cy" / A1_NOTEBOOK).is_file()
