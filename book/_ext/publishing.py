"""Where hlmtutor is published, read from the one place that says it: ``[tool.hlmtutor]``.

``pyproject.toml`` holds the package's name and version (``[project]``) and, in
``[tool.hlmtutor]``, the repository, the branch the book's "edit" links use, and the site::

    [tool.hlmtutor]
    repository = "https://github.com/<owner>/<repo>"
    branch = "main"
    site = "https://<owner>.github.io/<repo>/"

Everything that links to the project or tells a reader what to install reads it from here: the
book (this Sphinx extension sets ``html_baseurl`` and the theme's repository settings, and
offers the install commands as MyST substitutions), the downloads' install cell
(``notebook_download``), the Binder and Colab buttons. ``CITATION.cff`` and ``[project.urls]``
are static files GitHub and PyPI read as they are; ``tests/test_packaging.py`` checks that they
agree with this table and that no other file holds a copy of the addresses.

What the install commands pin: a site built from the release tag ``v<version>`` (the release
workflow, which publishes that version to PyPI first) installs ``hlmtutor==<version>`` from PyPI;
any other build installs from the repository at the very commit it was built from
(``git+<repository>@<commit>``), so that no page names a PyPI release that does not exist and
every page installs the code it was built with.

Binder opens the built, clean ``.ipynb`` of a page from the tag ``site-<commit>`` that the
publishing workflows put on the ``gh-pages`` commit they push (see :func:`binder_ref`); the
build copies ``binder/`` into the site, so that commit has its Binder configuration.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: The MyST substitutions the extension defines (``{{ pip_install_notebooks }}`` in a page).
SUBSTITUTIONS = (
    "pip_install_notebooks",
    "pip_install_course",
    "notebooks_requirement",
    "course_requirement",
)
_COMMIT = re.compile(r"[0-9a-f]{40}")
#: The theme's buttons that need the repository (jupyter-book allows them in _config.yml only
#: with the repository's URL there): turned on here, where the URL is known.
REPOSITORY_BUTTONS = ("use_repository_button", "use_issues_button", "use_edit_page_button")


@dataclass(frozen=True)
class Publishing:
    """Where the project lives and which build of it this is."""

    name: str
    version: str
    repository: str
    branch: str
    site: str
    #: The commit the site is built from (40 hex digits).
    commit: str
    #: Whether this build is of the release tag ``v<version>`` (then the version is on PyPI).
    release: bool = False

    @property
    def owner_repo(self) -> str:
        """``owner/repo`` of a GitHub repository URL."""
        return urlsplit(self.repository).path.strip("/").removesuffix(".git")

    def requirement(self, extra: str | None = None) -> str:
        """What pip installs for this build: the released version or the pinned commit."""
        name = f"{self.name}[{extra}]" if extra else self.name
        if self.release:
            return f"{name}=={self.version}"
        return f"{name} @ git+{self.repository}@{self.commit}"

    def pip_install(self, extra: str | None = None) -> str:
        return f'pip install "{self.requirement(extra)}"'

    @property
    def binder_ref(self) -> str:
        """The tag of the published site's commit on ``gh-pages`` that Binder opens."""
        return f"site-{self.commit[:12]}"


def read_table(root: Path) -> dict[str, str]:
    """``[project]`` name and version and the ``[tool.hlmtutor]`` table of ``root/pyproject.toml``."""
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    table = pyproject.get("tool", {}).get("hlmtutor", {})
    missing = [key for key in ("repository", "branch", "site") if not table.get(key)]
    if missing:
        raise ValueError(
            f"{root / 'pyproject.toml'}: [tool.hlmtutor] lacks {', '.join(missing)}; it must say "
            'where the project is published, e.g. repository = "https://github.com/o/r", '
            'branch = "main", site = "https://o.github.io/r/"'
        )
    site = table["site"] if table["site"].endswith("/") else table["site"] + "/"
    return {
        "name": pyproject["project"]["name"],
        "version": pyproject["project"]["version"],
        "repository": table["repository"].rstrip("/"),
        "branch": table["branch"],
        "site": site,
    }


def source_commit(root: Path, environ: dict[str, str] | None = None) -> str:
    """The commit being built: ``GITHUB_SHA`` in a workflow, else ``git rev-parse HEAD``."""
    environ = os.environ if environ is None else environ
    commit = environ.get("GITHUB_SHA", "")
    if not commit:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=False
        )
        commit = done.stdout.strip()
    if not _COMMIT.fullmatch(commit):
        raise ValueError(
            f"cannot tell which commit {root} is (git rev-parse HEAD gave {commit!r}): the install "
            "commands pin it; build from a git clone or set GITHUB_SHA"
        )
    return commit


def load(root: Path, environ: dict[str, str] | None = None) -> Publishing:
    """Where the project is published and which build this is, for the tree at ``root``."""
    environ = os.environ if environ is None else environ
    table = read_table(root)
    release = environ.get("GITHUB_REF") == f"refs/tags/v{table['version']}"
    return Publishing(**table, commit=source_commit(root, environ), release=release)


def substitutions(publishing: Publishing) -> dict[str, str]:
    """The MyST substitutions pages use for install commands (block and inline forms)."""
    return {
        "pip_install_notebooks": f"```bash\n{publishing.pip_install('notebooks')}\n```",
        "pip_install_course": f"```bash\n{publishing.pip_install('course')}\n```",
        "notebooks_requirement": f"`{publishing.pip_install('notebooks')}`",
        "course_requirement": f"`{publishing.pip_install('course')}`",
    }


# --- Sphinx -------------------------------------------------------------------------------------


def configure(app: Any, config: Any) -> None:
    """``config-inited``: the site's addresses and install commands, from ``pyproject.toml``."""
    publishing = load(Path(app.srcdir))
    app.hlmtutor_publishing = publishing
    config.html_baseurl = publishing.site
    theme = dict(config.html_theme_options or {})
    theme["repository_url"] = publishing.repository
    theme["repository_branch"] = publishing.branch
    for button in REPOSITORY_BUTTONS:
        theme[button] = True  # jupyter-book's defaults say false; the site has a repository
    config.html_theme_options = theme
    config.myst_substitutions = {**(config.myst_substitutions or {}), **substitutions(publishing)}


def point_binder_at_notebook(app: Any, pagename: str, context: dict[str, Any]) -> None:
    """Make the Binder button open the page's clean ``.ipynb`` from the site's pinned tag."""
    publishing: Publishing = app.hlmtutor_publishing
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        for button in group["buttons"]:
            if button.get("text") == "Binder":
                hub = button["url"].split("/v2/", 1)[0]
                button["url"] = (
                    f"{hub}/v2/gh/{publishing.owner_repo}/{publishing.binder_ref}"
                    f"?urlpath=lab/tree/_sources/{pagename}.ipynb"
                )


def copy_binder(app: Any, exception: Exception | None) -> None:
    """``build-finished``: the site (the ``gh-pages`` branch) carries Binder's configuration."""
    source = Path(app.srcdir, "binder")
    if exception is not None or app.builder.format != "html" or not source.is_dir():
        return
    target = Path(app.outdir, "binder")
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    publishing: Publishing = app.hlmtutor_publishing
    # repo2docker runs postBuild in the gh-pages checkout, which holds no package: install the
    # one the site was built from (its dependencies come from environment.yml).
    post_build = target / "postBuild"
    post_build.write_text(
        "#!/bin/bash\n# Written by book/_ext/publishing.py: hlmtutor as the site was built.\n"
        f'set -euo pipefail\npip install --no-deps "{publishing.requirement()}"\n',
        encoding="utf-8",
    )
    post_build.chmod(0o755)


def setup(app: Any) -> dict[str, Any]:
    # Before the other extensions read html_baseurl or the theme options.
    app.connect("config-inited", configure, priority=100)
    app.connect("html-page-context", _page_context, priority=503)
    app.connect("build-finished", copy_binder)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


def _page_context(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if doctree is not None and "kernelspec" in app.env.metadata.get(pagename, {}):
        point_binder_at_notebook(app, pagename, context)
