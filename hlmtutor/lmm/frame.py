"""The model frame: formula + data -> y, X with R's names, and the raw random-effects terms.

lme4's ``lFormula`` step: R's ``model.frame`` (evaluate the formula's variables, drop
incomplete rows as ``na.omit``, drop unused factor levels), ``model.matrix`` (treatment
contrasts, R's column names and ``assign``), lme4's ``chkRank.drop.cols`` (aliased columns
dropped by R's pivoted QR with tolerance 1e-7) and, per random term, the model matrix of its
left side and the codes of its grouping factor. Everything is vectorised: the rows are never
looped over in Python.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._rprint import r_format
from .formula import (
    Formula,
    LinearPart,
    Name,
    _columns_of,
    _parse,
    evaluate,
    is_factor_call,
    parse_formula,
)
from .formula import scale_parameters as _scale_parameters

__all__ = [
    "ModelFrame",
    "RawRandomTerm",
    "factor_levels",
    "level_label",
    "model_frame",
    "r_collation_key",
]

RANK_TOL = 1e-7  # lme4's chkRank.drop.cols: qr(X, tol = 1e-7)


# -- factor levels as R sees them -------------------------------------------------------
# ICU's root order of ASCII punctuation and symbols (R sorts strings with ICU when it has it).
_ICU_PUNCT = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"


def r_collation_key(text: str) -> tuple:
    """Sort key giving R's (ICU) order of factor levels: "a" < "A" < "b", "_x" < "10" < "9" < "a".

    Letters compare without case and accents first, then accents, then case (lower first);
    punctuation sorts before digits, digits before letters.

    Examples
    --------
    >>> sorted(["b", "A", "a", "10", "9", "_x"], key=r_collation_key)
    ['_x', '10', '9', 'a', 'A', 'b']
    """
    primary, accents, cases = [], [], []
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        base = decomposed[0]
        if base.isalpha():
            primary.append((2, ord(base.casefold()[0])))
        elif base.isdigit():
            primary.append((1, ord(base)))
        else:
            position = _ICU_PUNCT.find(base)
            primary.append((0, position if position >= 0 else 100 + ord(base)))
        accents.append(len(decomposed) > 1)
        cases.append(base.isupper())
    return tuple(primary), tuple(accents), tuple(cases)


def _ascii_collation_key(text: str) -> tuple[str, str]:
    """r_collation_key for ASCII letters and digits: case-blind first, then lower case first."""
    return text.lower(), text.swapcase()


def _sort_key(values: list):
    if all(isinstance(v, str) for v in values):
        if all(v.isascii() and v.isalnum() for v in values):
            return _ascii_collation_key
        return r_collation_key
    if all(isinstance(v, bool | np.bool_) for v in values):
        return bool
    if all(isinstance(v, int | float | np.integer | np.floating) for v in values):
        return float
    return lambda v: (str(type(v)), str(v))


def factor_levels(series: pd.Series) -> list:
    """Levels as R's ``factor()`` sees them, unused levels dropped as lme4's model.frame does.

    A categorical keeps its category order; strings sort as R (ICU) sorts them; numbers and
    booleans by value.

    Examples
    --------
    >>> import pandas as pd
    >>> factor_levels(pd.Series(["b", "A", "a", None]))
    ['a', 'A', 'b']
    """
    return list(_factorize(series)[1])


def level_label(level) -> str:
    """R's label of a factor level: ``TRUE``/``FALSE``, numbers as ``as.character`` prints them.

    Examples
    --------
    >>> [level_label(v) for v in [True, 3, 2.0, 1e5, 0.1, "001"]]
    ['TRUE', '3', '2', '1e+05', '0.1', '001']
    """
    if isinstance(level, bool | np.bool_):
        return "TRUE" if level else "FALSE"
    if isinstance(level, int | np.integer):
        return str(int(level))
    if isinstance(level, float | np.floating):
        value = float(level)
        if value.is_integer() and abs(value) < 1e5:
            return str(int(value))
        return r_format([value], digits=15)[0].strip()
    return str(level)


def _factorize(series: pd.Series) -> tuple[np.ndarray, tuple]:
    """(codes, levels): codes index R's level order, -1 for missing; unused levels dropped."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        raw = series.cat.codes.to_numpy()
        categories = series.cat.categories
        used = np.bincount(raw[raw >= 0], minlength=len(categories)) > 0
        remap = np.cumsum(used) - 1
        codes = np.where(raw >= 0, remap[np.maximum(raw, 0)], -1)
        return codes.astype(np.intp), tuple(categories[used].tolist())
    raw, uniques = pd.factorize(series, use_na_sentinel=True)
    values = list(uniques.tolist() if hasattr(uniques, "tolist") else uniques)
    if not values:
        return raw.astype(np.intp), ()
    key = _sort_key(values)
    order = sorted(range(len(values)), key=lambda i: key(values[i]))
    rank = np.empty(len(values), dtype=np.intp)
    rank[order] = np.arange(len(values))
    codes = np.where(raw >= 0, rank[np.maximum(raw, 0)], -1)
    return codes.astype(np.intp), tuple(values[i] for i in order)


def _match_labels(series: pd.Series, labels: tuple[str, ...]) -> np.ndarray:
    """Codes of ``series`` in a fit's levels, matched by R's label; -1 unseen or missing."""
    index = {label: i for i, label in enumerate(labels)}
    raw, uniques = pd.factorize(series, use_na_sentinel=True)
    values = list(uniques.tolist() if hasattr(uniques, "tolist") else uniques)
    mapped = np.array([index.get(level_label(v), -1) for v in values] + [-1], dtype=np.intp)
    return mapped[raw]  # raw == -1 picks the trailing -1


# -- data classes ------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class RawRandomTerm:
    """One random-effects term ``(expr | factor)`` on the model frame's rows.

    Attributes
    ----------
    name : str
        lme4's name of the grouping factor (before ``make.unique``): ``g``, ``class:school``.
    factor_columns : tuple of str
        The data columns that make the factor.
    levels : tuple
        The factor's levels in R's order: the column's own values for one column (ids such as
        ``'001'`` or ``3`` keep their type), strings ``'la:lb'`` for an interaction.
    codes : numpy.ndarray
        (n,) index into ``levels``.
    columns : numpy.ndarray
        (n, q) model matrix of ``expr``.
    column_names : tuple of str
        lme4's names: ``'(Intercept)'``, ``'x'``, ``'sexM'``, ...
    expr : LinearPart
        The term's left side.
    """

    name: str
    factor_columns: tuple[str, ...]
    levels: tuple
    codes: np.ndarray
    columns: np.ndarray
    column_names: tuple[str, ...]
    expr: LinearPart = field(default=LinearPart((), True), repr=False)
    _component_labels: tuple[tuple[str, ...], ...] = field(default=(), repr=False)
    _keys: np.ndarray | None = field(default=None, repr=False)

    @property
    def labels(self) -> tuple[str, ...]:
        """The level labels as R prints them (``'3'``, ``'TRUE'``, ``'a:A'``)."""
        return tuple(level_label(v) for v in self.levels)


@dataclass(frozen=True)
class _Variable:
    """A model-frame variable: numeric values, or a factor's codes and level labels."""

    values: np.ndarray | None = None
    codes: np.ndarray | None = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class ModelFrame:
    """The model frame of an lme4 formula on a data frame (see :func:`model_frame`).

    Attributes
    ----------
    formula : Formula
    data : pandas.DataFrame
        The columns the formula uses, complete rows only, original index.
    y : numpy.ndarray
        (n,) the outcome.
    X : numpy.ndarray
        (n, p) the fixed-effects model matrix, aliased columns dropped.
    x_names : tuple of str
        R's column names of X.
    x_assign : tuple of int
        R's ``attr(X, "assign")`` for the kept columns: 0 the intercept, k term k (1-based).
    x_term_labels : tuple of str
        R's ``term.labels`` of the fixed part (every term, as R's ``terms`` keeps them).
    aliased : tuple of str
        Columns dropped for rank deficiency.
    random : tuple of RawRandomTerm
        In the formula's order (after expanding ``/`` and ``||``).
    n_dropped : int
        Rows dropped for missing values.
    lost_groups : mapping
        Factor name -> levels that lost all their rows to missing values.
    contrasts : mapping
        Factor -> the contrasts coding it in the fixed part when not ``contr.treatment``.
    messages : tuple of str
        Dropped rows, lost groups, dropped columns (lme4's wording where lme4 has one).
    """

    formula: Formula
    data: pd.DataFrame
    y: np.ndarray
    X: np.ndarray
    x_names: tuple[str, ...]
    x_assign: tuple[int, ...]
    x_term_labels: tuple[str, ...]
    aliased: tuple[str, ...]
    random: tuple[RawRandomTerm, ...]
    n_dropped: int
    lost_groups: Mapping[str, tuple]
    messages: tuple[str, ...]
    _factor_labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _scaling: Mapping[str, tuple[float, float]] = field(default_factory=dict, repr=False)
    _kept: tuple[int, ...] = field(default=(), repr=False)
    contrasts: Mapping[str, str] = field(default_factory=dict)

    @property
    def kept_columns(self) -> tuple[int, ...]:
        """The columns of the full fixed-effects design that X keeps (rank-deficient columns
        dropped as lme4 drops them)."""
        return self._kept

    # -- new data ------------------------------------------------------------------------
    def variables(self, part: LinearPart, newdata: pd.DataFrame) -> dict[str, _Variable]:
        """The model-frame variables of ``part`` evaluated on ``newdata`` with the fit's factor
        levels and scaling (numbers, or a factor's codes and labels)."""
        _check_frame(newdata, _part_columns(part), self.formula.text, "newdata")
        out = {}
        for expression in part.variables:
            if expression in self._factor_labels:
                known = self._factor_labels[expression]
                series = evaluate(expression, newdata)
                codes = _match_labels(series, known)
                unseen = (codes < 0) & series.notna().to_numpy()
                if unseen.any():
                    bad = sorted({level_label(v) for v in series[unseen].unique().tolist()})
                    raise ValueError(
                        f"newdata column {expression!r} has level(s) {bad} not seen in the fit; "
                        f"known levels: {list(known)}. A fixed effect cannot be predicted for "
                        "an unseen level."
                    )
                out[expression] = _Variable(codes=codes, labels=known)
            else:
                values = evaluate(expression, newdata, scaling=self._scaling)
                if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
                    raise TypeError(
                        f"newdata column {expression!r} must be numeric as in the fit, not "
                        f"{values.dtype}."
                    )
                out[expression] = _Variable(values=values.to_numpy(dtype=float, na_value=np.nan))
        return out

    def fixed_matrix(self, newdata: pd.DataFrame) -> np.ndarray:
        """X for ``newdata`` with the fit's factor levels, columns and scaling.

        Rows with a missing value give a row of NaN. A level of a fixed-effect factor that
        the fit did not see is a ValueError; levels are matched by R's label (``"3"`` and
        ``3`` are the same level).
        """
        variables = self.variables(self.formula.fixed, newdata)
        matrix, _, _ = _design(
            self.formula.fixed, variables, len(newdata), missing_nan=True, contrasts=self.contrasts
        )
        return matrix[:, list(self.kept_columns)]

    def random_columns(self, k: int, newdata: pd.DataFrame) -> np.ndarray:
        """(m, q_k) model matrix of random term ``k``'s left side on ``newdata``."""
        term = self.random[k]
        variables = self.variables(term.expr, newdata)
        matrix, _, _ = _design(term.expr, variables, len(newdata), missing_nan=True)
        return matrix

    def random_codes(self, k: int, newdata: pd.DataFrame) -> np.ndarray:
        """(m,) codes of newdata's rows in random term ``k``'s levels; -1 for unseen or missing.

        Levels are matched by R's label, so ``"3"`` finds the level ``3`` (and ``3`` the level
        ``"3"``), as R matches factor levels.
        """
        term = self.random[k]
        _check_frame(newdata, list(term.factor_columns), self.formula.text, "newdata")
        if len(term.factor_columns) == 1:
            return _match_labels(newdata[term.factor_columns[0]], term.labels)
        parts = [
            _match_labels(newdata[c], labels)
            for c, labels in zip(term.factor_columns, term._component_labels, strict=True)
        ]
        sizes = [len(labels) for labels in term._component_labels]
        combined, valid = _combine(parts, sizes)
        keys = term._keys
        position = np.searchsorted(keys, combined)
        position = np.minimum(position, len(keys) - 1)
        found = valid & (keys[position] == combined)
        return np.where(found, position, -1).astype(np.intp)


# -- helpers ------------------------------------------------------------------------------
def _part_columns(part: LinearPart) -> list[str]:
    columns: list[str] = []
    for expression in part.variables:
        _columns_of(_parse(expression), columns)
    return columns


def _check_frame(data, columns: list[str], formula: str, what: str = "data") -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, not {type(data).__name__}.")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise KeyError(
            f"Column(s) {', '.join(repr(c) for c in missing)} named in formula {formula!r} "
            f"are not in {what}. Columns there are: {', '.join(map(str, data.columns))}."
        )


def _combine(parts: list[np.ndarray], sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Mixed-radix code of an interaction, the first factor varying slowest (R's a:b)."""
    valid = np.ones(len(parts[0]), dtype=bool)
    combined = np.zeros(len(parts[0]), dtype=np.int64)
    for codes, size in zip(parts, sizes, strict=True):
        valid &= codes >= 0
        combined = combined * size + np.maximum(codes, 0)
    return combined, valid


def _is_categorical(series: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _is_datetime(series: pd.Series) -> bool:
    dtype = series.dtype
    return (
        pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype)
    )


def _bare_column(expression: str) -> str | None:
    """The data column a variable expression is, when it is a bare (maybe backticked) name."""
    node = _parse(expression)
    return node.id if isinstance(node, Name) else None


def _check_predictor(expression: str, data: pd.DataFrame, formula: str) -> None:
    column = _bare_column(expression)
    if column is None:
        return
    series = data[column]
    if _is_datetime(series):
        raise TypeError(
            f"The predictor {expression!r} in formula {formula!r} is a date/time column "
            f"({series.dtype}); lmer() cannot use it as it is. Convert it to a number (e.g. "
            f"days since the start: (data[{expression!r}] - data[{expression!r}].min()).dt.days) "
            f"or to a factor with data[{expression!r}].astype(str).astype('category')."
        )


CONTRASTS = ("contr.treatment", "contr.sum", "contr.helmert", "contr.poly")
_POLY_NAMES = (".L", ".Q", ".C")


def contrast_matrix(kind: str, labels: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """R's contrast matrix of a factor with ``labels`` (k x (k - 1)) and its column suffixes.

    ``contr.treatment``: indicators of levels 2..k, named by level; ``contr.sum``: level j
    against the last (the last row -1), named 1..k-1; ``contr.helmert``: level j + 1 against
    the mean of the levels before it (column j: -1 on rows 1..j, j on row j + 1), named
    1..k-1; ``contr.poly``: orthonormal polynomials in the scores 1..k (the part of each power
    orthogonal to the lower ones, scaled to unit length), named ``.L``, ``.Q``, ``.C``,
    ``^4``, ... (R's ``contr.treatment``, ``contr.sum``, ``contr.helmert``, ``contr.poly``).

    Examples
    --------
    >>> contrast_matrix("contr.sum", ("a", "b", "c"))[0].tolist()
    [[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]
    >>> contrast_matrix("contr.poly", ("a", "b", "c"))[1]
    ['.L', '.Q']
    """
    k = len(labels)
    if kind == "contr.treatment":
        return np.eye(k)[:, 1:], list(labels[1:])
    if kind == "contr.sum":
        matrix = np.vstack([np.eye(k - 1), -np.ones((1, k - 1))])
        return matrix, [str(j) for j in range(1, k)]
    if kind == "contr.helmert":
        matrix = np.zeros((k, k - 1))
        for j in range(1, k):
            matrix[:j, j - 1] = -1.0
            matrix[j, j - 1] = float(j)
        return matrix, [str(j) for j in range(1, k)]
    if kind == "contr.poly":
        scores = np.arange(1, k + 1, dtype=float)
        centred = scores - scores.mean()
        basis = [np.ones(k)]
        for power in range(1, k):
            v = centred**power
            for _ in range(2):  # Gram-Schmidt twice, for accuracy at higher powers
                for b in basis:
                    v = v - (v @ b) / (b @ b) * b
            basis.append(v)
        matrix = np.column_stack([b / np.linalg.norm(b) for b in basis[1:]])
        names = [_POLY_NAMES[j] if j < 3 else f"^{j + 1}" for j in range(k - 1)]
        return matrix, names
    raise ValueError(f"Unknown contrast {kind!r}; use one of {CONTRASTS}.")


def _contrast_coding(part: LinearPart, variables: Mapping[str, _Variable]) -> dict:
    """R's TermCode: (term index, factor) -> True for contrasts, False for indicators.

    A factor in a term is coded by contrasts when the term without it is empty or is contained
    in a preceding term (Chambers & Hastie 1992, p. 38; R's terms.c); without an intercept
    the first factor of the first term holding one gets indicators (R's modelmatrix).
    """
    coding = {}
    sets = [set(t) for t in part.terms]
    for k, term in enumerate(part.terms):
        for variable in term:
            if variables[variable].codes is None:
                continue
            margin = sets[k] - {variable}
            coding[k, variable] = not margin or any(margin <= sets[j] for j in range(k))
    if not part.intercept:
        for k, term in enumerate(part.terms):
            factors = [v for v in term if variables[v].codes is not None]
            if factors:
                coding[k, factors[0]] = False
                break
    return coding


def _design(
    part: LinearPart,
    variables: Mapping[str, _Variable],
    n: int,
    missing_nan: bool = False,
    contrasts: Mapping[str, str] | None = None,
) -> tuple[np.ndarray, list[str], list[int]]:
    """R's model.matrix: (matrix, names, assign); factors coded by contrasts use
    ``contrasts[variable]`` (default treatment), as ``model.matrix(..., contrasts.arg)``."""
    coding = _contrast_coding(part, variables)
    contrasts = contrasts or {}
    # name, assign, [(var, level)]; level -1: the numeric values, level >= 0: an indicator,
    # level -2 - j: column j of the factor's contrast matrix.
    specs: list[tuple[str, int, list[tuple[str, int]]]] = []
    matrices: dict[str, np.ndarray] = {}
    if part.intercept:
        specs.append(("(Intercept)", 0, []))
    for k, term in enumerate(part.terms, start=1):
        blocks: list[list[tuple[str, tuple[str, int]]]] = []
        for variable in term:
            var = variables[variable]
            if var.codes is None:
                blocks.append([(variable, (variable, -1))])
                continue
            kind = contrasts.get(variable, "contr.treatment")
            if coding[k - 1, variable] and kind != "contr.treatment":
                matrices[variable], suffixes = contrast_matrix(kind, var.labels)
                blocks.append(
                    [(f"{variable}{suffix}", (variable, -2 - j)) for j, suffix in
                     enumerate(suffixes)]
                )  # fmt: skip
                continue
            first = 1 if coding[k - 1, variable] else 0
            blocks.append(
                [(f"{variable}{label}", (variable, j)) for j, label in
                 enumerate(var.labels) if j >= first]
            )  # fmt: skip
        # R lets the first variable vary fastest across an interaction's columns.
        combos: list[tuple[str, list[tuple[str, int]]]] = [("", [])]
        for block in blocks:
            combos = [
                (f"{prefix}:{name}" if prefix else name, [*parts, piece])
                for name, piece in block
                for prefix, parts in combos
            ]
        specs.extend((name, k, parts) for name, parts in combos)
    matrix = np.empty((n, len(specs)), order="F")  # columns contiguous
    for j, (_, _, parts) in enumerate(specs):
        column = matrix[:, j]
        column.fill(1.0)
        for variable, level in parts:
            var = variables[variable]
            if level == -1:
                column *= var.values
            elif level < -1:
                weights = matrices[variable][:, -2 - level]
                column *= weights[np.maximum(var.codes, 0)]
            else:
                column *= var.codes == level
    if missing_nan and n:
        bad = np.zeros(n, dtype=bool)
        for variable in part.variables:
            var = variables[variable]
            bad |= np.isnan(var.values) if var.codes is None else var.codes < 0
        if bad.any():
            matrix[bad] = np.nan
    return matrix, [s[0] for s in specs], [s[1] for s in specs]


def _aliased_columns(matrix: np.ndarray, tol: float = RANK_TOL) -> list[int]:
    """Columns R's ``qr(X, tol)`` (LINPACK dqrdc2) moves out of the rank.

    A column is aliased when, after projecting out the kept columns before it, its remaining
    norm is below ``tol`` times its own norm (a zero column always is). Scale-free: a column
    multiplied by 1e14 or 1e-14 is treated as it was.
    """
    n, p = matrix.shape
    basis = np.empty((n, min(n, p)), order="F")  # contiguous columns for BLAS
    kept = 0
    aliased = []
    for j in range(p):
        column = matrix[:, j]
        norm = float(np.linalg.norm(column))
        if norm == 0.0 or not np.isfinite(norm) or kept >= n:
            aliased.append(j)
            continue
        v = column / norm
        for _ in range(2):  # classical Gram-Schmidt twice: as accurate as Householder
            if kept:
                q = basis[:, :kept]
                v = v - q @ (q.T @ v)
        remaining = float(np.linalg.norm(v))
        if remaining < tol:
            aliased.append(j)
            continue
        basis[:, kept] = v / remaining
        kept += 1
    return aliased


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def _lost_message(name: str, lost: tuple) -> str:
    shown = ", ".join(level_label(v) for v in lost[:10]) + (", ..." if len(lost) > 10 else "")
    k = len(lost)
    return (
        f"{k} {_plural(k, 'group', 'groups')} of {name!r} ({shown}) lost all "
        f"{_plural(k, 'its', 'their')} rows to missing values and "
        f"{_plural(k, 'is', 'are')} not in the model"
    )


# -- the model frame ------------------------------------------------------------------------
def model_frame(
    formula: str | Formula, data: pd.DataFrame, contrasts: Mapping[str, str] | None = None
) -> ModelFrame:
    """Build the model frame of an lme4 formula, as lme4's ``lFormula`` does.

    Parameters
    ----------
    formula : str or Formula
        lme4 syntax, e.g. ``"y ~ x * sex + I(x^2) + (1 + x | school) + (1 | school:class)"``.
    data : pandas.DataFrame
        The data. Rows with a missing value in a variable the formula uses are dropped (as
        R's ``na.omit``); the count, the columns at fault and the groups that lost all their
        rows are recorded in ``messages``.
    contrasts : dict, optional
        Factor of the fixed part -> one of ``contr.treatment`` (the default; ``contr.poly``
        for an ordered categorical, as R's default for an ordered factor), ``contr.sum``,
        ``contr.helmert``, ``contr.poly`` (R's ``contrasts.arg`` of ``model.matrix``).

    Returns
    -------
    ModelFrame

    Raises
    ------
    TypeError
        ``data`` is not a DataFrame; the outcome is not numeric (or is boolean); a fixed
        predictor is a date/time column. (Text is a factor, digits or not, as R reads a
        character column: ``"10"`` sorts before ``"9"``.)
    KeyError
        A column the formula names is not in ``data``.
    ValueError
        ``inf`` in the outcome or a numeric predictor; a grouping factor with fewer than two
        levels.

    Notes
    -----
    X is R's ``model.matrix`` with treatment contrasts (a factor is coded by indicators of
    its levels but the first when the term without it is in the model, by all its levels
    otherwise), R's column names (``sexM``, ``x:sexM``, ``factor(g)2``, ``I(x^2)``) and term
    order. Columns R's ``qr(X, tol = 1e-7)`` finds aliased are dropped with lme4's message.
    Factor levels are R's: categories in their order, strings in R's (ICU) order, numbers
    and booleans by value; unused levels dropped; an interaction ``a:b`` has the levels
    ``'la:lb'`` that occur, ``a``'s slowest. Matches lme4's ``lFormula``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"y": [1.0, 2.0, 3.5, 4.0, 5.5, 6.0],
    ...                   "x": [0.5, 1.0, 1.5, 2.0, 2.5, None],
    ...                   "sex": ["F", "M", "F", "M", "F", "M"],
    ...                   "g": ["a", "a", "b", "b", "c", "c"]})
    >>> mf = model_frame("y ~ x * sex + (1 | g)", d)
    >>> mf.x_names
    ('(Intercept)', 'x', 'sexM', 'x:sexM')
    >>> mf.x_assign
    (0, 1, 2, 3)
    >>> mf.n_dropped, mf.random[0].levels, mf.random[0].codes.tolist()
    (1, ('a', 'b', 'c'), [0, 0, 1, 1, 2])
    """
    parsed = parse_formula(formula) if isinstance(formula, str) else formula
    if not isinstance(parsed, Formula):
        raise TypeError(
            f"formula must be a string such as 'y ~ x + (1 | g)', not {type(formula).__name__}."
        )
    text = parsed.text
    _check_frame(data, list(parsed.variables), text)
    columns = list(parsed.variables)
    repeated = [c for c in columns if (data.columns == c).sum() > 1]
    if repeated:
        raise ValueError(
            f"Column(s) {', '.join(map(repr, repeated))} appear more than once in data; rename "
            f"them so that formula {text!r} names one column each."
        )
    raw = data[columns]

    # The outcome.
    response = parsed.response
    if response in raw.columns:
        series = raw[response]
        if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
            raise TypeError(
                f"The outcome {response!r} must be numeric, but its dtype is {series.dtype}. "
                "lmer() fits a linear model for a numeric outcome; convert the column with "
                "pandas.to_numeric; for a binary (two-level) outcome use "
                "glmer(formula, data, family='binomial')."
            )
    # Predictors: types first (clear errors before any computation).
    model_parts = [parsed.fixed, *(t.expr for t in parsed.random)]
    expressions = list(dict.fromkeys(v for part in model_parts for v in part.variables))
    for expression in expressions:
        _check_predictor(expression, raw, text)
    scaling: dict[str, tuple[float, float]] = {}
    for expression in [response, *expressions]:
        if "scale(" in expression:
            scaling.update(_scale_parameters(expression, raw))

    # Evaluate the model frame's variables on every row (R: model.frame, then na.omit).
    evaluated: dict[str, pd.Series] = {}
    factor_exprs: set[str] = set()
    for expression in [response, *expressions]:
        series = evaluate(expression, raw, scaling=scaling)
        if expression != response and (is_factor_call(expression) or _is_categorical(series)):
            factor_exprs.add(expression)
        evaluated[expression] = series

    # Infinite values in the outcome or a numeric predictor.
    for expression, series in evaluated.items():
        if expression in factor_exprs:
            continue
        values = series.to_numpy(dtype=float, na_value=np.nan)
        count = int(np.isinf(values).sum())
        if count:
            what = "outcome" if expression == response else "predictor"
            raise ValueError(
                f"The {what} {expression!r} has {count} infinite value(s) (inf or -inf); a "
                "linear model needs finite numbers. Replace them (e.g. with NaN to drop those "
                "rows) or transform the variable."
            )

    # Missing values: the raw columns, then expressions that produce NaN (log of a negative).
    missing = raw.isna()
    incomplete = missing.any(axis=1).to_numpy()
    culprits = [c for c in columns if missing[c].to_numpy().any()]
    for expression, series in evaluated.items():
        nan = series.isna().to_numpy()
        extra = nan & ~incomplete
        if extra.any():
            culprits.append(expression)
            incomplete = incomplete | nan
    keep = ~incomplete
    n_dropped = int(incomplete.sum())
    messages: list[str] = []
    if n_dropped:
        messages.append(
            f"{n_dropped} row(s) with missing values in {', '.join(culprits)} dropped "
            "(as lme4's na.omit does)"
        )
    all_rows = n_dropped == 0
    frame = raw if all_rows else raw[keep]
    n = len(frame)

    # Grouping factors: R's levels on the complete rows, and the groups that vanished.
    group_codes: dict[str, tuple[np.ndarray, tuple]] = {}
    for term in parsed.random:
        for column in term.factor:
            if column not in group_codes:
                group_codes[column] = _factorize(raw[column])
    lost_groups: dict[str, tuple] = {}
    random_terms: list[RawRandomTerm] = []
    built: dict[str, tuple] = {}
    for term in parsed.random:
        if term.name not in built:
            built[term.name] = _grouping(term.name, term.factor, group_codes, keep, all_rows)
            lost = built[term.name][3]
            if lost:
                lost_groups[term.name] = lost
                messages.append(_lost_message(term.name, lost))
        codes, levels, extras, _ = built[term.name]
        if len(levels) < 2:
            shown = [level_label(v) for v in levels]
            raise ValueError(
                f"The grouping factor {term.name!r} has {len(levels)} level(s) ({shown}) in "
                "the complete rows; a random effect needs at least two groups (in practice "
                "many more)."
            )
        random_terms.append((term, codes, levels, extras))

    # Model-frame variables on the complete rows.
    variables: dict[str, _Variable] = {}
    factor_labels: dict[str, tuple[str, ...]] = {}
    for expression in expressions:
        series = evaluated[expression]
        if not all_rows:
            series = series[keep]
        if expression in factor_exprs:
            codes, levels = _factorize(series)
            labels = tuple(level_label(v) for v in levels)
            if len(levels) < 2:
                raise ValueError(
                    f"The factor {expression!r} in formula {text!r} has {len(levels)} level(s) "
                    f"{list(labels)} in the complete rows; a factor needs two or more levels "
                    "to have an effect (R: 'contrasts can be applied only to factors with 2 or "
                    "more levels'). Drop the term or check the data."
                )
            factor_labels[expression] = labels
            variables[expression] = _Variable(codes=codes, labels=labels)
        else:
            variables[expression] = _Variable(values=series.to_numpy(dtype=float))
    y_series = evaluated[response]
    y = (y_series if all_rows else y_series[keep]).to_numpy(dtype=float)

    # X, then lme4's rank check.
    ordered = {
        e for e in factor_exprs
        if isinstance(evaluated[e].dtype, pd.CategoricalDtype) and evaluated[e].dtype.ordered
    }  # fmt: skip
    chosen = _check_contrasts(contrasts, parsed, factor_labels, text, ordered)
    full, names, assign = _design(parsed.fixed, variables, n, contrasts=chosen)
    aliased_idx = _aliased_columns(full) if full.shape[1] else []
    kept = [j for j in range(full.shape[1]) if j not in set(aliased_idx)]
    X = full if not aliased_idx else np.ascontiguousarray(full[:, kept])
    if aliased_idx:
        k = len(aliased_idx)
        messages.append(
            "fixed-effect model matrix is rank deficient so dropping "
            f"{k} {_plural(k, 'column / coefficient', 'columns / coefficients')}"
        )

    raw_terms = []
    for term, codes, levels, extras in random_terms:
        columns_k, names_k, _ = _design(term.expr, variables, n)
        raw_terms.append(
            RawRandomTerm(
                name=term.name,
                factor_columns=term.factor,
                levels=levels,
                codes=codes,
                columns=columns_k,
                column_names=tuple(names_k),
                expr=term.expr,
                _component_labels=extras[0],
                _keys=extras[1],
            )
        )
    return ModelFrame(
        formula=parsed,
        data=frame,
        y=y,
        X=X,
        x_names=tuple(names[j] for j in kept),
        x_assign=tuple(assign[j] for j in kept),
        x_term_labels=parsed.fixed.term_labels,
        aliased=tuple(names[j] for j in aliased_idx),
        random=tuple(raw_terms),
        n_dropped=n_dropped,
        lost_groups=lost_groups,
        messages=tuple(messages),
        _factor_labels=factor_labels,
        _scaling=scaling,
        _kept=tuple(kept),
        contrasts=chosen,
    )


def _check_contrasts(
    contrasts, parsed: Formula, factor_labels, text: str, ordered: set[str] = frozenset()
) -> dict[str, str]:
    """The contrasts= argument checked (keys are factors of the fixed part, values R's names),
    over R's defaults: ``contr.poly`` for an ordered factor (an ordered pandas categorical)."""
    defaults = {e: "contr.poly" for e in ordered if e in set(parsed.fixed.variables)}
    if contrasts is None:
        return defaults
    if not isinstance(contrasts, Mapping):
        raise TypeError(
            "contrasts must be a dict such as {'recipe': 'contr.sum'}, not "
            f"{type(contrasts).__name__}."
        )
    fixed = set(parsed.fixed.variables)
    chosen = defaults
    for name, kind in contrasts.items():
        if kind not in CONTRASTS:
            raise ValueError(
                f"contrasts[{name!r}] = {kind!r} is not a contrast this package knows; use one of "
                f"{', '.join(CONTRASTS)}."
            )
        if name not in fixed or name not in factor_labels:
            factors = sorted(v for v in fixed if v in factor_labels)
            raise ValueError(
                f"contrasts names {name!r}, which is not a factor in the fixed part of formula "
                f"{text!r}; its factors are {factors}."
            )
        if kind != "contr.treatment":
            chosen[name] = kind
        else:
            chosen.pop(name, None)
    return chosen


def _grouping(name, factor, group_codes, keep, all_rows):
    """(codes, levels, (component labels, keys), lost levels) of one grouping factor."""
    if len(factor) == 1:
        full_codes, full_levels = group_codes[factor[0]]
        before = np.bincount(full_codes[full_codes >= 0], minlength=len(full_levels)) > 0
        kept_codes = full_codes if all_rows else full_codes[keep]
        after = np.bincount(kept_codes, minlength=len(full_levels)) > 0
        lost = tuple(lv for lv, b, a in zip(full_levels, before, after, strict=True) if b and not a)
        remap = np.cumsum(after) - 1
        codes = remap[kept_codes].astype(np.intp)
        levels = tuple(lv for lv, a in zip(full_levels, after, strict=True) if a)
        return codes, levels, ((), None), lost
    # An interaction: components' levels on the complete rows (unused dropped), then the
    # combinations that occur, the first factor varying slowest (R's a:b, then factor()).
    parts_full = [group_codes[c] for c in factor]
    component_codes = []
    component_labels = []
    for codes_full, levels_full in parts_full:
        kept_codes = codes_full if all_rows else codes_full[keep]
        used = np.bincount(kept_codes, minlength=len(levels_full)) > 0
        remap = np.cumsum(used) - 1
        component_codes.append(remap[kept_codes])
        component_labels.append(
            tuple(level_label(lv) for lv, u in zip(levels_full, used, strict=True) if u)
        )
    sizes = [len(labels) for labels in component_labels]
    combined, _ = _combine(component_codes, sizes)
    keys, codes = _unique_codes(combined, int(np.prod(sizes, dtype=np.float64)))
    levels = tuple(_combination_labels(keys, component_labels))
    lost: tuple = ()
    if not all_rows:
        # Lost groups: combinations present among rows with the factor known, absent after.
        full_sizes = [len(lv) for _, lv in parts_full]
        full_combined, valid = _combine([c for c, _ in parts_full], full_sizes)
        before, _ = _unique_codes(full_combined[valid], int(np.prod(full_sizes, dtype=np.float64)))
        after, _ = _unique_codes(
            full_combined[valid & keep], int(np.prod(full_sizes, dtype=np.float64))
        )
        lost_keys = np.setdiff1d(before, after, assume_unique=True)
        full_labels = [
            tuple(level_label(lv) for lv in levels_full) for _, levels_full in parts_full
        ]
        lost = tuple(_combination_labels(lost_keys, full_labels))
    return codes.astype(np.intp), levels, (tuple(component_labels), keys), lost


def _unique_codes(combined: np.ndarray, total: int) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct values, index of each value among them), in O(n) when ``total`` allows."""
    if total <= max(4 * len(combined), 1 << 20):
        present = np.bincount(combined, minlength=total) > 0
        keys = np.flatnonzero(present)
        remap = np.cumsum(present) - 1
        return keys, remap[combined].astype(np.intp)
    raw, uniques = pd.factorize(combined, sort=True)
    return np.asarray(uniques), raw.astype(np.intp)


def _combination_labels(keys: np.ndarray, component_labels) -> list[str]:
    sizes = [len(labels) for labels in component_labels]
    digits = []
    rest = keys.astype(np.int64)
    for size in reversed(sizes):
        digits.append(rest % size)
        rest = rest // size
    digits.reverse()
    pieces = [np.asarray(labels, dtype=object)[d] for labels, d in
              zip(component_labels, digits, strict=True)]  # fmt: skip
    if not len(keys):
        return []
    out = pieces[0]
    for piece in pieces[1:]:
        out = out + ":" + piece
    return out.tolist()
