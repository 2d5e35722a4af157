"""Shared fixtures of the test suite.

* ``no_leaked_training_threads`` (autouse): after every test, no thread
  started by w2gm training (name prefix ``w2gm-``) may still be alive:
  ``train()`` must have joined all of them, whatever happened.
* ``topic_sentences``: a factory of synthetic topic corpora (each sentence
  drawn from one topic's words), cheap to make at any size.
* ``kernel_builds``: the float32 kernel modules this machine can run, for
  tests that compare code paths in every build.
* ``without_zstd``: smart_open behaves as if the ``.zst`` compression's
  package were not installed (its ``compression_wrapper`` raises
  ``ModuleNotFoundError`` for a ``.zst`` name), whatever is installed here.
"""

import importlib.util
import threading

import numpy as np
import pytest

from w2gm.training import THREAD_PREFIX


def training_threads():
    """The live threads started by w2gm training."""
    return [t for t in threading.enumerate() if t.name.startswith(THREAD_PREFIX)]


@pytest.fixture
def without_zstd(monkeypatch):
    import smart_open.compression

    real = smart_open.compression.compression_wrapper

    def missing_zstd(file_obj, mode, compression="infer_from_extension", filename=None, **kwargs):
        if str(filename).endswith(".zst"):
            raise ModuleNotFoundError("No module named 'zstandard'")
        return real(file_obj, mode, compression, filename, **kwargs)

    monkeypatch.setattr(smart_open.compression, "compression_wrapper", missing_zstd)


@pytest.fixture(autouse=True)
def no_leaked_training_threads():
    yield
    leaked = training_threads()
    assert not leaked, f"training threads still alive after the test: {[t.name for t in leaked]}"


def make_topic_sentences(seed, n_sentences, length=12, topic_size=30, topics="abcd"):
    """Sentences of ``length`` words, sentence ``i`` drawn from topic ``topics[i % len(topics)]``."""
    rng = np.random.default_rng(seed)
    return [[f"{topics[i % len(topics)]}{j}" for j in rng.integers(0, topic_size, length)]
            for i in range(n_sentences)]


@pytest.fixture(scope="session")
def kernel_builds():
    """The kernel builds this machine can run: baseline, and AVX2 where built and supported."""
    from w2gm import _train_inner
    builds = [_train_inner]
    if (importlib.util.find_spec("w2gm._train_inner_avx2") is not None
            and _train_inner.cpu_supports_avx2_fma()):
        from w2gm import _train_inner_avx2
        builds.append(_train_inner_avx2)
    return builds


@pytest.fixture(scope="session")
def topic_sentences():
    """Factory fixture: ``topic_sentences(seed, n_sentences, ...)`` (see :func:`make_topic_sentences`)."""
    return make_topic_sentences
