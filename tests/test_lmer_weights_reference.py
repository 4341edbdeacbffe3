"""lmer with prior weights (weights=) and offsets (offset() and offset=) against lme4 1.1-31 +
lmerTest 3.1-3.

References: the lmer part of ``tests/reference/glmer.R`` (sleepstudy with integer and fractional
weights, an offset in the formula and as an argument, both at once; Penicillin's crossed factors
with weights), written to ``tests/reference/glmer/`` (``lmer_models.csv`` and the files named
after each model) with the data they were fitted to. lme4's weights divide the residual variance:
row i has variance sigma^2 / w_i. An offset is a known part of the linear predictor: fitted
values include it. Each test names the R call it mirrors.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _rtext import assert_r_text_equal

from hlmtutor import lmer

REF = Path(__file__).parent / "reference" / "glmer"
MODELS = pd.read_csv(REF / "lmer_models.csv", keep_default_na=False).set_index("name")
EST_RTOL = 1e-4  # estimates, standard errors, t values (as tests/test_engine.py)
DF_RTOL = 1e-3  # Satterthwaite df
VC_RTOL = 1e-3
THETA_ATOL = 2e-4
CRIT_RTOL = 1e-6


def _ref(file: str, **kwargs) -> pd.DataFrame:
    return pd.read_csv(REF / file, **kwargs)


@cache
def _data(file: str) -> pd.DataFrame:
    return pd.read_csv(REF / file)


def _arguments(name: str) -> dict:
    """lmer's keyword arguments as glmer.R called it: weights= / offset= are data columns."""
    row = MODELS.loc[name]
    data = _data(row["data_file"])
    return {
        "REML": bool(row["REML"]),
        "weights": data[row["weights"]] if row["weights"] else None,
        "offset": data[row["offset"]] if row["offset"] else None,
    }


_fits: dict = {}


def fit(name: str):
    if name not in _fits:
        row = MODELS.loc[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _fits[name] = lmer(row["formula"], _data(row["data_file"]), **_arguments(name))
    return _fits[name]


_at_lme4: dict = {}


def fit_at_lme4_theta(name: str):
    """The model evaluated, not optimised, at lme4's theta (``optimizer=None, start=theta``)."""
    if name not in _at_lme4:
        row = MODELS.loc[name]
        theta = _ref(f"{name}_theta.csv")["theta"].to_numpy(float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _at_lme4[name] = lmer(
                row["formula"],
                _data(row["data_file"]),
                optimizer=None,
                start=theta,
                **_arguments(name),
            )
    return _at_lme4[name]


def _log_p(p) -> np.ndarray:
    return np.log(np.maximum(np.asarray(p, dtype=float), 1e-300))


@pytest.mark.parametrize("name", list(MODELS.index))
def test_fixed_effects_match_lmertest(name):
    """coef(summary(lmer(..., weights = w))): Estimate, Std. Error, df, t value, Pr(>|t|)."""
    table = fit(name).fixef
    ref = _ref(f"{name}_fixef.csv").set_index("term")
    assert list(table.index) == list(ref.index)
    assert list(table.columns) == list(ref.columns)
    se = ref["Std. Error"].to_numpy()
    # per-element atol (numpy's assert_allclose formats atol as a scalar in its message)
    estimate, expected = table["Estimate"].to_numpy(), ref["Estimate"].to_numpy()
    within = np.abs(estimate - expected) <= EST_RTOL * np.abs(expected) + 1e-3 * se
    assert within.all(), f"Estimate {estimate} where R has {expected}"
    # The weighted random-slope model's REML criterion is flat along a ridge: hlmtutor's
    # optimum is 5e-7 lower than lme4's, 1e-4 of theta away, which moves the intercept's SE by
    # 1.2e-4 relative. At lme4's theta every number is lme4's to 1e-4; at hlmtutor's optimum
    # (a better criterion, checked in test_criterion_and_scalars_match_lme4) to 1e-3.
    at_r = fit_at_lme4_theta(name).fixef
    np.testing.assert_allclose(at_r["Std. Error"], ref["Std. Error"], rtol=EST_RTOL)
    np.testing.assert_allclose(at_r["t value"], ref["t value"], rtol=EST_RTOL, atol=1e-3)
    np.testing.assert_allclose(table["Std. Error"], ref["Std. Error"], rtol=10 * EST_RTOL)
    np.testing.assert_allclose(table["df"], ref["df"], rtol=DF_RTOL)
    np.testing.assert_allclose(_log_p(table["Pr(>|t|)"]), _log_p(ref["Pr(>|t|)"]), rtol=1e-3)


@pytest.mark.parametrize("name", list(MODELS.index))
def test_criterion_and_scalars_match_lme4(name):
    """REMLcrit(m) / deviance(m, REML = FALSE), logLik, AIC, BIC, df.residual, sigma(m).

    Never a worse optimum than lme4's.
    """
    result = fit(name)
    ref = _ref(f"{name}_scalars.csv").iloc[0]
    assert result.nobs == ref["nobs"]
    assert result.df_resid == ref["df.resid"]
    assert result.is_singular == bool(ref["isSingular"])
    for attr, column in [("loglik", "logLik"), ("aic", "AIC"), ("bic", "BIC")]:
        np.testing.assert_allclose(getattr(result, attr), ref[column], rtol=CRIT_RTOL, err_msg=attr)
    np.testing.assert_allclose(result.deviance, ref["deviance"], rtol=CRIT_RTOL)
    np.testing.assert_allclose(result.sigma, ref["sigma"], rtol=VC_RTOL)
    if result.REML:
        np.testing.assert_allclose(result.reml_criterion, ref["REMLcrit"], rtol=CRIT_RTOL)
        assert result.reml_criterion <= ref["REMLcrit"] + 1e-6
    else:
        assert result.deviance <= ref["deviance"] + 1e-6


@pytest.mark.parametrize("name", list(MODELS.index))
def test_theta_and_vc_match_lme4(name):
    """getME(m, "theta") and as.data.frame(VarCorr(m)) (with its Residual row)."""
    result = fit(name)
    theta = _ref(f"{name}_theta.csv")["theta"].to_numpy(float)
    np.testing.assert_allclose(result.theta, theta, rtol=VC_RTOL, atol=THETA_ATOL)
    ref = _ref(f"{name}_vc.csv", keep_default_na=False)
    vc = result.vc
    for column in ["grp", "var1", "var2"]:
        assert list(vc[column]) == list(ref[column]), column
    is_cor = ((ref["var2"] != "") & (ref["grp"] != "Residual")).to_numpy()
    ours, theirs = vc["sdcor"].to_numpy(float), ref["sdcor"].to_numpy(float)
    np.testing.assert_allclose(ours[~is_cor], theirs[~is_cor], rtol=VC_RTOL, atol=1e-5)
    np.testing.assert_allclose(ours[is_cor], theirs[is_cor], atol=2e-3)


@pytest.mark.parametrize("name", list(MODELS.index))
def test_ranef_match_lme4(name):
    """ranef(m, condVar = TRUE): conditional modes and their SDs, per factor."""
    result = fit_at_lme4_theta(name)
    ref = _ref(f"{name}_ranef.csv", dtype={"level": str})
    assert list(result.ranef) == list(dict.fromkeys(ref["grp"]))
    for factor, block in ref.groupby("grp", sort=False):
        levels = list(dict.fromkeys(block["level"]))
        terms = list(dict.fromkeys(block["term"]))
        for attr, column in [("ranef", "value"), ("ranef_sd", "condsd")]:
            expected = block.pivot(index="level", columns="term", values=column).loc[levels, terms]
            table = getattr(result, attr)[factor]
            assert [str(v) for v in table.index] == levels, (attr, factor)
            scale = np.abs(expected.to_numpy()).max()
            np.testing.assert_allclose(
                table.to_numpy(float), expected, rtol=1e-5, atol=1e-6 * scale, err_msg=attr
            )


@pytest.mark.parametrize("name", list(MODELS.index))
def test_fitted_values_include_the_offset(name):
    """fitted(m) and residuals(m) (y - fitted) at lme4's theta: the offset is part of fitted."""
    result = fit_at_lme4_theta(name)
    ref = _ref(f"{name}_obs.csv")
    np.testing.assert_allclose(result.fitted(), ref["fitted"], rtol=1e-7)
    scale = np.abs(ref["resid"]).max()
    np.testing.assert_allclose(result.resid(), ref["resid"], rtol=1e-5, atol=1e-6 * scale)


def test_offset_in_the_formula_and_as_an_argument_are_one_fit():
    """lmer(Reaction ~ Days + offset(base) + (1 | Subject)) and lmer(..., offset = base)."""
    a, b = fit("lmer_offset_formula"), fit("lmer_offset_arg")
    np.testing.assert_allclose(a.reml_criterion, b.reml_criterion, rtol=1e-10)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-8)
    np.testing.assert_allclose(a.fitted(), b.fitted(), rtol=1e-8)


def test_an_offset_shifts_the_intercept_and_slope_by_its_coefficients():
    """base = 250 + 5 Days: with offset(base) lme4's Days estimate is 5 less than without.

    Reaction ~ Days + (1 | Subject) without offset is lmer's own fit (no reference needed):
    an offset linear in the fixed-effect columns moves the estimates and nothing else.
    """
    data = _data("sleepstudy.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = lmer("Reaction ~ Days + (1 | Subject)", data)
    shifted = fit("lmer_offset_formula")
    np.testing.assert_allclose(
        shifted.params.to_numpy(), plain.params.to_numpy() - [250.0, 5.0], rtol=1e-6
    )
    np.testing.assert_allclose(shifted.reml_criterion, plain.reml_criterion, rtol=1e-9)


@pytest.mark.parametrize("name", list(MODELS.index))
def test_summary_text_equals_r(name):
    """print(summary(m)) of lmerTest ("Weights: w", " Offset: base" lines included), evaluated
    at lme4's theta, each number to one unit in its last printed digit."""
    result = fit_at_lme4_theta(name)
    ref = (REF / f"{name}_summary.txt").read_text(encoding="utf-8")
    notes = set(result.messages) - set(ref.splitlines())
    mine = str(result.summary(data_name=MODELS.loc[name, "data_name"])).splitlines()
    assert_r_text_equal("\n".join(line for line in mine if line not in notes), ref)


@pytest.mark.parametrize("weights", [-1.0, "a"])
def test_bad_weights_are_refused_with_the_reason(weights):
    """lmer(..., weights = w) with a negative weight: lme4 stops ("all(weights >= 0) is not
    TRUE"); with text it fails obscurely ("objective in x0 returns NA"). hlmtutor refuses
    both with an error naming the weights."""
    data = _data("sleepstudy.csv")
    w = pd.Series([weights] * len(data), name="w", dtype=object)  # text and numbers mixed
    w.iloc[:5] = 1.0
    with pytest.raises((ValueError, TypeError), match="weight"):
        lmer("Reaction ~ Days + (1 | Subject)", data, weights=w)


def test_rows_with_a_missing_weight_are_dropped_as_lme4_drops_them():
    """lmer(Reaction ~ Days + (1 | Subject), weights = w) with one w NA: lme4's model frame
    drops that row (nobs 179 of 180), as it drops rows with a missing value anywhere."""
    data = _data("sleepstudy.csv")
    w = data["w"].astype(float)
    w.iloc[2] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = lmer("Reaction ~ Days + (1 | Subject)", data, weights=w)
    assert result.nobs == len(data) - 1
    assert result.n_dropped == 1


PREDICTED = [name for name in MODELS.index if (REF / f"{name}_predict.csv").exists()]


@pytest.mark.parametrize("name", PREDICTED)
def test_predictions_add_offsets_as_lme4(name):
    """predict(m, re.form = NA) on the fit's rows adds every offset (the formula's and
    offset ='s, lme4's model.offset); predict(m, newdata, re.form = NULL / NA) adds the
    formula's offset() terms only (lme4 leaves an offset = argument out on new data)."""
    result = fit(name)
    fixed = _ref(f"{name}_predict_fixed.csv")["fixed"].to_numpy(float)
    np.testing.assert_allclose(result.predict(re=False).to_numpy(), fixed, rtol=EST_RTOL)
    newdata = _ref(f"{name}_newdata.csv")
    ref = _ref(f"{name}_predict.csv")
    np.testing.assert_allclose(
        result.predict(newdata).to_numpy(), ref["with_re"].to_numpy(float), rtol=EST_RTOL
    )
    np.testing.assert_allclose(
        result.predict(newdata, re=False).to_numpy(), ref["fixed"].to_numpy(float), rtol=EST_RTOL
    )
