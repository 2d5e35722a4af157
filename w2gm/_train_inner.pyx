# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Word2GM training kernels: energies, max-margin loss, gradients and updates.

Everything in the training path runs without the GIL on raw pointers; a whole
job (a batch of sentences) is trained inside one ``nogil`` block and updates the
shared parameter arrays in place without locks (Hogwild, Recht et al. 2011).

Notation (Athiwaratkun & Wilson 2017, "Multimodal Word Distributions"):

* a word ``f`` has K components with means ``mu_f,i`` (D floats), log-variances
  ``lv_f,i`` (1 float for spherical covariance, D floats for diagonal) and
  mixture logits ``s_f,i``, weights ``p_f = softmax(s_f)`` (Appendix A.2);
* partial (log) energy, eq. 3 reduced to diagonal covariance (Appendix A.2),
  without the constant ``-D/2 log 2 pi``, which cancels in the loss::

      xi_ij = -1/2 sum_r log(S_ijr) - 1/2 sum_r (mu_f,i,r - mu_g,j,r)^2 / S_ijr,
      S_ijr = d_f,i,r + d_g,j,r + eps,   d = exp(lv)

* log energy, eq. 2, computed with the max subtracted (Appendix A.2)::

      log E(f, g) = logsumexp_ij(log p_i + log q_j + xi_ij)

* loss (Section 3.3): ``L = max(0, m - log E(w, c) + log E(w, c'))``.

Hand-derived gradients.  With responsibilities
``gamma_ij = p_i q_j exp(xi_ij) / E`` (they sum to 1)::

    d logE / d xi_ij     = gamma_ij
    d logE / d s_f,i     = sum_j gamma_ij - p_i
    d logE / d s_g,j     = sum_i gamma_ij - q_j
    d xi_ij / d mu_f,i,r = -(mu_f,i,r - mu_g,j,r) / S_ijr    (= - d xi_ij / d mu_g,j,r)
    d xi_ij / d S_ijr    = -1/(2 S_ijr) + (mu_f,i,r - mu_g,j,r)^2 / (2 S_ijr^2)
    d S_ijr / d lv_f,i,r = d_f,i,r

(spherical: one S_ij for all D dimensions, so ``d xi / d S = -D/(2S) + |diff|^2/(2S^2)``).
``dL/d logE(w,c) = -1`` and ``dL/d logE(w,c') = +1`` when the hinge is active.

The core functions are written once for the fused type ``floating``: training
uses the float32 instance, the Python wrappers at the end of this file (for
the tests) the float64 one.
"""

import numpy as np
cimport numpy as cnp
from cython cimport floating
from libc.math cimport exp, log, expf, logf, sqrtf
from libc.stdlib cimport malloc, free
from libc.string cimport memset
from libc.stdint cimport uint64_t, uint32_t, int32_t, int64_t

from w2gm._sampling cimport rng_seed, rng_below, keep_word, draw_negative

cnp.import_array()


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


cdef inline floating log_softmax(int K, const floating *s, floating *out) noexcept nogil:
    """``out = s - logsumexp(s)``; returns the log-sum-exp."""
    cdef int i
    cdef floating m = s[0], acc = 0
    for i in range(1, K):
        if s[i] > m:
            m = s[i]
    for i in range(K):
        acc += f_exp(s[i] - m)
    acc = m + f_log(acc)
    for i in range(K):
        out[i] = s[i] - acc
    return acc


cdef inline floating sq_dist(const floating *a, const floating *b, int D) noexcept nogil:
    """Squared Euclidean distance ``sum_r (a_r - b_r)^2``.

    Summed in four interleaved partial sums: without -ffast-math the compiler
    must keep a single running sum in order, one dependent add per element;
    four independent sums map onto one SIMD register and pipeline.
    """
    cdef floating s0 = 0, s1 = 0, s2 = 0, s3 = 0, d0, d1, d2, d3
    cdef int r = 0
    while r + 4 <= D:
        d0 = a[r] - b[r]
        d1 = a[r + 1] - b[r + 1]
        d2 = a[r + 2] - b[r + 2]
        d3 = a[r + 3] - b[r + 3]
        s0 = s0 + d0 * d0
        s1 = s1 + d1 * d1
        s2 = s2 + d2 * d2
        s3 = s3 + d3 * d3
        r += 4
    while r < D:
        d0 = a[r] - b[r]
        s0 = s0 + d0 * d0
        r += 1
    return (s0 + s1) + (s2 + s3)


# ---------------------------------------------------------------------------
# Energy: forward (eq. 2-3) and backward (hand-derived gradients)
# ---------------------------------------------------------------------------

cdef inline void prepare_side(int K, int Dv, const floating *lv, const floating *s,
                              floating *var, floating *logp) noexcept nogil:
    """Variances ``exp(lv)`` (K*Dv) and log mixture weights ``log softmax(s)`` (K)."""
    cdef int i
    for i in range(K * Dv):
        var[i] = f_exp(lv[i])
    log_softmax(K, s, logp)


cdef floating log_energy_fwd(
        int K, int D, int Dv,
        const floating *mu_f, const floating *lv_f, const floating *s_f,
        const floating *mu_g, const floating *lv_g, const floating *s_g,
        floating eps, bint prepare_f,
        floating *var_f, floating *var_g, floating *logp_f, floating *logp_g,
        floating *S, floating *sqd, floating *xi, floating *gamma) noexcept nogil:
    """Log energy ``log E(f, g)`` (eq. 2) and what its gradient needs.

    With ``prepare_f`` false, ``var_f`` and ``logp_f`` must already hold the
    f side's variances and log weights (:c:func:`prepare_side`): the trainer
    computes them once per centre word instead of once per context word.

    Outputs (caller-owned scratch): ``var_f``, ``var_g`` (K*Dv) variances;
    ``logp_f``, ``logp_g`` (K) log mixture weights; ``S`` (K*K*Dv) summed
    variances plus eps; ``sqd`` (K*K) squared mean distance (spherical only);
    ``xi`` (K*K) partial energies (eq. 3 without the 2 pi constant);
    ``gamma`` (K*K) responsibilities.
    """
    cdef int i, j, r, ij
    cdef floating d, acc, acc_log, Sij, m, total
    cdef const floating *a
    cdef const floating *b
    cdef floating *Sv
    if prepare_f:
        prepare_side(K, Dv, lv_f, s_f, var_f, logp_f)
    prepare_side(K, Dv, lv_g, s_g, var_g, logp_g)
    for i in range(K):
        a = mu_f + i * D
        for j in range(K):
            b = mu_g + j * D
            ij = i * K + j
            if Dv == 1:
                Sij = var_f[i] + var_g[j] + eps
                S[ij] = Sij
                acc = sq_dist(a, b, D)
                sqd[ij] = acc
                xi[ij] = <floating>(-0.5) * (D * f_log(Sij) + acc / Sij)
            else:
                Sv = S + ij * D
                acc = 0
                acc_log = 0
                for r in range(D):
                    Sv[r] = var_f[i * D + r] + var_g[j * D + r] + eps
                    d = a[r] - b[r]
                    acc = acc + d * d / Sv[r]
                    acc_log = acc_log + f_log(Sv[r])
                sqd[ij] = acc
                xi[ij] = <floating>(-0.5) * (acc_log + acc)
    # stable log-sum-exp over the K*K weighted partial energies (Appendix A.2)
    m = logp_f[0] + logp_g[0] + xi[0]
    for i in range(K):
        for j in range(K):
            d = logp_f[i] + logp_g[j] + xi[i * K + j]
            gamma[i * K + j] = d
            if d > m:
                m = d
    total = 0
    for ij in range(K * K):
        gamma[ij] = f_exp(gamma[ij] - m)
        total = total + gamma[ij]
    for ij in range(K * K):
        gamma[ij] = gamma[ij] / total
    return m + f_log(total)


cdef void log_energy_bwd(
        int K, int D, int Dv, floating coef,
        const floating *mu_f, const floating *mu_g,
        const floating *var_f, const floating *var_g,
        const floating *logp_f, const floating *logp_g,
        const floating *S, const floating *sqd, const floating *gamma,
        floating *g_mu_f, floating *g_lv_f, floating *g_s_f,
        floating *g_mu_g, floating *g_lv_g, floating *g_s_g) noexcept nogil:
    """Accumulate ``coef * d logE(f, g) / d params`` into the gradient buffers.

    Uses the scratch filled by :c:func:`log_energy_fwd` for the same pair.
    """
    cdef int i, j, r, ij
    cdef floating c, t, invS, dS, d, rowsum
    cdef const floating *a
    cdef const floating *b
    cdef const floating *Sv
    cdef floating *ga
    cdef floating *gb
    # mixture logits: d logE / d s_f,i = sum_j gamma_ij - p_i
    for i in range(K):
        rowsum = 0
        for j in range(K):
            rowsum = rowsum + gamma[i * K + j]
        g_s_f[i] += coef * (rowsum - f_exp(logp_f[i]))
    for j in range(K):
        rowsum = 0
        for i in range(K):
            rowsum = rowsum + gamma[i * K + j]
        g_s_g[j] += coef * (rowsum - f_exp(logp_g[j]))
    for i in range(K):
        a = mu_f + i * D
        ga = g_mu_f + i * D
        for j in range(K):
            ij = i * K + j
            c = coef * gamma[ij]
            if c == 0:
                continue
            b = mu_g + j * D
            gb = g_mu_g + j * D
            if Dv == 1:
                invS = 1 / S[ij]
                t = c * invS
                for r in range(D):
                    d = t * (a[r] - b[r])
                    ga[r] -= d
                    gb[r] += d
                dS = c * <floating>0.5 * invS * (sqd[ij] * invS - D)
                g_lv_f[i] += dS * var_f[i]
                g_lv_g[j] += dS * var_g[j]
            else:
                Sv = S + ij * D
                for r in range(D):
                    invS = 1 / Sv[r]
                    d = a[r] - b[r]
                    t = c * d * invS
                    ga[r] -= t
                    gb[r] += t
                    dS = c * <floating>0.5 * invS * (d * d * invS - 1)
                    g_lv_f[i * D + r] += dS * var_f[i * D + r]
                    g_lv_g[j * D + r] += dS * var_g[j * D + r]


# ---------------------------------------------------------------------------
# Scratch layout for one energy evaluation
# ---------------------------------------------------------------------------

cdef struct EnergyScratch:
    void *var_f
    void *var_g
    void *logp_f
    void *logp_g
    void *S
    void *sqd
    void *xi
    void *gamma


cdef Py_ssize_t energy_scratch_len(int K, int Dv) noexcept nogil:
    return 2 * K * Dv + 2 * K + K * K * Dv + 3 * K * K


cdef void energy_scratch_init(EnergyScratch *es, void *base, int K, int Dv,
                              size_t itemsize) noexcept nogil:
    cdef char *p = <char *>base
    es.var_f = p; p += K * Dv * itemsize
    es.var_g = p; p += K * Dv * itemsize
    es.logp_f = p; p += K * itemsize
    es.logp_g = p; p += K * itemsize
    es.S = p; p += K * K * Dv * itemsize
    es.sqd = p; p += K * K * itemsize
    es.xi = p; p += K * K * itemsize
    es.gamma = p


cdef inline floating energy_fwd_s(EnergyScratch *es, int K, int D, int Dv,
                                  const floating *mu_f, const floating *lv_f, const floating *s_f,
                                  const floating *mu_g, const floating *lv_g, const floating *s_g,
                                  floating eps, bint prepare_f=1) noexcept nogil:
    return log_energy_fwd(K, D, Dv, mu_f, lv_f, s_f, mu_g, lv_g, s_g, eps, prepare_f,
                          <floating *>es.var_f, <floating *>es.var_g,
                          <floating *>es.logp_f, <floating *>es.logp_g,
                          <floating *>es.S, <floating *>es.sqd,
                          <floating *>es.xi, <floating *>es.gamma)


cdef inline void energy_bwd_s(EnergyScratch *es, int K, int D, int Dv, floating coef,
                              const floating *mu_f, const floating *mu_g,
                              floating *g_mu_f, floating *g_lv_f, floating *g_s_f,
                              floating *g_mu_g, floating *g_lv_g, floating *g_s_g) noexcept nogil:
    log_energy_bwd(K, D, Dv, coef, mu_f, mu_g,
                   <floating *>es.var_f, <floating *>es.var_g,
                   <floating *>es.logp_f, <floating *>es.logp_g,
                   <floating *>es.S, <floating *>es.sqd, <floating *>es.gamma,
                   g_mu_f, g_lv_f, g_s_f, g_mu_g, g_lv_g, g_s_g)


# ---------------------------------------------------------------------------
# Parameter updates (in place, no locks)
# ---------------------------------------------------------------------------

cdef inline void apply_update(float *x, float *acc, const float *g, int n, float lr,
                              bint adagrad) noexcept nogil:
    """SGD ``x -= lr g`` or Adagrad ``acc += g^2; x -= lr g / sqrt(acc)``."""
    cdef int k
    if adagrad:
        for k in range(n):
            acc[k] = acc[k] + g[k] * g[k]
            x[k] = x[k] - lr * g[k] / sqrtf(acc[k])
    else:
        for k in range(n):
            x[k] = x[k] - lr * g[k]


cdef inline void clip_range(float *x, int n, float lo, float hi) noexcept nogil:
    cdef int k
    for k in range(n):
        if x[k] < lo:
            x[k] = lo
        elif x[k] > hi:
            x[k] = hi


# ---------------------------------------------------------------------------
# The training job
# ---------------------------------------------------------------------------

cdef struct Config:
    int K
    int D
    int Dv
    int window
    int negative
    bint adagrad
    float margin
    float eps
    float lv_min
    float lv_max
    uint32_t vocab_size
    float *mu_in
    float *lv_in
    float *s_in
    float *mu_out
    float *lv_out
    float *s_out
    float *a_mu_in
    float *a_lv_in
    float *a_s_in
    float *a_mu_out
    float *a_lv_out
    float *a_s_out
    const uint32_t *keep
    const uint32_t *alias_prob
    const int32_t *alias_index


cdef struct JobResult:
    double loss_sum
    int64_t n_samples
    int64_t n_active
    int64_t n_kept
    int64_t n_nonfinite


cdef inline void update_word(const Config *cfg, bint output, int32_t word,
                             const float *g_mu, const float *g_lv, const float *g_s,
                             float lr) noexcept nogil:
    """Apply one word's gradient to its input or output parameters."""
    cdef int K = cfg.K, D = cfg.D, Dv = cfg.Dv
    cdef size_t om = <size_t>word * K * D, ov = <size_t>word * K * Dv, os_ = <size_t>word * K
    cdef float *mu
    cdef float *lv
    cdef float *s
    cdef float *amu = NULL
    cdef float *alv = NULL
    cdef float *as_ = NULL
    if output:
        mu = cfg.mu_out + om; lv = cfg.lv_out + ov; s = cfg.s_out + os_
        if cfg.adagrad:
            amu = cfg.a_mu_out + om; alv = cfg.a_lv_out + ov; as_ = cfg.a_s_out + os_
    else:
        mu = cfg.mu_in + om; lv = cfg.lv_in + ov; s = cfg.s_in + os_
        if cfg.adagrad:
            amu = cfg.a_mu_in + om; alv = cfg.a_lv_in + ov; as_ = cfg.a_s_in + os_
    apply_update(mu, amu, g_mu, K * D, lr, cfg.adagrad)
    apply_update(lv, alv, g_lv, K * Dv, lr, cfg.adagrad)
    clip_range(lv, K * Dv, cfg.lv_min, cfg.lv_max)
    if K > 1:
        apply_update(s, as_, g_s, K, lr, cfg.adagrad)


cdef inline bint not_finite(double x) noexcept nogil:
    return not ((x - x) == 0)


cdef JobResult run_job(const Config *cfg, const int32_t *words, const int64_t *ends,
                       Py_ssize_t n_sentences, double alpha_start, double alpha_end,
                       uint64_t seed, float *scratch, int32_t *sent) noexcept nogil:
    """Train on ``n_sentences`` sentences of vocabulary indices.

    For every kept centre word ``w`` and context word ``c`` within its reduced
    window, draws ``negative`` noise words ``c'`` and takes one step on
    ``max(0, m - log E(w, c) + log E(w, c'))``.  Output-side rows (c, c') are
    updated as soon as their gradient is known; the centre word's input row
    is updated once per centre word with the gradient summed over its window
    (as in word2vec).  The learning rate decays linearly from ``alpha_start``
    to ``alpha_end`` across the job.
    """
    cdef int K = cfg.K, D = cfg.D, Dv = cfg.Dv
    cdef int nparam = K * D + K * Dv + K
    cdef JobResult res
    res.loss_sum = 0; res.n_samples = 0; res.n_active = 0; res.n_kept = 0; res.n_nonfinite = 0
    cdef uint64_t rng = rng_seed(seed)
    # scratch: 3 gradient blocks (w, c, c') + 2 energy scratches (pos, neg)
    cdef float *gw = scratch
    cdef float *gc = gw + nparam
    cdef float *gn = gc + nparam
    cdef EnergyScratch pos, neg
    energy_scratch_init(&pos, gn + nparam, K, Dv, sizeof(float))
    energy_scratch_init(&neg, gn + nparam + energy_scratch_len(K, Dv), K, Dv, sizeof(float))
    # the centre word's variances and log weights are shared by both energies
    neg.var_f = pos.var_f
    neg.logp_f = pos.logp_f
    cdef Py_ssize_t s_i, start, stop, t, n, i, j, lo, hi
    cdef int k, eff
    cdef int32_t w, c, cn
    cdef int64_t total_words = ends[n_sentences - 1] if n_sentences > 0 else 0
    cdef float lr
    cdef float log_e_pos, log_e_neg, l
    cdef int n_active, n_w_active
    cdef size_t wm, wv, ws, cm, cv, cs, nm, nv, ns
    start = 0
    for s_i in range(n_sentences):
        stop = ends[s_i]
        if total_words > 0:
            lr = <float>(alpha_start + (alpha_end - alpha_start) * (<double>start / total_words))
        else:
            lr = <float>alpha_start
        # subsampling of frequent words (Appendix A.2)
        n = 0
        for t in range(start, stop):
            if keep_word(&rng, cfg.keep[words[t]]):
                sent[n] = words[t]
                n += 1
        res.n_kept += n
        for i in range(n):
            w = sent[i]
            wm = <size_t>w * K * D; wv = <size_t>w * K * Dv; ws = <size_t>w * K
            eff = cfg.window - <int>rng_below(&rng, <uint32_t>cfg.window)
            lo = i - eff
            if lo < 0:
                lo = 0
            hi = i + eff + 1
            if hi > n:
                hi = n
            memset(gw, 0, nparam * sizeof(float))
            n_w_active = 0
            # the centre word's input row is only written after its window
            prepare_side(K, Dv, cfg.lv_in + wv, cfg.s_in + ws,
                         <float *>pos.var_f, <float *>pos.logp_f)
            for j in range(lo, hi):
                if j == i:
                    continue
                c = sent[j]
                cm = <size_t>c * K * D; cv = <size_t>c * K * Dv; cs = <size_t>c * K
                log_e_pos = energy_fwd_s(&pos, K, D, Dv,
                                         cfg.mu_in + wm, cfg.lv_in + wv, cfg.s_in + ws,
                                         cfg.mu_out + cm, cfg.lv_out + cv, cfg.s_out + cs, cfg.eps,
                                         0)
                n_active = 0
                for k in range(cfg.negative):
                    cn = draw_negative(&rng, cfg.alias_prob, cfg.alias_index, cfg.vocab_size)
                    if cn == c:
                        continue
                    nm = <size_t>cn * K * D; nv = <size_t>cn * K * Dv; ns = <size_t>cn * K
                    log_e_neg = energy_fwd_s(&neg, K, D, Dv,
                                             cfg.mu_in + wm, cfg.lv_in + wv, cfg.s_in + ws,
                                             cfg.mu_out + nm, cfg.lv_out + nv, cfg.s_out + ns, cfg.eps,
                                             0)
                    l = cfg.margin - log_e_pos + log_e_neg
                    res.n_samples += 1
                    if not_finite(l):
                        res.n_nonfinite += 1
                        continue
                    if l > 0:
                        res.loss_sum += l
                        n_active += 1
                        # d L / d log E(w, c') = +1
                        memset(gn, 0, nparam * sizeof(float))
                        energy_bwd_s(&neg, K, D, Dv, <float>1.0,
                                     cfg.mu_in + wm, cfg.mu_out + nm,
                                     gw, gw + K * D, gw + K * D + K * Dv,
                                     gn, gn + K * D, gn + K * D + K * Dv)
                        update_word(cfg, 1, cn, gn, gn + K * D, gn + K * D + K * Dv, lr)
                if n_active > 0:
                    res.n_active += n_active
                    # d L / d log E(w, c) = -1 for each active negative
                    memset(gc, 0, nparam * sizeof(float))
                    energy_bwd_s(&pos, K, D, Dv, <float>(-n_active),
                                 cfg.mu_in + wm, cfg.mu_out + cm,
                                 gw, gw + K * D, gw + K * D + K * Dv,
                                 gc, gc + K * D, gc + K * D + K * Dv)
                    update_word(cfg, 1, c, gc, gc + K * D, gc + K * D + K * Dv, lr)
                    n_w_active += 1
            if n_w_active > 0:
                update_word(cfg, 0, w, gw, gw + K * D, gw + K * D + K * Dv, lr)
        start = stop
    return res


def _f32(a, name, shape):
    if not isinstance(a, np.ndarray) or a.dtype != np.float32 or not a.flags.c_contiguous \
            or not a.flags.writeable:
        raise TypeError(f"{name} must be a writeable C-contiguous float32 ndarray")
    if a.shape != shape:
        raise ValueError(f"{name} has shape {a.shape}, expected {shape}")
    return a


cdef class KernelState:
    """Raw pointers to the parameter arrays and sampling tables of one model.

    Built once per ``train`` call; the arrays are kept alive by this object.

    Parameters
    ----------
    mu_in, log_var_in, logits_in : ndarray of float32
        Input-side means (V, K, D), log-variances (V, K, Dv) and mixture
        logits (V, K), Dv = 1 (spherical) or D (diagonal).
    mu_out, log_var_out, logits_out : ndarray of float32
        Output-side parameters of the same shapes; pass the input arrays
        themselves for a model without separate output distributions.
    accumulators : tuple of 6 float32 ndarrays or None
        Adagrad accumulators shaped like the six arrays above (the same
        array objects where the parameters are shared); None selects SGD.
    keep : ndarray of uint32, shape (V,)
        Subsampling thresholds (:func:`w2gm._sampling.subsampling_thresholds`).
    alias_prob, alias_index : ndarray of uint32 / int32, shape (V,)
        Noise-distribution alias table (:func:`w2gm._sampling.build_alias_table`).
    window, negative : int
        Maximum window and negatives per positive pair.
    margin, eps : float
        Margin m (Section 3.3) and the variance epsilon (Appendix A.2).
    log_var_min, log_var_max : float
        Bounds the log-variances are clipped to after every update.
    """
    cdef Config cfg
    cdef object refs
    cdef Py_ssize_t V

    def __init__(self, mu_in, log_var_in, logits_in, mu_out, log_var_out, logits_out,
                 accumulators, keep, alias_prob, alias_index, int window, int negative,
                 double margin, double eps, double log_var_min, double log_var_max):
        for nm, a in (("mu_in", mu_in), ("log_var_in", log_var_in)):
            if not isinstance(a, np.ndarray):
                raise TypeError(f"{nm} must be a float32 ndarray, got {type(a).__name__}")
        if mu_in.ndim != 3:
            raise ValueError(f"mu_in must be (V, K, D), got shape {mu_in.shape}")
        V, K, D = mu_in.shape
        Dv = log_var_in.shape[2] if log_var_in.ndim == 3 else -1
        if Dv not in (1, D):
            raise ValueError(f"log_var_in has shape {log_var_in.shape}, expected (V, K, 1) or (V, K, D)")
        if V < 1 or K < 1 or D < 1:
            raise ValueError(f"empty parameter arrays: shape {mu_in.shape}")
        if window < 1 or negative < 1:
            raise ValueError(f"window and negative must be >= 1, got {window}, {negative}")
        arrays = [
            _f32(mu_in, "mu_in", (V, K, D)), _f32(log_var_in, "log_var_in", (V, K, Dv)),
            _f32(logits_in, "logits_in", (V, K)), _f32(mu_out, "mu_out", (V, K, D)),
            _f32(log_var_out, "log_var_out", (V, K, Dv)), _f32(logits_out, "logits_out", (V, K)),
        ]
        names = ["mu_in", "log_var_in", "logits_in", "mu_out", "log_var_out", "logits_out"]
        if accumulators is not None:
            if len(accumulators) != 6:
                raise ValueError("accumulators must hold 6 arrays")
            accs = [_f32(a, "accumulator of " + nm, p.shape)
                    for a, nm, p in zip(accumulators, names, arrays)]
        else:
            accs = None
        for nm, t, dt in (("keep", keep, np.uint32), ("alias_prob", alias_prob, np.uint32),
                          ("alias_index", alias_index, np.int32)):
            if not isinstance(t, np.ndarray) or t.dtype != dt:
                raise TypeError(f"{nm} must be an ndarray of {np.dtype(dt)}")
        keep = np.ascontiguousarray(keep)
        alias_prob = np.ascontiguousarray(alias_prob)
        alias_index = np.ascontiguousarray(alias_index)
        for nm, t in (("keep", keep), ("alias_prob", alias_prob), ("alias_index", alias_index)):
            if t.shape != (V,):
                raise ValueError(f"{nm} has shape {t.shape}, expected ({V},)")
        if alias_index.size and (alias_index.min() < 0 or alias_index.max() >= V):
            raise ValueError("alias_index holds indices outside the vocabulary")
        self.refs = (arrays, accs, keep, alias_prob, alias_index)
        self.V = V
        cdef Config *c = &self.cfg
        c.K = K; c.D = D; c.Dv = Dv
        c.window = window; c.negative = negative
        c.margin = margin; c.eps = eps
        c.lv_min = log_var_min; c.lv_max = log_var_max
        c.vocab_size = <uint32_t>V
        c.mu_in = <float *>cnp.PyArray_DATA(arrays[0])
        c.lv_in = <float *>cnp.PyArray_DATA(arrays[1])
        c.s_in = <float *>cnp.PyArray_DATA(arrays[2])
        c.mu_out = <float *>cnp.PyArray_DATA(arrays[3])
        c.lv_out = <float *>cnp.PyArray_DATA(arrays[4])
        c.s_out = <float *>cnp.PyArray_DATA(arrays[5])
        c.adagrad = accs is not None
        if accs is not None:
            c.a_mu_in = <float *>cnp.PyArray_DATA(accs[0])
            c.a_lv_in = <float *>cnp.PyArray_DATA(accs[1])
            c.a_s_in = <float *>cnp.PyArray_DATA(accs[2])
            c.a_mu_out = <float *>cnp.PyArray_DATA(accs[3])
            c.a_lv_out = <float *>cnp.PyArray_DATA(accs[4])
            c.a_s_out = <float *>cnp.PyArray_DATA(accs[5])
        else:
            c.a_mu_in = c.a_lv_in = c.a_s_in = NULL
            c.a_mu_out = c.a_lv_out = c.a_s_out = NULL
        c.keep = <const uint32_t *>cnp.PyArray_DATA(keep)
        c.alias_prob = <const uint32_t *>cnp.PyArray_DATA(alias_prob)
        c.alias_index = <const int32_t *>cnp.PyArray_DATA(alias_index)

    def train_job(self, words, sentence_ends, double alpha_start, double alpha_end,
                  uint64_t seed):
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
            negatives).

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
        """
        words_np = np.asarray(words)
        ends_np = np.asarray(sentence_ends)
        if words_np.ndim != 1 or ends_np.ndim != 1:
            raise ValueError("words and sentence_ends must be one-dimensional")
        if words_np.size and (words_np.dtype.kind not in "iu" or words_np.min() < 0
                              or words_np.max() >= self.V):
            raise ValueError(f"words must be integer indices in [0, {self.V})")
        if ends_np.size and ends_np.dtype.kind not in "iu":
            raise ValueError("sentence_ends must be integers")
        if (ends_np.size == 0 and words_np.size > 0) or (
                ends_np.size and (ends_np[-1] != words_np.size or ends_np[0] < 0
                                  or np.any(np.diff(ends_np) < 0))):
            raise ValueError("sentence_ends must be non-decreasing and end at len(words)")
        cdef const int32_t[::1] wv = np.ascontiguousarray(words_np, dtype=np.int32)
        cdef const int64_t[::1] ev = np.ascontiguousarray(ends_np, dtype=np.int64)
        cdef Py_ssize_t S = ev.shape[0]
        cdef Py_ssize_t N = wv.shape[0]
        if S == 0 or N == 0:
            return (0.0, 0, 0, 0, 0)
        cdef Py_ssize_t longest = int(np.diff(ends_np, prepend=0).max())
        cdef int K = self.cfg.K, D = self.cfg.D, Dv = self.cfg.Dv
        cdef Py_ssize_t n_scratch = 3 * (K * D + K * Dv + K) + 2 * energy_scratch_len(K, Dv)
        cdef float *scratch = <float *>malloc(n_scratch * sizeof(float))
        cdef int32_t *sent = <int32_t *>malloc((longest + 1) * sizeof(int32_t))
        cdef JobResult r
        if scratch == NULL or sent == NULL:
            free(scratch); free(sent)
            raise MemoryError("cannot allocate training scratch buffers")
        try:
            with nogil:
                r = run_job(&self.cfg, &wv[0], &ev[0], S, alpha_start, alpha_end, seed,
                            scratch, sent)
        finally:
            free(scratch)
            free(sent)
        return (r.loss_sum, r.n_samples, r.n_active, r.n_kept, r.n_nonfinite)


# ---------------------------------------------------------------------------
# Python wrappers of the float64 instances, for tests and small computations
# ---------------------------------------------------------------------------

def _component_arrays(mu, log_var, logits, name):
    mu = np.ascontiguousarray(mu, dtype=np.float64)
    log_var = np.ascontiguousarray(log_var, dtype=np.float64)
    if mu.ndim != 2:
        raise ValueError(f"{name}: means must be (K, D), got shape {mu.shape}")
    K, D = mu.shape
    if log_var.ndim == 1:
        log_var = log_var.reshape(K, -1)
    if log_var.shape not in ((K, 1), (K, D)):
        raise ValueError(f"{name}: log-variances must be (K, 1) or (K, D), got {log_var.shape}")
    if logits is None:
        logits = np.zeros(K)
    logits = np.ascontiguousarray(logits, dtype=np.float64)
    if logits.shape != (K,):
        raise ValueError(f"{name}: logits must be (K,), got {logits.shape}")
    return mu, log_var, logits


def _energy64(f, g, double eps):
    cdef double[:, ::1] mu_f, lv_f, mu_g, lv_g
    cdef double[::1] s_f, s_g
    mu_f, lv_f, s_f = _component_arrays(*f, "f")
    mu_g, lv_g, s_g = _component_arrays(*g, "g")
    cdef int K = mu_f.shape[0], D = mu_f.shape[1], Dv = lv_f.shape[1]
    if mu_g.shape[0] != K or mu_g.shape[1] != D or lv_g.shape[1] != Dv:
        raise ValueError("f and g must have the same K, D and covariance type")
    scratch = np.zeros(energy_scratch_len(K, Dv), dtype=np.float64)
    cdef double[::1] sv = scratch
    cdef EnergyScratch es
    energy_scratch_init(&es, &sv[0], K, Dv, sizeof(double))
    cdef double le = energy_fwd_s(&es, K, D, Dv, &mu_f[0, 0], &lv_f[0, 0], &s_f[0],
                                  &mu_g[0, 0], &lv_g[0, 0], &s_g[0], eps)
    xi = np.asarray(<double[:K * K]>(<double *>es.xi)).copy().reshape(K, K)
    gamma = np.asarray(<double[:K * K]>(<double *>es.gamma)).copy().reshape(K, K)
    return le, xi, gamma


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
    """
    return _energy64((mu_f, log_var_f, None), (mu_g, log_var_g, None), eps)[1]


def log_energy(mu_f, log_var_f, logits_f, mu_g, log_var_g, logits_g, double eps=1e-4):
    """Log energy ``log E(f, g)`` of eq. 2 (float64, without ``-D/2 log 2pi``).

    Parameters are as in :func:`partial_energies`, plus mixture logits of
    shape (K,).  Returns a Python float.
    """
    return _energy64((mu_f, log_var_f, logits_f), (mu_g, log_var_g, logits_g), eps)[0]


def loss_and_grads(w, c, n, double margin=1.0, double eps=1e-4):
    """Max-margin loss of one sample and its gradients (float64).

    ``L = max(0, m - log E(w, c) + log E(w, c'))`` (Section 3.3) with the same
    hand-derived backward pass the trainer uses.

    Parameters
    ----------
    w, c, n : tuple ``(means (K, D), log_variances (K, Dv), logits (K,))``
        Parameters of the word, its context word and the negative word.
    margin, eps : float

    Returns
    -------
    loss : float
    grads : dict
        ``{"w": (g_mu, g_log_var, g_logits), "c": (...), "n": (...)}``, arrays
        shaped like the inputs; all zero when the hinge is inactive.
    """
    cdef double[:, ::1] mu_w, lv_w, mu_c, lv_c, mu_n, lv_n
    cdef double[::1] s_w, s_c, s_n
    mu_w, lv_w, s_w = _component_arrays(*w, "w")
    mu_c, lv_c, s_c = _component_arrays(*c, "c")
    mu_n, lv_n, s_n = _component_arrays(*n, "n")
    cdef int K = mu_w.shape[0], D = mu_w.shape[1], Dv = lv_w.shape[1]
    if (mu_c.shape[0] != K or mu_c.shape[1] != D or mu_n.shape[0] != K
            or mu_n.shape[1] != D):
        raise ValueError("w, c and n must share K and D")
    if lv_c.shape[1] != Dv or lv_n.shape[1] != Dv:
        raise ValueError("w, c and n must share the covariance type")
    scratch = np.zeros(2 * energy_scratch_len(K, Dv), dtype=np.float64)
    cdef double[::1] sv = scratch
    cdef EnergyScratch pos, neg
    energy_scratch_init(&pos, &sv[0], K, Dv, sizeof(double))
    energy_scratch_init(&neg, &sv[energy_scratch_len(K, Dv)], K, Dv, sizeof(double))
    grads = {key: (np.zeros((K, D)), np.zeros((K, Dv)), np.zeros(K)) for key in ("w", "c", "n")}
    cdef double[:, ::1] gmw = grads["w"][0], glw = grads["w"][1]
    cdef double[:, ::1] gmc = grads["c"][0], glc = grads["c"][1]
    cdef double[:, ::1] gmn = grads["n"][0], gln = grads["n"][1]
    cdef double[::1] gsw = grads["w"][2], gsc = grads["c"][2], gsn = grads["n"][2]
    cdef double lp = energy_fwd_s(&pos, K, D, Dv, &mu_w[0, 0], &lv_w[0, 0], &s_w[0],
                                  &mu_c[0, 0], &lv_c[0, 0], &s_c[0], eps)
    cdef double ln = energy_fwd_s(&neg, K, D, Dv, &mu_w[0, 0], &lv_w[0, 0], &s_w[0],
                                  &mu_n[0, 0], &lv_n[0, 0], &s_n[0], eps)
    cdef double loss = margin - lp + ln
    if loss > 0:
        energy_bwd_s(&neg, K, D, Dv, 1.0, &mu_w[0, 0], &mu_n[0, 0],
                     &gmw[0, 0], &glw[0, 0], &gsw[0], &gmn[0, 0], &gln[0, 0], &gsn[0])
        energy_bwd_s(&pos, K, D, Dv, -1.0, &mu_w[0, 0], &mu_c[0, 0],
                     &gmw[0, 0], &glw[0, 0], &gsw[0], &gmc[0, 0], &glc[0, 0], &gsc[0])
    elif loss == loss:
        loss = 0.0
    return loss, grads
