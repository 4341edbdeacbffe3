"""Time hlmtutor.power: 1,000 simulated trials of the guide's design, on 1 and 2 workers.

Run from the repository root: ``.venv/bin/python benchmarks/power.py [n_sims]``. Each trial
simulates 12 classrooms of 20 students (half treated), fits the random-intercept model and runs
the Satterthwaite t-test. Prints a markdown table (wall clock, including joblib's worker start).
The two runs share one seed, so they must give the same power: the script checks that too.
"""

from __future__ import annotations

import sys
import time

import joblib

from hlmtutor import power

DESIGN = {"n_classrooms": 12, "n_students": 20, "effect": 0.5, "icc": 0.1}


def main(n_sims: int = 1000) -> None:
    rows, powers = [], set()
    for n_jobs in (1, 2):
        start = time.perf_counter()
        result = power(**DESIGN, n_sims=n_sims, seed=2026, n_jobs=n_jobs)
        seconds = time.perf_counter() - start
        powers.add(result.power)
        rows.append((n_jobs, seconds, n_sims / seconds, result.power))
    print(f"power(): {n_sims} fits of 12 classrooms x 20 students, effect 0.5 SD, ICC 0.1 "
          f"({joblib.cpu_count()} cores)\n")  # fmt: skip
    print("| n_jobs | seconds | fits/s | power |")
    print("|---:|---:|---:|---:|")
    for n_jobs, seconds, rate, estimate in rows:
        print(f"| {n_jobs} | {seconds:.1f} | {rate:.0f} | {estimate:.3f} |")
    if len(powers) != 1:
        raise SystemExit("n_jobs 1 and 2 gave different results with the same seed")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
