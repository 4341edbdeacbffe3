"""Execute one submitted notebook for ``hlmtutor grade`` (run as a subprocess, one per notebook).

``python -m hlmtutor.course._runner INPUT OUTPUT --student-id ID --answers FILE --variables A,B
--timeout SECONDS`` reads INPUT, puts the answer recorder (see
:mod:`hlmtutor.course._recorder`) in a first cell, and executes it with papermill in the current
folder (the submission's scratch folder), injecting ``student_id`` into the cell tagged
``parameters`` (replacing the id the notebook was handed out with, or anything the student put
there). papermill saves OUTPUT after every cell, so a notebook stopped part-way leaves what ran.

The kernel is this Python's ``ipykernel``, named by a kernel spec built here
(:class:`GraderKernelManager`), not looked up on ``JUPYTER_PATH`` or in any folder a notebook
could write to; it starts without the user's site folder (``python -s``).

Exit codes: 0 the notebook ran to the end, 1 a cell raised (OUTPUT holds the traceback), 3 the
notebook could not be read or the kernel did not start or died (the reason on stderr), 4 a cell
ran out of time, 5 the notebook's output passed the size limit on files.
"""

from __future__ import annotations

import argparse
import errno
import math
import os
import sys

RECORDER_TAG = "hlmtutor-recorder"
OUTPUT_TOO_LARGE = 5


def grader_kernel_manager():
    """The kernel manager class whose kernel spec is fixed: ``python -s -m ipykernel_launcher``."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    class GraderKernelManager(AsyncKernelManager):
        # Unix sockets in the scratch folder's runtime folder, not TCP ports on localhost: no
        # other local user can connect, and a notebook graded without a network (its own
        # network namespace, where the loopback is down) still reaches its kernel.
        def __init__(self, **kwargs: object) -> None:
            kwargs.setdefault("transport", "ipc" if os.name == "posix" else "tcp")
            super().__init__(**kwargs)

        @property
        def kernel_spec(self) -> KernelSpec:
            return KernelSpec(
                argv=[sys.executable, "-s", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name="hlmtutor grader (Python 3)",
                language="python",
                resource_dir="",
            )

    return GraderKernelManager


def recorder_cell(answers: str, variables: list[str]):
    import nbformat

    source = (
        "# Added by hlmtutor grade: records the answer variables after every cell\n"
        "from hlmtutor.course._recorder import record_answers\n"
        f"record_answers({answers!r}, {variables!r})"
    )
    return nbformat.v4.new_code_cell(source, metadata={"tags": [RECORDER_TAG]})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hlmtutor.course._runner")
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--student-id", required=True)
    parser.add_argument("--answers", required=True)
    parser.add_argument("--variables", required=True)
    parser.add_argument("--timeout", type=float, required=True)
    args = parser.parse_args(argv)

    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        notebook = nbformat.read(args.input, as_version=4)
    except Exception as error:
        print(f"the notebook cannot be read: {error}", file=sys.stderr)
        return 3
    cells = [
        cell
        for cell in notebook.cells
        if RECORDER_TAG not in cell.get("metadata", {}).get("tags", [])
    ]
    variables = [name for name in args.variables.split(",") if name]
    notebook.cells = [recorder_cell(args.answers, variables), *cells]
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"graded-{index}"  # unique ids, whatever the student's copy held
    notebook.nbformat_minor = max(notebook.nbformat_minor, 5)
    try:
        papermill.execute_notebook(
            notebook,
            args.output,
            parameters={"student_id": args.student_id},
            kernel_name="hlmtutor-grader",
            kernel_manager_class=grader_kernel_manager(),
            language="python",
            cwd=".",
            # nbclient takes whole seconds; the supervisor enforces the exact limit.
            execution_timeout=max(1, math.ceil(args.timeout)),
            progress_bar=False,
            log_output=False,
            start_timeout=120,
        )
    except PapermillExecutionError:
        return 1
    except TimeoutError as error:  # nbclient's CellTimeoutError: one cell ran out of time
        print(f"a cell ran longer than the time limit: {error}", file=sys.stderr)
        return 4
    except OSError as error:
        if error.errno != errno.EFBIG:
            print(
                f"the notebook could not be run: {type(error).__name__}: {error}", file=sys.stderr
            )
            return 3
        print("the notebook's output passed the size limit", file=sys.stderr)
        return OUTPUT_TOO_LARGE
    except Exception as error:  # the kernel died or did not start, a broken notebook, ...
        print(f"the notebook could not be run: {type(error).__name__}: {error}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
