"""Word analogies: ``w2gm.evaluation.analogies`` and ``KeyedGaussianMixtures.evaluate_word_analogies``.

The point-vector evaluation must give gensim's own ``evaluate_word_analogies``
result, section by section, on the same vectors (a one-component wrap of
gensim ``KeyedVectors``); ``mixture="best_component"`` and 3CosMul are checked
against brute-force loops.
"""

import gzip
import hashlib
import itertools
import os
import re

import numpy as np
import pytest

from w2gm import KeyedGaussianMixtures
from w2gm import evaluation as ev
from w2gm.evaluation import analogies
from w2gm.exceptions import DatasetFormatError, ParameterError, W2GMError

gensim_models = pytest.importorskip("gensim.models")
# gensim's own most_similar_cosmul calls its deprecated init_sims
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated `init_sims`:DeprecationWarning")

SECTIONS = [
    "capital-common-countries", "capital-world", "currency", "city-in-state", "family",
    "gram1-adjective-to-adverb", "gram2-opposite", "gram3-comparative", "gram4-superlative",
    "gram5-present-participle", "gram6-nationality-adjective", "gram7-past-tense", "gram8-plural",
    "gram9-plural-verbs",
]


# ---------------------------------------------------------------- helpers

def wrap(keyed_vectors):
    """gensim KeyedVectors as one-component mixtures."""
    return KeyedGaussianMixtures.from_keyed_vectors(keyed_vectors)


def gensim_keyed_vectors(words, vectors):
    kv = gensim_models.KeyedVectors(vectors.shape[1])
    kv.add_vectors(list(words), np.asarray(vectors, dtype=np.float32))
    return kv


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def assert_same_result(ours, theirs):
    """Same score and the same sections, in order, with the same questions in each list."""
    assert ours[0] == theirs[0]
    assert [s["section"] for s in ours[1]] == [s["section"] for s in theirs[1]]
    for mine, other in zip(ours[1], theirs[1]):
        assert mine["correct"] == other["correct"], mine["section"]
        assert mine["incorrect"] == other["incorrect"], mine["section"]


@pytest.fixture(scope="module")
def trained():
    """A small gensim CBOW model of the bundled sample corpus (about a second)."""
    from w2gm.corpora import sample_corpus
    model = gensim_models.Word2Vec(list(sample_corpus()), vector_size=32, window=5, min_count=5, epochs=5,
                                   workers=1, seed=1)
    return model.wv


@pytest.fixture(scope="module")
def structured():
    """Vectors in which many analogies of the bundled set hold, with case variants and distractors.

    Every word of a section pair ``x -> y`` gets ``y = x + r_section + noise``
    (the first assignment wins), so many questions are answered right and
    many wrong.  Lower-case variants of some words sit right next to them
    (they show up among the five candidates and must be skipped as question
    words when case is ignored), and random distractors fill the rest.
    """
    rng = np.random.default_rng(7)
    dim = 24
    data = ev.read_analogies(ev.bundled_analogies_path())
    vec = {}
    for _, questions in data.sections:
        relation = rng.standard_normal(dim)
        for _, a, b, c, d in questions:
            for x, y in ((a, b), (c, d)):
                if x not in vec:
                    vec[x] = rng.standard_normal(dim) * 2
                if y not in vec:
                    vec[y] = vec[x] + relation + 0.6 * rng.standard_normal(dim)
    words = list(vec)
    rng.shuffle(words)
    extra = []
    for w in words[::7]:
        if w.lower() != w:
            extra.append((w.lower(), vec[w] + 0.05 * rng.standard_normal(dim)))
    extra += [(f"noise{i}", rng.standard_normal(dim) * 2) for i in range(300)]
    order = words[:200] + [w for w, _ in extra[:40]] + words[200:] + [w for w, _ in extra[40:]]
    table = dict(vec)
    table.update(extra)
    vectors = np.array([table[w] for w in order], dtype=np.float32)
    return gensim_keyed_vectors(order, vectors)


# ----------------------------------------------------------- bundled file

def test_bundled_file_is_word2vecs_questions_words():
    path = ev.bundled_analogies_path()
    assert os.path.isfile(path) and path.endswith(os.path.join("w2gm", "data", "questions-words.txt"))
    data = ev.read_analogies(path)
    assert [name for name, _ in data.sections] == SECTIONS
    assert sum(len(q) for _, q in data.sections) == 19544 and data.n_malformed == 0
    assert data.sections[0][1][0] == (2, "Athens", "Greece", "Baghdad", "Iraq")
    # byte for byte the copy gensim ships in its test data
    import gensim
    theirs = os.path.join(os.path.dirname(gensim.__file__), "test", "test_data", "questions-words.txt")
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    assert digest == hashlib.sha256(open(theirs, "rb").read()).hexdigest()
    readme = open(os.path.join(os.path.dirname(path), "README.md"), encoding="utf-8").read()
    assert "questions-words.txt" in readme and "Apache License" in readme and digest in readme


def test_read_analogies_case_folding_and_empty_sections(tmp_path):
    path = write(tmp_path, "q.txt", ": first\n: second one \nAthens Greece Baghdad Iraq\n\n"
                                    "# comment\n:third\n")
    # ":third" has no space after the colon: a one-word question line, skipped as malformed (as gensim)
    with pytest.warns(UserWarning, match=r"skipped 1 malformed line\(s\).*first at line 6"):
        data = ev.read_analogies(path, case_insensitive=True)
    assert data.sections == [("first", []), ("second one", [(3, "ATHENS", "GREECE", "BAGHDAD", "IRAQ")])]
    assert data.n_malformed == 1


@pytest.mark.parametrize("text, message", [
    ("a b c d\n: s\n", "line 1 is a question before the first section line"),
    ("", "no analogy question"),
    (": only a section\n", "no analogy question"),
    (": s\na b c\n", "no analogy question"),
])
def test_read_analogies_errors_name_file_and_line(tmp_path, text, message):
    path = write(tmp_path, "bad.txt", text)
    with pytest.raises(DatasetFormatError, match=re.escape(message)) as info:
        ev.read_analogies(path)
    assert str(info.value).startswith(path) and isinstance(info.value, ValueError)
    assert isinstance(info.value, W2GMError)


def test_read_analogies_untrusted_bytes(tmp_path):
    nul = tmp_path / "nul.txt"
    nul.write_bytes(b": s\na b c d\n\0\0\n")
    with pytest.raises(DatasetFormatError, match="line 3 holds a NUL byte"):
        ev.read_analogies(nul)
    latin = tmp_path / "latin.txt"
    latin.write_bytes(": s\ncaf\u00e9 a b c\n".encode("latin-1"))
    with pytest.raises(DatasetFormatError, match="line 2 is not valid UTF-8"):
        ev.read_analogies(latin)
    cut = tmp_path / "cut.txt.gz"
    cut.write_bytes(gzip.compress(b": s\n" + b"a b c d\n" * 500)[:-30])
    with pytest.raises(DatasetFormatError, match="corrupt or truncated compressed data"):
        ev.read_analogies(cut)
    whole = tmp_path / "whole.txt.gz"
    whole.write_bytes(gzip.compress(b": s\n" + b"a b c d\n" * 5))
    assert len(ev.read_analogies(whole).sections[0][1]) == 5


# --------------------------------------------- equality with gensim (point)

@pytest.mark.parametrize("restrict_vocab, case_insensitive, dummy4unknown", [
    (300000, True, False), (600, True, False), (600, True, True), (300000, False, False), (450, False, True),
])
def test_point_vectors_give_gensims_result_on_structured_vectors(structured, restrict_vocab,
                                                                 case_insensitive, dummy4unknown):
    path = ev.bundled_analogies_path()
    kwargs = dict(restrict_vocab=restrict_vocab, case_insensitive=case_insensitive,
                  dummy4unknown=dummy4unknown)
    theirs = structured.evaluate_word_analogies(path, **kwargs)
    ours = wrap(structured).evaluate_word_analogies(path, mixture="point", **kwargs)
    assert_same_result(ours, theirs)
    total = ours[1][-1]
    assert len(total["correct"]) > 300 and len(total["incorrect"]) > 100  # a real mix of answers
    # K = 1: the best component is the only one, so both mixture choices agree
    assert_same_result(wrap(structured).evaluate_word_analogies(path, mixture="best_component", **kwargs),
                       theirs)


def test_case_variants_are_skipped_as_gensim_does(structured):
    """Lower-case twins of question words rank among the five candidates and are skipped, not answered."""
    kv = wrap(structured)
    skipped = 0
    for _, a, b, c, d in ev.read_analogies(ev.bundled_analogies_path()).sections[0][1][:200]:
        if all(w in kv for w in (a, b, c, d)):
            top = structured.most_similar(positive=[b, c], negative=[a], topn=5)
            skipped += any(w.upper() in {a.upper(), b.upper(), c.upper()} for w, _ in top)
    assert skipped > 0


def test_point_vectors_give_gensims_result_on_trained_vectors(trained):
    path = ev.bundled_analogies_path()
    for restrict_vocab in (300000, 3000):
        theirs = trained.evaluate_word_analogies(path, restrict_vocab=restrict_vocab)
        ours = ev.evaluate_word_analogies(wrap(trained), path, restrict_vocab=restrict_vocab, mixture="point")
        assert_same_result(ours, theirs)
        assert len(theirs[1][-1]["correct"]) > 0


def test_to_keyed_vectors_round_trip_gives_gensims_result(structured):
    kv = wrap(structured)
    path = ev.bundled_analogies_path()
    assert_same_result(kv.evaluate_word_analogies(path, restrict_vocab=500, mixture="point"),
                       kv.to_keyed_vectors().evaluate_word_analogies(path, restrict_vocab=500))


def test_blocks_do_not_change_the_result(structured, monkeypatch):
    kv = wrap(structured)
    path = ev.bundled_analogies_path()
    expected = {m: kv.evaluate_word_analogies(path, restrict_vocab=700, mixture=m)
                for m in ("point", "best_component")}
    assert len(expected["point"][1][-1]["correct"]) > 300
    monkeypatch.setattr(analogies, "_BLOCK_ELEMENTS", 5000)  # a few questions a block
    monkeypatch.setattr(analogies, "_INNER_ELEMENTS", 3000)  # and a few hundred candidates a product
    for m in ("point", "best_component"):
        assert_same_result(kv.evaluate_word_analogies(path, restrict_vocab=700, mixture=m), expected[m])


# ------------------------------------------ mixtures: best component, cosmul

def random_mixtures(seed, v=30, k=2, d=5):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(v)]
    return KeyedGaussianMixtures(words, rng.standard_normal((v, k, d)), rng.standard_normal((v, k, 1)),
                                 rng.standard_normal((v, k)))


def random_questions(tmp_path, kv, n, seed):
    rng = np.random.default_rng(seed)
    lines = [": first"]
    for i in range(n):
        if i == n // 2:
            lines.append(": gram-second")
        lines.append(" ".join(rng.choice(kv.index_to_key, 4, replace=False)))
    lines.append("w1 w2 w3 unknown")
    return write(tmp_path, "questions.txt", "\n".join(lines) + "\n")


def unit64(x):
    x = np.asarray(x, dtype=np.float64)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def brute_force_answer(kv, a, b, c, how):
    """The answer to a:b::c:? by explicit loops in float64 (words distinct, so the top candidate wins)."""
    m = kv.means.astype(np.float64)
    k = kv.num_mixtures
    ia, ib, ic = (kv.get_index(w) for w in (a, b, c))
    best_word, best = None, -np.inf
    for w in range(len(kv)):
        if w in (ia, ib, ic):
            continue
        if how == "add":
            score = max(unit64(m[w, q]) @ unit64(unit64(m[ib, j]) + unit64(m[ic, n]) - unit64(m[ia, i]))
                        for q, i, j, n in itertools.product(range(k), repeat=4))
        else:  # 3CosMul with each factor at its best component
            score = max(
                max((1 + unit64(m[w, q]) @ unit64(m[ib, j])) / 2 for j in range(k))
                * max((1 + unit64(m[w, q]) @ unit64(m[ic, j])) / 2 for j in range(k))
                / (min((1 + unit64(m[w, q]) @ unit64(m[ia, j])) / 2 for j in range(k)) + 1e-6)
                for q in range(k))
        if score > best:
            best_word, best = kv.index_to_key[w], score
    return best_word


@pytest.mark.parametrize("function, how", [("most_similar", "add"), ("most_similar_cosmul", "mul")])
def test_best_component_matches_brute_force(tmp_path, function, how):
    kv = random_mixtures(3)
    path = random_questions(tmp_path, kv, 40, seed=4)
    score, sections = kv.evaluate_word_analogies(path, similarity_function=function,
                                                 mixture="best_component", case_insensitive=False)
    assert [s["section"] for s in sections] == ["first", "gram-second", "Total accuracy"]
    total = sections[-1]
    assert len(total["correct"]) + len(total["incorrect"]) == 40  # the OOV question is skipped
    for a, b, c, d in total["correct"]:
        assert brute_force_answer(kv, a, b, c, how) == d
    for a, b, c, d in total["incorrect"]:
        assert brute_force_answer(kv, a, b, c, how) != d
    assert score == len(total["correct"]) / 40
    # the same answers from most_similar / most_similar_cosmul
    query = kv.most_similar if function == "most_similar" else kv.most_similar_cosmul
    for a, b, c, _ in total["correct"] + total["incorrect"]:
        answer = query(positive=[b, c], negative=[a], topn=1, mixture="best_component")[0][0]
        assert answer == brute_force_answer(kv, a, b, c, how)


def test_cosmul_point_matches_gensims_most_similar_cosmul(structured, tmp_path):
    """gensim's evaluation has no 3CosMul; compare each answer with gensim's most_similar_cosmul."""
    data = ev.read_analogies(ev.bundled_analogies_path())
    questions = [q for _, qs in data.sections for q in qs[::60]]
    path = write(tmp_path, "q.txt", ": all\n" + "".join(" ".join(q[1:]) + "\n" for q in questions))
    score, sections = wrap(structured).evaluate_word_analogies(
        path, case_insensitive=False, similarity_function="most_similar_cosmul", mixture="point")
    seen = 0
    for a, b, c, d in sections[-1]["correct"] + sections[-1]["incorrect"]:
        answer = structured.most_similar_cosmul(positive=[b, c], negative=[a], topn=1)[0][0]
        assert (answer == d) == ((a, b, c, d) in sections[-1]["correct"])
        seen += 1
    assert seen > 200 and 0 < score < 1


def test_best_component_uses_the_fitting_sense():
    """bank has a river sense and a money sense: only the best component answers both analogies."""
    d = 4
    e = np.eye(d)
    means = {
        # word: two components (senses); e0 = water, e1 = finance, e2/e3 = "place"/"person" offsets
        "river": [e[0], e[0]], "shore": [e[0] + e[2], e[0] + e[2]],
        "money": [e[1], e[1]], "banker": [e[1] + e[3], e[1] + e[3]],
        "bank": [e[0] * 1.0, e[1] * 1.0],
        "stream": [e[0] + 0.1 * e[1], e[0] + 0.1 * e[1]], "cash": [e[1] + 0.1 * e[0], e[1] + 0.1 * e[0]],
        "bankside": [e[0] + e[2] * 0.9 + 0.1 * e[1], e[0] + e[2] * 0.9 + 0.1 * e[1]],
        "financier": [e[1] + e[3] * 0.9 + 0.1 * e[0], e[1] + e[3] * 0.9 + 0.1 * e[0]],
        "blend": [e[0] + e[1] + e[2] + e[3], e[0] + e[1] + e[2] + e[3]],
    }
    words = list(means)
    kv = KeyedGaussianMixtures(words, np.array([means[w] for w in words], dtype=np.float32),
                               np.zeros((len(words), 2, 1)), np.zeros((len(words), 2)))
    # river:shore :: bank:?  -> bankside (water sense);  money:banker :: bank:? -> financier
    assert kv.most_similar(["shore", "bank"], ["river"], topn=1, mixture="best_component")[0][0] == "bankside"
    assert kv.most_similar(["banker", "bank"], ["money"], topn=1, mixture="best_component")[0][0] \
        == "financier"
    # the point vector of bank is the average of both senses: it blends them
    point = [kv.most_similar(["shore", "bank"], ["river"], topn=1, mixture="point")[0][0],
             kv.most_similar(["banker", "bank"], ["money"], topn=1, mixture="point")[0][0]]
    assert point != ["bankside", "financier"]


# ------------------------------------------------------------- arguments

def test_argument_errors(tmp_path):
    kv = random_mixtures(1)
    path = random_questions(tmp_path, kv, 3, seed=1)
    for call, message in [
        (lambda: kv.evaluate_word_analogies(path, mixture="mean"), "unknown mixture 'mean'"),
        (lambda: kv.evaluate_word_analogies(path, similarity_function="3cosadd"),
         "unknown similarity_function '3cosadd'"),
        (lambda: kv.evaluate_word_analogies(path, restrict_vocab=-1), "restrict_vocab must be"),
        (lambda: kv.evaluate_word_analogies(path, restrict_vocab=2.5), "restrict_vocab must be"),
        (lambda: ev.analogy_summary([{"section": "x"}]), "not an analogy section"),
    ]:
        with pytest.raises(ParameterError, match=re.escape(message)):
            call()
    with pytest.raises(TypeError, match="KeyedGaussianMixtures"):
        ev.evaluate_word_analogies(object(), path)
    with pytest.raises(FileNotFoundError):
        kv.evaluate_word_analogies(str(tmp_path / "missing.txt"))


def test_restrict_vocab_zero_none_and_model_object(tmp_path):
    kv = random_mixtures(2)
    path = random_questions(tmp_path, kv, 10, seed=2)
    score, sections = kv.evaluate_word_analogies(path, restrict_vocab=0)
    assert score == 0.0 and sections[-1]["correct"] == sections[-1]["incorrect"] == []
    score, sections = kv.evaluate_word_analogies(path, restrict_vocab=0, dummy4unknown=True)
    assert len(sections[-1]["incorrect"]) == 11 and score == 0.0
    everything = kv.evaluate_word_analogies(path, restrict_vocab=None)
    assert everything == kv.evaluate_word_analogies(path)

    class Model:
        wv = kv
    assert ev.evaluate_word_analogies(Model(), path) == everything


def test_analogy_summary_splits_semantic_and_syntactic(structured):
    score, sections = structured.evaluate_word_analogies(ev.bundled_analogies_path())
    summary = ev.analogy_summary(sections)
    sem = [s for s in sections[:-1] if not s["section"].startswith("gram")]
    syn = [s for s in sections[:-1] if s["section"].startswith("gram")]
    assert summary.semantic[1] == sum(len(s["correct"]) for s in sem)
    assert summary.semantic[2] == sum(len(s["correct"]) + len(s["incorrect"]) for s in sem)
    assert summary.syntactic[1] == sum(len(s["correct"]) for s in syn)
    assert summary.total[0] == pytest.approx(score)
    assert summary.total[2] == summary.semantic[2] + summary.syntactic[2] > 0
    assert np.isnan(ev.analogy_summary([]).total[0])
