"""Which compiled training kernel trains: the baseline build or the AVX2/FMA build.

The training kernel (``_train_inner.pyx``) is compiled twice on x86-64 with
GCC or Clang (``setup.py``): :mod:`w2gm._train_inner` with the baseline
x86-64 flags, which run on every x86-64 CPU, and
:mod:`w2gm._train_inner_avx2` from the same source with ``-mavx2 -mfma
-ffp-contract=off``.  At import time this module picks one from the CPU's
features, as NumPy does, so the wheel stays portable (no ``-march=native``).
The AVX2 build does not fuse multiply-adds, so both builds train
bit-identical parameters (``docs/performance.md``, "Per-CPU code paths").

The environment variable ``W2GM_KERNEL``, read once at import, overrides the
choice:

============ ================================================================
value        kernel
============ ================================================================
``auto``     ``avx2`` when it is built and the CPU (and OS) support AVX2 and
             FMA, else ``baseline`` (the default, also for an empty value)
``baseline`` the baseline build
``avx2``     the AVX2/FMA build; :class:`~w2gm.exceptions.ParameterError`
             where it is not built or the CPU lacks AVX2 or FMA
============ ================================================================

The choice is logged once, at import, at DEBUG level by the logger
``w2gm.kernels``.  The AVX2 build is imported only once chosen: its module
initialisation is compiled with AVX2 too, and would stop the process with an
illegal instruction on a CPU without it.
"""

import importlib.util
import logging
import os

from w2gm import _train_inner
from w2gm.exceptions import ParameterError

__all__ = ["ENV_VAR", "CHOICES", "KernelState", "kernel_name", "select_kernel"]

logger = logging.getLogger(__name__)

ENV_VAR = "W2GM_KERNEL"
CHOICES = ("auto", "baseline", "avx2")


def select_kernel(choice, cpu_avx2_fma, avx2_built):
    """Pick the kernel build for a ``W2GM_KERNEL`` value.

    Parameters
    ----------
    choice : str or None
        ``"auto"``, ``"baseline"`` or ``"avx2"`` (case and surrounding blanks
        ignored); None or ``""`` mean ``"auto"``.
    cpu_avx2_fma : bool
        Whether the CPU runs AVX2 and FMA code
        (:func:`w2gm._train_inner.cpu_supports_avx2_fma`).
    avx2_built : bool
        Whether :mod:`w2gm._train_inner_avx2` is installed (it is not
        imported to find out).

    Returns
    -------
    str
        ``"baseline"`` (:mod:`w2gm._train_inner` trains) or ``"avx2"``
        (:mod:`w2gm._train_inner_avx2`).

    Raises
    ------
    ParameterError
        (a ``ValueError``) for a value not in :data:`CHOICES`, or ``"avx2"``
        where `avx2_built` or `cpu_avx2_fma` is false; the message names the
        value.
    """
    value = (choice or "").strip().lower() or "auto"
    if value not in CHOICES:
        raise ParameterError(f"{ENV_VAR}={choice!r}: expected one of {', '.join(CHOICES)}")
    if value == "avx2" and not (avx2_built and cpu_avx2_fma):
        why = "was not built (x86-64 with GCC or Clang only)" if not avx2_built \
            else "needs AVX2 and FMA, which this CPU lacks"
        raise ParameterError(f"{ENV_VAR}={choice!r}: the AVX2 kernel {why}; use auto or baseline")
    if value == "avx2" or (value == "auto" and avx2_built and cpu_avx2_fma):
        return "avx2"
    return "baseline"


_cpu_avx2_fma = _train_inner.cpu_supports_avx2_fma()
_avx2_built = importlib.util.find_spec("w2gm._train_inner_avx2") is not None
kernel_name = select_kernel(os.environ.get(ENV_VAR), _cpu_avx2_fma, _avx2_built)
if kernel_name == "avx2":
    from w2gm import _train_inner_avx2 as _module
else:
    _module = _train_inner
KernelState = _module.KernelState
logger.debug("training kernel: %s (%s=%r, CPU AVX2+FMA: %s, AVX2 build: %s)", kernel_name, ENV_VAR,
             os.environ.get(ENV_VAR, "auto"), _cpu_avx2_fma, _avx2_built)
