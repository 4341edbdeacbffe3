"""The GitHub workflows, checked without running them: their YAML, triggers, jobs and steps.

GitHub Actions cannot run here, so these tests hold the workflows to the shape GitHub reads
(a trigger, jobs with a runner and steps, each step either ``uses`` an action at a version or
``run``s a command) and to what this project needs of them: the tests on pull requests with
every supported Python and Debian's Chromium, the site published to the branch the Colab buttons
read and tagged where the Binder buttons look, and a tag releasing to PyPI by trusted publishing.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
JOB_KEYS = {
    "name",
    "runs-on",
    "container",
    "steps",
    "needs",
    "if",
    "permissions",
    "environment",
    "timeout-minutes",
    "strategy",
    "env",
    "defaults",
    "concurrency",
    "outputs",
    "services",
    "continue-on-error",
}
STEP_KEYS = {
    "name",
    "id",
    "uses",
    "run",
    "with",
    "env",
    "if",
    "shell",
    "working-directory",
    "continue-on-error",
    "timeout-minutes",
}
EVENTS = {"push", "pull_request", "workflow_dispatch", "schedule", "release", "workflow_call"}


def load(name: str) -> dict:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True; GitHub reads it as "on".
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def triggers(workflow: dict) -> dict:
    on = workflow["on"]
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return on


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def commands(workflow: dict) -> str:
    return "\n".join(step.get("run", "") for step in steps(workflow))


@pytest.mark.parametrize("name", ["test.yml", "pages.yml", "release.yml"])
def test_workflow_schema(name):
    workflow = load(name)
    assert isinstance(workflow.get("name"), str) and workflow["name"]
    assert set(triggers(workflow)) <= EVENTS and triggers(workflow)
    jobs = workflow["jobs"]
    assert isinstance(jobs, dict) and jobs
    for job_id, job in jobs.items():
        assert re.fullmatch(r"[A-Za-z_][\w-]*", job_id), job_id
        assert set(job) <= JOB_KEYS, set(job) - JOB_KEYS
        assert "ubuntu" in str(job["runs-on"])
        assert isinstance(job["steps"], list) and job["steps"]
        for step in job["steps"]:
            assert set(step) <= STEP_KEYS, set(step) - STEP_KEYS
            assert ("uses" in step) != ("run" in step), step
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@v\d+(\.\d+)*", step["uses"]), step
            else:
                assert isinstance(step["run"], str) and step["run"].strip()
    for key in ("permissions",):
        assert key in workflow, f"{name} sets no top-level {key}"


def supported_pythons() -> list[str]:
    """The Python versions pyproject.toml's classifiers name."""
    import tomllib

    classifiers = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["classifiers"]
    prefix = "Programming Language :: Python :: "
    return [c[len(prefix) :] for c in classifiers if re.fullmatch(r"3\.\d+", c[len(prefix) :])]


def test_tests_run_on_pull_requests_with_every_supported_python_and_debians_chromium():
    workflow = load("test.yml")
    assert "pull_request" in triggers(workflow)
    assert workflow["permissions"] == {"contents": "read"}
    (job,) = workflow["jobs"].values()
    pythons = job["strategy"]["matrix"]["python"]
    assert pythons == supported_pythons() == ["3.11", "3.12", "3.13"]
    assert job["container"] == "python:${{ matrix.python }}-bookworm"  # Debian
    import tomllib

    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == f">={pythons[0]}"
    assert any(step.get("uses", "").startswith("actions/checkout@") for step in job["steps"])
    run_steps = [step["run"].strip() for step in job["steps"] if "run" in step]
    assert ".ci/run" in run_steps
    ci_run = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci_run, re.M), ".ci/run does not end in make test"
    assert "chromium" in ci_run and "apt-get install" in ci_run


def test_pages_build_the_book_and_publish_the_branch_the_colab_buttons_read():
    workflow = load("pages.yml")
    on = triggers(workflow)
    assert on["push"]["branches"] == ["main"]
    assert workflow["permissions"]["contents"] == "write"
    (job,) = workflow["jobs"].values()
    setup = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
    assert str(setup["with"]["python-version"]) == "3.11"
    script = commands(workflow)
    assert re.search(r"^make book$", script, re.M)
    words = shlex.split(script.replace("\\\n", " "))
    ghp = words.index(next(w for w in words if w.endswith("ghp-import")))
    options = words[ghp + 1 :]
    assert "--no-jekyll" in options or "-n" in options  # _static/ and _sources/ need .nojekyll
    assert "--push" in options or "-p" in options
    assert "_build/html" in options
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    pages_branch = config["sphinx"]["config"]["notebook_download_pages_branch"]
    branch = options[options.index("--branch") + 1] if "--branch" in options else "gh-pages"
    assert branch == pages_branch


def test_release_publishes_the_tagged_version_by_trusted_publishing_and_the_site():
    workflow = load("release.yml")
    on = triggers(workflow)
    assert set(on) == {"push"} and on["push"]["tags"] == ["v*"]
    assert workflow["permissions"] == {"contents": "read"}  # each job asks for what it needs
    jobs = workflow["jobs"]
    assert set(jobs) == {"dist", "pypi", "site"}
    dist = commands({"jobs": {"dist": jobs["dist"]}})
    assert "python -m build" in dist and "twine check" in dist
    assert '"v${version}"' in dist  # the tag must name pyproject's version
    assert "CITATION.cff" in dist  # and the citation must cite it
    upload = next(s for s in jobs["dist"]["steps"] if s.get("uses", "").startswith("actions/up"))
    assert upload["with"]["path"] == "dist/"
    pypi = jobs["pypi"]
    assert pypi["needs"] == "dist"
    assert pypi["permissions"] == {"id-token": "write"}  # trusted publishing, no token
    assert pypi["environment"]["name"] == "pypi"
    uses = [s.get("uses", "") for s in pypi["steps"]]
    assert any(u.startswith("pypa/gh-action-pypi-publish@") for u in uses)
    assert not any("password" in s.get("with", {}) for s in pypi["steps"])
    site = jobs["site"]
    assert site["needs"] == "pypi" and site["permissions"] == {"contents": "write"}
    script = commands({"jobs": {"site": site}})
    assert re.search(r"^make book$", script, re.M)
    assert "ghp-import" in script and "_build/html" in script
    assert 'git tag --force "site-${GITHUB_SHA::12}" gh-pages' in script


@pytest.mark.parametrize("name", ["pages.yml", "release.yml"])
def test_published_sites_are_tagged_where_the_binder_buttons_look(name):
    import sys

    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import publishing

    build = publishing.Publishing("p", "1", "https://github.com/o/r", "main", "s/", "f" * 40)
    assert build.binder_ref == "site-" + "f" * 12  # what "site-${GITHUB_SHA::12}" makes
    script = commands(load(name))
    assert 'git push --force origin "refs/tags/site-${GITHUB_SHA::12}"' in script


def test_binder_post_build_is_where_binder_looks():
    """With a binder/ folder, repo2docker ignores configuration files at the top level."""
    assert not (ROOT / "postBuild").exists()
    post_build = ROOT / "binder" / "postBuild"
    assert post_build.is_file() and post_build.stat().st_mode & 0o111
    text = post_build.read_text()
    assert "pip install --no-deps -e ." in text
    assert "jupytext" not in text  # Binder opens the built .ipynb, not the .md sources
