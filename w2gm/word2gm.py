"""The Word2GM model: settings, vocabulary, parameters, training and save/load.

Athiwaratkun & Wilson (2017), "Multimodal Word Distributions", ACL.  Each
vocabulary word is a Gaussian mixture of K components (eq. 1); the model is
trained with the max-margin loss on the expected likelihood kernel (Sections
3.3-3.4) by lock-free (Hogwild) SGD or Adagrad in the Cython kernels of
:mod:`w2gm._train_inner` (the build :mod:`w2gm.kernels` picks for the CPU).

This module holds the model object and what it owns; the pieces it uses live
in their own modules: the settings table (:mod:`w2gm.settings`), the
parameter groups (:mod:`w2gm.parameters`), the threads and queues of one
``train`` call (:mod:`w2gm.training`), the model file format and the atomic
writer (:mod:`w2gm.persistence`), and the queries (:mod:`w2gm.keyed_mixtures`).

The training surface follows gensim 4's ``Word2Vec``: the constructor,
``build_vocab`` and ``train`` take gensim's argument names
(``corpus_iterable`` / ``corpus_file``, ``total_examples``, ``update``,
``trim_rule``, ...), callbacks follow gensim's protocol, and gensim
arguments that have no meaning for Word2GM raise
:class:`~w2gm.exceptions.UnsupportedArgumentError`.  Where w2gm differs on
purpose, the docstring says so under "Decisions" (collected in
``docs/gensim.md``).
"""

import logging
import math
import numbers
import time
import warnings
from collections.abc import Mapping

import numpy as np

from w2gm import persistence
from w2gm._sampling import build_alias_table, subsampling_thresholds
from w2gm._vocab import WordTable
from w2gm.corpora import (
    FINGERPRINT_SETTLE_NS,
    LineSentence,
    check_corpus,
    check_corpus_file_source,
    file_fingerprint,
    is_utf8_encodable,
    sentence_tokens,
)
from w2gm.exceptions import (
    CorpusError,
    EmptyVocabularyError,
    NotTrainedError,
    ParameterError,
    TrainingDivergedError,
    UnsupportedArgumentError,
)
from w2gm.heldout import draw_triples
from w2gm.heldout import mean_loss as heldout_mean_loss
from w2gm.kernels import KernelState
from w2gm.keyed_mixtures import KeyedGaussianMixtures
from w2gm.parameters import MixtureParameters
from w2gm.settings import (
    DEFAULTS,
    SETTING_NAMES,
    check_setting,
    real_as_float,
    settings_from_json,
    settings_to_json,
    validate_settings,
)
from w2gm.training import TrainingRun

__all__ = ["Word2GM", "RULE_DEFAULT", "RULE_DISCARD", "RULE_KEEP"]

logger = logging.getLogger(__name__)

_D = DEFAULTS

#: ``trim_rule`` result: apply the default rule (keep the word if its count reaches the
#: effective ``min_count``).  The three values are gensim's ``gensim.utils.RULE_*``.
RULE_DEFAULT = 0
#: ``trim_rule`` result: drop the word whatever its count.
RULE_DISCARD = 1
#: ``trim_rule`` result: keep the word whatever its count.
RULE_KEEP = 2

_INT64_MAX = 2**63 - 1

#: gensim ``Word2Vec`` arguments that have no meaning for Word2GM, with the reason.
_UNSUPPORTED = {
    "sg": "gensim's choice between CBOW and skip-gram does not apply: Word2GM always trains skip-gram "
          "style, each centre word against the words of its window (Section 3.3)",
    "hs": "gensim's hierarchical softmax does not apply: Word2GM trains with the max-margin loss on "
          "negative words (Section 3.3); negative sets how many (per window with shared_negatives, else "
          "per pair)",
    "cbow_mean": "gensim's CBOW averaging does not apply: Word2GM has no CBOW mode",
    "hashfxn": "gensim's per-word hash seeding does not apply: the initial parameters are drawn from "
               "seed by NumPy's generator (Appendix A.2); set seed instead",
    "null_word": "gensim's null word pads a CBOW context, and Word2GM has no CBOW mode",
    "comment": "gensim's lifecycle comment does not apply: Word2GM keeps no lifecycle log",
    "size": "it is the gensim 3 name of vector_size: use vector_size",
    "iter": "it is the gensim 3 name of epochs: use epochs",
}


#: gensim ``build_vocab`` keywords it passes on to ``prepare_vocab``, with what to do instead.
_BUILD_VOCAB_PASS_THROUGH = {
    "min_count": "gensim passes it on to prepare_vocab; in w2gm it is a setting: give Word2GM(min_count=...)",
    "sample": "gensim passes it on to prepare_vocab; in w2gm it is a setting: give Word2GM(sample=...)",
    "dry_run": "gensim passes it on to prepare_vocab; in w2gm there is no dry run (gensim's reports what "
               "min_count and sample would keep): build the vocabulary of a separate model to try settings",
}


def _refuse_unknown_arguments(kwargs, where, unsupported=_UNSUPPORTED):
    """UnsupportedArgumentError for a gensim argument in `unsupported` (name: why), else a TypeError."""
    for name in kwargs:
        if name in unsupported:
            raise UnsupportedArgumentError(
                f"{where}() does not take {name!r}: {unsupported[name]} (see docs/gensim.md)")
    for name in kwargs:
        raise TypeError(f"{where}() got an unexpected keyword argument {name!r}")


class Word2GM:
    """Word2GM: every word a Gaussian mixture, trained skip-gram style.

    Parameters
    ----------
    sentences : iterable of list of str, optional
        Restartable corpus (e.g. :class:`w2gm.LineSentence`).  If given (or
        `corpus_file`), the vocabulary is built and the model trained right
        away, as in gensim.
    corpus_file : str or os.PathLike, optional
        Instead of `sentences`: a corpus file with one sentence a line, tokens
        separated by whitespace (the :class:`w2gm.LineSentence` format; plain,
        ``.gz`` or ``.bz2``).
    num_mixtures : int
        Number of mixture components K per word (paper: 2).
    vector_size : int
        Dimension D of the component means (paper: 50).
    covariance : {"spherical", "diagonal"}
        Spherical: one variance per component; diagonal: D variances
        (Appendix A.2, "Reduction to Diagonal Covariance").
    window : int
        Maximum distance between centre and context word; the effective
        window of each centre word is drawn uniformly from ``1..window``
        (see `shrink_windows`).
    min_count : int
        Words rarer than this are dropped from the vocabulary.
    sample : float
        Subsampling threshold of frequent words (Appendix A.2; 0 disables).
    negative : int
        Negative context words: with ``shared_negatives`` (default) drawn
        once per centre word and shared by its window's context words,
        default 5; without, drawn for each (w, c) pair (the paper: 1 per
        pair, Section 3.3).
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
        Added to summed variances (Appendix A.2: 1e-4).
    batch_words : int
        Target number of words per job handed to a worker thread.
    callbacks : sequence, optional
        Objects with any of gensim's callback methods (``on_train_begin``,
        ``on_epoch_begin``, ``on_epoch_end``, ``on_train_end``), each called
        with the model; used by the training that `sentences` starts (and,
        as in gensim, not kept for later ``train`` calls).
    compute_loss : bool
        Sum the hinge loss of every job into :attr:`running_training_loss`
        (:meth:`get_latest_training_loss`).  Default True (gensim: False):
        the kernel computes the loss anyway, so the sum costs nothing.
    ns_exponent : float
        Negative words are drawn with probability proportional to
        ``count ** ns_exponent`` (word2vec and the paper: 0.75; accepted in
        ``-10 .. 10``, where every vocabulary stays finite, see
        :mod:`w2gm.settings`).
    max_vocab_size : int or None
        Bound on the distinct words held while the corpus is scanned: each
        time the count exceeds it, words seen fewer than ``r`` times are
        dropped (``r`` = 1, 2, ... at successive prunings), as gensim does.
        Counts of dropped words restart from zero if they reappear.  None
        (default): no limit.
    max_final_vocab : int or None
        Raise ``min_count`` (for this vocabulary scan only) to the smallest
        value that keeps at most this many words: words tied with the first
        word beyond the limit are dropped too, so fewer words may be kept
        (gensim's rule; the value used is :attr:`effective_min_count`).
    trim_rule : callable, optional
        ``trim_rule(word, count, min_count)`` returning :data:`RULE_DISCARD`,
        :data:`RULE_KEEP` or :data:`RULE_DEFAULT` (or None) for every
        distinct word, overriding the count rule (gensim's protocol; also
        applied when ``max_vocab_size`` prunes).  Used by the vocabulary scan
        that `sentences` starts and not stored in the model (as gensim).
    sorted_vocab : bool
        Order the vocabulary by decreasing count, ties in first-seen order
        (default; gensim 4.4 orders ties the other way round); False keeps
        the order in which words were first seen.
    shrink_windows : bool
        Draw each centre word's window uniformly from ``1..window`` (the
        default, as word2vec); False uses the full ``window`` for every
        centre word.
    heldout_fraction : float
        Fraction of the corpus held out of training: 0 (the default: off) or
        in [1e-9, 0.5] (smaller fractions would hold out nothing).  A corpus
        iterable holds out about this fraction of its sentences, chosen by
        ordinal and `seed`; a corpus file its last bytes, from the first
        token start at or after ``(1 - fraction)`` of the file on (a line cut
        there is read as two sentences).  Held-out words count as read in the
        ``EPOCH n done`` line, :attr:`last_train_stats` and the totals check.
        A fixed sample of (w, c, c') triples is drawn from them (again when
        the split changes) and its mean loss is logged after every epoch and
        appended to :attr:`heldout_loss_history` (:mod:`w2gm.heldout`).  The
        vocabulary still counts held-out sentences.
    heldout_triples : int
        Size of that sample (default 100000; fewer if the held-out part
        has fewer (w, c) pairs).
    variance_lr_factor : float
        The log-variances are updated with learning rate ``alpha * factor``
        (> 0; default 1, the means' rate; ``docs/training.md``).
    logit_lr_factor : float
        The mixture logits are updated with learning rate ``alpha * factor``
        (> 0; default 1).
    max_partial_energy : bool
        Use ``log E(f, g) = max_ij (log p_i + log q_j + xi_ij)``, a lower
        bound of eq. 2's log-sum-exp over the component pairs, instead of
        it; the gradient flows through the arg-max pair only.  A log-domain
        variant of the original's ``max_pe``, which takes the arg-max of the
        unweighted ``xi_ij`` and returns ``xi_max * p_i * q_j``.
        Default False.  Training and the held-out loss use it.
    norm_cap : float or None
        After every update, each mean vector of the updated word whose L2
        norm exceeds ``norm_cap`` (> 0) is rescaled to it (the original's
        ``norm_cap``, 3.0 there).  None (default): no cap.
    shared_negatives : bool
        Draw the ``negative`` noise words once per centre word and pair each
        with every context word of its window (pWord2Vec, Ji et al. 2016),
        instead of ``negative`` draws per (w, c) pair: a window costs
        ``contexts + negative`` energies instead of
        ``contexts * (1 + negative)``.  Each (c, c') term is the same hinge
        and counts as one sample of the loss.  Default True: the
        window-batched kernel, with the default ``negative=5`` about 1.2-1.4
        times as fast as the paper's one negative per pair at the same
        quality (``docs/performance.md``, ``docs/training.md``); False with
        ``negative=1`` trains the paper's objective (Section 3.3) with the
        per-pair kernel (``docs/training.md``, "Shared negatives").
    adagrad_state : {"scalar", "row"}
        ``"scalar"`` (default): one Adagrad accumulator per parameter (the
        paper's Adagrad).  ``"row"``: one per parameter row (a component's D
        means, a component's D diagonal log-variances, a word's K logits),
        ``acc += mean(g^2)`` over the row, then each value steps by
        ``lr g / sqrt(acc)``; the accumulators are then ``(V, K, 1)``,
        ``(V, K, 1)`` and ``(V, 1)`` arrays, D times smaller for the means.
        Spherical log-variances (one per component) are the same in both.
        No effect with ``optimizer="sgd"`` (``docs/training.md``, "Quality levers").
    **kwargs
        gensim arguments that do not apply to Word2GM (``sg``, ``hs``,
        ``cbow_mean``, ``hashfxn``, ``null_word``, ``comment`` and the gensim 3
        names ``size`` and ``iter``) raise
        :class:`~w2gm.exceptions.UnsupportedArgumentError` saying why; any
        other unknown keyword raises ``TypeError`` as Python does.

    Defaults, validation and the ``w2gm train`` options of the settings (all
    parameters above but the corpus, `callbacks` and `trim_rule`) come from
    :data:`w2gm.settings.SETTINGS`; the settings are saved with the model.

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
    counts : numpy.ndarray or None
        ``(V,)`` int64 corpus count of every vocabulary word.
    corpus_count, corpus_total_words : int
        Sentences and raw words of the corpus the last :meth:`build_vocab`
        scanned (the default totals of :meth:`train`).
    effective_min_count : int
        The ``min_count`` the last :meth:`build_vocab` applied (raised by
        ``max_final_vocab``).
    raw_vocab : dict
        ``{word: count}`` of every word the last scan kept in its table, when
        :meth:`build_vocab` was called with ``keep_raw_vocab=True``; else empty.
    running_training_loss : float
        Hinge loss summed (in float64) over the jobs of the last :meth:`train`
        call so far; see :meth:`get_latest_training_loss`.
    training_loss : list of float
        Mean loss per (w, c, c') sample of every epoch trained (saved).
    diverged : bool
        True after training stopped with :class:`TrainingDivergedError`
        (kept by save/load; cleared by :meth:`build_vocab`); :meth:`save`
        then needs ``allow_diverged=True``.

    Raises
    ------
    ParameterError
        (a ``ValueError``) for an invalid setting, naming it and its range,
        or a `trim_rule` that is not callable.
    UnsupportedArgumentError
        (a ``TypeError``) for a gensim argument that does not apply (above).
    CorpusError
        (a ``TypeError``) if the corpus is not an iterable of token lists, a
        one-shot iterator needed for several passes, or both `sentences` and
        `corpus_file` are given.
    FileNotFoundError
        If `corpus_file` does not exist.
    EmptyVocabularyError
        (a ``ValueError``) for an empty corpus or a vocabulary emptied by
        ``min_count``.
    """

    def __init__(self, sentences=None, corpus_file=None, num_mixtures=_D["num_mixtures"],
                 vector_size=_D["vector_size"], covariance=_D["covariance"], window=_D["window"],
                 min_count=_D["min_count"], sample=_D["sample"], negative=_D["negative"],
                 margin=_D["margin"], var_scale=_D["var_scale"], mu_scale=_D["mu_scale"],
                 alpha=_D["alpha"], min_alpha=_D["min_alpha"], epochs=_D["epochs"],
                 workers=_D["workers"], seed=_D["seed"], optimizer=_D["optimizer"],
                 adagrad_initial_accumulator=_D["adagrad_initial_accumulator"],
                 separate_output=_D["separate_output"], var_bounds=_D["var_bounds"], eps=_D["eps"],
                 batch_words=_D["batch_words"], callbacks=(), compute_loss=_D["compute_loss"],
                 ns_exponent=_D["ns_exponent"], max_vocab_size=_D["max_vocab_size"],
                 max_final_vocab=_D["max_final_vocab"], trim_rule=None, sorted_vocab=_D["sorted_vocab"],
                 shrink_windows=_D["shrink_windows"], heldout_fraction=_D["heldout_fraction"],
                 heldout_triples=_D["heldout_triples"], variance_lr_factor=_D["variance_lr_factor"],
                 logit_lr_factor=_D["logit_lr_factor"], max_partial_energy=_D["max_partial_energy"],
                 norm_cap=_D["norm_cap"], shared_negatives=_D["shared_negatives"],
                 adagrad_state=_D["adagrad_state"], **kwargs):
        _refuse_unknown_arguments(kwargs, "Word2GM")
        values = dict(locals())
        for name, value in validate_settings({n: values[n] for n in SETTING_NAMES}).items():
            setattr(self, name, value)
        trim_rule = _check_trim_rule(trim_rule)
        self.wv = None
        self.counts = None
        self.corpus_total_words = 0
        self.corpus_count = 0
        # (file_fingerprint, raw words, sentences) of the file the last build_vocab scanned, if any
        self._corpus_file_counts = None
        self.effective_min_count = self.min_count
        self.raw_vocab = {}
        self.params_out = None
        self.accumulators_in = None
        self.accumulators_out = None
        self.training_loss = []
        self.heldout_loss_history = []
        self.heldout_sample = None
        self.running_training_loss = 0.0
        self.epochs_trained = 0
        self.train_calls = 0
        self._total_train_time = 0.0
        # what the last finished train() call measured; None before one (and after load)
        self.train_seconds = None
        self.last_train_stats = None
        self.diverged = False
        self.callbacks = _check_callbacks(callbacks)
        if sentences is not None or corpus_file is not None:
            self._corpus(sentences, corpus_file, passes=1 + self.epochs, name="sentences")
            self.build_vocab(sentences, corpus_file=corpus_file, trim_rule=trim_rule)
            # the corpus just scanned: its raw words are the exact total (word-based progress,
            # finer than sentences and the schedule w2gm has always used)
            self.train(sentences, corpus_file=corpus_file, total_words=self.corpus_total_words,
                       epochs=self.epochs, callbacks=self.callbacks)
        else:
            if trim_rule is not None:
                logger.warning("trim_rule is only applied by the vocabulary scan of a corpus given to "
                               "the constructor and is not stored; pass it to build_vocab()")
            if self.callbacks:
                logger.warning("callbacks given to the constructor are only used by the training "
                               "that a corpus given to the constructor starts; pass them to train()")

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

    # -------------------------------------------------------------------- corpus
    @staticmethod
    def _corpus(corpus_iterable, corpus_file, passes, name="corpus_iterable"):
        """The sentences to read: `corpus_iterable` (checked) or ``LineSentence(corpus_file)``.

        Raises
        ------
        CorpusError
            Unless exactly one of the two is given, or for a corpus that
            cannot work (:func:`w2gm.corpora.check_corpus`).
        ParameterError, FileNotFoundError, IsADirectoryError
            For a `corpus_file` that is not a path, does not exist or is a
            directory (:func:`w2gm.corpora.check_corpus_file_source`).
        CorpusError
            For a local `corpus_file` that is not a regular file (a FIFO or a
            device).
        """
        if corpus_iterable is None and corpus_file is None:
            raise CorpusError(f"no corpus: pass {name} (an iterable of token lists) or corpus_file "
                              "(the path of a file with one sentence a line)")
        if corpus_iterable is not None and corpus_file is not None:
            raise CorpusError(f"pass either {name} or corpus_file, not both")
        if corpus_file is not None:
            # a FIFO or a device would block or never end: refused as train(corpus_file=...) does
            return LineSentence(check_corpus_file_source(corpus_file))
        check_corpus(corpus_iterable, passes=passes, name=name)
        return corpus_iterable

    # ---------------------------------------------------------------- vocabulary
    def build_vocab(self, corpus_iterable=None, corpus_file=None, update=False, progress_per=10000,
                    keep_raw_vocab=False, trim_rule=None, *, sentences=None, **kwargs):
        """Scan a corpus and build the vocabulary; initialise (or, with `update`, extend) the parameters.

        Words whose count reaches the effective ``min_count`` are kept (see
        ``max_final_vocab`` and `trim_rule`); with ``sorted_vocab`` by
        decreasing count, ties in first-seen order (gensim 4.4 puts ties in
        reverse first-seen order; w2gm keeps the order it always had), else
        in first-seen order, as gensim.  Parameters are initialised as in Appendix A.2 (see
        :meth:`MixtureParameters.initial`); the Adagrad accumulators start at
        ``adagrad_initial_accumulator``.  ``max_vocab_size`` bounds the
        distinct words held during the scan (see the class docstring).

        Parameters
        ----------
        corpus_iterable : iterable of list of str, optional
            The corpus (one pass; a one-shot iterator is fine).
        corpus_file : str or os.PathLike, optional
            Instead of `corpus_iterable`: a file in :class:`w2gm.LineSentence`
            format (plain, ``.gz``, ``.bz2`` or ``.xz``).  Exactly one of the two.
        update : bool
            Add the new corpus's words to the existing vocabulary (gensim's
            online training) instead of starting afresh: words not in the
            vocabulary whose count in the new corpus reaches the effective
            ``min_count`` are appended after the existing words (in
            first-seen order, not sorted, as gensim) with fresh Appendix A.2
            parameters on both sides and fresh Adagrad accumulators; existing
            words keep their parameters and accumulators bit for bit, and
            their counts grow by their counts in the new corpus (also below
            ``min_count``).  :attr:`corpus_count` and
            :attr:`corpus_total_words` become the new corpus's, the training
            history is kept, and :attr:`wv` is replaced by a new
            :class:`KeyedGaussianMixtures` over the grown vocabulary (a
            reference to the old one keeps the old vocabulary).  The noise
            distribution and subsampling use the new counts from the next
            :meth:`train` on.
        progress_per : int
            Log a progress line every this many sentences (gensim's unit).
        keep_raw_vocab : bool
            Keep ``{word: count}`` of every word of the scan in
            :attr:`raw_vocab` (else it is emptied, as gensim).
        trim_rule : callable, optional
            ``trim_rule(word, count, min_count)`` -> :data:`RULE_DISCARD`,
            :data:`RULE_KEEP`, or :data:`RULE_DEFAULT` / None (use the count
            rule); called once per distinct word (gensim's protocol), and per
            word at every ``max_vocab_size`` pruning.  Not stored.
        sentences : iterable of list of str, optional
            Keyword alias of `corpus_iterable` (the name of earlier w2gm versions).

        Returns
        -------
        Word2GM
            The model itself.

        Raises
        ------
        CorpusError
            (a ``TypeError``) unless exactly one corpus is given, if an item
            of the corpus is a string rather than a token list, a token is not
            a string, or a vocabulary word holds a lone surrogate (a ``str``
            that is not valid Unicode text, e.g. from
            ``errors="surrogateescape"``): it could not be saved, so it is
            refused before training, naming the sentence and the token.
        EmptyVocabularyError
            (a ``ValueError``) if the corpus is empty or (without `update`) no
            word is kept.
        NotTrainedError
            (a ``RuntimeError``) for ``update=True`` on a model without a vocabulary.
        ParameterError
            (a ``ValueError``) for an invalid argument or setting, a
            `trim_rule` result that is not one of the three rules, or counts
            that would exceed ``2**63 - 1``.

        Nothing of the model changes when an exception is raised.

        Notes
        -----
        Decisions: gensim's extra keywords for ``prepare_vocab``
        (``min_count``, ``sample``, ``dry_run``) raise
        :class:`~w2gm.exceptions.UnsupportedArgumentError` (a ``TypeError``)
        saying what to do instead (set the settings); `progress_per` counts
        sentences, as in gensim.
        """
        _refuse_unknown_arguments(kwargs, "build_vocab", _BUILD_VOCAB_PASS_THROUGH)
        corpus_iterable = _corpus_alias(corpus_iterable, sentences)
        update = _check_flag("update", update)
        keep_raw_vocab = _check_flag("keep_raw_vocab", keep_raw_vocab)
        progress_per = _check_integer("progress_per", progress_per, 1, _INT64_MAX)
        trim_rule = _check_trim_rule(trim_rule)
        if update and self.wv is None:
            raise NotTrainedError("build_vocab(update=True) needs a vocabulary to add to: call "
                                  "build_vocab() without update first (or load a model)")
        corpus = self._corpus(corpus_iterable, corpus_file, passes=1)
        self._revalidate_settings()
        # counted in a compact table (no str object per distinct word), so that the rare
        # words dropped below leave no fragmented Python heap behind
        scan_start = time.time_ns()
        fingerprint = file_fingerprint(corpus_file) if corpus_file is not None else None
        table, n_sentences, n_words = self._scan_vocab(corpus, progress_per, trim_rule)
        self._vocabulary_from_counts(table, n_sentences, n_words, update, keep_raw_vocab, trim_rule, corpus)
        # train(corpus_file=) reuses the counts while the file is unchanged (docs/gensim.md)
        unchanged = (fingerprint is not None and fingerprint == file_fingerprint(corpus_file)
                     and max(fingerprint[4], fingerprint[5]) <= scan_start - FINGERPRINT_SETTLE_NS)
        self._corpus_file_counts = (fingerprint, n_words, n_sentences) if unchanged else None
        return self

    def build_vocab_from_freq(self, word_freq, keep_raw_vocab=False, corpus_count=None, trim_rule=None,
                              update=False):
        """Build the vocabulary from word counts instead of a corpus (gensim's method of that name).

        Everything after the scan is :meth:`build_vocab`'s: the effective
        ``min_count``, ``max_final_vocab``, `trim_rule`, the order of the
        words, the initialisation, and the `update` semantics.

        Parameters
        ----------
        word_freq : mapping of str to int
            ``{word: count}``, counts ``>= 1``; :attr:`corpus_total_words`
            becomes their sum.
        keep_raw_vocab, trim_rule, update : optional
            As for :meth:`build_vocab`.
        corpus_count : int, optional
            Sentences of the corpus the counts come from (:attr:`corpus_count`,
            the default ``total_examples`` of nothing; 0 if not given).

        Returns
        -------
        Word2GM
            The model itself.

        Raises
        ------
        ParameterError
            (a ``ValueError``) if `word_freq` is not a mapping of str to
            positive integers (naming the first bad entry), their sum exceeds
            ``2**63 - 1``, or an argument is invalid.
        CorpusError, EmptyVocabularyError, NotTrainedError
            As :meth:`build_vocab`.
        """
        update = _check_flag("update", update)
        keep_raw_vocab = _check_flag("keep_raw_vocab", keep_raw_vocab)
        trim_rule = _check_trim_rule(trim_rule)
        corpus_count = 0 if corpus_count is None else _check_integer("corpus_count", corpus_count, 0,
                                                                      _INT64_MAX)
        if update and self.wv is None:
            raise NotTrainedError("build_vocab_from_freq(update=True) needs a vocabulary to add to")
        if not isinstance(word_freq, Mapping):
            raise ParameterError("word_freq must be a mapping of word to count, got "
                                 f"{type(word_freq).__name__}")
        self._revalidate_settings()
        table = WordTable()
        n_words = 0
        for word, count in word_freq.items():
            if (not isinstance(word, str) or isinstance(count, bool)
                    or not isinstance(count, numbers.Integral) or not 1 <= count <= _INT64_MAX):
                raise ParameterError(f"word_freq must map str words to integer counts >= 1, got "
                                     f"{word!r}: {count!r}")
            n_words += int(count)
            if n_words > _INT64_MAX:
                raise ParameterError("the counts of word_freq add up to more than 2**63 - 1")
            table.add_word(word, int(count))
        return self._vocabulary_from_counts(table, corpus_count, n_words, update, keep_raw_vocab,
                                            trim_rule, ())

    def _vocabulary_from_counts(self, table, n_sentences, n_words, update, keep_raw_vocab, trim_rule,
                                corpus):
        """The part of :meth:`build_vocab` after the scan: select (or add) the words, set the parameters."""
        if n_words == 0:
            raise EmptyVocabularyError(f"the corpus is empty ({n_sentences} sentences, 0 words): "
                                       "cannot build a vocabulary")
        counts = table.counts()
        effective_min_count = self._effective_min_count(counts)
        keep = _keep_mask(table, counts, effective_min_count, trim_rule)
        raw_vocab = dict(zip(table.words(), counts.tolist())) if keep_raw_vocab else {}
        if update:
            self._update_vocabulary(table, counts, keep, corpus)
        else:
            words = self._select_vocabulary(table, counts, keep, effective_min_count, n_words)
            del table, counts, keep  # the table of all distinct words goes before the parameters come
            _check_encodable(words.words(), corpus)
            self.counts = words.counts()
            self._init_params(words)
        self.effective_min_count = effective_min_count
        self.raw_vocab = raw_vocab
        self.corpus_total_words = n_words
        self.corpus_count = n_sentences
        return self

    def _scan_vocab(self, corpus, progress_per, trim_rule):
        """Count the corpus: ``(table, sentences, raw words)``, pruned to ``max_vocab_size`` on the way."""
        table = WordTable()
        n_sentences = n_words = 0
        min_reduce = 1
        limit = self.max_vocab_size
        for n_sentences, sentence in enumerate(corpus, 1):
            n_words += sentence_tokens(table.add, sentence, n_sentences)
            if limit is not None and len(table) > limit:
                # gensim's rule: drop the words seen fewer than min_reduce times, 1, 2, ... in turn
                before = len(table)
                table = table.select(np.flatnonzero(_keep_mask(table, table.counts(), min_reduce,
                                                               trim_rule)))
                logger.info("vocabulary scan: %d distinct words exceed max_vocab_size=%d, dropped %d "
                            "seen fewer than %d times", before, limit, before - len(table), min_reduce)
                min_reduce += 1
            if n_sentences % progress_per == 0:
                logger.info("vocabulary scan: %d sentences, %d words, %d distinct", n_sentences,
                            n_words, len(table))
        return table, n_sentences, n_words

    def _effective_min_count(self, counts):
        """``min_count``, raised so that at most ``max_final_vocab`` words reach it (gensim's rule).

        The result is a Python int; it may exceed ``2**63 - 1`` (then no word is kept).
        """
        limit = self.max_final_vocab
        if limit is None or limit >= counts.size:
            return self.min_count
        # the (limit + 1)-th largest count: it and every smaller count are dropped
        boundary = int(np.partition(counts, counts.size - 1 - limit)[counts.size - 1 - limit])
        effective = max(self.min_count, boundary + 1)
        logger.info("max_final_vocab=%d and min_count=%d give an effective min_count of %d", limit,
                    self.min_count, effective)
        return effective

    def _select_vocabulary(self, table, counts, keep, effective_min_count, n_words):
        """The kept words of ``table`` (a new table): by decreasing count if ``sorted_vocab``."""
        kept = np.flatnonzero(keep)
        if kept.size == 0:
            limits = f"min_count={self.min_count}"
            if effective_min_count != self.min_count:
                limits += f" (raised to {effective_min_count} by max_final_vocab={self.max_final_vocab})"
            if len(table) == 0:  # max_vocab_size pruned every word while the corpus was scanned
                raise EmptyVocabularyError(
                    f"max_vocab_size={self.max_vocab_size} pruned every word during the scan (with "
                    f"{limits}); raise max_vocab_size or leave it None")
            raise EmptyVocabularyError(
                f"{limits} and trim_rule leave the vocabulary empty: the most frequent of {len(table)} "
                f"distinct words occurs {int(counts.max())} times")
        if self.sorted_vocab:
            # decreasing count, ties in first-seen order (a stable sort; gensim 4.4 reverses ties)
            kept = kept[np.argsort(-counts[kept], kind="stable")]
        words = table.select(kept)
        logger.info("vocabulary: %d of %d distinct words kept (effective min_count=%d), %d of %d corpus "
                    "words", len(words), len(table), effective_min_count, int(counts[kept].sum()), n_words)
        return words

    def _update_vocabulary(self, table, counts, keep, corpus):
        """``build_vocab(update=True)``: grow the vocabulary, the counts and every parameter array.

        Everything is computed before the model is changed, so that an error
        (a lone surrogate, counts beyond int64) leaves it as it was.
        """
        self._check_settings_match_arrays()
        old = self.wv.vocabulary_table
        V = len(old)
        scan_words = table.words()
        in_old = np.fromiter((old.index(w) for w in scan_words), dtype=np.int64, count=len(scan_words))
        new = np.flatnonzero(keep & (in_old < 0))
        new_words = [scan_words[i] for i in new]
        _check_encodable(new_words, corpus)
        # existing words gain their whole count in the new corpus, kept or not (as gensim)
        seen = np.flatnonzero(in_old >= 0)
        increments = np.zeros(V, dtype=np.int64)
        increments[in_old[seen]] = counts[seen]
        too_big = np.flatnonzero(self.counts > _INT64_MAX - increments)
        if too_big.size:
            i = int(too_big[0])
            raise ParameterError(f"the count of {old.word(i)!r} would exceed 2**63 - 1 "
                                 f"({int(self.counts[i])} + {int(increments[i])})")
        new_counts = np.concatenate([self.counts + increments, counts[new]])
        if _exact_sum(new_counts) > _INT64_MAX:
            raise ParameterError("the vocabulary's counts would add up to 2**63 or more")
        words = old.select(np.arange(V))
        for word, count in zip(new_words, counts[new].tolist()):
            words.add_word(word, count)
        # fresh Appendix A.2 parameters for the new rows, drawn from a generator of their own
        rng = np.random.default_rng([self.seed, V])
        _, K, D = self.wv.means.shape
        shape = dict(vocab_size=len(new_words), num_mixtures=K, vector_size=D,
                     spherical=self.wv.log_variances.shape[2] == 1, mu_scale=self.mu_scale,
                     var_scale=self.var_scale)
        fresh_in = MixtureParameters.initial(rng, **shape)
        params_in = _stacked(self.params_in, fresh_in)
        params_out = accumulators_in = accumulators_out = None
        if self.params_out is not None:
            fresh_out = MixtureParameters.initial(rng, **shape)
            params_out = _stacked(self.params_out, fresh_out)
        init = self.adagrad_initial_accumulator
        if self.accumulators_in is not None:
            accumulators_in = _stacked(self.accumulators_in, fresh_in.accumulators(init, self.adagrad_state))
        if self.accumulators_out is not None:
            accumulators_out = _stacked(self.accumulators_out,
                                        fresh_out.accumulators(init, self.adagrad_state))
        # commit
        self.counts = new_counts
        self.wv = KeyedGaussianMixtures(words, *params_in, counts=new_counts)
        self.params_out = params_out
        self.accumulators_in = accumulators_in
        self.accumulators_out = accumulators_out
        logger.info("vocabulary update: %d new words appended (%d in all), counts of %d existing words "
                    "increased", len(new_words), len(words), seen.size)

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
        self.heldout_loss_history = []
        self.heldout_sample = None
        self.epochs_trained = 0
        self.diverged = False

    def _init_accumulators(self):
        self.accumulators_in = self.accumulators_out = None
        if self.optimizer == "adagrad":
            init, layout = self.adagrad_initial_accumulator, self.adagrad_state
            self.accumulators_in = self.params_in.accumulators(init, layout)
            if self.separate_output:
                self.accumulators_out = self.params_out.accumulators(init, layout)

    def _check_settings_match_arrays(self):
        """ParameterError unless the arrays are those the settings describe.

        ``num_mixtures``, ``vector_size``, ``covariance``, ``separate_output``,
        ``optimizer`` and ``adagrad_state`` choose the shapes of the parameter
        and Adagrad arrays when they are created (:meth:`build_vocab`,
        :meth:`load`); changing one afterwards cannot convert them, and a file
        saved with the new value would not load.  Called by :meth:`train`,
        :meth:`save` and ``build_vocab(update=True)``.
        """
        if self.params_in is None:
            return
        _, k, d = self.params_in.means.shape
        dv = self.params_in.log_variances.shape[2]
        built = {"num_mixtures": k, "vector_size": d,
                 "covariance": "spherical" if dv == 1 else "diagonal",
                 "separate_output": self.params_out is not None,
                 "optimizer": "adagrad" if self.accumulators_in is not None else "sgd"}
        for name, value in built.items():
            if getattr(self, name) != value:
                raise ParameterError(
                    f"{name} is {getattr(self, name)!r} but the parameters were created with {value!r}: "
                    f"set it back, or call build_vocab() to start afresh")
        for params, accs in ((self.params_in, self.accumulators_in),
                             (self.params_out, self.accumulators_out)):
            if accs is None or params is None:
                continue
            if tuple(a.shape for a in accs) != params.accumulator_shapes(self.adagrad_state):
                other = "row" if self.adagrad_state == "scalar" else "scalar"
                raise ParameterError(
                    f"adagrad_state is {self.adagrad_state!r} but the Adagrad accumulators were "
                    f"created for {other!r}: set it back, or call build_vocab() to start afresh")

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
        """The training kernel bound to the parameter arrays and fresh sampling tables.

        The subsampling thresholds and the noise distribution
        (``counts ** ns_exponent``) are built from the current counts at every
        ``train`` call, so they follow a vocabulary update.
        """
        shared = not self.separate_output
        params_out = self.params_in if shared else self.params_out
        accumulators_out = self.accumulators_in if shared else self.accumulators_out
        self._check_settings_match_arrays()
        thresholds = subsampling_thresholds(self.counts, self.sample)
        alias_prob, alias_index = build_alias_table(self.counts, self.ns_exponent)
        if self.var_bounds is None:
            lo, hi = -3.0e38, 3.0e38
        else:
            lo, hi = math.log(self.var_bounds[0]), math.log(self.var_bounds[1])
        return KernelState(self.params_in, params_out, self.accumulators_in, accumulators_out,
                           thresholds, alias_prob, alias_index, self.window, self.negative,
                           self.margin, self.eps, lo, hi, shrink_windows=self.shrink_windows,
                           variance_lr_factor=self.variance_lr_factor,
                           logit_lr_factor=self.logit_lr_factor,
                           max_partial_energy=self.max_partial_energy, norm_cap=self.norm_cap,
                           shared_negatives=self.shared_negatives,
                           adagrad_state=self.adagrad_state, pack_rows=True)

    # ------------------------------------------------------------------ held-out objective
    def _draw_heldout_sample(self, words, sentence_ends, source):
        """Draw :attr:`heldout_sample` from held-out sentences (int32 ids, int64 ends; w2gm.heldout).

        `source` (:func:`w2gm.heldout.heldout_source`) is the split they came from.
        """
        thresholds = subsampling_thresholds(self.counts, self.sample)
        alias_prob, alias_index = build_alias_table(self.counts, self.ns_exponent)
        self.heldout_sample = draw_triples(words, sentence_ends, thresholds, alias_prob, alias_index,
                                           self.window, self.shrink_windows, self.heldout_triples,
                                           self.seed)
        self.heldout_sample.source = source
        logger.info("held-out sample: %d (w, c, c') triples from %d held-out vocabulary words",
                    len(self.heldout_sample), self.heldout_sample.words)
        if len(self.heldout_sample) == 0:
            warnings.warn("the held-out part of the corpus yielded no (w, c, c') triple; the held-out "
                          "loss is NaN (raise heldout_fraction or lower sample)", RuntimeWarning,
                          stacklevel=7)  # the caller of train (via TrainingRun._end_epoch)

    def heldout_loss(self):
        """Mean max-margin loss (Section 3.3) of the held-out sample under the current parameters.

        Nothing is updated.  Computed in float64 with the model's ``margin``,
        ``eps`` and ``max_partial_energy`` (:func:`w2gm.heldout.mean_loss`).

        Returns
        -------
        float
            NaN if the sample is empty.

        Raises
        ------
        NotTrainedError
            If no sample was drawn yet (train with ``heldout_fraction > 0`` first).
        """
        if self.heldout_sample is None:
            raise NotTrainedError("no held-out sample: train with heldout_fraction > 0 first")
        params_out = self.params_out if self.separate_output else self.params_in
        return heldout_mean_loss(self.params_in, params_out, self.heldout_sample, self.margin, self.eps,
                                 max_partial_energy=self.max_partial_energy)

    # ------------------------------------------------------------------ training
    def train(self, corpus_iterable=None, corpus_file=None, total_examples=None, total_words=None,
              epochs=None, start_alpha=None, end_alpha=None, word_count=0, queue_factor=2,
              report_delay=1.0, compute_loss=None, callbacks=(), *, sentences=None):
        """Train on a corpus for ``epochs`` passes (Hogwild, ``workers`` threads).

        The learning rate decays linearly from `start_alpha` to `end_alpha`
        over the whole call.  The progress of epoch ``e`` (0-based) is
        ``(e + min(1, done / expected)) / epochs``, counted in sentences when
        `total_examples` is given and in raw words otherwise, as in gensim;
        the first epoch expects the given total and every later one the size
        the previous epoch really had, so that a corpus of another size than
        the totals still gets the whole schedule (:mod:`w2gm.training`).  Can
        be called again, e.g. on a loaded model, to continue training.
        Threads, queues and the guarantees on errors and Ctrl-C are described
        in :mod:`w2gm.training`.

        Parameters
        ----------
        corpus_iterable : iterable of list of str, optional
            Restartable corpus (a one-shot iterator only works with one epoch).
        corpus_file : str or os.PathLike, optional
            Instead of `corpus_iterable`: a file in :class:`w2gm.LineSentence`
            format (plain, ``.gz``, ``.bz2`` or ``.xz``).  Every worker reads
            its own byte range of it without the GIL (a compressed file is
            first decompressed into a temporary file); its size, counted once
            per call (or taken from :meth:`build_vocab` when it scanned the
            same file, unchanged since), drives the schedule.  Exactly one
            of the two.
        total_examples : int, optional
            Sentences per epoch (e.g. ``model.corpus_count``); the schedule
            and progress then count sentences.
        total_words : int, optional
            Raw words (corpus tokens) per epoch (e.g. ``model.corpus_total_words``).
        epochs : int, optional
            Passes over the corpus; defaults to the ``epochs`` setting.
        start_alpha, end_alpha : float, optional
            Learning-rate range of this call (default ``alpha`` and
            ``min_alpha``; the settings are not changed).
        word_count : int
            Accepted for gensim compatibility and ignored, as gensim 4 ignores it.
        queue_factor : int
            At most ``queue_factor * workers`` jobs wait for a worker (1 to 100).
        report_delay : float
            Seconds between progress log lines (>= 0).
        compute_loss : bool, optional
            Sum the loss into :attr:`running_training_loss` during this call;
            defaults to the ``compute_loss`` setting.
        callbacks : sequence, optional
            gensim-style callbacks (``on_train_begin``, ``on_epoch_begin``,
            ``on_epoch_end``, ``on_train_end``), each called with the model in
            the calling thread; an epoch's updates are complete (and its loss
            is in :attr:`running_training_loss`) when its ``on_epoch_end``
            runs.  ``on_batch_begin`` / ``on_batch_end`` are not called (gensim
            4 does not call them either).  w2gm's extension: an
            ``on_progress(model, progress)`` method is called at every
            progress report (every `report_delay` seconds) with a
            :class:`w2gm.training.Progress` (the ``w2gm train`` progress bar
            uses it).
        sentences : iterable of list of str, optional
            Keyword alias of `corpus_iterable` (the name of earlier w2gm versions).

        Returns
        -------
        list of float
            Mean loss per (w, c, c') sample of each epoch of this call (float64).

        Raises
        ------
        NotTrainedError
            If :meth:`build_vocab` has not been called.
        CorpusError, ParameterError
            For a bad corpus (or not exactly one), settings or arguments
            (before any update).
        FileNotFoundError
            If `corpus_file` does not exist.
        TrainingDivergedError
            (a ``FloatingPointError``) if a loss or parameter becomes NaN or
            infinite; training stops and the message gives the epoch and words
            done.  The model is then marked (:attr:`diverged`) and :meth:`save`
            refuses it unless called with ``allow_diverged=True``.

        Warns
        -----
        RuntimeWarning
            Once per call when an epoch's sentences or raw words differ from
            the totals in use (each such epoch is also logged as gensim logs
            it); and for an epoch that saw no words or trained on no sample.

        Notes
        -----
        Decisions, where gensim differs:

        * Without `total_examples` and `total_words` gensim raises; w2gm
          uses the raw words :meth:`build_vocab` counted
          (:attr:`corpus_total_words`), and warns if the corpus turns out to
          have another size.  Without `epochs` it uses the ``epochs`` setting
          (gensim raises).
        * `start_alpha`, `end_alpha`, `epochs` and `compute_loss` apply to
          this call only; gensim stores them in the model.
        * The return value is the per-epoch mean loss (gensim returns the
          trained and raw word counts; they are in :attr:`last_train_stats`).
        """
        corpus_iterable = _corpus_alias(corpus_iterable, sentences)
        if self.wv is None:
            raise NotTrainedError("call build_vocab() (or load a model) before train()")
        epochs = self.epochs if epochs is None else check_setting("epochs", epochs)
        self._corpus(corpus_iterable, corpus_file, passes=epochs)
        self._revalidate_settings()
        total_examples, total_words, start_alpha, end_alpha = self._schedule(
            total_examples, total_words, start_alpha, end_alpha)
        _check_integer("word_count", word_count, 0, _INT64_MAX)
        queue_factor = _check_integer("queue_factor", queue_factor, 1, 100)
        report_delay = _check_report_delay(report_delay)
        compute_loss = self.compute_loss if compute_loss is None else check_setting("compute_loss",
                                                                                   compute_loss)
        callbacks = _check_callbacks(callbacks)
        kernel = self._kernel_state()
        self.train_calls += 1
        self.running_training_loss = 0.0
        call_seed = (int(self.seed) * 1_000_003 + self.train_calls) & 0xFFFFFFFFFFFFFFFF
        run = TrainingRun(self, kernel, epochs, start_alpha, end_alpha, call_seed,
                          corpus=corpus_iterable, corpus_file=corpus_file,
                          known_file_counts=self._known_file_counts(corpus_file),
                          total_examples=total_examples, total_words=total_words,
                          report_delay=report_delay, callbacks=callbacks, queue_factor=queue_factor,
                          compute_loss=compute_loss)
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

    def _known_file_counts(self, corpus_file):
        """build_vocab's ``(raw words, sentences)`` of `corpus_file` if it is unchanged since, else None."""
        known = self._corpus_file_counts
        if corpus_file is None or known is None or known[0] != file_fingerprint(corpus_file):
            return None
        return known[1], known[2]

    def _schedule(self, total_examples, total_words, start_alpha, end_alpha):
        """Validated ``(total_examples, total_words, start_alpha, end_alpha)`` of a train call.

        Without either total, ``total_words`` is :attr:`corpus_total_words`.
        """
        if total_examples is not None:
            total_examples = _check_integer("total_examples", total_examples, 1, _INT64_MAX)
        if total_words is None and total_examples is None:
            total_words = self.corpus_total_words
        if total_words is not None:
            total_words = _check_integer("total_words", total_words, 1, _INT64_MAX)
        start_alpha = self.alpha if start_alpha is None else check_setting("alpha", start_alpha)
        end_alpha = self.min_alpha if end_alpha is None else check_setting("min_alpha", end_alpha)
        if end_alpha > start_alpha:
            raise ParameterError(f"need end_alpha <= start_alpha, got {start_alpha!r}, {end_alpha!r}")
        return total_examples, total_words, start_alpha, end_alpha

    def get_latest_training_loss(self):
        """The hinge loss summed over the jobs of the latest :meth:`train` call so far.

        Reset to 0.0 when a ``train`` call starts and increased as its jobs
        finish, so an ``on_epoch_end`` callback sees the sum over the epochs
        done; stays 0.0 when the call runs with ``compute_loss=False`` (as in
        gensim).  Unlike gensim's float32 tally, which stops growing once it
        is large (gensim issue #2735), the sum is a float64 Python float.

        Returns
        -------
        float
        """
        return self.running_training_loss

    def _check_finite(self, words_done):
        if not self._params_finite():
            raise TrainingDivergedError(
                f"training produced NaN/infinite parameters after {words_done} words; "
                "lower alpha or set var_bounds")

    def _record(self, stats):
        """Add a finished run to the training history and log it."""
        self.training_loss.extend(stats.epoch_loss)
        self.heldout_loss_history.extend(stats.epoch_heldout_loss)
        self.epochs_trained += len(stats.epoch_loss)
        self.train_seconds = stats.seconds
        self._total_train_time += stats.seconds
        self.last_train_stats = {"seconds": stats.seconds, "raw_words": stats.raw_words,
                                 "kept_words": stats.kept_words, "examples": stats.sentences,
                                 "words_per_second": stats.words_per_second,
                                 "epoch_loss": stats.epoch_loss, "epoch_samples": stats.epoch_samples,
                                 "epoch_heldout_loss": list(stats.epoch_heldout_loss)}
        logger.info("training on %d raw words (%d effective) took %.1fs, %.0f words/s; "
                    "mean loss per epoch: %s", stats.raw_words, stats.kept_words, stats.seconds,
                    stats.words_per_second, ", ".join(f"{x:.4f}" for x in stats.epoch_loss))
        if stats.epoch_heldout_loss:
            logger.info("held-out loss per epoch: %s",
                        ", ".join(f"{x:.4f}" for x in stats.epoch_heldout_loss))

    @property
    def train_count(self):
        """int: number of :meth:`train` calls so far (gensim's name for :attr:`train_calls`)."""
        return self.train_calls

    @property
    def total_train_time(self):
        """float: seconds spent in :meth:`train` by this model object (gensim's attribute; not saved)."""
        return self._total_train_time

    def _params_finite(self):
        groups = [self.params_in] + ([self.params_out] if self.separate_output else [])
        return all(group.all_finite() for group in groups)

    # ------------------------------------------------------------------- queries
    def _queries(self):
        if self.wv is None:
            raise NotTrainedError("the model has no vocabulary yet: call build_vocab() and train() "
                                  "(or load a model) before querying it")
        return self.wv

    def most_similar(self, *args, **kwargs):
        """Nearest neighbours: ``self.wv.most_similar(*args, **kwargs)``.

        See :meth:`KeyedGaussianMixtures.most_similar` for the arguments;
        raises :class:`NotTrainedError` before :meth:`build_vocab`.
        """
        return self._queries().most_similar(*args, **kwargs)

    def similarity(self, *args, **kwargs):
        """Word similarity: ``self.wv.similarity(*args, **kwargs)``.

        See :meth:`KeyedGaussianMixtures.similarity`; raises
        :class:`NotTrainedError` before :meth:`build_vocab`.
        """
        return self._queries().similarity(*args, **kwargs)

    def evaluate_word_pairs(self, *args, **kwargs):
        """Correlation with human ratings: ``self.wv.evaluate_word_pairs(*args, **kwargs)``.

        See :meth:`KeyedGaussianMixtures.evaluate_word_pairs`; raises
        :class:`NotTrainedError` before :meth:`build_vocab`.
        """
        return self._queries().evaluate_word_pairs(*args, **kwargs)

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
        ParameterError
            (a ``ValueError``) If a setting that fixes the arrays
            (``num_mixtures``, ``vector_size``, ``covariance``,
            ``separate_output``, ``optimizer``, ``adagrad_state``) was changed
            after :meth:`build_vocab`, so the file would not load (nothing is
            written).
        """
        if self.wv is None:
            raise NotTrainedError("nothing to save: build_vocab() has not been called")
        if self.diverged and not allow_diverged:
            raise TrainingDivergedError(
                f"refusing to save to {str(path)!r}: this model's training diverged (its parameters are "
                "unreliable); retrain with a lower alpha or var_bounds, or pass allow_diverged=True to "
                "save it anyway")
        self._check_settings_match_arrays()
        if not self._params_finite():
            raise TrainingDivergedError("refusing to save a model with NaN/infinite parameters")
        meta = {"settings": self.settings(), "corpus_total_words": self.corpus_total_words,
                "corpus_count": self.corpus_count, "training_loss": _json_floats(self.training_loss),
                # a NaN loss (an empty held-out sample) is written as null, which load reads as NaN
                "heldout_loss_history": _json_floats(self.heldout_loss_history),
                "epochs_trained": self.epochs_trained, "train_calls": self.train_calls,
                "diverged": self.diverged, "running_training_loss": self.running_training_loss}
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
            # [row Adagrad] one accumulator per parameter row: (V, K, 1) and (V, 1)
            row = {"means": (V, K, 1), "log_variances": (V, K, 1), "logits": (V, 1)}
            names.update({"adagrad_" + n: s if self.adagrad_state == "scalar" else row[n.removesuffix("_out")]
                          for n, s in list(names.items())})
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
        heldout = meta.get("heldout_loss_history", [])
        if not isinstance(heldout, list) or not all(
                (isinstance(x, (int, float)) and not isinstance(x, bool) and abs(x) <= 1e308)
                or x is None for x in heldout):
            raise ParameterError("its heldout_loss_history is not a list of (float-sized) numbers")
        self.heldout_loss_history = [float("nan") if x is None else float(x) for x in heldout]
        for name in ("corpus_total_words", "corpus_count", "epochs_trained", "train_calls"):
            value = meta.get(name, 0)
            if type(value) is not int or not 0 <= value < 2**63:
                raise ParameterError(f"its {name} is {value!r}, not an integer in [0, 2**63)")
            setattr(self, name, value)
        self.diverged = meta.get("diverged", False)
        if type(self.diverged) is not bool:
            raise ParameterError(f"its diverged mark is {self.diverged!r}, not true or false")
        loss = meta.get("running_training_loss", 0.0)
        if type(loss) not in (int, float) or not 0 <= loss <= 1e308:
            raise ParameterError(f"its running_training_loss is {loss!r:.80}, not a finite number >= 0")
        self.running_training_loss = float(loss)

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
    bad = next(w for w in words if not w.isascii() and not is_utf8_encodable(w))
    where = ""
    if iter(sentences) is not sentences:
        number = next((n for n, sentence in enumerate(sentences, 1) if bad in sentence), None)
        where = f"sentence #{number}: " if number is not None else ""
    raise CorpusError(f"{where}token {bad!r} holds a lone surrogate (not valid Unicode text) and could "
                      "not be saved; decode the corpus without errors='surrogateescape' or drop the token")


def _exact_sum(counts):
    """The exact sum of non-negative int64 ``counts`` as a Python int (no int64 wrap, no float rounding)."""
    counts = counts.astype(np.uint64)
    high = int(np.sum(counts >> np.uint64(32), dtype=np.uint64))
    low = int(np.sum(counts & np.uint64(0xFFFFFFFF), dtype=np.uint64))
    return (high << 32) + low


# ---------------------------------------------------------------------------
# argument checks and vocabulary helpers


def _corpus_alias(corpus_iterable, sentences):
    """`corpus_iterable`, or `sentences` (its keyword alias); CorpusError if both are given."""
    if sentences is None:
        return corpus_iterable
    if corpus_iterable is not None:
        raise CorpusError("pass the corpus once: sentences is an alias of corpus_iterable")
    return sentences


def _check_flag(name, value):
    """`value` as a bool (True, False, 1 or 0), else ParameterError naming `name`."""
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, numbers.Integral) and value in (0, 1)):
        return bool(value)
    raise ParameterError(f"{name} must be True or False, got {value!r:.80}")


def _check_integer(name, value, low, high):
    """`value` as an int in ``low..high``, else ParameterError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
        raise ParameterError(f"{name} must be an integer from {low} to {high}, got {value!r:.80}")
    return int(value)


#: The methods a callback may have (gensim's, and w2gm's ``on_progress``).
CALLBACK_HOOKS = ("on_train_begin", "on_epoch_begin", "on_epoch_end", "on_train_end", "on_batch_begin",
                  "on_batch_end", "on_progress")


def _check_callbacks(callbacks):
    """`callbacks` as a tuple: None or a sequence of objects with at least one callback method."""
    if callbacks is None:
        return ()
    if isinstance(callbacks, (str, bytes)):
        raise ParameterError(f"callbacks must be a sequence of callback objects, got {callbacks!r:.80}")
    try:
        items = tuple(callbacks)
    except TypeError:
        raise ParameterError(f"callbacks must be a sequence of callback objects, got {callbacks!r:.80}") \
            from None
    for i, callback in enumerate(items):
        if not any(callable(getattr(callback, hook, None)) for hook in CALLBACK_HOOKS):
            raise ParameterError(
                f"callbacks[{i}] has none of the callback methods ({', '.join(CALLBACK_HOOKS[:4])}, ...), "
                f"got {callback!r:.80}; a plain function is not a callback: subclass gensim's "
                f"CallbackAny2Vec or give an object with on_epoch_end(model)")
    return items


def _check_report_delay(value):
    number = real_as_float(value)  # an int beyond float's range is inf: never report
    if number is None or math.isnan(number) or number < 0:
        raise ParameterError(f"report_delay must be a number of seconds >= 0, got {value!r:.80}")
    return number


def _json_floats(values):
    """`values` as a JSON-safe list: non-finite floats become None (``null``; load reads NaN)."""
    return [float(x) if math.isfinite(x) else None for x in values]


def _check_trim_rule(trim_rule):
    if trim_rule is not None and not callable(trim_rule):
        raise ParameterError(f"trim_rule must be None or a callable (word, count, min_count) -> "
                             f"RULE_DEFAULT, RULE_DISCARD or RULE_KEEP, got {trim_rule!r:.80}")
    return trim_rule


def _keep_mask(table, counts, min_count, trim_rule):
    """``(n,)`` bool: which words of ``table`` to keep (gensim's ``keep_vocab_item`` for every word).

    A word is kept if its count reaches `min_count` (a Python int, possibly
    beyond int64), unless ``trim_rule(word, count, min_count)`` returns
    :data:`RULE_KEEP` or :data:`RULE_DISCARD`.

    Raises
    ------
    ParameterError
        If `trim_rule` returns anything but the three rules or None.
    """
    keep = counts >= min_count if min_count <= _INT64_MAX else np.zeros(counts.size, dtype=bool)
    if trim_rule is None:
        return keep
    for i, (word, count) in enumerate(zip(table.words(), counts.tolist())):
        rule = trim_rule(word, count, min_count)
        if rule is None:
            continue
        # True/False are refused: True == RULE_DISCARD would silently drop a word meant to be kept
        if isinstance(rule, (bool, np.bool_)) or rule not in (RULE_DEFAULT, RULE_DISCARD, RULE_KEEP):
            raise ParameterError(
                f"trim_rule returned {rule!r:.80} for {word!r}: it must return w2gm.RULE_DEFAULT (0), "
                "RULE_DISCARD (1), RULE_KEEP (2) or None")
        if rule == RULE_KEEP:
            keep[i] = True
        elif rule == RULE_DISCARD:
            keep[i] = False
    return keep


def _stacked(group, fresh):
    """The arrays of `group` with the rows of `fresh` appended (new C-contiguous float32 arrays)."""
    return MixtureParameters(*(np.concatenate([a, b]) for a, b in zip(group, fresh)))
