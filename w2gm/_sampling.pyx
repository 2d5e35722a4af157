# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Word sampling for skip-gram training (paper Appendix A.2, "Word Sampling").

* subsampling of frequent words (Mikolov et al., 2013b), as thresholds that the
  kernel compares with 32-bit random numbers;
* the unigram^0.75 noise distribution for negative context words, as a Walker /
  Vose alias table (O(1) per draw, O(V) memory);
* reduced windows: the effective window of each centre word is uniform in
  ``1..window``;
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


def _check_seed(seed):
    """`seed` as a Python int; :class:`ParameterError` unless an integer in ``0 .. 2**64 - 1``."""
    if (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
            or not 0 <= seed <= 0xFFFFFFFFFFFFFFFF):
        raise ParameterError(f"seed must be an integer from 0 to 2**64 - 1, got {seed!r}")
    return int(seed)


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
    ValueError
        If ``sample`` is negative or a count is not positive.
    """
    c = np.ascontiguousarray(counts, dtype=np.float64)
    if sample < 0:
        raise ValueError(f"sample must be >= 0, got {sample!r}")
    if c.ndim != 1:
        raise ValueError(f"counts must be one-dimensional, got shape {c.shape}")
    if c.size and c.min() <= 0:
        raise ValueError(f"counts must be positive, got minimum {c.min()!r}")
    out = np.full(c.shape, 0xFFFFFFFF, dtype=np.uint32)
    if sample == 0 or c.size == 0:
        return out
    # one pass without (V,) temporaries; the same operations, in the same order, as the
    # NumPy expression (sqrt(c / t) + 1) * t / c
    cdef double t = sample * c.sum()
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
        Corpus counts, all positive.
    power : float
        Distortion exponent (0.75 in word2vec and the paper, Appendix A.2).

    Returns
    -------
    alias_prob : ndarray of uint32, shape (V,)
    alias_index : ndarray of int32, shape (V,)

    Raises
    ------
    ValueError
        If ``counts`` is empty or has a non-positive entry.
    """
    w = np.asarray(counts, dtype=np.float64)
    if w.ndim != 1 or w.size == 0:
        raise ValueError(f"counts must be a non-empty 1-d array, got shape {w.shape}")
    if w.min() <= 0:
        raise ValueError(f"counts must be positive, got minimum {w.min()!r}")
    cdef Py_ssize_t n = w.shape[0]
    if n > 2147483647:
        raise ValueError(f"at most 2**31 - 1 words, got {n}")
    # Memory: 20 bytes per word at the peak (the float64 weights, scaled in place, the
    # uint32 probabilities, the int32 aliases and one int32 work array whose front holds
    # the "small" stack and whose back holds the "large" stack; together they never hold
    # more than n entries).
    if w is counts or w.base is not None or not w.flags.writeable or not w.flags.c_contiguous:
        w = np.array(w, dtype=np.float64)
    np.power(w, power, out=w)
    w *= n / w.sum()
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


def draw_negatives(alias_prob, alias_index, Py_ssize_t n, uint64_t seed):
    """Draw ``n`` negative words with the kernel's own sampler (for tests).

    Returns
    -------
    ndarray of int32, shape (n,)
    """
    cdef const uint32_t[::1] ap = np.ascontiguousarray(alias_prob, dtype=np.uint32)
    cdef const int32_t[::1] ai = np.ascontiguousarray(alias_index, dtype=np.int32)
    if ap.shape[0] != ai.shape[0] or ap.shape[0] == 0:
        raise ValueError("alias_prob and alias_index must be non-empty and of equal length")
    out = np.empty(n, dtype=np.int32)
    cdef int32_t[::1] o = out
    cdef uint64_t state = rng_seed(seed)
    cdef uint32_t v = <uint32_t>ap.shape[0]
    cdef Py_ssize_t i
    with nogil:
        for i in range(n):
            o[i] = draw_negative(&state, &ap[0], &ai[0], v)
    return out


def draw_windows(uint32_t window, Py_ssize_t n, uint64_t seed):
    """Draw ``n`` effective window sizes, uniform in ``1..window`` (for tests)."""
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window!r}")
    out = np.empty(n, dtype=np.int32)
    cdef int32_t[::1] o = out
    cdef uint64_t state = rng_seed(seed)
    cdef Py_ssize_t i
    with nogil:
        for i in range(n):
            o[i] = <int32_t>(window - rng_below(&state, window))
    return out


def subsample(words, thresholds, uint64_t seed):
    """Apply frequent-word subsampling to an index array (for tests).

    Returns
    -------
    ndarray of int32
        The kept word indices, in order.
    """
    cdef const int32_t[::1] w = np.ascontiguousarray(words, dtype=np.int32)
    cdef const uint32_t[::1] t = np.ascontiguousarray(thresholds, dtype=np.uint32)
    out = np.empty(w.shape[0], dtype=np.int32)
    cdef int32_t[::1] o = out
    cdef uint64_t state = rng_seed(seed)
    cdef Py_ssize_t i, k = 0
    for i in range(w.shape[0]):
        if w[i] < 0 or w[i] >= t.shape[0]:
            raise IndexError(f"word index {w[i]} out of range for {t.shape[0]} thresholds")
    with nogil:
        for i in range(w.shape[0]):
            if keep_word(&state, t[w[i]]):
                o[k] = w[i]
                k += 1
    return out[:k]


def random_uint32(Py_ssize_t n, uint64_t seed):
    """``n`` raw 32-bit outputs of the kernel's generator (for tests)."""
    out = np.empty(n, dtype=np.uint32)
    cdef uint32_t[::1] o = out
    cdef uint64_t state = rng_seed(seed)
    cdef Py_ssize_t i
    with nogil:
        for i in range(n):
            o[i] = <uint32_t>(rng_next(&state) >> 32)
    return out
