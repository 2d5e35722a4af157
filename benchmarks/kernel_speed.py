"""Throughput of the AVX2/FMA kernel build against the baseline build, alternating runs.

Each run is a fresh subprocess with ``W2GM_KERNEL=baseline`` or ``W2GM_KERNEL=avx2``
(``w2gm/kernels.py``) that trains one epoch of the first ``--mb`` MB of the shared corpus with the
library defaults (``Word2GM()``'s, as in ``benchmarks/settings_speed.py``; until the final review
of issue 13 the script ran ``benchmarks/throughput.py``'s paper settings with alpha 0.1 and
var_scale 0.5, one negative per pair) plus the optional ``--set`` overrides, for workers 1 and 2,
``--reps`` times; the order of the two kernels alternates between repetitions.  It prints raw
corpus words per second for every run, then per worker count the medians and the median, min and
max of the per-repetition ratio avx2/baseline.  It uses whatever ``import w2gm`` finds from the
working directory, and checks that the child trained with the kernel it asked for.

Usage::

    python benchmarks/kernel_speed.py [--set '{"covariance": "diagonal"}'] [--reps 3] [--mb 20]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from settings_speed import print_ratios  # noqa: E402
from throughput import DEFAULT_CORPUS, make_slice  # noqa: E402

CHILD = """
import json, sys
sys.path.insert(0, sys.argv[4])
from throughput import words_per_second
from w2gm import Text8Corpus, kernels
wps = words_per_second("w2gm", json.loads(sys.argv[3]), int(sys.argv[2]), 1, Text8Corpus(sys.argv[1]))
print(kernels.kernel_name, wps)
"""
KERNELS = ("baseline", "avx2")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="{}", help="JSON dict of w2gm setting overrides (both kernels)")
    parser.add_argument("--corpus", default=DEFAULT_CORPUS)
    parser.add_argument("--mb", type=float, default=20)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    overrides = json.loads(args.set)
    fixed = {"seed", "workers", "epochs"} & set(overrides)
    if fixed:
        parser.error(f"--set cannot change {sorted(fixed)}: each run uses seed 1, one epoch, workers 1 and 2")
    directory = os.path.join(tempfile.gettempdir(), "w2gm-kernel-speed")
    os.makedirs(directory, exist_ok=True)
    path = make_slice(args.corpus, args.mb, directory)
    settings = overrides     # on top of the library defaults
    results = {}
    for rep in range(args.reps):
        for workers in (1, 2):
            for kernel in KERNELS if rep % 2 == 0 else KERNELS[::-1]:
                env = dict(os.environ, W2GM_KERNEL=kernel)
                out = subprocess.run([sys.executable, "-c", CHILD, path, str(workers), json.dumps(settings),
                                      HERE], capture_output=True, text=True, check=True, env=env)
                used, wps = out.stdout.split()[-2:]
                if used != kernel:
                    raise SystemExit(f"asked for kernel {kernel}, the child trained with {used}")
                results.setdefault((workers, kernel), []).append(float(wps))
                print(f"rep {rep} workers {workers} {kernel:8s} {float(wps):10.0f} words/s", flush=True)
    print(f"\nsettings = library defaults + {json.dumps(overrides)}")
    print_ratios(results, "baseline", "avx2")


if __name__ == "__main__":
    main()
