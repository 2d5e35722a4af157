# cython: language_level=3
"""Branch-free float32 ``exp`` and ``log`` that GCC vectorises, scalar and on 4 lanes.

glibc's ``expf`` and ``logf`` are scalar calls, one value at a time.  ``fast_exp``
and ``fast_log`` are static inline C (Cephes-style range reduction and
polynomial, Moshier 1989): integer bit operations, float multiplies and adds,
and special values chosen with bit masks instead of branches, so a loop
``for r in range(n): out[r] = fast_exp(x[r])`` is vectorised by GCC -O3 with
the flags of ``setup.py`` (SSE2 on baseline x86-64: 4 values per
instruction).  No ``fmaf`` (a libm call on baseline x86-64) and nothing that
needs ``-ffast-math``.  ``fast_exp4`` / ``fast_log4`` are the same operations
written on a vector of 4 floats (GCC / Clang vector extension), for values
that are not in an array: the K*K <= 4 component pairs of a K <= 2 energy.

Users in ``_train_inner``: the variances of diagonal covariance
(``fast_exp`` in a loop over K*D values); for K <= 2, the exponentials and
logarithms of a spherical energy (variances, softmax exponentials, ``log S_ij``,
responsibilities; the two logarithms of sums stay libm's), of a diagonal energy
(the 4 logarithms of the log-determinants' products, softmax exponentials,
responsibilities) and the mixture weights of the logit gradient (``fast_exp4`` /
``fast_log4``).  ``docs/training.md``, "Fast exp and log".

Error bounds, measured exhaustively over every float32 input of the stated
ranges against float64 ``exp`` / ``log`` on an x86-64 build (no FMA
contraction): ``fast_exp`` at most 0.991 ulp, ``fast_log`` at most 0.830 ulp;
the documented bound of both is 1 ulp, and the 4-lane versions give the same
bits as the scalar ones (``tests/test_fastmath.py``).
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

    /* fast_log(x) = natural logarithm of x in float32.

       Parameters
       ----------
       x : float

       Returns
       -------
       float
           log(x) within 1 ulp (measured: 0.830) for every positive finite x,
           normal or subnormal; -inf for +0 and -0; +inf for +inf; NaN for
           x < 0 (-inf included) and for NaN.

       Method
       ------
       A subnormal x is first scaled by 2^23 (its exponent then lowered by 23).
       x = 2^e m with m taken from the mantissa bits in [sqrt(1/2), sqrt(2))
       (m in [0.5, 1) first, doubled with e lowered by 1 when m < sqrt(1/2);
       both steps exact); f = m - 1 (exact);
       log(x) = f - f^2 / 2 + f^3 P(f) + e (C1 + C2), P the degree-8 Cephes
       logf polynomial, ln 2 = C1 + C2 in two parts, the small part added
       first. */
    static inline float w2gm_fast_log(float x) {
        int sub = x < 1.17549435e-38f;           /* FLT_MIN: subnormal, 0 or negative */
        float xs = w2gm_select(sub, x * 8388608.0f, x);
        uint32_t u = w2gm_float_to_bits(xs);
        int32_t e = (int32_t)((u >> 23) & 0xffu) - 126 - (sub ? 23 : 0);
        float m = w2gm_bits_to_float((u & 0x007fffffu) | 0x3f000000u);
        int small = m < 0.707106781186547524f;
        e = e - small;
        float f = w2gm_select(small, m + m, m) - 1.0f;
        float z = f * f;
        float p = 7.0376836292e-2f;
        p = p * f - 1.1514610310e-1f;
        p = p * f + 1.1676998740e-1f;
        p = p * f - 1.2420140846e-1f;
        p = p * f + 1.4249322787e-1f;
        p = p * f - 1.6668057665e-1f;
        p = p * f + 2.0000714765e-1f;
        p = p * f - 2.4999993993e-1f;
        p = p * f + 3.3333331174e-1f;
        float fe = (float)e;
        float y = p * f * z;
        y = y + fe * -2.12194440e-4f;
        y = y - 0.5f * z;
        float res = f + y;
        res = res + fe * 0.693359375f;
        res = w2gm_select(x == INFINITY, x, res);
        res = w2gm_select(x == 0.0f, -INFINITY, res);
        res = w2gm_select(x < 0.0f, NAN, res);
        return w2gm_select(x != x, x, res);
    }

    /* The same two functions on a vector of 4 floats (GCC / Clang vector extension: one SSE
       register, 4 values per instruction), for the K*K <= 4 component pairs of a K <= 2 energy:
       lane for lane the same operations in the same order as w2gm_fast_exp / w2gm_fast_log, so
       the same bits as the scalar function of each lane (tests/test_fastmath.py).  Vector
       comparisons give all-ones / all-zeros lanes, which w2gm_select4 uses as masks; -1 where
       a comparison holds is why e + small below is the scalar e - small.  Only compiled with
       GCC >= 9 or Clang (W2GM_VECTOR_MATH); other compilers build the kernel's scalar path. */
    #if (defined(__GNUC__) && __GNUC__ >= 9) || defined(__clang__)   /* __builtin_convertvector */
    #define W2GM_VECTOR_MATH 1
    typedef float w2gm_f4 __attribute__((vector_size(16)));
    typedef int32_t w2gm_i4 __attribute__((vector_size(16)));
    typedef uint32_t w2gm_u4 __attribute__((vector_size(16)));
    static inline w2gm_f4 w2gm_select4(w2gm_i4 m, w2gm_f4 a, w2gm_f4 b) {
        return (w2gm_f4)(((w2gm_i4)a & m) | ((w2gm_i4)b & ~m));
    }
    static inline w2gm_f4 w2gm_fast_exp4(w2gm_f4 x) {
        const w2gm_f4 hi = {88.72283935546875f, 88.72283935546875f, 88.72283935546875f,
                            88.72283935546875f};
        const w2gm_f4 lo = {-87.33654022216797f, -87.33654022216797f, -87.33654022216797f,
                            -87.33654022216797f};
        const w2gm_f4 inf = {INFINITY, INFINITY, INFINITY, INFINITY}, zero = {0, 0, 0, 0};
        w2gm_i4 over = x > hi, under = x < lo;
        w2gm_f4 xc = w2gm_select4(under, lo, w2gm_select4(over, hi, x));
        w2gm_f4 t = xc * 1.44269504088896341f + 12582912.0f;
        w2gm_f4 n = t - 12582912.0f;
        w2gm_i4 ni = (w2gm_i4)t - 0x4B400000;
        w2gm_f4 r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;
        w2gm_f4 z = r * r;
        w2gm_f4 p = r * 1.9875691500e-4f + 1.3981999507e-3f;
        p = p * r + 8.3334519073e-3f;
        p = p * r + 4.1665795894e-2f;
        p = p * r + 1.6666665459e-1f;
        p = p * r + 5.0000001201e-1f;
        w2gm_f4 y = (p * z + r) + 1.0f;
        w2gm_i4 n1 = ni >> 1;
        w2gm_i4 n2 = ni - n1;
        y = y * (w2gm_f4)((w2gm_u4)(n1 + 127) << 23);   /* unsigned, as the scalar version */
        y = y * (w2gm_f4)((w2gm_u4)(n2 + 127) << 23);
        y = w2gm_select4(over, inf, y);
        y = w2gm_select4(under, zero, y);
        return w2gm_select4(x != x, x, y);
    }
    static inline w2gm_f4 w2gm_fast_log4(w2gm_f4 x) {
        const w2gm_f4 inf = {INFINITY, INFINITY, INFINITY, INFINITY};
        const w2gm_f4 nan = {NAN, NAN, NAN, NAN};
        w2gm_i4 sub = x < 1.17549435e-38f;
        w2gm_f4 xs = w2gm_select4(sub, x * 8388608.0f, x);
        w2gm_i4 u = (w2gm_i4)xs;
        w2gm_i4 e = (((u >> 23) & 0xff) - 126) - (sub & 23);
        w2gm_f4 m = (w2gm_f4)((u & 0x007fffff) | 0x3f000000);
        w2gm_i4 small = m < 0.707106781186547524f;
        e = e + small;
        w2gm_f4 f = w2gm_select4(small, m + m, m) - 1.0f;
        w2gm_f4 z = f * f;
        w2gm_f4 p = f * 7.0376836292e-2f - 1.1514610310e-1f;
        p = p * f + 1.1676998740e-1f;
        p = p * f - 1.2420140846e-1f;
        p = p * f + 1.4249322787e-1f;
        p = p * f - 1.6668057665e-1f;
        p = p * f + 2.0000714765e-1f;
        p = p * f - 2.4999993993e-1f;
        p = p * f + 3.3333331174e-1f;
        w2gm_f4 fe = __builtin_convertvector(e, w2gm_f4);
        w2gm_f4 y = p * f * z;
        y = y + fe * -2.12194440e-4f;
        y = y - 0.5f * z;
        w2gm_f4 res = f + y;
        res = res + fe * 0.693359375f;
        res = w2gm_select4(x == inf, x, res);
        res = w2gm_select4(x == 0.0f, -inf, res);
        res = w2gm_select4(x < 0.0f, nan, res);
        return w2gm_select4(x != x, x, res);
    }
    #else
    #define W2GM_VECTOR_MATH 0
    #endif

    /* y = w2gm_fast_exp (log: w2gm_fast_log) of n values, 4 at a time through the vector
       function (the last group padded with 1); the scalar function where there is none.
       For the tests' wrappers. */
    static inline void w2gm_fast_math4_array(int log, const float *x, float *y, long n) {
    #if W2GM_VECTOR_MATH
        long r;
        int m;
        float buf[4];
        w2gm_f4 v;
        for (r = 0; r < n; r += 4) {
            m = n - r < 4 ? (int)(n - r) : 4;
            buf[0] = buf[1] = buf[2] = buf[3] = 1.0f;
            memcpy(buf, x + r, m * sizeof(float));
            memcpy(&v, buf, sizeof v);
            v = log ? w2gm_fast_log4(v) : w2gm_fast_exp4(v);
            memcpy(buf, &v, sizeof v);
            memcpy(y + r, buf, m * sizeof(float));
        }
    #else
        long r;
        for (r = 0; r < n; r++)
            y[r] = log ? w2gm_fast_log(x[r]) : w2gm_fast_exp(x[r]);
    #endif
    }

    #endif
    """
    float fast_exp "w2gm_fast_exp"(float x) noexcept nogil
    float fast_log "w2gm_fast_log"(float x) noexcept nogil
    void fast_math4_array "w2gm_fast_math4_array"(int log, const float *x, float *y, long n) noexcept nogil
