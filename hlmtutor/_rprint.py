"""R's printing rules, ported for lmerTest's summary text.

Only what ``print(summary(lmer_fit))`` uses: ``format()`` of numbers (R's formatReal),
``format.pval``, ``printCoefmat``'s rounding, ``abbreviate``, ``cat(fill = TRUE)``,
``deparse`` of a formula, and ``print.default`` of character matrices and named vectors.
Everything assumes R's defaults: width 80, digits 7, scipen 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH = 80
DEPARSE_CUTOFF = 60


# -- numbers -----------------------------------------------------------------------------
def r_round(x: float, digits: float) -> float:
    """R's round(x, digits); non-integer digits are rounded to the nearest integer."""
    if not math.isfinite(x):
        return x
    return round(x, int(math.floor(digits + 0.5)))


def _scientific(x: float, digits: int) -> tuple[bool, int, int, bool]:
    """R's scientific(): (negative, exponent kpower, significant digits nsig, roundingwidens)."""
    if x == 0.0:
        return False, 0, 1, False
    neg = x < 0
    r = abs(x)
    kp = math.floor(math.log10(r)) - digits + 1
    r_prec = r / 10.0**kp if kp >= 0 else r * 10.0 ** (-kp)
    if r_prec < 10.0 ** (digits - 1):
        r_prec *= 10.0
        kp -= 1
    alpha = float(round(r_prec))
    nsig = digits
    for _ in range(digits):
        alpha /= 10.0
        if alpha == math.floor(alpha):
            nsig -= 1
        else:
            break
    if nsig == 0 and digits > 0:
        nsig = 1
        kp += 1
    kpower = kp + digits - 1
    rgt = min(max(7 - kpower, 0), 22)
    fuzz = 0.5 / 10.0**rgt
    widens = 0 < kpower <= 22 and r < 10.0**kpower - fuzz
    return neg, kpower, nsig, widens


@dataclass
class RealFormat:
    width: int
    decimals: int
    scientific: bool
    mantissa_digits: int = 0


def format_real_spec(values: list[float], digits: int = 7, nsmall: int = 0) -> RealFormat:
    """The common width and decimals R's formatReal picks for ``values``."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return RealFormat(width=max((len(_nonfinite(v)) for v in values), default=2), decimals=0,
                          scientific=False)  # fmt: skip
    neg = 0
    rgt = mxsl = mxe = mxns = -(10**9)
    mne = 10**9
    for v in finite:
        is_neg, kpower, nsig, widens = _scientific(v, digits)
        left = kpower + 1
        if widens:
            left -= 1
        sleft = int(is_neg) + (1 if left <= 0 else left)
        right = nsig - left
        neg = max(neg, int(is_neg))
        rgt = max(rgt, right)
        mxsl = max(mxsl, sleft)
        mxe = max(mxe, kpower)
        mne = min(mne, kpower)
        mxns = max(mxns, nsig)
    rgt = max(rgt, 0)
    w_fixed = mxsl + rgt + (rgt > 0)
    e_digits = 2 if (mxe >= 100 or mne <= -99) else 1
    d = mxns - 1
    w_exp = neg + (d > 0) + d + 4 + e_digits
    if w_fixed <= w_exp:
        rgt = max(rgt, nsmall)
        w_fixed = mxsl + rgt + (rgt > 0)
        width = max([w_fixed] + [len(_nonfinite(v)) for v in values if not math.isfinite(v)])
        return RealFormat(width=width, decimals=rgt, scientific=False)
    return RealFormat(width=w_exp, decimals=d, scientific=True, mantissa_digits=d)


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
    width = max(len(s) for s in out)
    return [s.rjust(width) for s in out]


def format_pval(pvalues, digits: int, eps: float = 2.220446049250313e-16) -> list[str]:
    """R's ``format.pval(pv, digits, eps)``."""
    pvalues = [float(p) for p in pvalues]
    is0 = [p < eps for p in pvalues]
    out = [""] * len(pvalues)
    rest = [p for p, z in zip(pvalues, is0, strict=True) if not z]
    formatted: list[str] = []
    if rest:
        expo = [math.floor(math.log10(p if p > 0 else 1e-50)) for p in rest]
        fixp = [e >= -3 or (e == -4 and digits > 1) for e in expo]
        formatted = [""] * len(rest)
        for flag in (True, False):
            idx = [i for i, f in enumerate(fixp) if f == flag]
            if idx:
                strings = r_format([rest[i] for i in idx], digits)
                for i, s in zip(idx, strings, strict=True):
                    formatted[i] = s
        it = iter(formatted)
        for i, z in enumerate(is0):
            if not z:
                out[i] = next(it)
    if any(is0):
        d = max(1, digits - 2)
        if rest:
            nc = max(len(s) for s in formatted)
            if d > 1 and d + 6 > nc:
                d = max(1, nc - 7)
            sep = "" if d == 1 and nc <= 6 else " "
        else:
            sep = "" if d == 1 else " "
        text = "<" + sep + r_format([eps], d)[0]
        for i, z in enumerate(is0):
            if z:
                out[i] = text
    return out


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
    """R's C routine behind ``abbreviate(use.classes = TRUE)`` (names without spaces)."""
    chars = list(name.strip())
    if len(chars) <= minlength:
        return "".join(chars)

    def first_char(i: int) -> bool:
        return chars[i - 1].isspace()

    for test in (
        lambda c: c in _VOWELS,
        lambda c: c.islower(),
        lambda c: not c.isspace(),
    ):
        i = len(chars) - 1
        while i > 0:
            if i < len(chars) and test(chars[i]) and not first_char(i):
                del chars[i]
            if len(chars) <= minlength:
                return "".join(chars)
            i -= 1
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
