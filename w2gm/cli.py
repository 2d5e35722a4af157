"""The ``w2gm`` command line: train a model, query neighbours, export vectors, evaluate.

::

    w2gm train [CORPUS] -o MODEL [--num-mixtures 2 --vector-size 50 ...]
    w2gm neighbors MODEL WORD [--component K] [--topn 10]
    w2gm export MODEL -o PATH [--component K] [--binary] [--fvocab PATH]
    w2gm evaluate MODEL [--metric M ...] [--dataset PATH ...]

``export`` writes one vector per word in word2vec format: the point vectors
(the mixture-weighted mean of the component means, ``model.wv.vectors``)
without ``--component``, the means of component K with it.

Training options are the :class:`w2gm.Word2GM` parameter names with dashes; their
defaults, help and validation come from :mod:`w2gm.settings`.  Errors about
the user's input or files (:class:`w2gm.exceptions.W2GMError`, ``OSError``)
print one line and exit with status 2; Ctrl-C prints one line and exits with
status 130; any other exception is a bug and keeps its traceback.
Without CORPUS, ``train`` uses the small sample corpus shipped in the package.
"""

import argparse
import logging
import sys

from w2gm.corpora import LineSentence, Text8Corpus, is_corrupt_data_error, open_untrusted, sample_corpus_path
from w2gm.evaluation import evaluate_benchmarks, format_table
from w2gm.exceptions import CorpusError, ParameterError, W2GMError
from w2gm.persistence import check_writable_target
from w2gm.settings import add_arguments, arguments_to_settings
from w2gm.similarity import SIMILARITY_METRICS, check_metric
from w2gm.word2gm import Word2GM

logger = logging.getLogger("w2gm")


def detect_format(path, probe_bytes=1 << 20):
    """Guess ``"text8"`` (one huge line) or ``"lines"`` from the first MiB (decompressed).

    Raises
    ------
    FileNotFoundError, PermissionError, IsADirectoryError
        If ``path`` cannot be opened.
    CorpusError
        If its compressed data is corrupt or truncated.
    """
    try:
        with open_untrusted(path) as f:
            head = f.read(probe_bytes)
    except Exception as exc:
        if not is_corrupt_data_error(exc):
            raise
        raise CorpusError(f"corpus file {path!r}: corrupt or truncated compressed data "
                          f"({type(exc).__name__}: {exc})") from exc
    if len(head) >= probe_bytes and b"\n" not in head:
        return "text8"
    return "lines"


def _corpus(path, fmt):
    if path is None:
        return Text8Corpus(sample_corpus_path()), "the bundled sample corpus"
    if fmt == "auto":
        fmt = detect_format(path)
    reader = Text8Corpus(path) if fmt == "text8" else LineSentence(path)
    return reader, f"{path} ({fmt} format)"


def build_parser():
    parser = argparse.ArgumentParser(
        prog="w2gm", description="Multimodal word distributions (Word2GM): train and query "
                                 "Gaussian-mixture word embeddings.")
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="logging level")
    sub = parser.add_subparsers(dest="command", required=True)

    tr = sub.add_parser("train", help="train a model and save it",
                        description="Train Word2GM on CORPUS (default: the bundled sample).")
    tr.add_argument("corpus", nargs="?", default=None,
                    help="corpus file (.txt, .gz, .bz2 or .xz); omitted: the bundled sample corpus")
    tr.add_argument("-o", "--output", required=True, help="path of the model file to write")
    tr.add_argument("--format", choices=["auto", "text8", "lines"], default="auto",
                    help="corpus format: one sentence a line, or text8 (one huge line); "
                         "default: guessed from the first MiB")
    add_arguments(tr)

    nb = sub.add_parser("neighbors", help="nearest neighbours of a word or one of its components")
    nb.add_argument("model", help="model file written by 'w2gm train'")
    nb.add_argument("word")
    nb.add_argument("--component", type=int, default=None,
                    help="component index; omitted: word-level neighbours by maximum cosine")
    nb.add_argument("--topn", type=int, default=10)

    ex = sub.add_parser("export", help="write point vectors or one component's means in word2vec format",
                        description="Write one vector per word in word2vec format (readable by gensim's "
                                    "KeyedVectors.load_word2vec_format): the point vectors, i.e. the "
                                    "mixture-weighted means of the component means, or with --component K "
                                    "the means of component K.")
    ex.add_argument("model")
    ex.add_argument("-o", "--output", required=True)
    ex.add_argument("--component", type=int, default=None,
                    help="component index; omitted: the point vectors")
    ex.add_argument("--binary", action="store_true")
    ex.add_argument("--fvocab", default=None, metavar="PATH",
                    help="also write 'word count' lines to PATH (gensim's fvocab)")

    ev = sub.add_parser(
        "evaluate", help="Spearman correlation on word-similarity datasets",
        description="Spearman rho x 100 between model similarities and human ratings on the "
                    "eleven bundled word-similarity datasets of the paper's Table 2 (SL, WS, WS-S, "
                    "WS-R, MEN, MC, RG, YP, MT-287, MT-771, RW), or on the given files.")
    ev.add_argument("model", help="model file written by 'w2gm train'")
    ev.add_argument("--metric", action="append", default=None, metavar="M",
                    help="similarity measure: max_cos (default), avg_cos, expected_likelihood, "
                         "min_euclidean, neg_kl, or 'all'; repeatable or comma-separated")
    ev.add_argument("--dataset", action="append", default=None, metavar="PATH",
                    help="evaluate this word-pair file (word1 word2 score per line) or bundled "
                         "dataset name instead of the eleven bundled ones; repeatable")
    ev.add_argument("--case-sensitive", action="store_true",
                    help="match dataset words exactly (default: case-insensitive (uppercased), like gensim)")
    return parser


def cmd_train(args):
    model = Word2GM(**arguments_to_settings(args))  # validates every setting before reading the corpus
    check_writable_target(args.output)  # fail before training, not after
    corpus, described = _corpus(args.corpus, args.format)
    logger.info("training on %s", described)
    model.build_vocab(corpus)
    losses = model.train(corpus)
    model.save(args.output)
    stats = model.last_train_stats
    print(f"trained {model!r} on {described}")
    print(f"{stats['raw_words']} words in {stats['seconds']:.1f} s: "
          f"{stats['words_per_second']:.0f} words/s")
    print("mean loss per epoch: " + " ".join(f"{x:.4f}" for x in losses))
    print(f"saved to {args.output}")
    return 0


def cmd_neighbors(args):
    if args.topn < 1:
        raise ParameterError(f"--topn must be a positive integer, got {args.topn}")
    model = Word2GM.load(args.model)
    result = model.wv.most_similar(args.word, component=args.component, topn=args.topn)
    for item in result:
        if args.component is None:
            word, score = item
            print(f"{word}\t{score:.4f}")
        else:
            word, comp, score = item
            print(f"{word}:{comp}\t{score:.4f}")
    return 0


def cmd_export(args):
    model = Word2GM.load(args.model)
    model.wv.save_word2vec_format(args.output, fvocab=args.fvocab, binary=args.binary,
                                  component=args.component)
    what = "point vectors" if args.component is None else f"component {args.component}"
    print(f"wrote {what} of {len(model.wv)} words to {args.output}")
    if args.fvocab is not None:
        print(f"wrote the vocabulary with counts to {args.fvocab}")
    return 0


def _evaluation_metrics(values):
    metrics = []
    for value in values or ["max_cos"]:
        for name in value.split(","):
            name = name.strip()
            chosen = SIMILARITY_METRICS if name == "all" else (check_metric(name),)
            metrics.extend(m for m in chosen if m not in metrics)
    return metrics


def cmd_evaluate(args):
    metrics = _evaluation_metrics(args.metric)  # validate before loading the model
    model = Word2GM.load(args.model)
    rows = evaluate_benchmarks(model, metrics=metrics, datasets=args.dataset,
                               case_insensitive=not args.case_sensitive)
    print(f"Spearman rho x 100, {model!r} from {args.model}")
    print(format_table(rows, metrics))
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=getattr(logging, args.log_level),
                        format="%(asctime)s %(levelname)s %(message)s")
    handlers = {"train": cmd_train, "neighbors": cmd_neighbors, "export": cmd_export,
                "evaluate": cmd_evaluate}
    try:
        return handlers[args.command](args)
    except (W2GMError, OSError) as exc:
        # problems with the user's input or files: one line; anything else is a bug and keeps
        # its traceback
        print(f"w2gm: error: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        # training joins its threads before this is raised; nothing was written
        print(f"w2gm: interrupted; nothing was written by '{args.command}'", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
