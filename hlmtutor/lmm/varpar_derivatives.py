"""Exact derivatives in ``varpar = (theta, sigma)`` for Satterthwaite's df (no finite differences).

lmerTest's Satterthwaite df need the Hessian of the deviance in (theta, sigma) (sigma not profiled
out, beta profiled out) and the Jacobian of ``vcov(beta) = sigma^2 (X'V^-1X)^-1``. lmerTest takes
both numerically; their last digits then depend on rounding (and on the BLAS kernel). Here they
come from the closed-form derivatives of the Gaussian (restricted) likelihood (Harville 1977,
JASA 72, 320-338; Kuznetsova, Brockhoff & Christensen 2017, J. Stat. Softw. 82(13), section 3),
written in the q-dimensional space of the random effects.

The algebra. With prior weights W, ``V = sigma^2 Vt``, ``Vt = Z G Z' + W^-1``, ``G = Lambda Lambda'``;
``S = Z'Vt^-1 Z``, ``F = Z'Vt^-1 X``, ``Q = X'Vt^-1 X``, ``Pt = Vt^-1 - Vt^-1 X Q^-1 X'Vt^-1``,
``T = Z'Pt Z = S - F Q^-1 F'``, ``a = Z'Pt y`` and ``r = y'Pt y`` (the penalised RSS). Lambda is
linear in theta: ``G_k = dG/dtheta_k = E_k Lambda' + Lambda E_k'`` and
``G_kl = E_k E_l' + E_l E_k'`` with ``E_k = dLambda/dtheta_k``. The deviance is
``D = log|Vt| [+ log|Q|] + r / sigma^2 + m log sigma^2 + const`` with m = n (ML) or n - p (REML,
where the bracket is included), and, with M = S for ML and M = T for REML,

* ``d2D/dtheta_k dtheta_l = tr(M G_kl) - tr(M G_k M G_l) + (2 a'G_k T G_l a - a'G_kl a) / sigma^2``
* ``d2D/dtheta_k dsigma = 2 a'G_k a / sigma^3``
* ``d2D/dsigma^2 = 6 r / sigma^4 - 2 m / sigma^2``
* ``dvcov/dtheta_k = sigma^2 Q^-1 F'G_k F Q^-1`` and ``dvcov/dsigma = 2 sigma Q^-1``.

By Woodbury, with ``C = Z'WZ`` and ``M_L = I + Lambda'C Lambda``: ``S = C - C Lambda M_L^-1
Lambda'C``, and the same for ``Z'Vt^-1[X y]`` and ``[X y]'Vt^-1[X y]``. With one random term S is
block diagonal (one q_1 x q_1 block per level) and everything is computed level by level; with
several terms S is dense, so the exact path is taken up to ``MAX_DENSE_Q`` random effects (beyond
it the caller keeps the numerical derivatives).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from .deviance import Deviance

__all__ = ["MAX_DENSE_Q", "exact_available", "varpar_derivatives"]

# Several random terms: S is a dense q x q matrix, and the derivatives cost about 2 q^3 flops and
# (n_theta + 2) q^2 doubles. benchmarks/satterthwaite.py (one core): 12x faster than the ~100
# deviance evaluations of the numerical derivatives at q = 131 (nested, slopes), still faster at
# q = 300 on two crossed intercepts (whose evaluations are cheap), 2x slower at q = 600 and
# 5.6x at q = 1100.
MAX_DENSE_Q = 400


def exact_available(dev: Deviance) -> bool:
    """Whether :func:`varpar_derivatives` handles this model (one term, or q <= MAX_DENSE_Q)."""
    return not dev.rest or dev.reterms.n_random <= MAX_DENSE_Q


def _solves_one_term(dev: Deviance, t: np.ndarray):
    """S (its l diagonal blocks), R = Z'Vt^-1 A and N = A'Vt^-1 A, level by level."""
    c = dev.system.a11  # (l, q, q)
    za = dev.system.z1a  # (l, q, p + 1)
    u = t.T @ c  # T'C_j, level by level
    m = np.eye(t.shape[0]) + u @ t
    x = np.linalg.solve(m, u)
    s = c - np.swapaxes(u, 1, 2) @ x
    s = 0.5 * (s + np.swapaxes(s, 1, 2))
    tza = t.T @ za
    y = np.linalg.solve(m, tza)
    r = za - np.swapaxes(u, 1, 2) @ y
    n = dev.system.ata - np.einsum("lqi,lqj->ij", tza, y)
    return s, r.reshape(-1, za.shape[-1]), n


def _lambda(dev: Deviance, theta: np.ndarray) -> sp.csr_matrix:
    return sp.block_diag(
        [sp.kron(sp.identity(t.nlev), sp.csr_matrix(t.factor(theta))) for t in dev.reterms.terms],
        format="csr",
    )


def _solves_dense(dev: Deviance, theta: np.ndarray):
    """S (dense), R = Z'Vt^-1 A and N = A'Vt^-1 A through a dense Cholesky L L' of M_L:
    with K = L^-1 Lambda'C and J = L^-1 Lambda'Z'WA, S = C - K'K, R = Z'WA - K'J and
    N = A'WA - J'J (one triangular solve, one symmetric product)."""
    c, za = dev.system.weighted_crossproducts()
    lam = _lambda(dev, theta)
    m = np.eye(c.shape[0]) + (lam.T @ (c @ lam)).toarray()
    lower = sla.cholesky(m, lower=True, overwrite_a=True, check_finite=False)
    k = sla.solve_triangular(lower, (lam.T @ c).toarray(), lower=True, check_finite=False)
    j = sla.solve_triangular(lower, lam.T @ za, lower=True, check_finite=False)
    s = c.toarray() - k.T @ k
    s = 0.5 * (s + s.T)
    return s, za - k.T @ j, dev.system.ata - j.T @ j


def _g_blocks(dev: Deviance, theta: np.ndarray):
    """Per theta element: its term and the q_t x q_t block g_k of G_k = I (x) g_k; per pair
    within a term, the block of G_km (theta enters Lambda linearly, so G is quadratic)."""
    terms = dev.reterms.terms
    owner, e = [], []
    for i, t in enumerate(terms):
        for k in range(t.theta_slice.start, t.theta_slice.stop):
            unit = np.zeros(len(theta))
            unit[k] = 1.0
            owner.append(i)
            e.append(t.factor(unit))
    g = []
    for k, ek in enumerate(e):
        t_k = terms[owner[k]].factor(theta)
        g.append(ek @ t_k.T + t_k @ ek.T)
    g2 = {
        (k, m): e[k] @ e[m].T + e[m] @ e[k].T
        for k in range(len(e))
        for m in range(k + 1)
        if owner[k] == owner[m]
    }
    return owner, g, g2


class _OneTerm:
    """S and the G's of a model with one random term: l diagonal blocks, level by level."""

    def __init__(self, s: np.ndarray, g: list[np.ndarray], g2: dict):
        self.s, self.g, self.g2 = s, g, g2
        self.shape = s.shape[:2]  # (l, q)
        self.s_sum = s.sum(axis=0)
        self.sg = [s @ gk for gk in g]

    def _apply(self, blocks: np.ndarray, v: np.ndarray) -> np.ndarray:
        tail = v.shape[1:] or (1,)  # vectors as one column; p = 0 keeps its empty shape
        return (blocks @ v.reshape(*self.shape, *tail)).reshape(v.shape)

    def s_times(self, v: np.ndarray) -> np.ndarray:
        return self._apply(self.s, v)

    def g_times(self, k: int, v: np.ndarray) -> np.ndarray:
        return self._apply(self.g[k], v)

    def g2_times(self, km: tuple[int, int], v: np.ndarray) -> np.ndarray:
        return self._apply(self.g2[km], v)

    def trace_s_g2(self, km: tuple[int, int]) -> float:
        return float(np.sum(self.s_sum * self.g2[km].T))

    def trace_sg_sg(self, k: int, m: int) -> float:
        return float(np.einsum("lij,lji->", self.sg[k], self.sg[m]))


class _Dense:
    """S dense (several random terms), the G's sparse."""

    def __init__(self, dev: Deviance, s: np.ndarray, owner: list[int], g: list, g2: dict):
        terms = dev.reterms.terms
        sizes = [t.nlev * t.q for t in terms]

        def placed(index: int, block: np.ndarray) -> sp.csr_matrix:
            parts = [
                sp.kron(sp.identity(t.nlev), sp.csr_matrix(block))
                if i == index
                else sp.csr_matrix((size, size))
                for i, (t, size) in enumerate(zip(terms, sizes, strict=True))
            ]
            return sp.block_diag(parts, format="csr")

        self.s = s
        self.g = [placed(owner[k], gk) for k, gk in enumerate(g)]
        self.g2 = {km: placed(owner[km[0]], block) for km, block in g2.items()}
        self.sg = [(gk @ s).T for gk in self.g]  # S G_k (S and G_k symmetric)

    def s_times(self, v: np.ndarray) -> np.ndarray:
        return self.s @ v

    def g_times(self, k: int, v: np.ndarray) -> np.ndarray:
        return self.g[k] @ v

    def g2_times(self, km: tuple[int, int], v: np.ndarray) -> np.ndarray:
        return self.g2[km] @ v

    def trace_s_g2(self, km: tuple[int, int]) -> float:
        return float(self.g2[km].multiply(self.s).sum())  # tr(S G) with G symmetric

    def trace_sg_sg(self, k: int, m: int) -> float:
        return float(np.einsum("ij,ji->", self.sg[k], self.sg[m]))


def varpar_derivatives(
    dev: Deviance, theta: np.ndarray, sigma: float, reml: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The exact Hessian of ``dev.varpar_deviance`` and Jacobian of ``dev.vcov_beta``.

    Parameters
    ----------
    dev : Deviance
    theta : numpy.ndarray
    sigma : float
        The residual SD on the user's scale.
    reml : bool, optional
        REML or ML deviance (default: the deviance's own).

    Returns
    -------
    hessian : numpy.ndarray, shape (k, k)
        In ``varpar = (theta, sigma)``, k = len(theta) + 1.
    jacobian : numpy.ndarray, shape (p, p, k)
        d vcov(beta) / d varpar_k on the user's scale.

    Notes
    -----
    The formulas are in the module docstring. Work is on the deviance's scaled coordinates
    (``y_c = (y - shift) / s``, ``X_c = X B``): ``Pt`` does not change under X -> X B, and
    ``a``, ``r`` are returned to the user's scale by the factors s and s^2.

    Examples
    --------
    >>> import numpy as np
    >>> import hlmtutor as hlm
    >>> from hlmtutor import _satterthwaite as sat
    >>> m = hlm.lmer("mathach ~ ses + (1 | school)", hlm.load_hsb())
    >>> dev = m.deviance_function
    >>> hess, jac = varpar_derivatives(dev, m.optimum.theta, m.sigma)
    >>> numerical = sat.hessian(dev.varpar_deviance, np.r_[m.optimum.theta, m.sigma])
    >>> bool(np.allclose(hess, numerical, rtol=1e-6)), jac.shape
    (True, (2, 2, 2))
    """
    reml = dev.reml if reml is None else reml
    theta = np.asarray(theta, dtype=float)
    p = dev.p
    owner, g_small, g2_small = _g_blocks(dev, theta)
    if dev.rest:
        s_mat, r_mat, n_mat = _solves_dense(dev, theta)
        ops = _Dense(dev, s_mat, owner, g_small, g2_small)
    else:
        s_mat, r_mat, n_mat = _solves_one_term(dev, dev.reterms.terms[0].factor(theta))
        ops = _OneTerm(s_mat, g_small, g2_small)
    q_inv = np.linalg.inv(n_mat[:p, :p]) if p else np.zeros((0, 0))
    q_inv = 0.5 * (q_inv + q_inv.T)
    beta = q_inv @ n_mat[:p, p]
    scale = dev.scaling.scale
    rss = (n_mat[p, p] - n_mat[p, :p] @ beta) * scale**2
    f = r_mat[:, :p]
    a = (r_mat[:, p] - f @ beta) * scale
    k_theta = len(theta)
    ga = [ops.g_times(k, a) for k in range(k_theta)]
    gf = [ops.g_times(k, f) for k in range(k_theta)]
    fgf = [f.T @ x for x in gf]  # F'G_k F
    sigma2 = sigma * sigma
    hess = np.empty((k_theta + 1, k_theta + 1))
    for k in range(k_theta):
        for m in range(k + 1):
            within = (k, m) in g2_small
            tr_m_gkm = ops.trace_s_g2((k, m)) if within else 0.0
            tr_mgmg = ops.trace_sg_sg(k, m)
            if reml:  # M = T = S - F Q^-1 F'
                if within:
                    tr_m_gkm -= float(np.sum(q_inv * (f.T @ ops.g2_times((k, m), f))))
                fgsgf = gf[m].T @ ops.s_times(gf[k])  # F'G_m S G_k F
                tr_mgmg += -2.0 * float(np.sum(q_inv * fgsgf)) + float(
                    np.sum((q_inv @ fgf[k]) * (q_inv @ fgf[m]).T)
                )
            ft_gka, ft_gma = f.T @ ga[k], f.T @ ga[m]
            a_gtg_a = ga[k] @ ops.s_times(ga[m]) - ft_gka @ q_inv @ ft_gma
            a_gkm_a = a @ ops.g2_times((k, m), a) if within else 0.0
            hess[k, m] = hess[m, k] = tr_m_gkm - tr_mgmg + (2.0 * a_gtg_a - a_gkm_a) / sigma2
        hess[k, -1] = hess[-1, k] = 2.0 * (a @ ga[k]) / (sigma2 * sigma)
    dof = dev.n - p if reml else dev.n
    hess[-1, -1] = 6.0 * rss / sigma2**2 - 2.0 * dof / sigma2
    b = dev.scaling.b
    jac = np.empty((p, p, k_theta + 1))
    for k in range(k_theta):
        jac[:, :, k] = sigma2 * (b @ q_inv @ fgf[k] @ q_inv @ b.T)
    jac[:, :, -1] = 2.0 * sigma * (b @ q_inv @ b.T)
    return hess, jac
