"""``update``: refit a model with a changed formula or data, as R's ``update(model, ...)``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from .result import LmerResult

__all__ = ["update"]

# a "." standing alone: not part of a name (x.1, .5) or a number
_DOT = re.compile(r"(?<![\w.])\.(?![\w.])")


def _substitute(side: str, old: str, where: str) -> str:
    """Put the old side of the formula where the new one has a lone ".".

    R substitutes the old side as one expression; in text that is the same only when the "."
    is joined to the rest by + or -, so other uses are refused rather than misread.
    """
    for match in _DOT.finditer(side):
        before = side[: match.start()].rstrip()
        after = side[match.end() :].lstrip()
        if (before and before[-1] not in "+-~") or (after and after[0] not in "+-"):
            raise ValueError(
                f"The {where} {side!r} uses '.' other than in a sum; write the formula out in "
                "full (e.g. 'y ~ x + z + (1 | g)') or use '.' only as '. + term' / '. - term'."
            )
    return _DOT.sub(lambda _: old, side)


def updated_formula(old: str, new: str) -> str:
    """R's ``update.formula`` for ``.`` on either side of ``~`` joined by ``+`` / ``-``."""
    if "~" not in new:
        raise ValueError(f"formula must contain '~', e.g. '. ~ . + x', not {new!r}.")
    old_lhs, old_rhs = (part.strip() for part in old.split("~", 1))
    new_lhs, new_rhs = (part.strip() for part in new.split("~", 1))
    lhs = _substitute(new_lhs, old_lhs, "left side") if new_lhs else old_lhs
    rhs = _substitute(new_rhs, old_rhs, "right side")
    return f"{lhs} ~ {rhs}"


def update(
    fit: LmerResult,
    formula: str | None = None,
    data: pd.DataFrame | None = None,
    REML: bool | None = None,
    **kwargs,
) -> LmerResult:
    """Refit a model with a changed formula, data or criterion, as R's ``update(model, ...)``.

    Parameters
    ----------
    fit : LmerResult
    formula : str, optional
        The new formula; ``.`` stands for the old side, as in R: ``". ~ . - x"`` drops x,
        ``". ~ . + (1 | h)"`` adds a random term, ``"log(y) ~ ."`` changes the response.
    data : pandas.DataFrame, optional
        The data to fit. Default: the fit's model frame (``fit.data``: its rows, and only the
        columns the old formula uses; a formula needing other columns, or rows the old
        formula's missing values dropped, needs ``data=``).
    REML : bool, optional
        Default: as the fit.
    **kwargs
        Other arguments of :func:`hlmtutor.lmer` (``optimizer``, ``start``, ``checks``,
        ``subset``...); the fit's ``contrasts`` and ``na_action`` carry over unless given.

    Returns
    -------
    LmerResult

    Notes
    -----
    ``.`` is replaced by the old side's text, which is R's meaning when the ``.`` is joined to
    the rest by ``+`` or ``-`` (other uses, such as ``. * z``, are refused with an error).
    Matches R's ``update(model, formula., data = , REML = )`` on lmer fits.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> from hlmtutor import lmer, update
    >>> data = pd.DataFrame({"y": [1.0, 2.1, 2.9, 4.2, 5.1, 5.8, 7.2, 8.1, 8.8, 10.3],
    ...                      "x": [0, 1, 2, 3, 4, 0, 1, 2, 3, 4],
    ...                      "g": ["a", "a", "b", "b", "c", "c", "d", "d", "e", "e"]})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     smaller = update(lmer("y ~ x + (1 | g)", data), ". ~ . - x")
    >>> smaller.formula, list(smaller.params.index)
    ('y ~ x + (1 | g) - x', ['(Intercept)'])
    """
    from .fit import lmer

    new_formula = fit.formula if formula is None else updated_formula(fit.formula, formula)
    if data is None:
        data = fit.data
        try:
            from .formula import parse_formula

            needed = set(parse_formula(new_formula).variables)
        except ValueError:
            needed = set()
        missing = sorted(v for v in needed if v.isidentifier() and v not in data.columns)
        if missing:
            raise ValueError(
                f"The new formula {new_formula!r} uses {missing}, which the fit's model frame "
                "does not hold (it keeps only the old formula's columns): pass data=."
            )
    if fit.frame.contrasts and "contrasts" not in kwargs:  # R's update keeps the call's contrasts
        kwargs["contrasts"] = dict(fit.frame.contrasts)
    if getattr(fit, "na_action", "omit") != "omit":
        kwargs.setdefault("na_action", fit.na_action)
    return lmer(new_formula, data, REML=fit.REML if REML is None else REML, **kwargs)
