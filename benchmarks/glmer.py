"""Time hlmtutor.glmer beside lme4::glmer and statsmodels' variational-Bayes mixed GLMs.

Run from the repository root: ``.venv/bin/python benchmarks/glmer.py`` (``--repeats N`` for
more repetitions). Prints a markdown table; each time is the median of a few repetitions (wall
clock, seconds), in one run on one machine, so the ratios compare like with like. Every data set
is simulated with a fixed seed and written to a temporary CSV that R reads in the same run, so
both sides fit the same numbers. The lme4 column times ``glmer(...)`` (Laplace, lme4's default
two-stage optimizer) and needs Rscript with lme4 (blank otherwise). The statsmodels column times
``BinomialBayesMixedGLM`` / ``PoissonBayesMixedGLM`` ``.fit_vb()``: a variational approximation,
not the same estimator (no likelihood, no p-values), shown as the Python alternative there is;
it takes independent variance components only (the random slope row fits intercept and slope
uncorrelated) and no offset. It is timed once (it takes minutes where glmer takes seconds);
``--no-statsmodels`` leaves that column out, ``--only WORD`` times only the rows whose label
contains WORD (e.g. ``--only crossed``).
Target (issue 14): hlmtutor / lme4 at most 1/2 on every row.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd
from _timing import median_time, run_rscript
from statsmodels.genmod.bayes_mixed_glm import BinomialBayesMixedGLM, PoissonBayesMixedGLM


def _expit(eta: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-eta))


def binary_two_level(n_groups: int, size: int, seed: int) -> pd.DataFrame:
    """0/1 outcome; logit = -0.5 + 0.8 x + u0 + u1 x, SD(u0) = 1, SD(u1) = 0.5, corr 0.3."""
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(n_groups), size)
    x = rng.normal(size=n_groups * size)
    cov = np.array([[1.0, 0.15], [0.15, 0.25]])
    u = rng.multivariate_normal([0.0, 0.0], cov, size=n_groups)[group]
    eta = -0.5 + 0.8 * x + u[:, 0] + u[:, 1] * x
    y = (rng.random(len(x)) < _expit(eta)).astype(int)
    return pd.DataFrame({"y": y, "x": x, "g": group})


def binary_crossed(n_people: int, n_items: int, share: float, seed: int) -> pd.DataFrame:
    """People answer a random share of the items; logit = 0.2 + 0.6 x + person + item."""
    rng = np.random.default_rng(seed)
    person, item = (a.ravel() for a in np.meshgrid(np.arange(n_people), np.arange(n_items)))
    keep = rng.random(len(person)) < share
    person, item = person[keep], item[keep]
    x = rng.normal(size=len(person))
    eta = 0.2 + 0.6 * x + rng.normal(0, 1.2, n_people)[person] + rng.normal(0, 0.8, n_items)[item]
    y = (rng.random(len(x)) < _expit(eta)).astype(int)
    return pd.DataFrame({"y": y, "x": x, "person": person, "item": item})


def poisson_rates(n_groups: int, size: int, seed: int) -> pd.DataFrame:
    """Counts over an exposure; log mean = log(exposure) + 0.3 + 0.4 x + u0, SD(u0) = 0.5."""
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(n_groups), size)
    x = rng.normal(size=len(group))
    exposure = np.round(rng.uniform(0.5, 5.0, len(group)), 2)
    eta = np.log(exposure) + 0.3 + 0.4 * x + rng.normal(0, 0.5, n_groups)[group]
    return pd.DataFrame({"y": rng.poisson(np.exp(eta)), "x": x, "exposure": exposure, "g": group})


def time_hlmtutor(formula: str, data: pd.DataFrame, family: str, repeats: int) -> float | str:
    try:
        from hlmtutor import glmer
    except ImportError:
        return "not yet (no hlmtutor.glmer)"

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            glmer(formula, data, family=family).fixef  # noqa: B018 - the z table, as lme4 prints

    return median_time(run, repeats)


R_SCRIPT = """
suppressMessages(library(lme4))
args <- commandArgs(TRUE)
d <- read.csv(args[1])
for (v in c("g", "person", "item")) if (v %in% names(d)) d[[v]] <- factor(d[[v]])
f <- as.formula(args[2])
fam <- get(args[3])
reps <- as.integer(args[4])
fit <- function() suppressMessages(suppressWarnings(coef(summary(glmer(f, d, family = fam)))))
times <- replicate(reps, system.time(fit())[["elapsed"]])
cat(median(times))
"""


def time_lme4(formula: str, data: pd.DataFrame, family: str, repeats: int) -> float:
    out = run_rscript(R_SCRIPT, data, formula, family, str(repeats))
    try:
        return float(out.strip())
    except (AttributeError, ValueError):  # no Rscript, or R failed
        return float("nan")


def time_statsmodels(
    formula: str, vc: dict[str, str], data: pd.DataFrame, family: str, repeats: int
) -> float | str:
    model = {"binomial": BinomialBayesMixedGLM, "poisson": PoissonBayesMixedGLM}[family]

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.from_formula(formula, vc, data).fit_vb()

    try:
        return median_time(run, repeats)
    except Exception as error:  # shown in the table, not hidden
        return f"fails ({type(error).__name__})"


def fmt(seconds: float | str) -> str:
    if isinstance(seconds, str):
        return seconds
    return "" if np.isnan(seconds) else f"{seconds:.3f}"


def ratio(ours: float | str, theirs: float) -> str:
    if isinstance(ours, str) or np.isnan(theirs):
        return ""
    return f"{ours / theirs:.2f}"


def rows() -> list[tuple]:
    """(label, formula, data, family, statsmodels formula and variance components or a reason)."""
    intercept = binary_two_level(1000, 20, seed=20261206)
    slope = binary_two_level(1000, 20, seed=20261207)
    crossed = binary_crossed(300, 24, 0.97, seed=20261208)
    rates = poisson_rates(500, 20, seed=20261209)
    return [
        ("binomial, random intercept: 20,000 rows, 1,000 groups", "y ~ x + (1 | g)", intercept,
         "binomial", ("y ~ x", {"g": "0 + C(g)"})),
        ("binomial, random slope (1 + x \\| g): 20,000 rows, 1,000 groups", "y ~ x + (1 + x | g)",
         slope, "binomial", ("y ~ x", {"g": "0 + C(g)", "g_x": "0 + C(g):x"})),
        (f"binomial, crossed: 300 people x 24 items ({len(crossed):,} rows)",
         "y ~ x + (1 | person) + (1 | item)", crossed, "binomial",
         ("y ~ x", {"person": "0 + C(person)", "item": "0 + C(item)"})),
        ("Poisson with offset(log(exposure)): 10,000 rows, 500 groups",
         "y ~ x + offset(log(exposure)) + (1 | g)", rates, "poisson",
         "cannot (PoissonBayesMixedGLM takes no offset)"),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-statsmodels", action="store_true", help="skip statsmodels")
    parser.add_argument("--only", default="", help="time only rows whose label has this")
    args = parser.parse_args()
    repeats = args.repeats
    print("| model | hlmtutor | lme4::glmer | ratio | statsmodels BayesMixedGLM fit_vb |")
    print("|---|---|---|---|---|")
    for label, formula, data, family, sm in rows():
        if args.only not in label:
            continue
        ours = time_hlmtutor(formula, data, family, repeats)
        theirs = time_lme4(formula, data, family, repeats)
        if args.no_statsmodels:
            sm_time: float | str = "not run (--no-statsmodels)"
        elif isinstance(sm, str):
            sm_time = sm
        else:
            sm_time = time_statsmodels(sm[0], sm[1], data, family, repeats=1)
        print(f"| {label} | {fmt(ours)} | {fmt(theirs)} | {ratio(ours, theirs)} | {fmt(sm_time)} |")


if __name__ == "__main__":
    main()
