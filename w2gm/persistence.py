"""Files w2gm writes and reads: one atomic writer, and the model file format.

Atomic writes (:func:`atomic_write`)
    Every file the package writes (the model, word2vec exports, any later
    export) goes through :func:`atomic_write`: the content is written to a
    temporary file in the target's directory, named
    ``<target name>.w2gm-tmp-<host>-<pid>-<random><extension>`` (the extension is
    kept so that ``smart_open`` compresses ``.gz``/``.bz2`` targets), flushed
    to disk with ``fsync``, given the target's permissions (an existing
    file's mode, else ``0o666`` minus the umask), renamed over the target with
    ``os.replace`` and the directory entry is flushed with an ``fsync`` of the
    directory.  The target therefore holds either its old content or the
    complete new file, also after a power failure.  On any exception,
    ``KeyboardInterrupt`` included, the temporary is removed.  A process
    killed with SIGKILL cannot remove its temporary: the next write to the
    same target removes such leftovers of processes of this host that no
    longer run (a temporary of another host, e.g. on a network drive, is left
    alone: its writer's pid cannot be checked from here).

Model files (:func:`write_model_file`, :func:`open_model_file`)
    A NumPy ``.npz`` archive, readable with ``allow_pickle=False``: one member
    per array plus two JSON documents stored as UTF-8 bytes, ``meta_json``
    (format name and version, settings, training state) and ``vocab_json``
    (the words in index order).  The format name tells the two kinds of file
    apart: ``"w2gm-model"`` (:data:`FORMAT_NAME`, a whole
    :class:`w2gm.Word2GM`, by ``Word2GM.save``) and ``"w2gm-keyed-mixtures"``
    (:data:`KEYED_MIXTURES_FORMAT`, the word mixtures alone, by
    :meth:`w2gm.KeyedGaussianMixtures.save`); opening one kind as the other is
    a :class:`w2gm.exceptions.ModelFileError` that says which loader to use.
    :class:`w2gm.Word2GM` (or :class:`w2gm.KeyedGaussianMixtures`) decides
    which arrays a file has (their shapes follow from the metadata and the
    vocabulary size) and validates their values; this module reads and writes
    the container.
    A model file is untrusted input: :class:`ModelArchive` reads only the
    members it is asked for, checks each member's ``.npy`` header (dtype,
    shape, declared size) before reading its data, refuses decompression
    bombs, never unpickles, and turns every way of failing into
    :class:`w2gm.exceptions.ModelFileError` naming the file.
"""

import contextlib
import hashlib
import io
import json
import logging
import lzma
import math
import os
import stat
import struct
import sys
import tempfile
import tokenize
import zipfile
import zlib

import numpy as np
import smart_open.compression

from w2gm.exceptions import ModelFileError, ParameterError

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "KEYED_MIXTURES_FORMAT", "MAX_EXPANSION", "MAX_META_BYTES",
           "MAX_VOCAB_BYTES", "TEMP_MARKER", "ModelArchive", "atomic_write", "check_compression_available",
           "check_writable_target", "local_path", "open_model_file", "remove_stale_temporaries",
           "temp_prefix", "write_model_file"]

logger = logging.getLogger(__name__)

FORMAT_NAME = "w2gm-model"
#: Format name of a file written by :meth:`w2gm.KeyedGaussianMixtures.save` (the word mixtures only).
KEYED_MIXTURES_FORMAT = "w2gm-keyed-mixtures"
FORMAT_VERSION = 1
#: Part of every temporary file name, between the target's name and the writer's pid.
TEMP_MARKER = ".w2gm-tmp-"
# each known format: what it is called, who writes it, and how to load it (for the message when the
# wrong loader is used)
_FORMATS = {
    FORMAT_NAME: ("w2gm model file", "Word2GM.save", "Word2GM.load (its .wv holds the word mixtures)"),
    KEYED_MIXTURES_FORMAT: ("w2gm keyed-mixtures file", "KeyedGaussianMixtures.save, the word mixtures "
                            "only", "KeyedGaussianMixtures.load"),
}
# bytes of the target's name kept in a temporary's name (the whole name must fit in 255 bytes)
_MAX_NAME_BYTES = 100
# longest extension kept (".gz", ".bz2", ".npz", ".txt", ...)
_MAX_SUFFIX_CHARS = 8


def local_path(path):
    """``path`` as a ``str``; raise :class:`ParameterError` (a ``ValueError``) for a URL.

    Atomic replacement needs a local file.
    """
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if "://" in path:
        raise ParameterError(f"atomic writes need a local filesystem path, got {path!r}")
    return path


def _new_file_mode(path):
    """Mode for a file at ``path``: the existing file's, else 0o666 minus the umask."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _host_tag():
    return hashlib.sha256(os.uname().nodename.encode() if hasattr(os, "uname") else b"").hexdigest()[:8]


def temp_prefix(path):
    """``<target name cut to 100 bytes>.w2gm-tmp-<host>-``: what every temporary of ``path`` starts with."""
    # cut in bytes, dropping a character split by the cut
    name = os.fsencode(os.path.basename(path))[:_MAX_NAME_BYTES].decode(sys.getfilesystemencoding(),
                                                                         "ignore")
    return name + TEMP_MARKER + _host_tag() + "-"


def _temp_suffix(path):
    suffix = os.path.splitext(path)[1]
    return suffix if len(suffix) <= _MAX_SUFFIX_CHARS else ""


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return pid > 0
    return True


def remove_stale_temporaries(path):
    """Remove temporaries of ``path`` left by writer processes that no longer run.

    Only files named by :func:`atomic_write` for this target (or another
    target whose name has the same first 100 bytes) on this host are
    considered, and only those whose writer pid is not a running process (a
    live writer, in this process or another, keeps its temporary).

    Returns
    -------
    list of str
        The removed files.
    """
    directory = os.path.dirname(os.path.abspath(path))
    prefix = temp_prefix(path)
    removed = []
    try:
        entries = os.listdir(directory)
    except OSError:
        return removed
    for entry in entries:
        if not entry.startswith(prefix):
            continue
        pid_text = entry[len(prefix):].split("-", 1)[0]
        if not pid_text.isdigit() or _pid_alive(int(pid_text)):
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(directory, entry))
            removed.append(entry)
            logger.info("removed %s, left by an interrupted write of %s", entry, path)
    return removed


def _fsync_file(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(directory):
    """Flush a directory entry; best effort (some systems cannot open or fsync a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_writable_target(path):
    """Check that ``path`` can become a file, before any work; return it as a ``str``.

    Besides the path's form, it creates and removes an empty file in the
    target's directory (named like :func:`atomic_write`'s temporaries, so an
    interrupted check leaves nothing :func:`remove_stale_temporaries` would
    not remove): whether a directory takes a new file is only known by trying
    (permissions, read-only or pseudo file systems, the superuser).

    Raises
    ------
    FileNotFoundError
        If ``path`` is empty or the directory of ``path`` does not exist.
    NotADirectoryError
        If what ``path`` names as its directory is not a directory.
    IsADirectoryError
        If ``path`` is a directory or ends with a path separator.
    FileExistsError
        If ``path`` exists and is neither a regular file nor a symbolic link
        (a device, a FIFO, a socket: replacing it would remove it).
    PermissionError, OSError
        If no file can be created in the directory of ``path``, or the name
        is too long (the message names ``path``).
    ParameterError
        (a ``ValueError``) if ``path`` is a URL.
    """
    path = local_path(path)
    if not path:
        raise FileNotFoundError("cannot write '': the path is empty")
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot write {path!r}: it is a directory")
    if path.endswith(tuple(sep for sep in (os.sep, os.altsep) if sep)):
        raise IsADirectoryError(f"cannot write {path!r}: a file name cannot end with a path separator")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        if os.path.exists(directory):
            raise NotADirectoryError(f"cannot write {path!r}: {directory!r} is not a directory")
        raise FileNotFoundError(f"cannot write {path!r}: no such directory {directory!r}")
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:  # e.g. a name too long for the file system
        raise type(exc)(f"cannot write {path!r}: {exc.strerror}") from None
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise FileExistsError(f"cannot write {path!r}: it exists and is not a regular file (a device, "
                              f"FIFO or socket would be replaced)")
    try:
        fd, probe = tempfile.mkstemp(dir=directory, prefix=f"{temp_prefix(path)}{os.getpid()}-",
                                     suffix=".probe")
    except OSError as exc:
        raise type(exc)(f"cannot write {path!r}: no file can be created in {directory!r} "
                        f"({exc.strerror})") from None
    try:
        os.close(fd)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(probe)
    return path


def check_compression_available(path):
    """Raise if `path`'s extension asks smart_open for a compression whose package is missing.

    smart_open picks a compression from the file name (``.gz``, ``.bz2``,
    ``.xz``, ``.zst``, ``.lz4`` ...) and imports its package only when a file
    is opened; writers call this before any work so that a missing package
    does not surface after training or after another file was replaced.

    Raises
    ------
    w2gm.exceptions.ParameterError
        (a ``ValueError``) naming `path` and the package's import error.
    """
    try:
        stream = smart_open.compression.compression_wrapper(io.BytesIO(), "wb", filename=os.fspath(path))
    except ImportError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ParameterError(f"cannot write {path!r}: its extension asks for a compression whose package "
                             f"is not installed ({reason}); install it, or use .gz, .bz2 or .xz") from None
    stream.close()


@contextlib.contextmanager
def atomic_write(path):
    """Context manager: yield a temporary path; on success it becomes ``path`` atomically.

    The caller writes the whole file to the yielded path (any way it likes:
    ``open``, ``smart_open.open``, ``np.savez``) and closes it inside the
    ``with`` block.  See the module docstring for the guarantees.

    Parameters
    ----------
    path : str or os.PathLike
        The local target file.

    Yields
    ------
    str
        The temporary file, in the target's directory, already created empty.

    Raises
    ------
    FileNotFoundError, NotADirectoryError, IsADirectoryError, FileExistsError, PermissionError, OSError
        Before anything is written, as :func:`check_writable_target` says
        (an empty path, a missing directory, a directory or a device as the
        target, a directory that takes no new file).
    ParameterError
        (a ``ValueError``) if ``path`` is a URL.
    """
    path = check_writable_target(path)
    directory = os.path.dirname(os.path.abspath(path))
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f"{temp_prefix(path)}{os.getpid()}-",
                               suffix=_temp_suffix(path))
    os.close(fd)
    try:
        yield tmp
        # the final mode only now: a read-only mode set before the caller reopens the file
        # would make its open() fail
        os.chmod(tmp, _new_file_mode(path))
        _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _json_member(document):
    return np.frombuffer(json.dumps(document, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)


def write_model_file(path, arrays, meta, words, format_name=FORMAT_NAME):
    """Write a model file atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Target file (any name; no extension is added).
    arrays : dict of str to numpy.ndarray
        The archive's array members.
    meta : dict
        JSON-serialisable metadata; ``format`` and ``version`` are added.
    words : list of str
        The vocabulary in index order.
    format_name : str, optional
        :data:`FORMAT_NAME` (a model) or :data:`KEYED_MIXTURES_FORMAT` (word
        mixtures only).
    """
    meta = dict(meta, format=format_name, version=FORMAT_VERSION)
    members = dict(arrays, meta_json=_json_member(meta), vocab_json=_json_member(words))
    with atomic_write(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **members)


# ------------------------------------------------------------------ reading model files
#: Largest ``meta_json`` member accepted (bytes).
MAX_META_BYTES = 16 * 2**20
#: Largest ``vocab_json`` member accepted (bytes; 2 GiB is about 200 million words).
MAX_VOCAB_BYTES = 2**31
#: Longest ``.npy`` header accepted (bytes; NumPy writes 128 or fewer for these arrays).
MAX_HEADER_BYTES = 10_000
#: A compressed member may expand at most this many times (``np.savez`` stores members
#: uncompressed; this refuses decompression bombs in hand-made or re-packed files).
MAX_EXPANSION = 100
# bytes read at a time into an array
_READ_CHUNK = 1 << 24
# what reading untrusted bytes through zipfile, zlib/bz2/lzma, numpy's header parser and json
# can raise; every one of them means the file is not a valid model file.  MemoryError is not
# among them: every size is bounded by the checks before it is allocated, so running out of
# memory is the machine's limit for a model that size, not a sign of a corrupt file.
_CORRUPT_FILE_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, ValueError,
                        SyntaxError, TypeError, KeyError, IndexError, OverflowError, RecursionError,
                        NotImplementedError, RuntimeError, struct.error, tokenize.TokenError)


def _short(text, limit=200):
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "..."


def _open_regular_file(path):
    """Open ``path`` for reading if it is a regular file (a FIFO or a device would block or never end)."""
    try:
        # O_NONBLOCK: opening a FIFO without a writer returns at once instead of waiting for ever
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise FileNotFoundError(f"no such model file: {path!r}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ModelFileError(f"{path!r} is not a regular file, so not a w2gm model file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


class ModelArchive:
    """An open model file whose metadata and vocabulary have been read and checked.

    The arrays are read only on request, by :meth:`read_arrays`, each after
    its ``.npy`` header has been checked against the shape and dtype the
    caller expects; members nobody asks for are never decompressed.  Every way
    a file can be corrupt (truncation, bit flips, a foreign or hand-crafted
    archive, a decompression bomb) ends in :class:`ModelFileError` naming the
    file and the problem.  Use as a context manager (:func:`open_model_file`).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    format_name : str, optional
        The format the file must have: :data:`FORMAT_NAME` (a model, the
        default) or :data:`KEYED_MIXTURES_FORMAT`.

    Attributes
    ----------
    path : str
        The file.
    meta : dict
        The metadata document (format name and version checked).
    words : list of str
        The vocabulary in index order: distinct strings, each encodable as UTF-8.
    """

    def __init__(self, path, format_name=FORMAT_NAME):
        self.path = os.fspath(path)
        self.format_name = format_name
        if os.path.isdir(self.path):
            raise ModelFileError(f"{self.path!r} is a directory, not a w2gm model file")
        self._file = _open_regular_file(self.path)
        try:
            with self._reading("not a zip-based .npz archive"):
                self._zip = zipfile.ZipFile(self._file)
                self._members = self._index_members()
            self.meta = self._read_meta()
            self.words = self._read_words()
        except BaseException:
            self._file.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        """Close the file."""
        self._zip.close()
        self._file.close()

    def error(self, problem):
        """A :class:`ModelFileError` naming the file and ``problem``."""
        return ModelFileError(f"{self.path!r} is not a valid w2gm model file: {problem}")

    @contextlib.contextmanager
    def _reading(self, what):
        try:
            yield
        except ModelFileError:
            raise
        except _CORRUPT_FILE_ERRORS as exc:
            raise self.error(f"{what} ({type(exc).__name__}: {_short(exc)})") from None

    def _index_members(self):
        """Member name (without ``.npy``) -> ZipInfo; duplicate names are refused."""
        members = {}
        for info in self._zip.infolist():
            name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            if name in members:
                raise self.error(f"member {_short(name)!r} appears twice")
            members[name] = info
        return members

    def _check_sizes(self, name, info):
        """Refuse a member whose zip sizes lie or expand too much, before reading any of it."""
        # the compressed data must fit between the member's local header and the next entry
        # (zipfile trusts compress_size; older Pythons do not check overlapping entries)
        limit = min((i.header_offset for i in self._zip.infolist() if i.header_offset > info.header_offset),
                    default=self._zip.start_dir)
        if info.header_offset + info.compress_size > limit:
            raise self.error(f"member {name!r} declares {info.compress_size} compressed bytes, more than "
                             "the archive holds for it")
        if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
            raise self.error(f"member {name!r} is stored uncompressed but declares {info.file_size} bytes "
                             f"in {info.compress_size}")
        if info.compress_type != zipfile.ZIP_STORED and info.file_size > MAX_EXPANSION * max(
                info.compress_size, 1):
            raise self.error(f"member {name!r} expands {info.file_size} bytes from {info.compress_size} "
                             f"(more than {MAX_EXPANSION}-fold: a decompression bomb?)")

    def _read_header(self, name, f):
        """The ``.npy`` header of an open member: ``(shape, fortran_order, dtype, header bytes)``.

        The header's length is read and bounded (:data:`MAX_HEADER_BYTES`)
        before the header itself, so a member cannot make the parser read
        gigabytes of header.
        """
        magic = f.read(8)
        if len(magic) != 8 or magic[:6] != np.lib.format.MAGIC_PREFIX:
            raise self.error(f"member {name!r} is not a .npy array")
        version = (magic[6], magic[7])
        if version not in ((1, 0), (2, 0)):
            raise self.error(f"member {name!r} has unsupported .npy version {version}")
        width = 2 if version == (1, 0) else 4
        length_bytes = f.read(width)
        length = int.from_bytes(length_bytes, "little")
        if len(length_bytes) != width or length > MAX_HEADER_BYTES:
            raise self.error(f"member {name!r} declares a .npy header of {length} bytes "
                             f"(at most {MAX_HEADER_BYTES})")
        header = f.read(length)
        if len(header) != length:
            raise self.error(f"member {name!r} ends inside its .npy header")
        parse = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                 else np.lib.format.read_array_header_2_0)
        shape, fortran_order, found = parse(io.BytesIO(length_bytes + header))
        return shape, fortran_order, found, 8 + width + length

    def _open_member(self, name, dtype, shape_ok):
        """Open member ``name``, check its sizes and header; return ``(file, shape, dtype)``."""
        info = self._members.get(name)
        if info is None:
            raise self.error(f"member {name!r} is missing")
        self._check_sizes(name, info)
        f = self._zip.open(info)
        shape, fortran_order, found, header_bytes = self._read_header(name, f)
        if (found.kind != dtype.kind or found.itemsize != dtype.itemsize or found.hasobject
                or found.fields is not None or found.subdtype is not None):
            raise self.error(f"member {name!r} has dtype {_short(found)}, expected {dtype}")
        if fortran_order or not shape_ok(shape):
            raise self.error(f"member {name!r} has shape {_short(shape)}"
                             f"{' (Fortran order)' if fortran_order else ''}, not the expected one")
        nbytes = math.prod(shape) * found.itemsize
        if info.file_size != header_bytes + nbytes:
            raise self.error(f"member {name!r} holds {info.file_size - header_bytes} data bytes, "
                             f"its header declares {nbytes}")
        return f, shape, found

    def _read_member(self, name, dtype, shape_ok):
        """Read member ``name`` into a new C-contiguous native-order array (CRC checked)."""
        dtype = np.dtype(dtype)
        with self._reading(f"cannot read member {name!r}"):
            f, shape, found = self._open_member(name, dtype, shape_ok)
            with f:
                out = np.empty(shape, dtype=found)
                view = memoryview(out.reshape(-1).view(np.uint8))
                pos = 0
                while pos < len(view):
                    n = f.readinto(view[pos:pos + _READ_CHUNK])
                    if not n:
                        raise EOFError("the member ends early")
                    pos += n
                if f.read(1):
                    raise ValueError("the member holds more data than its header declares")
        return out.astype(dtype, copy=False)

    def _read_json(self, name, limit):
        data = self._read_member(name, np.uint8, lambda shape: len(shape) == 1 and shape[0] <= limit)
        with self._reading(f"member {name!r} is not a JSON document in UTF-8"):
            return json.loads(data.tobytes().decode("utf-8"))

    def _read_meta(self):
        meta = self._read_json("meta_json", MAX_META_BYTES)
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        if found != self.format_name:
            expected = _FORMATS[self.format_name][0]
            if isinstance(found, str) and found in _FORMATS:
                kind, writer, loader = _FORMATS[found]
                raise ModelFileError(f"{self.path!r} is a {kind} (written by {writer}), not a {expected}; "
                                     f"load it with {loader}")
            raise ModelFileError(f"{self.path!r} is not a {expected} (format {_short(found)!r})")
        if type(meta.get("version")) is not int or meta["version"] != FORMAT_VERSION:
            raise ModelFileError(f"{self.path!r} has model format version {_short(meta.get('version'))!r}; "
                                 f"this w2gm reads version {FORMAT_VERSION}")
        return meta

    def _read_words(self):
        words = self._read_json("vocab_json", MAX_VOCAB_BYTES)
        if not isinstance(words, list) or not all(type(w) is str for w in words):
            raise self.error("its vocabulary is not a list of strings")
        if not words:
            raise self.error("its vocabulary is empty")
        for i, word in enumerate(words):
            if not word.isascii():
                try:
                    word.encode("utf-8")
                except UnicodeEncodeError:
                    raise self.error(f"vocabulary word #{i} {_short(word)!r} holds a lone surrogate "
                                     "(not encodable as UTF-8)") from None
        if len(set(words)) != len(words):
            seen = set()
            duplicate = next(w for w in words if w in seen or seen.add(w))
            raise self.error(f"the vocabulary holds the word {_short(duplicate)!r} twice")
        return words

    def read_arrays(self, expected):
        """Read the expected array members, each checked before its data is read.

        Parameters
        ----------
        expected : dict of str to (tuple of int, numpy.dtype)
            Member name -> shape and dtype it must have.  Other members of
            the archive are not read (a debug line lists them).

        Returns
        -------
        dict of str to numpy.ndarray
            C-contiguous arrays in native byte order.

        Raises
        ------
        ModelFileError
            If a member is missing, has another shape or dtype, is corrupt
            (CRC mismatch, bad compressed data) or is a decompression bomb.
        """
        extra = sorted(set(self._members) - set(expected) - {"meta_json", "vocab_json"})
        if extra:
            logger.debug("%s: ignoring unknown archive members %s", self.path, _short(extra))
        return {name: self._read_member(name, dtype, lambda found, want=tuple(shape): found == want)
                for name, (shape, dtype) in expected.items()}


def open_model_file(path, format_name=FORMAT_NAME):
    """Open a model file written by :func:`write_model_file`; see :class:`ModelArchive`.

    Parameters
    ----------
    path : str or os.PathLike
    format_name : str, optional
        The format the file must have (:data:`FORMAT_NAME` or
        :data:`KEYED_MIXTURES_FORMAT`).

    Returns
    -------
    ModelArchive
        Also a context manager that closes the file.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    PermissionError
        If ``path`` cannot be opened for reading.
    ModelFileError
        (a ``ValueError``) if the file is a directory, truncated, corrupt,
        not of the requested format (the message names the loader of the
        format it has, if it is the other w2gm format), of another format
        version, or its metadata or vocabulary are malformed.
    """
    return ModelArchive(path, format_name)
