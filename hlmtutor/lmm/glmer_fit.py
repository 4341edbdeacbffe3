"""``glmer``: the response forms, lme4's checks, the two optimisation stages, the result."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd

from ._blas import single_threaded
from ._warn import warn
from .family import make_family
from .fit import CHECK_LEVELS
from .frame import factor_levels, model_frame
from .glmer_result import GlmerResult
from .glmm import GlmmDeviance
from .optimize import (
    GLMER_RULES,
    SINGULAR_MESSAGE,
    START_ONLY,
    BobyqaSettings,
    Optimum,
    minimize,
    minqa_settings,
)
from .response import argument_name, expression_values, row_values, split_top, take_offsets
from .terms import build_terms

__all__ = ["glmer", "refit"]

SCALE_MESSAGE = "Some predictor variables are on very different scales: consider rescaling"
# lme4's singular-fit words, pointing to the Python help of the glmer result (R's is no use here)
GLMER_SINGULAR_MESSAGE = SINGULAR_MESSAGE.replace("LmerResult", "GlmerResult")


def _counts(series: pd.Series, what: str) -> np.ndarray:
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & series.notna().to_numpy()
    if bad.any():
        raise TypeError(f"{what} {series.name!r} must hold counts (numbers).")
    finite = values[~np.isnan(values)]
    if np.any(finite < 0):
        raise ValueError(
            f"{what} {series.name!r} has negative values ({finite[finite < 0][:3].tolist()}); "
            "counts must be 0 or more."
        )
    if np.any(np.abs(finite - np.round(finite)) > 1e-8):
        raise ValueError(
            f"{what} {series.name!r} has non-integer values; counts are whole numbers."
        )
    return values


def _binary(series: pd.Series, name: str) -> tuple[np.ndarray, str, tuple]:
    """0/1 from a boolean, a two-level text/categorical column, or 0/1 (or proportion)
    numbers; with the response's kind ("bool", "factor", "numeric") and a factor's levels."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype(float).to_numpy(), "bool", ()
    numeric = pd.api.types.is_numeric_dtype(series) and not isinstance(
        series.dtype, pd.CategoricalDtype
    )
    if numeric:
        return series.to_numpy(dtype=float), "numeric", ()
    levels = (
        factor_levels(series.dropna())
        if not isinstance(series.dtype, pd.CategoricalDtype)
        else [c for c in series.cat.categories if (series == c).any()]
    )
    if len(levels) != 2:
        raise ValueError(
            f"The outcome {name!r} has {len(levels)} levels ({list(levels)[:6]}); a binomial "
            "glmer needs two (the first is 'failure', as R's factor). Recode it to two levels, "
            "or model counts with cbind(successes, failures)."
        )
    out = np.where(series.isna(), np.nan, (series == levels[1]).astype(float))
    return out.astype(float), "factor", tuple(levels)


def _response(lhs: str, data: pd.DataFrame, family: str, user_w: np.ndarray):
    """(y, prior weights, kind, labels) on every row of data (NaN where missing).

    kind is how simulate() returns draws, as lme4: "cbind" (labels: the successes' and the
    failures' expressions), "factor" (labels: the two levels), "bool" or "numeric"."""
    lhs = lhs.strip()
    match = re.fullmatch(r"cbind\((.*)\)", lhs, flags=re.S)
    if match:
        if family != "binomial":
            raise ValueError(
                "cbind(successes, failures) is a binomial response; use family='binomial'."
            )
        parts = split_top(match.group(1), ",")
        if len(parts) != 2:
            raise ValueError(f"{lhs!r}: cbind() takes two columns, successes and failures.")
        s = _counts(expression_values(parts[0], data).rename(parts[0].strip()), "The successes")
        f = _counts(expression_values(parts[1], data).rename(parts[1].strip()), "The failures")
        trials = s + f
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.where(trials > 0, s / trials, 0.0)
        y[np.isnan(trials)] = np.nan
        return y, user_w * trials, "cbind", (parts[0].strip(), parts[1].strip())
    series = expression_values(lhs, data).rename(lhs)
    if family == "poisson":
        if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
            raise TypeError(f"The outcome {lhs!r} of a Poisson glmer must be counts (numbers).")
        return _counts(series, "The outcome"), user_w.copy(), "numeric", ()
    y, kind, levels = _binary(series, lhs)
    finite = y[~np.isnan(y)]
    if np.any((finite < 0) | (finite > 1)):
        raise ValueError(
            f"The outcome {lhs!r} has values outside [0, 1]; a binomial glmer takes 0/1, "
            "a proportion with weights= (the trials), or cbind(successes, failures)."
        )
    fractional = np.any((finite > 0) & (finite < 1))
    if fractional:
        successes = finite * user_w[~np.isnan(y)]
        if np.any(np.abs(successes - np.round(successes)) > 1e-3):
            raise ValueError(
                f"The outcome {lhs!r} holds proportions but proportion x weights is not a whole "
                "number of successes: pass weights= the number of trials (or use cbind)."
            )
    return y, user_w.copy(), kind, levels


def _scale_check(x: np.ndarray) -> list[str]:
    """lme4's check.scaleX: column SDs differing by a factor over 1000 (intercept ignored)."""
    sds = [np.std(x[:, j]) for j in range(x.shape[1]) if np.ptp(x[:, j]) > 0]
    if len(sds) > 1 and max(sds) / min(sds) > 1000:
        return [SCALE_MESSAGE]
    return []


@single_threaded
def glmer(
    formula: str,
    data: pd.DataFrame,
    family: str = "binomial",
    link: str | None = None,
    nAGQ: int = 1,
    weights=None,
    offset=None,
    *,
    start=None,
    optimizer: str | None = "default",
    checks: str = "stop",
    subset=None,
) -> GlmerResult:
    """Fit a generalised linear mixed model as lme4's ``glmer`` does.

    Parameters
    ----------
    formula : str
        lme4 syntax, plus ``cbind(successes, failures) ~ ...`` and ``offset(expr)`` terms.
    data : pandas.DataFrame
    family : {"binomial", "poisson"}
    link : {"logit", "probit", "cloglog"} for binomial, "log" for Poisson; default the first.
    nAGQ : int, default 1
        1 Laplace; > 1 adaptive Gauss-Hermite (one scalar random-effects term only); 0 theta
        optimised with beta from PIRLS.
    weights : array-like or column name, optional
        Prior weights (for a proportion outcome, the number of trials).
    offset : array-like or column name, optional
        Added to the linear predictor (with any ``offset()`` terms).
    start : dict or array-like, optional
        ``{"theta": ..., "fixef": ...}`` or theta alone.
    optimizer : "default" or None
        "default": lme4's two stages (BOBYQA over theta with nAGQ = 0, then over
        (theta, beta)). None evaluates the model at ``start`` (theta and fixef) without
        optimising; the result's ``optimizer`` is then None.
    checks : {"stop", "warning", "ignore"}
        lme4's identifiability checks.
    subset : pandas.Series, array-like or str, optional
        The rows to fit, as in :func:`hlmtutor.lmer` (R's ``subset``); array weights and
        offsets are given for every row of ``data`` and cut with it.

    Returns
    -------
    GlmerResult

    Notes
    -----
    The criterion is lme4's Laplace deviance ``-2 log f(y | u) + |u|^2 + log|L|^2`` at the
    conditional mode u found by PIRLS (see :mod:`hlmtutor.lmm.glmm`). Matches R's
    ``lme4::glmer(formula, data, family, nAGQ)``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from hlmtutor import glmer
    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(30), 20)
    >>> x = rng.normal(size=600)
    >>> y = rng.random(600) < 1 / (1 + np.exp(-(0.5 * x + rng.normal(0, 1, 30)[g])))
    >>> fit = glmer("y ~ x + (1 | g)", pd.DataFrame({"y": y, "x": x, "g": g}))
    >>> list(fit.fixef.columns)
    ['Estimate', 'Std. Error', 'z value', 'Pr(>|z|)']
    """
    fam = make_family(family, link)
    if not isinstance(nAGQ, int | np.integer) or nAGQ < 0:
        raise ValueError(f"nAGQ must be a whole number >= 0, not {nAGQ!r}.")
    if not isinstance(formula, str) or "~" not in formula:
        raise ValueError(f"formula must be a string such as 'y ~ x + (1 | g)', not {formula!r}.")
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}.")
    from .fit import subset_argument, subset_rows

    data, _, keep = subset_rows(data, subset)
    weights, offset = subset_argument(weights, keep), subset_argument(offset, keep)
    lhs, rhs = split_top(formula, "~")[0], "~".join(split_top(formula, "~")[1:])
    rhs, offset_exprs = take_offsets(rhs)
    original_index = data.index
    data = data.reset_index(drop=True)
    user_w = row_values(weights, data, "weights")
    if np.any(user_w[~np.isnan(user_w)] < 0):
        raise ValueError("weights must be non-negative.")
    offset_argument = row_values(offset, data, "offset")
    off = offset_argument
    for expression in offset_exprs:
        off = off + expression_values(expression, data).to_numpy(dtype=float)
    y_all, pw_all, response_kind, response_labels = _response(lhs, data, family, user_w)
    response_name = ".glmer_response"
    frame_data = data.copy()
    # Rows with a missing response, weight or offset are dropped with the model frame's rows.
    y_frame = np.where(np.isnan(pw_all) | np.isnan(off), np.nan, y_all)
    frame_data[response_name] = y_frame
    inner = f"{response_name} ~ {rhs}"
    try:
        frame = model_frame(inner, frame_data)
    except KeyError as error:  # name the user's formula and columns, not the internal ones
        text = str(error.args[0]).replace(repr(inner), repr(formula))
        raise KeyError(text.replace(f", {response_name}.", ".")) from None
    for message in frame.messages:
        warn(message.replace(response_name, lhs.strip()))
    rows = frame.data.index.to_numpy()
    y, pw, off = y_all[rows], pw_all[rows], off[rows]
    labels = [t.label for t in frame.formula.random]
    reterms = build_terms(frame.random, labels)
    for problem in _glmer_identifiability(len(y), reterms, checks):
        warn(problem)
    if nAGQ > 1 and not (len(reterms.terms) == 1 and reterms.terms[0].q == 1):
        raise ValueError(
            f"nAGQ = {nAGQ} (adaptive Gauss-Hermite) needs a single scalar random-effects term "
            "such as (1 | g); this model has "
            f"{', '.join('(' + t.label + ')' for t in reterms.terms)}. Use nAGQ=1 (Laplace)."
        )
    messages = [m.replace(response_name, lhs.strip()) for m in frame.messages]
    scale_msgs = _scale_check(frame.X)
    for message in scale_msgs:
        warn(message)
    dev = GlmmDeviance(y, pw, off, frame.X, reterms, fam, nagq=max(int(nAGQ), 1))
    optimum = _optimize(dev, reterms, nAGQ, start, optimizer)
    result = GlmerResult(
        formula=formula,
        lhs=lhs.strip(),
        family_object=fam,
        nAGQ=int(nAGQ),
        frame=frame,
        reterms=reterms,
        deviance_function=dev,
        optimum=optimum,
        row_index=original_index[rows],
        fit_messages=tuple(messages + scale_msgs),
        weights_name=argument_name(weights, "weights"),
        offset_name=argument_name(offset, "offset"),
        response_kind=response_kind,
        response_labels=response_labels,
        # what update() refits with: the rows fitted (every column) and the arguments given
        # per row, cut to those rows; a column name stays a name, looked up in the data again
        call_data=data.iloc[rows].set_axis(original_index[rows]),
        call_weights=_argument_on_rows(weights, user_w, rows),
        call_offset=_argument_on_rows(offset, offset_argument, rows),
    )
    for message in optimum.messages:
        warn(message)
    return result


def _argument_on_rows(argument, values: np.ndarray, rows: np.ndarray):
    """A weights=/offset= argument as update() passes it again: None, a column name, or its
    values on the fitted rows."""
    if argument is None or isinstance(argument, str):
        return argument
    return values[rows]


def _glmer_identifiability(n: int, reterms, checks: str) -> list[str]:
    """lme4's checks with glmer's ``allow.n = TRUE``: a grouping factor may have one level per
    observation (an observation-level random effect), but random effects must not outnumber
    the observations (glmerControl's check.nobs.vs.nlev and check.nobs.vs.nRE)."""
    if checks not in CHECK_LEVELS:
        raise ValueError(f"checks must be one of {CHECK_LEVELS}, not {checks!r}.")
    problems = []
    for name, nlev in reterms.ngroups().items():
        if nlev > n:
            problems.append(
                f"number of levels of each grouping factor must be <= number of observations "
                f"(problems: {name})"
            )
    for term in reterms.terms:
        n_re = term.nlev * term.q
        if n < n_re:
            problems.append(
                f"number of observations (={n}) < number of random effects (={n_re}) for term "
                f"({term.label}); the random-effects parameters are probably unidentifiable"
            )
    if problems and checks == "stop":
        raise ValueError(
            problems[0] + ". Use fewer random effects or more data; to fit anyway pass "
            "checks='warning' (lme4: glmerControl(check.nobs.vs.nRE = 'warning'))."
        )
    return problems if checks == "warning" else []


def _startexpression_values(start, reterms, p):
    if start is None:
        return None, None
    if isinstance(start, dict):
        theta = start.get("theta")
        beta = start.get("fixef")
    else:
        theta, beta = start, None
    theta = None if theta is None else np.asarray(theta, dtype=float)
    if theta is not None and theta.shape != (reterms.n_theta,):
        raise ValueError(
            f"start theta must hold {reterms.n_theta} values ({reterms.theta_names()})."
        )
    beta = None if beta is None else np.asarray(beta, dtype=float)
    if beta is not None and beta.shape != (p,):
        raise ValueError(f"start fixef must hold {p} values.")
    return theta, beta


def _stage1(dev: GlmmDeviance, theta_start: np.ndarray, lower: np.ndarray, rules) -> Optimum:
    """lme4's first stage: nAGQ = 0 over theta with BOBYQA; leaves lp0 set for stage 2.

    With minqa's bobyqa settings as lme4 calls it (:func:`~hlmtutor.lmm.optimize.minqa_settings`).
    For nAGQ >= 1 stage 1 only finds a start and lp0 for stage 2 (``START_ONLY``: the run
    alone), which then optimises over all parameters; for nAGQ = 0 it is the fit (glmer's
    checks follow).
    """
    dev.reset(theta_start)
    optimum = minimize(
        dev.nagq0, theta_start, lower, "bobyqa", n_theta=len(theta_start),
        settings=minqa_settings(theta_start), rules=rules,
        singular_message=GLMER_SINGULAR_MESSAGE,
    )  # fmt: skip
    at_optimum = dev.last_state is not None and np.array_equal(dev.last_state.theta, optimum.params)
    if not at_optimum:  # the state at the optimum, as lme4's last evaluation leaves it
        dev.nagq0(optimum.params)
    dev.lp0 = dev.last_state.eta
    return optimum


def _stage2_settings(theta1: np.ndarray, se: np.ndarray) -> BobyqaSettings:
    """glmer's second-stage BOBYQA: tight stopping rules (``ftol_abs = 1e-10``, ``xtol_rel =
    1e-9``) and first trust-region steps of 0.05 for theta, which is near stage 1's optimum
    already (0.05 took fewer evaluations than 0.1 on every model of benchmarks/glmer.py and
    sim_rates, cbpp), and half a standard error for beta."""
    steps = np.r_[np.full(len(theta1), 0.05), np.where(se > 0, 0.5 * se, 0.1)]
    return BobyqaSettings(xtol_abs=0.0, ftol_abs=1e-10, xtol_rel=1e-9, initial_step=tuple(steps))


def _optimize(dev: GlmmDeviance, reterms, nagq: int, start, optimizer) -> Optimum:
    """lme4's two stages through :func:`~hlmtutor.lmm.optimize.minimize`, with glmer's rules
    (no restart_edge, ``boundary.tol``, checkConv, a Newton step kept on a clear gain); the
    returned optimum carries the PIRLS state at its parameters."""
    lower_theta = reterms.lower
    k = len(lower_theta)
    theta0, beta0 = _startexpression_values(start, reterms, dev.p)
    if optimizer not in ("default", None):
        raise ValueError(f"optimizer must be 'default' or None, not {optimizer!r}.")
    if optimizer is None and (theta0 is None or (nagq > 0 and beta0 is None)):
        raise ValueError(
            "optimizer=None evaluates the model at start: pass start={'theta': ..., "
            "'fixef': ...} (theta alone for nAGQ=0)."
        )
    theta_start = reterms.start if (theta0 is None or optimizer is None) else theta0
    # stage 1 runs for optimizer=None too (unchecked): it sets lp0, where stage 2's PIRLS starts
    fitted_by_stage1 = nagq == 0 and optimizer is not None
    stage1 = _stage1(dev, theta_start, lower_theta, GLMER_RULES if fitted_by_stage1 else START_ONLY)
    fn = dev.nagq0 if nagq == 0 else dev
    rules = replace(GLMER_RULES, derivatives_when_singular=nagq > 0)
    if optimizer is None:
        params = theta0 if nagq == 0 else np.r_[theta0, beta0]
        lower = np.r_[lower_theta, np.full(len(params) - k, -np.inf)]
        optimum = minimize(fn, params, lower, None, n_theta=k, rules=rules,
                           singular_message=GLMER_SINGULAR_MESSAGE)  # fmt: skip
    elif fitted_by_stage1:
        optimum = stage1
    else:  # stage 2: (theta, beta) jointly, from stage 1's optimum
        theta1 = stage1.params
        state = dev.pirls(theta1, None, dev.lp0)
        beta = state.beta if beta0 is None else beta0
        se = np.sqrt(np.diag(state.system.unscaled_vcov(state.solution)))
        lower = np.r_[lower_theta, np.full(dev.p, -np.inf)]
        optimum = minimize(
            dev, np.r_[theta1, beta], lower, "bobyqa", n_theta=k,
            settings=_stage2_settings(theta1, se), rules=rules,
            singular_message=GLMER_SINGULAR_MESSAGE,
        )  # fmt: skip
        optimum = replace(optimum, feval=stage1.feval + optimum.feval)
    fval = fn(optimum.params)  # the PIRLS state at the optimum, kept on the result
    return replace(optimum, fval=float(fval), state=dev.last_state)


@single_threaded
def refit(result: GlmerResult, start=None) -> GlmerResult:
    """The same model on the same rows, optimised again (lme4's ``refit`` without a new
    response).

    Parameters
    ----------
    result : GlmerResult
        A glmer fit, also one evaluated at given parameters (``optimizer=None``).
    start : dict, optional
        ``{"theta": ..., "fixef": ...}``; default the fit's own parameters.

    Returns
    -------
    GlmerResult
        With lme4's two stages run from ``start``: the fit ``glmer(..., start=start)`` gives.

    Notes
    -----
    Also a method of the fit, ``result.refit(start)``
    (:meth:`hlmtutor.lmm.glmer_result.GlmerResult.refit`); :func:`hlmtutor.update` refits
    with a changed formula, data or arguments.

    Examples
    --------
    >>> import warnings
    >>> from hlmtutor import glmer, load_hsb
    >>> from hlmtutor.lmm.glmer_fit import refit
    >>> hsb = load_hsb().assign(passed=lambda d: d.mathach > 12)
    >>> with warnings.catch_warnings():  # evaluated, not optimised: lme4's checks say so
    ...     warnings.simplefilter("ignore")
    ...     start = glmer("passed ~ 1 + (1 | school)", hsb, optimizer=None,
    ...                   start={"theta": [0.5], "fixef": [0.0]})
    >>> again = refit(start)
    >>> start.optimizer, again.optimizer, bool(again.loglik > start.loglik)
    (None, 'bobyqa', True)
    """
    k = result.reterms.n_theta
    if start is None:
        params = np.asarray(result.optimum.params, dtype=float)
        theta = np.maximum(params[:k], result.reterms.lower)
        start = {"theta": theta, "fixef": np.asarray(result.params, dtype=float)}
    # a fresh copy of the deviance function: the fit's own keeps its PIRLS starting points
    dev = replace(result.deviance_function)
    optimum = _optimize(dev, result.reterms, result.nAGQ, start, "default")
    for message in optimum.messages:
        warn(message)
    return replace(result, deviance_function=dev, optimum=optimum)
