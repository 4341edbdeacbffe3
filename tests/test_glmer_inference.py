"""glmer profile intervals whose profile never crosses the cut-off (hlmtutor.lmm.glmer_inference).

lmer's profile intervals report such a limit as -inf/inf with a warning naming the parameter
(``inference._one_root``); glmer's do the same. The fit: a binomial GLMM whose groups are each
all 0 or all 1, so the data put no upper bound on the group SD (the Laplace deviance rises only
like log(SD), less than the 95% cut-off of 3.84 over the 30 growing steps the walk takes, to
about 8e6). A fit whose optimum is not the profile's minimum (a separated binomial fit) gets NaN
limits with a warning, not scipy's bracketing error.
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


@pytest.mark.slow
def test_a_separated_fit_profiles_without_error_and_says_what_it_could_not_find():
    """y = 1 exactly where x > 0: the slope's estimate runs off (about 3e6), the fit warns, and
    profiling it used to stop with scipy's 'f(a) and f(b) must have different signs'. Now the
    slope's upper limit is unbounded (the deviance only falls as the slope grows) and its lower
    one, with no crossing to bracket, is NaN; each with a warning naming x."""
    rng = np.random.default_rng(1)
    data = pd.DataFrame({"g": rng.integers(0, 12, 120), "x": rng.normal(size=120)})
    data["y"] = (data.x > 0).astype(int)
    data["g"] = "g" + data.g.astype(str)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = hlm.glmer("y ~ x + (1 | g)", data, family="binomial")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ci = m.confint(method="profile")
    messages = [str(w.message) for w in caught]
    assert ci.loc["x", "97.5 %"] == np.inf and np.isnan(ci.loc["x", "2.5 %"])
    assert any("profile of x stays below the cut-off" in t and "upper" in t for t in messages)
    assert any("profile of x is above the cut-off at the estimate itself" in t for t in messages)
