"""Every chapter of the book runs from top to bottom, as a reader's notebook would.

Each notebook page listed in ``_toc.yml`` is read with jupytext and executed with nbclient in this
environment's ``python3`` kernel, with the chapter's own folder as the working directory (as the
book build runs it). A cell that raises fails the test with the chapter name and the error. Each
chapter's execution time is written to the terminal and recorded as the test's
``execution_seconds`` property (``--junitxml`` keeps it); no time is asserted here (the book
build prints each chapter's time too). Each chapter's download (the ``.ipynb`` the site offers, see
``book/_ext/notebook_download.py``) must also run in an empty folder, as on a reader's machine.

Run one chapter with ``pytest tests/test_chapters.py -k 06-null``.
"""

from __future__ import annotations

import ast
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_SECONDS = 300  # per cell; a hung kernel fails instead of blocking the suite

sys.path.insert(0, str(ROOT / "book" / "_ext"))
from notebook_download import (  # noqa: E402  (the book's local Sphinx extension)
    source_to_notebook,
    strip_solutions,
)


def _toc_files(entry: dict) -> Iterator[str]:
    for key in ("root", "file"):
        if key in entry:
            yield entry[key]
    for key in ("parts", "chapters", "sections"):
        for child in entry.get(key, []):
            yield from _toc_files(child)


def toc_names() -> list[str]:
    """Every page of ``_toc.yml`` as written there (no suffix), in reading order."""
    return list(_toc_files(yaml.safe_load((ROOT / "_toc.yml").read_text())))


def toc_sources() -> list[Path]:
    """The source file of every page in ``_toc.yml``, in reading order."""
    sources = []
    for name in toc_names():
        candidates = [ROOT / f"{name}{suffix}" for suffix in (".md", ".ipynb")]
        sources.append(next((c for c in candidates if c.exists()), candidates[0]))
    return sources


def is_notebook(source: Path) -> bool:
    """A page is a notebook if it is an ``.ipynb`` or a MyST file with a kernelspec header."""
    if source.suffix == ".ipynb":
        return True
    if not source.exists():
        return False
    text = source.read_text()
    return text.startswith("---") and "kernelspec:" in text.split("\n---", 1)[0]


CHAPTERS = [source for source in toc_sources() if is_notebook(source)]


def execute(notebook: nbformat.NotebookNode, folder: Path, label: str) -> float:
    """Run every cell with ``folder`` as the working directory; return the seconds it took."""
    client = NotebookClient(
        notebook,
        timeout=TIMEOUT_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    )
    started = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{label} failed to execute:\n{error}", pytrace=False)
    return time.perf_counter() - started


@pytest.mark.slow
@pytest.mark.parametrize("source", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_chapter_executes(source: Path, record_property, capsys) -> None:
    """The chapter as the book build runs it: from its own folder."""
    seconds = execute(jupytext.read(source), source.parent, str(source.relative_to(ROOT)))
    record_property("execution_seconds", round(seconds, 2))
    with capsys.disabled():  # straight to the terminal, even when the test passes
        print(f" [{source.relative_to(ROOT)}: executed in {seconds:.1f} s]", end="")


@pytest.mark.slow
@pytest.mark.parametrize("source", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_downloaded_notebook_runs_in_an_empty_folder(source: Path, tmp_path: Path) -> None:
    """The ``.ipynb`` the site offers runs on a reader's machine, away from the repository."""
    notebook = source_to_notebook(source, hide_solutions=False)
    execute(notebook, tmp_path, f"the download of {source.relative_to(ROOT)}")


def test_chapters_are_found() -> None:
    """The parametrised test above runs over the real chapters, not an empty list."""
    names = {source.stem for source in CHAPTERS}
    assert {"01-before-we-start", "06-null-model", "07-full-model"} <= names


# The download of the student edition must not give the solutions away.
_EXERCISE_PAGE = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A chapter

```{code-cell} ipython3
x = 1
```

## Exercises

```{exercise-start}
:label: ex99-test
```
Add one to `x`.
```{exercise-end}
```

```{solution-start} ex99-test
:class: dropdown
```
Like this:

```{code-cell} ipython3
x + 1
```

And then print it.
```{solution-end}
```

Next, a plain solution.

````{solution} ex99-test
```python
print(x + 1)
```
````

The end.
"""


def test_strip_solutions_removes_gated_and_plain_solutions(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(_EXERCISE_PAGE)
    notebook = jupytext.read(page)
    stripped = strip_solutions(notebook)
    text = "\n".join(cell.source for cell in stripped.cells)
    assert [c.source for c in stripped.cells if c.cell_type == "code"] == ["x = 1"]
    for hidden in ("Like this", "x + 1", "And then print it", "{solution"):
        assert hidden not in text, f"{hidden!r} left in the student notebook"
    for kept in ("Add one to `x`.", "{exercise-end}", "Next, a plain solution.", "The end."):
        assert kept in text, f"{kept!r} lost from the notebook"
    nbformat.validate(stripped)
    assert len(notebook.cells) > len(stripped.cells)  # the original is left as it was


# --- what a reader sees and copies holds no build plumbing ------------------------------------

#: The tag that keeps a cell out of the page and out of its download (myst-nb's and ours).
REMOVED = "remove-cell"


def plumbing_in(source: str) -> list[str]:
    """The ``glue(...)`` calls and ``myst_nb`` imports in one cell's code, as written."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: read the lines instead
        return [line for line in source.splitlines() if re.search(r"\bglue\(|myst_nb", line)]
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "glue"
        ):
            found.append(ast.get_source_segment(source, node) or "glue(...)")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            modules += [alias.name for alias in node.names]
            if any(module.split(".")[0] == "myst_nb" for module in modules):
                found.append(ast.get_source_segment(source, node) or "import myst_nb")
    return found


def visible_plumbing(source: Path) -> list[str]:
    """Each visible code cell of a page that calls ``glue`` or imports ``myst_nb``."""
    problems = []
    for index, cell in enumerate(jupytext.read(source).cells):
        if cell.cell_type != "code" or REMOVED in cell.metadata.get("tags", []):
            continue
        for call in plumbing_in(cell.source):
            problems.append(
                f"{source.relative_to(ROOT)}, code cell {index}: {call.splitlines()[0]}"
            )
    return problems


@pytest.mark.parametrize("source", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_no_build_plumbing_in_visible_code(source: Path) -> None:
    """No code a reader sees (or copies, or downloads) calls ``glue`` or imports ``myst_nb``:
    those calls go in a cell tagged ``remove-cell`` (CONTRIBUTING.md, "Numbers in prose")."""
    problems = visible_plumbing(source)
    assert not problems, "glue belongs in a remove-cell cell:\n  " + "\n  ".join(problems)


def test_plumbing_check_sees_glue_and_myst_nb() -> None:
    """The check above finds what it should on a made-up cell (and nothing else)."""
    assert plumbing_in("from myst_nb import glue\nx = 1") == ["from myst_nb import glue"]
    assert plumbing_in("import myst_nb") == ["import myst_nb"]
    assert plumbing_in('for k in "ab":\n    glue(k, 1, display=False)') == [
        "glue(k, 1, display=False)"
    ]
    assert plumbing_in("%matplotlib inline\nglue('a', 1)") == ["glue('a', 1)"]
    assert plumbing_in("gluestick(1)\nmy_glue(2)\nx.glue(3)") == []


def test_download_leaves_removed_cells_out(tmp_path: Path) -> None:
    """The page does not show a removed cell, so its download does not hold it either."""
    page = tmp_path / "page.md"
    page.write_text(
        _EXERCISE_PAGE.replace(
            "```{code-cell} ipython3\nx = 1\n```",
            "```{code-cell} ipython3\nx = 1\n```\n\n"
            "```{code-cell} ipython3\n:tags: [remove-cell]\nfrom myst_nb import glue\n\n"
            'glue("x", x, display=False)\n```',
        )
    )
    assert "remove-cell" in page.read_text()
    notebook = source_to_notebook(page, hide_solutions=False)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert "x = 1" in code
    assert "glue(" not in code and "myst_nb" not in code


def test_unnumbered_pages_number_their_figures_from_one() -> None:
    """book/_ext/per_page_numbers.py: each page outside a numbered part counts from 1; a
    numbered chapter keeps Sphinx's numbers."""
    from per_page_numbers import renumber_unnumbered_pages

    numbers = {
        "book/own-data": {"exercise": {"a": (1,), "b": (2,)}, "figure": {"f": (1,)}},
        "book/appendix": {"exercise": {"d": (4,), "c": (3,)}, "figure": {"g": (2,)}},
        "book/06-null-model": {"exercise": {"e": (6, 1)}},
    }
    sections = {"book/06-null-model": {"": (6,)}, "book/appendix": {"": ()}}
    assert renumber_unnumbered_pages(numbers, sections) == ["book/appendix"]
    assert numbers["book/appendix"] == {"exercise": {"c": (1,), "d": (2,)}, "figure": {"g": (1,)}}
    assert numbers["book/own-data"]["exercise"] == {"a": (1,), "b": (2,)}
    assert numbers["book/06-null-model"]["exercise"] == {"e": (6, 1)}
