"""lmerTest's tests of fixed-effect contrasts: ``contest``, the coefficient table, ``anova`` and
``drop1`` with Satterthwaite's or Kenward-Roger's denominator df, and ``ls_means`` /
``difflsmeans`` for factor terms.

A contrast matrix L (k x p, one column per fixed effect) states the hypotheses. For one row l,
``t = l'b / sqrt(l'C l)`` with C the covariance of b; for a joint test of L of rank q,
``F = (Lb)' (L C L')^-1 (Lb) / q``. The denominator df:

* ``"Satterthwaite"``: lmerTest's ``contest1D`` / ``contestMD`` (Kuznetsova, Brockhoff &
  Christensen 2017, J. Stat. Softw. 82(13)); C = vcov(b).
* ``"Kenward-Roger"``: C = Kenward-Roger's adjusted covariance Phi_A, the df and F scaling of
  Kenward & Roger (1997), as pbkrtest computes them (``hlmtutor.lmm.kenward_roger``).
* ``"lme4"``: no df, no p-value, as lme4 prints its t table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations, product
from numbers import Real
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from . import inference
from .kenward_roger import kenward_roger, kr_ddf

if TYPE_CHECKING:  # pragma: no cover
    from .result import LmerResult

__all__ = ["contest", "coef_table", "anova_table", "drop1", "ls_means", "difflsmeans"]

DDF_METHODS = ("Satterthwaite", "Kenward-Roger", "lme4")
JOINT_COLUMNS = ["Sum Sq", "Mean Sq", "NumDF", "DenDF", "F value", "Pr(>F)"]
ONE_COLUMNS = ["Estimate", "Std. Error", "df", "t value", "lower", "upper", "Pr(>|t|)"]


def _check_ddf(ddf: str) -> str:
    if ddf not in DDF_METHODS:
        raise ValueError(f"ddf must be one of {DDF_METHODS}, not {ddf!r}.")
    return ddf


# -- the contrast matrix ---------------------------------------------------------------------------
def _row(result: LmerResult, row, name: str) -> np.ndarray:
    """One contrast as p weights: a sequence in the order of the coefficients, or a mapping
    from coefficient names to weights (the others 0)."""
    names = list(result.params.index)
    p = len(names)
    if isinstance(row, Mapping | pd.Series):
        unknown = [k for k in row if k not in names]
        if unknown:
            raise ValueError(
                f"Contrast {name!r} names {unknown}, which are not fixed effects of this model; "
                f"the coefficients are {names}."
            )
        weights = np.zeros(p)
        for key, value in row.items():
            weights[names.index(key)] = _number(value, name)
        return weights
    values = np.asarray(row, dtype=object).ravel() if not isinstance(row, str) else None
    if values is None:
        raise TypeError(f"Contrast {name!r} is the text {row!r}; give {p} numbers.")
    if len(values) != p:
        raise ValueError(
            f"Contrast {name!r} has {len(values)} weight(s); it needs {p}, one per fixed effect "
            f"in this order: {names}. (Or give a dict of coefficient name -> weight.)"
        )
    return np.array([_number(v, name) for v in values], dtype=float)


def _number(value, name: str) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real | np.number):
        raise TypeError(f"Contrast {name!r} holds {value!r}; weights must be numbers.")
    return float(value)


def contrast_matrix(result: LmerResult, contrasts) -> tuple[np.ndarray, list[str]]:
    """The k x p matrix L and its row names from the forms :func:`contest` accepts."""
    p = len(result.params)
    if isinstance(contrasts, pd.DataFrame):
        names = [str(i) for i in contrasts.index]
        if set(contrasts.columns) <= set(result.params.index) and not all(
            isinstance(c, int | np.integer) for c in contrasts.columns
        ):
            rows = [_row(result, contrasts.loc[i].to_dict(), str(i)) for i in contrasts.index]
        else:
            rows = [_row(result, contrasts.loc[i].to_numpy(), str(i)) for i in contrasts.index]
    elif isinstance(contrasts, Mapping):
        names = [str(k) for k in contrasts]
        rows = [_row(result, row, str(k)) for k, row in contrasts.items()]
    elif isinstance(contrasts, pd.Series):
        names, rows = ["1"], [_row(result, contrasts.to_dict(), "1")]
    elif isinstance(contrasts, np.ndarray | Sequence) and not isinstance(contrasts, str):
        items = list(contrasts)
        if items and all(
            isinstance(i, Sequence | np.ndarray) and not isinstance(i, str) for i in items
        ):
            names = [str(i + 1) for i in range(len(items))]
            rows = [_row(result, item, name) for item, name in zip(items, names, strict=True)]
            return _stack(rows, names)
        array = np.asarray(contrasts, dtype=object)
        if array.ndim == 1:
            array = array[None, :]
        if array.ndim != 2:
            raise ValueError(
                f"The contrasts must form a k x {p} table (one row per contrast, one column per "
                f"fixed effect: {list(result.params.index)}); got shape {array.shape}."
            )
        names = [str(i + 1) for i in range(len(array))]
        rows = [_row(result, array[i], names[i]) for i in range(len(array))]
    else:
        raise TypeError(
            f"contrasts must be an array, a list of rows, a DataFrame or a dict of named rows, "
            f"not {type(contrasts).__name__}."
        )
    return _stack(rows, names)


def _stack(rows: list[np.ndarray], names: list[str]) -> tuple[np.ndarray, list[str]]:
    if not rows:
        raise ValueError("No contrasts given: pass at least one row of weights.")
    return np.vstack(rows), names


# -- one-degree-of-freedom tests ------------------------------------------------------------------
def _one_row(result: LmerResult, lrow: np.ndarray, ddf: str, level: float) -> dict[str, float]:
    estimate = float(lrow @ result.params.to_numpy())
    if ddf == "Kenward-Roger":
        kr = kenward_roger(result)
        se = float(np.sqrt(lrow @ kr.phi_adj @ lrow))
        df, _ = kr_ddf(kr, lrow[None, :])
    else:
        se = float(np.sqrt(lrow @ result.vcov.to_numpy() @ lrow))
        df = float(inference.contrast_df(result, lrow[None, :])[0]) if ddf != "lme4" else np.nan
    t = estimate / se if se > 0 else np.nan
    if ddf == "lme4":
        return {"Estimate": estimate, "Std. Error": se, "t value": t}
    half = stats.t.ppf(1 - (1 - level) / 2, df) * se
    return {
        "Estimate": estimate,
        "Std. Error": se,
        "df": df,
        "t value": t,
        "lower": estimate - half,
        "upper": estimate + half,
        "Pr(>|t|)": float(2 * stats.t.sf(abs(t), df)),
    }


# -- joint tests ----------------------------------------------------------------------------------
def _full_rank(lmat: np.ndarray, vcov: np.ndarray) -> np.ndarray:
    """Rows spanning the same hypotheses with full rank (as lmerTest: the eigenvectors of
    L C L' with eigenvalues above sqrt(eps) times the largest)."""
    values, vectors = np.linalg.eigh(lmat @ vcov @ lmat.T)
    values, vectors = values[::-1], vectors[:, ::-1]
    keep = values > max(np.sqrt(np.finfo(float).eps) * values[0], 0)
    return (vectors.T @ lmat)[keep]


def _joint(result: LmerResult, lmat: np.ndarray, ddf: str) -> dict[str, float]:
    if ddf == "Satterthwaite":
        return inference.contest(result, lmat)
    beta = result.params.to_numpy()
    sigma2 = result.sigma**2
    if ddf == "lme4":
        reduced = _full_rank(lmat, result.vcov.to_numpy())
        q = len(reduced)
        lb = reduced @ beta
        f = float(lb @ np.linalg.solve(reduced @ result.vcov.to_numpy() @ reduced.T, lb) / q)
        return {"Sum Sq": f * sigma2 * q, "Mean Sq": f * sigma2, "NumDF": q, "F value": f}
    kr = kenward_roger(result)
    reduced = _full_rank(lmat, kr.phi)
    q = len(reduced)
    lb = reduced @ beta
    f_unscaled = float(lb @ np.linalg.solve(reduced @ kr.phi_adj @ reduced.T, lb) / q)
    den, scale = kr_ddf(kr, reduced)
    f = scale * f_unscaled
    # lmerTest reports the mean square of the unscaled statistic and the scaled F value
    return {
        "Sum Sq": f_unscaled * sigma2 * q,
        "Mean Sq": f_unscaled * sigma2,
        "NumDF": q,
        "DenDF": den,
        "F value": f,
        "Pr(>F)": float(stats.f.sf(f, q, den)),
    }


def contest(
    fit: LmerResult,
    L,
    joint: bool = True,
    ddf: str = "Satterthwaite",
    level: float = 0.95,
) -> pd.DataFrame:
    """Test contrasts of the fixed effects, as lmerTest's ``contest``.

    Parameters
    ----------
    fit : LmerResult
        A fit from :func:`hlmtutor.lmer`.
    L : array-like, DataFrame or dict
        The contrasts, one row each with one weight per fixed effect in the order of
        ``fit.params``: a 1-D array or list (one contrast), a 2-D array or list of rows, a
        DataFrame (columns named by coefficient, or in their order), or a dict of named rows;
        a row may itself be a dict of coefficient name -> weight (the others 0).
    joint : bool, default True
        True: one F-test of all rows together (lmerTest's ``contestMD``). False: one t-test per
        row (``contest1D``), with a confidence interval.
    ddf : {"Satterthwaite", "Kenward-Roger", "lme4"}
        The denominator df; "lme4" gives the statistics without df or p-values.
    level : float, default 0.95
        Confidence level of ``lower`` and ``upper`` (joint=False).

    Returns
    -------
    pandas.DataFrame
        joint=True: one row, columns ``Sum Sq``, ``Mean Sq``, ``NumDF``, ``DenDF``,
        ``F value``, ``Pr(>F)``. joint=False: one row per contrast (named by the dict keys or
        DataFrame index, else "1", "2", ...), columns ``Estimate``, ``Std. Error``, ``df``,
        ``t value``, ``lower``, ``upper``, ``Pr(>|t|)``.

    Notes
    -----
    ``t = l'b / sqrt(l'C l)``; ``F = (Lb)'(L C L')^-1 (Lb) / q`` over a full-rank version of L
    (rank q). Satterthwaite: C = vcov(b), ``df = 2 (l'Cl)^2 / g'Ag`` (lmerTest). Kenward-Roger:
    C = Phi_A, and F is multiplied by Kenward & Roger's scale lambda; ``Mean Sq`` is the
    unscaled F times sigma^2, as lmerTest reports it. Matches lmerTest's
    ``contest(model, L, joint, ddf)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmtutor import lmer, contest
    >>> data = pd.DataFrame({"y": [1.0, 2.1, 2.9, 4.2, 5.1, 5.8, 7.2, 8.1, 8.8, 10.3],
    ...                      "x": [0, 1, 2, 3, 4, 0, 1, 2, 3, 4],
    ...                      "g": ["a", "a", "b", "b", "c", "c", "d", "d", "e", "e"]})
    >>> fit = lmer("y ~ x + (1 | g)", data)
    >>> table = contest(fit, {"slope": {"x": 1}}, joint=False)
    >>> list(table.index), list(table.columns[:4])
    (['slope'], ['Estimate', 'Std. Error', 'df', 't value'])
    """
    _check_ddf(ddf)
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, e.g. 0.95, not {level!r}.")
    lmat, names = contrast_matrix(fit, L)
    if not joint:
        zero = [name for name, lrow in zip(names, lmat, strict=True) if not np.any(lrow)]
        if zero:
            raise ValueError(f"Contrast(s) {zero} have every weight 0: there is nothing to test.")
        rows = [_one_row(fit, lrow, ddf, level) for lrow in lmat]
        return pd.DataFrame(rows, index=pd.Index(names))
    if not np.any(lmat):
        raise ValueError("Every weight of the contrasts is 0: there is nothing to test.")
    table = pd.DataFrame([_joint(fit, lmat, ddf)], index=pd.Index(["1"]))
    if "NumDF" in table:
        table["NumDF"] = table["NumDF"].astype(int)
    return table


# -- coefficient table and anova ------------------------------------------------------------------
def coef_table(fit: LmerResult, ddf: str = "Satterthwaite") -> pd.DataFrame:
    """The coefficient table of lmerTest's ``summary(model, ddf = ddf)``.

    Parameters
    ----------
    fit : LmerResult
    ddf : {"Satterthwaite", "Kenward-Roger", "lme4"}

    Returns
    -------
    pandas.DataFrame
        Rows named by coefficient; columns ``Estimate``, ``Std. Error``, ``df``, ``t value``,
        ``Pr(>|t|)`` (``"lme4"``: ``Estimate``, ``Std. Error``, ``t value``).

    Notes
    -----
    Kenward-Roger: standard errors from the adjusted covariance Phi_A and pbkrtest's df of each
    unit contrast (``get_Lb_ddf``), as lmerTest's summary with ``ddf = "Kenward-Roger"``.
    ``fit.summary(ddf=ddf)`` prints the same table in lmerTest's summary (its ``coefficients``).

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmtutor import lmer, coef_table
    >>> data = pd.DataFrame({"y": [1.0, 2.1, 2.9, 4.2, 5.1, 5.8, 7.2, 8.1],
    ...                      "g": ["a", "a", "b", "b", "c", "c", "d", "d"]})
    >>> list(coef_table(lmer("y ~ 1 + (1 | g)", data), ddf="lme4").columns)
    ['Estimate', 'Std. Error', 't value']
    """
    _check_ddf(ddf)
    if ddf == "Satterthwaite":
        return fit.fixef.copy()
    p = len(fit.params)
    rows = [_one_row(fit, lrow, ddf, 0.95) for lrow in np.eye(p)]
    table = pd.DataFrame(rows, index=pd.Index(fit.params.index))
    keep = ["Estimate", "Std. Error", "t value"] if ddf == "lme4" else [
        "Estimate", "Std. Error", "df", "t value", "Pr(>|t|)"
    ]  # fmt: skip
    return table[keep]


TYPES = {1: "I", 2: "II", 3: "III", "I": "I", "II": "II", "III": "III"}


def _check_type(type) -> str:
    if isinstance(type, bool) or type not in TYPES:
        raise ValueError(f"type must be 1, 2 or 3 (or 'I', 'II', 'III'), not {type!r}.")
    return TYPES[type]


def type2_contrasts(fit: LmerResult) -> dict[str, np.ndarray]:
    """lmerTest's type II hypotheses: each term adjusted for every term that does not contain
    it (containment as lmerTest defines it: more variables, the same numeric ones).

    The hypothesis tested by ``R(F | X_0)`` in the full model is ``(M_0 X_F)' X b = 0``, with
    ``M_0`` the residual projection on the intercept and the terms not containing F.
    """
    frame = fit.frame
    labels = list(frame.x_term_labels)
    terms = list(frame.formula.fixed.terms)
    variables = frame.variables(frame.formula.fixed, frame.data)
    contained = inference._containment(terms, labels, variables)
    x = frame.X
    assign = np.asarray(frame.x_assign)
    out = {}
    for k, label in enumerate(labels):
        own = assign == k + 1
        others = [j + 1 for j, other in enumerate(labels) if other != label]
        others = [j for j in others if labels[j - 1] not in contained[label]]
        base = np.isin(assign, [0, *others])
        x_term = x[:, own]
        if base.any():
            x_term = inference._lstsq_resid(x[:, base], x_term)
        lmat = inference._zapsmall(x_term.T @ x)
        out[label] = lmat[np.sum(np.abs(lmat), axis=1) > 1e-8]
    return out


def anova_table(fit: LmerResult, ddf: str = "Satterthwaite", type=3) -> pd.DataFrame:
    """lmerTest's ``anova(model, type = type, ddf = ddf)``: F-tests of each fixed term.

    Parameters
    ----------
    fit : LmerResult
    ddf : {"Satterthwaite", "Kenward-Roger", "lme4"}
        "lme4": lme4's own ``anova(model)``, sequential whatever ``type`` says, without df.
    type : {3, 2, 1}, default 3
        The hypotheses (lmerTest's): 3 tests each term adjusted for all the others (with
        lmerTest's contrasts for terms inside interactions); 2 adjusts each term for the terms
        that do not contain it; 1 is sequential, in the formula's order.

    Returns
    -------
    pandas.DataFrame
        One row per term; columns ``Sum Sq``, ``Mean Sq``, ``NumDF``, ``DenDF``, ``F value``,
        ``Pr(>F)``; with ddf="lme4" ``npar``, ``Sum Sq``, ``Mean Sq``, ``F value``.
    """
    _check_ddf(ddf)
    roman = _check_type(type)
    if ddf == "lme4":
        return _lme4_anova(fit)
    if roman == "III" and ddf == "Satterthwaite":
        return inference.anova_type3(fit)
    contrasts = {
        "I": inference._type1_contrasts,
        "II": type2_contrasts,
        "III": inference.type3_contrasts,
    }[roman](fit)
    table = _term_tests(fit, contrasts, ddf)
    table.attrs["heading"] = f"Type {roman} Analysis of Variance Table with {ddf}'s method"
    return table


def _lme4_anova(fit: LmerResult) -> pd.DataFrame:
    """lme4's ``anova(model)``: sequential sums of squares of the effects ``R_X b``, with
    ``R_X' R_X = X' V^-1 X`` (``V`` relative to sigma^2), no df.

    Under the hypothesis that a term's coefficients (after the earlier terms) are 0, its
    effects are N(0, sigma^2): ``Sum Sq`` is their sum of squares, ``F = Mean Sq / sigma^2``.
    """
    sigma2 = fit.sigma**2
    vcov = fit.vcov.to_numpy()
    r_x = np.linalg.cholesky(sigma2 * np.linalg.inv(vcov)).T
    effects = r_x @ fit.params.to_numpy()
    assign = np.asarray(fit.frame.x_assign)
    rows = {}
    for k, term in enumerate(fit.frame.x_term_labels):
        columns = assign == k + 1
        npar = int(columns.sum())
        if not npar:  # lme4 lists only the terms with columns in X (none aliased away)
            continue
        ss = float(np.sum(effects[columns] ** 2))
        ms = ss / npar
        rows[term] = (npar, ss, ms, ms / sigma2)
    table = pd.DataFrame.from_dict(
        rows, orient="index", columns=["npar", "Sum Sq", "Mean Sq", "F value"]
    )
    table["npar"] = table["npar"].astype(int)
    table.attrs["heading"] = "Analysis of Variance Table"
    return table


def _term_tests(fit: LmerResult, contrasts: dict[str, np.ndarray], ddf: str) -> pd.DataFrame:
    rows = {}
    for term, lmat in contrasts.items():
        rows[term] = _joint(fit, lmat, ddf) if len(lmat) else dict.fromkeys(JOINT_COLUMNS, np.nan)
    return pd.DataFrame.from_dict(
        inference.aliased_last(rows), orient="index", columns=JOINT_COLUMNS
    )


def _marginal_terms(fit: LmerResult) -> list[str]:
    """Terms contained in no other term (R's ``drop.scope``): the ones that can be dropped."""
    terms = list(fit.frame.formula.fixed.terms)
    labels = list(fit.frame.x_term_labels)
    return [
        label
        for term, label in zip(terms, labels, strict=True)
        if not any(set(term) < set(other) for other in terms)
    ]


def drop1(fit: LmerResult, ddf: str = "Satterthwaite") -> pd.DataFrame:
    """F-tests of dropping each marginal fixed term, as lmerTest's ``drop1(model)``.

    Parameters
    ----------
    fit : LmerResult
    ddf : {"Satterthwaite", "Kenward-Roger"}

    Returns
    -------
    pandas.DataFrame
        One row per term that can be dropped (no higher-order term contains it); columns
        ``Sum Sq``, ``Mean Sq``, ``NumDF``, ``DenDF``, ``F value``, ``Pr(>F)``.

    Notes
    -----
    Each term is tested by the F-test of its type III contrasts (the hypothesis that dropping
    it leaves the fit unchanged), with the chosen denominator df.
    """
    if ddf not in ("Satterthwaite", "Kenward-Roger"):
        raise ValueError(f"ddf must be 'Satterthwaite' or 'Kenward-Roger', not {ddf!r}.")
    contrasts = inference.type3_contrasts(fit)
    marginal = _marginal_terms(fit)
    table = _term_tests(fit, {t: contrasts[t] for t in marginal}, ddf)
    table.attrs["heading"] = f"Single term deletions using {ddf}'s method"
    return table


# -- least-squares means ----------------------------------------------------------------------------
def _factor_levels(fit: LmerResult, term: str) -> tuple[list[str], dict]:
    frame = fit.frame
    variables = frame.variables(frame.formula.fixed, frame.data)
    labels = list(frame.x_term_labels)
    if term not in labels:
        raise ValueError(f"{term!r} is not a fixed term of this model; its terms are {labels}.")
    parts = frame.formula.fixed.terms[labels.index(term)]
    numeric = [v for v in parts if variables[v].codes is None]
    if numeric:
        raise ValueError(
            f"ls_means needs a term made of factors; {term!r} involves the numeric "
            f"variable(s) {numeric}."
        )
    return list(parts), variables


def _lsmeans_matrix(fit: LmerResult, term: str):
    """One row per level of ``term``: the average X row over a balanced grid of every factor of
    the fixed part, numeric variables at their means (lmerTest's reference grid)."""
    from .frame import _design, _Variable

    parts, variables = _factor_levels(fit, term)
    frame = fit.frame
    factors = [v for v, var in variables.items() if var.codes is not None]
    # R's expand.grid: the first factor varies fastest
    grids = list(product(*[range(len(variables[f].labels)) for f in reversed(factors)]))
    codes = {f: np.array([g[len(factors) - 1 - i] for g in grids]) for i, f in enumerate(factors)}
    n = len(grids)
    grid_vars = {}
    for name, var in variables.items():
        if var.codes is None:
            grid_vars[name] = _Variable(values=np.full(n, np.mean(var.values)))
        else:
            grid_vars[name] = _Variable(codes=codes[name], labels=var.labels)
    matrix, _, _ = _design(frame.formula.fixed, grid_vars, n, contrasts=frame.contrasts)
    x_grid = matrix[:, list(frame.kept_columns)]
    null = _null_space(frame, variables)
    term_levels = list(product(*[range(len(variables[f].labels)) for f in reversed(parts)]))
    rows, full_rows, names = [], [], []
    for combo in term_levels:
        combo = combo[::-1]
        mask = np.all([codes[f] == c for f, c in zip(parts, combo, strict=True)], axis=0)
        rows.append(x_grid[mask].mean(axis=0))
        full_rows.append(matrix[mask].mean(axis=0))
        names.append(tuple(variables[f].labels[c] for f, c in zip(parts, combo, strict=True)))
    return np.vstack(rows), np.vstack(full_rows), null, names


def _not_estimable_to_nan(lmat: np.ndarray, full: np.ndarray, null) -> np.ndarray:
    """Rows whose full-design contrast is not orthogonal to the null space of X become NaN
    (e.g. a mean over an empty cell of an aliased design; lmerTest reports NA)."""
    if null is None or len(lmat) == 0:
        return lmat
    scale = np.maximum(1.0, np.max(np.abs(full), axis=1))
    estimable = np.all(np.abs(full @ null) < ESTIMABLE_TOL * scale[:, None], axis=1)
    return np.where(estimable[:, None], lmat, np.nan)


ESTIMABLE_TOL = 1e-8


def _null_space(frame, variables) -> np.ndarray | None:
    """A basis of the null space of the full X (aliased columns included), or None when X has
    full rank: l'b is estimable iff l is orthogonal to it."""
    from .frame import _design

    if not frame.aliased:
        return None
    full, _, _ = _design(frame.formula.fixed, variables, len(frame.y), contrasts=frame.contrasts)
    _, singular, vt = np.linalg.svd(full, full_matrices=True)
    rank = int(np.sum(singular > singular[0] * max(full.shape) * np.finfo(float).eps))
    return vt[rank:].T


def _lsmeans_table(fit, lmat, row_names, term, levels, ddf, level) -> pd.DataFrame:
    estimable = ~np.isnan(lmat).any(axis=1)
    tested = contest(
        fit,
        dict(zip(np.array(row_names)[estimable], lmat[estimable], strict=True)),
        joint=False,
        ddf=ddf,
        level=level,
    ) if estimable.any() else pd.DataFrame(columns=ONE_COLUMNS)  # fmt: skip
    table = tested.reindex(row_names)
    table.insert(0, "levels", levels)
    table.insert(0, "term", term)
    return table


def ls_means(
    fit: LmerResult, term: str, ddf: str = "Satterthwaite", level: float = 0.95
) -> pd.DataFrame:
    """Least-squares means of a factor term, as lmerTest's ``ls_means(model, which = term)``.

    Parameters
    ----------
    fit : LmerResult
    term : str
        A fixed term made of factors, e.g. ``"recipe"`` or ``"recipe:temp"``.
    ddf : {"Satterthwaite", "Kenward-Roger"}
    level : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        One row per level (named e.g. ``recipeA``); columns ``term``, ``levels``, ``Estimate``,
        ``Std. Error``, ``df``, ``t value``, ``lower``, ``upper``, ``Pr(>|t|)``.

    Notes
    -----
    The mean of each level is l'b with l the average row of X over a balanced grid of all the
    factors of the fixed part, numeric variables at their means; tested as :func:`contest`
    with ``joint=False``. When X is rank deficient (an empty cell), a mean whose l is not
    orthogonal to the null space of X is not estimable: its row is NaN, as lmerTest's NA.
    """
    lmat, full, null, levels = _lsmeans_matrix(fit, term)
    lmat = _not_estimable_to_nan(lmat, full, null)
    parts = term.split(":")
    names = [":".join(f"{p}{lev}" for p, lev in zip(parts, combo, strict=True)) for combo in levels]
    return _lsmeans_table(fit, lmat, names, term, [":".join(c) for c in levels], ddf, level)


def difflsmeans(
    fit: LmerResult, term: str, ddf: str = "Satterthwaite", level: float = 0.95
) -> pd.DataFrame:
    """Pairwise differences of least-squares means, as lmerTest's ``difflsmeans``.

    Parameters
    ----------
    fit : LmerResult
    term : str
        A fixed term made of factors.
    ddf : {"Satterthwaite", "Kenward-Roger"}
    level : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        One row per pair of levels (named e.g. ``recipeA - recipeB``), columns as
        :func:`ls_means`.

    Notes
    -----
    Each difference is (l_i - l_j)'b with the rows of :func:`ls_means`; no adjustment for
    multiple comparisons (as lmerTest).
    """
    lmat, full, null, levels = _lsmeans_matrix(fit, term)
    parts = term.split(":")
    names = [":".join(f"{p}{lev}" for p, lev in zip(parts, combo, strict=True)) for combo in levels]
    pairs = list(combinations(range(len(levels)), 2))
    first, second = [i for i, _ in pairs], [j for _, j in pairs]
    diff = _not_estimable_to_nan(lmat[first] - lmat[second], full[first] - full[second], null)
    row_names = [f"{names[i]} - {names[j]}" for i, j in pairs]
    level_names = [f"{':'.join(levels[i])} - {':'.join(levels[j])}" for i, j in pairs]
    return _lsmeans_table(fit, diff, row_names, term, level_names, ddf, level)
