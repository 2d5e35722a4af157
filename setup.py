"""Build script for the Cython extensions (metadata lives in pyproject.toml)."""

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

# -O3 lets the compiler vectorise the D-length loops; -fno-math-errno lets it
# vectorise sqrtf in the Adagrad update (libm need not set errno; IEEE NaN and
# infinity semantics are unchanged).  No -ffast-math: it would break the
# NaN/infinity checks of the trainer; no -march=native: wheels must run on
# other machines.
COMPILE_ARGS = ["-O3", "-fno-math-errno"]

extensions = [
    Extension(
        "w2gm._sampling",
        ["w2gm/_sampling.pyx"],
        include_dirs=[np.get_include()],
        extra_compile_args=COMPILE_ARGS,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
    Extension(
        "w2gm._vocab",
        ["w2gm/_vocab.pyx"],
        include_dirs=[np.get_include()],
        extra_compile_args=COMPILE_ARGS,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
    Extension(
        "w2gm._train_inner",
        ["w2gm/_train_inner.pyx"],
        include_dirs=[np.get_include()],
        extra_compile_args=COMPILE_ARGS,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
]

setup(ext_modules=cythonize(extensions, compiler_directives={"language_level": "3"}))
