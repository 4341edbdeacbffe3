"""Profiled REML/ML deviance of a linear mixed model with one grouping factor.

The model, as lme4 writes it (Bates et al. 2015, J. Stat. Softw. 67(1)): for group g,
``y_g = X_g beta + Z_g u_g + e_g`` with ``u_g ~ N(0, sigma^2 L L')`` and
``e_g ~ N(0, sigma^2 I)``; ``theta`` is the lower triangle of the q x q factor L, column
by column. With ``M_g = I + L' Z_g' Z_g L`` the Woodbury identity and the determinant
lemma reduce every quantity to per-group cross-products, computed once:
``log|V_g| = log|M_g|`` and ``V_g^-1 = I - Z_g L M_g^-1 L' Z_g'``. One deviance evaluation is
then a batched q x q Cholesky over the groups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LOG_2PI = np.log(2 * np.pi)


@dataclass
class CrossProducts:
    """Per-group cross-products of Z with A = [X, y], and A'A."""

    n: int
    p: int
    q: int
    ztz: np.ndarray  # (G, q, q)
    zta: np.ndarray  # (G, q, p + 1)
    ata: np.ndarray  # (p + 1, p + 1)


def cross_products(x: np.ndarray, y: np.ndarray, z: np.ndarray, codes: np.ndarray, n_groups: int):
    """Compute the cross-products once, in O(n), by summing rows within groups."""
    a = np.column_stack([x, y])
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    zs = z[order]
    zz = np.einsum("ni,nj->nij", zs, zs)
    za = np.einsum("ni,nj->nij", zs, a[order])
    ztz = np.add.reduceat(zz, starts, axis=0)
    zta = np.add.reduceat(za, starts, axis=0)
    if len(starts) != n_groups:
        raise ValueError("internal: every group must have at least one row")
    return CrossProducts(n=len(y), p=x.shape[1], q=z.shape[1], ztz=ztz, zta=zta, ata=a.T @ a)


def theta_to_factor(theta: np.ndarray, q: int) -> np.ndarray:
    """Lower-triangular L from theta (lower triangle, column by column, as lme4)."""
    factor = np.zeros((q, q))
    rows, cols = np.tril_indices(q)
    order = np.lexsort((rows, cols))
    factor[rows[order], cols[order]] = theta
    return factor


def theta_lower_bounds(q: int) -> np.ndarray:
    """0 for the diagonal elements of L, -inf for the others (lme4's lower bounds)."""
    rows, cols = np.tril_indices(q)
    order = np.lexsort((rows, cols))
    return np.where(rows[order] == cols[order], 0.0, -np.inf)


@dataclass
class Decomposition:
    """What one evaluation at theta yields: the pieces of the deviance and beta."""

    logdet_v: float
    rx: np.ndarray  # upper Cholesky factor of X'V^-1X
    beta: np.ndarray
    pwrss: float  # r'V^-1 r at beta-hat
    factor: np.ndarray
    chol_m: np.ndarray  # (G, q, q) lower Cholesky factors of M_g

    @property
    def logdet_xvx(self) -> float:
        return 2.0 * float(np.sum(np.log(np.abs(np.diag(self.rx)))))


def decompose(cp: CrossProducts, theta: np.ndarray) -> Decomposition:
    """Evaluate the GLS pieces at theta (see the module docstring for the algebra)."""
    factor = theta_to_factor(np.asarray(theta, dtype=float), cp.q)
    if cp.q == 1:
        scaled, chol_m, logdet_v = _solve_q1(cp, factor)
    elif cp.q == 2:
        scaled, chol_m, logdet_v = _solve_q2(cp, factor)
    else:
        scaled, chol_m, logdet_v = _solve_general(cp, factor)
    flat = scaled.reshape(-1, scaled.shape[-1])
    correction = flat.T @ flat  # sum over groups of S_g' S_g, one BLAS call
    ava = cp.ata - correction
    upper = np.linalg.cholesky(ava).T
    p = cp.p
    rx = upper[:p, :p]
    beta = np.linalg.solve(rx, upper[:p, p]) if p else np.zeros(0)
    pwrss = float(upper[p, p] ** 2)
    return Decomposition(logdet_v, rx, beta, pwrss, factor, chol_m)


def _solve_q1(cp: CrossProducts, factor: np.ndarray):
    """Scalar groups: M_g = 1 + lambda^2 Z_g'Z_g."""
    lam = factor[0, 0]
    m = 1.0 + lam * lam * cp.ztz[:, 0, 0]
    root = np.sqrt(m)
    scaled = ((lam / root)[:, None] * cp.zta[:, 0, :])[:, None, :]
    return scaled, root[:, None, None], float(np.sum(np.log(m)))


def _solve_q2(cp: CrossProducts, factor: np.ndarray):
    """2 x 2 groups: the Cholesky factor of M_g and the triangular solve in closed form."""
    l11, l21, l22 = factor[0, 0], factor[1, 0], factor[1, 1]
    z11, z12, z22 = cp.ztz[:, 0, 0], cp.ztz[:, 0, 1], cp.ztz[:, 1, 1]
    # L'Z'ZL for L = [[l11, 0], [l21, l22]]
    a = l11 * (l11 * z11 + l21 * z12) + l21 * (l11 * z12 + l21 * z22) + 1.0
    b = l22 * (l11 * z12 + l21 * z22)
    c = l22 * l22 * z22 + 1.0
    c11 = np.sqrt(a)
    c21 = b / c11
    c22 = np.sqrt(c - c21 * c21)
    w1 = l11 * cp.zta[:, 0, :] + l21 * cp.zta[:, 1, :]
    w2 = l22 * cp.zta[:, 1, :]
    s1 = w1 / c11[:, None]
    s2 = (w2 - c21[:, None] * s1) / c22[:, None]
    chol = np.zeros((len(a), 2, 2))
    chol[:, 0, 0], chol[:, 1, 0], chol[:, 1, 1] = c11, c21, c22
    logdet = 2.0 * float(np.sum(np.log(c11) + np.log(c22)))
    return np.stack([s1, s2], axis=1), chol, logdet


def _solve_general(cp: CrossProducts, factor: np.ndarray):
    """Any q: batched Cholesky and solve."""
    m = factor.T @ cp.ztz @ factor + np.eye(cp.q)
    chol = np.linalg.cholesky(m)
    scaled = np.linalg.solve(chol, factor.T @ cp.zta)
    logdet = 2.0 * float(np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2))))
    return scaled, chol, logdet


def profiled_criterion(cp: CrossProducts, theta: np.ndarray, reml: bool) -> float:
    """lme4's objective: the REML criterion or ML deviance with sigma profiled out."""
    try:
        d = decompose(cp, theta)
    except np.linalg.LinAlgError:
        return np.inf
    if reml:
        dof = cp.n - cp.p
        value = d.logdet_v + d.logdet_xvx + dof * (1.0 + LOG_2PI + np.log(d.pwrss / dof))
    else:
        value = d.logdet_v + cp.n * (1.0 + LOG_2PI + np.log(d.pwrss / cp.n))
    return value if np.isfinite(value) else np.inf


def varpar_deviance(cp: CrossProducts, varpar: np.ndarray, reml: bool) -> float:
    """Deviance in (theta, sigma), not profiled: lmerTest's ``devfun_vp``."""
    theta, sigma = varpar[:-1], varpar[-1]
    sigma2 = sigma * sigma
    d = decompose(cp, theta)
    dev = d.logdet_v + d.pwrss / sigma2 + cp.n * (LOG_2PI + np.log(sigma2))
    if reml:
        dev += d.logdet_xvx - cp.p * (LOG_2PI + np.log(sigma2))
    return dev


def vcov_beta(cp: CrossProducts, varpar: np.ndarray) -> np.ndarray:
    """sigma^2 (X'V^-1X)^-1 at (theta, sigma): lmerTest's ``get_covbeta``."""
    d = decompose(cp, varpar[:-1])
    rxi = np.linalg.inv(d.rx)
    return varpar[-1] ** 2 * (rxi @ rxi.T)


def conditional_modes(
    cp: CrossProducts, d: Decomposition, sigma: float
) -> tuple[np.ndarray, np.ndarray]:
    """Conditional modes b_g = L M_g^-1 L' Z_g' r_g and their covariances sigma^2 L M_g^-1 L'."""
    ztr = cp.zta[:, :, -1] - cp.zta[:, :, :-1] @ d.beta
    lt_ztr = ztr @ d.factor  # rows are (L' Z'r)'
    m = d.chol_m @ np.swapaxes(d.chol_m, 1, 2)
    m_inv = np.linalg.inv(m)
    modes = np.einsum("ij,gjk,gk->gi", d.factor, m_inv, lt_ztr)
    cond_cov = sigma**2 * np.einsum("ij,gjk,lk->gil", d.factor, m_inv, d.factor)
    return modes, cond_cov
