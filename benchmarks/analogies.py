"""Word-analogy accuracy of a w2gm model against gensim vectors, on the bundled Google analogy set.

Prints one table: accuracy on word2vec's ``questions-words.txt`` (bundled with w2gm) for

* the w2gm model, once per way the mixtures enter the arithmetic (``mixture="point"``: the
  mixture-weighted mean vectors, gensim's semantics; ``mixture="best_component"``: the best
  combination of components), with 3CosAdd (and 3CosMul with ``--cosmul``);
* the gensim vectors scored by gensim's own ``KeyedVectors.evaluate_word_analogies``;
* the same gensim vectors scored by w2gm's implementation (wrapped as one-component mixtures),
  which must give exactly gensim's sections: a correctness check, reported as ``match``.

Columns: semantic, syntactic and total accuracy (%) with correct/evaluated counts, the questions
evaluated out of the 19,544, and the seconds the evaluation took.

Usage::

    python benchmarks/analogies.py --w2gm MODEL.npz --gensim VECTORS.txt [--binary]
                                   [--restrict-vocab 30000] [--cosmul] [--analogies FILE]

``--w2gm`` takes a model file (``Word2GM.save``) or a keyed-mixtures file
(``KeyedGaussianMixtures.save``); ``--gensim`` a word2vec text (or ``--binary``) file, e.g. from
gensim's ``wv.save_word2vec_format``.  Requires gensim (``pip install ".[benchmark]"``).
"""

import argparse
import logging
import sys
import time


def load_w2gm(path):
    from w2gm import KeyedGaussianMixtures, Word2GM
    from w2gm.exceptions import ModelFileError
    try:
        return Word2GM.load(path).wv
    except ModelFileError as exc:
        if "KeyedGaussianMixtures.load" not in str(exc):
            raise
        return KeyedGaussianMixtures.load(path)


def same_sections(a, b):
    return a[0] == b[0] and all(
        x["section"] == y["section"] and x["correct"] == y["correct"] and x["incorrect"] == y["incorrect"]
        for x, y in zip(a[1], b[1])) and len(a[1]) == len(b[1])


def timed(call):
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def cell(part):
    accuracy, correct, evaluated = part
    if not evaluated:
        return "-"
    return f"{100 * accuracy:5.1f}% ({correct}/{evaluated})"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--w2gm", required=True, help="w2gm model file (or KeyedGaussianMixtures.save file)")
    p.add_argument("--gensim", required=True, help="gensim vectors in word2vec format")
    p.add_argument("--binary", action="store_true", help="--gensim is in binary word2vec format")
    p.add_argument("--restrict-vocab", type=int, default=30000,
                   help="use the most frequent N words of each vocabulary (default 30000)")
    p.add_argument("--cosmul", action="store_true", help="also score w2gm with 3CosMul")
    p.add_argument("--analogies", default=None,
                   help="analogy file (default: the bundled questions-words.txt)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    try:
        from gensim.models import KeyedVectors
    except ImportError:
        sys.exit("benchmarks/analogies.py needs gensim: pip install gensim (or pip install \".[benchmark]\")")
    from w2gm.evaluation import analogy_summary, bundled_analogies_path, read_analogies

    path = args.analogies or bundled_analogies_path()
    n_questions = sum(len(q) for _, q in read_analogies(path).sections)
    wv, seconds = timed(lambda: load_w2gm(args.w2gm))
    print(f"w2gm: {wv!r} from {args.w2gm} ({seconds:.1f} s to load)")
    gensim_kv, seconds = timed(lambda: KeyedVectors.load_word2vec_format(args.gensim, binary=args.binary))
    print(f"gensim: {len(gensim_kv)} words x {gensim_kv.vector_size} from {args.gensim} ({seconds:.1f} s)")
    print(f"analogies: {path} ({n_questions} questions); restrict_vocab={args.restrict_vocab}")
    print()

    rows = []
    functions = ["most_similar"] + (["most_similar_cosmul"] if args.cosmul else [])
    for function in functions:
        method = "3CosAdd" if function == "most_similar" else "3CosMul"
        for mixture in ("point", "best_component"):
            (score, sections), seconds = timed(lambda f=function, m=mixture: wv.evaluate_word_analogies(
                path, restrict_vocab=args.restrict_vocab, similarity_function=f, mixture=m))
            rows.append((f"w2gm K={wv.num_mixtures} {mixture}", method, sections, seconds, ""))
    theirs, seconds = timed(lambda: gensim_kv.evaluate_word_analogies(
        path, restrict_vocab=args.restrict_vocab))
    rows.append(("gensim (gensim's evaluation)", "3CosAdd", theirs[1], seconds, ""))
    from w2gm import KeyedGaussianMixtures
    wrapped = KeyedGaussianMixtures.from_keyed_vectors(gensim_kv)
    ours, seconds = timed(lambda: wrapped.evaluate_word_analogies(path, restrict_vocab=args.restrict_vocab,
                                                                  mixture="point"))
    match = same_sections(ours, theirs)
    rows.append(("gensim (w2gm's evaluation)", "3CosAdd", ours[1], seconds, "yes" if match else "NO"))

    header = ["model", "method", "semantic", "syntactic", "total", "seen", "seconds", "match"]
    lines = []
    for name, method, sections, seconds, note in rows:
        s = analogy_summary(sections)
        lines.append([name, method, cell(s.semantic), cell(s.syntactic), cell(s.total),
                      f"{s.total[2]}/{n_questions}", f"{seconds:.1f}", note])
    widths = [max(len(r[i]) for r in [header] + lines) for i in range(len(header))]
    for r in [header, ["-" * w for w in widths]] + lines:
        cells = (c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
        print("  ".join(cells).rstrip())
    if not match:
        print("\nw2gm's evaluation of the gensim vectors does NOT match gensim's: a bug", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
