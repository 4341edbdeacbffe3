"""R's default random number generator, reproduced draw for draw.

R's ``set.seed(seed); rnorm(n)`` uses the Mersenne-Twister, seeded through R's own
scrambling, and makes normal deviates by inversion. :class:`RRandom` puts numpy's
``MT19937`` bit generator in exactly the state R's ``set.seed`` creates, draws the raw
32-bit words in bulk and applies R's transforms with numpy, so the guide's simulated
data can be rebuilt in Python to the last digit.
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtri

__all__ = ["RRandom"]

# R's integer seeds: NA_integer_ takes the value -2**31, so the range is symmetric.
SEED_MIN = -(2**31) + 1
SEED_MAX = 2**31 - 1

_MT_STATE_WORDS = 624
_UINT32 = 2**32
# MT_genrand scales a 32-bit word by 2^-32 (R's RNG.c); fixup keeps the result in (0, 1)
# using i2_32m1 = 1 / (2^32 - 1).
_MT_SCALE = 2.3283064365386963e-10
_I2_32M1 = 2.328306437080797e-10
# R's norm_rand (INVERSION): one uniform alone is too coarse in the tails, so a second
# uniform fills in the bits below 2^-27.
_BIG = 134217728.0


def _check_seed(seed: object) -> int:
    """Return ``seed`` as a Python int, or raise a clear error."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Real):
        raise TypeError(
            f"seed must be an integer between {SEED_MIN} and {SEED_MAX} "
            f"(as R's set.seed accepts); got {seed!r} of type {type(seed).__name__}"
        )
    if not isinstance(seed, numbers.Integral):
        if not float(seed).is_integer():
            raise ValueError(
                f"seed must be a whole number between {SEED_MIN} and {SEED_MAX}; got {seed!r}"
            )
    value = int(seed)
    if not SEED_MIN <= value <= SEED_MAX:
        raise ValueError(
            f"seed {value} is out of range: R's set.seed takes an integer between "
            f"{SEED_MIN} and {SEED_MAX}"
        )
    return value


def _r_seed_words(seed: int) -> NDArray[np.uint32]:
    """The 624 Mersenne-Twister words R's ``set.seed(seed)`` writes (RNG_Init in RNG.c).

    R scrambles the seed with the linear congruence ``seed = 69069 * seed + 1`` (in
    unsigned 32-bit arithmetic) 50 times, then fills its 625 seed words the same way;
    the first word is the position ``mti``, which FixupSeeds sets to 624.
    """
    state = seed % _UINT32
    for _ in range(50):
        state = (69069 * state + 1) % _UINT32
    words = np.empty(_MT_STATE_WORDS + 1, dtype=np.uint32)
    for j in range(_MT_STATE_WORDS + 1):
        state = (69069 * state + 1) % _UINT32
        words[j] = state
    return words[1:]


def _as_count(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"n must be a non-negative integer (number of draws); got {n!r}")
    if n < 0:
        raise ValueError(f"n must be a non-negative integer (number of draws); got {n}")
    return int(n)


def _recycle(name: str, value: ArrayLike, n: int) -> NDArray[np.float64]:
    """Recycle a scalar or vector parameter to length ``n``, as R's rnorm/runif do."""
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a number or a 1-D sequence; got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty (give a number or a non-empty sequence)")
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)][0]
        raise ValueError(f"{name} must be finite; got {bad}")
    # np.tile, not np.resize: resize concatenates n / size copies one by one (slow).
    return np.tile(arr, -(-n // arr.size))[:n]


class RRandom:
    """R's default random number generator (Mersenne-Twister, normals by inversion).

    ``RRandom(seed)`` is R's ``set.seed(seed)``: its ``rnorm`` and ``runif`` calls return
    the numbers R returns, and successive calls continue R's stream.

    Parameters
    ----------
    seed : int
        Any integer R's ``set.seed`` accepts, from -2147483647 to 2147483647 (negative
        seeds included). A float with a whole value (``123.0``) is accepted too.

    Notes
    -----
    R (``RNG.c``, ``snorm.c``; kinds ``"Mersenne-Twister"`` and ``"Inversion"``, the
    defaults) does the following, and so does this class:

    * ``set.seed(s)``: ``s <- 69069 s + 1`` (mod 2^32) 50 times, then 625 more times, each
      value becoming one seed word; the first word is the position (set to 624), the
      other 624 are the Mersenne-Twister state.
    * ``unif_rand()``: a tempered 32-bit word ``y`` gives ``u = y * 2^-32``, moved inside
      (0, 1) if it is 0 (``fixup``).
    * ``norm_rand()``: ``u = floor(BIG * u1) + u2`` with ``BIG = 2^27``, then
      ``qnorm(u / BIG)``; each normal consumes two uniforms.
    * ``rnorm(n, mean, sd) = mean + sd * norm_rand()`` and
      ``runif(n, min, max) = min + (max - min) * unif_rand()``. As in R, an element with
      ``sd == 0`` (or ``min == max``) returns ``mean`` (``min``) without drawing.

    ``mean``, ``sd``, ``min`` and ``max`` may be numbers or sequences, recycled to
    length ``n`` as R recycles them. R's ``qnorm`` (Wichura's AS 241) is replaced by
    ``scipy.special.ndtri``; the two agree to about 1e-15 relative.

    Examples
    --------
    >>> from hlmtutor import RRandom
    >>> rng = RRandom(123)
    >>> rng.rnorm(3).round(6)  # R: set.seed(123); rnorm(3)
    array([-0.560476, -0.230177,  1.558708])
    >>> rng.runif(2).round(6)  # continues the stream, as R's next runif(2) would
    array([0.528105, 0.892419])
    """

    def __init__(self, seed: int) -> None:
        self.seed = _check_seed(seed)
        self._bitgen = np.random.MT19937()
        self._bitgen.state = {
            "bit_generator": "MT19937",
            "state": {"key": _r_seed_words(self.seed), "pos": _MT_STATE_WORDS},
        }

    def __repr__(self) -> str:
        return f"RRandom(seed={self.seed})"

    def _unif_rand(self, n: int) -> NDArray[np.float64]:
        """``n`` of R's ``unif_rand()`` values, in stream order."""
        if n == 0:
            return np.empty(0)
        words = self._bitgen.random_raw(n).astype(np.float64)
        u = words * _MT_SCALE
        # fixup(): the largest word gives 1 - 2^-32 < 1, so only 0 needs moving.
        u[u <= 0.0] = 0.5 * _I2_32M1
        u[(1.0 - u) <= 0.0] = 1.0 - 0.5 * _I2_32M1
        return u

    def _norm_rand(self, n: int) -> NDArray[np.float64]:
        """``n`` of R's ``norm_rand()`` values (inversion from two uniforms each)."""
        u = self._unif_rand(2 * n)
        first, second = u[0::2], u[1::2]
        # (int)(BIG * u) in C truncates; u > 0, so floor is the same.
        return ndtri((np.floor(_BIG * first) + second) / _BIG)

    def rnorm(self, n: int, mean: ArrayLike = 0.0, sd: ArrayLike = 1.0) -> NDArray[np.float64]:
        """Draw ``n`` normal deviates, as R's ``rnorm(n, mean, sd)``.

        Parameters
        ----------
        n : int
            Number of draws (0 or more).
        mean, sd : float or sequence of float
            Mean and standard deviation, recycled to length ``n``; ``sd`` must be >= 0.

        Returns
        -------
        numpy.ndarray
            ``n`` floats.

        Notes
        -----
        ``mean + sd * qnorm((floor(2^27 u1) + u2) / 2^27)``, matching R's ``rnorm`` with
        ``RNGkind(normal.kind = "Inversion")`` (R's default).

        Examples
        --------
        >>> RRandom(123).rnorm(2, mean=50, sd=10).round(4)
        array([44.3952, 47.6982])
        """
        n = _as_count(n)
        means = _recycle("mean", mean, n)
        sds = _recycle("sd", sd, n)
        if np.any(sds < 0):
            raise ValueError(f"sd must be >= 0; got {sds[sds < 0][0]}")
        out = means.copy()
        draws = sds != 0  # R returns the mean for sd == 0 without consuming the stream
        out[draws] += sds[draws] * self._norm_rand(int(draws.sum()))
        return out

    def runif(self, n: int, min: ArrayLike = 0.0, max: ArrayLike = 1.0) -> NDArray[np.float64]:
        """Draw ``n`` uniform deviates on (min, max), as R's ``runif(n, min, max)``.

        Parameters
        ----------
        n : int
            Number of draws (0 or more).
        min, max : float or sequence of float
            Limits, recycled to length ``n``; ``max`` must be >= ``min``.

        Returns
        -------
        numpy.ndarray
            ``n`` floats.

        Notes
        -----
        ``min + (max - min) * u`` with ``u`` R's ``unif_rand()``, matching R's ``runif``.

        Examples
        --------
        >>> RRandom(42).runif(3, min=1, max=2).round(6)
        array([1.914806, 1.937075, 1.28614 ])
        """
        n = _as_count(n)
        lows = _recycle("min", min, n)
        highs = _recycle("max", max, n)
        if np.any(highs < lows):
            i = int(np.argmax(highs < lows))
            raise ValueError(f"max must be >= min; got min={lows[i]} and max={highs[i]}")
        out = lows.copy()
        draws = highs != lows  # R returns min for min == max without consuming the stream
        out[draws] += (highs[draws] - lows[draws]) * self._unif_rand(int(draws.sum()))
        return out
