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

# the kernels (_train_inner, _sampling), the vocabulary table (_vocab) and the byte-range
# corpus file reader (_corpus_file, which cimports _vocab)
extensions = [
    Extension(
        f"w2gm.{name}",
        [f"w2gm/{name}.pyx"],
        include_dirs=[np.get_include()],
        extra_compile_args=COMPILE_ARGS,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
    for name in ("_sampling", "_vocab", "_train_inner", "_corpus_file")
]

setup(ext_modules=cythonize(extensions, compiler_directives={"language_level": "3"}))
