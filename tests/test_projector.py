"""Tests of w2gm.projector: the TensorBoard Embedding Projector files and the spreadsheet TSV."""

import bz2
import gzip
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from w2gm import KeyedGaussianMixtures
from w2gm.exceptions import ParameterError
from w2gm.projector import (
    CONFIG_FILE,
    METADATA_COLUMNS,
    METADATA_FILE,
    TENSORS_FILE,
    component_table,
    escape_field,
    unescape_field,
    write_projector,
    write_tsv,
)


def mixtures(words=("alpha", "beta", "gamma"), k=2, d=4, diagonal=False, counts=True, seed=0):
    rng = np.random.default_rng(seed)
    v = len(words)
    means = rng.normal(size=(v, k, d)).astype(np.float32)
    log_variances = rng.normal(scale=0.5, size=(v, k, d if diagonal else 1)).astype(np.float32)
    logits = rng.normal(size=(v, k)).astype(np.float32)
    return KeyedGaussianMixtures(list(words), means, log_variances, logits,
                                 counts=np.arange(v, 0, -1) * 10 if counts else None)


def read_rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    assert text.endswith("\n")
    return [line.split("\t") for line in text[:-1].split("\n")]


def expected_variance(wv):
    return np.exp(wv.log_variances.astype(np.float64)).mean(axis=2)


@pytest.mark.parametrize("diagonal", [False, True])
@pytest.mark.parametrize("counts", [True, False])
def test_projector_files_match_the_model(tmp_path, diagonal, counts):
    wv = mixtures(diagonal=diagonal, counts=counts)
    directory = tmp_path / "new" / "projector"  # created with its parent
    paths = write_projector(wv, directory)
    assert sorted(os.listdir(directory)) == sorted([TENSORS_FILE, METADATA_FILE, CONFIG_FILE])
    assert paths["tensors"] == os.path.join(str(directory), TENSORS_FILE)
    v, k, d = wv.means.shape

    tensors = np.array(read_rows(directory / TENSORS_FILE), dtype=np.float32)
    assert tensors.shape == (v * k, d)
    np.testing.assert_array_equal(tensors, wv.means.reshape(v * k, d))  # float32-exact

    rows = read_rows(directory / METADATA_FILE)
    assert rows[0] == list(METADATA_COLUMNS)
    assert len(rows) == 1 + v * k
    weights = wv.mixture_weights
    variances = expected_variance(wv)
    for i, row in enumerate(rows[1:]):
        w, c = divmod(i, k)
        word = wv.index_to_key[w]
        assert row[:3] == [f"{word}:{c}", word, str(c)]
        assert float(row[3]) == pytest.approx(weights[w, c], rel=1e-6)
        assert float(row[4]) == pytest.approx(variances[w, c], rel=1e-6)
        assert row[5] == (str(wv.counts[w]) if counts else "")

    config = (directory / CONFIG_FILE).read_text(encoding="utf-8")
    assert config.startswith("embeddings {")
    assert 'tensor_path: "tensors.tsv"' in config
    assert 'metadata_path: "metadata.tsv"' in config
    assert config.rstrip().endswith("}")


def test_tsv_matches_the_model(tmp_path):
    wv = mixtures(diagonal=True, k=3, d=5)
    path = tmp_path / "components.tsv"
    assert write_tsv(wv, path) == str(path)
    rows = read_rows(path)
    v, k, d = wv.means.shape
    assert rows[0] == [*METADATA_COLUMNS, *(f"mean_{i}" for i in range(d))]
    assert len(rows) == 1 + v * k
    body = rows[1:]
    assert all(len(r) == 6 + d for r in body)
    np.testing.assert_array_equal(np.array([r[6:] for r in body], dtype=np.float32),
                                  wv.means.reshape(v * k, d))
    np.testing.assert_allclose(np.array([r[3] for r in body], dtype=float), wv.mixture_weights.ravel(),
                               rtol=1e-6)
    np.testing.assert_allclose(np.array([r[4] for r in body], dtype=float),
                               expected_variance(wv).ravel(), rtol=1e-6)
    assert [r[0] for r in body[:k]] == [f"alpha:{c}" for c in range(k)]
    assert [int(r[5]) for r in body] == np.repeat(wv.counts, k).tolist()


@pytest.mark.parametrize("suffix, opener", [(".gz", gzip.open), (".bz2", bz2.open)])
def test_tsv_is_compressed_as_its_extension_says(tmp_path, suffix, opener):
    wv = mixtures()
    write_tsv(wv, tmp_path / "plain.tsv")
    write_tsv(wv, tmp_path / f"packed.tsv{suffix}")
    with opener(tmp_path / f"packed.tsv{suffix}", "rb") as f:
        assert f.read() == (tmp_path / "plain.tsv").read_bytes()


def test_tsv_to_a_compression_without_its_package_writes_nothing(tmp_path, without_zstd):
    with pytest.raises(ParameterError, match="zstandard"):
        write_tsv(mixtures(), tmp_path / "t.tsv.zst")
    assert os.listdir(tmp_path) == []


AWKWARD = ["tab\there", "new\nline", "cr\rword", "back\\slash", "sep\u2028arator", "lone\ud800", "plain"]


def test_awkward_words_are_escaped_and_round_trip(tmp_path):
    wv = mixtures(words=AWKWARD, k=2, d=3)
    write_projector(wv, tmp_path / "p")
    write_tsv(wv, tmp_path / "t.tsv")
    for path, width in [(tmp_path / "p" / METADATA_FILE, 6), (tmp_path / "t.tsv", 9)]:
        rows = read_rows(path)
        assert len(rows) == 1 + 2 * len(AWKWARD)  # no word broke a line
        assert all(len(r) == width for r in rows)  # ... or added a field
        assert [unescape_field(r[1]) for r in rows[1::2]] == AWKWARD
        assert [unescape_field(r[0]) for r in rows[2::2]] == [f"{w}:1" for w in AWKWARD]
    rows = read_rows(tmp_path / "t.tsv")
    assert rows[1][1] == "tab\\there" and rows[3][1] == "new\\nline" and rows[7][1] == "back\\\\slash"
    assert rows[13][1] == "plain"


@given(st.text())
def test_escape_round_trip(text):
    escaped = escape_field(text)
    assert unescape_field(escaped) == text
    assert len(escaped.splitlines()) <= 1 and "\t" not in escaped
    escaped.encode("utf-8")  # no lone surrogate left


def test_refuses_a_file_as_directory(tmp_path):
    target = tmp_path / "taken"
    target.write_text("keep me")
    with pytest.raises(ParameterError, match="taken"):
        write_projector(mixtures(), target)
    assert target.read_text() == "keep me"


def test_refuses_non_finite_values_before_writing(tmp_path):
    wv = mixtures()
    wv.means[1, 1, 2] = np.nan
    with pytest.raises(ParameterError, match="component 1 of word 'beta'"):
        write_projector(wv, tmp_path / "p")
    with pytest.raises(ParameterError, match="'beta'"):
        write_tsv(wv, tmp_path / "t.tsv")
    assert os.listdir(tmp_path) == []


def test_tsv_into_a_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_tsv(mixtures(), tmp_path / "missing" / "t.tsv")
    with pytest.raises(IsADirectoryError):
        write_tsv(mixtures(), tmp_path)


def test_rewrite_replaces_and_leaves_no_temporaries(tmp_path):
    write_projector(mixtures(seed=1), tmp_path)
    wv = mixtures(seed=2)
    write_projector(wv, tmp_path)
    assert sorted(os.listdir(tmp_path)) == sorted([TENSORS_FILE, METADATA_FILE, CONFIG_FILE])
    tensors = np.array(read_rows(tmp_path / TENSORS_FILE), dtype=np.float32)
    np.testing.assert_array_equal(tensors, wv.means.reshape(-1, wv.vector_size))


def test_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    write_tsv(mixtures(seed=1), tmp_path / "t.tsv")
    before = (tmp_path / "t.tsv").read_bytes()

    def boom(means):
        yield "1\t2"
        raise RuntimeError("disk trouble")

    monkeypatch.setattr("w2gm.projector._value_lines", boom)
    with pytest.raises(RuntimeError):
        write_tsv(mixtures(seed=2), tmp_path / "t.tsv")
    assert (tmp_path / "t.tsv").read_bytes() == before
    assert os.listdir(tmp_path) == ["t.tsv"]


@pytest.mark.parametrize("limit", [1, 2, 3, 10])
def test_limit_keeps_the_first_words(tmp_path, limit):
    wv = mixtures(words=("alpha", "beta", "gamma"), k=2, d=3)
    kept = min(limit, 3)
    write_projector(wv, tmp_path / "p", limit=limit)
    tensors = np.array(read_rows(tmp_path / "p" / TENSORS_FILE), dtype=np.float32)
    np.testing.assert_array_equal(tensors, wv.means[:kept].reshape(kept * 2, 3))
    meta = read_rows(tmp_path / "p" / METADATA_FILE)
    assert [r[0] for r in meta[1:]] == [f"{w}:{c}" for w in wv.index_to_key[:kept] for c in range(2)]
    assert [int(r[5]) for r in meta[1:]] == np.repeat(wv.counts[:kept], 2).tolist()
    write_tsv(wv, tmp_path / "c.tsv", limit=limit)
    rows = read_rows(tmp_path / "c.tsv")
    assert len(rows) == 1 + 2 * kept
    assert rows[1:] == [m + t for m, t in zip(meta[1:], read_rows(tmp_path / "p" / TENSORS_FILE))]


@pytest.mark.parametrize("limit", [0, -1, 1.5, True, "3"])
def test_bad_limit_is_a_parameter_error_before_writing(tmp_path, limit):
    wv = mixtures()
    with pytest.raises(ParameterError, match="limit"):
        component_table(wv, limit)
    with pytest.raises(ParameterError, match="limit"):
        write_projector(wv, tmp_path / "p", limit=limit)
    with pytest.raises(ParameterError, match="limit"):
        write_tsv(wv, tmp_path / "c.tsv", limit=limit)
    assert os.listdir(tmp_path) == []
