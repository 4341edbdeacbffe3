"""GLM families for :func:`hlmtutor.glmer`: the response side of lme4's ``glmResp``.

Each family gives the inverse link, its derivative, the variance function, the deviance
residuals and ``-2 log f(y | mu)`` (R's ``family()$aic``, the conditional part of glmer's
Laplace deviance). The clamping of mu and of d mu / d eta follows R's ``binomial()`` and
``poisson()`` (``.Machine$double.eps`` bounds), so PIRLS never divides by zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

__all__ = ["Family", "make_family", "FAMILY_LINKS"]

EPS = float(np.finfo(float).eps)
FAMILY_LINKS = {"binomial": ("logit", "probit", "cloglog"), "poisson": ("log",)}
PROBIT_BOUND = float(-stats.norm.ppf(EPS))  # R: thresh <- -qnorm(.Machine$double.eps)


def _linkinv(link: str, eta: np.ndarray) -> np.ndarray:
    if link == "logit":
        return np.clip(special.expit(eta), EPS, 1.0 - EPS)
    if link == "probit":
        return stats.norm.cdf(np.clip(eta, -PROBIT_BOUND, PROBIT_BOUND))
    if link == "cloglog":
        return np.clip(-np.expm1(-np.exp(np.minimum(eta, 700.0))), EPS, 1.0 - EPS)
    return np.maximum(np.exp(np.minimum(eta, 700.0)), EPS)  # log


def _mu_eta(link: str, eta: np.ndarray) -> np.ndarray:
    if link == "logit":
        e = np.exp(-np.abs(eta))
        return np.maximum(e / (1.0 + e) ** 2, EPS)
    if link == "probit":
        return np.maximum(stats.norm.pdf(eta), EPS)
    if link == "cloglog":
        eta = np.minimum(eta, 700.0)
        return np.maximum(np.exp(eta) * np.exp(-np.exp(eta)), EPS)
    return np.maximum(np.exp(np.minimum(eta, 700.0)), EPS)


def _link(link: str, mu: np.ndarray) -> np.ndarray:
    if link == "logit":
        return special.logit(mu)
    if link == "probit":
        return stats.norm.ppf(mu)
    if link == "cloglog":
        return np.log(-np.log1p(-mu))
    return np.log(mu)


def _ylogy(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    """y log(y / m), 0 where y = 0 (R's y_log_y), as one ufunc call."""
    return special.xlogy(y, y / m)


@dataclass(frozen=True)
class Family:
    """A GLM family and link (R's ``binomial(link)`` / ``poisson()``).

    Attributes
    ----------
    name : {"binomial", "poisson"}
    link : {"logit", "probit", "cloglog", "log"}
    """

    name: str
    link: str

    def linkfun(self, mu: np.ndarray) -> np.ndarray:
        return _link(self.link, mu)

    def linkinv(self, eta: np.ndarray) -> np.ndarray:
        return _linkinv(self.link, eta)

    def mu_eta(self, eta: np.ndarray) -> np.ndarray:
        return _mu_eta(self.link, eta)

    def variance(self, mu: np.ndarray) -> np.ndarray:
        return mu * (1.0 - mu) if self.name == "binomial" else mu

    def dev_resids(self, y: np.ndarray, mu: np.ndarray, wt: np.ndarray) -> np.ndarray:
        """Squared deviance residuals (R's ``family()$dev.resids``)."""
        if self.name == "binomial":
            if np.all((y == 0.0) | (y == 1.0)):
                # 0/1 outcomes: one of the two terms is 0, the other -log of mu or of 1 - mu
                # (one logarithm per row instead of two, in every PIRLS step)
                return -2.0 * wt * np.log(np.where(y > 0.0, mu, 1.0 - mu))
            return 2.0 * wt * (_ylogy(y, mu) + _ylogy(1.0 - y, 1.0 - mu))
        return 2.0 * wt * (_ylogy(y, mu) - (y - mu))

    def log_constant(self, y: np.ndarray, wt: np.ndarray) -> float:
        """The part of log f(y | mu) free of mu: sum log choose(n, k) (binomial) or
        -sum w log y! (Poisson); computed once per fit."""
        if self.name == "binomial":
            n, k = np.round(wt), np.round(wt * y)
            return float(np.sum(special.gammaln(n + 1) - special.gammaln(k + 1)
                                - special.gammaln(n - k + 1)))  # fmt: skip
        return -float(np.sum(wt * special.gammaln(y + 1)))

    def minus_two_loglik(
        self, y: np.ndarray, mu: np.ndarray, wt: np.ndarray, constant: float | None = None
    ) -> float:
        """-2 log f(y | mu) summed over rows (R's ``family()$aic`` without the 2k):
        binomial ``sum log choose(n, k) + k log mu + (n - k) log(1 - mu)`` with n = round(w),
        k = round(w y); Poisson ``sum w (y log mu - mu - log y!)``."""
        if constant is None:
            constant = self.log_constant(y, wt)
        if self.name == "binomial":
            n, k = np.round(wt), np.round(wt * y)
            value = special.xlogy(k, mu) + special.xlog1py(n - k, -mu)
        else:
            value = wt * (special.xlogy(y, mu) - mu)
        return -2.0 * (constant + float(np.sum(value)))

    def mustart(self, y: np.ndarray, wt: np.ndarray) -> np.ndarray:
        """R's ``family()$initialize``: (wt y + 1/2) / (wt + 1) for binomial, y + 1/10 Poisson."""
        if self.name == "binomial":
            return (wt * y + 0.5) / (wt + 1.0)
        return y + 0.1

    @property
    def latent_variance(self) -> float:
        """The residual variance of the latent-variable scale used by ``icc``."""
        return {"logit": np.pi**2 / 3.0, "probit": 1.0, "cloglog": np.pi**2 / 6.0}.get(
            self.link, np.nan
        )


def make_family(family: str, link: str | None) -> Family:
    """Validate ``family`` and ``link`` (default: logit for binomial, log for Poisson)."""
    if family not in FAMILY_LINKS:
        raise ValueError(
            f"family must be one of {tuple(FAMILY_LINKS)}, not {family!r}; for a numeric "
            "outcome with normal errors use lmer()."
        )
    links = FAMILY_LINKS[family]
    link = links[0] if link is None else link
    if link not in links:
        raise ValueError(
            f"link {link!r} is not available for family {family!r}; use one of {links}."
        )
    return Family(family, link)
