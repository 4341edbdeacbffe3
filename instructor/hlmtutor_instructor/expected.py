"""The right value of every checked quantity, and the tolerances the checks accept.

Each ``expected_*`` function computes, from a student's data, the value the matching ``check_*``
function of :mod:`hlmtutor_instructor.checks` judges an answer against; the seals written into a
student's notebook (:mod:`hlmtutor_instructor.tasks`) and the answer key are built from the same
functions, so a check in the student's notebook and the instructor's grade agree. This module is
part of the instructor's install only: the ``hlmtutor`` package students install has none of it.

Column names are arguments (defaults ``math_score``, ``classroom_id``, ``ses``): nothing here is
tied to the assignments' data beyond its defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from hlmtutor.course.checks import (
    CENTERING_KINDS,
    CLUSTER,
    FIXEF_STATISTICS,
    OUTCOME,
    PREDICTOR,
    STATISTICS,
    Tolerance,
    require_columns,
)

from . import _fits

__all__ = [
    "CENTERING_KINDS",
    "FIXEF_STATISTICS",
    "STATISTICS",
    "Tolerance",
    "centered_predictors",
    "expected_centered",
    "expected_fixef",
    "expected_icc",
    "expected_statistic",
    "expected_variance",
    "variance_components",
]


ICC_TOLERANCE = Tolerance(absolute=0.005)
VARIANCE_TOLERANCE = Tolerance(absolute=0.01, relative=0.01)
STATISTIC_TOLERANCE = Tolerance(absolute=0.001, relative=0.001)
CENTERED_TOLERANCE = 1e-6  # largest difference accepted in any row
FIXEF_TOLERANCE = {
    "Estimate": Tolerance(absolute=0.01, relative=0.005),
    "Std. Error": Tolerance(absolute=0.01, relative=0.005),
    "df": Tolerance(absolute=0.1, relative=0.01),
    "t value": Tolerance(absolute=0.01, relative=0.005),
    "Pr(>|t|)": Tolerance(absolute=0.0001, relative=0.02),
}


# ---------------------------------------------------------------------------------------------
# Input checks


def require_statistic(statistic: str) -> None:
    if statistic not in FIXEF_STATISTICS:
        raise ValueError(
            f"statistic {statistic!r} is not a column of the fixed-effects table; use one of "
            f"{', '.join(map(repr, FIXEF_STATISTICS))}"
        )


def require_term(table: pd.DataFrame, term: str, formula: str) -> None:
    if term not in table.index:
        raise KeyError(
            f"the model {formula!r} has no fixed-effect term {term!r}; its terms are "
            f"{', '.join(map(repr, table.index))}"
        )


def require_kind(kind: str) -> None:
    if kind not in CENTERING_KINDS:
        raise ValueError(f"kind {kind!r} is not known; use one of {', '.join(CENTERING_KINDS)}")


# ---------------------------------------------------------------------------------------------
# Centering and fits


def expected_centered(
    data: pd.DataFrame,
    column: str = PREDICTOR,
    cluster: str = CLUSTER,
    kind: str = "within",
) -> pd.Series:
    """The right column for `check_centered`.

    Parameters
    ----------
    data : pandas.DataFrame
        The student's data.
    column, cluster : str
        The column to center and the grouping column (default ``ses`` and ``classroom_id``).
    kind : str, default "within"
        ``"within"`` (value minus its classroom's mean), ``"group_mean"`` (the classroom's
        mean), ``"grand"`` (value minus the mean of all rows) or ``"cluster_grand"`` (classroom
        mean minus the mean of the classroom means, each classroom once).

    Returns
    -------
    pandas.Series
        One value per row of ``data``.

    Notes
    -----
    The :mod:`hlmtutor.centering` function of that kind: MLMusingR's ``group_center``
    (``"within"``) and misty's ``center(type = "CGM")`` (``"cluster_grand"``) in R.

    Examples
    --------
    >>> from hlmtutor.course import assignment_data
    >>> data = assignment_data("a1", "demo")
    >>> float(expected_centered(data, kind="within").groupby(data["classroom_id"]).mean().abs().max()) < 1e-12
    True
    """
    from hlmtutor.centering import center_grand, center_within, group_mean

    require_kind(kind)
    require_columns(data, [column, cluster])
    values, clusters = data[column], data[cluster]
    compute: dict[str, Callable[[], pd.Series]] = {
        "within": lambda: center_within(values, clusters),
        "group_mean": lambda: group_mean(values, clusters),
        "grand": lambda: center_grand(values),
        "cluster_grand": lambda: center_grand(group_mean(values, clusters), clusters),
    }
    return compute[kind]()


def centered_predictors(
    data: pd.DataFrame, column: str = PREDICTOR, cluster: str = CLUSTER
) -> pd.DataFrame:
    """``data`` with the three centered versions of ``column`` (re)computed.

    Parameters
    ----------
    data : pandas.DataFrame
        The student's data.
    column, cluster : str
        The predictor and the grouping column (default ``ses`` and ``classroom_id``).

    Returns
    -------
    pandas.DataFrame
        A copy with ``<column>_cm`` (classroom mean), ``<column>_cwc`` (centered within
        classrooms) and ``<column>_cm_gmc`` (classroom mean centered at the mean of the
        classroom means). ``data`` is returned as it is when it lacks either column.

    Notes
    -----
    The checks fit models on these recomputed columns, so a model checked with a wrongly
    centered column in ``data`` is still judged against the right one.
    """
    if not isinstance(data, pd.DataFrame) or not {column, cluster} <= set(data.columns):
        return data
    return data.assign(
        **{
            f"{column}_cm": expected_centered(data, column, cluster, "group_mean"),
            f"{column}_cwc": expected_centered(data, column, cluster, "within"),
            f"{column}_cm_gmc": expected_centered(data, column, cluster, "cluster_grand"),
        }
    )


def fit_model(
    formula: str,
    data: pd.DataFrame,
    *,
    center: str | None = PREDICTOR,
    cluster: str = CLUSTER,
    reml: bool = True,
):
    """Fit ``formula`` on ``data`` with the centered predictors recomputed (see
    :func:`centered_predictors`); ``center=None`` fits ``data`` as it is."""
    require_columns(data, [])
    frame = data if center is None else centered_predictors(data, center, cluster)
    return _fits.fit(formula, frame, reml)


def variance_components(fit) -> dict[str, float]:
    """The variances of a fit by every label lme4 users write.

    Parameters
    ----------
    fit : LmerResult
        A fit of :func:`hlmtutor.lmer`.

    Returns
    -------
    dict
        ``{"(Intercept)": tau00, "classroom_id": tau00, "classroom_id:(Intercept)": tau00,
        "ses_cwc": tau11, ..., "Residual": sigma2, "residual": sigma2}``: a random term by its
        name (when only one group has it), by ``"group:term"``, a group's intercept by the
        group's name (the ``Groups`` column of R's table), and the residual as lme4 labels it.

    Notes
    -----
    The ``Variance`` column of R's ``print(VarCorr(m), comp = "Variance")``, which is
    ``as.data.frame(VarCorr(m))$vcov``.
    """
    return _fits.component_labels(_fits.variance_components(fit))


def _variance_labels(variances: dict[str, float]) -> list[str]:
    """The labels to suggest: each component once, by its plainest name."""
    return [
        label
        for label in variances
        if label != "residual" and not (":" in label and label.split(":", 1)[1] in variances)
    ]


def require_component(variances: dict[str, float], component: str, formula: str) -> None:
    if component not in variances:
        raise KeyError(
            f"the model {formula!r} has no variance component {component!r}; use one of "
            f"{', '.join(map(repr, _variance_labels(variances)))}"
        )


def fixef_fit(
    data: pd.DataFrame,
    formula: str,
    term: str,
    statistic: str = "Estimate",
    *,
    center: str | None = PREDICTOR,
    cluster: str = CLUSTER,
    reml: bool = True,
):
    """The fit of ``formula`` (see :func:`fit_model`) whose fixed-effects table has the cell
    ``[term, statistic]``; a clear error when the statistic or the term is not in it."""
    require_statistic(statistic)
    model = fit_model(formula, data, center=center, cluster=cluster, reml=reml)
    require_term(model.fixef, term, formula)
    return model


def model_variances(
    data: pd.DataFrame,
    formula: str,
    component: str,
    *,
    center: str | None = PREDICTOR,
    cluster: str = CLUSTER,
    reml: bool = True,
) -> dict[str, float]:
    """:func:`variance_components` of the fit of ``formula`` (see :func:`fit_model`); a clear
    error when it has no ``component``."""
    variances = variance_components(
        fit_model(formula, data, center=center, cluster=cluster, reml=reml)
    )
    require_component(variances, component, formula)
    return variances


# ---------------------------------------------------------------------------------------------
# The expected values


def null_variances(
    data: pd.DataFrame, outcome: str = OUTCOME, cluster: str = CLUSTER, reml: bool = True
) -> tuple[float, float]:
    """Between (tau00) and within (sigma^2) variances of ``outcome ~ 1 + (1 | cluster)``."""
    require_columns(data, [outcome, cluster])
    model = fit_model(f"{outcome} ~ 1 + (1 | {cluster})", data, center=None, reml=reml)
    variances = variance_components(model)
    return variances[cluster], variances[_fits.RESIDUAL]


def expected_icc(
    data: pd.DataFrame, outcome: str = OUTCOME, cluster: str = CLUSTER, *, reml: bool = True
) -> float:
    """The ICC `check_icc` compares with.

    Parameters
    ----------
    data : pandas.DataFrame
        The student's data.
    outcome, cluster : str
        The outcome and the grouping column (default ``math_score`` and ``classroom_id``).
    reml : bool, default True
        Fit by REML (lme4's default) or ML.

    Returns
    -------
    float
        :math:`\\tau_{00} / (\\tau_{00} + \\sigma^2)` of ``outcome ~ 1 + (1 | cluster)``.

    Notes
    -----
    ``performance::icc()`` of ``lmer(math_score ~ 1 + (1 | classroom_id))`` in R.

    Examples
    --------
    >>> from hlmtutor.course import assignment_data
    >>> 0 < expected_icc(assignment_data("a2", "demo")) < 1
    True
    """
    tau, sigma2 = null_variances(data, outcome, cluster, reml)
    return tau / (tau + sigma2)


def expected_fixef(
    data: pd.DataFrame,
    formula: str,
    term: str,
    statistic: str = "Estimate",
    *,
    center: str | None = PREDICTOR,
    cluster: str = CLUSTER,
    reml: bool = True,
) -> float:
    """The cell of the fixed-effects table `check_fixef` compares with.

    Parameters
    ----------
    data : pandas.DataFrame
        The student's data.
    formula : str
        The model, in lme4 syntax.
    term : str
        The row of the table, e.g. ``"treatment:ses_cwc"``.
    statistic : str, default "Estimate"
        The column: ``"Estimate"``, ``"Std. Error"``, ``"df"``, ``"t value"`` or ``"Pr(>|t|)"``.
    center : str or None, default "ses"
        The predictor whose centered columns are recomputed before the fit (see
        :func:`centered_predictors`); ``None`` fits ``data`` as it is.
    cluster : str, default "classroom_id"
        The grouping column the centering uses.
    reml : bool, default True
        Fit by REML (lme4's default) or ML.

    Returns
    -------
    float

    Notes
    -----
    ``coef(summary(lmerTest::lmer(formula, data)))[term, statistic]`` in R (Satterthwaite df).
    """
    model = fixef_fit(data, formula, term, statistic, center=center, cluster=cluster, reml=reml)
    return float(model.fixef.loc[term, statistic])


def expected_variance(
    data: pd.DataFrame,
    formula: str,
    component: str = "(Intercept)",
    *,
    center: str | None = PREDICTOR,
    cluster: str = CLUSTER,
    reml: bool = True,
) -> float:
    """The variance component `check_variance` compares with.

    Parameters
    ----------
    data : pandas.DataFrame
        The student's data.
    formula : str
        The model, in lme4 syntax.
    component : str, default "(Intercept)"
        ``"(Intercept)"`` or the group's name (``"classroom_id"``) for the random intercept, a
        random slope's term (``"ses_cwc"``), or ``"Residual"`` (also ``"residual"``).
    center, cluster, reml
        As in :func:`expected_fixef`.

    Returns
    -------
    float
        A variance (not a standard deviation).

    Notes
    -----
    ``as.data.frame(VarCorr(m))$vcov`` in R; see :func:`variance_components` for the labels.

    Examples
    --------
    >>> from hlmtutor.course import assignment_data
    >>> data = assignment_data("a2", "demo")
    >>> model = "math_score ~ 1 + (1 | classroom_id)"
    >>> expected_variance(data, model, "Residual") == expected_variance(data, model, "residual")
    True
    """
    return model_variances(data, formula, component, center=center, cluster=cluster, reml=reml)[
        component
    ]


def statistic_of(values: pd.Series, statistic: str) -> float:
    """A descriptive statistic of ``values`` (pandas' and R's: sd and var with n - 1)."""
    if statistic == "count":
        return float(values.notna().sum())
    return float(getattr(values, {"sd": "std"}.get(statistic, statistic))())


def statistic_rows(
    data: pd.DataFrame, column: str, statistic: str, cluster: str, group: Any
) -> pd.DataFrame:
    """The rows a statistic is computed on, after checking the arguments."""
    if statistic not in STATISTICS:
        raise ValueError(
            f"statistic {statistic!r} is not known; use one of {', '.join(STATISTICS)}"
        )
    require_columns(data, [column] + ([cluster] if group is not None else []))
    rows = data if group is None else data[data[cluster] == group]
    if rows.empty:
        raise ValueError(
            f"no rows with {cluster} == {group!r}; its values are "
            f"{', '.join(map(str, sorted(data[cluster].unique())))}"
        )
    return rows


def expected_statistic(
    data: pd.DataFrame,
    column: str,
    statistic: str = "mean",
    *,
    cluster: str = CLUSTER,
    group: Any = None,
) -> float:
    """The descriptive statistic `check_statistic` compares with.

    Parameters
    ----------
    data : pandas.DataFrame
        The student's data.
    column : str
        The column, e.g. ``"math_score"``.
    statistic : str, default "mean"
        ``"mean"``, ``"sd"``, ``"var"``, ``"median"``, ``"min"``, ``"max"`` or ``"count"``.
    cluster : str, default "classroom_id"
        The grouping column (used with ``group``).
    group : optional
        Only the rows where ``data[cluster] == group``.

    Returns
    -------
    float

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"y": [1.0, 2.0, 4.0], "g": [1, 1, 2]})
    >>> expected_statistic(frame, "y", "sd", cluster="g", group=1)
    0.7071067811865476
    """
    return statistic_of(statistic_rows(data, column, statistic, cluster, group)[column], statistic)
