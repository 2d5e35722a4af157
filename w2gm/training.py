"""One call of :meth:`w2gm.Word2GM.train`: job producer, worker threads, progress collection.

Data flow (the same as gensim's ``Word2Vec.train``)::

    corpus --> [job producer thread] --jobs--> [worker threads x workers] --progress--> [calling thread]
                        ^                                                                   |
                        +--------------------------- epoch_starts -------------------------+

* :meth:`TrainingRun._job_producer` (thread ``w2gm-producer``) reads the
  corpus, looks each sentence up in the vocabulary table (in C), cuts the
  index arrays into :class:`Job` items of about ``batch_words`` vocabulary
  words and puts them on the ``jobs`` queue (bounded: ``queue_factor *
  workers`` items), followed by one ``None`` per worker after the last
  epoch.  It starts epoch ``e`` only once the calling thread has put ``e``
  on ``epoch_starts``, i.e. after every job of epoch ``e - 1`` has been
  trained and the ``on_epoch_end`` callbacks have run.  It gives each job
  its learning-rate range (see "Learning-rate schedule" below).
* :meth:`TrainingRun._worker_loop` (threads ``w2gm-worker-i``) takes jobs and
  trains each inside one ``nogil`` kernel call on the shared parameters
  (Hogwild), then reports a :class:`JobDone` on the ``progress`` queue.
* :meth:`TrainingRun._log_epoch_progress` (the calling thread) collects
  :class:`JobDone` and :class:`EpochProduced` items, logs progress about
  every ``report_delay`` seconds, ends epochs, runs the callbacks and
  detects divergence.

Callbacks.  Besides gensim's ``on_train_begin``, ``on_epoch_begin``,
``on_epoch_end`` and ``on_train_end``, a callback object may have an
``on_progress(model, progress)`` method (a w2gm extension of gensim's
protocol; gensim never calls it, and gensim's ``CallbackAny2Vec`` does not
define it).  It is called in the calling thread at every progress report,
i.e. where the ``EPOCH n - PROGRESS`` line is logged, about every
``report_delay`` seconds (after every finished job with ``report_delay=0``),
with a :class:`Progress`.  Its ``fraction`` is the learning-rate schedule's
progress of the call (below): it never decreases within a call and reaches
1.0 at the last job when the corpus has the expected size.  ``w2gm train``
draws its progress bar with it.  The kernel may train a spherical model on
packed rows (``KernelState``'s ``pack_rows``): they are loaded from the model's
arrays when an epoch starts (after ``on_epoch_begin``) and stored back when it
ends (before the held-out loss and ``on_epoch_end``), before ``on_progress``
callbacks (a snapshot while jobs run, at most once a second) and when the run
stops, so changes that an ``on_progress`` callback makes to log-variances or
logits are overwritten.

Learning-rate schedule.  The rate decays linearly from ``start_alpha`` to
``end_alpha`` over the call.  The progress of a point in epoch ``e``
(0-based) is ``(e + min(1, done / expected)) / epochs``, where ``done`` is
what epoch ``e`` has read so far and ``expected`` its expected size, both
counted in sentences when ``total_examples`` is given and in raw words
(corpus tokens, out-of-vocabulary ones included) otherwise, as in gensim.
Epoch 0 expects the given total; since the producer reads epoch ``e`` only
after epoch ``e - 1`` ended, every later epoch expects the size the
previous one really had (unless it was empty).  A corpus larger or smaller
than the totals thus still gets the whole schedule: an epoch longer than
expected holds its rate at the epoch's end value until it ends, and the
next epochs follow the real size.  An epoch whose size differs from a
given total is reported as gensim does (a ``logger.warning`` per epoch) and
by one ``RuntimeWarning`` per call.

Corpus file (``corpus_file`` mode, as gensim's).  The file (decompressed
once into a temporary file if compressed: :func:`w2gm.corpora.plain_corpus_file`)
is cut into ``workers`` byte ranges (:func:`w2gm._corpus_file.byte_ranges`),
each read by its own :class:`w2gm._corpus_file.CorpusFileRange`, which reads,
decodes, splits and looks up the words without the GIL.  The producer
(:meth:`TrainingRun._range_producer`) then queues one :class:`RangeTask`
per range and epoch instead of jobs, and each worker
(:meth:`TrainingRun._range_worker_loop`) reads its range job by job, gives
each job its learning rate from a counter of the words the epoch's workers
have claimed so far, trains it, reports a :class:`JobDone` per job and a
:class:`RangeRead` at the range's end.  An epoch ends once every range was
read and every job of it trained.  Progress always counts raw words: the
file's tokens and sentences are counted once, without the GIL, before
training (:func:`w2gm._corpus_file.count_corpus_file`), so the schedule is
right whatever totals were passed, and the totals check compares them with
LineSentence's counts.  When :meth:`w2gm.Word2GM.build_vocab` scanned the
same file and its fingerprint (:func:`w2gm.corpora.file_fingerprint`) has
not changed since, its counts are used instead of counting again.  An
epoch that reads another number of raw words than was counted (the file
changed) is reported once, and the later epochs' schedule uses the number
read (:meth:`TrainingRun._count_range`).  With ``workers=1`` the jobs,
rates and seeds are those of the iterable path over
``LineSentence(corpus_file)`` when that path counts raw words too
(``total_words`` or no totals), so the model is bit for bit the same.

Lifecycle.  Every blocking ``get``/``put`` of the threads waits at most
0.1 s before checking the ``stop`` event, so no thread can wait forever on a
queue.  Any exception in any thread (a corpus ``OSError``, a bad sentence, a
failing callback, ``KeyboardInterrupt`` in the calling thread at any moment,
divergence) sets ``stop``; :meth:`TrainingRun.run` then joins every thread it
started (a worker finishes its current job first, typically milliseconds)
and re-raises the original exception.  Ctrl-C arriving while the threads are
being started is held back until all of them run, so that none is left
half-started.
"""

import contextlib
import logging
import math
import os
import queue
import re
import signal
import threading
import time
import warnings
from typing import NamedTuple

import numpy as np

from w2gm._corpus_file import CorpusFileRange, byte_ranges, count_corpus_file
from w2gm.corpora import (
    MAX_SENTENCE_LENGTH,
    CorpusDecodingWarning,
    plain_corpus_file,
    sentence_tokens,
    token_list,
)
from w2gm.exceptions import TrainingDivergedError
from w2gm.heldout import TOKENS_PER_TRIPLE, describe_source, heldout_source, heldout_threshold, is_held_out

__all__ = ["Job", "JobDone", "EpochProduced", "RangeTask", "RangeRead", "TrainingRun", "TrainingStats",
           "Progress", "PROGRESS_MESSAGE", "THREAD_PREFIX"]

logger = logging.getLogger(__name__)
# warnings.warn stacklevel of the code that called Word2GM.train (_end_epoch <- _log_epoch_progress
# <- TrainingRun.run <- Word2GM.train <- caller)
_USER_FRAME = 5

#: Name prefix of every thread a training run starts.
THREAD_PREFIX = "w2gm-"
# seconds a thread blocks on a queue before it checks the stop event again
_POLL = 0.1
#: Least seconds between two copies of the kernel's packed rows into the model for ``on_progress``
#: callbacks (``w2gm train``'s bar reports every 0.25 s; a copy takes about 9 ms for 1M words)
PROGRESS_STORE_INTERVAL = 1.0
#: Format string of the progress log lines (``record.msg``), e.g. for a ``logging.Filter``
#: that drops them while a progress bar shows the same numbers.
PROGRESS_MESSAGE = "EPOCH %d - PROGRESS: at %.2f%% %s, %.0f words/s, lr %.6f, mean loss %.4f"


class Job(NamedTuple):
    """One item of the ``jobs`` queue: a batch of sentences for one kernel call.

    Attributes
    ----------
    epoch : int
        0-based epoch of this call of ``train``.
    words : numpy.ndarray
        ``(N,)`` int32 vocabulary indices of the job's sentences, concatenated
        (out-of-vocabulary words dropped).
    sentence_ends : numpy.ndarray
        ``(S,)`` int64 exclusive end offset of each sentence in ``words``.
    alpha_start, alpha_end : float
        Learning rate at the job's first and last word.
    seed : int
        Seed of the job's random numbers (64-bit).
    raw_words : int
        Corpus tokens of the job's sentences, out-of-vocabulary ones included.
    sentences : int
        Corpus sentences of the job (S).
    """

    epoch: int
    words: np.ndarray
    sentence_ends: np.ndarray
    alpha_start: float
    alpha_end: float
    seed: int
    raw_words: int
    sentences: int


class JobDone(NamedTuple):
    """Item of the ``progress`` queue: a worker finished a job.

    ``result`` is the kernel's ``(loss_sum, n_samples, n_active, n_kept,
    n_nonfinite)`` (see ``w2gm._train_inner.KernelState.train_job``).
    """

    epoch: int
    raw_words: int
    sentences: int
    result: tuple


class EpochProduced(NamedTuple):
    """Item of the ``progress`` queue: the producer queued every job of ``epoch``."""

    epoch: int
    jobs: int
    raw_words: int
    sentences: int


class RangeTask(NamedTuple):
    """Item of the ``jobs`` queue in ``corpus_file`` mode: read and train one byte range in ``epoch``.

    ``index`` picks the :class:`~w2gm._corpus_file.CorpusFileRange` of
    ``TrainingRun.readers``; each range is queued once per epoch, so no two
    workers read one range at the same time.
    """

    epoch: int
    index: int


class RangeRead(NamedTuple):
    """Item of the ``progress`` queue in ``corpus_file`` mode: a worker read a whole range.

    It follows the :class:`JobDone` items of the range's ``jobs`` jobs (the
    same thread put them first), so the epoch's job count is known once every
    range has reported.
    """

    epoch: int
    jobs: int


class Progress(NamedTuple):
    """What ``on_progress(model, progress)`` callbacks receive at each progress report (w2gm extension).

    Attributes
    ----------
    epoch : int
        0-based epoch of this call of ``train`` the report is about.
    epochs : int
        Epochs of this call.
    fraction : float
        Progress of the whole call in [0, 1]:
        ``(epoch + min(1, done / expected)) / epochs`` (module docstring,
        "Learning-rate schedule"); non-decreasing within a call.
    words_per_second : float
        Raw words (corpus tokens) trained per second of wall time, since the call started.
    alpha : float
        Learning rate at this point of the schedule.
    mean_loss : float
        Mean hinge loss per (w, c, c') sample of the epoch so far (0.0 before any sample).
    heldout_loss : float
        Held-out loss after the latest finished epoch of this call (NaN before the
        first, or with ``heldout_fraction=0``; :mod:`w2gm.heldout`).
    """

    epoch: int
    epochs: int
    fraction: float
    words_per_second: float
    alpha: float
    mean_loss: float
    heldout_loss: float = float("nan")


class _EpochTally:
    """Per-epoch accounting of the calling thread."""

    __slots__ = ("jobs_planned", "jobs_done", "loss_sum", "samples", "raw_words", "kept_words",
                 "sentences", "ranges_read", "range_jobs")

    def __init__(self):
        self.jobs_planned = None
        self.jobs_done = 0
        self.loss_sum = 0.0
        self.samples = 0
        self.raw_words = 0
        self.kept_words = 0
        self.sentences = 0
        self.ranges_read = 0
        self.range_jobs = 0

    @property
    def complete(self):
        return self.jobs_planned is not None and self.jobs_done == self.jobs_planned

    @property
    def mean_loss(self):
        return self.loss_sum / self.samples if self.samples else 0.0


class TrainingStats(NamedTuple):
    """What one training run did.

    Attributes
    ----------
    seconds : float
        Wall time of the run.
    raw_words, kept_words : int
        Corpus tokens read, and vocabulary words kept by subsampling, over all epochs.
    epoch_loss : list of float
        Mean hinge loss per (w, c, c') sample of each epoch (float64; 0.0 for
        an epoch without samples, which also warns).
    epoch_samples : list of int
        (w, c, c') samples of each epoch.
    sentences : int
        Corpus sentences read, over all epochs.
    epoch_heldout_loss : list of float
        Held-out loss after each epoch (empty with ``heldout_fraction=0``).
    """

    seconds: float
    raw_words: int
    kept_words: int
    epoch_loss: list
    epoch_samples: list
    sentences: int = 0
    epoch_heldout_loss: tuple = ()

    @property
    def words_per_second(self):
        return self.raw_words / self.seconds if self.seconds > 0 else 0.0


@contextlib.contextmanager
def _sigint_held(received):
    """Hold back Ctrl-C (SIGINT) inside the block, appending each one to ``received``.

    Only in the main thread and only while Python's default SIGINT handler is
    installed; otherwise the block runs unchanged (and Ctrl-C raises as usual).
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


class TrainingRun:
    """Threads and queues of one ``train`` call (see the module docstring).

    Parameters
    ----------
    model : w2gm.Word2GM
        Passed to the callbacks; its ``workers``, ``batch_words``, ``sample``
        and vocabulary table are used, and its ``running_training_loss`` is
        increased as jobs finish (when `compute_loss`).
    kernel : w2gm._train_inner.KernelState
        The kernel bound to the model's parameter arrays.
    epochs : int
    start_alpha, end_alpha : float
        The learning rate decays linearly between them over the call (module docstring).
    call_seed : int
        64-bit seed of this call; job ``n`` (1-based, counted over all
        epochs) gets ``(call_seed * 0x9E3779B97F4A7C15 + n) mod 2**64``.
    corpus : iterable of list of str, optional
        Restartable corpus (already checked).
    corpus_file : str or os.PathLike, optional
        A corpus file in :class:`w2gm.LineSentence` format, instead of `corpus`
        (exactly one of the two).
    total_examples, total_words : int, optional
        Sentences and raw words the caller expects per epoch (at least one).
        The schedule and progress count sentences when `total_examples` is
        given, raw words otherwise; an epoch of another size than a given
        total is reported (module docstring).
    report_delay : float
        Seconds between progress log lines.
    callbacks : sequence
        Objects with any of ``on_train_begin``, ``on_epoch_begin``,
        ``on_epoch_end``, ``on_train_end`` (called with the model in the
        calling thread, as gensim's ``CallbackAny2Vec``), and of the w2gm
        extension ``on_progress(model, progress)``, called with a
        :class:`Progress` at every progress report (module docstring).
    queue_factor : int
        The ``jobs`` queue holds at most ``queue_factor * workers`` jobs.
    compute_loss : bool
        Add each finished job's summed loss to ``model.running_training_loss``.
    known_file_counts : (int, int), optional
        ``(raw words, sentences)`` of `corpus_file` as LineSentence counts
        them, when the caller knows them (build_vocab scanned the unchanged
        file); the file is then not counted again.
    """

    def __init__(self, model, kernel, epochs, start_alpha, end_alpha, call_seed, corpus=None,
                 corpus_file=None, total_examples=None, total_words=None, report_delay=1.0,
                 callbacks=(), queue_factor=2, compute_loss=True, known_file_counts=None):
        if (corpus is None) == (corpus_file is None):
            raise ValueError("TrainingRun needs exactly one of corpus and corpus_file")
        if total_examples is None and total_words is None:
            raise ValueError("TrainingRun needs total_examples or total_words")
        self.model = model
        self.corpus = corpus
        self.corpus_file = corpus_file
        self.kernel = kernel
        self.epochs = epochs
        self.start_alpha = start_alpha
        self.end_alpha = end_alpha
        self.total_examples = total_examples
        self.total_words = total_words
        # progress unit: sentences when total_examples is given, raw words otherwise (gensim)
        self.by_examples = total_examples is not None
        self.epoch_size = total_examples if self.by_examples else total_words
        # expected size of each epoch, set by the producer when it starts the epoch
        self.expected_sizes = [None] * epochs
        self.call_seed = call_seed
        self.report_delay = report_delay
        self.callbacks = tuple(callbacks)
        self.compute_loss = compute_loss
        self.workers = model.workers
        self.jobs = queue.Queue(maxsize=queue_factor * self.workers)
        self.progress = queue.Queue()
        self.epoch_starts = queue.Queue()
        self.stop = threading.Event()
        self.errors = []
        self.threads = []
        self.tallies = [_EpochTally() for _ in range(epochs)]
        self.warned_totals = False
        # corpus_file mode (set up by run(), see the module docstring)
        self.readers = []
        self.file_counts = None      # (raw words, sentences) of the file, as LineSentence counts them
        self.known_file_counts = known_file_counts
        self.warned_file_size = False
        self.claim_lock = threading.Lock()
        self.claimed = 0             # units the workers of the current epoch have taken
        self.jobs_started = 0        # jobs of this call so far (numbers the job seeds)
        self.warned_utf8 = False
        # held-out objective (w2gm.heldout): sentences hashed below the threshold are never trained
        self.heldout_fraction = model.heldout_fraction
        self.heldout_threshold = heldout_threshold(model.heldout_fraction) if model.heldout_fraction else 0
        # collect the held-out sentences in epoch 0 (and draw a new sample from them) when the model
        # has no sample yet, or one drawn from another split (w2gm.heldout.heldout_source)
        self.heldout_source = None
        self.heldout_collect = False
        if self.heldout_threshold:
            self.heldout_source = heldout_source(model.heldout_fraction, model.seed, corpus_file)
            old = model.heldout_sample
            self.heldout_collect = old is None or old.source != self.heldout_source
            if old is not None and self.heldout_collect:
                logger.info("the held-out sample was drawn from another split (%s); drawing a new one "
                            "from this call's (%s)", describe_source(old.source),
                            describe_source(self.heldout_source))
        self.heldout_parts = []      # int32 ids of each held-out sentence (iterable mode, epoch 0)
        # ... collected until they hold this many words (w2gm.heldout.TOKENS_PER_TRIPLE)
        self.heldout_cap = TOKENS_PER_TRIPLE * model.heldout_triples
        self.heldout_held = 0
        self.heldout_counts = (0, 0)  # (raw words, sentences) of the held-out tail (corpus_file)
        # the kernel's packed rows were loaded for an epoch and not yet stored (KernelState.load_packed)
        self.rows_loaded = False
        self.last_progress_store = -math.inf  # perf_counter of the last store for on_progress
        self.heldout_losses = []

    # ------------------------------------------------------------ orchestration
    def run(self):
        """Train all epochs; return :class:`TrainingStats`.

        Calls ``on_train_begin`` and the epoch callbacks; the caller calls
        ``on_train_end`` (:meth:`call_back`) once it has recorded the run.

        Raises
        ------
        TrainingDivergedError
            If a loss became NaN or infinite (the message gives the epoch and
            words done).
        Exception
            The first exception of any thread or callback, re-raised after
            every thread has stopped.
        """
        with self._corpus_file_readers():
            start = time.perf_counter()
            finished = False
            try:
                self.call_back("on_train_begin")
                self._start_threads()
                self._log_epoch_progress(start)
                finished = not self.errors
            finally:
                self._stop_threads(finished)
        if self.errors:
            raise self.errors[0]
        seconds = time.perf_counter() - start
        return TrainingStats(seconds, sum(t.raw_words for t in self.tallies),
                             sum(t.kept_words for t in self.tallies),
                             [t.mean_loss for t in self.tallies], [t.samples for t in self.tallies],
                             sum(t.sentences for t in self.tallies), list(self.heldout_losses))

    @contextlib.contextmanager
    def _corpus_file_readers(self):
        """In ``corpus_file`` mode: a plain copy of the file, its counts and one reader per range.

        The file is counted once (its tokens and sentences as
        :class:`~w2gm.corpora.LineSentence` reads them; not again when the
        caller passed `known_file_counts`) and cut into
        ``workers`` byte ranges; progress then counts raw words with the
        file's own size per epoch.  The readers are closed, and a temporary
        decompressed copy removed, when the block ends.  Iterable mode: nothing.
        """
        if self.corpus_file is None:
            yield
            return
        with plain_corpus_file(self.corpus_file) as path:
            size = split = os.path.getsize(path)
            if self.known_file_counts is not None:
                raw, sentences = self.known_file_counts
            else:
                raw, sentences = count_corpus_file(path, MAX_SENTENCE_LENGTH)
            if self.heldout_threshold:
                # the held-out tail: from the first token start at or after (1 - fraction) of the bytes
                split = _token_start(path, size - int(size * self.heldout_fraction))
                self.heldout_counts = count_corpus_file(path, MAX_SENTENCE_LENGTH, split, size)
                raw -= self.heldout_counts[0]
                sentences -= self.heldout_counts[1]
                if self.heldout_collect:
                    self._read_heldout_tail(path, split, size)
            self.file_counts = (raw, sentences)
            self.by_examples = False
            self.epoch_size = max(raw, 1)
            table = self.model.wv.vocabulary_table
            try:
                for start, end in byte_ranges(split, self.workers):
                    self.readers.append(CorpusFileRange(path, table, start, end, self.model.batch_words,
                                                        MAX_SENTENCE_LENGTH))
                yield
            finally:
                for reader in self.readers:
                    reader.close()

    def _read_heldout_tail(self, path, start, end):
        """``corpus_file`` mode: read the held-out bytes ``[start, end)`` into ``heldout_parts``."""
        reader = CorpusFileRange(path, self.model.wv.vocabulary_table, start, end, self.model.batch_words,
                                 MAX_SENTENCE_LENGTH)
        try:
            while self.heldout_held < self.heldout_cap and (batch := reader.next_job()) is not None:
                words, ends = batch[0], batch[1]
                for part in np.split(words, ends[:-1]):
                    if self.heldout_held >= self.heldout_cap:
                        break
                    self.heldout_parts.append(part)
                    self.heldout_held += len(part)
        finally:
            reader.close()

    def _guarded(self, body):
        """Thread body that hands any exception to the calling thread and stops the run."""
        def target():
            try:
                body()
            except BaseException as exc:  # re-raised by run() in the calling thread
                self.errors.append(exc)
                self.stop.set()
        return target

    def _thread_bodies(self):
        """``(name, body)`` of every thread of the run: one producer and ``workers`` workers.

        Iterable mode: :meth:`_job_producer` and :meth:`_worker_loop`;
        ``corpus_file`` mode: :meth:`_range_producer` and
        :meth:`_range_worker_loop` (module docstring).
        """
        if self.corpus_file is not None:
            bodies = [("producer", self._range_producer)]
            bodies += [(f"worker-{i}", self._range_worker_loop) for i in range(self.workers)]
        else:
            bodies = [("producer", self._job_producer)]
            bodies += [(f"worker-{i}", self._worker_loop) for i in range(self.workers)]
        return bodies

    def _start_threads(self):
        received = []
        with _sigint_held(received):
            for name, body in self._thread_bodies():
                thread = threading.Thread(target=self._guarded(body), name=THREAD_PREFIX + name,
                                          daemon=True)
                self.threads.append(thread)
                thread.start()
        if received:
            raise KeyboardInterrupt

    def _stop_threads(self, finished):
        """Join every started thread; Ctrl-C meanwhile is held back, then reported.

        After a finished run the threads end on the ``None`` items the
        producer queued; otherwise ``stop`` is set first.  A Ctrl-C during the
        joins sets ``stop`` too and becomes the run's exception unless it
        already has one.  Then the packed rows of an epoch cut short are
        stored (an epoch that ended was stored then, and callbacks may have
        changed the arrays since).
        """
        received = []
        with _sigint_held(received):
            if not finished:
                self.stop.set()
            for thread in self.threads:
                while thread.is_alive():
                    try:
                        thread.join(timeout=_POLL)
                    except KeyboardInterrupt:  # not held back: the user installed a SIGINT handler
                        received.append(signal.SIGINT)
                    if received:
                        self.stop.set()
            if self.rows_loaded:  # an epoch cut short: its packed rows' updates are kept
                self.kernel.store_packed()
                self.rows_loaded = False
        if received and not self.errors:
            self.errors.append(KeyboardInterrupt())

    def call_back(self, hook):
        """Call ``hook`` (e.g. ``"on_train_end"``) of every callback that has it, with the model."""
        for callback in self.callbacks:
            method = getattr(callback, hook, None)
            if method is not None:
                method(self.model)

    def _put(self, q, item):
        """Put ``item`` on ``q`` unless the run stops first; return whether it was put."""
        while not self.stop.is_set():
            try:
                q.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def _get(self, q):
        """Next item of ``q``, or raise ``queue.Empty`` once the run stops."""
        while True:
            try:
                return q.get(timeout=_POLL)
            except queue.Empty:
                if self.stop.is_set():
                    raise

    # ----------------------------------------------------------------- producer
    def _job_producer(self):
        """Thread body: queue the :class:`Job` items of every epoch, then one ``None`` per worker.

        Epoch ``e`` starts when ``e`` arrives on ``epoch_starts``; after its
        last job an :class:`EpochProduced` goes on ``progress``.  Each job gets
        the learning rate at its first and last sentence (module docstring);
        epoch ``e + 1`` expects the size epoch ``e`` really had.
        """
        expected = self.epoch_size
        job_number = 0
        for epoch in range(self.epochs):
            try:
                self._get(self.epoch_starts)
            except queue.Empty:
                return
            self.expected_sizes[epoch] = expected
            done = jobs = raw_total = sentences_total = 0
            for words, ends, raw, sentences in self._epoch_batches(self.heldout_collect and epoch == 0):
                alpha_start = self._alpha_at(epoch, done, expected)
                done += sentences if self.by_examples else raw
                job_number += 1
                seed = (self.call_seed * 0x9E3779B97F4A7C15 + job_number) & 0xFFFFFFFFFFFFFFFF
                job = Job(epoch, words, ends, alpha_start, self._alpha_at(epoch, done, expected), seed,
                          raw, sentences)
                if not self._put(self.jobs, job):
                    return
                jobs += 1
                raw_total += raw
                sentences_total += sentences
            self.progress.put(EpochProduced(epoch, jobs, raw_total, sentences_total))
            real = sentences_total if self.by_examples else raw_total
            if real > 0:  # an empty pass (warned about at its end) keeps the expectation
                expected = real
        for _ in range(self.workers):
            if not self._put(self.jobs, None):
                return

    def _alpha_at(self, epoch, done, expected):
        """Learning rate at ``done`` units into ``epoch``, which is expected to hold ``expected``.

        ``progress = (epoch + min(1, done / expected)) / epochs``, computed as
        one division of integers so that a corpus of exactly the expected
        size gets bit for bit the rates of the former whole-call schedule
        (``words done / (total_words * epochs)``).
        """
        fraction = (epoch * expected + min(done, expected)) / (float(expected) * self.epochs)
        return self.start_alpha - (self.start_alpha - self.end_alpha) * min(1.0, fraction)

    def _epoch_batches(self, collect=False):
        """Yield ``(words int32 (N,), sentence_ends int64 (S,), raw_words, sentences)`` batches.

        A batch holds about ``batch_words`` vocabulary words: it closes after
        the sentence that brings it to ``batch_words`` or more.  Sentences are
        looked up in C (out-of-vocabulary words dropped, as in word2vec).
        Without held-out sentences a whole batch is read and looked up in one
        C call (:meth:`~w2gm._vocab.WordTable.lookup_batch`: no Python
        bytecode per sentence); with them, :meth:`_batches_with_heldout`
        decides sentence by sentence.  With no sentence held out, both make
        the same batches (``tests/test_training.py``).
        """
        if self.heldout_threshold:
            yield from self._batches_with_heldout(collect)
            return
        lookup_batch = self.model.wv.vocabulary_table.lookup_batch
        batch_words = self.model.batch_words
        sentences = iter(self.corpus)
        number = 0
        while not self.stop.is_set():
            words, ends, raw, exhausted = lookup_batch(sentences, batch_words, number, token_list, self.stop)
            if self.stop.is_set():
                return
            if len(ends):
                number += len(ends)
                yield words, ends, raw, len(ends)
            if exhausted:
                return

    def _batches_with_heldout(self, collect):
        """:meth:`_epoch_batches` of a run with held-out sentences, one sentence at a time.

        Held-out sentences (``heldout_fraction``, :func:`w2gm.heldout.is_held_out`)
        are left out of ``words`` but counted in ``raw_words`` and ``sentences``,
        so that the schedule and the totals see the whole corpus; with `collect`
        their indices are appended to ``heldout_parts`` until those hold
        ``heldout_cap`` words.
        """
        lookup = self.model.wv.vocabulary_table.lookup
        batch_words = self.model.batch_words
        threshold, seed = self.heldout_threshold, self.model.seed
        parts, ends, n_ids, raw, skipped = [], [], 0, 0, 0
        for number, sentence in enumerate(self.corpus, 1):
            if self.stop.is_set():
                return
            if type(sentence) is not list and type(sentence) is not tuple:
                sentence = token_list(sentence, number)   # len() below, as lookup_batch does
            if is_held_out(number - 1, seed, threshold):
                if collect and self.heldout_held < self.heldout_cap:
                    self.heldout_parts.append(sentence_tokens(lookup, sentence, number))
                    self.heldout_held += len(self.heldout_parts[-1])
                raw += len(sentence)
                skipped += 1
                continue
            ids = sentence_tokens(lookup, sentence, number)
            parts.append(ids)
            n_ids += len(ids)
            ends.append(n_ids)
            raw += len(sentence)
            if n_ids >= batch_words:
                yield _concatenate(parts), np.asarray(ends, dtype=np.int64), raw, len(ends) + skipped
                parts, ends, n_ids, raw, skipped = [], [], 0, 0, 0
        if parts or skipped:
            words = _concatenate(parts) if parts else np.empty(0, dtype=np.int32)
            yield words, np.asarray(ends, dtype=np.int64), raw, len(ends) + skipped

    # ------------------------------------------------------------------ workers
    def _worker_loop(self):
        """Thread body: train :class:`Job` items until a ``None`` arrives or the run stops.

        Each finished job is reported as a :class:`JobDone` on ``progress``.
        """
        while True:
            try:
                job = self._get(self.jobs)
            except queue.Empty:
                return
            if job is None or self.stop.is_set():
                return
            result = self.kernel.train_job(job.words, job.sentence_ends, job.alpha_start,
                                           job.alpha_end, job.seed)
            self.progress.put(JobDone(job.epoch, job.raw_words, job.sentences, result))

    # ---------------------------------------------------- corpus_file mode
    def _range_producer(self):
        """Thread body (``corpus_file`` mode): queue one :class:`RangeTask` per range and epoch.

        Epoch ``e`` starts when ``e`` arrives on ``epoch_starts`` (the previous
        epoch is then complete, so the claimed-units counter can be reset);
        after the last epoch one ``None`` per worker follows.
        """
        for epoch in range(self.epochs):
            try:
                self._get(self.epoch_starts)
            except queue.Empty:
                return
            self.expected_sizes[epoch] = self.epoch_size
            with self.claim_lock:
                self.claimed = 0
            for index in range(len(self.readers)):
                if not self._put(self.jobs, RangeTask(epoch, index)):
                    return
        for _ in range(self.workers):
            if not self._put(self.jobs, None):
                return

    def _claim(self, raw_words):
        """Reserve ``raw_words`` of the epoch's schedule; return ``(units before, job number)``."""
        with self.claim_lock:
            done = self.claimed
            self.claimed += raw_words
            self.jobs_started += 1
            return done, self.jobs_started

    def _range_worker_loop(self):
        """Thread body (``corpus_file`` mode): read and train :class:`RangeTask` items until ``None``.

        The range's reader produces the jobs without the GIL
        (:meth:`~w2gm._corpus_file.CorpusFileRange.next_job`); each job's
        learning rate runs from the epoch's claimed raw words before it to
        those after it, and its seed follows its number in the call, as in
        :meth:`_job_producer`.  Each trained job is reported as a
        :class:`JobDone`, the end of the range as a :class:`RangeRead`.
        """
        while True:
            try:
                task = self._get(self.jobs)
            except queue.Empty:
                return
            if task is None or self.stop.is_set():
                return
            reader = self.readers[task.index]
            reader.rewind()
            expected = self.expected_sizes[task.epoch]
            jobs = 0
            while not self.stop.is_set():
                batch = reader.next_job()
                if batch is None:
                    break
                words, ends, raw, sentences = batch
                done, number = self._claim(raw)
                seed = (self.call_seed * 0x9E3779B97F4A7C15 + number) & 0xFFFFFFFFFFFFFFFF
                result = self.kernel.train_job(words, ends, self._alpha_at(task.epoch, done, expected),
                                               self._alpha_at(task.epoch, done + raw, expected), seed)
                self.progress.put(JobDone(task.epoch, raw, sentences, result))
                jobs += 1
            else:  # stopped inside the range: run() is ending
                return
            self.progress.put(RangeRead(task.epoch, jobs))

    def _count_range(self, item):
        """Calling thread: a range of the epoch was read; once all were, the epoch's jobs are known.

        The epoch's sentence count then becomes the file's as LineSentence
        counts it (a line split between two ranges was read as two sentences);
        if the epoch read another number of raw words than was counted, the
        file changed: that is logged once, and the later epochs expect the
        number read.
        """
        tally = self.tallies[item.epoch]
        tally.ranges_read += 1
        tally.range_jobs += item.jobs
        if tally.ranges_read == len(self.readers):
            tally.jobs_planned = tally.range_jobs
            if tally.raw_words == self.file_counts[0]:
                tally.sentences = self.file_counts[1]
            elif not self.warned_file_size:
                # the file changed since it was counted: the later epochs take the size read
                self.warned_file_size = True
                logger.warning("corpus file %r changed since it was counted: epoch %d read %d raw words, "
                               "not %d%s; the later epochs' schedule uses the words read",
                               str(self.corpus_file), item.epoch + 1, tally.raw_words, self.file_counts[0],
                               " (the count of build_vocab)" if self.known_file_counts else "")
                self.epoch_size = max(tally.raw_words, 1)

    def _warn_invalid_utf8(self):
        """Once per call (``corpus_file`` mode): the file held bytes that are not UTF-8."""
        if self.warned_utf8 or not self.readers:
            return
        invalid = sum(reader.invalid_utf8 for reader in self.readers)
        if invalid:
            self.warned_utf8 = True
            first = min(r.first_invalid_utf8 for r in self.readers if r.first_invalid_utf8 >= 0)
            warnings.warn(CorpusDecodingWarning(
                f"corpus file {str(self.corpus_file)!r}: {invalid} invalid UTF-8 sequences (the first "
                f"at byte {first} of the decompressed file) were read as U+FFFD"),
                stacklevel=_USER_FRAME + 1)

    # ----------------------------------------------------------------- progress
    def _log_epoch_progress(self, start):
        """Calling thread: collect progress until every epoch is done, or the run stops.

        Ends each epoch once all its jobs are done (logging it and calling
        ``on_epoch_end``), then starts the next (``on_epoch_begin``, then its
        number on ``epoch_starts``).
        """
        epoch = 0
        self._begin_epoch(epoch)
        last_report = start
        while epoch < self.epochs:
            try:
                item = self._get(self.progress)
            except queue.Empty:
                return  # stopped by another thread; run() re-raises its exception
            if isinstance(item, EpochProduced):
                self.tallies[item.epoch].jobs_planned = item.jobs
            elif isinstance(item, RangeRead):
                self._count_range(item)
            else:
                self._count_job(item)
                now = time.perf_counter()
                if now - last_report >= self.report_delay:
                    last_report = now
                    self._log_progress(item.epoch, now - start)
            while epoch < self.epochs and self.tallies[epoch].complete:
                self._end_epoch(epoch)
                epoch += 1
                if epoch < self.epochs:
                    self._begin_epoch(epoch)

    def _begin_epoch(self, epoch):
        self.model.wv.clear_cache()
        self.call_back("on_epoch_begin")
        # no job runs until the epoch starts: the packed rows take the arrays as the callbacks left them
        self.kernel.load_packed()
        self.rows_loaded = True
        self.epoch_starts.put(epoch)

    def _count_job(self, done):
        loss_sum, n_samples, _, n_kept, n_nonfinite = done.result
        tally = self.tallies[done.epoch]
        tally.jobs_done += 1
        tally.loss_sum += loss_sum
        tally.samples += n_samples
        tally.raw_words += done.raw_words
        tally.sentences += done.sentences
        tally.kept_words += n_kept
        if self.compute_loss:
            # a Python float (float64) summed in the calling thread: no float32 saturation
            # (gensim issue #2735), and on_epoch_end sees the loss of every job of its epoch
            self.model.running_training_loss += loss_sum
        if n_nonfinite:
            raise TrainingDivergedError(
                f"training diverged: {n_nonfinite} NaN/infinite losses in epoch {done.epoch + 1} "
                f"of {self.epochs} after {self._words_done()} words (lr {self.start_alpha:g}->"
                f"{self.end_alpha:g}); the parameters are invalid, lower alpha or set var_bounds")

    def _words_done(self):
        return sum(t.raw_words for t in self.tallies)

    def _log_progress(self, epoch, elapsed):
        """Log a progress line of ``epoch``; call the ``on_progress`` callbacks with a :class:`Progress`."""
        tally = self.tallies[epoch]
        done = tally.sentences if self.by_examples else tally.raw_words
        expected = self.expected_sizes[epoch] or self.epoch_size
        of_epoch = min(1.0, done / expected)
        words_per_second = self._words_done() / elapsed if elapsed > 0 else 0.0
        alpha = self._alpha_at(epoch, done, expected)
        logger.info(PROGRESS_MESSAGE, epoch + 1, 100.0 * of_epoch,
                    "examples" if self.by_examples else "words", words_per_second, alpha, tally.mean_loss)
        progress = Progress(epoch, self.epochs, (epoch + of_epoch) / self.epochs, words_per_second, alpha,
                            tally.mean_loss,
                            self.heldout_losses[-1] if self.heldout_losses else float("nan"))
        now = time.perf_counter()
        if (any(hasattr(callback, "on_progress") for callback in self.callbacks)
                and now - self.last_progress_store >= PROGRESS_STORE_INTERVAL):
            self.kernel.store_packed()  # jobs run meanwhile: a Hogwild reader's snapshot
            self.last_progress_store = now
        for callback in self.callbacks:
            method = getattr(callback, "on_progress", None)
            if method is not None:
                method(self.model, progress)

    def _end_epoch(self, epoch):
        # every job of the epoch is done: the arrays take the packed rows' updates before the
        # held-out loss, the totals check and the callbacks read them (and may change them)
        self.kernel.store_packed()
        self.rows_loaded = False
        tally = self.tallies[epoch]
        if tally.raw_words == 0:
            warnings.warn(f"epoch {epoch + 1} saw no words: is the corpus restartable?",
                          RuntimeWarning, stacklevel=_USER_FRAME)
        elif tally.samples == 0:
            warnings.warn(
                f"epoch {epoch + 1} trained on 0 samples: after subsampling (sample="
                f"{self.model.sample!r}) and min_count no sentence kept two vocabulary words; "
                "its loss is reported as 0.0. Lower `sample` (0 disables it) for a small corpus.",
                RuntimeWarning, stacklevel=_USER_FRAME)
        # corpus_file mode: the held-out tail counts as read, as held-out sentences of an iterable do
        # (in the EPOCH line, the totals check, TrainingStats and words/s; iterable mode adds (0, 0))
        tally.raw_words += self.heldout_counts[0]
        tally.sentences += self.heldout_counts[1]
        if self.heldout_threshold:
            heldout = self._heldout_loss(epoch)
            logger.info("EPOCH %d done: %d raw words, %d kept, mean loss %.4f, held-out loss %.4f "
                        "(%d triples)", epoch + 1, tally.raw_words, tally.kept_words, tally.mean_loss,
                        heldout, len(self.model.heldout_sample))
        elif tally.samples:
            logger.info("EPOCH %d done: %d raw words, %d kept, mean loss %.4f", epoch + 1,
                        tally.raw_words, tally.kept_words, tally.mean_loss)
        self._check_totals(epoch, tally)
        self._warn_invalid_utf8()
        # the epoch's updates are complete: queries of the callbacks (wv.vectors, most_similar)
        # must not see the point vectors and unit means cached before them
        self.model.wv.clear_cache()
        self.call_back("on_epoch_end")

    def _heldout_loss(self, epoch):
        """Calling thread, at the end of ``epoch``: the held-out loss (drawing the sample first if needed)."""
        if self.heldout_collect and epoch == 0:
            parts = self.heldout_parts
            words = _concatenate(parts) if parts else np.empty(0, dtype=np.int32)
            ends = np.cumsum([len(p) for p in parts], dtype=np.int64)
            self.heldout_parts = []
            self.model._draw_heldout_sample(words, ends, self.heldout_source)
        loss = self.model.heldout_loss()
        self.heldout_losses.append(loss)
        return loss

    def _check_totals(self, epoch, tally):
        """Report an epoch whose size differs from a given total: a log line per total, one warning a call.

        The schedule copes (the next epochs expect the real size, module
        docstring), but the progress and rates of this epoch were computed
        for the wrong size, so the caller should pass the right totals.
        """
        found = []
        raw_words, sentences = tally.raw_words, tally.sentences
        if self.total_examples is not None and sentences != self.total_examples:
            logger.warning("EPOCH %d: supplied example count (%d) did not equal expected count (%d)",
                           epoch + 1, sentences, self.total_examples)
            found.append(f"{sentences} sentences, not total_examples={self.total_examples}")
        if self.total_words is not None and raw_words != self.total_words:
            logger.warning("EPOCH %d: supplied raw word count (%d) did not equal expected count (%d)",
                           epoch + 1, raw_words, self.total_words)
            found.append(f"{raw_words} raw words, not total_words={self.total_words}")
        if found and not self.warned_totals:
            self.warned_totals = True
            warnings.warn(
                f"epoch {epoch + 1} of the corpus had {' and '.join(found)} (the default totals are "
                "those of the corpus build_vocab scanned); later epochs of this call follow the real "
                "size, but pass total_examples / total_words of the corpus you train on to get the "
                "learning-rate schedule and progress right from the start",
                RuntimeWarning, stacklevel=_USER_FRAME + 1)


_WHITESPACE = re.compile(rb"[ \t\n\r\x0b\x0c]")


def _token_start(path, position):
    """The first byte at or after ``position`` that follows an ASCII whitespace byte (else the size).

    Cutting a file there splits it between two tokens, never inside one (a
    line so cut is read as two sentences, as between two byte ranges).
    """
    if position <= 0:
        return 0
    with open(path, "rb") as handle:
        handle.seek(position - 1)
        offset = position - 1
        while chunk := handle.read(1 << 16):
            found = _WHITESPACE.search(chunk)
            if found:
                return offset + found.start() + 1
            offset += len(chunk)
    return offset


def _concatenate(parts):
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
