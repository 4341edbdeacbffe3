"""hlmtutor.power_analysis (hlmtutor.power and friends): simulation power, its Monte-Carlo
error and reproducibility across n_jobs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hlmtutor.power_analysis import RESULT_COLUMNS, design_effect, power, power_curve
from hlmtutor.simulate import simulate_classrooms


def test_result_table_and_summary():
    result = power(8, 5, effect=0.5, icc=0.2, n_sims=30, seed=3)
    table = result.results
    assert list(table.columns) == RESULT_COLUMNS
    assert table["sim"].tolist() == list(range(30))
    assert (table["significant"] == (table["p"] < 0.05)).all()
    assert result.power == table["significant"].mean()
    assert result.mcse == pytest.approx(math.sqrt(result.power * (1 - result.power) / 30))
    frame = result.to_frame()
    assert frame.loc[0, "n_total"] == 40
    assert frame.loc[0, "design_effect"] == pytest.approx(1 + 4 * 0.2)
    assert frame.loc[0, "ci_low"] <= result.power <= frame.loc[0, "ci_high"]
    assert "8 classrooms of 5 students" in result.summary()


@pytest.mark.filterwarnings("ignore:boundary \\(singular\\) fit")
def test_each_row_reproduces_from_its_seed():
    """A row's seed rebuilds its data; the t-test on it gives the stored p-value."""
    from hlmtutor import lmer

    result = power(6, 4, effect=0.3, icc=0.1, n_sims=3, seed=11)
    row = result.results.iloc[2]
    data = simulate_classrooms(
        6,
        4,
        treatment_effect=3.0,
        ses_within=0.0,
        ses_between=0.0,
        sd_intercept=math.sqrt(0.1) * 10,
        sd_slope=0.0,
        sigma=math.sqrt(0.9) * 10,
        seed=int(row["seed"]),
    ).data
    fit = lmer("math_score ~ treatment + (1 | classroom_id)", data)
    assert fit.fixef.loc["treatment", "Pr(>|t|)"] == pytest.approx(row["p"])


def test_same_seed_same_result_for_one_and_two_jobs():
    one = power(6, 5, effect=0.4, icc=0.1, n_sims=60, seed=5, n_jobs=1)
    two = power(6, 5, effect=0.4, icc=0.1, n_sims=60, seed=5, n_jobs=2)
    pd.testing.assert_frame_equal(one.results, two.results)
    other = power(6, 5, effect=0.4, icc=0.1, n_sims=60, seed=6, n_jobs=1)
    assert not one.results["p"].equals(other.results["p"])


@pytest.mark.slow
def test_zero_effect_rejects_at_about_alpha():
    """With no effect the Satterthwaite test rejects at its nominal rate (the df are right)."""
    n_sims, alpha = 600, 0.05
    result = power(10, 10, effect=0.0, icc=0.2, n_sims=n_sims, alpha=alpha, seed=2, n_jobs=2)
    mcse = math.sqrt(alpha * (1 - alpha) / n_sims)
    assert abs(result.power - alpha) < 3 * mcse, result.summary()
    # p-values of a true null are uniform.
    assert stats.kstest(result.results["p"], "uniform").pvalue > 0.001


@pytest.mark.slow
def test_power_grows_with_classrooms_and_matches_theory():
    curve = power_curve([6, 12, 24], [10], effect=0.5, icc=0.1, n_sims=300, seed=4, n_jobs=2)
    assert curve["power"].is_monotonic_increasing
    assert curve["power"].iloc[-1] - curve["power"].iloc[0] > 6 * curve["mcse"].max()
    # Balanced design: the t-test on the classroom means, df = J - 2, noncentrality
    # effect / sqrt(4 deff / (J n)) (total variance 1).
    for row in curve.itertuples():
        deff = design_effect(row.n_students, row.icc)
        ncp = row.effect / math.sqrt(4 * deff / (row.n_classrooms * row.n_students))
        df = row.n_classrooms - 2
        critical = stats.t.ppf(1 - row.alpha / 2, df)
        theory = stats.nct.sf(critical, df, ncp) + stats.nct.cdf(-critical, df, ncp)
        assert abs(row.power - theory) < 4 * row.mcse + 0.01, (row, theory)


def test_power_curve_grid_order_and_columns():
    curve = power_curve([6, 8], [3, 4], effect=0.2, icc=0.1, n_sims=5, seed=1)
    assert curve[["n_classrooms", "n_students"]].to_numpy().tolist() == [
        [6, 3],
        [6, 4],
        [8, 3],
        [8, 4],
    ]
    for column in ("power", "mcse", "design_effect", "n_total", "ci_low", "ci_high"):
        assert column in curve.columns
    with pytest.raises(ValueError, match="grid is empty"):
        power_curve([], [3], effect=0.2, icc=0.1, n_sims=5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_classrooms": 3}, "n_classrooms must be an integer >= 4"),
        ({"n_students": 0}, "n_students must be an integer >= 1"),
        ({"icc": 1.0}, r"icc must be a number in \[0, 1\)"),
        ({"effect": float("nan")}, "effect must be a finite number"),
        ({"alpha": 5}, "alpha must be between 0 and 1"),
        ({"n_sims": 0}, "n_sims must be an integer >= 1"),
    ],
)
def test_bad_design_is_refused(kwargs, message):
    arguments = {"n_classrooms": 10, "n_students": 5, "effect": 0.3, "icc": 0.1, "n_sims": 5}
    with pytest.raises(ValueError, match=message):
        power(**(arguments | kwargs))


def test_dask_backend_gives_the_same_result():
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
    import joblib

    expected = power(6, 4, effect=0.3, icc=0.1, n_sims=30, seed=9)
    with distributed.LocalCluster(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
    ) as cluster:
        with distributed.Client(cluster), joblib.parallel_backend("dask"):
            result = power(6, 4, effect=0.3, icc=0.1, n_sims=30, seed=9, n_jobs=2)
    pd.testing.assert_frame_equal(result.results, expected.results)


def test_progress_bar_is_off_by_default_and_can_be_shown(capsys):
    power(6, 3, effect=0.3, icc=0.1, n_sims=5, seed=1)
    assert capsys.readouterr().err == ""
    power(6, 3, effect=0.3, icc=0.1, n_sims=5, seed=1, progress=True)
    assert "simulations" in capsys.readouterr().err


def test_seed_sequence_is_accepted():
    a = power(6, 3, effect=0.3, icc=0.1, n_sims=5, seed=np.random.SeedSequence(8))
    b = power(6, 3, effect=0.3, icc=0.1, n_sims=5, seed=8)
    pd.testing.assert_frame_equal(a.results, b.results)


def test_same_seed_sequence_gives_the_same_result_every_time():
    root = np.random.SeedSequence(8)
    first = power(6, 3, effect=0.3, icc=0.1, n_sims=5, seed=root)
    second = power(6, 3, effect=0.3, icc=0.1, n_sims=5, seed=root)
    pd.testing.assert_frame_equal(first.results, second.results)
    assert root.n_children_spawned == 0  # the caller's object is left as it was
    # children count from the first whatever the SeedSequence spawned before
    used = np.random.SeedSequence(8)
    used.spawn(3)
    pd.testing.assert_frame_equal(
        power(6, 3, effect=0.3, icc=0.1, n_sims=5, seed=used).results, first.results
    )
    # a spawned child (entropy 8, spawn key (1,)) is its own stream, also reproducible
    child = np.random.SeedSequence(8).spawn(2)[1]
    third = power(6, 3, effect=0.3, icc=0.1, n_sims=5, seed=child)
    assert not third.results["seed"].equals(first.results["seed"])
    pd.testing.assert_frame_equal(
        power(6, 3, effect=0.3, icc=0.1, n_sims=5, seed=child).results, third.results
    )


def test_power_curve_takes_a_seed_sequence_and_leaves_it_unchanged():
    root = np.random.SeedSequence(1)
    first = power_curve([6, 8], [3], effect=0.2, icc=0.1, n_sims=4, seed=root)
    second = power_curve([6, 8], [3], effect=0.2, icc=0.1, n_sims=4, seed=root)
    pd.testing.assert_frame_equal(first, second)
    assert root.n_children_spawned == 0
    pd.testing.assert_frame_equal(
        first, power_curve([6, 8], [3], effect=0.2, icc=0.1, n_sims=4, seed=1)
    )


def test_the_module_is_not_shadowed_by_the_function():
    """``hlmtutor.power`` is the function; its module is reachable as hlmtutor.power_analysis."""
    import hlmtutor
    import hlmtutor.power_analysis as P

    assert P.power_curve is power_curve and P.power is hlmtutor.power
    assert callable(hlmtutor.power) and not isinstance(hlmtutor.power, type(P))
