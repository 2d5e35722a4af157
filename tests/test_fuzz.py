"""Fuzz tests: hostile model files, word2vec files, corpora and settings.

Every case must end in a named error (a :class:`w2gm.exceptions.W2GMError`)
or a correct load, within a time bound (hypothesis' ``deadline``).  The cases
come from ``tests/fuzz_cases.py`` (model files, settings) and
``tests/fuzz_text.py`` (word2vec files, corpora), shared with the long run of
``benchmarks/fuzz.py``.

The number of examples per test is ``W2GM_FUZZ_EXAMPLES`` (default 100, about
a minute for the whole file on two cores); the long run is
``W2GM_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz.py`` or, with crash and hang
detection in a separate process, ``python benchmarks/fuzz.py``.
"""

import logging
import os
import warnings

import pytest
from fuzz_cases import (
    base_model,
    check_model_case,
    check_settings_case,
    model_file_case,
    settings_case,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("W2GM_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=10_000, derandomize=not os.environ.get("W2GM_FUZZ_RANDOM"),
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
                database=None)


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
