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

from ._align import match_by_label
from .lmm.frame import factor_levels

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


def _long_sum(values: NDArray) -> np.longdouble:
    """A sum accumulated term by term in long double, as R's ``sum()`` and ``mean()`` do.

    ``cumsum`` adds in order (``numpy.sum`` adds pairwise, which rounds differently).
    """
    if values.size == 0:
        return np.longdouble(0)
    return np.cumsum(values, dtype=np.longdouble)[-1]


def _r_mean(x: NDArray[np.float64]) -> float:
    """R's ``mean()`` of a double vector: ``m = sum(x)/n``, then ``m + sum(x - m)/n``.

    Both passes accumulate in long double, so a constant vector has its own value as
    mean (NumPy's ``mean`` of seven 0.1s is 0.09999999999999999, which then gives a
    nonzero SD and a skew out of rounding noise).
    """
    n = x.size
    if n == 0:
        return math.nan
    mean = _long_sum(x) / n
    if np.isfinite(mean):
        mean = mean + _long_sum(x.astype(np.longdouble) - mean) / n
    return float(mean)


def _r_sd(x: NDArray[np.float64]) -> float:
    """R's ``sd()``: the square root of ``var()``, whose deviations from the two-pass mean
    are squared and summed in long double, over ``n - 1``. NaN for fewer than two values."""
    n = x.size
    if n < 2:
        return math.nan
    deviations = x.astype(np.longdouble) - np.longdouble(_r_mean(x))
    return math.sqrt(float(_long_sum(deviations * deviations) / (n - 1)))


def _r_median(sorted_x: NDArray[np.float64]) -> float:
    """R's ``median()`` of a sorted array: the middle value, or ``mean()`` of the middle two."""
    n = sorted_x.size
    if n == 0:
        return math.nan
    half = n // 2
    if n % 2 == 1:
        return float(sorted_x[half])
    return _r_mean(sorted_x[half - 1 : half + 1])


def _trimmed_mean(sorted_x: NDArray[np.float64], trim: float = TRIM) -> float:
    """R's ``mean(x, trim = trim)``: drop ``floor(n * trim)`` values at each end."""
    n = sorted_x.size
    if n == 0:
        return math.nan
    if trim >= 0.5:
        return _r_median(sorted_x)
    lo = math.floor(n * trim)
    return _r_mean(sorted_x[lo : n - lo])


def _moment_ratio(x: NDArray[np.float64], mean: float, sd: float, power: int) -> float:
    """psych's ``sum((x - mean)^power) / (n * sd^power)`` (``type = 3``), with R's arithmetic.

    The powers are C's ``pow`` (R's ``^``), summed in long double (R's ``sum``). NaN when
    ``sd`` is NA (one value); a constant column gives ``0 / 0``, NaN, as in R.
    """
    if math.isnan(sd):
        return math.nan
    powered = np.fromiter((math.pow(d, power) for d in x - mean), dtype=float, count=x.size)
    numerator = np.float64(float(_long_sum(powered)))
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(numerator / np.float64(x.size * math.pow(sd, power)))


def _describe_values(x: NDArray[np.float64]) -> dict[str, float]:
    """psych's statistics of one column (missing values already removed)."""
    n = x.size
    if n == 0:
        return {name: math.nan for name in DESCRIBE_COLUMNS[2:]} | {"n": 0}
    sorted_x = np.sort(x)
    # psych's skew() of a data frame centres on colMeans() (one pass in long double) and
    # its kurtosi() on mean() (two passes); the two gave the same double on each of
    # 200,000 random vectors we tried, so both use mean() here.
    mean = _r_mean(x)
    sd = _r_sd(x)
    median = _r_median(sorted_x)
    return {
        "n": n,
        "mean": mean,
        "sd": sd,
        "median": median,
        "trimmed": _trimmed_mean(sorted_x),
        "mad": MAD_CONSTANT * _r_median(np.sort(np.abs(x - median))),
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


def _is_text(column: pd.Series) -> bool:
    """A column of strings: the ``str`` dtype, or ``object`` holding only strings and missing."""
    if types.is_string_dtype(column) and not types.is_object_dtype(column):
        return True
    return types.is_object_dtype(column) and types.infer_dtype(column, skipna=True) == "string"


def _coded_values(column: pd.Series) -> NDArray[np.float64]:
    """psych's ``as.numeric(as.factor(x))``: level codes from 1, NaN for missing.

    A categorical keeps its own categories (unused ones included, as a factor keeps its
    levels); text gets R's levels, its distinct values in R's (ICU) collation order.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
    else:
        codes = pd.Categorical(column, categories=factor_levels(column)).codes
    # pandas codes a missing value as -1. np.where builds a new array: the codes are a
    # read-only view (as to_numpy() often is under copy-on-write), not to be assigned into.
    return np.where(codes < 0, np.nan, codes + 1.0)


def _column_for_describe(name: Hashable, column: pd.Series) -> tuple[str, NDArray[np.float64]]:
    """The row label and the numbers psych's describe would use for one column."""
    if types.is_numeric_dtype(column):  # booleans included, as 0/1
        return str(name), _numeric_values(column)
    if isinstance(column.dtype, pd.CategoricalDtype) or _is_text(column):
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
    ``p = 0, .25, .5, .75, 1``, and ``mean(x)`` (R's two-pass mean in long double, as in
    :func:`describe`), all over the non-missing values. R rounds only when printing
    (4 significant digits); these are the unrounded numbers.
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
        present = values[~np.isnan(values)]
        if present.size == 0:
            stats = [math.nan] * 6
        else:
            q = _quantile_type7(np.sort(present), [0, 0.25, 0.5, 0.75, 1])
            stats = [*q[:3], _r_mean(present), *q[3:]]  # the mean in data order, as R adds
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
        text columns (``str``, or ``object`` holding strings) are described by their
        codes, as psych does: categories by their position in the categories (from 1),
        text by its rank among the distinct values in R's sort order; missing values are
        left out. Their row label gets a ``*`` (``"team*"``). Other dtypes (dates, for
        instance) are an error naming the column.

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

    The arithmetic is R's, so the last digits agree too: ``m`` is R's ``mean()``, a
    two-pass mean accumulated in long double (``m = sum(x) / n``, then
    ``m + sum(x - m) / n``); ``s`` sums the squared deviations from it in long double, as
    ``var()`` does; the sums of powers accumulate in long double, as ``sum()`` does. A
    constant column therefore has its value as mean and ``s = 0`` exactly.

    NaN stands for psych's ``NA``/``NaN``: ``sd``, ``se``, ``skew`` and ``kurtosis`` of a
    single value, ``skew`` and ``kurtosis`` of a constant column (``0 / 0``). A column
    with no values has ``n = 0`` and NaN elsewhere (psych gives ``Inf``/``-Inf`` for its
    min and max). psych turns booleans into NA; here they count as 0/1. Text is coded
    as psych's ``as.numeric(as.factor(x))``: the levels sorted as R sorts them with ICU
    collation (ignoring case first, then lower case before upper: ``"apple" <
    "Apple" < "banana"``), not in Python's order (upper case first).

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
    """The group of every row of ``df``, as a Series on ``df``'s index.

    A Series pairs with ``df`` by index label; arrays, lists and an Index by position.
    """
    if isinstance(group, pd.Series | np.ndarray | list | tuple | pd.Index):
        values = pd.Series(group) if not isinstance(group, pd.Series) else group
        if len(values) != len(df):
            raise ValueError(
                f"group has {len(values)} values but the data frame has {len(df)} rows; "
                "give one group per row, or the name of a column"
            )
        if isinstance(group, pd.Series):
            values = match_by_label(values, df.index, this="df", that="group")
        return pd.Series(values.to_numpy(), index=df.index, dtype=values.dtype)
    if group in df.columns:
        return df[group]
    raise KeyError(
        f"group {group!r} is not a column of the data frame; give one of "
        f"{list(df.columns)!r} or a Series with one group per row"
    )


def _in_r_order(groups: pd.Series) -> pd.Series:
    """Text groups as a categorical in R's factor order ("a" < "A" < "b"), others as they are."""
    if isinstance(groups.dtype, pd.CategoricalDtype) or not _is_text(groups):
        return groups
    return pd.Series(pd.Categorical(groups, categories=factor_levels(groups)), index=groups.index)


def describe_by(df: pd.DataFrame, group: Hashable | pd.Series | Sequence) -> pd.DataFrame:
    """psych's ``describeBy(data, group)``: :func:`describe` within each group.

    Parameters
    ----------
    df : pandas.DataFrame
        The data, with the column kinds :func:`describe` accepts.
    group : column name, pandas.Series or sequence
        A column of ``df`` (which is then described too, as ``describeBy`` does), or one
        group label per row: a Series is paired with ``df`` by index label (the same
        labels in any order; different labels are a ``ValueError``), an array, list or
        Index by position.

    Returns
    -------
    pandas.DataFrame
        :func:`describe`'s columns, indexed by (``group``, ``variable``): the groups in
        R's factor order (numbers ascending, text in R's sort order, a categorical's own
        order; unused categories left out), the variables in column order.

    Notes
    -----
    Equivalent to R's ``describeBy(data, group = ...)``, which calls ``describe`` on each
    group's rows. String columns are ranked within each group (as psych ranks them within
    each subset), categorical columns by their categories. Rows whose group is missing
    are left out, as R's ``by()`` does, with a ``UserWarning`` giving their count.
    Text groups are sorted as ``factor()`` sorts them (``"a" < "A" < "b"``, see
    :func:`describe`).

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
        for label, rows in df.groupby(_in_r_order(groups), sort=True, observed=True, dropna=True)
    }
    if not tables:
        raise ValueError("describe_by(): there are no groups (every group value is missing)")
    return pd.concat(tables, names=["group", "variable"])
