"""Time the derivatives behind Satterthwaite's df: exact (``hlmtutor.lmm.varpar_derivatives``)
against lmerTest's numerical ones (``hlmtutor._satterthwaite.hessian``/``jacobian``), and the
whole ``summary()`` + ``anova()`` of a fitted model with each.

Run from the repository root: ``.venv/bin/python benchmarks/satterthwaite.py``. Prints a
markdown table; times are medians of a few repetitions (wall clock, seconds, one BLAS thread as
``inference.varpar_covariance`` runs). Each numerical repetition starts with the deviance's
caches emptied. The crossed rows of growing size show where the dense exact path (several
random terms: a dense q x q S) stops paying, which sets ``MAX_DENSE_Q``.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lmer as bench  # noqa: E402  (benchmarks/lmer.py: the data makers)
from _timing import median_time  # noqa: E402

import hlmtutor as hlm  # noqa: E402
from hlmtutor import _satterthwaite as sat  # noqa: E402
from hlmtutor.lmm import inference  # noqa: E402
from hlmtutor.lmm.varpar_derivatives import varpar_derivatives  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "tests" / "reference" / "engine"


def cases():
    yield "guide full model (240 rows)", bench.GUIDE_FULL, bench.guide_data()
    yield (
        "cake (270 rows, one intercept term)",
        ("angle ~ recipe * temp + (1 | recipe:replicate)"),
        pd.read_csv(ENGINE / "cake.csv"),
    )
    yield (
        "two-level, 30,000 rows, (1 + x | g)",
        "y ~ x + (1 + x | g)",
        bench.two_level(1000, 30, seed=20261125),
    )
    yield (
        "Penicillin (crossed, q = 30)",
        "diameter ~ 1 + (1 | plate) + (1 | sample)",
        (pd.read_csv(ENGINE / "Penicillin.csv")),
    )
    yield (
        "three_rs (nested, q = 131)",
        "y ~ x + w + (1 + x | school) + (1 | school:class)",
        (pd.read_csv(ENGINE / "three.csv")),
    )
    for students in (200, 500, 1000, 1500):
        data = bench.crossed(students, 100, 20, seed=5)
        yield (
            f"crossed, {students} x 100 (q = {students + 100})",
            ("y ~ x + (1 | student) + (1 | item)"),
            data,
        )


def row(name: str, formula: str, data: pd.DataFrame) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = hlm.lmer(formula, data)
    dev = m.deviance_function
    varpar = np.r_[m.optimum.theta, m.sigma]

    def empty_caches():
        dev._recent.clear()
        dev._last.clear()

    def numerical():
        empty_caches()
        sat.hessian(dev.varpar_deviance, varpar)
        sat.jacobian(dev.vcov_beta, varpar)

    def tables():
        empty_caches()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fresh = replace(m)
            fresh.summary()
            hlm.anova(fresh)

    with threadpool_limits(1):
        exact = median_time(lambda: varpar_derivatives(dev, m.optimum.theta, m.sigma))
        num = median_time(numerical)
    both = median_time(tables)
    saved = inference.exact_available
    inference.exact_available = lambda d: False
    try:
        both_num = median_time(tables)
    finally:
        inference.exact_available = saved
    q = dev.reterms.n_random
    return f"| {name} | {q} | {exact:.4f} | {num:.4f} | {both:.3f} | {both_num:.3f} |"


def main() -> None:
    print("| model | q | exact derivatives | numerical | summary + anova | with numerical |")
    print("|---|---|---|---|---|---|")
    for name, formula, data in cases():
        print(row(name, formula, data))


if __name__ == "__main__":
    main()
