"""Predictions of a fitted mixed model, as lme4's ``predict(m, newdata, re.form, allow.new.levels)``.

``re_form`` takes R's meanings: ``None`` every random term (R's ``re.form = NULL``), ``"NA"``,
``"~0"`` or a formula without bars none of them (R's ``re.form = NA`` / ``~0``), and a formula
whose bars are some of the fit's random terms only those terms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._blas import single_threaded
from .formula import parse_formula
from .response import formula_offsets

if TYPE_CHECKING:  # pragma: no cover
    from .merbase import MerBase

__all__ = ["predict", "random_terms_of"]

_NONE_FORMS = ("NA", "~0", "~ 0", "~-1", "~ -1")


def random_terms_of(result: MerBase, re_form=None, re: bool | None = None) -> dict:
    """The random-effect columns ``re_form`` keeps: term position (in ``result.reterms.terms``)
    -> boolean mask over that term's columns.

    Parameters
    ----------
    result : LmerResult or GlmerResult
    re_form : None, "NA", "~0" or str
        R's ``re.form``: None all terms; "NA", "~0" or a formula without ``|`` none; a
        one-sided formula such as ``"~(1 | school)"`` the random terms it names, each of which
        must be a term of the fit or use some of the columns of the fit's terms on the same
        grouping factor (``"~(1 | g)"`` of a fit with ``(x | g)``: the intercepts only), as
        lme4 takes the matching columns of ``ranef``.
    re : bool, optional
        The older switch: True all terms, False none. Cannot be combined with ``re_form``.

    Returns
    -------
    dict
    """
    every = {k: np.ones(t.q, dtype=bool) for k, t in enumerate(result.reterms.terms)}
    if re is not None:
        if not isinstance(re, bool | np.bool_):
            raise TypeError(
                f"re must be True (random effects included) or False (population level), not "
                f"{re!r}; for R's re.form use re_form=None, re_form='NA' or re_form='~(1 | g)'."
            )
        if re_form is not None:
            raise ValueError("Pass either re (True/False) or re_form, not both.")
        return every if re else {}
    if re_form is None:
        return every
    if not isinstance(re_form, str):
        raise TypeError(
            f"re_form must be None (all random terms, R's re.form = NULL), 'NA' or '~0' (none, "
            f"R's re.form = NA) or a one-sided formula such as '~(1 | g)' naming some of the "
            f"fit's random terms, not {re_form!r}."
        )
    text = re_form.strip()
    if text in _NONE_FORMS:
        return {}
    if not text.startswith("~"):
        raise ValueError(
            f"re_form {re_form!r} is not a one-sided formula: use None, 'NA', '~0' or a formula "
            "starting with '~' such as '~(1 | g)'."
        )
    try:
        parsed = parse_formula(f".re_form_response {text}")
    except ValueError as error:
        raise ValueError(f"re_form {re_form!r} could not be read: {error}") from None
    return _columns_named(result, parsed.random, re_form)


def _columns_named(result: MerBase, requested, re_form: str) -> dict:
    """Per fitted term, the columns the requested random terms name (by grouping factor and
    column name, the columns computed on the fitted rows as the fit computed its own)."""
    frame = result.frame
    from .frame import _design

    keep = {k: np.zeros(t.q, dtype=bool) for k, t in enumerate(result.reterms.terms)}
    for term in requested:
        try:
            variables = frame.variables(term.expr, frame.data)
        except (KeyError, ValueError, TypeError) as error:
            raise ValueError(
                f"re_form term ({term.label}) does not fit the model: {error}"
            ) from None
        _, names, _ = _design(term.expr, variables, len(frame.data))
        found = set()
        for k, fitted in enumerate(result.reterms.terms):
            if frame.random[fitted.raw_index].name != term.name:
                continue
            for j, column in enumerate(fitted.column_names):
                if column in names:
                    keep[k][j] = True
                    found.add(column)
        if set(names) - found:
            known = ", ".join(f"({t.label})" for t in frame.formula.random)
            raise ValueError(
                f"re_form names the random term ({term.label}), which is not in the fit "
                f"(lme4: 'random effects specified in re.form that were not present in "
                f"original model'); the fit's random terms are {known}."
            )
    return {k: mask for k, mask in keep.items() if mask.any()}


def _new_level_error(frame, term, newdata: pd.DataFrame, unseen: np.ndarray) -> ValueError:
    columns = list(frame.random[term.raw_index].factor_columns)
    rows = newdata.loc[unseen, columns].drop_duplicates().head(5)
    shown = rows.apply(
        lambda row: ":".join("NA" if pd.isna(v) else str(v) for v in row), axis=1
    ).tolist()
    missing = bool(newdata.loc[unseen, columns].isna().to_numpy().any())
    extra = " (NA is a missing value of the grouping factor)" if missing else ""
    return ValueError(
        f"newdata has level(s) of {term.factor_name} not seen in the fit: {', '.join(shown)}"
        f"{extra}. Pass allow_new_levels=True to predict them at the population value of that "
        "factor (random effect 0), as lme4's allow.new.levels = TRUE."
    )


@single_threaded
def predict(
    result: MerBase,
    newdata: pd.DataFrame | None,
    terms: dict,
    allow_new_levels: bool,
    offset: np.ndarray | None = None,
) -> pd.Series:
    """X beta plus Z_k b_k for the random-effect columns ``terms`` (term position in
    ``reterms.terms`` -> mask of its columns, as :func:`random_terms_of` gives).

    On the fitted rows (``newdata`` None) ``offset`` (the fit's) is added. On ``newdata`` a
    level the fit has not seen (or a missing one) is an error, or with ``allow_new_levels``
    gets that term's population value (random effect 0), as lme4.
    """
    beta = result.params.to_numpy()
    modes = result.re_modes
    if newdata is None:
        values = result.frame.X @ beta
        if offset is not None:
            values = values + offset
        for k, term in enumerate(result.reterms.terms):
            if k in terms:
                cols = terms[k]
                values = values + np.sum(term.columns[:, cols] * modes[k][term.codes][:, cols], 1)
        return pd.Series(values, index=result.data.index, name="predicted")
    if not isinstance(newdata, pd.DataFrame):
        raise TypeError(f"newdata must be a pandas DataFrame, not {type(newdata).__name__}.")
    frame = result.frame
    # the formula's offset() terms on the new rows (lme4 leaves out an offset= argument there)
    values = frame.fixed_matrix(newdata) @ beta + formula_offsets(result.formula, newdata)
    for k, term in enumerate(result.reterms.terms):
        if k not in terms:
            continue
        codes = frame.random_codes(term.raw_index, newdata)
        unseen = codes < 0
        if np.any(unseen) and not allow_new_levels:
            raise _new_level_error(frame, term, newdata, unseen)
        cols = terms[k]
        z = frame.random_columns(term.raw_index, newdata)[:, cols]
        effect = np.where(unseen[:, None], 0.0, modes[k][np.where(unseen, 0, codes)][:, cols])
        values = values + np.sum(z * effect, axis=1)
    return pd.Series(values, index=newdata.index, name="predicted")
