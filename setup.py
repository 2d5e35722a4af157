"""Build script for the Cython extensions (metadata lives in pyproject.toml)."""

import platform
import sys

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
MODULES = {name: COMPILE_ARGS for name in ("_sampling", "_vocab", "_train_inner", "_corpus_file")}

# Per-CPU code path (as NumPy does): on x86-64 with a GCC/Clang-style compiler (not MSVC), the
# training kernel is built a second time, from the same source (_train_inner_avx2.pyx includes
# _train_inner.pyx), with AVX2 and FMA enabled; w2gm/kernels.py picks it at import time when the
# CPU has both.  -ffp-contract=off forbids fusing a*b+c into one FMA instruction (GCC does by
# default once -mfma is on): fused results round once instead of twice, so without it the two
# builds would train different bits and the pinned digests would depend on the machine.
if platform.machine().lower() in ("x86_64", "amd64") and not sys.platform.startswith("win"):
    MODULES["_train_inner_avx2"] = COMPILE_ARGS + ["-mavx2", "-mfma", "-ffp-contract=off"]

# Link libm explicitly where there is one (not MSVC): without it the extension's references
# to expf/logf carry no symbol version and bind to glibc's oldest (compat) entry points,
# wrappers that check SVID error handling before calling the real function (perf: 4% of
# training time in the expf wrapper alone).  Linked, they bind to the current versions.
LIBRARIES = [] if sys.platform.startswith("win") else ["m"]

extensions = [
    Extension(
        f"w2gm.{name}",
        [f"w2gm/{name}.pyx"],
        include_dirs=[np.get_include()],
        extra_compile_args=args,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        libraries=LIBRARIES,
    )
    for name, args in MODULES.items()
]

setup(ext_modules=cythonize(extensions, compiler_directives={"language_level": "3"}))
