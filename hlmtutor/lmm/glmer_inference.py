"""Confidence intervals for GLMM fits (lme4's ``confint.merMod``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import optimize as sopt
from scipy import stats

from ._warn import warn
from .optimize import nlopt_bobyqa
from .terms import ReTerms, _tril_order

if TYPE_CHECKING:  # pragma: no cover
    from .glmer_result import GlmerResult

__all__ = ["confint", "profile_confint", "sdcor_from_theta", "theta_from_sdcor"]


def _label(p: float) -> str:
    return f"{100 * p:.3g} %"


def confint(result: GlmerResult, level: float = 0.95, method: str = "Wald") -> pd.DataFrame:
    """Wald intervals ``estimate -/+ z_(1 - a/2) SE`` for the fixed effects; the rows of the
    random-effect parameters (``.sig01``, ...) are NaN, as in lme4's ``method = "Wald"``.

    Matches R's ``confint(m, method = "Wald", oldNames = TRUE)``.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level!r}.")
    if method == "profile":
        return profile_confint(result, level)
    if method != "Wald":
        raise ValueError(f"method must be 'Wald' or 'profile', not {method!r}.")
    a = (1 - level) / 2
    names = [f".sig{i + 1:02d}" for i in range(result.reterms.n_theta)]
    z = stats.norm.ppf(1 - a)
    est = result.params.to_numpy()
    se = np.sqrt(np.diag(result.vcov.to_numpy()))
    lower = np.r_[np.full(len(names), np.nan), est - z * se]
    upper = np.r_[np.full(len(names), np.nan), est + z * se]
    return pd.DataFrame(
        {_label(a): lower, _label(1 - a): upper}, index=names + list(result.params.index)
    )


def sdcor_from_theta(reterms: ReTerms, theta: np.ndarray) -> np.ndarray:
    """lme4's standard deviations and correlations in theta's layout (sigma = 1 for a GLMM).

    Each term's ``Sigma = T T'`` (T its lower-triangular factor); where theta holds a diagonal
    element of T the result holds ``sqrt(Sigma_ii)``, and where it holds ``T_ij`` (i > j)
    the correlation ``Sigma_ij / (sd_i sd_j)`` (0 where an SD is 0). This is the order of
    lme4's profile parameters ``.sig01``, ``.sig02``, ... (sd, cor, sd for ``(1 + x | g)``).

    Parameters
    ----------
    reterms : ReTerms
        The random-effects terms (theta's layout).
    theta : numpy.ndarray
        Relative covariance factors, lme4's order.

    Returns
    -------
    numpy.ndarray
        SDs and correlations, one per element of theta.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from hlmtutor.lmm.frame import model_frame
    >>> from hlmtutor.lmm.terms import build_terms
    >>> data = pd.DataFrame({"y": [1.0, 2, 3, 4, 5, 6], "x": [0.0, 1, 2, 0, 1, 3],
    ...                      "g": ["a", "a", "a", "b", "b", "b"]})
    >>> terms = build_terms(model_frame("y ~ x + (1 + x | g)", data).random, ["1 + x | g"])
    >>> sdcor = sdcor_from_theta(terms, np.array([3.0, 4.0, 0.0]))
    >>> sdcor.round(6).tolist()  # sd 3, corr 1 (T's second row is (4, 0)), sd 4
    [3.0, 1.0, 4.0]
    >>> theta_from_sdcor(terms, sdcor).round(6).tolist()
    [3.0, 4.0, 0.0]
    """
    theta = np.asarray(theta, dtype=float)
    out = np.empty(reterms.n_theta)
    for term in reterms.terms:
        t = term.factor(theta)
        cov = t @ t.T
        sd = np.sqrt(np.diag(cov))
        rows, cols = _tril_order(term.q)
        denom = sd[rows] * sd[cols]
        with np.errstate(invalid="ignore", divide="ignore"):
            cor = np.where(denom > 0, cov[rows, cols] / np.where(denom > 0, denom, 1.0), 0.0)
        out[term.theta_slice] = np.where(rows == cols, sd[rows], cor)
    return out


def theta_from_sdcor(reterms: ReTerms, sdcor: np.ndarray) -> np.ndarray | None:
    """The inverse of :func:`sdcor_from_theta`: ``T = D C`` with D the SDs and C the Cholesky
    factor of the correlation matrix (diagonal >= 0). None where the correlations of a term do
    not form a positive semidefinite matrix (see :func:`sdcor_from_theta` for an example)."""
    sdcor = np.asarray(sdcor, dtype=float)
    theta = np.empty(reterms.n_theta)
    for term in reterms.terms:
        rows, cols = _tril_order(term.q)
        values = sdcor[term.theta_slice]
        sd = np.empty(term.q)
        corr = np.eye(term.q)
        for r, c, v in zip(rows, cols, values, strict=True):
            if r == c:
                sd[r] = v
            else:
                corr[r, c] = corr[c, r] = v
        chol = _semidefinite_cholesky(corr)
        if chol is None:
            return None
        theta[term.theta_slice] = (sd[:, None] * chol)[rows, cols]
    return theta


def _semidefinite_cholesky(corr: np.ndarray) -> np.ndarray | None:
    """Lower C with C C' = corr and C_jj >= 0, allowing |correlation| = 1 (a zero pivot)."""
    q = corr.shape[0]
    chol = np.zeros((q, q))
    for j in range(q):
        pivot = corr[j, j] - chol[j, :j] @ chol[j, :j]
        if pivot < -1e-10:
            return None
        chol[j, j] = np.sqrt(max(pivot, 0.0))
        for i in range(j + 1, q):
            rest = corr[i, j] - chol[i, :j] @ chol[j, :j]
            if chol[j, j] > 0:
                chol[i, j] = rest / chol[j, j]
            elif abs(rest) > 1e-10:
                return None
    return chol


def _crossing(excess, inner: float, outer: float, name: str) -> float:
    """The root of ``excess`` between the last point below the cut-off and the first above.

    When the walk's first point is already above the cut-off, ``inner`` is the estimate, where
    the profile should be 0; on a fit whose optimum is not the profile's minimum (a separated
    binomial fit, say, whose estimate runs off to 1e6) it is not, and there is no crossing to
    bracket: the limit is NaN and a warning names the parameter.
    """
    try:
        return float(sopt.brentq(excess, min(inner, outer), max(inner, outer), xtol=1e-6))
    except ValueError:  # no sign change: the profile is above the cut-off at the estimate too
        warn(
            f"the profile of {name} is above the cut-off at the estimate itself (the fit is not "
            f"at the profile's minimum; check its convergence warnings): a limit is reported as "
            f"NaN"
        )
        return np.nan


def profile_confint(result: GlmerResult, level: float = 0.95) -> pd.DataFrame:
    """Likelihood-profile intervals: where the deviance, minimised over the other parameters,
    exceeds its minimum by ``qchisq(level, 1)``.

    Rows ``.sig01``, ... then the fixed effects, as R's ``confint(m, method = "profile",
    oldNames = TRUE)``. The random-effect rows are lme4's profile parameters: for each term
    its standard deviations and correlations in theta's layout (``(1 + x | g)`` gives sd of
    the intercept, their correlation, sd of x), see :func:`sdcor_from_theta`; the deviance is
    profiled over (SDs, correlations, beta), SDs >= 0 and correlations in [-1, 1]. The
    limits are the roots of the profiled deviance found by Brent's method (lme4 interpolates
    its profile by splines, so the two agree to about 1e-3). A lower SD limit is 0 where the
    deviance at SD = 0 is within the cutoff; a correlation limit is -1 or 1 where the deviance
    there is within it. A profile still below the cut-off after 30 steps outward, each 1.6 times
    the last (about 1e6 first steps), is unbounded on that side: the limit is -inf or inf and a
    warning names the parameter, as for lmer's profiles. Fits with nAGQ = 0 are not profiled (their deviance does not depend
    on beta as a free parameter; lme4's ``profile`` fails on them too). A fit evaluated at
    given parameters (``optimizer=None``) is profiled around its refitted optimum
    (:func:`hlmtutor.lmm.glmer_fit.refit`), as lmer's are.
    """
    if result.nAGQ == 0:
        raise NotImplementedError(
            "profile intervals need a fit with nAGQ >= 1 (with nAGQ = 0 beta is not a free "
            "parameter of the deviance; lme4's profile() fails on such fits too); refit with "
            "nAGQ=1 or use method='Wald'."
        )
    if result.optimum.optimizer is None:
        # a fit evaluated at given parameters (optimizer=None) is profiled around the optimum,
        # as lmer's are: the profile needs the minimum of the deviance
        from .glmer_fit import refit

        result = refit(result)
    reterms = result.reterms
    dev = result.deviance_function
    k = reterms.n_theta
    optimum = np.asarray(result.optimum.params, dtype=float)
    best = np.r_[sdcor_from_theta(reterms, optimum[:k]), optimum[k:]]
    is_cor = np.r_[reterms.lower == -np.inf, np.zeros(len(best) - k, dtype=bool)]
    is_sd = np.r_[reterms.lower == 0, np.zeros(len(best) - k, dtype=bool)]
    lower = np.where(is_sd, 0.0, np.where(is_cor, -1.0, -np.inf))
    upper = np.where(is_cor, 1.0, np.inf)

    def deviance(point: np.ndarray) -> float:
        theta = theta_from_sdcor(reterms, point[:k])
        return np.inf if theta is None else dev(np.r_[theta, point[k:]])

    base = deviance(best)
    cutoff = stats.chi2.ppf(level, 1)
    se = np.r_[
        np.where(is_cor[:k], 0.1, np.maximum(0.1 * np.abs(best[:k]), 0.05)),
        np.sqrt(np.diag(result.vcov.to_numpy())),
    ]

    def profiled(j: int, value: float, start: np.ndarray) -> tuple[float, np.ndarray]:
        others = np.delete(np.arange(len(best)), j)

        def fn(x):
            full = np.empty(len(best))
            full[j], full[others] = value, x
            return deviance(full)

        x, f, _, _ = nlopt_bobyqa(
            fn, np.clip(start, lower[others], upper[others]), lower[others], upper[others],
            xtol_abs=1e-7, ftol_abs=1e-8, xtol_rel=1e-7, initial_step=0.2 * se[others],
        )  # fmt: skip
        return f - base, x

    names = [f".sig{i + 1:02d}" for i in range(k)] + list(result.params.index)
    rows = []
    for j in range(len(best)):
        others = np.delete(np.arange(len(best)), j)
        limits = []
        for side in (-1.0, 1.0):
            start = best[others]

            def excess(value, j=j):
                nonlocal start
                gap, start = profiled(j, value, start)
                return gap - cutoff

            bound = lower[j] if side < 0 else upper[j]
            step = se[j]
            inner, outer = best[j], best[j] + side * step
            limit = np.nan
            for _ in range(30):
                if np.isfinite(bound) and side * (outer - bound) >= 0:
                    outer = bound
                    if excess(outer) < 0:
                        limit = bound
                        break
                if excess(outer) > 0:
                    limit = _crossing(excess, inner, outer, names[j])
                    break
                if outer == bound:
                    break
                inner, outer = outer, outer + side * step
                step *= 1.6
            else:  # 30 growing steps (to ~1e6 first steps away) and still below the cut-off
                limit = side * np.inf
                warn(
                    f"the profile of {names[j]} stays below the cut-off as far as it was "
                    f"followed (to {inner:.6g}): its {'upper' if side > 0 else 'lower'} "
                    f"confidence limit is unbounded, reported as {'inf' if side > 0 else '-inf'}"
                )
            limits.append(limit)
        rows.append(limits)
    a = (1 - level) / 2
    return pd.DataFrame(rows, index=names, columns=[_label(a), _label(1 - a)])
