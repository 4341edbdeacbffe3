"""The fitted model, assembled once from the pieces of the pipeline (lme4's ``mkMerMod``).

Every attribute is read-only. Quantities that cost numerical derivatives (the Satterthwaite
table) are computed on first access by :mod:`hlmtutor.lmm.inference`; everything else follows
from the optimum.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._blas import single_threaded
from .deviance import LOG_2PI, Deviance, Solution
from .merbase import MerResult
from .merbase import level_index as _level_index  # noqa: F401  (old name, other branches)
from .optimize import Optimum
from .terms import ReTerms

if TYPE_CHECKING:  # pragma: no cover
    from .frame import ModelFrame
    from .summary import LmerSummary

__all__ = ["LmerResult"]


@dataclass(frozen=True, eq=False)
class LmerResult(MerResult):
    """A fitted linear mixed model (returned by :func:`hlmtutor.lmer`).

    Attributes follow lme4's accessors. ``ranef``, ``ranef_sd`` and ``coef`` are dicts keyed by
    grouping factor (as lme4's lists); ``cov_re`` is keyed by random-effects term, named as
    ``VarCorr`` names them (``g``, and ``g.1`` for a second term on ``g``). ``summary(ddf=...)``
    is lmerTest's ``summary(fit, ddf = ...)`` ("Satterthwaite", "Kenward-Roger" or "lme4").

    Attributes
    ----------
    formula : str
        The model formula as given.
    REML : bool
        True for a REML fit, False for maximum likelihood.
    data : pandas.DataFrame
        The model frame: the formula's columns, rows with missing values dropped.
    n_dropped : int
        Rows dropped for missing values (lme4's na.omit).
    n_excluded : int
        Rows ``subset=`` left out (before missing values were handled).
    na_action : {"omit", "exclude"}
        With "exclude", ``fitted()``, ``resid()`` and ``predict()`` are padded with NaN to the
        rows of the data (R's ``na.exclude``).
    lost_groups : dict
        Per grouping factor, the levels that lost all their rows to missing values.
    messages : tuple of str
        Notes and warnings of the fit (dropped rows and columns, convergence, singular fit).
    theta : numpy.ndarray
        lme4's covariance parameters, terms in lme4's order.
    optimizer : str or None
        The optimizer used (None for ``optimizer=None``: evaluated at ``start``); ``converged`` says whether lme4's checks passed, ``feval`` counts
        deviance evaluations.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmtutor import lmer
    >>> data = pd.DataFrame({"y": [1.0, 2.1, 2.9, 4.2, 5.1, 5.8, 7.2, 8.1],
    ...                      "g": ["a", "a", "b", "b", "c", "c", "d", "d"]})
    >>> fit = lmer("y ~ 1 + (1 | g)", data)
    >>> list(fit.fixef.columns)
    ['Estimate', 'Std. Error', 'df', 't value', 'Pr(>|t|)']
    >>> fit.ngroups
    {'g': 4}
    >>> list(fit.vc["grp"])
    ['g', 'Residual']
    """

    formula: str
    REML: bool
    frame: ModelFrame
    reterms: ReTerms
    deviance_function: Deviance
    optimum: Optimum
    prior_weights: np.ndarray | None = None  # lme4's weights= (None: all 1)
    offset: np.ndarray | None = None  # offset() terms plus offset= (None: no offset)
    weights_name: str | None = None  # what the summary prints on "Weights:"
    offset_name: str | None = None  # and on " Offset:" (the offset= argument)
    # The offset= argument alone on the model frame's rows (without the formula's offset()
    # terms), for update(); None without one. The weights= argument is prior_weights.
    offset_argument: np.ndarray | None = None
    n_excluded: int = 0  # rows R's subset= left out (before missing values are handled)
    na_action: str = "omit"  # "exclude": fitted/resid/predict padded to padded_index
    padded_index: pd.Index | None = None  # the rows of data after subset (na_action="exclude")

    # -- the fit ---------------------------------------------------------------------------
    @property
    def messages(self) -> tuple[str, ...]:
        """What lme4 would print beside the fit: dropped rows, groups and columns, convergence
        and singular-fit messages, and notes on parameters the data cannot identify."""
        return (
            tuple(self.frame.messages)
            + tuple(self.optimum.messages)
            + tuple(self.identification_notes)
        )

    @property
    def theta(self) -> np.ndarray:
        theta = self.optimum.theta.copy()
        theta.flags.writeable = False
        return theta

    @cached_property
    @single_threaded
    def _solution(self) -> Solution:
        return self.deviance_function.solve(self.optimum.theta)

    def criterion(self, theta) -> float:
        """The profiled REML criterion (REML fits) or ML deviance at ``theta``.

        Parameters
        ----------
        theta : array-like
            lme4's parameters: per term (lme4's order) the lower triangle of its relative
            covariance factor, column by column.

        Returns
        -------
        float
            What lme4 minimises ("REML criterion at convergence" at the optimum).
        """
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (self.reterms.n_theta,):
            raise ValueError(
                f"theta must hold {self.reterms.n_theta} values in lme4's order "
                f"({', '.join(self.reterms.theta_names())}), got {theta}."
            )
        return self.deviance_function(theta)

    def refit_ml(self) -> LmerResult:
        """The same model refitted by maximum likelihood (lme4's ``refitML``)."""
        if not self.REML:
            return self
        from .fit import refit

        return refit(self, reml=False)

    # -- scalars ---------------------------------------------------------------------------
    @property
    def nobs(self) -> int:
        return self.deviance_function.n

    @property
    def npar(self) -> int:
        """Fixed effects + theta + the residual SD (the df of lme4's logLik)."""
        return self.deviance_function.p + self.reterms.n_theta + 1

    @cached_property
    def sigma(self) -> float:
        """Residual SD: sqrt(pwrss / (n - p)) for REML, sqrt(pwrss / n) for ML."""
        return self.deviance_function.sigma(self._solution)

    @property
    def reml_criterion(self) -> float:
        """lme4's ``REMLcrit()``: the criterion at convergence (NaN for ML fits)."""
        return self.optimum.fval if self.REML else float("nan")

    @property
    def loglik(self) -> float:
        """Log-likelihood (the REML log-likelihood for REML fits, as lme4's logLik)."""
        return -0.5 * self.deviance_function.criterion_of(self._solution)

    @property
    def deviance(self) -> float:
        """lme4's ``deviance(m, REML = FALSE)``: the ML deviance at this fit's theta and beta."""
        dev = self.deviance_function
        sol = self._solution
        n = self.nobs
        return float(sol.ldl2 + n * (1.0 + LOG_2PI + np.log(dev.pwrss(sol) / n)) - dev.log_weights)

    # -- fixed effects -----------------------------------------------------------------------
    @property
    def _fixed_names(self) -> list[str]:
        return list(self.frame.x_names)

    @cached_property
    def params(self) -> pd.Series:
        """Fixed-effect estimates (lme4's ``fixef``)."""
        beta = self.deviance_function.beta(self._solution)
        return pd.Series(beta, index=self._fixed_names, name="Estimate")

    @cached_property
    def vcov(self) -> pd.DataFrame:
        """Covariance of the fixed effects, sigma^2 (X'V^-1X)^-1 (lme4's ``vcov``)."""
        values = self.sigma**2 * self.deviance_function.unscaled_vcov(self._solution)
        return pd.DataFrame(values, index=self._fixed_names, columns=self._fixed_names)

    @cached_property
    def fixef(self) -> pd.DataFrame:
        """lmerTest's table: Estimate, Std. Error, df (Satterthwaite), t value, Pr(>|t|)."""
        from .inference import coefficient_table

        return coefficient_table(self)

    @cached_property
    def varpar_covariance(self):
        """lmerTest's covariance of (theta, sigma), A = 2 H^-1, with the Jacobian of vcov(beta)
        (a ``hlmtutor.lmm.inference.VarparCovariance``; its ``notes`` say when H is not
        positive definite)."""
        from .inference import varpar_covariance

        return varpar_covariance(self)

    @property
    def _varpar_covariance(self):  # the old private name, kept for other branches
        return self.varpar_covariance

    def satterthwaite_df(self, contrasts) -> np.ndarray:
        """Satterthwaite df of the contrasts l'beta (rows of ``contrasts``), as lmerTest.

        Parameters
        ----------
        contrasts : array-like, shape (k, p)

        Returns
        -------
        numpy.ndarray
        """
        from .inference import contrast_df

        return contrast_df(self, contrasts)

    @cached_property
    @single_threaded
    def re_modes(self) -> list[np.ndarray]:
        """Conditional modes b per random-effects term (lme4's order), (l_k, q_k) each."""
        return self.deviance_function.modes(self._solution)

    @property
    def _modes(self) -> list[np.ndarray]:  # the old private name, kept for other branches
        return self.re_modes

    @property
    def re_condvar(self) -> list[np.ndarray]:
        """Conditional covariance blocks per term in units of sigma^2, (l_k, q_k, q_k) each."""
        return self._cond_var

    @cached_property
    @single_threaded
    def _cond_var(self) -> list[np.ndarray]:
        return self.deviance_function.conditional_variances(self._solution)

    # -- fitted values and residuals -----------------------------------------------------------
    def _fitted_values(self) -> np.ndarray:
        values = self.frame.X @ self.params.to_numpy()
        if self.offset is not None:
            values = values + self.offset
        for term, modes in zip(self.reterms.terms, self._modes, strict=True):
            values = values + np.sum(term.columns * modes[term.codes], axis=1)
        return values

    def _padded(self, values: np.ndarray, name: str) -> pd.Series:
        """Values on the fitted rows, padded with NaN to the data's rows under na.exclude."""
        series = pd.Series(values, index=self.data.index, name=name)
        if self.na_action == "exclude" and self.padded_index is not None:
            return series.reindex(self.padded_index)
        return series

    def fitted(self) -> pd.Series:
        """Fitted values X beta + Z b (conditional on the random effects), plus the offset.

        With ``na_action="exclude"`` the rows of the data that were dropped for missing values
        hold NaN (R's ``naresid``)."""
        return self._padded(self._fitted_values(), "fitted")

    def resid(self) -> pd.Series:
        """Conditional residuals y - fitted (NaN-padded as ``fitted`` with na.exclude)."""
        return self._padded(self.frame.y - self._fitted_values(), "resid")

    @property
    def scaled_residuals(self) -> pd.Series:
        """Min, 1Q, Median, 3Q, Max of sqrt(w) resid / sigma (R's quantile type 7)."""
        scaled = (self.frame.y - self._fitted_values()) / self.sigma
        if self.prior_weights is not None:
            scaled = scaled * np.sqrt(self.prior_weights)
        values = np.quantile(scaled, [0, 0.25, 0.5, 0.75, 1.0])
        return pd.Series(values, index=["Min", "1Q", "Median", "3Q", "Max"], name="scaled")

    # -- identification ----------------------------------------------------------------------
    @cached_property
    def _between_slopes(self) -> dict[str, list[str]]:
        """Per term, random slopes constant within every group whose covariance is not identified.

        Such a column enters each group's covariance only through z' Sigma z at the group's
        value z, so only those quadratic forms are identified; with too few distinct values
        (e.g. a 0/1 treatment: two values, three parameters) there is a ridge of equal fits.
        """
        out = {}
        for term in self.reterms.terms:
            names = list(term.column_names)
            if "(Intercept)" not in names or len(names) < 2:
                continue
            z = term.columns
            low = np.full((term.nlev, term.q), np.inf)
            high = np.full((term.nlev, term.q), -np.inf)
            np.minimum.at(low, term.codes, z)
            np.maximum.at(high, term.codes, z)
            constant = [k for k in range(term.q) if np.max(high[:, k] - low[:, k]) <= 1e-12]
            slopes = [k for k in constant if names[k] != "(Intercept)"]
            if not slopes:
                continue
            rows = np.unique(z[:, constant], axis=0)
            m = len(constant)
            tri = np.triu_indices(m)
            quad = np.array([np.outer(r, r)[tri] for r in rows])
            if np.linalg.matrix_rank(quad) < m * (m + 1) // 2:
                out[term.name] = [names[k] for k in slopes]
        return out

    @cached_property
    def _identified_rows(self) -> list[dict]:
        rows = []
        terms = {t.name: t for t in self.reterms.terms}
        for name, slopes in self._between_slopes.items():
            term = terms[name]
            cov = self.cov_re[name].to_numpy()
            names = list(term.column_names)
            for slope in slopes:
                k = names.index(slope)
                for value in np.unique(term.columns[:, k]):
                    weights = np.zeros(len(cov))
                    weights[names.index("(Intercept)")] = 1.0
                    weights[k] = value
                    variance = float(weights @ cov @ weights)
                    rows.append(
                        {"group": name, "term": slope, "value": value, "Variance": variance}
                    )
        return rows

    @property
    def identified_re(self) -> pd.DataFrame:
        """The identified variance of a group's effect at each value of a between-group slope.

        One row per value of each random slope that is constant within every group and whose
        variance the data cannot identify: ``Var(u0 + value u1) = var0 + 2 value cov + value^2
        var1``. Columns ``group``, ``term``, ``value``, ``Variance``; empty when all is identified.
        """
        return pd.DataFrame(self._identified_rows, columns=["group", "term", "value", "Variance"])

    @cached_property
    def identification_notes(self) -> list[str]:
        """Plain-language notes on random-effect parameters the data cannot identify."""
        notes = []
        for name, slopes in self._between_slopes.items():
            for slope in slopes:
                at = "; ".join(
                    f"at {slope} = {row['value']:g}: {row['Variance']:.4g}"
                    for row in self._identified_rows
                    if row["group"] == name and row["term"] == slope
                )
                notes.append(
                    f"The random slope of {slope!r} is constant within every {name}, so its "
                    "variance and its correlation with the intercept are not identified (other "
                    f"values fit equally well). Identified is the variance among {name} at each "
                    f"value of {slope} (intercept + 2 value cov + value^2 slope variance), {at}; "
                    "see identified_re."
                )
        return notes

    # -- summary, intervals, predictions --------------------------------------------------------
    def summary(self, data_name: str = "data", ddf: str = "Satterthwaite") -> LmerSummary:
        """lmerTest's ``summary(fit, ddf = ddf)``: ``print()`` shows R's text, notebooks an HTML
        table, and the parts are data (``.coefficients``, ``.varcorr``, ...; see
        :class:`~hlmtutor.lmm.summary.LmerSummary`).

        Parameters
        ----------
        data_name : str, default "data"
            The name printed on the ``Data:`` line.
        ddf : {"Satterthwaite", "Kenward-Roger", "lme4"}, default "Satterthwaite"
            The coefficient table's t-tests, as lmerTest's ``ddf``: Satterthwaite's df;
            Kenward-Roger's df with pbkrtest's adjusted standard errors (REML fits only, as in
            lmerTest); or ``"lme4"``, lme4's own summary (class ``lmerMod``: Estimate,
            Std. Error, t value, no df or p-values).

        Returns
        -------
        LmerSummary

        Raises
        ------
        ValueError
            For an unknown ``ddf`` (the message names the three that work), or Kenward-Roger
            on an ML fit.

        Notes
        -----
        Kenward-Roger's standard errors come from the adjusted covariance of the fixed
        effects; the "Correlation of Fixed Effects" stays lme4's (from ``vcov``), as lmerTest
        prints it.

        Examples
        --------
        >>> from hlmtutor import lmer, load_school_survey
        >>> fit = lmer("score ~ 1 + (1 | school_id)", load_school_survey())
        >>> fit.summary(ddf="Kenward-Roger").title
        "Linear mixed model fit by REML. t-tests use Kenward-Roger's method"
        >>> list(fit.summary(ddf="Kenward-Roger").coefficients.columns)
        ['Estimate', 'Std. Error', 'df', 't value', 'Pr(>|t|)']
        """
        from .summary import LmerSummary

        return LmerSummary.of(self, data_name, ddf=ddf)

    def confint(self, level: float = 0.95, method: str = "Wald") -> pd.DataFrame:
        """Confidence intervals as lme4's ``confint(m, level, method)``.

        Parameters
        ----------
        level : float, default 0.95
        method : {"Wald", "profile"}
            ``"Wald"``: estimate +/- z SE for the fixed effects, NaN for the variance
            parameters (as lme4). ``"profile"``: likelihood-profile intervals for every
            parameter (``.sig01``, ..., ``.sigma`` and the fixed effects).

        Returns
        -------
        pandas.DataFrame
            Columns named as R names them, e.g. ``2.5 %`` and ``97.5 %``.

        Notes
        -----
        The profile uses the ML deviance (a REML fit is refitted by ML), as lme4's
        ``profile()``: the interval holds the values whose profiled deviance exceeds the
        minimum by at most ``qchisq(level, 1)``. lme4 interpolates its profile with splines,
        so its limits can differ from these roots in the fourth digit. Each limit is the first
        crossing of that cut-off walking outward from the estimate; at every point the other
        parameters are minimised from several starts (the optimum, the profile's previous
        point, the optimum with correlations 0), so a singular fit's profile is not held on a
        bound. A profile still below the cut-off at a parameter's bound ends there (a
        correlation of +-1, an SD of 0); one that never crosses toward an infinite bound gives
        ``inf`` (``-inf``) with a warning naming the parameter.
        """
        from .inference import confint

        return confint(self, level, method)

    def predict(
        self,
        newdata: pd.DataFrame | None = None,
        re_form: str | None = None,
        allow_new_levels: bool = False,
        *,
        re: bool | None = None,
    ) -> pd.Series:
        """Predictions X beta + Z b, as lme4's ``predict(m, newdata, re.form)``.

        Parameters
        ----------
        newdata : pandas.DataFrame, optional
            Rows to predict; default the model frame (the offset of the fit included).
        re_form : None, "NA", "~0" or str, default None
            R's ``re.form``: None includes every random term; ``"NA"`` or ``"~0"`` (or a
            formula without ``|``) none, the population-level prediction; a one-sided formula
            such as ``"~(1 | school)"`` only the random terms it names (each must be a term
            of the fit).
        allow_new_levels : bool, default False
            As lme4's ``allow.new.levels``: a level not seen in the fit (or a missing one) is
            an error, or (True) gets that factor's population value (random effect 0).
        re : bool, optional
            Shorthand: True is ``re_form=None``, False is ``re_form="NA"``.

        Returns
        -------
        pandas.Series
            Named ``predicted``, indexed as ``newdata`` (or the fitted rows).

        Examples
        --------
        >>> import pandas as pd
        >>> from hlmtutor import lmer
        >>> data = pd.DataFrame({"y": [1.0, 2.1, 2.9, 4.2, 5.1, 5.8, 7.2, 8.1],
        ...                      "g": ["a", "a", "b", "b", "c", "c", "d", "d"]})
        >>> fit = lmer("y ~ 1 + (1 | g)", data)
        >>> fit.predict(re_form="NA").round(2).unique().tolist()
        [4.55]
        """
        from .prediction import predict, random_terms_of

        terms = random_terms_of(self, re_form, re)
        values = predict(self, newdata, terms, allow_new_levels, offset=self.offset)
        return values if newdata is not None else self._padded(values.to_numpy(), "predicted")

    def __repr__(self) -> str:
        kind = "REML" if self.REML else "ML"
        groups = "; ".join(f"{k}: {v}" for k, v in self.ngroups.items())
        return f"<LmerResult {self.formula!r} fit by {kind}: {self.nobs} obs; groups {groups}>"
