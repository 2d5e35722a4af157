# cython: language_level=3
"""Declarations of the GIL-free sampling primitives shared with ``_train_inner``.

The random number generator is xorshift64* (Vigna, 2016) seeded by
splitmix64; both are a few integer operations and run without the GIL.  Each
training job owns one generator state, so threads never share random state.
"""

from libc.stdint cimport uint64_t, uint32_t, int32_t


cdef inline uint64_t splitmix64(uint64_t *state) noexcept nogil:
    """Advance a splitmix64 state and return the next 64-bit output."""
    state[0] += <uint64_t>0x9E3779B97F4A7C15ULL
    cdef uint64_t z = state[0]
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef inline uint64_t rng_seed(uint64_t seed) noexcept nogil:
    """Turn any seed (even 0) into a valid non-zero xorshift64* state."""
    cdef uint64_t s = seed
    cdef uint64_t out = splitmix64(&s)
    if out == 0:
        out = <uint64_t>0x9E3779B97F4A7C15ULL
    return out


cdef inline uint64_t rng_next(uint64_t *state) noexcept nogil:
    """xorshift64*: next 64-bit pseudo-random number."""
    cdef uint64_t x = state[0]
    x ^= x >> 12
    x ^= x << 25
    x ^= x >> 27
    state[0] = x
    return x * <uint64_t>0x2545F4914F6CDD1DULL


cdef inline uint32_t rng_below(uint64_t *state, uint32_t n) noexcept nogil:
    """Uniform integer in ``[0, n)`` (Lemire's multiply-shift, bias < 2**-32)."""
    return <uint32_t>(((rng_next(state) >> 32) * <uint64_t>n) >> 32)


cdef inline bint keep_word(uint64_t *state, uint32_t threshold) noexcept nogil:
    """Subsampling decision: keep with probability ``threshold / 2**32``.

    ``threshold == 0xFFFFFFFF`` always keeps.
    """
    if threshold == <uint32_t>0xFFFFFFFF:
        return 1
    return <uint32_t>(rng_next(state) >> 32) < threshold


cdef inline int32_t draw_negative(uint64_t *state, const uint32_t *alias_prob,
                                  const int32_t *alias_index, uint32_t vocab_size) noexcept nogil:
    """Draw one word from the noise distribution, unigram^ns_exponent (alias method).

    One 64-bit draw: the high 32 bits pick a column uniformly, the low 32 bits
    decide between the column's own word and its alias.
    """
    cdef uint64_t r = rng_next(state)
    cdef uint32_t column = <uint32_t>(((r >> 32) * <uint64_t>vocab_size) >> 32)
    if <uint32_t>(r & <uint64_t>0xFFFFFFFF) < alias_prob[column]:
        return <int32_t>column
    return alias_index[column]
