"""Tests for w2gm.keyed_mixtures.KeyedGaussianMixtures."""

import gzip
import os
import re

import numpy as np
import pytest

import w2gm.keyed_mixtures as keyed_mixtures
from w2gm.keyed_mixtures import KeyedGaussianMixtures


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


@pytest.mark.parametrize("d, stored, expected", [(4, 1, "spherical"), (4, 4, "diagonal"), (1, 1, "spherical")])
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
    np.testing.assert_allclose(kv["a"].weights, expected[0], rtol=1e-6)


def test_getitem_returns_mixture_parameters(rand):
    i = rand.get_index("w7")
    mix = rand["w7"]
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
    kv = KeyedGaussianMixtures(["zero", "a", "b"], means, np.zeros((3, 1, 1), np.float32), np.zeros((3, 1), np.float32))
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


@pytest.mark.parametrize("component", [2, -1, 7, 1.0, "0", True])
def test_component_out_of_range(hand, component):
    pattern = rf"component {re.escape(repr(component))} .*0 to 1"
    with pytest.raises(IndexError, match=pattern):
        hand.most_similar("bank", component=component)
    with pytest.raises(IndexError, match=pattern):
        hand.save_word2vec_format("/nonexistent-dir/never-written.txt", component=component)


@pytest.mark.parametrize("topn", [0, -3, 2.5])
def test_bad_topn(hand, topn):
    with pytest.raises(ValueError, match=re.escape(repr(topn))):
        hand.most_similar("bank", topn=topn)
    with pytest.raises(ValueError, match=re.escape(repr(topn))):
        hand.most_similar("bank", component=0, topn=topn)


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


def test_loader_rejects_mismatched_files(tmp_path):
    def write(name, rows, dim=2):
        path = tmp_path / name
        path.write_text(f"{len(rows)} {dim}\n" + "".join(f"{w} {' '.join(['0.5'] * dim)}\n" for w in rows))
        return path

    a = write("a.txt", ["cat", "dog", "eel"])
    swapped = write("b.txt", ["cat", "eel", "dog"])
    shorter = write("c.txt", ["cat", "dog"])
    wide = write("d.txt", ["cat", "dog", "eel"], dim=3)
    with pytest.raises(ValueError, match=r"'eel' at position 1.*'dog'"):
        KeyedGaussianMixtures.load_word2vec_format([a, swapped])
    with pytest.raises(ValueError, match=r"'eel' at position 2"):
        KeyedGaussianMixtures.load_word2vec_format([a, shorter])
    with pytest.raises(ValueError, match="vector size 3"):
        KeyedGaussianMixtures.load_word2vec_format([a, wide])
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
