"""Tests for hlmtutor.rng: RRandom against numbers R wrote (tests/reference/foundation.R)."""

import numpy as np
import pytest

from hlmtutor import RRandom

RTOL = 1e-12
FOLDER = "foundation/"


@pytest.fixture(scope="module")
def seeds_table(read_reference):
    return read_reference(FOLDER + "rng_seeds.csv")


@pytest.mark.parametrize("seed", [123, 0, 1, 42, -1, 2147483647, -2147483647])
def test_rnorm_matches_r_set_seed(seeds_table, seed):
    # R: set.seed(seed); rnorm(200)
    expected = seeds_table.query("seed == @seed and call == 'rnorm(200)'")["value"].to_numpy()
    assert expected.size == 200
    np.testing.assert_allclose(RRandom(seed).rnorm(200), expected, rtol=RTOL, atol=0)


@pytest.mark.parametrize("seed", [123, 0, 1, 42, -1, 2147483647, -2147483647])
def test_runif_matches_r_set_seed(seeds_table, seed):
    # R: set.seed(seed); runif(200)
    expected = seeds_table.query("seed == @seed and call == 'runif(200)'")["value"].to_numpy()
    assert expected.size == 200
    np.testing.assert_allclose(RRandom(seed).runif(200), expected, rtol=RTOL, atol=0)


def test_long_stream_and_its_tails_match_r(read_reference):
    # R: set.seed(2718); x <- rnorm(200000); sampled positions plus which.min/which.max
    ref = read_reference(FOLDER + "rng_long.csv")
    x = RRandom(2718).rnorm(200_000)
    np.testing.assert_allclose(x[ref["index"] - 1], ref["value"], rtol=RTOL, atol=0)
    assert x.argmin() + 1 in set(ref["index"]) and x.argmax() + 1 in set(ref["index"])


def test_successive_calls_continue_r_stream(read_reference):
    # R: set.seed(2024); rnorm(5); runif(4); rnorm(6, 3, 2); ... (each call in the CSV)
    ref = read_reference(FOLDER + "rng_stream.csv")
    rng = RRandom(2024)
    calls = {
        "rnorm(5)": lambda: rng.rnorm(5),
        "runif(4)": lambda: rng.runif(4),
        "rnorm(6, mean = 3, sd = 2)": lambda: rng.rnorm(6, mean=3, sd=2),
        "runif(3, min = -2, max = 5)": lambda: rng.runif(3, min=-2, max=5),
        "rnorm(7, mean = c(0, 10, 20), sd = c(1, 0))": lambda: rng.rnorm(
            7, mean=[0, 10, 20], sd=[1, 0]
        ),
        "runif(5, min = c(0, 1), max = c(1, 1, 3))": lambda: rng.runif(
            5, min=[0, 1], max=[1, 1, 3]
        ),
        "rnorm(3)": lambda: rng.rnorm(3),
    }
    order = list(dict.fromkeys(ref["call"]))
    assert order == list(calls)
    for call in order:
        expected = ref.loc[ref["call"] == call, "value"].to_numpy()
        np.testing.assert_allclose(calls[call](), expected, rtol=RTOL, atol=0, err_msg=call)


def test_zero_draws_leave_the_stream_untouched():
    rng = RRandom(5)
    assert rng.rnorm(0).shape == (0,) and rng.runif(0).shape == (0,)
    np.testing.assert_array_equal(rng.rnorm(3), RRandom(5).rnorm(3))


def test_whole_float_seed_equals_int_seed():
    np.testing.assert_array_equal(RRandom(123.0).rnorm(4), RRandom(123).rnorm(4))
    np.testing.assert_array_equal(RRandom(np.int64(-7)).runif(4), RRandom(-7).runif(4))


def test_uniforms_stay_inside_zero_one():
    u = RRandom(99).runif(100_000)
    assert u.min() > 0 and u.max() < 1


@pytest.mark.parametrize(
    ("seed", "error", "message"),
    [
        (1.5, ValueError, "whole number"),
        ("123", TypeError, "'123'"),
        (True, TypeError, "True"),
        (2**31, ValueError, "2147483648 is out of range.*-2147483647 and 2147483647"),
        (-(2**31), ValueError, "-2147483648 is out of range"),
    ],
)
def test_bad_seed_is_a_clear_error(seed, error, message):
    with pytest.raises(error, match=message):
        RRandom(seed)


def test_bad_draw_arguments_are_clear_errors():
    rng = RRandom(1)
    with pytest.raises(ValueError, match="n must be a non-negative integer.*-1"):
        rng.rnorm(-1)
    with pytest.raises(TypeError, match="n must be a non-negative integer.*2.5"):
        rng.runif(2.5)
    with pytest.raises(ValueError, match="sd must be >= 0; got -1"):
        rng.rnorm(3, sd=-1)
    with pytest.raises(ValueError, match="max must be >= min; got min=2.0 and max=1.0"):
        rng.runif(3, min=2, max=1)
    with pytest.raises(ValueError, match="mean must be finite"):
        rng.rnorm(3, mean=np.nan)


def test_failed_call_does_not_consume_the_stream():
    rng = RRandom(8)
    with pytest.raises(ValueError):
        rng.rnorm(3, sd=[1, -1])
    np.testing.assert_array_equal(rng.rnorm(3), RRandom(8).rnorm(3))
