# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Word sampling for skip-gram training (paper Appendix A.2, "Word Sampling").

* subsampling of frequent words (Mikolov et al., 2013b), as thresholds that the
  kernel compares with 32-bit random numbers;
* the unigram^0.75 noise distribution for negative context words (the
  exponent is the ``ns_exponent`` setting), as a Walker / Vose alias table
  (O(1) per draw, O(V) memory);
* reduced windows: the effective window of each centre word is uniform in
  ``1..window`` (unless ``shrink_windows=False``, where the kernel uses the
  full window);
* a per-job xorshift64* random number generator (declared in ``_sampling.pxd``).

The ``cdef inline`` primitives live in ``_sampling.pxd`` and are used by the
training kernel without the GIL.  The Python functions here build the tables
once per vocabulary and expose the primitives to the tests.
"""

import numbers

import numpy as np
cimport numpy as cnp
from libc.stdint cimport uint64_t, uint32_t, int32_t
from libc.math cimport floor, fmin, sqrt

from w2gm.exceptions import ParameterError

cnp.import_array()


# Argument checks.  The helpers below cast to fixed-width C types (uint64 seeds, uint32
# thresholds and alias probabilities, int32 word indices and windows); a value outside the
# type would wrap silently, so every value is checked first and a ParameterError names it.

# word indices are int32 (as in the training kernel)
_MAX_WORDS = 2147483647
_MAX_N = 9223372036854775807          # Py_ssize_t
_MAX_UINT32 = 4294967295


def _check_seed(seed):
    """`seed` as a Python int; :class:`ParameterError` unless an integer in ``0 .. 2**64 - 1``."""
    if (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
            or not 0 <= seed <= 0xFFFFFFFFFFFFFFFF):
        raise ParameterError(f"seed must be an integer from 0 to 2**64 - 1, got {seed!r}")
    return int(seed)


def _check_int(value, name, low, high):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
        raise ParameterError(f"{name} must be an integer from {low} to {high}, got {value!r}")
    return int(value)


def _int_array(values, name, high):
    """`values` as a 1-d integer ndarray (its own dtype) with every entry in ``0..high``."""
    a = np.asarray(values)
    if a.ndim != 1 or (a.size and a.dtype.kind not in "iu"):
        raise ParameterError(f"{name} must be a 1-d array of integers, got {a.dtype} of shape {a.shape}")
    if a.size:
        for extreme in (a.min(), a.max()):
            if not 0 <= extreme <= high:
                raise ParameterError(f"{name} must be integers in 0..{high}, got {int(extreme)}")
    return a


def _float_counts(counts):
    """`counts` as a float64 array (no copy if it is one); ParameterError if not numbers."""
    try:
        return np.asarray(counts, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ParameterError(f"counts must be numbers: {e}") from None


def _check_finite_positive(c):
    """ParameterError naming the first count of `c` that is NaN, infinite or not positive."""
    if not np.isfinite(c).all():
        i = int(np.flatnonzero(~np.isfinite(c))[0])
        raise ParameterError(f"counts must be finite, got {float(c[i])!r} at index {i}")
    if c.size and c.min() <= 0:
        i = int(np.flatnonzero(c <= 0)[0])
        raise ParameterError(f"counts must be positive, got {float(c[i])!r} at index {i}")


def subsampling_thresholds(counts, double sample):
    """Keep-probabilities of frequent-word subsampling, as uint32 thresholds.

    Uses word2vec's formula: with ``t = sample * total``, a word of count ``c``
    is kept with probability ``min(1, (sqrt(c / t) + 1) * t / c)`` (the paper's
    Appendix A.2 quotes the simpler ``sqrt(t / f)``; word2vec, gensim and the
    original Word2GM use this form).

    Parameters
    ----------
    counts : array_like of int, shape (V,)
        Corpus count of every vocabulary word.
    sample : float
        Threshold ``t`` as a fraction of the corpus (``1e-5`` in the paper);
        0 disables subsampling.

    Returns
    -------
    ndarray of uint32, shape (V,)
        ``floor(p_keep * 2**32)``, with ``0xFFFFFFFF`` meaning "always keep".

    Raises
    ------
    ParameterError
        (a ``ValueError``) if ``sample`` is negative, NaN or infinite, or
        ``counts`` is not a 1-d array of finite positive numbers with a
        finite sum (the message names the first bad count and its index).
    """
    if not 0 <= sample < np.inf:
        raise ParameterError(f"sample must be a finite number >= 0, got {sample!r}")
    c = np.ascontiguousarray(_float_counts(counts))
    if c.ndim != 1:
        raise ParameterError(f"counts must be one-dimensional, got shape {c.shape}")
    _check_finite_positive(c)
    with np.errstate(over="ignore"):
        total = c.sum()
    if not np.isfinite(total):
        raise ParameterError(f"counts must sum to a finite number, got {float(total)!r}")
    out = np.full(c.shape, 0xFFFFFFFF, dtype=np.uint32)
    if sample == 0 or c.size == 0:
        return out
    # one pass without (V,) temporaries; the same operations, in the same order, as the
    # NumPy expression (sqrt(c / t) + 1) * t / c
    cdef double t = sample * total
    cdef double p
    cdef const double[::1] cv = c
    cdef uint32_t[::1] ov = out
    cdef Py_ssize_t i
    for i in range(cv.shape[0]):
        p = (sqrt(cv[i] / t) + 1.0) * t / cv[i]
        if p < 1.0:
            ov[i] = <uint32_t>floor(p * 4294967296.0)
    return out


def build_alias_table(counts, double power=0.75):
    """Alias table of the noise distribution ``P_n(w) ~ count(w) ** power``.

    Vose's alias method: column ``k`` is chosen uniformly, then word ``k`` is
    taken with probability ``alias_prob[k] / 2**32``, else ``alias_index[k]``.

    Parameters
    ----------
    counts : array_like of int, shape (V,)
        Corpus counts, all positive; V at most 2**31 - 1.
    power : float
        Distortion exponent (0.75 in word2vec and the paper, Appendix A.2).

    Returns
    -------
    alias_prob : ndarray of uint32, shape (V,)
    alias_index : ndarray of int32, shape (V,)

    Raises
    ------
    ParameterError
        (a ``ValueError``) if ``counts`` is empty, longer than 2**31 - 1,
        or has a NaN, infinite or non-positive entry (the message names
        the first and its index); if ``power`` is NaN or infinite; or if the
        weights ``counts ** power`` underflow to a zero sum or overflow.
    """
    if not -np.inf < power < np.inf:
        raise ParameterError(f"power must be a finite number, got {power!r}")
    w = _float_counts(counts)
    if w.ndim != 1 or w.size == 0:
        raise ParameterError(f"counts must be a non-empty 1-d array, got shape {w.shape}")
    cdef Py_ssize_t n = w.shape[0]
    if n > _MAX_WORDS:
        raise ParameterError(f"at most {_MAX_WORDS} words, got {n}")
    _check_finite_positive(w)
    # Memory: 20 bytes per word at the peak (the float64 weights, scaled in place, the
    # uint32 probabilities, the int32 aliases and one int32 work array whose front holds
    # the "small" stack and whose back holds the "large" stack; together they never hold
    # more than n entries).
    if w is counts or w.base is not None or not w.flags.writeable or not w.flags.c_contiguous:
        w = np.array(w, dtype=np.float64)
    with np.errstate(over="ignore", under="ignore"):
        np.power(w, power, out=w)
        total = w.sum()
    # positive counts to a finite power are >= 0 or inf: a finite positive sum is a valid
    # distribution
    if not 0 < total < np.inf:
        raise ParameterError(f"counts ** power must be finite with a positive sum, got sum "
                             f"{float(total)!r} (power {power!r})")
    w *= n / total
    cdef double[::1] scaled = w
    alias = np.arange(n, dtype=np.int32)
    out = np.full(n, 0xFFFFFFFF, dtype=np.uint32)   # probability 1 unless set below
    cdef int32_t[::1] av = alias
    cdef uint32_t[::1] pv = out
    cdef int32_t[::1] work = np.empty(n, dtype=np.int32)
    cdef Py_ssize_t ns = 0, nl = 0, i, small, large
    for i in range(n):
        if scaled[i] < 1.0:
            work[ns] = <int32_t>i
            ns += 1
        else:
            work[n - 1 - nl] = <int32_t>i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        small = work[ns]
        large = work[n - nl]
        pv[small] = <uint32_t>fmin(floor(scaled[small] * 4294967296.0), 4294967295.0)
        av[small] = <int32_t>large
        scaled[large] = (scaled[large] + scaled[small]) - 1.0
        if scaled[large] < 1.0:
            nl -= 1
            work[ns] = <int32_t>large
            ns += 1
    # leftovers (numerical round-off) keep probability 1 and alias to themselves
    return out, alias


def draw_negatives(alias_prob, alias_index, n, seed):
    """Draw ``n`` negative words with the kernel's own sampler (for tests).

    Returns
    -------
    ndarray of int32, shape (n,)

    Raises
    ------
    ParameterError
        (a ``ValueError``) if the tables are not non-empty integer arrays of
        equal length with ``alias_prob`` in ``0..2**32 - 1`` and
        ``alias_index`` in ``0..V - 1``, or ``n`` or ``seed`` is out of range.
    """
    cdef Py_ssize_t count = _check_int(n, "n", 0, _MAX_N)
    cdef uint64_t state = rng_seed(_check_seed(seed))
    prob = _int_array(alias_prob, "alias_prob", _MAX_UINT32)
    if prob.shape[0] != np.shape(alias_index)[0] or prob.shape[0] == 0:
        raise ParameterError("alias_prob and alias_index must be non-empty and of equal length, "
                             f"got {prob.shape} and {np.shape(alias_index)}")
    if prob.shape[0] > _MAX_WORDS:
        raise ParameterError(f"at most {_MAX_WORDS} words, got {prob.shape[0]}")
    index = _int_array(alias_index, "alias_index", prob.shape[0] - 1)
    cdef const uint32_t[::1] ap = np.ascontiguousarray(prob, dtype=np.uint32)
    cdef const int32_t[::1] ai = np.ascontiguousarray(index, dtype=np.int32)
    out = np.empty(count, dtype=np.int32)
    cdef int32_t[::1] o = out
    cdef uint32_t v = <uint32_t>ap.shape[0]
    cdef Py_ssize_t i
    with nogil:
        for i in range(count):
            o[i] = draw_negative(&state, &ap[0], &ai[0], v)
    return out


def draw_windows(window, n, seed):
    """Draw ``n`` effective window sizes, uniform in ``1..window`` (for tests).

    Raises
    ------
    ParameterError
        (a ``ValueError``) unless ``window`` is in ``1..2**31 - 1`` (the
        windows are int32), ``n`` in ``0..2**63 - 1`` and ``seed`` in
        ``0..2**64 - 1``.
    """
    cdef uint32_t w = _check_int(window, "window", 1, 2147483647)
    cdef Py_ssize_t count = _check_int(n, "n", 0, _MAX_N)
    cdef uint64_t state = rng_seed(_check_seed(seed))
    out = np.empty(count, dtype=np.int32)
    cdef int32_t[::1] o = out
    cdef Py_ssize_t i
    with nogil:
        for i in range(count):
            o[i] = <int32_t>(w - rng_below(&state, w))
    return out


def subsample(words, thresholds, seed):
    """Apply frequent-word subsampling to an index array (for tests).

    Returns
    -------
    ndarray of int32
        The kept word indices, in order.

    Raises
    ------
    IndexError
        If a word index is not in ``0..len(thresholds) - 1``.
    ParameterError
        (a ``ValueError``) if ``words`` or ``thresholds`` is not a 1-d
        integer array, a threshold is not in ``0..2**32 - 1``, or ``seed``
        is out of range.
    """
    cdef uint64_t state = rng_seed(_check_seed(seed))
    thresholds = _int_array(thresholds, "thresholds", _MAX_UINT32)
    words = np.asarray(words)
    if words.ndim != 1 or (words.size and words.dtype.kind not in "iu"):
        raise ParameterError(f"words must be a 1-d array of integers, got {words.dtype} of shape "
                             f"{words.shape}")
    # checked in their own dtype: a cast to int32 first would wrap 2**32 to 0
    outside = np.flatnonzero((words < 0) | (words >= thresholds.shape[0]))
    if outside.size:
        raise IndexError(f"word index {int(words[outside[0]])} out of range for "
                         f"{thresholds.shape[0]} thresholds")
    cdef const int32_t[::1] w = np.ascontiguousarray(words, dtype=np.int32)
    cdef const uint32_t[::1] t = np.ascontiguousarray(thresholds, dtype=np.uint32)
    out = np.empty(w.shape[0], dtype=np.int32)
    cdef int32_t[::1] o = out
    cdef Py_ssize_t i, k = 0
    with nogil:
        for i in range(w.shape[0]):
            if keep_word(&state, t[w[i]]):
                o[k] = w[i]
                k += 1
    return out[:k]


def random_uint32(n, seed):
    """``n`` raw 32-bit outputs of the kernel's generator (for tests).

    Raises
    ------
    ParameterError
        (a ``ValueError``) unless ``n`` is in ``0..2**63 - 1`` and ``seed``
        in ``0..2**64 - 1``.
    """
    cdef Py_ssize_t count = _check_int(n, "n", 0, _MAX_N)
    cdef uint64_t state = rng_seed(_check_seed(seed))
    out = np.empty(count, dtype=np.uint32)
    cdef uint32_t[::1] o = out
    cdef Py_ssize_t i
    with nogil:
        for i in range(count):
            o[i] = <uint32_t>(rng_next(&state) >> 32)
    return out
