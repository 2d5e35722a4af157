"""Training throughput of ``corpus_file`` mode against the iterable path (and gensim's two modes).

The first ``--mb`` MB of the shared text8-format corpus are written to a temporary plain file in
LineSentence format, ``--line-words`` tokens a line (default 1000: text8's single 17M-token line
would be cut by gensim's corpus_file reader, which reads only the first 10000 tokens of a line;
w2gm's readers cut long lines into sentences of 10000 tokens). One w2gm model (K=2, D=50, spherical,
window 10, sample 1e-5, one negative) gets its vocabulary from the file, then trains one epoch
per run, alternating the modes:

* ``iterable``: ``model.train(LineSentence(path))``: a Python producer thread reads, splits and
  looks up every sentence and feeds the workers;
* ``corpus_file``: ``model.train(corpus_file=path)``: every worker reads its own byte range
  without the GIL (``w2gm._corpus_file``).

With ``--gensim``, gensim's skip-gram (negative 5) is timed the same way in both of its modes.
The table gives median words per second over ``--reps`` runs per mode and worker count, the
ratio corpus_file / iterable, and the raw words each mode really read per epoch (as the library
reports it), which must equal the file's.

With ``--quality-seeds N`` it also trains N models per mode (seeds 1..N, ``--quality-epochs``
epochs, the largest ``--workers``) and prints the Spearman x 100 (max_cos) of each on the eleven
bundled word-similarity sets: corpus_file mode should differ from the iterable path by no more
than the iterable path differs between seeds. Usage::

    python benchmarks/corpus_file_training.py [--mb 20] [--reps 3] [--workers 1 2] [--gensim]
                                              [--quality-seeds 0] [--quality-epochs 3]
"""

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from throughput import DEFAULT_CORPUS, make_lines  # noqa: E402

W2GM_SETTINGS = dict(num_mixtures=2, vector_size=50, covariance="spherical", window=10, min_count=5,
                     sample=1e-5, negative=1, shared_negatives=False, seed=1)
GENSIM_SETTINGS = dict(sg=1, vector_size=50, window=10, sample=1e-5, negative=5, min_count=5, seed=1)


def w2gm_runner(path, workers):
    from w2gm import LineSentence, Word2GM
    model = Word2GM(workers=workers, epochs=1, **W2GM_SETTINGS).build_vocab(corpus_file=path)
    words = model.corpus_total_words

    def iterable():
        t = time.perf_counter()
        model.train(LineSentence(path), epochs=1)
        return words / (time.perf_counter() - t), model.last_train_stats["raw_words"]

    def corpus_file():
        t = time.perf_counter()
        model.train(corpus_file=path, epochs=1)
        return words / (time.perf_counter() - t), model.last_train_stats["raw_words"]

    return {"iterable": iterable, "corpus_file": corpus_file}


def gensim_runner(path, workers):
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence
    model = Word2Vec(workers=workers, epochs=1, **GENSIM_SETTINGS)
    model.build_vocab(corpus_file=path)
    words = model.corpus_total_words

    def iterable():
        t = time.perf_counter()
        _, raw = model.train(LineSentence(path), total_examples=model.corpus_count, epochs=1)
        return words / (time.perf_counter() - t), raw

    def corpus_file():
        t = time.perf_counter()
        _, raw = model.train(corpus_file=path, total_words=words, epochs=1)
        return words / (time.perf_counter() - t), raw

    return {"iterable": iterable, "corpus_file": corpus_file}


def quality_table(path, workers, seeds, epochs):
    """Spearman x 100 per dataset of models trained in both modes with seeds 1..seeds."""
    from w2gm import LineSentence, Word2GM
    from w2gm.evaluation import BENCHMARKS, bundled_dataset_path
    columns = []
    for seed in range(1, seeds + 1):
        for mode in ("iterable", "corpus_file"):
            settings = dict(W2GM_SETTINGS, seed=seed, workers=workers, epochs=epochs)
            if mode == "iterable":
                model = Word2GM(LineSentence(path), **settings)
            else:
                model = Word2GM(corpus_file=path, **settings)
            scores = {name: 100 * model.wv.evaluate_word_pairs(bundled_dataset_path(name))[1][0]
                      for name in BENCHMARKS}
            columns.append((f"{mode} seed {seed}", len(model.wv), scores))
            print(f"  done: quality {mode} seed {seed}", flush=True)
    names = list(BENCHMARKS)
    print("\n| dataset | " + " | ".join(c[0] for c in columns) + " |")
    print("|---|" + "---|" * len(columns))
    for name in names:
        print(f"| {name} | " + " | ".join(f"{c[2][name]:.1f}" for c in columns) + " |")
    print("| mean | " + " | ".join(f"{sum(c[2].values()) / len(names):.1f}" for c in columns) + " |")
    print("| vocabulary | " + " | ".join(str(c[1]) for c in columns) + " |")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", default=DEFAULT_CORPUS)
    p.add_argument("--mb", type=float, default=20)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--line-words", type=int, default=1000)
    p.add_argument("--gensim", action="store_true", help="also time gensim's two modes")
    p.add_argument("--quality-seeds", type=int, default=0)
    p.add_argument("--quality-epochs", type=int, default=3)
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        path = make_lines(args.corpus, args.mb, tmp, args.line_words)
        print(f"corpus: first {args.mb:g} MB of {os.path.basename(args.corpus)}, {args.line_words} tokens a "
              f"line, {os.cpu_count()} CPUs, {args.reps} alternating reps of one epoch", flush=True)
        libraries = [("w2gm", w2gm_runner)] + ([("gensim", gensim_runner)] if args.gensim else [])
        rows = []
        for workers in args.workers if args.reps > 0 else ():  # --reps 0: quality table only
            runners = {name: make(path, workers) for name, make in libraries}
            rates = {(name, mode): [] for name in runners for mode in ("iterable", "corpus_file")}
            read = {}
            for _ in range(args.reps):
                for name, modes in runners.items():
                    for mode, run in modes.items():
                        rate, raw = run()
                        rates[name, mode].append(rate)
                        read.setdefault((name, mode), set()).add(raw)
            for name in runners:
                it = statistics.median(rates[name, "iterable"])
                cf = statistics.median(rates[name, "corpus_file"])
                ratios = [c / i for c, i in zip(rates[name, "corpus_file"], rates[name, "iterable"])]
                words_read = "/".join(",".join(str(r) for r in sorted(read[name, mode]))
                                      for mode in ("iterable", "corpus_file"))
                rows.append((name, workers, it, cf, statistics.median(ratios), min(ratios), max(ratios),
                             words_read))
                print(f"  done: {name} workers={workers}", flush=True)
        if args.quality_seeds:
            quality_table(path, max(args.workers), args.quality_seeds, args.quality_epochs)
    if not rows:
        return
    print("\n| library | workers | iterable words/s | corpus_file words/s | ratio (median) | min | max | "
          "raw words read per epoch (iterable/corpus_file) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, workers, it, cf, med, lo, hi, words_read in rows:
        print(f"| {name} | {workers} | {it:,.0f} | {cf:,.0f} | {med:.2f} | {lo:.2f} | {hi:.2f} | "
              f"{words_read} |")


if __name__ == "__main__":
    main()
