"""Readers of the evaluation datasets, and the bundled datasets.

* Word similarity: one ``word1 word2 score`` per line
  (:func:`read_word_pairs`); the eleven datasets of Table 2 of Athiwaratkun &
  Wilson (2017) are bundled in ``w2gm/data/similarity/`` (:data:`BENCHMARKS`,
  :func:`bundled_dataset_path`).
* Lexical entailment: ``hyponym-n<TAB>hypernym-n`` pairs of Baroni et al.
  (2012) (:func:`read_entailment_pairs`).
* Contextual word similarity: the SCWS ``ratings.txt`` of Huang et al. (2012)
  (:func:`read_scws`).
* Word analogies: word2vec's ``questions-words.txt`` format, ``a b c d``
  questions in sections started by ``: name`` lines (:func:`read_analogies`);
  word2vec's Google analogy set is bundled in ``w2gm/data/``
  (:func:`bundled_analogies_path`).

All readers share one line reader (every file is treated as untrusted):

* Text is UTF-8 (a leading byte-order mark is dropped); lines end with LF or
  CRLF; gzip/bz2/xz files are decompressed
  (:func:`w2gm.corpora.open_untrusted`).  Blank lines and lines starting
  with ``#`` are ignored.
* A path that is not a regular file (a FIFO, a device) raises
  :class:`w2gm.exceptions.DatasetFormatError` before it is opened.
* A file that is not such text raises
  :class:`w2gm.exceptions.DatasetFormatError` (a ``ValueError``) naming the
  file and the line: bytes that are not valid UTF-8, a NUL byte (binary
  data), a line longer than :data:`MAX_LINE_BYTES`, or truncated or corrupt
  compressed data.  No item is returned from such a file.
* A text line that does not hold an item (too few columns, a score that is
  not a finite decimal number -- ``nan``, ``inf``, ``1e999``, ``1_0`` --, no
  ``<b>`` marker) is skipped with a ``UserWarning`` naming the number of
  such lines and the first one; a file with no valid item raises
  :class:`w2gm.exceptions.DatasetFormatError`.
"""

import logging
import math
import os
import re
import warnings
from collections import OrderedDict
from typing import NamedTuple

from w2gm.corpora import is_corrupt_data_error, open_untrusted
from w2gm.exceptions import DatasetFormatError, ParameterError

__all__ = [
    "ANALOGIES_FILE",
    "AnalogyQuestions",
    "BENCHMARKS",
    "SCWSPair",
    "WordPairs",
    "bundled_analogies_path",
    "bundled_dataset_path",
    "check_delimiter",
    "read_analogies",
    "read_entailment_pairs",
    "read_scws",
    "read_word_pairs",
]

logger = logging.getLogger(__name__)

#: The eleven word-similarity datasets of Table 2 of the paper, in its order:
#: paper name -> file name in ``w2gm/data/similarity/``.
BENCHMARKS = OrderedDict(
    [
        ("SL", "SimLex-999.txt"),
        ("WS", "EN-WS-353-ALL.txt"),
        ("WS-S", "EN-WS-353-SIM.txt"),
        ("WS-R", "EN-WS-353-REL.txt"),
        ("MEN", "EN-MEN-TR-3k.txt"),
        ("MC", "EN-MC-30.txt"),
        ("RG", "EN-RG-65.txt"),
        ("YP", "EN-YP-130.txt"),
        ("MT-287", "EN-MTurk-287.txt"),
        ("MT-771", "EN-MTurk-771.txt"),
        ("RW", "EN-RW-STANFORD.txt"),
    ]
)

_PACKAGE_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
_DATA_DIR = os.path.join(_PACKAGE_DATA, "similarity")
#: File name of the bundled Google analogy set (word2vec's ``questions-words.txt``) in ``w2gm/data/``.
ANALOGIES_FILE = "questions-words.txt"
_SCORE_COLUMN_NAMES = ("SimLex999",)
_POS_SUFFIX = re.compile(r"-[A-Za-z]$")
# a plain decimal number: no "nan"/"inf", hexadecimal, "_" or non-ASCII digits
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_BOM = b"\xef\xbb\xbf"

#: Longest line of an evaluation dataset file, in bytes; a longer one means
#: the file is not a dataset (SCWS lines, the longest, are a few KB).
MAX_LINE_BYTES = 1 << 20


def bundled_dataset_path(name):
    """Absolute path of one of the bundled word-similarity datasets.

    Parameters
    ----------
    name : str
        Paper name (a key of :data:`BENCHMARKS`, e.g. ``"WS"``, ``"SL"``,
        ``"MT-771"``; case-insensitive) or file name (e.g.
        ``"EN-WS-353-ALL.txt"``).

    Returns
    -------
    str
        Path inside ``w2gm/data/similarity/``.

    Raises
    ------
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `name` is neither a dataset name nor a bundled
        file name (the message lists the names).
    """
    if isinstance(name, str):
        for key, filename in BENCHMARKS.items():
            if name.upper() == key or name == filename:
                return os.path.join(_DATA_DIR, filename)
    raise ParameterError(
        f"unknown dataset {name!r}; bundled datasets are "
        + ", ".join(f"{k} ({f})" for k, f in BENCHMARKS.items())
    )


def bundled_analogies_path():
    """Absolute path of the bundled Google analogy set, word2vec's ``questions-words.txt``.

    19,544 questions ``a b c d`` ("a is to b as c is to d") in 14 sections:
    five semantic ones (``capital-common-countries``, ``capital-world``,
    ``currency``, ``city-in-state``, ``family``) and nine syntactic ones
    (``gram1-adjective-to-adverb`` ... ``gram9-plural-verbs``).  Provenance
    and licence (Apache License 2.0): ``w2gm/data/README.md``.

    Returns
    -------
    str
        Path inside ``w2gm/data/``.
    """
    return os.path.join(_PACKAGE_DATA, ANALOGIES_FILE)


# ------------------------------------------------------------ line reading

def _data_lines(path):
    """Yield ``(line_number, line)`` of the non-blank lines not starting with ``#``.

    Line endings (LF or CRLF) are removed; the line is otherwise as in the
    file.  Streams the file a line at a time; raises
    :class:`DatasetFormatError` naming the file and the line for content that
    is not UTF-8 text (see the module docstring).
    """
    name = os.fspath(path)
    number = 0
    with open_untrusted(name, nonregular_error=DatasetFormatError) as fin:
        while True:
            try:
                raw = fin.readline(MAX_LINE_BYTES + 1)
            except Exception as exc:
                if not is_corrupt_data_error(exc):
                    raise
                raise DatasetFormatError(
                    f"{name}: corrupt or truncated compressed data (while reading line {number + 1}; "
                    f"{type(exc).__name__}: {exc})"
                ) from exc
            if not raw:
                return
            number += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                raise DatasetFormatError(
                    f"{name}: line {number} is longer than {MAX_LINE_BYTES} bytes; not a dataset file"
                )
            if number == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM):]
            nul = raw.find(b"\0")
            if nul != -1:
                raise DatasetFormatError(
                    f"{name}: line {number} holds a NUL byte (at byte {nul} of the line); "
                    f"binary data, not a text dataset"
                )
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DatasetFormatError(
                    f"{name}: line {number} is not valid UTF-8 ({exc.reason} at byte {exc.start} of the "
                    f"line); not a text dataset"
                ) from None
            if line.endswith("\n"):
                line = line[:-1]
            if line.endswith("\r"):
                line = line[:-1]
            stripped = line.lstrip()
            if stripped and not stripped.startswith("#"):
                yield number, line


def _fields(line, delimiter="\t"):
    """Split a stripped data line on `delimiter` if it holds one, else on runs of whitespace."""
    line = line.strip()
    if delimiter and delimiter in line:
        return [f.strip() for f in line.split(delimiter)]
    return line.split()


def check_delimiter(delimiter):
    """`delimiter` if it is None or a non-empty ``str``, else :class:`ParameterError`."""
    if delimiter is not None and (not isinstance(delimiter, str) or not delimiter):
        raise ParameterError(f"delimiter must be a non-empty string or None, got {delimiter!r}")
    return delimiter


def _parse_float(text):
    """`text` as a finite float if it is a plain decimal number, else None."""
    if _NUMBER.fullmatch(text) is None:
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _looks_numeric(text):
    """Whether ``float()`` takes `text` (also ``nan``, ``inf``, ``1_0``): not a header's column name."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _warn_malformed(path, count, first, what):
    """Warn (and log) that `count` malformed lines were skipped, the first at line `first`."""
    if count:
        message = (
            f"{path}: skipped {count} malformed line(s) ({what}); first at line {first}"
        )
        warnings.warn(message, UserWarning, stacklevel=3)
        logger.warning(message)


# ------------------------------------------------------------- word pairs

class WordPairs(NamedTuple):
    """Word pairs read by :func:`read_word_pairs`.

    Attributes
    ----------
    pairs : list of tuple
        ``(word1, word2, score)`` with ``score`` a float, in file order.
    n_malformed : int
        Lines skipped as malformed (too few columns, non-numeric score).
    """

    pairs: list
    n_malformed: int


def _header_score_column(fields):
    """Column of the score if `fields` (the first data line) is a header, else None."""
    if len(fields) >= 3 and not _looks_numeric(fields[2]):
        for name in _SCORE_COLUMN_NAMES:
            if name in fields:
                return fields.index(name)
        return 2
    return None


def read_word_pairs(path, case_insensitive=False, delimiter="\t"):
    """Read a word-similarity dataset: one ``word1 word2 score`` per line.

    Columns are separated by `delimiter` (default a tab, as gensim) in a line
    that holds it, else by runs of whitespace, so that space-separated files
    (three of the bundled ones) read as well; fields are stripped.  LF and
    CRLF line endings are accepted, as is a gzip/bz2 file (via ``smart_open``).
    Blank lines and lines starting with ``#`` are ignored.  If the 3rd
    column of the first data line is not a number, that line is a header:
    the score is then read from the column named ``SimLex999`` when present
    (SimLex-999: ``word1 word2 POS SimLex999 ...``), else from the 3rd.

    Parameters
    ----------
    path : str or os.PathLike
        The dataset file.
    case_insensitive : bool, optional
        Lowercase the words (default False: words as in the file).
    delimiter : str or None, optional
        Column separator of lines that hold it (default ``"\\t"``); None:
        always split on whitespace.

    Returns
    -------
    WordPairs
        ``(pairs, n_malformed)``; ``pairs`` is a list of
        ``(word1, word2, score)``.

    Raises
    ------
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `delimiter` is neither None nor a non-empty string.
    w2gm.exceptions.DatasetFormatError
        (a ``ValueError``) If the file holds no valid pair (e.g. it is
        empty); the message names the file.
        Also, naming the file and the line, if the file is not UTF-8 text
        (invalid UTF-8, a NUL byte, a line longer than
        :data:`MAX_LINE_BYTES`) or its compressed data is truncated or
        corrupt.
    OSError
        If the file cannot be read.

    Warns
    -----
    UserWarning
        If malformed lines (fewer columns than needed, or a non-numeric or
        non-finite score) were skipped; the message gives their number and
        the first offending line number.
    """
    delimiter = check_delimiter(delimiter)
    pairs = []
    malformed = 0
    first_bad = None
    score_col = 2
    seen_data = False
    for number, line in _data_lines(path):
        fields = _fields(line, delimiter)
        if not seen_data:
            seen_data = True
            header_col = _header_score_column(fields)
            if header_col is not None:
                score_col = header_col
                continue
        score = _parse_float(fields[score_col]) if len(fields) > score_col else None
        if len(fields) < 3 or score is None or not fields[0] or not fields[1]:
            malformed += 1
            if first_bad is None:
                first_bad = number
            continue
        w1, w2 = fields[0], fields[1]
        if case_insensitive:
            w1, w2 = w1.lower(), w2.lower()
        pairs.append((w1, w2, score))
    if not pairs:
        raise DatasetFormatError(f"{os.fspath(path)}: no valid word pair (word1 word2 score) found")
    _warn_malformed(os.fspath(path), malformed, first_bad, "need 'word1 word2 score' with a numeric score")
    return WordPairs(pairs, malformed)


# ------------------------------------------------------------- entailment

def read_entailment_pairs(path, case_insensitive=False):
    """Read entailment pairs in the Baroni et al. (2012) format.

    One pair a line, ``hyponym-n<TAB>hypernym-n`` (tabs or spaces; further
    columns are ignored); a single-letter part-of-speech suffix ``-x``
    (``-n``, ``-v``, ``-j``, ...) is stripped from each word.  Blank lines and
    ``#`` comments are ignored.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    case_insensitive : bool, optional
        Lowercase the words.

    Returns
    -------
    list of tuple
        ``(hyponym, hypernym)`` pairs in file order.

    Raises
    ------
    w2gm.exceptions.DatasetFormatError
        (a ``ValueError``) If the file holds no pair; the message names the
        file.
        Also, naming the file and the line, if the file is not UTF-8 text
        (invalid UTF-8, a NUL byte, a line longer than
        :data:`MAX_LINE_BYTES`) or its compressed data is truncated or
        corrupt.

    Warns
    -----
    UserWarning
        If lines with fewer than two columns were skipped.
    """
    pairs = []
    malformed = 0
    first_bad = None
    for number, line in _data_lines(path):
        fields = _fields(line)
        if len(fields) < 2 or not fields[0] or not fields[1]:
            malformed += 1
            first_bad = first_bad or number
            continue
        w1 = _POS_SUFFIX.sub("", fields[0])
        w2 = _POS_SUFFIX.sub("", fields[1])
        if case_insensitive:
            w1, w2 = w1.lower(), w2.lower()
        pairs.append((w1, w2))
    if not pairs:
        raise DatasetFormatError(f"{os.fspath(path)}: no entailment pair (hyponym<TAB>hypernym) found")
    _warn_malformed(os.fspath(path), malformed, first_bad, "need two columns")
    return pairs


# ------------------------------------------------------------------- SCWS

class SCWSPair(NamedTuple):
    """One SCWS item: two words, each in its own context, and the mean rating."""

    word1: str
    context1: list
    position1: int
    word2: str
    context2: list
    position2: int
    rating: float


def _locate_target(context):
    """Tokens of a context without the ``<b> ... </b>`` markers, and the target's position."""
    tokens = context.split()
    try:
        start = tokens.index("<b>")
    except ValueError:
        return None, None
    clean = tokens[:start] + [t for t in tokens[start + 1:] if t not in ("<b>", "</b>")]
    if start >= len(clean):
        return None, None
    return clean, start


def _scws_item(line):
    """The :class:`SCWSPair` of one tab-separated SCWS line, or None if it is malformed."""
    fields = line.rstrip("\r\n").split("\t")
    if len(fields) < 8:
        return None
    rating = _parse_float(fields[7].strip())
    ctx1, pos1 = _locate_target(fields[5])
    ctx2, pos2 = _locate_target(fields[6])
    if rating is None or ctx1 is None or ctx2 is None:
        return None
    return SCWSPair(fields[1].strip(), ctx1, pos1, fields[3].strip(), ctx2, pos2, rating)


def read_scws(path):
    """Read the Stanford Contextual Word Similarities dataset (Huang et al. 2012).

    Tab-separated lines: id, word1, POS1, word2, POS2, context1, context2,
    average rating, then the ten individual ratings (ignored).  The target
    word is marked ``<b> word </b>`` in its (tokenised) context.

    Parameters
    ----------
    path : str or os.PathLike
        The ``ratings.txt`` file.

    Returns
    -------
    list of SCWSPair
        With the contexts as token lists (markers removed) and the target's
        token position in each.

    Raises
    ------
    w2gm.exceptions.DatasetFormatError
        (a ``ValueError``) If the file holds no valid item; the message
        names the file.
        Also, naming the file and the line, if the file is not UTF-8 text
        (invalid UTF-8, a NUL byte, a line longer than
        :data:`MAX_LINE_BYTES`) or its compressed data is truncated or
        corrupt.

    Warns
    -----
    UserWarning
        If lines with fewer than 8 columns, a rating that is not a finite
        decimal number or no ``<b>`` marker were skipped.
    """
    items = []
    malformed = 0
    first_bad = None
    for number, line in _data_lines(path):
        item = _scws_item(line)
        if item is None:
            malformed += 1
            first_bad = first_bad or number
            continue
        items.append(item)
    if not items:
        raise DatasetFormatError(f"{os.fspath(path)}: no valid SCWS item found")
    _warn_malformed(os.fspath(path), malformed, first_bad,
                    "need 8+ tab-separated columns, a numeric rating and <b> word </b> in both contexts")
    return items


# -------------------------------------------------------------- analogies

class AnalogyQuestions(NamedTuple):
    """Questions read by :func:`read_analogies`.

    Attributes
    ----------
    sections : list of tuple
        ``(name, questions)`` in file order; ``questions`` is a list of
        ``(line_number, a, b, c, d)`` ("a is to b as c is to d").  Sections
        without questions are kept.
    n_malformed : int
        Question lines skipped because they do not hold exactly four words.
    """

    sections: list
    n_malformed: int


def read_analogies(path, case_insensitive=False):
    """Read word analogies in word2vec's ``questions-words.txt`` format.

    A line starting with ``": "`` starts a section, named by the rest of the
    line; every other line is a question of four whitespace-separated words
    ``a b c d``, meaning ``a:b::c:d``.  Blank lines and lines starting with
    ``#`` are ignored (shared line reader; gensim reads them as questions).

    Parameters
    ----------
    path : str or os.PathLike
        The file (gzip/bz2/xz decompressed by extension).
    case_insensitive : bool, optional
        Uppercase the words, as gensim's ``evaluate_word_analogies`` does
        (default False: words as in the file).

    Returns
    -------
    AnalogyQuestions

    Raises
    ------
    w2gm.exceptions.DatasetFormatError
        (a ``ValueError``) Naming the file and the line, if a question comes
        before the first section line (gensim raises ``ValueError`` too) or
        the file is not UTF-8 text (invalid UTF-8, a NUL byte, a line longer
        than :data:`MAX_LINE_BYTES`, corrupt compressed data); naming the
        file, if it holds no question at all.
    OSError
        If the file cannot be read.

    Warns
    -----
    UserWarning
        If question lines without exactly four words were skipped (gensim
        skips them with a log line); the message gives their number and the
        first line number.
    """
    name = os.fspath(path)
    sections = []
    malformed = 0
    first_bad = None
    n_questions = 0
    for number, line in _data_lines(path):
        if line.startswith(": "):
            sections.append((line.lstrip(": ").strip(), []))
            continue
        if not sections:
            raise DatasetFormatError(
                f"{name}: line {number} is a question before the first section line (': name'); "
                f"not a word-analogy file"
            )
        words = line.split()
        if len(words) != 4:
            malformed += 1
            first_bad = first_bad or number
            continue
        if case_insensitive:
            words = [w.upper() for w in words]
        sections[-1][1].append((number, *words))
        n_questions += 1
    if not n_questions:
        raise DatasetFormatError(f"{name}: no analogy question (a b c d) found")
    _warn_malformed(name, malformed, first_bad, "need four words 'a b c d'")
    return AnalogyQuestions(sections, malformed)
