# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Compact vocabulary table: word -> index and count, with no Python object per word.

A Python ``dict`` of ``str`` costs about 120 bytes per word (the string object,
the dict entry and the int index), and counting a corpus with a ``Counter``
leaves the heap fragmented by hundreds of thousands of rare words that are then
dropped.  :class:`WordTable` keeps every word as the raw code units of its
canonical ``str`` representation (PEP 393 kind 1, 2 or 4) in one growing byte
buffer, with an open-addressing hash table (linear probing, load factor at most
1/2) whose 8-byte slots hold an entry number and 32 bits of the word's hash (so a
probe that meets another word does not read that word's entry): 50 to 60 bytes per
word in all (56 for the 95,580 distinct words of the first 20 MB of the shared
corpus).  Words are numbered
in first-insertion order; ``str`` objects are created only when a word is asked
for (:meth:`WordTable.word`, :meth:`WordTable.words`).

The table is used by :meth:`w2gm.Word2GM.build_vocab` to count the corpus, by
the training producer thread to turn sentences into int32 index arrays
(:meth:`WordTable.lookup_batch`, a batch of sentences per call;
:meth:`WordTable.lookup`, one sentence per call, in runs with held-out
sentences), and by :class:`w2gm.KeyedGaussianMixtures` as its
vocabulary.  Methods that take Python objects hold the GIL; the table is not
changed after the vocabulary is built, so concurrent lookups are safe.
"""

import numbers
import operator
import reprlib

import numpy as np
cimport numpy as cnp
from cpython.object cimport PyObject
from cpython.ref cimport Py_XDECREF
from cpython.unicode cimport (PyUnicode_Check, PyUnicode_DATA, PyUnicode_GET_LENGTH,
                              PyUnicode_KIND, PyUnicode_FromKindAndData)
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy

from w2gm.exceptions import CorpusError, ParameterError

cnp.import_array()

cdef extern from *:
    """
    /* Before Python 3.12 a str made by deprecated C APIs may not be in its canonical
       (PEP 393) form yet; PyUnicode_READY converts it.  From 3.12 every str is. */
    static int w2gm_unicode_ready(PyObject *o) {
    #if PY_VERSION_HEX < 0x030C0000
        return PyUnicode_READY(o);
    #else
        (void)o;
        return 0;
    #endif
    }
    """
    int w2gm_unicode_ready(object o) except -1

cdef extern from *:
    """
    /* Start loading the cache line at p (a hint; no fault on any address).  No-op where the
       compiler has no __builtin_prefetch. */
    static inline void w2gm_prefetch(const void *p) {
    #if defined(__GNUC__) || defined(__clang__)
        __builtin_prefetch(p, 0, 3);
    #else
        (void)p;
    #endif
    }
    """
    void w2gm_prefetch(const void *p) noexcept nogil

cdef extern from "Python.h":
    # borrowed items of a list or tuple
    PyObject** PySequence_Fast_ITEMS(object o)
    # the next item (a new reference), or NULL: at the end with no error set, else on an error
    PyObject* PyIter_Next(object o) except? NULL

# at most 2**31 - 1 words: entry numbers are int32, like the training index arrays
cdef Py_ssize_t MAX_WORDS = 2147483647
# A hash slot holds a word's 32 high hash bits (its tag) above its entry number, or EMPTY_SLOT.
# The low bits pick the slot (at most 2**32 slots), so the tag is what the slot adds: a probe
# that meets another word is told apart without loading that word's entry.  No entry number
# has all 32 low bits set, so EMPTY_SLOT is no word's slot.
cdef uint64_t EMPTY_SLOT = 0xFFFFFFFFFFFFFFFFULL
cdef uint64_t TAG_BITS = 0xFFFFFFFF00000000ULL
cdef uint64_t ENTRY_BITS = 0x00000000FFFFFFFFULL
# sentences up to this many tokens are looked up through a stack buffer (WordTable.lookup)
cdef enum:
    SHORT_SENTENCE = 256
    # the lookup pipeline (WordTable._lookup_into): tokens between its stages, and the keys in flight
    # (4 stages; a power of two)
    LOOKUP_STAGE = 8
    LOOKUP_RING = 32
    # WordTable.lookup_batch reads its stop event every STOP_CHECK sentences
    STOP_CHECK = 256
# counts are int64; a sum beyond this is refused rather than wrapped
cdef int64_t MAX_COUNT = 9223372036854775807


cdef inline uint64_t _hash(const uint8_t* p, Py_ssize_t n, int kind) noexcept nogil:
    """FNV-1a over the code units, then the murmur3 finaliser (spreads the low bits)."""
    cdef uint64_t h = 14695981039346656037ULL ^ <uint64_t>kind
    cdef Py_ssize_t i
    for i in range(n):
        h = (h ^ p[i]) * 1099511628211ULL
    h ^= h >> 33
    h *= 0xff51afd7ed558ccdULL
    h ^= h >> 33
    h *= 0xc4ceb9fe1a85ec53ULL
    h ^= h >> 33
    return h


cdef struct _Key:
    int kind                   # PEP 393 kind: 1, 2 or 4 bytes per code unit
    const uint8_t* data        # the str's own code units (borrowed)
    Py_ssize_t nbytes
    uint64_t hash


cdef struct _LookupAhead:
    # The lookup pipeline (WordTable._lookup_into).  One token at a time, a lookup is a chain of
    # dependent cache misses (hash slot, entry, code units: training evicts the table between the
    # producer's turns); the pipeline starts them for later tokens, LOOKUP_STAGE tokens between stages:
    # 1. hash token t + 3 * LOOKUP_STAGE, prefetch its slot; 2. read token t + 2 * LOOKUP_STAGE's
    # slot, prefetch its entry; 3. prefetch token t + LOOKUP_STAGE's code units; 4. look token t
    # up.  Rings of LOOKUP_RING tokens, indexed by token number & (LOOKUP_RING - 1).
    _Key keys[LOOKUP_RING]
    Py_ssize_t entries[LOOKUP_RING]     # stage 2's entry number, -1 if none
    uint64_t mask                       # n_slots - 1


cdef inline int _key(object token, _Key* k) except -1:
    """The table key of a str token: its canonical code units; TypeError for other objects."""
    if not PyUnicode_Check(token):
        # reprlib: a short form of a huge token, and no error from a failing __repr__
        raise TypeError(f"tokens must be str, found {type(token).__name__} {reprlib.repr(token)}")
    w2gm_unicode_ready(token)
    k.kind = PyUnicode_KIND(token)
    k.data = <const uint8_t*>PyUnicode_DATA(token)
    k.nbytes = PyUnicode_GET_LENGTH(token) * k.kind
    k.hash = _hash(k.data, k.nbytes, k.kind)
    return 0


cdef void* _grow(void* p, size_t nbytes, Py_ssize_t cap, str what="vocabulary table") except NULL:
    """realloc, or MemoryError naming `what` (``p`` stays valid and owned by the caller)."""
    cdef void* q = realloc(p, nbytes)
    if q == NULL:
        raise MemoryError(f"{what}: cannot grow to {cap} entries")
    return q


cdef inline bint _same(const uint8_t* a, const uint8_t* b, Py_ssize_t n) noexcept nogil:
    """``memcmp(a, b, n) == 0``, inline: words are short, and a libc call costs more than the loop."""
    cdef Py_ssize_t i
    for i in range(n):
        if a[i] != b[i]:
            return False
    return True


cdef inline int64_t _align(int64_t offset, int kind) noexcept nogil:
    return (offset + kind - 1) & ~(<int64_t>kind - 1)


cdef inline Py_ssize_t _slot_entry(uint64_t slot) noexcept nogil:
    """The entry number in a hash slot, -1 for an empty one."""
    return -1 if slot == EMPTY_SLOT else <Py_ssize_t>(slot & ENTRY_BITS)


# The stages of the lookup pipeline (WordTable._lookup_into, _LookupAhead)

cdef inline int _ahead_hash(WordTable table, _LookupAhead *ahead, PyObject **items, Py_ssize_t a,
                            Py_ssize_t n) except -1:
    """Stage 1 for token a: its key and a prefetch of its hash slot (and of token a + LOOKUP_STAGE's str)."""
    cdef _Key *kp = &ahead.keys[a & (LOOKUP_RING - 1)]
    if a + LOOKUP_STAGE < n:
        w2gm_prefetch(<const void *>items[a + LOOKUP_STAGE])
    _key(<object>items[a], kp)
    w2gm_prefetch(&table.slots[kp.hash & ahead.mask])
    return 0

cdef inline void _ahead_entry(WordTable table, _LookupAhead *ahead, Py_ssize_t b) noexcept nogil:
    """Stage 2 for token b: the entry its home slot names (if the tag matches), prefetched."""
    cdef _Key *kp = &ahead.keys[b & (LOOKUP_RING - 1)]
    cdef uint64_t slot = table.slots[kp.hash & ahead.mask]
    cdef Py_ssize_t e = -1
    if slot != EMPTY_SLOT and (slot & TAG_BITS) == (kp.hash & TAG_BITS):
        e = <Py_ssize_t>(slot & ENTRY_BITS)
        w2gm_prefetch(&table.offsets[e])
        w2gm_prefetch(&table.kinds[e])
    ahead.entries[b & (LOOKUP_RING - 1)] = e

cdef inline void _ahead_chars(WordTable table, _LookupAhead *ahead, Py_ssize_t c) noexcept nogil:
    """Stage 3 for token c: a prefetch of that entry's code units."""
    cdef Py_ssize_t e = ahead.entries[c & (LOOKUP_RING - 1)]
    if e >= 0:
        w2gm_prefetch(table.chars + table.offsets[e])


cdef class WordTable:
    """Words numbered 0..n-1 in first-insertion order, each with an int64 count.

    Equality of words is ``str`` equality.  Memory per word: 16 to 32 bytes of hash
    slots (8 bytes each, two to four times as many slots as words), ``8 + 8 + 1``
    bytes of offset, count and kind, plus its code units (one byte per character for
    Latin-1 text; 2- and 4-byte units are aligned, which costs at most 3 bytes of
    padding), see :attr:`nbytes`.

    Raises
    ------
    TypeError
        When a token or word is not a ``str`` (the message shows it).
    ParameterError
        (a ``ValueError``) when a word's count would exceed ``2**63 - 1``.
    MemoryError
        If the table cannot grow.
    """
    # the attributes are declared in _vocab.pxd

    def __cinit__(self):
        self.n = 0
        self.cap = 0
        self.n_slots = 0
        self.chars_cap = 0
        self._reserve(16)
        self._reserve_chars(256)
        self._rehash(32)
        self.offsets[0] = 0

    def __dealloc__(self):
        free(self.slots)
        free(self.offsets)
        free(self.kinds)
        free(self.cnt)
        free(self.chars)

    # ----------------------------------------------------------------- storage
    cdef int _reserve(self, Py_ssize_t cap) except -1:
        if cap <= self.cap:
            return 0
        self.offsets = <int64_t*>_grow(self.offsets, (cap + 1) * sizeof(int64_t), cap)
        self.kinds = <uint8_t*>_grow(self.kinds, cap * sizeof(uint8_t), cap)
        self.cnt = <int64_t*>_grow(self.cnt, cap * sizeof(int64_t), cap)
        self.cap = cap
        return 0

    cdef int _reserve_chars(self, Py_ssize_t nbytes) except -1:
        cdef void* p
        if nbytes <= self.chars_cap:
            return 0
        p = realloc(self.chars, nbytes)
        if p == NULL:
            raise MemoryError(f"vocabulary table: cannot grow to {nbytes} bytes of words")
        self.chars = <uint8_t*>p
        self.chars_cap = nbytes
        return 0

    cdef uint64_t _entry_hash(self, Py_ssize_t e) noexcept nogil:
        """The hash of word e, from its code units (the table keeps only its tag)."""
        cdef int64_t start = self._start(e)
        return _hash(self.chars + start, self.offsets[e + 1] - start, self.kinds[e])

    cdef int _rehash(self, Py_ssize_t n_slots) except -1:
        cdef uint64_t* slots = <uint64_t*>malloc(n_slots * sizeof(uint64_t))
        cdef Py_ssize_t i, pos
        cdef uint64_t mask = <uint64_t>(n_slots - 1)
        cdef uint64_t h
        if slots == NULL:
            raise MemoryError(f"vocabulary table: cannot allocate {n_slots} hash slots")
        for i in range(n_slots):
            slots[i] = EMPTY_SLOT
        for i in range(self.n):
            h = self._entry_hash(i)
            pos = <Py_ssize_t>(h & mask)
            while slots[pos] != EMPTY_SLOT:
                pos = (pos + 1) & mask
            slots[pos] = (h & TAG_BITS) | <uint64_t>i
        free(self.slots)
        self.slots = slots
        self.n_slots = n_slots
        return 0

    cdef int64_t _start(self, Py_ssize_t e) noexcept nogil:
        """First byte of word e: the end of word e - 1 rounded up to a multiple of its kind.

        2- and 4-byte code units are thus aligned (the buffer comes from malloc), as
        PyUnicode_FromKindAndData expects of its Py_UCS2 / Py_UCS4 input.
        """
        return _align(self.offsets[e], self.kinds[e])

    cdef Py_ssize_t _find(self, int kind, const uint8_t* data, Py_ssize_t nbytes,
                          uint64_t h) noexcept nogil:
        """Slot of the word, or of the empty slot where it would go."""
        cdef uint64_t mask = <uint64_t>(self.n_slots - 1)
        cdef Py_ssize_t pos = <Py_ssize_t>(h & mask)
        cdef uint64_t tag = h & TAG_BITS
        cdef uint64_t slot
        cdef Py_ssize_t e
        while True:
            slot = self.slots[pos]
            if slot == EMPTY_SLOT:
                return pos
            if (slot & TAG_BITS) == tag:
                e = <Py_ssize_t>(slot & ENTRY_BITS)
                if (self.kinds[e] == kind and self.offsets[e + 1] - self._start(e) == nbytes
                        and _same(self.chars + self._start(e), data, nbytes)):
                    return pos
            pos = (pos + 1) & mask

    cdef Py_ssize_t find_units(self, int kind, const uint8_t* data, Py_ssize_t nbytes) noexcept nogil:
        """Number of the word whose canonical code units are ``data[:nbytes]``, or -1; no GIL needed.

        ``kind`` (1, 2 or 4 bytes per code unit) and the units must be those of
        the word's canonical ``str`` (PEP 393: the smallest kind that holds its
        largest code point, units in native byte order), as
        ``w2gm._corpus_file`` builds them from UTF-8; any other kind finds
        nothing.  Safe to call from several threads at once while nobody
        modifies the table.
        """
        return _slot_entry(self.slots[self._find(kind, data, nbytes, _hash(data, nbytes, kind))])

    cdef Py_ssize_t _insert(self, int kind, const uint8_t* data, Py_ssize_t nbytes,
                            uint64_t h, int64_t count) except -1:
        """Add ``count`` (>= 0) to the word, appending it if new; returns its number."""
        cdef Py_ssize_t pos = self._find(kind, data, nbytes, h)
        cdef Py_ssize_t e = _slot_entry(self.slots[pos])
        cdef int64_t start
        cdef uint64_t total
        if e >= 0:
            # both counts are in 0..2**63 - 1, so their unsigned sum cannot wrap
            total = <uint64_t>self.cnt[e] + <uint64_t>count
            if total > <uint64_t>MAX_COUNT:
                raise ParameterError(f"the count of {self._word(e)!r} would exceed 2**63 - 1 "
                                     f"({self.cnt[e]} + {count})")
            self.cnt[e] = <int64_t>total
            return e
        if self.n >= MAX_WORDS:
            raise OverflowError(f"vocabulary table: more than {MAX_WORDS} distinct words")
        if 2 * (self.n + 1) > self.n_slots:
            self._rehash(2 * self.n_slots)
            pos = self._find(kind, data, nbytes, h)
        if self.n == self.cap:
            self._reserve(2 * self.cap)
        start = _align(self.offsets[self.n], kind)
        if start + nbytes > self.chars_cap:
            self._reserve_chars(max(2 * self.chars_cap, start + nbytes))
        e = self.n
        if nbytes:
            memcpy(self.chars + start, data, nbytes)
        self.offsets[e + 1] = start + nbytes
        self.kinds[e] = <uint8_t>kind
        self.cnt[e] = count
        self.slots[pos] = (h & TAG_BITS) | <uint64_t>e
        self.n += 1
        return e

    cdef Py_ssize_t _add(self, object token, int64_t count) except -1:
        cdef _Key k
        _key(token, &k)
        return self._insert(k.kind, k.data, k.nbytes, k.hash, count)

    cdef Py_ssize_t _index(self, object token) except -2:
        """Number of the word, -1 if absent; TypeError if not a str."""
        cdef _Key k
        _key(token, &k)
        return _slot_entry(self.slots[self._find(k.kind, k.data, k.nbytes, k.hash)])

    # ------------------------------------------------------------------ public
    def add(self, tokens):
        """Count every token of a sentence (new words are appended).

        Parameters
        ----------
        tokens : list or tuple of str (any iterable is accepted)

        Returns
        -------
        int
            Number of tokens counted.

        Raises
        ------
        TypeError
            At the first token that is not a ``str``; the tokens before it
            have been counted.
        ParameterError
            (a ``ValueError``) at the first token whose count would exceed
            ``2**63 - 1`` (not counted); the tokens before it have been
            counted.
        """
        cdef Py_ssize_t m = 0
        cdef object token
        if type(tokens) is list:
            for token in <list>tokens:
                self._add(token, 1)
                m += 1
        elif type(tokens) is tuple:
            for token in <tuple>tokens:
                self._add(token, 1)
                m += 1
        else:
            for token in tokens:
                self._add(token, 1)
                m += 1
        return m

    def add_word(self, word, count=0):
        """Add ``count`` to `word` (appending it if new) and return its number.

        Raises
        ------
        TypeError
            If `word` is not a ``str``.
        ParameterError
            (a ``ValueError``) if `count` is not an integer in
            ``0 .. 2**63 - 1``, or the word's count would exceed ``2**63 - 1``
            (the table is then unchanged).
        """
        if isinstance(count, bool) or not isinstance(count, numbers.Integral):
            raise ParameterError(f"count must be an integer, got {count!r}")
        if count < 0:
            raise ParameterError(f"count must be >= 0, got {count!r}")
        if count > MAX_COUNT:
            raise ParameterError(f"count must be at most 2**63 - 1, got {count!r}")
        return self._add(word, <int64_t>count)

    def lookup(self, tokens):
        """Numbers of the tokens that are in the table, in order (others skipped).

        Parameters
        ----------
        tokens : list or tuple of str (other iterables are copied to a list)

        Returns
        -------
        ndarray of int32, shape (m,)
            ``m <= len(tokens)``: out-of-vocabulary tokens are dropped, as
            word2vec drops them before windows are formed.

        Raises
        ------
        TypeError
            If a token is not a ``str``.
        """
        cdef Py_ssize_t j, n
        cdef cnp.npy_intp size
        cdef cnp.ndarray out
        cdef int32_t *ov
        cdef int32_t short_buffer[SHORT_SENTENCE]
        if type(tokens) is not list and type(tokens) is not tuple:
            tokens = list(tokens)
        n = len(tokens)
        # Held-out training runs call this once per sentence, so its fixed cost matters for short
        # sentences: C-API allocation and a raw pointer (a typed memoryview costs about 1 µs to
        # acquire), and for a short sentence the numbers gathered on the stack and copied into
        # an array of the final length (no slice of a longer array).
        if n <= SHORT_SENTENCE:
            ov = short_buffer
        else:
            size = n
            out = cnp.PyArray_EMPTY(1, &size, cnp.NPY_INT32, 0)
            ov = <int32_t *>cnp.PyArray_DATA(out)
        j = self._lookup_into(PySequence_Fast_ITEMS(tokens), n, ov)
        if n > SHORT_SENTENCE:
            return out[:j] if j < n else out
        size = j
        out = cnp.PyArray_EMPTY(1, &size, cnp.NPY_INT32, 0)
        memcpy(cnp.PyArray_DATA(out), short_buffer, j * sizeof(int32_t))
        return out

    cdef Py_ssize_t _lookup_into(self, PyObject** items, Py_ssize_t n, int32_t* out) except -1:
        """Write the numbers of the in-table tokens of ``items[0..n)`` to ``out``; return how many.

        ``items`` are borrowed ``str`` references (a list's or tuple's items)
        and ``out`` has room for ``n``.  A pipeline over the tokens,
        LOOKUP_STAGE tokens between its stages (see _LookupAhead).  The keys
        borrow the tokens' code units: the sequence is not changed meanwhile
        (no Python code runs).  A non-str token raises TypeError before any
        later one is read.
        """
        cdef _LookupAhead ahead
        cdef _Key *kp
        cdef Py_ssize_t t, e, j = 0
        ahead.mask = <uint64_t>(self.n_slots - 1)
        for t in range(-3 * LOOKUP_STAGE, n):
            if t >= 0 and t + 3 * LOOKUP_STAGE < n:
                # the steady state: every stage has its token
                _ahead_hash(self, &ahead, items, t + 3 * LOOKUP_STAGE, n)
                _ahead_entry(self, &ahead, t + 2 * LOOKUP_STAGE)
                _ahead_chars(self, &ahead, t + LOOKUP_STAGE)
            else:
                if t + 3 * LOOKUP_STAGE < n:
                    _ahead_hash(self, &ahead, items, t + 3 * LOOKUP_STAGE, n)
                if 0 <= t + 2 * LOOKUP_STAGE < n:
                    _ahead_entry(self, &ahead, t + 2 * LOOKUP_STAGE)
                if 0 <= t + LOOKUP_STAGE < n:
                    _ahead_chars(self, &ahead, t + LOOKUP_STAGE)
                if t < 0:
                    continue
            kp = &ahead.keys[t & (LOOKUP_RING - 1)]
            e = _slot_entry(self.slots[self._find(kp.kind, kp.data, kp.nbytes, kp.hash)])
            if e >= 0:
                out[j] = <int32_t>e
                j += 1
        return j

    def lookup_batch(self, sentences, Py_ssize_t batch_words, Py_ssize_t number, to_list, stop=None):
        """Look sentences of an iterator up until they hold `batch_words` table words or it ends.

        The iterable training path's producer loop in C (issue 13): for list
        sentences no Python bytecode runs per sentence, only ``next()`` of
        `sentences`.  The batch closes after the sentence that brings it to
        `batch_words` or more words (so it holds at least one sentence), or
        early when `stop` is set.

        Parameters
        ----------
        sentences : iterator of token lists
            Each item a list of ``str``, or what `to_list` makes one of.  An
            iterable that is not an iterator is passed to ``iter()`` first
            (then every call starts it again).
        batch_words : int
            Table words at which the batch closes.
        number : int
            Sentences read before this call: the first one read here is
            sentence ``number + 1`` in error messages.
        to_list : callable
            ``to_list(sentence, number)`` is called on every sentence that is
            not a list and must return a list of its tokens or raise
            (:func:`w2gm.corpora.token_list`: a ``CorpusError`` for a ``str``
            sentence or one that cannot be iterated).
        stop : threading.Event, optional
            Read every 256 sentences; once it is set, the batch closes there.

        Returns
        -------
        words : ndarray of int32, shape (N,)
            The table numbers of the batch's tokens, out-of-table tokens
            dropped, sentence after sentence.
        sentence_ends : ndarray of int64, shape (S,)
            ``words[start:sentence_ends[s]]`` is sentence ``s``, where
            ``start`` is ``sentence_ends[s - 1]`` (0 for ``s = 0``).
        raw_words : int
            Tokens of the ``S`` sentences, out-of-table ones included.
        exhausted : bool
            Whether `sentences` ended (then ``S`` may be 0).

        Raises
        ------
        CorpusError
            (a :class:`~w2gm.exceptions.W2GMError` and ``TypeError``) if a token
            is not a ``str``, naming its sentence.
        TypeError
            If `to_list` returns something other than a list.
        MemoryError
            If the batch's buffers cannot grow.
        Exception
            Whatever ``next(sentences)`` or `to_list` raises.
        """
        cdef int32_t* words = NULL
        cdef int64_t* ends = NULL
        cdef Py_ssize_t n_words = 0, n_sentences = 0, words_cap = 1024, ends_cap = 64, n
        cdef int64_t raw = 0
        cdef PyObject* item
        cdef bint exhausted = False
        cdef cnp.npy_intp size
        cdef cnp.ndarray words_out, ends_out
        sentences = iter(sentences)   # PyIter_Next needs an iterator (a list would crash it)
        try:
            words = <int32_t*>_grow(NULL, words_cap * sizeof(int32_t), words_cap, "lookup batch")
            ends = <int64_t*>_grow(NULL, ends_cap * sizeof(int64_t), ends_cap, "lookup batch")
            while True:
                if stop is not None and n_sentences % STOP_CHECK == 0 and stop.is_set():
                    break
                item = PyIter_Next(sentences)
                if item == NULL:
                    exhausted = True
                    break
                sentence = <object>item   # a reference of its own, kept until the next sentence
                Py_XDECREF(item)
                number += 1
                if type(sentence) is not list:
                    sentence = to_list(sentence, number)
                    if type(sentence) is not list:   # PySequence_Fast_ITEMS needs a list
                        raise TypeError(f"to_list returned {type(sentence).__name__}, not list")
                n = len(sentence)
                if n_words + n > words_cap:
                    words_cap = max(2 * words_cap, n_words + n)
                    words = <int32_t*>_grow(words, words_cap * sizeof(int32_t), words_cap, "lookup batch")
                try:
                    n_words += self._lookup_into(PySequence_Fast_ITEMS(sentence), n, words + n_words)
                except TypeError as exc:
                    raise CorpusError(f"sentence #{number}: {exc}") from None
                if n_sentences == ends_cap:
                    ends_cap *= 2
                    ends = <int64_t*>_grow(ends, ends_cap * sizeof(int64_t), ends_cap, "lookup batch")
                ends[n_sentences] = n_words
                n_sentences += 1
                raw += n
                if n_words >= batch_words:
                    break
            size = n_words
            words_out = cnp.PyArray_EMPTY(1, &size, cnp.NPY_INT32, 0)
            memcpy(cnp.PyArray_DATA(words_out), words, n_words * sizeof(int32_t))
            size = n_sentences
            ends_out = cnp.PyArray_EMPTY(1, &size, cnp.NPY_INT64, 0)
            memcpy(cnp.PyArray_DATA(ends_out), ends, n_sentences * sizeof(int64_t))
        finally:
            free(words)
            free(ends)
        return words_out, ends_out, raw, exhausted

    def index(self, word):
        """Number of `word`, or -1 if it is not in the table.

        Raises
        ------
        TypeError
            If `word` is not a ``str``.
        """
        return self._index(word)

    def __contains__(self, word):
        return PyUnicode_Check(word) and self._index(word) >= 0

    def word(self, i):
        """The word numbered `i` (a new ``str``).

        Raises
        ------
        IndexError
            If `i` is not in ``0..len-1``.
        TypeError
            If `i` is not an integer.
        """
        i = operator.index(i)
        if i < 0 or i >= self.n:
            raise IndexError(f"word number {i} out of range for a table of {self.n} words")
        return self._word(i)

    cdef object _word(self, Py_ssize_t i):
        cdef int kind = self.kinds[i]
        cdef int64_t start = self._start(i)
        return PyUnicode_FromKindAndData(kind, self.chars + start, (self.offsets[i + 1] - start) // kind)

    def words(self):
        """All words in number order, as a new list of ``str``."""
        cdef Py_ssize_t i
        return [self._word(i) for i in range(self.n)]

    def counts(self):
        """Counts of all words, as a new int64 array of shape (n,)."""
        out = np.empty(self.n, dtype=np.int64)
        cdef int64_t[::1] ov = out
        cdef Py_ssize_t i
        for i in range(self.n):
            ov[i] = self.cnt[i]
        return out

    def select(self, order):
        """A new table holding the words numbered ``order[0], order[1], ...``, renumbered 0, 1, ...

        Counts are carried over.  Used to keep the words that reach
        ``min_count``, sorted by decreasing count.

        Raises
        ------
        IndexError
            If a number is out of range.
        ValueError
            If a number appears twice.
        ParameterError
            (a ``ValueError``) if `order` is not a 1-d array of integers.
        """
        order = np.asarray(order)
        if order.ndim != 1 or (order.size and order.dtype.kind not in "iu"):
            raise ParameterError(f"order must be a 1-d array of integers, got {order.dtype} of shape "
                                 f"{order.shape}")
        # checked in its own dtype: uint64 numbers >= 2**63 would wrap in the int64 copy
        if order.size and order.max() >= self.n:
            raise IndexError(f"word number {int(order.max())} out of range for a table of {self.n} words")
        cdef cnp.int64_t[::1] idx = np.ascontiguousarray(order, dtype=np.int64)
        cdef WordTable out = WordTable()
        cdef Py_ssize_t t, e, nbytes
        cdef int64_t start
        cdef Py_ssize_t n_slots = 32
        out._reserve(max(16, idx.shape[0]))
        out._reserve_chars(max(256, self.offsets[self.n] + 3 * idx.shape[0]))
        while n_slots < 2 * idx.shape[0]:
            n_slots *= 2
        out._rehash(n_slots)
        for t in range(idx.shape[0]):
            e = idx[t]
            if e < 0 or e >= self.n:
                raise IndexError(f"word number {e} out of range for a table of {self.n} words")
            start = self._start(e)
            nbytes = self.offsets[e + 1] - start
            if out._insert(self.kinds[e], self.chars + start, nbytes, self._entry_hash(e),
                           self.cnt[e]) != t:
                raise ValueError(f"word number {e} appears twice in the selection")
        return out

    def __len__(self):
        return self.n

    @property
    def nbytes(self):
        """Bytes of memory the table holds (allocated capacity)."""
        return (self.n_slots * sizeof(uint64_t)
                + self.cap * (sizeof(int64_t) + sizeof(uint8_t) + sizeof(int64_t))
                + sizeof(int64_t) + self.chars_cap)

    def __reduce__(self):
        return (_rebuild, (self.words(), self.counts()))

    def __repr__(self):
        return f"<WordTable of {self.n} words, {self.nbytes} bytes>"


def _rebuild(words, counts):
    table = WordTable()
    for word, count in zip(words, counts):
        table.add_word(word, int(count))
    return table
