"""Tests for the ``w2gm`` command line (w2gm.cli.main and ``python -m w2gm``)."""

import gzip
import importlib.metadata
import logging
import os
import subprocess
import sys

import numpy as np
import pytest

import w2gm
from w2gm import Word2GM, cli
from w2gm.cli import build_parser, detect_format, main, package_version, use_progress_bar
from w2gm.training import PROGRESS_MESSAGE

TOPICS = "abcd"


def sentences(n=200, length=8, topic_size=10, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        t = TOPICS[i % len(TOPICS)]
        out.append([f"{t}{j}" for j in rng.integers(0, topic_size, length)])
    return out


SENTENCES = sentences()
N_TOKENS = sum(len(s) for s in SENTENCES)
VOCAB = {w for s in SENTENCES for w in s}

FAST_OPTIONS = ["--epochs", "1", "--vector-size", "10", "--min-count", "1", "--workers", "1"]


@pytest.fixture
def lines_file(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("".join(" ".join(s) + "\n" for s in SENTENCES), encoding="utf-8")
    return str(path)


@pytest.fixture
def text8_file(tmp_path):
    path = tmp_path / "text8-like"
    path.write_text(" " + " ".join(w for s in SENTENCES for w in s), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli-model")
    corpus = d / "corpus.txt"
    corpus.write_text("".join(" ".join(s) + "\n" for s in SENTENCES), encoding="utf-8")
    out = str(d / "model.w2gm")
    assert main(["--log-level", "WARNING", "train", str(corpus), "-o", out, *FAST_OPTIONS,
                 "--num-mixtures", "3", "--epochs", "2"]) == 0
    return out


def listing(path):
    return sorted(os.listdir(path))


# ---------------------------------------------------------------------------
# format detection


def test_detect_format_lines_and_text8(tmp_path, lines_file, text8_file):
    assert detect_format(lines_file) == "lines"
    # a small single-line file is indistinguishable from one long line ...
    assert detect_format(text8_file) == "lines"
    # ... unless the probe is shorter than the file
    assert detect_format(text8_file, probe_bytes=1024) == "text8"
    assert detect_format(lines_file, probe_bytes=1024) == "lines"
    # a real text8-style file: more than the 1 MiB probe without a newline
    big = tmp_path / "big-text8"
    words = " ".join(f"w{i % 5000}" for i in range(250_000))
    assert len(words) > 1 << 20
    big.write_text(" " + words)
    assert detect_format(str(big)) == "text8"
    gz = tmp_path / "big-text8.gz"
    gz.write_bytes(gzip.compress((" " + words).encode(), compresslevel=1))
    assert detect_format(str(gz)) == "text8"
    gz_lines = tmp_path / "lines.txt.gz"
    gz_lines.write_bytes(gzip.compress(("a b c\n" * 300_000).encode(), compresslevel=1))
    assert detect_format(str(gz_lines)) == "lines"


# ---------------------------------------------------------------------------
# train


def test_train_lines_file(tmp_path, lines_file, capsys):
    out = str(tmp_path / "model.w2gm")
    rc = main(["--log-level", "WARNING", "train", lines_file, "-o", out, *FAST_OPTIONS,
               "--num-mixtures", "3", "--covariance", "diagonal", "--window", "3",
               "--sample", "0", "--seed", "7", "--optimizer", "sgd", "--alpha", "0.02",
               "--margin", "0.5", "--separate-output", "--var-bounds", "0.01", "5"])
    assert rc == 0
    stdout = capsys.readouterr().out
    assert "lines format" in stdout and out in stdout
    model = Word2GM.load(out)
    expected = dict(num_mixtures=3, vector_size=10, covariance="diagonal", window=3,
                    min_count=1, sample=0.0, epochs=1, workers=1, seed=7, optimizer="sgd",
                    alpha=0.02, margin=0.5, separate_output=True, var_bounds=[0.01, 5.0])
    settings = model.settings()
    for name, value in expected.items():
        assert settings[name] == value, name
    # untouched options keep the library defaults
    defaults = Word2GM().settings()
    for name in ("negative", "var_scale", "mu_scale", "min_alpha", "eps", "batch_words",
                 "adagrad_initial_accumulator"):
        assert settings[name] == defaults[name], name
    assert set(model.wv.index_to_key) == VOCAB
    assert model.corpus_total_words == N_TOKENS
    assert model.corpus_count == len(SENTENCES)
    assert model.epochs_trained == 1 and len(model.training_loss) == 1
    assert model.params_out is not None and model.accumulators_in is None
    assert model.wv.means.shape == (len(VOCAB), 3, 10)
    assert model.wv.log_variances.shape == (len(VOCAB), 3, 10)


@pytest.mark.parametrize("fmt", [None, "text8", "lines"])
def test_train_text8_file(tmp_path, text8_file, capsys, fmt):
    out = str(tmp_path / "model.w2gm")
    argv = ["--log-level", "WARNING", "train", text8_file, "-o", out, *FAST_OPTIONS]
    if fmt:
        argv += ["--format", fmt]
    assert main(argv) == 0
    stdout = capsys.readouterr().out
    assert f"{fmt or 'lines'} format" in stdout
    model = Word2GM.load(out)
    assert set(model.wv.index_to_key) == VOCAB
    assert model.corpus_total_words == N_TOKENS
    assert model.vector_size == 10 and model.min_count == 1 and model.epochs == 1


def test_train_gzipped_lines_file(tmp_path):
    corpus = tmp_path / "corpus.txt.gz"
    corpus.write_bytes(gzip.compress("".join(" ".join(s) + "\n" for s in SENTENCES).encode()))
    out = str(tmp_path / "model.w2gm")
    assert main(["--log-level", "WARNING", "train", str(corpus), "-o", out, *FAST_OPTIONS]) == 0
    assert Word2GM.load(out).corpus_total_words == N_TOKENS


def test_train_bundled_sample_corpus(tmp_path, capsys):
    out = str(tmp_path / "sample.w2gm")
    rc = main(["--log-level", "WARNING", "train", "-o", out, "--epochs", "1",
               "--vector-size", "10"])
    assert rc == 0
    assert "sample corpus" in capsys.readouterr().out
    model = Word2GM.load(out)
    for word in ("the", "of", "and", "in"):
        assert word in model.wv
    assert model.wv.index_to_key[0] == "the"
    assert model.corpus_total_words == 333_234
    assert model.min_count == 5


def test_train_same_options_same_model(tmp_path, lines_file):
    outs = [str(tmp_path / f"m{i}.w2gm") for i in range(2)]
    for out in outs:
        assert main(["--log-level", "WARNING", "train", lines_file, "-o", out,
                     *FAST_OPTIONS]) == 0
    m0, m1 = (Word2GM.load(o) for o in outs)
    assert np.array_equal(m0.wv.means, m1.wv.means)


@pytest.mark.parametrize("option,value,name", [
    ("--num-mixtures", "0", "num_mixtures"),
    ("--covariance", "full", "covariance"),
    ("--optimizer", "adam", "optimizer"),
    ("--window", "0", "window"),
    ("--sample", "-1", "sample"),
    ("--var-scale", "0", "var_scale"),
    ("--workers", "0", "workers"),
    ("--alpha", "nan", "alpha"),
])
def test_train_bad_option_returns_2_and_writes_nothing(tmp_path, lines_file, capsys, option,
                                                       value, name):
    out = tmp_path / "model.w2gm"
    rc = main(["train", lines_file, "-o", str(out), *FAST_OPTIONS, option, value])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.startswith("w2gm: error: ")
    assert name in err and value in err
    assert not out.exists()
    assert listing(tmp_path) == ["lines.txt"]


def test_train_bad_option_with_sample_corpus_fails_before_training(tmp_path, capsys):
    out = tmp_path / "model.w2gm"
    assert main(["train", "-o", str(out), "--num-mixtures", "0"]) == 2
    assert "num_mixtures" in capsys.readouterr().err
    assert listing(tmp_path) == []


def test_train_bad_var_bounds_returns_2(tmp_path, lines_file, capsys):
    out = tmp_path / "model.w2gm"
    assert main(["train", lines_file, "-o", str(out), *FAST_OPTIONS,
                 "--var-bounds", "5", "1"]) == 2
    assert "var_bounds" in capsys.readouterr().err
    assert not out.exists()


def test_train_missing_corpus_returns_2(tmp_path, capsys):
    out = tmp_path / "model.w2gm"
    missing = str(tmp_path / "no-such-corpus.txt")
    assert main(["train", missing, "-o", str(out), *FAST_OPTIONS]) == 2
    err = capsys.readouterr().err
    assert err.startswith("w2gm: error: ") and "no-such-corpus.txt" in err
    assert not out.exists()


def test_train_on_a_uri_without_its_package_returns_2(tmp_path, capsys, monkeypatch):
    import smart_open

    def no_http(*args, **kwargs):
        raise ImportError("You are trying to use the http functionality of smart_open\n"
                          "but you do not have the correct http dependencies installed.")

    monkeypatch.setattr(smart_open, "open", no_http)
    out = tmp_path / "model.w2gm"
    assert main(["train", "http://example.com/corpus.txt", "-o", str(out), *FAST_OPTIONS]) == 2
    err = capsys.readouterr().err
    assert err.startswith("w2gm: error: cannot read 'http://example.com/corpus.txt'")
    assert "not installed" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert listing(tmp_path) == []


def test_train_into_missing_directory_returns_2(tmp_path, lines_file, capsys):
    out = tmp_path / "no-such-dir" / "model.w2gm"
    assert main(["train", lines_file, "-o", str(out), *FAST_OPTIONS]) == 2
    err = capsys.readouterr().err
    assert err.startswith("w2gm: error: ") and "no-such-dir" in err
    assert listing(tmp_path) == ["lines.txt"]


def test_train_empty_corpus_returns_2(tmp_path, capsys):
    corpus = tmp_path / "empty.txt"
    corpus.write_text("\n\n")
    out = tmp_path / "model.w2gm"
    assert main(["train", str(corpus), "-o", str(out), *FAST_OPTIONS]) == 2
    assert "empty" in capsys.readouterr().err
    assert not out.exists()


def test_train_non_integer_option_is_an_argparse_error(tmp_path, lines_file, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", lines_file, "-o", str(tmp_path / "m"), "--num-mixtures", "two"])
    assert exc.value.code == 2
    assert "--num-mixtures" in capsys.readouterr().err


# ---------------------------------------------------------------------------
# neighbors


def test_neighbors_word_level(model_path, capsys):
    assert main(["neighbors", model_path, "a1", "--topn", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5
    model = Word2GM.load(model_path)
    expected = model.most_similar("a1", topn=5)
    for line, (word, score) in zip(lines, expected):
        w, s = line.split("\t")
        assert w == word and float(s) == pytest.approx(score, abs=1e-4)


@pytest.mark.parametrize("component", [0, 2])
def test_neighbors_of_a_component(model_path, capsys, component):
    assert main(["neighbors", model_path, "b3", "--component", str(component)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 10
    expected = Word2GM.load(model_path).most_similar("b3", component=component, topn=10)
    for line, (word, comp, score) in zip(lines, expected):
        label, s = line.split("\t")
        assert label == f"{word}:{comp}"
        assert float(s) == pytest.approx(score, abs=1e-4)
        assert not label.startswith("b3:")


def test_neighbors_unknown_word_returns_2(model_path, capsys):
    assert main(["neighbors", model_path, "zebra"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("w2gm: error: ") and "zebra" in captured.err


@pytest.mark.parametrize("component", ["3", "-1"])
def test_neighbors_component_out_of_range_returns_2(model_path, capsys, component):
    assert main(["neighbors", model_path, "a1", "--component", component]) == 2
    err = capsys.readouterr().err
    assert err.startswith("w2gm: error: ") and "component" in err and component in err


def test_neighbors_missing_model_returns_2(tmp_path, capsys):
    assert main(["neighbors", str(tmp_path / "none.w2gm"), "a1"]) == 2
    assert "none.w2gm" in capsys.readouterr().err


def test_neighbors_foreign_model_file_returns_2(tmp_path, lines_file, capsys):
    assert main(["neighbors", lines_file, "a1"]) == 2
    assert "lines.txt" in capsys.readouterr().err


def test_neighbors_bad_topn_returns_2(model_path, capsys):
    assert main(["neighbors", model_path, "a1", "--topn", "0"]) == 2
    assert "topn" in capsys.readouterr().err


# ---------------------------------------------------------------------------
# export


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_export_is_readable_by_gensim(tmp_path, model_path, capsys, binary):
    gensim_models = pytest.importorskip("gensim.models")
    out = str(tmp_path / "vectors.w2v")
    argv = ["export", model_path, "-o", out, "--component", "1"]
    if binary:
        argv.append("--binary")
    assert main(argv) == 0
    assert out in capsys.readouterr().out
    model = Word2GM.load(model_path)
    kv = gensim_models.KeyedVectors.load_word2vec_format(out, binary=binary)
    assert kv.index_to_key == model.wv.index_to_key
    assert np.array_equal(kv.vectors, model.wv.means[:, 1])


def test_export_component_out_of_range_returns_2_and_writes_nothing(tmp_path, model_path, capsys):
    out = tmp_path / "vectors.txt"
    assert main(["export", model_path, "-o", str(out), "--component", "3"]) == 2
    assert "component" in capsys.readouterr().err
    assert listing(tmp_path) == []


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_export_without_component_writes_point_vectors(tmp_path, model_path, capsys, binary):
    gensim_models = pytest.importorskip("gensim.models")
    out, vocab = str(tmp_path / "v.txt"), str(tmp_path / "vocab.txt")
    argv = ["export", model_path, "-o", out, "--fvocab", vocab] + (["--binary"] if binary else [])
    assert main(argv) == 0
    assert "point vectors" in capsys.readouterr().out
    wv = Word2GM.load(model_path).wv
    kv = gensim_models.KeyedVectors.load_word2vec_format(out, fvocab=vocab, binary=binary)
    assert kv.index_to_key == wv.index_to_key
    np.testing.assert_allclose(kv.vectors, wv.vectors, rtol=1e-6)
    weights = wv.mixture_weights.astype(np.float64)
    expected = np.einsum("vk,vkd->vd", weights, wv.means.astype(np.float64))
    np.testing.assert_allclose(kv.vectors, expected, rtol=1e-5, atol=1e-7)
    assert [kv.get_vecattr(w, "count") for w in kv.index_to_key] == wv.counts.tolist()


# ---------------------------------------------------------------------------
# python -m w2gm


def subprocess_env():
    """The test process's environment, with the imported w2gm's directory on PYTHONPATH."""
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(w2gm.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def test_python_m_w2gm_help(tmp_path):
    # run outside the source tree: `python -m` puts the working directory first on sys.path
    result = subprocess.run([sys.executable, "-m", "w2gm", "--help"], capture_output=True,
                            text=True, env=subprocess_env(), timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for command in ("train", "neighbors", "export"):
        assert command in result.stdout


def test_python_m_w2gm_error_exit_code(tmp_path):
    result = subprocess.run([sys.executable, "-m", "w2gm", "neighbors",
                             str(tmp_path / "missing.w2gm"), "word"],
                            capture_output=True, text=True, env=subprocess_env(), timeout=60,
                            cwd=tmp_path)
    assert result.returncode == 2
    assert "w2gm: error:" in result.stderr and "missing.w2gm" in result.stderr


# ---------------------------------------------------------------------------
# hostile paths and interruptions: one line naming the user's path, nothing written


@pytest.mark.parametrize("target", [".", "existing_dir"])
def test_train_into_a_directory_fails_before_reading_the_corpus(tmp_path, lines_file, capsys,
                                                                monkeypatch, target):
    (tmp_path / "existing_dir").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Word2GM, "build_vocab", lambda *a, **k: pytest.fail("the corpus was read"))
    assert main(["train", lines_file, "-o", target, *FAST_OPTIONS]) == 2
    err = capsys.readouterr().err
    assert err.startswith("w2gm: error: ") and err.count("\n") == 1
    assert f"'{target}'" in err and "directory" in err


@pytest.mark.parametrize("target", ["", "missing_dir/", "corpus.txt/", "corpus.txt/model.npz"])
def test_train_to_a_path_that_cannot_become_a_file_fails_before_reading_the_corpus(
        tmp_path, lines_file, capsys, monkeypatch, target):
    (tmp_path / "corpus.txt").write_text("a b c\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Word2GM, "build_vocab", lambda *a, **k: pytest.fail("the corpus was read"))
    assert main(["train", lines_file, "-o", target, *FAST_OPTIONS]) == 2
    err = capsys.readouterr().err
    assert err.startswith("w2gm: error: ") and err.count("\n") == 1
    assert f"'{target}'" in err and ".w2gm-tmp-" not in err
    assert listing(tmp_path) == ["corpus.txt", "lines.txt"]


def test_export_into_missing_directory_names_the_users_path(tmp_path, model_path, capsys):
    out = tmp_path / "missing_dir" / "x.vec"
    assert main(["export", model_path, "-o", str(out), "--component", "0"]) == 2
    err = capsys.readouterr().err
    assert str(out) in err and ".w2gm-tmp-" not in err and err.count("\n") == 1
    assert listing(tmp_path) == []


def test_load_of_a_foreign_file_never_suggests_unpickling(tmp_path, capsys):
    path = tmp_path / "model.pkl"
    path.write_bytes(b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01.")
    assert main(["neighbors", str(path), "a0"]) == 2
    err = capsys.readouterr().err
    assert "model.pkl" in err and "pickle" not in err.lower()


def test_train_on_a_corrupt_gzip_corpus_returns_2(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt.gz"
    data = gzip.compress("".join(" ".join(s) + "\n" for s in SENTENCES).encode())
    corpus.write_bytes(data[:len(data) // 2])
    out = tmp_path / "model.w2gm"
    assert main(["train", str(corpus), "-o", str(out), *FAST_OPTIONS]) == 2
    err = capsys.readouterr().err
    assert err.startswith("w2gm: error: ") and "corpus.txt.gz" in err and err.count("\n") == 1
    assert not out.exists()


def test_disk_full_at_save_prints_one_line(tmp_path, lines_file, capsys, monkeypatch):
    def full(self, path, allow_diverged=False):
        raise OSError(28, "No space left on device", str(path))
    monkeypatch.setattr(Word2GM, "save", full)
    assert main(["--log-level", "WARNING", "train", lines_file, "-o", str(tmp_path / "m.w2gm"),
                 *FAST_OPTIONS]) == 2
    err = capsys.readouterr().err
    assert err.startswith("w2gm: error: ") and "No space left" in err and err.count("\n") == 1


def test_keyboard_interrupt_prints_one_line(tmp_path, lines_file, capsys, monkeypatch):
    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(Word2GM, "train", interrupted)
    out = tmp_path / "m.w2gm"
    assert main(["--log-level", "WARNING", "train", lines_file, "-o", str(out), *FAST_OPTIONS]) == 130
    err = capsys.readouterr().err
    assert err == "w2gm: interrupted; nothing was written by 'train'\n"
    assert not out.exists()


def test_ctrl_c_during_training_in_a_real_process(tmp_path):
    """SIGINT to ``python -m w2gm train`` mid-training: exit 130, one line, no file, no temporary."""
    import signal
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("".join(" ".join(s) + "\n" for s in sentences(n=20000, length=20)) * 5)
    out = tmp_path / "model.w2gm"
    child = subprocess.Popen(
        [sys.executable, "-m", "w2gm", "--log-level", "INFO", "train", str(corpus), "-o", str(out),
         "--epochs", "1000", "--workers", "2", "--min-count", "1"],
        stderr=subprocess.PIPE, text=True, env=subprocess_env(), cwd=tmp_path,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        lines = []
        for line in child.stderr:
            lines.append(line)
            if "EPOCH 1 done" in line or "PROGRESS" in line:
                break
        assert child.poll() is None, "".join(lines)
        child.send_signal(signal.SIGINT)
        rest = child.stderr.read()
        assert child.wait(timeout=60) == 130, rest
    finally:
        child.kill()
        child.wait()
    assert "Traceback" not in rest
    assert rest.strip().splitlines()[-1] == "w2gm: interrupted; nothing was written by 'train'"
    assert listing(tmp_path) == ["corpus.txt"]


# ---------------------------------------------------------------------------
# --version, global options after the subcommand, the progress bar


@pytest.mark.parametrize("argv", [["--version"], ["train", "--version"], ["evaluate", "--version"]])
def test_version(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"w2gm {importlib.metadata.version('w2gm')}\n"


def test_version_of_a_package_that_is_not_installed(monkeypatch):
    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)
    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert package_version() == "unknown"


COMMAND_ARGS = {"train": ["-o", "m.w2gm"], "neighbors": ["m.w2gm", "word"],
                "export": ["m.w2gm", "-o", "v.txt"], "evaluate": ["m.w2gm"]}


@pytest.mark.parametrize("command", sorted(COMMAND_ARGS))
@pytest.mark.parametrize("before,after,expected", [
    (None, None, "INFO"), ("WARNING", None, "WARNING"), (None, "ERROR", "ERROR"),
    ("ERROR", "DEBUG", "DEBUG"), ("DEBUG", "ERROR", "ERROR")])
def test_log_level_before_or_after_the_subcommand(command, before, after, expected):
    argv = ([] if before is None else ["--log-level", before]) + [command, *COMMAND_ARGS[command]]
    argv += [] if after is None else ["--log-level", after]
    args = build_parser().parse_args(argv)
    assert args.log_level == expected and args.command == command


def test_log_level_after_the_subcommand_is_validated(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "-o", "m.w2gm", "--log-level", "LOUD"])
    assert exit_info.value.code == 2
    assert "--log-level" in capsys.readouterr().err


def test_global_options_have_the_same_help_everywhere(capsys):
    for argv in (["--help"], ["train", "--help"], ["neighbors", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        out = " ".join(capsys.readouterr().out.split())
        assert "--log-level {DEBUG,INFO,WARNING,ERROR} logging level (default: INFO)" in out
        assert "--version print the w2gm version and exit" in out


def test_train_with_log_level_after_the_subcommand(tmp_path, lines_file, capsys):
    out = str(tmp_path / "m.w2gm")
    assert main(["train", lines_file, "-o", out, *FAST_OPTIONS, "--log-level", "WARNING"]) == 0
    assert Word2GM.load(out).wv.vectors.shape[0] == len(VOCAB)


class FakeStream:
    def __init__(self, tty):
        self.tty = tty

    def isatty(self):
        return self.tty


@pytest.mark.parametrize("mode,tty,expected", [
    ("auto", True, True), ("auto", False, False), ("bar", False, True), ("bar", True, True),
    ("log", True, False), ("log", False, False)])
def test_use_progress_bar(mode, tty, expected):
    assert use_progress_bar(mode, FakeStream(tty)) is expected
    assert use_progress_bar("auto", object()) is False  # a stream without isatty is no terminal


@pytest.mark.parametrize("columns, expected", [(0, False), (80, True)])
def test_a_terminal_without_columns_gets_the_log_lines(monkeypatch, columns, expected):
    class Terminal(FakeStream):
        def fileno(self):
            return 99

    monkeypatch.setattr("w2gm.cli.os.get_terminal_size", lambda fd: os.terminal_size((columns, 24)))
    assert use_progress_bar("auto", Terminal(True)) is expected


@pytest.fixture
def bars(monkeypatch):
    """The ProgressBar objects the CLI creates; every job reports progress (report_delay=0)."""
    created = []

    class Recorded(cli.ProgressBar):
        def __init__(self, file):
            super().__init__(file)
            created.append(self)
    monkeypatch.setattr(cli, "ProgressBar", Recorded)
    monkeypatch.setattr(cli, "BAR_REPORT_DELAY", 0)
    return created


TRAIN_2_EPOCHS = [*FAST_OPTIONS, "--epochs", "2", "--batch-words", "200"]


@pytest.mark.parametrize("tty", [True, False])
def test_train_draws_a_bar_only_when_stderr_is_a_terminal(tmp_path, lines_file, capsys, monkeypatch,
                                                          caplog, bars, tty):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    caplog.set_level(logging.INFO, logger="w2gm")
    out = str(tmp_path / "m.w2gm")
    assert main(["train", lines_file, "-o", out, *TRAIN_2_EPOCHS]) == 0
    captured = capsys.readouterr()
    assert "saved to" in captured.out and "%|" not in captured.out
    progress_lines = [r for r in caplog.records if r.msg == PROGRESS_MESSAGE]
    if tty:
        assert len(bars) == 1 and bars[0].bar is None  # closed
        assert "100.0%|" in captured.err
        assert "epoch 1/2" in captured.err and "epoch 2/2" in captured.err and "words/s" in captured.err
        assert progress_lines == []  # the bar replaces them
        # the other log lines still come
        assert any("EPOCH 2 done" in r.getMessage() for r in caplog.records)
    else:
        assert bars == [] and "%|" not in captured.err
    assert logging.getLogger("w2gm.training").filters == []


def test_progress_option_forces_the_bar_or_the_log(tmp_path, lines_file, capsys, monkeypatch, bars):
    out = str(tmp_path / "m.w2gm")
    assert main(["--log-level", "WARNING", "train", lines_file, "-o", out, *TRAIN_2_EPOCHS,
                 "--progress", "bar"]) == 0
    assert len(bars) == 1 and "100.0%|" in capsys.readouterr().err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["--log-level", "WARNING", "train", lines_file, "-o", out, *TRAIN_2_EPOCHS,
                 "--progress", "log"]) == 0
    assert len(bars) == 1 and "%|" not in capsys.readouterr().err


def test_progress_bar_is_closed_on_ctrl_c(tmp_path, lines_file, capsys, bars, monkeypatch):
    def interrupt(self, model, progress):
        if progress.fraction > 0.5:
            raise KeyboardInterrupt
        original(self, model, progress)
    original = cli.ProgressBar.on_progress
    monkeypatch.setattr(cli.ProgressBar, "on_progress", interrupt)
    out = tmp_path / "m.w2gm"
    assert main(["--log-level", "WARNING", "train", lines_file, "-o", str(out), *TRAIN_2_EPOCHS,
                 "--progress", "bar"]) == 130
    err = capsys.readouterr().err
    assert len(bars) == 1 and bars[0].bar is None
    assert "%|" in err and "100.0%|" not in err
    # the bar was closed before the message, which has a line of its own
    assert err.endswith("\nw2gm: interrupted; nothing was written by 'train'\n")
    assert not out.exists() and logging.getLogger("w2gm.training").filters == []


# ---------------------------------------------------------------------------
# export --format projector / tsv, plot


def read_tsv_rows(path):
    text = open(path, encoding="utf-8", newline="").read()
    return [line.split("\t") for line in text[:-1].split("\n")]


def test_export_projector_directory_matches_the_model(tmp_path, model_path, capsys):
    out = tmp_path / "proj" / "ector"
    assert main(["export", model_path, "--format", "projector", "-o", str(out)]) == 0
    assert "TensorBoard Embedding Projector" in capsys.readouterr().out
    assert listing(out) == ["metadata.tsv", "projector_config.pbtxt", "tensors.tsv"]
    wv = Word2GM.load(model_path).wv
    v, k, d = wv.means.shape
    tensors = np.array(read_tsv_rows(out / "tensors.tsv"), dtype=np.float32)
    np.testing.assert_array_equal(tensors, wv.means.reshape(v * k, d))
    meta = read_tsv_rows(out / "metadata.tsv")
    assert meta[0] == ["label", "word", "component", "weight", "variance", "count"]
    assert [row[0] for row in meta[1:]] == [f"{w}:{c}" for w in wv.index_to_key for c in range(k)]
    np.testing.assert_allclose([float(row[3]) for row in meta[1:]], wv.mixture_weights.ravel(), rtol=1e-6)
    assert [int(row[5]) for row in meta[1:]] == np.repeat(wv.counts, k).tolist()
    assert 'tensor_path: "tensors.tsv"' in (out / "projector_config.pbtxt").read_text()


def test_export_tsv(tmp_path, model_path, capsys):
    out = tmp_path / "components.tsv"
    assert main(["export", model_path, "--format", "tsv", "-o", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    wv = Word2GM.load(model_path).wv
    rows = read_tsv_rows(out)
    assert rows[0][:6] == ["label", "word", "component", "weight", "variance", "count"]
    assert len(rows) == 1 + len(wv) * wv.num_mixtures
    np.testing.assert_array_equal(np.array([r[6:] for r in rows[1:]], dtype=np.float32),
                                  wv.means.reshape(-1, wv.vector_size))
    np.testing.assert_allclose([float(r[4]) for r in rows[1:]],
                               np.exp(wv.log_variances.astype(np.float64)).mean(axis=2).ravel(), rtol=1e-6)


def test_export_limit(tmp_path, model_path, capsys):
    out = tmp_path / "p"
    assert main(["export", model_path, "--format", "projector", "--limit", "3", "-o", str(out)]) == 0
    wv = Word2GM.load(model_path).wv
    assert f"wrote {3 * wv.num_mixtures} components (3 words x {wv.num_mixtures})" in capsys.readouterr().out
    meta = read_tsv_rows(out / "metadata.tsv")
    assert [r[1] for r in meta[1::wv.num_mixtures]] == wv.index_to_key[:3]


def test_export_counts_are_singular_for_one(tmp_path, model_path, capsys):
    out = tmp_path / "one.tsv.gz"  # compressed as the word2vec export is
    assert main(["export", model_path, "--format", "tsv", "--limit", "1", "-o", str(out)]) == 0
    k = Word2GM.load(model_path).wv.num_mixtures
    assert f"wrote {k} components (1 word x {k}) to {out}" in capsys.readouterr().out
    with gzip.open(out, "rt", encoding="utf-8") as f:
        assert len(f.read().splitlines()) == 1 + k


@pytest.mark.parametrize("argv, message", [
    (["--limit", "3"], "--limit only applies"),
    (["--format", "tsv", "--limit", "0"], "limit must be"),
    (["--format", "tsv", "--component", "1"], "--component only applies"),
    (["--format", "projector", "--binary"], "--binary only applies"),
    (["--format", "tsv", "--fvocab", "v.txt"], "--fvocab only applies"),
    (["--format", "tsv", "--fvocab", "v.txt", "--binary"], "--fvocab, --binary only apply"),
])
def test_export_components_refuses_word2vec_options(tmp_path, model_path, capsys, argv, message):
    assert main(["export", model_path, "-o", str(tmp_path / "out"), *argv]) == 2
    assert message in capsys.readouterr().err
    assert listing(tmp_path) == []


def test_export_projector_into_a_file_returns_2(tmp_path, model_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("keep")
    assert main(["export", model_path, "--format", "projector", "-o", str(target)]) == 2
    assert "file.txt" in capsys.readouterr().err
    assert target.read_text() == "keep"


def test_export_default_format_is_word2vec(tmp_path, model_path):
    out = tmp_path / "v.txt"
    assert main(["export", model_path, "-o", str(out)]) == 0
    wv = Word2GM.load(model_path).wv
    assert out.read_text().split("\n")[0] == f"{len(wv)} {wv.vector_size}"


@pytest.mark.parametrize("ext, magic", [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_plot_writes_the_figure(tmp_path, model_path, capsys, ext, magic):
    pytest.importorskip("matplotlib")
    wv = Word2GM.load(model_path).wv
    words = wv.index_to_key[:2]
    out = tmp_path / f"figure.{ext}"
    assert main(["plot", model_path, *words, "-o", str(out), "--neighbours", "2"]) == 0
    assert str(out) in capsys.readouterr().out
    data = out.read_bytes()
    assert data.startswith(magic)
    if ext == "svg":
        text = data.decode("utf-8")
        for k in range(wv.num_mixtures):
            assert f"{words[0]}:{k}" in text  # the labels, kept as text in the SVG
    assert listing(tmp_path) == [f"figure.{ext}"]


@pytest.mark.parametrize("argv, message", [
    (["a0", "-o", "figure.gif"], ".png"),
    (["a0", "-o", "figure"], ".png"),
    (["no-such-word", "-o", "figure.png"], "no-such-word"),
    (["a0", "-o", "figure.png", "--neighbours", "-1"], "--neighbours"),
])
def test_plot_bad_input_returns_2_and_writes_nothing(tmp_path, model_path, capsys, argv, message):
    pytest.importorskip("matplotlib")
    argv = [str(tmp_path / a) if a.startswith("figure") else a for a in argv]
    assert main(["plot", model_path, *argv]) == 2
    assert message in capsys.readouterr().err
    assert listing(tmp_path) == []


def test_plot_without_matplotlib_prints_the_install_hint(tmp_path, model_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["plot", model_path, "a0", "-o", str(tmp_path / "f.png")]) == 2
    assert 'pip install "w2gm[plot]"' in capsys.readouterr().err
    assert listing(tmp_path) == []


# ---------------------------------------------------------------------------
# senses, disambiguate, entail


def test_senses_prints_the_components_side_by_side(model_path, capsys):
    assert main(["senses", model_path, "a1", "b2", "--topn", "4"]) == 0
    blocks = capsys.readouterr().out.strip("\n").split("\n\n")
    wv = Word2GM.load(model_path).wv
    assert len(blocks) == 2
    for word, block in zip(["a1", "b2"], blocks):
        lines = block.splitlines()
        assert len(lines) == 3 + 4
        assert lines[0].split() == [f"{word}:{k}" for k in range(3)]
        result = wv.senses(word, topn=4)
        weights = [float(x) for x in lines[1].split()[1:]]
        variances = [float(x) for x in lines[2].split()[1:]]
        assert weights == pytest.approx([s.weight for s in result.senses], abs=1e-3)
        assert variances == pytest.approx([s.variance for s in result.senses], rel=1e-3)
        for rank, line in enumerate(lines[3:]):
            cells = line.split()
            assert cells[0] == str(rank + 1)
            labels, scores = cells[1::2], [float(x) for x in cells[2::2]]
            assert labels == [s.neighbors[rank][0] for s in result.senses]
            assert scores == pytest.approx([s.neighbors[rank][1] for s in result.senses], abs=1e-3)


@pytest.mark.parametrize("argv, message", [
    (["senses", "MODEL", "a1", "zebra"], "zebra"),
    (["senses", "MODEL", "a1", "--topn", "0"], "topn"),
    (["disambiguate", "MODEL", "zebra", "a1 a2"], "zebra"),
    (["disambiguate", "MODEL", "a1", "a2 a3", "--window", "2"], "does not contain"),
    (["disambiguate", "MODEL", "a1", "a1 a2", "--window", "-1"], "window"),
    (["entail", "MODEL", "a1", "zebra"], "zebra"),
])
def test_sense_commands_bad_input_returns_2(model_path, capsys, argv, message):
    argv = [model_path if a == "MODEL" else a for a in argv]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("w2gm: error: ") and message in captured.err


@pytest.mark.parametrize("window", [None, 1])
def test_disambiguate_prints_the_posterior_and_neighbours(model_path, capsys, window):
    sentence = "c1 c2 a1 a3 zebra a5 b7"
    argv = ["disambiguate", model_path, "a3", sentence]
    if window is not None:
        argv += ["--window", str(window)]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    wv = Word2GM.load(model_path).wv
    expected = wv.disambiguate("a3", sentence, window=window)
    assert lines[0] == "context used: " + " ".join(expected.context_used)
    assert expected.context_used == (["a1"] if window == 1 else ["c1", "c2", "a1", "a5", "b7"])
    assert lines[1].split() == ["component", "probability", "neighbors"]
    assert len(lines) == 2 + 3
    for k, line in enumerate(lines[2:]):
        label, rest = line.split(None, 1)
        assert label == f"a3:{k}"
        starred = rest.startswith("*")
        assert starred == (k == expected.component)
        prob, near = rest.lstrip("* ").split(None, 1)
        assert float(prob) == pytest.approx(expected.probabilities[k], abs=1e-4)
        assert near.split(", ") == [f"{w}:{c}" for w, c, _ in wv.most_similar("a3", component=k, topn=5)]


def test_entail_prints_every_metric_both_ways(model_path, capsys):
    assert main(["entail", model_path, "a1", "b2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    wv = Word2GM.load(model_path).wv
    from w2gm.similarity import SIMILARITY_METRICS
    assert lines[0].split() == ["metric", "a1", "|=", "b2", "b2", "|=", "a1"]
    assert [line.split()[0] for line in lines[1:-1]] == list(SIMILARITY_METRICS)
    for metric, line in zip(SIMILARITY_METRICS, lines[1:-1]):
        forward, backward = (float(x) for x in line.split()[1:])
        assert forward == pytest.approx(wv.similarity("a1", "b2", metric), abs=1e-4)
        assert backward == pytest.approx(wv.similarity("b2", "a1", metric), abs=1e-4)
    ranked = wv.most_general(["a1", "b2"])
    assert lines[-1].startswith("generality") and lines[-1].endswith(
        ", ".join(f"{w} {g:.4f}" for w, g in ranked))


def test_senses_with_a_huge_topn_prints_every_neighbour(model_path, capsys):
    """The rows are bounded by the neighbours found, not by --topn (10**12 rows was a hang)."""
    assert main(["senses", model_path, "a1", "--topn", str(10**12)]) == 0
    lines = capsys.readouterr().out.strip("\n").splitlines()
    wv = Word2GM.load(model_path).wv
    assert len(lines) == 3 + (len(wv) - 1) * wv.num_mixtures  # every component of every other word


def test_train_whose_max_vocab_size_prunes_every_word_returns_2(tmp_path, lines_file, capsys):
    out = tmp_path / "m.w2gm"
    assert main(["train", lines_file, "-o", str(out), *FAST_OPTIONS, "--max-vocab-size", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("w2gm: error: max_vocab_size=1 pruned every word") and err.count("\n") == 1
    assert not out.exists()


def test_export_refuses_an_fvocab_that_would_overwrite_the_vectors(tmp_path, model_path, capsys):
    (tmp_path / "e.txt").write_text("OLD\n")
    target = str(tmp_path / "e.txt")
    assert main(["export", model_path, "-o", target, "--fvocab", target, "--component", "0"]) == 2
    assert "is the vectors file itself" in capsys.readouterr().err
    assert (tmp_path / "e.txt").read_text() == "OLD\n"


def test_export_to_a_compression_without_its_package_writes_nothing(tmp_path, model_path, capsys,
                                                                    without_zstd):
    (tmp_path / "e.txt").write_text("OLD\n")
    for argv in (["-o", str(tmp_path / "e.txt.zst")], ["-o", str(tmp_path / "e.txt"), "--fvocab",
                                                         str(tmp_path / "fv.zst")]):
        assert main(["export", model_path, *argv, "--component", "0"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("w2gm: error: cannot write ") and "not installed" in err
    assert listing(tmp_path) == ["e.txt"] and (tmp_path / "e.txt").read_text() == "OLD\n"
