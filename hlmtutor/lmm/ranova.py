"""lmerTest's ``ranova``: likelihood-ratio tests of the random-effects terms.

Each random term is reduced in turn, the model refitted (same fixed part, same rows, REML or ML
as the fit) and compared with the full model:

* a term with only an intercept, ``(1 | g)``, is removed (row ``(1 | g)``);
* a term with slopes loses one slope at a time: ``(x | g)`` becomes ``(1 | g)`` (row
  ``x in (x | g)``); ``(0 + x | g)`` is removed.

When no random term is left, the reduced model is the linear model, with R's ``logLik`` of an
``lm`` fit (REML or ML as the mixed model).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from ._warn import warn
from .deviance import LOG_2PI

if TYPE_CHECKING:  # pragma: no cover
    from .formula import LinearPart, RandomTerm
    from .result import LmerResult

__all__ = ["ranova"]


def _linear_text(part: LinearPart) -> str:
    labels = list(part.term_labels)
    if part.intercept:
        return " + ".join(["1", *labels]) if labels else "1"
    return " + ".join(["0", *labels])


def _reductions(
    terms: tuple[RandomTerm, ...], reduce_terms: bool = True
) -> list[tuple[str, list[str]]]:
    """(row name, the random terms of the reduced model as formula text) per reduction."""
    from .formula import LinearPart

    texts = [f"({t.label})" for t in terms]
    out = []
    for k, term in enumerate(terms):
        others = texts[:k] + texts[k + 1 :]
        factor = term.label.split(" | ", 1)[1]
        if not term.expr.terms or not reduce_terms:
            out.append((f"({term.label})", others))
            continue
        for drop in term.expr.terms:
            kept = tuple(t for t in term.expr.terms if t != drop)
            reduced = LinearPart(kept, term.expr.intercept)
            name = f"{':'.join(drop)} in ({term.label})"
            if not kept and not reduced.intercept:
                out.append((name, others))
            else:
                new = f"({_linear_text(reduced)} | {factor})"
                out.append((name, texts[:k] + [new] + texts[k + 1 :]))
    return out


def _lm_loglik(result: LmerResult) -> tuple[float, int]:
    """R's ``logLik`` of the linear model of the fixed part (REML when the fit is REML)."""
    x, y = result.frame.X, result.frame.y
    n, p = x.shape
    if p:
        q, r = np.linalg.qr(x)
        resid = y - q @ (q.T @ y)
        logdet_r = float(np.sum(np.log(np.abs(np.diag(r)))))
    else:
        resid, logdet_r = y, 0.0
    rss = float(resid @ resid)
    if result.REML:
        m = n - p
        return 0.5 * (-m * (LOG_2PI + 1 - np.log(m) + np.log(rss))) - logdet_r, p + 1
    return 0.5 * (-n * (LOG_2PI + 1 - np.log(n) + np.log(rss))), p + 1


def _refit(result: LmerResult, name: str, random: list[str]) -> tuple[float, int]:
    from .fit import lmer

    if not random:
        return _lm_loglik(result)
    formula = result.frame.formula
    text = f"{formula.response} ~ {_linear_text(formula.fixed)} + {' + '.join(random)}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reduced = lmer(text, result.data, REML=result.REML)
    for message in dict.fromkeys(str(w.message) for w in caught):
        warn(f"ranova, reduced model {name!r} ({text}): {message}")
    return reduced.loglik, reduced.npar


def ranova(fit: LmerResult, reduce_terms: bool = True) -> pd.DataFrame:
    """Likelihood-ratio tests of the random-effects terms, as lmerTest's ``ranova(model)``.

    Parameters
    ----------
    fit : LmerResult
        A fit from :func:`hlmtutor.lmer`.
    reduce_terms : bool, default True
        True: a term with slopes loses one slope at a time (``(x | g)`` to ``(1 | g)``).
        False: every term is removed whole (lmerTest's ``reduce.terms = FALSE``).

    Returns
    -------
    pandas.DataFrame
        Row ``<none>`` (the model as fitted), then one row per reduction, named as lmerTest
        names them (``(1 | g)``, ``x in (x | g)``); columns ``npar``, ``logLik``, ``AIC``,
        ``LRT``, ``Df``, ``Pr(>Chisq)``.

    Notes
    -----
    ``LRT = 2 (logLik(full) - logLik(reduced))`` with the fit's own likelihood (REML for a
    REML fit: the fixed part is the same in both models), referred to chi-square with ``Df``
    the number of parameters removed. A variance tested on its boundary makes this test
    conservative (the null distribution is a mixture of chi-squares). Warnings of the reduced
    fits are passed on, prefixed with the row they belong to. Matches lmerTest's
    ``ranova(model, reduce.terms)``.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> from hlmtutor import lmer, ranova
    >>> data = pd.DataFrame({"y": [1.0, 2.1, 2.9, 4.2, 5.1, 5.8, 7.2, 8.1],
    ...                      "g": ["a", "a", "b", "b", "c", "c", "d", "d"]})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     table = ranova(lmer("y ~ 1 + (1 | g)", data))
    >>> list(table.index)
    ['<none>', '(1 | g)']
    """
    rows = {"<none>": (fit.npar, fit.loglik, np.nan, np.nan, np.nan)}
    for name, random in _reductions(fit.frame.formula.random, reduce_terms):
        loglik, npar = _refit(fit, name, random)
        lrt = 2 * (fit.loglik - loglik)
        df = fit.npar - npar
        rows[name] = (npar, loglik, lrt, df, stats.chi2.sf(lrt, df) if df > 0 else np.nan)
    table = pd.DataFrame.from_dict(
        rows, orient="index", columns=["npar", "logLik", "LRT", "Df", "Pr(>Chisq)"]
    )
    table.insert(2, "AIC", -2 * table["logLik"] + 2 * table["npar"])
    table["npar"] = table["npar"].astype(int)
    table["Df"] = table["Df"].astype("Int64")
    table.attrs["heading"] = "ANOVA-like table for random-effects: Single term deletions"
    return table
