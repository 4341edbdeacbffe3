"""Run one submission's processes so that none of them outlives it (``hlmtutor grade``).

``python -m hlmtutor.course._sandbox --timeout SECONDS --max-file-bytes N -- COMMAND...`` is the
supervisor the grader starts for each submission, in a session of its own. It

1. makes itself a *child subreaper* (Linux ``prctl(PR_SET_CHILD_SUBREAPER)``): a process the
   notebook starts and detaches (a double fork, ``setsid``) is re-parented to the supervisor,
   not to ``init``, so it stays in the supervisor's tree;
2. caps the size of any file the submission writes (``RLIMIT_FSIZE``: the executed notebook,
   the answers file, anything in the scratch folder) and turns off core dumps;
3. runs COMMAND in a session of its own, for at most SECONDS;
4. then kills every process left in its tree, again until none is left, and exits with
   COMMAND's exit code, or :data:`TIMED_OUT` when the time was up.

The grader adds a second sweep (:func:`sweep`) after the supervisor ends: it kills any process
that carries the submission's run token in its environment or has its working folder or an open
file in the submission's scratch folder, which catches a process that escaped the tree by
killing the supervisor.

Limits (documented on the instructor page): the notebook runs as the instructor's user. A
process of that user can hide from the sweep (clear its environment with ``exec``, leave the
scratch folder, make itself non-dumpable so its ``/proc`` entries are unreadable) after killing
the supervisor, and while it runs it can read and write whatever the instructor can. Only
another user (or a container) is a boundary; see the instructor page's recipe.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

__all__: list[str] = []

TIMED_OUT = 124  # the supervisor's exit code when the time limit stopped the command
TOKEN_VARIABLE = "HLMTUTOR_GRADE_RUN"
_PR_SET_CHILD_SUBREAPER = 36
_LINUX = sys.platform.startswith("linux")


def _prctl(option: int, value: int) -> bool:
    if not _LINUX:
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):  # pragma: no cover - no libc prctl
        return False


def _limit_files(max_file_bytes: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))
    # Writing past the limit then fails with EFBIG instead of killing the writer.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _parents() -> dict[int, int]:
    """``{pid: parent pid}`` of every process ``/proc`` shows."""
    parents = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
        fields = stat[stat.rfind(b")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
    return parents


def descendants(root: int) -> list[int]:
    """The pids of every process below ``root`` in the process tree (Linux ``/proc``)."""
    if not _LINUX:
        return []
    children: dict[int, list[int]] = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _kill_all(pids: Iterable[int]) -> int:
    killed = 0
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
            killed += 1
        except (ProcessLookupError, PermissionError):
            pass
    return killed


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_tree(root: int, rounds: int = 50) -> None:
    """Kill every descendant of ``root`` (this process when it is a subreaper), until none."""
    for _ in range(rounds):
        pids = descendants(root)
        if not pids:
            return
        _kill_all(pids)
        time.sleep(0.05)
        if root == os.getpid():
            _reap()


def _holds(pid: str, token: str, folder: str) -> bool:
    """Whether a process carries the run token or uses the scratch folder."""
    base = f"/proc/{pid}"
    try:
        with open(f"{base}/environ", "rb") as handle:
            if f"{TOKEN_VARIABLE}={token}".encode() in handle.read().split(b"\0"):
                return True
    except OSError:
        pass
    links = [f"{base}/cwd"]
    try:
        links += [f"{base}/fd/{fd}" for fd in os.listdir(f"{base}/fd")]
    except OSError:
        pass
    for link in links:
        try:
            target = os.readlink(link)
        except OSError:
            continue
        if target == folder or target.startswith(folder + os.sep):
            return True
    return False


def sweep(token: str, folder: str | Path, rounds: int = 20) -> int:
    """Kill every process that carries ``token`` or uses ``folder``; return how many were killed.

    Parameters
    ----------
    token : str
        The run token, set as ``HLMTUTOR_GRADE_RUN`` in the submission's environment.
    folder : str or Path
        The submission's scratch folder.

    Returns
    -------
    int
        The number of processes killed (0 off Linux, where ``/proc`` is missing).
    """
    if not _LINUX:
        return 0
    folder = os.path.realpath(folder)
    own = os.getpid()
    total = 0
    for _ in range(rounds):
        found = [
            int(entry.name)
            for entry in os.scandir("/proc")
            if entry.name.isdigit() and int(entry.name) != own and _holds(entry.name, token, folder)
        ]
        if not found:
            break
        total += _kill_all(found)
        time.sleep(0.05)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hlmtutor.course._sandbox")
    parser.add_argument("--timeout", type=float, required=True)
    parser.add_argument("--max-file-bytes", type=int, required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    if os.name == "posix":
        _limit_files(args.max_file_bytes)
    child = subprocess.Popen(command, start_new_session=True, stdin=subprocess.DEVNULL)
    try:
        code = child.wait(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        code = TIMED_OUT
    finally:
        if os.name == "posix":
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        else:  # pragma: no cover - Windows: the child only
            child.kill()
        kill_tree(os.getpid())
        child.wait()
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
