"""Run the engine's small dense linear algebra on one BLAS thread.

The engine's matrices are small (q x q blocks, a Schur complement of the smaller factors), and
OpenBLAS's threaded triangular solves spend milliseconds synchronising threads on them (seen:
3 ms a call with two threads, 0.01 ms with one). One thread is also one order of summation, the
same on every run of a machine.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from threadpoolctl import ThreadpoolController

P = ParamSpec("P")
R = TypeVar("R")


@functools.cache
def _controller() -> ThreadpoolController:
    # Finding the loaded BLAS libraries takes about a millisecond: do it once.
    return ThreadpoolController()


def single_threaded(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator: call ``func`` with BLAS limited to one thread (restored afterwards)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _controller().limit(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper
