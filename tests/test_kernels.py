"""The per-CPU kernel builds (w2gm.kernels): selection, the W2GM_KERNEL override, bit-identity.

The AVX2/FMA build is compiled from the same source with ``-ffp-contract=off``, so it must train
bit-identical parameters to the baseline build; that keeps the pinned digests of
``test_word2gm.py`` independent of the machine.
"""

import importlib.util
import subprocess
import sys

import numpy as np
import pytest
from test_cli import subprocess_env
from test_word2gm import all_arrays

import w2gm.word2gm
from w2gm import Text8Corpus, Word2GM, kernels, sample_corpus_path
from w2gm import _train_inner as baseline
from w2gm.exceptions import ParameterError, W2GMError

# imported only where the CPU runs it, as w2gm.kernels does (its module code uses AVX2)
AVX2_BUILT = importlib.util.find_spec("w2gm._train_inner_avx2") is not None
AVX2_USABLE = AVX2_BUILT and baseline.cpu_supports_avx2_fma()
if AVX2_USABLE:
    from w2gm import _train_inner_avx2 as avx2
needs_avx2 = pytest.mark.skipif(not AVX2_USABLE, reason="AVX2 kernel not built or CPU lacks AVX2/FMA")


# ---------------------------------------------------------------------------
# selection logic

@pytest.mark.parametrize("choice", [None, "", "auto", " AUTO ", "Auto"])
def test_auto_picks_avx2_when_supported_and_built(choice):
    assert kernels.select_kernel(choice, True, True) == "avx2"


@pytest.mark.parametrize("cpu,built", [(False, True), (True, False), (False, False)])
def test_auto_falls_back_to_baseline(cpu, built):
    assert kernels.select_kernel("auto", cpu, built) == "baseline"


@pytest.mark.parametrize("cpu,built", [(True, True), (False, False)])
def test_baseline_override(cpu, built):
    assert kernels.select_kernel("baseline", cpu, built) == "baseline"


def test_avx2_override():
    assert kernels.select_kernel("avx2", True, True) == "avx2"


@pytest.mark.parametrize("cpu,built,why", [(False, True, "lacks"), (True, False, "not built")])
def test_avx2_override_unavailable_raises(cpu, built, why):
    with pytest.raises(ParameterError, match=f"W2GM_KERNEL='avx2'.*{why}") as info:
        kernels.select_kernel("avx2", cpu, built)
    assert isinstance(info.value, W2GMError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("value", ["avx512", "native", "1", "base line"])
def test_unknown_value_raises(value):
    with pytest.raises(ParameterError, match=f"W2GM_KERNEL={value!r}: expected one of auto, baseline, avx2"):
        kernels.select_kernel(value, True, True)


def test_module_state_is_consistent():
    assert kernels.kernel_name in ("baseline", "avx2")
    module = avx2 if kernels.kernel_name == "avx2" else baseline
    assert kernels.kernel_name == ("avx2" if AVX2_USABLE else "baseline")
    assert kernels.KernelState is module.KernelState
    assert w2gm.word2gm.KernelState is kernels.KernelState
    assert isinstance(baseline.cpu_supports_avx2_fma(), bool)


# ---------------------------------------------------------------------------
# the environment variable, in fresh interpreters

SHOW = ("import logging, sys; logging.basicConfig(level=logging.DEBUG, format='%(name)s %(message)s'); "
        "import w2gm, w2gm.kernels as k; print(k.kernel_name, k.KernelState.__module__, "
        "'w2gm._train_inner_avx2' in sys.modules)")


def run_python(tmp_path, value):
    env = subprocess_env()
    env.pop(kernels.ENV_VAR, None)
    if value is not None:
        env[kernels.ENV_VAR] = value
    return subprocess.run([sys.executable, "-c", SHOW], capture_output=True, text=True, env=env,
                          timeout=60, cwd=tmp_path)


def test_env_baseline_and_debug_log(tmp_path):
    result = run_python(tmp_path, "baseline")
    assert result.returncode == 0, result.stderr
    # the AVX2 build is not even imported (its module code would be illegal on a CPU without AVX2)
    assert result.stdout.split() == ["baseline", "w2gm._train_inner", "False"]
    assert result.stderr.count("w2gm.kernels training kernel: baseline") == 1


def test_env_default_is_auto(tmp_path):
    result = run_python(tmp_path, None)
    assert result.returncode == 0, result.stderr
    expected = (["avx2", "w2gm._train_inner_avx2", "True"] if AVX2_USABLE
                else ["baseline", "w2gm._train_inner", "False"])
    assert result.stdout.split() == expected


@needs_avx2
def test_env_avx2(tmp_path):
    result = run_python(tmp_path, "avx2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["avx2", "w2gm._train_inner_avx2", "True"]


def test_env_bad_value_fails_import(tmp_path):
    result = run_python(tmp_path, "fastest")
    assert result.returncode != 0
    assert "ParameterError: W2GM_KERNEL='fastest'" in result.stderr


# ---------------------------------------------------------------------------
# both builds train the same bits


def train(monkeypatch, kernel_state, settings):
    monkeypatch.setattr(w2gm.word2gm, "KernelState", kernel_state)
    model = Word2GM(Text8Corpus(sample_corpus_path()),
                    **dict(dict(workers=1, seed=7, epochs=2, sample=1e-3, vector_size=20), **settings))
    return all_arrays(model)       # parameters of both sides and the Adagrad state


@needs_avx2
@pytest.mark.parametrize("shared_negatives", [False, True], ids=["per-pair", "shared-negatives"])
@pytest.mark.parametrize("covariance", ["spherical", "diagonal"])
def test_avx2_build_is_bit_identical(monkeypatch, covariance, shared_negatives):
    settings = dict(covariance=covariance, shared_negatives=shared_negatives)
    expected = train(monkeypatch, baseline.KernelState, settings)
    got = train(monkeypatch, avx2.KernelState, settings)
    assert sorted(got) == sorted(expected)
    for name, a in expected.items():
        assert a.dtype == got[name].dtype == np.float32 and a.shape == got[name].shape, name
        assert a.tobytes() == got[name].tobytes(), f"array {name} differs"
