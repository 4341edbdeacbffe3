"""Kenward-Roger's adjusted covariance of the fixed effects and its denominator df.

Written from Kenward & Roger (1997, Biometrics 53, 983-997) and the description of its
implementation in Halekoh & Hojsgaard (2014, J. Stat. Softw. 59(9)), as pbkrtest's
``vcovAdj``, ``get_Lb_ddf`` and ``KRmodcomp`` apply it and lmerTest uses it with
``ddf = "Kenward-Roger"``.

The marginal covariance of y is linear in the variance parameters sigma_r:
``Sigma = sum_r sigma_r G_r``, one G_r per element of each random-effects covariance matrix
(``Z_k (I (x) (E_ij + E_ji)) Z_k'``) and the identity for the residual variance. With
``Phi = (X' Sigma^-1 X)^-1``,

* ``P_r = -X' Sigma^-1 G_r Sigma^-1 X``, ``Q_rs = X' Sigma^-1 G_r Sigma^-1 G_s Sigma^-1 X``;
* W is twice the inverse of ``tr(Pi G_r Pi G_s)`` (Pi the REML projection
  ``Sigma^-1 - Sigma^-1 X Phi X' Sigma^-1``): the asymptotic covariance of the REML
  variance parameters;
* ``Phi_A = Phi + 2 Phi [sum_rs W_rs (Q_rs - P_r Phi P_s)] Phi`` (the second derivatives
  of Sigma vanish for a linear structure).

The matrices are dense n x n (two per variance parameter, and a few more): the method is meant
for the small and moderate data sets it is used on, and refuses more than 3,000 rows (use
Satterthwaite's df there).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.linalg as sla

from ._blas import single_threaded

if TYPE_CHECKING:  # pragma: no cover
    from .result import LmerResult

__all__ = ["KenwardRoger", "kenward_roger", "kr_ddf"]

MAX_ROWS = 3000  # about a dozen dense n x n matrices: 3,000 rows take 72 MB each


@dataclass(frozen=True)
class KenwardRoger:
    """The pieces of the adjustment: ``phi`` (vcov), ``phi_adj`` (Phi_A), ``p`` (list of P_r),
    ``w`` (W)."""

    phi: np.ndarray
    phi_adj: np.ndarray
    p: tuple[np.ndarray, ...]
    w: np.ndarray


def _derivative_matrices(result: LmerResult) -> list[np.ndarray]:
    """G_r: the derivative of Sigma in each covariance element, then the residual's (the
    identity, or W^-1 for a fit with prior weights)."""
    n = result.nobs
    out = []
    for term in result.reterms.terms:
        z = term.z.tocsc()
        q = term.q
        # the columns of random effect r of every level: r, r + q, r + 2q, ...
        parts = [z[:, r::q] for r in range(q)]
        for c in range(q):
            for r in range(c, q):
                g = (parts[r] @ parts[c].T).toarray()
                out.append(g if r == c else g + g.T)
    # the residual's: Var(e) = sigma^2 W^-1 with lme4's prior weights W (pbkrtest uses the
    # identity whatever the weights, while taking Phi from the weighted vcov)
    weights = getattr(result, "prior_weights", None)
    out.append(np.eye(n) if weights is None else np.diag(1.0 / np.asarray(weights, dtype=float)))
    return out


def _sigma_values(result: LmerResult) -> np.ndarray:
    """The variance parameters in the order of :func:`_derivative_matrices`."""
    values = []
    for term in result.reterms.terms:
        cov = result.cov_re[term.name].to_numpy()
        for c in range(term.q):
            for r in range(c, term.q):
                values.append(cov[r, c])
    values.append(result.sigma**2)
    return np.array(values)


@single_threaded
def _compute(result: LmerResult) -> KenwardRoger:
    if not result.REML:
        raise ValueError(
            "The Kenward-Roger method needs a REML fit (it adjusts REML's covariance of the "
            "fixed effects); fit with REML=True, or use ddf='Satterthwaite'."
        )
    if result.nobs > MAX_ROWS:
        raise ValueError(
            f"The Kenward-Roger method here forms dense {result.nobs} x {result.nobs} matrices; "
            f"it is limited to {MAX_ROWS} rows. Use ddf='Satterthwaite' for this model."
        )
    x = result.frame.X
    gs = _derivative_matrices(result)
    sigma = sum(v * g for v, g in zip(_sigma_values(result), gs, strict=True))
    factor = sla.cho_factor(sigma, lower=True)
    sigma_inv_x = sla.cho_solve(factor, x)
    phi = np.linalg.inv(x.T @ sigma_inv_x)
    phi = (phi + phi.T) / 2
    # Pi = Sigma^-1 - Sigma^-1 X Phi X' Sigma^-1, the REML projection
    sigma_inv = sla.cho_solve(factor, np.eye(len(sigma)))
    projection = sigma_inv - sigma_inv_x @ phi @ sigma_inv_x.T
    g_sx = [g @ sigma_inv_x for g in gs]  # G_r Sigma^-1 X
    p_mats = [-(sigma_inv_x.T @ gx) for gx in g_sx]
    pi_g = [projection @ g for g in gs]
    k = len(gs)
    info = np.empty((k, k))
    q_mats = {}
    for r in range(k):
        for s in range(r, k):
            info[r, s] = info[s, r] = np.sum(pi_g[r] * pi_g[s].T)
            q_mats[r, s] = g_sx[r].T @ sigma_inv @ g_sx[s]
    eigen = np.linalg.eigvalsh(info)
    w = 2 * (np.linalg.inv(info) if np.min(np.abs(eigen)) > 1e-10 else np.linalg.pinv(info))
    u = np.zeros_like(phi)
    for r in range(k):
        for s in range(k):
            q_rs = q_mats[min(r, s), max(r, s)]
            q_rs = q_rs if r <= s else q_rs.T
            u += w[r, s] * (q_rs - p_mats[r] @ phi @ p_mats[s])
    phi_adj = phi + 2 * phi @ u @ phi
    phi_adj = (phi_adj + phi_adj.T) / 2
    return KenwardRoger(phi=phi, phi_adj=phi_adj, p=tuple(p_mats), w=w)


_computed: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def kenward_roger(result: LmerResult) -> KenwardRoger:
    """Kenward-Roger's adjustment of a REML fit (pbkrtest's ``vcovAdj``), computed once per fit
    (held only as long as the fit is)."""
    if result not in _computed:
        _computed[result] = _compute(result)
    return _computed[result]


def kr_ddf(kr: KenwardRoger, contrasts: np.ndarray) -> tuple[float, float]:
    """Denominator df and F scaling of the hypothesis L beta = 0 (L of full row rank q).

    Returns
    -------
    (ddf, scale)
        Kenward & Roger's m and lambda: ``lambda * F ~ F(q, m)``, F the Wald statistic with
        Phi_A.
    """
    lmat = np.atleast_2d(contrasts)
    q = lmat.shape[0]
    phi = kr.phi
    theta = lmat.T @ np.linalg.solve(lmat @ phi @ lmat.T, lmat)
    # M_r = Theta Phi P_r Phi
    m = [theta @ phi @ p @ phi for p in kr.p]
    traces = np.array([np.trace(mr) for mr in m])
    a1 = float(traces @ kr.w @ traces)
    a2 = float(
        sum(kr.w[r, s] * np.sum(m[r] * m[s].T) for r in range(len(m)) for s in range(len(m)))
    )
    b = (a1 + 6 * a2) / (2 * q)
    g = ((q + 1) * a1 - (q + 4) * a2) / ((q + 2) * a2)
    denom = 3 * q + 2 * (1 - g)
    c1, c2, c3 = g / denom, (q - g) / denom, (q + 2 - g) / denom
    v0 = 1 + c1 * b
    v0 = 0.0 if abs(v0) < 1e-10 else v0
    v1, v2 = 1 - c2 * b, 1 - c3 * b
    ratio = (1 - a2 / q) / v1 if abs(v1) > 1e-14 else np.inf
    rho = ratio**2 * v0 / v2 / q
    ddf = 4 + (q + 2) / (q * rho - 1)
    scale = 1.0 if abs(ddf - 4) < 1e-2 else ddf * (1 - a2 / q) / (ddf - 2)
    return float(ddf), float(scale)
