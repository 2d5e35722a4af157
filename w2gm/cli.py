"""The ``w2gm`` command line: train a model, query neighbours, export vectors, evaluate.

::

    w2gm train [CORPUS] -o MODEL [--num-mixtures 2 --vector-size 50 ...]
    w2gm neighbors MODEL WORD [--component K] [--topn 10]
    w2gm export MODEL -o PATH [--component K] [--binary] [--fvocab PATH]
    w2gm export MODEL --format projector -o DIR      (or --format tsv -o FILE)
    w2gm evaluate MODEL [--metric M ...] [--dataset PATH ...]
    w2gm plot MODEL WORD [WORD ...] -o FIGURE.png|.svg|.pdf [--neighbours N]
    w2gm senses MODEL WORD [WORD ...] [--topn 10]
    w2gm disambiguate MODEL WORD "a sentence with the word" [--window N]
    w2gm entail MODEL HYPONYM HYPERNYM

``export`` writes one vector per word in word2vec format: the point vectors
(the mixture-weighted mean of the component means, ``model.wv.vectors``)
without ``--component``, the means of component K with it.  ``export
--format projector`` writes the TensorBoard Embedding Projector files of
every component into a directory, ``--format tsv`` one table of every
component (:mod:`w2gm.projector`).  ``plot`` draws the paper's Figure 1
(:func:`w2gm.plotting.plot_mixtures`; needs matplotlib, ``pip install
"w2gm[plot]"``) with matplotlib's non-interactive Agg backend, the format
following the output's extension, written atomically.

``senses``, ``disambiguate`` and ``entail`` print the results of
:mod:`w2gm.senses` (``model.wv.senses``, ``model.wv.disambiguate``,
``model.wv.entailment_score`` under every metric, and ``most_general``).

Training options are the :class:`w2gm.Word2GM` parameter names with dashes; their
defaults, help and validation come from :mod:`w2gm.settings`.  Errors about
the user's input or files (:class:`w2gm.exceptions.W2GMError`, ``OSError``)
print one line and exit with status 2; Ctrl-C prints one line and exits with
status 130; any other exception is a bug and keeps its traceback.
Without CORPUS, ``train`` uses the small sample corpus shipped in the package.

Global options (``--log-level``, ``--version``) are accepted before and after
the subcommand (``w2gm train ... --log-level WARNING``); given twice, the
last one wins.  ``w2gm --version`` prints ``w2gm <version>`` (the installed
distribution's version, ``unknown`` when w2gm runs from a source tree that
was never installed).

Progress of ``train`` (``--progress``): ``auto`` (default) draws a tqdm
progress bar on stderr when stderr is a terminal, and otherwise logs
gensim-style ``EPOCH n - PROGRESS`` lines (at INFO); ``bar`` and ``log``
force one or the other.  The bar shows the share of the whole call done,
the epoch, words/s, the estimated time left and the epoch's mean loss,
updated about every 0.25 s through the ``on_progress`` callback hook of
:mod:`w2gm.training`; while it is shown, the other log lines are printed
above it and the progress log lines are left out (the bar shows the same
numbers).  It is closed whatever ends the training (an error, Ctrl-C).
"""

import argparse
import contextlib
import importlib.metadata
import io
import logging
import os
import sys

from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from w2gm.corpora import LineSentence, Text8Corpus, is_corrupt_data_error, open_untrusted, sample_corpus_path
from w2gm.evaluation import evaluate_benchmarks, format_table
from w2gm.exceptions import CorpusError, ParameterError, W2GMError
from w2gm.persistence import atomic_write, check_compression_available, check_writable_target
from w2gm.plotting import import_matplotlib, plot_mixtures
from w2gm.projector import check_limit, write_projector, write_tsv
from w2gm.settings import add_arguments, arguments_to_settings
from w2gm.similarity import SIMILARITY_METRICS, check_metric
from w2gm.training import PROGRESS_MESSAGE
from w2gm.word2gm import Word2GM

logger = logging.getLogger("w2gm")

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_LOG_LEVEL = "INFO"
#: ``train(report_delay=...)`` while the progress bar is shown (the log lines keep gensim's 1 s)
BAR_REPORT_DELAY = 0.25


def package_version():
    """Version of the installed ``w2gm`` distribution, or ``"unknown"`` if it is not installed."""
    try:
        return importlib.metadata.version("w2gm")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


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


def _global_options(log_level_default):
    """Parent parser of the global options, with `log_level_default` (``argparse.SUPPRESS``: none)."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--log-level", default=log_level_default, choices=LOG_LEVELS,
                         help=f"logging level (default: {DEFAULT_LOG_LEVEL})")
    options.add_argument("--version", action="version", version=f"w2gm {package_version()}",
                         help="print the w2gm version and exit")
    return options


def build_parser():
    # the global options, on the main parser (with the defaults) and on every subcommand (without
    # defaults: argparse copies a subcommand's values over the main parser's, so a default there
    # would undo a value given before the subcommand)
    parser = argparse.ArgumentParser(
        prog="w2gm", description="Multimodal word distributions (Word2GM): train and query "
                                 "Gaussian-mixture word embeddings.",
        parents=[_global_options(DEFAULT_LOG_LEVEL)])
    after = _global_options(argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)

    def add_command(name, **kwargs):
        return sub.add_parser(name, parents=[after], **kwargs)

    tr = add_command("train", help="train a model and save it",
                     description="Train Word2GM on CORPUS (default: the bundled sample).")
    tr.add_argument("corpus", nargs="?", default=None,
                    help="corpus file (.txt, .gz, .bz2 or .xz); omitted: the bundled sample corpus")
    tr.add_argument("-o", "--output", required=True, help="path of the model file to write")
    tr.add_argument("--format", choices=["auto", "text8", "lines"], default="auto",
                    help="corpus format: one sentence a line, or text8 (one huge line); "
                         "default: guessed from the first MiB")
    tr.add_argument("--progress", choices=["auto", "bar", "log"], default="auto",
                    help="show progress as a bar on stderr or as log lines (at INFO); "
                         "default: a bar when stderr is a terminal")
    add_arguments(tr)

    nb = add_command("neighbors", help="nearest neighbours of a word or one of its components")
    nb.add_argument("model", help="model file written by 'w2gm train'")
    nb.add_argument("word")
    nb.add_argument("--component", type=int, default=None,
                    help="component index; omitted: word-level neighbours by maximum cosine")
    nb.add_argument("--topn", type=int, default=10)

    ex = add_command("export", help="write point vectors or one component's means in word2vec format",
                        description="Write one vector per word in word2vec format (readable by gensim's "
                                    "KeyedVectors.load_word2vec_format): the point vectors, i.e. the "
                                    "mixture-weighted means of the component means, or with --component K "
                                    "the means of component K.")
    ex.add_argument("model")
    ex.add_argument("-o", "--output", required=True,
                    help="the file to write; a directory (created if missing) with --format projector")
    ex.add_argument("--format", choices=EXPORT_FORMATS, default="word2vec", dest="export_format",
                    help="word2vec (default): one vector per word; projector: tensors.tsv, metadata.tsv "
                         "and projector_config.pbtxt of every component for the TensorBoard Embedding "
                         "Projector, in the directory OUTPUT; tsv: one table of every component (label, "
                         "word, component, weight, variance, count, mean values) with a header")
    ex.add_argument("--component", type=int, default=None,
                    help="component index; omitted: the point vectors")
    ex.add_argument("--binary", action="store_true")
    ex.add_argument("--fvocab", default=None, metavar="PATH",
                    help="also write 'word count' lines to PATH (gensim's fvocab)")
    ex.add_argument("--limit", type=int, default=None, metavar="N",
                    help="--format projector/tsv: only the N most frequent words (the first N of the "
                         "vocabulary); default: every word")

    add_plot_command(add_command)

    ev = add_command(
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
    _add_sense_commands(add_command)
    return parser


def use_progress_bar(mode, stream):
    """Whether ``train`` draws a progress bar: `mode` ``"bar"``, or ``"auto"`` and `stream` a terminal.

    A terminal that reports zero columns (e.g. ``script`` without a size) gets
    the log lines: tqdm would draw nothing there.
    """
    if mode == "auto":
        isatty = getattr(stream, "isatty", None)
        if not (isatty is not None and isatty()):
            return False
        try:
            return os.get_terminal_size(stream.fileno()).columns > 0
        except (AttributeError, OSError, ValueError):
            return True
    return mode == "bar"


class ProgressBar:
    """Training callback drawing a tqdm progress bar of one ``train`` call on `file`.

    Uses the w2gm callback extension ``on_progress(model, progress)``
    (:class:`w2gm.training.Progress`): the bar runs from 0 to 100 percent of
    the call (all epochs); its postfix gives the epoch, words/s and the
    epoch's mean loss, and tqdm estimates the time left.  Use it inside
    :meth:`shown`, which also closes it when training fails.
    """

    def __init__(self, file):
        self.file = file
        self.bar = None

    @contextlib.contextmanager
    def shown(self):
        """While the bar may be shown: log lines go above it, the progress log lines are left out."""
        drop_progress_lines = _DropProgressLines()
        training_logger = logging.getLogger("w2gm.training")
        training_logger.addFilter(drop_progress_lines)
        try:
            with logging_redirect_tqdm():
                yield self
        finally:
            training_logger.removeFilter(drop_progress_lines)
            self.close()

    def on_train_begin(self, model):
        self.close()
        self.bar = tqdm(total=100.0, file=self.file, unit="%", dynamic_ncols=True, leave=True,
                        bar_format="{percentage:5.1f}%|{bar}| [{elapsed}<{remaining}{postfix}]")

    def on_progress(self, model, progress):
        if self.bar is None:
            return
        self.bar.set_postfix_str(f"epoch {progress.epoch + 1}/{progress.epochs}, "
                                 f"{progress.words_per_second:.0f} words/s, "
                                 f"loss {progress.mean_loss:.4f}", refresh=False)
        self.bar.update(100.0 * progress.fraction - self.bar.n)

    def on_train_end(self, model):
        if self.bar is not None:
            self.bar.update(100.0 - self.bar.n)
        self.close()

    def close(self):
        """Close the bar (as it stands) if it is open."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class _DropProgressLines(logging.Filter):
    def filter(self, record):
        return record.msg is not PROGRESS_MESSAGE and record.msg != PROGRESS_MESSAGE


def _count(number, noun):
    """``"1 word"``, ``"2 words"``."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def cmd_train(args):
    model = Word2GM(**arguments_to_settings(args))  # validates every setting before reading the corpus
    check_writable_target(args.output)  # fail before training, not after
    corpus, described = _corpus(args.corpus, args.format)
    logger.info("training on %s", described)
    model.build_vocab(corpus)
    if use_progress_bar(args.progress, sys.stderr):
        bar = ProgressBar(sys.stderr)
        with bar.shown():
            losses = model.train(corpus, callbacks=[bar], report_delay=BAR_REPORT_DELAY)
    else:
        losses = model.train(corpus)
    model.save(args.output)
    stats = model.last_train_stats
    print(f"trained {model!r} on {described}")
    print(f"{_count(stats['raw_words'], 'word')} in {stats['seconds']:.1f} s: "
          f"{stats['words_per_second']:.0f} words/s")
    print("mean loss per epoch: " + " ".join(f"{x:.4f}" for x in losses))
    if stats["epoch_heldout_loss"]:
        print("held-out loss per epoch: " + " ".join(f"{x:.4f}" for x in stats["epoch_heldout_loss"]))
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
    if args.export_format != "word2vec":
        return export_components(args)
    if args.limit is not None:
        raise ParameterError("--limit only applies to --format projector and --format tsv")
    for target in (args.output, args.fvocab):  # before loading the model, as the tsv export
        if target is not None:
            check_writable_target(target)
            check_compression_available(target)
    model = Word2GM.load(args.model)
    model.wv.save_word2vec_format(args.output, fvocab=args.fvocab, binary=args.binary,
                                  component=args.component)
    what = "point vectors" if args.component is None else f"component {args.component}"
    print(f"wrote {what} of {_count(len(model.wv), 'word')} to {args.output}")
    if args.fvocab is not None:
        print(f"wrote the vocabulary with counts to {args.fvocab}")
    return 0


# ------------------------------------------------------------------ export --format projector/tsv, plot

EXPORT_FORMATS = ("word2vec", "projector", "tsv")
#: Figure formats of ``w2gm plot``, from the output's extension.
PLOT_FORMATS = ("png", "svg", "pdf")


def export_components(args):
    """``export --format projector|tsv``: every component with its weight, variance and count."""
    not_applicable = [option for option, value in [("--component", args.component), ("--fvocab", args.fvocab),
                                                   ("--binary", args.binary or None)] if value is not None]
    if not_applicable:
        verb = "applies" if len(not_applicable) == 1 else "apply"
        raise ParameterError(f"{', '.join(not_applicable)} only {verb} to --format word2vec, not to "
                             f"--format {args.export_format} (which writes every component)")
    if args.export_format == "projector":
        if os.path.exists(args.output) and not os.path.isdir(args.output):
            raise ParameterError(f"--format projector writes a directory, but {args.output!r} is a file")
    else:
        check_writable_target(args.output)
        check_compression_available(args.output)
    limit = check_limit(args.limit)  # before loading the model
    model = Word2GM.load(args.model)
    wv = model.wv
    words = len(wv) if limit is None else min(limit, len(wv))
    rows = words * wv.num_mixtures
    if args.export_format == "projector":
        paths = write_projector(wv, args.output, limit=limit)
        print(f"wrote {_count(rows, 'component')} ({_count(words, 'word')} x {wv.num_mixtures}) for the "
              f"TensorBoard Embedding Projector to {paths['tensors']}, {paths['metadata']} and "
              f"{paths['config']}")
    else:
        write_tsv(wv, args.output, limit=limit)
        print(f"wrote {_count(rows, 'component')} ({_count(words, 'word')} x {wv.num_mixtures}) to "
              f"{args.output}")
    return 0


def add_plot_command(add_command):
    pl = add_command("plot", help="draw words' mixture components and their neighbours (paper's Figure 1)",
                     description="Draw the mixture components of the words as ellipses (2-D PCA projection, "
                                 "size from the standard deviation, opacity from the mixture weight) with "
                                 "their nearest components as points. Needs matplotlib: "
                                 'pip install "w2gm[plot]".')
    pl.add_argument("model", help="model file written by 'w2gm train'")
    pl.add_argument("words", nargs="+", metavar="WORD")
    pl.add_argument("-o", "--output", required=True,
                    help="figure file; the format follows the extension: " + ", ".join(
                        f".{f}" for f in PLOT_FORMATS))
    pl.add_argument("--neighbours", "--neighbors", type=int, default=5, metavar="N",
                    help="nearest components of other words drawn per component (default: 5)")


def cmd_plot(args):
    fmt = os.path.splitext(args.output)[1].lower().lstrip(".")
    if fmt not in PLOT_FORMATS:
        raise ParameterError(f"cannot tell the figure format of {args.output!r}: give an output file "
                             f"ending in " + ", ".join(f".{f}" for f in PLOT_FORMATS))
    if args.neighbours < 0:
        raise ParameterError(f"--neighbours must be a non-negative integer, got {args.neighbours}")
    check_writable_target(args.output)
    try:
        matplotlib = import_matplotlib()
    except ImportError as exc:  # a missing optional dependency: one line, as the user's errors
        print(f"w2gm: error: {exc}", file=sys.stderr)
        return 2
    matplotlib.use("Agg")  # no display needed, never a GUI window
    model = Word2GM.load(args.model)
    fig = plot_mixtures(model.wv, args.words, neighbours=args.neighbours)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, bbox_inches="tight")
    with atomic_write(args.output) as tmp, open(tmp, "wb") as f:
        f.write(buffer.getvalue())
    print(f"wrote the plot of {', '.join(args.words)} to {args.output}")
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


# ------------------------------------------------------------ sense commands

def _add_sense_commands(add_command):
    """Parsers of ``senses``, ``disambiguate`` and ``entail`` (:mod:`w2gm.senses`)."""
    se = add_command("senses", help="each component of words: weight, variance, nearest components",
                     description="For each WORD, its mixture components side by side (the paper's Table 1): "
                                 "mixture weight, variance (the mean over dimensions for a diagonal "
                                 "covariance) and the nearest components of other words by cosine.")
    se.add_argument("model", help="model file written by 'w2gm train'")
    se.add_argument("words", nargs="+", metavar="WORD")
    se.add_argument("--topn", type=int, default=10, help="neighbours per component (default: 10)")

    di = add_command("disambiguate", help="which component of a word a sentence means",
                     description="Posterior probability of each component of WORD given the other words "
                                 "of SENTENCE (split at whitespace), with each component's nearest "
                                 "neighbours.")
    di.add_argument("model", help="model file written by 'w2gm train'")
    di.add_argument("word")
    di.add_argument("sentence", help="the context, e.g. a sentence containing WORD (quoted)")
    di.add_argument("--window", type=int, default=None,
                    help="use only the N tokens on each side of WORD in SENTENCE; default: all of them")

    en = add_command("entail", help="entailment score of HYPONYM |= HYPERNYM under every metric",
                     description="The similarity of HYPONYM to HYPERNYM under each similarity measure "
                                 "(neg_kl, -KL(hyponym || hypernym), is the paper's entailment score, "
                                 "Section 4.6), in both directions, and the generality of both words "
                                 "(mixture-weighted mean log-variance; larger is more general).")
    en.add_argument("model", help="model file written by 'w2gm train'")
    en.add_argument("hyponym")
    en.add_argument("hypernym")


def _format_columns(rows):
    """Left-aligned text columns, two spaces apart (trailing spaces stripped)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def cmd_senses(args):
    if args.topn < 1:
        raise ParameterError(f"--topn must be a positive integer, got {args.topn}")
    wv = Word2GM.load(args.model).wv
    results = [wv.senses(word, topn=args.topn) for word in args.words]  # all words checked first
    blocks = []
    for result in results:
        rows = [[""] + [f"{result.word}:{s.component}" for s in result.senses],
                ["weight"] + [f"{s.weight:.3f}" for s in result.senses],
                ["variance"] + [f"{s.variance:.4g}" for s in result.senses]]
        for rank in range(max((len(s.neighbors) for s in result.senses), default=0)):
            cells = [f"{s.neighbors[rank][0]} {s.neighbors[rank][1]:.3f}" if rank < len(s.neighbors) else ""
                     for s in result.senses]
            if any(cells):
                rows.append([str(rank + 1)] + cells)
        blocks.append(_format_columns(rows))
    print("\n\n".join(blocks))
    return 0


def cmd_disambiguate(args):
    if args.window is not None and args.window < 0:
        raise ParameterError(f"--window must be a non-negative integer, got {args.window}")
    wv = Word2GM.load(args.model).wv
    result = wv.disambiguate(args.word, args.sentence, window=args.window)
    used = " ".join(result.context_used) if result.context_used else "(none: the mixture weights)"
    print(f"context used: {used}")
    rows = [["component", "probability", "neighbors"]]
    for k, p in enumerate(result.probabilities.tolist()):
        near = wv.most_similar(args.word, component=k, topn=5)
        mark = " *" if k == result.component else ""
        rows.append([f"{args.word}:{k}{mark}", f"{p:.4f}", ", ".join(f"{w}:{c}" for w, c, _ in near)])
    print(_format_columns(rows))
    return 0


def cmd_entail(args):
    wv = Word2GM.load(args.model).wv
    hypo, hyper = args.hyponym, args.hypernym
    rows = [["metric", f"{hypo} |= {hyper}", f"{hyper} |= {hypo}"]]
    for metric in SIMILARITY_METRICS:
        rows.append([metric, f"{wv.entailment_score(hypo, hyper, metric):.4f}",
                     f"{wv.entailment_score(hyper, hypo, metric):.4f}"])
    print(_format_columns(rows))
    general = wv.most_general([hypo, hyper])
    print("generality (mean log-variance, larger is more general): "
          + ", ".join(f"{w} {g:.4f}" for w, g in general))
    return 0


SENSE_COMMANDS = {"senses": cmd_senses, "disambiguate": cmd_disambiguate, "entail": cmd_entail}


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=getattr(logging, args.log_level),
                        format="%(asctime)s %(levelname)s %(message)s")
    handlers = {"train": cmd_train, "neighbors": cmd_neighbors, "export": cmd_export,
                "evaluate": cmd_evaluate, "plot": cmd_plot, **SENSE_COMMANDS}
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
