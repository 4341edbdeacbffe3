"""``update``: refit a model with a changed formula or data, as R's ``update(model, ...)``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from .glmer_result import GlmerResult
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
    fit: LmerResult | GlmerResult,
    formula: str | None = None,
    data: pd.DataFrame | None = None,
    REML: bool | None = None,
    **kwargs,
) -> LmerResult | GlmerResult:
    """Refit a model with a changed formula, data or criterion, as R's ``update(model, ...)``.

    Parameters
    ----------
    fit : LmerResult or GlmerResult
        An :func:`hlmtutor.lmer` or :func:`hlmtutor.glmer` fit; the refit uses the same function.
    formula : str, optional
        The new formula; ``.`` stands for the old side, as in R: ``". ~ . - x"`` drops x,
        ``". ~ . + (1 | h)"`` adds a random term, ``"log(y) ~ ."`` changes the response.
    data : pandas.DataFrame, optional
        The data to fit. Default for an lmer fit: its model frame (``fit.data``: its rows, and
        only the columns the old formula uses; a formula needing other columns, or rows the
        old formula's missing values dropped, needs ``data=``). Default for a glmer fit: the
        rows it used (after ``subset=`` and missing values), with every column of its data.
    REML : bool, optional
        lmer only. Default: as the fit. A glmer fit is by maximum likelihood: passing REML for
        one is an error.
    **kwargs
        Other arguments of :func:`hlmtutor.lmer` (``optimizer``, ``start``, ``checks``,
        ``subset``...); the fit's ``contrasts`` and ``na_action`` carry over unless given.
        For a glmer fit, arguments of :func:`hlmtutor.glmer` (``nAGQ``, ``optimizer``,
        ``start``, ``subset``, ``family``...); the fit's ``family``, ``link``, ``nAGQ``,
        ``weights`` and ``offset`` carry over unless given (a new ``family`` without ``link``
        takes that family's default link). Weights or an offset given as values rather than
        a column name line up with the fit's rows only: with ``data=`` pass them again.

    Returns
    -------
    LmerResult or GlmerResult

    Notes
    -----
    ``.`` is replaced by the old side's text, which is R's meaning when the ``.`` is joined to
    the rest by ``+`` or ``-`` (other uses, such as ``. * z``, are refused with an error).
    Matches R's ``update(model, formula., data = , REML = )`` on lmer fits, and R's ``update``
    on glmer fits (which calls ``glmer`` again with the call's other arguments).

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

    A glmer fit keeps its family, weights and offset; here a Poisson count with an exposure:

    >>> import numpy as np
    >>> from hlmtutor import glmer
    >>> rng = np.random.default_rng(4)
    >>> g = np.repeat(np.arange(20), 10)
    >>> counts = pd.DataFrame({"x": rng.normal(size=200), "g": g,
    ...                        "days": rng.integers(5, 30, 200)})
    >>> counts["y"] = rng.poisson(counts["days"] * np.exp(-2 + rng.normal(0, 0.5, 20)[g]))
    >>> counts["log_days"] = np.log(counts["days"])
    >>> full = glmer("y ~ x + (1 | g)", counts, family="poisson", offset="log_days")
    >>> reduced = update(full, ". ~ . - x")
    >>> reduced.family, reduced.offset_name, list(reduced.params.index)
    ('poisson', 'log_days', ['(Intercept)'])
    """
    from .glmer_result import GlmerResult

    new_formula = fit.formula if formula is None else updated_formula(fit.formula, formula)
    if isinstance(fit, GlmerResult):
        return _update_glmer(fit, new_formula, data, REML, kwargs)
    from .fit import lmer

    new_data = data is not None
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
    for name, values, label in (
        ("weights", fit.prior_weights, fit.weights_name),
        ("offset", fit.offset_argument, fit.offset_name),
    ):
        if name not in kwargs and values is not None:
            kwargs[name] = _argument_again(name, values, label, data, new_data)
    return lmer(new_formula, data, REML=fit.REML if REML is None else REML, **kwargs)


def _argument_again(
    name: str, values: np.ndarray, label: str | None, data: pd.DataFrame, new_data: bool
):
    """An lmer fit's weights=/offset= for its refit, as R's update evaluates the call again:
    on the fit's own rows its values (named as the summary names them); on new data the
    column of the same name, if it has one."""
    if not new_data:
        return pd.Series(values, index=data.index, name=label)
    if label is not None and label in data.columns:
        return label
    raise ValueError(
        f"The fit's {name}= cannot be evaluated on the new data: it has no column {label!r}. "
        f"Pass {name}= for the new data (a column name or one value per row), or {name}=None "
        "to fit without."
    )


def _update_glmer(
    fit: GlmerResult, formula: str, data: pd.DataFrame | None, REML: bool | None, kwargs: dict
) -> GlmerResult:
    """glmer again with the fit's data, family, link, nAGQ, weights and offset, unless given."""
    from .glmer_fit import glmer

    if REML is not None:
        raise ValueError(
            "REML= applies to lmer fits only: a glmer fit is by maximum likelihood (Laplace or "
            "adaptive Gauss-Hermite), so update() of a glmer fit takes no REML=. Change nAGQ= "
            "for a different approximation."
        )
    new_data = data is not None
    if not new_data:
        data = fit.call_data
        if data is None:
            raise ValueError("This glmer fit does not hold the data it used: pass data=.")
    if "family" not in kwargs:  # a new family without a link takes its own default link
        kwargs["family"] = fit.family
        kwargs.setdefault("link", fit.link)
    kwargs.setdefault("nAGQ", fit.nAGQ)
    for name, given, label in (
        ("weights", fit.call_weights, fit.weights_name),
        ("offset", fit.call_offset, fit.offset_name),
    ):
        if name in kwargs or given is None:
            continue
        if isinstance(given, str):  # a column: looked up again in the data
            kwargs[name] = given
        elif new_data:
            raise ValueError(
                f"The fit's {name}= was given as values, one per row it used; they cannot be "
                f"matched to the rows of the new data. Pass {name}= for the new data (a column "
                f"name or one value per row), or {name}=None to fit without."
            )
        else:  # named as the fit's summary names it
            kwargs[name] = pd.Series(given, index=data.index, name=label)
    return glmer(formula, data, **kwargs)
