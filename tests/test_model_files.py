"""Hand-crafted hostile model files: each must end in ModelFileError naming the file.

A model file is untrusted input (``Word2GM.load``): only the expected archive
members are read, each ``.npy`` header is checked against the shape and dtype
the settings and vocabulary imply before any data is read, compressed members
may not expand more than ``MAX_EXPANSION``-fold, and no exception of zipfile,
zlib, numpy's header parser or json escapes.  Random mutations of model files
are in ``tests/test_fuzz.py``.
"""

import io
import json
import os
import tracemalloc
import zipfile

import numpy as np
import pytest

from w2gm import Word2GM
from w2gm.exceptions import ModelFileError, W2GMError
from w2gm.persistence import MAX_EXPANSION, open_model_file

SENTENCES = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog", "sat", "on", "a", "log"]] * 10


@pytest.fixture(scope="module")
def model_members(tmp_path_factory):
    """The members of a small saved model: name -> raw ``.npy`` bytes."""
    path = tmp_path_factory.mktemp("model") / "small.w2gm"
    Word2GM(SENTENCES, min_count=1, vector_size=4, epochs=1, workers=1, sample=0).save(path)
    with zipfile.ZipFile(path) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def npy_bytes(array):
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def json_member(document):
    return npy_bytes(np.frombuffer(json.dumps(document).encode(), np.uint8))


def write_zip(path, members, compression=zipfile.ZIP_STORED):
    """Write ``members`` (name -> bytes) as a zip archive."""
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def load_error(path):
    with pytest.raises(ModelFileError) as info:
        Word2GM.load(path)
    message = str(info.value)
    assert str(path.name) in message
    assert "pickle" not in message.lower()
    return message


def test_untouched_members_load(tmp_path, model_members):
    model = Word2GM.load(write_zip(tmp_path / "same.w2gm", model_members))
    assert model.wv.means.shape == (len(model.wv), 2, 4)


def test_deflated_members_load(tmp_path, model_members):
    path = write_zip(tmp_path / "deflated.w2gm", model_members, zipfile.ZIP_DEFLATED)
    assert len(Word2GM.load(path).wv) == 8


def test_extra_huge_member_is_not_read(tmp_path, model_members):
    """An extra 256 MiB member of zeros (about 250 KB deflated) costs no memory."""
    path = tmp_path / "extra.w2gm"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in model_members.items():
            z.writestr(name, data)
        with z.open("junk.npy", "w", force_zip64=True) as f:
            f.write(np.lib.format.MAGIC_PREFIX + b"\x01\x00")
            header = "{'descr': '<f4', 'fortran_order': False, 'shape': (67108864,), }"
            header += " " * (-(len(header) + 11) % 64) + "\n"
            f.write(len(header).to_bytes(2, "little") + header.encode())
            zeros = bytes(1 << 22)
            for _ in range(64):
                f.write(zeros)
    assert path.stat().st_size < 2_000_000
    tracemalloc.start()
    try:
        Word2GM.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


def test_member_with_unexpected_shape_is_refused_before_reading(tmp_path, model_members):
    """A ``means`` member declaring 1 GiB is refused from its header, without reading data."""
    members = dict(model_members)
    header = npy_bytes(np.zeros(0, np.float32))
    members["means.npy"] = header.replace(b"(0,)", b"(268435456,)")
    message = load_error(write_zip(tmp_path / "bigmeans.w2gm", members))
    assert "means" in message and "shape" in message


def test_decompression_bomb_in_an_expected_member_is_refused(tmp_path, model_members):
    members = dict(model_members)
    meta = json.loads(np.load(io.BytesIO(members["meta_json.npy"])).tobytes())
    meta["padding"] = " " * 1_000_000  # a JSON document that deflates more than 100-fold
    members["meta_json.npy"] = json_member(meta)
    message = load_error(write_zip(tmp_path / "bomb.w2gm", members, zipfile.ZIP_DEFLATED))
    assert f"{MAX_EXPANSION}-fold" in message


def test_unsupported_compression_method(tmp_path, model_members):
    path = write_zip(tmp_path / "method.w2gm", model_members, zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    # compression method 99 (AES) in every local and central header
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset:start + offset + 2] = (99).to_bytes(2, "little")
            start += 4
    path.write_bytes(bytes(data))
    load_error(path)


def test_corrupt_deflate_stream(tmp_path, model_members):
    path = write_zip(tmp_path / "zlib.w2gm", model_members, zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    first = data.find(b"PK\x03\x04")
    name_len = int.from_bytes(data[first + 26:first + 28], "little")
    extra_len = int.from_bytes(data[first + 28:first + 30], "little")
    body = first + 30 + name_len + extra_len
    data[body:body + 8] = b"\xff" * 8  # an invalid deflate block type
    path.write_bytes(bytes(data))
    load_error(path)


@pytest.mark.parametrize("header", [
    "{'descr': '<f4', 'fortran_order': False, 'shape': " + "(" * 3000 + ")" * 3000 + ", }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), '''",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (10**100000,), }",
    "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
    "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }",
    "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }",
    "not a dict at all",
], ids=["deep-nesting", "open-string", "huge-int", "object", "structured", "fortran", "negative", "text"])
def test_crafted_npy_headers(tmp_path, model_members, header):
    members = dict(model_members)
    header = header + " " * (-(len(header) + 11) % 64) + "\n"
    members["logits.npy"] = (np.lib.format.MAGIC_PREFIX + b"\x01\x00" + len(header).to_bytes(2, "little")
                             + header.encode() + bytes(8))
    load_error(write_zip(tmp_path / "header.w2gm", members))


def test_unsupported_npy_version(tmp_path, model_members):
    members = dict(model_members)
    members["logits.npy"] = np.lib.format.MAGIC_PREFIX + b"\x07\x00" + members["logits.npy"][8:]
    assert "version" in load_error(write_zip(tmp_path / "version.w2gm", members))


def test_member_longer_than_its_header_declares(tmp_path, model_members):
    members = dict(model_members)
    members["logits.npy"] += b"\x00" * 16
    assert "declares" in load_error(write_zip(tmp_path / "long.w2gm", members))


def test_duplicate_member(tmp_path, model_members):
    path = tmp_path / "twice.w2gm"
    with pytest.warns(UserWarning, match="Duplicate name"):
        with zipfile.ZipFile(path, "w") as z:
            for name, data in model_members.items():
                z.writestr(name, data)
            z.writestr("means.npy", model_members["means.npy"])
    assert "twice" in load_error(path)


def test_bit_flip_in_stored_member_fails_the_crc(tmp_path, model_members):
    path = write_zip(tmp_path / "crc.w2gm", model_members)
    data = bytearray(path.read_bytes())
    position = data.find(model_members["means.npy"][-20:])
    data[position] ^= 0x01
    path.write_bytes(bytes(data))
    assert "CRC" in load_error(path)


@pytest.mark.parametrize("change", [
    lambda meta, words: meta.__setitem__("corpus_total_words", 1e400),
    lambda meta, words: meta.__setitem__("epochs_trained", 2**70),
    lambda meta, words: meta.__setitem__("corpus_count", -1),
    lambda meta, words: meta.__setitem__("train_calls", True),
    lambda meta, words: meta.__setitem__("training_loss", [True]),
    lambda meta, words: meta.__setitem__("settings", dict(meta["settings"], sentences=[["a"]])),
    lambda meta, words: meta.__setitem__("settings", dict(meta["settings"], num_mixtures=2**31)),
    lambda meta, words: words.__setitem__(1, words[0]),
    lambda meta, words: words.__setitem__(1, "\ud800"),
    lambda meta, words: words.__setitem__(1, 7),
], ids=["inf-total", "huge-epochs", "negative-count", "bool-calls", "bool-loss", "sentences-key",
        "huge-setting", "duplicate-word", "lone-surrogate", "int-word"])
def test_crafted_metadata(tmp_path, model_members, change):
    members = dict(model_members)
    meta = json.loads(np.load(io.BytesIO(members["meta_json.npy"])).tobytes())
    words = json.loads(np.load(io.BytesIO(members["vocab_json.npy"])).tobytes())
    change(meta, words)
    members["meta_json.npy"] = json_member(meta)
    members["vocab_json.npy"] = json_member(words)
    load_error(write_zip(tmp_path / "meta.w2gm", members))


@pytest.mark.parametrize("document", [b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe", b'{"a": 1e99999}x',
                                      b"1" * 5000])
def test_crafted_json(tmp_path, model_members, document):
    members = dict(model_members)
    members["meta_json.npy"] = npy_bytes(np.frombuffer(document, np.uint8))
    load_error(write_zip(tmp_path / "json.w2gm", members))


@pytest.mark.parametrize("writer", [
    lambda p: p.write_bytes(b"\x80\x04\x95" + b"\x00" * 64),   # a pickle
    lambda p: np.save(p, np.arange(3), allow_pickle=False),     # an .npy file (np.save adds .npy)
    lambda p: p.write_bytes(b"PK\x05\x06" + b"\x00" * 18),      # an empty zip
])
def test_foreign_files_never_mention_pickle(tmp_path, writer):
    path = tmp_path / "foreign.npy"
    writer(path)
    load_error(path)


def test_archive_reads_nothing_before_asked(tmp_path, model_members):
    """open_model_file reads the metadata and vocabulary only; arrays on request, checked."""
    path = write_zip(tmp_path / "lazy.w2gm", model_members)
    with open_model_file(path) as archive:
        assert archive.meta["format"] == "w2gm-model"
        assert len(archive.words) == 8
        with pytest.raises(ModelFileError, match="lazy.w2gm.*'means'.*shape"):
            archive.read_arrays({"means": ((3, 2, 4), np.float32)})
        arrays = archive.read_arrays({"counts": ((8,), np.int64)})
    assert arrays["counts"].dtype == np.int64 and arrays["counts"].flags.c_contiguous


def test_model_file_error_is_a_w2gm_value_error():
    assert issubclass(ModelFileError, W2GMError) and issubclass(ModelFileError, ValueError)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    path = tmp_path / "pipe.w2gm"
    os.mkfifo(path)  # opening it for reading would wait for a writer for ever
    assert "not a regular file" in load_error(path)


def test_a_device_is_refused(tmp_path):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    with pytest.raises(ModelFileError, match="not a regular file"):
        Word2GM.load("/dev/zero")


def test_huge_npy_header_is_refused_before_it_is_read(tmp_path, model_members):
    """A deflated member declaring a 200 MB header (about 200 KB on disk) costs no memory."""
    import struct
    members = dict(model_members)
    members["means.npy"] = np.lib.format.MAGIC_PREFIX + b"\x02\x00" + struct.pack("<I", 200_000_000) \
        + b" " * 200_000_000
    path = write_zip(tmp_path / "header-bomb.w2gm", members, zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 1_000_000
    tracemalloc.start()
    try:
        message = load_error(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "header" in message and peak < 16 * 2**20


def test_lying_compressed_size_cannot_bypass_the_expansion_limit(tmp_path, model_members):
    members = dict(model_members)
    meta = json.loads(np.load(io.BytesIO(members["meta_json.npy"])).tobytes())
    meta["padding"] = " " * 1_000_000  # deflates about 1000-fold
    members["meta_json.npy"] = json_member(meta)
    path = write_zip(tmp_path / "liar.w2gm", members, zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("meta_json.npy")
    # raise compress_size (offset 20 of a central directory entry) to 1/50 of the expanded size
    entry = data.find(b"PK\x01\x02")
    while entry != -1:
        name_length = int.from_bytes(data[entry + 28:entry + 30], "little")
        if data[entry + 46:entry + 46 + name_length] == b"meta_json.npy":
            data[entry + 20:entry + 24] = (info.file_size // 50).to_bytes(4, "little")
        entry = data.find(b"PK\x01\x02", entry + 4)
    path.write_bytes(bytes(data))
    assert "compressed bytes" in load_error(path)


@pytest.mark.parametrize("change", [
    lambda meta, words, members: meta.__setitem__("training_loss", [10**400]),
    lambda meta, words, members: meta.__setitem__("version", True),
    lambda meta, words, members: words.clear(),
], ids=["huge-int-loss", "version-true", "empty-vocabulary"])
def test_more_crafted_metadata(tmp_path, model_members, change):
    members = dict(model_members)
    meta = json.loads(np.load(io.BytesIO(members["meta_json.npy"])).tobytes())
    words = json.loads(np.load(io.BytesIO(members["vocab_json.npy"])).tobytes())
    change(meta, words, members)
    members["meta_json.npy"] = json_member(meta)
    members["vocab_json.npy"] = json_member(words)
    load_error(write_zip(tmp_path / "meta2.w2gm", members))


def test_counts_whose_sum_wraps_int64_are_refused(tmp_path, model_members):
    members = dict(model_members)
    counts = np.load(io.BytesIO(members["counts.npy"]))
    counts[:] = 1
    counts[:3] = [4611686018427386165, 4611686018427388329, 1372]  # the float64 sum rounds below 2**63
    assert counts.sum(dtype=np.float64) < 2.0**63 and sum(int(c) for c in counts) >= 2**63
    members["counts.npy"] = npy_bytes(counts)
    assert "2**63" in load_error(write_zip(tmp_path / "counts.w2gm", members))


# ------------------------------------- hostile KeyedGaussianMixtures.save files

@pytest.fixture(scope="module")
def keyed_members(tmp_path_factory):
    """The members of a small saved KeyedGaussianMixtures: name -> raw ``.npy`` bytes."""
    from w2gm import KeyedGaussianMixtures
    rng = np.random.default_rng(0)
    kv = KeyedGaussianMixtures(["a", "b", "c", "d"], rng.standard_normal((4, 2, 3)),
                               rng.standard_normal((4, 2, 1)), rng.standard_normal((4, 2)),
                               counts=[9, 5, 3, 1])
    path = tmp_path_factory.mktemp("keyed") / "small.kv"
    kv.save(path)
    with zipfile.ZipFile(path) as z:
        return {info.filename: z.read(info) for info in z.infolist()}, path.read_bytes()


def keyed_load_error(path):
    from w2gm import KeyedGaussianMixtures
    with pytest.raises(ModelFileError) as info:
        KeyedGaussianMixtures.load(path)
    message = str(info.value)
    assert str(path.name) in message and "pickle" not in message.lower()
    return message


def test_every_truncation_of_a_keyed_mixtures_file_is_refused(tmp_path, keyed_members):
    data = keyed_members[1]
    for n in list(range(0, 200, 7)) + list(range(200, len(data), 97)) + [len(data) - 1]:
        path = tmp_path / f"cut{n}.kv"
        path.write_bytes(data[:n])
        keyed_load_error(path)


def test_bit_flips_in_a_keyed_mixtures_file_are_refused_or_harmless(tmp_path, keyed_members):
    from w2gm import KeyedGaussianMixtures
    data = keyed_members[1]
    rng = np.random.default_rng(1)
    for i in rng.choice(len(data), 60, replace=False):
        flipped = bytearray(data)
        flipped[i] ^= 1 << int(rng.integers(8))
        path = tmp_path / f"flip{i}.kv"
        path.write_bytes(bytes(flipped))
        try:
            kv = KeyedGaussianMixtures.load(path)  # e.g. a flip in an unused zip field
        except ModelFileError as exc:
            assert path.name in str(exc)
        else:
            assert np.isfinite(kv.means).all() and len(kv) == 4


@pytest.mark.parametrize("change, message", [
    (lambda meta: meta.__setitem__("num_mixtures", 3), "member 'means' has shape"),
    (lambda meta: meta.__setitem__("num_mixtures", "2"), "num_mixtures is '2'"),
    (lambda meta: meta.__setitem__("num_mixtures", True), "num_mixtures is True"),
    (lambda meta: meta.__setitem__("vector_size", 0), "vector_size is 0"),
    (lambda meta: meta.__setitem__("vector_size", 10**9), "vector_size is 1000000000"),
    (lambda meta: meta.update(num_mixtures=1000, vector_size=1000000), "bytes of arrays, more than a file"),
    (lambda meta: meta.__setitem__("covariance", "full"), "covariance is 'full'"),
    (lambda meta: meta.__setitem__("covariance", "diagonal"), "member 'log_variances' has shape"),
    (lambda meta: meta.__setitem__("has_counts", 1), "has_counts is 1"),
    (lambda meta: meta.pop("has_counts"), "has_counts is None"),
    (lambda meta: meta.__setitem__("version", 2), "format version '2'; this w2gm reads version 1"),
    (lambda meta: meta.__setitem__("format", "w2gm-model"), "is a w2gm model file"),
    (lambda meta: meta.__setitem__("format", "other"), "not a w2gm keyed-mixtures file (format 'other')"),
])
def test_crafted_keyed_mixtures_metadata(tmp_path, keyed_members, change, message):
    members = dict(keyed_members[0])
    meta = json.loads(np.load(io.BytesIO(members["meta_json.npy"])).tobytes())
    change(meta)
    members["meta_json.npy"] = json_member(meta)
    path = write_zip(tmp_path / "meta.kv", members)
    assert message in keyed_load_error(path)


@pytest.mark.parametrize("member, value, message", [
    ("means.npy", np.full((4, 2, 3), np.nan, np.float32), "'means' holds NaN"),
    ("logits.npy", np.full((4, 2), np.inf, np.float32), "'logits' holds NaN or infinite"),
    ("log_variances.npy", np.zeros((4, 2, 1), np.float64), "expected float32"),
    ("counts.npy", np.array([3, -1, 2, 1], np.int64), "negative counts"),
    ("counts.npy", np.ones(5, np.int64), "member 'counts' has shape"),
    ("means.npy", np.zeros((4, 2, 3), object), "dtype"),
])
def test_crafted_keyed_mixtures_arrays(tmp_path, keyed_members, member, value, message):
    members = dict(keyed_members[0])
    if value.dtype == object:
        members[member] = np.lib.format.MAGIC_PREFIX + b"\x01\x00" + b"\x40\x00" + \
            b"{'descr': '|O', 'fortran_order': False, 'shape': (4, 2, 3), }".ljust(63) + b"\n"
    else:
        members[member] = npy_bytes(value)
    path = write_zip(tmp_path / "arrays.kv", members)
    assert message in keyed_load_error(path)


def test_keyed_mixtures_missing_member_and_foreign_files(tmp_path, keyed_members):
    members = dict(keyed_members[0])
    del members["logits.npy"]
    assert "member 'logits' is missing" in keyed_load_error(write_zip(tmp_path / "missing.kv", members))
    text = tmp_path / "text.kv"
    text.write_text("3 2\na 1 2\n")
    assert "not a zip-based .npz archive" in keyed_load_error(text)
    plain = tmp_path / "plain.kv"
    np.savez(plain, means=np.zeros((2, 1, 1)))
    keyed_load_error(plain.with_suffix(".kv.npz"))
