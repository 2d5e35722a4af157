"""Fuzzing w2gm's readers of untrusted text files: hypothesis strategies and checkers.

Not a test module (pytest does not collect it: the name does not start with
``test_``).  ``tests/test_fuzz_text.py`` runs the checkers on a modest number
of examples; a long-running script (e.g. ``benchmarks/fuzz.py``) can draw many
more and tally the outcome labels the checkers return.  Import it with
``tests/`` on ``sys.path`` (pytest puts it there for the test modules).

word2vec files (:meth:`w2gm.KeyedGaussianMixtures.load_word2vec_format`)
-----------------------------------------------------------------------------
:func:`word2vec_cases`
    Strategy of :class:`Word2VecCase` ``(data, suffix, binary)``: a valid
    file written by ``save_word2vec_format`` (text or binary, random words
    and finite float32 vectors), then mutated -- truncation, bit flips, byte
    insertions and deletions, crafted headers, non-finite or malformed
    values, extra lines, trailing whitespace or garbage --, then possibly
    compressed (``.gz``, ``.bz2``, ``.xz``) and the compressed bytes mutated
    (truncation, bit flip, appended junk or zero padding).  ``case.mutations``
    names what was done.
:func:`check_word2vec_case`
    ``check_word2vec_case(tmp_dir, data, suffix, binary)`` writes the bytes,
    loads them and asserts that w2gm agrees with :func:`reference_word2vec`,
    a small, strict, independent pure-Python parser of the format that
    ``load_word2vec_format`` documents: if the reference rejects the bytes,
    w2gm must raise a :class:`~w2gm.exceptions.W2GMError` (anything else --
    another exception, a crash, a result -- fails); if the reference accepts
    them, w2gm must load the same words and bit-identical vectors.  With
    ``strict=False`` a named error is also accepted where the reference
    accepts.  Returns the outcome label ``"loaded"`` or ``"named error:
    <ClassName>"``.

corpora (:class:`w2gm.LineSentence`, :class:`w2gm.Text8Corpus`)
-----------------------------------------------------------------
:func:`corpus_cases`
    Strategy of :class:`CorpusCase` ``(data, suffix, reader,
    max_sentence_length)``: a random corpus (multi-byte characters, mixed
    whitespace, CRLF), mutated (invalid UTF-8 bytes, a byte-order mark,
    truncation, ...), possibly compressed and the compressed bytes mutated.
:func:`check_corpus_case`
    ``check_corpus_case(tmp_dir, data, suffix, reader, max_sentence_length)``
    iterates the reader over the bytes and asserts: if the (compressed) data
    is intact, exactly the sentences of :func:`reference_corpus` (documented
    decoding: UTF-8 with U+FFFD replacement, BOM dropped); if not, a
    :class:`~w2gm.exceptions.CorpusError`.  Returns ``"loaded"`` or
    ``"named error: <ClassName>"``.

The limits (``MAX_WORD_BYTES``, ...) are those of :mod:`w2gm.keyed_mixtures`:
they are part of the documented format.  Each check takes milliseconds, so a
hypothesis ``deadline`` bounds every case.
"""

import bz2
import gzip
import lzma
import os
import re
import struct
import tempfile
import warnings
import zlib

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from w2gm import keyed_mixtures
from w2gm.corpora import XZ_MEMORY_LIMIT, LineSentence, Text8Corpus
from w2gm.exceptions import CorpusError, W2GMError
from w2gm.keyed_mixtures import KeyedGaussianMixtures

__all__ = [
    "COMPRESSION_SUFFIXES",
    "CorpusCase",
    "ReferenceRejected",
    "Word2VecCase",
    "check_corpus_case",
    "check_word2vec_case",
    "corpus_cases",
    "reference_corpus",
    "reference_decompress",
    "reference_word2vec",
    "word2vec_cases",
]

#: Compression suffixes the strategies use ("" is none).
COMPRESSION_SUFFIXES = ("", ".gz", ".bz2", ".xz")

_COMPRESSORS = {
    "": lambda data: data,
    ".gz": lambda data: gzip.compress(data, mtime=0),
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
}


class ReferenceRejected(ValueError):
    """The reference parser rejects the bytes; the message says why."""


# --------------------------------------------------------------- reference

def _reference_streams(data, factory):
    """Concatenated complete streams, zero padding after each allowed, nothing else."""
    if not data:
        raise ReferenceRejected("compressed data: empty")
    out = []
    while data:
        decompressor = factory()
        out.append(decompressor.decompress(data))
        if not decompressor.eof:
            raise ReferenceRejected("compressed data: truncated stream")
        data = decompressor.unused_data.lstrip(b"\0")
    return b"".join(out)


def reference_decompress(data, suffix):
    """`data` decompressed as its `suffix` says, by the rules w2gm documents.

    ``.gz`` with :func:`gzip.decompress` (members, zero padding); ``.bz2`` and
    ``.xz``: one or more complete streams, zero bytes allowed after each,
    nothing else (stricter than :func:`bz2.decompress`, which ignores junk
    after the first stream).

    Raises
    ------
    ReferenceRejected
        If the compressed data is truncated, corrupt or followed by junk.
    """
    try:
        if suffix == ".gz":
            return gzip.decompress(data)
        if suffix == ".bz2":
            return _reference_streams(data, bz2.BZ2Decompressor)
        if suffix == ".xz":
            return _reference_streams(data, lambda: lzma.LZMADecompressor(memlimit=XZ_MEMORY_LIMIT))
    except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error) as exc:
        raise ReferenceRejected(f"compressed data: {type(exc).__name__}: {exc}") from None
    if suffix:
        raise ValueError(f"unknown suffix {suffix!r}")
    return data


_REF_HEADER = re.compile(rb"[ \t]*([0-9]+)[ \t]+([0-9]+)[ \t\r]*")
_REF_NUMBER = re.compile(rb"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _ref_word(raw, seen):
    if not raw or len(raw) > keyed_mixtures.MAX_WORD_BYTES:
        raise ReferenceRejected(f"word of {len(raw)} bytes")
    try:
        word = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ReferenceRejected("word not UTF-8") from None
    if any(c.isspace() for c in word):
        raise ReferenceRejected("whitespace in word")
    if word in seen:
        raise ReferenceRejected("duplicate word")
    seen.add(word)
    return word


def _ref_finite(values):
    with np.errstate(over="ignore"):
        out = np.array(values, dtype=np.float64).astype(np.float32)
    if not np.isfinite(out).all():
        raise ReferenceRejected("non-finite value")
    return out


def reference_word2vec(data, suffix, binary):
    """Strict reference parse of a word2vec file: ``(words, vectors (V, D) float32)``.

    Written from the format that ``load_word2vec_format`` documents, on the
    whole decompressed bytes at once, without any of its code.

    Raises
    ------
    ReferenceRejected
        If the bytes break the format.
    """
    raw = reference_decompress(data, suffix)
    header, newline, body = raw.partition(b"\n")
    if len(header) > keyed_mixtures.MAX_HEADER_BYTES:
        raise ReferenceRejected("header too long")
    match = _REF_HEADER.fullmatch(header)
    if match is None:
        raise ReferenceRejected("bad header")
    vocab_size, vector_size = int(match.group(1)), int(match.group(2))
    if vocab_size > keyed_mixtures.MAX_VOCAB_SIZE or not 1 <= vector_size <= keyed_mixtures.MAX_VECTOR_SIZE:
        raise ReferenceRejected("header out of range")
    seen = set()
    words = []
    rows = []
    if binary:
        pos = 0
        for _ in range(vocab_size):
            if body[pos:pos + 1] == b"\n":
                pos += 1
            space = body.find(b" ", pos)
            if space == -1:
                raise ReferenceRejected("no space after a word (end of file)")
            words.append(_ref_word(body[pos:space], seen))
            vector = body[space + 1:space + 1 + 4 * vector_size]
            if len(vector) < 4 * vector_size:
                raise ReferenceRejected("truncated vector")
            rows.append(_ref_finite(struct.unpack(f"<{vector_size}f", vector)))
            pos = space + 1 + 4 * vector_size
        if body[pos:].strip():
            raise ReferenceRejected("data after the vectors")
    else:
        lines = body.split(b"\n")
        if lines[-1] == b"":
            lines.pop()  # the text after the last newline is no line when empty
        max_line = keyed_mixtures.MAX_WORD_BYTES + keyed_mixtures.MAX_TEXT_BYTES_PER_VALUE * vector_size + 2
        if any(len(line) > max_line for line in lines):
            raise ReferenceRejected("line too long")
        if len(lines) < vocab_size:
            raise ReferenceRejected("too few lines")
        for line in lines[:vocab_size]:
            fields = line.split()
            if len(fields) != vector_size + 1:
                raise ReferenceRejected("wrong number of fields")
            words.append(_ref_word(fields[0], seen))
            if not all(_REF_NUMBER.fullmatch(f) for f in fields[1:]):
                raise ReferenceRejected("value is not a decimal number")
            rows.append(_ref_finite([float(f) for f in fields[1:]]))
        if any(line.strip() for line in lines[vocab_size:]):
            raise ReferenceRejected("data after the vectors")
    vectors = np.array(rows, dtype=np.float32).reshape(vocab_size, vector_size)
    return words, vectors


# ------------------------------------------------------------ word2vec cases

class Word2VecCase(tuple):
    """``(data, suffix, binary)``, with ``mutations``: the steps that made it, for reports."""

    def __new__(cls, data, suffix, binary, mutations=()):
        case = super().__new__(cls, (data, suffix, binary))
        case.mutations = tuple(mutations)
        return case

    data = property(lambda self: self[0])
    suffix = property(lambda self: self[1])
    binary = property(lambda self: self[2])

    def __repr__(self):
        return (f"Word2VecCase(data={self.data!r}, suffix={self.suffix!r}, binary={self.binary!r}, "
                f"mutations={self.mutations!r})")


def _word_chars():
    return st.characters(exclude_categories=("Cs",)).filter(lambda c: not c.isspace())


_WORDS = st.one_of(
    st.text(alphabet="abcxyz", min_size=1, max_size=4),
    st.text(alphabet=_word_chars(), min_size=1, max_size=5),
)

#: Headers a hostile file may carry (``{v}``/``{d}`` are the true sizes).
CRAFTED_HEADERS = (
    "99999999999 50", "2000000000 {d}", "{v} 99999999999", "{v} 1048577", "-1 {d}", "-0 {d}", "{v} 0",
    "{v} -{d}", "{v} {d} 7", "{v}", "", "abc", "{v}.0 {d}", "+{v} {d}", "{v} {d}\r", " {v}\t{d} ",
    "0{v} {d}", "{v1} {d}", "{vm1} {d}", "{v} {d1}", "\ufeff{v} {d}", "1_0 {d}", "\uff15 {d}",
    "9" * 1100 + " {d}",
)

#: Byte strings inserted by the mutations.
SPECIAL_BYTES = (
    b"\n", b" ", b"\t", b"\r\n", b"\x00", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc2\xa0", b"\xe2\x80\xa8",
    b"nan", b"inf", b"-inf", b"1e39", b"1_0", b"-", b"e", b".", b"0", b"\n\n", b"x y", b"\xef\xbb\xbf",
)


def _header_text(template, v, d):
    return template.format(v=v, d=d, v1=v + 1, vm1=max(0, v - 1), d1=d + 1).encode("utf-8")


def _mutation(draw, data, v, d, binary):
    """One random mutation of the uncompressed bytes; returns ``(data, label)``."""
    kind = draw(st.sampled_from(
        ["truncate", "flip", "insert", "delete", "header", "append", "value", "duplicate"]))
    n = len(data)
    if kind == "truncate":
        cut = draw(st.integers(0, max(0, n - 1)))
        return data[:cut], f"truncate at {cut}"
    if kind == "flip" and n:
        pos = draw(st.integers(0, n - 1))
        bit = draw(st.integers(0, 7))
        return data[:pos] + bytes([data[pos] ^ (1 << bit)]) + data[pos + 1:], f"flip bit {bit} at {pos}"
    if kind == "insert":
        pos = draw(st.integers(0, n))
        what = draw(st.one_of(st.sampled_from(SPECIAL_BYTES), st.binary(min_size=1, max_size=4)))
        return data[:pos] + what + data[pos:], f"insert {what!r} at {pos}"
    if kind == "delete" and n:
        pos = draw(st.integers(0, n - 1))
        length = draw(st.integers(1, 8))
        return data[:pos] + data[pos + length:], f"delete {length} at {pos}"
    if kind == "header":
        template = draw(st.sampled_from(CRAFTED_HEADERS))
        header = _header_text(template, v, d)
        rest = data.partition(b"\n")[2]
        return header + b"\n" + rest, f"header {header[:30]!r}"
    if kind == "append":
        what = draw(st.sampled_from([b"\n", b"\n\n  \t\r\n", b" ", b"garbage", b"\x00", b"w 1 2 3\n",
                                     b"\n" + data[-(4 * d + 3):]]))
        return data + what, f"append {what[:20]!r}"
    lines = data.split(b"\n")
    if kind == "value" and not binary and v and len(lines) > 1:
        line_no = draw(st.integers(1, min(v, len(lines) - 1)))
        fields = lines[line_no].split(b" ")
        if len(fields) > 1:
            col = draw(st.integers(1, len(fields) - 1))
            value = draw(st.sampled_from([b"nan", b"inf", b"-inf", b"1e39", b"1_0", b"0x1p3", b"1e", b".",
                                          b"\xd9\xa1", b"3.4028235e38", b"-0", b"1.", b".5", b"+2"]))
            fields[col] = value
            lines[line_no] = b" ".join(fields)
            return b"\n".join(lines), f"value {value!r} on line {line_no + 1}"
    if kind == "duplicate" and not binary and v and len(lines) > 1:
        line_no = draw(st.integers(1, min(v, len(lines) - 1)))
        lines.insert(line_no, lines[line_no])
        return b"\n".join(lines), f"duplicate line {line_no + 1}"
    return data, "none"


def _compressed_mutation(draw, data):
    kind = draw(st.sampled_from(["truncate", "flip", "append junk", "append zeros", "append stream"]))
    n = len(data)
    if kind == "truncate":
        cut = draw(st.integers(0, max(0, n - 1)))
        return data[:cut], f"compressed: truncate at {cut}"
    if kind == "flip" and n:
        pos = draw(st.integers(0, n - 1))
        bit = draw(st.integers(0, 7))
        flipped = data[:pos] + bytes([data[pos] ^ (1 << bit)]) + data[pos + 1:]
        return flipped, f"compressed: flip bit {bit} at {pos}"
    if kind == "append junk":
        junk = draw(st.binary(min_size=1, max_size=8))
        return data + junk, f"compressed: append {junk!r}"
    if kind == "append zeros":
        return data + b"\x00" * 4, "compressed: append zeros"
    return data + data[: max(1, n // 2)], "compressed: append half a stream"


_SCRATCH = []


def _scratch_dir():
    """A private directory for the files the strategies write, in RAM (/dev/shm) where there is one.

    ``save_word2vec_format`` fsyncs (about 15 ms on a disk, nothing on tmpfs).
    Removed when the interpreter exits.
    """
    if not _SCRATCH:
        ram = "/dev/shm"
        where = ram if os.path.isdir(ram) and os.access(ram, os.W_OK) else None
        _SCRATCH.append(tempfile.TemporaryDirectory(prefix="w2gm-fuzz-", dir=where))
    return _SCRATCH[0].name


def _saved_file(words, vectors, binary):
    """The bytes that ``save_word2vec_format`` writes for these words and (V, D) vectors."""
    v, d = vectors.shape
    kv = KeyedGaussianMixtures(words, vectors.reshape(v, 1, d), np.zeros((v, 1, 1), np.float32),
                               np.zeros((v, 1), np.float32))
    path = os.path.join(_scratch_dir(), "saved.bin" if binary else "saved.txt")
    kv.save_word2vec_format(path, component=0, binary=binary)
    with open(path, "rb") as f:
        return f.read()


@st.composite
def word2vec_cases(draw, binary=None, suffixes=COMPRESSION_SUFFIXES, max_words=6, max_size=4,
                   max_mutations=3, max_compressed_mutations=2):
    """Strategy: a mutated, possibly compressed word2vec file as a :class:`Word2VecCase`.

    Parameters
    ----------
    binary : bool or None
        The format; None draws it.
    suffixes : sequence of str
        Compression suffixes to draw from (``""`` is none).
    max_words, max_size : int
        Bounds of the valid file's vocabulary size and vector size.
    max_mutations : int
        At most this many mutations of the uncompressed bytes (0 to this).
    max_compressed_mutations : int
        At most this many mutations of the compressed bytes.
    """
    binary = draw(st.booleans()) if binary is None else binary
    v = draw(st.integers(0, max_words))
    d = draw(st.integers(1, max_size))
    words = draw(st.lists(_WORDS, min_size=v, max_size=v, unique=True))
    vectors = draw(arrays(np.float32, (v, d), elements=st.floats(width=32, allow_nan=False,
                                                                 allow_infinity=False)))
    data = _saved_file(words, vectors, binary)
    labels = []
    for _ in range(draw(st.integers(0, max_mutations))):
        data, label = _mutation(draw, data, v, d, binary)
        labels.append(label)
    suffix = draw(st.sampled_from(suffixes))
    data = _COMPRESSORS[suffix](data)
    if suffix:
        for _ in range(draw(st.integers(0, max_compressed_mutations))):
            data, label = _compressed_mutation(draw, data)
            labels.append(label)
    return Word2VecCase(data, suffix, binary, labels)


def _outcome(exc):
    return f"named error: {type(exc).__name__}"


def check_word2vec_case(tmp_dir, data, suffix, binary, strict=True):
    """Load `data` with w2gm and compare with :func:`reference_word2vec`; return the outcome label.

    Parameters
    ----------
    tmp_dir : str or os.PathLike
        A directory for the file (overwritten on every call).
    data : bytes
        The file's bytes, compressed as `suffix` says.
    suffix : str
        ``""``, ``".gz"``, ``".bz2"`` or ``".xz"``.
    binary : bool
        The format.
    strict : bool
        Also fail when w2gm rejects bytes that the reference accepts.

    Returns
    -------
    str
        ``"loaded"`` or ``"named error: <ClassName>"``.

    Raises
    ------
    AssertionError
        If w2gm accepts what the reference rejects, loads something else than
        the reference, or (with `strict`) rejects what the reference accepts.
        Any exception that is not a :class:`~w2gm.exceptions.W2GMError`
        propagates as is.
    """
    path = os.path.join(os.fspath(tmp_dir), ("case.bin" if binary else "case.txt") + suffix)
    with open(path, "wb") as f:
        f.write(data)
    try:
        expected = reference_word2vec(data, suffix, binary)
        reason = None
    except ReferenceRejected as exc:
        expected, reason = None, str(exc)
    try:
        kv = KeyedGaussianMixtures.load_word2vec_format([path], binary=binary)
    except W2GMError as exc:
        assert isinstance(exc, ValueError), f"{type(exc).__name__} is not a ValueError: {exc}"
        assert str(exc).startswith(path), f"the message does not name the file: {exc}"
        assert expected is None or not strict, f"w2gm rejects what the reference accepts: {exc}"
        return _outcome(exc)
    assert expected is not None, f"w2gm accepts what the reference rejects ({reason})"
    words, vectors = expected
    assert kv.index_to_key == words
    assert kv.means.shape == (len(words), 1, vectors.shape[1])
    assert np.array_equal(kv.means[:, 0].view(np.uint32), vectors.view(np.uint32)), "vectors differ"
    return "loaded"


# --------------------------------------------------------------- corpora

class CorpusCase(tuple):
    """``(data, suffix, reader, max_sentence_length)``, with ``mutations``."""

    def __new__(cls, data, suffix, reader, max_sentence_length, mutations=()):
        case = super().__new__(cls, (data, suffix, reader, max_sentence_length))
        case.mutations = tuple(mutations)
        return case

    data = property(lambda self: self[0])
    suffix = property(lambda self: self[1])
    reader = property(lambda self: self[2])
    max_sentence_length = property(lambda self: self[3])

    def __repr__(self):
        return (f"CorpusCase(data={self.data!r}, suffix={self.suffix!r}, reader={self.reader!r}, "
                f"max_sentence_length={self.max_sentence_length!r}, mutations={self.mutations!r})")


_TOKENS = st.text(alphabet="ab\u00e9\u65e5\U0001F600-", min_size=1, max_size=4)
_SPACES = st.sampled_from([" ", " ", "  ", "\t", " \r", "\u3000", "\x0b"])


@st.composite
def _corpus_text(draw):
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        tokens = draw(st.lists(_TOKENS, max_size=8))
        parts = [draw(st.sampled_from(["", " ", "\t"]))]
        for i, token in enumerate(tokens):
            if i:
                parts.append(draw(_SPACES))
            parts.append(token)
        lines.append("".join(parts))
    end = draw(st.sampled_from(["", "\n", "\r\n"]))
    return ("\n".join(lines) + end).encode("utf-8")


@st.composite
def corpus_cases(draw, readers=("LineSentence", "Text8Corpus"), suffixes=COMPRESSION_SUFFIXES):
    """Strategy: a mutated, possibly compressed corpus file as a :class:`CorpusCase`."""
    data = draw(_corpus_text())
    labels = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["insert", "truncate", "bom"]))
        if kind == "insert":
            pos = draw(st.integers(0, len(data)))
            what = draw(st.one_of(st.sampled_from(SPECIAL_BYTES), st.binary(min_size=1, max_size=3)))
            data = data[:pos] + what + data[pos:]
            labels.append(f"insert {what!r} at {pos}")
        elif kind == "truncate":
            cut = draw(st.integers(0, len(data)))
            data = data[:cut]
            labels.append(f"truncate at {cut}")
        else:
            data = b"\xef\xbb\xbf" + data
            labels.append("bom")
    suffix = draw(st.sampled_from(suffixes))
    data = _COMPRESSORS[suffix](data)
    if suffix:
        for _ in range(draw(st.integers(0, 2))):
            data, label = _compressed_mutation(draw, data)
            labels.append(label)
    reader = draw(st.sampled_from(readers))
    return CorpusCase(data, suffix, reader, draw(st.integers(1, 6)), labels)


def reference_corpus(data, suffix, reader, max_sentence_length):
    """The sentences the documented readers yield for `data`.

    Raises
    ------
    ReferenceRejected
        If the compressed data is truncated or corrupt.
    """
    text = reference_decompress(data, suffix).decode("utf-8-sig", errors="replace")
    n = max_sentence_length
    if reader == "Text8Corpus":
        tokens = text.split()
        return [tokens[i:i + n] for i in range(0, len(tokens), n)]
    sentences = []
    lines = text.split("\n")
    for line in lines:
        tokens = line.split()
        sentences.extend(tokens[i:i + n] for i in range(0, len(tokens), n))
    return sentences


def check_corpus_case(tmp_dir, data, suffix, reader="LineSentence", max_sentence_length=10000,
                      chunk_size=None):
    """Iterate `reader` over `data` and compare with :func:`reference_corpus`; return the outcome label.

    Parameters
    ----------
    tmp_dir : str or os.PathLike
        A directory for the file (overwritten on every call).
    data, suffix : bytes, str
        The file's bytes, compressed as `suffix` says.
    reader : str
        ``"LineSentence"`` or ``"Text8Corpus"``.
    max_sentence_length : int
        Passed to the reader.
    chunk_size : int or None
        ``Text8Corpus._chunk_size`` to use on intact data (None: the default
        64 KiB); raised so that the file takes at most about 20000 chunks.

    Returns
    -------
    str
        ``"loaded"`` or ``"named error: CorpusError"``.

    Raises
    ------
    AssertionError
        If the sentences differ from the reference, intact data raises, or
        corrupt data does not raise :class:`~w2gm.exceptions.CorpusError`.
    """
    path = os.path.join(os.fspath(tmp_dir), "corpus.txt" + suffix)
    with open(path, "wb") as f:
        f.write(data)
    try:
        expected = reference_corpus(data, suffix, reader, max_sentence_length)
    except ReferenceRejected:
        expected = None
    cls = {"LineSentence": LineSentence, "Text8Corpus": Text8Corpus}[reader]
    corpus = cls(path, max_sentence_length=max_sentence_length)
    if chunk_size is not None and expected is not None:
        # small chunks test the chunk boundaries; at most ~20000 of them keep the case fast
        # (a few damaged bytes can decompress to a megabyte)
        size = len(reference_decompress(data, suffix))
        corpus._chunk_size = max(chunk_size, size // 20000 + 1)
    sentences = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # CorpusDecodingWarning for invalid UTF-8, by design
        try:
            for sentence in corpus:
                sentences.append(sentence)
        except CorpusError as exc:
            assert isinstance(exc, W2GMError)
            assert repr(path) in str(exc), f"the message does not name the file: {exc}"
            assert expected is None, f"CorpusError on intact data: {exc}"
            return _outcome(exc)
    assert expected is not None, "corrupt compressed data read without an error"
    assert sentences == expected
    assert all(type(t) is str for s in sentences for t in s)
    return "loaded"

