"""Throughput of two builds of w2gm, alternating runs in one session (a fresh subprocess per run).

Usage::

    python benchmarks/compare_versions.py OLD_DIR NEW_DIR [REPS]

OLD_DIR and NEW_DIR are source trees with their extensions built in place
(``python setup.py build_ext --inplace``); each run imports w2gm from one of
them via PYTHONPATH and trains one epoch of the first 20 MB of the shared
corpus with ``benchmarks/throughput.py``'s paper settings (``W2GM_SETTINGS``)
and with the library defaults (``Word2GM()``'s; until the final review of
issue 13 this variant was the paper settings with alpha 0.1 and var_scale
0.5, one negative per pair), workers 1 and 2.  Prints raw words/s per run and, per
variant, the median of each build and the median, min and max of the per-rep
ratio NEW/OLD.  Run it from a directory outside both trees (e.g. ``cd /tmp``):
the runs' ``python -c`` puts the working directory first on ``sys.path``, and
the check that each run imported its own tree fails otherwise.
"""
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from throughput import DEFAULT_CORPUS, W2GM_SETTINGS, make_slice  # noqa: E402

CHILD = """
import json, sys
sys.path.insert(0, sys.argv[4])
import w2gm
from w2gm import Text8Corpus
from throughput import words_per_second
wps = words_per_second("w2gm", json.loads(sys.argv[3]), int(sys.argv[2]), 1, Text8Corpus(sys.argv[1]))
print(json.dumps([w2gm.__file__, wps]))
"""
impls = {"old": os.path.abspath(sys.argv[1]), "new": os.path.abspath(sys.argv[2])}
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 4
workdir = os.path.join(os.environ.get("TMPDIR", "/tmp"), "w2gm-compare")
os.makedirs(workdir, exist_ok=True)
path = make_slice(DEFAULT_CORPUS, 20, workdir)
variants = {"paper": W2GM_SETTINGS, "defaults": {}}
res = {}
for rep in range(reps):
    order = ["old", "new"] if rep % 2 == 0 else ["new", "old"]
    for workers in (1, 2):
        for var, over in variants.items():
            for impl in order:
                argv = [sys.executable, "-c", CHILD, path, str(workers), json.dumps(over), HERE]
                out = subprocess.run(argv,
                                     env=dict(os.environ, PYTHONPATH=impls[impl]), capture_output=True,
                                     text=True, check=True)
                f, wps = json.loads(out.stdout.strip().splitlines()[-1])
                assert f.startswith(impls[impl]), f
                res.setdefault((var, workers, impl), []).append(wps)
                print(rep, var, workers, impl, round(wps), flush=True)
print("\nvariant workers  old-median  new-median  new/old median-of-ratios (min, max)")
for var in variants:
    for workers in (1, 2):
        o, n = res[(var, workers, "old")], res[(var, workers, "new")]
        ratios = [b / a for a, b in zip(o, n)]
        print(f"{var:8s} {workers}  {statistics.median(o):10.0f}  {statistics.median(n):10.0f}  "
              f"{statistics.median(ratios):.3f} ({min(ratios):.3f}, {max(ratios):.3f})")
