"""Tests of hlmtutor.plots: the data, labels and artists drawn (never pixels)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from scipy import stats

from hlmtutor import (
    plot_caterpillar,
    plot_profile,
    plot_qq,
    plot_residuals,
    plot_shrinkage,
    ppoints,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_ppoints_matches_r_formula_for_small_and_large_n():
    # R: ppoints(5) uses a = 3/8; ppoints(11) uses a = 1/2.
    assert np.allclose(ppoints(5), (np.arange(1, 6) - 3 / 8) / (5 + 1 - 3 / 4))
    assert np.allclose(ppoints(11), (np.arange(1, 12) - 0.5) / 11)
    with pytest.raises(ValueError, match="positive whole number"):
        ppoints(0)


def test_plot_residuals_draws_every_point_zero_line_and_smooth():
    rng = np.random.default_rng(1)
    fitted = rng.normal(50, 5, 40)
    resid = rng.normal(0, 2, 40)
    ax = plot_residuals(fitted, resid)
    assert isinstance(ax, Axes)
    assert np.allclose(ax.collections[0].get_offsets(), np.column_stack([fitted, resid]))
    zero_line, smooth = ax.lines
    assert np.allclose(zero_line.get_ydata(), 0)
    assert len(smooth.get_xdata()) == 40
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Fitted values", "Residuals")


def test_plot_residuals_without_smooth_and_on_given_axes():
    _, given = plt.subplots()
    ax = plot_residuals([1, 2, 3], [0.1, -0.1, 0.0], lowess=False, ax=given)
    assert ax is given
    assert len(ax.lines) == 1


def test_plot_residuals_rejects_mismatch_and_missing():
    with pytest.raises(ValueError, match="fitted has 3 values but residuals has 2"):
        plot_residuals([1, 2, 3], [0.1, 0.2])
    with pytest.raises(ValueError, match="residuals has 1 missing"):
        plot_residuals([1, 2, 3], [0.1, np.nan, 0.2])


def test_plot_qq_points_are_sorted_values_against_normal_quantiles():
    values = np.array([3.0, -1.0, 0.5, 2.0, -2.5, 0.0, 1.0, -0.3, 0.8, 1.7, -1.1, 0.2])
    ax = plot_qq(values, label="Residuals")
    points = ax.collections[0].get_offsets()
    assert np.allclose(points[:, 1], np.sort(values))
    assert np.allclose(points[:, 0], stats.norm.ppf((np.arange(1, 13) - 0.5) / 12))
    # R's qqline passes through the quartiles of the data and of the normal.
    line = ax.lines[0]
    slope = np.diff(line.get_ydata())[0] / np.diff(line.get_xdata())[0]
    q1, q3 = np.quantile(values, [0.25, 0.75])
    z1, z3 = stats.norm.ppf([0.25, 0.75])
    assert slope == pytest.approx((q3 - q1) / (z3 - z1))
    assert ax.get_ylabel() == "Residuals"


def test_plot_caterpillar_sorts_groups_and_uses_normal_interval():
    effects = pd.Series(
        [1.0, -2.0, 0.5, 0.0], index=pd.Index([10, 11, 12, 13], name="classroom_id")
    )
    se = pd.Series([0.5, 0.4, 0.3, 0.2], index=effects.index)
    ax = plot_caterpillar(effects, se, level=0.90)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["11", "13", "12", "10"]
    (container,) = ax.containers
    centres = container.lines[0].get_xdata()
    assert np.allclose(centres, [-2.0, 0.0, 0.5, 1.0])
    # Each error bar spans effect -/+ z_0.95 * se.
    segments = container.lines[2][0].get_segments()
    widths = [seg[1][0] - seg[0][0] for seg in segments]
    assert np.allclose(widths, 2 * stats.norm.ppf(0.95) * np.array([0.4, 0.2, 0.3, 0.5]))
    assert ax.get_ylabel() == "classroom_id"


def test_plot_caterpillar_rejects_bad_input():
    b = pd.Series([1.0, 2.0], index=["a", "b"])
    with pytest.raises(TypeError, match="pandas Series"):
        plot_caterpillar([1.0, 2.0], b)
    with pytest.raises(KeyError, match=r"se has no value for group\(s\) \['b'\]"):
        plot_caterpillar(b, pd.Series([0.1], index=["a"]))
    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        plot_caterpillar(b, b, level=95)


def test_plot_shrinkage_draws_both_estimates_arrows_and_population():
    ols = pd.DataFrame(
        {"(Intercept)": [50.0, 54.0, 47.0], "ses_cwc": [0.3, -0.2, 0.1]}, index=[1, 2, 3]
    )
    mixed = pd.DataFrame(
        {"(Intercept)": [51.0, 53.0, 49.0], "ses_cwc": [0.1, 0.0, 0.05]}, index=[1, 2, 3]
    )
    ax = plot_shrinkage(
        ols, mixed, x="(Intercept)", y="ses_cwc", population={"(Intercept)": 51, "ses_cwc": 0.05}
    )
    start, end, arrows = ax.collections
    assert np.allclose(start.get_offsets(), ols.to_numpy())
    assert np.allclose(end.get_offsets(), mixed.to_numpy())
    # Each arrow starts at the separate estimate and points to the pooled one.
    assert np.allclose(arrows.get_offsets(), ols.to_numpy())
    assert np.allclose(np.column_stack([arrows.U, arrows.V]), (mixed - ols).to_numpy())
    assert ax.lines[-1].get_label() == "fixed effects"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("(Intercept)", "ses_cwc")


def test_plot_shrinkage_skips_arrows_of_groups_with_missing_coefficients():
    ols = pd.DataFrame({"a": [1.0, np.nan], "b": [2.0, 3.0]}, index=[1, 2])
    mixed = pd.DataFrame({"a": [1.5, 2.0], "b": [2.5, 3.0]}, index=[1, 2])
    ax = plot_shrinkage(ols, mixed, x="a", y="b")
    assert len(ax.collections[2].U) == 1


def test_plot_shrinkage_names_missing_column_and_mismatched_groups():
    ols = pd.DataFrame({"a": [1.0], "b": [2.0]}, index=[1])
    with pytest.raises(KeyError, match="pooled has no column 'b'"):
        plot_shrinkage(ols, pd.DataFrame({"a": [1.0]}, index=[1]), x="a", y="b")
    with pytest.raises(ValueError, match="same groups"):
        plot_shrinkage(ols, pd.DataFrame({"a": [1.0], "b": [2.0]}, index=[2]), x="a", y="b")


def test_plot_profile_draws_curve_and_one_line_per_mark():
    x = np.linspace(0, 4, 9)
    ax = plot_profile(
        x, (x - 2) ** 2, xlabel="slope SD", label="profile", marks={"bobyqa": 1.5, "nm": 3.0}
    )
    curve, first, second = ax.lines
    assert np.allclose(curve.get_ydata(), (x - 2) ** 2)
    assert first.get_xdata()[0] == 1.5 and second.get_xdata()[0] == 3.0
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["profile", "bobyqa", "nm"]
    with pytest.raises(ValueError, match="values has 9 entries but criterion has 2"):
        plot_profile(x, [1.0, 2.0], xlabel="x")
