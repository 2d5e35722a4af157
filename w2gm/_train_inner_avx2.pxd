# cython: language_level=3
# Declarations of the AVX2/FMA build (_train_inner_avx2.pyx): those of _train_inner.pxd, included.
include "_train_inner.pxd"
