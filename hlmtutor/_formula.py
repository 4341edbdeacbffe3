"""Parse lme4 formulas (one grouping factor) and build R-style design matrices.

The grammar is the part of R's formula language that ``lmer`` models with one
grouping factor need::

    outcome ~ a + b + a:b + a*b - 1 + 0 + (1 + x | g)

R's rules kept here, because patsy and formulaic do not keep them:

* terms are ordered by their degree (main effects, then two-way interactions, ...),
  and within a degree by their first appearance in the formula;
* the variables of an interaction are written in the order the variables first
  appear in the formula (``intervention:ses``);
* a categorical variable is coded by treatment contrasts (first level left out)
  when the term without it is in the model, and by one indicator per level
  otherwise (as ``model.matrix`` does); columns are named variable + level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd

SUPPORTED = (
    "Supported: fixed terms joined by +, a:b, a*b, -1 or 0 + to drop the intercept, and exactly "
    "one random term with one grouping factor: (1 | g), (1 + x | g), (x | g) or (0 + x | g)."
)

_NAME = r"(?:`[^`]+`|[A-Za-z_.][A-Za-z0-9_.]*)"


@dataclass
class ParsedFormula:
    """The pieces of an lme4 formula with one random-effects term."""

    response: str
    fixed_terms: list[tuple[str, ...]]
    fixed_intercept: bool
    random_terms: list[tuple[str, ...]]
    random_intercept: bool
    group: str
    variables: list[str] = field(default_factory=list)

    def columns_used(self) -> list[str]:
        """All data columns the formula names, response first."""
        return self.variables


def _strip_ticks(name: str) -> str:
    return name[1:-1] if name.startswith("`") else name


def _split_top_level(text: str, separators: str) -> list[tuple[str, str]]:
    """Split ``text`` at top-level ``separators``; return (sign, piece) pairs."""
    pieces: list[tuple[str, str]] = []
    depth = 0
    sign = "+"
    start = 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise ValueError(f"Unbalanced parentheses in formula part {text!r}.")
        elif depth == 0 and char in separators:
            pieces.append((sign, text[start:i].strip()))
            sign = char
            start = i + 1
    if depth != 0:
        raise ValueError(f"Unbalanced parentheses in formula part {text!r}.")
    pieces.append((sign, text[start:].strip()))
    return pieces


def _parse_product(piece: str, formula: str) -> list[tuple[str, ...]]:
    """Expand ``a*b:c`` into its terms (each a tuple of variable names)."""
    factors = []
    for part in piece.split("*"):
        names = [p.strip() for p in part.split(":")]
        for name in names:
            if not re.fullmatch(_NAME, name):
                raise ValueError(
                    f"Cannot read the term {piece!r} in formula {formula!r}: {name!r} is not a "
                    f"column name. Transformations such as log(x) or I(x^2) are not supported; "
                    f"add the transformed variable as a column. {SUPPORTED}"
                )
        factors.append(tuple(_strip_ticks(n) for n in names))
    terms = []
    for size in range(1, len(factors) + 1):
        for combo in combinations(factors, size):
            merged: list[str] = []
            for group in combo:
                merged.extend(v for v in group if v not in merged)
            terms.append(tuple(merged))
    return terms


def _parse_terms(pieces: list[tuple[str, str]], formula: str) -> tuple[list[tuple[str, ...]], bool]:
    """Parse signed pieces of a sum; return (terms in written order, has_intercept)."""
    intercept = True
    added: list[tuple[str, ...]] = []
    removed: list[tuple[str, ...]] = []
    for sign, piece in pieces:
        if piece == "":
            if sign == "-" or not added and sign == "+":
                continue
            raise ValueError(f"Empty term in formula {formula!r}.")
        if piece in ("0", "1"):
            intercept = (piece == "1") == (sign == "+")
            continue
        if re.match(rf"{_NAME}\s*\(", piece):
            raise ValueError(
                f"Cannot read the term {piece!r} in formula {formula!r}: it is not a column name. "
                "Transformations such as log(x) or I(x^2) are not supported; add the transformed "
                f"variable as a column of data. {SUPPORTED}"
            )
        if "(" in piece or "|" in piece or "/" in piece or "^" in piece:
            raise ValueError(f"Cannot read the term {piece!r} in formula {formula!r}. {SUPPORTED}")
        target = added if sign == "+" else removed
        target.extend(_parse_product(piece, formula))
    removed_sets = [frozenset(t) for t in removed]
    terms: list[tuple[str, ...]] = []
    seen: set[frozenset[str]] = set()
    for term in added:
        key = frozenset(term)
        if key in seen or key in removed_sets:
            continue
        seen.add(key)
        terms.append(term)
    return terms, intercept


def _order_terms(terms: list[tuple[str, ...]], variable_order: list[str]) -> list[tuple[str, ...]]:
    """Sort terms by degree (stable) and write each term's variables in formula order."""
    rank = {v: i for i, v in enumerate(variable_order)}
    ordered = [tuple(sorted(t, key=rank.__getitem__)) for t in terms]
    return sorted(ordered, key=len)


def parse_formula(formula: str) -> ParsedFormula:
    """Parse an lme4 formula with one random-effects term.

    Parameters
    ----------
    formula : str
        For example ``"math_score ~ intervention * ses + (1 + intervention | classroom_id)"``.

    Returns
    -------
    ParsedFormula
    """
    if not isinstance(formula, str):
        raise TypeError(f"formula must be a string such as 'y ~ x + (1 | g)', not {formula!r}.")
    if formula.count("~") != 1:
        raise ValueError(f"The formula {formula!r} needs exactly one '~' (outcome ~ predictors).")
    lhs, rhs = (s.strip() for s in formula.split("~"))
    if not re.fullmatch(_NAME, lhs):
        raise ValueError(
            f"The outcome {lhs!r} in formula {formula!r} must be one column name; "
            "transform it into a new column first."
        )
    random_parts = []
    fixed_parts = []
    for sign, piece in _split_top_level(rhs, "+-"):
        if piece.startswith("(") and piece.endswith(")") and "|" in piece:
            if sign == "-":
                raise ValueError(f"A random term cannot be subtracted: {piece!r}.")
            random_parts.append(piece)
        else:
            fixed_parts.append((sign, piece))
    if not random_parts:
        raise ValueError(
            f"The formula {formula!r} has no random-effects term. lmer() fits mixed models: add "
            "one such as (1 | group); for a model without random effects use "
            "statsmodels.formula.api.ols."
        )
    if len(random_parts) > 1:
        raise ValueError(
            f"The formula {formula!r} has {len(random_parts)} random terms "
            f"({', '.join(random_parts)}); only one grouping factor is supported. {SUPPORTED}"
        )
    random_part = random_parts[0]
    inner = random_part[1:-1]
    if "||" in inner:
        raise ValueError(
            f"Uncorrelated random effects ({random_part}) are not supported. {SUPPORTED}"
        )
    if inner.count("|") != 1:
        raise ValueError(f"Cannot read the random term {random_part!r}. {SUPPORTED}")
    re_lhs, group = (s.strip() for s in inner.split("|"))
    if not re.fullmatch(_NAME, group):
        raise ValueError(
            f"The grouping factor {group!r} in {random_part!r} must be one column name: nested "
            f"(a/b) and crossed (a:b) grouping factors are not supported. {SUPPORTED}"
        )
    group = _strip_ticks(group)
    fixed_terms, fixed_intercept = _parse_terms(fixed_parts, formula)
    random_terms, random_intercept = _parse_terms(_split_top_level(re_lhs, "+-"), formula)
    if not random_terms and not random_intercept:
        raise ValueError(f"The random term {random_part!r} has no effects. {SUPPORTED}")

    variables = [_strip_ticks(lhs)]
    for term in re.findall(_NAME, rhs):
        name = _strip_ticks(term)
        if name not in variables and not re.fullmatch(r"[0-9.]+", name):
            variables.append(name)
    if group in variables:
        variables.remove(group)
    order = [v for v in variables if v != variables[0]]
    return ParsedFormula(
        response=_strip_ticks(lhs),
        fixed_terms=_order_terms(fixed_terms, order),
        fixed_intercept=fixed_intercept,
        random_terms=_order_terms(random_terms, order),
        random_intercept=random_intercept,
        group=group,
        variables=[*variables, group],
    )


def is_categorical(series: pd.Series) -> bool:
    """True for columns R would treat as factors (strings, categories, booleans)."""
    return not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def factor_levels(series: pd.Series) -> list:
    """Levels as R's ``factor()`` sees them, unused levels dropped as model.frame does."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.dropna().unique())
        return [c for c in series.cat.categories if c in present]
    values = series.dropna().unique().tolist()
    if all(isinstance(v, str) for v in values):
        return sorted(values, key=r_collation_key)
    return sorted(values, key=lambda v: (str(type(v)), v))


# ICU's root order of ASCII punctuation and symbols (R sorts strings with ICU when it has it).
_ICU_PUNCT = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"


def r_collation_key(text: str) -> tuple:
    """Sort key giving R's (ICU) order of factor levels: "a" < "A" < "b", "_x" < "10" < "9" < "a".

    Letters compare without case and accents first, then accents, then case (lower first);
    punctuation sorts before digits, digits before letters.
    """
    import unicodedata

    primary, accents, cases = [], [], []
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        base = decomposed[0]
        if base.isalpha():
            primary.append((2, ord(base.casefold()[0])))
        elif base.isdigit():
            primary.append((1, ord(base)))
        else:
            position = _ICU_PUNCT.find(base)
            primary.append((0, position if position >= 0 else 100 + ord(base)))
        accents.append(len(decomposed) > 1)
        cases.append(base.isupper())
    return tuple(primary), tuple(accents), tuple(cases)


def _level_label(level) -> str:
    if isinstance(level, bool | np.bool_):
        return "TRUE" if level else "FALSE"
    return str(level)


@dataclass
class DesignMatrix:
    """A model matrix with lme4's column names and the term each column belongs to."""

    matrix: np.ndarray
    names: list[str]
    term_labels: list[str]


def build_design(terms: list[tuple[str, ...]], intercept: bool, data: pd.DataFrame) -> DesignMatrix:
    """Build a model matrix as R's ``model.matrix`` does with treatment contrasts."""
    n = len(data)
    columns: list[np.ndarray] = []
    names: list[str] = []
    labels: list[str] = []
    present = {frozenset(t) for t in terms}
    if intercept:
        present.add(frozenset())
        columns.append(np.ones(n))
        names.append("(Intercept)")
        labels.append("(Intercept)")
    levels_cache: dict[str, list] = {}
    for term in terms:
        label = ":".join(term)
        blocks: list[list[tuple[str, np.ndarray]]] = []
        for variable in term:
            series = data[variable]
            if not is_categorical(series):
                blocks.append([(variable, series.to_numpy(dtype=float))])
                continue
            if variable not in levels_cache:
                levels_cache[variable] = factor_levels(series)
            levels = levels_cache[variable]
            use_contrasts = frozenset(v for v in term if v != variable) in present
            kept = levels[1:] if use_contrasts else levels
            values = series.to_numpy()
            blocks.append(
                [(f"{variable}{_level_label(lv)}", (values == lv).astype(float)) for lv in kept]
            )
        # R lets the first variable vary fastest across the interaction's columns.
        combos: list[tuple[str, np.ndarray]] = [("", np.ones(n))]
        for block in blocks:
            combos = [
                (f"{prefix}:{name}" if prefix else name, base * col)
                for name, col in block
                for prefix, base in combos
            ]
        for name, col in combos:
            columns.append(col)
            names.append(name)
            labels.append(label)
    matrix = np.column_stack(columns) if columns else np.empty((n, 0))
    return DesignMatrix(matrix=matrix, names=names, term_labels=labels)
