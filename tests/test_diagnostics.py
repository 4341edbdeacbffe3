"""Tests of hlmtutor.diagnostics against R (tests/reference/critique.R) and exact small cases."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hlmtutor import (
    boundary_lrt_pvalue,
    per_group_ols,
    slope_ridge,
    summarise_replications,
    theta_from_cov,
)

REFERENCE = Path(__file__).parent / "reference" / "critique"
# The guide's data as R wrote it (tests/reference/guide.R).
GUIDE_CSV = Path(__file__).parent / "reference" / "guide_data.csv"


@pytest.fixture(scope="module")
def optimizers() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "optimizers.csv")


@pytest.fixture(scope="module")
def guide() -> pd.DataFrame:
    data = pd.read_csv(GUIDE_CSV)
    data["ses_cwc"] = data["ses"] - data.groupby("classroom_id")["ses"].transform("mean")
    return data


def test_per_group_ols_matches_lme4_lmlist(guide):
    expected = pd.read_csv(REFERENCE / "per_group_ols.csv").set_index("classroom_id")
    got = per_group_ols("math_score ~ ses_cwc", guide, "classroom_id")
    assert list(got.columns) == ["(Intercept)", "ses_cwc"]
    assert got.index.name == "classroom_id"
    assert np.allclose(got["(Intercept)"], expected["intercept"], rtol=1e-10)
    assert np.allclose(got["ses_cwc"], expected["ses_cwc"], rtol=1e-9)


def test_per_group_ols_reports_dropped_rows_and_deficient_groups():
    df = pd.DataFrame(
        {
            "y": [1.0, 2.0, 3.0, 5.0, 5.0, np.nan],
            "x": [0.0, 1.0, 2.0, 1.0, 1.0, 3.0],
            "g": list("aaabbb"),
        }
    )
    with pytest.warns(UserWarning, match="dropped 1 row"):
        with pytest.warns(UserWarning, match=r"group\(s\) \['b'\]"):
            got = per_group_ols("y ~ x", df, "g")
    assert got.loc["a"].tolist() == pytest.approx([1.0, 1.0])
    assert got.loc["b"].isna().all()


def test_per_group_ols_names_missing_group_column():
    with pytest.raises(KeyError, match="group column 'school'"):
        per_group_ols("y ~ x", pd.DataFrame({"y": [1.0], "x": [1.0]}), "school")


def test_boundary_lrt_pvalue_matches_r_mixture():
    ref = pd.read_csv(REFERENCE / "lrt_intercept.csv").iloc[0]
    assert boundary_lrt_pvalue(ref["statistic"], 1) == pytest.approx(ref["p_mixture"], rel=1e-10)


def test_boundary_lrt_pvalue_two_parameters_and_edge_cases():
    from scipy import stats

    t = 5.0
    assert boundary_lrt_pvalue(t, 2) == pytest.approx(
        0.5 * stats.chi2.sf(t, 1) + 0.5 * stats.chi2.sf(t, 2)
    )
    assert boundary_lrt_pvalue(-1e-9, 1) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="df must be a whole number >= 1"):
        boundary_lrt_pvalue(1.0, 0)


def test_theta_from_cov_reproduces_lme4_theta(optimizers):
    for _, row in optimizers.iterrows():
        cov = np.array(
            [[row.var_intercept, row.cov_intercept_slope], [row.cov_intercept_slope, row.var_slope]]
        )
        theta = theta_from_cov(cov, np.sqrt(row.sigma2))
        assert theta == pytest.approx([row.theta1, row.theta2, row.theta3], rel=1e-8), row.optimizer


def test_theta_from_cov_column_order_and_singular_matrix():
    # 3 x 3: lme4 orders theta column by column: L11, L21, L31, L22, L32, L33.
    factor = np.array([[1.0, 0, 0], [0.5, 2.0, 0], [0.25, -1.0, 0.7]])
    theta = theta_from_cov(factor @ factor.T * 4.0, 2.0)
    assert theta == pytest.approx([1.0, 0.5, 0.25, 2.0, -1.0, 0.7])
    # Correlation 1: the second column's diagonal is 0.
    assert theta_from_cov(np.array([[1.0, 2.0], [2.0, 4.0]]), 1.0) == pytest.approx([1.0, 2.0, 0.0])
    with pytest.raises(ValueError, match="not positive semi-definite"):
        theta_from_cov(np.array([[1.0, 3.0], [3.0, 4.0]]), 1.0)


def test_slope_ridge_contains_every_lme4_optimum(optimizers):
    first = optimizers.iloc[0]
    ridge = slope_ridge(first.var_intercept, first.var_treated, optimizers["sd_slope"])
    # The three optimizers stop at different slope SDs, yet each is a member of one ridge.
    assert ridge["corr"].to_numpy() == pytest.approx(optimizers["corr"].to_numpy(), abs=1e-4)
    treated = first.var_intercept + 2 * ridge["cov_intercept_slope"] + ridge["var_slope"]
    assert treated.to_numpy() == pytest.approx(first.var_treated)


def test_slope_ridge_rejects_slope_sd_off_the_ridge():
    with pytest.raises(ValueError, match=r"outside the ridge \[1, 5\]"):
        slope_ridge(4.0, 9.0, [6.0])
    with pytest.raises(ValueError, match="outside the ridge"):
        slope_ridge(4.0, 9.0, [0.5])


def test_summarise_replications_bias_rmse_coverage():
    reps = pd.DataFrame(
        {
            "term": ["a", "b", "a", "b", "a", "b"],
            "estimate": [1.0, 2.0, 3.0, np.nan, 2.0, 2.5],
            "lower": [0.0, 1.0, 2.5, 1.0, 1.0, 2.1],
            "upper": [1.5, 3.0, 3.5, 3.0, 3.0, 2.9],
        }
    )
    got = summarise_replications(reps, {"a": 2.0, "b": 2.0})
    assert list(got.index) == ["a", "b"]
    assert got.loc["a", "bias"] == pytest.approx(0.0)
    assert got.loc["a", "rmse"] == pytest.approx(np.sqrt(2 / 3))
    assert got.loc["a", "coverage"] == pytest.approx(1 / 3)
    assert got.loc["b", "n"] == 2
    assert got.loc["b", "coverage"] == pytest.approx(0.5)
    assert got.loc["b", "coverage_mcse"] == pytest.approx(0.5 / np.sqrt(2))
    with pytest.raises(KeyError, match=r"term\(s\) \['b'\]"):
        summarise_replications(reps, {"a": 2.0})


def test_summarise_replications_estimates_without_intervals():
    reps = pd.DataFrame(
        {"term": ["s", "s"], "estimate": [1.0, 3.0], "lower": np.nan, "upper": np.nan}
    )
    got = summarise_replications(reps, {"s": 1.5}).loc["s"]
    assert got["bias"] == pytest.approx(0.5)
    assert got["n"] == 2
    assert np.isnan(got["coverage"])


@pytest.mark.parametrize("model", ["null", "supported"])
def test_fixef_intervals_match_lmertest_t_and_lme4_wald(guide, model):
    from hlmtutor import center_grand, fixef_intervals, group_mean, lmer

    # keep_default_na=False: pandas would read the model name "null" as a missing value.
    ref = pd.read_csv(REFERENCE / "fixef_intervals.csv", keep_default_na=False)
    ref = ref[ref["model"] == model].set_index("term")
    guide = guide.copy()
    guide["ses_cm_gmc"] = center_grand(
        group_mean(guide["ses"], guide["classroom_id"]), guide["classroom_id"]
    )
    formula = {
        "null": "math_score ~ 1 + (1 | classroom_id)",
        "supported": "math_score ~ intervention + ses_cwc + ses_cm_gmc + intervention:ses_cwc + (1 | classroom_id)",
    }[model]
    fit = lmer(formula, guide)
    t_int = fixef_intervals(fit)
    z_int = fixef_intervals(fit, method="z")
    assert list(t_int.index) == list(ref.index)
    assert t_int["lower"].to_numpy() == pytest.approx(ref["t_lower"].to_numpy(), rel=1e-5)
    assert t_int["upper"].to_numpy() == pytest.approx(ref["t_upper"].to_numpy(), rel=1e-5)
    assert t_int["p_value"].to_numpy() == pytest.approx(ref["p_t"].to_numpy(), rel=1e-4)
    assert z_int["lower"].to_numpy() == pytest.approx(ref["z_lower"].to_numpy(), rel=1e-5)
    assert z_int["upper"].to_numpy() == pytest.approx(ref["z_upper"].to_numpy(), rel=1e-5)
    assert np.isinf(z_int["df"]).all()


def test_fixef_intervals_rejects_bad_arguments():
    from types import SimpleNamespace

    from hlmtutor import fixef_intervals

    table = pd.DataFrame({"Estimate": [1.0], "Std. Error": [0.5], "df": [3.0]}, index=["x"])
    with pytest.raises(ValueError, match="method must be 'satterthwaite' or 'z'"):
        fixef_intervals(SimpleNamespace(fixef=table), method="kr")
    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        fixef_intervals(SimpleNamespace(fixef=table), level=1.5)
    with pytest.raises(KeyError, match=r"lacks column\(s\) \['df'\]"):
        fixef_intervals(SimpleNamespace(fixef=table.drop(columns="df")))
