"""NumPy float64 reference implementation of Word2GM, for the tests.

Written from the paper (Athiwaratkun & Wilson 2017, "Multimodal Word
Distributions"), not from the Cython kernel:

* partial energy, eq. 3, evaluated with full covariance matrices
  ``Sigma = diag(d_f,i) + diag(d_g,j) + eps I`` (Appendix A.2 adds eps) via a
  log-determinant and a linear solve, without the constant ``-D/2 log 2pi``;
* log energy, eq. 2, with a naive ``log(sum(p q exp(xi)))`` (fine for moderate
  inputs; the stability tests use :func:`log_energy_stable`), or with
  ``max_pe`` the maximum weighted partial energy
  ``max_ij log(p_i q_j exp(xi_ij))`` (a log-domain variant of the original
  implementation's ``max_pe``, which maximises the unweighted ``xi_ij``);
* the max-margin loss of Section 3.3;
* analytic gradients of ``log E`` (checked against finite differences in the
  tests);
* :func:`shared_window`, one window of the ``shared_negatives`` setting;
* the Adagrad update per parameter or, with ``adagrad_state="row"``, per
  parameter row (:func:`_update`);
* :func:`train_job`, the one float64 model of the whole trainer that every
  trainer test compares ``KernelState.train_job`` with, including a replica
  of the documented random number generator (xorshift64* seeded by
  splitmix64).  :func:`deterministic_alias` builds a noise table that always
  draws one chosen word, to force the negative where a test needs it.

A word's parameters are a tuple ``(means (K, D), log_vars (K, Dv), logits
(K,))`` with ``Dv = 1`` (spherical) or ``Dv = D`` (diagonal).
"""

import numpy as np

from w2gm import _train_inner

MASK64 = (1 << 64) - 1
ALWAYS_KEEP = 0xFFFFFFFF


# ---------------------------------------------------------------------------
# Energies and loss
# ---------------------------------------------------------------------------

def _variances(log_var, D):
    """(K, Dv) log-variances -> (K, D) variances (spherical: broadcast)."""
    log_var = np.asarray(log_var, dtype=np.float64)
    return np.broadcast_to(np.exp(log_var), (log_var.shape[0], D))


def softmax(s):
    s = np.asarray(s, dtype=np.float64)
    e = np.exp(s)
    return e / e.sum()


def partial_energies(mu_f, log_var_f, mu_g, log_var_g, eps=1e-4):
    """xi_ij of eq. 3 (without -D/2 log 2pi) using explicit covariance matrices."""
    mu_f = np.asarray(mu_f, dtype=np.float64)
    mu_g = np.asarray(mu_g, dtype=np.float64)
    K, D = mu_f.shape
    d_f = _variances(log_var_f, D)
    d_g = _variances(log_var_g, D)
    xi = np.empty((mu_f.shape[0], mu_g.shape[0]))
    for i in range(mu_f.shape[0]):
        for j in range(mu_g.shape[0]):
            sigma = np.diag(d_f[i]) + np.diag(d_g[j]) + eps * np.eye(D)
            diff = mu_f[i] - mu_g[j]
            sign, logdet = np.linalg.slogdet(sigma)
            assert sign > 0
            xi[i, j] = -0.5 * logdet - 0.5 * diff @ np.linalg.solve(sigma, diff)
    return xi


def log_energy(f, g, eps=1e-4, max_pe=False):
    """Naive eq. 2: log sum_ij p_i q_j exp(xi_ij); with ``max_pe``: max_ij log(p_i q_j) + xi_ij."""
    xi = partial_energies(f[0], f[1], g[0], g[1], eps)
    p = softmax(f[2])
    q = softmax(g[2])
    with np.errstate(divide="ignore", under="ignore"):
        if max_pe:
            return float(np.max(np.log(p[:, None] * q[None, :]) + xi))
        return float(np.log(np.sum(p[:, None] * q[None, :] * np.exp(xi))))


def weighted_terms(f, g, eps=1e-4):
    """log p_i + log q_j + xi_ij (K, K), with log-softmax computed stably."""
    xi = partial_energies(f[0], f[1], g[0], g[1], eps)
    lp = _log_softmax(f[2])
    lq = _log_softmax(g[2])
    return lp[:, None] + lq[None, :] + xi


def _log_softmax(s):
    s = np.asarray(s, dtype=np.float64)
    m = s.max()
    return s - (m + np.log(np.sum(np.exp(s - m))))


def log_energy_stable(f, g, eps=1e-4, max_pe=False):
    """Eq. 2 in the max-subtracted form of Appendix A.2 (``max_pe``: the largest term alone)."""
    t = weighted_terms(f, g, eps)
    m = t.max()
    if max_pe:
        return float(m)
    return float(m + np.log(np.sum(np.exp(t - m))))


def loss(w, c, n, margin=1.0, eps=1e-4, max_pe=False):
    """Section 3.3: max(0, m - log E(w, c) + log E(w, c'))."""
    return max(0.0, margin - log_energy(w, c, eps, max_pe) + log_energy(w, n, eps, max_pe))


def log_energy_grads(f, g, eps=1e-4, max_pe=False):
    """Analytic gradients of log E(f, g) w.r.t. both words' parameters.

    With ``max_pe``, log E is the largest term ``log p_i + log q_j + xi_ij``,
    whose gradient is that of the arg-max pair (the first, row-major, on a tie).

    Returns ``((d mu_f, d lv_f, d s_f), (d mu_g, d lv_g, d s_g))``.
    """
    mu_f = np.asarray(f[0], dtype=np.float64)
    mu_g = np.asarray(g[0], dtype=np.float64)
    lv_f = np.asarray(f[1], dtype=np.float64)
    lv_g = np.asarray(g[1], dtype=np.float64)
    K, D = mu_f.shape
    d_f = _variances(lv_f, D)
    d_g = _variances(lv_g, D)
    t = weighted_terms(f, g, eps)
    if max_pe:
        gamma = np.zeros_like(t)
        gamma[np.unravel_index(np.argmax(t), t.shape)] = 1.0
    else:
        gamma = np.exp(t - t.max())
        gamma /= gamma.sum()                   # d logE / d xi_ij
    p = softmax(f[2])
    q = softmax(g[2])
    g_s_f = gamma.sum(axis=1) - p
    g_s_g = gamma.sum(axis=0) - q
    g_mu_f = np.zeros_like(mu_f)
    g_mu_g = np.zeros_like(mu_g)
    g_d_f = np.zeros((K, D))                   # d logE / d variance (per dimension)
    g_d_g = np.zeros((K, D))
    for i in range(K):
        for j in range(K):
            S = d_f[i] + d_g[j] + eps
            diff = mu_f[i] - mu_g[j]
            # xi = -1/2 sum log S - 1/2 sum diff^2 / S
            dxi_dmu_f = -diff / S
            dxi_dS = -0.5 / S + 0.5 * diff ** 2 / S ** 2
            g_mu_f[i] += gamma[i, j] * dxi_dmu_f
            g_mu_g[j] -= gamma[i, j] * dxi_dmu_f
            g_d_f[i] += gamma[i, j] * dxi_dS
            g_d_g[j] += gamma[i, j] * dxi_dS
    # chain rule through d = exp(lv); spherical: the single lv drives all D dims
    g_lv_f = (g_d_f * d_f).sum(axis=1, keepdims=True) if lv_f.shape[1] == 1 else g_d_f * d_f
    g_lv_g = (g_d_g * d_g).sum(axis=1, keepdims=True) if lv_g.shape[1] == 1 else g_d_g * d_g
    return (g_mu_f, g_lv_f, g_s_f), (g_mu_g, g_lv_g, g_s_g)


def shared_window(w, table, contexts, negatives, margin=1.0, eps=1e-4, max_pe=False):
    """One window with shared negatives: loss and gradients, nothing updated.

    ``L = sum_c sum_{k: c'_k != c} max(0, m - log E(w, c) + log E(w, c'_k))``
    (Section 3.3 for each term; the ``shared_negatives`` setting).  ``table``
    is ``(means (V, K, D), log_vars (V, K, Dv), logits (V, K))``; ``contexts``
    and ``negatives`` index it.  A term whose loss is not finite is counted
    and contributes nothing.

    Returns ``(loss, n_samples, n_active, n_nonfinite, counts, grads)`` with
    ``counts[k]`` the active terms that used ``c'_k`` and ``grads`` as
    ``_train_inner.shared_window_loss_and_grads`` gives them:
    ``{"w": (3 arrays), "c": (3 arrays over contexts), "n": (3 arrays over
    negatives)}``, where context ``c`` carries ``-n_active(c) * d logE(w, c)``
    and negative ``k`` carries ``counts[k] * d logE(w, c'_k)``.
    """
    def row(v):
        return tuple(np.asarray(a[v], dtype=np.float64) for a in table)

    K, D = np.shape(table[0])[1:]
    Dv = np.shape(table[1])[2]
    neg_e = [log_energy_stable(w, row(v), eps, max_pe) for v in negatives]
    counts = np.zeros(len(negatives), dtype=np.int64)
    loss_sum = 0.0
    n_samples = n_active_total = n_nonfinite = 0
    gw = [np.zeros((K, D)), np.zeros((K, Dv)), np.zeros(K)]
    gc = [np.zeros((len(contexts), K, D)), np.zeros((len(contexts), K, Dv)),
          np.zeros((len(contexts), K))]
    gn = [np.zeros((len(negatives), K, D)), np.zeros((len(negatives), K, Dv)),
          np.zeros((len(negatives), K))]
    for jj, c in enumerate(contexts):
        pos = log_energy_stable(w, row(c), eps, max_pe)
        n_active = 0
        for k, cn in enumerate(negatives):
            if cn == c:
                continue
            n_samples += 1
            term = margin - pos + neg_e[k]
            if not np.isfinite(term):
                n_nonfinite += 1
            elif term > 0:
                loss_sum += term
                n_active += 1
                counts[k] += 1
        if n_active:
            n_active_total += n_active
            gf, gg = log_energy_grads(w, row(c), eps, max_pe)
            for part in range(3):
                gw[part] -= n_active * gf[part]
                gc[part][jj] = -n_active * gg[part]
    for k, cn in enumerate(negatives):
        if counts[k]:
            gf, gg = log_energy_grads(w, row(cn), eps, max_pe)
            for part in range(3):
                gw[part] += counts[k] * gf[part]
                gn[part][k] = counts[k] * gg[part]
    return (loss_sum, n_samples, n_active_total, n_nonfinite, counts,
            {"w": tuple(gw), "c": tuple(gc), "n": tuple(gn)})


def shared_window_loss(w, table, contexts, negatives, margin=1.0, eps=1e-4, max_pe=False):
    """The window loss of :func:`shared_window` straight from the definition (for finite differences)."""
    total = 0.0
    for c in contexts:
        for cn in negatives:
            if cn != c:
                total += loss(w, tuple(a[c] for a in table), tuple(a[cn] for a in table), margin, eps,
                              max_pe)
    return total


# ---------------------------------------------------------------------------
# Random number generator (xorshift64* seeded with one splitmix64 step)
# ---------------------------------------------------------------------------

class Rng:
    """Pure-Python replica of the generator documented in ``_sampling.pxd``."""

    def __init__(self, seed):
        s = (int(seed) + 0x9E3779B97F4A7C15) & MASK64
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        z ^= z >> 31
        self.state = z if z != 0 else 0x9E3779B97F4A7C15

    def next64(self):
        x = self.state
        x ^= x >> 12
        x ^= (x << 25) & MASK64
        x ^= x >> 27
        self.state = x
        return (x * 0x2545F4914F6CDD1D) & MASK64

    def uint32(self):
        return self.next64() >> 32

    def below(self, n):
        return (self.uint32() * n) >> 32

    def keep(self, threshold):
        if threshold == ALWAYS_KEEP:
            return True
        return self.uint32() < threshold

    def negative(self, alias_prob, alias_index):
        r = self.next64()
        column = ((r >> 32) * len(alias_prob)) >> 32
        if (r & 0xFFFFFFFF) < int(alias_prob[column]):
            return column
        return int(alias_index[column])


def deterministic_alias(V, word):
    """Alias table ``(alias_prob, alias_index)`` whose every draw returns ``word``."""
    return np.zeros(V, dtype=np.uint32), np.full(V, word, dtype=np.int32)


# ---------------------------------------------------------------------------
# Training job
# ---------------------------------------------------------------------------

PARAM_NAMES = ("mu_in", "lv_in", "s_in", "mu_out", "lv_out", "s_out")


def _update(params, accs, side, word, grads, lr, lv_min, lv_max, K, options, terms=1):
    """One row update: SGD or Adagrad, then clip the log-variances and cap the mean norms.

    ``options`` holds the learning-rate factors ``lv_lr_factor`` and
    ``s_lr_factor``, ``norm_cap`` (None: no cap) and ``adagrad_state``.  ``terms``:
    the number N of hinge terms summed in ``grads`` (a shared negative's
    ``N_k``); Adagrad then adds ``N (g/N)^2 = g^2 / N`` to the accumulator,
    what N separate steps of ``g/N`` would add to first order, and steps by
    ``lr g / sqrt(acc)``.

    With ``adagrad_state="row"`` the accumulators hold one value per row
    (``accs["mu_*"]`` and ``accs["lv_*"]`` shaped (V, K, 1), ``accs["s_*"]``
    (V, 1)): each row ``r`` (a component's means or log-variances, a word's
    logits) adds ``mean(g_r^2) / N`` and every value of it steps by
    ``lr g / sqrt(acc_r)`` with the updated ``acc_r``.
    """
    factors = {"mu": 1.0, "lv": options["lv_lr_factor"], "s": options["s_lr_factor"]}
    for kind, g in zip(("mu", "lv", "s"), grads):
        if kind == "s" and K == 1:
            continue
        name = f"{kind}_{side}"
        x = params[name]
        rate = lr * factors[kind]
        if accs is None:
            x[word] -= rate * g
        elif options.get("adagrad_state", "scalar") == "row":
            a = accs[name]
            if kind == "s":
                a[word] += np.mean(g * g) / terms              # (1,): one per word's K logits
            else:
                a[word] += np.mean(g * g, axis=1, keepdims=True) / terms   # (K, 1): per component
            x[word] -= rate * g / np.sqrt(a[word])
        else:
            a = accs[name]
            a[word] += g * g / terms
            x[word] -= rate * g / np.sqrt(a[word])
        if kind == "lv":
            np.clip(x[word], lv_min, lv_max, out=x[word])
        if kind == "mu" and options["norm_cap"] is not None:
            norms = np.linalg.norm(x[word], axis=1)
            over = norms > options["norm_cap"]
            x[word][over] *= (options["norm_cap"] / norms[over])[:, None]


def _row(params, side, word):
    return tuple(params[f"{k}_{side}"][word] for k in ("mu", "lv", "s"))


def train_job(params, accs, keep, alias_prob, alias_index, window, negative, margin,
              eps, lv_min, lv_max, words, sentence_ends, alpha_start, alpha_end, seed,
              shrink_windows=True, lv_lr_factor=1.0, s_lr_factor=1.0, max_pe=False, norm_cap=None,
              shared_negatives=False, adagrad_state="scalar"):
    """Float64 model of ``KernelState.train_job`` (updates ``params`` in place).

    ``params`` maps :data:`PARAM_NAMES` to float64 arrays (the same array objects
    for in/out when the output distributions are shared); ``accs`` likewise or
    None.  The sequence of random draws and updates follows the documented
    order: per centre word one reduced window, per context word ``negative``
    draws (a draw equal to the context word is skipped, not counted); each
    active negative's output row is updated at once, the context word's
    output row after its negatives, the centre word's input row once after
    its whole window.  Energies are recomputed from the current rows, so
    the per-pair mode is not meant for the case where a centre word is its
    own context or negative while in/out parameters are shared (the kernel
    computes the centre word's variances and weights once per centre word);
    the shared-negatives mode is (below).

    The options after ``shrink_windows`` are the settings
    ``variance_lr_factor``, ``logit_lr_factor``, ``max_partial_energy``,
    ``norm_cap``, ``shared_negatives`` and ``adagrad_state`` (``"row"``: one
    accumulator per parameter row, see :func:`_update`).

    With ``shared_negatives`` every centre word has ``negative`` words drawn
    for it (all kept, even one equal to w or to a context word), ahead of
    time: those of the first ``lookahead`` centre words of a sentence right
    after its subsampling, those of centre word ``i + lookahead`` right after
    centre word i's reduced window (``lookahead`` is the kernel's
    ``NEG_LOOKAHEAD``).  A centre word whose window holds at least one
    context word computes their
    energies and gradients once, with the parameters of that moment; each
    context word's terms skip a negative equal to it; each context word is
    updated after its terms (times its active terms, one Adagrad step as in
    the per-pair mode), each negative used at least once at the window's end
    (times its active terms ``N_k``, with the Adagrad accumulation of ``N_k``
    separate steps, see :func:`_update`), in draw order, then the centre
    word.  Every energy of the window uses a copy of the centre word's row
    taken at the window's start, so this mode also models shared in/out
    tables where the centre word is a context word of its own window.

    Returns ``(loss_sum, n_samples, n_active, n_kept, n_nonfinite)``.
    """
    K = params["mu_in"].shape[1]
    options = {"lv_lr_factor": lv_lr_factor, "s_lr_factor": s_lr_factor, "norm_cap": norm_cap,
               "adagrad_state": adagrad_state}
    rng = Rng(seed)
    lookahead = _train_inner._NEG_LOOKAHEAD
    N = len(words)
    loss_sum = 0.0
    n_samples = n_active_total = n_kept = n_nonfinite = 0
    start = 0
    for stop in sentence_ends:
        lr = alpha_start + (alpha_end - alpha_start) * (start / N)
        sent = [int(x) for x in words[start:stop] if rng.keep(int(keep[x]))]
        n_kept += len(sent)
        if shared_negatives:
            drawn = {t: [rng.negative(alias_prob, alias_index) for _ in range(negative)]
                     for t in range(min(len(sent), lookahead))}
        for i, w in enumerate(sent):
            eff = window - rng.below(window) if shrink_windows else window
            gw = [np.zeros_like(a) for a in _row(params, "in", w)]
            any_active = False
            if shared_negatives:
                if i + lookahead < len(sent):
                    drawn[i + lookahead] = [rng.negative(alias_prob, alias_index)
                                            for _ in range(negative)]
                negs = drawn.pop(i)
                contexts = [sent[j] for j in range(max(0, i - eff), min(len(sent), i + eff + 1))
                            if j != i]
                if not contexts:
                    continue
                # w's row as of the window's start (a copy: with shared tables w may be a context
                # word of its own window and its row be updated mid-window)
                w_row = tuple(a.copy() for a in _row(params, "in", w))
                neg_e = [log_energy_stable(w_row, _row(params, "out", cn), eps, max_pe) for cn in negs]
                neg_grads = [log_energy_grads(w_row, _row(params, "out", cn), eps, max_pe)
                             for cn in negs]
                counts = [0] * negative
                for c in contexts:
                    pos = log_energy_stable(w_row, _row(params, "out", c), eps, max_pe)
                    pos_grads = log_energy_grads(w_row, _row(params, "out", c), eps, max_pe)
                    n_active = 0
                    for k, cn in enumerate(negs):
                        if cn == c:
                            continue
                        n_samples += 1
                        sample_loss = margin - pos + neg_e[k]
                        if not np.isfinite(sample_loss):
                            n_nonfinite += 1
                        elif sample_loss > 0:
                            loss_sum += sample_loss
                            n_active += 1
                            counts[k] += 1
                    if n_active:
                        n_active_total += n_active
                        for acc, g in zip(gw, pos_grads[0]):
                            acc -= n_active * g
                        _update(params, accs, "out", c, [-n_active * g for g in pos_grads[1]],
                                lr, lv_min, lv_max, K, options)
                        any_active = True
                if any_active:
                    for k in range(negative):
                        if counts[k]:
                            for acc, g in zip(gw, neg_grads[k][0]):
                                acc += counts[k] * g
                    for k, cn in enumerate(negs):
                        if counts[k]:
                            _update(params, accs, "out", cn, [counts[k] * g for g in neg_grads[k][1]],
                                    lr, lv_min, lv_max, K, options, terms=counts[k])
                    _update(params, accs, "in", w, gw, lr, lv_min, lv_max, K, options)
                continue
            for j in range(max(0, i - eff), min(len(sent), i + eff + 1)):
                if j == i:
                    continue
                c = sent[j]
                w_row = _row(params, "in", w)
                pos = log_energy_stable(w_row, _row(params, "out", c), eps, max_pe)
                pos_grads = log_energy_grads(w_row, _row(params, "out", c), eps, max_pe)
                n_active = 0
                for _ in range(negative):
                    cn = rng.negative(alias_prob, alias_index)
                    if cn == c:
                        continue
                    n_samples += 1
                    neg_row = _row(params, "out", cn)
                    neg = log_energy_stable(w_row, neg_row, eps, max_pe)
                    sample_loss = margin - pos + neg
                    if not np.isfinite(sample_loss):
                        n_nonfinite += 1
                        continue
                    if sample_loss > 0:
                        loss_sum += sample_loss
                        n_active += 1
                        gf, gg = log_energy_grads(w_row, neg_row, eps, max_pe)
                        for acc, g in zip(gw, gf):
                            acc += g
                        _update(params, accs, "out", cn, gg, lr, lv_min, lv_max, K, options)
                if n_active:
                    n_active_total += n_active
                    gf, gg = pos_grads
                    for acc, g in zip(gw, gf):
                        acc -= n_active * g
                    _update(params, accs, "out", c, [-n_active * g for g in gg],
                            lr, lv_min, lv_max, K, options)
                    any_active = True
            if any_active:
                _update(params, accs, "in", w, gw, lr, lv_min, lv_max, K, options)
        start = stop
    return loss_sum, n_samples, n_active_total, n_kept, n_nonfinite
