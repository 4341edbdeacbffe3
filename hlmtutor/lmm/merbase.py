"""What every fitted mixed model holds, linear or generalised (lme4's ``merMod``).

:class:`MerResult` is the shared base of :class:`~hlmtutor.lmm.result.LmerResult` and
:class:`~hlmtutor.lmm.glmer_result.GlmerResult`. A subclass provides ``frame``, ``reterms``,
``theta``, ``params``, ``vcov``, ``loglik``, ``npar``, ``nobs``, ``optimum`` (with
``optimizer``, ``converged``, ``feval``), ``sigma`` (1 for a GLMM), ``has_residual`` (whether ``vc`` and
``varcorr`` end with lme4's ``Residual`` row) and the per-term pieces ``re_modes`` (conditional
modes b, one (l_k, q_k) array per term in lme4's order) and ``re_condvar`` (conditional
covariance blocks, (l_k, q_k, q_k), in units of sigma^2). Everything else here follows from
those, so inference, summaries and predictions read public attributes only.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .optimize import SINGULAR_TOL
from .terms import ReTerm

__all__ = ["MerResult", "level_index"]


def level_index(term: ReTerm) -> pd.Index:
    """The levels as the data holds them (integers stay integers), so ``ranef`` lines up with
    the data's own grouping column (``data[g].map(fit.ranef[g]["(Intercept)"])``)."""
    return pd.Index(list(term.levels), name=term.factor_name)


class MerResult:
    """Shared accessors of fitted mixed models (see the module docstring)."""

    has_residual: bool = True

    # -- provided by subclasses --------------------------------------------------------------
    @property
    def re_modes(self) -> list[np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def re_condvar(self) -> list[np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- shared ------------------------------------------------------------------------------
    @property
    def optimizer(self) -> str | None:
        """The optimizer used (None for ``optimizer=None``: evaluated at ``start``)."""
        return self.optimum.optimizer

    @property
    def converged(self) -> bool:
        """Whether lme4's convergence checks passed."""
        return self.optimum.converged

    @property
    def feval(self) -> int:
        """Evaluations of the objective the optimizer used."""
        return self.optimum.feval

    @property
    def aic(self) -> float:
        """-2 logLik + 2 npar (lme4's ``AIC``)."""
        return -2.0 * self.loglik + 2.0 * self.npar

    @property
    def bic(self) -> float:
        """-2 logLik + log(nobs) npar (lme4's ``BIC``)."""
        return -2.0 * self.loglik + self.npar * np.log(self.nobs)

    @property
    def df_resid(self) -> int:
        """nobs - npar (lme4's ``df.residual``)."""
        return self.nobs - self.npar

    @cached_property
    def corr_fixef(self) -> pd.DataFrame:
        """Correlation of the fixed-effect estimates, from ``vcov``."""
        v = self.vcov.to_numpy()
        sd = np.sqrt(np.diag(v))
        return pd.DataFrame(v / np.outer(sd, sd), index=self.vcov.index, columns=self.vcov.index)

    @property
    def data(self) -> pd.DataFrame:
        return self.frame.data

    @property
    def n_dropped(self) -> int:
        return self.frame.n_dropped

    @property
    def lost_groups(self) -> dict:
        return dict(self.frame.lost_groups)

    @property
    def ngroups(self) -> dict[str, int]:
        """Number of levels of each grouping factor (lme4's ``ngrps``)."""
        return self.reterms.ngroups()

    @property
    def is_singular(self) -> bool:
        """True when the fit is singular (on the boundary): lme4's ``isSingular()``.

        A fit is singular when a random-effect variance is estimated as zero, or a correlation
        of random effects as -1 or +1: some element of theta (the relative Cholesky factor)
        whose lower bound is 0 ends below 1e-4, lme4's default tolerance. The fit then warns
        "boundary (singular) fit" and ``messages`` holds that text.

        It usually means the data hold too little information for the random part asked for
        (too few groups, too little variation between them), not that the software failed.
        What to do:

        - Look at ``vc`` (or ``cov_re``): which variance is zero or which correlation is +-1.
        - Simplify the random part: drop the correlation (``(1 + x || g)``), then the random
          slope whose variance is zero; compare the fits with ``hlmtutor.anova(m0, m1)``.
        - If the random part is what theory demands, keep it and report the fit as singular:
          the fixed effects are still estimated, though their df and SEs lean on a variance of 0.

        The book's glossary ("Singular fit") and chapter 9 show examples.
        """
        lower = self.reterms.lower
        return bool(np.any(np.asarray(self.theta)[lower == 0] < SINGULAR_TOL))

    @cached_property
    def cov_re(self) -> dict[str, pd.DataFrame]:
        """Covariance matrix of each term's random effects, sigma^2 T T' (lme4's VarCorr)."""
        out = {}
        for term in self.reterms.terms:
            t = term.factor(np.asarray(self.theta))
            values = self.sigma**2 * (t @ t.T)
            out[term.name] = pd.DataFrame(
                values, index=list(term.column_names), columns=list(term.column_names)
            )
        return out

    @cached_property
    def vc(self) -> pd.DataFrame:
        """lme4's ``as.data.frame(VarCorr(m))``: grp, var1, var2, vcov, sdcor.

        Per term the variances, then the covariances (``sdcor`` holds the correlation), then
        (linear models only) the ``Residual`` row; ``var1``/``var2`` are "" where R has NA.
        """
        rows = []
        for name, cov in self.cov_re.items():
            values = cov.to_numpy()
            sd = np.sqrt(np.diag(values))
            names = list(cov.index)
            for i, var in enumerate(names):
                rows.append((name, var, "", values[i, i], sd[i]))
            for j in range(len(names)):
                for i in range(j + 1, len(names)):
                    denom = sd[i] * sd[j]
                    corr = values[i, j] / denom if denom > 0 else np.nan
                    rows.append((name, names[j], names[i], values[i, j], corr))
        if self.has_residual:
            rows.append(("Residual", "", "", self.sigma**2, self.sigma))
        return pd.DataFrame(rows, columns=["grp", "var1", "var2", "vcov", "sdcor"])

    @cached_property
    def varcorr(self) -> pd.DataFrame:
        """lme4's printed table of random effects: Groups, Name, Variance, Std.Dev., Corr...

        Correlations with the second, third, ... effect of a term are in ``Corr 2``, ``Corr 3``.
        """
        width = max(len(c) for c in self.cov_re.values())
        rows = []
        for name, cov in self.cov_re.items():
            values = cov.to_numpy()
            sd = np.sqrt(np.diag(values))
            with np.errstate(divide="ignore", invalid="ignore"):
                corr = values / np.outer(sd, sd)
            for i, var in enumerate(cov.index):
                row: dict[str, Any] = {
                    "Groups": name if i == 0 else "",
                    "Name": var,
                    "Variance": values[i, i],
                    "Std.Dev.": sd[i],
                }
                for j in range(width - 1):
                    row["Corr" if j == 0 else f"Corr {j + 1}"] = corr[i, j] if j < i else np.nan
                rows.append(row)
        if self.has_residual:
            rows.append(
                {
                    "Groups": "Residual",
                    "Name": "",
                    "Variance": self.sigma**2,
                    "Std.Dev.": self.sigma,
                }
            )
        table = pd.DataFrame(rows)
        if width == 1:
            table["Corr"] = np.nan
        return table

    def _by_factor(self, per_term: list[np.ndarray]) -> dict[str, pd.DataFrame]:
        """Per grouping factor, the columns of all its terms side by side (lme4's list)."""
        out: dict[str, pd.DataFrame] = {}
        for term, values in zip(self.reterms.terms, per_term, strict=True):
            table = pd.DataFrame(values, index=level_index(term), columns=list(term.column_names))
            name = term.factor_name
            out[name] = pd.concat([out[name], table], axis=1) if name in out else table
        return out

    @property
    def ranef(self) -> dict[str, pd.DataFrame]:
        """Conditional modes per grouping factor, one row per level (lme4's ``ranef``)."""
        return self._by_factor(self.re_modes)

    @property
    def ranef_sd(self) -> dict[str, pd.DataFrame]:
        """Conditional SDs of the random effects (sqrt of lme4's ``condVar``), shaped as ranef."""
        sds = [
            self.sigma * np.sqrt(np.diagonal(cond, axis1=1, axis2=2)) for cond in self.re_condvar
        ]
        return self._by_factor(sds)

    @property
    def coef(self) -> dict[str, pd.DataFrame]:
        """Per grouping factor, fixed effects plus that factor's random effects (lme4's ``coef``)."""
        beta = self.params
        out: dict[str, pd.DataFrame] = {}
        for factor, effects in self.ranef.items():
            table = pd.DataFrame(
                np.tile(beta.to_numpy(), (len(effects), 1)), index=effects.index, columns=beta.index
            )
            for column in effects.columns:
                if column in table.columns:
                    table[column] = table[column] + effects[column]
                else:
                    table[column] = effects[column]
            out[factor] = table
        return out

    def random_part(self) -> np.ndarray:
        """Z b on the fitted rows (the random effects' part of the linear predictor)."""
        values = np.zeros(len(self.frame.y))
        for term, modes in zip(self.reterms.terms, self.re_modes, strict=True):
            values = values + np.sum(term.columns * modes[term.codes], axis=1)
        return values
