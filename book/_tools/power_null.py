"""Precompute chapter 12's check of the test's error rate when the classroom variance is zero.

Run from the repository root: ``.venv/bin/python book/_tools/power_null.py``. Simulates the
chapter's live design (12 classrooms of 20 students, ICC 0.1) with *no* treatment effect,
20,000 times, with :func:`hlmtutor.power` (module hlmtutor.power_analysis), and writes ``book/_tools/power_null.csv``: one row for
the fits whose classroom variance was estimated as zero (singular) and one for the others, with
the number of trials, how many rejected at the 5% level, and their Satterthwaite df (about two
minutes on one core). Chapter 12 reads the CSV and says so; rerun this script when ``power()``
changes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from hlmtutor import power

OUT = Path(__file__).with_name("power_null.csv")
N_CLASSROOMS, N_STUDENTS, ICC = 12, 20, 0.1
N_SIMS = 20_000
SEED = 1212


def main(n_jobs: int = 1) -> None:
    start = time.perf_counter()
    result = power(
        N_CLASSROOMS, N_STUDENTS, effect=0.0, icc=ICC, n_sims=N_SIMS, seed=SEED, n_jobs=n_jobs
    )
    table = (
        result.results.groupby("singular")
        .agg(
            trials=("p", "size"),
            rejections=("significant", "sum"),
            df_min=("df", "min"),
            df_max=("df", "max"),
        )
        .reset_index()
        .assign(n_classrooms=N_CLASSROOMS, n_students=N_STUDENTS, icc=ICC, effect=0.0, seed=SEED)
    )
    table.to_csv(OUT, index=False, float_format="%.6g")
    print(f"wrote {OUT} in {time.perf_counter() - start:.0f} s")
    print(table.to_string(index=False))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
