"""hlmtutor._rprint against R's printing (tests/reference/api.R): matrices wider than 80
columns wrap into blocks of columns as ``print.default`` wraps them, and so do lme4's
"Correlation of Fixed Effects" and the random-effects table built on it."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
from _rtext import assert_r_text_equal

from hlmtutor import _rprint as rp
from hlmtutor import lmer
from hlmtutor.lmm.summary import correlation_lines

REF = Path(__file__).parent / "reference" / "api"


def test_wide_matrix_wraps_as_r_prints_it():
    """print(cells, quote = FALSE, right = FALSE) and right = TRUE of a 3 x 17 matrix."""
    cells = pd.read_csv(REF / "wide_matrix_cells.csv", dtype=str)
    rows = ["first", "second", "a third row"]
    table = cells.to_numpy().tolist()
    ours = rp.print_matrix(rows, list(cells.columns), table, right=False)
    ours += rp.print_matrix(rows, list(cells.columns), table, right=True)
    r = (REF / "wide_matrix.txt").read_text().splitlines()
    assert [line.rstrip() for line in ours] == [line.rstrip() for line in r]
    assert max(len(line) for line in ours) < rp.WIDTH


def test_wide_correlation_of_fixed_effects_wraps_as_lme4():
    """print(summary(lmer(Reaction ~ factor(Days) + grp + (1 | Subject))), correlation = TRUE):
    12 fixed effects, the table in two blocks."""
    data = pd.read_csv(REF / "sleep.csv", dtype={"Subject": str, "dose": str})
    codes = pd.factorize(data["Subject"], sort=True)[0] + 1  # R: as.integer(factor(Subject))
    data["grp"] = pd.Series(["a", "b", "c"]).iloc[codes % 3].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = lmer("Reaction ~ factor(Days) + grp + (1 | Subject)", data)
    r = (REF / "wide_summary.txt").read_text().splitlines()
    r_block = r[r.index("Correlation of Fixed Effects:") :]
    ours = correlation_lines(fit.corr_fixef)[1:]
    assert_r_text_equal("\n".join(line.rstrip() for line in ours),
                        "\n".join(line.rstrip() for line in r_block))  # fmt: skip
    assert sum(line.startswith("            (Intr)") for line in ours) == 1
