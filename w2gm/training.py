"""One call of :meth:`w2gm.Word2GM.train`: job producer, worker threads, progress collection.

Data flow (the same as gensim's ``Word2Vec.train``)::

    corpus --> [job producer thread] --jobs--> [worker threads x workers] --progress--> [calling thread]
                        ^                                                                   |
                        +--------------------------- epoch_starts -------------------------+

* :meth:`TrainingRun._job_producer` (thread ``w2gm-producer``) reads the
  corpus, looks each sentence up in the vocabulary table (in C), cuts the
  index arrays into :class:`Job` items of about ``batch_words`` vocabulary
  words and puts them on the ``jobs`` queue (bounded: ``2 * workers``
  items), followed by one ``None`` per worker after the last epoch.  It
  starts epoch ``e`` only once the calling thread has put ``e`` on
  ``epoch_starts``, i.e. after every job of epoch ``e - 1`` has been trained
  and the ``on_epoch_end`` callbacks have run.
* :meth:`TrainingRun._worker_loop` (threads ``w2gm-worker-i``) takes jobs and
  trains each inside one ``nogil`` kernel call on the shared parameters
  (Hogwild), then reports a :class:`JobDone` on the ``progress`` queue.
* :meth:`TrainingRun._log_epoch_progress` (the calling thread) collects
  :class:`JobDone` and :class:`EpochProduced` items, logs progress about
  every ``report_delay`` seconds, ends epochs, runs the callbacks and
  detects divergence.

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
import queue
import signal
import threading
import time
import warnings
from typing import NamedTuple

import numpy as np

from w2gm.corpora import sentence_tokens
from w2gm.exceptions import TrainingDivergedError

__all__ = ["Job", "JobDone", "EpochProduced", "TrainingRun", "TrainingStats", "THREAD_PREFIX"]

logger = logging.getLogger(__name__)
# warnings.warn stacklevel of the code that called Word2GM.train (_end_epoch <- _log_epoch_progress
# <- TrainingRun.run <- Word2GM.train <- caller)
_USER_FRAME = 5

#: Name prefix of every thread a training run starts.
THREAD_PREFIX = "w2gm-"
# seconds a thread blocks on a queue before it checks the stop event again
_POLL = 0.1


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
    """

    epoch: int
    words: np.ndarray
    sentence_ends: np.ndarray
    alpha_start: float
    alpha_end: float
    seed: int
    raw_words: int


class JobDone(NamedTuple):
    """Item of the ``progress`` queue: a worker finished a job.

    ``result`` is the kernel's ``(loss_sum, n_samples, n_active, n_kept,
    n_nonfinite)`` (see ``w2gm._train_inner.KernelState.train_job``).
    """

    epoch: int
    raw_words: int
    result: tuple


class EpochProduced(NamedTuple):
    """Item of the ``progress`` queue: the producer queued every job of ``epoch``."""

    epoch: int
    jobs: int
    raw_words: int


class _EpochTally:
    """Per-epoch accounting of the calling thread."""

    __slots__ = ("jobs_planned", "jobs_done", "loss_sum", "samples", "raw_words", "kept_words")

    def __init__(self):
        self.jobs_planned = None
        self.jobs_done = 0
        self.loss_sum = 0.0
        self.samples = 0
        self.raw_words = 0
        self.kept_words = 0

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
    """

    seconds: float
    raw_words: int
    kept_words: int
    epoch_loss: list
    epoch_samples: list

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
        Passed to the callbacks; its ``workers``, ``batch_words`` and
        vocabulary table are used.
    corpus : iterable of list of str
        Restartable corpus (already checked).
    kernel : w2gm._train_inner.KernelState
        The kernel bound to the model's parameter arrays.
    epochs : int
    total_words : int
        Corpus tokens per epoch, for the learning-rate schedule and progress.
    start_alpha, end_alpha : float
        Learning rate decays linearly between them over ``epochs * total_words`` tokens.
    call_seed : int
        64-bit seed of this call; job ``n`` (1-based, counted over all
        epochs) gets ``(call_seed * 0x9E3779B97F4A7C15 + n) mod 2**64``.
    report_delay : float
        Seconds between progress log lines.
    callbacks : sequence
        Objects with any of ``on_train_begin``, ``on_epoch_begin``,
        ``on_epoch_end``, ``on_train_end`` (called with the model in the
        calling thread, as gensim's ``CallbackAny2Vec``).
    """

    def __init__(self, model, corpus, kernel, epochs, total_words, start_alpha, end_alpha, call_seed,
                 report_delay=1.0, callbacks=()):
        self.model = model
        self.corpus = corpus
        self.kernel = kernel
        self.epochs = epochs
        self.start_alpha = start_alpha
        self.end_alpha = end_alpha
        self.planned_words = float(total_words) * epochs
        self.call_seed = call_seed
        self.report_delay = report_delay
        self.callbacks = tuple(callbacks)
        self.workers = model.workers
        self.jobs = queue.Queue(maxsize=2 * self.workers)
        self.progress = queue.Queue()
        self.epoch_starts = queue.Queue()
        self.stop = threading.Event()
        self.errors = []
        self.threads = []
        self.tallies = [_EpochTally() for _ in range(epochs)]

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
                             [t.mean_loss for t in self.tallies], [t.samples for t in self.tallies])

    def _guarded(self, body):
        """Thread body that hands any exception to the calling thread and stops the run."""
        def target():
            try:
                body()
            except BaseException as exc:  # re-raised by run() in the calling thread
                self.errors.append(exc)
                self.stop.set()
        return target

    def _start_threads(self):
        bodies = [("producer", self._job_producer)]
        bodies += [(f"worker-{i}", self._worker_loop) for i in range(self.workers)]
        received = []
        with _sigint_held(received):
            for name, body in bodies:
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
        already has one.
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
        last job an :class:`EpochProduced` goes on ``progress``.
        """
        done_words = 0
        job_number = 0
        for epoch in range(self.epochs):
            try:
                self._get(self.epoch_starts)
            except queue.Empty:
                return
            jobs = raw_total = 0
            for words, ends, raw in self._epoch_batches():
                alpha_start = self._alpha_at(done_words)
                done_words += raw
                job_number += 1
                seed = (self.call_seed * 0x9E3779B97F4A7C15 + job_number) & 0xFFFFFFFFFFFFFFFF
                job = Job(epoch, words, ends, alpha_start, self._alpha_at(done_words), seed, raw)
                if not self._put(self.jobs, job):
                    return
                jobs += 1
                raw_total += raw
            self.progress.put(EpochProduced(epoch, jobs, raw_total))
        for _ in range(self.workers):
            if not self._put(self.jobs, None):
                return

    def _alpha_at(self, words_done):
        fraction = min(1.0, words_done / self.planned_words)
        return self.start_alpha - (self.start_alpha - self.end_alpha) * fraction

    def _epoch_batches(self):
        """Yield ``(words int32 (N,), sentence_ends int64 (S,), raw_words)`` of about ``batch_words``.

        Sentences are looked up in C (out-of-vocabulary words dropped, as in
        word2vec); a batch closes once it holds ``batch_words`` vocabulary words.
        """
        lookup = self.model.wv.vocabulary_table.lookup
        batch_words = self.model.batch_words
        parts, ends, n_ids, raw = [], [], 0, 0
        for number, sentence in enumerate(self.corpus, 1):
            if self.stop.is_set():
                return
            ids = sentence_tokens(lookup, sentence, number)
            parts.append(ids)
            n_ids += len(ids)
            ends.append(n_ids)
            raw += len(sentence)
            if n_ids >= batch_words:
                yield _concatenate(parts), np.asarray(ends, dtype=np.int64), raw
                parts, ends, n_ids, raw = [], [], 0, 0
        if parts:
            yield _concatenate(parts), np.asarray(ends, dtype=np.int64), raw

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
            self.progress.put(JobDone(job.epoch, job.raw_words, result))

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
        self.call_back("on_epoch_begin")
        self.epoch_starts.put(epoch)

    def _count_job(self, done):
        loss_sum, n_samples, _, n_kept, n_nonfinite = done.result
        tally = self.tallies[done.epoch]
        tally.jobs_done += 1
        tally.loss_sum += loss_sum
        tally.samples += n_samples
        tally.raw_words += done.raw_words
        tally.kept_words += n_kept
        if n_nonfinite:
            raise TrainingDivergedError(
                f"training diverged: {n_nonfinite} NaN/infinite losses in epoch {done.epoch + 1} "
                f"of {self.epochs} after {self._words_done()} words (lr {self.start_alpha:g}->"
                f"{self.end_alpha:g}); the parameters are invalid, lower alpha or set var_bounds")

    def _words_done(self):
        return sum(t.raw_words for t in self.tallies)

    def _log_progress(self, epoch, elapsed):
        done = self._words_done()
        fraction = min(1.0, done / self.planned_words)
        logger.info("EPOCH %d - PROGRESS: %.2f%% words, %.0f words/s, lr %.6f, mean loss %.4f",
                    epoch + 1, 100.0 * fraction, done / elapsed, self._alpha_at(done),
                    self.tallies[epoch].mean_loss)

    def _end_epoch(self, epoch):
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
        else:
            logger.info("EPOCH %d done: %d raw words, %d kept, mean loss %.4f", epoch + 1,
                        tally.raw_words, tally.kept_words, tally.mean_loss)
        self.call_back("on_epoch_end")


def _concatenate(parts):
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
