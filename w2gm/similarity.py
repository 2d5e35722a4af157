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
(:func:`log_mixture_weights`) to one value per pair of mixtures.  All
computations are in float64.
"""

import numpy as np
from scipy.special import log_softmax, logsumexp, softmax

from w2gm.exceptions import ParameterError

__all__ = [
    "SIMILARITY_METRICS",
    "check_metric",
    "combine_components",
    "component_scores",
    "log_mixture_weights",
    "mixture_weights",
    "unit_vectors",
]

#: Names accepted by the ``metric`` argument of the similarity functions and methods.
SIMILARITY_METRICS = ("max_cos", "avg_cos", "expected_likelihood", "min_euclidean", "neg_kl")

_LOG_2PI = float(np.log(2.0 * np.pi))


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
    if not isinstance(metric, str) or metric not in SIMILARITY_METRICS:
        raise ParameterError(
            f"unknown metric {metric!r}; valid metrics are "
            + ", ".join(repr(m) for m in SIMILARITY_METRICS)
        )
    return metric


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
