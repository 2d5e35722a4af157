"""Files w2gm writes and reads: one atomic writer, and the model file format.

Atomic writes (:func:`atomic_write`)
    Every file the package writes (the model, word2vec exports, any later
    export) goes through :func:`atomic_write`: the content is written to a
    temporary file in the target's directory, named
    ``<target name>.w2gm-tmp-<pid>-<random><extension>`` (the extension is
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

Model files (:func:`write_model_file`, :func:`read_model_file`)
    A NumPy ``.npz`` archive, readable with ``allow_pickle=False``: one member
    per array plus two JSON documents stored as UTF-8 bytes, ``meta_json``
    (format name and version, settings, training state) and ``vocab_json``
    (the words in index order).  :class:`w2gm.Word2GM` decides which arrays a
    model has and validates them; this module only reads and writes the
    container and turns every way of failing to read it into
    :class:`w2gm.exceptions.ModelFileError`.
"""

import contextlib
import hashlib
import json
import logging
import os
import sys
import tempfile
import zipfile
from typing import NamedTuple

import numpy as np

from w2gm.exceptions import ModelFileError, ParameterError

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "TEMP_MARKER", "ModelFileContent", "atomic_write",
           "check_writable_target", "temp_prefix", "local_path", "read_model_file",
           "remove_stale_temporaries", "write_model_file"]

logger = logging.getLogger(__name__)

FORMAT_NAME = "w2gm-model"
FORMAT_VERSION = 1
#: Part of every temporary file name, between the target's name and the writer's pid.
TEMP_MARKER = ".w2gm-tmp-"
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

    Raises
    ------
    FileNotFoundError
        If the directory of ``path`` does not exist.
    IsADirectoryError
        If ``path`` is a directory.
    ParameterError
        (a ``ValueError``) if ``path`` is a URL.
    """
    path = local_path(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {path!r}: no such directory {directory!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot write {path!r}: it is a directory")
    return path


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
    FileNotFoundError
        If the target's directory does not exist (nothing is written).
    IsADirectoryError
        If ``path`` is a directory.
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


def write_model_file(path, arrays, meta, words):
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
    """
    meta = dict(meta, format=FORMAT_NAME, version=FORMAT_VERSION)
    members = dict(arrays, meta_json=_json_member(meta), vocab_json=_json_member(words))
    with atomic_write(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **members)


class ModelFileContent(NamedTuple):
    """What :func:`read_model_file` found in a model file.

    Attributes
    ----------
    meta : dict
        The metadata document (format and version already checked).
    words : list of str
        The vocabulary in index order.
    arrays : dict of str to numpy.ndarray
        Every other member of the archive.
    """

    meta: dict
    words: list
    arrays: dict


def _read_archive(path):
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("not an .npz archive")
        with loaded as z:
            data = {k: z[k] for k in z.files}
        meta = json.loads(bytes(data.pop("meta_json")).decode("utf-8"))
        words = json.loads(bytes(data.pop("vocab_json")).decode("utf-8"))
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError, UnicodeDecodeError,
            TypeError) as exc:
        raise ModelFileError(f"{path!r} is not a readable w2gm model file "
                             f"(truncated or foreign: {type(exc).__name__}: {exc})") from None
    return meta, words, data


def read_model_file(path):
    """Read a model file written by :func:`write_model_file`.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    ModelFileContent

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ModelFileError
        If the file is a directory, truncated, not a w2gm model, of another
        format version, or its vocabulary is not a list of strings.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such model file: {path!r}")
    if os.path.isdir(path):
        raise ModelFileError(f"{path!r} is a directory, not a w2gm model file")
    meta, words, arrays = _read_archive(path)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise ModelFileError(f"{path!r} is not a w2gm model file (format {found!r})")
    if meta.get("version") != FORMAT_VERSION:
        raise ModelFileError(f"{path!r} has model format version {meta.get('version')!r}; "
                             f"this w2gm reads version {FORMAT_VERSION}")
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise ModelFileError(f"{path!r}: its vocabulary is not a list of strings")
    return ModelFileContent(meta, words, arrays)
