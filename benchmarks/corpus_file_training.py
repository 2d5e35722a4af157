"""Training throughput of ``corpus_file`` mode against the iterable path (and gensim's two modes).

The first ``--mb`` MB of the shared text8-format corpus are written to a temporary plain file
(one line; readers cut it into sentences of 10000 tokens). One w2gm model (K=2, D=50, spherical,
window 10, sample 1e-5, one negative) gets its vocabulary from the file, then trains one epoch
per run, alternating the modes:

* ``iterable``: ``model.train(LineSentence(path))``: a Python producer thread reads, splits and
  looks up every sentence and feeds the workers;
* ``corpus_file``: ``model.train(corpus_file=path)``: every worker reads its own byte range
  without the GIL (``w2gm._corpus_file``).

With ``--gensim``, gensim's skip-gram (negative 5) is timed the same way in both of its modes.
The table gives median words per second over ``--reps`` runs per mode and worker count, and the
ratio corpus_file / iterable. Usage::

    python benchmarks/corpus_file_training.py [--mb 20] [--reps 3] [--workers 1 2] [--gensim]
"""

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from throughput import make_slice  # noqa: E402

DEFAULT_CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "corpora",
                              "wiki-fil8.txt.gz")
W2GM_SETTINGS = dict(num_mixtures=2, vector_size=50, covariance="spherical", window=10, min_count=5,
                     sample=1e-5, negative=1, seed=1)
GENSIM_SETTINGS = dict(sg=1, vector_size=50, window=10, sample=1e-5, negative=5, min_count=5, seed=1)


def w2gm_runner(path, workers):
    from w2gm import LineSentence, Word2GM
    model = Word2GM(workers=workers, epochs=1, **W2GM_SETTINGS).build_vocab(corpus_file=path)
    words = model.corpus_total_words

    def iterable():
        t = time.perf_counter()
        model.train(LineSentence(path), epochs=1)
        return words / (time.perf_counter() - t)

    def corpus_file():
        t = time.perf_counter()
        model.train(corpus_file=path, epochs=1)
        return words / (time.perf_counter() - t)

    return {"iterable": iterable, "corpus_file": corpus_file}


def gensim_runner(path, workers):
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence
    model = Word2Vec(workers=workers, epochs=1, **GENSIM_SETTINGS)
    model.build_vocab(corpus_file=path)
    words = model.corpus_total_words

    def iterable():
        t = time.perf_counter()
        model.train(LineSentence(path), total_examples=model.corpus_count, epochs=1)
        return words / (time.perf_counter() - t)

    def corpus_file():
        t = time.perf_counter()
        model.train(corpus_file=path, total_words=words, epochs=1)
        return words / (time.perf_counter() - t)

    return {"iterable": iterable, "corpus_file": corpus_file}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", default=DEFAULT_CORPUS)
    p.add_argument("--mb", type=float, default=20)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--gensim", action="store_true", help="also time gensim's two modes")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        path = make_slice(args.corpus, args.mb, tmp)
        print(f"corpus: first {args.mb:g} MB of {os.path.basename(args.corpus)}, {os.cpu_count()} CPUs, "
              f"{args.reps} alternating reps of one epoch", flush=True)
        libraries = [("w2gm", w2gm_runner)] + ([("gensim", gensim_runner)] if args.gensim else [])
        rows = []
        for workers in args.workers:
            runners = {name: make(path, workers) for name, make in libraries}
            rates = {(name, mode): [] for name in runners for mode in ("iterable", "corpus_file")}
            for _ in range(args.reps):
                for name, modes in runners.items():
                    for mode, run in modes.items():
                        rates[name, mode].append(run())
            for name in runners:
                it = statistics.median(rates[name, "iterable"])
                cf = statistics.median(rates[name, "corpus_file"])
                ratios = [c / i for c, i in zip(rates[name, "corpus_file"], rates[name, "iterable"])]
                rows.append((name, workers, it, cf, statistics.median(ratios), min(ratios), max(ratios)))
                print(f"  done: {name} workers={workers}", flush=True)
    print("\n| library | workers | iterable words/s | corpus_file words/s | ratio (median) | min | max |")
    print("|---|---|---|---|---|---|---|")
    for name, workers, it, cf, med, lo, hi in rows:
        print(f"| {name} | {workers} | {it:,.0f} | {cf:,.0f} | {med:.2f} | {lo:.2f} | {hi:.2f} |")


if __name__ == "__main__":
    main()
