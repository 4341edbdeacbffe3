"""lmerTest's and pbkrtest's toolbox against R: contest, Kenward-Roger, ranova, drop1, ls_means,
difflsmeans, and the parametric bootstrap (simulate, bootstrap, pb_modcomp).

References: ``tests/reference/toolbox.R`` (lmerTest 3.1-3, pbkrtest 0.5.2, lme4 1.1-31) wrote
``tests/reference/toolbox/`` with the data the models were fitted to (17 significant digits, read
back). Each test names the R call it mirrors. The bootstrap's draws cannot match R's, so its tests
check its own logic: determinism under a seed, independence of n_jobs, and agreement with the
Wald standard error within Monte Carlo error.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hlmtutor
from hlmtutor import (
    BootstrapResult,
    anova,
    bootstrap,
    coef_table,
    contest,
    difflsmeans,
    drop1,
    lmer,
    ls_means,
    pb_modcomp,
    ranova,
    simulate_lmer,
    update,
)

REF = Path(__file__).parent / "reference" / "toolbox"
MODELS = pd.read_csv(REF / "models.csv").set_index("name")
EST_RTOL = 1e-4  # estimates, standard errors, t values, sums of squares (as test_engine)
DF_RTOL = 1e-4  # Satterthwaite and Kenward-Roger df (R's optimum differs in the 6th digit)
P_RTOL = 5e-3  # p-values: a tail probability at |t| = 30 moves 30x the relative change of t
KR_VCOV_RTOL = 1e-4


@cache
def fit(name: str):
    row = MODELS.loc[name]
    data = pd.read_csv(REF / row["data_file"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lmer(row["formula"], data, REML=bool(row["REML"]))


def ref(file: str) -> pd.DataFrame:
    return pd.read_csv(REF / file, index_col="row", keep_default_na=False, na_values=[""])


def assert_table(ours: pd.DataFrame, r: pd.DataFrame) -> None:
    """Same rows and columns; each column compared with a tolerance that suits it."""
    assert list(ours.index.astype(str)) == list(r.index.astype(str))
    assert list(ours.columns) == list(r.columns)
    for column in r.columns:
        if not pd.api.types.is_numeric_dtype(r[column]):
            assert list(ours[column]) == list(r[column]), column
            continue
        mine = ours[column].to_numpy(dtype=float)
        theirs = r[column].to_numpy(dtype=float)
        if column in ("df", "DenDF"):
            rtol, atol = DF_RTOL, 0.0
        elif column.startswith("Pr("):
            rtol, atol = P_RTOL, 1e-14
        else:
            rtol, atol = EST_RTOL, 1e-9 * np.nanmax(np.abs(theirs))
        np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=atol, err_msg=column)


def named_contrasts(name: str) -> dict[str, np.ndarray]:
    table = ref(f"{name}_L.csv")
    return {row: table.loc[row].to_numpy(dtype=float) for row in table.index}


CONTEST_MODELS = ["sleep", "cake_int", "cake_two", "cake_fx"]
DDF_TAGS = {"Satterthwaite": "sat", "Kenward-Roger": "kr"}


# -- contest ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", CONTEST_MODELS)
@pytest.mark.parametrize("ddf", list(DDF_TAGS))
def test_contest_joint_matches_lmertest(name, ddf):
    """lmerTest: contest(m, L, joint = TRUE, ddf = ddf)."""
    ours = contest(fit(name), named_contrasts(name), joint=True, ddf=ddf)
    assert_table(ours, ref(f"{name}_contest_{DDF_TAGS[ddf]}.csv"))


@pytest.mark.parametrize("name", CONTEST_MODELS)
@pytest.mark.parametrize("ddf", list(DDF_TAGS))
def test_contest_one_df_matches_lmertest(name, ddf):
    """lmerTest: contest(m, L, joint = FALSE, ddf = ddf), i.e. contest1D per row."""
    ours = contest(fit(name), named_contrasts(name), joint=False, ddf=ddf)
    assert_table(ours, ref(f"{name}_contest1d_{DDF_TAGS[ddf]}.csv"))


def test_contest_kr_joint_is_krmodcomp():
    """pbkrtest: KRmodcomp(m, L)$test: the scaled F, its df and scaling; unscaled F = Mean Sq /
    sigma^2."""
    m = fit("sleep")
    r = ref("sleep_krmodcomp.csv")
    ours = contest(m, named_contrasts("sleep"), ddf="Kenward-Roger").iloc[0]
    np.testing.assert_allclose(ours["F value"], r.loc["Ftest", "stat"], rtol=EST_RTOL)
    np.testing.assert_allclose(ours["DenDF"], r.loc["Ftest", "ddf"], rtol=DF_RTOL)
    np.testing.assert_allclose(ours["Mean Sq"] / m.sigma**2, r.loc["FtestU", "stat"], rtol=EST_RTOL)


def test_contest_forms_of_l_agree():
    """An array, a list, a dict of rows and a dict of coefficient weights give the same test."""
    m = fit("sleep")
    by_array = contest(m, np.array([[0.0, 1.0]]), joint=False)
    by_list = contest(m, [0, 1], joint=False)
    by_name = contest(m, {"1": {"Days": 1}}, joint=False)
    by_frame = contest(m, pd.DataFrame({"Days": [1.0], "(Intercept)": [0.0]}, index=["1"]), False)
    pd.testing.assert_frame_equal(by_array, by_list)
    pd.testing.assert_frame_equal(by_array, by_name)
    pd.testing.assert_frame_equal(by_array, by_frame)
    by_series = contest(m, pd.Series({"Days": 1.0}), joint=False)
    pd.testing.assert_frame_equal(by_array, by_series)
    np.testing.assert_allclose(by_array["Estimate"], m.params["Days"])


def test_contest_wrong_length_names_the_coefficients():
    m = fit("sleep")
    with pytest.raises(ValueError, match=r"needs 2, one per fixed effect.*\(Intercept\).*Days"):
        contest(m, [1, 0, 0])
    with pytest.raises(ValueError, match=r"Contrast '2' has 1 weight\(s\); it needs 2"):
        contest(m, [[0, 1], [1]])
    with pytest.raises(ValueError, match=r"\['Day'\], which are not fixed effects"):
        contest(m, {"slope": {"Day": 1}})
    with pytest.raises(TypeError, match="weights must be numbers"):
        contest(m, [[0, "1"]])
    with pytest.raises(ValueError, match="ddf must be one of"):
        contest(m, [0, 1], ddf="KR")
    with pytest.raises(ValueError, match=r"\['zero'\] have every weight 0"):
        contest(m, {"zero": [0, 0], "slope": [0, 1]}, joint=False)


def test_contest_lme4_has_no_df():
    """lme4's t table: the unit contrasts give summary(m, ddf = "lme4")'s coefficients."""
    m = fit("sleep")
    ours = contest(m, np.eye(2), joint=False, ddf="lme4")
    assert list(ours.columns) == ["Estimate", "Std. Error", "t value"]
    r = ref("sleep_coef_lme4.csv")
    np.testing.assert_allclose(ours.to_numpy(), r.to_numpy(), rtol=EST_RTOL)


def test_contest_joint_rank_deficient_l_is_reduced():
    """A repeated row does not add a numerator df (lmerTest drops dependent rows)."""
    m = fit("cake_int")
    lmat = named_contrasts("cake_int")
    once = contest(m, lmat)
    twice = contest(m, {**lmat, "again": 2 * lmat["first"]})
    pd.testing.assert_frame_equal(once, twice, rtol=1e-8)


# -- coefficient tables, anova, Kenward-Roger ---------------------------------------------------
ALL_MODELS = list(MODELS.index)


@pytest.mark.parametrize("name", ALL_MODELS)
@pytest.mark.parametrize("ddf", ["Satterthwaite", "Kenward-Roger", "lme4"])
def test_coef_table_matches_summary(name, ddf):
    """lmerTest: coef(summary(m, ddf = ddf))."""
    tag = {"Satterthwaite": "sat", "Kenward-Roger": "kr", "lme4": "lme4"}[ddf]
    assert_table(coef_table(fit(name), ddf=ddf), ref(f"{name}_coef_{tag}.csv"))


@pytest.mark.parametrize("name", ALL_MODELS)
def test_kr_adjusted_vcov_matches_pbkrtest(name):
    """pbkrtest: vcovAdj(m), and get_Lb_ddf(m, L) for each unit contrast."""
    from hlmtutor.lmm.kenward_roger import kenward_roger, kr_ddf

    kr = kenward_roger(fit(name))
    r = ref(f"{name}_vcovadj.csv").to_numpy(dtype=float)
    np.testing.assert_allclose(kr.phi_adj, r, rtol=KR_VCOV_RTOL, atol=1e-9 * np.abs(r).max())
    lb = pd.read_csv(REF / f"{name}_lb_ddf.csv")["ddf"].to_numpy()
    p = len(lb)
    ours = [kr_ddf(kr, np.eye(p)[[j]])[0] for j in range(p)]
    np.testing.assert_allclose(ours, lb, rtol=DF_RTOL)


MULTI = [n for n in ALL_MODELS if (REF / f"{n}_anova_kr.csv").exists()]


@pytest.mark.parametrize("name", MULTI)
@pytest.mark.parametrize("ddf", list(DDF_TAGS))
def test_anova_ddf_matches_lmertest(name, ddf):
    """lmerTest: anova(m, ddf = ddf)."""
    assert_table(anova(fit(name), ddf=ddf), ref(f"{name}_anova_{DDF_TAGS[ddf]}.csv"))


@pytest.mark.parametrize("name", MULTI)
@pytest.mark.parametrize("anova_type", [1, 2])
def test_anova_types_match_lmertest(name, anova_type):
    """lmerTest: anova(m, type = 1) (sequential) and anova(m, type = 2)."""
    ours = anova(fit(name), type=anova_type)
    assert_table(ours, ref(f"{name}_anova_type{anova_type}.csv"))
    roman = {1: "I", 2: "II"}[anova_type]
    assert (
        ours.attrs["heading"]
        == f"Type {roman} Analysis of Variance Table with Satterthwaite's method"
    )
    by_name = anova(fit(name), type=roman)
    pd.testing.assert_frame_equal(ours, by_name)


@pytest.mark.parametrize("name", MULTI)
def test_anova_lme4_matches_lme4(name):
    """lmerTest: anova(m, ddf = "lme4"), i.e. lme4's sequential anova.merMod."""
    ours = anova(fit(name), ddf="lme4")
    assert_table(ours.astype({"npar": float}), ref(f"{name}_anova_lme4.csv"))


def test_anova_type_and_ddf_errors():
    with pytest.raises(ValueError, match="type must be 1, 2 or 3"):
        anova(fit("cake_int"), type=4)
    with pytest.raises(ValueError, match="anova\\(\\) of several models is the likelihood-ratio"):
        anova(fit("sleep"), fit("sleep_ri"), ddf="Kenward-Roger")
    with pytest.raises(ValueError, match="ddf must be one of"):
        anova(fit("cake_int"), ddf="KR")
    with pytest.raises(ValueError, match="ddf must be"):
        drop1(fit("cake_int"), ddf="lme4")


def test_kr_refuses_data_too_large_for_dense_matrices():
    rng = np.random.default_rng(1)
    g = np.repeat(np.arange(300), 11)
    data = pd.DataFrame({"y": rng.normal(size=len(g)) + rng.normal(size=300)[g], "g": g})
    with pytest.raises(ValueError, match="limited to 3000 rows. Use ddf='Satterthwaite'"):
        coef_table(lmer("y ~ 1 + (1 | g)", data), ddf="Kenward-Roger")


def test_kr_needs_reml():
    data = pd.read_csv(REF / "sleepstudy.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ml = lmer("Reaction ~ Days + (1 | Subject)", data, REML=False)
    with pytest.raises(ValueError, match="needs a REML fit"):
        coef_table(ml, ddf="Kenward-Roger")


# -- drop1 --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", MULTI)
def test_drop1_matches_lmertest(name):
    """lmerTest: drop1(m)."""
    assert_table(drop1(fit(name)), ref(f"{name}_drop1.csv"))


# -- ranova ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL_MODELS)
def test_ranova_matches_lmertest(name):
    """lmerTest: ranova(m) (reduced models refitted; (x | g) reduced to (1 | g); the last
    random term removed gives lm's REML log-likelihood)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = ranova(fit(name))
    r = ref(f"{name}_ranova.csv")
    assert ours.attrs["heading"].startswith("ANOVA-like table for random-effects")
    ours = ours.astype({"Df": float})
    assert_table(ours, r)


@pytest.mark.parametrize("name", ALL_MODELS)
def test_ranova_whole_terms_matches_lmertest(name):
    """lmerTest: ranova(m, reduce.terms = FALSE)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = ranova(fit(name), reduce_terms=False)
    assert_table(ours.astype({"Df": float}), ref(f"{name}_ranova_whole.csv"))


def test_ranova_passes_on_reduced_fit_warnings():
    """A warning of a reduced model's fit is not lost: it names the row it belongs to."""
    rng = np.random.default_rng(7)
    g = np.repeat(np.arange(10), 6)
    h = np.tile(np.arange(6), 10)
    data = pd.DataFrame({"y": rng.normal(size=60) + 2 * rng.normal(size=10)[g], "g": g, "h": h})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ranova(lmer("y ~ 1 + (1 | g) + (1 | h)", data))
    messages = [str(w.message) for w in caught]
    # without g, only h is left, and h has no variance in these data: a singular fit
    assert any(
        m.startswith("ranova, reduced model '(1 | g)'") and "singular" in m for m in messages
    ), messages


# -- ls_means and difflsmeans -----------------------------------------------------------------
LSMEANS = [
    (name, term)
    for name in ["cake_int", "cake_two", "cake_fx"]
    for term in ["recipe", "tempf", "recipe:tempf"]
    if (REF / f"{name}_lsmeans_{term.replace(':', '_')}.csv").exists()
]


@pytest.mark.parametrize(("name", "term"), LSMEANS)
def test_ls_means_matches_lmertest(name, term):
    """lmerTest: ls_means(m, which = term)."""
    assert_table(ls_means(fit(name), term), ref(f"{name}_lsmeans_{term.replace(':', '_')}.csv"))


@pytest.mark.parametrize(("name", "term"), LSMEANS)
def test_difflsmeans_matches_lmertest(name, term):
    """lmerTest: difflsmeans(m, which = term)."""
    ours = difflsmeans(fit(name), term)
    assert_table(ours, ref(f"{name}_difflsmeans_{term.replace(':', '_')}.csv"))


@pytest.mark.parametrize("term", ["recipe", "tempf"])
def test_ls_means_not_estimable_is_nan(term):
    """lmerTest: ls_means(m, which = term) with an empty recipe x temperature cell: the means
    that average over it are NA."""
    data = pd.read_csv(REF / "cake_gap.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = lmer("angle ~ recipe * tempf + (1 | replicate)", data)
    assert_table(ls_means(m, term), ref(f"cake_gap_lsmeans_{term}.csv"))
    assert_table(difflsmeans(m, term), ref(f"cake_gap_difflsmeans_{term}.csv"))


def test_ls_means_on_unbalanced_data():
    """lmerTest: ls_means(m, "recipe") and difflsmeans(m, "tempf") with an empty cell in an
    additive model (full rank, unbalanced)."""
    data = pd.read_csv(REF / "cake_gap.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = lmer("angle ~ recipe + tempf + (1 | replicate)", data)
    assert_table(ls_means(m, "recipe"), ref("cake_gap_two_lsmeans_recipe.csv"))
    assert_table(difflsmeans(m, "tempf"), ref("cake_gap_two_difflsmeans_tempf.csv"))


def test_ls_means_refuses_numeric_terms():
    with pytest.raises(ValueError, match="numeric variable"):
        ls_means(fit("cake_int"), "temp")
    with pytest.raises(ValueError, match="not a fixed term"):
        ls_means(fit("cake_int"), "tempf")


def test_toolbox_is_exported():
    for name in hlmtutor.toolbox.__all__:
        assert getattr(hlmtutor, name) is getattr(hlmtutor.toolbox, name)


# -- simulate, bootstrap, pb_modcomp -----------------------------------------------------------------
def test_simulate_has_the_model_moments():
    """lme4's simulate(m, use.u = FALSE): the mean X b and, within a subject, the covariance
    sigma^2 (I + Z T T' Z'), each within 4 Monte Carlo standard errors over 4,000 draws."""
    m = fit("sleep")
    nsim = 4000
    sims = simulate_lmer(m, nsim=nsim, seed=11).to_numpy()
    mean = m.frame.X @ m.params.to_numpy()
    implied = m.cov_re["Subject"].to_numpy()
    rows = np.flatnonzero(m.data["Subject"].astype(str) == str(m.data["Subject"].iloc[0]))
    z = m.reterms.terms[0].columns[rows]
    cov = z @ implied @ z.T + m.sigma**2 * np.eye(len(rows))
    sd = np.sqrt(np.diag(cov))
    assert np.all(np.abs(sims[rows].mean(axis=1) - mean[rows]) < 4 * sd / np.sqrt(nsim))
    empirical = np.cov(sims[rows])
    mc_se = np.sqrt((cov**2 + np.outer(np.diag(cov), np.diag(cov))) / nsim)
    assert np.all(np.abs(empirical - cov) < 4 * mc_se)
    # other subjects are independent of this one
    other = np.flatnonzero(m.data["Subject"].astype(str) != str(m.data["Subject"].iloc[0]))[0]
    assert abs(np.corrcoef(sims[rows[0]], sims[other])[0, 1]) < 4 / np.sqrt(nsim)


def test_simulate_is_seeded():
    m = fit("sleep_ri")
    a = simulate_lmer(m, nsim=3, seed=5)
    pd.testing.assert_frame_equal(a, simulate_lmer(m, nsim=3, seed=5))
    assert not np.allclose(a.to_numpy(), simulate_lmer(m, nsim=3, seed=6).to_numpy())
    # simulation i is the i-th child of the seed: the first of three is the first of one
    np.testing.assert_array_equal(a["sim_1"], simulate_lmer(m, nsim=1, seed=5)["sim_1"])
    assert list(a.columns) == ["sim_1", "sim_2", "sim_3"] and a.index.equals(m.data.index)
    with pytest.raises(ValueError, match="nsim must be a positive whole number"):
        simulate_lmer(m, nsim=0)


def test_bootstrap_same_seed_same_replicates_whatever_n_jobs():
    m = fit("sleep_ri")
    one = bootstrap(m, nsim=24, seed=3)
    again = bootstrap(m, nsim=24, seed=3)
    two_workers = bootstrap(m, nsim=24, seed=3, n_jobs=2)
    pd.testing.assert_frame_equal(one.t, again.t)
    pd.testing.assert_frame_equal(one.t, two_workers.t)
    assert not np.allclose(one.t.to_numpy(), bootstrap(m, nsim=24, seed=4).t.to_numpy())
    assert list(one.t.columns) == list(m.params.index)
    pd.testing.assert_series_equal(one.t0, m.params.rename(None))


def test_bootstrap_se_agrees_with_wald_se():
    """On a balanced random-intercept model the sampling SD of the fixed effects is their
    model SE; 300 replicates estimate it to about 4% (SE of an SD: 1/sqrt(2(R - 1)))."""
    m = fit("sleep_ri")
    nsim = 300
    boot = bootstrap(m, nsim=nsim, seed=2026)
    wald = np.sqrt(np.diag(m.vcov.to_numpy()))
    relative = boot.se.to_numpy() / wald - 1
    assert np.all(np.abs(relative) < 4 / np.sqrt(2 * (nsim - 1))), relative
    # the fixed effects are unbiased: the mean of the replicates is within 4 MC SEs of t0
    assert np.all(np.abs(boot.bias.to_numpy()) < 4 * wald / np.sqrt(nsim))


def test_bootstrap_statistic_of_any_shape():
    m = fit("sleep_ri")
    boot = bootstrap(m, lambda f: f.sigma, nsim=5, seed=1)
    assert list(boot.t.columns) == ["t1"] and boot.t0["t1"] == m.sigma
    with pytest.raises(TypeError, match="statistic must be a function"):
        bootstrap(m, "sigma", nsim=5)


@pytest.mark.parametrize("r", [39, 99, 250])
def test_bootstrap_quantiles_match_boot(r):
    """boot's norm.inter(t, alpha) (the quantiles lme4's confint(bootMer) takes): order statistic
    (R + 1) alpha, interpolated on the normal scale."""
    t = pd.read_csv(REF / f"boot_t_{r}.csv")["t"]
    expected = pd.read_csv(REF / f"boot_quantiles_{r}.csv")
    boot = BootstrapResult(
        t0=pd.Series([1.0], index=["x"]),
        t=pd.DataFrame({"x": t}),
        messages=pd.DataFrame(columns=["replicate", "message"]),
        nsim=r,
        seed=None,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # R = 39 uses the extreme replicates, as boot warns
        for level, (low, high) in [(0.95, (0, 1)), (0.90, (2, 3))]:
            perc = boot.confint(level).loc["x"].to_numpy()
            np.testing.assert_allclose(perc, expected["quantile"].iloc[[low, high]], rtol=1e-12)
            basic = boot.confint(level, type="basic").loc["x"].to_numpy()
            np.testing.assert_allclose(basic, 2 * 1.0 - perc[::-1], rtol=1e-12)
    assert list(boot.confint(0.9).columns) == ["5 %", "95 %"]


@pytest.mark.parametrize("r", [39, 99, 250])
def test_bootstrap_normal_interval_matches_boot(r):
    """boot: norm.ci(t0 = 1, t, conf) (lme4's confint(bootMer, type = "norm"))."""
    t = pd.read_csv(REF / f"boot_t_{r}.csv")["t"]
    expected = pd.read_csv(REF / f"boot_norm_{r}.csv").set_index("level")
    boot = BootstrapResult(
        t0=pd.Series([1.0], index=["x"]),
        t=pd.DataFrame({"x": t}),
        messages=pd.DataFrame(columns=["replicate", "message"]),
        nsim=r,
        seed=None,
    )
    for level in (0.95, 0.90):
        ours = boot.confint(level, type="norm").loc["x"].to_numpy()
        np.testing.assert_allclose(ours, expected.loc[level, ["lower", "upper"]], rtol=1e-12)
    with pytest.raises(ValueError, match="type must be 'perc', 'basic' or 'norm'"):
        boot.confint(type="bca")


def test_simulate_use_u_keeps_the_fitted_effects():
    """lme4's simulate(m, use.u = TRUE): fitted values plus new residuals only."""
    m = fit("sleep")
    nsim = 4000
    sims = simulate_lmer(m, nsim=nsim, seed=3, use_u=True).to_numpy()
    residual = sims - m.fitted().to_numpy()[:, None]
    assert abs(residual.mean()) < 4 * m.sigma / np.sqrt(residual.size)
    np.testing.assert_allclose(residual.std(), m.sigma, rtol=4 / np.sqrt(2 * residual.size))
    # no shared subject effect beyond the fitted one: residuals of one subject uncorrelated
    assert abs(np.corrcoef(residual[0], residual[1])[0, 1]) < 4 / np.sqrt(nsim)


def test_bootstrap_runs_a_closure_in_worker_processes():
    m = fit("sleep_ri")
    scale = 2.0
    one = bootstrap(m, lambda f: scale * f.sigma, nsim=6, seed=9)
    two = bootstrap(m, lambda f: scale * f.sigma, nsim=6, seed=9, n_jobs=2)
    pd.testing.assert_frame_equal(one.t, two.t)


def test_bootstrap_warns_on_extreme_order_statistics():
    boot = bootstrap(fit("sleep_ri"), nsim=10, seed=1)
    with pytest.warns(UserWarning, match="extreme order statistics"):
        boot.confint()


PB = pd.read_csv(REF / "pbmodcomp.csv").set_index("name")


@pytest.mark.parametrize("name", list(PB.index))
def test_pb_modcomp_lrt_matches_pbkrtest(name):
    """pbkrtest: PBmodcomp(big, small)$test["LRT", ] (both refitted by ML); the bootstrap p-value
    is (1 + #{LRT* >= LRT}) / (1 + R) of its own reference replicates."""
    row = PB.loc[name]
    data = pd.read_csv(REF / "sleepstudy.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        big = lmer(row["big_formula"], data)
        small = lmer(row["small_formula"], data)
    result = pb_modcomp(big, small, nsim=19, seed=8)
    lrt = result.test.loc["LRT"]
    np.testing.assert_allclose(lrt["stat"], row["LRT"], rtol=1e-6)
    assert lrt["df"] == row["df"]
    np.testing.assert_allclose(lrt["p.value"], row["p_chisq"], rtol=1e-4)
    ref_lrt = result.reference.to_numpy()
    expected = (1 + np.sum(ref_lrt >= lrt["stat"])) / (1 + np.sum(np.isfinite(ref_lrt)))
    assert result.test.loc["PBtest", "p.value"] == expected
    assert np.all(ref_lrt[np.isfinite(ref_lrt)] > -1e-6)  # nested: the big model fits better
    again = pb_modcomp(big, small, nsim=19, seed=8)
    pd.testing.assert_frame_equal(result.test, again.test)


def test_pb_modcomp_refuses_the_wrong_order():
    with pytest.raises(ValueError, match="pass the larger model first"):
        pb_modcomp(fit("sleep_ri"), fit("sleep"), nsim=5)


# -- update --------------------------------------------------------------------------------------
def test_update_drops_a_term_as_r_does():
    """R: coef(summary(update(sleep, . ~ . - Days)))."""
    ours = update(fit("sleep"), ". ~ . - Days")
    assert ours.formula == "Reaction ~ Days + (Days | Subject) - Days"
    assert_table(ours.fixef, ref("update_drop_days_coef.csv"))


def test_update_with_new_data_and_terms():
    """R: coef(summary(update(cake_two, . ~ . + temp - tempf))) on the original data."""
    cake = pd.read_csv(REF / "cake.csv")
    ours = update(fit("cake_two"), ". ~ . + temp - tempf", data=cake)
    assert_table(ours.fixef, ref("update_cake_coef.csv"))


def test_update_keeps_or_changes_the_criterion():
    m = fit("sleep_ri")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ml = update(m, REML=False)
    assert not ml.REML and ml.formula == m.formula
    np.testing.assert_allclose(ml.loglik, m.refit_ml().loglik, rtol=1e-7)


def test_update_errors_are_clear():
    m = fit("cake_two")
    with pytest.raises(ValueError, match=r"uses \['temp'\].*pass data="):
        update(m, ". ~ . + temp")
    with pytest.raises(ValueError, match="uses '.' other than in a sum"):
        update(m, ". ~ . * temp")
    with pytest.raises(ValueError, match="must contain '~'"):
        update(m, "temp")


def _weighted_offset_data():
    rng = np.random.default_rng(21)
    g = np.repeat(np.arange(15), 8)
    data = pd.DataFrame({"g": g, "x": rng.normal(size=120), "z": rng.normal(size=120)})
    data["w"] = rng.uniform(0.5, 2.0, 120)
    data["base"] = rng.normal(0, 0.5, 120)
    data["y"] = 1 + 0.5 * data.x + rng.normal(0, 1, 15)[g] + rng.normal(0, 1, 120) / data.w
    data.loc[[3, 50], "x"] = np.nan  # dropped rows: the carried values must still line up
    return data


@pytest.mark.parametrize("how", ["column", "values"])
def test_update_carries_weights_and_offset(how):
    """R's update evaluates the call again, weights= and offset= included: the ML refit on the
    fit's own rows equals lmer by ML with the same weights and offset (the values line up with
    the rows left after dropping missing values)."""
    data = _weighted_offset_data()
    if how == "column":
        args = {"weights": "w", "offset": "base"}
    else:
        args = {"weights": data["w"].to_numpy(), "offset": data["base"].to_numpy()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit_ = lmer("y ~ x + (1 | g)", data, **args)
        updated = update(fit_, REML=False)
        direct = lmer("y ~ x + (1 | g)", data, REML=False, **args)
        unweighted = lmer("y ~ x + (1 | g)", data, REML=False)
    np.testing.assert_allclose(updated.loglik, direct.loglik, rtol=1e-10)
    np.testing.assert_allclose(updated.params, direct.params, rtol=1e-8)
    assert updated.weights_name == direct.weights_name
    assert abs(updated.loglik - unweighted.loglik) > 1.0


def test_update_finds_weights_and_offset_columns_in_new_data():
    """On new data the columns of the same names are used, as R's update finds them there."""
    data = _weighted_offset_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        small = lmer("y ~ x + (1 | g)", data, weights="w", offset="base")
        updated = update(small, ". ~ . + z", data=data)
        direct = lmer("y ~ x + (1 | g) + z", data, weights="w", offset="base")
    np.testing.assert_allclose(updated.reml_criterion, direct.reml_criterion, rtol=1e-10)


def test_update_refuses_weights_it_cannot_place_on_new_data():
    data = _weighted_offset_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        small = lmer("y ~ x + (1 | g)", data, weights=data["w"].to_numpy())
        with pytest.raises(ValueError, match=r"weights= cannot be evaluated on the new data"):
            update(small, data=data.iloc[:100])
        plain = update(small, data=data.iloc[:100], weights=None)
    assert plain.prior_weights is None


@pytest.mark.parametrize(
    "kwargs, file",
    [
        ({}, "alias_anova_type3.csv"),
        ({"type": 1}, "alias_anova_type1.csv"),
        ({"type": 2}, "alias_anova_type2.csv"),
        ({"ddf": "Kenward-Roger"}, "alias_anova_kr.csv"),
        ({"ddf": "lme4"}, "alias_anova_lme4.csv"),
    ],
)
def test_anova_with_an_aliased_term_orders_rows_as_lmertest(kwargs, file):
    """lmerTest: anova(lmer(Reaction ~ D2 + Days + grp + (1 | Subject)), ...) with D2 = 2 Days:
    Days is aliased away and its row of NA comes last (lme4's own anova leaves it out)."""
    api = Path(__file__).parent / "reference" / "api"
    data = pd.read_csv(api / "sleep.csv", dtype={"Subject": str, "dose": str})
    codes = pd.factorize(data["Subject"], sort=True)[0] + 1  # R: as.integer(factor(Subject))
    data["grp"] = pd.Series(["a", "b", "c"]).iloc[codes % 3].to_numpy()
    data["D2"] = 2 * data["Days"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = lmer("Reaction ~ D2 + Days + grp + (1 | Subject)", data)
    r = pd.read_csv(api / file, index_col="row", keep_default_na=False, na_values=[""])
    ours = anova(model, **kwargs)
    if "npar" in r.columns:
        ours = ours.astype({"npar": float})
    assert_table(ours, r)
