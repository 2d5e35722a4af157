# cython: language_level=3
"""Branch-free float32 ``exp`` that GCC vectorises (the diagonal-covariance kernel).

glibc's ``expf`` is a scalar call, so a loop over D variances runs one value
at a time.  ``fast_exp`` is static inline C (Cephes-style range reduction
and polynomial, Moshier 1989): integer bit
operations, float multiplies and adds, and special values chosen with bit
masks instead of branches, so ``for r in range(n): out[r] = fast_exp(x[r])``
is vectorised by GCC -O3 with the flags of ``setup.py`` (SSE2 on baseline
x86-64: 4 values per instruction).  No ``fmaf`` (a libm call on baseline
x86-64) and nothing that needs ``-ffast-math``.  ``_train_inner`` computes
the variances of diagonal covariance with ``fast_exp`` (``docs/training.md``,
"Fast exp and log"; a float32 ``fast_log`` built the same way was measured
slower than the kernel's float64 logarithms and removed).

Error bound, measured exhaustively over every float32 input of the stated
range against float64 ``exp`` on an x86-64 build (no FMA contraction): at
most 0.991 ulp; the documented bound is 1 ulp (``tests/test_fastmath.py``).
"""

cdef extern from *:
    """
    #ifndef W2GM_FASTMATH_H
    #define W2GM_FASTMATH_H
    #include <stdint.h>
    #include <string.h>
    #include <math.h>

    /* Bit casts through memcpy (well defined; compiled to register moves). */
    static inline float w2gm_bits_to_float(uint32_t u) { float f; memcpy(&f, &u, sizeof f); return f; }
    static inline uint32_t w2gm_float_to_bits(float f) { uint32_t u; memcpy(&u, &f, sizeof u); return u; }

    /* c ? a : b through a bit mask.  Both a and b are computed before the
       choice: GCC does not speculate float arithmetic out of the arms of a
       ?: (it may trap without -fno-trapping-math), so a plain ?: with
       arithmetic in an arm leaves a branch in the loop and stops
       vectorisation. */
    static inline float w2gm_select(int c, float a, float b) {
        uint32_t m = 0u - (uint32_t)c;
        return w2gm_bits_to_float((w2gm_float_to_bits(a) & m) | (w2gm_float_to_bits(b) & ~m));
    }

    /* fast_exp(x) = e^x in float32.

       Parameters
       ----------
       x : float

       Returns
       -------
       float
           exp(x) within 1 ulp (measured: 0.991) for -87.33654 <= x <= 88.72284;
           +inf for x > 88.72284 (exp overflows float32) and x = +inf;
           0 for x < -87.33654 (= log(FLT_MIN)) and x = -inf: results that would
           be subnormal are flushed to 0 (relative error 1, absolute error below
           FLT_MIN = 1.2e-38); NaN for NaN (the same NaN).

       Method
       ------
       n = round(x / ln 2) (by adding and subtracting 1.5 * 2^23, which rounds
       to an integer held in the low mantissa bits); r = x - n ln 2 with
       ln 2 = C1 + C2 in two parts (Cody-Waite; n C1 is exact), |r| <= ln(2)/2;
       e^r = 1 + r + r^2 P(r), P the degree-5 Cephes expf polynomial;
       e^x = e^r 2^(n1) 2^(n2), n1 = floor(n / 2), n2 = n - n1, so each power of
       2 is a normal float for every n in [-126, 128]. */
    static inline float w2gm_fast_exp(float x) {
        const float hi = 88.72283935546875f;    /* float(log(FLT_MAX)) rounded up */
        const float lo = -87.33654022216797f;   /* float(log(FLT_MIN)) */
        int over = x > hi, under = x < lo;
        float xc = w2gm_select(under, lo, w2gm_select(over, hi, x));
        float t = xc * 1.44269504088896341f + 12582912.0f;
        float n = t - 12582912.0f;
        int32_t ni = (int32_t)(w2gm_float_to_bits(t) - 0x4B400000u);
        float r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;
        float z = r * r;
        float p = 1.9875691500e-4f;
        p = p * r + 1.3981999507e-3f;
        p = p * r + 8.3334519073e-3f;
        p = p * r + 4.1665795894e-2f;
        p = p * r + 1.6666665459e-1f;
        p = p * r + 5.0000001201e-1f;
        float y = (p * z + r) + 1.0f;
        int32_t n1 = ni >> 1;
        int32_t n2 = ni - n1;
        y = y * w2gm_bits_to_float((uint32_t)(n1 + 127) << 23);
        y = y * w2gm_bits_to_float((uint32_t)(n2 + 127) << 23);
        y = w2gm_select(over, INFINITY, y);
        y = w2gm_select(under, 0.0f, y);
        return w2gm_select(x != x, x, y);
    }

    #endif
    """
    float fast_exp "w2gm_fast_exp"(float x) noexcept nogil
