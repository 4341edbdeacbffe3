"""lmerTest's and pbkrtest's toolbox for a fitted :func:`hlmtutor.lmer` model.

Contrasts and their tests with Satterthwaite's or Kenward-Roger's df (``contest``,
``coef_table``, ``drop1``, ``ls_means``, ``difflsmeans``). The implementations live in
:mod:`hlmtutor.lmm` (``contrasts``, ``kenward_roger``); this module gathers them for the top
level.
"""

from .lmm.contrasts import coef_table, contest, difflsmeans, drop1, ls_means

__all__ = ["contest", "coef_table", "drop1", "ls_means", "difflsmeans"]
