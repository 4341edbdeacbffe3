"""Runs inside the kernel of a notebook being graded: records the answer variables.

``hlmtutor grade`` puts one cell at the top of its copy of a submission::

    from hlmtutor.course._recorder import record_answers
    record_answers("answers.json", ["my_mean", ...])

which registers an IPython ``post_run_cell`` hook. After every cell (also one that fails) the
hook writes the current value of each answer variable, and of ``student_id``, to the JSON file
in the notebook's scratch folder, so a notebook that stops part-way leaves the answers it had
reached. The grader reads that file and nothing else the notebook wrote; it judges the values
itself, on its own copy of the data.

The kernel runs on the grader's Python, where the instructor's package (``hlmtutor_instructor``,
which computes every right answer) is installed. Before the student's first cell,
:func:`fence_instructor` adds an audit hook (:pep:`578`; a hook cannot be removed) that refuses to
import that package or open any of its files in this kernel.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from typing import Any

MAX_VALUES = 100_000  # longest column recorded
INSTRUCTOR_PACKAGE = "hlmtutor_instructor"


def _instructor_folders() -> list[str]:
    """Where the instructor's package lives (found without importing it); [] when absent."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(INSTRUCTOR_PACKAGE)
    except (ImportError, ValueError):
        return []
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    return [os.path.realpath(folder) for folder in locations]


def fence_instructor() -> None:
    """Refuse, in this process, to import ``hlmtutor_instructor`` or open its files.

    A graded notebook that reaches for the answers gets an ImportError or PermissionError (its
    cell fails; the grader grades the answers it had). Processes it starts do not inherit the
    hook; see the book's instructor page for what that leaves open.
    """
    import sys

    folders = _instructor_folders()
    prefixes = [folder + os.sep for folder in folders]

    def hook(event: str, args: tuple) -> None:
        if event == "import" and args and isinstance(args[0], str):
            name = args[0]
            if name == INSTRUCTOR_PACKAGE or name.startswith(INSTRUCTOR_PACKAGE + "."):
                raise ImportError(
                    f"{name} is the instructor's package: not available to a graded notebook"
                )
        elif (
            event == "open" and folders and args and isinstance(args[0], str | bytes | os.PathLike)
        ):
            path = os.path.realpath(os.fsdecode(args[0]))
            if path in folders or path.startswith(tuple(prefixes)):
                raise PermissionError(f"{path}: the instructor's package is not readable here")

    sys.addaudithook(hook)


def encode(value: Any) -> dict[str, Any]:
    """A JSON-able description of an answer: none, a number, a column, or something else.

    Examples
    --------
    >>> encode(None), encode(2), encode([1.0, float("nan")])["values"]
    ({'kind': 'none'}, {'kind': 'number', 'value': 2.0}, [1.0, None])
    >>> encode("0.3")
    {'kind': 'other', 'type': 'str'}
    """
    if value is None or value is Ellipsis:
        return {"kind": "none"}
    type_name = type(value).__name__
    if isinstance(value, bool):
        return {"kind": "other", "type": type_name}
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy comes with hlmtutor
        np = None
    if isinstance(value, int | float) or (np is not None and isinstance(value, np.number)):
        number = float(value)
        return {"kind": "number", "value": number if math.isfinite(number) else None}
    if isinstance(value, str | bytes | dict) or np is None:
        return {"kind": "other", "type": type_name}
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return {"kind": "other", "type": type_name}
    if array.ndim == 0 or array.size == 1 and array.ndim == 1 and not isinstance(value, list):
        number = float(array.reshape(-1)[0])
        return {"kind": "number", "value": number if math.isfinite(number) else None}
    if array.ndim != 1 or array.size > MAX_VALUES:
        return {"kind": "other", "type": f"{type_name} of shape {array.shape}"}
    return {
        "kind": "column",
        "values": [float(v) if math.isfinite(v) else None for v in array.tolist()],
    }


def snapshot(namespace: dict[str, Any], variables: Iterable[str]) -> dict[str, Any]:
    """What the hook writes: each answer variable that exists, and ``student_id``."""
    answers = {name: encode(namespace[name]) for name in variables if name in namespace}
    student_id = namespace.get("student_id")
    return {
        "answers": answers,
        "student_id": student_id if isinstance(student_id, str | int) else None,
    }


def record_answers(path: str, variables: Iterable[str]) -> None:
    """Write the answer variables to ``path`` after every cell the kernel runs.

    Parameters
    ----------
    path : str
        The JSON file, in the notebook's working folder.
    variables : iterable of str
        The names of the answer variables.
    """
    from IPython import get_ipython

    fence_instructor()
    shell = get_ipython()
    names = list(variables)
    target = os.path.abspath(path)

    def write(result: Any = None) -> None:
        try:
            text = json.dumps(snapshot(shell.user_ns, names))
        except Exception as error:  # never break the student's notebook
            text = json.dumps({"answers": {}, "student_id": None, "error": repr(error)})
        partial = target + ".partial"
        with open(partial, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(partial, target)

    write()
    shell.events.register("post_run_cell", write)
