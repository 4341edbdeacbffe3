"""Time hlmtutor.lmer (fit + Satterthwaite table) beside lme4/lmerTest and statsmodels MixedLM.

Run from the repository root: ``.venv/bin/python benchmarks/lmer.py`` (``--quick`` skips
the 2,000,000-row memory run). Prints a markdown table; each time is the median of a few
repetitions (wall clock, seconds), in one run on one machine, so the ratios compare like with
like. The lme4 column needs Rscript with lme4 and lmerTest (blank otherwise); it times
``summary(lmerTest::lmer(...))``, which is the fit plus the Satterthwaite table.
Targets (issue 9): hlmtutor / lmerTest at most 1/3 on the guide's full model and on 30,000
rows; at most 1 on the three-level and crossed rows; 2,000,000 rows within 2 GB.

The scale table (``--scale [names...]``, and at the end of a full run; ``--no-r`` skips R)
fits each model in its own fresh process and reports peak memory (ru_maxrss) beside wall and
CPU time. Targets (issue 15): 5,000 x 4,000 crossed within 1 GB; the InstEval-sized and the
100,000-row three-level rows at most 1/3 of lmerTest's time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from hlmtutor import lmer

# this folder on the path also when imported as ``benchmarks.lmer`` (the scale runs' processes)
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import median_time, run_rscript  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GUIDE_FULL = (
    "math_score ~ intervention + ses + intervention*ses + (1 + intervention | classroom_id)"
)


def guide_data() -> pd.DataFrame:
    return pd.read_csv(ROOT / "tests" / "reference" / "models" / "guide_data.csv")


def two_level(n_groups: int, size: int, seed: int) -> pd.DataFrame:
    """Random intercept (SD 2) and slope (SD 0.5) of x in g."""
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(n_groups), size)
    x = rng.normal(size=n_groups * size)
    u0 = rng.normal(0, 2, n_groups)[group]
    u1 = rng.normal(0, 0.5, n_groups)[group]
    y = 10 + 1.5 * x + u0 + u1 * x + rng.normal(0, 3, n_groups * size)
    return pd.DataFrame({"y": y, "x": x, "g": group})


def three_level(n_schools: int, classes: int, size: int, seed: int) -> pd.DataFrame:
    """Students in classes in schools; random intercept and slope of x at both levels."""
    rng = np.random.default_rng(seed)
    n_classes = n_schools * classes
    school_of_class = np.repeat(np.arange(n_schools), classes)
    klass = np.repeat(np.arange(n_classes), size)
    school = school_of_class[klass]
    n = len(klass)
    x = rng.normal(size=n)
    w = rng.normal(size=n_schools)[school]
    s0, s1 = rng.normal(0, 2, n_schools)[school], rng.normal(0, 0.4, n_schools)[school]
    c0, c1 = rng.normal(0, 1.5, n_classes)[klass], rng.normal(0, 0.3, n_classes)[klass]
    y = 50 + 2 * x + 1.0 * w + s0 + c0 + (s1 + c1) * x + rng.normal(0, 4, n)
    return pd.DataFrame({"y": y, "x": x, "w": w, "school": school, "klass": klass % classes})


def crossed(n_students: int, n_items: int, per_student: int, seed: int) -> pd.DataFrame:
    """Each student answers a random subset of the items."""
    rng = np.random.default_rng(seed)
    student = np.repeat(np.arange(n_students), per_student)
    item = np.concatenate(
        [rng.choice(n_items, per_student, replace=False) for _ in range(n_students)]
    )
    x = rng.normal(size=len(student))
    y = (
        3
        + 0.5 * x
        + rng.normal(0, 1, n_students)[student]
        + rng.normal(0, 0.7, n_items)[item]
        + rng.normal(0, 1, len(student))
    )
    return pd.DataFrame({"y": y, "x": x, "student": student, "item": item})


def instevalish(seed: int) -> pd.DataFrame:
    """InstEval's shape: 73,421 ratings, 2,972 students x 1,128 lecturers x 14 departments
    (each lecturer in one department), a binary ``service`` per rating."""
    rng = np.random.default_rng(seed)
    n, n_s, n_d, n_dept = 73_421, 2_972, 1_128, 14
    s = rng.integers(0, n_s, n)
    d = rng.integers(0, n_d, n)
    dept_of_d = rng.integers(0, n_dept, n_d)
    dept = dept_of_d[d]
    service = rng.integers(0, 2, n)
    y = (
        3.2
        - 0.07 * service
        + rng.normal(0, 0.32, n_s)[s]
        + rng.normal(0, 0.52, n_d)[d]
        + rng.normal(0, 0.08, 2 * n_dept)[2 * dept + service]
        + rng.normal(0, 1.18, n)
    )
    return pd.DataFrame({"y": y, "service": service, "s": s, "d": d, "dept": dept})


def time_lmer(formula: str, data: pd.DataFrame, repeats: int) -> float:
    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lmer(formula, data).fixef  # noqa: B018 - the Satterthwaite table is computed on access

    return median_time(run, repeats)


def time_mixedlm(formula, data, group, repeats, re_formula=None, vc=None) -> float | str:
    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            smf.mixedlm(formula, data, groups=group, re_formula=re_formula, vc_formula=vc).fit(
                reml=True
            )

    try:
        return median_time(run, repeats)
    except Exception as error:
        return f"fails ({type(error).__name__})"


R_SCRIPT = """
suppressMessages({library(lme4); library(lmerTest)})
d <- read.csv(commandArgs(TRUE)[1])
for (v in c("g", "school", "klass", "student", "item", "classroom_id"))
  if (v %in% names(d)) d[[v]] <- factor(d[[v]])
f <- as.formula(commandArgs(TRUE)[2])
reps <- as.integer(commandArgs(TRUE)[3])
times <- replicate(reps, system.time(suppressMessages(summary(lmer(f, data = d))))[["elapsed"]])
cat(median(times))
"""


def time_lme4(formula: str, data: pd.DataFrame, repeats: int) -> float:
    out = run_rscript(R_SCRIPT, data, formula, str(repeats))
    try:
        return float(out.strip())
    except (AttributeError, ValueError):  # no Rscript, or R failed
        return float("nan")


def fmt(seconds: float | str) -> str:
    if isinstance(seconds, str):
        return seconds
    return "" if np.isnan(seconds) else f"{seconds:.3f}"


INSTEVAL = "y ~ service + (1 | s) + (1 | d) + (1 | dept:service)"
THREE_LEVEL = "y ~ x + w + (1 + x | school) + (1 + x | school:klass)"
CROSSED = "y ~ x + (1 | student) + (1 | item)"

SCALE_CASES = {
    "crossed, 50,000 rows (5,000 students x 500 items)": (CROSSED, "crossed(5000, 500, 10, 1)"),
    "crossed, 50,000 rows (5,000 students x 1,000 items)": (CROSSED, "crossed(5000, 1000, 10, 1)"),
    "crossed, 50,000 rows (5,000 students x 2,000 items)": (CROSSED, "crossed(5000, 2000, 10, 1)"),
    "crossed, 50,000 rows (5,000 students x 4,000 items)": (CROSSED, "crossed(5000, 4000, 10, 1)"),
    "InstEval-sized, 73,421 rows (2,972 x 1,128 x 28 crossed)": (INSTEVAL, "instevalish(2)"),
    "three levels, 100,000 rows (500 schools x 20 classes x 10), slopes at both": (
        THREE_LEVEL,
        "three_level(500, 20, 10, 13)",
    ),
}

SCALE_SCRIPT = """
import gc, resource, sys, time, warnings
sys.path.insert(0, sys.argv[1])
from benchmarks.lmer import crossed, instevalish, three_level
from hlmtutor import lmer
data = eval(sys.argv[3])
if sys.argv[4] == "csv":
    data.to_csv(sys.argv[5], index=False)
    raise SystemExit
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start, cpu_start = time.perf_counter(), cpu()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    fit = lmer(sys.argv[2], data)
    fit.fixef
elapsed, cpu_time = time.perf_counter() - start, cpu() - cpu_start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{elapsed:.2f} {cpu_time:.2f} {peak / 1024:.0f} {before / 1024:.0f} {fit.feval}")
"""

R_MEMORY_SCRIPT = """
suppressMessages({library(lme4); library(lmerTest)})
d <- read.csv(commandArgs(TRUE)[1])
for (v in c("school", "klass", "student", "item", "s", "d", "dept", "service"))
  if (v %in% names(d)) d[[v]] <- factor(d[[v]])
f <- as.formula(commandArgs(TRUE)[2])
invisible(gc(reset = TRUE))
t <- system.time(m <- suppressMessages(summary(lmer(f, data = d))))
cat(t[["elapsed"]], t[["user.self"]] + t[["sys.self"]], sum(gc()[, 6]))
"""


def scale_run(formula: str, make: str) -> tuple[str, ...]:
    """Fit + Satterthwaite table in a fresh process: wall and CPU seconds, peak RSS (MB), MB
    before the fit (interpreter, libraries and data), evaluations. CPU time is the fair
    comparison on a shared machine (the fit runs on one BLAS thread)."""
    out = subprocess.run(
        [sys.executable, "-c", SCALE_SCRIPT, str(ROOT), formula, make, "fit"],
        capture_output=True,
        text=True,
    )
    if out.returncode:
        return (f"fails: {out.stderr.strip().splitlines()[-1]}", "", "", "", "")
    return tuple(out.stdout.split())


def scale_run_lme4(formula: str, make: str) -> tuple[str, str, str]:
    """lmerTest's fit + summary on the same data: wall and CPU seconds and R's peak heap (gc's
    max used, MB; R's own measure, not the process's RSS)."""
    if shutil.which("Rscript") is None:
        return ("", "", "")
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "data.csv"
        script = Path(tmp) / "mem.R"
        subprocess.run(
            [sys.executable, "-c", SCALE_SCRIPT, str(ROOT), formula, make, "csv", str(csv)],
            check=True,
        )
        script.write_text(R_MEMORY_SCRIPT)
        # One BLAS thread, as hlmtutor's fit runs: CPU times then compare like with like.
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        out = subprocess.run(
            ["Rscript", str(script), str(csv), formula], capture_output=True, text=True, env=env
        )
    parts = out.stdout.split()
    return (parts[0], parts[1], f"{float(parts[2]):.0f}") if len(parts) == 3 else ("", "", "")


def scale_table(names: list[str]) -> None:
    print("| model | hlmtutor wall (s) | CPU (s) | peak RSS (MB) | before fit (MB) | evaluations "
          "| lme4 + lmerTest wall (s) | CPU (s) | R max heap (MB) | CPU ratio |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        formula, make = SCALE_CASES[name]
        secs, cpu, peak, before, feval = scale_run(formula, make)
        r_run = ("", "", "") if "--no-r" in sys.argv else scale_run_lme4(formula, make)
        r_secs, r_cpu, r_mem = r_run
        ratio = f"{float(cpu) / float(r_cpu):.2f}" if r_cpu and peak else ""
        print(f"| {name} | {secs} | {cpu} | {peak} | {before} | {feval} "
              f"| {r_secs} | {r_cpu} | {r_mem} | {ratio} |")  # fmt: skip


MEMORY_SCRIPT = """
import resource, sys, time, warnings
import numpy as np, pandas as pd
sys.path.insert(0, sys.argv[1])
from benchmarks.lmer import two_level
from hlmtutor import lmer
data = two_level(200_000, 10, seed=3)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    fit = lmer("y ~ x + (1 + x | g)", data)
    fit.fixef
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{elapsed:.2f} {peak / 1024:.0f} {before / 1024:.0f}")
"""


def memory_run() -> str:
    """2,000,000 rows (200,000 groups of 10), (1 + x | g): time and peak memory of the process."""
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(ROOT)], capture_output=True, text=True
    )
    if out.returncode:
        return f"fails: {out.stderr.strip().splitlines()[-1]}"
    elapsed, peak, data_only = out.stdout.split()
    return (
        f"2,000,000 rows, (1 + x | g): fit + Satterthwaite {elapsed} s; peak memory of the "
        f"process {peak} MB ({data_only} MB before the fit, with the data made)"
    )


def main() -> None:
    if "--scale" in sys.argv:
        chosen = [a for a in sys.argv[1:] if not a.startswith("--")]
        names = [n for n in SCALE_CASES if not chosen or any(c in n for c in chosen)]
        scale_table(names)
        return
    rows = [
        ("guide full model (240 rows, 12 classrooms)", GUIDE_FULL, guide_data(), 5,
         ("math_score ~ intervention * ses", "classroom_id", "~intervention", None)),
        ("two-level, 30,000 rows (1,000 groups), (1 + x | g)", "y ~ x + (1 + x | g)",
         two_level(1000, 30, seed=20261125), 3, ("y ~ x", "g", "~x", None)),
        ("two-level, 200,000 rows (10,000 groups), (1 + x | g)", "y ~ x + (1 + x | g)",
         two_level(10_000, 20, seed=7), 1, ("y ~ x", "g", "~x", None)),
        ("three levels, 30,000 rows (100 schools x 10 classes x 30), slopes at both",
         "y ~ x + w + (1 + x | school) + (1 + x | school:klass)",
         three_level(100, 10, 30, seed=11), 1,
         ("y ~ x + w", "school", "~x", {"klass": "0 + C(klass)"})),
        ("crossed, 20,000 rows (1,000 students x 100 items)",
         "y ~ x + (1 | student) + (1 | item)", crossed(1000, 100, 20, seed=5), 1, None),
    ]  # fmt: skip
    print("| model | hlmtutor | lme4 + lmerTest | ratio | statsmodels MixedLM |")
    print("|---|---|---|---|---|")
    for name, formula, data, repeats, mixed in rows:
        ours = time_lmer(formula, data, repeats)
        theirs = time_lme4(formula, data, repeats)
        ratio = "" if np.isnan(theirs) else f"{ours / theirs:.2f}"
        if mixed is None:
            sm = "cannot (crossed factors need one group spanning all rows)"
        else:
            formula_sm, group, re_formula, vc = mixed
            sm = time_mixedlm(formula_sm, data, group, 1, re_formula, vc)
        print(f"| {name} | {fmt(ours)} | {fmt(theirs)} | {ratio} | {fmt(sm)} |")
    if "--quick" not in sys.argv:
        print()
        print(memory_run())
        print()
        scale_table(list(SCALE_CASES))


if __name__ == "__main__":
    main()
