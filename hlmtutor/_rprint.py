"""R's printing rules, as lmerTest's summary text needs them.

Only what ``print(summary(lmer_fit))`` uses: ``format()`` of numbers, ``format.pval``,
``printCoefmat``'s rounding, ``abbreviate``, ``cat(fill = TRUE)``, ``deparse`` of a formula, and
``print.default`` of character matrices and named vectors, all with R's defaults (width 80,
digits 7, scipen 0). Written from R's documentation of those functions (``?format``,
``?print.default``, ``?options`` for ``digits`` and ``scipen``, ``?format.pval``, ``?abbreviate``,
``?strwrap``, ``?cat``) and from R's printed output, which the tests compare with character for
character (tests/reference/); not from R's source code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH = 80
DEPARSE_CUTOFF = 60
_R_DEFAULT_DIGITS = 7  # options("digits")


# -- numbers -----------------------------------------------------------------------------
def r_round(x: float, digits: float) -> float:
    """R's round(x, digits); non-integer digits are rounded to the nearest integer."""
    if not math.isfinite(x):
        return x
    return round(x, int(math.floor(digits + 0.5)))


@dataclass(frozen=True)
class _Shape:
    """How one number looks with at most ``digits`` significant digits."""

    negative: bool
    #: The decimal exponent of its leading digit once rounded (99.99999999 -> 100: 2).
    exponent: int
    #: The significant digits it needs: trailing zeros of the rounded mantissa dropped.
    significant: int
    #: Rounding carried into a new leading digit that fixed notation will not show: the
    #: number prints as fixed with one digit fewer left of the point than ``exponent`` says.
    carried: bool


def _shape(x: float, digits: int) -> _Shape:
    """``?print.default``: each number gets the fewest significant digits, at most ``digits``,
    that show it to ``digits`` significant digits. Python's ``e`` format rounds the decimal
    mantissa correctly; its exponent and the mantissa's nonzero digits are what we need."""
    if x == 0.0:
        return _Shape(False, 0, 1, False)
    mantissa, exponent_text = f"{abs(x):.{digits - 1}e}".split("e")
    exponent = int(exponent_text)
    significant = max(1, len(mantissa.replace(".", "").rstrip("0")))
    # Fixed notation shows the decimals R's default digits leave right of the point; when the
    # number stays below 10^exponent at that precision, it keeps its old count of left digits.
    shown_decimals = min(max(_R_DEFAULT_DIGITS - exponent, 0), 22)
    carried = 0 < exponent <= 22 and abs(x) < 10.0**exponent - 0.5 / 10.0**shown_decimals
    return _Shape(x < 0, exponent, significant, carried)


@dataclass
class RealFormat:
    width: int
    decimals: int
    scientific: bool
    mantissa_digits: int = 0


def _exponent_digits(shapes: list[_Shape]) -> int:
    """Digits of the exponent in R's e-notation: two, or three from e+100 or e-99 on."""
    return 3 if any(s.exponent >= 100 or s.exponent <= -99 for s in shapes) else 2


def format_real_spec(values: list[float], digits: int = 7, nsmall: int = 0) -> RealFormat:
    """The common width and decimals R's ``format()`` gives the numbers ``values``.

    ``?format`` and ``?options`` (scipen = 0): fixed notation unless it would be wider than
    scientific notation. Fixed notation gives every number the decimals that the one needing
    most of them needs (at least ``nsmall``); scientific notation gives every mantissa the
    significant digits of the one needing most.
    """
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return RealFormat(width=max((len(_nonfinite(v)) for v in values), default=2), decimals=0,
                          scientific=False)  # fmt: skip
    shapes = [_shape(v, digits) for v in finite]
    any_negative = any(s.negative for s in shapes)
    decimals = 0
    left_width = 0
    for s in shapes:
        left_digits = s.exponent + 1 - s.carried  # digits left of the point in fixed notation
        decimals = max(decimals, s.significant - left_digits)
        left_width = max(left_width, s.negative + max(left_digits, 1))
    fixed_width = left_width + decimals + (decimals > 0)
    mantissa_decimals = max(s.significant for s in shapes) - 1
    # sign, the leading digit, the point and decimals (if any), "e", the exponent's sign and digits
    point = mantissa_decimals > 0
    scientific_width = any_negative + 1 + point + mantissa_decimals + 2 + _exponent_digits(shapes)
    if fixed_width <= scientific_width:
        decimals = max(decimals, nsmall)
        fixed_width = left_width + decimals + (decimals > 0)
        width = max([fixed_width] + [len(_nonfinite(v)) for v in values if not math.isfinite(v)])
        return RealFormat(width=width, decimals=decimals, scientific=False)
    return RealFormat(
        width=scientific_width,
        decimals=mantissa_decimals,
        scientific=True,
        mantissa_digits=mantissa_decimals,
    )


def _nonfinite(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    return "Inf" if v > 0 else "-Inf"


def _format_one(v: float, spec: RealFormat) -> str:
    if not math.isfinite(v):
        return _nonfinite(v)
    v = v + 0.0  # R prints a negative zero as 0
    if spec.scientific:
        return f"{v:.{spec.decimals}e}"
    return f"{v:.{spec.decimals}f}"


def r_format(values, digits: int = 7, nsmall: int = 0, na: str = "NA") -> list[str]:
    """R's ``format(x, digits = digits, nsmall = nsmall)`` of a numeric vector (common width)."""
    values = [float(v) for v in values]
    present = [v for v in values if not math.isnan(v)] or values
    spec = format_real_spec(present, digits, nsmall)
    out = [na if math.isnan(v) and present is not values else _format_one(v, spec) for v in values]
    width = max([spec.width] + [len(s) for s in out])  # R pads to the width it computed
    return [s.rjust(width) for s in out]


def _fixed_pvalue(p: float, digits: int) -> bool:
    """Whether ``format.pval`` shows ``p`` in fixed notation: from 1e-4 up (1e-5 up when
    ``digits`` > 1, as R's output shows)."""
    exponent = math.floor(math.log10(p if p > 0 else 1e-50))
    return exponent >= -3 or (exponent == -4 and digits > 1)


def _below_eps_text(eps: float, digits: int, others: list[str]) -> str:
    """How ``format.pval`` shows a p-value below ``eps``: "<" and eps with fewer digits, as
    narrow as the other p-values' column allows (a space after "<" unless both are narrow)."""
    eps_digits = max(1, digits - 2)
    if others:
        column = max(len(text) for text in others)
        if eps_digits > 1 and eps_digits + 6 > column:
            eps_digits = max(1, column - 7)
        space = "" if eps_digits == 1 and column <= 6 else " "
    else:
        space = "" if eps_digits == 1 else " "
    return "<" + space + r_format([eps], eps_digits)[0]


def format_pval(pvalues, digits: int, eps: float = 2.220446049250313e-16) -> list[str]:
    """R's ``format.pval(pv, digits, eps)``: p-values as ``format()`` shows them with ``digits``,
    those in fixed and those in scientific notation formatted as two groups, and those below
    ``eps`` as "< eps"."""
    pvalues = [float(p) for p in pvalues]
    shown: dict[int, str] = {}
    for fixed in (True, False):
        group = [
            i for i, p in enumerate(pvalues) if p >= eps and _fixed_pvalue(p, digits) == fixed
        ]  # (a NaN is neither: R shows it as NA)
        if group:
            texts = r_format([pvalues[i] for i in group], digits)
            shown.update(zip(group, texts, strict=True))
    below = [i for i, p in enumerate(pvalues) if p < eps]
    if below:
        text = _below_eps_text(eps, digits, list(shown.values()))
        shown.update(dict.fromkeys(below, text))
    shown.update({i: "NA" for i, p in enumerate(pvalues) if math.isnan(p)})
    return [shown[i] for i in range(len(pvalues))]


# -- text layout ------------------------------------------------------------------------
def cat_fill(items: list[str], sep: str = " ", width: int = WIDTH) -> str:
    """``cat(..., sep = sep, fill = TRUE)``: a separator, then a line break if the item won't fit."""
    text = ""
    used = 0
    for k, item in enumerate(items):
        if k > 0:
            text += sep
            if used + len(item) + len(sep) > width:
                text += "\n"
                used = 0
        text += item
        used += len(item) + len(sep)
    if used > 0:
        text += "\n"
    return text


def strwrap(text: str, width: int, exdent: int = 0) -> list[str]:
    """R's ``strwrap`` for a single paragraph (lines shorter than ``width``)."""
    words = text.split()
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        indent = exdent if lines else 0
        if current and indent + len(candidate) >= width:
            lines.append(current)
            current = word
        else:
            current = candidate
    lines.append(current)
    return [(" " * exdent if i else "") + line for i, line in enumerate(lines)]


def print_matrix(
    rownames: list[str], colnames: list[str], cells: list[list[str]], right: bool
) -> list[str]:
    """``print.default`` of a character matrix with ``quote = FALSE``, wrapped as R wraps it.

    Columns (each one space and its width) are added to a block while the line stays narrower
    than ``WIDTH``; a block always holds at least one column. Each block is printed in turn,
    its own header line first, the row names repeated.
    """
    row_width = max((len(r) for r in rownames), default=0)
    widths = [max([len(c)] + [len(row[j]) for row in cells]) for j, c in enumerate(colnames)]

    def justify(s: str, w: int) -> str:
        return s.rjust(w) if right else s.ljust(w)

    lines = []
    for block in _column_blocks(row_width, widths):
        lines.append(
            " " * row_width + "".join(" " + justify(colnames[j], widths[j]) for j in block)
        )
        for name, row in zip(rownames, cells, strict=True):
            lines.append(
                name.ljust(row_width) + "".join(" " + justify(row[j], widths[j]) for j in block)
            )
    return lines


def _column_blocks(row_width: int, widths: list[int]) -> list[range]:
    """The column ranges R prints together: a line holds columns while it stays < WIDTH."""
    blocks, start = [], 0
    while start < len(widths):
        used, stop = row_width + widths[start] + 1, start + 1
        while stop < len(widths) and used + widths[stop] + 1 < WIDTH:
            used += widths[stop] + 1
            stop += 1
        blocks.append(range(start, stop))
        start = stop
    return blocks or [range(0)]


def print_named(names: list[str], strings: list[str]) -> list[str]:
    """``print`` of a named vector: right-justified columns, each followed by one space."""
    width = max(len(s) for s in [*names, *strings])
    per_line = max(1, WIDTH // (width + 1))
    lines = []
    for start in range(0, len(names), per_line):
        chunk = slice(start, start + per_line)
        lines.append("".join(n.rjust(width) + " " for n in names[chunk]))
        lines.append("".join(s.rjust(width) + " " for s in strings[chunk]))
    return lines


# -- abbreviate -------------------------------------------------------------------------
_VOWELS = set("aeiou")


def _strip_chars(name: str, minlength: int) -> str:
    """One name shortened as ``?abbreviate`` describes (``method = "left.kept"``): strip the
    spaces at its ends, then drop characters from the right until it is ``minlength`` long,
    first lower-case vowels, then other lower-case letters, then anything else but spaces,
    never the first character of a word."""
    chars = list(name.strip())
    for droppable in (
        lambda c: c in _VOWELS,
        lambda c: c.islower(),
        lambda c: not c.isspace(),
    ):
        position = len(chars) - 1
        while position > 0 and len(chars) > minlength:
            starts_word = chars[position - 1].isspace()
            if position < len(chars) and droppable(chars[position]) and not starts_word:
                del chars[position]
            position -= 1
    return "".join(chars)


def abbreviate(names: list[str], minlength: int) -> list[str]:
    """R's ``abbreviate(names, minlength)``: duplicates get a longer minlength."""
    unique = list(dict.fromkeys(names))
    result = {n: _strip_chars(n, minlength) for n in unique}
    length = minlength
    while True:
        values = list(result.values())
        dup_values = {v for v in values if values.count(v) > 1}
        if not dup_values:
            break
        length += 1
        for n in unique:
            if result[n] in dup_values:
                result[n] = _strip_chars(n, length)
    return [result[n] for n in names]


# -- deparse of a formula ---------------------------------------------------------------
