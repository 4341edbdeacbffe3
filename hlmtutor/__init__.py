"""hlmtutor: hierarchical linear (mixed-effects) models in Python.

The helpers of the hlmtutor book. Every public name is importable from the
top level, e.g. ``from hlmtutor import lmer, guide_data``.
"""

from . import (
    assignments,
    centering,
    check,
    datasets,
    describe,
    diagnostics,
    models,
    plots,
    power,
    rng,
    simulate,
)
from .assignments import *
from .centering import *
from .check import *
from .datasets import *
from .describe import *
from .diagnostics import *
from .models import *
from .plots import *
from .power import *
from .rng import *
from .simulate import *

__version__ = "0.1.0"
