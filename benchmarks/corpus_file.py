"""Throughput of the byte-range corpus file reader (w2gm._corpus_file) against the Python path.

The corpus (default: the shared ``wiki-fil8.txt.gz``, one line of about 17M
tokens) is decompressed once to a temporary file (removed at the end; the
file is then in the page cache, so disk speed is not measured).  The
vocabulary is its words with ``--min-count`` or more occurrences.  Modes, all
producing int32 vocabulary indices of every sentence:

* ``python``: iterating ``LineSentence(path)`` and ``WordTable.lookup`` per
  sentence, what the training producer thread does with ``sentences=``;
* ``C, 1 thread``: ``CorpusFileRange.next_job`` over the ``--ranges`` byte
  ranges of ``byte_ranges``, one after the other;
* ``C, 2 threads``: the same ranges, each of 2 threads reading half of them
  (ranges ``i::2``) at the same time; faster than 1 thread only if the
  reader runs without the GIL;
* ``count only``: ``count_corpus_file`` (tokens and sentences, no lookup).

Reps alternate the modes; the table gives the median seconds and tokens per
second of each (and the median process CPU seconds: above the wall-clock
seconds when threads run in parallel), and the 2-thread speedup.  On a loaded machine (fewer free
cores than threads) the speedup says little, so the script also measures the
GIL directly: while another thread makes one long call, the main thread runs
a Python loop and records the longest pause between its iterations.  A call
that holds the GIL (``WordTable.lookup`` of all the tokens) pauses it for
the whole call; ``next_job`` of one job holding the whole file should pause
it only for the switch interval and the final array copy.  Usage::

    python benchmarks/corpus_file.py [--corpus PATH] [--mb 0] [--reps 3] [--ranges 8]
"""

import argparse
import gzip
import os
import statistics
import sys
import tempfile
import threading
import time

from w2gm._corpus_file import CorpusFileRange, byte_ranges, count_corpus_file
from w2gm._vocab import WordTable

from w2gm.corpora import LineSentence, Text8Corpus

DEFAULT_CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "corpora",
                              "wiki-fil8.txt.gz")
BATCH_WORDS = 10000


def build_table(path, min_count):
    """Words with at least `min_count` occurrences, most frequent first (as build_vocab keeps them)."""
    counts = WordTable()
    for sentence in Text8Corpus(path):
        counts.add(sentence)
    c = counts.counts()
    keep = [i for i in sorted(range(len(c)), key=lambda i: -c[i]) if c[i] >= min_count]
    return counts.select(keep)


def run_python(path, table):
    tokens = words = 0
    for sentence in LineSentence(path):
        tokens += len(sentence)
        words += len(table.lookup(sentence))
    return tokens, words


def read_ranges(path, table, ranges, out, slot):
    tokens = words = 0
    for start, end in ranges:
        with CorpusFileRange(path, table, start, end, BATCH_WORDS) as reader:
            for ids, _, raw, _ in iter(reader.next_job, None):
                tokens += raw
                words += len(ids)
    out[slot] = (tokens, words)


def run_c(path, table, ranges, threads):
    out = [None] * threads
    if threads == 1:
        read_ranges(path, table, ranges, out, 0)
    else:
        workers = [threading.Thread(target=read_ranges, args=(path, table, ranges[i::threads], out, i))
                   for i in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    return sum(o[0] for o in out), sum(o[1] for o in out)


def run_count(path, table):
    return count_corpus_file(path)[0], None


def longest_pause(fn):
    """Run `fn` in a thread; return (its seconds, the longest pause of a Python loop here meanwhile)."""
    done = threading.Event()
    spent = []

    def target():
        t = time.perf_counter()
        fn()
        spent.append(time.perf_counter() - t)
        done.set()

    worker = threading.Thread(target=target)
    last = time.perf_counter()
    pause = 0.0
    worker.start()
    while not done.is_set():
        now = time.perf_counter()
        pause = max(pause, now - last)
        last = now
    worker.join()
    return spent[0], pause


def gil_table(path, table, size):
    with CorpusFileRange(path, table, 0, size, 10 ** 12, max_sentence_length=10 ** 12) as reader:
        call_reader, pause_reader = longest_pause(reader.next_job)
    tokens = [token for sentence in Text8Corpus(path) for token in sentence]
    call_lookup, pause_lookup = longest_pause(lambda: table.lookup(tokens))
    print(f"GIL: longest pause of a Python loop while another thread makes one call "
          f"(switch interval {sys.getswitchinterval() * 1e3:.0f} ms)")
    print(f"{'call':40s} {'call s':>7s} {'longest pause s':>16s}")
    print(f"{'CorpusFileRange.next_job (whole file)':40s} {call_reader:7.3f} {pause_reader:16.3f}")
    print(f"{'WordTable.lookup (all tokens, holds GIL)':40s} {call_lookup:7.3f} {pause_lookup:16.3f}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", default=DEFAULT_CORPUS)
    p.add_argument("--mb", type=float, default=0.0, help="use only the first MB (0: all)")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--ranges", type=int, default=8)
    p.add_argument("--min-count", type=int, default=5)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "corpus.txt")
        with gzip.open(args.corpus, "rb") as f:
            data = f.read(int(args.mb * 1_000_000)) if args.mb > 0 else f.read()
        if args.mb > 0:
            data = data[:data.rfind(b" ")]
        with open(path, "wb") as out:
            out.write(data)
        size = len(data)
        del data
        t = time.perf_counter()
        table = build_table(path, args.min_count)
        print(f"corpus {args.corpus}: {size / 1e6:.1f} MB, vocabulary {len(table)} words "
              f"(min_count {args.min_count}, built in {time.perf_counter() - t:.1f} s); "
              f"{os.cpu_count()} CPUs; {args.ranges} ranges")
        ranges = byte_ranges(size, args.ranges)
        modes = {
            "python (LineSentence + lookup)": lambda: run_python(path, table),
            "C reader, 1 thread": lambda: run_c(path, table, ranges, 1),
            "C reader, 2 threads": lambda: run_c(path, table, ranges, 2),
            "C count only, 1 thread": lambda: run_count(path, table),
        }
        times = {name: [] for name in modes}
        cpu = {name: [] for name in modes}
        results = {}
        for _ in range(args.reps):
            for name, fn in modes.items():
                t, c = time.perf_counter(), time.process_time()
                results[name] = fn()
                times[name].append(time.perf_counter() - t)
                cpu[name].append(time.process_time() - c)
        tokens, words = results["python (LineSentence + lookup)"]
        for name, (tok, wds) in results.items():
            assert tok == tokens and wds in (None, words), (name, tok, wds, tokens, words)
        base = statistics.median(times["python (LineSentence + lookup)"])
        print(f"{tokens} tokens ({words} in the vocabulary) per pass; median of {args.reps} alternating reps")
        header = ("mode", "median s", "min s", "CPU s", "Mtokens/s", "vs python")
        print("{:32s} {:>9s} {:>7s} {:>7s} {:>10s} {:>10s}".format(*header))
        for name, ts in times.items():
            med = statistics.median(ts)
            print(f"{name:32s} {med:9.3f} {min(ts):7.3f} {statistics.median(cpu[name]):7.3f} "
                  f"{tokens / med / 1e6:10.2f} {base / med:9.1f}x")
        one = statistics.median(times["C reader, 1 thread"])
        two = statistics.median(times["C reader, 2 threads"])
        print(f"2-thread speedup of the C reader: {one / two:.2f}x")
        gil_table(path, table, size)


if __name__ == "__main__":
    main()
