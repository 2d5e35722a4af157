# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""GIL-free reading of byte ranges of a LineSentence-format corpus file (gensim's ``corpus_file`` mode).

With ``corpus_file=`` every training worker reads its own byte range of the
file, so the single Python producer thread of the iterable path is not the
limit on many cores.  :class:`CorpusFileRange` turns a byte range into the
job arrays the training kernel takes, the same ones
``w2gm.training.TrainingRun._epoch_batches`` builds from Python token lists:
``words`` (int32 vocabulary indices, out-of-vocabulary tokens dropped) and
``sentence_ends`` (int64 exclusive end offsets).  Everything done per byte and
per token (reading, UTF-8 decoding, splitting, hashing, the vocabulary lookup
with :meth:`w2gm._vocab.WordTable.find_units`) runs without the GIL;
:meth:`CorpusFileRange.next_job` takes it only to build the two arrays of a
job (one call per about ``batch_words`` words).  :func:`count_corpus_file`
counts a file's tokens and sentences the same way (for progress totals),
and :func:`byte_ranges` cuts a file into one range per worker.

Typical use, one reader per worker thread::

    with plain_corpus_file(corpus_file) as path:          # w2gm.corpora
        ranges = byte_ranges(os.path.getsize(path), workers)
        reader = CorpusFileRange(path, table, *ranges[i], batch_words)  # in worker i
        for epoch in range(epochs):
            reader.rewind()
            for words, sentence_ends, raw_words, n_sentences in iter(reader.next_job, None):
                ...                                       # train on the job
        if reader.invalid_utf8:
            ...                                           # warn once

Format and decisions
--------------------
* **Tokens and sentences are those of** :class:`w2gm.corpora.LineSentence`:
  the file is UTF-8; sentences end at ``b"\\n"`` only; tokens are separated by
  the code points that :meth:`str.split` treats as whitespace, exactly
  ``\\t \\n \\x0b \\x0c \\r \\x1c-\\x1f`` space ``\\x85 \\xa0 \\u1680
  \\u2000-\\u200a \\u2028 \\u2029 \\u202f \\u205f \\u3000``; a line of more
  than ``max_sentence_length`` tokens is cut into consecutive sentences of at
  most that many tokens; lines without tokens are skipped; a UTF-8 byte-order
  mark at byte 0 of the file is dropped.  Each token is decoded into code
  points and packed as the code units of its canonical ``str`` (PEP 393 kind
  1, 2 or 4, chosen by its largest code point), so that the lookup finds
  exactly the words :meth:`WordTable.lookup` finds for the ``str`` tokens.
* **Invalid UTF-8** is replaced as ``bytes.decode("utf-8", errors="replace")``
  does (one U+FFFD per maximal invalid subpart, which then is part of a token)
  and counted (:attr:`CorpusFileRange.invalid_utf8`); it never raises.
* **Ranges**: a token belongs to the range that holds its first byte, so the
  ranges of :func:`byte_ranges` partition the token stream exactly (every
  token read once, in file order).  A range that starts inside a token (or
  inside a multi-byte character) skips to the next token that starts in it;
  its last token may extend past its end.  Decoding starts at most 3 bytes
  before the range (UTF-8 resynchronises there), so a range's code points are
  those of decoding the whole file.  An invalid sequence is counted by the
  range that holds its first byte, so the counts of the ranges add up to the
  whole file's.
* **The one difference from LineSentence**: a line split between two ranges
  becomes two sentences (one per range), and ``max_sentence_length`` cuts
  count from the range's part of the line.  With one range the sentences are
  exactly LineSentence's.
* **Jobs** close at the end of the sentence that brings them to
  ``batch_words`` or more vocabulary words (the rule of ``_epoch_batches``);
  ``raw_words`` counts the job's tokens, out-of-vocabulary ones included; a
  sentence whose tokens are all out of the vocabulary still has its (empty)
  entry in ``sentence_ends``, as in ``_epoch_batches``.
* **Plain files only**: byte ranges need seeking, which compressed streams
  cannot do; :func:`w2gm.corpora.plain_corpus_file` decompresses a ``.gz``,
  ``.bz2``, ``.xz`` file (or fetches a URI) once into a temporary file.  A
  path whose extension names a compression is refused here (ParameterError),
  as is anything that is not a regular file (a FIFO or a device).
* **I/O**: POSIX ``pread`` into a buffer of ``buffer_size`` bytes (1 MiB);
  lines and tokens may be of any length (the token buffer grows).  A failed
  read raises :class:`OSError` with its errno, a failed allocation
  :class:`MemoryError`, both after the GIL is taken back; the reader's
  position is kept, so calling :meth:`CorpusFileRange.next_job` again retries
  the read.  The file should not change while it is read (a concurrently
  modified file gives whatever bytes ``pread`` returns).
* **Threads**: one reader per thread; several readers may share one
  :class:`~w2gm._vocab.WordTable` (it is not modified during training).  A
  reader used by two threads at once raises :class:`RuntimeError` instead of
  corrupting its state.
"""

import operator
import os
import stat
import sys

import numpy as np

cimport numpy as cnp
from libc.errno cimport EINTR, ENOMEM, errno
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy, memmove, memset
from posix.unistd cimport close as c_close
from posix.unistd cimport pread

from w2gm._vocab cimport WordTable

from w2gm.corpora import MAX_SENTENCE_LENGTH, check_plain_file, is_compressed_name
from w2gm.exceptions import CorpusError, ParameterError

cnp.import_array()

__all__ = ["CorpusFileRange", "byte_ranges", "count_corpus_file"]

#: Default size of a reader's file buffer (bytes).
BUFFER_SIZE = 1 << 20
#: Largest integer argument accepted (sizes and counts are stored in C ``Py_ssize_t``).
MAX_INT_ARG = sys.maxsize
#: Most byte ranges :func:`byte_ranges` cuts a file into (training uses one per worker).
MAX_RANGES = 1 << 20

# what _scan returns
cdef enum:
    SCAN_ERROR = -1
    SCAN_DONE = 0
    SCAN_TOKEN = 1
    SCAN_LINE = 2

# _decode's answer for an invalid sequence (not a code point)
cdef uint32_t BAD = 0xFFFFFFFF
cdef Py_ssize_t MAX_ALLOC = (<Py_ssize_t>1) << 60
MAX_OFFSET = 1 << 62


cdef struct Scan:
    int fd
    int64_t start              # the range: tokens whose first byte is in [start, end)
    int64_t end
    uint8_t* buf               # file bytes [buf_off, buf_off + buf_len)
    Py_ssize_t buf_cap
    Py_ssize_t buf_len
    Py_ssize_t pos             # next byte to decode, in buf
    int64_t buf_off            # file offset of buf[0]
    bint eof                   # pread returned 0
    bint done                  # range exhausted
    bint in_tok                # a token of the range is being read
    bint skip                  # a token of an earlier range is being skipped
    uint8_t* tok               # its code units so far (kind tok_kind)
    Py_ssize_t tok_cap         # bytes
    Py_ssize_t tok_len         # code units
    int tok_kind
    int64_t invalid            # invalid UTF-8 sequences counted (first byte in the range)
    int64_t first_invalid      # file offset of the first one, -1 if none
    int err                    # errno of the failure behind a SCAN_ERROR


# 1 for the bytes that end a run of ASCII token characters: ASCII whitespace and non-ASCII bytes
cdef uint8_t _ASCII_STOP[256]
for _b in range(256):
    _ASCII_STOP[_b] = _b >= 0x80 or _b == 0x20 or 0x09 <= _b <= 0x0D or 0x1C <= _b <= 0x1F


cdef inline bint _is_space(uint32_t c) noexcept nogil:
    """Whether ``str.split()`` separates at code point ``c`` (Py_UNICODE_ISSPACE)."""
    if c < 0x80:
        return c == 0x20 or 0x09 <= c <= 0x0D or 0x1C <= c <= 0x1F
    if c < 0x1680:
        return c == 0x85 or c == 0xA0
    return (c == 0x1680 or 0x2000 <= c <= 0x200A or c == 0x2028 or c == 0x2029
            or c == 0x202F or c == 0x205F or c == 0x3000)


cdef inline uint32_t _decode(const uint8_t* p, Py_ssize_t avail, Py_ssize_t* used) noexcept nogil:
    """The code point of the UTF-8 sequence at ``p`` (``p[0] >= 0x80``), or BAD.

    ``avail >= 1`` bytes are readable; fewer than 4 only at the end of the
    file.  ``used`` receives the bytes consumed: the sequence, or the maximal
    invalid subpart (what CPython's decoder replaces with one U+FFFD).
    """
    cdef uint32_t b0 = p[0]
    cdef uint32_t lo = 0x80, hi = 0xBF
    if b0 < 0xC2 or b0 > 0xF4:
        used[0] = 1
        return BAD
    if b0 < 0xE0:
        if avail < 2 or (p[1] & 0xC0) != 0x80:
            used[0] = 1
            return BAD
        used[0] = 2
        return ((b0 & 0x1F) << 6) | (p[1] & 0x3F)
    if b0 == 0xE0:
        lo = 0xA0
    elif b0 == 0xED:
        hi = 0x9F          # no surrogates
    elif b0 == 0xF0:
        lo = 0x90          # no overlong 4-byte forms
    elif b0 == 0xF4:
        hi = 0x8F          # nothing above U+10FFFF
    if avail < 2 or p[1] < lo or p[1] > hi:
        used[0] = 1
        return BAD
    if avail < 3 or (p[2] & 0xC0) != 0x80:
        used[0] = 2
        return BAD
    if b0 < 0xF0:
        used[0] = 3
        return ((b0 & 0x0F) << 12) | ((<uint32_t>p[1] & 0x3F) << 6) | (p[2] & 0x3F)
    if avail < 4 or (p[3] & 0xC0) != 0x80:
        used[0] = 3
        return BAD
    used[0] = 4
    return (((b0 & 0x07) << 18) | ((<uint32_t>p[1] & 0x3F) << 12)
            | ((<uint32_t>p[2] & 0x3F) << 6) | (p[3] & 0x3F))


cdef inline bint _ends_with_space(const uint8_t* p, Py_ssize_t n) noexcept nogil:
    """Whether the ``n`` bytes ``p[:n]`` end with the UTF-8 encoding of a whitespace code point.

    If they do, that encoding is decoded as such by CPython whatever comes
    before (its first byte is not a continuation byte), so the code point
    after it starts a new token.
    """
    cdef uint32_t c
    cdef Py_ssize_t used
    if n >= 1 and p[n - 1] < 0x80:
        return _is_space(p[n - 1])
    if n >= 2 and p[n - 2] == 0xC2:
        c = _decode(p + n - 2, 2, &used)
        if c != BAD and used == 2:
            return _is_space(c)
    if n >= 3 and p[n - 3] >= 0xE0:
        c = _decode(p + n - 3, 3, &used)
        if c != BAD and used == 3:
            return _is_space(c)
    return False


cdef int _grow(uint8_t** p, Py_ssize_t* cap, Py_ssize_t need) noexcept nogil:
    """Grow the buffer ``*p`` of ``*cap`` bytes to at least ``need`` bytes; -1 if out of memory."""
    cdef Py_ssize_t new_cap = cap[0] * 2
    cdef void* q
    if need <= cap[0]:
        return 0
    if need > MAX_ALLOC:
        return -1
    if new_cap < need:
        new_cap = need
    if new_cap < 64:
        new_cap = 64
    q = realloc(p[0], <size_t>new_cap)
    if q == NULL:
        return -1
    p[0] = <uint8_t*>q
    cap[0] = new_cap
    return 0


cdef int _tok_widen(Scan* s, int kind) noexcept nogil:
    """Re-encode the token's code units as ``kind`` bytes each (in place, last unit first)."""
    cdef Py_ssize_t i
    cdef uint32_t c
    if _grow(&s.tok, &s.tok_cap, (s.tok_len + 1) * kind) < 0:
        s.err = ENOMEM
        return -1
    i = s.tok_len - 1
    while i >= 0:
        if s.tok_kind == 1:
            c = s.tok[i]
        else:
            c = (<uint16_t*>s.tok)[i]
        if kind == 2:
            (<uint16_t*>s.tok)[i] = <uint16_t>c
        else:
            (<uint32_t*>s.tok)[i] = c
        i -= 1
    s.tok_kind = kind
    return 0


cdef inline int _tok_append(Scan* s, uint32_t c) noexcept nogil:
    """Append code point ``c`` to the token, widening its kind when ``c`` needs it."""
    if s.tok_kind == 1 and c > 0xFF:
        if _tok_widen(s, 2 if c <= 0xFFFF else 4) < 0:
            return -1
    elif s.tok_kind == 2 and c > 0xFFFF:
        if _tok_widen(s, 4) < 0:
            return -1
    if (s.tok_len + 1) * s.tok_kind > s.tok_cap:
        if _grow(&s.tok, &s.tok_cap, (s.tok_len + 1) * s.tok_kind) < 0:
            s.err = ENOMEM
            return -1
    if s.tok_kind == 1:
        s.tok[s.tok_len] = <uint8_t>c
    elif s.tok_kind == 2:
        (<uint16_t*>s.tok)[s.tok_len] = <uint16_t>c
    else:
        (<uint32_t*>s.tok)[s.tok_len] = c
    s.tok_len += 1
    return 0


cdef int _pread_full(int fd, uint8_t* out, Py_ssize_t n, int64_t offset, int* err) noexcept nogil:
    """Read up to ``n`` bytes at ``offset`` (fewer only at the end of the file); -1 on error."""
    cdef Py_ssize_t got = 0
    cdef ssize_t r
    while got < n:
        r = pread(fd, out + got, <size_t>(n - got), offset + got)
        if r < 0:
            if errno == EINTR:
                continue
            err[0] = errno
            return -1
        if r == 0:
            break
        got += r
    return <int>got


cdef int _fill(Scan* s) noexcept nogil:
    """Move the undecoded bytes to the front of the buffer and read more after them."""
    cdef Py_ssize_t rest = s.buf_len - s.pos
    cdef ssize_t r
    if s.pos:
        memmove(s.buf, s.buf + s.pos, <size_t>rest)
        s.buf_off += s.pos
        s.pos = 0
        s.buf_len = rest
    while True:
        r = pread(s.fd, s.buf + rest, <size_t>(s.buf_cap - rest), s.buf_off + rest)
        if r >= 0:
            break
        if errno != EINTR:
            s.err = errno
            return -1
    if r == 0:
        s.eof = True
    s.buf_len = rest + r
    return 0


cdef int _rewind(Scan* s) noexcept nogil:
    """Position the scanner at the first code point to decode for its range.

    That is the last byte in ``start - 3 .. start`` that is not a UTF-8
    continuation byte (a code point boundary of the whole file's decoding),
    or ``start`` itself if there is none; the token in progress there, if the
    code point before it is not whitespace, belongs to an earlier range and
    is skipped.
    """
    cdef uint8_t head[8]
    cdef uint8_t bom[3]
    cdef int64_t lo = s.start - 6 if s.start >= 6 else 0   # bytes lo..start are read
    cdef int64_t q, i, first
    cdef int got, got_bom
    cdef bint line_start
    memset(head, 0, sizeof(head))
    got = _pread_full(s.fd, head, s.start + 1 - lo, lo, &s.err)
    if got < 0:
        return -1
    # q: the last byte in start-3 .. start that is not a continuation byte (or lies past
    # the end of the file); if there is none, start itself is a boundary, as no byte of
    # start-3 .. start-1 can begin a sequence that covers it
    q = s.start
    i = s.start
    while i >= lo and i >= s.start - 3:
        if i - lo >= got or (head[i - lo] & 0xC0) != 0x80:
            q = i
            break
        i -= 1
    got_bom = 0
    if q <= 3:
        got_bom = _pread_full(s.fd, bom, 3, 0, &s.err)
        if got_bom < 0:
            return -1
    if got_bom == 3 and bom[0] == 0xEF and bom[1] == 0xBB and bom[2] == 0xBF and (q == 0 or q == 3):
        q = 3              # the byte-order mark is dropped: as if the file started after it
        line_start = True
    elif q == 0:
        line_start = True
    else:
        # the (up to) 3 bytes before q; q - 3 >= lo unless lo == 0
        first = q - 3 if q - 3 > lo else lo
        line_start = _ends_with_space(head + (first - lo), q - first)
    # the reads succeeded: only now is the state changed (a failed rewind leaves it as it was)
    s.buf_len = 0
    s.pos = 0
    s.eof = False
    s.done = False
    s.in_tok = False
    s.tok_len = 0
    s.tok_kind = 1
    s.skip = not line_start
    s.buf_off = q
    return 0


cdef inline void _count_invalid(Scan* s, int64_t off) noexcept nogil:
    if s.start <= off < s.end:
        if s.first_invalid < 0:
            s.first_invalid = off
        s.invalid += 1


cdef int _scan(Scan* s) noexcept nogil:
    """Read on to the next event of the range.

    Returns SCAN_TOKEN (the token's code units are ``s.tok[:s.tok_len]`` of
    kind ``s.tok_kind``), SCAN_LINE (a ``\\n`` outside a token), SCAN_DONE
    (the range holds no further token; every later call says so again) or
    SCAN_ERROR (``s.err`` says why; the state is unchanged, so calling again
    retries).
    """
    cdef Py_ssize_t avail, n, k, lim
    cdef uint8_t* dst
    cdef const uint8_t* src
    cdef uint32_t c
    cdef uint8_t b
    cdef int64_t off
    cdef bint bad
    if s.done:
        return SCAN_DONE
    while True:
        avail = s.buf_len - s.pos
        if avail < 4 and not s.eof:
            if _fill(s) < 0:
                return SCAN_ERROR
            continue
        if avail == 0:     # end of the file
            if s.in_tok:
                s.in_tok = False
                return SCAN_TOKEN
            s.done = True
            return SCAN_DONE
        b = s.buf[s.pos]
        bad = False
        if b < 0x80:
            if s.in_tok and s.tok_kind == 1 and not _is_space(b):
                # fast path: copy a run of ASCII bytes into the token, as far as it has room
                if s.tok_len == s.tok_cap:
                    if _grow(&s.tok, &s.tok_cap, s.tok_len + 1) < 0:
                        s.err = ENOMEM
                        return SCAN_ERROR
                k = s.pos
                lim = s.buf_len
                if lim - k > s.tok_cap - s.tok_len:
                    lim = k + (s.tok_cap - s.tok_len)
                dst = s.tok + s.tok_len
                src = s.buf + s.pos
                while k < lim and not _ASCII_STOP[src[0]]:
                    dst[0] = src[0]
                    dst += 1
                    src += 1
                    k += 1
                s.tok_len += k - s.pos
                s.pos = k
                continue
            c = b
            n = 1
        else:
            c = _decode(s.buf + s.pos, avail, &n)
            if c == BAD:
                c = 0xFFFD
                bad = True
        if _is_space(c):
            if s.in_tok:
                s.in_tok = False
                if c != 0x0A:
                    s.pos += n  # a newline is left for the next call
                return SCAN_TOKEN
            s.skip = False
            if s.buf_off + s.pos >= s.end:
                s.done = True
                return SCAN_DONE
            s.pos += n
            if c == 0x0A:
                return SCAN_LINE
            continue
        off = s.buf_off + s.pos
        if s.in_tok:
            if _tok_append(s, c) < 0:
                return SCAN_ERROR
        elif not s.skip:
            if off >= s.end:
                s.done = True
                return SCAN_DONE
            if off < s.start:
                s.skip = True   # the token started in an earlier range
            else:
                s.tok_len = 0
                s.tok_kind = 1
                if _tok_append(s, c) < 0:
                    return SCAN_ERROR
                s.in_tok = True
        if bad:
            _count_invalid(s, off)
        s.pos += n


# ---------------------------------------------------------------------------- Python API


def byte_ranges(file_size, n):
    """Cut ``[0, file_size)`` into `n` consecutive byte ranges of (nearly) equal size.

    Parameters
    ----------
    file_size : int
        Size of the file in bytes, ``>= 0``.
    n : int
        Number of ranges, ``>= 1`` (typically the number of worker threads).

    Returns
    -------
    list of (int, int)
        ``n`` pairs ``(start, end)``: range ``i`` is
        ``[file_size * i // n, file_size * (i + 1) // n)``; together they
        cover ``[0, file_size)`` without overlap (some are empty when
        ``n > file_size``).  Read with :class:`CorpusFileRange`, they
        partition the file's tokens.

    Raises
    ------
    ParameterError
        (a ``ValueError``) if `file_size` is not an integer from 0 to
        ``sys.maxsize`` or `n` not one from 1 to :data:`MAX_RANGES`.
    """
    size = _int_arg(file_size, "file_size", 0)
    count = _int_arg(n, "n", 1, MAX_RANGES)
    return [(size * i // count, size * (i + 1) // count) for i in range(count)]


def _int_arg(value, name, minimum, maximum=MAX_INT_ARG):
    if not isinstance(value, bool):
        try:
            number = operator.index(value)
        except TypeError:
            number = None
        if number is not None and number >= minimum:
            if maximum is None or number <= maximum:
                return number
            raise ParameterError(f"{name} must be an integer from {minimum} to {maximum}, got {value!r}")
    raise ParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")


cdef class _RangeScanner:
    """The tokens of one byte range of a plain corpus file, read without the GIL (base class)."""
    cdef Scan s
    cdef readonly str path
    cdef readonly int64_t start
    cdef readonly int64_t end
    cdef readonly Py_ssize_t max_sentence_length
    cdef bint busy

    def __cinit__(self, *args, **kwargs):
        self.s.fd = -1
        self.s.first_invalid = -1

    def __init__(self, path, start=0, end=None, max_sentence_length=MAX_SENTENCE_LENGTH,
                 buffer_size=BUFFER_SIZE):
        cdef int fd
        name = check_plain_file(path, "corpus_file")
        if is_compressed_name(name):
            raise ParameterError(
                f"corpus_file {name!r} is compressed; byte ranges can only be read from a plain file "
                "(decompress it first, e.g. with w2gm.corpora.plain_corpus_file)")
        # offsets past 2**62 are past the end of any file: clamped (not refused), so nothing overflows
        self.start = min(_int_arg(start, "start", 0, None), MAX_OFFSET)
        self.end = MAX_OFFSET if end is None else min(_int_arg(end, "end", start, None), MAX_OFFSET)
        self.max_sentence_length = _int_arg(max_sentence_length, "max_sentence_length", 1)
        buf_size = _int_arg(buffer_size, "buffer_size", 8)
        if buf_size > MAX_ALLOC:
            raise ParameterError(f"buffer_size must be at most 2**60, got {buffer_size!r}")
        self.path = name
        if self.s.fd >= 0:       # __init__ called again
            self.close()
        if _grow(&self.s.buf, &self.s.buf_cap, buf_size) < 0:
            raise MemoryError(f"cannot allocate a buffer of {buf_size} bytes for corpus file {name!r}")
        # O_NONBLOCK: opening a FIFO that appeared since the check returns at once
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                raise CorpusError(f"corpus_file {name!r} is not a regular file")
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        self.s.fd = fd
        self.s.start = self.start
        self.s.end = self.end
        self.rewind()

    def __dealloc__(self):
        if self.s.fd >= 0:
            c_close(self.s.fd)
            self.s.fd = -1
        free(self.s.buf)
        free(self.s.tok)

    cdef int _enter(self) except -1:
        """Mark the reader busy (with the GIL held, so two threads cannot both pass)."""
        if self.s.fd < 0:
            raise ValueError(f"reader of {self.path!r} is closed")
        if self.busy:
            raise RuntimeError(f"reader of {self.path!r} is in use by another thread; "
                               "use one reader per thread")
        self.busy = True
        return 0

    cdef int _raise(self) except -1:
        cdef int err = self.s.err
        self.s.err = 0
        if err == ENOMEM:
            raise MemoryError(f"out of memory while reading corpus file {self.path!r}")
        raise OSError(err, os.strerror(err), self.path)

    def rewind(self):
        """Go back to the start of the range (call once per epoch).

        Raises
        ------
        OSError
            If reading the bytes around the range's start fails (the reader is
            then left where it was).
        """
        cdef int r
        self._enter()
        try:
            with nogil:
                r = _rewind(&self.s)
            if r < 0:
                self._raise()
        finally:
            self.busy = False

    def close(self):
        """Close the file (also done when the reader is garbage-collected)."""
        if self.busy:
            raise RuntimeError(f"reader of {self.path!r} is in use by another thread")
        if self.s.fd >= 0:
            fd = self.s.fd
            self.s.fd = -1
            os.close(fd)

    def fileno(self):
        """The file descriptor the reader reads with (``pread``, so its position is not used).

        Raises
        ------
        ValueError
            If the reader is closed.
        """
        if self.s.fd < 0:
            raise ValueError(f"reader of {self.path!r} is closed")
        return self.s.fd

    @property
    def closed(self):
        """Whether :meth:`close` was called."""
        return self.s.fd < 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def invalid_utf8(self):
        """int: invalid UTF-8 sequences met so far in the range, over all passes (each replaced by U+FFFD)."""
        return self.s.invalid

    @property
    def first_invalid_utf8(self):
        """int: file offset of the first invalid UTF-8 sequence met in the range, -1 if none."""
        return self.s.first_invalid

    def __repr__(self):
        return (f"<{type(self).__name__} {self.path!r} bytes [{self.start}, {self.end}), "
                f"max_sentence_length={self.max_sentence_length}>")

    cdef int _count(self, int64_t* raw, int64_t* sentences) noexcept nogil:
        """Count the rest of the range's tokens and sentences; -1 on error (``s.err``)."""
        cdef int r
        cdef Py_ssize_t in_sentence = 0
        while True:
            r = _scan(&self.s)
            if r == SCAN_TOKEN:
                raw[0] += 1
                in_sentence += 1
                if in_sentence == self.max_sentence_length:
                    sentences[0] += 1
                    in_sentence = 0
            elif r == SCAN_LINE or r == SCAN_DONE:
                if in_sentence:
                    sentences[0] += 1
                    in_sentence = 0
                if r == SCAN_DONE:
                    return 0
            else:
                return -1


def count_corpus_file(path, max_sentence_length=MAX_SENTENCE_LENGTH, start=0, end=None):
    """Count the tokens and sentences of a plain LineSentence-format file, without the GIL.

    The counts are those of iterating :class:`w2gm.corpora.LineSentence`
    ``(path, max_sentence_length)`` (``sum(map(len, ...))`` and the number of
    sentences), for progress totals; with `start` / `end`, those of
    :class:`CorpusFileRange` over that byte range.

    Parameters
    ----------
    path : str or os.PathLike
        A plain (uncompressed) regular file.
    max_sentence_length : int, optional
        As for LineSentence.  Default 10000.
    start, end : int, optional
        Byte range; default the whole file.

    Returns
    -------
    (int, int)
        ``(raw_words, n_sentences)``.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, CorpusError, ParameterError
        As :class:`CorpusFileRange`.
    OSError
        If reading fails.
    """
    cdef _RangeScanner scanner = _RangeScanner(path, start, end, max_sentence_length)
    cdef int64_t raw = 0, sentences = 0
    cdef int r
    try:
        with nogil:
            r = scanner._count(&raw, &sentences)
        if r < 0:
            scanner._raise()
    finally:
        scanner.close()
    return int(raw), int(sentences)


cdef class CorpusFileRange(_RangeScanner):
    """Jobs of vocabulary indices from one byte range of a plain LineSentence-format file.

    Parameters
    ----------
    path : str or os.PathLike
        A plain (uncompressed) regular file, one sentence per line, UTF-8.
    table : w2gm._vocab.WordTable
        The vocabulary (``model.wv.vocabulary_table``); it must not be
        modified while readers use it.
    start, end : int
        The byte range ``[start, end)``, ``0 <= start <= end`` (`end` may pass
        the end of the file), e.g. one of :func:`byte_ranges`.  Its tokens are
        those whose first byte lies in it.
    batch_words : int
        A job closes at the end of the sentence that brings it to
        ``batch_words`` or more vocabulary words, ``>= 1``.
    max_sentence_length : int, optional
        Longer lines are cut into sentences of at most this many tokens.
        Default 10000.
    buffer_size : int, optional
        Bytes read at a time, ``>= 8``.  Default 1 MiB.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    IsADirectoryError
        If `path` is a directory.
    w2gm.exceptions.CorpusError
        (a ``TypeError``) if `path` is not a regular file (a FIFO, a device).
    w2gm.exceptions.ParameterError
        (a ``ValueError``) if `path` is not a path, a URI or a compressed
        file's name, if `table` is not a WordTable, or an integer argument is
        out of range; the message names it.
    OSError
        If reading fails (also from :meth:`next_job` and :meth:`rewind`).
    MemoryError
        If a buffer cannot be allocated.

    Attributes
    ----------
    path : str
        The file.
    start, end : int
        The byte range (clamped to ``2**62``).
    batch_words, max_sentence_length : int
        As given.
    invalid_utf8 : int
        Invalid UTF-8 sequences (each replaced by U+FFFD) met so far in the
        range, over all passes (not reset by :meth:`rewind`).
    first_invalid_utf8 : int
        File offset of the first of them, -1 if none.
    closed : bool
        Whether :meth:`close` was called.

    Notes
    -----
    See the module docstring for the format, the treatment of ranges and the
    one difference from :class:`~w2gm.corpora.LineSentence` (a line split
    between two ranges is two sentences).
    """
    cdef WordTable table
    cdef readonly Py_ssize_t batch_words
    cdef int32_t* words          # the job being built
    cdef Py_ssize_t words_cap    # in words
    cdef int64_t* ends
    cdef Py_ssize_t ends_cap
    cdef Py_ssize_t n_words
    cdef Py_ssize_t n_ends
    cdef Py_ssize_t in_sentence  # tokens of the open sentence
    cdef int64_t raw

    def __init__(self, path, table, start, end, batch_words, max_sentence_length=MAX_SENTENCE_LENGTH,
                 buffer_size=BUFFER_SIZE):
        if not isinstance(table, WordTable):
            raise ParameterError(f"table must be a w2gm._vocab.WordTable, got {type(table).__name__}")
        self.batch_words = _int_arg(batch_words, "batch_words", 1)
        self.table = table
        super().__init__(path, start, end, max_sentence_length, buffer_size)

    def __dealloc__(self):
        free(self.words)
        free(self.ends)

    def rewind(self):
        """Go back to the start of the range (call once per epoch); a job being built is dropped.

        Raises
        ------
        OSError
            If reading the bytes around the range's start fails (the reader is
            then left where it was).
        """
        _RangeScanner.rewind(self)
        self.n_words = 0
        self.n_ends = 0
        self.in_sentence = 0
        self.raw = 0

    cdef int _fill_job(self) noexcept nogil:
        """Read on until the job is full (1), the range is exhausted (0) or reading fails (-1)."""
        cdef int r
        cdef Py_ssize_t e
        cdef Scan* s = &self.s
        while True:
            # room for the one word and one sentence end the next event may add, before reading it
            if self.n_words >= self.words_cap or self.n_ends >= self.ends_cap:
                if self._reserve() < 0:
                    s.err = ENOMEM
                    return -1
            r = _scan(s)
            if r == SCAN_TOKEN:
                e = self.table.find_units(s.tok_kind, s.tok, s.tok_len * s.tok_kind)
                if e >= 0:
                    self.words[self.n_words] = <int32_t>e
                    self.n_words += 1
                self.raw += 1
                self.in_sentence += 1
                if self.in_sentence == self.max_sentence_length:
                    if self._end_sentence():
                        return 1
            elif r == SCAN_LINE:
                if self.in_sentence and self._end_sentence():
                    return 1
            elif r == SCAN_DONE:
                if self.in_sentence:
                    self._end_sentence()
                return 0
            else:
                return -1

    cdef inline bint _end_sentence(self) noexcept nogil:
        """Close the open sentence; whether the job is full."""
        self.ends[self.n_ends] = self.n_words
        self.n_ends += 1
        self.in_sentence = 0
        return self.n_words >= self.batch_words

    cdef int _reserve(self) noexcept nogil:
        cdef Py_ssize_t cap
        if self.n_words >= self.words_cap:
            cap = self.words_cap * sizeof(int32_t)
            if _grow(<uint8_t**>&self.words, &cap, (self.words_cap + 1) * sizeof(int32_t)) < 0:
                return -1
            self.words_cap = cap // sizeof(int32_t)
        if self.n_ends >= self.ends_cap:
            cap = self.ends_cap * sizeof(int64_t)
            if _grow(<uint8_t**>&self.ends, &cap, (self.ends_cap + 1) * sizeof(int64_t)) < 0:
                return -1
            self.ends_cap = cap // sizeof(int64_t)
        return 0

    def next_job(self):
        """Read the next job of the range.

        Returns
        -------
        tuple or None
            ``(words, sentence_ends, raw_words, n_sentences)``: ``words`` int32
            ``(N,)`` vocabulary indices of the job's sentences, concatenated
            (out-of-vocabulary tokens dropped); ``sentence_ends`` int64 ``(S,)``
            exclusive end offset of each sentence in ``words``; ``raw_words``
            the job's tokens, out-of-vocabulary ones included; ``n_sentences``
            ``== S``.  ``None`` once the range is exhausted (until
            :meth:`rewind`).

        Raises
        ------
        OSError
            If reading fails (calling again retries from the same place).
        MemoryError
            If a buffer cannot grow.
        RuntimeError
            If another thread is using the reader.
        ValueError
            If the reader is closed.
        """
        cdef int r
        cdef cnp.ndarray words, ends
        self._enter()
        try:
            with nogil:
                r = self._fill_job()
            if r < 0:
                self._raise()
            if self.n_ends == 0:
                return None
            words = np.empty(self.n_words, dtype=np.int32)
            ends = np.empty(self.n_ends, dtype=np.int64)
            if self.n_words:
                memcpy(cnp.PyArray_DATA(words), self.words, self.n_words * sizeof(int32_t))
            memcpy(cnp.PyArray_DATA(ends), self.ends, self.n_ends * sizeof(int64_t))
            job = (words, ends, int(self.raw), int(self.n_ends))
            self.n_words = 0
            self.n_ends = 0
            self.raw = 0
            return job
        finally:
            self.busy = False
