"""The Laplace / adaptive Gauss-Hermite deviance of a GLMM, by penalised iteratively reweighted
least squares (PIRLS), as lme4's ``mkGlmerDevfun`` defines it.

With spherical random effects u (b = Lambda u, u ~ N(0, I)) and linear predictor
``eta = offset + X beta + Z Lambda u``, PIRLS finds the conditional mode of u (or of u and beta
together, for nAGQ = 0) by Newton steps on the penalised deviance ``sum d_i(mu_i) + |u|^2``:
each step is the weighted penalised least-squares solve of the predictor side
(``hlmtutor.lmm.pls.make_pls``, lme4's ``merPredD``, with the working weights
``w_i = a_i mu_eta_i^2 / V(mu_i)`` and working response ``eta_i + (y_i - mu_i) / mu_eta_i``
from the response side, ``hlmtutor.lmm.family.Family``: lme4's ``glmResp``),
halved while it does not lower the penalised deviance (Bates et al. 2015; lme4's "PIRLS"
with ``tolPwrss``). At the mode, with ``L L' = Lambda'Z'WZ Lambda + I``, the Laplace deviance is

    ``-2 log f(y | u) + |u|^2 + log|L|^2``

(lme4's objective for nAGQ = 1 and nAGQ = 0), and with one scalar random-effects term the
adaptive Gauss-Hermite deviance replaces each group's Laplace term by a K-point quadrature
centred at the mode and scaled by 1 / L_jj (on the deviance residuals, so lme4's nAGQ > 1
log-likelihood leaves out the saturated model's constant, as lme4's does).

The criterion is lme4's to rounding, including two details that move it by up to ~1e-3:
log|L|^2 is taken from the last solve, whose weights are those of the iterate before the last
(so it depends on where PIRLS starts), and PIRLS starts, for nAGQ >= 1, from ``lp0``, the linear
predictor at the end of stage 1 (nAGQ = 0), and for nAGQ = 0 from the linear predictor of PIRLS
at the start theta. These were found by evaluating lme4's deviance functions
(``update(m, devFunOnly = TRUE)``) and reproduced here to 1e-13. At the same parameters the
exact Laplace approximation (weights at the mode) differs by a few 1e-4 in logLik; matching
lme4's numbers (and its finite-difference vcov) needs lme4's definition.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .family import Family
from .pls import PlsSystem, Solution, make_pls
from .terms import ReTerms

__all__ = ["GlmmDeviance", "PirlsState"]

TOL_PWRSS = 1e-7  # lme4's glmerControl(tolPwrss)
MAX_ITER = 60
MAX_HALVINGS = 12


@dataclass
class PirlsState:
    """The conditional mode at one parameter vector, and what the result needs from it."""

    theta: np.ndarray
    beta: np.ndarray
    u: np.ndarray  # spherical modes, all terms flattened (term by term, level-major)
    eta: np.ndarray
    mu: np.ndarray
    ldl2: float
    penalised: float  # -2 log f(y | u) + |u|^2
    system: PlsSystem  # the weighted PLS system at the last weights (p = 0 or p)
    solution: Solution
    iterations: int


@dataclass(eq=False)
class GlmmDeviance:
    """The GLMM deviance as a function of theta (nAGQ = 0) or of (theta, beta).

    Attributes
    ----------
    y, prior_weights, offset : numpy.ndarray
        The response side: y (proportions for binomial), prior weights (trials times the
        user's weights), offset.
    x : numpy.ndarray
        (n, p) fixed-effects matrix.
    reterms : ReTerms
    family : Family
    nagq : int
        Quadrature points (1 = Laplace); more need one scalar random-effects term.
    """

    y: np.ndarray
    prior_weights: np.ndarray
    offset: np.ndarray
    x: np.ndarray
    reterms: ReTerms
    family: Family
    nagq: int = 1
    # Where PIRLS starts: nAGQ = 0 from the linear predictor at the start theta (``reset``),
    # nAGQ >= 1 from lp0, the linear predictor at stage 1's optimum.
    eta_warm: np.ndarray | None = field(default=None, repr=False)
    lp0: np.ndarray | None = field(default=None, repr=False)
    last_state: PirlsState | None = field(default=None, repr=False)
    _constant: float | None = field(default=None, repr=False)
    evaluations: int = 0

    @property
    def n_theta(self) -> int:
        return self.reterms.n_theta

    @property
    def p(self) -> int:
        return self.x.shape[1]

    # -- pieces --------------------------------------------------------------------------
    def z_lambda_u(self, theta: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Z Lambda(theta) u on the fitted rows (the random part of the linear predictor)."""
        out = np.zeros(len(self.y))
        start = 0
        for term in self.reterms.terms:
            size = term.nlev * term.q
            b = u[start : start + size].reshape(term.nlev, term.q) @ term.factor(theta).T
            out += (
                np.einsum("ij,ij->i", term.columns, b[term.codes])
                if term.q > 1
                else (term.columns[:, 0] * b[term.codes, 0])
            )
            start += size
        return out

    def _cond_dev(self, mu: np.ndarray) -> float:
        return float(np.sum(self.family.dev_resids(self.y, mu, self.prior_weights)))

    def working(self, eta: np.ndarray, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """PIRLS's working weights and working response at the linear predictor eta (mu its
        mean): w = prior weight x (dmu/deta)^2 / Var(mu), z = eta + (y - mu) / (dmu/deta)."""
        mu_eta = self.family.mu_eta(eta)
        weights = self.prior_weights * mu_eta**2 / self.family.variance(mu)
        return weights, eta + (self.y - mu) / mu_eta

    def _spherical(self, system: PlsSystem, sol: Solution) -> np.ndarray:
        return np.concatenate([v.ravel() for v in system.spherical_modes(sol)])

    def start_eta(self) -> np.ndarray:
        """R's ``family()$initialize``: the linear predictor PIRLS first starts from."""
        return self.family.linkfun(self.family.mustart(self.y, self.prior_weights))

    def reset(self, theta: np.ndarray) -> None:
        """Where every nAGQ = 0 evaluation starts, as in lme4: the linear predictor of PIRLS
        at the start theta, itself started from R's mustart (so the criterion is a function
        of theta alone, whatever was evaluated before)."""
        self.eta_warm = self.start_eta()
        self.nagq0(theta)
        self.eta_warm = self.last_state.eta

    # -- PIRLS -----------------------------------------------------------------------------
    def pirls(self, theta: np.ndarray, beta: np.ndarray | None, eta: np.ndarray) -> PirlsState:
        """Conditional modes at theta: of u with beta fixed, or of (beta, u) when beta is None.

        Starts from the linear predictor ``eta`` (its weights give the first Newton step) and
        u = 0; each step solves the weighted PLS system, is halved while it does not lower the
        penalised deviance ``sum d_i + |u|^2``, and PIRLS stops when that changes by less than
        ``tolPwrss`` (relative). As in lme4, log|L|^2 is the one of the last solve, so at the
        weights of the iterate before the last (the criterion is lme4's to rounding).
        """
        theta = np.asarray(theta, dtype=float)
        joint = beta is None
        x = self.x if joint else self.x[:, :0]
        u = np.zeros(self.reterms.n_random)
        b = np.zeros(self.p) if joint else np.asarray(beta, dtype=float)
        fixed = None if joint else self.x @ b
        mu = self.family.linkinv(eta)
        pdev = np.inf
        system = sol = None
        iterations = 0
        for _ in range(MAX_ITER):
            iterations += 1
            weights, working = self.working(eta, mu)
            target = working - self.offset - (0.0 if joint else fixed)
            system = make_pls(target, x, self.reterms, weights)
            sol = system.solve(theta)
            u_new = self._spherical(system, sol)
            b_new = system.beta(sol) if joint else b
            step_u, step_b = u_new - u, b_new - b
            for halving in range(MAX_HALVINGS + 1):
                frac = 0.5**halving
                u_try, b_try = u + frac * step_u, b + frac * step_b
                fixed_try = self.x @ b_try
                eta_try = self.offset + fixed_try + self.z_lambda_u(theta, u_try)
                mu_try = self.family.linkinv(eta_try)
                pdev_try = self._cond_dev(mu_try) + float(u_try @ u_try)
                if pdev_try <= pdev:
                    break
            else:
                break  # no step lowers the penalised deviance: at the mode to rounding
            change = abs(pdev - pdev_try) / max(abs(pdev_try), 1e-300)
            u, b, eta, mu, fixed, pdev = u_try, b_try, eta_try, mu_try, fixed_try, pdev_try
            if change < TOL_PWRSS:
                break
        if self._constant is None:
            self._constant = self.family.log_constant(self.y, self.prior_weights)
        penalised = self.family.minus_two_loglik(
            self.y, mu, self.prior_weights, self._constant
        ) + float(u @ u)
        return PirlsState(theta, b, u, eta, mu, sol.ldl2, penalised, system, sol, iterations)

    # -- criteria --------------------------------------------------------------------------
    def nagq0(self, theta: np.ndarray) -> float:
        """lme4's nAGQ = 0 deviance: Laplace at the joint mode of (beta, u) given theta."""
        self.evaluations += 1
        try:
            state = self.pirls(theta, None, self.eta_warm)
        except (np.linalg.LinAlgError, FloatingPointError, ValueError):
            return np.inf
        self.last_state = state
        value = state.penalised + state.ldl2
        return float(value) if np.isfinite(value) else np.inf

    def __call__(self, params: np.ndarray) -> float:
        """lme4's nAGQ >= 1 deviance at params = (theta, beta)."""
        self.evaluations += 1
        params = np.asarray(params, dtype=float)
        theta, beta = params[: self.n_theta], params[self.n_theta :]
        try:
            state = self.pirls(theta, beta, self.lp0)
        except (np.linalg.LinAlgError, FloatingPointError, ValueError):
            return np.inf
        self.last_state = state
        value = self.agq(state) if self.nagq > 1 else state.penalised + state.ldl2
        return float(value) if np.isfinite(value) else np.inf

    def agq(self, state: PirlsState) -> float:
        """Adaptive Gauss-Hermite deviance for one scalar term (nAGQ points per group).

        For group j with mode u_j and ``L_jj`` (its 1 x 1 block of L), ``u = u_j + z / L_jj``:
        ``-2 log int f(y_j | u) phi(u) du = h_j(u_j) + log L_jj^2 - 2 log sum_k w_k
        exp(-(h_j(u_j + z_k / L_jj) - h_j(u_j) - z_k^2) / 2)`` with ``h_j(u)`` the sum of the
        group's squared deviance residuals plus u^2 (lme4 uses deviance residuals here, not
        -2 log f) and (z_k, w_k) the Gauss-Hermite rule for the standard normal.
        """
        term = self.reterms.terms[0]
        nodes, weights = np.polynomial.hermite_e.hermegauss(self.nagq)
        weights = weights / np.sqrt(2.0 * np.pi)
        ljj = state.solution.l1[:, 0, 0]
        lam = term.factor(state.theta)[0, 0]
        base_eta = state.eta - term.columns[:, 0] * lam * state.u[term.codes]
        codes = term.codes

        def h_groups(u: np.ndarray) -> np.ndarray:
            mu = self.family.linkinv(base_eta + term.columns[:, 0] * lam * u[codes])
            cond = self.family.dev_resids(self.y, mu, self.prior_weights)
            return np.bincount(codes, weights=cond, minlength=term.nlev) + u * u

        h0 = h_groups(state.u)
        terms = np.zeros((len(nodes), term.nlev))
        for k, z in enumerate(nodes):
            terms[k] = -(h_groups(state.u + z / ljj) - h0 - z * z) / 2.0
        top = terms.max(axis=0)
        logsum = top + np.log(np.sum(weights[:, None] * np.exp(terms - top), axis=0))
        return float(np.sum(h0 + 2.0 * np.log(ljj) - 2.0 * logsum))
