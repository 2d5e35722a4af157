"""Fuzz tests: hostile model files, word2vec files, corpora and settings.

Every case must end in a named error (a :class:`w2gm.exceptions.W2GMError`)
or a correct load, within a time bound (hypothesis' ``deadline``: 10 s for
model files and settings, 2 s for text files).  A correct load is checked:
a mutated model file must load bit-identically to the original (its members
are CRC-protected) or with the values it holds; a word2vec file or a corpus
must give exactly what an independent pure-Python reference parser gives
(``tests/fuzz_text.py``), and be refused when the reference refuses it.  The
cases come from ``tests/fuzz_cases.py`` (model files, settings) and
``tests/fuzz_text.py`` (word2vec text, binary and compressed files; corpora),
shared with the long run of ``benchmarks/fuzz.py``.

The number of examples per test is ``W2GM_FUZZ_EXAMPLES`` (default 100: a few
seconds for the whole file); a long run is
``W2GM_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz.py``, or, with crash and
hang detection in a separate process, ``python benchmarks/fuzz.py``.
"""

import bz2
import gzip
import logging
import os
import warnings
from datetime import timedelta

import numpy as np
import pytest
from fuzz_cases import (
    base_model,
    check_model_case,
    check_settings_case,
    model_file_case,
    settings_case,
)
from fuzz_text import (
    CRAFTED_HEADERS,
    ReferenceRejected,
    Word2VecCase,
    check_corpus_case,
    check_word2vec_case,
    corpus_cases,
    reference_word2vec,
    word2vec_cases,
)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from w2gm.keyed_mixtures import KeyedGaussianMixtures

EXAMPLES = int(os.environ.get("W2GM_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=10_000, derandomize=not os.environ.get("W2GM_FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
                database=None)
# text files: every example within 2 s (a hang or a quadratic blow-up fails the test)
TEXT_FUZZ = settings(max_examples=EXAMPLES, deadline=timedelta(seconds=2), database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module", params=[
    dict(separate_output=True, optimizer="adagrad", covariance="spherical"),
    dict(separate_output=False, optimizer="sgd", covariance="diagonal"),
], ids=["separate-adagrad-spherical", "shared-sgd-diagonal"])
def saved_model(request):
    return base_model(**request.param)


@pytest.fixture(autouse=True)
def quiet():
    logging.disable(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
    logging.disable(logging.NOTSET)


@FUZZ
@given(rng=st.randoms(use_true_random=False))
def test_hostile_model_file_loads_correctly_or_raises_a_named_error(tmp_path, saved_model, rng):
    model, data, members = saved_model
    kind, blob, expect = model_file_case(rng, data, members)
    outcome = check_model_case(str(tmp_path / "fuzzed.w2gm"), blob, expect, model)
    assert outcome == "loaded" or outcome.startswith("named error: ")


@FUZZ
@given(rng=st.randoms(use_true_random=False))
def test_settings_near_every_bound_are_accepted_or_refused_by_name(rng):
    outcome = check_settings_case(settings_case(rng))
    assert outcome in ("accepted", "trained") or outcome.startswith("named error")


# ---------------------------------------------------------------------------
# word2vec files and corpora: w2gm against an independent reference parser (fuzz_text.py)


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@TEXT_FUZZ
@given(case=word2vec_cases())
@example(case=Word2VecCase(b"99999999999 50\n", "", False))
@example(case=Word2VecCase(gzip.compress(b"2000000000 50\nw " + bytes(200)), ".gz", True))
@example(case=Word2VecCase(bz2.compress(b"1 1\na 1\n") + b"junk", ".bz2", False))
@example(case=Word2VecCase(b"1 4\n" + b"w" * 100000 + b" " + bytes(16), "", True))
@example(case=Word2VecCase(b"2 1\na 1\na 2\n", "", False))
@example(case=Word2VecCase(b"1 1\na nan\n", "", False))
@example(case=Word2VecCase(b"1 1\na 1\n\n \n", "", False))
def test_word2vec_reader_agrees_with_reference(fuzz_dir, case):
    data, suffix, binary = case
    outcome = check_word2vec_case(fuzz_dir, data, suffix, binary)
    assert outcome == "loaded" or outcome.startswith("named error: ")


@TEXT_FUZZ
@given(case=word2vec_cases(max_mutations=0, max_compressed_mutations=0))
def test_unmutated_files_load_and_equal_the_reference(fuzz_dir, case):
    """Files written by save_word2vec_format always load (a check of the strategy and the reference)."""
    assert case.mutations == ()
    assert check_word2vec_case(fuzz_dir, *case) == "loaded"


@TEXT_FUZZ
@given(case=corpus_cases())
def test_corpus_readers_agree_with_reference(fuzz_dir, case):
    assert check_corpus_case(fuzz_dir, *case) in ("loaded", "named error: CorpusError")


@TEXT_FUZZ
@given(case=corpus_cases(readers=("Text8Corpus",)), chunk_size=st.integers(1, 9))
def test_text8_chunking_agrees_with_reference(fuzz_dir, case, chunk_size):
    assert check_corpus_case(fuzz_dir, *case, chunk_size=chunk_size) in ("loaded", "named error: CorpusError")


def test_reference_parser_examples():
    """The reference itself, on hand-made bytes (so that its verdicts can be trusted)."""
    words, vectors = reference_word2vec(b"2 2\r\n a 1 -2.5 \r\nb .5 1e3\n\n", "", False)
    assert words == ["a", "b"] and vectors.tolist() == [[1, -2.5], [0.5, 1000]]
    words, vectors = reference_word2vec(b"1 1\nx " + np.float32(3).tobytes() + b"\n", "", True)
    assert words == ["x"] and vectors.tolist() == [[3.0]]
    for data, binary in [(b"1 1\na nan\n", False), (b"2 1\na 1\na 2\n", False), (b"1 1\na 1\nb 2\n", False),
                         (b"-0 1\n", False), (b"1 1\na\xa01\n", False), (b"1 1\nx " + bytes(3), True),
                         (b"1 1\nx " + np.float32(np.inf).tobytes(), True)]:
        with pytest.raises(ReferenceRejected):
            reference_word2vec(data, "", binary)
    assert len(CRAFTED_HEADERS) > 20


def test_crafted_headers_every_one(fuzz_dir):
    """Every crafted header, in both formats, on a valid body: a named error or the reference's result."""
    kv = KeyedGaussianMixtures(["a", "b"], np.ones((2, 1, 3)), np.zeros((2, 1, 1)), np.zeros((2, 1)))
    for binary in (False, True):
        path = fuzz_dir / "base"
        kv.save_word2vec_format(path, component=0, binary=binary)
        body = path.read_bytes().partition(b"\n")[2]
        outcomes = set()
        for template in CRAFTED_HEADERS:
            header = template.format(v=2, d=3, v1=3, vm1=1, d1=4).encode()
            outcomes.add(check_word2vec_case(fuzz_dir, header + b"\n" + body, "", binary))
        assert outcomes == {"loaded", "named error: Word2VecFormatError"}
