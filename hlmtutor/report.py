"""Tables of fitted mixed models in the form journals print them.

:func:`report_table` collects what a results table needs from one or more fits (fixed effects with
standard errors, Satterthwaite df and p-values; variance components; the ICC where it is defined;
the numbers of observations and groups; -2 log-likelihood) as numbers, and
:func:`format_report` turns such a table into text with the usual rounding (p-values as
``.034`` and ``< .001``), ready for ``to_latex``, ``to_csv`` or ``to_html``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .models import LmerResult, icc

__all__ = ["report_table", "format_report"]

SECTIONS = ("Fixed effects", "Random effects", "Model")
COLUMNS = ["estimate", "SE", "df", "p"]
N_OBSERVATIONS = "N observations"


def _n_groups_label(factor: str) -> str:
    return f"N groups ({factor})"


def _one_model(fit: LmerResult) -> pd.DataFrame:
    rows: list[tuple[str, str, float, float, float, float]] = []
    fixef = fit.fixef
    for term, row in fixef.iterrows():
        rows.append(
            (
                "Fixed effects",
                str(term),
                float(row["Estimate"]),
                float(row["Std. Error"]),
                float(row["df"]),
                float(row["Pr(>|t|)"]),
            )
        )
    for _, row in fit.vc.iterrows():
        if row["grp"] == "Residual":
            label, value = "Residual variance", row["vcov"]
        elif row["var2"] == "":
            label, value = f"{row['grp']}: {row['var1']} variance", row["vcov"]
        else:
            label = f"{row['grp']}: {row['var1']}, {row['var2']} correlation"
            value = row["sdcor"]
        rows.append(("Random effects", label, float(value), np.nan, np.nan, np.nan))
    if all(list(cov.index) == ["(Intercept)"] for cov in fit.cov_re.values()):
        value = icc(fit)
        if isinstance(value, pd.DataFrame):
            for factor, share in value["icc"].items():
                rows.append(("Random effects", f"ICC ({factor})", float(share), *[np.nan] * 3))
        else:
            rows.append(("Random effects", "ICC", float(value), np.nan, np.nan, np.nan))
    rows.append(("Model", N_OBSERVATIONS, float(fit.nobs), np.nan, np.nan, np.nan))
    for factor, count in fit.ngroups.items():
        rows.append(("Model", _n_groups_label(factor), float(count), np.nan, np.nan, np.nan))
    label = "-2 log-likelihood (REML)" if fit.REML else "-2 log-likelihood (ML)"
    rows.append(("Model", label, -2.0 * float(fit.loglik), np.nan, np.nan, np.nan))
    table = pd.DataFrame(rows, columns=["section", "term", *COLUMNS])
    return table.set_index(["section", "term"])


def report_table(*fits: LmerResult, names: Sequence[str] | None = None) -> pd.DataFrame:
    """The numbers of a journal's results table, for one model or several side by side.

    Parameters
    ----------
    *fits : LmerResult
        One or more fits from :func:`hlmtutor.lmer`.
    names : sequence of str, optional
        Column titles of the models when there are several (default ``"Model 1"``,
        ``"Model 2"``, ...). Ignored for one model.

    Returns
    -------
    pandas.DataFrame
        Index (``section``, ``term``), sections in this order:

        - ``"Fixed effects"``: one row per coefficient, named as lme4 names it
          (``"(Intercept)"``, ``"sectorCatholic"``);
        - ``"Random effects"``: ``"<factor>: <term> variance"`` for each random effect,
          ``"<factor>: <a>, <b> correlation"`` for each pair, ``"Residual variance"``, and
          ``"ICC"`` (``"ICC (<factor>)"`` for several factors) when the model has random
          intercepts only;
        - ``"Model"``: ``"N observations"``, ``"N groups (<factor>)"`` per grouping factor, and
          ``"-2 log-likelihood (REML)"`` (``(ML)`` for an ML fit).

        Columns ``estimate``, ``SE``, ``df``, ``p``: for fixed effects the Estimate,
        Std. Error, Satterthwaite df and ``Pr(>|t|)`` of ``fit.fixef``; only ``estimate`` is
        filled in the other rows. With several fits the columns are a MultiIndex
        (model name, statistic) and the rows the union of the models' rows, each section's
        rows in order of first appearance; a row a model lacks is NaN.

    Notes
    -----
    Variances, covariances and correlations come from ``fit.vc``, R's
    ``as.data.frame(VarCorr(m))``; the ICC is :func:`hlmtutor.icc`; -2 log-likelihood is
    ``-2 * logLik(m)`` (the REML log-likelihood for a REML fit, so comparable only between fits
    with the same fixed effects). R has no single function for this table:
    ``summary(m)$coefficients``, ``as.data.frame(VarCorr(m))``, ``nobs(m)``, ``ngrps(m)`` and
    ``logLik(m)`` hold its pieces (``modelsummary`` and ``sjPlot::tab_model`` assemble similar
    tables).

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmtutor import lmer, report_table
    >>> data = pd.DataFrame({"y": [1.0, 2.1, 2.9, 4.2, 5.1, 5.8, 7.2, 8.1],
    ...                      "g": ["a", "a", "b", "b", "c", "c", "d", "d"]})
    >>> table = report_table(lmer("y ~ 1 + (1 | g)", data))
    >>> table.index.get_level_values("term").tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['(Intercept)', 'g: (Intercept) variance', 'Residual variance', 'ICC',
     'N observations', 'N groups (g)', '-2 log-likelihood (REML)']
    >>> print(round(table.loc[("Random effects", "ICC"), "estimate"], 3))
    0.926
    """
    if not fits:
        raise TypeError("report_table() needs at least one fit from hlmtutor.lmer().")
    for k, fit in enumerate(fits):
        if not isinstance(fit, LmerResult):
            raise TypeError(
                f"report_table() takes fits from hlmtutor.lmer(); argument {k + 1} is a "
                f"{type(fit).__name__}."
            )
    tables = [_one_model(fit) for fit in fits]
    if len(tables) == 1:
        return tables[0]
    if names is None:
        names = [f"Model {k}" for k in range(1, len(fits) + 1)]
    names = [str(name) for name in names]
    if len(names) != len(fits):
        raise ValueError(
            f"names has {len(names)} entries for {len(fits)} fits; give one name each."
        )
    if len(set(names)) != len(names):
        raise ValueError(f"names must differ from each other; got {names}.")
    order = []
    for section in SECTIONS:
        for table in tables:
            for key in table.index:
                if key[0] == section and key not in order:
                    order.append(key)
    index = pd.MultiIndex.from_tuples(order, names=["section", "term"])
    return pd.concat([table.reindex(index) for table in tables], axis=1, keys=names)


def _p_text(p: float) -> str:
    if np.isnan(p):
        return ""
    if p < 0.001:
        return "< .001"
    return f"{p:.3f}".removeprefix("0")


def format_report(table: pd.DataFrame, digits: int = 2) -> pd.DataFrame:
    """A :func:`report_table` as text, rounded as results tables print it.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :func:`report_table` (one model or several).
    digits : int, default 2
        Decimals of estimates and standard errors.

    Returns
    -------
    pandas.DataFrame
        The same index and columns, every cell a string: estimates and SEs with ``digits``
        decimals, ICC and correlations with one more, counts as whole numbers, df with one
        decimal, p-values without the leading zero (``".034"``) and ``"< .001"`` below 0.001;
        empty where the table has no value.

    Notes
    -----
    The p-value style is APA's (no leading zero for a quantity that cannot exceed 1). Export
    with ``to_latex()``, ``to_html()`` or ``to_csv()``.

    Examples
    --------
    >>> import pandas as pd
    >>> from hlmtutor import lmer, report_table, format_report
    >>> data = pd.DataFrame({"y": [1.0, 2.1, 2.9, 4.2, 5.1, 5.8, 7.2, 8.1],
    ...                      "g": ["a", "a", "b", "b", "c", "c", "d", "d"]})
    >>> text = format_report(report_table(lmer("y ~ 1 + (1 | g)", data)))
    >>> text.loc[("Fixed effects", "(Intercept)")].tolist()
    ['4.55', '1.30', '3.0', '.040']
    >>> text.loc[("Model", "N groups (g)"), "estimate"]
    '4'
    """
    if not isinstance(table, pd.DataFrame) or list(table.index.names) != ["section", "term"]:
        raise TypeError("format_report() takes the DataFrame that report_table() returns.")
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 0:
        raise ValueError(f"digits must be a whole number >= 0; got {digits!r}.")
    terms = table.index.get_level_values("term")
    sections = table.index.get_level_values("section")
    counts = np.asarray(terms.str.startswith("N "), dtype=bool) & np.asarray(sections == "Model")
    finer = np.asarray(terms.str.contains("correlation") | terms.str.startswith("ICC"), dtype=bool)

    def column(values: pd.Series, statistic: str) -> list[str]:
        out = []
        for value, is_count, is_finer in zip(values.to_numpy(float), counts, finer, strict=True):
            if np.isnan(value):
                out.append("")
            elif statistic == "p":
                out.append(_p_text(value))
            elif statistic == "df":
                out.append(f"{value:.1f}")
            elif is_count:
                out.append(f"{value:.0f}")
            elif is_finer:
                out.append(f"{value:.{digits + 1}f}")
            else:
                out.append(f"{value:.{digits}f}")
        return out

    formatted = {}
    for key in table.columns:
        statistic = key[-1] if isinstance(key, tuple) else key
        if statistic not in COLUMNS:
            raise ValueError(
                f"format_report() found a column {key!r}; report_table() gives {COLUMNS}."
            )
        formatted[key] = column(table[key], statistic)
    return pd.DataFrame(formatted, index=table.index, columns=table.columns)
