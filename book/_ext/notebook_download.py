"""Offer every notebook page of the book as a runnable ``.ipynb`` download.

Chapters are MyST-markdown notebooks, so sphinx-book-theme's download menu offers only ``.md``
and ``.pdf`` (it copies the executed notebook to ``_sources`` only when launch buttons are
configured, and then with the outputs and every solution). This extension converts each notebook
page's source with jupytext into a clean ``.ipynb`` (no outputs, no jupytext metadata) in
``_build/html/_sources/<page>.ipynb`` and makes sure the download menu links to it.

Some chapters read small files that sit next to them in the repository (R's printed output, data
that take too long to compute at build time). So that the download also runs in an empty folder on
a reader's machine, or on Colab, the files a chapter names in its code are packed into one extra
code cell (gzip + base64) that writes them next to the notebook when they are missing. They are
also noted as dependencies of the page, so a changed data file rebuilds its download.

When sphinx-exercise's ``hide_solutions`` is on (the student edition), the solutions are cut out
of the notebook too, so the download does not give away what the page hides.

Colab opens only ``.ipynb`` files from GitHub, and the theme's Colab button points at the chapter's
``.md`` source. With ``notebook_download_pages_branch`` set (default ``gh-pages``, where
``ghp-import -n -p -f _build/html`` publishes the site), the Colab button opens this built notebook
from that branch instead; set it to ``""`` to keep the theme's link.

Configure in ``_config.yml``::

    sphinx:
      local_extensions:
        notebook_download: book/_ext
      config:
        notebook_download_pages_branch: gh-pages
"""

from __future__ import annotations

import base64
import gzip
import re
from pathlib import Path
from typing import Any

import jupytext
import nbformat
from sphinx.application import Sphinx

# A fenced directive opens with a run of backticks or colons and closes with the very same run.
_FENCE = r"^(?P<fence>`{3,}|:{3,})[ \t]*\{%s\}.*?^(?P=fence)[ \t]*$"
_SOLUTION_START = re.compile(_FENCE % "solution-start", re.MULTILINE | re.DOTALL)
_SOLUTION_END = re.compile(_FENCE % "solution-end", re.MULTILINE | re.DOTALL)
_SOLUTION_BLOCK = re.compile(_FENCE % "solution", re.MULTILINE | re.DOTALL)

_BUTTON_LABEL = "download-notebook-button"


def strip_solutions(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return a copy of ``notebook`` without sphinx-exercise solutions.

    Removes ``{solution}`` blocks and everything from a ``{solution-start}`` fence to the
    matching ``{solution-end}`` fence, including the code cells in between (gated solutions
    may span several cells). Markdown cells left empty are dropped.
    """
    kept_cells = []
    inside_solution = False
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            if not inside_solution:
                kept_cells.append(cell)
            continue
        text, inside_solution = _cut_gated_solutions(cell.source, inside_solution)
        text = _SOLUTION_BLOCK.sub("", text).strip()
        if text:
            kept_cells.append(nbformat.from_dict({**cell, "source": text}))
    stripped = nbformat.from_dict(notebook)
    stripped.cells = kept_cells
    return stripped


def _cut_gated_solutions(text: str, inside_solution: bool) -> tuple[str, bool]:
    """Cut gated-solution spans out of one markdown cell, carrying state across cells."""
    kept, position = [], 0
    while True:
        if inside_solution:
            end = _SOLUTION_END.search(text, position)
            if end is None:
                return "".join(kept), True
            inside_solution, position = False, end.end()
        else:
            start = _SOLUTION_START.search(text, position)
            if start is None:
                kept.append(text[position:])
                return "".join(kept), False
            kept.append(text[position : start.start()])
            inside_solution, position = True, start.end()


# Files next to a chapter that hold code or notes rather than data a chapter reads.
_NOT_DATA_SUFFIXES = {".md", ".ipynb", ".py", ".pyc", ".txt"}
_NOT_DATA_FOLDERS = {"_ext", "_static", "__pycache__", ".ipynb_checkpoints"}

_FILES_CELL = """\
# Added to the downloaded notebook: it writes the {count} file(s) this chapter reads next to the
# notebook when they are missing, so the chapter runs outside the book's repository.
import base64, gzip, pathlib

_files = {files!r}
for _name, _packed in _files.items():
    _path = pathlib.Path(_name)
    if not _path.exists():
        _path.parent.mkdir(parents=True, exist_ok=True)
        _path.write_bytes(gzip.decompress(base64.b64decode(_packed)))
"""


def files_read_by(notebook: nbformat.NotebookNode, folder: Path) -> list[Path]:
    """The data files under ``folder`` that the notebook's code names (by file name).

    A file counts when its name, with its extension, appears in a code cell: that covers
    ``open("03-r-head.Rout")``, ``pd.read_csv("data/09-coverage.csv")`` and
    ``Path("_tools") / "power_grid.csv"`` alike.
    """
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    found = []
    for path in sorted(folder.rglob("*.*")):
        relative = path.relative_to(folder)
        if (
            path.is_file()
            and path.suffix not in _NOT_DATA_SUFFIXES
            and not _NOT_DATA_FOLDERS.intersection(relative.parts)
            and not any(part.startswith(".") for part in relative.parts)
            and path.name in code
        ):
            found.append(path)
    return found


def embed_files(notebook: nbformat.NotebookNode, folder: Path) -> nbformat.NotebookNode:
    """Add a cell that recreates the files the notebook reads, relative to ``folder``."""
    files = files_read_by(notebook, folder)
    if not files:
        return notebook
    packed = {
        path.relative_to(folder).as_posix(): base64.b64encode(
            gzip.compress(path.read_bytes(), mtime=0)  # mtime 0: the same bytes on every build
        ).decode("ascii")
        for path in files
    }
    cell = nbformat.v4.new_code_cell(
        _FILES_CELL.format(count=len(packed), files=packed),
        metadata={"tags": ["hide-input"], "jupyter": {"source_hidden": True}},
    )
    # After the title cell, before any code runs.
    position = 1 if notebook.cells and notebook.cells[0].cell_type == "markdown" else 0
    notebook.cells.insert(position, cell)
    return notebook


def source_to_notebook(source: Path, hide_solutions: bool) -> nbformat.NotebookNode:
    """Convert a MyST-markdown notebook to a clean ipynb notebook a reader can run anywhere."""
    notebook = jupytext.read(source)
    # The jupytext header only matters for the text file; a reader's Jupyter does not need it.
    notebook.metadata.pop("jupytext", None)
    if hide_solutions:
        notebook = strip_solutions(notebook)
    notebook = embed_files(notebook, source.parent)
    nbformat.validate(notebook)
    return notebook


def note_data_dependencies(app: Sphinx, docname: str, source: list[str]) -> None:
    """``source-read`` handler: a page is rebuilt when a file its download embeds changes."""
    path = Path(app.env.doc2path(docname))
    if path.suffix != ".md" or "kernelspec:" not in source[0].split("\n---", 1)[0]:
        return
    for data in files_read_by(jupytext.reads(source[0], fmt="md:myst"), path.parent):
        app.env.note_dependency(str(data))


def _is_notebook_page(app: Sphinx, pagename: str) -> bool:
    return "kernelspec" in app.env.metadata.get(pagename, {})


def _ensure_download_button(pagename: str, context: dict[str, Any]) -> None:
    """Put a ``.ipynb`` entry first in the theme's download menu unless it is there already."""
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        buttons = group["buttons"]
        if any(button.get("label") == _BUTTON_LABEL for button in buttons):
            return
        buttons.insert(
            0,
            {
                "type": "link",
                "url": f"{context['pathto']('_sources', 1)}/{pagename}.ipynb",
                "text": ".ipynb",
                "icon": "fas fa-code",
                "tooltip": "Download this chapter as a Jupyter notebook",
                "label": _BUTTON_LABEL,
            },
        )
        return


def _point_colab_at_notebook(app: Sphinx, pagename: str, context: dict[str, Any]) -> None:
    """Make the Colab launch button open the built ``.ipynb`` on the published branch."""
    branch = app.config.notebook_download_pages_branch
    user, repo = context.get("github_user"), context.get("github_repo")
    if not branch or not user or not repo:
        return
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        for button in group["buttons"]:
            if button.get("text") == "Colab":
                colab = button["url"].split("/github/", 1)[0]
                button["url"] = (
                    f"{colab}/github/{user}/{repo}/blob/{branch}/_sources/{pagename}.ipynb"
                )


def add_notebook_download(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """``html-page-context`` handler: write ``_sources/<page>.ipynb`` and link it."""
    if doctree is None or app.builder.format != "html" or not _is_notebook_page(app, pagename):
        return
    source = Path(app.env.doc2path(pagename))
    if source.suffix != ".md":
        return  # an .ipynb source is offered by the theme as it is
    hide_solutions = bool(getattr(app.config, "hide_solutions", False))
    notebook = source_to_notebook(source, hide_solutions)
    target = Path(app.outdir, "_sources", pagename).with_suffix(".ipynb")
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    context["ipynb_source"] = f"{pagename}.ipynb"
    _ensure_download_button(pagename, context)
    _point_colab_at_notebook(app, pagename, context)


def setup(app: Sphinx) -> dict[str, Any]:
    # After sphinx-book-theme (priority 501), which may already have copied the executed
    # notebook to the same path: ours replaces it with the clean one.
    app.add_config_value("notebook_download_pages_branch", "gh-pages", "html", types=[str])
    app.connect("source-read", note_data_dependencies)
    app.connect("html-page-context", add_notebook_download, priority=502)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
