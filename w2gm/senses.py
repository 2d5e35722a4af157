"""Word senses: the mixture components of a word, chosen by context, listed, compared.

Word2GM (Athiwaratkun & Wilson, "Multimodal Word Distributions", ACL 2017)
gives every word ``w`` a mixture of ``K`` Gaussians
``f_w = sum_k p[w, k] N(mu[w, k], Sigma[w, k])`` (eq. 1); the components
capture distinct meanings, e.g. *bank* near *river* and near *money*
(Section 4.2, Table 1).  This module answers questions about them:

* **which sense a context means** -- :func:`disambiguate` (one word in a
  context) and :func:`sense_tags` (every word of a sentence): a posterior
  over the word's components (:func:`sense_log_posterior`), the mixture
  weights as prior and, as likelihood of the context, the geometric mean
  over the context words of the expected likelihood kernel between the
  component and the context word's mixture, the energy the model is trained
  on (Section 3.4);
* **what the senses are** -- :func:`senses`: weight, variance and nearest
  component neighbours of each component (the paper's Table 1);
* **how two words' senses relate** -- :func:`component_similarities`;
* **entailment and generality** -- :func:`entailment_score`
  (``-KL(hyponym || hypernym)``, Section 4.6) and :func:`generality`,
  :func:`most_general`, :func:`most_specific` (broader words have larger
  variances).

The functions take a :class:`w2gm.KeyedGaussianMixtures` (``model.wv``), or
any object with its query interface, as first argument; the methods of the
same names on :class:`w2gm.KeyedGaussianMixtures` delegate to them.  Words
are matched exactly (case-sensitively), as every ``wv`` lookup.  The
computations are in float64.
"""

import numbers
from typing import NamedTuple

import numpy as np
from scipy.special import log_softmax, logsumexp

from w2gm.exceptions import ParameterError
from w2gm.similarity import check_metric, component_scores, log_mixture_weights

__all__ = [
    "DEFAULT_WINDOW",
    "Disambiguation",
    "Sense",
    "SenseTag",
    "WordSenses",
    "component_similarities",
    "disambiguate",
    "entailment_score",
    "generality",
    "most_general",
    "most_specific",
    "sense_log_posterior",
    "sense_tags",
    "senses",
]

#: Default context window of :func:`sense_tags` (tokens on each side); the
#: query object does not know the window the model was trained with.
DEFAULT_WINDOW = 5

# Upper bound on the elements of a (pairs, K, Kc, D) float64 temporary (32 MiB).
_CHUNK_ELEMENTS = 1 << 22


# ------------------------------------------------------------------- results

class Disambiguation(NamedTuple):
    """Result of :func:`disambiguate`: which component of a word a context selects.

    Attributes
    ----------
    word : str
        The disambiguated word.
    probabilities : numpy.ndarray
        ``(K,)`` float64 posterior probabilities of the word's components
        given the context (summing to 1); the mixture weights when no context
        word was usable.
    component : int
        The most probable component, ``argmax(probabilities)`` (the lowest
        index among ties).
    context_used : list of str
        The context tokens that entered the posterior, in their order (a
        token repeated in the context counts, and is listed, each time).
    """

    word: str
    probabilities: np.ndarray
    component: int
    context_used: list

    def __repr__(self):
        probs = ", ".join(f"{p:.4f}" for p in self.probabilities)
        return (f"Disambiguation(word={self.word!r}, component={self.component}, "
                f"probabilities=[{probs}], context_used={self.context_used!r})")


class SenseTag(NamedTuple):
    """One in-vocabulary token of a sentence tagged by :func:`sense_tags`.

    Attributes
    ----------
    token : str
        The token.
    position : int
        Its position in the token list (0-based; out-of-vocabulary tokens
        count).
    component : int
        The most probable component of the token's mixture given its context.
    probability : float
        That component's posterior probability.
    """

    token: str
    position: int
    component: int
    probability: float


class Sense(NamedTuple):
    """One mixture component of a word, as described by :func:`senses`.

    Attributes
    ----------
    component : int
        The component index ``k``.
    weight : float
        Its mixture weight ``p[w, k]``.
    variance : float
        Its variance: ``sigma^2`` for a spherical covariance, the mean of the
        ``D`` variances for a diagonal one.
    neighbors : list of (str, float)
        The nearest components of other words by cosine of the means,
        labelled ``"word:k"`` (the paper's Table 1 notation), best first.
    """

    component: int
    weight: float
    variance: float
    neighbors: list


class WordSenses(NamedTuple):
    """Result of :func:`senses`: the components of one word; ``str()`` gives a table.

    A tuple ``(word, senses)``; ``result.senses[k]`` is the :class:`Sense` of
    component ``k``.

    Attributes
    ----------
    word : str
        The word.
    senses : tuple of Sense
        One per component, in component order.
    """

    word: str
    senses: tuple

    def table(self):
        """The senses as a text table: one row per component, neighbours comma-separated.

        Returns
        -------
        str
            A header line and one line per component (no trailing newline).
        """
        lines = [f"{'component':>9}  {'weight':>6}  {'variance':>10}  neighbors of {self.word}"]
        for s in self.senses:
            near = ", ".join(f"{label} ({score:.3f})" for label, score in s.neighbors)
            lines.append(f"{s.component:>9}  {s.weight:>6.3f}  {s.variance:>10.4g}  {near}")
        return "\n".join(lines)

    def __str__(self):
        return self.table()

    def __repr__(self):
        return f"WordSenses({self.word!r}, K={len(self.senses)})\n{self.table()}"


# --------------------------------------------------------------- validation

def _check_window(window, allow_none=False):
    """`window` as an int >= 0 (or None if allowed); ParameterError otherwise."""
    if window is None and allow_none:
        return None
    if not isinstance(window, numbers.Integral) or isinstance(window, (bool, np.bool_)) or window < 0:
        allowed = "None or " if allow_none else ""
        raise ParameterError(f"window must be {allowed}a non-negative integer, got {window!r}")
    return int(window)


def _tokens(value, name):
    """A context / sentence as a list of str: a str is split at whitespace (``str.split()``)."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, (bytes, bytearray)):
        raise ParameterError(f"{name} must be a str or a list of str, got bytes {value!r:.80}")
    if isinstance(value, (dict, set, frozenset)):
        raise ParameterError(f"{name} must be a str or a list of str (an ordered sequence), got a "
                             f"{type(value).__name__} {value!r:.80}")
    try:
        tokens = list(value)
    except TypeError:
        raise ParameterError(f"{name} must be a str or a list of str, got {value!r:.80}") from None
    for token in tokens:
        if not isinstance(token, str):
            raise ParameterError(f"{name} must hold str tokens, got {token!r:.80} ({type(token).__name__})")
    return tokens


def _check_finite_rows(wv, rows, what):
    """ParameterError naming the first word of `rows` with a NaN or infinite mean, log-variance or logit."""
    rows = np.asarray(rows, dtype=np.intp).reshape(-1)
    finite = (np.isfinite(wv.means[rows]).all(axis=(1, 2))
              & np.isfinite(wv.log_variances[rows]).all(axis=(1, 2))
              & np.isfinite(wv.logits[rows]).all(axis=1))
    if not finite.all():
        word = wv.index_to_key[int(rows[np.argmin(finite)])]
        raise ParameterError(f"the {what} {word!r} has a NaN or infinite mean, log-variance or mixture "
                             f"logit; the model is damaged and cannot answer this")


def _rows(wv, tokens):
    """``(n,)`` intp row index of each token, -1 for a token not in the vocabulary."""
    table = wv.vocabulary_table
    return np.fromiter((table.index(t) for t in tokens), dtype=np.intp, count=len(tokens))


def _word_list(words, name="words"):
    """`words` as a list of str (a single str is a list of one word, as gensim's queries)."""
    if isinstance(words, str):
        return [words]
    return _tokens(words, name)


# ---------------------------------------------------------------- posterior

def _log_evidence(wv, targets, contexts):
    """``(P, K)`` float64: ``log E(N(mu[t, k], Sigma[t, k]), f_c)`` for each pair ``(t, c)``.

    `targets` and `contexts` are ``(P,)`` row indices; ``f_c`` is the whole
    mixture of word ``c`` (its mixture weights included).  Computed in chunks
    bounding the ``(p, K, K, D)`` temporaries.
    """
    means, log_variances, logits = wv.means, wv.log_variances, wv.logits
    _, k, d = means.shape
    out = np.empty((targets.shape[0], k), dtype=np.float64)
    step = max(1, _CHUNK_ELEMENTS // (k * k * d))
    for lo in range(0, targets.shape[0], step):
        t, c = targets[lo:lo + step], contexts[lo:lo + step]
        xi = component_scores("expected_likelihood", means[t], log_variances[t],
                              means[c], log_variances[c])  # (p, K, Kc)
        out[lo:lo + step] = logsumexp(xi + log_mixture_weights(logits[c])[:, None, :], axis=2)
    return out


def sense_log_posterior(wv, index, context_indices):
    """Log posterior over the components of one word given context words (Section 3.4).

    The likelihood of context word ``c`` under component ``k`` of word
    ``w`` is the expected likelihood kernel the model is trained to make
    large for observed (word, context) pairs; the likelihood of the whole
    context is the geometric mean of those of its ``C`` words, and the
    mixture weights ``p[w]`` are the prior::

        log r_k = log p[w, k] + (1/C) sum_c log E(N(mu[w, k], Sigma[w, k]), f_c) + const
        log E(N_k, f_c) = log sum_j q[c, j] N(0; mu[w, k] - mu[c, j], Sigma[w, k] + Sigma[c, j])

    with the context words' own mixtures ``f_c`` (weights ``q[c]``).  The
    geometric mean is a naive-Bayes product tempered by ``1/C``: the
    context words of one sentence are far from independent evidence, and
    the plain product made the posterior nearly one-hot (mean largest
    probability 0.91 with a window of 5 on the SCWS dev half), so that
    a context-aware similarity fell below the context-free one; with the
    mean it rises above it (``docs/tutorial.md``, "Why the context now
    helps").  This is the one implementation of the posterior, used by
    :func:`disambiguate`, :func:`sense_tags` (in batched form) and
    :mod:`w2gm.evaluation.scws`.

    Parameters
    ----------
    wv : KeyedGaussianMixtures
        The embeddings.
    index : int
        Row of the word.
    context_indices : array_like of int
        ``(C,)`` rows of the context words (repeats count repeatedly); may be
        empty.

    Returns
    -------
    numpy.ndarray
        ``(K,)`` float64 log posterior probabilities (``logsumexp`` 0); the log
        mixture weights when `context_indices` is empty.

    Raises
    ------
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `index` or a context index is not a row of the
        vocabulary (``0 <= i < V``; negative indices do not wrap), or one of
        the rows holds a NaN or infinite parameter.
    """
    vocab_size = wv.logits.shape[0]
    ctx = np.asarray(context_indices, dtype=np.intp).reshape(-1)
    if not (isinstance(index, numbers.Integral) and 0 <= index < vocab_size):
        raise ParameterError(f"index must be a row of the vocabulary (0 <= index < {vocab_size}), "
                             f"got {index!r}")
    if ctx.shape[0] and not (ctx.min() >= 0 and ctx.max() < vocab_size):
        bad = ctx[(ctx < 0) | (ctx >= vocab_size)][0]
        raise ParameterError(f"context index {int(bad)} is not a row of the vocabulary "
                             f"(0 <= i < {vocab_size})")
    _check_finite_rows(wv, np.concatenate([[index], ctx]), "word")
    log_prior = log_mixture_weights(wv.logits[index])
    if ctx.shape[0] == 0:
        return log_prior
    evidence = _log_evidence(wv, np.full(ctx.shape[0], index, dtype=np.intp), ctx)
    return log_softmax(log_prior + evidence.mean(axis=0))


def disambiguate(wv, word, context, window=None):
    """Posterior probabilities of a word's components given a context (which sense is meant).

    The posterior of :func:`sense_log_posterior` (Section 3.4's expected
    likelihood kernel as likelihood, the mixture weights as prior), over the
    context tokens selected as follows:

    * `context` is a list of tokens, or a ``str`` split at whitespace
      (``str.split()``, never into characters);
    * without `window`, every token is used;
    * with `window`, `context` is taken as a sentence containing `word`, and
      only the tokens at most `window` positions before or after an
      occurrence of `word` are used (the union over all occurrences, each
      position once; out-of-vocabulary tokens count as positions);
    * tokens equal to `word` are never used (a word is no evidence of its
      own sense);
    * tokens not in the vocabulary are ignored (matching is exact, as every
      ``wv`` lookup).

    With no usable token the result is the prior, the mixture weights.

    Parameters
    ----------
    wv : KeyedGaussianMixtures
        The embeddings.
    word : str
        The word to disambiguate.
    context : str or list of str
        The context words, or a sentence (with `window`).
    window : int, optional
        Tokens taken on each side of each occurrence of `word` in `context`
        (``>= 0``; 0 uses no context).  None (default): the whole context.

    Returns
    -------
    Disambiguation
        ``(word, probabilities, component, context_used)``: the ``(K,)``
        float64 posterior, its argmax and the tokens used.

    Raises
    ------
    w2gm.exceptions.WordNotInVocabularyError
        (a ``KeyError``) If `word` is not in the vocabulary.
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `context` is not a str or a list of str,
        `window` is not None or a non-negative integer, `window` is given
        and `word` does not occur in `context`, or the mixture of `word` or
        of a context token holds a NaN or infinite parameter.
    """
    index = wv.get_index(word)
    tokens = _tokens(context, "context")
    window = _check_window(window, allow_none=True)
    if window is None:
        chosen = [t for t in tokens if t != word]
    else:
        where = [i for i, t in enumerate(tokens) if t == word]
        if not where:
            raise ParameterError(f"window={window} needs the word {word!r} in the context, which does not "
                                 f"contain it; leave window=None to use the whole context")
        near = np.zeros(len(tokens), dtype=bool)
        for i in where:
            near[max(0, i - window):i + window + 1] = True
        chosen = [t for t, keep in zip(tokens, near.tolist()) if keep and t != word]
    rows = _rows(wv, chosen)
    used = [t for t, r in zip(chosen, rows.tolist()) if r >= 0]
    probabilities = np.exp(sense_log_posterior(wv, index, rows[rows >= 0]))
    return Disambiguation(word, probabilities, int(np.argmax(probabilities)), used)


def sense_tags(wv, tokens, window=DEFAULT_WINDOW):
    """Tag every in-vocabulary token of a sentence with its most probable component.

    Each in-vocabulary token at position ``i`` is disambiguated
    (:func:`disambiguate`'s posterior) by the in-vocabulary tokens at
    positions ``i - window .. i + window``, other than itself and other than
    occurrences of the same word; out-of-vocabulary tokens count as
    positions but are otherwise ignored.  For a word occurring once this
    equals ``disambiguate(wv, token, tokens, window)``.  All (token, context)
    pairs are scored in batched NumPy operations.

    Parameters
    ----------
    wv : KeyedGaussianMixtures
        The embeddings.
    tokens : str or list of str
        The sentence, as tokens or a ``str`` split at whitespace.
    window : int, optional
        Context tokens on each side (``>= 0``), default :data:`DEFAULT_WINDOW`
        (5; the query object does not know the training window -- pass the
        model's ``window`` to match it).

    Returns
    -------
    list of SenseTag
        ``(token, position, component, probability)`` for each in-vocabulary
        token, in sentence order.

    Raises
    ------
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `tokens` is not a str or a list of str,
        `window` is not a non-negative integer, or a token's mixture holds a
        NaN or infinite parameter.
    """
    tokens = _tokens(tokens, "tokens")
    window = min(_check_window(window), len(tokens))  # a wider window sees nothing more
    rows_all = _rows(wv, tokens)
    positions = np.flatnonzero(rows_all >= 0)
    if positions.shape[0] == 0:
        return []
    rows = rows_all[positions]
    _check_finite_rows(wv, rows, "word")
    m = positions.shape[0]
    # every (target, context) pair of known tokens at most `window` positions apart
    lo = np.searchsorted(positions, positions - window, side="left")
    hi = np.searchsorted(positions, positions + window, side="right")
    counts = hi - lo
    targets = np.repeat(np.arange(m), counts)
    starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    contexts = np.arange(targets.shape[0]) + starts
    keep = rows[targets] != rows[contexts]  # drops the token itself and repeats of its word
    targets, contexts = targets[keep], contexts[keep]
    log_post = log_mixture_weights(wv.logits[rows])  # (m, K) priors
    if targets.shape[0]:
        evidence = np.zeros_like(log_post)
        np.add.at(evidence, targets, _log_evidence(wv, rows[targets], rows[contexts]))
        n_context = np.bincount(targets, minlength=m)
        log_post = log_softmax(log_post + evidence / np.maximum(n_context, 1)[:, None], axis=1)
    best = np.argmax(log_post, axis=1)
    probs = np.exp(log_post[np.arange(m), best])
    return [SenseTag(tokens[p], p, c, q)
            for p, c, q in zip(positions.tolist(), best.tolist(), probs.tolist())]


# ------------------------------------------------------------------ senses

def _mean_variances(wv, index):
    """``(K,)`` float64 variance of each component (mean over dimensions if diagonal)."""
    return np.exp(wv.log_variances[index].astype(np.float64)).mean(axis=1)


def senses(wv, word, topn=10):
    """The senses (mixture components) of a word: weight, variance and nearest neighbours.

    Neighbours are the paper's Table 1: for component ``k`` the components
    of *other* words whose means have the largest cosine with
    ``mu[word, k]`` (``wv.most_similar(word, component=k, topn=topn)``).

    Parameters
    ----------
    wv : KeyedGaussianMixtures
        The embeddings.
    word : str
        A vocabulary word.
    topn : int, optional
        Neighbours per component (``>= 0``; fewer if the vocabulary is small).

    Returns
    -------
    WordSenses
        ``(word, senses)``, one :class:`Sense` ``(component, weight,
        variance, neighbors)`` per component; ``str()`` of it is a table.

    Raises
    ------
    w2gm.exceptions.WordNotInVocabularyError
        (a ``KeyError``) If `word` is not in the vocabulary.
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `topn` is not a non-negative integer, or the
        mixture of `word` holds a NaN or infinite parameter.
    """
    index = wv.get_index(word)
    if not isinstance(topn, numbers.Integral) or isinstance(topn, (bool, np.bool_)) or topn < 0:
        raise ParameterError(f"topn must be a non-negative integer, got {topn!r}")
    _check_finite_rows(wv, [index], "word")
    weights = np.exp(log_mixture_weights(wv.logits[index]))
    variances = _mean_variances(wv, index)
    out = []
    for k in range(weights.shape[0]):
        near = wv.most_similar(word, component=k, topn=int(topn))
        out.append(Sense(k, float(weights[k]), float(variances[k]),
                         [(f"{w}:{c}", score) for w, c, score in near]))
    return WordSenses(word, tuple(out))


def component_similarities(wv, w1, w2, metric="max_cos"):
    """Single-Gaussian scores of every pair of components of two words.

    Entry ``[i, j]`` compares component ``i`` of `w1` with component ``j``
    of `w2` by the single-Gaussian form of `metric`
    (:func:`w2gm.similarity.component_scores`): the cosine of the means for
    ``"max_cos"`` and ``"avg_cos"``, ``-||mu_1i - mu_2j||`` for
    ``"min_euclidean"``, ``log N(0; mu_1i - mu_2j, Sigma_1i + Sigma_2j)``
    for ``"expected_likelihood"`` (eq. 3), ``-KL(N_1i || N_2j)`` for
    ``"neg_kl"`` (Section 4.6).  Mixture weights are not involved; e.g.
    ``"max_cos"`` similarity is the matrix's maximum.

    Parameters
    ----------
    wv : KeyedGaussianMixtures
        The embeddings.
    w1, w2 : str
        Vocabulary words.
    metric : str, optional
        One of :data:`w2gm.similarity.SIMILARITY_METRICS`.

    Returns
    -------
    numpy.ndarray
        ``(K, K)`` float64.

    Raises
    ------
    w2gm.exceptions.WordNotInVocabularyError
        (a ``KeyError``) If a word is not in the vocabulary.
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `metric` is unknown.
    """
    i1, i2 = wv.get_index(w1), wv.get_index(w2)
    metric = check_metric(metric)
    return component_scores(metric, wv.means[i1:i1 + 1], wv.log_variances[i1:i1 + 1],
                            wv.means[i2:i2 + 1], wv.log_variances[i2:i2 + 1])[0]


# ---------------------------------------------------------- entailment

def entailment_score(wv, hyponym, hypernym, metric="neg_kl"):
    """How much `hyponym` entails `hypernym` (``hyponym |= hypernym``), Section 4.6.

    ``wv.similarity(hyponym, hypernym, metric)``; the default ``"neg_kl"``
    is ``-min_ij KL(N(hyponym_i) || N(hypernym_j))``, asymmetric and large
    when a component of the hyponym lies inside a broader component of the
    hypernym, the paper's entailment score (with ``"max_cos"`` its
    alternative).  Thresholding it detects entailment
    (:mod:`w2gm.evaluation.entailment`).

    Parameters
    ----------
    wv : KeyedGaussianMixtures
        The embeddings.
    hyponym, hypernym : str
        Vocabulary words (the specific one first).
    metric : str, optional
        One of :data:`w2gm.similarity.SIMILARITY_METRICS`.

    Returns
    -------
    float

    Raises
    ------
    w2gm.exceptions.WordNotInVocabularyError
        (a ``KeyError``) If a word is not in the vocabulary.
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `metric` is unknown.
    """
    return wv.similarity(hyponym, hypernym, metric=check_metric(metric))


def generality(wv, words):
    """Generality of words: the mixture-weighted mean log-variance.

    ``g(w) = sum_k p[w, k] * mean_d log sigma^2[w, k, d]`` (for a spherical
    covariance the component's one log-variance).  Gaussian embeddings
    give broader, more general words larger variances (Vilnis & McCallum
    2015; the basis of the KL entailment score of Athiwaratkun & Wilson 2017,
    Section 4.6), so larger ``g`` means more general.  The log makes it a
    mean log-volume per dimension; the mixture weights count each sense by
    its frequency.

    Parameters
    ----------
    wv : KeyedGaussianMixtures
        The embeddings.
    words : str or list of str
        Vocabulary words (a single ``str`` is one word).

    Returns
    -------
    numpy.ndarray
        ``(n,)`` float64, one score per given word.

    Raises
    ------
    w2gm.exceptions.WordNotInVocabularyError
        (a ``KeyError``) If a word is not in the vocabulary.
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `words` is not a str or a list of str.
    """
    words = _word_list(words)
    rows = np.asarray([wv.get_index(w) for w in words], dtype=np.intp)
    weights = np.exp(log_mixture_weights(wv.logits[rows]))  # (n, K)
    mean_log_var = wv.log_variances[rows].astype(np.float64).mean(axis=2)  # (n, K)
    return (weights * mean_log_var).sum(axis=1)


def _ranked_by_generality(wv, words, descending):
    words = _word_list(words)
    scores = generality(wv, words)
    order = np.argsort(-scores if descending else scores, kind="stable")
    return [(words[i], float(scores[i])) for i in order.tolist()]


def most_general(wv, words):
    """Rank words from the most general to the most specific by :func:`generality`.

    Parameters
    ----------
    wv : KeyedGaussianMixtures
        The embeddings.
    words : str or list of str
        Vocabulary words (a single ``str`` is one word).

    Returns
    -------
    list of (str, float)
        ``(word, generality)`` for each given word, largest generality first
        (ties keep the given order); ``[]`` for no words.

    Raises
    ------
    w2gm.exceptions.WordNotInVocabularyError
        (a ``KeyError``) If a word is not in the vocabulary.
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `words` is not a str or a list of str.
    """
    return _ranked_by_generality(wv, words, descending=True)


def most_specific(wv, words):
    """Rank words from the most specific to the most general by :func:`generality`.

    The reverse ranking of :func:`most_general`.

    Parameters
    ----------
    wv : KeyedGaussianMixtures
        The embeddings.
    words : str or list of str
        Vocabulary words (a single ``str`` is one word).

    Returns
    -------
    list of (str, float)
        ``(word, generality)`` for each given word, smallest generality
        first (ties keep the given order); ``[]`` for no words.

    Raises
    ------
    w2gm.exceptions.WordNotInVocabularyError
        (a ``KeyError``) If a word is not in the vocabulary.
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `words` is not a str or a list of str.
    """
    return _ranked_by_generality(wv, words, descending=False)
