"""lme4's ``summary.glmerMod``: the summary as data first, then R's printed text.

:class:`GlmerSummary` holds every quantity lme4's summary list holds (title, family, formula,
information criteria, scaled-residual quantiles, the random-effects table, the coefficient
table, the fixed-effect correlations, the messages); ``str()`` renders it as
``lme4:::print.summary.merMod`` prints it (width 80, ``digits = 4``).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import _rprint as rp
from .formula import deparse
from .summary import (
    DIGITS,
    LEGEND,
    _stars,
    correlation_lines,
    groups_line,
    random_effects_lines,
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


def _title_lines(title: str) -> list[str]:
    if len(title) + 5 + len(CLASS) > rp.WIDTH:
        pieces = rp.strwrap(title, width=rp.WIDTH - 2, exdent=2)
        return rp.cat_fill([*pieces, " [", CLASS, "]"], sep="").splitlines()
    return [f"{title} [{CLASS}]"]


def z_table_cells(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """``printCoefmat(digits = 4)`` of Estimate, Std. Error, z value, Pr(>|z|)."""
    cs = table[["Estimate", "Std. Error"]].to_numpy(dtype=float)
    finite = np.abs(cs[np.isfinite(cs) & (cs != 0)])
    if finite.size:
        digmin = 1 + np.floor(np.log10([finite.min(), finite.max()]))
        places = int(max(1, DIGITS - digmin[0], DIGITS - digmin[1]))
    else:
        places = DIGITS
    rounded = [rp.r_round(v, places) for v in cs.ravel(order="F")]
    cs_strings = np.array(rp.r_format(rounded, DIGITS)).reshape(cs.shape, order="F")
    for idx in np.ndindex(cs.shape):
        shown_zero = float(cs_strings[idx]) == 0
        if shown_zero != (cs[idx] == 0):
            cs_strings[idx] = rp.r_format([cs[idx]], DIGITS - 1)[0]
    z_strings = rp.r_format([rp.r_round(v, 3) for v in table["z value"]], DIGITS)
    pvals = table["Pr(>|z|)"].to_numpy(dtype=float)
    p_strings = rp.format_pval(pvals, 3)
    colnames = ["Estimate", "Std. Error", "z value", "Pr(>|z|)"]
    cells = [[*cs_strings[i], z_strings[i], p_strings[i]] for i in range(len(table))]
    if np.any(pvals < 0.1):
        stars = [_stars(p) for p in pvals]
        width = max(len(s) for s in stars)
        for row, star in zip(cells, stars, strict=True):
            row.append(star.ljust(width))
        colnames.append("")
    return colnames, cells


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
    messages: tuple[str, ...]

    @classmethod
    def of(cls, result: GlmerResult, data_name: str = "data") -> GlmerSummary:
        info = pd.Series(
            {
                "AIC": result.aic,
                "BIC": result.bic,
                "logLik": result.loglik,
                "deviance": result.deviance,
                "df.resid": result.df_resid,
            }
        )
        return cls(
            result=result,
            title=method_title(result.nAGQ),
            family=result.family,
            link=result.link,
            formula=result.formula,
            data_name=data_name,
            weights_name=result.weights_name,
            offset_name=result.offset_name,
            information=info,
            scaled_residuals=result.scaled_residuals,
            varcorr=result.varcorr,
            ngroups=result.ngroups,
            nobs=result.nobs,
            coefficients=result.fixef,
            correlation=result.corr_fixef,
            messages=tuple(result.optimum.messages),
        )

    # -- R's text ----------------------------------------------------------------------------
    @property
    def lines(self) -> list[str]:
        out = _title_lines(self.title)
        out.append(f" Family: {self.family}  ( {self.link} )")
        out += rp.cat_fill(["Formula:", *deparse(self.formula)]).splitlines()
        out += rp.cat_fill(["   Data:", self.data_name]).splitlines()
        if self.weights_name is not None:
            out.append(f"Weights: {self.weights_name}")
        if self.offset_name is not None:
            out.append(f" Offset: {self.offset_name}")
        out.append("")
        values = [rp.r_round(float(self.information[k]), 1) for k in ("AIC", "BIC", "logLik",
                                                                        "deviance")]  # fmt: skip
        df_resid = int(self.information["df.resid"])
        strings = rp.r_format([*values, float(df_resid)])[:4] + [str(df_resid)]
        out += rp.print_named(["AIC", "BIC", "logLik", "deviance", "df.resid"], strings)
        out.append("")
        out += self._residual_lines()
        out += random_effects_lines(self.result)
        out += groups_line(self.result)
        if len(self.coefficients):
            colnames, cells = z_table_cells(self.coefficients)
            out += ["", "Fixed effects:"]
            out += rp.print_matrix(list(self.coefficients.index), colnames, cells, right=True)
            if len(colnames) == 5:
                out += ["---", f"Signif. codes:  {LEGEND}"]
            out += correlation_lines(self.result)
        if self.messages:
            out += ["optimizer (bobyqa) convergence code: 0 (OK)", *self.messages, ""]
        return out

    def _residual_lines(self) -> list[str]:
        values = self.scaled_residuals.to_numpy()
        biggest = float(np.max(np.abs(values)))
        places = (DIGITS + 1) - math.log10(biggest) if biggest > 0 else DIGITS + 1
        zapped = [rp.r_round(v, max(0.0, places)) for v in values]
        strings = rp.r_format(zapped, DIGITS)
        return [
            "Scaled residuals: ",
            *rp.print_named(["Min", "1Q", "Median", "3Q", "Max"], strings),
            "",
        ]

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
        parts.append(self.information.to_frame().T.to_html(index=False, float_format="%.1f"))
        parts.append("<p><strong>Scaled residuals</strong></p>")
        parts.append(self.scaled_residuals.to_frame().T.to_html(index=False, float_format="%.4f"))
        parts.append("<p><strong>Random effects</strong></p>")
        parts.append(self.varcorr.to_html(index=False, na_rep="", float_format="%.4g"))
        groups = "; ".join(f"{k}, {v}" for k, v in self.ngroups.items())
        parts.append(f"<p>Number of obs: {self.nobs}, groups: {html.escape(groups)}</p>")
        parts.append("<p><strong>Fixed effects</strong> (Wald z tests)</p>")
        parts.append(self.coefficients.to_html(float_format="%.4g"))
        for message in self.messages:
            parts.append(f"<p><em>{html.escape(message)}</em></p>")
        parts.append("</div>")
        return "\n".join(parts)
