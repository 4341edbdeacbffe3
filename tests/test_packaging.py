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
# PyPI names conda-forge spells otherwise.
CONDA_NAMES = {"build": "python-build"}
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
        wanted[CONDA_NAMES.get(name, name)] = requirement.specifier
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
    """hlmtutor's public modules (``models``, ``course.checks``, ...): the non-underscore modules
    that define ``__all__``, in the package and its subpackages."""
    names = sorted(
        ".".join(p.relative_to(ROOT / "hlmtutor").with_suffix("").parts)
        for p in (ROOT / "hlmtutor").rglob("*.py")
        if not any(part.startswith("_") for part in p.relative_to(ROOT / "hlmtutor").parts)
    )
    return [n for n in names if hasattr(importlib.import_module(f"hlmtutor.{n}"), "__all__")]


def test_api_page_documents_every_public_module() -> None:
    api = (ROOT / "book" / "api.md").read_text()
    documented = set(re.findall(r"^\.\. automodule:: hlmtutor\.([\w.]+)", api, re.M))
    modules = public_modules()
    assert modules, "found no public modules in hlmtutor/"
    missing = sorted(set(modules) - documented)
    assert not missing, f"book/api.md lacks an `.. automodule::` for hlmtutor.{missing}"


# ---------------------------------------------------------------------------------------------
# Dependencies where they are used

# Import name -> distribution name, where they differ.
IMPORT_NAMES = {
    "myst_nb": "myst-nb",
    "IPython": "ipykernel",
    "yaml": "pyyaml",
    "sklearn": "scikit-learn",
}
# Imported by the package only inside the functions of an extra (the extra named).
OPTIONAL_IMPORTS = {
    "papermill": "course",
    "IPython": "course",
    "jupyter_client": "course",
    "jupytext": "book",
    "dask": "dask",
}


def third_party_imports(paths) -> set[str]:
    import ast
    import sys

    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    ours = {"hlmtutor", "hlmtutor_instructor"}  # the instructor's distribution: hlmtutor's CLI
    return {name for name in found if name not in sys.stdlib_module_names and name not in ours}


def chapter_code(path: Path) -> str:
    """The code cells of a MyST chapter, as one Python source."""
    cells = re.findall(
        r"^```\{code-cell\}[^\n]*\n(.*?)^```", path.read_text(encoding="utf-8"), re.M | re.S
    )
    return "\n".join(
        "\n".join(line for line in cell.splitlines() if not line.startswith((":", "!", "%")))
        for cell in cells
    )


def requirement_names(lines) -> dict[str, SpecifierSet]:
    return {
        canonicalize_name(Requirement(line).name): Requirement(line).specifier for line in lines
    }


def test_the_package_imports_only_its_dependencies() -> None:
    project = pyproject()["project"]
    core = set(requirement_names(project["dependencies"]))
    imports = third_party_imports((ROOT / "hlmtutor").rglob("*.py"))
    for name in imports:
        if name in OPTIONAL_IMPORTS:
            extra = requirement_names(project["optional-dependencies"][OPTIONAL_IMPORTS[name]])
            assert canonicalize_name(IMPORT_NAMES.get(name, name)) in extra, name
        else:
            assert canonicalize_name(IMPORT_NAMES.get(name, name)) in core, (
                f"hlmtutor imports {name}"
            )
    assert "seaborn" not in core and "pingouin" not in core, "only the chapters import them"


def test_the_instructor_package_imports_only_its_dependencies() -> None:
    """hlmtutor-instructor depends on hlmtutor[course] of the same version, and on nothing else
    (jupytext, for a MyST source folder, is imported only when asked, with a message)."""
    instructor = tomllib.loads((ROOT / "instructor" / "pyproject.toml").read_text())["project"]
    assert instructor["dependencies"] == [f"hlmtutor[course]=={pyproject()['project']['version']}"]
    project = pyproject()["project"]
    declared = set(requirement_names(project["dependencies"]))
    declared |= set(requirement_names(project["optional-dependencies"]["course"]))
    imports = third_party_imports((ROOT / "instructor" / "hlmtutor_instructor").rglob("*.py"))
    missing = {
        name
        for name in imports - {"jupytext"}
        if canonicalize_name(IMPORT_NAMES.get(name, name)) not in declared
    }
    assert not missing, f"hlmtutor_instructor imports {missing}, which hlmtutor[course] lacks"


def test_the_chapters_imports_are_in_the_book_extra() -> None:
    project = pyproject()["project"]
    declared = set(requirement_names(project["dependencies"]))
    declared |= set(requirement_names(project["optional-dependencies"]["book"]))
    code = "\n".join(chapter_code(path) for path in (ROOT / "book").rglob("*.md"))
    import ast

    imports = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            imports |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imports.add(node.module.split(".")[0])
    import sys

    ours = {"hlmtutor", "hlmtutor_instructor"}  # the instructor page imports the instructor's
    third_party = {n for n in imports if n not in sys.stdlib_module_names and n not in ours}
    assert {"seaborn", "pingouin", "myst_nb"} <= third_party
    missing = {n for n in third_party if canonicalize_name(IMPORT_NAMES.get(n, n)) not in declared}
    assert not missing, f"chapters import {missing}, which neither the package nor [book] declares"


def test_importing_the_package_pulls_in_no_extra() -> None:
    import subprocess
    import sys

    code = (
        "import sys, hlmtutor, hlmtutor.course, hlmtutor_instructor.instructor\n"
        "print(sorted(m for m in ('papermill', 'jupytext', 'seaborn', 'pingouin', 'IPython')"
        " if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def binder_requirements() -> dict[str, SpecifierSet]:
    environment = yaml.safe_load((ROOT / "binder" / "environment.yml").read_text())
    found = {}
    for entry in environment["dependencies"]:
        assert isinstance(entry, str), "binder/environment.yml installs hlmtutor in postBuild"
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", entry.strip())
        assert match, entry
        spec = match[2].replace(" ", "")
        found[canonicalize_name(match[1])] = SpecifierSet(
            spec.replace("=", "==", 1) if re.fullmatch(r"=[^=].*", spec) else spec
        )
    return found


BINDER_ONLY = {"python", "pip", "jupyterlab"}


def test_binder_is_lean_and_in_step_with_pyproject() -> None:
    project = pyproject()["project"]
    binder = binder_requirements()
    core = requirement_names(project["dependencies"])
    book = requirement_names(project["optional-dependencies"]["notebooks"])
    for name, spec in core.items():
        assert binder.get(name) == spec, (
            f"binder/environment.yml: {name}{spec} (the package needs it)"
        )
    for name, spec in binder.items():
        if name in BINDER_ONLY or name in core:
            continue
        assert name in book, f"binder/environment.yml has {name}, which [notebooks] lacks"
        assert spec == book[name], f"{name}: {spec} in binder, {book[name]} in [notebooks]"
    for tool in ("jupyterlab", "ipykernel", "python"):
        assert tool in binder, f"binder/environment.yml lacks {tool}"
    # Binder opens the clean .ipynb downloads: no MyST tooling, nothing to build or test with.
    for heavy in ("jupyter-book", "pytest", "playwright", "ruff", "dask", "papermill", "myst-nb"):
        assert heavy not in binder, f"binder/environment.yml need not build or test: drop {heavy}"
    assert SpecifierSet(project["requires-python"]).contains(str(binder["python"]).lstrip("="))


def test_binder_can_run_every_chapters_imports() -> None:
    binder = set(binder_requirements())
    code = "\n".join(chapter_code(path) for path in (ROOT / "book").rglob("*.md"))
    modules = set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", code, re.M))
    import sys

    third_party = {m for m in modules if m not in sys.stdlib_module_names and m != "hlmtutor"}
    # The instructor page's example imports the instructor's distribution, which Binder (a
    # reader's and student's environment) deliberately lacks.
    third_party -= {"hlmtutor_instructor"}
    third_party -= {"myst_nb"}  # the downloads Binder opens define a stand-in for its glue
    missing = {m for m in third_party if canonicalize_name(IMPORT_NAMES.get(m, m)) not in binder}
    assert not missing, f"binder/environment.yml lacks what the chapters import: {missing}"


# ---------------------------------------------------------------------------------------------
# The files a public project carries


def test_version_is_set_in_pyproject_only() -> None:
    import hlmtutor

    version = pyproject()["project"]["version"]
    assert hlmtutor.__version__ == version
    init = (ROOT / "hlmtutor" / "__init__.py").read_text()
    assert version not in init and "importlib.metadata" in init
    # GitHub reads CITATION.cff as it is: it repeats the version, and must say the same.
    assert str(yaml.safe_load((ROOT / "CITATION.cff").read_text())["version"]) == version


def publishing_table() -> dict:
    return pyproject()["tool"]["hlmtutor"]


def test_project_urls_are_built_from_the_publishing_table() -> None:
    urls = pyproject()["project"]["urls"]
    table = publishing_table()
    repository, site = table["repository"], table["site"]
    assert urls == {
        "Homepage": repository,
        "Documentation": site,
        "Source": repository,
        "Issues": f"{repository}/issues",
        "Changelog": f"{repository}/blob/{table['branch']}/CHANGELOG.md",
    }
    assert repository.startswith("https://github.com/") and site.startswith("https://")


# Files a reader or a service reads as they are (no build step can fill in the addresses), each
# checked against [tool.hlmtutor] by a test here.
ADDRESS_COPIES_CHECKED = {"pyproject.toml", "CITATION.cff"}


def test_no_other_file_holds_the_addresses() -> None:
    """Every link, launch button and install command reads [tool.hlmtutor]; no file repeats it."""
    import subprocess

    table = publishing_table()
    addresses = [
        table["repository"].split("://", 1)[1],  # github.com/<owner>/<repo>
        table["site"].split("://", 1)[1].split("/", 1)[0],  # <owner>.github.io
    ]
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    holding = set()
    for name in filter(None, listed):
        path = ROOT / name
        if not path.is_file() or name in ADDRESS_COPIES_CHECKED:
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        if any(address in text for address in addresses):
            holding.add(name)
    assert not holding, f"these files repeat the addresses of [tool.hlmtutor]: {sorted(holding)}"
    assert len(listed) > 100  # the listing saw the repository


def test_no_page_installs_an_unpublished_name() -> None:
    """The book and README install hlmtutor through the publishing substitutions (the repository
    at the commit built, until a release), never by a bare ``pip install hlmtutor``."""
    bare = re.compile(r"pip install\s+(--\S+\s+)*['\"]?hlmtutor\b")
    pages = [ROOT / "README.md", *sorted((ROOT / "book").rglob("*.md"))]
    found = [f"{p.relative_to(ROOT)}: {m[0]}" for p in pages for m in bare.finditer(p.read_text())]
    assert not found, found


def test_config_leaves_the_addresses_to_the_publishing_extension() -> None:
    config = book_config()
    assert "url" not in config.get("repository", {}) and "baseurl" not in config["html"]
    extensions = list(config["sphinx"]["local_extensions"])
    assert extensions[0] == "publishing", "publishing sets html_baseurl before the others read it"


def test_licences() -> None:
    mit = (ROOT / "LICENSE").read_text()
    assert mit.startswith("MIT License") and "Permission is hereby granted, free of charge" in mit
    assert pyproject()["project"]["license"] == "MIT"
    book = (ROOT / "LICENSE-book").read_text()
    assert "CC BY 4.0" in book and "creativecommons.org/licenses/by/4.0/" in book
    readme = _section((ROOT / "README.md").read_text(), "License")
    assert "LICENSE" in readme and "CC BY 4.0" in readme
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert "CC BY 4.0" in config["html"]["extra_footer"]
    assert "CC BY 4.0" in (ROOT / "book" / "intro.md").read_text()


def test_citation_cff() -> None:
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    for key in ("cff-version", "message", "title", "authors"):
        assert citation.get(key), f"CITATION.cff lacks the required key {key}"
    assert citation["cff-version"] == "1.2.0"
    assert isinstance(citation["authors"], list) and citation["authors"]
    for author in citation["authors"]:
        assert author.get("name") or author.get("family-names"), author
    assert citation["license"] == pyproject()["project"]["license"]
    assert citation["type"] in ("software", "dataset")
    table = publishing_table()
    assert citation["repository-code"] == table["repository"]
    assert citation["url"] == table["site"]
    version = pyproject()["project"]["version"]
    assert str(citation["version"]) == version
    changelog = (ROOT / "CHANGELOG.md").read_text()
    dated = re.search(
        rf"^## \[{re.escape(version)}\] - (\d{{4}}-\d{{2}}-\d{{2}})$", changelog, re.M
    )
    assert dated, f"CHANGELOG.md has no dated heading for {version}"
    assert str(citation["date-released"]) == dated[1]


def test_changelog_has_an_unreleased_section() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert changelog.startswith("# Changelog")
    assert "## [Unreleased]" in changelog
    assert f"## [{pyproject()['project']['version']}]" in changelog


def test_no_placeholder_hub_and_the_setting_is_documented() -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert "jupyterhub_url" not in config["launch_buttons"]
    assert "example.org" not in (ROOT / "_config.yml").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "jupyterhub_url" in readme


def test_pytest_is_strict() -> None:
    addopts = pyproject()["tool"]["pytest"]["ini_options"]["addopts"]
    assert "--strict-markers" in addopts and "--strict-config" in addopts


@pytest.mark.parametrize("name", ["CONTRIBUTING.md", "README.md"])
def test_docs_point_inside_the_repository(name: str) -> None:
    text = (ROOT / name).read_text()
    assert "../shared" not in text and "/work/" not in text
    assert "installed here" not in text


@pytest.mark.slow
def test_sdist_leaves_the_tests_out_and_carries_the_notices(tmp_path) -> None:
    """The sdist cannot run the tests (they need the book and R's reference files), so it leaves
    them out; it carries the package with its data, the licences and NOTICE."""
    import subprocess
    import sys
    import tarfile

    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    source = tmp_path / "source"  # a copy of the tracked files: no build/ or egg-info in the tree
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes((ROOT / name).read_bytes())
    done = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "-o", str(tmp_path / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (sdist,) = (tmp_path / "dist").glob("hlmtutor-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for name in ("LICENSE", "NOTICE", "README.md", "pyproject.toml", "hlmtutor/__init__.py"):
        assert name in names, f"the sdist lacks {name}"
    assert "hlmtutor/data/hsb_students.csv" in names
    assert "hlmtutor/course/notebooks/a1-descriptives-centering.ipynb" in names
    stray = sorted(
        n for n in names if n.split("/")[0] in {"tests", "book", "benchmarks", ".github"}
    )
    assert not stray, f"the sdist holds files it cannot use: {stray[:5]}"
    # Nothing that computes an assignment's answer (the instructor's distribution) is in it.
    answers = sorted(n for n in names if n.startswith("instructor/") or "expected.py" in n)
    assert not answers, f"the sdist holds the instructor's code: {answers[:5]}"


def test_notice_names_the_third_party_material_with_licences_and_sources() -> None:
    notice = (ROOT / "NOTICE").read_text()
    for what, licence in (
        ("MathJax", "Apache License 2.0"),
        ("High School and Beyond", "public-domain"),
        ("lme4", "GPL"),
        ("guide.R", "states none"),
    ):
        assert what in notice and licence in notice, what
    vendored = (ROOT / "book" / "_static" / "mathjax" / "VENDORED.txt").read_text()
    version = re.search(r"MathJax (\d+\.\d+\.\d+)", vendored)[1]
    assert f"MathJax {version}" in notice, "NOTICE names another MathJax than the one vendored"
    named = set(re.findall(r"(?:book|hlmtutor|tests)/[\w./-]+\.(?:js|csv|Rout|R|txt)\b", notice))
    missing = sorted(path for path in named if not (ROOT / path).is_file())
    assert not missing, f"NOTICE names files that do not exist: {missing}"
    assert "NOTICE" in pyproject()["project"]["license-files"]
