"""The same printed output on every CPU: multi-factor fits run in subprocesses under three
OpenBLAS kernels (``OPENBLAS_CORETYPE``) print byte-identical summaries and warnings.

OpenBLAS picks a kernel per CPU, and the kernels round differently in the last bits. The
optimizer's path must not turn on those bits: where the optimum is well determined the fit ends
with Newton steps (``optimize._newton_polish``), so BOBYQA's kernel-dependent stopping point does
not reach the printed digits. The kernels are the ones ``make test-kernels`` runs; the test also
checks (threadpoolctl) that each loads its own code, as ``Zen`` does not here (it loads Haswell's).

One-factor models are here too (``cake``, sleepstudy by REML and ML, with two terms on one
factor, with prior weights): lmerTest prints their df with nine significant digits
(``254.015758``), and those digits no longer carry finite-difference noise, since the Hessian
and Jacobian behind Satterthwaite's df are exact (``hlmtutor.lmm.varpar_derivatives``); with
lmerTest's numerical derivatives cake's df read 254.015757 to 254.015760 and 221.999997 to
222.000003 across the three kernels. Each fit's ``anova()`` table is compared too, printed with
seven significant digits (R's ``digits`` option).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KERNELS = ("Prescott", "Haswell", "SkylakeX")

SCRIPT = r"""
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import threadpoolctl

import hlmtutor as hlm

ref = Path("tests/reference/engine")
arch = [i.get("architecture") for i in threadpoolctl.threadpool_info()
        if i.get("internal_api") == "openblas"]
print("architecture:", arch)
models = [
    ("three.csv", "y ~ x + w + (1 + x | school) + (1 | school:class)"),
    ("three.csv", "y ~ x + w + v + (1 | school/class)"),
    ("crossed.csv", "score ~ x + (1 | student) + (1 | rater)"),
    ("Penicillin.csv", "diameter ~ 1 + (1 | plate) + (1 | sample)"),
    ("Pastes.csv", "strength ~ 1 + (1 | batch/cask)"),
    ("cake.csv", "angle ~ recipe * temp + (1 | recipe:replicate)"),
    ("sleepstudy.csv", "Reaction ~ Days + (Days | Subject)"),
    ("sleepstudy.csv", "Reaction ~ Days + (Days || Subject)"),
    ("sleepstudy.csv", "Reaction ~ Days + I(Days^2) + (1 | Subject)"),
]
one_factor_ml = [("sleepstudy.csv", "Reaction ~ Days + (Days | Subject)")]
weighted = pd.read_csv("tests/reference/glmer/sleepstudy.csv")
rng = np.random.default_rng(11)
n = 600
d = pd.DataFrame({"s": rng.integers(0, 30, n), "r": rng.integers(0, 12, n),
                  "x": rng.normal(size=n), "z": rng.normal(size=n),
                  "g": rng.choice(list("abc"), n)})
d["y"] = (1 + 0.5 * d.x + rng.normal(size=30)[d.s] + 0.4 * rng.normal(size=12)[d.r]
          + 0.3 * rng.normal(size=30)[d.s] * d.x + rng.normal(size=n))
d["s"] = "s" + d.s.astype(str)
d["r"] = "r" + d.r.astype(str)
simulated = [
    "y ~ x + z + g + (1 + x | s) + (1 | r)",
    "y ~ x * g + (1 + x | s) + (1 + x | r)",
    "y ~ x + (1 | s) + (1 | r) + (1 | s:g)",
]
fits = [(f, pd.read_csv(ref / file), {}) for file, f in models]
fits += [(f, pd.read_csv(ref / file), {"REML": False}) for file, f in one_factor_ml]
fits += [("Reaction ~ Days + (Days | Subject)", weighted, {"weights": weighted.w.to_numpy()})]
fits += [(f, d, {}) for f in simulated]
for formula, data, kwargs in fits:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = hlm.lmer(formula, data, **kwargs)
    print("==", formula)
    print(m.summary())
    print(hlm.anova(m).to_string(float_format="{:.7g}".format))
    print("warnings:", [str(w.message) for w in caught])
"""


def _run(kernel: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENBLAS_CORETYPE": kernel, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=900, check=False,
    )  # fmt: skip


def test_make_test_kernels_runs_these_kernels():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^KERNELS := (.*)$", text, re.M).group(1).split() == list(KERNELS)


@pytest.mark.skipif(
    "OPENBLAS_CORETYPE" in os.environ,
    reason="sets OPENBLAS_CORETYPE itself; run once, not once per kernel of make test-kernels",
)
def test_multi_factor_summaries_are_identical_under_three_kernels():
    """summary(), anova() and the warnings of 14 fits (lmer(...) of tests/reference/engine.R's
    three-level, crossed, Penicillin, Pastes, cake and sleepstudy models, sleepstudy by ML and
    with tests/reference/glmer.R's weights, and 3 simulated crossed models, one of them
    singular), byte for byte under Prescott, Haswell and SkylakeX."""
    outputs = {}
    for kernel in KERNELS:
        done = _run(kernel)
        assert done.returncode == 0, done.stderr[-2000:]
        outputs[kernel] = done.stdout
    architectures = {out.splitlines()[0] for out in outputs.values()}
    assert len(architectures) == len(KERNELS), architectures  # three distinct kernels loaded
    bodies = {k: out.split("\n", 1)[1] for k, out in outputs.items()}
    assert bodies["Prescott"].count("== ") == 14
    assert bodies["Prescott"] == bodies["Haswell"] == bodies["SkylakeX"]
