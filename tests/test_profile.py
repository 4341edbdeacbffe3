"""Profile confidence intervals (``confint(method="profile")``) on singular and near-singular
fits, checked against a brute-force profile written here.

The brute force minimises the ML deviance over the other parameters, at a fixed value of one
parameter (lme4's .sig/.sigma scale: SDs, correlations, the residual SD), with scipy's L-BFGS-B
and Nelder-Mead from the optimum and from several seeded random starts, and converts SDs and
correlations to theta with its own Cholesky factor. An endpoint L is right when the brute-force
profile is at the chi-square cut-off at L, above it just beyond L (or L is the parameter's bound),
and below it at points between the estimate and L (so no earlier crossing was skipped).

The data: lme4's sleepstudy at three waves (Days 0, 4, 9: ``Reaction ~ Days + (Days | Subject)``,
whose ML fit is singular, a correlation of +1), and nlme's Machines with a random slope per
machine (``score ~ Machine + (Machine | Worker)``: three SDs and three correlations). lme4's own
intervals (``confint(m, method = "profile")``, written by ``tests/reference/profile.R`` for the
record) are too narrow on the first: its .sig01 upper limit 31.16 lies 0.77 below the cut-off.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from hlmtutor import lmer
from hlmtutor.lmm import inference

REF = Path(__file__).parent / "reference"
CUTOFF = stats.chi2.ppf(0.95, 1)
AT_CUTOFF = 2e-3  # deviance units: the brute force and the engine's minimiser agree to this


@cache
def sleep_3waves():
    data = pd.read_csv(REF / "engine" / "sleepstudy.csv")
    data = data[data["Days"].isin([0, 4, 9])].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lmer("Reaction ~ Days + (Days | Subject)", data)


@cache
def machines_slope():
    data = pd.read_csv(REF / "profile" / "Machines.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lmer("score ~ Machine + (Machine | Worker)", data)


@cache
def intervals(name: str) -> pd.DataFrame:
    return {"sleep_3waves": sleep_3waves, "machines_slope": machines_slope}[name]().confint(
        method="profile"
    )


def _psd_factor(cov: np.ndarray) -> np.ndarray | None:
    """Lower-triangular T with T T' = cov for a positive semi-definite cov; None if it is not."""
    q = len(cov)
    t = np.zeros((q, q))
    for j in range(q):
        d = cov[j, j] - t[j, :j] @ t[j, :j]
        if d < -1e-10 * max(1.0, cov[j, j]):
            return None
        t[j, j] = np.sqrt(max(d, 0.0))
        for i in range(j + 1, q):
            r = cov[i, j] - t[i, :j] @ t[j, :j]
            if t[j, j] > 0:
                t[i, j] = r / t[j, j]
            elif abs(r) > 1e-8 * np.sqrt(cov[i, i] * cov[j, j]):
                return None
    return t


class BruteProfile:
    """The ML deviance of (SDs and correlations of one q x q term, sigma), profiled by force."""

    def __init__(self, fit, seed: int = 1):
        self.ml = fit.refit_ml()
        (term,) = self.ml.reterms.terms
        self.q = term.q
        rows, cols = np.tril_indices(self.q)
        order = np.lexsort((rows, cols))  # lme4's order: by column
        self.rows, self.cols = rows[order], cols[order]
        diag = self.rows == self.cols
        self.lower = np.r_[np.where(diag, 0.0, -1.0), 1e-8]
        self.upper = np.r_[np.where(diag, np.inf, 1.0), np.inf]
        t = term.factor(self.ml.optimum.theta)
        cov = self.ml.sigma**2 * (t @ t.T)
        sd = np.sqrt(np.diag(cov))
        self.hat = np.r_[
            [
                sd[r] if r == c else cov[r, c] / (sd[r] * sd[c])
                for r, c in zip(self.rows, self.cols, strict=True)
            ],
            self.ml.sigma,
        ]
        self.minimum = self.deviance(self.hat)
        self.rng = np.random.default_rng(seed)

    def deviance(self, psi: np.ndarray) -> float:
        sigma = psi[-1]
        sd = np.zeros(self.q)
        cor = np.eye(self.q)
        for v, r, c in zip(psi[:-1], self.rows, self.cols, strict=True):
            if r == c:
                sd[r] = v
            else:
                cor[r, c] = cor[c, r] = v
        t = _psd_factor(np.outer(sd, sd) * cor / sigma**2)
        if t is None or sigma <= 0:
            return np.inf
        theta = t[self.rows, self.cols]
        try:
            return self.ml.deviance_function.varpar_deviance(np.r_[theta, sigma], reml=False)
        except np.linalg.LinAlgError:  # a point no minimiser should stop at
            return np.inf

    def excess(self, j: int, value: float, n_random: int = 5) -> float:
        """min over the others of the deviance at psi_j = value, less the minimum and cut-off."""
        free = np.array([i for i in range(len(self.hat)) if i != j])
        lower, upper = self.lower[free], self.upper[free]

        def at(x):
            psi = self.hat.copy()
            psi[free] = x
            psi[j] = value
            value_ = self.deviance(psi)
            return value_ if np.isfinite(value_) else 1e10

        # the optimum, and the optimum with the other correlations 0 (a valid correlation matrix
        # whatever the fixed value, where the optimum's may not be one)
        starts = [
            np.clip(self.hat[free], lower, upper),
            np.where(lower == -1.0, 0.0, self.hat[free]),
        ]
        for _ in range(n_random):
            starts.append(
                np.where(
                    lower == -1.0,
                    self.rng.uniform(-0.6, 0.6, len(free)),
                    self.hat[free] * np.exp(self.rng.normal(0, 1, len(free))) + 0.1,
                )
            )
        bounds = list(zip(lower, np.where(np.isfinite(upper), upper, None), strict=True))
        best = np.inf
        for start in starts:
            first = optimize.minimize(at, start, method="L-BFGS-B", bounds=bounds)
            second = optimize.minimize(
                at, first.x, method="Nelder-Mead", bounds=bounds,
                options={"xatol": 1e-8, "fatol": 1e-10, "maxfev": 3000},
            )  # fmt: skip
            best = min(best, first.fun, second.fun)
        return best - self.minimum - CUTOFF


@cache
def brute(name: str) -> BruteProfile:
    return BruteProfile({"sleep_3waves": sleep_3waves, "machines_slope": machines_slope}[name]())


def _check_endpoint(name: str, j: int, side: int, n_inside: int = 3) -> None:
    table = intervals(name)
    b = brute(name)
    limit = float(table.iloc[j, side])
    estimate = b.hat[j]
    bound = b.lower[j] if side == 0 else b.upper[j]
    assert np.isfinite(limit)
    if limit == bound:  # the profile reaches the parameter's bound below the cut-off
        assert b.excess(j, limit) <= AT_CUTOFF
    else:
        assert abs(b.excess(j, limit)) < AT_CUTOFF
        beyond = limit + 0.02 * (limit - estimate)
        if b.lower[j] <= beyond <= b.upper[j]:
            assert b.excess(j, beyond) > 0
    for frac in np.linspace(0, 1, n_inside + 2)[1:-1]:
        assert b.excess(j, estimate + frac * (limit - estimate)) < 0


SLEEP_PARAMS = [".sig01", ".sig02", ".sig03", ".sigma"]


@pytest.mark.parametrize("side", [0, 1], ids=["lower", "upper"])
@pytest.mark.parametrize("j", range(4), ids=SLEEP_PARAMS)
def test_singular_growth_model_profile_limits_are_where_the_brute_force_profile_crosses(j, side):
    """confint(m, method = "profile") on sleepstudy at Days 0, 4, 9 (ML fit singular: the
    correlation at +1): each limit is the first crossing of the cut-off, or the bound."""
    _check_endpoint("sleep_3waves", j, side)


def test_singular_growth_model_limits_lme4_got_too_narrow():
    """lme4's .sig01 upper limit (31.16) and .sigma lower limit (21.43) lie inside the brute-force
    region below the cut-off; the engine's limits lie beyond them."""
    ref = pd.read_csv(REF / "profile" / "lme4_confint.csv")
    ref = ref[ref["model"] == "sleep_3waves"].set_index("parameter")
    table = intervals("sleep_3waves")
    b = brute("sleep_3waves")
    assert b.excess(0, ref.loc[".sig01", "upper"]) < -0.1
    assert table.loc[".sig01"].iloc[1] > ref.loc[".sig01", "upper"] + 1
    assert b.excess(3, ref.loc[".sigma", "lower"]) < -0.1
    assert table.loc[".sigma"].iloc[0] < ref.loc[".sigma", "lower"] - 0.5


MACHINE_PARAMS = [".sig01", ".sig02", ".sig03", ".sig04", ".sig05", ".sig06", ".sigma"]


@pytest.mark.slow
@pytest.mark.parametrize("side", [0, 1], ids=["lower", "upper"])
@pytest.mark.parametrize("j", [1, 2, 4, 6], ids=[MACHINE_PARAMS[j] for j in (1, 2, 4, 6)])
def test_machines_correlation_and_residual_limits_match_the_brute_force(j, side):
    """confint(lmer(score ~ Machine + (Machine | Worker), Machines), method = "profile"): the
    correlations' limits (lme4's profile of .sig03 is non-monotone: it reports -1) and sigma's."""
    _check_endpoint("machines_slope", j, side, n_inside=2)


def test_a_profile_that_never_crosses_is_unbounded_with_a_warning_naming_it():
    with pytest.warns(UserWarning, match=r"profile of \.sig07 .* unbounded, reported as inf"):
        limit = inference._one_root(lambda v: -1.0, 1.0, 0.5, np.inf, ".sig07")
    assert limit == np.inf


def test_a_profile_that_dips_is_followed_to_its_first_crossing():
    """A profile below the cut-off, above it between 2.2 and 3, below again, then rising: the
    walk outward (steps 0.5, 0.75, 1.125, ...) lands in the bump and bisects to its start; steps
    that double (0.5, 1, 2) would jump it and report the later crossing at 10."""

    def excess(v):
        return 1.0 if 2.2 < v < 3.0 else (v - 10.0) / 10.0

    assert inference._one_root(excess, 0.0, 0.5, np.inf, "x") == pytest.approx(2.2, abs=1e-8)


def test_a_profile_below_the_cutoff_at_a_finite_bound_ends_there():
    assert inference._one_root(lambda v: -1.0, 0.2, 0.1, 1.0, ".sig02") == 1.0
