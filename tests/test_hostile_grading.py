"""Hostile submissions: each attack of issue 18's review, and what the grader now does.

The fast tests feed the grader's parts hostile files and rosters directly. The slow tests grade
a class of hostile notebooks for real, with ``hlmtutor grade`` run in a subprocess on a copy of
the package (so an attack that rewrites the package rewrites the copy, never this checkout) and,
when the tests run as root, as the unprivileged user ``nobody`` (as an instructor is), with an
API token and a ``JUPYTER_PATH`` of planted, broken kernel specs in the grader's environment.
"""

from __future__ import annotations

import functools
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from test_grading import A1_NOTEBOOK, A1_RIGHT, fill, hand_in

from hlmtutor.__main__ import main
from hlmtutor.course import _safeio, _seal, assignment_data, check_icc, load_seals
from hlmtutor_instructor import _grading as grading
from hlmtutor_instructor import tasks
from hlmtutor_instructor.instructor import grade, notebook_source, read_roster, student_notebook

REPO = Path(__file__).resolve().parents[1]
A1 = grading.ASSIGNMENTS["a1"]


# ---------------------------------------------------------------------------------------------
# Answers files that crashed the grader: deep nesting, /proc/self/mem, FIFOs, size


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda path: path.write_text("[" * 100_000), id="100000-nested-brackets"),
        pytest.param(lambda path: path.write_text("{" * 100_000), id="100000-nested-braces"),
        pytest.param(lambda path: path.symlink_to("/proc/self/mem"), id="link-to-proc-self-mem"),
        pytest.param(lambda path: os.mkfifo(path), id="fifo"),
        pytest.param(lambda path: path.mkdir(), id="folder"),
        pytest.param(lambda path: path.write_bytes(b"\xff\xfe{"), id="not-utf8"),
        pytest.param(
            lambda path: path.write_text(
                json.dumps({"answers": {"my_mean": {"kind": "number", "value": 1.0}}})
                + " " * grading.MAX_ANSWERS_BYTES
            ),
            id="over-the-size-limit",
        ),
    ],
)
def test_an_unreadable_answers_file_is_no_answers(tmp_path, make):
    path = tmp_path / grading.ANSWERS_FILE
    make(path)
    assert grading._read_answers(path) == ({}, None)
    grades = grading.judge(A1, "s001", grading.Outcome(grading.RAN, {}, None))
    assert [g.points for g in grades] == [0] * len(A1.tasks)


def test_a_link_is_never_read_through(tmp_path):
    (tmp_path / "real").write_text('{"answers": {}}')
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(_safeio.Unreadable, match="symbolic link"):
        _safeio.read_capped(tmp_path / "link", 1000)
    assert _safeio.read_capped(tmp_path / "real", 1000) == b'{"answers": {}}'


# ---------------------------------------------------------------------------------------------
# Notebook text in feedback: fenced, cut; the id from the roster


HOSTILE_TEXT = "```\n\n# Full marks: 13 of 13\n<script>alert(1)</script>\n````` " + "A" * 50_000


def test_notebook_text_is_fenced_and_cut():
    outcome = grading.Outcome(
        grading.ERROR, {}, HOSTILE_TEXT, "a cell raised an error", detail=HOSTILE_TEXT
    )
    answers = {"my_mean": {"kind": "other", "type": HOSTILE_TEXT}}
    outcome.answers = answers
    text = grading.feedback_text("s001", [(A1, outcome, grading.judge(A1, "s001", outcome))])
    assert len(text) < 5_000
    assert text.startswith("# Feedback for s001\n")
    # Outside the fenced block no line of the notebook's text starts a heading or holds HTML.
    fence = re.search(r"^(`{6,})text\n.*?^\1$", text, re.M | re.S)
    assert fence is not None, text
    outside = text[: fence.start()] + text[fence.end() :]
    assert "# Full marks" not in outside.replace("`` ``` # Full marks", "")
    assert not re.search(r"^#+ Full marks", outside, re.M)
    inline = re.search(r"it is a (`+)(.*?)\1", outside)
    assert inline is not None and "\n" not in inline.group(2)


def test_quoted_text_cannot_close_its_fence():
    for text in ("```", "``````````", "a\n```\n# x", "~~~\n# x"):
        block = _safeio.quoted(text)
        fence = block.split("text\n", 1)[0]
        body = block[len(fence) + 5 : -len(fence) - 1]
        assert not any(line.startswith(fence) for line in body.splitlines())


# ---------------------------------------------------------------------------------------------
# Bisection and the expected values


def test_bisection_on_a_students_check_finds_nothing():
    """The review's attack: ~20 calls to a check that said 'too high'/'too low'.

    The check of a student's notebook, with that student's seals loaded, as their notebook runs it.
    """
    data = assignment_data("a2", "s001")
    load_seals(_seal.dumps(tasks.seals("a2", "s001")))
    try:
        low, high, calls = 0.0, 1.0, 0
        for _ in range(20):
            middle = (low + high) / 2
            result = check_icc(middle, data)
            calls += 1
            if result.correct:
                break
            assert not re.search(r"too (high|low)|higher|lower|smaller|larger", result.message)
            low = middle  # with no direction, the attacker can only guess one
        messages = {check_icc(value, data).message for value in (0.01, 0.3, 0.99)}
    finally:
        load_seals("{}")
    assert len(messages) == 1  # the same words whatever the value
    right = tasks.rule("a2", "icc").expected(data)
    assert abs(middle - right) > 0.005 or calls == 20


STUDENT_MODULES = sorted((REPO / "hlmtutor" / "course").glob("*.py"))


def _imports(path: Path) -> set[str]:
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
    return found


def test_the_expected_values_are_not_importable_by_a_student():
    """Nothing in the package students install computes an answer (the wheel's own test, in a
    venv with only that wheel, is tests/test_wheel.py)."""
    import importlib.util

    for name in ("expected", "_fits", "instructor", "_grading", "_roster"):
        assert importlib.util.find_spec(f"hlmtutor.course.{name}") is None, name
    assert not any(
        hasattr(task, "expected") or hasattr(task, "check")
        for spec in grading.ASSIGNMENTS.values()
        for task in spec.tasks
    )
    # The student's course modules fit no model, center no column, and import nothing of the
    # instructor's package.
    answer_code = ("models", "lmm", "centering", "hlmtutor_instructor", "describe")
    for path in STUDENT_MODULES:
        for name in _imports(path):
            assert not any(part in answer_code for part in name.split(".")), (path.name, name)


def test_a_seal_holds_no_right_value():
    """A seal is a salt, the public tolerance and hashes: nowhere to keep a value."""
    rules = {rule.label: rule for rule in [*tasks.RULES.values(), *tasks.PRACTICE["a3"]]}
    for label, sealed in tasks.seals("a3", "s001").items():
        assert set(sealed) == {"kind", "salt", "absolute", "relative", "digests"}
        tolerance = rules[label].tolerance
        assert (sealed["absolute"], sealed["relative"]) == (tolerance.absolute, tolerance.relative)
        for text in [sealed["salt"], *sealed["digests"]]:
            assert re.fullmatch(r"[0-9a-f]{32}", text), text


# ---------------------------------------------------------------------------------------------
# Instructor errors: rosters, time limits, overwriting, unmatched folders, links


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("student_id,name\ns001,Ada,\ns002,Ben\n", r"line 2: 3 fields where the header has 2"),
        ("student_id,name,\ns001,Ada\n", r"line 2: 2 fields where the header has 3"),
        ("student_id,name\ns001,Ada\ns002,Ben,x,y\n", r"line 3: 4 fields"),
        ("student_id\n" + "s" * 65 + "\n", "cannot be folder names"),
        ('student_id\n"s1\n', "line|field|readable"),
    ],
)
def test_rosters_are_parsed_strictly(text, message):
    with pytest.raises(ValueError, match=message):
        read_roster(io.StringIO(text))


def test_a_roster_that_is_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes("student_id,name\ns001,Ada\ns002,Jos\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"not UTF-8 text: byte 0xe9 on line 3"):
        read_roster(path)


@pytest.mark.parametrize("timeout", ["nan", "inf", "-inf", "0", "-5", "soon"])
def test_the_time_limit_must_be_finite_and_positive(tmp_path, timeout, capsys):
    (tmp_path / "roster.csv").write_text("student_id\ns001\n")
    with pytest.raises(SystemExit) as stopped:
        main(["grade", str(tmp_path), "--roster", str(tmp_path / "roster.csv"), "--out",
              str(tmp_path / "g"), f"--timeout={timeout}"])  # fmt: skip
    assert stopped.value.code == 2
    assert "finite, positive number of seconds" in capsys.readouterr().err
    with pytest.raises(ValueError, match="finite, positive"):
        grade(tmp_path, pd.DataFrame({"student_id": ["s001"]}), tmp_path / "g", "a1",
              timeout=float(timeout) if timeout != "soon" else math.nan)  # fmt: skip
    assert not (tmp_path / "g").exists()


def _fake_class(tmp_path, monkeypatch, fail_for=()):
    """A class whose notebooks are not run: s001 answers right, others nothing."""
    returned = tmp_path / "returned"
    for student in ("s001", "s002", "s003"):
        hand_in(returned, student, nbformat.v4.new_notebook())
    ran = []

    def fake_run(notebook, student_id, spec, *, timeout):
        ran.append(student_id)
        if student_id in fail_for:
            raise KeyError("the grader's own bug")
        answers = {}
        if student_id == "s001":
            data = assignment_data("a1", "s001")
            answers = {"my_mean": {"kind": "number", "value": float(data["math_score"].mean())}}
        return grading.Outcome(grading.RAN, answers, student_id), b"{}"

    monkeypatch.setattr(grading, "run_submission", fake_run)
    return returned, ran


def test_grading_refuses_to_overwrite_unless_forced(tmp_path, monkeypatch):
    returned, _ = _fake_class(tmp_path, monkeypatch)
    roster = pd.DataFrame({"student_id": ["s001", "s002", "s003"]})
    grade(returned, roster, tmp_path / "g", "a1")
    before = (tmp_path / "g" / "scores.csv").read_bytes()
    late = pd.DataFrame({"student_id": ["s003"]})
    with pytest.raises(FileExistsError, match="scores.csv.*--force"):
        grade(returned, late, tmp_path / "g", "a1")
    assert (tmp_path / "g" / "scores.csv").read_bytes() == before  # the class's file is kept
    scores = grade(returned, late, tmp_path / "g", "a1", force=True)
    assert scores["student_id"].tolist() == ["s003"]
    assert sorted(p.name for p in (tmp_path / "g" / "feedback").iterdir()) == ["s003.md"]
    assert not (tmp_path / "g" / grading.PROGRESS_FILE).exists()


def test_one_failing_submission_costs_only_its_student(tmp_path, monkeypatch):
    returned, ran = _fake_class(tmp_path, monkeypatch, fail_for=("s002",))
    roster = pd.DataFrame({"student_id": ["s001", "s002", "s003"]})
    scores = grade(returned, roster, tmp_path / "g", "a1")
    assert ran == ["s001", "s002", "s003"]
    assert scores.set_index("student_id")["total"].to_dict() == {"s001": 1, "s002": 0, "s003": 0}
    assert scores.attrs["grader_failures"] == ['s002/a1: KeyError: "the grader\'s own bug"']
    assert "The grader failed" in (tmp_path / "g" / "feedback" / "s002.md").read_text()
    code = main(["grade", str(returned), "--roster", str(_roster_file(tmp_path, roster)), "--out",
                 str(tmp_path / "g2"), "--assignments", "a1"])  # fmt: skip
    assert code == 1  # the instructor learns that the grader failed


def _roster_file(tmp_path: Path, roster: pd.DataFrame) -> Path:
    path = tmp_path / "roster.csv"
    roster.to_csv(path, index=False)
    return path


def test_unmatched_folders_and_links_are_reported(tmp_path, monkeypatch, capsys):
    returned, ran = _fake_class(tmp_path, monkeypatch)
    (returned / "S001 (late)").mkdir()
    (returned / "stranger").mkdir()
    elsewhere = tmp_path / "elsewhere"
    hand_in(elsewhere, "x", nbformat.v4.new_notebook())
    (returned / "s004").symlink_to(elsewhere / "x")  # a linked folder
    (returned / "s005").mkdir()
    (returned / "s005" / A1_NOTEBOOK).symlink_to(elsewhere / "x" / A1_NOTEBOOK)  # a linked file
    roster = pd.DataFrame({"student_id": ["s001", "s002", "s003", "s004", "s005"]})
    code = main(["grade", str(returned), "--roster", str(_roster_file(tmp_path, roster)), "--out",
                 str(tmp_path / "g"), "--assignments", "a1"])  # fmt: skip
    assert code == 0
    err = capsys.readouterr().err
    assert "2 entries" in err and "'S001 (late)'" in err and "'stranger'" in err
    assert "s004" not in ran and "s005" not in ran
    for student in ("s004", "s005"):
        text = (tmp_path / "g" / "feedback" / f"{student}.md").read_text()
        assert "symbolic link, which the grader does not follow" in text


def test_a_changed_package_stops_grading(tmp_path, monkeypatch):
    """The review's attack: a cell appending to the installed _grading.py (here: a stand-in file)."""
    watched = tmp_path / "site" / "_grading.py"
    watched.parent.mkdir()
    watched.write_text("# the grader\n")
    monkeypatch.setattr(grading, "_watched_files", lambda: [watched])
    returned, ran = _fake_class(tmp_path, monkeypatch)
    fake = grading.run_submission

    def tampering(notebook, student_id, spec, *, timeout):
        if student_id == "s002":
            with open(watched, "a") as handle:
                handle.write("FULL_MARKS = True\n")
        return fake(notebook, student_id, spec, timeout=timeout)

    monkeypatch.setattr(grading, "run_submission", tampering)
    roster = pd.DataFrame({"student_id": ["s001", "s002", "s003"]})
    with pytest.raises(grading.GradingAborted, match=r"changed while grading.*s002.*reinstall"):
        grade(returned, roster, tmp_path / "g", "a1")
    assert ran == ["s001", "s002"]  # s003 was not graded with a rigged grader
    progress = pd.read_csv(tmp_path / "g" / grading.PROGRESS_FILE, dtype={"student_id": str})
    assert progress["student_id"].tolist() == ["s001", "s002"]
    assert not (tmp_path / "g" / "scores.csv").exists()


def test_a_package_that_differs_from_its_wheel_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(grading, "installed_mismatches", lambda: ["/site/hlmtutor/x.py"])
    with pytest.raises(grading.GradingAborted, match="differs from the wheel.*Nothing was graded"):
        grade(tmp_path, pd.DataFrame({"student_id": ["s001"]}), tmp_path / "g", "a1")
    assert not (tmp_path / "g").exists()


def test_outputs_are_written_without_following_planted_links(tmp_path):
    out = _safeio.OutputFolder(tmp_path / "g")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "g" / "scores.csv").symlink_to(victim)
    out.write("scores.csv", b"student_id,total\n")
    assert victim.read_text() == "keep me"
    assert not (tmp_path / "g" / "scores.csv").is_symlink()
    (tmp_path / "g" / "feedback").symlink_to(tmp_path)
    with pytest.raises(OSError, match="not a folder the grader can write into"):
        out.sub("feedback")
    out.close()


# ---------------------------------------------------------------------------------------------
# A class of hostile notebooks, graded for real (slow: a kernel each)

SECRET_NAME = "HLMTUTOR_TEST_API_TOKEN"  # the notebook looks for it by name, as an attacker would
SECRET = "sk-test-" + os.urandom(8).hex()

# Each attack is the code of the cells after the parameters cell. {pids} is a folder where a
# process writes its pid (to check afterwards that it is dead); {out} is the grader's output
# folder (the worst case: the notebook knows it).
ATTACKS = {
    # Reads the grader's variables: its own environment and each ancestor's /proc/<pid>/environ.
    "s101": """
import os
found = [key for key in os.environ if key in ({secret_name!r}, "JUPYTER_PATH")]
pid, tried = os.getpid(), []
while pid > 1:
    try:
        with open(f"/proc/{{pid}}/environ", "rb") as handle:
            if {secret_name!r}.encode() in handle.read():
                found.append(f"/proc/{{pid}}/environ")
    except OSError as error:
        tried.append(error.errno)
    with open(f"/proc/{{pid}}/stat") as handle:
        pid = int(handle.read().rsplit(")", 1)[1].split()[1])
print("found:", found, "refused:", tried)
raise RuntimeError("leaked: " + " ".join(found))
""",
    # Rewrites every kernel spec it can reach (the grader's JUPYTER_PATH is not handed over).
    "s102": """
import json, os
from jupyter_core.paths import jupyter_data_dir
targets = [os.environ.get("JUPYTER_PATH", ""), jupyter_data_dir()]
for folder in filter(None, targets):
    for name in ("hlmtutor-grader", "python3"):
        spec = os.path.join(folder, "kernels", name)
        os.makedirs(spec, exist_ok=True)
        with open(os.path.join(spec, "kernel.json"), "w") as handle:
            json.dump({{"argv": ["false"], "display_name": "broken", "language": "python"}}, handle)
home = os.path.expanduser("~/.ipython/profile_default/startup")
os.makedirs(home, exist_ok=True)
with open(os.path.join(home, "00-rig.py"), "w") as handle:
    handle.write("raise SystemExit('rigged')\\n")
""",
    # A detached process (own session, empty environment, out of the scratch folder) that keeps
    # rewriting scores.csv.
    "s103": """
import subprocess, sys
forger = '''
import os, time
os.chdir("/")
with open({pids!r} + "/s103.pid", "w") as handle:
    handle.write(str(os.getpid()))
while True:
    for name in ("scores.csv", "scores.progress.csv"):
        try:
            with open({out!r} + "/" + name, "w") as handle:
                handle.write("student_id,total\\\\nforged,999\\\\n")
        except OSError:
            pass
    time.sleep(0.1)
'''
launcher = "import subprocess, sys; subprocess.Popen([sys.executable, '-c', sys.argv[1]], start_new_session=True, env={{}}, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)"
subprocess.run([sys.executable, "-c", launcher, forger], check=True)
import time; time.sleep(1)
""",
    # Kills the supervisor, then leaves a detached process behind (the /proc sweep's case).
    "s104": """
import os, signal, subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import os, time; open({pids!r} + '/s104.pid', 'w').write(str(os.getpid())); time.sleep(600)"], start_new_session=True)
time.sleep(1)
pid = os.getpid()
while pid > 1:
    with open(f"/proc/{{pid}}/cmdline", "rb") as handle:
        if b"hlmtutor.course._sandbox" in handle.read():
            os.kill(pid, signal.SIGKILL)
            break
    with open(f"/proc/{{pid}}/stat") as handle:
        pid = int(handle.read().rsplit(")", 1)[1].split()[1])
time.sleep(2)
""",
    # A kernel that ignores SIGTERM and SIGINT and never ends.
    "s105": """
import os, signal
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
with open({pids!r} + "/s105.pid", "w") as handle:
    handle.write(str(os.getpid()))
my_mean = 50.0
while True:
    pass
""",
    # The answers file swapped for a link to /proc/self/mem, after the recorder is unhooked.
    "s106": """
import os
shell = get_ipython()
for callback in list(shell.events.callbacks["post_run_cell"]):
    shell.events.unregister("post_run_cell", callback)
os.remove("answers.json")
os.symlink("/proc/self/mem", "answers.json")
""",
    # 100,000 nested brackets in the answers file.
    "s107": """
shell = get_ipython()
for callback in list(shell.events.callbacks["post_run_cell"]):
    shell.events.unregister("post_run_cell", callback)
with open("answers.json", "w") as handle:
    handle.write("[" * 100_000)
""",
    # 80 MB of output.
    "s108": """
my_mean = 1.0
print("x" * 80_000_000)
""",
    # A long, hostile student_id and error text.
    "s109": """
student_id = {hostile!r}
raise RuntimeError({hostile!r})
""",
    # Full marks without work: the instructor's package is installed where the grader runs.
    "s110": """
from hlmtutor.course import assignment_data
from hlmtutor_instructor.expected import expected_statistic
my_mean = expected_statistic(assignment_data("a1", student_id), "math_score", "mean")
""",
    # The same, by reading the instructor's source and running it.
    "s111": """
import importlib.util, os
spec = importlib.util.find_spec("hlmtutor_instructor")
folder = spec.submodule_search_locations[0]
namespace = {{}}
exec(open(os.path.join(folder, "expected.py")).read(), namespace)
""",
}
HONEST = "s199"  # graded after every attack: must score 5 of 5


def _hostile_notebook(code: str) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [
        nbformat.v4.new_code_cell('student_id = "demo"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(code),
    ]
    return notebook


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]


@functools.cache
def _unprivileged() -> tuple[list[str], str, str]:
    """How to run the grader as the user nobody: (command prefix, Python, extra PYTHONPATH).

    Only when the tests run as root (an instructor is not root). This Python may live where
    nobody cannot run it (a pyenv under /root); then the system's Python of the same version
    runs with this environment's site-packages on its path. ``([], sys.executable, "")`` when
    neither works or the tests do not run as root: the grader then runs as the tests' user.
    """
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return [], sys.executable, ""
    site_packages = sysconfig.get_paths()["purelib"]
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for python, extra in ((sys.executable, ""), (f"/usr/bin/{version}", site_packages)):
        probe = [*NOBODY, "env", "-i", f"PYTHONPATH={extra}", python, "-c",
                 "import pandas, papermill, ipykernel, scipy"]  # fmt: skip
        if subprocess.run(probe, capture_output=True, cwd="/", timeout=120).returncode == 0:
            return NOBODY, python, extra
    return [], sys.executable, ""


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    for folder, dirs, files in os.walk(root):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            os.lchown(name, uid, gid)


GRADER = """
import json, resource, sys
from hlmtutor.__main__ import main
code = main(sys.argv[2:])
usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open(sys.argv[1], "w") as handle:
    json.dump({"code": code, "maxrss_kb": usage}, handle)
sys.exit(code)
"""


@pytest.fixture(scope="module")
def sandbox_root():
    """A world-readable folder with a copy of the package (the grader's and kernels' hlmtutor)."""
    root = Path(tempfile.mkdtemp(prefix="hlmtutor-hostile-"))
    root.chmod(0o755)
    shutil.copytree(REPO / "hlmtutor", root / "site" / "hlmtutor",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    shutil.copytree(REPO / "instructor" / "hlmtutor_instructor",
                    root / "site" / "hlmtutor_instructor",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _grade_class(
    root: Path, name: str, notebooks: dict[str, nbformat.NotebookNode], timeout: float
):
    work = root / name
    returned, pids, planted = work / "returned", work / "pids", work / "jupyter-path"
    for student_id, notebook in notebooks.items():
        hand_in(returned, student_id, notebook)
    pids.mkdir(parents=True)
    broken = planted / "kernels" / "hlmtutor-grader"
    broken.mkdir(parents=True)
    (broken / "kernel.json").write_text(
        json.dumps({"argv": ["false"], "display_name": "x", "language": "python"})
    )
    shutil.copytree(broken, planted / "kernels" / "python3")
    roster = work / "roster.csv"
    roster.write_text("student_id\n" + "\n".join(notebooks) + "\n")
    prefix, python, extra = _unprivileged()
    if prefix:
        _chown_tree(root, 65534, 65534)
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root / "site"), extra])),
        "HOME": str(work),
        "JUPYTER_PATH": str(planted),
        SECRET_NAME: SECRET,
        "OPENBLAS_NUM_THREADS": "1",
    }
    command = [*prefix, python, "-c", GRADER, str(work / "result.json"), "grade",
               str(returned), "--roster", str(roster), "--out", str(work / "grades"),
               "--assignments", "a1", "--timeout", repr(timeout)]  # fmt: skip
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=900)
    result = (
        json.loads((work / "result.json").read_text()) if (work / "result.json").is_file() else {}
    )
    return work, done, result, bool(prefix)


def _alive(pid_file: Path) -> bool:
    if not pid_file.is_file():
        return False
    pid = int(pid_file.read_text())
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process containment uses /proc")
def test_a_class_of_hostile_notebooks(sandbox_root):
    hostile = "```\n\n# Full marks 13 of 13\n<img src=x onerror=alert(1)>" + "B" * 100_000
    notebooks = {
        student_id: _hostile_notebook(
            code.format(secret_name=SECRET_NAME, pids="{pids}", out="{out}", hostile=hostile)
        )
        for student_id, code in ATTACKS.items()
    }
    work = sandbox_root / "class"
    for notebook in notebooks.values():
        notebook.cells[1].source = (
            notebook.cells[1]
            .source.replace("{pids}", str(work / "pids"))
            .replace("{out}", str(work / "grades"))
        )
    notebooks[HONEST] = fill(student_notebook(notebook_source("a1"), HONEST), A1_RIGHT)
    started = time.monotonic()
    work, done, result, as_nobody = _grade_class(sandbox_root, "class", notebooks, timeout=45.0)
    assert done.returncode == 0, done.stderr[-3000:]
    time.sleep(2)  # give a surviving forger time to strike
    grades = work / "grades"
    scores = pd.read_csv(grades / "scores.csv", dtype={"student_id": str}).set_index("student_id")

    # The honest student, graded after every attack, is untouched by them (s102's kernel specs
    # and IPython start-up file, s103's forger, s104's killed supervisor).
    assert scores.loc[HONEST, "total"] == 5, (grades / "feedback" / f"{HONEST}.md").read_text()
    assert list(scores.index) == [*ATTACKS, HONEST] and "forged" not in scores.index
    assert not (grades / grading.PROGRESS_FILE).exists()

    # No process outlives its submission: the detached forger, the survivor of the killed
    # supervisor, the kernel that ignores SIGTERM.
    for student_id in ("s103", "s104", "s105"):
        assert (work / "pids" / f"{student_id}.pid").is_file(), student_id
        assert not _alive(work / "pids" / f"{student_id}.pid"), student_id
    feedback = {p.stem: p.read_text() for p in (grades / "feedback").iterdir()}
    assert sorted(feedback) == sorted(notebooks)  # file names from the roster only
    assert "time limit of 45 s" in feedback["s105"]

    # Secrets: the token is in no output; the kernel did not see the grader's variables.
    for path in grades.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace"), path
    executed = nbformat.read(grades / "executed" / "s101" / A1_NOTEBOOK, as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "found: []" in printed, printed
    if as_nobody:
        assert "refused: [13" in printed  # the grader is not dumpable: /proc/<pid>/environ denied

    # Crafted answers files are "no answers", not a crash.
    for student_id in ("s106", "s107"):
        assert scores.loc[student_id, "total"] == 0
    # 80 MB of output: stopped, the grader's memory bounded, the answer before it graded.
    assert "passed the limit" in feedback["s108"], feedback["s108"]
    assert result["maxrss_kb"] < 400_000, result
    assert not (grades / "executed" / "s108").exists() or all(
        p.stat().st_size <= grading.MAX_EXECUTED_BYTES
        for p in (grades / "executed" / "s108").iterdir()
    )
    # The hostile id and error text: fenced, cut, never a heading outside the fence.
    assert len(feedback["s109"]) < 5_000
    unfenced = re.sub(r"^(`{3,})text\n.*?^\1$", "", feedback["s109"], flags=re.M | re.S)
    assert "Full marks" in feedback["s109"] and "Full marks" not in unfenced
    assert "# Feedback for s109\n" in feedback["s109"]
    # The instructor's package, installed where the grader runs, is fenced off from the kernel.
    assert scores.loc["s110", "total"] == 0 and scores.loc["s111", "total"] == 0
    assert "ImportError" in feedback["s110"] and "instructor's package" in feedback["s110"]
    assert "PermissionError" in feedback["s111"], feedback["s111"]
    assert time.monotonic() - started < 600


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process containment uses /proc")
def test_a_notebook_that_rewrites_the_installed_grader_stops_grading(sandbox_root):
    tamper = _hostile_notebook(
        "import hlmtutor.course._runner as g\n"
        "with open(g.__file__, 'a') as handle:\n"
        "    handle.write('\\nFULL_MARKS = True\\n')\n"
    )
    honest = fill(student_notebook(notebook_source("a1"), "s202"), A1_RIGHT)
    work, done, result, _ = _grade_class(
        sandbox_root, "tamper", {"s201": tamper, "s202": honest}, timeout=60.0
    )
    assert done.returncode == 1 and result["code"] == 1
    assert "changed while grading" in done.stderr and "s201" in done.stderr, done.stderr
    assert "_runner.py" in done.stderr
    assert not (work / "grades" / "feedback" / "s202.md").exists()  # not graded by a rigged grader
    assert not (work / "grades" / "scores.csv").exists()
    progress = pd.read_csv(work / "grades" / grading.PROGRESS_FILE, dtype={"student_id": str})
    assert progress["student_id"].tolist() == ["s201"]


# ---------------------------------------------------------------------------------------------
# The instructor page's recipe: each submission in its own namespaces, as another user

RECIPE = REPO / "book" / "assignments" / "grade-isolated.sh"
SNOOP = """
import os, socket
def attempt(label, action):
    try:
        action()
        print(label, "allowed")
    except OSError as error:
        print(label, type(error).__name__)
attempt("key:", lambda: open({key!r}).read())
attempt("out:", lambda: open({out!r} + "/scores.csv", "w").write("forged"))
attempt("net:", lambda: socket.create_connection(("192.0.2.1", 80), timeout=3))
print("processes:", sum(name.isdigit() for name in os.listdir("/proc")))
"""


@pytest.mark.slow
@pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="the recipe needs root, util-linux unshare and setpriv (it switches users)",
)
def test_the_isolated_grading_recipe(sandbox_root):
    prefix, python, extra = _unprivileged()
    if not prefix:
        pytest.skip("no Python with the course extra that the user nobody can run")
    work = sandbox_root / "recipe"
    key, out = work / "answer_key.csv", work / "grades"
    work.mkdir()
    key.write_text("student_id,answer\ns302,SECRET-KEY-VALUE\n")
    key.chmod(0o600)
    hand_in(work / "returned", "s301", _hostile_notebook(SNOOP.format(key=str(key), out=str(out))))
    hand_in(
        work / "returned", "s302", fill(student_notebook(notebook_source("a1"), "s302"), A1_RIGHT)
    )
    (work / "returned" / "stranger").mkdir()
    (work / "roster.csv").write_text("student_id,name\ns301,Eve\ns302,Ann\n")
    _chown_tree(sandbox_root / "site", 0, 0)  # the package: root's, read-only to nobody
    env = {
        "PATH": os.environ["PATH"],
        "PYTHON": python,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(sandbox_root / "site"), extra])),
        "GRADER_USER": "nobody",
    }
    done = subprocess.run(
        [
            "bash",
            str(RECIPE),
            str(work / "returned"),
            str(work / "roster.csv"),
            str(out),
            "--assignments",
            "a1",
            "--timeout",
            "120",
        ],  # fmt: skip
        env=env,
        capture_output=True,
        text=True,
        timeout=900,  # fmt: skip
    )
    assert done.returncode == 0, done.stderr[-3000:]
    scores = pd.read_csv(out / "scores.csv", dtype={"student_id": str})
    assert scores["student_id"].tolist() == ["s301", "s302"]
    assert scores.set_index("student_id").loc["s302", "total"] == 5
    executed = nbformat.read(out / "executed" / "s301" / A1_NOTEBOOK, as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "key: PermissionError" in printed and "out: PermissionError" in printed, printed
    assert "net: OSError" in printed or "net: TimeoutError" in printed, printed
    processes = int(re.search(r"processes: (\d+)", printed).group(1))
    assert processes < 10  # its own PID namespace: the grader's processes, not the machine's
    for path in out.rglob("*"):
        if path.is_file():
            assert "SECRET-KEY-VALUE" not in path.read_text(errors="replace"), path
    assert sorted(p.name for p in (out / "feedback").iterdir()) == ["s301.md", "s302.md"]


def test_outputs_without_folder_descriptors(tmp_path, monkeypatch):
    """Where the system has no folder descriptors (Windows), the same writes go by path."""
    monkeypatch.setattr(_safeio, "_AT", False)
    out = _safeio.OutputFolder(tmp_path / "g")
    feedback = out.sub("feedback")
    feedback.write("s001.md", b"# Feedback")
    out.append("scores.progress.csv", b"student_id\n")
    out.append("scores.progress.csv", b"s001\n")
    assert (tmp_path / "g" / "scores.progress.csv").read_bytes() == b"student_id\ns001\n"
    out.write("scores.csv", b"student_id\ns001\n")
    out.remove("scores.progress.csv")
    feedback.close()
    out.close()
    assert sorted(p.name for p in (tmp_path / "g").rglob("*")) == [
        "feedback",
        "s001.md",
        "scores.csv",
    ]
