"""Export Gaussian-mixture components for the TensorBoard Embedding Projector and spreadsheets.

No TensorFlow is needed: the projector (TensorBoard's "Projector" tab, or the
standalone https://projector.tensorflow.org, "Load" button) reads plain
tab-separated files.

:func:`write_projector` writes a directory with

``tensors.tsv``
    One row per mixture component, ``V * K`` rows in the order word 0
    component 0, word 0 component 1, ..., word ``V-1`` component ``K-1``;
    each row holds the ``D`` values of the component mean ``mu[w, k]``
    separated by tabs (float32-exact decimals, ``%.9g``), no header.
``metadata.tsv``
    A header line and one row per component, in the same order, with the
    columns ``label`` (``word:k``), ``word``, ``component`` (``k``),
    ``weight`` (the mixture weight ``p[w, k]``), ``variance`` (the spherical
    variance, or for a diagonal covariance the mean of the ``D`` variances)
    and ``count`` (the word's corpus count; empty when the mixtures have no
    counts).  The projector requires the header when there is more than one
    column.
``projector_config.pbtxt``
    The projector's text-format configuration,
    ``embeddings { tensor_name: "w2gm components" tensor_path: "tensors.tsv"
    metadata_path: "metadata.tsv" }``, so that TensorBoard started with
    ``--logdir`` on the directory finds the files; the paths are relative to
    the directory.

:func:`write_tsv` writes the same components as one table for spreadsheet
users: a header ``label word component weight variance count mean_0 ...
mean_{D-1}`` and one row per component.

Decisions:

* **Words with tabs or line breaks are escaped**, not refused: a model may
  hold any ``str`` as a word (built by hand, or trained on a tokeniser that
  keeps such characters), and an export should not fail on one word.  In the
  ``label`` and ``word`` fields, a backslash becomes ``\\\\``, a tab ``\\t``, a
  line feed ``\\n``, a carriage return ``\\r``, and every other character
  that ``str.splitlines`` treats as a line break (``\\x0b``, ``\\x0c``,
  ``\\x1c``-``\\x1e``, ``\\x85``, ``\\u2028``, ``\\u2029``) and every lone
  surrogate (not encodable as UTF-8) becomes ``\\xNN`` or ``\\uNNNN``, as in
  a Python string literal.  Other words are written unchanged.
  :func:`unescape_field` reverses the escaping exactly.
* The files are UTF-8; every file is written atomically
  (:func:`w2gm.persistence.atomic_write`), so a reader sees either the old or
  the complete new file; the three files of :func:`write_projector` are
  replaced one after the other (``projector_config.pbtxt`` last).
* Mixtures holding a NaN or infinite mean, variance or weight are refused
  (:class:`w2gm.exceptions.ParameterError`) before anything is written: the
  projector cannot place such a point.
"""

import itertools
import numbers
import os
import re

import numpy as np
import smart_open

from w2gm.exceptions import ParameterError
from w2gm.persistence import atomic_write, check_compression_available, check_writable_target, local_path

__all__ = ["CONFIG_FILE", "METADATA_COLUMNS", "METADATA_FILE", "TENSOR_NAME", "TENSORS_FILE",
           "check_limit", "component_table", "escape_field", "unescape_field", "write_projector", "write_tsv"]

#: File names written by :func:`write_projector`.
TENSORS_FILE = "tensors.tsv"
METADATA_FILE = "metadata.tsv"
CONFIG_FILE = "projector_config.pbtxt"
#: The ``tensor_name`` in ``projector_config.pbtxt`` (shown in the projector's menu).
TENSOR_NAME = "w2gm components"
#: Columns of ``metadata.tsv`` (and the first columns of :func:`write_tsv`).
METADATA_COLUMNS = ("label", "word", "component", "weight", "variance", "count")

# characters escaped in a text field: the backslash, the field separator and every line break
# of str.splitlines, plus lone surrogates (not encodable as UTF-8)
_NEEDS_ESCAPE = re.compile("[\\\\\t\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029\ud800-\udfff]")
_SHORT_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_ESCAPE_SEQUENCE = re.compile(r"\\(?:\\|t|n|r|x[0-9a-f]{2}|u[0-9a-f]{4})")
_SHORT_UNESCAPES = {v: k for k, v in _SHORT_ESCAPES.items()}


def _escape_char(match):
    char = match.group()
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_field(text):
    """`text` with the backslash, tab, line breaks and lone surrogates escaped (see the module notes).

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        Safe to write as one field of a UTF-8 TSV line.
    """
    return _NEEDS_ESCAPE.sub(_escape_char, text)


def _unescape_sequence(match):
    seq = match.group()
    if seq in _SHORT_UNESCAPES:
        return _SHORT_UNESCAPES[seq]
    return chr(int(seq[2:], 16))


def unescape_field(text):
    """Inverse of :func:`escape_field`: ``unescape_field(escape_field(s)) == s`` for every ``str``."""
    return _ESCAPE_SEQUENCE.sub(_unescape_sequence, text)


def check_limit(limit):
    """`limit` as None or an int >= 1; ParameterError otherwise."""
    if limit is None:
        return None
    if not isinstance(limit, numbers.Integral) or isinstance(limit, (bool, np.bool_)) or limit < 1:
        raise ParameterError(f"limit must be None or a positive integer, got {limit!r}")
    return int(limit)


def component_table(wv, limit=None):
    """The per-component columns of the exports, as arrays in row order (word-major, then component).

    Parameters
    ----------
    wv : w2gm.KeyedGaussianMixtures
        The word mixtures (``model.wv``).
    limit : int, optional
        Only the first `limit` words in vocabulary order (the most frequent
        ones when the vocabulary is sorted, the default); None: every word.

    Returns
    -------
    dict
        ``"means"`` ``(V * K, D)`` float32, ``"word_index"`` and
        ``"component"`` ``(V * K,)`` int64, ``"weight"`` and ``"variance"``
        ``(V * K,)`` float64 (the spherical variance, or the mean of the
        diagonal variances), ``"count"`` ``(V * K,)`` int64 or None; with
        `limit`, ``V`` is ``min(limit, len(wv))``.

    Raises
    ------
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If a mean, variance or weight is NaN or infinite
        (the message names the word and the component), or `limit` is not
        None or a positive integer.
    """
    limit = check_limit(limit)
    total_words, num_mixtures, vector_size = wv.means.shape
    num_words = total_words if limit is None else min(limit, total_words)
    means = np.ascontiguousarray(wv.means[:num_words]).reshape(num_words * num_mixtures, vector_size)
    weight = np.asarray(wv.mixture_weights[:num_words], dtype=np.float64).reshape(-1)
    variance = np.exp(wv.log_variances[:num_words].astype(np.float64)).mean(axis=2).reshape(-1)
    finite = np.isfinite(means).all(axis=1) & np.isfinite(weight) & np.isfinite(variance)
    if not finite.all():
        row = int(np.argmin(finite))
        word = wv.index_to_key[row // num_mixtures]
        raise ParameterError(f"component {row % num_mixtures} of word {word!r} has a NaN or infinite "
                             f"mean, variance or weight and cannot be exported")
    word_index = np.repeat(np.arange(num_words, dtype=np.int64), num_mixtures)
    component = np.tile(np.arange(num_mixtures, dtype=np.int64), num_words)
    count = None if wv.counts is None else np.repeat(wv.counts[:num_words].astype(np.int64), num_mixtures)
    return {"means": means, "word_index": word_index, "component": component, "weight": weight,
            "variance": variance, "count": count}


def _metadata_lines(wv, table):
    """Yield the metadata fields of every row, as one tab-joined ``str`` (no newline)."""
    words = [escape_field(word) for word in wv.index_to_key]
    counts = table["count"]
    for row, (w, k, p, var) in enumerate(zip(table["word_index"].tolist(), table["component"].tolist(),
                                             table["weight"].tolist(), table["variance"].tolist())):
        count = "" if counts is None else str(int(counts[row]))
        yield f"{words[w]}:{k}\t{words[w]}\t{k}\t{p:.9g}\t{var:.9g}\t{count}"


def _value_lines(means):
    row_format = "\t".join(["%.9g"] * means.shape[1])
    for row in means.tolist():
        yield row_format % tuple(row)


def _write_lines(path, lines, compress=False):
    # compress: by the name's extension, as smart_open does (the temporary keeps the extension)
    opener = smart_open.open if compress else open
    with atomic_write(path) as tmp, opener(tmp, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line)
            f.write("\n")


def _prepare_directory(directory):
    directory = local_path(directory)
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise ParameterError(f"cannot write the projector files into {directory!r}: it exists and is "
                             f"not a directory")
    return directory


def write_projector(wv, directory, limit=None):
    """Write the components of `wv` for the TensorBoard Embedding Projector (no TensorFlow needed).

    Writes ``tensors.tsv``, ``metadata.tsv`` and ``projector_config.pbtxt``
    into `directory` (see the module docstring for their content); each file
    is replaced atomically.  Load them in https://projector.tensorflow.org
    ("Load": the two ``.tsv`` files) or run ``tensorboard --logdir DIRECTORY``.

    Parameters
    ----------
    wv : w2gm.KeyedGaussianMixtures
        The word mixtures, ``V`` words of ``K`` components in ``D``
        dimensions: ``V * K`` rows are written.
    directory : str or os.PathLike
        Local directory, created (with its parents) if missing.
    limit : int, optional
        Write only the first `limit` words (the most frequent with the
        default sorted vocabulary): the web projector stays responsive up to
        some tens of thousands of points.  None (default): every word.

    Returns
    -------
    dict of str to str
        The paths written, keyed ``"tensors"``, ``"metadata"``, ``"config"``.

    Raises
    ------
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `directory` exists and is not a directory, is
        a URL, `limit` is not None or a positive integer, or a component
        holds a NaN or infinite value (nothing is written).
    OSError
        If the directory cannot be created or written.
    """
    directory = _prepare_directory(directory)
    table = component_table(wv, limit)  # validates before anything is written
    os.makedirs(directory, exist_ok=True)
    paths = {"tensors": os.path.join(directory, TENSORS_FILE),
             "metadata": os.path.join(directory, METADATA_FILE),
             "config": os.path.join(directory, CONFIG_FILE)}
    _write_lines(paths["tensors"], _value_lines(table["means"]))
    _write_lines(paths["metadata"], itertools.chain(["\t".join(METADATA_COLUMNS)],
                                                    _metadata_lines(wv, table)))
    _write_lines(paths["config"], [
        "embeddings {",
        f'  tensor_name: "{TENSOR_NAME}"',
        f'  tensor_path: "{TENSORS_FILE}"',
        f'  metadata_path: "{METADATA_FILE}"',
        "}",
    ])
    return paths


def write_tsv(wv, path, limit=None):
    """Write one tab-separated table of every component, with a header, for spreadsheets.

    Columns: ``label`` (``word:k``), ``word``, ``component``, ``weight``,
    ``variance`` (spherical, or the mean of the diagonal variances),
    ``count`` (empty without counts), then ``mean_0`` .. ``mean_{D-1}``;
    ``V * K`` rows, word-major.  Words are escaped as described in the module
    docstring.  Written atomically, UTF-8, compressed as the name's
    extension says (``.gz``, ``.bz2``, ``.xz``; via ``smart_open``, as
    :meth:`~w2gm.KeyedGaussianMixtures.save_word2vec_format` does).

    Parameters
    ----------
    wv : w2gm.KeyedGaussianMixtures
        The word mixtures.
    path : str or os.PathLike
        Local destination file.
    limit : int, optional
        Write only the first `limit` words (vocabulary order); None: all.

    Raises
    ------
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `path` is a URL, its extension asks for a
        compression whose package is not installed (``.zst``, ``.lz4``),
        `limit` is not None or a positive integer, or a component holds a
        NaN or infinite value (nothing is written).
    FileNotFoundError
        If the directory of `path` does not exist.
    IsADirectoryError
        If `path` is a directory.
    """
    path = check_writable_target(path)  # before the work
    check_compression_available(path)
    table = component_table(wv, limit)
    header = "\t".join([*METADATA_COLUMNS, *(f"mean_{d}" for d in range(wv.vector_size))])
    lines = (f"{meta}\t{values}" for meta, values in zip(_metadata_lines(wv, table),
                                                            _value_lines(table["means"])))
    _write_lines(path, itertools.chain([header], lines), compress=True)
    return path
