"""Tests of w2gm.plotting: the Figure 1-style plot of word mixtures."""

import io
import sys

import numpy as np
import pytest

from w2gm import KeyedGaussianMixtures
from w2gm.exceptions import ParameterError, WordNotInVocabularyError
from w2gm.plotting import INSTALL_HINT, pca_basis, plot_mixtures, projected_covariance

pytest.importorskip("matplotlib")
from matplotlib.patches import Ellipse  # noqa: E402


def synthetic(diagonal=False, k=3, d=5, v=12, seed=0):
    """Word 0 ("query") has weights increasing and variances increasing with the component."""
    rng = np.random.default_rng(seed)
    means = rng.normal(size=(v, k, d)).astype(np.float32)
    log_var = rng.normal(scale=0.3, size=(v, k, d if diagonal else 1)).astype(np.float32)
    log_var[0] = np.log(np.array([0.05, 0.2, 0.8][:k]))[:, None]  # same on every dimension
    logits = rng.normal(size=(v, k)).astype(np.float32)
    logits[0] = np.log(np.array([0.1, 0.3, 0.6][:k]))
    words = ["query"] + [f"n{i}" for i in range(1, v)]
    return KeyedGaussianMixtures(words, means, log_var, logits)


def ellipses(fig):
    return [p for p in fig.axes[0].patches if isinstance(p, Ellipse)]


def texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


@pytest.mark.parametrize("diagonal", [False, True])
def test_one_ellipse_per_component_with_labels(diagonal):
    wv = synthetic(diagonal=diagonal)
    fig = plot_mixtures(wv, ["query", "n3"], neighbours=2)
    assert len(ellipses(fig)) == 2 * wv.num_mixtures
    labels = texts(fig)
    for word in ("query", "n3"):
        for k in range(wv.num_mixtures):
            assert f"{word}:{k}" in labels
    # neighbour labels: the nearest components by cosine, found by most_similar
    for k in range(wv.num_mixtures):
        for word, comp, _ in wv.most_similar("query", component=k, topn=2):
            if word != "n3":
                assert f"{word}:{comp}" in labels
    assert len(labels) > 2 * wv.num_mixtures


def test_no_neighbours_draws_the_query_only():
    fig = plot_mixtures(synthetic(), "query", neighbours=0)
    assert len(ellipses(fig)) == 3
    assert sorted(texts(fig)) == ["query:0", "query:1", "query:2"]
    assert len(fig.axes[0].lines) == 0


@pytest.mark.parametrize("diagonal", [False, True])
def test_alpha_increases_with_weight_and_width_with_variance(diagonal):
    wv = synthetic(diagonal=diagonal)
    fig = plot_mixtures(wv, ["query"], neighbours=3)
    drawn = ellipses(fig)
    weights = wv.mixture_weights[0]
    assert np.all(np.diff(weights) > 0)
    alphas = [e.get_alpha() for e in drawn]
    assert np.all(np.diff(alphas) > 0)
    np.testing.assert_allclose(alphas, 0.1 + 0.6 * weights, rtol=1e-6)
    widths = [e.width for e in drawn]
    assert np.all(np.diff(widths) > 0)
    # variance v on every dimension projects to a circle of radius sqrt(v) (n_std=1)
    np.testing.assert_allclose(widths, 2 * np.sqrt([0.05, 0.2, 0.8]), rtol=1e-5)
    np.testing.assert_allclose([e.height for e in drawn], widths, rtol=1e-5)


def test_ellipse_centres_are_the_pca_projection():
    wv = synthetic(k=2, v=4)
    fig = plot_mixtures(wv, ["query", "n1", "n2", "n3"], neighbours=0, n_std=2.0)
    points = wv.means.reshape(-1, wv.vector_size).astype(np.float64)
    centred = points - points.mean(axis=0)
    # the projected points keep the two largest singular values' share of the spread
    _, s, _ = np.linalg.svd(centred)
    xy = np.array([e.center for e in ellipses(fig)])
    np.testing.assert_allclose(np.sort(np.linalg.svd(xy - xy.mean(axis=0), compute_uv=False)), np.sort(s[:2]),
                               rtol=1e-6)
    np.testing.assert_allclose(xy.mean(axis=0), 0, atol=1e-9)
    assert [e.width for e in ellipses(fig)] == pytest.approx(
        list(4 * np.sqrt(np.exp(wv.log_variances[:, :, 0].astype(np.float64)).ravel())))


def test_diagonal_ellipse_from_the_projected_covariance():
    basis = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    np.testing.assert_allclose(projected_covariance([4.0, 1.0, 9.0], basis), np.diag([4.0, 1.0]))
    np.testing.assert_allclose(projected_covariance([2.0], basis), 2 * np.eye(2))
    rotated = np.array([[1.0, 1.0, 0.0], [1.0, -1.0, 0.0]]) / np.sqrt(2)
    np.testing.assert_allclose(projected_covariance([4.0, 1.0, 9.0], rotated),
                               [[2.5, 1.5], [1.5, 2.5]])


def test_pca_basis_is_orthonormal_and_signed():
    rng = np.random.default_rng(3)
    points = rng.normal(size=(30, 6)) * np.array([5, 3, 1, 1, 1, 1])
    centre, basis = pca_basis(points)
    np.testing.assert_allclose(centre, points.mean(axis=0))
    np.testing.assert_allclose(basis @ basis.T, np.eye(2), atol=1e-12)
    assert all(row[np.argmax(np.abs(row))] > 0 for row in basis)
    _, basis1 = pca_basis(np.array([[1.0], [3.0]]))  # D = 1: second axis zero
    np.testing.assert_array_equal(basis1, [[1.0], [0.0]])


@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG"), ("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_save(tmp_path, fmt, magic):
    fig = plot_mixtures(synthetic(), ["query"], neighbours=2)
    path = tmp_path / f"figure.{fmt}"
    fig.savefig(path)
    assert path.read_bytes().startswith(magic)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt)
    assert buffer.getvalue().startswith(magic)


def test_draws_on_a_given_axes():
    from matplotlib.figure import Figure

    fig = Figure()
    ax1, ax2 = fig.subplots(1, 2)
    assert plot_mixtures(synthetic(), "query", neighbours=1, ax=ax2) is fig
    assert len(ax2.patches) == 3 and len(ax1.patches) == 0


def test_bad_input():
    wv = synthetic()
    with pytest.raises(WordNotInVocabularyError, match="'nope'"):
        plot_mixtures(wv, ["query", "nope"])
    with pytest.raises(ParameterError, match="empty"):
        plot_mixtures(wv, [])
    for kwargs, name in [({"neighbours": -1}, "neighbours"), ({"neighbours": 1.5}, "neighbours"),
                         ({"n_std": 0}, "n_std"), ({"min_alpha": 0.8}, "min_alpha")]:
        with pytest.raises(ParameterError, match=name):
            plot_mixtures(wv, "query", **kwargs)


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError) as info:
        plot_mixtures(synthetic(), ["query"])
    assert INSTALL_HINT in str(info.value)
    assert 'pip install "w2gm[plot]"' in str(info.value)


def test_ellipse_angle_follows_the_major_axis():
    """A diagonal Gaussian wide along (1, 1) in the plane is drawn at +45 degrees, along (1, -1) at -45."""
    from w2gm.plotting import _ellipse_geometry
    width, height, angle = _ellipse_geometry(np.array([[2.5, 1.5], [1.5, 2.5]]), n_std=1.0)
    assert (width, height) == (pytest.approx(4.0), pytest.approx(2.0))  # 2 * sqrt(4), 2 * sqrt(1)
    assert angle % 180 == pytest.approx(45.0)
    _, _, angle = _ellipse_geometry(np.array([[2.5, -1.5], [-1.5, 2.5]]), n_std=1.0)
    assert angle % 180 == pytest.approx(135.0)
    _, _, angle = _ellipse_geometry(np.diag([1.0, 9.0]), n_std=2.0)
    assert angle % 180 == pytest.approx(90.0)


def test_words_with_dollar_signs_are_drawn_literally(tmp_path):
    """Unescaped, ``$\\frac{a}$`` stops matplotlib's mathtext parser and ``$x$`` is drawn as maths."""
    wv = synthetic()
    words = ["$$", "$\\frac{a}$", "$x$"] + wv.index_to_key[3:]
    wv = KeyedGaussianMixtures(words, wv.means, wv.log_variances, wv.logits)
    fig = plot_mixtures(wv, ["$$", "$\\frac{a}$"], neighbours=len(words))
    fig.savefig(tmp_path / "odd.png")  # renders every label
    assert "\\$\\$:0" in texts(fig) and "\\$x\\$:0" in texts(fig)


def test_a_huge_neighbour_count_means_all_of_them():
    wv = synthetic()
    assert texts(plot_mixtures(wv, ["query"], neighbours=10**35)) == texts(plot_mixtures(wv, ["query"],
                                                                                          neighbours=10**6))
