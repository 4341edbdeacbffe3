"""Deviance evaluations per fit: lme4's optimizer run against the engine's, before and after the
engine's extra runs were limited to fits that need them (issue 15).

Run from the repository root: ``.venv/bin/python benchmarks/evaluations.py`` (``--quick`` leaves
out the two slow real data sets and the 64 optimizer sets). Prints markdown tables:

* the engine's reference models (``tests/reference/engine.R``): lme4's ``m@optinfo$feval``, the
  engine's evaluations when the extra runs in scaled coordinates follow every fit ("before": the
  rule until issue 15, a restart kept when it lowers the criterion by more than 1e-7) and with
  today's rule ("after": only where lme4's checks flag the fit, a parameter ends on its bound, the
  columns are badly scaled or the fit ends on a ridge; kept when it lowers the criterion by more
  than ``optimize.POLISH_GAIN``; then one Newton step where the optimum is well determined, so
  the printed digits do not depend on the CPU), and the criterion's difference from lme4's;
* the same counts summarised over the 64 optimizer sets (``tests/reference/optimizer_sets.R``).

lme4 counts only its optimizer's evaluations (not ``checkConv``'s finite differences); the counts
here (``Optimum.feval``) leave out the convergence check's too, but count every evaluation of the
extra runs and Newton steps (the trial points, and on a singular fit the finite differences for
the parameters off their bound, which lme4's check skips).
"""

from __future__ import annotations

import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from hlmtutor import lmer
from hlmtutor.lmm import optimize

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "tests" / "reference" / "engine"
SETS = ROOT / "tests" / "reference" / "optimizer_sets"
SLOW = {"egsingle", "scotssec"}


@contextmanager
def extra_runs_always():
    """The rule before issue 15: the extra runs after every fit, kept above a 1e-7 gain, and no
    Newton steps (which follow only fits that need no extra runs, and singular fits)."""
    saved = optimize._needs_extra_runs, optimize.POLISH_GAIN, optimize._newton_off_bound
    optimize._needs_extra_runs = lambda *args: True
    optimize.POLISH_GAIN = 1e-7
    optimize._newton_off_bound = lambda fn, theta, fval, lower: (theta, fval, 0)
    try:
        yield
    finally:
        optimize._needs_extra_runs, optimize.POLISH_GAIN, optimize._newton_off_bound = saved


def _fit(formula: str, data: pd.DataFrame, reml: bool = True):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lmer(formula, data, REML=reml)


def _both(formula: str, data: pd.DataFrame, reml: bool = True):
    with extra_runs_always():
        before = _fit(formula, data, reml)
    return before, _fit(formula, data, reml)


def engine_table(quick: bool) -> pd.DataFrame:
    rows = []
    for _, model in pd.read_csv(ENGINE / "models.csv").iterrows():
        name = model["name"]
        scalars = ENGINE / f"{name}_scalars.csv"
        if (quick and name in SLOW) or not scalars.exists():
            continue
        ref = pd.read_csv(scalars).iloc[0]
        data = pd.read_csv(ENGINE / model["data_file"])
        before, after = _both(model["formula"], data, bool(model["REML"]))
        # lme4 fits a model without fixed effects by ML (its REMLcrit is then NA)
        reml = bool(model["REML"]) and not np.isnan(ref["REMLcrit"])
        lme4_crit = ref["REMLcrit"] if reml else ref["deviance"]
        rows.append(
            {
                "model": name,
                "lme4 feval": int(ref["feval"]),
                "before": before.optimum.feval,
                "after": after.optimum.feval,
                "before / lme4": before.optimum.feval / ref["feval"],
                "after / lme4": after.optimum.feval / ref["feval"],
                "criterion - lme4's (after)": after.optimum.fval - lme4_crit,
            }
        )
    return pd.DataFrame(rows)


def sets_table() -> pd.DataFrame:
    fits = pd.read_csv(SETS / "fits.csv", keep_default_na=False).set_index("set")
    data = pd.read_csv(SETS / "data.csv")
    rows = []
    for set_id, d in data.groupby("set"):
        row = fits.loc[set_id]
        before, after = _both(row["formula"], d.drop(columns="set").reset_index(drop=True))
        rows.append(
            {
                "set": set_id,
                "lme4 feval": int(row["feval"]),
                "before": before.optimum.feval,
                "after": after.optimum.feval,
                "after - lme4's criterion": after.reml_criterion - row["REMLcrit"],
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    quick = "--quick" in sys.argv
    table = engine_table(quick)
    print("Engine reference models (tests/reference/engine.R): deviance evaluations\n")
    print(table.to_markdown(index=False, floatfmt=".3g"))
    print(
        f"\nmedian ratio to lme4: before {np.median(table['before / lme4']):.2f}, "
        f"after {np.median(table['after / lme4']):.2f}"
    )
    if quick:
        return
    sets = sets_table()
    ratio_before = sets["before"] / sets["lme4 feval"]
    ratio_after = sets["after"] / sets["lme4 feval"]
    print("\nThe 64 optimizer sets (tests/reference/optimizer_sets.R)\n")
    summary = pd.DataFrame(
        {
            "median ratio to lme4": [np.median(ratio_before), np.median(ratio_after)],
            "total evaluations": [sets["before"].sum(), sets["after"].sum()],
            "lme4's total": [sets["lme4 feval"].sum()] * 2,
            "worst criterion - lme4's": [np.nan, sets["after - lme4's criterion"].max()],
            "sets below lme4's by > 1e-3": [
                np.nan,
                int((sets["after - lme4's criterion"] < -1e-3).sum()),
            ],
        },
        index=["before", "after"],
    )
    print(summary.to_markdown(floatfmt=".3g"))


if __name__ == "__main__":
    main()
