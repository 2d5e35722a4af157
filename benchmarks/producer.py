"""Producer-only ceiling: raw words per second the data path delivers on one core, without training.

The trainer's workers can go no faster than the jobs reach them.  This measures the three ways
jobs are made, each on one thread with no worker training anything:

* ``iterable, token lists``: the corpus (first ``--mb`` MB of the shared corpus, read by
  ``Text8Corpus``) held in memory as lists of str; the job producer
  (``TrainingRun._epoch_batches``, the code ``Word2GM.train`` runs) reads and looks up a whole
  ``batch_words`` job in one C call (``WordTable.lookup_batch``);
* ``iterable, 20-word lists``: the same tokens re-cut into sentences of 20 words, the length of
  a typical line of natural text (text8-format corpora come in 10,000-word sentences, which hide
  the per-sentence costs: ``next()`` of the corpus, the sentence's lookup set-up);
* ``iterable, streamed``: the same producer reading ``Text8Corpus`` from the file (the file
  reading and splitting in Python included);
* ``corpus_file``: one ``CorpusFileRange`` reader over the whole (decompressed) file, as each
  worker runs it in ``corpus_file`` mode (read, split and look up in C, without the GIL).

Each is timed ``--reps`` times (alternating); the table gives raw corpus words per second, the
median with min and max.  The vocabulary is built once with the library defaults.

Usage::

    python benchmarks/producer.py [--mb 20] [--reps 3]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from throughput import DEFAULT_CORPUS, make_slice  # noqa: E402


def time_iterable(model, corpus, total_words):
    """Seconds for one pass of the real job producer over ``corpus``, training nothing."""
    from w2gm.training import TrainingRun
    run = TrainingRun(model, None, 1, 0.1, 1e-4, 1, corpus=corpus, total_words=total_words)
    start = time.perf_counter()
    words = 0
    for batch_words, _ends, _raw, _sentences in run._epoch_batches():
        words += batch_words.size
    return time.perf_counter() - start, words


def time_corpus_file(model, path):
    """Seconds for one ``CorpusFileRange`` to read the whole file into jobs, training nothing."""
    from w2gm._corpus_file import CorpusFileRange

    from w2gm.corpora import MAX_SENTENCE_LENGTH
    reader = CorpusFileRange(path, model.wv.vocabulary_table, 0, os.path.getsize(path), model.batch_words,
                             MAX_SENTENCE_LENGTH)
    try:
        start = time.perf_counter()
        words = 0
        while True:
            batch = reader.next_job()
            if batch is None:
                break
            words += batch[0].size
        return time.perf_counter() - start, words
    finally:
        reader.close()


def measure(path, reps):
    """Time the four ways over the plain text file ``path``, ``reps`` times alternating; print each.

    Returns the raw words of the file, ``{way: [seconds, ...]}`` and ``{way: vocabulary words read}``.
    """
    from w2gm import Text8Corpus, Word2GM
    model = Word2GM(workers=1, seed=1)
    model.build_vocab(Text8Corpus(path))
    raw = model.corpus_total_words
    in_memory = list(Text8Corpus(path))
    tokens = [token for sentence in in_memory for token in sentence]
    short = [tokens[i:i + 20] for i in range(0, len(tokens), 20)]
    ways = {
        "iterable, token lists": lambda: time_iterable(model, in_memory, raw),
        "iterable, 20-word lists": lambda: time_iterable(model, short, raw),
        "iterable, streamed": lambda: time_iterable(model, Text8Corpus(path), raw),
        "corpus_file": lambda: time_corpus_file(model, path),
    }
    seconds = {name: [] for name in ways}
    kept = {}
    for rep in range(reps):
        for name, way in ways.items():
            elapsed, words = way()
            seconds[name].append(elapsed)
            kept[name] = words
            print(f"rep {rep} {name:24s} {raw / elapsed:14,.0f} raw words/s", flush=True)
    return raw, seconds, kept


def print_table(mb, raw, seconds, kept):
    """Markdown table of :func:`measure`'s result: raw words/s, median (min, max)."""
    print(f"\n{mb:g} MB slice: {raw:,} raw words, one thread, no training\n")
    print("| path | raw words/s, median (min, max) | vocabulary words |")
    print("|---|---|---|")
    for name, times in seconds.items():
        rates = [raw / t for t in times]
        print(f"| {name} | {statistics.median(rates) / 1e6:.1f}M ({min(rates) / 1e6:.1f}M, "
              f"{max(rates) / 1e6:.1f}M) | {kept[name]:,} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=DEFAULT_CORPUS)
    parser.add_argument("--mb", type=float, default=20)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        results = measure(make_slice(args.corpus, args.mb, directory), args.reps)
    print_table(args.mb, *results)


if __name__ == "__main__":
    main()
