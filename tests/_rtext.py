"""Compare text that R printed with the same text printed by hlmtutor.

R rounds every printed number to a few digits, so two engines that agree to 1e-7 relative still
print different last digits whenever the exact value lies near a rounding boundary (lmerTest's df
153.40665 prints as 153.4066 or 153.4067 depending on the BLAS kernel). ``assert_r_text_equal``
accepts exactly that and nothing more: the words must be equal, and each number may differ from
R's by at most one unit in its last printed digit (plus 1e-7 relative, for numbers printed with
more than seven significant digits).
"""

from __future__ import annotations

import re
from decimal import Decimal

# A number as R prints it: optional sign, digits with an optional fraction, an optional exponent
# ("-3.08840", "153.4067", "1.11e-10", "2e-16", ".5"). Digits glued to a word ("lme4", "s01",
# "I(Days^2)") are numbers too; they must then be equal on both sides, as every word is.
_NUMBER = re.compile(r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")
# Two values this close (relative) must never fail, however many digits R printed
_RELATIVE = Decimal("1e-7")
# Integers below this are printed exactly (counts, df.resid, levels): they must be equal.
_EXACT_INTEGERS_BELOW = 10_000
# R's significance codes after a p-value, and the p-values where they change
_SIGNIF_CODES = {"***", "**", "*", ".", ""}
_SIGNIF_CUTS = (Decimal("0.001"), Decimal("0.01"), Decimal("0.05"), Decimal("0.1"))


def _unit(token: str) -> Decimal:
    """One unit in the last printed digit of ``token`` ("153.4067" -> 0.0001, "2e-16" -> 1e-16)."""
    mantissa, _, exponent = token.lower().lstrip("+-").partition("e")
    decimals = len(mantissa.partition(".")[2])
    return Decimal(1).scaleb(-decimals + (int(exponent) if exponent else 0))


def _numbers_agree(ours: str, r: str) -> bool:
    if ours == r:
        return True
    a, b = Decimal(ours), Decimal(r)
    plain_integers = not any(c in t for t in (ours, r) for c in ".eE")
    if plain_integers and abs(b) < _EXACT_INTEGERS_BELOW:
        return False
    # rounding on both sides: one unit, plus the 1e-7 relative the values themselves may differ by
    # (lmerTest prints df to 9 digits, and its own numerical derivatives move the 8th)
    return abs(a - b) <= max(_unit(ours), _unit(r)) + _RELATIVE * max(abs(a), abs(b))


def _split(line: str) -> tuple[list[str], list[str]]:
    """The words (whitespace runs collapsed) between numbers, and the numbers, of one line."""
    parts = _NUMBER.split(line)
    words = [" ".join(part.split()) for part in parts[0::2]]
    return words, parts[1::2]


def _signif_code_at_a_cut(our_words: list[str], r_words: list[str], r_numbers: list[str]) -> bool:
    """Only the significance code differs, and R's p-value is within a unit of its cut."""
    if our_words[:-1] != r_words[:-1] or not r_numbers:
        return False
    if not {our_words[-1], r_words[-1]} <= _SIGNIF_CODES:
        return False
    p, unit = Decimal(r_numbers[-1]), _unit(r_numbers[-1])
    return any(abs(p - cut) <= unit for cut in _SIGNIF_CUTS)


def r_line_mismatch(ours: str, r: str) -> str | None:
    """Why one line differs from R's line beyond rounding of its last digits, or None."""
    if ours == r:
        return None
    our_words, our_numbers = _split(ours)
    r_words, r_numbers = _split(r)
    if len(our_numbers) != len(r_numbers) or not (
        our_words == r_words or _signif_code_at_a_cut(our_words, r_words, r_numbers)
    ):
        return f"the words differ:\n  ours: {ours!r}\n  R:    {r!r}"
    for a, b in zip(our_numbers, r_numbers, strict=True):
        if not _numbers_agree(a, b):
            return f"{a} is not {b} to one unit in its last digit:\n  ours: {ours!r}\n  R:    {r!r}"
    return None


def assert_r_text_equal(ours: str, r: str) -> None:
    """Assert that ``ours`` is R's printed text ``r``, up to the rounding of last digits.

    Line by line: the same number of lines; on each line the same words in the same order (a run
    of spaces counts as one space, since a number printed one digit wider shifts the columns of
    R's tables); the same count of numbers, each within one unit of R's in the last digit printed
    (153.4066 for R's 153.4067, 1.12e-10 for 1.11e-10, 10.0000 for 9.9999), plus 1e-7 of its
    value where R printed more than seven significant digits (254.015759 for lmerTest's
    254.015771): a value within 1e-7 relative of R's never fails. Integers below
    10,000 written without a point or exponent (counts) must be equal. A significance code
    ("*", ".") may differ only where R's p-value is within a unit of its cut (0.0500 -> "*" or
    ".").

    Parameters
    ----------
    ours : str
        The text hlmtutor printed.
    r : str
        The text R printed (read from a file an R script wrote).
    """
    our_lines, r_lines = ours.splitlines(), r.splitlines()
    problems = [
        f"line {i + 1}: {why}"
        for i, (a, b) in enumerate(zip(our_lines, r_lines, strict=False))
        if (why := r_line_mismatch(a, b)) is not None
    ]
    if len(our_lines) != len(r_lines):
        problems.append(f"{len(our_lines)} lines where R printed {len(r_lines)}")
    assert not problems, "\n".join(problems)
