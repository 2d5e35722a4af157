"""Tests for w2gm.similarity: metric names, component scores, their combination, weights."""

import itertools

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from w2gm import similarity
from w2gm.exceptions import ParameterError, W2GMError
from w2gm.similarity import (
    SIMILARITY_METRICS,
    check_metric,
    combine_components,
    component_scores,
    log_mixture_weights,
    mixture_weights,
    unit_vectors,
)


def test_public_names():
    assert sorted(similarity.__all__) == sorted([
        "MIXTURE_MODES", "SIMILARITY_METRICS", "best_cosines", "check_metric",
        "check_mixture", "combination_targets", "combine_components", "component_scores", "cosmul_scores",
        "log_mixture_weights", "mixture_weights", "unit_targets", "unit_vectors",
    ])
    assert similarity.MIXTURE_MODES == ("point", "best_component")
    assert SIMILARITY_METRICS == ("max_cos", "avg_cos", "expected_likelihood", "min_euclidean", "neg_kl")


# ------------------------------------------------------------ check_metric

@pytest.mark.parametrize("metric", SIMILARITY_METRICS)
def test_check_metric_returns_valid_names(metric):
    assert check_metric(metric) is metric


@pytest.mark.parametrize("bad", ["cosine", "MAX_COS", "", None, 3, ("max_cos",)])
def test_check_metric_rejects_unknown_with_parameter_error(bad):
    with pytest.raises(ParameterError, match=r"unknown metric .*'max_cos'.*'avg_cos'.*"
                                             r"'expected_likelihood'.*'min_euclidean'.*'neg_kl'") as info:
        check_metric(bad)
    assert isinstance(info.value, ValueError) and isinstance(info.value, W2GMError)


def test_unknown_metric_rejected_by_component_functions():
    m = np.zeros((1, 1, 2))
    lv = np.zeros((1, 1, 1))
    with pytest.raises(ParameterError, match="'dot'"):
        component_scores("dot", m, lv, m, lv)
    with pytest.raises(ParameterError, match="'dot'"):
        combine_components("dot", np.zeros((1, 1, 1)), np.zeros((1, 1)), np.zeros((1, 1)))


# ------------------------------------------------------------ weights, units

def test_log_mixture_weights_stable_and_float64():
    logits = np.array([[1000.0, 1001.0], [-1000.0, -1000.0], [0.0, np.log(4.0)]])
    lw = log_mixture_weights(logits)
    assert lw.shape == (3, 2) and lw.dtype == np.float64
    assert log_mixture_weights(logits.astype(np.float32)).dtype == np.float64
    e = np.e
    np.testing.assert_allclose(np.exp(lw), [[1 / (1 + e), e / (1 + e)], [0.5, 0.5], [0.2, 0.8]], rtol=1e-12)
    np.testing.assert_allclose(logsumexp(lw, axis=-1), 0.0, atol=1e-12)
    # 1-d input: one mixture
    np.testing.assert_allclose(log_mixture_weights([0.0, 0.0, 0.0]), np.log([1 / 3] * 3), rtol=1e-12)


def test_mixture_weights_float32_sum_to_one():
    logits = np.array([[1000.0, 1001.0], [0.0, np.log(4.0)]])
    w = mixture_weights(logits)
    assert w.shape == (2, 2) and w.dtype == np.float32
    np.testing.assert_allclose(w, np.exp(log_mixture_weights(logits)), rtol=1e-6)
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unit_vectors_keep_dtype_and_zero(dtype):
    x = np.array([[3.0, 4.0], [0.0, 0.0], [-2.0, 0.0]], dtype=dtype)
    u = unit_vectors(x)
    assert u.dtype == dtype and u.shape == x.shape
    np.testing.assert_allclose(u, [[0.6, 0.8], [0.0, 0.0], [-1.0, 0.0]], rtol=1e-6)
    assert unit_vectors(x[None]).shape == (1, 3, 2)


# --------------------------------------------------------- component scores

def random_mixtures(rng, n, k, d, diagonal):
    means = rng.standard_normal((n, k, d))
    log_variances = rng.normal(-0.5, 0.5, (n, k, d if diagonal else 1))
    return means, log_variances


def brute_component(metric, ma, la, mb, lb):
    """One component pair, float64, explicit formulas (scipy for the Gaussian density)."""
    d = ma.shape[0]
    sa = np.broadcast_to(np.exp(la), (d,))
    sb = np.broadcast_to(np.exp(lb), (d,))
    if metric in ("max_cos", "avg_cos"):
        return float(ma @ mb / (np.linalg.norm(ma) * np.linalg.norm(mb)))
    if metric == "min_euclidean":
        return -float(np.linalg.norm(ma - mb))
    if metric == "expected_likelihood":
        return float(multivariate_normal.logpdf(ma - mb, mean=np.zeros(d), cov=np.diag(sa + sb)))
    return -0.5 * float(np.sum(sa / sb + (mb - ma) ** 2 / sb - 1 + np.log(sb) - np.log(sa)))


@pytest.mark.parametrize("metric", SIMILARITY_METRICS)
@pytest.mark.parametrize("diagonal", [False, True])
def test_component_scores_match_brute_force(metric, diagonal):
    rng = np.random.default_rng(3)
    ma, la = random_mixtures(rng, 4, 2, 5, diagonal)
    mb, lb = random_mixtures(rng, 4, 3, 5, diagonal)  # Ka != Kb
    got = component_scores(metric, ma, la, mb, lb)
    assert got.shape == (4, 2, 3) and got.dtype == np.float64
    for t, i, j in itertools.product(range(4), range(2), range(3)):
        expected = brute_component(metric, ma[t, i], la[t, i], mb[t, j], lb[t, j])
        assert got[t, i, j] == pytest.approx(expected, rel=1e-10, abs=1e-12), (t, i, j)


@pytest.mark.parametrize("metric", SIMILARITY_METRICS)
def test_component_scores_broadcast_leading_one_and_float32_input(metric):
    rng = np.random.default_rng(4)
    ma, la = random_mixtures(rng, 1, 2, 3, False)
    mb, lb = random_mixtures(rng, 6, 2, 3, True)  # spherical against diagonal
    got = component_scores(metric, ma.astype(np.float32), la.astype(np.float32), mb, lb)
    assert got.shape == (6, 2, 2) and got.dtype == np.float64
    ref = component_scores(metric, np.repeat(ma, 6, axis=0).astype(np.float32),
                           np.repeat(la, 6, axis=0).astype(np.float32), mb, lb)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


def test_component_scores_hand_made():
    # N((1, 0), 0.5 I) against N((0, 2), 1.5 I) in D = 2
    ma = np.array([[[1.0, 0.0]]])
    mb = np.array([[[0.0, 2.0]]])
    la = np.log([[[0.5]]])
    lb = np.log([[[1.5]]])
    assert component_scores("max_cos", ma, la, mb, lb)[0, 0, 0] == pytest.approx(0.0, abs=1e-15)
    assert component_scores("min_euclidean", ma, la, mb, lb)[0, 0, 0] == pytest.approx(-np.sqrt(5), rel=1e-15)
    # eq. 3 with the -D/2 log 2 pi constant and no epsilon: Sigma = 2 I, |diff|^2 = 5
    xi = -np.log(2 * np.pi) - 0.5 * np.log(4.0) - 0.5 * 5.0 / 2.0
    assert component_scores("expected_likelihood", ma, la, mb, lb)[0, 0, 0] == pytest.approx(xi, rel=1e-14)
    # KL(a || b) = 1 + log 3, KL(b || a) = 7 - log 3
    assert component_scores("neg_kl", ma, la, mb, lb)[0, 0, 0] == pytest.approx(-(1 + np.log(3)), rel=1e-14)
    assert component_scores("neg_kl", mb, lb, ma, la)[0, 0, 0] == pytest.approx(-(7 - np.log(3)), rel=1e-14)
    # a zero mean has cosine 0
    assert component_scores("avg_cos", np.zeros((1, 1, 2)), la, mb, lb)[0, 0, 0] == 0.0


def test_expected_likelihood_without_epsilon_for_tiny_variances():
    # log(sigma_a^2 + sigma_b^2) = log 2 - 700 exactly: no training epsilon (1e-4) is added
    m = np.zeros((1, 1, 1))
    lv = np.full((1, 1, 1), -700.0)
    xi = component_scores("expected_likelihood", m, lv, m, lv)[0, 0, 0]
    assert xi == pytest.approx(-0.5 * (np.log(2 * np.pi) + np.log(2.0) - 700.0), rel=1e-14)


# ------------------------------------------------------- combine_components

@pytest.mark.parametrize("metric", SIMILARITY_METRICS)
def test_combine_components_matches_definitions(metric):
    rng = np.random.default_rng(8)
    scores = rng.standard_normal((5, 2, 3))
    lwa = log_mixture_weights(rng.standard_normal((5, 2)))
    lwb = log_mixture_weights(rng.standard_normal((1, 3)))  # broadcasts
    got = combine_components(metric, scores, lwa, lwb)
    assert got.shape == (5,) and got.dtype == np.float64
    for t in range(5):
        p, q = np.exp(lwa[t]), np.exp(lwb[0])
        if metric == "avg_cos":
            expected = sum(p[i] * q[j] * scores[t, i, j] for i in range(2) for j in range(3))
        elif metric == "expected_likelihood":
            expected = np.log(sum(p[i] * q[j] * np.exp(scores[t, i, j]) for i in range(2) for j in range(3)))
        else:
            expected = scores[t].max()
        assert got[t] == pytest.approx(expected, rel=1e-12), t


def test_combine_expected_likelihood_stable_for_large_energies():
    scores = np.array([[[-2000.0, -2001.0]]])
    lw = log_mixture_weights(np.zeros((1, 1)))
    got = combine_components("expected_likelihood", scores, lw, log_mixture_weights(np.zeros((1, 2))))
    assert got[0] == pytest.approx(-2000.0 + np.log(0.5 * (1 + np.exp(-1.0))), rel=1e-14)
