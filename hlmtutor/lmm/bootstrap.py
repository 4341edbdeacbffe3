"""The parametric bootstrap of a fitted lmer model: ``simulate_lmer`` (lme4's ``simulate``),
``bootstrap`` (lme4's ``bootMer``) and ``pb_modcomp`` (pbkrtest's ``PBmodcomp``).

A simulated response draws new random effects and new residuals from the fitted model (lme4's
``simulate.merMod`` with ``use.u = FALSE``): ``y* = X b + Z Lambda u + e`` with
``u ~ N(0, sigma^2 I)`` and ``e ~ N(0, sigma^2 I)``. Refits use the same rows, design and random
terms with the new response, started from the fitted theta (as lme4's ``refit``).

Replicate ``i`` draws from the ``i``-th child of ``numpy.random.SeedSequence(seed)``, so a seed
gives the same replicates whatever ``n_jobs`` or joblib backend runs them (as
``hlmtutor.power``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from ._blas import single_threaded
from .deviance import make_deviance
from .optimize import OPTIMIZERS, optimize_theta

if TYPE_CHECKING:  # pragma: no cover
    from .result import LmerResult

__all__ = [
    "simulate_lmer",
    "bootstrap",
    "BootstrapResult",
    "pb_modcomp",
    "PBModcomp",
    "fixed_effects",
]

_CHUNK = 10  # replicates per joblib task: a refit takes a few ms


def _children(seed, n: int) -> list[np.random.SeedSequence]:
    from ..power_analysis import _children as children

    return children(seed, n)


def _draw(fit: LmerResult, rng: np.random.Generator, use_u: bool = False) -> np.ndarray:
    """One response from the fitted model: new random effects (term by term, lme4's order), or
    the fitted ones with ``use_u``, then new residuals."""
    sigma = fit.sigma
    if use_u:
        y = fit.fitted().reindex(fit.data.index).to_numpy()
    else:
        y = fit.frame.X @ fit.params.to_numpy()
        for term in fit.reterms.terms:
            t = term.factor(fit.optimum.theta)
            effects = sigma * rng.standard_normal((term.nlev, term.q)) @ t.T
            y = y + np.sum(term.columns * effects[term.codes], axis=1)
    return y + sigma * rng.standard_normal(len(y))


def simulate_lmer(fit: LmerResult, nsim: int = 1, seed=None, use_u: bool = False) -> pd.DataFrame:
    """Responses simulated from a fitted model, as lme4's ``simulate(fit, nsim, seed)``.

    Parameters
    ----------
    fit : LmerResult
    nsim : int, default 1
    seed : int or numpy.random.SeedSequence, optional
        Simulation ``i`` draws from the ``i``-th child of ``SeedSequence(seed)``; None draws
        fresh entropy (not reproducible).
    use_u : bool, default False
        False: new random effects each time (lme4's default). True: the fitted random effects
        (conditional modes) kept, only the residuals new (lme4's ``use.u = TRUE``).

    Returns
    -------
    pandas.DataFrame
        One column per simulation (``sim_1``, ``sim_2``, ...), rows as ``fit.data``.

    Notes
    -----
    Unconditional on the fitted random effects (lme4's default ``use.u = FALSE``):
    ``y* = X b + Z Lambda(theta) u + e``, ``u`` and ``e`` independent ``N(0, sigma^2 I)``;
    with ``use_u=True``, ``y* = fitted + e``.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> from hlmtutor import lmer, simulate_lmer
    >>> data = pd.DataFrame({"y": [1.0, 2.1, 2.9, 4.2, 5.1, 5.8, 7.2, 8.1],
    ...                      "g": ["a", "a", "b", "b", "c", "c", "d", "d"]})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     fit = lmer("y ~ 1 + (1 | g)", data)
    >>> simulate_lmer(fit, nsim=2, seed=1).shape
    (8, 2)
    """
    nsim = _check_nsim(nsim)
    draws = [_draw(fit, np.random.default_rng(c), use_u) for c in _children(seed, nsim)]
    columns = [f"sim_{i + 1}" for i in range(nsim)]
    return pd.DataFrame(np.column_stack(draws), index=fit.data.index, columns=columns)


def _check_nsim(nsim) -> int:
    if isinstance(nsim, bool) or not isinstance(nsim, int | np.integer) or nsim < 1:
        raise ValueError(f"nsim must be a positive whole number, e.g. 1000, not {nsim!r}.")
    return int(nsim)


@single_threaded
def refit_response(fit: LmerResult, y: np.ndarray, reml: bool | None = None) -> LmerResult:
    """The model refitted to a new response on the same rows (lme4's ``refit(fit, newresp)``),
    started from the fitted theta. ``reml=None`` keeps the fit's criterion."""
    reml = fit.REML if reml is None else reml
    frame = fit.frame
    data = frame.data
    response = frame.formula.response
    if response in data.columns:  # the response is a column, not an expression
        data = data.assign(**{response: y})
    frame = replace(frame, y=np.asarray(y, dtype=float), data=data)
    deviance = make_deviance(frame.y, frame.X, fit.reterms, reml)
    method = fit.optimizer if fit.optimizer in OPTIMIZERS else "bobyqa"
    optimum = optimize_theta(
        deviance, fit.optimum.theta.copy(), fit.reterms.lower, method, fit.reterms.theta_scales()
    )
    return replace(fit, REML=reml, frame=frame, deviance_function=deviance, optimum=optimum)


def fixed_effects(fit: LmerResult) -> pd.Series:
    """The default statistic of :func:`bootstrap`: the fixed-effect estimates."""
    return fit.params


def _as_vector(value, names: list[str] | None = None) -> tuple[np.ndarray, list[str]]:
    if isinstance(value, pd.Series):
        return value.to_numpy(dtype=float), [str(i) for i in value.index]
    array = np.atleast_1d(np.asarray(value, dtype=float)).ravel()
    return array, names or [f"t{i + 1}" for i in range(len(array))]


def _replicates(fit, statistic, width, seeds) -> list[tuple[np.ndarray, tuple[str, ...]]]:
    """Simulate and refit once per seed: (statistic, the refit's messages)."""
    out = []
    for child in seeds:
        y = _draw(fit, np.random.default_rng(child))
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                refit = refit_response(fit, y)
                value, _ = _as_vector(statistic(refit))
            messages = tuple(refit.optimum.messages) + tuple(str(w.message) for w in caught)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError) as error:
            value, messages = np.full(width, np.nan), (f"failed: {error}",)
        if value.shape != (width,):
            raise ValueError(
                f"statistic returned {value.size} value(s) on a bootstrap sample but {width} on "
                "the fit; it must return the same number each time."
            )
        out.append((value, messages))
    return out


def _run(function, fit, task_args, seeds, n_jobs, backend) -> list:
    from joblib import Parallel, delayed

    chunks = [seeds[i : i + _CHUNK] for i in range(0, len(seeds), _CHUNK)]
    parallel = Parallel(n_jobs=n_jobs, backend=backend)
    results = parallel(delayed(function)(fit, *task_args, chunk) for chunk in chunks)
    return [item for chunk in results for item in chunk]


def _norm_inter(values: np.ndarray, alpha: float) -> float:
    """The alpha quantile of the replicates as Davison & Hinkley (1997, eq. 5.8) take it:
    order statistic (R + 1) alpha, interpolated on the normal scale between neighbours."""
    t = np.sort(values)
    r = len(t)
    rank = (r + 1) * alpha
    k = int(np.floor(rank))
    if k <= 0 or k >= r:
        warnings.warn(
            f"extreme order statistics used as endpoints: {r} replicates are too few for the "
            f"{100 * alpha:.3g}% quantile; use more (nsim).",
            stacklevel=4,
        )
    if rank == k and 1 <= k <= r:
        return float(t[k - 1])
    if k < 1:
        return float(t[0])
    if k >= r:
        return float(t[-1])
    z = stats.norm.ppf([alpha, k / (r + 1), (k + 1) / (r + 1)])
    return float(t[k - 1] + (z[0] - z[1]) / (z[2] - z[1]) * (t[k] - t[k - 1]))


@dataclass(frozen=True)
class BootstrapResult:
    """The replicates of a parametric bootstrap (returned by :func:`bootstrap`).

    Attributes
    ----------
    t0 : pandas.Series
        The statistic on the fit (lme4's ``t0``).
    t : pandas.DataFrame
        One row per replicate, one column per value of the statistic (lme4's ``t``); a
        replicate whose refit failed is a row of NaN.
    messages : pandas.DataFrame
        Columns ``replicate`` (0-based), ``message``: the convergence and singular-fit messages
        of the refits, and failures.
    nsim : int
    seed : int or SeedSequence or None
    """

    t0: pd.Series
    t: pd.DataFrame
    messages: pd.DataFrame
    nsim: int
    seed: object

    @property
    def se(self) -> pd.Series:
        """Standard deviation of the replicates (n - 1 divisor), per value."""
        return self.t.std(ddof=1).rename("std. error")

    @property
    def bias(self) -> pd.Series:
        """Mean of the replicates minus t0."""
        return (self.t.mean() - self.t0).rename("bias")

    def confint(self, level: float = 0.95, type: str = "perc") -> pd.DataFrame:
        """Bootstrap confidence intervals, as lme4's ``confint(bootMer(...), type = type)``.

        Parameters
        ----------
        level : float, default 0.95
        type : {"perc", "basic", "norm"}
            ``"perc"``: the (1 - level)/2 and (1 + level)/2 quantiles of the replicates.
            ``"basic"``: ``2 t0`` minus those quantiles, in reverse order.
            ``"norm"``: ``t0 - bias -/+ z sd(t)``, z the normal quantile (bias-corrected
            normal interval).

        Returns
        -------
        pandas.DataFrame
            One row per value of the statistic; columns named as R names them (``2.5 %``,
            ``97.5 %``).

        Notes
        -----
        Quantiles as the boot package takes them (Davison & Hinkley 1997, eq. 5.8): order
        statistic ``(R + 1) alpha`` of the R finite replicates, interpolated on the normal scale;
        the extreme replicates when the rank falls outside 1..R.
        """
        if not 0 < level < 1:
            raise ValueError(f"level must be between 0 and 1, e.g. 0.95, not {level!r}.")
        if type not in ("perc", "basic", "norm"):
            raise ValueError(f"type must be 'perc', 'basic' or 'norm', not {type!r}.")
        low, high = (1 - level) / 2, (1 + level) / 2
        columns = [f"{100 * low:.3g} %", f"{100 * high:.3g} %"]
        rows = []
        for name in self.t.columns:
            values = self.t[name].dropna().to_numpy()
            if len(values) == 0:
                rows.append((np.nan, np.nan))
                continue
            if type == "norm":
                t0 = float(self.t0[name])
                centre = 2 * t0 - values.mean()  # t0 - bias
                half = stats.norm.ppf(high) * values.std(ddof=1)
                rows.append((centre - half, centre + half))
                continue
            q_low, q_high = _norm_inter(values, low), _norm_inter(values, high)
            if type == "basic":
                t0 = float(self.t0[name])
                q_low, q_high = 2 * t0 - q_high, 2 * t0 - q_low
            rows.append((q_low, q_high))
        return pd.DataFrame(rows, index=self.t.columns, columns=columns)

    def __repr__(self) -> str:
        return (
            f"<BootstrapResult: {self.nsim} parametric bootstrap replicates of "
            f"{len(self.t0)} value(s); {self.t.isna().any(axis=1).sum()} failed>"
        )


def bootstrap(
    fit: LmerResult,
    statistic: Callable[[LmerResult], object] = fixed_effects,
    nsim: int = 1000,
    seed=2026,
    n_jobs: int | None = 1,
    backend: str | None = None,
) -> BootstrapResult:
    """Parametric bootstrap of a statistic of a fitted model, as lme4's ``bootMer``.

    Parameters
    ----------
    fit : LmerResult
    statistic : callable, default :func:`fixed_effects`
        Takes a fit, returns a number, an array or a Series (the same length every time), e.g.
        ``lambda f: f.params`` or ``lambda f: f.vc["sdcor"]``.
    nsim : int, default 1000
    seed : int or numpy.random.SeedSequence, default 2026
        Replicate ``i`` uses the ``i``-th child of ``SeedSequence(seed)``.
    n_jobs : int or None, default 1
        joblib workers (``-1``: all cores). The replicates do not depend on it.
    backend : str, optional
        joblib backend (``"loky"``, ``"threading"``, ``"dask"``, ...); None uses the active one.

    Returns
    -------
    BootstrapResult
        ``t0``, ``t`` (replicates), ``se``, ``bias``, ``confint(level, type)``.

    Notes
    -----
    Each replicate simulates a response from the fit (new random effects and residuals, lme4's
    ``use.u = FALSE``), refits the model to it (REML or ML as the fit) and applies
    ``statistic``. A refit that fails gives a row of NaN; refit messages (singular fits) are in
    ``messages``. Matches lme4's ``bootMer(fit, FUN, nsim, type = "parametric")`` in method;
    the random draws differ from R's.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> from hlmtutor import lmer, bootstrap
    >>> data = pd.DataFrame({"y": [1.0, 2.1, 2.9, 4.2, 5.1, 5.8, 7.2, 8.1],
    ...                      "g": ["a", "a", "b", "b", "c", "c", "d", "d"]})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     boot = bootstrap(lmer("y ~ 1 + (1 | g)", data), nsim=20, seed=1)
    >>> boot.t.shape, list(boot.se.index)
    ((20, 1), ['(Intercept)'])
    """
    nsim = _check_nsim(nsim)
    if not callable(statistic):
        raise TypeError(f"statistic must be a function of a fit, not {type(statistic).__name__}.")
    t0, names = _as_vector(statistic(fit))
    results = _run(_replicates, fit, (statistic, len(t0)), _children(seed, nsim), n_jobs, backend)
    t = pd.DataFrame(np.vstack([value for value, _ in results]), columns=names)
    messages = pd.DataFrame(
        [(i, m) for i, (_, ms) in enumerate(results) for m in ms], columns=["replicate", "message"]
    )
    failed = int(t.isna().all(axis=1).sum())
    if failed:
        warnings.warn(
            f"{failed} of {nsim} bootstrap refits failed (rows of NaN in t).", stacklevel=2
        )
    return BootstrapResult(pd.Series(t0, index=names), t, messages, nsim, seed)


# -- parametric bootstrap likelihood-ratio test -----------------------------------------------------
def _lrt_replicates(small, small_ml, big_ml, seeds) -> list[float]:
    """Simulate from the small model as fitted, refit both by ML, return each replicate's LRT."""
    out = []
    for child in seeds:
        y = _draw(small, np.random.default_rng(child))
        try:
            small_star = refit_response(small_ml, y, reml=False)
            big_star = refit_response(big_ml, y, reml=False)
            out.append(small_star.deviance - big_star.deviance)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            out.append(np.nan)
    return out


@dataclass(frozen=True)
class PBModcomp:
    """A parametric bootstrap likelihood-ratio test (returned by :func:`pb_modcomp`).

    Attributes
    ----------
    test : pandas.DataFrame
        Rows ``LRT`` (chi-square reference) and ``PBtest`` (bootstrap reference); columns
        ``stat``, ``df``, ``p.value`` (pbkrtest's table).
    reference : pandas.Series
        The LRT of each bootstrap replicate (NaN where a refit failed).
    nsim : int
    seed : int or SeedSequence
    """

    test: pd.DataFrame
    reference: pd.Series
    nsim: int
    seed: object

    def __repr__(self) -> str:
        return f"Parametric bootstrap test; nsim: {self.nsim}\n{self.test.to_string()}"


def _check_nested(big: LmerResult, small: LmerResult) -> None:
    if big.nobs != small.nobs or not big.data.index.equals(small.data.index):
        raise ValueError(
            "The two models were not fitted to the same rows; fit them to the same data, e.g. "
            "data.dropna(subset=[every column the larger model uses])."
        )
    if big.npar <= small.npar:
        raise ValueError(
            f"big has {big.npar} parameters and small {small.npar}: pass the larger model "
            "first (pb_modcomp(big, small, ...)); small must be nested in big."
        )


def pb_modcomp(
    big: LmerResult,
    small: LmerResult,
    nsim: int = 1000,
    seed=2026,
    n_jobs: int | None = 1,
    backend: str | None = None,
) -> PBModcomp:
    """Likelihood-ratio test of two nested models with a parametric bootstrap reference, as
    pbkrtest's ``PBmodcomp(big, small, nsim)``.

    Parameters
    ----------
    big, small : LmerResult
        Nested fits of the same rows, ``small`` inside ``big``.
    nsim : int, default 1000
    seed : int or numpy.random.SeedSequence, default 2026
    n_jobs : int or None, default 1
        joblib workers; the result does not depend on it.
    backend : str, optional
        joblib backend; None uses the active one.

    Returns
    -------
    PBModcomp
        ``test`` (rows ``LRT``, ``PBtest``), ``reference`` (the bootstrap LRTs).

    Notes
    -----
    ``LRT = deviance(small) - deviance(big)`` with both models fitted by ML (REML fits are
    refitted), referred to chi-square with the difference in parameters as df. The bootstrap
    simulates ``nsim`` responses from ``small`` (as fitted), refits both models by ML to each,
    and gives ``p = (1 + #{LRT* >= LRT}) / (1 + R)`` over the R replicates that fitted
    (Davison & Hinkley 1997). Matches pbkrtest's ``PBmodcomp`` in method; the draws differ
    from R's.
    """
    _check_nested(big, small)
    nsim = _check_nsim(nsim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the refit's messages belong to the refit, not here
        big_ml, small_ml = big.refit_ml(), small.refit_ml()
    lrt = small_ml.deviance - big_ml.deviance
    df = big.npar - small.npar
    reference = np.array(
        _run(_lrt_replicates, small, (small_ml, big_ml), _children(seed, nsim), n_jobs, backend)
    )
    finite = reference[np.isfinite(reference)]
    p_pb = (1 + np.sum(finite >= lrt)) / (1 + len(finite)) if len(finite) else np.nan
    test = pd.DataFrame(
        {"stat": [lrt, lrt], "df": [df, np.nan], "p.value": [stats.chi2.sf(lrt, df), p_pb]},
        index=["LRT", "PBtest"],
    )
    return PBModcomp(test, pd.Series(reference, name="LRT"), nsim, seed)
