"""Word-analogy evaluation: ``a:b::c:?`` questions, gensim's ``evaluate_word_analogies``.

For a question ``a b c d`` ("a is to b as c is to d") the model answers with
the vocabulary word closest to ``b - a + c`` (3CosAdd, Mikolov et al. 2013;
or 3CosMul, Levy & Goldberg 2014), the three question words excluded, and the
answer is correct when it is ``d``.  :func:`evaluate_word_analogies` follows
gensim's protocol (``KeyedVectors.evaluate_word_analogies``) and returns its
``(score, sections)``; :func:`analogy_summary` splits the result into the
semantic and syntactic parts of the Google analogy set, which is bundled
(:func:`w2gm.evaluation.datasets.bundled_analogies_path`).

How a word's Gaussian mixture enters the vector arithmetic is the
``mixture`` argument (:data:`w2gm.similarity.MIXTURE_MODES`):

* ``"point"`` (the default): each word is its point vector
  ``sum_k p_k mu_k`` (:attr:`w2gm.KeyedGaussianMixtures.vectors`), exactly
  gensim's computation; for ``K = 1`` it gives gensim's result on the means.
* ``"best_component"``: each question word contributes one of its
  components; for each of the ``K**3`` combinations the target is the
  normalised ``u_b + u_c - u_a`` of the chosen unit component means, and a
  candidate scores the best cosine of any of its components with any target.

Decision: ``"point"`` is the default because it answered more questions in
our measurement (``benchmarks/analogies.py``; K=2, D=50, text8-size corpus,
restrict_vocab=30000: 17.3% against 9.3% for ``"best_component"``) and costs
``K**4`` times less (8 targets times 2 candidate components for ``K = 2``).

The questions are scored in batches by float32 matrix products against the
first ``restrict_vocab`` words, with temporaries bounded (64 MiB a block),
and the five best candidates of a question are found by five vectorised
``argmax`` passes.  Measured with ``benchmarks/analogies.py`` on two shared
cores, the bundled set over a 67,907-word K=2, D=50 vocabulary (16,306
questions in it) takes 2.8 s with ``"point"`` (gensim's own evaluation of
vectors of that size: 19.2 s) and 26.6 s with ``"best_component"``.

This module does not import :mod:`w2gm.keyed_mixtures`; it uses the
embeddings' public attributes (``index_to_key``, ``vectors``, ``norms``,
``get_normed_vectors``, ``means``).
"""

import itertools
import logging
import os
from typing import NamedTuple

import numpy as np

from w2gm.evaluation.datasets import read_analogies
from w2gm.evaluation.word_pairs import check_restrict_vocab, keyed_mixtures_of
from w2gm.exceptions import ParameterError
from w2gm.similarity import (
    best_cosines,
    check_mixture,
    combination_targets,
    cosmul_scores,
    unit_targets,
    unit_vectors,
)

__all__ = [
    "ANALOGY_FUNCTIONS",
    "AnalogySummary",
    "analogy_summary",
    "evaluate_word_analogies",
]

logger = logging.getLogger(__name__)

#: Values of ``similarity_function``: 3CosAdd (gensim's only method) and 3CosMul.
ANALOGY_FUNCTIONS = ("most_similar", "most_similar_cosmul")
# candidates gensim looks at per question (its most_similar(..., topn=5))
_TOPN = 5
# bound on the elements of a (questions x candidates) score block
_BLOCK_ELEMENTS = 1 << 24
# bound on the elements of a (targets x candidates) matrix product inside a block
_INNER_ELEMENTS = 1 << 24
TOTAL_SECTION = "Total accuracy"


def _section_accuracy(section):
    """Accuracy of one section dict (0.0 without questions), logged as gensim does."""
    correct, incorrect = len(section["correct"]), len(section["incorrect"])
    if correct + incorrect == 0:
        return 0.0
    score = correct / (correct + incorrect)
    logger.info("%s: %.1f%% (%i/%i)", section["section"], 100.0 * score, correct, correct + incorrect)
    return score


def _ok_vocabulary(wv, limit, fold):
    """gensim's ``ok_vocab``: folded word -> lowest row among the first `limit`; and each row's entry."""
    words = wv.index_to_key[:limit]
    ok = {}
    for i, word in enumerate(words):
        ok.setdefault(fold(word), i)
    group = np.fromiter((ok[fold(w)] for w in words), dtype=np.intp, count=len(words))
    return ok, group


def _predictions(scores, a, b, c, group):
    """Row predicted for each question of a block, gensim's way; -1 when there is no candidate.

    `scores` ``(q, R)`` float32 (changed in place: the question words are set
    to -inf).  gensim takes the 5 best rows other than the question words'
    own rows, and answers with the first whose folded word is none of the
    question words (else the last of the 5).
    """
    q, r = scores.shape
    rows = np.arange(q)
    for col in (a, b, c):
        scores[rows, col] = -np.inf
    # the best 5 by repeated argmax (ties: lowest row first); much faster than argpartition per row
    m = min(_TOPN, r)
    candidates = np.empty((q, m), dtype=np.intp)
    valid = np.empty((q, m), dtype=bool)
    for j in range(m):
        best = scores.argmax(axis=1)
        candidates[:, j] = best
        valid[:, j] = np.isfinite(scores[rows, best])
        scores[rows, best] = -np.inf
    g = group[candidates]
    usable = valid & (g != a[:, None]) & (g != b[:, None]) & (g != c[:, None])
    n_valid = valid.sum(axis=1)
    position = np.where(usable.any(axis=1), usable.argmax(axis=1), np.maximum(n_valid - 1, 0))
    return np.where(n_valid > 0, g[rows, position], -1)


def _score_block(mixture, function, a, b, c, point, comps):
    """``(q, R)`` float32 scores of the candidates for the questions ``a:b::c:?`` of a block."""
    bound = _INNER_ELEMENTS
    if mixture == "point":
        vectors, norms, unit = point
        ua, ub, uc = unit[a], unit[b], unit[c]
        if function == "most_similar":
            # gensim's target: (u_b + u_c - u_a) accumulated in float32, divided by 3, normalised
            targets = unit_targets(((ub + uc) - ua).astype(np.float64) / 3.0)[:, None, :]
            return best_cosines(targets, vectors[:, None, :], norms[:, None], bound)
        return cosmul_scores([ub[:, None, :], uc[:, None, :]], [ua[:, None, :]], vectors[:, None, :],
                             norms[:, None], bound)
    ua, ub, uc = comps[a], comps[b], comps[c]  # (q, K, D) unit component means
    if function == "most_similar":
        targets = unit_targets(combination_targets([ub, uc, ua], [1.0, 1.0, -1.0]))
        return best_cosines(targets, comps, None, bound)
    return cosmul_scores([ub, uc], [ua], comps, None, bound)


def evaluate_word_analogies(kv, analogies, restrict_vocab=300000, case_insensitive=True,
                            dummy4unknown=False, similarity_function="most_similar", *,
                            mixture="point"):
    """Accuracy on word analogies, gensim's ``evaluate_word_analogies`` on Gaussian mixtures.

    The protocol is gensim's (itself word2vec's ``compute-accuracy``): only
    the first `restrict_vocab` words are known; a question with an unknown
    word is skipped (or counted as incorrect with `dummy4unknown`); the 5
    best candidates among those words, the rows of the three question words
    left out, are taken in order and the first whose (case-folded) form is
    none of the question words is the answer (the last of the 5 if all are);
    it is correct if it is the fourth word.

    Parameters
    ----------
    kv : KeyedGaussianMixtures or Word2GM
        The embeddings.
    analogies : str or os.PathLike
        File in word2vec's ``questions-words.txt`` format (sections started
        by ``: name`` lines, then ``a b c d`` lines), read by
        :func:`w2gm.evaluation.datasets.read_analogies`; the Google set is
        :func:`w2gm.evaluation.datasets.bundled_analogies_path`.
    restrict_vocab : int or None, optional
        Number of leading (most frequent, for a trained model) words used, as
        gensim (default 300000); None: all.
    case_insensitive : bool, optional
        Compare words uppercased (gensim; default True); a folded form stands
        for its lowest-index vocabulary word.  The result's tuples hold the
        uppercased words then.
    dummy4unknown : bool, optional
        Count questions with an unknown word as incorrect instead of skipping
        them (gensim).
    similarity_function : str, optional
        ``"most_similar"`` (3CosAdd, gensim's; default) or
        ``"most_similar_cosmul"`` (3CosMul, which gensim 4.4 accepts but
        does not use).
    mixture : str, optional
        ``"point"`` (default) or ``"best_component"``; see the module
        docstring and :meth:`w2gm.KeyedGaussianMixtures.most_similar`.

    Returns
    -------
    score : float
        Accuracy over all evaluated questions (0.0 if none).
    sections : list of dict
        One dict per section of the file, in file order (sections without
        questions included), then ``"Total accuracy"``: ``{"section": name,
        "correct": [(a, b, c, d), ...], "incorrect": [...]}``, questions in
        file order.

    Raises
    ------
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `mixture` or `similarity_function` is unknown,
        or `restrict_vocab` is not a non-negative integer or None.
    w2gm.exceptions.DatasetFormatError
        (a ``ValueError``) If the file holds no question, a question comes
        before the first section line, or the file is not UTF-8 text (see
        :func:`w2gm.evaluation.datasets.read_analogies`).
    TypeError
        If `kv` holds no embeddings.

    Warns
    -----
    UserWarning
        If question lines without four words were skipped.

    Notes
    -----
    gensim's ranking is reproduced (float32 point vectors, its target and
    its ``dot(vectors, target) / norms``), so ``mixture="point"`` on a
    one-component wrap of gensim vectors gives gensim's sections; candidates
    with equal scores are ordered by row here, arbitrarily in gensim.
    """
    wv = keyed_mixtures_of(kv)
    mixture = check_mixture(mixture)
    if similarity_function not in ANALOGY_FUNCTIONS:
        raise ParameterError(f"unknown similarity_function {similarity_function!r}; valid are "
                             + ", ".join(repr(f) for f in ANALOGY_FUNCTIONS))
    limit = check_restrict_vocab(restrict_vocab, len(wv.vocabulary_table))
    logger.info("Evaluating word analogies for top %i words in the model on %s", limit, os.fspath(analogies))
    data = read_analogies(analogies, case_insensitive=case_insensitive)
    fold = str.upper if case_insensitive else str
    ok, group = _ok_vocabulary(wv, limit, fold)

    # every in-vocabulary question, as rows
    known = []  # (section number, position in section, a, b, c, d)
    n_questions = n_oov = 0
    for s, (_, questions) in enumerate(data.sections):
        for p, (_, *words) in enumerate(questions):
            n_questions += 1
            rows = [ok.get(w) for w in words]
            if None in rows:
                n_oov += 1
            else:
                known.append((s, p, *rows))
    found = np.array(known, dtype=np.intp).reshape(-1, 6)
    correct = np.zeros(found.shape[0], dtype=bool)

    if found.shape[0] and limit:
        if mixture == "point":
            point = (wv.vectors[:limit], wv.norms[:limit], wv.get_normed_vectors()[:limit])
            comps = None
        else:
            point = None
            comps = unit_vectors(np.asarray(wv.means[:limit], dtype=np.float32))
        step = max(1, _BLOCK_ELEMENTS // limit)
        for lo in range(0, found.shape[0], step):
            a, b, c, d = found[lo:lo + step, 2:].T
            scores = _score_block(mixture, similarity_function, a, b, c, point, comps)
            correct[lo:lo + step] = _predictions(scores, a, b, c, group) == d

    outcome = {(int(s), int(p)): bool(ok_) for (s, p), ok_ in zip(found[:, :2].tolist(), correct.tolist())}
    sections = []
    for s, (name, questions) in enumerate(data.sections):
        section = {"section": name, "correct": [], "incorrect": []}
        for p, (_, *words) in enumerate(questions):
            result = outcome.get((s, p))
            if result is None and not dummy4unknown:
                continue
            section["correct" if result else "incorrect"].append(tuple(words))
        sections.append(section)
        _section_accuracy(section)
    total = {
        "section": TOTAL_SECTION,
        "correct": list(itertools.chain.from_iterable(s["correct"] for s in sections)),
        "incorrect": list(itertools.chain.from_iterable(s["incorrect"] for s in sections)),
    }
    logger.info("Quadruplets with out-of-vocabulary words: %.1f%%", 100.0 * n_oov / n_questions)
    if not dummy4unknown and n_oov:
        logger.info("NB: analogies containing OOV words were skipped from evaluation! "
                    "To change this behavior, use \"dummy4unknown=True\"")
    score = _section_accuracy(total)
    sections.append(total)
    return score, sections


class AnalogySummary(NamedTuple):
    """Accuracy of :func:`evaluate_word_analogies` sections, split as the Google set is.

    Each of ``semantic``, ``syntactic`` and ``total`` is a tuple
    ``(accuracy, correct, evaluated)``: the fraction correct (NaN when
    nothing was evaluated), the number correct, and the number of questions
    evaluated (with ``dummy4unknown``, the unknown ones counted too).
    """

    semantic: tuple
    syntactic: tuple
    total: tuple


def _accuracy(correct, evaluated):
    return (correct / evaluated if evaluated else float("nan"), correct, evaluated)


def analogy_summary(sections):
    """Semantic / syntactic / total accuracy of an analogy result.

    Parameters
    ----------
    sections : list of dict
        The second element of :func:`evaluate_word_analogies`' result (or of
        gensim's).  Sections whose name starts with ``gram`` are syntactic
        (the Google set's convention), the others semantic; the
        ``"Total accuracy"`` section is left out of both.

    Returns
    -------
    AnalogySummary

    Raises
    ------
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If an entry is not a section dict.
    """
    counts = {"semantic": [0, 0], "syntactic": [0, 0]}
    for section in sections:
        if not isinstance(section, dict) or not {"section", "correct", "incorrect"} <= set(section):
            raise ParameterError(f"not an analogy section: {section!r:.80}")
        if section["section"] == TOTAL_SECTION:
            continue
        part = "syntactic" if str(section["section"]).startswith("gram") else "semantic"
        counts[part][0] += len(section["correct"])
        counts[part][1] += len(section["correct"]) + len(section["incorrect"])
    sem, syn = counts["semantic"], counts["syntactic"]
    return AnalogySummary(_accuracy(*sem), _accuracy(*syn), _accuracy(sem[0] + syn[0], sem[1] + syn[1]))
