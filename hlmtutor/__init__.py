"""hlmtutor: hierarchical linear (mixed-effects) models in Python.

The helpers of the hlmtutor book. Every public statistics name is importable from
the top level, e.g. ``from hlmtutor import lmer, guide_data``. The course tools (assignments,
checks, grading) live in :mod:`hlmtutor.course` and are not re-exported here.

The modules are named apart from the functions they hold, so that both stay reachable:
``hlmtutor.describe`` and ``hlmtutor.power`` are the functions, :mod:`hlmtutor.describing` and
:mod:`hlmtutor.power_analysis` their modules (``import hlmtutor.power_analysis as P``).
"""

from . import (
    centering,
    datasets,
    describing,
    diagnostics,
    models,
    plots,
    power_analysis,
    report,
    rng,
    simulate,
    toolbox,
)
from .centering import *
from .datasets import *
from .describing import *
from .diagnostics import *
from .models import *
from .plots import *
from .power_analysis import *
from .report import *
from .rng import *
from .simulate import *
from .toolbox import *


def _version() -> str:
    """The installed distribution's version (pyproject.toml is the one place it is set)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hlmtutor")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


__version__ = _version()
