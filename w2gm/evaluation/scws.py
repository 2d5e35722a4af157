"""Contextual word similarity on SCWS (Section 4.4, Table 4).

The Stanford Contextual Word Similarities dataset of Huang et al. (2012)
rates word pairs, each word shown in its own sentence.  Athiwaratkun &
Wilson (2017) correlate the ratings with MaxSim and AvgSim (context ignored)
and with the context-aware MaxSimC and AvgSimC (:func:`evaluate_scws`).  The
context picks a word's meaning through the posterior weights of its mixture
components given the context words (:func:`context_sense_weights`), scored
with the expected likelihood kernel the model is trained on (Section 3.4).
"""

from typing import NamedTuple

import numpy as np

from w2gm.evaluation.datasets import read_scws
from w2gm.evaluation.word_pairs import VocabularyLookup, keyed_mixtures_of, spearman_x100
from w2gm.exceptions import ParameterError, WordNotInVocabularyError
from w2gm.senses import sense_log_posterior
from w2gm.similarity import log_mixture_weights, unit_vectors

__all__ = ["SCWSResult", "context_sense_weights", "evaluate_scws"]


def context_sense_weights(kv, word, context, case_insensitive=True):
    """Posterior weights of a word's mixture components given context words.

    The compatibility of component ``k`` with context word ``c`` is the
    expected likelihood kernel the model is trained to make large for
    observed (word, context) pairs (Section 3.4); the ``C`` context words
    are combined by a geometric mean, with the mixture weights ``p`` as
    prior::

        log r_k = log p_k + (1/C) sum_c log E(N(mu_k, Sigma_k), g_c) + const
        log E(N_k, g_c) = log sum_j q_cj N(0; mu_k - mu_cj, Sigma_k + Sigma_cj)

    (a naive-Bayes posterior tempered by ``1/C``; see
    :func:`w2gm.senses.sense_log_posterior` for why).  Context words missing from the vocabulary are
    ignored; with no usable context the result is the prior ``p``.  The
    context words' own (input) distributions are used.  The posterior is
    :func:`w2gm.senses.sense_log_posterior`.  As in
    :meth:`w2gm.KeyedGaussianMixtures.disambiguate`, occurrences of `word`
    itself in the context are dropped; unlike it, words are matched
    case-insensitively by default (as the evaluation datasets).

    Parameters
    ----------
    kv : KeyedGaussianMixtures or Word2GM
        The embeddings.
    word : str
        The target word.
    context : str or iterable of str
        Context words (e.g. a window around the target, without it).  A
        ``str`` is a text, split into words at whitespace as
        :class:`w2gm.LineSentence` splits a line (``str.split()``), never
        into characters.
    case_insensitive : bool, optional
        Match words case-insensitively (uppercased), as in
        :func:`w2gm.evaluation.word_pairs.evaluate_word_pairs_detailed`.

    Returns
    -------
    numpy.ndarray
        ``(K,)`` float64 responsibilities, summing to 1.

    Raises
    ------
    w2gm.exceptions.WordNotInVocabularyError
        (a ``KeyError``) If `word` is not in the vocabulary.
    """
    wv = keyed_mixtures_of(kv)
    lookup = VocabularyLookup(wv, case_insensitive)
    index = lookup.get(word)
    if index is None:
        raise WordNotInVocabularyError(f"word {word!r} not in vocabulary")
    if isinstance(context, str):
        context = context.split()
    ctx = [i for i in (lookup.get(w) for w in context) if i is not None and i != index]
    return np.exp(sense_log_posterior(wv, index, ctx))


class SCWSResult(NamedTuple):
    """Result of :func:`evaluate_scws`: Spearman rho x 100 per score, and counts.

    Attributes
    ----------
    max_sim : float
        MaxSim: maximum cosine over component pairs (context ignored).
    avg_sim : float
        AvgSim: ``sum_ij p_i q_j cos(mu_1i, mu_2j)`` (context ignored).
    max_sim_c : float
        MaxSimC: cosine of the two components most probable given each
        word's context (see :func:`context_sense_weights`).
    avg_sim_c : float
        AvgSimC: ``sum_ij r_1i r_2j cos(mu_1i, mu_2j)`` with the context
        responsibilities ``r`` in place of the mixture weights.
    n_pairs : int
        Valid items in the file.
    n_found : int
        Items whose two target words are in the vocabulary (evaluated).
    """

    max_sim: float
    avg_sim: float
    max_sim_c: float
    avg_sim_c: float
    n_pairs: int
    n_found: int


def _window_responsibilities(wv, lookup, index, tokens, position, window):
    """Responsibilities ``(K,)`` of word `index` given the words within `window` of `position`.

    Other occurrences of the word itself are no evidence of its sense and are
    dropped, as in :func:`w2gm.senses.disambiguate`.
    """
    lo = max(0, position - window)
    near = tokens[lo:position] + tokens[position + 1:position + 1 + window]
    ctx = [i for i in (lookup.get(t) for t in near) if i is not None and i != index]
    return np.exp(sense_log_posterior(wv, index, ctx))


def _item_scores(wv, lookup, item, a, b, window):
    """``(MaxSim, AvgSim, MaxSimC, AvgSimC)`` of one SCWS item with target rows `a` and `b`."""
    means = wv.means
    cos = unit_vectors(means[a].astype(np.float64)) @ unit_vectors(means[b].astype(np.float64)).T  # (K, K)
    pa = np.exp(log_mixture_weights(wv.logits[a]))
    pb = np.exp(log_mixture_weights(wv.logits[b]))
    ra = _window_responsibilities(wv, lookup, a, item.context1, item.position1, window)
    rb = _window_responsibilities(wv, lookup, b, item.context2, item.position2, window)
    return cos.max(), pa @ cos @ pb, cos[np.argmax(ra), np.argmax(rb)], ra @ cos @ rb


def evaluate_scws(kv, path, window=5, case_insensitive=True):
    """Contextual word similarity on SCWS (Huang et al. 2012; paper Section 4.4, Table 4).

    For every item whose two target words are in the vocabulary, four model
    scores are correlated (Spearman, x 100) with the average human rating:

    * MaxSim and AvgSim ignore the contexts (``"max_cos"`` and ``"avg_cos"``
      of :meth:`w2gm.KeyedGaussianMixtures.similarity`);
    * MaxSimC and AvgSimC use them: for each target, the responsibilities
      ``r`` of its components given the in-vocabulary words within `window`
      tokens on either side (excluding the target and other occurrences of
      its word, as :meth:`w2gm.KeyedGaussianMixtures.disambiguate`) are computed by
      :func:`context_sense_weights` -- a posterior over the components that
      scores each component against every context word's mixture by the
      expected likelihood kernel, the model's own training energy.  MaxSimC
      is the cosine of the two most responsible components' means; AvgSimC
      is ``sum_ij r_1i r_2j cos(mu_1i, mu_2j)``.

    Parameters
    ----------
    kv : KeyedGaussianMixtures or Word2GM
        The embeddings.
    path : str or os.PathLike
        The SCWS ``ratings.txt`` file (format in
        :func:`w2gm.evaluation.datasets.read_scws`).
    window : int, optional
        Context tokens taken on each side of the target (punctuation and
        other out-of-vocabulary tokens count as positions, then are dropped).
    case_insensitive : bool, optional
        Match words case-insensitively (uppercased, as gensim).

    Returns
    -------
    SCWSResult
        ``max_sim``, ``avg_sim``, ``max_sim_c``, ``avg_sim_c`` (Spearman x 100,
        NaN if undefined), ``n_pairs``, ``n_found``.

    Raises
    ------
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `window` is not a non-negative integer.
    w2gm.exceptions.DatasetFormatError
        (a ``ValueError``) If the file holds no valid item.
    """
    wv = keyed_mixtures_of(kv)
    if not isinstance(window, int) or isinstance(window, bool) or window < 0:
        raise ParameterError(f"window must be a non-negative integer, got {window!r}")
    items = read_scws(path)
    lookup = VocabularyLookup(wv, case_insensitive)
    gold, scores = [], []
    for item in items:
        a, b = lookup.get(item.word1), lookup.get(item.word2)
        if a is None or b is None:
            continue
        gold.append(item.rating)
        scores.append(_item_scores(wv, lookup, item, a, b, window))
    columns = list(zip(*scores)) if scores else [[], [], [], []]
    return SCWSResult(*(spearman_x100(gold, column) for column in columns), len(items), len(gold))
