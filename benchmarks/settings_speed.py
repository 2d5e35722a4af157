"""Throughput of one settings change against the library defaults, alternating runs.

Each run is a fresh subprocess that trains one epoch of the first ``--mb`` MB of the shared
corpus with the library defaults (``Word2GM()``'s: K=2, D=50, spherical, window 10, 5 shared
negatives per window, Adagrad, alpha 0.1, var_scale 0.5; until the final review of issue 13 the
script ran ``benchmarks/throughput.py``'s paper settings with alpha 0.1 and var_scale 0.5, which
after the defaults changed meant one negative per pair), once as they are and once with the
``--set`` overrides, for workers 1 and 2, ``--reps``
times; the order of the two alternates between repetitions.  It prints raw corpus words per second for every
run, then per worker count the medians and the median, min and max of the per-repetition ratio
changed/defaults.  ``--base`` adds settings to both runs, so a change can be measured against
a baseline that is not the defaults (e.g. ``--base '{"shared_negatives": true}' --set
'{"covariance": "diagonal"}'``: diagonal against spherical, both with shared negatives).  Run it
from outside the source tree only if you want an installed w2gm; it uses whatever ``import
w2gm`` finds (it prints the path).

Usage::

    python benchmarks/settings_speed.py --set '{"adagrad_state": "row"}' [--base '{}'] [--reps 4] [--mb 20]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from throughput import DEFAULT_CORPUS, make_slice  # noqa: E402

CHILD = """
import json, sys
sys.path.insert(0, sys.argv[4])
from throughput import words_per_second
import w2gm
print("w2gm imported from", w2gm.__file__, file=sys.stderr)
from w2gm import Text8Corpus
print(words_per_second("w2gm", json.loads(sys.argv[3]), int(sys.argv[2]), 1, Text8Corpus(sys.argv[1])))
"""


def print_ratios(results, old, new):
    """Per worker count (1, 2): the medians of runs ``old`` and ``new`` (``results[(workers, name)]``,
    words/s by repetition) and the median (min, max) of the per-repetition ratios new/old."""
    print(f"workers  {old}-median  {new}-median  {new}/{old} median-of-ratios (min, max)")
    for workers in (1, 2):
        base, changed = results[(workers, old)], results[(workers, new)]
        ratios = [b / a for a, b in zip(base, changed)]
        print(f"{workers:7d}  {statistics.median(base):{len(old) + 7}.0f}  "
              f"{statistics.median(changed):{len(new) + 7}.0f}  "
              f"{statistics.median(ratios):.3f} ({min(ratios):.3f}, {max(ratios):.3f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", required=True, help="JSON dict of w2gm setting overrides")
    parser.add_argument("--base", default="{}",
                        help="JSON dict of w2gm settings given to both runs (default: none)")
    parser.add_argument("--corpus", default=DEFAULT_CORPUS)
    parser.add_argument("--mb", type=float, default=20)
    parser.add_argument("--reps", type=int, default=4)
    args = parser.parse_args()
    overrides = json.loads(args.set)
    common = json.loads(args.base)
    fixed = {"seed", "workers", "epochs"} & (set(overrides) | set(common))
    if fixed:
        parser.error(f"--set and --base cannot change {sorted(fixed)}: each run uses seed 1, one epoch, "
                     f"workers 1 and 2")
    directory = os.path.join(tempfile.gettempdir(), "w2gm-compare")
    os.makedirs(directory, exist_ok=True)
    path = make_slice(args.corpus, args.mb, directory)
    # the library defaults, with --base
    defaults = common
    variants = {"defaults": defaults, "changed": dict(defaults, **overrides)}
    results = {}
    for rep in range(args.reps):
        for workers in (1, 2):
            order = list(variants.items()) if rep % 2 == 0 else list(variants.items())[::-1]
            for name, settings in order:
                out = subprocess.run([sys.executable, "-c", CHILD, path, str(workers), json.dumps(settings),
                                      HERE], capture_output=True, text=True, check=True)
                wps = float(out.stdout.split()[-1])
                if rep == 0 and workers == 1:
                    print(*[line for line in out.stderr.splitlines() if line.startswith("w2gm imported")],
                          flush=True)
                results.setdefault((workers, name), []).append(wps)
                print(f"rep {rep} workers {workers} {name:8s} {wps:10.0f} words/s", flush=True)
    print(f"\nbase = {json.dumps(common)}, changed = {json.dumps(overrides)}")
    print_ratios(results, "defaults", "changed")


if __name__ == "__main__":
    main()
