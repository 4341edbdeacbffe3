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
    lmer,
    simulate_classrooms,
    simulate_ratings,
    simulate_schools,
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


# ---- simulate_schools ------------------------------------------------------------------------

SCHOOL_COLUMNS = [
    "school_id", "classroom_id", "student_id", "private", "treatment", "ses", "math_score",
]  # fmt: skip
SCHOOL_FORMULA = (
    "math_score ~ treatment + private + ses_cwc + ses_cm_cws + ses_sm_gmc"
    " + (1 | school_id) + (1 + ses_cwc | classroom_id)"
)


def three_level_columns(data: pd.DataFrame) -> pd.DataFrame:
    """The docstring's recipe: ses centered within classroom, classroom within school, school."""
    data = data.copy()
    data["ses_cwc"] = center_within(data["ses"], data["classroom_id"])
    school_mean = group_mean(data["ses"], data["school_id"])
    data["ses_cm_cws"] = group_mean(data["ses"], data["classroom_id"]) - school_mean
    data["ses_sm_gmc"] = center_grand(school_mean, data["school_id"])
    return data


def test_school_simulation_layout_and_ids():
    sim = simulate_schools(5, 3, 4, seed=3)
    assert isinstance(sim, Simulation)
    data = sim.data
    assert list(data.columns) == SCHOOL_COLUMNS and len(data) == 5 * 3 * 4
    for column in SCHOOL_COLUMNS[:5]:
        assert types.is_integer_dtype(data[column]), column
    assert types.is_float_dtype(data["ses"]) and types.is_float_dtype(data["math_score"])
    assert data["school_id"].tolist() == np.repeat(np.arange(1, 6), 12).tolist()
    # classroom ids run on across schools, so each names one classroom of one school
    assert data["classroom_id"].tolist() == np.repeat(np.arange(1, 16), 4).tolist()
    assert (data.groupby("classroom_id")["school_id"].nunique() == 1).all()
    assert data["student_id"].tolist() == [1, 2, 3, 4] * 15
    assert (data.groupby("school_id")["private"].nunique() == 1).all()
    assert (data.groupby("classroom_id")["treatment"].nunique() == 1).all()
    assert data.groupby("school_id")["private"].first().sum() == 2  # floor(0.3 * 5 + 0.5)
    assert data.groupby("classroom_id")["treatment"].first().sum() == 8  # floor(7.5 + 0.5)
    assert data.notna().all().all()


def test_school_simulation_unequal_sizes():
    data = simulate_schools(3, [2, 1, 3], [3, 1, 2, 4, 1, 2], seed=4).data
    assert data.groupby("school_id")["classroom_id"].nunique().tolist() == [2, 1, 3]
    assert data.groupby("classroom_id").size().tolist() == [3, 1, 2, 4, 1, 2]
    assert data["student_id"].tolist() == [1, 2, 3, 1, 1, 2, 1, 2, 3, 4, 1, 1, 2]
    assert data.groupby("school_id").size().tolist() == [4, 2, 7]


def test_school_truth_names_and_iccs():
    truth = simulate_schools(
        4, 2, 3, intercept=40, treatment_effect=1, private_effect=-2, ses_within=1.5,
        ses_classroom=2.5, ses_school=4, sd_school=2, sd_classroom=1, sd_slope=0.5,
        corr=-0.4, sd_slope_school=0.25, sigma=4, seed=0,
    ).truth  # fmt: skip
    assert list(truth.index) == [
        "(Intercept)", "treatment", "private", "ses_cwc", "ses_cm_cws", "ses_sm_gmc",
        "sd_school", "sd_classroom", "sd_slope", "corr", "sd_slope_school", "sigma",
        "icc_school", "icc_classroom",
    ]  # fmt: skip
    assert truth.iloc[:12].tolist() == [40, 1, -2, 1.5, 2.5, 4, 2, 1, 0.5, -0.4, 0.25, 4]
    assert truth["icc_school"] == pytest.approx(4 / (4 + 1 + 16))
    assert truth["icc_classroom"] == pytest.approx((4 + 1) / (4 + 1 + 16))


def test_school_simulations_repeat_by_seed():
    pd.testing.assert_frame_equal(simulate_schools(seed=42).data, simulate_schools(seed=42).data)
    assert not simulate_schools(seed=42).data.equals(simulate_schools(seed=43).data)
    rng = np.random.default_rng(7)
    first, second = simulate_schools(seed=rng).data, simulate_schools(seed=rng).data
    assert not first.equals(second)
    pd.testing.assert_frame_equal(first, simulate_schools(seed=np.random.default_rng(7)).data)


def test_school_recipe_recovers_the_fixed_effects_exactly():
    # With every random effect and the residual at zero the score is an exact linear function
    # of the columns the docstring builds, so least squares returns the truth.
    sim = simulate_schools(
        6, [2, 3, 4, 2, 3, 1], 5, treatment_effect=3.0, private_effect=-1.0, ses_within=1.5,
        ses_classroom=-2.0, ses_school=4.0, sd_school=0, sd_classroom=0, sd_slope=0,
        sigma=0, private_fraction=0.5, seed=5,
    )  # fmt: skip
    data, truth = three_level_columns(sim.data), sim.truth
    terms = ["treatment", "private", "ses_cwc", "ses_cm_cws", "ses_sm_gmc"]
    design = np.column_stack([np.ones(len(data)), data[terms]])
    coef, *_ = np.linalg.lstsq(design, data["math_score"].to_numpy(), rcond=None)
    np.testing.assert_allclose(coef, truth[["(Intercept)", *terms]], rtol=1e-9, atol=1e-9)


def approximate_sd_se(tau: float, noise: float, units: int) -> float:
    """Large-sample SE of an estimated SD sqrt(tau) from ``units`` groups.

    Balanced normal theory: each group's own estimate has variance tau + noise (noise: its
    sampling variance), so var(tau_hat) ~ 2 (tau + noise)^2 / units, and the delta method
    divides the SE by 2 sqrt(tau).
    """
    return np.sqrt(2 / units) * (tau + noise) / (2 * np.sqrt(tau))


def test_lmer_recovers_the_three_level_truth():
    # 120 schools x 5 classrooms x 20 students (12,000 rows; the fit takes about 0.3 s).
    # Tolerance: 4 standard errors of each estimate, so a failure is not bad luck. The
    # fixed effects use the fit's own SEs; the SDs use approximate_sd_se with the sampling
    # noise of a classroom's intercept (sigma^2 / 20), of its ses slope (sigma^2 / sum of
    # squared ses_cwc, about 20 * 1), and of a school's intercept ((tau_c + sigma^2 / 20) / 5).
    # The correlation's SE, (1 - rho^2) / sqrt(classrooms), is inflated by the reliabilities
    # of the intercepts and slopes it correlates. Over 40 seeds of this design at half the size,
    # the estimates spread as these approximations say (SDs within 25% of them).
    n_schools, per_school, per_room = 120, 5, 20
    sim = simulate_schools(n_schools, per_school, per_room, corr=0.3, seed=2024)
    data, truth = three_level_columns(sim.data), sim.truth
    fit = lmer(SCHOOL_FORMULA, data)
    assert fit.ngroups == {"classroom_id": n_schools * per_school, "school_id": n_schools}

    fixed = fit.fixef
    error = (fixed["Estimate"] - truth[fixed.index]).abs()
    assert (error < 4 * fixed["Std. Error"]).all(), pd.concat([error, fixed], axis=1)

    rooms = n_schools * per_school
    sigma2 = truth["sigma"] ** 2
    tau_room, tau_slope = truth["sd_classroom"] ** 2, truth["sd_slope"] ** 2
    room = fit.cov_re["classroom_id"]
    sd_room = np.sqrt(room.loc["(Intercept)", "(Intercept)"])
    sd_slope = np.sqrt(room.loc["ses_cwc", "ses_cwc"])
    corr = room.loc["(Intercept)", "ses_cwc"] / (sd_room * sd_slope)
    sd_school = np.sqrt(fit.cov_re["school_id"].iloc[0, 0])
    noise_room, noise_slope = sigma2 / per_room, sigma2 / per_room
    reliability = np.sqrt(
        tau_room / (tau_room + noise_room) * tau_slope / (tau_slope + noise_slope)
    )
    bounds = {
        "sd_school": (
            sd_school,
            approximate_sd_se(
                truth["sd_school"] ** 2, (tau_room + noise_room) / per_school, n_schools
            ),
        ),
        "sd_classroom": (sd_room, approximate_sd_se(tau_room, noise_room, rooms)),
        "sd_slope": (sd_slope, approximate_sd_se(tau_slope, noise_slope, rooms)),
        "corr": (corr, (1 - truth["corr"] ** 2) / np.sqrt(rooms) / reliability),
        "sigma": (fit.sigma, truth["sigma"] / np.sqrt(2 * (len(data) - rooms))),
    }
    for name, (estimate, se) in bounds.items():
        assert abs(estimate - truth[name]) < 4 * se, (name, estimate, truth[name], se)


def test_school_level_random_slope_is_drawn_when_asked():
    # A school slope SD of 1.5 and tiny residuals: per-school slopes spread by about 1.5 (plus
    # the classroom slopes' sd 0.2 / sqrt(10) averaged within a school).
    sim = simulate_schools(
        400, 10, 10, sd_slope=0.2, sd_slope_school=1.5, sigma=0.01, sd_classroom=0.5, seed=9
    )
    data = three_level_columns(sim.data)
    sxy = (data["ses_cwc"] * data["math_score"]).groupby(data["school_id"]).sum()
    sxx = (data["ses_cwc"] ** 2).groupby(data["school_id"]).sum()
    slopes = sxy / sxx
    assert slopes.std() == pytest.approx(np.sqrt(1.5**2 + 0.2**2 / 10), rel=0.1)
    assert slopes.mean() == pytest.approx(sim.truth["ses_cwc"], abs=4 * 1.5 / np.sqrt(400))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_schools": 1}, ValueError, "n_schools must be >= 2 .*got 1"),
        ({"n_schools": 3.0}, TypeError, "n_schools must be an integer"),
        ({"n_schools": 3, "n_classrooms": [2, 2]}, ValueError,
         r"n_classrooms has 2 sizes but there are 3 schools \(n_schools is 3\)"),
        ({"n_schools": 2, "n_classrooms": [2, 0]}, ValueError,
         "n_classrooms: every school needs a whole number >= 1; school 2 has 0"),
        ({"n_schools": 2, "n_classrooms": [2, 1], "n_students": [5, 5]}, ValueError,
         "n_students has 2 sizes but there are 3 classrooms"),
        ({"n_schools": 2, "n_classrooms": 1, "n_students": [5, 2.5]}, ValueError,
         "classroom 2 has 2.5"),
        ({"n_students": "20"}, TypeError, "n_students must be an integer or a sequence"),
        ({"sd_school": -1}, ValueError, "sd_school must be >= 0; got -1"),
        ({"sd_slope_school": -0.5}, ValueError, "sd_slope_school must be >= 0"),
        ({"corr": -1.5}, ValueError, "corr must be between -1 and 1; got -1.5"),
        ({"private_fraction": 2}, ValueError, "private_fraction must be between 0 and 1"),
        ({"treated_fraction": -0.1}, ValueError, "treated_fraction must be between 0 and 1"),
        ({"ses_school": float("inf")}, ValueError, "ses_school must be finite"),
        ({"private_effect": "2"}, TypeError, "private_effect must be a number"),
    ],
)  # fmt: skip
def test_school_bad_arguments_are_clear_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        simulate_schools(**{"seed": 1, **kwargs})


# ---- simulate_ratings ------------------------------------------------------------------------


def test_ratings_layout_crossing_and_seed():
    sim = simulate_ratings(30, 6, 3, seed=8)
    data = sim.data
    assert list(data.columns) == ["student_id", "rater_id", "treatment", "score"]
    assert len(data) == 90 and data.notna().all().all()
    for column in ["student_id", "rater_id", "treatment"]:
        assert types.is_integer_dtype(data[column]), column
    per_student = data.groupby("student_id")["rater_id"]
    assert (per_student.nunique() == 3).all()  # three distinct raters per essay
    assert (per_student.apply(lambda r: r.is_monotonic_increasing)).all()
    assert data["student_id"].tolist() == np.repeat(np.arange(1, 31), 3).tolist()
    # crossed, not nested: raters score many students and students meet several raters
    assert (data.groupby("rater_id")["student_id"].nunique() > 1).all()
    assert (data.groupby("student_id")["treatment"].nunique() == 1).all()
    assert data.groupby("student_id")["treatment"].first().sum() == 15
    pd.testing.assert_frame_equal(data, simulate_ratings(30, 6, 3, seed=8).data)
    assert not data.equals(simulate_ratings(30, 6, 3, seed=9).data)
    truth = sim.truth
    assert list(truth.index) == [
        "(Intercept)", "treatment", "sd_student", "sd_rater", "sigma", "icc_student", "icc_rater",
    ]  # fmt: skip
    assert truth["icc_student"] == pytest.approx(64 / (64 + 16 + 25))
    assert truth["icc_rater"] == pytest.approx(16 / (64 + 16 + 25))


def test_lmer_recovers_the_crossed_truth():
    # 1,500 students x 4 of 40 raters. Tolerance 4 SEs: the fit's SEs for the fixed effects,
    # approximate_sd_se for the SDs (a student's mean of 4 ratings has noise
    # (sd_rater^2 + sigma^2) / 4; a rater's mean over about 150 essays has noise
    # (sd_student^2 + sigma^2) / 150).
    n_students, n_raters, k = 1500, 40, 4
    sim = simulate_ratings(n_students, n_raters, k, seed=31)
    truth = sim.truth
    fit = lmer("score ~ treatment + (1 | student_id) + (1 | rater_id)", sim.data)
    assert fit.ngroups == {"student_id": n_students, "rater_id": n_raters}
    error = (fit.fixef["Estimate"] - truth[fit.fixef.index]).abs()
    assert (error < 4 * fit.fixef["Std. Error"]).all()
    tau_s, tau_r, sigma2 = truth["sd_student"] ** 2, truth["sd_rater"] ** 2, truth["sigma"] ** 2
    per_rater = n_students * k / n_raters
    bounds = {
        "sd_student": (
            np.sqrt(fit.cov_re["student_id"].iloc[0, 0]),
            approximate_sd_se(tau_s, (tau_r + sigma2) / k, n_students),
        ),
        "sd_rater": (
            np.sqrt(fit.cov_re["rater_id"].iloc[0, 0]),
            approximate_sd_se(tau_r, (tau_s + sigma2) / per_rater, n_raters),
        ),
        "sigma": (fit.sigma, truth["sigma"] / np.sqrt(2 * len(sim.data))),
    }
    for name, (estimate, se) in bounds.items():
        assert abs(estimate - truth[name]) < 4 * se, (name, estimate, truth[name], se)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_students": 1}, ValueError, "n_students must be >= 2"),
        ({"n_raters": 2.0}, TypeError, "n_raters must be an integer"),
        ({"n_raters": 4, "raters_per_student": 5}, ValueError,
         r"raters_per_student must be between 1 and n_raters \(4\).*got 5"),
        ({"raters_per_student": 0}, ValueError, "raters_per_student must be between 1"),
        ({"raters_per_student": True}, TypeError, "raters_per_student must be an integer"),
        ({"sd_rater": -1}, ValueError, "sd_rater must be >= 0; got -1"),
        ({"treated_fraction": 3}, ValueError, "treated_fraction must be between 0 and 1"),
        ({"intercept": None}, TypeError, "intercept must be a number"),
    ],
)  # fmt: skip
def test_ratings_bad_arguments_are_clear_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        simulate_ratings(**{"seed": 1, **kwargs})
