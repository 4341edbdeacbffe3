"""hlmtutor.lmer against lme4 1.1-31 + lmerTest 3.1-3 (references by tests/reference/models.R)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hlmtutor import anova, icc, lmer
from hlmtutor.models import LmerResult

REF = Path(__file__).parent / "reference" / "models"
EST_RTOL = 1e-4  # estimates and standard errors
DF_RTOL = 1e-3  # Satterthwaite df
VC_RTOL = 1e-3  # variance components


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
    "own_ml0": ("y ~ x + (1 | g)", _own, False),
    "own_ml1": ("y ~ x + sex + (1 + x | g)", _own, False),
}
# Models whose random-slope variance the data cannot identify (slope constant within groups).
UNIDENTIFIED = {"guide_full"}

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
    # p-values: same df tolerance carried through the t distribution
    np.testing.assert_allclose(result["Pr(>|t|)"], ref["Pr(>|t|)"], rtol=5e-3, atol=1e-300)


@pytest.mark.parametrize("name", list(MODELS))
def test_scalars_match_lme4(name):
    result = fit(name)
    ref = _ref(f"{name}_scalars.csv").iloc[0]
    assert result.nobs == ref["nobs"]
    assert result.ngroups == ref["ngroups"]
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


@pytest.mark.parametrize("name", sorted(set(MODELS) - UNIDENTIFIED))
def test_variance_components_match_lme4(name):
    result = fit(name)
    ref = _ref(f"{name}_varcorr.csv")
    cov = result.cov_re
    for _, row in ref.iterrows():
        if row["grp"] == "Residual":
            np.testing.assert_allclose(result.sigma**2, row["vcov"], rtol=VC_RTOL)
        elif pd.isna(row["var2"]):
            np.testing.assert_allclose(
                cov.loc[row["var1"], row["var1"]], row["vcov"], rtol=VC_RTOL, atol=1e-10
            )
        else:
            np.testing.assert_allclose(
                cov.loc[row["var1"], row["var2"]], row["vcov"], rtol=VC_RTOL, atol=1e-6
            )
    np.testing.assert_allclose(result.theta, _ref(f"{name}_theta.csv")["theta"], atol=2e-4)


@pytest.mark.parametrize("name", sorted(set(MODELS) - UNIDENTIFIED))
def test_varcorr_table_layout(name):
    table = fit(name).varcorr
    ref = _ref(f"{name}_varcorr.csv")
    assert list(table.columns[:5]) == ["Groups", "Name", "Variance", "Std.Dev.", "Corr"]
    assert table["Groups"].iloc[-1] == "Residual"
    variances = ref[ref["var2"].isna()]
    np.testing.assert_allclose(table["Variance"], variances["vcov"], rtol=VC_RTOL, atol=1e-10)
    np.testing.assert_allclose(table["Std.Dev."], variances["sdcor"], rtol=VC_RTOL, atol=1e-10)
    correlations = ref[ref["var2"].notna()]["sdcor"].to_numpy()
    np.testing.assert_allclose(table["Corr"].dropna(), correlations[: len(table["Corr"].dropna())],
                               atol=1e-3)  # fmt: skip


@pytest.mark.parametrize("name", list(MODELS))
def test_vcov_and_correlation_of_fixed_effects(name):
    result = fit(name)
    ref = pd.read_csv(REF / f"{name}_vcov.csv", index_col=0)
    np.testing.assert_allclose(result.vcov.loc[ref.index, ref.columns], ref, rtol=2 * EST_RTOL)
    corr = pd.read_csv(REF / f"{name}_corr.csv", index_col=0)
    np.testing.assert_allclose(result.corr_fixef.loc[corr.index, corr.columns], corr, atol=1e-5)


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
        table = getattr(result, attr)
        assert [str(v) for v in table.index] == [str(v) for v in ref.index], attr
        assert list(table.columns) == list(ref.columns), attr
        np.testing.assert_allclose(table, ref, rtol=1e-3, atol=1e-4, err_msg=attr)


def test_guide_full_identified_quantities():
    """The unidentified model: its identified combinations match lme4's."""
    result = fit("guide_full")
    ref = _ref("guide_full_varcorr.csv")
    cov = result.cov_re
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
    assert result.group == "classroom_id"
    assert result.optimizer in {"powell", "nelder-mead", "lbfgsb"}
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
