"""The ``.ipynb`` downloads of the built site, run as a reader runs them.

Chapter 1 tells readers to install ``hlmtutor[notebooks]`` and to run a downloaded chapter with
``jupyter execute --inplace <chapter>.ipynb``. The slow tests do exactly that: they make a fresh
virtual environment, ``pip install "<this repository>[notebooks]"`` (from the local tree; pip's
cache makes it quick), copy each download of the built site (``_build/html/_sources``, or
``HLMTUTOR_SITE``) into an empty folder and execute it there with the environment's
``jupyter execute --inplace``. Each executed notebook must have run every cell, printed nothing to
stderr, shown a figure (``image/png``) for every figure its text announces, and hold no raw MyST
role or directive in its markdown. The instructor commands of the assignments page are run as
written, from the page's own ``bash`` blocks.

The fast tests check the MyST-to-Markdown conversion (``hlmtutor/course/_myst.py``) on a small
page, and the install cell: in a virtual environment holding the versions of the packages Colab
preinstalls, it installs what a chapter lacks and changes none of them.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import notebook_download  # noqa: E402  (the book's local Sphinx extension)
import publishing  # noqa: E402

from hlmtutor.course._myst import MarkdownConverter, PageContext  # noqa: E402

SITE = Path(os.environ.get("HLMTUTOR_SITE", ROOT / "_build" / "html")).resolve()
DOWNLOADS = sorted((SITE / "_sources").rglob("*.ipynb")) if (SITE / "_sources").is_dir() else []
EXTRA = "notebooks"  # the extra the book tells readers to install
RUN_COMMAND = "jupyter execute --inplace"  # how chapter 1 says to run a download

# MyST that no notebook editor renders.
RAW_MYST = re.compile(
    r"\{glue|\{term\}|\{doc\}|\{ref\}|\{numref\}|\{cite|\{exercise|\{solution|\{func\}"
    r"|```\{|:::\{"
)


def raw_myst(notebook: nbformat.NotebookNode) -> list[str]:
    """Raw MyST left in the notebook's markdown cells, with some context."""
    found = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for match in RAW_MYST.finditer(cell.source):
                found.append(cell.source[max(0, match.start() - 30) : match.end() + 30])
    return found


# --- the reader's environment ------------------------------------------------------------------


def _reader_environ(home: Path) -> dict[str, str]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in {"VIRTUAL_ENV", "PYTHONPATH", "JUPYTER_PATH", "JUPYTER_DATA_DIR"}
    }
    # Only the environment's own kernel (no user-level kernelspec pointing at another Python),
    # and a matplotlib cache of its own, built before the notebooks run.
    environ["JUPYTER_DATA_DIR"] = str(home / "jupyter-data")
    environ["MPLCONFIGDIR"] = str(home / "matplotlib")
    environ["JUPYTER_PLATFORM_DIRS"] = "1"
    return environ


def _fresh_environment(home: Path, requirements: list[str]) -> tuple[Path, dict[str, str]]:
    """A fresh virtual environment in ``home`` with ``requirements``: its bin folder and environ."""
    venv = home / "venv"
    environ = _reader_environ(home)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=environ)
    bin_dir = venv / "bin"
    # pip builds the wheel in the tree (setuptools' build/); leave the tree as it was, so that no
    # stale build/lib goes into a later wheel.
    had_build_dir = (ROOT / "build").exists()
    install = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", *requirements],
        capture_output=True,
        text=True,
        env=environ,
        timeout=900,
    )
    if not had_build_dir:
        shutil.rmtree(ROOT / "build", ignore_errors=True)
        shutil.rmtree(ROOT / "instructor" / "build", ignore_errors=True)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    warm = subprocess.run(
        [str(bin_dir / "python"), "-c", "import matplotlib.pyplot"],
        capture_output=True,
        text=True,
        env=environ,
    )
    assert warm.returncode == 0, warm.stderr
    environ["PATH"] = f"{bin_dir}{os.pathsep}{environ.get('PATH', '')}"
    return bin_dir, environ


@pytest.fixture(scope="module")
def reader(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A fresh virtual environment with ``hlmtutor[notebooks]``: its bin folder and environ."""
    if not DOWNLOADS:
        pytest.fail(f"{SITE} has no .ipynb downloads: run `make book` first")
    return _fresh_environment(tmp_path_factory.mktemp("reader"), [f"{ROOT}[{EXTRA}]"])


@pytest.fixture(scope="module")
def instructor(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """What the instructor page says an instructor installs: the notebooks extra and the
    instructor's own distribution (``instructor/``), which readers never get."""
    return _fresh_environment(
        tmp_path_factory.mktemp("instructor"), [f"{ROOT}[{EXTRA}]", str(ROOT / "instructor")]
    )


def _figures_announced(notebook: nbformat.NotebookNode) -> int:
    """How many figures the text shows (the converter, ``hlmtutor.course._myst``, writes
    "**Figure N.M.**" captions)."""
    return sum(
        len(re.findall(r"^\*\*Figure[ .\d]*\*\*", cell.source, re.MULTILINE))
        for cell in notebook.cells
        if cell.cell_type == "markdown"
    )


def execution_problems(notebook: nbformat.NotebookNode) -> list[str]:
    """What a reader would see go wrong in an executed notebook."""
    problems, images = [], 0
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        if cell.execution_count is None:
            problems.append(f"cell {index} did not run")
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stderr":
                problems.append(f"cell {index} printed to stderr: {output.text[:300]!r}")
            elif output.output_type == "error":
                problems.append(f"cell {index} raised {output.ename}: {output.evalue[:300]}")
            elif "image/png" in output.get("data", {}):
                images += 1
    announced = _figures_announced(notebook)
    if images < announced:
        problems.append(f"{announced} figure(s) in the text, but only {images} image output(s)")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize(
    "download", DOWNLOADS, ids=[str(d.relative_to(SITE / "_sources")) for d in DOWNLOADS]
)
def test_download_runs_in_a_fresh_environment(request, download: Path, tmp_path: Path) -> None:
    """The download, in an empty folder, run with the command chapter 1 gives (the instructor
    page in the environment it tells instructors to make; every other page in a reader's)."""
    is_instructor_page = download.relative_to(SITE / "_sources").parts[-2:] == (
        "assignments",
        "index.ipynb",
    )
    bin_dir, environ = request.getfixturevalue("instructor" if is_instructor_page else "reader")
    notebook = tmp_path / download.name
    shutil.copy(download, notebook)
    command = [*shlex.split(RUN_COMMAND), notebook.name]
    command[0] = str(bin_dir / command[0])
    done = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, env=environ, timeout=600
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stderr[-4000:]}"
    executed = nbformat.read(notebook, as_version=4)
    problems = execution_problems(executed)
    problems += [f"raw MyST in the text: {text!r}" for text in raw_myst(executed)]
    assert not problems, f"{download.name}:\n  " + "\n  ".join(problems)


def test_the_book_names_one_extra_and_the_commands_tested_here() -> None:
    """Chapter 1 names the extra installed above through the publishing substitution (the
    repository at the commit built, or the release), and the run command used above; the
    download's note names the same; the extra exists. Readers are told one extra; only the
    instructor's pages (grading) also name the course extra."""
    import tomllib

    chapter = (ROOT / "book" / "01-before-we-start.md").read_text()
    assert "{{ pip_install_notebooks }}" in chapter
    assert f"{RUN_COMMAND} " in chapter
    build = publishing.Publishing(
        "hlmtutor", "0.1.0", "https://github.com/o/r", "main", "https://o.github.io/r/", "a" * 40
    )
    commands = publishing.substitutions(build)
    assert commands["pip_install_notebooks"] == (
        f'```bash\npip install "hlmtutor[{EXTRA}] @ git+https://github.com/o/r@{"a" * 40}"\n```'
    )
    assert notebook_download.EXTRA == EXTRA
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert EXTRA in extras["optional-dependencies"]
    instructor_pages = {ROOT / "README.md", ROOT / "book" / "assignments" / "index.md"}
    mentions = set()
    for page in [ROOT / "README.md", *sorted((ROOT / "book").rglob("*.md"))]:
        named = set(re.findall(r"hlmtutor\[(\w+)\]", page.read_text()))
        mentions |= named if page not in instructor_pages else named - {"course"}
    assert mentions <= {EXTRA}, f"the book and README name these extras: {mentions}"
    assert "course" in extras["optional-dependencies"]


def test_install_commands_pin_the_build() -> None:
    """Before a release, every install command names the repository at the commit built (never
    the unpublished PyPI name); a build of the release tag names the release."""
    table = publishing.read_table(ROOT)
    commit = "0123456789abcdef0123456789abcdef01234567"
    build = publishing.load(ROOT, {"GITHUB_SHA": commit, "GITHUB_REF": "refs/heads/main"})
    assert build.requirement("course") == f"hlmtutor[course] @ git+{table['repository']}@{commit}"
    for text in publishing.substitutions(build).values():
        assert f"@ git+{table['repository']}@{commit}" in text
    release = publishing.load(
        ROOT, {"GITHUB_SHA": commit, "GITHUB_REF": f"refs/tags/v{table['version']}"}
    )
    assert release.requirement("notebooks") == f"hlmtutor[notebooks]=={table['version']}"
    assert build.binder_ref == "site-0123456789ab"
    with pytest.raises(ValueError, match="GITHUB_SHA"):
        publishing.source_commit(ROOT, {"GITHUB_SHA": "main"})


# --- the conversion, on a small page -----------------------------------------------------------

PAGE = """\
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

(sec-top)=
# A chapter

```{code-cell} ipython3
import matplotlib.pyplot as plt
from myst_nb import glue

fig, ax = plt.subplots()
glue("icc", 0.123456, display=False)
glue("fig", fig, display=False)
plt.close(fig)
```

The {term}`ICC` is {glue:text}`icc:.3f` {cite:p}`key`, as {cite:t}`key` say; see {doc}`other`
and [the other page](other.md#part), {func}`hlmtutor.lmer`, and `{math}` in code.

```{glue:figure} fig
:alt: A figure.
:name: fig-top

A caption of {glue:text}`icc:.1f`.
```

:::{dropdown} The same step in R
```r
summary(x)
```
:::

```{note}
A note.
```

## Exercises

```{exercise-start}
:label: ex99-one
```
Compute it.
```{exercise-end}
```

```{solution-start} ex99-one
:class: dropdown
```
```{code-cell} ipython3
print("solution-code-77")
```
```{solution-end}
```
"""


def _context() -> PageContext:
    return PageContext(
        docname="book/page",
        glue={"icc": {"data": {"text/plain": "0.123456"}}},
        base_url="https://example.org/book-site/",
        titles={"book/other": "The other page"},
        terms={"icc": ("book/glossary", "term-ICC")},
        exercise_numbers={"ex99-one": "3.1"},
        figure_numbers={"fig-top": "3.1"},
        citations={"key": ("Bates et al.", "2015")},
    )


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "page.md"
    path.write_text(PAGE)
    return path


def _text(notebook: nbformat.NotebookNode) -> str:
    return "\n\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def test_conversion_gives_plain_markdown(page: Path) -> None:
    notebook = notebook_download.source_to_notebook(page, False, _context())
    text = _text(notebook)
    for expected in [
        "[ICC](https://example.org/book-site/book/glossary.html#term-ICC) is 0.123",
        "(Bates et al., 2015), as Bates et al. (2015) say",
        "[The other page](https://example.org/book-site/book/other.html)",
        "[the other page](https://example.org/book-site/book/other.html#part)",
        "`hlmtutor.lmer()`",
        "`{math}` in code",  # code shows MyST as it is
        "**Figure 3.1.** A caption of 0.1.",
        "> **The same step in R**\n>\n> ```r\n> summary(x)\n> ```",
        "> **Note**\n>\n> A note.",
        "### Exercise 3.1\n\nCompute it.",
        "#### Solution to Exercise 3.1",
        "*End of the solution to Exercise 3.1.*",
    ]:
        assert expected in text, f"{expected!r} not in:\n{text}"
    assert "(sec-top)=" not in text
    assert raw_myst(notebook) == []
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "solution-code-77" in code
    assert "from myst_nb import glue" not in code
    nbformat.validate(notebook)


def test_student_edition_download_has_no_solution(page: Path) -> None:
    notebook = notebook_download.source_to_notebook(page, True, _context())
    everything = "\n".join(cell.source for cell in notebook.cells)
    assert "solution-code-77" not in everything and "Solution" not in everything
    assert "### Exercise 3.1" in everything


def test_first_code_cell_installs_and_shows_figures(page: Path) -> None:
    install = notebook_download.Install(
        package="pkg @ git+u@c",
        with_extra="pkg[x] @ git+u@c",
        requirements={"numpy": "numpy>=1.26", "seaborn": "seaborn>=0.13"},
    )
    notebook = notebook_download.source_to_notebook(page, False, _context(), install)
    setup = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert notebook_download.SETUP_TAG in setup.metadata["tags"]
    assert "'hlmtutor': 'pkg @ git+u@c'," in setup.source
    assert "--constraint" in setup.source and "%pip" not in setup.source
    assert 'pip install "pkg[x] @ git+u@c"' in notebook.cells[1].source
    # The stand-in for myst_nb.glue shows figures even with display=False, and nothing else.
    namespace: dict = {}
    shown: list = []
    stand_in = setup.source.split("\n\n\ndef glue", 1)[1]
    exec("def glue" + stand_in, namespace)  # noqa: S102  (our own cell's code)
    import IPython.display
    from matplotlib.figure import Figure

    original = IPython.display.display
    IPython.display.display = shown.append
    try:
        namespace["glue"]("n", 1.5, display=False)
        namespace["glue"]("f", Figure(), display=False)
        namespace["glue"]("m", "shown", display=True)
    finally:
        IPython.display.display = original
    assert [type(x).__name__ for x in shown] == ["Figure", "str"]


def test_unknown_glue_key_is_reported() -> None:
    converter = MarkdownConverter(PageContext())
    assert converter.convert("Value {glue:text}`nope:.2f`.") == "Value [nope]."
    assert converter.problems == ["no glued value 'nope'"]


def test_install_plan_takes_the_chapters_imports_and_never_the_kernel() -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "import numpy as np, pathlib\nfrom IPython.display import HTML\nimport ipykernel\n"
            "import seaborn.objects as so\n%matplotlib inline\ndf.style.format('{:.2f}')"
        )
    ]
    requirements = {"numpy": "numpy>=1.26", "seaborn": "seaborn>=0.13", "jinja2": "jinja2>=3.1"}
    requirements |= {"ipykernel": "ipykernel>=6.29"}
    plan = notebook_download.install_plan(notebook, requirements, "hlmtutor @ git+u@c")
    assert plan == {
        "hlmtutor": "hlmtutor @ git+u@c",
        "numpy": "numpy>=1.26",
        "seaborn": "seaborn>=0.13",
        "jinja2": "jinja2>=3.1",
    }


# What Colab's runtime (Python 3.12) ships of the packages that matter here: the kernel and
# Jupyter's own, which the install cell must never replace under a running kernel, and the
# scientific stack hlmtutor needs, which it must not upgrade. Versions of Colab's late-2025
# image (the latest known here; Colab moves slowly on these, and holds ipykernel, jupyter_client
# and tornado back for its frontend).
COLAB_PREINSTALLED = {
    "numpy": "2.0.2",
    "pandas": "2.2.2",
    "scipy": "1.16.3",
    "statsmodels": "0.14.5",
    "matplotlib": "3.10.0",
    "seaborn": "0.13.2",
    "ipykernel": "6.17.1",
    "jupyter-client": "7.4.9",
    "tornado": "6.5.1",
}


def _installed(python: Path, environ: dict[str, str]) -> dict[str, str]:
    import json

    done = subprocess.run(
        [str(python), "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        env=environ,
        check=True,
    )
    return {
        re.sub(r"[-_.]+", "-", item["name"]).lower(): item["version"]
        for item in json.loads(done.stdout)
    }


def _colab_python() -> str:
    """Python 3.12, as Colab runs, where this machine has it (else the tests' own Python)."""
    candidates = [
        shutil.which("python3.12"),
        *sorted(Path.home().glob(".pyenv/versions/3.12*/bin/python3.12")),
    ]
    for candidate in filter(None, candidates):
        if (
            subprocess.run([str(candidate), "-c", "import venv"], capture_output=True).returncode
            == 0
        ):
            return str(candidate)
    return sys.executable


@pytest.mark.slow
def test_install_cell_in_a_colab_like_environment_changes_nothing_installed(tmp_path) -> None:
    """The cell of chapter 4 (hlmtutor, pingouin, seaborn, jinja2) in a venv with Colab's
    versions: it installs what is missing and leaves every installed distribution as it was."""
    base = _colab_python()
    environ = _reader_environ(tmp_path)
    venv = tmp_path / "colab"
    subprocess.run([base, "-m", "venv", str(venv)], check=True, env=environ)
    python = venv / "bin" / "python"
    pins = [f"{name}=={version}" for name, version in COLAB_PREINSTALLED.items()]
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *pins],
        check=True,
        env=environ,
        timeout=1200,
    )
    before = _installed(python, environ)
    # hlmtutor from a copy of this tree (the published cell names the repository at a commit).
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", "NOTICE", "MANIFEST.in"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "hlmtutor", source / "hlmtutor", ignore=shutil.ignore_patterns("__pycache__")
    )
    install = notebook_download.Install(
        package=f"hlmtutor @ {source.as_uri()}",
        requirements=notebook_download.declared_requirements(ROOT),
    )
    notebook = notebook_download.source_to_notebook(
        ROOT / "book" / "04-exploring.md", False, None, install
    )
    cell = next(c for c in notebook.cells if c.cell_type == "code").source
    assert "ipykernel" not in cell.split("_missing =")[0]
    script = tmp_path / "cell.py"
    script.write_text(cell.split("\n\n\ndef glue")[0])
    done = subprocess.run(
        [str(python), str(script)], capture_output=True, text=True, env=environ, timeout=1200
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Installing hlmtutor @" in done.stdout and "pingouin" in done.stdout
    after = _installed(python, environ)
    changed = {name: (v, after.get(name)) for name, v in before.items() if after.get(name) != v}
    assert not changed, f"the install cell changed what was installed: {changed}"
    for name, version in COLAB_PREINSTALLED.items():
        assert after[name] == version, name
    assert {"hlmtutor", "nlopt", "pingouin"} <= set(after)
    imported = subprocess.run(
        [str(python), "-c", "import hlmtutor, pingouin, seaborn, jinja2; print(hlmtutor.__file__)"],
        capture_output=True,
        text=True,
        env=environ,
    )
    assert imported.returncode == 0, imported.stderr
    # Run again: nothing is missing, nothing is installed.
    again = subprocess.run(
        [str(python), str(script)], capture_output=True, text=True, env=environ, timeout=300
    )
    assert again.returncode == 0 and "Installing" not in again.stdout


def test_substitutions_become_their_markdown_where_they_stand() -> None:
    """The install commands reach the downloads as the book shows them ({{ name }} of MyST)."""
    context = PageContext(substitutions={"cmd": "```bash\npip install x\n```", "inline": "`y`"})
    converter = MarkdownConverter(context)
    text = "1. Install:\n\n   {{ cmd }}\n\n   then {{inline}} and {{ nope }}."
    assert converter.convert(text) == (
        "1. Install:\n\n   ```bash\n   pip install x\n   ```\n\n   then `y` and {{ nope }}."
    )
    assert converter.problems == ["no substitution 'nope'"]
