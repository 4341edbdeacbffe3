"""Pairing two pandas objects row by row: by index label, never silently by position."""

from __future__ import annotations

import pandas as pd


def _labels_missing_from(index: pd.Index, other: pd.Index, limit: int = 3) -> str:
    """Up to ``limit`` labels of ``index`` that ``other`` lacks, as text (``[10, 11, ...]``)."""
    lacking = index[~index.isin(other)].tolist()
    shown = ", ".join(repr(label) for label in lacking[:limit])
    return f"[{shown}{', ...' if len(lacking) > limit else ''}]" if lacking else ""


def match_by_label(other: pd.Series, index: pd.Index, *, this: str, that: str) -> pd.Series:
    """``other`` on ``index``, its rows paired with ``this``'s by index label.

    ``other`` (the argument named ``that``) must have as many rows as ``index`` (the index
    of the argument named ``this``); the caller checks the lengths first. Equal indexes pair
    as they stand; the same unique labels in another order are reordered to ``index``; any
    other difference is a ``ValueError`` naming both arguments and what would work.
    """
    if other.index.equals(index):
        return other
    how = (
        f"to pair them by position, pass {that} as an array ({that}.to_numpy()) or call "
        ".reset_index(drop=True) on both"
    )
    duplicated = [name for name, ix in ((this, index), (that, other.index)) if not ix.is_unique]
    if duplicated:
        raise ValueError(
            f"{this} and {that} have different indexes and {' and '.join(duplicated)} "
            f"repeats index labels, so their rows cannot be paired by label; {how}"
        )
    only_this = _labels_missing_from(index, other.index)
    if only_this:
        only_that = _labels_missing_from(other.index, index)
        raise ValueError(
            f"{this} and {that} have different index labels (in {this} only: {only_this}; "
            f"in {that} only: {only_that}), so their rows cannot be paired by label; {how}"
        )
    return other.reindex(index)
