"""lmer with nlme's residual structures (hlmtutor.lmm.residual, hlmtutor.lmm.structured).

References: ``tests/reference/longitudinal.R`` fits ``nlme::lme`` models with ``corAR1`` (by
position and by an integer time), ``corCAR1`` and ``varIdent``, on nlme's Orthodont, BodyWeight
and Ovary, lme4's sleepstudy, mlmRev's Oxboys and simulated designs, and writes the data it
fitted (17 significant digits, read back) with the results to ``tests/reference/longitudinal/``.

Tolerances: nlme stops its optimizer (nlminb, or optim's BFGS where nlminb fails) on a relative
change of the log-likelihood, so its estimates carry errors of about 1e-4 relative where the
likelihood is flat (varIdent ratios, sigma); hlmtutor's BOBYQA stops on 1e-8 absolute. A fit's
logLik must never be below nlme's by more than 1e-5; where nlme stopped clearly short (logLik more
than 1e-4 below ours: sleepstudy REML, Oxboys) only the logLik is compared.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hlmtutor
from hlmtutor import anova, cor_ar1, cor_car1, lmer, var_ident

REF = Path(__file__).parent / "reference" / "longitudinal"
INDEX = pd.read_csv(REF / "index.csv", keep_default_na=False)
NAMES = list(INDEX["name"])
# Columns R made factors that the fixed part uses and that the CSV holds as numbers
FACTORS = {"BodyWeight.csv": ["Diet"]}
SAME_OPTIMUM = 1e-4  # |logLik - nlme's| below this: both found the same optimum


@functools.cache
def _data(file: str) -> pd.DataFrame:
    data = pd.read_csv(REF / file)
    for column in FACTORS.get(file, []):
        data[column] = data[column].astype("category")
    return data


def _structures(row) -> dict:
    correlation = None
    if row["cor"] == "ar1":
        correlation = cor_ar1(time=row["cor_time"] or None)
    elif row["cor"] == "car1":
        correlation = cor_car1(time=row["cor_time"])
    variance = var_ident(by=row["var_by"]) if row["var_by"] else None
    return {"correlation": correlation, "variance": variance}


def _row(name: str):
    return INDEX.set_index("name").loc[name].to_dict() | {"name": name}


@functools.cache
def fit(name: str):
    row = _row(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lmer(
            row["formula"], _data(row["data_file"]), REML=bool(row["REML"]), **_structures(row)
        )


def _scalars(name: str) -> pd.Series:
    return pd.read_csv(REF / f"{name}_scalars.csv").iloc[0]


def _same_optimum(name: str) -> bool:
    return abs(fit(name).loglik - _scalars(name)["logLik"]) < SAME_OPTIMUM


AGREEING = [n for n in NAMES if n not in ("sleep_ar1_days", "oxboys_ar1")]


def test_reference_has_at_least_eight_models_of_each_kind():
    assert len(NAMES) >= 8
    assert set(INDEX["cor"]) >= {"ar1", "car1", ""}
    assert (INDEX["var_by"] != "").sum() >= 3
    assert set(INDEX["REML"]) == {True, False}


@pytest.mark.parametrize("name", NAMES)
def test_loglik_never_below_nlme(name):
    """logLik(lme(...)) (REML or ML as fitted)."""
    assert fit(name).loglik >= _scalars(name)["logLik"] - 1e-5


@pytest.mark.parametrize("name", NAMES)
def test_parameter_count_and_information_criteria(name):
    """attr(logLik(m), "df"), AIC(m), BIC(m): nlme and lmer count parameters alike; BIC is
    lme4's (log n), where nlme's BIC of a REML fit uses log(n - p)."""
    ours, ref = fit(name), _scalars(name)
    assert ours.npar == int(ref["npar"])
    assert ours.nobs == int(ref["nobs"])
    assert ours.aic == pytest.approx(-2 * ours.loglik + 2 * ref["npar"], rel=1e-12)
    assert ours.bic == pytest.approx(-2 * ours.loglik + ours.npar * np.log(ours.nobs), rel=1e-12)
    if _same_optimum(name):
        assert ours.aic == pytest.approx(ref["AIC"], abs=2e-4)
        n_for_bic = ours.nobs - len(ours.params) if ours.REML else ours.nobs
        nlme_bic = -2 * ours.loglik + ours.npar * np.log(n_for_bic)
        assert nlme_bic == pytest.approx(ref["BIC"], abs=2e-4)


def test_nlme_stopped_short_where_the_estimates_are_not_compared():
    """The two models left out of the estimate comparisons: hlmtutor's logLik is higher."""
    for name in ("sleep_ar1_days", "oxboys_ar1"):
        assert fit(name).loglik > _scalars(name)["logLik"] + 1e-3


@pytest.mark.parametrize("name", AGREEING)
def test_fixed_effects_and_standard_errors_match_nlme(name):
    """summary(m)$tTable[, "Value"] and sqrt(diag(vcov(m)))."""
    assert _same_optimum(name)
    ours = fit(name).fixef
    ref = pd.read_csv(REF / f"{name}_fixef.csv").set_index("term")
    assert list(ours.index) == list(ref.index)
    se = ref["SE_vcov"].to_numpy()
    np.testing.assert_allclose(ours["Estimate"], ref["Value"], rtol=0, atol=2e-3 * se.min())
    np.testing.assert_allclose(ours["Std. Error"], se, rtol=2e-3)


@pytest.mark.parametrize("name", AGREEING)
def test_sigma_phi_and_ratios_match_nlme(name):
    """m$sigma, coef(m$modelStruct$corStruct, FALSE), coef(m$modelStruct$varStruct, FALSE)."""
    ours, ref = fit(name), _scalars(name)
    assert ours.sigma == pytest.approx(ref["sigma"], rel=2e-3)
    if np.isfinite(ref["Phi"]):
        assert ours.correlation_params["Phi"] == pytest.approx(ref["Phi"], abs=1e-3)
    else:
        assert ours.correlation_params == {}
    ratios_file = REF / f"{name}_ratios.csv"
    if ratios_file.exists():
        ratios = pd.read_csv(ratios_file, dtype={"stratum": str})
        assert [str(k) for k in ours.variance_params] == list(ratios["stratum"])
        np.testing.assert_allclose(list(ours.variance_params.values()), ratios["ratio"], rtol=2e-3)
    else:
        assert ours.variance_params == {}


@pytest.mark.parametrize("name", AGREEING)
def test_random_effect_sds_match_nlme(name):
    """sqrt(diag(sigma^2 * as.matrix(m$modelStruct$reStruct)[[g]])) and its correlations."""
    ours = fit(name).vc
    ref = pd.read_csv(REF / f"{name}_resd.csv")
    # nlme names the inner factor of school/pid "pid" (lme4 "pid:school"), and a pdDiag block
    # one group (lme4's (Days || Subject) gives Subject and Subject.1)
    factor = ours["grp"].str.split(":").str[0].str.replace(r"\.\d+$", "", regex=True)
    for _, row in ref.iterrows():
        grp = ours[factor == row["grp"]]
        sd = grp.loc[(grp["var1"] == row["var"]) & (grp["var2"] == ""), "sdcor"]
        assert float(sd.iloc[0]) == pytest.approx(row["sd"], rel=5e-3, abs=1e-4)
        corr = grp.loc[grp["var2"] == row["var"], "sdcor"]
        if row["var"] != "(Intercept)" and len(corr):
            assert float(corr.iloc[0]) == pytest.approx(row["corr_with_first"], abs=5e-3)
        elif row["var"] != "(Intercept)":  # uncorrelated by construction, as pdDiag
            assert row["corr_with_first"] == 0


@pytest.mark.parametrize("name", ["ortho_ar1", "sim_ar1_wave_varwave", "sim_car1_vargroup"])
def test_residuals_match_nlme(name):
    """residuals(m, type = "response" / "pearson" / "normalized") at the innermost level."""
    ours = fit(name)
    ref = pd.read_csv(REF / f"{name}_resid.csv")
    data = _data(_row(name)["data_file"])
    assert list(data["row"]) == list(ref["row"])  # nlme returns the data's order
    for kind in ("response", "pearson", "normalized"):
        np.testing.assert_allclose(ours.resid(kind), ref[kind], rtol=0, atol=5e-3)


def test_normalized_residuals_are_whitened_pearson_residuals():
    """Without a correlation, normalized = pearson = response / (sigma * ratio) (nlme)."""
    ours = fit("sim_varwave_ml")
    np.testing.assert_allclose(ours.resid("normalized"), ours.resid("pearson"), rtol=1e-12)
    ratio = ours.data.index.map(
        lambda i: ours.variance_params[_data("sim_waves.csv").loc[i, "wave"]]
    )
    np.testing.assert_allclose(
        ours.resid("pearson") * ours.sigma * np.asarray(ratio), ours.resid(), rtol=1e-12
    )
    with pytest.raises(ValueError, match="'response', 'pearson' or 'normalized'"):
        ours.resid("studentized")


def test_likelihood_ratio_test_matches_nlme():
    """anova(lme(..., method = "ML"), lme(..., correlation = corAR1(form = ~ wave | id)))."""
    ref = pd.read_csv(REF / "sim_anova_ar1.csv").set_index("model")
    data = _data("sim_waves.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m0 = lmer("y ~ wave * trt + (1 | id)", data, REML=False)
        m1 = lmer("y ~ wave * trt + (1 | id)", data, REML=False, correlation=cor_ar1(time="wave"))
        table = anova(m0=m0, m1=m1)
        from_reml = anova(
            m0=lmer("y ~ wave * trt + (1 | id)", data),
            m1=lmer("y ~ wave * trt + (1 | id)", data, correlation=cor_ar1(time="wave")),
        )
    assert list(table["npar"]) == list(ref["df"])
    np.testing.assert_allclose(table["logLik"], ref["logLik"], rtol=0, atol=1e-5)
    assert table.loc["m1", "Chisq"] == pytest.approx(ref.loc["m1", "L.Ratio"], abs=2e-5)
    assert table.loc["m1", "Pr(>Chisq)"] == pytest.approx(ref.loc["m1", "p"], rel=1e-3)
    # REML fits are refitted by ML first (lme4's anova), with the structure kept
    np.testing.assert_allclose(from_reml["logLik"], table["logLik"], rtol=0, atol=1e-6)


def _structure_block(lines: list[str]) -> list[str]:
    start = next(i for i, line in enumerate(lines) if line.startswith("Correlation Structure"))
    end = next(i for i, line in enumerate(lines) if line.startswith("Fixed effects"))
    return lines[start:end]


@pytest.mark.parametrize(
    "name", ["ortho_ar1", "bodyweight_car1", "sim_ar1_wave_varwave", "sim_three_ar1"]
)
def test_summary_prints_the_structure_as_nlme(name):
    """print(summary(m)): nlme's "Correlation Structure" and "Variance function" lines."""
    ours = str(fit(name).summary()).splitlines()
    ref = (REF / f"{name}_summary.txt").read_text().splitlines()
    ref_block, our_block = _structure_block(ref), _structure_block(ours)
    our_block = [line for line in our_block if line]
    assert len(our_block) == len(ref_block)
    for mine, theirs in zip(our_block, ref_block, strict=True):
        try:
            values = [float(v) for v in theirs.split()]
        except ValueError:  # words: equal as printed
            assert mine.split() == theirs.split()
            continue
        np.testing.assert_allclose([float(v) for v in mine.split()], values, rtol=2e-3)
    # lmerTest's layout around it
    assert ours[0].startswith("Linear mixed model fit by")
    assert any(line.startswith("Fixed effects:") for line in ours)


def test_notebook_summary_shows_the_structure():
    page = fit("sim_ar1_wave_varwave").summary()._repr_html_()
    assert page.index("Residual structure") < page.index("Fixed effects")
    assert "Correlation Structure: ARMA(1,0)" in page and "Variance function:" in page


def test_satterthwaite_df_of_a_between_subject_effect():
    """Orthodont, random intercepts + AR(1): Sex varies between the 27 boys and girls only, so
    its df is near nlme's containment df (27 - 2 = 25). age varies within children; its
    variance depends on phi, which 4 occasions a child pin down poorly, so its df falls below
    the 80 of nlme's containment count (the uncertainty of phi is part of A)."""
    table = fit("ortho_ar1").fixef
    assert 24 < table.loc["SexMale", "df"] < 26
    assert 25 < table.loc["age", "df"] < 80
    assert np.all(table["Pr(>|t|)"].between(0, 1))


def test_satterthwaite_df_do_not_depend_on_the_scale_of_phi():
    """The df are those of lmerTest's formula over (theta, structure, sigma); the same formula
    with phi itself in place of nlme's unconstrained log((1 + phi) / (1 - phi)) gives the same
    df (Satterthwaite's df are invariant to reparametrisation to first order)."""
    from hlmtutor import _satterthwaite as sat
    from hlmtutor.lmm.structured import _criterion

    ours = fit("ortho_ar1")
    k = ours.reterms.n_theta
    _, deviance_at = _criterion(ours.frame, ours.reterms, ours.residual_model, True)

    def at_phi(varpar):
        phi = varpar[k]
        return deviance_at(np.array([np.log((1 + phi) / (1 - phi))]))

    def varpar_deviance(varpar):
        dev, logdet = at_phi(varpar)
        return dev.varpar_deviance(np.r_[varpar[:k], varpar[-1]]) + 2 * logdet

    def vcov_beta(varpar):
        dev, _ = at_phi(varpar)
        return dev.vcov_beta(np.r_[varpar[:k], varpar[-1]])

    varpar = np.r_[ours.theta, ours.correlation_params["Phi"], ours.sigma]
    a, _ = sat.varpar_covariance(sat.hessian(varpar_deviance, varpar))
    p = len(ours.params)
    jac = sat.jacobian(vcov_beta, varpar).reshape(p, p, -1)
    df = sat.satterthwaite_df(ours.vcov.to_numpy(), jac, a, np.eye(p))
    np.testing.assert_allclose(ours.fixef["df"], df, rtol=1e-4)


def test_a_structure_parameter_at_its_edge_is_a_boundary_fit():
    """Orthodont, (age | Subject) + corCAR1(~ age): nlme's Phi is 7e-5, ours as small; the fit
    is reported as a boundary fit, not as a failed Hessian check, and phi is held fixed in
    Satterthwaite's A (no near-zero eigenvalue note)."""
    ours = fit("ortho_car1_slope")
    assert ours.correlation_params["Phi"] < 1e-3
    assert ours.converged
    assert any("Phi sits at the edge of its range" in m for m in ours.messages)
    assert not any("eigenvalue" in m for m in ours.messages)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.all(np.isfinite(ours.fixef["df"]))


def test_structure_at_its_null_is_lmer():
    """At phi = 0 and ratios 1 the criterion is lmer's (lme4's REMLcrit at the same theta)."""
    ours = fit("sim_ar1_wave_varwave")
    plain = lmer("y ~ wave * trt + (1 | id)", _data("sim_waves.csv"))
    null = np.zeros(len(ours.structure_params))  # u = 0: phi = 0; log ratios 0
    for theta in (plain.theta, ours.theta, np.array([0.5])):
        assert ours.criterion(theta, null) == pytest.approx(plain.criterion(theta), abs=1e-8)


def test_predict_and_fitted_agree():
    ours = fit("sim_car1_vargroup")
    np.testing.assert_allclose(ours.predict(), ours.fitted(), rtol=1e-12)
    np.testing.assert_allclose(
        ours.predict(re=False), ours.frame.X @ ours.params.to_numpy(), rtol=1e-12
    )
    np.testing.assert_allclose(ours.resid(), ours.frame.y - ours.fitted(), rtol=1e-12)


def test_rows_of_a_subject_need_not_be_adjacent():
    """AR(1) by time: shuffling the rows (a subject's rows scattered) changes nothing."""
    data = _data("sim_waves.csv")
    shuffled = data.sample(frac=1.0, random_state=3).sort_values("wave", kind="stable")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = lmer(
            "y ~ wave * trt + (1 | id)", shuffled, REML=False, correlation=cor_ar1(time="wave")
        )
    assert again.loglik == pytest.approx(fit("sim_ar1_wave_ml").loglik, abs=1e-7)


def test_top_level_names():
    assert hlmtutor.cor_ar1 is cor_ar1 and hlmtutor.var_ident is var_ident
    assert isinstance(fit("ortho_ar1"), hlmtutor.LmerResult)
    assert isinstance(fit("ortho_ar1"), hlmtutor.StructuredLmerResult)


# -- errors ---------------------------------------------------------------------------------------
def _toy() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    data = pd.DataFrame({"id": np.repeat(np.arange(12), 4), "t": np.tile(np.arange(4), 12)})
    data["y"] = rng.normal(size=len(data)) + data["t"]
    data["g"] = np.where(data["id"] < 6, "a", "b")
    return data


def test_rows_out_of_time_order_are_refused():
    data = _toy()
    data.loc[[4, 5]] = data.loc[[5, 4]].to_numpy()
    with pytest.raises(ValueError, match=r"id 1 are out of time order .*sort_values"):
        lmer("y ~ t + (1 | id)", data, correlation=cor_ar1(time="t"))


def test_duplicated_times_are_refused():
    data = _toy()
    data.loc[5, "t"] = 0
    with pytest.raises(ValueError, match=r"id 1 has two rows at t = 0: duplicated times"):
        lmer("y ~ t + (1 | id)", data, correlation=cor_car1(time="t"))


def test_a_time_column_that_is_not_numeric_is_refused():
    data = _toy()
    data["when"] = data["t"].map({0: "a", 1: "b", 2: "c", 3: "d"})
    with pytest.raises(ValueError, match="time column 'when' must be numeric"):
        lmer("y ~ t + (1 | id)", data, correlation=cor_ar1(time="when"))


def test_cor_ar1_needs_integer_times():
    data = _toy()
    data["age"] = data["t"] + 0.5 * (data["id"] % 2)
    data["age"] = data["t"] * 1.5
    with pytest.raises(ValueError, match=r"integer times .* use hlmtutor.cor_car1\(time='age'\)"):
        lmer("y ~ t + (1 | id)", data, correlation=cor_ar1(time="age"))


def test_a_stratum_with_one_observation_is_refused():
    data = _toy()
    data.loc[0, "g"] = "c"
    with pytest.raises(ValueError, match=r"stratum g = 'c' has one observation"):
        lmer("y ~ t + (1 | id)", data, variance=var_ident(by="g"))


def test_missing_columns_and_wrong_types_are_refused():
    data = _toy()
    with pytest.raises(ValueError, match="'wave' of the residual structure are not in the data"):
        lmer("y ~ t + (1 | id)", data, correlation=cor_ar1(time="wave"))
    with pytest.raises(TypeError, match="correlation must be hlmtutor.cor_ar1"):
        lmer("y ~ t + (1 | id)", data, correlation="ar1")
    with pytest.raises(TypeError, match="variance must be hlmtutor.var_ident"):
        lmer("y ~ t + (1 | id)", data, variance="t")
    with pytest.raises(TypeError, match="name of the stratum column"):
        var_ident(by=["t"])


def test_crossed_factors_are_refused_with_a_correlation():
    data = _toy()
    data["rater"] = np.tile(["r1", "r2"], len(data) // 2)
    with pytest.raises(ValueError, match="rater varies within id .*nested"):
        lmer("y ~ t + (1 | id) + (1 | rater)", data, correlation=cor_ar1())


def test_rows_missing_a_structure_column_are_dropped_with_a_count():
    data = _toy()
    data["g"] = data["g"].astype(object)
    data.loc[[3, 7], "g"] = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = lmer("y ~ t + (1 | id)", data, variance=var_ident(by="g"))
    assert any("2 row(s) with a missing value in g" in str(w.message) for w in caught)
    assert result.nobs == len(data) - 2


def test_profile_intervals_are_not_offered():
    with pytest.raises(NotImplementedError, match="method='Wald'"):
        fit("ortho_ar1").confint(method="profile")
    wald = fit("ortho_ar1").confint()
    assert np.all(np.isfinite(wald.loc["age"]))


def test_criterion_at_the_estimates_is_the_fitted_criterion():
    """REMLcrit: the criterion of (theta, structure) at the estimates is the optimum's value."""
    ours = fit("sim_ar1_wave_varwave")
    assert ours.criterion(ours.theta) == pytest.approx(ours.reml_criterion, abs=1e-9)
    assert ours.reml_criterion == pytest.approx(-2 * ours.loglik, rel=1e-12)
    moved = ours.structure_params + 0.1
    assert ours.criterion(ours.theta, moved) > ours.reml_criterion


def test_type_iii_anova_of_a_structured_fit():
    """lmerTest's anova(m) on the structured fit: F of a one-column term is its t squared."""
    ours = fit("sim_ar1_wave_varwave")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = anova(ours)
    row = table.loc["wave:trt"]
    assert row["F value"] == pytest.approx(ours.fixef.loc["wave:trt", "t value"] ** 2, rel=1e-9)
    assert row["DenDF"] == pytest.approx(ours.fixef.loc["wave:trt", "df"], rel=1e-6)


def test_var_ident_alone_with_crossed_factors():
    """varIdent scales rows only, so crossed factors are fine without a correlation."""
    data = _toy()
    data["rater"] = np.tile(["r1", "r2", "r3"], len(data) // 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = lmer("y ~ t + (1 | id) + (1 | rater)", data, variance=var_ident(by="g"))
    assert set(result.variance_params) == {"a", "b"}
    assert result.npar == 2 + 2 + 1 + 1


def test_start_and_optimizer_are_checked():
    data = _toy()
    with pytest.raises(
        ValueError, match=r"start must hold 2 values: theta .* \(id.\(Intercept\), Phi\)"
    ):
        lmer("y ~ t + (1 | id)", data, correlation=cor_ar1(), start=[1.0])
    with pytest.raises(ValueError, match="optimizer must be one of"):
        lmer("y ~ t + (1 | id)", data, correlation=cor_ar1(), optimizer=None, start=[1.0, 0.0])
