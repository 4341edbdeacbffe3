"""hlmtutor.glmer on binary data with (quasi-)complete separation, against lme4 1.1-31.

References: ``tests/reference/glmer_separation.R`` wrote the data it fitted (as read back) and
lme4's numbers under ``tests/reference/glmer_separation/``: ``complete`` (``y ~ z + (1 | g)``,
y = 1 wherever z = 1) and ``level`` (``y ~ x + f + (1 | g)``, y = 1 throughout f's level "c").
On both, lme4 warns that the finite-difference Hessian is not positive definite and falls back
to "var-cov estimated from RX" (``vcov(m)``, ``coef(summary(m))``).

The separated coefficient's estimate has no finite maximum: lme4's Nelder-Mead stops at one
place along the ridge, this engine's optimizer at another, so its estimate and its (huge)
Std. Error are only required to say "unbounded" (a z value near 0, p near 1). Every other
coefficient's estimate and Std. Error must agree with lme4's.
"""

from __future__ import annotations

import dataclasses
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hlmtutor import anova, glmer
from hlmtutor.lmm.glmer_result import rx_covariance

REF = Path(__file__).parent / "reference" / "glmer_separation"
MODELS = {"complete": "y ~ z + (1 | g)", "level": "y ~ x + f + (1 | g)"}
SEPARATED = {"complete": "z", "level": "fc"}
EST_RTOL = 1e-4  # the bounded coefficients' estimates (lme4's stopping tolerance)
SE_RTOL = 1e-4  # and their Std. Errors, both from R_X at the optimum's weights
FALLBACK = "falling back to the covariance from the PIRLS factor"


@cache
def _fit(name: str):
    """glmer(<formula>, data, family = binomial) as glmer_separation.R fits it, with every
    warning the fit and its vcov raise."""
    data = pd.read_csv(REF / f"{name}.csv")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = glmer(MODELS[name], data, family="binomial")
        fit.vcov  # noqa: B018 (the fallback and separation warnings are raised here)
    return fit, tuple(str(w.message) for w in caught)


def _lme4(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"{name}_fixef.csv").set_index("term")


@pytest.mark.parametrize("name", list(MODELS))
def test_bounded_coefficients_match_lme4(name):
    """coef(summary(glmer(...))): estimates and Std. Errors of the coefficients that are not
    separated agree with lme4's RX fallback."""
    fit, _ = _fit(name)
    ref = _lme4(name).drop(index=SEPARATED[name])
    ours = fit.fixef.loc[ref.index]
    np.testing.assert_allclose(ours["Estimate"], ref["Estimate"], rtol=EST_RTOL)
    np.testing.assert_allclose(ours["Std. Error"], ref["Std. Error"], rtol=SE_RTOL)
    np.testing.assert_allclose(ours["z value"], ref["z value"], rtol=2 * SE_RTOL)


@pytest.mark.parametrize("name", list(MODELS))
def test_separated_coefficient_is_reported_unbounded(name):
    """lme4 prints z value 0.00 and Pr(>|z|) 1.000 for the separated coefficient."""
    fit, _ = _fit(name)
    term = SEPARATED[name]
    ref = _lme4(name).loc[term]
    row = fit.fixef.loc[term]
    assert ref["Std. Error"] > 1e3 and row["Std. Error"] > 1e3
    assert abs(row["z value"]) < 1e-2 and row["Pr(>|z|)"] > 0.99
    # the fit is never worse than lme4's
    theta = pd.read_csv(REF / f"{name}_theta.csv")
    assert fit.loglik >= float(theta["logLik"].iloc[0]) - 1e-6


@pytest.mark.parametrize("name", list(MODELS))
def test_warnings_fall_back_and_name_the_coefficient(name):
    """lme4 warns "falling back to var-cov estimated from RX"; here that warning, and one that
    names the separated coefficient and what to do about it."""
    _, messages = _fit(name)
    lme4_messages = (REF / f"{name}_messages.txt").read_text(encoding="utf-8")
    assert "falling back to var-cov estimated from RX" in lme4_messages
    assert any(FALLBACK in m for m in messages)
    named = [m for m in messages if f"'{SEPARATED[name]}'" in m]
    assert len(named) == 1
    assert "separation" in named[0] and "Bayesian" in named[0] and "merging" in named[0]
    others = [t for t in _lme4(name).index if t != SEPARATED[name]]
    assert not any(f"'{t}'" in named[0] for t in others)


@pytest.mark.parametrize("name", list(MODELS))
def test_whole_result_contract_works(name):
    """summary(), confint(method = "Wald"), predict, ranef, fixef and anova on the fit."""
    fit, _ = _fit(name)
    term = SEPARATED[name]
    text = str(fit.summary())
    line = next(row for row in text.splitlines() if row.startswith(term + " "))
    z_value, p_value = (float(v) for v in line.split()[-2:])
    assert abs(z_value) < 1e-2 and p_value > 0.99
    ci = fit.confint(method="Wald")
    assert ci.loc[term, "2.5 %"] < -1e3 and ci.loc[term, "97.5 %"] > 1e3
    assert np.all(np.isfinite(fit.predict(type="response")))
    assert all(np.all(np.isfinite(r.to_numpy())) for r in fit.ranef.values())
    assert np.all(np.isfinite(fit.corr_fixef.to_numpy()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "complete" is a boundary fit in R and here
        reduced = glmer("y ~ 1 + (1 | g)", pd.read_csv(REF / f"{name}.csv"), family="binomial")
    table = anova(reduced, fit)
    assert table["Pr(>Chisq)"].iloc[-1] < 0.05


def test_rx_covariance_is_the_schur_complement_on_ordinary_data():
    """Without separation the QR route gives (X'WX - X'WZL (L'Z'WZL + I)^-1 L'Z'WX)^-1, formed
    here densely from the same weights (lme4's vcov(m, use.hessian = FALSE) definition)."""
    data = pd.read_csv(REF / "level.csv").assign(f=lambda d: d["f"].replace("c", "a"))
    fit = glmer("y ~ x + f + (1 | g)", data, family="binomial")
    dev, theta, eta = fit.deviance_function, np.asarray(fit.theta), fit._state.eta
    mu = dev.family.linkinv(eta)
    w = dev.prior_weights * dev.family.mu_eta(eta) ** 2 / dev.family.variance(mu)
    term = dev.reterms.terms[0]
    zl = term.z.toarray() * theta[0]
    xw = dev.x.T * w
    m = zl.T @ (w[:, None] * zl) + np.eye(zl.shape[1])
    schur = xw @ dev.x - (xw @ zl) @ np.linalg.solve(m, zl.T @ xw.T)
    stable = rx_covariance(dev, theta, eta)
    np.testing.assert_allclose(stable, np.linalg.inv(schur), rtol=1e-9)


def test_rx_covariance_gives_infinite_variance_to_a_column_with_no_information():
    """A column whose weighted entries are all zero: infinite variance, NaN covariances, the
    other coefficients' block as without it."""
    fit, _ = _fit("level")
    dev = fit.deviance_function
    theta, eta = np.asarray(fit.theta), fit._state.eta
    base = rx_covariance(dev, theta, eta)
    widened = dataclasses.replace(dev, x=np.column_stack([dev.x, np.zeros(len(eta))]))
    out = rx_covariance(widened, theta, eta)
    p = base.shape[0]
    assert out[p, p] == np.inf
    assert np.all(np.isnan(out[p, :p])) and np.all(np.isnan(out[:p, p]))
    np.testing.assert_allclose(out[:p, :p], base, rtol=1e-12)


def test_infinite_std_error_prints_and_intervals_are_unbounded():
    """With an infinite variance (the rx_covariance result for no information) fixef gives z 0
    and p 1, the Wald interval is the whole line, and the summary prints."""
    fit, _ = _fit("complete")
    data = pd.read_csv(REF / "complete.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        copy = glmer(MODELS["complete"], data, family="binomial")
    v = fit.vcov.to_numpy().copy()
    v[1, 1], v[0, 1], v[1, 0] = np.inf, np.nan, np.nan
    copy.__dict__["vcov"] = pd.DataFrame(v, index=fit.vcov.index, columns=fit.vcov.columns)
    row = copy.fixef.loc["z"]
    assert row["Std. Error"] == np.inf and row["z value"] == 0 and row["Pr(>|z|)"] == 1
    ci = copy.confint(method="Wald")
    assert ci.loc["z", "2.5 %"] == -np.inf and ci.loc["z", "97.5 %"] == np.inf
    assert "Inf" in str(copy.summary())


def test_rare_level_with_ordinary_outcomes_is_not_called_separated():
    """A level with four rows and both outcomes is rare, not separated: no fallback, no
    warning, the Hessian's Std. Errors (lme4's use.hessian = TRUE)."""
    data = pd.read_csv(REF / "level.csv").assign(f=lambda d: d["f"].replace("c", "a"))
    rare = data.index[data["f"] == "b"][:4]
    data["f"] = data["f"].replace("b", "a")
    data.loc[rare, "f"] = "b"
    data.loc[rare, "y"] = [0, 1, 0, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = glmer("y ~ x + f + (1 | g)", data, family="binomial")
        se = fit.fixef["Std. Error"]
    assert fit._flat_coefficients() == []
    np.testing.assert_allclose(fit.vcov.to_numpy(), fit._hessian_vcov())
    assert 0.5 < se["fb"] < 10
