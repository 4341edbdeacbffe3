"""lmerTest's and pbkrtest's toolbox for a fitted ``hlmtutor.lmer`` model.

Tests of fixed-effect contrasts with Satterthwaite's or Kenward-Roger's df (``contest``,
``coef_table``, ``drop1``, ``ls_means``, ``difflsmeans``), tests of the random terms
(``ranova``), the parametric bootstrap (``simulate_lmer``, ``bootstrap``, ``pb_modcomp``) and
``update`` (a refit of an lmer or glmer fit with a changed formula or data). They are defined in
``hlmtutor.lmm.contrasts``, ``hlmtutor.lmm.ranova``, ``hlmtutor.lmm.bootstrap`` and
``hlmtutor.lmm.update`` (Kenward-Roger's adjustment in ``hlmtutor.lmm.kenward_roger``); this
module gathers them for the top level.
"""

from .lmm.bootstrap import BootstrapResult, PBModcomp, bootstrap, pb_modcomp, simulate_lmer
from .lmm.contrasts import coef_table, contest, difflsmeans, drop1, ls_means
from .lmm.ranova import ranova
from .lmm.update import update

__all__ = [
    "contest",
    "coef_table",
    "drop1",
    "ls_means",
    "difflsmeans",
    "ranova",
    "simulate_lmer",
    "bootstrap",
    "BootstrapResult",
    "pb_modcomp",
    "PBModcomp",
    "update",
]
