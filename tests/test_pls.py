"""The predictor side (``hlmtutor.lmm.pls``, lme4's merPredD) on its own: a weighted penalised
least-squares system with an arbitrary right-hand side, checked against the dense normal
equations written here (Bates et al. 2015, section 3):

    [Lambda'Z'WZ Lambda + I, Lambda'Z'WX; X'WZ Lambda, X'WX] [u; b] = [Lambda'Z'W r; X'W r]

No likelihood enters: the right-hand side and the weights are any numbers, as PIRLS's working
response and weights are.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.linalg import block_diag
from test_deviance import CASES, _nested

from hlmtutor import lmer
from hlmtutor.lmm.pls import make_pls


def _terms_of(formula, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = lmer(formula, data)
    return fit.reterms, np.asarray(fit.frame.X, dtype=float), fit.optimum.theta


def _dense(reterms, x, rhs, weights, theta):
    """The dense system's solution, pwrss, log|L|^2 and inverse."""
    lams = [np.kron(np.eye(t.nlev), t.factor(theta)) for t in reterms.terms]
    zl = np.hstack([t.z.toarray() @ lam for t, lam in zip(reterms.terms, lams, strict=True)])
    q = zl.shape[1]
    a = np.hstack([zl, x])
    m = a.T @ (weights[:, None] * a)
    m[np.arange(q), np.arange(q)] += 1.0
    sol = np.linalg.solve(m, a.T @ (weights * rhs))
    resid = rhs - a @ sol
    u = sol[:q]
    pwrss = float(resid @ (weights * resid) + u @ u)
    ldl2 = float(np.linalg.slogdet(m[:q, :q])[1])
    inv_m = np.linalg.inv(m)
    lam = block_diag(*lams)
    cond = lam @ np.linalg.inv(m[:q, :q]) @ lam.T
    return u, sol[q:], pwrss, ldl2, inv_m[q:, q:], lam @ u, cond


@pytest.mark.parametrize("name", list(CASES))
def test_weighted_solution_matches_the_dense_system(name):
    formula, data, _ = CASES[name]
    reterms, x, theta = _terms_of(formula, data)
    rng = np.random.default_rng(20261206)  # not a seed the data sets use
    rhs = 50.0 + rng.normal(size=len(x)) * 3.0  # a large mean: the centring must map back
    weights = rng.uniform(0.2, 3.0, len(x))
    theta = theta + 0.1 * np.where(reterms.lower == 0, 1.0, 0.0)
    system = make_pls(rhs, x, reterms, weights)
    sol = system.solve(theta)
    u, beta, pwrss, ldl2, vcov, b, cond = _dense(reterms, x, rhs, weights, theta)
    assert np.abs(u).max() > 1e-2  # the right-hand side is not in X's span
    got_u = np.concatenate([v.ravel() for v in system.spherical_modes(sol)])
    got_b = np.concatenate([v.ravel() for v in system.modes(sol)])
    np.testing.assert_allclose(got_u, u, rtol=1e-8, atol=1e-9 * np.abs(u).max())
    np.testing.assert_allclose(got_b, b, rtol=1e-8, atol=1e-9 * np.abs(b).max())
    np.testing.assert_allclose(system.beta(sol), beta, rtol=1e-9)
    assert system.pwrss(sol) == pytest.approx(pwrss, rel=1e-9)
    assert sol.ldl2 == pytest.approx(ldl2, rel=1e-10)
    np.testing.assert_allclose(system.unscaled_vcov(sol), vcov, rtol=1e-8)
    start = 0
    for term, blocks in zip(reterms.terms, system.conditional_variances(sol), strict=True):
        for j in range(term.nlev):
            at = start + j * term.q
            want = cond[at : at + term.q, at : at + term.q]
            np.testing.assert_allclose(blocks[j], want, rtol=1e-8, atol=1e-12)
        start += term.nlev * term.q


@pytest.mark.parametrize(
    "formula", ["y ~ x + (1 | outer)", "y ~ x + (1 + x | outer)", "y ~ x + (0 + x | outer)"]
)
def test_fast_pieces_are_the_full_solutions(formula):
    """One term with q <= 2: the element-by-element pieces equal the full factorisation's."""
    reterms, x, theta = _terms_of(formula, _nested(5, 15, 4, 6))
    rng = np.random.default_rng(20261207)
    system = make_pls(rng.normal(size=len(x)), x, reterms, rng.uniform(0.5, 2.0, len(x)))
    assert system.fast is not None
    for shift in (0.0, 0.3, 1.1):
        at = theta + shift
        pieces, sol = system.pieces(at), system.solve(at)
        assert pieces.ldl2 == pytest.approx(sol.ldl2, rel=1e-12)
        assert pieces.pwrss == pytest.approx(sol.pwrss, rel=1e-10)
        np.testing.assert_allclose(np.abs(pieces.rx), np.abs(sol.rx), rtol=1e-10)


def test_a_system_without_fixed_effects_solves_for_the_modes_alone():
    """p = 0, as PIRLS solves for u with beta held fixed."""
    formula, data, _ = CASES["crossed scalar"]
    reterms, x, theta = _terms_of(formula, data)
    rng = np.random.default_rng(20261208)
    rhs, weights = rng.normal(size=len(x)), rng.uniform(0.5, 2.0, len(x))
    system = make_pls(rhs, x[:, :0], reterms, weights)
    sol = system.solve(theta)
    u, _, pwrss, _, _, _, _ = _dense(reterms, x[:, :0], rhs, weights, theta)
    assert system.p == 0 and system.beta(sol).shape == (0,)
    got = np.concatenate([v.ravel() for v in system.spherical_modes(sol)])
    np.testing.assert_allclose(got, u, rtol=1e-8, atol=1e-10)
    assert system.pwrss(sol) == pytest.approx(pwrss, rel=1e-9)
