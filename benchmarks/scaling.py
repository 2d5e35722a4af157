"""Where the 1 -> 2 worker scaling goes: wall time, CPU per word and idle cores, in one process.

Trains one epoch of the first ``--mb`` MB of the shared corpus with the library defaults, with
1 and with 2 workers, alternating (the order flips every pair), ``--pairs`` times, in this one
process.  The input is token lists in memory (sentences of 10,000 tokens) or, with
``--corpus-file``, ``corpus_file`` mode on a file of 1,000 tokens a line (``throughput.py``'s
input (b)).  Unlike ``throughput.py`` (a fresh process per run, against gensim), the two runs
of a pair share the process, the input and the moment, so their ratio holds less of the
machine's drift.

Per run it prints the raw words/s, the process CPU seconds (``time.process_time``: the
workers, the producer and the calling thread, user and system time), the wall seconds and, on
Linux, the shares of the whole machine's CPU time (``/proc/stat``, all cores) that were idle
and that went to the operating system (system, irq, softirq; iowait and steal are in neither).
Then per pair, and as median (min, max):

- ``scaling``: words/s at 2 workers / at 1 worker;
- ``cpu/word``: process CPU per raw word at 2 workers / at 1 worker (1.0: a second worker
  costs no extra CPU per word);
- ``busy``: process CPU / (2 x wall) at 2 workers (on a 2-CPU machine, 1.0: both cores always
  ran w2gm);
- ``cpu/wall, 1 worker``: process CPU / wall at 1 worker (above 1.0 mainly by the producer
  and the calling thread, which run on an otherwise idle core);
- the idle and system shares at 2 workers.

``scaling = 2 x busy / (cpu/word x cpu/wall at 1 worker)`` holds exactly for each pair (not
between the medians).  At 2 workers the producer's CPU is taken from the workers' cores.  The
busy, idle and system figures are read for a 2-CPU machine; on a larger one ``busy`` can exceed
1 and the machine-wide shares say little.  Usage::

    python benchmarks/scaling.py [--mb 20] [--pairs 8] [--corpus-file]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from throughput import DEFAULT_CORPUS, make_slice, token_lists, write_lines  # noqa: E402


def cpu_ticks():
    """The machine's ``/proc/stat`` CPU line (user, nice, system, idle, ...), or None off Linux."""
    try:
        with open("/proc/stat") as f:
            return [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return None


def one_run(corpus, workers):
    """Train one epoch; (words/s, process CPU seconds, wall seconds, idle share, system share).

    ``corpus``: token lists, or a path (``corpus_file`` mode).
    """
    from w2gm import Word2GM
    data = {"corpus_file": corpus} if isinstance(corpus, str) else {"corpus_iterable": corpus}
    model = Word2GM(workers=workers, epochs=1, seed=1)
    model.build_vocab(**data)
    before, cpu, start = cpu_ticks(), time.process_time(), time.perf_counter()
    model.train(**data, epochs=1)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    after = cpu_ticks()
    idle = system = float("nan")
    if before is not None and after is not None:
        delta = [b - a for a, b in zip(before, after)]
        total = sum(delta) or 1
        idle, system = delta[3] / total, (delta[2] + delta[5] + delta[6]) / total  # system, irq, softirq
    return model.corpus_total_words / wall, cpu, wall, idle, system


def spread(values):
    return f"{statistics.median(values):.3f} ({min(values):.3f}, {max(values):.3f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=20, help="MB of the corpus to use (default 20)")
    parser.add_argument("--pairs", type=int, default=8, help="1-worker/2-worker pairs (default 8)")
    parser.add_argument("--corpus", default=DEFAULT_CORPUS, help="text8-format corpus (.gz)")
    parser.add_argument("--corpus-file", action="store_true",
                        help="corpus_file mode on a file of 1,000 tokens a line (default: token lists)")
    args = parser.parse_args()
    import w2gm
    print(f"w2gm {w2gm.__version__} from {os.path.dirname(w2gm.__file__)}; {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as directory:
        slice_path = make_slice(args.corpus, args.mb, directory)
        if args.corpus_file:
            run_pairs(write_lines(slice_path), args.pairs, f"{args.mb} MB slice, corpus_file")
        else:
            run_pairs(token_lists(slice_path), args.pairs, f"{args.mb} MB slice, token lists")


def run_pairs(corpus, pairs_wanted, described):
    """Print every run and the table of measures over ``pairs_wanted`` 1-worker/2-worker pairs."""
    print(f"{described}; one epoch per run, library defaults\n")
    print("| pair | workers | words/s | process CPU s | wall s | idle | system |\n"
          "|---|---|---|---|---|---|---|")
    pairs = []
    for pair in range(pairs_wanted):
        runs = {}
        for workers in ((1, 2) if pair % 2 == 0 else (2, 1)):
            runs[workers] = one_run(corpus, workers)
            wps, cpu, wall, idle, system = runs[workers]
            print(f"| {pair + 1} | {workers} | {wps:,.0f} | {cpu:.3f} | {wall:.3f} | {100 * idle:.1f}% | "
                  f"{100 * system:.1f}% |", flush=True)
        pairs.append(runs)
    scaling = [p[2][0] / p[1][0] for p in pairs]
    cpu_per_word = [p[2][1] / p[1][1] for p in pairs]
    busy = [p[2][1] / (2 * p[2][2]) for p in pairs]
    print("\n| measure | median (min, max) | per pair |\n|---|---|---|")
    for name, values in [("scaling (2 / 1 workers, words/s)", scaling),
                         ("cpu/word (2 / 1 workers)", cpu_per_word),
                         ("busy (2 workers: process CPU / 2 wall)", busy),
                         ("cpu/wall, 1 worker", [p[1][1] / p[1][2] for p in pairs]),
                         ("idle share, 2 workers", [p[2][3] for p in pairs]),
                         ("system share, 2 workers", [p[2][4] for p in pairs])]:
        print(f"| {name} | {spread(values)} | {' '.join(f'{v:.3f}' for v in values)} |")


if __name__ == "__main__":
    main()
