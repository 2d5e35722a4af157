"""Held-out objective: a fixed sample of (w, c, c') triples, scored without updates.

With the ``heldout_fraction`` setting above 0, :meth:`w2gm.Word2GM.train`
keeps a fixed part of the corpus out of training (:func:`is_held_out` for a
corpus iterable, the file's tail for ``corpus_file``), draws once a sample of
at most ``heldout_triples`` triples from it (:func:`draw_triples`) and at
the end of every epoch logs and records their mean max-margin loss
(:func:`mean_loss`, Section 3.3 of Athiwaratkun & Wilson 2017).  See
``docs/training.md``, "Online loss and held-out loss".
"""

import os

import numpy as np

from w2gm._sampling import draw_negatives, draw_windows, random_uint32

__all__ = ["HeldOutTriples", "heldout_source", "is_held_out", "draw_triples", "mean_loss", "log_energies"]

_MASK64 = (1 << 64) - 1
_ALWAYS_KEEP = 0xFFFFFFFF
# triples scored per NumPy chunk (bounds the (chunk, K, K, D) float64 temporaries)
_CHUNK = 2048
#: Held-out vocabulary words collected per wanted triple: ``train`` keeps the token ids of at most
#: about ``TOKENS_PER_TRIPLE * heldout_triples`` held-out words (whole sentences, in corpus order)
#: to draw the sample from.  Each kept word forms 2 to ``2 * window`` (w, c) pairs, so this leaves
#: several times more pairs than triples unless subsampling drops nearly all of them.
TOKENS_PER_TRIPLE = 20


def _mix64(x):
    """splitmix64's finaliser of a 64-bit integer (Python int)."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def heldout_threshold(fraction):
    """The 64-bit threshold below which a sentence's hash is held out (``fraction * 2**64``)."""
    return int(fraction * 2.0**64)


def is_held_out(ordinal, seed, threshold):
    """Whether sentence ``ordinal`` (0-based, within one pass) is held out.

    The decision hashes ``(seed, ordinal)`` with splitmix64, so it is the
    same sentences in every epoch and every ``train`` call of a model with
    this ``seed``, and about ``threshold / 2**64`` of them.

    Parameters
    ----------
    ordinal : int
        0-based position of the sentence in the corpus iterable.
    seed : int
        The model's ``seed`` setting.
    threshold : int
        :func:`heldout_threshold` of ``heldout_fraction``.

    Returns
    -------
    bool
    """
    return _mix64((seed * 0xD1B54A32D192ED03 + ordinal) & _MASK64) < threshold


def heldout_source(fraction, seed, corpus_file=None):
    """What decides which sentences are held out, and the sample drawn from them.

    Two ``train`` calls with equal sources hold out the same sentences (if an
    iterable yields the same sentences in the same order, or the file is
    unchanged in size), so the sample drawn in the first stays valid; with
    different ones the sample may hold sentences the second trains on.

    Parameters
    ----------
    fraction : float
        ``heldout_fraction``.
    seed : int
        The model's ``seed`` (it chooses the iterable's sentences and seeds the draw).
    corpus_file : str or os.PathLike or None
        The ``corpus_file`` of the call, None for a corpus iterable.

    Returns
    -------
    tuple
        ``("iterable", fraction, seed)`` or ``("corpus_file", fraction, seed,
        absolute path, size in bytes)``.

    Raises
    ------
    OSError
        If `corpus_file` cannot be stat'ed.
    """
    if corpus_file is None:
        return ("iterable", float(fraction), int(seed))
    path = os.path.abspath(os.fspath(corpus_file))
    return ("corpus_file", float(fraction), int(seed), path, os.path.getsize(path))


def describe_source(source):
    """A log-friendly description of a :func:`heldout_source` tuple (or None)."""
    if source is None:
        return "unknown"
    text = f"{source[0]}, fraction {source[1]:g}, seed {source[2]}"
    if source[0] == "corpus_file":
        text += f", {source[3]} of {source[4]} bytes"
    return text


class HeldOutTriples:
    """A fixed sample of (w, c, c') triples of vocabulary indices.

    Attributes
    ----------
    w, c, negative : numpy.ndarray
        ``(T,)`` int32 centre, context and negative words.
    words : int
        Held-out vocabulary words (before subsampling) the sample was drawn from.
    source : tuple or None
        The split the held-out sentences came from (:func:`heldout_source`);
        a ``train`` call with another split draws a new sample.
    """

    def __init__(self, w, c, negative, words, source=None):
        self.w = w
        self.c = c
        self.negative = negative
        self.words = words
        self.source = source

    def __len__(self):
        return int(self.w.shape[0])


def draw_triples(words, sentence_ends, thresholds, alias_prob, alias_index, window, shrink_windows,
                 n_triples, seed):
    """Draw up to `n_triples` (w, c, c') triples as training would from held-out sentences.

    Each word is kept by subsampling with the kernel's thresholds; each kept
    centre word gets a window uniform in ``1..window`` (the full window with
    ``shrink_windows=False``); windows never cross sentences.  Of all the
    (w, c) pairs so formed, `n_triples` are chosen uniformly without
    replacement (all of them if there are fewer), and each gets one negative
    ``c'`` from the kernel's noise table (unigram^ns_exponent); a triple whose
    negative equals ``c`` is dropped, as the kernel skips it.  Everything is
    vectorised: the temporaries take about 85 bytes per word of `words`
    (int64 arrays of its length), plus 8 bytes per (w, c) pair when more
    than 1/50 of the pairs are chosen (NumPy then permutes all of them),
    plus O(n_triples).

    Parameters
    ----------
    words : numpy.ndarray
        ``(N,)`` int32 vocabulary indices of the held-out sentences, concatenated.
    sentence_ends : numpy.ndarray
        ``(S,)`` int64 exclusive end of each sentence in `words`.
    thresholds : numpy.ndarray
        ``(V,)`` uint32 subsampling thresholds (:func:`w2gm._sampling.subsampling_thresholds`).
    alias_prob, alias_index : numpy.ndarray
        ``(V,)`` noise table (:func:`w2gm._sampling.build_alias_table`).
    window : int
    shrink_windows : bool
    n_triples : int
    seed : int
        Seed of every random draw (0 .. 2**64 - 1).

    Returns
    -------
    HeldOutTriples
    """
    rng = np.random.default_rng(seed)
    seeds = [int(s) for s in rng.integers(0, 2**63, size=3)]
    words = np.asarray(words, dtype=np.int32)
    ends = np.asarray(sentence_ends, dtype=np.int64)
    empty = np.empty(0, dtype=np.int32)
    if words.size == 0:
        return HeldOutTriples(empty, empty, empty, 0)
    sentence = np.repeat(np.arange(ends.size), np.diff(ends, prepend=0))
    limits = np.asarray(thresholds, dtype=np.uint32)[words]
    keep = (limits == _ALWAYS_KEEP) | (random_uint32(words.size, seeds[0]) < limits)
    kept, sentence = words[keep], sentence[keep]
    n = kept.size
    if n < 2:
        return HeldOutTriples(empty, empty, empty, int(words.size))
    # position of each kept word in its sentence, and its sentence's kept length
    starts = np.flatnonzero(np.r_[True, sentence[1:] != sentence[:-1]])
    lengths = np.diff(np.r_[starts, n])
    first = np.repeat(starts, lengths)
    position = np.arange(n) - first
    length = np.repeat(lengths, lengths)
    if shrink_windows:
        win = draw_windows(window, n, seeds[1]).astype(np.int64)
    else:
        win = np.full(n, window, dtype=np.int64)
    left = np.minimum(win, position)
    right = np.minimum(win, length - 1 - position)
    per_centre = left + right
    cumulative = np.cumsum(per_centre)
    total = int(cumulative[-1]) if n else 0
    if total == 0:
        return HeldOutTriples(empty, empty, empty, int(words.size))
    chosen = np.sort(rng.choice(total, size=min(n_triples, total), replace=False))
    centre = np.searchsorted(cumulative, chosen, side="right")
    offset = chosen - (cumulative[centre] - per_centre[centre])
    context = np.where(offset < left[centre], centre - left[centre] + offset,
                       centre + 1 + (offset - left[centre]))
    w, c = kept[centre], kept[context]
    negative = draw_negatives(alias_prob, alias_index, w.size, seeds[2])
    valid = negative != c
    return HeldOutTriples(np.ascontiguousarray(w[valid]), np.ascontiguousarray(c[valid]),
                          np.ascontiguousarray(negative[valid]), int(words.size))


def log_energies(params_f, f, params_g, g, eps, max_partial_energy=False):
    """``log E(f, g)`` (eq. 2) of many word pairs in float64, vectorised.

    Parameters
    ----------
    params_f, params_g : w2gm.parameters.MixtureParameters
        Means ``(V, K, D)``, log-variances ``(V, K, Dv)`` (Dv = 1 or D) and logits ``(V, K)``.
    f, g : numpy.ndarray
        ``(T,)`` int word indices into `params_f` and `params_g`.
    eps : float
    max_partial_energy : bool
        Return ``max_ij (log p_i + log q_j + xi_ij)`` instead of the
        log-sum-exp (the ``max_partial_energy`` setting, a log-domain variant
        of the original's ``max_pe``, which takes the arg-max of the
        unweighted ``xi_ij`` and returns ``xi_max * p_i * q_j``).

    Returns
    -------
    numpy.ndarray
        ``(T,)`` float64, computed as the kernel does (Appendix A.2: max-subtracted
        log-softmax and log-sum-exp, without ``-D/2 log 2 pi``).
    """
    mu_f = params_f.means[f].astype(np.float64)
    mu_g = params_g.means[g].astype(np.float64)
    var_f = np.exp(params_f.log_variances[f].astype(np.float64))
    var_g = np.exp(params_g.log_variances[g].astype(np.float64))
    D = mu_f.shape[2]
    # (T, K, K, D) differences
    diff2 = (mu_f[:, :, None, :] - mu_g[:, None, :, :]) ** 2
    S = var_f[:, :, None, :] + var_g[:, None, :, :] + eps
    if S.shape[3] == 1:  # spherical: one S per component pair
        S = S[..., 0]
        xi = -0.5 * D * np.log(S) - 0.5 * diff2.sum(axis=3) / S
    else:
        xi = -0.5 * np.log(S).sum(axis=3) - 0.5 * (diff2 / S).sum(axis=3)
    terms = _log_softmax(params_f.logits[f])[:, :, None] + _log_softmax(params_g.logits[g])[:, None, :] + xi
    terms = terms.reshape(terms.shape[0], -1)
    top = terms.max(axis=1)
    if max_partial_energy:
        return top
    return top + np.log(np.exp(terms - top[:, None]).sum(axis=1))


def _log_softmax(s):
    s = s.astype(np.float64)
    top = s.max(axis=1, keepdims=True)
    return s - (top + np.log(np.exp(s - top).sum(axis=1, keepdims=True)))


def mean_loss(params_in, params_out, triples, margin, eps, max_partial_energy=False):
    """Mean of ``max(0, margin - log E(w, c) + log E(w, c'))`` over the triples (Section 3.3).

    No parameter is changed.  `w` uses the input distributions, `c` and `c'`
    the output ones (the same arrays without ``separate_output``), as in
    training.

    Parameters
    ----------
    params_in, params_out : w2gm.parameters.MixtureParameters
    triples : HeldOutTriples
    margin, eps : float
        The model's settings.
    max_partial_energy : bool
        The model's setting: log energies as in :func:`log_energies`.

    Returns
    -------
    float
        float64 mean, NaN for an empty sample.
    """
    if len(triples) == 0:
        return float("nan")
    total = 0.0
    for lo in range(0, len(triples), _CHUNK):
        part = slice(lo, lo + _CHUNK)
        w = triples.w[part]
        pos = log_energies(params_in, w, params_out, triples.c[part], eps, max_partial_energy)
        neg = log_energies(params_in, w, params_out, triples.negative[part], eps, max_partial_energy)
        total += float(np.maximum(0.0, margin - pos + neg).sum())
    return total / len(triples)
