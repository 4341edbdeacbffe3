"""The timer and the R runner the benchmark scripts share (a helper module: ``make benchmarks``
skips it).

The scripts run as ``python benchmarks/x.py``, which puts this folder first on ``sys.path``, so
``from _timing import median_time`` finds it; a script that is also imported as a module
(``benchmarks/lmer.py``, whose data makers other scripts reuse) puts the folder there itself.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["median_time", "median_time_and_value", "run_rscript"]


def median_time_and_value(func: Callable[[], object], repeats: int = 3) -> tuple[float, object]:
    """The median wall-clock seconds of ``repeats`` calls of ``func`` (robust to one slow call,
    as a first call that fills caches), and what the last call returned."""
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), value


def median_time(func: Callable[[], object], repeats: int = 3) -> float:
    """The median wall-clock seconds of ``repeats`` calls of ``func``."""
    return median_time_and_value(func, repeats)[0]


def run_rscript(script: str, data: pd.DataFrame, *args: str) -> str | None:
    """Run an R script on ``data`` and return what it printed (None without Rscript).

    The script gets the CSV's path as its first argument, then ``args``. The data are written
    with 17 significant digits, so R reads back the very doubles Python fits. R's messages go
    to stderr when the run fails.
    """
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "data.csv"
        path = Path(tmp) / "time.R"
        data.to_csv(csv, index=False, float_format="%.17g")
        path.write_text(script)
        out = subprocess.run(
            ["Rscript", str(path), str(csv), *args], capture_output=True, text=True, check=False
        )
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
    return out.stdout
