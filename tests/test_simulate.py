"""Tests for hlmtutor.simulate."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.api import types

from hlmtutor import (
    Simulation,
    center_grand,
    center_within,
    group_mean,
    simulate_classrooms,
)

FOLDER = "foundation/"
# The guide folder sits beside the repository (../shared/guide), as CONTRIBUTING.md says.
SHARED_GUIDE_CSV = Path(__file__).resolve().parents[2] / "shared" / "guide" / "guide_data.csv"
COLUMNS = ["math_score", "intervention", "classroom_id", "student_id", "ses"]


def test_guide_data_equals_r_data_frame(data, read_reference):
    # R: the data.frame() of guide.R, written with 17 significant digits
    ref = read_reference(FOLDER + "guide_data_full.csv")
    assert list(data.columns) == COLUMNS == list(ref.columns)
    assert len(data) == len(ref) == 240
    for column in COLUMNS:
        np.testing.assert_allclose(data[column], ref[column], rtol=1e-12, atol=0, err_msg=column)


def test_guide_data_head_equals_r_head(data, read_reference):
    # R: head(data) (six rows)
    ref = read_reference(FOLDER + "guide_data_head.csv")
    assert len(ref) == 6
    pd.testing.assert_frame_equal(data.head(6), ref, check_dtype=False, rtol=1e-12)


@pytest.mark.skipif(not SHARED_GUIDE_CSV.exists(), reason="the shared guide_data.csv is absent")
def test_guide_data_equals_shared_guide_csv(data):
    # R: write.csv(data, "guide_data.csv") in guide.R (15 significant digits)
    shared = pd.read_csv(SHARED_GUIDE_CSV)
    assert list(shared.columns) == COLUMNS
    np.testing.assert_allclose(data[COLUMNS], shared[COLUMNS], rtol=1e-9, atol=0)


def test_guide_data_types_follow_r_classes(data, read_reference):
    # R: sapply(data, class): numeric -> float, integer -> int
    classes = read_reference(FOLDER + "guide_data_classes.csv").set_index("column")["r_class"]
    for column, r_class in classes.items():
        check = types.is_float_dtype if r_class == "numeric" else types.is_integer_dtype
        assert check(data[column]), (column, data[column].dtype, r_class)


def test_guide_data_recycles_ses_and_intervention_as_r_does(data):
    by_room = data.groupby("classroom_id")
    assert by_room["intervention"].first().tolist() == [0, 0, 0, 1, 1, 1] * 2
    assert (by_room["intervention"].nunique() == 1).all()
    first_half = data.loc[data["classroom_id"] <= 6, "ses"].to_numpy()
    second_half = data.loc[data["classroom_id"] > 6, "ses"].to_numpy()
    np.testing.assert_array_equal(first_half, second_half)
    assert data["student_id"].tolist() == list(range(1, 21)) * 12


# ---- simulate_classrooms ---------------------------------------------------------------------


def test_simulation_layout_and_types():
    sim = simulate_classrooms(10, 7, seed=3)
    assert isinstance(sim, Simulation) and sim == (sim.data, sim.truth)
    data = sim.data
    assert list(data.columns) == ["classroom_id", "student_id", "treatment", "ses", "math_score"]
    for column in ["classroom_id", "student_id", "treatment"]:
        assert types.is_integer_dtype(data[column]), column
    assert types.is_float_dtype(data["ses"]) and types.is_float_dtype(data["math_score"])
    assert data["classroom_id"].tolist() == np.repeat(np.arange(1, 11), 7).tolist()
    assert data["student_id"].tolist() == list(range(1, 8)) * 10
    per_room = data.groupby("classroom_id")["treatment"]
    assert (per_room.nunique() == 1).all() and per_room.first().sum() == 5
    assert set(data["treatment"]) == {0, 1}
    assert data.notna().all().all()


def test_truth_uses_lmer_term_names():
    truth = simulate_classrooms(
        5, 3, intercept=40, treatment_effect=2, ses_within=1.5, ses_between=3,
        cross_level=-0.5, sd_intercept=2, sd_slope=0.25, corr=-0.3, sigma=4, seed=0,
    ).truth  # fmt: skip
    assert list(truth.index) == [
        "(Intercept)", "treatment", "ses_cwc", "ses_cm_gmc", "treatment:ses_cwc",
        "sd_intercept", "sd_slope", "corr", "sigma", "icc",
    ]  # fmt: skip
    assert truth.drop("icc").tolist() == [40, 2, 1.5, 3, -0.5, 2, 0.25, -0.3, 4]
    assert truth["icc"] == pytest.approx(2**2 / (2**2 + 4**2))


@pytest.mark.parametrize(
    ("n_classrooms", "fraction", "expected"),
    [(5, 0.5, 3), (7, 0.3, 2), (8, 0.0, 0), (8, 1.0, 8), (4, 0.125, 1)],
)
def test_treated_count_is_fraction_rounded_half_up(n_classrooms, fraction, expected):
    data = simulate_classrooms(n_classrooms, 2, treated_fraction=fraction, seed=11).data
    assert data.groupby("classroom_id")["treatment"].first().sum() == expected


def test_unbalanced_classroom_sizes():
    data = simulate_classrooms(3, [3, 1, 5], seed=2).data
    assert data.groupby("classroom_id").size().tolist() == [3, 1, 5]
    assert data["student_id"].tolist() == [1, 2, 3, 1, 1, 2, 3, 4, 5]


def test_seeded_simulations_repeat_and_generators_continue():
    pd.testing.assert_frame_equal(
        simulate_classrooms(seed=42).data, simulate_classrooms(seed=42).data
    )
    assert not simulate_classrooms(seed=42).data.equals(simulate_classrooms(seed=43).data)
    rng = np.random.default_rng(7)
    first, second = simulate_classrooms(seed=rng).data, simulate_classrooms(seed=rng).data
    assert not first.equals(second)
    pd.testing.assert_frame_equal(first, simulate_classrooms(seed=np.random.default_rng(7)).data)


def test_documented_recipe_recovers_the_fixed_effects_exactly():
    # Without random effects or residuals the score is an exact linear function of the
    # columns built by the docstring's recipe, so least squares returns the truth.
    sim = simulate_classrooms(
        12, [4, 6, 5] * 4, treatment_effect=3.0, ses_within=1.5, ses_between=-2.0,
        cross_level=0.75, sd_intercept=0, sd_slope=0, sigma=0, seed=5,
    )  # fmt: skip
    data, truth = sim.data.copy(), sim.truth
    data["ses_cwc"] = center_within(data["ses"], data["classroom_id"])
    data["ses_cm_gmc"] = center_grand(
        group_mean(data["ses"], data["classroom_id"]), data["classroom_id"]
    )
    terms = ["(Intercept)", "treatment", "ses_cwc", "ses_cm_gmc", "treatment:ses_cwc"]
    design = np.column_stack(
        [
            np.ones(len(data)),
            data["treatment"],
            data["ses_cwc"],
            data["ses_cm_gmc"],
            data["treatment"] * data["ses_cwc"],
        ]
    )
    coef, *_ = np.linalg.lstsq(design, data["math_score"].to_numpy(), rcond=None)
    np.testing.assert_allclose(coef, truth[terms], rtol=1e-9, atol=1e-9)


def test_random_effects_have_the_requested_sds_and_correlation():
    # Many classrooms and a tiny residual: per-classroom least squares reveals each
    # classroom's intercept and slope; their spread must match the truth (about 4 SEs).
    sim = simulate_classrooms(
        3000, 30, sd_intercept=3.0, sd_slope=1.0, corr=0.6, sigma=0.05,
        cross_level=1.0, ses_sd_within=1.0, ses_sd_between=0.5, seed=2024,
    )  # fmt: skip
    data, truth = sim.data, sim.truth
    room = data["classroom_id"]
    cwc = center_within(data["ses"], room)
    cm_gmc = center_grand(group_mean(data["ses"], room), room)
    y = data["math_score"]
    rooms = data.assign(cwc=cwc, cm_gmc=cm_gmc, cy=cwc * y, cc=cwc**2).groupby(room)
    per_room = rooms.agg(
        y=("math_score", "mean"), t=("treatment", "first"), cm=("cm_gmc", "first"),
        cy=("cy", "sum"), cc=("cc", "sum"),
    )  # fmt: skip
    u0 = (
        per_room["y"]
        - truth["(Intercept)"]
        - truth["treatment"] * per_room["t"]
        - truth["ses_cm_gmc"] * per_room["cm"]
    )
    u1 = (
        per_room["cy"] / per_room["cc"]
        - truth["ses_cwc"]
        - truth["treatment:ses_cwc"] * per_room["t"]
    )
    assert u0.std() == pytest.approx(truth["sd_intercept"], rel=0.05)
    assert u1.std() == pytest.approx(truth["sd_slope"], rel=0.05)
    assert np.corrcoef(u0, u1)[0, 1] == pytest.approx(truth["corr"], abs=0.05)
    assert abs(u0.mean()) < 4 * truth["sd_intercept"] / np.sqrt(3000)
    fitted = (
        per_room["y"].to_numpy()[room - 1]
        + (per_room["cy"] / per_room["cc"]).to_numpy()[room - 1] * cwc.to_numpy()
    )
    residual_sd = np.sqrt(np.sum((y - fitted) ** 2) / (len(y) - 2 * 3000))
    assert residual_sd == pytest.approx(truth["sigma"], rel=0.05)
    # ses: within-classroom sd and the spread of classroom means
    assert np.sqrt(np.sum(cwc**2) / (len(y) - 3000)) == pytest.approx(1.0, rel=0.03)
    assert per_room["cm"].std() == pytest.approx(np.sqrt(0.5**2 + 1.0**2 / 30), rel=0.05)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_classrooms": 1}, ValueError, "n_classrooms must be >= 2.*got 1"),
        ({"n_classrooms": 2.5}, TypeError, "n_classrooms must be an integer"),
        ({"n_classrooms": 3, "n_students": [5, 5]}, ValueError, "2 sizes but n_classrooms is 3"),
        ({"n_classrooms": 3, "n_students": [5, 0, 5]}, ValueError, "classroom 2 has 0"),
        ({"n_students": "20"}, TypeError, "n_students must be an integer"),
        ({"sigma": -1}, ValueError, "sigma must be >= 0; got -1"),
        ({"sd_slope": -0.1}, ValueError, "sd_slope must be >= 0"),
        ({"ses_sd_between": -2}, ValueError, "ses_sd_between must be >= 0"),
        ({"corr": 1.5}, ValueError, "corr must be between -1 and 1; got 1.5"),
        ({"treated_fraction": 1.2}, ValueError, "treated_fraction must be between 0 and 1"),
        ({"intercept": float("nan")}, ValueError, "intercept must be finite"),
        ({"treatment_effect": "5"}, TypeError, "treatment_effect must be a number"),
    ],
)
def test_bad_arguments_are_clear_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        simulate_classrooms(**{"seed": 1, **kwargs})
