"""Training throughput of w2gm against gensim's skip-gram, measured in one run.

Prints raw corpus words per second (corpus tokens x epochs / wall seconds of
``train``; vocabulary building excluded) for w2gm (paper's text8 settings) and
gensim Word2Vec skip-gram, with 1 and 2 workers, alternating runs, several
repetitions; the w2gm/gensim ratio (median, min, max); the 1 -> 2 worker
scaling; peak resident memory of a w2gm training process (a fresh subprocess
per corpus size) next to its parameter arrays; and w2gm-only rows for other K
and diagonal covariance.

Usage::

    python benchmarks/throughput.py [--corpus PATH] [--mb 20] [--reps 3] [--epochs 1]

Requires gensim (``pip install ".[benchmark]"``).
"""

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

DEFAULT_CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "corpora",
                              "wiki-fil8.txt.gz")

W2GM_SETTINGS = dict(num_mixtures=2, vector_size=50, covariance="spherical", window=10,
                     min_count=5, sample=1e-5, negative=1, optimizer="adagrad", alpha=0.05,
                     min_alpha=1e-5, var_scale=0.05)
GENSIM_SETTINGS = dict(sg=1, vector_size=50, window=10, sample=1e-5, negative=5, min_count=5)


def make_slice(src, mb, directory):
    """Write the first ``mb`` MB of the (text8-format) corpus, cut at a space."""
    path = os.path.join(directory, f"slice-{mb}mb.txt")
    with gzip.open(src, "rb") as f:
        data = f.read(int(mb * 1_000_000))
    cut = data.rfind(b" ")
    with open(path, "wb") as out:
        out.write(data[:cut] if cut > 0 else data)
    return path


def time_w2gm(corpus, workers, epochs, **overrides):
    from w2gm import Word2GM
    settings = dict(W2GM_SETTINGS, **overrides)
    model = Word2GM(workers=workers, epochs=epochs, seed=1, **settings)
    model.build_vocab(corpus)
    t = time.perf_counter()
    model.train(corpus, epochs=epochs)
    seconds = time.perf_counter() - t
    return model.corpus_total_words * epochs / seconds


def time_gensim(corpus, workers, epochs):
    from gensim.models import Word2Vec
    model = Word2Vec(workers=workers, epochs=epochs, seed=1, **GENSIM_SETTINGS)
    model.build_vocab(corpus)
    t = time.perf_counter()
    model.train(corpus, total_examples=model.corpus_count, epochs=epochs)
    seconds = time.perf_counter() - t
    return model.corpus_total_words * epochs / seconds


def memory_child(path, epochs, vocab_path=None):
    """Run in a subprocess: train w2gm, report peak RSS and parameter bytes.

    The vocabulary is built from ``vocab_path`` (default: the training corpus).
    """
    from w2gm import Text8Corpus, Word2GM
    corpus = Text8Corpus(path)
    model = Word2GM(workers=2, epochs=epochs, seed=1, **W2GM_SETTINGS)
    model.build_vocab(Text8Corpus(vocab_path) if vocab_path else corpus)
    groups = [model.params_in, model.params_out, model.accumulators_in, model.accumulators_out]
    arrays = [a for group in groups if group is not None for a in group]
    param_bytes = sum(a.nbytes for a in arrays)
    # VmHWM is the resident-set high-water mark of this process image (ru_maxrss is not: on
    # Linux it carries over the forking parent's peak).  Read it after the vocabulary scan,
    # reset it (Linux >= 4.0), and read it again after train(): the second reading is the
    # peak of training alone.
    vocab_peak = _vm_hwm()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    model.train(corpus)
    train_peak = _vm_hwm()
    print(json.dumps({"peak_rss": max(vocab_peak, train_peak), "train_peak_rss": train_peak,
                      "param_bytes": param_bytes, "vocab": len(model.wv)}))


def _vm_hwm():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))


def measure_memory(path, epochs, vocab_path=None):
    cmd = [sys.executable, __file__, "--memory-child", path, "--epochs", str(epochs)]
    if vocab_path:
        cmd += ["--vocab-from", vocab_path]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def print_speed_tables(rates):
    """Median/min/max words/s per library and worker count, ratios and scaling."""
    print()
    print("| library | workers | median words/s | min | max |")
    print("|---|---|---|---|---|")
    for (lib, w), rs in rates.items():
        print(f"| {lib} | {w} | {statistics.median(rs):.0f} | {min(rs):.0f} | {max(rs):.0f} |")
    print()
    print("| workers | w2gm/gensim median | min | max |")
    print("|---|---|---|---|")
    for w in (1, 2):
        ratios = [a / b for a, b in zip(rates[("w2gm", w)], rates[("gensim", w)])]
        print(f"| {w} | {statistics.median(ratios):.2f} | {min(ratios):.2f} | {max(ratios):.2f} |")
    print()
    for lib in ("w2gm", "gensim"):
        s = [b / a for a, b in zip(rates[(lib, 1)], rates[(lib, 2)])]
        print(f"scaling 1 -> 2 workers, {lib}: median {statistics.median(s):.2f}x "
              f"(min {min(s):.2f}, max {max(s):.2f})")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", default=DEFAULT_CORPUS)
    p.add_argument("--mb", type=float, default=20, help="corpus slice size in MB (default 20)")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--skip-memory", action="store_true")
    p.add_argument("--skip-variants", action="store_true")
    p.add_argument("--skip-speed", action="store_true", help="only the memory measurement")
    p.add_argument("--memory-child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--vocab-from", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.epochs, args.vocab_from)
        return

    import gensim

    import w2gm
    from w2gm import Text8Corpus
    print(f"w2gm {w2gm.__version__}, gensim {gensim.__version__}, python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cpus")
    with tempfile.TemporaryDirectory() as tmp:
        path = make_slice(args.corpus, args.mb, tmp)
        corpus = Text8Corpus(path)
        n_tokens = sum(len(s) for s in corpus)
        print(f"corpus: first {args.mb:g} MB of {os.path.basename(args.corpus)}: {n_tokens} tokens; "
              f"epochs per run {args.epochs}; {args.reps} repetitions")
        print(f"w2gm: {W2GM_SETTINGS}")
        print(f"gensim: {GENSIM_SETTINGS}")
        rates = {(lib, w): [] for lib in ("w2gm", "gensim") for w in (1, 2)}
        for rep in range(0 if args.skip_speed else args.reps):
            for workers in (1, 2):
                for lib in (("w2gm", "gensim") if rep % 2 == 0 else ("gensim", "w2gm")):
                    fn = time_w2gm if lib == "w2gm" else time_gensim
                    r = fn(corpus, workers, args.epochs)
                    rates[(lib, workers)].append(r)
                    print(f"  rep {rep + 1} {lib:6s} workers={workers}: {r:10.0f} words/s", flush=True)
        if not args.skip_speed:
            print_speed_tables(rates)

        if not args.skip_variants and not args.skip_speed:
            print()
            print("w2gm variants (workers=2, median of reps):")
            print("| K | covariance | D | median words/s |")
            print("|---|---|---|---|")
            for K, cov, D in ((1, "spherical", 50), (2, "spherical", 50), (3, "spherical", 50),
                              (4, "spherical", 50), (2, "diagonal", 50), (2, "spherical", 100)):
                rs = [time_w2gm(corpus, 2, args.epochs, num_mixtures=K, covariance=cov,
                                vector_size=D) for _ in range(args.reps)]
                print(f"| {K} | {cov} | {D} | {statistics.median(rs):.0f} |", flush=True)

        if not args.skip_memory:
            print()
            print("peak resident memory of a w2gm process (workers=2): during train() alone, and "
                  "over the whole process including the vocabulary scan")
            print("| training corpus | vocabulary from | words | parameter arrays incl. Adagrad | "
                  "train() peak RSS | train() peak - params | whole-process peak RSS | "
                  "whole-process peak - params |")
            print("|---|---|---|---|---|---|---|---|")
            paths = {mb: make_slice(args.corpus, mb, tmp) for mb in (10, 100)}
            for mb, vocab_mb in ((10, 10), (100, 100), (10, 100)):
                m = measure_memory(paths[mb], args.epochs,
                                   None if vocab_mb == mb else paths[vocab_mb])
                mib = 2 ** 20
                print(f"| {mb} MB | {vocab_mb} MB | {m['vocab']} | {m['param_bytes'] / mib:.1f} MiB | "
                      f"{m['train_peak_rss'] / mib:.1f} MiB | "
                      f"{(m['train_peak_rss'] - m['param_bytes']) / mib:.1f} MiB | "
                      f"{m['peak_rss'] / mib:.1f} MiB | "
                      f"{(m['peak_rss'] - m['param_bytes']) / mib:.1f} MiB |", flush=True)


if __name__ == "__main__":
    main()
