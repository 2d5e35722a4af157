"""Evaluation of Word2GM embeddings: word similarity, entailment, contextual similarity.

The tasks of Athiwaratkun & Wilson (2017), "Multimodal Word Distributions"
(ACL), Section 4:

* **Word similarity** (Section 4.3, Table 2): Spearman correlation between
  human ratings of word pairs and model similarities, on eleven standard
  datasets bundled in ``w2gm/data/similarity/`` (:data:`BENCHMARKS`,
  :func:`evaluate_word_pairs`, :func:`evaluate_benchmarks`,
  :func:`format_table`).
* **Word entailment** (Section 4.6, Table 5): best average precision and best
  F1 of a threshold on ``-KL(hyponym || hypernym)`` or the maximum cosine
  similarity, on the Baroni et al. (2012) pairs (:func:`evaluate_entailment`).
* **Contextual word similarity** (Section 4.4, Table 4): the Stanford
  Contextual Word Similarities dataset of Huang et al. (2012), with MaxSim,
  AvgSim and context-aware MaxSimC / AvgSimC scores (:func:`evaluate_scws`,
  :func:`context_sense_weights`).

Every function accepts a :class:`w2gm.KeyedGaussianMixtures` or a trained
:class:`w2gm.Word2GM` (its ``wv`` is used).  Similarity measures are named as
in :data:`w2gm.keyed_mixtures.SIMILARITY_METRICS`: ``"max_cos"``,
``"avg_cos"``, ``"expected_likelihood"``, ``"min_euclidean"`` and
``"neg_kl"``.

Example
-------
>>> from w2gm import Word2GM
>>> from w2gm.evaluation import evaluate_benchmarks, format_table
>>> model = Word2GM.load("model.npz")                        # doctest: +SKIP
>>> rows = evaluate_benchmarks(model, metrics=("max_cos", "expected_likelihood"))  # doctest: +SKIP
>>> print(format_table(rows, ("max_cos", "expected_likelihood")))  # doctest: +SKIP
"""

import logging
import math
import os
import re
import warnings
from collections import OrderedDict
from typing import NamedTuple

import numpy as np
import smart_open
from scipy import stats
from scipy.special import log_softmax, logsumexp

from w2gm.keyed_mixtures import (
    SIMILARITY_METRICS,
    KeyedGaussianMixtures,
    _check_metric,
    _component_scores,
    _log_softmax,
)

__all__ = [
    "BENCHMARKS",
    "SIMILARITY_METRICS",
    "BenchmarkRow",
    "EntailmentResult",
    "SCWSPair",
    "SCWSResult",
    "WordPairs",
    "WordPairsResult",
    "average_precision",
    "best_f1",
    "bundled_dataset_path",
    "context_sense_weights",
    "evaluate_benchmarks",
    "evaluate_entailment",
    "evaluate_scws",
    "evaluate_word_pairs",
    "format_table",
    "read_entailment_pairs",
    "read_scws",
    "read_word_pairs",
]

logger = logging.getLogger(__name__)

#: The eleven word-similarity datasets of Table 2 of the paper, in its order:
#: paper name -> file name in ``w2gm/data/similarity/``.
BENCHMARKS = OrderedDict(
    [
        ("SL", "SimLex-999.txt"),
        ("WS", "EN-WS-353-ALL.txt"),
        ("WS-S", "EN-WS-353-SIM.txt"),
        ("WS-R", "EN-WS-353-REL.txt"),
        ("MEN", "EN-MEN-TR-3k.txt"),
        ("MC", "EN-MC-30.txt"),
        ("RG", "EN-RG-65.txt"),
        ("YP", "EN-YP-130.txt"),
        ("MT-287", "EN-MTurk-287.txt"),
        ("MT-771", "EN-MTurk-771.txt"),
        ("RW", "EN-RW-STANFORD.txt"),
    ]
)

_DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "similarity")
_SCORE_COLUMN_NAMES = ("SimLex999",)
_POS_SUFFIX = re.compile(r"-[A-Za-z]$")


# ------------------------------------------------------------------ helpers

def bundled_dataset_path(name):
    """Absolute path of one of the bundled word-similarity datasets.

    Parameters
    ----------
    name : str
        Paper name (a key of :data:`BENCHMARKS`, e.g. ``"WS"``, ``"SL"``,
        ``"MT-771"``; case-insensitive) or file name (e.g.
        ``"EN-WS-353-ALL.txt"``).

    Returns
    -------
    str
        Path inside ``w2gm/data/similarity/``.

    Raises
    ------
    ValueError
        If `name` is neither a dataset name nor a bundled file name (the
        message lists the names).
    """
    if isinstance(name, str):
        for key, filename in BENCHMARKS.items():
            if name.upper() == key or name == filename:
                return os.path.join(_DATA_DIR, filename)
    raise ValueError(
        f"unknown dataset {name!r}; bundled datasets are "
        + ", ".join(f"{k} ({f})" for k, f in BENCHMARKS.items())
    )


def _keyed(kv):
    """The :class:`KeyedGaussianMixtures` of `kv` (itself, or a model's ``wv``)."""
    if isinstance(kv, KeyedGaussianMixtures):
        return kv
    wv = getattr(kv, "wv", None)
    if isinstance(wv, KeyedGaussianMixtures):
        return wv
    raise TypeError(
        f"expected a KeyedGaussianMixtures or a trained Word2GM model, got {type(kv).__name__}"
        + (" without vectors (call build_vocab/train first)" if hasattr(kv, "wv") else "")
    )


class _Lookup:
    """Word -> row index, optionally ignoring case.

    With `case_insensitive`, vocabulary words are keyed by their lowercase
    form; when several share one, the lowest index (for a frequency-sorted
    vocabulary: the most frequent) wins, as in gensim.
    """

    def __init__(self, kv, case_insensitive):
        self.case_insensitive = bool(case_insensitive)
        if self.case_insensitive:
            table = {}
            for i, word in enumerate(kv.index_to_key):
                table.setdefault(word.lower(), i)
            self.table = table
        else:
            self.table = kv.vocabulary_table

    def get(self, word):
        if self.case_insensitive:
            return self.table.get(word.lower())
        index = self.table.index(word)
        return index if index >= 0 else None


def _data_lines(path):
    """Yield ``(line_number, line)`` of the non-blank lines not starting with ``#``.

    Line endings (LF or CRLF) are removed; the line is otherwise as in the file.
    """
    with smart_open.open(os.fspath(path), "r", encoding="utf-8", errors="replace", newline="") as fin:
        text = fin.read()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip()
        if stripped and not stripped.startswith("#"):
            yield number, line


def _fields(line):
    """Split a data line on tabs if it has any (after stripping), else on spaces."""
    line = line.strip()
    if "\t" in line:
        return [f.strip() for f in line.split("\t")]
    return line.split()


def _parse_float(text):
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _warn_malformed(path, count, first, what):
    if count:
        message = (
            f"{path}: skipped {count} malformed line(s) ({what}); first at line {first}"
        )
        warnings.warn(message, UserWarning, stacklevel=3)
        logger.warning(message)


def _correlations(x, y):
    """``(pearson, spearman)`` as ``(statistic, p-value)`` tuples; NaN when undefined.

    Undefined means fewer than 2 pairs or a constant input (no warning is
    raised by scipy in that case).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    nan = (float("nan"), float("nan"))
    if x.shape[0] < 2 or np.all(x == x[0]) or np.all(y == y[0]):
        return nan, nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pr = stats.pearsonr(x, y)
        sr = stats.spearmanr(x, y)
    return (float(pr[0]), float(pr[1])), (float(sr[0]), float(sr[1]))


def _spearman100(x, y):
    return 100.0 * _correlations(x, y)[1][0]


# --------------------------------------------------------------- word pairs

class WordPairs(NamedTuple):
    """Word pairs read by :func:`read_word_pairs`.

    Attributes
    ----------
    pairs : list of tuple
        ``(word1, word2, score)`` with ``score`` a float, in file order.
    n_malformed : int
        Lines skipped as malformed (too few columns, non-numeric score).
    """

    pairs: list
    n_malformed: int


def read_word_pairs(path, case_insensitive=False):
    """Read a word-similarity dataset: one ``word1 word2 score`` per line.

    Columns are separated by tabs (if a line has any) or spaces; LF and CRLF
    line endings are accepted, as is a gzip/bz2 file (via ``smart_open``).
    Blank lines and lines starting with ``#`` are ignored.  If the 3rd
    column of the first data line is not a number, that line is a header:
    the score is then read from the column named ``SimLex999`` when present
    (SimLex-999: ``word1 word2 POS SimLex999 ...``), else from the 3rd.

    Parameters
    ----------
    path : str or os.PathLike
        The dataset file.
    case_insensitive : bool, optional
        Lowercase the words (default False: words as in the file).

    Returns
    -------
    WordPairs
        ``(pairs, n_malformed)``; ``pairs`` is a list of
        ``(word1, word2, score)``.

    Raises
    ------
    ValueError
        If the file holds no valid pair (e.g. it is empty); the message names
        the file.
    OSError
        If the file cannot be read.

    Warns
    -----
    UserWarning
        If malformed lines (fewer columns than needed, or a non-numeric or
        non-finite score) were skipped; the message gives their number and
        the first offending line number.
    """
    pairs = []
    malformed = 0
    first_bad = None
    score_col = 2
    seen_data = False
    for number, line in _data_lines(path):
        fields = _fields(line)
        if not seen_data:
            seen_data = True
            if len(fields) >= 3 and _parse_float(fields[2]) is None:
                for name in _SCORE_COLUMN_NAMES:
                    if name in fields:
                        score_col = fields.index(name)
                        break
                continue  # header line
        score = _parse_float(fields[score_col]) if len(fields) > score_col else None
        if len(fields) < 3 or score is None or not fields[0] or not fields[1]:
            malformed += 1
            if first_bad is None:
                first_bad = number
            continue
        w1, w2 = fields[0], fields[1]
        if case_insensitive:
            w1, w2 = w1.lower(), w2.lower()
        pairs.append((w1, w2, score))
    if not pairs:
        raise ValueError(f"{os.fspath(path)}: no valid word pair (word1 word2 score) found")
    _warn_malformed(os.fspath(path), malformed, first_bad, "need 'word1 word2 score' with a numeric score")
    return WordPairs(pairs, malformed)


class WordPairsResult(NamedTuple):
    """Result of :func:`evaluate_word_pairs`.

    Attributes
    ----------
    pearson : tuple of float
        ``(r, p-value)`` of :func:`scipy.stats.pearsonr`, NaN if undefined
        (fewer than 2 pairs found, or constant scores).
    spearman : tuple of float
        ``(rho, p-value)`` of :func:`scipy.stats.spearmanr`, NaN if undefined.
    oov_ratio : float
        Percentage (0-100, as gensim) of the valid pairs skipped because a
        word is not in the vocabulary.
    n_pairs : int
        Valid pairs in the file.
    n_found : int
        Pairs with both words in the vocabulary (those evaluated).
    n_malformed : int
        Malformed lines skipped.
    """

    pearson: tuple
    spearman: tuple
    oov_ratio: float
    n_pairs: int
    n_found: int
    n_malformed: int


def _pair_indices(data, lookup):
    """Row indices of the pairs found in the vocabulary and their human scores."""
    i1, i2, gold = [], [], []
    for w1, w2, score in data.pairs:
        a = lookup.get(w1)
        b = lookup.get(w2)
        if a is None or b is None:
            continue
        i1.append(a)
        i2.append(b)
        gold.append(score)
    return np.array(i1, dtype=np.intp), np.array(i2, dtype=np.intp), np.array(gold, dtype=np.float64)


def evaluate_word_pairs(kv, path, metric="max_cos", case_insensitive=True):
    """Correlation between model similarities and human similarity ratings.

    The protocol of Section 4.3 of Athiwaratkun & Wilson (2017): for every
    pair of the dataset whose two words are in the vocabulary, the model
    similarity (`metric`) is compared with the human score by Spearman's
    (and Pearson's) correlation; pairs with an unknown word are skipped and
    counted in `oov_ratio`.

    Parameters
    ----------
    kv : KeyedGaussianMixtures or Word2GM
        The embeddings.
    path : str or os.PathLike
        Dataset in the format of :func:`read_word_pairs`; the bundled ones
        are found with :func:`bundled_dataset_path`.
    metric : str, optional
        One of :data:`SIMILARITY_METRICS` (default ``"max_cos"``).
    case_insensitive : bool, optional
        Default True (like gensim): dataset words are lowercased and matched
        against the lowercased vocabulary (if several vocabulary words share
        a lowercase form, the one with the lowest index wins).  False: exact
        matching.

    Returns
    -------
    WordPairsResult
        ``pearson``, ``spearman``, ``oov_ratio`` (percent), ``n_pairs``,
        ``n_found``, ``n_malformed``.

    Raises
    ------
    ValueError
        If `metric` is unknown or the file holds no valid pair.
    TypeError
        If `kv` holds no embeddings.

    Notes
    -----
    The similarities of all found pairs are computed at once by
    :meth:`KeyedGaussianMixtures.score_pairs`.
    """
    wv = _keyed(kv)
    metric = _check_metric(metric)
    data = read_word_pairs(path)
    lookup = _Lookup(wv, case_insensitive)
    i1, i2, gold = _pair_indices(data, lookup)
    sims = wv.score_pairs(i1, i2, metric=metric)
    pearson, spearman = _correlations(gold, sims)
    n_pairs = len(data.pairs)
    n_found = int(gold.shape[0])
    oov = 100.0 * (n_pairs - n_found) / n_pairs
    logger.info(
        "%s (%s): Spearman %.4f over %d of %d pairs (%.1f%% OOV)",
        os.fspath(path), metric, spearman[0], n_found, n_pairs, oov,
    )
    return WordPairsResult(pearson, spearman, oov, n_pairs, n_found, data.n_malformed)


class BenchmarkRow(NamedTuple):
    """One dataset's line of :func:`evaluate_benchmarks`.

    Attributes
    ----------
    name : str
        Paper name (e.g. ``"WS"``) or, for a file given by path, its base name.
    scores : dict
        ``{metric: Spearman rho x 100}`` (NaN if undefined).
    found : int
        Pairs with both words in the vocabulary.
    total : int
        Valid pairs in the dataset.
    """

    name: str
    scores: dict
    found: int
    total: int


def evaluate_benchmarks(kv, metrics=("max_cos",), datasets=None, case_insensitive=True):
    """Spearman correlation x 100 on several word-similarity datasets (Table 2).

    Parameters
    ----------
    kv : KeyedGaussianMixtures or Word2GM
        The embeddings.
    metrics : sequence of str, optional
        Similarity measures, each one of :data:`SIMILARITY_METRICS`.
    datasets : sequence of str or os.PathLike, optional
        Bundled dataset names (keys of :data:`BENCHMARKS`) or file paths;
        default: the eleven bundled datasets in the paper's order (SL, WS,
        WS-S, WS-R, MEN, MC, RG, YP, MT-287, MT-771, RW).
    case_insensitive : bool, optional
        As in :func:`evaluate_word_pairs`.

    Returns
    -------
    list of BenchmarkRow
        ``(name, {metric: spearman x 100}, found, total)`` per dataset.

    Raises
    ------
    ValueError
        If a metric or bundled dataset name is unknown, or a file holds no
        valid pair.
    FileNotFoundError
        If a dataset path does not exist.
    """
    wv = _keyed(kv)
    if isinstance(metrics, str):
        metrics = (metrics,)
    metrics = [_check_metric(m) for m in metrics]
    if not metrics:
        raise ValueError("metrics is empty: give at least one of " + ", ".join(SIMILARITY_METRICS))
    if datasets is None:
        datasets = list(BENCHMARKS)
    lookup = _Lookup(wv, case_insensitive)
    rows = []
    for dataset in datasets:
        if isinstance(dataset, str) and dataset.upper() in BENCHMARKS and not os.path.exists(dataset):
            name, path = dataset.upper(), bundled_dataset_path(dataset)
        else:
            path = os.fspath(dataset)
            if not os.path.exists(path):
                raise FileNotFoundError(
                    f"no such dataset file: {path!r} (bundled names: {', '.join(BENCHMARKS)})"
                )
            name = os.path.basename(path)
        data = read_word_pairs(path)
        i1, i2, gold = _pair_indices(data, lookup)
        scores = {m: _spearman100(gold, wv.score_pairs(i1, i2, metric=m)) for m in metrics}
        rows.append(BenchmarkRow(name, scores, int(gold.shape[0]), len(data.pairs)))
    return rows


def format_table(rows, metrics):
    """Plain-text table of :func:`evaluate_benchmarks` rows.

    Parameters
    ----------
    rows : sequence of BenchmarkRow
        As returned by :func:`evaluate_benchmarks`.
    metrics : sequence of str
        Columns, in order (each a key of the rows' ``scores``).

    Returns
    -------
    str
        One header line, a rule and one line per dataset: the name, the
        Spearman x 100 per metric (2 decimals, ``nan`` if undefined) and
        ``found/total`` pairs.  No trailing newline.
    """
    if isinstance(metrics, str):
        metrics = (metrics,)
    metrics = list(metrics)
    header = ["dataset"] + metrics + ["pairs found"]
    body = []
    for row in rows:
        cells = [row.name]
        for m in metrics:
            value = row.scores.get(m, float("nan"))
            cells.append("nan" if value is None or math.isnan(value) else f"{value:.2f}")
        cells.append(f"{row.found}/{row.total}")
        body.append(cells)
    widths = [max(len(r[c]) for r in [header] + body) for c in range(len(header))]
    lines = []
    for cells in [header] + body:
        parts = [cells[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(cells[1:], widths[1:])
        ]
        lines.append("  ".join(parts).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# ---------------------------------------------------------------- entailment

def read_entailment_pairs(path, case_insensitive=False):
    """Read entailment pairs in the Baroni et al. (2012) format.

    One pair a line, ``hyponym-n<TAB>hypernym-n`` (tabs or spaces; further
    columns are ignored); a single-letter part-of-speech suffix ``-x``
    (``-n``, ``-v``, ``-j``, ...) is stripped from each word.  Blank lines and
    ``#`` comments are ignored.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    case_insensitive : bool, optional
        Lowercase the words.

    Returns
    -------
    list of tuple
        ``(hyponym, hypernym)`` pairs in file order.

    Raises
    ------
    ValueError
        If the file holds no pair; the message names the file.

    Warns
    -----
    UserWarning
        If lines with fewer than two columns were skipped.
    """
    pairs = []
    malformed = 0
    first_bad = None
    for number, line in _data_lines(path):
        fields = _fields(line)
        if len(fields) < 2 or not fields[0] or not fields[1]:
            malformed += 1
            first_bad = first_bad or number
            continue
        w1 = _POS_SUFFIX.sub("", fields[0])
        w2 = _POS_SUFFIX.sub("", fields[1])
        if case_insensitive:
            w1, w2 = w1.lower(), w2.lower()
        pairs.append((w1, w2))
    if not pairs:
        raise ValueError(f"{os.fspath(path)}: no entailment pair (hyponym<TAB>hypernym) found")
    _warn_malformed(os.fspath(path), malformed, first_bad, "need two columns")
    return pairs


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
    tp = np.sum(pred & labels)
    fp = np.sum(pred & ~labels)
    fn = np.sum(~pred & labels)
    f1 = 2.0 * tp / (2.0 * tp + fp + fn) if (2 * tp + fp + fn) else 0.0
    return float(f1), float(np.mean(pred == labels))


def _cv_threshold(scores, labels, folds, seed):
    """Pooled F1 and accuracy of thresholds chosen by stratified k-fold CV."""
    rng = np.random.default_rng(seed)
    fold_of = np.empty(labels.shape[0], dtype=np.intp)
    offset = 0
    for cls in (True, False):
        members = np.flatnonzero(labels == cls)
        members = members[rng.permutation(members.shape[0])]
        fold_of[members] = (np.arange(members.shape[0]) + offset) % folds
        offset += members.shape[0]
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
        :func:`read_entailment_pairs`): ``hyponym-n<TAB>hypernym-n``.
    metric : str, optional
        ``"neg_kl"`` (default) or ``"max_cos"`` as in the paper, or any of
        :data:`SIMILARITY_METRICS`.
    case_insensitive : bool, optional
        As in :func:`evaluate_word_pairs`.
    folds : int, optional
        Number of cross-validation folds (>= 2).
    seed : int, optional
        Seed of the (deterministic) stratified fold assignment.

    Returns
    -------
    EntailmentResult
        Average precision and best F1 over thresholds (as in Table 5, where
        they are reported x 100), plus the F1 and accuracy of a threshold
        chosen by stratified `folds`-fold cross-validation: on each fold the
        threshold maximising F1 on the other folds (midway between that
        score and the next lower one) is applied to the held-out pairs, and
        F1 and accuracy are computed over all held-out predictions pooled.
        Values are NaN when undefined (no found positive, or fewer found
        pairs than folds for the cross-validated values).

    Raises
    ------
    ValueError
        If `metric` is unknown, `folds` < 2, or a file holds no pair.
    """
    wv = _keyed(kv)
    metric = _check_metric(metric)
    if not isinstance(folds, int) or isinstance(folds, bool) or folds < 2:
        raise ValueError(f"folds must be an integer >= 2, got {folds!r}")
    lookup = _Lookup(wv, case_insensitive)
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
        cv_f1, cv_acc = _cv_threshold(scores, labels, folds, seed)
    return EntailmentResult(ap, f1, threshold, cv_f1, cv_acc, n_found, total, n_pos,
                            n_found - n_pos, metric)


# ---------------------------------------------------------------------- SCWS

class SCWSPair(NamedTuple):
    """One SCWS item: two words, each in its own context, and the mean rating."""

    word1: str
    context1: list
    position1: int
    word2: str
    context2: list
    position2: int
    rating: float


def _locate_target(context):
    """Tokens of a context without the ``<b> ... </b>`` markers, and the target's position."""
    tokens = context.split()
    try:
        start = tokens.index("<b>")
    except ValueError:
        return None, None
    clean = tokens[:start] + [t for t in tokens[start + 1:] if t not in ("<b>", "</b>")]
    if start >= len(clean):
        return None, None
    return clean, start


def read_scws(path):
    """Read the Stanford Contextual Word Similarities dataset (Huang et al. 2012).

    Tab-separated lines: id, word1, POS1, word2, POS2, context1, context2,
    average rating, then the ten individual ratings (ignored).  The target
    word is marked ``<b> word </b>`` in its (tokenised) context.

    Parameters
    ----------
    path : str or os.PathLike
        The ``ratings.txt`` file.

    Returns
    -------
    list of SCWSPair
        With the contexts as token lists (markers removed) and the target's
        token position in each.

    Raises
    ------
    ValueError
        If the file holds no valid item.

    Warns
    -----
    UserWarning
        If lines with fewer than 8 columns, a non-numeric rating or no
        ``<b>`` marker were skipped.
    """
    items = []
    malformed = 0
    first_bad = None
    for number, line in _data_lines(path):
        fields = line.rstrip("\r\n").split("\t")
        ok = len(fields) >= 8
        if ok:
            rating = _parse_float(fields[7].strip())
            ctx1, pos1 = _locate_target(fields[5])
            ctx2, pos2 = _locate_target(fields[6])
            ok = rating is not None and ctx1 is not None and ctx2 is not None
        if not ok:
            malformed += 1
            first_bad = first_bad or number
            continue
        items.append(SCWSPair(fields[1].strip(), ctx1, pos1, fields[3].strip(), ctx2, pos2, rating))
    if not items:
        raise ValueError(f"{os.fspath(path)}: no valid SCWS item found")
    _warn_malformed(os.fspath(path), malformed, first_bad,
                    "need 8+ tab-separated columns, a numeric rating and <b> word </b> in both contexts")
    return items


def _sense_log_posterior(wv, index, context_indices):
    """Log responsibilities ``(K,)`` of word `index`'s components given context words.

    ``log r_k = log p_k + sum_c log E(N_k, g_c) - const``, where
    ``log E(N_k, g_c) = logsumexp_j(log q_cj + xi_kj)`` is the expected
    likelihood kernel between component ``k`` (weight 1) and the mixture of
    context word ``c``.
    """
    log_prior = _log_softmax(wv.logits[index])
    if len(context_indices) == 0:
        return log_prior
    ctx = np.asarray(context_indices, dtype=np.intp)
    xi = _component_scores(
        "expected_likelihood",
        wv.means[index:index + 1], wv.log_variances[index:index + 1],
        wv.means[ctx], wv.log_variances[ctx],
    )  # (C, K, Kc)
    log_e = logsumexp(xi + _log_softmax(wv.logits[ctx])[:, None, :], axis=2)  # (C, K)
    return log_softmax(log_prior + log_e.sum(axis=0))


def context_sense_weights(kv, word, context, case_insensitive=True):
    """Posterior weights of a word's mixture components given context words.

    Treating the context words as independent evidence about which meaning
    (component) of `word` is used, and measuring the compatibility of
    component ``k`` with context word ``c`` by the same expected likelihood
    kernel the model is trained to make large for observed (word, context)
    pairs (Section 3.4)::

        r_k  propto  p_k * prod_c E(N(mu_k, Sigma_k), g_c)
        log E(N_k, g_c) = log sum_j q_cj N(0; mu_k - mu_cj, Sigma_k + Sigma_cj)

    i.e. a naive-Bayes posterior over the components with the mixture
    weights ``p`` as prior.  Context words missing from the vocabulary are
    ignored; with no usable context the result is the prior ``p``.  The
    context words' own (input) distributions are used.

    Parameters
    ----------
    kv : KeyedGaussianMixtures or Word2GM
        The embeddings.
    word : str
        The target word.
    context : iterable of str
        Context words (e.g. a window around the target, without it).
    case_insensitive : bool, optional
        Match words lowercased, as in :func:`evaluate_word_pairs`.

    Returns
    -------
    numpy.ndarray
        ``(K,)`` float64 responsibilities, summing to 1.

    Raises
    ------
    KeyError
        If `word` is not in the vocabulary.
    """
    wv = _keyed(kv)
    lookup = _Lookup(wv, case_insensitive)
    index = lookup.get(word)
    if index is None:
        raise KeyError(f"word {word!r} not in vocabulary")
    ctx = [i for i in (lookup.get(w) for w in context) if i is not None]
    return np.exp(_sense_log_posterior(wv, index, ctx))


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


def evaluate_scws(kv, path, window=5, case_insensitive=True):
    """Contextual word similarity on SCWS (Huang et al. 2012; paper Section 4.4, Table 4).

    For every item whose two target words are in the vocabulary, four model
    scores are correlated (Spearman, x 100) with the average human rating:

    * MaxSim and AvgSim ignore the contexts (``"max_cos"`` and ``"avg_cos"``
      of :meth:`KeyedGaussianMixtures.similarity`);
    * MaxSimC and AvgSimC use them: for each target, the responsibilities
      ``r`` of its components given the in-vocabulary words within `window`
      tokens on either side (excluding the target itself) are computed by
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
        The SCWS ``ratings.txt`` file (format in :func:`read_scws`).
    window : int, optional
        Context tokens taken on each side of the target (punctuation and
        other out-of-vocabulary tokens count as positions, then are dropped).
    case_insensitive : bool, optional
        Match words lowercased.

    Returns
    -------
    SCWSResult
        ``max_sim``, ``avg_sim``, ``max_sim_c``, ``avg_sim_c`` (Spearman x 100,
        NaN if undefined), ``n_pairs``, ``n_found``.

    Raises
    ------
    ValueError
        If `window` is negative or the file holds no valid item.
    """
    wv = _keyed(kv)
    if not isinstance(window, int) or isinstance(window, bool) or window < 0:
        raise ValueError(f"window must be a non-negative integer, got {window!r}")
    items = read_scws(path)
    lookup = _Lookup(wv, case_insensitive)
    unit = wv.means.astype(np.float64)
    norms = np.linalg.norm(unit, axis=2, keepdims=True)
    gold, max_sim, avg_sim, max_sim_c, avg_sim_c = [], [], [], [], []

    def responsibilities(index, tokens, position):
        lo = max(0, position - window)
        near = tokens[lo:position] + tokens[position + 1:position + 1 + window]
        ctx = [i for i in (lookup.get(t) for t in near) if i is not None]
        return np.exp(_sense_log_posterior(wv, index, ctx))

    for item in items:
        a, b = lookup.get(item.word1), lookup.get(item.word2)
        if a is None or b is None:
            continue
        ua = unit[a] / np.where(norms[a] == 0, 1.0, norms[a])
        ub = unit[b] / np.where(norms[b] == 0, 1.0, norms[b])
        cos = ua @ ub.T  # (K, K)
        pa = np.exp(_log_softmax(wv.logits[a]))
        pb = np.exp(_log_softmax(wv.logits[b]))
        ra = responsibilities(a, item.context1, item.position1)
        rb = responsibilities(b, item.context2, item.position2)
        gold.append(item.rating)
        max_sim.append(cos.max())
        avg_sim.append(pa @ cos @ pb)
        max_sim_c.append(cos[np.argmax(ra), np.argmax(rb)])
        avg_sim_c.append(ra @ cos @ rb)
    return SCWSResult(
        _spearman100(gold, max_sim),
        _spearman100(gold, avg_sim),
        _spearman100(gold, max_sim_c),
        _spearman100(gold, avg_sim_c),
        len(items),
        len(gold),
    )
