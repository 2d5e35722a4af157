# cython: language_level=3
"""Declarations of :class:`w2gm._vocab.WordTable`, so that other extensions can cimport it.

Other kernels need only :meth:`WordTable.find_units`: the nogil lookup of a
word given as the code units of its canonical ``str`` representation (what
``w2gm._corpus_file`` builds from UTF-8 bytes).
"""

cimport cython
from cpython.object cimport PyObject
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t


# final: the methods are called directly, not through the vtable (nothing subclasses it)
@cython.final
cdef class WordTable:
    cdef Py_ssize_t n          # number of words
    cdef Py_ssize_t cap        # capacity of the per-word arrays
    cdef Py_ssize_t n_slots    # hash slots, a power of two
    cdef uint64_t* slots       # (n_slots,) the word's 32 high hash bits above its entry number, or all ones
    cdef int64_t* offsets      # (cap + 1,) byte offsets into chars: word e is [_start(e), offsets[e+1])
    cdef uint8_t* kinds        # (cap,) PEP 393 kind: bytes per code unit
    cdef int64_t* cnt          # (cap,) counts
    cdef uint8_t* chars
    cdef Py_ssize_t chars_cap

    cdef int _reserve(self, Py_ssize_t cap) except -1
    cdef int _reserve_chars(self, Py_ssize_t nbytes) except -1
    cdef uint64_t _entry_hash(self, Py_ssize_t e) noexcept nogil
    cdef int _rehash(self, Py_ssize_t n_slots) except -1
    cdef int64_t _start(self, Py_ssize_t e) noexcept nogil
    cdef Py_ssize_t _find(self, int kind, const uint8_t* data, Py_ssize_t nbytes,
                          uint64_t h) noexcept nogil
    cdef Py_ssize_t _insert(self, int kind, const uint8_t* data, Py_ssize_t nbytes,
                            uint64_t h, int64_t count) except -1
    cdef Py_ssize_t _add(self, object token, int64_t count) except -1
    cdef Py_ssize_t _index(self, object token) except -2
    cdef Py_ssize_t _lookup_into(self, PyObject** items, Py_ssize_t n, int32_t* out) except -1
    cdef object _word(self, Py_ssize_t i)
    cdef Py_ssize_t find_units(self, int kind, const uint8_t* data, Py_ssize_t nbytes) noexcept nogil
