"""The ``adagrad_state`` setting on the model: row-wise Adagrad (one accumulator per parameter row).

The kernel-level checks against the float64 reference (spherical and
diagonal, K = 1, 2, 3, shared negatives, separate output, the levers) and the
check that the rows accumulate the mean, not the sum, are in
``test_train_inner.py``; the default ``"scalar"`` path is pinned bit for bit
by the digests in ``test_word2gm.py``.
"""

import argparse
import io
import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from test_cli import subprocess_env
from test_word2gm import SMALL, all_arrays, assert_same_arrays, fast_model

from w2gm import Word2GM
from w2gm.exceptions import ModelFileError, ParameterError
from w2gm.settings import DEFAULTS, add_arguments, arguments_to_settings, settings_from_json

ROW = dict(adagrad_state="row")


def row_shapes(V, K):
    return [(V, K, 1), (V, K, 1), (V, 1)]


def test_scalar_is_the_default():
    assert DEFAULTS["adagrad_state"] == "scalar"
    assert Word2GM().adagrad_state == "scalar"
    assert_same_arrays(fast_model(), fast_model(adagrad_state="scalar"))


@pytest.mark.parametrize("bad", ["rows", "Row", "", None, 1, True])
def test_bad_values_raise_parameter_error(bad):
    with pytest.raises(ParameterError, match=r"^adagrad_state must be 'scalar' or 'row', got "):
        Word2GM(adagrad_state=bad)


@pytest.mark.parametrize("covariance", ["spherical", "diagonal"])
@pytest.mark.parametrize("separate_output", [False, True])
@pytest.mark.parametrize("shared_negatives", [False, True])
@pytest.mark.parametrize("K", [1, 2, 3])
def test_row_mode_trains_saves_loads_and_continues(tmp_path, covariance, separate_output,
                                                   shared_negatives, K):
    model = fast_model(num_mixtures=K, covariance=covariance, separate_output=separate_output,
                       shared_negatives=shared_negatives, negative=3 if shared_negatives else 1,
                       epochs=2, **ROW)
    V = len(model.wv.index_to_key)
    sides = [model.accumulators_in] + ([model.accumulators_out] if separate_output else [])
    assert (model.accumulators_out is None) == (not separate_output)
    for accs in sides:
        assert [a.shape for a in accs] == row_shapes(V, K)
        assert all(a.dtype == np.float32 for a in accs)
        # the means' and log-variances' accumulators grew for (nearly) every row
        assert (accs.means > model.adagrad_initial_accumulator).mean() > 0.9
        assert (accs.log_variances > model.adagrad_initial_accumulator).mean() > 0.9
        if K > 1:
            assert (accs.logits > model.adagrad_initial_accumulator).mean() > 0.9
        else:   # a single component's logits are never updated
            assert np.all(accs.logits == np.float32(model.adagrad_initial_accumulator))
    assert all(np.all(np.isfinite(a)) for a in all_arrays(model).values())
    # the scalar model of the same settings differs
    scalar = fast_model(num_mixtures=K, covariance=covariance, separate_output=separate_output,
                        shared_negatives=shared_negatives, negative=3 if shared_negatives else 1,
                        epochs=2)
    assert not np.array_equal(scalar.wv.means, model.wv.means)
    # save / load round trip
    path = tmp_path / "row.w2gm"
    model.save(path)
    loaded = Word2GM.load(path)
    assert loaded.adagrad_state == "row"
    assert_same_arrays(loaded, model)
    # continued training after load: the same as continuing the original
    model.train(SMALL, total_examples=len(SMALL), epochs=1)
    loaded.train(SMALL, total_examples=len(SMALL), epochs=1)
    assert_same_arrays(loaded, model)
    assert all(np.all(np.isfinite(a)) for a in all_arrays(loaded).values())


@pytest.mark.parametrize("separate_output", [False, True])
def test_vocabulary_update_appends_fresh_row_accumulators(separate_output):
    model = fast_model(separate_output=separate_output, covariance="diagonal", **ROW)
    V = len(model.wv.index_to_key)
    before = {name: a.copy() for name, a in all_arrays(model).items()}
    model.build_vocab([["newword", "otherword", "newword"]] * 3, update=True)
    V2 = len(model.wv.index_to_key)
    assert V2 == V + 2
    sides = [model.accumulators_in] + ([model.accumulators_out] if separate_output else [])
    for accs in sides:
        assert [a.shape for a in accs] == row_shapes(V2, 2)
        for a in accs:
            assert np.all(a[V:] == np.float32(model.adagrad_initial_accumulator))
    for name, a in all_arrays(model).items():   # existing words keep their rows bit for bit
        assert np.array_equal(a[:V], before[name])
    model.train(SMALL + [["newword", "otherword", "newword", "otherword"]] * 20, epochs=1,
                total_examples=len(SMALL) + 20)
    assert all(np.all(np.isfinite(a)) for a in all_arrays(model).values())
    assert np.all(model.accumulators_in.means[V:] > model.adagrad_initial_accumulator)


def test_sgd_has_no_accumulators_in_either_state(tmp_path):
    model = fast_model(optimizer="sgd", **ROW)
    assert model.accumulators_in is None and model.accumulators_out is None
    assert_same_arrays(model, fast_model(optimizer="sgd"))
    model.save(tmp_path / "sgd.w2gm")
    assert Word2GM.load(tmp_path / "sgd.w2gm").adagrad_state == "row"


def test_changing_adagrad_state_after_build_vocab_is_refused(tmp_path):
    model = fast_model(**ROW)
    before = model.wv.means.copy()
    model.adagrad_state = "scalar"
    with pytest.raises(ParameterError, match=r"^adagrad_state is 'scalar' but the Adagrad accumulators "
                                             r"were created for 'row'"):
        model.train(SMALL, total_examples=len(SMALL))
    assert np.array_equal(model.wv.means, before)
    with pytest.raises(ParameterError, match=r"^adagrad_state is 'scalar'"):
        model.save(tmp_path / "m.w2gm")
    assert not (tmp_path / "m.w2gm").exists()
    with pytest.raises(ParameterError, match=r"^adagrad_state is 'scalar'"):
        model.build_vocab([["newword"]] * 3, update=True)
    model.adagrad_state = "row"
    model.train(SMALL, total_examples=len(SMALL))
    # a fresh build_vocab creates accumulators of the new state
    model.adagrad_state = "scalar"
    model.build_vocab(SMALL)
    assert model.accumulators_in.means.shape == model.wv.means.shape


# ------------------------------------------------------------------ model files

def members_of(path):
    with zipfile.ZipFile(path) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def json_member(document):
    buf = io.BytesIO()
    np.save(buf, np.frombuffer(json.dumps(document).encode(), np.uint8), allow_pickle=False)
    return buf.getvalue()


def with_setting(members, name, value):
    """The members with one setting of ``meta_json`` changed (None: the key removed)."""
    members = dict(members)
    meta = json.loads(np.load(io.BytesIO(members["meta_json.npy"])).tobytes())
    if value is None:
        del meta["settings"][name]
    else:
        meta["settings"][name] = value
    members["meta_json.npy"] = json_member(meta)
    return members


def write_zip(path, members):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


@pytest.mark.parametrize("saved, claimed", [("row", "scalar"), ("scalar", "row")])
@pytest.mark.parametrize("separate_output", [False, True])
def test_accumulators_that_do_not_match_adagrad_state_are_refused(tmp_path, saved, claimed,
                                                                  separate_output):
    model = fast_model(adagrad_state=saved, separate_output=separate_output)
    model.save(tmp_path / "m.w2gm")
    path = write_zip(tmp_path / "crafted.w2gm",
                     with_setting(members_of(tmp_path / "m.w2gm"), "adagrad_state", claimed))
    with pytest.raises(ModelFileError, match=r"crafted\.w2gm.*adagrad_means") as info:
        Word2GM.load(path)
    assert "pickle" not in str(info.value).lower()


def test_row_accumulators_of_another_shape_are_refused(tmp_path):
    model = fast_model(**ROW)
    model.save(tmp_path / "m.w2gm")
    members = members_of(tmp_path / "m.w2gm")
    V = len(model.wv.index_to_key)
    for name, bad in (("adagrad_logits.npy", np.ones((V, 2), np.float32)),
                      ("adagrad_means.npy", np.ones((V, 2), np.float32)),
                      ("adagrad_log_variances.npy", np.ones((V, 1, 1), np.float32))):
        buf = io.BytesIO()
        np.save(buf, bad, allow_pickle=False)
        path = write_zip(tmp_path / "bad.w2gm", dict(members, **{name: buf.getvalue()}))
        with pytest.raises(ModelFileError, match=name.removesuffix(".npy")):
            Word2GM.load(path)


def test_non_positive_row_accumulators_are_refused(tmp_path):
    model = fast_model(**ROW)
    model.accumulators_in.logits[3] = 0.0
    model.save(tmp_path / "m.w2gm")
    with pytest.raises(ModelFileError, match="non-positive Adagrad accumulators"):
        Word2GM.load(tmp_path / "m.w2gm")


def test_files_without_the_setting_load_as_scalar(tmp_path):
    """Files written before the setting existed have no adagrad_state: they load as "scalar"."""
    model = fast_model()
    model.save(tmp_path / "m.w2gm")
    path = write_zip(tmp_path / "old.w2gm",
                     with_setting(members_of(tmp_path / "m.w2gm"), "adagrad_state", None))
    loaded = Word2GM.load(path)
    assert loaded.adagrad_state == "scalar"
    assert_same_arrays(loaded, model)
    record = {k: v for k, v in DEFAULTS.items() if k != "adagrad_state"}
    assert settings_from_json(record)["adagrad_state"] == "scalar"


# ------------------------------------------------------------------ command line

def test_cli_has_the_option(tmp_path):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert arguments_to_settings(parser.parse_args([]))["adagrad_state"] == "scalar"
    args = arguments_to_settings(parser.parse_args(["--adagrad-state", "row"]))
    assert Word2GM(**args).adagrad_state == "row"
    # outside the source tree, with the imported w2gm on PYTHONPATH (as in test_cli.py): a clean
    # clone's source tree has no built extensions
    result = subprocess.run([sys.executable, "-m", "w2gm", "train", "--help"], capture_output=True,
                            text=True, check=True, env=subprocess_env(), cwd=tmp_path, timeout=60)
    assert "--adagrad-state" in result.stdout


def test_an_invalid_state_set_after_build_vocab_is_named_on_save(tmp_path):
    """A value that is neither "scalar" nor "row" is refused by name, and nothing is written."""
    model = fast_model()
    model.adagrad_state = "rows"
    with pytest.raises(ParameterError, match="'rows'"):
        model.save(tmp_path / "m.w2gm")
    assert not (tmp_path / "m.w2gm").exists()
