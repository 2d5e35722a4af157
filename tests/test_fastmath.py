"""The kernel's float32 fast_exp / fast_log (w2gm/_fastmath.pxd) against float64 NumPy.

Bounds asserted: at most 1 ulp of the float64 result (rounded to float32 ulps) on every finite
input of the documented ranges (measured exhaustively over all float32 inputs on x86-64: 0.991 ulp
for exp, 0.830 for log); special values exactly.  Every check runs on the scalar functions and on
their 4-lane vector versions (``lanes4``), which must also give the same bits.  On other machines
the C compiler may contract a * b + c into fused multiply-adds, which changes the rounding: there
the bound is 2 ulp.
"""
import platform

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from w2gm import _train_inner as ti
from w2gm.exceptions import ParameterError

BOUND = 1.0 if platform.machine() in ("x86_64", "AMD64") else 2.0
EXP_HI = np.float32(88.72283935546875)     # above it exp overflows float32: +inf
EXP_LO = np.float32(-87.33654022216797)    # float32(log(FLT_MIN)): below it results are flushed to 0
TINY = np.finfo(np.float32).tiny
F32_MAX = np.finfo(np.float32).max


def ulp_error(got, exact):
    """``|got - exact|`` in float32 ulps of ``exact`` (float64; subnormal ulps below FLT_MIN)."""
    exact = np.asarray(exact, dtype=np.float64)
    exponent = np.maximum(np.floor(np.log2(np.abs(exact))), -126)
    return np.abs(got.astype(np.float64) - exact) / 2.0 ** (exponent - 23)


def random_floats(n, lo_bits, hi_bits, seed):
    """``n`` float32 values from uniformly drawn bit patterns in ``[lo_bits, hi_bits)``."""
    bits = np.random.default_rng(seed).integers(lo_bits, hi_bits, n, dtype=np.uint64)
    return bits.astype(np.uint32).view(np.float32)


def check_exp(x, lanes4=False):
    """Every value of ``fast_exp_array(x, lanes4)`` is as documented."""
    x = np.asarray(x, dtype=np.float32)
    got = ti.fast_exp_array(x, lanes4)
    assert got.dtype == np.float32 and got.shape == x.shape
    inside = (x >= EXP_LO) & (x <= EXP_HI)
    with np.errstate(over="ignore"):
        exact = np.exp(x[inside].astype(np.float64))
    finite = exact <= F32_MAX
    assert ulp_error(got[inside][finite], exact[finite]).max(initial=0) <= BOUND
    assert np.all(got[inside][~finite] == np.inf)
    assert np.all(got[x > EXP_HI] == np.inf)
    assert np.all(got[x < EXP_LO] == 0)
    assert np.all(np.isnan(got[np.isnan(x)]))
    return got


def check_log(x, lanes4=False):
    """Every value of ``fast_log_array(x, lanes4)`` is as documented."""
    x = np.asarray(x, dtype=np.float32)
    got = ti.fast_log_array(x, lanes4)
    assert got.dtype == np.float32 and got.shape == x.shape
    positive = (x > 0) & (x < np.inf)
    exact = np.log(x[positive].astype(np.float64))
    nonzero = exact != 0
    assert ulp_error(got[positive][nonzero], exact[nonzero]).max(initial=0) <= BOUND
    assert np.all(got[positive][~nonzero] == 0)           # log(1) = 0 exactly
    assert np.all(got[x == 0] == -np.inf)
    assert np.all(got[x == np.inf] == np.inf)
    assert np.all(np.isnan(got[(x < 0) | np.isnan(x)]))
    return got


LANES = pytest.mark.parametrize("lanes4", [False, True], ids=["scalar", "lanes4"])


@LANES
def test_fast_exp_on_a_dense_grid(lanes4):
    """10^6 evenly spaced points over the whole range, and 10^6 random float32 bit patterns in it."""
    check_exp(np.linspace(EXP_LO, EXP_HI, 10**6, dtype=np.float32), lanes4)
    positive = random_floats(5 * 10**5, 0, 0x42B17218, seed=1)            # 0 .. 88.7228
    negative = random_floats(5 * 10**5, 0x80000000, 0xC2AEAC50, seed=2)   # -0 .. -87.3365
    check_exp(np.concatenate([positive, negative]), lanes4)


@LANES
def test_fast_exp_small_arguments(lanes4):
    """Near 0, where exp(x) is 1 + x: every float32 from -2^-10 to 2^-10 in steps, and tiny |x|."""
    check_exp(np.linspace(-2.0**-10, 2.0**-10, 10**5, dtype=np.float32), lanes4)
    tiny = random_floats(10**5, 0, 0x3A800000, seed=3)
    check_exp(np.concatenate([tiny, -tiny]), lanes4)


@LANES
def test_fast_exp_special_values_and_boundaries(lanes4):
    x = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1e30, -1e30, F32_MAX, -F32_MAX,
                  89.0, -88.0, -100.0, 1e-45, -1e-45], dtype=np.float32)
    got = check_exp(x, lanes4)
    want = np.array([np.nan, np.nan, np.inf, 0, 1, 1, np.inf, 0, np.inf, 0, np.inf, 0, 0, 1, 1],
                    dtype=np.float32)
    np.testing.assert_array_equal(got, want)
    # the overflow threshold: the float below it is the largest finite result, EXP_HI overflows
    below = np.nextafter(EXP_HI, np.float32(0))
    got = check_exp([below, EXP_HI, np.nextafter(EXP_HI, np.float32(np.inf))], lanes4)
    assert np.isfinite(got[0]) and got[0] > 3.4e38 and np.all(got[1:] == np.inf)
    # the flush threshold: results from FLT_MIN up are normal; below EXP_LO exactly 0, no subnormal
    got = check_exp([EXP_LO, np.nextafter(EXP_LO, np.float32(0)), np.nextafter(EXP_LO, np.float32(-np.inf)),
                     -87.5, -103.0, -104.0], lanes4)
    assert got[0] >= TINY and got[1] >= TINY
    np.testing.assert_array_equal(got[2:], 0)
    flushed = ti.fast_exp_array(np.linspace(-200.0, EXP_LO, 10**4, dtype=np.float32)[:-1], lanes4)
    np.testing.assert_array_equal(flushed, 0)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(width=32), min_size=1, max_size=64), st.booleans())
def test_fast_exp_any_float32(values, lanes4):
    check_exp(values, lanes4)


@LANES
def test_fast_log_on_a_dense_grid(lanes4):
    """10^6 random bit patterns of every positive finite float32 (normal and subnormal), 10^6 evenly
    spaced points around 1 (where the result is small and relative error matters most)."""
    check_log(random_floats(10**6, 1, 0x7F800000, seed=4), lanes4)
    check_log(np.linspace(0.5, 2.0, 10**6, dtype=np.float32), lanes4)
    check_log(np.linspace(1.0 - 2.0**-12, 1.0 + 2.0**-12, 10**5, dtype=np.float32), lanes4)


@LANES
def test_fast_log_subnormals(lanes4):
    """Every subnormal whose bit pattern is a multiple of 7, and the first and last 10^4."""
    bits = np.concatenate([np.arange(1, 0x800000, 7), np.arange(1, 10**4),
                           np.arange(0x800000 - 10**4, 0x800000)]).astype(np.uint32)
    check_log(bits.view(np.float32), lanes4)


@LANES
def test_fast_log_special_values_and_boundaries(lanes4):
    x = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, -1.0, -1e-45, -F32_MAX, 1.0,
                  1e-45, TINY, np.nextafter(TINY, np.float32(0)), F32_MAX, np.e, 2.0, 0.5],
                 dtype=np.float32)
    got = check_log(x, lanes4)
    np.testing.assert_array_equal(got[:10], np.array([np.nan, np.nan, np.inf, np.nan, -np.inf, -np.inf,
                                                      np.nan, np.nan, np.nan, 0.0], dtype=np.float32))
    # powers of two: e * ln 2 in float32, within 1 ulp
    powers = np.ldexp(np.float32(1), np.arange(-149, 128)).astype(np.float32)
    check_log(powers, lanes4)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(width=32), min_size=1, max_size=64), st.booleans())
def test_fast_log_any_float32(values, lanes4):
    check_log(values, lanes4)


@pytest.mark.parametrize("name", ["fast_exp_array", "fast_log_array"])
def test_four_lanes_give_the_scalar_bits_in_every_build(name, kernel_builds):
    """The 4-lane functions the spherical kernel uses return, bit for bit, what the scalar ones
    do (NaN payloads included), in the baseline and the AVX2 build alike: 10^6 random float32 bit
    patterns (every class: normal, subnormal, zero, inf, NaN), in lengths that leave 1-3 values
    for the padded last group."""
    x = random_floats(10**6 + 3, 0, 2**32, seed=5)
    x[:6] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0]
    want = getattr(ti, name)(x).view(np.uint32)
    for build in kernel_builds:
        for n in (len(x), len(x) - 1, len(x) - 2, 1):
            got = getattr(build, name)(x[:n], lanes4=True).view(np.uint32)
            np.testing.assert_array_equal(got, want[:n])
        np.testing.assert_array_equal(getattr(build, name)(x).view(np.uint32), want)


def test_wrappers_keep_the_shape_and_check_their_input():
    assert ti.fast_exp_array(np.zeros((2, 3))).shape == (2, 3)
    assert ti.fast_exp_array(np.ones((0, 4))).shape == (0, 4)
    assert ti.fast_exp_array(0.0).shape == ()
    x = np.linspace(-1, 1, 20, dtype=np.float32)[::2]     # not contiguous
    np.testing.assert_array_equal(ti.fast_exp_array(x), ti.fast_exp_array(x.copy()))
    with pytest.raises(ParameterError, match="array_like"):
        ti.fast_exp_array("text")
    assert ti.fast_log_array(np.ones((0, 4)), lanes4=True).shape == (0, 4)
    assert ti.fast_log_array(1.0, lanes4=True).shape == ()
    with pytest.raises(ParameterError, match="array_like"):
        ti.fast_log_array("text", lanes4=True)
