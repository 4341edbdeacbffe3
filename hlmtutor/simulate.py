"""Simulated classroom data: the guide's data frame and a sound two-level process.

:func:`guide_data` rebuilds, number for number, the data frame the R guide simulates
(with :class:`~hlmtutor.rng.RRandom`, R's own generator). :func:`simulate_classrooms`
draws students in classrooms from a two-level model whose true parameters are known,
for chapters, assignments and power simulations.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from .rng import RRandom

__all__ = ["Simulation", "guide_data", "simulate_classrooms"]

# The guide's design (guide.R): 12 classrooms of 20 students, seed 123.
GUIDE_SEED = 123
GUIDE_CLASSROOMS = 12
GUIDE_STUDENTS = 10  # guide.R's n_students; each classroom ends up with 2 * 10 rows


def _r_recycle(values: np.ndarray, length: int) -> np.ndarray:
    """Repeat ``values`` to ``length`` as R's ``data.frame()`` does (whole multiples only)."""
    if length % len(values):
        raise ValueError(f"cannot recycle {len(values)} values to {length} rows")
    return np.resize(values, length)


def guide_data() -> pd.DataFrame:
    """The guide's simulated classroom data: 240 students in 12 classrooms.

    Returns
    -------
    pandas.DataFrame
        240 rows and the columns, in R's order:

        - ``math_score`` (float): the outcome.
        - ``intervention`` (float, 0.0 or 1.0, as R's numeric ``rep(c(0, 1), ...)``).
        - ``classroom_id`` (int, 1 to 12; 20 rows each).
        - ``student_id`` (int, 1 to 20 within each classroom).
        - ``ses`` (float): socio-economic status.

    Notes
    -----
    The guide's R code, reproduced with :class:`~hlmtutor.rng.RRandom`::

        set.seed(123)
        math_score <- c(rnorm(120, mean = 50, sd = 10), rnorm(120, mean = 55, sd = 7))
        ses <- rnorm(120, mean = 50, sd = 10)
        intervention <- rep(c(0, 1), each = 60)
        classroom_id <- rep(1:12, each = 20)
        student_id <- rep(1:20, times = 12)
        data <- data.frame(math_score, intervention, classroom_id, student_id, ses)

    ``data.frame()`` recycles the 120 values of ``ses`` and of ``intervention`` to 240
    rows. So classrooms 1-6 hold the control draws and 7-12 the treated draws of
    ``math_score``, while ``intervention`` is 1 in classrooms 4-6 and 10-12; and
    classroom ``k + 6`` has the same ``ses`` values as classroom ``k``. The values equal
    R's to about 1e-13 relative.

    Examples
    --------
    >>> from hlmtutor import guide_data
    >>> data = guide_data()
    >>> data.shape
    (240, 5)
    >>> data.head(3).round(4)
       math_score  intervention  classroom_id  student_id      ses
    0     44.3952           0.0             1           1  42.1138
    1     47.6982           0.0             1           2  44.9780
    2     65.5871           0.0             1           3  64.9606
    """
    n_half = GUIDE_CLASSROOMS * GUIDE_STUDENTS
    n_rows = 2 * n_half
    rng = RRandom(GUIDE_SEED)
    math_score_ctrl = rng.rnorm(n_half, mean=50, sd=10)
    math_score_trt = rng.rnorm(n_half, mean=55, sd=7)
    ses = rng.rnorm(n_half, mean=50, sd=10)
    intervention = np.repeat([0.0, 1.0], n_half // 2)
    return pd.DataFrame(
        {
            "math_score": np.concatenate([math_score_ctrl, math_score_trt]),
            "intervention": _r_recycle(intervention, n_rows),
            "classroom_id": np.repeat(np.arange(1, GUIDE_CLASSROOMS + 1), 2 * GUIDE_STUDENTS),
            "student_id": np.tile(np.arange(1, 2 * GUIDE_STUDENTS + 1), GUIDE_CLASSROOMS),
            "ses": _r_recycle(ses, n_rows),
        }
    )


# ---- a two-level data-generating process ---------------------------------------------------

TRUTH_TERMS = [
    "(Intercept)",
    "treatment",
    "ses_cwc",
    "ses_cm_gmc",
    "treatment:ses_cwc",
    "sd_intercept",
    "sd_slope",
    "corr",
    "sigma",
    "icc",
]


class Simulation(NamedTuple):
    """A simulated data set and the parameters that generated it.

    Attributes
    ----------
    data : pandas.DataFrame
        Columns ``classroom_id``, ``student_id``, ``treatment``, ``ses``, ``math_score``.
    truth : pandas.Series
        The true values, indexed by the lmer term names of the model the design supports
        (see :func:`simulate_classrooms`).
    """

    data: pd.DataFrame
    truth: pd.Series


def _check_real(name: str, value: object, *, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number; got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite; got {value!r}")
    if minimum is not None and number < minimum:
        raise ValueError(f"{name} must be >= {minimum:g}; got {value!r}")
    return number


def _classroom_sizes(n_classrooms: object, n_students: object) -> np.ndarray:
    """The number of students of each classroom, checked."""
    if isinstance(n_classrooms, bool) or not isinstance(n_classrooms, numbers.Integral):
        raise TypeError(f"n_classrooms must be an integer >= 2; got {n_classrooms!r}")
    if n_classrooms < 2:
        raise ValueError(
            f"n_classrooms must be >= 2 (a two-level model needs several classrooms); "
            f"got {n_classrooms}"
        )
    if isinstance(n_students, numbers.Integral) and not isinstance(n_students, bool):
        sizes = [n_students] * int(n_classrooms)
    elif isinstance(n_students, Sequence | np.ndarray | pd.Series) and not isinstance(
        n_students, str
    ):
        sizes = list(n_students)
        if len(sizes) != n_classrooms:
            raise ValueError(
                f"n_students has {len(sizes)} sizes but n_classrooms is {n_classrooms}; "
                "give one size per classroom, or a single integer"
            )
    else:
        raise TypeError(
            f"n_students must be an integer or a sequence of integers; got {n_students!r}"
        )
    for position, size in enumerate(sizes):
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ValueError(
                f"every classroom needs a whole number of students >= 1; classroom "
                f"{position + 1} has {size!r}"
            )
    return np.asarray(sizes, dtype=np.int64)


def simulate_classrooms(
    n_classrooms: int = 40,
    n_students: int | Sequence[int] = 20,
    *,
    intercept: float = 50.0,
    treatment_effect: float = 5.0,
    ses_within: float = 2.0,
    ses_between: float = 4.0,
    cross_level: float = 0.0,
    sd_intercept: float = 3.0,
    sd_slope: float = 0.5,
    corr: float = 0.0,
    sigma: float = 8.0,
    ses_mean: float = 0.0,
    ses_sd_within: float = 1.0,
    ses_sd_between: float = 0.5,
    treated_fraction: float = 0.5,
    seed: int | np.random.Generator | None = None,
) -> Simulation:
    """Simulate students in classrooms from a two-level model with known parameters.

    Parameters
    ----------
    n_classrooms : int
        Number of classrooms ``J`` (at least 2).
    n_students : int or sequence of int
        Students per classroom: one size for all, or one size per classroom (unbalanced
        designs); each at least 1.
    intercept : float
        Mean score of a control classroom, for a student at the classroom's mean ses in a
        classroom of average mean ses.
    treatment_effect : float
        Difference between treated and control classrooms (at the classroom mean ses).
    ses_within : float
        Within-classroom slope of ses in control classrooms (the average slope).
    ses_between : float
        Effect of the classroom's mean ses (a contextual, between-classroom effect).
    cross_level : float
        How much the within slope changes in treated classrooms (treatment x ses).
    sd_intercept, sd_slope : float
        Standard deviations of the classroom random intercepts and random ses slopes.
    corr : float
        Correlation of the random intercept and slope, between -1 and 1.
    sigma : float
        Standard deviation of the student-level residual.
    ses_mean, ses_sd_within, ses_sd_between : float
        ses is ``ses_mean`` plus a classroom part with sd ``ses_sd_between`` plus a
        student part with sd ``ses_sd_within``.
    treated_fraction : float
        Share of classrooms treated, between 0 and 1: exactly
        ``floor(treated_fraction * J + 0.5)`` classrooms (rounded half up), chosen at
        random.
    seed : int, numpy.random.Generator or None
        Seed of ``numpy.random.default_rng``; pass one for reproducible data (``None``
        draws fresh, unrepeatable data). A Generator is used as it is, so a power study
        can draw many data sets from one seeded stream.

    Returns
    -------
    Simulation
        A named tuple ``(data, truth)``. ``data`` has one row per student and columns
        ``classroom_id`` (int, 1..J), ``student_id`` (int, 1..n_j within each classroom),
        ``treatment`` (int, 0/1, constant within a classroom), ``ses`` (float) and
        ``math_score`` (float). ``truth`` is a float Series indexed by ``"(Intercept)"``,
        ``"treatment"``, ``"ses_cwc"``, ``"ses_cm_gmc"``, ``"treatment:ses_cwc"``,
        ``"sd_intercept"``, ``"sd_slope"``, ``"corr"``, ``"sigma"`` and ``"icc"``.

    Notes
    -----
    For student ``i`` in classroom ``j`` with treatment ``T_j``:

    - ``ses_ij = ses_mean + a_j + e_ij``, ``a_j ~ N(0, ses_sd_between^2)``,
      ``e_ij ~ N(0, ses_sd_within^2)``;
    - ``ses_cwc_ij = ses_ij - m_j`` where ``m_j`` is the classroom's mean ses, and
      ``ses_cm_gmc_j = m_j - mean(m_1..m_J)`` (unweighted: one value per classroom);
    - ``(u0_j, u1_j)`` bivariate normal with sds ``sd_intercept``, ``sd_slope`` and
      correlation ``corr``; ``r_ij ~ N(0, sigma^2)``;
    - ``math_score_ij = intercept + treatment_effect T_j + ses_between ses_cm_gmc_j
      + (ses_within + cross_level T_j + u1_j) ses_cwc_ij + u0_j + r_ij``.

    The score depends on the classroom's actual mean ses (its peers), so the model
    below is exactly the data-generating one, and the truth of ``ses_cm_gmc`` is
    ``ses_between``. Fit it with the sample means, as lme4's formula would read::

        data["ses_cwc"] = center_within(data["ses"], data["classroom_id"])
        data["ses_cm_gmc"] = center_grand(
            group_mean(data["ses"], data["classroom_id"]), data["classroom_id"])
        lmer("math_score ~ treatment + ses_cwc + ses_cm_gmc + treatment:ses_cwc"
             " + (1 + ses_cwc | classroom_id)", data)

    ``icc = sd_intercept^2 / (sd_intercept^2 + sigma^2)``: the share of the residual
    variance (at ``ses_cwc = 0``) that lies between classrooms. The draws come from
    ``numpy.random.default_rng(seed)`` in a fixed order (treated classrooms, classroom
    ses, student ses, random effects, residuals), so one seed gives one data set.

    Examples
    --------
    >>> from hlmtutor import simulate_classrooms
    >>> sim = simulate_classrooms(6, 4, seed=1)
    >>> sim.data.shape
    (24, 5)
    >>> list(sim.data.columns)
    ['classroom_id', 'student_id', 'treatment', 'ses', 'math_score']
    >>> int(sim.data.groupby("classroom_id")["treatment"].first().sum())
    3
    >>> sim.truth[["treatment", "ses_cm_gmc", "icc"]].round(3)
    treatment     5.000
    ses_cm_gmc    4.000
    icc           0.123
    Name: truth, dtype: float64
    """
    sizes = _classroom_sizes(n_classrooms, n_students)
    params = {
        name: _check_real(name, value)
        for name, value in {
            "intercept": intercept,
            "treatment_effect": treatment_effect,
            "ses_within": ses_within,
            "ses_between": ses_between,
            "cross_level": cross_level,
            "ses_mean": ses_mean,
        }.items()
    }
    sds = {
        name: _check_real(name, value, minimum=0.0)
        for name, value in {
            "sd_intercept": sd_intercept,
            "sd_slope": sd_slope,
            "sigma": sigma,
            "ses_sd_within": ses_sd_within,
            "ses_sd_between": ses_sd_between,
        }.items()
    }
    rho = _check_real("corr", corr)
    if abs(rho) > 1:
        raise ValueError(f"corr must be between -1 and 1; got {corr!r}")
    fraction = _check_real("treated_fraction", treated_fraction)
    if not 0 <= fraction <= 1:
        raise ValueError(f"treated_fraction must be between 0 and 1; got {treated_fraction!r}")

    rng = np.random.default_rng(seed)
    n_rooms, n_total = len(sizes), int(sizes.sum())
    room = np.repeat(np.arange(n_rooms), sizes)  # 0-based classroom of each student

    treated = np.zeros(n_rooms, dtype=np.int64)
    n_treated = math.floor(fraction * n_rooms + 0.5)
    treated[rng.permutation(n_rooms)[:n_treated]] = 1

    ses_room = rng.normal(0.0, sds["ses_sd_between"], n_rooms)
    ses = params["ses_mean"] + ses_room[room] + rng.normal(0.0, sds["ses_sd_within"], n_total)
    room_mean = np.bincount(room, weights=ses, minlength=n_rooms) / sizes
    ses_cwc = ses - room_mean[room]
    ses_cm_gmc = room_mean - room_mean.mean()

    # (u0, u1) with the requested sds and correlation, from two independent normals.
    z = rng.standard_normal((n_rooms, 2))
    u0 = sds["sd_intercept"] * z[:, 0]
    u1 = sds["sd_slope"] * (rho * z[:, 0] + math.sqrt(1.0 - rho**2) * z[:, 1])
    residual = rng.normal(0.0, sds["sigma"], n_total)

    room_level = (
        params["intercept"]
        + params["treatment_effect"] * treated
        + params["ses_between"] * ses_cm_gmc
        + u0
    )
    slope = params["ses_within"] + params["cross_level"] * treated + u1
    math_score = room_level[room] + slope[room] * ses_cwc + residual

    starts = np.cumsum(sizes) - sizes
    data = pd.DataFrame(
        {
            "classroom_id": room + 1,
            "student_id": np.arange(n_total) - np.repeat(starts, sizes) + 1,
            "treatment": treated[room],
            "ses": ses,
            "math_score": math_score,
        }
    )
    between, within = sds["sd_intercept"] ** 2, sds["sigma"] ** 2
    icc = between / (between + within) if between + within > 0 else math.nan
    truth = pd.Series(
        [
            params["intercept"],
            params["treatment_effect"],
            params["ses_within"],
            params["ses_between"],
            params["cross_level"],
            sds["sd_intercept"],
            sds["sd_slope"],
            rho,
            sds["sigma"],
            icc,
        ],
        index=TRUTH_TERMS,
        name="truth",
        dtype=float,
    )
    return Simulation(data, truth)
