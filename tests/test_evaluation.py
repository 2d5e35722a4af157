"""Tests for the w2gm.evaluation package (datasets, word_pairs, entailment, scws) and ``w2gm evaluate``.

Word analogies (``w2gm.evaluation.analogies``) are tested in ``tests/test_analogies.py``.
"""

import bz2
import gzip
import lzma
import math
import os
import re

import numpy as np
import pytest
from fifo import fifo_spellings
from scipy.stats import pearsonr, spearmanr

from w2gm import KeyedGaussianMixtures, Word2GM
from w2gm import evaluation as ev
from w2gm.cli import main
from w2gm.evaluation import analogies, datasets, entailment, scws, word_pairs
from w2gm.exceptions import (
    DatasetFormatError,
    ParameterError,
    W2GMError,
    WordNotInVocabularyError,
)
from w2gm.similarity import SIMILARITY_METRICS

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


# ---------------------------------------------------------------- fixtures

def unit(angle_degrees):
    a = np.deg2rad(angle_degrees)
    return [np.cos(a), np.sin(a)]


@pytest.fixture
def angles():
    """K=1, D=2 words at given angles: cos(word, 'base') is known exactly."""
    words = {"base": 0, "a": 10, "b": 30, "c": 50, "d": 70, "e": 85, "Upper": 20}
    means = np.array([[unit(a)] for a in words.values()])
    return KeyedGaussianMixtures(list(words), means, np.zeros((len(words), 1, 1)), np.zeros((len(words), 1)))


def write(tmp_path, name, text, newline="\n"):
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return str(path)


# ------------------------------------------------------------------ layout

PUBLIC_NAMES = [
    "BENCHMARKS", "SIMILARITY_METRICS", "AnalogyQuestions", "AnalogySummary", "BenchmarkRow",
    "EntailmentResult", "SCWSPair", "SCWSResult", "WordPairs", "WordPairsResult", "analogy_summary",
    "average_precision", "best_f1", "bundled_analogies_path", "bundled_dataset_path",
    "context_sense_weights", "evaluate_benchmarks", "evaluate_entailment", "evaluate_scws",
    "evaluate_word_analogies", "evaluate_word_pairs", "evaluate_word_pairs_detailed", "format_table",
    "read_analogies", "read_entailment_pairs", "read_scws", "read_word_pairs",
]


def test_package_reexports_the_public_names_of_each_task_module():
    assert sorted(ev.__all__) == sorted(PUBLIC_NAMES)
    homes = {
        datasets: ["BENCHMARKS", "AnalogyQuestions", "SCWSPair", "WordPairs", "bundled_analogies_path",
                   "bundled_dataset_path", "read_analogies", "read_entailment_pairs", "read_scws",
                   "read_word_pairs"],
        word_pairs: ["BenchmarkRow", "WordPairsResult", "evaluate_benchmarks", "evaluate_word_pairs",
                     "evaluate_word_pairs_detailed", "format_table"],
        entailment: ["EntailmentResult", "average_precision", "best_f1", "evaluate_entailment"],
        scws: ["SCWSResult", "context_sense_weights", "evaluate_scws"],
        analogies: ["AnalogySummary", "analogy_summary", "evaluate_word_analogies"],
    }
    for module, names in homes.items():
        for name in names:
            assert getattr(ev, name) is getattr(module, name), name
            assert name in module.__all__, name
            assert name == "BENCHMARKS" or getattr(module, name).__module__ == module.__name__, name
    from w2gm import similarity
    assert ev.SIMILARITY_METRICS is similarity.SIMILARITY_METRICS
    assert sum(len(names) for names in homes.values()) + 1 == len(PUBLIC_NAMES)


def test_evaluation_modules_do_not_import_keyed_mixtures():
    # keyed_mixtures imports w2gm.evaluation.word_pairs, so the reverse would be a cycle
    import ast
    for module in (ev, datasets, word_pairs, entailment, scws, analogies):
        tree = ast.parse(open(module.__file__, encoding="utf-8").read())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
        assert not {"w2gm.keyed_mixtures", "w2gm.word2gm", "w2gm"} & imported, module.__name__


# ------------------------------------------------------------ word-pair files

def test_read_tab_and_space_and_crlf(tmp_path):
    tab = write(tmp_path, "tab.txt", "cat\tdog\t7.5\nsun\tmoon\t2\n")
    space = write(tmp_path, "space.txt", "cat dog 7.5\nsun  moon 2\n")
    crlf = write(tmp_path, "crlf.txt", "cat\tdog\t7.5\nsun\tmoon\t2\n", newline="\r\n")
    no_final_newline = write(tmp_path, "nofinal.txt", "cat dog 7.5\nsun moon 2")
    trailing_tab = write(tmp_path, "trail.txt", "cat dog 7.5\t\nsun moon 2\n", newline="\r\n")
    for path in (tab, space, crlf, no_final_newline, trailing_tab):
        data = ev.read_word_pairs(path)
        assert data.pairs == [("cat", "dog", 7.5), ("sun", "moon", 2.0)], path
        assert data.n_malformed == 0


def test_read_simlex_header_picks_named_column(tmp_path):
    text = ("word1\tword2\tPOS\tSimLex999\tconc(w1)\tconc(w2)\n"
            "old\tnew\tA\t1.58\t2.72\t2.81\n"
            "smart\tintelligent\tA\t9.2\t1.75\t2.46\n")
    data = ev.read_word_pairs(write(tmp_path, "simlex.txt", text, newline="\r\n"))
    assert data.pairs == [("old", "new", 1.58), ("smart", "intelligent", 9.2)]
    # a header without SimLex999 -> 3rd column
    other = ev.read_word_pairs(write(tmp_path, "hdr.txt", "w1 w2 score extra\na b 3 99\n"))
    assert other.pairs == [("a", "b", 3.0)]


def test_read_comments_blank_lines_and_case(tmp_path):
    path = write(tmp_path, "c.txt", "# a comment\n\nCat Dog 1\n  # indented comment\nSun moon 2\n")
    assert ev.read_word_pairs(path).pairs == [("Cat", "Dog", 1.0), ("Sun", "moon", 2.0)]
    assert ev.read_word_pairs(path, case_insensitive=True).pairs == [("cat", "dog", 1.0),
                                                                     ("sun", "moon", 2.0)]


def test_read_malformed_lines_skipped_with_warning(tmp_path):
    text = "cat dog 1\nonly two\nsun moon high\nsea sky nan\nfour five 4\nx\n"
    path = write(tmp_path, "bad.txt", text)
    with pytest.warns(UserWarning, match=r"skipped 4 malformed line\(s\).*first at line 2"):
        data = ev.read_word_pairs(path)
    assert data.pairs == [("cat", "dog", 1.0), ("four", "five", 4.0)]
    assert data.n_malformed == 4


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "header1 header2 score\n",
                                  "a b\nc d\n"])
def test_read_no_valid_pair_raises_naming_file(tmp_path, text):
    path = write(tmp_path, "empty.txt", text)
    with pytest.raises(ValueError, match=re.escape(path)):
        ev.read_word_pairs(path)


def test_missing_file_raises(tmp_path):
    with pytest.raises(OSError):
        ev.read_word_pairs(str(tmp_path / "nope.txt"))


# ------------------------------------------------------- evaluate_word_pairs

def test_evaluate_word_pairs_values_and_oov(angles, tmp_path):
    text = ("base\ta\t9\nbase\tb\t7\nbase\tc\t8\nbase\td\t2\nbase\te\t1\n"
            "base\tzzz\t5\nqqq\ta\t3\nbase\tUPPER\t6\n")
    path = write(tmp_path, "pairs.txt", text)
    res = ev.evaluate_word_pairs_detailed(angles, path)  # case-insensitive by default: UPPER -> Upper
    assert res.n_pairs == 8 and res.n_found == 6 and res.n_malformed == 0
    assert res.oov_ratio == pytest.approx(100 * 2 / 8)
    gold = [9, 7, 8, 2, 1, 6]
    sims = [np.cos(np.deg2rad(a)) for a in (10, 30, 50, 70, 85, 20)]
    assert res.spearman[0] == pytest.approx(spearmanr(gold, sims)[0], rel=1e-12)
    assert res.spearman[1] == pytest.approx(spearmanr(gold, sims)[1], rel=1e-6)
    assert res.pearson[0] == pytest.approx(pearsonr(gold, sims)[0], rel=1e-6)
    strict = ev.evaluate_word_pairs_detailed(angles, path, case_insensitive=False)
    assert strict.n_found == 5 and strict.oov_ratio == pytest.approx(100 * 3 / 8)


def test_case_insensitive_prefers_lowest_index():
    kv = KeyedGaussianMixtures(["apple", "Apple", "pie"], [[[1.0, 0.0]], [[0.0, 1.0]], [[1.0, 0.1]]],
                               np.zeros((3, 1, 1)), np.zeros((3, 1)))
    lookup = word_pairs.VocabularyLookup(kv, True)
    assert lookup.get("APPLE") == 0 and lookup.get("Pie") == 2 and lookup.get("x") is None
    assert word_pairs.VocabularyLookup(kv, False).get("Apple") == 1


def test_evaluate_word_pairs_every_metric_and_model_object(angles, tmp_path):
    path = write(tmp_path, "p.txt", "base a 9\nbase b 7\nbase c 8\nbase d 2\n")
    for metric in SIMILARITY_METRICS:
        pearson, spearman, oov = ev.evaluate_word_pairs(angles, path, metric=metric)
        sims = [angles.similarity("base", w, metric) for w in "abcd"]
        assert spearman[0] == pytest.approx(spearmanr([9, 7, 8, 2], sims)[0]), metric
        assert pearson[0] == pytest.approx(pearsonr([9, 7, 8, 2], sims)[0]), metric
        assert oov == 0.0
    with pytest.raises(ValueError, match="unknown metric 'dot'"):
        ev.evaluate_word_pairs(angles, path, metric="dot")

    class FakeModel:
        wv = angles
    assert ev.evaluate_word_pairs_detailed(FakeModel(), path).n_found == 4
    with pytest.raises(TypeError, match="KeyedGaussianMixtures"):
        ev.evaluate_word_pairs(object(), path)


def test_evaluate_word_pairs_undefined_correlation_is_nan(angles, tmp_path):
    path = write(tmp_path, "p.txt", "base a 1\nzzz yyy 2\n")
    res = ev.evaluate_word_pairs_detailed(angles, path)
    assert res.n_found == 1 and math.isnan(res.spearman[0]) and math.isnan(res.pearson[0])


# ----------------------------------------------------------- bundled datasets

EXPECTED_COUNTS = {"SL": 999, "WS": 353, "WS-S": 203, "WS-R": 252, "MEN": 3000, "MC": 30, "RG": 65,
                   "YP": 130, "MT-287": 287, "MT-771": 771, "RW": 2034}


def test_bundled_datasets_present_with_documented_counts():
    assert list(ev.BENCHMARKS) == list(EXPECTED_COUNTS)  # the paper's Table 2 order
    readme = open(os.path.join(ROOT, "w2gm", "data", "similarity", "README.md"), encoding="utf-8").read()
    for name, count in EXPECTED_COUNTS.items():
        path = ev.bundled_dataset_path(name)
        assert os.path.isfile(path)
        assert os.path.basename(path) == ev.BENCHMARKS[name]
        data = ev.read_word_pairs(path)
        assert len(data.pairs) == count, name
        assert data.n_malformed == 0, name
        assert re.search(rf"\| {re.escape(name)} \| `{re.escape(ev.BENCHMARKS[name])}` \| {count} \|", readme)
    assert ev.bundled_dataset_path("ws-s") == ev.bundled_dataset_path("EN-WS-353-SIM.txt")
    with pytest.raises(ValueError, match="unknown dataset 'WS-999'.*SL"):
        ev.bundled_dataset_path("WS-999")


def test_package_data_ships_similarity_files():
    text = open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8").read()
    assert '"data/similarity/*"' in text


def test_evaluate_benchmarks_and_format_table(angles, tmp_path):
    rows = ev.evaluate_benchmarks(angles, metrics=("max_cos", "neg_kl"))
    assert [r.name for r in rows] == list(EXPECTED_COUNTS)
    assert [r.total for r in rows] == list(EXPECTED_COUNTS.values())
    assert all(r.found == 0 and math.isnan(r.scores["max_cos"]) for r in rows)
    table = ev.format_table(rows, ("max_cos", "neg_kl"))
    lines = table.splitlines()
    assert lines[0].split() == ["dataset", "max_cos", "neg_kl", "pairs", "found"]
    assert len(lines) == 13 and lines[-1].split() == ["RW", "nan", "nan", "0/2034"]

    path = write(tmp_path, "mine.txt", "base a 9\nbase b 7\nbase c 8\nbase d 2\nbase zz 1\n")
    rows = ev.evaluate_benchmarks(angles, metrics="avg_cos", datasets=[path, "MC"])
    assert rows[0].name == "mine.txt" and rows[0].found == 4 and rows[0].total == 5
    expected = 100 * spearmanr([9, 7, 8, 2], [angles.similarity("base", w, "avg_cos") for w in "abcd"])[0]
    assert rows[0].scores["avg_cos"] == pytest.approx(expected)
    assert rows[1].name == "MC" and rows[1].total == 30
    assert f"{expected:.2f}" in ev.format_table(rows, ["avg_cos"])
    with pytest.raises(FileNotFoundError, match="nothing.txt"):
        ev.evaluate_benchmarks(angles, datasets=[str(tmp_path / "nothing.txt")])
    with pytest.raises(ValueError, match="unknown metric"):
        ev.evaluate_benchmarks(angles, metrics=("max_cos", "bogus"))


# ----------------------------------------------------------------- entailment

@pytest.fixture
def entail_files(tmp_path):
    # cos(hyponym, base): a .985, Upper .940, b .866, c .643, d .342, e .087
    positive = write(tmp_path, "pos.txt", "a-n\tbase-n\nc-n\tbase-n\nd-n\tbase-n\nunknown-n\tbase-n\n")
    negative = write(tmp_path, "neg.txt", "# Baroni et al. 2012 style\nUPPER-n\tbase-n\nb-n\tbase-n\n"
                                         "e-n\tbase-n\n", newline="\r\n")
    return positive, negative


def test_read_entailment_pairs_strips_pos_suffix(tmp_path):
    path = write(tmp_path, "e.txt", "aircraft-n\tvehicle-n\nrun-v\tmove-v\nx-ray-n\tpicture-n\n"
                                    "well-being\tstate-n\nBig-j Thing-n\n")
    assert ev.read_entailment_pairs(path) == [("aircraft", "vehicle"), ("run", "move"), ("x-ray", "picture"),
                                              ("well-being", "state"), ("Big", "Thing")]
    assert ev.read_entailment_pairs(path, case_insensitive=True)[-1] == ("big", "thing")
    bad = write(tmp_path, "bad.txt", "a-n\tb-n\nlonely-n\n")
    with pytest.warns(UserWarning, match="first at line 2"):
        assert ev.read_entailment_pairs(bad) == [("a", "b")]
    with pytest.raises(ValueError, match="empty.txt"):
        ev.read_entailment_pairs(write(tmp_path, "empty.txt", ""))


def test_average_precision_and_best_f1_by_hand():
    # ranked: P N P N P N N
    scores = np.array([0.9, 0.8, 0.7, 0.5, 0.4, 0.3, 0.2])
    labels = np.array([1, 0, 1, 0, 1, 0, 0], dtype=bool)
    # AP = (1/1 + 2/3 + 3/5) / 3
    assert ev.average_precision(scores, labels) == pytest.approx((1 + 2 / 3 + 3 / 5) / 3)
    # F1 at the cut after rank r: 2 tp / (r + P): r=1 .5, r=3 .667, r=5 .75 (best), r=7 .6
    f1, t, lower = ev.best_f1(scores, labels)
    assert f1 == pytest.approx(0.75) and t == 0.4 and lower == 0.3
    # ties are grouped: scores [1, 1, 0], labels [P, N, P]: .5 * .5 + .5 * 2/3
    assert ev.average_precision([1.0, 1.0, 0.0], [True, False, True]) == pytest.approx(0.25 + 1 / 3)
    assert ev.best_f1([1.0, 1.0, 0.0], [True, False, True])[0] == pytest.approx(2 * 2 / (3 + 2))
    assert math.isnan(ev.average_precision([1.0, 2.0], [False, False]))


def test_evaluate_entailment_hand_computed(angles, entail_files):
    positive, negative = entail_files
    res = ev.evaluate_entailment(angles, positive, negative, metric="max_cos")
    assert (res.n_total, res.n_found, res.n_positive, res.n_negative) == (7, 6, 3, 3)
    # ranked by cosine: a(P) .985, Upper(N) .940, b(N) .866, c(P) .643, d(P) .342, e(N) .087
    assert res.average_precision == pytest.approx((1 + 2 / 4 + 3 / 5) / 3)
    # F1: r=1 2/4, r=4 4/7, r=5 6/8 (best)
    assert res.best_f1 == pytest.approx(0.75)
    assert res.best_threshold == pytest.approx(np.cos(np.deg2rad(70)), rel=1e-6)
    assert res.metric == "max_cos"
    # CV needs >= folds pairs: 6 found, 5 folds
    assert 0 <= res.cv_f1 <= 1 and 0 <= res.cv_accuracy <= 1
    few = ev.evaluate_entailment(angles, positive, negative, metric="max_cos", folds=7)
    assert math.isnan(few.cv_f1) and few.best_f1 == res.best_f1


def test_evaluate_entailment_neg_kl_direction(tmp_path):
    # narrow hyponyms near the broad hypernym: -KL(hypo || hyper) > -KL(hyper || hypo)
    rng = np.random.default_rng(0)
    n = 12
    hyper_means = rng.standard_normal((n, 1, 3))
    hypo_means = hyper_means + 0.1 * rng.standard_normal((n, 1, 3))
    words = [f"hyper{i}" for i in range(n)] + [f"hypo{i}" for i in range(n)]
    kv = KeyedGaussianMixtures(words, np.concatenate([hyper_means, hypo_means]),
                               np.log(np.r_[np.full(n, 2.0), np.full(n, 0.1)]).reshape(-1, 1, 1),
                               np.zeros((2 * n, 1)))
    pos = write(tmp_path, "pos.txt", "".join(f"hypo{i}-n\thyper{i}-n\n" for i in range(n)))
    neg = write(tmp_path, "neg.txt", "".join(f"hyper{i}-n\thypo{i}-n\n" for i in range(n)))
    res = ev.evaluate_entailment(kv, pos, neg)  # default neg_kl
    assert res.metric == "neg_kl"
    assert res.average_precision == 1.0 and res.best_f1 == 1.0
    # perfectly separable with a wide gap: the cross-validated threshold is perfect too
    assert res.cv_f1 == 1.0 and res.cv_accuracy == 1.0
    # the symmetric cosine cannot tell the direction
    cos = ev.evaluate_entailment(kv, pos, neg, metric="max_cos")
    assert cos.best_f1 < 1.0
    # deterministic folds
    assert ev.evaluate_entailment(kv, pos, neg, metric="max_cos", seed=3) == \
        ev.evaluate_entailment(kv, pos, neg, metric="max_cos", seed=3)
    with pytest.raises(ValueError, match="folds"):
        ev.evaluate_entailment(kv, pos, neg, folds=1)


def test_cv_threshold_by_hand():
    # positives 10, 9, 8, 1 ; negatives 7, 6, 5, 4, 3, 2 -> pooled predictions
    scores = np.array([10, 9, 8, 1, 7, 6, 5, 4, 3, 2], dtype=float)
    labels = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=bool)
    f1, acc = entailment.cross_validated_threshold(scores, labels, folds=5, seed=0)
    assert 0 <= f1 <= 1 and 0 <= acc <= 1
    # each training set has its best F1 with the cut between 8 and 7 (or lower): the three high
    # positives are always found, the low positive (1) never, so F1 <= 6/7 and accuracy <= .9
    assert f1 <= 6 / 7 + 1e-12 and acc <= 0.9 + 1e-12
    assert entailment.cross_validated_threshold(scores, labels, folds=5, seed=0) == (f1, acc)
    # array_like input, the same result
    assert entailment.cross_validated_threshold(scores.tolist(), labels.tolist(), 5, 0) == (f1, acc)


# ----------------------------------------------------------------------- SCWS

@pytest.fixture
def bank_kv():
    """'bank' has a river component (x axis) and a money component (y axis)."""
    words = ["bank", "river", "water", "shore", "money", "loan", "cash", "the"]
    d = 4
    means = np.zeros((len(words), 2, d))
    means[0] = [[1.0, 0, 0, 0], [0, 1.0, 0, 0]]
    for i, (_word, v) in enumerate([("river", [1.0, 0.1, 0, 0]), ("water", [0.9, 0, 0.2, 0]),
                                ("shore", [1.0, 0.05, 0, 0.2]), ("money", [0.1, 1.0, 0, 0]),
                                ("loan", [0, 0.9, 0.2, 0]), ("cash", [0.02, 1.0, 0, 0.4]),
                                ("the", [0, 0, 0, 0.3])], start=1):
        means[i] = [v, v]
    logvar = np.full((len(words), 2, 1), np.log(0.1))
    return KeyedGaussianMixtures(words, means, logvar, np.zeros((len(words), 2)))


def test_context_sense_weights_pick_the_matching_component(bank_kv):
    r = ev.context_sense_weights(bank_kv, "bank", ["river", "water"])
    assert r.shape == (2,) and r.sum() == pytest.approx(1.0)
    assert np.argmax(r) == 0 and r[0] > 0.98
    r = ev.context_sense_weights(bank_kv, "bank", ["the", "loan", "Money", "unknownword"])
    assert np.argmax(r) == 1 and r[1] > 0.95  # the neutral "the" takes a third of the evidence
    np.testing.assert_allclose(ev.context_sense_weights(bank_kv, "bank", ["zzz"]), [0.5, 0.5])
    with pytest.raises(KeyError, match="nowhere"):
        ev.context_sense_weights(bank_kv, "nowhere", ["river"])


def test_context_sense_weights_split_a_string_context_into_words(bank_kv):
    """A str context is a text split at whitespace, never a sequence of characters."""
    as_text = ev.context_sense_weights(bank_kv, "bank", "the  loan\tMoney")
    as_list = ev.context_sense_weights(bank_kv, "bank", ["the", "loan", "Money"])
    np.testing.assert_array_equal(as_text, as_list)
    assert np.argmax(as_text) == 1
    np.testing.assert_array_equal(ev.context_sense_weights(bank_kv, "bank", "river water"),
                                  ev.context_sense_weights(bank_kv, "bank", ["river", "water"]))


def scws_line(i, w1, ctx1, w2, ctx2, rating):
    ratings = "\t".join(["5.0"] * 10)
    return f"{i}\t{w1}\tn\t{w2}\tn\t{ctx1}\t{ctx2}\t{rating}\t{ratings}\n"


RIVER_CTX = "we sat on the <b> bank </b> of the river , water all around ."
MONEY_CTX = "she took a loan from the <b> bank </b> to get money ."
FAR_CTX = "river water river water shore river . x x x x x x I went to the <b> bank </b> for cash loan"


def test_evaluate_scws_context_aware_scores(bank_kv, tmp_path):
    lines = [
        scws_line(1, "bank", RIVER_CTX, "shore", "the <b> shore </b> of the river", 9.0),
        scws_line(2, "bank", MONEY_CTX, "shore", "the <b> shore </b> of the river", 1.0),
        scws_line(3, "Bank", MONEY_CTX, "cash", "pay in <b> cash </b> money", 8.5),
        scws_line(4, "bank", RIVER_CTX, "cash", "pay in <b> cash </b> money", 0.5),
        scws_line(5, "bank", FAR_CTX, "money", "the <b> money </b> is gone", 9.5),
        scws_line(6, "bank", RIVER_CTX, "oov", "an <b> oov </b> word", 3.0),
    ]
    path = write(tmp_path, "ratings.txt", "".join(lines))
    items = ev.read_scws(path)
    assert len(items) == 6
    assert items[0].word1 == "bank" and items[0].context1[items[0].position1] == "bank"
    assert "<b>" not in items[0].context1 and "</b>" not in items[0].context1
    assert items[0].rating == 9.0

    res = ev.evaluate_scws(bank_kv, path)
    assert res.n_pairs == 6 and res.n_found == 5
    # without context, (bank, shore) gets the same score in items 1 and 2 -> imperfect ranking
    assert res.max_sim < 100
    # with context: bank's river component (0) in items 1, 4, its money component (1) in 2, 3, 5;
    # the cosines of the chosen components order the pairs exactly like the ratings
    m = bank_kv.means.astype(float)
    chosen = [(0, "shore"), (1, "shore"), (1, "cash"), (0, "cash"), (1, "money")]
    cosines = []
    for k, w in chosen:
        other = m[bank_kv.get_index(w), 0]
        cosines.append(m[0, k] @ other / np.linalg.norm(m[0, k]) / np.linalg.norm(other))
    gold = [9.0, 1.0, 8.5, 0.5, 9.5]
    assert res.max_sim_c == pytest.approx(100 * spearmanr(gold, cosines)[0]) == pytest.approx(100.0)
    # AvgSimC by hand: bank's responsibilities from the 5 tokens on each side (the other words'
    # two components are equal, so theirs do not matter)
    avg_c = []
    for item, (_, w) in zip(items[:5], chosen):
        p = item.position1
        near = item.context1[max(0, p - 5):p] + item.context1[p + 1:p + 6]
        r = ev.context_sense_weights(bank_kv, "bank", near)
        other = m[bank_kv.get_index(w), 0]
        avg_c.append(sum(r[k] * (m[0, k] @ other) / np.linalg.norm(m[0, k]) / np.linalg.norm(other)
                         for k in range(2)))
    assert res.avg_sim_c == pytest.approx(100 * spearmanr(gold, avg_c)[0])
    assert res.avg_sim_c > res.avg_sim
    # MaxSim by hand: the best component pair, whatever the context
    maxsim = [bank_kv.similarity("bank", w, "max_cos") for _, w in chosen]
    assert maxsim[0] == maxsim[1] and maxsim[2] == maxsim[3]
    assert res.max_sim == pytest.approx(100 * spearmanr(gold, maxsim)[0])
    # AvgSim by hand: mixture weights 1/2, 1/2
    pairs = [("bank", "shore"), ("bank", "shore"), ("bank", "cash"), ("bank", "cash"), ("bank", "money")]
    expected = 100 * spearmanr(gold, [bank_kv.similarity(a, b, "avg_cos") for a, b in pairs])[0]
    assert res.avg_sim == pytest.approx(expected)
    # a window of 5 hides the river words of item 5 (they are > 5 tokens away); a huge one does not
    wide = ev.evaluate_scws(bank_kv, path, window=100)
    assert wide.max_sim_c < res.max_sim_c


def test_read_scws_malformed(tmp_path):
    good = scws_line(1, "bank", RIVER_CTX, "shore", "the <b> shore </b>", 9.0)
    path = write(tmp_path, "r.txt", good + "2\ttoo\tfew\n"
                 + scws_line(3, "a", "no marker", "b", "<b> b </b>", 1)
                 + scws_line(4, "a", "<b> a </b>", "b", "<b> b </b>", "high"))
    with pytest.warns(UserWarning, match=r"skipped 3 malformed.*first at line 2"):
        assert len(ev.read_scws(path)) == 1
    with pytest.raises(ValueError, match="no valid SCWS"):
        ev.read_scws(write(tmp_path, "e.txt", ""))


# ------------------------------------------------------------------------ CLI

@pytest.fixture(scope="module")
def tiny_model_path(tmp_path_factory):
    # sentences with some WordSim-353 / MC words so a few pairs are found
    words = ["car", "automobile", "journey", "voyage", "king", "queen", "tiger", "cat", "money", "bank"]
    rng = np.random.default_rng(0)
    sentences = [list(rng.choice(words, 6)) for _ in range(60)]
    model = Word2GM(sentences, num_mixtures=2, vector_size=4, window=2, min_count=1, sample=0,
                    epochs=1, workers=1, seed=1)
    path = str(tmp_path_factory.mktemp("model") / "tiny.npz")
    model.save(path)
    return path


def test_cli_evaluate_default_table(tiny_model_path, capsys):
    assert main(["--log-level", "WARNING", "evaluate", tiny_model_path]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("dataset"))
    assert lines[header].split() == ["dataset", "max_cos", "pairs", "found"]
    names = [line.split()[0] for line in lines[header + 2:]]
    assert names == list(EXPECTED_COUNTS)
    mc = next(line for line in lines if line.startswith("MC "))
    found, total = mc.split()[-1].split("/")
    assert total == "30" and int(found) >= 1  # car-automobile, journey-voyage


def test_cli_evaluate_metric_all_and_dataset(tiny_model_path, tmp_path, capsys):
    path = write(tmp_path, "mine.txt", "car automobile 9\nking queen 8\ntiger cat 7\nmoney bank 3\n"
                                       "car zebra 1\n")
    assert main(["evaluate", tiny_model_path, "--metric", "all", "--dataset", path,
                 "--dataset", "WS"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("dataset"))
    assert lines[header].split()[1:6] == list(SIMILARITY_METRICS)
    rows = lines[header + 2:]
    assert [r.split()[0] for r in rows] == ["mine.txt", "WS"]
    assert rows[0].split()[-1] == "4/5"
    model = Word2GM.load(tiny_model_path)
    expected = ev.evaluate_word_pairs_detailed(model, path, metric="neg_kl").spearman[0] * 100
    assert rows[0].split()[5] == f"{expected:.2f}"

    assert main(["evaluate", tiny_model_path, "--metric", "avg_cos,min_euclidean", "--metric", "avg_cos",
                 "--dataset", path]) == 0
    header_line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("dataset"))
    assert header_line.split() == ["dataset", "avg_cos", "min_euclidean", "pairs", "found"]


def test_cli_evaluate_errors(tiny_model_path, tmp_path, capsys):
    assert main(["evaluate", tiny_model_path, "--metric", "cosine"]) == 2
    assert re.search(r"w2gm: error: unknown metric 'cosine'.*'max_cos'", capsys.readouterr().err)
    assert main(["evaluate", tiny_model_path, "--dataset", str(tmp_path / "missing.txt")]) == 2
    assert "w2gm: error:" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "no-model.npz")]) == 2
    assert "no such model file" in capsys.readouterr().err
    empty = write(tmp_path, "empty.txt", "")
    assert main(["evaluate", tiny_model_path, "--dataset", empty]) == 2
    assert "no valid word pair" in capsys.readouterr().err


# ------------------------------------------------------- w2gm exception classes

def test_dataset_without_valid_items_raises_dataset_format_error(angles, tmp_path):
    empty = write(tmp_path, "empty.txt", "# nothing here\n")
    calls = [
        lambda: ev.read_word_pairs(empty),
        lambda: ev.read_entailment_pairs(empty),
        lambda: ev.read_scws(empty),
        lambda: ev.evaluate_word_pairs(angles, empty),
        lambda: angles.evaluate_word_pairs(empty),
        lambda: ev.evaluate_benchmarks(angles, datasets=[empty]),
        lambda: ev.evaluate_entailment(angles, empty, empty),
        lambda: ev.evaluate_scws(angles, empty),
    ]
    for call in calls:
        with pytest.raises(DatasetFormatError, match=re.escape(empty)) as info:
            call()
        assert isinstance(info.value, ValueError) and isinstance(info.value, W2GMError)


def test_bad_arguments_raise_parameter_error(angles, tmp_path, entail_files):
    pairs = write(tmp_path, "p.txt", "base a 9\nbase b 7\n")
    ratings = write(tmp_path, "r.txt", scws_line(1, "base", "<b> base </b> a", "a", "<b> a </b> b", 3.0))
    positive, negative = entail_files
    calls = [
        (lambda: ev.evaluate_word_pairs(angles, pairs, metric="dot"), "unknown metric 'dot'"),
        (lambda: angles.evaluate_word_pairs(pairs, metric="dot"), "unknown metric 'dot'"),
        (lambda: ev.evaluate_benchmarks(angles, metrics=("max_cos", "bogus")), "unknown metric 'bogus'"),
        (lambda: ev.evaluate_benchmarks(angles, metrics=()), "metrics is empty"),
        (lambda: ev.bundled_dataset_path("WS-999"), "unknown dataset 'WS-999'"),
        (lambda: ev.bundled_dataset_path(None), "unknown dataset None"),
        (lambda: ev.evaluate_entailment(angles, positive, negative, metric="dot"), "unknown metric"),
        (lambda: ev.evaluate_entailment(angles, positive, negative, folds=1),
         "folds must be an integer >= 2"),
        (lambda: ev.evaluate_entailment(angles, positive, negative, folds=2.0), "got 2.0"),
        (lambda: ev.evaluate_entailment(angles, positive, negative, folds=True), "got True"),
        (lambda: entailment.cross_validated_threshold([1.0, 0.0], [True, False], folds=0), "got 0"),
        (lambda: ev.evaluate_scws(angles, ratings, window=-1), "window must be a non-negative integer"),
        (lambda: ev.evaluate_scws(angles, ratings, window=1.5), "got 1.5"),
    ]
    for call, message in calls:
        with pytest.raises(ParameterError, match=re.escape(message)) as info:
            call()
        assert isinstance(info.value, ValueError) and isinstance(info.value, W2GMError)
    assert ev.evaluate_scws(angles, ratings, window=0).n_found == 1


def test_unknown_target_word_raises_word_not_in_vocabulary_error(bank_kv):
    with pytest.raises(WordNotInVocabularyError, match="word 'nowhere' not in vocabulary") as info:
        ev.context_sense_weights(bank_kv, "nowhere", ["river"])
    assert isinstance(info.value, KeyError) and isinstance(info.value, W2GMError)
    with pytest.raises(WordNotInVocabularyError):
        ev.context_sense_weights(bank_kv, "BANK", ["river"], case_insensitive=False)


def test_non_embeddings_are_a_type_error_not_a_w2gm_error(tmp_path):
    path = write(tmp_path, "p.txt", "base a 9\n")

    class Untrained:
        wv = None
    for kv, extra in ((object(), ""), (Untrained(), "without vectors")):
        with pytest.raises(TypeError, match=f"KeyedGaussianMixtures or a trained Word2GM.*{extra}") as info:
            ev.evaluate_word_pairs(kv, path)
        assert not isinstance(info.value, W2GMError)


# ------------------------------------------------ untrusted dataset files

PAIRS_TEXT = "".join(f"w{i}a w{i}b {i % 10}.5\n" for i in range(60)).encode()
DATASET_COMPRESS = {".gz": lambda b: gzip.compress(b, mtime=0), ".bz2": bz2.compress, ".xz": lzma.compress}
READERS = [ev.read_word_pairs, ev.read_entailment_pairs, ev.read_scws]


def assert_dataset_error(call, path, match):
    with pytest.raises(DatasetFormatError, match=match) as info:
        call()
    assert isinstance(info.value, ValueError) and isinstance(info.value, W2GMError)
    assert str(info.value).startswith(f"{path}: "), str(info.value)
    return info.value


@pytest.mark.parametrize("suffix", sorted(DATASET_COMPRESS))
def test_every_truncation_of_a_compressed_dataset_is_a_dataset_format_error(tmp_path, suffix):
    data = DATASET_COMPRESS[suffix](PAIRS_TEXT)
    for n in range(1, len(data)):
        path = str(tmp_path / f"cut{n}.txt{suffix}")
        with open(path, "wb") as f:
            f.write(data[:n])
        assert_dataset_error(lambda p=path: ev.read_word_pairs(p), path,
                             r"corrupt or truncated compressed data \(while reading line \d+;")
    path = str(tmp_path / f"full.txt{suffix}")
    with open(path, "wb") as f:
        f.write(data)
    assert len(ev.read_word_pairs(path).pairs) == 60


@pytest.mark.parametrize("suffix", sorted(DATASET_COMPRESS))
def test_corrupt_compressed_dataset_is_a_dataset_format_error(tmp_path, suffix):
    data = bytearray(DATASET_COMPRESS[suffix](PAIRS_TEXT))
    data[len(data) // 2] ^= 0xFF
    for reader in READERS:
        for i, damaged in enumerate([bytes(data), b"not compressed at all\n"]):
            path = str(tmp_path / f"bad{i}.txt{suffix}")
            with open(path, "wb") as f:
                f.write(damaged)
            assert_dataset_error(lambda p=path, r=reader: r(p), path, "corrupt or truncated compressed data")


def test_binary_files_are_dataset_format_errors(tmp_path, tiny_model_path):
    """A model file, an image, random bytes: an error naming the file and line, never pairs from garbage."""
    rng = np.random.default_rng(0)
    cases = {
        "model.npz": (open(tiny_model_path, "rb").read(), r"line \d+ (holds a NUL byte|is not valid UTF-8)"),
        "image.png": (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", r"line 1 is not valid UTF-8 \(invalid start byte"),
        "random.bin": (rng.integers(0, 256, 4000, dtype=np.uint8).tobytes(), r"line \d+ "),
        "nul.txt": (b"cat dog 1\nsun moon 2\n\0\0\0\n", r"line 3 holds a NUL byte \(at byte 0 of the line\)"),
    }
    kv = KeyedGaussianMixtures(["cat", "dog"], np.ones((2, 1, 2)), np.zeros((2, 1, 1)), np.zeros((2, 1)))
    for name, (data, message) in cases.items():
        path = str(tmp_path / name)
        with open(path, "wb") as f:
            f.write(data)
        for reader in READERS:
            assert_dataset_error(lambda r=reader, p=path: r(p), path, message)
        assert_dataset_error(lambda p=path: ev.evaluate_word_pairs(kv, p), path, message)


def test_invalid_utf8_is_an_error_with_the_line_number(tmp_path):
    path = str(tmp_path / "latin1.txt")
    with open(path, "wb") as f:
        f.write("cat dog 1\n# caf\u00e9\nsun moon 2\ncaf\u00e9 tea 3\n".encode("latin-1"))
    for reader in READERS:
        assert_dataset_error(lambda r=reader: r(path), path,
                             re.escape("line 2 is not valid UTF-8 (invalid continuation byte at byte 5 "
                                       "of the line); not a text dataset"))


def test_utf8_bom_and_unicode_words_accepted(tmp_path):
    path = write(tmp_path, "bom.txt", "\ufeffcaf\u00e9 th\u00e9 1\n\u65e5\u672c \u8a9e 2\n")
    assert ev.read_word_pairs(path).pairs == [("caf\u00e9", "th\u00e9", 1.0), ("\u65e5\u672c", "\u8a9e", 2.0)]


def test_overlong_line_is_bounded(tmp_path):
    import tracemalloc

    path = str(tmp_path / "bomb.txt.gz")
    with open(path, "wb") as f:
        f.write(gzip.compress(b"cat dog 1\n" + b"x" * (32 << 20)))
    tracemalloc.start()
    try:
        assert_dataset_error(lambda: ev.read_word_pairs(path), path,
                             re.escape(f"line 2 is longer than {datasets.MAX_LINE_BYTES} bytes"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-1e400", "1_0",
                                 "\u0663", "0x10", "7,5"])
def test_non_finite_or_non_decimal_scores_are_never_accepted(tmp_path, bad):
    texts = [f"cat dog 1\nsea sky {bad}\nsun moon 2\n"]
    if bad not in ("0x10", "7,5"):  # float() takes it, so a first line with it is not a header
        texts.append(f"sea sky {bad}\ncat dog 1\nsun moon 2\n")
    for text in texts:
        path = write(tmp_path, "scores.txt", text)
        with pytest.warns(UserWarning, match=r"skipped 1 malformed line\(s\).*first at line [12]"):
            data = ev.read_word_pairs(path)
        assert data.pairs == [("cat", "dog", 1.0), ("sun", "moon", 2.0)]
        assert data.n_malformed == 1
    good = scws_line(1, "bank", RIVER_CTX, "shore", "the <b> shore </b>", 9.0)
    path = write(tmp_path, "r.txt", good + scws_line(2, "a", "<b> a </b>", "b", "<b> b </b>", bad))
    with pytest.warns(UserWarning, match=r"skipped 1 malformed.*first at line 2"):
        items = ev.read_scws(path)
    assert [item.rating for item in items] == [9.0]


def test_all_scores_non_finite_is_a_dataset_format_error(tmp_path):
    # "a b nan" is a data line with a bad score, not a header (float() takes "nan")
    path = write(tmp_path, "allnan.txt", "a b nan\nc d inf\n")
    with pytest.raises(DatasetFormatError, match=re.escape(f"{path}: no valid word pair")):
        ev.read_word_pairs(path)


# ------------------------------------- gensim's evaluate_word_pairs, delimiter

def test_evaluate_word_pairs_equals_gensim_on_a_one_component_wrap(tmp_path):
    gensim_models = pytest.importorskip("gensim.models")
    import gensim

    from w2gm.corpora import sample_corpus
    wv = gensim_models.Word2Vec(list(sample_corpus()), vector_size=24, min_count=3, epochs=2, workers=1,
                                seed=3).wv
    v = len(wv)
    kv = KeyedGaussianMixtures(list(wv.index_to_key), wv.vectors[:, None, :], np.zeros((v, 1, 1)),
                               np.zeros((v, 1)))
    theirs_file = os.path.join(os.path.dirname(gensim.__file__), "test", "test_data", "wordsim353.tsv")
    for path in (ev.bundled_dataset_path("WS"), ev.bundled_dataset_path("MT-287"), theirs_file):
        for kwargs in (dict(), dict(restrict_vocab=2000), dict(dummy4unknown=True),
                       dict(case_insensitive=False, restrict_vocab=5000)):
            theirs = wv.evaluate_word_pairs(path, **kwargs)
            ours = kv.evaluate_word_pairs(path, **kwargs)
            assert len(ours) == 3
            np.testing.assert_allclose(ours[0], tuple(theirs[0]), rtol=1e-5, err_msg=f"{path} {kwargs}")
            np.testing.assert_allclose(ours[1], tuple(theirs[1]), rtol=1e-5, err_msg=f"{path} {kwargs}")
            assert ours[2] == pytest.approx(theirs[2], rel=1e-12)
            # the attribute names of gensim's scipy result objects work too
            assert ours[0].statistic == pytest.approx(theirs[0].statistic, rel=1e-5)
            assert ours[0].pvalue == pytest.approx(theirs[0].pvalue, rel=1e-5)
            assert ours[1].correlation == pytest.approx(theirs[1].correlation, rel=1e-5)
            assert ours[1].pvalue == pytest.approx(theirs[1].pvalue, rel=1e-5)
            detailed = ev.evaluate_word_pairs_detailed(kv, path, **kwargs)
            assert tuple(detailed[:3]) == ours
            assert detailed.n_found > 10


def test_default_delimiter_reads_every_bundled_dataset_as_the_cli(angles):
    for name, total in EXPECTED_COUNTS.items():
        path = ev.bundled_dataset_path(name)
        tab = ev.read_word_pairs(path)
        assert len(tab.pairs) == total and tab.n_malformed == 0, name
        assert ev.read_word_pairs(path, delimiter=None) == tab, name
        assert ev.read_word_pairs(path, delimiter=" ") == tab, name
        assert ev.evaluate_word_pairs_detailed(angles, path).n_pairs == total


def test_delimiter_rules(tmp_path):
    path = write(tmp_path, "p.txt", "sun moon 2\nnew york\tcity\t5\nred,blue,3\n")
    with pytest.warns(UserWarning, match="skipped 1 malformed.*first at line 3"):
        assert ev.read_word_pairs(path).pairs == [("sun", "moon", 2.0), ("new york", "city", 5.0)]
    with pytest.warns(UserWarning, match="skipped 1 malformed.*first at line 2"):
        assert ev.read_word_pairs(path, delimiter=",").pairs == [("sun", "moon", 2.0), ("red", "blue", 3.0)]
    with pytest.warns(UserWarning, match="skipped 2 malformed"):
        assert ev.read_word_pairs(path, delimiter=None).pairs == [("sun", "moon", 2.0)]
    for bad in ("", 3, b"\t"):
        with pytest.raises(ParameterError, match="delimiter must be"):
            ev.read_word_pairs(path, delimiter=bad)


def test_restrict_vocab_dummy4unknown_and_encoding(angles, tmp_path):
    # vocabulary order: base a b c d e Upper
    path = write(tmp_path, "p.txt", "base\ta\t9\nbase\tb\t7\nbase\te\t1\nbase\tzzz\t5\nbase\tc\t8\n")
    res = ev.evaluate_word_pairs_detailed(angles, path, restrict_vocab=3)
    assert (res.n_pairs, res.n_found) == (5, 2) and res.oov_ratio == pytest.approx(60.0)
    assert res.spearman[0] == pytest.approx(1.0)  # a: 9 > b: 7 and cos(10 deg) > cos(30 deg)
    dummy = ev.evaluate_word_pairs_detailed(angles, path, restrict_vocab=3, dummy4unknown=True)
    assert (dummy.n_found, dummy.oov_ratio) == (2, pytest.approx(60.0))
    sims = [np.cos(np.deg2rad(10)), np.cos(np.deg2rad(30)), 0.0, 0.0, 0.0]
    assert dummy.spearman[0] == pytest.approx(spearmanr([9, 7, 1, 5, 8], sims)[0])
    assert ev.evaluate_word_pairs(angles, path, "\t", "UTF-8")[2] == pytest.approx(20.0)
    for kwargs, message in [(dict(encoding="latin-1"), "encoding 'latin-1' is not supported"),
                            (dict(encoding="no-such-codec"), "not supported"),
                            (dict(restrict_vocab=-1), "restrict_vocab must be"),
                            (dict(restrict_vocab=True), "restrict_vocab must be"),
                            (dict(delimiter=""), "delimiter must be")]:
        with pytest.raises(ParameterError, match=message):
            ev.evaluate_word_pairs(angles, path, **kwargs)


def test_case_folding_is_gensims_uppercase():
    # 'ß'.upper() == 'SS': gensim matches "STRASSE" to "straße"; lowercasing would not
    kv = KeyedGaussianMixtures(["straße", "road"], [[[1.0, 0.0]], [[0.0, 1.0]]], np.zeros((2, 1, 1)),
                               np.zeros((2, 1)))
    lookup = word_pairs.VocabularyLookup(kv, True)
    assert lookup.get("STRASSE") == 0 and lookup.get("Road") == 1
    assert word_pairs.VocabularyLookup(kv, True, restrict_vocab=1).get("road") is None
    assert word_pairs.VocabularyLookup(kv, False, restrict_vocab=1).get("road") is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("reader", [ev.read_word_pairs, ev.read_scws, ev.read_analogies,
                                    ev.read_entailment_pairs])
def test_dataset_readers_refuse_a_fifo_without_opening_it(tmp_path, monkeypatch, reader):
    with fifo_spellings(tmp_path, "pairs.txt", monkeypatch) as names:
        for name in names:
            with pytest.raises(DatasetFormatError, match="not a regular file"):
                reader(name)
