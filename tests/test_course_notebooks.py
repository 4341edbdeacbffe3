"""The assignment notebooks hlmtutor ships are the book's assignment pages, as plain notebooks."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

from hlmtutor.course import ASSIGNMENTS
from hlmtutor.course._myst import has_myst, plain_markdown
from hlmtutor_instructor.instructor import notebook_source

ROOT = Path(__file__).resolve().parents[1]


def tool():
    spec = importlib.util.spec_from_file_location(
        "assignment_notebooks", ROOT / "book" / "_tools" / "assignment_notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_notebooks_are_up_to_date():
    for path, text in tool().rendered().items():
        assert path.is_file(), f"{path.name} is not shipped: run make notebooks"
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run make notebooks"


@pytest.mark.parametrize("name", list(ASSIGNMENTS))
def test_shipped_notebook_is_package_data_and_plain(name):
    path = notebook_source(name)
    assert path.parent == ROOT / "hlmtutor" / "course" / "notebooks"
    notebook = nbformat.read(path, 4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            assert not has_myst(cell.source), cell.source
        else:
            assert not cell.get("outputs")
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].source.endswith('student_id = "demo"')


def test_myst_roles_and_directives_become_plain_markdown():
    text = (
        "(label)=\n% a comment\nSee {doc}`../06-null-model` and {doc}`the API <../api>`, the "
        "{term}`ICC` and {func}`~hlmtutor.icc`.\n\n"
        ":::{admonition} How it works\n:class: tip\nRun the cell.\n:::\n\n"
        "```{note}\nA note.\n```\n"
    )
    titles = {"../06-null-model": "The null model"}
    plain = plain_markdown(text, titles.get)
    assert not has_myst(plain)
    assert "See *The null model* and *the API*, the ICC and `icc()`." in plain
    assert "> **How it works**\n>\n> Run the cell." in plain
    assert "> **Note**\n>\n> A note." in plain
    assert "(label)=" not in plain and "a comment" not in plain
