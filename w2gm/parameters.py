"""The trainable arrays of a Word2GM model, grouped by side.

Each vocabulary word ``w`` has K mixture components (Athiwaratkun & Wilson
2017, eq. 1): means ``mu[w, k]`` (D floats), log-variances (1 float per
component for spherical covariance, D for diagonal) and mixture logits
``s[w, k]`` with weights ``softmax(s[w])``.  A model holds one
:class:`MixtureParameters` for the input side (the word representation, also
``model.wv``), optionally one for the output side (context and negative
words, Appendix A.2, the original's ``wout``), and for Adagrad one
accumulator group per side, shaped like it (``adagrad_state="scalar"``) or
with one value per parameter row (``"row"``: ``(V, K, 1)``, ``(V, K, 1)``,
``(V, 1)``; :meth:`MixtureParameters.accumulators`).
"""

import math
from typing import NamedTuple

import numpy as np

from w2gm.exceptions import ParameterError

__all__ = ["MixtureParameters"]


class MixtureParameters(NamedTuple):
    """Means, log-variances and mixture logits of every word (one side, or its optimiser state).

    Attributes
    ----------
    means : numpy.ndarray
        ``(V, K, D)`` float32.
    log_variances : numpy.ndarray
        ``(V, K, 1)`` (spherical) or ``(V, K, D)`` (diagonal) float32.
    logits : numpy.ndarray
        ``(V, K)`` float32.

    The field names are also the array names in model files (the output
    side adds ``_out``, the Adagrad state the prefix ``adagrad_``).  A
    row-wise Adagrad state (``adagrad_state="row"``) has the shapes
    ``(V, K, 1)``, ``(V, K, 1)`` and ``(V, 1)`` instead.
    """

    means: np.ndarray
    log_variances: np.ndarray
    logits: np.ndarray

    @classmethod
    def initial(cls, rng, vocab_size, num_mixtures, vector_size, spherical, mu_scale, var_scale):
        """Parameters initialised as in Appendix A.2 of the paper.

        Means uniform in ``+-mu_scale * sqrt(3 / D)``, every variance
        ``var_scale``, logits 0 (equal mixture weights).  The means are drawn
        directly in float32 and scaled in place, so no ``(V, K, D)`` float64
        temporary doubles the peak memory.

        Parameters
        ----------
        rng : numpy.random.Generator
        vocab_size, num_mixtures, vector_size : int
            V, K and D.
        spherical : bool
            One variance per component (else one per dimension).
        mu_scale, var_scale : float
        """
        V, K, D = vocab_size, num_mixtures, vector_size
        bound = mu_scale * math.sqrt(3.0 / D)
        means = rng.random((V, K, D), dtype=np.float32)
        means *= np.float32(2.0 * bound)
        means -= np.float32(bound)
        return cls(means,
                   np.full((V, K, 1 if spherical else D), math.log(var_scale), dtype=np.float32),
                   np.zeros((V, K), dtype=np.float32))

    def full_like(self, value):
        """New float32 arrays of the same shapes, every element ``value`` (e.g. Adagrad state)."""
        return MixtureParameters(*(np.full(a.shape, value, dtype=np.float32) for a in self))

    def accumulators(self, value, adagrad_state="scalar"):
        """New float32 Adagrad accumulators for these parameters, every element ``value``.

        Parameters
        ----------
        value : float
            The initial accumulator (``adagrad_initial_accumulator``).
        adagrad_state : {"scalar", "row"}
            ``"scalar"``: one per parameter, shaped like the parameters (as
            :meth:`full_like`).  ``"row"``: one per parameter row, shapes
            ``(V, K, 1)`` (means), ``(V, K, 1)`` (log-variances) and ``(V, 1)``
            (logits); see ``docs/training.md``, "Quality levers".

        Returns
        -------
        MixtureParameters
        """
        if adagrad_state == "scalar":
            return self.full_like(value)
        return MixtureParameters(*(np.full(shape, value, dtype=np.float32)
                                   for shape in self.accumulator_shapes(adagrad_state)))

    def accumulator_shapes(self, adagrad_state="scalar"):
        """Shapes of the Adagrad accumulators of these parameters (see :meth:`accumulators`).

        Parameters
        ----------
        adagrad_state : {"scalar", "row"}

        Returns
        -------
        tuple of 3 tuples of int
            The shapes for the means, log-variances and logits.

        Raises
        ------
        ParameterError
            (a ``ValueError``) If `adagrad_state` is neither value.
        """
        V, K = self.logits.shape
        if adagrad_state == "scalar":
            return tuple(a.shape for a in self)
        if adagrad_state == "row":
            return ((V, K, 1), (V, K, 1), (V, 1))
        raise ParameterError(f"adagrad_state must be 'scalar' or 'row', got {adagrad_state!r}")

    def all_finite(self):
        """Whether no element is NaN or infinite.

        A float64 sum of float32 values cannot overflow and is NaN or
        infinite exactly when some value is; unlike ``np.isfinite(a).all()``
        it allocates no ``(V, K, D)`` temporary.
        """
        return all(math.isfinite(np.sum(a, dtype=np.float64)) for a in self)

    def named(self, prefix="", suffix=""):
        """``{prefix + field + suffix: array}``, the member names of a model file."""
        return {prefix + name + suffix: a for name, a in zip(self._fields, self)}
