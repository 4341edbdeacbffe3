"""The profiled REML/ML deviance of a linear mixed model as a function of theta.

This is the Gaussian response side (lme4's ``lmerResp`` and the profiled deviance of
``mkLmerDevfun``; Bates et al. 2015, J. Stat. Softw. 67(1), section 3) on top of the predictor
side, ``hlmtutor.lmm.pls.PlsSystem`` (lme4's ``merPredD``), built with r = y minus the
offset and W the prior weights. From the system's log|L|^2, R_X and pwrss at theta, sigma is
profiled out and the criterion lme4 minimises is

* REML: ``log|L|^2 + log|R_X|^2 + (n - p)(1 + log(2 pi pwrss / (n - p)))``
* ML:   ``log|L|^2 + n (1 + log(2 pi pwrss / n))``

minus ``sum(log w)`` with prior weights (the deviance of y with Var(y_i) = sigma^2 / w_i).
The system forms its cross-products in centred and scaled coordinates (y - shift) / scale and
X B; these change the criterion by a constant, ``dof log(scale^2)`` (and ``-2 log|det B|`` in
log|R_X|^2 for REML), which is added back, so every number is on the user's scale.

For one term with one or two columns (most models) the criterion comes from the system's
element-by-element pieces (``hlmtutor.lmm.pls.PlsSystem.pieces``), without a factor a fitted
model needs later; the pieces of recent thetas are kept (lmerTest's Hessian in (theta, sigma)
evaluates each theta several times).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .pls import Parts, PlsSystem, RestBlocks, Scaling, Solution, make_pls
from .terms import ReTerms

__all__ = ["Deviance", "Solution", "make_deviance"]

LOG_2PI = float(np.log(2 * np.pi))
RECENT = 64  # criterion pieces (log|L|^2, R_X, pwrss: a few numbers each) kept by theta


@dataclass(frozen=True, eq=False)
class Deviance:
    """The profiled Gaussian deviance of theta on top of a PLS system (lme4's ``lmerResp``).

    Attributes
    ----------
    system : PlsSystem
        The predictor side, with r = y - offset and W = the prior weights.
    reml : bool
        REML criterion (True) or ML deviance.
    log_weights : float
        sum(log w) of the prior weights (0 without weights), subtracted from the criterion.
    """

    system: PlsSystem
    reml: bool
    log_weights: float = 0.0
    # The criterion's pieces of recent thetas (small arrays only): lmerTest's numerical Hessian
    # in (theta, sigma) evaluates each theta several times (every step in sigma, and the mixed
    # steps with a step in sigma).
    _recent: OrderedDict = field(default_factory=OrderedDict, repr=False)

    # -- the system's shape -------------------------------------------------------------
    @property
    def n(self) -> int:
        return self.system.n

    @property
    def p(self) -> int:
        return self.system.p

    @property
    def reterms(self) -> ReTerms:
        return self.system.reterms

    @property
    def scaling(self) -> Scaling:
        return self.system.scaling

    @property
    def rest(self) -> RestBlocks | None:
        return self.system.rest

    @cached_property
    def lower(self) -> np.ndarray:
        return self.system.lower

    # -- evaluation --------------------------------------------------------------------
    def solve(self, theta: np.ndarray) -> Solution:
        """The system's full solution at theta (the last one is kept)."""
        return self.system.solve(theta)

    def _dof(self, reml: bool) -> int:
        return self.n - self.p if reml else self.n

    def criterion_of(self, sol: Parts | Solution, reml: bool | None = None) -> float:
        """lme4's objective at a solution: REML criterion or ML deviance, user's scale."""
        reml = self.reml if reml is None else reml
        dof = self._dof(reml)
        log_s2 = 2.0 * np.log(self.scaling.scale)
        value = sol.ldl2 + dof * (1.0 + LOG_2PI + np.log(sol.pwrss / dof)) + dof * log_s2
        value -= self.log_weights
        if reml:
            value += sol.logdet_rx - 2.0 * self.scaling.logdet_b
        return float(value)

    def __call__(self, theta: np.ndarray) -> float:
        """The criterion at theta; inf where the system cannot be factored."""
        try:
            value = self.criterion_of(self.parts(theta))
        except np.linalg.LinAlgError:
            return np.inf
        return value if np.isfinite(value) else np.inf

    def parts(self, theta: np.ndarray) -> Parts:
        """log|L|^2, R_X and pwrss at theta, cached by theta (the system's fast path for one
        term with q <= 2, the small pieces of a full solution otherwise)."""
        theta = np.array(theta, dtype=float)
        key = theta.tobytes()
        cached = self._recent.get(key)
        if cached is not None:
            self._recent.move_to_end(key)
            return cached
        cached = self.system.pieces(theta)
        self._recent[key] = cached
        if len(self._recent) > RECENT:
            self._recent.popitem(last=False)
        return cached

    # -- lmerTest's functions of (theta, sigma) -----------------------------------------
    def varpar_deviance(self, varpar: np.ndarray, reml: bool | None = None) -> float:
        """Deviance in (theta, sigma), sigma not profiled out: lmerTest's ``devfun_vp``."""
        reml = self.reml if reml is None else reml
        sol = self.parts(varpar[:-1])
        sigma2 = float(varpar[-1]) ** 2
        pwrss = self.system.pwrss(sol)
        dev = sol.ldl2 + pwrss / sigma2 + self.n * (LOG_2PI + np.log(sigma2)) - self.log_weights
        if reml:
            dev += sol.logdet_rx - 2.0 * self.scaling.logdet_b - self.p * (LOG_2PI + np.log(sigma2))
        return float(dev)

    def vcov_beta(self, varpar: np.ndarray) -> np.ndarray:
        """sigma^2 (X'V^-1X)^-1 at (theta, sigma): lmerTest's ``get_covbeta``."""
        sol = self.parts(varpar[:-1])
        return float(varpar[-1]) ** 2 * self.unscaled_vcov(sol)

    # -- results on the user's scale -------------------------------------------------------
    def sigma(self, sol: Parts | Solution, reml: bool | None = None) -> float:
        """The profiled residual standard deviation: sqrt(pwrss / (n - p)) (REML) or / n."""
        reml = self.reml if reml is None else reml
        return float(np.sqrt(self.pwrss(sol) / self._dof(reml)))

    def unscaled_vcov(self, sol: Parts | Solution) -> np.ndarray:
        """(X'V^-1X)^-1 / sigma^2 on the user's scale (the system's ``unscaled_vcov``)."""
        return self.system.unscaled_vcov(sol)

    def beta(self, sol: Solution) -> np.ndarray:
        """The fixed effects (the system's ``beta``)."""
        return self.system.beta(sol)

    def pwrss(self, sol: Parts | Solution) -> float:
        """The penalised weighted residual sum of squares on y's scale."""
        return self.system.pwrss(sol)

    def modes(self, sol: Solution) -> list[np.ndarray]:
        """Conditional modes b = Lambda u per term (the system's ``modes``)."""
        return self.system.modes(sol)

    def spherical_modes(self, sol: Solution) -> list[np.ndarray]:
        """Spherical modes u per term (the system's ``spherical_modes``)."""
        return self.system.spherical_modes(sol)

    def conditional_variances(self, sol: Solution) -> list[np.ndarray]:
        """Blocks of Lambda (L L')^-1 Lambda' per level; times sigma^2 lme4's ``condVar``."""
        return self.system.conditional_variances(sol)


def make_deviance(
    y: np.ndarray,
    x: np.ndarray,
    reterms: ReTerms,
    reml: bool,
    weights: np.ndarray | None = None,
) -> Deviance:
    """The profiled deviance function of theta for y, X, the terms and prior weights.

    The predictor side (:func:`hlmtutor.lmm.pls.make_pls`) forms the cross-products once,
    O(n); the criterion then costs nothing in n. ``y`` is the response less any offset
    (:func:`hlmtutor.lmm.fit.lmer` passes ``y - offset``); ``weights`` are lme4's prior weights
    (Var(y_i) = sigma^2 / w_i).

    Examples
    --------
    The criterion a fit minimised, rebuilt from its model frame and terms:

    >>> from hlmtutor import lmer, load_hsb
    >>> fit = lmer("mathach ~ ses + (1 | school)", load_hsb())
    >>> dev = make_deviance(fit.frame.y, fit.frame.X, fit.reterms, reml=True)
    >>> bool(abs(dev(fit.theta) - fit.reml_criterion) < 1e-8)
    True
    """
    log_weights = 0.0
    if weights is not None:
        weights = np.asarray(weights, dtype=float)
        log_weights = float(np.sum(np.log(weights[weights > 0])))
    system = make_pls(y, x, reterms, weights)
    return Deviance(system=system, reml=bool(reml), log_weights=log_weights)
