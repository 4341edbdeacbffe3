"""Inference for a fitted :class:`~hlmtutor.lmm.result.LmerResult`, as lmerTest and lme4 do it.

* Satterthwaite t-tests and F-tests (lmerTest's ``contest1D`` / ``contestMD``): the variance
  parameters ``varpar = (theta, sigma)``, ``A = 2 H^-1`` with H the Hessian of the deviance in
  varpar (exact here; lmerTest's ``numDeriv::hessian`` approximates it), the Jacobian of
  vcov(beta) in varpar (exact too); for a contrast l,
  ``df = 2 (l'Cl)^2 / (g'Ag)`` with ``g_k = l' dC/dvarpar_k l``.
* lmerTest's type III ``anova(model)``: the contrasts of ``extract_contrasts_type3``.
* lme4's likelihood-ratio ``anova(m0, m1)`` (REML fits refitted by ML).
* ``confint`` (Wald, and likelihood profiles of the ML deviance); predictions are in ``prediction.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import optimize as sopt
from scipy import stats

from .. import _satterthwaite as sat
from ._blas import single_threaded
from ._warn import warn
from .varpar_derivatives import exact_available, varpar_derivatives

if TYPE_CHECKING:  # pragma: no cover
    from .result import LmerResult

__all__ = [
    "coefficient_table",
    "contrast_df",
    "contest",
    "anova_type3",
    "anova_lrt",
    "confint",
]


@dataclass(frozen=True)
class VarparCovariance:
    """lmerTest's ``vcov_varpar`` (A) and ``Jac_list`` (as a (p, p, k) array)."""

    a: np.ndarray
    jac: np.ndarray
    notes: tuple[str, ...]


@single_threaded
def varpar_covariance(result: LmerResult) -> VarparCovariance:
    """A = 2 H^-1 and the Jacobian of vcov(beta) at (theta, sigma), as lmerTest defines them.

    The Hessian and the Jacobian are exact (:mod:`hlmtutor.lmm.varpar_derivatives`), so their
    digits do not depend on rounding or the BLAS kernel; lmerTest's numerical derivatives agree
    with them to about 1e-8 relative. Above ``varpar_derivatives.MAX_DENSE_Q`` random effects
    in a model with several random terms they are lmerTest's numerical ones.
    """
    dev = result.deviance_function
    hess, jac = _varpar_derivatives(dev, result.optimum.theta, result.sigma)
    a, notes = sat.varpar_covariance(hess)
    for note in notes:
        warn(note)
    return VarparCovariance(a=a, jac=jac, notes=tuple(notes))


def _varpar_derivatives(dev, theta: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Hessian of the deviance in (theta, sigma) and Jacobian of vcov(beta): exact where
    available, else lmerTest's numerical derivatives (Richardson-extrapolated differences)."""
    if exact_available(dev):
        try:
            return varpar_derivatives(dev, theta, sigma)
        except np.linalg.LinAlgError:  # a singular factor: the differences below still work
            pass
    varpar = np.r_[theta, sigma]
    hess = sat.hessian(dev.varpar_deviance, varpar)
    jac = sat.jacobian(dev.vcov_beta, varpar).reshape(dev.p, dev.p, -1)
    return hess, jac


def contrast_df(result: LmerResult, contrasts) -> np.ndarray:
    """Satterthwaite df of each contrast l'beta (rows of ``contrasts``): lmerTest's contest1D."""
    contrasts = np.atleast_2d(np.asarray(contrasts, dtype=float))
    p = len(result.params)
    if contrasts.shape[1] != p:
        raise ValueError(
            f"Each contrast needs {p} weights, one per fixed effect "
            f"({', '.join(result.params.index)}); got {contrasts.shape[1]}."
        )
    vc = result.varpar_covariance
    return sat.satterthwaite_df(result.vcov.to_numpy(), vc.jac, vc.a, contrasts)


def coefficient_table(result: LmerResult) -> pd.DataFrame:
    """lmerTest's summary table: Estimate, Std. Error, df, t value, Pr(>|t|)."""
    estimate = result.params.to_numpy()
    se = np.sqrt(np.diag(result.vcov.to_numpy()))
    p = len(estimate)
    df = contrast_df(result, np.eye(p)) if p else np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = estimate / se
    pvalue = 2.0 * stats.t.sf(np.abs(t), df)
    return pd.DataFrame(
        {"Estimate": estimate, "Std. Error": se, "df": df, "t value": t, "Pr(>|t|)": pvalue},
        index=pd.Index(result.params.index),
    )


def _fstat_ddf(nu: np.ndarray, tol: float = 1e-8) -> float:
    """lmerTest's ``get_Fstat_ddf``."""
    if len(nu) == 1:
        return float(nu[0])
    if np.all(np.abs(np.diff(nu)) < tol):
        return float(np.mean(nu))
    if np.any(nu <= 2):
        return 2.0
    e = float(np.sum(nu / (nu - 2)))
    return 2 * e / (e - len(nu))


def contest(result: LmerResult, contrasts) -> dict[str, float]:
    """The F-test of L beta = 0 with Satterthwaite's denominator df (lmerTest's contestMD).

    Returns a dict with ``Sum Sq``, ``Mean Sq``, ``NumDF``, ``DenDF``, ``F value``, ``Pr(>F)``.
    """
    contrasts = np.atleast_2d(np.asarray(contrasts, dtype=float))
    beta = result.params.to_numpy()
    vcov = result.vcov.to_numpy()
    sigma2 = result.sigma**2
    vc = result.varpar_covariance

    def table(f: float, ndf: float, ddf: float) -> dict[str, float]:
        ms = f * sigma2
        return {
            "Sum Sq": ms * ndf,
            "Mean Sq": ms,
            "NumDF": ndf,
            "DenDF": ddf,
            "F value": f,
            "Pr(>F)": float(stats.f.sf(f, ndf, ddf)),
        }

    def one(l_row: np.ndarray) -> dict[str, float]:
        var_con = l_row @ vcov @ l_row
        grad = np.einsum("i,ijk,j->k", l_row, vc.jac, l_row)
        ddf = 2 * var_con**2 / (grad @ vc.a @ grad)
        return table((l_row @ beta) ** 2 / var_con, 1, float(ddf))

    if len(contrasts) == 1:
        return one(contrasts[0])
    values, vectors = np.linalg.eigh(contrasts @ vcov @ contrasts.T)
    values, vectors = values[::-1], vectors[:, ::-1]
    tol = max(np.sqrt(np.finfo(float).eps) * values[0], 0)
    q = int(np.sum(values > tol))
    ptl = (vectors.T @ contrasts)[:q]
    if q == 1:
        return one(ptl[0])
    f = float(np.sum((ptl @ beta) ** 2 / values[:q]) / q)
    grads = np.einsum("mi,ijk,mj->mk", ptl, vc.jac, ptl)
    nu = 2 * values[:q] ** 2 / np.einsum("mk,kl,ml->m", grads, vc.a, grads)
    return table(f, q, _fstat_ddf(nu))


# -- type III contrasts (lmerTest's extract_contrasts_type3) ---------------------------------
def _lstsq_resid(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    return y - x @ coef


def _zapsmall(x: np.ndarray, digits: int = 7) -> np.ndarray:
    biggest = np.max(np.abs(x)) if x.size else 0.0
    if biggest == 0:
        return x
    places = max(0, digits - int(np.ceil(np.log10(biggest))))
    return np.round(x, places)


def type3_contrasts(result: LmerResult) -> dict[str, np.ndarray]:
    """lmerTest's type III contrast matrix for each term of the fixed part."""
    frame = result.frame
    labels = list(frame.x_term_labels)
    x = frame.X
    assign = np.asarray(frame.x_assign)
    p = x.shape[1]
    if p <= 1 or len(labels) <= 1:
        return _type1_contrasts(result)
    terms = list(frame.formula.fixed.terms)
    variables = frame.variables(frame.formula.fixed, frame.data)
    rdx, rd_names = _redundant_matrix(frame, terms, variables)
    l_full = _zapsmall((np.linalg.pinv(x) @ rdx).T)  # rows: rdX columns, cols: X columns
    columns = {label: np.flatnonzero(assign == k + 1) for k, label in enumerate(labels)}
    contained = _containment(terms, labels, variables)
    order = sorted(range(len(labels)), key=lambda k: -len(terms[k]))
    for k in order:
        term = labels[k]
        inside = contained[term]
        if inside:
            cols_in = np.concatenate([columns[t] for t in inside])
            l_full[:, columns[term]] = _zapsmall(
                _lstsq_resid(l_full[:, cols_in], l_full[:, columns[term]])
            )
    rows = [rd_names.index(name) for name in frame.x_names]
    l_x = l_full[rows]
    out = {}
    for term in labels:
        lt = l_x[:, columns[term]].T
        out[term] = lt[np.sum(np.abs(lt), axis=1) > 1e-8]
    return out


def _redundant_matrix(frame, terms, variables) -> tuple[np.ndarray, list[str]]:
    """lmerTest's ``get_rdX``: the intercept and, per term, ``model.matrix(~ 0 + term)``."""
    from .formula import LinearPart
    from .frame import _design

    n = len(frame.y)
    blocks, names = [], []
    if frame.formula.fixed.intercept:
        blocks.append(np.ones((n, 1)))
        names.append("(Intercept)")
    for term in terms:
        matrix, term_names, _ = _design(LinearPart((term,), False), variables, n)
        blocks.append(matrix)
        names.extend(term_names)
    return np.column_stack(blocks), names


def _containment(terms, labels, variables) -> dict[str, list[str]]:
    """lmerTest's ``containment``: the terms whose variables strictly include a term's, with
    the same numeric variables."""
    numeric = {v for term in terms for v in term if variables[v].codes is None}
    out = {}
    for term, label in zip(terms, labels, strict=True):
        inside = []
        for other, other_label in zip(terms, labels, strict=True):
            strict_superset = set(term) < set(other)
            same_numerics = {v for v in term if v in numeric} == {v for v in other if v in numeric}
            if strict_superset and same_numerics:
                inside.append(other_label)
        out[label] = inside
    return out


def _type1_contrasts(result: LmerResult) -> dict[str, np.ndarray]:
    """lmerTest's ``get_contrasts_type1``: the Doolittle factor of X'X, rows by term."""
    frame = result.frame
    x = frame.X
    p = x.shape[1]
    labels = list(frame.x_term_labels)
    if p == 1:
        lower = np.ones((1, 1))
    else:
        lower = _doolittle_lower(x.T @ x).T
    assign = np.asarray(frame.x_assign)
    return {label: lower[assign == k + 1] for k, label in enumerate(labels)}


def _doolittle_lower(x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    n = len(x)
    lower = np.eye(n)
    upper = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            upper[i, j] = x[i, j] - lower[i, :i] @ upper[:i, j]
        for j in range(i + 1, n):
            value = x[j, i] - lower[j, :i] @ upper[:i, i]
            lower[j, i] = 0.0 if abs(upper[i, i]) < eps else value / upper[i, i]
    lower[np.abs(lower) < eps] = 0.0
    return lower


@single_threaded
def anova_type3(result: LmerResult) -> pd.DataFrame:
    """lmerTest's ``anova(model)``: type III F-tests with Satterthwaite's denominator df."""
    rows = {}
    columns = ["Sum Sq", "Mean Sq", "NumDF", "DenDF", "F value", "Pr(>F)"]
    for term, contrasts in type3_contrasts(result).items():
        # A term whose columns were all dropped as aliased keeps a row of NA, as in lmerTest.
        rows[term] = (
            contest(result, contrasts) if len(contrasts) else dict.fromkeys(columns, np.nan)
        )
    table = pd.DataFrame.from_dict(aliased_last(rows), orient="index", columns=columns)
    table.attrs["heading"] = "Type III Analysis of Variance Table with Satterthwaite's method"
    return table


def aliased_last(rows: dict) -> dict:
    """lmerTest's row order: the terms that were tested, then those whose columns were all
    aliased (their rows of NA), each group in the formula's order."""
    tested = {k: v for k, v in rows.items() if not np.isnan(v["NumDF"])}
    return tested | {k: v for k, v in rows.items() if k not in tested}


# -- likelihood-ratio tests ---------------------------------------------------------------------
def anova_lrt(fits: dict[str, LmerResult]) -> pd.DataFrame:
    """lme4's ``anova(m0, m1, ...)``: models ordered by npar, chi-square tests between rows."""
    nobs = {name: fit.nobs for name, fit in fits.items()}
    if len(set(nobs.values())) > 1:
        raise ValueError(
            f"The models were fitted to different numbers of observations {nobs}; fit them to "
            "the same rows, e.g. data.dropna(subset=[every column the larger model uses])."
        )
    first_name, first = next(iter(fits.items()))
    for name, fit in fits.items():
        if not fit.data.index.equals(first.data.index):
            raise ValueError(
                f"{first_name} and {name} were fitted to the same number of rows, but not the same "
                "rows (the row labels of their data differ); fit them to the same rows, e.g. "
                "data.dropna(subset=[every column the larger model uses])."
            )
    if any(fit.REML for fit in fits.values()):
        warn("refitting model(s) with ML (instead of REML)")
        fits = {name: fit.refit_ml() for name, fit in fits.items()}
    order = sorted(fits, key=lambda name: fits[name].npar)
    rows = []
    previous = None
    for name in order:
        fit = fits[name]
        row = {
            "npar": fit.npar,
            "AIC": fit.aic,
            "BIC": fit.bic,
            "logLik": fit.loglik,
            "deviance": fit.deviance,
            "Chisq": np.nan,
            "Df": np.nan,
            "Pr(>Chisq)": np.nan,
        }
        if previous is not None:
            chisq = max(0.0, previous.deviance - fit.deviance)  # 2 * pmax(0, diff(logLik))
            df = fit.npar - previous.npar
            row["Chisq"] = chisq
            row["Df"] = df
            row["Pr(>Chisq)"] = stats.chi2.sf(chisq, df) if df > 0 else np.nan
        rows.append(row)
        previous = fit
    table = pd.DataFrame(rows, index=order)
    table["npar"] = table["npar"].astype(int)
    table["Df"] = table["Df"].astype("Int64")
    table.attrs["formulas"] = {name: fits[name].formula for name in order}
    return table


# -- confidence intervals ------------------------------------------------------------------------
def _percent_label(p: float) -> str:
    """R's label for a quantile column, e.g. '2.5 %'."""
    return f"{100 * p:.3g} %"


def _sig_names(result: LmerResult) -> list[str]:
    return [f".sig{i + 1:02d}" for i in range(result.reterms.n_theta)] + [".sigma"]


@single_threaded
def confint(result: LmerResult, level: float = 0.95, method: str = "Wald") -> pd.DataFrame:
    """lme4's ``confint``: see :meth:`LmerResult.confint`."""
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, e.g. 0.95, not {level!r}.")
    low, high = (1 - level) / 2, 1 - (1 - level) / 2
    columns = [_percent_label(low), _percent_label(high)]
    names = _sig_names(result)
    if method == "profile":
        return _profile_intervals(result, level, names, columns)
    if method != "Wald":
        raise ValueError(f"method must be 'Wald' or 'profile', not {method!r}.")
    z = stats.norm.ppf(high)
    beta = result.params.to_numpy()
    se = np.sqrt(np.diag(result.vcov.to_numpy()))
    fixed = pd.DataFrame(
        {columns[0]: beta - z * se, columns[1]: beta + z * se}, index=result.params.index
    )
    variance = pd.DataFrame(np.nan, index=names, columns=columns)
    return pd.concat([variance, fixed])


def _sd_cor(result: LmerResult, theta: np.ndarray, sigma: float) -> np.ndarray:
    """theta and sigma -> lme4's .sig parameters (per term: SDs on the diagonal positions,
    correlations elsewhere, lower triangle by column) and sigma."""
    out = []
    for term in result.reterms.terms:
        t = term.factor(theta)
        cov = sigma**2 * (t @ t.T)
        sd = np.sqrt(np.diag(cov))
        rows, cols = np.tril_indices(term.q)
        order = np.lexsort((rows, cols))
        for r, c in zip(rows[order], cols[order], strict=True):
            if r == c:
                out.append(sd[r])
            else:
                denom = sd[r] * sd[c]
                out.append(cov[r, c] / denom if denom > 0 else 0.0)
    return np.array([*out, sigma])


def _theta_sigma(result: LmerResult, psi: np.ndarray) -> tuple[np.ndarray, float]:
    """lme4's .sig parameters -> (theta, sigma)."""
    sigma = float(psi[-1])
    theta = []
    at = 0
    for term in result.reterms.terms:
        q = term.q
        rows, cols = np.tril_indices(q)
        order = np.lexsort((rows, cols))
        values = psi[at : at + term.n_theta]
        at += term.n_theta
        sd = np.zeros(q)
        corr = np.eye(q)
        for v, r, c in zip(values, rows[order], cols[order], strict=True):
            if r == c:
                sd[r] = v
            else:
                corr[r, c] = corr[c, r] = v
        cov = np.outer(sd, sd) * corr / sigma**2
        t = _lower_factor(cov)
        theta.extend(t[rows[order], cols[order]])
    return np.array(theta), sigma


def _lower_factor(cov: np.ndarray) -> np.ndarray:
    """Lower-triangular T with T T' = cov and a non-negative diagonal (cov may be singular)."""
    q = len(cov)
    t = np.zeros((q, q))
    for j in range(q):
        d = cov[j, j] - t[j, :j] @ t[j, :j]
        t[j, j] = np.sqrt(max(d, 0.0))
        for i in range(j + 1, q):
            t[i, j] = (cov[i, j] - t[i, :j] @ t[j, :j]) / t[j, j] if t[j, j] > 0 else 0.0
    return t


def _profile_intervals(result: LmerResult, level: float, names, columns) -> pd.DataFrame:
    """Likelihood-profile intervals of every parameter from the ML deviance (lme4's profile)."""
    from .deviance import make_deviance
    from .fit import refit

    # a fit evaluated at a given theta (optimizer=None) is profiled around the ML optimum
    ml = result.refit_ml() if result.optimizer is not None else refit(result, reml=False)
    dev = ml.deviance_function
    cutoff = stats.chi2.ppf(level, 1)
    psi_hat = _sd_cor(ml, ml.optimum.theta, ml.sigma)
    base = dev.varpar_deviance(np.r_[ml.optimum.theta, ml.sigma], reml=False)
    k = len(psi_hat)
    lower_psi = np.array(_psi_lower(ml))
    upper_psi = np.array(_psi_upper(ml))

    def deviance_psi(psi: np.ndarray) -> float:
        theta, sigma = _theta_sigma(ml, psi)
        if sigma <= 0:
            return np.inf
        try:
            return dev.varpar_deviance(np.r_[theta, sigma], reml=False)
        except np.linalg.LinAlgError:
            return np.inf

    is_correlation = lower_psi == -1.0
    last: dict[int, np.ndarray] = {}  # per parameter, the others where the profile last was

    def profiled(j: int, value: float) -> float:
        free = [i for i in range(k) if i != j]

        def objective(x):
            psi = psi_hat.copy()
            psi[free] = x
            psi[j] = value
            return deviance_psi(psi)

        best_x, best = _profile_minimum(
            objective,
            _profile_starts(psi_hat[free], last.get(j), is_correlation[free]),
            lower_psi[free],
            upper_psi[free],
        )
        last[j] = best_x
        return best - base - cutoff

    rows = []
    for j in range(k):
        estimate = psi_hat[j]
        floor = lower_psi[j]
        ceiling = upper_psi[j]
        last.pop(j, None)
        rows.append(_roots(lambda v, j=j: profiled(j, v), estimate, floor, ceiling, names[j]))
    p = dev.p
    y = ml.frame.y if ml.offset is None else ml.frame.y - ml.offset
    x = ml.frame.X
    for j in range(p):
        keep = [c for c in range(p) if c != j]

        def beta_excess(b, j=j, keep=keep):
            reduced = make_deviance(
                y - b * x[:, j], x[:, keep], ml.reterms, reml=False, weights=ml.prior_weights
            )
            best = _bounded_min(reduced, ml.optimum.theta.copy(), ml.reterms.lower, None)
            return best - base - cutoff

        estimate = float(ml.params.iloc[j])
        rows.append(_roots(beta_excess, estimate, -np.inf, np.inf, result.params.index[j]))
    index = names + list(result.params.index)
    return pd.DataFrame(rows, index=index, columns=columns)


def _psi_lower(result: LmerResult) -> list[float]:
    out = []
    for term in result.reterms.terms:
        rows, cols = np.tril_indices(term.q)
        order = np.lexsort((rows, cols))
        out += [0.0 if r == c else -1.0 for r, c in zip(rows[order], cols[order], strict=True)]
    return [*out, 0.0]


def _psi_upper(result: LmerResult) -> list[float]:
    out = []
    for term in result.reterms.terms:
        rows, cols = np.tril_indices(term.q)
        order = np.lexsort((rows, cols))
        out += [np.inf if r == c else 1.0 for r, c in zip(rows[order], cols[order], strict=True)]
    return [*out, np.inf]


def _bounded_min(fn, start, lower, upper) -> float:
    """Minimum of fn by BOBYQA from start within bounds (nothing to minimise: fn(start))."""
    return _bounded_argmin(fn, start, lower, upper)[1]


def _bounded_argmin(fn, start, lower, upper) -> tuple[np.ndarray, float]:
    from .optimize import nlopt_bobyqa

    if len(start) == 0:
        return np.asarray(start, dtype=float), float(fn(start))
    x, value, _, _ = nlopt_bobyqa(
        fn, start, lower, upper, xtol_abs=1e-10, ftol_abs=1e-10, xtol_rel=0.0, maxeval=20000
    )
    return x, value


def _profile_starts(at_optimum, previous, is_correlation) -> list[np.ndarray]:
    """Where to start minimising over the other parameters at one point of a profile.

    From the optimum alone, BOBYQA stays on a bound it started on (a correlation of +-1 or an SD
    of 0 in a singular fit) although the profile's minimum lies inside: the profile is then too
    high and the interval too narrow (issue 15: an upper limit of 5.86 where the deviance there
    is only 0.99 above its minimum). So also start from the other parameters' values at the
    previous point of the same profile (the profile moves continuously) and from the optimum
    with its correlations set to 0 and its SDs moved off 0; the lowest minimum counts.
    """
    starts = [at_optimum]
    if previous is not None:
        starts.append(previous)
    inside = np.where(is_correlation, 0.0, np.maximum(at_optimum, 0.1 * np.max(at_optimum)))
    starts.append(inside)
    unique = []
    for start in starts:
        if not any(np.array_equal(start, u) for u in unique):
            unique.append(start)
    return unique


def _profile_minimum(objective, starts, lower, upper) -> tuple[np.ndarray, float]:
    best_x, best = starts[0], np.inf
    for start in starts:
        clipped = np.clip(start, lower + 1e-8, upper - 1e-8)
        x, value = _bounded_argmin(objective, clipped, lower, upper)
        if value < best:
            best_x, best = x, value
    return best_x, best


def _roots(excess, estimate: float, floor: float, ceiling: float, name: str = "") -> tuple:
    """Where ``excess`` (profiled deviance - minimum - cutoff) crosses 0 below and above."""
    step = max(abs(estimate), 1e-3) * 0.5
    return (
        _one_root(excess, estimate, -step, floor, name),
        _one_root(excess, estimate, step, ceiling, name),
    )


GROWTH = 1.5  # each step outward this much longer than the last: a profile that dips is seen


def _one_root(excess, estimate: float, step: float, limit: float, name: str = "") -> float:
    """Walk outward from the estimate to the first point above the cut-off, then bisect.

    The walk's steps grow by ``GROWTH`` (not doubling), so a profile that is flat or dips for a
    while is followed to where it really crosses. A profile still below the cut-off at a finite
    bound ends there (a correlation of +-1, an SD of 0); one still below it after 80 steps toward
    an infinite bound (step sizes up to 1e14 times the first) is unbounded: a warning names the
    parameter and the limit is +-inf.
    """
    inside = estimate
    for _ in range(80):
        trial = inside + step
        if (step < 0 and trial <= limit) or (step > 0 and trial >= limit):
            if np.isfinite(limit):
                if excess(limit) <= 0:
                    return float(limit)
                a, b = sorted((inside, limit))
                return float(sopt.brentq(excess, a, b, xtol=1e-10))
        if excess(trial) > 0:
            a, b = sorted((inside, trial))
            return float(sopt.brentq(excess, a, b, xtol=1e-10))
        inside = trial
        step *= GROWTH
    side = "upper" if step > 0 else "lower"
    warn(
        f"the profile of {name} stays below the cut-off as far as it was followed "
        f"(to {inside:.6g}): its {side} confidence limit is unbounded, reported as "
        f"{'inf' if step > 0 else '-inf'}"
    )
    return float(np.inf if step > 0 else -np.inf)
