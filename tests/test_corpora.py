"""Tests for w2gm.corpora: LineSentence, Text8Corpus and the bundled sample corpus."""

import bz2
import gzip
import itertools
import lzma
import os
import pathlib
import random
import re
import sys
import warnings

import pytest

from w2gm import corpora
from w2gm.corpora import (
    CorpusDecodingWarning,
    LineSentence,
    Text8Corpus,
    sample_corpus,
    sample_corpus_path,
)
from w2gm.exceptions import CorpusError, ParameterError, W2GMError

SAMPLE_TOKENS = 333234
SAMPLE_BYTES = 1999999

COMPRESSORS = {
    "": lambda data: data,
    ".gz": lambda data: gzip.compress(data, mtime=0),
    ".bz2": bz2.compress,
}


def write(tmp_path, name, data, suffix=""):
    """Write ``data`` (bytes or str) to ``tmp_path/name+suffix``, compressed as per suffix."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    path = tmp_path / (name + suffix)
    path.write_bytes(COMPRESSORS[suffix](data))
    return path


def flatten(sentences):
    return [token for sentence in sentences for token in sentence]


def collect_warnings(iterable):
    """Consume ``iterable``; return ``(items, list of CorpusDecodingWarning messages)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        items = list(iterable)
    messages = [str(w.message) for w in caught if issubclass(w.category, CorpusDecodingWarning)]
    return items, messages


# --------------------------------------------------------------------------- LineSentence

LINES_TEXT = (
    "the quick brown fox\n"
    "\n"
    "  jumps\tover  the lazy dog  \r\n"
    "   \n"
    "caf\u00e9 \u65e5\u672c\u8a9e na\u00efve\n"
    "last line without newline"
)
LINES_EXPECTED = [
    ["the", "quick", "brown", "fox"],
    ["jumps", "over", "the", "lazy", "dog"],
    ["caf\u00e9", "\u65e5\u672c\u8a9e", "na\u00efve"],
    ["last", "line", "without", "newline"],
]


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2"])
def test_linesentence_reads_plain_and_compressed(tmp_path, suffix):
    path = write(tmp_path, "lines.txt", LINES_TEXT, suffix)
    assert list(LineSentence(path)) == LINES_EXPECTED
    assert list(LineSentence(str(path))) == LINES_EXPECTED


def test_linesentence_compressed_matches_plain(tmp_path):
    rng = random.Random(1)
    words = ["w%d" % i for i in range(50)]
    text = "\n".join(" ".join(rng.choices(words, k=rng.randint(0, 30))) for _ in range(300))
    results = [list(LineSentence(write(tmp_path, "big.txt", text, s))) for s in COMPRESSORS]
    expected = [line.split() for line in text.split("\n") if line.split()]
    assert results[0] == expected
    assert results[1] == expected
    assert results[2] == expected


def test_linesentence_yields_lists_of_str(tmp_path):
    path = write(tmp_path, "lines.txt", LINES_TEXT)
    sentences = list(LineSentence(path))
    assert all(type(s) is list and s for s in sentences)
    assert all(type(t) is str for s in sentences for t in s)


def test_linesentence_cuts_long_lines(tmp_path):
    path = write(tmp_path, "long.txt", "a b c d e f g\nh i j\nk l\n")
    assert list(LineSentence(path, max_sentence_length=3)) == [
        ["a", "b", "c"], ["d", "e", "f"], ["g"], ["h", "i", "j"], ["k", "l"],
    ]
    assert list(LineSentence(path, max_sentence_length=1)) == [[c] for c in "abcdefghijkl"]
    # a line of exactly max_sentence_length tokens is not cut and yields no empty tail
    assert list(LineSentence(path, max_sentence_length=7))[0] == list("abcdefg")


def test_linesentence_limit_counts_lines_including_empty(tmp_path):
    path = write(tmp_path, "lines.txt", "one two\n\nthree\nfour five\n")
    assert list(LineSentence(path, limit=None)) == [["one", "two"], ["three"], ["four", "five"]]
    assert list(LineSentence(path, limit=1)) == [["one", "two"]]
    assert list(LineSentence(path, limit=2)) == [["one", "two"]]
    assert list(LineSentence(path, limit=3)) == [["one", "two"], ["three"]]
    assert list(LineSentence(path, limit=0)) == []
    assert list(LineSentence(path, limit=100)) == list(LineSentence(path))


def test_linesentence_limit_with_cut_lines(tmp_path):
    path = write(tmp_path, "lines.txt", "a b c d e\nf g\n")
    corpus = LineSentence(path, max_sentence_length=2, limit=1)
    assert list(corpus) == [["a", "b"], ["c", "d"], ["e"]]


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_linesentence_is_restartable(tmp_path, suffix):
    path = write(tmp_path, "lines.txt", LINES_TEXT, suffix)
    corpus = LineSentence(path, max_sentence_length=2)
    first, second = list(corpus), list(corpus)
    assert first == second
    assert flatten(first) == flatten(LINES_EXPECTED)
    # two iterators at once are independent
    it1, it2 = iter(corpus), iter(corpus)
    assert next(it1) == next(it2) == ["the", "quick"]
    assert next(it1) == ["brown", "fox"]
    assert list(it2) == first[1:]


def test_linesentence_empty_file(tmp_path):
    assert list(LineSentence(write(tmp_path, "empty.txt", b""))) == []
    assert list(LineSentence(write(tmp_path, "blank.txt", b"\n \n\t\n"))) == []


def test_linesentence_strips_utf8_bom(tmp_path):
    path = write(tmp_path, "bom.txt", b"\xef\xbb\xbfhello world\nbye\n")
    assert list(LineSentence(path)) == [["hello", "world"], ["bye"]]


def test_linesentence_matches_gensim(tmp_path):
    word2vec = pytest.importorskip("gensim.models.word2vec")
    rng = random.Random(5)
    text = "\n".join(
        " ".join(rng.choices(["x", "yy", "zzz", "\u00e9t\u00e9"], k=rng.randint(1, 40)))
        for _ in range(100)
    )
    path = write(tmp_path, "g.txt", text)
    ours = list(LineSentence(path, max_sentence_length=7, limit=60))
    theirs = list(word2vec.LineSentence(str(path), max_sentence_length=7, limit=60))
    assert ours == theirs


# --------------------------------------------------------------------------- Text8Corpus

def random_text(rng, n_words, multibyte=True):
    """Random text with varied whitespace and (optionally) multi-byte UTF-8 characters."""
    alphabet = "abcdefghij" + ("\u00e9\u00df\u65e5\u672c\U0001F600\u0416" if multibyte else "")
    spaces = [" ", " ", " ", "  ", "\n", "\t", " \r\n ", "\u3000"]
    parts = [rng.choice(["", " ", "\n"])]
    for i in range(n_words):
        if i:
            parts.append(rng.choice(spaces))
        parts.append("".join(rng.choices(alphabet, k=rng.randint(1, 12))))
    parts.append(rng.choice(["", " ", "\n", "  \n"]))
    return "".join(parts)


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2"])
def test_text8_reads_plain_and_compressed(tmp_path, suffix):
    text = " anarchism originated as a term of abuse first used against early working class"
    path = write(tmp_path, "text8", text, suffix)
    corpus = Text8Corpus(path, max_sentence_length=5)
    assert list(corpus) == [
        ["anarchism", "originated", "as", "a", "term"],
        ["of", "abuse", "first", "used", "against"],
        ["early", "working", "class"],
    ]


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 7, 8, 13, 64])
def test_text8_chunk_boundaries_match_split(tmp_path, chunk_size):
    rng = random.Random(chunk_size)
    for trial in range(15):
        text = random_text(rng, rng.randint(0, 120))
        path = write(tmp_path, "t%d.txt" % trial, text)
        corpus = Text8Corpus(path, max_sentence_length=rng.randint(1, 20))
        corpus._chunk_size = chunk_size
        sentences, messages = collect_warnings(corpus)
        assert messages == []  # valid UTF-8, even when split across chunks
        assert flatten(sentences) == text.split()


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 64])
def test_text8_tokens_spanning_many_chunks(tmp_path, chunk_size):
    """A token held over many chunks (kept in pieces, joined once) is read whole."""
    tokens = ["é" * 700, "b", "x" * 3000 + "\U0001F600" + "y" * 50, "𝄞" * 300]
    for text in (" ".join(tokens), "  " + "\n".join(tokens) + " \t"):
        path = write(tmp_path, "long.txt", text)
        corpus = Text8Corpus(path, max_sentence_length=3)
        corpus._chunk_size = chunk_size
        sentences, messages = collect_warnings(corpus)
        assert messages == [] and flatten(sentences) == tokens


def test_text8_chunk_size_class_attribute(tmp_path, monkeypatch):
    rng = random.Random(42)
    text = random_text(rng, 500)
    path = write(tmp_path, "t.txt", text, ".gz")
    monkeypatch.setattr(Text8Corpus, "_chunk_size", 7)
    assert Text8Corpus(path)._chunk_size == 7
    assert flatten(Text8Corpus(path, max_sentence_length=3)) == text.split()


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2"])
def test_text8_chunk_boundaries_compressed(tmp_path, suffix):
    rng = random.Random(7)
    text = random_text(rng, 2000)
    path = write(tmp_path, "t.txt", text, suffix)
    corpus = Text8Corpus(path, max_sentence_length=10)
    corpus._chunk_size = 7
    assert flatten(corpus) == text.split()


def test_text8_sentence_lengths(tmp_path):
    tokens = ["t%d" % i for i in range(25)]
    path = write(tmp_path, "t.txt", " " + " ".join(tokens))
    for chunk_size in (7, 1 << 16):
        corpus = Text8Corpus(path, max_sentence_length=10)
        corpus._chunk_size = chunk_size
        assert list(corpus) == [tokens[:10], tokens[10:20], tokens[20:]]
    # an exact multiple yields no empty trailing sentence
    path = write(tmp_path, "u.txt", " ".join(tokens[:20]) + " ")
    assert list(Text8Corpus(path, max_sentence_length=10)) == [tokens[:10], tokens[10:20]]
    assert list(Text8Corpus(path, max_sentence_length=1)) == [[t] for t in tokens[:20]]
    assert list(Text8Corpus(path, max_sentence_length=1000)) == [tokens[:20]]


def test_text8_all_sentences_full_but_last(tmp_path):
    rng = random.Random(3)
    text = random_text(rng, 1000, multibyte=False)
    path = write(tmp_path, "t.txt", text)
    corpus = Text8Corpus(path, max_sentence_length=17)
    corpus._chunk_size = 7
    lengths = [len(s) for s in corpus]
    n = len(text.split())
    assert lengths == [17] * (n // 17) + ([n % 17] if n % 17 else [])


def test_text8_with_newlines(tmp_path):
    path = write(tmp_path, "t.txt", "one two\nthree\n\nfour  five\r\nsix\n")
    assert list(Text8Corpus(path, max_sentence_length=4)) == [
        ["one", "two", "three", "four"], ["five", "six"],
    ]


def test_text8_token_longer_than_chunk(tmp_path):
    long_word = "x" * 50 + "\u00e9" * 10
    path = write(tmp_path, "t.txt", "a " + long_word + " b " + long_word)
    corpus = Text8Corpus(path)
    corpus._chunk_size = 7
    assert list(corpus) == [["a", long_word, "b", long_word]]


def test_text8_empty_file(tmp_path):
    assert list(Text8Corpus(write(tmp_path, "e.txt", b""))) == []
    assert list(Text8Corpus(write(tmp_path, "s.txt", b"   \n "))) == []
    assert list(Text8Corpus(write(tmp_path, "e.txt", b"", ".gz"))) == []


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_text8_is_restartable(tmp_path, suffix):
    rng = random.Random(11)
    text = random_text(rng, 300)
    path = write(tmp_path, "t.txt", text, suffix)
    corpus = Text8Corpus(pathlib.Path(path), max_sentence_length=9)
    corpus._chunk_size = 7
    first, second = list(corpus), list(corpus)
    assert first == second
    assert flatten(first) == text.split()
    it1, it2 = iter(corpus), iter(corpus)
    assert next(it1) == next(it2) == first[0]
    assert list(it1) == first[1:]
    assert list(it2) == first[1:]


def test_text8_strips_utf8_bom(tmp_path):
    path = write(tmp_path, "bom.txt", b"\xef\xbb\xbfhello world")
    corpus = Text8Corpus(path)
    corpus._chunk_size = 2  # the BOM itself is split across chunks
    assert list(corpus) == [["hello", "world"]]


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 1 << 16])
def test_text8_file_of_a_partial_bom_is_not_dropped(tmp_path, chunk_size):
    """b"\\xef" alone is invalid UTF-8, not a BOM: one U+FFFD (the utf-8-sig
    incremental decoder dropped it at the end of the file)."""
    for data in (b"\xef", b"\xef\xbb", b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf x"):
        path = write(tmp_path, "bom-part.txt", data)
        corpus = Text8Corpus(path)
        corpus._chunk_size = chunk_size
        expected = data.decode("utf-8-sig", errors="replace").split()
        sentences, messages = collect_warnings(corpus)
        assert flatten(sentences) == expected, data
        assert flatten(collect_warnings(LineSentence(path))[0]) == expected, data
        assert len(messages) == (1 if "\ufffd" in "".join(expected) else 0)


@pytest.mark.parametrize("chunk_size", [1, 2, 4, 1 << 16])
def test_bom_and_invalid_bytes_in_same_chunk(tmp_path, chunk_size):
    # the retry after a strict decoding failure must restore the decoder state,
    # or the BOM would leak into the text as U+FEFF
    data = b"\xef\xbb\xbfhello \xff world"
    path = write(tmp_path, "bom-bad.txt", data)
    corpus = Text8Corpus(path)
    corpus._chunk_size = chunk_size
    sentences, messages = collect_warnings(corpus)
    assert sentences == [["hello", "\ufffd", "world"]]
    assert len(messages) == 1
    sentences, messages = collect_warnings(LineSentence(path))
    assert sentences == [["hello", "\ufffd", "world"]]
    assert len(messages) == 1


def test_text8_streams_in_fixed_size_chunks(tmp_path, monkeypatch):
    """The file is read in reads of at most _chunk_size bytes, lazily."""
    text = " ".join("w%d" % i for i in range(20000))  # ~128 kB
    path = write(tmp_path, "t.txt", text)
    reads = []
    real_open = corpora.smart_open.open

    class Recorder:
        def __init__(self, f):
            self._f = f

        def read(self, size=-1):
            reads.append(size)
            return self._f.read(size)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._f.close()

    monkeypatch.setattr(corpora.smart_open, "open", lambda *a, **k: Recorder(real_open(*a, **k)))
    corpus = Text8Corpus(path, max_sentence_length=10)
    corpus._chunk_size = 1000
    it = iter(corpus)
    assert next(it) == ["w%d" % i for i in range(10)]
    assert reads == [1000]  # only the first chunk was read to produce the first sentence
    rest = list(it)
    assert flatten(rest) == text.split()[10:]
    assert all(size == 1000 for size in reads)
    assert len(reads) == len(text) // 1000 + 2  # full chunks, the partial one, then EOF


def test_text8_matches_gensim_tokens(tmp_path):
    word2vec = pytest.importorskip("gensim.models.word2vec")
    rng = random.Random(9)
    text = " " + " ".join(rng.choices(["anarchism", "a", "of", "the", "zero"], k=30000))
    path = write(tmp_path, "g.txt", text, ".gz")
    ours = list(Text8Corpus(path, max_sentence_length=1000))
    theirs = list(word2vec.Text8Corpus(str(path), max_sentence_length=1000))
    assert flatten(ours) == flatten(theirs) == text.split()
    assert all(len(s) == 1000 for s in ours)


# --------------------------------------------------------------------------- invalid UTF-8

INVALID = b"good caf\xe9 bad\xff\xfe word\n\xc3 more\nok \xe2\x82\xac fine\n"
INVALID_TOKENS = [
    "good", "caf\ufffd", "bad\ufffd\ufffd", "word", "\ufffd", "more", "ok", "\u20ac", "fine",
]


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2"])
def test_linesentence_invalid_utf8_warns_and_replaces(tmp_path, suffix):
    path = write(tmp_path, "bad-lines.txt", INVALID, suffix)
    corpus = LineSentence(path)
    with pytest.warns(CorpusDecodingWarning, match="bad-lines.txt"):
        sentences = list(corpus)
    assert sentences == [INVALID_TOKENS[:4], INVALID_TOKENS[4:6], INVALID_TOKENS[6:]]
    assert issubclass(CorpusDecodingWarning, UnicodeWarning)


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2"])
def test_text8_invalid_utf8_warns_and_replaces(tmp_path, suffix):
    path = write(tmp_path, "bad-text8.txt", INVALID.replace(b"\n", b" "), suffix)
    corpus = Text8Corpus(path, max_sentence_length=4)
    with pytest.warns(CorpusDecodingWarning, match="bad-text8.txt"):
        sentences = list(corpus)
    assert flatten(sentences) == INVALID_TOKENS
    assert [len(s) for s in sentences] == [4, 4, 1]


def test_invalid_utf8_one_warning_per_pass(tmp_path):
    data = b"\n".join(b"w%d \xff x\xc3" % i for i in range(50))
    line_path = write(tmp_path, "many-bad.txt", data)
    text8_path = write(tmp_path, "many-bad.txt", data, ".gz")
    text8 = Text8Corpus(text8_path)
    text8._chunk_size = 7  # invalid bytes in many chunks
    for corpus in (LineSentence(line_path), text8):
        for _ in range(2):  # each pass warns again, exactly once
            sentences, messages = collect_warnings(corpus)
            assert len(messages) == 1
            assert "many-bad.txt" in messages[0]
            assert flatten(sentences).count("\ufffd") == 50
            assert flatten(sentences).count("x\ufffd") == 50


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7])
def test_text8_invalid_utf8_at_chunk_boundaries(tmp_path, chunk_size):
    # a truncated multi-byte sequence at the very end of the file, others in the middle
    data = b"ab\xe2\x82 \xe6\x97\xa5\xf0\x9f\x98 cd \xe2\x82\xac\xe2\x82"
    expected = data.decode("utf-8", errors="replace").split()
    assert "\ufffd" in "".join(expected)
    path = write(tmp_path, "edge.txt", data)
    corpus = Text8Corpus(path)
    corpus._chunk_size = chunk_size
    sentences, messages = collect_warnings(corpus)
    assert flatten(sentences) == expected
    assert len(messages) == 1


def test_text8_random_invalid_bytes_match_replace_decoding(tmp_path):
    rng = random.Random(13)
    for trial in range(20):
        data = bytearray(random_text(rng, 60).encode("utf-8"))
        for _ in range(rng.randint(1, 5)):  # sprinkle invalid / truncating bytes
            data.insert(rng.randrange(len(data) + 1), rng.choice([0xFF, 0x80, 0xC3, 0xE2, 0xF0]))
        data = bytes(data)
        expected = data.decode("utf-8", errors="replace").split()
        path = write(tmp_path, "r%d.txt" % trial, data)
        for chunk_size in (1, 7, 1 << 16):
            corpus = Text8Corpus(path, max_sentence_length=5)
            corpus._chunk_size = chunk_size
            sentences, messages = collect_warnings(corpus)
            assert flatten(sentences) == expected
            assert len(messages) == 1


def test_valid_replacement_character_does_not_warn(tmp_path):
    """A genuine U+FFFD in the file is valid UTF-8: kept, and no warning."""
    text = "a \ufffd b\nc\ufffd\n"
    line_path = write(tmp_path, "fffd.txt", text)
    text8 = Text8Corpus(line_path)
    text8._chunk_size = 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(LineSentence(line_path)) == [["a", "\ufffd", "b"], ["c\ufffd"]]
        assert list(text8) == [["a", "\ufffd", "b", "c\ufffd"]]


def test_warning_not_emitted_for_valid_files(tmp_path):
    path = write(tmp_path, "ok.txt", LINES_TEXT, ".bz2")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(LineSentence(path)) == LINES_EXPECTED
        assert flatten(Text8Corpus(path)) == flatten(LINES_EXPECTED)


# --------------------------------------------------------------------------- corrupt compressed files

CORRUPT_TEXT = "".join("line %d has some words w%d\n" % (i, i % 7) for i in range(400)).encode()
CORRUPTORS = {**COMPRESSORS, ".xz": lzma.compress}
READERS = {
    "LineSentence": (LineSentence, "while reading line "),
    "Text8Corpus": (Text8Corpus, "while reading from decompressed byte "),
}


def damaged_versions(data):
    """(label, bytes) pairs: truncations, a flipped byte in the middle and in the trailer, garbage."""
    yield "first byte only", data[:1]
    yield "half", data[:len(data) // 2]
    yield "trailer cut", data[:-3]
    middle = bytearray(data)
    middle[len(data) // 2] ^= 0x55
    yield "flipped middle byte", bytes(middle)
    tail = bytearray(data)
    tail[-6] ^= 0x01  # gzip CRC / xz index / bz2 stream CRC
    yield "flipped trailer byte", bytes(tail)
    yield "not compressed at all", b"plain text, wrong extension\n"


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
@pytest.mark.parametrize("reader", sorted(READERS))
def test_corrupt_compressed_corpus_raises_corpus_error(tmp_path, suffix, reader):
    cls, where = READERS[reader]
    data = CORRUPTORS[suffix](CORRUPT_TEXT)
    expected = CORRUPT_TEXT.decode().split()
    for n, (label, damaged) in enumerate(damaged_versions(data)):
        path = tmp_path / f"bad{n}.txt{suffix}"
        path.write_bytes(damaged)
        tokens = []
        with pytest.raises(CorpusError, match=re.escape(f"corpus file {str(path)!r}: corrupt or truncated "
                                                        f"compressed data ({where}")) as info:
            for sentence in cls(path):
                tokens.extend(sentence)
        assert isinstance(info.value, W2GMError), label
        if label in ("half", "trailer cut"):
            # what was yielded before the error is a correct prefix of the corpus
            # (the last token may be cut by the truncation).  Damaged data, in
            # contrast, can be yielded before the checksum at the end of its
            # block fails: streaming readers cannot do better.
            assert tokens[:-1] == expected[:max(0, len(tokens) - 1)], label


@pytest.mark.parametrize("suffix", [".gz", ".bz2"])
def test_every_truncation_of_a_compressed_corpus_is_a_corpus_error(tmp_path, suffix):
    data = COMPRESSORS[suffix](CORRUPT_TEXT[:300])
    path = tmp_path / ("cut.txt" + suffix)
    for n in range(1, len(data)):
        path.write_bytes(data[:n])
        for cls in (LineSentence, Text8Corpus):
            with pytest.raises(CorpusError, match="corrupt or truncated compressed data"):
                list(cls(path))
    path.write_bytes(data)
    assert flatten(LineSentence(path)) == CORRUPT_TEXT[:300].decode().split()


def test_corrupt_corpus_error_line_number(tmp_path):
    """The line named is where reading failed: the lines before it were read."""
    text = b"".join(b"w%d\n" % i for i in range(200000))  # ~1.3 MB, compresses well
    data = gzip.compress(text, mtime=0)
    path = tmp_path / "cut.txt.gz"
    path.write_bytes(data[:len(data) * 3 // 4])
    seen = []
    with pytest.raises(CorpusError, match=r"while reading line (\d+);") as info:
        for sentence in LineSentence(path):
            seen.append(sentence)
    line = int(re.search(r"while reading line (\d+);", str(info.value)).group(1))
    assert line == len(seen) + 1 and 1000 < line < 200000
    assert seen == [["w%d" % i] for i in range(len(seen))]


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_compressed_corpus_trailing_bytes(tmp_path, suffix):
    """Documented: concatenated streams are one file, zero padding after the last one is
    ignored, anything else after it is an error (bz2.BZ2File and lzma.LZMAFile would
    silently ignore such junk)."""
    compress = CORRUPTORS[suffix]
    half = len(CORRUPT_TEXT) // 2
    expected = CORRUPT_TEXT.decode().split()
    cases = {
        "two streams": compress(CORRUPT_TEXT[:half]) + compress(CORRUPT_TEXT[half:]),
        "zero padding": compress(CORRUPT_TEXT) + b"\0" * 8,
        "padding between": compress(CORRUPT_TEXT[:half]) + b"\0" * 4 + compress(CORRUPT_TEXT[half:]),
    }
    for name, data in cases.items():
        path = tmp_path / f"ok.txt{suffix}"
        path.write_bytes(data)
        assert flatten(LineSentence(path)) == expected, name
        assert flatten(Text8Corpus(path)) == expected, name
    stream = compress(CORRUPT_TEXT)
    damaged = bytearray(stream)
    damaged[len(stream) // 2] ^= 0x20
    bad = {
        "junk": stream + b"junk",
        "one byte": stream + b"\x01",
        "half a stream": stream + stream[:len(stream) // 2],
        "damaged stream": stream + bytes(damaged),
    }
    for name, data in bad.items():
        path = tmp_path / f"bad.txt{suffix}"
        path.write_bytes(data)
        for cls in (LineSentence, Text8Corpus):
            with pytest.raises(CorpusError, match="corrupt or truncated compressed data"):
                list(cls(path))
                pytest.fail(f"{name}: no error")


def test_xz_memory_limit(tmp_path):
    """An xz file that asks for a huge dictionary is refused, not allocated."""
    filters = [{"id": lzma.FILTER_LZMA2, "dict_size": corpora.XZ_MEMORY_LIMIT * 2}]
    path = tmp_path / "big-dict.txt.xz"
    path.write_bytes(lzma.compress(b"a b c\n", filters=filters))
    with pytest.raises(CorpusError, match="Memory usage limit"):
        list(LineSentence(path))
    path.write_bytes(lzma.compress(b"a b c\n", preset=9 | lzma.PRESET_EXTREME))
    assert list(LineSentence(path)) == [["a", "b", "c"]]


def test_open_untrusted_reads_like_smart_open(tmp_path):
    text = CORRUPT_TEXT * 20
    for suffix, compress in CORRUPTORS.items():
        path = tmp_path / f"f.txt{suffix}"
        path.write_bytes(compress(text))
        with corpora.open_untrusted(path) as fin:
            assert fin.readline() == text[:text.index(b"\n") + 1]
            assert fin.read(5) == text[text.index(b"\n") + 1:][:5]
            assert fin.read() == text[text.index(b"\n") + 6:]
            assert fin.read(10) == b""
        assert fin.closed


def test_corrupt_corpus_is_a_corpus_error_in_training(tmp_path):
    from w2gm import Word2GM

    data = gzip.compress(b"a b c d e f\n" * 3000)
    path = tmp_path / "cut.txt.gz"
    path.write_bytes(data[:-20])
    with pytest.raises(CorpusError, match="cut.txt.gz"):
        Word2GM(LineSentence(path), vector_size=4, num_mixtures=2, min_count=1, epochs=1, workers=2)


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_cli_train_on_corrupt_corpus_is_a_one_line_error(tmp_path, capsys, suffix):
    """The CLI's format probe reads the corpus too: a cut file is a CorpusError there as well."""
    from w2gm.cli import main

    data = CORRUPTORS[suffix](b"a b c d e f\n" * 3000)
    for n, cut in enumerate([data[:len(data) // 2], data[:5], b"junk"]):
        path = tmp_path / f"cut{n}.txt{suffix}"
        path.write_bytes(cut)
        assert main(["train", str(path), "-o", str(tmp_path / "m.npz"), "--vector-size", "4",
                     "--epochs", "1"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"w2gm: error: corpus file {str(path)!r}: corrupt"), err
    assert not (tmp_path / "m.npz").exists()


def test_io_errors_are_not_reported_as_corrupt_data(tmp_path, monkeypatch):
    """An OSError with an errno (a real read failure) stays an OSError."""
    path = write(tmp_path, "c.txt", "a b c\n")

    class Failing:
        def __iter__(self):
            raise OSError(5, "Input/output error")

        def read(self, size=-1):
            raise OSError(5, "Input/output error")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(corpora.smart_open, "open", lambda *a, **k: Failing())
    for cls in (LineSentence, Text8Corpus):
        with pytest.raises(OSError, match="Input/output error") as info:
            list(cls(path))
        assert not isinstance(info.value, W2GMError)
    assert corpora.is_corrupt_data_error(EOFError())
    assert corpora.is_corrupt_data_error(OSError("Invalid data stream"))
    assert not corpora.is_corrupt_data_error(OSError(5, "Input/output error"))
    assert not corpora.is_corrupt_data_error(FileNotFoundError(2, "gone"))


# --------------------------------------------------------------------------- construction errors

@pytest.mark.parametrize("cls", [LineSentence, Text8Corpus])
def test_missing_file_raises_at_construction(tmp_path, cls):
    missing = tmp_path / "no-such-corpus.txt.gz"
    with pytest.raises(FileNotFoundError, match="no-such-corpus.txt.gz") as excinfo:
        cls(missing)
    assert excinfo.value.filename == str(missing)
    assert str(excinfo.value).count(str(missing)) == 1  # named once (OSError appends the filename)
    with pytest.raises(FileNotFoundError, match="no-such-corpus"):
        cls(str(missing))


@pytest.mark.parametrize("cls", [LineSentence, Text8Corpus])
def test_directory_raises_at_construction(tmp_path, cls):
    with pytest.raises(IsADirectoryError, match="directory") as excinfo:
        cls(tmp_path)
    assert excinfo.value.filename == str(tmp_path)
    assert str(excinfo.value).count(str(tmp_path)) == 1  # named once (OSError appends the filename)


@pytest.mark.parametrize("error", [
    ImportError("You are trying to use the http functionality of smart_open\n"
                "but you do not have the correct http dependencies installed."),
    ModuleNotFoundError("No module named 'zstandard'"),
])
def test_a_uri_or_compression_without_its_package_is_a_parameter_error(monkeypatch, error):
    # smart_open imports a scheme's or a compression's package when it opens; without it, a
    # stray ImportError would reach the user (and the CLI would print a traceback)
    def missing(*args, **kwargs):
        raise error

    monkeypatch.setattr(corpora.smart_open, "open", missing)
    for name in ("http://example.com/corpus.txt", "corpus.txt.zst", "corpus.txt.xz"):
        with pytest.raises(ParameterError, match="not installed") as excinfo:
            corpora.open_untrusted(name)
        message = str(excinfo.value)
        assert repr(name) in message and "\n" not in message
        assert str(error).split()[-1] in message


def test_a_compression_without_its_package_is_refused_where_smart_open_raises(tmp_path, without_zstd):
    path = write(tmp_path, "c.txt.zst", "a b c")
    with pytest.raises(ParameterError, match="zstandard"):
        list(LineSentence(path))


def test_an_unknown_uri_scheme_is_a_parameter_error():
    with pytest.raises(ParameterError, match="nosuchscheme"):
        corpora.open_untrusted("nosuchscheme://host/corpus.txt")


@pytest.mark.parametrize("cls", [LineSentence, Text8Corpus])
def test_construction_does_not_read_file(tmp_path, cls, monkeypatch):
    path = write(tmp_path, "c.txt", "a b c")

    def forbidden(*args, **kwargs):
        raise AssertionError("file opened at construction")

    monkeypatch.setattr(corpora.smart_open, "open", forbidden)
    corpus = cls(path)
    monkeypatch.undo()
    assert flatten(corpus) == ["a", "b", "c"]


@pytest.mark.parametrize("cls", [LineSentence, Text8Corpus])
@pytest.mark.parametrize("bad", [0, -1, -10000])
def test_max_sentence_length_must_be_positive(tmp_path, cls, bad):
    path = write(tmp_path, "c.txt", "a b c")
    with pytest.raises(ParameterError, match=r"max_sentence_length must be an integer >= 1, got %d" % bad):
        cls(path, max_sentence_length=bad)


@pytest.mark.parametrize("cls", [LineSentence, Text8Corpus])
@pytest.mark.parametrize("bad", [2.5, "10", None, True, 1e300, float("nan")])
def test_max_sentence_length_must_be_integer(tmp_path, cls, bad):
    path = write(tmp_path, "c.txt", "a b c")
    message = f"max_sentence_length must be an integer >= 1, got {bad!r}"
    with pytest.raises(ParameterError, match=re.escape(message)):
        cls(path, max_sentence_length=bad)


def test_max_sentence_length_accepts_integer_likes(tmp_path):
    numpy = pytest.importorskip("numpy")
    path = write(tmp_path, "c.txt", "a b c")
    corpus = LineSentence(path, max_sentence_length=numpy.int64(2))
    assert corpus.max_sentence_length == 2 and type(corpus.max_sentence_length) is int
    assert list(corpus) == [["a", "b"], ["c"]]


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True, float("inf"), sys.maxsize + 1, 2**70])
def test_limit_validation(tmp_path, bad):
    path = write(tmp_path, "c.txt", "a b c")
    message = f"limit must be None or an integer from 0 to {sys.maxsize}, got {bad!r}"
    with pytest.raises(ParameterError, match=re.escape(message)):
        LineSentence(path, limit=bad)


def test_argument_errors_are_parameter_errors(tmp_path):
    """Bad arguments raise ParameterError: a W2GMError and a ValueError, naming the argument."""
    path = write(tmp_path, "c.txt", "a b c")
    calls = {
        "max_sentence_length": lambda: LineSentence(path, max_sentence_length=0),
        "limit": lambda: LineSentence(path, limit=-5),
        "source": lambda: LineSentence(["a", "b"]),
        "fname": lambda: Text8Corpus(42),
    }
    for name, call in calls.items():
        with pytest.raises(ParameterError, match=name) as info:
            call()
        assert isinstance(info.value, ValueError) and isinstance(info.value, W2GMError)
    corpus = Text8Corpus(path)
    corpus._chunk_size = 0
    with pytest.raises(ParameterError, match="_chunk_size must be an integer >= 1, got 0"):
        list(corpus)


@pytest.mark.parametrize("cls", [LineSentence, Text8Corpus])
def test_source_must_be_a_path(cls):
    with pytest.raises(ParameterError, match=r"must be a path \(str or os.PathLike\), got list"):
        cls(["a", "b"])


# --------------------------------------------------------------------------- sample corpus

def test_sample_corpus_path_exists():
    path = sample_corpus_path()
    assert isinstance(path, str)
    assert os.path.isabs(path)
    assert os.path.isfile(path)
    assert os.path.basename(path) == "sample-wiki-fil8.txt.gz"
    with gzip.open(path, "rb") as f:
        data = f.read()
    assert len(data) == SAMPLE_BYTES
    assert data.startswith(b" anarchism ")
    assert b"\n" not in data and not data.endswith(b" ")
    assert set(data) <= set(b" abcdefghijklmnopqrstuvwxyz")


def test_sample_corpus_token_count():
    corpus = sample_corpus()
    assert isinstance(corpus, Text8Corpus)
    sentences = list(corpus)
    assert sum(len(s) for s in sentences) == SAMPLE_TOKENS
    assert [len(s) for s in sentences] == [10000] * 33 + [SAMPLE_TOKENS - 330000]
    assert sentences[0][:5] == ["anarchism", "is", "a", "political", "philosophy"]
    short = sample_corpus(max_sentence_length=1000)
    assert list(itertools.islice(short, 1))[0] == sentences[0][:1000]
