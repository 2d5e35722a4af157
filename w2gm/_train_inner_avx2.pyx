# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The AVX2/FMA build of the Word2GM training kernels (``_train_inner.pyx``).

The same source as :mod:`w2gm._train_inner`, included whole, compiled with
``-mavx2 -mfma -ffp-contract=off`` (``setup.py``) so that its arithmetic is
bit-identical to the baseline build; :mod:`w2gm.kernels` picks one of the two
at import time from the CPU's features.
"""
include "_train_inner.pyx"
