"""Fitting lmer's models with nlme's residual structures (see :mod:`hlmtutor.lmm.residual`).

``lmer(formula, data, correlation=..., variance=...)`` comes here. The pipeline is lmer's with
one step added: the criterion of ``(theta, structure parameters)`` is lmer's profiled criterion
of the whitened y, X and Z plus ``2 log|L|``, minimised by the same optimizer with lme4's
checks. The fit is an :class:`~hlmtutor.lmm.result.LmerResult` whose deviance function is
lmer's on the data whitened at the estimated structure, so fixed effects, random effects,
``vcov`` and predictions come from lmer's algebra; what depends on the structure's parameters
(the log-likelihood, the refit by ML, Satterthwaite's df) is overridden here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd

from .. import _rprint as rp
from .. import _satterthwaite as sat
from ._blas import single_threaded
from ._warn import warn
from .deviance import LOG_2PI, Deviance
from .fit import _identifiability
from .frame import ModelFrame, level_label, model_frame
from .inference import VarparCovariance
from .optimize import OPTIMIZERS, Optimum, Rules, _run, check_convergence, minimize
from .pls import pls_of_columns, scaling_of
from .residual import ResidualModel, build_residual_model, structure_columns
from .result import LmerResult
from .summary import LmerSummary
from .terms import ReTerms, build_terms

__all__ = ["StructuredLmerResult", "lmer_structured"]


class WhitenedProblem:
    """lmer's deviance function on the data whitened at given structure parameters.

    y and X are centred and scaled once, on the user's data, as lmer's deviance does (the
    whitening is linear, so whitening the centred data is centring the whitened data: the
    intercept column whitens to the vector ``L^-1 1`` that the shift multiplies). The rows are
    put in subject order once (the criterion depends on cross-products only, not on the order of
    the rows), so a subject's rows are adjacent, each row's predecessor is the row above, and
    the per-subject sums are sums over runs of rows. Every evaluation then whitens one stacked
    matrix [X B, (y - shift) / scale, Z's columns] and forms the cross-products from it, O(n).
    """

    def __init__(self, frame: ModelFrame, reterms: ReTerms, model: ResidualModel, reml: bool):
        self.reml = reml
        self.scaling = scaling_of(frame.y, frame.X)
        sc = self.scaling
        self.p = frame.X.shape[1]
        first = reterms.terms[0]
        order = np.argsort(first.codes, kind="stable")
        self.model = model.permuted(order)
        self.terms = tuple(replace(t, codes=t.codes[order]) for t in reterms.terms)
        codes = first.codes[order]
        self.starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        columns = [frame.X @ sc.b, ((frame.y - sc.shift) / sc.scale)[:, None]]
        columns += [term.columns for term in reterms.terms]
        self.stacked = np.ascontiguousarray(np.column_stack(columns)[order])
        self._cache: dict[bytes, tuple[Deviance, float] | None] = {}

    def __call__(self, params: np.ndarray) -> tuple[Deviance, float] | None:
        """(lmer's deviance of theta on the whitened data, log|L|); None where singular."""
        key = np.asarray(params, dtype=float).tobytes()
        if key not in self._cache:
            if len(self._cache) > 8:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = self._build(np.asarray(params, dtype=float))
        return self._cache[key]

    def _build(self, params: np.ndarray) -> tuple[Deviance, float] | None:
        found = self.model.weights(params)
        if found is None:
            return None
        a, b, logdet = found
        white = self.model.whiten(self.stacked, a, b)
        p = self.p
        at = p + 1
        terms = []
        for term in self.terms:
            terms.append(replace(term, columns=white[:, at : at + term.q]))
            at += term.q
        deviance = self._deviance(white[:, : p + 1], ReTerms(tuple(terms)))
        return deviance, logdet

    def _run_sums(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """sum over each subject's rows of left_i right_i' : (subjects, left cols, right cols)."""
        return np.add.reduceat(left[:, :, None] * right[:, None, :], self.starts, axis=0)

    def _deviance(self, a: np.ndarray, reterms: ReTerms) -> Deviance:
        """lmer's deviance from the already scaled [X B, y_c] (the first term's cross-products
        summed over each subject's runs of rows)."""
        first = reterms.terms[0]
        products = (self._run_sums(first.columns, first.columns), self._run_sums(first.columns, a))
        system = pls_of_columns(a, reterms, self.scaling, first_products=products)
        return Deviance(system=system, reml=bool(self.reml))


def _criterion(frame: ModelFrame, reterms: ReTerms, model: ResidualModel, reml: bool):
    """The REML criterion / ML deviance of (theta, structure parameters), and the problem."""
    k = reterms.n_theta
    problem = WhitenedProblem(frame, reterms, model, reml)

    def fn(values: np.ndarray) -> float:
        found = problem(values[k:])
        if found is None:
            return np.inf
        deviance, logdet = found
        value = deviance(values[:k]) + 2.0 * logdet
        return value if np.isfinite(value) else np.inf

    return fn, problem


EDGE = 8.0  # |unconstrained value| beyond which a structure parameter is at the edge of its range


def _checks(fn, x: np.ndarray, lower: np.ndarray, names: tuple[str, ...]):
    """lme4's checkConv over theta and the structure parameters that are not at the edge of
    their range. Like a variance at 0, phi -> 0 (CAR(1)) or phi -> +-1, or a ratio -> 0, sends
    an unconstrained parameter to +-inf where the criterion is flat in it: lme4's Hessian test
    would call that a failure, where it is a boundary fit; the fit is checked in the others."""
    k = len(x) - len(names)
    edge = [k + j for j in range(len(names)) if abs(x[k + j]) > EDGE]
    if not edge:
        return check_convergence(fn, x, lower, k)
    free = np.array([i for i in range(len(x)) if i not in edge], dtype=int)

    def restricted(values):
        full = x.copy()
        full[free] = values
        return fn(full)

    # the edge parameters are the structure's: theta stays the first k of the free ones
    singular, converged, messages, _, _ = check_convergence(restricted, x[free], lower[free], k)
    messages = [
        "boundary fit: the residual structure's "
        f"{', '.join(names[i - k] for i in edge)} sits at the edge of its range (phi near 0 or "
        "+-1, or an SD ratio near 0): the data give no evidence for that part of the structure",
        *messages,
    ]
    return singular, converged, messages, None, None


TOWARDS_EDGE = 3.0  # |unconstrained| beyond which the edge itself is tried
AT_EDGE = 20.0  # the edge: phi within 2e-9 of 0 (CAR(1)) or of +-1, a ratio e^-20


def _structure_edges(fn, x, fval, lower, method, n_structure):
    """lme4's check.boundary for the structure's parameters: the criterion is flat towards the
    edge of a parameter's range (phi -> 0 for CAR(1) on the logit scale), where the optimizer
    crawls; a parameter on its way there is put at the edge, and the others re-optimised from
    that point, if that fits better."""
    k = len(x) - n_structure
    evaluations = 0
    for j in range(k, len(x)):
        if abs(x[j]) <= TOWARDS_EDGE:
            continue
        trial = x.copy()
        trial[j] = np.sign(x[j]) * AT_EDGE
        if fn(trial) < fval:
            found, count, _ = _run(fn, trial, lower, method)
            evaluations += count
            value = fn(found)
            if value < fval:
                x, fval = found, value
    return x, fval, evaluations


# lmer's rules, with the extra runs in scaled coordinates only when checkConv fails (a fit with
# a structure costs an O(n) whitening per evaluation) and no Newton polish.
STRUCTURED_RULES = Rules(extra_runs="failed", newton="never")


def _optimize(
    fn, start: np.ndarray, lower: np.ndarray, method: str, scales, names: tuple[str, ...]
) -> Optimum:
    """The shared optimizer (:func:`~hlmtutor.lmm.optimize.minimize`) with the structure's
    parameters after theta: lme4's run, edge restart and boundary check, then the structure's
    edges, and checkConv on the parameters not at the edge of their range."""

    def check(f, x, lo):
        return _checks(f, x, lo, names)

    def edges(f, x, fval, lo, m):
        return _structure_edges(f, x, fval, lo, m, len(names))

    optimum = minimize(
        fn, start, lower, method, n_theta=len(start) - len(names), rules=STRUCTURED_RULES,
        scales=scales, edges=edges, check=check,
    )  # fmt: skip
    return optimum


def _fit(
    formula: str,
    frame: ModelFrame,
    reterms: ReTerms,
    model: ResidualModel,
    reml: bool,
    optimizer: str,
    start: np.ndarray,
) -> StructuredLmerResult:
    fn, deviance_at = _criterion(frame, reterms, model, reml)
    k = reterms.n_theta
    lower = np.r_[reterms.lower, np.full(model.n_params, -np.inf)]
    scales = np.r_[reterms.theta_scales(), np.ones(model.n_params)]
    optimum = _optimize(fn, start, lower, optimizer, scales, model.names)
    params = optimum.params[k:].copy()
    found = deviance_at(params)
    if found is None:  # pragma: no cover - the optimizer never returns an infinite point
        raise RuntimeError("the residual structure is singular at the optimum")
    deviance, logdet = found
    theta_optimum = replace(optimum, params=optimum.params[:k].copy())
    return StructuredLmerResult(
        formula=formula,
        REML=reml,
        frame=frame,
        reterms=reterms,
        deviance_function=deviance,
        optimum=theta_optimum,
        residual_model=model,
        structure_params=params,
        logdet_l=logdet,
        full_optimum=optimum,
    )


@single_threaded
def lmer_structured(
    formula: str,
    data: pd.DataFrame,
    REML: bool,
    *,
    correlation,
    variance,
    optimizer: str | None,
    start,
    checks: str,
) -> StructuredLmerResult:
    """``lmer`` with residual structures: see :func:`~hlmtutor.lmm.fit.lmer`."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(
            f"optimizer must be one of {OPTIMIZERS} for a model with a residual structure, "
            f"not {optimizer!r}."
        )
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}.")
    columns = structure_columns(data, correlation, variance)
    incomplete = data[columns].isna().any(axis=1) if columns else pd.Series(False, data.index)
    if incomplete.any():
        warn(
            f"{int(incomplete.sum())} row(s) with a missing value in {', '.join(columns)} "
            "(the residual structure's columns) dropped"
        )
        data = data.loc[~incomplete.to_numpy()]
    frame = model_frame(formula, data)
    for message in frame.messages:
        warn(message)
    if not frame.formula.random:
        raise ValueError(
            "A residual structure needs a random part, e.g. (1 | id): the correlation runs "
            "within its innermost grouping factor."
        )
    labels = [t.label for t in frame.formula.random]
    reterms = build_terms(frame.random, labels)
    for problem in _identifiability(frame, reterms, checks):
        warn(problem)
    model = build_residual_model(data, frame.data.index, reterms, correlation, variance)
    reml = bool(REML) and frame.X.shape[1] > 0
    n_all = reterms.n_theta + model.n_params
    if start is None:
        start = np.r_[reterms.start, model.start]
    else:
        start = np.asarray(start, dtype=float)
        if start.shape != (n_all,):
            names = [*reterms.theta_names(), *model.names]
            raise ValueError(
                f"start must hold {n_all} values: theta in lme4's order, then the structure's "
                f"parameters on nlme's unconstrained scale ({', '.join(names)}); got {start!r}."
            )
    result = _fit(formula, frame, reterms, model, reml, optimizer, start)
    for message in (*result.optimum.messages, *result.identification_notes):
        warn(message)
    return result


@dataclass(frozen=True, eq=False)
class StructuredLmerResult(LmerResult):
    """A linear mixed model with nlme's residual structures (returned by
    :func:`~hlmtutor.lmm.fit.lmer` with ``correlation=`` or ``variance=``).

    Everything an :class:`~hlmtutor.lmm.result.LmerResult` has, plus ``correlation_params`` and
    ``variance_params``. ``sigma`` is the residual SD of the first stratum (all rows without
    ``var_ident``); ``deviance_function`` is lmer's criterion of theta on the data whitened at
    the estimated structure.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from hlmtutor import lmer, cor_ar1
    >>> rng = np.random.default_rng(1)
    >>> data = pd.DataFrame({"id": np.repeat(np.arange(30), 5), "t": np.tile(np.arange(5), 30)})
    >>> data["y"] = np.repeat(rng.normal(size=30), 5) + data["t"] + rng.normal(size=150)
    >>> fit = lmer("y ~ t + (1 | id)", data, correlation=cor_ar1())
    >>> sorted(fit.correlation_params)
    ['Phi']
    """

    residual_model: ResidualModel | None = None
    structure_params: np.ndarray | None = None
    logdet_l: float = 0.0
    full_optimum: object = None

    # -- the structure ---------------------------------------------------------------------
    @property
    def correlation_params(self) -> dict[str, float]:
        """``{"Phi": phi}`` for cor_ar1 / cor_car1 (nlme's ``coef(corStruct, FALSE)``)."""
        return self.residual_model.correlation_params(self.structure_params)

    @property
    def variance_params(self) -> dict:
        """``{stratum: SD ratio to the first stratum}`` for var_ident, the first being 1."""
        return self.residual_model.variance_params(self.structure_params)

    @property
    def correlation(self):
        return self.residual_model.correlation

    @property
    def variance(self):
        return self.residual_model.variance

    # -- likelihood -------------------------------------------------------------------------
    @property
    def npar(self) -> int:
        return super().npar + self.residual_model.n_params

    @property
    def loglik(self) -> float:
        """Log-likelihood (REML for REML fits), nlme's ``logLik``."""
        return -0.5 * (self.deviance_function.criterion_of(self._solution) + 2.0 * self.logdet_l)

    @property
    def deviance(self) -> float:
        """The ML deviance at this fit's parameters."""
        dev = self.deviance_function
        sol = self._solution
        n = self.nobs
        return float(
            sol.ldl2 + n * (1.0 + LOG_2PI + np.log(dev.pwrss(sol) / n)) + 2.0 * self.logdet_l
        )

    def criterion(self, theta, structure=None) -> float:
        """The criterion at ``theta`` and the structure's parameters (nlme's unconstrained
        scale; default the estimates)."""
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (self.reterms.n_theta,):
            raise ValueError(
                f"theta must hold {self.reterms.n_theta} values in lme4's order "
                f"({', '.join(self.reterms.theta_names())}), got {theta}."
            )
        params = self.structure_params if structure is None else np.asarray(structure, float)
        fn, _ = _criterion(self.frame, self.reterms, self.residual_model, self.REML)
        return fn(np.r_[theta, params])

    def refit_ml(self) -> StructuredLmerResult:
        """The same model refitted by maximum likelihood."""
        if not self.REML:
            return self
        start = np.r_[self.reterms.start, self.residual_model.start]
        return single_threaded(_fit)(
            self.formula,
            self.frame,
            self.reterms,
            self.residual_model,
            False,
            self.optimizer,
            start,
        )

    def confint(self, level: float = 0.95, method: str = "Wald") -> pd.DataFrame:
        """Wald intervals for the fixed effects (profiles are not available with a structure)."""
        if method == "profile":
            raise NotImplementedError(
                "Profile intervals are not implemented for models with a residual structure; "
                "use method='Wald' (nlme's intervals() are Wald intervals too)."
            )
        return super().confint(level, method)

    # -- Satterthwaite: derivatives in (theta, structure, sigma) --------------------------------
    @cached_property
    @single_threaded
    def varpar_covariance(self) -> VarparCovariance:
        """lmerTest's A and Jacobian over (theta, structure parameters, sigma). A structure
        parameter at the edge of its range (see ``_checks``) is held at its estimate, as a
        boundary fit's variance is: the criterion is flat in it there."""
        k = self.reterms.n_theta
        params = self.structure_params
        free = np.flatnonzero(np.abs(params) <= EDGE)
        m = len(free)
        _, problem = _criterion(self.frame, self.reterms, self.residual_model, self.REML)

        def split(varpar):
            structure = params.copy()
            structure[free] = varpar[k : k + m]
            found = problem(structure)
            if found is None:
                raise np.linalg.LinAlgError("the residual structure is singular")
            return found, np.r_[varpar[:k], varpar[-1]]

        def varpar_deviance(varpar):
            (dev, logdet), vp = split(varpar)
            return dev.varpar_deviance(vp) + 2.0 * logdet

        def vcov_beta(varpar):
            (dev, _), vp = split(varpar)
            return dev.vcov_beta(vp)

        varpar = np.r_[self.optimum.theta, params[free], self.sigma]
        hess = sat.hessian(varpar_deviance, varpar)
        a, notes = sat.varpar_covariance(hess)
        p = self.deviance_function.p
        jac = sat.jacobian(vcov_beta, varpar).reshape(p, p, -1)
        for note in notes:
            warn(note)
        return VarparCovariance(a=a, jac=jac, notes=tuple(notes))

    # -- residuals ------------------------------------------------------------------------------
    def resid(self, type: str = "response") -> pd.Series:
        """Residuals within subjects, as nlme's ``residuals(m, type = ...)`` at the innermost level.

        Parameters
        ----------
        type : {"response", "pearson", "normalized"}
            "response": y - fitted (the random effects included). "pearson": that divided by
            sigma times the row's SD ratio. "normalized": the response residuals whitened by
            ``L_i^-1`` and divided by sigma, independent N(0, 1) if the model holds.

        Returns
        -------
        pandas.Series
        """
        raw = self.frame.y - self.fitted().to_numpy()
        model = self.residual_model
        if type == "response":
            values = raw
        elif type == "pearson":
            ratios = model.ratios(self.structure_params)
            delta = ratios[model.stratum] if len(ratios) else 1.0
            values = raw / (self.sigma * delta)
        elif type == "normalized":
            a, b, _ = model.weights(self.structure_params)
            values = model.whiten(raw, a, b) / self.sigma
        else:
            raise ValueError(
                f"type must be 'response', 'pearson' or 'normalized' (nlme's), not {type!r}."
            )
        return pd.Series(values, index=self.data.index, name="resid")

    @property
    def scaled_residuals(self) -> pd.Series:
        """Min, 1Q, Median, 3Q, Max of the Pearson residuals (raw / (sigma x SD ratio))."""
        values = np.quantile(self.resid("pearson").to_numpy(), [0, 0.25, 0.5, 0.75, 1.0])
        return pd.Series(values, index=["Min", "1Q", "Median", "3Q", "Max"], name="scaled")

    # -- summary ------------------------------------------------------------------------------
    def structure_lines(self) -> list[str]:
        """The residual structure as nlme's ``summary.lme`` prints it."""
        return structure_lines(self)

    def summary(self, data_name: str = "data", ddf: str = "Satterthwaite"):
        """lmerTest's summary with nlme's block on the residual structure after the random
        effects (see :meth:`~hlmtutor.lmm.result.LmerResult.summary`)."""
        return StructuredSummary.of(
            self, data_name, ddf=ddf, residual_structure=tuple(self.structure_lines())
        )

    def __repr__(self) -> str:
        kind = "REML" if self.REML else "ML"
        parts = [f"{k} {v:.4g}" for k, v in self.correlation_params.items()]
        if self.variance is not None:
            parts.append(f"varIdent by {self.variance.by}")
        return (
            f"<StructuredLmerResult {self.formula!r} fit by {kind}: {self.nobs} obs; "
            f"{', '.join(parts)}>"
        )


@dataclass(frozen=True, eq=False)
class StructuredSummary(LmerSummary):
    """lmerTest's summary with nlme's residual-structure block (``residual_structure``), in the
    text after the groups line and in the HTML view before the fixed effects."""


def structure_lines(result: StructuredLmerResult) -> list[str]:
    """nlme's ``print.summary.corStruct`` and ``print.summary.varFunc`` text."""
    model = result.residual_model
    cor_formula, var_formula = model.formula_text()
    lines = []
    if model.correlation is not None:
        phi = result.correlation_params["Phi"]
        lines += [
            f"Correlation Structure: {model.title}",
            f" Formula: {cor_formula} ",
            " Parameter estimate(s):",
            *rp.print_named([model.phi_label], rp.r_format([phi], 7)),
        ]
    if model.variance is not None:
        ratios = result.variance_params
        lines += [
            "Variance function:",
            " Structure: Different standard deviations per stratum",
            f" Formula: {var_formula} ",
            " Parameter estimates:",
            *rp.print_named(
                [level_label(s) for s in ratios], rp.r_format(list(ratios.values()), 7)
            ),
        ]
    return lines
