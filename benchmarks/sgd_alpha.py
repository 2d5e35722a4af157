"""Which learning rates plain SGD trains with: the measurement behind ``alpha=None`` for SGD.

Trains ``Word2GM(optimizer="sgd")`` on the first sentences of the shared corpus for each
combination of extra settings and learning rate, and prints whether training diverged
(``TrainingDivergedError``) or, if not, the loss per epoch and the WS-353 Spearman x 100.
``rule`` stands for the library's default, ``0.025 / negative``.  Every run samples negatives
per (w, c) pair (``shared_negatives=False``, ``negative=1`` unless a combination sets it), as
the library's defaults did when the rule was measured.

Usage::

    python benchmarks/sgd_alpha.py [--sentences 200] [--epochs 2] [--workers 2]
                                   [--alphas 0.1,0.05,0.025,0.0125,rule]
"""

import argparse
import itertools
import json
import os

from w2gm import Text8Corpus, Word2GM
from w2gm.exceptions import TrainingDivergedError
from w2gm.settings import default_alpha

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
COMBINATIONS = [{}, {"var_scale": 0.05}, {"covariance": "diagonal"}, {"num_mixtures": 3},
                {"separate_output": True}, {"negative": 5}, {"negative": 5, "var_scale": 0.05},
                {"negative": 5, "covariance": "diagonal"}, {"negative": 5, "window": 5}, {"negative": 10},
                {"negative": 10, "var_scale": 0.05}, {"negative": 20},
                {"negative": 20, "covariance": "diagonal"}, {"num_mixtures": 3, "negative": 3}]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", default=os.path.join(DATA, "corpora", "wiki-fil8.txt.gz"))
    parser.add_argument("--sentences", type=int, default=200, help="10,000-token sentences to train on")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--alphas", default="0.1,0.05,0.025,0.0125,rule")
    parser.add_argument("--set", action="append", default=None, help="a JSON dict of extra settings "
                        "(repeatable; default: the built-in list of combinations)")
    args = parser.parse_args()
    corpus = list(itertools.islice(Text8Corpus(args.corpus), args.sentences))
    ws353 = os.path.join(DATA, "similarity", "EN-WS-353-ALL.txt")
    combinations = [json.loads(x) for x in args.set] if args.set else COMBINATIONS
    print(f"{sum(map(len, corpus))} tokens, {args.epochs} epochs, {args.workers} workers")
    print("| extra settings | alpha | result |\n|---|---|---|")
    for extra in combinations:
        settings = {"shared_negatives": False, "negative": 1, **extra}
        for alpha_text in args.alphas.split(","):
            alpha = (default_alpha("sgd", settings["negative"]) if alpha_text == "rule"
                     else float(alpha_text))
            model = Word2GM(optimizer="sgd", alpha=alpha, epochs=args.epochs, workers=args.workers,
                            seed=1, **settings).build_vocab(corpus)
            try:
                losses = model.train(corpus)
            except TrainingDivergedError:
                result = "diverged"
            else:
                spearman = model.wv.evaluate_word_pairs(ws353)[1][0] * 100
                result = f"loss {' '.join(f'{x:.3f}' for x in losses)}, WS {spearman:.1f}"
            print(f"| {json.dumps(extra)} | {alpha_text} ({alpha:g}) | {result} |", flush=True)


if __name__ == "__main__":
    main()
