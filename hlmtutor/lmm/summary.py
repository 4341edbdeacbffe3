"""The text (and HTML) of lmerTest's ``summary()`` for an :class:`~hlmtutor.lmm.result.LmerResult`.

The layout and rounding follow ``lme4:::print.summary.merMod`` with lmerTest's coefficient
table (``printCoefmat`` with digits 4), so the text can be compared with R's line by line.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import _rprint as rp
from .formula import deparse

if TYPE_CHECKING:  # pragma: no cover
    from .result import LmerResult

DIGITS = 4  # max(3, getOption("digits") - 3) in print.summary.merMod
LEGEND = "0 \u2018***\u2019 0.001 \u2018**\u2019 0.01 \u2018*\u2019 0.05 \u2018.\u2019 0.1 \u2018 \u2019 1"
CLASS = "lmerModLmerTest"


def title_lines(reml: bool) -> list[str]:
    """``.prt.methTit``: the title, wrapped as R wraps it at width 80."""
    method = "REML" if reml else "maximum likelihood "
    title = f"Linear mixed model fit by {method}. t-tests use Satterthwaite's method"
    if len(title) + 5 + len(CLASS) > rp.WIDTH:
        pieces = rp.strwrap(title, width=rp.WIDTH - 2, exdent=2)
        return rp.cat_fill([*pieces, " [", CLASS, "]"], sep="").splitlines()
    return [f"{title} ['{CLASS}']"]


def header_lines(result: LmerResult, data_name: str) -> list[str]:
    lines = title_lines(result.REML)
    lines += rp.cat_fill(["Formula:", *deparse(result.formula)]).splitlines()
    lines += rp.cat_fill(["   Data:", data_name]).splitlines()
    if result.weights_name is not None:
        lines.append(f"Weights: {result.weights_name}")
    if result.offset_name is not None:
        lines.append(f" Offset: {result.offset_name}")
    lines.append("")
    if result.REML:
        crit = rp.r_round(result.reml_criterion, 1)
        lines += rp.cat_fill(["REML criterion at convergence:", f"{crit:.7g}"]).splitlines()
    else:
        values = [
            rp.r_round(v, 1) for v in (result.aic, result.bic, result.loglik, result.deviance)
        ]
        strings = rp.r_format([*values, float(result.df_resid)])[:4] + [str(result.df_resid)]
        lines += rp.print_named(["AIC", "BIC", "logLik", "deviance", "df.resid"], strings)
    lines.append("")
    return lines


def residual_lines(result: LmerResult) -> list[str]:
    """``.prt.resids``: zapsmall(quantiles, 5) printed with 4 digits."""
    values = result.scaled_residuals.to_numpy()
    biggest = float(np.max(np.abs(values)))
    places = (DIGITS + 1) - math.log10(biggest) if biggest > 0 else DIGITS + 1
    zapped = [rp.r_round(v, max(0.0, places)) for v in values]
    strings = rp.r_format(zapped, DIGITS)
    return [
        "Scaled residuals: ",
        *rp.print_named(["Min", "1Q", "Median", "3Q", "Max"], strings),
        "",
    ]


def random_effects_lines(result: LmerResult) -> list[str]:
    """``.prt.VC`` / ``formatVC``: Groups, Name, Variance, Std.Dev., Corr (one block per term)."""
    table = result.varcorr
    variance = rp.r_format(table["Variance"].to_list(), DIGITS)
    stddev = rp.r_format(table["Std.Dev."].to_list(), DIGITS)
    colnames = ["Groups", "Name", "Variance", "Std.Dev."]
    cells = [
        [g, n, v, s]
        for g, n, v, s in zip(table["Groups"], table["Name"], variance, stddev, strict=True)
    ]
    width = max(len(cov) for cov in result.cov_re.values())
    if width > 1:
        row = 0
        for cov in result.cov_re.values():
            values = cov.to_numpy()
            q = len(values)
            sd = np.sqrt(np.diag(values))
            with np.errstate(divide="ignore", invalid="ignore"):
                corr = values / np.outer(sd, sd)
            rounded = [rp.r_round(v, 2) for v in corr.ravel()]
            strings = np.array(rp.r_format(rounded, 7, nsmall=2)).reshape(q, q)
            for i in range(q):
                cells[row + i] += [strings[i, j] if j < i else "" for j in range(width - 1)]
            row += q
        for cells_row in cells:  # the Residual row (linear models) has no correlations
            cells_row += [""] * (4 + width - 1 - len(cells_row))
        colnames += ["Corr"] + [""] * (width - 2)
    lines = ["Random effects:", *rp.print_matrix([""] * len(cells), colnames, cells, right=False)]
    return lines


def groups_line(result: LmerResult) -> list[str]:
    """``.prt.grps``: the number of observations and of levels of each grouping factor."""
    groups = "; ".join(f"{name}, {n}" for name, n in result.ngroups.items())
    return rp.cat_fill([f"Number of obs: {result.nobs}, groups: ", groups]).splitlines()


def coefficient_cells(table) -> tuple[list[str], list[list[str]]]:
    """``printCoefmat(digits = 4)`` of lmerTest's table: the column names and the cells."""
    cs = table[["Estimate", "Std. Error", "df"]].to_numpy(dtype=float)
    finite = np.abs(cs[np.isfinite(cs) & (cs != 0)])
    if finite.size:
        digmin = 1 + np.floor(np.log10([finite.min(), finite.max()]))
        places = int(max(1, DIGITS - digmin[0], DIGITS - digmin[1]))
    else:
        places = DIGITS
    rounded = [rp.r_round(v, places) for v in cs.ravel(order="F")]
    cs_strings = np.array(rp.r_format(rounded, DIGITS)).reshape(cs.shape, order="F")
    tvals = [rp.r_round(v, 3) for v in table["t value"]]
    t_strings = rp.r_format(tvals, DIGITS)
    # A value shown as 0 that is not 0 is reprinted with one digit less (printCoefmat).
    for idx in np.ndindex(cs.shape):
        shown_zero = float(cs_strings[idx]) == 0
        if shown_zero != (cs[idx] == 0):
            cs_strings[idx] = rp.r_format([cs[idx]], DIGITS - 1)[0]
    pvals = table["Pr(>|t|)"].to_numpy(dtype=float)
    p_strings = rp.format_pval(pvals, 3)
    colnames = ["Estimate", "Std. Error", "df", "t value", "Pr(>|t|)"]
    cells = [[*cs_strings[i], t_strings[i], p_strings[i]] for i in range(len(table))]
    if np.any(pvals < 0.1):
        stars = [_stars(p) for p in pvals]
        width = max(len(s) for s in stars)
        for row, star in zip(cells, stars, strict=True):
            row.append(star.ljust(width))
        colnames.append("")
    return colnames, cells


def _stars(p: float) -> str:
    for cut, symbol in ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.1, ".")):
        if p <= cut:
            return symbol
    return " "


def fixed_effects_lines(result: LmerResult) -> list[str]:
    table = result.fixef
    colnames, cells = coefficient_cells(table)
    lines = ["", "Fixed effects:"]
    lines += rp.print_matrix(list(table.index), colnames, cells, right=True)
    if len(colnames) == 6:
        lines += ["---", f"Signif. codes:  {LEGEND}"]
    return lines


def correlation_lines(result: LmerResult) -> list[str]:
    names = list(result.fixef.index)
    p = len(names)
    if p < 2 or p > 12:  # lme4.summary.cor.max = 12
        return []
    rows = rp.abbreviate(names, 11)
    cols = rp.abbreviate(names, 6)
    corr = result.corr_fixef.to_numpy()
    rounded = [rp.r_round(v, 3) for v in corr.ravel()]
    strings = np.array(rp.r_format(rounded, 7, nsmall=3)).reshape(p, p)
    cells = [[strings[i, j] if j < i else "" for j in range(p - 1)] for i in range(1, p)]
    return [
        "",
        "Correlation of Fixed Effects:",
        *rp.print_matrix(rows[1:], cols[:-1], cells, right=False),
    ]


def summary_lines(result: LmerResult, data_name: str) -> list[str]:
    lines = header_lines(result, data_name)
    lines += residual_lines(result)
    lines += random_effects_lines(result)
    for note in result.identification_notes:
        lines += rp.strwrap(f"Note: {note}", width=rp.WIDTH, exdent=2)
    lines += groups_line(result)
    if len(result.params):
        lines += fixed_effects_lines(result)
        lines += correlation_lines(result)
    return lines + warning_lines(result) + hlmtutor_notes(result)


RANK_MESSAGE = "fixed-effect model matrix is rank deficient"


def warning_lines(result: LmerResult) -> list[str]:
    """lme4's tail: "fit warnings:" (dropped columns), then ``.prt.warn``: the optimizer's
    convergence code with lme4's convergence and singular-fit messages."""
    lines = []
    fit_messages = [m for m in result.frame.messages if m.startswith(RANK_MESSAGE)]
    if fit_messages:
        lines += ["fit warnings:", *fit_messages]
    optimum = result.optimum
    if optimum.messages:
        name = "nloptwrap" if optimum.optimizer == "bobyqa" else optimum.optimizer
        lines += [f"optimizer ({name}) convergence code: 0 (OK)", *optimum.messages, ""]
    return lines


def hlmtutor_notes(result: LmerResult) -> list[str]:
    """What hlmtutor adds below R's text: rows and groups dropped for missing values, and
    lmerTest's notes on the Hessian of the variance parameters."""
    notes = [m for m in result.frame.messages if not m.startswith(RANK_MESSAGE)]
    if len(result.params):
        notes += list(result._varpar_covariance.notes)
    return notes


@dataclass(frozen=True)
class LmerSummary:
    """lmerTest's summary of a fit: ``str()`` gives R's text, notebooks show an HTML view.

    Attributes
    ----------
    result : LmerResult
        The fit summarised.
    data_name : str
        The name on the ``Data:`` line.
    lines : tuple of str
        The lines R prints.
    """

    result: LmerResult
    data_name: str
    lines: tuple[str, ...]

    @classmethod
    def of(cls, result: LmerResult, data_name: str = "data") -> LmerSummary:
        """The summary of ``result`` (the text is formed once, here)."""
        return cls(result, data_name, tuple(summary_lines(result, data_name)))

    def __str__(self) -> str:
        return "\n".join(self.lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        result = self.result
        parts = ['<div class="lmer-summary">']
        method = "REML" if result.REML else "maximum likelihood"
        title = f"Linear mixed model fit by {method}. t-tests use Satterthwaite's method [{CLASS}]"
        parts.append(f"<p><strong>{html.escape(title)}</strong></p>")
        formula = " ".join(s.strip() for s in deparse(result.formula))
        parts.append(
            f"<p>Formula: <code>{html.escape(formula)}</code><br>Data: "
            f"<code>{html.escape(self.data_name)}</code><br>"
        )
        if result.REML:
            parts.append(
                f"REML criterion at convergence: {rp.r_round(result.reml_criterion, 1):.7g}"
            )
        else:
            parts.append(
                f"AIC {result.aic:.1f}, BIC {result.bic:.1f}, logLik {result.loglik:.1f}, "
                f"deviance {result.deviance:.1f}, df.resid {result.df_resid}"
            )
        parts.append("</p>")
        parts.append("<p><strong>Scaled residuals</strong></p>")
        parts.append(_html_table(*_named_cells(residual_lines(result)[1:3])))
        parts.append("<p><strong>Random effects</strong></p>")
        vc_lines = random_effects_lines(result)
        parts.append(f"<pre>{html.escape(chr(10).join(vc_lines[1:]))}</pre>")
        for note in result.identification_notes:
            parts.append(f"<p><em>Note:</em> {html.escape(note)}</p>")
        parts.append(f"<p>{html.escape(groups_line(result)[0])}</p>")
        parts.append("<p><strong>Fixed effects</strong> (t-tests with Satterthwaite's df)</p>")
        colnames, cells = coefficient_cells(result.fixef)
        parts.append(_html_table(colnames, cells, list(result.fixef.index)))
        if len(colnames) == 6:
            parts.append(f"<p><small>Signif. codes: {html.escape(LEGEND)}</small></p>")
        corr = correlation_lines(result)
        if corr:
            parts.append("<p><strong>Correlation of fixed effects</strong></p>")
            parts.append(f"<pre>{html.escape(chr(10).join(corr[2:]))}</pre>")
        for message in result.messages:
            if message not in result.identification_notes:
                parts.append(f"<p><em>{html.escape(message)}</em></p>")
        parts.append("</div>")
        return "\n".join(parts)


def _named_cells(lines: list[str]) -> tuple[list[str], list[list[str]]]:
    return lines[0].split(), [lines[1].split()]


def _html_table(colnames: list[str], cells: list[list[str]], rownames=None) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in colnames)
    if rownames is not None:
        head = "<th></th>" + head
    body = []
    for i, row in enumerate(cells):
        label = f"<th>{html.escape(rownames[i])}</th>" if rownames is not None else ""
        tds = "".join(f'<td style="text-align:right">{html.escape(s.strip())}</td>' for s in row)
        body.append(f"<tr>{label}{tds}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
