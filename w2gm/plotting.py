"""Plot word mixtures in the style of Figure 1 of Athiwaratkun & Wilson (2017).

:func:`plot_mixtures` draws the components of a few words and their nearest
neighbouring components in a 2-D principal-component projection: each
component of a query word is an ellipse, each neighbouring component a
labelled point.

matplotlib is an optional dependency (``pip install "w2gm[plot]"``); it is
imported only when a plot is made, so ``import w2gm.plotting`` works without
it.

Decisions:

* **Projection**: principal component analysis, by NumPy's SVD, of the
  component means of the query words and of their neighbouring components
  (after subtracting their average).  Each axis's sign is fixed so that its
  largest loading is positive (as scikit-learn's ``svd_flip``), so the same
  model always gives the same picture.  With ``D == 1`` the second
  coordinate is 0.
* **Ellipse size**: the projection is linear with an orthonormal basis
  ``P`` ``(2, D)``, so a component ``N(mu, Sigma)`` projects to exactly the
  Gaussian ``N(P (mu - c), P Sigma P^T)`` in the plane.  The ellipse drawn is
  that 2-D Gaussian's contour at `n_std` standard deviations (default 1): for
  a spherical covariance ``sigma^2 I`` a circle of radius
  ``n_std * sigma``; for a diagonal covariance the eigen-decomposition of
  the 2x2 matrix ``P Sigma P^T`` gives the half-axes
  ``n_std * sqrt(eigenvalue)`` and the orientation.  Axes have equal
  aspect, so circles stay circles.
* **Opacity**: ``alpha = min_alpha + (max_alpha - min_alpha) * weight``
  (default ``0.1 + 0.6 * p[w, k]``), strictly increasing with the mixture
  weight.
* **Neighbours**: for each component ``k`` of a query word, its `neighbours`
  nearest components of other words by the cosine of the means
  (``wv.most_similar(word, component=k, topn=neighbours)``, the paper's
  Table 1); a component that is itself drawn as an ellipse, or found twice,
  is drawn once.  Points are coloured like the query word they were found
  for.
* Labels are ``word:k`` for ellipses (at their centres, bold) and points.
* The figure is a plain :class:`matplotlib.figure.Figure` (not created
  through ``pyplot``), so plotting keeps no global state and needs no
  display; Jupyter shows it when it is the cell's value, ``fig.savefig``
  writes any format matplotlib knows.  With `ax` given, the plot goes on
  that axes and its figure is returned.
"""

import math
import numbers

import numpy as np

from w2gm.exceptions import ParameterError

__all__ = ["INSTALL_HINT", "import_matplotlib", "pca_basis", "plot_mixtures", "projected_covariance"]

#: How to install the optional plotting dependency.
INSTALL_HINT = 'pip install "w2gm[plot]"'


def import_matplotlib():
    """Import and return :mod:`matplotlib` (with its ``figure`` and ``patches`` modules loaded).

    Raises
    ------
    ImportError
        If matplotlib is not installed; the message says
        ``pip install "w2gm[plot]"``.
    """
    try:
        import matplotlib
        import matplotlib.figure
        import matplotlib.patches  # noqa: F401 (loads the submodule)
    except ImportError as exc:
        raise ImportError(f"plotting needs matplotlib, which is not installed: {INSTALL_HINT}") from exc
    return matplotlib


def pca_basis(points, dims=2):
    """Centre and orthonormal basis of the first `dims` principal axes of `points`.

    Parameters
    ----------
    points : numpy.ndarray
        ``(n, D)`` float, ``n >= 1``.
    dims : int, optional
        Number of axes.

    Returns
    -------
    centre : numpy.ndarray
        ``(D,)`` float64, the average point.
    basis : numpy.ndarray
        ``(dims, D)`` float64 with orthonormal rows (rows beyond ``D`` are
        zero); each row's largest-magnitude entry is positive.
    """
    points = np.asarray(points, dtype=np.float64)
    centre = points.mean(axis=0)
    _, _, vt = np.linalg.svd(points - centre, full_matrices=True)
    basis = np.zeros((dims, points.shape[1]))
    rows = min(dims, vt.shape[0])
    basis[:rows] = vt[:rows]
    for row in basis[:rows]:
        if row[np.argmax(np.abs(row))] < 0:
            row *= -1
    return centre, basis


def projected_covariance(variances, basis):
    """``P diag(variances) P^T``: the ``(2, 2)`` covariance of a diagonal Gaussian in the plane of ``P``.

    `variances` is ``(D,)`` (diagonal) or ``(1,)`` (spherical, broadcast).
    """
    variances = np.broadcast_to(np.asarray(variances, dtype=np.float64), (basis.shape[1],))
    return (basis * variances) @ basis.T


def _ellipse_geometry(cov, n_std):
    """``(width, height, angle in degrees)`` of the `n_std` contour of a 2x2 covariance."""
    eigenvalues, eigenvectors = np.linalg.eigh(cov)  # ascending
    eigenvalues = np.clip(eigenvalues, 0.0, None)
    major = eigenvectors[:, 1]
    angle = float(np.degrees(np.arctan2(major[1], major[0])))
    return (2.0 * n_std * float(np.sqrt(eigenvalues[1])), 2.0 * n_std * float(np.sqrt(eigenvalues[0])),
            angle)


def _check_words(wv, words):
    if isinstance(words, str):
        words = [words]
    try:
        words = list(words)
    except TypeError:
        raise ParameterError(f"words must be a word or a list of words, got {words!r}") from None
    if not words:
        raise ParameterError("words is empty: give at least one word to plot")
    indices = []
    for word in words:
        index = wv.get_index(word)  # WordNotInVocabularyError naming the word
        if index not in indices:
            indices.append(index)
    return indices


def _literal(word):
    """`word` as matplotlib draws it literally: ``$`` escaped, so no mathtext is parsed (a word
    like ``$\\frac{a}$`` would otherwise fail to draw, and ``$x$`` be drawn as maths)."""
    return word.replace("$", "\\$")


def _check_number(name, value, low, integral=False, inclusive=True):
    ok = isinstance(value, numbers.Integral if integral else numbers.Real) and not isinstance(value, bool)
    # math.isfinite, not np.isfinite: a Python int beyond 2**64 is no NumPy number
    ok = ok and (integral or math.isfinite(value)) and (value >= low if inclusive else value > low)
    if not ok:
        kind = "an integer" if integral else "a number"
        bound = f">= {low}" if inclusive else f"> {low}"
        raise ParameterError(f"{name} must be {kind} {bound}, got {value!r}")
    return value


def plot_mixtures(wv, words, neighbours=5, ax=None, *, n_std=1.0, min_alpha=0.1, max_alpha=0.7,
                  title=None, figsize=(8.0, 7.0)):
    """Draw the mixture components of `words` and their nearest components (the paper's Figure 1).

    A 2-D PCA projection of the component means of `words` and of their
    neighbouring components; every component of a query word is an
    ellipse centred at its projected mean, sized by its projected standard
    deviation and as opaque as its mixture weight; neighbouring components
    are points.  Labels read ``word:k``.  See the module docstring for the
    exact projection, scaling and opacity.

    Parameters
    ----------
    wv : w2gm.KeyedGaussianMixtures
        The word mixtures (``model.wv``), spherical or diagonal.
    words : str or list of str
        Query words (duplicates are drawn once).
    neighbours : int, optional
        Nearest components of other words drawn per query component
        (cosine of the means); 0 draws the query words only.
    ax : matplotlib.axes.Axes, optional
        Draw on this axes; by default a new figure of `figsize` inches.
    n_std : float, optional
        Ellipses are the contour at this many standard deviations (> 0).
    min_alpha, max_alpha : float, optional
        Opacity of an ellipse of weight 0 and of weight 1
        (``0 <= min_alpha < max_alpha <= 1``).
    title : str, optional
        Axes title; default names the query words.
    figsize : tuple of float, optional
        Size of a new figure, inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (the new one, or the figure of `ax`).

    Raises
    ------
    ImportError
        If matplotlib is not installed (``pip install "w2gm[plot]"``).
    w2gm.exceptions.WordNotInVocabularyError
        (a ``KeyError``) If a word is not in the vocabulary.
    w2gm.exceptions.ParameterError
        (a ``ValueError``) If `words` is empty, or `neighbours`, `n_std`,
        `min_alpha` or `max_alpha` is out of range, or a drawn mean or
        variance is NaN or infinite.
    """
    indices = _check_words(wv, words)
    neighbours = int(_check_number("neighbours", neighbours, 0, integral=True))
    n_std = float(_check_number("n_std", n_std, 0, inclusive=False))
    min_alpha = float(_check_number("min_alpha", min_alpha, 0))
    max_alpha = float(_check_number("max_alpha", max_alpha, 0))
    if not min_alpha < max_alpha <= 1:
        raise ParameterError(f"need 0 <= min_alpha < max_alpha <= 1, got min_alpha={min_alpha!r}, "
                             f"max_alpha={max_alpha!r}")
    matplotlib = import_matplotlib()

    num_mixtures = wv.num_mixtures
    query = [(w, k) for w in indices for k in range(num_mixtures)]
    drawn = set(query)
    found = []  # (word index, component, query word position)
    for position, (w, k) in enumerate(query):
        if neighbours == 0:
            break
        for word, comp, _ in wv.most_similar(wv.index_to_key[w], component=k, topn=neighbours):
            key = (wv.get_index(word), int(comp))
            if key not in drawn:
                drawn.add(key)
                found.append((*key, position // num_mixtures))

    rows = np.array([w for w, _ in query] + [w for w, _, _ in found])
    comps = np.array([k for _, k in query] + [k for _, k, _ in found])
    means = wv.means[rows, comps].astype(np.float64)
    variances = np.exp(wv.log_variances[rows[:len(query)], comps[:len(query)]].astype(np.float64))
    if not (np.isfinite(means).all() and np.isfinite(variances).all()):
        raise ParameterError("a drawn component has a NaN or infinite mean or variance")
    weights = wv.mixture_weights[rows[:len(query)], comps[:len(query)]].astype(np.float64)
    centre, basis = pca_basis(means)
    xy = (means - centre) @ basis.T

    if ax is None:
        fig = matplotlib.figure.Figure(figsize=figsize)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    colours = matplotlib.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    names = [wv.index_to_key[w] for w in indices]
    for i, (w, k) in enumerate(query):
        colour = colours[(i // num_mixtures) % len(colours)]
        width, height, angle = _ellipse_geometry(projected_covariance(variances[i], basis), n_std)
        alpha = min_alpha + (max_alpha - min_alpha) * float(weights[i])
        ax.add_patch(matplotlib.patches.Ellipse(
            tuple(xy[i]), width, height, angle=angle, facecolor=colour, edgecolor=colour, alpha=alpha,
            label=f"{_literal(wv.index_to_key[w])}:{k} (p={weights[i]:.2f})"))
        ax.annotate(f"{_literal(wv.index_to_key[w])}:{k}", tuple(xy[i]), ha="center", va="center",
                    fontweight="bold", fontsize=10)
    for j, (w, k, position) in enumerate(found):
        colour = colours[position % len(colours)]
        x, y = xy[len(query) + j]
        ax.plot([x], [y], marker="o", markersize=3, linestyle="none", color=colour)
        ax.annotate(f"{_literal(wv.index_to_key[w])}:{k}", (x, y), xytext=(3, 3), textcoords="offset points",
                    fontsize=7, color=colour)
    ax.set_aspect("equal", adjustable="datalim")
    ax.autoscale_view()
    ax.set_xlabel("principal axis 1")
    ax.set_ylabel("principal axis 2")
    ax.set_title(title if title is not None else
                 f"Gaussian mixture components of {', '.join(map(_literal, names))} ({wv.covariance} "
                 f"covariance, ellipses at {n_std:g} standard deviation{'' if n_std == 1 else 's'})",
                 fontsize=9)
    return fig
