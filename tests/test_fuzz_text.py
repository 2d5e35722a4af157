"""Property-based fuzzing of the readers of untrusted text files (see ``fuzz_text.py``).

The number of examples per test is ``W2GM_FUZZ_EXAMPLES`` (default 100);
every example must finish within the deadline (a hang or a quadratic blow-up
fails the test).  A long run: ``W2GM_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz_text.py``.
"""

import bz2
import gzip
import os
from datetime import timedelta

import numpy as np
import pytest
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
# no example database: a test run leaves no files behind (a failure prints its example)
FUZZ = settings(max_examples=EXAMPLES, deadline=timedelta(seconds=2), database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
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


@FUZZ
@given(case=word2vec_cases(max_mutations=0, max_compressed_mutations=0))
def test_unmutated_files_load_and_equal_the_reference(fuzz_dir, case):
    """Files written by save_word2vec_format always load (a check of the strategy and the reference)."""
    assert case.mutations == ()
    assert check_word2vec_case(fuzz_dir, *case) == "loaded"


@FUZZ
@given(case=corpus_cases())
def test_corpus_readers_agree_with_reference(fuzz_dir, case):
    assert check_corpus_case(fuzz_dir, *case) in ("loaded", "named error: CorpusError")


@FUZZ
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
        kv.save_word2vec_format(path, 0, binary=binary)
        body = path.read_bytes().partition(b"\n")[2]
        outcomes = set()
        for template in CRAFTED_HEADERS:
            header = template.format(v=2, d=3, v1=3, vm1=1, d1=4).encode()
            outcomes.add(check_word2vec_case(fuzz_dir, header + b"\n" + body, "", binary))
        assert outcomes == {"loaded", "named error: Word2VecFormatError"}
