"""Random-effects terms as lme4's ``mkReTrms`` builds them.

Each term ``(expr | f)`` has a grouping factor with ``l`` levels, ``q`` columns from ``expr``, a
block ``Z_k`` (n x l q, the q columns of level 1, then level 2, ...) and a relative covariance
factor ``Lambda_k = I_l (x) T_k`` with ``T_k`` lower triangular. ``theta`` holds the lower
triangles of the ``T_k`` column by column, term after term; the diagonal elements are bounded
below by 0 (Bates et al. 2015, J. Stat. Softw. 67(1), section 2.2).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

__all__ = ["ReTerm", "ReTerms", "build_terms", "make_unique"]


@functools.cache
def _tril_order(q: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of each theta element: the lower triangle taken column by column."""
    rows, cols = np.tril_indices(q)
    order = np.lexsort((rows, cols))
    return rows[order], cols[order]


@dataclass(frozen=True, eq=False)
class ReTerm:
    """One random-effects term after lme4's sorting.

    Attributes
    ----------
    name : str
        lme4's name in ``VarCorr`` (made unique: ``g``, ``g.1`` for ``(x || g)``).
    factor_name : str
        The grouping factor's name (``ngrps`` lists each factor once under this name).
    label : str
        The term as lme4 deparses it in messages, e.g. ``1 + x | g``.
    levels : tuple
        Level labels of the grouping factor.
    codes : numpy.ndarray
        (n,) level index of each observation.
    columns : numpy.ndarray
        (n, q) model matrix of ``expr``.
    column_names : tuple of str
    theta_slice : slice
        Where this term's parameters sit in theta.
    raw_index : int
        The term's position in the formula (after expanding ``/`` and ``||``).
    """

    name: str
    factor_name: str
    label: str
    levels: tuple
    codes: np.ndarray
    columns: np.ndarray
    column_names: tuple[str, ...]
    theta_slice: slice
    raw_index: int

    @cached_property
    def q(self) -> int:
        return self.columns.shape[1]

    @property
    def nlev(self) -> int:
        return len(self.levels)

    @property
    def n_theta(self) -> int:
        return self.q * (self.q + 1) // 2

    def factor(self, theta: np.ndarray) -> np.ndarray:
        """The q x q lower-triangular T from this term's slice of theta."""
        t = np.zeros((self.q, self.q))
        t[_tril_order(self.q)] = theta[self.theta_slice]
        return t

    def lower(self) -> np.ndarray:
        rows, cols = _tril_order(self.q)
        return np.where(rows == cols, 0.0, -np.inf)

    def start(self) -> np.ndarray:
        rows, cols = _tril_order(self.q)
        return np.where(rows == cols, 1.0, 0.0)

    @cached_property
    def z(self) -> sp.csr_matrix:
        """Z_k as a sparse n x (l q) matrix, level-major as lme4 orders it."""
        n, q = self.columns.shape
        indices = (self.codes[:, None] * q + np.arange(q)[None, :]).ravel()
        indptr = np.arange(0, n * q + 1, q)
        return sp.csr_matrix((self.columns.ravel(), indices, indptr), shape=(n, self.nlev * q))


def make_unique(names: list[str]) -> list[str]:
    """R's ``make.unique``: the second ``g`` becomes ``g.1``, the third ``g.2``."""
    seen: dict[str, int] = {}
    out = []
    taken = set(names)
    for name in names:
        if name not in seen:
            seen[name] = 0
            out.append(name)
            continue
        k = seen[name]
        while True:
            k += 1
            candidate = f"{name}.{k}"
            if candidate not in taken:
                break
        seen[name] = k
        taken.add(candidate)
        out.append(candidate)
    return out


@dataclass(frozen=True, eq=False)
class ReTerms:
    """All random-effects terms, in lme4's order (decreasing number of levels)."""

    terms: tuple[ReTerm, ...]

    @property
    def n_theta(self) -> int:
        return sum(t.n_theta for t in self.terms)

    @property
    def lower(self) -> np.ndarray:
        return np.concatenate([t.lower() for t in self.terms])

    @property
    def start(self) -> np.ndarray:
        return np.concatenate([t.start() for t in self.terms])

    @property
    def n_random(self) -> int:
        """Total number of random effects, sum of l_k q_k."""
        return sum(t.nlev * t.q for t in self.terms)

    @property
    def factor_names(self) -> list[str]:
        """Each grouping factor once, in the order of the sorted terms (lme4's flist)."""
        return list(dict.fromkeys(t.factor_name for t in self.terms))

    def ngroups(self) -> dict[str, int]:
        """lme4's ``ngrps``: number of levels of each grouping factor."""
        out: dict[str, int] = {}
        for t in self.terms:
            out.setdefault(t.factor_name, t.nlev)
        return out

    def theta_scales(self) -> np.ndarray:
        """Per theta element, the RMS of the random-effect column of its row of T."""
        out = []
        for t in self.terms:
            rms = np.sqrt(np.mean(t.columns**2, axis=0))
            rows, _ = _tril_order(t.q)
            out.append(rms[rows])
        return np.concatenate(out)

    def theta_names(self) -> list[str]:
        """lme4's ``names(getME(m, "theta"))``: ``g.(Intercept)``, ``g.x.(Intercept)``, ..."""
        names = []
        for t in self.terms:
            rows, cols = _tril_order(t.q)
            for r, c in zip(rows, cols, strict=True):
                cn = t.column_names
                names.append(
                    f"{t.factor_name}.{cn[r]}" if r == c else f"{t.factor_name}.{cn[r]}.{cn[c]}"
                )
        return names


def lme4_order(nlevels: list[int]) -> list[int]:
    """lme4's term order: if any later term has more levels, ``rev(order(nl))``."""
    if not any(b > a for a, b in zip(nlevels, nlevels[1:], strict=False)):
        return list(range(len(nlevels)))
    ascending = sorted(range(len(nlevels)), key=lambda i: nlevels[i])  # R's order() is stable
    return ascending[::-1]


def build_terms(raw_terms, labels: list[str]) -> ReTerms:
    """Sort raw random terms as lme4 does and lay out theta.

    Parameters
    ----------
    raw_terms : sequence of frame.RawRandomTerm
        In the formula's order (after expanding ``/`` and ``||``).
    labels : list of str
        Each term as lme4 deparses it (``1 + x | g``), same order.
    """
    order = lme4_order([len(t.levels) for t in raw_terms])
    sorted_raw = [raw_terms[i] for i in order]
    sorted_labels = [labels[i] for i in order]
    unique = make_unique([t.name for t in sorted_raw])
    terms = []
    start = 0
    for index, raw, label, name in zip(order, sorted_raw, sorted_labels, unique, strict=True):
        q = raw.columns.shape[1]
        k = q * (q + 1) // 2
        terms.append(
            ReTerm(
                name=name,
                factor_name=raw.name,
                label=label,
                levels=tuple(raw.levels),
                codes=np.asarray(raw.codes, dtype=np.intp),
                columns=np.asarray(raw.columns, dtype=float),
                column_names=tuple(raw.column_names),
                theta_slice=slice(start, start + k),
                raw_index=index,
            )
        )
        start += k
    return ReTerms(tuple(terms))
