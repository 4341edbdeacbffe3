"""hlmtutor.lmer against lme4 1.1-31 + lmerTest 3.1-3 (references by tests/reference/models.R)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _rtext import assert_r_text_equal

import hlmtutor
from hlmtutor import anova, icc, lmer
from hlmtutor.models import LmerResult

REF = Path(__file__).parent / "reference" / "models"
EST_RTOL = 1e-4  # estimates and standard errors
DF_RTOL = 1e-3  # Satterthwaite df
VC_RTOL = 1e-3  # variance components
VC_ATOL = 1e-5  # a variance on the boundary (1e-6) is optimizer noise


def _ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, keep_default_na=True)


def _guide() -> pd.DataFrame:
    return _ref("guide_data.csv")


def _hsb() -> pd.DataFrame:
    root = Path(__file__).parents[1] / "hlmtutor" / "data"
    students = pd.read_csv(root / "hsb_students.csv")
    schools = pd.read_csv(root / "hsb_schools.csv")
    hsb = students.merge(schools[["School", "Sector"]], on="School", how="left")
    hsb["ses_c"] = hsb["SES"] - hsb.groupby("School")["SES"].transform("mean")
    return hsb


def _own() -> pd.DataFrame:
    return _ref("own_data.csv")


GUIDE_FULL = (
    "math_score ~ intervention + ses + intervention*ses + (1 + intervention | classroom_id)"
)
# name -> (formula, data loader, REML); the same models as tests/reference/models.R
MODELS = {
    "guide_null": ("math_score ~ 1 + (1 | classroom_id)", _guide, True),
    "guide_full": (GUIDE_FULL, _guide, True),
    "hsb_null": ("MathAch ~ 1 + (1 | School)", _hsb, True),
    "hsb_means": ("MathAch ~ MEANSES + (1 | School)", _hsb, True),
    "hsb_random_coef": ("MathAch ~ ses_c + (ses_c | School)", _hsb, True),
    "hsb_slopes": (
        "MathAch ~ MEANSES + Sector + ses_c + MEANSES:ses_c + Sector:ses_c + (ses_c | School)",
        _hsb,
        True,
    ),
    "own_ri": ("y ~ x + sex + grp3 + (1 | g)", _own, True),
    "own_rs": ("y ~ x * sex + grp3 + (1 + x | g)", _own, True),
    "own_noint": ("y ~ 0 + sex + x + (0 + x | g)", _own, True),
    "own_order": ("y ~ sex:x + x + (x | g)", _own, True),
    "own_singular": ("flat ~ 1 + (1 | g)", _own, True),
    "own_factors": ("y ~ sex * grp3 + flag + (1 + sex | g)", _own, True),
    "own_q3": ("y ~ x + sex + (1 + x + sex | g)", _own, True),
    "own_ml0": ("y ~ x + (1 | g)", _own, False),
    "own_ml1": ("y ~ x + sex + (1 + x | g)", _own, False),
}
# Models whose random-slope variance the data cannot identify (slope constant within groups),
# and a fit on the boundary (correlation -1, slope SD 0.002) where lme4 stops short of the optimum.
UNIDENTIFIED = {"guide_full"}
BOUNDARY = {"own_factors", "own_q3"}

_cache: dict[str, LmerResult] = {}


def fit(name: str) -> LmerResult:
    if name not in _cache:
        formula, loader, reml = MODELS[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _cache[name] = lmer(formula, loader(), REML=reml)
    return _cache[name]


@pytest.mark.parametrize("name", list(MODELS))
def test_fixed_effects_match_lmertest(name):
    result = fit(name).fixef
    ref = _ref(f"{name}_fixef.csv").set_index("term")
    assert list(result.index) == list(ref.index)
    assert list(result.columns) == list(ref.columns)
    np.testing.assert_allclose(result["Estimate"], ref["Estimate"], rtol=EST_RTOL)
    np.testing.assert_allclose(result["Std. Error"], ref["Std. Error"], rtol=EST_RTOL)
    np.testing.assert_allclose(result["t value"], ref["t value"], rtol=EST_RTOL)
    np.testing.assert_allclose(result["df"], ref["df"], rtol=DF_RTOL)
    # p-values: the df tolerance carried through the t tail (relative on the log scale)
    tiny = 1e-300  # p-values below R's smallest double print as 0 on both sides

    def log_p(p):
        return np.log(np.maximum(p.to_numpy(float), tiny))

    np.testing.assert_allclose(log_p(result["Pr(>|t|)"]), log_p(ref["Pr(>|t|)"]), rtol=1e-3)


@pytest.mark.parametrize("name", list(MODELS))
def test_scalars_match_lme4(name):
    result = fit(name)
    ref = _ref(f"{name}_scalars.csv").iloc[0]
    assert result.nobs == ref["nobs"]
    assert list(result.ngroups.values()) == [ref["ngroups"]]
    assert result.n_dropped == ref["n_dropped"]
    assert result.is_singular == bool(ref["singular"])
    assert result.df_resid == ref["df_resid"]
    np.testing.assert_allclose(result.sigma, ref["sigma"], rtol=VC_RTOL)
    for attr in ["loglik", "aic", "bic", "deviance"]:
        np.testing.assert_allclose(getattr(result, attr), ref[attr], rtol=1e-6, err_msg=attr)
    if result.REML:
        np.testing.assert_allclose(result.reml_criterion, ref["reml_criterion"], rtol=1e-6)
    else:
        assert np.isnan(result.reml_criterion)


def _cov(result):
    """The covariance of the one random-effects term of these models (lme4's VarCorr(m)[[1]])."""
    (cov,) = result.cov_re.values()
    return cov


def _one(table_by_factor):
    """The one factor's table of ranef / ranef_sd / coef (lme4's list of one)."""
    (table,) = table_by_factor.values()
    return table


@pytest.mark.parametrize("name", sorted(set(MODELS) - UNIDENTIFIED - BOUNDARY))
def test_variance_components_match_lme4(name):
    result = fit(name)
    ref = _ref(f"{name}_varcorr.csv")
    cov = _cov(result)
    for _, row in ref.iterrows():
        if row["grp"] == "Residual":
            np.testing.assert_allclose(result.sigma**2, row["vcov"], rtol=VC_RTOL)
        elif pd.isna(row["var2"]):
            np.testing.assert_allclose(
                cov.loc[row["var1"], row["var1"]], row["vcov"], rtol=VC_RTOL, atol=VC_ATOL
            )
        else:
            np.testing.assert_allclose(
                cov.loc[row["var1"], row["var2"]], row["vcov"], rtol=VC_RTOL, atol=1e-6
            )
    np.testing.assert_allclose(result.theta, _ref(f"{name}_theta.csv")["theta"], atol=2e-4)


@pytest.mark.parametrize("name", sorted(set(MODELS) - UNIDENTIFIED - BOUNDARY))
def test_varcorr_table_layout(name):
    table = fit(name).varcorr
    ref = _ref(f"{name}_varcorr.csv")
    assert list(table.columns[:5]) == ["Groups", "Name", "Variance", "Std.Dev.", "Corr"]
    assert table["Groups"].iloc[-1] == "Residual"
    variances = ref[ref["var2"].isna()]
    np.testing.assert_allclose(table["Variance"], variances["vcov"], rtol=VC_RTOL, atol=VC_ATOL)
    np.testing.assert_allclose(table["Std.Dev."], variances["sdcor"], rtol=VC_RTOL, atol=VC_ATOL)
    correlations = ref[ref["var2"].notna()]["sdcor"].to_numpy()
    np.testing.assert_allclose(table["Corr"].dropna(), correlations[: len(table["Corr"].dropna())],
                               atol=1e-3)  # fmt: skip


@pytest.mark.parametrize("name", list(MODELS))
def test_vcov_and_correlation_of_fixed_effects(name):
    result = fit(name)
    ref = pd.read_csv(REF / f"{name}_vcov.csv", index_col=0)
    np.testing.assert_allclose(
        result.vcov.loc[ref.index, ref.columns], ref, rtol=2 * EST_RTOL, atol=1e-6
    )
    corr = pd.read_csv(REF / f"{name}_corr.csv", index_col=0)
    np.testing.assert_allclose(result.corr_fixef.loc[corr.index, corr.columns], corr, atol=5e-5)


@pytest.mark.parametrize("name", list(MODELS))
def test_scaled_residuals(name):
    ref = _ref(f"{name}_scaled_resid.csv")
    result = fit(name).scaled_residuals
    assert list(result.index) == list(ref["stat"])
    np.testing.assert_allclose(result, ref["value"], rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("name", sorted(set(MODELS) - UNIDENTIFIED))
def test_random_effects_and_coefficients(name):
    result = fit(name)
    for attr, file in [("ranef", "ranef"), ("ranef_sd", "ranef_sd"), ("coef", "coef")]:
        ref = _ref(f"{name}_{file}.csv").set_index("level")
        table = _one(getattr(result, attr))
        assert [str(v) for v in table.index] == [str(v) for v in ref.index], attr
        assert list(table.columns) == list(ref.columns), attr
        np.testing.assert_allclose(table, ref, rtol=1e-3, atol=1e-4, err_msg=attr)


@pytest.mark.parametrize("name", sorted(BOUNDARY))
def test_boundary_fits_match_lme4_within_their_flatness(name):
    """Singular fits: lme4 stops a little short of the bound; SDs agree to about 1e-4."""
    result = fit(name)
    ref = _ref(f"{name}_varcorr.csv")
    sd = ref[ref["var2"].isna()]["sdcor"].to_numpy()
    np.testing.assert_allclose(result.varcorr["Std.Dev."], sd, rtol=1e-4, atol=5e-5)
    cov = _cov(result)
    corr = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    for _, row in ref[ref["var2"].notna() & (ref["grp"] != "Residual")].iterrows():
        np.testing.assert_allclose(corr.loc[row["var1"], row["var2"]], row["sdcor"], atol=2e-3)
    assert result.is_singular
    ref_crit = _ref(f"{name}_scalars.csv")["reml_criterion"].iloc[0]
    assert result.reml_criterion <= ref_crit + 1e-6


def test_guide_full_identified_quantities():
    """The unidentified model: its identified combinations match lme4's."""
    result = fit("guide_full")
    ref = _ref("guide_full_varcorr.csv")
    cov = _cov(result)
    intercept = ref[(ref["var1"] == "(Intercept)") & ref["var2"].isna()]["vcov"].iloc[0]
    np.testing.assert_allclose(cov.loc["(Intercept)", "(Intercept)"], intercept, rtol=VC_RTOL)
    identified = _ref("guide_full_identified.csv")
    at_one = np.array([1.0, 1.0])  # intercept + slope x 1: a treated classroom
    treated = at_one @ cov.to_numpy() @ at_one
    np.testing.assert_allclose(treated, identified["variance"].iloc[1], rtol=VC_RTOL)


def test_result_attributes_contract():
    result = fit("guide_full")
    assert result.formula == GUIDE_FULL
    assert result.REML is True
    assert result.ngroups == {"classroom_id": 12}
    assert result.optimizer == "bobyqa"
    assert result.converged is True
    assert result.theta.shape == (3,)
    assert len(result.data) == 240
    assert result.n_dropped == 0
    np.testing.assert_allclose(result.criterion(result.theta), result.reml_criterion)
    assert result.criterion([1.0, 0.0, 1.0]) > result.reml_criterion
    fitted, resid = result.fitted(), result.resid()
    np.testing.assert_allclose(fitted + resid, result.data["math_score"])


def test_icc_of_the_guide_null_model():
    result = fit("guide_null")
    vc = _ref("guide_null_varcorr.csv")["vcov"]
    np.testing.assert_allclose(icc(result), vc.iloc[0] / vc.sum(), rtol=VC_RTOL)


def test_icc_rejects_random_slopes():
    with pytest.raises(ValueError, match="random-intercept model"):
        icc(fit("guide_full"))


@pytest.mark.parametrize(
    ("reference", "models"),
    [
        ("own_anova_ml.csv", {"ml0": "own_ml0", "ml1": "own_ml1"}),
    ],
)
def test_anova_of_ml_fits(reference, models):
    ref = _ref(reference).set_index("model")
    table = anova(**{key: fit(name) for key, name in models.items()})
    assert list(table.columns) == list(ref.columns)
    assert list(table.index) == list(ref.index)
    np.testing.assert_allclose(table["npar"], ref["npar"])
    for col in ["AIC", "BIC", "logLik", "deviance", "Chisq", "Pr(>Chisq)"]:
        np.testing.assert_allclose(table[col].to_numpy(float), ref[col], rtol=1e-5, err_msg=col)


def test_anova_refits_reml_fits_by_ml():
    own = _own()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r0 = lmer("y ~ x + (1 | g)", own)
        r1 = lmer("y ~ x + sex + grp3 + (1 + x | g)", own)
    with pytest.warns(UserWarning, match=r"refitting model\(s\) with ML \(instead of REML\)"):
        table = anova(r1=r1, r0=r0)
    ref = _ref("own_anova_reml.csv").set_index("model")
    assert list(table.index) == list(ref.index) == ["r0", "r1"]
    for col in ["AIC", "BIC", "logLik", "deviance", "Chisq", "Pr(>Chisq)"]:
        np.testing.assert_allclose(table[col].to_numpy(float), ref[col], rtol=1e-5, err_msg=col)
    assert table.loc["r1", "Df"] == ref.loc["r1", "Df"]


# -- summary text ------------------------------------------------------------------------
DATA_NAMES = {"guide": "data", "hsb": "hsb", "own": "own"}
_NUMBER = r"[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|\.\d+)"


def _summary_lines(name: str) -> tuple[list[str], list[str]]:
    result = fit(name)
    mine = str(result.summary(DATA_NAMES[name.split("_")[0]])).splitlines()
    # R does not print hlmtutor's notes about dropped rows at the end
    mine = [line for line in mine if line not in result.messages]
    ref = (REF / f"{name}_summary.txt").read_text(encoding="utf-8").splitlines()

    # lme4's optimizer report (nloptwrap's code, then its messages): compared elsewhere
    # (tests/test_engine.py compares whole summaries, this report included)
    def before_report(lines):
        starts = [i for i, line in enumerate(lines) if line.startswith("optimizer (")]
        return lines[: starts[0]] if starts else lines

    return before_report(mine), before_report(ref)


def _same_up_to_numbers(line: str, ref: str) -> bool:
    """Equal text, numbers equal to 1e-3 (R's optimizer stops slightly short of ours)."""
    import re

    if line == ref:
        return True
    if re.sub(_NUMBER, "#", line).split() != re.sub(_NUMBER, "#", ref).split():
        return False
    ours = [float(v) for v in re.findall(_NUMBER, line)]
    theirs = [float(v) for v in re.findall(_NUMBER, ref)]
    return len(ours) == len(theirs) and np.allclose(ours, theirs, rtol=1e-3, atol=2e-4)


def test_summary_text_of_the_guide_null_model_equals_r():
    """R's text, every last digit within one unit (a rounding boundary may fall either way)."""
    mine, ref = _summary_lines("guide_null")
    assert_r_text_equal("\n".join(mine), "\n".join(ref))


def test_summary_text_of_means_as_outcomes_equals_r():
    """R's text, every last digit within one unit (a rounding boundary may fall either way)."""
    mine, ref = _summary_lines("hsb_means")
    assert_r_text_equal("\n".join(mine), "\n".join(ref))


@pytest.mark.parametrize(
    "name", sorted(set(MODELS) - {"guide_null", "hsb_means", "guide_full"} - BOUNDARY)
)
def test_summary_text_matches_r_up_to_optimizer_noise(name):
    mine, ref = _summary_lines(name)
    assert len(mine) == len(ref)
    for line, expected in zip(mine, ref, strict=True):
        assert _same_up_to_numbers(line, expected), f"\n{line}\n{expected}"


def test_summary_text_of_the_guide_full_model():
    """Every identified line as R prints it; the random-effects block carries our note."""
    mine, ref = _summary_lines("guide_full")

    def without_random_block(lines):
        start = lines.index("Random effects:")
        stop = next(i for i, line in enumerate(lines) if line.startswith("Number of obs"))
        return lines[:start] + lines[stop:], lines[start:stop]

    mine_rest, mine_block = without_random_block(mine)
    ref_rest, ref_block = without_random_block(ref)
    assert len(mine_rest) == len(ref_rest)
    for line, expected in zip(mine_rest, ref_rest, strict=True):
        assert _same_up_to_numbers(line, expected), f"\n{line}\n{expected}"
    # the identified rows: intercept and residual variances as R prints them
    assert_r_text_equal(" ".join(mine_block[2].split()[:3]), " ".join(ref_block[2].split()[:3]))
    assert_r_text_equal(mine_block[4], ref_block[4])
    note = " ".join(mine_block[5:])
    assert "Note: The random slope of 'intervention' is constant within every classroom_id" in note
    assert "identified_re" in note


def test_summary_html_view():
    page = fit("guide_full").summary()._repr_html_()
    assert page.startswith('<div class="lmer-summary">')
    assert "intervention:ses" in page and "Satterthwaite" in page
    assert "not identified" in page


# -- identification, warnings, errors ----------------------------------------------------
def test_unidentified_slope_warns_and_identified_re_matches_lme4():
    with pytest.warns(UserWarning, match="random slope of 'intervention' is constant within"):
        result = lmer(GUIDE_FULL, _guide())
    table = result.identified_re
    assert list(table.columns) == ["group", "term", "value", "Variance"]
    assert set(table["group"]) == {"classroom_id"}
    ref = _ref("guide_full_identified.csv")
    np.testing.assert_allclose(table["value"], ref["intervention"])
    np.testing.assert_allclose(table["Variance"], ref["variance"], rtol=VC_RTOL)
    assert any("not identified" in m for m in result.messages)


def test_identified_models_have_no_identification_note():
    result = fit("hsb_slopes")
    assert result.identified_re.empty
    assert result.identification_notes == []


def test_singular_fit_warns_as_lme4():
    # lme4's words, pointing to the Python help (R's help('isSingular') is no use here)
    message = "boundary (singular) fit: see help(hlmtutor.LmerResult.is_singular)"
    with pytest.warns(UserWarning, match=re.escape(message)):
        result = lmer("flat ~ 1 + (1 | g)", _own())
    assert result.is_singular
    assert message in str(result.summary())


def test_missing_values_are_dropped_and_counted():
    own = _own()
    expected = int(own[["y", "x"]].isna().any(axis=1).sum())
    with pytest.warns(UserWarning, match=f"{expected} row\\(s\\) with missing values in y, x"):
        result = lmer("y ~ x + (1 | g)", own)
    assert result.n_dropped == expected
    assert len(result.data) == len(own) - expected
    assert any("missing values" in line for line in str(result.summary()).splitlines())


@pytest.mark.parametrize(
    ("formula", "error", "match"),
    [
        ("y ~ x", ValueError, "no random-effects term"),
        ("y ~ . + (1 | g)", ValueError, r"'\.'"),
        ("g ~ x + (1 | g)", ValueError, "grouping factor"),
        ("y ~ g + (1 | g)", ValueError, "not be identified"),
        ("y ~ nosuchfunction(x) + (1 | g)", ValueError, "nosuchfunction"),
        ("y ~ nosuch + (1 | g)", KeyError, "'nosuch'.*Columns there are: y, x, sex"),
        ("sex ~ x + (1 | g)", TypeError, "outcome 'sex' must be numeric"),
    ],
)
def test_bad_formulas_get_clear_errors(formula, error, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the rows with missing x are dropped first
        with pytest.raises(error, match=match):
            lmer(formula, _own())


def test_one_group_is_an_error():
    one = _own().assign(g="s01")
    with pytest.raises(ValueError, match="grouping factor 'g' has 1 level"):
        lmer("y ~ x + (1 | g)", one.dropna())


def test_fewer_rows_than_parameters_is_an_error():
    own = _own().dropna()
    tiny = pd.concat([own[own["g"] == "s01"].head(2), own[own["g"] == "s02"].head(2)])
    with pytest.raises(ValueError, match="4 complete rows cannot fit 5 parameters"):
        lmer("y ~ x + sex + (1 | g)", tiny)


def test_optimizers_and_start_values_reach_the_same_criterion():
    """lmer(..., control = lmerControl(optimizer = ...)): every optimizer reaches REMLcrit(m)."""
    guide = _guide()
    ref = _ref("guide_full_scalars.csv")["reml_criterion"].iloc[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for optimizer in ["bobyqa", "powell", "nelder-mead"]:
            result = lmer(GUIDE_FULL, guide, optimizer=optimizer)
            assert result.optimizer == optimizer
            assert result.converged
            np.testing.assert_allclose(result.reml_criterion, ref, rtol=1e-8)
        # A gradient method may stop on the bound theta = 0 (notes/reml.md); then it must say so.
        gradient = lmer(GUIDE_FULL, guide, optimizer="lbfgsb")
        if gradient.reml_criterion > ref + 1e-6:
            assert not gradient.converged
            assert any("failed to converge" in m for m in gradient.messages)
        started = lmer(GUIDE_FULL, guide, start=[0.2, 0.1, 0.2])
    np.testing.assert_allclose(started.reml_criterion, ref, rtol=1e-8)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        lmer(GUIDE_FULL, guide, optimizer="newton")
    with pytest.raises(ValueError, match="start must hold 3 theta values"):
        lmer(GUIDE_FULL, guide, start=[1.0])


def test_categorical_keeps_its_category_order():
    own = _own().dropna()
    own["grp3"] = pd.Categorical(own["grp3"], categories=["mid", "low", "high"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = lmer("y ~ x + grp3 + (1 | g)", own)
    assert list(result.params.index) == ["(Intercept)", "x", "grp3low", "grp3high"]


def test_confint_wald_matches_lme4():
    for name in ["guide_null", "guide_full", "own_rs"]:
        ref = _ref(f"{name}_confint_wald.csv").set_index("term")
        table = fit(name).confint()
        assert list(table.columns) == list(ref.columns) == ["2.5 %", "97.5 %"]
        assert list(table.index) == list(ref.index)
        np.testing.assert_allclose(table, ref, rtol=EST_RTOL)


def test_predict_matches_fitted_and_population_predictions():
    result = fit("own_rs")
    np.testing.assert_allclose(result.predict(result.data), result.fitted())
    population = result.predict(result.data, re=False)
    design_free = result.fitted() - population
    assert design_free.abs().max() > 0  # random effects do contribute
    new = result.data.head(3).assign(g="unseen")
    with pytest.raises(ValueError, match="not seen in the fit"):
        result.predict(new)  # lme4: allow.new.levels = FALSE
    np.testing.assert_allclose(
        result.predict(new, allow_new_levels=True), result.predict(new, re=False)
    )


def test_engine_agrees_with_statsmodels_mixedlm():
    """The reference engine of the issue: MixedLM's REML fit gives the same numbers."""
    import statsmodels.formula.api as smf

    hsb = _hsb()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm = smf.mixedlm("MathAch ~ ses_c", hsb, groups="School", re_formula="~ses_c").fit(
            reml=True, method="powell"
        )
    ours = fit("hsb_random_coef")
    np.testing.assert_allclose(ours.params, sm.fe_params, rtol=1e-4)
    np.testing.assert_allclose(np.sqrt(np.diag(ours.vcov)), sm.bse_fe, rtol=1e-3)
    np.testing.assert_allclose(_cov(ours), sm.cov_re, rtol=1e-3)
    np.testing.assert_allclose(ours.sigma**2, sm.scale, rtol=1e-4)
    np.testing.assert_allclose(ours.loglik, sm.llf, rtol=1e-8)


def test_anova_names_rows_by_the_callers_variables():
    ml0, ml1 = fit("own_ml0"), fit("own_ml1")
    table = anova(ml1, ml0)
    assert list(table.index) == ["ml0", "ml1"]
    assert table.loc["ml1", "Df"] == _ref("own_anova_ml.csv")["Df"].iloc[1]
    # one model: lmerTest's type III table (its rows checked in tests/test_engine.py)
    assert list(anova(ml0).columns) == [
        "Sum Sq", "Mean Sq", "NumDF", "DenDF", "F value", "Pr(>F)"
    ]  # fmt: skip


@pytest.mark.parametrize(("name", "level"), [("guide_null", 0.95), ("hsb_means", 0.9)])
def test_confint_profile_matches_lme4(name, level):
    """lme4 interpolates its profile by splines: limits agree to about 1e-4."""
    ref = _ref(f"{name}_confint_profile.csv").set_index("term")
    table = fit(name).confint(level=level, method="profile")
    assert list(table.columns) == list(ref.columns)
    assert list(table.index) == list(ref.index)
    np.testing.assert_allclose(table, ref, rtol=2e-4)


def test_confint_rejects_unknown_methods_and_levels():
    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        fit("own_ri").confint(level=95)
    with pytest.raises(ValueError, match="method must be 'Wald' or 'profile'"):
        fit("own_ri").confint(method="boot")


def test_string_levels_are_ordered_as_r_orders_them():
    from hlmtutor.lmm.frame import factor_levels

    expected = pd.read_csv(REF / "factor_levels.csv", dtype=str, keep_default_na=False)[
        "level"
    ].tolist()
    shuffled = pd.Series(np.random.default_rng(7).permutation(expected), dtype="str")
    assert factor_levels(shuffled) == expected


def test_collinear_columns_are_dropped_as_lme4_drops_them_and_non_frames_are_refused():
    """lme4's check.rankX = "message+drop.cols": the aliased column goes, with lme4's message."""
    own = _own().dropna().assign(x2=lambda d: 2 * d["x"])
    with pytest.warns(UserWarning, match="rank deficient so dropping 1 column / coefficient"):
        result = lmer("y ~ x + x2 + (1 | g)", own)
    assert list(result.params.index) == ["(Intercept)", "x"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = lmer("y ~ x + (1 | g)", own)
    np.testing.assert_allclose(result.params, plain.params)
    with pytest.raises(TypeError, match="data must be a pandas DataFrame"):
        lmer("y ~ x + (1 | g)", own.to_numpy())


def test_default_fit_is_as_good_as_every_other_optimizer():
    # A simulated data set (10 classrooms) on which Powell stops short and fails the gradient
    # check and Nelder-Mead passes the check at a worse criterion: the default (BOBYQA as lme4,
    # then a restart in scaled coordinates) must reach the best criterion of them all.
    sim = hlmtutor.simulate_classrooms(10, 20, seed=187)
    data = sim.data.assign(
        ses_cwc=hlmtutor.center_within(sim.data.ses, sim.data.classroom_id),
        ses_cm_gmc=hlmtutor.center_grand(
            hlmtutor.group_mean(sim.data.ses, sim.data.classroom_id), sim.data.classroom_id
        ),
    )
    formula = (
        "math_score ~ treatment + ses_cwc + ses_cm_gmc + treatment:ses_cwc"
        " + (1 + ses_cwc | classroom_id)"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        default = hlmtutor.lmer(formula, data)
        each = [
            hlmtutor.lmer(formula, data, optimizer=name)
            for name in ["bobyqa", "nelder-mead", "powell", "lbfgsb"]
        ]
    assert default.converged
    # 1e-6: the bound; BOBYQA stops within ftol_abs = 1e-8 of a point, not of the optimum
    assert default.reml_criterion <= min(m.reml_criterion for m in each) + 1e-6


# -- fits evaluated at a given theta (optimizer=None) ----------------------------------------------
def _evaluated_pair():
    rng = np.random.default_rng(11)
    g = np.repeat(np.arange(12), 8)
    x = rng.normal(size=96)
    y = 1 + 0.5 * x + rng.normal(0, 1, 12)[g] + rng.normal(0, 1, 96)
    data = pd.DataFrame({"y": y, "x": x, "g": g})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = lmer("y ~ x + (1 | g)", data)
        evaluated = lmer("y ~ x + (1 | g)", data, optimizer=None, start=fitted.theta)
    return data, fitted, evaluated


def test_a_fit_evaluated_at_start_has_no_optimizer_name_and_can_be_refit():
    """optimizer=None records None (no string sentinel); refitting by ML optimises."""
    _, fitted, evaluated = _evaluated_pair()
    assert evaluated.optimizer is None
    np.testing.assert_allclose(evaluated.reml_criterion, fitted.reml_criterion, rtol=1e-12)
    np.testing.assert_allclose(evaluated.refit_ml().loglik, fitted.refit_ml().loglik, rtol=1e-10)


def test_a_fit_evaluated_at_start_can_be_lrt_compared_and_profiled():
    data, fitted, evaluated = _evaluated_pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        null = lmer("y ~ 1 + (1 | g)", data)
        table = anova(null=null, full=evaluated)
        reference = anova(null=null, full=fitted)
        profile = evaluated.confint(method="profile")
        profile_ref = fitted.confint(method="profile")
    np.testing.assert_allclose(table["Chisq"].iloc[1], reference["Chisq"].iloc[1], rtol=1e-8)
    np.testing.assert_allclose(profile.to_numpy(), profile_ref.to_numpy(), rtol=1e-5)
