"""The Word2GM model: settings, vocabulary, parameters, training and save/load.

Athiwaratkun & Wilson (2017), "Multimodal Word Distributions", ACL.  Each
vocabulary word is a Gaussian mixture of K components (eq. 1); the model is
trained with the max-margin loss on the expected likelihood kernel (Sections
3.3-3.4) by lock-free (Hogwild) SGD or Adagrad in the Cython kernels of
:mod:`w2gm._train_inner`.

This module holds the model object and what it owns; the pieces it uses live
in their own modules: the settings table (:mod:`w2gm.settings`), the
parameter groups (:mod:`w2gm.parameters`), the threads and queues of one
``train`` call (:mod:`w2gm.training`), the model file format and the atomic
writer (:mod:`w2gm.persistence`), and the queries (:mod:`w2gm.keyed_mixtures`).
"""

import logging
import math
import numbers
import warnings

import numpy as np

from w2gm import persistence
from w2gm._sampling import build_alias_table, subsampling_thresholds
from w2gm._train_inner import KernelState
from w2gm._vocab import WordTable
from w2gm.corpora import check_corpus, sentence_tokens
from w2gm.exceptions import (
    CorpusError,
    EmptyVocabularyError,
    NotTrainedError,
    ParameterError,
    TrainingDivergedError,
)
from w2gm.keyed_mixtures import KeyedGaussianMixtures
from w2gm.parameters import MixtureParameters
from w2gm.settings import (
    DEFAULTS,
    SETTING_NAMES,
    check_setting,
    settings_from_json,
    settings_to_json,
    validate_settings,
)
from w2gm.training import TrainingRun

__all__ = ["Word2GM"]

logger = logging.getLogger(__name__)

_D = DEFAULTS


class Word2GM:
    """Word2GM: every word a Gaussian mixture, trained skip-gram style.

    Parameters
    ----------
    sentences : iterable of list of str, optional
        Restartable corpus (e.g. :class:`w2gm.LineSentence`).  If given, the
        vocabulary is built and the model trained right away, as in gensim.
    num_mixtures : int
        Number of mixture components K per word (paper: 2).
    vector_size : int
        Dimension D of the component means (paper: 50).
    covariance : {"spherical", "diagonal"}
        Spherical: one variance per component; diagonal: D variances
        (Appendix A.2, "Reduction to Diagonal Covariance").
    window : int
        Maximum distance between centre and context word; the effective
        window of each centre word is drawn uniformly from ``1..window``.
    min_count : int
        Words rarer than this are dropped from the vocabulary.
    sample : float
        Subsampling threshold of frequent words (Appendix A.2; 0 disables).
    negative : int
        Negative context words per positive pair (paper: 1).
    margin : float
        Margin m of the max-margin loss (Section 3.3).
    var_scale : float
        Initial variance of every component.  Default 0.5; the paper
        (Appendix A.2) uses 0.05 (see ``docs/quality.md`` for the measured
        ablation behind the default).
    mu_scale : float
        Means start uniform in ``+-mu_scale * sqrt(3 / D)`` (Appendix A.2).
    alpha, min_alpha : float
        Learning rate, decaying linearly from ``alpha`` to ``min_alpha`` over
        the whole training.  ``alpha=None`` (the default) picks the
        optimizer's: 0.1 for Adagrad (the paper, Appendix A.2, uses 0.05; see
        ``docs/quality.md``), ``0.025 / negative`` for plain SGD, which
        diverges at 0.1 (``docs/robustness.md``).  ``min_alpha`` defaults to 1e-5.
    epochs : int
        Passes over the corpus.
    workers : int
        Training threads.
    seed : int
        Seed of the initialisation and of every job's random numbers; with
        ``workers=1`` training is deterministic.
    optimizer : {"adagrad", "sgd"}
        Per-parameter Adagrad (Duchi et al., 2011) or plain SGD.
    adagrad_initial_accumulator : float
        Starting value of the Adagrad accumulators (> 0); see
        ``docs/training.md`` for how it relates to the original implementation.
    separate_output : bool
        Use separate output distributions for context and negative words
        (Appendix A.2; the original's ``wout``).  The input distributions are
        the word representation either way.
    var_bounds : tuple of float or None
        ``(lower, upper)`` bounds the variances are clipped to after every
        update (the original's ``lower_sig``/``upper_sig``), or None.
    eps : float
        Added to summed variances in the energy (Appendix A.2: 1e-4).
    batch_words : int
        Target number of words per job handed to a worker thread.

    callbacks : sequence, optional
        Objects with any of gensim's callback methods (``on_train_begin``,
        ``on_epoch_begin``, ``on_epoch_end``, ``on_train_end``), each called
        with the model; used by the training that `sentences` starts.

    Defaults, validation and the ``w2gm train`` options all come from
    :data:`w2gm.settings.SETTINGS`.

    Attributes
    ----------
    wv : KeyedGaussianMixtures
        The input-side mixtures (the word representation); None before
        :meth:`build_vocab`.
    params_out : MixtureParameters or None
        Output-side parameters (``separate_output=True`` only).
    accumulators_in, accumulators_out : MixtureParameters or None
        Adagrad state of each side (None for SGD, or for the output side of a
        model without separate output distributions).
    diverged : bool
        True after training stopped with :class:`TrainingDivergedError`
        (kept by save/load; cleared by :meth:`build_vocab`); :meth:`save`
        then needs ``allow_diverged=True``.

    Raises
    ------
    ParameterError
        (a ``ValueError``) for an invalid setting, naming it and its range.
    CorpusError
        (a ``TypeError``) if the corpus is not an iterable of token lists, or
        a one-shot iterator needed for several passes.
    EmptyVocabularyError
        (a ``ValueError``) for an empty corpus or a vocabulary emptied by
        ``min_count``.
    """

    def __init__(self, sentences=None, num_mixtures=_D["num_mixtures"], vector_size=_D["vector_size"],
                 covariance=_D["covariance"], window=_D["window"], min_count=_D["min_count"],
                 sample=_D["sample"], negative=_D["negative"], margin=_D["margin"],
                 var_scale=_D["var_scale"], mu_scale=_D["mu_scale"], alpha=_D["alpha"],
                 min_alpha=_D["min_alpha"], epochs=_D["epochs"], workers=_D["workers"], seed=_D["seed"],
                 optimizer=_D["optimizer"], adagrad_initial_accumulator=_D["adagrad_initial_accumulator"],
                 separate_output=_D["separate_output"], var_bounds=_D["var_bounds"], eps=_D["eps"],
                 batch_words=_D["batch_words"], callbacks=()):
        values = dict(locals())
        for name, value in validate_settings({n: values[n] for n in SETTING_NAMES}).items():
            setattr(self, name, value)
        self.wv = None
        self.counts = None
        self.corpus_total_words = 0
        self.corpus_count = 0
        self.params_out = None
        self.accumulators_in = None
        self.accumulators_out = None
        self.training_loss = []
        self.epochs_trained = 0
        self.train_calls = 0
        self.diverged = False
        self.callbacks = tuple(callbacks)
        if sentences is not None:
            check_corpus(sentences, passes=1 + self.epochs)
            self.build_vocab(sentences)
            self.train(sentences, callbacks=self.callbacks)

    # ------------------------------------------------------------------ settings
    def _setting_values(self):
        return {name: getattr(self, name) for name in SETTING_NAMES}

    def settings(self):
        """The settings as a JSON-serialisable dict (see :mod:`w2gm.settings`).

        Raises
        ------
        ParameterError
            If a setting attribute was changed to an invalid value.
        """
        return settings_to_json(self._setting_values())

    def _revalidate_settings(self):
        """Check settings changed after construction (as ``model.alpha = ...``) and normalise them."""
        for name, value in validate_settings(self._setting_values()).items():
            setattr(self, name, value)

    # ---------------------------------------------------------------- vocabulary
    def build_vocab(self, sentences, progress_per=1_000_000):
        """Scan the corpus, keep words with ``count >= min_count``, initialise parameters.

        Words are sorted by decreasing count (ties in first-seen order), as in
        gensim.  Parameters are initialised as in Appendix A.2 (see
        :meth:`MixtureParameters.initial`); the Adagrad accumulators start at
        ``adagrad_initial_accumulator``.

        Parameters
        ----------
        sentences : iterable of list of str
            The corpus (one pass).
        progress_per : int
            Log a progress line every this many words.

        Returns
        -------
        Word2GM
            The model itself.

        Raises
        ------
        CorpusError
            (a ``TypeError``) if an item of the corpus is a string rather than
            a token list, or a token is not a string.
        EmptyVocabularyError
            (a ``ValueError``) if the corpus is empty or no word reaches ``min_count``.
        CorpusError
            If a vocabulary word holds a lone surrogate (a ``str`` that is not
            valid Unicode text, e.g. from ``errors="surrogateescape"``): it
            could not be saved, so it is refused before training, naming
            the sentence and the token.
        """
        check_corpus(sentences, passes=1)
        # counted in a compact table (no str object per distinct word), so that the rare
        # words dropped below leave no fragmented Python heap behind
        table = WordTable()
        n_sentences = n_words = 0
        next_report = progress_per
        for n_sentences, sentence in enumerate(sentences, 1):
            n_words += sentence_tokens(table.add, sentence, n_sentences)
            if n_words >= next_report:
                logger.info("vocabulary scan: %d sentences, %d words, %d distinct", n_sentences,
                            n_words, len(table))
                next_report += progress_per
        words = self._select_vocabulary(table, n_sentences, n_words)
        _check_encodable(words.words(), sentences)
        self.counts = words.counts()
        self.corpus_total_words = n_words
        self.corpus_count = n_sentences
        self._init_params(words)
        return self

    def _select_vocabulary(self, table, n_sentences, n_words):
        """The words of ``table`` with ``count >= min_count``, by decreasing count (a new table)."""
        if n_words == 0:
            raise EmptyVocabularyError(f"the corpus is empty ({n_sentences} sentences, 0 words): "
                                       "cannot build a vocabulary")
        all_counts = table.counts()
        kept = np.flatnonzero(all_counts >= self.min_count)
        if kept.size == 0:
            raise EmptyVocabularyError(
                f"min_count={self.min_count} leaves the vocabulary empty: the most frequent of "
                f"{len(table)} distinct words occurs {int(all_counts.max())} times")
        # decreasing count, ties in first-seen order (a stable sort), as in gensim
        order = kept[np.argsort(-all_counts[kept], kind="stable")]
        # the caller drops the table of all distinct words before the parameters are allocated,
        # so that the two never occupy memory at the same time
        words = table.select(order)
        logger.info("vocabulary: %d of %d distinct words kept (min_count=%d), %d of %d corpus words",
                    len(words), len(table), self.min_count, int(all_counts[kept].sum()), n_words)
        return words

    def _init_params(self, words):
        rng = np.random.default_rng(self.seed)
        shape = dict(vocab_size=len(words), num_mixtures=self.num_mixtures,
                     vector_size=self.vector_size, spherical=self.covariance == "spherical",
                     mu_scale=self.mu_scale, var_scale=self.var_scale)
        params_in = MixtureParameters.initial(rng, **shape)
        self.wv = KeyedGaussianMixtures(words, *params_in, counts=self.counts)
        self.params_out = MixtureParameters.initial(rng, **shape) if self.separate_output else None
        self._init_accumulators()
        self.training_loss = []
        self.epochs_trained = 0
        self.diverged = False

    def _init_accumulators(self):
        self.accumulators_in = self.accumulators_out = None
        if self.optimizer == "adagrad":
            self.accumulators_in = self.params_in.full_like(self.adagrad_initial_accumulator)
            if self.separate_output:
                self.accumulators_out = self.params_out.full_like(self.adagrad_initial_accumulator)

    @property
    def accumulators(self):
        """Deprecated: ``(accumulators_in, accumulators_out)``, or None for SGD.

        Kept for code written before the parameter groups; use
        :attr:`accumulators_in` and :attr:`accumulators_out`.
        """
        warnings.warn("Word2GM.accumulators is deprecated: use accumulators_in and accumulators_out",
                      DeprecationWarning, stacklevel=2)
        if self.accumulators_in is None:
            return None
        return (self.accumulators_in, self.accumulators_out)

    @property
    def params_in(self):
        """MixtureParameters: the input-side arrays (those of :attr:`wv`, not copies)."""
        return MixtureParameters(self.wv.means, self.wv.log_variances, self.wv.logits)

    def _kernel_state(self):
        """The training kernel bound to the parameter arrays and fresh sampling tables."""
        shared = not self.separate_output
        params_out = self.params_in if shared else self.params_out
        accumulators_out = self.accumulators_in if shared else self.accumulators_out
        thresholds = subsampling_thresholds(self.counts, self.sample)
        alias_prob, alias_index = build_alias_table(self.counts, 0.75)
        if self.var_bounds is None:
            lo, hi = -3.0e38, 3.0e38
        else:
            lo, hi = math.log(self.var_bounds[0]), math.log(self.var_bounds[1])
        return KernelState(self.params_in, params_out, self.accumulators_in, accumulators_out,
                           thresholds, alias_prob, alias_index, self.window, self.negative,
                           self.margin, self.eps, lo, hi)

    # ------------------------------------------------------------------ training
    def train(self, sentences, epochs=None, total_words=None, start_alpha=None, end_alpha=None,
              report_delay=1.0, callbacks=()):
        """Train on a corpus for ``epochs`` passes (Hogwild, ``workers`` threads).

        The learning rate decays linearly from ``start_alpha`` (default
        ``alpha``) to ``end_alpha`` (default ``min_alpha``) over the whole call,
        measured in corpus tokens.  Can be called again, e.g. on a loaded
        model, to continue training.  Threads, queues and the guarantees on
        errors and Ctrl-C are described in :mod:`w2gm.training`.

        Parameters
        ----------
        sentences : iterable of list of str
            Restartable corpus (a one-shot iterator only works with one epoch).
        epochs : int, optional
            Passes over the corpus; defaults to the ``epochs`` setting.
        total_words : int, optional
            Corpus tokens per epoch, for the learning-rate schedule and
            progress; defaults to the count found by :meth:`build_vocab`.
        start_alpha, end_alpha : float, optional
            Learning-rate range of this call.
        report_delay : float
            Seconds between progress log lines.
        callbacks : sequence, optional
            gensim-style callbacks (``on_train_begin``, ``on_epoch_begin``,
            ``on_epoch_end``, ``on_train_end``, each called with the model in
            the calling thread; an epoch's updates are complete when its
            ``on_epoch_end`` runs).

        Returns
        -------
        list of float
            Mean loss per (w, c, c') sample of each epoch of this call (float64).

        Raises
        ------
        NotTrainedError
            If :meth:`build_vocab` has not been called.
        CorpusError, ParameterError
            For a bad corpus or settings (before any update).
        TrainingDivergedError
            (a ``FloatingPointError``) if a loss or parameter becomes NaN or
            infinite; training stops and the message gives the epoch and words
            done.  The model is then marked (:attr:`diverged`) and :meth:`save`
            refuses it unless called with ``allow_diverged=True``.
        """
        if self.wv is None:
            raise NotTrainedError("call build_vocab() (or load a model) before train()")
        epochs = self.epochs if epochs is None else check_setting("epochs", epochs)
        check_corpus(sentences, passes=epochs)
        self._revalidate_settings()
        total_words, start_alpha, end_alpha = self._schedule(total_words, start_alpha, end_alpha)
        kernel = self._kernel_state()
        self.train_calls += 1
        call_seed = (int(self.seed) * 1_000_003 + self.train_calls) & 0xFFFFFFFFFFFFFFFF
        run = TrainingRun(self, sentences, kernel, epochs, total_words, start_alpha, end_alpha,
                          call_seed, report_delay=report_delay, callbacks=callbacks)
        try:
            stats = run.run()
            self._check_finite(stats.raw_words)
        except TrainingDivergedError:
            self.diverged = True
            raise
        finally:
            self.wv.clear_cache()
        self._record(stats)
        run.call_back("on_train_end")
        return stats.epoch_loss

    def _schedule(self, total_words, start_alpha, end_alpha):
        """Validated ``(total_words, start_alpha, end_alpha)`` of a train call."""
        if total_words is None:
            total_words = self.corpus_total_words
        if (isinstance(total_words, bool) or not isinstance(total_words, numbers.Integral)
                or not 1 <= total_words < 2**63):
            raise ParameterError(f"total_words must be an integer from 1 to 2**63 - 1, got {total_words!r}")
        start_alpha = self.alpha if start_alpha is None else check_setting("alpha", start_alpha)
        end_alpha = self.min_alpha if end_alpha is None else check_setting("min_alpha", end_alpha)
        if end_alpha > start_alpha:
            raise ParameterError(f"need end_alpha <= start_alpha, got {start_alpha!r}, {end_alpha!r}")
        return int(total_words), start_alpha, end_alpha

    def _check_finite(self, words_done):
        if not self._params_finite():
            raise TrainingDivergedError(
                f"training produced NaN/infinite parameters after {words_done} words; "
                "lower alpha or set var_bounds")

    def _record(self, stats):
        """Add a finished run to the training history and log it."""
        self.training_loss.extend(stats.epoch_loss)
        self.epochs_trained += len(stats.epoch_loss)
        self.train_seconds = stats.seconds
        self.last_train_stats = {"seconds": stats.seconds, "raw_words": stats.raw_words,
                                 "kept_words": stats.kept_words,
                                 "words_per_second": stats.words_per_second,
                                 "epoch_loss": stats.epoch_loss, "epoch_samples": stats.epoch_samples}
        logger.info("training on %d raw words (%d effective) took %.1fs, %.0f words/s; "
                    "mean loss per epoch: %s", stats.raw_words, stats.kept_words, stats.seconds,
                    stats.words_per_second, ", ".join(f"{x:.4f}" for x in stats.epoch_loss))

    def _params_finite(self):
        groups = [self.params_in] + ([self.params_out] if self.separate_output else [])
        return all(group.all_finite() for group in groups)

    # ------------------------------------------------------------------- queries
    def most_similar(self, word, component=None, topn=10, metric="max_cos"):
        """Nearest neighbours; see :meth:`KeyedGaussianMixtures.most_similar`."""
        return self.wv.most_similar(word, component=component, topn=topn, metric=metric)

    def similarity(self, w1, w2, metric="max_cos"):
        """Word similarity; see :meth:`KeyedGaussianMixtures.similarity`."""
        return self.wv.similarity(w1, w2, metric=metric)

    def evaluate_word_pairs(self, path, metric="max_cos", case_insensitive=True):
        """Correlation with human ratings; see :meth:`KeyedGaussianMixtures.evaluate_word_pairs`."""
        return self.wv.evaluate_word_pairs(path, metric=metric, case_insensitive=case_insensitive)

    def __contains__(self, word):
        return self.wv is not None and word in self.wv

    # --------------------------------------------------------------- persistence
    def _file_arrays(self):
        """Every array of the model file, by member name (see :mod:`w2gm.persistence`)."""
        arrays = {"counts": self.counts, **self.params_in.named()}
        if self.separate_output:
            arrays.update(self.params_out.named(suffix="_out"))
        if self.accumulators_in is not None:
            arrays.update(self.accumulators_in.named(prefix="adagrad_"))
        if self.accumulators_out is not None:
            arrays.update(self.accumulators_out.named(prefix="adagrad_", suffix="_out"))
        return arrays

    def save(self, path, allow_diverged=False):
        """Save everything needed to query and to continue training.

        The file is a NumPy ``.npz`` archive (readable with
        ``allow_pickle=False``): parameter arrays, output-side arrays, Adagrad
        accumulators, counts, and two JSON documents (vocabulary, settings and
        training state); see :mod:`w2gm.persistence`.  It is written
        atomically: ``path`` keeps its old content or holds the complete new
        file, and temporaries of earlier writers that were killed are removed.

        Parameters
        ----------
        path : str or os.PathLike
            Local file (no extension is added).
        allow_diverged : bool
            Save a model whose training stopped with
            :class:`TrainingDivergedError` (:attr:`diverged` is True) although
            its parameters are finite; the file records the mark.  A model
            with NaN or infinite parameters is never saved.

        Raises
        ------
        NotTrainedError
            If the model has no vocabulary yet.
        TrainingDivergedError
            If a parameter is NaN or infinite, or the model is marked as
            diverged and `allow_diverged` is False (nothing is written).
        FileNotFoundError
            If the directory of ``path`` does not exist.
        """
        if self.wv is None:
            raise NotTrainedError("nothing to save: build_vocab() has not been called")
        if self.diverged and not allow_diverged:
            raise TrainingDivergedError(
                f"refusing to save to {str(path)!r}: this model's training diverged (its parameters are "
                "unreliable); retrain with a lower alpha or var_bounds, or pass allow_diverged=True to "
                "save it anyway")
        if not self._params_finite():
            raise TrainingDivergedError("refusing to save a model with NaN/infinite parameters")
        meta = {"settings": self.settings(), "corpus_total_words": self.corpus_total_words,
                "corpus_count": self.corpus_count, "training_loss": self.training_loss,
                "epochs_trained": self.epochs_trained, "train_calls": self.train_calls,
                "diverged": self.diverged}
        persistence.write_model_file(path, self._file_arrays(), meta, self.wv.index_to_key)
        logger.info("saved model to %s", path)

    @classmethod
    def load(cls, path):
        """Load a model written by :meth:`save`.

        The file is untrusted input (``docs/robustness.md``): only the known
        settings are read, each validated, and only the arrays the model
        needs, each after its header was checked against the shape and dtype
        the settings and vocabulary imply; then their values are checked.

        Parameters
        ----------
        path : str or os.PathLike

        Returns
        -------
        Word2GM

        Raises
        ------
        FileNotFoundError, PermissionError
            If ``path`` does not exist or cannot be read.
        ModelFileError
            (a ``ValueError``) if the file is not a regular file, truncated,
            corrupt, not a w2gm model, crafted or inconsistent; the message
            names the file and the problem.
        """
        with persistence.open_model_file(path) as archive:
            try:
                model = cls(**settings_from_json(archive.meta.get("settings")))
                model._restore_state(archive.meta)
            except ParameterError as exc:
                raise archive.error(exc) from None
            arrays = archive.read_arrays(model._expected_arrays(len(archive.words)))
            try:
                model._set_loaded_arrays(archive.words, arrays)
            except ValueError as exc:
                raise archive.error(exc) from None
        return model

    def _set_loaded_arrays(self, words, arrays):
        """Install the arrays of a model file after checking their values."""
        data = self._checked_arrays(arrays)
        self.counts = data["counts"]
        if self.corpus_total_words == 0:  # not recorded: the vocabulary's share is the best estimate
            self.corpus_total_words = int(self.counts.sum())
        self.wv = KeyedGaussianMixtures(words, data["means"], data["log_variances"], data["logits"],
                                        counts=self.counts)
        fields = MixtureParameters._fields
        if self.separate_output:
            self.params_out = MixtureParameters(*(data[n + "_out"] for n in fields))
        if self.optimizer == "adagrad":
            self.accumulators_in = MixtureParameters(*(data["adagrad_" + n] for n in fields))
            if self.separate_output:
                self.accumulators_out = MixtureParameters(*(data["adagrad_" + n + "_out"] for n in fields))

    def _expected_arrays(self, vocab_size):
        """Member name -> (shape, dtype) of every array this model's file must hold."""
        V, K, D = vocab_size, self.num_mixtures, self.vector_size
        Dv = 1 if self.covariance == "spherical" else D
        side = {"means": (V, K, D), "log_variances": (V, K, Dv), "logits": (V, K)}
        names = dict(side)
        if self.separate_output:
            names.update({n + "_out": s for n, s in side.items()})
        if self.optimizer == "adagrad":
            names.update({"adagrad_" + n: s for n, s in list(names.items())})
        expected = {name: (shape, np.float32) for name, shape in names.items()}
        expected["counts"] = ((V,), np.int64)
        return expected

    @staticmethod
    def _checked_arrays(arrays):
        """The arrays of a model file (shapes and dtypes already checked), after checking their values.

        Raises
        ------
        ValueError
            For NaN or infinite parameters, non-positive counts or Adagrad accumulators.
        """
        for name, a in arrays.items():
            if name != "counts" and not np.isfinite(a).all():
                raise ValueError(f"array {name!r} holds NaN or infinite values")
        counts = arrays["counts"]
        if (counts < 1).any():
            raise ValueError("array 'counts' holds non-positive counts")
        if _exact_sum(counts) >= 2**63:
            raise ValueError("the counts in array 'counts' add up to 2**63 or more")
        for name, a in arrays.items():
            if name.startswith("adagrad_") and not (a > 0).all():
                raise ValueError(f"array {name!r} holds non-positive Adagrad accumulators")
        return {name: np.ascontiguousarray(a) for name, a in arrays.items()}

    def _restore_state(self, meta):
        """Training history and corpus totals from a model file's metadata (each checked)."""
        losses = meta.get("training_loss", [])
        if not isinstance(losses, list) or not all(
                (isinstance(x, (int, float)) and not isinstance(x, bool) and abs(x) <= 1e308)
                or x is None for x in losses):
            raise ParameterError("its training_loss is not a list of (float-sized) numbers")
        self.training_loss = [float("nan") if x is None else float(x) for x in losses]
        for name in ("corpus_total_words", "corpus_count", "epochs_trained", "train_calls"):
            value = meta.get(name, 0)
            if type(value) is not int or not 0 <= value < 2**63:
                raise ParameterError(f"its {name} is {value!r}, not an integer in [0, 2**63)")
            setattr(self, name, value)
        self.diverged = meta.get("diverged", False)
        if type(self.diverged) is not bool:
            raise ParameterError(f"its diverged mark is {self.diverged!r}, not true or false")

    def __repr__(self):
        V = len(self.wv) if self.wv is not None else 0
        return (f"Word2GM(vocab={V}, num_mixtures={self.num_mixtures}, "
                f"vector_size={self.vector_size}, covariance={self.covariance!r})")


def _check_encodable(words, sentences):
    """Raise :class:`CorpusError` if a vocabulary word cannot be written as UTF-8 (a lone surrogate).

    The model file and the word2vec export store words as UTF-8, so such a
    word would be trained and then lost at ``save``.  The error names the
    first sentence holding the word (found by a second pass over a
    restartable corpus).
    """
    try:
        "\n".join(words).encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        return
    bad = next(w for w in words if not w.isascii() and not _utf8_encodable(w))
    where = ""
    if iter(sentences) is not sentences:
        number = next((n for n, sentence in enumerate(sentences, 1) if bad in sentence), None)
        where = f"sentence #{number}: " if number is not None else ""
    raise CorpusError(f"{where}token {bad!r} holds a lone surrogate (not valid Unicode text) and could "
                      "not be saved; decode the corpus without errors='surrogateescape' or drop the token")


def _utf8_encodable(word):
    try:
        word.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _exact_sum(counts):
    """The exact sum of non-negative int64 ``counts`` as a Python int (no int64 wrap, no float rounding)."""
    counts = counts.astype(np.uint64)
    high = int(np.sum(counts >> np.uint64(32), dtype=np.uint64))
    low = int(np.sum(counts & np.uint64(0xFFFFFFFF), dtype=np.uint64))
    return (high << 32) + low
