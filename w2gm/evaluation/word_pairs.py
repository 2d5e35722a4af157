"""Word-similarity evaluation: correlation of model similarities with human ratings.

The protocol of Section 4.3 and Table 2 of Athiwaratkun & Wilson (2017),
"Multimodal Word Distributions" (ACL): for every pair of a dataset whose two
words are in the vocabulary, the model similarity is compared with the human
score by Spearman's (and Pearson's) correlation (:func:`evaluate_word_pairs`,
with gensim's arguments and result ``(pearson, spearman, oov_ratio)``, and
:func:`evaluate_word_pairs_detailed`, which adds the counts; on several
datasets at once, by default the eleven bundled ones of
:data:`w2gm.evaluation.datasets.BENCHMARKS`: :func:`evaluate_benchmarks`,
printed by :func:`format_table`).

The pieces every evaluation task shares are here too: :func:`keyed_mixtures_of`
(accept a :class:`w2gm.KeyedGaussianMixtures` or a trained
:class:`w2gm.Word2GM`), :class:`VocabularyLookup` (optionally case-insensitive
word -> row lookup) and :func:`correlations`.

This module does not import :mod:`w2gm.keyed_mixtures` (which imports it, for
:meth:`w2gm.KeyedGaussianMixtures.evaluate_word_pairs`): the embeddings are
used through their query interface (``score_pairs``, ``vocabulary_table``,
``index_to_key``, ``means``, ``log_variances``, ``logits``).
"""

import codecs
import logging
import math
import numbers
import os
import warnings
from typing import NamedTuple

import numpy as np

from w2gm.evaluation.datasets import BENCHMARKS, bundled_dataset_path, check_delimiter, read_word_pairs
from w2gm.exceptions import ParameterError
from w2gm.similarity import SIMILARITY_METRICS, check_metric

__all__ = [
    "BenchmarkRow",
    "VocabularyLookup",
    "WordPairsResult",
    "Correlation",
    "correlations",
    "evaluate_benchmarks",
    "evaluate_word_pairs",
    "evaluate_word_pairs_detailed",
    "format_table",
    "keyed_mixtures_of",
    "spearman_x100",
]

logger = logging.getLogger(__name__)

# What the evaluation functions use of a w2gm.KeyedGaussianMixtures.
_QUERY_INTERFACE = ("score_pairs", "vocabulary_table", "index_to_key", "means", "log_variances", "logits")


# ----------------------------------------------------------- shared helpers

def _has_query_interface(obj):
    return obj is not None and all(hasattr(obj, name) for name in _QUERY_INTERFACE)


def keyed_mixtures_of(kv):
    """The word mixtures to evaluate: `kv` itself, or a model's ``wv``.

    Parameters
    ----------
    kv : KeyedGaussianMixtures or Word2GM
        A :class:`w2gm.KeyedGaussianMixtures` (or an object with its query
        interface: ``score_pairs``, ``vocabulary_table``, ``index_to_key``,
        ``means``, ``log_variances``, ``logits``), or a model whose ``wv``
        is one (a trained :class:`w2gm.Word2GM`).

    Returns
    -------
    KeyedGaussianMixtures

    Raises
    ------
    TypeError
        If `kv` is neither (e.g. a model that has not been trained yet).
    """
    if _has_query_interface(kv):
        return kv
    wv = getattr(kv, "wv", None)
    if _has_query_interface(wv):
        return wv
    raise TypeError(
        f"expected a KeyedGaussianMixtures or a trained Word2GM model, got {type(kv).__name__}"
        + (" without vectors (call build_vocab/train first)" if hasattr(kv, "wv") else "")
    )


def check_restrict_vocab(restrict_vocab, vocab_size):
    """The number of leading words a ``restrict_vocab`` keeps (None: all), or ParameterError."""
    if restrict_vocab is None:
        return vocab_size
    if (not isinstance(restrict_vocab, numbers.Integral) or isinstance(restrict_vocab, (bool, np.bool_))
            or restrict_vocab < 0):
        raise ParameterError(f"restrict_vocab must be None or a non-negative integer, got {restrict_vocab!r}")
    return min(int(restrict_vocab), vocab_size)


class VocabularyLookup:
    """Word -> row index of a vocabulary, optionally ignoring case or limited to its first words.

    With `case_insensitive`, vocabulary words are keyed by their uppercase
    form (``str.upper``, as gensim); when several share one, the lowest index
    (for a frequency-sorted vocabulary: the most frequent) wins, as in gensim.

    Parameters
    ----------
    kv : KeyedGaussianMixtures
        The vocabulary's owner.
    case_insensitive : bool
        Whether :meth:`get` uppercases the word and matches it against the
        uppercased vocabulary.
    restrict_vocab : int, optional
        Only the first `restrict_vocab` words count as known (gensim's
        ``restrict_vocab``); None: all.
    """

    def __init__(self, kv, case_insensitive, restrict_vocab=None):
        self.case_insensitive = bool(case_insensitive)
        self.limit = check_restrict_vocab(restrict_vocab, len(kv.vocabulary_table))
        if self.case_insensitive:
            table = {}
            for i, word in enumerate(kv.index_to_key[:self.limit]):
                table.setdefault(word.upper(), i)
            self.table = table
        else:
            self.table = kv.vocabulary_table

    def get(self, word):
        """Row index of `word` (int), or None if it is not in the (restricted) vocabulary."""
        if self.case_insensitive:
            return self.table.get(word.upper())
        index = self.table.index(word)
        return index if 0 <= index < self.limit else None


class Correlation(NamedTuple):
    """A correlation and its two-sided p-value; a tuple, as gensim's scipy results unpack.

    ``statistic`` and ``pvalue`` are the names of scipy's result objects
    (``PearsonRResult``, ``SignificanceResult``); ``correlation`` is the
    older name scipy's Spearman result still answers to.
    """

    statistic: float
    pvalue: float

    @property
    def correlation(self):
        """float: the same as :attr:`statistic`."""
        return self.statistic


def correlations(x, y):
    """Pearson's and Spearman's correlation of two samples, NaN when undefined.

    Parameters
    ----------
    x, y : array_like
        ``(N,)`` paired samples.

    Returns
    -------
    tuple
        ``(pearson, spearman)``, each a :class:`Correlation` ``(statistic,
        pvalue)`` of floats from :func:`scipy.stats.pearsonr` and
        :func:`scipy.stats.spearmanr`; both ``(nan, nan)`` when undefined
        (fewer than 2 pairs, or a constant input), without a warning.
    """
    # Imported here: importing w2gm (which imports this module) should not load scipy.stats.
    from scipy import stats

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    nan = Correlation(float("nan"), float("nan"))
    if x.shape[0] < 2 or np.all(x == x[0]) or np.all(y == y[0]):
        return nan, nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pr = stats.pearsonr(x, y)
        sr = stats.spearmanr(x, y)
    return Correlation(float(pr[0]), float(pr[1])), Correlation(float(sr[0]), float(sr[1]))


def spearman_x100(x, y):
    """Spearman's rho x 100 of two samples (NaN when undefined), as the paper's tables report it."""
    return 100.0 * correlations(x, y)[1][0]


# ----------------------------------------------------- word-pair evaluation

class WordPairsResult(NamedTuple):
    """Result of :func:`evaluate_word_pairs_detailed`; its first three fields are gensim's result.

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
        Pairs with both words in the (restricted) vocabulary.  Only these are
        evaluated, unless ``dummy4unknown`` adds the others with similarity 0.
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
    """Row indices of the pairs found in the vocabulary, their human scores, and the OOV scores."""
    i1, i2, gold, oov_gold = [], [], [], []
    for w1, w2, score in data.pairs:
        a = lookup.get(w1)
        b = lookup.get(w2)
        if a is None or b is None:
            oov_gold.append(score)
            continue
        i1.append(a)
        i2.append(b)
        gold.append(score)
    return (np.array(i1, dtype=np.intp), np.array(i2, dtype=np.intp), np.array(gold, dtype=np.float64),
            np.array(oov_gold, dtype=np.float64))


def _check_encoding(encoding):
    """Accept only UTF-8 (the shared reader decodes UTF-8 strictly)."""
    try:
        name = codecs.lookup(encoding).name if isinstance(encoding, str) else None
    except LookupError:
        name = None
    if name != "utf-8":
        raise ParameterError(f"encoding {encoding!r} is not supported: word-pair files are read as UTF-8")


def evaluate_word_pairs_detailed(kv, pairs, delimiter="\t", encoding="utf8", restrict_vocab=300000,
                                 case_insensitive=True, dummy4unknown=False, *, metric="max_cos"):
    """Correlation between model similarities and human similarity ratings, with counts.

    The protocol of Section 4.3 of Athiwaratkun & Wilson (2017) and of
    gensim's ``evaluate_word_pairs``: for every pair of the dataset whose two
    words are in the vocabulary, the model similarity (`metric`) is compared
    with the human score by Spearman's (and Pearson's) correlation; pairs
    with an unknown word are skipped (or scored 0 with `dummy4unknown`) and
    counted in `oov_ratio`.

    Parameters
    ----------
    kv : KeyedGaussianMixtures or Word2GM
        The embeddings.
    pairs : str or os.PathLike
        Dataset in the format of
        :func:`w2gm.evaluation.datasets.read_word_pairs`; the bundled ones are
        found with :func:`w2gm.evaluation.datasets.bundled_dataset_path`.
    delimiter : str or None, optional
        Column separator (default a tab, gensim's).  Decision: a line that
        does not hold it is split on runs of whitespace, so every bundled
        dataset (eight tab-separated, three space-separated) reads with the
        default; None always splits on whitespace.
    encoding : str, optional
        Only UTF-8 is supported (any name of it; gensim's default ``"utf8"``).
    restrict_vocab : int or None, optional
        Only the first `restrict_vocab` words (the most frequent, for a
        trained model) count as known, as gensim (default 300000); None: all.
    case_insensitive : bool, optional
        Default True (like gensim): dataset and vocabulary words are compared
        uppercased (if several vocabulary words share an uppercase form, the
        one with the lowest index wins).  False: exact matching.
    dummy4unknown : bool, optional
        Score pairs with an unknown word as similarity 0 and keep them in the
        correlations (gensim), instead of skipping them.
    metric : str, optional
        One of :data:`w2gm.similarity.SIMILARITY_METRICS` (default
        ``"max_cos"``).

    Returns
    -------
    WordPairsResult
        ``pearson``, ``spearman``, ``oov_ratio`` (percent of the valid pairs
        with an unknown word, as gensim), ``n_pairs``, ``n_found``,
        ``n_malformed``.  The correlations are NaN when undefined (fewer than
        2 pairs, constant scores); gensim raises ``ValueError`` when no pair is
        found instead.

    Raises
    ------
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `metric` is unknown, `delimiter` is not a
        non-empty string or None, `encoding` is not UTF-8, or
        `restrict_vocab` is not a non-negative integer or None.
    w2gm.exceptions.DatasetFormatError
        (a ``ValueError``) If the file holds no valid pair, or is not UTF-8
        text or corrupt (see :mod:`w2gm.evaluation.datasets`).
    TypeError
        If `kv` holds no embeddings.

    Notes
    -----
    The similarities of all found pairs are computed at once by
    :meth:`w2gm.KeyedGaussianMixtures.score_pairs`.
    """
    wv = keyed_mixtures_of(kv)
    metric = check_metric(metric)
    delimiter = check_delimiter(delimiter)
    _check_encoding(encoding)
    lookup = VocabularyLookup(wv, case_insensitive, restrict_vocab)
    data = read_word_pairs(pairs, delimiter=delimiter)
    i1, i2, gold, oov_gold = _pair_indices(data, lookup)
    sims = wv.score_pairs(i1, i2, metric=metric)
    if dummy4unknown:
        gold = np.concatenate([gold, oov_gold])
        sims = np.concatenate([sims, np.zeros(oov_gold.shape[0])])
    pearson, spearman = correlations(gold, sims)
    n_pairs = len(data.pairs)
    n_found = int(i1.shape[0])
    oov = 100.0 * (n_pairs - n_found) / n_pairs
    logger.info(
        "%s (%s): Pearson %.4f, Spearman %.4f over %d of %d pairs (%.1f%% OOV)",
        os.fspath(pairs), metric, pearson[0], spearman[0], gold.shape[0], n_pairs, oov,
    )
    return WordPairsResult(pearson, spearman, oov, n_pairs, n_found, data.n_malformed)


def evaluate_word_pairs(kv, pairs, delimiter="\t", encoding="utf8", restrict_vocab=300000,
                        case_insensitive=True, dummy4unknown=False, *, metric="max_cos"):
    """Correlation between model similarities and human ratings, as gensim's ``evaluate_word_pairs``.

    :func:`evaluate_word_pairs_detailed` without the counts; see there for
    the parameters and errors.

    Returns
    -------
    tuple
        ``(pearson, spearman, oov_ratio)``: ``(statistic, p-value)`` tuples
        of floats (NaN when undefined) and the percentage of pairs with an
        unknown word.
    """
    result = evaluate_word_pairs_detailed(
        kv, pairs, delimiter=delimiter, encoding=encoding, restrict_vocab=restrict_vocab,
        case_insensitive=case_insensitive, dummy4unknown=dummy4unknown, metric=metric)
    return result.pearson, result.spearman, result.oov_ratio


# ----------------------------------------------------------------- Table 2

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


def _benchmark_metrics(metrics):
    """`metrics` (one name or a sequence) as a validated, non-empty list."""
    if isinstance(metrics, str):
        metrics = (metrics,)
    metrics = [check_metric(m) for m in metrics]
    if not metrics:
        raise ParameterError("metrics is empty: give at least one of " + ", ".join(SIMILARITY_METRICS))
    return metrics


def _dataset_name_and_path(dataset):
    """``(row name, file path)`` of a bundled dataset name or a dataset file path."""
    if isinstance(dataset, str) and dataset.upper() in BENCHMARKS and not os.path.exists(dataset):
        return dataset.upper(), bundled_dataset_path(dataset)
    path = os.fspath(dataset)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"no such dataset file: {path!r} (bundled names: {', '.join(BENCHMARKS)})"
        )
    return os.path.basename(path), path


def evaluate_benchmarks(kv, metrics=("max_cos",), datasets=None, case_insensitive=True):
    """Spearman correlation x 100 on several word-similarity datasets (Table 2).

    Parameters
    ----------
    kv : KeyedGaussianMixtures or Word2GM
        The embeddings.
    metrics : sequence of str, optional
        Similarity measures, each one of
        :data:`w2gm.similarity.SIMILARITY_METRICS`.
    datasets : sequence of str or os.PathLike, optional
        Bundled dataset names (keys of
        :data:`w2gm.evaluation.datasets.BENCHMARKS`) or file paths; default:
        the eleven bundled datasets in the paper's order (SL, WS, WS-S, WS-R,
        MEN, MC, RG, YP, MT-287, MT-771, RW).
    case_insensitive : bool, optional
        As in :func:`evaluate_word_pairs_detailed`.

    Returns
    -------
    list of BenchmarkRow
        ``(name, {metric: spearman x 100}, found, total)`` per dataset.

    Raises
    ------
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If a metric is unknown or `metrics` is empty.
    w2gm.exceptions.DatasetFormatError
        (a ``ValueError``) If a file holds no valid pair.
    FileNotFoundError
        If a dataset path does not exist.
    """
    wv = keyed_mixtures_of(kv)
    metrics = _benchmark_metrics(metrics)
    if datasets is None:
        datasets = list(BENCHMARKS)
    lookup = VocabularyLookup(wv, case_insensitive)
    rows = []
    for dataset in datasets:
        name, path = _dataset_name_and_path(dataset)
        data = read_word_pairs(path)
        i1, i2, gold, _ = _pair_indices(data, lookup)
        scores = {m: spearman_x100(gold, wv.score_pairs(i1, i2, metric=m)) for m in metrics}
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
