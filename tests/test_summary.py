"""hlmtutor.lmm.summary: lmerTest's ``print(summary(fit, ddf = ...))`` against R
(tests/reference/summary_ddf.R), and the summary as data rendered to text and HTML.

Each reference model is evaluated at lme4's theta (``optimizer=None, start=theta``), as
tests/test_engine.py does: two optimizer runs stopping at different points within BOBYQA's
tolerance move a printed df in its fifth digit; at the same theta every printed number must agree
with R's to one unit in its last digit. ``test_default_fit_is_at_least_as_good_as_lme4`` checks
the optimum itself.
"""

from __future__ import annotations

import dataclasses
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _rtext import assert_r_text_equal

from hlmtutor import coef_table, glmer, lmer
from hlmtutor.lmm.kenward_roger import kenward_roger
from hlmtutor.lmm.summary import LmerSummary, random_effects_lines

REF = Path(__file__).parent / "reference" / "summary_ddf"
INDEX = pd.read_csv(REF / "index.csv", keep_default_na=False).set_index("name")
DDF_FILES = {"Satterthwaite": "satterthwaite", "Kenward-Roger": "kr", "lme4": "lme4"}
# pbkrtest ignores prior weights in Sigma (it uses sigma^2 I) while it takes Phi from lme4's
# weighted vcov, so lmerTest's Kenward-Roger table of a weighted fit mixes the two (Days gets
# 226.8 df from 180 rows); hlmtutor uses Var(e) = sigma^2 W^-1 throughout
# (test_weighted_kenward_roger_uses_the_weights checks it).
WEIGHTED_KR = ("sleep_weighted", "Kenward-Roger")


def _reference(name: str, ddf: str) -> str:
    return (REF / f"{name}_{DDF_FILES[ddf]}.txt").read_text(encoding="utf-8")


CASES = [
    (name, ddf)
    for name in INDEX.index
    for ddf in DDF_FILES
    if not _reference(name, ddf).startswith("Error")
]
REFUSED = [(n, d) for n in INDEX.index for d in DDF_FILES if (n, d) not in CASES]


@cache
def _data(name: str) -> pd.DataFrame:
    row = INDEX.loc[name]
    factors = row["factors"].split()
    return pd.read_csv(REF / row["data_file"], dtype=dict.fromkeys(factors, str))


def _fit(name: str, **kwargs):
    row = INDEX.loc[name]
    data = _data(name)
    weights = data[row["weights"]] if row["weights"] else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lmer(row["formula"], data, REML=bool(row["REML"]), weights=weights, **kwargs)


@cache
def fit(name: str):
    return _fit(name)


@cache
def fit_at_lme4_theta(name: str):
    theta = pd.read_csv(REF / f"{name}_theta.csv")["theta"].to_numpy(float)
    return _fit(name, optimizer=None, start=theta)


def _summary(name: str, ddf: str) -> LmerSummary:
    return fit_at_lme4_theta(name).summary(data_name=INDEX.loc[name, "data_name"], ddf=ddf)


def test_reference_covers_the_cases_the_brief_names():
    """Four models at least, each ddf, KR and Satterthwaite df visibly apart on one of them."""
    assert len(INDEX) >= 4
    assert set(INDEX["REML"]) == {True, False} and (INDEX["weights"] != "").any()
    assert len(CASES) >= 12
    kr = _summary("unbalanced", "Kenward-Roger").coefficients["df"]
    sat = _summary("unbalanced", "Satterthwaite").coefficients["df"]
    assert np.all(np.abs(kr - sat) > 0.5)


@pytest.mark.parametrize(("name", "ddf"), [c for c in CASES if c != WEIGHTED_KR])
def test_summary_text_equals_lmertest(name, ddf):
    """print(summary(m, ddf = ddf)) of lmerTest, line by line."""
    assert_r_text_equal(str(_summary(name, ddf)), _reference(name, ddf))


@pytest.mark.parametrize("name", list(INDEX.index))
def test_default_fit_is_at_least_as_good_as_lme4(name):
    """REMLcrit(m) (or -2 logLik(m) of an ML fit) of lme4's fit: never a worse optimum."""
    scalars = pd.read_csv(REF / f"{name}_scalars.csv").iloc[0]
    result = fit(name)
    if result.REML:
        assert result.reml_criterion <= scalars["REMLcrit"] + 1e-6
    else:
        assert result.loglik >= scalars["logLik"] - 1e-6


@pytest.mark.parametrize(("name", "ddf"), REFUSED)
def test_kenward_roger_on_an_ml_fit_is_refused_as_lmertest_refuses_it(name, ddf):
    assert "only available for REML model fits" in _reference(name, ddf)
    with pytest.raises(ValueError, match="only available for REML model fits") as error:
        fit(name).summary(ddf=ddf)
    assert "REML=True" in str(error.value) and "'Satterthwaite'" in str(error.value)


def test_unknown_ddf_names_the_value_and_the_three_that_work():
    with pytest.raises(ValueError) as error:
        fit("sleep").summary(ddf="satterthwaite")
    message = str(error.value)
    assert "'satterthwaite'" in message
    assert all(f"'{ddf}'" in message for ddf in DDF_FILES)


def test_weighted_kenward_roger_uses_the_weights():
    """lmerTest's text for everything but the coefficient rows; there Var(e) = sigma^2 W^-1:
    the unadjusted covariance is lme4's weighted vcov, and with weights all 1 the table is the
    unweighted fit's."""
    name, ddf = WEIGHTED_KR
    ours = str(_summary(name, ddf)).splitlines()
    ref = _reference(name, ddf).splitlines()
    start = ref.index("Fixed effects:") + 2  # after the header line
    rows = [start, start + 1]
    assert [ref[i].split()[0] for i in rows] == ["(Intercept)", "Days"]
    keep = [i for i in range(len(ref)) if i not in rows]
    assert_r_text_equal("\n".join(ours[i] for i in keep), "\n".join(ref[i] for i in keep))
    result = fit_at_lme4_theta(name)
    np.testing.assert_allclose(kenward_roger(result).phi, result.vcov, rtol=1e-10)
    kr = result.summary(ddf=ddf).coefficients
    # Days varies within every subject of a balanced design: KR's df is Satterthwaite's
    np.testing.assert_allclose(kr.loc["Days", "df"], result.fixef.loc["Days", "df"], rtol=1e-6)
    assert np.all(kr["Std. Error"] >= result.fixef["Std. Error"] * (1 - 1e-12))
    data = _data(name)
    formula = INDEX.loc[name, "formula"]
    unit = lmer(formula, data, weights=np.ones(len(data))).summary(ddf=ddf).coefficients
    plain = lmer(formula, data).summary(ddf=ddf).coefficients
    pd.testing.assert_frame_equal(unit, plain, rtol=1e-6)


# -- the summary as data -----------------------------------------------------------------------
def test_summary_fields_hold_lmertest_parts():
    summary = _summary("unbalanced", "Kenward-Roger")
    result = fit_at_lme4_theta("unbalanced")
    assert summary.title == "Linear mixed model fit by REML. t-tests use Kenward-Roger's method"
    assert summary.class_name == "lmerModLmerTest" and summary.ddf == "Kenward-Roger"
    pd.testing.assert_frame_equal(summary.coefficients, coef_table(result, ddf="Kenward-Roger"))
    pd.testing.assert_frame_equal(summary.vc, result.vc)
    pd.testing.assert_frame_equal(summary.varcorr, result.varcorr)
    assert summary.reml_criterion == result.reml_criterion
    assert list(summary.information.index) == ["AIC", "BIC", "logLik", "deviance", "df.resid"]
    assert summary.nobs == result.nobs and summary.ngroups == {"g": 18}
    lme4 = _summary("unbalanced", "lme4")
    assert lme4.class_name == "lmerMod"
    assert list(lme4.coefficients.columns) == ["Estimate", "Std. Error", "t value"]


def test_text_is_rendered_from_the_fields():
    """Changing a field changes the text: nothing is read from the fit when printing."""
    summary = _summary("sleep", "Satterthwaite")
    table = summary.coefficients.copy()
    table.loc["Days", "Estimate"] = 99.5
    changed = dataclasses.replace(summary, data_name="other", coefficients=table)
    text = str(changed)
    assert "   Data: other" in text.splitlines()
    assert any(line.startswith("Days") and "99.500" in line for line in text.splitlines())
    assert "   Data: sleepstudy" in str(summary).splitlines()


def test_html_view_shows_the_kenward_roger_title_and_df():
    summary = _summary("unbalanced", "Kenward-Roger")
    page = summary._repr_html_()
    assert page.startswith('<div class="lmer-summary">')
    assert "t-tests use Kenward-Roger&#x27;s method [lmerModLmerTest]" in page
    assert "Kenward-Roger&#x27;s df" in page
    # the df cells are those of the text's coefficient rows
    text_rows = [line.split() for line in str(summary).splitlines() if line.startswith("x:z")]
    assert f'<td style="text-align:right">{text_rows[0][3]}</td>' in page
    lme4_page = _summary("unbalanced", "lme4")._repr_html_()
    assert "[lmerMod]" in lme4_page and "Pr(&gt;|t|)" not in lme4_page


def test_glmer_summary_uses_the_same_random_effects_renderer():
    rng = np.random.default_rng(14)
    g = np.repeat(np.arange(25), 12)
    x = rng.normal(size=len(g))
    y = rng.poisson(np.exp(0.2 + 0.3 * x + rng.normal(0, 0.6, 25)[g]))
    data = pd.DataFrame({"y": y, "x": x, "g": g})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = glmer("y ~ x + (1 | g)", data, family="poisson")
    text = str(result.summary()).splitlines()
    block = random_effects_lines(result.summary().varcorr)
    at = text.index("Random effects:")
    assert text[at : at + len(block)] == block
