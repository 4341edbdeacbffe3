"""Confidence intervals for GLMM fits (lme4's ``confint.merMod``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

if TYPE_CHECKING:  # pragma: no cover
    from .glmer_result import GlmerResult

__all__ = ["confint"]


def _label(p: float) -> str:
    return f"{100 * p:.3g} %"


def confint(result: GlmerResult, level: float = 0.95, method: str = "Wald") -> pd.DataFrame:
    """Wald intervals ``estimate -/+ z_(1 - a/2) SE`` for the fixed effects; the rows of the
    random-effect parameters (``.sig01``, ...) are NaN, as in lme4's ``method = "Wald"``.

    Matches R's ``confint(m, method = "Wald", oldNames = TRUE)``.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level!r}.")
    if method != "Wald":
        raise NotImplementedError(
            f"confint(method={method!r}) is not available for glmer fits yet; use method='Wald'."
        )
    a = (1 - level) / 2
    names = [f".sig{i + 1:02d}" for i in range(result.reterms.n_theta)]
    z = stats.norm.ppf(1 - a)
    est = result.params.to_numpy()
    se = np.sqrt(np.diag(result.vcov.to_numpy()))
    lower = np.r_[np.full(len(names), np.nan), est - z * se]
    upper = np.r_[np.full(len(names), np.nan), est + z * se]
    return pd.DataFrame(
        {_label(a): lower, _label(1 - a): upper}, index=names + list(result.params.index)
    )
