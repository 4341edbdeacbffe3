"""lmer's fitting options against lme4 (tests/reference/api.R): ``subset=``, ``contrasts=``,
``na_action="exclude"``, a text column of digits as a factor, and ``refit_ml`` from the fitted
theta as lme4's ``refitML``; lme4's data-based start for all-``(1 | f)`` models
(tests/reference/starts.R)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hlmtutor import lmer
from hlmtutor.lmm import fit as fit_module
from hlmtutor.lmm.frame import contrast_matrix

REF = Path(__file__).parent / "reference" / "api"
FITS = pd.read_csv(REF / "fits.csv")
TEXT = {"Subject": str, "dose": str, "recipe": str, "replicate": str, "tempf": str}
EST_RTOL = 1e-4  # fixed effects and sigma (as tests/test_engine.py)
THETA_ATOL = 2e-4
CRIT_RTOL = 1e-6


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, dtype=TEXT, keep_default_na=False, na_values=[""])


def quietly(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lmer(*args, **kwargs)


def assert_matches_lme4(ours, model: str) -> None:
    ref = FITS[FITS["model"] == model]
    value = lambda kind: ref.loc[ref["kind"] == kind, "value"].to_numpy()  # noqa: E731
    crit = ours.reml_criterion if ours.REML else ours.deviance
    np.testing.assert_allclose(crit, value("crit")[0], rtol=CRIT_RTOL)
    np.testing.assert_allclose(ours.theta, value("theta"), rtol=1e-3, atol=THETA_ATOL)
    names = ref.loc[ref["kind"] == "fixef", "name"].tolist()
    assert list(ours.params.index) == names
    np.testing.assert_allclose(ours.params.to_numpy(), value("fixef"), rtol=EST_RTOL)
    np.testing.assert_allclose(ours.sigma, value("sigma")[0], rtol=EST_RTOL)


# -- subset ------------------------------------------------------------------------------------
def test_subset_forms_match_lme4():
    """lmer(Reaction ~ Days + (Days | Subject), sleep, subset = Days >= 2)."""
    data = read("sleep.csv")
    by_query = quietly("Reaction ~ Days + (Days | Subject)", data, subset="Days >= 2")
    assert_matches_lme4(by_query, "subset_days")
    assert by_query.n_excluded == 36 and by_query.n_dropped == 2  # rows 6 and 40 (R: 1-based)
    by_series = quietly("Reaction ~ Days + (Days | Subject)", data, subset=data["Days"] >= 2)
    by_array = quietly(
        "Reaction ~ Days + (Days | Subject)", data, subset=(data["Days"] >= 2).to_numpy()
    )
    for other in (by_series, by_array):
        np.testing.assert_array_equal(other.theta, by_query.theta)


def test_subset_series_aligns_by_index_and_na_excludes():
    data = read("sleep.csv")
    shuffled = (data["Days"] >= 2).sample(frac=1.0, random_state=1)
    fit = quietly("Reaction ~ Days + (Days | Subject)", data, subset=shuffled)
    assert_matches_lme4(fit, "subset_days")
    mask = (data["Days"] >= 2).astype("boolean")
    mask[data["Days"] == 2] = pd.NA  # NA in subset: the row is left out, as R's model.frame
    fit = quietly("Reaction ~ Days + (Days | Subject)", data, subset=mask)
    assert fit.n_excluded == 36 + 18


def test_bad_subsets_are_clear_errors():
    data = read("sleep.csv")
    with pytest.raises(ValueError, match="no value for 10 row label"):
        lmer("Reaction ~ Days + (1 | Subject)", data, subset=(data["Days"] > 0).iloc[10:])
    with pytest.raises(ValueError, match="one True/False per row of data \\(180 rows\\)"):
        lmer("Reaction ~ Days + (1 | Subject)", data, subset=[True, False])
    with pytest.raises(ValueError, match="could not be evaluated.*Dayz"):
        lmer("Reaction ~ Days + (1 | Subject)", data, subset="Dayz > 2")
    with pytest.raises(TypeError, match="True/False per row"):
        lmer("Reaction ~ Days + (1 | Subject)", data, subset=data["Days"])


# -- na_action -----------------------------------------------------------------------------------
def test_na_exclude_pads_fitted_resid_and_predict_as_lme4():
    """lmer(..., subset = Subject != "308", na.action = na.exclude): fitted, residuals, predict."""
    data = read("sleep.csv")
    fit = quietly(
        "Reaction ~ Days + (Days | Subject)", data, subset="Subject != '308'", na_action="exclude"
    )
    assert_matches_lme4(fit, "exclude")
    ref = pd.read_csv(REF / "exclude_padded.csv")
    kept = data.index[data["Subject"] != "308"]
    for ours, column in [
        (fit.fitted(), "fitted"),
        (fit.resid(), "resid"),
        (fit.predict(), "predict"),
        (fit.predict(re_form="NA"), "predict_na"),
    ]:
        assert list(ours.index) == list(kept)
        np.testing.assert_array_equal(ours.isna().to_numpy(), ref[column].isna().to_numpy())
        # residuals pass near 0, where a relative tolerance alone breaks on the optimizer's
        # last digits: allow 1e-6 of the outcome's scale as well
        scale = 1e-6 * float(np.nanmax(np.abs(ref["fitted"])))
        np.testing.assert_allclose(
            ours.to_numpy(), ref[column].to_numpy(), rtol=EST_RTOL, atol=scale
        )
    omitted = quietly("Reaction ~ Days + (Days | Subject)", data, subset="Subject != '308'")
    assert len(omitted.fitted()) == len(kept) - 1  # row 40 has no outcome (1 and 6 are 308's)
    assert omitted.fitted().notna().all()


def test_na_action_must_be_known():
    with pytest.raises(ValueError, match="na_action must be 'omit'.*'exclude'.*'fail'"):
        lmer("Reaction ~ Days + (1 | Subject)", read("sleep.csv"), na_action="fail")


# -- contrasts -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "model, formula, contrasts",
    [
        (
            "cake_sum_poly",
            "angle ~ recipe * tempf + (1 | recipe:replicate)",
            {"recipe": "contr.sum", "tempf": "contr.poly"},
        ),
        (
            "cake_helmert",
            "angle ~ recipe * tempf + (1 | recipe:replicate)",
            {"recipe": "contr.helmert", "tempf": "contr.treatment"},
        ),
        ("cake_sum_only", "angle ~ tempf + (1 | recipe:replicate)", {"tempf": "contr.sum"}),
    ],
)
def test_contrasts_match_lme4(model, formula, contrasts):
    """lmer(formula, cake, contrasts = list(...)): R's column names and estimates."""
    fit = quietly(formula, read("cake.csv"), contrasts=contrasts)
    assert_matches_lme4(fit, model)


def test_contrasts_carry_to_new_data_and_update():
    from hlmtutor import update

    data = read("cake.csv")
    fit = quietly("angle ~ recipe + tempf + (1 | recipe:replicate)", data,
                  contrasts={"tempf": "contr.poly"})  # fmt: skip
    np.testing.assert_allclose(fit.predict(data), fit.predict(), rtol=1e-12)
    smaller = quietly("angle ~ tempf + (1 | recipe:replicate)", data,
                      contrasts={"tempf": "contr.poly"})  # fmt: skip
    updated = update(fit, ". ~ . - recipe")
    assert list(updated.params.index) == list(smaller.params.index)
    assert "tempf.L" in updated.params.index
    excluded = quietly("angle ~ recipe + (1 | recipe:replicate)", data, na_action="exclude")
    assert update(excluded, ". ~ . + tempf", data=data).na_action == "exclude"


def test_contrast_matrices_are_rs():
    """contr.helmert(4) and contr.poly(4) as R prints them."""
    helmert, names = contrast_matrix("contr.helmert", ("a", "b", "c", "d"))
    np.testing.assert_array_equal(helmert, [[-1, -1, -1], [1, -1, -1], [0, 2, -1], [0, 0, 3]])
    assert names == ["1", "2", "3"]
    poly, names = contrast_matrix("contr.poly", ("a", "b", "c", "d", "e"))
    assert names == [".L", ".Q", ".C", "^4"]
    np.testing.assert_allclose(poly.T @ poly, np.eye(4), atol=1e-12)
    np.testing.assert_allclose(poly[:, 0], np.array([-2, -1, 0, 1, 2]) / np.sqrt(10))
    np.testing.assert_allclose(poly[:, 1], np.array([2, -1, -2, -1, 2]) / np.sqrt(14))


def test_bad_contrasts_are_clear_errors():
    data = read("cake.csv")
    with pytest.raises(ValueError, match="'contr.SAS' is not a contrast.*contr.sum"):
        lmer("angle ~ tempf + (1 | recipe:replicate)", data, contrasts={"tempf": "contr.SAS"})
    with pytest.raises(ValueError, match="'recipe', which is not a factor in the fixed part"):
        lmer("angle ~ tempf + (1 | recipe:replicate)", data, contrasts={"recipe": "contr.sum"})


# -- text columns, refit -------------------------------------------------------------------------
def test_text_column_of_digits_is_a_factor_as_in_r():
    """lmer(Reaction ~ dose + (1 | Subject)) with dose a character column: levels 1, 10, 2, 9."""
    fit = quietly("Reaction ~ dose + (1 | Subject)", read("sleep.csv"))
    assert_matches_lme4(fit, "dose_text")


def test_refit_ml_starts_from_the_fitted_theta(monkeypatch):
    """refitML(m): the ML fit from the REML theta, as lme4."""
    fit = quietly("Reaction ~ Days + (Days | Subject)", read("sleep.csv"))
    starts = []
    original = fit_module.optimize_theta

    def spy(deviance, start, *args, **kwargs):
        starts.append(np.array(start))
        return original(deviance, start, *args, **kwargs)

    monkeypatch.setattr(fit_module, "optimize_theta", spy)
    ml = fit.refit_ml()
    np.testing.assert_array_equal(starts[0], fit.theta)
    assert_matches_lme4(ml, "corr_refitml")


# -- lme4's start ----------------------------------------------------------------------------------
STARTS = {
    "ri": ("Reaction ~ Days + (1 | Subject)", {}),
    "ri_log": ("log(Reaction) ~ Days + (1 | Subject)", {}),
    "ri_nofixed": ("Reaction ~ 1 + (1 | Subject)", {}),
    "ri_offset_weights": ("Reaction ~ Days + (1 | Subject)", {"offset": "off", "weights": "wt"}),
    "slope": ("Reaction ~ Days + (0 + Days | Subject)", {}),
    "two_intercepts": ("Reaction ~ Days + (1 | Subject) + (1 | dose)", {}),
}


@pytest.mark.parametrize("model", list(STARTS))
def test_start_is_lme4s(model, monkeypatch):
    """environment(lmer(..., devFunOnly = TRUE))$pp$theta: lme4's first theta."""
    formula, extra = STARTS[model]
    data = read("sleep.csv")
    data["off"] = 2.0 * data["Days"]
    data["wt"] = np.resize([1.0, 3.0], len(data))
    starts = []
    original = fit_module.optimize_theta

    def spy(deviance, start, *args, **kwargs):
        starts.append(np.array(start))
        return original(deviance, start, *args, **kwargs)

    monkeypatch.setattr(fit_module, "optimize_theta", spy)
    quietly(formula, data, **extra)
    r = pd.read_csv(REF / "starts.csv").set_index("model")["start"]
    np.testing.assert_allclose(starts[0][0], r[model], rtol=1e-12)


STARTS_REF = Path(__file__).parent / "reference" / "starts"
STARTS_MORE = pd.read_csv(STARTS_REF / "starts.csv")


class _Started(Exception):
    """Raised by the spy once the start is seen: the fit itself is not needed."""


@pytest.mark.parametrize("model", list(dict.fromkeys(STARTS_MORE["model"])))
def test_start_of_intercept_terms_is_lme4s(model, monkeypatch):
    """environment(lmer(f, d, devFunOnly = TRUE))$pp$theta for the models of
    tests/reference/starts.R: all-(1 | f) models on balanced, unbalanced, crossed and nested
    designs (data-based start), nested terms and a slope term (start at 1), weights, NA rows."""
    ref = STARTS_MORE[STARTS_MORE["model"] == model]
    formula, file = ref["formula"].iloc[0], ref["data"].iloc[0]
    data = pd.read_csv(STARTS_REF / file)
    for column in ("Subject", "dose", "plate", "sample", "batch", "cask", "a", "b", "c"):
        if column in data:
            data[column] = data[column].astype(str)
    extra = {"weights": data["w"].to_numpy()} if model == "weights" else {}
    starts = []

    def spy(deviance, start, *args, **kwargs):
        starts.append(np.array(start))
        raise _Started

    monkeypatch.setattr(fit_module, "optimize_theta", spy)
    with pytest.raises(_Started):
        quietly(formula, data, **extra)
    np.testing.assert_allclose(starts[0], ref["start"].to_numpy(), rtol=1e-12, atol=0)


def test_subset_cuts_per_row_weights_and_works_in_glmer():
    """lmer(Reaction ~ Days + (1 | Subject), weights = wt, subset = Days > 0) with the weights
    given for every row, and glmer(cbind(incidence, size - incidence) ~ period + (1 | herd),
    cbpp, binomial, subset = herd != "1")."""
    from hlmtutor import glmer

    ref = pd.read_csv(REF / "subset_more.csv")
    data = read("sleep.csv")
    weights = np.resize([1.0, 3.0], len(data))  # one per row of data, as R's weights = wt
    fit = quietly("Reaction ~ Days + (1 | Subject)", data, weights=weights, subset="Days > 0")
    r = ref[ref["model"] == "weights_subset"].set_index("name")["value"]
    np.testing.assert_allclose(fit.loglik, r["loglik"], rtol=CRIT_RTOL)
    np.testing.assert_allclose(fit.params.to_numpy(), r[list(fit.params.index)], rtol=EST_RTOL)
    cbpp = pd.read_csv(REF / "cbpp.csv", dtype={"period": str, "herd": str})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = glmer("cbind(incidence, size - incidence) ~ period + (1 | herd)", cbpp,
                  family="binomial", subset=cbpp["herd"] != "1")  # fmt: skip
    r = ref[ref["model"] == "glmer_subset"].set_index("name")["value"]
    np.testing.assert_allclose(g.loglik, r["loglik"], rtol=CRIT_RTOL)
    np.testing.assert_allclose(g.params.to_numpy(), r[list(g.params.index)], rtol=1e-3)
    np.testing.assert_allclose(g.theta, [r["theta"]], rtol=1e-3)
    assert g.nobs == len(cbpp) - int((cbpp["herd"] == "1").sum())


@pytest.mark.parametrize(
    "model, contrasts",
    [("cake_ordered", None), ("cake_ordered_treatment", {"tempf": "contr.treatment"})],
)
def test_ordered_categorical_gets_rs_polynomial_contrasts(model, contrasts):
    """lmer(angle ~ recipe + tempf + (1 | recipe:replicate)) with tempf an ordered factor:
    R's default contrasts for it are contr.poly; contrasts= overrides them."""
    data = read("cake.csv")
    data["tempf"] = pd.Categorical(data["tempf"], ordered=True)
    fit = quietly("angle ~ recipe + tempf + (1 | recipe:replicate)", data, contrasts=contrasts)
    assert_matches_lme4(fit, model)
