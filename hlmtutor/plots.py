"""Plots for checking and explaining mixed models.

Every helper takes plain pandas/numpy inputs (so it works with any fitting library), draws on the
matplotlib ``Axes`` it is given (or on a new figure), and returns that ``Axes``. None of them prints or
calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from scipy import stats

__all__ = [
    "plot_residuals",
    "plot_qq",
    "plot_caterpillar",
    "plot_shrinkage",
    "plot_profile",
    "ppoints",
]


def _axes(ax: Axes | None, figsize: tuple[float, float] = (5.5, 4.0)) -> Axes:
    """Return ``ax``, or the axes of a new figure when it is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _finite_1d(values, name: str) -> np.ndarray:
    """Return ``values`` as a 1-d float array, refusing missing or infinite values."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {array.shape}.")
    if array.size == 0:
        raise ValueError(f"{name} is empty; pass at least one value.")
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(
            f"{name} has {int(bad.sum())} missing or infinite value(s) (first at position "
            f"{int(np.flatnonzero(bad)[0])}); drop them before plotting."
        )
    return array


def ppoints(n: int) -> np.ndarray:
    """Probability points for a normal QQ plot, as R's ``ppoints``.

    Parameters
    ----------
    n : int
        Number of points (at least 1).

    Returns
    -------
    numpy.ndarray
        ``n`` increasing probabilities in (0, 1).

    Notes
    -----
    ``(i - a) / (n + 1 - 2a)`` for ``i = 1..n``, with ``a = 3/8`` when ``n <= 10`` and ``a = 1/2``
    otherwise: R's ``ppoints(n)``, which ``qqnorm`` uses.

    Examples
    --------
    >>> ppoints(4).round(4).tolist()
    [0.1471, 0.3824, 0.6176, 0.8529]
    """
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive whole number; got {n!r}.")
    a = 3 / 8 if n <= 10 else 1 / 2
    i = np.arange(1, int(n) + 1)
    return (i - a) / (n + 1 - 2 * a)


def plot_residuals(
    fitted: Sequence[float] | pd.Series | np.ndarray,
    residuals: Sequence[float] | pd.Series | np.ndarray,
    *,
    lowess: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Residuals against fitted values, with a zero line and an optional LOWESS smooth.

    Parameters
    ----------
    fitted, residuals : array-like of float
        Fitted values and residuals of the same length (e.g. ``result.fitted()`` and
        ``result.resid()`` of an :func:`hlmtutor.lmer` fit).
    lowess : bool, default True
        Add a LOWESS smooth (statsmodels, ``frac=2/3``), which bends where the mean is misfit.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        Points in ``ax.collections[0]``; the zero line and the smooth in ``ax.lines``.

    Notes
    -----
    The plot R draws with ``plot(fit)`` for an ``lmer`` fit (``plot.merMod``: residuals vs fitted).
    The fitted values of a mixed model include the predicted random effects (conditional fit).

    Examples
    --------
    >>> ax = plot_residuals([1.0, 2.0, 3.0, 4.0], [0.5, -0.2, 0.1, -0.4])
    >>> ax.get_xlabel(), len(ax.lines)
    ('Fitted values', 2)
    """
    x = _finite_1d(fitted, "fitted")
    y = _finite_1d(residuals, "residuals")
    if x.size != y.size:
        raise ValueError(
            f"fitted has {x.size} values but residuals has {y.size}; pass one residual per fitted value."
        )
    ax = _axes(ax)
    ax.scatter(x, y, s=14, alpha=0.7, color="C0", label="observations")
    ax.axhline(0.0, color="0.4", linewidth=1, linestyle="--")
    if lowess and x.size >= 3:
        from statsmodels.nonparametric.smoothers_lowess import lowess as _lowess

        smooth = _lowess(y, x, frac=2 / 3, return_sorted=True)
        ax.plot(smooth[:, 0], smooth[:, 1], color="C3", linewidth=2, label="LOWESS")
    ax.set_xlabel("Fitted values")
    ax.set_ylabel("Residuals")
    return ax


def plot_qq(
    values: Sequence[float] | pd.Series | np.ndarray,
    *,
    label: str = "Sample quantiles",
    ax: Axes | None = None,
) -> Axes:
    """Normal quantile-quantile plot with R's reference line through the quartiles.

    Parameters
    ----------
    values : array-like of float
        Residuals or predicted random effects (no missing values).
    label : str, default "Sample quantiles"
        The y-axis label (say what was plotted).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        Points (sorted values against normal quantiles) in ``ax.collections[0]``; the reference line
        is ``ax.lines[0]``.

    Notes
    -----
    Theoretical quantiles are ``qnorm(ppoints(n))`` (R's ``qqnorm``). The line passes through the
    first and third quartiles of the data and of the normal distribution (R's ``qqline``):
    slope ``(q3 - q1) / (z3 - z1)``.

    Examples
    --------
    >>> ax = plot_qq([-1.2, 0.3, 0.1, 2.0, -0.5])
    >>> ax.collections[0].get_offsets().shape
    (5, 2)
    """
    sample = np.sort(_finite_1d(values, "values"))
    theoretical = stats.norm.ppf(ppoints(sample.size))
    ax = _axes(ax)
    ax.scatter(theoretical, sample, s=14, alpha=0.8, color="C0")
    q1, q3 = np.quantile(sample, [0.25, 0.75])
    z1, z3 = stats.norm.ppf([0.25, 0.75])
    slope = (q3 - q1) / (z3 - z1)
    intercept = q1 - slope * z1
    ends = np.array([theoretical[0], theoretical[-1]])
    ax.plot(ends, intercept + slope * ends, color="C3", linewidth=1.5)
    ax.set_xlabel("Normal quantiles")
    ax.set_ylabel(label)
    return ax


def plot_caterpillar(
    effects: pd.Series,
    se: pd.Series,
    *,
    level: float = 0.95,
    label: str = "Predicted random effect",
    ax: Axes | None = None,
) -> Axes:
    """Caterpillar plot: each group's predicted random effect with an interval, sorted.

    Parameters
    ----------
    effects : pandas.Series
        One predicted random effect (conditional mode) per group, indexed by group, e.g.
        ``result.ranef["g"]["(Intercept)"]``.
    se : pandas.Series
        Their conditional standard deviations, same index (e.g. ``result.ranef_sd["g"]["(Intercept)"]``).
    level : float, default 0.95
        Coverage of the normal intervals ``effect +/- z * se``.
    label : str
        The x-axis label.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        One error-bar container in ``ax.containers``; the y tick labels are the group labels from the
        bottom (smallest effect) up.

    Notes
    -----
    The intervals are ``b_j +/- qnorm((1 + level) / 2) * sd(b_j | y)``, as lattice's ``dotplot(ranef(fit,
    condVar = TRUE))`` draws them in R. They describe the conditional distribution of each group's
    effect given the estimated variance parameters, so they ignore the uncertainty in those.

    Examples
    --------
    >>> b = pd.Series([0.5, -1.0, 0.2], index=["a", "b", "c"])
    >>> ax = plot_caterpillar(b, pd.Series([0.3, 0.3, 0.4], index=b.index))
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['b', 'c', 'a']
    """
    if not isinstance(effects, pd.Series) or not isinstance(se, pd.Series):
        raise TypeError(
            "effects and se must be pandas Series indexed by group, e.g. result.ranef['g']['(Intercept)'] "
            "and result.ranef_sd['g']['(Intercept)']."
        )
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95); got {level!r}.")
    missing = effects.index.difference(se.index)
    if len(missing):
        raise KeyError(
            f"se has no value for group(s) {list(missing)[:5]}; pass one per group in effects."
        )
    _finite_1d(effects.to_numpy(), "effects")
    spread = _finite_1d(se.reindex(effects.index).to_numpy(), "se")
    if (spread < 0).any():
        raise ValueError("se has negative values; standard deviations must be >= 0.")
    order = np.argsort(effects.to_numpy(), kind="stable")
    centre = effects.to_numpy()[order]
    halfwidth = stats.norm.ppf((1 + level) / 2) * spread[order]
    ax = _axes(ax, figsize=(5.5, min(9.0, max(3.0, 0.2 * len(effects) + 1.2))))
    position = np.arange(len(effects))
    ax.errorbar(centre, position, xerr=halfwidth, fmt="o", color="C0", ecolor="0.5", capsize=2)
    ax.axvline(0.0, color="0.4", linewidth=1, linestyle="--")
    ax.set_yticks(position, [str(g) for g in effects.index[order]])
    ax.set_xlabel(label)
    ax.set_ylabel(str(effects.index.name) if effects.index.name else "Group")
    return ax


def plot_shrinkage(
    separate: pd.DataFrame,
    pooled: pd.DataFrame,
    *,
    x: str,
    y: str,
    population: Mapping[str, float] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Shrinkage plot: per-group OLS coefficients and the mixed model's, joined by arrows.

    Parameters
    ----------
    separate : pandas.DataFrame
        One row per group (index = group) of coefficients from a separate regression per group, e.g.
        :func:`hlmtutor.per_group_ols`.
    pooled : pandas.DataFrame
        The mixed model's per-group coefficients (fixed + predicted random effects), same index and
        columns, e.g. ``result.coef["g"]``.
    x, y : str
        The two coefficient columns to plot (e.g. ``"(Intercept)"`` and ``"ses_cwc"``).
    population : mapping, optional
        The fixed effects ``{x: value, y: value}``, marked with a cross: the point groups shrink
        toward.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.collections`` holds the separate and the pooled points (two scatters), then a
        ``Quiver`` with one arrow per group (groups with a missing coefficient get none).

    Notes
    -----
    The mixed model's coefficients are ``beta + b_j``, with ``b_j`` the conditional modes: each group's
    own estimate pulled toward the population in proportion to how little data it has (R: compare
    ``coef(lmList(y ~ x | g))`` with ``coef(lmer(y ~ x + (x | g)))``).

    Examples
    --------
    >>> ols = pd.DataFrame({"a": [1.0, 3.0], "b": [0.0, 2.0]}, index=[1, 2])
    >>> mixed = pd.DataFrame({"a": [1.5, 2.5], "b": [0.5, 1.5]}, index=[1, 2])
    >>> ax = plot_shrinkage(ols, mixed, x="a", y="b")
    >>> len(ax.collections), len(ax.collections[2].U)
    (3, 2)
    """
    for name, frame in (("separate", separate), ("pooled", pooled)):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(
                f"{name} must be a DataFrame with one row per group; got {type(frame)}."
            )
        for column in (x, y):
            if column not in frame.columns:
                raise KeyError(
                    f"{name} has no column {column!r}; its columns are {list(frame.columns)}."
                )
    common = separate.index.intersection(pooled.index)
    if len(common) != len(separate.index) or len(common) != len(pooled.index):
        raise ValueError(
            "separate and pooled must have the same groups in their index; these differ: "
            f"{list(separate.index.symmetric_difference(pooled.index))[:5]}."
        )
    start = separate.loc[common, [x, y]].to_numpy(dtype=float)
    end = pooled.loc[common, [x, y]].to_numpy(dtype=float)
    ax = _axes(ax, figsize=(5.5, 4.5))
    ax.scatter(start[:, 0], start[:, 1], s=28, color="C1", label="separate OLS per group", zorder=3)
    ax.scatter(end[:, 0], end[:, 1], s=28, color="C0", label="mixed model", zorder=3)
    # One quiver for all arrows: hundreds of separate annotations are slow to draw.
    finite = np.all(np.isfinite(start), axis=1) & np.all(np.isfinite(end), axis=1)
    ax.quiver(
        start[finite, 0],
        start[finite, 1],
        end[finite, 0] - start[finite, 0],
        end[finite, 1] - start[finite, 1],
        angles="xy",
        scale_units="xy",
        scale=1,
        color="0.55",
        width=0.003,
        zorder=2,
    )
    if population is not None:
        ax.plot(
            [population[x]], [population[y]], marker="X", markersize=10, color="k", linestyle="none"
        )
        ax.lines[-1].set_label("fixed effects")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_profile(
    values: Sequence[float] | np.ndarray | pd.Series,
    criterion: Sequence[float] | np.ndarray | pd.Series,
    *,
    xlabel: str,
    ylabel: str = "REML criterion",
    label: str | None = None,
    marks: Mapping[str, float] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A criterion (deviance, REML criterion) along one parameter, with named positions marked.

    Parameters
    ----------
    values : array-like of float
        The parameter's values (x axis).
    criterion : array-like of float
        The criterion at each value (y axis), same length.
    xlabel : str
        What the parameter is.
    ylabel : str, default "REML criterion"
        What the criterion is.
    label : str, optional
        Legend label of the curve (call again with the same ``ax`` to add curves).
    marks : mapping of str to float, optional
        Named parameter values to mark with a vertical line (e.g. where optimisers stopped).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The curve is the first line added by this call; each mark adds one more line.

    Notes
    -----
    A flat curve means the data do not tell the parameter's values apart (it is not identified);
    R draws such profiles with ``profile()`` on an ``lmer`` fit and ``lattice::xyplot``.

    Examples
    --------
    >>> ax = plot_profile([0, 1, 2], [3.0, 2.0, 3.0], xlabel="slope SD", marks={"optimum": 1.0})
    >>> len(ax.lines), ax.get_ylabel()
    (2, 'REML criterion')
    """
    x = _finite_1d(values, "values")
    y = _finite_1d(criterion, "criterion")
    if x.size != y.size:
        raise ValueError(
            f"values has {x.size} entries but criterion has {y.size}; pass one per value."
        )
    ax = _axes(ax)
    ax.plot(x, y, linewidth=2, label=label)
    # Marks are grey and told apart by line style, so they never take a curve's colour.
    styles = [":", "--", "-.", (0, (1, 4)), (0, (6, 2, 1, 2, 1, 2))]
    for i, (name, position) in enumerate((marks or {}).items()):
        ax.axvline(
            position, color="0.35", linestyle=styles[i % len(styles)], linewidth=1.3, label=name
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if label is not None or marks:
        ax.legend(loc="best", fontsize="small")
    return ax
