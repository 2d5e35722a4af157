"""The thread lifecycle of ``Word2GM.train`` under injected faults (w2gm.training).

Every exit path must stop and join every thread and re-raise the original
exception within seconds: a corpus that raises mid-epoch (also while the job
queue is full), Ctrl-C at random moments and during thread start, divergence,
a failing worker, a failing callback.  Each training runs in a watchdog so
that a hang fails the test instead of the suite; the autouse fixture of
``conftest.py`` checks after each test that no ``w2gm-`` thread is alive.
"""

import _thread
import random
import signal
import threading
import time

import numpy as np
import pytest
from conftest import training_threads

from w2gm import Word2GM
from w2gm.exceptions import CorpusError, TrainingDivergedError
from w2gm.training import Progress

SETTINGS = dict(num_mixtures=2, vector_size=10, window=3, min_count=1, sample=0, workers=2, seed=3)
# seconds within which train() must raise after the fault
DEADLINE = 10.0


class RaisingCorpus:
    """Yields ``sentences``; on pass ``fail_on`` raises ``error`` before sentence ``after``."""

    def __init__(self, sentences, fail_on, after, error=None):
        self.sentences, self.fail_on, self.after = sentences, fail_on, after
        self.error = error if error is not None else OSError("network drive vanished (injected)")
        self.passes = 0
        self.raised_at = None

    def __iter__(self):
        self.passes += 1
        for i, sentence in enumerate(self.sentences):
            if self.passes == self.fail_on and i == self.after:
                self.raised_at = time.monotonic()
                raise self.error
            yield sentence


def train_in_watchdog(model, corpus, **kwargs):
    """Run ``model.train`` in a thread; return ``(exception or None, seconds)``; fail on a hang."""
    outcome = {}

    def body():
        started = time.monotonic()
        try:
            model.train(corpus, **kwargs)
        except BaseException as exc:
            outcome["error"] = exc
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=body, name="test-watchdog", daemon=True)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive(), "train() hangs"
    return outcome.get("error"), outcome["seconds"]


@pytest.fixture(autouse=True)
def python_handles_ctrl_c():
    """Python's own SIGINT handler, as in an interactive session.

    A shell starts background jobs with SIGINT ignored; Python then keeps it
    ignored and ``_thread.interrupt_main`` does nothing.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture(scope="module")
def big_corpus(topic_sentences):
    # 600k words: 6 jobs of 100k words per epoch
    return topic_sentences(1, n_sentences=50_000, length=12)


@pytest.mark.parametrize("trial", range(5))
def test_corpus_error_with_full_queue_raises_and_joins(big_corpus, trial):
    """The reported deadlock: corpus raises after 5 jobs of 100k words, workers=2 (queue full)."""
    model = Word2GM(**dict(SETTINGS, epochs=2, batch_words=100_000, seed=trial))
    model.build_vocab(big_corpus)
    corpus = RaisingCorpus(big_corpus, fail_on=2, after=5 * 100_000 // 12 + 1)
    error, _ = train_in_watchdog(model, corpus)
    assert error is corpus.error
    assert time.monotonic() - corpus.raised_at < DEADLINE
    assert not training_threads()
    assert model.epochs_trained == 0 and model.training_loss == []


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_bad_sentence_mid_epoch_raises_corpus_error(topic_sentences, workers):
    sentences = topic_sentences(2, n_sentences=2000)
    model = Word2GM(**dict(SETTINGS, epochs=2, workers=workers, batch_words=500))
    model.build_vocab(sentences)
    bad = sentences[:1500] + ["not a token list"] + sentences[1500:]
    error, seconds = train_in_watchdog(model, bad)
    assert isinstance(error, CorpusError) and "sentence #1501" in str(error)
    assert seconds < DEADLINE and not training_threads()


class _RaisingKernel:
    """Wraps the kernel; the ``fail_at``-th job raises ``error`` in the worker thread."""

    def __init__(self, kernel, fail_at, error):
        self.kernel, self.fail_at, self.error = kernel, fail_at, error
        self.jobs = 0
        self.lock = threading.Lock()

    def train_job(self, *args):
        with self.lock:
            self.jobs += 1
            fail = self.jobs == self.fail_at
        if fail:
            raise self.error
        return self.kernel.train_job(*args)

    def __getattr__(self, name):  # the rest of the kernel's interface (load_packed, store_packed)
        return getattr(self.kernel, name)


def test_worker_error_is_reraised_and_all_threads_joined(big_corpus, monkeypatch):
    model = Word2GM(**dict(SETTINGS, epochs=2, batch_words=20_000))
    model.build_vocab(big_corpus)
    error = MemoryError("worker failure (injected)")
    kernel = _RaisingKernel(Word2GM._kernel_state(model), fail_at=7, error=error)
    monkeypatch.setattr(model, "_kernel_state", lambda: kernel)
    raised, seconds = train_in_watchdog(model, big_corpus)
    assert raised is error
    assert seconds < DEADLINE and not training_threads()


def test_divergence_raises_training_diverged_error(topic_sentences):
    sentences = topic_sentences(3, n_sentences=3000)
    model = Word2GM(**dict(SETTINGS, epochs=3, batch_words=1000))
    model.build_vocab(sentences)
    model.wv.means[:] = np.nan
    error, seconds = train_in_watchdog(model, sentences)
    assert isinstance(error, TrainingDivergedError) and isinstance(error, FloatingPointError)
    assert "epoch 1 of 3" in str(error)
    assert seconds < DEADLINE and not training_threads()


class RecordingCallback:
    """Records the hooks called, and raises ``error`` at the hook ``fail_in`` (epoch ``fail_epoch``)."""

    def __init__(self, fail_in=None, fail_epoch=0, error=None):
        self.calls = []
        self.fail_in, self.fail_epoch, self.error = fail_in, fail_epoch, error
        self.epochs_seen = []

    def _hook(self, name, model):
        self.calls.append(name)
        epoch = max(0, self.calls.count("on_epoch_begin") - 1)
        if name == self.fail_in and epoch == self.fail_epoch:
            raise self.error

    def on_train_begin(self, model):
        self._hook("on_train_begin", model)

    def on_epoch_begin(self, model):
        self._hook("on_epoch_begin", model)

    def on_epoch_end(self, model):
        self.epochs_seen.append(model.wv.means.copy())
        self._hook("on_epoch_end", model)

    def on_train_end(self, model):
        self._hook("on_train_end", model)


def test_callbacks_are_called_in_gensim_order(topic_sentences):
    sentences = topic_sentences(4, n_sentences=1000)
    callback = RecordingCallback()
    model = Word2GM(sentences, callbacks=[callback], **dict(SETTINGS, epochs=3, batch_words=500))
    assert callback.calls == (["on_train_begin"] + ["on_epoch_begin", "on_epoch_end"] * 3
                              + ["on_train_end"])
    # each epoch end sees parameters that the next epoch changed further
    assert not np.array_equal(callback.epochs_seen[0], callback.epochs_seen[1])
    assert np.array_equal(callback.epochs_seen[-1], model.wv.means)


@pytest.mark.parametrize("hook,epoch", [("on_train_begin", 0), ("on_epoch_begin", 0),
                                        ("on_epoch_begin", 1), ("on_epoch_end", 0),
                                        ("on_epoch_end", 2), ("on_train_end", 2)])
def test_failing_callback_is_reraised_and_all_threads_joined(topic_sentences, hook, epoch):
    sentences = topic_sentences(5, n_sentences=3000)
    model = Word2GM(**dict(SETTINGS, epochs=3, batch_words=1000))
    model.build_vocab(sentences)
    error = RuntimeError(f"callback {hook} failed (injected)")
    raised, seconds = train_in_watchdog(model, sentences,
                                        callbacks=[RecordingCallback(hook, epoch, error)])
    assert raised is error
    assert seconds < DEADLINE and not training_threads()


class InterruptLater:
    """Callback: at ``on_train_begin``, arm a timer that sends a real SIGINT after ``delay`` s."""

    def __init__(self, delay):
        self.timer = threading.Timer(delay, _thread.interrupt_main)

    def on_train_begin(self, model):
        self.timer.start()


def test_ctrl_c_at_random_moments(big_corpus):
    """Ctrl-C (a real SIGINT via interrupt_main) at 25 random moments, thread start included."""
    model = Word2GM(**dict(SETTINGS, epochs=20, batch_words=10_000))
    model.build_vocab(big_corpus)
    rng = random.Random(0)
    seconds = []
    for _ in range(25):
        delay = rng.choice([0.0, 0.0005, 0.001, 0.002]) if rng.random() < 0.4 else rng.uniform(0, 0.3)
        interrupt = InterruptLater(delay)
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            model.train(big_corpus, callbacks=[interrupt])  # 12M words: far longer than any delay
        seconds.append(time.monotonic() - started - delay)
        interrupt.timer.join()
        assert not training_threads()
        assert model.epochs_trained == 0  # the interrupt landed inside train(), before its end
    assert max(seconds) < DEADLINE, seconds


def test_more_workers_than_jobs(topic_sentences):
    sentences = topic_sentences(7, n_sentences=50)
    model = Word2GM(sentences, **dict(SETTINGS, epochs=3, workers=8, batch_words=100_000))
    assert model.epochs_trained == 3 and all(np.isfinite(model.training_loss))


class ShrinkingCorpus:
    """Restartable corpus whose passes after the ``full``-th yield nothing."""

    def __init__(self, sentences, full):
        self.sentences, self.full, self.passes = sentences, full, 0

    def __iter__(self):  # a generator: a pass counts when it starts reading, not at iter()
        self.passes += 1
        if self.passes <= self.full:
            yield from self.sentences


def test_empty_later_epoch_warns_and_finishes(topic_sentences):
    sentences = topic_sentences(8, n_sentences=500)
    corpus = ShrinkingCorpus(sentences, full=2)  # vocabulary scan and epoch 1; epochs 2, 3 empty
    model = Word2GM(**dict(SETTINGS, epochs=3, batch_words=1000)).build_vocab(corpus)
    with pytest.warns(RuntimeWarning) as record:
        losses = model.train(corpus)
    assert losses[0] > 0 and losses[1:] == [0.0, 0.0]
    assert model.last_train_stats["epoch_samples"][1:] == [0, 0]
    assert sum("saw no words" in str(w.message) for w in record) == 2
    # the size mismatch with the totals of build_vocab is reported once per call
    mismatch = [str(w.message) for w in record if "not total_words=6000" in str(w.message)]
    assert len(mismatch) == 1 and mismatch[0].startswith("epoch 2 of the corpus had 0 raw words")


@pytest.mark.parametrize("sentences, settings", [
    ([["a"], ["b"], ["c"]] * 10, {}),  # one-word sentences: no context word
    ([["a", "b", "c"]] * 20, {"sample": 1e-5}),  # every word dropped by subsampling (the default sample)
], ids=["one-word-sentences", "all-subsampled"])
def test_epoch_without_samples_warns_and_reports_zero_samples(sentences, settings):
    model = Word2GM(sentences=None, **dict(SETTINGS, epochs=2, **settings)).build_vocab(sentences)
    with pytest.warns(RuntimeWarning, match="trained on 0 samples") as record:
        losses = model.train(sentences)
    assert losses == [0.0, 0.0] and model.training_loss == [0.0, 0.0]
    assert model.last_train_stats["epoch_samples"] == [0, 0]
    assert sum("0 samples" in str(w.message) for w in record) == 2


@pytest.mark.parametrize("when", ["before_start", "after_start", "signal_during_start"])
def test_ctrl_c_during_thread_start(topic_sentences, monkeypatch, when):
    """Ctrl-C while the second thread is being started (before or after it runs)."""
    sentences = topic_sentences(6, n_sentences=20_000)
    model = Word2GM(**dict(SETTINGS, epochs=5, workers=3, batch_words=2000))
    model.build_vocab(sentences)
    real_start = threading.Thread.start
    calls = []

    def start(thread):
        calls.append(thread.name)
        if len(calls) != 2:
            return real_start(thread)
        if when == "before_start":
            raise KeyboardInterrupt
        if when == "after_start":
            real_start(thread)
            raise KeyboardInterrupt
        _thread.interrupt_main()  # a real SIGINT arriving now
        real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", start)
    with pytest.raises(KeyboardInterrupt):
        model.train(sentences)
    monkeypatch.undo()
    assert not training_threads()
    # a held-back Ctrl-C arrives once every thread has started
    assert len(calls) == (4 if when == "signal_during_start" else 2)


class ProgressRecorder:
    """Callback recording ``on_progress`` reports and epoch ends, in order."""

    def __init__(self, fail_at=None, error=None):
        self.events = []
        self.fail_at, self.error = fail_at, error

    def on_epoch_end(self, model):
        self.events.append("on_epoch_end")

    def on_progress(self, model, progress):
        self.events.append(progress)
        if self.fail_at is not None and len(self.reports()) == self.fail_at:
            raise self.error

    def reports(self):
        return [e for e in self.events if isinstance(e, Progress)]


@pytest.mark.parametrize("mode", ["total_words", "total_examples", "corpus_file"])
def test_on_progress_reports_monotone_fractions_up_to_one(topic_sentences, tmp_path, mode):
    sentences = topic_sentences(6, n_sentences=600)
    epochs, start_alpha, end_alpha = 3, 0.05, 0.001
    model = Word2GM(**dict(SETTINGS, workers=1, epochs=epochs, batch_words=400))
    model.build_vocab(sentences)
    recorder = ProgressRecorder()
    kwargs = dict(report_delay=0, callbacks=[recorder], start_alpha=start_alpha, end_alpha=end_alpha)
    if mode == "corpus_file":
        path = tmp_path / "corpus.txt"
        path.write_text("".join(" ".join(s) + "\n" for s in sentences), encoding="utf-8")
        model.train(corpus_file=str(path), **kwargs)
    elif mode == "total_examples":
        model.train(sentences, total_examples=len(sentences), **kwargs)
    else:
        model.train(sentences, **kwargs)
    reports = recorder.reports()
    # report_delay=0: one report per job; 600 sentences of 10 words in jobs of ~400 words
    jobs_per_epoch = sum(len(s) for s in sentences) // 400
    assert len(reports) >= epochs * jobs_per_epoch
    fractions = [p.fraction for p in reports]
    assert all(0.0 < f <= 1.0 for f in fractions)
    assert fractions == sorted(fractions)
    assert fractions[-1] == pytest.approx(1.0)
    for p in reports:
        assert p.epochs == epochs
        assert p.epoch / epochs <= p.fraction <= (p.epoch + 1) / epochs
        assert p.alpha == pytest.approx(start_alpha - (start_alpha - end_alpha) * p.fraction)
        assert p.words_per_second > 0
        assert np.isfinite(p.mean_loss) and p.mean_loss > 0
    # each epoch's reports come before its on_epoch_end, and the last one of an epoch is complete
    ends = [i for i, e in enumerate(recorder.events) if e == "on_epoch_end"]
    assert len(ends) == epochs
    for epoch, end in enumerate(ends):
        assert recorder.events[end - 1].epoch == epoch
        assert recorder.events[end - 1].fraction == pytest.approx((epoch + 1) / epochs)
    # the mean loss of an epoch's last report is the epoch's mean loss that train returns
    assert [recorder.events[end - 1].mean_loss for end in ends] == pytest.approx(model.training_loss[-3:])


def test_on_progress_follows_report_delay(topic_sentences):
    sentences = topic_sentences(7, n_sentences=600)
    model = Word2GM(**dict(SETTINGS, workers=1, epochs=2, batch_words=400))
    model.build_vocab(sentences)
    recorder = ProgressRecorder()
    model.train(sentences, report_delay=3600, callbacks=[recorder])
    assert recorder.reports() == []  # no report before the first report_delay has passed
    assert recorder.events == ["on_epoch_end", "on_epoch_end"]


def test_failing_on_progress_is_reraised_and_all_threads_joined(topic_sentences):
    sentences = topic_sentences(5, n_sentences=3000)
    model = Word2GM(**dict(SETTINGS, epochs=3, batch_words=1000))
    model.build_vocab(sentences)
    error = RuntimeError("on_progress failed (injected)")
    recorder = ProgressRecorder(fail_at=4, error=error)
    raised, seconds = train_in_watchdog(model, sentences, report_delay=0, callbacks=[recorder])
    assert raised is error
    assert len(recorder.reports()) == 4
    assert seconds < DEADLINE and not training_threads()


class LogVarianceWatcher:
    """Adds 1 to every log-variance as epoch 1 begins; copies them at train begin and epoch ends."""

    def __init__(self):
        self.start, self.epoch_ends = None, []

    def on_train_begin(self, model):
        self.start = model.wv.log_variances.copy()

    def on_epoch_begin(self, model):
        if len(self.epoch_ends) == 1:
            model.wv.log_variances[...] += 1.0

    def on_epoch_end(self, model):
        self.epoch_ends.append(model.wv.log_variances.copy())


class FirstReportWatcher(LogVarianceWatcher):
    """Also copies the log-variances at the first progress report."""

    first_report = None

    def on_progress(self, model, progress):
        if self.first_report is None:
            self.first_report = model.wv.log_variances.copy()


def unpacked(monkeypatch):
    """Make ``Word2GM`` train on its arrays themselves (``pack_rows=False``)."""
    import w2gm.word2gm as module
    real = module.KernelState
    monkeypatch.setattr(module, "KernelState", lambda *a, **k: real(*a, **{**k, "pack_rows": False}))


def test_packed_rows_see_and_show_the_callbacks(topic_sentences, monkeypatch):
    """The default trains on packed rows; epoch callbacks read and change the model as without them.

    One worker, so both runs are deterministic: the arrays each epoch end shows, and the trained
    model, are those of a run on the arrays themselves, including the shift an
    ``on_epoch_begin`` callback made.
    """
    sentences = topic_sentences(6, n_sentences=400)
    runs = {}
    for pack in (True, False):
        if not pack:
            unpacked(monkeypatch)
        model = Word2GM(**dict(SETTINGS, workers=1, epochs=2, batch_words=300))
        model.build_vocab(sentences)
        assert model._kernel_state().packed is pack
        watcher = LogVarianceWatcher()
        model.train(sentences, callbacks=[watcher])
        runs[pack] = watcher, model.wv.log_variances.copy(), model.wv.logits.copy()
        # epoch 1 started from epoch 0's end plus the callback's shift (the rates keep steps small)
        assert 0.9 < float(np.mean(watcher.epoch_ends[1] - watcher.epoch_ends[0])) < 1.1
    (packed, lv, s), (plain, lv_plain, s_plain) = runs[True], runs[False]
    for seen, seen_plain in zip(packed.epoch_ends, plain.epoch_ends):
        np.testing.assert_array_equal(seen, seen_plain)
    np.testing.assert_array_equal(lv, lv_plain)
    np.testing.assert_array_equal(s, s_plain)


def test_progress_reports_show_the_packed_rows_updates(topic_sentences):
    """The first report comes after a job: its log-variance updates are shown, not train begin's."""
    sentences = topic_sentences(6, n_sentences=400)
    model = Word2GM(**dict(SETTINGS, workers=1, epochs=1, batch_words=300))
    model.build_vocab(sentences)
    watcher = FirstReportWatcher()
    model.train(sentences, callbacks=[watcher], report_delay=0)
    assert watcher.first_report is not None
    assert not np.array_equal(watcher.first_report, watcher.start)


def test_an_epoch_cut_short_keeps_the_packed_rows_updates(topic_sentences, monkeypatch):
    """A worker error in epoch 0: the jobs before it updated the log-variances, and they stay."""
    sentences = topic_sentences(6, n_sentences=400)
    model = Word2GM(**dict(SETTINGS, workers=1, epochs=1, batch_words=300))
    model.build_vocab(sentences)
    start = model.wv.log_variances.copy()
    real = model._kernel_state
    monkeypatch.setattr(model, "_kernel_state", lambda: _RaisingKernel(real(), 4, OSError("simulated")))
    with pytest.raises(OSError, match="simulated"):
        model.train(sentences)
    assert not np.array_equal(model.wv.log_variances, start)


def test_changes_of_the_last_on_epoch_end_are_kept(topic_sentences):
    """The last epoch's rows are stored before on_epoch_end, and not again over its changes."""
    sentences = topic_sentences(6, n_sentences=400)
    model = Word2GM(**dict(SETTINGS, workers=1, epochs=1, batch_words=300))
    model.build_vocab(sentences)
    seen = []

    class Shift:
        def on_epoch_end(self, model):
            seen.append(model.wv.log_variances.copy())
            model.wv.log_variances[...] += 1.0
            model.wv.logits[...] = 0.0

    model.train(sentences, callbacks=[Shift()])
    np.testing.assert_array_equal(model.wv.log_variances, seen[0] + 1.0)
    assert not model.wv.logits.any()


def producer_run(corpus, batch_words):
    """A :class:`TrainingRun` stand-in with just what its job producer's batching reads."""
    from types import SimpleNamespace

    from w2gm._vocab import WordTable
    table = WordTable()
    table.add(["alpha", "beta", "gamma", "delta"])
    model = SimpleNamespace(wv=SimpleNamespace(vocabulary_table=table), batch_words=batch_words, seed=3)
    return SimpleNamespace(model=model, corpus=corpus, stop=threading.Event(), heldout_threshold=0)


@pytest.mark.parametrize("batch_words", [0, 1, 5, 40, 10_000])
def test_batched_producer_makes_the_per_sentence_loops_batches(batch_words):
    """With no sentence held out, ``_epoch_batches`` reads whole batches in one C call
    (``WordTable.lookup_batch``); its batches are those of the per-sentence loop that held-out
    runs use, so the jobs, their learning rates and seeds, and the trained bits do not depend on
    which of the two made them."""
    from w2gm.training import TrainingRun
    rng = random.Random(batch_words)
    words = ["alpha", "beta", "gamma", "delta", "unknown"]
    corpus = [[rng.choice(words) for _ in range(rng.choice([0, 1, 3, 12, 70]))] for _ in range(400)]

    class Mixed:
        """The sentences as lists, tuples and one-pass iterators (new ones every pass)."""

        def __iter__(self):
            for i, sentence in enumerate(corpus):
                yield tuple(sentence) if i % 7 == 1 else iter(sentence) if i % 7 == 2 else sentence

    run = producer_run(Mixed(), batch_words)

    def listed(batches):
        return [(w.tolist(), e.tolist(), raw, n) for w, e, raw, n in batches]

    batched = listed(TrainingRun._epoch_batches(run))
    assert batched == listed(TrainingRun._batches_with_heldout(run, False))
    assert sum(n for *_, n in batched) == 400
    assert sum(raw for _, _, raw, _ in batched) == sum(map(len, corpus))


def test_batched_producer_stops_between_batches():
    """The stop flag is read before every batch: a stopped run reads no further sentence."""
    from w2gm.training import TrainingRun
    read = []

    def corpus():
        for i in range(100):
            read.append(i)
            yield ["alpha", "beta"]

    run = producer_run(None, 10)
    run.corpus = corpus()
    batches = TrainingRun._epoch_batches(run)
    first = next(batches)
    assert first[3] == 5 and len(read) == 5
    run.stop.set()
    assert list(batches) == [] and len(read) == 5


@pytest.mark.parametrize("batched", [True, False])
def test_both_producer_paths_name_a_sentence_that_cannot_be_iterated(batched):
    from w2gm.training import TrainingRun
    run = producer_run([["alpha"], ("beta",), 7, ["gamma"]], 1)
    batches = TrainingRun._epoch_batches(run) if batched else TrainingRun._batches_with_heldout(run, False)
    with pytest.raises(CorpusError, match=r"^sentence #3: 'int' object is not iterable$"):
        list(batches)
