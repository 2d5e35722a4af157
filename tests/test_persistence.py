"""The atomic writer and the model file container (w2gm.persistence).

Includes a crash-safety test: a child process killed with SIGKILL at random
moments while it saves over an existing model leaves either the old or the
new model (bit-identical), and the next save removes its temporary.
"""

import os
import random
import re
import signal
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from w2gm import Word2GM
from w2gm.exceptions import ParameterError
from w2gm.persistence import (
    TEMP_MARKER,
    atomic_write,
    check_writable_target,
    remove_stale_temporaries,
    temp_prefix,
)


def listing(path):
    return sorted(os.listdir(path))


def dead_pid():
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_atomic_write_replaces_target_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    os.chmod(target, 0o640)
    with atomic_write(target) as tmp:
        assert os.path.dirname(tmp) == str(tmp_path)
        assert os.path.basename(tmp).startswith(temp_prefix(target) + str(os.getpid()) + "-")
        assert temp_prefix(target).startswith("out.txt" + TEMP_MARKER)
        assert tmp.endswith(".txt")  # the extension is kept (smart_open picks compression by it)
        with open(tmp, "w") as f:
            f.write("new")
        assert target.read_text() == "old"
    assert target.read_text() == "new"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert listing(tmp_path) == ["out.txt"]


@pytest.mark.parametrize("error", [OSError("disk full (simulated)"), KeyboardInterrupt()])
def test_atomic_write_failure_keeps_old_content_and_removes_temporary(tmp_path, error):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(type(error)):
        with atomic_write(target) as tmp:
            with open(tmp, "w") as f:
                f.write("half")
            raise error
    assert target.read_text() == "old"
    assert listing(tmp_path) == ["out.txt"]


def test_atomic_write_checks_directory_before_writing(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such directory"):
        with atomic_write(tmp_path / "missing" / "x.txt"):
            pytest.fail("the block must not run")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        with atomic_write(tmp_path):
            pytest.fail("the block must not run")
    with pytest.raises(ParameterError, match="local filesystem path"):
        with atomic_write("s3://bucket/x.txt"):
            pytest.fail("the block must not run")


def test_stale_temporaries_of_dead_writers_are_removed(tmp_path):
    target = tmp_path / "model.npz"
    prefix = temp_prefix(target)
    stale = f"{prefix}{dead_pid()}-abc.npz"
    live = f"{prefix}{os.getpid()}-def.npz"
    other = f"{temp_prefix(tmp_path / 'other.npz')}{dead_pid()}-ghi.npz"
    other_host = f"model.npz{TEMP_MARKER}00000000-{dead_pid()}-jkl.npz"
    for name in (stale, live, other, other_host):
        (tmp_path / name).write_bytes(b"leftover")
    assert remove_stale_temporaries(target) == [stale]
    assert listing(tmp_path) == sorted([live, other, other_host])


@pytest.mark.parametrize("name", ["a" * 100 + "." + "b" * 150, "é" * 120, "x" * 250 + ".gz"])
def test_long_and_multibyte_target_names(tmp_path, name):
    target = tmp_path / name
    assert len(os.fsencode(name)) <= 255
    with atomic_write(target) as tmp:
        assert len(os.fsencode(os.path.basename(tmp))) <= 255
        with open(tmp, "wb") as f:
            f.write(b"data")
    assert target.read_bytes() == b"data"
    assert listing(tmp_path) == [name]


def test_file_and_directory_are_synced(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(os.readlink(f"/proc/self/fd/{fd}")),
                                                 real_fsync(fd)))
    with atomic_write(tmp_path / "out.bin") as tmp:
        with open(tmp, "wb") as f:
            f.write(b"x")
    assert synced == [tmp, str(tmp_path)]


def test_read_only_target_is_replaced_and_keeps_its_mode(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    os.chmod(target, 0o444)
    with atomic_write(target) as tmp:
        with open(tmp, "w") as f:  # the temporary stays writable until the block ends
            f.write("new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o444


def small_model(seed):
    corpus = [[f"w{i}" for i in range(j, j + 40)] for j in range(0, 4000, 20)]
    return Word2GM(num_mixtures=2, vector_size=8, min_count=1, seed=seed).build_vocab(corpus)


def test_model_save_removes_stale_temporary_of_killed_writer(tmp_path):
    target = tmp_path / "model.npz"
    leftover = tmp_path / f"{temp_prefix(target)}{dead_pid()}-xyz.npz"
    leftover.write_bytes(b"PK half an archive")
    small_model(1).save(target)
    assert listing(tmp_path) == ["model.npz"]


def test_word2vec_export_uses_the_atomic_writer(tmp_path):
    target = tmp_path / "vectors.txt.gz"
    (tmp_path / f"{temp_prefix(target)}{dead_pid()}-1.gz").write_bytes(b"x")
    model = small_model(1)
    model.wv.save_word2vec_format(target, component=0)
    assert listing(tmp_path) == ["vectors.txt.gz"]
    with pytest.raises(FileNotFoundError, match="no such directory"):
        model.wv.save_word2vec_format(tmp_path / "missing" / "v.txt", component=0)


CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from test_persistence import big_model
    model = big_model(2)
    print("ready", flush=True)
    while True:
        model.save({path!r})
        print("saved", flush=True)
""")


def big_model(seed):
    corpus = [[f"w{i}" for i in range(j, j + 100)] for j in range(0, 60000, 50)]
    return Word2GM(num_mixtures=2, vector_size=50, min_count=1, seed=seed).build_vocab(corpus)


def bit_identical(a, b):
    """Same vocabulary, settings and bytes of every array of the model file."""
    arrays_a, arrays_b = a._file_arrays(), b._file_arrays()
    return (a.wv.index_to_key == b.wv.index_to_key and a.settings() == b.settings()
            and arrays_a.keys() == arrays_b.keys()
            and all(arrays_a[k].tobytes() == arrays_b[k].tobytes() for k in arrays_a))


def test_sigkill_during_save_leaves_old_or_new_model(tmp_path):
    """SIGKILL at random moments of a save loop over an existing model.

    Even trials kill at a random moment from the start of the first save (the
    old model or the new one survives); odd trials kill during a later save,
    after one save has completed (the new model must survive).  The timing is
    relative to a measured save, so a slow machine shifts nothing.
    """
    path = str(tmp_path / "model.npz")
    old, new = big_model(1), big_model(2)
    start = time.perf_counter()
    old.save(path)
    save_seconds = time.perf_counter() - start
    rng = random.Random(0)
    outcomes = []
    for trial in range(8):
        child = subprocess.Popen([sys.executable, "-c", CHILD.format(
            tests=os.path.dirname(__file__), path=path)], stdout=subprocess.PIPE,
            cwd=tmp_path)  # not the source tree, whose w2gm/ has no built extensions
        assert child.stdout.readline() == b"ready\n"
        if trial % 2:
            assert child.stdout.readline() == b"saved\n"
        time.sleep(rng.uniform(0.0, 1.5 * save_seconds))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
        loaded = Word2GM.load(path)
        same_old = bit_identical(loaded, old)
        assert same_old or bit_identical(loaded, new)
        assert not (trial % 2 and same_old), "a completed save was lost"
        outcomes.append("old" if same_old else "new")
        new.save(path)  # the next save removes the killed writer's temporary
        assert listing(tmp_path) == ["model.npz"]
        old.save(path)
    assert "new" in outcomes


# ------------------------------------------------ KeyedGaussianMixtures.save / load

def keyed(covariance="spherical", counts=True, seed=0):
    import numpy as np

    from w2gm import KeyedGaussianMixtures
    rng = np.random.default_rng(seed)
    v, k, d = 12, 3, 5
    words = [f"w{i}" for i in range(v - 2)] + ["\u00e9t\u00e9", "\U0001F600"]
    return KeyedGaussianMixtures(words, rng.standard_normal((v, k, d)),
                                 rng.standard_normal((v, k, d if covariance == "diagonal" else 1)),
                                 rng.standard_normal((v, k)),
                                 counts=rng.integers(1, 1000, v) if counts else None)


@pytest.mark.parametrize("covariance", ["spherical", "diagonal"])
@pytest.mark.parametrize("counts", [True, False])
def test_keyed_mixtures_round_trip(tmp_path, covariance, counts):
    import numpy as np

    from w2gm import KeyedGaussianMixtures
    kv = keyed(covariance, counts)
    path = tmp_path / "vectors.kv"
    kv.save(path)
    assert listing(tmp_path) == ["vectors.kv"]
    again = KeyedGaussianMixtures.load(str(path))
    assert again.index_to_key == kv.index_to_key and again.covariance == covariance
    for name in ("means", "log_variances", "logits"):
        assert np.array_equal(getattr(again, name), getattr(kv, name)), name
        assert getattr(again, name).dtype == np.float32
    if counts:
        assert np.array_equal(again.counts, kv.counts) and again.counts.dtype == np.int64
    else:
        assert again.counts is None
    assert np.array_equal(again.vectors, kv.vectors)
    assert again.most_similar("w1", topn=5) == kv.most_similar("w1", topn=5)
    # pickle-free: plain NumPy reads every member with allow_pickle=False
    with np.load(path, allow_pickle=False) as archive:
        assert {"means", "log_variances", "logits", "meta_json", "vocab_json"} <= set(archive.files)


def test_keyed_mixtures_save_is_atomic_and_refuses_bad_content(tmp_path, monkeypatch):
    import numpy as np

    from w2gm import KeyedGaussianMixtures
    from w2gm import persistence as p
    kv = keyed()
    path = tmp_path / "v.kv"
    kv.save(path)
    before = path.read_bytes()
    def full_disk(*args, **kwargs):
        raise OSError("disk full (simulated)")
    monkeypatch.setattr(p.np, "savez", full_disk)
    with pytest.raises(OSError, match="disk full"):
        keyed(seed=1).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before and listing(tmp_path) == ["v.kv"]
    bad = keyed()
    bad.means[3, 1, 2] = np.nan
    with pytest.raises(ParameterError, match="'means' holds NaN"):
        bad.save(tmp_path / "nan.kv")
    surrogate = KeyedGaussianMixtures(["ok", "\ud800"], np.ones((2, 1, 2)), np.zeros((2, 1, 1)),
                                      np.zeros((2, 1)))
    with pytest.raises(ParameterError, match="lone surrogate"):
        surrogate.save(tmp_path / "s.kv")
    with pytest.raises(FileNotFoundError):
        kv.save(tmp_path / "missing" / "v.kv")
    with pytest.raises(ParameterError, match="local"):
        kv.save("s3://bucket/v.kv")
    assert listing(tmp_path) == ["v.kv"]


def test_model_and_keyed_mixtures_files_are_told_apart(tmp_path):
    from w2gm import KeyedGaussianMixtures
    from w2gm.exceptions import ModelFileError
    sentences = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog", "sat", "on", "a", "log"]] * 10
    model = Word2GM(sentences, min_count=1, vector_size=4, epochs=1, workers=1, sample=0)
    model_path, kv_path = tmp_path / "model.w2gm", tmp_path / "vectors.kv"
    model.save(model_path)
    model.wv.save(kv_path)
    with pytest.raises(ModelFileError, match=r"is a w2gm keyed-mixtures file .*not a w2gm model file; "
                                             r"load it with KeyedGaussianMixtures.load"):
        Word2GM.load(kv_path)
    with pytest.raises(ModelFileError, match=r"is a w2gm model file .*not a w2gm keyed-mixtures file; "
                                             r"load it with Word2GM.load"):
        KeyedGaussianMixtures.load(model_path)
    loaded = KeyedGaussianMixtures.load(kv_path)
    assert loaded.index_to_key == model.wv.index_to_key
    assert loaded.most_similar("cat", topn=3) == model.wv.most_similar("cat", topn=3)
    assert list(loaded.counts) == list(model.wv.counts)


# ------------------------------------------------------------------ check_writable_target


@pytest.mark.parametrize("name, error, message", [
    ("", FileNotFoundError, "the path is empty"),
    ("missing_dir/", IsADirectoryError, "cannot end with a path separator"),
    ("a_file/", IsADirectoryError, "cannot end with a path separator"),
    ("a_file/model.npz", NotADirectoryError, "is not a directory"),
    ("missing_dir/model.npz", FileNotFoundError, "no such directory"),
    ("existing_dir", IsADirectoryError, "it is a directory"),
])
def test_check_writable_target_refuses_a_path_that_cannot_become_a_file(tmp_path, monkeypatch, name,
                                                                        error, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "existing_dir").mkdir()
    with pytest.raises(error, match=message) as info:
        check_writable_target(name)
    assert repr(name) in str(info.value)
    assert listing(tmp_path) == ["a_file", "existing_dir"]


def test_check_writable_target_probes_the_directory_and_leaves_nothing(tmp_path):
    assert check_writable_target(tmp_path / "m.npz") == str(tmp_path / "m.npz")
    assert listing(tmp_path) == []


def test_check_writable_target_names_the_users_path_for_a_directory_without_new_files(tmp_path):
    # sysfs takes no new file, for the superuser too; a chmod'ed directory would not stop root
    if not os.path.ismount("/sys"):
        pytest.skip("needs sysfs mounted at /sys")
    with pytest.raises(OSError, match=r"cannot write '/sys/m\.npz': no file can be created in '/sys'"):
        check_writable_target("/sys/m.npz")
    with pytest.raises(OSError, match=r"'/sys/m\.npz'") as info:
        with atomic_write("/sys/m.npz"):
            pytest.fail("atomic_write yielded a temporary in a directory that takes no file")
    assert TEMP_MARKER not in str(info.value)


def test_check_writable_target_refuses_to_replace_a_device_or_an_overlong_name(tmp_path):
    if os.path.exists("/dev/null"):
        with pytest.raises(FileExistsError, match="'/dev/null': it exists and is not a regular file"):
            check_writable_target("/dev/null")
    long_name = str(tmp_path / ("m" * 300))  # longer than any common file system allows (255 bytes)
    with pytest.raises(OSError, match=re.escape(repr(long_name))):
        check_writable_target(long_name)
    assert listing(tmp_path) == []
