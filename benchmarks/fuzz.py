"""Long fuzz run with crash and hang detection: prints the table of the hostile-input issue.

Each category's cases run in a worker process (``--worker``) that reports
every case as one JSON line; this parent watches it:

* a worker killed by a signal (a segfault, an abort) counts a **crash** for the
  case it was running, and a new worker continues with the next case;
* a case that reports nothing within ``--timeout`` seconds counts a **hang**:
  the worker is killed and a new one continues;
* a case whose checker raises ``FuzzFailure`` counts a **silent corruption**
  (a file that loaded with other values than it holds, or a refused file that
  loaded) or a **stray exception** (an exception that is not a
  ``W2GMError``, or a message that does not name the file).

The ``save-kill`` category kills a process with SIGKILL at a random moment
while it saves over an existing model and counts a **lost model** when the
file then holds neither the old nor the new model (bit-identical arrays).

The cases are those of ``tests/fuzz_cases.py`` and ``tests/fuzz_text.py``
(the same generators as ``tests/test_fuzz.py``).  Model-file and settings
cases are seeded by ``--seed``, the category and the case number, so a
reported case can be replayed with ``--worker CATEGORY --start N --stop N+1``;
word2vec and corpus cases come from hypothesis strategies seeded by ``--seed``
and the first case number of their worker (a failure prints the case's
mutation family; the failing bytes are rebuilt by rerunning that worker).

A "silent corruption" is a check that failed on content: a file that loaded
with other values than the file holds (model files: other arrays than the
original's CRC-protected ones; word2vec and corpora: another result than an
independent pure-Python reference parser), or a file that must be refused
and loaded.

Usage::

    python benchmarks/fuzz.py [--cases 2000] [--save-kills 40] [--timeout 60] [--seed 0]
                              [--category NAME ...]
"""

import argparse
import collections
import json
import logging
import os
import random
import select
import signal
import subprocess
import sys
import tempfile
import time
import warnings

TESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests")
sys.path.insert(0, TESTS)


def _model_category(**model_settings):
    def run(rng, scratch, state):
        from fuzz_cases import base_model, check_model_case, model_file_case
        if "base" not in state:
            state["base"] = base_model(**model_settings)
        model, data, members = state["base"]
        kind, blob, expect = model_file_case(rng, data, members)
        return kind, check_model_case(os.path.join(scratch, "fuzzed.w2gm"), blob, expect, model)
    return run


def _settings_category(rng, scratch, state):
    from fuzz_cases import check_settings_case, settings_case
    return "settings", check_settings_case(settings_case(rng))


#: Category name -> function(rng, scratch_dir, state) -> (kind, outcome label).
CATEGORIES = {
    "model file (separate, Adagrad, spherical)": _model_category(separate_output=True),
    "model file (shared, SGD, diagonal)": _model_category(separate_output=False, optimizer="sgd",
                                                          covariance="diagonal"),
    "settings near bounds": _settings_category,
}


#: Categories driven by hypothesis strategies (tests/fuzz_text.py), built in the worker.
TEXT_CATEGORIES = ("word2vec text", "word2vec binary", "word2vec .gz/.bz2/.xz",
                   "corpus (LineSentence, Text8Corpus)")
CATEGORIES.update(dict.fromkeys(TEXT_CATEGORIES))


def _text_categories():
    """:data:`TEXT_CATEGORIES` -> (hypothesis strategy, checker(scratch, case) -> outcome)."""
    import fuzz_text
    w2v, corpus = fuzz_text.word2vec_cases, fuzz_text.corpus_cases
    compressed = tuple(s for s in fuzz_text.COMPRESSION_SUFFIXES if s)

    def check_w2v(directory, case):
        return fuzz_text.check_word2vec_case(directory, *case[:3])

    def check_corpus(directory, case):
        return fuzz_text.check_corpus_case(directory, *case[:4])

    strategies = (w2v(binary=False, suffixes=("",)), w2v(binary=True, suffixes=("",)),
                  w2v(suffixes=compressed), corpus())
    checkers = (check_w2v, check_w2v, check_w2v, check_corpus)
    return dict(zip(TEXT_CATEGORIES, zip(strategies, checkers)))


if os.environ.get("W2GM_FUZZ_SELF_TEST"):
    def _crash_or_hang(rng, scratch, state):
        number = int(os.environ["W2GM_FUZZ_CASE"])
        if number == 2:
            os.abort()
        if number == 4:
            time.sleep(3600)
        return "self-test", "loaded"
    CATEGORIES["self-test (crash on case 2, hang on case 4)"] = _crash_or_hang


# --------------------------------------------------------------------------- worker
def _hypothesis_worker(category, seed, start, stop):
    """Cases ``start..stop-1`` of a hypothesis-driven category (seeded by ``seed`` and ``start``)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    strategy, check = _text_categories()[category]
    counter = [start]

    @settings(max_examples=stop - start, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @hypothesis_seed(seed * 1_000_003 + start)
    @given(case=strategy)
    def run(case):
        i = counter[0]
        if i >= stop:
            return
        counter[0] += 1
        print(json.dumps({"start": i}), flush=True)
        began = time.perf_counter()
        kind = "+".join(getattr(case, "mutations", ())[:1]) or "intact"
        try:
            record = {"case": i, "kind": kind, "outcome": check(scratch, case)}
        except AssertionError as exc:
            record = {"case": i, "kind": kind, "failure": str(exc)[:300]}
        except Exception as exc:  # not a W2GMError: a stray exception
            failure = f"stray exception {type(exc).__name__}: {exc}"
            record = {"case": i, "kind": kind, "failure": failure[:300]}
        record["seconds"] = time.perf_counter() - began
        print(json.dumps(record), flush=True)

    with tempfile.TemporaryDirectory() as scratch:
        run()


def worker(category, seed, start, stop):
    """Run cases ``start..stop-1`` of ``category``, one JSON line per event on stdout."""
    from fuzz_cases import FuzzFailure
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    if category in TEXT_CATEGORIES:
        _hypothesis_worker(category, seed, start, stop)
        return
    run = CATEGORIES[category]
    state = {}
    with tempfile.TemporaryDirectory() as scratch:
        for i in range(start, stop):
            print(json.dumps({"start": i}), flush=True)
            os.environ["W2GM_FUZZ_CASE"] = str(i)
            rng = random.Random(f"{seed}/{category}/{i}")
            began = time.perf_counter()
            try:
                kind, outcome = run(rng, scratch, state)
                record = {"case": i, "kind": kind, "outcome": outcome}
            except FuzzFailure as exc:
                record = {"case": i, "kind": "?", "failure": str(exc)[:300]}
            record["seconds"] = time.perf_counter() - began
            print(json.dumps(record), flush=True)


# --------------------------------------------------------------------------- parent
class Tally:
    def __init__(self):
        self.counts = collections.Counter()
        self.kinds = collections.Counter()
        self.examples = collections.defaultdict(list)
        self.slowest = 0.0

    def note(self, key, example=None):
        self.counts[key] += 1
        if example is not None and len(self.examples[key]) < 3:
            self.examples[key].append(example)


class _LineReader:
    """Lines of a child's stdout, each waited for at most ``timeout`` seconds (no buffering surprises)."""

    def __init__(self, fd):
        self.fd = fd
        self.pending = b""

    def readline(self, timeout):
        """The next line (bytes); ``b""`` at end of output; None after ``timeout`` seconds of silence."""
        while b"\n" not in self.pending:
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                line, self.pending = self.pending, b""
                return line
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        return line + b"\n"


def run_category(category, cases, seed, timeout):
    tally = Tally()
    next_case = 0
    while next_case < cases:
        child = subprocess.Popen([sys.executable, __file__, "--worker", category, "--seed", str(seed),
                                  "--start", str(next_case), "--stop", str(cases)],
                                 stdout=subprocess.PIPE)
        reader = _LineReader(child.stdout.fileno())
        running = None
        while True:
            line = reader.readline(timeout)
            if line is None:
                tally.note("hangs", f"case {running}")
                child.kill()
                child.wait()
                next_case = (running if running is not None else next_case) + 1
                break
            if not line:
                code = child.wait()
                if code != 0 and running is not None:
                    tally.note("crashes", f"case {running}: exit {code}")
                    next_case = running + 1
                else:
                    next_case = cases
                break
            record = json.loads(line)
            if "start" in record:
                running = record["start"]
                continue
            running = None
            next_case = record["case"] + 1
            tally.slowest = max(tally.slowest, record["seconds"])
            tally.note("cases")
            if "failure" in record:
                key = "stray exceptions" if record["failure"].startswith("stray") or \
                    "does not name" in record["failure"] else "silent corruptions"
                tally.note(key, f"case {record['case']}: {record['failure']}")
            elif record["outcome"].startswith("named error"):
                tally.note("named errors")
                tally.kinds[f"{record['kind']}: {record['outcome']}"] += 1
            else:
                tally.note("loaded or accepted")
                tally.kinds[f"{record['kind']}: {record['outcome']}"] += 1
        child.stdout.close()
    return tally


SAVE_KILL_CHILD = """
import sys
sys.path.insert(0, {tests!r})
from test_persistence import big_model
model = big_model(2)
print("ready", flush=True)
while True:
    model.save({path!r})
"""


def run_save_kills(trials, seed):
    """SIGKILL during saves over an existing model; count lost models and leftover temporaries."""
    from test_persistence import big_model, bit_identical

    from w2gm import Word2GM
    from w2gm.exceptions import W2GMError
    tally = Tally()
    rng = random.Random(f"{seed}/save-kill")
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "model.w2gm")
        old, new = big_model(1), big_model(2)
        began = time.perf_counter()
        old.save(path)
        save_seconds = time.perf_counter() - began
        for trial in range(trials):
            child = subprocess.Popen([sys.executable, "-c", SAVE_KILL_CHILD.format(tests=TESTS, path=path)],
                                     stdout=subprocess.PIPE, cwd=directory)
            child.stdout.readline()
            time.sleep(rng.uniform(0.0, 2.0 * save_seconds))
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            child.stdout.close()
            tally.note("cases")
            try:
                loaded = Word2GM.load(path)
                kept = "old" if bit_identical(loaded, old) else "new" if bit_identical(loaded, new) else None
            except W2GMError:
                kept = None
            if kept is None:
                tally.note("lost models", f"trial {trial}")
            else:
                tally.kinds[f"save-kill: {kept} model kept"] += 1
            new.save(path)
            if sorted(os.listdir(directory)) != ["model.w2gm"]:
                tally.note("temporaries left", f"trial {trial}: {os.listdir(directory)}")
            old.save(path)
    return tally


COLUMNS = ["cases", "loaded or accepted", "named errors", "crashes", "hangs", "silent corruptions",
           "stray exceptions", "lost models", "temporaries left"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=2000, help="cases per category")
    parser.add_argument("--save-kills", type=int, default=40, help="SIGKILL-during-save trials")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a case is a hang")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--category", action="append", help="run only these categories")
    parser.add_argument("--self-test", action="store_true",
                        help="run only a category that crashes on case 2 and hangs on case 4")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--stop", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.seed, args.start, args.stop)
        return
    if args.self_test:
        os.environ["W2GM_FUZZ_SELF_TEST"] = "1"
        CATEGORIES.clear()
        _crash_or_hang_name = "self-test (crash on case 2, hang on case 4)"
        CATEGORIES[_crash_or_hang_name] = None
        args.category, args.save_kills = [_crash_or_hang_name], 0
    results = {}
    began = time.perf_counter()
    for category in args.category or CATEGORIES:
        results[category] = run_category(category, args.cases, args.seed, args.timeout)
        print(f"# {category}: done ({time.perf_counter() - began:.0f} s)", file=sys.stderr, flush=True)
    if args.save_kills:
        results["SIGKILL during save"] = run_save_kills(args.save_kills, args.seed)
    print(f"fuzz run: {args.cases} cases per category, seed {args.seed}, hang timeout {args.timeout:g} s, "
          f"{time.perf_counter() - began:.0f} s in all\n")
    print("| category | " + " | ".join(COLUMNS) + " | slowest case (s) |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    for category, tally in results.items():
        print(f"| {category} | " + " | ".join(str(tally.counts[c]) for c in COLUMNS)
              + f" | {tally.slowest:.2f} |")
    print("\noutcomes by mutation family:")
    for category, tally in results.items():
        for kind, n in sorted(tally.kinds.items()):
            print(f"  {category} / {kind}: {n}")
    for category, tally in results.items():
        for key, examples in tally.examples.items():
            for example in examples:
                print(f"FAILURE {category} / {key}: {example}")


if __name__ == "__main__":
    main()
