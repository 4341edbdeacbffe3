"""lmerTest's ``summary()`` of an :class:`~hlmtutor.lmm.result.LmerResult`, as data first.

:class:`LmerSummary` holds what lme4's ``summary.merMod`` list holds (with lmerTest's coefficient
table for the ``ddf`` asked for); its text and its HTML view are rendered from those fields by
the functions below, which take data (tables, series, strings), never a fitted model. The same
renderers print :class:`~hlmtutor.lmm.glmer_summary.GlmerSummary`.

The layout and rounding follow ``lme4:::print.summary.merMod`` (width 80, ``digits = 4``) with
lmerTest's coefficient table (``printCoefmat``), so the text can be compared with R's line by
line.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import _rprint as rp
from .formula import deparse

if TYPE_CHECKING:  # pragma: no cover
    from .result import LmerResult

__all__ = ["LmerSummary", "DDF_TITLES"]

DIGITS = 4  # max(3, getOption("digits") - 3) in print.summary.merMod
LEGEND = "0 \u2018***\u2019 0.001 \u2018**\u2019 0.01 \u2018*\u2019 0.05 \u2018.\u2019 0.1 \u2018 \u2019 1"
CLASS = "lmerModLmerTest"
LME4_CLASS = "lmerMod"
# What lmerTest's summary(fit, ddf = ...) adds to lme4's title; "lme4" is lme4's own summary.
DDF_TITLES = {
    "Satterthwaite": ". t-tests use Satterthwaite's method",
    "Kenward-Roger": ". t-tests use Kenward-Roger's method",
    "lme4": "",
}
COLUMNS = {
    "Satterthwaite": ["Estimate", "Std. Error", "df", "t value", "Pr(>|t|)"],
    "Kenward-Roger": ["Estimate", "Std. Error", "df", "t value", "Pr(>|t|)"],
    "lme4": ["Estimate", "Std. Error", "t value"],
}
INFORMATION = ["AIC", "BIC", "logLik", "deviance", "df.resid"]
RANK_MESSAGE = "fixed-effect model matrix is rank deficient"


# -- the text, rendered from data ------------------------------------------------------------------
def method_title(reml: bool, ddf: str = "Satterthwaite") -> str:
    """lme4's ``methTitle`` with lmerTest's words on the t-tests (R's text, trailing space kept:
    "Linear mixed model fit by maximum likelihood " is what lme4 prints before ``['lmerMod']``)."""
    method = "REML" if reml else "maximum likelihood "
    return f"Linear mixed model fit by {method}{DDF_TITLES[ddf]}"


def title_lines(title: str | bool, class_name: str = CLASS) -> list[str]:
    """``.prt.methTit``: the title and the class, wrapped as R wraps them at width 80.

    ``title`` may also be a bool (REML or not: lmerTest's Satterthwaite title), as before.
    """
    if isinstance(title, bool):
        title = method_title(title)
    if len(title) + 5 + len(class_name) > rp.WIDTH:
        pieces = rp.strwrap(title, width=rp.WIDTH - 2, exdent=2)
        return rp.cat_fill([*pieces, " [", class_name, "]"], sep="").splitlines()
    return [f"{title} ['{class_name}']"]


def call_lines(
    formula: str, data_name: str, weights_name: str | None, offset_name: str | None
) -> list[str]:
    """``.prt.call``: Formula, Data, and the Weights and Offset lines when the fit has them."""
    lines = rp.cat_fill(["Formula:", *deparse(formula)]).splitlines()
    lines += rp.cat_fill(["   Data:", data_name]).splitlines()
    if weights_name is not None:
        lines.append(f"Weights: {weights_name}")
    if offset_name is not None:
        lines.append(f" Offset: {offset_name}")
    return [*lines, ""]


def reml_lines(criterion: float) -> list[str]:
    """``.prt.aictab`` of a REML fit: the criterion at convergence."""
    crit = rp.r_round(criterion, 1)
    return [*rp.cat_fill(["REML criterion at convergence:", f"{crit:.7g}"]).splitlines(), ""]


def information_lines(information: pd.Series) -> list[str]:
    """``.prt.aictab`` of an ML fit: AIC, BIC, logLik, deviance (rounded to 1) and df.resid."""
    values = [rp.r_round(float(information[k]), 1) for k in INFORMATION[:4]]
    df_resid = int(information["df.resid"])
    strings = rp.r_format([*values, float(df_resid)])[:4] + [str(df_resid)]
    return [*rp.print_named(INFORMATION, strings), ""]


def residual_lines(quantiles: pd.Series) -> list[str]:
    """``.prt.resids``: zapsmall(quantiles, 5) printed with 4 digits."""
    values = quantiles.to_numpy(dtype=float)
    biggest = float(np.max(np.abs(values)))
    places = (DIGITS + 1) - math.log10(biggest) if biggest > 0 else DIGITS + 1
    zapped = [rp.r_round(v, max(0.0, places)) for v in values]
    strings = rp.r_format(zapped, DIGITS)
    return [
        "Scaled residuals: ",
        *rp.print_named(["Min", "1Q", "Median", "3Q", "Max"], strings),
        "",
    ]


def _term_blocks(varcorr: pd.DataFrame) -> list[range]:
    """The rows of each random-effects term (a term's first row names its group)."""
    starts = [i for i, g in enumerate(varcorr["Groups"]) if isinstance(g, str) and g != ""]
    ends = [*starts[1:], len(varcorr)]
    return [range(a, b) for a, b in zip(starts, ends, strict=True)]


def _corr_columns(varcorr: pd.DataFrame) -> list[str]:
    return [c for c in varcorr.columns if c == "Corr" or c.startswith("Corr ")]


def _term_correlations(varcorr: pd.DataFrame, rows: range) -> np.ndarray:
    """The correlation matrix of one term, rebuilt from the table (diagonal var / sd^2)."""
    q = len(rows)
    corr_columns = _corr_columns(varcorr)
    corr = np.empty((q, q))
    for i, row in enumerate(rows):
        variance = float(varcorr["Variance"].iloc[row])
        sd = float(varcorr["Std.Dev."].iloc[row])
        with np.errstate(divide="ignore", invalid="ignore"):
            corr[i, i] = variance / (sd * sd)
        for j in range(i):
            corr[i, j] = corr[j, i] = float(varcorr[corr_columns[j]].iloc[row])
    return corr


def random_effects_lines(varcorr: pd.DataFrame) -> list[str]:
    """``.prt.VC`` / ``formatVC`` of the table ``varcorr`` (Groups, Name, Variance, Std.Dev.,
    Corr...): variances and SDs with 4 digits, each term's correlations rounded to 2."""
    variance = rp.r_format(varcorr["Variance"].to_list(), DIGITS)
    stddev = rp.r_format(varcorr["Std.Dev."].to_list(), DIGITS)
    colnames = ["Groups", "Name", "Variance", "Std.Dev."]
    cells = [
        [g, n, v, s]
        for g, n, v, s in zip(varcorr["Groups"], varcorr["Name"], variance, stddev, strict=True)
    ]
    blocks = [b for b in _term_blocks(varcorr) if varcorr["Groups"].iloc[b[0]] != "Residual"]
    width = max((len(b) for b in blocks), default=1)
    if width > 1:
        for rows in blocks:
            q = len(rows)
            rounded = [rp.r_round(v, 2) for v in _term_correlations(varcorr, rows).ravel()]
            strings = np.array(rp.r_format(rounded, 7, nsmall=2)).reshape(q, q)
            for i, row in enumerate(rows):
                cells[row] += [strings[i, j] if j < i else "" for j in range(width - 1)]
        for cells_row in cells:  # the Residual row (linear models) has no correlations
            cells_row += [""] * (4 + width - 1 - len(cells_row))
        colnames += ["Corr"] + [""] * (width - 2)
    return ["Random effects:", *rp.print_matrix([""] * len(cells), colnames, cells, right=False)]


def groups_lines(nobs: int, ngroups: dict) -> list[str]:
    """``.prt.grps``: the number of observations and of levels of each grouping factor."""
    groups = "; ".join(f"{name}, {n}" for name, n in ngroups.items())
    return rp.cat_fill([f"Number of obs: {nobs}, groups: ", groups]).splitlines()


def _stars(p: float) -> str:
    for cut, symbol in ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.1, ".")):
        if p <= cut:
            return symbol
    return " "


def coefficient_cells(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """``printCoefmat(digits = 4)`` of a coefficient table: the column names and the cells.

    The table is lmerTest's (Estimate, Std. Error, df, t value, Pr(>|t|)), lme4's (Estimate,
    Std. Error, t value) or a GLMM's (Estimate, Std. Error, z value, Pr(>|z|)). Estimates, SEs
    (and df) share one rounding, the statistic is rounded to 3, p-values get ``format.pval``
    and, when one is below 0.1, the significance stars.
    """
    rounded_together = [c for c in ("Estimate", "Std. Error", "df") if c in table.columns]
    statistic = "t value" if "t value" in table.columns else "z value"
    pvalue = next((c for c in ("Pr(>|t|)", "Pr(>|z|)") if c in table.columns), None)
    cs = table[rounded_together].to_numpy(dtype=float)
    finite = np.abs(cs[np.isfinite(cs) & (cs != 0)])
    if finite.size:
        digmin = 1 + np.floor(np.log10([finite.min(), finite.max()]))
        places = int(max(1, DIGITS - digmin[0], DIGITS - digmin[1]))
    else:
        places = DIGITS
    rounded = [rp.r_round(v, places) for v in cs.ravel(order="F")]
    cs_strings = np.array(rp.r_format(rounded, DIGITS)).reshape(cs.shape, order="F")
    # A value shown as 0 that is not 0 is reprinted with one digit less (printCoefmat).
    for idx in np.ndindex(cs.shape):
        shown_zero = float(cs_strings[idx]) == 0
        if shown_zero != (cs[idx] == 0):
            cs_strings[idx] = rp.r_format([cs[idx]], DIGITS - 1)[0]
    stat_strings = rp.r_format([rp.r_round(v, 3) for v in table[statistic]], DIGITS)
    colnames = [*rounded_together, statistic]
    cells = [[*cs_strings[i], stat_strings[i]] for i in range(len(table))]
    if pvalue is None:
        return colnames, cells
    pvals = table[pvalue].to_numpy(dtype=float)
    for row, p_string in zip(cells, rp.format_pval(pvals, 3), strict=True):
        row.append(p_string)
    colnames.append(pvalue)
    if np.any(pvals < 0.1):
        stars = [_stars(p) for p in pvals]
        width = max(len(s) for s in stars)
        for row, star in zip(cells, stars, strict=True):
            row.append(star.ljust(width))
        colnames.append("")
    return colnames, cells


def fixed_effects_lines(table: pd.DataFrame) -> list[str]:
    """ "Fixed effects:", the coefficient table, and the legend of the stars when it has them."""
    colnames, cells = coefficient_cells(table)
    lines = ["", "Fixed effects:"]
    lines += rp.print_matrix(list(table.index), colnames, cells, right=True)
    if colnames[-1] == "":
        lines += ["---", f"Signif. codes:  {LEGEND}"]
    return lines


def correlation_lines(correlation: pd.DataFrame) -> list[str]:
    """ "Correlation of Fixed Effects:" (lower triangle, 3 decimals, names abbreviated); nothing
    for fewer than 2 or more than 12 coefficients (``lme4.summary.cor.max``)."""
    names = list(correlation.index)
    p = len(names)
    if p < 2 or p > 12:
        return []
    rows = rp.abbreviate(names, 11)
    cols = rp.abbreviate(names, 6)
    rounded = [rp.r_round(v, 3) for v in correlation.to_numpy().ravel()]
    strings = np.array(rp.r_format(rounded, 7, nsmall=3)).reshape(p, p)
    cells = [[strings[i, j] if j < i else "" for j in range(p - 1)] for i in range(1, p)]
    return [
        "",
        "Correlation of Fixed Effects:",
        *rp.print_matrix(rows[1:], cols[:-1], cells, right=False),
    ]


def warning_lines(
    fit_warnings: tuple[str, ...], optimizer: str, convergence_messages: tuple[str, ...]
) -> list[str]:
    """lme4's tail: "fit warnings:" (dropped columns), then ``.prt.warn``: the optimizer's
    convergence code with lme4's convergence and singular-fit messages."""
    lines = []
    if fit_warnings:
        lines += ["fit warnings:", *fit_warnings]
    if convergence_messages:
        lines += [f"optimizer ({optimizer}) convergence code: 0 (OK)", *convergence_messages, ""]
    return lines


def note_lines(notes: tuple[str, ...]) -> list[str]:
    """Notes printed under the random effects ("Note: ...", wrapped at 80 columns)."""
    lines = []
    for note in notes:
        lines += rp.strwrap(f"Note: {note}", width=rp.WIDTH, exdent=2)
    return lines


# -- the HTML view, rendered from data -------------------------------------------------------------
def html_table(colnames: list[str], cells: list[list[str]], rownames=None) -> str:
    """A plain HTML table of already formatted cells (right-aligned)."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in colnames)
    if rownames is not None:
        head = "<th></th>" + head
    body = []
    for i, row in enumerate(cells):
        label = f"<th>{html.escape(rownames[i])}</th>" if rownames is not None else ""
        tds = "".join(f'<td style="text-align:right">{html.escape(s.strip())}</td>' for s in row)
        body.append(f"<tr>{label}{tds}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


_html_table = html_table  # the old private name


def varcorr_html(varcorr: pd.DataFrame) -> str:
    """The random-effects table: every column that holds a value, numbers with 4 digits."""
    columns = [c for c in varcorr.columns if not varcorr[c].isna().all()]
    cells = [
        [v if isinstance(v, str) else ("" if pd.isna(v) else f"{v:.4g}") for v in row]
        for row in varcorr[columns].itertuples(index=False)
    ]
    return html_table(columns, cells)


def coefficients_html(table: pd.DataFrame) -> str:
    """The coefficient table as R prints it (the same cells), with the legend when starred."""
    colnames, cells = coefficient_cells(table)
    out = html_table(colnames, cells, list(table.index))
    if colnames[-1] == "":
        out += f"\n<p><small>Signif. codes: {html.escape(LEGEND)}</small></p>"
    return out


def _ddf_words(ddf: str) -> str:
    return {
        "Satterthwaite": "t-tests with Satterthwaite's df",
        "Kenward-Roger": "t-tests with Kenward-Roger's df and adjusted standard errors",
        "lme4": "lme4's t values, no df or p-values",
    }[ddf]


# -- the summary ------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class LmerSummary:
    """lmerTest's ``summary(fit, ddf = ...)`` as data; ``str()`` gives R's text, notebooks show an
    HTML view. Both are rendered from the fields below (nothing is parsed back from text).

    Attributes
    ----------
    result : LmerResult
        The fit summarised.
    title : str
        lme4's ``methTitle`` with lmerTest's words, e.g. "Linear mixed model fit by REML.
        t-tests use Satterthwaite's method" (R's text: an ML title has "maximum likelihood "
        with its trailing space).
    class_name : str
        The class R prints after the title: "lmerModLmerTest", or "lmerMod" for ``ddf="lme4"``.
    ddf : {"Satterthwaite", "Kenward-Roger", "lme4"}
        The denominator df method of the coefficient table.
    formula, data_name : str
        The model formula and the name on the ``Data:`` line.
    weights_name, offset_name : str or None
        What R prints on the ``Weights:`` and ``Offset:`` lines (None: no line).
    REML : bool
        True for a REML fit (``reml_criterion`` is printed), False for ML (``information``).
    reml_criterion : float
        lme4's ``REMLcrit()`` (NaN for ML fits).
    information : pandas.Series
        ``AIC``, ``BIC``, ``logLik``, ``deviance`` (lme4's ML deviance), ``df.resid``.
    scaled_residuals : pandas.Series
        ``Min``, ``1Q``, ``Median``, ``3Q``, ``Max`` of the scaled residuals.
    varcorr : pandas.DataFrame
        lme4's printed random-effects table: ``Groups``, ``Name``, ``Variance``, ``Std.Dev.``,
        ``Corr``, ``Corr 2``, ... (the ``Residual`` row last).
    vc : pandas.DataFrame
        The same as lme4's ``as.data.frame(VarCorr(m))``: ``grp``, ``var1``, ``var2``, ``vcov``,
        ``sdcor``.
    identification_notes : tuple of str
        Notes on random-effect parameters the data cannot identify (printed as "Note: ...").
    residual_structure : tuple of str
        nlme's block on a residual correlation or variance structure (empty for ``lmer``).
    nobs : int
    ngroups : dict
        Levels of each grouping factor (lme4's ``ngrps``).
    coefficients : pandas.DataFrame
        lmerTest's ``coef(summary(fit, ddf = ddf))``: ``Estimate``, ``Std. Error``, ``df``,
        ``t value``, ``Pr(>|t|)`` (``ddf="lme4"``: ``Estimate``, ``Std. Error``, ``t value``).
    correlation : pandas.DataFrame
        Correlation of the fixed-effect estimates (lme4's, from ``vcov``).
    fit_warnings : tuple of str
        lme4's "fit warnings:" (columns dropped from a rank-deficient X).
    optimizer : str
        The optimizer's name as lme4 prints it ("nloptwrap" for bobyqa).
    convergence_messages : tuple of str
        lme4's convergence and singular-fit messages.
    notes : tuple of str
        What hlmtutor adds below R's text: rows and groups dropped for missing values, and
        lmerTest's notes on the Hessian of the variance parameters (Satterthwaite).

    Examples
    --------
    >>> from hlmtutor import lmer, load_hsb
    >>> s = lmer("mathach ~ ses + (1 | school)", load_hsb()).summary(ddf="lme4")
    >>> s.class_name, list(s.coefficients.columns)
    ('lmerMod', ['Estimate', 'Std. Error', 't value'])
    >>> str(s).splitlines()[0]
    "Linear mixed model fit by REML ['lmerMod']"
    """

    result: LmerResult = field(repr=False)
    title: str
    class_name: str
    ddf: str
    formula: str
    data_name: str
    weights_name: str | None
    offset_name: str | None
    REML: bool
    reml_criterion: float
    information: pd.Series
    scaled_residuals: pd.Series
    varcorr: pd.DataFrame
    vc: pd.DataFrame
    identification_notes: tuple[str, ...]
    residual_structure: tuple[str, ...]
    nobs: int
    ngroups: dict
    coefficients: pd.DataFrame
    correlation: pd.DataFrame
    fit_warnings: tuple[str, ...]
    optimizer: str
    convergence_messages: tuple[str, ...]
    notes: tuple[str, ...]

    @classmethod
    def of(
        cls,
        result: LmerResult,
        data_name: str = "data",
        ddf: str = "Satterthwaite",
        residual_structure: tuple[str, ...] = (),
    ) -> LmerSummary:
        """The summary of ``result`` with the coefficient table of ``ddf``."""
        from .contrasts import coef_table

        ddf = check_summary_ddf(ddf, result.REML)
        has_fixed = len(result.params) > 0
        if has_fixed:
            coefficients, correlation = coef_table(result, ddf=ddf), result.corr_fixef
        else:  # y ~ 0 + ...: no table, as lme4
            coefficients, correlation = pd.DataFrame(columns=COLUMNS[ddf]), pd.DataFrame()
        frame_messages = tuple(result.frame.messages)
        notes = tuple(m for m in frame_messages if not m.startswith(RANK_MESSAGE))
        if has_fixed and ddf == "Satterthwaite":
            notes += tuple(result.varpar_covariance.notes)
        optimizer = {"bobyqa": "nloptwrap", None: "none"}.get(result.optimizer, result.optimizer)
        return cls(
            result=result,
            title=method_title(result.REML, ddf),
            class_name=LME4_CLASS if ddf == "lme4" else CLASS,
            ddf=ddf,
            **fit_fields(result, data_name),
            REML=result.REML,
            reml_criterion=result.reml_criterion,
            vc=result.vc,
            identification_notes=tuple(result.identification_notes),
            residual_structure=tuple(residual_structure),
            coefficients=coefficients,
            correlation=correlation,
            fit_warnings=tuple(m for m in frame_messages if m.startswith(RANK_MESSAGE)),
            optimizer=str(optimizer),
            convergence_messages=tuple(result.optimum.messages),
            notes=notes,
        )

    # -- R's text ------------------------------------------------------------------------------
    @property
    def lines(self) -> tuple[str, ...]:
        """The lines R prints (then hlmtutor's notes)."""
        out = title_lines(self.title, self.class_name)
        out += call_lines(self.formula, self.data_name, self.weights_name, self.offset_name)
        out += reml_lines(self.reml_criterion) if self.REML else information_lines(self.information)
        out += residual_lines(self.scaled_residuals)
        out += random_effects_lines(self.varcorr)
        out += note_lines(self.identification_notes)
        out += groups_lines(self.nobs, self.ngroups)
        if self.residual_structure:
            out += ["", *self.residual_structure]
        if len(self.coefficients):
            out += fixed_effects_lines(self.coefficients)
            out += correlation_lines(self.correlation)
        out += warning_lines(self.fit_warnings, self.optimizer, self.convergence_messages)
        return tuple(out + list(self.notes))

    def __str__(self) -> str:
        return "\n".join(self.lines)

    def __repr__(self) -> str:
        return str(self)

    # -- the notebook view ---------------------------------------------------------------------
    def _repr_html_(self) -> str:
        parts = ['<div class="lmer-summary">']
        title = " ".join(self.title.replace(" .", ".").split())
        parts.append(f"<p><strong>{html.escape(title)} [{self.class_name}]</strong></p>")
        formula = " ".join(s.strip() for s in deparse(self.formula))
        parts.append(
            f"<p>Formula: <code>{html.escape(formula)}</code><br>Data: "
            f"<code>{html.escape(self.data_name)}</code><br>"
        )
        if self.REML:
            parts.append(f"REML criterion at convergence: {rp.r_round(self.reml_criterion, 1):.7g}")
        else:
            info = self.information
            parts.append(
                f"AIC {info['AIC']:.1f}, BIC {info['BIC']:.1f}, logLik {info['logLik']:.1f}, "
                f"deviance {info['deviance']:.1f}, df.resid {int(info['df.resid'])}"
            )
        parts.append("</p>")
        parts.append("<p><strong>Scaled residuals</strong></p>")
        quantiles = self.scaled_residuals
        parts.append(html_table(list(quantiles.index), [rp.r_format(list(quantiles), DIGITS)]))
        parts.append("<p><strong>Random effects</strong></p>")
        parts.append(varcorr_html(self.varcorr))
        for note in self.identification_notes:
            parts.append(f"<p><em>Note:</em> {html.escape(note)}</p>")
        parts.append(f"<p>{html.escape(groups_lines(self.nobs, self.ngroups)[0])}</p>")
        if self.residual_structure:
            block = html.escape("\n".join(self.residual_structure))
            parts.append(f"<p><strong>Residual structure</strong> (nlme's)</p>\n<pre>{block}</pre>")
        if len(self.coefficients):
            parts.append(
                f"<p><strong>Fixed effects</strong> ({html.escape(_ddf_words(self.ddf))})</p>"
            )
            parts.append(coefficients_html(self.coefficients))
            corr = correlation_lines(self.correlation)
            if corr:
                parts.append("<p><strong>Correlation of fixed effects</strong></p>")
                parts.append(f"<pre>{html.escape(chr(10).join(corr[2:]))}</pre>")
        for message in (*self.fit_warnings, *self.convergence_messages, *self.notes):
            parts.append(f"<p><em>{html.escape(message)}</em></p>")
        parts.append("</div>")
        return "\n".join(parts)


def information_series(result) -> pd.Series:
    """AIC, BIC, logLik, deviance and df.resid of a fit (lme4's ``.prt.aictab`` values)."""
    return pd.Series(
        {
            "AIC": result.aic,
            "BIC": result.bic,
            "logLik": result.loglik,
            "deviance": result.deviance,
            "df.resid": result.df_resid,
        }
    )


def fit_fields(result, data_name: str) -> dict:
    """The fields every merMod summary copies from its fit (lmer's and glmer's alike): the call,
    the information criteria, the scaled-residual quantiles, the random-effects table and the
    counts of observations and groups."""
    return {
        "formula": result.formula,
        "data_name": data_name,
        "weights_name": result.weights_name,
        "offset_name": result.offset_name,
        "information": information_series(result),
        "scaled_residuals": result.scaled_residuals,
        "varcorr": result.varcorr,
        "nobs": result.nobs,
        "ngroups": dict(result.ngroups),
    }


def check_summary_ddf(ddf: str, reml: bool) -> str:
    """``ddf`` if lmerTest's summary takes it for this fit, else a clear error."""
    if ddf not in DDF_TITLES:
        raise ValueError(
            f"ddf={ddf!r} is not a method of lmerTest's summary; use one of "
            f"{', '.join(repr(k) for k in DDF_TITLES)} (the default is 'Satterthwaite')."
        )
    if ddf == "Kenward-Roger" and not reml:
        raise ValueError(
            "ddf='Kenward-Roger' needs a REML fit, as in lmerTest (\"Kenward-Roger's method is "
            'only available for REML model fits"); refit with REML=True, or use '
            "ddf='Satterthwaite' or ddf='lme4'."
        )
    return ddf


def summary_lines(result: LmerResult, data_name: str = "data") -> list[str]:
    """The printed lines of lmerTest's summary of ``result`` (the old entry point)."""
    return list(LmerSummary.of(result, data_name).lines)


def groups_line(result) -> list[str]:
    """The old entry point of :func:`groups_lines` (reads ``nobs`` and ``ngroups``)."""
    return groups_lines(result.nobs, result.ngroups)
