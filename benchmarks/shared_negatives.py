"""Throughput of the ``shared_negatives`` setting against today's per-pair negatives.

Trains the default model (K = 2, D = 50, spherical, window 10, Adagrad) with
``workers=1`` on the first ``--mb`` MB of the shared corpus for ``--epochs``
epochs, for the configurations below, alternating them ``--reps`` times, and
prints raw corpus words per second (tokens x epochs / wall seconds of
``train``; vocabulary building excluded): every run, then median, min and max.
Each row also gives the samples (w, c, c') per epoch, the last epoch's mean
online loss and, for orientation only (one seed, a small corpus), WS-353
Spearman x 100 with the maximum cosine.

Usage::

    python benchmarks/shared_negatives.py [--corpus PATH] [--mb 5] [--reps 3] [--epochs 3]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

DEFAULT_CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "corpora",
                              "wiki-fil8.txt.gz")
WS353 = os.path.join(os.path.dirname(DEFAULT_CORPUS), "..", "similarity", "EN-WS-353-ALL.txt")

sys.path.insert(0, os.path.dirname(__file__))
from throughput import make_slice  # noqa: E402

#: (negative, shared_negatives)
CONFIGS = ((1, False), (1, True), (3, True), (5, True))



def run(corpus, negative, shared, epochs):
    from w2gm import Word2GM
    model = Word2GM(workers=1, epochs=epochs, seed=1, negative=negative, shared_negatives=shared)
    model.build_vocab(corpus)
    t = time.perf_counter()
    model.train(corpus, total_examples=model.corpus_count, epochs=epochs)
    seconds = time.perf_counter() - t
    ws = float("nan")
    if os.path.exists(WS353):
        ws = 100 * model.wv.evaluate_word_pairs(WS353)[1][0]
    return (model.corpus_total_words * epochs / seconds,
            model.last_train_stats["epoch_samples"][-1], model.training_loss[-1], ws)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=DEFAULT_CORPUS)
    parser.add_argument("--mb", type=float, default=5)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    from w2gm import Text8Corpus
    results = {config: [] for config in CONFIGS}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Text8Corpus(make_slice(args.corpus, args.mb, tmp))
        for rep in range(args.reps):
            for negative, shared in CONFIGS:
                r = run(corpus, negative, shared, args.epochs)
                results[(negative, shared)].append(r)
                print(f"rep {rep + 1}: negative={negative} shared={shared}: {r[0]:.0f} words/s, "
                      f"{r[1]} samples in the last epoch, loss {r[2]:.4f}, WS-353 {r[3]:.1f}",
                      flush=True)
    print()
    print("| negative | shared_negatives | median words/s | min | max | samples/epoch | "
          "last-epoch loss | WS-353 (x100) |")
    print("|---|---|---|---|---|---|---|---|")
    for (negative, shared), rs in results.items():
        rates = [r[0] for r in rs]
        print(f"| {negative} | {shared} | {statistics.median(rates):.0f} | {min(rates):.0f} | "
              f"{max(rates):.0f} | {rs[-1][1]} | {rs[-1][2]:.4f} | {rs[-1][3]:.1f} |")


if __name__ == "__main__":
    main()
