"""Training throughput of w2gm against gensim's skip-gram, as Markdown tables (issue 13).

Corpus: the first ``--mb`` MB (default 20) of ``../shared/data/corpora/wiki-fil8.txt.gz``
(text8 format: one line), fed in two ways, the same data for both libraries:

* ``token lists``: the slice read once into lists of str, cut into sentences of 10,000
  tokens (as ``w2gm.Text8Corpus`` and gensim's ``Text8Corpus`` cut text8), held in memory;
* ``corpus_file``: ``train(corpus_file=...)`` of both libraries on the slice written once as a
  LineSentence file of 1,000 tokens a line (gensim's corpus_file reader reads only the first
  10,000 tokens of a line; see ``benchmarks/corpus_file_training.py``).

Runs: gensim ``Word2Vec`` skip-gram (``GENSIM_SETTINGS``), w2gm with the library defaults (only
workers, epochs and seed set) and w2gm with the paper's text8 settings (``W2GM_SETTINGS``), each
with every ``--workers`` count.  ``--set JSON`` adds w2gm setting overrides to both w2gm runs
(and to the ``--variants`` runs).  Every timed run is a fresh subprocess (no shared heap or
threads); the vocabulary is built there untimed, then one ``train()`` call is timed.
Throughput = raw corpus words x epochs / wall seconds of ``train()``.  Within each of the
``--reps`` repetitions the runs alternate between the libraries, in an order flipped every
repetition.

Output: the machine (CPU model, cores, Python, NumPy, gensim, w2gm and the kernel build
``w2gm.kernels`` picked) and the command line; every run's words/s; then per (input, workers) the
median (min, max) words/s of each run, the w2gm/gensim ratio (median of the per-repetition
ratios, with min and max) and the scaling from the first ``--workers`` count to the others
(median of per-repetition ratios).  Optional sections:

* ``--producer``: the producer-only ceiling of ``benchmarks/producer.py`` on the same slice;
* ``--variants``: w2gm at K = 1, 2, 3, 4 spherical D = 50, K = 2 diagonal D = 50 and K = 2
  spherical D = 100 (library defaults otherwise, workers 2, token lists), median (min, max)
  words/s and the ratio to K = 2 spherical D = 50 of the same repetition;
* ``--memory``: peak resident memory of a w2gm training process (library defaults, workers 2,
  a fresh subprocess per row) on the first 10 and 100 MB, next to its parameter arrays.

``--skip-speed`` leaves out the library comparison (e.g. ``--skip-speed --memory``).  The
runs import whatever ``import w2gm`` finds (the header prints its path; set ``PYTHONPATH`` to a
source tree built in place to time that tree).

Usage::

    python benchmarks/throughput.py [--mb 20] [--reps 3] [--workers 1 2] [--epochs 1]
                                    [--set '{"adagrad_state": "row"}']
                                    [--producer] [--variants] [--memory] [--skip-speed]

Requires gensim (``pip install ".[benchmark]"``).
"""

import argparse
import gzip
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

DEFAULT_CORPUS = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "corpora",
                              "wiki-fil8.txt.gz")

#: The paper's text8 settings (Athiwaratkun & Wilson 2017).
W2GM_SETTINGS = dict(num_mixtures=2, vector_size=50, covariance="spherical", window=10,
                     min_count=5, sample=1e-5, negative=1, shared_negatives=False,
                     optimizer="adagrad", alpha=0.05, min_alpha=1e-5, var_scale=0.05)
GENSIM_SETTINGS = dict(sg=1, vector_size=50, window=10, sample=1e-5, negative=5, min_count=5)
SENTENCE_WORDS = 10_000   # text8 cut into sentences, as Text8Corpus does
LINE_WORDS = 1_000        # tokens a line of the corpus_file input
RUNS = ("gensim", "w2gm defaults", "w2gm paper")
#: (K, covariance, D) of the --variants table; the first spherical K=2, D=50 row is the baseline
VARIANTS = ((1, "spherical", 50), (2, "spherical", 50), (3, "spherical", 50), (4, "spherical", 50),
            (2, "diagonal", 50), (2, "spherical", 100))
BASELINE = (2, "spherical", 50)
VARIANT_WORKERS = 2


# ---------------------------------------------------------------- corpus


def make_slice(src, mb, directory):
    """Write the first ``mb`` MB of the (text8-format) corpus, cut at a space."""
    path = os.path.join(directory, f"slice-{mb}mb.txt")
    with gzip.open(src, "rb") as f:
        data = f.read(int(mb * 1_000_000))
    cut = data.rfind(b" ")
    with open(path, "wb") as out:
        out.write(data[:cut] if cut > 0 else data)
    return path


def read_tokens(path):
    """All whitespace-separated tokens of a plain text file."""
    with open(path, encoding="utf-8") as f:
        return f.read().split()


def token_lists(path, sentence_words=SENTENCE_WORDS):
    """The file's tokens as a list of sentences (lists of str) of ``sentence_words`` tokens."""
    tokens = read_tokens(path)
    return [tokens[i:i + sentence_words] for i in range(0, len(tokens), sentence_words)]


def write_lines(slice_path, line_words=LINE_WORDS):
    """Write ``slice_path``'s tokens next to it as a LineSentence file of ``line_words`` a line."""
    lines = token_lists(slice_path, line_words)
    path = os.path.splitext(slice_path)[0] + f"-lines{line_words}.txt"
    with open(path, "w", encoding="utf-8") as out:
        out.writelines(" ".join(line) + "\n" for line in lines)
    return path


def make_lines(src, mb, directory, line_words=LINE_WORDS):
    """The first ``mb`` MB of the corpus as a LineSentence file of ``line_words`` tokens a line."""
    return write_lines(make_slice(src, mb, directory), line_words)


# ---------------------------------------------------------------- one timed run


def words_per_second(library, settings, workers, epochs, corpus=None, corpus_file=None):
    """Build the vocabulary (untimed), time one ``train()``: raw corpus words x epochs / seconds.

    ``library`` is "w2gm" (``settings``: ``Word2GM`` keyword arguments) or "gensim"
    (``GENSIM_SETTINGS``; ``settings`` ignored).  Give ``corpus`` (token lists) or ``corpus_file``.
    """
    if library == "gensim":
        from gensim.models import Word2Vec
        model = Word2Vec(workers=workers, epochs=epochs, seed=1, **GENSIM_SETTINGS)
    else:
        from w2gm import Word2GM
        model = Word2GM(workers=workers, epochs=epochs, seed=1, **settings)
    model.build_vocab(corpus, corpus_file=corpus_file)
    totals = {}
    if library == "gensim":   # gensim needs the totals; w2gm counts them itself
        totals = ({"total_words": model.corpus_total_words} if corpus_file
                  else {"total_examples": model.corpus_count})
    start = time.perf_counter()
    model.train(corpus, corpus_file=corpus_file, epochs=epochs, **totals)
    return model.corpus_total_words * epochs / (time.perf_counter() - start)


def run_child(spec):
    """Run child_main(spec) in a fresh interpreter; its words/s."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", json.dumps(spec)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"timed run {spec} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])["words_per_second"]


def child_main(spec):
    """In the child: load the input named by ``spec`` and print the run's words/s as JSON."""
    if spec["input"] == "token lists":
        data = {"corpus": token_lists(spec["path"])}
    else:
        data = {"corpus_file": spec["path"]}
    wps = words_per_second(spec["library"], spec["settings"], spec["workers"], spec["epochs"], **data)
    print(json.dumps({"words_per_second": wps}))


def run_settings(run, overrides):
    """(library, w2gm settings) of one of RUNS, with the --set ``overrides`` on the w2gm ones."""
    if run == "gensim":
        return "gensim", {}
    base = W2GM_SETTINGS if run == "w2gm paper" else {}
    return "w2gm", dict(base, **overrides)


# ---------------------------------------------------------------- formatting


def spread(values, fmt):
    """``median (min, max)`` of ``values``, each formatted by ``fmt``."""
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}, {fmt(max(values))})"


def kwords(x):
    return f"{x / 1000:,.0f}k"


def ratio(x):
    return f"{x:.2f}"


def ratios(numerators, denominators):
    """Per-repetition ratios of two lists of words/s taken in the same repetitions."""
    return [a / b for a, b in zip(numerators, denominators)]


def table(header, rows):
    """Print a Markdown table."""
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |", flush=True)


# ---------------------------------------------------------------- header


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def kernel_name():
    """The kernel build ``w2gm.kernels`` picked ("baseline" or "avx2"; ``W2GM_KERNEL`` overrides)."""
    from w2gm import kernels
    return kernels.kernel_name


def print_header():
    import gensim
    import numpy

    import w2gm
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"- Machine: {cpu_model()}, {os.cpu_count()} logical CPUs ({usable} usable), "
          f"{platform.system()} {platform.release()}")
    print(f"- Software: Python {platform.python_version()}, NumPy {numpy.__version__}, "
          f"gensim {gensim.__version__}, w2gm {w2gm.__version__} ({os.path.dirname(w2gm.__file__)}), "
          f"kernel: {kernel_name()}")
    print(f"- Command: `python {shlex.join(sys.argv)}`")


# ---------------------------------------------------------------- sections


def measure_speed(inputs, workers_list, reps, epochs, overrides):
    """words/s per (input, workers, run), one list entry per repetition; prints every run."""
    rates = {}
    print("\n| rep | input | workers | run | words/s |\n|---|---|---|---|---|")
    for rep in range(reps):
        for name, path in inputs.items():
            for workers in workers_list:
                for run in (RUNS if rep % 2 == 0 else RUNS[::-1]):
                    library, settings = run_settings(run, overrides)
                    wps = run_child(dict(library=library, settings=settings, workers=workers,
                                         epochs=epochs, input=name, path=path))
                    rates.setdefault((name, workers, run), []).append(wps)
                    print(f"| {rep + 1} | {name} | {workers} | {run} | {wps:,.0f} |", flush=True)
    return rates


def print_speed_tables(rates, inputs, workers_list):
    keys = [(name, w) for name in inputs for w in workers_list]
    print("\nRaw corpus words/s, median (min, max):\n")
    table(["input", "workers", *RUNS], [(n, w, *(spread(rates[n, w, r], kwords) for r in RUNS))
                                        for n, w in keys])
    print("\nw2gm / gensim, median of the per-repetition ratios (min, max):\n")
    table(["input", "workers", "w2gm defaults / gensim", "w2gm paper / gensim"],
          [(n, w, *(spread(ratios(rates[n, w, r], rates[n, w, "gensim"]), ratio) for r in RUNS[1:]))
           for n, w in keys])
    if len(workers_list) > 1:
        base, others = workers_list[0], workers_list[1:]
        print(f"\nScaling: words/s at N workers / at {base}, median of the per-repetition ratios "
              "(min, max):\n")
        table(["input", "run", *(f"{base} -> {w}" for w in others)],
              [(n, r, *(spread(ratios(rates[n, w, r], rates[n, base, r]), ratio) for w in others))
               for n in inputs for r in RUNS])


def measure_variants(tokens_path, reps, epochs, overrides):
    """words/s per VARIANTS entry (w2gm, library defaults, token lists), one entry per repetition."""
    rates = {variant: [] for variant in VARIANTS}
    for rep in range(reps):
        for variant in (VARIANTS if rep % 2 == 0 else VARIANTS[::-1]):
            k, covariance, d = variant
            settings = dict(overrides, num_mixtures=k, covariance=covariance, vector_size=d)
            rates[variant].append(run_child(dict(library="w2gm", settings=settings, workers=VARIANT_WORKERS,
                                                 epochs=epochs, input="token lists", path=tokens_path)))
            print(f"  rep {rep + 1} K={k} {covariance} D={d}: {rates[variant][-1]:,.0f} words/s", flush=True)
    return rates


def print_variants_table(rates):
    print(f"\nw2gm variants (library defaults otherwise, workers {VARIANT_WORKERS}, token lists); "
          f"median (min, max):\n")
    table(["K", "covariance", "D", "words/s", "ratio to K=2 spherical D=50"],
          [(*v, spread(rs, kwords), spread(ratios(rs, rates[BASELINE]), ratio)) for v, rs in rates.items()])


def memory_child(path, epochs, vocab_path=None):
    """Run in a subprocess: train w2gm, report peak RSS and parameter bytes.

    The vocabulary is built from ``vocab_path`` (default: the training corpus).
    """
    from w2gm import Text8Corpus, Word2GM
    corpus = Text8Corpus(path)
    model = Word2GM(workers=2, epochs=epochs, seed=1)     # the library defaults
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
    cmd = [sys.executable, os.path.abspath(__file__), "--memory-child", path, "--epochs", str(epochs)]
    if vocab_path:
        cmd += ["--vocab-from", vocab_path]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def print_memory_table(src, epochs, directory):
    print("\nPeak resident memory of a w2gm process (library defaults, workers=2): during train() alone, "
          "and over the whole process including the vocabulary scan:\n")
    mib = 2 ** 20
    paths = {mb: make_slice(src, mb, directory) for mb in (10, 100)}
    rows = []
    for mb, vocab_mb in ((10, 10), (100, 100), (10, 100)):
        m = measure_memory(paths[mb], epochs, None if vocab_mb == mb else paths[vocab_mb])
        rows.append((f"{mb} MB", f"{vocab_mb} MB", f"{m['vocab']:,}", f"{m['param_bytes'] / mib:.1f} MiB",
                     f"{m['train_peak_rss'] / mib:.1f} MiB",
                     f"{(m['train_peak_rss'] - m['param_bytes']) / mib:.1f} MiB",
                     f"{m['peak_rss'] / mib:.1f} MiB", f"{(m['peak_rss'] - m['param_bytes']) / mib:.1f} MiB"))
    table(["training corpus", "vocabulary from", "words", "parameter arrays incl. Adagrad",
           "train() peak RSS", "train() peak - params", "whole-process peak RSS",
           "whole-process peak - params"], rows)


def print_producer_table(path, mb, reps):
    import producer  # benchmarks/producer.py, next to this file
    print("\nProducer-only ceiling (benchmarks/producer.py), one thread, no training:\n")
    producer.print_table(mb, *producer.measure(path, reps))


# ---------------------------------------------------------------- main


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", default=DEFAULT_CORPUS, help="text8-format corpus (default: wiki-fil8)")
    p.add_argument("--mb", type=float, default=20, help="corpus slice size in MB (default 20)")
    p.add_argument("--reps", type=int, default=3, help="repetitions (default 3)")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts (default 1 2)")
    p.add_argument("--epochs", type=int, default=1, help="epochs per timed run (default 1)")
    p.add_argument("--set", default="{}", help="JSON dict of extra w2gm settings for every w2gm run")
    p.add_argument("--producer", action="store_true", help="also the producer-only ceiling")
    p.add_argument("--variants", action="store_true", help="also the K, D, covariance table")
    p.add_argument("--memory", action="store_true", help="also the peak-memory rows")
    p.add_argument("--skip-speed", action="store_true", help="leave out the gensim comparison")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--memory-child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--vocab-from", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    args.overrides = json.loads(args.set)
    fixed = {"seed", "workers", "epochs"} & set(args.overrides)
    if fixed:
        p.error(f"--set cannot change {sorted(fixed)}: use --workers and --epochs (seed is 1)")
    return args


def main():
    args = parse_args()
    if args.child:
        return child_main(json.loads(args.child))
    if args.memory_child:
        return memory_child(args.memory_child, args.epochs, args.vocab_from)
    print_header()
    with tempfile.TemporaryDirectory() as tmp:
        slice_path = make_slice(args.corpus, args.mb, tmp)
        inputs = {"token lists": slice_path, "corpus_file": write_lines(slice_path)}
        print(f"- Corpus: first {args.mb:g} MB of {os.path.basename(args.corpus)}, "
              f"{len(read_tokens(slice_path)):,} tokens; epochs per run: {args.epochs}; "
              f"repetitions: {args.reps}")
        print(f"- gensim: {GENSIM_SETTINGS}; w2gm paper: {W2GM_SETTINGS}; w2gm --set: {args.overrides}")
        if not args.skip_speed:
            rates = measure_speed(inputs, args.workers, args.reps, args.epochs, args.overrides)
            print_speed_tables(rates, inputs, args.workers)
        if args.variants:
            print()
            print_variants_table(measure_variants(slice_path, args.reps, args.epochs, args.overrides))
        if args.producer:
            print_producer_table(slice_path, args.mb, args.reps)
        if args.memory:
            print_memory_table(args.corpus, args.epochs, tmp)


if __name__ == "__main__":
    main()
