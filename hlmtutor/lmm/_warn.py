"""Warnings that point at the reader's line, not at the engine's."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

_PACKAGE = str(Path(__file__).resolve().parents[1])
_PACKAGE_AS_IMPORTED = str(Path(__file__).parents[1])


def warn(message: str) -> None:
    """``warnings.warn(message, UserWarning)`` attributed to the first caller outside hlmtutor.

    The engine's calls pass through decorators and helpers, so a fixed ``stacklevel`` would name
    a line inside the package; the reader wants the line of their own code that fitted the model.
    """
    level = 2  # 1 is this function, 2 its caller
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(
        (_PACKAGE, _PACKAGE_AS_IMPORTED)
    ):
        frame = frame.f_back
        level += 1
    warnings.warn(message, UserWarning, stacklevel=level)
