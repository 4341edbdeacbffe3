"""hlmtutor.course: per-student seeds and data; the instructor's rosters, notebooks and key."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from hlmtutor.course import ASSIGNMENTS, assignment_data, student_seed
from hlmtutor_instructor.instructor import (
    answer_key,
    notebook_source,
    read_roster,
    student_notebook,
    write_assignments,
)

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "book" / "assignments"


def book_source(spec) -> Path:
    """The book's MyST page of an assignment (the source of the notebook hlmtutor ships)."""
    return SOURCES / f"{Path(spec.notebook).stem}.md"


def test_student_seed_is_a_stable_hash_of_the_id():
    digest = hashlib.sha256(b"hlmtutor-assignment:s001").digest()
    assert student_seed("s001") == int.from_bytes(digest[:8], "big") >> 1
    assert student_seed(" s001\t") == student_seed("s001")
    assert student_seed(7) == student_seed("7")
    seeds = {student_seed(f"s{i:03d}") for i in range(200)}
    assert len(seeds) == 200


def test_student_seed_rejects_an_empty_id():
    with pytest.raises(ValueError, match="student_id is empty"):
        student_seed("  ")


@pytest.mark.parametrize("name", ["a1", "a2", "a3"])
def test_a_students_data_never_changes(name, read_reference):
    """The data R's references were computed on is what the package still gives for s001."""
    committed = read_reference(f"check/{name}_s001.csv")
    pd.testing.assert_frame_equal(assignment_data(name, "s001"), committed, check_dtype=False)


def test_students_get_different_data_of_the_same_design():
    first, second = assignment_data("a2", "s001"), assignment_data("a2", "s002")
    assert first.shape == second.shape
    assert list(first.columns) == list(second.columns)
    assert not first["math_score"].equals(second["math_score"])
    design = ASSIGNMENTS["a2"].design
    assert first["classroom_id"].nunique() == design["n_classrooms"]


def test_unknown_assignment_lists_the_known_ones():
    with pytest.raises(KeyError, match="no assignment 'a4'; the assignments are a1, a2, a3"):
        assignment_data("a4", "s001")


def test_answer_key_matches_r(read_reference):
    r_values = read_reference("check/r_values.csv")
    key = answer_key(["s001"])
    assert list(key.columns) == [
        "student_id",
        "assignment",
        "task",
        "quantity",
        "answer",
        "tolerance",
    ]
    merged = key.merge(
        r_values, left_on=["assignment", "task"], right_on=["assignment", "quantity"]
    )
    assert len(merged) == len(key) == sum(len(spec.tasks) for spec in ASSIGNMENTS.values())
    for row in merged.itertuples():
        assert row.answer == pytest.approx(row.value, rel=1e-4, abs=1e-6), row.task


# ---------------------------------------------------------------------------------------------
# Rosters


def roster(text: str) -> io.StringIO:
    return io.StringIO(text)


def test_read_roster_keeps_ids_as_text():
    table = read_roster(roster("name, student_id\nAda, 007\nBen,s-2.b\n"))
    assert table["student_id"].tolist() == ["007", "s-2.b"]
    assert table["name"].tolist() == ["Ada", "Ben"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name,id\nAda,1\n",
            r"no 'student_id' column.*needed are 'student_id'.*found are 'name', 'id'",
        ),
        ("student_id,name\ns1,Ada\ns2,Ben\ns1,Cy\ns2,Di\n", "duplicated student_ids s1, s2"),
        ("student_id\n", "has no students"),
        ("", "is empty"),
        ("student_id,name\ns1,Ada\n,Ben\n", "rows 3 have no student_id"),
        ("student_id\nann smith\n../x\n", "'ann smith', '../x' cannot be folder names"),
    ],
)
def test_read_roster_errors_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        read_roster(roster(text))


def test_read_roster_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_roster(tmp_path / "roster.csv")


# ---------------------------------------------------------------------------------------------
# Notebooks and the class set


@pytest.mark.parametrize("source", ["shipped", "book"])
def test_student_notebook_injects_the_id_after_the_parameters_cell(source):
    spec = ASSIGNMENTS["a2"]
    path = notebook_source("a2") if source == "shipped" else book_source(spec)
    notebook = student_notebook(path, "s042")
    tags = [cell.metadata.get("tags", []) for cell in notebook.cells]
    position = next(i for i, t in enumerate(tags) if "parameters" in t)
    injected = notebook.cells[position + 1]
    assert "injected-parameters" in injected.metadata["tags"]
    assert injected.source.endswith("student_id = 's042'")
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    nbformat.validate(notebook)
    assert sum("injected-parameters" in t for t in tags) == 1


def test_reinjecting_replaces_the_id_instead_of_adding_a_cell(tmp_path):
    path = tmp_path / "a1.ipynb"
    nbformat.write(student_notebook(notebook_source("a1"), "s001"), path)
    second = student_notebook(path, "s002")
    injected = [c for c in second.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and injected[0].source.endswith("student_id = 's002'")


@pytest.mark.parametrize("spec", ASSIGNMENTS.values(), ids=list(ASSIGNMENTS))
def test_a_student_notebook_carries_its_sealed_answers_after_the_id(spec):
    import json
    import re

    from hlmtutor_instructor import tasks
    from hlmtutor_instructor.instructor import SEALS_TAG

    notebook = student_notebook(notebook_source(spec.name), "s001")
    tags = [c.metadata.get("tags", []) for c in notebook.cells]
    position = next(i for i, t in enumerate(tags) if "injected-parameters" in t)
    assert SEALS_TAG in tags[position + 1] and sum(SEALS_TAG in t for t in tags) == 1
    source = notebook.cells[position + 1].source
    assert "from hlmtutor.course import load_seals" in source
    seals = json.loads(eval(re.search(r"load_seals\((.*)\)", source).group(1)))  # a str literal
    labels = {tasks.rule(spec.name, task.key).label for task in spec.tasks}
    labels |= {rule.label for rule in tasks.PRACTICE[spec.name]}
    assert set(seals) == labels
    # Written again for another student: one seal cell, other seals.
    again = student_notebook(notebook_source(spec.name), "s002")
    assert [c.source for c in again.cells if SEALS_TAG in c.metadata.get("tags", [])] != [source]


@pytest.mark.parametrize("spec", ASSIGNMENTS.values(), ids=list(ASSIGNMENTS))
def test_student_notebooks_are_plain_notebooks(spec):
    """No MyST roles or directives: the notebooks read as notebooks outside the book."""
    from hlmtutor.course._myst import has_myst

    notebook = student_notebook(notebook_source(spec.name), "s001")
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert not has_myst(markdown), markdown
    assert "{doc}" not in markdown and ":::" not in markdown
    assert "jupytext" not in notebook.metadata
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "from hlmtutor.course import" in code
    assert "hlmtutor_instructor" not in code  # students never import the instructor side


@pytest.mark.parametrize("spec", ASSIGNMENTS.values(), ids=list(ASSIGNMENTS))
def test_every_task_variable_is_an_answer_cell_of_the_notebook(spec):
    text = book_source(spec).read_text(encoding="utf-8")
    for task in spec.tasks:
        assert f"{task.variable} = None" in text, (spec.name, task.variable)


def test_every_assignment_notebook_has_a_parameters_cell():
    for spec in ASSIGNMENTS.values():
        text = book_source(spec).read_text(encoding="utf-8")
        assert ":tags: [parameters]" in text, spec.notebook
        assert 'student_id = "demo"' in text, spec.notebook


def test_notebook_without_parameters_cell_is_refused(tmp_path):
    source = tmp_path / "x.md"
    source.write_text("# Title\n\n```{code-cell} ipython3\nx = 1\n```\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no cell tagged 'parameters'"):
        student_notebook(source, "s1")


def test_write_assignments_layout_and_overwrite_protection(tmp_path):
    students = pd.DataFrame({"student_id": ["s001", "s002"]})
    key = write_assignments(students, tmp_path, "a1")
    for student in ("s001", "s002"):
        notebook = nbformat.read(tmp_path / student / "a1-descriptives-centering.ipynb", 4)
        assert f"student_id = '{student}'" in "".join(cell.source for cell in notebook.cells)
        data = pd.read_csv(tmp_path / student / "a1-data.csv")
        pd.testing.assert_frame_equal(data, assignment_data("a1", student), check_dtype=False)
    on_disk = pd.read_csv(tmp_path / "answer_key.csv", dtype={"student_id": str})
    pd.testing.assert_frame_equal(on_disk, key)
    assert sorted(set(key["student_id"])) == ["s001", "s002"]

    # A student's work is never replaced without overwrite, and nothing is written then.
    mine = tmp_path / "s001" / "a1-descriptives-centering.ipynb"
    mine.write_text("my work", encoding="utf-8")
    late = pd.DataFrame({"student_id": ["s003", "s001"]})
    with pytest.raises(FileExistsError, match=r"2 student files exist.*s001.*overwrite"):
        write_assignments(late, tmp_path, "a1")
    assert mine.read_text(encoding="utf-8") == "my work"
    assert not (tmp_path / "s003").exists()

    write_assignments(late, tmp_path, "a1", overwrite=True)
    assert mine.read_text(encoding="utf-8") != "my work"

    # A late student's rows join the key; the others stay.
    write_assignments(pd.DataFrame({"student_id": ["s004"]}), tmp_path, "a1")
    merged = pd.read_csv(tmp_path / "answer_key.csv", dtype={"student_id": str})
    assert sorted(set(merged["student_id"])) == ["s001", "s002", "s003", "s004"]
    assert len(merged) == 4 * len(ASSIGNMENTS["a1"].tasks)


def test_write_assignments_puts_the_key_where_asked(tmp_path):
    key_file = tmp_path / "private" / "key.csv"
    write_assignments(
        pd.DataFrame({"student_id": ["s1"]}), tmp_path / "class", "a1", key_file=key_file
    )
    assert key_file.is_file() and not (tmp_path / "class" / "answer_key.csv").exists()


def test_write_assignments_from_the_books_sources(tmp_path):
    write_assignments(pd.DataFrame({"student_id": ["s1"]}), tmp_path, "a2", source=SOURCES)
    notebook = nbformat.read(tmp_path / "s1" / "a2-null-model-icc.ipynb", 4)
    assert "student_id = 's1'" in "".join(cell.source for cell in notebook.cells)


def test_write_assignments_names_a_missing_notebook_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no notebook a1-descriptives-centering.md"):
        write_assignments(pd.DataFrame({"student_id": ["s1"]}), tmp_path, "a1", source=tmp_path)


# ---------------------------------------------------------------------------------------------
# The notebooks run for several students (slow: one kernel per notebook)


def execute(notebook) -> list[str]:
    """Execute a notebook; return the plain-text output of each code cell."""
    from nbclient import NotebookClient

    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    texts = []
    for cell in notebook.cells:
        if cell.cell_type == "code":
            texts.append(
                "".join(
                    o.get("text", "") + o.get("data", {}).get("text/plain", "")
                    for o in cell.outputs
                )
            )
    return texts


@pytest.mark.slow
@pytest.mark.parametrize("spec", ASSIGNMENTS.values(), ids=list(ASSIGNMENTS))
def test_notebooks_run_for_several_students_with_their_own_data(spec):
    outputs = {}
    for student in ("s001", "s002"):
        texts = execute(student_notebook(notebook_source(spec.name), student))
        checks = [text for text in texts if text.startswith(("Correct", "Not yet"))]
        assert checks, "no check ran"
        assert any(text.startswith("Correct") for text in checks)  # the worked example
        assert sum("No answer yet" in text for text in checks) == len(spec.tasks)
        outputs[student] = texts
    # The cell that builds the data shows other data for each student.
    sources = [
        c.source
        for c in student_notebook(notebook_source(spec.name), "x").cells
        if c.cell_type == "code"
    ]
    data_cell = next(i for i, source in enumerate(sources) if "assignment_data(" in source)
    assert outputs["s001"][data_cell]
    assert outputs["s001"][data_cell] != outputs["s002"][data_cell]


@pytest.mark.slow
def test_right_answers_in_a_student_notebook_pass():
    notebook = student_notebook(notebook_source("a2"), "s007")
    answers = {
        "my_tau00 = None": "my_tau00 = null.varcorr.loc[0, 'Variance']",
        "my_sigma2 = None": "my_sigma2 = null.sigma ** 2",
        "my_icc = None": "my_icc = hlmtutor.icc(null)",
    }
    for cell in notebook.cells:
        for placeholder, answer in answers.items():
            cell.source = cell.source.replace(placeholder, answer)
    texts = execute(notebook)
    checks = [text for text in texts if text.startswith(("Correct", "Not yet"))]
    assert len(checks) == 4 and all(text.startswith("Correct") for text in checks), checks
