"""The course package's only contact with fitted models.

Everything the checks and the answer key read from a fit goes through this module, so a change in
:class:`~hlmtutor.models.LmerResult` (say, per-factor results keyed by factor name) is handled here
and nowhere else: :func:`variance_components` is the one function that reads a fit's variance
components, and it reads them from ``fit.vc``, lme4's ``as.data.frame(VarCorr(m))`` (columns
``grp``, ``var1``, ``var2``, ``vcov``, ``sdcor``): data, not the printed layout. The number of
groups is counted in the data, never read from the fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

RESIDUAL = "Residual"


@dataclass(frozen=True)
class Component:
    """One row of lme4's random-effects table: a group's term, or the residual."""

    group: str  # "classroom_id", or "Residual"
    name: str  # "(Intercept)", a slope's term, or "" for the residual
    variance: float


def variance_components(fit) -> list[Component]:
    """The variance components of a fit, in lme4's order (the residual last).

    Parameters
    ----------
    fit : LmerResult
        A fit of :func:`hlmtutor.lmer`.

    Returns
    -------
    list of Component
        One per variance row of ``fit.vc`` (the rows whose ``var2`` is empty; covariances
        are not components).
    """
    table: pd.DataFrame = fit.vc
    components = []
    for group, name, other, variance in zip(
        table["grp"], table["var1"], table["var2"], table["vcov"], strict=True
    ):
        if isinstance(other, str) and other:
            continue  # a covariance row
        name = name if isinstance(name, str) else ""
        components.append(Component(str(group), "" if group == RESIDUAL else name, float(variance)))
    return components


def component_labels(components: list[Component]) -> dict[str, float]:
    """Every label a variance component may be asked for by, with its variance.

    ``"Residual"`` (and ``"residual"``) for the residual; a term's name (``"(Intercept)"``,
    ``"ses_cwc"``) when only one group has it; ``"group"`` for the group's intercept (or its only
    term), as lme4's table prints it; and ``"group:term"`` always.
    """
    labels: dict[str, float] = {}
    by_name: dict[str, list[Component]] = {}
    for component in components:
        if component.group == RESIDUAL:
            labels[RESIDUAL] = labels["residual"] = component.variance
            continue
        labels[f"{component.group}:{component.name}"] = component.variance
        by_name.setdefault(component.name, []).append(component)
    for name, found in by_name.items():
        if len(found) == 1:
            labels[name] = found[0].variance
    groups: dict[str, list[Component]] = {}
    for component in components:
        if component.group != RESIDUAL:
            groups.setdefault(component.group, []).append(component)
    for group, terms in groups.items():
        intercept = [c for c in terms if c.name == "(Intercept)"]
        chosen = intercept[0] if intercept else (terms[0] if len(terms) == 1 else None)
        if chosen is not None:
            labels.setdefault(group, chosen.variance)
    return labels


def fit(formula: str, data: pd.DataFrame, reml: bool = True):
    """``hlmtutor.lmer(formula, data, REML=reml)``."""
    from hlmtutor.models import lmer

    return lmer(formula, data, REML=reml)
