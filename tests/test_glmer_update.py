"""update() and refit() for glmer fits (hlmtutor/lmm/update.py, GlmerResult.refit).

R's update on a glmerMod calls glmer again with the call's other arguments, so each update is
checked against the direct hlmtutor glmer fit it must equal (those are checked against lme4 in
test_glmer_reference.py): same rows, same family, weights and offset, same logLik. One set of
updates is also checked against lme4's own: ``tests/reference/glmer_update.R`` wrote the data
(as read back) and lme4's fits under ``tests/reference/glmer_update/``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hlmtutor import GlmerResult, anova, glmer, update

SAME = 1e-10  # the same fit computed twice: equal up to rounding
REF = Path(__file__).parent / "reference" / "glmer_update"
# against lme4, the rules of test_glmer_reference.py
LOGLIK_ATOL = 1e-6  # never below lme4's by more than this
LOGLIK_ABOVE = 1e-3  # nor above it by more than its stopping tolerance explains
EST_SE = 2e-2  # estimates within 2% of their standard error
SE_RTOL = 5e-3  # standard errors
THETA_ATOL = 5e-3


def _quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def _binary(seed: int = 11, groups: int = 25, size: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), size)
    x, z = rng.normal(size=(2, groups * size))
    eta = -0.3 + 0.8 * x + 0.4 * z + rng.normal(0, 1.0, groups)[g]
    y = (rng.random(groups * size) < 1 / (1 + np.exp(-eta))).astype(int)
    # a non-default index: rows are matched by position and the index must survive
    index = pd.Index([f"r{i}" for i in range(groups * size)][::-1])
    return pd.DataFrame({"y": y, "x": x, "z": z, "g": g}, index=index)


def _counts(seed: int = 12, groups: int = 20, size: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), size)
    x, z = rng.normal(size=(2, groups * size))
    exposure = rng.uniform(0.5, 3.0, groups * size)
    y = rng.poisson(exposure * np.exp(0.2 + 0.4 * x - 0.3 * z + rng.normal(0, 0.5, groups)[g]))
    return pd.DataFrame({"y": y, "x": x, "z": z, "g": g, "log_exposure": np.log(exposure)})


def _proportions(seed: int = 13, groups: int = 20, size: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), size)
    x, z = rng.normal(size=(2, groups * size))
    trials = rng.integers(1, 15, groups * size)
    eta = 0.2 + 0.6 * x - 0.3 * z + rng.normal(0, 0.8, groups)[g]
    successes = rng.binomial(trials, 1 / (1 + np.exp(-eta)))
    return pd.DataFrame({"p": successes / trials, "x": x, "z": z, "g": g, "n": trials})


def _assert_same_fit(ours: GlmerResult, direct: GlmerResult) -> None:
    assert ours.formula == direct.formula
    assert (ours.family, ours.link, ours.nAGQ) == (direct.family, direct.link, direct.nAGQ)
    assert ours.nobs == direct.nobs
    np.testing.assert_allclose(ours.loglik, direct.loglik, rtol=0, atol=SAME)
    np.testing.assert_allclose(ours.params, direct.params, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.theta, direct.theta, rtol=1e-8, atol=1e-10)
    assert list(ours.row_index) == list(direct.row_index)
    assert (ours.weights_name, ours.offset_name) == (direct.weights_name, direct.offset_name)


# -- a changed formula ---------------------------------------------------------------------------
def test_a_changed_formula_is_the_direct_fit_of_that_formula():
    """R: update(m, . ~ . + z) on glmer(y ~ x + (1 | g), family = binomial)."""
    data = _binary()
    fit = _quiet(glmer, "y ~ x + (1 | g)", data)
    ours = _quiet(update, fit, ". ~ . + z")
    direct = _quiet(glmer, "y ~ x + (1 | g) + z", data)
    _assert_same_fit(ours, direct)
    assert list(ours.params.index) == ["(Intercept)", "x", "z"]
    # nested fits on the same rows: the LRT compares them as anova(fit, direct) does
    lrt = anova(fit, ours)
    np.testing.assert_allclose(
        lrt["Chisq"].iloc[1], 2 * (direct.loglik - fit.loglik), rtol=1e-10, atol=1e-10
    )


def test_a_link_carries_over_and_a_new_family_takes_its_own_default_link():
    data = _binary()
    probit = _quiet(glmer, "y ~ x + (1 | g)", data, link="probit")
    ours = _quiet(update, probit, ". ~ . - x")
    _assert_same_fit(ours, _quiet(glmer, "y ~ x + (1 | g) - x", data, link="probit"))
    poisson = _quiet(update, probit, family="poisson")
    assert (poisson.family, poisson.link) == ("poisson", "log")
    _assert_same_fit(poisson, _quiet(glmer, "y ~ x + (1 | g)", data, family="poisson"))


# -- weights and offset ------------------------------------------------------------------------
@pytest.mark.parametrize("as_column", [True, False], ids=["column", "array"])
def test_a_poisson_offset_carries_over(as_column):
    """R: update(m, . ~ . + z) on glmer(y ~ x + (1 | g), poisson, offset = log(exposure))."""
    data = _counts()
    offset = "log_exposure" if as_column else data["log_exposure"].to_numpy()
    fit = _quiet(glmer, "y ~ x + (1 | g)", data, family="poisson", offset=offset)
    ours = _quiet(update, fit, ". ~ . + z")
    direct = _quiet(glmer, "y ~ x + (1 | g) + z", data, family="poisson", offset=offset)
    _assert_same_fit(ours, direct)
    without = _quiet(glmer, "y ~ x + (1 | g) + z", data, family="poisson")
    assert abs(ours.loglik - without.loglik) > 1.0  # the offset did change the fit


def test_an_array_offset_lines_up_after_rows_are_dropped_for_missing_values():
    """Rows missing x are dropped by the first fit; the offset (one value per row of the data
    given) must still belong to the rows kept, in the refit with a new term too."""
    data = _counts()
    data.loc[[3, 50, 51, 120], "x"] = np.nan
    offset = data["log_exposure"].to_numpy()
    fit = _quiet(glmer, "y ~ x + (1 | g)", data, family="poisson", offset=offset)
    assert fit.nobs == len(data) - 4
    ours = _quiet(update, fit, ". ~ . + z")
    _assert_same_fit(
        ours, _quiet(glmer, "y ~ x + (1 | g) + z", data, family="poisson", offset=offset)
    )


def test_an_offset_term_and_the_offset_argument_both_carry_over():
    data = _counts().assign(half=lambda d: 0.5 * d["log_exposure"])
    fit = _quiet(glmer, "y ~ x + offset(half) + (1 | g)", data, family="poisson", offset="half")
    ours = _quiet(update, fit, ". ~ . + z")
    direct = _quiet(
        glmer, "y ~ x + offset(half) + (1 | g) + z", data, family="poisson", offset="half"
    )
    _assert_same_fit(ours, direct)


@pytest.mark.parametrize("as_column", [True, False], ids=["column", "array"])
def test_a_binomial_proportion_keeps_its_trials_as_weights(as_column):
    """R: update(m, . ~ . + z) on glmer(p ~ x + (1 | g), binomial, weights = n)."""
    data = _proportions()
    weights = "n" if as_column else data["n"]
    fit = _quiet(glmer, "p ~ x + (1 | g)", data, weights=weights)
    ours = _quiet(update, fit, ". ~ . + z")
    direct = _quiet(glmer, "p ~ x + (1 | g) + z", data, weights=weights)
    _assert_same_fit(ours, direct)
    assert ours.weights_name == "n"
    # the trials matter: the same proportions as single trials is another likelihood
    direct_cbind = _quiet(glmer, "cbind(p * n, n - p * n) ~ x + (1 | g) + z", data)
    np.testing.assert_allclose(ours.loglik, direct_cbind.loglik, rtol=0, atol=1e-6)


def test_weights_with_subset_are_cut_with_the_rows():
    data = _proportions()
    fit = _quiet(glmer, "p ~ x + (1 | g)", data, weights=data["n"].to_numpy())
    ours = _quiet(update, fit, subset="z > -1")
    direct = _quiet(glmer, "p ~ x + (1 | g)", data, weights=data["n"].to_numpy(), subset="z > -1")
    _assert_same_fit(ours, direct)
    assert ours.nobs < fit.nobs


def test_new_data_takes_column_weights_but_refuses_array_weights():
    data = _proportions()
    half = data.iloc[: len(data) // 2 + 8]  # 10 whole groups plus one
    by_name = _quiet(glmer, "p ~ x + (1 | g)", data, weights="n")
    _assert_same_fit(
        _quiet(update, by_name, data=half), _quiet(glmer, "p ~ x + (1 | g)", half, weights="n")
    )
    by_values = _quiet(glmer, "p ~ x + (1 | g)", data, weights=data["n"].to_numpy())
    with pytest.raises(ValueError, match=r"weights= was given as values.*Pass weights="):
        update(by_values, data=half)
    # given again for the new data, it is used
    _assert_same_fit(
        _quiet(update, by_values, data=half, weights=half["n"].to_numpy()),
        _quiet(glmer, "p ~ x + (1 | g)", half, weights=half["n"].to_numpy()),
    )


# -- nAGQ, optimizer, REML -----------------------------------------------------------------------
def test_nagq_can_be_changed_and_then_carries_over():
    """R: update(m, nAGQ = 5), then update(m5, . ~ . + z)."""
    data = _binary()
    laplace = _quiet(glmer, "y ~ x + (1 | g)", data)
    agq = _quiet(update, laplace, nAGQ=5)
    _assert_same_fit(agq, _quiet(glmer, "y ~ x + (1 | g)", data, nAGQ=5))
    assert abs(agq.loglik - laplace.loglik) > 1e-6  # a different approximation
    _assert_same_fit(
        _quiet(update, agq, ". ~ . + z"), _quiet(glmer, "y ~ x + (1 | g) + z", data, nAGQ=5)
    )


@pytest.fixture(scope="module")
def evaluated() -> GlmerResult:
    """A fit made with optimizer=None: the model evaluated at given parameters."""
    return _quiet(
        glmer, "y ~ x + (1 | g)", _binary(), optimizer=None,
        start={"theta": [0.5], "fixef": [0.0, 0.0]},
    )  # fmt: skip


def test_an_evaluated_fit_is_refitted_by_its_refit_method(evaluated):
    """R: refit(m) on a glmer fit whose optimizer did not run."""
    direct = _quiet(glmer, "y ~ x + (1 | g)", _binary())
    refitted = _quiet(evaluated.refit)
    assert (evaluated.optimizer, refitted.optimizer) == (None, "bobyqa")
    assert refitted.loglik > evaluated.loglik + 1.0
    # another start, the same optimum: within the optimizer's tolerance of the direct fit
    np.testing.assert_allclose(refitted.loglik, direct.loglik, rtol=0, atol=1e-6)
    np.testing.assert_allclose(refitted.params, direct.params, rtol=1e-3)
    np.testing.assert_allclose(refitted.theta, direct.theta, rtol=1e-3)
    assert evaluated.optimizer is None  # the evaluated fit itself is unchanged
    # an explicit start: from the direct optimum it moves no further than the optimizer's
    # tolerance, and to no worse a logLik
    from_optimum = _quiet(
        evaluated.refit, {"theta": direct.theta, "fixef": direct.params.to_numpy()}
    )
    assert direct.loglik - 1e-10 <= from_optimum.loglik <= direct.loglik + 1e-5


def test_an_evaluated_fit_is_refitted_by_update_with_the_default_optimizer(evaluated):
    """R: update(m, control = glmerControl()) after a fit at fixed parameters."""
    ours = _quiet(update, evaluated, optimizer="default")
    _assert_same_fit(ours, _quiet(glmer, "y ~ x + (1 | g)", _binary()))
    assert ours.optimizer == "bobyqa"


def test_reml_is_refused_for_a_glmer_fit(evaluated):
    for reml in (True, False):
        with pytest.raises(ValueError, match="REML= applies to lmer fits only"):
            update(evaluated, ". ~ . + z", REML=reml)


# -- against lme4 --------------------------------------------------------------------------------
def _assert_matches_lme4(ours: GlmerResult, name: str) -> None:
    ref = pd.read_csv(REF / f"{name}_fixef.csv").set_index("term")
    scalars = pd.read_csv(REF / f"{name}_scalars.csv").iloc[0]
    assert (ours.nobs, ours.nAGQ) == (int(scalars["nobs"]), int(scalars["nAGQ"]))
    loglik = float(scalars["logLik"])
    assert loglik - LOGLIK_ATOL <= ours.loglik <= loglik + LOGLIK_ABOVE, name
    assert list(ours.fixef.index) == list(ref.index)
    se = ref["Std. Error"].to_numpy()
    np.testing.assert_array_less(np.abs(ours.fixef["Estimate"] - ref["Estimate"]), EST_SE * se)
    np.testing.assert_allclose(ours.fixef["Std. Error"], se, rtol=SE_RTOL)
    np.testing.assert_allclose(ours.theta, [float(scalars["theta"])], rtol=0, atol=THETA_ATOL)


def test_updates_of_a_poisson_fit_with_an_offset_match_lme4s():
    """R: m0 <- glmer(y ~ x + (1 | g), counts, poisson, offset = logt); update(m0, . ~ . + z);
    update(m0, nAGQ = 5) (x is missing on 4 rows, dropped by each fit)."""
    counts = pd.read_csv(REF / "counts.csv")
    m0 = _quiet(glmer, "y ~ x + (1 | g)", counts, family="poisson", offset="logt")
    _assert_matches_lme4(m0, "counts_m0")
    _assert_matches_lme4(_quiet(update, m0, ". ~ . + z"), "counts_plus_z")
    _assert_matches_lme4(_quiet(update, m0, nAGQ=5), "counts_agq5")


def test_update_of_a_weighted_proportion_matches_lme4s():
    """R: p0 <- glmer(p ~ x + (1 | g), props, binomial, weights = n); update(p0, . ~ . + z)."""
    props = pd.read_csv(REF / "props.csv")
    p0 = _quiet(glmer, "p ~ x + (1 | g)", props, weights="n")
    _assert_matches_lme4(p0, "props_p0")
    _assert_matches_lme4(_quiet(update, p0, ". ~ . + z"), "props_plus_z")
