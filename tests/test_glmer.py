"""Unit tests of hlmtutor.glmer (hlmtutor/lmm/glmer_fit.py, glmm.py, glmer_result.py) and of the
engine seams it uses. The numbers lme4 prints are checked in test_glmer_reference.py; here:
response forms, errors, links, offsets, nAGQ rules, warnings and the result's extras."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from hlmtutor import GlmerResult, anova, glmer, lmer
from hlmtutor.lmm.deviance import make_deviance
from hlmtutor.lmm.frame import model_frame
from hlmtutor.lmm.terms import build_terms


def _binary(seed: int = 1, groups: int = 25, size: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), size)
    x = rng.normal(size=groups * size)
    eta = -0.3 + 0.8 * x + rng.normal(0, 1.0, groups)[g]
    y = (rng.random(groups * size) < 1 / (1 + np.exp(-eta))).astype(int)
    return pd.DataFrame({"y": y, "x": x, "g": g})


def _counts(seed: int = 2, groups: int = 20, size: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), size)
    x = rng.normal(size=groups * size)
    exposure = rng.uniform(0.5, 3.0, groups * size)
    y = rng.poisson(exposure * np.exp(0.2 + 0.4 * x + rng.normal(0, 0.5, groups)[g]))
    return pd.DataFrame({"y": y, "x": x, "g": g, "exposure": exposure})


def _fit(*args, **kwargs) -> GlmerResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return glmer(*args, **kwargs)


@pytest.fixture(scope="module")
def binary() -> pd.DataFrame:
    return _binary()


@pytest.fixture(scope="module")
def base_fit(binary) -> GlmerResult:
    return _fit("y ~ x + (1 | g)", binary)


# -- response forms ----------------------------------------------------------------------------
def test_boolean_text_and_numeric_outcomes_give_one_fit(binary, base_fit):
    """0/1, True/False and a two-level text column (first level in R's order = failure)."""
    as_bool = binary.assign(y=binary["y"].astype(bool))
    as_text = binary.assign(y=np.where(binary["y"] == 1, "yes", "no"))  # "no" < "yes"
    for data in (as_bool, as_text):
        other = _fit("y ~ x + (1 | g)", data)
        np.testing.assert_allclose(other.loglik, base_fit.loglik, rtol=1e-12)
        np.testing.assert_allclose(other.params, base_fit.params, rtol=1e-10)


def test_a_categoricals_own_order_decides_which_level_is_failure(binary, base_fit):
    """Categories ["yes", "no"]: "yes" is the first level, so "no" is the success modelled."""
    labels = np.where(binary["y"] == 1, "yes", "no")
    data = binary.assign(y=pd.Categorical(labels, categories=["yes", "no"]))
    flipped = _fit("y ~ x + (1 | g)", data)
    np.testing.assert_allclose(flipped.params, -base_fit.params, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(flipped.loglik, base_fit.loglik, rtol=1e-9)


def test_cbind_and_proportion_with_weights_are_one_fit():
    rng = np.random.default_rng(3)
    g = np.repeat(np.arange(15), 4)
    trials = rng.integers(5, 30, 60)
    successes = rng.binomial(trials, 1 / (1 + np.exp(-(rng.normal(0, 0.8, 15)[g] - 1))))
    data = pd.DataFrame({"s": successes, "n": trials, "g": g, "p": successes / trials})
    data["f"] = data["n"] - data["s"]
    a = _fit("cbind(s, n - s) ~ 1 + (1 | g)", data)
    b = _fit("p ~ 1 + (1 | g)", data, weights=data["n"])
    c = _fit("cbind(s, f) ~ 1 + (1 | g)", data)
    for other in (b, c):
        np.testing.assert_allclose(other.loglik, a.loglik, rtol=1e-10)
        np.testing.assert_allclose(other.params, a.params, rtol=1e-7)
        np.testing.assert_allclose(other.theta, a.theta, rtol=1e-6)
    assert b.weights_name == "n"


# -- errors ------------------------------------------------------------------------------------
def test_a_three_level_outcome_is_refused_naming_the_column(binary):
    data = binary.assign(y=np.array(["a", "b", "c"])[np.arange(len(binary)) % 3])
    with pytest.raises(ValueError, match=r"'y' has 3 levels"):
        glmer("y ~ x + (1 | g)", data)


def test_negative_and_fractional_counts_are_refused():
    data = _counts()
    with pytest.raises(ValueError, match=r"'y' has negative values"):
        glmer("y ~ x + (1 | g)", data.assign(y=data["y"] - 3), family="poisson")
    with pytest.raises(ValueError, match=r"'y' has non-integer values"):
        glmer("y ~ x + (1 | g)", data.assign(y=data["y"] + 0.5), family="poisson")
    with pytest.raises(ValueError, match=r"failures .* negative"):
        glmer("cbind(y, y - 5) ~ x + (1 | g)", data)


def test_proportions_need_the_number_of_trials(binary):
    data = binary.assign(p=np.linspace(0.05, 0.95, len(binary)))
    with pytest.raises(ValueError, match="weights="):
        glmer("p ~ x + (1 | g)", data)
    with pytest.raises(ValueError, match="outside"):
        glmer("y ~ x + (1 | g)", binary.assign(y=binary["y"] * 2))


def test_family_link_and_nagq_are_checked(binary):
    with pytest.raises(ValueError, match="family must be one of"):
        glmer("y ~ x + (1 | g)", binary, family="gaussian")
    with pytest.raises(ValueError, match="link 'log' is not available"):
        glmer("y ~ x + (1 | g)", binary, link="log")
    with pytest.raises(ValueError, match="nAGQ must be"):
        glmer("y ~ x + (1 | g)", binary, nAGQ=-1)
    with pytest.raises(ValueError, match=r"single scalar random-effects term.*\(1 \+ x \| g\)"):
        glmer("y ~ x + (1 + x | g)", binary, nAGQ=5)


# -- links, quadrature -------------------------------------------------------------------------
def test_links_give_their_own_fits(binary, base_fit):
    probit = _fit("y ~ x + (1 | g)", binary, link="probit")
    cloglog = _fit("y ~ x + (1 | g)", binary, link="cloglog")
    assert (probit.family, probit.link) == ("binomial", "probit")
    # probit coefficients are about logit's / 1.6-1.8 (the latent scale's SD)
    ratio = base_fit.params["x"] / probit.params["x"]
    assert 1.4 < ratio < 2.0
    assert cloglog.loglik != pytest.approx(base_fit.loglik, abs=1e-6)


def test_more_quadrature_points_converge(binary):
    """Adaptive Gauss-Hermite: 15 and 25 points agree far better than 1 and 25."""
    fits = {k: _fit("y ~ x + (1 | g)", binary, nAGQ=k) for k in (1, 15, 25)}
    assert abs(fits[15].loglik - fits[25].loglik) < 1e-4
    assert abs(fits[15].params["x"] - fits[25].params["x"]) < 1e-4
    assert fits[0 + 1].nAGQ == 1 and fits[25].nAGQ == 25


def test_nagq0_is_no_better_than_laplace(binary, base_fit):
    crude = _fit("y ~ x + (1 | g)", binary, nAGQ=0)
    assert crude.loglik <= base_fit.loglik + 1e-9


# -- offsets -----------------------------------------------------------------------------------
def test_an_offset_term_and_the_offset_argument_are_one_fit():
    data = _counts()
    a = _fit("y ~ x + offset(log(exposure)) + (1 | g)", data, family="poisson")
    b = _fit("y ~ x + (1 | g)", data, family="poisson", offset=np.log(data["exposure"]))
    np.testing.assert_allclose(a.loglik, b.loglik, rtol=1e-10)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-7)
    # fitted means include the exposure
    np.testing.assert_allclose(a.fitted("response"), b.fitted("response"), rtol=1e-7)
    assert np.all(a.fitted("link") > a.predict(re_form="NA") - 10)


# -- the result --------------------------------------------------------------------------------
def test_result_tables_have_the_contracts_names(base_fit):
    assert list(base_fit.fixef.columns) == ["Estimate", "Std. Error", "z value", "Pr(>|z|)"]
    assert list(base_fit.vc["grp"]) == ["g"]  # no Residual row
    assert base_fit.ngroups == {"g": 25}
    assert base_fit.npar == 3 and base_fit.df_resid == base_fit.nobs - 3
    np.testing.assert_allclose(base_fit.aic, -2 * base_fit.loglik + 6)
    assert set(base_fit.ranef) == {"g"} and set(base_fit.ranef_sd) == {"g"}
    mu = base_fit.fitted()
    assert ((mu > 0) & (mu < 1)).all()
    np.testing.assert_allclose(base_fit.resid("response"), base_fit.frame.y - mu)


def test_summary_prints_lme4s_layout(base_fit):
    text = str(base_fit.summary(data_name="d"))
    assert text.startswith("Generalized linear mixed model fit by maximum likelihood (Laplace")
    assert " Family: binomial  ( logit )" in text
    assert "z value Pr(>|z|)" in text
    assert "Residual" not in text
    assert "<table" in base_fit.summary()._repr_html_()


def test_optimizer_none_evaluates_at_the_given_parameters(binary, base_fit):
    """A fit made with optimizer=None at a fit's optimum reproduces it and can be compared."""
    start = {"theta": base_fit.theta, "fixef": base_fit.params.to_numpy()}
    again = _fit("y ~ x + (1 | g)", binary, optimizer=None, start=start)
    np.testing.assert_allclose(again.loglik, base_fit.loglik, rtol=1e-9)
    np.testing.assert_allclose(again.fixef["Std. Error"], base_fit.fixef["Std. Error"], rtol=1e-4)
    null = _fit("y ~ 1 + (1 | g)", binary)
    table = anova(null=null, full=again)
    assert list(table.index) == ["null", "full"]
    assert table.loc["full", "Df"] == 1
    with pytest.raises(ValueError, match="pass start"):
        glmer("y ~ x + (1 | g)", binary, optimizer=None)


def test_predictions_refuse_new_levels_unless_asked(base_fit):
    new = pd.DataFrame({"x": [0.0, 1.0], "g": [0, 999]})
    with pytest.raises(ValueError, match="allow_new_levels"):
        base_fit.predict(new)
    p = base_fit.predict(new, type="response", allow_new_levels=True)
    population = base_fit.predict(new, re_form="NA", type="response")
    assert p.iloc[1] == pytest.approx(population.iloc[1])
    assert ((p > 0) & (p < 1)).all()


def test_icc_uses_the_latent_scale(base_fit):
    var = float(base_fit.vc["vcov"].iloc[0])
    assert base_fit.icc["g"] == pytest.approx(var / (var + np.pi**2 / 3))


def test_simulate_is_seeded_and_shaped(base_fit):
    a = base_fit.simulate(3, seed=7)
    b = base_fit.simulate(3, seed=7)
    assert a.shape == (base_fit.nobs, 3)
    pd.testing.assert_frame_equal(a, b)
    assert set(np.unique(a.to_numpy())) <= {0.0, 1.0}


def _cbind_data(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(15), 4)
    trials = rng.integers(5, 30, 60)
    successes = rng.binomial(trials, 1 / (1 + np.exp(-(rng.normal(0, 0.8, 15)[g] - 1))))
    data = pd.DataFrame({"s": successes, "n": trials, "g": g, "p": successes / trials})
    data["f"] = data["n"] - data["s"]
    return data


def _expected_inverse_logit(eta: np.ndarray, sd: float) -> np.ndarray:
    """E[1 / (1 + exp(-(eta + sd Z)))], Z ~ N(0, 1), by 60-point Gauss-Hermite quadrature."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(60)
    weights = weights / weights.sum()
    return (1 / (1 + np.exp(-(eta[:, None] + sd * nodes[None, :])))) @ weights


def test_simulate_returns_each_binomial_response_form_as_lme4():
    """lme4's simulate(): cbind -> successes and failures per simulation; proportion with
    weights -> proportions; a two-level factor -> that factor; a logical -> logicals."""
    data = _cbind_data()
    cb = _fit("cbind(s, n - s) ~ 1 + (1 | g)", data)
    sims = cb.simulate(2, seed=11)
    assert list(sims.columns) == [("sim_1", "s"), ("sim_1", "n - s"), ("sim_2", "s"),
                                  ("sim_2", "n - s")]  # fmt: skip
    for k in ("sim_1", "sim_2"):
        np.testing.assert_array_equal(sims[(k, "s")] + sims[(k, "n - s")], data["n"])
        assert (sims[(k, "s")] >= 0).all()
    prop = _fit("p ~ 1 + (1 | g)", data, weights=data["n"]).simulate(2, seed=11)
    assert list(prop.columns) == ["sim_1", "sim_2"]
    # the same draws as the cbind fit's (one fit, one seed), as proportions of the trials
    np.testing.assert_allclose(prop["sim_1"] * data["n"], sims[("sim_1", "s")], atol=1e-9)
    binary = _binary()
    text = binary.assign(y=np.where(binary["y"] == 1, "yes", "no"))
    factor = _fit("y ~ x + (1 | g)", text).simulate(2, seed=5)
    assert isinstance(factor["sim_1"].dtype, pd.CategoricalDtype)
    assert list(factor["sim_1"].cat.categories) == ["no", "yes"]
    logical = _fit("y ~ x + (1 | g)", binary.assign(y=binary["y"].astype(bool))).simulate(1, 5)
    assert logical["sim_1"].dtype == bool
    # one fit, one seed: the same draws whatever form the 0/1 response had
    numeric = _fit("y ~ x + (1 | g)", binary).simulate(2, seed=5)
    np.testing.assert_array_equal(numeric["sim_2"], (factor["sim_2"] == "yes").astype(float))
    with pytest.raises(ValueError, match="nsim"):
        cb.simulate(0)


def test_simulated_binomial_counts_have_the_models_mean_and_group_correlation():
    """Monte Carlo (seeded, 4,000 draws): each row's mean number of successes is n_i E[p_i]
    with p_i = logit^-1(b0 + sd Z) (the random effect drawn anew in each simulation), and
    two rows of one herd covary through their shared random effect while rows of different
    groups do not."""
    data = _cbind_data()
    fit = _fit("cbind(s, n - s) ~ 1 + (1 | g)", data)
    nsim = 4000
    sims = fit.simulate(nsim, seed=2026)
    successes = sims.xs("s", axis=1, level=1).to_numpy()  # rows x simulations
    sd = float(fit.theta[0])
    eta = np.full(len(data), float(fit.params.iloc[0]))
    expected = data["n"].to_numpy() * _expected_inverse_logit(eta, sd)
    spread = successes.std(axis=1, ddof=1) / np.sqrt(nsim)
    z = (successes.mean(axis=1) - expected) / spread
    assert np.max(np.abs(z)) < 4.5
    # the covariance of two rows of a group is that of n_i p and n_j p with p shared:
    # n_i n_j Var(p), Var(p) = E[p^2] - E[p]^2 (by quadrature); of two groups, 0
    nodes, weights = np.polynomial.hermite_e.hermegauss(60)
    weights = weights / weights.sum()
    p = 1 / (1 + np.exp(-(eta[0] + sd * nodes)))
    var_p = weights @ p**2 - (weights @ p) ** 2
    same = np.cov(successes[0], successes[1])[0, 1] / (data["n"][0] * data["n"][1])
    other = np.cov(successes[0], successes[4])[0, 1] / (data["n"][0] * data["n"][4])
    assert same == pytest.approx(var_p, rel=0.15)
    assert abs(other) < 0.25 * var_p


def test_simulated_poisson_counts_have_the_lognormal_mixture_moments():
    """Poisson with a random intercept: E[y_i] = exp(eta_i + sd^2 / 2) and
    Var[y_i] = E[y_i] + E[y_i]^2 (exp(sd^2) - 1), checked on 4,000 seeded draws."""
    data = _counts()
    fit = _fit("y ~ x + offset(log(exposure)) + (1 | g)", data, family="poisson")
    nsim = 4000
    sims = fit.simulate(nsim, seed=99).to_numpy()
    sd = float(fit.theta[0])
    eta = fit.predict(re_form="NA").to_numpy()
    mean = np.exp(eta + sd**2 / 2)
    var = mean + mean**2 * np.expm1(sd**2)
    z = (sims.mean(axis=1) - mean) / np.sqrt(var / nsim)
    assert np.max(np.abs(z)) < 4.5
    np.testing.assert_allclose(sims.var(axis=1, ddof=1), var, rtol=0.3)
    assert np.mean(sims.var(axis=1, ddof=1) / var) == pytest.approx(1.0, abs=0.05)


def test_overdispersion_is_a_poisson_diagnostic(base_fit):
    fit = _fit("y ~ x + (1 | g)", _counts(), family="poisson")
    table = fit.overdispersion
    assert table["ratio"] == pytest.approx(table["chisq"] / fit.df_resid)
    assert 0 <= table["p"] <= 1
    with pytest.raises(ValueError, match="Poisson"):
        _ = base_fit.overdispersion


def test_wald_confint_has_lme4s_rows(base_fit):
    table = base_fit.confint()
    assert list(table.index) == [".sig01", "(Intercept)", "x"]
    assert table.loc[".sig01"].isna().all()
    se = base_fit.fixef.loc["x", "Std. Error"]
    assert table.loc["x", "97.5 %"] - table.loc["x", "2.5 %"] == pytest.approx(2 * 1.959964 * se)


def test_profile_confint_brackets_the_estimate_and_is_refused_where_not_implemented(binary):
    small = _fit("y ~ 1 + (1 | g)", binary)
    table = small.confint(method="profile")
    assert list(table.index) == [".sig01", "(Intercept)"]
    estimates = np.r_[small.theta, small.params.to_numpy()]
    assert (table["2.5 %"].to_numpy() < estimates).all()
    assert (estimates < table["97.5 %"].to_numpy()).all()
    crude = _fit("y ~ 1 + (1 | g)", binary, nAGQ=0)
    with pytest.raises(NotImplementedError, match="nAGQ=1 or use method='Wald'"):
        crude.confint(method="profile")


def test_profile_parameters_are_lme4s_sds_and_correlations(binary):
    """theta <-> (sd, cor) in theta's layout (lme4's profile parameters .sig01 ...): for
    (1 + x + z | g), sd1, cor21, cor31, sd2, cor32, sd3, and back to the same theta."""
    from hlmtutor.lmm.glmer_inference import sdcor_from_theta, theta_from_sdcor

    data = binary.assign(z=np.random.default_rng(4).normal(size=len(binary)))
    frame = model_frame("y ~ 1 + (1 + x + z | g)", data)
    terms = build_terms(frame.random, ["1 + x + z | g"])
    theta = np.array([0.9, -0.3, 0.2, 0.5, 0.1, 0.4])
    t = np.array([[0.9, 0, 0], [-0.3, 0.5, 0], [0.2, 0.1, 0.4]])
    cov = t @ t.T
    sd = np.sqrt(np.diag(cov))
    expected = [sd[0], cov[1, 0] / (sd[0] * sd[1]), cov[2, 0] / (sd[0] * sd[2]), sd[1],
                cov[2, 1] / (sd[1] * sd[2]), sd[2]]  # fmt: skip
    sdcor = sdcor_from_theta(terms, theta)
    np.testing.assert_allclose(sdcor, expected, rtol=1e-12)
    np.testing.assert_allclose(theta_from_sdcor(terms, sdcor), theta, rtol=1e-12, atol=1e-15)
    # correlations that no covariance matrix has: refused (the profile's deviance is +inf)
    assert theta_from_sdcor(terms, np.r_[1.0, 0.99, -0.99, 1.0, 0.99, 1.0]) is None
    # a correlation of 1 is a valid (singular) covariance
    back = theta_from_sdcor(terms, np.r_[1.0, 1.0, 0.0, 2.0, 0.0, 1.0])
    np.testing.assert_allclose(sdcor_from_theta(terms, back)[:3], [1.0, 1.0, 0.0], atol=1e-12)


# -- lmer on binary outcomes, and the seams ---------------------------------------------------------
def test_lmer_on_a_binary_outcome_points_to_glmer(binary):
    with pytest.warns(UserWarning, match="linear probability model.*glmer"):
        lmer("y ~ x + (1 | g)", binary)
    with pytest.raises(TypeError, match="glmer"):
        lmer("y ~ x + (1 | g)", binary.assign(y=np.where(binary["y"] == 1, "yes", "no")))


def test_unit_weights_leave_the_deviance_unchanged(binary):
    frame = model_frame("x ~ 1 + (1 | g)", binary)
    terms = build_terms(frame.random, ["1 | g"])
    plain = make_deviance(frame.y, frame.X, terms, True)
    weighted = make_deviance(frame.y, frame.X, terms, True, weights=np.ones(len(frame.y)))
    for theta in ([0.5], [1.3]):
        assert weighted(np.array(theta)) == pytest.approx(plain(np.array(theta)), rel=1e-12)


def test_spherical_modes_times_t_are_the_modes(binary):
    frame = model_frame("x ~ 1 + (1 | g)", binary)
    terms = build_terms(frame.random, ["1 | g"])
    dev = make_deviance(frame.y, frame.X, terms, True)
    sol = dev.solve(np.array([0.7]))
    u, b = dev.spherical_modes(sol), dev.modes(sol)
    np.testing.assert_allclose(u[0] * 0.7, b[0], rtol=1e-12)


@pytest.mark.parametrize(
    "formula, column", [("y ~ xx + (1 | g)", "xx"), ("y ~ 1 + (1 | gg)", "gg")]
)
def test_a_missing_column_is_named_with_the_users_formula(formula, column):
    """The error names the column and the formula as the user wrote it (not glmer's internal
    response column)."""
    data = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0] * 5, "g": list("abcde") * 6})
    with pytest.raises(KeyError) as info:
        glmer(formula, data)
    message = str(info.value)
    assert repr(column) in message and repr(formula) in message
    assert ".glmer_response" not in message
