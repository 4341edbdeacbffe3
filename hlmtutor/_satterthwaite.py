"""Satterthwaite degrees of freedom for fixed effects, computed as lmerTest computes them.

lmerTest (Kuznetsova, Brockhoff & Christensen 2017, J. Stat. Softw. 82(13)) takes the
variance parameters ``varpar = (theta, sigma)`` at the optimum and

* A = 2 H^-1, with H the Hessian of the (REML or ML) deviance in varpar from
  ``numDeriv::hessian`` (Richardson extrapolation), inverted over its eigenvalues above
  1e-8 only;
* the Jacobian of vcov(beta) in varpar from ``numDeriv::jacobian``;
* for a contrast l: ``df = 2 (l' C l)^2 / (g' A g)``, g_k = l' (dC/dvarpar_k) l.

The numerical derivatives are ported from numDeriv 2016.8 (``genD`` and ``jacobian``
with their default arguments) so that the numbers agree with lmerTest's to many digits.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

EIGEN_TOL = 1e-8  # lmerTest's default tol in as_lmerModLT
_ZERO_TOL = np.sqrt(np.finfo(float).eps / 7e-7)


def _richardson(approx: np.ndarray) -> np.ndarray:
    """Richardson extrapolation over the first axis (step halves each time)."""
    a = approx.copy()
    r = a.shape[0]
    for m in range(1, r):
        a = (a[1 : r + 1 - m] * 4.0**m - a[: r - m]) / (4.0**m - 1.0)
    return a[0]


def _steps(x: np.ndarray, d: float, eps: float = 1e-4) -> np.ndarray:
    return np.abs(d * x) + eps * (np.abs(x) < _ZERO_TOL)


def hessian(func: Callable[[np.ndarray], float], x: np.ndarray, r: int = 4) -> np.ndarray:
    """Hessian of a scalar function as ``numDeriv::hessian`` computes it (d = 0.1)."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    f0 = func(x)
    h0 = _steps(x, 0.1)
    hdiag = np.zeros(n)
    unit = np.eye(n)
    for i in range(n):
        approx = np.zeros(r)
        h = h0.copy()
        for k in range(r):
            f1 = func(x + unit[i] * h)
            f2 = func(x - unit[i] * h)
            approx[k] = (f1 - 2 * f0 + f2) / h[i] ** 2
            h = h / 2
        hdiag[i] = _richardson(approx)
    hess = np.diag(hdiag)
    for i in range(n):
        for j in range(i):
            approx = np.zeros(r)
            h = h0.copy()
            for k in range(r):
                step = unit[i] * h + unit[j] * h
                f1 = func(x + step)
                f2 = func(x - step)
                approx[k] = (f1 - 2 * f0 + f2 - hdiag[i] * h[i] ** 2 - hdiag[j] * h[j] ** 2) / (
                    2 * h[i] * h[j]
                )
                h = h / 2
            hess[i, j] = hess[j, i] = _richardson(approx)
    return hess


def jacobian(func: Callable[[np.ndarray], np.ndarray], x: np.ndarray, r: int = 4) -> np.ndarray:
    """Jacobian (outputs flattened x inputs) as ``numDeriv::jacobian`` computes it (d = 1e-4)."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    size = np.asarray(func(x)).size
    approx = np.zeros((r, size, n))
    h = _steps(x, 1e-4)
    unit = np.eye(n)
    for k in range(r):
        for i in range(n):
            up = np.asarray(func(x + h * unit[i])).ravel()
            down = np.asarray(func(x - h * unit[i])).ravel()
            approx[k, :, i] = (up - down) / (2 * h[i])
        h = h / 2
    return _richardson(approx)


def varpar_covariance(hess: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """2 H^-1 over the eigenvalues above tol, and lmerTest's warnings about the others."""
    values, vectors = np.linalg.eigh(hess)
    values, vectors = values[::-1], vectors[:, ::-1]
    warnings = []
    negative = values[values < -EIGEN_TOL]
    zero = values[np.abs(values) < EIGEN_TOL]
    if len(negative):
        warnings.append(
            f"Model failed to converge with {len(negative)} negative eigenvalue"
            f"{'s' if len(negative) > 1 else ''}: " + " ".join(f"{v:.1e}" for v in negative)
        )
    if len(zero):
        warnings.append(
            f"Model may not have converged with {len(zero)} eigenvalue"
            f"{'s' if len(zero) > 1 else ''} close to zero: " + " ".join(f"{v:.1e}" for v in zero)
        )
    pos = values > EIGEN_TOL
    inverse = (vectors[:, pos] / values[pos]) @ vectors[:, pos].T
    return 2.0 * inverse, warnings


def satterthwaite_df(
    vcov: np.ndarray, jac: np.ndarray, a: np.ndarray, contrasts: np.ndarray
) -> np.ndarray:
    """df = 2 (l'Cl)^2 / (g'Ag) for each row l of ``contrasts``.

    ``jac`` has shape (p, p, k): dC/dvarpar_k.
    """
    var_con = np.einsum("ci,ij,cj->c", contrasts, vcov, contrasts)
    grad = np.einsum("ci,ijk,cj->ck", contrasts, jac, contrasts)
    denom = np.einsum("ck,kl,cl->c", grad, a, grad)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 2.0 * var_con**2 / denom
