"""The Word2GM model: vocabulary, parameters, multi-threaded training, save/load.

Athiwaratkun & Wilson (2017), "Multimodal Word Distributions", ACL.  Each
vocabulary word is a Gaussian mixture of K components (eq. 1); the model is
trained with the max-margin loss on the expected likelihood kernel (Sections
3.3-3.4) by lock-free (Hogwild) SGD or Adagrad in the Cython kernels of
:mod:`w2gm._train_inner`.

Data flow of :meth:`Word2GM.train`: the corpus iterable is read by a producer
thread that turns sentences into int32 index arrays and cuts them into jobs of
about ``batch_words`` words, each with its learning-rate range and random seed;
``workers`` OS threads each run whole jobs inside one ``nogil`` kernel call on
the shared parameter arrays; the calling thread collects job results and logs
progress about once a second.
"""

import json
import logging
import math
import os
import queue
import tempfile
import threading
import time
import zipfile

import numpy as np

from w2gm._sampling import build_alias_table, subsampling_thresholds
from w2gm._train_inner import KernelState
from w2gm._vocab import WordTable
from w2gm.keyed_mixtures import KeyedGaussianMixtures

logger = logging.getLogger(__name__)

FORMAT_NAME = "w2gm-model"
FORMAT_VERSION = 1

#: Names of the parameter arrays, input side then output side.
PARAM_NAMES = ("means", "log_variances", "logits")


def _check_corpus(corpus, passes, name="sentences"):
    """Reject corpora that cannot work before any work starts."""
    if corpus is None:
        raise TypeError(f"{name} must be an iterable of token lists, got None")
    if isinstance(corpus, (str, bytes)):
        raise TypeError(
            f"{name} must be an iterable of token lists, got a {type(corpus).__name__}; "
            "to read a file use w2gm.LineSentence(path) or w2gm.Text8Corpus(path)")
    try:
        it = iter(corpus)
    except TypeError:
        raise TypeError(f"{name} must be an iterable of token lists, got {type(corpus).__name__}") from None
    if it is corpus and passes > 1:
        raise TypeError(
            f"{name} is a one-shot iterator ({type(corpus).__name__}) but {passes} passes over it "
            "are needed (vocabulary scan and/or several epochs); pass a restartable iterable "
            "instead: a list of token lists, w2gm.LineSentence / w2gm.Text8Corpus, or a class "
            "whose __iter__ reopens the data")


def _check_sentence(sentence, number):
    if isinstance(sentence, (str, bytes)):
        raise TypeError(
            f"sentence #{number} is a {type(sentence).__name__} ({str(sentence)[:40]!r}...), not a list "
            "of tokens; split your text first (e.g. line.split()) or use w2gm.LineSentence")


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
        the whole training.  Defaults 0.1 and 1e-5; the paper (Appendix A.2)
        uses 0.05 to 1e-5 (see ``docs/quality.md``).
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

    Raises
    ------
    ValueError
        For an invalid setting (naming the parameter and value), an empty
        corpus or a vocabulary emptied by ``min_count``.
    TypeError
        If the corpus is not an iterable of token lists, or a one-shot
        iterator needed for several passes.
    """

    def __init__(self, sentences=None, num_mixtures=2, vector_size=50, covariance="spherical",
                 window=10, min_count=5, sample=1e-5, negative=1, margin=1.0, var_scale=0.5,
                 mu_scale=1.0, alpha=0.1, min_alpha=1e-5, epochs=5, workers=3, seed=1,
                 optimizer="adagrad", adagrad_initial_accumulator=0.1, separate_output=False,
                 var_bounds=None, eps=1e-4, batch_words=10000):
        self.num_mixtures = num_mixtures
        self.vector_size = vector_size
        self.covariance = covariance
        self.window = window
        self.min_count = min_count
        self.sample = sample
        self.negative = negative
        self.margin = margin
        self.var_scale = var_scale
        self.mu_scale = mu_scale
        self.alpha = alpha
        self.min_alpha = min_alpha
        self.epochs = epochs
        self.workers = workers
        self.seed = seed
        self.optimizer = optimizer
        self.adagrad_initial_accumulator = adagrad_initial_accumulator
        self.separate_output = separate_output
        self.var_bounds = tuple(var_bounds) if var_bounds is not None else None
        self.eps = eps
        self.batch_words = batch_words
        self._validate_settings()

        self.wv = None
        self.counts = None
        self.corpus_total_words = 0
        self.corpus_count = 0
        self.params_out = None
        self.accumulators = None
        self.training_loss = []
        self.epochs_trained = 0
        self.train_calls = 0
        if sentences is not None:
            _check_corpus(sentences, passes=1 + epochs)
            self.build_vocab(sentences)
            self.train(sentences)

    # ------------------------------------------------------------------ settings
    _SETTINGS = ("num_mixtures", "vector_size", "covariance", "window", "min_count", "sample",
                 "negative", "margin", "var_scale", "mu_scale", "alpha", "min_alpha", "epochs",
                 "workers", "seed", "optimizer", "adagrad_initial_accumulator", "separate_output",
                 "var_bounds", "eps", "batch_words")

    def _validate_settings(self):
        def integer(name, low):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {v!r}")

        def real(name, low=None, strict=False):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(v):
                raise ValueError(f"{name} must be a finite number, got {v!r}")
            if low is not None and (v <= low if strict else v < low):
                raise ValueError(f"{name} must be {'>' if strict else '>='} {low}, got {v!r}")

        for name, low in (("num_mixtures", 1), ("vector_size", 1), ("window", 1),
                          ("min_count", 1), ("negative", 1), ("epochs", 1), ("workers", 1),
                          ("batch_words", 1), ("seed", 0)):
            integer(name, low)
        real("sample", 0.0)
        real("margin", 0.0, strict=True)
        real("var_scale", 0.0, strict=True)
        real("mu_scale", 0.0)
        real("alpha", 0.0, strict=True)
        real("min_alpha", 0.0)
        real("eps", 0.0)
        real("adagrad_initial_accumulator", 0.0, strict=True)
        if self.min_alpha > self.alpha:
            raise ValueError(f"min_alpha ({self.min_alpha!r}) must not exceed alpha ({self.alpha!r})")
        if self.covariance not in ("spherical", "diagonal"):
            raise ValueError(f"covariance must be 'spherical' or 'diagonal', got {self.covariance!r}")
        if self.optimizer not in ("adagrad", "sgd"):
            raise ValueError(f"optimizer must be 'adagrad' or 'sgd', got {self.optimizer!r}")
        if not isinstance(self.separate_output, (bool, np.bool_)):
            raise ValueError(f"separate_output must be True or False, got {self.separate_output!r}")
        if self.var_bounds is not None:
            if len(self.var_bounds) != 2 or not all(
                    isinstance(b, (int, float)) and math.isfinite(b) and b > 0 for b in self.var_bounds) \
                    or self.var_bounds[0] > self.var_bounds[1]:
                raise ValueError(f"var_bounds must be None or (lower, upper) with 0 < lower <= upper, "
                                 f"got {self.var_bounds!r}")

    def settings(self):
        """The constructor settings as a dict (JSON-serialisable)."""
        out = {}
        for name in self._SETTINGS:
            v = getattr(self, name)
            if isinstance(v, np.generic):
                v = v.item()
            out[name] = list(v) if isinstance(v, tuple) else v
        return out

    # ---------------------------------------------------------------- vocabulary
    def build_vocab(self, sentences, progress_per=1_000_000):
        """Scan the corpus, keep words with ``count >= min_count``, initialise parameters.

        Words are sorted by decreasing count (ties in first-seen order), as in
        gensim.  Parameters are initialised as in Appendix A.2: means uniform
        in ``+-mu_scale*sqrt(3/D)``, variances ``var_scale``, logits 0.

        Parameters
        ----------
        sentences : iterable of list of str
            The corpus (one pass).

        Raises
        ------
        TypeError
            If an item of the corpus is a string rather than a token list, or a
            token is not a string.
        ValueError
            If the corpus is empty or no word reaches ``min_count``.
        """
        _check_corpus(sentences, passes=1)
        # counted in a compact table (no str object per distinct word), so that the rare
        # words dropped below leave no fragmented Python heap behind
        table = WordTable()
        n_sentences = 0
        n_words = 0
        next_report = progress_per
        for n_sentences, sentence in enumerate(sentences, 1):
            _check_sentence(sentence, n_sentences)
            try:
                n_words += table.add(sentence)
            except TypeError as exc:
                raise TypeError(f"sentence #{n_sentences}: {exc}") from None
            if n_words >= next_report:
                logger.info("vocabulary scan: %d sentences, %d words, %d distinct", n_sentences,
                            n_words, len(table))
                next_report += progress_per
        if n_words == 0:
            raise ValueError(f"the corpus is empty ({n_sentences} sentences, 0 words): "
                             "cannot build a vocabulary")
        all_counts = table.counts()
        kept = np.flatnonzero(all_counts >= self.min_count)
        if kept.size == 0:
            raise ValueError(
                f"min_count={self.min_count} leaves the vocabulary empty: the most frequent of "
                f"{len(table)} distinct words occurs {int(all_counts.max())} times")
        # decreasing count, ties in first-seen order (a stable sort), as in gensim
        order = kept[np.argsort(-all_counts[kept], kind="stable")]
        n_distinct = len(table)
        # free the table of all distinct words before the parameters are allocated, so that
        # the two never occupy memory at the same time
        words = table.select(order)
        del table, all_counts, kept, order
        self.counts = words.counts()
        self.corpus_total_words = n_words
        self.corpus_count = n_sentences
        logger.info("vocabulary: %d of %d distinct words kept (min_count=%d), %d of %d corpus words",
                    len(words), n_distinct, self.min_count, int(self.counts.sum()), n_words)
        self._init_params(words)
        return self

    def _init_params(self, words):
        V, K, D = len(words), self.num_mixtures, self.vector_size
        Dv = 1 if self.covariance == "spherical" else D
        rng = np.random.default_rng(self.seed)
        bound = self.mu_scale * math.sqrt(3.0 / D)

        def fresh():
            # drawn directly in float32 and scaled in place: no (V, K, D) float64 temporary,
            # which would double the peak memory of build_vocab
            mu = rng.random((V, K, D), dtype=np.float32)
            mu *= np.float32(2.0 * bound)
            mu -= np.float32(bound)
            return (mu,
                    np.full((V, K, Dv), math.log(self.var_scale), dtype=np.float32),
                    np.zeros((V, K), dtype=np.float32))

        mu, lv, s = fresh()
        self.wv = KeyedGaussianMixtures(words, mu, lv, s, counts=self.counts)
        self.params_out = fresh() if self.separate_output else None
        self._init_accumulators()
        self.training_loss = []
        self.epochs_trained = 0

    def _init_accumulators(self):
        if self.optimizer != "adagrad":
            self.accumulators = None
            return
        def like(arrays):
            return tuple(np.full(a.shape, self.adagrad_initial_accumulator, dtype=np.float32)
                         for a in arrays)
        acc_in = like(self._params_in())
        acc_out = like(self.params_out) if self.separate_output else None
        self.accumulators = (acc_in, acc_out)

    def _params_in(self):
        return (self.wv.means, self.wv.log_variances, self.wv.logits)

    def _kernel_state(self):
        p_in = self._params_in()
        p_out = self.params_out if self.separate_output else p_in
        accs = None
        if self.optimizer == "adagrad":
            acc_in, acc_out = self.accumulators
            accs = tuple(acc_in) + tuple(acc_out if self.separate_output else acc_in)
        thresholds = subsampling_thresholds(self.counts, self.sample)
        alias_prob, alias_index = build_alias_table(self.counts, 0.75)
        if self.var_bounds is None:
            lo, hi = -3.0e38, 3.0e38
        else:
            lo, hi = math.log(self.var_bounds[0]), math.log(self.var_bounds[1])
        return KernelState(*p_in, *p_out, accs, thresholds, alias_prob, alias_index,
                           self.window, self.negative, self.margin, self.eps, lo, hi)

    # ------------------------------------------------------------------ training
    def train(self, sentences, epochs=None, total_words=None, start_alpha=None, end_alpha=None,
              report_delay=1.0):
        """Train on a corpus for ``epochs`` passes (Hogwild, ``workers`` threads).

        The learning rate decays linearly from ``start_alpha`` (default
        ``alpha``) to ``end_alpha`` (default ``min_alpha``) over the whole call,
        measured in vocabulary words processed.  Can be called again, e.g. on a
        loaded model, to continue training.

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

        Returns
        -------
        list of float
            Mean loss per (w, c, c') sample of each epoch of this call (float64).

        Raises
        ------
        RuntimeError
            If :meth:`build_vocab` has not been called.
        TypeError, ValueError
            For a bad corpus or settings (before any update).
        FloatingPointError
            If a loss or parameter becomes NaN or infinite; training stops and
            the message gives the epoch and words done.
        """
        if self.wv is None:
            raise RuntimeError("call build_vocab() (or load a model) before train()")
        epochs = self.epochs if epochs is None else epochs
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"epochs must be an integer >= 1, got {epochs!r}")
        _check_corpus(sentences, passes=epochs)
        self._validate_settings()
        total_words = self.corpus_total_words if total_words is None else int(total_words)
        if total_words < 1:
            raise ValueError(f"total_words must be >= 1, got {total_words!r}")
        start_alpha = self.alpha if start_alpha is None else float(start_alpha)
        end_alpha = self.min_alpha if end_alpha is None else float(end_alpha)
        if not (0 <= end_alpha <= start_alpha) or not math.isfinite(start_alpha):
            raise ValueError(f"need 0 <= end_alpha <= start_alpha, got {start_alpha!r}, {end_alpha!r}")
        state = self._kernel_state()
        self.train_calls += 1
        call_seed = (int(self.seed) * 1_000_003 + self.train_calls) & 0xFFFFFFFFFFFFFFFF

        job_queue = queue.Queue(maxsize=2 * self.workers)
        results = queue.Queue()
        stop = threading.Event()
        errors = []
        planned = float(total_words) * epochs
        lookup = self.wv.vocabulary_table.lookup
        batch_words = self.batch_words

        def producer():
            try:
                done_raw = 0
                job_no = 0

                def emit(parts, ends, raw, epoch):
                    nonlocal done_raw, job_no
                    arr = parts[0] if len(parts) == 1 else np.concatenate(parts)
                    ends_arr = np.asarray(ends, dtype=np.int64)
                    a0 = start_alpha - (start_alpha - end_alpha) * min(1.0, done_raw / planned)
                    done_raw += raw
                    a1 = start_alpha - (start_alpha - end_alpha) * min(1.0, done_raw / planned)
                    job_no += 1
                    seed = (call_seed * 0x9E3779B97F4A7C15 + job_no) & 0xFFFFFFFFFFFFFFFF
                    while not stop.is_set():
                        try:
                            job_queue.put((arr, ends_arr, a0, a1, seed, raw, epoch), timeout=0.1)
                            return
                        except queue.Full:
                            continue

                for epoch in range(epochs):
                    # vocabulary indices of each sentence (out-of-vocabulary words dropped, as
                    # in word2vec), looked up in C; ends[i] = words in sentences 0..i
                    parts, ends, n_ids, raw = [], [], 0, 0
                    for number, sentence in enumerate(sentences, 1):
                        if stop.is_set():
                            return
                        _check_sentence(sentence, number)
                        try:
                            ids = lookup(sentence)
                        except TypeError as exc:
                            raise TypeError(f"sentence #{number}: {exc}") from None
                        parts.append(ids)
                        n_ids += len(ids)
                        ends.append(n_ids)
                        raw += len(sentence)
                        if n_ids >= batch_words:
                            emit(parts, ends, raw, epoch)
                            parts, ends, n_ids, raw = [], [], 0, 0
                    if parts:
                        emit(parts, ends, raw, epoch)
                    results.put(("epoch_end", epoch))
            except BaseException as exc:  # handed to the calling thread
                errors.append(exc)
                stop.set()
            finally:
                for _ in range(self.workers):
                    while True:
                        try:
                            job_queue.put(None, timeout=0.1)
                            break
                        except queue.Full:
                            if stop.is_set():
                                _drain(job_queue)

        def worker():
            try:
                while True:
                    job = job_queue.get()
                    if job is None:
                        break
                    if stop.is_set():
                        continue
                    arr, ends_arr, a0, a1, seed, raw, epoch = job
                    res = state.train_job(arr, ends_arr, a0, a1, seed)
                    results.put(("job", epoch, raw, len(arr), res))
            except BaseException as exc:
                errors.append(exc)
                stop.set()
            finally:
                results.put(("worker_done",))

        threads = [threading.Thread(target=producer, name="w2gm-producer", daemon=True)]
        threads += [threading.Thread(target=worker, name=f"w2gm-worker-{i}", daemon=True)
                    for i in range(self.workers)]
        start = time.perf_counter()
        for t in threads:
            t.start()

        ep_loss = [0.0] * epochs
        ep_samples = [0] * epochs
        ep_raw = [0] * epochs
        ep_ended = [False] * epochs
        done_raw = 0
        done_kept = 0
        workers_left = self.workers
        last_report = start
        failure = None
        try:
            while workers_left:
                msg = results.get()
                if msg[0] == "worker_done":
                    workers_left -= 1
                    continue
                if msg[0] == "epoch_end":
                    ep_ended[msg[1]] = True
                    continue
                _, epoch, raw, n_vocab_words, (loss_sum, n_samples, n_active, n_kept, n_bad) = msg
                ep_loss[epoch] += loss_sum
                ep_samples[epoch] += n_samples
                ep_raw[epoch] += raw
                done_raw += raw
                done_kept += n_kept
                if n_bad and failure is None:
                    failure = FloatingPointError(
                        f"training diverged: {n_bad} NaN/infinite losses in epoch {epoch + 1} "
                        f"of {epochs} after {done_raw} words (lr {start_alpha:g}->{end_alpha:g}); "
                        "the parameters are invalid, lower alpha or set var_bounds")
                    stop.set()
                now = time.perf_counter()
                if now - last_report >= report_delay:
                    last_report = now
                    frac = min(1.0, done_raw / planned)
                    lr = start_alpha - (start_alpha - end_alpha) * frac
                    mean = ep_loss[epoch] / max(1, ep_samples[epoch])
                    logger.info("EPOCH %d - PROGRESS: %.2f%% words, %.0f words/s, lr %.6f, "
                                "mean loss %.4f", epoch + 1, 100.0 * frac,
                                done_raw / (now - start), lr, mean)
        finally:
            # also on KeyboardInterrupt in this thread: workers finish their current job only
            stop.set()
            for t in threads:
                t.join()
        elapsed = time.perf_counter() - start
        self.train_seconds = elapsed
        if self.wv is not None:
            self.wv.clear_cache()
        if errors:
            raise errors[0]
        if failure is not None:
            raise failure
        if not self._params_finite():
            raise FloatingPointError(
                f"training produced NaN/infinite parameters after {done_raw} words; "
                "lower alpha or set var_bounds")
        losses = [ep_loss[e] / ep_samples[e] if ep_samples[e] else float("nan")
                  for e in range(epochs)]
        for e in range(epochs):
            if ep_raw[e] == 0:
                logger.warning("epoch %d saw no words: is the corpus restartable?", e + 1)
            elif ep_samples[e] == 0:
                logger.warning("epoch %d produced no training samples (no vocabulary word with a "
                               "context word); its mean loss is NaN", e + 1)
        self.training_loss.extend(losses)
        self.epochs_trained += epochs
        self.last_train_stats = {"seconds": elapsed, "raw_words": done_raw, "kept_words": done_kept,
                                 "words_per_second": done_raw / elapsed if elapsed > 0 else 0.0,
                                 "epoch_loss": losses}
        logger.info("training on %d raw words (%d effective) took %.1fs, %.0f words/s; "
                    "mean loss per epoch: %s", done_raw, done_kept, elapsed,
                    self.last_train_stats["words_per_second"],
                    ", ".join(f"{x:.4f}" for x in losses))
        return losses

    def _params_finite(self):
        arrays = list(self._params_in())
        if self.separate_output:
            arrays += list(self.params_out)
        # a float64 sum of float32 values cannot overflow, and is NaN or infinite exactly when
        # some value is; unlike np.isfinite(a).all() it allocates no (V, K, D) temporary
        return all(math.isfinite(np.sum(a, dtype=np.float64)) for a in arrays)

    # ------------------------------------------------------------------- queries
    def most_similar(self, word, component=None, topn=10, metric="max_cos"):
        """Nearest neighbours; see :meth:`KeyedGaussianMixtures.most_similar`."""
        return self.wv.most_similar(word, component=component, topn=topn, metric=metric)

    def similarity(self, w1, w2, metric="max_cos"):
        """Word similarity; see :meth:`KeyedGaussianMixtures.similarity`."""
        return self.wv.similarity(w1, w2, metric=metric)

    def evaluate_word_pairs(self, path, metric="max_cos", case_insensitive=True):
        """Correlation with human similarity ratings; see :func:`w2gm.evaluation.evaluate_word_pairs`."""
        return self.wv.evaluate_word_pairs(path, metric=metric, case_insensitive=case_insensitive)

    def __contains__(self, word):
        return self.wv is not None and word in self.wv

    # --------------------------------------------------------------- persistence
    def save(self, path):
        """Save everything needed to query and to continue training.

        The file is a NumPy ``.npz`` archive (readable with
        ``allow_pickle=False``): parameter arrays, output-side arrays, Adagrad
        accumulators, counts, and two JSON documents (vocabulary, settings and
        training state) stored as UTF-8 bytes.  It is written to a temporary
        file in the same directory and renamed over ``path``, so an existing
        file is never left half-written.

        Raises
        ------
        RuntimeError
            If the model has no vocabulary yet.
        FloatingPointError
            If a parameter is NaN or infinite (nothing is written).
        """
        if self.wv is None:
            raise RuntimeError("nothing to save: build_vocab() has not been called")
        if not self._params_finite():
            raise FloatingPointError("refusing to save a model with NaN/infinite parameters")
        arrays = {"counts": self.counts}
        for name, a in zip(PARAM_NAMES, self._params_in()):
            arrays[name] = a
        if self.separate_output:
            for name, a in zip(PARAM_NAMES, self.params_out):
                arrays[name + "_out"] = a
        if self.accumulators is not None:
            acc_in, acc_out = self.accumulators
            for name, a in zip(PARAM_NAMES, acc_in):
                arrays["adagrad_" + name] = a
            if acc_out is not None:
                for name, a in zip(PARAM_NAMES, acc_out):
                    arrays["adagrad_" + name + "_out"] = a
        meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "settings": self.settings(),
                "corpus_total_words": self.corpus_total_words, "corpus_count": self.corpus_count,
                "training_loss": self.training_loss, "epochs_trained": self.epochs_trained,
                "train_calls": self.train_calls}
        arrays["meta_json"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
        arrays["vocab_json"] = np.frombuffer(
            json.dumps(self.wv.index_to_key, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
        path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"cannot save to {path!r}: no such directory {directory!r}")
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=os.path.basename(path) + ".", suffix=".tmp")
        try:
            os.chmod(tmp, _file_mode(path))
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        logger.info("saved model to %s", path)

    @classmethod
    def load(cls, path):
        """Load a model written by :meth:`save`.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            If the file is truncated, not a w2gm model, or inconsistent.
        """
        path = os.fspath(path)
        if not os.path.exists(path):
            raise FileNotFoundError(f"no such model file: {path!r}")
        if os.path.isdir(path):
            raise ValueError(f"{path!r} is a directory, not a w2gm model file")
        try:
            loaded = np.load(path, allow_pickle=False)
            if not isinstance(loaded, np.lib.npyio.NpzFile):
                raise ValueError("not an .npz archive")
            with loaded as z:
                data = {k: z[k] for k in z.files}
            meta = json.loads(bytes(data.pop("meta_json")).decode("utf-8"))
            words = json.loads(bytes(data.pop("vocab_json")).decode("utf-8"))
        except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError, UnicodeDecodeError,
                TypeError) as exc:
            raise ValueError(f"{path!r} is not a readable w2gm model file "
                             f"(truncated or foreign: {type(exc).__name__}: {exc})") from None
        try:
            return cls._from_arrays(path, meta, words, data)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise ValueError(f"{path!r} is not a valid w2gm model file: {exc}") from None

    @classmethod
    def _from_arrays(cls, path, meta, words, data):
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ValueError("its vocabulary is not a list of strings")
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
            raise ValueError(f"{path!r} is not a w2gm model file (format {meta.get('format')!r})"
                             if isinstance(meta, dict) else f"{path!r} is not a w2gm model file")
        if meta.get("version") != FORMAT_VERSION:
            raise ValueError(f"{path!r} has model format version {meta.get('version')!r}; "
                             f"this w2gm reads version {FORMAT_VERSION}")
        try:
            settings = dict(meta["settings"])
            model = cls(**settings)
        except (TypeError, ValueError, KeyError) as exc:
            raise ValueError(f"{path!r} holds invalid settings: {exc}") from None
        V, K, D = len(words), model.num_mixtures, model.vector_size
        Dv = 1 if model.covariance == "spherical" else D
        expected = {"counts": ((V,), np.int64), "means": ((V, K, D), np.float32),
                    "log_variances": ((V, K, Dv), np.float32), "logits": ((V, K), np.float32)}
        if model.separate_output:
            for name in PARAM_NAMES:
                expected[name + "_out"] = expected[name]
        if model.optimizer == "adagrad":
            for name in PARAM_NAMES:
                expected["adagrad_" + name] = expected[name]
                if model.separate_output:
                    expected["adagrad_" + name + "_out"] = expected[name]
        for name, (shape, dtype) in expected.items():
            a = data.get(name)
            if a is None or a.shape != shape or a.dtype != dtype:
                got = None if a is None else (a.shape, str(a.dtype))
                raise ValueError(f"{path!r}: array {name!r} is {got}, expected {shape} {np.dtype(dtype)}")
        for name in expected:
            if name != "counts" and not np.isfinite(data[name]).all():
                raise ValueError(f"array {name!r} holds NaN or infinite values")
        if (data["counts"] < 1).any():
            raise ValueError("array 'counts' holds non-positive counts")
        losses = meta.get("training_loss", [])
        if not isinstance(losses, list) or not all(
                isinstance(x, (int, float)) or x is None for x in losses):
            raise ValueError("its training_loss is not a list of numbers")
        model.counts = data["counts"]
        model.corpus_total_words = int(meta.get("corpus_total_words", int(model.counts.sum())))
        model.corpus_count = int(meta.get("corpus_count", 0))
        model.training_loss = [float("nan") if x is None else float(x) for x in losses]
        model.epochs_trained = int(meta.get("epochs_trained", 0))
        model.train_calls = int(meta.get("train_calls", 0))
        c = np.ascontiguousarray
        model.wv = KeyedGaussianMixtures(words, c(data["means"]), c(data["log_variances"]),
                                         c(data["logits"]), counts=model.counts)
        if model.separate_output:
            model.params_out = tuple(c(data[n + "_out"]) for n in PARAM_NAMES)
        if model.optimizer == "adagrad":
            acc_in = tuple(c(data["adagrad_" + n]) for n in PARAM_NAMES)
            acc_out = (tuple(c(data["adagrad_" + n + "_out"]) for n in PARAM_NAMES)
                       if model.separate_output else None)
            model.accumulators = (acc_in, acc_out)
        return model

    def __repr__(self):
        V = len(self.wv) if self.wv is not None else 0
        return (f"Word2GM(vocab={V}, num_mixtures={self.num_mixtures}, "
                f"vector_size={self.vector_size}, covariance={self.covariance!r})")


def _file_mode(path):
    """Mode for a new file at ``path``: the existing file's, else 0o666 minus the umask."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _drain(q):
    try:
        while True:
            q.get_nowait()
    except queue.Empty:
        pass
