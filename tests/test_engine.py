"""The general engine against lme4 1.1-31 + lmerTest 3.1-3: any number of grouping factors.

References: ``tests/reference/engine.R`` (models on R's data sets and on simulated data, all written
to ``tests/reference/engine/`` with the data they were fitted to) and
``tests/reference/optimizer_sets.R`` (64 small random-slope data sets and lme4's REML optimum on
each). R fitted every model to its CSV as read back, so both sides fit the same numbers. Each test
names the R call it mirrors.
"""

from __future__ import annotations

import re
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _rtext import assert_r_text_equal

from hlmtutor import anova, lmer

REF = Path(__file__).parent / "reference" / "engine"
SETS = Path(__file__).parent / "reference" / "optimizer_sets"
EST_RTOL = 1e-4  # estimates, standard errors, t values (as tests/test_models.py)
DF_RTOL = 1e-3  # Satterthwaite df
VC_RTOL = 1e-3  # variance components
VC_ATOL = 1e-5  # a variance near the boundary is optimizer noise
CRIT_RTOL = 1e-6  # REML criterion, log-likelihood, AIC, BIC, deviance
CORR_ATOL = 2e-3  # correlations of random effects: the criterion is flat in them
THETA_ATOL = 2e-4

MODELS = pd.read_csv(REF / "models.csv").set_index("name")  # name, data_file, formula, REML, ...
ERRORS = pd.read_csv(REF / "errors.csv").set_index("name")
SET_FITS = pd.read_csv(SETS / "fits.csv", keep_default_na=False).set_index("set")

# Real data sets of thousands of rows (7,230 and 3,435): marked slow.
SLOW = {"egsingle", "scotssec"}
# sleep_bigx is sleep_reml with Days + 1e6 as the predictor: the same model. lme4 loses accuracy
# on it (a convergence warning; its criterion lies 7e-4 below the optimum no fit can go below,
# lmerTest's df are 0.0035), so its reference is sleep_reml's fit (engine.R writes the exact fixed
# effects from sleep_reml by lmerTest's contest1D as sleep_bigx_exact_fixef.csv).
SAME_MODEL_AS = {"sleep_bigx": "sleep_reml"}
BIG_X = 1e6


def _names(names) -> list:
    return [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in names]


def _ref(file: str, **kwargs) -> pd.DataFrame:
    return pd.read_csv(REF / file, **kwargs)


def _exists(suffix: str) -> list[str]:
    return [name for name in MODELS.index if (REF / f"{name}{suffix}").exists()]


@cache
def _data(file: str) -> pd.DataFrame:
    return pd.read_csv(REF / file)


_fits: dict = {}


def fit(name: str):
    """The model ``name`` of models.csv, fitted once per test session."""
    if name not in _fits:
        row = MODELS.loc[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _fits[name] = lmer(row["formula"], _data(row["data_file"]), REML=bool(row["REML"]))
    return _fits[name]


_at_lme4: dict = {}


def fit_at_lme4_theta(name: str):
    """The model evaluated, not optimised, at lme4's theta (``optimizer=None, start=theta``)."""
    if name not in _at_lme4:
        row = MODELS.loc[name]
        theta = _ref(f"{name}_theta.csv").iloc[:, -1].to_numpy(float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _at_lme4[name] = lmer(
                row["formula"],
                _data(row["data_file"]),
                REML=bool(row["REML"]),
                optimizer=None,
                start=theta,
            )
    return _at_lme4[name]


def _reference_name(name: str) -> str:
    return SAME_MODEL_AS.get(name, name)


def _assert_close(actual, desired, rtol: float, atol, what: str = "") -> None:
    """assert_allclose with a per-element ``atol`` (numpy's wants a scalar)."""
    actual, desired = np.asarray(actual, dtype=float), np.asarray(desired, dtype=float)
    bad = ~(np.abs(actual - desired) <= rtol * np.abs(desired) + np.asarray(atol))
    assert not bad.any(), f"{what}: {actual[bad]} where R has {desired[bad]}"


def _log_p(p) -> np.ndarray:
    return np.log(np.maximum(np.asarray(p, dtype=float), 1e-300))


# -- fixed effects ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", _names(MODELS.index))
def test_fixed_effects_match_lmertest(name):
    """coef(summary(m)) of lmerTest: Estimate, Std. Error, Satterthwaite df, t value, Pr(>|t|)."""
    table = fit(name).fixef
    file = "sleep_bigx_exact_fixef.csv" if name == "sleep_bigx" else f"{name}_fixef.csv"
    ref = _ref(file).set_index("term")
    assert list(table.index) == list(ref.index)
    assert list(table.columns) == list(ref.columns)
    if ref.empty:  # y ~ 0 + (1 | g): no fixed effects
        return
    se = ref["Std. Error"].to_numpy()
    _assert_close(table["Estimate"], ref["Estimate"], EST_RTOL, 1e-3 * se, "Estimate")
    np.testing.assert_allclose(table["Std. Error"], ref["Std. Error"], rtol=EST_RTOL)
    np.testing.assert_allclose(table["t value"], ref["t value"], rtol=EST_RTOL, atol=1e-3)
    np.testing.assert_allclose(table["df"], ref["df"], rtol=DF_RTOL)
    np.testing.assert_allclose(_log_p(table["Pr(>|t|)"]), _log_p(ref["Pr(>|t|)"]), rtol=1e-3)


def test_rank_deficient_x_drops_the_aliased_column_with_lme4s_message():
    """lmer(Reaction ~ Days + Days2 + (1 | Subject)), Days2 = 2 * Days: lme4 drops Days2."""
    result = fit("sleep_rankdef")
    message = (REF / "sleep_rankdef_messages.txt").read_text(encoding="utf-8").strip()
    assert message.startswith("fixed-effect model matrix is rank deficient")
    assert message in result.messages
    assert list(result.params.index) == list(_ref("sleep_rankdef_fixef.csv")["term"])


# -- variance components ----------------------------------------------------------------------
@pytest.mark.parametrize("name", _names(MODELS.index))
def test_vc_matches_as_data_frame_of_varcorr(name):
    """as.data.frame(VarCorr(m)): grp, var1, var2 (NA as ""), vcov, sdcor, in lme4's row order."""
    vc = fit(name).vc
    ref = _ref(f"{_reference_name(name)}_vc.csv", keep_default_na=False)
    assert list(vc.columns) == ["grp", "var1", "var2", "vcov", "sdcor"]
    for column in ["grp", "var1", "var2"]:
        assert list(vc[column]) == list(ref[column]), column
    ours = vc[["vcov", "sdcor"]].to_numpy(float)
    theirs = ref[["vcov", "sdcor"]].to_numpy(float)
    is_cov = ((ref["var2"] != "") & (ref["grp"] != "Residual")).to_numpy()
    np.testing.assert_allclose(ours[~is_cov], theirs[~is_cov], rtol=VC_RTOL, atol=VC_ATOL)
    if is_cov.any():
        variances = ref[ref["var2"] == ""]
        sd = dict(
            zip(
                zip(variances["grp"], variances["var1"], strict=True),
                variances["sdcor"],
                strict=True,
            )
        )
        scale = np.array(
            [sd[(g, a)] * sd[(g, b)] for g, a, b in ref.loc[is_cov, ["grp", "var1", "var2"]].values]
        )
        _assert_close(ours[is_cov, 0], theirs[is_cov, 0], 0, CORR_ATOL * scale, "covariance")
        np.testing.assert_allclose(ours[is_cov, 1], theirs[is_cov, 1], atol=CORR_ATOL)


@pytest.mark.parametrize("name", _names(MODELS.index))
def test_theta_in_lme4s_order(name):
    """getME(m, "theta"): terms sorted by decreasing number of levels, lower triangles by column."""
    ref = _ref(f"{_reference_name(name)}_theta.csv")
    theta = np.asarray(fit(name).theta, dtype=float)
    assert theta.shape == (len(ref),)
    np.testing.assert_allclose(theta, ref["theta"], rtol=VC_RTOL, atol=THETA_ATOL)


@pytest.mark.parametrize("name", _names(MODELS.index))
def test_ngroups_match_ngrps(name):
    """ngrps(m): every grouping factor once, lme4's names (cask:batch for batch/cask) and order."""
    ref = _ref(f"{name}_ngrps.csv")
    ngroups = fit(name).ngroups
    assert [(k, int(v)) for k, v in ngroups.items()] == list(
        zip(ref["factor"], ref["levels"].astype(int), strict=True)
    )


# -- scalars ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", _names(MODELS.index))
def test_scalars_match_lme4(name):
    """nobs, REMLcrit, logLik, AIC, BIC, deviance(m, REML = FALSE), df.residual, sigma, ..."""
    result = fit(name)
    ref = _ref(f"{_reference_name(name)}_scalars.csv").iloc[0]
    assert result.nobs == ref["nobs"]
    assert result.df_resid == ref["df.resid"]
    assert result.npar == ref["npar"]
    assert len(result.params) == ref["nfixef"]
    assert result.n_dropped == ref["n_dropped"]
    assert result.is_singular == bool(ref["isSingular"])
    # lme4 fits y ~ 0 + ... by ML whatever REML says (REML with no fixed effects is ML)
    assert result.REML == bool(ref["isREML"])
    for attr, column in [("loglik", "logLik"), ("aic", "AIC"), ("bic", "BIC")]:
        np.testing.assert_allclose(getattr(result, attr), ref[column], rtol=CRIT_RTOL, err_msg=attr)
    np.testing.assert_allclose(result.deviance, ref["deviance"], rtol=CRIT_RTOL)
    np.testing.assert_allclose(result.sigma, ref["sigma"], rtol=VC_RTOL)
    if result.REML:
        np.testing.assert_allclose(result.reml_criterion, ref["REMLcrit"], rtol=CRIT_RTOL)
        assert result.reml_criterion <= ref["REMLcrit"] + 1e-6  # never a worse optimum
    else:
        assert np.isnan(result.reml_criterion)
        assert result.deviance <= ref["deviance"] + 1e-6


def test_large_means_give_the_same_fit():
    """sleepstudy with 1e6 or 1e8 added to Reaction, or 1e6 to Days: the same model as sleep_reml.

    lme4 gets the outcome shifts right and the predictor shift wrong; the engine must get all three.
    """
    base = fit("sleep_reml")
    for name in ["sleep_big6", "sleep_big8", "sleep_bigx"]:
        shifted = fit(name)
        np.testing.assert_allclose(shifted.reml_criterion, base.reml_criterion, rtol=1e-9)
        np.testing.assert_allclose(shifted.vc["vcov"], base.vc["vcov"], rtol=1e-4)
        slope, base_slope = shifted.fixef.iloc[1], base.fixef.iloc[1]  # Days (or Days_1e6)
        for column in ["Estimate", "Std. Error", "df", "t value"]:
            np.testing.assert_allclose(slope[column], base_slope[column], rtol=1e-4, err_msg=column)
        assert shifted.converged
        assert not any("converge" in m for m in shifted.messages)
    intercept = base.params.iloc[0] - BIG_X * base.params.iloc[1]
    np.testing.assert_allclose(fit("sleep_bigx").params.iloc[0], intercept, rtol=1e-5)


def test_equivalent_formulas_give_the_same_fit():
    """(Days || Subject) is (1 | Subject) + (0 + Days | Subject); batch/cask is batch + batch:cask."""
    for a, b in [("sleep_diag", "sleep_twoterms"), ("pastes_nested", "pastes_explicit")]:
        np.testing.assert_allclose(fit(a).reml_criterion, fit(b).reml_criterion, rtol=1e-9)
        np.testing.assert_allclose(fit(a).vc["vcov"], fit(b).vc["vcov"], rtol=1e-5)


def test_rows_and_groups_lost_to_missing_values():
    """three.csv: rows with x missing are dropped (na.omit); one class loses all its rows."""
    data = _data("three.csv")
    result = fit("three_rs")
    assert result.n_dropped == int(data["x"].isna().sum())
    by_class = data.groupby(["school", "class"])["x"]
    lost = [f"{s}:{c}" for (s, c), n in by_class.count().items() if n == 0]
    assert len(lost) == 1
    assert list(result.lost_groups.get("school:class", ())) == lost
    assert result.ngroups["school:class"] == data.groupby(["school", "class"]).ngroups - 1


# -- random effects ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", _names(MODELS.index))
def test_ranef_per_factor_match_lme4(name):
    """ranef(m, condVar = TRUE): per factor, conditional modes and their SDs (attr "postVar")."""
    result = fit(name)
    ref = _ref(f"{_reference_name(name)}_ranef.csv", dtype={"level": str})
    assert list(result.ranef) == list(dict.fromkeys(ref["grp"]))
    assert list(result.ranef_sd) == list(result.ranef)
    for factor, block in ref.groupby("grp", sort=False):
        levels = list(dict.fromkeys(block["level"]))
        terms = list(dict.fromkeys(block["term"]))
        for attr, column in [("ranef", "value"), ("ranef_sd", "condsd")]:
            expected = block.pivot(index="level", columns="term", values=column).loc[levels, terms]
            table = getattr(result, attr)[factor]
            assert [str(v) for v in table.index] == levels, (attr, factor)
            assert list(table.columns) == terms, (attr, factor)
            scale = np.abs(expected.to_numpy()).max()
            np.testing.assert_allclose(
                table.to_numpy(float), expected, rtol=1e-3, atol=1e-4 * scale, err_msg=attr
            )


# -- inference --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", _names(_exists("_anova3.csv")))
def test_type_iii_anova_matches_lmertest(name):
    """anova(m) of lmerTest: type III F tests, Satterthwaite's denominator df."""
    table = anova(fit(name))
    ref = _ref(f"{_reference_name(name)}_anova3.csv").set_index("term")
    if name == "sleep_bigx":
        ref = ref.rename(index={"Days": "Days_1e6"})
    assert list(table.columns) == ["Sum Sq", "Mean Sq", "NumDF", "DenDF", "F value", "Pr(>F)"]
    assert list(table.index) == list(ref.index)
    for column in ["Sum Sq", "Mean Sq", "F value"]:
        np.testing.assert_allclose(table[column], ref[column], rtol=2 * EST_RTOL, err_msg=column)
    np.testing.assert_array_equal(table["NumDF"], ref["NumDF"])
    np.testing.assert_allclose(table["DenDF"], ref["DenDF"], rtol=DF_RTOL)
    np.testing.assert_allclose(_log_p(table["Pr(>F)"]), _log_p(ref["Pr(>F)"]), rtol=1e-3)


def test_likelihood_ratio_test_refits_by_ml():
    """anova(sleep_ri, sleep_reml): lme4 refits both REML fits by ML, then the LRT."""
    ref = _ref("sleep_lrt_anova.csv").set_index("model")
    message = (REF / "sleep_lrt_anova_messages.txt").read_text(encoding="utf-8").strip()
    with pytest.warns(UserWarning, match=re.escape(message)):
        table = anova(sleep_ri=fit("sleep_ri"), sleep_reml=fit("sleep_reml"))
    assert list(table.index) == list(ref.index)
    assert list(table.columns) == list(ref.columns)
    np.testing.assert_array_equal(table["npar"], ref["npar"])
    for column in ["AIC", "BIC", "logLik", "deviance", "Chisq", "Df", "Pr(>Chisq)"]:
        np.testing.assert_allclose(
            table[column].to_numpy(float), ref[column], rtol=1e-5, err_msg=column
        )


@pytest.mark.parametrize("name", _exists("_confint_profile.csv"))
def test_confint_profile_matches_lme4(name):
    """confint(m, method = "profile", oldNames = TRUE): .sig01..., .sigma, fixed effects.

    lme4 interpolates its profile by splines: limits agree to about 1e-3.
    """
    ref = _ref(f"{name}_confint_profile.csv").set_index("term")
    table = fit(name).confint(method="profile")
    assert list(table.columns) == list(ref.columns) == ["2.5 %", "97.5 %"]
    assert list(table.index) == list(ref.index)
    np.testing.assert_allclose(table.to_numpy(float), ref, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("name", _exists("_confint_wald.csv"))
def test_confint_wald_matches_lme4(name):
    """confint(m, method = "Wald", oldNames = TRUE): NA for the variance parameters."""
    ref = _ref(f"{name}_confint_wald.csv").set_index("term")
    table = fit(name).confint()
    assert list(table.columns) == list(ref.columns)
    assert list(table.index) == list(ref.index)
    np.testing.assert_allclose(table.to_numpy(float), ref, rtol=EST_RTOL)  # NaN where R has NA


@pytest.mark.parametrize("name", _exists("_predict.csv"))
def test_predict_with_unseen_levels(name):
    """predict(m, newdata, re.form = NULL, allow.new.levels = TRUE) and re.form = NA.

    A level the fit did not see (of any factor) contributes 0; without allow.new.levels lme4
    refuses it (predict(m, newdata): "new levels detected in newdata").
    """
    result = fit(name)
    newdata = _data("sleep_newdata.csv" if name.startswith("sleep") else "three_newdata.csv")
    ref = _ref(f"{name}_predict.csv")
    np.testing.assert_allclose(
        result.predict(newdata, allow_new_levels=True), ref["fit"], rtol=2 * EST_RTOL
    )
    np.testing.assert_allclose(result.predict(newdata, re=False), ref["fit_fixed"], rtol=EST_RTOL)
    # lme4: "new levels detected in newdata: 999, 1000"; ours names the remedy, and the levels
    message = (REF / f"{name}_predict_error.txt").read_text(encoding="utf-8").strip()
    with pytest.raises(ValueError, match="allow_new_levels") as refused:
        result.predict(newdata)
    if len(result.ngroups) == 1:
        for level in message.split(": ", 1)[1].split(", "):
            assert level in str(refused.value)


# -- messages, identifiability ------------------------------------------------------------------
@pytest.mark.parametrize("name", _names(MODELS.index))
def test_lme4s_messages_are_reported(name):
    """Every message and warning lme4 emitted while fitting is in result.messages.

    Except lme4's convergence warning on sleep_bigx (its own loss of accuracy, see SAME_MODEL_AS):
    the engine converges there and must not warn.
    """
    result = fit(name)
    lines = (REF / f"{name}_messages.txt").read_text(encoding="utf-8").splitlines()
    if name in SAME_MODEL_AS:
        lines = []
    for line in lines:
        assert line in result.messages
    if not lines:
        noise = [m for m in result.messages if "converge" in m or "singular" in m]
        assert noise == []


@pytest.mark.parametrize("name", list(ERRORS.index))
def test_unidentifiable_models_are_refused(name):
    """lmer(...) with lmerControl's check.nobs.vs.nlev / check.nobs.vs.nRE = "stop".

    The error is lme4's (its text up to "(problems" or ";"); checks="warning" fits with that text
    as a warning, checks="ignore" fits without it.
    """
    row = ERRORS.loc[name]
    data = _data(row["data_file"])
    text = (REF / f"{name}_error.txt").read_text(encoding="utf-8").strip()
    key = re.escape(re.split(r" \(problems|;", text)[0])
    with pytest.raises(ValueError, match=key):
        lmer(row["formula"], data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.warns(UserWarning, match=key):
            lmer(row["formula"], data, checks="warning")
        ignored = lmer(row["formula"], data, checks="ignore")
    assert not any(re.search(key, m) for m in ignored.messages)


# -- printed summary --------------------------------------------------------------------------
@pytest.mark.parametrize("name", _names(sorted(set(MODELS.index) - set(SAME_MODEL_AS))))
def test_summary_text_equals_r(name):
    """print(summary(m)) of lmerTest, line by line, each number to one unit in its last digit.

    The model is evaluated at lme4's theta: two runs of BOBYQA whose evaluations differ in the
    last bits stop at different points within its tolerance (xtol_rel = 1e-4), which moves a
    printed df in its fifth digit; at the same theta every other number must agree with R's.
    test_default_fit_lands_where_lme4_lands checks the optimum itself.
    """
    result = fit_at_lme4_theta(name)
    ref = (REF / f"{name}_summary.txt").read_text(encoding="utf-8")
    # hlmtutor's own notes (rows dropped for missing values) are not in R's text
    notes = set(result.messages) - set(ref.splitlines())
    mine = str(result.summary(data_name=MODELS.loc[name, "data_name"])).splitlines()
    assert_r_text_equal("\n".join(line for line in mine if line not in notes), ref)


@pytest.mark.parametrize("name", _names(sorted(set(MODELS.index) - set(SAME_MODEL_AS))))
def test_default_fit_lands_where_lme4_lands(name):
    """getME(m, "theta") and REMLcrit(m) of lme4's default fit: the same optimum, to the
    tolerance of BOBYQA's stopping rule, and never a worse criterion."""
    result = fit(name)
    theta = _ref(f"{name}_theta.csv").iloc[:, -1].to_numpy(float)
    np.testing.assert_allclose(result.theta, theta, rtol=1e-3, atol=THETA_ATOL)
    crit = result.criterion(theta)
    assert result.optimum.fval <= crit + 1e-6


# -- optimizer --------------------------------------------------------------------------------
@cache
def _set_data() -> dict[int, pd.DataFrame]:
    data = pd.read_csv(SETS / "data.csv")
    return {k: d.drop(columns="set").reset_index(drop=True) for k, d in data.groupby("set")}


@pytest.mark.parametrize("set_id", list(SET_FITS.index))
def test_reml_optimum_is_never_above_lme4s(set_id):
    """lmer(y ~ x + (1 + x | g)) / lmer(y ~ x + z + (1 + x + z | g)), default nloptwrap BOBYQA.

    The engine's REML criterion is never above lme4's by more than 1e-6, and never far below the
    best criterion lme4 reaches on standardised columns (carried back to these columns): a
    criterion off the user's scale (by 2 log 1000 when x is in the thousands) fails here.
    """
    row = SET_FITS.loc[set_id]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = lmer(row["formula"], _set_data()[set_id])
    assert result.nobs == row["nobs"]
    assert result.reml_criterion <= row["REMLcrit"] + 1e-6
    assert result.reml_criterion >= row["REMLcrit_best"] - 1e-2


# -- icc for several levels ---------------------------------------------------------------------
def test_icc_per_level_of_a_three_level_model():
    """From as.data.frame(VarCorr(m)) of y ~ x + (1 | school/class): students in one class share
    the class and the school (tau_class + tau_school), students in one school only the school."""
    from hlmtutor import icc

    vc = _ref("three_ri_vc.csv", keep_default_na=False).set_index("grp")["vcov"]
    total = vc.sum()
    table = icc(fit("three_ri"))
    assert list(table.columns) == ["variance", "share", "icc"]
    assert list(table.index) == ["class:school", "school"]
    np.testing.assert_allclose(table["variance"], vc[["class:school", "school"]], rtol=VC_RTOL)
    np.testing.assert_allclose(table["share"], vc[["class:school", "school"]] / total, rtol=VC_RTOL)
    expected = [(vc["class:school"] + vc["school"]) / total, vc["school"] / total]
    np.testing.assert_allclose(table["icc"], expected, rtol=VC_RTOL)


def test_icc_of_crossed_factors_is_each_factors_share():
    """Crossed factors nest in nothing: icc equals share (as.data.frame(VarCorr(m)) of crossed)."""
    from hlmtutor import icc

    vc = _ref("crossed_vc.csv", keep_default_na=False).set_index("grp")["vcov"]
    table = icc(fit("crossed"))
    np.testing.assert_allclose(table["icc"], table["share"])
    np.testing.assert_allclose(table["share"], vc[list(table.index)] / vc.sum(), rtol=VC_RTOL)


@pytest.mark.parametrize("reml", ["no", None, 1, "TRUE"])
def test_reml_must_be_a_boolean(reml):
    """lmer(..., REML = "no") in R is an error too (REML is a logical)."""
    with pytest.raises(TypeError, match="REML must be True"):
        lmer("Reaction ~ Days + (1 | Subject)", _data("sleepstudy.csv"), REML=reml)


def test_anova_refuses_models_fitted_to_other_rows_of_the_same_size():
    """lme4 compares only nobs; hlmtutor also compares which rows (the frames' row labels)."""
    data = _data("sleepstudy.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m0 = lmer("Reaction ~ Days + (1 | Subject)", data.iloc[:-10], REML=False)
        m1 = lmer("Reaction ~ Days + (Days | Subject)", data.iloc[10:], REML=False)
    with pytest.raises(ValueError, match="not the same rows"):
        anova(m0, m1)
