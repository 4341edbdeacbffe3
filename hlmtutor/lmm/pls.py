"""The predictor side of a mixed model: the penalised least-squares system of theta.

This module is lme4's predictor module (``merPredD``; Bates et al. 2015, J. Stat. Softw. 67(1),
sections 3 and 5, and lme4's "Theory" notes). It knows the fixed-effects matrix X, the
random-effects terms (Z and Lambda(theta)), a right-hand side r and optional weights W, and
nothing of the likelihood: no Gaussian criterion, no REML, no sigma. For a given theta it solves

    [Lambda'Z'WZ Lambda + I   Lambda'Z'WX] [u]   [Lambda'Z'W r]
    [X'WZ Lambda              X'WX       ] [b] = [X'W r       ]

through the Cholesky factor ``L L' = Lambda'Z'WZ Lambda + I`` (``log|L|^2``), the blocks
``R_ZX = L^-1 Lambda'Z'WX`` and ``R_X'R_X = X'WX - R_ZX'R_ZX``, and gives the solution (u, b),
the penalised weighted residual sum of squares ``pwrss = |W^1/2 (r - X b - Z Lambda u)|^2 + |u|^2``,
the conditional modes b = Lambda u and the blocks of ``Lambda (L L')^-1 Lambda'``.

Its users put a response model on top, as lme4 puts ``lmerResp`` and ``glmResp`` on
``merPredD``: ``hlmtutor.lmm.deviance`` the Gaussian profiled REML/ML criterion (r = y minus
the offset, W the prior weights), ``hlmtutor.lmm.glmm`` the GLMM's PIRLS (r the working
response, W the working weights, a new system per iteration).

How L is factored here: the first term (the factor with the most levels, lme4's order) gives a
block-diagonal ``L_1`` (one q x q block per level, computed as a batch); the other terms enter
through a dense Schur complement ``S = I + Lambda_R'Z_R'WZ_R Lambda_R - V'V`` with
``V = L_1^-1 Lambda_1'Z_1'WZ_R Lambda_R`` (sparse). For one grouping factor S is empty; for
factors nested in a top factor, or crossed with a smaller one, S is as small as the other
factors. Cross-products are formed once, so solving at a new theta costs nothing in n; for one
term with one or two columns, ``PlsSystem.pieces`` gives log|L|^2, R_X and pwrss element by
element (the fast path of the criterion the optimizer calls).

Memory: S is assembled as a sparse matrix and written once into a dense array that LAPACK
factors in place (one QR x QR array per solve, no dense temporaries). When S falls apart into
independent blocks (the pattern's connected components: the outer factor's levels when the
other terms are nested in it, as in a three-level model) it is factored block by block, never
as a dense QR x QR array. Only the last full solution is kept.

Numerics (coordinates, not a model): r is centred (when the intercept is in the span of X) and
scaled, the columns of X are centred (when X has an intercept column) and scaled, before any
cross-product is formed (``Scaling``). Both reparameterise the fixed effects and the scale
of r; the solution is mapped back (``PlsSystem.beta``, ``PlsSystem.spherical_modes``,
``PlsSystem.pwrss``), so no cross-product loses digits to a large mean (sleepstudy with 1e8
added to the outcome gives lmerTest's numbers).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import scipy.linalg as sla
import scipy.linalg.lapack as lapack
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .terms import ReTerm, ReTerms

__all__ = ["Parts", "PlsSystem", "Scaling", "Solution", "make_pls", "pls_of_columns", "scaling_of"]

# Block-wise factoring of S when its components are at most this large (above it one dense
# factor is as fast) and come in at most this many distinct sizes (one batched call each).
MAX_BLOCK = 256
MAX_BLOCK_SIZES = 32


@dataclass(frozen=True, eq=False)
class Scaling:
    """The system's coordinates: r_c = (r - shift) / scale, X_c = X B; beta = scale B gamma + shift w."""

    shift: float
    scale: float
    b: np.ndarray  # (p, p)
    w: np.ndarray  # (p,) with X w = 1 (zeros when y is not shifted)
    logdet_b: float  # log |det B|


def scaling_of(y: np.ndarray, x: np.ndarray) -> Scaling:
    n, p = x.shape
    intercept = [j for j in range(p) if np.all(x[:, j] == 1.0)]
    w = np.zeros(p)
    if intercept:
        w[intercept[0]] = 1.0
        ones_in_span = True
    elif p:
        sol, *_ = np.linalg.lstsq(x, np.ones(n), rcond=None)
        ones_in_span = bool(np.linalg.norm(x @ sol - 1.0) < 1e-9 * np.sqrt(n))
        if ones_in_span:
            w = sol
    else:
        ones_in_span = False
    shift = float(np.mean(y)) if ones_in_span else 0.0
    spread = float(np.sqrt(np.mean((y - shift) ** 2)))
    scale = spread if spread > 0 and np.isfinite(spread) else 1.0
    b = np.eye(p)
    logdet = 0.0
    for j in range(p):
        if intercept and j == intercept[0]:
            continue
        centre = float(np.mean(x[:, j])) if intercept else 0.0
        d = float(np.sqrt(np.mean((x[:, j] - centre) ** 2)))
        if not d > 0:
            d = 1.0
        b[j, j] = 1.0 / d
        if intercept:
            b[intercept[0], j] = -centre / d
        logdet -= np.log(d)
    return Scaling(shift=shift, scale=scale, b=b, w=w, logdet_b=logdet)


@dataclass(frozen=True, eq=False)
class Parts:
    """log|L|^2, R_X and pwrss at one theta (scaled coordinates): what a profiled criterion
    and lmerTest's functions of (theta, sigma) need."""

    ldl2: float
    rx: np.ndarray
    pwrss: float

    @property
    def logdet_rx(self) -> float:
        return 2.0 * float(np.sum(np.log(np.abs(np.diag(self.rx))))) if len(self.rx) else 0.0


@dataclass(frozen=True, eq=False)
class Solution:
    """The factor and solution of the system at theta (scaled coordinates unless said otherwise)."""

    theta: np.ndarray
    ldl2: float  # log|L|^2
    rx: np.ndarray  # upper (p, p)
    c_beta: np.ndarray  # R_X gamma = c_beta
    pwrss: float  # penalised weighted RSS on the scaled coordinates
    t1: np.ndarray  # (q1, q1)
    l1: np.ndarray  # (l1, q1, q1) lower Cholesky blocks of the first term
    k1: np.ndarray  # (l1, q1, q1) L1^-1 T1'
    rza1: np.ndarray  # (l1, q1, p + 1)
    w_blocks: tuple[sp.csr_matrix, ...]  # V = [V_2, ..., V_K], each (l1 q1, l_k q_k)
    ls: SchurFactor | None  # the Cholesky factor of S
    rzar: np.ndarray | None  # (QR, p + 1), rows in ls's order

    @cached_property
    def w(self) -> sp.csr_matrix:
        return sp.hstack(self.w_blocks, format="csr")

    @cached_property
    def gamma(self) -> np.ndarray:
        """The fixed effects on the scaled coordinates (not needed while optimising)."""
        return sla.solve_triangular(self.rx, self.c_beta) if len(self.rx) else np.zeros(0)

    @property
    def logdet_rx(self) -> float:
        """log|R_X'R_X| on the scaled coordinates."""
        return 2.0 * float(np.sum(np.log(np.abs(np.diag(self.rx))))) if len(self.rx) else 0.0


def _per_level_sums(codes: np.ndarray, nlev: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sum over the rows of each level of a_i b_i' : (nlev, a.shape[1], b.shape[1])."""
    out = np.empty((nlev, a.shape[1], b.shape[1]))
    for i in range(a.shape[1]):
        for j in range(b.shape[1]):
            out[:, i, j] = np.bincount(codes, weights=a[:, i] * b[:, j], minlength=nlev)
    return out


@dataclass(frozen=True, eq=False)
class PlsSystem:
    """The penalised weighted least-squares system of theta (lme4's ``merPredD``).

    Built once from X, the random-effects terms, a right-hand side r and weights (all as
    cross-products: O(n) once, nothing in n per theta) by :func:`make_pls` or
    :func:`pls_of_columns`. :meth:`solve` factors it at theta; the other methods read a
    :class:`Solution`, on the user's coordinates.

    Attributes
    ----------
    n, p : int
        Rows, and columns of X.
    reterms : ReTerms
        The random-effects terms (the first has the most levels).
    scaling : Scaling
        The coordinates the cross-products are formed in.
    a11, z1a, ata : numpy.ndarray
        ``Z_1'WZ_1`` and ``Z_1'W[X B, r_c]`` per level of the first term, ``[X B, r_c]'W[X B, r_c]``.
    rest : RestBlocks or None
        The cross-products of the other terms (None for one term).
    fast : tuple of numpy.ndarray or None
        For one term with one or two columns: the per-level numbers :meth:`pieces` reads.
    """

    n: int
    p: int
    reterms: ReTerms
    scaling: Scaling
    a11: np.ndarray  # (l1, q1, q1)  Z_1'WZ_1 per level
    z1a: np.ndarray  # (l1, q1, p + 1)  Z_1'W[X_c, r_c] per level
    ata: np.ndarray  # (p + 1, p + 1)
    rest: RestBlocks | None  # the cross-products of the other terms
    fast: tuple[np.ndarray, ...] | None = None
    # Full solutions hold factors as large as S (QR x QR), so only the last one is kept.
    _last: list = field(default_factory=list, repr=False)

    def weighted_crossproducts(self) -> tuple[sp.csr_matrix, np.ndarray]:
        """Z'WZ (sparse, q x q) and Z'W[X_c, y_c] (dense, q x (p + 1)) on the scaled coordinates,
        assembled from the stored cross-products (Z's columns term by term, level-major).

        Used by :mod:`hlmtutor.lmm.varpar_derivatives` (the analytic Satterthwaite derivatives);
        not needed while optimising.
        """
        first = self.reterms.terms[0]
        l1, q1 = first.nlev, first.q
        c11 = sp.block_diag(list(self.a11), format="csr") if l1 else sp.csr_matrix((0, 0))
        zta = [self.z1a.reshape(l1 * q1, self.p + 1)]
        if not self.rest:
            return c11, zta[0]
        rest = self.rest
        n_rest = len(rest.c)
        grid: list[list] = [[None] * (n_rest + 1) for _ in range(n_rest + 1)]
        grid[0][0] = c11
        for k, c in enumerate(rest.c):
            grid[0][k + 1] = c.values()
            grid[k + 1][0] = c.values().T
        for (k, m), blocks in rest.a.items():
            grid[k + 1][m + 1] = blocks.values()
            if m != k:
                grid[m + 1][k + 1] = blocks.values().T
        zta += [z.reshape(-1, self.p + 1) for z in rest.zra]
        return sp.bmat(grid, format="csr"), np.vstack(zta)

    # -- solving -------------------------------------------------------------------------
    def solve(self, theta: np.ndarray) -> Solution:
        """Factor the system at theta (raises numpy.linalg.LinAlgError when it is not PD).

        The last solution is kept, and returned again for the same theta.
        """
        theta = np.array(theta, dtype=float)
        if self._last and np.array_equal(self._last[0].theta, theta):
            return self._last[0]
        self._last.clear()  # free the previous factor before making the next
        sol = self._solve(theta)
        self._last.append(sol)
        return sol

    def pieces(self, theta: np.ndarray) -> Parts:
        """log|L|^2, R_X and pwrss at theta (scaled coordinates), without keeping a factor.

        Element by element for one term with q <= 2; from a full solution (not kept) otherwise.
        """
        theta = np.array(theta, dtype=float)
        if self.fast is not None:
            return self._fast_pieces(theta)
        sol = self._solve(theta)
        return Parts(ldl2=sol.ldl2, rx=sol.rx, pwrss=sol.pwrss)

    def _solve(self, theta: np.ndarray) -> Solution:
        first = self.reterms.terms[0]
        t1 = first.factor(theta)
        l1, k1, ldl2 = _first_blocks(self.a11, t1)
        rza1 = _blocks_times(k1, self.z1a)
        flat = rza1.reshape(-1, self.p + 1)
        correction = flat.T @ flat
        w_blocks: tuple[sp.csr_matrix, ...] = ()
        ls = rzar = None
        if self.rest:
            rest = self.rest
            factors = [t.factor(theta) for t in self.reterms.terms[1:]]
            w_blocks = tuple(c.scaled(k1, f) for c, f in zip(rest.c, factors, strict=True))
            if rest.scalar is not None:
                ls = rest.scalar.factor(k1[:, 0, 0], factors)
            elif rest.components is None and rest.size <= SMALL_SCHUR:
                ls = SchurFactor(lower=np.linalg.cholesky(_schur_dense(rest, factors, w_blocks)))
            else:
                ls = _factor_schur(_schur_sparse(rest, factors, w_blocks), rest.components)
            rhs = np.vstack(
                [
                    _lambda_t_times(f, zra) - w.T @ flat
                    for f, zra, w in zip(factors, rest.zra, w_blocks, strict=True)
                ]
            )
            rzar = ls.solve_lower(rhs)
            ldl2 += ls.logdet
            correction = correction + rzar.T @ rzar
        ava = self.ata - correction
        upper = np.linalg.cholesky(ava).T
        p = self.p
        rx = upper[:p, :p]
        pwrss = float(upper[p, p] ** 2)
        return Solution(theta, ldl2, rx, upper[:p, p], pwrss, t1, l1, k1, rza1, w_blocks, ls, rzar)

    def _fast_pieces(self, theta: np.ndarray) -> Parts:
        """``_solve``'s algebra for one term with q <= 2, element by element, pieces only.

        M_j = I + T'A_jT has its (1, 1) element >= 1, so only the Schur complement d can fail to
        be positive; it is checked before any square root (no invalid values to silence).
        """
        if len(theta) == 1:
            a, z0 = self.fast
            m = 1.0 + theta[0] * theta[0] * a
            r0 = (theta[0] / np.sqrt(m))[:, None] * z0
            correction = r0.T @ r0
            ldl2 = float(np.sum(np.log(m)))
        else:
            a, b, c, z0, z1 = self.fast
            t11, t21, t22 = theta
            at1 = a * t11 + b * t21
            bt1 = b * t11 + c * t21
            m11 = t11 * at1 + t21 * bt1 + 1.0
            c11 = np.sqrt(m11)
            c21 = t22 * bt1 / c11
            d = t22 * t22 * c + 1.0 - c21 * c21  # c22^2
            if not d.min() > 0:
                raise np.linalg.LinAlgError("not positive definite")
            c22 = np.sqrt(d)
            k00, k01 = t11 / c11, t21 / c11
            k10, k11 = -c21 * k00 / c22, (t22 - c21 * k01) / c22
            r0 = k00[:, None] * z0 + k01[:, None] * z1
            r1 = k10[:, None] * z0 + k11[:, None] * z1
            correction = r0.T @ r0 + r1.T @ r1
            ldl2 = float(np.sum(np.log(m11 * d)))
        upper = np.linalg.cholesky(self.ata - correction).T
        p = self.p
        return Parts(ldl2=ldl2, rx=upper[:p, :p], pwrss=float(upper[p, p] ** 2))

    def lambda_rest(self, theta: np.ndarray) -> sp.csr_matrix:
        """Lambda of the terms after the first (block diagonal, sparse)."""
        blocks = [
            sp.kron(sp.identity(t.nlev, format="csr"), sp.csr_matrix(t.factor(theta)))
            for t in self.reterms.terms[1:]
        ]
        return sp.block_diag(blocks, format="csr")

    # -- the solution on the user's coordinates -------------------------------------------
    def unscaled_vcov(self, sol: Parts | Solution) -> np.ndarray:
        """(X'WX - R_ZX'R_ZX)^-1 on the user's coordinates: B R_X^-1 R_X^-T B'.

        The fixed effects' covariance up to the scale factor (lme4's ``vcov`` divided by
        sigma^2 for a linear model; the GLMM's at the joint mode of (beta, u)).
        """
        if not self.p:
            return np.zeros((0, 0))
        m = self.scaling.b @ np.linalg.inv(sol.rx)
        return m @ m.T

    def beta(self, sol: Solution) -> np.ndarray:
        """The fixed-effects part b of the PLS solution, on the user's coordinates."""
        sc = self.scaling
        return sc.scale * (sc.b @ sol.gamma) + sc.shift * sc.w

    def pwrss(self, sol: Parts | Solution) -> float:
        """The penalised weighted residual sum of squares, on the scale of r."""
        return sol.pwrss * self.scaling.scale**2

    def modes(self, sol: Solution) -> list[np.ndarray]:
        """Conditional modes b = Lambda u, one (l_k, q_k) array per term (user's scale)."""
        u = self.spherical_modes(sol)
        out = [u[0] @ sol.t1.T]
        if len(u) > 1:
            b_r = self.lambda_rest(sol.theta) @ np.concatenate([v.ravel() for v in u[1:]])
            start = 0
            for t in self.reterms.terms[1:]:
                size = t.nlev * t.q
                out.append(b_r[start : start + size].reshape(t.nlev, t.q))
                start += size
        return out

    def spherical_modes(self, sol: Solution) -> list[np.ndarray]:
        """The spherical modes u (b = Lambda u), one (l_k, q_k) array per term (user's scale):
        the solution of ``(Lambda'Z'WZ Lambda + I) u = Lambda'Z'W (r - X beta)``."""
        p = self.p
        r1 = sol.rza1[..., p] - sol.rza1[..., :p] @ sol.gamma  # (l1, q1)
        out_rest: list[np.ndarray] = []
        if sol.ls is not None:
            r_r = sol.rzar[:, p] - sol.rzar[:, :p] @ sol.gamma
            u_r = sol.ls.solve_upper(r_r)
            r1 = r1 - (sol.w @ u_r).reshape(r1.shape)
            start = 0
            for t in self.reterms.terms[1:]:
                size = t.nlev * t.q
                out_rest.append(u_r[start : start + size].reshape(t.nlev, t.q))
                start += size
        u1 = np.linalg.solve(np.swapaxes(sol.l1, 1, 2), r1[..., None])[..., 0]
        scale = self.scaling.scale
        return [u1 * scale] + [u * scale for u in out_rest]

    def conditional_variances(self, sol: Solution) -> list[np.ndarray]:
        """Blocks of Lambda (L L')^-1 Lambda' per level, one (l_k, q_k, q_k) array per term.

        Multiplied by sigma^2 they are lme4's ``condVar`` (``attr(ranef(m, condVar = TRUE),
        "postVar")``); for a GLMM (scale 1) they are its condVar as they are.
        """
        first = self.reterms.terms[0]
        eye = np.broadcast_to(np.eye(first.q), sol.l1.shape)
        l1_inv = np.linalg.solve(sol.l1, eye)
        p1 = np.swapaxes(l1_inv, 1, 2) @ l1_inv
        out_rest = []
        if sol.ls is not None:
            v = sol.ls.solve_lower(sol.w.T.toarray())  # (QR, l1 q1)
            v = v.reshape(v.shape[0], first.nlev, first.q)
            vtv = np.einsum("rgi,rgj->gij", v, v)
            p1 = p1 + np.swapaxes(l1_inv, 1, 2) @ vtv @ l1_inv
            s_inv = sol.ls.inverse()
            lam_r = self.lambda_rest(sol.theta)
            full = (lam_r @ sp.csr_matrix(s_inv) @ lam_r.T).toarray()
            start = 0
            for t in self.reterms.terms[1:]:
                blocks = np.empty((t.nlev, t.q, t.q))
                for j in range(t.nlev):
                    at = start + j * t.q
                    blocks[j] = full[at : at + t.q, at : at + t.q]
                out_rest.append(blocks)
                start += t.nlev * t.q
        first_var = sol.t1 @ p1 @ sol.t1.T
        return [first_var, *out_rest]

    @cached_property
    def lower(self) -> np.ndarray:
        """theta's lower bounds (0 on the diagonals of the T_k, -inf elsewhere)."""
        return self.reterms.lower


def _first_blocks(a11: np.ndarray, t1: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Cholesky blocks L_j of I + T'A_jT, K_j = L_j^-1 T' (batched over the levels), log|L_1|^2.

    q = 1 and q = 2 are written out element by element: with few levels the cost of an
    evaluation is the number of numpy calls, and these are the common cases.
    """
    q = t1.shape[0]
    if q == 1:
        lam = t1[0, 0]
        m = 1.0 + lam * lam * a11[:, 0, 0]
        root = np.sqrt(m)
        return root[:, None, None], (lam / root)[:, None, None], float(np.sum(np.log(m)))
    if q == 2:
        t11, t21, t22 = t1[0, 0], t1[1, 0], t1[1, 1]
        a, b, c = a11[:, 0, 0], a11[:, 1, 0], a11[:, 1, 1]
        at1 = a * t11 + b * t21  # first column of A T
        bt1 = b * t11 + c * t21
        m11 = t11 * at1 + t21 * bt1 + 1.0
        m21 = t22 * bt1
        m22 = t22 * t22 * c + 1.0
        c11 = np.sqrt(m11)
        c21 = m21 / c11
        c22 = np.sqrt(m22 - c21 * c21)
        if not np.all(c22 > 0):
            raise np.linalg.LinAlgError("not positive definite")
        chol = np.zeros((len(a), 2, 2))
        chol[:, 0, 0], chol[:, 1, 0], chol[:, 1, 1] = c11, c21, c22
        # K = L^-1 T' by forward substitution; T' = [[t11, t21], [0, t22]]
        k = np.empty_like(chol)
        k[:, 0, 0] = t11 / c11
        k[:, 0, 1] = t21 / c11
        k[:, 1, 0] = -c21 * k[:, 0, 0] / c22
        k[:, 1, 1] = (t22 - c21 * k[:, 0, 1]) / c22
        return chol, k, 2.0 * float(np.sum(np.log(c11 * c22)))
    m = np.swapaxes(a11 @ t1, 1, 2) @ t1  # T'A T
    m[:, np.arange(q), np.arange(q)] += 1.0
    chol = np.linalg.cholesky(m)
    k = np.linalg.solve(chol, np.broadcast_to(t1.T, m.shape))
    return chol, k, 2.0 * float(np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2))))


@dataclass(frozen=True, eq=False)
class Blocks:
    """A sparse cross-product Z_k'Z_m kept as its nonzero (q_k x q_m) blocks (BSR layout)."""

    data: np.ndarray  # (nb, q_k, q_m)
    indices: np.ndarray  # block column of each block
    indptr: np.ndarray  # blocks of block row i: indptr[i]:indptr[i + 1]
    rows: np.ndarray  # block row of each block
    shape: tuple[int, int]

    @classmethod
    def of(cls, matrix: sp.spmatrix, qa: int, qb: int) -> Blocks:
        bsr = sp.bsr_matrix(matrix, blocksize=(qa, qb))
        bsr.sort_indices()
        rows = np.repeat(np.arange(len(bsr.indptr) - 1), np.diff(bsr.indptr))
        return cls(bsr.data, bsr.indices, bsr.indptr, rows, bsr.shape)

    def scaled(self, left: np.ndarray, right: np.ndarray) -> sp.csr_matrix:
        """blockdiag(left) @ self @ (I (x) right) as CSR; ``left`` holds one block per row."""
        qa, qb = self.data.shape[1:]
        if qa == 1 and qb == 1:
            values = left[self.rows, 0, 0] * self.data[:, 0, 0] * right[0, 0]
            return sp.csr_matrix((values, self.indices, self.indptr), shape=self.shape)
        values = left[self.rows] @ self.data @ right
        return sp.bsr_matrix((values, self.indices, self.indptr), shape=self.shape).tocsr()

    def values(self) -> sp.csr_matrix:
        """The cross-product itself as CSR."""
        return sp.bsr_matrix((self.data, self.indices, self.indptr), shape=self.shape).tocsr()

    def ones(self) -> sp.csr_matrix:
        """The pattern: every stored block full of ones."""
        data = np.ones_like(self.data)
        return sp.bsr_matrix((data, self.indices, self.indptr), shape=self.shape).tocsr()

    def scaled_sparse(self, left: np.ndarray, right: np.ndarray) -> sp.csr_matrix:
        """(I (x) left') @ self @ (I (x) right) as CSR."""
        qa, qb = self.data.shape[1:]
        if qa == 1 and qb == 1:
            values = self.data[:, 0, 0] * (left[0, 0] * right[0, 0])
            return sp.csr_matrix((values, self.indices, self.indptr), shape=self.shape)
        values = left.T @ self.data @ right
        return sp.bsr_matrix((values, self.indices, self.indptr), shape=self.shape).tocsr()


@dataclass(frozen=True, eq=False)
class RestBlocks:
    """Cross-products of the terms after the first: with the first (c), among themselves (a)."""

    c: tuple[Blocks, ...]  # Z_1'Z_k
    a: dict  # (k, m) with k <= m -> Blocks of Z_k'Z_m
    zra: tuple[np.ndarray, ...]  # Z_k'[X_c, y_c] as (l_k, q_k, p + 1)
    cols: tuple[slice, ...]  # where term k sits in S
    size: int
    components: Components | None = None  # S's independent blocks, when it has small ones
    scalar: ScalarSchur | None = None  # S as a linear map of theta's pieces (all terms q = 1)


def _lambda_t_times(t: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(I (x) T') @ values for values shaped (l, q, m): flattened back to (l q, m)."""
    return (t.T @ values).reshape(-1, values.shape[-1])


_PAIRS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _pair_layout(a: ReTerm, b: ReTerm, reterms: ReTerms):
    """The block pattern of Z_a'Z_b: which (level of a, level of b) pairs occur, and the pair
    of every row (cached per ReTerms: PIRLS rebuilds these cross-products each iteration)."""
    cache = _PAIRS.setdefault(reterms, {})
    key = (a.name, b.name)
    if key not in cache:
        codes = a.codes.astype(np.int64) * b.nlev + b.codes
        unique, inverse = np.unique(codes, return_inverse=True)
        rows, cols = unique // b.nlev, unique % b.nlev
        indptr = np.searchsorted(rows, np.arange(a.nlev + 1))
        cache[key] = (inverse, rows, cols.astype(np.int32), indptr, len(unique))
    return cache[key]


def _pair_blocks(a: ReTerm, b: ReTerm, reterms: ReTerms, root_w: np.ndarray | None) -> Blocks:
    """Z_a'W Z_b as Blocks, by sums over the rows of each (level, level) pair."""
    inverse, rows, cols, indptr, count = _pair_layout(a, b, reterms)
    ca = a.columns if root_w is None else a.columns * root_w[:, None]
    cb = b.columns if root_w is None else b.columns * root_w[:, None]
    data = np.empty((count, a.q, b.q))
    for i in range(a.q):
        for j in range(b.q):
            data[:, i, j] = np.bincount(inverse, weights=ca[:, i] * cb[:, j], minlength=count)
    return Blocks(data, cols, indptr, rows, (a.nlev * a.q, b.nlev * b.q))


def _rest_blocks(reterms: ReTerms, a: np.ndarray, root_w: np.ndarray | None) -> RestBlocks:
    first = reterms.terms[0]
    rest = reterms.terms[1:]
    # Every cross-product below is Z_k'W Z_m (rows scaled by sqrt(w) when weighted).
    c = tuple(_pair_blocks(first, t, reterms, root_w) for t in rest)
    blocks = {}
    for k, tk in enumerate(rest):
        for m in range(k, len(rest)):
            blocks[(k, m)] = _pair_blocks(tk, rest[m], reterms, root_w)
    zra = []
    for t in rest:
        cols = t.columns if root_w is None else t.columns * root_w[:, None]
        zra.append(_per_level_sums(t.codes, t.nlev, cols, a))
    zra = tuple(zra)
    cols, start = [], 0
    for t in rest:
        cols.append(slice(start, start + t.nlev * t.q))
        start += t.nlev * t.q
    components, layout = _schur_layout(reterms, c, blocks)
    scalar = ScalarSchur.of(layout, c, blocks) if layout is not None else None
    return RestBlocks(
        c=c, a=blocks, zra=zra, cols=tuple(cols), size=start, components=components, scalar=scalar
    )


# The linear map of ScalarSchur may hold at most this many entries per entry of a dense S
# (or MAX_MAP_SMALL entries in all, 24 MB, whichever is more).
MAX_MAP_PER_ENTRY = 4
MAX_MAP_SMALL = 2_000_000
# Up to this size S is assembled dense block by block (temporaries of at most 8 MB; fewer
# numpy calls than the sparse assembly, which keeps larger S to one dense array).
SMALL_SCHUR = 1000

_LAYOUTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _schur_layout(reterms: ReTerms, c: tuple[Blocks, ...], blocks: dict):
    """S's components, and ScalarSchur's layout when every term is scalar, from the pattern
    alone (cached per ReTerms: PIRLS rebuilds the cross-products with new weights, never the
    pattern)."""
    if reterms not in _LAYOUTS:
        rest = reterms.terms[1:]
        pattern = _schur_pattern(c, blocks, len(rest))
        components = _components(pattern)
        layout = None
        if components is None and all(t.q == 1 for t in reterms.terms):
            layout = ScalarLayout.of(pattern, c, blocks, [t.nlev for t in rest])
        _LAYOUTS[reterms] = (components, layout)
    return _LAYOUTS[reterms]


@dataclass(frozen=True, eq=False)
class ScalarLayout:
    """Where ScalarSchur's numbers go: the lower triangle of S's pattern (``rows >= cols``),
    G's structure, and the entries of A = Z_R'Z_R and C = Z_1'Z_R that feed them."""

    rows: np.ndarray
    cols: np.ndarray
    term_rows: np.ndarray  # the term of each entry's row and column
    term_cols: np.ndarray
    diagonal: np.ndarray  # the entries on S's diagonal
    size: int
    pair_a: np.ndarray  # every pair (a, b), b <= a, of stored entries of one row of C,
    pair_b: np.ndarray  # in G's CSR order
    g_indices: np.ndarray
    g_indptr: np.ndarray
    g_shape: tuple[int, int]
    a_keep: np.ndarray  # A's stored entries in the lower triangle, and their entry
    a_entry: np.ndarray
    # Where C's and A's stored values sit in the blocks' own arrays (set on first use): PIRLS
    # forms the cross-products anew for each set of weights, always with this pattern.
    _orders: dict = field(default_factory=dict, repr=False, compare=False)

    def value_orders(self, c: tuple, blocks: dict) -> tuple[np.ndarray, np.ndarray]:
        """Positions, in the blocks' values laid end to end (C's blocks in order, then A's in
        sorted key order), of C's stored values in CSR order and of A's in _lower_a's order."""
        if not self._orders:
            sizes = [len(b.data) for b in c] + [len(blocks[k].data) for k in sorted(blocks)]
            starts = np.cumsum([0, *sizes])
            # the same assembly as _wide and _lower_a, with each value replaced by its position
            # (plus one, so that no position is a stored zero that a conversion could drop)
            tagged = [
                replace(b, data=np.arange(starts[i], starts[i + 1], dtype=float)[:, None, None] + 1)
                for i, b in enumerate([*c, *(blocks[k] for k in sorted(blocks))])
            ]
            tagged_c = tuple(tagged[: len(c)])
            tagged_a = dict(zip(sorted(blocks), tagged[len(c) :], strict=True))
            self._orders["c"] = _wide(tagged_c).data.astype(np.int64) - 1
            self._orders["a"] = (
                _lower_a(tagged_a, int(self.term_rows.max()) + 1).data.astype(np.int64) - 1
            )
        return self._orders["c"], self._orders["a"]

    @classmethod
    def of(cls, pattern: sp.csr_matrix, c: tuple, blocks: dict, nlevs: list[int]):
        """None when G would be larger than MAX_MAP_PER_ENTRY times a dense S."""
        size = pattern.shape[0]
        lower = sp.tril(pattern, format="csr")
        lower.sort_indices()
        rows = np.repeat(np.arange(size), np.diff(lower.indptr))
        cols = lower.indices.astype(np.int64)
        keys = rows * size + cols  # sorted: CSR order with sorted indices
        wide = _wide(c)
        per_row = np.diff(wide.indptr)
        pairs = int(np.sum(per_row * (per_row + 1) // 2))
        if pairs > max(MAX_MAP_PER_ENTRY * size * size, MAX_MAP_SMALL):
            return None
        row_of = np.repeat(np.arange(len(per_row)), per_row)
        pos = np.arange(wide.nnz) - wide.indptr[row_of]
        ea = np.repeat(np.arange(wide.nnz), pos + 1)
        first = np.repeat(np.cumsum(pos + 1) - (pos + 1), pos + 1)
        eb = wide.indptr[row_of[ea]] + (np.arange(len(ea)) - first)
        ca, cb = wide.indices[ea].astype(np.int64), wide.indices[eb].astype(np.int64)
        entry = np.searchsorted(keys, np.maximum(ca, cb) * size + np.minimum(ca, cb))
        level = row_of[ea]
        order = np.lexsort((level, entry))
        indptr = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(np.bincount(entry, minlength=len(keys)), out=indptr[1:])
        a = _lower_a(blocks, len(nlevs))
        keep = a.row >= a.col
        a_entry = np.searchsorted(keys, a.row[keep].astype(np.int64) * size + a.col[keep])
        term_of = np.repeat(np.arange(len(nlevs)), nlevs)
        return cls(
            rows=rows,
            cols=cols,
            term_rows=term_of[rows],
            term_cols=term_of[cols],
            diagonal=np.flatnonzero(rows == cols),
            size=size,
            pair_a=ea[order],
            pair_b=eb[order],
            g_indices=level[order],
            g_indptr=indptr,
            g_shape=(len(keys), wide.shape[0]),
            a_keep=keep,
            a_entry=a_entry,
        )


def _wide(c: tuple[Blocks, ...]) -> sp.csr_matrix:
    """C = Z_1'Z_R as one CSR matrix (l1 x QR), indices sorted."""
    wide = sp.hstack([b.values() for b in c], format="csr")
    wide.sort_indices()
    return wide


def _lower_a(blocks: dict, n_terms: int) -> sp.coo_matrix:
    """A = Z_R'Z_R's blocks on and below the diagonal of terms, as COO."""
    grid: list[list] = [[None] * n_terms for _ in range(n_terms)]
    for (k, m), block in blocks.items():
        grid[m][k] = block.values().T  # the later term's rows
    return sp.bmat(grid, format="coo")


@dataclass(frozen=True, eq=False)
class ScalarSchur:
    """S for terms that are all scalar (q = 1), as a fixed linear map of theta's pieces.

    With lambda_k the factor of term k and d_j = lambda_1^2 / (1 + lambda_1^2 a_j) for the
    levels j of the first term, the entry (r, c) of S (r in term k, c in term m) is
    ``[r == c] + lambda_k lambda_m (A_rc - sum_j C_jr C_jc d_j)`` with A = Z_R'Z_R and
    C = Z_1'Z_R. The sum is one sparse product ``G d``, with G fixed: no sparse matrix is
    formed per evaluation, and the values go straight into the lower triangle of one dense
    array that LAPACK factors in place.
    """

    layout: ScalarLayout
    a_values: np.ndarray  # A at each entry
    g: sp.csr_matrix  # (entries, l1): sum_j C_jr C_jc d_j = (G d)[entry]

    @classmethod
    def of(cls, layout: ScalarLayout, c: tuple, blocks: dict) -> ScalarSchur:
        """The numbers for these cross-products (weights) in the layout of their pattern."""
        order_c, order_a = layout.value_orders(c, blocks)
        values = np.concatenate(
            [b.data[:, 0, 0] for b in c] + [blocks[k].data[:, 0, 0] for k in sorted(blocks)]
        )
        wide = values[order_c]
        g = sp.csr_matrix(
            (wide[layout.pair_a] * wide[layout.pair_b], layout.g_indices, layout.g_indptr),
            shape=layout.g_shape,
        )
        a_values = np.zeros(layout.g_shape[0])
        a_values[layout.a_entry] = values[order_a][layout.a_keep]
        return cls(layout=layout, a_values=a_values, g=g)

    def factor(self, k1: np.ndarray, factors: list[np.ndarray]) -> SchurFactor:
        """The dense Cholesky factor of S, given K_1 = L_1^-1 lambda_1 (one value per level)."""
        lay = self.layout
        lam = np.array([f[0, 0] for f in factors])
        values = self.a_values - self.g @ (k1 * k1)
        values *= lam[lay.term_rows] * lam[lay.term_cols]
        values[lay.diagonal] += 1.0
        dense = np.zeros((lay.size, lay.size))
        dense[lay.rows, lay.cols] = values
        # C-ordered with S's lower triangle filled: its transpose is a Fortran-ordered view
        # with the upper triangle filled, whose factor U (= L') LAPACK writes in place.
        _, info = lapack.dpotrf(dense.T, lower=0, clean=1, overwrite_a=1)
        if info != 0:
            raise np.linalg.LinAlgError("the Schur complement is not positive definite")
        return SchurFactor(lower=dense)


def _schur_pattern(c: tuple[Blocks, ...], blocks: dict, n_terms: int) -> sp.csr_matrix:
    """Where S can be nonzero at some theta: the blocks of Z_R'Z_R and of C'C (C = Z_1'Z_R),
    with every stored value set to 1 so that no sum cancels."""
    grid: list[list] = [[None] * n_terms for _ in range(n_terms)]
    wide = sp.hstack([b.ones() for b in c], format="csr")
    cross = (wide.T @ wide).tocsr()
    for (k, m), block in blocks.items():
        grid[k][m] = block.ones()
        if k != m:
            grid[m][k] = block.ones().T
    return (sp.bmat(grid, format="csr") + cross).tocsr()


def _schur_dense(
    rest: RestBlocks, factors: list[np.ndarray], w_blocks: tuple[sp.csr_matrix, ...]
) -> np.ndarray:
    """S = I + Lambda_R'Z_R'Z_R Lambda_R - W'W as a dense array, block by block (small S)."""
    s = np.zeros((rest.size, rest.size))
    for (k, m), block in rest.a.items():
        part = block.scaled_sparse(factors[k], factors[m]) - w_blocks[k].T @ w_blocks[m]
        part = part.toarray()
        s[rest.cols[k], rest.cols[m]] = part
        if k != m:
            s[rest.cols[m], rest.cols[k]] = part.T
    s[np.diag_indices_from(s)] += 1.0
    return s


def _schur_sparse(
    rest: RestBlocks, factors: list[np.ndarray], w_blocks: tuple[sp.csr_matrix, ...]
) -> sp.csr_matrix:
    """S = I + Lambda_R'Z_R'Z_R Lambda_R - W'W as a sparse matrix (blocks k <= m and their
    transposes)."""
    n_terms = len(factors)
    grid: list[list] = [[None] * n_terms for _ in range(n_terms)]
    for (k, m), block in rest.a.items():
        part = block.scaled_sparse(factors[k], factors[m]) - w_blocks[k].T @ w_blocks[m]
        grid[k][m] = part
        if k != m:
            grid[m][k] = part.T
    s = sp.bmat(grid, format="csr")
    return s + sp.identity(rest.size, format="csr")


@dataclass(frozen=True, eq=False)
class Components:
    """S's connected components grouped by size: ``groups[i]`` is an (n_i, c_i) array of the
    rows of S in each component of size c_i; ``order`` lists the rows component by component."""

    groups: tuple[np.ndarray, ...]
    order: np.ndarray


def _components(pattern: sp.csr_matrix) -> Components | None:
    """S's independent blocks, or None when one dense factor is the better plan."""
    count, labels = connected_components(pattern, directed=False)
    sizes = np.bincount(labels, minlength=count)
    if count == 1 or sizes.max() > MAX_BLOCK or len(np.unique(sizes)) > MAX_BLOCK_SIZES:
        return None
    # Rows sorted by (component size, component, row): each size's components are contiguous.
    order = np.lexsort((np.arange(len(labels)), labels, sizes[labels]))
    groups = []
    start = 0
    for size in np.unique(sizes):
        n_comp = int(np.sum(sizes == size))
        groups.append(order[start : start + n_comp * size].reshape(n_comp, size))
        start += n_comp * size
    return Components(groups=tuple(groups), order=order)


class SchurFactor:
    """The Cholesky factor L of S (S = L L'), dense or one block per component.

    For blocks, L is the factor of S with its rows and columns permuted component by component
    (``order``): ``solve_lower`` returns its result in that order, ``solve_upper`` takes its
    argument in that order and returns S's order, so ``solve_upper(solve_lower(b)) = S^-1 b``
    and ``solve_lower(b)' solve_lower(b) = b' S^-1 b`` as with a dense factor.
    """

    def __init__(
        self,
        lower: np.ndarray | None = None,
        blocks: tuple[np.ndarray, ...] = (),
        components: Components | None = None,
    ) -> None:
        self.lower = lower
        self.blocks = blocks
        self.components = components
        if lower is not None:
            self.logdet = 2.0 * float(np.sum(np.log(np.diag(lower))))
        else:
            self.logdet = 2.0 * sum(
                float(np.sum(np.log(np.diagonal(b, axis1=1, axis2=2)))) for b in blocks
            )

    def __len__(self) -> int:
        return len(self.lower) if self.lower is not None else len(self.components.order)

    def solve_lower(self, b: np.ndarray) -> np.ndarray:
        """L^-1 b (rows of the result in the factor's order)."""
        if self.lower is not None:
            return sla.solve_triangular(self.lower, b, lower=True, check_finite=False)
        vector = b.ndim == 1
        b2 = b[:, None] if vector else b
        out = np.concatenate(
            [
                np.linalg.solve(chol, b2[rows]).reshape(-1, b2.shape[1])
                for chol, rows in zip(self.blocks, self.components.groups, strict=True)
            ]
        )
        return out[:, 0] if vector else out

    def solve_upper(self, b: np.ndarray) -> np.ndarray:
        """L'^-1 b for b in the factor's order (rows of the result in S's order)."""
        if self.lower is not None:
            return sla.solve_triangular(self.lower.T, b, lower=False, check_finite=False)
        vector = b.ndim == 1
        b2 = b[:, None] if vector else b
        out = np.empty_like(b2)
        start = 0
        for chol, rows in zip(self.blocks, self.components.groups, strict=True):
            part = b2[start : start + rows.size].reshape(*rows.shape, b2.shape[1])
            out[rows.ravel()] = np.linalg.solve(np.swapaxes(chol, 1, 2), part).reshape(
                -1, b2.shape[1]
            )
            start += rows.size
        return out[:, 0] if vector else out

    def inverse(self) -> np.ndarray:
        """S^-1 as a dense array."""
        eye = np.eye(len(self))
        return self.solve_upper(self.solve_lower(eye))


def _factor_schur(s: sp.csr_matrix, components: Components | None) -> SchurFactor:
    """Cholesky of S: block by block when it has small components, else one dense array
    factored in place by LAPACK (raises numpy.linalg.LinAlgError when S is not PD)."""
    if components is not None:
        coo = s.tocoo()
        blocks = []
        position = np.empty(s.shape[0], dtype=np.int64)
        for rows in components.groups:
            position[rows.ravel()] = np.arange(rows.size)
        for rows in components.groups:
            size = rows.shape[1]
            dense = np.zeros((rows.shape[0], size, size))
            member = np.zeros(s.shape[0], dtype=bool)
            member[rows.ravel()] = True
            keep = member[coo.row]
            pos_r, pos_c = position[coo.row[keep]], position[coo.col[keep]]
            dense[pos_r // size, pos_r % size, pos_c % size] = coo.data[keep]
            blocks.append(np.linalg.cholesky(dense))
        return SchurFactor(blocks=tuple(blocks), components=components)
    dense = s.toarray()
    # dense is symmetric and C-ordered: its transpose is a Fortran-ordered view of the same
    # memory, whose upper factor U (dense = U'U) is L' stored in dense's lower triangle.
    _, info = lapack.dpotrf(dense.T, lower=0, clean=1, overwrite_a=1)
    if info != 0:
        raise np.linalg.LinAlgError("the Schur complement is not positive definite")
    return SchurFactor(lower=dense)


def _blocks_times(k: np.ndarray, values: np.ndarray) -> np.ndarray:
    """k_j @ values_j for every level j; written out for q <= 2 (numpy's batched matmul is
    slow on many tiny matrices)."""
    q = k.shape[1]
    if q == 1:
        return k[:, 0, 0, None, None] * values
    if q == 2:
        out = np.empty_like(values)
        out[:, 0, :] = k[:, 0, 0, None] * values[:, 0, :] + k[:, 0, 1, None] * values[:, 1, :]
        out[:, 1, :] = k[:, 1, 0, None] * values[:, 0, :] + k[:, 1, 1, None] * values[:, 1, :]
        return out
    return k @ values


def make_pls(
    rhs: np.ndarray,
    x: np.ndarray,
    reterms: ReTerms,
    weights: np.ndarray | None = None,
) -> PlsSystem:
    """Form the cross-products ``[Z X r]' W [Z X r]`` once (O(n)) and return the system of theta.

    Parameters
    ----------
    rhs : numpy.ndarray
        The right-hand side r (n,): y minus the offset for a linear model, PIRLS's working
        response for a generalised one.
    x : numpy.ndarray
        The fixed-effects matrix (n, p); p may be 0.
    reterms : ReTerms
        The random-effects terms.
    weights : numpy.ndarray, optional
        W's diagonal: row i of Z, X and r is scaled by sqrt(w_i). Without it W = I.

    Returns
    -------
    PlsSystem

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from hlmtutor.lmm.frame import model_frame
    >>> from hlmtutor.lmm.terms import build_terms
    >>> data = pd.DataFrame({"y": [1.0, 2.0, 2.5, 4.0, 3.0, 5.5], "g": list("aabbcc")})
    >>> frame = model_frame("y ~ 1 + (1 | g)", data)
    >>> system = make_pls(frame.y, frame.X, build_terms(frame.random, ["1 | g"]))
    >>> sol = system.solve(np.array([1.0]))
    >>> [round(float(v), 4) for v in system.beta(sol)]
    [3.0]
    """
    rhs = np.asarray(rhs, dtype=float)
    x = np.asarray(x, dtype=float)
    scaling = scaling_of(rhs, x)
    a = np.column_stack([x @ scaling.b, (rhs - scaling.shift) / scaling.scale])
    root_w = None
    if weights is not None:
        root_w = np.sqrt(np.asarray(weights, dtype=float))
        a = a * root_w[:, None]
    return pls_of_columns(a, reterms, scaling, root_w=root_w)


def pls_of_columns(
    a: np.ndarray,
    reterms: ReTerms,
    scaling: Scaling,
    root_w: np.ndarray | None = None,
    first_products: tuple[np.ndarray, np.ndarray] | None = None,
) -> PlsSystem:
    """The system from ``a = W^1/2 [X B, r_c]``, already in ``scaling``'s coordinates.

    ``root_w`` (sqrt of W's diagonal) scales the rows of Z as ``a``'s rows already are;
    ``first_products`` gives ``(Z_1'WZ_1, Z_1'W a)`` per level when the caller has them (the
    residual structures sum runs of rows whitened per subject).
    """
    n, p1 = a.shape
    first = reterms.terms[0]
    if first_products is None:
        z1 = first.columns if root_w is None else first.columns * root_w[:, None]
        a11 = _per_level_sums(first.codes, first.nlev, z1, z1)
        z1a = _per_level_sums(first.codes, first.nlev, z1, a)
    else:
        a11, z1a = first_products
    rest = _rest_blocks(reterms, a, root_w) if len(reterms.terms) > 1 else None
    fast = None
    if rest is None and first.q == 1:
        fast = (np.ascontiguousarray(a11[:, 0, 0]), np.ascontiguousarray(z1a[:, 0, :]))
    elif rest is None and first.q == 2:
        fast = tuple(
            np.ascontiguousarray(v)
            for v in (a11[:, 0, 0], a11[:, 1, 0], a11[:, 1, 1], z1a[:, 0, :], z1a[:, 1, :])
        )
    return PlsSystem(
        n=n,
        p=p1 - 1,
        reterms=reterms,
        scaling=scaling,
        a11=a11,
        z1a=z1a,
        ata=a.T @ a,
        rest=rest,
        fast=fast,
    )
