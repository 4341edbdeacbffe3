"""The response side shared by lmer and glmer: offset() terms, weights=/offset= arguments.

lme4 takes an offset as ``offset(expr)`` terms in the formula and as ``offset =``; prior weights
as ``weights =``. Both are per-row numbers aligned with ``data``; rows where they are missing
are dropped with the model frame's rows (lme4's ``na.omit``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .formula import evaluate

__all__ = [
    "split_top",
    "take_offsets",
    "expression_values",
    "row_values",
    "argument_name",
    "formula_offsets",
]


def split_top(text: str, sep: str) -> list[str]:
    """Split at ``sep`` outside parentheses."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and text.startswith(sep, i):
            out.append(text[start:i])
            start = i + len(sep)
    out.append(text[start:])
    return out


def take_offsets(rhs: str) -> tuple[str, list[str]]:
    """Remove ``offset(expr)`` summands from the right-hand side; return it and the exprs."""
    pieces = split_top(rhs, "+")
    kept, offsets = [], []
    for piece in pieces:
        match = re.fullmatch(r"\s*offset\((.*)\)\s*", piece, flags=re.S)
        if match:
            offsets.append(match.group(1).strip())
        else:
            kept.append(piece)
    return "+".join(kept), offsets


def formula_offsets(formula: str, data: pd.DataFrame) -> np.ndarray:
    """The sum of the formula's ``offset(expr)`` terms on the rows of ``data`` (0 without any).

    What lme4's ``predict(m, newdata)`` adds to ``X beta``: the formula's offsets evaluated on
    the new rows, but not an ``offset =`` argument (documented in ``?predict.merMod``).
    """
    _, expressions = take_offsets(split_top(formula, "~")[-1])
    total = np.zeros(len(data))
    for expression in expressions:
        total = total + expression_values(expression, data).to_numpy(dtype=float)
    return total


def expression_values(expression: str, data: pd.DataFrame) -> pd.Series:
    name = expression.strip()
    if name in data.columns:
        return data[name]
    if re.fullmatch(r"[A-Za-z.][A-Za-z0-9._]*", name):
        raise KeyError(f"Column {name!r} is not in data (columns: {list(data.columns)}).")
    inner = name if name.startswith(("I(", "log(", "exp(", "sqrt(")) else f"I({name})"
    return evaluate(inner, data)


def row_values(values, data: pd.DataFrame, what: str) -> np.ndarray:
    if values is None:
        return np.ones(len(data)) if what == "weights" else np.zeros(len(data))
    if isinstance(values, str):
        if values not in data.columns:
            raise KeyError(f"{what}={values!r} is not a column of data.")
        values = data[values]
    try:
        out = np.asarray(pd.to_numeric(pd.Series(np.asarray(values).ravel())), dtype=float)
    except (ValueError, TypeError) as error:
        raise TypeError(f"{what} must be numbers, one per row of data ({error}).") from None
    if len(out) != len(data):
        raise ValueError(f"{what} has {len(out)} values; data has {len(data)} rows.")
    return out


def argument_name(value, default: str) -> str | None:
    """The name R would print for a weights=/offset= argument: a column's name, else default."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    name = getattr(value, "name", None)
    return str(name) if name is not None else default
