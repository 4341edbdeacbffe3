"""The fitted GLMM (lme4's ``glmerMod``), read-only, assembled from the optimum."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse as sp
from scipy import stats
from scipy.sparse.linalg import splu

from ._warn import warn
from .family import Family
from .glmm import GlmmDeviance, PirlsState
from .merbase import MerResult
from .optimize import Optimum
from .terms import ReTerms

if TYPE_CHECKING:  # pragma: no cover
    from .frame import ModelFrame

__all__ = ["GlmerResult", "GlmerOptimum", "rx_covariance"]

# A Hessian diagonal entry (in beta) this small relative to the curvature the coefficient would
# have at the mean weight is "flat": the finite differences saw no curvature along it (lme4 then
# reports the Hessian as numerically singular).
FLAT_TOL = 1e-6
# A pivot of R_X this small relative to its column's norm is a direction with no information.
ZERO_PIVOT_TOL = 1e3 * float(np.finfo(float).eps)


def _z_lambda(dev: GlmmDeviance, theta: np.ndarray) -> sp.csc_matrix:
    """Z Lambda(theta), n x q, level-major per term as lme4 orders u."""
    blocks = [
        t.z @ sp.kron(sp.identity(t.nlev, format="csr"), sp.csr_matrix(t.factor(theta)))
        for t in dev.reterms.terms
    ]
    return sp.hstack(blocks, format="csc")


def rx_covariance(dev: GlmmDeviance, theta: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """(R_X'R_X)^-1 at the PIRLS weights of ``eta``, taken without a downdate.

    Parameters
    ----------
    dev : GlmmDeviance
        The fit's deviance function (X, the random-effects terms, the family, prior weights).
    theta : numpy.ndarray
        Where Lambda is taken.
    eta : numpy.ndarray
        The linear predictor whose working weights W are used.

    Returns
    -------
    numpy.ndarray
        p x p; a coefficient whose column carries no information at these weights (a zero
        pivot of R_X) has an infinite variance and NaN covariances.

    Notes
    -----
    R_X'R_X = X'WX - X'WZL (L'Z'WZL + I)^-1 L'Z'WX (L = Lambda) is the Schur complement lme4
    factors for its "var-cov estimated from RX" (``vcov`` when the Hessian is not used).
    Formed as that difference, it loses a pivot of size ~ sum of tiny weights (1e-14 per row
    under separation, where mu reaches 1 - 1e-14) to cancellation against O(1) terms. Here
    U = W^1/2 Z L and V = W^1/2 X, c solves (U'U + I) c = U'V (sparse LU, refined twice on the
    normal equations' residual), and R_X is the R of a thin QR of the projection residual
    [V - U c; -c]: the bottom-right block of the QR of [[U, V], [I, 0]], with no cross-product
    ever subtracted.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from hlmtutor import glmer
    >>> rng = np.random.default_rng(3)
    >>> g = np.repeat(np.arange(15), 12)
    >>> x = rng.normal(size=180)
    >>> y = rng.binomial(1, 1 / (1 + np.exp(-(0.4 * x + rng.normal(0, 0.7, 15)[g]))))
    >>> data = pd.DataFrame({"y": y, "x": x, "g": g})
    >>> fit = glmer("y ~ x + (1 | g)", data, family="binomial", nAGQ=0)
    >>> dev, theta, state = fit.deviance_function, np.asarray(fit.theta), fit._state
    >>> downdated = state.system.unscaled_vcov(state.solution)  # Cholesky of the difference
    >>> # (its weights are one PIRLS step older than state.eta's, hence the tolerance)
    >>> bool(np.allclose(rx_covariance(dev, theta, state.eta), downdated, rtol=1e-3))
    True
    """
    mu = dev.family.linkinv(eta)
    weights, _ = dev.working(eta, mu)
    root_w = np.sqrt(np.where(np.isfinite(weights), np.maximum(weights, 0.0), 0.0))
    v = dev.x * root_w[:, None]
    u = sp.diags(root_w) @ _z_lambda(dev, theta)
    q = u.shape[1]
    solve = splu((u.T @ u + sp.identity(q)).tocsc()).solve
    c = solve(np.asarray(u.T @ v))
    for _ in range(2):  # iterative refinement: residual of the normal equations
        c = c + solve(np.asarray(u.T @ (v - u @ c)) - c)
    resid = np.vstack([v - u @ c, -c])
    p = resid.shape[1]
    norms = np.linalg.norm(resid, axis=0)
    informative = norms > 0
    out = np.full((p, p), np.nan)
    if informative.any():
        rx = scipy.linalg.qr(resid[:, informative], mode="r")[0][: informative.sum()]
        pivots = np.abs(np.diag(rx))
        kept = np.flatnonzero(informative)
        # a pivot lost to collinearity within the informative columns is also no information
        small = pivots <= ZERO_PIVOT_TOL * norms[kept]
        if small.any():
            informative[kept[small]] = False
            rx = scipy.linalg.qr(resid[:, informative], mode="r")[0][: informative.sum()]
        inv_rx = scipy.linalg.solve_triangular(rx, np.eye(len(rx)))
        out[np.ix_(informative, informative)] = inv_rx @ inv_rx.T
    out[~informative, ~informative] = np.inf
    return out


def _separation_message(names: list[str], family: str) -> str:
    listed = ", ".join(repr(n) for n in names)
    return (
        f"the fixed effect(s) {listed} cannot be bounded by these data: the deviance is flat as "
        f"the estimate grows, so its Std. Error is (in effect) infinite and its z test says "
        f"nothing. With a {family} outcome this is (quasi-)complete separation: the outcome is "
        f"constant within a subset of that predictor (a level, or a range of it). Consider "
        f"dropping or merging the level(s) concerned, or a bias-reduced (Firth) or Bayesian "
        f"fit (a weakly informative prior on the fixed effects)."
    )


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
    # What :func:`hlmtutor.update` refits with, as R's update re-evaluates the call: the rows of
    # data the fit used (after subset= and missing values; every column, the data's own index),
    # and the weights=/offset= arguments: None, a column name, or the values on those rows.
    call_data: pd.DataFrame | None = None
    call_weights: str | np.ndarray | None = None
    call_offset: str | np.ndarray | None = None

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
        """Covariance of the fixed effects (lme4's ``vcov``).

        The beta block of 2 H^-1, H the finite-difference Hessian of the deviance in (theta,
        beta). With nAGQ = 0 (no Hessian) it is (X'WX - R_ZX'R_ZX)^-1 from the PIRLS factor, as
        lme4's "var-cov estimated from RX"; when the Hessian's block is not positive definite
        lme4 warns and falls back to that factor, and so does this (see ``rx_covariance``
        for how it is taken when the weights span many orders of magnitude, as under
        separation).

        Notes
        -----
        One departure from lme4: when the Hessian is flat along a coefficient (its row is at the
        finite differences' rounding level, see ``_flat_coefficients``), its inverse is
        rounding noise even if it happens to be positive definite (lme4 then prints a z test
        of noise, and which one depends on the CPU's rounding), so the PIRLS factor is used
        there too. Such coefficients, and any with an infinite variance (a column with no
        information at the optimum's weights: infinite Std. Error, z 0, p 1 in :attr:`fixef`),
        are named in a warning that says what to do.
        """
        names = list(self.frame.x_names)
        flat = self._flat_coefficients()
        values = None if flat else self._hessian_vcov()
        if values is None:
            if self.nAGQ > 0 and self.optimum.hessian is not None:
                warn(
                    "variance-covariance matrix computed from finite-difference Hessian is not "
                    "positive definite, contains NA values, or is flat along a coefficient: "
                    "falling back to the covariance from the PIRLS factor at the optimum "
                    "(lme4: var-cov estimated from RX)"
                )
            values = self._factor_vcov()
        infinite = {names[j] for j in np.flatnonzero(~np.isfinite(np.diag(values)))}
        unbounded = [n for n in names if n in infinite or n in flat]
        if unbounded:
            warn(_separation_message(unbounded, self.family))
        return pd.DataFrame(values, index=names, columns=names)

    def _hessian_vcov(self) -> np.ndarray | None:
        """The beta block of 2 H^-1, or None when lme4 would not use it (nAGQ = 0, no
        Hessian, non-finite entries, or a block that is not positive definite)."""
        k = self.reterms.n_theta
        hess = self.optimum.hessian
        if self.nAGQ == 0 or hess is None or not np.all(np.isfinite(hess)):
            return None
        try:
            full = 2.0 * np.linalg.inv(hess)
        except np.linalg.LinAlgError:
            return None
        block = (full[k:, k:] + full[k:, k:].T) / 2.0
        if not np.all(np.isfinite(block)) or not np.all(np.linalg.eigvalsh(block) > 0):
            return None
        return block

    def _factor_vcov(self) -> np.ndarray:
        """(R_X'R_X)^-1 at the optimum's PIRLS weights (lme4's "var-cov estimated from RX").

        With nAGQ = 0 the fit's own factor (at the joint mode of beta and u) is that one; it is
        used when it is finite and positive definite. Otherwise, and with nAGQ >= 1 (whose beta
        is not the joint mode: lme4 takes R_X from the last PIRLS at the optimum's theta and
        beta), ``rx_covariance`` at the optimum's linear predictor, which does not lose tiny
        pivots to the downdate's cancellation.
        """
        if self.nAGQ == 0:
            values = self._state.system.unscaled_vcov(self._state.solution)
            if np.all(np.isfinite(values)) and np.all(np.linalg.eigvalsh(values) > 0):
                return values
        return rx_covariance(self.deviance_function, np.asarray(self.theta), self._state.eta)

    def _flat_coefficients(self) -> list[str]:
        """The coefficients along which the deviance is flat: the signature of separation.

        Flat: the coefficient's diagonal entry of the finite-difference Hessian (lme4's "Hessian
        is numerically singular") is at most ``FLAT_TOL`` times 2 w_bar sum_i x_ij^2, the
        curvature it would have if its rows had the mean PIRLS weight w_bar. Under separation
        the rows a coefficient rests on all have weights ~1e-14 (fitted values at 0 or 1), and
        the entry is 0 or rounding noise; the ratio does not depend on the predictor's scale,
        and a rare level with ordinary weights is not flat.
        """
        names = list(self.frame.x_names)
        hess = self.optimum.hessian
        if self.nAGQ == 0 or hess is None or not np.all(np.isfinite(hess)) or not names:
            return []
        dev = self.deviance_function
        eta = self._state.eta
        weights, _ = dev.working(eta, dev.family.linkinv(eta))
        x = np.asarray(dev.x, dtype=float)
        typical = 2.0 * np.mean(weights) * np.sum(x * x, axis=0)
        curvature = np.abs(np.diag(hess)[self.reterms.n_theta :])
        flat = (curvature <= FLAT_TOL * typical) & (typical > 0)
        return [names[j] for j in np.flatnonzero(flat)]

    @cached_property
    def corr_fixef(self) -> pd.DataFrame:
        """Correlation of the fixed-effect estimates, from ``vcov``; NaN for a coefficient whose
        variance is infinite (nothing bounds it, so no correlation is defined)."""
        v = self.vcov.to_numpy()
        sd = np.sqrt(np.diag(v))
        with np.errstate(invalid="ignore"):
            values = v / np.outer(sd, sd)
        unbounded = ~np.isfinite(sd)
        values[unbounded, :] = np.nan
        values[:, unbounded] = np.nan
        return pd.DataFrame(values, index=self.vcov.index, columns=self.vcov.index)

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

    def refit(self, start=None) -> GlmerResult:
        """The same model on the same rows, optimised again (lme4's ``refit(object)``).

        Parameters
        ----------
        start : dict, optional
            ``{"theta": ..., "fixef": ...}`` where lme4's two stages start; default this fit's
            own parameters (theta raised to its lower bounds where it is below them).

        Returns
        -------
        GlmerResult
            A new fit with the same response, weights, offset, family and nAGQ; this one is
            left as it is.

        Notes
        -----
        Matches lme4's ``refit(object)`` without ``newresp``: the model is not built again,
        only optimised, so a fit evaluated at given parameters (``optimizer=None``) becomes
        the fit that ``anova``, ``confint(method="profile")`` and ``summary`` expect. Same as
        :func:`hlmtutor.lmm.glmer_fit.refit`; :func:`hlmtutor.update` refits with a changed
        formula, data or arguments.

        Examples
        --------
        >>> import warnings
        >>> import numpy as np, pandas as pd
        >>> from hlmtutor import glmer
        >>> rng = np.random.default_rng(3)
        >>> g = np.repeat(np.arange(25), 12)
        >>> y = rng.random(300) < 1 / (1 + np.exp(-rng.normal(0, 1, 25)[g]))
        >>> data = pd.DataFrame({"y": y, "g": g})
        >>> with warnings.catch_warnings():  # not an optimum: lme4's gradient check says so
        ...     warnings.simplefilter("ignore")
        ...     evaluated = glmer("y ~ 1 + (1 | g)", data, optimizer=None,
        ...                       start={"theta": [1.0], "fixef": [0.0]})
        >>> fitted = evaluated.refit()
        >>> evaluated.optimizer, fitted.optimizer
        (None, 'bobyqa')
        >>> direct = glmer("y ~ 1 + (1 | g)", data)
        >>> bool(abs(fitted.loglik - direct.loglik) < 1e-6)
        True
        """
        from .glmer_fit import refit

        return refit(self, start)

    def summary(self, data_name: str = "data"):
        """lme4's ``summary.glmerMod``: ``str()`` prints R's text."""
        from .glmer_summary import GlmerSummary

        return GlmerSummary.of(self, data_name)

    def __repr__(self) -> str:
        return (
            f"GlmerResult({self.formula!r}, family={self.family}({self.link}), "
            f"nobs={self.nobs}, logLik={self.loglik:.4f})"
        )
