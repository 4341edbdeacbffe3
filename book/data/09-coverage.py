"""Repeated-simulation check of the model the design supports (chapter 9; chapter 10 reads it too).

Simulates data sets with hlmtutor.simulate_classrooms (known truth), fits the supported model with
hlmtutor.lmer, and records every fixed effect's estimate with its Satterthwaite-t and Wald-z 95%
intervals, plus the variance-component estimates. Two designs: 40 classrooms (the simulation's
default) and 10 classrooms (few clusters), 20 students each, 200 replications each, seeds 1..200.

Run from the repository root (about 10 s on one core); it prints a summary table and writes
book/data/09-coverage.csv, which the chapters read:

    .venv/bin/python book/data/09-coverage.py
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import hlmtutor as hlm

FORMULA = "math_score ~ treatment + ses_cwc + ses_cm_gmc + treatment:ses_cwc + (1 + ses_cwc | classroom_id)"
DESIGNS = {"40 classrooms": 40, "10 classrooms": 10}
N_STUDENTS = 20
N_REPLICATIONS = 200
OUT = Path(__file__).with_name("09-coverage.csv")


def fit_one(n_classrooms: int, seed: int) -> pd.DataFrame:
    """One replication: simulate, center, fit; one row per reported parameter."""
    sim = hlm.simulate_classrooms(n_classrooms, N_STUDENTS, seed=seed)
    data = sim.data
    data["ses_cwc"] = hlm.center_within(data["ses"], data["classroom_id"])
    data["ses_cm_gmc"] = hlm.center_grand(
        hlm.group_mean(data["ses"], data["classroom_id"]), data["classroom_id"]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # singular fits are recorded below, not printed
        fit = hlm.lmer(FORMULA, data)
        t_int = hlm.fixef_intervals(fit)
    z_int = hlm.fixef_intervals(fit, method="z")
    fixed = pd.DataFrame(
        {
            "term": t_int.index,
            "estimate": t_int["estimate"].to_numpy(),
            "se": t_int["se"].to_numpy(),
            "df": t_int["df"].to_numpy(),
            "lower_t": t_int["lower"].to_numpy(),
            "upper_t": t_int["upper"].to_numpy(),
            "lower_z": z_int["lower"].to_numpy(),
            "upper_z": z_int["upper"].to_numpy(),
        }
    )
    cov = fit.cov_re["classroom_id"].to_numpy()
    sd = np.sqrt(np.diag(cov))
    components = pd.DataFrame(
        {
            "term": ["sd_intercept", "sd_slope", "corr", "sigma"],
            "estimate": [
                sd[0],
                sd[1],
                cov[0, 1] / (sd[0] * sd[1]) if sd.all() else np.nan,
                fit.sigma,
            ],
        }
    )
    rows = pd.concat([fixed, components], ignore_index=True)
    rows["seed"] = seed
    rows["singular"] = bool(fit.is_singular)
    return rows


def main() -> None:
    start = time.perf_counter()
    frames = []
    for design, n_classrooms in DESIGNS.items():
        for seed in range(1, N_REPLICATIONS + 1):
            rows = fit_one(n_classrooms, seed)
            rows.insert(0, "design", design)
            rows.insert(1, "n_classrooms", n_classrooms)
            frames.append(rows)
    results = pd.concat(frames, ignore_index=True)
    results.to_csv(OUT, index=False, float_format="%.10g")
    elapsed = time.perf_counter() - start

    truth = hlm.simulate_classrooms(10, N_STUDENTS, seed=1).truth
    print(f"{len(frames)} fits in {elapsed:.1f} s; wrote {OUT}")
    for design in DESIGNS:
        block = results[results["design"] == design]
        t = hlm.summarise_replications(
            block.rename(columns={"lower_t": "lower", "upper_t": "upper"}), truth
        )
        z = hlm.summarise_replications(
            block.rename(columns={"lower_z": "lower", "upper_z": "upper"}), truth
        )
        table = t[["truth", "mean_estimate", "bias", "rmse", "coverage"]].rename(
            columns={"coverage": "coverage_t"}
        )
        table["coverage_z"] = z["coverage"]
        print(
            f"\n{design} ({block['seed'].nunique()} replications, "
            f"{block.groupby('seed')['singular'].first().mean():.0%} singular fits)"
        )
        print(table.round(3).to_string())


if __name__ == "__main__":
    main()
