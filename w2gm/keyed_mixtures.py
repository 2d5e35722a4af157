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

It also offers gensim 4's ``KeyedVectors`` surface, so that code written for
``model.wv`` of a gensim ``Word2Vec`` works on mixtures.  Decisions:

* Each word has a derived **point vector**, :attr:`KeyedGaussianMixtures.vectors`
  ``(V, D)``: the mixture-weighted mean ``sum_k p[w, k] mu[w, k]`` (cached,
  read-only).  ``wv[word]`` / ``wv[words]``, :meth:`~KeyedGaussianMixtures.get_vector`,
  :meth:`~KeyedGaussianMixtures.get_normed_vectors`,
  :meth:`~KeyedGaussianMixtures.get_mean_vector`,
  :meth:`~KeyedGaussianMixtures.n_similarity`,
  :meth:`~KeyedGaussianMixtures.doesnt_match`, the word2vec export without a
  component and :meth:`~KeyedGaussianMixtures.to_keyed_vectors` use it.  The
  mixture itself is :meth:`~KeyedGaussianMixtures.get_mixture`.
* Word-to-word measures keep the paper's mixture similarity, ``max_cos`` by
  default: :meth:`~KeyedGaussianMixtures.similarity`, one-word
  :meth:`~KeyedGaussianMixtures.most_similar`, ``distance = 1 - similarity``,
  :meth:`~KeyedGaussianMixtures.distances`,
  :meth:`~KeyedGaussianMixtures.closer_than`,
  :meth:`~KeyedGaussianMixtures.rank`,
  :meth:`~KeyedGaussianMixtures.most_similar_to_given`.
* Vector arithmetic (``most_similar(positive=[...], negative=[...])``,
  :meth:`~KeyedGaussianMixtures.most_similar_cosmul`,
  :meth:`~KeyedGaussianMixtures.similar_by_vector`, analogies) takes
  ``mixture="point"`` (default: gensim's arithmetic on the point vectors) or
  ``mixture="best_component"`` (the best combination of the query words'
  components); see :meth:`KeyedGaussianMixtures.most_similar`.
* ``wmdistance`` is absent (it needs the POT package): it raises
  ``NotImplementedError`` pointing at ``to_keyed_vectors``.

Similarities of many pairs at once: :meth:`KeyedGaussianMixtures.score_pairs`;
correlation with human ratings of a word-pair file:
:meth:`KeyedGaussianMixtures.evaluate_word_pairs` (gensim's result) and
:meth:`KeyedGaussianMixtures.evaluate_word_pairs_detailed`, which delegate to
:mod:`w2gm.evaluation.word_pairs`; word analogies:
:meth:`KeyedGaussianMixtures.evaluate_word_analogies`
(:mod:`w2gm.evaluation.analogies`); the other evaluation tasks are in
:mod:`w2gm.evaluation`.

Senses (the components as meanings): :meth:`KeyedGaussianMixtures.disambiguate`,
:meth:`KeyedGaussianMixtures.sense_tags`, :meth:`KeyedGaussianMixtures.senses`,
:meth:`KeyedGaussianMixtures.component_similarities`,
:meth:`KeyedGaussianMixtures.entailment_score`,
:meth:`KeyedGaussianMixtures.most_general` and
:meth:`KeyedGaussianMixtures.most_specific` delegate to :mod:`w2gm.senses`.

The arrays are kept by reference (no copy) when they are already float32 and
C-contiguous, so a trainer can update them in place and the query object sees
the updates.  Searches cache the unit-normalised means and the point vectors;
call :meth:`KeyedGaussianMixtures.clear_cache` after modifying ``means`` or
``logits`` in place.

Files: :meth:`KeyedGaussianMixtures.save` / :meth:`KeyedGaussianMixtures.load`
keep everything (a pickle-free ``.npz`` of the model file's format, with its
own format name); :meth:`KeyedGaussianMixtures.save_word2vec_format` writes
the point vectors or one component's means in the plain word2vec text or
binary format (variances and mixture weights are not representable there),
and :meth:`KeyedGaussianMixtures.load_word2vec_format` rebuilds mixtures from
one such file per component.
"""

import contextlib
import logging
import math
import numbers
import os
import re
import stat
from typing import NamedTuple, Optional

import numpy as np
import smart_open
import smart_open.compression

from w2gm import senses as _senses
from w2gm._vocab import WordTable
from w2gm.corpora import is_corrupt_data_error, is_utf8_encodable, open_untrusted
from w2gm.evaluation import analogies as _analogies
from w2gm.evaluation import word_pairs as _word_pairs
from w2gm.exceptions import (
    ComponentIndexError,
    ParameterError,
    Word2VecFormatError,
    WordNotInVocabularyError,
)
from w2gm.persistence import (
    KEYED_MIXTURES_FORMAT,
    MAX_EXPANSION,
    atomic_write,
    check_compression_available,
    check_writable_target,
    local_path,
    open_model_file,
    write_model_file,
)
from w2gm.settings import real_as_float
from w2gm.similarity import (
    MIXTURE_MODES,
    SIMILARITY_METRICS,
    best_cosines,
    check_metric,
    check_mixture,
    combination_targets,
    combine_components,
    component_scores,
    cosmul_scores,
    log_mixture_weights,
    mixture_weights,
    unit_targets,
    unit_vectors,
)

__all__ = ["GaussianMixture", "KeyedGaussianMixtures", "MAX_COMBINATIONS", "MIXTURE_MODES",
           "SIMILARITY_METRICS"]

logger = logging.getLogger(__name__)

_WHITESPACE = re.compile(r"\s")


class GaussianMixture(NamedTuple):
    """Parameters of one word's Gaussian mixture, as returned by ``kv.get_mixture(word)``.

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
        # A copy: in-place updates of the caller's array will not be seen.  A value beyond float32
        # becomes inf, which the constructor then refuses by name (no numpy overflow warning).
        with np.errstate(over="ignore"):
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
    if counts.size and counts.min() < 0:
        raise ParameterError(f"counts must be >= 0, got {counts.min()} for word number "
                             f"{int(counts.argmin())}")
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


#: Most combinations of components a ``mixture="best_component"`` query may need (``K**n`` for
#: ``n`` query words).
MAX_COMBINATIONS = 4096


#: Largest magnitude of a query weight and of a query vector's values: weighted sums and squared
#: norms then stay far inside float32's range (for D up to 10,000).
MAX_QUERY_MAGNITUDE = 1e15
#: Smallest nonzero magnitude of a query weight and of a query vector's largest value: below it the
#: weighted sums and squared norms underflow (NaN or all-zero scores).
MIN_QUERY_MAGNITUDE = 1e-15


def _check_query_weight(weight, what):
    """`weight` as a float: 0 or a real number of magnitude in the query range; else ParameterError."""
    value = real_as_float(weight)
    if value is None or not (value == 0 or MIN_QUERY_MAGNITUDE <= abs(value) <= MAX_QUERY_MAGNITUDE):
        raise ParameterError(f"{what} must be 0 or a number of magnitude {MIN_QUERY_MAGNITUDE:g} to "
                             f"{MAX_QUERY_MAGNITUDE:g}, got {weight!r:.80}")
    return value


class _Term(NamedTuple):
    """One parsed query item: a word (row `index`) or a `vector`, with its `weight`."""

    index: Optional[int]
    vector: Optional[np.ndarray]
    weight: float


def _resolve_mixture(mixture, single_word):
    """The mixture mode of a query: as given, or by default by the query's kind (see most_similar)."""
    if mixture is None:
        return "best_component" if single_word else "point"
    return check_mixture(mixture)


def _sequence_argument(value, name):
    """A sequence argument (of words) as a list, a ``str`` as it is.

    ParameterError for None or what is not iterable.
    """
    if value is None:
        raise ParameterError(f"{name} must be a sequence, got None")
    if isinstance(value, str):
        return value  # the callers' reading of a str is unchanged
    try:
        return list(value)
    except TypeError:
        raise ParameterError(f"{name} must be a sequence, got {type(value).__name__} {value!r:.80}") from None


def _ensure_list(value, name):
    """gensim's reading of `positive` / `negative`: None, one item, a 2-d array's rows, or a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, np.ndarray):
        if value.ndim == 1:
            return [value]
        if value.ndim == 2:
            return list(value)
        raise ParameterError(f"{name} as an array must be 1-d (one vector) or 2-d (one vector a row), "
                             f"got shape {value.shape}")
    try:
        return list(value)
    except TypeError:
        raise ParameterError(
            f"{name} must be a word, a vector, or a list of words, vectors or (key, weight) pairs; "
            f"got {value!r}"
        ) from None


# Upper bound on the elements of the (n, Ka, Kb, D) float64 temporaries of a chunk (32 MiB).
_CHUNK_ELEMENTS = 1 << 22
# At most this many words per chunk in vocabulary-wide searches.
_CHUNK_WORDS = 4096


def _chunk_size(ka, kb, d):
    """Words per chunk so that an ``(n, ka, kb, d)`` float64 temporary stays bounded."""
    return max(1, min(_CHUNK_WORDS, _CHUNK_ELEMENTS // max(1, ka * kb * d)))


def _short_repr(value, limit=80):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


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
    with open_untrusted(path, nonregular_error=Word2VecFormatError) as fin, \
            _corrupt_data_is_format_error(path):
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
    with open_untrusted(path, nonregular_error=Word2VecFormatError) as fin, \
            _corrupt_data_is_format_error(path):
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
        dtype (integer dtype for `counts`), if the shapes are inconsistent
        (the message names the array and its shape), if an array holds NaN
        or an infinite value (after the conversion to float32: ``1e39``
        overflows), or if a count is negative.

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

        for name, array in (("means", means), ("log_variances", log_variances), ("logits", logits)):
            if not np.isfinite(array).all():
                raise ParameterError(f"{name} holds NaN or infinite values (in float32); a model with them "
                                     f"cannot be queried")
        self._table = table
        self._index_to_key = None
        self._key_to_index = None
        self._means = means
        self._log_variances = log_variances
        self._logits = logits
        self.counts = None if counts is None else _int64_counts(counts, vocab_size)
        self._unit_means = None
        self._vectors = None
        self._norms = None
        self._unit_vectors = None

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
        """Drop cached derived data: unit-normalised means, point vectors and their norms.

        Call this after updating :attr:`means` or :attr:`logits` in place (the
        trainer does so at the end of training); the next query recomputes
        what it needs.  Arrays handed out before (e.g. :attr:`vectors`) keep
        their old values.
        """
        self._unit_means = None
        self._vectors = None
        self._norms = None
        self._unit_vectors = None

    def _get_unit_means(self):
        """``(V * K, D)`` float32 unit-normalised means, row ``w * K + k`` for ``mu[w, k]``."""
        if self._unit_means is None:
            vocab_size, num_mixtures, vector_size = self._means.shape
            flat = self._means.reshape(vocab_size * num_mixtures, vector_size)
            self._unit_means = unit_vectors(flat)
        return self._unit_means

    # ---------------------------------------------------------- point vectors

    @property
    def vectors(self):
        """numpy.ndarray: ``(V, D)`` float32 point vectors, one per word (derived, read-only).

        Row ``w`` is the mixture's mean ``sum_k p[w, k] mu[w, k]`` (the
        mixture-weighted mean of the component means, ``p = softmax(logits)``),
        computed in float64 and rounded to float32; for ``K = 1`` it is the one
        mean exactly.  This is what gensim-style code expects of
        ``wv.vectors``: the point-vector queries (``mixture="point"``,
        :meth:`get_mean_vector`, :meth:`n_similarity`, :meth:`doesnt_match`,
        :meth:`save_word2vec_format` without a component,
        :meth:`to_keyed_vectors`) use it.

        Computed on first access and cached as a read-only array (assigning to
        it raises ``ValueError``); :meth:`clear_cache` drops it, so that the
        next access sees in-place changes of :attr:`means` or :attr:`logits`
        (training calls it at its end).  Assigning ``wv.vectors = ...`` is
        not supported: change :attr:`means` instead.
        """
        if self._vectors is None:
            vocab_size, k, d = self._means.shape
            out = np.empty((vocab_size, d), dtype=np.float32)
            step = max(1, _CHUNK_ELEMENTS // max(1, k * d))
            for start in range(0, vocab_size, step):
                stop = min(start + step, vocab_size)
                weights = np.exp(log_mixture_weights(self._logits[start:stop]))
                out[start:stop] = np.einsum("vk,vkd->vd", weights, self._means[start:stop].astype(np.float64))
            out.setflags(write=False)
            self._vectors = out
        return self._vectors

    @property
    def norms(self):
        """numpy.ndarray: ``(V,)`` float32 Euclidean norms of :attr:`vectors` (derived, read-only, cached)."""
        if self._norms is None:
            norms = np.linalg.norm(self.vectors, axis=1)
            norms.setflags(write=False)
            self._norms = norms
        return self._norms

    def fill_norms(self, force=False):
        """Compute :attr:`norms` now (gensim's name; they are otherwise computed on first use).

        Parameters
        ----------
        force : bool, optional
            Recompute the point vectors and norms even if cached.
        """
        if force:
            self.clear_cache()
        self.norms  # noqa: B018 -- computes and caches

    def get_normed_vectors(self):
        """Point vectors scaled to unit length.

        Returns
        -------
        numpy.ndarray
            ``(V, D)`` float32, :attr:`vectors` divided row by row by
            :attr:`norms` (a zero vector stays zero, where gensim would give
            NaN); read-only and cached like :attr:`vectors`.
        """
        if self._unit_vectors is None:
            vectors, norms = self.vectors, self.norms
            unit = np.zeros_like(vectors)
            np.divide(vectors, norms[:, None], out=unit, where=norms[:, None] > 0)
            unit.setflags(write=False)
            self._unit_vectors = unit
        return self._unit_vectors

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
        """Whether `word` (a ``str``) is in the vocabulary; anything else is not."""
        return word in self._table

    def has_index_for(self, key):
        """Whether `key` is a vocabulary word (gensim's name; the same as ``key in wv``).

        Decision: keys are words (``str``).  Unlike gensim, an integer is
        never taken as a row index; use ``index_to_key[i]``.
        """
        return key in self._table

    def get_index(self, key, default=None):
        """Row index of a word.

        Parameters
        ----------
        key : str
            A vocabulary word.
        default : int, optional
            Returned when `key` is not in the vocabulary (as in gensim, a
            default of None means: raise).

        Returns
        -------
        int
            Position of `key` in :attr:`index_to_key`, or `default`.

        Raises
        ------
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If `key` is not in the vocabulary and `default`
            is None (the message names it).
        """
        index = self._table.index(key) if isinstance(key, str) else -1
        if index >= 0:
            return index
        if default is not None:
            return default
        raise WordNotInVocabularyError(f"word {key!r} not in vocabulary")

    def get_vector(self, key, norm=False, component=None):
        """The vector of one word: its point vector, or one component's mean.

        Parameters
        ----------
        key : str
            A vocabulary word.
        norm : bool, optional
            Scale the vector to unit length (a zero vector stays zero).
        component : int, optional
            If given, the mean ``mu[key, component]`` of that mixture
            component instead of the point vector.

        Returns
        -------
        numpy.ndarray
            ``(D,)`` float32.  The point vector (row of :attr:`vectors`) is a
            read-only view, as in gensim; a component's mean is a copy.

        Raises
        ------
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If `key` is not in the vocabulary.
        w2gm.exceptions.ComponentIndexError
            (an ``IndexError``) If `component` is not an integer in ``0 .. K-1``.
        """
        index = self.get_index(key)
        if component is None:
            return self.get_normed_vectors()[index] if norm else self.vectors[index]
        component = self._check_component(component)
        vec = self._means[index, component].copy()
        if norm:
            vec = unit_vectors(vec)
        return vec

    def __getitem__(self, key_or_keys):
        """Point vector(s) of one word or of a list of words, as gensim's ``wv[...]``.

        Parameters
        ----------
        key_or_keys : str or sequence of str
            A word, or a list (tuple, array) of words.

        Returns
        -------
        numpy.ndarray
            ``(D,)`` float32 for one word (see :meth:`get_vector`), ``(n, D)``
            for ``n`` words (``(0, D)`` for none).  The mixture's parameters
            are :meth:`get_mixture`.

        Raises
        ------
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If a word is not in the vocabulary.
        """
        if isinstance(key_or_keys, np.ndarray) and key_or_keys.ndim == 0:
            key_or_keys = key_or_keys.item()  # a 0-d array holds one key
        if isinstance(key_or_keys, (list, tuple, np.ndarray)):
            rows = [self.get_index(key) for key in key_or_keys]
            return self.vectors[np.asarray(rows, dtype=np.intp)]
        return self.get_vector(key_or_keys)

    def get_mixture(self, word):
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

    @property
    def expandos(self):
        """dict: per-word attributes, gensim's name: ``{"count": counts}`` if counts are known, else empty."""
        return {} if self.counts is None else {"count": self.counts}

    def get_vecattr(self, key, attr):
        """A per-word attribute (gensim's name); the only one is ``"count"``.

        Parameters
        ----------
        key : str
            A vocabulary word.
        attr : str
            ``"count"``: the word's corpus frequency.

        Returns
        -------
        int

        Raises
        ------
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If `key` is not in the vocabulary.
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If `attr` is not an attribute these mixtures
            have (``"count"`` only exists when counts were given).
        """
        index = self.get_index(key)
        if not isinstance(attr, str) or attr not in self.expandos:
            raise ParameterError(
                f"no per-word attribute {attr!r}; these mixtures have "
                + (", ".join(repr(a) for a in self.expandos) or "none (no counts were given)")
            )
        return int(self.expandos[attr][index])

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
        """`topn` as None (every score) or an int >= 0; ParameterError otherwise."""
        if topn is None:
            return None
        if (
            not isinstance(topn, numbers.Integral)
            or isinstance(topn, (bool, np.bool_))
            or topn < 0
        ):
            raise ParameterError(f"topn must be None or a non-negative integer, got {topn!r}")
        return int(topn)

    def _candidate_range(self, clip_start, clip_end, restrict_vocab):
        """The rows ``[start, stop)`` a search ranks, from gensim's clip/restrict arguments."""
        for name, value in (("clip_start", clip_start), ("clip_end", clip_end),
                            ("restrict_vocab", restrict_vocab)):
            if value is not None and (
                not isinstance(value, numbers.Integral) or isinstance(value, (bool, np.bool_)) or value < 0
            ):
                raise ParameterError(f"{name} must be None or a non-negative integer, got {value!r}")
        vocab_size = len(self)
        if restrict_vocab:  # as gensim: a positive restrict_vocab overrides the clip range
            return 0, min(int(restrict_vocab), vocab_size)
        stop = min(int(clip_end), vocab_size) if clip_end else vocab_size
        start = min(int(clip_start or 0), stop)
        return start, stop

    # ------------------------------------------------------------ similarity

    def _log_weights(self, rows):
        """``(n, K)`` float64 log mixture weights of the words at `rows`."""
        return log_mixture_weights(self._logits[rows])

    def _scores_against_vocabulary(self, metric, index, component, start=0, stop=None):
        """Similarity of word `index` (or one of its components) to the words ``start .. stop - 1``.

        Returns ``(n,)`` word scores when `component` is None, else ``(n, K)``
        component scores, float64, computed in chunks of at most
        :data:`_CHUNK_WORDS` words.
        """
        vocab_size, k, d = self._means.shape
        stop = vocab_size if stop is None else stop
        if component is None:
            qm = self._means[index:index + 1]
            ql = self._log_variances[index:index + 1]
            qw = self._log_weights(slice(index, index + 1))
            out = np.empty(stop - start, dtype=np.float64)
        else:
            qm = self._means[index:index + 1, component:component + 1]
            ql = self._log_variances[index:index + 1, component:component + 1]
            out = np.empty((stop - start, k), dtype=np.float64)
        step = _chunk_size(qm.shape[1], k, d)
        for lo in range(start, stop, step):
            hi = min(lo + step, stop)
            comp = component_scores(metric, qm, ql, self._means[lo:hi], self._log_variances[lo:hi])
            if component is None:
                out[lo - start:hi - start] = combine_components(
                    metric, comp, qw, self._log_weights(slice(lo, hi)))
            else:
                out[lo - start:hi - start] = comp[:, 0, :]
        return out

    # ---------------------------------------------------- query arithmetic

    def _query_vector(self, value):
        """A query vector as a ``(D,)`` float32 array, or ParameterError."""
        arr = np.asarray(value)
        if arr.shape != (self.vector_size,) or not (
            np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
        ):
            raise ParameterError(
                f"a query vector must be a 1-d numeric array of length D={self.vector_size}, got "
                f"shape {arr.shape} and dtype {arr.dtype}"
            )
        arr = arr.astype(np.float32)
        if not np.isfinite(arr).all():
            raise ParameterError("a query vector holds NaN or infinite values")
        largest = float(np.abs(arr).max()) if arr.size else 0.0
        if largest != 0 and not MIN_QUERY_MAGNITUDE <= largest <= MAX_QUERY_MAGNITUDE:
            raise ParameterError(f"a query vector's largest value must be 0 or of magnitude "
                                 f"{MIN_QUERY_MAGNITUDE:g} to {MAX_QUERY_MAGNITUDE:g} (its sums and norms "
                                 f"would overflow or underflow), got {largest:g}")
        return arr

    def _query_terms(self, positive, negative, weights_allowed=True):
        """Parse gensim-style `positive` / `negative` into a list of :class:`_Term`."""
        terms = []
        for default, items in ((1.0, _ensure_list(positive, "positive")),
                               (-1.0, _ensure_list(negative, "negative"))):
            for item in items:
                key, weight = item, default
                if isinstance(item, (tuple, list)):
                    if not weights_allowed:
                        raise ParameterError(
                            f"(key, weight) pairs are not accepted here, got {item!r}; give words or vectors")
                    if len(item) != 2:
                        raise ParameterError(
                            f"a weighted query item must be a (key, weight) pair, got {item!r}")
                    key, weight = item
                    weight = _check_query_weight(weight, f"the weight of {key!r:.80}")
                if isinstance(key, str):
                    terms.append(_Term(self.get_index(key), None, float(weight)))
                elif isinstance(key, np.ndarray):
                    terms.append(_Term(None, self._query_vector(key), float(weight)))
                else:
                    raise ParameterError(
                        f"a query key must be a word (str) or a vector (numpy array of length "
                        f"{self.vector_size}), got {key!r}"
                    )
        if not terms:
            raise ParameterError("cannot compute similarity with no input: give positive and/or negative "
                                 "words or vectors")
        return terms

    def _point_target(self, terms):
        """gensim's query: the normalised weighted mean of unit point vectors (raw vectors as given)."""
        unit = self.get_normed_vectors()
        mean = np.zeros(self.vector_size, dtype=np.float32)
        total = 0.0
        for term in terms:
            vec = unit[term.index] if term.index is not None else term.vector
            # float32 accumulation in gensim's order (positive terms first)
            mean = (mean + term.weight * vec.astype(np.float64)).astype(np.float32)
            total += abs(term.weight)
        return unit_targets(mean / total if total > 0 else mean)

    def _term_options(self, term):
        """``(n, D)`` float32 vectors a term may contribute: a word's ``K`` unit means, or its vector."""
        if term.index is None:
            return term.vector[None, :]
        k = self.num_mixtures
        return self._get_unit_means()[term.index * k:(term.index + 1) * k]

    def _component_targets(self, terms):
        """``(1, C, D)`` float32 unit targets, one per combination of the terms' components."""
        sizes = [self.num_mixtures if t.index is not None else 1 for t in terms]
        combinations = math.prod(sizes)
        if combinations > MAX_COMBINATIONS:
            raise ParameterError(
                f"mixture='best_component' with {len(terms)} query items of K={self.num_mixtures} components "
                f"needs {combinations} combinations, above the limit of {MAX_COMBINATIONS}; use fewer "
                f"words or mixture='point'"
            )
        options = [self._term_options(t).astype(np.float64) for t in terms]
        total = combination_targets(options, [t.weight for t in terms])
        return unit_targets(total)[None]

    def _unit_means_3d(self, start, stop):
        """``(n, K, D)`` float32 unit means of the words ``start .. stop - 1`` (a view of the cache)."""
        vocab_size, k, d = self._means.shape
        return self._get_unit_means().reshape(vocab_size, k, d)[start:stop]

    def _ranked(self, scores, start, exclude, topn):
        """``(word, score)`` pairs of the `topn` best rows, rows in `exclude` left out."""
        scores = np.array(scores, dtype=np.float64)
        excluded = {i - start for i in exclude if start <= i < start + scores.shape[0]}
        for i in excluded:
            scores[i] = -np.inf
        n = min(topn, scores.shape[0] - len(excluded))
        best = _top_indices(scores, n)
        return [(self._table.word(start + w), float(s)) for w, s in zip(best.tolist(), scores[best].tolist())]

    def most_similar(self, positive=None, negative=None, topn=10, clip_start=0, clip_end=None,
                     restrict_vocab=None, indexer=None, *, component=None, metric="max_cos",
                     mixture=None):
        """Nearest neighbours of a word, of one of its components, or of vector arithmetic.

        gensim's ``most_similar`` on Gaussian mixtures.  What is ranked
        depends on the query:

        * **One word** (``positive="bank"`` or ``["bank"]``, with the default
          `mixture`): the other words ranked by
          ``similarity(word, other, metric)``, by default the maximum cosine
          over component pairs (``"max_cos"``, Athiwaratkun & Wilson 2017,
          Section 4.1.2); any of :data:`SIMILARITY_METRICS`.
        * **One word and a component** (``component=k``): the single
          Gaussian ``N(mu[word, k], Sigma[word, k])`` against every component
          of every *other* word, scored by the single-Gaussian version of
          `metric` (cosine of the means for ``"max_cos"`` and ``"avg_cos"``,
          negated Euclidean distance for ``"min_euclidean"``, the partial log
          energy ``log N(0; mu_q - mu_c, Sigma_q + Sigma_c)`` for
          ``"expected_likelihood"``, ``-KL(query || candidate)`` for
          ``"neg_kl"``); results are ``(word, component, score)`` triples (the
          paper's Table 1).
        * **Vector arithmetic** (several words, `negative` words, vectors or
          ``(key, weight)`` pairs; e.g. ``positive=["woman", "king"],
          negative=["man"]``, 3CosAdd): as gensim, each query item has a
          weight (1 for `positive`, -1 for `negative`, or the pair's second
          element), and candidates are ranked by cosine with the normalised
          weighted sum of the query's unit vectors (vectors given as arrays
          enter as they are).  How the mixtures enter is `mixture` (see
          Notes; by default the point vectors, exactly gensim's arithmetic);
          `metric` must stay ``"max_cos"``.

        Parameters
        ----------
        positive : str, numpy.ndarray, or list of them or of (key, weight) pairs, optional
            Query items that count positively (weight 1 unless given); a
            single word or 1-d vector is accepted for a list of one, a 2-d
            array for its rows (gensim).
        negative : same as positive, optional
            Query items that count negatively (weight -1 unless given; the
            weight of a pair is used as given, as in gensim).
        topn : int or None, optional
            Number of results; fewer if fewer candidates remain, ``[]`` for 0.
            None: return the score of every candidate row as an array instead
            (query words included), as gensim.
        clip_start, clip_end : int, optional
            Rank only the rows ``clip_start .. clip_end - 1`` (gensim;
            ``clip_end`` None or 0 means ``V``).
        restrict_vocab : int, optional
            Rank only the first `restrict_vocab` rows (the most frequent words
            for a trained model); overrides `clip_start` and `clip_end`.
        indexer : object, optional
            An approximate-nearest-neighbour indexer with gensim's
            ``most_similar(vector, topn)`` (e.g. gensim's ``AnnoyIndexer``
            built on :meth:`to_keyed_vectors`); only with ``mixture="point"``
            and an integer `topn`, where its answer is returned as is.
        component : int, optional
            Search from one component of a single positive query word (see
            above).
        metric : str, optional
            One of :data:`SIMILARITY_METRICS`, for a single-word query (with
            or without `component`); default ``"max_cos"``.
        mixture : str, optional
            ``"point"`` or ``"best_component"``, how mixtures enter the
            search; default None: ``"best_component"`` for one positive query
            word (the paper's ``max_cos``, or `metric`), ``"point"`` for
            anything else.  See Notes.

        Returns
        -------
        list of tuple or numpy.ndarray
            ``(word, score)`` pairs (``(word, component, score)`` triples with
            `component`), best first, scores as Python floats; the query words
            are never returned.  With ``topn=None``: a ``(n,)`` array of the
            scores of the ``n`` candidate rows (``(n, K)`` with `component`).

        Raises
        ------
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If a query word is not in the vocabulary.
        w2gm.exceptions.ComponentIndexError
            (an ``IndexError``) If `component` is not an integer in ``0 .. K-1``.
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If there is no query item, a vector has the
            wrong shape or is not finite, a weight is not a finite number,
            `topn` is negative or not an integer, `metric` or `mixture` is
            unknown, `metric` is not ``"max_cos"`` for vector arithmetic or
            ``mixture="point"``, `component` is combined with vector
            arithmetic or ``mixture="point"``, `indexer` is given without
            ``mixture="point"``, or ``"best_component"`` would need more than
            :data:`MAX_COMBINATIONS` combinations.

        Notes
        -----
        Decision: how mixtures enter the query (``mixture=``).

        * ``"point"``: gensim's semantics exactly, on the point vectors
          :attr:`vectors` (``sum_k p_k mu_k``): the target is the normalised
          weighted mean of the query words' unit point vectors, a candidate's
          score is the cosine of its point vector with it.  For ``K = 1``
          this is gensim's ``most_similar`` on the means.
        * ``"best_component"``: each query word takes part with *one* of its
          components; for every combination (``K**n`` for ``n`` query words,
          e.g. 8 for ``a:b::c:?`` with ``K = 2``) the target is the
          normalised weighted sum of the chosen unit component means, and a
          candidate word scores the largest cosine of any of its components
          with any combination's target.  An analogy can so use the sense of
          each word that fits; a single query word gives exactly the paper's
          ``max_cos``.  For ``K = 1`` it equals ``"point"`` (up to float32
          rounding).
        * Default (None): one positive query word is ranked by the paper's
          mixture similarity (``"best_component"``, i.e. `metric`, as before
          this API grew arithmetic); arithmetic uses ``"point"``, gensim's
          semantics, because it was measured to be the better analogy solver:
          on the bundled Google analogies, a K=2, D=50 model trained on a
          text8-size corpus (restrict_vocab=30000) answers 17.3% with
          ``"point"`` and 9.3% with ``"best_component"``
          (``benchmarks/analogies.py``), and ``"point"`` is ``K**(n+1)``
          times cheaper.

        Scores are computed by float32 matrix products over the vocabulary
        in bounded blocks (``"max_cos"`` one-word searches use the cached
        unit-normalised means; call :meth:`clear_cache` after changing
        :attr:`means` in place); the other metrics in float64 in chunks of
        at most 4096 words.  Among equal scores the order follows the
        vocabulary index; which of several tied candidates make the cut-off
        at `topn` is unspecified.
        """
        topn = self._check_topn(topn)
        metric = check_metric(metric)
        terms = self._query_terms(positive, negative)
        start, stop = self._candidate_range(clip_start, clip_end, restrict_vocab)
        single = len(terms) == 1 and terms[0].index is not None and terms[0].weight > 0
        mixture = _resolve_mixture(mixture, single)
        if component is not None or (single and mixture == "best_component"):
            if component is not None and (not single or mixture != "best_component"):
                raise ParameterError(
                    "component= searches from one component of a single positive query word, with "
                    "mixture='best_component'; it cannot be combined with vector arithmetic or "
                    "mixture='point'"
                )
            if indexer is not None:
                raise ParameterError("indexer= is only used with mixture='point'")
            return self._single_word_search(terms[0].index, component, metric, topn, start, stop)
        if metric != "max_cos":
            raise ParameterError(
                f"metric={metric!r} applies to single-word queries with mixture='best_component'; vector "
                f"arithmetic and mixture='point' rank by cosine (leave metric='max_cos')"
            )
        exclude = {t.index for t in terms if t.index is not None}
        if mixture == "point":
            target = self._point_target(terms)
            if indexer is not None and not callable(getattr(indexer, "most_similar", None)):
                raise ParameterError(f"indexer must have gensim's most_similar(vector, topn) method, got "
                                     f"{indexer!r:.80}")
            if indexer is not None and topn is not None:
                return indexer.most_similar(target, topn)
            if indexer is not None:
                raise ParameterError("indexer= needs an integer topn")
            scores = best_cosines(target[None, None, :], self.vectors[start:stop, None, :],
                                  self.norms[start:stop, None])[0]
        else:
            if indexer is not None:
                raise ParameterError("indexer= is only used with mixture='point'")
            scores = best_cosines(self._component_targets(terms), self._unit_means_3d(start, stop))[0]
        if topn is None:
            return scores
        return self._ranked(scores, start, exclude, topn)

    def _single_word_search(self, index, component, metric, topn, start, stop):
        """The one-word branches of :meth:`most_similar` (mixture similarity or one component)."""
        k = self.num_mixtures
        if component is not None:
            component = self._check_component(component)
        if metric == "max_cos":
            unit = self._get_unit_means()
            rows = unit[start * k:stop * k]
            if component is not None:
                scores = (rows @ unit[index * k + component]).reshape(stop - start, k)
            else:
                # (n*K, K) cosines against the query's components -> (n,) max per word
                scores = (rows @ unit[index * k:(index + 1) * k].T).reshape(stop - start, k * k).max(axis=1)
        else:
            scores = self._scores_against_vocabulary(metric, index, component, start, stop)
        if topn is None:
            return scores
        if component is None:
            return self._ranked(scores, start, {index}, topn)
        scores = np.array(scores, dtype=np.float64)
        own = start <= index < stop
        if own:
            scores[index - start] = -np.inf
        flat = scores.reshape(-1)
        n = min(topn, flat.shape[0] - (k if own else 0))
        best = _top_indices(flat, n)
        words, comps = np.divmod(best, k)
        return [
            (self._table.word(start + w), int(c), float(s))
            for w, c, s in zip(words.tolist(), comps.tolist(), flat[best].tolist())
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

    # --------------------------------------------- more gensim-style queries

    def similar_by_key(self, key, topn=10, restrict_vocab=None, *, metric="max_cos", mixture=None):
        """Nearest neighbours of one word: ``most_similar(positive=[key], ...)`` (gensim).

        By default the words are ranked by ``similarity(key, other, metric)``
        (``max_cos`` by default); with ``mixture="point"`` by the cosine of
        the point vectors (gensim's ranking).  See :meth:`most_similar` for
        the parameters, result and errors.
        """
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab, metric=metric,
                                 mixture=mixture)

    def similar_by_word(self, word, topn=10, restrict_vocab=None, *, metric="max_cos", mixture=None):
        """Alias of :meth:`similar_by_key` (gensim's older name)."""
        return self.similar_by_key(word, topn=topn, restrict_vocab=restrict_vocab, metric=metric,
                                   mixture=mixture)

    def similar_by_vector(self, vector, topn=10, restrict_vocab=None, *, mixture=None):
        """Words nearest to a vector: ``most_similar(positive=[vector], ...)`` (gensim).

        Parameters
        ----------
        vector : numpy.ndarray
            ``(D,)`` query vector.
        topn : int or None, optional
            As in :meth:`most_similar`.
        restrict_vocab : int, optional
            Rank only the first `restrict_vocab` words.
        mixture : str, optional
            ``"point"`` (the default, None): the cosine of a word's point
            vector (gensim); ``"best_component"``: the best cosine of any of
            its component means with `vector`.

        Returns
        -------
        list of (str, float) or numpy.ndarray
            As :meth:`most_similar`; no word is excluded.

        Raises
        ------
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If `vector` is not a finite ``(D,)`` array, or
            as :meth:`most_similar`.
        """
        if not isinstance(vector, np.ndarray) or vector.ndim != 1:
            vector = np.asarray(vector)
            if vector.ndim != 1:
                raise ParameterError(f"vector must be a 1-d array of length D={self.vector_size}, got shape "
                                     f"{vector.shape}")
        return self.most_similar(positive=[vector], topn=topn, restrict_vocab=restrict_vocab, mixture=mixture)

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None, *,
                            mixture=None):
        """Nearest neighbours by the multiplicative objective 3CosMul (gensim's ``most_similar_cosmul``).

        Levy & Goldberg (2014), eq. 4, with cosines shifted to ``[0, 1]``: a
        candidate ``x`` scores ``prod_pos (1 + cos(x, p)) / 2`` divided by
        ``prod_neg (1 + cos(x, n)) / 2 + 1e-6``.  Query words enter as unit
        vectors, query arrays as they are (gensim).

        Parameters
        ----------
        positive, negative : str, numpy.ndarray or list of them, optional
            Query words or vectors (no ``(key, weight)`` pairs, as gensim).
        topn : int or None, optional
            Number of results, or None for the score of every candidate.
        restrict_vocab : int, optional
            Rank only the first `restrict_vocab` words.  (gensim 4.4 accepts
            this argument but ignores it.)
        mixture : str, optional
            ``"point"``: gensim's formula on the point vectors.
            ``"best_component"``: every factor uses the best component of its
            query word (the largest factor for a positive word, the smallest
            for a negative one) and a candidate scores its best component;
            with one query word this ranks like ``max_cos``.  Default (None):
            ``"best_component"`` for one positive query word (so that it ranks
            like :meth:`most_similar`), else ``"point"``.

        Returns
        -------
        list of (str, float) or numpy.ndarray
            ``(word, score)`` pairs, best first, without the query words; or
            the ``(n,)`` float32 scores of the candidate rows for ``topn=None``.

        Raises
        ------
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If a query word is not in the vocabulary.
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If there is no positive item, an item is a
            ``(key, weight)`` pair or a malformed vector, or `topn`,
            `restrict_vocab` or `mixture` are invalid.
        """
        topn = self._check_topn(topn)
        terms = self._query_terms(positive, negative, weights_allowed=False)
        if not any(t.weight > 0 for t in terms):
            raise ParameterError("cannot compute similarity with no positive input")
        mixture = _resolve_mixture(mixture, len(terms) == 1 and terms[0].index is not None)
        start, stop = self._candidate_range(0, None, restrict_vocab)
        if mixture == "point":
            unit = self.get_normed_vectors()

            def options(t):
                return (unit[t.index] if t.index is not None else t.vector)[None, None, :]

            candidates, norms = self.vectors[start:stop, None, :], self.norms[start:stop, None]
        else:
            def options(t):
                return self._term_options(t)[None]

            candidates, norms = self._unit_means_3d(start, stop), None
        scores = cosmul_scores([options(t) for t in terms if t.weight > 0],
                               [options(t) for t in terms if t.weight < 0], candidates, norms)[0]
        if topn is None:
            return scores
        return self._ranked(scores, start, {t.index for t in terms if t.index is not None}, topn)

    def rank_by_centrality(self, words, use_norm=True):
        """Rank words by cosine with the normalised mean of their point vectors (gensim).

        Parameters
        ----------
        words : sequence of str
            Words; those not in the vocabulary are ignored with a logged
            warning (as gensim).
        use_norm : bool, optional
            Use unit point vectors (default, as gensim) instead of the raw ones.

        Returns
        -------
        list of (float, str)
            ``(cosine with the centroid, word)``, most central first.

        Raises
        ------
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If no word is in the vocabulary.

        Notes
        -----
        Decision: point vectors (:attr:`vectors`), gensim's semantics; a
        centroid of mixtures has no single best definition.
        """
        words = _sequence_argument(words, "words")
        used = [w for w in words if w in self]
        if len(used) != len(words):
            logger.warning("vectors for words %s are not present in the model, ignoring these words",
                           [w for w in words if w not in self][:20])
        if not used:
            raise ParameterError(
                "cannot select a word from an empty list (no given word is in the vocabulary)")
        rows = np.array([self.get_index(w) for w in used], dtype=np.intp)
        vectors = (self.get_normed_vectors() if use_norm else self.vectors)[rows].astype(np.float32)
        mean = unit_targets(vectors.astype(np.float64).mean(axis=0))
        dists = vectors @ mean
        return sorted(zip(dists.tolist(), used), reverse=True)

    def doesnt_match(self, words):
        """The word farthest from the centroid of the others (gensim's ``doesnt_match``).

        The last of :meth:`rank_by_centrality`: point vectors, gensim's
        semantics (decision).

        Parameters
        ----------
        words : sequence of str
            Words; unknown ones are ignored with a logged warning.

        Returns
        -------
        str

        Raises
        ------
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If no word is in the vocabulary.
        """
        return self.rank_by_centrality(words)[-1][1]

    def get_mean_vector(self, keys, weights=None, pre_normalize=True, post_normalize=False,
                        ignore_missing=True):
        """Weighted mean of point vectors (and raw vectors), gensim's ``get_mean_vector``.

        The sum of ``weights[i] * vector(keys[i])`` divided by the sum of the
        absolute weights of the keys used.

        Parameters
        ----------
        keys : sequence of str or numpy.ndarray
            Words (their point vectors, unit length if `pre_normalize`) or
            ``(D,)`` vectors (used as they are).
        weights : sequence of float or numpy.ndarray, optional
            One weight per key; default all 1.
        pre_normalize : bool, optional
            Scale the words' point vectors to unit length first.
        post_normalize : bool, optional
            Scale the mean to unit length.
        ignore_missing : bool, optional
            Skip words not in the vocabulary (default, as gensim) instead of
            raising.

        Returns
        -------
        numpy.ndarray
            ``(D,)`` float32 (zeros if no key was used).

        Raises
        ------
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If `keys` is empty, `weights` has another
            length, or a vector has the wrong shape.
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If a word is missing and `ignore_missing` is False.
        """
        keys = _ensure_list(keys, "keys")
        if len(keys) == 0:
            raise ParameterError("cannot compute mean with no input")
        if weights is None:
            weights = np.ones(len(keys))
        else:
            if isinstance(weights, (str, bytes)) or np.ndim(weights) != 1:
                raise ParameterError(f"weights must be a sequence of numbers, got {weights!r:.80}")
            weights = np.array([_check_query_weight(w, f"weights[{i}]") for i, w in enumerate(weights)],
                               dtype=np.float64)
        if weights.shape != (len(keys),):
            raise ParameterError(f"keys and weights must have the same number of elements, got {len(keys)} "
                                 f"keys and weights of shape {weights.shape}")
        unit = self.get_normed_vectors() if pre_normalize else self.vectors
        mean = np.zeros(self.vector_size, dtype=np.float64)
        total = 0.0
        for key, weight in zip(keys, weights.tolist()):
            if isinstance(key, np.ndarray):
                vec = self._query_vector(key)
            elif key in self:
                vec = unit[self.get_index(key)]
            elif not ignore_missing:
                raise WordNotInVocabularyError(f"word {key!r} not in vocabulary")
            else:
                continue
            mean += weight * vec.astype(np.float64)
            total += abs(weight)
        if total > 0:
            mean /= total
        return unit_targets(mean) if post_normalize else mean.astype(np.float32)

    def n_similarity(self, ws1, ws2):
        """Cosine between the means of two sets of point vectors (gensim's ``n_similarity``).

        Parameters
        ----------
        ws1, ws2 : sequence of str
            Non-empty lists of vocabulary words.

        Returns
        -------
        float

        Raises
        ------
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If a list is empty (gensim raises
            ``ZeroDivisionError``).
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If a word is not in the vocabulary.

        Notes
        -----
        Decisions: point vectors (:attr:`vectors`), unnormalised before
        averaging, as gensim; an unknown word raises (gensim 4 silently drops
        it, and returns 0 for a list of unknown words).
        """
        ws1, ws2 = _sequence_argument(ws1, "ws1"), _sequence_argument(ws2, "ws2")
        if not (len(ws1) and len(ws2)):
            raise ParameterError("n_similarity needs two non-empty lists of words")
        means = [self.get_mean_vector(ws, pre_normalize=False, ignore_missing=False) for ws in (ws1, ws2)]
        a, b = (unit_targets(m).astype(np.float64) for m in means)
        return float(a @ b)

    @staticmethod
    def cosine_similarities(vector_1, vectors_all):
        """Cosine of one vector with each row of a matrix (gensim's static method).

        Parameters
        ----------
        vector_1 : numpy.ndarray
            ``(D,)``.
        vectors_all : numpy.ndarray
            ``(n, D)``.

        Returns
        -------
        numpy.ndarray
            ``(n,)``; as gensim, a zero vector gives NaN (with NumPy's warning).
        """
        vector_1 = np.asarray(vector_1)
        vectors_all = np.asarray(vectors_all)
        if vector_1.ndim != 1 or vectors_all.ndim != 2 or vectors_all.shape[1] != vector_1.shape[0]:
            raise ParameterError(f"cosine_similarities needs a (D,) vector and an (n, D) matrix, got shapes "
                                 f"{vector_1.shape} and {vectors_all.shape}")
        return (vectors_all @ vector_1) / (np.linalg.norm(vector_1) * np.linalg.norm(vectors_all, axis=1))

    def distances(self, word_or_vector, other_words=(), *, metric="max_cos"):
        """``1 - similarity`` from a word or vector to other words (gensim's ``distances``).

        Parameters
        ----------
        word_or_vector : str or numpy.ndarray
            A vocabulary word, or a ``(D,)`` vector (then ``metric`` must be
            ``"max_cos"``: a word's similarity to a vector is its best
            component's cosine, the vector being a one-component mixture).
        other_words : sequence of str, optional
            The words to measure to; empty (default): every word, in index
            order, the query word included.
        metric : str, optional
            One of :data:`SIMILARITY_METRICS` (default ``"max_cos"``, so that
            ``distances(w1, [w2])[0] == distance(w1, w2)``).

        Returns
        -------
        numpy.ndarray
            ``(n,)`` float64.  A cosine distance (in ``[0, 2]``) for the
            cosine metrics; for the others just ``1 - similarity``.

        Raises
        ------
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If a word is not in the vocabulary.
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If `metric` is unknown, or not ``"max_cos"``
            for a vector, or the vector is malformed.
        """
        metric = check_metric(metric)
        # None: every word, as gensim (which tests `not other_words`)
        other_words = () if other_words is None else _sequence_argument(other_words, "other_words")
        if len(other_words):
            rows = np.array([self.get_index(w) for w in other_words], dtype=np.intp)
        else:
            rows = np.arange(len(self), dtype=np.intp)
        if isinstance(word_or_vector, str):
            index = self.get_index(word_or_vector)
            return 1.0 - self.score_pairs(np.full(rows.shape, index, dtype=np.intp), rows, metric=metric)
        if metric != "max_cos":
            raise ParameterError(f"distances from a vector use the cosine (metric='max_cos'), got {metric!r}")
        vec = unit_vectors(self._query_vector(word_or_vector).astype(np.float64))
        out = np.empty(rows.shape[0], dtype=np.float64)
        step = _CHUNK_WORDS
        for lo in range(0, rows.shape[0], step):
            unit = unit_vectors(self._means[rows[lo:lo + step]].astype(np.float64))
            out[lo:lo + step] = 1.0 - (unit @ vec).max(axis=1)
        return out

    def distance(self, w1, w2, metric="max_cos"):
        """``1 - similarity(w1, w2, metric)`` (gensim's ``distance``).

        With the default ``"max_cos"`` this is the cosine distance of the
        closest pair of components, in ``[0, 2]``.  Raises as :meth:`similarity`.
        """
        return 1.0 - self.similarity(w1, w2, metric=metric)

    def closer_than(self, key1, key2, *, metric="max_cos"):
        """Words closer to `key1` than `key2` is (gensim's ``closer_than``).

        Parameters
        ----------
        key1, key2 : str
            Vocabulary words.
        metric : str, optional
            The similarity measuring closeness (default ``"max_cos"``).

        Returns
        -------
        list of str
            In index order, `key1` left out.

        Raises
        ------
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If either word is not in the vocabulary.
        """
        i1 = self.get_index(key1)
        i2 = self.get_index(key2)
        dists = self.distances(key1, metric=metric)
        closer = np.flatnonzero(dists < dists[i2])
        return [self._table.word(i) for i in closer.tolist() if i != i1]

    def words_closer_than(self, word1, word2, *, metric="max_cos"):
        """Alias of :meth:`closer_than` (gensim's older name)."""
        return self.closer_than(word1, word2, metric=metric)

    def rank(self, key1, key2, *, metric="max_cos"):
        """Rank of `key2` among the neighbours of `key1`: ``len(closer_than(key1, key2)) + 1`` (gensim)."""
        return len(self.closer_than(key1, key2, metric=metric)) + 1

    def most_similar_to_given(self, key1, keys_list, *, metric="max_cos"):
        """The word of `keys_list` most similar to `key1` (gensim's ``most_similar_to_given``).

        Raises
        ------
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If `keys_list` is empty.
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If a word is not in the vocabulary.
        """
        keys_list = _sequence_argument(keys_list, "keys_list")
        if not keys_list:
            raise ParameterError("keys_list is empty")
        return keys_list[int(np.argmax([self.similarity(key1, key, metric=metric) for key in keys_list]))]

    def wmdistance(self, document1, document2, norm=True):
        """Word Mover's Distance: not available.

        gensim computes it with the optimal-transport package POT, which w2gm
        does not depend on, and Word Mover's Distance is defined on point
        vectors.  Use ``wv.to_keyed_vectors().wmdistance(...)`` with gensim
        and POT installed (on the point vectors).

        Raises
        ------
        NotImplementedError
            Always, with this explanation.
        """
        raise NotImplementedError(
            "wmdistance is not implemented for Gaussian mixtures (gensim computes it with the POT package, "
            "which w2gm does not depend on); use wv.to_keyed_vectors().wmdistance(...) with gensim and POT "
            "installed to compute it on the point vectors"
        )

    # ---------------------------------------------------------------- senses

    def disambiguate(self, word, context, window=None):
        """Posterior over `word`'s components given a context: which sense is meant (Section 3.4).

        Delegates to :func:`w2gm.senses.disambiguate` (documented there in
        full): the mixture weights as prior and, as likelihood, the
        geometric mean over the context words of the expected likelihood
        kernel between a component and the context word's mixture.  `context` is a list of tokens or a
        ``str`` split at whitespace; with `window`, only the tokens within
        `window` positions of an occurrence of `word` in it are used.  Tokens
        equal to `word` and unknown tokens are ignored; with no usable token
        the result is the mixture weights.

        Parameters
        ----------
        word : str
            A vocabulary word.
        context : str or list of str
            The context (or sentence, with `window`).
        window : int, optional
            Tokens on each side of each occurrence of `word`; None: all.

        Returns
        -------
        w2gm.senses.Disambiguation
            ``(word, probabilities, component, context_used)``, the
            probabilities ``(K,)`` float64.

        Raises
        ------
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If `word` is not in the vocabulary.
        w2gm.exceptions.ParameterError
            (a ``ValueError``) On a bad `context` or `window`, or a `window`
            with a context that does not contain `word`.
        """
        return _senses.disambiguate(self, word, context, window=window)

    def sense_tags(self, tokens, window=_senses.DEFAULT_WINDOW):
        """Most probable component of every in-vocabulary token of a sentence.

        Delegates to :func:`w2gm.senses.sense_tags`: each token is
        disambiguated by the other known tokens within `window` positions.

        Parameters
        ----------
        tokens : str or list of str
            The sentence (a ``str`` is split at whitespace).
        window : int, optional
            Context tokens on each side, default 5 (pass the model's
            ``window`` to match training).

        Returns
        -------
        list of w2gm.senses.SenseTag
            ``(token, position, component, probability)`` per known token.

        Raises
        ------
        w2gm.exceptions.ParameterError
            (a ``ValueError``) On bad `tokens` or `window`.
        """
        return _senses.sense_tags(self, tokens, window=window)

    def senses(self, word, topn=10):
        """Weight, variance and nearest component neighbours of each component of `word` (Table 1).

        Delegates to :func:`w2gm.senses.senses`.

        Parameters
        ----------
        word : str
            A vocabulary word.
        topn : int, optional
            Neighbours per component, as ``"word:k"`` labels with cosines.

        Returns
        -------
        w2gm.senses.WordSenses
            ``(word, senses)`` with one :class:`w2gm.senses.Sense` per
            component; ``print()`` it for a table.

        Raises
        ------
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If `word` is not in the vocabulary.
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If `topn` is not a non-negative integer.
        """
        return _senses.senses(self, word, topn=topn)

    def component_similarities(self, w1, w2, metric="max_cos"):
        """``(K, K)`` float64 single-Gaussian scores of every component pair of two words.

        Delegates to :func:`w2gm.senses.component_similarities` (cosine of the
        means for ``"max_cos"`` / ``"avg_cos"``, the other metrics by
        :func:`w2gm.similarity.component_scores`).

        Raises
        ------
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If a word is not in the vocabulary.
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If `metric` is unknown.
        """
        return _senses.component_similarities(self, w1, w2, metric=metric)

    def entailment_score(self, hyponym, hypernym, metric="neg_kl"):
        """Entailment score ``similarity(hyponym, hypernym, metric)``, ``-KL`` by default (Section 4.6).

        Delegates to :func:`w2gm.senses.entailment_score`; a float, larger
        meaning more likely ``hyponym |= hypernym``.

        Raises
        ------
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If a word is not in the vocabulary.
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If `metric` is unknown.
        """
        return _senses.entailment_score(self, hyponym, hypernym, metric=metric)

    def most_general(self, words):
        """``[(word, generality)]``, most general first (mixture-weighted mean log-variance).

        Delegates to :func:`w2gm.senses.most_general` (the measure is
        :func:`w2gm.senses.generality`: broader words have larger variances,
        Vilnis & McCallum 2015, paper Section 4.6).

        Raises
        ------
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If a word is not in the vocabulary.
        """
        return _senses.most_general(self, words)

    def most_specific(self, words):
        """``[(word, generality)]``, most specific first; the reverse of :meth:`most_general`.

        Raises
        ------
        w2gm.exceptions.WordNotInVocabularyError
            (a ``KeyError``) If a word is not in the vocabulary.
        """
        return _senses.most_specific(self, words)

    # ------------------------------------------------------------ evaluation

    def evaluate_word_analogies(self, analogies, restrict_vocab=300000, case_insensitive=True,
                                dummy4unknown=False, similarity_function="most_similar", *,
                                mixture="point"):
        """Accuracy on word analogies ``a:b::c:d`` (gensim's ``evaluate_word_analogies``).

        Delegates to :func:`w2gm.evaluation.analogies.evaluate_word_analogies`
        (see there for the protocol and the file format); the Google
        analogy set of word2vec is bundled:
        ``wv.evaluate_word_analogies(w2gm.evaluation.bundled_analogies_path())``.

        Parameters
        ----------
        analogies, restrict_vocab, case_insensitive, dummy4unknown, similarity_function
            As gensim's (``similarity_function="most_similar_cosmul"`` selects
            3CosMul); see the delegate.
        mixture : str, optional
            ``"point"`` (default, gensim's arithmetic on :attr:`vectors`) or
            ``"best_component"``; see :meth:`most_similar`.

        Returns
        -------
        score : float
            Overall accuracy (0 if no question was evaluated).
        sections : list of dict
            ``{"section": name, "correct": [...], "incorrect": [...]}`` per
            section, with ``(a, b, c, expected)`` tuples, and a last
            ``"Total accuracy"`` section.
        """
        return _analogies.evaluate_word_analogies(
            self, analogies, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive,
            dummy4unknown=dummy4unknown, similarity_function=similarity_function, mixture=mixture)

    def evaluate_word_pairs(self, pairs, delimiter="\t", encoding="utf8", restrict_vocab=300000,
                            case_insensitive=True, dummy4unknown=False, *, metric="max_cos"):
        """Correlation of model similarities with human ratings (gensim's ``evaluate_word_pairs``).

        Delegates to :func:`w2gm.evaluation.word_pairs.evaluate_word_pairs`
        (file format, delimiter rule and protocol there).

        Parameters
        ----------
        pairs, delimiter, encoding, restrict_vocab, case_insensitive, dummy4unknown
            gensim's arguments, in gensim's order (only UTF-8 is read; a line
            without `delimiter` is split on whitespace).
        metric : str, optional
            One of :data:`SIMILARITY_METRICS` (default ``"max_cos"``).

        Returns
        -------
        tuple
            ``(pearson, spearman, oov_ratio)``: ``(statistic, p-value)`` pairs
            and the percentage of pairs with an unknown word, as gensim.  The
            counts are in :meth:`evaluate_word_pairs_detailed`.
        """
        return _word_pairs.evaluate_word_pairs(
            self, pairs, delimiter=delimiter, encoding=encoding, restrict_vocab=restrict_vocab,
            case_insensitive=case_insensitive, dummy4unknown=dummy4unknown, metric=metric)

    def evaluate_word_pairs_detailed(self, pairs, delimiter="\t", encoding="utf8", restrict_vocab=300000,
                                     case_insensitive=True, dummy4unknown=False, *, metric="max_cos"):
        """:meth:`evaluate_word_pairs` with counts: a :class:`w2gm.evaluation.WordPairsResult`.

        Delegates to :func:`w2gm.evaluation.word_pairs.evaluate_word_pairs_detailed`.

        Returns
        -------
        w2gm.evaluation.WordPairsResult
            ``pearson``, ``spearman``, ``oov_ratio`` (percent), ``n_pairs``,
            ``n_found``, ``n_malformed``.
        """
        return _word_pairs.evaluate_word_pairs_detailed(
            self, pairs, delimiter=delimiter, encoding=encoding, restrict_vocab=restrict_vocab,
            case_insensitive=case_insensitive, dummy4unknown=dummy4unknown, metric=metric)

    # ------------------------------------------------------ word2vec format

    def save_word2vec_format(self, fname, fvocab=None, binary=False, *, component=None):
        """Write point vectors, or one component's means, in word2vec format.

        gensim's ``save_word2vec_format(fname, fvocab=None, binary=False)``
        argument order.  The file holds a header line ``"V D"`` followed by
        one entry per word in :attr:`index_to_key` order: in text format
        ``word v1 ... vD`` (float32-exact decimal), in binary format
        ``word``, a space, ``D`` little-endian float32 values and a newline
        (as the original word2vec tool).  gensim's
        ``KeyedVectors.load_word2vec_format`` reads both.  Variances and
        mixture weights are not stored.

        Every file is written atomically by
        :func:`w2gm.persistence.atomic_write` (temporary file, fsync, rename,
        directory fsync), so `fname` either keeps its old content or holds
        the complete new file.  Compression follows the extension (e.g.
        ``.gz``, ``.bz2``) via ``smart_open``.

        Parameters
        ----------
        fname : str or os.PathLike
            Local destination file.
        fvocab : str or os.PathLike, optional
            Also write the vocabulary with counts, one ``word count`` line
            per word in index order (gensim's format; gensim writes in
            descending count order, which is index order for a trained
            model).  Needs :attr:`counts`.
        binary : bool, optional
            Binary instead of text format.
        component : int, optional
            Decision: without it, the point vectors :attr:`vectors` (the
            mixture-weighted mean of the component means, what a gensim user
            expects of one vector per word); with ``k`` (``0 .. K-1``), the
            means of component ``k``, ``means[:, k]``.

        Raises
        ------
        w2gm.exceptions.ComponentIndexError
            (an ``IndexError``) If `component` is not an integer in
            ``0 .. K-1``.
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If `fvocab` is not a path, or is given but
            there are no counts.
        w2gm.exceptions.Word2VecFormatError
            (a ``ValueError``) Before anything is written, if a word is empty,
            contains whitespace (the format separates words from values by a
            space), cannot be encoded as UTF-8 (a lone surrogate) or is longer
            than :data:`MAX_WORD_BYTES` bytes, if a vector holds NaN or
            infinity (the message names the word), or if the vector size is
            above :data:`MAX_VECTOR_SIZE`: :meth:`load_word2vec_format` would
            reject such a file.
        ValueError
            If a path is a URL rather than a local path.
        FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError
            If either path cannot become a file
            (:func:`w2gm.persistence.check_writable_target`: checked for both
            before anything is written).
        """
        if component is not None:
            component = self._check_component(component)
        path = check_writable_target(fname)
        if fvocab is not None and not isinstance(fvocab, (str, bytes, os.PathLike)):
            raise ParameterError(
                f"fvocab must be a path or None, got {fvocab!r} (gensim's argument order is fname, fvocab, "
                f"binary; give a component as component={fvocab!r})"
            )
        # both targets are checked before either file is written
        vocab_path = None if fvocab is None else check_writable_target(fvocab)
        if vocab_path is not None and os.path.abspath(vocab_path) == os.path.abspath(path):
            raise ParameterError(f"fvocab {vocab_path!r} is the vectors file itself; give another path")
        for target in (path, vocab_path):
            if target is not None:
                check_compression_available(target)
        if vocab_path is not None and self.counts is None:
            raise ParameterError(
                f"cannot write the vocabulary file {vocab_path!r}: these mixtures have no counts")
        if self.vector_size > MAX_VECTOR_SIZE:
            raise Word2VecFormatError(
                f"vector size {self.vector_size} is above the maximum of {MAX_VECTOR_SIZE} that "
                f"load_word2vec_format reads"
            )
        encoded = [_encode_word(word) for word in self.index_to_key]
        vectors = self.vectors if component is None else self._means[:, component]
        finite = np.isfinite(vectors).all(axis=1)
        if not finite.all():
            word = self._table.word(int(np.argmin(finite)))
            what = f"point vector of word {word!r}" if component is None else \
                f"mean of word {word!r} (component {component})"
            raise Word2VecFormatError(
                f"the {what} holds a NaN or infinite value, which cannot be written in word2vec format"
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
        if vocab_path is not None:
            with atomic_write(vocab_path) as tmp_path, smart_open.open(tmp_path, "wb") as fout:
                for word, count in zip(encoded, self.counts.tolist()):
                    fout.write(word + b" " + str(count).encode("ascii") + b"\n")

    # ------------------------------------------------------- native file

    def save(self, fname):
        """Save the word mixtures to a pickle-free file; read it back with :meth:`load`.

        The file is the model file's container (:mod:`w2gm.persistence`: a
        NumPy ``.npz`` archive readable with ``allow_pickle=False``, written
        atomically) with format name ``"w2gm-keyed-mixtures"``, so that
        ``Word2GM.load`` refuses it (and this class's :meth:`load` refuses a
        model file) with a :class:`~w2gm.exceptions.ModelFileError` naming
        the right loader.  It holds ``means``, ``log_variances``, ``logits``,
        ``counts`` (if any), the vocabulary and ``meta_json`` (format name
        and version, ``num_mixtures``, ``vector_size``, ``covariance``,
        ``has_counts``).  Derived arrays (:attr:`vectors`, caches) are not
        stored.

        Parameters
        ----------
        fname : str or os.PathLike
            Local file (no extension is added).

        Raises
        ------
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If a parameter is NaN or infinite, or a word
            cannot be encoded as UTF-8 (nothing is written).
        FileNotFoundError
            If the directory of `fname` does not exist.
        """
        path = local_path(fname)
        for name, array in (("means", self._means), ("log_variances", self._log_variances),
                            ("logits", self._logits)):
            if not np.isfinite(array).all():
                raise ParameterError(
                    f"refusing to save {path!r}: array {name!r} holds NaN or infinite values")
        words = self.index_to_key
        try:
            "\n".join(words).encode("utf-8")
        except UnicodeEncodeError:
            bad = next(w for w in words if not is_utf8_encodable(w))
            raise ParameterError(f"refusing to save {path!r}: the word {bad!r} holds a lone surrogate "
                                 f"(not encodable as UTF-8)") from None
        arrays = {"means": self._means, "log_variances": self._log_variances, "logits": self._logits}
        if self.counts is not None:
            arrays["counts"] = self.counts
        meta = {"num_mixtures": self.num_mixtures, "vector_size": self.vector_size,
                "covariance": "diagonal" if self._log_variances.shape[2] != 1 else "spherical",
                "has_counts": self.counts is not None}
        write_model_file(path, arrays, meta, words, format_name=KEYED_MIXTURES_FORMAT)
        logger.info("saved %r to %s", self, path)

    @classmethod
    def load(cls, fname):
        """Load word mixtures written by :meth:`save`.

        The file is untrusted input: the metadata is validated, the arrays'
        declared total size must fit the file, each array's ``.npy`` header
        is checked against the shape and dtype the metadata and vocabulary
        imply before its data is read, and the values are checked (finite
        parameters, non-negative counts); see :mod:`w2gm.persistence` for
        the container checks (no unpickling, bounded decompression).

        Parameters
        ----------
        fname : str or os.PathLike

        Returns
        -------
        KeyedGaussianMixtures

        Raises
        ------
        FileNotFoundError, PermissionError
            If the file does not exist or cannot be read.
        w2gm.exceptions.ModelFileError
            (a ``ValueError``) If the file is not a regular file, is
            truncated, corrupt, crafted or inconsistent, or is a model file
            (the message says to use ``Word2GM.load``); the message names the
            file and the problem.
        """
        path = os.fspath(fname)
        with open_model_file(path, format_name=KEYED_MIXTURES_FORMAT) as archive:
            meta = archive.meta
            k, d = meta.get("num_mixtures"), meta.get("vector_size")
            covariance, has_counts = meta.get("covariance"), meta.get("has_counts")
            for name, value in (("num_mixtures", k), ("vector_size", d)):
                if type(value) is not int or not 1 <= value <= MAX_VECTOR_SIZE:
                    raise archive.error(f"its {name} is {_short_repr(value)}, not an integer in "
                                        f"1..{MAX_VECTOR_SIZE}")
            if covariance not in ("spherical", "diagonal"):
                raise archive.error(
                    f"its covariance is {_short_repr(covariance)}, not 'spherical' or 'diagonal'")
            if type(has_counts) is not bool:
                raise archive.error(f"its has_counts is {_short_repr(has_counts)}, not true or false")
            v = len(archive.words)
            dv = d if covariance == "diagonal" else 1
            expected = {"means": ((v, k, d), np.float32), "log_variances": ((v, k, dv), np.float32),
                        "logits": ((v, k), np.float32)}
            if has_counts:
                expected["counts"] = ((v,), np.int64)
            declared = sum(math.prod(shape) * np.dtype(dtype).itemsize for shape, dtype in expected.values())
            if declared > MAX_EXPANSION * max(1, os.path.getsize(path)):
                raise archive.error(f"its metadata declares {declared} bytes of arrays, more than a file of "
                                    f"{os.path.getsize(path)} bytes can hold")
            arrays = archive.read_arrays(expected)
            for name in ("means", "log_variances", "logits"):
                if not np.isfinite(arrays[name]).all():
                    raise archive.error(f"array {name!r} holds NaN or infinite values")
            counts = arrays.get("counts")
            if counts is not None and (counts < 0).any():
                raise archive.error("array 'counts' holds negative counts")
            try:
                return cls(archive.words, arrays["means"], arrays["log_variances"], arrays["logits"],
                           counts=counts)
            except (ValueError, TypeError) as exc:
                raise archive.error(exc) from None

    def to_keyed_vectors(self, component=None):
        """A gensim ``KeyedVectors`` holding the point vectors or one component's means.

        Parameters
        ----------
        component : int, optional
            None (default): the point vectors :attr:`vectors`; ``k``: the
            means ``means[:, k]``.

        Returns
        -------
        gensim.models.KeyedVectors
            The words in index order, a float32 copy of the vectors, and each
            word's ``"count"`` (``get_vecattr``) when :attr:`counts` is set.
            gensim's own queries on it (``most_similar``,
            ``evaluate_word_analogies``, ``wmdistance`` with POT, ...) then
            work on those vectors.

        Raises
        ------
        ImportError
            If gensim is not installed (the message names the package and the
            ``w2gm[test]`` / ``w2gm[benchmark]`` extras that include it).
        w2gm.exceptions.ComponentIndexError
            (an ``IndexError``) If `component` is not an integer in ``0 .. K-1``.
        """
        if component is not None:
            component = self._check_component(component)
        try:
            from gensim.models import KeyedVectors
        except ImportError as exc:
            raise ImportError(
                "KeyedGaussianMixtures.to_keyed_vectors needs gensim, which is not installed: "
                "pip install gensim (or pip install \"w2gm[benchmark]\")", name="gensim"
            ) from exc
        vectors = self.vectors if component is None else self._means[:, component]
        kv = KeyedVectors(self.vector_size, dtype=np.float32)
        kv.add_vectors(list(self.index_to_key), np.array(vectors, dtype=np.float32))
        if self.counts is not None:
            for word, count in zip(kv.index_to_key, self.counts.tolist()):
                kv.set_vecattr(word, "count", count)
        return kv

    @classmethod
    def from_keyed_vectors(cls, keyed_vectors):
        """One-component mixtures holding a gensim ``KeyedVectors``' vectors (the inverse of
        :meth:`to_keyed_vectors`).

        Each word becomes a mixture of one component (K = 1) whose mean is its
        vector, with unit spherical variance and weight 1; ``max_cos`` is then
        the plain cosine and the point vectors are the vectors, so every query
        and evaluation of this class can be compared with gensim's on the same
        vectors.  Counts are taken from the ``"count"`` attribute when every
        word has a positive one.

        Parameters
        ----------
        keyed_vectors : gensim.models.KeyedVectors
            Any object with ``index_to_key`` (V str) and ``vectors`` ``(V, D)``.

        Returns
        -------
        KeyedGaussianMixtures
            ``means`` ``(V, 1, D)`` float32 (a copy), ``log_variances``
            ``(V, 1, 1)`` and ``logits`` ``(V, 1)`` zeros.

        Raises
        ------
        w2gm.exceptions.ParameterError
            (a ``ValueError``) If the vectors are not a ``(V, D)`` floating
            array matching the words, or hold NaN or infinite values (naming
            the first such word).
        TypeError
            If a word is not a ``str``.
        """
        vectors = np.asarray(keyed_vectors.vectors)
        if vectors.ndim != 2:
            raise ParameterError(f"keyed_vectors.vectors has shape {vectors.shape}, expected (V, D)")
        if np.issubdtype(vectors.dtype, np.floating) and not np.isfinite(vectors).all():
            row = int(np.flatnonzero(~np.isfinite(vectors).all(axis=1))[0])
            raise ParameterError(f"keyed_vectors.vectors holds NaN or infinite values (first in row {row}, "
                                 f"word {keyed_vectors.index_to_key[row]!r})")
        words = list(keyed_vectors.index_to_key)
        v = vectors.shape[0]
        counts = None
        get_vecattr = getattr(keyed_vectors, "get_vecattr", None)
        if get_vecattr is not None and v:
            try:
                counts = [get_vecattr(w, "count") for w in words]
            except (KeyError, ValueError, AttributeError):
                counts = None
            if counts is not None and not all(isinstance(c, numbers.Integral) and c > 0 for c in counts):
                counts = None
        return cls(words, np.array(vectors[:, None, :], dtype=np.float32),
                   np.zeros((v, 1, 1), np.float32), np.zeros((v, 1), np.float32), counts=counts)

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
            (a ``ValueError``) If `paths` is empty, or a path's URI scheme or
            compression needs a package that is not installed.
        w2gm.exceptions.Word2VecFormatError
            (a ``ValueError``) If a path is not a regular file (a FIFO or a
            device, refused before it is opened), or a file breaks the format
            described in the Notes (bad header, truncated, corrupt compressed data, a bad,
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
