"""Confidence intervals for GLMM fits (lme4's ``confint.merMod``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import optimize as sopt
from scipy import stats

from .optimize import nlopt_bobyqa

if TYPE_CHECKING:  # pragma: no cover
    from .glmer_result import GlmerResult

__all__ = ["confint", "profile_confint"]


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


def profile_confint(result: GlmerResult, level: float = 0.95) -> pd.DataFrame:
    """Likelihood-profile intervals: where the deviance, minimised over the other parameters,
    exceeds its minimum by ``qchisq(level, 1)``.

    Rows ``.sig01``, ... (the random-effect SDs; one scalar term each, where the SD is theta)
    then the fixed effects, as R's ``confint(m, method = "profile", oldNames = TRUE)``. The
    limits are the roots of the profiled deviance found by Brent's method (lme4 interpolates
    its profile by splines, so the two agree to about 1e-3). A lower SD limit is 0 where the
    deviance at SD = 0 is within the cutoff. Vector-valued random effects (correlations) are
    not profiled here: use method="Wald" for their models.
    """
    terms = result.reterms.terms
    if any(t.q > 1 for t in terms) or result.nAGQ == 0:
        raise NotImplementedError(
            "profile intervals are implemented for models whose random-effects terms are all "
            "scalar, fitted with nAGQ >= 1; use method='Wald'."
        )
    dev = result.deviance_function
    best = np.asarray(result.optimum.params, dtype=float)
    k = result.reterms.n_theta
    lower = np.r_[result.reterms.lower, np.full(len(best) - k, -np.inf)]
    base = dev(best)
    cutoff = stats.chi2.ppf(level, 1)
    se = np.r_[np.maximum(0.1 * np.abs(best[:k]), 0.05), np.sqrt(np.diag(result.vcov.to_numpy()))]

    def profiled(j: int, value: float, start: np.ndarray) -> tuple[float, np.ndarray]:
        others = np.delete(np.arange(len(best)), j)

        def fn(x):
            full = np.empty(len(best))
            full[j], full[others] = value, x
            return dev(full)

        x, f, _, _ = nlopt_bobyqa(
            fn, np.maximum(start, lower[others]), lower[others], xtol_abs=1e-7, ftol_abs=1e-8,
            xtol_rel=1e-7, initial_step=0.2 * se[others],
        )  # fmt: skip
        return f - base, x

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

            step = se[j]
            inner, outer = best[j], best[j] + side * step
            limit = np.nan
            for _ in range(30):
                if j < k and outer <= 0:
                    outer = 0.0
                    if excess(outer) < 0:
                        limit = 0.0
                        break
                if excess(outer) > 0:
                    limit = sopt.brentq(excess, min(inner, outer), max(inner, outer), xtol=1e-6)
                    break
                inner, outer = outer, outer + side * step
                step *= 1.6
            limits.append(limit)
        rows.append(limits)
    a = (1 - level) / 2
    names = [f".sig{i + 1:02d}" for i in range(k)] + list(result.params.index)
    return pd.DataFrame(rows, index=names, columns=[_label(a), _label(1 - a)])
