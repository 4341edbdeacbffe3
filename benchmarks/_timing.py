"""The timer the benchmark scripts share (a helper module: ``make benchmarks`` skips it).

The scripts run as ``python benchmarks/x.py``, which puts this folder first on ``sys.path``, so
``from _timing import median_time`` finds it; a script that is also imported as a module
(``benchmarks/lmer.py``, whose data makers other scripts reuse) puts the folder there itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

__all__ = ["median_time"]


def median_time(func: Callable[[], object], repeats: int = 3) -> float:
    """The median wall-clock seconds of ``repeats`` calls of ``func`` (robust to one slow call,
    as a first call that fills caches)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return float(np.median(times))
