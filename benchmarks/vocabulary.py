"""Vocabulary counting and sentence lookup: w2gm's C table against Python dict code paths.

On the same in-memory sentences (the first N MB of the corpus, read with
``w2gm.Text8Corpus``), one thread, best of ``--reps``:

* counting: ``collections.Counter.update`` per sentence, against
  ``Word2GM.build_vocab`` (which counts in ``w2gm._vocab.WordTable``, then sorts
  and allocates the parameters);
* lookup, as the training producer does it per sentence: int32 indices of the
  vocabulary words, out-of-vocabulary words dropped, with
  ``np.fromiter(map(dict.get, ...))`` and a filter, against ``WordTable.lookup``.

Prints tokens per second for each.  Usage::

    python benchmarks/vocabulary.py [--corpus PATH] [--mb 20] [--reps 3]
"""

import argparse
import gzip
import itertools
import os
import sys
import tempfile
import time
from collections import Counter

import numpy as np

from w2gm import Text8Corpus, Word2GM

DEFAULT_CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "corpora",
                              "wiki-fil8.txt.gz")


def best_seconds(fn, reps):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", default=DEFAULT_CORPUS)
    p.add_argument("--mb", type=float, default=20.0)
    p.add_argument("--reps", type=int, default=3)
    args = p.parse_args()
    with gzip.open(args.corpus, "rb") as f:
        data = f.read(int(args.mb * 1_000_000))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "slice.txt")
        with open(path, "wb") as out:
            out.write(data[:data.rfind(b" ")])
        sentences = list(Text8Corpus(path))
    n = sum(map(len, sentences))

    def count_counter():
        counts = Counter()
        for s in sentences:
            counts.update(s)

    model = Word2GM(min_count=5)
    t_counter = best_seconds(count_counter, args.reps)
    t_table = best_seconds(lambda: model.build_vocab(sentences), args.reps)
    table = model.wv.vocabulary_table
    index = dict(model.wv.key_to_index)

    def lookup_dict():
        for s in sentences:
            a = np.fromiter(map(index.get, s, itertools.repeat(-1)), dtype=np.int32, count=len(s))
            a = a[a >= 0]

    def lookup_table():
        for s in sentences:
            table.lookup(s)

    t_dict = best_seconds(lookup_dict, args.reps)
    t_lookup = best_seconds(lookup_table, args.reps)
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}; first {args.mb:g} MB: "
          f"{n} tokens in {len(sentences)} sentences, {len(table)} words with min_count 5; "
          f"best of {args.reps}, one thread")
    print("| step | Python dict path, tokens/s | w2gm WordTable, tokens/s | ratio |")
    print("|---|---|---|---|")
    print(f"| counting | {n / t_counter:,.0f} (Counter.update) | {n / t_table:,.0f} (build_vocab) | "
          f"{t_counter / t_table:.2f} |")
    print(f"| sentence lookup | {n / t_dict:,.0f} (dict.get + fromiter) | {n / t_lookup:,.0f} "
          f"(lookup) | {t_dict / t_lookup:.2f} |")


if __name__ == "__main__":
    main()
