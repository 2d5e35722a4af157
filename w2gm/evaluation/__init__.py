"""Evaluation of Word2GM embeddings: word similarity, entailment, contextual similarity.

The tasks of Athiwaratkun & Wilson (2017), "Multimodal Word Distributions"
(ACL), Section 4, one module each:

* :mod:`w2gm.evaluation.word_pairs` -- **word similarity** (Section 4.3,
  Table 2): Spearman correlation between human ratings of word pairs and
  model similarities (:func:`evaluate_word_pairs` with gensim's result,
  :func:`evaluate_word_pairs_detailed` with counts, :func:`evaluate_benchmarks`,
  :func:`format_table`).
* :mod:`w2gm.evaluation.entailment` -- **word entailment** (Section 4.6,
  Table 5): best average precision and best F1 of a threshold on
  ``-KL(hyponym || hypernym)`` or the maximum cosine similarity, on the
  Baroni et al. (2012) pairs (:func:`evaluate_entailment`).
* :mod:`w2gm.evaluation.scws` -- **contextual word similarity** (Section 4.4,
  Table 4): the Stanford Contextual Word Similarities dataset of Huang et al.
  (2012), with MaxSim, AvgSim and context-aware MaxSimC / AvgSimC scores
  (:func:`evaluate_scws`, :func:`context_sense_weights`).
* :mod:`w2gm.evaluation.analogies` -- **word analogies** ``a:b::c:?``
  (gensim's ``evaluate_word_analogies``, with a choice of how the mixtures
  enter the vector arithmetic; :func:`evaluate_word_analogies`,
  :func:`analogy_summary`).
* :mod:`w2gm.evaluation.datasets` -- the dataset readers, the eleven
  word-similarity datasets bundled in ``w2gm/data/similarity/``
  (:data:`BENCHMARKS`, :func:`bundled_dataset_path`) and word2vec's Google
  analogy set (:func:`bundled_analogies_path`).

Every function accepts a :class:`w2gm.KeyedGaussianMixtures` or a trained
:class:`w2gm.Word2GM` (its ``wv`` is used).  Similarity measures are named as
in :data:`w2gm.similarity.SIMILARITY_METRICS`: ``"max_cos"``, ``"avg_cos"``,
``"expected_likelihood"``, ``"min_euclidean"`` and ``"neg_kl"``.  The names
below are re-exported here, so ``from w2gm.evaluation import X`` works for
all of them.

Example
-------
>>> from w2gm import Word2GM
>>> from w2gm.evaluation import evaluate_benchmarks, format_table
>>> model = Word2GM.load("model.npz")                        # doctest: +SKIP
>>> rows = evaluate_benchmarks(model, metrics=("max_cos", "expected_likelihood"))  # doctest: +SKIP
>>> print(format_table(rows, ("max_cos", "expected_likelihood")))  # doctest: +SKIP
"""

from w2gm.evaluation.analogies import AnalogySummary, analogy_summary, evaluate_word_analogies
from w2gm.evaluation.datasets import (
    BENCHMARKS,
    AnalogyQuestions,
    SCWSPair,
    WordPairs,
    bundled_analogies_path,
    bundled_dataset_path,
    read_analogies,
    read_entailment_pairs,
    read_scws,
    read_word_pairs,
)
from w2gm.evaluation.entailment import EntailmentResult, average_precision, best_f1, evaluate_entailment
from w2gm.evaluation.scws import SCWSResult, context_sense_weights, evaluate_scws
from w2gm.evaluation.word_pairs import (
    BenchmarkRow,
    WordPairsResult,
    evaluate_benchmarks,
    evaluate_word_pairs,
    evaluate_word_pairs_detailed,
    format_table,
)
from w2gm.similarity import SIMILARITY_METRICS

__all__ = [
    "BENCHMARKS",
    "SIMILARITY_METRICS",
    "AnalogyQuestions",
    "AnalogySummary",
    "BenchmarkRow",
    "EntailmentResult",
    "SCWSPair",
    "SCWSResult",
    "WordPairs",
    "WordPairsResult",
    "analogy_summary",
    "average_precision",
    "best_f1",
    "bundled_analogies_path",
    "bundled_dataset_path",
    "context_sense_weights",
    "evaluate_benchmarks",
    "evaluate_entailment",
    "evaluate_scws",
    "evaluate_word_analogies",
    "evaluate_word_pairs",
    "evaluate_word_pairs_detailed",
    "format_table",
    "read_analogies",
    "read_entailment_pairs",
    "read_scws",
    "read_word_pairs",
]
