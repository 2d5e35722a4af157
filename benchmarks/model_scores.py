"""Scores of saved models on the eleven similarity sets, the SCWS and entailment dev halves, and generality.

For each model file (a w2gm model, or a gensim ``Word2Vec`` ``.model`` file wrapped as
one-component mixtures) it prints:

* Spearman x 100 on the eleven bundled datasets under max_cos, avg_cos and expected_likelihood,
  and the cosine of the point vectors ``wv.vectors`` (w2gm models);
* SCWS dev (window 5): MaxSim, AvgSim, MaxSimC, AvgSimC;
* entailment dev: best AP x 100 under max_cos, expected_likelihood and neg_kl;
* generality: the share of dev positive entailment pairs whose hypernym has the larger
  ``w2gm.senses.generality``, its Spearman correlation with the word count over the 10,000 most
  frequent words, and the mean variance.

These are the columns of the issue-12 table in ``docs/quality.md``. The dev halves are for
tuning; report their figures as "dev".

Usage::

    python benchmarks/model_scores.py MODEL [MODEL ...] [--data-dir ../shared/data/dev]
"""

import argparse
import os

import numpy as np
from scipy.stats import spearmanr

from w2gm import KeyedGaussianMixtures, Word2GM
from w2gm.evaluation import evaluate_benchmarks, evaluate_entailment, evaluate_scws
from w2gm.evaluation.datasets import read_entailment_pairs
from w2gm.senses import generality

DEFAULT_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "dev")
POSITIVE = "baroni2012-entailment-dev-positive.txt"
NEGATIVE = "baroni2012-entailment-dev-negative.txt"


def load(path):
    if path.endswith(".model"):
        from gensim.models import Word2Vec
        return KeyedGaussianMixtures.from_keyed_vectors(Word2Vec.load(path).wv)
    return Word2GM.load(path).wv


def point_mixtures(wv):
    """The point vectors ``wv.vectors`` as one-component mixtures (max_cos is then their cosine)."""
    n = len(wv)
    return KeyedGaussianMixtures(list(wv.index_to_key), np.asarray(wv.vectors)[:, None, :],
                                 np.zeros((n, 1, 1), np.float32), np.zeros((n, 1), np.float32))


def similarity_rows(wv):
    metrics = ("max_cos",) if wv.num_mixtures == 1 else ("max_cos", "avg_cos", "expected_likelihood")
    table = {m: {r.name: r.scores[m] for r in evaluate_benchmarks(wv, metrics=(m,))} for m in metrics}
    if wv.num_mixtures > 1:
        table["point_cos"] = {r.name: r.scores["max_cos"]
                              for r in evaluate_benchmarks(point_mixtures(wv), metrics=("max_cos",))}
    return table


def generality_line(wv, data_dir):
    g = generality(wv, wv.index_to_key)
    ordered = total = 0
    for hyponym, hypernym in read_entailment_pairs(os.path.join(data_dir, POSITIVE)):
        hyponym, hypernym = hyponym.lower(), hypernym.lower()
        if hyponym in wv and hypernym in wv:
            total += 1
            ordered += g[wv.get_index(hypernym)] > g[wv.get_index(hyponym)]
    counts = np.asarray(wv.counts, dtype=np.float64)
    rho = spearmanr(g[:10000], counts[:10000]).statistic
    variance = np.exp(wv.log_variances.astype(np.float64)).mean()
    return (f"generality: hypernym more general in {ordered}/{total} = {100 * ordered / total:.1f}% of "
            f"dev positive pairs; spearman(generality, count) top 10k {rho:.2f}; "
            f"mean variance {variance:.3f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--data-dir", default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    for path in args.models:
        wv = load(path)
        print(f"== {path}")
        table = similarity_rows(wv)
        sets = list(next(iter(table.values())))
        print("metric        " + " ".join(f"{d:>6}" for d in sets) + "   mean")
        for metric, scores in table.items():
            values = [scores[d] for d in sets]
            print(f"{metric:<13} " + " ".join(f"{v:6.1f}" for v in values) + f" {np.mean(values):6.1f}")
        s = evaluate_scws(wv, os.path.join(args.data_dir, "SCWS-dev.txt"))
        print(f"SCWS dev MaxSim {s.max_sim:.1f} AvgSim {s.avg_sim:.1f} MaxSimC {s.max_sim_c:.1f} "
              f"AvgSimC {s.avg_sim_c:.1f}")
        metrics = ("max_cos",) if wv.num_mixtures == 1 else ("max_cos", "expected_likelihood", "neg_kl")
        pos, neg = os.path.join(args.data_dir, POSITIVE), os.path.join(args.data_dir, NEGATIVE)
        aps = [100 * evaluate_entailment(wv, pos, neg, metric=m).average_precision for m in metrics]
        print("entail dev AP " + " ".join(f"{m} {v:.1f}" for m, v in zip(metrics, aps)))
        if wv.counts is not None:
            print(generality_line(wv, args.data_dir), flush=True)


if __name__ == "__main__":
    main()
