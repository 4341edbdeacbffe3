"""Centering predictors in two-level data: cluster means, within- and grand-mean centering.

The R guide centers ``ses`` with MLMusingR's ``group_center`` and misty's ``center``;
these functions compute the same numbers from pandas objects.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from pandas.api import types

from ._align import match_by_label

__all__ = ["center_grand", "center_within", "group_mean"]

# Values of a level-2 variable within one cluster may differ by rounding noise only.
LEVEL2_RTOL = 1e-10


def _as_series(x: pd.Series | ArrayLike, what: str) -> pd.Series:
    if isinstance(x, pd.Series):
        series = x
    elif isinstance(x, pd.DataFrame):
        raise TypeError(f"{what} must be one column (a Series or 1-D array), not a DataFrame")
    else:
        array = np.asarray(x)
        if array.ndim != 1:
            raise ValueError(f"{what} must be 1-D; got an array of shape {array.shape}")
        series = pd.Series(array)
    return series


def _numeric_x(x: pd.Series | ArrayLike) -> pd.Series:
    """``x`` as a float Series (its own index and name kept), or a clear error."""
    series = _as_series(x, "x")
    if not types.is_numeric_dtype(series) or types.is_bool_dtype(series):
        name = series.name if series.name is not None else "x"
        raise TypeError(
            f"{name!r} must be numeric to be centered; it has dtype {series.dtype} "
            "(convert it with pandas.to_numeric, or choose a numeric column)"
        )
    return pd.Series(
        series.to_numpy(dtype=float, na_value=np.nan), index=series.index, name=series.name
    )


def _aligned_cluster(cluster: pd.Series | ArrayLike, x: pd.Series, x_is_pandas: bool) -> pd.Series:
    """The cluster of each element of ``x``, on ``x``'s index.

    Two Series pair by index label (the same labels in any order); otherwise by position.
    """
    series = _as_series(cluster, "cluster")
    if len(series) != len(x):
        raise ValueError(
            f"x and cluster must have the same length; x has {len(x)} values and cluster "
            f"has {len(series)} (give one cluster id per value of x)"
        )
    if x_is_pandas and isinstance(cluster, pd.Series):
        series = match_by_label(series, x.index, this="x", that="cluster")
    missing = int(series.isna().sum())
    if missing:
        warnings.warn(
            f"{missing} value(s) of cluster are missing: their result is NaN",
            UserWarning,
            stacklevel=3,
        )
    return pd.Series(series.to_numpy(), index=x.index, dtype=series.dtype)


def _cluster_means(x: pd.Series, cluster: pd.Series) -> pd.Series:
    # groupby's mean skips NaN, as mean(v, na.rm = TRUE) does; a missing cluster gives NaN.
    return x.groupby(cluster, dropna=True, observed=True, sort=False).transform("mean")


def group_mean(x: pd.Series | ArrayLike, cluster: pd.Series | ArrayLike) -> pd.Series:
    """The mean of ``x`` in each row's cluster (the level-2 aggregate of ``x``).

    Parameters
    ----------
    x : pandas.Series or array-like
        A numeric level-1 variable; missing values are ignored in the means.
    cluster : pandas.Series or array-like
        The cluster id of each value of ``x``. Two Series are paired by index label (the
        same labels in any order; different labels are a ``ValueError``); anything else
        is paired by position.

    Returns
    -------
    pandas.Series
        Floats with ``x``'s index and name: the mean of the non-missing ``x`` of the
        row's cluster (also on rows where ``x`` itself is missing). NaN where the cluster
        id is missing (with a ``UserWarning``) or the cluster has no values of ``x``.

    Notes
    -----
    ``mean_j = sum_i x_ij / n_j`` over the non-missing values of cluster ``j``: R's
    ``ave(x, cluster, FUN = function(v) mean(v, na.rm = TRUE))``, the cluster mean used
    by MLMusingR's ``group_center`` and misty's ``cluster.scores``. The guide computes it
    as ``ave(data$ses, data$classroom_id)``. R's vectors have no index, so ``ave`` pairs
    by position; two Series pair by label here, as pandas arithmetic does (a Series
    sorted or filtered apart from its clusters is not silently mismatched).

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmtutor import group_mean
    >>> group_mean(pd.Series([1.0, 3.0, 10.0, None]), [1, 1, 2, 2]).tolist()
    [2.0, 2.0, 10.0, 10.0]
    """
    values = _numeric_x(x)
    return _cluster_means(values, _aligned_cluster(cluster, values, isinstance(x, pd.Series)))


def center_within(x: pd.Series | ArrayLike, cluster: pd.Series | ArrayLike) -> pd.Series:
    """Center ``x`` within its cluster: ``x`` minus its cluster mean (CWC).

    Parameters
    ----------
    x : pandas.Series or array-like
        A numeric level-1 variable; missing values stay missing and are ignored in the
        cluster means.
    cluster : pandas.Series or array-like
        The cluster id of each value of ``x``. Two Series are paired by index label (the
        same labels in any order; different labels are a ``ValueError``); anything else
        is paired by position.

    Returns
    -------
    pandas.Series
        ``x - group_mean(x, cluster)``, with ``x``'s index and name.

    Notes
    -----
    ``x_ij - mean_j``: MLMusingR's ``group_center(x, cluster)`` and misty's
    ``center(x, type = "CWC", cluster = cluster)``; the guide's
    ``data$ses - ave(data$ses, data$classroom_id)``. The centered variable has mean 0 in
    every cluster, so it carries only the within-cluster variation of ``x``.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmtutor import center_within
    >>> center_within(pd.Series([1.0, 3.0, 10.0, None]), [1, 1, 2, 2]).tolist()
    [-1.0, 1.0, 0.0, nan]
    """
    values = _numeric_x(x)
    return values - _cluster_means(
        values, _aligned_cluster(cluster, values, isinstance(x, pd.Series))
    )


def _first_varying_cluster(values: pd.Series, cluster: pd.Series) -> object | None:
    """The first cluster (in data order) whose non-missing values differ, else None."""
    grouped = values.groupby(cluster, dropna=True, observed=True, sort=False)
    largest, smallest = grouped.max(), grouped.min()
    scale = np.maximum(np.maximum(largest.abs(), smallest.abs()), 1.0)
    varying = (largest - smallest) > LEVEL2_RTOL * scale  # all-missing clusters: NaN, False
    if not varying.any():
        return None
    first = varying.index[varying.to_numpy()][0]
    return first.item() if isinstance(first, np.generic) else first  # 3, not np.int64(3)


def center_grand(
    x: pd.Series | ArrayLike, cluster: pd.Series | ArrayLike | Sequence | None = None
) -> pd.Series:
    """Center ``x`` at its grand mean (CGM).

    Parameters
    ----------
    x : pandas.Series or array-like
        A numeric variable; missing values stay missing and are ignored in the mean.
    cluster : pandas.Series or array-like, optional
        Give the cluster ids when ``x`` is a level-2 variable stored on level-1 rows (one
        value repeated in every row of a cluster, e.g. ``group_mean(ses, classroom)``):
        the grand mean is then the unweighted mean of one value per cluster, so large
        clusters do not weigh more. Paired with ``x`` as in :func:`group_mean`.

    Returns
    -------
    pandas.Series
        ``x`` minus the grand mean, with ``x``'s index and name.

    Raises
    ------
    ValueError
        If ``cluster`` is given and ``x`` varies within a cluster (the message names the
        first such cluster), the lengths of ``x`` and ``cluster`` differ, or two Series
        have different index labels.

    Notes
    -----
    Without ``cluster``: ``x_i - mean(x)``, misty's ``center(x, type = "CGM")``. With
    ``cluster``: ``x_j - (1/J) sum_j x_j`` over the ``J`` clusters with a value, misty's
    ``center(x, type = "CGM", cluster = cluster)``; the guide computes it as
    ``ses_grpmean - mean(ses_grpmean[!duplicated(classroom_id)])``. Values within a
    cluster count as equal when they agree to 1e-10 relative.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmtutor import center_grand
    >>> center_grand(pd.Series([1.0, 2.0, 6.0])).tolist()
    [-2.0, -1.0, 3.0]
    >>> # two clusters of sizes 1 and 2: their values count once each
    >>> center_grand(pd.Series([2.0, 6.0, 6.0]), cluster=["a", "b", "b"]).tolist()
    [-2.0, 2.0, 2.0]
    """
    values = _numeric_x(x)
    if cluster is None:
        return values - values.mean()
    groups = _aligned_cluster(cluster, values, isinstance(x, pd.Series))
    varying = _first_varying_cluster(values, groups)
    if varying is not None:
        examples = values[groups == varying].dropna().unique()[:3].tolist()
        raise ValueError(
            f"center_grand() with a cluster needs a level-2 variable (one value per "
            f"cluster), but x varies within cluster {varying!r} (e.g. {examples}); "
            "center it within clusters with center_within(x, cluster), or call "
            "center_grand(x) without a cluster for plain grand-mean centering"
        )
    one_per_cluster = values.groupby(groups, dropna=True, observed=True, sort=False).mean()
    return values - one_per_cluster.mean()
