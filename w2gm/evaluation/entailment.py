"""Lexical entailment detection by thresholding a similarity (Section 4.6, Table 5).

Athiwaratkun & Wilson (2017) detect ``hyponym |= hypernym`` (e.g. *aircraft*
|= *vehicle*) on the pairs of Baroni et al. (2012) by thresholding
``-KL(hyponym || hypernym)`` (metric ``"neg_kl"``) or the maximum cosine
similarity (``"max_cos"``), and report the best average precision and the
best F1 over thresholds (:func:`evaluate_entailment`).  Besides these
optimistic figures, a threshold chosen by stratified k-fold cross-validation
gives an unbiased F1 and accuracy (:func:`cross_validated_threshold`).

:func:`average_precision` and :func:`best_f1` are computed from the ranking
by score with ties grouped; scipy has no equivalent (scikit-learn's
``average_precision_score`` uses the same definition).
"""

from typing import NamedTuple

import numpy as np

from w2gm.evaluation.datasets import read_entailment_pairs
from w2gm.evaluation.word_pairs import VocabularyLookup, keyed_mixtures_of
from w2gm.exceptions import ParameterError
from w2gm.similarity import check_metric

__all__ = [
    "EntailmentResult",
    "average_precision",
    "best_f1",
    "cross_validated_threshold",
    "evaluate_entailment",
]


def _ranking_counts(scores, labels):
    """Cumulative true/false positives at each distinct threshold, highest first.

    Predicting positive for ``score >= threshold``; returns
    ``(thresholds, tp, fp)`` with one entry per distinct score, descending.
    """
    order = np.argsort(-scores, kind="mergesort")
    s = scores[order]
    y = labels[order].astype(np.float64)
    tp = np.cumsum(y)
    fp = np.cumsum(1.0 - y)
    last = np.r_[s[1:] != s[:-1], True]  # end of each run of tied scores
    return s[last], tp[last], fp[last]


def average_precision(scores, labels):
    """Average precision of ranking by decreasing score (ties grouped).

    ``AP = sum_t (R_t - R_{t-1}) P_t`` over the distinct score thresholds
    ``t`` (highest first), with precision ``P_t`` and recall ``R_t`` of
    predicting positive for ``score >= t`` (the definition of
    scikit-learn's ``average_precision_score``).

    Parameters
    ----------
    scores : array_like
        ``(N,)`` scores, larger meaning more likely positive.
    labels : array_like
        ``(N,)`` booleans (or 0/1), True for the positive class.

    Returns
    -------
    float
        In ``[0, 1]``; NaN if there is no positive.
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=bool)
    n_pos = labels.sum()
    if n_pos == 0:
        return float("nan")
    _, tp, fp = _ranking_counts(scores, labels)
    precision = tp / (tp + fp)
    recall = tp / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def best_f1(scores, labels):
    """Best F1 over all thresholds ``score >= t``.

    Parameters
    ----------
    scores : array_like
        ``(N,)`` scores, larger meaning more likely positive.
    labels : array_like
        ``(N,)`` booleans, True for the positive class.

    Returns
    -------
    tuple
        ``(f1, threshold, next_lower)``: the best F1 (0 if there is no
        positive), the score value ``t`` reaching it (the highest such ``t``
        on ties), and the next lower distinct score (``-inf`` if none), so
        that any cut in ``(next_lower, t]`` gives the same predictions.
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=bool)
    thresholds, tp, fp = _ranking_counts(scores, labels)
    n_pos = labels.sum()
    f1 = 2.0 * tp / (tp + fp + n_pos) if n_pos else np.zeros_like(tp)
    best = int(np.argmax(f1))
    lower = thresholds[best + 1] if best + 1 < thresholds.shape[0] else -np.inf
    return float(f1[best]), float(thresholds[best]), float(lower)


def _f1_accuracy(pred, labels):
    """F1 and accuracy of boolean predictions `pred` against boolean `labels`."""
    tp = np.sum(pred & labels)
    fp = np.sum(pred & ~labels)
    fn = np.sum(~pred & labels)
    f1 = 2.0 * tp / (2.0 * tp + fp + fn) if (2 * tp + fp + fn) else 0.0
    return float(f1), float(np.mean(pred == labels))


def _check_folds(folds):
    """`folds` if it is an integer >= 2, else raise ParameterError."""
    if not isinstance(folds, int) or isinstance(folds, bool) or folds < 2:
        raise ParameterError(f"folds must be an integer >= 2, got {folds!r}")
    return folds


def _stratified_folds(labels, folds, seed):
    """``(N,)`` fold number of every item: each class shuffled, then dealt out in turn."""
    rng = np.random.default_rng(seed)
    fold_of = np.empty(labels.shape[0], dtype=np.intp)
    offset = 0
    for cls in (True, False):
        members = np.flatnonzero(labels == cls)
        members = members[rng.permutation(members.shape[0])]
        fold_of[members] = (np.arange(members.shape[0]) + offset) % folds
        offset += members.shape[0]
    return fold_of


def cross_validated_threshold(scores, labels, folds=5, seed=0):
    """F1 and accuracy of a threshold chosen by stratified k-fold cross-validation.

    The items are split into `folds` folds, stratified by label (each class
    shuffled with `seed`, then dealt out in turn).  For each fold, the
    threshold of :func:`best_f1` on the other folds -- moved midway to the
    next lower training score -- predicts the held-out items; F1 and
    accuracy are computed over all held-out predictions pooled.

    Parameters
    ----------
    scores : array_like
        ``(N,)`` scores, larger meaning more likely positive.
    labels : array_like
        ``(N,)`` booleans, True for the positive class.
    folds : int, optional
        Number of folds (>= 2; folds without an item are skipped).
    seed : int, optional
        Seed of the deterministic fold assignment.

    Returns
    -------
    tuple of float
        ``(f1, accuracy)``, each in ``[0, 1]``.

    Raises
    ------
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `folds` is not an integer >= 2.
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=bool)
    folds = _check_folds(folds)
    fold_of = _stratified_folds(labels, folds, seed)
    pred = np.zeros(labels.shape[0], dtype=bool)
    for f in range(folds):
        test = fold_of == f
        if not test.any():
            continue
        train = ~test
        _, t, lower = best_f1(scores[train], labels[train])
        # midway to the next lower training score; -inf: every training pair predicted positive
        cut = -np.inf if np.isinf(lower) else 0.5 * (t + lower)
        pred[test] = scores[test] >= cut
    return _f1_accuracy(pred, labels)


class EntailmentResult(NamedTuple):
    """Result of :func:`evaluate_entailment`; all rates are fractions in ``[0, 1]``.

    Attributes
    ----------
    average_precision : float
        Average precision of the ranking by score (the paper's "best AP").
    best_f1 : float
        F1 at the best threshold chosen on all found pairs (optimistic, as
        reported in Table 5 of the paper).
    best_threshold : float
        The score ``t`` reaching `best_f1` (predict entailment for
        ``score >= t``).
    cv_f1 : float
        F1 of thresholds chosen by stratified k-fold cross-validation, pooled
        over the held-out folds (an unbiased estimate).
    cv_accuracy : float
        Accuracy of the same cross-validated predictions.
    n_found : int
        Pairs with both words in the vocabulary.
    n_total : int
        Pairs in the two files.
    n_positive, n_negative : int
        Found positive and negative pairs.
    metric : str
        The score used.
    """

    average_precision: float
    best_f1: float
    best_threshold: float
    cv_f1: float
    cv_accuracy: float
    n_found: int
    n_total: int
    n_positive: int
    n_negative: int
    metric: str


def _labelled_scores(wv, lookup, positive_path, negative_path, metric):
    """``(scores, labels, n_total)`` of the pairs of both files found in the vocabulary."""
    i1, i2, labels = [], [], []
    total = 0
    for path, label in ((positive_path, True), (negative_path, False)):
        for hypo, hyper in read_entailment_pairs(path):
            total += 1
            a, b = lookup.get(hypo), lookup.get(hyper)
            if a is None or b is None:
                continue
            i1.append(a)
            i2.append(b)
            labels.append(label)
    labels = np.array(labels, dtype=bool)
    scores = wv.score_pairs(np.array(i1, dtype=np.intp), np.array(i2, dtype=np.intp), metric=metric)
    return scores, labels, total


def evaluate_entailment(kv, positive_path, negative_path, metric="neg_kl", case_insensitive=True,
                        folds=5, seed=0):
    """Lexical entailment detection by thresholding a similarity (Section 4.6, Table 5).

    Each pair ``hyponym |= hypernym`` (e.g. *aircraft* |= *vehicle*) is scored
    by ``kv.similarity(hyponym, hypernym, metric)``.  For ``"neg_kl"`` this is
    ``-min_ij KL(f_hypo,i || f_hyper,j)``, the direction of the paper's
    ``d(f, g) = min KL(f || g)`` with ``f`` the hyponym: the KL divergence is
    small when the (narrower) hyponym distribution lies inside the (broader)
    hypernym distribution, so larger scores mean "entails".  The positive
    pairs are the entailing ones, the negative pairs are not.

    Parameters
    ----------
    kv : KeyedGaussianMixtures or Word2GM
        The embeddings.
    positive_path, negative_path : str or os.PathLike
        Files in the Baroni et al. (2012) format (see
        :func:`w2gm.evaluation.datasets.read_entailment_pairs`):
        ``hyponym-n<TAB>hypernym-n``.
    metric : str, optional
        ``"neg_kl"`` (default) or ``"max_cos"`` as in the paper, or any of
        :data:`w2gm.similarity.SIMILARITY_METRICS`.
    case_insensitive : bool, optional
        As in :func:`w2gm.evaluation.word_pairs.evaluate_word_pairs_detailed`.
    folds : int, optional
        Number of cross-validation folds (>= 2).
    seed : int, optional
        Seed of the (deterministic) stratified fold assignment.

    Returns
    -------
    EntailmentResult
        Average precision and best F1 over thresholds (as in Table 5, where
        they are reported x 100), plus the F1 and accuracy of a threshold
        chosen by stratified `folds`-fold cross-validation
        (:func:`cross_validated_threshold`).  Values are NaN when undefined
        (no found positive, or fewer found pairs than folds for the
        cross-validated values).

    Raises
    ------
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `metric` is unknown or `folds` is not an
        integer >= 2.
    w2gm.exceptions.DatasetFormatError
        (a ``ValueError``) If a file holds no pair.
    """
    wv = keyed_mixtures_of(kv)
    metric = check_metric(metric)
    folds = _check_folds(folds)
    lookup = VocabularyLookup(wv, case_insensitive)
    scores, labels, total = _labelled_scores(wv, lookup, positive_path, negative_path, metric)
    n_found = int(labels.shape[0])
    n_pos = int(labels.sum())
    nan = float("nan")
    if n_pos == 0:
        ap = f1 = threshold = nan
    else:
        ap = average_precision(scores, labels)
        f1, threshold, _ = best_f1(scores, labels)
    if n_pos == 0 or n_found < folds:
        cv_f1 = cv_acc = nan
    else:
        cv_f1, cv_acc = cross_validated_threshold(scores, labels, folds, seed)
    return EntailmentResult(ap, f1, threshold, cv_f1, cv_acc, n_found, total, n_pos,
                            n_found - n_pos, metric)
