"""The student edition (``make book-student``) has no solutions; the normal build has them.

The slow tests build a tiny two-page book twice (normal and student edition) with the book's own
``_config.yml``, logo, favicon and bibliography, so that the config generation, the paths in the
generated config and the Sphinx behaviour are all exercised in ~20 s. When the real editions
have been built (``make book`` and ``make book-student``), they are inspected too.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "book" / "_tools"
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"

GATED_SECRET = "gated-solution-output-7731"
PLAIN_SECRET = "plain-solution-text-4420"
EXERCISE_TEXT = "exercise-text-stays-5519"


def _load_student_config():
    spec = importlib.util.spec_from_file_location("student_config", TOOLS / "student_config.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


student_config = _load_student_config()

CHAPTER = f"""---
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

```{{code-cell}} ipython3
x = 2
```

## Exercises

```{{exercise-start}}
:label: ex99-gated
```
{EXERCISE_TEXT}: print a code.
```{{exercise-end}}
```

```{{solution-start}} ex99-gated
:class: dropdown
```
```{{code-cell}} ipython3
print("{GATED_SECRET}")
```
```{{solution-end}}
```

```{{exercise}}
:label: ex99-plain

Say a word.
```

```{{solution}} ex99-plain
:class: dropdown

{PLAIN_SECRET}
```
"""


def _make_tiny_book(root: Path) -> None:
    """A two-page book with the project's config and the assets it points to."""
    shutil.copy(ROOT / "_config.yml", root / "_config.yml")
    # Where the book is published ([tool.hlmtutor]; book/_ext/publishing.py reads it).
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/chapter\n", encoding="utf-8"
    )
    book = root / "book"
    book.mkdir()
    shutil.copytree(ROOT / "book" / "_static", book / "_static")
    shutil.copy(ROOT / "book" / "references.bib", book / "references.bib")
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    for path in (config.get("sphinx", {}).get("local_extensions") or {}).values():
        shutil.copytree(ROOT / path, root / path, dirs_exist_ok=True)
    (book / "intro.md").write_text("# Intro\n\nA tiny book.\n", encoding="utf-8")
    (book / "chapter.md").write_text(CHAPTER, encoding="utf-8")


def _build(root: Path, *extra: str) -> None:
    command = [str(JUPYTER_BOOK), "build", str(root), "-n", "-W", "--keep-going", *extra]
    # Not a git clone: the commit the install commands pin is given as a workflow gives it.
    environ = {**os.environ, "GITHUB_SHA": "0" * 40}
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=root, timeout=300, env=environ
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.fixture(scope="module")
def tiny_editions(tmp_path_factory) -> dict[str, Path]:
    """Build the tiny book as ``make book`` and ``make book-student`` would; return html dirs."""
    root = tmp_path_factory.mktemp("tinybook")
    _make_tiny_book(root)
    _build(root)
    config = root / "_build" / "student" / "_config.yml"
    assert student_config.main([str(root / "_config.yml"), str(config)]) == 0
    _build(root, "--config", str(config), "--path-output", str(root / "_build" / "student"))
    return {
        "normal": root / "_build" / "html",
        "student": root / "_build" / "student" / "_build" / "html",
    }


def test_student_config_sets_hide_solutions_and_keeps_the_rest():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    new = student_config.student_config(config, ROOT)
    assert new["sphinx"]["config"]["hide_solutions"] is True
    assert config["sphinx"]["config"]["hide_solutions"] is False, "the input must not change"
    assert Path(new["sphinx"]["local_extensions"]["hide_gated_solutions"]) == TOOLS
    assert Path(new["execute"]["cache"]) == ROOT / "_build" / ".jupyter_cache"
    # Paths Sphinx resolves from the book root stay as they are.
    for key in ("logo", "bibtex_bibfiles", "exclude_patterns"):
        assert new[key] == config[key]
    assert new["html"]["favicon"] == config["html"]["favicon"]


def test_student_config_cli_reports_a_missing_source(tmp_path, capsys):
    assert student_config.main([str(tmp_path / "nope.yml"), str(tmp_path / "out.yml")]) == 1
    assert "no config at" in capsys.readouterr().err


@pytest.mark.slow
def test_normal_build_shows_both_kinds_of_solution(tiny_editions):
    html = (tiny_editions["normal"] / "book" / "chapter.html").read_text(encoding="utf-8")
    assert GATED_SECRET in html
    assert PLAIN_SECRET in html
    assert EXERCISE_TEXT in html


@pytest.mark.slow
def test_student_build_has_exercises_but_no_solution(tiny_editions):
    html_dir = tiny_editions["student"]
    chapter = (html_dir / "book" / "chapter.html").read_text(encoding="utf-8")
    assert EXERCISE_TEXT in chapter
    assert 'class="solution' not in chapter
    for page in html_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert GATED_SECRET not in text, page
        assert PLAIN_SECRET not in text, page
    # The assets the config points to made it into the student site.
    assert (html_dir / "_static" / "logo.svg").is_file()
    assert (html_dir / "_static" / "favicon.ico").is_file()
    assert "(student edition)" in chapter


REAL_NORMAL = ROOT / "_build" / "html"
REAL_STUDENT = ROOT / "_build" / "student" / "_build" / "html"


@pytest.mark.slow
@pytest.mark.skipif(
    not (REAL_STUDENT.is_dir() and REAL_NORMAL.is_dir()),
    reason="the real editions are not built (run `make book` and `make book-student`)",
)
def test_real_student_edition_has_no_solutions():
    def solution_pages(html_dir: Path) -> set[str]:
        return {
            str(page.relative_to(html_dir))
            for page in html_dir.rglob("*.html")
            if 'class="solution' in page.read_text(encoding="utf-8")
        }

    assert solution_pages(REAL_NORMAL), "the normal build should show solutions"
    assert solution_pages(REAL_STUDENT) == set()
