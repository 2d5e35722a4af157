"""Training in ``corpus_file`` mode: workers read their own byte ranges of the file (w2gm.training).

The reader itself is tested in test_corpus_file.py; here: the model it trains
equals the iterable path's for one worker, several workers cover every word
once per epoch with a right learning-rate schedule, and the file's problems
(invalid UTF-8, another size than the totals, compression) are reported.
"""

import gzip
import os
import tempfile
import threading
import warnings

import numpy as np
import pytest

from w2gm import LineSentence, Word2GM
from w2gm.corpora import CorpusDecodingWarning

SETTINGS = dict(num_mixtures=2, vector_size=8, window=4, min_count=2, sample=1e-2, epochs=3, seed=5,
                batch_words=300)


def topic_sentences(seed, n, topics="abcdef", topic_size=15):
    """Sentences of 3 to 40 words, each drawn from one topic; a few out-of-vocabulary words."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        topic = topics[i % len(topics)]
        words = [f"{topic}{j}" for j in rng.integers(0, topic_size, rng.integers(3, 41))]
        if i % 7 == 0:
            words.append(f"rare{i}")  # once: below min_count
        out.append(words)
    return out


def write_corpus(path, sentences, opener=open):
    with opener(path, "wt", encoding="utf-8") as f:
        f.writelines(" ".join(s) + "\n" for s in sentences)
    return path


def arrays(model):
    return {name: a.copy() for name, a in model._file_arrays().items()}


class Recorder:
    """Stands in for the KernelState: trains through it and records each job (thread-safe)."""

    def __init__(self, kernel):
        self.kernel, self.jobs, self.lock = kernel, [], threading.Lock()

    def train_job(self, words, sentence_ends, alpha_start, alpha_end, seed):
        result = self.kernel.train_job(words, sentence_ends, alpha_start, alpha_end, seed)
        with self.lock:
            self.jobs.append((alpha_start, alpha_end, len(words), seed))
        return result

    def __getattr__(self, name):  # the rest of the kernel's interface (load_packed, store_packed)
        return getattr(self.kernel, name)


@pytest.fixture
def recorder(monkeypatch):
    made = []
    real = Word2GM._kernel_state

    def kernel_state(self):
        made.append(Recorder(real(self)))
        return made[-1]

    monkeypatch.setattr(Word2GM, "_kernel_state", kernel_state)
    return made


def test_one_worker_trains_bit_for_bit_like_the_iterable_path(tmp_path):
    path = write_corpus(tmp_path / "c.txt", topic_sentences(1, 600))
    from_file = Word2GM(corpus_file=path, workers=1, **SETTINGS)
    from_iterable = Word2GM(LineSentence(path), workers=1, **SETTINGS)
    assert from_file.wv.index_to_key == from_iterable.wv.index_to_key
    a, b = arrays(from_file), arrays(from_iterable)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert from_file.training_loss == from_iterable.training_loss
    assert from_file.last_train_stats["raw_words"] == 3 * from_file.corpus_total_words


@pytest.mark.parametrize("workers", [2, 3, 5])
def test_several_workers_read_every_word_once_per_epoch(tmp_path, recorder, workers):
    sentences = topic_sentences(2, 900)
    path = write_corpus(tmp_path / "c.txt", sentences)
    model = Word2GM(corpus_file=path, workers=workers, **SETTINGS)
    stats = model.last_train_stats
    raw = sum(map(len, sentences))
    assert model.corpus_total_words == raw
    assert stats["raw_words"] == 3 * raw
    assert stats["examples"] == 3 * len(sentences)  # LineSentence's count, not the ranges'
    jobs = recorder[0].jobs
    in_vocab = sum(w in model.wv for s in sentences for w in s)
    assert sum(n for _, _, n, _ in jobs) == 3 * in_vocab
    assert len({seed for *_, seed in jobs}) == len(jobs)  # every job its own seed
    # the rates of the call cover the whole schedule: from alpha down to min_alpha
    starts = [a for a, _, _, _ in jobs]
    ends = [b for _, b, _, _ in jobs]
    assert max(starts) == pytest.approx(model.alpha)
    assert min(ends) == pytest.approx(model.min_alpha, abs=1e-12)
    assert all(a >= b for a, b, _, _ in jobs)


def test_several_workers_learn_the_topics_like_the_iterable_path(tmp_path):
    """Same vocabulary; same-topic words end up closer than other-topic words in both modes."""
    sentences = topic_sentences(3, 3000, topics="abcd", topic_size=10)
    path = write_corpus(tmp_path / "c.txt", sentences)
    settings = dict(SETTINGS, sample=0, epochs=5, min_count=5)
    gaps = {}
    for mode, model in [("file", Word2GM(corpus_file=path, workers=3, **settings)),
                        ("iterable", Word2GM(sentences, workers=3, **settings))]:
        vocab = [w for w in model.wv.index_to_key]
        same = [model.wv.similarity(u, v) for u in vocab for v in vocab if u < v and u[0] == v[0]]
        other = [model.wv.similarity(u, v) for u in vocab for v in vocab if u < v and u[0] != v[0]]
        gaps[mode] = np.mean(same) - np.mean(other)
        assert sorted(vocab) == sorted(f"{t}{j}" for t in "abcd" for j in range(10))
    assert gaps["file"] > 0.3 and gaps["iterable"] > 0.3
    assert abs(gaps["file"] - gaps["iterable"]) < 0.15


def test_compressed_file_is_decompressed_once_and_the_copy_removed(tmp_path, monkeypatch):
    sentences = topic_sentences(4, 300)
    plain = write_corpus(tmp_path / "c.txt", sentences)
    packed = write_corpus(tmp_path / "c.txt.gz", sentences, opener=gzip.open)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    from_gz = Word2GM(corpus_file=packed, workers=1, **SETTINGS)
    assert os.listdir(scratch) == []
    from_plain = Word2GM(corpus_file=plain, workers=1, **SETTINGS)
    a, b = arrays(from_gz), arrays(from_plain)
    assert all(np.array_equal(a[k], b[k]) for k in a)


def test_a_larger_file_than_the_vocabulary_corpus_warns_and_keeps_the_schedule(tmp_path, recorder):
    sentences = topic_sentences(5, 400)
    small = write_corpus(tmp_path / "small.txt", sentences)
    large = write_corpus(tmp_path / "large.txt", sentences * 2)
    model = Word2GM(workers=2, **SETTINGS).build_vocab(corpus_file=small)
    with pytest.warns(RuntimeWarning, match="raw words, not total_words"):
        model.train(corpus_file=large, total_words=model.corpus_total_words, epochs=3)
    jobs = recorder[0].jobs
    # the file's own size drives the schedule, not the smaller total: every job decays the rate
    # (none is held at an epoch's end value), the first epoch (a third of the jobs: every epoch
    # reads the same ranges) ends at 1/3 of the decay, and the last job at the end rate
    assert all(a > b for a, b, _, _ in jobs)
    first_epoch = jobs[:len(jobs) // 3]
    expected_end = model.alpha - (model.alpha - model.min_alpha) / 3
    assert min(b for _, b, _, _ in first_epoch) == pytest.approx(expected_end, rel=1e-9)
    assert min(b for _, b, _, _ in jobs) == pytest.approx(model.min_alpha, abs=1e-12)


def test_invalid_utf8_warns_once_per_call(tmp_path):
    path = tmp_path / "c.txt"
    write_corpus(path, topic_sentences(6, 300))
    with open(path, "ab") as f:
        f.write(b"a1 \xff\xfe a2\n" * 3)  # two invalid sequences a line (as Python counts)
    with pytest.warns(CorpusDecodingWarning):  # LineSentence's, in the vocabulary scan
        model = Word2GM(workers=2, **SETTINGS).build_vocab(corpus_file=path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.train(corpus_file=path, epochs=2)
    utf8 = [w for w in caught if issubclass(w.category, CorpusDecodingWarning)]
    assert len(utf8) == 1
    assert "6 invalid UTF-8 sequences" in str(utf8[0].message)
    assert utf8[0].filename == __file__


def test_callbacks_see_each_epoch_in_file_mode(tmp_path):
    path = write_corpus(tmp_path / "c.txt", topic_sentences(7, 300))
    seen = []

    class Losses:
        def on_epoch_end(self, model):
            seen.append(model.get_latest_training_loss())

    model = Word2GM(workers=2, **SETTINGS).build_vocab(corpus_file=path)
    model.train(corpus_file=path, epochs=3, callbacks=[Losses()])
    assert len(seen) == 3 and 0 < seen[0] < seen[1] < seen[2]
    assert seen[2] == model.running_training_loss
