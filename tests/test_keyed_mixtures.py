"""Tests for w2gm.keyed_mixtures.KeyedGaussianMixtures."""

import bz2
import gzip
import itertools
import lzma
import os
import re

import numpy as np
import pytest
from fifo import fifo_spellings
from scipy.stats import multivariate_normal

import w2gm.keyed_mixtures as keyed_mixtures
from w2gm.exceptions import (
    ComponentIndexError,
    ParameterError,
    W2GMError,
    Word2VecFormatError,
    WordNotInVocabularyError,
)
from w2gm.keyed_mixtures import SIMILARITY_METRICS, KeyedGaussianMixtures

# ---------------------------------------------------------------- fixtures

# Hand-made 2-component mixtures in 4-d.  Directions: x = "river", y = "money".
HAND_WORDS = ["river", "money", "bank", "fish", "twin"]
HAND_MEANS = np.array(
    [
        [[3.0, 0.0, 0.1, 0.0], [0.0, 0.0, 1.0, 1.0]],  # river
        [[0.0, 2.0, 0.0, 0.1], [0.0, 0.0, -1.0, 0.8]],  # money
        [[1.5, 0.0, 0.0, 0.0], [0.0, 0.7, 0.0, 0.0]],  # bank: c0 ~ river, c1 ~ money
        [[0.2, -1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.5]],  # fish
        [[0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 2.0]],  # twin: both components identical in direction
    ],
    dtype=np.float32,
)


def make_hand(**kwargs):
    v, k, _ = HAND_MEANS.shape
    return KeyedGaussianMixtures(
        list(HAND_WORDS),
        HAND_MEANS.copy(),
        np.zeros((v, k, 1), dtype=np.float32),
        np.zeros((v, k), dtype=np.float32),
        **kwargs,
    )


@pytest.fixture
def hand():
    return make_hand()


@pytest.fixture
def rand():
    rng = np.random.default_rng(1234)
    v, k, d = 25, 3, 6
    return KeyedGaussianMixtures(
        [f"w{i}" for i in range(v)],
        rng.standard_normal((v, k, d)).astype(np.float32),
        rng.standard_normal((v, k, d)).astype(np.float32),
        rng.standard_normal((v, k)).astype(np.float32),
        counts=rng.integers(1, 100, size=v),
    )


def cos64(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def maxcos_reference(means, i, j):
    """Brute-force max over component pairs of the cosine, float64, explicit loops."""
    best = -np.inf
    for a in range(means.shape[1]):
        for b in range(means.shape[1]):
            best = max(best, cos64(means[i, a], means[j, b]))
    return best


# ------------------------------------------------------------ construction

def test_arrays_kept_by_reference_and_properties():
    rng = np.random.default_rng(0)
    means = rng.standard_normal((3, 2, 5)).astype(np.float32)
    logvar = rng.standard_normal((3, 2, 5)).astype(np.float32)
    logits = rng.standard_normal((3, 2)).astype(np.float32)
    kv = KeyedGaussianMixtures(["a", "b", "c"], means, logvar, logits, counts=[5, 3, 1])
    assert kv.means is means
    assert kv.log_variances is logvar
    assert kv.logits is logits
    assert len(kv) == 3
    assert kv.vector_size == 5
    assert kv.num_mixtures == 2
    assert kv.covariance == "diagonal"
    assert kv.key_to_index == {"a": 0, "b": 1, "c": 2}
    assert kv.index_to_key == ["a", "b", "c"]
    assert kv.counts.dtype == np.int64
    np.testing.assert_array_equal(kv.counts, [5, 3, 1])
    np.testing.assert_allclose(kv.variances, np.exp(logvar.astype(np.float64)), rtol=1e-6)
    assert kv.variances.shape == (3, 2, 5)
    assert "b" in kv and "zzz" not in kv and [1] not in kv
    assert list(kv) == ["a", "b", "c"]


def test_float64_input_converted_to_float32():
    means = np.ones((2, 1, 3), dtype=np.float64)
    kv = KeyedGaussianMixtures(["a", "b"], means, np.zeros((2, 1, 1)), np.zeros((2, 1)))
    assert kv.means.dtype == np.float32
    assert kv.means.flags.c_contiguous
    np.testing.assert_array_equal(kv.means, means)


@pytest.mark.parametrize("d, stored, expected",
                         [(4, 1, "spherical"), (4, 4, "diagonal"), (1, 1, "spherical")])
def test_covariance_kind(d, stored, expected):
    kv = KeyedGaussianMixtures(
        ["a", "b"],
        np.ones((2, 2, d), np.float32),
        np.zeros((2, 2, stored), np.float32),
        np.zeros((2, 2), np.float32),
    )
    assert kv.covariance == expected


def test_mixture_weights_stable_softmax():
    # exp(1000) overflows float64, so a naive softmax would give nan
    logits = np.array([[1000.0, 1001.0], [-1000.0, -1000.0], [0.0, np.log(4.0)]], dtype=np.float32)
    e = np.e
    kv = KeyedGaussianMixtures(
        ["a", "b", "c"], np.ones((3, 2, 2), np.float32), np.zeros((3, 2, 1), np.float32), logits
    )
    w = kv.mixture_weights
    assert w.shape == (3, 2) and w.dtype == np.float32
    expected = [[1 / (1 + e), e / (1 + e)], [0.5, 0.5], [0.2, 0.8]]
    np.testing.assert_allclose(w, expected, rtol=1e-6)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(kv.get_mixture("a").weights, expected[0], rtol=1e-6)


def test_get_mixture_returns_mixture_parameters(rand):
    i = rand.get_index("w7")
    mix = rand.get_mixture("w7")
    np.testing.assert_array_equal(mix.means, rand.means[i])
    np.testing.assert_allclose(mix.variances, np.exp(rand.log_variances[i]), rtol=1e-6)
    logits = rand.logits[i].astype(np.float64)
    expected = np.exp(logits) / np.exp(logits).sum()
    np.testing.assert_allclose(mix.weights, expected, rtol=1e-5)
    assert mix.means.shape == (3, 6) and mix.variances.shape == (3, 6) and mix.weights.shape == (3,)


def test_duplicate_words_rejected():
    with pytest.raises(ValueError, match="duplicate word 'a'"):
        KeyedGaussianMixtures(
            ["a", "b", "a"], np.ones((3, 1, 2), np.float32), np.zeros((3, 1, 1), np.float32),
            np.zeros((3, 1), np.float32),
        )


@pytest.mark.parametrize(
    "means_shape, logvar_shape, logits_shape, name, bad_shape",
    [
        ((4, 2, 3), (3, 2, 1), (3, 2), "means", (4, 2, 3)),
        ((3, 2), (3, 2, 1), (3, 2), "means", (3, 2)),
        ((3, 2, 3), (3, 2, 2), (3, 2), "log_variances", (3, 2, 2)),
        ((3, 2, 3), (3, 1, 1), (3, 2), "log_variances", (3, 1, 1)),
        ((3, 2, 3), (3, 2, 1), (3, 3), "logits", (3, 3)),
        ((3, 2, 3), (3, 2, 1), (2,), "logits", (2,)),
    ],
)
def test_shape_validation(means_shape, logvar_shape, logits_shape, name, bad_shape):
    with pytest.raises(ValueError, match=re.escape(f"{name} has shape {bad_shape}")):
        KeyedGaussianMixtures(
            ["a", "b", "c"],
            np.zeros(means_shape, np.float32),
            np.zeros(logvar_shape, np.float32),
            np.zeros(logits_shape, np.float32),
        )


def test_dtype_and_counts_validation():
    good = dict(
        means=np.zeros((2, 1, 3), np.float32),
        log_variances=np.zeros((2, 1, 1), np.float32),
        logits=np.zeros((2, 1), np.float32),
    )
    with pytest.raises(ValueError, match=r"means .*int32"):
        KeyedGaussianMixtures(["a", "b"], **{**good, "means": np.zeros((2, 1, 3), np.int32)})
    with pytest.raises(ValueError, match=re.escape("counts has shape (3,)")):
        KeyedGaussianMixtures(["a", "b"], **good, counts=np.ones(3, np.int64))
    with pytest.raises(ValueError, match="counts must be an integer"):
        KeyedGaussianMixtures(["a", "b"], **good, counts=np.ones(2, np.float64))
    with pytest.raises(TypeError, match="3"):
        KeyedGaussianMixtures(["a", 3], **good)


# -------------------------------------------------------- component search

def test_component_neighbours_hand_made(hand):
    top = hand.most_similar("bank", component=0, topn=3)
    assert top[0][:2] == ("river", 0)
    assert top[0][2] == pytest.approx(cos64(HAND_MEANS[2, 0], HAND_MEANS[0, 0]), rel=1e-6)

    top = hand.most_similar("bank", component=1, topn=1)
    assert len(top) == 1
    assert top[0][:2] == ("money", 0)
    assert top[0][2] == pytest.approx(cos64(HAND_MEANS[2, 1], HAND_MEANS[1, 0]), rel=1e-6)


def test_component_search_excludes_every_component_of_query(hand):
    # twin's two components point the same way (cosine 1 with each other) -- must not be returned
    everything = hand.most_similar("twin", component=0, topn=100)
    assert all(word != "twin" for word, _, _ in everything)
    expected = {(w, c) for w in HAND_WORDS if w != "twin" for c in range(2)}
    assert {(w, c) for w, c, _ in everything} == expected
    assert len(everything) == len(expected)
    scores = [s for _, _, s in everything]
    assert scores == sorted(scores, reverse=True)
    # river's component 1 = (0, 0, 1, 1) is the closest to (0, 0, 0, 1)
    assert everything[0][:2] == ("river", 1)
    assert everything[0][2] == pytest.approx(1 / np.sqrt(2), rel=1e-6)


def test_component_search_matches_brute_force(rand):
    means = rand.means
    q = rand.get_index("w3")
    for k in range(3):
        reference = []
        for w in range(len(rand)):
            if w == q:
                continue
            for c in range(3):
                reference.append((rand.index_to_key[w], c, cos64(means[q, k], means[w, c])))
        reference.sort(key=lambda t: -t[2])
        got = rand.most_similar("w3", component=k, topn=7)
        assert [(w, c) for w, c, _ in got] == [(w, c) for w, c, _ in reference[:7]]
        np.testing.assert_allclose([s for *_, s in got], [s for *_, s in reference[:7]], rtol=1e-5, atol=1e-6)
        assert all(isinstance(s, float) and isinstance(c, int) for _, c, s in got)


def test_numpy_integer_component_accepted(hand):
    assert hand.most_similar("bank", component=np.int64(1), topn=1)[0][:2] == ("money", 0)


# ----------------------------------------------------------- word search

def test_word_neighbours_match_brute_force(rand):
    for query in ["w0", "w11", "w24"]:
        q = rand.get_index(query)
        reference = sorted(
            (
                (rand.index_to_key[w], maxcos_reference(rand.means, q, w))
                for w in range(len(rand))
                if w != q
            ),
            key=lambda t: -t[1],
        )
        got = rand.most_similar(query, topn=100)  # more than V - 1: everything else
        assert len(got) == len(rand) - 1
        assert [w for w, _ in got] == [w for w, _ in reference]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in reference], rtol=1e-5, atol=1e-6)
        top5 = rand.most_similar(query, topn=5)
        assert [w for w, _ in top5] == [w for w, _ in reference[:5]]


def test_word_neighbours_hand_made(hand):
    got = dict(hand.most_similar("bank", topn=10))
    assert "bank" not in got
    assert set(got) == {"river", "money", "fish", "twin"}
    # bank's component 0 is river's direction -> cosine ~1 through component 0
    assert got["river"] == pytest.approx(maxcos_reference(HAND_MEANS, 2, 0), rel=1e-6)
    assert got["money"] == pytest.approx(maxcos_reference(HAND_MEANS, 2, 1), rel=1e-6)
    assert hand.most_similar("bank", topn=1)[0][0] == "river"  # 3/sqrt(9.01) > 2/sqrt(4.01)


def test_similarity_symmetric_and_matches_reference(rand, hand):
    for a, b in [("w0", "w1"), ("w5", "w17"), ("w9", "w9"), ("w24", "w3")]:
        s = rand.similarity(a, b)
        assert isinstance(s, float)
        assert s == rand.similarity(b, a)
        ia, ib = rand.get_index(a), rand.get_index(b)
        assert s == pytest.approx(maxcos_reference(rand.means, ia, ib), rel=1e-12)
    assert hand.similarity("bank", "river") == pytest.approx(3 / np.sqrt(9.01), rel=1e-7)
    assert hand.similarity("twin", "twin") == pytest.approx(1.0)


def test_zero_mean_has_zero_cosine():
    means = np.array([[[0.0, 0.0]], [[1.0, 0.0]], [[-1.0, 0.5]]], dtype=np.float32)
    kv = KeyedGaussianMixtures(["zero", "a", "b"], means, np.zeros((3, 1, 1), np.float32),
                               np.zeros((3, 1), np.float32))
    assert kv.similarity("zero", "a") == 0.0
    scores = dict(kv.most_similar("a"))
    assert scores["zero"] == 0.0 and np.isfinite(scores["b"])


# ----------------------------------------------------------------- errors

def test_unknown_word_errors(hand):
    with pytest.raises(KeyError, match="word 'xyzzy' not in vocabulary"):
        hand.get_index("xyzzy")
    with pytest.raises(KeyError, match="xyzzy"):
        hand.most_similar("xyzzy")
    with pytest.raises(KeyError, match="xyzzy"):
        hand.most_similar("xyzzy", component=0)
    with pytest.raises(KeyError, match="xyzzy"):
        hand.similarity("bank", "xyzzy")
    with pytest.raises(KeyError, match="xyzzy"):
        hand.similarity("xyzzy", "bank")
    with pytest.raises(KeyError, match="xyzzy"):
        hand["xyzzy"]
    with pytest.raises(KeyError, match="xyzzy"):
        hand.get_mixture("xyzzy")


@pytest.mark.parametrize("component", [2, -1, 7, 1.0, "0", True])
def test_component_out_of_range(hand, component):
    pattern = rf"component {re.escape(repr(component))} .*0 to 1"
    with pytest.raises(IndexError, match=pattern):
        hand.most_similar("bank", component=component)
    with pytest.raises(IndexError, match=pattern):
        hand.save_word2vec_format("/nonexistent-dir/never-written.txt", component=component)


@pytest.mark.parametrize("topn", [-1, -3, 2.5, "5", True])
def test_bad_topn(hand, topn):
    with pytest.raises(ValueError, match=re.escape(repr(topn))):
        hand.most_similar("bank", topn=topn)
    with pytest.raises(ValueError, match=re.escape(repr(topn))):
        hand.most_similar("bank", component=0, topn=topn)
    with pytest.raises(ValueError, match=re.escape(repr(topn))):
        hand.most_similar(["bank", "fish"], topn=topn)


def test_topn_zero_gives_no_result_as_gensim(hand):
    assert hand.most_similar("bank", topn=0) == []
    assert hand.most_similar("bank", component=1, topn=0) == []
    assert hand.most_similar(["bank", "fish"], negative=["twin"], topn=0) == []
    assert hand.most_similar_cosmul(["bank"], topn=0) == []


# ------------------------------------------------ in-place update visibility

def test_in_place_update_seen_after_clear_cache():
    means = HAND_MEANS.copy()
    logits = np.zeros((5, 2), np.float32)
    kv = KeyedGaussianMixtures(list(HAND_WORDS), means, np.zeros((5, 2, 1), np.float32), logits)
    assert kv.most_similar("bank", component=0, topn=1)[0][:2] == ("river", 0)

    means[HAND_WORDS.index("fish"), 1] = [5.0, 0.0, 0.0, 0.0]  # the trainer updates in place
    logits[HAND_WORDS.index("fish")] = [0.0, np.log(3.0)]
    kv.clear_cache()
    word, comp, score = kv.most_similar("bank", component=0, topn=1)[0]
    assert (word, comp) == ("fish", 1)
    assert score == pytest.approx(1.0, rel=1e-6)
    assert kv.most_similar("bank", topn=1)[0] == ("fish", pytest.approx(1.0, rel=1e-6))
    assert kv.similarity("bank", "fish") == pytest.approx(1.0)
    np.testing.assert_allclose(kv.mixture_weights[HAND_WORDS.index("fish")], [0.25, 0.75], rtol=1e-6)


# ------------------------------------------------------- word2vec format

@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("suffix", [".txt", ".txt.gz"])
def test_save_read_by_gensim(rand, tmp_path, binary, suffix):
    gensim_kv = pytest.importorskip("gensim.models.keyedvectors")
    for k in range(rand.num_mixtures):
        path = tmp_path / f"component{k}{suffix}"
        rand.save_word2vec_format(path, component=k, binary=binary)
        loaded = gensim_kv.KeyedVectors.load_word2vec_format(str(path), binary=binary)
        assert loaded.index_to_key == rand.index_to_key
        np.testing.assert_allclose(loaded.vectors, rand.means[:, k], rtol=1e-6)
    assert sorted(os.listdir(tmp_path)) == sorted(f"component{k}{suffix}" for k in range(3))


def test_gz_output_is_gzip_compressed(hand, tmp_path):
    path = tmp_path / "vectors.txt.gz"
    hand.save_word2vec_format(str(path), component=1)
    text = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()
    assert text[0] == "5 4"
    first = text[1].split(" ")
    assert first[0] == "river"
    np.testing.assert_array_equal(np.array(first[1:], dtype=np.float32), HAND_MEANS[0, 1])


def test_binary_layout(hand, tmp_path):
    path = tmp_path / "vectors.bin"
    hand.save_word2vec_format(path, component=0, binary=True)
    data = path.read_bytes()
    assert data.startswith(b"5 4\nriver ")
    start = len(b"5 4\nriver ")
    np.testing.assert_array_equal(np.frombuffer(data[start:start + 16], dtype="<f4"), HAND_MEANS[0, 0])
    assert data[start + 16:start + 17] == b"\n"
    assert len(data) == len(b"5 4\n") + sum(len(w) + 1 + 16 + 1 for w in HAND_WORDS)


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip_through_own_loader(rand, tmp_path, binary, suffix):
    paths = []
    for k in range(rand.num_mixtures):
        paths.append(tmp_path / f"c{k}.w2v{suffix}")
        rand.save_word2vec_format(paths[-1], component=k, binary=binary)
    loaded = KeyedGaussianMixtures.load_word2vec_format(paths, binary=binary)
    assert loaded.index_to_key == rand.index_to_key
    assert loaded.means.shape == rand.means.shape and loaded.means.dtype == np.float32
    np.testing.assert_array_equal(loaded.means, rand.means)
    assert loaded.log_variances.shape == (len(rand), 3, 1)
    assert not loaded.log_variances.any()
    np.testing.assert_allclose(loaded.mixture_weights, np.full((len(rand), 3), 1 / 3), rtol=1e-6)
    assert loaded.counts is None
    assert loaded.most_similar("w4", topn=5) == rand.most_similar("w4", topn=5)


def test_loader_reads_gensim_written_files(rand, tmp_path):
    gensim_kv = pytest.importorskip("gensim.models.keyedvectors")
    for binary in (False, True):
        paths = []
        for k in range(rand.num_mixtures):
            kv = gensim_kv.KeyedVectors(rand.vector_size)
            kv.add_vectors(rand.index_to_key, rand.means[:, k])
            paths.append(str(tmp_path / f"gensim{k}-{binary}.bin"))
            kv.save_word2vec_format(paths[-1], binary=binary)
        loaded = KeyedGaussianMixtures.load_word2vec_format(paths, binary=binary)
        assert loaded.index_to_key == rand.index_to_key
        np.testing.assert_allclose(loaded.means, rand.means, rtol=1e-6)


def write_rows(directory, name, rows, dim=2):
    """A text word2vec file of `rows` words, every value 0.5."""
    path = directory / name
    path.write_text(f"{len(rows)} {dim}\n" + "".join(f"{w} {' '.join(['0.5'] * dim)}\n" for w in rows))
    return path


def test_loader_rejects_bad_path_lists(tmp_path):
    # mismatched files: test_mismatched_word2vec_files_raise_word2vec_format_error
    a = write_rows(tmp_path, "a.txt", ["cat", "dog", "eel"])
    with pytest.raises(TypeError, match="sequence"):
        KeyedGaussianMixtures.load_word2vec_format(str(a))
    with pytest.raises(ValueError, match="empty"):
        KeyedGaussianMixtures.load_word2vec_format([])


def test_loader_rejects_truncated_files(hand, tmp_path):
    for binary in (False, True):
        path = tmp_path / f"full-{binary}"
        hand.save_word2vec_format(path, component=0, binary=binary)
        data = path.read_bytes()
        cut = tmp_path / f"cut-{binary}"
        # text: drop the whole last line; binary: drop part of the last vector
        cut.write_bytes(data[: data.rindex(b"\ntwin ") + 1] if not binary else data[:-10])
        with pytest.raises(ValueError, match="unexpected end of file after 4 of 5"):
            KeyedGaussianMixtures.load_word2vec_format([cut], binary=binary)
    text = (tmp_path / "full-False").read_bytes()
    assert text.endswith(b"\ntwin 0 0 0 1\n")
    partial = tmp_path / "partial-line"
    partial.write_bytes(text[:-10])  # last line becomes "twi"
    with pytest.raises(ValueError, match="'twi'.*expected 4"):
        KeyedGaussianMixtures.load_word2vec_format([partial])
    bad = tmp_path / "bad-header"
    bad.write_text("five 4\n")
    with pytest.raises(ValueError, match="header"):
        KeyedGaussianMixtures.load_word2vec_format([bad])


@pytest.mark.parametrize("bad_word", ["new york", "tab\there", ""])
def test_save_rejects_unwritable_words(tmp_path, bad_word):
    kv = KeyedGaussianMixtures(
        ["ok", bad_word], np.ones((2, 1, 2), np.float32), np.zeros((2, 1, 1), np.float32),
        np.zeros((2, 1), np.float32),
    )
    target = tmp_path / "out.txt"
    with pytest.raises(ValueError, match=re.escape(repr(bad_word))):
        kv.save_word2vec_format(target, component=0)
    assert os.listdir(tmp_path) == []


class _FailingWriter:
    """Wraps a real file; the second write raises, after the header is on disk."""

    def __init__(self, fh):
        self.fh = fh
        self.writes = 0

    def write(self, data):
        self.writes += 1
        if self.writes > 1:
            raise OSError("disk full (simulated)")
        return self.fh.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.fh.close()
        return False


@pytest.mark.parametrize("binary", [False, True])
def test_atomic_write_failure_leaves_target_untouched(hand, tmp_path, monkeypatch, binary):
    real_open = keyed_mixtures.smart_open.open
    opened = []

    def failing_open(path, mode="r", *args, **kwargs):
        opened.append(path)
        return _FailingWriter(real_open(path, mode, *args, **kwargs))

    monkeypatch.setattr(keyed_mixtures.smart_open, "open", failing_open)

    target = tmp_path / "vectors.txt.gz"
    with pytest.raises(OSError, match="simulated"):
        hand.save_word2vec_format(target, component=0, binary=binary)
    assert opened and str(opened[0]) != str(target)  # wrote to a temporary file
    assert str(opened[0]).endswith(".gz")  # same extension so compression matches
    assert not target.exists()
    assert os.listdir(tmp_path) == []  # temporary file cleaned up

    target.write_bytes(b"previous content")
    with pytest.raises(OSError, match="simulated"):
        hand.save_word2vec_format(target, component=1, binary=binary)
    assert target.read_bytes() == b"previous content"
    assert os.listdir(tmp_path) == ["vectors.txt.gz"]


def test_save_overwrites_existing_file_and_keeps_mode(hand, tmp_path):
    target = tmp_path / "vectors.txt"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    hand.save_word2vec_format(target, component=1)
    lines = target.read_text().splitlines()
    assert lines[0] == "5 4" and len(lines) == 6
    assert os.stat(target).st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ["vectors.txt"]


# ------------------------------------------------------ similarity metrics

LOG_2PI = np.log(2 * np.pi)


def one_gaussian_kv(means, variances, logits=None, words=None):
    """K=1 (or given K) mixtures from plain means / variances (variances (V, K, 1 or D))."""
    means = np.asarray(means, np.float64)
    variances = np.asarray(variances, np.float64)
    v, k, _ = means.shape
    if logits is None:
        logits = np.zeros((v, k))
    if words is None:
        words = [f"w{i}" for i in range(v)]
    return KeyedGaussianMixtures(words, means, np.log(variances), logits)


@pytest.fixture
def tiny_spherical():
    # w0: N((1, 0), 0.5 I), w1: N((0, 2), 1.5 I) -- variances exact in float32
    return one_gaussian_kv([[[1.0, 0.0]], [[0.0, 2.0]]], [[[0.5]], [[1.5]]])


def stored_variances(kv):
    """The variances exactly as stored (float32 log-variances), in float64."""
    return np.exp(kv.log_variances.astype(np.float64))


def test_hand_computed_metrics_spherical(tiny_spherical):
    kv = tiny_spherical
    assert kv.similarity("w0", "w1", metric="max_cos") == pytest.approx(0.0, abs=1e-12)
    assert kv.similarity("w0", "w1", metric="avg_cos") == pytest.approx(0.0, abs=1e-12)
    assert kv.similarity("w0", "w1", metric="min_euclidean") == pytest.approx(-np.sqrt(5.0), rel=1e-12)
    # nominal values: Sigma = (0.5 + 1.5) I = 2 I, |mu0 - mu1|^2 = 5, D = 2, no epsilon
    el = -LOG_2PI - 0.5 * np.log(4.0) - 0.5 * 5.0 / 2.0
    assert kv.similarity("w0", "w1", metric="expected_likelihood") == pytest.approx(el, rel=1e-6)
    # KL(w0 || w1) = 1/2 [2 * 0.5/1.5 + 5/1.5 - 2 + 2 log 1.5 - 2 log 0.5] = 1 + log 3
    # KL(w1 || w0) = 1/2 [2 * 1.5/0.5 + 5/0.5 - 2 + 2 log 0.5 - 2 log 1.5] = 7 - log 3
    assert kv.similarity("w0", "w1", metric="neg_kl") == pytest.approx(-(1 + np.log(3)), rel=1e-6)
    assert kv.similarity("w1", "w0", metric="neg_kl") == pytest.approx(-(7 - np.log(3)), rel=1e-6)
    # the same formulas on the exactly stored variances, to full precision (an eps of 1e-4 would show)
    s0, s1 = stored_variances(kv)[:, 0, 0]
    el = -LOG_2PI - np.log(s0 + s1) - 0.5 * 5.0 / (s0 + s1)
    assert kv.similarity("w0", "w1", metric="expected_likelihood") == pytest.approx(el, rel=1e-12)
    assert kv.similarity("w1", "w0", metric="expected_likelihood") == pytest.approx(el, rel=1e-12)
    kl01 = 0.5 * (2 * s0 / s1 + 5 / s1 - 2 + 2 * np.log(s1) - 2 * np.log(s0))
    kl10 = 0.5 * (2 * s1 / s0 + 5 / s0 - 2 + 2 * np.log(s0) - 2 * np.log(s1))
    assert kv.similarity("w0", "w1", metric="neg_kl") == pytest.approx(-kl01, rel=1e-12)
    assert kv.similarity("w1", "w0", metric="neg_kl") == pytest.approx(-kl10, rel=1e-12)
    assert kv.similarity("w0", "w0", metric="neg_kl") == pytest.approx(0.0, abs=1e-12)
    assert kv.similarity("w0", "w0", metric="min_euclidean") == 0.0
    # self-similarity under the kernel: log N(0; 0, 2 s0 I) = -log(2 pi) - log(2 s0)
    assert kv.similarity("w0", "w0", metric="expected_likelihood") == pytest.approx(
        -LOG_2PI - np.log(2 * s0), rel=1e-12)


def test_hand_computed_metrics_diagonal():
    # w0: N((1, 0), diag(0.5, 2)), w1: N((0, 1), diag(1, 1))
    kv = one_gaussian_kv([[[1.0, 0.0]], [[0.0, 1.0]]], [[[0.5, 2.0]], [[1.0, 1.0]]])
    assert kv.covariance == "diagonal"
    el = -LOG_2PI - 0.5 * np.log(1.5 * 3.0) - 0.5 * (1 / 1.5 + 1 / 3.0)
    assert kv.similarity("w0", "w1", metric="expected_likelihood") == pytest.approx(el, rel=1e-6)
    s = stored_variances(kv)[:, 0]  # (2, D) as stored
    ref = multivariate_normal.logpdf([1.0, -1.0], mean=[0, 0], cov=np.diag(s[0] + s[1]))
    assert kv.similarity("w0", "w1", metric="expected_likelihood") == pytest.approx(ref, rel=1e-12)
    # KL(w0||w1) = 1/2 [(0.5 + 2) + (1 + 1) - 2 + (0 + 0) - (log 0.5 + log 2)] = 1.25
    assert kv.similarity("w0", "w1", metric="neg_kl") == pytest.approx(-1.25, rel=1e-6)
    # KL(w1||w0) = 1/2 [(2 + 0.5) + (1/0.5 + 1/2) - 2 + (log 0.5 + log 2) - 0] = 1.5
    assert kv.similarity("w1", "w0", metric="neg_kl") == pytest.approx(-1.5, rel=1e-6)
    assert kv.similarity("w0", "w1", metric="min_euclidean") == pytest.approx(-np.sqrt(2), rel=1e-12)


def brute_force(kv, w1, w2, metric):
    """Explicit double loop over component pairs, scipy for the Gaussian densities."""
    i, j = kv.get_index(w1), kv.get_index(w2)
    m = kv.means.astype(np.float64)
    var = np.broadcast_to(np.exp(kv.log_variances.astype(np.float64)), m.shape)
    p = np.exp(kv.logits[i].astype(np.float64))
    p /= p.sum()
    q = np.exp(kv.logits[j].astype(np.float64))
    q /= q.sum()
    k = kv.num_mixtures
    vals = {}
    for a in range(k):
        for b in range(k):
            mu1, mu2, s1, s2 = m[i, a], m[j, b], var[i, a], var[j, b]
            vals[a, b] = {
                "cos": cos64(mu1, mu2),
                "dist": float(np.linalg.norm(mu1 - mu2)),
                "xi": multivariate_normal.logpdf(mu1 - mu2, mean=np.zeros_like(mu1), cov=np.diag(s1 + s2)),
                "kl": 0.5 * float(np.sum(s1 / s2 + (mu2 - mu1) ** 2 / s2 - 1 + np.log(s2) - np.log(s1))),
            }
    pairs = [(a, b) for a in range(k) for b in range(k)]
    if metric == "max_cos":
        return max(vals[ab]["cos"] for ab in pairs)
    if metric == "avg_cos":
        return sum(p[a] * q[b] * vals[a, b]["cos"] for a, b in pairs)
    if metric == "expected_likelihood":
        return float(np.log(sum(p[a] * q[b] * np.exp(vals[a, b]["xi"]) for a, b in pairs)))
    if metric == "min_euclidean":
        return -min(vals[ab]["dist"] for ab in pairs)
    if metric == "neg_kl":
        return -min(vals[ab]["kl"] for ab in pairs)
    raise AssertionError(metric)


def spherical_version(kv):
    rng = np.random.default_rng(99)
    v, k, _ = kv.means.shape
    return KeyedGaussianMixtures(kv.index_to_key, kv.means, rng.normal(-1, 0.5, (v, k, 1)), kv.logits)


@pytest.mark.parametrize("metric", SIMILARITY_METRICS)
@pytest.mark.parametrize("spherical", [False, True])
def test_metrics_match_brute_force(rand, metric, spherical):
    kv = spherical_version(rand) if spherical else rand  # K=3, D=6
    for a, b in [("w0", "w1"), ("w5", "w17"), ("w9", "w9"), ("w24", "w3"), ("w3", "w24")]:
        got = kv.similarity(a, b, metric=metric)
        assert isinstance(got, float)
        assert got == pytest.approx(brute_force(kv, a, b, metric), rel=1e-9, abs=1e-12)


def test_spherical_equals_diagonal_with_repeated_variance():
    rng = np.random.default_rng(5)
    means = rng.standard_normal((6, 2, 4))
    logvar = rng.normal(-1, 0.3, (6, 2, 1))
    logits = rng.standard_normal((6, 2))
    words = list("abcdef")
    sph = KeyedGaussianMixtures(words, means, logvar, logits)
    diag = KeyedGaussianMixtures(words, means, np.repeat(logvar, 4, axis=2), logits)
    for metric in SIMILARITY_METRICS:
        for a, b in [("a", "b"), ("c", "f"), ("e", "d")]:
            assert sph.similarity(a, b, metric) == pytest.approx(diag.similarity(a, b, metric), rel=1e-6)


def test_expected_likelihood_is_integral_of_product():
    # 1-d, K=2: log E(f, g) must equal log of the numerical integral of f(x) g(x)
    integrate = pytest.importorskip("scipy.integrate")
    means = np.array([[[-1.0], [2.0]], [[0.5], [3.0]]])
    var = np.array([[[0.3], [1.2]], [[0.8], [0.25]]])
    logits = np.array([[0.2, -0.4], [1.0, 0.0]])
    kv = KeyedGaussianMixtures(["f", "g"], means, np.log(var), logits)
    # use the stored float32 parameters
    m = kv.means.astype(np.float64)[:, :, 0]
    s = np.exp(kv.log_variances.astype(np.float64))[:, :, 0]
    w = kv.mixture_weights.astype(np.float64)
    w = w / w.sum(axis=1, keepdims=True)

    def density(x, i):
        return sum(w[i, k] * np.exp(-0.5 * (x - m[i, k]) ** 2 / s[i, k]) / np.sqrt(2 * np.pi * s[i, k])
                   for k in range(2))

    value, _ = integrate.quad(lambda x: density(x, 0) * density(x, 1), -20, 20, epsabs=1e-13, limit=200)
    assert kv.similarity("f", "g", "expected_likelihood") == pytest.approx(np.log(value), rel=1e-6)


def test_avg_cos_weights_and_bounds():
    # f = 0.75 N((1,0)) + 0.25 N((0,1)); g = N((1,0)) in both components -> avg = 0.75
    means = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [2.0, 0.0]]])
    kv = KeyedGaussianMixtures(["f", "g"], means, np.zeros((2, 2, 1)), [[np.log(3.0), 0.0], [0.0, 0.0]])
    assert kv.similarity("f", "g", "avg_cos") == pytest.approx(0.75, rel=1e-6)
    assert kv.similarity("f", "g", "max_cos") == pytest.approx(1.0, rel=1e-6)


def test_neg_kl_is_asymmetric_towards_broader_hypernym():
    # narrow "dog" inside broad "animal": KL(dog || animal) < KL(animal || dog)
    kv = one_gaussian_kv([[[0.1, 0.0]], [[0.0, 0.0]]], [[[0.1]], [[2.0]]], words=["dog", "animal"])
    assert kv.similarity("dog", "animal", "neg_kl") > kv.similarity("animal", "dog", "neg_kl")
    assert kv.similarity("dog", "animal", "expected_likelihood") == pytest.approx(
        kv.similarity("animal", "dog", "expected_likelihood"), rel=1e-12)


@pytest.mark.parametrize("metric", SIMILARITY_METRICS)
def test_most_similar_equals_ranking_by_similarity(rand, metric):
    for query in ["w0", "w13"]:
        reference = sorted(
            ((w, rand.similarity(query, w, metric=metric)) for w in rand.index_to_key if w != query),
            key=lambda t: -t[1],
        )
        got = rand.most_similar(query, topn=100, metric=metric)
        assert [w for w, _ in got] == [w for w, _ in reference]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in reference], rtol=1e-5, atol=1e-6)
        top4 = rand.most_similar(query, topn=4, metric=metric)
        assert [w for w, _ in top4] == [w for w, _ in reference[:4]]


@pytest.mark.parametrize("metric", SIMILARITY_METRICS)
def test_component_search_with_metric_matches_single_gaussians(rand, metric):
    # component k of the query, weight 1, against each single component of every other word
    q = rand.get_index("w7")
    single = {"max_cos": "max_cos", "avg_cos": "max_cos"}.get(metric, metric)
    for k in range(3):
        reference = []
        for w in range(len(rand)):
            if w == q:
                continue
            for c in range(3):
                pair = KeyedGaussianMixtures(
                    ["q", "c"], np.stack([rand.means[q, k:k + 1], rand.means[w, c:c + 1]]),
                    np.stack([rand.log_variances[q, k:k + 1], rand.log_variances[w, c:c + 1]]),
                    np.zeros((2, 1)),
                )
                reference.append((rand.index_to_key[w], c, pair.similarity("q", "c", single)))
        reference.sort(key=lambda t: -t[2])
        got = rand.most_similar("w7", component=k, topn=6, metric=metric)
        assert [(w, c) for w, c, _ in got] == [(w, c) for w, c, _ in reference[:6]]
        np.testing.assert_allclose([s for *_, s in got], [s for *_, s in reference[:6]], rtol=1e-6, atol=1e-9)
        assert all(w != "w7" and isinstance(c, int) and isinstance(s, float) for w, c, s in got)


def test_component_search_expected_likelihood_ignores_weights(hand):
    # same means, different logits: the single-Gaussian scores must not change
    other = KeyedGaussianMixtures(list(HAND_WORDS), HAND_MEANS.copy(), np.zeros((5, 2, 1), np.float32),
                                  np.arange(10, dtype=np.float32).reshape(5, 2))
    a = hand.most_similar("bank", component=1, topn=9, metric="expected_likelihood")
    b = other.most_similar("bank", component=1, topn=9, metric="expected_likelihood")
    assert a == b
    # equal variances: the kernel ranks components like the Euclidean distance of the means
    by_distance = hand.most_similar("bank", component=1, topn=9, metric="min_euclidean")
    assert [(w, c) for w, c, _ in a] == [(w, c) for w, c, _ in by_distance]
    assert a[0][:2] == ("twin", 0)  # |(0, .7, 0, 0) - (0, 0, 0, 1)|^2 = 1.49 < 1.70 (money, 0)
    # and the score is log N(0; d, 2 I) in D = 4
    assert a[0][2] == pytest.approx(-2 * LOG_2PI - 2 * np.log(2.0) - 0.5 * 1.49 / 2, rel=1e-6)


def test_chunked_search_equals_single_chunk(rand, monkeypatch):
    full = {m: rand.most_similar("w2", topn=24, metric=m) for m in SIMILARITY_METRICS[1:]}
    comp = {m: rand.most_similar("w2", component=1, topn=30, metric=m) for m in SIMILARITY_METRICS[1:]}
    pairs = rand.score_pairs(np.arange(25), np.arange(25)[::-1], metric="neg_kl")
    monkeypatch.setattr(keyed_mixtures, "_CHUNK_WORDS", 4)
    for m in SIMILARITY_METRICS[1:]:
        assert rand.most_similar("w2", topn=24, metric=m) == full[m]
        assert rand.most_similar("w2", component=1, topn=30, metric=m) == comp[m]
    np.testing.assert_array_equal(
        rand.score_pairs(np.arange(25), np.arange(25)[::-1], metric="neg_kl"), pairs)
    monkeypatch.setattr(keyed_mixtures, "_CHUNK_ELEMENTS", 1)  # one word per chunk
    assert keyed_mixtures._chunk_size(3, 3, 6) == 1
    assert rand.most_similar("w2", topn=24, metric="avg_cos") == full["avg_cos"]


@pytest.mark.parametrize("metric", SIMILARITY_METRICS)
def test_score_pairs_matches_similarity(rand, metric):
    i1 = np.array([0, 5, 9, 24, 3])
    i2 = np.array([1, 17, 9, 3, 24])
    got = rand.score_pairs(i1, i2, metric=metric)
    assert got.shape == (5,) and got.dtype == np.float64
    for t in range(5):
        expected = rand.similarity(rand.index_to_key[i1[t]], rand.index_to_key[i2[t]], metric)
        assert got[t] == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert rand.score_pairs([], [], metric=metric).shape == (0,)


def test_score_pairs_rejects_bad_input(rand):
    with pytest.raises(ValueError, match="equal length"):
        rand.score_pairs([0, 1], [2])
    with pytest.raises(ValueError, match="integer"):
        rand.score_pairs([0.5], [1.0])
    with pytest.raises(IndexError, match="25 words"):
        rand.score_pairs([0, 25], [1, 2])


def test_unknown_metric_lists_valid_ones(hand):
    for call in (
        lambda: hand.similarity("bank", "river", metric="cosine"),
        lambda: hand.most_similar("bank", metric="cosine"),
        lambda: hand.most_similar("bank", component=0, metric="cosine"),
        lambda: hand.score_pairs([0], [1], metric="cosine"),
    ):
        with pytest.raises(ValueError, match="unknown metric 'cosine'.*'max_cos'.*'avg_cos'.*"
                                             "'expected_likelihood'.*'min_euclidean'.*'neg_kl'"):
            call()


def test_metric_names_come_from_similarity_module():
    from w2gm import similarity
    assert keyed_mixtures.SIMILARITY_METRICS is similarity.SIMILARITY_METRICS
    assert "SIMILARITY_METRICS" in keyed_mixtures.__all__


def test_default_metric_unchanged(hand, rand):
    assert hand.most_similar("bank", topn=4) == hand.most_similar("bank", topn=4, metric="max_cos")
    assert rand.similarity("w1", "w2") == rand.similarity("w1", "w2", metric="max_cos")


def test_evaluate_word_pairs_method_delegates(hand, tmp_path):
    path = tmp_path / "pairs.txt"
    path.write_text("bank river 9\nbank money 5\nriver fish 2\nriver unknown 1\n")
    result = hand.evaluate_word_pairs_detailed(path, metric="avg_cos")
    assert hand.evaluate_word_pairs(path, metric="avg_cos") == tuple(result[:3])
    assert result.n_pairs == 4 and result.n_found == 3
    assert result.oov_ratio == pytest.approx(25.0)
    pairs = [("bank", "river"), ("bank", "money"), ("river", "fish")]
    sims = [hand.similarity(a, b, "avg_cos") for a, b in pairs]
    from scipy.stats import spearmanr
    assert result.spearman[0] == pytest.approx(spearmanr([9, 5, 2], sims)[0])


# ------------------------------------------------------- w2gm exception classes

def assert_raises_w2gm(cls, builtin, call, match=None):
    with pytest.raises(cls, match=match) as info:
        call()
    assert isinstance(info.value, builtin) and isinstance(info.value, W2GMError)
    return info.value


def test_unknown_word_raises_word_not_in_vocabulary_error(hand):
    for call in (
        lambda: hand.get_index("xyzzy"),
        lambda: hand.get_index(3),
        lambda: hand["xyzzy"],
        lambda: hand.most_similar("xyzzy"),
        lambda: hand.most_similar("xyzzy", component=0),
        lambda: hand.similarity("bank", "xyzzy"),
        lambda: hand.similarity("xyzzy", "bank", metric="neg_kl"),
    ):
        exc = assert_raises_w2gm(WordNotInVocabularyError, KeyError, call, match="not in vocabulary")
        assert str(exc).startswith("word ") and str(exc).endswith(" not in vocabulary")  # not quoted


@pytest.mark.parametrize("component", [2, -1, 1.0, "0", True])
def test_bad_component_raises_component_index_error(hand, tmp_path, component):
    for call in (lambda: hand.most_similar("bank", component=component),
                 lambda: hand.get_vector("bank", component=component),
                 lambda: hand.to_keyed_vectors(component=component)):
        assert_raises_w2gm(ComponentIndexError, IndexError, call, match="out of range")
    assert_raises_w2gm(ComponentIndexError, IndexError,
                       lambda: hand.save_word2vec_format(tmp_path / "x.txt", component=component),
                       match="0 to 1")
    assert os.listdir(tmp_path) == []


def test_word_index_out_of_range_stays_a_plain_index_error(rand):
    with pytest.raises(IndexError, match="25 words") as info:
        rand.score_pairs([0, 25], [1, 2])
    assert not isinstance(info.value, ComponentIndexError)


def test_bad_arguments_raise_parameter_error(hand, rand):
    calls = [
        (lambda: hand.most_similar("bank", topn=-1), "topn must be None or a non-negative integer"),
        (lambda: hand.most_similar("bank", component=0, topn=2.5), "topn"),
        (lambda: hand.most_similar("bank", metric="cosine"), "unknown metric 'cosine'"),
        (lambda: hand.most_similar("bank", component=1, metric="cosine"), "unknown metric"),
        (lambda: hand.similarity("bank", "river", metric="cosine"), "unknown metric"),
        (lambda: rand.score_pairs([0], [1], metric="cosine"), "unknown metric"),
        (lambda: rand.score_pairs([0, 1], [2]), "equal length"),
        (lambda: rand.score_pairs([0.5], [1.0]), "integer"),
        (lambda: rand.score_pairs([[0]], [[1]]), "1-d"),
        (lambda: KeyedGaussianMixtures.load_word2vec_format([]), "paths is empty"),
    ]
    for call, message in calls:
        assert_raises_w2gm(ParameterError, ValueError, call, match=re.escape(message))


@pytest.mark.parametrize("kwargs, message", [
    (dict(words=["a", "a"]), "duplicate word 'a'"),
    (dict(means=np.ones((2, 1, 2), np.int32)), "means must be a floating-point array"),
    (dict(means=np.ones((3, 1, 2))), "means has shape (3, 1, 2)"),
    (dict(means=np.ones((2, 0, 2))), "means has shape (2, 0, 2)"),
    (dict(log_variances=np.zeros((2, 1, 3))), "log_variances has shape (2, 1, 3)"),
    (dict(log_variances=np.zeros((2, 1, 1), bool)), "log_variances must be a floating-point array"),
    (dict(logits=np.zeros((2, 2))), "logits has shape (2, 2)"),
    (dict(counts=np.ones(2)), "counts must be an integer array"),
    (dict(counts=np.ones(3, int)), "counts has shape (3,)"),
])
def test_bad_constructor_arguments_raise_parameter_error(kwargs, message):
    args = dict(words=["a", "b"], means=np.ones((2, 1, 2)), log_variances=np.zeros((2, 1, 1)),
                logits=np.zeros((2, 1)), counts=None)
    args.update(kwargs)
    assert_raises_w2gm(ParameterError, ValueError, lambda: KeyedGaussianMixtures(
        args["words"], args["means"], args["log_variances"], args["logits"], counts=args["counts"]),
        match=re.escape(message))


def test_non_str_word_stays_a_type_error():
    with pytest.raises(TypeError, match="position 1") as info:
        KeyedGaussianMixtures(["a", 3], np.ones((2, 1, 2)), np.zeros((2, 1, 1)), np.zeros((2, 1)))
    assert not isinstance(info.value, W2GMError)


def test_malformed_word2vec_files_raise_word2vec_format_error(hand, tmp_path):
    good = tmp_path / "good.txt"
    hand.save_word2vec_format(good, component=0)
    text = good.read_text()
    cases = {
        "header.txt": ("five 4\n", "invalid word2vec header"),
        "negative.txt": ("-1 4\n", "need 0 <= vocab_size <= 2147483647"),
        "short.txt": (text[: text.index("twin ")], "unexpected end of file after 4 of 5"),
        "values.txt": (text.replace("twin 0 0 0 1", "twin 0 0 1"), "has 3 values for word 'twin'"),
        "nan.txt": (text.replace("twin 0 0 0 1", "twin 0 0 x 1"), "holds b'x', which is not a finite"),
    }
    for name, (content, message) in cases.items():
        (tmp_path / name).write_text(content)
        assert_raises_w2gm(Word2VecFormatError, ValueError,
                           lambda n=name: KeyedGaussianMixtures.load_word2vec_format([tmp_path / n]),
                           match=re.escape(message))
    binary = tmp_path / "good.bin"
    hand.save_word2vec_format(binary, component=0, binary=True)
    (tmp_path / "cut.bin").write_bytes(binary.read_bytes()[:-10])
    assert_raises_w2gm(Word2VecFormatError, ValueError,
                       lambda: KeyedGaussianMixtures.load_word2vec_format([tmp_path / "cut.bin"],
                                                                          binary=True),
                       match="unexpected end of file")


def test_mismatched_word2vec_files_raise_word2vec_format_error(tmp_path):
    def write(name, rows, dim=2):
        return write_rows(tmp_path, name, rows, dim)

    a = write("a.txt", ["cat", "dog", "eel"])
    cases = [
        (write("b.txt", ["cat", "eel", "dog"]), r"'eel' at position 1.*'dog'"),
        (write("c.txt", ["cat", "dog"]), r"has 2 words.*has 3; first unmatched word is 'eel' at position 2"),
        (write("e.txt", ["cat", "dog", "eel", "fox"]), r"has 4 words.*'fox' at position 3"),
        (write("d.txt", ["cat", "dog", "eel"], dim=3), "vector size 3"),
    ]
    for other, message in cases:
        assert_raises_w2gm(Word2VecFormatError, ValueError,
                           lambda o=other: KeyedGaussianMixtures.load_word2vec_format([a, o]), match=message)


@pytest.mark.parametrize("bad_word", ["new york", "tab\there", "", "line\nbreak"])
def test_unwritable_word_raises_word2vec_format_error(tmp_path, bad_word):
    kv = KeyedGaussianMixtures(["ok", bad_word], np.ones((2, 1, 2)), np.zeros((2, 1, 1)), np.zeros((2, 1)))
    assert_raises_w2gm(Word2VecFormatError, ValueError,
                       lambda: kv.save_word2vec_format(tmp_path / "out.txt", component=0),
                       match=re.escape(repr(bad_word)))
    assert os.listdir(tmp_path) == []


# ------------------------------------------------- untrusted word2vec files

W2V_WORDS = ["river", "money", "bank", "fish", "twin"]
W2V_VECTORS = HAND_MEANS[:, 0]


def text_w2v(words=W2V_WORDS, vectors=W2V_VECTORS, header=None):
    """A text word2vec file as bytes (``%.9g`` values, as save_word2vec_format writes)."""
    header = f"{len(words)} {np.asarray(vectors).shape[1]}" if header is None else header
    lines = [header] + [w + " " + " ".join("%.9g" % x for x in v) for w, v in zip(words, vectors)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def binary_w2v(words=W2V_WORDS, vectors=W2V_VECTORS, header=None, sep=b"\n"):
    """A binary word2vec file as bytes; `words` may be bytes, `sep` follows every vector."""
    header = f"{len(words)} {np.asarray(vectors).shape[1]}" if header is None else header
    out = [header.encode() + b"\n"]
    for w, v in zip(words, vectors):
        out.append((w if isinstance(w, bytes) else w.encode()) + b" "
                   + np.asarray(v, dtype="<f4").tobytes() + sep)
    return b"".join(out)


COMPRESS = {"": lambda b: b, ".gz": lambda b: gzip.compress(b, mtime=0), ".bz2": bz2.compress,
            ".xz": lzma.compress}


def load_bytes(tmp_path, data, binary=False, suffix="", name="v"):
    path = tmp_path / f"{name}{'.bin' if binary else '.txt'}{suffix}"
    path.write_bytes(COMPRESS[suffix](data))
    return KeyedGaussianMixtures.load_word2vec_format([path], binary=binary), path


def w2v_error(tmp_path, data, binary=False, suffix="", match=None, name="v"):
    """Loading `data` raises Word2VecFormatError (a ValueError) naming the file; return it."""
    path = tmp_path / f"{name}{'.bin' if binary else '.txt'}{suffix}"
    path.write_bytes(COMPRESS[suffix](data))
    with pytest.raises(Word2VecFormatError, match=match) as info:
        KeyedGaussianMixtures.load_word2vec_format([path], binary=binary)
    assert isinstance(info.value, ValueError) and isinstance(info.value, W2GMError)
    assert str(info.value).startswith(f"{path}: "), str(info.value)
    return info.value


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_every_truncation_of_a_compressed_word2vec_file_is_a_format_error(tmp_path, binary, suffix):
    data = COMPRESS[suffix](binary_w2v() if binary else text_w2v())
    for n in range(len(data)):
        path = tmp_path / f"cut{n}{suffix}"
        path.write_bytes(data[:n])
        with pytest.raises(Word2VecFormatError, match=re.escape(str(path))):
            KeyedGaussianMixtures.load_word2vec_format([path], binary=binary)
    loaded, _ = load_bytes(tmp_path, binary_w2v() if binary else text_w2v(), binary, suffix)
    assert loaded.index_to_key == W2V_WORDS
    np.testing.assert_array_equal(loaded.means[:, 0], W2V_VECTORS)


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_corrupt_compressed_word2vec_file_is_a_format_error(tmp_path, suffix):
    data = COMPRESS[suffix](text_w2v())
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    cases = [bytes(flipped), b"not compressed at all\n", COMPRESS[suffix](text_w2v())[:-1] + b"\x00\x01"]
    for i, damaged in enumerate(cases):
        path = tmp_path / f"bad{i}.txt{suffix}"
        path.write_bytes(damaged)
        with pytest.raises(Word2VecFormatError, match=re.escape(f"{path}: ")) as info:
            KeyedGaussianMixtures.load_word2vec_format([path])
        assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_compressed_trailing_junk_rejected_zero_padding_allowed(tmp_path, suffix):
    good = COMPRESS[suffix](text_w2v())
    (tmp_path / f"pad.txt{suffix}").write_bytes(good + b"\0" * 8)
    padded = KeyedGaussianMixtures.load_word2vec_format([tmp_path / f"pad.txt{suffix}"])
    assert padded.index_to_key == W2V_WORDS
    for i, junk in enumerate([b"junk", b"\x01", good[:len(good) // 2]]):
        (tmp_path / f"junk{i}.txt{suffix}").write_bytes(good + junk)
        # (a cut xz stream outputs its start before the cut shows: then the extra lines are seen first)
        with pytest.raises(Word2VecFormatError,
                           match="corrupt or truncated compressed data|data after the 5 vectors"):
            KeyedGaussianMixtures.load_word2vec_format([tmp_path / f"junk{i}.txt{suffix}"])


@pytest.mark.parametrize("header, message", [
    ("99999999999 50", "need 0 <= vocab_size <= 2147483647 and 1 <= vector_size <= 1048576"),
    ("-5 4", "need 0 <= vocab_size"),
    ("-0 4", "need 0 <= vocab_size"),
    ("5 0", "1 <= vector_size"),
    ("5 -4", "1 <= vector_size"),
    ("5 99999999999", "1 <= vector_size <= 1048576"),
    ("5 1048577", "1 <= vector_size <= 1048576"),
    ("5 4 7", "expected '<vocab_size> <vector_size>'"),
    ("5", "expected '<vocab_size> <vector_size>'"),
    ("", "expected '<vocab_size> <vector_size>'"),
    ("five 4", "invalid word2vec header"),
    ("5.0 4", "invalid word2vec header"),
    ("+5 4", "invalid word2vec header"),
    ("1_0 4", "invalid word2vec header"),
    ("0x5 4", "invalid word2vec header"),
    ("\uff15 4", "invalid word2vec header"),  # fullwidth digit: int() would take it
    ("\ufeff5 4", "invalid word2vec header"),  # byte-order mark
    ("5" * 2000 + " 4", "invalid word2vec header"),  # over MAX_HEADER_BYTES
])
@pytest.mark.parametrize("binary", [False, True])
def test_impossible_headers_are_format_errors(tmp_path, header, message, binary):
    body = (binary_w2v if binary else text_w2v)(header=header)
    w2v_error(tmp_path, body, binary, match=re.escape(message))


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("binary", [False, True])
def test_lying_header_costs_no_memory(tmp_path, suffix, binary):
    """A header promising 2e9 vectors of 1000 values (8 TB) over a tiny file: no allocation from it."""
    import tracemalloc

    body = (binary_w2v if binary else text_w2v)(header="2000000000 4")
    tracemalloc.start()
    try:
        exc = w2v_error(tmp_path, body, binary, suffix)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20
    if suffix:  # size unknown: read until the data runs out
        assert "unexpected end of file after 5 of 2000000000 vectors" in str(exc)
    else:  # checked against the file size before reading
        assert "declares 2000000000 vectors of 4 values" in str(exc) and "only" in str(exc)


def test_header_size_check_counts_the_smallest_possible_entries(tmp_path):
    # 3 text entries of 2 values need at least "a 0 0\nb 0 0\nc 0 0" = 17 bytes
    ok, _ = load_bytes(tmp_path, b"3 2\na 0 0\nb 0 0\nc 0 0")
    assert ok.index_to_key == ["a", "b", "c"] and not ok.means.any()
    w2v_error(tmp_path, b"3 2\na 0 0\nb 0 0\nc 0 ", match="take at least 17 bytes, but only 16")
    # binary: word, space, 4 * D bytes each; the newline is optional
    vec = np.zeros(2, "<f4").tobytes()
    ok, _ = load_bytes(tmp_path, b"2 2\na " + vec + b"b " + vec, binary=True)
    assert ok.index_to_key == ["a", "b"]
    w2v_error(tmp_path, b"2 2\na " + vec + b"b " + vec[:-1], binary=True, match="take at least 20 bytes")


def test_empty_vocabulary_file_loads(tmp_path):
    for binary in (False, True):
        kv, _ = load_bytes(tmp_path, b"0 3\n", binary)
        assert len(kv) == 0 and kv.means.shape == (0, 1, 3)


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "-inf", "Infinity", "1e39", "-3.5e38"])
def test_non_finite_text_values_rejected_with_line_number(tmp_path, bad):
    data = text_w2v().replace(b"fish 0.200000003 -1 0 0", b"fish 0.2 -1 " + bad.encode() + b" 0")
    assert bad.encode() in data
    message = "line 5" + (" (word 'fish') holds a NaN or infinite value" if bad[-1].isdigit()
                          else f" (word 'fish') holds b'{bad}', which is not a finite decimal number")
    w2v_error(tmp_path, data, match=re.escape(message))


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_binary_values_rejected_with_vector_index(tmp_path, value):
    vectors = W2V_VECTORS.copy()
    vectors[3, 2] = value
    w2v_error(tmp_path, binary_w2v(vectors=vectors), binary=True,
              match=re.escape("vector 4 of 5 (word 'fish') holds a NaN or infinite value"))


@pytest.mark.parametrize("bad", ["1_0", "0x1p3", "\u0661", "1,5", "1.5.2", "--1", "e5", ".", "1e", "1f"])
def test_text_values_must_be_plain_decimal_numbers(tmp_path, bad):
    data = text_w2v().replace(b"bank 1.5 0 0 0", b"bank 1.5 " + bad.encode() + b" 0 0")
    w2v_error(tmp_path, data, match=r"line 4 \(word 'bank'\) holds .*, which is not a finite decimal number")


def test_text_number_forms_accepted(tmp_path):
    data = b"2 6\na 1 -2 +3 .5 6. 7e-1\nb 1.5E+2 -0 0.0e0 1e38 -1.0000000001 3.40282e38\n"
    kv, _ = load_bytes(tmp_path, data)
    expected = np.array([[1, -2, 3, .5, 6, .7], [150, 0, 0, 1e38, -1.0000000001, 3.40282e38]], np.float32)
    np.testing.assert_array_equal(kv.means[:, 0], expected)


def test_text_lines_beyond_declared_count_rejected(tmp_path):
    data = text_w2v(header="4 4")
    w2v_error(tmp_path, data, match=re.escape("line 6: data after the 4 vectors declared in the header"))
    w2v_error(tmp_path, text_w2v() + b"\ngarbage", match="line 8: data after the 5 vectors")
    w2v_error(tmp_path, text_w2v() + b"\x00", match="line 7: data after the 5 vectors")


def test_text_trailing_whitespace_and_line_ends_allowed(tmp_path):
    variants = [
        text_w2v() + b"\n\n  \t\n \r\n",  # blank lines at the end
        text_w2v()[:-1],  # no final newline
        text_w2v().replace(b"\n", b"\r\n"),  # CRLF
        text_w2v().replace(b"\n", b" \n"),  # word2vec.c writes a space after every value
        text_w2v().replace(b" ", b" \t "),  # several separators
        b"  " + text_w2v().replace(b"\n", b"\n  "),  # leading spaces
    ]
    for i, data in enumerate(variants):
        kv, _ = load_bytes(tmp_path, data, name=f"ok{i}")
        assert kv.index_to_key == W2V_WORDS, i
        np.testing.assert_array_equal(kv.means[:, 0], W2V_VECTORS)


def test_text_blank_line_among_vectors_rejected(tmp_path):
    data = text_w2v().replace(b"\nbank", b"\n\nbank")
    w2v_error(tmp_path, data, match=re.escape("line 4 is blank; expected vector 3 of 5"))


@pytest.mark.parametrize("binary", [False, True])
def test_binary_and_text_word_checks(tmp_path, binary):
    where = (lambda i: f"vector {i} of 5 (byte ") if binary else (lambda i: f"line {i + 1}: ")
    make = binary_w2v if binary else text_w2v

    def with_word(i, word):
        words = [w.encode() for w in W2V_WORDS]
        words[i - 1] = word
        return make(words=words) if binary else text_w2v().replace(
            W2V_WORDS[i - 1].encode() + b" ", word + b" ", 1)

    e = w2v_error(tmp_path, with_word(3, b"caf\xe9"), binary, match="is not valid UTF-8")
    assert where(3) in str(e)
    e = w2v_error(tmp_path, with_word(2, "new\u00a0york".encode()), binary, match="contains whitespace")
    assert where(2) in str(e)
    e = w2v_error(tmp_path, with_word(4, "\u2028".encode()), binary, match="contains whitespace")
    assert where(4) in str(e)
    e = w2v_error(tmp_path, with_word(4, b"\xed\xa0\x80"), binary, match="not valid UTF-8")  # a surrogate
    e = w2v_error(tmp_path, with_word(5, b"river"), binary,
                  match=re.escape("duplicate word 'river' (also entry 1)"))
    assert where(5) in str(e)
    long_word = b"x" * (keyed_mixtures.MAX_WORD_BYTES + 1)
    w2v_error(tmp_path, with_word(1, long_word), binary, match="65536")
    just_fits = b"y" * keyed_mixtures.MAX_WORD_BYTES
    kv, _ = load_bytes(tmp_path, with_word(1, just_fits), binary)
    assert kv.index_to_key[0] == just_fits.decode()


def test_binary_specific_word_checks(tmp_path):
    w2v_error(tmp_path, binary_w2v(words=[b"a", b"", b"c", b"d", b"e"]), True,
              match=re.escape("vector 2 of 5 (byte 22): empty word"))
    w2v_error(tmp_path, binary_w2v(words=[b"a", b"tab\tword", b"c", b"d", b"e"]), True,
              match="vector 2 of 5.*contains whitespace")
    # one newline before a word is the separator word2vec.c writes; a second is part of the word
    w2v_error(tmp_path, binary_w2v(sep=b"\n\n"), True,
              match="vector 2 of 5.*word '\\\\nmoney' contains whitespace")
    no_sep, _ = load_bytes(tmp_path, binary_w2v(sep=b""), True)  # older files: no newline at all
    assert no_sep.index_to_key == W2V_WORDS


def test_binary_long_word_rejected_quickly(tmp_path):
    """A 64 MB 'word' took 43 s (quadratic buffer handling); now it stops at MAX_WORD_BYTES."""
    import time

    data = b"1 4\n" + b"w" * (8 << 20) + b" " + bytes(16)
    start = time.perf_counter()
    w2v_error(tmp_path, data, binary=True,
              match=re.escape("vector 1 of 1 (byte 4): no space within 65536 bytes"))
    assert time.perf_counter() - start < 2


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 17, 64])
def test_binary_reader_chunk_boundaries(tmp_path, monkeypatch, chunk):
    rng = np.random.default_rng(chunk)
    words = ["w%d" % i + "\u00e9" * int(rng.integers(0, 4)) for i in range(30)]
    vectors = rng.standard_normal((30, 3)).astype(np.float32)
    vectors[0] = np.frombuffer(b" \n  " * 3, dtype="<f4")  # spaces and newlines inside values
    monkeypatch.setattr(keyed_mixtures, "_READ_CHUNK", chunk)
    for sep in (b"\n", b""):
        kv, _ = load_bytes(tmp_path, binary_w2v(words, vectors, sep=sep) + b"\n \n", True)
        assert kv.index_to_key == words
        np.testing.assert_array_equal(kv.means[:, 0], vectors)
    w2v_error(tmp_path, binary_w2v(words, vectors)[:-5], True, match="unexpected end of file after 29 of 30")


def test_binary_data_beyond_declared_count_rejected(tmp_path):
    data = binary_w2v(header="4 4")
    w2v_error(tmp_path, data, True, match=re.escape("data after the 4 vectors declared in the header (byte "))
    w2v_error(tmp_path, binary_w2v() + b"x", True, match="data after the 5 vectors")
    kv, _ = load_bytes(tmp_path, binary_w2v() + b"\n\t \r\n", True)  # trailing whitespace is fine
    assert kv.index_to_key == W2V_WORDS


def test_overlong_text_line_is_bounded(tmp_path):
    """A compressed line without end (a 'zip bomb') is cut at the line limit, not read whole."""
    import tracemalloc

    data = b"1 2\nword " + b"1" * (64 << 20)
    tracemalloc.start()
    try:
        w2v_error(tmp_path, data, suffix=".gz", match=re.escape("line 2 is longer than 65666 bytes"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20


def test_headers_of_all_files_checked_before_any_body(tmp_path, monkeypatch):
    good = tmp_path / "good.txt"
    good.write_bytes(text_w2v())
    bad = tmp_path / "bad.txt"
    bad.write_bytes(text_w2v(header="5 4 junk"))
    wide = tmp_path / "wide.txt"
    wide.write_bytes(text_w2v(vectors=np.ones((5, 3))))

    def no_body(*args):
        raise AssertionError("a body was read")

    monkeypatch.setattr(keyed_mixtures, "_read_text_body", no_body)
    with pytest.raises(Word2VecFormatError, match=re.escape(f"{bad}: invalid word2vec header")):
        KeyedGaussianMixtures.load_word2vec_format([good, good, bad])
    with pytest.raises(Word2VecFormatError, match=r"wide.txt \(component 1\) has vector size 3, but .*has 4"):
        KeyedGaussianMixtures.load_word2vec_format([good, wide])


@pytest.mark.parametrize("binary", [False, True])
def test_unusual_valid_words_round_trip(tmp_path, binary):
    words = ["\x00nul", "\u00e9t\u00e9", "\U0001F600", "a\x7fb", "\u200b", "x" * 5000, "\ufffd", "#"]
    kv = KeyedGaussianMixtures(words, np.arange(len(words) * 2, dtype=np.float32).reshape(-1, 1, 2),
                               np.zeros((len(words), 1, 1)), np.zeros((len(words), 1)))
    path = tmp_path / "odd.w2v"
    kv.save_word2vec_format(path, component=0, binary=binary)
    loaded = KeyedGaussianMixtures.load_word2vec_format([path], binary=binary)
    assert loaded.index_to_key == words
    np.testing.assert_array_equal(loaded.means, kv.means)


@pytest.mark.parametrize("bad_word", ["\ud800", "lone\udfffsurrogate", "x\u2028y", "x\x1cy", "\u3000"])
def test_save_rejects_words_it_cannot_write_before_writing(tmp_path, bad_word):
    kv = KeyedGaussianMixtures(["ok", bad_word], np.ones((2, 1, 2)), np.zeros((2, 1, 1)), np.zeros((2, 1)))
    for binary in (False, True):
        assert_raises_w2gm(Word2VecFormatError, ValueError,
                           lambda b=binary: kv.save_word2vec_format(tmp_path / "out.txt.gz", component=0,
                                                                    binary=b),
                           match=re.escape(repr(bad_word)))
        assert os.listdir(tmp_path) == []


def test_save_rejects_too_long_words_and_non_finite_means(tmp_path):
    long_word = "\u00e9" * (keyed_mixtures.MAX_WORD_BYTES // 2 + 1)
    kv = KeyedGaussianMixtures(["ok", long_word], np.ones((2, 1, 2)), np.zeros((2, 1, 1)), np.zeros((2, 1)))
    assert_raises_w2gm(Word2VecFormatError, ValueError,
                       lambda: kv.save_word2vec_format(tmp_path / "o.txt", component=0),
                       match="65538 bytes long in UTF-8, above the maximum of 65536")
    means = np.ones((3, 2, 2), np.float32)
    kv = KeyedGaussianMixtures(["a", "b", "c"], means, np.zeros((3, 2, 1)), np.zeros((3, 2)))
    means[2, 1, 0] = np.nan  # in place, as a diverged trainer would (the constructor refuses NaN)
    kv.save_word2vec_format(tmp_path / "c0.txt", component=0)  # component 0 is finite
    assert_raises_w2gm(Word2VecFormatError, ValueError,
                       lambda: kv.save_word2vec_format(tmp_path / "c1.txt", component=1),
                       match=re.escape("the mean of word 'c' (component 1) holds a NaN or infinite value"))
    assert os.listdir(tmp_path) == ["c0.txt"]


# ------------------------------------------- gensim KeyedVectors surface

def point_reference(kv):
    """``sum_k p[w, k] mu[w, k]`` in float64 with explicit softmax weights."""
    logits = kv.logits.astype(np.float64)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return np.einsum("vk,vkd->vd", p, kv.means.astype(np.float64))


@pytest.fixture
def gensim_rand(rand):
    pytest.importorskip("gensim")
    return rand.to_keyed_vectors()


def test_vectors_are_the_mixture_weighted_means(rand, hand):
    vectors = rand.vectors
    assert vectors.shape == (25, 6) and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, point_reference(rand), rtol=1e-6, atol=1e-6)
    assert rand.vectors is vectors  # cached
    with pytest.raises(ValueError, match="read-only"):
        vectors[0, 0] = 1.0
    # equal weights: the plain mean of the components
    np.testing.assert_allclose(hand.vectors, HAND_MEANS.mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(rand.norms, np.linalg.norm(point_reference(rand), axis=1), rtol=1e-5)
    # K = 1: exactly the means
    one = KeyedGaussianMixtures(["a", "b"], HAND_MEANS[:2, :1], np.zeros((2, 1, 1)), [[3.0], [-2.0]])
    np.testing.assert_array_equal(one.vectors, HAND_MEANS[:2, 0])


def test_vectors_follow_in_place_updates_after_clear_cache(hand):
    means = HAND_MEANS.copy()
    logits = np.zeros((5, 2), np.float32)
    kv = KeyedGaussianMixtures(list(HAND_WORDS), means, np.zeros((5, 2, 1), np.float32), logits)
    old = kv.vectors
    unit, norms = kv.get_normed_vectors(), kv.norms
    logits[2] = [0.0, np.log(3.0)]  # bank: weights 1/4, 3/4
    assert kv.vectors is old  # stale until clear_cache, as documented
    kv.clear_cache()
    np.testing.assert_allclose(kv.vectors[2], 0.25 * HAND_MEANS[2, 0] + 0.75 * HAND_MEANS[2, 1], rtol=1e-6)
    np.testing.assert_array_equal(old[2], HAND_MEANS[2].mean(axis=0))  # handed-out arrays keep their values
    assert kv.get_normed_vectors() is not unit and kv.norms is not norms
    kv.fill_norms(force=True)
    np.testing.assert_allclose(kv.norms[2], np.linalg.norm(kv.vectors[2]), rtol=1e-6)


def test_getitem_get_vector_and_normed_vectors(rand):
    v = rand["w3"]
    assert v.shape == (6,) and v.dtype == np.float32 and not v.flags.writeable
    np.testing.assert_array_equal(v, rand.vectors[3])
    rows = rand[["w3", "w0", "w3"]]
    assert rows.shape == (3, 6)
    np.testing.assert_array_equal(rows, rand.vectors[[3, 0, 3]])
    assert rand[("w1",)].shape == (1, 6) and rand[[]].shape == (0, 6)
    np.testing.assert_array_equal(rand.get_vector("w3"), v)
    unit = rand.get_vector("w3", norm=True)
    assert np.linalg.norm(unit) == pytest.approx(1.0, rel=1e-6)
    np.testing.assert_allclose(unit, v / np.linalg.norm(v), rtol=1e-6)
    comp = rand.get_vector("w3", component=2)
    np.testing.assert_array_equal(comp, rand.means[3, 2])
    comp[:] = 0  # a copy
    assert rand.means[3, 2].any()
    np.testing.assert_allclose(rand.get_vector("w3", norm=True, component=1),
                               rand.means[3, 1] / np.linalg.norm(rand.means[3, 1]), rtol=1e-6)
    normed = rand.get_normed_vectors()
    np.testing.assert_allclose(np.linalg.norm(normed, axis=1), 1.0, rtol=1e-6)
    zero = KeyedGaussianMixtures(["z", "a"], [[[0.0, 0.0]], [[1.0, 1.0]]], np.zeros((2, 1, 1)),
                                 np.zeros((2, 1)))
    np.testing.assert_array_equal(zero.get_normed_vectors()[0], [0.0, 0.0])
    for call in (lambda: rand["nope"], lambda: rand[["w1", "nope"]], lambda: rand[3],
                 lambda: rand.get_vector(3)):
        assert_raises_w2gm(WordNotInVocabularyError, KeyError, call, match="not in vocabulary")


def test_vocabulary_helpers_and_vecattrs(rand, hand):
    assert rand.has_index_for("w4") and not rand.has_index_for("x") and not rand.has_index_for(4)
    assert rand.get_index("w4") == 4 and rand.get_index("x", default=-1) == -1
    assert rand.get_index("x", 7) == 7 and rand.get_index(4, default=-1) == -1
    assert rand.get_vecattr("w5", "count") == int(rand.counts[5])
    assert isinstance(rand.get_vecattr("w5", "count"), int)
    assert set(rand.expandos) == {"count"} and rand.expandos["count"] is rand.counts
    assert hand.expandos == {}
    assert_raises_w2gm(ParameterError, ValueError, lambda: hand.get_vecattr("bank", "count"),
                       match="no per-word attribute 'count'.*none")
    assert_raises_w2gm(ParameterError, ValueError, lambda: rand.get_vecattr("w1", "sample_int"),
                       match="'count'")
    assert_raises_w2gm(WordNotInVocabularyError, KeyError, lambda: rand.get_vecattr("x", "count"))


def test_to_keyed_vectors_is_a_gensim_object(rand, hand):
    gensim_kv = pytest.importorskip("gensim.models.keyedvectors")
    kv = rand.to_keyed_vectors()
    assert isinstance(kv, gensim_kv.KeyedVectors)
    assert kv.index_to_key == rand.index_to_key and kv.key_to_index == rand.key_to_index
    np.testing.assert_array_equal(kv.vectors, rand.vectors)
    assert [kv.get_vecattr(w, "count") for w in kv.index_to_key] == rand.counts.tolist()
    one = rand.to_keyed_vectors(component=1)
    np.testing.assert_array_equal(one.vectors, rand.means[:, 1])
    kv.vectors[0, 0] = 123.0  # a copy
    assert rand.vectors[0, 0] != 123.0 and rand.means[0, 1, 0] != 123.0
    assert "count" not in hand.to_keyed_vectors().expandos


def test_to_keyed_vectors_without_gensim_names_the_package(hand, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "gensim", None)
    monkeypatch.setitem(sys.modules, "gensim.models", None)
    with pytest.raises(ImportError, match=r"needs gensim.*pip install gensim.*w2gm\[") as info:
        hand.to_keyed_vectors()
    assert info.value.name == "gensim"


def gensim_pairs(result):
    return [(w, float(s)) for w, s in result]


def assert_same_ranking(ours, theirs, rtol=1e-5):
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=rtol, atol=1e-6)


@pytest.mark.parametrize("query", [
    dict(positive=["w1"]),
    dict(positive="w1"),
    dict(positive=["w1", "w2"], negative=["w3"]),
    dict(positive=["w1"], negative="w7", topn=4),
    dict(negative=["w4"]),
    dict(positive=[("w1", 2.0), "w5"], negative=[("w3", -0.5)]),
    dict(positive=["w1", "w2"], negative=["w3"], restrict_vocab=12),
    dict(positive=["w1", "w2"], clip_start=5, clip_end=20),
    dict(positive=["w1", "w2", "w9", "w11"], negative=["w0"], topn=30),
])
def test_most_similar_point_equals_gensim(rand, gensim_rand, query):
    ours = rand.most_similar(mixture="point", **query)
    theirs = gensim_rand.most_similar(**query)
    assert_same_ranking(ours, gensim_pairs(theirs))
    assert all(isinstance(s, float) for _, s in ours)


def test_most_similar_point_with_vectors_and_all_scores_equals_gensim(rand, gensim_rand):
    vec = np.linspace(-1, 1, 6).astype(np.float32)
    rows = np.stack([vec, -vec])
    for query in (dict(positive=[vec]), dict(positive=["w2", vec], negative=["w6"]),
                  dict(positive=rows), dict(positive=[(vec, 0.5), "w3"])):
        assert_same_ranking(rand.most_similar(mixture="point", **query),
                            gensim_pairs(gensim_rand.most_similar(**query)))
        everything = rand.most_similar(mixture="point", topn=None, **query)
        assert everything.shape == (25,)
        np.testing.assert_allclose(everything, gensim_rand.most_similar(topn=None, **query), rtol=1e-5,
                                   atol=1e-6)
    assert_same_ranking(rand.similar_by_vector(vec, mixture="point"),
                        gensim_pairs(gensim_rand.similar_by_vector(vec)))
    assert_same_ranking(rand.similar_by_key("w8", mixture="point", topn=5),
                        gensim_pairs(gensim_rand.similar_by_key("w8", topn=5)))
    clipped = rand.most_similar("w1", mixture="point", topn=None, restrict_vocab=10)
    assert clipped.shape == (10,) and clipped[1] == pytest.approx(1.0, rel=1e-6)


def best_component_brute_force(kv, terms, exclude=()):
    """Ranking by max over components and combinations, with explicit loops in float64."""
    m = kv.means.astype(np.float64)
    options = []
    for key, weight in terms:
        rows = [unit64(v) for v in m[kv.get_index(key)]] if isinstance(key, str) else [np.asarray(key, float)]
        options.append([weight * r for r in rows])
    targets = [unit64(sum(combo)) for combo in itertools.product(*options)]
    scores = {}
    for w, word in enumerate(kv.index_to_key):
        if word not in exclude:
            scores[word] = max(unit64(c) @ t for c in m[w] for t in targets)
    return sorted(scores.items(), key=lambda t: -t[1])


def unit64(x):
    x = np.asarray(x, dtype=np.float64)
    return x / np.linalg.norm(x)


def test_most_similar_best_component_matches_brute_force(rand):
    vec = np.linspace(-1, 1, 6)
    for positive, negative in [(["w1", "w2"], ["w3"]), (["w4"], ["w5", "w6"]), ([("w1", 0.3), vec], ["w2"]),
                               ([], ["w9"])]:
        terms = [(p, 1.0) if not isinstance(p, tuple) else p for p in positive] + \
            [(n, -1.0) for n in negative]
        exclude = {k for k, _ in terms if isinstance(k, str)}
        reference = best_component_brute_force(rand, terms, exclude)
        got = rand.most_similar(positive=positive, negative=negative, topn=30, mixture="best_component")
        assert_same_ranking(got, reference)


def test_default_mixture_is_max_cos_for_one_word_and_point_for_arithmetic(rand, gensim_rand):
    assert rand.most_similar("w5", topn=30) == rand.most_similar("w5", topn=30, mixture="best_component")
    assert rand.most_similar("w5", topn=30) != rand.most_similar("w5", topn=30, mixture="point")
    for query in (dict(positive=["w1", "w2"], negative=["w3"]), dict(negative="w4"),
                  dict(positive=[np.ones(6)]), dict(positive=[("w1", 2.0), "w2"])):
        assert rand.most_similar(**query) == rand.most_similar(mixture="point", **query)
        assert_same_ranking(rand.most_similar(**query), gensim_pairs(gensim_rand.most_similar(**query)))
    vec = np.linspace(-1, 1, 6)
    assert rand.similar_by_vector(vec) == rand.similar_by_vector(vec, mixture="point")
    assert rand.most_similar_cosmul(["w1", "w2"], ["w3"]) == \
        rand.most_similar_cosmul(["w1", "w2"], ["w3"], mixture="point")
    assert rand.most_similar_cosmul("w1") == rand.most_similar_cosmul("w1", mixture="best_component")


def test_best_component_single_word_is_max_cos_and_vector_is_best_cosine(rand):
    assert rand.most_similar("w5", topn=30) == rand.most_similar(["w5"], topn=30)
    # a positive weight does not change a one-word ranking
    assert [w for w, _ in rand.most_similar([("w5", 2.5)], topn=30)] == \
        [w for w, _ in rand.most_similar("w5", topn=30)]
    vec = np.arange(6, dtype=np.float32) - 2.5
    assert_same_ranking(rand.similar_by_vector(vec, topn=30, mixture="best_component"),
                        best_component_brute_force(rand, [(vec, 1.0)]))
    assert rand.similar_by_word("w5", topn=7) == rand.similar_by_key("w5", topn=7) == \
        rand.most_similar("w5", topn=7)
    assert rand.similar_by_key("w5", topn=7, metric="neg_kl") == \
        rand.most_similar("w5", topn=7, metric="neg_kl")


def test_k1_best_component_equals_point(gensim_rand):
    one = KeyedGaussianMixtures(list(gensim_rand.index_to_key), gensim_rand.vectors[:, None, :],
                                np.zeros((25, 1, 1)), np.zeros((25, 1)))
    for query in (dict(positive=["w1", "w2"], negative=["w3"]), dict(positive=["w7"]), dict(negative="w1")):
        a = one.most_similar(topn=24, mixture="best_component", **query)
        b = one.most_similar(topn=24, mixture="point", **query)
        assert_same_ranking(a, b)
        assert_same_ranking(a, gensim_pairs(gensim_rand.most_similar(topn=24, **query)))


def test_most_similar_ranges_and_all_scores(rand):
    everything = rand.most_similar("w2", topn=None)
    assert everything.shape == (25,)
    for w in range(25):
        assert everything[w] == pytest.approx(rand.similarity("w2", f"w{w}"), rel=1e-5, abs=1e-6)
    comp = rand.most_similar("w2", component=1, topn=None, metric="neg_kl")
    assert comp.shape == (25, 3)
    top = rand.most_similar("w2", component=1, topn=4, metric="neg_kl")
    flat = [(f"w{w}", c, comp[w, c]) for w in range(25) for c in range(3) if w != 2]
    flat.sort(key=lambda t: -t[2])
    assert [(w, c) for w, c, _ in top] == [(w, c) for w, c, _ in flat[:4]]
    clipped = rand.most_similar("w2", topn=100, clip_start=3, clip_end=9)
    assert sorted(w for w, _ in clipped) == [f"w{i}" for i in range(3, 9)]
    assert [w for w, _ in rand.most_similar("w2", topn=100, restrict_vocab=5, clip_start=3)] == \
        [w for w, _ in sorted(((f"w{i}", everything[i]) for i in (0, 1, 3, 4)), key=lambda t: -t[1])]
    comps = rand.most_similar("w2", component=0, topn=100, restrict_vocab=4)
    assert len(comps) == 9 and {w for w, _, _ in comps} == {"w0", "w1", "w3"}
    arithmetic = rand.most_similar(["w2", "w3"], topn=None, clip_start=20)
    assert arithmetic.shape == (5,)


@pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")
@pytest.mark.parametrize("mixture", ["point", "best_component"])
def test_most_similar_cosmul(rand, gensim_rand, mixture):
    if mixture == "point":
        for query in (dict(positive=["w1", "w2"], negative=["w3"]), dict(positive=["w4"]),
                      dict(positive=["w1", "w9"]), dict(positive="w2", negative="w8")):
            ours = rand.most_similar_cosmul(mixture="point", topn=24, **query)
            assert_same_ranking(ours, gensim_pairs(gensim_rand.most_similar_cosmul(topn=24, **query)))
            np.testing.assert_allclose(rand.most_similar_cosmul(mixture="point", topn=None, **query),
                                       gensim_rand.most_similar_cosmul(topn=None, **query), rtol=1e-5)
    else:
        m = rand.means.astype(np.float64)

        def factor(w, q, word):
            return [(1 + unit64(m[w, q]) @ unit64(v)) / 2 for v in m[rand.get_index(word)]]
        ref = {}
        for w in range(25):
            if w not in (1, 2, 3):
                ref[f"w{w}"] = max(max(factor(w, q, "w1")) * max(factor(w, q, "w2"))
                                   / (min(factor(w, q, "w3")) + 1e-6) for q in range(3))
        reference = sorted(ref.items(), key=lambda t: -t[1])
        got = rand.most_similar_cosmul(["w1", "w2"], ["w3"], topn=30, mixture=mixture)
        assert_same_ranking(got, reference)
        # one word: ranks like max_cos
        assert [w for w, _ in rand.most_similar_cosmul("w6", topn=30)] == \
            [w for w, _ in rand.most_similar("w6", topn=30)]
    assert len(rand.most_similar_cosmul(["w1"], restrict_vocab=6, topn=None, mixture=mixture)) == 6


def test_centrality_doesnt_match_n_similarity_equal_gensim(rand, gensim_rand, caplog):
    words = ["w1", "w2", "w3", "w4", "w11"]
    ours = rand.rank_by_centrality(words)
    theirs = gensim_rand.rank_by_centrality(words)
    assert [w for _, w in ours] == [w for _, w in theirs]
    np.testing.assert_allclose([s for s, _ in ours], [s for s, _ in theirs], rtol=1e-5)
    assert rand.doesnt_match(words) == gensim_rand.doesnt_match(words)
    with caplog.at_level("WARNING"):
        assert rand.doesnt_match(words + ["nope"]) == gensim_rand.doesnt_match(words)
    assert "nope" in caplog.text
    assert_raises_w2gm(ParameterError, ValueError, lambda: rand.doesnt_match(["nope"]), match="empty list")
    for ws1, ws2 in ((["w1"], ["w2"]), (["w1", "w5"], ["w2", "w7", "w9"])):
        expected = float(gensim_rand.n_similarity(ws1, ws2))
        assert rand.n_similarity(ws1, ws2) == pytest.approx(expected, rel=1e-5)
    assert_raises_w2gm(ParameterError, ValueError, lambda: rand.n_similarity([], ["w1"]), match="non-empty")
    assert_raises_w2gm(WordNotInVocabularyError, KeyError, lambda: rand.n_similarity(["w1", "nope"], ["w2"]))


def test_get_mean_vector_equals_gensim(rand, gensim_rand):
    vec = np.linspace(0, 1, 6).astype(np.float32)
    for args in [(["w1", "w2"],), (["w1", "w2", "nope"],), (["w3", vec], [0.5, -2.0]), (["w4"], None, False),
                 (["w4", "w6"], np.array([1.0, 3.0]), True, True), ([vec, "w0"], None, False, True)]:
        np.testing.assert_allclose(rand.get_mean_vector(*args), gensim_rand.get_mean_vector(*args),
                                   rtol=1e-5, atol=1e-7)
    assert rand.get_mean_vector(["w1"]).dtype == np.float32
    np.testing.assert_array_equal(rand.get_mean_vector(["nope"]), np.zeros(6))
    for call, cls, message in [
        (lambda: rand.get_mean_vector([]), ParameterError, "no input"),
        (lambda: rand.get_mean_vector(["w1", "w2"], [1.0]), ParameterError, "same number"),
        (lambda: rand.get_mean_vector(["w1", "nope"], ignore_missing=False), WordNotInVocabularyError,
         "nope"),
        (lambda: rand.get_mean_vector([np.ones(5)]), ParameterError, "length D=6"),
    ]:
        with pytest.raises(cls, match=message):
            call()


@pytest.mark.parametrize("metric", SIMILARITY_METRICS)
def test_distances_closer_than_rank_follow_similarity(rand, metric):
    d = rand.distances("w4", metric=metric)
    assert d.shape == (25,) and d.dtype == np.float64
    for w in range(25):
        assert d[w] == pytest.approx(1 - rand.similarity("w4", f"w{w}", metric), rel=1e-12, abs=1e-12)
        assert rand.distance("w4", f"w{w}", metric) == pytest.approx(d[w], rel=1e-12, abs=1e-12)
    some = rand.distances("w4", ["w7", "w1"], metric=metric)
    np.testing.assert_allclose(some, d[[7, 1]], rtol=1e-12)
    closer = rand.closer_than("w4", "w9", metric=metric)
    assert closer == [f"w{w}" for w in range(25) if w != 4 and d[w] < d[9]]
    assert rand.rank("w4", "w9", metric=metric) == len(closer) + 1
    assert rand.words_closer_than("w4", "w9", metric=metric) == closer
    ranking = [w for w, _ in rand.most_similar("w4", topn=24, metric=metric)]
    assert rand.rank("w4", ranking[5], metric=metric) == 6
    assert rand.most_similar_to_given("w4", ["w1", "w9", "w13"], metric=metric) == \
        max(["w1", "w9", "w13"], key=lambda w: rand.similarity("w4", w, metric))


def test_distances_equal_gensim_for_one_component(gensim_rand):
    one = KeyedGaussianMixtures(list(gensim_rand.index_to_key), gensim_rand.vectors[:, None, :],
                                np.zeros((25, 1, 1)), np.zeros((25, 1)))
    np.testing.assert_allclose(one.distances("w3"), gensim_rand.distances("w3"), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(one.distances("w3", ["w5", "w0"]), gensim_rand.distances("w3", ["w5", "w0"]),
                               rtol=1e-5, atol=1e-6)
    vec = np.linspace(-1, 2, 6).astype(np.float32)
    np.testing.assert_allclose(one.distances(vec), gensim_rand.distances(vec), rtol=1e-5, atol=1e-6)
    assert one.distance("w1", "w2") == pytest.approx(float(gensim_rand.distance("w1", "w2")), rel=1e-5)
    assert one.closer_than("w3", "w17") == gensim_rand.closer_than("w3", "w17")
    assert one.rank("w3", "w17") == gensim_rand.rank("w3", "w17")
    assert one.most_similar_to_given("w3", ["w1", "w2", "w4"]) == \
        gensim_rand.most_similar_to_given("w3", ["w1", "w2", "w4"])
    a, b = np.array([1.0, 2.0, 0.5]), np.array([[1.0, 0.0, 0.0], [2.0, 4.0, 1.0], [-1.0, 1.0, 3.0]])
    np.testing.assert_allclose(KeyedGaussianMixtures.cosine_similarities(a, b),
                               type(gensim_rand).cosine_similarities(a, b), rtol=1e-12)


def test_distances_from_a_vector_use_the_best_component(rand):
    vec = np.linspace(-1, 2, 6)
    got = rand.distances(vec, ["w2", "w9"])
    for value, word in zip(got, ["w2", "w9"]):
        best = max(unit64(c) @ unit64(vec) for c in rand.means[rand.get_index(word)].astype(np.float64))
        assert value == pytest.approx(1 - best, rel=1e-6)  # the query vector is used in float32
    assert_raises_w2gm(ParameterError, ValueError, lambda: rand.distances(vec, metric="neg_kl"),
                       match="cosine")


def test_query_argument_errors(rand):
    vec = np.ones(6)
    for call, message in [
        (lambda: rand.most_similar(), "no input"),
        (lambda: rand.most_similar([], []), "no input"),
        (lambda: rand.most_similar([np.ones(5)]), "length D=6"),
        (lambda: rand.most_similar([np.array([1, 2, 3, 4, 5, np.nan])]), "NaN"),
        (lambda: rand.most_similar(np.ones((2, 2, 6))), "1-d"),
        (lambda: rand.most_similar([("w1", "heavy")]), "weight of 'w1'"),
        (lambda: rand.most_similar([("w1", 1.0, 2.0)]), "(key, weight) pair"),
        (lambda: rand.most_similar([3]), "a query key must be a word"),
        (lambda: rand.most_similar(5), "positive must be"),
        (lambda: rand.most_similar(["w1", "w2"], metric="neg_kl"), "metric='neg_kl' applies"),
        (lambda: rand.most_similar("w1", metric="avg_cos", mixture="point"), "metric='avg_cos' applies"),
        (lambda: rand.most_similar(["w1", "w2"], component=0), "component="),
        (lambda: rand.most_similar("w1", negative="w2", component=0), "component="),
        (lambda: rand.most_similar("w1", component=0, mixture="point"), "component="),
        (lambda: rand.most_similar("w1", mixture="mean"), "unknown mixture 'mean'"),
        (lambda: rand.most_similar("w1", indexer=object()), "indexer"),
        (lambda: rand.most_similar("w1", indexer=object(), topn=None, mixture="point"), "indexer"),
        (lambda: rand.most_similar("w1", restrict_vocab=-2), "restrict_vocab"),
        (lambda: rand.most_similar("w1", clip_start=1.5), "clip_start"),
        (lambda: rand.most_similar([f"w{i}" for i in range(9)], mixture="best_component"),
         "above the limit of 4096"),
        (lambda: rand.most_similar_cosmul([("w1", 2.0)]), "pairs are not accepted"),
        (lambda: rand.most_similar_cosmul(negative=["w1"]), "no positive input"),
        (lambda: rand.similar_by_vector(np.ones((2, 6))), "1-d"),
        (lambda: rand.most_similar_to_given("w1", []), "keys_list is empty"),
        (lambda: rand.distances(vec[:3]), "length D=6"),
    ]:
        assert_raises_w2gm(ParameterError, ValueError, call, match=re.escape(message))
    assert_raises_w2gm(WordNotInVocabularyError, KeyError, lambda: rand.most_similar(["w1"], ["nope"]))
    assert_raises_w2gm(WordNotInVocabularyError, KeyError, lambda: rand.most_similar_cosmul(["nope"]))
    assert_raises_w2gm(WordNotInVocabularyError, KeyError, lambda: rand.closer_than("w1", "nope"))


def test_indexer_gets_the_point_target(rand, gensim_rand):
    class Recorder:
        def most_similar(self, vector, topn):
            self.seen = (vector, topn)
            return [("answer", 1.0)]
    indexer = Recorder()
    got = rand.most_similar(["w1", "w2"], ["w3"], topn=3, indexer=indexer, mixture="point")
    assert got == [("answer", 1.0)]
    target = gensim_rand.get_mean_vector(["w1", "w2", "w3"], [1.0, 1.0, -1.0], post_normalize=True)
    np.testing.assert_allclose(indexer.seen[0], target, rtol=1e-5, atol=1e-7)
    assert indexer.seen[1] == 3


def test_wmdistance_is_absent_with_an_explanation(hand):
    with pytest.raises(NotImplementedError, match="POT.*to_keyed_vectors"):
        hand.wmdistance(["bank"], ["river"])


# -------------------------------------------------- save_word2vec_format

@pytest.mark.parametrize("binary", [False, True])
def test_save_word2vec_format_point_vectors_and_fvocab(rand, tmp_path, binary):
    gensim_kv = pytest.importorskip("gensim.models.keyedvectors")
    path, vocab = tmp_path / "points.w2v", tmp_path / "vocab.txt"
    rand.save_word2vec_format(path, vocab, binary)  # gensim's positional order: fname, fvocab, binary
    loaded = gensim_kv.KeyedVectors.load_word2vec_format(str(path), fvocab=str(vocab), binary=binary)
    assert loaded.index_to_key == rand.index_to_key
    np.testing.assert_array_equal(loaded.vectors, rand.vectors)
    assert [loaded.get_vecattr(w, "count") for w in loaded.index_to_key] == rand.counts.tolist()
    assert vocab.read_text().splitlines()[:2] == [f"w0 {rand.counts[0]}", f"w1 {rand.counts[1]}"]
    # gensim writes the same vocabulary file for the same counts
    theirs = tmp_path / "their-vocab.txt"
    rand.to_keyed_vectors().save_word2vec_format(str(tmp_path / "theirs.w2v"), fvocab=str(theirs))
    assert sorted(theirs.read_text().splitlines()) == sorted(vocab.read_text().splitlines())


def test_save_word2vec_format_argument_errors(hand, rand, tmp_path):
    assert_raises_w2gm(ParameterError, ValueError,
                       lambda: hand.save_word2vec_format(tmp_path / "v.txt", tmp_path / "vocab.txt"),
                       match="no counts")
    assert_raises_w2gm(ParameterError, ValueError, lambda: rand.save_word2vec_format(tmp_path / "v.txt", 1),
                       match="component=1")
    means = np.ones((2, 2, 2), np.float32)
    kv = KeyedGaussianMixtures(["a", "b"], means, np.zeros((2, 2, 1)), np.zeros((2, 2)))
    means[1, 0, 0] = np.inf  # in place, as a diverged trainer would (the constructor refuses inf)
    assert_raises_w2gm(Word2VecFormatError, ValueError, lambda: kv.save_word2vec_format(tmp_path / "v.txt"),
                       match="point vector of word 'b'")
    assert os.listdir(tmp_path) == []


def test_from_keyed_vectors_is_the_inverse_of_to_keyed_vectors(rand):
    pytest.importorskip("gensim")
    kv = rand.to_keyed_vectors()
    back = KeyedGaussianMixtures.from_keyed_vectors(kv)
    assert back.index_to_key == rand.index_to_key
    assert back.means.shape == (len(rand), 1, rand.vector_size)
    assert np.array_equal(back.vectors, rand.vectors)
    assert back.covariance == "spherical" and np.all(back.mixture_weights == 1)
    if rand.counts is not None:
        assert np.array_equal(back.counts, rand.counts)
    # with one component, the mixture similarity is gensim's cosine
    w1, w2 = rand.index_to_key[:2]
    assert back.similarity(w1, w2) == pytest.approx(float(kv.similarity(w1, w2)), abs=1e-6)
    bad = np.array(kv.vectors)
    bad[1, 0] = np.nan
    with pytest.raises(ParameterError, match=f"row 1, word {kv.index_to_key[1]!r}"):
        KeyedGaussianMixtures.from_keyed_vectors(type("KV", (), {"vectors": bad,
                                                                 "index_to_key": kv.index_to_key})())
    with pytest.raises(ParameterError, match=r"expected \(V, D\)"):
        KeyedGaussianMixtures.from_keyed_vectors(type("KV", (), {"vectors": np.zeros(3),
                                                                 "index_to_key": ["a"]})())


@pytest.mark.parametrize("fvocab", ["missing_dir/vocab.txt", "existing_dir", "vectors.txt/"])
def test_save_word2vec_format_checks_the_vocabulary_path_before_writing_anything(tmp_path, monkeypatch,
                                                                                 fvocab):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "existing_dir").mkdir()
    (tmp_path / "vectors.txt").write_text("previous content\n")
    counted = make_hand(counts=np.arange(1, len(HAND_WORDS) + 1))
    with pytest.raises(OSError, match=re.escape(repr(fvocab))):
        counted.save_word2vec_format("vectors.txt", fvocab=fvocab)
    assert (tmp_path / "vectors.txt").read_text() == "previous content\n"
    assert sorted(os.listdir(tmp_path)) == ["existing_dir", "vectors.txt"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_load_word2vec_format_refuses_a_fifo_without_opening_it(tmp_path, monkeypatch):
    with fifo_spellings(tmp_path, "vectors.txt", monkeypatch) as names:
        for name in names:
            with pytest.raises(Word2VecFormatError, match="not a regular file"):
                KeyedGaussianMixtures.load_word2vec_format([name])


# ------------------------------------------------------------------ hostile query arguments


@pytest.mark.parametrize("query, message", [
    (dict(positive=[("w0", -1e39)]), "the weight of 'w0' must be 0 or a number of magnitude"),
    (dict(positive=[("w0", 1e-300), ("w1", 1e-300)]), "the weight of 'w0'"),
    (dict(positive=[("w0", 1e300), "w1"], mixture="best_component"), "the weight of 'w0'"),
    (dict(positive=[("w0", 10**400)]), "the weight of 'w0'"),
    (dict(positive=[np.full(6, -3e38, np.float32)]), "a query vector's largest value"),
    (dict(positive=[np.full(6, 1e-30, np.float32)]), "a query vector's largest value"),
    (dict(positive=["w0", "w1"], indexer=5), "indexer must have gensim's most_similar"),
])
def test_query_weights_and_vectors_out_of_range_are_refused(rand, query, message):
    """Weights and values whose sums overflow or underflow float32 would rank by NaN or zero scores."""
    with pytest.raises(ParameterError, match=re.escape(message)):
        rand.most_similar(**query)


def test_cosmul_and_mean_vector_refuse_out_of_range_inputs(rand):
    with pytest.raises(ParameterError, match="a query vector's largest value"):
        rand.most_similar_cosmul([np.full(6, -3e38, np.float32)])
    for weights, message in (([np.nan, 1], r"weights\[0\]"), ([1e308, 1e308], r"weights\[0\]"),
                             ([1, 1j], r"weights\[1\]"), ("ab", "weights must be a sequence of numbers")):
        with pytest.raises(ParameterError, match=message):
            rand.get_mean_vector(["w0", "w1"], weights=weights)
    # in range, the same as before: weights scale the unit point vectors
    unit = rand.get_normed_vectors()
    expected = (2 * unit[0].astype(np.float64) + 0.5 * unit[1]) / 2.5
    np.testing.assert_allclose(rand.get_mean_vector(["w0", "w1"], weights=np.array([2.0, 0.5])),
                               expected, rtol=1e-6)


@pytest.mark.parametrize("call, message", [
    (lambda kv: kv.n_similarity(None, ["w0"]), "ws1 must be a sequence, got None"),
    (lambda kv: kv.n_similarity(["w0"], 5), "ws2 must be a sequence, got int 5"),
    (lambda kv: kv.most_similar_to_given("w0", None), "keys_list must be a sequence, got None"),
    (lambda kv: kv.doesnt_match(None), "words must be a sequence, got None"),
    (lambda kv: kv.distances("w0", 3), "other_words must be a sequence"),
    (lambda kv: kv.get_vecattr("w0", ["count"]), "no per-word attribute ['count']"),
    (lambda kv: kv.cosine_similarities(np.zeros(3), np.ones((2, 4))), "needs a (D,) vector and an (n, D)"),
])
def test_malformed_arguments_are_parameter_errors(rand, call, message):
    with pytest.raises(ParameterError, match=re.escape(message)):
        call(rand)


def test_unhashable_and_zero_d_keys(rand):
    assert rand.doesnt_match(["w0", "w1", "w2", ["w3"]]) in {"w0", "w1", "w2"}  # ignored, as unknown
    np.testing.assert_array_equal(rand[np.array("w3")], rand["w3"])
    assert len(rand.distances("w0", None)) == len(rand)  # None: every word, as gensim


@pytest.mark.parametrize("field, value, message", [
    ("means", 1e39, "means holds NaN or infinite values"),
    ("means", np.nan, "means holds NaN or infinite values"),
    ("log_variances", np.inf, "log_variances holds NaN or infinite values"),
    ("logits", -np.inf, "logits holds NaN or infinite values"),
])
def test_constructor_refuses_non_finite_parameters(field, value, message):
    arrays = dict(means=np.zeros((2, 2, 3)), log_variances=np.zeros((2, 2, 1)), logits=np.zeros((2, 2)))
    arrays[field] = np.full_like(arrays[field], value)
    with pytest.raises(ParameterError, match=message):
        KeyedGaussianMixtures(["x", "y"], **arrays)


def test_constructor_refuses_negative_counts():
    with pytest.raises(ParameterError, match="counts must be >= 0, got -1 for word number 0"):
        make_hand(counts=[-1] + [1] * (len(HAND_WORDS) - 1))
