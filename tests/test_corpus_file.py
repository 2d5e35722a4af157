"""The GIL-free byte-range reader of corpus files (w2gm._corpus_file) against LineSentence.

The reference for every stream is :class:`w2gm.corpora.LineSentence` (its
tokens looked up with :meth:`WordTable.lookup`) and, for the cutting of jobs,
``TrainingRun._epoch_batches`` itself.  Most tables hold every token of the
file, so that equal index streams mean equal token streams; others hold a
subset, to check that out-of-vocabulary tokens are dropped but counted.
"""

import bz2
import codecs
import errno
import gzip
import lzma
import os
import random
import threading
import types
import warnings

import numpy as np
import pytest
from fifo import unblock_after
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from w2gm._corpus_file import CorpusFileRange, byte_ranges, count_corpus_file
from w2gm._vocab import WordTable

from w2gm import Word2GM
from w2gm.corpora import CorpusDecodingWarning, LineSentence, plain_corpus_file, sample_corpus_path
from w2gm.exceptions import CorpusError, ParameterError
from w2gm.training import TrainingRun

BOM = b"\xef\xbb\xbf"
BIG = 10 ** 9  # batch_words that never closes a job early
#: the code points str.split() separates at, as the reader's docstring lists them
DOCUMENTED_WHITESPACE = (
    [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680]
    + list(range(0x2000, 0x200B)) + [0x2028, 0x2029, 0x202F, 0x205F, 0x3000])
WHITESPACE = "".join(map(chr, DOCUMENTED_WHITESPACE))

HYPOTHESIS = settings(max_examples=150, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


# --------------------------------------------------------------------------- helpers

def write(tmp_path, data, name="corpus.txt"):
    if isinstance(data, str):
        data = data.encode("utf-8")
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def line_sentences(path, max_sentence_length=10000):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorpusDecodingWarning)
        return list(LineSentence(path, max_sentence_length=max_sentence_length))


def full_table(path):
    """A table of every token of the file (so that indices identify tokens)."""
    table = WordTable()
    for sentence in line_sentences(path):
        table.add(sentence)
    return table


def half_table(path):
    """A table of every other word of the file (the others are out of vocabulary)."""
    full = full_table(path)
    return full.select(np.arange(0, len(full), 2))


def expected_stream(path, table):
    return [int(i) for sentence in line_sentences(path) for i in table.lookup(sentence)]


def read_jobs(path, table, start=0, end=None, batch_words=BIG, max_sentence_length=10000, **kwargs):
    """All jobs of one range as ``[(words list, ends list, raw, n_sentences)]``, and the reader."""
    if end is None:
        end = os.path.getsize(path)
    reader = CorpusFileRange(path, table, start, end, batch_words, max_sentence_length, **kwargs)
    jobs = []
    while True:
        job = reader.next_job()
        if job is None:
            break
        words, ends, raw, n_sentences = job
        assert words.dtype == np.int32 and ends.dtype == np.int64
        assert words.ndim == 1 and ends.ndim == 1 and len(ends) == n_sentences >= 1
        jobs.append((words.tolist(), ends.tolist(), raw, n_sentences))
    assert reader.next_job() is None  # stays exhausted
    return jobs, reader


def reference_jobs(path, table, batch_words, max_sentence_length=10000):
    """The jobs of the iterable path: ``TrainingRun._epoch_batches`` over LineSentence."""
    wv = types.SimpleNamespace(vocabulary_table=table)
    corpus = LineSentence(path, max_sentence_length=max_sentence_length)
    # the attributes _epoch_batches reads (the corpus through _epoch_sentences once corpus_file exists)
    run = types.SimpleNamespace(model=types.SimpleNamespace(wv=wv, batch_words=batch_words, seed=1),
                                corpus=corpus, corpus_file=None, _epoch_sentences=lambda: corpus,
                                stop=threading.Event(), heldout_threshold=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorpusDecodingWarning)
        batches = TrainingRun._epoch_batches(run)
        return [(words.tolist(), ends.tolist(), raw) for words, ends, raw, _ in batches]


def stream_of_ranges(path, table, ranges, **kwargs):
    """Concatenated words of the ranges, the total raw count and each range's invalid count."""
    words, raw, invalid = [], 0, []
    for start, end in ranges:
        jobs, reader = read_jobs(path, table, start, end, **kwargs)
        for job in jobs:
            words.extend(job[0])
            raw += job[2]
        invalid.append(reader.invalid_utf8)
    return words, raw, invalid


_INVALID_AT = []


def _record_invalid(exc):
    _INVALID_AT.append(exc.start)
    return "\ufffd", exc.end


codecs.register_error("w2gm-test-corpus-file-invalid", _record_invalid)


def python_invalid_offsets(data):
    """File offsets of the maximal invalid UTF-8 subparts that Python replaces (BOM dropped)."""
    skip = len(BOM) if data.startswith(BOM) else 0
    _INVALID_AT.clear()
    text = data[skip:].decode("utf-8", errors="w2gm-test-corpus-file-invalid")
    assert text == data[skip:].decode("utf-8", errors="replace")
    return [skip + at for at in _INVALID_AT]


def token_offsets(data):
    """For valid UTF-8: ``[(line number, first byte of the token, token)]`` in file order."""
    skip = len(BOM) if data.startswith(BOM) else 0
    text = data[skip:].decode("utf-8")
    out, offset, line, start, token = [], skip, 0, None, []
    for ch in text + " ":
        if ch.isspace():
            if token:
                out.append((line, start, "".join(token)))
                token = []
            if ch == "\n":
                line += 1
        else:
            if not token:
                start = offset
            token.append(ch)
        offset += len(ch.encode("utf-8"))
    return out


def reference_range_sentences(data, table, ranges, max_sentence_length):
    """The documented sentences of each range: its tokens, grouped by line, cut at max_sentence_length."""
    out = []
    tokens = token_offsets(data)
    for start, end in ranges:
        words, ends, raw = [], [], 0
        mine = [(line, token) for line, at, token in tokens if start <= at < end]
        lines = {}
        for line, token in mine:
            lines.setdefault(line, []).append(token)
        for line in sorted(lines):
            toks = lines[line]
            for i in range(0, len(toks), max_sentence_length):
                words.extend(int(x) for x in table.lookup(toks[i:i + max_sentence_length]))
                ends.append(len(words))
                raw += len(toks[i:i + max_sentence_length])
        out.append((words, ends, raw))
    return out


# --------------------------------------------------------------------------- text strategies

WORD_CHARS = "abcxyz\u00e9\u00ff\u0100\u4e2d\u6587\uffff\U00010000\U0001f600\ufeff\ufffd"
INVALID_PIECES = [b"\x80", b"\xbf", b"\xc0\xaf", b"\xc2", b"\xe2\x80", b"\xed\xa0\x80", b"\xf0\x90\x80",
                  b"\xf4\x90\x80\x80", b"\xf5", b"\xff", b"\xe0\x80\x80", b"\xf0\x80\x80\x80", b"\xc3"]


@st.composite
def valid_corpora(draw):
    """Valid UTF-8 text with every kind of whitespace, long and empty lines, CRLF, maybe a BOM."""
    pieces = draw(st.lists(st.one_of(
        st.text(alphabet=WORD_CHARS, min_size=1, max_size=8),
        st.sampled_from(list(WHITESPACE) + ["\r\n", "\n\n", "  "])), max_size=60))
    data = "".join(pieces).encode("utf-8")
    if draw(st.booleans()):
        data = BOM + data
    return data


@st.composite
def any_corpora(draw):
    """Bytes: valid pieces mixed with invalid UTF-8 fragments and random bytes."""
    pieces = draw(st.lists(st.one_of(
        st.text(alphabet=WORD_CHARS, min_size=1, max_size=6).map(lambda s: s.encode("utf-8")),
        st.sampled_from([ch.encode("utf-8") for ch in WHITESPACE] + [b"\r\n"]),
        st.sampled_from(INVALID_PIECES),
        st.binary(min_size=1, max_size=4)), max_size=50))
    data = b"".join(pieces)
    if draw(st.booleans()):
        data = BOM + data
    return data


@st.composite
def cut_points(draw, size):
    cuts = sorted(draw(st.lists(st.integers(0, size), max_size=6)))
    bounds = [0] + cuts + [size]
    return list(zip(bounds[:-1], bounds[1:]))


# --------------------------------------------------------------------------- tokenisation

def test_documented_whitespace_is_exactly_what_str_split_separates_at():
    separators = [c for c in range(0x110000) if len(("a" + chr(c) + "a").split()) == 2]
    assert separators == DOCUMENTED_WHITESPACE


def test_every_code_point_is_split_as_str_split_does(tmp_path):
    # each code point between two "a"s: a separator splits, anything else joins
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    path = write(tmp_path, "a".join(chars) + "a")
    table = full_table(path)
    expected = expected_stream(path, table)
    assert len(expected) == sum(len(s) for s in line_sentences(path)) > len(WHITESPACE) - 5
    jobs, reader = read_jobs(path, table)
    assert [w for job in jobs for w in job[0]] == expected
    assert reader.invalid_utf8 == 0


@pytest.mark.parametrize("token", [
    "abc", "caf\u00e9", "\u00ff", "\u0100", "a\u00ff\u0100\U00010000", "\U00010000a", "a\U0001f600",
    "\uffff\U00010000", "\u4e2d\u00e9a", "\ufeffx", "\ufffd", "x" * 5000, "\u4e2d" * 3000 + "\U0001f600",
])
def test_tokens_of_every_kind_are_found(tmp_path, token):
    """Code units are packed in the canonical kind, whatever order the widening characters come in."""
    path = write(tmp_path, f"zz {token} zz\n{token}")
    table = WordTable()
    table.add_word("zz")
    table.add_word(token)
    table.add_word(token[:-1] + "q")  # a near miss
    jobs, _ = read_jobs(path, table, buffer_size=8)
    assert jobs == [([0, 1, 0, 1], [3, 4], 4, 2)]


@HYPOTHESIS
@given(data=valid_corpora(), batch_words=st.integers(1, 12), max_len=st.integers(1, 5),
       buffer_size=st.sampled_from([8, 9, 13, 64, 1 << 20]))
def test_single_range_jobs_equal_the_iterable_path(tmp_path, data, batch_words, max_len, buffer_size):
    path = write(tmp_path, data)
    for table in (full_table(path), half_table(path)):
        jobs, reader = read_jobs(path, table, batch_words=batch_words, max_sentence_length=max_len,
                                 buffer_size=buffer_size)
        assert [job[:3] for job in jobs] == reference_jobs(path, table, batch_words, max_len)
        assert reader.invalid_utf8 == 0 and reader.first_invalid_utf8 == -1


@HYPOTHESIS
@given(data=valid_corpora(), max_len=st.integers(1, 4), buffer_size=st.sampled_from([8, 11, 1 << 20]),
       data_cuts=st.data())
def test_ranges_give_the_documented_sentences(tmp_path, data, max_len, buffer_size, data_cuts):
    """Each range: the tokens that start in it, one sentence per (range's part of a) line, cut at max_len."""
    ranges = data_cuts.draw(cut_points(len(data)))
    path = write(tmp_path, data)
    table = half_table(path)
    got = []
    for start, end in ranges:
        jobs, _ = read_jobs(path, table, start, end, max_sentence_length=max_len, buffer_size=buffer_size)
        assert len(jobs) <= 1
        got.append(jobs[0][:3] if jobs else ([], [], 0))
    expected = reference_range_sentences(data, table, ranges, max_len)
    assert got == [e if e[1] else ([], [], 0) for e in expected]


@HYPOTHESIS
@given(data=any_corpora(), buffer_size=st.sampled_from([8, 10, 1 << 20]), data_cuts=st.data())
def test_invalid_utf8_is_replaced_and_counted_as_python_does(tmp_path, data, buffer_size, data_cuts):
    path = write(tmp_path, data)
    table = full_table(path)
    invalid_at = python_invalid_offsets(data)
    jobs, reader = read_jobs(path, table, batch_words=3, max_sentence_length=4, buffer_size=buffer_size)
    assert [job[:3] for job in jobs] == reference_jobs(path, table, 3, 4)
    assert reader.invalid_utf8 == len(invalid_at)
    assert reader.first_invalid_utf8 == (invalid_at[0] if invalid_at else -1)
    # any cut of the file into ranges: the same tokens, each invalid sequence counted once, where it starts
    ranges = data_cuts.draw(cut_points(len(data)))
    words, raw, invalid = stream_of_ranges(path, table, ranges, buffer_size=buffer_size)
    assert words == expected_stream(path, table)
    assert raw == sum(map(len, line_sentences(path)))
    assert invalid == [sum(start <= at < end for at in invalid_at) for start, end in ranges]


# --------------------------------------------------------------------------- ranges

def sample_text(tmp_path):
    with plain_corpus_file(sample_corpus_path(), tmp_dir=tmp_path) as plain:
        with open(plain, "rb") as f:
            return f.read()


def mixed_text():
    rng = random.Random(5)
    words = ["the", "caf\u00e9", "\u4e2d\u6587", "\U0001f600ok", "\u00ff\u0100", "x" * 300, "na\u00efve"]
    seps = list(WHITESPACE.replace("\n", "")) + ["\r\n", "\n", "\n\n", " \n ", "   "]
    parts = []
    for _ in range(3000):
        parts.append(rng.choice(words))
        parts.append(rng.choice(seps))
    return "".join(parts).encode("utf-8")


FILES = {
    "crlf-empty-lines-bom": BOM + b"a b\r\n\r\n\n  c\td\n\xc2\xa0e\xe3\x80\x80f\r\ng h i j k\n\n",
    "text8-style": b" ".join(b"w%d" % (i % 97) for i in range(20000)),
    "no-final-newline": b"one two\nthree",
    "multibyte-only": ("\u4e2d\u3000\u6587\u2029\U0001f600 \u00e9\u00e9\n" * 50).encode("utf-8"),
    "mixed": mixed_text(),
}


@pytest.mark.parametrize("name", sorted(FILES) + ["sample"])
def test_n_ranges_partition_the_token_stream(tmp_path, name):
    data = sample_text(tmp_path) if name == "sample" else FILES[name]
    path = write(tmp_path, data)
    size = len(data)
    table = full_table(path)
    expected = expected_stream(path, table)
    raw_total = sum(map(len, line_sentences(path)))
    assert len(expected) == raw_total > 0
    for n in range(1, 9):
        words, raw, invalid = stream_of_ranges(path, table, byte_ranges(size, n), batch_words=1000)
        assert words == expected, n
        assert raw == raw_total and invalid == [0] * n
    # the single range's jobs are exactly those of the iterable path
    jobs, _ = read_jobs(path, table, batch_words=1000, max_sentence_length=700)
    assert [job[:3] for job in jobs] == reference_jobs(path, table, 1000, 700)


@pytest.mark.parametrize("name", ["crlf-empty-lines-bom", "multibyte-only"])
def test_every_cut_point_partitions_the_tokens(tmp_path, name):
    """Two ranges cut at every byte: inside the BOM, inside multi-byte characters and whitespace."""
    data = FILES[name][:400]
    path = write(tmp_path, data)
    table = full_table(path)
    expected = expected_stream(path, table)
    for cut in range(len(data) + 1):
        words, _, _ = stream_of_ranges(path, table, [(0, cut), (cut, len(data))], buffer_size=8)
        assert words == expected, cut


def test_a_line_split_between_ranges_is_two_sentences(tmp_path):
    path = write(tmp_path, "a b c d e\nf g\n")
    table = full_table(path)
    (first,), _ = read_jobs(path, table, 0, 4)      # "a b " -> tokens starting at 0 and 2
    (second,), _ = read_jobs(path, table, 4, 14, max_sentence_length=2)
    assert first == ([0, 1], [2], 2, 1)
    assert second == ([2, 3, 4, 5, 6], [2, 3, 5], 5, 3)   # c d | e | f g


def test_a_range_starting_inside_a_token_skips_it_and_the_last_token_runs_past_the_end(tmp_path):
    path = write(tmp_path, "alpha beta gamma")
    table = full_table(path)
    assert read_jobs(path, table, 2, 7)[0] == [([1], [1], 1, 1)]     # beta starts at 6
    assert read_jobs(path, table, 0, 1)[0] == [([0], [1], 1, 1)]     # alpha, though only "a" is in range
    assert read_jobs(path, table, 1, 6)[0] == []
    assert read_jobs(path, table, 3, 3)[0] == []
    assert read_jobs(path, table, 16, 100)[0] == []
    assert read_jobs(path, table, 500, 600)[0] == []


def test_byte_ranges_cover_the_file_without_overlap():
    for size in (0, 1, 7, 100, 12345):
        for n in range(1, 10):
            ranges = byte_ranges(size, n)
            assert len(ranges) == n and ranges[0][0] == 0 and ranges[-1][1] == size
            assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
            lengths = [end - start for start, end in ranges]
            assert min(lengths) >= 0 and max(lengths) - min(lengths) <= 1
    assert byte_ranges(np.int64(10), np.int32(2)) == [(0, 5), (5, 10)]


@pytest.mark.parametrize("args", [(-1, 2), (10, 0), (10, True), (1.5, 2), ("10", 2), (10, None),
                                  (10, 2**20 + 1), (10, 2**70), (2**70, 2)])
def test_byte_ranges_refuses_bad_arguments(args):
    with pytest.raises(ParameterError, match="file_size|n must"):
        byte_ranges(*args)


# --------------------------------------------------------------------------- reader behaviour

def test_huge_line_and_token_with_a_tiny_buffer(tmp_path):
    tokens = [f"t{i % 1000}" for i in range(60000)] + ["\u4e2d" * 70000 + "\U0001f600", "y" * 200000]
    path = write(tmp_path, " ".join(tokens) + "\n" + " ".join(tokens[:10]))
    table = full_table(path)
    jobs, _ = read_jobs(path, table, batch_words=5000, max_sentence_length=1000, buffer_size=16)
    assert [job[:3] for job in jobs] == reference_jobs(path, table, 5000, 1000)
    assert sum(job[2] for job in jobs) == len(tokens) + 10


def test_out_of_vocabulary_tokens_are_dropped_but_counted(tmp_path):
    path = write(tmp_path, "a x b\nx x\ny a\n")
    table = WordTable()
    table.add(["a", "b"])
    jobs, _ = read_jobs(path, table, batch_words=1)
    assert jobs == [([0, 1], [2], 3, 1), ([0], [0, 1], 4, 2)]
    assert [job[:3] for job in jobs] == reference_jobs(path, table, 1)


def test_rewind_reads_the_same_jobs_again_and_counts_keep_growing(tmp_path):
    path = write(tmp_path, b"a \xff b\nc d \xe2\x80\n" * 50)
    table = full_table(path)
    size = os.path.getsize(path)
    reader = CorpusFileRange(path, table, 3, size - 5, 7, 3, buffer_size=8)
    passes = []
    for _ in range(3):
        reader.rewind()
        jobs = []
        while (job := reader.next_job()) is not None:
            jobs.append((job[0].tolist(), job[1].tolist(), job[2], job[3]))
        passes.append(jobs)
    assert passes[0] == passes[1] == passes[2] and passes[0]
    per_pass = len([at for at in python_invalid_offsets(open(path, "rb").read()) if 3 <= at < size - 5])
    assert per_pass > 0 and reader.invalid_utf8 == 3 * per_pass
    # rewinding half-way drops the job in progress
    reader.rewind()
    reader.next_job()
    reader.rewind()
    assert [(j[0].tolist(), j[1].tolist(), j[2], j[3]) for j in iter(reader.next_job, None)] == passes[0]


def test_count_corpus_file_equals_line_sentence(tmp_path):
    for name, data in sorted(FILES.items()):
        path = write(tmp_path, data, name)
        for max_len in (1, 3, 10000):
            sentences = line_sentences(path, max_len)
            assert count_corpus_file(path, max_len) == (sum(map(len, sentences)), len(sentences)), name
        raws = [count_corpus_file(path, 10, a, b)[0] for a, b in byte_ranges(len(data), 5)]
        assert sum(raws) == count_corpus_file(path)[0]


def test_concurrent_readers_share_a_table(tmp_path):
    path = write(tmp_path, FILES["mixed"] * 20)
    table = half_table(path)
    ranges = byte_ranges(os.path.getsize(path), 4)
    sequential = [read_jobs(path, table, a, b, batch_words=500)[0] for a, b in ranges]
    results = [None] * len(ranges)

    def work(i):
        results[i] = read_jobs(path, table, *ranges[i], batch_words=500)[0]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(ranges))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == sequential


def test_read_errors_raise_oserror_and_a_retry_goes_on(tmp_path):
    path = write(tmp_path, "".join(f"w{i}" + (" " if i % 10 else "\n") for i in range(3000)))
    table = full_table(path)
    expected = expected_stream(path, table)
    reader = CorpusFileRange(path, table, 0, os.path.getsize(path), 100, buffer_size=64)
    words = reader.next_job()[0].tolist()
    fd = reader.fileno()
    saved = os.dup(fd)
    dir_fd = os.open(str(tmp_path), os.O_RDONLY)
    try:
        os.dup2(dir_fd, fd)     # reads from a directory fail with EISDIR
        with pytest.raises(OSError) as info:
            while True:
                words.extend(reader.next_job()[0].tolist())
        assert info.value.errno == errno.EISDIR and info.value.filename == path
        with pytest.raises(OSError):
            reader.rewind()
        os.dup2(saved, fd)
    finally:
        os.close(dir_fd)
        os.close(saved)
    # a failed read or rewind changes nothing: reading goes on where it stopped
    for job in iter(reader.next_job, None):
        words.extend(job[0].tolist())
    assert words == expected
    reader.rewind()
    assert [w for job in iter(reader.next_job, None) for w in job[0].tolist()] == expected


def test_close_and_context_manager(tmp_path):
    path = write(tmp_path, "a b")
    table = full_table(path)
    with CorpusFileRange(path, table, 0, 3, 10) as reader:
        assert not reader.closed
        assert reader.next_job()[0].tolist() == [0, 1]
    assert reader.closed
    with pytest.raises(ValueError, match="closed"):
        reader.next_job()
    with pytest.raises(ValueError, match="closed"):
        reader.fileno()
    reader.close()  # twice is fine


# --------------------------------------------------------------------------- bad input

def test_missing_file_directory_and_non_regular_files_are_refused(tmp_path):
    table = WordTable()
    with pytest.raises(FileNotFoundError, match="nope"):
        CorpusFileRange(str(tmp_path / "nope.txt"), table, 0, 1, 10)
    with pytest.raises(IsADirectoryError):
        CorpusFileRange(tmp_path, table, 0, 1, 10)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(CorpusError, match="not a regular file"):
        CorpusFileRange(fifo, table, 0, 1, 10)
    with pytest.raises(CorpusError, match="not a regular file"):
        CorpusFileRange("/dev/null", table, 0, 1, 10)
    with pytest.raises(CorpusError, match="not a regular file"):
        count_corpus_file(fifo)


@pytest.mark.parametrize("kwargs, match", [
    (dict(path=123), "corpus_file must be a path"),
    (dict(path=None), "corpus_file must be a path"),
    (dict(path="s3://bucket/corpus.txt"), "must be a local file"),
    (dict(path="GZ"), "is compressed"),
    (dict(table={"a": 0}), "table must be a w2gm._vocab.WordTable"),
    (dict(start=-1), "start must be an integer >= 0"),
    (dict(start=1.0), "start must be an integer"),
    (dict(start=5, end=4), "end must be an integer >= 5"),
    (dict(batch_words=0), "batch_words must be an integer >= 1"),
    (dict(batch_words=True), "batch_words must be an integer"),
    (dict(max_sentence_length=0), "max_sentence_length must be an integer >= 1"),
    (dict(buffer_size=4), "buffer_size must be an integer >= 8"),
    (dict(batch_words=2**70), "batch_words must be an integer from 1 to"),
    (dict(max_sentence_length=2**70), "max_sentence_length must be an integer from 1 to"),
])
def test_bad_arguments_are_parameter_errors(tmp_path, kwargs, match):
    plain = write(tmp_path, "a b")
    compressed = write(tmp_path, gzip.compress(b"a b"), "corpus.txt.GZ")
    args = dict(path=plain, table=WordTable(), start=0, end=3, batch_words=10)
    args.update(kwargs)
    if args["path"] == "GZ":
        args["path"] = compressed
    with pytest.raises(ParameterError, match=match):
        CorpusFileRange(**args)


def test_offsets_beyond_any_file_are_clamped(tmp_path):
    path = write(tmp_path, "a b")
    table = full_table(path)
    assert read_jobs(path, table, 0, 2 ** 70)[0] == [([0, 1], [2], 2, 1)]
    assert read_jobs(path, table, 2 ** 70, 2 ** 71)[0] == []


# --------------------------------------------------------------------------- plain_corpus_file

TEXT = "the quick brown fox\njumps over\n".encode("utf-8")


def temp_files(directory):
    return sorted(os.listdir(directory))


def test_plain_file_is_used_as_it_is(tmp_path):
    path = write(tmp_path, TEXT)
    with plain_corpus_file(path) as plain:
        assert plain == path
    with plain_corpus_file(tmp_path / "corpus.txt") as plain:   # PathLike
        assert plain == path
    assert os.path.exists(path)


@pytest.mark.parametrize("suffix, compress", [(".gz", gzip.compress), (".bz2", bz2.compress),
                                              (".xz", lzma.compress), (".GZ", gzip.compress)])
def test_compressed_files_are_decompressed_to_a_temporary_file(tmp_path, suffix, compress):
    path = write(tmp_path, compress(TEXT), "corpus.txt" + suffix)
    tmp_dir = tmp_path / "tmp"
    tmp_dir.mkdir()
    with plain_corpus_file(path, tmp_dir=tmp_dir) as plain:
        assert plain != path and os.path.dirname(plain) == str(tmp_dir)
        with open(plain, "rb") as f:
            assert f.read() == TEXT
        table = full_table(plain)
        assert read_jobs(plain, table)[0][0][2] == 6
    assert temp_files(tmp_dir) == []


def test_uri_is_copied_to_a_temporary_file(tmp_path):
    path = write(tmp_path, gzip.compress(TEXT), "corpus.txt.gz")
    with plain_corpus_file("file://" + path, tmp_dir=tmp_path) as plain:
        with open(plain, "rb") as f:
            assert f.read() == TEXT


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_temporary_file_is_removed_when_the_block_fails(tmp_path, error):
    path = write(tmp_path, gzip.compress(TEXT), "corpus.txt.gz")
    tmp_dir = tmp_path / "tmp"
    tmp_dir.mkdir()
    with pytest.raises(error):
        with plain_corpus_file(path, tmp_dir=tmp_dir) as plain:
            assert os.path.exists(plain)
            raise error()
    assert temp_files(tmp_dir) == []


@pytest.mark.parametrize("suffix, data", [
    (".gz", gzip.compress(TEXT * 100)[:-10]),
    (".gz", b"\x1f\x8b garbage"),
    (".bz2", bz2.compress(TEXT)[:20]),
    (".xz", lzma.compress(TEXT) + b"junk"),
])
def test_corrupt_compressed_data_is_a_corpus_error_and_leaves_nothing(tmp_path, suffix, data):
    path = write(tmp_path, data, "corpus.txt" + suffix)
    tmp_dir = tmp_path / "tmp"
    tmp_dir.mkdir()
    with pytest.raises(CorpusError, match="corrupt or truncated") as info:
        with plain_corpus_file(path, tmp_dir=tmp_dir):
            pytest.fail("the block must not run")
    assert path in str(info.value)
    assert temp_files(tmp_dir) == []


def test_plain_corpus_file_refuses_what_is_not_a_regular_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        with plain_corpus_file(tmp_path / "missing.txt.gz"):
            pass
    with pytest.raises(IsADirectoryError):
        with plain_corpus_file(tmp_path):
            pass
    fifo = tmp_path / "fifo.gz"
    os.mkfifo(fifo)
    with pytest.raises(CorpusError, match="not a regular file"):
        with plain_corpus_file(fifo):
            pass
    with pytest.raises(ParameterError, match="corpus_file must be a path"):
        with plain_corpus_file(42):
            pass


@pytest.mark.parametrize("build", ["build_vocab", "constructor"])
def test_build_vocab_refuses_what_is_not_a_regular_file_as_train_does(tmp_path, build):
    """A FIFO would block the vocabulary scan for ever and a device never end."""
    def scan(corpus_file):
        settings = dict(vector_size=4, num_mixtures=2, min_count=1, epochs=1, workers=1)
        if build == "constructor":
            Word2GM(corpus_file=corpus_file, **settings)
        else:
            Word2GM(**settings).build_vocab(corpus_file=corpus_file)

    fifo = tmp_path / "corpus.txt"
    os.mkfifo(fifo)
    with unblock_after(fifo, seconds=10):  # a regression fails instead of waiting for ever
        for name in (fifo, f"file://{fifo}"):  # smart_open would open the file:// URI's file
            with pytest.raises(CorpusError, match="corpus_file .* is not a regular file"):
                scan(name)
    for device in ("/dev/zero", "/dev/null"):
        if os.path.exists(device):
            with pytest.raises(CorpusError, match="not a regular file"):
                scan(device)
    with pytest.raises(ParameterError, match="corpus_file must be a path"):
        scan(5)
