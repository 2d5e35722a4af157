# cython: language_level=3
"""Declarations of the Word2GM training kernel (``_train_inner.pyx``).

The trainer works in three steps, each with its own lifetime:

1. **init**, once per ``Word2GM.train`` call: ``KernelState.__init__``
   checks the parameter arrays, the Adagrad accumulators and the sampling
   tables, keeps them alive, and fills one :c:type:`TrainConfig` with raw
   pointers to them (two :c:type:`SideParams`, one per side) plus the
   hyperparameters.  The config is read-only from then on; the arrays it
   points to are updated in place by every job.
2. **populate**, once per job: ``KernelState.train_job`` checks the job's
   words and sentence ends, allocates one :c:type:`TrainScratch` (float32,
   sized by :c:func:`train_scratch_len`, laid out by
   :c:func:`train_scratch_init`; with shared negatives also
   (NEG_LOOKAHEAD + 2) * negative int32 for the drawn words of the next
   windows and the counts) and a buffer for the kept
   words of one sentence.  Scratch belongs to the job, so concurrent jobs (one per worker
   thread) never share it.
3. **train**: :c:func:`run_job` trains the whole job inside a single
   ``nogil`` block and returns a :c:type:`JobResult`.  Parameter rows are
   updated in place without locks (Hogwild).

Names (see the module docstring of ``_train_inner.pyx`` for the formulas):
``mu`` means, ``lv`` log-variances, ``s`` mixture logits (scores), ``var``
variances ``exp(lv)``, ``K`` components, ``D`` dimensions, ``Dv`` = 1
(spherical) or D (diagonal) log-variances per component, ``w`` the centre
word, ``c`` the context word, ``c'`` (``c_neg``) a negative word.
"""

from libc.stdint cimport uint64_t, uint32_t, int32_t, int64_t


cdef struct SideParams:
    # One side (input or output) of the model: float32 tables over the
    # vocabulary, word-major.  Word v's rows start at v*K*D (mu) and, unless
    # packed (below), v*K*Dv (lv) and v*K (s).
    float *mu               # means, (V, K, D)
    float *lv               # log-variances, (V, K, Dv)
    float *s                # mixture logits, (V, K); weights p = softmax(s)
    # Adagrad accumulators (sums of squared gradients); all three NULL for
    # SGD.  They are the input side's own arrays when the output side is the
    # input side.  With adagrad_state "scalar" (TrainConfig.row_adagrad false)
    # they have the shapes of the parameters; with "row" there is one per
    # parameter row: (V, K, 1) for the means and the log-variances (word v's
    # start at v*K) and (V, 1) for the logits (word v's at v).
    float *acc_mu
    float *acc_lv
    float *acc_s
    # Row strides in floats: word v's log-variances start at lv + v*lv_row, its
    # logits at s + v*s_row, and so on.  Unpacked: K*Dv, K and the
    # accumulators' own (K*Dv and K; K and 1 with row Adagrad).  With packed
    # rows (KernelState's pack_rows) the four pointers lie in one table of
    # rows [lv (K), s (K), acc_lv (K), acc_s (K)] (without the accumulators
    # for SGD), and every stride is that row's length: one word's small
    # parameters share a cache line instead of taking one line in each of
    # four tables.
    Py_ssize_t lv_row
    Py_ssize_t s_row
    Py_ssize_t acc_lv_row
    Py_ssize_t acc_s_row
    bint packed


cdef struct MixtureRow:
    # One word's mixture on one side as three blocks: the word's parameter
    # rows in a SideParams, or a gradient buffer of the same layout.
    float *mu               # K*D
    float *lv               # K*Dv
    float *s                # K


cdef struct TrainConfig:
    # Sizes.  KernelState bounds them by the settings' maxima (K <= 1000, D <= 10000,
    # V <= 2**31 - 1), so K*D, K*Dv and K*K fit an int; K*K*Dv (up to 1e10) does not:
    # scratch lengths and offsets into PairScratch.S are Py_ssize_t.
    int K                   # mixture components
    int D                   # dimensions
    int Dv                  # log-variances per component: 1 (spherical) or D (diagonal)
    uint32_t vocab_size     # V
    # Sampling (Section 3.3 and Appendix A.2, "Word Sampling"); bounded like the settings
    int window              # maximum window
    bint shrink_windows     # each centre word draws a reduced window in [1, window] (else: window)
    # negative words c' drawn per (w, c) pair, or per centre word with shared_negatives
    int negative
    # [shared negatives] draw the `negative` words once per centre word and pair
    # each with every context word of its window (the shared_negatives setting;
    # false by default: one draw of `negative` words per (w, c) pair)
    bint shared_negatives
    const uint32_t *keep        # (V,) subsampling thresholds, keep with probability keep/2**32
    const uint32_t *alias_prob  # (V,) alias table of the noise distribution (unigram^ns_exponent)
    const int32_t *alias_index  # (V,)
    # Objective: margin m of the max-margin loss (Section 3.3) and the eps
    # added to every summed variance (Appendix A.2)
    float margin
    float eps
    # [max PE] log E = max_ij (log p_i + log q_j + xi_ij) instead of the log-sum-exp
    # (the max_partial_energy setting; false by default)
    bint max_pe
    # Optimiser: Adagrad when true (accumulators set), else SGD; bounds the
    # log-variances are clipped to after every update
    bint adagrad
    # [row Adagrad] one accumulator per parameter row (the adagrad_state setting "row";
    # only with adagrad): a += mean_r(g_r^2), x_r -= lr g_r / sqrt(a)
    bint row_adagrad
    float lv_min
    float lv_max
    # Learning-rate factors of the log-variances and the mixture logits (the
    # means take the job's rate itself; 1 by default), and the cap on each
    # mean vector's L2 norm applied after every update (0: no cap)
    float lr_factor_lv
    float lr_factor_s
    float norm_cap
    # Parameters: input side (centre words w) and output side (context and
    # negative words c, c').  Without separate output distributions both
    # hold the same pointers.
    SideParams params_in
    SideParams params_out


cdef struct PairScratch:
    # Everything the backward pass of one pair (f = w, g = c or c') needs
    # from its forward pass; float32, filled by log_energy_fwd.
    float *var_g            # K*Dv variances exp(lv) of g
    float *log_q            # K log mixture weights log softmax(s) of g
    # K*K*Dv summed variances S_ijr = var_f,i,r + var_g,j,r + eps: spherical S_ij itself,
    # diagonal the reciprocals 1 / S_ijr (the backward pass only multiplies by them)
    float *S
    float *sqdist           # K*K squared mean distance |mu_f,i - mu_g,j|^2 (spherical only)
    float *xi               # K*K partial energies xi_ij (eq. 3)
    float *gamma            # K*K responsibilities gamma_ij (sum to 1)


cdef struct TrainScratch:
    # Per-job float32 working memory (one allocation, see train_scratch_init).
    # Gradient buffers, each K*D + K*Dv + K contiguous floats (mu, lv, s):
    MixtureRow grad_w       # centre word, summed over its whole window
    MixtureRow grad_c       # context word of the current pair
    MixtureRow grad_neg     # current negative word
    # The centre word's variances (K*Dv) and log mixture weights (K),
    # computed once per centre word and shared by both pairs:
    float *var_w
    float *log_p_w
    # Forward results of the positive pair (w, c) and of the current
    # negative pair (w, c'):
    PairScratch pos
    PairScratch neg
    # [shared negatives] Only with cfg.shared_negatives (else n_shared = 0, the
    # pointers below are NULL and no memory is set aside for them): the
    # n = cfg.negative words c'_k drawn once for the current centre word w,
    # and what the whole window needs of them.  Negative k's part of each
    # array starts at k times the length named in its comment ("per c'_k").
    int n_shared            # n: negatives per window (0 when off)
    # 1 per c'_k and window, for NEG_LOOKAHEAD + 1 windows (a ring; _train_inner.pyx): the words
    # drawn for the current window and the next ones, whose rows are prefetched (int32, after the
    # kept words)
    int32_t *neg_words
    int32_t *neg_counts     # 1 per c'_k: active (c, c'_k) terms of the window that used it
    # K*D (once, not per c'_k): w's means, copied at the window's start.  Every
    # energy of the window and its backward pass read them (with var_w and
    # log_p_w above), so w's parameters are fixed during its window even where
    # w is also a context word of it and the tables are shared (its output row
    # is then its input row, updated mid-window).
    float *mu_w
    float *log_e_neg        # 1 per c'_k: log E(w, c'_k), computed once per window
    # K*D per c'_k: its means as the forward pass read them.  The backward
    # pass runs at the window's end, and c'_k's row may have been updated
    # meanwhile as a context word of the window.
    float *mu_neg
    # The n forward results (w, c'_k), field by field, per c'_k: var_g K*Dv,
    # log_q K, S K*K*Dv, sqdist K*K, xi K*K, gamma K*K.
    PairScratch negs
    # K*D + K*Dv + K per c'_k: its gradient (mu, lv, s contiguous), times the
    # window's active terms that used it.
    float *grad_negs


cdef struct JobResult:
    # What train_job returns, summed over the job.
    double loss_sum         # hinge loss of the active samples
    int64_t n_samples       # (w, c, c') samples evaluated (c' == c is skipped, not counted)
    int64_t n_active        # samples with a positive loss (they produce an update)
    int64_t n_kept          # words kept by subsampling
    int64_t n_nonfinite     # samples whose loss was NaN or infinite (skipped)


cdef Py_ssize_t train_scratch_len(int K, int D, int Dv, int n_shared) noexcept nogil

cdef void train_scratch_init(TrainScratch *scratch, float *block, int32_t *int_block,
                             int K, int D, int Dv, int n_shared) noexcept nogil

cdef JobResult run_job(const TrainConfig *cfg, TrainScratch *scratch, int32_t *kept,
                       const int32_t *words, const int64_t *sentence_ends,
                       Py_ssize_t n_sentences, double alpha_start, double alpha_end,
                       uint64_t seed) noexcept nogil
