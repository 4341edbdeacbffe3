"""``lmer``: the pipeline formula -> model frame -> random-effects terms -> deviance -> optimum
-> result, with lme4's identifiability checks before the fit."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ._blas import single_threaded
from ._warn import warn
from .deviance import make_deviance
from .frame import ModelFrame, model_frame
from .optimize import OPTIMIZERS, optimize_theta
from .response import argument_name, expression_values, row_values, split_top, take_offsets
from .result import LmerResult
from .terms import ReTerms, build_terms

__all__ = ["lmer", "refit"]

CHECK_LEVELS = ("stop", "warning", "ignore")
NA_ACTIONS = ("omit", "exclude")


def subset_rows(data: pd.DataFrame, subset) -> tuple[pd.DataFrame, int, np.ndarray | None]:
    """The rows of ``data`` that ``subset`` keeps, how many it excludes (R's ``subset``), and
    the boolean mask (None without a subset) for arguments given one value per row.

    ``subset`` is a boolean Series aligned by index (every row of ``data`` must have a value),
    a boolean array with one value per row, or a query string evaluated on ``data``
    (``pandas.DataFrame.eval``, e.g. ``"Days >= 2 and Subject != '308'"``). A missing value in
    the mask excludes the row, as R's ``model.frame`` does with an NA in ``subset``.
    """
    if subset is None:
        return data, 0, None
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}.")
    if isinstance(subset, str):
        try:
            mask = data.eval(subset)
        except Exception as error:  # pandas raises many types for a bad expression
            raise ValueError(
                f"subset {subset!r} could not be evaluated on data ({type(error).__name__}: "
                f"{error}); write it as for DataFrame.query, e.g. \"x > 0 and g != 'a'\"."
            ) from None
        if not isinstance(mask, pd.Series):
            raise ValueError(f"subset {subset!r} must give one True/False per row of data.")
    elif isinstance(subset, pd.Series):
        missing = data.index.difference(subset.index)
        if len(missing):
            raise ValueError(
                f"The subset Series has no value for {len(missing)} row label(s) of data (e.g. "
                f"{list(missing[:3])}); it is aligned by index: build it from data, e.g. "
                "data['x'] > 0."
            )
        if not subset.index.is_unique:
            raise ValueError("The subset Series has repeated index labels; it is aligned by index.")
        mask = subset.reindex(data.index)
    else:
        values = np.asarray(subset)
        if values.ndim != 1 or len(values) != len(data):
            raise ValueError(
                f"subset must hold one True/False per row of data ({len(data)} rows), got shape "
                f"{values.shape}."
            )
        mask = pd.Series(values, index=data.index)
    kept = mask.astype("boolean") if mask.dtype == object else mask
    if not (pd.api.types.is_bool_dtype(kept)):
        raise TypeError(
            f"subset must be True/False per row (R's logical subset), not {mask.dtype}; compare "
            "a column, e.g. data['x'] > 0."
        )
    keep = kept.fillna(False).to_numpy(dtype=bool)
    return data[keep], int((~keep).sum()), keep


def subset_argument(values, keep: np.ndarray | None):
    """A per-row argument (weights=, offset=) cut to the rows subset= keeps; a column name is
    looked up later in the subset data, so it stays as it is."""
    if values is None or keep is None or isinstance(values, str):
        return values
    if isinstance(values, pd.Series):
        return values.iloc[np.flatnonzero(keep)] if len(values) == len(keep) else values
    array = np.asarray(values)
    return array.ravel()[keep] if array.size == len(keep) else values


def _identifiability(frame: ModelFrame, reterms: ReTerms, checks: str) -> list[str]:
    """lme4's checkNlevels and checkZdims: grouping factors and random effects vs observations."""
    n = len(frame.y)
    problems = []
    few = [name for name, nlev in reterms.ngroups().items() if nlev < 2]
    if few:
        raise ValueError(
            f"The grouping factor(s) {', '.join(few)} have fewer than 2 levels in the data used "
            "(lme4: grouping factors must have > 1 sampled level); a random effect needs "
            "several groups."
        )
    too_many = [name for name, nlev in reterms.ngroups().items() if nlev >= n]
    if too_many:
        problems.append(
            "number of levels of each grouping factor must be < number of observations "
            f"(problems: {', '.join(too_many)}): with one observation per group the group "
            "variance and the residual variance cannot be told apart"
        )
    for term in reterms.terms:
        n_re = term.nlev * term.q
        if n <= n_re:
            problems.append(
                f"number of observations (={n}) <= number of random effects (={n_re}) for term "
                f"({term.label}); the random-effects parameters and the residual variance (or "
                "scale parameter) are probably unidentifiable"
            )
    n_params = frame.X.shape[1] + reterms.n_theta + 1
    if n <= n_params:
        problems.append(
            f"{n} complete rows cannot fit {n_params} parameters ({frame.X.shape[1]} fixed "
            f"effects, {reterms.n_theta} random-effect parameters and the residual variance)"
        )
    problems = list(dict.fromkeys(problems))
    if problems and checks == "stop":
        raise ValueError(
            problems[0]
            + ". Use fewer random effects or more data; to fit anyway pass checks='warning' "
            "(lme4: lmerControl(check.nobs.vs.nlev = 'warning', check.nobs.vs.nRE = 'warning'))."
        )
    return problems if checks == "warning" else []


def intercept_start(y: np.ndarray, reterms: ReTerms) -> np.ndarray:
    """lme4's start for a model whose random terms are all ``(1 | f)``: from the data.

    With ``v_k = var(ave(y, f_k))`` the variance of the group means of term k, and
    ``v_e = var(y) - sum_k v_k``, term k starts at ``sqrt(v_k / v_e)`` (lme4 >= 1.1-8's "better
    starting values"). For one term ``v_e = var(y - ave(y, f))``, the variance within groups.
    Where ``v_e <= 0`` (terms nested in one another, as ``(1 | batch/cask)``) every term starts
    at lme4's 1, as do models with any other random term (1 on the diagonals of theta, 0
    elsewhere). The response is y itself: weights, offset and fixed effects play no part.

    Found by observation, matching ``environment(lmer(..., devFunOnly = TRUE))$pp$theta`` to
    1e-12 on balanced and unbalanced, crossed and nested designs with two and three terms, with
    and without weights and fixed effects (``tests/reference/starts.R``).
    """
    terms = reterms.terms
    if any(t.column_names != ("(Intercept)",) for t in terms):
        return reterms.start
    between = []
    for term in terms:
        counts = np.bincount(term.codes, minlength=term.nlev)
        sums = np.bincount(term.codes, weights=y, minlength=term.nlev)
        with np.errstate(invalid="ignore", divide="ignore"):
            between.append(float(np.var((sums / counts)[term.codes])))
    within = float(np.var(y)) - sum(between)
    if not within > 0:
        return reterms.start
    values = np.sqrt(np.array(between) / within)
    return values if np.all(np.isfinite(values)) and np.all(values > 0) else reterms.start


def _start(start, reterms: ReTerms, y: np.ndarray) -> np.ndarray:
    if start is None:
        return intercept_start(y, reterms)
    values = np.asarray(start, dtype=float)
    if values.shape != (reterms.n_theta,):
        raise ValueError(
            f"start must hold {reterms.n_theta} theta values in lme4's order "
            f"({', '.join(reterms.theta_names())}), got {start!r}."
        )
    return values


def _y_less_offset(y: np.ndarray, offset: np.ndarray | None) -> np.ndarray:
    return y if offset is None else y - offset


def _frame_with_response_side(formula: str, data, weights, offset, contrasts=None):
    """The model frame of ``formula`` without its offset() terms, the prior weights and the
    whole offset (offset() terms plus ``offset=``) on its rows, and the ``offset=`` argument
    alone on its rows (each None when not given). Rows with a missing weight or offset are
    dropped with the frame's other incomplete rows, and counted with them."""
    if (
        not isinstance(formula, str)
        or weights is None
        and offset is None
        and "offset(" not in formula
    ):
        return model_frame(formula, data, contrasts), None, None, None
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}.")
    pieces = split_top(formula, "~")
    rhs, offset_terms = take_offsets("~".join(pieces[1:]))
    inner = f"{pieces[0]}~{rhs}"
    w = row_values(weights, data, "weights") if weights is not None else None
    if w is not None and np.any(w[~np.isnan(w)] < 0):
        raise ValueError(
            "weights must be >= 0 (lme4: all(weights >= 0)); a negative weight has no meaning "
            "as an inverse variance."
        )
    off = argument_offset = None
    if offset is not None or offset_terms:
        off = row_values(offset, data, "offset")
        argument_offset = off.copy() if offset is not None else None
        for expression in offset_terms:
            off = off + expression_values(expression, data).to_numpy(dtype=float)
    missing = np.zeros(len(data), dtype=bool)
    for values in (w, off):
        if values is not None:
            missing |= np.isnan(values)
    frame = model_frame(inner, data[~missing] if missing.any() else data, contrasts)
    frame = replace(frame, formula=replace(frame.formula, text=formula))
    if missing.any():
        dropped = int(missing.sum())
        frame = replace(
            frame,
            n_dropped=frame.n_dropped + dropped,
            messages=(
                f"{dropped} row(s) with a missing weight or offset dropped (as lme4's na.omit "
                "does)",
                *frame.messages,
            ),
        )
    kept = data.index.get_indexer(frame.data.index) if data.index.is_unique else None
    if kept is None:
        raise ValueError(
            "weights=/offset= need data with unique row labels (use data.reset_index(drop=True))."
        )
    take = lambda values: None if values is None else values[kept]  # noqa: E731
    return frame, take(w), take(off), take(argument_offset)


def _warn_binary_outcome(frame) -> None:
    """lmer on a 0/1 outcome fits a linear probability model: say so, and point to glmer."""
    values = np.unique(frame.y)
    if len(values) <= 2 and set(values.tolist()) <= {0.0, 1.0}:
        warn(
            f"The outcome {frame.formula.response!r} takes only the values 0 and 1: lmer() fits "
            "a linear probability model (fitted values can fall outside [0, 1]). For a binary "
            "outcome use glmer(formula, data, family='binomial')."
        )


@single_threaded
def lmer(
    formula: str,
    data: pd.DataFrame,
    REML: bool = True,
    *,
    optimizer: str | None = "bobyqa",
    start=None,
    checks: str = "stop",
    correlation=None,
    variance=None,
    weights=None,
    offset=None,
    subset=None,
    contrasts: dict[str, str] | None = None,
    na_action: str = "omit",
) -> LmerResult:
    """Fit a linear mixed model as lme4's ``lmer`` does, with lmerTest's t-tests.

    Parameters
    ----------
    formula : str
        lme4 syntax: ``y ~ x + (1 + x | school) + (1 | school:class)``; ``(1 | a/b)`` for
        ``b`` nested in ``a``; ``(x || g)`` for uncorrelated effects; ``I(x^2)``, ``log(x)``
        and ``factor(x)`` in the fixed part.
    data : pandas.DataFrame
        Rows with a missing value in a column the formula uses are dropped (a ``UserWarning``
        says how many, and which groups vanished with them).
    REML : bool, default True
        Restricted maximum likelihood (lme4's default) or maximum likelihood (False).
    optimizer : {"bobyqa", "nelder-mead", "powell", "lbfgsb"} or None, default "bobyqa"
        "bobyqa" is lme4's default (NLopt's BOBYQA with lme4's settings); the others are
        scipy's. None fits nothing: the model is evaluated at ``start`` (for instance lme4's
        ``getME(m, "theta")``, to compare every other number with R's at the same point).
    start : array-like, optional
        Initial theta in lme4's order; default as lme4: for one ``(1 | f)`` term the SD of
        the group means of y over the SD within groups, otherwise 1 on the diagonals and 0
        elsewhere.
    checks : {"stop", "warning", "ignore"}, default "stop"
        lme4's identifiability checks (``check.nobs.vs.nlev``, ``check.nobs.vs.nRE``): a
        grouping factor with as many levels as observations, or more random effects than
        observations, is an error; "warning" fits anyway with a warning, "ignore" silently.
    correlation : CorAR1 or CorCAR1, optional
        nlme's residual correlation within the innermost grouping factor:
        :func:`~hlmtutor.lmm.residual.cor_ar1` or :func:`~hlmtutor.lmm.residual.cor_car1`
        (nlme's ``lme(..., correlation = corAR1(...))``). The fit is then a
        ``StructuredLmerResult``.
    variance : VarIdent, optional
        A residual SD per stratum, :func:`~hlmtutor.lmm.residual.var_ident` (nlme's
        ``weights = varIdent()``).
        With either structure, ``start`` (if given) holds theta followed by the structure's
        parameters on nlme's unconstrained scale.
    weights : array-like, pandas.Series or column name, optional
        Prior weights (lme4's ``weights``): row i has residual variance sigma^2 / w_i. Rows
        with a missing weight are dropped; negative weights are an error.
    offset : array-like, pandas.Series or column name, optional
        A known part of the linear predictor (lme4's ``offset``), added to any
        ``offset(expr)`` terms of the formula; fitted values include it.
    subset : pandas.Series, array-like or str, optional
        The rows to fit (R's ``subset``): a boolean Series aligned by index, a boolean array
        (one value per row) or a query string such as ``"Days >= 2"``. Rows are excluded
        before missing values are handled; ``n_excluded`` counts them.
    contrasts : dict, optional
        Column (or factor expression) -> ``"contr.treatment"`` (default; ``"contr.poly"`` for
        an ordered categorical, as R's default for an ordered factor), ``"contr.sum"``,
        ``"contr.helmert"`` or ``"contr.poly"``, the coding of that factor in the fixed part
        (R's ``contrasts = list(f = "contr.sum")``), with R's column names (``f1``, ``f.L``).
    na_action : {"omit", "exclude"}, default "omit"
        Rows with missing values are dropped either way; with "exclude" (R's
        ``na.exclude``) ``fitted()``, ``resid()`` and ``predict()`` are padded with NaN to
        the rows of ``data`` (after ``subset``).

    Returns
    -------
    LmerResult

    Notes
    -----
    With ``L L' = Lambda'Z'Z Lambda + I``, lme4 minimises over theta the profiled

    REML: ``log|L|^2 + log|R_X|^2 + (n - p)(1 + log(2 pi pwrss / (n - p)))``

    ML: ``log|L|^2 + n (1 + log(2 pi pwrss / n))``

    (Bates et al. 2015). t-tests use Satterthwaite's df as lmerTest's ``summary()``
    (``fit.summary(ddf="Kenward-Roger")`` and ``ddf="lme4"`` give lmerTest's other tables).
    Matches R's ``lmerTest::lmer(formula, data, REML)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmtutor import lmer
    >>> data = pd.DataFrame({"y": [1.0, 2.1, 2.9, 4.2, 5.1, 5.8, 7.2, 8.1],
    ...                      "g": ["a", "a", "b", "b", "c", "c", "d", "d"]})
    >>> fit = lmer("y ~ 1 + (1 | g)", data)
    >>> round(float(fit.params["(Intercept)"]), 3)
    4.55
    """
    if not isinstance(REML, bool | np.bool_):
        raise TypeError(
            f"REML must be True (restricted maximum likelihood) or False (maximum likelihood), "
            f"not {REML!r}."
        )
    if optimizer is not None and optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS} or None, not {optimizer!r}.")
    if optimizer is None and start is None:
        raise ValueError("optimizer=None evaluates the model at start: pass start=theta.")
    if checks not in CHECK_LEVELS:
        raise ValueError(f"checks must be one of {CHECK_LEVELS}, not {checks!r}.")
    if na_action not in NA_ACTIONS:
        raise ValueError(
            f"na_action must be 'omit' (R's na.omit) or 'exclude' (na.exclude: fitted values "
            f"and residuals padded with NaN), not {na_action!r}."
        )
    data, n_excluded, keep = subset_rows(data, subset)
    weights, offset = subset_argument(weights, keep), subset_argument(offset, keep)
    if correlation is not None or variance is not None:  # nlme's residual structures
        if contrasts or na_action != "omit":
            raise ValueError(
                "contrasts= and na_action='exclude' cannot be combined with correlation= or "
                "variance= yet."
            )
        if weights is not None or offset is not None:
            raise ValueError(
                "weights= and offset= cannot be combined with correlation= or variance= yet: "
                "fit the residual structure without them, or drop the structure to use them."
            )
        from .structured import lmer_structured

        return lmer_structured(
            formula, data, REML, correlation=correlation, variance=variance,
            optimizer=optimizer, start=start, checks=checks,
        )  # fmt: skip
    frame, prior_weights, offset_values, argument_offset = _frame_with_response_side(
        formula, data, weights, offset, contrasts
    )
    for message in frame.messages:
        warn(message)
    labels = [t.label for t in frame.formula.random]
    reterms = build_terms(frame.random, labels)
    for problem in _identifiability(frame, reterms, checks):
        warn(problem)
    _warn_binary_outcome(frame)
    # lme4 fits a model without fixed effects by ML: REML and ML coincide when p = 0.
    reml = bool(REML) and frame.X.shape[1] > 0
    deviance = make_deviance(_y_less_offset(frame.y, offset_values), frame.X, reterms, reml,
                             weights=prior_weights)  # fmt: skip
    optimum = optimize_theta(
        deviance, _start(start, reterms, frame.y), reterms.lower, optimizer, reterms.theta_scales()
    )
    result = LmerResult(
        formula=formula,
        REML=reml,
        frame=frame,
        reterms=reterms,
        deviance_function=deviance,
        optimum=optimum,
        prior_weights=prior_weights,
        offset=offset_values,
        weights_name=argument_name(weights, "weights"),
        offset_name=argument_name(offset, "offset"),
        offset_argument=argument_offset,
        n_excluded=n_excluded,
        na_action=na_action,
        padded_index=data.index if na_action == "exclude" else None,
    )
    for message in (*optimum.messages, *result.identification_notes):
        warn(message)
    return result


@single_threaded
def refit(result: LmerResult, reml: bool) -> LmerResult:
    """The same model on the same rows, refitted by REML or ML (lme4's ``refitML``)."""
    y = _y_less_offset(result.frame.y, result.offset)
    deviance = make_deviance(y, result.frame.X, result.reterms, reml, weights=result.prior_weights)
    reterms = result.reterms
    # A fit evaluated at a given theta (optimizer=None) is refitted with lme4's optimizer:
    # the other criterion's optimum is elsewhere.
    method = result.optimizer if result.optimizer is not None else "bobyqa"
    # lme4's refitML starts from the fitted theta (a REML optimum is close to the ML one).
    start = np.maximum(result.theta, reterms.lower)
    optimum = optimize_theta(deviance, start, reterms.lower, method, reterms.theta_scales())
    return replace(result, REML=reml, deviance_function=deviance, optimum=optimum)
