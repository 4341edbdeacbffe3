"""glmer profile intervals whose profile never crosses the cut-off (hlmtutor.lmm.glmer_inference).

lmer's profile intervals report such a limit as -inf/inf with a warning naming the parameter
(``inference._one_root``); glmer's do the same. The fit: a binomial GLMM whose groups are each
all 0 or all 1, so the data put no upper bound on the group SD (the Laplace deviance rises only
like log(SD), less than the 95% cut-off of 3.84 over the 30 growing steps the walk takes, to
about 8e6).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import hlmtutor as hlm


@pytest.mark.slow
def test_a_profile_that_never_crosses_is_unbounded_with_a_warning():
    group = np.repeat(np.arange(8), 4)
    data = pd.DataFrame({"g": [f"g{i}" for i in group], "y": (group % 3 == 0).astype(int)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = hlm.glmer("y ~ 1 + (1 | g)", data, family="binomial")
    with pytest.warns(UserWarning, match=r"profile of \.sig01 .* upper confidence limit is unb"):
        ci = m.confint(method="profile")
    assert ci.loc[".sig01", "97.5 %"] == np.inf
    # the other limits are found: the SD's lower limit and both of the intercept's are finite
    assert np.isfinite(ci.loc[".sig01", "2.5 %"]) and ci.loc[".sig01", "2.5 %"] > 0
    assert np.all(np.isfinite(ci.loc["(Intercept)"]))
    assert (
        ci.loc["(Intercept)", "2.5 %"] < m.params["(Intercept)"] < ci.loc["(Intercept)", "97.5 %"]
    )
