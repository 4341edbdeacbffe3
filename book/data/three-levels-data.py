"""The two data sets of the chapter "Three levels and crossed factors", written for R to read.

The chapter simulates both data sets itself with hlmtutor and checks that they equal these files
value for value, so the R script ``book/data/three-levels.R`` fits exactly the chapter's data.
Numbers are written with 17 significant digits, which R and Python both read back to the same
double. Run from the repository root after any change to the design (then rerun the R script):

    .venv/bin/python book/data/three-levels-data.py
    Rscript book/data/three-levels.R
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import hlmtutor as hlm

FOLDER = Path(__file__).parent
SEED = 7
N_SCHOOLS = 40


def school_data():
    """Students in classrooms in schools, as the chapter draws them."""
    design = np.random.default_rng(SEED)
    per_school = design.integers(2, 6, size=N_SCHOOLS)  # 2 to 5 classrooms per school
    per_room = design.integers(12, 26, size=int(per_school.sum()))  # 12 to 25 students each
    return hlm.simulate_schools(N_SCHOOLS, per_school, per_room, seed=SEED).data


def rating_data():
    """Essays scored by raters (crossed factors), as the chapter draws them."""
    return hlm.simulate_ratings(n_students=120, n_raters=10, raters_per_student=3, seed=SEED).data


if __name__ == "__main__":
    for name, data in {"schools": school_data(), "ratings": rating_data()}.items():
        path = FOLDER / f"three-levels-{name}.csv"
        data.to_csv(path, index=False, float_format="%.17g")
        print(f"wrote {path} ({len(data)} rows)")
