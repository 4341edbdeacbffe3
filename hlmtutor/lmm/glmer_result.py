"""The fitted GLMM (lme4's ``glmerMod``), read-only, assembled from the optimum."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from .family import Family
from .glmm import GlmmDeviance, PirlsState
from .merbase import MerResult
from .optimize import Optimum
from .terms import ReTerms

if TYPE_CHECKING:  # pragma: no cover
    from .frame import ModelFrame

__all__ = ["GlmerResult", "GlmerOptimum"]


# glmer's optimum is the engine's one Optimum type (params = theta, then beta unless nAGQ = 0;
# state = the PIRLS state at params); the old name stays for code that imports it.
GlmerOptimum = Optimum


@dataclass(frozen=True, eq=False)
class GlmerResult(MerResult):
    """A fitted generalised linear mixed model (returned by :func:`hlmtutor.glmer`).

    Attributes mirror :class:`~hlmtutor.LmerResult` where the concept is shared; ``sigma`` is 1
    and ``vc`` has no Residual row, as lme4's ``glmerMod``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from hlmtutor import glmer
    >>> rng = np.random.default_rng(2)
    >>> g = np.repeat(np.arange(20), 15)
    >>> y = rng.poisson(np.exp(0.3 + rng.normal(0, 0.5, 20)[g]))
    >>> fit = glmer("y ~ 1 + (1 | g)", pd.DataFrame({"y": y, "g": g}), family="poisson")
    >>> list(fit.vc["grp"])
    ['g']
    """

    formula: str
    lhs: str
    family_object: Family
    nAGQ: int
    frame: ModelFrame
    reterms: ReTerms
    deviance_function: GlmmDeviance
    optimum: Optimum
    row_index: pd.Index
    fit_messages: tuple[str, ...] = ()
    weights_name: str | None = None  # what lme4's summary prints as "Weights:"
    offset_name: str | None = None  # and as "Offset:" (the offset= argument)
    # How the response was given, for simulate(): "cbind" (labels: successes' and failures'
    # expressions), "factor" (labels: failure and success levels), "bool" or "numeric"
    response_kind: str = "numeric"
    response_labels: tuple = ()

    has_residual = False
    sigma = 1.0
    REML = False  # GLMMs are fitted by (approximate) maximum likelihood

    # -- the fit -----------------------------------------------------------------------------
    @property
    def family(self) -> str:
        return self.family_object.name

    @property
    def link(self) -> str:
        return self.family_object.link

    @property
    def messages(self) -> tuple[str, ...]:
        return tuple(self.fit_messages) + tuple(self.optimum.messages)

    @property
    def _state(self) -> PirlsState:
        return self.optimum.state

    @property
    def theta(self) -> np.ndarray:
        theta = self.optimum.params[: self.reterms.n_theta].copy()
        theta.flags.writeable = False
        return theta

    @property
    def nobs(self) -> int:
        return len(self.frame.y)

    @property
    def npar(self) -> int:
        return self.frame.X.shape[1] + self.reterms.n_theta

    @property
    def loglik(self) -> float:
        """-1/2 of the Laplace (or AGQ) deviance at the optimum, as lme4's ``logLik``."""
        return -0.5 * self.optimum.fval

    @property
    def deviance(self) -> float:
        """-2 logLik, the "deviance" lme4's summary prints for a GLMM."""
        return -2.0 * self.loglik

    # -- fixed effects -------------------------------------------------------------------------
    @cached_property
    def params(self) -> pd.Series:
        """Fixed-effect estimates (lme4's ``fixef``)."""
        return pd.Series(self._state.beta, index=list(self.frame.x_names), name="Estimate")

    @cached_property
    def vcov(self) -> pd.DataFrame:
        """Covariance of the fixed effects (lme4's ``vcov``): the beta block of 2 H^-1, H the
        finite-difference Hessian of the deviance in (theta, beta); with nAGQ = 0, or when that
        is not positive definite, (X'WX - ...)^-1 from the PIRLS factor at the optimum."""
        names = list(self.frame.x_names)
        k = self.reterms.n_theta
        hess = self.optimum.hessian
        values = None
        if self.nAGQ > 0 and hess is not None and np.all(np.isfinite(hess)):
            try:
                full = 2.0 * np.linalg.inv(hess)
                block = (full[k:, k:] + full[k:, k:].T) / 2.0
                if np.all(np.linalg.eigvalsh(block) > 0):
                    values = block
            except np.linalg.LinAlgError:
                values = None
        if values is None:
            values = self._joint_state.system.unscaled_vcov(self._joint_state.solution)
        return pd.DataFrame(values, index=names, columns=names)

    @cached_property
    def _joint_state(self) -> PirlsState:
        if self.nAGQ == 0:
            return self._state
        return self.deviance_function.pirls(np.asarray(self.theta), None, self._state.eta)

    @cached_property
    def fixef(self) -> pd.DataFrame:
        """Estimate, Std. Error, z value, Pr(>|z|) (Wald z tests, as lme4's summary)."""
        est = self.params.to_numpy()
        se = np.sqrt(np.diag(self.vcov.to_numpy()))
        z = est / se
        return pd.DataFrame(
            {
                "Estimate": est,
                "Std. Error": se,
                "z value": z,
                "Pr(>|z|)": 2.0 * stats.norm.sf(np.abs(z)),
            },
            index=self.params.index,
        )

    # -- random effects ------------------------------------------------------------------------
    @cached_property
    def re_modes(self) -> list[np.ndarray]:
        """Conditional modes b = Lambda u per term (lme4's order)."""
        out, start = [], 0
        for term in self.reterms.terms:
            size = term.nlev * term.q
            u = self._state.u[start : start + size].reshape(term.nlev, term.q)
            out.append(u @ term.factor(np.asarray(self.theta)).T)
            start += size
        return out

    @cached_property
    def re_condvar(self) -> list[np.ndarray]:
        """Blocks of Lambda (L L')^-1 Lambda' at the mode's weights (lme4's ``condVar``)."""
        return self._state.system.conditional_variances(self._state.solution)

    # -- fitted values, residuals ------------------------------------------------------------
    def _series(self, values: np.ndarray, name: str) -> pd.Series:
        return pd.Series(values, index=self.row_index, name=name)

    def fitted(self, scale: str = "response") -> pd.Series:
        """Fitted values with the random effects, on the response (mu) or link (eta) scale."""
        if scale not in ("response", "link"):
            raise ValueError(f"scale must be 'response' or 'link', not {scale!r}.")
        eta = self._state.eta
        values = eta if scale == "link" else self.family_object.linkinv(eta)
        return self._series(values, "fitted")

    def resid(self, type: str = "deviance") -> pd.Series:
        """Residuals: "deviance" (lme4's default), "pearson" or "response" (y - mu)."""
        y, mu = self.frame.y, self.family_object.linkinv(self._state.eta)
        wt = self.deviance_function.prior_weights
        if type == "response":
            values = y - mu
        elif type == "pearson":
            values = (y - mu) * np.sqrt(wt) / np.sqrt(self.family_object.variance(mu))
        elif type == "deviance":
            d = self.family_object.dev_resids(y, mu, wt)
            values = np.sign(y - mu) * np.sqrt(np.maximum(d, 0.0))
        else:
            raise ValueError(f"type must be 'deviance', 'pearson' or 'response', not {type!r}.")
        return self._series(values, "resid")

    @property
    def scaled_residuals(self) -> pd.Series:
        """Min, 1Q, Median, 3Q, Max of the Pearson residuals (R's quantile type 7)."""
        values = np.quantile(self.resid("pearson").to_numpy(), [0, 0.25, 0.5, 0.75, 1.0])
        return pd.Series(values, index=["Min", "1Q", "Median", "3Q", "Max"], name="scaled")

    def predict(
        self,
        newdata: pd.DataFrame | None = None,
        re_form: str | None = None,
        type: str = "link",
        allow_new_levels: bool = False,
        *,
        re: bool | None = None,
    ) -> pd.Series:
        """lme4's ``predict``: ``re_form`` as R's ``re.form`` (None every random term; ``"NA"``
        or ``"~0"`` none; a one-sided formula such as ``"~(1 | g)"`` the terms it names; ``re``
        True/False is shorthand for None/"NA"); ``type`` "link" or "response"; offsets are added
        (from ``offset()`` terms and the ``offset=`` of the fit on the fitted rows; on newdata
        only ``offset()`` terms).
        """
        from .prediction import predict as linear_predict
        from .prediction import random_terms_of

        if type not in ("link", "response"):
            raise ValueError(f"type must be 'link' or 'response', not {type!r}.")
        terms = random_terms_of(self, re_form, re)
        if newdata is None:
            if len(terms) == len(self.reterms.terms) and all(m.all() for m in terms.values()):
                values = pd.Series(self._state.eta, index=self.row_index)
            else:
                values = linear_predict(
                    self, None, terms, allow_new_levels, offset=self.deviance_function.offset
                )
                values.index = self.row_index
        else:
            # X beta (+ Z b) plus the formula's offset() terms on the new rows (lme4 leaves
            # out an offset= argument there)
            values = linear_predict(self, newdata, terms, allow_new_levels)
        if type == "response":
            values = pd.Series(self.family_object.linkinv(values.to_numpy()), index=values.index)
        return values.rename("predicted")

    # -- extras ------------------------------------------------------------------------------------
    @property
    def icc(self) -> pd.Series:
        """Intraclass correlation on the latent scale, per random-intercept term.

        ``ICC_k = sigma_k^2 / (sum_j sigma_j^2 + s^2)`` with the sum over every term's intercept
        variance and s^2 the latent residual variance: pi^2/3 (logit), 1 (probit), pi^2/6
        (cloglog). For Poisson (log link) s^2 = log(1 + 1/mu_0) with mu_0 = exp(b_0 + sum
        sigma_j^2 / 2), the lognormal approximation of Nakagawa & Schielzeth (2010).
        """
        intercepts = {
            name: float(cov.loc["(Intercept)", "(Intercept)"])
            for name, cov in self.cov_re.items()
            if "(Intercept)" in cov.index
        }
        total = sum(intercepts.values())
        if self.family == "poisson":
            b0 = float(self.params.get("(Intercept)", 0.0))
            residual = float(np.log1p(1.0 / np.exp(b0 + total / 2.0)))
        else:
            residual = self.family_object.latent_variance
        return pd.Series(
            {k: v / (total + residual) for k, v in intercepts.items()}, name="icc", dtype=float
        )

    @property
    def overdispersion(self) -> pd.Series:
        """Poisson: sum of squared Pearson residuals, its ratio to df_resid, and the chi-square
        p-value (a ratio well above 1 means more variation than the model allows)."""
        if self.family != "poisson":
            raise ValueError("overdispersion is for Poisson fits.")
        chisq = float(np.sum(self.resid("pearson") ** 2))
        return pd.Series(
            {
                "chisq": chisq,
                "ratio": chisq / self.df_resid,
                "df": float(self.df_resid),
                "p": float(stats.chi2.sf(chisq, self.df_resid)),
            },
            name="overdispersion",
        )

    def simulate(self, nsim: int = 1, seed: int | None = None) -> pd.DataFrame:
        """Responses drawn from the fitted model, as lme4's ``simulate(m, nsim, seed)``.

        Each simulation draws new spherical random effects ``u ~ N(0, I)`` (so
        ``b = Lambda u ~ N(0, Sigma)``), forms ``mu = g^-1(offset + X beta + Z b)`` and draws
        the response given mu: Poisson counts, or binomial successes out of the prior
        weights' trials (``a_i``: the trials of a cbind or proportion response, 1 for 0/1).

        Parameters
        ----------
        nsim : int, default 1
        seed : int, optional
            Seeds NumPy's generator (the draws are not R's).

        Returns
        -------
        pandas.DataFrame
            One row per fitted observation (the fit's index) and, per simulation ``sim_k``,
            what lme4 returns for the response's form: for ``cbind(s, f)`` two columns
            ``(sim_k, s)`` and ``(sim_k, f)`` (successes, trials - successes; a column
            MultiIndex); for a two-level text or categorical response a categorical column
            with the response's levels; for a boolean response booleans; otherwise numbers
            (0/1 draws, proportions for a proportion response, counts for Poisson).
        """
        if not isinstance(nsim, int | np.integer) or nsim < 1:
            raise ValueError(f"nsim must be a whole number >= 1, not {nsim!r}.")
        rng = np.random.default_rng(seed)
        dev = self.deviance_function
        fixed = self.frame.X @ self.params.to_numpy() + dev.offset
        trials = np.round(dev.prior_weights).astype(np.int64)
        out = {}
        for k in range(nsim):
            u = rng.standard_normal(self.reterms.n_random)
            mu = self.family_object.linkinv(fixed + dev.z_lambda_u(np.asarray(self.theta), u))
            name = f"sim_{k + 1}"
            if self.family == "poisson":
                out[name] = rng.poisson(mu).astype(float)
                continue
            # a factor or logical response is one trial per row, whatever its weights
            size = trials if self.response_kind in ("cbind", "numeric") else 1
            successes = rng.binomial(size, np.clip(mu, 0.0, 1.0))
            if self.response_kind == "cbind":
                s_name, f_name = self.response_labels
                out[(name, s_name)] = successes.astype(float)
                out[(name, f_name)] = (size - successes).astype(float)
            elif self.response_kind == "factor":
                levels = list(self.response_labels)
                out[name] = pd.Categorical.from_codes(successes.astype(int), categories=levels)
            elif self.response_kind == "bool":
                out[name] = successes.astype(bool)
            else:
                out[name] = successes / np.maximum(trials, 1)
        return pd.DataFrame(out, index=self.row_index)

    def confint(self, level: float = 0.95, method: str = "Wald") -> pd.DataFrame:
        """lme4's ``confint(m, method = "Wald" | "profile")``: Wald intervals for the fixed
        effects (rows .sig01... NaN, as lme4's), or likelihood-profile intervals for every
        parameter (.sig01...: the random effects' SDs and correlations; see
        :func:`hlmtutor.lmm.glmer_inference.profile_confint`)."""
        from .glmer_inference import confint

        return confint(self, level, method)

    def summary(self, data_name: str = "data"):
        """lme4's ``summary.glmerMod``: ``str()`` prints R's text."""
        from .glmer_summary import GlmerSummary

        return GlmerSummary.of(self, data_name)

    def __repr__(self) -> str:
        return (
            f"GlmerResult({self.formula!r}, family={self.family}({self.link}), "
            f"nobs={self.nobs}, logLik={self.loglik:.4f})"
        )
