"""The ``shared_negatives`` setting on the model (pWord2Vec-style negatives shared by a window).

Off by default, so the default path stays bit-identical (the pinned digests in
``test_word2gm.py``); the kernel-level checks against the float64 reference
(``tests/reference.py``), the window step and its finite-difference gradient
are in ``test_train_inner.py``.
"""

import argparse

import numpy as np
import pytest
from test_word2gm import SMALL, all_arrays, assert_same_arrays, fast_model, majority_topic

from w2gm import Word2GM
from w2gm.exceptions import ParameterError
from w2gm.heldout import mean_loss
from w2gm.settings import DEFAULTS, add_arguments, arguments_to_settings, settings_from_json


def test_on_by_default_and_on_given_explicitly_trains_the_same_model():
    assert DEFAULTS["shared_negatives"] is True
    assert Word2GM().shared_negatives is True
    assert_same_arrays(fast_model(negative=3), fast_model(negative=3, shared_negatives=True))


@pytest.mark.parametrize("negative", [1, 3])
@pytest.mark.parametrize("separate_output", [False, True])
def test_shared_negatives_change_the_trained_model(negative, separate_output):
    default = fast_model(negative=negative, separate_output=separate_output, shared_negatives=False)
    shared = fast_model(negative=negative, separate_output=separate_output, shared_negatives=True)
    assert shared.shared_negatives is True
    before, after = all_arrays(default), all_arrays(shared)
    assert [key for key in before if not np.array_equal(before[key], after[key])]
    assert all(np.all(np.isfinite(a)) for a in after.values())
    assert not shared.diverged and np.isfinite(shared.training_loss).all()


def test_shared_negatives_are_deterministic_with_one_worker():
    assert_same_arrays(fast_model(negative=3, shared_negatives=True),
                       fast_model(negative=3, shared_negatives=True))


def test_every_term_counts_as_one_sample():
    """Full windows, no subsampling: both modes evaluate contexts x negative terms per epoch, less
    the few whose negative equals the context word (skipped in both)."""
    settings = dict(negative=4, shrink_windows=False, epochs=2)
    pairs = sum(min(i, 3) + min(len(s) - 1 - i, 3) for s in SMALL for i in range(len(s)))
    samples = {shared: fast_model(shared_negatives=shared, **settings).last_train_stats["epoch_samples"]
               for shared in (False, True)}
    for shared, per_epoch in samples.items():
        assert len(per_epoch) == 2
        for n in per_epoch:
            # SMALL has 41 words: a draw equals the context word a few % of the time
            assert 0.9 * 4 * pairs < n <= 4 * pairs, (shared, n, 4 * pairs)


def test_heldout_loss_is_per_triple_and_unchanged(topic_sentences):
    sentences = topic_sentences(8, 400, length=10, topic_size=15)
    models = {shared: Word2GM(sentences, num_mixtures=2, vector_size=6, window=3, min_count=1,
                              sample=0, epochs=2, workers=1, seed=3, negative=3,
                              heldout_fraction=0.2, heldout_triples=500, shared_negatives=shared)
              for shared in (False, True)}
    off, on = models[False], models[True]
    # the same sample of (w, c, c') triples, drawn independently of the training mode
    for field in ("w", "c", "negative"):
        np.testing.assert_array_equal(getattr(off.heldout_sample, field),
                                      getattr(on.heldout_sample, field))
    for model in (off, on):
        assert len(model.heldout_loss_history) == 2
        assert model.heldout_loss_history[-1] == pytest.approx(
            mean_loss(model.params_in, model.params_in, model.heldout_sample, model.margin, model.eps))
    assert on.heldout_loss_history != off.heldout_loss_history


def test_trains_a_topic_corpus_to_sensible_neighbours(topic_sentences):
    """negative=5 with shared negatives: words of one topic end up each other's neighbours."""
    sentences = topic_sentences(9, 3000)
    model = Word2GM(sentences, num_mixtures=2, vector_size=10, window=3, min_count=1, sample=0,
                    epochs=5, workers=1, seed=0, negative=5, shared_negatives=True,
                    adagrad_initial_accumulator=1.0)
    assert not model.diverged
    assert model.training_loss[-1] < model.training_loss[0]
    for topic in "abcd":
        for j in range(3):
            word = f"{topic}{j}"
            neighbours = [w for w, _ in model.most_similar(word, topn=10)]
            assert majority_topic(neighbours) == topic, (word, neighbours)
            assert sum(n[0] == topic for n in neighbours) >= 9, (word, neighbours)
        assert model.similarity(f"{topic}0", f"{topic}1") > model.similarity(
            f"{topic}0", "c1" if topic != "c" else "a1")


@pytest.mark.parametrize("bad", [2, -1, "yes", None, 0.5])
def test_bad_values_raise_parameter_error_naming_them(bad):
    with pytest.raises(ParameterError, match=rf"^shared_negatives must be True or False.*got {bad!r}"):
        Word2GM(shared_negatives=bad)
    # checked again by train, before any update
    model = fast_model()
    before = model.wv.means.copy()
    model.shared_negatives = bad
    with pytest.raises(ParameterError, match=r"^shared_negatives "):
        model.train(SMALL, total_examples=len(SMALL))
    assert np.array_equal(model.wv.means, before)


def test_survives_save_and_load(tmp_path):
    model = fast_model(negative=2, shared_negatives=True)
    model.save(tmp_path / "m.w2gm")
    loaded = Word2GM.load(tmp_path / "m.w2gm")
    assert loaded.shared_negatives is True
    assert_same_arrays(loaded, model)


def test_older_settings_records_load_with_it_off():
    record = {k: v for k, v in DEFAULTS.items() if k != "shared_negatives"}
    assert settings_from_json(record)["shared_negatives"] is False


def test_cli_has_the_option():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert arguments_to_settings(parser.parse_args([]))["shared_negatives"] is True
    assert arguments_to_settings(parser.parse_args(["--no-shared-negatives"]))["shared_negatives"] is False
    args = arguments_to_settings(parser.parse_args(["--shared-negatives", "--negative", "5"]))
    assert args["shared_negatives"] is True and args["negative"] == 5
    assert Word2GM(**args).shared_negatives is True
    assert arguments_to_settings(parser.parse_args(["--no-shared-negatives"]))["shared_negatives"] is False
