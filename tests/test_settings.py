"""Tests of the settings table (w2gm.settings): the ranges of the integer and float settings.

Every integer setting that sizes memory, a loop or a C integer has a largest
accepted value, enforced with a ParameterError naming the setting and that
value, when the model is built (before any corpus is read or memory
allocated), when a model file is read, and by ``w2gm train``.
"""

import argparse
import subprocess
import sys

import numpy as np
import pytest
from test_cli import subprocess_env

from w2gm import Word2GM
from w2gm.exceptions import ParameterError
from w2gm.settings import DEFAULTS, SETTINGS, add_arguments, check_setting, settings_from_json

#: The documented maxima (name -> largest accepted value).
MAXIMA = {
    "num_mixtures": 1000,
    "vector_size": 10_000,
    "window": 10_000,
    "min_count": 2**63 - 1,
    "negative": 1000,
    "epochs": 10_000,
    "workers": 1024,
    "batch_words": 10_000_000,
    "heldout_triples": 100_000_000,
}
BY_NAME = {s.name: s for s in SETTINGS}
HUGE = [2**31 - 1, 2**31, 2**32, 2**63 - 1, 2**63, 2**64, 10**100, np.int64(2**62), np.uint64(2**64 - 1)]


def test_every_integer_setting_but_seed_has_the_documented_maximum():
    int_settings = {s.name for s in SETTINGS if s.kind == "int"}
    assert int_settings == set(MAXIMA) | {"seed"}
    for name, high in MAXIMA.items():
        assert BY_NAME[name].high == high, name
    # the seed has no maximum: NumPy seeds from any integer, job seeds are taken mod 2**64
    assert BY_NAME["seed"].high is None


@pytest.mark.parametrize("name", MAXIMA)
def test_value_at_the_maximum_is_accepted(name):
    high = MAXIMA[name]
    assert check_setting(name, high) == high
    assert check_setting(name, np.int64(high)) == high
    assert type(check_setting(name, np.int64(high))) is int
    assert getattr(Word2GM(**{name: high}), name) == high


@pytest.mark.parametrize("name", MAXIMA)
def test_maximum_plus_one_is_rejected_naming_setting_value_and_maximum(name):
    high = MAXIMA[name]
    for call in (lambda: check_setting(name, high + 1), lambda: Word2GM(**{name: high + 1})):
        with pytest.raises(ParameterError) as info:
            call()
        message = str(info.value)
        assert message.startswith(name + " ")
        assert f"to {high}," in message and f"got {high + 1}" in message


@pytest.mark.parametrize("name", MAXIMA)
@pytest.mark.parametrize("value", HUGE, ids=repr)
def test_huge_values_raise_parameter_error_not_overflow(name, value):
    if value <= MAXIMA[name]:
        assert check_setting(name, value) == value
        return
    with pytest.raises(ParameterError, match=f"^{name} must be an integer from 1 to {MAXIMA[name]},"):
        Word2GM(**{name: value})
    # a setting changed after construction is checked again by train, before any work
    model = Word2GM(min_count=1, vector_size=2, workers=1).build_vocab([["a", "b"]] * 3)
    before = model.wv.means.copy()
    setattr(model, name, value)
    with pytest.raises(ParameterError, match=f"^{name} "):
        model.train([["a", "b"]] * 3)
    assert np.array_equal(model.wv.means, before)


@pytest.mark.parametrize("name", [*MAXIMA, "seed"])
@pytest.mark.parametrize("value", [True, False, np.True_, 1.0, "1", None])
def test_non_integers_and_bools_are_rejected(name, value):
    with pytest.raises(ParameterError, match=f"^{name} must be an integer"):
        check_setting(name, value)


@pytest.mark.parametrize("name", [*MAXIMA, "seed"])
def test_value_below_the_minimum_is_rejected(name):
    low = BY_NAME[name].low
    with pytest.raises(ParameterError, match=f"^{name} must be an integer.*got {low - 1}"):
        check_setting(name, low - 1)


def test_any_non_negative_seed_is_accepted_and_trains():
    for seed in (0, 2**31, 2**64, 10**30):
        assert check_setting("seed", seed) == seed
    model = Word2GM([["a", "b", "c"]] * 5, seed=10**30, min_count=1, vector_size=2, epochs=1,
                    workers=1, sample=0)
    assert model.seed == 10**30 and model.epochs_trained == 1


def test_model_file_record_beyond_a_maximum_is_rejected():
    with pytest.raises(ParameterError, match="num_mixtures must be an integer from 1 to 1000, got 50000"):
        settings_from_json({"num_mixtures": 50000})
    assert settings_from_json({"num_mixtures": 1000})["num_mixtures"] == 1000


def test_cli_help_gives_the_range():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    helps = {a.dest: a.help for a in parser._actions}
    for name, high in MAXIMA.items():
        assert f"{BY_NAME[name].low}..{high}" in helps[name], helps[name]
    assert "0.." not in helps["seed"] and ">= 0" in helps["seed"]


def test_cli_train_with_too_many_mixtures_exits_2_naming_the_option(tmp_path):
    # num_mixtures=46341 made K*K wrap in 32-bit C arithmetic and crashed the process
    # (SIGSEGV) in the first training job; now it is refused before the corpus is read
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("a b c\n" * 3, encoding="utf-8")
    out = tmp_path / "model.w2gm"
    result = subprocess.run(
        [sys.executable, "-m", "w2gm", "train", str(corpus), "-o", str(out), "--num-mixtures", "46341",
         "--vector-size", "1", "--min-count", "1", "--sample", "0", "--epochs", "1", "--workers", "1"],
        capture_output=True, text=True, env=subprocess_env(), timeout=120, cwd=tmp_path)
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "num_mixtures must be an integer from 1 to 1000, got 46341" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


# ---------------------------------------------------------------------------
# float settings: ranges that stay finite in float32, and huge integers


FLOAT_RANGES = {  # name -> (smallest, largest) accepted
    "sample": (0.0, 1.0),
    "heldout_fraction": (0.0, 0.5),
    "margin": (1e-30, 1e6),
    "var_scale": (1e-30, 1e6),
    "mu_scale": (0.0, 1e6),
    "alpha": (1e-30, 1e30),
    "min_alpha": (0.0, 1e30),
    "adagrad_initial_accumulator": (1e-30, 1e30),
    "eps": (0.0, 1e6),
    "ns_exponent": (-10.0, 10.0),
    "variance_lr_factor": (1e-30, 1e6),
    "logit_lr_factor": (1e-30, 1e6),
    "norm_cap": (1e-30, 1e30),
}


def test_every_float_setting_has_the_documented_range():
    assert {s.name for s in SETTINGS if s.kind == "float"} == set(FLOAT_RANGES)


@pytest.mark.parametrize("name", sorted(FLOAT_RANGES))
def test_float_setting_range(name):
    low, high = FLOAT_RANGES[name]
    extra = {"alpha": 1e30} if name == "min_alpha" else {}
    assert check_setting(name, low) == low and check_setting(name, high) == high
    Word2GM(**{name: high, **extra})
    bad_values = [high * 10, low - 1 if low < 0 else -1.0, float("nan"), float("inf"), 10**400,
                  -(10**400), True, "1"]
    # alpha=None: the optimizer's default; norm_cap=None: no cap
    for bad in bad_values + ([] if name in ("alpha", "norm_cap") else [None]):
        with pytest.raises(ParameterError, match=name):
            check_setting(name, bad)
    if low > 0:
        with pytest.raises(ParameterError, match=name):
            check_setting(name, low / 10)


@pytest.mark.parametrize("bounds", [(1, 10**400), (0, 1), (1e-31, 1), (1, 1e31), (2, 1), (1,), "ab",
                                    (float("nan"), 1), (True, 2)])
def test_var_bounds_range(bounds):
    with pytest.raises(ParameterError, match="var_bounds"):
        Word2GM(var_bounds=bounds)


def test_huge_integer_message_is_cut():
    with pytest.raises(ParameterError) as info:
        Word2GM(alpha=10**4000)
    assert len(str(info.value)) < 200


# ---------------------------------------------------------------------------
# the learning rate's default follows the optimizer


def test_alpha_default_follows_the_optimizer():
    assert Word2GM().alpha == 0.1
    assert Word2GM(optimizer="sgd", negative=1).alpha == 0.025
    assert Word2GM(optimizer="sgd").alpha == 0.025 / DEFAULTS["negative"] == 0.005
    assert Word2GM(optimizer="sgd", alpha=0.05).alpha == 0.05
    with pytest.raises(ParameterError, match="min_alpha"):
        Word2GM(optimizer="sgd", min_alpha=0.03)
    assert Word2GM(optimizer="sgd", negative=1).settings()["alpha"] == 0.025  # the value used


def test_sgd_with_its_default_trains(topic_sentences):
    sentences = topic_sentences(3, n_sentences=3000, length=20)
    model = Word2GM(sentences, optimizer="sgd", min_count=1, sample=0, epochs=2, workers=1)
    assert model.alpha == 0.025 / model.negative
    assert all(np.isfinite(model.training_loss)) and not model.diverged
    assert model.training_loss[-1] < model.training_loss[0]


# ---------------------------------------------------------------------------
# the gensim settings: optional integers, bools, and the CLI options they become


OPTIONAL_MAXIMA = {"max_vocab_size": 2**31 - 1, "max_final_vocab": 2**31 - 1}


def test_optional_integer_settings_take_none_or_an_integer_in_range():
    assert {s.name for s in SETTINGS if s.kind == "optint"} == set(OPTIONAL_MAXIMA)
    for name, high in OPTIONAL_MAXIMA.items():
        assert BY_NAME[name].default is None
        assert check_setting(name, None) is None
        assert check_setting(name, 1) == 1 and check_setting(name, np.int64(high)) == high
        assert type(check_setting(name, np.int64(7))) is int
        for bad in (0, -1, high + 1, 2**64, 1.0, True, "5"):
            with pytest.raises(ParameterError, match=f"^{name} must be None or an integer from 1 to "
                                                     f"{high}, got "):
                check_setting(name, bad)


@pytest.mark.parametrize("name", ["compute_loss", "sorted_vocab", "shrink_windows", "separate_output",
                                  "shared_negatives"])
def test_bool_settings_accept_gensim_style_zero_and_one(name):
    for value, expected in ((True, True), (False, False), (1, True), (0, False), (np.int64(1), True),
                            (np.True_, True)):
        normalised = check_setting(name, value)
        assert normalised is expected
    for bad in (2, -1, 0.0, "yes", None):
        with pytest.raises(ParameterError, match=f"^{name} must be True or False"):
            check_setting(name, bad)
    assert Word2GM(**{name: 0}).settings()[name] is False


def test_new_settings_have_gensims_defaults_except_compute_loss():
    model = Word2GM()
    assert (model.ns_exponent, model.max_vocab_size, model.max_final_vocab, model.sorted_vocab,
            model.shrink_windows) == (0.75, None, None, True, True)
    # gensim's default is False; the kernel computes the loss anyway, so w2gm sums it by default
    assert model.compute_loss is True


def parse_train_options(argv):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def test_every_setting_is_a_cli_option_and_bools_can_be_switched_off():
    from w2gm.settings import arguments_to_settings
    defaults = arguments_to_settings(parse_train_options([]))
    assert defaults == {s.name: s.default for s in SETTINGS}
    args = arguments_to_settings(parse_train_options(
        ["--no-sorted-vocab", "--no-shrink-windows", "--no-compute-loss", "--separate-output",
         "--ns-exponent", "-0.5", "--max-vocab-size", "1000", "--max-final-vocab", "20"]))
    assert args["sorted_vocab"] is False and args["shrink_windows"] is False
    assert args["compute_loss"] is False and args["separate_output"] is True
    assert args["ns_exponent"] == -0.5
    assert args["max_vocab_size"] == 1000 and args["max_final_vocab"] == 20
    model = Word2GM(**args)
    assert model.settings()["max_final_vocab"] == 20 and model.sorted_vocab is False
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    helps = {a.dest: a.help for a in parser._actions}
    for name, high in OPTIONAL_MAXIMA.items():
        assert f"1..{high}" in helps[name], helps[name]


def test_cli_train_with_gensim_options_saves_them(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("a b c d a b\n" * 20 + "rare words here\n", encoding="utf-8")
    out = tmp_path / "model.w2gm"
    result = subprocess.run(
        [sys.executable, "-m", "w2gm", "--log-level", "WARNING", "train", str(corpus), "-o", str(out),
         "--vector-size", "2", "--min-count", "1", "--sample", "0", "--epochs", "1", "--workers", "1",
         "--no-sorted-vocab", "--no-shrink-windows", "--ns-exponent", "0.5", "--max-final-vocab", "3"],
        capture_output=True, text=True, env=subprocess_env(), timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    model = Word2GM.load(out)
    assert (model.sorted_vocab, model.shrink_windows, model.ns_exponent, model.max_final_vocab) == (
        False, False, 0.5, 3)
    # a, b occur 40 times, c, d 20 times: max_final_vocab=3 raises min_count to 21, first-seen order
    assert model.wv.index_to_key == ["a", "b"]
