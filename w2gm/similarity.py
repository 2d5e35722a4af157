"""Similarity measures between Gaussian mixtures, vectorised over batches of word pairs.

Word2GM (Athiwaratkun & Wilson, "Multimodal Word Distributions", ACL 2017)
represents a word by a Gaussian mixture ``f = sum_i p_i N(mu_i, Sigma_i)``
(eq. 1) with mixture weights ``p = softmax(s)`` of the mixture logits ``s``
and spherical (``sigma^2 I``) or diagonal covariances, stored as
log-variances.  This module holds the similarity measures of the paper, on
plain NumPy arrays (:class:`w2gm.KeyedGaussianMixtures` and
:mod:`w2gm.evaluation` build on it):

========================= ===================================================
metric                    similarity of the mixtures ``f`` (weights ``p``)
                          and ``g`` (weights ``q``)
========================= ===================================================
``"max_cos"``             ``max_ij cos(mu_fi, mu_gj)`` (Section 4.1.2, the
                          default; "MaxSim" in Section 4.4)
``"avg_cos"``             ``sum_ij p_i q_j cos(mu_fi, mu_gj)`` ("AvgSim",
                          Section 4.4)
``"expected_likelihood"`` ``log E(f, g) = log sum_ij p_i q_j exp(xi_ij)``,
                          ``xi_ij = log N(0; mu_fi - mu_gj, Sigma_fi +
                          Sigma_gj)`` (eqs. 2-3, Sections 3.4 and 4.1.1)
``"min_euclidean"``       ``-min_ij ||mu_fi - mu_gj||`` (Section 4.1.3,
                          negated so that larger is more similar)
``"neg_kl"``              ``-min_ij KL(N(mu_fi, Sigma_fi) || N(mu_gj,
                          Sigma_gj))`` (Section 4.6; asymmetric)
========================= ===================================================

A mixture similarity is computed in two steps: :func:`component_scores`
compares every pair of mixture components (no mixture weights involved), and
:func:`combine_components` reduces those scores with the log mixture weights
(:func:`log_mixture_weights`) to one value per pair of mixtures.  These
computations are in float64.

Vector arithmetic on mixtures (analogies, ``most_similar(positive=...,
negative=...)``) is defined in two ways, named by :data:`MIXTURE_MODES`
(``"point"`` is the default for arithmetic; see
:meth:`w2gm.KeyedGaussianMixtures.most_similar` for the measured reasons):

* ``"point"``: every word is its point vector, the mixture-weighted mean of
  its component means ``sum_k p_k mu_k``, and the query is gensim's: the
  normalised weighted sum of the unit point vectors of the query words
  (3CosAdd for ``a:b::c:?``); candidates are ranked by cosine.
* ``"best_component"``: every query word contributes *one* of its
  components; for every combination of components (``K**n`` for ``n`` query
  words) the target is the normalised weighted sum of the chosen unit
  component means, and a candidate word scores the best cosine of any of its
  components with any combination's target.  With one query word this is
  the paper's ``max_cos`` (Section 4.1.2); with ``K = 1`` both modes agree.

The array functions behind them, :func:`combination_targets`,
:func:`best_cosines` and :func:`cosmul_scores`, work on batches of queries in
float32 (like gensim) and bound their temporaries.
"""

import numpy as np
from scipy.special import log_softmax, logsumexp, softmax

from w2gm.exceptions import ParameterError

__all__ = [
    "MIXTURE_MODES",
    "SIMILARITY_METRICS",
    "best_cosines",
    "check_metric",
    "check_mixture",
    "combination_targets",
    "combine_components",
    "component_scores",
    "cosmul_scores",
    "log_mixture_weights",
    "mixture_weights",
    "unit_targets",
    "unit_vectors",
]

#: Names accepted by the ``metric`` argument of the similarity functions and methods.
SIMILARITY_METRICS = ("max_cos", "avg_cos", "expected_likelihood", "min_euclidean", "neg_kl")

#: Names accepted by the ``mixture`` argument of the vector-arithmetic queries
#: (``most_similar`` with several words, analogies); see the module docstring.
MIXTURE_MODES = ("point", "best_component")

_LOG_2PI = float(np.log(2.0 * np.pi))
# Upper bound on the elements of a (queries x candidates) float32 score block (64 MiB).
_SCORE_BLOCK_ELEMENTS = 1 << 24


def check_metric(metric):
    """Validate the name of a similarity measure.

    Parameters
    ----------
    metric : str
        The name to check.

    Returns
    -------
    str
        `metric` itself, one of :data:`SIMILARITY_METRICS`.

    Raises
    ------
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `metric` is not one of
        :data:`SIMILARITY_METRICS`; the message lists the valid names.
    """
    return _check_name("metric", metric, SIMILARITY_METRICS, "metrics")


def _check_name(kind, value, valid, plural):
    """`value` if it is one of the names `valid`, else a ParameterError listing them."""
    if not isinstance(value, str) or value not in valid:
        names = ", ".join(repr(m) for m in valid)
        raise ParameterError(f"unknown {kind} {value!r}; valid {plural} are {names}")
    return value


def check_mixture(mixture):
    """Validate the name of a way to do vector arithmetic on mixtures.

    Parameters
    ----------
    mixture : str
        The name to check.

    Returns
    -------
    str
        `mixture` itself, one of :data:`MIXTURE_MODES`.

    Raises
    ------
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `mixture` is not one of :data:`MIXTURE_MODES`;
        the message lists the valid names.
    """
    return _check_name("mixture", mixture, MIXTURE_MODES, "choices")


def log_mixture_weights(logits):
    """Log mixture weights ``log softmax(s)`` of mixture logits ``s``.

    Parameters
    ----------
    logits : array_like
        ``(..., K)`` mixture logits ``s`` (any floating dtype).

    Returns
    -------
    numpy.ndarray
        Same shape, float64: ``log p_k = s_k - logsumexp(s)`` over the last
        axis (computed stably, without overflow for large logits).
    """
    return log_softmax(np.asarray(logits, dtype=np.float64), axis=-1)


def mixture_weights(logits):
    """Mixture weights ``p = softmax(s)`` of mixture logits ``s`` (eq. 1).

    Parameters
    ----------
    logits : array_like
        ``(..., K)`` mixture logits ``s`` (any floating dtype).

    Returns
    -------
    numpy.ndarray
        Same shape, float32: the softmax over the last axis, computed in
        float64 after subtracting the row maximum (no overflow for large
        logits); every row sums to 1.
    """
    return softmax(np.asarray(logits, dtype=np.float64), axis=-1).astype(np.float32)


def unit_vectors(x):
    """Scale vectors to unit Euclidean length along the last axis.

    Parameters
    ----------
    x : numpy.ndarray
        ``(..., D)`` floating array, e.g. component means.

    Returns
    -------
    numpy.ndarray
        ``x / ||x||`` with the same shape and dtype as `x`; zero vectors stay
        zero, so their cosine with anything is 0.
    """
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


def component_scores(metric, means_a, log_variances_a, means_b, log_variances_b):
    """Similarity of every pair of mixture components of two batches of mixtures.

    Parameters
    ----------
    metric : str
        One of :data:`SIMILARITY_METRICS`.
    means_a : array_like
        ``(n or 1, Ka, D)`` component means of the first mixtures.
    log_variances_a : array_like
        ``(n or 1, Ka, 1)`` (spherical) or ``(n or 1, Ka, D)`` (diagonal)
        log-variances of the first mixtures' components.
    means_b, log_variances_b : array_like
        The same for the second mixtures, ``(n or 1, Kb, D)`` and
        ``(n or 1, Kb, 1 or D)``; a leading 1 broadcasts against ``n``.  The
        log-variances are not used by ``"max_cos"``, ``"avg_cos"`` and
        ``"min_euclidean"``.

    Returns
    -------
    numpy.ndarray
        ``(n, Ka, Kb)`` float64; entry ``[t, i, j]`` compares component ``i``
        of mixture ``a[t]`` with component ``j`` of ``b[t]``, oriented so that
        larger is more similar:

        * ``"max_cos"``, ``"avg_cos"``: ``cos(mu_ai, mu_bj)`` (0 for a zero
          mean);
        * ``"min_euclidean"``: ``-||mu_ai - mu_bj||`` (Section 4.1.3);
        * ``"expected_likelihood"``: the partial log energy
          ``xi_ij = log N(0; mu_ai - mu_bj, Sigma_ai + Sigma_bj)`` of eq. (3),
          including ``-D/2 log(2 pi)`` and without the training epsilon;
        * ``"neg_kl"``: ``-KL(N(mu_ai, Sigma_ai) || N(mu_bj, Sigma_bj))``
          (Section 4.6), in closed form for diagonal Gaussians.

        Mixture weights are not involved (see :func:`combine_components`).

    Raises
    ------
    w2gm.exceptions.ParameterError
        If `metric` is unknown.
    """
    check_metric(metric)
    ma = np.asarray(means_a, dtype=np.float64)
    mb = np.asarray(means_b, dtype=np.float64)
    if metric in ("max_cos", "avg_cos"):
        return unit_vectors(ma) @ np.swapaxes(unit_vectors(mb), -1, -2)
    diff = ma[:, :, None, :] - mb[:, None, :, :]  # (n, Ka, Kb, D)
    sq = np.einsum("nijd,nijd->nij", diff, diff)
    if metric == "min_euclidean":
        return -np.sqrt(sq)
    la = np.asarray(log_variances_a, dtype=np.float64)[:, :, None, :]  # (n, Ka, 1, 1|D)
    lb = np.asarray(log_variances_b, dtype=np.float64)[:, None, :, :]  # (n, 1, Kb, 1|D)
    if metric == "expected_likelihood":
        return _partial_log_energies(diff, sq, la, lb)
    return -_kl_divergences(diff, sq, la, lb)


def _partial_log_energies(diff, sq, la, lb):
    """``xi_ij = log N(0; mu_ai - mu_bj, Sigma_ai + Sigma_bj)`` (eq. 3), ``(n, Ka, Kb)``.

    `diff` ``(n, Ka, Kb, D)`` holds the mean differences, `sq` ``(n, Ka, Kb)``
    their squared norms, `la` ``(n, Ka, 1, 1|D)`` and `lb` ``(n, 1, Kb, 1|D)``
    the log-variances.
    """
    d = diff.shape[-1]
    log_s = np.logaddexp(la, lb)  # log(sigma_a^2 + sigma_b^2), exact for tiny variances
    if la.shape[-1] == 1 and lb.shape[-1] == 1:  # spherical
        log_s = log_s[..., 0]
        logdet = d * log_s
        quad = sq * np.exp(-log_s)
    else:
        log_s = np.broadcast_to(log_s, diff.shape)
        logdet = log_s.sum(axis=-1)
        quad = np.einsum("nijd,nijd->nij", diff * diff, np.exp(-log_s))
    return -0.5 * (d * _LOG_2PI + logdet + quad)


def _kl_divergences(diff, sq, la, lb):
    """``KL(N(mu_ai, Sigma_ai) || N(mu_bj, Sigma_bj))``, ``(n, Ka, Kb)``; arguments as above.

    ``KL(a || b) = 1/2 sum_r [s_a/s_b + (m_b - m_a)^2/s_b - 1 + log s_b - log s_a]``.
    """
    d = diff.shape[-1]
    log_ratio = la - lb  # log(s_a / s_b)
    if la.shape[-1] == 1 and lb.shape[-1] == 1:  # spherical
        log_ratio = log_ratio[..., 0]
        return 0.5 * (d * (np.exp(log_ratio) - 1.0 - log_ratio) + sq * np.exp(-lb[..., 0]))
    log_ratio = np.broadcast_to(log_ratio, diff.shape)
    inv_b = np.broadcast_to(np.exp(-lb), diff.shape)
    return 0.5 * (
        (np.exp(log_ratio) - 1.0 - log_ratio).sum(axis=-1)
        + np.einsum("nijd,nijd->nij", diff * diff, inv_b)
    )


def combine_components(metric, scores, log_weights_a, log_weights_b):
    """Reduce component scores to one similarity per pair of mixtures.

    Parameters
    ----------
    metric : str
        One of :data:`SIMILARITY_METRICS`, the one `scores` were computed with.
    scores : numpy.ndarray
        ``(n, Ka, Kb)`` float64 component scores from :func:`component_scores`.
    log_weights_a : numpy.ndarray
        ``(n or 1, Ka)`` float64 log mixture weights of the first mixtures
        (:func:`log_mixture_weights`).
    log_weights_b : numpy.ndarray
        ``(n or 1, Kb)`` float64 log mixture weights of the second mixtures.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` float64: for ``"avg_cos"`` the weighted mean
        ``sum_ij p_i q_j cos_ij``; for ``"expected_likelihood"`` the log
        expected likelihood kernel ``log sum_ij p_i q_j exp(xi_ij)`` (eq. 2,
        by log-sum-exp); for ``"max_cos"``, ``"min_euclidean"`` and
        ``"neg_kl"`` the maximum over component pairs (weights unused).

    Raises
    ------
    w2gm.exceptions.ParameterError
        If `metric` is unknown.
    """
    check_metric(metric)
    n = scores.shape[0]
    if metric == "avg_cos":
        w = np.exp(log_weights_a)[:, :, None] * np.exp(log_weights_b)[:, None, :]
        return (w * scores).reshape(n, -1).sum(axis=1)
    if metric == "expected_likelihood":
        terms = log_weights_a[:, :, None] + log_weights_b[:, None, :] + scores
        return logsumexp(terms.reshape(n, -1), axis=1)
    return scores.reshape(n, -1).max(axis=1)


# ------------------------------------------------------- vector arithmetic

def combination_targets(options, weights):
    """Weighted sums of one option per term, for every combination of options.

    Parameters
    ----------
    options : sequence of numpy.ndarray
        One array per query term, ``(..., n_t, D)``: the vectors the term may
        contribute (e.g. the ``K`` unit component means of a word, or one
        vector); the leading axes (a batch of queries) must broadcast.
    weights : sequence of float
        One weight per term.

    Returns
    -------
    numpy.ndarray
        ``(..., prod(n_t), D)``, in the dtype of NumPy's promotion of the
        options and weights: the sums ``sum_t weights[t] * options[t][..., i_t, :]``
        for every ``(i_1, i_2, ...)`` in :func:`itertools.product` order (the
        last term varies fastest).  Not normalised.
    """
    total = None
    for opt, w in zip(options, weights):
        term = opt * w
        if total is None:
            total = term
        else:
            total = (total[..., :, None, :] + term[..., None, :, :])
            total = total.reshape(total.shape[:-3] + (-1, total.shape[-1]))
    return total


def unit_targets(x):
    """Scale query targets to unit length in float64 and return them as float32.

    Parameters
    ----------
    x : array_like
        ``(..., D)`` target vectors (e.g. from :func:`combination_targets`).

    Returns
    -------
    numpy.ndarray
        ``(..., D)`` float32; zero vectors stay zero (gensim's ``unitvec``).
    """
    x64 = np.asarray(x, dtype=np.float64)
    norms = np.sqrt(np.einsum("...d,...d->...", x64, x64))[..., None]
    # times the reciprocal, as gensim's unitvec (blas scal)
    return (x64 * (1.0 / np.where(norms > 0, norms, 1.0))).astype(np.float32)


def _divide_by_norms(block, norms):
    """Divide the columns of `block` by `norms` in place; a column of norm 0 becomes 0."""
    zero = norms <= 0
    if zero.any():
        np.divide(block, norms, out=block, where=~zero)
        block[:, zero] = 0.0
    else:
        np.divide(block, norms, out=block)


def _cosine_block(targets, candidates, norms):
    """``(n_targets, n_candidates)`` float32: ``targets @ candidates.T``, divided by `norms` if given.

    A candidate of norm 0 has cosine 0 with everything.
    """
    block = targets @ candidates.T
    if norms is not None:
        _divide_by_norms(block, norms)
    return block


def best_cosines(targets, candidates, norms=None, max_elements=_SCORE_BLOCK_ELEMENTS):
    """Best cosine of each candidate's vectors with each query's targets.

    Parameters
    ----------
    targets : numpy.ndarray
        ``(Q, C, D)`` float32 unit target vectors (or zero rows): ``C`` targets
        for each of ``Q`` queries (e.g. the ``K**n`` combinations of
        :func:`combination_targets`, normalised).
    candidates : numpy.ndarray
        ``(R, K, D)`` float32: the ``K`` vectors of each of ``R`` candidate
        words (any strides with a unit last stride; no copy is made).  Unit
        vectors when `norms` is None.
    norms : numpy.ndarray, optional
        ``(R, K)`` norms of `candidates`; when given, dot products are divided
        by them (gensim's ``dot(vectors, mean) / norms``), and zero norms give
        cosine 0.
    max_elements : int, optional
        Bound on the elements of the ``(Q * C, block)`` temporaries.

    Returns
    -------
    numpy.ndarray
        ``(Q, R)`` float32: ``max_{c, k} cos(targets[q, c], candidates[r, k])``.
    """
    q, c, d = targets.shape
    r, k, _ = candidates.shape
    flat = np.ascontiguousarray(targets.reshape(q * c, d), dtype=np.float32)
    out = np.empty((q, r), dtype=np.float32)
    step = max(1, max_elements // max(1, q * c))
    for start in range(0, r, step):
        stop = min(start + step, r)
        dest = out[:, start:stop]
        for j in range(k):
            cand = candidates[start:stop, j]
            if c == 1 and j == 0 and dest.flags.c_contiguous:
                block = np.matmul(flat, cand.T, out=dest)  # straight into the result
            else:
                block = flat @ cand.T
            if norms is not None:
                _divide_by_norms(block, norms[start:stop, j])
            if block is dest:
                continue
            if c > 1:
                block = block.reshape(q, c, stop - start).max(axis=1)
            if j == 0:
                dest[...] = block
            else:
                np.maximum(dest, block, out=dest)
    return out


def cosmul_scores(positive, negative, candidates, norms=None, max_elements=_SCORE_BLOCK_ELEMENTS):
    """3CosMul scores (Levy & Goldberg 2014, eq. 4) of candidate words, per query.

    For one candidate vector ``x``: ``prod_pos (1 + cos(x, p)) / 2`` divided by
    ``prod_neg (1 + cos(x, n)) / 2 + 1e-6`` (gensim's
    ``most_similar_cosmul``).  A term with several options (a word's ``K``
    unit component means) takes its best option: the largest factor for a
    positive term, the smallest for a negative one, which is the best
    combination of components because each factor depends on its own term
    only.  A candidate with several vectors scores its best one.

    Parameters
    ----------
    positive, negative : sequence of numpy.ndarray
        One ``(Q, n_t, D)`` float32 array per term: the term's options for
        each of ``Q`` queries.  Options are used as given (gensim normalises
        words but not raw vectors).
    candidates : numpy.ndarray
        ``(R, K, D)`` float32 candidate vectors (unit ones when `norms` is None).
    norms : numpy.ndarray, optional
        ``(R, K)`` norms to divide the dot products by.
    max_elements : int, optional
        Bound on the elements of a temporary.

    Returns
    -------
    numpy.ndarray
        ``(Q, R)`` float32 scores (larger is better).
    """
    terms = [(t, True) for t in positive] + [(t, False) for t in negative]
    q = terms[0][0].shape[0]
    r, k, _ = candidates.shape
    widest = max(t.shape[1] for t, _ in terms)
    out = np.empty((q, r), dtype=np.float32)
    step = max(1, max_elements // max(1, q * widest))
    for start in range(0, r, step):
        stop = min(start + step, r)
        best = None
        for j in range(k):
            num = np.ones((q, stop - start), dtype=np.float32)
            den = np.ones((q, stop - start), dtype=np.float32)
            for term, is_positive in terms:
                n_opt = term.shape[1]
                flat = np.ascontiguousarray(term.reshape(q * n_opt, -1), dtype=np.float32)
                cos = _cosine_block(flat, candidates[start:stop, j],
                                    None if norms is None else norms[start:stop, j])
                cos = cos.reshape(q, n_opt, stop - start)
                factor = (1.0 + (cos.max(axis=1) if is_positive else cos.min(axis=1))) / 2.0
                if is_positive:
                    num *= factor
                else:
                    den *= factor
            score = num / (den + np.float32(1e-6))
            best = score if best is None else np.maximum(best, score, out=best)
        out[:, start:stop] = best
    return out
