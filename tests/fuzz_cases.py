"""Hostile model files and settings for the fuzz tests and ``benchmarks/fuzz.py``.

Every generator takes a ``random.Random`` (hypothesis' ``st.randoms()`` in the
tests, a seeded one in the long benchmark run), so the same cases drive both.
Every checker returns an outcome label (``"loaded"`` or ``"named error:
<class>"``) and raises :class:`FuzzFailure` for anything the hostile-input
contract forbids: a stray exception, a message that does not name the file,
or a silent corruption (a file that loads with values other than the ones it
holds).  Crashes and hangs are caught by the runner (a time bound per case in
the tests, a watchdog process in the benchmark).

Not a test module (no ``test_`` prefix): imported by ``tests/test_fuzz.py``
and ``benchmarks/fuzz.py``.
"""

import io
import json
import math
import os
import tempfile
import zipfile

import numpy as np

from w2gm import Word2GM
from w2gm.exceptions import W2GMError
from w2gm.settings import SETTINGS

__all__ = ["FuzzFailure", "MODEL_KINDS", "base_model", "model_file_case", "check_model_case",
           "settings_case", "check_settings_case"]

TINY_CORPUS = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog", "sat", "on", "a", "log"],
               ["the", "dog", "and", "the", "cat"]] * 8


class FuzzFailure(AssertionError):
    """The hostile-input contract was broken (the message says how)."""


def base_model(separate_output=True, optimizer="adagrad", covariance="spherical"):
    """A small trained model and its saved bytes: ``(model, bytes, members)``."""
    model = Word2GM(TINY_CORPUS, min_count=1, sample=0.0, vector_size=4, num_mixtures=2, epochs=1, workers=1,
                    separate_output=separate_output, optimizer=optimizer, covariance=covariance,
                    alpha=0.05 if optimizer == "sgd" else 0.1)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "base.w2gm")
        model.save(path)
        with open(path, "rb") as f:
            data = f.read()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {info.filename: z.read(info) for info in z.infolist()}
    return model, data, members


# --------------------------------------------------------------------------- model files
#: Mutation families of model files (the benchmark tallies by these).
MODEL_KINDS = ("truncate", "bit-flip", "overwrite", "insert-delete", "member", "metadata")


def _zip(members, compression=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _npy(header, body):
    text = header + " " * (-(len(header) + 11) % 64) + "\n"
    return np.lib.format.MAGIC_PREFIX + b"\x01\x00" + len(text).to_bytes(2, "little") + text.encode() + body


def _random_shape(rng, shape):
    choice = rng.randrange(6)
    if choice == 0:
        return tuple(rng.choice([0, 1, -1, 2**31, 2**62, 10**30]) for _ in shape)
    if choice == 1:
        return shape[:-1] if len(shape) > 1 else ()
    if choice == 2:
        return shape + (1,)
    if choice == 3:
        return tuple(max(0, d + rng.choice([-1, 1])) for d in shape)
    if choice == 4:
        return (math.prod(shape),)
    return shape


def _random_header(rng, shape, descr):
    shape = _random_shape(rng, shape)
    descr = rng.choice([descr, descr, "<f8", ">f4", "|O", "<i4", "<U3", "[('a', '<f4')]", "|V4", "<f2"])
    fortran = rng.random() < 0.2
    text = f"{{'descr': {descr if descr.startswith('[') else repr(descr)}, 'fortran_order': {fortran}, " \
           f"'shape': {shape!r}, }}"
    if rng.random() < 0.3:  # a random edit of the header text
        i = rng.randrange(len(text))
        text = text[:i] + rng.choice(["(", ")", "'", "{", "}", ",", "9" * 40, "\\", "\n", ""]) + text[i + 1:]
    return text


def _mutate_member(rng, members):
    """Replace, drop, rename or add one member; return ``(members, expectation)``."""
    members = dict(members)
    names = sorted(members)
    name = rng.choice(names)
    choice = rng.randrange(7)
    if choice == 0:
        del members[name]
        return members, "error"
    if choice == 1:
        array = np.load(io.BytesIO(members[name]))
        members[name] = _npy(_random_header(rng, array.shape, array.dtype.str), array.tobytes())
        return members, "consistent"  # an equivalent header may load; then the values must be the same
    if choice == 2:
        data = members[name]
        cut = rng.randrange(len(data))
        members[name] = data[:cut] if rng.random() < 0.5 else data + os.urandom(rng.randrange(1, 64))
        return members, "error"
    if choice == 3:
        members[rng.choice(["extra.npy", "junk", "means", "x" * 200])] = _npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1073741824,), }", b"")
        return members, "identical"  # unknown members are not read
    if choice == 4:
        array = np.load(io.BytesIO(members[name]))
        members[name] = _npy(_random_header(rng, array.shape, array.dtype.str), os.urandom(array.nbytes))
        return members, "any"  # new values: if the header is valid, they are the file's content
    if choice == 5:
        members[name.upper()] = members.pop(name)
        return members, "error"
    return members, "identical"  # only re-packed (maybe compressed below)


def _random_json_value(rng, depth=0):
    choice = rng.randrange(12 if depth < 3 else 9)
    if choice == 9:
        return [_random_json_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    if choice == 10:
        return {"k": _random_json_value(rng, depth + 1)}
    if choice == 11:
        return "\ud800"
    return [None, True, False, 0, -1, 2**63, 10**400 if rng.random() < 0.5 else -(2**64), 1.5, "x"][choice]


def _mutate_metadata(rng, members):
    """Edit the metadata or the vocabulary document; return ``(members, expectation)``."""
    members = dict(members)
    meta = json.loads(np.load(io.BytesIO(members["meta_json.npy"])).tobytes())
    words = json.loads(np.load(io.BytesIO(members["vocab_json.npy"])).tobytes())
    choice = rng.randrange(6)
    if choice == 0:
        key = rng.choice(sorted(meta["settings"]) + ["sentences", "corpus_file", "callbacks"])
        meta["settings"][key] = _random_json_value(rng) if rng.random() < 0.5 else rng.choice(
            [0, 1, 2, 3, 2**31, 2**63, -1, 0.5, 1e-300, "diagonal", "sgd", [1, 2]])
    elif choice == 1:
        key = rng.choice(sorted(meta))
        meta[key] = _random_json_value(rng)
    elif choice == 2:
        del meta[rng.choice(sorted(meta))]
    elif choice == 3:
        i = rng.randrange(len(words))
        words[i] = rng.choice([words[(i + 1) % len(words)], "", "\ud800", 7, None, "ok-word", "a b",
                               "x" * 10000])
    elif choice == 4:
        words = words[:-1] if rng.random() < 0.5 else words + ["extra"]
    else:
        document = json.dumps(meta).encode()
        i = rng.randrange(len(document))
        members["meta_json.npy"] = _npy_bytes(document[:i] + os.urandom(rng.randrange(1, 4)) + document[i:])
        return members, "consistent"
    members["meta_json.npy"] = _npy_bytes(json.dumps(meta).encode())
    members["vocab_json.npy"] = _npy_bytes(json.dumps(words).encode())
    return members, "consistent"


def _npy_bytes(raw):
    buf = io.BytesIO()
    np.save(buf, np.frombuffer(raw, np.uint8))
    return buf.getvalue()


def model_file_case(rng, data, members):
    """A hostile variant of a saved model file.

    Parameters
    ----------
    rng : random.Random
    data : bytes
        The saved file.
    members : dict of str to bytes
        Its archive members.

    Returns
    -------
    (str, bytes, str)
        The mutation family (one of :data:`MODEL_KINDS`), the file's bytes,
        and what a load may do: ``"identical"`` (load bit-identical to the
        original, or fail with a named error), ``"error"`` (must fail with a
        named error), ``"consistent"`` (may load if the file is valid; the
        arrays it shares with the original must then be the original's) or
        ``"any"`` (may load valid new values).
    """
    kind = rng.choice(MODEL_KINDS)
    data = bytearray(data)
    if kind == "truncate":
        return kind, bytes(data[:rng.randrange(len(data))]), "error"
    if kind == "bit-flip":
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return kind, bytes(data), "identical"
    if kind == "overwrite":
        start = rng.randrange(len(data))
        data[start:start + rng.randint(1, 64)] = os.urandom(rng.randint(1, 64))
        return kind, bytes(data), "identical"
    if kind == "insert-delete":
        start = rng.randrange(len(data))
        if rng.random() < 0.5:
            data[start:start] = os.urandom(rng.randint(1, 64))
        else:
            del data[start:start + rng.randint(1, 64)]
        return kind, bytes(data), "identical"
    mutate = _mutate_member if kind == "member" else _mutate_metadata
    members, expect = mutate(rng, members)
    compression = rng.choice([zipfile.ZIP_STORED, zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED,
                              zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
    return kind, _zip(members, compression), expect


def _same_arrays(a, b, common_only=False):
    arrays_a, arrays_b = a._file_arrays(), b._file_arrays()
    keys = arrays_a.keys() & arrays_b.keys() if common_only else arrays_a.keys()
    return (common_only or arrays_a.keys() == arrays_b.keys()) and all(
        arrays_a[k].dtype == arrays_b[k].dtype and arrays_a[k].tobytes() == arrays_b[k].tobytes()
        for k in keys)


def check_model_case(path, data, expect, base):
    """Load ``data`` (written to ``path``); return the outcome label or raise :class:`FuzzFailure`."""
    with open(path, "wb") as f:
        f.write(data)
    try:
        loaded = Word2GM.load(path)
    except W2GMError as exc:
        if os.path.basename(path) not in str(exc):
            raise FuzzFailure(f"the message does not name the file: {exc}") from exc
        if "pickle" in str(exc).lower():
            raise FuzzFailure(f"the message mentions pickling: {exc}") from exc
        return f"named error: {type(exc).__name__}"
    except Exception as exc:
        raise FuzzFailure(f"stray exception {type(exc).__name__}: {exc}") from exc
    if expect == "error":
        raise FuzzFailure("a file that must be refused loaded")
    if expect != "any" and not _same_arrays(loaded, base, common_only=expect == "consistent"):
        raise FuzzFailure("silent corruption: the loaded arrays differ from the file's")
    if expect == "identical" and (loaded.wv.index_to_key != base.wv.index_to_key
                                  or loaded.settings() != base.settings()):
        raise FuzzFailure("silent corruption: the loaded vocabulary or settings differ from the file's")
    if not loaded._params_finite():
        raise FuzzFailure("a model with non-finite parameters loaded")
    return "loaded"


# --------------------------------------------------------------------------- settings
_EXTREMES = [-1, 0, 1, 2, 2**31 - 1, 2**31, 2**32, 2**63 - 1, 2**63, 2**64, 10**30, True, False, 0.5,
             float("nan"), float("inf"), -0.0, 1e-320, 1e308, "1", None, (1, 2), np.int64(3),
             np.float32(0.5)]


def settings_case(rng):
    """Random settings near the bounds of every setting: a dict of 1 to 4 overrides."""
    overrides = {}
    for setting in rng.sample(SETTINGS, rng.randint(1, 4)):
        candidates = list(_EXTREMES)
        for bound in (setting.low, getattr(setting, "high", None)):
            if isinstance(bound, (int, float)):
                candidates += [bound, bound - 1, bound + 1, bound * 0.5, bound * 2]
        candidates += list(setting.choices) + [setting.default]
        overrides[setting.name] = rng.choice(candidates)
    return overrides


def check_settings_case(overrides, train_limit=2_000_000):
    """Build (and, when small, train) a model with ``overrides``; return the outcome label.

    Accepted settings must come back normalised and train on a tiny corpus
    without error when training is cheap (at most ``train_limit`` floats per
    side and about 2e8 floating-point operations); rejected ones must raise a
    :class:`W2GMError` naming one of the overridden settings.
    """
    try:
        model = Word2GM(**overrides)
    except W2GMError as exc:
        if not any(name in str(exc) for name in overrides):
            raise FuzzFailure(f"the message names no overridden setting: {exc}") from exc
        return f"named error: {type(exc).__name__}"
    except Exception as exc:
        raise FuzzFailure(f"stray exception {type(exc).__name__}: {exc}") from exc
    # training cost on the tiny corpus: about 150 centre words, each with up to min(window, 5)
    # context words, each pair with (1 + negative) mixture energies of K*K component pairs in D
    dims = model.vector_size if model.covariance == "diagonal" else 1
    pairs = 150 * min(model.window, 5) * (1 + model.negative)
    cost = pairs * model.num_mixtures**2 * (model.vector_size + dims)
    if 12 * model.num_mixtures * model.vector_size > train_limit or cost > 2e8:
        return "accepted"
    model.min_count, model.epochs, model.workers = 1, 1, min(model.workers, 2)
    try:
        model.build_vocab(TINY_CORPUS)
        model.train(TINY_CORPUS)
    except W2GMError as exc:
        return f"named error in training: {type(exc).__name__}"
    except Exception as exc:
        raise FuzzFailure(f"stray exception in training {type(exc).__name__}: {exc}") from exc
    return "trained"
