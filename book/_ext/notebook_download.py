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

The download reads as an ordinary notebook: ``hlmtutor.course._myst`` (the project's one MyST
converter) turns MyST's roles and directives into plain Markdown, with the glued numbers of the
executed chapter in the text, references linked to the published site, citations as "(Author,
Year)", exercises as headings and solutions marked as such. Two cells are added at the top,
tagged ``download-setup``: one installs what the chapter imports and the reader's Python lacks
(see :func:`install_cell`) and defines a stand-in for myst-nb's ``glue``, which shows every glued
figure (the book glues them with ``display=False`` and shows them in the text, so a plain run
would show none), and the chapter's ``from myst_nb import glue`` becomes a comment; the other
writes the files the chapter reads. The notebook then runs wherever ``hlmtutor[notebooks]`` is
installed, with no myst-nb.

The install cell pins hlmtutor to the build of the site (``publishing``, this folder: the release
on PyPI for a release build, else the repository at the commit built) and never changes what is
installed already: it installs only the modules the chapter imports that are missing, with every
installed distribution held at its version by a pip constraints file, and never a kernel or
Jupyter package. So on Colab it adds hlmtutor, NLopt and pingouin and leaves Colab's numpy,
pandas, ipykernel, jupyter_client and tornado as they are.

Configure in ``_config.yml``::

    sphinx:
      local_extensions:
        publishing: book/_ext        # where the site and the repository are (pyproject.toml)
        notebook_download: book/_ext
      config:
        notebook_download_pages_branch: gh-pages
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import sys
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import publishing
from sphinx.application import Sphinx
from sphinx.util import logging

from hlmtutor.course._myst import MarkdownConverter, PageContext

logger = logging.getLogger(__name__)

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


# Files next to a chapter that hold code or notes rather than data a chapter reads. (A MyST
# notebook a page's code names, as the assignments page names an assignment, is data to it.)
_NOT_DATA_SUFFIXES = {".ipynb", ".py", ".pyc", ".txt"}
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
        metadata={"tags": ["hide-input", SETUP_TAG], "jupyter": {"source_hidden": True}},
    )
    notebook.cells.insert(_after_title(notebook), cell)
    return notebook


def _after_title(notebook: nbformat.NotebookNode) -> int:
    """Where added cells go: after the title cell (and the note after it), before any code."""
    position = 1 if notebook.cells and notebook.cells[0].cell_type == "markdown" else 0
    while position < len(notebook.cells) and SETUP_TAG in notebook.cells[position].metadata.get(
        "tags", []
    ):
        position += 1
    return position


# --- a notebook that reads and runs anywhere --------------------------------------------------

#: The tag of the cells the page and its download leave out (myst-nb's).
REMOVED_TAG = "remove-cell"
#: The tag of the cells the download adds (tests compare the chapter's own code without them).
SETUP_TAG = "download-setup"
#: The extra a reader installs to run the downloads (the note at the top names it).
EXTRA = "notebooks"
#: Modules a chapter may import that the install cell never installs: the kernel and Jupyter's
#: own (replacing them under a running kernel can crash it, as Colab warns), and myst-nb (the
#: download uses a stand-in for its glue).
NEVER_INSTALLED = frozenset(
    {"IPython", "ipykernel", "jupyter_client", "jupyter_core", "tornado", "traitlets", "zmq"}
    | {"nbclient", "nbformat", "jupytext", "myst_nb", "ipywidgets", "notebook", "jupyterlab"}
)
#: Modules a chapter needs without importing them: pandas imports them for a method.
IMPLIED_MODULES = {r"\.style\b": "jinja2", r"read_excel\(|to_excel\(": "openpyxl"}

_SETUP_CELL = """\
# Added to the downloaded notebook; run it first. It installs what this chapter imports and this
# Python lacks (hlmtutor {pin}, and on Colab also a few of its dependencies), and
# nothing else: what is installed already (the kernel, Jupyter, numpy, pandas) stays as it is.
import importlib.metadata, importlib.util, pathlib, re, subprocess, sys, tempfile

_wanted = {wanted}
_missing = [req for module, req in _wanted.items() if importlib.util.find_spec(module) is None]
if _missing:
    # Hold every installed distribution at its version (pip's constraints): pip then installs
    # the missing ones or stops with the conflict, but never upgrades what the kernel runs on.
    _held = {{}}
    for _dist in importlib.metadata.distributions():
        _name = re.sub(r"[-_.]+", "-", (_dist.metadata["Name"] or "")).lower()
        if _name and re.fullmatch(r"[0-9][0-9A-Za-z.+!_-]*", _dist.version or ""):
            _held.setdefault(_name, f"{{_name}}=={{_dist.version}}")
    _constraints = pathlib.Path(tempfile.mkdtemp()) / "installed.txt"
    _constraints.write_text("\\n".join(sorted(_held.values())) + "\\n")
    print("Installing", ", ".join(_missing))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--constraint", str(_constraints)]
        + _missing,
        check=True,
    )
    importlib.invalidate_caches()
"""

_GLUE_STAND_IN = """\


def glue(name, variable, display=True):
    \"\"\"Stand-in for myst_nb.glue. The book puts glued values into its text; the text of this
    notebook already holds them, so here glue only shows what the book shows: every figure (the
    book glues them with display=False and places them in the text) and values glued with
    display=True.\"\"\"
    from IPython.display import display as show
    from matplotlib.figure import Figure

    if display or isinstance(variable, Figure):
        show(variable)
"""

_ABOUT = (
    "> **About this notebook.** {what} It runs wherever hlmtutor is installed with its "
    '`notebooks` extra: `pip install "{requirement}"`. On Colab, or wherever something the '
    "chapter imports is missing, the first code cell installs just that, and leaves what is "
    "installed already as it is. The numbers in the text are those of the book's own run; "
    "yours will match them, since every random draw is seeded."
)

_MYST_NB_IMPORT = re.compile(r"^(?P<indent>[ \t]*)from myst_nb import glue[ \t]*$", re.MULTILINE)


def imported_modules(notebook: nbformat.NotebookNode) -> list[str]:
    """The top-level modules the notebook's code imports, or uses through pandas, in order."""
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    found: dict[str, None] = {}
    for line in code.splitlines():
        if line.lstrip().startswith(("%", "!")):
            continue  # IPython magics and shell lines are not Python
        match = re.match(r"\s*(?:from\s+(\w+)[\w.]*\s+import\b|import\s+(.+))", line)
        if match and match[1]:
            found[match[1]] = None
        elif match:
            for part in match[2].split("#", 1)[0].split(","):
                name = part.strip().split(" ", 1)[0].split(".", 1)[0]
                if name.isidentifier():
                    found[name] = None
    for pattern, module in IMPLIED_MODULES.items():
        if re.search(pattern, code):
            found[module] = None
    return list(found)


def install_plan(
    notebook: nbformat.NotebookNode, requirements: dict[str, str], package: str
) -> dict[str, str]:
    """Module -> what pip installs when it is missing, for each module the notebook needs.

    ``requirements`` maps an importable module to its requirement (``"seaborn>=0.13"``);
    ``package`` is hlmtutor's, pinned. Standard-library modules, the kernel's and Jupyter's
    (:data:`NEVER_INSTALLED`) and modules with no requirement are left out.
    """
    plan = {"hlmtutor": package}
    for module in imported_modules(notebook):
        if module in sys.stdlib_module_names or module in NEVER_INSTALLED or module in plan:
            continue
        if module in requirements:
            plan[module] = requirements[module]
    return plan


def install_cell(plan: dict[str, str], pin: str) -> str:
    """The code of the cell that installs the missing modules of ``plan``."""
    wanted = "{\n" + "".join(f"    {m!r}: {r!r},\n" for m, r in plan.items()) + "}"
    return _SETUP_CELL.format(wanted=wanted, pin=pin)


def add_setup_cells(
    notebook: nbformat.NotebookNode,
    plan: dict[str, str],
    what: str,
    requirement: str,
    pin: str = "as the book was built",
) -> nbformat.NotebookNode:
    """Add the install cell (with the ``glue`` stand-in) and a note, after the title cell."""
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    uses_glue = "glue(" in code
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.source = _MYST_NB_IMPORT.sub(
                r"\g<indent># glue: the stand-in defined in the first code cell", cell.source
            )
    source = install_cell(plan, pin)
    if uses_glue:
        source += _GLUE_STAND_IN
    position = _after_title(notebook)
    note = nbformat.v4.new_markdown_cell(
        _ABOUT.format(what=what, requirement=requirement), metadata={"tags": [SETUP_TAG]}
    )
    setup = nbformat.v4.new_code_cell(source.rstrip("\n"), metadata={"tags": [SETUP_TAG]})
    notebook.cells[position:position] = [note, setup]
    return notebook


def to_plain_markdown(
    notebook: nbformat.NotebookNode, context: PageContext | None = None
) -> tuple[nbformat.NotebookNode, list[str]]:
    """Convert every markdown cell from MyST to plain Markdown; drop cells left empty.

    Returns the notebook and what could not be converted (unknown glue keys, bad formats).
    """
    converter = MarkdownConverter(context)
    cells = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = converter.convert(cell.source)
            if not cell.source.strip():
                continue
        cells.append(cell)
    notebook.cells = cells
    return notebook, converter.problems


@dataclass(frozen=True)
class Install:
    """What the download tells a reader to install, and what its first cell installs."""

    #: hlmtutor's requirement, pinned to the build (``hlmtutor @ git+<repo>@<commit>``).
    package: str = "hlmtutor"
    #: The same with the extra, as the note at the top names it.
    with_extra: str = f"hlmtutor[{EXTRA}]"
    #: Importable module -> its requirement, for the modules hlmtutor and the extra declare.
    requirements: dict[str, str] = field(default_factory=dict)
    #: How the cell's comment describes the pin.
    pin: str = "as the book was built"


def declared_requirements(root: Path) -> dict[str, str]:
    """Module -> requirement for hlmtutor's dependencies and its ``notebooks`` extra."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = {}
    for line in [*project["dependencies"], *project["optional-dependencies"][EXTRA]]:
        name = re.match(r"[A-Za-z0-9_.-]+", line)[0]
        found[re.sub(r"[-.]+", "_", name).lower()] = line
    return found


def install_for(build: publishing.Publishing, root: Path) -> Install:
    """The install of ``build``: the release from PyPI, or the repository at the commit."""
    pin = f"{build.version}" if build.release else f"at commit {build.commit[:12]}"
    return Install(
        package=build.requirement(),
        with_extra=build.requirement(EXTRA),
        requirements=declared_requirements(root),
        pin=pin,
    )


def source_to_notebook(
    source: Path,
    hide_solutions: bool,
    context: PageContext | None = None,
    install: Install | None = None,
    problems: list[str] | None = None,
) -> nbformat.NotebookNode:
    """Convert a MyST-markdown notebook to a clean ipynb notebook a reader can run anywhere.

    ``context`` holds what the built book knows (glued values, titles, numbers); without it,
    values and references the text uses are shown by their keys. ``install`` says what the
    first cell installs (default: hlmtutor unpinned, with this tree's declared requirements).
    What could not be converted is appended to ``problems``.
    """
    if install is None:
        install = Install(requirements=declared_requirements(Path(__file__).resolve().parents[2]))
    notebook = jupytext.read(source)
    # The jupytext header only matters for the text file; a reader's Jupyter does not need it.
    notebook.metadata.pop("jupytext", None)
    # A removed cell is the build's bookkeeping (glue for the text, already filled in here):
    # the page does not show it, so the download does not either.
    notebook.cells = [c for c in notebook.cells if REMOVED_TAG not in c.metadata.get("tags", [])]
    if hide_solutions:
        notebook = strip_solutions(notebook)
    plan = install_plan(notebook, install.requirements, install.package)
    notebook, found = to_plain_markdown(notebook, context)
    if problems is not None:
        problems.extend(found)
    what = "It is a page of the book *hlmtutor*."
    if context is not None and context.base_url:
        what = f"It is [a page]({context.url(context.docname)}) of the book *hlmtutor*."
    notebook = add_setup_cells(notebook, plan, what, install.with_extra, install.pin)
    notebook = embed_files(notebook, source.parent)
    nbformat.validate(notebook)
    return notebook


# --- what the built book knows about a page ---------------------------------------------------


@cache
def _citations(bibfiles: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    from bib_author_year import authors_and_year
    from pybtex.database import parse_file

    found = {}
    for path in bibfiles:
        for key, entry in parse_file(path).entries.items():
            found[key] = authors_and_year(entry)
    return found


def _numbers(numbers: dict[str, tuple[int, ...]]) -> dict[str, str]:
    return {label: ".".join(map(str, number)) for label, number in numbers.items()}


def _glue_data(app: Sphinx, docname: str) -> dict[str, Any]:
    """The values the executed page glued (myst-nb writes them next to the executed notebook)."""
    folder = getattr(getattr(app.env, "mystnb_config", None), "output_folder", None)
    folder = Path(folder) if folder else Path(app.outdir).parent / "jupyter_execute"
    path = folder.joinpath(*docname.split("/")).with_suffix(".glue.json")
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def page_context(app: Sphinx, docname: str) -> PageContext:
    """Everything the converter needs about ``docname``, from the built environment."""
    env = app.env
    std = env.get_domain("std")
    base_url = (app.config.html_baseurl or "").strip()
    if base_url and not base_url.endswith("/"):
        base_url += "/"
    figure_numbers = env.toc_fignumbers.get(docname, {})
    bibfiles = tuple(
        str(Path(app.srcdir, path)) for path in getattr(app.config, "bibtex_bibfiles", [])
    )
    return PageContext(
        docname=docname,
        glue=_glue_data(app, docname),
        base_url=base_url or None,
        titles={name: title.astext() for name, title in env.titles.items()},
        labels={label: (doc, anchor, title) for label, (doc, anchor, title) in std.labels.items()},
        terms={
            name.lower(): (doc, anchor)
            for (kind, name), (doc, anchor) in std.objects.items()
            if kind == "term"
        },
        exercise_numbers=_numbers(figure_numbers.get("exercise", {})),
        figure_numbers=_numbers(figure_numbers.get("figure", {})),
        citations=_citations(bibfiles),
        substitutions=dict(getattr(app.config, "myst_substitutions", None) or {}),
    )


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
    problems: list[str] = []
    install = install_for(app.hlmtutor_publishing, Path(app.srcdir))
    notebook = source_to_notebook(
        source, hide_solutions, page_context(app, pagename), install, problems
    )
    for problem in problems:
        logger.warning(f"{pagename}.ipynb download: {problem}", location=pagename)
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
    app.setup_extension("publishing")  # where the site is and what the install cell pins
    app.connect("source-read", note_data_dependencies)
    app.connect("html-page-context", add_notebook_download, priority=502)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
