"""Simulated classroom data: the guide's data frame and a sound two-level process.

:func:`guide_data` rebuilds, number for number, the data frame the R guide simulates
(with :class:`~hlmtutor.rng.RRandom`, R's own generator).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .rng import RRandom

__all__ = ["guide_data"]

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
