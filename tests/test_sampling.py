"""Tests for w2gm._sampling: subsampling thresholds, alias table, windows, RNG."""

import numpy as np
import pytest
import reference as ref
from scipy import stats

from w2gm import _sampling as smp
from w2gm.exceptions import ParameterError

TWO32 = 2.0 ** 32
ALWAYS = 0xFFFFFFFF
COUNTS = np.array([1, 2, 3, 5, 8, 20, 50, 100, 400, 1000, 7, 13], dtype=np.int64)


# ---------------------------------------------------------------------------
# Subsampling thresholds
# ---------------------------------------------------------------------------

def expected_thresholds(counts, sample):
    counts = np.asarray(counts, dtype=np.float64)
    t = sample * counts.sum()
    f = counts / t                                 # count in units of the threshold
    p = np.sqrt(1.0 / f) + 1.0 / f                 # (sqrt(c/t) + 1) * t/c, expanded
    return np.where(p >= 1.0, float(ALWAYS), np.floor(p * TWO32)), p


@pytest.mark.parametrize("sample", [1e-3, 1e-2, 0.05])
def test_subsampling_thresholds_formula(sample):
    counts = np.array([1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 37, 5000])
    got = smp.subsampling_thresholds(counts, sample)
    assert got.dtype == np.uint32 and got.shape == counts.shape
    want, p = expected_thresholds(counts, sample)
    # floor() of two algebraically equal expressions may differ by one ulp step
    assert np.all(np.abs(got.astype(np.float64) - want) <= 1.0)
    # rare words are always kept, frequent ones are not, and the threshold
    # decreases with the count
    assert np.all(got[p >= 1.0] == ALWAYS)
    assert np.any(p < 1.0) and np.all(got[p < 1.0] < ALWAYS)
    order = np.argsort(counts)
    assert np.all(np.diff(got[order].astype(np.int64)) <= 0)


def test_subsampling_thresholds_values():
    # t = 1e-3 * 1e6 = 1000: the word of count 1e6 is kept with p = sqrt(1e-3) + 1e-3
    counts = np.array([999_000, 1000])
    got = smp.subsampling_thresholds(counts, 1e-3)
    total = counts.sum()
    t = 1e-3 * total
    p0 = (np.sqrt(counts[0] / t) + 1) * t / counts[0]
    assert abs(int(got[0]) - np.floor(p0 * TWO32)) <= 1
    assert got[1] == ALWAYS                        # c = t -> p = 2 -> always kept


def test_subsampling_disabled_and_errors():
    assert np.all(smp.subsampling_thresholds(COUNTS, 0.0) == ALWAYS)
    with pytest.raises(ValueError):
        smp.subsampling_thresholds(COUNTS, -1e-5)
    with pytest.raises(ValueError):
        smp.subsampling_thresholds([3, 0, 2], 1e-3)
    with pytest.raises(ValueError):
        smp.subsampling_thresholds(np.ones((2, 2)), 1e-3)


# ---------------------------------------------------------------------------
# Alias table for the unigram^0.75 noise distribution
# ---------------------------------------------------------------------------

def implied_probabilities(alias_prob, alias_index):
    """Probability of each word implied by an alias table (uniform column)."""
    V = len(alias_prob)
    keep = alias_prob.astype(np.float64) / TWO32
    mass = keep / V
    np.add.at(mass, alias_index, (1.0 - keep) / V)
    return mass


@pytest.mark.parametrize("power", [0.75, 1.0, 0.0])
def test_alias_table_reconstructs_distribution(power):
    ap, ai = smp.build_alias_table(COUNTS, power)
    assert ap.dtype == np.uint32 and ai.dtype == np.int32
    assert ap.shape == ai.shape == COUNTS.shape
    assert ai.min() >= 0 and ai.max() < len(COUNTS)
    target = COUNTS.astype(np.float64) ** power
    target /= target.sum()
    got = implied_probabilities(ap, ai)
    np.testing.assert_allclose(got, target, rtol=0, atol=1e-6)


def test_alias_table_random_vocabulary():
    counts = np.random.default_rng(3).integers(1, 10_000, size=500)
    ap, ai = smp.build_alias_table(counts)
    target = counts.astype(np.float64) ** 0.75
    target /= target.sum()
    np.testing.assert_allclose(implied_probabilities(ap, ai), target, rtol=1e-6, atol=1e-9)


def test_alias_table_errors():
    with pytest.raises(ValueError):
        smp.build_alias_table([])
    with pytest.raises(ValueError):
        smp.build_alias_table([1, 0, 2])


def test_draw_negatives_frequencies():
    ap, ai = smp.build_alias_table(COUNTS)
    n = 200_000
    draws = smp.draw_negatives(ap, ai, n, 12345)
    assert draws.dtype == np.int32 and draws.shape == (n,)
    assert draws.min() >= 0 and draws.max() < len(COUNTS)
    observed = np.bincount(draws, minlength=len(COUNTS))
    target = COUNTS.astype(np.float64) ** 0.75
    target /= target.sum()
    assert np.max(np.abs(observed / n - target)) < 0.01
    chi2 = stats.chisquare(observed, target * n)
    assert chi2.pvalue > 1e-3
    # the plain unigram distribution is clearly rejected (the test has power)
    unigram = COUNTS / COUNTS.sum()
    assert stats.chisquare(observed, unigram * n).pvalue < 1e-10


def test_draw_negatives_single_word_and_forced_alias():
    ap, ai = smp.build_alias_table([5])
    assert np.all(smp.draw_negatives(ap, ai, 1000, 1) == 0)
    # alias_prob all zero: every draw is the alias of its column
    ap = np.zeros(4, dtype=np.uint32)
    ai = np.full(4, 2, dtype=np.int32)
    assert np.all(smp.draw_negatives(ap, ai, 1000, 9) == 2)
    with pytest.raises(ValueError):
        smp.draw_negatives(np.zeros(3, np.uint32), np.zeros(2, np.int32), 5, 0)


# ---------------------------------------------------------------------------
# Reduced windows
# ---------------------------------------------------------------------------

def test_draw_windows_uniform():
    window, n = 5, 100_000
    w = smp.draw_windows(window, n, 7)
    assert w.min() == 1 and w.max() == window
    counts = np.bincount(w, minlength=window + 1)
    assert counts[0] == 0 and np.all(counts[1:] > 0)
    np.testing.assert_allclose(counts[1:] / n, 1.0 / window, atol=0.01)
    assert stats.chisquare(counts[1:]).pvalue > 1e-3


def test_draw_windows_edge_cases():
    assert np.all(smp.draw_windows(1, 1000, 3) == 1)
    with pytest.raises(ValueError):
        smp.draw_windows(0, 10, 3)


# ---------------------------------------------------------------------------
# Subsampling of an index array
# ---------------------------------------------------------------------------

def test_subsample_keep_rate():
    n = 100_000
    p = 0.3
    thresholds = np.array([int(p * TWO32), ALWAYS, 0], dtype=np.uint32)
    words = np.tile(np.array([0, 1, 2], dtype=np.int32), n)
    kept = smp.subsample(words, thresholds, 11)
    counts = np.bincount(kept, minlength=3)
    assert abs(counts[0] / n - p) < 0.01
    assert counts[1] == n                          # always kept
    assert counts[2] == 0                          # never kept
    # every word 1 is kept, so between two consecutive 1s at most one 0 survives
    ones = np.flatnonzero(kept == 1)
    assert np.all(np.diff(ones) <= 2)


def test_subsample_always_keep_consumes_nothing():
    words = np.arange(50, dtype=np.int32) % 5
    thresholds = np.full(5, ALWAYS, dtype=np.uint32)
    np.testing.assert_array_equal(smp.subsample(words, thresholds, 1), words)
    with pytest.raises(IndexError):
        smp.subsample(np.array([0, 5], dtype=np.int32), thresholds, 1)


# ---------------------------------------------------------------------------
# Random number generator
# ---------------------------------------------------------------------------

def test_random_uint32_statistics():
    x = smp.random_uint32(200_000, 0)
    assert x.dtype == np.uint32
    assert abs(x.astype(np.float64).mean() / 2.0 ** 31 - 1.0) < 0.01
    # the high bits and low bits are both balanced
    assert abs((x >> 31).mean() - 0.5) < 0.01
    assert abs((x & 1).mean() - 0.5) < 0.01
    assert len(np.unique(x)) > 199_000


def test_determinism_and_seed_dependence():
    ap, ai = smp.build_alias_table(COUNTS)
    th = smp.subsampling_thresholds(COUNTS, 0.05)
    words = np.random.default_rng(0).integers(0, len(COUNTS), 5000).astype(np.int32)
    calls = [
        lambda s: smp.random_uint32(1000, s),
        lambda s: smp.draw_negatives(ap, ai, 1000, s),
        lambda s: smp.draw_windows(10, 1000, s),
        lambda s: smp.subsample(words, th, s),
    ]
    for call in calls:
        a, b, c = call(42), call(42), call(43)
        np.testing.assert_array_equal(a, b)
        assert a.shape != c.shape or np.any(a != c)


def test_generator_matches_documented_xorshift64star():
    """Bit-exact agreement with a Python replica of xorshift64* / splitmix64.

    The trainer reference in test_train_inner relies on this replica.
    """
    for seed in (0, 1, 2 ** 63 + 5, 123456789):
        rng = ref.Rng(seed)
        want = [rng.uint32() for _ in range(200)]
        np.testing.assert_array_equal(smp.random_uint32(200, seed), want)
    rng = ref.Rng(5)
    np.testing.assert_array_equal(smp.draw_windows(7, 300, 5),
                                  [7 - rng.below(7) for _ in range(300)])
    ap, ai = smp.build_alias_table(COUNTS)
    rng = ref.Rng(6)
    np.testing.assert_array_equal(smp.draw_negatives(ap, ai, 300, 6),
                                  [rng.negative(ap, ai) for _ in range(300)])
    th = smp.subsampling_thresholds(COUNTS, 0.05)
    words = np.random.default_rng(1).integers(0, len(COUNTS), 500).astype(np.int32)
    rng = ref.Rng(8)
    np.testing.assert_array_equal(smp.subsample(words, th, 8),
                                  [w for w in words if rng.keep(int(th[w]))])


# ---------------------------------------------------------------------------
# Bad input: rejected with a named error instead of wrapping or a silent table
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("counts, match", [
    ([1, np.nan, 3], r"counts must be finite, got nan at index 1"),
    ([1, np.inf], r"counts must be finite, got inf at index 1"),
    ([np.nan, -1], r"counts must be finite, got nan at index 0"),   # NaN hid the negative count
    ([2, -np.inf], r"counts must be finite, got -inf at index 1"),
    ([2, -1, 3], r"counts must be positive, got -1.0 at index 1"),
    ([1e308, 1e308], r"counts must sum to a finite number, got inf"),
    (["a", "b"], r"counts must be numbers"),
])
def test_subsampling_thresholds_rejects_bad_counts(counts, match):
    # NaN and inf counts used to give "always keep" for every word, silently
    with pytest.raises(ParameterError, match=match):
        smp.subsampling_thresholds(counts, 1e-3)


@pytest.mark.parametrize("sample", [np.nan, np.inf, -np.inf, -1e-5])
def test_subsampling_thresholds_rejects_a_bad_sample(sample):
    with pytest.raises(ParameterError, match=rf"sample must be a finite number >= 0, got {sample!r}"):
        smp.subsampling_thresholds(COUNTS, sample)


@pytest.mark.parametrize("counts, power, match", [
    ([1, np.nan, 3], 0.75, r"counts must be finite, got nan at index 1"),
    ([1, np.inf, 3], 0.75, r"counts must be finite, got inf at index 1"),
    ([np.nan, -1], 0.75, r"counts must be finite, got nan at index 0"),
    ([3, -1], 0.75, r"counts must be positive, got -1.0 at index 1"),
    ([1, 2], np.nan, r"power must be a finite number, got nan"),
    ([1, 2], np.inf, r"power must be a finite number, got inf"),
    ([0.5, 0.5], 2000.0, r"counts \*\* power must be finite with a positive sum, got sum 0.0"),
    ([10, 20], 400.0, r"counts \*\* power must be finite with a positive sum, got sum inf"),
    ([1e308, 1e308], 1.0, r"counts \*\* power must be finite with a positive sum, got sum inf"),
    (np.ones((2, 2)), 0.75, r"counts must be a non-empty 1-d array, got shape \(2, 2\)"),
    (["x"], 0.75, r"counts must be numbers"),
])
def test_alias_table_rejects_non_finite_negative_and_degenerate_weights(counts, power, match):
    # NaN, inf and underflowing/overflowing weights used to give a silent, wrong table
    with pytest.raises(ParameterError, match=match):
        smp.build_alias_table(counts, power)


def test_alias_table_rejects_more_words_than_int32_indices():
    huge = np.broadcast_to(np.float64(1), (2**31,))          # no memory behind it
    with pytest.raises(ParameterError, match="at most 2147483647 words, got 2147483648"):
        smp.build_alias_table(huge)


def test_draw_windows_rejects_windows_beyond_int32():
    # window 2**32 - 1 used to come back as negative int32 windows
    for window in (2**31, 2**32 - 1, 2**64, 0, -1, True, 2.0):
        with pytest.raises(ParameterError, match=rf"window must be an integer from 1 to 2147483647, "
                                                 rf"got {window!r}"):
            smp.draw_windows(window, 10, 3)
    w = smp.draw_windows(2**31 - 1, 10_000, 3)
    assert w.min() >= 1 and w.max() <= 2**31 - 1 and w.max() > 2**30


def test_subsample_rejects_word_indices_and_thresholds_that_would_wrap():
    thresholds = np.full(2, ALWAYS, dtype=np.uint32)
    # int64 index 2**32 used to be cast to int32 0 and kept as word 0
    with pytest.raises(IndexError, match="word index 4294967296 out of range for 2 thresholds"):
        smp.subsample(np.array([2**32, 1]), thresholds, 1)
    with pytest.raises(IndexError, match="word index -1 out of range"):
        smp.subsample(np.array([-1, 1]), thresholds, 1)
    with pytest.raises(ParameterError, match="words must be a 1-d array of integers, got float64"):
        smp.subsample(np.array([0.7, 1.0]), thresholds, 1)
    # a threshold of -1 used to become 0xFFFFFFFF (always keep), 2**33 became 0 (never keep)
    with pytest.raises(ParameterError, match=r"thresholds must be integers in 0..4294967295, got -1"):
        smp.subsample(np.array([0, 1]), np.array([-1, 2]), 1)
    with pytest.raises(ParameterError, match="thresholds must be integers in 0..4294967295, got 8589934592"):
        smp.subsample(np.array([0, 1]), np.array([0, 2**33]), 1)
    with pytest.raises(ParameterError, match="thresholds must be a 1-d array of integers, got float64"):
        smp.subsample(np.array([0, 1]), np.array([0.5, 1.0]), 1)
    # plain lists of in-range integers are fine, as before
    np.testing.assert_array_equal(smp.subsample([1, 0, 1], [ALWAYS, ALWAYS], 1), [1, 0, 1])
    assert smp.subsample([], [ALWAYS], 1).shape == (0,)


def test_draw_negatives_rejects_tables_that_would_wrap():
    ap = np.full(3, ALWAYS, dtype=np.uint32)
    ai = np.zeros(3, dtype=np.int32)
    with pytest.raises(ParameterError, match=r"alias_prob must be integers in 0..4294967295, got -1"):
        smp.draw_negatives(np.array([-1, 0, 0]), ai, 5, 0)
    with pytest.raises(ParameterError, match=r"alias_index must be integers in 0..2, got 3"):
        smp.draw_negatives(ap, np.array([0, 3, 0]), 5, 0)
    with pytest.raises(ParameterError, match=r"alias_index must be integers in 0..2, got 4294967296"):
        smp.draw_negatives(ap, np.array([0, 2**32, 0]), 5, 0)
    with pytest.raises(ParameterError, match="alias_prob must be a 1-d array of integers, got float64"):
        smp.draw_negatives(np.ones(3), ai, 5, 0)


@pytest.mark.parametrize("call", [
    lambda seed: smp.random_uint32(3, seed),
    lambda seed: smp.draw_windows(3, 3, seed),
    lambda seed: smp.draw_negatives(np.zeros(2, np.uint32), np.ones(2, np.int32), 3, seed),
    lambda seed: smp.subsample(np.zeros(3, np.int32), np.zeros(1, np.uint32), seed),
], ids=["random_uint32", "draw_windows", "draw_negatives", "subsample"])
def test_seeds_and_lengths_outside_their_range_raise_parameter_error(call):
    for seed in (-1, 2**64, 1.0, True):
        with pytest.raises(ParameterError, match=rf"seed must be an integer from 0 to 2\*\*64 - 1, "
                                                 rf"got {seed!r}"):
            call(seed)
    assert len(call(2**64 - 1)) <= 3


@pytest.mark.parametrize("n", [-1, 2**63, 2**64, 1.5, True])
def test_draw_lengths_outside_their_range_raise_parameter_error(n):
    with pytest.raises(ParameterError, match=rf"n must be an integer from 0 to {2**63 - 1}, got {n!r}"):
        smp.random_uint32(n, 0)
    with pytest.raises(ParameterError, match=r"n must be an integer"):
        smp.draw_windows(3, n, 0)
    with pytest.raises(ParameterError, match=r"n must be an integer"):
        smp.draw_negatives(np.zeros(2, np.uint32), np.ones(2, np.int32), n, 0)
