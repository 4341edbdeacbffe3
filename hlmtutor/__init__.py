"""hlmtutor: hierarchical linear (mixed-effects) models in Python.

The helpers of the hlmtutor book. Every public name is importable from the
top level, e.g. ``from hlmtutor import lmer, guide_data``.
"""

from .rng import *
from .simulate import *
from .describe import *
from .centering import *
from .models import *
from .datasets import *
from .plots import *
from .diagnostics import *
from .check import *
from .assignments import *
from .power import *

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

__version__ = "0.1.0"
