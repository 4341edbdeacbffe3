"""hlmtutor.glmer against lme4 1.1-31's glmer: every number lme4 prints, on 24 models.

References: ``tests/reference/glmer.R`` (binomial with every response form, logit/probit/cloglog,
Laplace, adaptive Gauss-Hermite and nAGQ = 0, random slopes, nested and crossed factors; Poisson
with offsets, several factors and an observation-level random effect), written with the data
they were fitted to under ``tests/reference/glmer/``. R fitted every model to its CSV as read
back, so both sides fit the same numbers. Each test names the R call it mirrors.

The rule (issue 14): a fit is never worse than lme4's (logLik at most 1e-6 below); where lme4
converged, estimates, standard errors and theta agree within what lme4's Nelder-Mead stopping rule
leaves open (its absolute tolerance on the deviance is 1e-5, which moves an estimate by a few
thousandths of its standard error); where lme4 warns of non-convergence only the logLik rule
holds. Printed summaries are compared at lme4's own parameters (nothing optimised), where every
number must agree with R's to the rounding of its last printed digit.
"""

from __future__ import annotations

import math
import warnings
from decimal import Decimal
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _rtext import _split, _unit, r_line_mismatch

import hlmtutor
from hlmtutor import anova, glmer

REF = Path(__file__).parent / "reference" / "glmer"
MODELS = pd.read_csv(REF / "models.csv", keep_default_na=False).set_index("name")

LOGLIK_ATOL = 1e-6  # never below lme4's by more than this
LOGLIK_ABOVE = 1e-3  # and not above it by more than lme4's stopping tolerance can explain
EST_SE = 2e-2  # estimates: within 2% of their standard error
SE_RTOL = 5e-3  # standard errors, z values
THETA_ATOL = 5e-3  # theta and standard deviations of random effects
CORR_ATOL = 2e-2  # correlations of random effects: the criterion is flat in them
AT_R_RTOL = 1e-5  # quantities computed at lme4's own parameters
# lme4's glmer standard errors come from its finite-difference Hessian of the deviance over
# (theta, beta) (vcov(m, use.hessian = TRUE)), accurate to about 1e-5 relative (grouse_olre's
# period-3 SE moves 1.06e-5 between that and an exact Hessian)
SE_AT_R_RTOL = 1e-4

# lme4 warns that these did not converge: only the logLik rule applies (issue 14)
NOT_CONVERGED = [
    name
    for name in MODELS.index
    if "failed to converge" in (REF / f"{name}_messages.txt").read_text(encoding="utf-8")
]
CONVERGED = [name for name in MODELS.index if name not in NOT_CONVERGED]
# Thousands of rows or thousands of levels (Contraception 1,934, guImmun 2,159 in 1,595 mothers)
SLOW = {"contra_quad", "contra_slope", "contra_nagq0", "guimmun_nested"}


def _names(names) -> list:
    return [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in names]


def _ref(file: str, **kwargs) -> pd.DataFrame:
    return pd.read_csv(REF / file, **kwargs)


def _exists(suffix: str) -> list[str]:
    return [name for name in MODELS.index if (REF / f"{name}{suffix}").exists()]


@cache
def _data(file: str) -> pd.DataFrame:
    return pd.read_csv(REF / file)


def _arguments(name: str) -> dict:
    """glmer's keyword arguments for model ``name``, as glmer.R called it.

    weights= and offset= are the data's columns (a Series, whose name is what the summary
    prints, as R prints the expression: "Weights: size", "Offset: log_expected"); the link is
    given only where glmer.R gave it (probit, cloglog).
    """
    row = MODELS.loc[name]
    data = _data(row["data_file"])
    default_link = {"binomial": "logit", "poisson": "log"}[row["family"]]
    return {
        "family": row["family"],
        "link": None if row["link"] == default_link else row["link"],
        "nAGQ": int(row["nAGQ"]),
        "weights": data[row["weights"]] if row["weights"] else None,
        "offset": data[row["offset"]] if row["offset"] else None,
    }


_fits: dict = {}


def fit(name: str):
    """The model ``name`` of models.csv, fitted once per test session."""
    if name not in _fits:
        row = MODELS.loc[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _fits[name] = glmer(row["formula"], _data(row["data_file"]), **_arguments(name))
    return _fits[name]


def lme4_parameters(name: str) -> dict:
    """lme4's optimum: theta (getME(m, "theta")) and the fixed effects (fixef(m))."""
    return {
        "theta": _ref(f"{name}_theta.csv")["theta"].to_numpy(float),
        "fixef": _ref(f"{name}_fixef.csv")["Estimate"].to_numpy(float),
    }


_at_lme4: dict = {}


def fit_at_lme4(name: str):
    """The model evaluated, not optimised, at lme4's parameters (``optimizer=None``, ``start``
    as lme4's glmer takes it: theta and fixef)."""
    if name not in _at_lme4:
        row = MODELS.loc[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _at_lme4[name] = glmer(
                row["formula"],
                _data(row["data_file"]),
                optimizer=None,
                start=lme4_parameters(name),
                **_arguments(name),
            )
    return _at_lme4[name]


def _predict(result, newdata, *, random: bool, type: str):
    """predict(m, newdata, re.form = NULL / NA, type = ..., allow.new.levels = TRUE)."""
    re_form = None if random else "NA"
    return result.predict(newdata, re_form=re_form, type=type, allow_new_levels=True)


def _assert_close(actual, desired, rtol: float, atol, what: str = "") -> None:
    """assert_allclose with a per-element ``atol`` (numpy's wants a scalar)."""
    actual, desired = np.asarray(actual, dtype=float), np.asarray(desired, dtype=float)
    assert actual.shape == desired.shape, f"{what}: shape {actual.shape}, R {desired.shape}"
    bad = ~(np.abs(actual - desired) <= rtol * np.abs(desired) + np.asarray(atol))
    assert not bad.any(), f"{what}: {actual[bad]} where R has {desired[bad]}"


def _log_p(p) -> np.ndarray:
    return np.log(np.maximum(np.asarray(p, dtype=float), 1e-300))


def _scalars(name: str) -> pd.Series:
    return _ref(f"{name}_scalars.csv", keep_default_na=False).iloc[0]


# -- the optimum ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", _names(MODELS.index))
def test_loglik_is_never_below_lme4s(name):
    """logLik(m): at least lme4's (less 1e-6), and not beyond what its stopping rule leaves."""
    loglik = fit(name).loglik
    ref = float(_scalars(name)["logLik"])
    assert loglik >= ref - LOGLIK_ATOL, f"logLik {loglik!r} below lme4's {ref!r}"
    if name in CONVERGED:
        assert loglik <= ref + LOGLIK_ABOVE


@pytest.mark.parametrize("name", _names(MODELS.index))
def test_scalars_match_lme4(name):
    """nobs(m), AIC(m), BIC(m), -2 logLik (summary's "deviance"), df.residual(m), npar, ..."""
    result = fit(name)
    ref = _scalars(name)
    assert result.nobs == int(ref["nobs"])
    assert result.df_resid == int(ref["df.resid"])
    assert len(result.params) == int(ref["nfixef"])
    assert result.nAGQ == int(ref["nAGQ"])
    assert result.family == MODELS.loc[name, "family"]
    assert result.link == MODELS.loc[name, "link"]
    npar = int(ref["npar"])
    # AIC and BIC follow from logLik and npar exactly, whatever optimum was reached
    np.testing.assert_allclose(result.aic, -2 * result.loglik + 2 * npar, rtol=1e-12)
    np.testing.assert_allclose(result.bic, -2 * result.loglik + math.log(result.nobs) * npar)
    for attr, column in [("aic", "AIC"), ("bic", "BIC"), ("deviance", "minus2logLik")]:
        value, r = getattr(result, attr), float(ref[column])
        assert value <= r + 2 * LOGLIK_ATOL, attr  # never a worse fit
        if name in CONVERGED:
            assert value >= r - 2 * LOGLIK_ABOVE, attr


@pytest.mark.parametrize("name", _names(MODELS.index))
def test_rows_dropped_as_lme4_drops_them(name):
    """nobs(m) and length(attr(model.frame(m), "na.action")): rows with missing values dropped."""
    result = fit(name)
    ref = _scalars(name)
    assert result.n_dropped == int(ref["n_dropped"])
    data = _data(MODELS.loc[name, "data_file"])
    assert result.nobs + result.n_dropped == len(data)


# -- fixed effects ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", _names(CONVERGED))
def test_fixed_effects_match_lme4(name):
    """coef(summary(m)): Estimate, Std. Error, z value, Pr(>|z|), lme4's term names and order."""
    table = fit(name).fixef
    ref = _ref(f"{name}_fixef.csv").set_index("term")
    assert list(table.index) == list(ref.index)
    assert list(table.columns) == list(ref.columns) == ["Estimate", "Std. Error", "z value",
                                                         "Pr(>|z|)"]  # fmt: skip
    se = ref["Std. Error"].to_numpy()
    _assert_close(table["Estimate"], ref["Estimate"], 0, EST_SE * se, "Estimate")
    _assert_close(table["Std. Error"], ref["Std. Error"], SE_RTOL, 0, "Std. Error")
    _assert_close(table["z value"], ref["z value"], SE_RTOL, EST_SE, "z value")
    _assert_close(_log_p(table["Pr(>|z|)"]), _log_p(ref["Pr(>|z|)"]), 1e-2, 0.05, "Pr(>|z|)")
    pd.testing.assert_series_equal(table["Estimate"], fit(name).params, check_names=False)


@pytest.mark.parametrize("name", _names(MODELS.index))
def test_fixed_effects_at_lme4s_parameters(name):
    """vcov(m) and coef(summary(m)) at lme4's optimum: the same numbers to 1e-5.

    Here the non-converged fits are checked too: at lme4's parameters lme4's numbers are exact.
    """
    result = fit_at_lme4(name)
    ref = _ref(f"{name}_fixef.csv").set_index("term")
    vcov = _ref(f"{name}_vcov.csv").set_index("term")
    se = ref["Std. Error"].to_numpy()
    # nAGQ = 0: lme4's fixed effects are PIRLS's at its theta, to PIRLS's tolerance
    _assert_close(result.fixef["Estimate"], ref["Estimate"], AT_R_RTOL, AT_R_RTOL * se, "Estimate")
    np.testing.assert_allclose(result.fixef["Std. Error"], ref["Std. Error"], rtol=SE_AT_R_RTOL)
    np.testing.assert_allclose(result.fixef["z value"], ref["z value"], rtol=SE_AT_R_RTOL)
    _assert_close(_log_p(result.fixef["Pr(>|z|)"]), _log_p(ref["Pr(>|z|)"]), 1e-3, 0, "p")
    assert list(result.vcov.index) == list(result.vcov.columns) == list(vcov.index)
    scale = np.sqrt(np.outer(np.diag(vcov), np.diag(vcov)))
    _assert_close(result.vcov, vcov, 2 * SE_AT_R_RTOL, 2 * SE_AT_R_RTOL * scale, "vcov")
    np.testing.assert_allclose(result.loglik, float(_scalars(name)["logLik"]), rtol=1e-8, atol=1e-6)


# -- random effects ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", _names(CONVERGED))
def test_theta_matches_lme4(name):
    """getME(m, "theta"): lme4's order (terms by decreasing levels, lower triangles by column)."""
    ref = _ref(f"{name}_theta.csv")["theta"].to_numpy(float)
    theta = np.asarray(fit(name).theta, dtype=float)
    assert theta.shape == ref.shape
    _assert_close(theta, ref, 2e-3, THETA_ATOL, "theta")


@pytest.mark.parametrize("name", _names(CONVERGED))
def test_vc_matches_as_data_frame_of_varcorr(name):
    """as.data.frame(VarCorr(m)): grp, var1, var2 (NA as ""), vcov, sdcor; no Residual row."""
    vc = fit(name).vc
    ref = _ref(f"{name}_vc.csv", keep_default_na=False)
    assert list(vc.columns) == ["grp", "var1", "var2", "vcov", "sdcor"]
    assert "Residual" not in list(vc["grp"])
    for column in ["grp", "var1", "var2"]:
        assert [("" if pd.isna(v) else v) for v in vc[column]] == list(ref[column]), column
    is_sd = (ref["var2"] == "").to_numpy()
    sd_ours, sd_r = vc["sdcor"].to_numpy(float), ref["sdcor"].to_numpy(float)
    _assert_close(sd_ours[is_sd], sd_r[is_sd], 2e-3, THETA_ATOL, "standard deviation")
    _assert_close(sd_ours[~is_sd], sd_r[~is_sd], 0, CORR_ATOL, "correlation")


@pytest.mark.parametrize("name", _names(MODELS.index))
def test_ngroups_match_ngrps(name):
    """ngrps(m): every grouping factor once, lme4's names (region:nation for nation/region)."""
    ref = _ref(f"{name}_ngrps.csv")
    ngroups = fit(name).ngroups
    assert [(k, int(v)) for k, v in ngroups.items()] == list(
        zip(ref["factor"], ref["levels"].astype(int), strict=True)
    )


def _ranef_tables(name: str) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """ranef(m, condVar = TRUE) of R per factor: (modes, conditional SDs), levels as text."""
    ref = _ref(f"{name}_ranef.csv", dtype={"level": str})
    tables = {}
    for factor, block in ref.groupby("grp", sort=False):
        terms = list(dict.fromkeys(block["term"]))
        modes = block.pivot(index="level", columns="term", values="value")[terms]
        sds = block.pivot(index="level", columns="term", values="condsd")[terms]
        tables[factor] = (modes, sds)
    return tables


def _assert_ranef(result, name: str, rtol: float, atol_of_scale: float, floor: float) -> None:
    tables = _ranef_tables(name)
    assert set(result.ranef) == set(tables)
    for factor, (modes, sds) in tables.items():
        for attr, expected in [("ranef", modes), ("ranef_sd", sds)]:
            table = getattr(result, attr)[factor].copy()
            table.index = [str(v) for v in table.index]
            assert sorted(table.index) == sorted(expected.index), (attr, factor)
            assert list(table.columns) == list(expected.columns), (attr, factor)
            # + floor: a singular fit's modes and SDs are all 0 in R; ours are rounding noise
            # at R's theta, and proportional to theta (1e-8, within THETA_ATOL) at our optimum
            atol = atol_of_scale * np.abs(expected.to_numpy()).max() + floor
            _assert_close(table.loc[expected.index], expected, rtol, atol, f"{attr} {factor}")


@pytest.mark.parametrize("name", _names(CONVERGED))
def test_ranef_and_condvar_match_lme4(name):
    """ranef(m, condVar = TRUE): conditional modes and their SDs per factor, level and term."""
    _assert_ranef(fit(name), name, 1e-2, 2e-2, floor=1e-6)


@pytest.mark.parametrize("name", _names(MODELS.index))
def test_ranef_and_condvar_at_lme4s_parameters(name):
    """ranef(m, condVar = TRUE) at lme4's optimum: PIRLS's modes and the conditional SDs."""
    _assert_ranef(fit_at_lme4(name), name, 1e-4, 1e-5, floor=1e-10)


# -- per observation ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", _names(MODELS.index))
def test_fitted_and_residuals_at_lme4s_parameters(name):
    """predict(m, type = "link"), fitted(m), residuals(m, type = "deviance"/"pearson"/"response")."""
    result = fit_at_lme4(name)
    ref = _ref(f"{name}_obs.csv")
    checks = [
        (result.fitted(scale="link"), ref["fitted_link"]),
        (result.fitted(scale="response"), ref["fitted_response"]),
        (result.resid(type="deviance"), ref["resid_deviance"]),
        (result.resid(type="pearson"), ref["resid_pearson"]),
        (result.resid(type="response"), ref["resid_response"]),
    ]
    for ours, theirs in checks:
        scale = np.abs(theirs).max()
        _assert_close(ours, theirs, AT_R_RTOL, AT_R_RTOL * scale, str(theirs.name))


@pytest.mark.parametrize("name", _names(CONVERGED))
def test_fitted_values_of_the_default_fit(name):
    """fitted(m) of lme4's fit: the probabilities / means agree to its stopping tolerance."""
    ref = _ref(f"{name}_obs.csv")
    ours = fit(name).fitted(scale="response")
    assert len(ours) == len(ref)
    _assert_close(ours, ref["fitted_response"], 1e-2, 1e-3, "fitted")


# -- predictions --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", _names(_exists("_predict.csv")))
def test_predict_on_new_data(name):
    """predict(m, newdata, re.form = NULL / NA, type = "link" / "response", allow.new.levels = TRUE).

    The last new row has every grouping factor at a level the fit did not see (it gets the
    fixed part only); without allow.new.levels lme4 refuses it ("new levels detected in
    newdata"), and so does hlmtutor, naming allow_new_levels.
    """
    result = fit_at_lme4(name)
    newdata = _ref(f"{name}_newdata.csv")
    ref = _ref(f"{name}_predict.csv")
    for column, random, type_ in [
        ("link", True, "link"),
        ("response", True, "response"),
        ("link_fixed", False, "link"),
        ("response_fixed", False, "response"),
    ]:
        ours = _predict(result, newdata, random=random, type=type_)
        _assert_close(ours, ref[column], AT_R_RTOL, AT_R_RTOL, column)
    with pytest.raises(ValueError, match="allow_new_levels"):
        result.predict(newdata)


def test_predictions_of_the_default_fit_on_new_data():
    """predict(cbpp_cbind, newdata, type = "response"): the default fit, within its tolerance."""
    newdata = _ref("cbpp_cbind_newdata.csv")
    ref = _ref("cbpp_cbind_predict.csv")
    ours = _predict(fit("cbpp_cbind"), newdata, random=True, type="response")
    _assert_close(ours, ref["response"], 1e-2, 1e-3, "response")


# -- one model, several spellings -------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("cbpp_cbind", "cbpp_prop"),  # cbind(successes, failures) vs proportion, weights = trials
        ("cbpp_cbind", "cbpp_failures"),  # cbind(incidence, size - incidence) vs a failures column
        ("mmmec_offset_formula", "mmmec_offset_arg"),  # offset(log(expected)) vs offset =
    ],
)
def test_the_same_model_written_two_ways_is_one_fit(a, b):
    """glmer(cbind(incidence, size - incidence) ~ ...) and glmer(prop ~ ..., weights = size):
    lme4 gives one fit (logLik and all); so must hlmtutor, and both must be lme4's."""
    fa, fb = fit(a), fit(b)
    np.testing.assert_allclose(fa.loglik, fb.loglik, rtol=1e-9)
    np.testing.assert_allclose(fa.params, fb.params, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(fa.theta, fb.theta, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(fa.fixef["Std. Error"], fb.fixef["Std. Error"], rtol=1e-5)
    np.testing.assert_allclose(float(_scalars(a)["logLik"]), float(_scalars(b)["logLik"]))


def test_laplace_and_agq_and_nagq0_differ_as_in_lme4():
    """glmer(..., nAGQ = 0 / 1 / 9) on cbpp: three criteria, lme4's three logLik values.

    nAGQ = 9 is a more accurate integral than Laplace (a different number, not a better fit of
    the same number); nAGQ = 0 is a cruder optimum of the Laplace criterion (beta from PIRLS).
    """
    for name in ["cbpp_nagq0", "cbpp_cbind", "cbpp_agq"]:
        ref = float(_scalars(name)["logLik"])
        assert fit(name).loglik >= ref - LOGLIK_ATOL
        assert fit(name).loglik <= ref + LOGLIK_ABOVE
    assert fit("cbpp_nagq0").loglik < fit("cbpp_cbind").loglik


# -- inference --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("file", "small", "big"),
    [
        ("cbpp_lrt_anova.csv", "cbpp_null", "cbpp_cbind"),
        ("epil_lrt_anova.csv", "epil_subject", "epil_olre"),
    ],
)
def test_likelihood_ratio_test_matches_anova(file, small, big):
    """anova(cbpp_null, cbpp_cbind) and anova(epil_subject, epil_olre): lme4's LRT table."""
    ref = _ref(file).set_index("model")
    table = anova(**{small: fit(small), big: fit(big)})
    assert list(table.index) == list(ref.index) == [small, big]
    assert list(table.columns) == list(ref.columns)
    np.testing.assert_array_equal(table["npar"], ref["npar"])
    np.testing.assert_array_equal(table["Df"].iloc[1:], ref["Df"].iloc[1:])
    for column in ["AIC", "BIC", "logLik", "deviance"]:
        # never a worse fit: logLik at least R's, AIC/BIC/deviance at most R's
        ours, theirs = table[column].to_numpy(float), ref[column].to_numpy(float)
        sign = 1 if column == "logLik" else -1
        assert (sign * (ours - theirs) >= -2 * LOGLIK_ATOL).all(), column
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, err_msg=column)
    chisq = ref["Chisq"].iloc[1]
    np.testing.assert_allclose(table["Chisq"].iloc[1], chisq, rtol=1e-4, atol=2 * LOGLIK_ABOVE)
    np.testing.assert_allclose(
        _log_p(table["Pr(>Chisq)"].iloc[1]), _log_p(ref["Pr(>Chisq)"].iloc[1]), rtol=1e-3
    )


@pytest.mark.parametrize("name", _names(_exists("_confint_wald.csv")))
def test_confint_wald_matches_lme4(name):
    """confint(m, method = "Wald", oldNames = TRUE): .sig01, ... (NA), then the fixed effects."""
    ref = _ref(f"{name}_confint_wald.csv").set_index("term")
    table = fit_at_lme4(name).confint(method="Wald")
    assert list(table.columns) == list(ref.columns) == ["2.5 %", "97.5 %"]
    assert list(table.index) == list(ref.index)
    is_fixed = ref.notna().all(axis=1)
    assert table[~is_fixed].isna().all().all()  # NaN where R has NA
    _assert_close(table[is_fixed], ref[is_fixed], AT_R_RTOL, AT_R_RTOL, "Wald limits")


@pytest.mark.parametrize("name", _exists("_confint_profile.csv"))
def test_confint_profile_matches_lme4(name):
    """confint(m, method = "profile", oldNames = TRUE): .sig01, ..., fixed effects.

    lme4 interpolates its profile by splines between the points it computed: limits agree
    to about 1e-3.
    """
    ref = _ref(f"{name}_confint_profile.csv").set_index("term")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = fit(name).confint(method="profile")
    assert list(table.columns) == list(ref.columns) == ["2.5 %", "97.5 %"]
    assert list(table.index) == list(ref.index)
    _assert_close(table, ref, 2e-3, 2e-3, "profile limits")


# -- messages ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", _names(MODELS.index))
def test_lme4s_messages_are_reported(name):
    """Every message and warning lme4 emitted while fitting, by kind, is in result.messages.

    lme4's gradient check prints its max|grad|, a number of its own optimizer's stopping
    point; hlmtutor's fit stops elsewhere, so the kind of message is compared (its words up to
    the number). A fit lme4 found regular must not be called singular or unconverged.
    """
    result = fit(name)
    lines = (REF / f"{name}_messages.txt").read_text(encoding="utf-8").splitlines()
    joined = "\n".join(result.messages)
    for line in lines:
        if line.startswith(" - "):  # the second line of "very large eigenvalue\n - Rescale ..."
            continue
        key = line.split(" = ")[0] if "max|grad|" in line else line
        # lme4 points to R's help; hlmtutor to the Python help of the same property
        key = key.replace("help('isSingular')", "help(hlmtutor.GlmerResult.is_singular)")
        if "failed to converge" in key or "nearly unidentifiable" in key:
            continue  # lme4's own optimizer's trouble (NOT_CONVERGED): the logLik rule applies
        assert key in joined, f"{key!r} not in {result.messages!r}"
    singular = any("singular" in line for line in lines)
    assert result.is_singular == singular == bool(_scalars(name)["isSingular"])
    if name in CONVERGED:
        assert result.converged
        assert not any("failed to converge" in m for m in result.messages)


# -- printed summary --------------------------------------------------------------------------
# lme4's glmer standard errors carry its finite-difference Hessian's error (about 1e-5 relative,
# see SE_AT_R_RTOL), and where summary() prints them to six digits that error shows: in the
# fixed-effects table the Std. Error, z value and Pr(>|z|) may differ from R's by 1e-3 relative
# beyond the last digit's unit (their values are checked to 1e-4 by
# test_fixed_effects_at_lme4s_parameters); the term and its Estimate, and every other line of
# the summary, to the last digit's unit, as tests/_rtext.py has it.
FIXED_TABLE_RTOL = Decimal("1e-3")


def _fixed_table_line_agrees(ours: str, r: str) -> bool:
    our_words, our_numbers = _split(ours)
    r_words, r_numbers = _split(r)
    if our_words != r_words or len(our_numbers) != len(r_numbers) or not r.split():
        return False
    # numbers inside the term's name ("factor(period)2"), then the Estimate: strict
    strict = len(_split(r.split()[0])[1]) + 1
    if r_line_mismatch(" ".join(our_numbers[:strict]), " ".join(r_numbers[:strict])):
        return False
    return all(
        abs(Decimal(a) - Decimal(b))
        <= max(_unit(a), _unit(b)) + FIXED_TABLE_RTOL * max(abs(Decimal(a)), abs(Decimal(b)))
        for a, b in zip(our_numbers[strict:], r_numbers[strict:], strict=True)
    )


def _assert_summary_text_equal(ours: str, r: str) -> None:
    our_lines, r_lines = ours.splitlines(), r.splitlines()
    problems = []
    in_fixed_table = False
    for i, (a, b) in enumerate(zip(our_lines, r_lines, strict=False)):
        if b.startswith("Fixed effects:"):
            in_fixed_table = True
        elif in_fixed_table and (b.startswith("---") or not b.strip()):
            in_fixed_table = False
        why = r_line_mismatch(a, b)
        if why is not None and not (in_fixed_table and _fixed_table_line_agrees(a, b)):
            problems.append(f"line {i + 1}: {why}")
    if len(our_lines) != len(r_lines):
        problems.append(f"{len(our_lines)} lines where R printed {len(r_lines)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", _names(MODELS.index))
def test_summary_text_equals_r(name):
    """print(summary(m)) of lme4's glmerMod, line by line, each number to one unit in its last
    digit (the fixed-effects table: see FIXED_TABLE_RTOL), evaluated at lme4's parameters (two
    Nelder-Mead runs stop at different points within tolerance, which moves printed digits;
    test_fixed_effects_match_lme4 checks the optimum).

    lme4's optimizer lines at the end ("optimizer (Nelder_Mead) convergence code: 0 (OK)" and
    its warnings) belong to its run, not to the model: the text is compared up to them.
    """
    result = fit_at_lme4(name)
    ref = (REF / f"{name}_summary.txt").read_text(encoding="utf-8")
    ref_lines = ref.splitlines()
    tail = next(
        (i for i, line in enumerate(ref_lines) if line.startswith("optimizer (")), len(ref_lines)
    )
    mine = str(result.summary(data_name=MODELS.loc[name, "data_name"])).splitlines()
    mine = [line for line in mine if line not in set(result.messages)]
    while mine and not mine[-1].strip():
        mine.pop()
    _assert_summary_text_equal("\n".join(mine[:tail]), "\n".join(ref_lines[:tail]))


def test_glmer_returns_a_glmer_result():
    """The contract: hlmtutor.glmer returns hlmtutor.GlmerResult."""
    assert isinstance(fit("cbpp_cbind"), hlmtutor.GlmerResult)


def test_versions_of_the_reference():
    """The references are lme4 1.1-31's (R 4.2): a change of version is a change of reference."""
    versions = _ref("versions.csv").set_index("package")["version"]
    assert versions["lme4"] == "1.1.31"
