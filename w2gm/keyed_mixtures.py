"""Query object for trained Word2GM embeddings: one Gaussian mixture per word.

Word2GM (Athiwaratkun & Wilson, "Multimodal Word Distributions", ACL 2017)
represents every vocabulary word ``w`` by a mixture of ``K`` Gaussians
(eq. 1 of the paper)::

    f_w(x) = sum_k p[w, k] * N(x; mu[w, k], Sigma[w, k])

where the mixture weights ``p[w] = softmax(s[w])`` come from unconstrained
logits ``s[w]`` and each covariance ``Sigma[w, k]`` is either spherical
(``sigma^2 * I``, one variance per component) or diagonal (one variance per
dimension).

:class:`KeyedGaussianMixtures` holds these parameters as NumPy arrays,

============== ======================== =====================================
attribute      shape                    meaning
============== ======================== =====================================
means          ``(V, K, D)`` float32    component means ``mu[w, k]``
log_variances  ``(V, K, 1)`` or         log of the (spherical or diagonal)
               ``(V, K, D)`` float32    variances
logits         ``(V, K)`` float32       mixture logits ``s[w, k]``
counts         ``(V,)`` int64 or None   corpus frequencies (optional)
============== ======================== =====================================

together with the vocabulary (``index_to_key`` / ``key_to_index``), and
answers similarity queries: nearest neighbours of a single mixture component,
word-level neighbours and pairwise similarity.  The similarity measures
(``metric=``, see :data:`SIMILARITY_METRICS`: ``"max_cos"``, ``"avg_cos"``,
``"expected_likelihood"``, ``"min_euclidean"``, ``"neg_kl"``) are those of
the paper; they are defined, on plain arrays, in :mod:`w2gm.similarity`,
which this module uses.

Similarities of many pairs at once: :meth:`KeyedGaussianMixtures.score_pairs`;
correlation with human ratings of a word-pair file:
:meth:`KeyedGaussianMixtures.evaluate_word_pairs`, which delegates to
:mod:`w2gm.evaluation.word_pairs`; the other evaluation tasks are in
:mod:`w2gm.evaluation`.

The arrays are kept by reference (no copy) when they are already float32 and
C-contiguous, so a trainer can update them in place and the query object sees
the updates.  Similarity searches cache the unit-normalised means; call
:meth:`KeyedGaussianMixtures.clear_cache` after modifying ``means`` in place.

Each mixture component can be exported to (and re-imported from) the plain
word2vec text or binary format, which stores only the means: variances and
mixture weights are not representable there.
"""

import contextlib
import logging
import numbers
import os
import re
import stat
from typing import NamedTuple

import numpy as np
import smart_open

from w2gm._vocab import WordTable
from w2gm.corpora import is_corrupt_data_error, open_untrusted
from w2gm.evaluation.word_pairs import evaluate_word_pairs as _evaluate_word_pairs
from w2gm.exceptions import (
    ComponentIndexError,
    ParameterError,
    Word2VecFormatError,
    WordNotInVocabularyError,
)
from w2gm.persistence import atomic_write, local_path
from w2gm.similarity import (
    SIMILARITY_METRICS,
    check_metric,
    combine_components,
    component_scores,
    log_mixture_weights,
    mixture_weights,
    unit_vectors,
)

__all__ = ["GaussianMixture", "KeyedGaussianMixtures", "SIMILARITY_METRICS"]

logger = logging.getLogger(__name__)

_WHITESPACE = re.compile(r"\s")


class GaussianMixture(NamedTuple):
    """Parameters of one word's Gaussian mixture, as returned by ``kv[word]``.

    Attributes
    ----------
    means : numpy.ndarray
        ``(K, D)`` float32, component means (a copy).
    variances : numpy.ndarray
        ``(K, 1)`` (spherical) or ``(K, D)`` (diagonal) float32, component
        variances ``exp(log_variances)``.
    weights : numpy.ndarray
        ``(K,)`` float32, mixture weights ``softmax(logits)``; sums to 1.
    """

    means: np.ndarray
    variances: np.ndarray
    weights: np.ndarray


def _as_float32_array(name, value, expected):
    """Return `value` as a float32 C-contiguous ndarray, copying only if needed."""
    arr = np.asarray(value)
    if not np.issubdtype(arr.dtype, np.floating):
        raise ParameterError(
            f"{name} must be a floating-point array {expected} (float32), got dtype {arr.dtype} "
            f"with shape {arr.shape}"
        )
    if arr.dtype != np.float32 or not arr.flags.c_contiguous:
        # A copy: in-place updates of the caller's array will not be seen.
        arr = np.ascontiguousarray(arr, dtype=np.float32)
    return arr


def _word_table(index_to_key):
    """The vocabulary as a :class:`WordTable` (`index_to_key` itself if it is one)."""
    if isinstance(index_to_key, WordTable):
        return index_to_key
    table = WordTable()
    for i, word in enumerate(index_to_key):
        if not isinstance(word, str):
            raise TypeError(
                f"index_to_key must hold str words, got {word!r} ({type(word).__name__}) "
                f"at position {i}"
            )
        j = table.add_word(word)
        if j != i:
            raise ParameterError(
                f"duplicate word {word!r} in index_to_key (positions {j} and {i})"
            )
    return table


def _int64_counts(counts, vocab_size):
    """`counts` as a ``(V,)`` int64 array, or ParameterError naming its dtype or shape."""
    counts = np.asarray(counts)
    if not np.issubdtype(counts.dtype, np.integer):
        raise ParameterError(
            f"counts must be an integer array (V,), got dtype {counts.dtype} "
            f"with shape {counts.shape}"
        )
    if counts.shape != (vocab_size,):
        raise ParameterError(f"counts has shape {counts.shape}, expected (V,) = {(vocab_size,)}")
    return counts.astype(np.int64, copy=False)


def _top_indices(scores, n):
    """Indices of the `n` largest entries of 1-d `scores`, in descending order.

    Uses ``np.argpartition`` so the cost is linear in ``len(scores)``; ties
    among the returned entries are ordered by index.
    """
    if n <= 0:
        return np.empty(0, dtype=np.intp)
    if n < scores.shape[0]:
        candidates = np.argpartition(-scores, n - 1)[:n]
    else:
        candidates = np.arange(scores.shape[0])
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order]


# Upper bound on the elements of the (n, Ka, Kb, D) float64 temporaries of a chunk (32 MiB).
_CHUNK_ELEMENTS = 1 << 22
# At most this many words per chunk in vocabulary-wide searches.
_CHUNK_WORDS = 4096


def _chunk_size(ka, kb, d):
    """Words per chunk so that an ``(n, ka, kb, d)`` float64 temporary stays bounded."""
    return max(1, min(_CHUNK_WORDS, _CHUNK_ELEMENTS // max(1, ka * kb * d)))


def _check_same_words(words, first_path, other_words, path, k):
    """Raise Word2VecFormatError naming the first difference if component `k`'s words differ."""
    if other_words == words:
        return
    for i, (expected, found) in enumerate(zip(words, other_words)):
        if expected != found:
            raise Word2VecFormatError(
                f"{path} (component {k}) has word {found!r} at position {i}, "
                f"but {first_path} (component 0) has {expected!r}; all files must list "
                f"the same words in the same order"
            )
    i = min(len(words), len(other_words))
    extra = (other_words[i], path) if len(other_words) > i else (words[i], first_path)
    raise Word2VecFormatError(
        f"{path} (component {k}) has {len(other_words)} words, "
        f"but {first_path} (component 0) has {len(words)}; first unmatched word is "
        f"{extra[0]!r} at position {i} in {extra[1]}"
    )


# ------------------------------------------------ reading word2vec files
#
# Every file is untrusted: nothing is allocated from the header's numbers
# alone, every read is bounded, and every problem is a Word2VecFormatError
# naming the file (and the line or vector).

#: Longest word (in UTF-8 bytes) that the word2vec reader accepts and
#: :meth:`KeyedGaussianMixtures.save_word2vec_format` writes.
MAX_WORD_BYTES = 1 << 16
#: Largest vector size ``D`` in a word2vec header.
MAX_VECTOR_SIZE = 1 << 20
#: Largest vocabulary size ``V`` in a word2vec header (that of the word table).
MAX_VOCAB_SIZE = 2**31 - 1
#: Longest header line, in bytes.
MAX_HEADER_BYTES = 1024
#: A text line may hold at most this many bytes per value on top of the word.
MAX_TEXT_BYTES_PER_VALUE = 64

_HEADER_RE = re.compile(rb"[ \t]*(-?[0-9]+)[ \t]+(-?[0-9]+)[ \t\r]*\n?")
# a decimal number as written by C's printf %f/%e/%g or Python's repr: no
# "nan"/"inf", no hexadecimal, no digit-group underscores, ASCII digits only
_NUMBER_RE = re.compile(rb"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_ASCII_SPACE = b" \t\n\r\x0b\x0c"  # what bytes.split() splits on
_READ_CHUNK = 1 << 16
# values converted and stored at once (bounds the temporary Python floats / bytes)
_FLUSH_VALUES = 1 << 16
# the characters of a _NUMBER_RE number (and of the whitespace around it)
_NUMBER_CHARS = b"0123456789+-.eE" + _ASCII_SPACE
# rows of a growing vector array allocated at first (then doubled): about 4 MiB
_INITIAL_ROW_BYTES = 1 << 22


def _file_size(path):
    """Size in bytes of `path` if it is a regular local file that smart_open reads as is, else None."""
    try:
        name = os.fspath(path)
    except TypeError:
        return None
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    if "://" in name:
        return None
    if os.path.splitext(name)[1].lower() in smart_open.compression.get_supported_extensions():
        return None
    try:
        info = os.stat(name)
    except OSError:
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


class _Rows:
    """A ``(n, D)`` float32 array filled block by block, grown by doubling up to ``V`` rows.

    Memory follows the rows actually read, not the header's promise.
    """

    def __init__(self, vocab_size, vector_size, preallocate):
        self.limit = vocab_size
        self.width = vector_size
        self.count = 0
        if preallocate:
            capacity = vocab_size
        else:
            capacity = min(vocab_size, max(1, _INITIAL_ROW_BYTES // (4 * vector_size)))
        self.array = np.empty((capacity, vector_size), dtype=np.float32)

    def extend(self, values):
        """Append the rows of `values` (flat, a multiple of ``D`` numbers; at most ``V`` rows in all)."""
        block = np.asarray(values).reshape(-1, self.width)
        end = self.count + block.shape[0]
        if end > self.array.shape[0]:
            capacity = self.array.shape[0]
            while capacity < end:
                capacity = min(self.limit, 2 * capacity)
            grown = np.empty((capacity, self.width), dtype=np.float32)
            grown[:self.count] = self.array[:self.count]
            self.array = grown
        with np.errstate(over="ignore"):  # out of float32 range -> inf, reported by _check_finite
            self.array[self.count:end] = block
        self.count = end

    def result(self):
        return self.array[:self.count]


def _encode_word(word):
    """`word` as UTF-8 bytes, or Word2VecFormatError if it cannot be written in a word2vec file."""
    if not word or _WHITESPACE.search(word):
        raise Word2VecFormatError(
            f"word {word!r} is empty or contains whitespace and cannot be written in word2vec format"
        )
    try:
        raw = word.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Word2VecFormatError(
            f"word {word!r} cannot be encoded as UTF-8 ({exc.reason}) and cannot be written in "
            f"word2vec format"
        ) from None
    if len(raw) > MAX_WORD_BYTES:
        raise Word2VecFormatError(
            f"word {word[:40]!r}... is {len(raw)} bytes long in UTF-8, above the maximum of "
            f"{MAX_WORD_BYTES} and cannot be written in word2vec format"
        )
    return raw


def _word2vec_error(path, message):
    return Word2VecFormatError(f"{os.fspath(path)}: {message}")


def _read_header(fin, path):
    """Parse the ``V D`` header line; return ``(vocab_size, vector_size, header_bytes)``."""
    header = fin.readline(MAX_HEADER_BYTES + 1)
    match = _HEADER_RE.fullmatch(header)
    if match is None or (len(header) > MAX_HEADER_BYTES and not header.endswith(b"\n")):
        raise _word2vec_error(
            path, f"invalid word2vec header {header[:80]!r}; expected '<vocab_size> <vector_size>' "
                  f"(two decimal integers) on the first line"
        )
    vocab_size, vector_size = int(match.group(1)), int(match.group(2))
    negative = match.group(1).startswith(b"-") or match.group(2).startswith(b"-")  # even "-0"
    if negative or not 0 <= vocab_size <= MAX_VOCAB_SIZE or not 1 <= vector_size <= MAX_VECTOR_SIZE:
        raise _word2vec_error(
            path, f"invalid word2vec header {header[:80]!r}; need 0 <= vocab_size <= {MAX_VOCAB_SIZE} "
                  f"and 1 <= vector_size <= {MAX_VECTOR_SIZE}"
        )
    return vocab_size, vector_size, len(header)


def _min_body_bytes(vocab_size, vector_size, binary):
    """Fewest bytes that `vocab_size` entries of `vector_size` values can take."""
    if binary:  # word (>= 1 byte), space, D float32; the newline is optional
        return vocab_size * (2 + 4 * vector_size)
    # word, then D times a separator and a one-digit value; newlines between lines
    return max(0, vocab_size * (1 + 2 * vector_size + 1) - 1)


def _check_word(path, where, raw, index, position):
    """Decode and validate one word; record it in `index`; return it."""
    if not raw:
        raise _word2vec_error(path, f"{where}: empty word")
    if len(raw) > MAX_WORD_BYTES:
        raise _word2vec_error(path, f"{where}: word of {len(raw)} bytes, longer than the maximum "
                                    f"of {MAX_WORD_BYTES}")
    try:
        word = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _word2vec_error(path, f"{where}: word {raw[:80]!r} is not valid UTF-8 ({exc.reason} "
                                    f"at byte {exc.start})") from None
    if _WHITESPACE.search(word):
        raise _word2vec_error(path, f"{where}: word {word[:80]!r} contains whitespace")
    first = index.setdefault(word, position)
    if first != position:
        raise _word2vec_error(path, f"{where}: duplicate word {word[:80]!r} (also entry {first + 1}); "
                                    f"the words of a word2vec file must be distinct")
    return word


def _check_finite(path, vectors, words, describe):
    """Raise naming the first entry (``describe(i)``) whose vector holds NaN or infinity."""
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        i = int(np.argmin(finite))
        raise _word2vec_error(path, f"{describe(i)} (word {words[i][:80]!r}) holds a NaN or infinite "
                                    f"value (or one out of float32 range)")


def _read_word2vec_file(path, binary):
    """Read one word2vec-format file; return ``(words, vectors (V, D) float32)``.

    See :meth:`KeyedGaussianMixtures.load_word2vec_format` for the format
    accepted; every problem raises :class:`Word2VecFormatError` naming
    `path`.
    """
    size = _file_size(path)
    with open_untrusted(path) as fin, _corrupt_data_is_format_error(path):
        vocab_size, vector_size, header_bytes = _read_header(fin, path)
        needed = _min_body_bytes(vocab_size, vector_size, binary)
        if size is not None and size - header_bytes < needed:
            raise _word2vec_error(
                path, f"the header declares {vocab_size} vectors of {vector_size} values, which "
                      f"take at least {needed} bytes, but only {size - header_bytes} bytes follow it"
            )
        rows = _Rows(vocab_size, vector_size, preallocate=size is not None)
        if binary:
            words = _read_binary_body(fin, path, rows, header_bytes)
        else:
            words = _read_text_body(fin, path, rows)
    return words, rows.result()


def _read_word2vec_header(path):
    """``(vocab_size, vector_size)`` from the header of one word2vec file."""
    with open_untrusted(path) as fin, _corrupt_data_is_format_error(path):
        return _read_header(fin, path)[:2]


@contextlib.contextmanager
def _corrupt_data_is_format_error(path):
    """Turn a decompressor's report of corrupt or truncated data into Word2VecFormatError."""
    try:
        yield
    except Exception as exc:
        if not is_corrupt_data_error(exc):
            raise
        raise _word2vec_error(
            path, f"corrupt or truncated compressed data ({type(exc).__name__}: {exc})"
        ) from exc


def _read_text_body(fin, path, rows):
    """Read the ``word v1 ... vD`` lines after the header into `rows`; return the words."""
    vocab_size, vector_size = rows.limit, rows.width
    max_line = MAX_WORD_BYTES + MAX_TEXT_BYTES_PER_VALUE * vector_size + 2
    flush = max(vector_size, _FLUSH_VALUES)
    words = []
    index = {}
    pending = []  # values of the lines not yet stored in rows
    lineno = 1
    while True:
        line = fin.readline(max_line + 1)
        lineno += 1
        if len(line) > max_line and not line.endswith(b"\n"):
            raise _word2vec_error(path, f"line {lineno} is longer than {max_line} bytes "
                                        f"(the most a word and {vector_size} values may take)")
        i = len(words)
        if i == vocab_size:  # only blank lines may follow the declared vectors
            if not line:
                break
            if line.strip(_ASCII_SPACE):
                raise _word2vec_error(path, f"line {lineno}: data after the {vocab_size} vectors "
                                            f"declared in the header")
            continue
        if not line:
            raise _word2vec_error(path, f"unexpected end of file after {i} of {vocab_size} vectors "
                                        f"(line {lineno})")
        fields = line.split()
        if not fields:
            raise _word2vec_error(path, f"line {lineno} is blank; expected vector {i + 1} of "
                                        f"{vocab_size} ('word v1 ... v{vector_size}')")
        if len(fields) != vector_size + 1:
            shown = fields[0][:80].decode("utf-8", "backslashreplace")
            raise _word2vec_error(path, f"line {lineno} has {len(fields) - 1} values for word {shown!r}, "
                                        f"expected {vector_size}")
        word = _check_word(path, f"line {lineno}", fields[0], index, i)
        values = fields[1:]
        # Values made of these characters only (what is left of the line without them
        # is what is left of the word) are parsed by float() exactly as _NUMBER_RE
        # says; float() alone would also take "nan", "inf", "1_0", non-ASCII digits.
        try:
            if line.translate(None, _NUMBER_CHARS) != fields[0].translate(None, _NUMBER_CHARS):
                raise ValueError
            pending.extend(map(float, values))
        except ValueError:
            bad = next((f for f in values if _NUMBER_RE.fullmatch(f) is None), b"?")
            raise _word2vec_error(path, f"line {lineno} (word {word[:80]!r}) holds {bad[:40]!r}, "
                                        f"which is not a finite decimal number") from None
        words.append(word)
        if len(pending) >= flush:
            rows.extend(pending)
            pending.clear()
    rows.extend(pending)
    _check_finite(path, rows.result(), words, lambda j: f"line {j + 2}")
    return words


def _read_binary_body(fin, path, rows, offset):
    """Read the ``word<space><D float32>`` entries after the header into `rows`; return the words.

    Linear in the file size: the buffer is a ``bytearray`` consumed from the
    front and appended to at the back, and the search for the space after a
    word never rescans bytes.  `offset` is the header's length, for messages.
    """
    vocab_size, vector_size = rows.limit, rows.width
    nbytes = 4 * vector_size
    flush = max(nbytes, 4 * _FLUSH_VALUES)
    words = []
    index = {}
    buf = bytearray()
    pos = 0  # start of the unread part of buf; buf[0] is at byte `offset` of the file
    pending = bytearray()  # vectors not yet stored in rows

    def fill():
        """Append the next chunk of the file to `buf` (dropping what was read); False at the end."""
        nonlocal pos, offset
        more = fin.read(_READ_CHUNK)
        del buf[:pos]
        offset += pos
        pos = 0
        buf.extend(more)
        return bool(more)

    def truncated(i):
        return _word2vec_error(path, f"unexpected end of file after {i} of {vocab_size} vectors "
                                     f"(byte {offset + len(buf)})")

    for i in range(vocab_size):
        if pos == len(buf) and not fill():
            raise truncated(i)
        where = f"vector {i + 1} of {vocab_size} (byte {offset + pos})"
        # word2vec.c writes a newline after every vector; it precedes the next word
        scanned = pos + 1 if buf[pos] == 0x0A else pos
        while True:
            start = pos + 1 if buf[pos] == 0x0A else pos
            space = buf.find(b" ", scanned, start + MAX_WORD_BYTES + 1)
            if space != -1:
                break
            if len(buf) - start > MAX_WORD_BYTES:
                raise _word2vec_error(path, f"{where}: no space within {MAX_WORD_BYTES} bytes; a word "
                                            f"is at most {MAX_WORD_BYTES} bytes long")
            scanned = len(buf) - pos  # fill() moves the unread part to the front
            if not fill():
                raise truncated(i)
        words.append(_check_word(path, where, bytes(buf[start:space]), index, i))
        end = space + 1 + nbytes
        while len(buf) < end:
            end -= pos
            space -= pos
            if not fill():
                raise truncated(i)
        pending += buf[space + 1:end]
        pos = end
        if len(pending) >= flush:
            rows.extend(np.frombuffer(pending, dtype="<f4"))
            pending = bytearray()
    rows.extend(np.frombuffer(pending, dtype="<f4"))
    del pending
    rest = buf[pos:] + fin.read(_READ_CHUNK)
    offset += pos
    while rest:
        if rest.strip(_ASCII_SPACE):
            raise _word2vec_error(path, f"data after the {vocab_size} vectors declared in the header "
                                        f"(byte {offset})")
        offset += len(rest)
        rest = fin.read(_READ_CHUNK)
    _check_finite(path, rows.result(), words, lambda j: f"vector {j + 1} of {vocab_size}")
    return words


class KeyedGaussianMixtures:
    """Vocabulary of words, each a Gaussian mixture, with similarity queries.

    Word ``w`` has the density ``f_w(x) = sum_k p[w, k] N(x; mu[w, k],
    Sigma[w, k])`` (Athiwaratkun & Wilson 2017, eq. 1) with
    ``p[w] = softmax(logits[w])`` and ``Sigma[w, k] = diag(exp(log_variances[w, k]))``.

    Parameters
    ----------
    index_to_key : sequence of str or w2gm._vocab.WordTable
        The ``V`` vocabulary words; position ``i`` names row ``i`` of every
        array.  A :class:`~w2gm._vocab.WordTable` (as built by
        :meth:`w2gm.Word2GM.build_vocab`) is used as is, without a ``str``
        object per word.
    means : numpy.ndarray
        ``(V, K, D)`` float32, component means ``mu[w, k]``.
    log_variances : numpy.ndarray
        ``(V, K, 1)`` (spherical covariance) or ``(V, K, D)`` (diagonal
        covariance) float32, logarithm of the variances.
    logits : numpy.ndarray
        ``(V, K)`` float32, unnormalised mixture logits ``s[w, k]``.
    counts : numpy.ndarray, optional
        ``(V,)`` integer corpus counts, stored as int64.

    Raises
    ------
    TypeError
        If a vocabulary entry is not a ``str``.
    w2gm.exceptions.ParameterError
        (a ``ValueError``) On duplicate words, if an array has a non-floating
        dtype (integer dtype for `counts`), or if the shapes are
        inconsistent; the message names the array and its shape.

    Notes
    -----
    Float32, C-contiguous arrays are stored by reference, so in-place updates
    made by a trainer are visible here; other floating inputs are converted
    to a float32 copy.  Searches cache the unit-normalised means: call
    :meth:`clear_cache` after modifying ``means`` in place.
    """

    def __init__(self, index_to_key, means, log_variances, logits, counts=None):
        table = _word_table(index_to_key)
        vocab_size = len(table)

        means = _as_float32_array("means", means, "(V, K, D)")
        if means.ndim != 3 or means.shape[0] != vocab_size or 0 in means.shape[1:]:
            raise ParameterError(
                f"means has shape {means.shape}, expected (V, K, D) with V={vocab_size} "
                f"(the number of words) and K, D >= 1"
            )
        _, num_mixtures, vector_size = means.shape

        log_variances = _as_float32_array("log_variances", log_variances, "(V, K, 1) or (V, K, D)")
        allowed = {(vocab_size, num_mixtures, 1), (vocab_size, num_mixtures, vector_size)}
        if log_variances.shape not in allowed:
            raise ParameterError(
                f"log_variances has shape {log_variances.shape}, expected (V, K, 1) = "
                f"{(vocab_size, num_mixtures, 1)} or (V, K, D) = {(vocab_size, num_mixtures, vector_size)}"
            )

        logits = _as_float32_array("logits", logits, "(V, K)")
        if logits.shape != (vocab_size, num_mixtures):
            raise ParameterError(
                f"logits has shape {logits.shape}, expected (V, K) = {(vocab_size, num_mixtures)}"
            )

        self._table = table
        self._index_to_key = None
        self._key_to_index = None
        self._means = means
        self._log_variances = log_variances
        self._logits = logits
        self.counts = None if counts is None else _int64_counts(counts, vocab_size)
        self._unit_means = None

    # ------------------------------------------------------------------ arrays

    @property
    def means(self):
        """numpy.ndarray: ``(V, K, D)`` float32 component means (the stored array, not a copy)."""
        return self._means

    @property
    def log_variances(self):
        """numpy.ndarray: ``(V, K, 1)`` or ``(V, K, D)`` float32 log-variances (the stored array)."""
        return self._log_variances

    @property
    def logits(self):
        """numpy.ndarray: ``(V, K)`` float32 mixture logits (the stored array)."""
        return self._logits

    @property
    def variances(self):
        """numpy.ndarray: ``exp(log_variances)``, float32, same shape as :attr:`log_variances` (new array)."""
        return np.exp(self._log_variances)

    @property
    def mixture_weights(self):
        """numpy.ndarray: ``(V, K)`` float32 mixture weights ``softmax(logits)`` (new array).

        Computed in float64 after subtracting each row's maximum, so large
        logits do not overflow; every row sums to 1.
        """
        return mixture_weights(self._logits)

    @property
    def vector_size(self):
        """int: dimensionality ``D`` of the embedding space."""
        return self._means.shape[2]

    @property
    def num_mixtures(self):
        """int: number of mixture components ``K`` per word."""
        return self._means.shape[1]

    @property
    def covariance(self):
        """str: ``"spherical"`` (one variance per component, also when ``D == 1``) or ``"diagonal"``."""
        return "spherical" if self._log_variances.shape[2] == 1 else "diagonal"

    def clear_cache(self):
        """Drop cached derived data (the unit-normalised means).

        Call this after updating :attr:`means` in place (the trainer does so
        at the end of training); the next similarity search recomputes it.
        """
        self._unit_means = None

    def _get_unit_means(self):
        """``(V * K, D)`` float32 unit-normalised means, row ``w * K + k`` for ``mu[w, k]``."""
        if self._unit_means is None:
            vocab_size, num_mixtures, vector_size = self._means.shape
            flat = self._means.reshape(vocab_size * num_mixtures, vector_size)
            self._unit_means = unit_vectors(flat)
        return self._unit_means

    # -------------------------------------------------------------- vocabulary

    @property
    def index_to_key(self):
        """list of str: the ``V`` words in row order (most frequent first after training).

        Built from the compact vocabulary table on first access and cached;
        training and lookups do not need it.
        """
        if self._index_to_key is None:
            self._index_to_key = self._table.words()
        return self._index_to_key

    @property
    def key_to_index(self):
        """dict: word -> row index, built on first access and cached (as in gensim).

        Membership tests and :meth:`get_index` use the compact vocabulary
        table and do not build it.
        """
        if self._key_to_index is None:
            self._key_to_index = {word: i for i, word in enumerate(self.index_to_key)}
        return self._key_to_index

    @property
    def vocabulary_table(self):
        """w2gm._vocab.WordTable: the compact word -> index table (no ``str`` per word)."""
        return self._table

    def __len__(self):
        """Number of words ``V``."""
        return len(self._table)

    def __iter__(self):
        """Iterate over the words in index order."""
        return iter(self.index_to_key)

    def __contains__(self, word):
        """Whether `word` is in the vocabulary."""
        return word in self._table

    def get_index(self, word):
        """Row index of `word`.

        Parameters
        ----------
        word : str
            A vocabulary word.

        Returns
        -------
        int
            Position of `word` in :attr:`index_to_key`.

        Raises
        ------
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If `word` is not in the vocabulary (the message
            names it).
        """
        index = self._table.index(word) if isinstance(word, str) else -1
        if index < 0:
            raise WordNotInVocabularyError(f"word {word!r} not in vocabulary")
        return index

    def __getitem__(self, word):
        """Mixture parameters of `word`.

        Parameters
        ----------
        word : str
            A vocabulary word.

        Returns
        -------
        GaussianMixture
            Named tuple ``(means (K, D), variances (K, 1) or (K, D),
            weights (K,))``, all float32 copies.

        Raises
        ------
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If `word` is not in the vocabulary.
        """
        i = self.get_index(word)
        return GaussianMixture(
            means=self._means[i].copy(),
            variances=np.exp(self._log_variances[i]),
            weights=mixture_weights(self._logits[i]),
        )

    def __repr__(self):
        return (
            f"{type(self).__name__}(vocab_size={len(self)}, num_mixtures={self.num_mixtures}, "
            f"vector_size={self.vector_size}, covariance={self.covariance!r})"
        )

    # ---------------------------------------------------------------- checks

    def _check_component(self, component):
        k = self.num_mixtures
        valid = (
            isinstance(component, numbers.Integral)
            and not isinstance(component, (bool, np.bool_))
            and 0 <= component < k
        )
        if not valid:
            raise ComponentIndexError(
                f"component {component!r} is out of range: valid components are the integers "
                f"0 to {k - 1} (K={k})"
            )
        return int(component)

    @staticmethod
    def _check_topn(topn):
        if (
            not isinstance(topn, numbers.Integral)
            or isinstance(topn, (bool, np.bool_))
            or topn < 1
        ):
            raise ParameterError(f"topn must be a positive integer, got {topn!r}")
        return int(topn)

    # ------------------------------------------------------------ similarity

    def _log_weights(self, rows):
        """``(n, K)`` float64 log mixture weights of the words at `rows`."""
        return log_mixture_weights(self._logits[rows])

    def _scores_against_vocabulary(self, metric, index, component):
        """Similarity of word `index` (or one of its components) to every word.

        Returns ``(V,)`` word scores when `component` is None, else ``(V * K,)``
        component scores (row ``w * K + c``), float64, computed in chunks of at
        most :data:`_CHUNK_WORDS` words.
        """
        vocab_size, k, d = self._means.shape
        if component is None:
            qm = self._means[index:index + 1]
            ql = self._log_variances[index:index + 1]
            qw = self._log_weights(slice(index, index + 1))
            out = np.empty(vocab_size, dtype=np.float64)
        else:
            qm = self._means[index:index + 1, component:component + 1]
            ql = self._log_variances[index:index + 1, component:component + 1]
            out = np.empty(vocab_size * k, dtype=np.float64)
        step = _chunk_size(qm.shape[1], k, d)
        for start in range(0, vocab_size, step):
            stop = min(start + step, vocab_size)
            comp = component_scores(
                metric, qm, ql, self._means[start:stop], self._log_variances[start:stop]
            )
            if component is None:
                out[start:stop] = combine_components(metric, comp, qw, self._log_weights(slice(start, stop)))
            else:
                out[start * k:stop * k] = comp.reshape(-1)
        return out

    def most_similar(self, word, component=None, topn=10, metric="max_cos"):
        """Nearest neighbours of a word, or of one of its mixture components.

        Parameters
        ----------
        word : str
            Query word.
        component : int, optional
            If given, compare the single Gaussian ``N(mu[word, component],
            Sigma[word, component])`` with every component of every *other*
            word (all components of `word` itself are excluded), scoring each
            candidate component by the single-Gaussian version of `metric`:
            cosine of the means for ``"max_cos"`` and ``"avg_cos"``, negated
            Euclidean distance of the means for ``"min_euclidean"``, the
            partial log energy ``log N(0; mu_q - mu_c, Sigma_q + Sigma_c)``
            for ``"expected_likelihood"`` (mixture weights play no role) and
            ``-KL(query component || candidate component)`` for ``"neg_kl"``.
            If None, rank the other words by ``similarity(word, other, metric)``.
        topn : int, optional
            Number of results (fewer if the vocabulary is smaller).
        metric : str, optional
            Similarity measure, one of :data:`SIMILARITY_METRICS` (see
            :meth:`similarity`); default ``"max_cos"``, the maximum cosine
            similarity over component pairs (Athiwaratkun & Wilson 2017,
            Section 4.1.2).

        Returns
        -------
        list of tuple
            With `component`: ``(word, component, score)`` triples; without:
            ``(word, score)`` pairs.  Sorted by decreasing similarity, scores
            are Python floats (cosines lie in ``[-1, 1]``; zero-length means
            have cosine 0 with everything).

        Raises
        ------
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If `word` is not in the vocabulary.
        w2gm.exceptions.ComponentIndexError
            (an ``IndexError``) If `component` is not an integer in
            ``0 .. K-1``.
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If `topn` is not a positive integer or `metric`
            is unknown.

        Notes
        -----
        ``"max_cos"`` is one matrix product against the cached ``(V * K, D)``
        unit-normalised means (float32) plus ``np.argpartition``; call
        :meth:`clear_cache` after changing :attr:`means` in place.  The other
        metrics are computed in float64 with NumPy broadcasting, in chunks of
        at most 4096 words so that temporaries stay below about 32 MiB; the
        scores equal :meth:`similarity` up to rounding.  Among equal scores
        the order follows the vocabulary index; which of several tied
        candidates make the cut-off at `topn` is unspecified.
        """
        topn = self._check_topn(topn)
        index = self.get_index(word)
        if component is not None:
            component = self._check_component(component)
        metric = check_metric(metric)
        k = self.num_mixtures
        own = slice(index * k, (index + 1) * k)

        if metric == "max_cos":
            unit = self._get_unit_means()
            if component is not None:
                scores = unit @ unit[index * k + component]  # (V*K,)
            else:
                # (V*K, K) cosines against the query's components -> (V,) max per word
                scores = (unit @ unit[own].T).reshape(len(self), k * k).max(axis=1)
        else:
            scores = self._scores_against_vocabulary(metric, index, component)

        if component is not None:
            scores[own] = -np.inf
            n = min(topn, scores.shape[0] - k)
            best = _top_indices(scores, n)
            words, comps = np.divmod(best, k)
            return [
                (self._table.word(w), int(c), float(s))
                for w, c, s in zip(words.tolist(), comps.tolist(), scores[best].tolist())
            ]

        scores[index] = -np.inf
        n = min(topn, len(self) - 1)
        best = _top_indices(scores, n)
        return [
            (self._table.word(w), float(s))
            for w, s in zip(best.tolist(), scores[best].tolist())
        ]

    def similarity(self, w1, w2, metric="max_cos"):
        """Similarity of the mixtures of two words.

        With ``f = sum_i p_i N(mu_1i, Sigma_1i)`` for `w1` and
        ``g = sum_j q_j N(mu_2j, Sigma_2j)`` for `w2` (Athiwaratkun & Wilson
        2017):

        * ``"max_cos"`` (default): ``max_ij cos(mu_1i, mu_2j)``, Section 4.1.2;
          in ``[-1, 1]``, symmetric.
        * ``"avg_cos"``: ``sum_ij p_i q_j cos(mu_1i, mu_2j)`` ("AvgSim",
          Section 4.4); in ``[-1, 1]``, symmetric.
        * ``"expected_likelihood"``: the log expected likelihood kernel
          ``log E(f, g) = log sum_ij p_i q_j N(0; mu_1i - mu_2j, Sigma_1i +
          Sigma_2j)`` (eqs. 2-3, Sections 3.4 and 4.1.1), a true log density
          including the ``-D/2 log(2 pi)`` constant, symmetric.  No epsilon is
          added to the summed variances: training adds ``eps`` (1e-4) for
          numerical safety, but the query evaluates the exact kernel.
        * ``"min_euclidean"``: ``-min_ij ||mu_1i - mu_2j||`` (Section 4.1.3),
          negated so that larger means more similar; ``<= 0``, symmetric.
        * ``"neg_kl"``: ``-min_ij KL(N(mu_1i, Sigma_1i) || N(mu_2j, Sigma_2j))``
          (Section 4.6) with the closed form for diagonal Gaussians,
          ``KL = 1/2 sum_r [s1_r/s2_r + (m2_r - m1_r)^2/s2_r - 1 + log s2_r
          - log s1_r]``; ``<= 0`` and **asymmetric**: for entailment
          ``w1 |= w2`` pass the hyponym first (``-KL(hyponym || hypernym)``
          is large when the hyponym's distribution lies inside the broader
          hypernym's).

        Spherical log-variances ``(V, K, 1)`` stand for ``sigma^2 I`` in all
        ``D`` dimensions.

        Parameters
        ----------
        w1, w2 : str
            Vocabulary words.
        metric : str, optional
            One of :data:`SIMILARITY_METRICS`.

        Returns
        -------
        float
            Computed in float64 from the current parameters (not from the
            cache).  Zero-length means have cosine 0.

        Raises
        ------
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If either word is not in the vocabulary.
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If `metric` is unknown (the message lists the
            valid ones).
        """
        i1 = self.get_index(w1)
        i2 = self.get_index(w2)
        metric = check_metric(metric)
        if metric == "max_cos":
            a = unit_vectors(self._means[i1].astype(np.float64))
            b = unit_vectors(self._means[i2].astype(np.float64))
            return float((a @ b.T).max())
        return float(self.score_pairs([i1], [i2], metric=metric)[0])

    def score_pairs(self, index1, index2, metric="max_cos"):
        """Similarities of many word pairs at once, given by row indices.

        Vectorised form of :meth:`similarity`: entry ``t`` is
        ``similarity(index_to_key[index1[t]], index_to_key[index2[t]], metric)``
        (up to rounding), computed with NumPy broadcasting in chunks of at
        most 4096 pairs.

        Parameters
        ----------
        index1, index2 : array_like of int
            ``(N,)`` row indices into the vocabulary (e.g. from
            :attr:`key_to_index`).
        metric : str, optional
            One of :data:`SIMILARITY_METRICS`.

        Returns
        -------
        numpy.ndarray
            ``(N,)`` float64 similarities.

        Raises
        ------
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If `metric` is unknown, or the index arrays are
            not 1-d integer arrays of equal length.
        IndexError
            If an index is out of range (a plain ``IndexError``, as NumPy
            indexing raises).
        """
        metric = check_metric(metric)
        i1 = np.asarray(index1)
        i2 = np.asarray(index2)
        if i1.size == 0 and i2.size == 0:
            return np.empty(0, dtype=np.float64)
        if (
            i1.ndim != 1 or i2.ndim != 1 or i1.shape != i2.shape
            or not np.issubdtype(i1.dtype, np.integer) or not np.issubdtype(i2.dtype, np.integer)
        ):
            raise ParameterError(
                f"index1 and index2 must be 1-d integer arrays of equal length, got shapes "
                f"{i1.shape} ({i1.dtype}) and {i2.shape} ({i2.dtype})"
            )
        vocab_size, k, d = self._means.shape
        for arr in (i1, i2):
            if arr.size and (arr.min() < -vocab_size or arr.max() >= vocab_size):
                raise IndexError(f"word index out of range for a vocabulary of {vocab_size} words")
        out = np.empty(i1.shape[0], dtype=np.float64)
        step = _chunk_size(k, k, d)
        for start in range(0, i1.shape[0], step):
            a = i1[start:start + step]
            b = i2[start:start + step]
            comp = component_scores(
                metric, self._means[a], self._log_variances[a], self._means[b], self._log_variances[b]
            )
            out[start:start + step] = combine_components(
                metric, comp, self._log_weights(a), self._log_weights(b)
            )
        return out

    def evaluate_word_pairs(self, path, metric="max_cos", case_insensitive=True):
        """Correlation of model similarities with human ratings of word pairs.

        Delegates to :func:`w2gm.evaluation.word_pairs.evaluate_word_pairs`
        (see there for the file format and the result fields).

        Parameters
        ----------
        path : str or os.PathLike
            Word-pair file (``word1 word2 score`` per line), e.g.
            ``w2gm.evaluation.bundled_dataset_path("WS")``.
        metric : str, optional
            One of :data:`SIMILARITY_METRICS`.
        case_insensitive : bool, optional
            Compare dataset and vocabulary words lowercased.

        Returns
        -------
        w2gm.evaluation.WordPairsResult
            ``pearson``, ``spearman`` (each ``(statistic, p-value)``),
            ``oov_ratio`` (percent), ``n_pairs``, ``n_found``, ``n_malformed``.

        Raises
        ------
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If `metric` is unknown.
        w2gm.exceptions.DatasetFormatError
            (a ``ValueError``) If the file holds no valid pair, or is not
            UTF-8 text or corrupt (see :mod:`w2gm.evaluation.datasets`).
        """
        return _evaluate_word_pairs(self, path, metric=metric, case_insensitive=case_insensitive)

    # ------------------------------------------------------ word2vec format

    def save_word2vec_format(self, path, component, binary=False):
        """Write the means of one mixture component in word2vec format.

        The file holds a header line ``"V D"`` followed by one entry per word
        in :attr:`index_to_key` order: in text format ``word v1 ... vD``
        (float32-exact decimal), in binary format ``word``, a space, ``D``
        little-endian float32 values and a newline (as the original
        word2vec tool).  gensim's ``KeyedVectors.load_word2vec_format`` reads
        both.  Variances and mixture weights are not stored.

        The file is written atomically by :func:`w2gm.persistence.atomic_write`
        (temporary file, fsync, rename, directory fsync), so `path` either
        keeps its old content or holds the complete new file.  Compression
        follows the extension (e.g. ``.gz``, ``.bz2``) via ``smart_open``.

        Parameters
        ----------
        path : str or os.PathLike
            Local destination file.
        component : int
            Which component ``k`` (``0 .. K-1``) to write: ``means[:, k]``.
        binary : bool, optional
            Binary instead of text format.

        Raises
        ------
        w2gm.exceptions.ComponentIndexError
            (an ``IndexError``) If `component` is not an integer in
            ``0 .. K-1``.
        w2gm.exceptions.Word2VecFormatError
            (a ``ValueError``) Before anything is written, if a word is empty,
            contains whitespace (the format separates words from values by a
            space), cannot be encoded as UTF-8 (a lone surrogate) or is longer
            than :data:`MAX_WORD_BYTES` bytes, if the component's mean of a
            word holds NaN or infinity (the message names the word), or if
            the vector size is above :data:`MAX_VECTOR_SIZE`:
            :meth:`load_word2vec_format` would reject such a file.
        ValueError
            If `path` is a URL rather than a local path.
        FileNotFoundError
            If the directory of `path` does not exist (nothing is written).
        """
        component = self._check_component(component)
        path = local_path(path)
        if self.vector_size > MAX_VECTOR_SIZE:
            raise Word2VecFormatError(
                f"vector size {self.vector_size} is above the maximum of {MAX_VECTOR_SIZE} that "
                f"load_word2vec_format reads"
            )
        encoded = [_encode_word(word) for word in self.index_to_key]
        vectors = self._means[:, component]
        finite = np.isfinite(vectors).all(axis=1)
        if not finite.all():
            word = self._table.word(int(np.argmin(finite)))
            raise Word2VecFormatError(
                f"the mean of word {word!r} (component {component}) holds a NaN or infinite value, "
                f"which cannot be written in word2vec format"
            )

        with atomic_write(path) as tmp_path, smart_open.open(tmp_path, "wb") as fout:
            fout.write(f"{len(self)} {self.vector_size}\n".encode("utf-8"))
            if binary:
                for word, vec in zip(encoded, vectors):
                    fout.write(word + b" " + vec.astype("<f4").tobytes() + b"\n")
            else:
                row_format = " ".join(["%.9g"] * self.vector_size)
                for word, vec in zip(encoded, vectors.tolist()):
                    fout.write(word + b" " + (row_format % tuple(vec)).encode("ascii") + b"\n")

    @classmethod
    def load_word2vec_format(cls, paths, binary=False):
        """Rebuild a mixture object from one word2vec file per component.

        File ``paths[k]`` supplies the means of component ``k`` (as written
        by :meth:`save_word2vec_format`).  The word2vec format holds means
        only, so the result has ``log_variances`` all zero (unit spherical
        variances, shape ``(V, K, 1)``) and ``logits`` all zero (equal mixture
        weights ``1/K``); use the model's own save/load to keep variances
        and weights.

        Parameters
        ----------
        paths : sequence of str or os.PathLike
            ``K >= 1`` files, for components ``0 .. K-1``; ``.gz`` etc. are
            decompressed via ``smart_open``.
        binary : bool, optional
            Whether the files are in binary word2vec format.

        Returns
        -------
        KeyedGaussianMixtures
            With ``means`` of shape ``(V, K, D)`` float32.

        Raises
        ------
        TypeError
            If `paths` is a single path rather than a sequence of paths.
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If `paths` is empty.
        w2gm.exceptions.Word2VecFormatError
            (a ``ValueError``) If a file breaks the format described in the
            Notes (bad header, truncated, corrupt compressed data, a bad,
            duplicate or non-UTF-8 word, a value that is not a finite number,
            data after the declared vectors, ...), the files differ in vector
            size, or their word lists differ.  The message names the file and
            the line (text) or vector (binary) where there is one; for
            mismatched files, the first mismatching position and words.
        OSError
            If a file cannot be opened or read (e.g. ``FileNotFoundError``).

        Notes
        -----
        Every file is treated as untrusted and read strictly; what is
        accepted:

        * **Header** (both formats): the first line is ``V D``, two decimal
          integers (ASCII digits) separated by spaces or tabs, with optional
          surrounding spaces/tabs and ``\\r``, at most
          :data:`MAX_HEADER_BYTES` bytes; ``0 <= V <= MAX_VOCAB_SIZE`` and
          ``1 <= D <=`` :data:`MAX_VECTOR_SIZE`.  Nothing is allocated from
          the header alone: for an uncompressed local file the declared size
          is first checked against the file's size, otherwise the arrays
          grow with the data actually read, so a lying header costs no
          memory.  All headers are checked (including equal ``D``) before
          any file's body is read.
        * **Text**: exactly ``V`` lines ``word v1 ... vD`` follow, fields
          separated by ASCII whitespace (leading and trailing whitespace,
          ``\\r\\n`` line ends and a missing final newline are fine); each
          value is a decimal number such as printf's ``%f``/``%e``/``%g`` or
          Python's ``repr`` writes (no ``nan``/``inf``, hexadecimal or ``_``)
          whose float32 value is finite.  A line holds at most
          ``MAX_WORD_BYTES + 64 * D + 2`` bytes.  A blank line among the
          vectors is an error; after the last vector only whitespace (blank
          lines) may follow.
        * **Binary**: ``V`` entries ``word``, a space, ``D`` little-endian
          float32, each entry optionally preceded by one ``\\n`` (word2vec.c
          writes one after every vector); after the last one only ASCII
          whitespace may follow.  The values must be finite.  Reading is
          linear in the file size.
        * **Words** (both formats): non-empty, valid UTF-8, at most
          :data:`MAX_WORD_BYTES` bytes, without any (Unicode) whitespace, and
          distinct within a file.
        * **Compression** follows the extension (``.gz``, ``.bz2``, ``.xz``,
          ... via ``smart_open``); truncated or corrupt compressed data is a
          :class:`~w2gm.exceptions.Word2VecFormatError`; so is anything but
          zero bytes after the last complete gzip member or bz2/xz stream
          (see :func:`w2gm.corpora.open_untrusted`).
        """
        if isinstance(paths, (str, bytes, os.PathLike)):
            raise TypeError(
                f"paths must be a sequence of files, one per component, got the single path {paths!r}; "
                f"use [{paths!r}] for a one-component mixture"
            )
        paths = list(paths)
        if not paths:
            raise ParameterError("paths is empty: need one word2vec file per mixture component")

        # every header first: a bad or mismatched one is reported before any body is read
        vector_size = None
        for k, path in enumerate(paths):
            size = _read_word2vec_header(path)[1]
            if vector_size is None:
                vector_size = size
            elif size != vector_size:
                raise Word2VecFormatError(
                    f"{path} (component {k}) has vector size {size}, "
                    f"but {paths[0]} (component 0) has {vector_size}"
                )

        words, first = _read_word2vec_file(paths[0], binary)
        vocab_size = first.shape[0]
        means = np.empty((vocab_size, len(paths), vector_size), dtype=np.float32)
        means[:, 0] = first
        del first
        for k, path in enumerate(paths[1:], start=1):
            other_words, vectors = _read_word2vec_file(path, binary)
            _check_same_words(words, paths[0], other_words, path, k)
            means[:, k] = vectors

        num_mixtures = len(paths)
        return cls(
            words,
            means,
            np.zeros((vocab_size, num_mixtures, 1), dtype=np.float32),
            np.zeros((vocab_size, num_mixtures), dtype=np.float32),
        )
