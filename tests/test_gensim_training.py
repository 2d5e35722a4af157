"""The gensim 4 training surface of Word2GM: signatures, settings, schedule, online vocabulary, loss.

A gensim user writes ``model = Word2GM(...); model.build_vocab(corpus);
model.train(corpus, total_examples=model.corpus_count, epochs=model.epochs)``
with gensim's argument names and gets gensim's semantics; where gensim is
installed, its own ``Word2Vec`` serves as the reference for the vocabulary
rules (``max_vocab_size``, ``max_final_vocab``, ``trim_rule``,
``build_vocab(update=True)``) and its ``CallbackAny2Vec`` for callbacks.
Everything runs on tiny synthetic corpora with ``workers=1`` (deterministic).
"""

import bz2
import gzip
import inspect
import io
import json
import logging
import math
import os
import re
import time
import warnings

import numpy as np
import pytest
from test_word2gm import all_arrays

from w2gm import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP, LineSentence, Word2GM
from w2gm.corpora import MAX_SENTENCE_LENGTH
from w2gm.exceptions import (
    CorpusError,
    EmptyVocabularyError,
    NotTrainedError,
    ParameterError,
    UnsupportedArgumentError,
    W2GMError,
)
from w2gm.settings import SETTING_NAMES

FAST = dict(num_mixtures=2, vector_size=6, window=3, min_count=1, sample=0, epochs=1, workers=1,
            seed=11, batch_words=200)


def topic_corpus(seed, n_sentences, topics="abcd", topic_size=12, lengths=(8,)):
    """Sentence ``i`` holds ``lengths[i % len(lengths)]`` words of topic ``topics[i % len(topics)]``."""
    rng = np.random.default_rng(seed)
    return [[f"{topics[i % len(topics)]}{j}"
             for j in rng.integers(0, topic_size, lengths[i % len(lengths)])]
            for i in range(n_sentences)]


def zipf_corpus(seed, n_sentences, vocab=400, length=10):
    """Sentences of Zipf-distributed words ``w0 .. w{vocab-1}``: many rare words (pruning happens)."""
    rng = np.random.default_rng(seed)
    ranks = np.minimum(rng.zipf(1.3, size=(n_sentences, length)), vocab) - 1
    return [[f"w{r}" for r in row] for row in ranks]


CORPUS = topic_corpus(1, 400)


def assert_same_models(m1, m2):
    assert m1.wv.index_to_key == m2.wv.index_to_key
    a1, a2 = all_arrays(m1), all_arrays(m2)
    assert sorted(a1) == sorted(a2)
    for name in a1:
        assert np.array_equal(a1[name], a2[name]), name


def counts_of(model):
    return dict(zip(model.wv.index_to_key, model.counts.tolist()))


class RecordingKernel:
    """Stands in for the model's KernelState: trains through it and records every job."""

    def __init__(self, kernel, jobs, first_loss_offset=0.0):
        self.kernel, self.jobs, self.offset = kernel, jobs, first_loss_offset

    def train_job(self, words, sentence_ends, alpha_start, alpha_end, seed):
        result = self.kernel.train_job(words, sentence_ends, alpha_start, alpha_end, seed)
        if self.offset and not self.jobs:
            result = (result[0] + self.offset,) + tuple(result[1:])
        self.jobs.append(dict(alpha_start=alpha_start, alpha_end=alpha_end,
                              sentences=len(sentence_ends), loss=result[0]))
        return result

    def __getattr__(self, name):  # the rest of the kernel's interface (load_packed, store_packed)
        return getattr(self.kernel, name)


@pytest.fixture
def recorded_jobs(monkeypatch):
    """The jobs of every train call from now on, in order (workers=1)."""
    jobs = []
    real = Word2GM._kernel_state
    monkeypatch.setattr(Word2GM, "_kernel_state", lambda self: RecordingKernel(real(self), jobs))
    return jobs


class EpochMarks:
    """Callback: the number of jobs recorded when each epoch ended."""

    def __init__(self, jobs):
        self.jobs, self.ends = jobs, []

    def on_epoch_end(self, model):
        self.ends.append(len(self.jobs))


# ---------------------------------------------------------------------------
# 1. the gensim workflow and signatures


def test_gensim_workflow_trains_and_matches_the_constructor():
    model = Word2GM(**FAST)
    model.build_vocab(CORPUS)
    losses = model.train(CORPUS, total_examples=model.corpus_count, epochs=model.epochs)
    assert len(losses) == 1 and losses[0] > 0
    # keyword names, and the sentences= alias of earlier w2gm versions, give the same model
    by_keyword = Word2GM(**FAST).build_vocab(corpus_iterable=CORPUS)
    by_keyword.train(corpus_iterable=CORPUS, total_examples=by_keyword.corpus_count, epochs=1)
    by_alias = Word2GM(**FAST).build_vocab(sentences=CORPUS)
    by_alias.train(sentences=CORPUS, total_examples=by_alias.corpus_count, epochs=1)
    assert_same_models(model, by_keyword)
    assert_same_models(model, by_alias)
    # the constructor's own training counts progress in raw words (total_words), so its rates inside
    # the epoch differ slightly from the sentence-counted call above: same vocabulary, trained once
    constructed = Word2GM(sentences=CORPUS, **FAST)
    assert constructed.epochs_trained == 1 and constructed.wv.index_to_key == model.wv.index_to_key


def parameters(function):
    return [p for p in inspect.signature(function).parameters.values()
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name != "self"]


#: gensim arguments that have no meaning for Word2GM (docs/gensim.md)
UNSUPPORTED = ("sg", "hs", "cbow_mean", "hashfxn", "null_word", "comment")


def test_signatures_hold_every_applicable_gensim_argument():
    word2vec = pytest.importorskip("gensim.models.word2vec")
    gensim_init = [p.name for p in parameters(word2vec.Word2Vec.__init__) if p.name not in UNSUPPORTED]
    ours = [p.name for p in parameters(Word2GM.__init__)]
    assert set(gensim_init) <= set(ours), set(gensim_init) - set(ours)
    assert ours[:2] == ["sentences", "corpus_file"]  # positional order of the corpus, as gensim
    for method in ("build_vocab", "train"):
        theirs = [p.name for p in parameters(getattr(word2vec.Word2Vec, method))]
        ours = [p.name for p in parameters(getattr(Word2GM, method)) if p.kind != p.KEYWORD_ONLY]
        assert ours == theirs, method  # same names in the same (positional) order
    # the defaults of the shared settings are gensim's, except where w2gm documents otherwise
    sig = inspect.signature(Word2GM.__init__).parameters
    for name in ("ns_exponent", "max_vocab_size", "max_final_vocab", "trim_rule", "shrink_windows"):
        assert sig[name].default == inspect.signature(word2vec.Word2Vec.__init__).parameters[name].default
    assert sig["sorted_vocab"].default is True and sig["compute_loss"].default is True
    train = inspect.signature(Word2GM.train).parameters
    assert [train[n].default for n in ("word_count", "queue_factor", "report_delay")] == [0, 2, 1.0]
    build = inspect.signature(Word2GM.build_vocab).parameters
    assert build["progress_per"].default == 10000 and build["update"].default is False


@pytest.mark.parametrize("name, value, why", [
    ("sg", 1, "skip-gram"), ("sg", 0, "skip-gram"), ("hs", 1, "hierarchical softmax"),
    ("cbow_mean", 1, "CBOW"), ("hashfxn", hash, "seed"), ("null_word", 1, "CBOW"),
    ("comment", "run 1", "lifecycle"), ("size", 50, "use vector_size"),
    ("iter", 5, "use epochs"),
])
def test_gensim_arguments_that_do_not_apply_raise_a_named_error(name, value, why):
    with pytest.raises(UnsupportedArgumentError) as info:
        Word2GM(CORPUS, **{name: value}, **FAST)
    assert isinstance(info.value, TypeError) and isinstance(info.value, W2GMError)
    message = str(info.value)
    assert repr(name) in message and why in message and "docs/gensim.md" in message


def test_unknown_keyword_is_pythons_type_error():
    with pytest.raises(TypeError, match=r"^Word2GM\(\) got an unexpected keyword argument 'sizee'$") as info:
        Word2GM(sizee=5)
    assert not isinstance(info.value, W2GMError)
    model = Word2GM(**FAST).build_vocab(CORPUS)
    for method in (model.build_vocab, model.train):
        with pytest.raises(TypeError, match="unexpected keyword argument 'min_counts'"):
            method(CORPUS, min_counts=3)


@pytest.mark.parametrize("name, value, advice", [
    ("min_count", 1, "Word2GM(min_count=...)"), ("sample", 0, "Word2GM(sample=...)"),
    ("dry_run", True, "no dry run"),
])
def test_gensims_build_vocab_pass_through_keywords_raise_a_named_error(name, value, advice):
    model = Word2GM(**FAST)
    with pytest.raises(UnsupportedArgumentError) as info:
        model.build_vocab(CORPUS, **{name: value})
    assert isinstance(info.value, TypeError) and repr(name) in str(info.value) and advice in str(info.value)
    assert model.wv is None or len(model.wv) == 0


class _EpochCounter:
    def __init__(self):
        self.epochs = 0

    def on_epoch_end(self, model):
        self.epochs += 1


@pytest.mark.parametrize("callbacks, message", [
    (5, "callbacks must be a sequence of callback objects, got 5"),
    ("abc", "callbacks must be a sequence of callback objects, got 'abc'"),
    ([lambda model: None], "callbacks[0] has none of the callback methods"),
    ([_EpochCounter(), print], "callbacks[1] has none of the callback methods"),
])
def test_callbacks_that_would_never_be_called_are_refused_before_training(callbacks, message):
    with pytest.raises(ParameterError, match=re.escape(message)):
        Word2GM(CORPUS, callbacks=callbacks, **FAST)
    model = Word2GM(**FAST).build_vocab(CORPUS)
    before = {k: a.copy() for k, a in all_arrays(model).items()}
    with pytest.raises(ParameterError, match=re.escape(message)):
        model.train(CORPUS, callbacks=callbacks)
    assert all(np.array_equal(before[k], a) for k, a in all_arrays(model).items())


def test_callbacks_none_means_none_and_an_object_with_one_hook_is_called():
    assert Word2GM(callbacks=None, **FAST).callbacks == ()
    counter = _EpochCounter()
    model = Word2GM(**FAST).build_vocab(CORPUS)
    model.train(CORPUS, callbacks=[counter], report_delay=10**400)  # an int beyond float: never report
    assert counter.epochs == model.epochs


@pytest.mark.parametrize("method", ["build_vocab", "train"])
def test_exactly_one_corpus(tmp_path, method):
    path = tmp_path / "corpus.txt"
    path.write_text("a b c\n")
    model = Word2GM(**FAST).build_vocab(CORPUS)
    call = getattr(model, method)
    with pytest.raises(CorpusError, match="no corpus: pass corpus_iterable"):
        call()
    with pytest.raises(CorpusError, match="either corpus_iterable or corpus_file, not both"):
        call(CORPUS, corpus_file=str(path))
    with pytest.raises(CorpusError, match="sentences is an alias of corpus_iterable"):
        call(CORPUS, sentences=CORPUS)
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        call(corpus_file=str(tmp_path / "missing.txt"))
    with pytest.raises(CorpusError, match="either sentences or corpus_file"):
        Word2GM(CORPUS, corpus_file=str(path), **FAST)


@pytest.mark.parametrize("opener, suffix", [(open, ".txt"), (gzip.open, ".txt.gz"), (bz2.open, ".txt.bz2")],
                         ids=["plain", "gz", "bz2"])
def test_corpus_file_trains_like_the_iterable_it_holds(tmp_path, opener, suffix):
    path = tmp_path / ("corpus" + suffix)
    with opener(path, "wt", encoding="utf-8") as f:
        f.writelines(" ".join(s) + "\n" for s in CORPUS)
    settings = dict(FAST, epochs=2)
    from_file = Word2GM(corpus_file=str(path), **settings)
    from_iterable = Word2GM(CORPUS, **settings)
    assert_same_models(from_file, from_iterable)
    assert (from_file.corpus_count, from_file.corpus_total_words) == (len(CORPUS), 8 * len(CORPUS))
    # build_vocab and train with corpus_file (a path object too), gensim style
    model = Word2GM(**settings)
    model.build_vocab(corpus_file=path)
    model.train(corpus_file=path, total_examples=model.corpus_count, epochs=model.epochs)
    reference = Word2GM(**settings).build_vocab(LineSentence(path))
    reference.train(LineSentence(path), total_examples=reference.corpus_count, epochs=2)
    assert_same_models(model, reference)


def write_corpus_file(path, sentences):
    path.write_text("".join(" ".join(s) + "\n" for s in sentences), encoding="utf-8")
    return path


def test_train_reuses_build_vocabs_counts_of_an_unchanged_file(tmp_path, monkeypatch):
    import w2gm.training as training
    import w2gm.word2gm as module
    counted = []
    real = training.count_corpus_file
    monkeypatch.setattr(training, "count_corpus_file", lambda *args: counted.append(args) or real(*args))
    path = write_corpus_file(tmp_path / "corpus.txt", CORPUS)
    settings = dict(FAST, epochs=2)
    # a file changed less than FINGERPRINT_SETTLE_NS before the scan is counted again
    monkeypatch.setattr(module, "FINGERPRINT_SETTLE_NS", 1 << 62)
    fresh = Word2GM(**settings).build_vocab(corpus_file=path)
    assert fresh._corpus_file_counts is None
    fresh.train(corpus_file=path)
    assert len(counted) == 1
    # settled (negative: the file system's clock may run ahead of ours): the same counts, reused
    monkeypatch.setattr(module, "FINGERPRINT_SETTLE_NS", -(1 << 62))
    reused = Word2GM(**settings).build_vocab(corpus_file=path)
    assert reused._corpus_file_counts[1:] == real(str(path), MAX_SENTENCE_LENGTH)
    reused.train(corpus_file=path)
    assert len(counted) == 1
    assert_same_models(reused, fresh)
    # rewritten with the same size and modification time: the status-change time differs (written
    # again until the file system's coarse clock has moved on)
    before = path.stat()
    text = path.read_text(encoding="utf-8").replace("a0 ", "a1 ", 1)
    deadline = time.monotonic() + 5
    while path.stat().st_ctime_ns == before.st_ctime_ns and time.monotonic() < deadline:
        time.sleep(0.01)
        path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    if path.stat().st_ctime_ns == before.st_ctime_ns:
        pytest.skip("the file system's status-change time did not move within 5 s")
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    reused.train(corpus_file=path)
    assert len(counted) == 2
    # a later scan of an iterable leaves no file counts to reuse
    reused.build_vocab(corpus_file=path)
    assert reused._corpus_file_counts is not None
    reused.build_vocab(CORPUS, update=True)
    assert reused._corpus_file_counts is None
    reused.train(corpus_file=path)
    assert len(counted) == 3


def test_a_link_that_changes_whether_the_file_is_decompressed_is_counted_again(tmp_path, monkeypatch):
    import w2gm.word2gm as module
    monkeypatch.setattr(module, "FINGERPRINT_SETTLE_NS", -(1 << 62))
    path = tmp_path / "corpus.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.writelines(" ".join(s) + "\n" for s in CORPUS)
    link = tmp_path / "corpus.txt"
    link.symlink_to(path)
    model = Word2GM(**FAST).build_vocab(corpus_file=path)
    assert model._corpus_file_counts is not None
    assert model._known_file_counts(path) == (model.corpus_total_words, model.corpus_count)
    assert model._known_file_counts(link) is None   # read as raw gzip bytes, not as the text


def test_stale_counts_warn_and_the_later_epochs_take_the_size_read(tmp_path, monkeypatch, recorded_jobs,
                                                                   caplog):
    import w2gm.word2gm as module
    monkeypatch.setattr(module, "FINGERPRINT_SETTLE_NS", -(1 << 62))
    path = write_corpus_file(tmp_path / "corpus.txt", CORPUS)
    model = Word2GM(**dict(FAST, epochs=3, alpha=0.1, min_alpha=0.001)).build_vocab(corpus_file=path)
    fingerprint, raw, sentences = model._corpus_file_counts
    model._corpus_file_counts = (fingerprint, 2 * raw, sentences)   # as if the file had shrunk
    marks = EpochMarks(recorded_jobs)
    with caplog.at_level(logging.WARNING, logger="w2gm"):
        model.train(corpus_file=path, callbacks=[marks])
    assert caplog.text.count("changed since it was counted") == 1
    assert f"epoch 1 read {raw} raw words, not {2 * raw} (the count of build_vocab)" in caplog.text
    first, second, third = (recorded_jobs[a:b] for a, b in zip([0] + marks.ends, marks.ends))
    # epoch 1 expected twice its size and ends half way; epochs 2 and 3 expect the size read
    assert first[-1]["alpha_end"] == pytest.approx(alpha_at(model, 1 / 6), rel=1e-12)
    assert second[-1]["alpha_end"] == pytest.approx(alpha_at(model, 2 / 3), rel=1e-12)
    assert third[-1]["alpha_end"] == pytest.approx(model.min_alpha, abs=1e-15)


@pytest.mark.parametrize("name, value", [
    ("total_examples", 0), ("total_examples", -1), ("total_examples", 2.0), ("total_examples", True),
    ("total_words", 0), ("total_words", 2**63), ("word_count", -1), ("word_count", 1.5),
    ("queue_factor", 0), ("queue_factor", 101), ("report_delay", -1.0), ("report_delay", float("nan")),
    ("report_delay", -10**400),
    ("compute_loss", "yes"), ("epochs", 0),
])
def test_bad_train_arguments_raise_before_any_update(name, value):
    model = Word2GM(**FAST).build_vocab(CORPUS)
    before = {k: a.copy() for k, a in all_arrays(model).items()}
    with pytest.raises(ParameterError, match=f"^{name} "):
        model.train(CORPUS, **{name: value})
    assert all(np.array_equal(before[k], a) for k, a in all_arrays(model).items())
    assert model.train_calls == 0


def test_word_count_is_accepted_and_ignored_as_in_gensim():
    trained = Word2GM(**FAST).build_vocab(CORPUS)
    trained.train(CORPUS, word_count=12345, queue_factor=1)
    reference = Word2GM(**FAST).build_vocab(CORPUS)
    reference.train(CORPUS)
    assert_same_models(trained, reference)


# ---------------------------------------------------------------------------
# 2. the new settings


def test_ns_exponent_shapes_the_noise_distribution(monkeypatch):
    import w2gm.word2gm as module
    powers = []
    real = module.build_alias_table

    def recording(counts, power):
        powers.append((len(counts), power))
        return real(counts, power)

    monkeypatch.setattr(module, "build_alias_table", recording)
    flat = Word2GM(CORPUS, **dict(FAST, ns_exponent=0.0))
    skewed = Word2GM(CORPUS, **dict(FAST, ns_exponent=-1.5))
    assert powers == [(len(flat.wv), 0.0), (len(skewed.wv), -1.5)]
    assert not np.array_equal(flat.wv.means, skewed.wv.means)
    with pytest.raises(ParameterError, match=r"^ns_exponent must be >= -10 and <= 10, got 11"):
        Word2GM(ns_exponent=11)


def test_shrink_windows_false_trains_on_every_pair_of_the_full_window():
    corpus = topic_corpus(2, 200, lengths=(3, 9, 14))
    samples = {}
    for shrink in (True, False):
        model = Word2GM(corpus, **dict(FAST, window=4, negative=1, shrink_windows=shrink))
        samples[shrink] = model.last_train_stats["epoch_samples"][0]
    full = sum(min(i, 4) + min(len(s) - 1 - i, 4) for s in corpus for i in range(len(s)))
    # a negative equal to its context word is skipped (as in word2vec): at most a few percent here
    assert 0.9 * full <= samples[False] <= full
    assert samples[True] < 0.75 * samples[False]


def gensim_vocabulary(corpus, **settings):
    word2vec = pytest.importorskip("gensim.models.word2vec")
    model = word2vec.Word2Vec(vector_size=4, workers=1, **settings)
    model.build_vocab(corpus, trim_rule=settings.pop("trim_rule", None))
    return model


@pytest.mark.parametrize("limit", [30, 60, 150])
def test_max_vocab_size_prunes_during_the_scan_as_gensim(limit):
    corpus = zipf_corpus(3, 600)
    model = Word2GM(**dict(FAST, max_vocab_size=limit, sorted_vocab=False)).build_vocab(corpus)
    reference = gensim_vocabulary(corpus, min_count=1, max_vocab_size=limit, sorted_vocab=0)
    # same words, same order (first seen, a pruned word that returns goes to the end), same counts
    assert model.wv.index_to_key == reference.wv.index_to_key
    assert model.counts.tolist() == [reference.wv.get_vecattr(w, "count") for w in reference.wv.index_to_key]
    unpruned = Word2GM(**dict(FAST, sorted_vocab=False)).build_vocab(corpus)
    assert len(model.wv) < len(unpruned.wv)
    # corpus totals count every token, pruned or not
    assert model.corpus_total_words == unpruned.corpus_total_words == 6000


@pytest.mark.parametrize("limit, min_count", [(1, 1), (10, 1), (25, 3), (25, 40), (1000, 1)])
def test_max_final_vocab_raises_min_count_as_gensim(limit, min_count):
    corpus = zipf_corpus(4, 300)
    model = Word2GM(**dict(FAST, max_final_vocab=limit, min_count=min_count, sorted_vocab=False))
    model.build_vocab(corpus)
    reference = gensim_vocabulary(corpus, min_count=min_count, max_final_vocab=limit, sorted_vocab=0)
    assert model.effective_min_count == reference.effective_min_count
    assert model.wv.index_to_key == reference.wv.index_to_key
    assert len(model.wv) <= limit and model.min_count == min_count  # the setting itself is unchanged


def test_sorted_vocab_orders_by_count_else_first_seen():
    corpus = [["c", "b"], ["a", "b"], ["a", "d", "a"], ["d"]]
    unsorted = Word2GM(**dict(FAST, sorted_vocab=False)).build_vocab(corpus)
    assert unsorted.wv.index_to_key == ["c", "b", "a", "d"]
    assert unsorted.counts.tolist() == [1, 2, 3, 2]
    ordered = Word2GM(**dict(FAST, sorted_vocab=True)).build_vocab(corpus)
    assert ordered.wv.index_to_key == ["a", "b", "d", "c"]  # ties in first-seen order
    assert ordered.counts.tolist() == [3, 2, 2, 1]


def test_trim_rule_follows_gensims_protocol():
    utils = pytest.importorskip("gensim.utils")
    assert (RULE_DEFAULT, RULE_DISCARD, RULE_KEEP) == (utils.RULE_DEFAULT, utils.RULE_DISCARD,
                                                       utils.RULE_KEEP)
    corpus = zipf_corpus(5, 300)
    calls = []

    def rule(word, count, min_count):
        calls.append((type(word), type(count), min_count))
        if word == "w0":
            return utils.RULE_DISCARD  # the most frequent word goes
        if word.endswith("7"):
            return utils.RULE_KEEP  # rare words ending in 7 stay
        return utils.RULE_DEFAULT if count % 2 else None  # None is the default too

    model = Word2GM(**dict(FAST, min_count=5, sorted_vocab=False)).build_vocab(corpus, trim_rule=rule)
    assert set(calls) == {(str, int, 5)}
    reference = gensim_vocabulary(corpus, min_count=5, sorted_vocab=0, trim_rule=rule)
    assert model.wv.index_to_key == reference.wv.index_to_key
    assert "w0" not in model.wv and any(w.endswith("7") and c < 5 for w, c in counts_of(model).items())
    # with pruning, the rule also decides at every pruning (min_count = the pruning threshold)
    calls.clear()
    pruned = Word2GM(**dict(FAST, min_count=5, max_vocab_size=40, sorted_vocab=False))
    pruned.build_vocab(corpus, trim_rule=rule)
    assert {c[2] for c in calls} >= {1, 5}
    reference = gensim_vocabulary(corpus, min_count=5, max_vocab_size=40, sorted_vocab=0, trim_rule=rule)
    assert pruned.wv.index_to_key == reference.wv.index_to_key


@pytest.mark.parametrize("result", [True, 3, "keep", 2.5])
def test_trim_rule_with_another_result_is_refused_naming_the_word(result):
    model = Word2GM(**FAST).build_vocab(CORPUS)
    words = list(model.wv.index_to_key)
    with pytest.raises(ParameterError, match=r"trim_rule returned .* for 'a\d+': it must return"):
        model.build_vocab(CORPUS, trim_rule=lambda w, c, m: result)
    assert model.wv.index_to_key == words
    with pytest.raises(ParameterError, match="trim_rule must be None or a callable"):
        model.build_vocab(CORPUS, trim_rule="a rule")


def test_constructor_trim_rule_is_used_and_not_saved(tmp_path, caplog):
    model = Word2GM(CORPUS, trim_rule=lambda w, c, m: RULE_DISCARD if w.startswith("a") else None, **FAST)
    assert not any(w.startswith("a") for w in model.wv.index_to_key)
    model.save(tmp_path / "m.w2gm")
    assert "trim_rule" not in Word2GM.load(tmp_path / "m.w2gm").settings()
    with caplog.at_level(logging.WARNING, logger="w2gm"):
        Word2GM(trim_rule=lambda w, c, m: None, callbacks=[_EpochCounter()])
    assert "trim_rule is only applied" in caplog.text and "callbacks given to the constructor" in caplog.text


def test_keep_raw_vocab():
    model = Word2GM(**dict(FAST, min_count=3)).build_vocab([["a", "b", "a"], ["a", "c"]], keep_raw_vocab=True)
    assert model.raw_vocab == {"a": 3, "b": 1, "c": 1} and model.wv.index_to_key == ["a"]
    model.build_vocab([["a", "b", "a"], ["a", "c"]])
    assert model.raw_vocab == {}


NEW_SETTINGS = dict(compute_loss=False, ns_exponent=0.5, max_vocab_size=1000, max_final_vocab=40,
                    sorted_vocab=False, shrink_windows=False)


def test_new_settings_are_saved_and_loaded(tmp_path):
    model = Word2GM(CORPUS, **dict(FAST, **NEW_SETTINGS))
    model.save(tmp_path / "m.w2gm")
    loaded = Word2GM.load(tmp_path / "m.w2gm")
    for name, value in NEW_SETTINGS.items():
        assert getattr(loaded, name) == value, name
    assert loaded.settings() == model.settings()
    assert_same_models(model, loaded)


def rewrite_model_file(source, target, change):
    """Copy of a saved model with ``change(meta)`` applied to its metadata."""
    with np.load(source) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(bytes(arrays["meta_json"]).decode())
    change(meta)
    arrays["meta_json"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    with open(target, "wb") as f:
        np.savez(f, **arrays)


def test_model_file_written_before_the_new_settings_loads_with_the_defaults(tmp_path):
    model = Word2GM(CORPUS, **dict(FAST, **NEW_SETTINGS))
    model.save(tmp_path / "new.w2gm")

    def as_older_version(meta):
        for name in NEW_SETTINGS:
            del meta["settings"][name]
        del meta["running_training_loss"]

    rewrite_model_file(tmp_path / "new.w2gm", tmp_path / "old.w2gm", as_older_version)
    with np.load(tmp_path / "old.w2gm") as z:
        meta = json.loads(bytes(z["meta_json"]).decode())
    assert not set(NEW_SETTINGS) & set(meta["settings"])
    old = Word2GM.load(tmp_path / "old.w2gm")
    defaults = Word2GM()
    for name in NEW_SETTINGS:
        assert getattr(old, name) == getattr(defaults, name), name
    assert old.running_training_loss == 0.0
    assert_same_models(old, model)
    old.train(CORPUS)  # and it trains on


@pytest.mark.parametrize("value", [-1.0, float("inf"), "12", True, None])
def test_bad_running_training_loss_in_a_model_file_is_refused(tmp_path, value):
    from w2gm.exceptions import ModelFileError
    Word2GM(CORPUS, **FAST).save(tmp_path / "m.w2gm")
    rewrite_model_file(tmp_path / "m.w2gm", tmp_path / "bad.w2gm",
                       lambda meta: meta.__setitem__("running_training_loss", value))
    with pytest.raises(ModelFileError, match="running_training_loss"):
        Word2GM.load(tmp_path / "bad.w2gm")


# ---------------------------------------------------------------------------
# 3. corpus size against the totals: schedule, progress and warnings


def alpha_at(model, progress):
    return model.alpha - (model.alpha - model.min_alpha) * progress


def test_corpus_larger_than_the_totals_keeps_the_schedule_and_warns(recorded_jobs, caplog):
    model = Word2GM(**dict(FAST, epochs=3, alpha=0.1, min_alpha=0.001)).build_vocab(CORPUS)
    marks = EpochMarks(recorded_jobs)
    twice = CORPUS + CORPUS  # the vocabulary was built from half of it
    with caplog.at_level(logging.INFO, logger="w2gm"), pytest.warns(RuntimeWarning) as record:
        model.train(twice, callbacks=[marks], report_delay=0.0)
    messages = [str(w.message) for w in record]
    assert len(messages) == 1 and messages[0].startswith(
        f"epoch 1 of the corpus had {2 * model.corpus_total_words} raw words, not total_words="
        f"{model.corpus_total_words}")
    assert record[0].filename == __file__  # points at the caller of train
    assert caplog.text.count("supplied raw word count (6400) did not equal expected count (3200)") == 3
    assert "PROGRESS: at" in caplog.text
    first, second, third = (recorded_jobs[a:b] for a, b in zip([0] + marks.ends, marks.ends))
    assert len(first) == len(second) == len(third) == 32  # 6400 words in jobs of 200 vocabulary words
    # epoch 1 expected 3200 words: its second half holds the rate reached at 1/3 of the call
    assert first[15]["alpha_end"] == pytest.approx(alpha_at(model, 1 / 3), rel=1e-12)
    assert all(job["alpha_end"] == pytest.approx(alpha_at(model, 1 / 3), rel=1e-12) for job in first[16:])
    # epoch 2 expects the real size: it runs from 1/3 to 2/3 and never near end_alpha (the former
    # whole-call fraction reached end_alpha in the middle of epoch 2 and stayed there)
    assert second[0]["alpha_start"] == pytest.approx(alpha_at(model, 1 / 3), rel=1e-12)
    assert second[15]["alpha_end"] == pytest.approx(alpha_at(model, 1 / 3 + 1 / 6), rel=1e-12)
    assert second[-1]["alpha_end"] == pytest.approx(alpha_at(model, 2 / 3), rel=1e-12)
    assert min(job["alpha_end"] for job in second) > alpha_at(model, 0.67) > 10 * model.min_alpha
    assert third[-1]["alpha_end"] == pytest.approx(model.min_alpha, abs=1e-15)
    starts = [job["alpha_start"] for job in recorded_jobs]
    assert starts == sorted(starts, reverse=True)


def test_progress_counts_sentences_when_total_examples_is_given(recorded_jobs):
    corpus = topic_corpus(6, 300, lengths=(2, 5, 14, 3))  # sentence lengths vary: words != sentences
    model = Word2GM(**dict(FAST, epochs=2)).build_vocab(corpus)
    marks = EpochMarks(recorded_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the right totals: no warning
        model.train(corpus, total_examples=model.corpus_count, total_words=model.corpus_total_words,
                    epochs=2, callbacks=[marks])
    done = 0
    for job in recorded_jobs[:marks.ends[0]]:
        assert job["alpha_start"] == pytest.approx(alpha_at(model, done / 300 / 2), rel=1e-12)
        done += job["sentences"]
        assert job["alpha_end"] == pytest.approx(alpha_at(model, done / 300 / 2), rel=1e-12)
    assert done == 300
    # and twice the sentences: the sentence count is what is reported and followed
    recorded_jobs.clear()
    marks.ends.clear()
    with pytest.warns(RuntimeWarning, match="had 600 sentences, not total_examples=300"):
        model.train(corpus + corpus, total_examples=model.corpus_count, epochs=2, callbacks=[marks])
    assert recorded_jobs[marks.ends[0] - 1]["alpha_end"] == pytest.approx(alpha_at(model, 0.5), rel=1e-12)
    assert recorded_jobs[-1]["alpha_end"] == pytest.approx(model.min_alpha, abs=1e-15)


def test_corpus_smaller_than_the_totals_reaches_end_alpha(recorded_jobs):
    model = Word2GM(**dict(FAST, epochs=2)).build_vocab(CORPUS)
    marks = EpochMarks(recorded_jobs)
    with pytest.warns(RuntimeWarning, match="1600 raw words, not total_words=3200"):
        model.train(CORPUS[:200], callbacks=[marks])
    # epoch 1 expected twice its size: it stops at 1/4; epoch 2 expects the real size
    assert recorded_jobs[marks.ends[0] - 1]["alpha_end"] == pytest.approx(alpha_at(model, 0.25), rel=1e-12)
    assert recorded_jobs[-1]["alpha_end"] == pytest.approx(model.min_alpha, abs=1e-15)


# ---------------------------------------------------------------------------
# 4. build_vocab(update=True)


OLD_CORPUS = topic_corpus(7, 300, topics="ab")
NEW_CORPUS = topic_corpus(8, 200, topics="bc", topic_size=15) + [["a1", "rare"]]


def test_update_before_any_vocabulary_raises():
    with pytest.raises(NotTrainedError, match=r"build_vocab\(update=True\) needs a vocabulary"):
        Word2GM(**FAST).build_vocab(CORPUS, update=True)


@pytest.mark.parametrize("extra", [dict(), dict(separate_output=True), dict(optimizer="sgd"),
                                   dict(covariance="diagonal", separate_output=True)],
                         ids=["adagrad", "adagrad-separate", "sgd", "diagonal-separate"])
def test_update_appends_new_words_and_keeps_the_old_ones_bit_for_bit(tmp_path, extra):
    settings = dict(FAST, min_count=2, mu_scale=0.5, var_scale=0.3, adagrad_initial_accumulator=0.7,
                    **extra)
    model = Word2GM(OLD_CORPUS, **settings)
    old_words = list(model.wv.index_to_key)
    old_counts = counts_of(model)
    old_arrays = {k: a.copy() for k, a in all_arrays(model).items()}
    history = (list(model.training_loss), model.epochs_trained)
    model.build_vocab(NEW_CORPUS, update=True)
    V, n_new = len(old_words), len(model.wv) - len(old_words)
    new_counts = {}
    for sentence in NEW_CORPUS:
        for w in sentence:
            new_counts[w] = new_counts.get(w, 0) + 1
    added = [w for w in dict.fromkeys(w for s in NEW_CORPUS for w in s) if w not in old_counts
             and new_counts[w] >= 2]
    assert model.wv.index_to_key == old_words + added and n_new == len(added) > 0
    assert "rare" not in model.wv  # below min_count in the new corpus
    # counts: old words gain their whole count in the new corpus (also "a1", seen once there)
    expected = {w: old_counts.get(w, 0) + new_counts.get(w, 0) for w in model.wv.index_to_key}
    assert counts_of(model) == expected and np.array_equal(model.wv.counts, model.counts)
    assert (model.corpus_count, model.corpus_total_words) == (len(NEW_CORPUS), 8 * 200 + 2)
    assert (model.training_loss, model.epochs_trained) == history
    K, D = model.num_mixtures, model.vector_size
    bound = model.mu_scale * math.sqrt(3.0 / D)
    for name, array in all_arrays(model).items():
        assert array.shape[0] == V + n_new and array.dtype == np.float32 and array.flags.c_contiguous
        assert np.array_equal(array[:V], old_arrays[name]), name  # bit for bit
        fresh = array[V:]
        if name.startswith("adagrad_"):
            assert np.all(fresh == np.float32(model.adagrad_initial_accumulator)), name
        elif name.startswith("means"):
            assert fresh.shape == (n_new, K, D) and np.abs(fresh).max() <= bound and fresh.std() > 0.1 * bound
        elif name.startswith("log_variances"):
            assert np.all(fresh == np.float32(math.log(model.var_scale))), name
        else:
            assert np.all(fresh == 0), name
    if model.params_out is not None:  # the two sides draw different initial means
        assert not np.array_equal(model.wv.means[V:], model.params_out.means[V:])
    # the new words train
    initial = model.wv.means[V:].copy()
    model.train(NEW_CORPUS, total_examples=model.corpus_count, epochs=1)
    assert np.all(np.any(model.wv.means[V:] != initial, axis=(1, 2)))
    assert model.most_similar("c1", topn=3)
    # save and load keep the grown model
    model.save(tmp_path / "updated.w2gm")
    loaded = Word2GM.load(tmp_path / "updated.w2gm")
    assert_same_models(model, loaded)
    assert counts_of(loaded) == counts_of(model)


def test_update_counts_and_order_match_gensim():
    word2vec = pytest.importorskip("gensim.models.word2vec")
    reference = word2vec.Word2Vec(vector_size=4, min_count=2, workers=1, sorted_vocab=0)
    reference.build_vocab(OLD_CORPUS)
    reference.build_vocab(NEW_CORPUS, update=True)
    model = Word2GM(**dict(FAST, min_count=2, sorted_vocab=False)).build_vocab(OLD_CORPUS)
    model.build_vocab(NEW_CORPUS, update=True)
    assert model.wv.index_to_key == reference.wv.index_to_key
    assert model.counts.tolist() == [reference.wv.get_vecattr(w, "count") for w in reference.wv.index_to_key]
    assert (model.corpus_count, model.corpus_total_words) == (reference.corpus_count,
                                                               reference.corpus_total_words)


def test_update_rebuilds_the_sampling_tables_from_the_new_counts(monkeypatch):
    import w2gm.word2gm as module
    seen = []
    real = module.build_alias_table
    monkeypatch.setattr(module, "build_alias_table",
                        lambda counts, power: seen.append(np.array(counts)) or real(counts, power))
    model = Word2GM(OLD_CORPUS, **dict(FAST, min_count=2))
    model.build_vocab(NEW_CORPUS, update=True)
    model.train(NEW_CORPUS)
    assert len(seen) == 2 and np.array_equal(seen[1], model.counts) and len(seen[1]) > len(seen[0])


def test_failed_update_leaves_the_model_unchanged():
    model = Word2GM(OLD_CORPUS, **dict(FAST, min_count=2))
    words, arrays, counts = list(model.wv.index_to_key), all_arrays(model), model.counts.copy()
    wv = model.wv
    with pytest.raises(EmptyVocabularyError, match="empty"):
        model.build_vocab([[]], update=True)
    with pytest.raises(CorpusError, match="lone surrogate"):
        model.build_vocab([["caf\udce9", "caf\udce9"]], update=True)
    # a word whose count (from a huge earlier corpus) would pass 2**63 - 1
    model.counts[0] = 2**63 - 2
    counts[0] = 2**63 - 2
    with pytest.raises(ParameterError, match=rf"the count of {words[0]!r} would exceed 2\*\*63 - 1 "
                                             rf"\(9223372036854775806 \+ 2\)"):
        model.build_vocab([[words[0], "new", words[0], "new"]], update=True)
    assert model.wv is wv and model.wv.index_to_key == words
    assert np.array_equal(model.counts, counts)
    assert all(a is arrays[k] for k, a in all_arrays(model).items())


# ---------------------------------------------------------------------------
# 5. callbacks and the running loss


def test_gensim_callback_records_the_running_loss_per_epoch():
    callbacks = pytest.importorskip("gensim.models.callbacks")

    class LossLogger(callbacks.CallbackAny2Vec):
        def __init__(self):
            self.at_begin, self.losses = [], []

        def on_train_begin(self, model):
            self.at_begin.append(model.get_latest_training_loss())

        def on_epoch_end(self, model):
            self.losses.append(model.get_latest_training_loss())

    model = Word2GM(**dict(FAST, epochs=3)).build_vocab(CORPUS)
    logger = LossLogger()
    for _ in range(2):
        model.train(CORPUS, total_examples=model.corpus_count, epochs=model.epochs, callbacks=[logger])
    assert logger.at_begin == [0.0, 0.0]  # reset by every train call
    first, second = logger.losses[:3], logger.losses[3:]
    stats = model.last_train_stats
    sums = np.cumsum(np.array(stats["epoch_loss"]) * np.array(stats["epoch_samples"]))
    assert second == pytest.approx(sums.tolist(), rel=1e-9)
    assert first[0] < first[1] < first[2] and second[0] < second[1] < second[2]
    assert type(model.running_training_loss) is float and model.get_latest_training_loss() == second[-1]


def test_compute_loss_false_keeps_the_running_loss_at_zero():
    model = Word2GM(CORPUS, **dict(FAST, compute_loss=False))
    assert model.get_latest_training_loss() == 0.0 and model.training_loss[0] > 0
    model.train(CORPUS, compute_loss=True)  # for this call only
    assert model.get_latest_training_loss() > 0 and model.compute_loss is False
    model.train(CORPUS)
    assert model.get_latest_training_loss() == 0.0


def test_running_loss_does_not_saturate_like_gensims_float32(monkeypatch):
    """gensim issue #2735: its float32 tally stops growing once large; the float64 sum goes on."""
    jobs = []
    offset = 2.0**36  # a float32 at 2**36 has a spacing of 8192: job losses of a few thousand vanish
    real = Word2GM._kernel_state
    monkeypatch.setattr(Word2GM, "_kernel_state",
                        lambda self: RecordingKernel(real(self), jobs, first_loss_offset=offset))
    model = Word2GM(CORPUS, **dict(FAST, epochs=2))
    losses = [job["loss"] for job in jobs]
    assert len(losses) == 32 and max(losses[1:]) < 4096
    exact = math.fsum(losses)
    assert model.get_latest_training_loss() == pytest.approx(exact, abs=1e-4)
    float32_tally = np.float32(0)
    for loss in losses:
        float32_tally = np.float32(float32_tally + np.float32(loss))
    assert abs(float(float32_tally) - exact) > 0.5 * (exact - offset)  # what a float32 tally would lose


# ---------------------------------------------------------------------------
# 6. the query pass-throughs


def test_queries_delegate_every_argument_to_wv():
    model = Word2GM(CORPUS, **FAST)
    assert model.most_similar("a1", topn=3) == model.wv.most_similar("a1", topn=3)
    assert model.similarity("a1", "b2") == model.wv.similarity("a1", "b2")

    class Recorder:
        def __getattr__(self, name):
            return lambda *args, **kwargs: (name, args, kwargs)

    model.wv = Recorder()
    for name in ("most_similar", "similarity", "evaluate_word_pairs"):
        assert getattr(model, name)("x", 1, metric="m", anything=io) == (name, ("x", 1),
                                                                           {"metric": "m", "anything": io})
    with pytest.raises(NotTrainedError, match="no vocabulary yet"):
        Word2GM(**FAST).most_similar("a1")
    assert "a1" not in Word2GM(**FAST)


def test_every_setting_is_a_constructor_parameter_and_an_attribute():
    model = Word2GM()
    sig = inspect.signature(Word2GM.__init__).parameters
    for name in SETTING_NAMES:
        assert name in sig and hasattr(model, name), name


def test_build_vocab_arguments_are_checked_and_progress_is_logged_per_sentences(caplog):
    model = Word2GM(**FAST)
    for name, value in (("progress_per", 0), ("progress_per", 1.5), ("update", 2), ("keep_raw_vocab", "no")):
        with pytest.raises(ParameterError, match=f"^{name} must be"):
            model.build_vocab(CORPUS, **{name: value})
    assert model.wv is None
    with caplog.at_level(logging.INFO, logger="w2gm"):
        model.build_vocab(CORPUS, progress_per=150)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("vocabulary scan:")]
    assert lines == ["vocabulary scan: 150 sentences, 1200 words, 48 distinct",
                     "vocabulary scan: 300 sentences, 2400 words, 48 distinct"]


# ---------------------------------------------------------------------------
# build_vocab_from_freq and gensim's attribute names


def test_build_vocab_from_freq_equals_build_vocab_on_the_counted_corpus():
    from collections import Counter
    freq = Counter(w for s in CORPUS for w in s)
    scanned = Word2GM(**dict(FAST, min_count=3)).build_vocab(CORPUS)
    counted = Word2GM(**dict(FAST, min_count=3)).build_vocab_from_freq(dict(freq), corpus_count=len(CORPUS))
    assert_same_models(scanned, counted)
    assert (counted.corpus_count, counted.corpus_total_words) == (len(CORPUS), 8 * len(CORPUS))
    assert counts_of(counted) == {w: c for w, c in freq.items() if c >= 3}
    # and it trains like the scanned model
    scanned.train(CORPUS, total_examples=len(CORPUS), epochs=1)
    counted.train(CORPUS, total_examples=len(CORPUS), epochs=1)
    assert_same_models(scanned, counted)
    assert counted.train_count == 1 and counted.total_train_time > 0


def test_build_vocab_from_freq_update_adds_counts_and_words():
    model = Word2GM(**FAST).build_vocab_from_freq({"a": 5, "b": 3})
    before = model.wv.means.copy()
    model.build_vocab_from_freq({"b": 2, "c": 4}, update=True)
    assert counts_of(model) == {"a": 5, "b": 5, "c": 4}
    assert np.array_equal(model.wv.means[:2], before)


@pytest.mark.parametrize("word_freq, match", [
    ([("a", 1)], "mapping"), ({"a": 0}, "'a': 0"), ({"a": 1.5}, "'a': 1.5"), ({1: 3}, "1: 3"),
    ({"a": True}, "'a': True"), ({"a": 2**62, "b": 2**62, "c": 2**62}, "more than 2"),
])
def test_build_vocab_from_freq_refuses_bad_counts(word_freq, match):
    model = Word2GM(**FAST)
    with pytest.raises(ParameterError, match=match):
        model.build_vocab_from_freq(word_freq)
    assert model.wv is None


def test_callbacks_query_the_current_vectors_at_every_epoch():
    """wv.vectors and most_similar (cached) are recomputed between epochs, not frozen at the first."""
    seen = []

    class Snapshot:
        def on_epoch_end(self, model):
            seen.append((model.wv.vectors[0].copy(), model.wv.most_similar(model.wv.index_to_key[0], topn=3)))

    model = Word2GM(**dict(FAST, epochs=3)).build_vocab(CORPUS)
    model.train(CORPUS, epochs=3, callbacks=[Snapshot()])
    assert len(seen) == 3
    assert not np.array_equal(seen[0][0], seen[1][0]) and not np.array_equal(seen[1][0], seen[2][0])
    assert seen[0][1] != seen[2][1]
    # the last epoch's view is the trained model's
    assert np.array_equal(seen[2][0], model.wv.vectors[0])
    assert seen[2][1] == model.wv.most_similar(model.wv.index_to_key[0], topn=3)


@pytest.mark.parametrize("name, value, built", [
    ("vector_size", 8, "4"), ("num_mixtures", 3, "2"), ("covariance", "diagonal", "'spherical'"),
    ("optimizer", "sgd", "'adagrad'"), ("separate_output", True, "False"),
])
def test_a_setting_that_fixes_the_arrays_cannot_change_after_build_vocab(tmp_path, name, value, built):
    """save() would write a file that does not load; train() would use arrays the settings do not fit."""
    model = Word2GM(**dict(FAST, vector_size=4, num_mixtures=2, covariance="spherical", optimizer="adagrad",
                           separate_output=False)).build_vocab(CORPUS)
    model.save(tmp_path / "m.w2gm")
    saved = (tmp_path / "m.w2gm").read_bytes()
    setattr(model, name, value)
    message = f"{name} is {value!r} but the parameters were created with {built}"
    for call in (lambda: model.train(CORPUS), lambda: model.save(tmp_path / "m.w2gm"),
                 lambda: model.build_vocab(CORPUS, update=True)):
        with pytest.raises(ParameterError, match=re.escape(message)):
            call()
    assert (tmp_path / "m.w2gm").read_bytes() == saved
    setattr(model, name, Word2GM.load(tmp_path / "m.w2gm").settings()[name])  # set back: works again
    model.train(CORPUS)


def test_train_records_are_none_before_the_first_train_call(tmp_path):
    model = Word2GM(**FAST)
    assert model.last_train_stats is None and model.train_seconds is None
    model.build_vocab(CORPUS).save(tmp_path / "m.w2gm")
    loaded = Word2GM.load(tmp_path / "m.w2gm")
    assert loaded.last_train_stats is None and loaded.train_seconds is None
    loaded.train(CORPUS)
    assert loaded.last_train_stats["raw_words"] > 0 and loaded.train_seconds > 0
