"""Precompute the power grid that chapter 12 plots (too slow to run inside the chapter).

Run from the repository root: ``.venv/bin/python book/_tools/power_grid.py``. Writes
``book/_tools/power_grid.csv`` with :func:`hlmtutor.power_curve` over numbers of classrooms and
students per classroom, for two ICCs, 1,000 simulated trials per point (48,000 fits: about ten minutes on two
cores). The chapter reads the CSV and says so; rerun this script when ``power()`` changes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

from hlmtutor import power_curve

OUT = Path(__file__).with_name("power_grid.csv")
CLASSROOMS = [6, 10, 14, 20, 30, 40]
STUDENTS = [5, 10, 20, 40]
ICCS = [0.05, 0.20]
EFFECT = 0.4
N_SIMS = 1000
SEED = 12


def main(n_jobs: int = 2) -> None:
    start = time.perf_counter()
    curves = [
        power_curve(CLASSROOMS, STUDENTS, effect=EFFECT, icc=icc, n_sims=N_SIMS, seed=SEED + k,
                    n_jobs=n_jobs)
        for k, icc in enumerate(ICCS)
    ]  # fmt: skip
    grid = pd.concat(curves, ignore_index=True)
    grid.to_csv(OUT, index=False, float_format="%.6g")
    print(f"wrote {OUT} ({len(grid)} rows) in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
