"""Time hlmtutor.lmer (fit + Satterthwaite table) beside statsmodels MixedLM and lme4/lmerTest.

Run from the repository root: ``.venv/bin/python benchmarks/lmer.py``. Prints a markdown
table; each time is the median of a few repetitions (wall clock). The lme4 column needs
Rscript with lme4 and lmerTest; it is left blank otherwise.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from hlmtutor import lmer

ROOT = Path(__file__).resolve().parents[1]
GUIDE_FULL = (
    "math_score ~ intervention + ses + intervention*ses + (1 + intervention | classroom_id)"
)


def guide_data() -> pd.DataFrame:
    return pd.read_csv(ROOT / "tests" / "reference" / "models" / "guide_data.csv")


def simulated(n_groups: int, size: int, slope: bool, seed: int) -> pd.DataFrame:
    """Two-level data: random intercept (SD 2) and, optionally, random slope (SD 0.5)."""
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(n_groups), size)
    x = rng.normal(size=n_groups * size)
    u0 = rng.normal(0, 2, n_groups)[group]
    u1 = rng.normal(0, 0.5, n_groups)[group] if slope else 0.0
    y = 10 + 1.5 * x + u0 + u1 * x + rng.normal(0, 3, n_groups * size)
    return pd.DataFrame({"y": y, "x": x, "g": group})


def median_time(func, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def time_lmer(formula: str, data: pd.DataFrame, repeats: int, table: bool = True) -> float:
    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = lmer(formula, data)
            if table:
                fit.fixef  # noqa: B018 - the Satterthwaite table is computed on access

    return median_time(run, repeats)


def time_mixedlm(formula: str, re_formula: str | None, data: pd.DataFrame, group: str,
                 repeats: int, method: str | None = None) -> float | str:  # fmt: skip
    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = smf.mixedlm(formula, data, groups=group, re_formula=re_formula)
            model.fit(reml=True, method=method) if method else model.fit(reml=True)

    try:
        return median_time(run, repeats)
    except Exception as error:  # the issue reports LinAlgError on the guide's full model
        return f"fails ({type(error).__name__})"


R_SCRIPT = """
suppressMessages({library(lme4); library(lmerTest)})
d <- read.csv(commandArgs(TRUE)[1])
f <- as.formula(commandArgs(TRUE)[2])
reps <- as.integer(commandArgs(TRUE)[3])
times <- replicate(reps, system.time(suppressMessages(summary(lmer(f, data = d))))[["elapsed"]])
cat(median(times))
"""


def time_lme4(formula: str, data: pd.DataFrame, repeats: int) -> float:
    if shutil.which("Rscript") is None:
        return float("nan")
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "data.csv"
        script = Path(tmp) / "time.R"
        data.to_csv(csv, index=False)
        script.write_text(R_SCRIPT)
        out = subprocess.run(
            ["Rscript", str(script), str(csv), formula, str(repeats)],
            capture_output=True,
            text=True,
            check=False,
        )
    try:
        return float(out.stdout.strip())
    except ValueError:
        return float("nan")


def fmt(seconds: float | str) -> str:
    if isinstance(seconds, str):
        return seconds
    return "" if np.isnan(seconds) else f"{seconds:.3f} s"


def main() -> None:
    guide = guide_data()
    big = simulated(1000, 30, slope=True, seed=20261125)
    power = simulated(100, 20, slope=False, seed=1)
    rows = [
        (
            "guide full model (240 rows, 12 groups), fit + Satterthwaite",
            time_lmer(GUIDE_FULL, guide, 5),
            time_mixedlm(
                "math_score ~ intervention * ses", "~intervention", guide, "classroom_id", 3
            ),  # fmt: skip
            time_mixedlm(
                "math_score ~ intervention * ses",
                "~intervention",
                guide,
                "classroom_id",
                3,
                method="powell",
            ),  # fmt: skip
            time_lme4(GUIDE_FULL, guide, 5),
        ),
        (
            "30,000 rows (1,000 groups of 30), (1 + x | g), fit + Satterthwaite",
            time_lmer("y ~ x + (1 + x | g)", big, 3),
            time_mixedlm("y ~ x", "~x", big, "g", 1),
            float("nan"),
            time_lme4("y ~ x + (1 + x | g)", big, 3),
        ),
        (
            "power-simulation size (2,000 rows, 100 groups), (1 | g), fit only",
            time_lmer("y ~ x + (1 | g)", power, 20, table=False),
            time_mixedlm("y ~ x", None, power, "g", 5),
            float("nan"),
            float("nan"),
        ),
        (
            "same, fit + Satterthwaite table",
            time_lmer("y ~ x + (1 | g)", power, 20),
            float("nan"),
            float("nan"),
            time_lme4("y ~ x + (1 | g)", power, 5),
        ),
    ]
    print("| model | hlmtutor.lmer | MixedLM (default) | MixedLM (powell) | lme4 + lmerTest |")
    print("|---|---|---|---|---|")
    for name, *times in rows:
        label = name.replace("|", "\\|")
        print(f"| {label} | " + " | ".join(fmt(t) for t in times) + " |")


if __name__ == "__main__":
    main()
