"""Tools for checking mixed models and the studies that fit them.

Per-group regressions (for shrinkage plots), the boundary-corrected likelihood-ratio p-value,
lme4's relative covariance factor ``theta`` from a covariance matrix, the ridge of equally good fits
left by a random slope on a classroom-level 0/1 variable, and a summary of repeated simulations
(bias, RMSE, interval coverage).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "per_group_ols",
    "boundary_lrt_pvalue",
    "theta_from_cov",
    "slope_ridge",
    "summarise_replications",
    "fixef_intervals",
]


def per_group_ols(formula: str, data: pd.DataFrame, group: str) -> pd.DataFrame:
    """Fit the same OLS regression separately in every group.

    Parameters
    ----------
    formula : str
        A one-level model formula, e.g. ``"math_score ~ ses_cwc"`` (statsmodels formula syntax).
    data : pandas.DataFrame
        The data, with the variables of ``formula`` and the ``group`` column.
    group : str
        Column identifying the groups.

    Returns
    -------
    pandas.DataFrame
        One row per group (index named ``group``, sorted), one column per coefficient, named as lme4
        names them (``"(Intercept)"`` for the intercept). Coefficients a group cannot estimate
        (fewer rows than coefficients, or a predictor constant in the group) are NaN, with a warning.

    Notes
    -----
    Ordinary least squares ``b_j = (X_j' X_j)^-1 X_j' y_j`` in each group ``j``, with the design matrix
    built once on all rows so every group gets the same columns. Matches R's
    ``coef(lme4::lmList(y ~ x | g, data))``. Rows with a missing value in a variable of the formula are
    dropped, with a ``UserWarning`` giving the count (as ``lmList`` does silently).

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 2.0, 4.0, 6.0], "x": [0, 1, 2, 0, 1, 2],
    ...                    "g": ["a", "a", "a", "b", "b", "b"]})
    >>> per_group_ols("y ~ x", df, "g")
       (Intercept)    x
    g
    a          1.0  1.0
    b          2.0  2.0
    """
    from .lmm.frame import model_frame

    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame; got {type(data).__name__}.")
    if group not in data.columns:
        raise KeyError(
            f"group column {group!r} is not in data; its columns are {list(data.columns)}."
        )
    if not isinstance(formula, str) or "|" in formula:
        raise ValueError(
            f"formula must be a one-level formula such as 'y ~ x' (no random terms), not "
            f"{formula!r}; the groups are given by the group argument."
        )
    # The package's one formula parser: the model frame of formula + (1 | group) gives X with
    # lme4's column names, the complete rows, and the group of each row.
    frame = model_frame(f"{formula} + (1 | `{group}`)", data)
    if frame.n_dropped:
        warnings.warn(
            f"per_group_ols dropped {frame.n_dropped} row(s) with missing values in the variables "
            f"of {formula!r}.",
            UserWarning,
            stacklevel=2,
        )
    names = list(frame.x_names)
    x, y = frame.X, frame.y
    term = frame.random[0]
    rows, deficient = {}, []
    for code, level in enumerate(term.levels):
        positions = np.flatnonzero(term.codes == code)
        xj, yj = x[positions], y[positions]
        if np.linalg.matrix_rank(xj) < xj.shape[1]:
            deficient.append(level)
            rows[level] = np.full(xj.shape[1], np.nan)
        else:
            rows[level] = np.linalg.lstsq(xj, yj, rcond=None)[0]
    if deficient:
        warnings.warn(
            f"per_group_ols: group(s) {deficient[:5]} cannot estimate every coefficient (too few rows "
            "or a predictor constant within the group); their coefficients are NaN.",
            UserWarning,
            stacklevel=2,
        )
    table = pd.DataFrame.from_dict(rows, orient="index", columns=names)
    table.index.name = group
    return table


def boundary_lrt_pvalue(statistic: float, df: int) -> float:
    """P-value of a likelihood-ratio test that adds a random effect (a variance on its boundary).

    Parameters
    ----------
    statistic : float
        The likelihood-ratio statistic ``2 (logLik(larger) - logLik(smaller))`` of two ML fits.
    df : int
        Number of variance-covariance parameters the larger model adds: 1 for a random intercept,
        2 for a random slope correlated with an existing random intercept, and so on.

    Returns
    -------
    float
        The p-value under the 50:50 mixture of chi-square distributions with ``df - 1`` and ``df``
        degrees of freedom.

    Notes
    -----
    Under the null hypothesis the added variance is 0, on the edge of its allowed range, so the
    statistic is not chi-square with ``df`` degrees of freedom but (Self & Liang 1987; Stram & Lee
    1994) a 50:50 mixture: ``p = 0.5 P(chi2_{df-1} > T) + 0.5 P(chi2_df > T)``, where ``chi2_0`` is a
    point mass at 0. The naive p-value from ``anova()`` in R (``pchisq(T, df, lower.tail = FALSE)``) is
    too large, so the naive test is conservative. R: ``0.5 * pchisq(T, df - 1, lower.tail = FALSE) +
    0.5 * pchisq(T, df, lower.tail = FALSE)``.

    Examples
    --------
    >>> round(boundary_lrt_pvalue(3.84, 1), 4)
    0.025
    """
    if isinstance(df, bool) or int(df) != df or df < 1:
        raise ValueError(f"df must be a whole number >= 1 (parameters added); got {df!r}.")
    if not np.isfinite(statistic):
        raise ValueError(f"statistic must be a finite number; got {statistic!r}.")
    # Two ML fits of nested models can differ by rounding; a tiny negative statistic means 0.
    t = max(float(statistic), 0.0)
    upper = stats.chi2.sf(t, int(df))
    lower = stats.chi2.sf(t, int(df) - 1) if df > 1 else float(t <= 0)
    return float(0.5 * lower + 0.5 * upper)


def theta_from_cov(cov_re: np.ndarray | pd.DataFrame, sigma: float) -> np.ndarray:
    """lme4's ``theta`` (relative covariance factor) for a random-effects covariance matrix.

    Parameters
    ----------
    cov_re : array-like, shape (q, q)
        Covariance matrix of one group's random effects (symmetric, positive semi-definite).
    sigma : float
        Residual standard deviation.

    Returns
    -------
    numpy.ndarray
        The lower triangle of ``L`` taken column by column (length ``q (q + 1) / 2``), where
        ``L L' = cov_re / sigma^2`` and ``L`` is lower triangular with a non-negative diagonal.

    Notes
    -----
    lme4 parameterises ``Var(b_j) = sigma^2 L L'`` (Bates et al. 2015) and reports
    ``getME(fit, "theta")``. The Cholesky factor is computed column by column; a zero pivot (a
    singular matrix, e.g. a correlation of +/-1) gives a zero column below it, as lme4 allows.

    Examples
    --------
    >>> theta_from_cov(np.array([[4.0, 2.0], [2.0, 2.0]]), sigma=2.0).tolist()
    [1.0, 0.5, 0.5]
    """
    cov = np.asarray(cov_re, dtype=float)
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise ValueError(f"cov_re must be a square matrix; got shape {cov.shape}.")
    if not np.allclose(cov, cov.T, rtol=1e-8, atol=1e-10):
        raise ValueError("cov_re must be symmetric.")
    if not (np.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be a positive number; got {sigma!r}.")
    relative = cov / sigma**2
    q = relative.shape[0]
    factor = np.zeros_like(relative)
    scale = max(np.abs(np.diag(relative)).max(), 1.0)
    for j in range(q):
        pivot = relative[j, j] - factor[j, :j] @ factor[j, :j]
        if pivot < -1e-10 * scale:
            raise ValueError(
                "cov_re is not positive semi-definite (a variance is smaller than its covariances "
                "allow); check that the correlations are between -1 and 1."
            )
        if pivot <= 1e-14 * scale:
            continue
        factor[j, j] = np.sqrt(pivot)
        factor[j + 1 :, j] = (relative[j + 1 :, j] - factor[j + 1 :, :j] @ factor[j, :j]) / factor[
            j, j
        ]
    return factor.T[np.triu_indices(q)]


def slope_ridge(var_intercept: float, var_treated: float, slope_sd: np.ndarray) -> pd.DataFrame:
    """The family of random-slope covariances that fit a classroom-level 0/1 slope equally well.

    Parameters
    ----------
    var_intercept : float
        Variance of the random intercept (the variance among control classrooms).
    var_treated : float
        Variance among treated classrooms: ``var_intercept + 2 cov + var_slope``.
    slope_sd : array-like of float
        Standard deviations of the random slope at which to place the members of the family.

    Returns
    -------
    pandas.DataFrame
        Columns ``slope_sd``, ``var_slope``, ``cov_intercept_slope``, ``corr``: one row per slope SD,
        each a valid covariance matrix with the given two identified variances.

    Notes
    -----
    When a 0/1 variable ``d`` is constant within each group, the model ``(1 + d | group)`` gives group
    ``j`` one random effect, ``b0`` if ``d = 0`` and ``b0 + b1`` if ``d = 1``. The likelihood sees only
    ``var(b0) = tau00`` and ``var(b0 + b1) = tau00 + 2 tau01 + tau11``. Holding both fixed, every slope
    SD ``s`` with ``|sqrt(var_treated) - sqrt(tau00)| <= s <= sqrt(var_treated) + sqrt(tau00)`` gives
    a valid matrix (``tau01^2 <= tau00 s^2``) with ``tau01 = (var_treated - tau00 - s^2) / 2``: a ridge
    of fits with the same REML criterion. In R,
    ``lmer(y ~ d + (1 + d | g))`` stops somewhere on this ridge, depending on the optimizer.

    Examples
    --------
    >>> slope_ridge(4.0, 9.0, [1.0, 3.0])
       slope_sd  var_slope  cov_intercept_slope      corr
    0       1.0        1.0                  2.0  1.000000
    1       3.0        9.0                 -2.0 -0.333333
    """
    if not (var_intercept > 0 and var_treated > 0):
        raise ValueError(
            f"var_intercept and var_treated must be positive; got {var_intercept!r} and {var_treated!r}."
        )
    s = np.atleast_1d(np.asarray(slope_sd, dtype=float))
    low = abs(np.sqrt(var_treated) - np.sqrt(var_intercept))
    high = np.sqrt(var_intercept) + np.sqrt(var_treated)
    outside = (s < low - 1e-12) | (s > high + 1e-12)
    if outside.any():
        raise ValueError(
            f"slope_sd {s[outside][:3].tolist()} is outside the ridge [{low:.4g}, {high:.4g}]: no valid "
            "covariance matrix has these two variances with that slope SD."
        )
    cov = (var_treated - var_intercept - s**2) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.clip(cov / (np.sqrt(var_intercept) * s), -1.0, 1.0)
    return pd.DataFrame(
        {"slope_sd": s, "var_slope": s**2, "cov_intercept_slope": cov, "corr": corr}
    )


def fixef_intervals(result, level: float = 0.95, method: str = "satterthwaite") -> pd.DataFrame:
    """Confidence intervals for the fixed effects of a fitted model.

    Parameters
    ----------
    result : LmerResult
        A fit from :func:`hlmtutor.lmer` (anything with a ``fixef`` table holding ``Estimate``,
        ``Std. Error`` and ``df`` columns).
    level : float, default 0.95
        Coverage of the intervals.
    method : {"satterthwaite", "z"}
        ``"satterthwaite"``: t quantiles with each term's Satterthwaite df (lmerTest's tests);
        ``"z"``: normal quantiles (Wald z, as statsmodels' MixedLM and lme4's
        ``confint(method = "Wald")``).

    Returns
    -------
    pandas.DataFrame
        Indexed by term, columns ``estimate``, ``se``, ``df`` (infinite for ``"z"``), ``lower``,
        ``upper``, ``p_value`` (two-sided, same reference distribution).

    Notes
    -----
    ``estimate +/- q * se`` with ``q = qt((1 + level) / 2, df)`` or ``qnorm((1 + level) / 2)``. In R:
    ``fixef(m) + outer(SE, c(-1, 1)) * qt(0.975, df)`` from ``summary(m)$coefficients`` of a
    lmerTest fit, or ``confint(m, method = "Wald", parm = "beta_")``. With few clusters the z
    intervals are too narrow for cluster-level effects; the t intervals are not.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> table = pd.DataFrame({"Estimate": [10.0], "Std. Error": [1.0], "df": [4.0]}, index=["x"])
    >>> fixef_intervals(SimpleNamespace(fixef=table))[["lower", "upper"]].round(3)
        lower   upper
    x   7.224  12.776
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95); got {level!r}.")
    if method not in ("satterthwaite", "z"):
        raise ValueError(f"method must be 'satterthwaite' or 'z'; got {method!r}.")
    table = result.fixef
    missing = [c for c in ("Estimate", "Std. Error", "df") if c not in table.columns]
    if missing:
        raise KeyError(f"result.fixef lacks column(s) {missing}; pass an hlmtutor.lmer fit.")
    estimate = table["Estimate"].to_numpy(dtype=float)
    se = table["Std. Error"].to_numpy(dtype=float)
    if method == "z":
        df = np.full_like(estimate, np.inf)
        quantile = stats.norm.ppf((1 + level) / 2)
        p_value = 2 * stats.norm.sf(np.abs(estimate / se))
    else:
        df = table["df"].to_numpy(dtype=float)
        quantile = stats.t.ppf((1 + level) / 2, df)
        p_value = 2 * stats.t.sf(np.abs(estimate / se), df)
    return pd.DataFrame(
        {
            "estimate": estimate,
            "se": se,
            "df": df,
            "lower": estimate - quantile * se,
            "upper": estimate + quantile * se,
            "p_value": p_value,
        },
        index=table.index,
    )


def summarise_replications(
    replications: pd.DataFrame, truth: Mapping[str, float] | pd.Series
) -> pd.DataFrame:
    """Bias, RMSE and interval coverage of repeated simulation fits.

    Parameters
    ----------
    replications : pandas.DataFrame
        Long format, one row per replication and term, with columns ``term``, ``estimate``,
        ``lower``, ``upper`` (the interval limits; NaN where a term has no interval).
    truth : mapping or pandas.Series
        The true value of every term in ``replications``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``term`` (in order of first appearance), columns ``truth``, ``mean_estimate``,
        ``bias``, ``rmse``, ``coverage`` (share of intervals containing the truth), ``coverage_mcse``
        (its Monte Carlo standard error) and ``n`` (replications).

    Notes
    -----
    ``bias = mean(est) - truth``, ``rmse = sqrt(mean((est - truth)^2))``, ``coverage = mean(lower <=
    truth <= upper)`` with Monte Carlo SE ``sqrt(c (1 - c) / n)`` (Morris, White & Crowther 2019).
    Missing estimates (failed fits) are not counted; ``n`` says how many were. Coverage uses the rows
    with both limits and is NaN for a term without intervals (e.g. a variance component reported
    only as an estimate).

    Examples
    --------
    >>> reps = pd.DataFrame({"term": ["b"] * 4, "estimate": [0.9, 1.1, 1.2, 0.8],
    ...                      "lower": [0.5, 0.7, 1.05, 0.4], "upper": [1.3, 1.5, 1.6, 1.2]})
    >>> summarise_replications(reps, {"b": 1.0})[["bias", "coverage", "n"]]
          bias  coverage  n
    term
    b      0.0      0.75  4
    """
    needed = ["term", "estimate", "lower", "upper"]
    missing = [c for c in needed if c not in replications.columns]
    if missing:
        raise KeyError(f"replications lacks column(s) {missing}; it needs {needed}.")
    truth = pd.Series(truth, dtype=float)
    terms = list(dict.fromkeys(replications["term"]))
    unknown = [t for t in terms if t not in truth.index]
    if unknown:
        raise KeyError(f"truth has no value for term(s) {unknown}; give one per term.")
    rows = {}
    for term in terms:
        block = replications.loc[replications["term"] == term, needed[1:]]
        true = truth[term]
        error = block["estimate"].dropna() - true
        with_interval = block.dropna()
        hit = (with_interval["lower"] <= true) & (true <= with_interval["upper"])
        n_int = len(with_interval)
        coverage = hit.mean() if n_int else np.nan
        rows[term] = {
            "truth": true,
            "mean_estimate": block["estimate"].mean(),
            "bias": error.mean(),
            "rmse": np.sqrt((error**2).mean()),
            "coverage": coverage,
            "coverage_mcse": np.sqrt(coverage * (1 - coverage) / n_int) if n_int else np.nan,
            "n": len(error),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "term"
    return table
