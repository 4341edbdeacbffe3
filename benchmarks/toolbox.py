"""Time the lmerTest/pbkrtest toolbox (contest, Kenward-Roger, ranova, ls_means, the bootstrap)
beside R's lmerTest 3.1-3 and pbkrtest 0.5.2 on the same fitted models.

Run from the repository root: ``.venv/bin/python benchmarks/toolbox.py`` (``--quick`` skips the
bootstrap rows). Prints a markdown table; each time is the median of a few repetitions (wall
clock, seconds) of the operation on an already fitted model (each Python repetition on a fresh
copy of the fit, so nothing cached is reused, except the Satterthwaite derivatives, which
lmerTest computes when it fits). The R column needs Rscript with lmerTest and
pbkrtest (blank otherwise). The data are the reference data of ``tests/reference/toolbox.R``.
The bootstrap draws differ between R and Python, so those rows compare cost, not numbers.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

import hlmtutor
from hlmtutor import lmer

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference" / "toolbox"

MODELS = {
    "sleep": ("sleepstudy.csv", "Reaction ~ Days + (Days | Subject)"),
    "sleep_ri": ("sleepstudy.csv", "Reaction ~ Days + (1 | Subject)"),
    "sleep_0": ("sleepstudy.csv", "Reaction ~ 1 + (Days | Subject)"),
    "cake_fx": ("cake.csv", "angle ~ recipe * tempf + (1 | replicate)"),
    "penicillin": ("Penicillin.csv", "diameter ~ 1 + (1 | plate) + (1 | sample)"),
}

# name, model, Python call on a fit m (and fits), R expression on m (and fits), repeats
ROWS = [
    ("contest, 2 rows, Satterthwaite", "sleep",
     lambda f: hlmtutor.contest(f["sleep"], np.eye(2)),
     "contest(m$sleep, diag(2))", 5),
    ("coef table, Kenward-Roger", "sleep",
     lambda f: hlmtutor.coef_table(f["sleep"], ddf="Kenward-Roger"),
     "coef(summary(m$sleep, ddf = 'Kenward-Roger'))", 5),
    ("anova, Kenward-Roger (18 coefficients)", "cake_fx",
     lambda f: hlmtutor.anova(f["cake_fx"], ddf="Kenward-Roger"),
     "anova(m$cake_fx, ddf = 'Kenward-Roger')", 3),
    ("ranova (2 crossed terms)", "penicillin",
     lambda f: hlmtutor.ranova(f["penicillin"]),
     "ranova(m$penicillin)", 5),
    ("difflsmeans recipe:tempf (153 pairs)", "cake_fx",
     lambda f: hlmtutor.difflsmeans(f["cake_fx"], "recipe:tempf"),
     "difflsmeans(m$cake_fx, which = 'recipe:tempf')", 3),
]  # fmt: skip
BOOT_ROWS = [
    ("bootstrap fixed effects, nsim = 200", "sleep",
     lambda f: hlmtutor.bootstrap(f["sleep"], nsim=200, seed=1),
     "bootMer(m$sleep, fixef, nsim = 200, seed = 1)", 1),
    ("pb_modcomp Days, nsim = 200", "sleep",
     lambda f: hlmtutor.pb_modcomp(f["sleep"], f["sleep_0"], nsim=200, seed=1),
     "PBmodcomp(m$sleep, m$sleep_0, nsim = 200, seed = 1)", 1),
]  # fmt: skip

R_SCRIPT = r"""
suppressMessages({library(lmerTest); library(pbkrtest)})
args <- commandArgs(trailingOnly = TRUE)
ref <- args[1]
specs <- read.csv(args[2], stringsAsFactors = FALSE)
rows <- read.csv(args[3], stringsAsFactors = FALSE)
m <- list()
for (i in seq_len(nrow(specs))) {
  d <- read.csv(file.path(ref, specs$file[i]), stringsAsFactors = TRUE)
  # the data inlined in the call: ranova and PBmodcomp refit by re-evaluating it
  m[[specs$name[i]]] <- do.call(lmer, list(as.formula(specs$formula[i]), data = d))
}
for (i in seq_len(nrow(rows))) {
  expr <- str2lang(rows$r[i])
  times <- replicate(rows$repeats[i], system.time(suppressWarnings(suppressMessages(
    eval(expr))))[["elapsed"]])
  cat(median(times), "\n")
}
"""


def fits() -> dict:
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (file, formula) in MODELS.items():
            out[name] = lmer(formula, pd.read_csv(REF / file))
    return out


def python_time(call, base: dict, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        fresh = {name: replace(fit) for name, fit in base.items()}  # no cached tables
        for fit in fresh.values():
            # lmerTest computes the Satterthwaite derivatives when it fits (as_lmerModLmerTest):
            # both sides time the operation on a fit that holds them
            _ = fit._varpar_covariance
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call(fresh)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def r_times(rows) -> list[float]:
    if shutil.which("Rscript") is None:
        return [float("nan")] * len(rows)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        specs = Path(tmp) / "specs.csv"
        table = Path(tmp) / "rows.csv"
        script = Path(tmp) / "time.R"
        pd.DataFrame(
            [(n, f, fo) for n, (f, fo) in MODELS.items()], columns=["name", "file", "formula"]
        ).to_csv(specs, index=False)
        pd.DataFrame([(r[3], r[4]) for r in rows], columns=["r", "repeats"]).to_csv(
            table, index=False
        )
        script.write_text(R_SCRIPT)
        out = subprocess.run(
            ["Rscript", str(script), str(REF), str(specs), str(table)],
            capture_output=True,
            text=True,
            check=False,
        )
    values = out.stdout.split()
    if len(values) != len(rows):
        return [float("nan")] * len(rows)
    return [float(v) for v in values]


def main() -> None:
    rows = ROWS + ([] if "--quick" in sys.argv else BOOT_ROWS)
    base = fits()
    r = r_times(rows)
    print("| operation | model | hlmtutor (s) | lmerTest/pbkrtest (s) | ratio |")
    print("|---|---|---|---|---|")
    for (label, model, call, _, repeats), r_time in zip(rows, r, strict=True):
        ours = python_time(call, base, repeats)
        ratio = ours / r_time if r_time == r_time and r_time > 0 else float("nan")
        print(f"| {label} | {model} | {ours:.3f} | {r_time:.3f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
