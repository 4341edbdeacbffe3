"""Time hlmtutor.lmer with residual structures beside nlme::lme, in one run on one machine.

Run from the repository root: ``.venv/bin/python benchmarks/longitudinal.py``. Prints a markdown
table: per design the wall-clock seconds (median of the repetitions) of hlmtutor's fit with its
Satterthwaite table (``lmer(...).fixef``) and of ``summary(nlme::lme(...))`` run by Rscript on the
same CSV, their ratio, and both log-likelihoods (hlmtutor's must not be below nlme's).
Target (issue 16): hlmtutor / nlme at most 1/2 on 500 subjects x 8 waves with (time | id) +
AR(1), and on 5,000 x 6.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from _timing import median_time_and_value, run_rscript

from hlmtutor import cor_ar1, lmer, var_ident


def growth(n_subjects: int, waves: int, seed: int) -> pd.DataFrame:
    """Linear growth with random intercept (SD 2) and slope (SD 0.5), AR(1) residuals
    (phi 0.5) and a residual SD growing over the waves."""
    rng = np.random.default_rng(seed)
    subject = np.repeat(np.arange(n_subjects), waves)
    time_ = np.tile(np.arange(waves), n_subjects).astype(float)
    u0 = rng.normal(0, 2, n_subjects)[subject]
    u1 = rng.normal(0, 0.5, n_subjects)[subject]
    e = np.empty(n_subjects * waves)
    innovation = rng.normal(size=(n_subjects, waves))
    e_prev = innovation[:, 0]
    e[0::waves] = e_prev
    for j in range(1, waves):
        e_prev = 0.5 * e_prev + np.sqrt(0.75) * innovation[:, j]
        e[j::waves] = e_prev
    sd = 1.0 + 0.1 * time_
    y = 10 + 0.8 * time_ + u0 + u1 * time_ + sd * e
    return pd.DataFrame({"y": y, "time": time_, "id": subject})


DESIGNS = [
    # (label, subjects, waves, variance by wave?, repeats)
    ("500 x 8, (time | id) + AR(1)", 500, 8, False, 3),
    ("500 x 8, (time | id) + AR(1) + varIdent(wave)", 500, 8, True, 3),
    ("5,000 x 6, (time | id) + AR(1)", 5000, 6, False, 1),
]

R_SCRIPT = """
suppressMessages(library(nlme))
args <- commandArgs(TRUE)
d <- read.csv(args[1])
d$id <- factor(d$id)
reps <- as.integer(args[2])
by_wave <- args[3] == "TRUE"
fit <- function() {
  summary(lme(y ~ time, random = ~ time | id, data = d,
              correlation = corAR1(form = ~ 1 | id),
              weights = if (by_wave) varIdent(form = ~ 1 | time) else NULL,
              control = lmeControl(maxIter = 200, msMaxIter = 200)))
}
times <- replicate(reps, system.time(s <<- fit())[["elapsed"]])
cat(sprintf("%.17g", c(median(times), as.numeric(s$logLik))), "\\n")
"""


def time_hlmtutor(data: pd.DataFrame, by_wave: bool, repeats: int) -> tuple[float, float]:
    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = lmer(
                "y ~ time + (time | id)",
                data,
                correlation=cor_ar1(),
                variance=var_ident(by="time") if by_wave else None,
            )
            fit.fixef  # noqa: B018 - the Satterthwaite table is computed on access
            return fit.loglik

    return median_time_and_value(run, repeats)


def time_nlme(data: pd.DataFrame, by_wave: bool, repeats: int) -> tuple[float, float]:
    out = run_rscript(R_SCRIPT, data, str(repeats), str(by_wave).upper())
    try:
        seconds, loglik = (float(v) for v in out.split())
    except (AttributeError, ValueError):  # no Rscript, or R failed
        return float("nan"), float("nan")
    return seconds, loglik


def main() -> None:
    print("| design | rows | hlmtutor (s) | nlme (s) | ratio | logLik hlmtutor | logLik nlme |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, subjects, waves, by_wave, repeats in DESIGNS:
        data = growth(subjects, waves, seed=subjects + waves)
        ours, ll_ours = time_hlmtutor(data, by_wave, repeats)
        theirs, ll_theirs = time_nlme(data, by_wave, repeats)
        ratio = ours / theirs if np.isfinite(theirs) else float("nan")
        print(
            f"| {label} | {len(data):,} | {ours:.3f} | {theirs:.3f} | {ratio:.3f} | "
            f"{ll_ours:.4f} | {ll_theirs:.4f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
