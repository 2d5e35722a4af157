"""Streaming, restartable corpus readers.

A corpus is an iterable of sentences, a sentence being a list of ``str``
tokens.  The readers here never hold a whole file in memory and can be
iterated over any number of times: each ``iter()`` reopens the file, so they
can be handed to a model that makes several passes (vocabulary building, then
one pass per training epoch).

Files are opened with :func:`open_untrusted` (:func:`smart_open.open`, with a
strict decompressor for ``.bz2`` and ``.xz``), so compressed files (``.gz``,
``.bz2``, ``.xz``, ... chosen by the file name's extension) are decompressed
on the fly, and any URI that ``smart_open`` understands (``s3://``,
``http://``, ...) can be given instead of a local path.  The word2vec and
evaluation-dataset readers open their files the same way and use
:func:`is_corrupt_data_error` to name corrupt compressed data.

Readers
-------
:class:`LineSentence`
    One sentence per line, tokens separated by whitespace.
:class:`Text8Corpus`
    The "text8" format: one huge line of whitespace-separated tokens, read in
    fixed-size chunks and cut into sentences of ``max_sentence_length`` tokens.
:func:`plain_corpus_file`
    Context manager giving a plain local copy of a corpus file (the file
    itself if it is one), for byte-range reading
    (:mod:`w2gm._corpus_file`, the ``corpus_file`` mode of training).
:func:`sample_corpus` / :func:`sample_corpus_path`
    A small text8-format sample of English Wikipedia bundled with the package
    (see ``w2gm/data/README.md``): 1,999,999 bytes, 333,234 tokens.

Design decisions
----------------
* **Tokens** are what :meth:`str.split` (without arguments) returns: any run of
  Unicode whitespace separates tokens, and leading/trailing whitespace yields
  no empty token.  No other preprocessing (lowercasing, punctuation removal)
  is done; the corpus must be preprocessed already.
* **Lines** (:class:`LineSentence`) end at ``b"\\n"`` only; a ``\\r`` before it
  (CRLF files) is whitespace and disappears in the split.  Lines with no
  tokens yield nothing, but still count towards ``limit``.  Lines longer than
  ``max_sentence_length`` tokens are cut into consecutive sentences of
  ``max_sentence_length`` tokens (the last one may be shorter).
* **text8 chunking** (:class:`Text8Corpus`): the file is read in chunks of
  ``Text8Corpus._chunk_size`` bytes (64 KiB; a class attribute that can be
  overridden per instance).  A token touching the end of a chunk is kept back
  and glued to the start of the next one, so the token stream is exactly
  ``text.split()`` of the whole decoded text whatever the chunk size.  Every
  sentence has exactly ``max_sentence_length`` tokens except the last one of
  the file, which may be shorter.  Newlines are plain whitespace there.
* **Decoding** is UTF-8.  A byte-order mark at the very start of a file is
  dropped (``utf-8-sig``).  Invalid bytes never raise: they are replaced by
  U+FFFD exactly as ``errors="replace"`` does.  To know whether replacement
  happened -- as opposed to a genuine U+FFFD character in the file, which is
  valid UTF-8 and is left alone silently -- each piece of input is first
  decoded strictly, and only if that raises :class:`UnicodeDecodeError` is it
  decoded again with ``errors="replace"``.  :class:`LineSentence` decodes line
  by line (a ``0x0A`` byte can never be part of a multi-byte UTF-8 sequence,
  so this equals decoding the whole file); :class:`Text8Corpus` uses an
  incremental decoder, saves its state with ``getstate()`` before each chunk
  and restores it with ``setstate()`` before the replacing retry, so
  multi-byte characters split across chunks are decoded correctly.  This uses
  only documented :mod:`codecs` API and no global state (no error handler
  registered with :func:`codecs.register_error`), so it is thread-safe and
  reentrant.
* **Warning**: the first time invalid bytes are met in a pass, one
  :class:`CorpusDecodingWarning` (a :class:`UnicodeWarning`) naming the file
  and where the first invalid bytes were is emitted; later invalid bytes in the
  same pass are replaced silently.  It is emitted when met rather than at the
  end of the pass so that a consumer that stops early still sees it.  Every
  new pass warns again (subject to the usual :mod:`warnings` filters, whose
  ``"default"`` action shows a given message once per code location).
* **Errors at construction**: a missing local file raises
  :class:`FileNotFoundError` (a directory :class:`IsADirectoryError`) when the
  reader is created, without reading the file; URIs (``scheme://...``) are not
  checked until iteration.  A ``max_sentence_length`` or ``limit`` that is not
  an integer in range, or a source that is not a path, raises
  :class:`~w2gm.exceptions.ParameterError` (a :class:`ValueError`) naming the
  argument.
* **Corrupt files**: compressed data that is truncated or damaged (what the
  gzip, bz2 and xz decompressors report as ``EOFError``, ``BadGzipFile``,
  ``zlib.error``, ``LZMAError`` or "Invalid data stream") raises
  :class:`~w2gm.exceptions.CorpusError` during iteration, naming the file and
  the line (:class:`LineSentence`) or decompressed byte offset
  (:class:`Text8Corpus`) where reading failed; the sentences before it have
  been yielded already (after a damaged, rather than truncated, stretch
  they may hold garbage: a block's checksum is only checked at its end).
  Several concatenated gzip members or bz2/xz streams are read as one file;
  zero bytes after the last one are ignored (gzip and xz define such
  padding), anything else after it is an error (:mod:`bz2` and :mod:`lzma`
  would ignore it; w2gm decompresses ``.bz2`` and ``.xz`` itself, see
  :func:`open_untrusted`).  An xz file whose decompression needs more than
  :data:`XZ_MEMORY_LIMIT` bytes is rejected the same way.  Invalid UTF-8
  is *not* an error (see **Decoding**): a corpus is free text, and one bad
  byte should not stop a day-long training run.  Genuine I/O errors stay
  :class:`OSError`.
* **Sources** are paths (``str`` or :class:`os.PathLike`), not open file
  objects, so that every pass can reopen the file.
* **Byte ranges need plain files**: a compressed stream cannot be read from
  an arbitrary offset, so :func:`plain_corpus_file` decompresses a ``.gz``,
  ``.bz2``, ``.xz`` file (or downloads a URI) once into a temporary file
  (removed afterwards, whatever happens) instead of decompressing it once
  per worker and epoch.  A FIFO or a device is refused
  (:class:`~w2gm.exceptions.CorpusError`): it could block for ever or never
  end, and cannot be read twice.
* :func:`sample_corpus_path` locates the bundled file next to this module
  (``os.path.dirname(__file__)``), which works for regular installs (not from
  inside a zip archive).
"""

import bz2
import codecs
import contextlib
import errno
import gzip
import io
import itertools
import lzma
import operator
import os
import re
import stat
import struct
import sys
import tempfile
import warnings
import zlib

import smart_open

from w2gm.exceptions import CorpusError, ParameterError

__all__ = [
    "CorpusDecodingWarning",
    "LineSentence",
    "Text8Corpus",
    "check_corpus",
    "check_corpus_file_source",
    "check_sentence",
    "plain_corpus_file",
    "sample_corpus",
    "sample_corpus_path",
    "sentence_tokens",
    "token_list",
]

#: Default maximum number of tokens per sentence (the same as gensim's).
MAX_SENTENCE_LENGTH = 10000

#: File name of the bundled sample corpus, inside ``w2gm/data/``.
SAMPLE_CORPUS_FILENAME = "sample-wiki-fil8.txt.gz"

_URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_BOM = codecs.BOM_UTF8


class CorpusDecodingWarning(UnicodeWarning):
    """Warning emitted when a corpus file contains bytes that are not valid UTF-8.

    The invalid bytes are replaced with U+FFFD (REPLACEMENT CHARACTER) and
    reading goes on.
    """


#: Exceptions with which the decompressors behind ``smart_open`` (gzip, bz2,
#: xz) report truncated or corrupt input, besides a plain ``OSError`` without
#: an errno (bz2's "Invalid data stream"); see :func:`is_corrupt_data_error`.
_CORRUPT_DATA_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error, lzma.LZMAError, struct.error)


def is_corrupt_data_error(exc):
    """Whether `exc`, raised while reading a file, means its (compressed) data is corrupt or cut short.

    The readers of untrusted files (corpora, word2vec files, evaluation
    datasets) turn such an exception into their named error naming the file.
    Truncated gzip/bz2/xz data raises ``EOFError``; a damaged gzip header or
    checksum ``gzip.BadGzipFile``; damaged deflate data ``zlib.error``;
    damaged xz data ``lzma.LZMAError``; damaged bz2 data a plain ``OSError``
    whose ``errno`` is None.  A genuine I/O error (an ``OSError`` with an
    errno, or one of its subclasses such as a network error) is not corrupt
    data and is left alone.

    Parameters
    ----------
    exc : BaseException
        The exception raised by ``read``/``readline``/iteration of a file
        opened with ``smart_open.open``.

    Returns
    -------
    bool
    """
    if isinstance(exc, _CORRUPT_DATA_ERRORS):
        return True
    return type(exc) is OSError and exc.errno is None


def _as_int(value):
    """`value` as a Python int (anything with ``__index__`` but a bool), or None."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


#: Largest memory an xz decompressor may use (``xz -9`` needs 65 MiB); a file
#: asking for more is rejected as corrupt rather than allocated.
XZ_MEMORY_LIMIT = 1 << 28
_RAW_CHUNK = 1 << 16


class _MultiStreamReader(io.RawIOBase):
    """The decompressed bytes of a bz2 or xz file: complete streams, then only zero padding.

    Unlike :class:`bz2.BZ2File` and :class:`lzma.LZMAFile`, which ignore data
    after a stream if it does not start like another stream (and, depending
    on how much is read at a time, sometimes even a damaged further stream),
    anything after the last complete stream but zero bytes is an error: the
    decompressor's own exception (``OSError`` "Invalid data stream",
    ``LZMAError``, or ``EOFError`` for a cut stream).
    """

    def __init__(self, raw, factory):
        self._raw = raw
        self._factory = factory
        self._decompressor = factory()
        self._done = False

    def readable(self):
        return True

    def readinto(self, buffer):
        with memoryview(buffer) as view, view.cast("B") as out:
            data = self._read(len(out))
            out[:len(data)] = data
        return len(data)

    def _read(self, size):
        while not self._done and size:
            decompressor = self._decompressor
            if decompressor.eof:
                rest = decompressor.unused_data.lstrip(b"\0")
                while not rest:
                    rest = self._raw.read(_RAW_CHUNK)
                    if not rest:
                        self._done = True
                        return b""
                    rest = rest.lstrip(b"\0")
                self._decompressor = decompressor = self._factory()  # a further stream
            elif decompressor.needs_input:
                rest = self._raw.read(_RAW_CHUNK)
                if not rest:
                    raise EOFError("compressed file ended before the end-of-stream marker was reached")
            else:
                rest = b""
            data = decompressor.decompress(rest, size)
            if data:
                return data
        return b""

    def close(self):
        try:
            self._raw.close()
        finally:
            super().close()


_STRICT_DECOMPRESSORS = {
    ".bz2": bz2.BZ2Decompressor,
    ".xz": lambda: lzma.LZMADecompressor(memlimit=XZ_MEMORY_LIMIT),
}


def _local_file(name):
    """The local file ``smart_open.open(name)`` opens, or None for a remote URI.

    As smart_open does: a ``file://`` prefix is dropped and ``~`` expanded.
    """
    if name.startswith("file://"):
        return os.path.expanduser(name[len("file://"):])
    if _URI_RE.match(name):
        return None
    return os.path.expanduser(name)


def open_untrusted(source, nonregular_error=None):
    """Open a file of untrusted bytes for reading, decompressing as its name's extension says.

    ``.bz2`` and ``.xz`` files are decompressed strictly (see the module
    docstring, **Corrupt files**); every other file is opened by
    ``smart_open.open(source, "rb")`` (``.gz`` by :mod:`gzip`, which is strict
    already, and URIs as ``smart_open`` understands them).  Used by the
    corpus readers, the word2vec reader and the evaluation dataset readers;
    nothing is read yet.

    Parameters
    ----------
    source : str or os.PathLike
        Local path or URI.
    nonregular_error : type, optional
        An exception class taking a message: raised if `source` is an
        existing local file that is neither a regular file nor a directory
        (a FIFO without a writer would block ``open`` for ever, a device never
        ends).  The word2vec and evaluation dataset readers pass theirs; the
        corpus readers pass none (``corpus_file`` mode refuses such files
        itself, :func:`check_plain_file`).  Checked with :func:`os.stat`
        before opening, on the file smart_open opens (a ``file://`` URI
        without its prefix, ``~`` expanded).

    Returns
    -------
    io.BufferedIOBase
        A binary file object (with ``read``, ``readline`` and iteration);
        reading it raises the exceptions that :func:`is_corrupt_data_error`
        recognises for truncated or corrupt compressed data.

    Raises
    ------
    w2gm.exceptions.ParameterError
        (a ``ValueError``) if `source`'s URI scheme or compression extension
        needs a package that is not installed (smart_open's ``ImportError``,
        e.g. ``http://`` without ``smart_open[http]``, ``.zst`` without the
        zstd package smart_open imports) or is a scheme smart_open does not
        know.
    """
    name = os.fspath(source)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    local = _local_file(name)
    if nonregular_error is not None and local is not None:
        try:
            mode = os.stat(local).st_mode
        except OSError:
            mode = None  # opening it raises the error that says why
        if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise nonregular_error(f"{name!r} is not a regular file (a FIFO, device or socket "
                                   f"would block or never end)")
    factory = _STRICT_DECOMPRESSORS.get(os.path.splitext(name)[1].lower())
    try:
        if factory is None:
            return smart_open.open(name, "rb")
        raw = smart_open.open(name, "rb", compression="disable")
    except ImportError as exc:
        # smart_open imports a URI scheme's or a compression's package only when asked
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ParameterError(f"cannot read {name!r}: its URI scheme or compression needs a package that "
                             f"is not installed ({reason})") from None
    except NotImplementedError as exc:  # smart_open's "Unable to handle scheme ..."
        raise ParameterError(f"cannot read {name!r}: {' '.join(str(exc).split())}") from None
    return io.BufferedReader(_MultiStreamReader(raw, factory))


def _check_max_sentence_length(value):
    number = _as_int(value)
    if number is None or number < 1:
        raise ParameterError(f"max_sentence_length must be an integer >= 1, got {value!r}")
    return number


def _check_limit(value):
    if value is None:
        return None
    number = _as_int(value)
    if number is None or not 0 <= number <= sys.maxsize:
        raise ParameterError(f"limit must be None or an integer from 0 to {sys.maxsize}, got {value!r}")
    return number


def _check_source(source, name):
    """Return ``source`` as a ``str``; raise if it is a local path that is not a file."""
    if isinstance(source, bytes):
        source = os.fsdecode(source)
    elif isinstance(source, os.PathLike):
        source = os.fspath(source)
        if isinstance(source, bytes):
            source = os.fsdecode(source)
    if not isinstance(source, str):
        raise ParameterError(
            f"{name} must be a path (str or os.PathLike), got {type(source).__name__}"
        )
    if not _URI_RE.match(source):
        if not os.path.exists(source):
            raise FileNotFoundError(
                errno.ENOENT, "corpus file not found", source
            )
        if os.path.isdir(source):
            raise IsADirectoryError(
                errno.EISDIR, "corpus path is a directory, not a file", source
            )
    return source


def _warn_invalid_utf8(path, where, stacklevel):
    # ``stacklevel`` counts from the caller of this function.
    warnings.warn(
        f"invalid UTF-8 in corpus file {path!r} (first at {where}); "
        "undecodable bytes are replaced with U+FFFD; "
        "further invalid bytes in this pass are not reported",
        CorpusDecodingWarning,
        stacklevel=stacklevel + 1,
    )


def _corrupt_corpus_error(path, where, exc):
    """The :class:`CorpusError` for corrupt or truncated compressed data met at `where`."""
    return CorpusError(
        f"corpus file {path!r}: corrupt or truncated compressed data (while reading {where}; "
        f"{type(exc).__name__}: {exc})"
    )


def _decode_line(data):
    """Decode one complete line of bytes; return ``(text, had_invalid_bytes)``."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), True


class _ChunkDecoder:
    """Incremental UTF-8 decoder that replaces invalid bytes and says when it did.

    Each chunk is decoded strictly first; if that raises, the decoder state is
    restored (``setstate``) and the chunk is decoded again with
    ``errors="replace"``.  A leading byte-order mark is dropped: the text is
    decoded as plain UTF-8 and a U+FEFF that is its very first character
    removed, which is what ``utf-8-sig`` means.  (The ``utf-8-sig``
    incremental decoder itself silently drops a file's last one or two bytes
    when they are all the file holds and look like the start of a BOM.)
    """

    def __init__(self):
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
        self._at_start = True

    def decode(self, data, final=False):
        """Return ``(text, had_invalid_bytes)`` for the next chunk of bytes."""
        state = self._decoder.getstate()
        try:
            text, bad = self._decoder.decode(data, final), False
        except UnicodeDecodeError:
            self._decoder.setstate(state)
            self._decoder.errors = "replace"
            try:
                text, bad = self._decoder.decode(data, final), True
            finally:
                self._decoder.errors = "strict"
        if self._at_start and text:
            self._at_start = False
            if text[0] == "\ufeff":
                text = text[1:]
        return text, bad


class LineSentence:
    """Iterate over a file with one sentence per line, tokens separated by whitespace.

    The file is reopened (and decompressed on the fly if its name ends in
    ``.gz``, ``.bz2``, ...) at every iteration, so the object can be iterated
    over many times without holding the file in memory.

    Parameters
    ----------
    source : str or os.PathLike
        Path of the file (or a URI understood by :func:`smart_open.open`).
        Text must be UTF-8 and already preprocessed (e.g. lowercased).
    max_sentence_length : int, optional
        Maximum number of tokens per sentence.  A longer line is cut into
        consecutive sentences of ``max_sentence_length`` tokens, the last one
        possibly shorter.  Default 10000.
    limit : int or None, optional
        Read only the first ``limit`` lines of the file (empty lines count).
        ``None`` (default) reads the whole file.

    Yields
    ------
    list of str
        The tokens of one sentence (never an empty list: lines without tokens
        are skipped).

    Raises
    ------
    FileNotFoundError
        At construction, if ``source`` is a local path that does not exist.
    IsADirectoryError
        At construction, if ``source`` is a directory.
    w2gm.exceptions.ParameterError
        (a ``ValueError``) At construction, if ``source`` is not a path,
        ``max_sentence_length`` is not an integer >= 1 or ``limit`` is not
        None or an integer >= 0; the message names the argument.  During
        iteration, if ``source``'s URI scheme or compression needs a package
        that is not installed (:func:`open_untrusted`).
    w2gm.exceptions.CorpusError
        (a ``TypeError``) During iteration, if the compressed data is
        truncated or corrupt; the message names the file and the line.

    Warns
    -----
    CorpusDecodingWarning
        Once per pass, when bytes that are not valid UTF-8 are met; they are
        replaced with U+FFFD and reading goes on.

    Examples
    --------
    >>> sentences = LineSentence("corpus.txt.gz")  # doctest: +SKIP
    >>> for sentence in sentences:  # doctest: +SKIP
    ...     print(sentence[:3])
    """

    def __init__(self, source, max_sentence_length=MAX_SENTENCE_LENGTH, limit=None):
        self.source = _check_source(source, "source")
        self.max_sentence_length = _check_max_sentence_length(max_sentence_length)
        self.limit = _check_limit(limit)

    def __repr__(self):
        return (
            f"{type(self).__name__}({self.source!r}, "
            f"max_sentence_length={self.max_sentence_length}, limit={self.limit})"
        )

    def __iter__(self):
        n = self.max_sentence_length
        warned = False
        lineno = 0
        try:
            with open_untrusted(self.source) as fin:
                for lineno, raw in enumerate(itertools.islice(fin, self.limit), start=1):
                    if lineno == 1 and raw.startswith(_BOM):
                        raw = raw[len(_BOM):]
                    text, bad = _decode_line(raw)
                    if bad and not warned:
                        warned = True
                        # stacklevel 2: the code that advances this generator.
                        _warn_invalid_utf8(self.source, f"line {lineno}", stacklevel=2)
                    tokens = text.split()
                    if len(tokens) <= n:
                        if tokens:
                            yield tokens
                    else:
                        for i in range(0, len(tokens), n):
                            yield tokens[i:i + n]
        except Exception as exc:
            if not is_corrupt_data_error(exc):
                raise
            # only reading can raise these (a consumer's exception cannot enter the generator)
            raise _corrupt_corpus_error(self.source, f"line {lineno + 1}", exc) from exc


class Text8Corpus:
    """Iterate over a text8-format file: one huge line of whitespace-separated tokens.

    The file is read in fixed-size chunks (never whole), decompressed on the
    fly if its name ends in ``.gz``, ``.bz2``, ..., and its token stream is cut
    into sentences of ``max_sentence_length`` tokens (the format has no
    sentence boundaries).  Tokens split across chunk boundaries are
    reassembled, so the tokens are exactly those of ``text.split()`` on the
    whole text.  Newlines, if any, are treated as any other whitespace.  The
    file is reopened at every iteration.

    Parameters
    ----------
    fname : str or os.PathLike
        Path of the file (or a URI understood by :func:`smart_open.open`),
        UTF-8 text.
    max_sentence_length : int, optional
        Number of tokens per sentence; the last sentence of the file may be
        shorter.  Default 10000.

    Yields
    ------
    list of str
        The tokens of one sentence (never empty).

    Raises
    ------
    FileNotFoundError
        At construction, if ``fname`` is a local path that does not exist.
    IsADirectoryError
        At construction, if ``fname`` is a directory.
    w2gm.exceptions.ParameterError
        (a ``ValueError``) At construction, if ``fname`` is not a path or
        ``max_sentence_length`` is not an integer >= 1; the message names the
        argument.  During iteration, if ``fname``'s URI scheme or compression
        needs a package that is not installed (:func:`open_untrusted`).
    w2gm.exceptions.CorpusError
        (a ``TypeError``) During iteration, if the compressed data is
        truncated or corrupt; the message names the file and the
        decompressed byte offset.

    Warns
    -----
    CorpusDecodingWarning
        Once per pass, when bytes that are not valid UTF-8 are met; they are
        replaced with U+FFFD and reading goes on.

    Notes
    -----
    The chunk size in bytes is the attribute ``_chunk_size`` (64 KiB); it can
    be set on an instance, e.g. to a tiny value in tests.  A single token
    longer than a chunk is still read correctly, in linear time (its pieces
    are kept over several chunks and joined once, when it ends).

    Examples
    --------
    >>> corpus = Text8Corpus("text8")  # doctest: +SKIP
    >>> first = next(iter(corpus))  # doctest: +SKIP
    >>> len(first)  # doctest: +SKIP
    10000
    """

    _chunk_size = 1 << 16

    def __init__(self, fname, max_sentence_length=MAX_SENTENCE_LENGTH):
        self.fname = _check_source(fname, "fname")
        self.max_sentence_length = _check_max_sentence_length(max_sentence_length)

    def __repr__(self):
        return (
            f"{type(self).__name__}({self.fname!r}, "
            f"max_sentence_length={self.max_sentence_length})"
        )

    def _token_chunks(self):
        """Yield lists of complete tokens, chunk after chunk (some lists may be empty)."""
        chunk_size = _as_int(self._chunk_size)
        if chunk_size is None or chunk_size < 1:
            raise ParameterError(f"_chunk_size must be an integer >= 1, got {self._chunk_size!r}")
        decoder = _ChunkDecoder()
        warned = False
        # bytes read before this chunk, for the warning message (the decoder may
        # still hold up to 3 bytes of an incomplete character from before it)
        offset = 0
        # pieces of the trailing, possibly incomplete, token of the previous chunks: joined only
        # once a chunk ends it, so a token of any length is read in linear time
        rest = []
        with open_untrusted(self.fname) as fin:
            while True:
                try:
                    data = fin.read(chunk_size)
                except Exception as exc:
                    if not is_corrupt_data_error(exc):
                        raise
                    raise _corrupt_corpus_error(self.fname, f"from decompressed byte {offset}", exc) from exc
                final = not data
                text, bad = decoder.decode(data, final=final)
                if bad and not warned:
                    warned = True
                    # stacklevel 3: the code that advances __iter__.
                    _warn_invalid_utf8(
                        self.fname,
                        f"bytes {max(0, offset - 3)}-{offset + len(data)}",
                        stacklevel=3,
                    )
                offset += len(data)
                if not text and not final:
                    continue  # the decoder holds an incomplete character back
                tokens = text.split()
                if rest:
                    if text and not text[0].isspace():
                        if not final and len(tokens) == 1 and not text[-1].isspace():
                            rest.append(text)  # the whole chunk continues the held token
                            continue
                        tokens[0] = "".join(rest) + tokens[0]
                    else:
                        tokens.insert(0, "".join(rest))
                    rest = []
                if not final and tokens and not text[-1].isspace():
                    rest = [tokens.pop()]  # may continue in the next chunk
                yield tokens
                if final:
                    return

    def __iter__(self):
        n = self.max_sentence_length
        sentence = []
        for tokens in self._token_chunks():
            sentence.extend(tokens)
            if len(sentence) >= n:
                full = len(sentence) - len(sentence) % n
                for i in range(0, full, n):
                    yield sentence[i:i + n]
                sentence = sentence[full:]
        if sentence:
            yield sentence


def sample_corpus_path():
    """Return the absolute path of the sample corpus bundled with w2gm.

    The sample is the first 1,999,999 bytes (cut at a word boundary) of a
    text8-format corpus made from English Wikipedia, gzip-compressed:
    333,234 tokens, 24,668 distinct words.  Text from Wikipedia, CC BY-SA 3.0;
    see ``w2gm/data/README.md`` for provenance and attribution.

    Returns
    -------
    str
        Absolute path of ``w2gm/data/sample-wiki-fil8.txt.gz``.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "data", SAMPLE_CORPUS_FILENAME)


def sample_corpus(max_sentence_length=MAX_SENTENCE_LENGTH):
    """Return the bundled sample corpus as a :class:`Text8Corpus`.

    Parameters
    ----------
    max_sentence_length : int, optional
        Number of tokens per sentence.  Default 10000.

    Returns
    -------
    Text8Corpus
        A restartable iterable over the sample's sentences (lists of str).

    Raises
    ------
    FileNotFoundError
        If the data file is missing from the installation.
    """
    return Text8Corpus(sample_corpus_path(), max_sentence_length=max_sentence_length)


# ---------------------------------------------------------------------------
# plain files for byte-range reading (corpus_file mode)


def is_compressed_name(path):
    """Whether `path`'s extension makes :func:`open_untrusted` decompress it (``.gz``, ``.bz2``, ...)."""
    return os.path.splitext(os.fspath(path))[1].lower() in smart_open.compression.get_supported_extensions()


def check_corpus_file_source(source):
    """Return a ``corpus_file`` argument as a ``str`` if it can be read; raise otherwise.

    A URI passes (smart_open reads it); a local path must be an existing
    regular file, compressed or not.  What ``build_vocab(corpus_file=...)``
    and the constructor check before reading; ``train(corpus_file=...)``
    checks the same through :func:`plain_corpus_file`.

    Raises
    ------
    ParameterError
        (a ``ValueError``) if `source` is not a path (naming ``corpus_file``).
    FileNotFoundError
        If it does not exist.
    IsADirectoryError
        If it is a directory.
    CorpusError
        (a ``TypeError``) if it is not a regular file (a FIFO or a device,
        which would block for ever or never end); a ``file://`` URI is
        checked as the local file smart_open opens.
    """
    path = _check_source(source, "corpus_file")
    local = _local_file(path)
    if local is not None:
        _check_regular(local, "corpus_file")
    return path


def check_plain_file(source, name="corpus_file"):
    """Return `source` as a ``str`` if it is an existing local regular file; raise otherwise.

    Parameters
    ----------
    source : str or os.PathLike
    name : str
        The argument's name, for the messages.

    Raises
    ------
    ParameterError
        (a ``ValueError``) if `source` is not a path, or is a URI.
    FileNotFoundError
        If it does not exist.
    IsADirectoryError
        If it is a directory.
    CorpusError
        (a ``TypeError``) if it is not a regular file (a FIFO, a device or a
        socket, which could block for ever or never end).
    """
    path = _check_source(source, name)
    if _URI_RE.match(path):
        raise ParameterError(f"{name} must be a local file, got the URI {path!r} "
                             "(w2gm.corpora.plain_corpus_file copies it to a temporary file)")
    _check_regular(path, name)
    return path


#: A file modified (or whose status changed) less than this long before a scan began may be
#: written again within the same coarse file-system timestamp, so its fingerprint does not vouch
#: for the scan (git's "racily clean" rule); 2 s covers the coarsest common modification-time
#: stamps (FAT's 2 s).
FINGERPRINT_SETTLE_NS = 2_000_000_000


def file_fingerprint(source):
    """What identifies the contents of a local corpus file without reading it, or None.

    ``(real path, device, inode, size, mtime_ns, ctime_ns, compressed)`` of
    :func:`os.stat`, ``compressed`` being whether the name given makes the
    readers decompress the file (:func:`is_compressed_name`: a symbolic link
    named ``.txt`` to a ``.gz`` file is read as raw bytes).  On POSIX systems a
    write to the file changes its ``ctime_ns`` (the status-change time, even
    when the write restores the modification time), so two equal
    fingerprints taken around a scan mean the scan read one version of the
    file, provided that the file's times are at least
    :data:`FINGERPRINT_SETTLE_NS` older than the scan's start (file systems
    stamp times coarsely: a write within the same tick as the last one would
    leave the fingerprint as it was).  :meth:`w2gm.Word2GM.build_vocab` keeps
    its counts under the fingerprint, and ``train(corpus_file=...)`` reuses
    them while the fingerprint is unchanged instead of counting the file
    again (``docs/gensim.md``, "corpus_file mode").

    None for a URI, a path that cannot be stat'ed, and on Windows, where
    ``st_ctime`` is the creation time and would not show such a write.
    """
    if os.name == "nt":
        return None
    try:
        path = os.fspath(source)
        if not isinstance(path, str) or _URI_RE.match(path):
            return None
        st = os.stat(path)
        return (os.path.realpath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns,
                is_compressed_name(path))
    except (TypeError, ValueError, OSError):
        return None


def _check_regular(path, name):
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "corpus file not found", path) from None
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "corpus path is a directory, not a file", path)
    if not stat.S_ISREG(mode):
        raise CorpusError(f"{name} {path!r} is not a regular file (a FIFO, device or socket cannot be "
                          "read as a corpus file)")


@contextlib.contextmanager
def plain_corpus_file(source, tmp_dir=None):
    """Context manager: the path of a plain (uncompressed, local) copy of a corpus file.

    Byte ranges (:class:`w2gm._corpus_file.CorpusFileRange`, the
    ``corpus_file`` mode of training) need a file that can be read at any
    offset, which a compressed stream cannot be.  An uncompressed local
    file is used as it is; a ``.gz``, ``.bz2``, ``.xz`` (... as
    :func:`open_untrusted` decompresses by extension) file, or a URI, is
    decompressed or downloaded once into a temporary file, which is removed
    when the ``with`` block ends, whatever ends it (an exception, a
    ``KeyboardInterrupt``).

    Parameters
    ----------
    source : str or os.PathLike
        Path of the corpus file (LineSentence format), or a URI understood by
        :func:`smart_open.open`.
    tmp_dir : str or os.PathLike, optional
        Directory of the temporary copy (default: :func:`tempfile.gettempdir`);
        it needs room for the whole decompressed file.

    Yields
    ------
    str
        The path to read: `source` itself, or the temporary copy.

    Raises
    ------
    ParameterError
        (a ``ValueError``) if `source` is not a path, or its URI scheme or
        compression needs a package that is not installed.
    FileNotFoundError
        If a local `source` does not exist.
    IsADirectoryError
        If it is a directory.
    CorpusError
        (a ``TypeError``) if it is not a regular file (a FIFO, a device), or
        its compressed data is corrupt or truncated (the message names the
        file and the decompressed byte offset; no copy is left behind).
    OSError
        If reading or writing fails (e.g. no space left for the copy).

    Examples
    --------
    >>> with plain_corpus_file("corpus.txt.gz") as path:  # doctest: +SKIP
    ...     size = os.path.getsize(path)
    """
    path = _check_source(source, "corpus_file")
    if not _URI_RE.match(path):
        _check_regular(path, "corpus_file")
        if not is_compressed_name(path):
            yield path
            return
    fd, tmp = tempfile.mkstemp(prefix="w2gm-corpus-", suffix=".txt", dir=tmp_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            _copy_decompressed(path, out)
        yield tmp
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _copy_decompressed(path, out):
    """Write the (decompressed) bytes of `path` to the binary file `out`."""
    offset = 0
    try:
        with open_untrusted(path) as fin:
            while True:
                data = fin.read(1 << 20)
                if not data:
                    return
                out.write(data)
                offset += len(data)
    except Exception as exc:
        if not is_corrupt_data_error(exc):
            raise
        raise _corrupt_corpus_error(path, f"from decompressed byte {offset}", exc) from exc


# ---------------------------------------------------------------------------
# checks of user-supplied corpora


def is_utf8_encodable(word):
    """Whether the str `word` can be written as UTF-8 (False for a lone surrogate)."""
    try:
        word.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_corpus(corpus, passes, name="sentences"):
    """Reject a corpus that cannot work, before any work starts.

    Parameters
    ----------
    corpus : object
        Should be an iterable of token lists.
    passes : int
        How many passes the caller will make (a one-shot iterator allows one).
    name : str
        The argument's name, for the message.

    Raises
    ------
    CorpusError
        (a ``TypeError``) for None, a ``str``/``bytes``, a non-iterable, or a
        one-shot iterator when ``passes > 1``; the message says what to pass.
    """
    if corpus is None:
        raise CorpusError(f"{name} must be an iterable of token lists, got None")
    if isinstance(corpus, (str, bytes)):
        raise CorpusError(
            f"{name} must be an iterable of token lists, got a {type(corpus).__name__}; "
            "to read a file use w2gm.LineSentence(path) or w2gm.Text8Corpus(path)")
    try:
        iterator = iter(corpus)
    except TypeError:
        raise CorpusError(f"{name} must be an iterable of token lists, got {type(corpus).__name__}") from None
    if iterator is corpus and passes > 1:
        raise CorpusError(
            f"{name} is a one-shot iterator ({type(corpus).__name__}) but {passes} passes over it "
            "are needed (vocabulary scan and/or several epochs); pass a restartable iterable "
            "instead: a list of token lists, w2gm.LineSentence / w2gm.Text8Corpus, or a class "
            "whose __iter__ reopens the data")


def check_sentence(sentence, number):
    """Raise :class:`CorpusError` if sentence ``number`` (1-based) is a string, not a token list."""
    if isinstance(sentence, (str, bytes)):
        raise CorpusError(
            f"sentence #{number} is a {type(sentence).__name__} ({str(sentence)[:40]!r}...), not a list "
            "of tokens; split your text first (e.g. line.split()) or use w2gm.LineSentence")


def token_list(sentence, number):
    """Sentence ``number`` (1-based) as a new list of its tokens.

    Raises
    ------
    CorpusError
        If ``sentence`` is a string or cannot be iterated.
    """
    check_sentence(sentence, number)
    try:
        return list(sentence)
    except TypeError as exc:
        raise CorpusError(f"sentence #{number}: {exc}") from None


def sentence_tokens(method, sentence, number):
    """``method(sentence)`` (a vocabulary-table count or lookup), naming the sentence on a bad token.

    Raises
    ------
    CorpusError
        If ``sentence`` is a string or holds a token that is not a ``str``.
    """
    if type(sentence) is not list:     # a list (the usual sentence) needs no check: saves a call
        check_sentence(sentence, number)
    try:
        return method(sentence)
    except TypeError as exc:
        raise CorpusError(f"sentence #{number}: {exc}") from None
