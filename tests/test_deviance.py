"""The deviance function's ways of factoring S against one dense computation written here.

``hlmtutor.lmm.pls`` (the predictor side under ``hlmtutor.lmm.deviance``) factors the Schur
complement S of the terms after the first in three ways: block by block when S falls apart into
small independent blocks (terms nested in an outer factor), through a fixed linear map when every term is scalar (crossed intercepts), and as one
dense factor otherwise. Each is checked against lme4's criterion computed the plain way from the
dense system ``[Z Lambda, X, y]'[Z Lambda, X, y] + diag(I_q, 0)`` (Bates et al. 2015, section
3), at thetas away from the optimum, so that every entry of S matters.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from hlmtutor import lmer
from hlmtutor.lmm import pls as pls_module
from hlmtutor.lmm.deviance import Parts

LOG_2PI = np.log(2 * np.pi)


def _dense_criterion(fit, theta: np.ndarray, reml: bool = True) -> float:
    """lme4's profiled criterion from dense matrices: log|L|^2, R_X and pwrss by one Cholesky."""
    dev = fit.deviance_function
    x = np.asarray(fit.frame.X, dtype=float)
    y = np.asarray(fit.frame.y, dtype=float)
    blocks = [
        term.z.toarray() @ np.kron(np.eye(term.nlev), term.factor(theta))
        for term in dev.reterms.terms
    ]
    zl = np.hstack(blocks)
    q, p, n = zl.shape[1], x.shape[1], len(y)
    a = np.hstack([zl, x, y[:, None]])
    m = a.T @ a
    m[np.arange(q), np.arange(q)] += 1.0
    diag = np.diag(np.linalg.cholesky(m))
    ldl2 = 2 * np.sum(np.log(diag[:q]))
    logdet_rx = 2 * np.sum(np.log(diag[q : q + p]))
    pwrss = diag[-1] ** 2
    dof = n - p if reml else n
    value = ldl2 + dof * (1 + LOG_2PI + np.log(pwrss / dof))
    return float(value + logdet_rx if reml else value)


def _crossed(seed: int, n_a: int, n_b: int, n_c: int, rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a, b, c = (rng.integers(0, k, rows) for k in (n_a, n_b, n_c))
    x = rng.normal(size=rows)
    y = (
        1
        + 0.5 * x
        + rng.normal(0, 1, n_a)[a]
        + rng.normal(0, 0.7, n_b)[b]
        + rng.normal(0, 0.4, n_c)[c]
        + rng.normal(0, 1, rows)
    )
    return pd.DataFrame({"y": y, "x": x, "a": a, "b": b, "c": c})


def _nested(seed: int, n_outer: int, per_outer: int, size: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    inner = np.repeat(np.arange(n_outer * per_outer), size)
    outer = inner // per_outer
    rows = len(inner)
    x = rng.normal(size=rows)
    y = (
        2
        + x
        + rng.normal(0, 1, n_outer)[outer]
        + rng.normal(0, 0.3, n_outer)[outer] * x
        + rng.normal(0, 0.8, n_outer * per_outer)[inner]
        + rng.normal(0, 1, rows)
    )
    return pd.DataFrame({"y": y, "x": x, "outer": outer, "inner": inner % per_outer})


CASES = {
    # all terms scalar and crossed: the fixed linear map
    "crossed scalar": (
        "y ~ x + (1 | a) + (1 | b) + (1 | c)",
        _crossed(1, 60, 25, 4, 400),
        "scalar",
    ),
    # crossed with a slope: the general sparse assembly, one dense factor
    "crossed slope": ("y ~ x + (1 | a) + (1 + x | b)", _crossed(2, 60, 25, 4, 400), "dense"),
    # slopes at two nested levels: S falls apart into one 2 x 2 block per outer level
    "nested slopes": (
        "y ~ x + (1 + x | outer) + (1 | outer:inner)",
        _nested(3, 12, 6, 5),
        "blocks",
    ),
    # blocks of two sizes: a scalar and a two-column term on the outer factor
    "nested mixed": (
        "y ~ x + (1 | outer) + (0 + x | outer) + (1 | outer:inner)",
        _nested(4, 12, 6, 5),
        "blocks",
    ),
}


def _fit(formula: str, data: pd.DataFrame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lmer(formula, data)


@pytest.mark.parametrize("name", list(CASES))
def test_criterion_matches_the_dense_system(name):
    formula, data, path = CASES[name]
    fit = _fit(formula, data)
    dev = fit.deviance_function
    rest = dev.rest
    assert {"scalar": rest.scalar, "blocks": rest.components, "dense": True}[path] is not None
    if path == "dense":
        assert rest.scalar is None and rest.components is None
    rng = np.random.default_rng(7)
    lower = dev.lower
    for _ in range(3):
        theta = np.array(fit.optimum.theta) + rng.uniform(0.05, 0.4, len(lower))
        theta = np.where(lower == 0, np.abs(theta), theta)
        assert dev(theta) == pytest.approx(_dense_criterion(fit, theta), rel=1e-10, abs=1e-8)


@pytest.mark.parametrize("name", ["crossed scalar", "crossed slope"])
def test_large_schur_path_matches_the_dense_system(name, monkeypatch):
    """S assembled sparse and factored in place by LAPACK (the path of S above SMALL_SCHUR, and
    of scalar terms whose linear map would be too large)."""
    monkeypatch.setattr(pls_module, "SMALL_SCHUR", 0)
    monkeypatch.setattr(pls_module, "MAX_MAP_PER_ENTRY", 0)
    monkeypatch.setattr(pls_module, "MAX_MAP_SMALL", 0)
    formula, data, _ = CASES[name]
    fit = _fit(formula, data)
    dev = fit.deviance_function
    assert dev.rest.scalar is None and dev.rest.components is None
    theta = np.array(fit.optimum.theta) + 0.2
    assert dev(theta) == pytest.approx(_dense_criterion(fit, theta), rel=1e-10, abs=1e-8)
    sol = dev.solve(theta)
    assert sol.ls.lower is not None and not np.any(np.triu(sol.ls.lower, 1))


@pytest.mark.parametrize("name", list(CASES))
def test_modes_solve_the_penalised_system(name):
    """Spherical modes u satisfy (Lambda'Z'Z Lambda + I) u = Lambda'Z'(y - X beta)."""
    formula, data, _ = CASES[name]
    fit = _fit(formula, data)
    dev = fit.deviance_function
    sol = dev.solve(fit.optimum.theta)
    u = np.concatenate([v.ravel() for v in dev.spherical_modes(sol)])
    blocks = [
        term.z.toarray() @ np.kron(np.eye(term.nlev), term.factor(fit.optimum.theta))
        for term in dev.reterms.terms
    ]
    zl = np.hstack(blocks)
    x = np.asarray(fit.frame.X, dtype=float)
    resid = np.asarray(fit.frame.y, dtype=float) - x @ dev.beta(sol)
    lhs = (zl.T @ zl + np.eye(zl.shape[1])) @ u
    np.testing.assert_allclose(lhs, zl.T @ resid, rtol=1e-8, atol=1e-8 * np.abs(lhs).max())


def test_conditional_variances_match_the_dense_inverse():
    """lme4's condVar blocks from Lambda (Lambda'Z'Z Lambda + I)^-1 Lambda', blocked path."""
    formula, data, _ = CASES["nested slopes"]
    fit = _fit(formula, data)
    dev = fit.deviance_function
    theta = fit.optimum.theta
    sol = dev.solve(theta)
    blocks, lams = [], []
    for term in dev.reterms.terms:
        lam = np.kron(np.eye(term.nlev), term.factor(theta))
        lams.append(lam)
        blocks.append(term.z.toarray() @ lam)
    zl = np.hstack(blocks)
    from scipy.linalg import block_diag

    lam = block_diag(*lams)
    full = lam @ np.linalg.inv(zl.T @ zl + np.eye(zl.shape[1])) @ lam.T
    start = 0
    for term, got in zip(dev.reterms.terms, dev.conditional_variances(sol), strict=True):
        for j in range(term.nlev):
            at = start + j * term.q
            want = full[at : at + term.q, at : at + term.q]
            np.testing.assert_allclose(got[j], want, rtol=1e-8, atol=1e-12)
        start += term.nlev * term.q


def test_a_fitted_model_keeps_no_dense_factors_but_the_last():
    """The deviance function keeps the criterion's small pieces by theta and one full solution."""
    formula, data, _ = CASES["crossed scalar"]
    fit = _fit(formula, data)
    fit.fixef  # noqa: B018 - the Satterthwaite table evaluates many thetas
    dev = fit.deviance_function
    assert len(dev.system._last) <= 1
    assert dev._recent and all(isinstance(v, Parts) for v in dev._recent.values())
