"""The held-out objective (``heldout_fraction``, ``heldout_triples``; w2gm.heldout)."""

import warnings

import numpy as np
import pytest
from reference import loss as reference_loss
from w2gm._train_inner import loss_and_grads

from w2gm import Word2GM
from w2gm.exceptions import NotTrainedError, ParameterError
from w2gm.heldout import HeldOutTriples, draw_triples, heldout_threshold, is_held_out, mean_loss
from w2gm.parameters import MixtureParameters
from w2gm.settings import DEFAULTS, settings_from_json

SEED = 7
FRACTION = 0.2


def is_held(n, seed=SEED, fraction=FRACTION):
    return is_held_out(n, seed, heldout_threshold(fraction))


def split_corpus(n_sentences=600, seed=SEED, fraction=FRACTION):
    """Trained sentences use words t0..t29; each held-out sentence has its own words h<n>_<i>."""
    rng = np.random.default_rng(0)
    sentences, held = [], []
    for n in range(n_sentences):
        if is_held(n, seed, fraction):
            sentence = [f"h{n}_{i}" for i in range(6)]
            held.append(n)
        else:
            sentence = [f"t{j}" for j in rng.integers(0, 30, size=12)]
        sentences.append(sentence)
    return sentences, held


def model(**kwargs):
    settings = dict(num_mixtures=2, vector_size=4, min_count=1, sample=0, workers=1, epochs=2, seed=SEED,
                    separate_output=True, batch_words=50, heldout_triples=500)
    settings.update(kwargs)
    return Word2GM(**settings)


def input_rows(m, words):
    idx = [m.wv.key_to_index[w] for w in words]
    arrays = [m.wv.means, m.wv.log_variances, m.wv.logits]
    if m.accumulators_in is not None:
        arrays += list(m.accumulators_in)
    return [a[idx].copy() for a in arrays]


# ------------------------------------------------------------------ the split
def test_selection_is_deterministic_and_about_the_fraction():
    chosen = [is_held(n) for n in range(20000)]
    assert chosen == [is_held(n) for n in range(20000)]
    assert 0.19 < np.mean(chosen) < 0.21
    assert chosen != [is_held(n, seed=SEED + 1) for n in range(20000)]
    assert not any(is_held(n, fraction=0.0) for n in range(1000))


@pytest.mark.parametrize("fraction", [FRACTION, 0.0])
def test_held_out_sentences_never_reach_the_kernel(fraction):
    sentences, held = split_corpus()
    assert held
    m = model(heldout_fraction=fraction)
    m.build_vocab(sentences)
    words = [w for n in held for w in sentences[n]]
    before = input_rows(m, words)
    m.train(sentences, total_examples=len(sentences))
    after = input_rows(m, words)
    same = all(np.array_equal(a, b) for a, b in zip(before, after))
    # with the split their input rows keep their initial values bit for bit; without it they train
    assert same == (fraction > 0)


def test_held_out_tail_of_a_corpus_file_never_reaches_the_kernel(tmp_path):
    rng = np.random.default_rng(1)
    lines = [" ".join(f"t{j}" for j in rng.integers(0, 30, size=12)) for _ in range(400)]
    tail = [" ".join(f"h{n}_{i}" for i in range(6)) for n in range(200)]
    path = tmp_path / "corpus.txt"
    text = "\n".join(lines + tail) + "\n"
    path.write_text(text, encoding="utf-8")
    # the held-out part: from the first token start at or after 80% of the bytes
    split = min(text.index(" ", int(len(text) * 0.8) - 1), text.index("\n", int(len(text) * 0.8) - 1)) + 1
    assert split > len("\n".join(lines))  # inside the tail lines
    m = model(heldout_fraction=0.2, workers=2)
    m.build_vocab(corpus_file=str(path))
    n_sentences = m.corpus_count
    held = text[split:].split()
    words = [w for line in tail for w in line.split()]
    before = input_rows(m, words)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the held-out tail counts in the totals: no size warning
        m.train(corpus_file=str(path), total_words=m.corpus_total_words, total_examples=n_sentences)
    after = input_rows(m, words)
    unchanged = [all(np.array_equal(a[i], b[i]) for a, b in zip(before, after)) for i in range(len(words))]
    # exactly the words of the held-out bytes keep their input rows
    assert unchanged == [w in held for w in words] and any(unchanged) and not all(unchanged)
    assert len(m.heldout_loss_history) == 2 and all(np.isfinite(m.heldout_loss_history))
    sample = m.heldout_sample
    assert len(sample) > 0
    tail_ids = {m.wv.key_to_index[w] for w in held}
    assert set(sample.w.tolist()) <= tail_ids and set(sample.c.tolist()) <= tail_ids


def test_triples_come_from_held_out_sentences_and_stay_fixed():
    sentences, held = split_corpus()
    m = model(heldout_fraction=FRACTION, epochs=3)
    m.build_vocab(sentences)
    seen = []

    class Record:
        def on_epoch_end(self, model):
            s = model.heldout_sample
            seen.append((s.w.copy(), s.c.copy(), s.negative.copy(), model.heldout_loss()))

    losses = m.train(sentences, total_examples=len(sentences), callbacks=[Record()])
    assert len(losses) == 3 and len(seen) == 3
    for w, c, negative, _ in seen[1:]:
        assert np.array_equal(w, seen[0][0]) and np.array_equal(c, seen[0][1])
        assert np.array_equal(negative, seen[0][2])
    held_ids = {m.wv.key_to_index[w] for n in held for w in sentences[n]}
    assert set(seen[0][0].tolist()) <= held_ids and set(seen[0][1].tolist()) <= held_ids
    assert not np.any(seen[0][1] == seen[0][2])
    assert m.heldout_loss_history == [x[3] for x in seen]
    assert m.last_train_stats["epoch_heldout_loss"] == m.heldout_loss_history
    # a second call keeps the sample; a second model with the same seed draws the same one
    m.train(sentences, total_examples=len(sentences), epochs=1)
    assert np.array_equal(m.heldout_sample.w, seen[0][0]) and len(m.heldout_loss_history) == 4
    other = model(heldout_fraction=FRACTION, epochs=1)
    other.build_vocab(sentences)
    other.train(sentences, total_examples=len(sentences))
    assert np.array_equal(other.heldout_sample.w, seen[0][0])
    assert np.array_equal(other.heldout_sample.negative, seen[0][2])


def test_progress_callbacks_see_the_latest_held_out_loss():
    sentences, _ = split_corpus()
    m = model(heldout_fraction=FRACTION, epochs=2)
    m.build_vocab(sentences)
    reports = []

    class Record:
        def on_progress(self, model, progress):
            reports.append((progress.epoch, progress.heldout_loss))

    m.train(sentences, total_examples=len(sentences), callbacks=[Record()], report_delay=0)
    assert all(np.isnan(x) for e, x in reports if e == 0)
    assert [x for e, x in reports if e == 1] and all(
        x == m.heldout_loss_history[0] for e, x in reports if e == 1)


def test_no_words_held_out_then_no_sample_and_a_warning():
    sentences = [["a", "b", "c", "d"]] * 20
    m = model(heldout_fraction=0.01, epochs=1)
    m.build_vocab(sentences)
    assert not any(is_held(n, fraction=0.01) for n in range(20))
    with pytest.warns(RuntimeWarning, match="no \\(w, c, c'\\) triple"):
        m.train(sentences, total_examples=20)
    assert len(m.heldout_sample) == 0 and np.isnan(m.heldout_loss_history[0])


def test_off_by_default_and_no_history():
    sentences, _ = split_corpus(200)
    assert (Word2GM().heldout_fraction, Word2GM().heldout_triples) == (0.0, 100_000)
    m = model(epochs=1)
    m.build_vocab(sentences)
    m.train(sentences, total_examples=len(sentences))
    assert m.heldout_loss_history == [] and m.heldout_sample is None
    with pytest.raises(NotTrainedError):
        m.heldout_loss()


def test_off_is_bit_identical_to_a_model_without_the_settings():
    sentences, _ = split_corpus(300)
    a = model(epochs=2, separate_output=False)
    b = model(epochs=2, separate_output=False, heldout_fraction=0.0, heldout_triples=7)
    for m in (a, b):
        m.build_vocab(sentences)
        m.train(sentences, total_examples=len(sentences))
    for x, y in zip(a.params_in, b.params_in):
        assert np.array_equal(x, y)
    # and a split changes the training
    c = model(epochs=2, separate_output=False, heldout_fraction=FRACTION)
    c.build_vocab(sentences)
    c.train(sentences, total_examples=len(sentences))
    assert not np.array_equal(a.wv.means, c.wv.means)


# ------------------------------------------------------------------ the loss
@pytest.mark.parametrize("covariance", ["spherical", "diagonal"])
@pytest.mark.parametrize("K", [1, 2, 3])
@pytest.mark.parametrize("max_pe", [False, True], ids=["logsumexp", "max_partial_energy"])
def test_mean_loss_equals_the_float64_reference(covariance, K, max_pe):
    rng = np.random.default_rng(K)
    V, D = 6, 3
    Dv = 1 if covariance == "spherical" else D

    def params():
        return MixtureParameters(rng.normal(0, 1.5, (V, K, D)).astype(np.float32),
                                 rng.normal(-0.5, 0.5, (V, K, Dv)).astype(np.float32),
                                 rng.normal(0, 1, (V, K)).astype(np.float32))

    p_in, p_out = params(), params()
    w, c, n = (rng.integers(0, V, 300).astype(np.int32) for _ in range(3))
    triples = HeldOutTriples(w, c, n, 0)
    margin, eps = 0.5, 1e-3

    def row(p, i):
        return tuple(np.asarray(a[i], dtype=np.float64) for a in p)

    kernel = [loss_and_grads(row(p_in, a), row(p_out, b), row(p_out, d), margin, eps, max_pe)[0]
              for a, b, d in zip(w, c, n)]
    paper = [reference_loss(row(p_in, a), row(p_out, b), row(p_out, d), margin, eps, max_pe)
             for a, b, d in zip(w, c, n)]
    got = mean_loss(p_in, p_out, triples, margin, eps, max_partial_energy=max_pe)
    assert 0 < got and any(x == 0 for x in kernel)  # both sides of the hinge occur
    assert got == pytest.approx(np.mean(kernel), rel=1e-12, abs=1e-12)
    assert got == pytest.approx(np.mean(paper), rel=1e-9)


def test_model_heldout_loss_uses_margin_eps_and_output_side():
    sentences, _ = split_corpus()
    m = model(heldout_fraction=FRACTION, epochs=1, margin=1.5, eps=1e-3)
    m.build_vocab(sentences)
    m.train(sentences, total_examples=len(sentences))
    s = m.heldout_sample
    expected = np.mean([loss_and_grads(tuple(np.float64(a[i]) for a in m.params_in),
                                       tuple(np.float64(a[j]) for a in m.params_out),
                                       tuple(np.float64(a[k]) for a in m.params_out), 1.5, 1e-3)[0]
                        for i, j, k in zip(s.w, s.c, s.negative)])
    assert m.heldout_loss_history[-1] == pytest.approx(expected, rel=1e-12)
    assert m.heldout_loss() == m.heldout_loss_history[-1]


def test_draw_triples_respects_windows_sentences_and_size():
    words = np.arange(40, dtype=np.int32)
    ends = np.array([10, 25, 40], dtype=np.int64)
    thresholds = np.full(40, 0xFFFFFFFF, dtype=np.uint32)
    alias_prob = np.full(40, 0xFFFFFFFF, dtype=np.uint32)
    alias_index = np.arange(40, dtype=np.int32)
    all_pairs = draw_triples(words, ends, thresholds, alias_prob, alias_index, 2, False, 10**6, 3)
    # full windows of 2 inside sentences of 10, 15 and 15 words: 2 * (2n - 3) pairs each
    assert len(all_pairs) <= 2 * (17 + 27 + 27)
    sentence = np.searchsorted(ends, np.arange(40), side="right")
    assert np.all(sentence[all_pairs.w] == sentence[all_pairs.c])
    assert np.all((np.abs(all_pairs.w - all_pairs.c) >= 1) & (np.abs(all_pairs.w - all_pairs.c) <= 2))
    some = draw_triples(words, ends, thresholds, alias_prob, alias_index, 2, True, 20, 3)
    assert len(some) <= 20 and len(some) >= 15


def outside_noise(V):
    """A noise table over V + 1 words that always draws word V (never a context word of 0..V-1)."""
    return np.zeros(V + 1, dtype=np.uint32), np.full(V + 1, V, dtype=np.int32)


def test_draw_triples_full_windows_give_every_pair_exactly_once():
    words = np.arange(40, dtype=np.int32)
    ends = np.array([10, 25, 40], dtype=np.int64)
    keep = np.full(41, 0xFFFFFFFF, dtype=np.uint32)
    full = draw_triples(words, ends, keep, *outside_noise(40), 2, False, 10**6, 3)
    # full windows of 2 inside sentences of 10, 15 and 15 words: 2 * (2n - 3) pairs each, all kept
    expected = {(i, j) for lo, hi in [(0, 10), (10, 25), (25, 40)] for i in range(lo, hi)
                for j in range(max(lo, i - 2), min(hi, i + 3)) if j != i}
    assert len(expected) == 2 * (17 + 27 + 27) == len(full)
    assert set(zip(full.w.tolist(), full.c.tolist())) == expected
    assert np.all(full.negative == 40) and full.words == 40
    # shrunk windows (uniform in 1..2) form fewer pairs, every one of them among the full ones
    shrunk = draw_triples(words, ends, keep, *outside_noise(40), 2, True, 10**6, 3)
    pairs = set(zip(shrunk.w.tolist(), shrunk.c.tolist()))
    assert len(pairs) == len(shrunk) and pairs < expected and len(shrunk) < 0.9 * len(expected)


def test_draw_triples_subsamples_with_the_thresholds():
    rng = np.random.default_rng(5)
    words = rng.integers(0, 10, size=2000).astype(np.int32)
    ends = np.arange(50, 2001, 50, dtype=np.int64)
    thresholds = np.full(11, 0xFFFFFFFF, dtype=np.uint32)
    thresholds[[1, 4, 7]] = 0        # never kept
    thresholds[[2, 3]] = 2**31       # kept half the time
    triples = draw_triples(words, ends, thresholds, *outside_noise(10), 3, False, 10**6, 1)
    seen = np.concatenate([triples.w, triples.c])
    assert len(triples) > 1000 and not np.isin(seen, [1, 4, 7]).any()
    counts = np.bincount(triples.w, minlength=10)
    # a centre word is kept with probability 1 or 1/2, and its neighbours at distance <= 3 likewise
    assert 0.35 < counts[2] / counts[0] < 0.65 and 0.35 < counts[3] / counts[5] < 0.65


def test_draw_triples_drops_the_triples_whose_negative_is_the_context():
    rng = np.random.default_rng(6)
    words = rng.integers(0, 2, size=400).astype(np.int32)
    ends = np.array([200, 400], dtype=np.int64)
    keep = np.full(2, 0xFFFFFFFF, dtype=np.uint32)
    uniform = np.full(2, 0xFFFFFFFF, dtype=np.uint32), np.arange(2, dtype=np.int32)
    triples = draw_triples(words, ends, keep, *uniform, 2, False, 10**6, 4)
    n_pairs = 2 * (2 * 200 - 3) * 2
    # about half of the pairs draw c' == c over two words: none of them is kept
    assert 0.4 * n_pairs < len(triples) < 0.6 * n_pairs
    assert not np.any(triples.negative == triples.c)


# ------------------------------------------------------------------ settings
@pytest.mark.parametrize("name, value", [("heldout_fraction", -0.1), ("heldout_fraction", 0.6),
                                         ("heldout_fraction", float("nan")), ("heldout_fraction", "0.1"),
                                         ("heldout_triples", 0), ("heldout_triples", 1.5),
                                         ("heldout_triples", 10**9), ("heldout_fraction", 1e-25),
                                         ("heldout_fraction", 9.9e-10)])
def test_bad_values_raise_parameter_error_naming_them(name, value):
    with pytest.raises(ParameterError, match=name):
        Word2GM(**{name: value})


def test_a_tiny_fraction_is_refused_naming_the_value_and_the_smallest_is_taken():
    with pytest.raises(ParameterError, match="heldout_fraction.*1e-25.*hold out nothing"):
        Word2GM(heldout_fraction=1e-25)
    assert Word2GM(heldout_fraction=1e-9).heldout_fraction == 1e-9 and heldout_threshold(1e-9) > 0


def test_settings_and_history_survive_save_and_load(tmp_path):
    sentences, _ = split_corpus()
    m = model(heldout_fraction=0.25, heldout_triples=321, epochs=2)
    m.build_vocab(sentences)
    m.train(sentences, total_examples=len(sentences))
    m.save(tmp_path / "m.w2gm")
    loaded = Word2GM.load(tmp_path / "m.w2gm")
    assert (loaded.heldout_fraction, loaded.heldout_triples) == (0.25, 321)
    assert loaded.heldout_loss_history == m.heldout_loss_history and len(m.heldout_loss_history) == 2


def test_older_settings_records_load_with_the_defaults():
    record = {k: v for k, v in DEFAULTS.items() if not k.startswith("heldout")}
    values = settings_from_json(record)
    assert (values["heldout_fraction"], values["heldout_triples"]) == (0.0, 100_000)


def test_cli_has_the_option():
    import argparse

    from w2gm.settings import add_arguments
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--heldout-fraction", "0.05", "--heldout-triples", "1000"])
    assert (args.heldout_fraction, args.heldout_triples) == (0.05, 1000)


def test_trailing_held_out_sentences_count_in_the_totals():
    sentences, held = split_corpus()
    corpus = sentences[:max(held) + 1]  # ends with held-out sentences, after a closed batch
    m = model(heldout_fraction=FRACTION, batch_words=1, epochs=2)
    m.build_vocab(corpus)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # read sentences and raw words match the totals
        m.train(corpus, total_examples=len(corpus))
        m.train(corpus, total_words=sum(map(len, corpus)))
    assert m.last_train_stats["examples"] == 2 * len(corpus)


def test_a_one_line_corpus_file_is_cut_between_tokens(tmp_path):
    rng = np.random.default_rng(2)
    path = tmp_path / "text8"
    path.write_text(" ".join(f"t{j}" for j in rng.integers(0, 30, size=3000)), encoding="utf-8")
    m = model(heldout_fraction=0.1, workers=2, epochs=1)
    m.build_vocab(corpus_file=str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.train(corpus_file=str(path), total_words=m.corpus_total_words, total_examples=m.corpus_count)
    assert len(m.heldout_sample) > 0 and np.isfinite(m.heldout_loss_history[0])
    assert 250 < m.heldout_sample.words < 350  # about 10% of the 3000 tokens


def test_cli_train_prints_the_held_out_loss(tmp_path, capsys):
    from w2gm.cli import main
    sentences, _ = split_corpus()
    corpus = tmp_path / "lines.txt"
    corpus.write_text("".join(" ".join(s) + "\n" for s in sentences), encoding="utf-8")
    out = tmp_path / "m.w2gm"
    assert main(["--log-level", "WARNING", "train", str(corpus), "-o", str(out), "--epochs", "2",
                 "--vector-size", "4", "--min-count", "1", "--workers", "1", "--sample", "0",
                 "--heldout-fraction", "0.2", "--heldout-triples", "200"]) == 0
    printed = capsys.readouterr().out
    model = Word2GM.load(out)
    assert model.heldout_fraction == 0.2 and len(model.heldout_loss_history) == 2
    assert "held-out loss per epoch: " + " ".join(f"{x:.4f}" for x in model.heldout_loss_history) in printed


# ------------------------------------------------------------------ a NaN held-out loss
def test_a_nan_held_out_loss_survives_save_and_load(tmp_path):
    sentences = [["a", "b", "c", "d"]] * 20
    m = model(heldout_fraction=0.01, epochs=1)
    m.build_vocab(sentences)
    with pytest.warns(RuntimeWarning, match="no \\(w, c, c'\\) triple"):
        m.train(sentences, total_examples=20)
    m.heldout_loss_history.append(1.25)
    m.save(tmp_path / "m.w2gm")
    loaded = Word2GM.load(tmp_path / "m.w2gm")
    assert len(loaded.heldout_loss_history) == 2 and np.isnan(loaded.heldout_loss_history[0])
    assert loaded.heldout_loss_history[1] == 1.25


def test_cli_train_with_a_nan_held_out_loss(tmp_path, capsys):
    from w2gm.cli import main
    corpus = tmp_path / "lines.txt"
    corpus.write_text("a b c d\n" * 20, encoding="utf-8")
    out = tmp_path / "m.w2gm"
    with pytest.warns(RuntimeWarning, match="no \\(w, c, c'\\) triple"):
        assert main(["--log-level", "WARNING", "train", str(corpus), "-o", str(out), "--epochs", "1",
                     "--vector-size", "4", "--min-count", "1", "--workers", "1", "--sample", "0",
                     "--heldout-fraction", "0.01"]) == 0
    assert "held-out loss per epoch: nan" in capsys.readouterr().out
    loaded = Word2GM.load(out)
    assert len(loaded.heldout_loss_history) == 1 and np.isnan(loaded.heldout_loss_history[0])


# ------------------------------------------------------------------ a sample from another split is redrawn
def held_ids(m, sentences, seed=SEED, fraction=FRACTION):
    return {m.wv.key_to_index[w] for n, s in enumerate(sentences) if is_held(n, seed, fraction) for w in s}


def sample_ids(m):
    return set(m.heldout_sample.w.tolist()) | set(m.heldout_sample.c.tolist())


def test_a_corpus_file_sample_is_redrawn_for_an_iterable(tmp_path, caplog):
    sentences, _ = split_corpus()
    path = tmp_path / "lines.txt"
    path.write_text("".join(" ".join(s) + "\n" for s in sentences), encoding="utf-8")
    m = model(heldout_fraction=FRACTION, epochs=1)
    m.build_vocab(sentences)
    m.train(corpus_file=str(path), total_examples=len(sentences), total_words=m.corpus_total_words)
    assert m.heldout_sample.source == ("corpus_file", FRACTION, SEED, str(path), path.stat().st_size)
    assert not sample_ids(m) <= held_ids(m, sentences)  # the tail holds trained words
    with caplog.at_level("INFO", logger="w2gm"):
        m.train(sentences, total_examples=len(sentences), epochs=1)
    assert "drawing a new one" in caplog.text
    assert m.heldout_sample.source == ("iterable", FRACTION, SEED)
    assert len(m.heldout_sample) > 0 and sample_ids(m) <= held_ids(m, sentences)
    # and back: the tail again (the file's path and size are part of the source)
    m.train(corpus_file=str(path), total_examples=len(sentences), total_words=m.corpus_total_words)
    assert m.heldout_sample.source[0] == "corpus_file"


@pytest.mark.parametrize("change", ["fraction", "seed"])
def test_a_sample_is_redrawn_after_the_fraction_or_seed_changes(change):
    sentences, _ = split_corpus()
    m = model(heldout_fraction=FRACTION, epochs=1)
    m.build_vocab(sentences)
    m.train(sentences, total_examples=len(sentences))
    first = m.heldout_sample
    assert sample_ids(m) <= held_ids(m, sentences)
    seed, fraction = (SEED, FRACTION / 2) if change == "fraction" else (SEED + 1, FRACTION)
    m.heldout_fraction, m.seed = fraction, seed
    m.train(sentences, total_examples=len(sentences), epochs=1)
    assert m.heldout_sample is not first and m.heldout_sample.source == ("iterable", fraction, seed)
    # only sentences held out under the new split, which were not trained on
    assert sample_ids(m) <= held_ids(m, sentences, seed, fraction)
    assert not set(first.w.tolist()) <= held_ids(m, sentences, seed, fraction)


def test_the_held_out_tail_of_a_corpus_file_counts_as_read(tmp_path, caplog):
    sentences, _ = split_corpus()
    path = tmp_path / "lines.txt"
    path.write_text("".join(" ".join(s) + "\n" for s in sentences), encoding="utf-8")
    m = model(heldout_fraction=FRACTION, epochs=2, workers=2)
    m.build_vocab(corpus_file=str(path))
    with caplog.at_level("INFO", logger="w2gm"):
        m.train(corpus_file=str(path), total_examples=m.corpus_count, total_words=m.corpus_total_words)
    # as for an iterable, whose held-out sentences are read and skipped
    assert f"EPOCH 1 done: {m.corpus_total_words} raw words" in caplog.text
    assert m.last_train_stats["raw_words"] == 2 * m.corpus_total_words
    assert m.last_train_stats["examples"] == 2 * m.corpus_count
    iterable = model(heldout_fraction=FRACTION, epochs=2)
    iterable.build_vocab(sentences)
    iterable.train(sentences, total_examples=len(sentences))
    assert iterable.last_train_stats["raw_words"] == m.last_train_stats["raw_words"]


# ------------------------------------------------------------------ the held-out words kept in memory
def test_held_out_words_are_collected_up_to_a_bound_in_corpus_order(tmp_path):
    from w2gm.heldout import TOKENS_PER_TRIPLE
    sentences, held = split_corpus()
    assert 6 * len(held) > TOKENS_PER_TRIPLE * 10 + 6
    m = model(heldout_fraction=FRACTION, epochs=1, heldout_triples=10)
    m.build_vocab(sentences)
    m.train(sentences, total_examples=len(sentences))
    # whole sentences of 6 words, until at least 200 words are held
    cap = TOKENS_PER_TRIPLE * 10
    first = held[:-(-cap // 6)]
    assert m.heldout_sample.words == 6 * len(first) and len(m.heldout_sample) == 10
    assert sample_ids(m) <= {m.wv.key_to_index[w] for n in first for w in sentences[n]}
    # corpus_file: the first words of the tail
    path = tmp_path / "lines.txt"
    path.write_text("".join(" ".join(s) + "\n" for s in sentences), encoding="utf-8")
    f = model(heldout_fraction=0.4, epochs=1, heldout_triples=10)
    f.build_vocab(corpus_file=str(path))
    f.train(corpus_file=str(path), total_examples=f.corpus_count, total_words=f.corpus_total_words)
    assert cap <= f.heldout_sample.words < cap + 12 and len(f.heldout_sample) == 10
