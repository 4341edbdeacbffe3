"""Linear mixed models as lme4's ``lmer`` fits them, with lmerTest's Satterthwaite tests.

The engine lives in :mod:`hlmtutor.lmm`, one module per step of lme4's pipeline (formula,
model frame, random-effects terms, deviance, optimizer, result, inference, summary). This
module holds the names a reader uses: :func:`hlmtutor.lmer`, :class:`hlmtutor.LmerResult`,
:func:`icc` and :func:`anova`.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd

from .lmm.fit import lmer
from .lmm.glmer_fit import glmer
from .lmm.glmer_result import GlmerResult
from .lmm.inference import anova_lrt, anova_type3
from .lmm.result import LmerResult
from .lmm.summary import LmerSummary

__all__ = ["lmer", "LmerResult", "LmerSummary", "glmer", "GlmerResult", "icc", "anova"]


def _intercept_only(result: LmerResult) -> bool:
    return all(list(cov.index) == ["(Intercept)"] for cov in result.cov_re.values())


def _nested_in(result: LmerResult) -> dict[str, list[str]]:
    """For each term, the other terms whose factor it is nested in (each level in one level)."""
    terms = result.reterms.terms
    out = {}
    for a in terms:
        inside = []
        for b in terms:
            if b is a or b.factor_name == a.factor_name:
                continue
            pairs = np.unique(np.column_stack([a.codes, b.codes]), axis=0)
            if len(pairs) == a.nlev:  # every level of a sits in one level of b
                inside.append(b.name)
        out[a.name] = inside
    return out


def icc(result: LmerResult) -> float | pd.DataFrame:
    """Intraclass correlation of a random-intercept model.

    Parameters
    ----------
    result : LmerResult
        A fit whose random effects are intercepts only: ``(1 | g)``, or several such terms
        (``(1 | school/class)``, crossed ``(1 | rater) + (1 | item)``).

    Returns
    -------
    float or pandas.DataFrame
        One grouping factor: tau00 / (tau00 + sigma^2). Several: one row per factor with
        columns ``variance`` (its tau), ``share`` (tau / total) and ``icc``.

    Notes
    -----
    With one factor the ICC is the share of the (residual) outcome variance between groups
    (``performance::icc`` in R; from ``as.data.frame(VarCorr(m))$vcov``). With several, the
    total is the sum of all taus and sigma^2, and ``icc`` is the correlation of two
    observations in the same level of that factor: its own tau plus the taus of the factors it
    is nested in, over the total. For students in classes in schools, ``icc`` of ``class:school``
    is (tau_class + tau_school) / total (same class, hence same school) and of ``school`` is
    tau_school / total (same school, different classes); ``share`` is each level's part of
    the variance. For crossed factors ``icc`` equals ``share``.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmtutor import lmer, icc
    >>> data = pd.DataFrame({"y": [1.0, 2.1, 2.9, 4.2, 5.1, 5.8, 7.2, 8.1],
    ...                      "g": ["a", "a", "b", "b", "c", "c", "d", "d"]})
    >>> round(icc(lmer("y ~ 1 + (1 | g)", data)), 3)
    0.926
    """
    if not isinstance(result, LmerResult):
        raise TypeError(f"icc() needs an LmerResult from lmer(), not {type(result).__name__}.")
    if not _intercept_only(result):
        slopes = {k: list(v.index) for k, v in result.cov_re.items() if len(v) > 1}
        raise ValueError(
            "icc() needs a random-intercept model such as (1 | g); this model has random "
            f"slopes {slopes}. With random slopes the share of variance between groups "
            "depends on the predictor's value."
        )
    taus = {name: float(cov.iloc[0, 0]) for name, cov in result.cov_re.items()}
    total = sum(taus.values()) + result.sigma**2
    if len(taus) == 1:
        return next(iter(taus.values())) / total
    nested = _nested_in(result)
    rows = {
        name: {
            "variance": tau,
            "share": tau / total,
            "icc": (tau + sum(taus[b] for b in nested[name])) / total,
        }
        for name, tau in taus.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def _caller_names(models, frame) -> list[str]:
    """Name positional models by the caller's variables, as R names anova() rows."""
    caller = frame.f_back if frame is not None else None
    scopes = [caller.f_locals, caller.f_globals] if caller is not None else []
    names = []
    for i, model in enumerate(models):
        found = next(
            (
                k
                for scope in scopes
                for k, v in scope.items()
                if v is model and not k.startswith("_")
            ),
            None,
        )
        names.append(found if found and found not in names else f"model{i + 1}")
    return names


def anova(*models: LmerResult, **named: LmerResult) -> pd.DataFrame:
    """Type III F-tests of one model, or likelihood-ratio tests between models, as in R.

    Parameters
    ----------
    *models, **named : LmerResult
        One fit: lmerTest's ``anova(m)``. Two or more fits of the same rows: lme4's
        ``anova(m0, m1)``; rows are named by keyword, else by the caller's variable names (as
        R does), else ``model1``, ``model2``, ...

    Returns
    -------
    pandas.DataFrame
        One model: columns ``Sum Sq``, ``Mean Sq``, ``NumDF``, ``DenDF``, ``F value``,
        ``Pr(>F)``, one row per term. Several: columns ``npar``, ``AIC``, ``BIC``, ``logLik``,
        ``deviance``, ``Chisq``, ``Df``, ``Pr(>Chisq)``; rows ordered by npar as lme4 orders them.

    Notes
    -----
    One model: lmerTest's type III hypotheses (``extract_contrasts_type3``) tested with
    F = (L b)' (L C L')^-1 (L b) / q and Satterthwaite's denominator df (``contestMD``).
    Several: REML fits are refitted by ML first (a UserWarning says so, as lme4's
    "refitting model(s) with ML (instead of REML)"). Chisq is the drop in deviance from
    the previous row, Df the added parameters, and the p-value the upper chi-square tail.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> from hlmtutor import lmer, anova
    >>> data = pd.DataFrame({"y": [1.0, 2.1, 2.9, 4.2, 5.1, 5.8, 7.2, 8.1],
    ...                      "x": [0, 1, 0, 1, 0, 1, 0, 1],
    ...                      "g": ["a", "a", "b", "b", "c", "c", "d", "d"]})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     table = anova(m0=lmer("y ~ 1 + (1 | g)", data), m1=lmer("y ~ x + (1 | g)", data))
    >>> list(table.index), int(table.loc["m1", "Df"])
    (['m0', 'm1'], 1)
    """
    fits = dict(zip(_caller_names(models, inspect.currentframe()), models, strict=True))
    clash = set(fits) & set(named)
    if clash:
        raise ValueError(f"Two models are named {sorted(clash)}; give each a distinct name.")
    fits.update(named)
    for name, fit in fits.items():
        if not isinstance(fit, LmerResult | GlmerResult):
            raise TypeError(
                f"{name} is a {type(fit).__name__}; anova() takes lmer() or glmer() results."
            )
    kinds = {type(fit) for fit in fits.values()}
    if len(kinds) > 1:
        raise TypeError("anova() compares lmer() fits with lmer() fits, glmer() with glmer().")
    if len(fits) == 1 and kinds == {GlmerResult}:
        raise ValueError(
            "anova() of one glmer() fit is not available (lme4 gives no F-tests for GLMMs); "
            "compare nested fits by likelihood ratio: anova(m0, m1)."
        )
    if len(fits) == 1:
        return anova_type3(next(iter(fits.values())))
    if not fits:
        raise ValueError("anova() needs one model (F-tests) or several (likelihood-ratio tests).")
    return anova_lrt(fits)
