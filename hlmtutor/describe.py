"""Descriptive statistics as R prints them: ``summary()`` and psych's ``describe``.

:func:`r_summary` is R's ``summary(data)`` for numeric columns; :func:`describe` and
:func:`describe_by` are psych's ``describe`` and ``describeBy`` with their default
columns and formulas, so a table in the book can be checked against the R guide's.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pandas.api import types

__all__ = ["describe", "describe_by", "r_summary"]

SUMMARY_STATS = ["Min.", "1st Qu.", "Median", "Mean", "3rd Qu.", "Max."]
NA_ROW = "NA's"
DESCRIBE_COLUMNS = [
    "vars",
    "n",
    "mean",
    "sd",
    "median",
    "trimmed",
    "mad",
    "min",
    "max",
    "range",
    "skew",
    "kurtosis",
    "se",
]
TRIM = 0.1  # psych's describe(trim = .1)
MAD_CONSTANT = 1.4826  # R's mad(constant = 1.4826)


# ---- small statistics, each written as R writes it ----------------------------------------


def _quantile_type7(sorted_x: NDArray[np.float64], probs: Sequence[float]) -> list[float]:
    """R's ``quantile(x, probs, type = 7)`` of an already sorted, NaN-free array."""
    n = sorted_x.size
    out = []
    for p in probs:
        index = (n - 1) * p  # 0-based version of R's 1 + (n - 1) * p
        lo, hi = math.floor(index), math.ceil(index)
        h = index - lo
        q = sorted_x[lo]
        if h > 0 and sorted_x[hi] != q:
            q = (1 - h) * q + h * sorted_x[hi]  # R's formula, kept for identical rounding
        out.append(float(q))
    return out


def _trimmed_mean(sorted_x: NDArray[np.float64], trim: float = TRIM) -> float:
    """R's ``mean(x, trim = trim)``: drop ``floor(n * trim)`` values at each end."""
    n = sorted_x.size
    if n == 0:
        return math.nan
    if trim >= 0.5:
        return float(np.median(sorted_x))
    lo = math.floor(n * trim)
    return float(sorted_x[lo : n - lo].mean())


def _moment_ratio(x: NDArray[np.float64], mean: float, sd: float, power: int) -> float:
    """``sum((x - mean)^power) / (n * sd^power)``, NaN where psych gets NaN or NA."""
    if x.size < 2 or sd == 0 or math.isnan(sd):
        return math.nan
    return float(np.sum((x - mean) ** power) / (x.size * sd**power))


def _describe_values(x: NDArray[np.float64]) -> dict[str, float]:
    """psych's statistics of one column (missing values already removed)."""
    n = x.size
    if n == 0:
        return {name: math.nan for name in DESCRIBE_COLUMNS[2:]} | {"n": 0}
    sorted_x = np.sort(x)
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if n > 1 else math.nan
    median = float(np.median(sorted_x))
    return {
        "n": n,
        "mean": mean,
        "sd": sd,
        "median": median,
        "trimmed": _trimmed_mean(sorted_x),
        "mad": MAD_CONSTANT * float(np.median(np.abs(x - median))),
        "min": float(sorted_x[0]),
        "max": float(sorted_x[-1]),
        "range": float(sorted_x[-1] - sorted_x[0]),
        "skew": _moment_ratio(x, mean, sd, 3),
        "kurtosis": _moment_ratio(x, mean, sd, 4) - 3,
        "se": sd / math.sqrt(n),
    }


# ---- turning columns into numbers ---------------------------------------------------------


def _as_frame(df: pd.DataFrame | pd.Series, function: str) -> pd.DataFrame:
    if isinstance(df, pd.Series):
        return df.to_frame(name=df.name if df.name is not None else "X1")
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{function}() takes a pandas DataFrame or Series; got {type(df).__name__}")
    if df.shape[1] == 0:
        raise ValueError(f"{function}() needs at least one column; the DataFrame has none")
    return df


def _is_plain_numeric(column: pd.Series) -> bool:
    return types.is_numeric_dtype(column) and not types.is_bool_dtype(column)


def _numeric_values(column: pd.Series) -> NDArray[np.float64]:
    """A numeric or boolean column as floats, missing values as NaN."""
    return column.to_numpy(dtype=float, na_value=np.nan)


def _coded_values(column: pd.Series) -> NDArray[np.float64]:
    """psych's ``as.numeric(as.factor(x))``: category codes from 1, NaN for missing."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy(dtype=float)  # the categories' own order
    else:
        present = column.dropna()
        levels = sorted(present.unique())
        codes = column.map({level: i for i, level in enumerate(levels)}).to_numpy(
            dtype=float, na_value=np.nan
        )
    codes[codes < 0] = np.nan  # pandas codes a missing category as -1
    return codes + 1


def _column_for_describe(name: Hashable, column: pd.Series) -> tuple[str, NDArray[np.float64]]:
    """The row label and the numbers psych's describe would use for one column."""
    if types.is_numeric_dtype(column):  # booleans included, as 0/1
        return str(name), _numeric_values(column)
    if isinstance(column.dtype, pd.CategoricalDtype) or types.is_string_dtype(column):
        return f"{name}*", _coded_values(column)
    raise TypeError(
        f"column {name!r} has dtype {column.dtype}, which describe() cannot summarise; "
        "give numeric, boolean, categorical or string columns (drop or convert the others)"
    )


# ---- public functions -----------------------------------------------------------------------


def r_summary(df: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """R's ``summary(data)`` of the numeric columns of a data frame, as numbers.

    Parameters
    ----------
    df : pandas.DataFrame or pandas.Series
        Numeric columns only (booleans, strings and categories are errors: select the
        numeric ones with ``df.select_dtypes("number")``).

    Returns
    -------
    pandas.DataFrame
        One column per variable; the index holds the statistic names ``"Min."``,
        ``"1st Qu."``, ``"Median"``, ``"Mean"``, ``"3rd Qu."``, ``"Max."``, followed by
        ``"NA's"`` (the count of missing values, 0 where a column has none) only when
        some column has missing values, as R adds that line only then.

    Notes
    -----
    R's ``summary.default``: ``quantile(x, type = 7)`` (for ``n`` sorted values ``x``,
    ``q(p) = (1 - h) x[j] + h x[j + 1]`` with ``j + h = 1 + (n - 1) p``) at
    ``p = 0, .25, .5, .75, 1``, and ``mean(x)``, all over the non-missing values. R
    rounds only when printing (4 significant digits); these are the unrounded numbers.
    A column with no values gives NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmtutor import r_summary
    >>> r_summary(pd.DataFrame({"x": [1.0, 2.0, 4.0, 10.0]}))
                x
    Min.     1.00
    1st Qu.  1.75
    Median   3.00
    Mean     4.25
    3rd Qu.  5.50
    Max.    10.00
    """
    df = _as_frame(df, "r_summary")
    not_numeric = [name for name in df.columns if not _is_plain_numeric(df[name])]
    if not_numeric:
        raise TypeError(
            f"r_summary() summarises numeric columns only; {not_numeric!r} are not numeric "
            "(select the numeric ones with df.select_dtypes('number'), or use describe(), "
            "which codes categories as numbers)"
        )
    table = {}
    for name in df.columns:
        values = _numeric_values(df[name])
        present = np.sort(values[~np.isnan(values)])
        if present.size == 0:
            stats = [math.nan] * 6
        else:
            q = _quantile_type7(present, [0, 0.25, 0.5, 0.75, 1])
            stats = [*q[:3], float(present.mean()), *q[3:]]
        table[name] = [*stats, int(np.isnan(values).sum())]
    result = pd.DataFrame(table, index=[*SUMMARY_STATS, NA_ROW])
    if not result.loc[NA_ROW].any():
        result = result.drop(index=NA_ROW)
    return result


def describe(df: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """psych's ``describe(data)``: one row of descriptive statistics per column.

    Parameters
    ----------
    df : pandas.DataFrame or pandas.Series
        Numeric columns are described as they are, booleans as 0/1. Categorical and
        string columns are described by their codes, as psych does: categories by their
        position in the categories (from 1), strings by their rank among the sorted
        distinct values; their row label gets a ``*`` (``"team*"``). Other dtypes
        (dates, for instance) are an error naming the column.

    Returns
    -------
    pandas.DataFrame
        Index ``variable`` (column names, ``*`` added to coded ones); columns ``vars``
        (1-based column position), ``n`` (non-missing count), ``mean``, ``sd``,
        ``median``, ``trimmed``, ``mad``, ``min``, ``max``, ``range``, ``skew``,
        ``kurtosis``, ``se``. ``vars`` and ``n`` are integers, the others floats.

    Notes
    -----
    Matches psych's ``describe`` (``type = 3``) on each column's non-missing values
    ``x_1..x_n`` with mean ``m`` and ``s`` the standard deviation on ``n - 1``:

    - ``trimmed``: R's ``mean(x, trim = 0.1)``, the mean after dropping
      ``floor(0.1 n)`` values at each end;
    - ``mad = 1.4826 * median(|x - median(x)|)``;
    - ``skew = sum((x - m)^3) / (n s^3)``, ``kurtosis = sum((x - m)^4) / (n s^4) - 3``;
    - ``se = s / sqrt(n)``.

    NaN stands for psych's ``NA``/``NaN``: ``sd``, ``se``, ``skew`` and ``kurtosis`` of a
    single value, ``skew`` and ``kurtosis`` of a constant column. A column with no values
    has ``n = 0`` and NaN elsewhere (psych gives ``Inf``/``-Inf`` for its min and max).
    psych turns booleans into NA; here they count as 0/1. Strings are ranked in Python's
    sort order, which equals R's for lower-case ASCII words but can differ from R's
    locale order for mixed case.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmtutor import describe
    >>> data = pd.DataFrame({"x": [1.0, 2.0, 4.0, 10.0], "team": ["b", "a", "b", "b"]})
    >>> describe(data)[["vars", "n", "mean", "sd", "median", "mad"]].round(3)
              vars  n  mean     sd  median    mad
    variable
    x            1  4  4.25  4.031     3.0  2.224
    team*        2  4  1.75  0.500     2.0  0.000
    """
    df = _as_frame(df, "describe")
    rows, labels = [], []
    for position, name in enumerate(df.columns, start=1):
        label, values = _column_for_describe(name, df[name])
        stats = _describe_values(values[~np.isnan(values)])
        rows.append({"vars": position, **stats})
        labels.append(label)
    result = pd.DataFrame(rows, index=pd.Index(labels, name="variable"))[DESCRIBE_COLUMNS]
    return result.astype({"vars": "int64", "n": "int64"})


def _grouping(df: pd.DataFrame, group: Hashable | pd.Series | Sequence) -> pd.Series:
    """The group of every row of ``df``, as a Series on ``df``'s index."""
    if isinstance(group, pd.Series | np.ndarray | list | tuple | pd.Index):
        values = pd.Series(group)
        if len(values) != len(df):
            raise ValueError(
                f"group has {len(values)} values but the data frame has {len(df)} rows; "
                "give one group per row, or the name of a column"
            )
        return pd.Series(values.to_numpy(), index=df.index, dtype=values.dtype)
    if group in df.columns:
        return df[group]
    raise KeyError(
        f"group {group!r} is not a column of the data frame; give one of "
        f"{list(df.columns)!r} or a Series with one group per row"
    )


def describe_by(df: pd.DataFrame, group: Hashable | pd.Series | Sequence) -> pd.DataFrame:
    """psych's ``describeBy(data, group)``: :func:`describe` within each group.

    Parameters
    ----------
    df : pandas.DataFrame
        The data, with the column kinds :func:`describe` accepts.
    group : column name, pandas.Series or sequence
        A column of ``df`` (which is then described too, as ``describeBy`` does), or one
        group label per row (a Series is matched by position, not by index).

    Returns
    -------
    pandas.DataFrame
        :func:`describe`'s columns, indexed by (``group``, ``variable``): the groups in
        sorted order (a categorical's own order; unused categories left out), the
        variables in column order.

    Notes
    -----
    Equivalent to R's ``describeBy(data, group = ...)``, which calls ``describe`` on each
    group's rows. String columns are ranked within each group (as psych ranks them within
    each subset), categorical columns by their categories. Rows whose group is missing
    are left out, as R's ``by()`` does, with a ``UserWarning`` giving their count.
    Text groups are sorted in Python's order (R's for lower-case ASCII labels).

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmtutor import describe_by
    >>> data = pd.DataFrame({"room": [1, 1, 2, 2, 2], "score": [3.0, 5.0, 4.0, 6.0, 11.0]})
    >>> describe_by(data, "room")[["n", "mean", "sd"]].round(3)
                    n  mean     sd
    group variable
    1     room      2   1.0  0.000
          score     2   4.0  1.414
    2     room      3   2.0  0.000
          score     3   7.0  3.606
    """
    df = _as_frame(df, "describe_by")
    groups = _grouping(df, group)
    missing = int(groups.isna().sum())
    if missing:
        warnings.warn(
            f"describe_by(): {missing} row(s) with a missing group were left out",
            UserWarning,
            stacklevel=2,
        )
    tables = {
        label: describe(rows)
        for label, rows in df.groupby(groups, sort=True, observed=True, dropna=True)
    }
    if not tables:
        raise ValueError("describe_by(): there are no groups (every group value is missing)")
    return pd.concat(tables, names=["group", "variable"])
