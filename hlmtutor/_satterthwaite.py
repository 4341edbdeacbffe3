"""Satterthwaite degrees of freedom for fixed effects, computed as lmerTest computes them.

lmerTest (Kuznetsova, Brockhoff & Christensen 2017, J. Stat. Softw. 82(13)) takes the
variance parameters ``varpar = (theta, sigma)`` at the optimum and

* A = 2 H^-1, with H the Hessian of the (REML or ML) deviance in varpar, inverted over its
  eigenvalues above 1e-8 only;
* the Jacobian of vcov(beta) in varpar;
* for a contrast l: ``df = 2 (l' C l)^2 / (g' A g)``, g_k = l' (dC/dvarpar_k) l.

For lmer fits the engine computes both derivatives exactly
(:mod:`hlmtutor.lmm.varpar_derivatives`); the numerical ones here serve models beyond its size
limit and the structured-covariance models, and check the exact ones in the tests. They are
central differences refined by Richardson extrapolation
(Richardson 1911, Phil. Trans. R. Soc. A 210, 307-357; the repeated form as in Linfield & Penny
1989, *Microcomputers in Numerical Analysis*, and Press et al., *Numerical Recipes*, 3rd ed.,
section 5.7). lmerTest obtains them from R's numDeriv with its documented default settings
(``method.args``: initial relative step d, ``eps`` for arguments near zero, ``zero.tol``, r = 4
steps, each half the one before); this module implements the same published method with those
settings, so that the numbers agree with lmerTest's to many digits. It is written from the method
and the documented settings, not from numDeriv's code.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

EIGEN_TOL = 1e-8  # lmerTest's default tol in as_lmerModLT
# numDeriv's documented defaults: arguments closer to zero than ZERO_TOL get the absolute step
# EPS instead of the relative one; R = 4 steps, each half the one before.
ZERO_TOL = np.sqrt(np.finfo(float).eps / 7e-7)
EPS = 1e-4
STEPS = 4
HESSIAN_STEP = 0.1  # d for the Hessian
JACOBIAN_STEP = 1e-4  # d for the Jacobian


def richardson(estimates: np.ndarray) -> np.ndarray:
    """Richardson's extrapolation to step zero of estimates along the first axis.

    ``estimates[k]`` is a central-difference estimate with step h / 2^k, whose error is a series
    in even powers of the step. Each round m = 1, 2, ... combines neighbours as
    T' = (4^m T(h/2) - T(h)) / (4^m - 1), which cancels the h^(2m) term, until one estimate is
    left.

    Examples
    --------
    >>> import numpy as np
    >>> h = 0.1 / 2.0 ** np.arange(4)
    >>> crude = (np.sin(1 + h) - np.sin(1 - h)) / (2 * h)  # derivative of sin at 1
    >>> bool(abs(richardson(crude) - np.cos(1)) < 1e-13 < abs(crude[-1] - np.cos(1)))
    True
    """
    table = np.array(estimates, dtype=float, copy=True)
    for m in range(1, len(table)):
        weight = 4.0**m
        table = (table[1:] * weight - table[:-1]) / (weight - 1.0)
    return table[0]


def initial_steps(x: np.ndarray, relative: float) -> np.ndarray:
    """First step per argument: ``relative * |x|``, plus EPS where x is (nearly) zero."""
    return np.abs(relative * x) + EPS * (np.abs(x) < ZERO_TOL)


def _halved(first: np.ndarray) -> list[np.ndarray]:
    """The STEPS step vectors: ``first``, then each half the one before (exact in binary)."""
    return [first / 2.0**k for k in range(STEPS)]


def hessian(func: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """Hessian of a scalar function by extrapolated second differences.

    Diagonal: f(x + h e_i) - 2 f(x) + f(x - h e_i) = h_i^2 H_ii + O(h^4). Off the diagonal, along
    v = h_i e_i + h_j e_j: f(x + v) - 2 f(x) + f(x - v) = h_i^2 H_ii + h_j^2 H_jj
    + 2 h_i h_j H_ij + O(h^4), solved for H_ij with the extrapolated diagonal. Each entry is
    extrapolated over the halved steps (:func:`richardson`); the first step is
    ``initial_steps(x, 0.1)``, the settings lmerTest's numDeriv call uses.
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    centre = func(x)
    steps = _halved(initial_steps(x, HESSIAN_STEP))
    unit = np.eye(n)

    def second_difference(direction: np.ndarray) -> float:
        return func(x + direction) - 2 * centre + func(x - direction)

    diagonal = np.array(
        [
            richardson(np.array([second_difference(unit[i] * h) / h[i] ** 2 for h in steps]))
            for i in range(n)
        ]
    )
    result = np.diag(diagonal)
    for i in range(n):
        for j in range(i):
            estimates = np.array(
                [
                    (
                        second_difference(unit[i] * h + unit[j] * h)
                        - diagonal[i] * h[i] ** 2
                        - diagonal[j] * h[j] ** 2
                    )
                    / (2 * h[i] * h[j])
                    for h in steps
                ]
            )
            result[i, j] = result[j, i] = richardson(estimates)
    return result


def jacobian(func: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """Jacobian (outputs flattened x inputs) by extrapolated central differences.

    Column i: (f(x + h e_i) - f(x - h e_i)) / (2 h_i), extrapolated over the halved steps
    (:func:`richardson`), the first step ``initial_steps(x, 1e-4)`` (lmerTest's settings).
    """
    x = np.asarray(x, dtype=float)
    unit = np.eye(len(x))

    def central_differences(h: np.ndarray) -> np.ndarray:
        columns = [
            (np.asarray(func(x + h * e)).ravel() - np.asarray(func(x - h * e)).ravel()) / (2 * h[i])
            for i, e in enumerate(unit)
        ]
        return np.stack(columns, axis=1)

    return richardson(
        np.array([central_differences(h) for h in _halved(initial_steps(x, JACOBIAN_STEP))])
    )


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
