"""Linear mixed models as lme4's ``lmer`` fits them, with lmerTest's Satterthwaite t-tests.

One grouping factor, any number of random effects on it. The engine is a profiled REML
(or ML) deviance evaluated from per-group cross-products (``hlmtutor._reml``), minimised
over lme4's ``theta`` from lme4's start (theta = identity) by a bounded derivative-free
method, then lmerTest's Satterthwaite degrees of freedom (``hlmtutor._satterthwaite``).
"""

from __future__ import annotations

import inspect
import warnings
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import optimize, stats

from . import _reml, _satterthwaite
from ._formula import DesignMatrix, build_design, factor_levels, parse_formula
from ._lmer_summary import LmerSummary

__all__ = ["lmer", "LmerResult", "LmerSummary", "icc", "anova"]

OPTIMIZERS = ("powell", "nelder-mead", "lbfgsb")
GRADIENT_TOL = 2e-3  # lme4's check.conv.grad tolerance
SINGULAR_TOL = 1e-4  # lme4's isSingular() tolerance
SINGULAR_MESSAGE = "boundary (singular) fit: see help('isSingular')"


def _check_data(data: pd.DataFrame, columns: list[str], formula: str) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}.")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise KeyError(
            f"Column(s) {', '.join(repr(c) for c in missing)} named in formula {formula!r} "
            f"are not in data. Columns there are: {', '.join(map(str, data.columns))}."
        )


def _drop_missing(data: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, int, list[str]]:
    """Keep the formula's columns and drop incomplete rows, as lme4's na.omit does."""
    frame = data[columns]
    incomplete = frame.isna()
    keep = ~incomplete.any(axis=1)
    n_dropped = int((~keep).sum())
    culprits = [c for c in columns if incomplete[c].any()]
    return frame[keep].copy(), n_dropped, culprits


def _check_response(frame: pd.DataFrame, response: str) -> np.ndarray:
    series = frame[response]
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        raise TypeError(
            f"The outcome {response!r} must be numeric, but its dtype is {series.dtype}. "
            "lmer() fits a linear model for a numeric outcome; convert the column with "
            "pandas.to_numeric, or use a generalised mixed model for a categorical outcome."
        )
    return series.to_numpy(dtype=float)


def _check_rank(design: DesignMatrix, what: str) -> None:
    rank = np.linalg.matrix_rank(design.matrix)
    if rank == design.matrix.shape[1]:
        return
    # Find the first column that adds nothing, to name it.
    for k in range(1, design.matrix.shape[1] + 1):
        if np.linalg.matrix_rank(design.matrix[:, :k]) < k:
            raise ValueError(
                f"The {what} columns are collinear: {design.names[k - 1]!r} is a linear "
                f"combination of {design.names[: k - 1]}. Remove that term (lme4 would drop "
                "the column) or check the data."
            )


def _projected_gradient(objective, theta, lower) -> float:
    """max |gradient| of the criterion at theta, ignoring pushes against a bound (lme4's check)."""
    step = 1e-5
    grad = np.zeros(len(theta))
    for k in range(len(theta)):
        up, down = theta.copy(), theta.copy()
        up[k] += step
        down[k] -= step
        if np.isfinite(lower[k]) and down[k] < lower[k]:
            grad[k] = (objective(up) - objective(theta)) / step
            grad[k] = min(grad[k], 0.0)  # at the bound only a negative slope is a failure
        else:
            grad[k] = (objective(up) - objective(down)) / (2 * step)
    return float(np.max(np.abs(grad))) if len(grad) else 0.0


def _minimize(objective, start, bounds, method):
    scipy_method = {"powell": "Powell", "nelder-mead": "Nelder-Mead", "lbfgsb": "L-BFGS-B"}[method]
    options = {"powell": {"xtol": 1e-8, "ftol": 1e-12, "maxfev": 20000}}.get(
        method, {"xatol": 1e-8, "fatol": 1e-10, "maxfev": 20000} if method == "nelder-mead" else {}
    )
    return optimize.minimize(objective, start, method=scipy_method, bounds=bounds, options=options)


class LmerResult:
    """A fitted linear mixed model (returned by :func:`lmer`).

    Attributes are named after lme4's accessors and computed on first access (the
    Satterthwaite table ``fixef`` needs numerical derivatives; ``params`` does not).

    Attributes
    ----------
    formula, REML, group : str, bool, str
        The model as fitted; ``group`` is the grouping column.
    data : pandas.DataFrame
        The model frame: the formula's columns, rows with missing values dropped.
    n_dropped : int
        How many rows were dropped for missing values (lme4's na.omit).
    theta : numpy.ndarray
        lme4's parameters (lower triangle of the relative covariance factor, by column).
    optimizer : str
        The scipy method whose optimum was kept; ``converged``: whether it passed lme4's
        gradient check.
    messages : list of str
        The warnings of the fit (convergence, singular fit, unidentified slopes, dropped rows).
    fixef : pandas.DataFrame
        ``Estimate``, ``Std. Error``, ``df``, ``t value``, ``Pr(>|t|)`` by lme4's term names.
    cov_re, varcorr, sigma : DataFrame, DataFrame, float
        Random-effects covariance, lme4's random-effects table, residual SD.
    ranef, ranef_sd, coef : pandas.DataFrame
        Conditional modes, their conditional SDs, group-specific coefficients (one row per group).

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmtutor import lmer
    >>> data = pd.DataFrame({"y": [1.0, 2.1, 2.9, 4.2, 5.1, 5.8, 7.2, 8.1],
    ...                      "g": ["a", "a", "b", "b", "c", "c", "d", "d"]})
    >>> fit = lmer("y ~ 1 + (1 | g)", data)
    >>> list(fit.fixef.columns)
    ['Estimate', 'Std. Error', 'df', 't value', 'Pr(>|t|)']
    >>> list(fit.varcorr["Groups"])
    ['g', 'Residual']
    >>> print(str(fit.summary()).splitlines()[0])
    Linear mixed model fit by REML. t-tests use Satterthwaite's method [
    """

    def __init__(
        self,
        formula: str,
        data: pd.DataFrame,
        REML: bool,
        n_dropped: int,
        messages: list[str],
        parsed,
        x: DesignMatrix,
        z: DesignMatrix,
        y: np.ndarray,
        codes: np.ndarray,
        levels: list,
        cp: _reml.CrossProducts,
    ):
        self.formula = formula
        self.data = data
        self.REML = bool(REML)
        self.n_dropped = n_dropped
        self.messages = messages
        self.group = parsed.group
        self._parsed = parsed
        self._x = x
        self._z = z
        self._y = y
        self._codes = codes
        self._levels = levels
        self._cp = cp
        self.theta = np.zeros(0)
        self.optimizer = ""
        self.converged = False

    # -- the fit -----------------------------------------------------------------------
    def criterion(self, theta) -> float:
        """The profiled REML criterion (REML fits) or ML deviance of this model at ``theta``.

        Parameters
        ----------
        theta : array-like
            lme4's parameters: the lower triangle of the relative covariance factor, column by
            column.

        Returns
        -------
        float
            What lme4 minimises ("REML criterion at convergence" at the optimum).
        """
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (self._n_theta,):
            raise ValueError(f"theta must have {self._n_theta} values (lme4 order), got {theta}.")
        return float(_reml.profiled_criterion(self._cp, theta, self.REML))

    @property
    def _n_theta(self) -> int:
        q = self._cp.q
        return q * (q + 1) // 2

    def _fit(self, optimizer: str | None, start) -> None:
        lower = _reml.theta_lower_bounds(self._cp.q)
        bounds = [(0.0 if np.isfinite(lo) else None, None) for lo in lower]
        if start is None:
            start = np.where(np.isfinite(lower), 1.0, 0.0)  # lme4 starts at L = identity
        else:
            start = np.asarray(start, dtype=float)
            if start.shape != (self._n_theta,):
                raise ValueError(
                    f"start must hold {self._n_theta} theta values in lme4 order, got {start}."
                )
        if optimizer is not None and optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS} or None, not {optimizer!r}.")

        def objective(theta):
            return _reml.profiled_criterion(self._cp, theta, self.REML)

        methods = [optimizer] if optimizer else list(OPTIMIZERS)
        best = None
        for method in methods:
            result = _minimize(objective, start, bounds, method)
            gradient = _projected_gradient(objective, result.x, lower)
            if best is None or result.fun < best[1].fun - 1e-10:
                best = (method, result, gradient)
            # Powell from lme4's start reached lme4's optimum on every model tried; the next
            # method is tried only while the best optimum so far fails lme4's gradient check
            # (a later method that passes the check at a worse criterion does not stop the search).
            _, best_result, best_gradient = best
            if (
                best_result.success
                and np.isfinite(best_result.fun)
                and best_gradient < GRADIENT_TOL
            ):
                break
        method, result, gradient = best
        self.optimizer = method
        self.converged = bool(np.isfinite(result.fun) and gradient < GRADIENT_TOL)
        theta = np.where(np.isfinite(lower), np.maximum(result.x, 0.0), result.x)
        # Powell creeps towards a bound without landing on it; lme4's BOBYQA lands on it.
        # Put near-zero diagonal elements on the bound when that fits at least as well.
        snapped = np.where(np.isfinite(lower) & (theta < 1e-3), 0.0, theta)
        if np.any(snapped != theta) and objective(snapped) <= objective(theta) + 1e-7:
            theta = snapped
        self.theta = theta
        if not self.converged:
            self._warn(
                f"Model failed to converge with max|grad| = {gradient:.6g} (tol = "
                f"{GRADIENT_TOL}); optimizer {method}: {result.message}"
            )
        if self.is_singular:
            self._warn(SINGULAR_MESSAGE)
        for note in self.identification_notes:
            self._warn(note)

    def refit_ml(self) -> LmerResult:
        """The same model refitted by maximum likelihood (lme4's ``refitML``).

        Returns
        -------
        LmerResult
            ``self`` when the fit is already ML.
        """
        if not self.REML:
            return self
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return lmer(self.formula, self.data, REML=False)

    def _warn(self, message: str) -> None:
        self.messages.append(message)
        warnings.warn(message, UserWarning, stacklevel=4)

    @cached_property
    def _decomposition(self) -> _reml.Decomposition:
        return _reml.decompose(self._cp, self.theta)

    @property
    def is_singular(self) -> bool:
        """True when a random-effect variance is (near) zero: lme4's ``isSingular()``."""
        lower = _reml.theta_lower_bounds(self._cp.q)
        return bool(np.any(self.theta[np.isfinite(lower)] < SINGULAR_TOL))

    # -- scalars -----------------------------------------------------------------------
    @property
    def nobs(self) -> int:
        """Number of observations used (after dropping incomplete rows)."""
        return self._cp.n

    @property
    def ngroups(self) -> int:
        """Number of levels of the grouping factor."""
        return len(self._levels)

    @property
    def reml_criterion(self) -> float:
        """lme4's REMLcrit(): the criterion at convergence (NaN for ML fits)."""
        return self.criterion(self.theta) if self.REML else float("nan")

    @cached_property
    def sigma(self) -> float:
        """Residual standard deviation (REML: pwrss / (n - p); ML: pwrss / n)."""
        dof = self.nobs - self._cp.p if self.REML else self.nobs
        return float(np.sqrt(self._decomposition.pwrss / dof))

    @property
    def npar(self) -> int:
        """Number of parameters: fixed effects + theta + residual SD (lme4's logLik df)."""
        return self._cp.p + self._n_theta + 1

    _npar = npar

    @property
    def random_names(self) -> list[str]:
        """lme4's names of the random effects, e.g. ``['(Intercept)', 'ses']``."""
        return list(self._z.names)

    @property
    def loglik(self) -> float:
        """Log-likelihood (the REML log-likelihood for REML fits, as lme4's logLik)."""
        return -0.5 * self.criterion(self.theta)

    @property
    def aic(self) -> float:
        """-2 logLik + 2 npar, npar = fixed effects + theta + 1."""
        return -2.0 * self.loglik + 2.0 * self._npar

    @property
    def bic(self) -> float:
        """-2 logLik + npar log(n)."""
        return -2.0 * self.loglik + self._npar * np.log(self.nobs)

    @property
    def deviance(self) -> float:
        """-2 log-likelihood of the ML kind: lme4's ``deviance(m, REML = FALSE)``.

        For a REML fit it is evaluated at the REML estimates of theta and beta.
        """
        d = self._decomposition
        n = self.nobs
        return float(d.logdet_v + n * (1.0 + _reml.LOG_2PI + np.log(d.pwrss / n)))

    @property
    def df_resid(self) -> int:
        """nobs minus the number of parameters (lme4's df.resid)."""
        return self.nobs - self._npar

    # -- fixed effects -----------------------------------------------------------------
    @property
    def _fixed_names(self) -> list[str]:
        return self._x.names

    @property
    def _random_names(self) -> list[str]:
        return self._z.names

    @cached_property
    def vcov(self) -> pd.DataFrame:
        """Covariance matrix of the fixed effects, sigma^2 (X'V^-1X)^-1 (lme4's vcov())."""
        rxi = np.linalg.inv(self._decomposition.rx)
        values = self.sigma**2 * (rxi @ rxi.T)
        return pd.DataFrame(values, index=self._fixed_names, columns=self._fixed_names)

    @cached_property
    def corr_fixef(self) -> pd.DataFrame:
        """Correlation of the fixed-effect estimates (summary()'s 'Correlation of Fixed Effects')."""
        v = self.vcov.to_numpy()
        sd = np.sqrt(np.diag(v))
        return pd.DataFrame(v / np.outer(sd, sd), index=self.vcov.index, columns=self.vcov.columns)

    @cached_property
    def _satterthwaite(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        varpar = np.r_[self.theta, self.sigma]
        cp, reml = self._cp, self.REML
        hess = _satterthwaite.hessian(lambda v: _reml.varpar_deviance(cp, v, reml), varpar)
        a, notes = _satterthwaite.varpar_covariance(hess)
        p = cp.p
        jac = _satterthwaite.jacobian(lambda v: _reml.vcov_beta(cp, v), varpar).reshape(p, p, -1)
        return a, jac, notes

    @cached_property
    def fixef(self) -> pd.DataFrame:
        """Fixed effects with Satterthwaite t-tests (lmerTest's summary table).

        Columns ``Estimate``, ``Std. Error``, ``df``, ``t value``, ``Pr(>|t|)``, indexed by
        lme4's term names. Computed on first access (the df need numerical derivatives).
        """
        estimate = self._decomposition.beta
        vcov = self.vcov.to_numpy()
        se = np.sqrt(np.diag(vcov))
        df = self.satterthwaite_df(np.eye(len(estimate)))
        t = estimate / se
        p = 2.0 * stats.t.sf(np.abs(t), df)
        return pd.DataFrame(
            {"Estimate": estimate, "Std. Error": se, "df": df, "t value": t, "Pr(>|t|)": p},
            index=pd.Index(self._fixed_names, name=None),
        )

    def satterthwaite_df(self, contrasts) -> np.ndarray:
        """Satterthwaite df of contrasts l'beta (rows of ``contrasts``), as lmerTest's contest1D.

        Parameters
        ----------
        contrasts : array-like, shape (k, p)
            One row per contrast over the fixed effects in ``fixef`` order.

        Returns
        -------
        numpy.ndarray
            The k degrees of freedom.
        """
        contrasts = np.atleast_2d(np.asarray(contrasts, dtype=float))
        a, jac, notes = self._satterthwaite
        for note in notes:
            if note not in self.messages:
                self._warn(note)
        return _satterthwaite.satterthwaite_df(self.vcov.to_numpy(), jac, a, contrasts)

    @property
    def params(self) -> pd.Series:
        """Fixed-effect estimates (cheap: no Satterthwaite df needed)."""
        return pd.Series(self._decomposition.beta, index=self._fixed_names, name="Estimate")

    # -- random effects ----------------------------------------------------------------
    @cached_property
    def cov_re(self) -> pd.DataFrame:
        """Covariance matrix of the random effects, sigma^2 L L' (lme4's VarCorr)."""
        factor = self._decomposition.factor
        values = self.sigma**2 * factor @ factor.T
        return pd.DataFrame(values, index=self._random_names, columns=self._random_names)

    @cached_property
    def varcorr(self) -> pd.DataFrame:
        """lme4's Random effects table: Groups, Name, Variance, Std.Dev., Corr (Residual last).

        With more than two random effects the correlations with the second, third, ...
        effect are in columns ``Corr 2``, ``Corr 3``.
        """
        cov = self.cov_re.to_numpy()
        q = len(cov)
        sd = np.sqrt(np.diag(cov))
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = cov / np.outer(sd, sd)
        rows = []
        for i, name in enumerate(self._random_names):
            row = {
                "Groups": self.group if i == 0 else "",
                "Name": name,
                "Variance": cov[i, i],
                "Std.Dev.": sd[i],
            }
            for j in range(q - 1):
                row["Corr" if j == 0 else f"Corr {j + 1}"] = corr[i, j] if j < i else np.nan
            rows.append(row)
        rows.append(
            {"Groups": "Residual", "Name": "", "Variance": self.sigma**2, "Std.Dev.": self.sigma}
        )
        table = pd.DataFrame(rows)
        if q == 1:
            table["Corr"] = np.nan
        return table

    @cached_property
    def _modes(self) -> tuple[np.ndarray, np.ndarray]:
        return _reml.conditional_modes(self._cp, self._decomposition, self.sigma)

    def _group_frame(self, values) -> pd.DataFrame:
        index = pd.Index(self._levels, name=self.group)
        return pd.DataFrame(values, index=index, columns=self._random_names)

    @property
    def ranef(self) -> pd.DataFrame:
        """Conditional modes of the random effects, one row per group (lme4's ranef())."""
        return self._group_frame(self._modes[0])

    @property
    def ranef_sd(self) -> pd.DataFrame:
        """Conditional SDs of the random effects (sqrt of lme4's condVar), shaped as ranef."""
        cond = self._modes[1]
        return self._group_frame(np.sqrt(np.diagonal(cond, axis1=1, axis2=2)))

    @property
    def coef(self) -> pd.DataFrame:
        """Group-specific coefficients: fixed effects plus the group's random effects (coef())."""
        beta = self.params
        table = pd.DataFrame(
            np.tile(beta.to_numpy(), (self.ngroups, 1)),
            index=pd.Index(self._levels, name=self.group),
            columns=beta.index,
        )
        ranef = self.ranef
        for name in ranef.columns:
            if name in table.columns:
                table[name] = table[name] + ranef[name]
            else:
                table[name] = ranef[name]
        return table

    # -- fitted values and residuals --------------------------------------------------
    def fitted(self) -> pd.Series:
        """Fitted values X beta + Z b (conditional on the random effects)."""
        values = self._x.matrix @ self._decomposition.beta
        values = values + np.sum(self._z.matrix * self._modes[0][self._codes], axis=1)
        return pd.Series(values, index=self.data.index, name="fitted")

    def resid(self) -> pd.Series:
        """Conditional residuals y - fitted."""
        return pd.Series(self._y - self.fitted().to_numpy(), index=self.data.index, name="resid")

    @property
    def scaled_residuals(self) -> pd.Series:
        """Min, 1Q, Median, 3Q, Max of resid / sigma (R's quantile type 7)."""
        scaled = self.resid().to_numpy() / self.sigma
        values = np.quantile(scaled, [0, 0.25, 0.5, 0.75, 1.0])
        return pd.Series(values, index=["Min", "1Q", "Median", "3Q", "Max"], name="scaled")

    # -- identification ----------------------------------------------------------------
    @cached_property
    def _between_slopes(self) -> list[str]:
        """Random slopes constant within every group whose covariance is not identified.

        Such a column enters each group's covariance only through z' Sigma z at the group's
        value z, so only those quadratic forms are identified; with too few distinct values
        (e.g. a 0/1 treatment: two values, three parameters) there is a ridge of equal fits.
        """
        z = self._z.matrix
        names = self._random_names
        if "(Intercept)" not in names or len(names) < 2:
            return []
        spread = np.zeros(z.shape[1])
        for k in range(z.shape[1]):
            low = np.full(self.ngroups, np.inf)
            high = np.full(self.ngroups, -np.inf)
            np.minimum.at(low, self._codes, z[:, k])
            np.maximum.at(high, self._codes, z[:, k])
            spread[k] = np.max(high - low)
        constant = [k for k in range(z.shape[1]) if spread[k] <= 1e-12]
        slopes = [k for k in constant if names[k] != "(Intercept)"]
        if not slopes:
            return []
        rows = np.unique(z[:, constant], axis=0)
        m = len(constant)
        tri = np.triu_indices(m)
        quad = np.array([np.outer(r, r)[tri] for r in rows])
        if np.linalg.matrix_rank(quad) >= m * (m + 1) // 2:
            return []
        return [names[k] for k in slopes]

    @property
    def identified_re(self) -> pd.DataFrame:
        """The identified variance of the group effect at each observed value of a between-group slope.

        One row per value of each random slope that is constant within every group and whose
        variance the data cannot identify: ``Var(u0 + value * u1) = var0 + 2 value cov + value^2
        var1``. Columns ``term``, ``value``, ``Variance``; empty when every parameter is identified.
        """
        cov = self.cov_re
        rows = []
        for term in self._between_slopes:
            k = self._random_names.index(term)
            for value in np.unique(self._z.matrix[:, k]):
                weights = np.zeros(len(cov))
                weights[self._random_names.index("(Intercept)")] = 1.0
                weights[k] = value
                rows.append(
                    {"term": term, "value": value, "Variance": weights @ cov.to_numpy() @ weights}
                )
        return pd.DataFrame(rows, columns=["term", "value", "Variance"])

    @cached_property
    def identification_notes(self) -> list[str]:
        """Plain-language notes on random-effect parameters the data cannot identify."""
        notes = []
        table = self.identified_re
        for term in self._between_slopes:
            part = table[table["term"] == term]
            at = "; ".join(
                f"at {term} = {v:g}: {var:.4g}"
                for v, var in zip(part["value"], part["Variance"], strict=True)
            )
            notes.append(
                f"The random slope of {term!r} is constant within every {self.group}, so its "
                f"variance and its correlation with the intercept are not identified (other values "
                f"fit equally well). Identified is the variance among {self.group} at each value of "
                f"{term} (intercept + 2 value cov + value^2 slope variance), {at}; see identified_re."
            )
        return notes

    # -- summary, intervals, predictions ---------------------------------------------------
    def summary(self, data_name: str = "data") -> LmerSummary:
        """lmerTest's summary: ``print()`` shows R's text, notebooks an HTML table.

        Parameters
        ----------
        data_name : str, default "data"
            The name printed on the ``Data:`` line (R prints the data argument's name).

        Returns
        -------
        LmerSummary

        Notes
        -----
        The layout and rounding of R's ``print(summary(m))`` for an lmerTest fit (lme4's
        ``print.summary.merMod`` with ``printCoefmat(digits = 4)``); notes on dropped rows and
        unidentified parameters are added, the first under the table of random effects.
        """
        return LmerSummary(self, data_name)

    def confint(self, level: float = 0.95, method: str = "Wald") -> pd.DataFrame:
        """Confidence intervals as lme4's ``confint(m, level, method)``.

        Parameters
        ----------
        level : float, default 0.95
        method : {"Wald", "profile"}
            ``"Wald"``: estimate +/- z SE for the fixed effects; the rows of the variance
            parameters (``.sig01``, ..., ``.sigma``) are NaN, as in lme4.
            ``"profile"`` (random-intercept models): likelihood-profile intervals for the
            random-intercept SD (``.sig01``), the residual SD (``.sigma``) and every fixed effect.

        Returns
        -------
        pandas.DataFrame
            Rows ``.sig01``, ..., ``.sigma``, then the fixed effects; columns named as R names
            them, e.g. ``2.5 %`` and ``97.5 %``.

        Notes
        -----
        As lme4's ``profile()`` does, the profile uses the ML deviance (a REML fit is refitted
        by ML): the interval holds the values whose profiled deviance exceeds the minimum by
        at most ``qchisq(level, 1)``. lme4 interpolates its profile with splines, so its limits
        differ from these exact roots in the fourth or fifth digit.
        """
        if not 0 < level < 1:
            raise ValueError(f"level must be between 0 and 1, e.g. 0.95, not {level!r}.")
        low, high = (1 - level) / 2, 1 - (1 - level) / 2
        columns = [_percent_label(low), _percent_label(high)]
        names = [f".sig{i + 1:02d}" for i in range(self._n_theta)] + [".sigma"]
        if method == "profile":
            return _profile_intervals(self, level, names, columns)
        if method != "Wald":
            raise ValueError(f"method must be 'Wald' or 'profile', not {method!r}.")
        z = stats.norm.ppf(high)
        beta = self.params
        se = np.sqrt(np.diag(self.vcov.to_numpy()))
        fixed = pd.DataFrame(
            {columns[0]: beta.to_numpy() - z * se, columns[1]: beta.to_numpy() + z * se},
            index=beta.index,
        )
        variance = pd.DataFrame(np.nan, index=names, columns=columns)
        return pd.concat([variance, fixed])

    def predict(self, newdata: pd.DataFrame | None = None, re: bool = True) -> pd.Series:
        """Predictions X beta (+ Z b with ``re=True``), as lme4's ``predict()``.

        Parameters
        ----------
        newdata : pandas.DataFrame, optional
            Rows to predict; default the model frame. Groups not seen in the fit get the
            population prediction (random effects 0), as lme4's ``allow.new.levels = TRUE``.
        re : bool, default True
            Include the groups' conditional modes (lme4's ``re.form = NULL``); False gives
            ``re.form = NA``.

        Returns
        -------
        pandas.Series
        """
        if newdata is None:
            return (
                self.fitted()
                if re
                else pd.Series(
                    self._x.matrix @ self._decomposition.beta, index=self.data.index, name="fitted"
                )
            )
        needed = [v for v in self._parsed.variables if v != self._parsed.response]
        if not re:
            needed = [v for v in needed if v != self.group]
        _check_data(newdata, needed, self.formula)
        frame = newdata[needed]
        x = _design_like(
            self._x, self._parsed.fixed_terms, self._parsed.fixed_intercept, frame, self.data
        )
        values = x @ self._decomposition.beta
        if re:
            z = _design_like(
                self._z, self._parsed.random_terms, self._parsed.random_intercept, frame, self.data
            )
            lookup = {level: i for i, level in enumerate(self._levels)}
            idx = np.array([lookup.get(v, -1) for v in frame[self.group]])
            modes = np.vstack([self._modes[0], np.zeros(len(self._random_names))])
            values = values + np.sum(z * modes[idx], axis=1)
        return pd.Series(values, index=newdata.index, name="predicted")

    def __repr__(self) -> str:
        kind = "REML" if self.REML else "ML"
        return (
            f"<LmerResult {self.formula!r} fit by {kind}: {self.nobs} obs, {self.ngroups} "
            f"groups of {self.group}>"
        )


def _profile_root(excess, estimate: float, floor: float) -> tuple[float, float]:
    """Where ``excess`` (profiled deviance - minimum - cutoff) crosses 0 below and above."""
    if excess(floor) <= 0:
        lower = floor
    else:
        lower = optimize.brentq(excess, floor, estimate, xtol=1e-10)
    step = max(abs(estimate), 1e-3)
    upper_bracket = estimate + step
    while excess(upper_bracket) <= 0:
        step *= 2
        upper_bracket = estimate + step
    upper = optimize.brentq(excess, estimate, upper_bracket, xtol=1e-10)
    return lower, upper


def _min_over_theta(objective, theta_hat: float) -> float:
    """Minimise a function of the scalar theta of a random-intercept model over [0, big]."""
    big = 10.0 * (theta_hat + 1.0)
    result = optimize.minimize_scalar(
        objective, bounds=(0.0, big), method="bounded", options={"xatol": 1e-10}
    )
    return float(min(result.fun, objective(0.0)))


def _profile_intervals(result: LmerResult, level: float, names, columns) -> pd.DataFrame:
    """lme4's profile intervals for a random-intercept model, from the ML deviance."""
    if result._cp.q != 1:
        raise ValueError(
            "method='profile' is available for random-intercept models (1 | g); for this "
            f"model ({result._random_names} random effects) use method='Wald'."
        )
    ml = result.refit_ml()
    cp, theta_hat, sigma_hat = ml._cp, float(ml.theta[0]), ml.sigma
    cutoff = stats.chi2.ppf(level, 1)
    base = _reml.varpar_deviance(cp, np.array([theta_hat, sigma_hat]), False)

    def deviance(theta, sigma):
        return _reml.varpar_deviance(cp, np.array([theta, sigma]), False)

    def sd_excess(sd):
        # fix the random-intercept SD; the ML deviance is minimised over sigma (beta profiled)
        fit = optimize.minimize_scalar(
            lambda log_s: deviance(sd / np.exp(log_s), np.exp(log_s)),
            bounds=(np.log(sigma_hat) - 5, np.log(sigma_hat) + 5),
            method="bounded",
            options={"xatol": 1e-10},
        )
        return fit.fun - base - cutoff

    def sigma_excess(sigma):
        return _min_over_theta(lambda t: deviance(t, sigma), theta_hat) - base - cutoff

    rows = [
        _profile_root(sd_excess, theta_hat * sigma_hat, 0.0),
        _profile_root(sigma_excess, sigma_hat, sigma_hat * 1e-3),
    ]
    p = cp.p
    for j in range(p):
        keep = [k for k in range(p) if k != j]

        def beta_excess(b, j=j, keep=keep):
            # beta_j fixed at b: drop its column and move b x_j into an offset
            transform = np.zeros((p + 1, p))
            transform[keep, range(p - 1)] = 1.0
            transform[p, p - 1] = 1.0
            transform[j, p - 1] = -b
            reduced = _reml.CrossProducts(
                n=cp.n,
                p=p - 1,
                q=cp.q,
                ztz=cp.ztz,
                zta=cp.zta @ transform,
                ata=transform.T @ cp.ata @ transform,
            )
            crit = _min_over_theta(
                lambda t: _reml.profiled_criterion(reduced, np.array([t]), False), theta_hat
            )
            return crit - base - cutoff

        estimate = float(ml.params.iloc[j])
        se = float(np.sqrt(ml.vcov.iloc[j, j]))
        rows.append(_profile_root(beta_excess, estimate, estimate - 20 * se))
    index = names + list(result.params.index)
    return pd.DataFrame(rows, index=index, columns=columns)


def _percent_label(p: float) -> str:
    """R's label for a quantile column, e.g. '2.5 %'."""
    return f"{100 * p:.3g} %"


def _design_like(design: DesignMatrix, terms, intercept, frame, fitted_data) -> np.ndarray:
    """Build newdata's columns with the fit's factor levels (so the columns line up)."""
    used = list(dict.fromkeys(v for term in terms for v in term))
    combined = pd.concat([fitted_data[used], frame[used]])
    for column in used:
        if column in fitted_data and not pd.api.types.is_numeric_dtype(fitted_data[column]):
            known = set(factor_levels(fitted_data[column]))
            unknown = set(frame[column].dropna()) - known
            if unknown:
                raise ValueError(
                    f"newdata column {column!r} has level(s) {sorted(map(str, unknown))} not "
                    f"seen in the fit; known levels: {sorted(map(str, known))}."
                )
    built = build_design(terms, intercept, combined)
    if built.names != design.names:
        raise ValueError(f"newdata gives columns {built.names}, the fit has {design.names}.")
    return built.matrix[len(combined) - len(frame) :]


def lmer(
    formula: str,
    data: pd.DataFrame,
    REML: bool = True,
    *,
    optimizer: str | None = None,
    start=None,
) -> LmerResult:
    """Fit a linear mixed model with one grouping factor, as lme4's ``lmer``.

    Parameters
    ----------
    formula : str
        lme4 syntax, e.g. ``"math_score ~ intervention * ses + (1 + intervention | classroom_id)"``.
    data : pandas.DataFrame
        The data. Rows with a missing value in a column the formula uses are dropped (with a
        ``UserWarning`` and the count in ``n_dropped``).
    REML : bool, default True
        Restricted maximum likelihood (True, lme4's default) or maximum likelihood.
    optimizer : {"powell", "nelder-mead", "lbfgsb"}, optional
        The scipy method to use. None (default) tries them in turn and keeps the best criterion.
    start : array-like, optional
        Initial theta in lme4's order; default the identity, as lme4.

    Returns
    -------
    LmerResult

    Notes
    -----
    For group g, ``y_g = X_g beta + Z_g u_g + e_g`` with ``u_g ~ N(0, sigma^2 L L')``,
    ``e_g ~ N(0, sigma^2 I)``. With ``V = I + Z L L' Z'`` lme4 minimises over theta the profiled

    REML: ``log|V| + log|X'V^-1X| + (n - p)(1 + log(2 pi r'V^-1r / (n - p)))``

    ML: ``log|V| + n(1 + log(2 pi r'V^-1r / n))``

    computed here from per-group cross-products. t-tests use Satterthwaite's df as lmerTest's
    ``summary()``. Matches R's ``lmerTest::lmer``.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmtutor import lmer
    >>> data = pd.DataFrame({"y": [1.0, 2.1, 2.9, 4.2, 5.1, 5.8, 7.2, 8.1],
    ...                      "g": ["a", "a", "b", "b", "c", "c", "d", "d"]})
    >>> fit = lmer("y ~ 1 + (1 | g)", data)
    >>> round(fit.fixef.loc["(Intercept)", "Estimate"], 3)
    np.float64(4.55)
    """
    parsed = parse_formula(formula)
    columns = parsed.columns_used()
    _check_data(data, columns, formula)
    frame, n_dropped, culprits = _drop_missing(data, columns)
    messages: list[str] = []
    if n_dropped:
        message = (
            f"{n_dropped} row(s) with missing values in {', '.join(culprits)} dropped "
            "(as lme4's na.omit does)"
        )
        messages.append(message)
        warnings.warn(message, UserWarning, stacklevel=2)
    y = _check_response(frame, parsed.response)
    levels = factor_levels(frame[parsed.group])
    if len(levels) < 2:
        raise ValueError(
            f"The grouping factor {parsed.group!r} has {len(levels)} level(s) "
            f"({levels}); a random effect needs at least two groups (in practice many more)."
        )
    codes = pd.Categorical(frame[parsed.group], categories=levels).codes.astype(np.intp)
    x = build_design(parsed.fixed_terms, parsed.fixed_intercept, frame)
    z = build_design(parsed.random_terms, parsed.random_intercept, frame)
    _check_rank(x, "fixed-effect")
    q = z.matrix.shape[1]
    n_params = x.matrix.shape[1] + q * (q + 1) // 2 + 1
    if len(frame) <= n_params:
        raise ValueError(
            f"{len(frame)} complete rows cannot fit {n_params} parameters "
            f"({x.matrix.shape[1]} fixed effects, {q * (q + 1) // 2} random-effect parameters "
            "and the residual variance); use more data or a smaller model."
        )
    cp = _reml.cross_products(x.matrix, y, z.matrix, codes, len(levels))
    result = LmerResult(formula, frame, REML, n_dropped, messages, parsed, x, z, y, codes,
                        levels, cp)  # fmt: skip
    result._fit(optimizer, start)
    return result


def icc(result: LmerResult) -> float:
    """Intraclass correlation of a random-intercept model: tau00 / (tau00 + sigma^2).

    Parameters
    ----------
    result : LmerResult
        A fit with a random intercept only, ``(1 | g)``.

    Returns
    -------
    float

    Notes
    -----
    The share of the (residual) outcome variance that lies between groups; in R,
    ``as.data.frame(VarCorr(m))$vcov`` gives tau00 and sigma^2 (``performance::icc``).

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmtutor import lmer, icc
    >>> data = pd.DataFrame({"y": [1.0, 2.1, 2.9, 4.2, 5.1, 5.8, 7.2, 8.1],
    ...                      "g": ["a", "a", "b", "b", "c", "c", "d", "d"]})
    >>> round(icc(lmer("y ~ 1 + (1 | g)", data)), 3)
    0.926
    """
    if not isinstance(result, LmerResult):
        raise TypeError(f"icc() needs an LmerResult from lmer(), not {type(result).__name__}.")
    if result._random_names != ["(Intercept)"]:
        raise ValueError(
            f"icc() needs a random-intercept model, (1 | {result.group}); this model's random "
            f"effects are {result._random_names}. With random slopes the share of variance "
            "between groups depends on the predictor's value."
        )
    tau00 = float(result.cov_re.iloc[0, 0])
    return tau00 / (tau00 + result.sigma**2)


def _caller_names(models, frame) -> list[str]:
    """Name positional models by the caller's variables, as R names anova() rows."""
    caller = frame.f_back if frame is not None else None
    scopes = [caller.f_locals, caller.f_globals] if caller is not None else []
    names = []
    for i, model in enumerate(models):
        found = next(
            (
                k
                for scope in scopes
                for k, v in scope.items()
                if v is model and not k.startswith("_")
            ),
            None,
        )
        names.append(found if found and found not in names else f"model{i + 1}")
    return names


def anova(*models: LmerResult, **named: LmerResult) -> pd.DataFrame:
    """Likelihood-ratio tests between nested models, as lme4's ``anova(m0, m1)``.

    Parameters
    ----------
    *models, **named : LmerResult
        Two or more fits of the same data. Rows are named by keyword, else by the caller's
        variable names (as R does), else ``model1``, ``model2``, ...

    Returns
    -------
    pandas.DataFrame
        Columns ``npar``, ``AIC``, ``BIC``, ``logLik``, ``deviance``, ``Chisq``, ``Df``,
        ``Pr(>Chisq)``; rows ordered by npar as lme4 orders them.

    Notes
    -----
    REML fits are refitted by ML first (a UserWarning says so, as lme4's
    "refitting model(s) with ML (instead of REML)"). Chisq is the drop in deviance from
    the previous row, Df the added parameters, and the p-value the upper chi-square tail.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> from hlmtutor import lmer, anova
    >>> data = pd.DataFrame({"y": [1.0, 2.1, 2.9, 4.2, 5.1, 5.8, 7.2, 8.1],
    ...                      "x": [0, 1, 0, 1, 0, 1, 0, 1],
    ...                      "g": ["a", "a", "b", "b", "c", "c", "d", "d"]})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     table = anova(m0=lmer("y ~ 1 + (1 | g)", data), m1=lmer("y ~ x + (1 | g)", data))
    >>> list(table.index), int(table.loc["m1", "Df"])
    (['m0', 'm1'], 1)
    """
    fits = dict(zip(_caller_names(models, inspect.currentframe()), models, strict=True))
    clash = set(fits) & set(named)
    if clash:
        raise ValueError(f"Two models are named {sorted(clash)}; give each a distinct name.")
    fits.update(named)
    if len(fits) < 2:
        raise ValueError("anova() compares two or more models, e.g. anova(m0, m1).")
    for name, fit in fits.items():
        if not isinstance(fit, LmerResult):
            raise TypeError(f"{name} is a {type(fit).__name__}; anova() takes lmer() results.")
    nobs = {name: fit.nobs for name, fit in fits.items()}
    if len(set(nobs.values())) > 1:
        raise ValueError(
            f"The models were fitted to different numbers of observations {nobs}; compare "
            "models fitted to the same rows (drop missing values first)."
        )
    if any(fit.REML for fit in fits.values()):
        warnings.warn("refitting model(s) with ML (instead of REML)", UserWarning, stacklevel=2)
        fits = {name: fit.refit_ml() if fit.REML else fit for name, fit in fits.items()}
    order = sorted(fits, key=lambda name: fits[name]._npar)
    rows = []
    previous = None
    for name in order:
        fit = fits[name]
        row = {
            "npar": fit._npar,
            "AIC": fit.aic,
            "BIC": fit.bic,
            "logLik": fit.loglik,
            "deviance": fit.deviance,
            "Chisq": np.nan,
            "Df": np.nan,
            "Pr(>Chisq)": np.nan,
        }
        if previous is not None:
            # lme4: 2 * pmax(0, diff(logLik))
            chisq = max(0.0, previous.deviance - fit.deviance)
            df = fit._npar - previous._npar
            row["Chisq"] = chisq
            row["Df"] = df
            row["Pr(>Chisq)"] = stats.chi2.sf(chisq, df) if df > 0 else np.nan
        rows.append(row)
        previous = fit
    table = pd.DataFrame(rows, index=order)
    table["npar"] = table["npar"].astype(int)
    table["Df"] = table["Df"].astype("Int64")
    table.attrs["formulas"] = {name: fits[name].formula for name in order}
    return table
