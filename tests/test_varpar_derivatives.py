"""The exact derivatives behind Satterthwaite's df against numerical ones.

:func:`hlmtutor.lmm.varpar_derivatives.varpar_derivatives` gives the Hessian of the deviance in
(theta, sigma) and the Jacobian of vcov(beta) in closed form; lmerTest takes both by
Richardson-extrapolated finite differences (``hlmtutor._satterthwaite.hessian`` /
``jacobian``, lmerTest's settings). The two must agree to the accuracy of the differences
(about 1e-8 relative; asserted at 1e-6) on every path: one random term with one and with two
columns, several terms (dense S; nested, crossed, slopes in two terms, no fixed effects), ML and
REML, prior weights, and a singular fit (where lmerTest differentiates the deviance extended to
negative theta, as the closed form does). The R comparisons of the df themselves are in the engine, toolbox and weights reference tests.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hlmtutor as hlm
from hlmtutor import _satterthwaite as sat
from hlmtutor.lmm import varpar_derivatives as vd

ENGINE = Path(__file__).parent / "reference" / "engine"
GLMER = Path(__file__).parent / "reference" / "glmer"
RTOL = 1e-6


def _simulated() -> pd.DataFrame:
    """Crossed g (20 levels) and h (8): random intercept and slope of x in g, nothing in h."""
    rng = np.random.default_rng(3)
    n = 200
    d = pd.DataFrame({"g": rng.integers(0, 20, n), "h": rng.integers(0, 8, n)})
    d["x"] = rng.normal(size=n)
    d["y"] = 1 + 0.5 * d.x + rng.normal(size=20)[d.g] + rng.normal(size=n)  # no h effect
    d["y2"] = d.y + 0.6 * rng.normal(size=20)[d.g] * d.x + 0.8 * rng.normal(size=8)[d.h]
    d["g"] = "g" + d.g.astype(str)
    d["h"] = "h" + d.h.astype(str)
    return d


CASES = {
    "one term, q = 1": (ENGINE / "cake.csv", "angle ~ recipe * temp + (1 | recipe:replicate)", {}),
    "one term, q = 2": (ENGINE / "sleepstudy.csv", "Reaction ~ Days + (Days | Subject)", {}),
    "weights": (GLMER / "sleepstudy.csv", "Reaction ~ Days + (Days | Subject)", {"weights": "w"}),
    "crossed, weights": (
        GLMER / "Penicillin.csv",
        "diameter ~ 1 + (1 | plate) + (1 | sample)",
        {"weights": "reps"},
    ),
    "nested with slope": (ENGINE / "three.csv", "y ~ x + w + (1 + x | school) + (1 | school:class)", {}),
    "singular": (None, "y ~ x + (1 | g) + (1 | h)", {}),
    "slopes in two crossed terms": (None, "y2 ~ x + (1 + x | g) + (1 + x | h)", {}),
    "no fixed effects, crossed": (None, "y2 ~ 0 + (1 | g) + (1 | h)", {}),
}  # fmt: skip


def _fit(case: str, reml: bool):
    path, formula, kwargs = CASES[case]
    data = _simulated() if path is None else pd.read_csv(path)
    if "weights" in kwargs:
        kwargs = {"weights": data[kwargs["weights"]].to_numpy(dtype=float)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hlm.lmer(formula, data, REML=reml, **kwargs)


@pytest.mark.parametrize("reml", [True, False], ids=["REML", "ML"])
@pytest.mark.parametrize("case", list(CASES))
def test_exact_derivatives_match_lmertests_numerical_ones(case, reml):
    m = _fit(case, reml)
    dev = m.deviance_function
    assert vd.exact_available(dev)
    if case == "singular":
        assert m.is_singular and np.min(m.optimum.theta) == 0.0
    varpar = np.r_[m.optimum.theta, m.sigma]
    hess, jac = vd.varpar_derivatives(dev, m.optimum.theta, m.sigma)
    numerical_hess = sat.hessian(dev.varpar_deviance, varpar)
    numerical_jac = sat.jacobian(dev.vcov_beta, varpar).reshape(dev.p, dev.p, -1) if dev.p else jac
    atol = np.full(hess.shape, RTOL * np.abs(hess).max())
    # At theta_k = 0 the differences take the absolute step EPS (not 0.1 |theta_k|), so their
    # rounding error, eps |D| / (smallest step)^2, is larger there (about 1e-5 relative; the
    # df do not feel it: vcov(beta) is even in theta_k, its derivative there is 0).
    at_zero = np.r_[m.optimum.theta == 0.0, False]
    smallest = sat.EPS / 2.0 ** (sat.STEPS - 1)
    rounding = 16 * np.finfo(float).eps * abs(dev.varpar_deviance(varpar)) / smallest**2
    near_zero = at_zero[:, None] | at_zero[None, :]
    atol = np.where(near_zero, np.maximum(atol, rounding), atol)
    assert np.all(np.abs(hess - numerical_hess) <= atol), (hess, numerical_hess)
    if dev.p:
        np.testing.assert_allclose(jac, numerical_jac, rtol=0, atol=RTOL * np.abs(jac).max())


def test_ml_and_reml_hessians_differ_where_they_should():
    """The REML Hessian is not the ML one (log|X'V^-1X| and n - p enter): a check that the
    REML terms are used at all."""
    m = _fit("one term, q = 2", True)
    dev = m.deviance_function
    reml, _ = vd.varpar_derivatives(dev, m.optimum.theta, m.sigma, reml=True)
    ml, _ = vd.varpar_derivatives(dev, m.optimum.theta, m.sigma, reml=False)
    assert np.abs(reml - ml).max() > 1e-3 * np.abs(reml).max()


def test_summary_uses_exact_derivatives_below_the_size_limit(monkeypatch):
    """Above MAX_DENSE_Q random effects (several terms) the numerical derivatives are used;
    below it the exact ones; both give lmerTest's df to the numerical noise."""
    m = _fit("crossed, weights", True)
    exact = m.fixef["df"].to_numpy()
    monkeypatch.setattr(vd, "MAX_DENSE_Q", 0)
    m2 = _fit("crossed, weights", True)
    assert not vd.exact_available(m2.deviance_function)
    numerical = m2.fixef["df"].to_numpy()
    np.testing.assert_allclose(exact, numerical, rtol=1e-7)
