# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Word2GM training kernels: energies, max-margin loss, gradients and updates.

Everything in the training path runs without the GIL on raw pointers; a whole
job (a batch of sentences) is trained inside one ``nogil`` block and updates the
shared parameter arrays in place without locks (Hogwild, Recht et al. 2011).
The structs and the init / populate / train protocol are declared in
``_train_inner.pxd``.

Notation (Athiwaratkun & Wilson 2017, "Multimodal Word Distributions").  Each
name has this one meaning throughout the file, in code and comments:

==============  ============================================================
``K``, ``D``    mixture components per word, embedding dimensions
``Dv``          log-variances per component: 1 (spherical) or D (diagonal)
``f``, ``g``    the two words of an energy ``E(f, g)``; the trainer uses
                ``f = w`` and ``g = c`` or ``c'``
``w``           the centre (input) word
``c``           the context (output) word; ``c'`` (``c_neg`` in code) a
                negative word drawn from the noise distribution
``i``, ``j``    a component of f, a component of g; ``r`` a dimension
``mu``          component means ``mu_f,i`` (D values)
``lv``          log-variances ``lv_f,i`` (Dv values); the paper's diagonal
                vector ``d = exp(lv)`` is called ``var``
``s``           mixture logits (the paper's scores), weights
                ``p = softmax(s_f)`` and ``q = softmax(s_g)``; ``log_p``,
                ``log_q`` their logarithms
``S``           ``S_ijr = var_f,i,r + var_g,j,r + eps``, the summed variances (the diagonal
                pair scratch stores their reciprocals ``1 / S_ijr``)
``diff``        ``mu_f,i,r - mu_g,j,r``
``sqdist``      ``sum_r diff_r^2`` (spherical, where ``S_ij`` has no r)
``mahal``       ``sum_r diff_r^2 / S_ijr`` (diagonal)
``xi``          partial log energies ``xi_ij`` (eq. 3)
``gamma``       responsibilities ``gamma_ij``
``margin``      the margin m of the loss (Section 3.3)
``coef``        the factor a backward pass is scaled by (``∂L/∂logE``);
                ``coef_ij = coef * gamma_ij``
``grad_x``      a gradient buffer accumulating ``∂L/∂x``; ``acc_x`` the
                Adagrad accumulator of ``x``
==============  ============================================================

Formulas, referred to by their label next to the code that computes them:

* [eq. 3] partial (log) energy, reduced to diagonal covariance with eps added
  (Appendix A.2, "Reduction to Diagonal Covariance" and "Optimization
  Constraint and Stability"), without the constant ``-D/2 log 2 pi``, which
  cancels in the loss::

      xi_ij = -1/2 sum_r log(S_ijr) - 1/2 sum_r diff_r^2 / S_ijr

  spherical (one variance per component, the same S_ij for all r)::

      xi_ij = -1/2 (D log(S_ij) + sqdist_ij / S_ij)

* [eq. 2] log energy, computed with the largest term subtracted (Appendix
  A.2; the kernel subtracts the largest weighted term
  ``M = max_ij(log p_i + log q_j + xi_ij)`` rather than the largest xi)::

      log E(f, g) = log sum_ij p_i q_j exp(xi_ij)
                  = M + log sum_ij exp(log p_i + log q_j + xi_ij - M)

* [max PE] optional (``max_partial_energy``, a log-domain variant of the
  original's ``max_pe``, which takes the arg-max of the unweighted ``xi_ij``
  and returns ``xi_max * p_i * q_j``):
  ``log E(f, g) = max_ij (log p_i + log q_j + xi_ij)``, a lower bound of the
  log-sum-exp of eq. 2 (equal for K = 1); the responsibilities
  are then one-hot at the (first, row-major) arg-max pair, so [G1]-[G2]
  below hold unchanged and the gradient flows through that pair only.

* [Sec. 3.3] max-margin loss: ``L = max(0, margin - log E(w, c) + log E(w, c'))``.

* [shared negatives] optional (``shared_negatives``; pWord2Vec, Ji et al.
  2016): the ``n = negative`` noise words ``c'_1 .. c'_n`` are drawn once
  per centre word and the window's loss is
  ``sum_c sum_{k: c'_k != c} max(0, margin - log E(w, c) + log E(w, c'_k))``,
  so a window of M context words costs ``M + n`` energies instead of
  ``M (1 + n)``.  By [G6], c's gradient is scaled by its active terms and
  c'_k's by the active terms that used it (``docs/training.md``).

* [A.2 softmax] ``p_i = exp(s_i) / sum_k exp(s_k)`` (Appendix A.2): the
  logits are unconstrained, as are the log-variances.

* [A.2 sampling] subsampling of frequent words and negative words drawn
  from the unigram^0.75 distribution (the exponent is ``ns_exponent``;
  Appendix A.2, "Word Sampling";
  ``_sampling.pxd``).

Hand-derived gradients.  With responsibilities
``gamma_ij = p_i q_j exp(xi_ij) / E(f, g)`` (they sum to 1):

* [G1] ``∂logE/∂xi_ij = gamma_ij``
* [G2] ``∂logE/∂s_f,i = sum_j gamma_ij - p_i`` and ``∂logE/∂s_g,j = sum_i gamma_ij - q_j``
* [G3] ``∂xi_ij/∂mu_f,i,r = -diff_r / S_ijr = -∂xi_ij/∂mu_g,j,r``
* [G4] ``∂xi_ij/∂S_ijr = -1/(2 S_ijr) + diff_r^2 / (2 S_ijr^2)``;
  spherical (one S_ij for all D dimensions):
  ``∂xi_ij/∂S_ij = -D/(2 S_ij) + sqdist_ij / (2 S_ij^2)``
* [G5] ``∂S_ijr/∂lv_f,i,r = var_f,i,r`` (and likewise for g)
* [G6] ``∂L/∂logE(w, c) = -1`` and ``∂L/∂logE(w, c') = +1`` when the hinge
  is active, 0 otherwise.

Updates: [SGD] ``x -= lr grad_x``; [Adagrad] (Duchi et al. 2011, Appendix A.2
"Model Parameters and Training Details") ``acc_x += grad_x^2;
x -= lr grad_x / sqrt(acc_x)``; [row Adagrad] (the ``adagrad_state`` setting
``"row"``) one accumulator per row of values (a component's D means or
diagonal log-variances, a word's K logits): ``acc_row += mean_r(grad_r^2);
x_r -= lr grad_r / sqrt(acc_row)``; then the log-variances are clipped to
``[lv_min, lv_max]``.  The means take the rate ``lr``, the log-variances
``lr * lr_factor_lv`` and the logits ``lr * lr_factor_s`` (settings
``variance_lr_factor`` and ``logit_lr_factor``, 1 by default).  [norm cap]
With ``norm_cap > 0``, each updated mean vector whose L2 norm exceeds it is
rescaled to it (the original's ``norm_cap``).

The core functions are written once for the fused type ``floating``: training
uses the float32 instance, the Python wrappers at the end of this file (for
the tests) the float64 one.
"""

import numbers

import numpy as np
cimport numpy as cnp
from cython cimport floating
from libc.math cimport exp, log, sqrt, expf, logf, sqrtf
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy, memset
from libc.stdint cimport uint64_t, uint32_t, int32_t, int64_t

from w2gm._fastmath cimport fast_exp, fast_log, fast_math4_array
from w2gm._sampling cimport rng_seed, rng_below, keep_word, draw_negative
from w2gm._sampling import _check_seed
from w2gm.exceptions import ParameterError
from w2gm.settings import SETTINGS, check_setting

cnp.import_array()

# The largest K and D the kernels accept: the maxima of the num_mixtures and vector_size
# settings.  With them, K*D, K*Dv and K*K fit a C int; K*K*Dv (the summed variances S of
# one diagonal pair, up to 1e10) does not, so offsets into S and scratch sizes are
# Py_ssize_t.
_MAX_K = next(s.high for s in SETTINGS if s.name == "num_mixtures")
_MAX_D = next(s.high for s in SETTINGS if s.name == "vector_size")
_MAX_WINDOW = next(s.high for s in SETTINGS if s.name == "window")
_MAX_NEGATIVE = next(s.high for s in SETTINGS if s.name == "negative")
# word indices are int32 (as in the job arrays and the alias table)
_MAX_V = 2147483647
# float64 scratch values shared_window_loss_and_grads allocates at most (2 GiB; it is for tests)
_MAX_WRAPPER_VALUES = 2**28


cdef inline floating f_exp(floating x) noexcept nogil:
    if floating is float:
        return expf(x)
    else:
        return exp(x)


cdef inline floating f_log(floating x) noexcept nogil:
    if floating is float:
        return logf(x)
    else:
        return log(x)


# [A.2 softmax] out_i = log p_i = s_i - logsumexp(s), with the max subtracted
cdef inline floating log_softmax(int K, const floating *s, floating *out) noexcept nogil:
    """``out = s - logsumexp(s)``; returns the log-sum-exp."""
    cdef int i
    cdef floating max_s = s[0], sum_exp = 0
    for i in range(1, K):
        if s[i] > max_s:
            max_s = s[i]
    for i in range(K):
        sum_exp += f_exp(s[i] - max_s)
    sum_exp = max_s + f_log(sum_exp)
    for i in range(K):
        out[i] = s[i] - sum_exp
    return sum_exp


cdef extern from *:
    """
    /* sum_r (a_r - b_r)^2 in float32 over 8 interleaved partial sums (lane l sums r = l mod 8),
       combined pairwise, then the D mod 8 remaining terms in order.  With GCC or Clang the 8
       sums are one vector (vector_size extension): the subtraction, square and add run 8 lanes
       at a time (two SSE registers on baseline x86-64, one AVX register where built for it),
       with no reassociation the compiler would need -ffast-math for.  Other compilers run the
       same arithmetic, in the same order, on an array. */
    #include <string.h>
    #if defined(__GNUC__) || defined(__clang__)
    typedef float w2gm_v8sf __attribute__((vector_size(32)));
    static inline float w2gm_sqdist_f32(const float *a, const float *b, int D) {
        w2gm_v8sf acc = {0, 0, 0, 0, 0, 0, 0, 0}, va, vb, diff;
        float total;
        int r = 0;
        for (; r + 8 <= D; r += 8) {
            memcpy(&va, a + r, sizeof va);
            memcpy(&vb, b + r, sizeof vb);
            diff = va - vb;
            acc = acc + diff * diff;
        }
        total = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    #else
    static inline float w2gm_sqdist_f32(const float *a, const float *b, int D) {
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0}, diff, total;
        int r = 0, l;
        for (; r + 8 <= D; r += 8) {
            for (l = 0; l < 8; l++) {
                diff = a[r + l] - b[r + l];
                acc[l] = acc[l] + diff * diff;
            }
        }
        total = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    #endif
        for (; r < D; r++) {
            float diff_r = a[r] - b[r];
            total = total + diff_r * diff_r;
        }
        return total;
    }
    """
    float w2gm_sqdist_f32(const float *a, const float *b, int D) noexcept nogil


cdef extern from *:
    """
    /* Ask the CPU to start loading n floats from p into its caches (one prefetch per 64-byte
       line); a hint with no effect on results.  No-op where the compiler has no
       __builtin_prefetch.  The loop runs over integer addresses: GCC 12 at -O2 deletes the
       same loop written over char pointers once inlined (it keeps no prefetch at all). */
    #include <stdint.h>
    static inline void w2gm_prefetch_floats(const float *p, long n) {
    #if defined(__GNUC__) || defined(__clang__)
        uintptr_t line = (uintptr_t)p & ~(uintptr_t)63, end = (uintptr_t)(p + n);
        for (; line < end; line += 64)
            __builtin_prefetch((const void *)line, 0, 3);
    #else
        (void)p; (void)n;
    #endif
    }
    """
    void w2gm_prefetch_floats(const float *p, long n) noexcept nogil


cdef extern from *:
    """
    /* sum_r log(S_r), S_r = var_f[r] + var_g[r] + eps summed in float32 (as the kernel's S), in
       float64 with one logarithm: the S_r are multiplied in float64 in 8 independent chains
       (chain c takes r = c mod 8; 4 before issue 13's fifth pass), and every 6 factors of a
       chain, and at the end, its exponent is moved into an integer (the value scaled back to
       [1, 2)), so that no chain can overflow or underflow (6 float32 factors lie within
       2^-894 .. 2^768).  log_det = log(product of the 8 scaled chains, in [1, 256)) + (sum of the
       moved exponents) * log(2): relative error of the product about D * 2^-53, against D/4
       logarithms of 4-factor blocks before.  0, inf and NaN
       are not rescaled and carry into the result as they would in a sum of logarithms.
       w2gm_det_parts_f32 returns that product and the summed exponent; w2gm_log_det_f32 takes
       the logarithm (the K <= 2 kernel below takes the 4 logarithms of one energy at once). */
    #include <stdint.h>
    #include <string.h>
    #include <math.h>
    static inline double w2gm_rescale(double x, int64_t *exponent) {
        uint64_t u;
        int64_t biased;
        memcpy(&u, &x, sizeof u);
        biased = (int64_t)((u >> 52) & 0x7ff);
        if (biased == 0 || biased == 0x7ff)     /* 0, subnormal, inf, NaN: left as they are */
            return x;
        *exponent += biased - 1023;
        u = (u & ~((uint64_t)0x7ff << 52)) | ((uint64_t)1023 << 52);
        memcpy(&x, &u, sizeof x);
        return x;
    }
    #if (defined(__GNUC__) && __GNUC__ >= 9) || defined(__clang__)
    /* GCC >= 9 / Clang: the 8 chains as two vectors of 4 doubles, lane l of acc0 = chain l and
       of acc1 = chain 4 + l (r is a multiple of 8 at the top of the inner loop), rescaled in the
       vectors too (w2gm_rescale's steps on 4 lanes, with masks; w2gm_rescale4): per chain the
       same sums, conversions and products, in the same order, as the scalar version below (the
       lanes past the last factor are multiplied by exactly 1), and the moved exponents summed
       exactly as integers; so the same bits for every result that is not NaN (a NaN result may
       differ in its sign bit, which x86 takes from whichever NaN operand the compiler puts
       first; the kernel only tests for NaN).  Scalar, indexed through chain[r & 3] (then 4
       chains), GCC kept the chains in memory: a store-to-load round trip per factor, and the
       rescale's scalar stores then failed to forward to the next block's vector load.  The
       scalar version is what other compilers build (GCC 7 and 8 included); GCC >= 9 and Clang,
       which this project is built and tested with, never compile it, and its 8-chain form was
       checked against the vectors by reading only. */
    typedef float w2gm_v4sf __attribute__((vector_size(16)));
    typedef double w2gm_v4df __attribute__((vector_size(32)));
    typedef uint64_t w2gm_v4du __attribute__((vector_size(32)));
    static inline void w2gm_rescale4(w2gm_v4df *acc, w2gm_v4du *exponents) {
        w2gm_v4du bits, biased, keep;
        memcpy(&bits, acc, sizeof bits);
        biased = (bits >> 52) & 0x7ff;
        /* all ones where the lane is rescaled: not 0, subnormal, inf or NaN */
        keep = (w2gm_v4du)((biased != 0) & (biased != 0x7ff));
        *exponents += (biased - 1023) & keep;   /* modulo 2^64: the signed sum, recast below */
        bits = (bits & ~keep)
               | (((bits & ~((uint64_t)0x7ff << 52)) | ((uint64_t)1023 << 52)) & keep);
        memcpy(acc, &bits, sizeof bits);
    }
    /* The factor (var_f[r] + var_g[r]) + eps of a lane, 1 past stop. */
    #define W2GM_DET_FACTOR(r) ((r) < stop ? (var_f[r] + var_g[r]) + eps : 1.0f)
    static inline double w2gm_det_parts_f32(const float *var_f, const float *var_g, float eps,
                                            int D, int64_t *exponent) {
        w2gm_v4df acc0 = {1.0, 1.0, 1.0, 1.0}, acc1 = {1.0, 1.0, 1.0, 1.0};
        w2gm_v4du exponents = {0, 0, 0, 0};
        int r = 0;
        while (r < D) {
            int stop = r + 48 < D ? r + 48 : D;     /* 6 factors per chain, then rescale */
            for (; r + 8 <= stop; r += 8) {
                w2gm_v4sf vf0, vg0, vf1, vg1;
                memcpy(&vf0, var_f + r, sizeof vf0);
                memcpy(&vg0, var_g + r, sizeof vg0);
                memcpy(&vf1, var_f + r + 4, sizeof vf1);
                memcpy(&vg1, var_g + r + 4, sizeof vg1);
                acc0 = acc0 * __builtin_convertvector((vf0 + vg0) + eps, w2gm_v4df);
                acc1 = acc1 * __builtin_convertvector((vf1 + vg1) + eps, w2gm_v4df);
            }
            if (r < stop) {     /* the last 1-7 factors; the other lanes are multiplied by 1 */
                w2gm_v4sf sum0 = {W2GM_DET_FACTOR(r), W2GM_DET_FACTOR(r + 1),
                                  W2GM_DET_FACTOR(r + 2), W2GM_DET_FACTOR(r + 3)};
                w2gm_v4sf sum1 = {W2GM_DET_FACTOR(r + 4), W2GM_DET_FACTOR(r + 5),
                                  W2GM_DET_FACTOR(r + 6), 1.0f};
                acc0 = acc0 * __builtin_convertvector(sum0, w2gm_v4df);
                acc1 = acc1 * __builtin_convertvector(sum1, w2gm_v4df);
                r = stop;
            }
            w2gm_rescale4(&acc0, &exponents);
            w2gm_rescale4(&acc1, &exponents);
        }
        *exponent = (int64_t)(exponents[0] + exponents[1] + exponents[2] + exponents[3]);
        return ((acc0[0] * acc0[1]) * (acc0[2] * acc0[3]))
               * ((acc1[0] * acc1[1]) * (acc1[2] * acc1[3]));
    }
    #undef W2GM_DET_FACTOR
    #else
    static inline double w2gm_det_parts_f32(const float *var_f, const float *var_g, float eps,
                                            int D, int64_t *exponent_out) {
        double chain[8] = {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0};
        int64_t exponent = 0;
        int r = 0, c;
        while (r < D) {
            int stop = r + 48 < D ? r + 48 : D;     /* 6 factors per chain, then rescale */
            for (; r < stop; r++)
                chain[r & 7] *= (double)(var_f[r] + var_g[r] + eps);
            for (c = 0; c < 8; c++)
                chain[c] = w2gm_rescale(chain[c], &exponent);
        }
        *exponent_out = exponent;
        return ((chain[0] * chain[1]) * (chain[2] * chain[3]))
               * ((chain[4] * chain[5]) * (chain[6] * chain[7]));
    }
    #endif
    static inline double w2gm_log_det_f32(const float *var_f, const float *var_g, float eps,
                                          int D) {
        int64_t exponent;
        double product = w2gm_det_parts_f32(var_f, var_g, eps, D, &exponent);
        return log(product) + (double)exponent * 0.693147180559945309417232121458;
    }
    """
    double w2gm_log_det_f32(const float *var_f, const float *var_g, float eps, int D) noexcept nogil


cdef extern from *:
    """
    /* [eq. 3] and [eq. 2] for spherical covariance, float32, K <= 2 (at most 4 component pairs:
       one vector of 4 lanes, lane l = pair ij = l, i = l / K, j = l % K; K = 1 pads lanes 1-3
       with S = 1 + eps, sqdist = 0 and t = -inf, whose exponentials are exactly 0):
         S_ij = var_f,i + var_g,j + eps,  xi_ij = -1/2 (D log S_ij + sqdist_ij / S_ij),
         t_ij = log p_i + log q_j + xi_ij,  M = max t_ij (the first, row-major, on ties),
         log E = M + log sum_ij exp(t_ij - M),  gamma_ij = exp(t_ij - M) / sum.
       The 4 logarithms and 4 exponentials are one w2gm_fast_log4 / w2gm_fast_exp4 each, on
       vectors built in registers (filling an array and loading it as a vector stalls on the
       store-to-load forwarding: that first version was slower than the libm calls); every other
       operation is the scalar kernel's, in its order.  Writes S, sqdist, xi and gamma (K*K
       each); returns log E.  max_partial_energy keeps the scalar path. */
    #if W2GM_VECTOR_MATH
    #define W2GM_HAVE_LANES4 1
    /* The K*K lanes of v to dst: all 4 for K = 2, lane 0 for K = 1. */
    static inline void w2gm_store4(int K, float *dst, w2gm_f4 v) {
        if (K == 2)
            memcpy(dst, &v, sizeof v);
        else
            dst[0] = v[0];
    }
    /* [eq. 2] from the 4 lanes' partial energies x4 (K = 1: lane 0; the pad lanes get
       log p = -inf): t_ij = log p_i + log q_j + xi_ij, M = max t_ij (the first, row-major, on
       ties), gamma_ij = exp(t_ij - M) / sum in one w2gm_fast_exp4, log E = M + log sum.  The
       scalar kernel's operations in its order (log_sum_exp_responsibilities).  Writes xi and
       gamma (K*K each); returns log E. */
    static inline float w2gm_responsibilities4(int K, const float *log_p, const float *log_q,
                                               w2gm_f4 x4, float *xi, float *gamma) {
        w2gm_f4 lp, lq, t4, e4;
        float M, total;
        if (K == 2) {
            lp = (w2gm_f4){log_p[0], log_p[0], log_p[1], log_p[1]};
            lq = (w2gm_f4){log_q[0], log_q[1], log_q[0], log_q[1]};
        } else {
            lp = (w2gm_f4){log_p[0], -INFINITY, -INFINITY, -INFINITY};
            lq = (w2gm_f4){log_q[0], 0, 0, 0};
        }
        t4 = (lp + lq) + x4;
        M = t4[0];
        if (t4[1] > M) M = t4[1];
        if (t4[2] > M) M = t4[2];
        if (t4[3] > M) M = t4[3];
        e4 = w2gm_fast_exp4(t4 - M);
        total = ((e4[0] + e4[1]) + e4[2]) + e4[3];
        w2gm_store4(K, xi, x4);
        w2gm_store4(K, gamma, e4 / total);
        return M + logf(total);
    }
    static inline float w2gm_log_energy_spherical4(
            int K, int D, const float *mu_f, const float *var_f, const float *log_p,
            const float *mu_g, const float *var_g, const float *log_q, float eps,
            float *S, float *sqdist, float *xi, float *gamma) {
        w2gm_f4 vf, vg, sq, s4, x4;
        if (K == 2) {
            vf = (w2gm_f4){var_f[0], var_f[0], var_f[1], var_f[1]};
            vg = (w2gm_f4){var_g[0], var_g[1], var_g[0], var_g[1]};
            sq = (w2gm_f4){w2gm_sqdist_f32(mu_f, mu_g, D), w2gm_sqdist_f32(mu_f, mu_g + D, D),
                           w2gm_sqdist_f32(mu_f + D, mu_g, D),
                           w2gm_sqdist_f32(mu_f + D, mu_g + D, D)};
        } else {
            vf = (w2gm_f4){var_f[0], 0, 0, 0};
            vg = (w2gm_f4){var_g[0], 1, 1, 1};  /* (0 + 1) + eps: a positive S in the pad lanes */
            sq = (w2gm_f4){w2gm_sqdist_f32(mu_f, mu_g, D), 0, 0, 0};
        }
        s4 = (vf + vg) + eps;
        x4 = -0.5f * ((float)D * w2gm_fast_log4(s4) + sq / s4);
        w2gm_store4(K, S, s4);
        w2gm_store4(K, sqdist, sq);
        return w2gm_responsibilities4(K, log_p, log_q, x4, xi, gamma);
    }
    /* One word's variances exp(lv_i) and log mixture weights log softmax(s)_i, spherical, K <= 2:
       the (up to) 2 variances and 2 softmax exponentials in one w2gm_fast_exp4, lanes
       {lv_0, lv_1, s_0 - m, s_1 - m} (m = max s_i; K = 1 pads lanes 1 and 3 with 0, and its
       softmax lane is s_0 - s_0 = 0, whose exponential is exactly 1); then, as log_softmax:
       log_weights_i = s_i - (m + log sum_i exp(s_i - m)). */
    static inline void w2gm_prepare_spherical4(int K, const float *lv, const float *s,
                                               float *var, float *log_weights) {
        w2gm_f4 x, e;
        float m, lse;
        if (K == 2) {
            m = s[1] > s[0] ? s[1] : s[0];
            x = (w2gm_f4){lv[0], lv[1], s[0] - m, s[1] - m};
            e = w2gm_fast_exp4(x);
            lse = m + logf(e[2] + e[3]);
            var[0] = e[0];
            var[1] = e[1];
            log_weights[0] = s[0] - lse;
            log_weights[1] = s[1] - lse;
        } else {
            x = (w2gm_f4){lv[0], 0, s[0] - s[0], 0};
            e = w2gm_fast_exp4(x);
            var[0] = e[0];
            log_weights[0] = s[0] - (s[0] + logf(e[2]));
        }
    }
    /* The mixture weights p_i = exp(log p_i), q_j = exp(log q_j) of the logit gradient [G2], K <= 2,
       in one w2gm_fast_exp4: lanes {log p_0, log p_1, log q_0, log q_1} (K = 1: lanes 1 and 3
       unused). */
    static inline void w2gm_weights4(int K, const float *log_p, const float *log_q, float *p,
                                     float *q) {
        w2gm_f4 e = w2gm_fast_exp4((w2gm_f4){log_p[0], K == 2 ? log_p[1] : 0, log_q[0],
                                             K == 2 ? log_q[1] : 0});
        p[0] = e[0];
        p[1] = e[1];
        q[0] = e[2];
        q[1] = e[3];
    }
    /* [eq. 3] diagonal (Appendix A.2), one component pair, in one pass over r: the D
       reciprocals 1 / S_ijr (stored for the backward pass) and the Mahalanobis sum over them in
       4 interleaved partial sums (lane l sums r = l mod 4, the remainder joins lane 0), as the
       scalar kernel's partial_energy_diagonal; then the log-determinant's scaled product and
       exponent (w2gm_det_parts_f32). */
    static inline void w2gm_diagonal_pair(int D, const float *mu_fi, const float *mu_gj,
                                          const float *var_fi, const float *var_gj, float eps,
                                          float *inv_S, float *mahal, double *product,
                                          int64_t *exponent) {
        w2gm_f4 acc = {0, 0, 0, 0}, vf, vg, mf, mg, inv, diff;
        float total, inv_r, diff_r;
        int r = 0;
        for (; r + 4 <= D; r += 4) {
            memcpy(&vf, var_fi + r, sizeof vf);
            memcpy(&vg, var_gj + r, sizeof vg);
            memcpy(&mf, mu_fi + r, sizeof mf);
            memcpy(&mg, mu_gj + r, sizeof mg);
            inv = 1.0f / ((vf + vg) + eps);
            memcpy(inv_S + r, &inv, sizeof inv);
            diff = mf - mg;
            acc = acc + (diff * diff) * inv;
        }
        total = acc[0];
        for (; r < D; r++) {
            inv_r = 1.0f / ((var_fi[r] + var_gj[r]) + eps);
            inv_S[r] = inv_r;
            diff_r = mu_fi[r] - mu_gj[r];
            total = total + (diff_r * diff_r) * inv_r;
        }
        *mahal = (total + acc[1]) + (acc[2] + acc[3]);
        *product = w2gm_det_parts_f32(var_fi, var_gj, eps, D, exponent);
    }
    /* log_det = log(product) + exponent * log(2) of one pair, with lg = the float32 logarithm
       of float(product) (from w2gm_fast_log4).  With every factor positive and finite the
       product of the 8 rescaled chains lies in [1, 256), where float(product) is within 2^-24
       relatively and lg within 1 ulp (at most 4.8e-7 absolutely), so log_det is within 5.4e-7
       of the float64 logarithm's before its float32 rounding.  Otherwise a chain holds 0, inf
       or NaN (never rescaled), so does the product, and fast_log gives -inf, inf or NaN as
       log would. */
    static inline float w2gm_log_det_from_parts(int64_t exponent, float lg) {
        return (float)((double)lg + (double)exponent * 0.693147180559945309417232121458);
    }
    /* [eq. 3] and [eq. 2] for diagonal covariance, float32, K <= 2 (lanes as in
       w2gm_log_energy_spherical4; K = 1 pads lanes 1-3 with xi = 0 and t = -inf):
         1 / S_ijr, xi_ij = -1/2 (sum_r log S_ijr + sum_r diff_r^2 / S_ijr)
       per pair by w2gm_diagonal_pair, the 4 logarithms of the log-determinants' products in one
       w2gm_fast_log4 (instead of 4 float64 log calls), then w2gm_responsibilities4.  Writes
       inv_S (K*K*D), xi and gamma (K*K each); returns log E.  max_partial_energy keeps the
       scalar path. */
    static inline float w2gm_log_energy_diagonal4(
            int K, int D, const float *mu_f, const float *var_f, const float *log_p,
            const float *mu_g, const float *var_g, const float *log_q, float eps, float *inv_S,
            float *xi, float *gamma) {
        float m0, m1 = 0, m2 = 0, m3 = 0;
        double p0, p1 = 1, p2 = 1, p3 = 1;
        int64_t e0, e1 = 0, e2 = 0, e3 = 0;
        w2gm_f4 lg, x4;
        w2gm_diagonal_pair(D, mu_f, mu_g, var_f, var_g, eps, inv_S, &m0, &p0, &e0);
        if (K == 2) {
            w2gm_diagonal_pair(D, mu_f, mu_g + D, var_f, var_g + D, eps, inv_S + D, &m1, &p1, &e1);
            w2gm_diagonal_pair(D, mu_f + D, mu_g, var_f + D, var_g, eps, inv_S + 2 * D, &m2, &p2,
                               &e2);
            w2gm_diagonal_pair(D, mu_f + D, mu_g + D, var_f + D, var_g + D, eps, inv_S + 3 * D,
                               &m3, &p3, &e3);
        }
        lg = w2gm_fast_log4((w2gm_f4){(float)p0, (float)p1, (float)p2, (float)p3});
        x4 = -0.5f * ((w2gm_f4){w2gm_log_det_from_parts(e0, lg[0]),
                                w2gm_log_det_from_parts(e1, lg[1]),
                                w2gm_log_det_from_parts(e2, lg[2]),
                                w2gm_log_det_from_parts(e3, lg[3])}
                      + (w2gm_f4){m0, m1, m2, m3});
        return w2gm_responsibilities4(K, log_p, log_q, x4, xi, gamma);
    }
    /* log softmax of K = 2 logits (a diagonal word's mixture weights; spherical words take
       w2gm_prepare_spherical4): the 2 exponentials in one w2gm_fast_exp4 (lanes 2 and 3 unused),
       then as log_softmax: log_weights_i = s_i - (m + log sum_i exp(s_i - m)), m = max s_i. */
    static inline void w2gm_log_softmax2(const float *s, float *log_weights) {
        float m = s[1] > s[0] ? s[1] : s[0], lse;
        w2gm_f4 e = w2gm_fast_exp4((w2gm_f4){s[0] - m, s[1] - m, 0, 0});
        lse = m + logf(e[0] + e[1]);
        log_weights[0] = s[0] - lse;
        log_weights[1] = s[1] - lse;
    }
    /* [G1]·[G3], [G1]·[G4]·[G5] for diagonal covariance, one component pair, float32: the three
       loops of partial_energy_grad_diagonal in one pass, 8 values at a time (the gradient
       buffers of f and g never overlap, so each is loaded and stored once per block), the same
       operations per value in the same order:
         step_r = (coef diff_r) / S_ijr,  grad_S_r = (coef/2 / S_ijr) (diff_r^2 / S_ijr - 1),
         grad_mu_f -= step, grad_mu_g += step, grad_lv_f += grad_S var_f, grad_lv_g += grad_S var_g */
    static inline void w2gm_grad_diagonal_pair(int D, float coef, const float *mu_fi,
                                               const float *mu_gj, const float *inv_S,
                                               const float *var_fi, const float *var_gj,
                                               float *grad_mu_fi, float *grad_mu_gj,
                                               float *grad_lv_fi, float *grad_lv_gj) {
        const float half_coef = coef * 0.5f;
        w2gm_v8sf mf, mg, inv, vf, vg, diff, step, grad_S, buf;
        float inv_r, diff_r, step_r, grad_S_r;
        int r = 0;
        for (; r + 8 <= D; r += 8) {
            memcpy(&mf, mu_fi + r, sizeof mf);
            memcpy(&mg, mu_gj + r, sizeof mg);
            memcpy(&inv, inv_S + r, sizeof inv);
            memcpy(&vf, var_fi + r, sizeof vf);
            memcpy(&vg, var_gj + r, sizeof vg);
            diff = mf - mg;
            step = (coef * diff) * inv;
            grad_S = (half_coef * inv) * ((diff * diff) * inv - 1.0f);
            memcpy(&buf, grad_mu_fi + r, sizeof buf);
            buf = buf - step;
            memcpy(grad_mu_fi + r, &buf, sizeof buf);
            memcpy(&buf, grad_mu_gj + r, sizeof buf);
            buf = buf + step;
            memcpy(grad_mu_gj + r, &buf, sizeof buf);
            memcpy(&buf, grad_lv_fi + r, sizeof buf);
            buf = buf + grad_S * vf;
            memcpy(grad_lv_fi + r, &buf, sizeof buf);
            memcpy(&buf, grad_lv_gj + r, sizeof buf);
            buf = buf + grad_S * vg;
            memcpy(grad_lv_gj + r, &buf, sizeof buf);
        }
        for (; r < D; r++) {
            inv_r = inv_S[r];
            diff_r = mu_fi[r] - mu_gj[r];
            step_r = (coef * diff_r) * inv_r;
            grad_S_r = (half_coef * inv_r) * ((diff_r * diff_r) * inv_r - 1.0f);
            grad_mu_fi[r] -= step_r;
            grad_mu_gj[r] += step_r;
            grad_lv_fi[r] += grad_S_r * var_fi[r];
            grad_lv_gj[r] += grad_S_r * var_gj[r];
        }
    }
    /* [G1]·[G3], [G1]·[G4]·[G5] for spherical covariance, K = 2, float32: the 4 component pairs'
       gradients in one pass over the means, 8 values at a time (each mean and gradient row
       loaded once per block instead of once per pair).  Per value the same operations in the
       same order as partial_energy_grad_spherical called for the pairs 00, 01, 10, 11: each
       gradient value takes its two pairs' steps in that order, so the same bits.
       coef[ij] = coef * gamma_ij, all 4 nonzero (the caller runs the per-pair loop, which skips
       a zero pair, otherwise).  The gradient buffers never overlap each other or the means (f's
       and g's are separate scratch in every caller), which the per-block loads and stores rely
       on. */
    static inline void w2gm_grad_spherical2(int D, const float *coef, const float *mu_f,
                                            const float *mu_g, const float *S,
                                            const float *sqdist, const float *var_f,
                                            const float *var_g, float *grad_mu_f,
                                            float *grad_mu_g, float *grad_lv_f,
                                            float *grad_lv_g) {
        float inv[4], c[4], grad_S[4];
        float d00, d01, d10, d11;
        w2gm_v8sf f0, f1, g0, g1, s00, s01, s10, s11, buf;
        int l, r = 0;
        for (l = 0; l < 4; l++) {
            inv[l] = 1.0f / S[l];
            c[l] = coef[l] * inv[l];
            grad_S[l] = ((coef[l] * 0.5f) * inv[l]) * (sqdist[l] * inv[l] - (float)D);
        }
        for (; r + 8 <= D; r += 8) {
            memcpy(&f0, mu_f + r, sizeof f0);
            memcpy(&f1, mu_f + D + r, sizeof f1);
            memcpy(&g0, mu_g + r, sizeof g0);
            memcpy(&g1, mu_g + D + r, sizeof g1);
            s00 = c[0] * (f0 - g0);
            s01 = c[1] * (f0 - g1);
            s10 = c[2] * (f1 - g0);
            s11 = c[3] * (f1 - g1);
            memcpy(&buf, grad_mu_f + r, sizeof buf);
            buf = (buf - s00) - s01;
            memcpy(grad_mu_f + r, &buf, sizeof buf);
            memcpy(&buf, grad_mu_f + D + r, sizeof buf);
            buf = (buf - s10) - s11;
            memcpy(grad_mu_f + D + r, &buf, sizeof buf);
            memcpy(&buf, grad_mu_g + r, sizeof buf);
            buf = (buf + s00) + s10;
            memcpy(grad_mu_g + r, &buf, sizeof buf);
            memcpy(&buf, grad_mu_g + D + r, sizeof buf);
            buf = (buf + s01) + s11;
            memcpy(grad_mu_g + D + r, &buf, sizeof buf);
        }
        for (; r < D; r++) {
            d00 = c[0] * (mu_f[r] - mu_g[r]);
            d01 = c[1] * (mu_f[r] - mu_g[D + r]);
            d10 = c[2] * (mu_f[D + r] - mu_g[r]);
            d11 = c[3] * (mu_f[D + r] - mu_g[D + r]);
            grad_mu_f[r] = (grad_mu_f[r] - d00) - d01;
            grad_mu_f[D + r] = (grad_mu_f[D + r] - d10) - d11;
            grad_mu_g[r] = (grad_mu_g[r] + d00) + d10;
            grad_mu_g[D + r] = (grad_mu_g[D + r] + d01) + d11;
        }
        grad_lv_f[0] = (grad_lv_f[0] + grad_S[0] * var_f[0]) + grad_S[1] * var_f[0];
        grad_lv_f[1] = (grad_lv_f[1] + grad_S[2] * var_f[1]) + grad_S[3] * var_f[1];
        grad_lv_g[0] = (grad_lv_g[0] + grad_S[0] * var_g[0]) + grad_S[2] * var_g[0];
        grad_lv_g[1] = (grad_lv_g[1] + grad_S[1] * var_g[1]) + grad_S[3] * var_g[1];
    }
    #else
    #define W2GM_HAVE_LANES4 0
    static inline void w2gm_prepare_spherical4(int K, const float *lv, const float *s,
                                               float *var, float *log_weights) {}
    static inline void w2gm_weights4(int K, const float *log_p, const float *log_q, float *p,
                                     float *q) {}
    static inline float w2gm_log_energy_spherical4(
            int K, int D, const float *mu_f, const float *var_f, const float *log_p,
            const float *mu_g, const float *var_g, const float *log_q, float eps,
            float *S, float *sqdist, float *xi, float *gamma) {
        return 0;   /* never called: the kernel tests W2GM_HAVE_LANES4 first */
    }
    static inline float w2gm_log_energy_diagonal4(
            int K, int D, const float *mu_f, const float *var_f, const float *log_p,
            const float *mu_g, const float *var_g, const float *log_q, float eps, float *inv_S,
            float *xi, float *gamma) {
        return 0;   /* never called */
    }
    static inline void w2gm_log_softmax2(const float *s, float *log_weights) {}
    static inline void w2gm_diagonal_pair(int D, const float *mu_fi, const float *mu_gj,
                                          const float *var_fi, const float *var_gj, float eps,
                                          float *inv_S, float *mahal, double *product,
                                          int64_t *exponent) {}
    static inline float w2gm_log_det_from_parts(int64_t exponent, float lg) {
        return 0;
    }
    static inline void w2gm_grad_diagonal_pair(int D, float coef, const float *mu_fi,
                                               const float *mu_gj, const float *inv_S,
                                               const float *var_fi, const float *var_gj,
                                               float *grad_mu_fi, float *grad_mu_gj,
                                               float *grad_lv_fi, float *grad_lv_gj) {}
    static inline void w2gm_grad_spherical2(int D, const float *coef, const float *mu_f,
                                            const float *mu_g, const float *S,
                                            const float *sqdist, const float *var_f,
                                            const float *var_g, float *grad_mu_f,
                                            float *grad_mu_g, float *grad_lv_f,
                                            float *grad_lv_g) {}
    #endif
    """
    bint HAVE_LANES4 "W2GM_HAVE_LANES4"
    float log_energy_spherical4 "w2gm_log_energy_spherical4"(
        int K, int D, const float *mu_f, const float *var_f, const float *log_p,
        const float *mu_g, const float *var_g, const float *log_q, float eps,
        float *S, float *sqdist, float *xi, float *gamma) noexcept nogil
    void prepare_spherical4 "w2gm_prepare_spherical4"(int K, const float *lv, const float *s,
                                                      float *var, float *log_weights) noexcept nogil
    void weights4 "w2gm_weights4"(int K, const float *log_p, const float *log_q, float *p,
                                  float *q) noexcept nogil
    float log_energy_diagonal4 "w2gm_log_energy_diagonal4"(
        int K, int D, const float *mu_f, const float *var_f, const float *log_p,
        const float *mu_g, const float *var_g, const float *log_q, float eps, float *inv_S,
        float *xi, float *gamma) noexcept nogil
    void log_softmax2 "w2gm_log_softmax2"(const float *s, float *log_weights) noexcept nogil
    void diagonal_pair "w2gm_diagonal_pair"(
        int D, const float *mu_fi, const float *mu_gj, const float *var_fi, const float *var_gj,
        float eps, float *inv_S, float *mahal, double *product, int64_t *exponent) noexcept nogil
    float log_det_from_parts "w2gm_log_det_from_parts"(int64_t exponent, float lg) noexcept nogil
    void grad_spherical2 "w2gm_grad_spherical2"(
        int D, const float *coef, const float *mu_f, const float *mu_g, const float *S,
        const float *sqdist, const float *var_f, const float *var_g, float *grad_mu_f,
        float *grad_mu_g, float *grad_lv_f, float *grad_lv_g) noexcept nogil
    void grad_diagonal_pair "w2gm_grad_diagonal_pair"(
        int D, float coef, const float *mu_fi, const float *mu_gj, const float *inv_S,
        const float *var_fi, const float *var_gj, float *grad_mu_fi, float *grad_mu_gj,
        float *grad_lv_fi, float *grad_lv_gj) noexcept nogil


# sqdist = sum_r (mu_f,i,r - mu_g,j,r)^2, the spherical [eq. 3] numerator
cdef inline floating squared_distance(const floating *a, const floating *b, int D) noexcept nogil:
    """Squared Euclidean distance ``sum_r (a_r - b_r)^2``.

    Without -ffast-math the compiler must keep a single running sum in order,
    one dependent add per element.  float32 (training) sums in 8 interleaved
    partial sums held in one vector (``w2gm_sqdist_f32`` above); float64 (the
    test wrappers) in four, which the compiler pipelines.
    """
    cdef floating part0 = 0, part1 = 0, part2 = 0, part3 = 0, diff0, diff1, diff2, diff3
    cdef int r = 0
    if floating is float:
        part0 = w2gm_sqdist_f32(a, b, D)
    else:
        while r + 4 <= D:
            diff0 = a[r] - b[r]
            diff1 = a[r + 1] - b[r + 1]
            diff2 = a[r + 2] - b[r + 2]
            diff3 = a[r + 3] - b[r + 3]
            part0 = part0 + diff0 * diff0
            part1 = part1 + diff1 * diff1
            part2 = part2 + diff2 * diff2
            part3 = part3 + diff3 * diff3
            r += 4
        while r < D:
            diff0 = a[r] - b[r]
            part0 = part0 + diff0 * diff0
            r += 1
    return (part0 + part1) + (part2 + part3)


# ---------------------------------------------------------------------------
# Energy forward: [eq. 3] partial energies, [eq. 2] log energy
# ---------------------------------------------------------------------------

# var = exp(lv) (Appendix A.2 optimises log d); log_weights = log softmax(s) [A.2 softmax]
# float32: spherical with K <= 2 in one fast_exp4 (prepare_spherical4 above); diagonal (Dv > 1)
# the vectorised fast_exp (_fastmath.pxd, within 1 ulp) and, for K = 2, the softmax in one
# fast_exp4 (log_softmax2); other K libm's expf
cdef inline void variances_and_log_weights(int K, int Dv, const floating *lv, const floating *s,
                                           floating *var, floating *log_weights) noexcept nogil:
    """Variances ``exp(lv)`` (K*Dv) and log mixture weights ``log softmax(s)`` (K) of one word."""
    cdef int i
    if floating is float:
        if HAVE_LANES4 and Dv == 1 and K <= 2:
            prepare_spherical4(K, lv, s, var, log_weights)
            return
        if Dv > 1:
            for i in range(K * Dv):
                var[i] = fast_exp(lv[i])
            if HAVE_LANES4 and K == 2:
                log_softmax2(s, log_weights)
                return
        else:
            for i in range(K):
                var[i] = expf(lv[i])
    else:
        for i in range(K * Dv):
            var[i] = f_exp(lv[i])
    log_softmax(K, s, log_weights)


# [eq. 3] spherical: S_ij = var_f,i + var_g,j + eps,
#                    xi_ij = -1/2 (D log S_ij + sqdist_ij / S_ij)
cdef inline floating partial_energy_spherical(
        int D, const floating *mu_fi, const floating *mu_gj, floating var_fi, floating var_gj,
        floating eps, floating *S_ij, floating *sqdist_ij) noexcept nogil:
    """``xi_ij`` of one component pair; stores ``S_ij`` and ``sqdist_ij`` for the backward pass."""
    cdef floating S = var_fi + var_gj + eps
    cdef floating sqdist
    S_ij[0] = S
    sqdist = squared_distance(mu_fi, mu_gj, D)
    sqdist_ij[0] = sqdist
    return <floating>(-0.5) * (D * f_log(S) + sqdist / S)


# [eq. 3] diagonal (Appendix A.2): S_ijr = var_f,i,r + var_g,j,r + eps,
#                                  xi_ij = -1/2 (sum_r log S_ijr + sum_r diff_r^2 / S_ijr)
# The backward pass needs only 1/S_ijr, so that is what is stored: one division per value in all.
# This is the float64 kernel, and the float32 one for K >= 3, max_partial_energy or a build without
# the vector extension; float32 K <= 2 takes w2gm_log_energy_diagonal4 (the same reciprocals and
# Mahalanobis sum in one pass, the logarithms on 4 lanes).
# float32: the reciprocals in a loop of their own (vectorised), the Mahalanobis sum over them in 4
# interleaved partial sums as in squared_distance (vectorised; one running sum is not), and
# sum_r log S_ijr = log of the product of the S_ijr, taken in float64 with its exponent kept apart
# (w2gm_log_det_f32 above): one logarithm per component pair instead of D (before: D/4, one per
# product of 4).  A vectorised float32 log was measured slower than the blocked float64 logarithms
# (docs/performance.md).
cdef inline floating partial_energy_diagonal(
        int D, const floating *mu_fi, const floating *mu_gj, const floating *var_fi,
        const floating *var_gj, floating eps, floating *inv_S_ij) noexcept nogil:
    """``xi_ij`` of one component pair; stores ``1 / S_ijr`` (D values) for the backward pass."""
    cdef int r
    cdef floating diff, inv, mahal = 0, log_det = 0
    cdef float diff0, diff1, diff2, diff3, mahal0 = 0, mahal1 = 0, mahal2 = 0, mahal3 = 0
    if floating is float:
        for r in range(D):
            inv_S_ij[r] = 1 / (var_fi[r] + var_gj[r] + eps)
        r = 0
        while r + 4 <= D:
            diff0 = mu_fi[r] - mu_gj[r]
            diff1 = mu_fi[r + 1] - mu_gj[r + 1]
            diff2 = mu_fi[r + 2] - mu_gj[r + 2]
            diff3 = mu_fi[r + 3] - mu_gj[r + 3]
            mahal0 = mahal0 + diff0 * diff0 * inv_S_ij[r]
            mahal1 = mahal1 + diff1 * diff1 * inv_S_ij[r + 1]
            mahal2 = mahal2 + diff2 * diff2 * inv_S_ij[r + 2]
            mahal3 = mahal3 + diff3 * diff3 * inv_S_ij[r + 3]
            r += 4
        while r < D:
            diff0 = mu_fi[r] - mu_gj[r]
            mahal0 = mahal0 + diff0 * diff0 * inv_S_ij[r]
            r += 1
        mahal = (mahal0 + mahal1) + (mahal2 + mahal3)
        log_det = <float>w2gm_log_det_f32(var_fi, var_gj, eps, D)
    else:
        for r in range(D):
            inv = 1 / (var_fi[r] + var_gj[r] + eps)
            inv_S_ij[r] = inv
            diff = mu_fi[r] - mu_gj[r]
            mahal = mahal + diff * diff * inv
        for r in range(D):
            log_det = log_det + f_log(var_fi[r] + var_gj[r] + eps)
    return <floating>(-0.5) * (log_det + mahal)


# [eq. 2] stabilised as in Appendix A.2: with t_ij = log p_i + log q_j + xi_ij and M = max t_ij,
#   log E = M + log sum_ij exp(t_ij - M),   gamma_ij = exp(t_ij - M) / sum_kl exp(t_kl - M)
# [max PE] a log-domain variant of the original's max_pe (which maximises the unweighted xi_ij
#   and returns xi_max * p_i * q_j): log E = M, gamma = 1 at the first arg-max pair, 0 elsewhere
cdef inline floating log_sum_exp_responsibilities(
        int K, const floating *log_p, const floating *log_q, const floating *xi,
        floating *gamma, bint max_pe) noexcept nogil:
    """Log energy from the partial energies; fills ``gamma`` with the responsibilities.

    With ``max_pe`` the log energy is the largest weighted term and ``gamma``
    is one-hot at the first pair (row-major) that attains it, so the backward
    pass flows through that pair only.
    """
    cdef int i, j, ij
    cdef floating term, max_term, total
    cdef bint found
    max_term = log_p[0] + log_q[0] + xi[0]
    for i in range(K):
        for j in range(K):
            term = log_p[i] + log_q[j] + xi[i * K + j]
            gamma[i * K + j] = term
            if term > max_term:
                max_term = term
    if max_pe:
        found = False
        for ij in range(K * K):
            if not found and gamma[ij] == max_term:
                gamma[ij] = 1
                found = True
            else:
                gamma[ij] = 0
        return max_term
    total = 0
    for ij in range(K * K):
        gamma[ij] = f_exp(gamma[ij] - max_term)
        total = total + gamma[ij]
    for ij in range(K * K):
        gamma[ij] = gamma[ij] / total
    return max_term + f_log(total)


cdef floating log_energy_fwd(
        int K, int D, int Dv,
        const floating *mu_f, const floating *var_f, const floating *log_p,
        const floating *mu_g, const floating *lv_g, const floating *s_g,
        floating eps, bint max_pe,
        floating *var_g, floating *log_q,
        floating *S, floating *sqdist, floating *xi, floating *gamma) noexcept nogil:
    """Log energy ``log E(f, g)`` (eq. 2) and what its gradient needs.

    With ``max_pe`` (the ``max_partial_energy`` setting) the log energy is
    ``max_ij (log p_i + log q_j + xi_ij)`` instead (see
    :c:func:`log_sum_exp_responsibilities`).

    The f side comes prepared (:c:func:`variances_and_log_weights`: the
    trainer computes ``var_f`` and ``log_p`` once per centre word, not once
    per pair); the g side is prepared here.

    Outputs (caller-owned scratch): ``var_g`` (K*Dv) variances and ``log_q``
    (K) log mixture weights of g; ``S`` (K*K*Dv) summed variances (spherical:
    ``S_ij``; diagonal: their reciprocals ``1 / S_ijr``, all the backward pass needs);
    ``sqdist`` (K*K) squared mean distances (spherical only, not written
    for diagonal covariance); ``xi`` (K*K) partial energies; ``gamma``
    (K*K) responsibilities.

    float32 with K <= 2 (not ``max_pe``) takes the same steps in one vector
    of the K*K component pairs (:c:func:`log_energy_spherical4` and
    :c:func:`log_energy_diagonal4`, with ``fast_log4`` / ``fast_exp4``); the
    float64 instance and other K run the scalar loop below.
    """
    cdef int i, j
    cdef Py_ssize_t ij      # S + ij * D reaches K*K*D, beyond a C int
    cdef const floating *mu_fi
    variances_and_log_weights(K, Dv, lv_g, s_g, var_g, log_q)
    if floating is float:
        if HAVE_LANES4 and K <= 2 and not max_pe:
            if Dv == 1:
                return log_energy_spherical4(K, D, mu_f, var_f, log_p, mu_g, var_g, log_q, eps,
                                             S, sqdist, xi, gamma)
            return log_energy_diagonal4(K, D, mu_f, var_f, log_p, mu_g, var_g, log_q, eps,
                                        S, xi, gamma)
    for i in range(K):
        mu_fi = mu_f + i * D
        for j in range(K):
            ij = i * K + j
            if Dv == 1:
                xi[ij] = partial_energy_spherical(D, mu_fi, mu_g + j * D, var_f[i], var_g[j], eps,
                                                  S + ij, sqdist + ij)
            else:
                xi[ij] = partial_energy_diagonal(D, mu_fi, mu_g + j * D, var_f + i * D, var_g + j * D,
                                                 eps, S + ij * D)
    return log_sum_exp_responsibilities(K, log_p, log_q, xi, gamma, max_pe)


# ---------------------------------------------------------------------------
# Energy backward: gradient lines [G1]-[G5]
# ---------------------------------------------------------------------------

# [G2] ∂logE/∂s_f,i = sum_j gamma_ij - p_i,  ∂logE/∂s_g,j = sum_i gamma_ij - q_j
# p_i = exp(log p_i), q_j = exp(log q_j): float32 with K <= 2 in one fast_exp4 (weights4 above)
cdef inline void logits_grad(int K, floating coef, const floating *log_p, const floating *log_q,
                             const floating *gamma, floating *grad_s_f,
                             floating *grad_s_g) noexcept nogil:
    cdef int i, j
    cdef floating gamma_sum, weight
    cdef float p4[2]
    cdef float q4[2]
    cdef bint lanes = False
    if floating is float:
        lanes = HAVE_LANES4 and K <= 2
        if lanes:
            weights4(K, log_p, log_q, p4, q4)
    for i in range(K):
        gamma_sum = 0
        for j in range(K):
            gamma_sum = gamma_sum + gamma[i * K + j]
        weight = p4[i] if lanes else f_exp(log_p[i])
        grad_s_f[i] += coef * (gamma_sum - weight)
    for j in range(K):
        gamma_sum = 0
        for i in range(K):
            gamma_sum = gamma_sum + gamma[i * K + j]
        weight = q4[j] if lanes else f_exp(log_q[j])
        grad_s_g[j] += coef * (gamma_sum - weight)


# spherical, [G1]·[G3]: ∂/∂mu_f,i = -coef_ij diff / S_ij = -∂/∂mu_g,j;
#            [G1]·[G4]·[G5]: ∂/∂lv_f,i = coef_ij (sqdist_ij / S_ij - D) / (2 S_ij) · var_f,i
cdef inline void partial_energy_grad_spherical(
        int D, floating coef_ij, const floating *mu_fi, const floating *mu_gj,
        floating S_ij, floating sqdist_ij, floating var_fi, floating var_gj,
        floating *grad_mu_fi, floating *grad_mu_gj,
        floating *grad_lv_fi, floating *grad_lv_gj) noexcept nogil:
    """Add ``coef_ij * ∂xi_ij/∂(mu, lv)`` of both components to the gradient buffers."""
    cdef int r
    cdef floating step, grad_S
    cdef floating inv_S = 1 / S_ij
    cdef floating coef_over_S = coef_ij * inv_S
    for r in range(D):
        step = coef_over_S * (mu_fi[r] - mu_gj[r])
        grad_mu_fi[r] -= step
        grad_mu_gj[r] += step
    grad_S = coef_ij * <floating>0.5 * inv_S * (sqdist_ij * inv_S - D)
    grad_lv_fi[0] += grad_S * var_fi
    grad_lv_gj[0] += grad_S * var_gj


# diagonal, [G1]·[G3]: ∂/∂mu_f,i,r = -coef_ij diff_r / S_ijr = -∂/∂mu_g,j,r;
#           [G1]·[G4]·[G5]: ∂/∂lv_f,i,r = coef_ij (diff_r^2 / S_ijr - 1) / (2 S_ijr) · var_f,i,r
cdef inline void partial_energy_grad_diagonal(
        int D, floating coef_ij, const floating *mu_fi, const floating *mu_gj,
        const floating *inv_S_ij, const floating *var_fi, const floating *var_gj,
        floating *grad_mu_fi, floating *grad_mu_gj,
        floating *grad_lv_fi, floating *grad_lv_gj) noexcept nogil:
    """Add ``coef_ij * ∂xi_ij/∂(mu, lv)`` of both components to the gradient buffers.

    ``inv_S_ij`` holds the D reciprocals ``1 / S_ijr`` stored by the forward pass.

    Three loops, each writing one or two of the gradient buffers: GCC
    vectorises a loop whose stores may alias its loads only behind run-time
    overlap checks, of which it allows 10 by default; one loop writing all
    four buffers needs more and stays scalar (GCC 12, ``-fopt-info-vec``),
    each of these three is vectorised.  ``grad_S`` is recomputed in the
    last two (a few multiplies per value).
    """
    cdef int r
    cdef floating inv_S, diff, step, grad_S
    for r in range(D):
        inv_S = inv_S_ij[r]
        diff = mu_fi[r] - mu_gj[r]
        step = coef_ij * diff * inv_S
        grad_mu_fi[r] -= step
        grad_mu_gj[r] += step
    for r in range(D):
        inv_S = inv_S_ij[r]
        diff = mu_fi[r] - mu_gj[r]
        grad_S = coef_ij * <floating>0.5 * inv_S * (diff * diff * inv_S - <floating>1)
        grad_lv_fi[r] += grad_S * var_fi[r]
    for r in range(D):
        inv_S = inv_S_ij[r]
        diff = mu_fi[r] - mu_gj[r]
        grad_S = coef_ij * <floating>0.5 * inv_S * (diff * diff * inv_S - <floating>1)
        grad_lv_gj[r] += grad_S * var_gj[r]


cdef void log_energy_bwd(
        int K, int D, int Dv, floating coef,
        const floating *mu_f, const floating *mu_g,
        const floating *var_f, const floating *var_g,
        const floating *log_p, const floating *log_q,
        const floating *S, const floating *sqdist, const floating *gamma,
        floating *grad_mu_f, floating *grad_lv_f, floating *grad_s_f,
        floating *grad_mu_g, floating *grad_lv_g, floating *grad_s_g) noexcept nogil:
    """Accumulate ``coef * ∂logE(f, g)/∂params`` into the gradient buffers.

    Uses the scratch filled by :c:func:`log_energy_fwd` for the same pair
    (``var_f`` and ``log_p`` as passed to it).

    float32 spherical K = 2 with all 4 ``coef * gamma_ij`` nonzero runs the
    4 component pairs in one pass (:c:func:`w2gm_grad_spherical2`, the same
    bits); diagonal covariance runs each pair's three loops fused
    (:c:func:`w2gm_grad_diagonal_pair`).
    """
    cdef int i, j
    cdef Py_ssize_t ij      # S + ij * D reaches K*K*D, beyond a C int
    cdef floating coef_ij
    cdef const floating *mu_fi
    cdef floating *grad_mu_fi
    cdef float coef4[4]
    logits_grad(K, coef, log_p, log_q, gamma, grad_s_f, grad_s_g)
    if floating is float:
        if HAVE_LANES4 and Dv == 1 and K == 2:
            for ij in range(4):
                coef4[ij] = coef * gamma[ij]
            if coef4[0] != 0 and coef4[1] != 0 and coef4[2] != 0 and coef4[3] != 0:
                grad_spherical2(D, coef4, mu_f, mu_g, S, sqdist, var_f, var_g,
                                grad_mu_f, grad_mu_g, grad_lv_f, grad_lv_g)
                return
    for i in range(K):
        mu_fi = mu_f + i * D
        grad_mu_fi = grad_mu_f + i * D
        for j in range(K):
            ij = i * K + j
            # [G1] the chain rule through xi_ij scales by gamma_ij
            coef_ij = coef * gamma[ij]
            if coef_ij == 0:
                continue
            if Dv == 1:
                partial_energy_grad_spherical(D, coef_ij, mu_fi, mu_g + j * D, S[ij], sqdist[ij],
                                              var_f[i], var_g[j], grad_mu_fi, grad_mu_g + j * D,
                                              grad_lv_f + i, grad_lv_g + j)
            elif floating is float and HAVE_LANES4:
                grad_diagonal_pair(D, coef_ij, mu_fi, mu_g + j * D, S + ij * D,
                                   var_f + i * D, var_g + j * D, grad_mu_fi, grad_mu_g + j * D,
                                   grad_lv_f + i * D, grad_lv_g + j * D)
            else:
                partial_energy_grad_diagonal(D, coef_ij, mu_fi, mu_g + j * D, S + ij * D,
                                             var_f + i * D, var_g + j * D,
                                             grad_mu_fi, grad_mu_g + j * D,
                                             grad_lv_f + i * D, grad_lv_g + j * D)


cdef inline bint not_finite(double x) noexcept nogil:
    return not ((x - x) == 0)


# ---------------------------------------------------------------------------
# [shared negatives] one window's negatives drawn once (the shared_negatives setting)
# ---------------------------------------------------------------------------

# Per-negative lengths of the arrays below (negative k's part starts at k times them).
cdef inline Py_ssize_t _s_len(int K, int Dv) noexcept nogil:
    return <Py_ssize_t>K * K * Dv


cdef void shared_negatives_fwd(
        int K, int D, int Dv, int n, const int32_t *words,
        const floating *mu_f, const floating *var_f, const floating *log_p,
        const floating *mu_out, const floating *lv_out, const floating *s_out,
        Py_ssize_t lv_row, Py_ssize_t s_row, floating eps, bint max_pe,
        floating *log_e, floating *mu_g, floating *var_g, floating *log_q,
        floating *S, floating *sqdist, floating *xi, floating *gamma) noexcept nogil:
    """``log_e[k] = log E(f, c'_k)`` for the ``n`` words ``c'_k = words[k]`` (eq. 2).

    ``mu_out``, ``lv_out``, ``s_out`` are the output-side tables (word-major,
    as in :c:type:`SideParams`).  For every k it copies c'_k's means to
    ``mu_g + k*K*D`` and leaves the forward results in the k-th part of
    ``var_g`` (K*Dv), ``log_q`` (K), ``S`` (K*K*Dv), ``sqdist``, ``xi`` and
    ``gamma`` (K*K each), which is what :c:func:`shared_negatives_bwd` reads.
    """
    cdef int k, r
    cdef Py_ssize_t row_mu, kd = <Py_ssize_t>K * D, kk = <Py_ssize_t>K * K
    cdef floating *mu_k
    for k in range(n):
        row_mu = <Py_ssize_t>words[k] * kd
        mu_k = mu_g + k * kd
        for r in range(K * D):
            mu_k[r] = mu_out[row_mu + r]
        log_e[k] = log_energy_fwd(K, D, Dv, mu_f, var_f, log_p, mu_k,
                                  lv_out + <Py_ssize_t>words[k] * lv_row,
                                  s_out + <Py_ssize_t>words[k] * s_row, eps, max_pe,
                                  var_g + <Py_ssize_t>k * K * Dv, log_q + <Py_ssize_t>k * K,
                                  S + k * _s_len(K, Dv), sqdist + k * kk, xi + k * kk,
                                  gamma + k * kk)


# [Sec. 3.3] the hinge of every (c, c'_k) term of one context word c, c'_k == c skipped
cdef int shared_negatives_terms(
        int n, floating margin, floating log_e_pos, int32_t c, const int32_t *words,
        const floating *log_e, int32_t *counts, double *loss_sum, int64_t *n_samples,
        int64_t *n_nonfinite) noexcept nogil:
    """Terms ``max(0, margin - log E(w, c) + log E(w, c'_k))`` for k < n.

    Adds each active term to ``loss_sum`` and 1 to ``counts[k]``; counts the
    evaluated terms in ``n_samples`` and the NaN / infinite ones (not applied)
    in ``n_nonfinite``.  Returns the number of active terms (``c``'s
    gradient factor).
    """
    cdef int k, n_active = 0
    cdef floating loss
    for k in range(n):
        if words[k] == c:
            continue
        loss = margin - log_e_pos + log_e[k]
        n_samples[0] += 1
        if not_finite(loss):
            n_nonfinite[0] += 1
            continue
        if loss > 0:
            loss_sum[0] += loss
            n_active += 1
            counts[k] += 1
    return n_active


cdef void shared_negatives_bwd(
        int K, int D, int Dv, int n, const int32_t *counts,
        const floating *mu_f, const floating *var_f, const floating *log_p,
        const floating *mu_g, const floating *var_g, const floating *log_q,
        const floating *S, const floating *sqdist, const floating *gamma,
        floating *grad_mu_f, floating *grad_lv_f, floating *grad_s_f,
        floating *grad_negs) noexcept nogil:
    """[G6] ``∂L/∂logE(w, c'_k) = counts[k]``: backward pass of every used negative.

    Adds ``counts[k] * ∂logE(f, c'_k)/∂f`` to the f gradient and writes
    ``counts[k] * ∂logE(f, c'_k)/∂c'_k`` to the k-th gradient block of
    ``grad_negs`` (``K*D + K*Dv + K`` floats: mu, lv, s), for every k with
    ``counts[k] > 0``; the other blocks are not touched.  Reads the forward
    results of :c:func:`shared_negatives_fwd`.
    """
    cdef int k
    cdef Py_ssize_t grad_len = <Py_ssize_t>K * D + <Py_ssize_t>K * Dv + K
    cdef Py_ssize_t kk = <Py_ssize_t>K * K
    cdef floating *grad_k
    for k in range(n):
        if counts[k] == 0:
            continue
        grad_k = grad_negs + k * grad_len
        memset(grad_k, 0, grad_len * sizeof(floating))
        log_energy_bwd(K, D, Dv, <floating>counts[k], mu_f, mu_g + k * (<Py_ssize_t>K * D),
                       var_f, var_g + <Py_ssize_t>k * K * Dv, log_p, log_q + <Py_ssize_t>k * K,
                       S + k * _s_len(K, Dv), sqdist + k * kk, gamma + k * kk,
                       grad_mu_f, grad_lv_f, grad_s_f,
                       grad_k, grad_k + <Py_ssize_t>K * D, grad_k + <Py_ssize_t>K * D + K * Dv)


# ---------------------------------------------------------------------------
# Parameter updates (in place, no locks)
# ---------------------------------------------------------------------------

# [SGD] x -= lr grad_x;  [Adagrad] acc_x += grad_x^2, x -= lr grad_x / sqrt(acc_x)
# [Adagrad, N terms] grad_x = N g summed over N terms: acc_x += N g^2 = grad_x^2 / N
cdef inline void apply_update(float *x, float *acc_x, const float *grad_x, int n, float lr,
                              bint adagrad, int terms) noexcept nogil:
    """One step on ``n`` values; ``terms`` (>= 1): hinge terms summed in ``grad_x``.

    With Adagrad and ``terms = N > 1`` the accumulator grows by
    ``grad_x^2 / N``, what N separate steps of ``grad_x / N`` would add to
    first order (``N g^2``, not ``N^2 g^2``); the step is ``lr grad_x /
    sqrt(acc_x)``.  ``terms == 1`` is the plain Adagrad step, unchanged.
    SGD ignores ``terms``.
    """
    cdef int k
    cdef float inv_terms
    if adagrad:
        if terms == 1:
            for k in range(n):
                acc_x[k] = acc_x[k] + grad_x[k] * grad_x[k]
                x[k] = x[k] - lr * grad_x[k] / sqrtf(acc_x[k])
        else:
            inv_terms = 1.0 / <float>terms
            for k in range(n):
                acc_x[k] = acc_x[k] + grad_x[k] * grad_x[k] * inv_terms
                x[k] = x[k] - lr * grad_x[k] / sqrtf(acc_x[k])
    else:
        for k in range(n):
            x[k] = x[k] - lr * grad_x[k]


# [row Adagrad] one accumulator a for a row of n values: a += mean_r(grad_r^2) / terms,
#               x_r -= lr grad_r / sqrt(a)
cdef inline void apply_row_update(floating *x, floating *acc_row, const floating *grad_x, int n,
                                  floating lr, int terms) noexcept nogil:
    """One Adagrad step on a row of ``n`` values sharing the accumulator ``acc_row[0]``.

    The accumulator grows by the mean of the squared gradients over the row
    (the mean, not the sum, so ``adagrad_initial_accumulator`` keeps its
    scale), divided by ``terms`` (>= 1) as in :c:func:`apply_update`: with
    ``grad_x = N g`` summed over N hinge terms that is ``N mean(g^2)``.  The
    updated accumulator scales the whole row: ``x_r -= (lr / sqrt(a)) grad_r``.
    """
    cdef int k
    cdef floating total = 0, a, scale
    for k in range(n):
        total = total + grad_x[k] * grad_x[k]
    a = acc_row[0] + total / (<floating>n * <floating>terms)
    acc_row[0] = a
    if floating is float:
        scale = lr / sqrtf(a)
    else:
        scale = lr / sqrt(a)
    for k in range(n):
        x[k] = x[k] - scale * grad_x[k]


cdef inline void clip_range(float *x, int n, float lo, float hi) noexcept nogil:
    """Clip ``x`` to ``[lo, hi]`` in place; NaN stays NaN.

    Every value is stored back, chosen without a branch, so the loop
    vectorises (a conditional store would not); the values are those of
    ``if x < lo: x = lo elif x > hi: x = hi``.
    """
    cdef int k
    cdef float v
    for k in range(n):
        v = x[k]
        v = lo if v < lo else v
        v = hi if v > hi else v
        x[k] = v


cdef inline void prefetch_word(const TrainConfig *cfg, const SideParams *side,
                               int32_t word) noexcept nogil:
    """Start loading ``word``'s parameter rows and Adagrad accumulators on ``side`` (a hint)."""
    cdef int K = cfg.K, D = cfg.D, Dv = cfg.Dv
    w2gm_prefetch_floats(side.mu + <size_t>word * K * D, K * D)
    if side.packed:  # lv, s and their accumulators: one row
        w2gm_prefetch_floats(side.lv + <size_t>word * side.lv_row, <long>side.lv_row)
    else:
        w2gm_prefetch_floats(side.lv + <size_t>word * side.lv_row, K * Dv)
        w2gm_prefetch_floats(side.s + <size_t>word * side.s_row, K)
    if cfg.adagrad and not cfg.row_adagrad:
        w2gm_prefetch_floats(side.acc_mu + <size_t>word * K * D, K * D)
        if not side.packed:
            w2gm_prefetch_floats(side.acc_lv + <size_t>word * side.acc_lv_row, K * Dv)
            w2gm_prefetch_floats(side.acc_s + <size_t>word * side.acc_s_row, K)


cdef inline MixtureRow word_row(const SideParams *side, int32_t word, int K, int D,
                                int Dv) noexcept nogil:
    """Pointers to ``word``'s parameter rows on one side."""
    cdef MixtureRow row
    row.mu = side.mu + <size_t>word * K * D
    row.lv = side.lv + <size_t>word * side.lv_row
    row.s = side.s + <size_t>word * side.s_row
    return row


cdef inline float squared_norm(const float *a, int D) noexcept nogil:
    """``sum_r a_r^2``."""
    cdef float total = 0
    cdef int r
    for r in range(D):
        total = total + a[r] * a[r]
    return total


# [norm cap] the original's norm_cap: mu_f,i <- mu_f,i * cap / |mu_f,i| where |mu_f,i| > cap
cdef inline void cap_norms(float *mu, int K, int D, float cap) noexcept nogil:
    """Rescale each of the K mean vectors (D floats each) whose L2 norm exceeds ``cap`` to ``cap``."""
    cdef int i, r
    cdef float *mu_i
    cdef float norm, scale
    for i in range(K):
        mu_i = mu + i * D
        norm = sqrtf(squared_norm(mu_i, D))
        if norm > cap:
            scale = cap / norm
            for r in range(D):
                mu_i[r] = mu_i[r] * scale


cdef inline void update_word(const TrainConfig *cfg, const SideParams *side, int32_t word,
                             const MixtureRow *grad, float lr, int terms) noexcept nogil:
    """Apply one word's gradient to its rows on ``side`` (input or output).

    ``terms``: the Adagrad accumulation of :c:func:`apply_update`, 1 except
    for the shared negatives, whose gradient sums the ``N_k`` active terms
    that used them.

    The means take the rate ``lr``, the log-variances ``lr * lr_factor_lv``
    and the logits ``lr * lr_factor_s`` (factors 1 by default: multiplying
    a float by 1 is exact, so the default path is unchanged).  With
    ``norm_cap > 0`` every updated mean vector longer than the cap is then
    rescaled to it.

    The logits of a single-component mixture are left alone: their gradient
    is zero, and ``0 / sqrt(0)`` would turn a zero Adagrad accumulator into NaN.

    [row Adagrad] With ``cfg.row_adagrad`` (the ``adagrad_state`` setting
    ``"row"``) each of the word's K mean vectors has one accumulator
    (``acc_mu`` at ``word*K + i``), each of its K diagonal log-variance
    vectors one (``acc_lv``, the same layout), and its K logits one
    (``acc_s`` at ``word``); every such row takes :c:func:`apply_row_update`.
    Spherical log-variances (one value per component) take the scalar
    update, which is the same rule on a row of one value.
    """
    cdef int K = cfg.K, D = cfg.D, Dv = cfg.Dv
    cdef int i
    cdef bint rows = cfg.row_adagrad
    cdef float *mu = side.mu + <size_t>word * K * D
    cdef float *lv = side.lv + <size_t>word * side.lv_row
    cdef float *s = side.s + <size_t>word * side.s_row
    cdef float lr_lv = lr * cfg.lr_factor_lv
    cdef float *acc_mu = NULL
    cdef float *acc_lv = NULL
    cdef float *acc_s = NULL
    if cfg.adagrad:
        acc_mu = side.acc_mu + (<size_t>word * K if rows else <size_t>word * K * D)
        acc_lv = side.acc_lv + <size_t>word * side.acc_lv_row
        acc_s = side.acc_s + <size_t>word * side.acc_s_row
    if rows:
        for i in range(K):
            apply_row_update(mu + i * D, acc_mu + i, grad.mu + i * D, D, lr, terms)
    else:
        apply_update(mu, acc_mu, grad.mu, K * D, lr, cfg.adagrad, terms)
    if cfg.norm_cap > 0:
        cap_norms(mu, K, D, cfg.norm_cap)
    if rows and Dv > 1:
        for i in range(K):
            apply_row_update(lv + i * D, acc_lv + i, grad.lv + i * D, D, lr_lv, terms)
    else:
        apply_update(lv, acc_lv, grad.lv, K * Dv, lr_lv, cfg.adagrad, terms)
    clip_range(lv, K * Dv, cfg.lv_min, cfg.lv_max)
    if K > 1:
        if rows:
            apply_row_update(s, acc_s, grad.s, K, lr * cfg.lr_factor_s, terms)
        else:
            apply_update(s, acc_s, grad.s, K, lr * cfg.lr_factor_s, cfg.adagrad, terms)


# ---------------------------------------------------------------------------
# The training job (protocol in _train_inner.pxd)
# ---------------------------------------------------------------------------

cdef inline Py_ssize_t pair_scratch_len(int K, int Dv) noexcept nogil:
    cdef Py_ssize_t k = K
    return k * Dv + k + k * k * Dv + 3 * k * k


cdef Py_ssize_t train_scratch_len(int K, int D, int Dv, int n_shared) noexcept nogil:
    """Floats a :c:type:`TrainScratch` needs (see :c:func:`train_scratch_init`).

    ``n_shared``: negatives per window with shared negatives, else 0.
    Computed in Py_ssize_t: the pair scratch alone is ``2*K*K*Dv`` floats.
    """
    cdef Py_ssize_t k = K
    cdef Py_ssize_t grad_len = k * D + k * Dv + k
    cdef Py_ssize_t total = 3 * grad_len + k * Dv + k + 2 * pair_scratch_len(K, Dv)
    if n_shared > 0:
        # w's means (once), then per negative: log E, means, pair scratch, gradient
        total += k * D + <Py_ssize_t>n_shared * (1 + k * D + pair_scratch_len(K, Dv) + grad_len)
    return total


def _train_scratch_floats(int K, int D, int Dv, int n_shared=0):
    """:c:func:`train_scratch_len` (for tests)."""
    return train_scratch_len(K, D, Dv, n_shared)


cdef inline float *mixture_row_init(MixtureRow *row, float *block, int K, int D,
                                    int Dv) noexcept nogil:
    row.mu = block
    row.lv = row.mu + K * D
    row.s = row.lv + K * Dv
    return row.s + K


cdef inline float *pair_scratch_init(PairScratch *pair, float *block, int K, int Dv) noexcept nogil:
    pair.var_g = block
    pair.log_q = pair.var_g + K * Dv
    pair.S = pair.log_q + K
    pair.sqdist = pair.S + <Py_ssize_t>K * K * Dv
    pair.xi = pair.sqdist + K * K
    pair.gamma = pair.xi + K * K
    return pair.gamma + K * K


cdef void train_scratch_init(TrainScratch *scratch, float *block, int32_t *int_block,
                             int K, int D, int Dv, int n_shared) noexcept nogil:
    """Lay out ``scratch`` over ``block`` (:c:func:`train_scratch_len` floats).

    Each gradient buffer's three blocks are contiguous (mu, lv, s), so one
    ``memset`` of ``K*D + K*Dv + K`` floats from its ``mu`` clears it.  With
    ``n_shared > 0`` (shared negatives) w's means (``mu_w``, K*D) and the n
    negatives' arrays follow, and
    ``int_block`` (``(NEG_LOOKAHEAD + 2) * n_shared`` int32) holds their words (a ring of
    ``NEG_LOOKAHEAD + 1`` windows' draws) and counts;
    else those pointers are NULL.
    """
    cdef float *cursor = block
    cdef Py_ssize_t n = n_shared
    cursor = mixture_row_init(&scratch.grad_w, cursor, K, D, Dv)
    cursor = mixture_row_init(&scratch.grad_c, cursor, K, D, Dv)
    cursor = mixture_row_init(&scratch.grad_neg, cursor, K, D, Dv)
    scratch.var_w = cursor
    scratch.log_p_w = cursor + K * Dv
    cursor = scratch.log_p_w + K
    cursor = pair_scratch_init(&scratch.pos, cursor, K, Dv)
    cursor = pair_scratch_init(&scratch.neg, cursor, K, Dv)
    scratch.n_shared = n_shared
    if n_shared == 0:
        scratch.neg_words = NULL
        scratch.neg_counts = NULL
        scratch.mu_w = NULL
        scratch.log_e_neg = NULL
        scratch.mu_neg = NULL
        scratch.grad_negs = NULL
        memset(&scratch.negs, 0, sizeof(PairScratch))
        return
    scratch.neg_words = int_block
    scratch.neg_counts = int_block + (NEG_LOOKAHEAD + 1) * n
    scratch.mu_w = cursor
    scratch.log_e_neg = scratch.mu_w + K * D
    scratch.mu_neg = scratch.log_e_neg + n
    scratch.negs.var_g = scratch.mu_neg + n * K * D
    scratch.negs.log_q = scratch.negs.var_g + n * K * Dv
    scratch.negs.S = scratch.negs.log_q + n * K
    scratch.negs.sqdist = scratch.negs.S + n * K * K * Dv
    scratch.negs.xi = scratch.negs.sqdist + n * K * K
    scratch.negs.gamma = scratch.negs.xi + n * K * K
    scratch.grad_negs = scratch.negs.gamma + n * K * K


cdef inline void context_word_step(const TrainConfig *cfg, TrainScratch *scratch,
                                   const SideParams *side_out, const float *mu_w, int32_t c,
                                   const MixtureRow *row_c, int n_active, float lr) noexcept nogil:
    """Backward pass and update of context word ``c`` with ``n_active`` active terms.

    Uses the positive pair's forward results in ``scratch.pos``; adds w's
    share to ``scratch.grad_w`` and applies c's gradient to its output row.
    """
    cdef int K = cfg.K, D = cfg.D, Dv = cfg.Dv
    cdef int grad_len = K * D + K * Dv + K
    cdef MixtureRow *grad_w = &scratch.grad_w
    cdef MixtureRow *grad_c = &scratch.grad_c
    cdef PairScratch *pos = &scratch.pos
    # [G6] ∂L/∂logE(w, c) = -1 for each active term of c
    memset(grad_c.mu, 0, grad_len * sizeof(float))
    log_energy_bwd(K, D, Dv, <float>(-n_active), mu_w, row_c.mu,
                   scratch.var_w, pos.var_g, scratch.log_p_w, pos.log_q,
                   pos.S, pos.sqdist, pos.gamma,
                   grad_w.mu, grad_w.lv, grad_w.s,
                   grad_c.mu, grad_c.lv, grad_c.s)
    update_word(cfg, side_out, c, grad_c, lr, 1)


# Windows ahead whose negatives are drawn (and their rows prefetched) before the window is trained:
# the noise words are random rows, mostly not in cache; loading them while the windows in between
# train hides most of that latency.  The scratch holds NEG_LOOKAHEAD + 1 windows' draws (a ring).
cdef enum:
    NEG_LOOKAHEAD = 2

# for tests/reference.py, which models the draw order
_NEG_LOOKAHEAD = NEG_LOOKAHEAD


cdef inline int32_t *window_negatives(TrainScratch *scratch, Py_ssize_t i) noexcept nogil:
    """The ring slot of centre word ``i``'s ``n_shared`` negatives."""
    return scratch.neg_words + (i % (NEG_LOOKAHEAD + 1)) * scratch.n_shared


cdef inline void draw_window_negatives(const TrainConfig *cfg, TrainScratch *scratch,
                                       uint64_t *rng, Py_ssize_t i) noexcept nogil:
    """[shared negatives] Draw centre word ``i``'s negatives into its ring slot and prefetch their rows."""
    cdef int k
    cdef int32_t *words = window_negatives(scratch, i)
    for k in range(scratch.n_shared):
        # [A.2 sampling] c'_k from the unigram^0.75 noise distribution (ns_exponent)
        words[k] = draw_negative(rng, cfg.alias_prob, cfg.alias_index, cfg.vocab_size)
        prefetch_word(cfg, &cfg.params_out, words[k])


cdef int shared_negatives_window(const TrainConfig *cfg, TrainScratch *scratch,
                                 const int32_t *neg_words, int32_t w, MixtureRow row_w,
                                 const int32_t *kept, Py_ssize_t i, Py_ssize_t lo, Py_ssize_t hi,
                                 float lr, JobResult *res) noexcept nogil:
    """[shared negatives] One centre word's window with its negatives drawn once.

    ``kept[lo:hi]`` is the window of ``w = kept[i]``; the caller has cleared
    ``scratch.grad_w`` and filled ``scratch.var_w`` and ``scratch.log_p_w``,
    and applies ``grad_w`` to w's input row when this returns a positive
    number (of context words with an active term).

    ``neg_words`` holds the ``n = cfg.negative`` words ``c'_k`` drawn for
    this window (by :c:func:`draw_window_negatives`, ahead of time; a draw
    equal to w or to a context word is kept).  A window with no context word
    uses none of them.  Otherwise it computes ``log E(w, c'_k)`` once each; every context
    word ``c`` then costs one energy ``log E(w, c)``, and each of its terms
    ``max(0, margin - log E(w, c) + log E(w, c'_k))`` with ``c'_k != c`` is
    the per-pair hinge.  ``c`` is updated right after its terms with
    ``n_active(c) * -∂logE(w, c)``; each ``c'_k`` at the window's end with
    ``count_k * ∂logE(w, c'_k)`` at the parameters its energy was computed
    with (all backward passes run before any of these updates; with Adagrad
    its accumulator grows as after ``count_k`` separate steps, see
    :c:func:`apply_update`).  Every energy of the window reads w's
    parameters as of the window's start (``scratch.mu_w``, ``var_w``,
    ``log_p_w``), even where w's row changes as a context word of the window.
    """
    cdef int K = cfg.K, D = cfg.D, Dv = cfg.Dv
    cdef int n = scratch.n_shared
    cdef int grad_len = K * D + K * Dv + K
    cdef const SideParams *side_out = &cfg.params_out
    cdef MixtureRow *grad_w = &scratch.grad_w
    cdef PairScratch *pos = &scratch.pos
    cdef PairScratch *negs = &scratch.negs
    cdef MixtureRow row_c, grad_k
    cdef Py_ssize_t j
    cdef int k, r, n_active, n_w_active = 0
    cdef int32_t c
    cdef float log_e_pos
    if hi - lo < 2:
        return 0
    # the window's context rows are read and written below: start loading them all now
    for j in range(lo, hi):
        if j != i:
            prefetch_word(cfg, side_out, kept[j])
    # w's means as of the window's start, with var_w and log_p_w: where the tables are shared and
    # w is also a context word of its window, its row is updated mid-window (as c)
    for r in range(K * D):
        scratch.mu_w[r] = row_w.mu[r]
    for k in range(n):
        scratch.neg_counts[k] = 0
    shared_negatives_fwd(K, D, Dv, n, neg_words, scratch.mu_w, scratch.var_w, scratch.log_p_w,
                         side_out.mu, side_out.lv, side_out.s, side_out.lv_row, side_out.s_row,
                         cfg.eps, cfg.max_pe,
                         scratch.log_e_neg, scratch.mu_neg, negs.var_g, negs.log_q, negs.S,
                         negs.sqdist, negs.xi, negs.gamma)
    for j in range(lo, hi):
        if j == i:
            continue
        c = kept[j]
        row_c = word_row(side_out, c, K, D, Dv)
        log_e_pos = log_energy_fwd(K, D, Dv, scratch.mu_w, scratch.var_w, scratch.log_p_w,
                                   row_c.mu, row_c.lv, row_c.s, cfg.eps, cfg.max_pe,
                                   pos.var_g, pos.log_q, pos.S, pos.sqdist, pos.xi, pos.gamma)
        # [Sec. 3.3] every (c, c'_k) term, c'_k == c skipped
        n_active = shared_negatives_terms(n, cfg.margin, log_e_pos, c, neg_words,
                                          scratch.log_e_neg, scratch.neg_counts, &res.loss_sum,
                                          &res.n_samples, &res.n_nonfinite)
        if n_active > 0:
            res.n_active += n_active
            context_word_step(cfg, scratch, side_out, scratch.mu_w, c, &row_c, n_active, lr)
            n_w_active += 1
    if n_w_active > 0:
        # [G6] ∂L/∂logE(w, c'_k) = +1 for each active term that used c'_k
        shared_negatives_bwd(K, D, Dv, n, scratch.neg_counts, scratch.mu_w, scratch.var_w,
                             scratch.log_p_w, scratch.mu_neg, negs.var_g, negs.log_q, negs.S,
                             negs.sqdist, negs.gamma, grad_w.mu, grad_w.lv, grad_w.s,
                             scratch.grad_negs)
        for k in range(n):
            if scratch.neg_counts[k] > 0:
                grad_k.mu = scratch.grad_negs + <Py_ssize_t>k * grad_len
                grad_k.lv = grad_k.mu + K * D
                grad_k.s = grad_k.lv + K * Dv
                update_word(cfg, side_out, neg_words[k], &grad_k, lr,
                            scratch.neg_counts[k])
    return n_w_active


cdef JobResult run_job(const TrainConfig *cfg, TrainScratch *scratch, int32_t *kept,
                       const int32_t *words, const int64_t *sentence_ends,
                       Py_ssize_t n_sentences, double alpha_start, double alpha_end,
                       uint64_t seed) noexcept nogil:
    """Train on ``n_sentences`` sentences of vocabulary indices.

    For every kept centre word ``w`` and context word ``c`` within its reduced
    window (uniform in ``1..window``, one random draw; the full window, with
    no draw, when ``cfg.shrink_windows`` is false), draws ``negative`` noise
    words ``c'`` and takes one step on
    ``max(0, margin - log E(w, c) + log E(w, c'))``.  Output-side rows (c, c')
    are updated as soon as their gradient is known; the centre word's input
    row is updated once per centre word with the gradient summed over its
    window (as in word2vec).  The learning rate decays linearly from
    ``alpha_start`` to ``alpha_end`` across the job.  ``kept`` holds room for
    the longest sentence.  With ``cfg.shared_negatives`` each centre word's
    window goes through :c:func:`shared_negatives_window` instead (one
    branch per centre word; the per-pair path is unchanged).
    """
    cdef int K = cfg.K, D = cfg.D, Dv = cfg.Dv
    cdef int grad_len = K * D + K * Dv + K
    cdef const SideParams *side_in = &cfg.params_in
    cdef const SideParams *side_out = &cfg.params_out
    cdef MixtureRow *grad_w = &scratch.grad_w
    cdef MixtureRow *grad_neg = &scratch.grad_neg
    cdef PairScratch *pos = &scratch.pos
    cdef PairScratch *neg = &scratch.neg
    cdef JobResult res
    res.loss_sum = 0
    res.n_samples = 0
    res.n_active = 0
    res.n_kept = 0
    res.n_nonfinite = 0
    cdef uint64_t rng = rng_seed(seed)
    cdef Py_ssize_t sentence, start, stop, t, n, i, j, lo, hi
    cdef int _draw, reduced_window
    cdef int32_t w, c, c_neg
    cdef MixtureRow row_w, row_c, row_neg
    cdef int64_t total_words = sentence_ends[n_sentences - 1] if n_sentences > 0 else 0
    cdef float lr
    cdef float log_e_pos, log_e_neg, loss
    cdef int n_active, n_w_active
    start = 0
    for sentence in range(n_sentences):
        stop = sentence_ends[sentence]
        if total_words > 0:
            lr = <float>(alpha_start + (alpha_end - alpha_start) * (<double>start / total_words))
        else:
            lr = <float>alpha_start
        # [A.2 sampling] subsampling of frequent words
        n = 0
        for t in range(start, stop):
            if keep_word(&rng, cfg.keep[words[t]]):
                kept[n] = words[t]
                n += 1
        res.n_kept += n
        if cfg.shared_negatives:
            # [shared negatives] the first windows' negatives; window i then draws window
            # i + NEG_LOOKAHEAD's
            for i in range(min(n, NEG_LOOKAHEAD)):
                draw_window_negatives(cfg, scratch, &rng, i)
        for i in range(n):
            w = kept[i]
            row_w = word_row(side_in, w, K, D, Dv)
            if cfg.shrink_windows:
                reduced_window = cfg.window - <int>rng_below(&rng, <uint32_t>cfg.window)
            else:
                reduced_window = cfg.window
            lo = i - reduced_window
            if lo < 0:
                lo = 0
            hi = i + reduced_window + 1
            if hi > n:
                hi = n
            memset(grad_w.mu, 0, grad_len * sizeof(float))
            n_w_active = 0
            # the centre word's input row is only written after its window
            variances_and_log_weights(K, Dv, row_w.lv, row_w.s, scratch.var_w, scratch.log_p_w)
            if cfg.shared_negatives:
                if i + NEG_LOOKAHEAD < n:
                    draw_window_negatives(cfg, scratch, &rng, i + NEG_LOOKAHEAD)
                n_w_active = shared_negatives_window(cfg, scratch, window_negatives(scratch, i), w,
                                                     row_w, kept, i, lo, hi, lr, &res)
            else:
                for j in range(lo, hi):
                    if j == i:
                        continue
                    c = kept[j]
                    row_c = word_row(side_out, c, K, D, Dv)
                    log_e_pos = log_energy_fwd(K, D, Dv, row_w.mu, scratch.var_w, scratch.log_p_w,
                                               row_c.mu, row_c.lv, row_c.s, cfg.eps, cfg.max_pe,
                                               pos.var_g, pos.log_q, pos.S, pos.sqdist, pos.xi, pos.gamma)
                    n_active = 0
                    for _draw in range(cfg.negative):
                        # [A.2 sampling] c' from the unigram^0.75 noise distribution (ns_exponent)
                        c_neg = draw_negative(&rng, cfg.alias_prob, cfg.alias_index, cfg.vocab_size)
                        if c_neg == c:
                            continue
                        row_neg = word_row(side_out, c_neg, K, D, Dv)
                        log_e_neg = log_energy_fwd(K, D, Dv, row_w.mu, scratch.var_w, scratch.log_p_w,
                                                   row_neg.mu, row_neg.lv, row_neg.s, cfg.eps,
                                                   cfg.max_pe,
                                                   neg.var_g, neg.log_q, neg.S, neg.sqdist, neg.xi,
                                                   neg.gamma)
                        # [Sec. 3.3] L = max(0, margin - log E(w, c) + log E(w, c'))
                        loss = cfg.margin - log_e_pos + log_e_neg
                        res.n_samples += 1
                        if not_finite(loss):
                            res.n_nonfinite += 1
                            continue
                        if loss > 0:
                            res.loss_sum += loss
                            n_active += 1
                            # [G6] ∂L/∂logE(w, c') = +1
                            memset(grad_neg.mu, 0, grad_len * sizeof(float))
                            log_energy_bwd(K, D, Dv, <float>1.0, row_w.mu, row_neg.mu,
                                           scratch.var_w, neg.var_g, scratch.log_p_w, neg.log_q,
                                           neg.S, neg.sqdist, neg.gamma,
                                           grad_w.mu, grad_w.lv, grad_w.s,
                                           grad_neg.mu, grad_neg.lv, grad_neg.s)
                            update_word(cfg, side_out, c_neg, grad_neg, lr, 1)
                    if n_active > 0:
                        res.n_active += n_active
                        context_word_step(cfg, scratch, side_out, row_w.mu, c, &row_c, n_active, lr)
                        n_w_active += 1
            if n_w_active > 0:
                update_word(cfg, side_in, w, grad_w, lr, 1)
        start = stop
    return res


# ---------------------------------------------------------------------------
# init (KernelState) and populate + train (KernelState.train_job)
# ---------------------------------------------------------------------------

_FIELDS = ("means", "log_variances", "logits")


def _f32(a, name, shape):
    if not isinstance(a, np.ndarray) or a.dtype != np.float32 or not a.flags.c_contiguous \
            or not a.flags.writeable:
        raise TypeError(f"{name} must be a writeable C-contiguous float32 ndarray")
    if a.shape != shape:
        raise ValueError(f"{name} has shape {a.shape}, expected {shape}")
    return a


def _triple(group, name):
    """The three arrays ``(means, log_variances, logits)`` of a parameter group."""
    if isinstance(group, (np.ndarray, str, bytes)):
        raise TypeError(f"{name} must be a sequence (means, log_variances, logits), "
                        f"got {type(group).__name__}")
    try:
        items = tuple(group)
    except TypeError:
        raise TypeError(f"{name} must be a sequence (means, log_variances, logits), "
                        f"got {type(group).__name__}") from None
    if len(items) != 3:
        raise ValueError(f"{name} must hold 3 arrays (means, log_variances, logits), got {len(items)}")
    return items


def _side_arrays(group, name, shapes):
    """The checked arrays of one parameter or accumulator group, named ``name.field``."""
    return [_f32(a, f"{name}.{field}", shape)
            for a, field, shape in zip(_triple(group, name), _FIELDS, shapes)]


cdef void _side_init(SideParams *side, list arrays, list accumulators):
    side.mu = <float *>cnp.PyArray_DATA(arrays[0])
    side.lv = <float *>cnp.PyArray_DATA(arrays[1])
    side.s = <float *>cnp.PyArray_DATA(arrays[2])
    if accumulators is None:
        side.acc_mu = NULL
        side.acc_lv = NULL
        side.acc_s = NULL
    else:
        side.acc_mu = <float *>cnp.PyArray_DATA(accumulators[0])
        side.acc_lv = <float *>cnp.PyArray_DATA(accumulators[1])
        side.acc_s = <float *>cnp.PyArray_DATA(accumulators[2])
    # row strides: each table's own (its shape's trailing sizes)
    side.lv_row = arrays[1].shape[1] * arrays[1].shape[2]
    side.s_row = arrays[2].shape[1]
    side.acc_lv_row, side.acc_s_row = side.lv_row, side.s_row
    if accumulators is not None:  # row Adagrad's are (V, K, 1) and (V, 1)
        side.acc_lv_row = accumulators[1].shape[1] * accumulators[1].shape[2]
        side.acc_s_row = accumulators[2].shape[1]
    side.packed = False


cdef class _PackedRows:
    """One side's packed copy of a spherical model's small tables (``SideParams.packed``).

    ``rows`` is a float32 ``(V, P)`` table, 64-byte aligned, P = 2K (SGD:
    log-variances, logits) or 4K (Adagrad: then their accumulators); ``tables``
    are the model's arrays it mirrors, in that order, each seen as ``(V, K)``.
    """
    cdef object rows
    cdef list tables
    cdef float *base
    cdef Py_ssize_t V
    cdef int K

    def __init__(self, list tables, Py_ssize_t V, int K):
        cdef Py_ssize_t width = len(tables) * K
        block = np.zeros(V * width + 16, np.float32)
        start = (-block.ctypes.data % 64) // 4  # 64-byte aligned: a 32-byte row stays in one line
        self.rows = block[start:start + V * width].reshape(V, width)
        self.base = <float *>cnp.PyArray_DATA(self.rows)
        self.tables = tables
        self.V = V
        self.K = K

    cdef void point(self, SideParams *side):
        """Point ``side``'s log-variances, logits (and accumulators) into the rows."""
        cdef Py_ssize_t width = len(self.tables) * self.K
        side.lv, side.s = self.base, self.base + self.K
        side.lv_row = side.s_row = width
        if len(self.tables) == 4:
            side.acc_lv, side.acc_s = self.base + 2 * self.K, self.base + 3 * self.K
            side.acc_lv_row = side.acc_s_row = width
        side.packed = True

    cdef void copy(self, bint into_rows):
        """Copy the tables into the rows (``into_rows``) or the rows back into the tables."""
        cdef int t, n_tables = len(self.tables), K = self.K
        cdef Py_ssize_t v, width = n_tables * K
        cdef float *table
        cdef float *row
        for t in range(n_tables):
            table = <float *>cnp.PyArray_DATA(self.tables[t])
            with nogil:
                for v in range(self.V):
                    row = self.base + v * width + t * K
                    if into_rows:
                        memcpy(row, table + v * K, K * sizeof(float))
                    else:
                        memcpy(table + v * K, row, K * sizeof(float))


cdef class KernelState:
    """Raw pointers to the parameter arrays and sampling tables of one model.

    Built once per ``train`` call (the *init* step of the protocol in
    ``_train_inner.pxd``); the arrays are kept alive by this object.

    Parameters
    ----------
    params_in, params_out : sequence of 3 float32 ndarrays
        ``(means (V, K, D), log_variances (V, K, Dv), logits (V, K))`` of the
        input side (centre words) and the output side (context and negative
        words), Dv = 1 (spherical) or D (diagonal); writeable and
        C-contiguous.  Pass the input arrays themselves as ``params_out``
        for a model without separate output distributions.  V is at most
        2**31 - 1 (word indices are int32), K and D at most the maxima of
        the ``num_mixtures`` and ``vector_size`` settings.
    accumulators_in, accumulators_out : sequence of 3 float32 ndarrays, or None
        Adagrad accumulators shaped like the parameters of the same side
        (``adagrad_state="scalar"``) or ``(V, K, 1)``, ``(V, K, 1)``,
        ``(V, 1)`` (``"row"``); both None selects SGD.  Where ``params_out`` holds the input arrays,
        ``accumulators_out`` must hold the input accumulators, and only there.
    keep : ndarray of uint32, shape (V,)
        Subsampling thresholds (:func:`w2gm._sampling.subsampling_thresholds`).
    alias_prob, alias_index : ndarray of uint32 / int32, shape (V,)
        Noise-distribution alias table (:func:`w2gm._sampling.build_alias_table`).
    window, negative : int
        Maximum window and negatives per positive pair, in the ranges of
        the settings of the same names (:data:`w2gm.settings.SETTINGS`).
    margin, eps : float
        Margin m (Section 3.3) and the variance epsilon (Appendix A.2).
    log_var_min, log_var_max : float
        Bounds the log-variances are clipped to after every update.
    shrink_windows : bool
        Draw each centre word's window uniformly from ``1..window`` (word2vec,
        the default); False uses the full ``window`` for every centre word
        (gensim's ``shrink_windows=False``) and draws no random number for it.
    variance_lr_factor, logit_lr_factor : float
        The log-variances are updated with the learning rate times
        ``variance_lr_factor``, the mixture logits with it times
        ``logit_lr_factor`` (default 1: the means' rate).
    max_partial_energy : bool
        ``log E = max_ij (log p_i + log q_j + xi_ij)`` instead of eq. 2's
        log-sum-exp (a log-domain variant of the original's ``max_pe``, which
        takes the arg-max of the unweighted ``xi_ij`` and returns
        ``xi_max * p_i * q_j``); default False.
    norm_cap : float or None
        After every update, each mean vector of the updated word whose L2
        norm exceeds it is rescaled to it (the original's ``norm_cap``);
        None (default): no cap.
    shared_negatives : bool
        Draw ``negative`` noise words once per centre word and pair each with
        every context word of its window (pWord2Vec-style, Ji et al. 2016;
        ``docs/training.md``); default False: ``negative`` draws per (w, c)
        pair.
    adagrad_state : {"scalar", "row"}
        ``"scalar"`` (default): one Adagrad accumulator per parameter, the
        accumulators shaped like the parameters.  ``"row"``: one per
        parameter row, ``a += mean(g^2)`` over the row, each value then
        stepped by ``lr g / sqrt(a)``; the accumulators are then shaped
        ``(V, K, 1)`` (means and log-variances, one per component) and
        ``(V, 1)`` (logits, one per word) (``docs/training.md``, "Quality
        levers").  Ignored for SGD (accumulators None).
    pack_rows : bool
        Train on a packed copy of the spherical log-variance and logit
        tables (and their Adagrad accumulators): one row of 2K (SGD) or 4K
        floats per word and side, so that a word's small parameters share a
        cache line instead of taking one in each of four tables
        (``docs/performance.md``, tenth pass).  The arrays passed keep
        their values of the last :meth:`load_packed` until
        :meth:`store_packed` copies the rows back; the updates are the same
        bits either way.  Default False; ignored (no copy) for diagonal
        covariance, row Adagrad, and where only one of the two small tables
        is shared between the sides.

    Raises
    ------
    TypeError
        An array of the wrong type or dtype, not C-contiguous, or read-only
        (the message names it, e.g. ``params_in.means``).
    ValueError
        Inconsistent shapes, sizes or sharing.
    ParameterError
        (a ``ValueError``) ``window``, ``negative``, ``variance_lr_factor``,
        ``logit_lr_factor``, ``max_partial_energy``, ``norm_cap``,
        ``shared_negatives`` or ``adagrad_state`` out of the
        range of the setting of the same name, or V, K or D beyond the maxima
        above.
    """
    cdef TrainConfig cfg
    cdef object refs
    cdef list packs  # _PackedRows of the packed sides (pack_rows), else empty
    cdef Py_ssize_t V

    def __init__(self, params_in, params_out, accumulators_in, accumulators_out,
                 keep, alias_prob, alias_index, window, negative,
                 double margin, double eps, double log_var_min, double log_var_max,
                 bint shrink_windows=True, variance_lr_factor=1.0, logit_lr_factor=1.0,
                 max_partial_energy=False, norm_cap=None, shared_negatives=False,
                 adagrad_state="scalar", bint pack_rows=False):
        group_in = _triple(params_in, "params_in")
        group_out = _triple(params_out, "params_out")
        means, log_variances = group_in[0], group_in[1]
        for nm, a in (("params_in.means", means), ("params_in.log_variances", log_variances)):
            if not isinstance(a, np.ndarray):
                raise TypeError(f"{nm} must be a float32 ndarray, got {type(a).__name__}")
        if means.ndim != 3:
            raise ValueError(f"params_in.means must be (V, K, D), got shape {means.shape}")
        V, K, D = means.shape
        Dv = log_variances.shape[2] if log_variances.ndim == 3 else -1
        if Dv not in (1, D):
            raise ValueError(f"params_in.log_variances has shape {log_variances.shape}, "
                             f"expected (V, K, 1) or (V, K, D)")
        if V < 1 or K < 1 or D < 1:
            raise ValueError(f"empty parameter arrays: params_in.means has shape {means.shape}")
        if V > _MAX_V:
            raise ParameterError(f"params_in.means has {V} words, at most {_MAX_V} "
                                 f"(word indices are int32)")
        if K > _MAX_K:
            raise ParameterError(f"params_in.means has shape {means.shape}: {K} components, "
                                 f"at most {_MAX_K} (num_mixtures)")
        if D > _MAX_D:
            raise ParameterError(f"params_in.means has shape {means.shape}: {D} dimensions, "
                                 f"at most {_MAX_D} (vector_size)")
        window = check_setting("window", window)
        negative = check_setting("negative", negative)
        variance_lr_factor = check_setting("variance_lr_factor", variance_lr_factor)
        logit_lr_factor = check_setting("logit_lr_factor", logit_lr_factor)
        max_partial_energy = check_setting("max_partial_energy", max_partial_energy)
        norm_cap = check_setting("norm_cap", norm_cap)
        shared_negatives = check_setting("shared_negatives", shared_negatives)
        adagrad_state = check_setting("adagrad_state", adagrad_state)
        shapes = ((V, K, D), (V, K, Dv), (V, K))
        # [row Adagrad] one accumulator per parameter row
        acc_shapes = shapes if adagrad_state == "scalar" else ((V, K, 1), (V, K, 1), (V, 1))
        arrays_in = _side_arrays(group_in, "params_in", shapes)
        arrays_out = _side_arrays(group_out, "params_out", shapes)
        if (accumulators_in is None) != (accumulators_out is None):
            raise ValueError("accumulators_in and accumulators_out must both be None (SGD) "
                             "or both hold 3 arrays (Adagrad)")
        accs_in = accs_out = None
        if accumulators_in is not None:
            accs_in = _side_arrays(accumulators_in, "accumulators_in", acc_shapes)
            accs_out = _side_arrays(accumulators_out, "accumulators_out", acc_shapes)
            # shared parameters are updated through one accumulator, separate ones through two
            for k, field in enumerate(_FIELDS):
                if (arrays_out[k] is arrays_in[k]) != (accs_out[k] is accs_in[k]):
                    raise ValueError(f"accumulators_out.{field} must be accumulators_in.{field} "
                                     f"exactly when params_out.{field} is params_in.{field}")
        for nm, table, dt in (("keep", keep, np.uint32), ("alias_prob", alias_prob, np.uint32),
                              ("alias_index", alias_index, np.int32)):
            if not isinstance(table, np.ndarray) or table.dtype != dt:
                raise TypeError(f"{nm} must be an ndarray of {np.dtype(dt)}")
        keep = np.ascontiguousarray(keep)
        alias_prob = np.ascontiguousarray(alias_prob)
        alias_index = np.ascontiguousarray(alias_index)
        for nm, table in (("keep", keep), ("alias_prob", alias_prob), ("alias_index", alias_index)):
            if table.shape != (V,):
                raise ValueError(f"{nm} has shape {table.shape}, expected ({V},)")
        if alias_index.size and (alias_index.min() < 0 or alias_index.max() >= V):
            raise ValueError("alias_index holds indices outside the vocabulary")
        self.refs = (arrays_in, arrays_out, accs_in, accs_out, keep, alias_prob, alias_index)
        self.V = V
        cdef TrainConfig *cfg = &self.cfg
        cfg.K = K
        cfg.D = D
        cfg.Dv = Dv
        cfg.vocab_size = <uint32_t>V
        cfg.window = window
        cfg.shrink_windows = shrink_windows
        cfg.negative = negative
        cfg.keep = <const uint32_t *>cnp.PyArray_DATA(keep)
        cfg.alias_prob = <const uint32_t *>cnp.PyArray_DATA(alias_prob)
        cfg.alias_index = <const int32_t *>cnp.PyArray_DATA(alias_index)
        cfg.margin = margin
        cfg.eps = eps
        cfg.adagrad = accs_in is not None
        cfg.row_adagrad = cfg.adagrad and adagrad_state == "row"
        cfg.lv_min = log_var_min
        cfg.lv_max = log_var_max
        cfg.max_pe = max_partial_energy
        cfg.lr_factor_lv = variance_lr_factor
        cfg.lr_factor_s = logit_lr_factor
        cfg.norm_cap = 0 if norm_cap is None else norm_cap
        cfg.shared_negatives = shared_negatives
        _side_init(&cfg.params_in, arrays_in, accs_in)
        _side_init(&cfg.params_out, arrays_out, accs_out)
        self.packs = []
        shared_small = [arrays_out[k] is arrays_in[k] for k in (1, 2)]
        # not where one small table alone is shared between the sides
        if pack_rows and Dv == 1 and not cfg.row_adagrad and shared_small[0] == shared_small[1]:
            self._pack(arrays_in, accs_in, &cfg.params_in)
            if shared_small[0]:
                (<_PackedRows>self.packs[0]).point(&cfg.params_out)
            else:
                self._pack(arrays_out, accs_out, &cfg.params_out)
        self.load_packed()

    cdef int _pack(self, list arrays, list accumulators, SideParams *side) except -1:
        """Point ``side``'s small tables into a new :class:`_PackedRows` (MemoryError if it cannot)."""
        tables = [a.reshape(a.shape[0], -1) for a in arrays[1:]]
        if accumulators is not None:
            tables += [a.reshape(a.shape[0], -1) for a in accumulators[1:]]
        packed = _PackedRows(tables, self.V, self.cfg.K)
        packed.point(side)
        self.packs.append(packed)
        return 0

    @property
    def packed(self):
        """True when training runs on packed rows (`pack_rows`, spherical, not row Adagrad)."""
        return bool(self.packs)

    def load_packed(self):
        """Copy the model's log-variances, logits and their accumulators into the packed rows.

        A no-op unless :attr:`packed`.  Call it while no job runs, after the
        arrays were changed from outside (``Word2GM.train`` does at the start
        of every epoch, after the ``on_epoch_begin`` callbacks).
        """
        for packed in self.packs:
            (<_PackedRows>packed).copy(True)

    def store_packed(self):
        """Copy the packed rows back into the model's arrays (a no-op unless :attr:`packed`).

        Until then, the arrays of the log-variances, logits and their
        accumulators hold their values of the last :meth:`load_packed`.
        ``Word2GM.train`` calls it at the end of every epoch (before the
        held-out loss and the ``on_epoch_end`` callbacks), at most once a second before
        ``on_progress`` callbacks, and when training stops.  Jobs may run
        meanwhile: the copy then reads rows as they are being updated, as
        Hogwild readers do.
        """
        for packed in self.packs:
            (<_PackedRows>packed).copy(False)

    def train_job(self, words, sentence_ends, double alpha_start, double alpha_end, seed):
        """Train one job of sentences without the GIL.

        Parameters
        ----------
        words : ndarray of int32, shape (N,)
            Vocabulary indices of all sentences, concatenated.
        sentence_ends : ndarray of int64, shape (S,)
            Exclusive end offset of each sentence in ``words`` (increasing,
            last one equal to N).
        alpha_start, alpha_end : float
            Learning rate at the job's first and last word (linear in between).
        seed : int
            Seed of the job's random number generator (subsampling, windows,
            negatives), in ``0 .. 2**64 - 1``.

        Returns
        -------
        tuple
            ``(loss_sum, n_samples, n_active, n_kept, n_nonfinite)``: summed
            hinge loss (float64), number of (w, c, c') samples, samples with a
            positive loss, words kept by subsampling, and samples whose loss
            was NaN or infinite.

        Raises
        ------
        ValueError
            If the arrays are inconsistent (checked before any update).
        ParameterError
            (a ``ValueError``) if ``seed`` is not an integer in ``0 .. 2**64 - 1``.
        """
        cdef uint64_t job_seed = _check_seed(seed)
        words_np = np.asarray(words)
        ends_np = np.asarray(sentence_ends)
        if words_np.ndim != 1 or ends_np.ndim != 1:
            raise ValueError("words and sentence_ends must be one-dimensional")
        if words_np.size and (words_np.dtype.kind not in "iu" or words_np.min() < 0
                              or words_np.max() >= self.V):
            raise ValueError(f"words must be integer indices in [0, {self.V})")
        if ends_np.size and ends_np.dtype.kind not in "iu":
            raise ValueError("sentence_ends must be integers")
        # the range first: then the int64 copy is exact (np.diff of unsigned ends would wrap)
        if (ends_np.size == 0 and words_np.size > 0) or (
                ends_np.size and (ends_np[ends_np.size - 1] != words_np.size or ends_np.min() < 0
                                  or ends_np.max() > words_np.size)):
            raise ValueError("sentence_ends must be non-decreasing and end at len(words)")
        ends_np = ends_np.astype(np.int64)
        if np.any(np.diff(ends_np) < 0):
            raise ValueError("sentence_ends must be non-decreasing and end at len(words)")
        # populate: the job's arrays and its own scratch
        cdef const int32_t[::1] wv = np.ascontiguousarray(words_np, dtype=np.int32)
        cdef const int64_t[::1] ev = np.ascontiguousarray(ends_np, dtype=np.int64)
        cdef Py_ssize_t n_sentences = ev.shape[0]
        cdef Py_ssize_t n_words = wv.shape[0]
        if n_sentences == 0 or n_words == 0:
            return (0.0, 0, 0, 0, 0)
        cdef Py_ssize_t longest = int(np.diff(ends_np, prepend=0).max())
        cdef int K = self.cfg.K, D = self.cfg.D, Dv = self.cfg.Dv
        cdef int n_shared = self.cfg.negative if self.cfg.shared_negatives else 0
        cdef Py_ssize_t n_floats = train_scratch_len(K, D, Dv, n_shared)
        cdef float *block = <float *>malloc(n_floats * sizeof(float))
        # the kept words of one sentence, then (shared negatives) the drawn words and their counts
        cdef Py_ssize_t n_ints = longest + 1 + (NEG_LOOKAHEAD + 2) * n_shared
        cdef int32_t *kept = <int32_t *>malloc(n_ints * sizeof(int32_t))
        cdef TrainScratch scratch
        cdef JobResult result
        if block == NULL or kept == NULL:
            free(block)
            free(kept)
            raise MemoryError(f"cannot allocate training scratch buffers ({n_floats} floats for "
                              f"K={K}, D={D}, Dv={Dv}, negatives shared per window={n_shared}, "
                              f"and {n_ints} word indices)")
        train_scratch_init(&scratch, block, kept + longest + 1, K, D, Dv, n_shared)
        try:
            # train
            with nogil:
                result = run_job(&self.cfg, &scratch, kept, &wv[0], &ev[0], n_sentences,
                                 alpha_start, alpha_end, job_seed)
        finally:
            free(block)
            free(kept)
        return (result.loss_sum, result.n_samples, result.n_active, result.n_kept, result.n_nonfinite)


# ---------------------------------------------------------------------------
# Python wrappers of the float64 instances, for tests and small computations
# ---------------------------------------------------------------------------

# The wrappers check every shape before the kernels read through raw pointers: K = 0 or
# D = 0 would read outside the arrays, and a mismatch between the words past the end of one.

def _component_arrays(mu, log_var, logits, name):
    """float64 ``(means (K, D), log_variances (K, Dv), logits (K,))`` of word `name`, checked.

    A 1-d `log_var` of K or K*D values is reshaped to (K, 1) or (K, D);
    None `logits` become zeros.  Raises :class:`ParameterError` naming the
    word and the shapes.
    """
    mu = np.ascontiguousarray(mu, dtype=np.float64)
    log_var = np.ascontiguousarray(log_var, dtype=np.float64)
    if mu.ndim != 2 or mu.shape[0] < 1 or mu.shape[1] < 1:
        raise ParameterError(f"{name}: means must be (K, D) with K >= 1 and D >= 1, "
                             f"got shape {mu.shape}")
    K, D = mu.shape
    if K > _MAX_K:
        raise ParameterError(f"{name}: means has {K} components, at most {_MAX_K} (num_mixtures)")
    if D > _MAX_D:
        raise ParameterError(f"{name}: means has {D} dimensions, at most {_MAX_D} (vector_size)")
    if log_var.ndim == 1 and log_var.shape[0] in (K, K * D):
        log_var = log_var.reshape(K, -1)
    if log_var.shape not in ((K, 1), (K, D)):
        raise ParameterError(f"{name}: log-variances must be (K, 1) or (K, D) = ({K}, {D}), "
                             f"got shape {log_var.shape}")
    if logits is None:
        logits = np.zeros(K)
    logits = np.ascontiguousarray(logits, dtype=np.float64)
    if logits.shape != (K,):
        raise ParameterError(f"{name}: logits must be (K,) = ({K},), got shape {logits.shape}")
    return mu, log_var, logits


def _check_same_shapes(names, words):
    """ParameterError unless every word has the means and log-variance shapes of the first."""
    if any(mu.shape != words[0][0].shape or lv.shape != words[0][1].shape for mu, lv, _ in words):
        shapes = "; ".join(f"{nm}: means {mu.shape}, log-variances {lv.shape}"
                           for nm, (mu, lv, _) in zip(names, words))
        together = " and ".join((", ".join(names[:len(names) - 1]), names[len(names) - 1]))
        raise ParameterError(f"{together} must have the same K, D and covariance type; {shapes}")


def _check_size(value, name, high):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 1 <= value <= high:
        raise ParameterError(f"{name} must be an integer from 1 to {high}, got {value!r}")
    return int(value)


cdef class _Prepared64:
    """float64 variances (K*Dv) and log mixture weights (K) of one f-side word."""
    cdef double[::1] var, log_weights

    def __cinit__(self, const double[:, ::1] lv, const double[::1] s):
        if not (1 <= lv.shape[0] <= _MAX_K and 1 <= lv.shape[1] <= _MAX_D and s.shape[0] == lv.shape[0]):
            raise ParameterError(f"lv has shape ({lv.shape[0]}, {lv.shape[1]}) and s ({s.shape[0]},): "
                                 f"expected (K, Dv) and (K,) with 1 <= K <= {_MAX_K}, "
                                 f"1 <= Dv <= {_MAX_D}")
        cdef int K = lv.shape[0], Dv = lv.shape[1]
        self.var = np.zeros(K * Dv)
        self.log_weights = np.zeros(K)
        variances_and_log_weights(K, Dv, &lv[0, 0], &s[0], &self.var[0], &self.log_weights[0])


cdef class _PairScratch64:
    """float64 scratch of one (f, g) pair: the fields of ``PairScratch``, one array each."""
    cdef double[::1] var_g, log_q, S, sqdist, xi, gamma

    def __cinit__(self, K, Dv):
        K = _check_size(K, "K", _MAX_K)
        Dv = _check_size(Dv, "Dv", _MAX_D)
        self.var_g = np.zeros(K * Dv)
        self.log_q = np.zeros(K)
        self.S = np.zeros(K * K * Dv)
        self.sqdist = np.zeros(K * K)
        self.xi = np.zeros(K * K)
        self.gamma = np.zeros(K * K)


cdef double _forward64(const double[:, ::1] mu_f, _Prepared64 f,
                       const double[:, ::1] mu_g, const double[:, ::1] lv_g, const double[::1] s_g,
                       double eps, bint max_pe, _PairScratch64 pair):
    return log_energy_fwd(mu_f.shape[0], mu_f.shape[1], lv_g.shape[1],
                          &mu_f[0, 0], &f.var[0], &f.log_weights[0], &mu_g[0, 0], &lv_g[0, 0], &s_g[0],
                          eps, max_pe, &pair.var_g[0], &pair.log_q[0], &pair.S[0], &pair.sqdist[0],
                          &pair.xi[0], &pair.gamma[0])


cdef void _backward64(double coef, const double[:, ::1] mu_f, _Prepared64 f,
                      const double[:, ::1] mu_g, _PairScratch64 pair, grad_f, grad_g):
    cdef double[:, ::1] grad_mu_f = grad_f[0], grad_lv_f = grad_f[1]
    cdef double[:, ::1] grad_mu_g = grad_g[0], grad_lv_g = grad_g[1]
    cdef double[::1] grad_s_f = grad_f[2], grad_s_g = grad_g[2]
    log_energy_bwd(mu_f.shape[0], mu_f.shape[1], grad_lv_f.shape[1], coef, &mu_f[0, 0], &mu_g[0, 0],
                   &f.var[0], &pair.var_g[0], &f.log_weights[0], &pair.log_q[0],
                   &pair.S[0], &pair.sqdist[0], &pair.gamma[0],
                   &grad_mu_f[0, 0], &grad_lv_f[0, 0], &grad_s_f[0],
                   &grad_mu_g[0, 0], &grad_lv_g[0, 0], &grad_s_g[0])


def _energy64(f, g, double eps, bint max_pe=False):
    mu_f, lv_f, s_f = _component_arrays(*f, "f")
    mu_g, lv_g, s_g = _component_arrays(*g, "g")
    _check_same_shapes(("f", "g"), ((mu_f, lv_f, s_f), (mu_g, lv_g, s_g)))
    K, Dv = lv_f.shape
    pair = _PairScratch64(K, Dv)
    le = _forward64(mu_f, _Prepared64(lv_f, s_f), mu_g, lv_g, s_g, eps, max_pe, pair)
    return le, np.asarray(pair.xi).reshape(K, K), np.asarray(pair.gamma).reshape(K, K)


def partial_energies(mu_f, log_var_f, mu_g, log_var_g, double eps=1e-4):
    """Partial log energies ``xi_ij`` of eq. 3 (float64, without ``-D/2 log 2pi``).

    Parameters
    ----------
    mu_f, mu_g : array_like, shape (K, D)
        Component means of the two words.
    log_var_f, log_var_g : array_like, shape (K, 1) or (K, D)
        Log-variances (spherical or diagonal covariance).
    eps : float
        Added to every summed variance (Appendix A.2).

    Returns
    -------
    ndarray of float64, shape (K, K)

    Raises
    ------
    ParameterError
        (a ``ValueError``) if a shape is invalid (K or D below 1 or above
        the ``num_mixtures`` / ``vector_size`` maxima) or the two words'
        shapes differ; checked before any computation.
    """
    return _energy64((mu_f, log_var_f, None), (mu_g, log_var_g, None), eps)[1]


def log_energy(mu_f, log_var_f, logits_f, mu_g, log_var_g, logits_g, double eps=1e-4,
               bint max_partial_energy=False):
    """Log energy ``log E(f, g)`` of eq. 2 (float64, without ``-D/2 log 2pi``).

    Parameters are as in :func:`partial_energies`, plus mixture logits of
    shape (K,).  With ``max_partial_energy`` it is
    ``max_ij (log p_i + log q_j + xi_ij)`` instead (a log-domain variant of
    the original's ``max_pe``, see the module docstring).  Returns a Python
    float; raises :class:`ParameterError` as :func:`partial_energies` does,
    or for logits of another shape.
    """
    return _energy64((mu_f, log_var_f, logits_f), (mu_g, log_var_g, logits_g), eps,
                     max_partial_energy)[0]


def loss_and_grads(w, c, n, double margin=1.0, double eps=1e-4, bint max_partial_energy=False):
    """Max-margin loss of one sample and its gradients (float64).

    ``L = max(0, m - log E(w, c) + log E(w, c'))`` (Section 3.3) with the same
    hand-derived backward pass the trainer uses.

    Parameters
    ----------
    w, c, n : tuple ``(means (K, D), log_variances (K, Dv), logits (K,))``
        Parameters of the word, its context word and the negative word.
    margin, eps : float
    max_partial_energy : bool
        Use ``log E = max_ij (log p_i + log q_j + xi_ij)`` (a log-domain
        variant of the original's ``max_pe``); the gradient then flows through the arg-max pair only.

    Returns
    -------
    loss : float
    grads : dict
        ``{"w": (g_mu, g_log_var, g_logits), "c": (...), "n": (...)}``, arrays
        shaped like the inputs; all zero when the hinge is inactive.

    Raises
    ------
    ParameterError
        (a ``ValueError``) if a shape is invalid (see :func:`log_energy`) or
        the three words' shapes differ; checked before any computation.
    """
    mu_w, lv_w, s_w = _component_arrays(*w, "w")
    mu_c, lv_c, s_c = _component_arrays(*c, "c")
    mu_n, lv_n, s_n = _component_arrays(*n, "n")
    _check_same_shapes(("w", "c", "n"), ((mu_w, lv_w, s_w), (mu_c, lv_c, s_c), (mu_n, lv_n, s_n)))
    K, D = mu_w.shape
    Dv = lv_w.shape[1]
    prepared_w = _Prepared64(lv_w, s_w)
    pos = _PairScratch64(K, Dv)
    neg = _PairScratch64(K, Dv)
    grads = {key: (np.zeros((K, D)), np.zeros((K, Dv)), np.zeros(K)) for key in ("w", "c", "n")}
    cdef double log_e_pos = _forward64(mu_w, prepared_w, mu_c, lv_c, s_c, eps, max_partial_energy, pos)
    cdef double log_e_neg = _forward64(mu_w, prepared_w, mu_n, lv_n, s_n, eps, max_partial_energy, neg)
    # [Sec. 3.3]
    cdef double loss = margin - log_e_pos + log_e_neg
    if loss > 0:
        # [G6] +1 for the negative pair, -1 for the positive pair
        _backward64(1.0, mu_w, prepared_w, mu_n, neg, grads["w"], grads["n"])
        _backward64(-1.0, mu_w, prepared_w, mu_c, pos, grads["w"], grads["c"])
    elif loss == loss:
        loss = 0.0
    return loss, grads


def _table_arrays(table, int K, int D, int Dv):
    """float64 ``(means (V, K, D), log_variances (V, K, Dv), logits (V, K))`` of an output table, checked."""
    if isinstance(table, (np.ndarray, str, bytes)) or len(table) != 3:
        raise ParameterError("table must be a sequence (means, log_variances, logits)")
    arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in table]
    V = arrays[0].shape[0] if arrays[0].ndim == 3 else 0
    for a, nm, shape in zip(arrays, _FIELDS, ((V, K, D), (V, K, Dv), (V, K))):
        if V < 1 or a.shape != shape:
            raise ParameterError(f"table: {nm} must have shape (V, ...) = {shape} with V >= 1 "
                                 f"(the shapes of w), got {a.shape}")
    return arrays


def _word_indices(words, name, V, low, high):
    """int32 ``words`` (1-d, ``low`` to ``high`` of them, each in ``[0, V)``), checked."""
    arr = np.asarray(words)
    if arr.ndim != 1 or not low <= arr.size <= high or (arr.size and arr.dtype.kind not in "iu"):
        raise ParameterError(f"{name} must be a 1-d sequence of {low} to {high} word indices, "
                             f"got {words!r}")
    if arr.size and (arr.min() < 0 or arr.max() >= V):
        raise ParameterError(f"{name} must be word indices in [0, {V}), got {words!r}")
    return np.ascontiguousarray(arr, dtype=np.int32)


def shared_window_loss_and_grads(w, table, contexts, negatives, double margin=1.0, double eps=1e-4,
                                 bint max_partial_energy=False):
    """Loss and gradients of one window with shared negatives (float64, no update).

    The window step of the ``shared_negatives`` setting, through the same
    fused-type functions the float32 trainer runs
    (``shared_negatives_fwd``, ``shared_negatives_terms``,
    ``shared_negatives_bwd``, ``log_energy_fwd`` / ``log_energy_bwd``):
    ``L = sum_c sum_{k: c'_k != c} max(0, margin - log E(w, c) + log E(w, c'_k))``
    (Section 3.3 for each term).  Nothing is updated, so every term sees the
    parameters given (the trainer updates each context word right after its
    terms, which only matters where a word is a context twice).

    Parameters
    ----------
    w : tuple ``(means (K, D), log_variances (K, Dv), logits (K,))``
        The centre word.
    table : tuple ``(means (V, K, D), log_variances (V, K, Dv), logits (V, K))``
        Output-side parameters of the context and negative words.
    contexts : sequence of int, length 0 to 20000
        The window's context words, indices into `table`.
    negatives : sequence of int, length 1 to 1000
        The shared negative words ``c'_k``, indices into `table`.
    margin, eps : float
    max_partial_energy : bool
        As in :func:`loss_and_grads`.

    Returns
    -------
    loss : float
        Sum of the active terms.
    n_samples, n_active, n_nonfinite : int
        Terms evaluated (``c'_k == c`` skipped), active, and NaN or infinite.
    counts : ndarray of int32, shape (n,)
        Active terms that used each negative.
    grads : dict
        ``{"w": (g_mu (K, D), g_log_var (K, Dv), g_logits (K,)),
        "c": (g_mu (C, K, D), g_log_var (C, K, Dv), g_logits (C, K)),
        "n": (g_mu (n, K, D), g_log_var (n, K, Dv), g_logits (n, K))}``: ``∂L``
        by the centre word, by each context word (its pair's gradient times
        its active terms) and by each negative (times ``counts``), float64.

    Raises
    ------
    ParameterError
        (a ``ValueError``) for an invalid shape (as :func:`loss_and_grads`),
        a table whose shapes differ from w's, or word indices that are not
        a 1-d integer sequence of the stated length with values in
        ``[0, V)``; or if the window's float64 scratch (about
        ``n * (K*K*Dv + K*D + ...)`` values) would exceed 2**28 values (2 GiB;
        the message gives the count); checked before any computation.
    """
    mu_w, lv_w, s_w = _component_arrays(*w, "w")
    cdef int K = mu_w.shape[0], D = mu_w.shape[1], Dv = lv_w.shape[1]
    mu_t, lv_t, s_t = _table_arrays(table, K, D, Dv)
    V = mu_t.shape[0]
    ctx = _word_indices(contexts, "contexts", V, 0, 2 * _MAX_WINDOW)
    cdef const int32_t[::1] neg = _word_indices(negatives, "negatives", V, 1, _MAX_NEGATIVE)
    cdef int n = neg.shape[0]
    # sizes in Py_ssize_t: n * K * K * Dv reaches 1e13, n * K * D 1e10 (C int products wrapped)
    cdef Py_ssize_t kd = <Py_ssize_t>K * D, kdv = <Py_ssize_t>K * Dv, kk = <Py_ssize_t>K * K
    cdef Py_ssize_t grad_len = kd + kdv + K
    cdef Py_ssize_t n_values = n * (1 + kd + kdv + K + kk * Dv + 3 * kk + grad_len)
    if n_values > _MAX_WRAPPER_VALUES:
        raise ParameterError(f"{n} negatives with K={K}, D={D}, Dv={Dv} need {n_values} float64 "
                             f"scratch values ({n * kk * Dv} summed variances n*K*K*Dv alone), "
                             f"more than this float64 wrapper's limit of {_MAX_WRAPPER_VALUES}")
    prepared_w = _Prepared64(lv_w, s_w)
    cdef double[::1] log_e = np.zeros(n)
    cdef double[::1] mu_g = np.zeros(n * kd)
    cdef double[::1] var_g = np.zeros(n * kdv)
    cdef double[::1] log_q = np.zeros(n * <Py_ssize_t>K)
    cdef double[::1] S = np.zeros(n * kk * Dv)
    cdef double[::1] sqdist = np.zeros(n * kk)
    cdef double[::1] xi = np.zeros(n * kk)
    cdef double[::1] gamma = np.zeros(n * kk)
    counts_np = np.zeros(n, dtype=np.int32)
    cdef int32_t[::1] counts = counts_np
    grads_negs_np = np.zeros(n * grad_len)
    cdef double[::1] grad_negs = grads_negs_np
    grad_w = (np.zeros((K, D)), np.zeros((K, Dv)), np.zeros(K))
    cdef double[:, ::1] grad_mu_w = grad_w[0], grad_lv_w = grad_w[1]
    cdef double[::1] grad_s_w = grad_w[2]
    cdef const double[:, ::1] mu_wv = mu_w
    cdef const double[:, :, ::1] mu_tv = mu_t
    cdef const double[:, :, ::1] lv_tv = lv_t
    cdef const double[:, ::1] s_tv = s_t
    C = ctx.shape[0]
    grad_c = (np.zeros((C, K, D)), np.zeros((C, K, Dv)), np.zeros((C, K)))
    cdef double loss_sum = 0, log_e_pos
    cdef int64_t n_samples = 0, n_nonfinite = 0, n_active_total = 0
    cdef int n_active
    shared_negatives_fwd(K, D, Dv, n, &neg[0], &mu_wv[0, 0], &prepared_w.var[0],
                         &prepared_w.log_weights[0], &mu_tv[0, 0, 0], &lv_tv[0, 0, 0], &s_tv[0, 0],
                         K * Dv, K, eps, max_partial_energy, &log_e[0], &mu_g[0], &var_g[0], &log_q[0], &S[0],
                         &sqdist[0], &xi[0], &gamma[0])
    pos = _PairScratch64(K, Dv)
    for jj, c in enumerate(ctx):
        log_e_pos = _forward64(mu_w, prepared_w, mu_t[c], lv_t[c], s_t[c], eps, max_partial_energy,
                               pos)
        n_active = shared_negatives_terms(n, margin, log_e_pos, <int32_t>c, &neg[0], &log_e[0],
                                          &counts[0], &loss_sum, &n_samples, &n_nonfinite)
        if n_active > 0:
            n_active_total += n_active
            _backward64(-n_active, mu_w, prepared_w, mu_t[c], pos, grad_w,
                        (grad_c[0][jj], grad_c[1][jj], grad_c[2][jj]))
    shared_negatives_bwd(K, D, Dv, n, &counts[0], &mu_wv[0, 0], &prepared_w.var[0],
                         &prepared_w.log_weights[0], &mu_g[0], &var_g[0], &log_q[0], &S[0],
                         &sqdist[0], &gamma[0], &grad_mu_w[0, 0], &grad_lv_w[0, 0], &grad_s_w[0],
                         &grad_negs[0])
    blocks = grads_negs_np.reshape(n, grad_len)
    grad_n = (blocks[:, :K * D].reshape(n, K, D).copy(),
              blocks[:, K * D:K * D + K * Dv].reshape(n, K, Dv).copy(),
              blocks[:, K * D + K * Dv:].copy())     # unused negatives' blocks stay 0
    return (loss_sum, n_samples, n_active_total, n_nonfinite, counts_np,
            {"w": grad_w, "c": grad_c, "n": grad_n})


def adagrad_row_update(x, acc, grad, double lr, int terms=1):
    """One row-wise Adagrad step in place (the ``adagrad_state="row"`` update, for the tests).

    For every row ``i``: ``acc[i] += mean_r(grad[i, r]^2) / terms``, then
    ``x[i, r] -= lr grad[i, r] / sqrt(acc[i])``, through the fused-type
    function the trainer runs (:c:func:`apply_row_update`), in the dtype of
    the arrays.

    Parameters
    ----------
    x : ndarray of float32 or float64, shape (R, L)
        Rows of parameters, updated in place; C-contiguous and writeable.
    acc : ndarray of the same dtype, shape (R,)
        One accumulator per row, updated in place.
    grad : ndarray of the same dtype, shape (R, L)
    lr : float
    terms : int
        Hinge terms summed in ``grad`` (>= 1; a shared negative's ``N_k``).

    Raises
    ------
    ParameterError
        (a ``ValueError``) for arrays of another dtype, shape or layout, or
        ``terms < 1``; checked before any update.
    """
    arrays = (x, acc, grad)
    if not all(isinstance(a, np.ndarray) for a in arrays) or x.dtype not in (np.float32, np.float64) \
            or any(a.dtype != x.dtype or not a.flags.c_contiguous or not a.flags.writeable
                   for a in arrays):
        raise ParameterError("x, acc and grad must be writeable C-contiguous ndarrays of one dtype, "
                             "float32 or float64")
    if x.ndim != 2 or x.shape[0] < 1 or not 1 <= x.shape[1] <= _MAX_D or grad.shape != x.shape \
            or acc.shape != (x.shape[0],):
        raise ParameterError(f"x and grad must be (R, L) with R >= 1 and 1 <= L <= {_MAX_D}, acc "
                             f"(R,); got {x.shape}, {grad.shape}, {acc.shape}")
    if terms < 1:
        raise ParameterError(f"terms must be >= 1, got {terms}")
    cdef Py_ssize_t i, R = x.shape[0]
    cdef int L = x.shape[1]
    cdef float[:, ::1] x32, g32
    cdef float[::1] a32
    cdef double[:, ::1] x64, g64
    cdef double[::1] a64
    if x.dtype == np.float32:
        x32, a32, g32 = x, acc, grad
        for i in range(R):
            apply_row_update(&x32[i, 0], &a32[i], &g32[i, 0], L, <float>lr, terms)
    else:
        x64, a64, g64 = x, acc, grad
        for i in range(R):
            apply_row_update(&x64[i, 0], &a64[i], &g64[i, 0], L, lr, terms)


cdef extern from *:
    """
    #if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
    static int w2gm_cpu_avx2_fma(void) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    #else
    static int w2gm_cpu_avx2_fma(void) { return 0; }
    #endif
    """
    int w2gm_cpu_avx2_fma() noexcept nogil


def cpu_supports_avx2_fma():
    """Whether this CPU (and its OS) runs AVX2 and FMA code (:mod:`w2gm.kernels` asks).

    Returns
    -------
    bool
        ``__builtin_cpu_supports("avx2") and __builtin_cpu_supports("fma")``
        on x86 with GCC or Clang; False on other machines and compilers.
    """
    return bool(w2gm_cpu_avx2_fma())


# ---------------------------------------------------------------------------
# The float32 fast_exp / fast_log (scalar and 4 lanes) and the K <= 2 lane kernels over arrays (for the tests)
# ---------------------------------------------------------------------------


def _float32_map(x, int which, bint lanes4):
    """``x`` as float32 through fast_exp (``which`` 0) or fast_log (1), scalar or 4 lanes."""
    try:
        arr = np.asarray(x, dtype=np.float32, order="C")
    except (TypeError, ValueError) as err:
        raise ParameterError(f"x must be array_like of real numbers, got {type(x).__name__}") from err
    out = np.empty(arr.shape, dtype=np.float32)
    cdef const float[::1] src = arr.reshape(-1)
    cdef float[::1] dst = out.reshape(-1)
    cdef Py_ssize_t r, n = src.shape[0]
    if n == 0:
        return out
    with nogil:
        if lanes4:
            fast_math4_array(which, &src[0], &dst[0], n)
        elif which == 0:
            for r in range(n):
                dst[r] = fast_exp(src[r])
        else:
            for r in range(n):
                dst[r] = fast_log(src[r])
    return out


def _diagonal_pair_paths(mu_f, mu_g, var_f, var_g, double eps, double coef, grads):
    """One diagonal component pair through both float32 code paths (for the tests).

    ``mu_f``, ``mu_g``, ``var_f``, ``var_g``: (D,) values; ``grads``: (4, D)
    initial gradient buffers (mu_f, mu_g, lv_f, lv_g), to which each path
    adds ``coef * ∂xi/∂(mu, lv)``.  Returns ``(scalar, lanes)``: dicts with
    ``inv_S`` (D,), ``xi``, ``log_det`` and ``grads`` (4, D), all float32
    (``log_det`` float64 for the scalar path: ``w2gm_log_det_f32`` before
    rounding), from the scalar kernel (``partial_energy_diagonal``,
    ``partial_energy_grad_diagonal``) and from the K <= 2 vector kernel
    (``w2gm_diagonal_pair``, ``fast_log4`` and ``w2gm_log_det_from_parts`` as
    in ``w2gm_log_energy_diagonal4``; ``w2gm_grad_diagonal_pair``); ``lanes``
    is None in a build without the vector extension.
    """
    cdef float[::1] mf = np.ascontiguousarray(mu_f, dtype=np.float32)
    cdef float[::1] mg = np.ascontiguousarray(mu_g, dtype=np.float32)
    cdef float[::1] vf = np.ascontiguousarray(var_f, dtype=np.float32)
    cdef float[::1] vg = np.ascontiguousarray(var_g, dtype=np.float32)
    cdef int D = mf.shape[0]
    if D < 1 or mg.shape[0] != D or vf.shape[0] != D or vg.shape[0] != D:
        raise ParameterError(f"mu_f, mu_g, var_f and var_g must have one length D >= 1, got D={D}")
    g0 = np.ascontiguousarray(grads, dtype=np.float32)
    if g0.shape != (4, D):
        raise ParameterError(f"grads must have shape (4, {D}), got {g0.shape}")
    cdef float[:, ::1] gs = g0.copy()
    cdef float[::1] inv_s = np.empty(D, dtype=np.float32)
    cdef float xi, mahal, lg
    cdef float lanes_in[4]
    cdef float lanes_out[4]
    cdef double product
    cdef int64_t exponent
    xi = partial_energy_diagonal(D, &mf[0], &mg[0], &vf[0], &vg[0], <float>eps, &inv_s[0])
    partial_energy_grad_diagonal(D, <float>coef, &mf[0], &mg[0], &inv_s[0], &vf[0], &vg[0],
                                 &gs[0, 0], &gs[1, 0], &gs[2, 0], &gs[3, 0])
    scalar = dict(inv_S=np.asarray(inv_s).copy(), xi=np.float32(xi),
                  log_det=w2gm_log_det_f32(&vf[0], &vg[0], <float>eps, D), grads=np.asarray(gs))
    if not HAVE_LANES4:
        return scalar, None
    gs = g0.copy()
    inv_s = np.empty(D, dtype=np.float32)
    diagonal_pair(D, &mf[0], &mg[0], &vf[0], &vg[0], <float>eps, &inv_s[0], &mahal, &product,
                  &exponent)
    lanes_in[0] = lanes_in[1] = lanes_in[2] = lanes_in[3] = <float>product
    fast_math4_array(1, lanes_in, lanes_out, 4)
    lg = log_det_from_parts(exponent, lanes_out[0])
    grad_diagonal_pair(D, <float>coef, &mf[0], &mg[0], &inv_s[0], &vf[0], &vg[0],
                       &gs[0, 0], &gs[1, 0], &gs[2, 0], &gs[3, 0])
    lanes = dict(inv_S=np.asarray(inv_s).copy(), xi=np.float32(<float>(-0.5) * (lg + mahal)),
                 log_det=np.float32(lg), grads=np.asarray(gs),
                 xi_libm_log_det=np.float32(<float>(-0.5) * (<float>scalar["log_det"] + mahal)))
    return scalar, lanes


def _spherical2_backward_paths(mu_f, mu_g, var_f, var_g, S, sqdist, coef, grads):
    """The K = 2 spherical backward pass through both float32 code paths (for the tests).

    ``mu_f``, ``mu_g``: (2, D) means; ``var_f``, ``var_g``: (2,) variances;
    ``S``, ``sqdist``, ``coef``: (4,) per component pair ij = 00, 01, 10, 11
    (``coef`` = ``coef * gamma_ij``, what :c:func:`log_energy_bwd` passes on);
    ``grads``: initial gradient buffers ``(grad_mu_f (2, D), grad_mu_g (2, D),
    grad_lv_f (2,), grad_lv_g (2,))``.  Returns ``(scalar, fused)``: the
    updated buffers (4 float32 arrays) after ``partial_energy_grad_spherical``
    for each pair with a nonzero ``coef`` (in pair order, as log_energy_bwd's
    loop) and after ``w2gm_grad_spherical2``; ``fused`` is None in a build
    without the vector extension.
    """
    cdef float[:, ::1] mf = np.ascontiguousarray(mu_f, dtype=np.float32)
    cdef float[:, ::1] mg = np.ascontiguousarray(mu_g, dtype=np.float32)
    cdef int D = mf.shape[1]
    if mf.shape[0] != 2 or mg.shape[0] != 2 or mg.shape[1] != D or D < 1:
        raise ParameterError("mu_f and mu_g must have one shape (2, D), D >= 1")
    cdef float[::1] vf = np.ascontiguousarray(var_f, dtype=np.float32)
    cdef float[::1] vg = np.ascontiguousarray(var_g, dtype=np.float32)
    cdef float[::1] s4 = np.ascontiguousarray(S, dtype=np.float32)
    cdef float[::1] sq4 = np.ascontiguousarray(sqdist, dtype=np.float32)
    cdef float[::1] c4 = np.ascontiguousarray(coef, dtype=np.float32)
    if vf.shape[0] != 2 or vg.shape[0] != 2 or s4.shape[0] != 4 or sq4.shape[0] != 4 or c4.shape[0] != 4:
        raise ParameterError("var_f, var_g must have 2 values and S, sqdist, coef 4")
    start = [np.array(g, dtype=np.float32, order="C") for g in grads]
    if [g.shape for g in start] != [(2, D), (2, D), (2,), (2,)]:
        raise ParameterError(f"grads must have shapes (2, {D}), (2, {D}), (2,), (2,)")
    cdef float[:, ::1] gmf = start[0].copy()
    cdef float[:, ::1] gmg = start[1].copy()
    cdef float[::1] glf = start[2].copy()
    cdef float[::1] glg = start[3].copy()
    cdef int i, j, ij
    for i in range(2):
        for j in range(2):
            ij = i * 2 + j
            if c4[ij] != 0:
                partial_energy_grad_spherical(D, c4[ij], &mf[i, 0], &mg[j, 0], s4[ij], sq4[ij],
                                              vf[i], vg[j], &gmf[i, 0], &gmg[j, 0], &glf[i],
                                              &glg[j])
    scalar = [np.asarray(gmf), np.asarray(gmg), np.asarray(glf), np.asarray(glg)]
    if not HAVE_LANES4:
        return scalar, None
    gmf = start[0].copy()
    gmg = start[1].copy()
    glf = start[2].copy()
    glg = start[3].copy()
    grad_spherical2(D, &c4[0], &mf[0, 0], &mg[0, 0], &s4[0], &sq4[0], &vf[0], &vg[0],
                    &gmf[0, 0], &gmg[0, 0], &glf[0], &glg[0])
    return scalar, [np.asarray(gmf), np.asarray(gmg), np.asarray(glf), np.asarray(glg)]


def fast_exp_array(x, lanes4=False):
    """``exp(x)`` by the kernel's float32 ``fast_exp`` (``_fastmath.pxd``), elementwise.

    Within 1 ulp of ``exp`` for ``-87.33654 <= x <= 88.72284``; +inf above
    (overflow), 0 below (results that would be subnormal are flushed to 0),
    NaN for NaN.  The diagonal kernel computes its variances with it; the
    K <= 2 kernels their softmax and responsibilities (and the spherical one
    its variances) with the 4-lane version.

    Parameters
    ----------
    x : array_like
        Converted to float32 (as a float32 kernel would see it).
    lanes4 : bool
        Go through the 4-lane vector function ``w2gm_fast_exp4`` (4 values
        at a time; the same bits as the scalar one) instead of the scalar one.

    Returns
    -------
    ndarray of float32, the shape of `x`

    Raises
    ------
    ParameterError
        (a ``ValueError``) if `x` cannot be converted to float32.
    """
    return _float32_map(x, 0, lanes4)


def fast_log_array(x, lanes4=False):
    """``log(x)`` by the kernel's float32 ``fast_log`` (``_fastmath.pxd``), elementwise.

    Within 1 ulp of ``log`` for every positive finite float32, subnormals
    included; -inf for 0, +inf for +inf, NaN for negative numbers and NaN.
    The K <= 2 kernels take the logarithms of their summed variances
    (spherical) or log-determinant products (diagonal) with the 4-lane version.

    Parameters
    ----------
    x : array_like
        Converted to float32 (as a float32 kernel would see it).
    lanes4 : bool
        Go through the 4-lane vector function ``w2gm_fast_log4`` instead of
        the scalar one (the same bits).

    Returns
    -------
    ndarray of float32, the shape of `x`

    Raises
    ------
    ParameterError
        (a ``ValueError``) if `x` cannot be converted to float32.
    """
    return _float32_map(x, 1, lanes4)
