"""Simulate ``hlmtutor/data/school_survey.csv``: a messy two-level survey for chapter "Your own data".

Run from the repository root: ``.venv/bin/python book/_tools/school_survey.py`` (under a second).
The file is package data, read by :func:`hlmtutor.load_school_survey`; ``tests/test_datasets.py``
checks that this script, run again, writes the same bytes. Everything is drawn from
``numpy.random.default_rng(SEED)`` in a fixed order; change nothing here without rerunning it,
``Rscript book/data/own-data.R`` and the chapter.

The design (also in ``hlmtutor/data/README.md``)
-------------------------------------------------
Thirty schools drawn from a district list numbered 1-60, so ids such as ``"SCH-07"`` have gaps.
Sectors: 14 Public, 9 Catholic, 7 Independent. Each school gets

- a size: 8 + a negative binomial draw (mean about 18, long right tail), then two schools forced
  small (5 and 7 students) as in real samples;
- ``teacher_exp``, the mean years of teaching experience of its mathematics staff,
  N(14, 5) rounded to 0.1 and kept in [2, 30];
- a mean SES: -0.25 (Public), 0.10 (Catholic), 0.55 (Independent), plus N(0, 0.35);
- a random intercept u0 ~ N(0, 3) and a random SES slope u1 ~ N(0, 1.2), correlation 0.3.

Each student gets ``ses`` = school mean SES + N(0, 0.85), ``gender`` female/male with probability
1/2, and a mathematics score

    score = 50 + 2 Catholic + 3.5 Independent + 0.25 (teacher_exp - 14)
            + 3 (ses - school mean SES) + 6 school mean SES + 1.5 female
            + u0 + u1 (ses - school mean SES) + e,      e ~ N(0, 8),

so the within-school SES slope is 3 and the between-school one 6 (a contextual effect of 3).
Scores are rounded to 0.1, SES to 0.01.

Missing values, as a survey's would be: ``ses`` is missing for 3% of students, 8% of those scoring
under 45 (the questionnaire about home was skipped more by weaker students: missing at random
given the score); ``gender`` is missing for 2% completely at random; ``teacher_exp`` is missing for
one public school (every row of that school), which therefore drops out of any model that uses it.
The outcome ``score`` is never missing. Missing cells are empty in the CSV.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[2] / "hlmtutor" / "data" / "school_survey.csv"
SEED = 20240611
N_SCHOOLS = 30
SECTOR_COUNTS = {"Public": 14, "Catholic": 9, "Independent": 7}
SECTOR_EFFECT = {"Public": 0.0, "Catholic": 2.0, "Independent": 3.5}
SECTOR_MEAN_SES = {"Public": -0.25, "Catholic": 0.10, "Independent": 0.55}
INTERCEPT = 50.0
WITHIN_SLOPE = 3.0
BETWEEN_SLOPE = 6.0
FEMALE = 1.5
TEACHER_EXP_SLOPE = 0.25
SD_INTERCEPT, SD_SLOPE, CORR = 3.0, 1.2, 0.3
SD_RESIDUAL = 8.0
SD_SES_WITHIN, SD_SES_BETWEEN = 0.85, 0.35
COLUMNS = ["student_id", "school_id", "sector", "teacher_exp", "gender", "ses", "score"]


def simulate(seed: int = SEED) -> pd.DataFrame:
    """The survey as a data frame, one row per student, in the CSV's column order."""
    rng = np.random.default_rng(seed)
    numbers = np.sort(rng.choice(np.arange(1, 61), size=N_SCHOOLS, replace=False))
    sectors = np.repeat(list(SECTOR_COUNTS), list(SECTOR_COUNTS.values()))
    sectors = rng.permutation(sectors)
    sizes = 8 + rng.negative_binomial(n=2, p=0.1, size=N_SCHOOLS)
    small = rng.choice(N_SCHOOLS, size=2, replace=False)
    sizes[small] = [5, 7]
    teacher_exp = np.clip(np.round(rng.normal(14, 5, N_SCHOOLS), 1), 2, 30)
    mean_ses = np.array([SECTOR_MEAN_SES[s] for s in sectors]) + rng.normal(
        0, SD_SES_BETWEEN, N_SCHOOLS
    )
    # Correlated school effects from two independent normals (no BLAS call: the same bits on
    # every machine): u1 = SD_SLOPE * (CORR * z0 + sqrt(1 - CORR^2) * z1).
    z = rng.standard_normal((N_SCHOOLS, 2))
    u = np.column_stack(
        [
            SD_INTERCEPT * z[:, 0],
            SD_SLOPE * (CORR * z[:, 0] + np.sqrt(1 - CORR**2) * z[:, 1]),
        ]
    )

    school = np.repeat(np.arange(N_SCHOOLS), sizes)
    n = int(sizes.sum())
    ses_within = rng.normal(0, SD_SES_WITHIN, n)
    female = rng.random(n) < 0.5
    sector_effect = np.array([SECTOR_EFFECT[s] for s in sectors])
    score = (
        INTERCEPT
        + sector_effect[school]
        + TEACHER_EXP_SLOPE * (teacher_exp[school] - 14)
        + WITHIN_SLOPE * ses_within
        + BETWEEN_SLOPE * mean_ses[school]
        + FEMALE * female
        + u[school, 0]
        + u[school, 1] * ses_within
        + rng.normal(0, SD_RESIDUAL, n)
    )
    data = pd.DataFrame(
        {
            "student_id": [f"ST-{k:04d}" for k in range(1, n + 1)],
            "school_id": [f"SCH-{numbers[j]:02d}" for j in school],
            "sector": sectors[school],
            "teacher_exp": teacher_exp[school],
            "gender": np.where(female, "female", "male"),
            "ses": np.round(mean_ses[school] + ses_within, 2),
            "score": np.round(score, 1),
        }
    )
    # Missing values: SES missing at random given the score, gender completely at random.
    p_ses = np.where(data["score"] < 45, 0.08, 0.03)
    data.loc[rng.random(n) < p_ses, "ses"] = np.nan
    data["gender"] = data["gender"].where(rng.random(n) >= 0.02)
    # One public school of more than 15 students did not report its staff's experience.
    candidates = [
        j for j in range(N_SCHOOLS) if sectors[j] == "Public" and sizes[j] > 15 and j not in small
    ]
    lost = rng.choice(candidates)
    data.loc[school == lost, "teacher_exp"] = np.nan
    return data[COLUMNS]


def write(path: Path = OUT, seed: int = SEED) -> Path:
    """Write the CSV (empty cells for missing values) and return its path."""
    simulate(seed).to_csv(path, index=False, lineterminator="\n")
    return path


if __name__ == "__main__":
    written = write()
    data = pd.read_csv(written)
    print(f"wrote {written}: {len(data)} students in {data['school_id'].nunique()} schools")
