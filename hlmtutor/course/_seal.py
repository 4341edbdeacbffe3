"""Sealed answers: what a student's notebook holds so its checks can say "correct" or "not yet".

The instructor's tool (``hlmtutor-instructor``) computes each right value when it writes a
student's notebook and seals it here: it never stores the value, only salted, slow hashes
(PBKDF2-HMAC-SHA256) of the tolerance bins the value falls in. A check hashes the bins around the
student's answer with the same salt and says "correct" when one of them is among the sealed ones.
Nothing in this module computes a right value from data.

A number is sealed in bins of a quarter of its absolute tolerance (and, when the tolerance has a
relative part, in bins of a quarter of that part on the log scale). An answer within the
tolerance always shares a bin within four bins of the right value's, so it opens the seal; an
answer opens it only when it is within 1.25 tolerances. The grader judges the exact tolerance.
A column is sealed whole: the hash of every row rounded to its tolerance.

What remains possible (said on the instructor page): a student who hashes many candidate values
offline finds a sealed value's bin; each guess costs one slow hash.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
from collections.abc import Sequence
from typing import Any

ITERATIONS = 20_000  # PBKDF2 rounds per hash: a check costs about 18 of them
STEPS = 4  # bins per tolerance
DIGEST_CHARS = 32


def _digest(salt: str, text: str) -> str:
    key = hashlib.pbkdf2_hmac("sha256", text.encode("utf-8"), bytes.fromhex(salt), ITERATIONS)
    return key.hex()[:DIGEST_CHARS]


def _absolute_bin(value: float, absolute: float) -> int:
    return math.floor(value / (absolute / STEPS))


def _log_bin(value: float, relative: float) -> tuple[int, int]:
    return (1 if value > 0 else -1), math.floor(
        math.log(abs(value)) / (math.log1p(relative) / STEPS)
    )


def _bins(value: float, absolute: float, relative: float) -> list[str]:
    """The labels of the bins ``value`` falls in."""
    labels = []
    if absolute > 0:
        labels.append(f"a:{_absolute_bin(value, absolute)}")
    if relative > 0 and value != 0:
        sign, index = _log_bin(value, relative)
        labels.append(f"l:{sign}:{index}")
    return labels


def _nearby_bins(value: float, absolute: float, relative: float) -> list[str]:
    """The labels of every bin within ``STEPS`` bins of ``value``'s (what an answer opens)."""
    labels = []
    if absolute > 0:
        centre = _absolute_bin(value, absolute)
        labels += [f"a:{centre + shift}" for shift in range(-STEPS, STEPS + 1)]
    if relative > 0 and value != 0:
        sign, centre = _log_bin(value, relative)
        labels += [f"l:{sign}:{centre + shift}" for shift in range(-STEPS, STEPS + 1)]
    return labels


def seal_number(value: float, absolute: float, relative: float = 0.0) -> dict[str, Any]:
    """Seal a right value with its tolerance ``max(absolute, relative * |value|)``.

    Examples
    --------
    >>> sealed = seal_number(0.25, absolute=0.005)
    >>> opens(sealed, 0.2531), opens(sealed, 0.26), "0.25" in str(sealed)
    (True, False, False)
    """
    if not math.isfinite(value) or absolute <= 0:
        raise ValueError(f"cannot seal {value!r} with absolute tolerance {absolute!r}")
    salt = secrets.token_hex(16)
    return {
        "kind": "number",
        "salt": salt,
        "absolute": absolute,
        "relative": relative,
        "digests": sorted(_digest(salt, label) for label in _bins(value, absolute, relative)),
    }


def _column_text(values: Sequence[float], tolerance: float) -> str:
    return ",".join("nan" if math.isnan(v) else str(round(v / tolerance)) for v in values)


def seal_column(values: Sequence[float], tolerance: float) -> dict[str, Any]:
    """Seal a right column: every row rounded to ``tolerance``, hashed as a whole."""
    salt = secrets.token_hex(16)
    floats = [float(v) for v in values]
    return {
        "kind": "column",
        "salt": salt,
        "tolerance": tolerance,
        "rows": len(floats),
        "digests": [_digest(salt, _column_text(floats, tolerance))],
    }


def opens(sealed: dict[str, Any], answer: Any) -> bool:
    """Whether ``answer`` (a float, or a list of floats for a column) opens ``sealed``."""
    digests = set(sealed["digests"])
    if sealed["kind"] == "column":
        return _digest(sealed["salt"], _column_text(answer, sealed["tolerance"])) in digests
    labels = _nearby_bins(float(answer), sealed["absolute"], sealed["relative"])
    return any(_digest(sealed["salt"], label) in digests for label in labels)


def dumps(seals: dict[str, dict[str, Any]]) -> str:
    """The seals of one notebook as compact JSON (what the notebook's seal cell holds)."""
    return json.dumps(seals, separators=(",", ":"), sort_keys=True)
