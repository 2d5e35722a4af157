"""The quality levers of issue 12 on the model: ``variance_lr_factor``, ``logit_lr_factor``,
``max_partial_energy`` and ``norm_cap``.

Each is off (neutral) by default, so the default path stays bit-identical
(the pinned digests in ``test_word2gm.py``); the kernel-level checks against
the float64 reference and the gradient checks are in ``test_train_inner.py``.
"""

import argparse

import numpy as np
import pytest
from test_word2gm import SMALL, all_arrays, assert_same_arrays, fast_model

from w2gm import Word2GM
from w2gm.exceptions import ParameterError
from w2gm.settings import DEFAULTS, add_arguments, arguments_to_settings, settings_from_json

LEVERS = ("variance_lr_factor", "logit_lr_factor", "max_partial_energy", "norm_cap")
NEUTRAL = {"variance_lr_factor": 1.0, "logit_lr_factor": 1.0, "max_partial_energy": False, "norm_cap": None}
FAST_SGD = dict(num_mixtures=2, vector_size=6, window=3, min_count=1, sample=0, workers=1, seed=11,
                optimizer="sgd")
ON = {"variance_lr_factor": 5.0, "logit_lr_factor": 0.2, "max_partial_energy": True, "norm_cap": 0.3}


def test_levers_are_neutral_by_default():
    model = Word2GM()
    assert {name: getattr(model, name) for name in LEVERS} == NEUTRAL
    assert {name: DEFAULTS[name] for name in LEVERS} == NEUTRAL


def test_neutral_values_given_explicitly_train_bit_identical_models():
    assert_same_arrays(fast_model(), fast_model(**NEUTRAL))


@pytest.mark.parametrize("name", LEVERS)
def test_each_lever_changes_the_trained_model(name):
    default = fast_model()
    changed = fast_model(**{name: ON[name]})
    assert default.wv.index_to_key == changed.wv.index_to_key
    before, after = all_arrays(default), all_arrays(changed)
    moved = [key for key in before if not np.array_equal(before[key], after[key])]
    assert moved, name
    assert all(np.all(np.isfinite(a)) for a in after.values())


def test_variance_lr_factor_makes_the_variances_move_further():
    moves = {}
    for factor in (1.0, 4.0):
        m = Word2GM(**dict(FAST_SGD, variance_lr_factor=factor))
        m.build_vocab(SMALL)
        init = m.wv.log_variances.copy()
        m.train(SMALL, total_examples=len(SMALL), epochs=1)
        moves[factor] = np.abs(m.wv.log_variances - init).mean()
    assert moves[4.0] > 2.0 * moves[1.0]


@pytest.mark.parametrize("covariance", ["spherical", "diagonal"])
@pytest.mark.parametrize("separate_output", [False, True])
def test_norm_cap_bounds_every_component_mean(covariance, separate_output):
    cap = 0.25
    model = fast_model(norm_cap=cap, covariance=covariance, separate_output=separate_output,
                       mu_scale=1.0, epochs=2)
    uncapped = fast_model(covariance=covariance, separate_output=separate_output, mu_scale=1.0,
                          epochs=2)
    # the cap binds: without it, many trained means are longer
    assert (np.linalg.norm(uncapped.wv.means, axis=2) > cap).mean() > 0.5
    sides = [model.params_in.means] + ([model.params_out.means] if separate_output else [])
    for means in sides:
        trained = np.linalg.norm(means, axis=2)
        # every word of the tiny corpus was updated at least once, so every mean is capped
        assert trained.max() <= cap + 1e-5
        assert trained.max() > 0.9 * cap


@pytest.mark.parametrize("name, bad", [
    ("variance_lr_factor", 0.0), ("variance_lr_factor", -2.0), ("variance_lr_factor", float("nan")),
    ("variance_lr_factor", "2"), ("logit_lr_factor", 0.0), ("logit_lr_factor", float("inf")),
    ("logit_lr_factor", None), ("max_partial_energy", 2), ("max_partial_energy", "yes"),
    ("norm_cap", 0.0), ("norm_cap", -3.0), ("norm_cap", float("nan")), ("norm_cap", True)])
def test_bad_values_raise_parameter_error_naming_them(name, bad):
    with pytest.raises(ParameterError, match=rf"^{name} must .*got {bad!r}"):
        Word2GM(**{name: bad})
    # checked again by train, before any update
    model = fast_model()
    before = model.wv.means.copy()
    setattr(model, name, bad)
    with pytest.raises(ParameterError, match=rf"^{name} "):
        model.train(SMALL, total_examples=len(SMALL))
    assert np.array_equal(model.wv.means, before)


def test_levers_survive_save_and_load(tmp_path):
    model = fast_model(**ON)
    model.save(tmp_path / "m.w2gm")
    loaded = Word2GM.load(tmp_path / "m.w2gm")
    assert {name: getattr(loaded, name) for name in LEVERS} == ON
    assert_same_arrays(loaded, model)


def test_older_settings_records_load_with_the_neutral_values():
    record = {k: v for k, v in DEFAULTS.items() if k not in LEVERS}
    values = settings_from_json(record)
    assert {name: values[name] for name in LEVERS} == NEUTRAL


def test_cli_has_the_options():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    defaults = arguments_to_settings(parser.parse_args([]))
    assert {name: defaults[name] for name in LEVERS} == NEUTRAL
    args = arguments_to_settings(parser.parse_args(
        ["--variance-lr-factor", "5", "--logit-lr-factor", "0.2", "--max-partial-energy",
         "--norm-cap", "0.3"]))
    assert {name: args[name] for name in LEVERS} == ON
    assert {name: getattr(Word2GM(**args), name) for name in LEVERS} == ON
