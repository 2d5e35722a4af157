"""The compact vocabulary table (w2gm._vocab.WordTable) against Python dict / Counter."""

import pickle
import re
from collections import Counter

import numpy as np
import pytest
from w2gm._vocab import WordTable

from w2gm import KeyedGaussianMixtures, Word2GM
from w2gm.corpora import token_list
from w2gm.exceptions import CorpusError, ParameterError, W2GMError

INT64_MAX = 2**63 - 1

# one word per PEP 393 kind (1, 2 and 4 bytes per code unit), Latin-1 beyond ASCII,
# a lone surrogate (not encodable as UTF-8), the empty string and a NUL inside a word; 2- and
# 4-byte words follow odd-length 1-byte ones, so their storage must be padded to alignment
ODD_WORDS = ["a", "日本", "abc", "😀", "é", "ᴀᴮ", "café", "a😀b", "\ud800", "", "a\x00b", "b"]


def random_words(rng, n, alphabet="abcdefghij", max_len=6):
    lengths = rng.integers(1, max_len + 1, size=n)
    letters = rng.integers(0, len(alphabet), size=int(lengths.sum()))
    out, pos = [], 0
    for length in lengths:
        out.append("".join(alphabet[i] for i in letters[pos:pos + length]))
        pos += length
    return out


def test_counts_and_order_match_counter_on_a_zipfian_stream():
    rng = np.random.default_rng(3)
    tokens = random_words(rng, 200_000, max_len=5)  # many repeats and ~100k distinct
    table = WordTable()
    for start in range(0, len(tokens), 997):
        assert table.add(tokens[start:start + 997]) == len(tokens[start:start + 997])
    reference = Counter(tokens)  # insertion order = first-seen order
    assert len(table) == len(reference)
    assert table.words() == list(reference)
    assert table.counts().tolist() == list(reference.values())
    assert table.counts().dtype == np.int64


def test_every_kind_of_str_is_a_distinct_exact_key():
    table = WordTable()
    table.add(ODD_WORDS + ODD_WORDS[::-1] + ["é"])
    assert table.words() == ODD_WORDS
    for i, word in enumerate(ODD_WORDS):
        assert table.index(word) == i
        assert table.word(i) == word and type(table.word(i)) is str
        assert word in table
    assert table.counts().tolist() == [3 if w == "é" else 2 for w in ODD_WORDS]
    # equal strings built differently are the same key; near misses are not
    assert table.index("".join(["c", "a", "f", "\u00e9"])) == ODD_WORDS.index("café")
    for missing in ["A", "cafe", "cafe\u0301", "日", "a\x00", "\udc00", " "]:
        assert table.index(missing) == -1
        assert missing not in table


def test_str_subclass_tokens_count_as_their_str_value():
    class Token(str):
        pass

    table = WordTable()
    table.add([Token("bank"), "bank", Token("é")])
    assert table.words() == ["bank", "é"]
    assert table.counts().tolist() == [2, 1]
    assert table.index(Token("é")) == 1


def test_lookup_drops_unknown_words_like_a_dict_filter():
    rng = np.random.default_rng(5)
    vocab = sorted(set(random_words(rng, 3000)))
    table = WordTable()
    for w in vocab:
        table.add_word(w)
    index = {w: i for i, w in enumerate(vocab)}
    sentence = random_words(rng, 5000, alphabet="abcdefghijk")
    got = table.lookup(sentence)
    assert got.dtype == np.int32
    assert got.tolist() == [index[w] for w in sentence if w in index]
    assert table.lookup(tuple(sentence)).tolist() == got.tolist()
    assert table.lookup(iter(sentence)).tolist() == got.tolist()
    assert table.lookup([]).shape == (0,)
    assert table.lookup(["zzzzzzzz"]).shape == (0,)


@pytest.mark.parametrize("length", [1, 20, 255, 256, 257, 1000])
def test_lookup_of_short_and_long_sentences(length):
    """Both paths of lookup (stack buffer up to 256 tokens, sliced array beyond) give fresh,
    contiguous int32 arrays, with all tokens known and with some unknown."""
    rng = np.random.default_rng(length)
    vocab = sorted(set(random_words(rng, 500, alphabet="abcdef")))
    table = WordTable()
    for w in vocab:
        table.add_word(w)
    index = {w: i for i, w in enumerate(vocab)}
    known = [vocab[i] for i in rng.integers(0, len(vocab), length)]
    mixed = [w if rng.random() < 0.7 else "UNKNOWN" for w in known]
    for sentence in (known, mixed):
        got = table.lookup(sentence)
        assert got.dtype == np.int32 and got.flags.c_contiguous and got.flags.writeable
        assert got.tolist() == [index[w] for w in sentence if w in index]
    first, second = table.lookup(known), table.lookup(known)
    first[:] = -1
    assert second.tolist() == [index[w] for w in known]     # no buffer shared between calls


def test_lookup_pipeline_matches_index_at_every_length_and_kind():
    """lookup works several tokens ahead (hash, slot, entry, code units: 8 tokens between its
    stages, 32 in flight); at every length around those numbers, over every kind of str and with
    unknown and repeated tokens, it gives what index gives token by token."""
    rng = np.random.default_rng(7)
    vocab = list(dict.fromkeys(ODD_WORDS + random_words(rng, 300)))
    table = WordTable()
    for w in vocab:
        table.add_word(w)
    pool = vocab + ["UNKNOWN", "日本語", "😀😀", "abcdefghijk"]
    for length in list(range(0, 70)) + [255, 256, 257, 300]:
        sentence = [pool[i] for i in rng.integers(0, len(pool), length)]
        want = [table.index(w) for w in sentence if table.index(w) >= 0]
        assert table.lookup(sentence).tolist() == want, length
        assert table.lookup(tuple(sentence)).tolist() == want, length


@pytest.mark.parametrize("position", [0, 1, 7, 8, 9, 23, 24, 25, 31, 32, 33, 59])
def test_lookup_names_a_non_str_token_wherever_it_is(position):
    """The pipeline hashes tokens ahead of looking them up; a bad token is still reported by
    its own value, at every distance from the start and the end of the sentence."""
    table = WordTable()
    table.add(["a", "b"])
    sentence = ["a", "b", "c"] * 20
    sentence[position] = (position, "tuple")
    with pytest.raises(TypeError, match=rf"found tuple \({position}, 'tuple'\)"):
        table.lookup(sentence)


def test_a_large_table_finds_every_word_after_growth_and_select():
    """Growth rehashes from the stored code units (slots keep only a hash tag); every word is
    still found, by lookup, index and after select."""
    rng = np.random.default_rng(3)
    words = list(dict.fromkeys(random_words(rng, 60_000, alphabet="abcdefghijklmnop", max_len=8)))
    table = WordTable()
    table.add(words)
    assert table.lookup(words).tolist() == list(range(len(words)))
    assert all(table.index(words[i]) == i for i in range(0, len(words), 97))
    order = rng.permutation(len(words))
    kept = table.select(order[:5000])
    assert kept.lookup([words[e] for e in order[:5000]]).tolist() == list(range(5000))
    assert kept.lookup([words[e] for e in order[5000:5100]]).tolist() == []


def test_select_renumbers_and_keeps_counts():
    table = WordTable()
    table.add(["x", "y", "y", "z", "z", "z"])
    kept = table.select(np.array([2, 1]))
    assert kept.words() == ["z", "y"]
    assert kept.counts().tolist() == [3, 2]
    assert kept.index("x") == -1 and kept.index("z") == 0
    assert len(table.select([])) == 0
    with pytest.raises(ValueError, match="word number 1 appears twice"):
        table.select([1, 0, 1])
    with pytest.raises(IndexError, match="word number 3 out of range"):
        table.select([0, 3])
    with pytest.raises(IndexError, match="word number -1 out of range"):
        table.select([-1])


def test_bad_tokens_raise_type_error_naming_them():
    table = WordTable()
    with pytest.raises(TypeError, match=r"tokens must be str, found int 5"):
        table.add(["a", 5])
    with pytest.raises(TypeError, match=r"found bytes b'x'"):
        table.lookup(["a", b"x"])
    with pytest.raises(TypeError, match="found NoneType None"):
        table.index(None)
    with pytest.raises(TypeError, match="found float 1.5"):
        table.add_word(1.5)
    with pytest.raises(ValueError, match="count must be >= 0, got -1"):
        table.add_word("a", -1)
    with pytest.raises(IndexError, match="word number 7 out of range for a table of"):
        table.word(7)
    assert 5 not in table and None not in table and ["a"] not in table


def test_growth_pickle_and_memory():
    words = [f"w{i}" for i in range(100_000)]
    table = WordTable()
    for i, w in enumerate(words):
        assert table.add_word(w, i) == i
    assert all(table.index(w) == i for i, w in enumerate(words))
    again = pickle.loads(pickle.dumps(table))
    assert again.words() == words and again.counts().tolist() == list(range(100_000))
    # well under the ~120 bytes per word of a dict of str (bookkeeping + the characters)
    assert table.nbytes < 80 * len(words)
    assert "100000 words" in repr(table)


def test_keyed_mixtures_vocabulary_views_agree_with_the_table():
    words = ["the", "bank", "é", "日本"]
    kv = KeyedGaussianMixtures(words, np.zeros((4, 2, 3)), np.zeros((4, 2, 1)), np.zeros((4, 2)))
    assert kv.index_to_key == words
    assert kv.key_to_index == {w: i for i, w in enumerate(words)}
    assert len(kv) == 4 and list(kv) == words
    assert kv.get_index("日本") == 3 and "é" in kv and "e" not in kv and 3 not in kv
    with pytest.raises(KeyError, match="'river' not in vocabulary"):
        kv.get_index("river")
    with pytest.raises(KeyError, match="not in vocabulary"):
        kv.get_index(["unhashable"])
    # a WordTable is used as is
    table = WordTable()
    for w in words:
        table.add_word(w)
    kv2 = KeyedGaussianMixtures(table, kv.means, kv.log_variances, kv.logits)
    assert kv2.vocabulary_table is table and kv2.index_to_key == words


def test_build_vocab_matches_a_counter_reference():
    rng = np.random.default_rng(11)
    corpus = [random_words(rng, int(n), alphabet="abcdef", max_len=3)
              for n in rng.integers(0, 40, size=300)]
    model = Word2GM(min_count=3, vector_size=4, num_mixtures=2, epochs=1, workers=1)
    model.build_vocab(corpus)
    counts = Counter(w for s in corpus for w in s)
    kept = sorted(((w, c) for w, c in counts.items() if c >= 3), key=lambda wc: -wc[1])
    assert model.wv.index_to_key == [w for w, _ in kept]
    assert model.counts.tolist() == [c for _, c in kept]
    assert model.corpus_total_words == sum(counts.values())
    assert model.corpus_count == len(corpus)


def test_non_str_token_is_reported_with_its_sentence():
    model = Word2GM(min_count=1, vector_size=4, num_mixtures=2, epochs=1, workers=1)
    with pytest.raises(TypeError, match=r"sentence #2: tokens must be str, found int 7"):
        model.build_vocab([["a", "b"], ["a", 7]])
    model.build_vocab([["a", "b"], ["b", "a"]])
    before = model.wv.means.copy()
    with pytest.raises(TypeError, match=r"sentence #3: tokens must be str, found NoneType None"):
        model.train([["a", "b"], ["b"], ["a", None]])
    # the bad sentence is found before the first job (batch_words=10000) is handed out
    assert model.wv.index_to_key == ["a", "b"]
    np.testing.assert_array_equal(model.wv.means, before)


def test_counts_cannot_wrap_past_int64():
    # a count of 2**63 - 1 plus one more occurrence used to wrap to -2**63
    table = WordTable()
    assert table.add_word("x", INT64_MAX) == 0
    with pytest.raises(ParameterError, match=r"the count of 'x' would exceed 2\*\*63 - 1 "
                                             r"\(9223372036854775807 \+ 1\)"):
        table.add(["y", "x", "z"])
    # the tokens before it were counted (as for a TypeError), the count is unchanged
    assert table.words() == ["x", "y"]
    assert table.counts().tolist() == [INT64_MAX, 1]
    with pytest.raises(ParameterError, match=r"the count of 'y' would exceed 2\*\*63 - 1"):
        table.add_word("y", INT64_MAX)
    assert table.add_word("y", INT64_MAX - 1) == 1
    assert table.counts().tolist() == [INT64_MAX, INT64_MAX]
    # pickling keeps the largest counts
    assert pickle.loads(pickle.dumps(table)).counts().tolist() == [INT64_MAX, INT64_MAX]


@pytest.mark.parametrize("count, match", [
    (2**63, r"count must be at most 2\*\*63 - 1, got 9223372036854775808"),
    (2**64 + 5, r"count must be at most 2\*\*63 - 1, got 18446744073709551621"),
    (-2**64, r"count must be >= 0, got -18446744073709551616"),
    (1.5, r"count must be an integer, got 1.5"),
    (np.float64(2.0), r"count must be an integer, got np.float64\(2.0\)"),
    (True, r"count must be an integer, got True"),
    ("3", r"count must be an integer, got '3'"),
])
def test_add_word_rejects_counts_outside_int64(count, match):
    # 2**63 raised an unnamed OverflowError; 1.5 was silently truncated to 1
    table = WordTable()
    with pytest.raises(ParameterError, match=match):
        table.add_word("a", count)
    assert len(table) == 0
    assert table.add_word("a", np.int64(7)) == 0 and table.counts().tolist() == [7]


def test_word_and_select_reject_numbers_outside_the_table_not_overflow():
    table = WordTable()
    table.add(["x", "y"])
    for i in (2**63, 2**64, -2**64):
        with pytest.raises(IndexError, match=f"word number {i} out of range for a table of 2 words"):
            table.word(i)
    with pytest.raises(TypeError):
        table.word(1.0)
    assert table.word(np.int64(1)) == "y"
    # a uint64 number >= 2**63 used to wrap to a negative int64 number
    with pytest.raises(IndexError, match="word number 9223372036854775808 out of range"):
        table.select(np.array([0, 2**63], dtype=np.uint64))
    # 0.9 used to select word 0
    with pytest.raises(ParameterError, match="order must be a 1-d array of integers, got float64"):
        table.select([0.9])
    assert table.select(np.array([1], dtype=np.uint64)).words() == ["y"]


def test_a_huge_or_unprintable_non_str_token_gets_a_short_message():
    class Unprintable:
        def __repr__(self):
            raise RuntimeError("no repr")

    table = WordTable()
    for token, shown in ((b"x" * 5_000_000, "found bytes b'xxx"), (Unprintable(), "found Unprintable <")):
        with pytest.raises(TypeError, match=re.escape(shown)) as info:
            table.lookup(["a", token])
        assert len(str(info.value)) < 200


def per_sentence_batches(table, sentences, batch_words):
    """lookup_batch's rule spelled out with lookup, one sentence at a time: a batch closes after
    the sentence that brings it to batch_words or more words; the last one holds the rest."""
    batches, words, ends, raw = [], [], [], 0
    for sentence in sentences:
        words.extend(table.lookup(sentence).tolist())
        ends.append(len(words))
        raw += len(sentence)
        if len(words) >= batch_words:
            batches.append((words, ends, raw))
            words, ends, raw = [], [], 0
    if ends:
        batches.append((words, ends, raw))
    return batches


def all_batches(table, sentences, batch_words, to_list=token_list):
    """Every batch lookup_batch makes of ``sentences``, as lists, checking its return types."""
    iterator, number, batches = iter(sentences), 0, []
    while True:
        words, ends, raw, exhausted = table.lookup_batch(iterator, batch_words, number, to_list)
        assert words.dtype == np.int32 and ends.dtype == np.int64 and words.flags.writeable
        if len(ends):
            batches.append((words.tolist(), ends.tolist(), raw))
            number += len(ends)
        else:
            assert exhausted and words.shape == (0,)
        if exhausted:
            return batches


def test_lookup_batch_makes_the_batches_of_a_per_sentence_loop():
    """Sentences of 0 to 3,000 tokens (empty ones, unknown words, every kind of str), as lists,
    tuples and NumPy arrays, cut at batch sizes from 0 (a batch per sentence) to more than the
    corpus; more than 64 sentences and sentences longer than a batch grow the call's buffers."""
    rng = np.random.default_rng(11)
    vocab = list(dict.fromkeys(ODD_WORDS + random_words(rng, 400)))
    table = WordTable()
    table.add(vocab)
    pool = vocab + ["UNKNOWN", "日本語", "😀😀"]
    lengths = [0, 1, 0, 3000, 2, 40, 0] + rng.integers(0, 60, size=300).tolist() + [1100, 5]
    sentences = [[pool[i] for i in rng.integers(0, len(pool), n)] for n in lengths]
    typed = [tuple(s) if i % 5 == 1 else np.array(s, dtype=object) if i % 5 == 2 else s
             for i, s in enumerate(sentences)]
    for batch_words in (0, 1, 7, 50, 1000, 5000, 10**7):
        want = per_sentence_batches(table, sentences, batch_words)
        assert all_batches(table, sentences, batch_words) == want, batch_words
        assert all_batches(table, typed, batch_words) == want, batch_words
    assert all_batches(table, [], 10) == []


def test_lookup_batch_converts_only_sentences_that_are_not_lists():
    table = WordTable()
    table.add(["a", "b"])
    seen = []

    def to_list(sentence, number):
        seen.append(number)
        return list(sentence)

    sentences = [["a"], ("b", "a"), ["zz"], iter(["a", "b", "c"])]
    assert all_batches(table, sentences, 100, to_list) == [([0, 1, 0, 0, 1], [1, 3, 3, 5], 7)]
    assert seen == [2, 4]
    with pytest.raises(TypeError, match="^to_list returned tuple, not list$"):
        table.lookup_batch(iter([("a",)]), 100, 0, lambda sentence, number: sentence)


@pytest.mark.parametrize("batch_words", [1, 3, 100])
def test_lookup_batch_names_the_sentence_of_a_bad_token_or_a_str_sentence(batch_words):
    """Sentence numbers go on from the number given, across the calls of a pass; a str sentence
    gets token_list's message, a non-str token its own value."""
    table = WordTable()
    table.add(["a", "b"])
    sentences = [["a", "b"], ["b"], ["a", "b", "a"], ["a", 7, "b"], ["a"]]
    with pytest.raises(CorpusError, match=r"^sentence #4: tokens must be str, found int 7$"):
        all_batches(table, sentences, batch_words)
    with pytest.raises(CorpusError, match=r"^sentence #13: tokens must be str"):
        table.lookup_batch(iter(sentences[2:]), batch_words * 10, 11, token_list)
    with pytest.raises(CorpusError, match=r"^sentence #3 is a str \('a b'"):
        all_batches(table, [["a"], ["b"], "a b"], batch_words)


def test_lookup_batch_passes_on_the_iterators_error():
    table = WordTable()
    table.add(["a", "b"])

    def failing():
        yield ["a", "b"]
        yield ["b"]
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        table.lookup_batch(failing(), 100, 0, token_list)
    words, ends, raw, exhausted = table.lookup_batch(iter([["b", "a"]]), 100, 0, token_list)
    assert (words.tolist(), ends.tolist(), raw, exhausted) == ([1, 0], [2], 2, True)


def test_lookup_batch_takes_iterables_and_iterator_classes():
    """A list of sentences is passed to iter() (PyIter_Next alone would crash on it); an iterator
    class that raises StopIteration ends the batch as a generator does."""
    table = WordTable()
    table.add(["a", "b"])

    class Sentences:
        def __init__(self):
            self.left = 3

        def __iter__(self):
            return self

        def __next__(self):
            if not self.left:
                raise StopIteration
            self.left -= 1
            return ["a", "b"]

    for sentences in ([["a", "b"]] * 3, Sentences()):
        words, ends, raw, exhausted = table.lookup_batch(sentences, 100, 0, token_list)
        assert (words.tolist(), ends.tolist(), raw, exhausted) == ([0, 1] * 3, [2, 4, 6], 6, True)


@pytest.mark.parametrize("bad", [7, None, 2.5])
def test_lookup_batch_names_a_sentence_that_cannot_be_iterated(bad):
    table = WordTable()
    table.add(["a"])
    message = rf"^sentence #6: '{type(bad).__name__}' object is not iterable$"
    with pytest.raises(CorpusError, match=message) as info:
        table.lookup_batch(iter([["a"], bad]), 100, 4, token_list)
    assert isinstance(info.value, W2GMError) and isinstance(info.value, TypeError)


def test_lookup_batch_keeps_reference_counts():
    """Each sentence is held while it is read and released after: its reference count, and the
    tokens', are the same before and after the call."""
    import sys

    table = WordTable()
    table.add(["a", "b"])
    sentences = [["a", "b", "zz"] for _ in range(300)] + [("a", "b")]
    before = [sys.getrefcount(s) for s in sentences]
    token = sentences[0][2]
    token_before = sys.getrefcount(token)
    for _ in range(3):
        table.lookup_batch(iter(sentences), 10**6, 0, token_list)
    assert [sys.getrefcount(s) for s in sentences] == before
    assert sys.getrefcount(token) == token_before


def test_lookup_batch_closes_early_once_stop_is_set():
    """The stop event is read every 256 sentences: a set one ends the batch there, not
    exhausted, with the sentences read so far."""
    import threading

    table = WordTable()
    table.add(["a"])
    stop = threading.Event()
    read = []

    def sentences():
        for i in range(1000):
            read.append(i)
            if i == 300:
                stop.set()
            yield ["a"]

    words, ends, raw, exhausted = table.lookup_batch(sentences(), 10**6, 0, token_list, stop)
    assert (len(ends), raw, exhausted, len(read)) == (512, 512, False, 512)
    words, ends, raw, exhausted = table.lookup_batch(iter([["a"]]), 10**6, 0, token_list, stop)
    assert (len(ends), exhausted) == (0, False)
