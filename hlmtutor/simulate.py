"""Simulated classroom data: the guide's data frame and sound two- and three-level processes.

:func:`guide_data` rebuilds, number for number, the data frame the R guide simulates
(with :class:`~hlmtutor.rng.RRandom`, R's own generator). :func:`simulate_classrooms`
draws students in classrooms from a two-level model whose true parameters are known,
for chapters, assignments and power simulations; :func:`simulate_schools` adds a school
level above the classrooms, and :func:`simulate_ratings` draws students crossed with
raters (crossed, not nested, random factors).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from .rng import RRandom

__all__ = [
    "Simulation",
    "guide_data",
    "simulate_classrooms",
    "simulate_ratings",
    "simulate_schools",
]

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
        One row per observation; the columns are listed by the function that made it
        (:func:`simulate_classrooms`, :func:`simulate_schools`, :func:`simulate_ratings`).
    truth : pandas.Series
        The true values, indexed by the lmer term names of the model the design supports
        (and named parameters of its random part), as that function documents.
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


# ---- shared checks of counts, sizes and shares -----------------------------------------------


def _check_count(name: str, value: object, minimum: int, why: str) -> int:
    """A whole number of units, at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum} ({why}); got {value}")
    return int(value)


def _unit_sizes(name: str, value: object, count: int, unit: str, within: str) -> np.ndarray:
    """One size per unit: a single integer for all, or a sequence of ``count`` integers >= 1.

    ``unit`` names what the sizes count per (``school``, ``classroom``) and ``within`` says
    where ``count`` comes from, for the error messages.
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        sizes = [value] * count
    elif isinstance(value, Sequence | np.ndarray | pd.Series) and not isinstance(value, str):
        sizes = list(value)
        if len(sizes) != count:
            raise ValueError(
                f"{name} has {len(sizes)} sizes but there are {count} {unit}s ({within}); "
                f"give one size per {unit}, or a single integer"
            )
    else:
        raise TypeError(f"{name} must be an integer or a sequence of integers; got {value!r}")
    for position, size in enumerate(sizes):
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ValueError(
                f"{name}: every {unit} needs a whole number >= 1; {unit} {position + 1} "
                f"has {size!r}"
            )
    return np.asarray(sizes, dtype=np.int64)


def _check_fraction(name: str, value: object) -> float:
    fraction = _check_real(name, value)
    if not 0 <= fraction <= 1:
        raise ValueError(f"{name} must be between 0 and 1; got {value!r}")
    return fraction


def _pick(rng: np.random.Generator, n_units: int, fraction: float) -> np.ndarray:
    """0/1 flags: exactly ``floor(fraction * n_units + 0.5)`` units chosen at random."""
    flags = np.zeros(n_units, dtype=np.int64)
    flags[rng.permutation(n_units)[: math.floor(fraction * n_units + 0.5)]] = 1
    return flags


# ---- a three-level data-generating process ---------------------------------------------------

SCHOOL_TRUTH_TERMS = [
    "(Intercept)",
    "treatment",
    "private",
    "ses_cwc",
    "ses_cm_cws",
    "ses_sm_gmc",
    "sd_school",
    "sd_classroom",
    "sd_slope",
    "corr",
    "sd_slope_school",
    "sigma",
    "icc_school",
    "icc_classroom",
]


def simulate_schools(
    n_schools: int = 30,
    n_classrooms: int | Sequence[int] = 4,
    n_students: int | Sequence[int] = 20,
    *,
    intercept: float = 50.0,
    treatment_effect: float = 3.0,
    private_effect: float = 2.0,
    ses_within: float = 2.0,
    ses_classroom: float = 3.0,
    ses_school: float = 5.0,
    sd_school: float = 3.0,
    sd_classroom: float = 2.0,
    sd_slope: float = 1.0,
    corr: float = 0.0,
    sd_slope_school: float = 0.0,
    sigma: float = 6.0,
    ses_mean: float = 0.0,
    ses_sd_within: float = 1.0,
    ses_sd_classroom: float = 0.4,
    ses_sd_school: float = 0.6,
    treated_fraction: float = 0.5,
    private_fraction: float = 0.3,
    seed: int | np.random.Generator | None = None,
) -> Simulation:
    """Simulate students in classrooms in schools from a three-level model with known parameters.

    Parameters
    ----------
    n_schools : int
        Number of schools ``K`` (at least 2).
    n_classrooms : int or sequence of int
        Classrooms per school: one number for all, or one per school (each at least 1).
    n_students : int or sequence of int
        Students per classroom: one size for all, or one per classroom, listed school by
        school (as many as there are classrooms in all; each at least 1).
    intercept : float
        Mean score of a control classroom in a public school, for a student at the
        classroom's mean ses, in a classroom at its school's mean ses, in a school of
        average mean ses.
    treatment_effect : float
        Effect of the classroom-level treatment.
    private_effect : float
        Effect of the school-level indicator ``private`` (private versus public school).
    ses_within : float
        Average within-classroom slope of ses (student ses around the classroom mean).
    ses_classroom : float
        Effect of a classroom's mean ses relative to its school's mean ses.
    ses_school : float
        Effect of a school's mean ses (between schools).
    sd_school, sd_classroom : float
        Standard deviations of the school and the classroom random intercepts.
    sd_slope : float
        Standard deviation of the classroom random slopes of ``ses_cwc``.
    corr : float
        Correlation of a classroom's random intercept and slope, between -1 and 1.
    sd_slope_school : float
        Standard deviation of school random slopes of ``ses_cwc`` (independent of the
        school intercepts); 0, the default, leaves the slope random at classroom level only.
    sigma : float
        Standard deviation of the student-level residual.
    ses_mean, ses_sd_within, ses_sd_classroom, ses_sd_school : float
        ses is ``ses_mean`` plus a school part (sd ``ses_sd_school``), a classroom part
        (sd ``ses_sd_classroom``) and a student part (sd ``ses_sd_within``).
    treated_fraction : float
        Share of all classrooms treated, between 0 and 1: exactly
        ``floor(treated_fraction * C + 0.5)`` of the ``C`` classrooms, chosen at random
        regardless of school (so schools differ in how many treated classrooms they have).
    private_fraction : float
        Share of private schools, between 0 and 1, rounded and drawn the same way.
    seed : int, numpy.random.Generator or None
        Seed of ``numpy.random.default_rng`` (a Generator is used as it is); ``None``
        draws fresh, unrepeatable data.

    Returns
    -------
    Simulation
        A named tuple ``(data, truth)``. ``data`` has one row per student and columns
        ``school_id`` (int, 1..K), ``classroom_id`` (int, 1..C, unique across schools),
        ``student_id`` (int, 1..n within each classroom), ``private`` (int 0/1, constant
        within a school), ``treatment`` (int 0/1, constant within a classroom), ``ses``
        (float) and ``math_score`` (float). ``truth`` is a float Series indexed by the fixed
        effects ``"(Intercept)"``, ``"treatment"``, ``"private"``, ``"ses_cwc"``,
        ``"ses_cm_cws"``, ``"ses_sm_gmc"`` and by ``"sd_school"``, ``"sd_classroom"``,
        ``"sd_slope"``, ``"corr"``, ``"sd_slope_school"``, ``"sigma"``, ``"icc_school"``,
        ``"icc_classroom"``.

    Notes
    -----
    For student ``i`` in classroom ``j`` of school ``k``, with treatment ``T_j`` and
    private-school indicator ``P_k``:

    - ``ses_ijk = ses_mean + a_k + b_j + e_i`` with normal parts of sds ``ses_sd_school``,
      ``ses_sd_classroom`` and ``ses_sd_within``;
    - centering at three levels, with ``m_j`` the mean ses of the classroom's students and
      ``M_k`` the mean ses of the school's students: ``ses_cwc = ses - m_j`` (within
      classroom), ``ses_cm_cws = m_j - M_k`` (classroom mean within school) and
      ``ses_sm_gmc = M_k - mean(M_1..M_K)`` (school mean, centered at the unweighted mean of
      the school means);
    - school effects ``v0_k ~ N(0, sd_school^2)`` and ``v1_k ~ N(0, sd_slope_school^2)``,
      independent; classroom effects ``(u0_j, u1_j)`` bivariate normal with sds
      ``sd_classroom``, ``sd_slope`` and correlation ``corr``; ``r_i ~ N(0, sigma^2)``;
    - ``math_score = intercept + treatment_effect T_j + private_effect P_k
      + ses_school ses_sm_gmc + ses_classroom ses_cm_cws
      + (ses_within + u1_j + v1_k) ses_cwc + v0_k + u0_j + r_i``.

    The score depends on the sample means, so this is exactly the model lme4 fits with::

        data["ses_cwc"] = center_within(data["ses"], data["classroom_id"])
        classroom_mean = group_mean(data["ses"], data["classroom_id"])
        school_mean = group_mean(data["ses"], data["school_id"])
        data["ses_cm_cws"] = classroom_mean - school_mean
        data["ses_sm_gmc"] = center_grand(school_mean, data["school_id"])
        lmer("math_score ~ treatment + private + ses_cwc + ses_cm_cws + ses_sm_gmc"
             " + (1 | school_id) + (1 + ses_cwc | classroom_id)", data)

    (with ``sd_slope_school > 0``, ``(1 + ses_cwc || school_id)`` in place of
    ``(1 | school_id)``). Classroom ids are unique across schools, so ``(1 | classroom_id)``
    and ``(1 | school_id:classroom_id)`` name the same groups. In lme4's ``VarCorr``,
    ``sd_school`` is the sd of ``school_id (Intercept)``, ``sd_classroom``, ``sd_slope``
    and ``corr`` belong to ``classroom_id``, and ``sigma`` to ``Residual``.

    ``icc_school = sd_school^2 / V`` and ``icc_classroom = (sd_school^2 + sd_classroom^2) / V``
    with ``V = sd_school^2 + sd_classroom^2 + sigma^2``: the correlation of two students of
    the same school in different classrooms, and of two students of the same classroom (at
    ``ses_cwc = 0``), as :func:`hlmtutor.icc` defines them. Draws come from
    ``numpy.random.default_rng(seed)`` in a fixed order (private schools, treated
    classrooms, ses parts, school effects, classroom effects, residuals).

    Examples
    --------
    >>> from hlmtutor import simulate_schools
    >>> sim = simulate_schools(3, [2, 3, 1], 4, seed=1)
    >>> sim.data.shape
    (24, 7)
    >>> list(sim.data.columns)
    ['school_id', 'classroom_id', 'student_id', 'private', 'treatment', 'ses', 'math_score']
    >>> sim.data.groupby("school_id")["classroom_id"].nunique().tolist()
    [2, 3, 1]
    >>> sim.truth[["ses_sm_gmc", "sd_school", "icc_school", "icc_classroom"]].round(3)
    ses_sm_gmc       5.000
    sd_school        3.000
    icc_school       0.184
    icc_classroom    0.265
    Name: truth, dtype: float64
    """
    n_schools = _check_count("n_schools", n_schools, 2, "a three-level model needs several schools")
    per_school = _unit_sizes(
        "n_classrooms", n_classrooms, n_schools, "school", f"n_schools is {n_schools}"
    )
    n_rooms = int(per_school.sum())
    sizes = _unit_sizes(
        "n_students",
        n_students,
        n_rooms,
        "classroom",
        "the sum of n_classrooms; list the sizes school by school",
    )
    params = {
        name: _check_real(name, value)
        for name, value in {
            "intercept": intercept,
            "treatment_effect": treatment_effect,
            "private_effect": private_effect,
            "ses_within": ses_within,
            "ses_classroom": ses_classroom,
            "ses_school": ses_school,
            "ses_mean": ses_mean,
        }.items()
    }
    sds = {
        name: _check_real(name, value, minimum=0.0)
        for name, value in {
            "sd_school": sd_school,
            "sd_classroom": sd_classroom,
            "sd_slope": sd_slope,
            "sd_slope_school": sd_slope_school,
            "sigma": sigma,
            "ses_sd_within": ses_sd_within,
            "ses_sd_classroom": ses_sd_classroom,
            "ses_sd_school": ses_sd_school,
        }.items()
    }
    rho = _check_real("corr", corr)
    if abs(rho) > 1:
        raise ValueError(f"corr must be between -1 and 1; got {corr!r}")
    treated_share = _check_fraction("treated_fraction", treated_fraction)
    private_share = _check_fraction("private_fraction", private_fraction)

    rng = np.random.default_rng(seed)
    n_total = int(sizes.sum())
    school_of_room = np.repeat(np.arange(n_schools), per_school)  # 0-based school of each room
    room = np.repeat(np.arange(n_rooms), sizes)  # 0-based classroom of each student
    school = school_of_room[room]

    private = _pick(rng, n_schools, private_share)
    treated = _pick(rng, n_rooms, treated_share)

    ses = (
        params["ses_mean"]
        + rng.normal(0.0, sds["ses_sd_school"], n_schools)[school]
        + rng.normal(0.0, sds["ses_sd_classroom"], n_rooms)[room]
        + rng.normal(0.0, sds["ses_sd_within"], n_total)
    )
    room_mean = np.bincount(room, weights=ses, minlength=n_rooms) / sizes
    school_size = np.bincount(school, minlength=n_schools)
    school_mean = np.bincount(school, weights=ses, minlength=n_schools) / school_size
    ses_cwc = ses - room_mean[room]
    ses_cm_cws = room_mean - school_mean[school_of_room]  # one value per classroom
    ses_sm_gmc = school_mean - school_mean.mean()  # one value per school

    z_school = rng.standard_normal((n_schools, 2))
    v0 = sds["sd_school"] * z_school[:, 0]
    v1 = sds["sd_slope_school"] * z_school[:, 1]
    z_room = rng.standard_normal((n_rooms, 2))
    u0 = sds["sd_classroom"] * z_room[:, 0]
    u1 = sds["sd_slope"] * (rho * z_room[:, 0] + math.sqrt(1.0 - rho**2) * z_room[:, 1])
    residual = rng.normal(0.0, sds["sigma"], n_total)

    school_level = (
        params["intercept"]
        + params["private_effect"] * private
        + params["ses_school"] * ses_sm_gmc
        + v0
    )
    room_level = (
        school_level[school_of_room]
        + params["treatment_effect"] * treated
        + params["ses_classroom"] * ses_cm_cws
        + u0
    )
    slope = params["ses_within"] + u1 + v1[school_of_room]
    math_score = room_level[room] + slope[room] * ses_cwc + residual

    starts = np.cumsum(sizes) - sizes
    data = pd.DataFrame(
        {
            "school_id": school + 1,
            "classroom_id": room + 1,
            "student_id": np.arange(n_total) - np.repeat(starts, sizes) + 1,
            "private": private[school],
            "treatment": treated[room],
            "ses": ses,
            "math_score": math_score,
        }
    )
    tau_school, tau_room = sds["sd_school"] ** 2, sds["sd_classroom"] ** 2
    total = tau_school + tau_room + sds["sigma"] ** 2
    truth = pd.Series(
        [
            params["intercept"],
            params["treatment_effect"],
            params["private_effect"],
            params["ses_within"],
            params["ses_classroom"],
            params["ses_school"],
            sds["sd_school"],
            sds["sd_classroom"],
            sds["sd_slope"],
            rho,
            sds["sd_slope_school"],
            sds["sigma"],
            tau_school / total if total > 0 else math.nan,
            (tau_school + tau_room) / total if total > 0 else math.nan,
        ],
        index=SCHOOL_TRUTH_TERMS,
        name="truth",
        dtype=float,
    )
    return Simulation(data, truth)


# ---- crossed random factors: students rated by raters -----------------------------------------

RATING_TRUTH_TERMS = [
    "(Intercept)",
    "treatment",
    "sd_student",
    "sd_rater",
    "sigma",
    "icc_student",
    "icc_rater",
]


def simulate_ratings(
    n_students: int = 120,
    n_raters: int = 10,
    raters_per_student: int = 3,
    *,
    intercept: float = 60.0,
    treatment_effect: float = 4.0,
    sd_student: float = 8.0,
    sd_rater: float = 4.0,
    sigma: float = 5.0,
    treated_fraction: float = 0.5,
    seed: int | np.random.Generator | None = None,
) -> Simulation:
    """Simulate essays scored by raters: students and raters are crossed random factors.

    Each student writes one essay, scored by ``raters_per_student`` raters drawn at random
    from a pool of ``n_raters``. A rater scores many students and a student is scored by
    several raters, so neither factor is nested in the other.

    Parameters
    ----------
    n_students : int
        Number of students (at least 2).
    n_raters : int
        Number of raters in the pool (at least 2).
    raters_per_student : int
        Ratings per essay, between 1 and ``n_raters`` (distinct raters).
    intercept : float
        Mean score of a control student's essay from an average rater.
    treatment_effect : float
        Effect of a student-level treatment (say, feedback on a draft).
    sd_student, sd_rater : float
        Standard deviations of the student effects (how good the essay is) and of the
        rater effects (how lenient the rater is).
    sigma : float
        Standard deviation of the residual: one rater's disagreement about one essay.
    treated_fraction : float
        Share of students treated, between 0 and 1: exactly
        ``floor(treated_fraction * n_students + 0.5)`` students, chosen at random.
    seed : int, numpy.random.Generator or None
        Seed of ``numpy.random.default_rng`` (a Generator is used as it is).

    Returns
    -------
    Simulation
        A named tuple ``(data, truth)``. ``data`` has one row per rating, sorted by student
        and then rater, with columns ``student_id`` (int, 1..n_students), ``rater_id`` (int,
        1..n_raters), ``treatment`` (int 0/1, constant within a student) and ``score``
        (float). ``truth`` is a float Series indexed by ``"(Intercept)"``, ``"treatment"``,
        ``"sd_student"``, ``"sd_rater"``, ``"sigma"``, ``"icc_student"`` and ``"icc_rater"``.

    Notes
    -----
    ``score_sr = intercept + treatment_effect T_s + a_s + b_r + e_sr`` with
    ``a_s ~ N(0, sd_student^2)``, ``b_r ~ N(0, sd_rater^2)`` and ``e_sr ~ N(0, sigma^2)``,
    all independent. The model to fit is lme4's crossed random intercepts::

        lmer("score ~ treatment + (1 | student_id) + (1 | rater_id)", data)

    With ``V = sd_student^2 + sd_rater^2 + sigma^2``, ``icc_student = sd_student^2 / V`` is
    the correlation of two raters' scores of the same essay (inter-rater reliability of
    one rating) and ``icc_rater = sd_rater^2 / V`` the correlation of one rater's scores of
    two different essays, as :func:`hlmtutor.icc` reports them for crossed factors. With
    few students, a rater may by chance score nobody and is then absent from ``data``.
    Draws come from ``numpy.random.default_rng(seed)`` in a fixed order (treated students,
    rater assignment, student effects, rater effects, residuals).

    Examples
    --------
    >>> from hlmtutor import simulate_ratings
    >>> sim = simulate_ratings(5, 4, 2, seed=1)
    >>> sim.data.shape
    (10, 4)
    >>> sim.data.groupby("student_id")["rater_id"].nunique().tolist()
    [2, 2, 2, 2, 2]
    >>> sim.truth[["sd_rater", "icc_student", "icc_rater"]].round(3)
    sd_rater       4.000
    icc_student    0.610
    icc_rater      0.152
    Name: truth, dtype: float64
    """
    n_students = _check_count("n_students", n_students, 2, "student effects need several students")
    n_raters = _check_count("n_raters", n_raters, 2, "rater effects need several raters")
    if isinstance(raters_per_student, bool) or not isinstance(raters_per_student, numbers.Integral):
        raise TypeError(f"raters_per_student must be an integer; got {raters_per_student!r}")
    if not 1 <= raters_per_student <= n_raters:
        raise ValueError(
            f"raters_per_student must be between 1 and n_raters ({n_raters}), as each essay "
            f"is scored by distinct raters; got {raters_per_student}"
        )
    k = int(raters_per_student)
    params = {
        name: _check_real(name, value)
        for name, value in {"intercept": intercept, "treatment_effect": treatment_effect}.items()
    }
    sds = {
        name: _check_real(name, value, minimum=0.0)
        for name, value in {
            "sd_student": sd_student,
            "sd_rater": sd_rater,
            "sigma": sigma,
        }.items()
    }
    share = _check_fraction("treated_fraction", treated_fraction)

    rng = np.random.default_rng(seed)
    treated = _pick(rng, n_students, share)
    # k distinct raters per student: the first k of a random order of the pool, sorted.
    raters = np.sort(np.argsort(rng.random((n_students, n_raters)), axis=1)[:, :k], axis=1)
    student = np.repeat(np.arange(n_students), k)
    rater = raters.ravel()
    a = rng.normal(0.0, sds["sd_student"], n_students)
    b = rng.normal(0.0, sds["sd_rater"], n_raters)
    residual = rng.normal(0.0, sds["sigma"], len(student))
    score = (
        params["intercept"]
        + params["treatment_effect"] * treated[student]
        + a[student]
        + b[rater]
        + residual
    )
    data = pd.DataFrame(
        {
            "student_id": student + 1,
            "rater_id": rater + 1,
            "treatment": treated[student],
            "score": score,
        }
    )
    total = sds["sd_student"] ** 2 + sds["sd_rater"] ** 2 + sds["sigma"] ** 2
    truth = pd.Series(
        [
            params["intercept"],
            params["treatment_effect"],
            sds["sd_student"],
            sds["sd_rater"],
            sds["sigma"],
            sds["sd_student"] ** 2 / total if total > 0 else math.nan,
            sds["sd_rater"] ** 2 / total if total > 0 else math.nan,
        ],
        index=RATING_TRUTH_TERMS,
        name="truth",
        dtype=float,
    )
    return Simulation(data, truth)
