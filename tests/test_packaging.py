"""The project's front door: dependencies, quick start, book configuration and table of contents."""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from sphinx.util.matching import Matcher
from test_chapters import toc_names

ROOT = Path(__file__).resolve().parents[1]

# conda-forge ships some pip extras as packages of their own: `dask[distributed]` is dask plus
# distributed. An extra not listed here has no conda package and is not expected in environment.yml.
CONDA_PACKAGES_FOR_EXTRA = {("dask", "distributed"): "distributed"}
# environment.yml entries that are not Python dependencies of the project.
CONDA_ONLY = {"pip"}


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def pip_requirements() -> dict[str, SpecifierSet]:
    """Every dependency in pyproject.toml (core and all extras) as conda would name it."""
    project = pyproject()["project"]
    lines = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        lines.extend(extra)
    wanted = {"python": SpecifierSet(project["requires-python"])}
    for line in lines:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        wanted[name] = requirement.specifier
        for extra in requirement.extras:
            conda_name = CONDA_PACKAGES_FOR_EXTRA.get((name, canonicalize_name(extra)))
            if conda_name:
                wanted[conda_name] = requirement.specifier
    return wanted


def conda_requirements() -> dict[str, SpecifierSet]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    found = {}
    for entry in environment["dependencies"]:
        if not isinstance(entry, str):
            continue  # a `pip:` sub-list installs the project itself, not a dependency
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", entry.strip())
        assert match, f"environment.yml: cannot read the dependency {entry!r}"
        name, spec = canonicalize_name(match[1]), match[2].replace(" ", "")
        if name not in CONDA_ONLY:
            found[name] = SpecifierSet(spec)
    return found


def test_environment_yml_matches_pyproject() -> None:
    pip, conda = pip_requirements(), conda_requirements()
    assert sorted(set(pip) - set(conda)) == [], "in pyproject.toml but not in environment.yml"
    assert sorted(set(conda) - set(pip)) == [], "in environment.yml but not in pyproject.toml"
    differing = {
        name: (str(pip[name]), str(conda[name])) for name in pip if pip[name] != conda[name]
    }
    assert not differing, f"version bounds differ (pyproject, environment.yml): {differing}"


def test_dependency_comparison_sees_extras() -> None:
    """The mapping of extras is used: dask[distributed] stands for two conda packages."""
    pip = pip_requirements()
    assert "dask" in pip and "distributed" in pip
    assert pip["jupyter-book"] == SpecifierSet(">=1.0.4,<2")


def _section(markdown: str, heading: str) -> str:
    match = re.search(
        rf"^(#+) {re.escape(heading)}\s*$(.*?)(?=^#{{1,2}} |\Z)", markdown, re.M | re.S
    )
    assert match, f"README.md has no '{heading}' section"
    return match[2]


def test_readme_quick_start_names_make_book_and_make_test() -> None:
    quick_start = _section((ROOT / "README.md").read_text(), "Quick start")
    for command in ("make book", "make test"):
        assert re.search(rf"^\s*{command}\b", quick_start, re.M), f"quick start lacks `{command}`"
    makefile = (ROOT / "Makefile").read_text()
    for target in ("book", "test"):
        assert re.search(rf"^{target}:", makefile, re.M), f"the Makefile has no `{target}` target"


def book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


@pytest.mark.parametrize(
    "path",
    [
        ".venv/lib/python3.11/site-packages/somepackage/README.md",
        "hlmtutor/data/README.md",
        "tests/reference/notes.md",
        "_build/html/_sources/book/intro.md",
        "_build/jupyter_execute/book/01-before-we-start.ipynb",
    ],
)
def test_config_excludes_what_is_not_the_book(path: str) -> None:
    matches = Matcher(book_config()["exclude_patterns"])
    assert matches(path), f"_config.yml's exclude_patterns let {path} into the book"


def test_config_keeps_the_book() -> None:
    matches = Matcher(book_config()["exclude_patterns"])
    assert not matches("book/06-null-model.md")
    assert not matches("book/assignments/index.md")


def test_config_local_extensions_exist() -> None:
    extensions = book_config()["sphinx"]["local_extensions"]
    for name, folder in extensions.items():
        assert (ROOT / folder / f"{name}.py").is_file(), f"no local extension {folder}/{name}.py"


def test_config_paths_exist() -> None:
    config = book_config()
    for path in [config["logo"], config["html"]["favicon"], *config["bibtex_bibfiles"]]:
        assert (ROOT / path).is_file(), f"_config.yml names {path}, which does not exist"


def test_every_toc_file_exists() -> None:
    names = toc_names()
    assert len(names) > 10
    missing = [n for n in names if not any((ROOT / f"{n}{s}").is_file() for s in (".md", ".ipynb"))]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


def public_modules() -> list[str]:
    """hlmtutor's public topic modules: the non-underscore modules that define ``__all__``."""
    names = sorted(p.stem for p in (ROOT / "hlmtutor").glob("*.py") if not p.stem.startswith("_"))
    return [n for n in names if hasattr(importlib.import_module(f"hlmtutor.{n}"), "__all__")]


def test_api_page_documents_every_public_module() -> None:
    api = (ROOT / "book" / "api.md").read_text()
    documented = set(re.findall(r"^\.\. automodule:: hlmtutor\.(\w+)", api, re.M))
    modules = public_modules()
    assert modules, "found no public modules in hlmtutor/"
    missing = sorted(set(modules) - documented)
    assert not missing, f"book/api.md lacks an `.. automodule::` for hlmtutor.{missing}"
