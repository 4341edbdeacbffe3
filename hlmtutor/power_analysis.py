"""Power of a cluster-randomised design, by simulation.

:func:`power` simulates a design many times with :func:`~hlmtutor.simulate.simulate_classrooms`
(treatment assigned to whole classrooms), fits the random-intercept model with
:func:`~hlmtutor.lmer`, and counts how often the Satterthwaite t-test of the treatment
rejects. :func:`power_curve` does that over a grid of numbers of classrooms and students.

The simulations run in parallel with joblib. Each one draws its data from its own seed, spawned
from one :class:`numpy.random.SeedSequence`, so a seed gives the same result whatever
``n_jobs`` or backend runs it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["PowerResult", "design_effect", "power", "power_curve"]

POWER_FORMULA = "math_score ~ treatment + (1 | classroom_id)"
RESULT_COLUMNS = ["sim", "seed", "estimate", "se", "df", "t", "p", "significant", "singular"]
# Scores on the book's scale: mean 50, total SD 10 (the effect is in total-SD units).
_MEAN, _SD_TOTAL = 50.0, 10.0
# Simulations per joblib task: enough to hide the dispatch cost (a fit takes a few ms).
_CHUNK = 25


def design_effect(n_students: float, icc: float) -> float:
    """Kish's design effect of cluster sampling: ``1 + (n_students - 1) * icc``.

    Parameters
    ----------
    n_students : float
        Students per classroom.
    icc : float
        Intraclass correlation.

    Returns
    -------
    float
        How many times larger the variance of a mean is than with the same number of
        independent students; ``n_classrooms * n_students / design_effect`` is the effective
        sample size.

    Notes
    -----
    Kish (1965). There is no lme4 function; in R, ``1 + (n - 1) * icc``.

    Examples
    --------
    >>> design_effect(20, 0.1)
    2.9
    """
    return 1.0 + (n_students - 1.0) * icc


@dataclass(frozen=True)
class PowerResult:
    """The outcome of :func:`power`.

    Attributes
    ----------
    results : pandas.DataFrame
        One row per simulation: ``sim`` (0..n_sims-1), ``seed`` (the data's seed, for
        ``simulate_classrooms(..., seed=seed)``), ``estimate``, ``se``, ``df``
        (Satterthwaite), ``t``, ``p`` (two-sided), ``significant`` (``p < alpha``) and
        ``singular`` (the classroom variance was estimated as 0).
    design : dict
        ``n_classrooms``, ``n_students``, ``effect``, ``icc``, ``alpha``, ``n_sims``, ``seed``.
    """

    results: pd.DataFrame
    design: dict[str, Any]

    @property
    def power(self) -> float:
        """Share of simulations with ``p < alpha``."""
        return float(self.results["significant"].mean())

    @property
    def mcse(self) -> float:
        """Monte-Carlo standard error of :attr:`power`: ``sqrt(power (1 - power) / n_sims)``."""
        return math.sqrt(self.power * (1.0 - self.power) / len(self.results))

    def to_frame(self) -> pd.DataFrame:
        """One row: the design, ``power``, ``mcse``, a 95% interval, ``mean_estimate``,
        ``design_effect`` and ``singular_share``."""
        half_width = 1.96 * self.mcse
        row = {
            **{key: self.design[key] for key in ("n_classrooms", "n_students", "effect", "icc")},
            "n_total": self.design["n_classrooms"] * self.design["n_students"],
            "alpha": self.design["alpha"],
            "n_sims": len(self.results),
            "power": self.power,
            "mcse": self.mcse,
            "ci_low": max(self.power - half_width, 0.0),
            "ci_high": min(self.power + half_width, 1.0),
            "mean_estimate": float(self.results["estimate"].mean()),
            "design_effect": design_effect(self.design["n_students"], self.design["icc"]),
            "singular_share": float(self.results["singular"].mean()),
        }
        return pd.DataFrame([row])

    def summary(self) -> str:
        """A one-line description of the estimate."""
        d = self.design
        return (
            f"power {self.power:.3f} (MCSE {self.mcse:.3f}) for an effect of {d['effect']:g} SD "
            f"with {d['n_classrooms']} classrooms of {d['n_students']} students, ICC "
            f"{d['icc']:g}, alpha {d['alpha']:g}; {len(self.results)} simulations"
        )

    def __repr__(self) -> str:
        return f"PowerResult({self.summary()})"


def _check_design(
    n_classrooms: int, n_students: int, effect: float, icc: float, n_sims: int, alpha: float
) -> None:
    counts = (
        ("n_classrooms", n_classrooms, 4),
        ("n_students", n_students, 1),
        ("n_sims", n_sims, 1),
    )
    for name, value, least in counts:
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
            raise ValueError(f"{name} must be an integer >= {least}; got {value!r}")
    if not (isinstance(icc, int | float) and 0 <= icc < 1):
        raise ValueError(f"icc must be a number in [0, 1); got {icc!r}")
    if not (isinstance(effect, int | float) and math.isfinite(effect)):
        raise ValueError(f"effect must be a finite number (in SD units); got {effect!r}")
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise ValueError(f"alpha must be between 0 and 1, e.g. 0.05; got {alpha!r}")


def _children(seed: int | np.random.SeedSequence, n: int) -> list[np.random.SeedSequence]:
    """The first ``n`` children of ``seed``, leaving a caller's SeedSequence untouched.

    ``SeedSequence.spawn`` counts the children it has handed out, so spawning from the
    caller's object would give other children on the next call. A fresh SeedSequence with
    the same entropy, spawn key and pool size spawns them from the start every time.
    """
    if isinstance(seed, np.random.SeedSequence):
        root = np.random.SeedSequence(
            seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size
        )
    else:
        root = np.random.SeedSequence(seed)
    return root.spawn(n)


def _seeds(seed: int | np.random.SeedSequence, n: int) -> list[int]:
    """``n`` independent integer seeds, one per child of ``seed`` (see :func:`_children`)."""
    return [int(child.generate_state(1, np.uint64)[0]) for child in _children(seed, n)]


def _simulate_and_test(
    seeds: Sequence[int], n_classrooms: int, n_students: int, effect: float, icc: float
) -> list[tuple[float, ...]]:
    """Simulate and fit once per seed: (estimate, se, df, t, p, singular) for the treatment."""
    from .models import lmer
    from .simulate import simulate_classrooms

    rows = []
    for seed in seeds:
        data = simulate_classrooms(
            n_classrooms,
            n_students,
            intercept=_MEAN,
            treatment_effect=effect * _SD_TOTAL,
            ses_within=0.0,
            ses_between=0.0,
            cross_level=0.0,
            sd_intercept=math.sqrt(icc) * _SD_TOTAL,
            sd_slope=0.0,
            sigma=math.sqrt(1.0 - icc) * _SD_TOTAL,
            seed=seed,
        ).data
        with warnings.catch_warnings():
            # Singular fits are expected with few classrooms; the 'singular' column counts them.
            warnings.filterwarnings("ignore", message="boundary \\(singular\\) fit")
            fit = lmer(POWER_FORMULA, data)
        row = fit.fixef.loc["treatment"]
        statistics = row[["Estimate", "Std. Error", "df", "t value", "Pr(>|t|)"]].tolist()
        rows.append((*statistics, bool(fit.is_singular)))
    return rows


def _chunks(items: Sequence[int], size: int) -> list[Sequence[int]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def power(
    n_classrooms: int,
    n_students: int,
    effect: float,
    icc: float,
    *,
    n_sims: int = 1000,
    alpha: float = 0.05,
    seed: int | np.random.SeedSequence = 2026,
    n_jobs: int | None = 1,
    backend: str | None = None,
    progress: bool = False,
) -> PowerResult:
    """Power of a classroom-randomised trial, by simulation.

    Parameters
    ----------
    n_classrooms : int
        Classrooms (at least 4); half are treated (rounded as ``simulate_classrooms`` does).
    n_students : int
        Students per classroom.
    effect : float
        The treatment effect in standard deviations of the outcome (its total SD, between
        plus within classrooms), as in Cohen's d.
    icc : float
        Intraclass correlation, in [0, 1).
    n_sims : int, default 1000
        Number of simulated trials.
    alpha : float, default 0.05
        Significance level of the two-sided test.
    seed : int or numpy.random.SeedSequence, default 2026
        The root of the seeds: simulation ``i`` uses the ``i``-th seed spawned from
        ``SeedSequence(seed)``, whatever ``n_jobs`` or backend runs it. A SeedSequence
        is not changed: its children are counted from the first on every call (from its
        entropy and spawn key, whatever it has spawned before), so the same SeedSequence
        gives the same result each time, and ``SeedSequence(s)`` the same as ``s``.
    n_jobs : int or None, default 1
        joblib workers (``-1``: all cores; ``None``: the active backend's default).
    backend : str, optional
        joblib backend (``"loky"``, ``"threading"``, ``"dask"``, ...). ``None`` uses the
        active one, so ``with joblib.parallel_backend("dask"):`` sends the work to a
        dask.distributed cluster.
    progress : bool, default False
        Show a tqdm progress bar.

    Returns
    -------
    PowerResult
        ``.power``, ``.mcse``, ``.results`` (one row per simulation), ``.to_frame()``,
        ``.summary()``.

    Notes
    -----
    Each simulation draws ``simulate_classrooms(n_classrooms, n_students, seed=s_i, ...)``
    with a treatment effect of ``effect * 10`` points, classroom SD ``10 sqrt(icc)``,
    student SD ``10 sqrt(1 - icc)`` and no ses effects or random slopes, fits
    ``lmer("math_score ~ treatment + (1 | classroom_id)")`` by REML and counts the
    simulations where the Satterthwaite t-test of ``treatment`` has ``p < alpha``
    (``lmerTest::summary`` in R). ``mcse = sqrt(power (1 - power) / n_sims)``. In R the
    same study is a loop over ``simulate``/``lmer`` (the simr package automates it).

    For a large grid on a cluster::

        from dask.distributed import Client
        import joblib
        client = Client("scheduler-address:8786")
        with joblib.parallel_backend("dask"):
            curve = power_curve([10, 20, 40], [10, 20], effect=0.3, icc=0.1, n_jobs=-1)

    Examples
    --------
    >>> result = power(10, 5, effect=0.5, icc=0.1, n_sims=20, seed=1)
    >>> len(result.results), 0 <= result.power <= 1
    (20, True)
    """
    _check_design(n_classrooms, n_students, effect, icc, n_sims, alpha)
    seeds = _seeds(seed, n_sims)
    simulation_args = (n_classrooms, n_students, float(effect), float(icc))
    rows = _run(seeds, simulation_args, n_jobs, backend, progress)
    fits = pd.DataFrame(rows, columns=["estimate", "se", "df", "t", "p", "singular"])
    results = fits.assign(
        sim=np.arange(n_sims),
        seed=np.asarray(seeds, dtype=np.uint64),
        significant=fits["p"] < alpha,
    )[RESULT_COLUMNS]
    design = {
        "n_classrooms": n_classrooms,
        "n_students": n_students,
        "effect": float(effect),
        "icc": float(icc),
        "alpha": alpha,
        "n_sims": n_sims,
        "seed": seed,
    }
    return PowerResult(results, design)


def _run(
    seeds: list[int],
    simulation_args: tuple,
    n_jobs: int | None,
    backend: str | None,
    progress: bool,
) -> list[tuple[float, ...]]:
    """Run the simulations in chunks with joblib, in seed order."""
    from joblib import Parallel, delayed
    from tqdm import tqdm

    chunks = _chunks(seeds, _CHUNK)
    parallel = Parallel(n_jobs=n_jobs, backend=backend, return_as="generator")
    outputs = parallel(delayed(_simulate_and_test)(chunk, *simulation_args) for chunk in chunks)
    rows: list[tuple[float, ...]] = []
    with tqdm(total=len(seeds), disable=not progress, desc="simulations") as bar:
        for chunk_rows in outputs:  # the generator yields in submission order
            rows += chunk_rows
            bar.update(len(chunk_rows))
    return rows


def power_curve(
    n_classrooms: Iterable[int],
    n_students: Iterable[int],
    effect: float,
    icc: float,
    *,
    n_sims: int = 1000,
    alpha: float = 0.05,
    seed: int | np.random.SeedSequence = 2026,
    n_jobs: int | None = 1,
    backend: str | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Power over a grid of numbers of classrooms and students per classroom.

    Parameters
    ----------
    n_classrooms, n_students : iterable of int
        The grid: every combination is simulated.
    effect, icc, n_sims, alpha, n_jobs, backend, progress
        As in :func:`power`.
    seed : int or numpy.random.SeedSequence, default 2026
        Grid point ``k`` (in the order classrooms-major) uses the ``k``-th SeedSequence
        spawned from ``seed``; a SeedSequence is not changed (as in :func:`power`), so
        it gives the same curve on every call.

    Returns
    -------
    pandas.DataFrame
        One row per grid point with the columns of :meth:`PowerResult.to_frame`:
        ``n_classrooms``, ``n_students``, ``effect``, ``icc``, ``n_total``, ``alpha``,
        ``n_sims``, ``power``, ``mcse``, ``ci_low``, ``ci_high``, ``mean_estimate``,
        ``design_effect``, ``singular_share``.

    Notes
    -----
    :func:`power` at each point. See there for the model and the parallel backends.

    Examples
    --------
    >>> curve = power_curve([6, 10], [5], effect=0.5, icc=0.1, n_sims=10, seed=1)
    >>> curve[["n_classrooms", "n_students", "n_sims"]].to_numpy().tolist()
    [[6, 5, 10], [10, 5, 10]]
    """
    grid = [(j, n) for j in n_classrooms for n in n_students]
    if not grid:
        raise ValueError("the grid is empty: give at least one number of classrooms and students")
    roots = _children(seed, len(grid))
    options = {"n_sims": n_sims, "alpha": alpha, "n_jobs": n_jobs, "backend": backend}
    frames = [
        power(j, n, effect, icc, seed=root, progress=progress, **options).to_frame()
        for (j, n), root in zip(grid, roots, strict=True)
    ]
    return pd.concat(frames, ignore_index=True)
