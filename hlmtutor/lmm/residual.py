"""Residual structures within a subject, as nlme's ``lme`` fits them: AR(1), continuous-time
AR(1) and a residual SD per stratum (``corAR1``, ``corCAR1``, ``varIdent``).

The model (Pinheiro & Bates 2000, *Mixed-Effects Models in S and S-PLUS*, ch. 5): for subject
i, ``y_i = X_i beta + Z_i b_i + e_i`` with ``e_i ~ N(0, sigma^2 L_i L_i')`` and
``L_i L_i' = V_i^(1/2) C_i V_i^(1/2)``; ``C_i`` a correlation matrix and ``V_i`` a diagonal of
variance ratios. With the parameters of ``C`` and ``V`` fixed, multiplying every subject's rows of
y, X and Z by ``L_i^-1`` gives lmer's model with independent residuals, so lmer's profiled
criterion of the whitened data plus ``2 sum_i log|L_i|`` is the REML criterion (or ML deviance)
of the structured model. The correlation and variance parameters join theta in the optimizer,
on an unconstrained scale.

The whitening costs O(n): an AR(1) process is Markov, so ``L_i^-1`` is bidiagonal whatever the
spacing of the times. With ``rho_j = phi^(t_j - t_(j-1))`` (``t`` the position, an integer time or
a continuous time) and the rows of a subject in time order,

    w_1 = e_1 / d_1,    w_j = (e_j / d_j - rho_j e_(j-1) / d_(j-1)) / sqrt(1 - rho_j^2),

(``d_j`` the SD ratio of row j's stratum) are independent with variance sigma^2, and
``log|L_i| = sum_j log d_j + sum_(j > 1) log sqrt(1 - rho_j^2)``. No n_i x n_i matrix is formed.

The rows of a subject need not be adjacent in the data: each row points at its predecessor.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd

from .terms import ReTerms

__all__ = [
    "CorAR1",
    "CorCAR1",
    "VarIdent",
    "cor_ar1",
    "cor_car1",
    "var_ident",
    "ResidualModel",
    "build_residual_model",
]

# Below this 1 - rho^2 the whitening divides by (almost) zero: the criterion is inf there.
MIN_INNOVATION = 1e-12


# -- the structures a reader asks for ------------------------------------------------------------
@dataclass(frozen=True)
class CorAR1:
    """AR(1) residual correlation within a subject (nlme's ``corAR1``); see ``cor_ar1``."""

    time: str | None = None

    @property
    def title(self) -> str:
        return "AR(1)"

    def phi(self, u: float) -> float:
        """nlme's unconstrained scale for corAR1: u = log((1 + phi) / (1 - phi))."""
        return float(np.tanh(u / 2.0))

    def unconstrained(self, phi: float) -> float:
        return float(np.log((1.0 + phi) / (1.0 - phi)))

    start = 0.0  # phi = 0, nlme's default initial value


@dataclass(frozen=True)
class CorCAR1:
    """Continuous-time AR(1) residual correlation (nlme's ``corCAR1``); see ``cor_car1``."""

    time: str

    @property
    def title(self) -> str:
        return "Continuous AR(1)"

    def phi(self, u: float) -> float:
        """nlme's unconstrained scale for corCAR1: u = log(phi / (1 - phi))."""
        return float(1.0 / (1.0 + np.exp(-u)))

    def unconstrained(self, phi: float) -> float:
        return float(np.log(phi / (1.0 - phi)))

    start = float(np.log(0.2 / 0.8))  # phi = 0.2, nlme's default initial value


@dataclass(frozen=True)
class VarIdent:
    """A residual SD per stratum (nlme's ``varIdent``); see ``var_ident``."""

    by: str


def cor_ar1(time: str | None = None) -> CorAR1:
    """AR(1) correlation of the residuals within a subject, for ``lmer(..., correlation=)``.

    Parameters
    ----------
    time : str, optional
        None: consecutive rows of a subject (in the data's order) are one step apart, as nlme's
        ``corAR1(form = ~ 1 | id)``. A column name: an integer time (gaps allowed, e.g. a missed
        wave), as ``corAR1(form = ~ time | id)``; the rows of each subject must be in increasing
        time.

    Returns
    -------
    CorAR1

    Notes
    -----
    ``corr(e_j, e_k) = phi^|t_j - t_k|`` within a subject, residuals of different subjects
    independent. The subject is the innermost grouping factor of the random part (the one with
    the most levels), as in nlme. ``fit.correlation_params`` reports ``{"Phi": phi}``.

    Examples
    --------
    >>> from hlmtutor import cor_ar1
    >>> cor_ar1(time="wave")
    CorAR1(time='wave')
    """
    if time is not None and not isinstance(time, str):
        raise TypeError(f"time must be a column name (str) or None, not {time!r}.")
    return CorAR1(time)


def cor_car1(time: str) -> CorCAR1:
    """Continuous-time AR(1) correlation within a subject, for unequally spaced times.

    Parameters
    ----------
    time : str
        A numeric column: the time of each measurement (any real values, increasing within a
        subject).

    Returns
    -------
    CorCAR1

    Notes
    -----
    ``corr(e_j, e_k) = phi^|t_j - t_k|`` with ``0 < phi < 1`` the correlation one time unit apart:
    nlme's ``corCAR1(form = ~ time | id)``.

    Examples
    --------
    >>> from hlmtutor import cor_car1
    >>> cor_car1(time="age")
    CorCAR1(time='age')
    """
    if not isinstance(time, str):
        raise TypeError(f"cor_car1 needs the name of the time column (str), not {time!r}.")
    return CorCAR1(time)


def var_ident(by: str) -> VarIdent:
    """A separate residual SD per stratum (e.g. per wave or per group), for ``lmer(..., variance=)``.

    Parameters
    ----------
    by : str
        The column whose values are the strata.

    Returns
    -------
    VarIdent

    Notes
    -----
    ``Var(e_j) = sigma^2 delta_s^2`` for row j in stratum s, ``delta = 1`` for the first stratum
    (in order of appearance once the rows are sorted by subject, as nlme), so ``sigma`` is the first stratum's residual SD
    and ``fit.variance_params`` holds the ratios ``delta_s``, as
    ``coef(m$modelStruct$varStruct, unconstrained = FALSE)`` with nlme's
    ``varIdent(form = ~ 1 | by)``.

    Examples
    --------
    >>> from hlmtutor import var_ident
    >>> var_ident(by="wave")
    VarIdent(by='wave')
    """
    if not isinstance(by, str):
        raise TypeError(f"var_ident needs the name of the stratum column (str), not {by!r}.")
    return VarIdent(by)


# -- the structure laid out on a model's rows ---------------------------------------------------
@dataclass(frozen=True, eq=False)
class ResidualModel:
    """The residual structure on the rows of one model frame.

    Attributes
    ----------
    correlation, variance
        The structures asked for (either may be None).
    group : str
        The subject factor of the correlation ("" without one).
    prev : numpy.ndarray
        (n,) the row of the same subject just before each row in time, -1 for a first row.
    gap : numpy.ndarray
        (n,) time since that row (1 by position); 0 for a first row.
    strata : tuple
        The strata of ``variance`` in nlme's order (of appearance); ``stratum`` their codes.
    """

    correlation: CorAR1 | CorCAR1 | None
    variance: VarIdent | None
    group: str
    prev: np.ndarray
    gap: np.ndarray
    strata: tuple
    stratum: np.ndarray
    names: tuple[str, ...] = field(default=())

    @property
    def n_params(self) -> int:
        return (self.correlation is not None) + max(len(self.strata) - 1, 0)

    @property
    def start(self) -> np.ndarray:
        cor = [self.correlation.start] if self.correlation is not None else []
        return np.array(cor + [0.0] * max(len(self.strata) - 1, 0))

    @cached_property
    def _has_prev(self) -> np.ndarray:
        return self.prev >= 0

    @cached_property
    def _prev_safe(self) -> np.ndarray:
        return np.maximum(self.prev, 0)

    @cached_property
    def contiguous(self) -> bool:
        """Each row's predecessor is the row just above it (rows sorted by subject and time)."""
        rows = np.flatnonzero(self._has_prev)
        return bool(np.all(self.prev[rows] == rows - 1))

    @cached_property
    def _gaps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The distinct gaps (few for positions or waves), each row's, and their counts."""
        values, inverse, counts = np.unique(
            self.gap[self._has_prev], return_inverse=True, return_counts=True
        )
        return values, inverse, counts

    @cached_property
    def _stratum_counts(self) -> np.ndarray:
        return np.bincount(self.stratum, minlength=max(len(self.strata), 1))

    # -- parameters ------------------------------------------------------------------------
    def phi(self, params: np.ndarray) -> float | None:
        return None if self.correlation is None else self.correlation.phi(params[0])

    def ratios(self, params: np.ndarray) -> np.ndarray:
        """delta per stratum (1 for the first); an empty array without varIdent."""
        if self.variance is None:
            return np.zeros(0)
        logs = params[1:] if self.correlation is not None else params
        return np.exp(np.r_[0.0, logs])

    def correlation_params(self, params: np.ndarray) -> dict[str, float]:
        return {} if self.correlation is None else {"Phi": self.phi(params)}

    def variance_params(self, params: np.ndarray) -> dict:
        return dict(zip(self.strata, (float(d) for d in self.ratios(params)), strict=True))

    # -- whitening ---------------------------------------------------------------------------
    def weights(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, float] | None:
        """(a, b, log|L|): the whitened row j is ``a_j v_j - b_j v_prev(j)``; None when the
        correlation is so close to +-1 that the whitening is singular."""
        n = len(self.prev)
        if self.variance is not None:
            ratios = self.ratios(params)
            delta = ratios[self.stratum]
            logdet = float(self._stratum_counts @ np.log(ratios))
            a = 1.0 / delta
        else:
            delta = None
            logdet = 0.0
            a = np.ones(n)
        b = np.zeros(n)
        if self.correlation is not None:
            phi = self.phi(params)
            gaps, inverse, counts = self._gaps
            rho_gap = np.power(phi, gaps)  # one power per distinct gap
            innovation = 1.0 - rho_gap * rho_gap
            if not np.all(innovation > MIN_INNOVATION):
                return None
            s_gap = np.sqrt(innovation)
            has = self._has_prev
            s = s_gap[inverse]
            a[has] = a[has] / s
            b_has = (rho_gap / s_gap)[inverse]
            if delta is not None:
                b_has = b_has / delta[self.prev[has]]
            b[has] = b_has
            logdet += 0.5 * float(counts @ np.log(innovation))
        return a, b, logdet

    def whiten(self, values: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """L^-1 applied to the rows of ``values`` (n,) or (n, k)."""
        values = np.asarray(values, dtype=float)
        matrix = values.ndim == 2
        out = (a[:, None] if matrix else a) * values
        if self.correlation is None:
            return out
        if self.contiguous:  # b is 0 on first rows
            out[1:] -= (b[1:, None] if matrix else b[1:]) * values[:-1]
        else:
            out -= (b[:, None] if matrix else b) * values[self._prev_safe]
        return out

    def permuted(self, order: np.ndarray) -> ResidualModel:
        """The same structure on the rows ``order`` (a permutation of the rows)."""
        position = np.empty_like(order)
        position[order] = np.arange(len(order))
        prev = self.prev[order]
        prev = np.where(prev >= 0, position[np.maximum(prev, 0)], -1)
        return replace(self, prev=prev, gap=self.gap[order], stratum=self.stratum[order])

    # -- printing as nlme prints it ---------------------------------------------------------------
    @property
    def arma_form(self) -> bool:
        """nlme fits corAR1 over an integer time with gaps as ARMA(1,0) (printed so, "Phi1")."""
        has = self._has_prev
        return isinstance(self.correlation, CorAR1) and bool(np.any(self.gap[has] != 1.0))

    @property
    def title(self) -> str:
        return "ARMA(1,0)" if self.arma_form else self.correlation.title

    @property
    def phi_label(self) -> str:
        return "Phi1" if self.arma_form else "Phi"

    def formula_text(self) -> tuple[str, str]:
        """The correlation's and the variance function's formulas as nlme prints them."""
        cor = ""
        if self.correlation is not None:
            # lme4 names (1 | school/pid)'s inner factor pid:school; nlme writes school/pid
            group = "/".join(reversed(self.group.split(":")))
            cor = f"~{self.correlation.time or 1} | {group}"
        var = f"~1 | {self.variance.by}" if self.variance is not None else ""
        return cor, var


def _check_columns(data: pd.DataFrame, correlation, variance) -> list[str]:
    columns = []
    if correlation is not None:
        if not isinstance(correlation, CorAR1 | CorCAR1):
            raise TypeError(
                "correlation must be hlmtutor.cor_ar1(...) or hlmtutor.cor_car1(...), "
                f"not {correlation!r}."
            )
        if correlation.time is not None:
            columns.append(correlation.time)
    if variance is not None:
        if not isinstance(variance, VarIdent):
            raise TypeError(f"variance must be hlmtutor.var_ident(by=...), not {variance!r}.")
        columns.append(variance.by)
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(
            f"Column(s) {', '.join(map(repr, missing))} of the residual structure are not in the "
            f"data; the data has {', '.join(map(str, data.columns))}."
        )
    return columns


def _time_values(series: pd.Series, correlation) -> np.ndarray:
    name = correlation.time
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise ValueError(
            f"The time column {name!r} must be numeric (it is {series.dtype}): code the "
            "occasions as numbers, e.g. 0, 1, 2 for the waves, or the age at measurement."
        )
    values = series.to_numpy(dtype=float)
    if isinstance(correlation, CorAR1) and np.any(values != np.round(values)):
        bad = values[values != np.round(values)][0]
        raise ValueError(
            f"cor_ar1(time={name!r}) needs integer times (nlme's corAR1), but {name} has the "
            f"value {bad:g}; for unequally spaced or continuous times use "
            f"hlmtutor.cor_car1(time={name!r})."
        )
    return values


def _predecessors(codes: np.ndarray, time: np.ndarray | None, group: str, name: str, labels):
    """prev and gap per row; the rows of each subject must be in increasing time."""
    n = len(codes)
    prev = np.full(n, -1, dtype=np.intp)
    order = np.argsort(codes, kind="stable")  # each subject's rows, in the data's order
    same = codes[order][1:] == codes[order][:-1]
    prev[order[1:][same]] = order[:-1][same]
    gap = np.zeros(n)
    has = prev >= 0
    if time is None:
        gap[has] = 1.0
        return prev, gap
    step = time[has] - time[prev[has]]
    if np.any(step <= 0):
        rows = np.flatnonzero(has)[step <= 0]
        j = int(rows[0])
        subject = labels[codes[j]]
        kind = "duplicated times" if np.any(step == 0) and step[step <= 0][0] == 0 else None
        if kind:
            raise ValueError(
                f"{group} {subject} has two rows at {name} = {time[j]:g}: duplicated times within "
                f"a subject cannot both be correlated by {name}. Drop or average the duplicates, "
                "or check the time column."
            )
        raise ValueError(
            f"The rows of {group} {subject} are out of time order ({name} = {time[prev[j]]:g} "
            f"before {time[j]:g}); sort the data by subject and time first, e.g. "
            f"data.sort_values([{group!r}, {name!r}])."
        )
    gap[has] = step
    return prev, gap


def _group_order(reterms: ReTerms) -> np.ndarray:
    """The rows sorted (stably) by the grouping factors, outermost first: nlme's order."""
    by_factor = {}
    for term in sorted(reterms.terms, key=lambda t: -t.nlev):  # innermost first
        by_factor.setdefault(term.factor_name, term.codes)
    return np.lexsort(list(by_factor.values()))  # the last key (outermost) sorts first


def _strata(series: pd.Series, by: str, order: np.ndarray) -> tuple[tuple, np.ndarray]:
    # nlme takes the strata in order of appearance once the rows are sorted by group
    _, uniques = pd.factorize(series.iloc[order], sort=False)
    codes = pd.Index(uniques).get_indexer(series)
    counts = np.bincount(codes, minlength=len(uniques))
    single = [uniques[k] for k in np.flatnonzero(counts < 2)]
    if single:
        raise ValueError(
            f"var_ident(by={by!r}): the stratum {by} = {single[0]!r} has one observation, so its "
            "residual SD cannot be estimated apart from the random effects; merge it with "
            "another stratum or drop it."
        )
    if len(uniques) < 2:
        raise ValueError(
            f"var_ident(by={by!r}): {by} has one value in the data used ({uniques[0]!r}); a "
            "residual SD per stratum needs at least two strata."
        )
    return tuple(uniques.tolist()), codes.astype(np.intp)


def _check_nested(reterms: ReTerms) -> None:
    """Every other grouping factor must be constant within a subject (nlme's nesting)."""
    first = reterms.terms[0]
    for term in reterms.terms[1:]:
        if term.factor_name == first.factor_name:
            continue
        pairs = np.unique(np.column_stack([first.codes, term.codes]), axis=0)
        if len(pairs) != first.nlev:
            raise ValueError(
                f"A residual correlation runs within {first.factor_name}, the innermost "
                f"grouping factor, but {term.factor_name} varies within {first.factor_name} "
                "(crossed factors): nlme's structures need every other grouping factor to "
                f"contain {first.factor_name} (nested), e.g. (1 | school/id)."
            )


def build_residual_model(
    data: pd.DataFrame, rows: pd.Index, reterms: ReTerms, correlation, variance
) -> ResidualModel:
    """Lay the structures out on the model frame's rows (``rows``: its index in ``data``)."""
    n = len(rows)
    prev = np.full(n, -1, dtype=np.intp)
    gap = np.zeros(n)
    group = ""
    if correlation is not None:
        _check_nested(reterms)
        first = reterms.terms[0]
        group = first.factor_name
        time = None
        if correlation.time is not None:
            time = _time_values(data.loc[rows, correlation.time], correlation)
        name = correlation.time or "position"
        prev, gap = _predecessors(first.codes, time, group, name, first.levels)
    strata: tuple = ()
    stratum = np.zeros(n, dtype=np.intp)
    if variance is not None:
        column = data.loc[rows, variance.by]
        strata, stratum = _strata(column, variance.by, _group_order(reterms))
    names = []
    if correlation is not None:
        names.append("Phi")
    names += [f"delta.{s}" for s in strata[1:]]
    return ResidualModel(
        correlation=correlation,
        variance=variance,
        group=group,
        prev=prev,
        gap=gap,
        strata=strata,
        stratum=stratum,
        names=tuple(names),
    )


def structure_columns(data: pd.DataFrame, correlation, variance) -> list[str]:
    """The data columns the structures use (checked to exist)."""
    return _check_columns(data, correlation, variance)
