"""Senses on the development halves: SCWS contextual similarity and Baroni 2012 entailment.

For a trained model (``w2gm train ... -o MODEL`` or ``Word2GM.save``), prints

1. SCWS (dev half): MaxSim, AvgSim (context ignored) and MaxSimC, AvgSimC (context used), as
   computed by ``w2gm.evaluation.evaluate_scws`` with the library's posterior;
2. the context-posterior ablation behind that posterior (``docs/tutorial.md``, "Why the context
   now helps"): how the context words' log kernels are combined (summed as in a naive-Bayes
   product, or averaged: a geometric mean), the window, a temperature, and weighting each
   context word by the probability that subsampling keeps it; with the mean largest posterior
   probability (how sharp the posterior is);
3. entailment (dev half): average precision and best F1 (x 100) under every similarity metric.

The dev halves are for tuning; report their figures as "dev".

Usage::

    python benchmarks/senses.py MODEL [--data-dir ../shared/data/dev] [--skip-ablation]
"""

import argparse
import os

import numpy as np
from scipy.special import log_softmax
from scipy.stats import spearmanr

from w2gm import Word2GM
from w2gm.evaluation import evaluate_entailment, evaluate_scws
from w2gm.evaluation.datasets import read_scws
from w2gm.evaluation.word_pairs import VocabularyLookup
from w2gm.senses import _log_evidence
from w2gm.similarity import SIMILARITY_METRICS, log_mixture_weights, unit_vectors

DEFAULT_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "dev")
MAX_WINDOW = 20


def side_evidence(wv, lookup, index, tokens, position):
    """Context rows within MAX_WINDOW of `position`, their distances and ``(C, K)`` log kernels."""
    rows, dist = [], []
    for j in range(max(0, position - MAX_WINDOW), min(len(tokens), position + MAX_WINDOW + 1)):
        r = lookup.get(tokens[j])
        if j != position and r is not None and r != index:  # as evaluate_scws and disambiguate
            rows.append(r)
            dist.append(abs(j - position))
    rows = np.array(rows, dtype=np.intp)
    evidence = _log_evidence(wv, np.full(rows.shape[0], index, dtype=np.intp), rows)
    return rows, np.array(dist), evidence


def posterior(log_prior, rows, dist, evidence, window, combine, temperature, keep):
    """One ablation variant of the posterior over a word's components."""
    near = dist <= window
    e = evidence[near]
    if e.shape[0] == 0:
        return np.exp(log_prior)
    w = keep[rows[near]] if keep is not None else np.ones(e.shape[0])
    if combine == "mean":
        w = w / w.sum()
    return np.exp(log_softmax(log_prior + temperature * (w[:, None] * e).sum(axis=0)))


def ablation(model, path):
    wv = model.wv
    lookup = VocabularyLookup(wv, True)
    counts = np.asarray(wv.counts, dtype=np.float64)
    threshold = model.sample * counts.sum()
    keep_prob = np.minimum(1.0, (np.sqrt(counts / threshold) + 1) * threshold / counts)
    unit = unit_vectors(wv.means.astype(np.float64))
    log_w = log_mixture_weights(wv.logits)
    items = []
    for item in read_scws(path):
        a, b = lookup.get(item.word1), lookup.get(item.word2)
        if a is not None and b is not None:
            items.append((item.rating, a, b, side_evidence(wv, lookup, a, item.context1, item.position1),
                          side_evidence(wv, lookup, b, item.context2, item.position2)))
    gold = [it[0] for it in items]
    variants = [("sum", w, 1.0, False) for w in (2, 3, 5, 10, 20)]
    variants += [("sum", 5, t, False) for t in (0.3, 0.1)]
    variants += [("sum", 5, 1.0, True)]
    variants += [("mean", w, 1.0, False) for w in (2, 3, 5, 10, 20)]
    variants += [("mean", 5, t, False) for t in (0.5, 2.0)]
    variants += [("mean", 5, 1.0, True)]
    print(f"\nContext-posterior ablation, SCWS dev ({len(items)} pairs found), Spearman x 100")
    print(f"{'combine':>8} {'window':>6} {'temp':>5} {'keep-weighted':>13} {'MaxSimC':>8} {'AvgSimC':>8} "
          f"{'mean max r':>10}")
    for combine, window, temperature, weighted in variants:
        max_c, avg_c, sharp = [], [], []
        for _, a, b, side_a, side_b in items:
            ra = posterior(log_w[a], *side_a, window, combine, temperature, keep_prob if weighted else None)
            rb = posterior(log_w[b], *side_b, window, combine, temperature, keep_prob if weighted else None)
            cos = unit[a] @ unit[b].T
            max_c.append(cos[ra.argmax(), rb.argmax()])
            avg_c.append(ra @ cos @ rb)
            sharp += [ra.max(), rb.max()]
        print(f"{combine:>8} {window:>6} {temperature:>5} {'yes' if weighted else 'no':>13} "
              f"{100 * spearmanr(gold, max_c)[0]:>8.1f} {100 * spearmanr(gold, avg_c)[0]:>8.1f} "
              f"{np.mean(sharp):>10.3f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model")
    parser.add_argument("--data-dir", default=DEFAULT_DATA)
    parser.add_argument("--skip-ablation", action="store_true")
    args = parser.parse_args(argv)
    model = Word2GM.load(args.model)
    scws = os.path.join(args.data_dir, "SCWS-dev.txt")
    res = evaluate_scws(model.wv, scws, window=5)
    print(f"SCWS dev, window 5 ({res.n_found} of {res.n_pairs} pairs found), Spearman x 100")
    print(f"{'MaxSim':>8} {'AvgSim':>8} {'MaxSimC':>8} {'AvgSimC':>8}")
    print(f"{res.max_sim:>8.1f} {res.avg_sim:>8.1f} {res.max_sim_c:>8.1f} {res.avg_sim_c:>8.1f}")
    if not args.skip_ablation:
        ablation(model, scws)
    pos = os.path.join(args.data_dir, "baroni2012-entailment-dev-positive.txt")
    neg = os.path.join(args.data_dir, "baroni2012-entailment-dev-negative.txt")
    print("\nEntailment dev (Baroni 2012), x 100")
    print(f"{'metric':>20} {'best AP':>8} {'best F1':>8} {'found':>7}")
    for metric in SIMILARITY_METRICS:
        r = evaluate_entailment(model.wv, pos, neg, metric=metric)
        print(f"{metric:>20} {100 * r.average_precision:>8.1f} {100 * r.best_f1:>8.1f} "
              f"{r.n_found:>4}/{r.n_total}")


if __name__ == "__main__":
    main()
