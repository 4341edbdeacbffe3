"""lme4's ``summary.glmerMod``: the summary as data first, then R's printed text.

:class:`GlmerSummary` holds every quantity lme4's summary list holds (title, family, formula,
information criteria, scaled-residual quantiles, the random-effects table, the coefficient
table, the fixed-effect correlations, the messages); ``str()`` renders it as
``lme4:::print.summary.merMod`` prints it (width 80, ``digits = 4``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from .summary import (
    call_lines,
    coefficient_cells,
    coefficients_html,
    correlation_lines,
    fit_fields,
    fixed_effects_lines,
    groups_lines,
    html_table,
    information_lines,
    random_effects_lines,
    residual_lines,
    title_lines,
    varcorr_html,
    warning_lines,
)

if TYPE_CHECKING:  # pragma: no cover
    from .glmer_result import GlmerResult

__all__ = ["GlmerSummary"]

CLASS = "glmerMod"


def method_title(nagq: int) -> str:
    """lme4's ``.prt.methTit`` wording for a GLMM."""
    if nagq == 1:
        how = "Laplace Approximation"
    else:
        how = f"Adaptive Gauss-Hermite Quadrature, nAGQ = {nagq}"
    return f"Generalized linear mixed model fit by maximum likelihood ({how})"


def z_table_cells(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """``printCoefmat(digits = 4)`` of Estimate, Std. Error, z value, Pr(>|z|) (the shared
    ``hlmtutor.lmm.summary.coefficient_cells``)."""
    return coefficient_cells(table)


@dataclass(frozen=True)
class GlmerSummary:
    """lme4's summary of a GLMM fit, as data; ``str()`` gives R's text.

    Attributes
    ----------
    title, family, link, formula, data_name : str
    weights_name, offset_name : str or None
        What R prints on the ``Weights:`` and ``Offset:`` lines (None: no line).
    information : pandas.Series
        AIC, BIC, logLik, deviance (-2 logLik), df.resid.
    scaled_residuals : pandas.Series
        Min, 1Q, Median, 3Q, Max of the Pearson residuals.
    varcorr : pandas.DataFrame
        The random-effects table (no Residual row).
    ngroups : dict
    nobs : int
    coefficients : pandas.DataFrame
        Estimate, Std. Error, z value, Pr(>|z|).
    correlation : pandas.DataFrame
        Correlation of the fixed-effect estimates.
    optimizer : str
        The optimizer of the final stage as R prints it ("bobyqa"; "none" for a fit evaluated at
        given parameters). lme4's own second stage is Nelder_Mead: this line names ours.
    messages : tuple of str
        Convergence and singular-fit messages (lme4's ``optinfo``), then the fit's notes.
    """

    result: GlmerResult
    title: str
    family: str
    link: str
    formula: str
    data_name: str
    weights_name: str | None
    offset_name: str | None
    information: pd.Series
    scaled_residuals: pd.Series
    varcorr: pd.DataFrame
    ngroups: dict
    nobs: int
    coefficients: pd.DataFrame
    correlation: pd.DataFrame
    optimizer: str
    messages: tuple[str, ...]

    @classmethod
    def of(cls, result: GlmerResult, data_name: str = "data") -> GlmerSummary:
        return cls(
            result=result,
            title=method_title(result.nAGQ),
            family=result.family,
            link=result.link,
            **fit_fields(result, data_name),
            coefficients=result.fixef,
            correlation=result.corr_fixef,
            optimizer=result.optimizer or "none",
            messages=tuple(result.optimum.messages),
        )

    # -- R's text ----------------------------------------------------------------------------
    @property
    def lines(self) -> list[str]:
        """The lines R prints, rendered from the fields (the renderers of ``hlmtutor.lmm.summary``, shared with lmer's summary)."""
        out = title_lines(self.title, CLASS)
        out.append(f" Family: {self.family}  ( {self.link} )")
        out += call_lines(self.formula, self.data_name, self.weights_name, self.offset_name)
        out += information_lines(self.information)
        out += residual_lines(self.scaled_residuals)
        out += random_effects_lines(self.varcorr)
        out += groups_lines(self.nobs, self.ngroups)
        if len(self.coefficients):
            out += fixed_effects_lines(self.coefficients)
            out += correlation_lines(self.correlation)
        out += warning_lines((), self.optimizer, self.messages)
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        """The same data as HTML tables (read from the data, never from the text)."""
        parts = ['<div class="glmer-summary">']
        parts.append(f"<p><strong>{html.escape(self.title)} [{CLASS}]</strong></p>")
        parts.append(
            f"<p>Family: {html.escape(self.family)} ({html.escape(self.link)})<br>"
            f"Formula: <code>{html.escape(self.formula)}</code><br>"
            f"Data: <code>{html.escape(self.data_name)}</code></p>"
        )
        info = [f"{self.information[k]:.1f}" for k in ("AIC", "BIC", "logLik", "deviance")]
        info.append(str(int(self.information["df.resid"])))
        parts.append(html_table(list(self.information.index), [info]))
        parts.append("<p><strong>Scaled residuals</strong></p>")
        quantiles = [f"{v:.4f}" for v in self.scaled_residuals]
        parts.append(html_table(list(self.scaled_residuals.index), [quantiles]))
        parts.append("<p><strong>Random effects</strong></p>")
        parts.append(varcorr_html(self.varcorr))
        parts.append(f"<p>{html.escape(groups_lines(self.nobs, self.ngroups)[0])}</p>")
        if len(self.coefficients):
            parts.append("<p><strong>Fixed effects</strong> (Wald z tests)</p>")
            parts.append(coefficients_html(self.coefficients))
        for message in self.messages:
            parts.append(f"<p><em>{html.escape(message)}</em></p>")
        parts.append("</div>")
        return "\n".join(parts)
