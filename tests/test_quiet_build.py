"""``book/_ext/quiet_build.py``: a good ``make book`` prints no kernel warning and no configuration
dump, and nothing else the build reports is lost."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import quiet_build  # noqa: E402

KERNEL_WARNING = "Kernel is running over TCP without encryption"
RUN = """
import sys
sys.path.insert(0, {ext!r})
import nbclient, nbformat
if {encrypt}:
    import quiet_build
    assert quiet_build.use_encrypting_kernel_manager()
notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
nbclient.NotebookClient(notebook, kernel_name="python3", timeout=60).execute()
print(notebook.cells[0].outputs[0]["text"].strip())
"""


def execute(encrypt: bool) -> subprocess.CompletedProcess:
    code = RUN.format(ext=str(ROOT / "book" / "_ext"), encrypt=encrypt)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=180, cwd=ROOT
    )


@pytest.mark.slow
def test_kernels_of_the_build_start_with_keys_and_print_no_warning() -> None:
    plain = execute(encrypt=False)
    assert plain.returncode == 0, plain.stderr
    if KERNEL_WARNING not in plain.stderr:
        pytest.skip("this ipykernel does not warn about unencrypted kernels")
    encrypted = execute(encrypt=True)
    assert encrypted.returncode == 0, encrypted.stderr
    assert encrypted.stdout.strip() == "42"  # the kernel still runs the code
    assert KERNEL_WARNING not in encrypted.stderr


def test_only_the_two_configuration_dumps_are_dropped() -> None:
    records = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    name, marker = next(iter(quiet_build._DUMPS.items()))
    logger = logging.getLogger(name)
    handler = Keep()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    dump_filter = quiet_build.DropConfigDump(marker)
    logger.addFilter(dump_filter)
    try:
        logger.info("\x1b[01m" + marker + "\x1b[0m %s", "3.0.1", "MdParserConfig(...)")
        logger.info("another message")
        logger.warning(marker + " %s", "3.0.1", "a warning in the same words")
    finally:
        logger.removeFilter(dump_filter)
        logger.removeHandler(handler)
    assert records == ["another message", marker % "3.0.1" + " a warning in the same words"]
