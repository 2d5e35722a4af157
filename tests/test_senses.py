"""Tests for w2gm.senses and the sense methods of KeyedGaussianMixtures."""

import numpy as np
import pytest
from scipy.special import logsumexp, softmax

from w2gm import KeyedGaussianMixtures
from w2gm import senses as S
from w2gm.evaluation import context_sense_weights
from w2gm.exceptions import ParameterError, WordNotInVocabularyError
from w2gm.similarity import SIMILARITY_METRICS

WORDS = ["bank", "river", "water", "shore", "money", "loan", "cash", "the"]


def bank_model(logits=None, log_variances=None):
    """'bank' has a river component 0 (x axis) and a money component 1 (y axis)."""
    d = 4
    means = np.zeros((len(WORDS), 2, d))
    means[0] = [[1.0, 0, 0, 0], [0, 1.0, 0, 0]]
    vectors = {"river": [1.0, 0.1, 0, 0], "water": [0.9, 0, 0.2, 0], "shore": [1.0, 0.05, 0, 0.2],
               "money": [0.1, 1.0, 0, 0], "loan": [0, 0.9, 0.2, 0], "cash": [0.02, 1.0, 0, 0.4],
               "the": [0, 0, 0, 0.3]}
    for i, word in enumerate(WORDS[1:], start=1):
        means[i] = [vectors[word], vectors[word]]
    if log_variances is None:
        log_variances = np.full((len(WORDS), 2, 1), np.log(0.1))
    if logits is None:
        logits = np.zeros((len(WORDS), 2))
    return KeyedGaussianMixtures(WORDS, means, log_variances, logits)


@pytest.fixture
def kv():
    return bank_model()


def brute_force_posterior(kv, word, context):
    """Posterior by explicit loops: prior times the geometric mean of the context kernels (Section 3.4)."""
    i = kv.get_index(word)
    k = kv.num_mixtures
    d = kv.vector_size
    m = kv.means.astype(float)
    var = np.exp(kv.log_variances.astype(float))
    log_p = np.log(softmax(kv.logits[i].astype(float)))
    out = log_p.copy()
    for c in context:  # each context word adds 1/len(context) of its log kernel
        j = kv.get_index(c)
        q = softmax(kv.logits[j].astype(float))
        for a in range(k):
            terms = []
            for b in range(k):
                s = np.broadcast_to(var[i, a] + var[j, b], (d,))
                diff = m[i, a] - m[j, b]
                log_n = -0.5 * (d * np.log(2 * np.pi) + np.log(s).sum() + (diff * diff / s).sum())
                terms.append(np.log(q[b]) + log_n)
            out[a] += logsumexp(terms) / len(context)
    return np.exp(out - logsumexp(out))


# ------------------------------------------------------------ disambiguate

def test_disambiguate_picks_the_river_and_the_money_sense(kv):
    river = kv.disambiguate("bank", ["river", "water"])
    assert isinstance(river, S.Disambiguation)
    assert river.word == "bank" and river.component == 0 and river.probabilities[0] > 0.98
    assert river.probabilities.shape == (2,) and river.probabilities.dtype == np.float64
    assert river.probabilities.sum() == pytest.approx(1.0)
    assert river.context_used == ["river", "water"]
    money = kv.disambiguate("bank", ["loan", "money", "cash"])
    assert money.component == 1 and money.probabilities[1] > 0.98


def test_context_words_combine_by_a_geometric_mean(kv):
    """Repeating the context changes nothing; one word's log evidence is averaged with the others'."""
    once = kv.disambiguate("bank", ["river", "loan"]).probabilities
    np.testing.assert_allclose(kv.disambiguate("bank", ["river", "loan"] * 5).probabilities, once, rtol=1e-12)
    # log odds of a mixed context are the mean of the single words' log odds (prior 1/2, 1/2)
    odds = [np.log(r[0] / r[1]) for r in (kv.disambiguate("bank", [w]).probabilities
                                          for w in ("river", "loan", "money"))]
    mixed = kv.disambiguate("bank", ["river", "loan", "money"]).probabilities
    assert np.log(mixed[0] / mixed[1]) == pytest.approx(np.mean(odds), rel=1e-12)
    assert mixed[1] < kv.disambiguate("bank", ["loan", "money"]).probabilities[1]


def test_disambiguate_matches_a_brute_force_posterior():
    rng = np.random.default_rng(3)
    kv = bank_model(logits=rng.normal(size=(len(WORDS), 2)),
                    log_variances=rng.normal(-1.0, 0.3, size=(len(WORDS), 2, 4)))
    context = ["river", "the", "loan", "river"]
    got = kv.disambiguate("bank", context).probabilities
    np.testing.assert_allclose(got, brute_force_posterior(kv, "bank", context), rtol=1e-9, atol=1e-12)


def test_string_and_list_contexts_agree(kv):
    text = kv.disambiguate("bank", "we  sat by the\triver water")
    tokens = kv.disambiguate("bank", ["we", "sat", "by", "the", "river", "water"])
    np.testing.assert_array_equal(text.probabilities, tokens.probabilities)
    assert text.context_used == tokens.context_used == ["the", "river", "water"]
    assert text.component == 0


def test_unknown_words_are_ignored_and_no_context_gives_the_prior():
    kv = bank_model(logits=np.tile([0.3, -0.2], (len(WORDS), 1)))
    prior = softmax([0.3, -0.2])
    for context in ([], "", ["zzz", "qqq"], "bank bank", ["River"]):  # matching is case-sensitive
        r = kv.disambiguate("bank", context)
        np.testing.assert_allclose(r.probabilities, prior)
        assert r.context_used == [] and r.component == 0
    with_unknown = kv.disambiguate("bank", ["zzz", "loan", "qqq"])
    np.testing.assert_array_equal(with_unknown.probabilities, kv.disambiguate("bank", ["loan"]).probabilities)
    assert with_unknown.context_used == ["loan"]


def test_the_word_itself_is_no_evidence(kv):
    np.testing.assert_array_equal(kv.disambiguate("bank", "bank river bank").probabilities,
                                  kv.disambiguate("bank", "river").probabilities)


def test_window_takes_tokens_around_each_occurrence(kv):
    sentence = "river water shore x x x x bank the loan money x x cash"
    # window 2: "x x" before, "the loan" after
    r = kv.disambiguate("bank", sentence, window=2)
    assert r.context_used == ["the", "loan"] and r.component == 1
    # window 0: nothing, the prior
    np.testing.assert_allclose(kv.disambiguate("bank", sentence, window=0).probabilities, [0.5, 0.5])
    # a huge window: the whole sentence (except bank) -- the three river words win
    wide = kv.disambiguate("bank", sentence, window=100)
    assert wide.context_used == ["river", "water", "shore", "the", "loan", "money", "cash"]
    np.testing.assert_array_equal(wide.probabilities, kv.disambiguate("bank", sentence).probabilities)
    # two occurrences: the union of their windows, each position once
    two = kv.disambiguate("bank", "river bank water x x x x x loan bank money cash", window=1)
    assert two.context_used == ["river", "water", "loan", "money"]


def test_window_needs_the_word_in_the_context(kv):
    with pytest.raises(ParameterError, match="'bank'.*does not contain"):
        kv.disambiguate("bank", "river water", window=2)


@pytest.mark.parametrize("window", [-1, 1.5, "2", True])
def test_bad_window_is_a_parameter_error(kv, window):
    with pytest.raises(ParameterError, match="window"):
        kv.disambiguate("bank", "bank river", window=window)
    with pytest.raises(ParameterError, match="window"):
        kv.sense_tags("bank river", window=window)


def test_disambiguate_errors(kv):
    with pytest.raises(WordNotInVocabularyError, match="nowhere"):
        kv.disambiguate("nowhere", "river")
    with pytest.raises(ParameterError, match="str tokens"):
        kv.disambiguate("bank", ["river", 3])
    with pytest.raises(ParameterError, match="context"):
        kv.disambiguate("bank", 42)
    with pytest.raises(ParameterError, match="bytes"):
        kv.disambiguate("bank", b"river")


def test_disambiguation_repr(kv):
    text = repr(kv.disambiguate("bank", "river"))
    assert text.startswith("Disambiguation(word='bank', component=0, probabilities=[0.")
    assert "context_used=['river']" in text


def test_scws_uses_the_same_posterior(kv):
    """evaluation.scws' context weights and disambiguate are one computation."""
    for context in (["river", "the"], ["loan"], ["cash", "water", "money"]):
        np.testing.assert_array_equal(context_sense_weights(kv, "bank", context, case_insensitive=False),
                                      kv.disambiguate("bank", context).probabilities)


# -------------------------------------------------------------- sense_tags

def test_sense_tags_tag_each_topic(kv):
    sentence = "the river water by the bank x x x x x x x x x x x bank gave a loan of money"
    tags = kv.sense_tags(sentence, window=3)
    assert all(isinstance(t, S.SenseTag) for t in tags)
    tokens = sentence.split()
    assert [(t.token, t.position) for t in tags] == [
        (w, i) for i, w in enumerate(tokens) if w in kv]
    banks = [t for t in tags if t.token == "bank"]
    assert [(b.position, b.component) for b in banks] == [(5, 0), (17, 1)]
    # window 3: bank@5 sees "water" and "the", bank@17 only "loan"
    assert banks[0].probability == pytest.approx(kv.disambiguate("bank", ["water", "the"]).probabilities[0])
    assert banks[1].probability == pytest.approx(kv.disambiguate("bank", ["loan"]).probabilities[1])
    assert all(b.probability > 0.9 for b in banks)  # "the" is neutral and halves the evidence of "water"
    # the other words have two equal components: their posterior stays the prior
    assert all(t.probability == pytest.approx(0.5) for t in tags if t.token != "bank")


def test_sense_tags_agree_with_disambiguate():
    rng = np.random.default_rng(7)
    kv = bank_model(logits=rng.normal(size=(len(WORDS), 2)),
                    log_variances=rng.normal(-1.0, 0.3, size=(len(WORDS), 2, 1)))
    tokens = ["river", "zzz", "bank", "the", "loan", "cash", "water", "zzz", "money", "shore"]
    for window in (0, 1, 2, 5):
        tags = kv.sense_tags(tokens, window=window)
        assert len(tags) == 8
        for tag in tags:
            r = kv.disambiguate(tag.token, tokens, window=window)  # each word occurs once
            assert tag.component == r.component
            assert tag.probability == pytest.approx(r.probabilities[r.component], rel=1e-12)


def test_sense_tags_edge_cases(kv):
    assert kv.sense_tags([]) == [] and kv.sense_tags("zzz qqq") == []
    (only,) = kv.sense_tags("bank")
    assert only == ("bank", 0, 0, pytest.approx(0.5))
    assert kv.sense_tags("bank river") == kv.sense_tags(["bank", "river"])
    # repeats of the same word are not each other's context
    assert [t.probability for t in kv.sense_tags("bank bank")] == [pytest.approx(0.5)] * 2
    # window 0: every token gets its prior
    assert all(t.probability == pytest.approx(0.5) for t in kv.sense_tags("bank river loan", window=0))


# ------------------------------------------------------------------ senses

def test_senses_weights_variances_and_neighbours():
    logits = np.zeros((len(WORDS), 2))
    logits[0] = [np.log(3.0), 0.0]
    log_var = np.full((len(WORDS), 2, 1), np.log(0.1))
    log_var[0, 1] = np.log(0.5)
    kv = bank_model(logits=logits, log_variances=log_var)
    result = kv.senses("bank", topn=6)  # every other word has two equal components
    assert isinstance(result, S.WordSenses) and result.word == "bank"
    assert [s.component for s in result.senses] == [0, 1]
    assert [s.weight for s in result.senses] == [pytest.approx(0.75), pytest.approx(0.25)]
    assert [s.variance for s in result.senses] == [pytest.approx(0.1), pytest.approx(0.5)]
    river_words = {label.split(":")[0] for label, _ in result.senses[0].neighbors}
    money_words = {label.split(":")[0] for label, _ in result.senses[1].neighbors}
    assert river_words == {"river", "shore", "water"} and money_words == {"money", "cash", "loan"}
    assert len(result.senses[0].neighbors) == 6 and result.senses[0].neighbors[0][0] in ("river:0", "river:1")
    expected = [(f"{w}:{c}", s) for w, c, s in kv.most_similar("bank", component=1, topn=6)]
    assert result.senses[1].neighbors == expected
    table = str(result)
    assert table.splitlines()[0].split()[:3] == ["component", "weight", "variance"]
    assert "0.750" in table and "river:" in table and "money:" in table
    assert repr(result).startswith("WordSenses('bank', K=2)\n")
    assert kv.senses("bank", topn=0).senses[0].neighbors == []


def test_senses_diagonal_variance_is_the_mean_over_dimensions():
    log_var = np.log(np.full((len(WORDS), 2, 4), 0.1))
    log_var[0, 0] = np.log([0.1, 0.2, 0.3, 0.4])
    kv = bank_model(log_variances=log_var)
    assert kv.senses("bank", topn=1).senses[0].variance == pytest.approx(0.25)


@pytest.mark.parametrize("topn", [-1, 1.5, None, True])
def test_senses_bad_topn(kv, topn):
    with pytest.raises(ParameterError, match="topn"):
        kv.senses("bank", topn=topn)


def test_senses_unknown_word(kv):
    with pytest.raises(WordNotInVocabularyError, match="nowhere"):
        kv.senses("nowhere")


# ---------------------------------------------------- component similarities

@pytest.mark.parametrize("metric", SIMILARITY_METRICS)
def test_component_similarities_match_a_loop(metric):
    rng = np.random.default_rng(11)
    kv = bank_model(log_variances=rng.normal(-1.0, 0.5, size=(len(WORDS), 2, 4)))
    kv.means[:] = rng.normal(size=kv.means.shape)
    got = kv.component_similarities("bank", "money", metric=metric)
    assert got.shape == (2, 2) and got.dtype == np.float64
    m = kv.means.astype(float)
    v = np.exp(kv.log_variances.astype(float))
    a, b = kv.get_index("bank"), kv.get_index("money")
    for i in range(2):
        for j in range(2):
            x, y, sx, sy = m[a, i], m[b, j], v[a, i], v[b, j]
            if metric in ("max_cos", "avg_cos"):
                want = x @ y / np.linalg.norm(x) / np.linalg.norm(y)
            elif metric == "min_euclidean":
                want = -np.linalg.norm(x - y)
            elif metric == "expected_likelihood":
                s = sx + sy
                want = -0.5 * (4 * np.log(2 * np.pi) + np.log(s).sum() + ((x - y) ** 2 / s).sum())
            else:
                want = -0.5 * (sx / sy + (y - x) ** 2 / sy - 1 + np.log(sy) - np.log(sx)).sum()
            assert got[i, j] == pytest.approx(want, rel=1e-9, abs=1e-12)
    if metric in ("max_cos", "min_euclidean", "neg_kl"):
        assert got.max() == pytest.approx(kv.similarity("bank", "money", metric))


def test_component_similarities_errors(kv):
    with pytest.raises(ParameterError, match="unknown metric"):
        kv.component_similarities("bank", "river", metric="dot")
    with pytest.raises(WordNotInVocabularyError):
        kv.component_similarities("bank", "nowhere")


# ---------------------------------------------------------------- entailment

def test_entailment_score_is_the_asymmetric_similarity():
    log_var = np.full((len(WORDS), 2, 1), np.log(0.1))
    log_var[WORDS.index("water")] = np.log(2.0)  # broad
    kv = bank_model(log_variances=log_var)
    forward = kv.entailment_score("river", "water")
    assert forward == pytest.approx(kv.similarity("river", "water", "neg_kl"))
    assert forward > kv.entailment_score("water", "river")  # narrow inside broad entails
    for metric in SIMILARITY_METRICS:
        assert kv.entailment_score("river", "water", metric) == pytest.approx(
            kv.similarity("river", "water", metric))
    with pytest.raises(ParameterError, match="unknown metric"):
        kv.entailment_score("river", "water", "kl")


def test_most_general_ranks_the_wide_word_first():
    log_var = np.full((len(WORDS), 2, 1), np.log(0.1))
    log_var[WORDS.index("water")] = np.log(2.0)
    log_var[WORDS.index("cash")] = np.log(0.01)
    # 'bank': a wide component with weight 0.9 and a narrow one with weight 0.1
    log_var[0] = [[np.log(1.0)], [np.log(0.01)]]
    logits = np.zeros((len(WORDS), 2))
    logits[0] = [np.log(9.0), 0.0]
    kv = bank_model(logits=logits, log_variances=log_var)
    words = ["cash", "river", "bank", "water"]
    ranked = kv.most_general(words)
    assert [w for w, _ in ranked] == ["water", "bank", "river", "cash"]
    expected_bank = 0.9 * np.log(1.0) + 0.1 * np.log(0.01)
    assert dict(ranked)["bank"] == pytest.approx(expected_bank, rel=1e-6)
    assert dict(ranked)["water"] == pytest.approx(np.log(2.0), rel=1e-6)
    assert kv.most_specific(words) == ranked[::-1]
    assert kv.most_general([]) == [] and kv.most_general("water") == [("water", ranked[0][1])]
    with pytest.raises(WordNotInVocabularyError, match="nowhere"):
        kv.most_general(["water", "nowhere"])


def test_generality_of_diagonal_variances_uses_the_mean_log_variance():
    log_var = np.full((len(WORDS), 2, 4), np.log(0.1))
    log_var[1] = np.log([[1.0, 2.0, 4.0, 8.0]] * 2)
    kv = bank_model(log_variances=log_var)
    assert S.generality(kv, ["river"])[0] == pytest.approx(np.log([1, 2, 4, 8]).mean(), rel=1e-6)



def test_result_types_and_sense_tools_are_exported_at_the_top_level(kv):
    import w2gm
    from w2gm import plotting, projector
    assert isinstance(kv.disambiguate("bank", "river"), w2gm.Disambiguation)
    assert isinstance(kv.senses("bank"), w2gm.WordSenses)
    assert isinstance(kv.senses("bank").senses[0], w2gm.Sense)
    assert isinstance(kv.sense_tags("bank river")[0], w2gm.SenseTag)
    assert w2gm.plot_mixtures is plotting.plot_mixtures
    assert (w2gm.write_projector, w2gm.write_tsv) == (projector.write_projector, projector.write_tsv)
    assert {"Disambiguation", "Sense", "SenseTag", "WordSenses", "plot_mixtures"} <= set(w2gm.__all__)


# ------------------------------------------------- a trained two-sense word

def two_topic_corpus(seed, n=3000, length=10, topic_size=30):
    """Sentences of topic "a" and topic "b" alternately, each with one "bank" at a random place."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        topic = "ab"[i % 2]
        sentence = [f"{topic}{j}" for j in rng.integers(0, topic_size, length)]
        sentence[rng.integers(0, length)] = "bank"
        out.append(sentence)
    return out


def topic_components(wv, topic, rng, trials=20):
    return [wv.disambiguate("bank", [f"{topic}{j}" for j in rng.integers(0, 30, 6)]).component
            for _ in range(trials)]


def test_a_trained_two_sense_word_is_disambiguated_by_topic():
    """'bank' occurs in two disjoint topics: its components split, and context picks the topic's one.

    Training is stochastic in the components it ends with (both may settle on one topic), so
    five seeds are trained (workers=1: each deterministic) and at least four must split.
    """
    from w2gm import Word2GM
    split = 0
    for seed in range(5):
        model = Word2GM(two_topic_corpus(seed), num_mixtures=2, vector_size=10, window=3, min_count=1,
                        sample=0, negative=5, epochs=10, workers=1, seed=seed)
        rng = np.random.default_rng(100 + seed)
        a, b = topic_components(model.wv, "a", rng), topic_components(model.wv, "b", rng)
        ka, kb = max(set(a), key=a.count), max(set(b), key=b.count)
        if ka != kb and a.count(ka) >= 18 and b.count(kb) >= 18:
            split += 1
            tags = model.wv.sense_tags("a1 a2 a3 bank a4 a5 a6 b1 b2 b3 bank b4 b5 b6", window=3)
            assert [t.component for t in tags if t.token == "bank"] == [ka, kb]
    assert split >= 4


def test_repeats_of_the_word_are_no_evidence_in_sense_tags():
    """With unequal weights, 'bank' as its own context would move the posterior off the prior."""
    logits = np.zeros((len(WORDS), 2))
    logits[0] = [1.0, -1.0]
    kv = bank_model(logits=logits)
    prior = softmax(logits[0])
    assert kv.disambiguate("bank", ["bank"]).probabilities == pytest.approx(prior)
    tags = kv.sense_tags("bank bank bank")
    assert [t.probability for t in tags] == [pytest.approx(prior[0], rel=1e-12)] * 3
    # counting a repeat would change it: the kernel of bank against its own mixture is not flat
    own = S.sense_log_posterior(kv, 0, [0])
    assert not np.allclose(np.exp(own), prior)


def test_a_huge_window_is_the_whole_sentence():
    tokens = "river water bank the loan".split()
    assert kv_tags(tokens, 2**63) == kv_tags(tokens, 5)


def kv_tags(tokens, window):
    tags = bank_model().sense_tags(tokens, window=window)
    return [(t.token, t.component, round(t.probability, 12)) for t in tags]


def test_damaged_rows_raise_instead_of_answering_nan():
    means = np.array(bank_model().means, dtype=np.float32)  # a copy, kept by reference
    kv = KeyedGaussianMixtures(WORDS, means, np.full((len(WORDS), 2, 1), np.log(0.1)),
                               np.zeros((len(WORDS), 2)))
    means[WORDS.index("river"), 1, 0] = np.nan  # in place, as a diverged trainer would
    with pytest.raises(ParameterError, match="'river'.*NaN"):
        kv.disambiguate("bank", ["river", "water"])
    with pytest.raises(ParameterError, match="'river'"):
        kv.sense_tags("the river bank")
    with pytest.raises(ParameterError, match="'river'"):
        kv.senses("river")
    assert kv.disambiguate("bank", ["water"]).component == 0  # healthy rows still answer


@pytest.mark.parametrize("index, context", [(-1, []), (len(WORDS), []), (0, [-1]), (0, [1, len(WORDS)])])
def test_sense_log_posterior_refuses_indices_outside_the_vocabulary(kv, index, context):
    with pytest.raises(ParameterError, match="vocabulary"):
        S.sense_log_posterior(kv, index, context)


@pytest.mark.parametrize("context", [{"river": 1}, {"river", "water"}])
def test_unordered_contexts_are_refused(kv, context):
    with pytest.raises(ParameterError, match="ordered"):
        kv.disambiguate("bank", context)
