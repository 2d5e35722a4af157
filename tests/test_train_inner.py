"""Tests for w2gm._train_inner: energies, loss, gradients and the training job.

The NumPy float64 reference (tests/reference.py) is written from the paper's
formulas (eq. 2-3, Section 3.3, Appendix A.2), independently of the kernel.
"""

import numpy as np
import pytest
import reference as ref
from scipy.special import logsumexp

from w2gm import _train_inner as ti
from w2gm.exceptions import ParameterError

EPS = 1e-4
D = 4
COVS = ["spherical", "diagonal"]
KS = [1, 2, 3]


def random_word(rng, K, D, cov, scale=0.5):
    """(means (K, D), log_vars (K, Dv), logits (K,)) in float64."""
    Dv = 1 if cov == "spherical" else D
    return (rng.normal(0.0, scale, (K, D)),
            rng.uniform(-1.0, 0.5, (K, Dv)),
            rng.normal(0.0, 1.0, K))


def random_triple(seed, K, cov, D=D):
    rng = np.random.default_rng(seed)
    return tuple(random_word(rng, K, D, cov) for _ in range(3))


def kernel_log_energy(f, g, eps=EPS):
    return ti.log_energy(f[0], f[1], f[2], g[0], g[1], g[2], eps)


# ---------------------------------------------------------------------------
# 1. Energies and loss vs the float64 reference
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("K", KS)
def test_partial_energies_match_reference(cov, K):
    for seed in range(5):
        f, g, _ = random_triple(seed, K, cov)
        got = ti.partial_energies(f[0], f[1], g[0], g[1], EPS)
        assert got.shape == (K, K) and got.dtype == np.float64
        want = ref.partial_energies(f[0], f[1], g[0], g[1], EPS)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_partial_energies_known_value():
    # K=1, D=2, spherical: S = e^0 + e^0 + eps, |diff|^2 = 25
    mu_f = np.array([[0.0, 0.0]])
    mu_g = np.array([[3.0, 4.0]])
    lv = np.zeros((1, 1))
    S = 2.0 + EPS
    want = -0.5 * 2 * np.log(S) - 0.5 * 25.0 / S
    assert ti.partial_energies(mu_f, lv, mu_g, lv, EPS)[0, 0] == pytest.approx(want, rel=1e-14)
    # the diagonal form with equal variances gives the same value
    lvd = np.zeros((1, 2))
    assert ti.partial_energies(mu_f, lvd, mu_g, lvd, EPS)[0, 0] == pytest.approx(want, rel=1e-14)


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("K", KS)
def test_log_energy_matches_reference(cov, K):
    for seed in range(5):
        f, g, _ = random_triple(seed, K, cov)
        got = kernel_log_energy(f, g)
        assert isinstance(got, float)
        assert got == pytest.approx(ref.log_energy(f, g, EPS), rel=1e-10, abs=1e-12)


def test_log_energy_is_symmetric_and_uses_mixture_weights():
    f, g, _ = random_triple(0, 3, "diagonal")
    assert kernel_log_energy(f, g) == pytest.approx(kernel_log_energy(g, f), rel=1e-12)
    # changing the logits changes the energy; adding a constant to them does not
    f2 = (f[0], f[1], f[2] + np.array([2.0, 0.0, -1.0]))
    f3 = (f[0], f[1], f[2] + 7.0)
    assert abs(kernel_log_energy(f2, g) - kernel_log_energy(f, g)) > 1e-3
    assert kernel_log_energy(f3, g) == pytest.approx(kernel_log_energy(f, g), rel=1e-12)


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("margin", [1.0, 50.0])
def test_loss_matches_reference(cov, K, margin):
    for seed in range(5):
        w, c, n = random_triple(seed, K, cov)
        got, _ = ti.loss_and_grads(w, c, n, margin, EPS)
        want = ref.loss(w, c, n, margin, EPS)
        assert got == pytest.approx(want, rel=1e-10, abs=1e-12)


# ---------------------------------------------------------------------------
# 2. Gradients vs central finite differences
# ---------------------------------------------------------------------------

H = 1e-6
BLOCKS = [(word, part) for word in ("w", "c", "n") for part in range(3)]


def numerical_gradient(fn, words, h=H):
    """Central differences of fn(w, c, n) for all nine parameter blocks."""
    words = [[np.array(a, dtype=np.float64) for a in word] for word in words]
    out = {}
    for wi, key in enumerate(("w", "c", "n")):
        grads = []
        for part in range(3):
            x = words[wi][part]
            g = np.zeros_like(x)
            for idx in np.ndindex(x.shape):
                old = x[idx]
                x[idx] = old + h
                up = fn(*[tuple(wd) for wd in words])
                x[idx] = old - h
                down = fn(*[tuple(wd) for wd in words])
                x[idx] = old
                g[idx] = (up - down) / (2 * h)
            grads.append(g)
        out[key] = tuple(grads)
    return out


def assert_grads_close(got, want, rtol=1e-5, atol=1e-6):
    for key, part in BLOCKS:
        np.testing.assert_allclose(got[key][part], want[key][part], rtol=rtol, atol=atol,
                                   err_msg=f"gradient block {key}[{part}]")


MARGIN_ACTIVE = 20.0


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("K", KS)
def test_gradients_vs_finite_differences(cov, K):
    w, c, n = random_triple(100 + K, K, cov)
    loss, grads = ti.loss_and_grads(w, c, n, MARGIN_ACTIVE, EPS)
    assert loss > 1.0                      # hinge active, far from the kink
    for key, part in BLOCKS:
        shape = (w[0].shape, w[1].shape, w[2].shape)[part]
        assert grads[key][part].shape == shape and grads[key][part].dtype == np.float64
    kernel_fd = numerical_gradient(
        lambda *a: ti.loss_and_grads(*a, margin=MARGIN_ACTIVE, eps=EPS)[0], (w, c, n))
    ref_fd = numerical_gradient(lambda *a: ref.loss(*a, margin=MARGIN_ACTIVE, eps=EPS), (w, c, n))
    assert_grads_close(grads, kernel_fd)
    assert_grads_close(grads, ref_fd)
    # the gradients are not trivially zero (except logits when K == 1)
    for key, part in BLOCKS:
        if part == 2 and K == 1:
            np.testing.assert_array_equal(grads[key][part], 0.0)
        else:
            assert np.abs(grads[key][part]).max() > 1e-4


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("K", KS)
def test_reference_log_energy_grads_vs_finite_differences(cov, K):
    """The reference's analytic d logE (used by the trainer reference) is right."""
    f, g, _ = random_triple(200 + K, K, cov)
    (gf, gg) = ref.log_energy_grads(f, g, EPS)
    fd = numerical_gradient(lambda a, b, _: ref.log_energy(a, b, EPS), (f, g, g))
    for part in range(3):
        np.testing.assert_allclose(gf[part], fd["w"][part], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(gg[part], fd["c"][part], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("K", KS)
def test_inactive_hinge_gives_zero_loss_and_grads(cov, K):
    w, c, n = random_triple(300 + K, K, cov)
    # a very negative margin makes the hinge inactive
    loss, grads = ti.loss_and_grads(w, c, n, -1e3, EPS)
    assert loss == 0.0
    for key, part in BLOCKS:
        np.testing.assert_array_equal(grads[key][part], 0.0)
    # n == c: loss is exactly the margin; margin 0 -> inactive
    loss, grads = ti.loss_and_grads(w, c, c, 0.0, EPS)
    assert loss == 0.0
    assert all(np.all(grads[k][p] == 0) for k, p in BLOCKS)
    loss, grads = ti.loss_and_grads(w, c, c, 1.0, EPS)
    assert loss == pytest.approx(1.0, abs=1e-12)


def top_two_gap(f, g):
    """Gap between the largest and second largest ``log p_i + log q_j + xi_ij`` (inf for K = 1)."""
    t = np.sort(ref.weighted_terms(f, g, EPS).ravel())
    return np.inf if t.size == 1 else t[-1] - t[-2]


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("K", KS)
def test_max_partial_energy_matches_reference(cov, K):
    """max_partial_energy: log E = max_ij (log p_i + log q_j + xi_ij), below eq. 2's log-sum-exp."""
    for seed in range(5):
        f, g, n = random_triple(seed, K, cov)
        got = ti.log_energy(*f, *g, EPS, max_partial_energy=True)
        assert got == pytest.approx(ref.log_energy(f, g, EPS, max_pe=True), rel=1e-10, abs=1e-12)
        assert got == pytest.approx(ref.weighted_terms(f, g, EPS).max(), rel=1e-12, abs=1e-12)
        summed = kernel_log_energy(f, g)
        if K == 1:  # one pair: the maximum is the sum
            assert got == pytest.approx(summed, rel=1e-12)
        else:
            assert got < summed
        for margin in (1.0, 50.0):
            loss, _ = ti.loss_and_grads(f, g, n, margin, EPS, max_partial_energy=True)
            assert loss == pytest.approx(ref.loss(f, g, n, margin, EPS, max_pe=True), rel=1e-10,
                                         abs=1e-12)


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("K", KS)
def test_max_partial_energy_gradients_vs_finite_differences(cov, K):
    """The gradient flows through the arg-max pair only; inputs chosen away from ties."""
    seed = next(s for s in range(100 + K, 1000)
                if min(top_two_gap(*random_triple(s, K, cov)[:2]),
                       top_two_gap(random_triple(s, K, cov)[0], random_triple(s, K, cov)[2])) > 0.05)
    w, c, n = random_triple(seed, K, cov)
    loss, grads = ti.loss_and_grads(w, c, n, MARGIN_ACTIVE, EPS, max_partial_energy=True)
    assert loss > 1.0
    kernel_fd = numerical_gradient(
        lambda *a: ti.loss_and_grads(*a, margin=MARGIN_ACTIVE, eps=EPS, max_partial_energy=True)[0],
        (w, c, n))
    ref_fd = numerical_gradient(lambda *a: ref.loss(*a, margin=MARGIN_ACTIVE, eps=EPS, max_pe=True),
                                (w, c, n))
    assert_grads_close(grads, kernel_fd)
    assert_grads_close(grads, ref_fd)
    # the context word's mean gradient is zero outside the positive pair's arg-max component
    j_top = np.unravel_index(np.argmax(ref.weighted_terms(w, c, EPS)), (K, K))[1]
    for j in range(K):
        if j == j_top:
            assert np.abs(grads["c"][0][j]).max() > 1e-4
        else:
            np.testing.assert_array_equal(grads["c"][0][j], 0.0)
            np.testing.assert_array_equal(grads["c"][1][j], 0.0)


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("K", KS)
def test_reference_max_partial_energy_grads_vs_finite_differences(cov, K):
    seed = next(s for s in range(200 + K, 1000) if top_two_gap(*random_triple(s, K, cov)[:2]) > 0.05)
    f, g, _ = random_triple(seed, K, cov)
    (gf, gg) = ref.log_energy_grads(f, g, EPS, max_pe=True)
    fd = numerical_gradient(lambda a, b, _: ref.log_energy(a, b, EPS, max_pe=True), (f, g, g))
    for part in range(3):
        np.testing.assert_allclose(gf[part], fd["w"][part], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(gg[part], fd["c"][part], rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------
# 3. Numerical stability with extreme inputs
# ---------------------------------------------------------------------------

def assert_all_finite(loss, grads):
    assert np.isfinite(loss)
    for key, part in BLOCKS:
        assert np.all(np.isfinite(grads[key][part])), f"non-finite gradient {key}[{part}]"


@pytest.mark.parametrize("cov", COVS)
def test_far_apart_means_single_component(cov):
    Dv = 1 if cov == "spherical" else 3
    mu_f = np.zeros((1, 3))
    mu_g = np.array([[1e3, 0.0, 0.0]])
    lv = np.zeros((1, Dv))
    s = np.zeros(1)
    S = 2.0 + EPS
    want = -1.5 * np.log(S) - 0.5 * 1e6 / S
    got = ti.log_energy(mu_f, lv, s, mu_g, lv, s, EPS)
    assert got == pytest.approx(want, rel=1e-12)
    # a naive exp underflows: the stable form is needed
    with np.errstate(divide="ignore", under="ignore"):
        assert ref.log_energy((mu_f, lv, s), (mu_g, lv, s), EPS) == -np.inf
    loss, grads = ti.loss_and_grads((mu_f, lv, s), (mu_g, lv, s), (mu_g - 1.0, lv, s), 1.0, EPS)
    assert_all_finite(loss, grads)
    assert loss > 0
    # with one component gamma = 1, so d logE(w,c)/d mu_w = -(mu_w - mu_c)/S exactly
    _, g = ref.log_energy_grads((mu_f, lv, s), (mu_g, lv, s), EPS)
    assert np.abs(g[0]).max() > 100


@pytest.mark.parametrize("cov", COVS)
def test_far_apart_means_log_energy_is_max_term(cov):
    Dv = 1 if cov == "spherical" else 3
    rng = np.random.default_rng(4)
    e1 = np.array([1.0, 0.0, 0.0])
    f = (np.array([0.0 * e1, 5e3 * e1]), rng.uniform(-1, 1, (2, Dv)), rng.normal(0, 1, 2))
    g = (np.array([1e3 * e1, 1e4 * e1]), rng.uniform(-1, 1, (2, Dv)), rng.normal(0, 1, 2))
    terms = ref.weighted_terms(f, g, EPS)
    assert terms.max() < -1e5                      # every exp(term) underflows
    got = kernel_log_energy(f, g)
    assert np.isfinite(got)
    assert got == pytest.approx(terms.max(), rel=1e-12)
    assert got == pytest.approx(logsumexp(terms), rel=1e-12)
    np.testing.assert_allclose(ti.partial_energies(f[0], f[1], g[0], g[1], EPS),
                               ref.partial_energies(f[0], f[1], g[0], g[1], EPS), rtol=1e-10)
    w2 = (f[0] + 1.0, f[1], f[2])
    assert_all_finite(*ti.loss_and_grads(f, g, w2, 1.0, EPS))


@pytest.mark.parametrize("cov", COVS)
def test_tiny_variances_are_dominated_by_eps(cov):
    Dv = 1 if cov == "spherical" else 3
    mu_f = np.array([[0.01, -0.02, 0.005]])
    mu_g = np.array([[0.0, 0.01, 0.0]])
    lv = np.full((1, Dv), -30.0)
    s = np.zeros(1)
    S = 2.0 * np.exp(-30.0) + EPS
    sq = np.sum((mu_f - mu_g) ** 2)
    want = -1.5 * np.log(S) - 0.5 * sq / S
    got = ti.log_energy(mu_f, lv, s, mu_g, lv, s, EPS)
    assert got == pytest.approx(want, rel=1e-12)
    # eps dominates: the value differs clearly from eps = 0 ...
    assert abs(ti.log_energy(mu_f, lv, s, mu_g, lv, s, 0.0) - got) > 1.0
    # ... and K = 3 mixtures agree with the reference
    rng = np.random.default_rng(5)
    f = (rng.normal(0, 0.01, (3, 3)), np.full((3, Dv), -30.0), rng.normal(0, 1, 3))
    g = (rng.normal(0, 0.01, (3, 3)), np.full((3, Dv), -30.0), rng.normal(0, 1, 3))
    n = (rng.normal(0, 0.01, (3, 3)), np.full((3, Dv), -30.0), rng.normal(0, 1, 3))
    assert kernel_log_energy(f, g) == pytest.approx(ref.log_energy_stable(f, g, EPS), rel=1e-10)
    loss, grads = ti.loss_and_grads(f, g, n, 100.0, EPS)
    assert_all_finite(loss, grads)
    assert loss == pytest.approx(ref.loss(f, g, n, 100.0, EPS), rel=1e-10)


@pytest.mark.parametrize("cov", COVS)
def test_huge_variances(cov):
    Dv = 1 if cov == "spherical" else D
    rng = np.random.default_rng(6)
    words = [(rng.normal(0, 1, (2, D)), np.full((2, Dv), 30.0) + rng.uniform(0, 1, (2, Dv)),
              rng.normal(0, 1, 2)) for _ in range(3)]
    got = kernel_log_energy(words[0], words[1])
    assert np.isfinite(got)
    assert got == pytest.approx(ref.log_energy(words[0], words[1], EPS), rel=1e-10)
    loss, grads = ti.loss_and_grads(*words, 100.0, EPS)
    assert_all_finite(loss, grads)


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("big", [80.0, 800.0])
def test_huge_logits(cov, big):
    Dv = 1 if cov == "spherical" else D
    rng = np.random.default_rng(7)
    w = (rng.normal(0, 0.5, (2, D)), rng.uniform(-1, 0, (2, Dv)), np.array([big, -big]))
    c = (rng.normal(0, 0.5, (2, D)), rng.uniform(-1, 0, (2, Dv)), np.array([-big, big]))
    n = (rng.normal(0, 0.5, (2, D)), rng.uniform(-1, 0, (2, Dv)), np.array([big, big - 1]))
    got = kernel_log_energy(w, c)
    assert np.isfinite(got)
    assert got == pytest.approx(ref.log_energy_stable(w, c, EPS), rel=1e-10)
    if big == 80.0:     # exp(80) still fits a double: the naive formula works
        assert got == pytest.approx(ref.log_energy(w, c, EPS), rel=1e-10)
    loss, grads = ti.loss_and_grads(w, c, n, 1000.0, EPS)
    assert_all_finite(loss, grads)


def test_all_extremes_at_once():
    w = (np.array([[0.0, 0.0, 0.0], [1e3, 0.0, 0.0]]), np.array([[-30.0], [30.0]]),
         np.array([80.0, -80.0]))
    c = (np.array([[0.0, 1e3, 0.0], [0.0, 0.0, 1e3]]), np.array([[-30.0], [-30.0]]),
         np.array([-80.0, 80.0]))
    n = (np.array([[1e3, 1e3, 0.0], [5.0, 0.0, 0.0]]), np.array([[30.0], [-30.0]]),
         np.array([0.0, 80.0]))
    assert np.isfinite(kernel_log_energy(w, c))
    assert kernel_log_energy(w, c) == pytest.approx(ref.log_energy_stable(w, c, EPS), rel=1e-10)
    loss, grads = ti.loss_and_grads(w, c, n, 1.0, EPS)
    assert_all_finite(loss, grads)


# ---------------------------------------------------------------------------
# Trainer helpers
# ---------------------------------------------------------------------------

ALWAYS = 0xFFFFFFFF
NAMES = ref.PARAM_NAMES


def make_tables(V, K, D, cov, shared, seed=0):
    """float32 parameter tables, initialised as in the paper (Appendix A.2) plus noise."""
    rng = np.random.default_rng(seed)
    Dv = 1 if cov == "spherical" else D
    b = np.sqrt(3.0 / D)

    def side():
        return (rng.uniform(-b, b, (V, K, D)).astype(np.float32),
                (np.log(0.05) + rng.normal(0, 0.2, (V, K, Dv))).astype(np.float32),
                rng.normal(0, 0.3, (V, K)).astype(np.float32))

    mu_in, lv_in, s_in = side()
    if shared:
        mu_out, lv_out, s_out = mu_in, lv_in, s_in
    else:
        mu_out, lv_out, s_out = side()
    return dict(zip(NAMES, (mu_in, lv_in, s_in, mu_out, lv_out, s_out)))


def make_accumulators(tables, init=0.5):
    """Adagrad accumulators; shared tables share their accumulators too."""
    accs = {}
    by_id = {}
    for name in NAMES:
        arr = tables[name]
        if id(arr) not in by_id:
            by_id[id(arr)] = np.full(arr.shape, init, dtype=np.float32)
        accs[name] = by_id[id(arr)]
    return accs


def to64(d):
    """Deep float64 copy preserving which entries are the same array object."""
    if d is None:
        return None
    memo = {}
    out = {}
    for name in NAMES:
        arr = d[name]
        if id(arr) not in memo:
            memo[id(arr)] = arr.astype(np.float64)
        out[name] = memo[id(arr)]
    return out


def group(d, side):
    """``(means, log_variances, logits)`` of one side of a table dict (None stays None)."""
    if d is None:
        return None
    return tuple(d[f"{k}_{side}"] for k in ("mu", "lv", "s"))


def kernel_state(tables, accs, keep, alias, window, negative, margin=1.0, eps=EPS,
                 lv_min=-10.0, lv_max=10.0, shrink_windows=True, **options):
    """``options``: the kernel's keyword settings (``variance_lr_factor``, ``norm_cap``, ...)."""
    return ti.KernelState(group(tables, "in"), group(tables, "out"), group(accs, "in"),
                          group(accs, "out"), keep, alias[0], alias[1], window, negative,
                          margin, eps, lv_min, lv_max, shrink_windows=shrink_windows, **options)


#: KernelState keyword -> reference.train_job keyword
REF_OPTIONS = {"variance_lr_factor": "lv_lr_factor", "logit_lr_factor": "s_lr_factor",
               "max_partial_energy": "max_pe", "norm_cap": "norm_cap",
               "shared_negatives": "shared_negatives", "adagrad_state": "adagrad_state"}


def job_arrays(sentences):
    words = np.concatenate([np.asarray(s, dtype=np.int32) for s in sentences])
    ends = np.cumsum([len(s) for s in sentences]).astype(np.int64)
    return words, ends


def train_both(tables, accs, keep, alias, window, negative, sentences, alpha_start, alpha_end,
               seed, margin=1.0, lv_min=-10.0, lv_max=10.0, shrink_windows=True, **options):
    """One job through the kernel (float32 ``tables`` in place) and the reference.

    ``options`` are the kernel's keyword settings (:data:`REF_OPTIONS`), given
    to both.

    The reference (:func:`reference.train_job`) trains float64 copies, which
    share arrays exactly where the float32 tables do.  Returns ``(got, want,
    params64, accs64)``: the two result tuples and the reference's tables.
    """
    params = to64(tables)
    accs64 = to64(accs)
    words, ends = job_arrays(sentences)
    state = kernel_state(tables, accs, keep, alias, window, negative, margin=margin,
                         lv_min=lv_min, lv_max=lv_max, shrink_windows=shrink_windows, **options)
    got = state.train_job(words, ends, alpha_start, alpha_end, seed)
    want = ref.train_job(params, accs64, keep, alias[0], alias[1], window, negative, margin, EPS,
                         lv_min, lv_max, words, ends, alpha_start, alpha_end, seed,
                         shrink_windows=shrink_windows,
                         **{REF_OPTIONS[k]: v for k, v in options.items()})
    return got, want, params, accs64


def assert_matches_reference(got, want, tables, params, accs=None, accs64=None):
    """A float32 job equals the float64 reference's: counts exactly, loss and tables to float32
    tolerance (relative 1e-4, absolute 2e-5), and the Adagrad accumulators where given."""
    assert got[1:] == want[1:]
    assert got[0] == pytest.approx(want[0], rel=1e-4)
    assert_tables_close(tables, params, rtol=1e-4, atol=2e-5)
    if accs is not None:
        assert_tables_close(accs, accs64, rtol=1e-4, atol=2e-5)


def assert_tables_close(tables32, params64, rtol=1e-4, atol=1e-5):
    for name in NAMES:
        np.testing.assert_allclose(tables32[name], params64[name], rtol=rtol, atol=atol,
                                   err_msg=name)


# ---------------------------------------------------------------------------
# 4. The training job equals the reference
# ---------------------------------------------------------------------------

SENTENCE_CASES = {
    "one_pair": [[0, 1]],
    "two_sentences": [[0, 1, 2], [2, 0]],
}


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("adagrad", [False, True], ids=["sgd", "adagrad"])
@pytest.mark.parametrize("shared", [False, True], ids=["separate", "shared"])
@pytest.mark.parametrize("case", list(SENTENCE_CASES))
@pytest.mark.parametrize("margin", [1.0, 200.0])
def test_train_job_matches_reference(cov, adagrad, shared, case, margin):
    """window=1, negative=1, every negative draw = word 3 (which is in no sentence), no subsampling."""
    V, K, Dm = 4, 2, 3
    sentences = SENTENCE_CASES[case]
    tables = make_tables(V, K, Dm, cov, shared, seed=11)
    accs = make_accumulators(tables, 0.5) if adagrad else None
    before = to64(tables)
    keep = np.full(V, ALWAYS, dtype=np.uint32)
    got, want, params, accs64 = train_both(tables, accs, keep, ref.deterministic_alias(V, 3), 1, 1,
                                           sentences, 0.05, 0.01, 99, margin=margin)
    loss_sum, n_samples, n_active, n_kept, n_nonfinite = got
    words = sum(len(s) for s in sentences)
    assert got[1:] == want[1:]
    assert n_kept == words
    assert n_samples == 2 * (words - len(sentences))
    assert n_active >= 1
    assert n_nonfinite == 0
    assert loss_sum == pytest.approx(want[0], rel=1e-5)
    assert_tables_close(tables, params)
    if accs is not None:
        assert_tables_close(accs, accs64)
    if margin == 200.0:
        # every sample is active and every table moved
        assert n_active == n_samples
        for name in NAMES:
            assert np.abs(params[name] - before[name]).max() > 1e-4, name
    # in the separate model, word 3 is only ever a negative: its input row is untouched
    if not shared:
        for name in ("mu_in", "lv_in", "s_in"):
            np.testing.assert_array_equal(tables[name][3], before[name][3].astype(np.float32))


@pytest.mark.parametrize("Dm", [4, 5, 7, 8, 50])
@pytest.mark.parametrize("log_variance", [None, -60.0, 60.0, "wide"],
                         ids=["random", "tiny", "huge", "wide"])
def test_float32_diagonal_blocked_log_det_matches_reference(Dm, log_variance):
    """The float32 kernel sums the log-determinant over products of 4 summed variances.

    D values with and without a remainder, against the float64 reference.  "huge": every
    variance e^60, so a product of 4 summed variances (about 1e104) leaves float32's range but
    not float64's.  "wide": log-variances uniform in [-60, 60] per value, so the log-determinants
    differ between component pairs and enter the loss.  "tiny": variances e^-60, where eps
    (1e-4) dominates the summed variances; it checks that nothing turns non-finite.
    """
    V, K = 4, 2
    sentences = SENTENCE_CASES[next(iter(SENTENCE_CASES))]
    tables = make_tables(V, K, Dm, "diagonal", shared=False, seed=17)
    if log_variance == "wide":
        rng = np.random.default_rng(Dm)
        for name in ("lv_in", "lv_out"):
            tables[name][...] = rng.uniform(-60.0, 60.0, tables[name].shape).astype(np.float32)
    elif log_variance is not None:
        for name in ("lv_in", "lv_out"):
            tables[name][...] = np.float32(log_variance)
    keep = np.full(V, ALWAYS, dtype=np.uint32)
    got, want, params, _ = train_both(tables, None, keep, ref.deterministic_alias(V, 3), 1, 1,
                                      sentences, 0.05, 0.01, 99, margin=200.0,
                                      lv_min=-100.0, lv_max=100.0)
    assert got[1:] == want[1:]
    assert got[4] == 0
    assert got[0] == pytest.approx(want[0], rel=1e-5)
    assert_tables_close(tables, params)


@pytest.mark.parametrize("Dm", [1, 3, 4, 7, 8, 13, 47, 48, 50, 97, 200])
@pytest.mark.parametrize("log_variance", [None, -60.0, 60.0, "wide"],
                         ids=["random", "tiny", "huge", "wide"])
def test_diagonal_pair_vector_path_matches_scalar_path(Dm, log_variance, kernel_builds):
    """The K <= 2 diagonal kernel (one pass per component pair in C, the log-determinants'
    logarithms by fast_log4, the three gradient loops fused) against the scalar kernel it
    replaces, on the same inputs, in every build: the reciprocals and the gradients bit for bit;
    the log-determinant within 1e-6 of the float64 logarithm of the same product plus one float32
    rounding, and both within float32 rounding of the float64 sum of logarithms.  D covers the
    4-value blocks' remainders, 8-value blocks, and one and several rescaled blocks of 48."""
    rng = np.random.default_rng(Dm)
    mu_f, mu_g = rng.normal(size=(2, Dm)).astype(np.float32)
    if log_variance == "wide":
        lv = rng.uniform(-60.0, 60.0, (2, Dm))
    elif log_variance is None:
        lv = rng.uniform(-4.0, 1.0, (2, Dm))
    else:
        lv = np.full((2, Dm), log_variance)
    var_f, var_g = np.exp(lv).astype(np.float32)
    grads = rng.normal(size=(4, Dm)).astype(np.float32)
    eps = 1e-4
    S = (var_f + var_g) + np.float32(eps)        # float32 sums, as the kernel's
    exact = np.log(S.astype(np.float64)).sum()
    for build in kernel_builds:
        scalar, lanes = build._diagonal_pair_paths(mu_f, mu_g, var_f, var_g, eps, -0.7, grads)
        assert scalar["log_det"] == pytest.approx(exact, rel=1e-12, abs=1e-9)
        if lanes is None:
            continue
        np.testing.assert_array_equal(lanes["inv_S"].view(np.uint32), scalar["inv_S"].view(np.uint32))
        np.testing.assert_array_equal(lanes["grads"].view(np.uint32), scalar["grads"].view(np.uint32))
        rounding = np.spacing(np.float32(abs(scalar["log_det"])))
        assert abs(float(lanes["log_det"]) - scalar["log_det"]) <= 1e-6 + rounding
        assert float(lanes["xi"]) == pytest.approx(float(scalar["xi"]), rel=1e-6, abs=1e-6)
        # the Mahalanobis sum in the same order: with libm's log-determinant, the same xi bits
        assert lanes["xi_libm_log_det"].view(np.uint32) == scalar["xi"].view(np.uint32)
        if log_variance is None:
            assert np.all(lanes["grads"] != grads)      # every value took a step


def test_diagonal_pair_vector_path_special_values(kernel_builds):
    """Zero, infinite and NaN summed variances: the log-determinant is -inf, +inf or NaN, as a
    sum of logarithms would be (the product is then 0, inf or NaN, whose fast_log is that)."""
    D = 50
    mu = np.zeros(D, np.float32)
    grads = np.zeros((4, D), np.float32)
    for value, check in ((0.0, lambda x: x == -np.inf), (np.inf, lambda x: x == np.inf),
                         (np.nan, np.isnan)):
        var_f = np.full(D, 0.5, np.float32)
        var_f[17] = value
        var_g = np.zeros(D, np.float32) if value == 0.0 else np.full(D, 0.5, np.float32)
        eps = 0.0 if value == 0.0 else 1e-4
        for build in kernel_builds:
            scalar, lanes = build._diagonal_pair_paths(mu, mu, var_f, var_g, eps, 1.0, grads)
            assert check(scalar["log_det"])
            if lanes is not None:
                assert check(float(lanes["log_det"]))
    with pytest.raises(ParameterError, match="one length"):
        ti._diagonal_pair_paths(mu, mu[:3], mu, mu, 1e-4, 1.0, grads)
    with pytest.raises(ParameterError, match="grads must have shape"):
        ti._diagonal_pair_paths(mu, mu, mu, mu, 1e-4, 1.0, grads[:2])


@pytest.mark.parametrize("Dm", [1, 7, 8, 13, 50, 64])
@pytest.mark.parametrize("zero_pair", [None, 0, 3])
@pytest.mark.parametrize("seed", range(5))
def test_spherical2_fused_backward_matches_per_pair_loop(Dm, zero_pair, seed, kernel_builds):
    """The K = 2 spherical backward pass in one pass over the means (w2gm_grad_spherical2)
    against the per-pair loop it replaces, on the same inputs, in every build: bit for bit.
    D with and without a remainder of the 8-value blocks.  A zero coefficient (a responsibility
    that underflowed) is skipped by the loop, and log_energy_bwd then takes the loop; the fused
    pass with such a pair is compared all the same, as long as its means are finite.  Several
    seeds, so that a wrong order of the log-variance gradient's two additions (4 values per
    case) shows in the bits somewhere."""
    rng = np.random.default_rng(1000 * seed + Dm)
    mu_f, mu_g = rng.normal(size=(2, 2, Dm)).astype(np.float32)
    var_f, var_g = np.exp(rng.uniform(-3, 1, (2, 2))).astype(np.float32)
    S = (np.repeat(var_f, 2) + np.tile(var_g, 2) + np.float32(1e-4)).astype(np.float32)
    sqdist = rng.uniform(0.1, 30.0, 4).astype(np.float32)
    coef = (rng.uniform(-2, 2, 4) * rng.uniform(0.01, 1, 4)).astype(np.float32)
    if zero_pair is not None:
        coef[zero_pair] = 0
    grads = [rng.normal(size=(2, Dm)), rng.normal(size=(2, Dm)), rng.normal(size=2),
             rng.normal(size=2)]
    for build in kernel_builds:
        scalar, fused = build._spherical2_backward_paths(mu_f, mu_g, var_f, var_g, S, sqdist,
                                                         coef, grads)
        if fused is None:
            continue
        for got, want in zip(fused, scalar):
            np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
        assert np.all(scalar[0] != np.float32(grads[0]))      # every mean gradient took a step
    with pytest.raises(ParameterError, match="one shape"):
        ti._spherical2_backward_paths(mu_f[:1], mu_g, var_f, var_g, S, sqdist, coef, grads)
    with pytest.raises(ParameterError, match="grads must have shapes"):
        ti._spherical2_backward_paths(mu_f, mu_g, var_f, var_g, S, sqdist, coef, grads[:3])


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("adagrad", [False, True], ids=["sgd", "adagrad"])
@pytest.mark.parametrize("Dm", [3, 13])
def test_train_job_matches_reference_with_random_sampling(cov, adagrad, Dm):
    """Windows, several negatives, subsampling and a real alias table.

    Mirrors every random draw with the Python replica of the generator
    (checked bit-exactly in test_sampling.py).  Separate output
    distributions, so a centre word may be its own context or negative.
    D = 13 runs the float32 squared distance's 8 vector lanes and its
    remainder, and the diagonal Mahalanobis sum's 4 partial sums.
    """
    V, K = 7, 2
    rng = np.random.default_rng(21)
    counts = rng.integers(1, 60, V)
    from w2gm._sampling import build_alias_table, subsampling_thresholds
    alias = build_alias_table(counts)
    keep = subsampling_thresholds(counts, 0.01)
    assert np.any(keep != ALWAYS)
    sentences = [list(rng.integers(0, V, rng.integers(1, 13))) for _ in range(6)]
    words = np.concatenate(sentences)
    tables = make_tables(V, K, Dm, cov, shared=False, seed=22)
    accs = make_accumulators(tables, 0.3) if adagrad else None
    got, want, params, accs64 = train_both(tables, accs, keep, alias, 3, 3, sentences, 0.1, 0.01,
                                           2024, lv_min=-6.0, lv_max=2.0)
    assert_matches_reference(got, want, tables, params, accs, accs64)
    assert got[1] > 20 and got[2] > 0 and got[3] < len(words)


LEVER_OPTIONS = {
    "variance_lr_factor": dict(variance_lr_factor=3.0),
    "logit_lr_factor": dict(logit_lr_factor=0.25),
    "max_partial_energy": dict(max_partial_energy=True),
    "norm_cap": dict(norm_cap=0.5),
    "all": dict(variance_lr_factor=0.5, logit_lr_factor=4.0, max_partial_energy=True, norm_cap=0.6),
}


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("adagrad", [False, True], ids=["sgd", "adagrad"])
@pytest.mark.parametrize("K", [1, 2, 3])
@pytest.mark.parametrize("lever", list(LEVER_OPTIONS))
def test_train_job_with_levers_matches_reference(cov, adagrad, K, lever):
    """The four quality levers (issue 12) in the kernel equal the float64 reference.

    As the random-sampling test above: windows, negatives, subsampling and a
    real alias table; each lever also moves the result away from the default's.
    """
    V, Dm = 7, 3
    rng = np.random.default_rng(21)
    counts = rng.integers(1, 60, V)
    from w2gm._sampling import build_alias_table, subsampling_thresholds
    alias = build_alias_table(counts)
    keep = subsampling_thresholds(counts, 0.01)
    sentences = [list(rng.integers(0, V, rng.integers(1, 13))) for _ in range(6)]
    options = LEVER_OPTIONS[lever]
    results = {}
    for name, opts in (("default", {}), ("lever", options)):
        tables = make_tables(V, K, Dm, cov, shared=False, seed=22)
        accs = make_accumulators(tables, 0.3) if adagrad else None
        got, want, params, accs64 = train_both(tables, accs, keep, alias, 3, 3, sentences, 0.1, 0.01,
                                               2024, lv_min=-6.0, lv_max=2.0, **opts)
        assert_matches_reference(got, want, tables, params, accs, accs64)
        results[name] = tables
    if options.get("norm_cap") is not None:
        for name in ("mu_in", "mu_out"):
            moved = np.any(results["lever"][name] != make_tables(V, K, Dm, cov, False, 22)[name], axis=2)
            norms = np.linalg.norm(results["lever"][name], axis=2)
            assert norms[moved].max() <= options["norm_cap"] + 1e-5
    changed = [n for n in NAMES if np.any(results["lever"][n] != results["default"][n])]
    if lever in ("logit_lr_factor", "max_partial_energy") and K == 1:
        # a single component has no logit update to scale, and its one pair is the maximum
        assert changed == []
    else:
        assert changed, lever


def test_kernel_state_validates_the_levers():
    V, K, Dm = 3, 2, 2
    tables = make_tables(V, K, Dm, "spherical", shared=False)
    keep = np.full(V, ALWAYS, dtype=np.uint32)
    alias = ref.deterministic_alias(V, 0)
    for option, bad in (("variance_lr_factor", 0.0), ("logit_lr_factor", -1.0), ("norm_cap", 0.0),
                        ("norm_cap", float("nan")), ("max_partial_energy", 2)):
        with pytest.raises(ParameterError, match=rf"^{option} .*got {bad!r}"):
            kernel_state(tables, None, keep, alias, 1, 1, **{option: bad})


def full_window_pairs(sentences, window):
    """(w, c) pairs of every centre word with the whole ``window`` on both sides (no subsampling)."""
    return sum(min(i, window) + min(len(s) - 1 - i, window) for s in sentences for i in range(len(s)))


@pytest.mark.parametrize("window", [1, 2, 5])
@pytest.mark.parametrize("negative", [1, 3])
def test_shrink_windows_false_uses_the_full_window(window, negative):
    """Every negative draw is word 0, which is in no sentence: each (w, c) pair gives ``negative`` samples."""
    V, K, Dm = 9, 2, 3
    rng = np.random.default_rng(window * 10 + negative)
    sentences = [list(rng.integers(1, V, int(n))) for n in (1, 2, 7, 12, 3)]
    keep = np.full(V, ALWAYS, dtype=np.uint32)
    alias = ref.deterministic_alias(V, 0)
    samples = {}
    for shrink in (False, True):
        tables = make_tables(V, K, Dm, "diagonal", shared=False, seed=5)
        accs = make_accumulators(tables, 0.3)
        got, want, params, accs64 = train_both(tables, accs, keep, alias, window, negative, sentences,
                                               0.05, 0.01, 77, shrink_windows=shrink)
        # the kernel agrees with the float64 reference in both modes
        assert got[1:] == want[1:]
        assert got[0] == pytest.approx(want[0], rel=1e-5)
        assert_tables_close(tables, params)
        assert_tables_close(accs, accs64)
        samples[shrink] = got[1]
    assert samples[False] == negative * full_window_pairs(sentences, window)
    if window == 1:  # a window of 1 cannot shrink: the same pairs (and no draw is needed for it)
        assert samples[True] == samples[False]
    else:  # shrunk windows drop pairs (seed fixed: not by chance)
        assert samples[True] < samples[False]


def test_train_job_is_deterministic_given_seed():
    V = 6
    counts = np.arange(1, V + 1) * 10
    from w2gm._sampling import build_alias_table
    alias = build_alias_table(counts)
    keep = np.full(V, ALWAYS, dtype=np.uint32)
    sentences = [[0, 1, 2, 3, 4, 5], [5, 4, 3, 2]]
    results = []
    for seed in (1, 1, 2):
        tables = make_tables(V, 2, 3, "diagonal", shared=False, seed=0)
        out, want, params, _ = train_both(tables, None, keep, alias, 3, 2, sentences, 0.05, 0.05,
                                          seed)
        # every run also agrees with the reference
        assert out[1:] == want[1:] and out[0] == pytest.approx(want[0], rel=1e-5)
        assert_tables_close(tables, params)
        results.append((out, tables))
    assert results[0][0] == results[1][0]
    for name in NAMES:
        np.testing.assert_array_equal(results[0][1][name], results[1][1][name])
    assert any(np.any(results[0][1][n] != results[2][1][n]) for n in NAMES)


@pytest.mark.parametrize("adagrad", [False, True], ids=["sgd", "adagrad"])
def test_single_component_logits_not_updated(adagrad):
    V, K = 4, 1
    tables = make_tables(V, K, 3, "spherical", shared=False, seed=3)
    accs = None
    if adagrad:
        accs = make_accumulators(tables, 0.5)
        # zero accumulators would turn a (zero-gradient) logit update into 0/0 = NaN
        accs["s_in"][...] = 0.0
        accs["s_out"][...] = 0.0
    before = {n: tables[n].copy() for n in NAMES}
    keep = np.full(V, ALWAYS, dtype=np.uint32)
    out, want, params, accs64 = train_both(tables, accs, keep, ref.deterministic_alias(V, 3), 1, 1,
                                           [[0, 1, 2]], 0.5, 0.5, 0)
    assert out[2] > 0
    assert out[1:] == want[1:] and out[0] == pytest.approx(want[0], rel=1e-5)
    assert_tables_close(tables, params)
    if adagrad:
        assert_tables_close(accs, accs64)
    np.testing.assert_array_equal(tables["s_in"], before["s_in"])
    np.testing.assert_array_equal(tables["s_out"], before["s_out"])
    assert np.any(tables["mu_in"] != before["mu_in"])
    assert np.any(tables["lv_out"] != before["lv_out"])
    if adagrad:
        np.testing.assert_array_equal(accs["s_in"], 0.0)
        assert np.any(accs["mu_in"] != 0.5)


# ---------------------------------------------------------------------------
# 5. Input validation
# ---------------------------------------------------------------------------

def small_state(V=4, K=2, Dm=3, cov="diagonal", **kw):
    tables = make_tables(V, K, Dm, cov, shared=False)
    keep = np.full(V, ALWAYS, dtype=np.uint32)
    return tables, kernel_state(tables, None, keep, ref.deterministic_alias(V, 3), 2, 2, **kw)


@pytest.mark.parametrize("words, ends", [
    ([0, 4], [2]),            # word index == V
    ([0, -1], [2]),           # negative word index
    ([0, 1, 2], [2]),         # sentence_ends does not end at len(words)
    ([0, 1, 2], [4]),         # ... or points past the end
    ([0, 1, 2], [2, 1, 3]),   # decreasing ends
])
def test_train_job_rejects_bad_input(words, ends):
    tables, state = small_state()
    before = {n: tables[n].copy() for n in NAMES}
    with pytest.raises(ValueError):
        state.train_job(np.array(words, dtype=np.int32), np.array(ends, dtype=np.int64),
                        0.05, 0.05, 0)
    for n in NAMES:                     # checked before any update
        np.testing.assert_array_equal(tables[n], before[n])


@pytest.mark.parametrize("words, ends", [
    (np.array([0, 1], dtype=np.int32), np.array([], dtype=np.int64)),
    (np.array([], dtype=np.int32), np.array([5], dtype=np.int64)),
    (np.array([0, 2 ** 32 + 1], dtype=np.int64), np.array([2], dtype=np.int64)),
], ids=["words-without-ends", "ends-without-words", "int64-word-out-of-range"])
def test_train_job_rejects_inconsistent_job(words, ends):
    tables, state = small_state()
    before = {n: tables[n].copy() for n in NAMES}
    with pytest.raises(ValueError):
        state.train_job(words, ends, 0.05, 0.05, 0)
    for n in NAMES:
        np.testing.assert_array_equal(tables[n], before[n])


def test_train_job_empty_job():
    tables, state = small_state()
    before = {n: tables[n].copy() for n in NAMES}
    empty_w = np.array([], dtype=np.int32)
    assert state.train_job(empty_w, np.array([], dtype=np.int64), 0.05, 0.05, 0) == (0.0, 0, 0, 0, 0)
    assert state.train_job(empty_w, np.array([0], dtype=np.int64), 0.05, 0.05, 0) == (0.0, 0, 0, 0, 0)
    # single-word sentences have no context: nothing is sampled or updated
    out = state.train_job(np.array([0, 1, 2], dtype=np.int32), np.array([1, 2, 3], dtype=np.int64),
                          0.05, 0.05, 0)
    assert out == (0.0, 0, 0, 3, 0)
    for n in NAMES:
        np.testing.assert_array_equal(tables[n], before[n])


def _kernel_args(tables, accs=None, V=4, **over):
    """KernelState arguments; ``over`` replaces single tables (by flat name) or arguments."""
    flat = dict(tables)
    flat.update((k, v) for k, v in over.items() if k in NAMES)
    args = dict(params_in=group(flat, "in"), params_out=group(flat, "out"),
                accumulators_in=group(accs, "in"), accumulators_out=group(accs, "out"),
                keep=np.full(V, ALWAYS, dtype=np.uint32),
                alias_prob=np.zeros(V, dtype=np.uint32), alias_index=np.full(V, 3, dtype=np.int32),
                window=2, negative=2, margin=1.0, eps=EPS, log_var_min=-10.0, log_var_max=10.0)
    args.update((k, v) for k, v in over.items() if k not in NAMES)
    return args


def _build(args):
    """KernelState from :func:`_kernel_args`, positionally (checks the argument order)."""
    return ti.KernelState(args["params_in"], args["params_out"], args["accumulators_in"],
                          args["accumulators_out"], args["keep"], args["alias_prob"],
                          args["alias_index"], args["window"], args["negative"], args["margin"],
                          args["eps"], args["log_var_min"], args["log_var_max"])


def test_kernel_state_accepts_valid_tables():
    tables = make_tables(4, 2, 3, "diagonal", shared=False)
    _build(_kernel_args(tables))
    _build(_kernel_args(tables, accs=make_accumulators(tables)))
    shared = make_tables(4, 2, 3, "spherical", shared=True)
    _build(_kernel_args(shared))
    _build(_kernel_args(shared, accs=make_accumulators(shared)))
    # any sequence of three arrays will do
    _build(_kernel_args(tables, params_in=list(group(tables, "in"))))


def _ones(t, side, n=3, dtype=np.float32):
    """Accumulator-like arrays for one side of ``t`` (the first ``n`` of the three)."""
    return tuple(np.ones(a.shape, dtype) for a in group(t, side)[:n])


@pytest.mark.parametrize("mutate, exc, match", [
    (lambda t: {"mu_in": t["mu_in"].astype(np.float64)}, TypeError, "params_in.means"),
    (lambda t: {"lv_out": t["lv_out"].astype(np.float64)}, TypeError, "params_out.log_variances"),
    (lambda t: {"s_in": list(t["s_in"])}, TypeError, "params_in.logits"),
    (lambda t: {"mu_out": np.asfortranarray(t["mu_out"])}, TypeError, "params_out.means"),
    (lambda t: {"mu_in": np.ascontiguousarray(t["mu_in"][:, :, :2])}, ValueError,
     "params_in.log_variances"),
    (lambda t: {"mu_in": t["mu_in"][0]}, ValueError, "params_in.means"),
    (lambda t: {"lv_in": np.zeros((4, 2, 2), dtype=np.float32)}, ValueError, "params_in.log_variances"),
    (lambda t: {"lv_out": np.zeros((4, 2, 1), dtype=np.float32)}, ValueError,
     "params_out.log_variances"),
    (lambda t: {"s_out": np.zeros((4, 3), dtype=np.float32)}, ValueError, "params_out.logits"),
    (lambda t: {"mu_out": np.zeros((5, 2, 3), dtype=np.float32)}, ValueError, "params_out.means"),
    (lambda t: {"params_in": t["mu_in"]}, TypeError, "params_in must be a sequence"),
    (lambda t: {"params_out": group(t, "out")[:2]}, ValueError, "params_out must hold 3"),
    (lambda t: {"keep": np.zeros(3, dtype=np.uint32)}, ValueError, "keep"),
    (lambda t: {"alias_prob": np.zeros(5, dtype=np.uint32)}, ValueError, "alias_prob"),
    (lambda t: {"alias_index": np.full(4, 4, dtype=np.int32)}, ValueError, "alias_index"),
    (lambda t: {"alias_index": np.full(4, -1, dtype=np.int32)}, ValueError, "alias_index"),
    (lambda t: {"window": 0}, ValueError, "window"),
    (lambda t: {"negative": 0}, ValueError, "negative"),
    (lambda t: {"accumulators_in": _ones(t, "in", n=2), "accumulators_out": _ones(t, "out")},
     ValueError, "accumulators_in must hold 3"),
    (lambda t: {"accumulators_in": _ones(t, "in"), "accumulators_out": _ones(t, "out", dtype=float)},
     TypeError, "accumulators_out.means"),
    (lambda t: {"accumulators_in": tuple(np.ones((4, 2, 3), np.float32) for _ in range(3)),
                "accumulators_out": _ones(t, "out")}, ValueError, "accumulators_in.logits"),
    (lambda t: {"accumulators_in": _ones(t, "in"), "accumulators_out": None}, ValueError,
     "both be None"),
    (lambda t: {"accumulators_in": None, "accumulators_out": _ones(t, "out")}, ValueError,
     "both be None"),
    # shared parameters need shared accumulators, separate ones separate accumulators
    (lambda t: {"params_out": group(t, "in"), "accumulators_in": _ones(t, "in"),
                "accumulators_out": _ones(t, "in")}, ValueError, "accumulators_out.means"),
    (lambda t: dict(zip(("accumulators_in", "accumulators_out"), [_ones(t, "in")] * 2)),
     ValueError, "accumulators_out.means"),
], ids=lambda x: "" if callable(x) or isinstance(x, type) else str(x))
def test_kernel_state_rejects_bad_tables(mutate, exc, match):
    tables = make_tables(4, 2, 3, "diagonal", shared=False)
    with pytest.raises(exc, match=match):
        _build(_kernel_args(tables, **mutate(tables)))


def test_kernel_state_rejects_read_only_table():
    tables = make_tables(4, 2, 3, "diagonal", shared=False)
    tables["mu_in"].flags.writeable = False
    with pytest.raises(TypeError, match="params_in.means"):
        _build(_kernel_args(tables))


# ---------------------------------------------------------------------------
# 6. Non-finite detection
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("field, value", [("mu_in", np.nan), ("mu_in", np.inf),
                                          ("lv_in", np.nan), ("lv_in", np.inf),
                                          ("s_in", np.nan), ("s_in", np.inf)])
def test_nonfinite_sample_is_counted_and_not_spread(field, value):
    V = 4
    tables = make_tables(V, 2, 3, "diagonal", shared=False, seed=5)
    tables[field][0] = value           # every component of word 0's input row
    before = {n: tables[n].copy() for n in NAMES}
    keep = np.full(V, ALWAYS, dtype=np.uint32)
    state = kernel_state(tables, None, keep, ref.deterministic_alias(V, 3), 1, 1)
    loss_sum, n_samples, n_active, n_kept, n_nonfinite = state.train_job(
        *job_arrays([[0, 1]]), 0.05, 0.05, 0)
    # centre 0 (bad input row) -> non-finite; centre 1 with context 0 (finite
    # output row) -> a normal active sample
    assert n_samples == 2
    assert n_nonfinite == 1
    assert n_active == 1
    assert np.isfinite(loss_sum)
    # the bad value did not leak into any other row
    for n in NAMES:
        mask = np.ones(V, dtype=bool)
        if n == field:
            mask[0] = False
        assert np.all(np.isfinite(tables[n][mask])), n
    # word 0's input row was not updated at all
    for n in ("mu_in", "lv_in", "s_in"):
        np.testing.assert_array_equal(tables[n][0], before[n][0])


def test_nonfinite_shared_model_skips_everything():
    V = 4
    tables = make_tables(V, 2, 3, "spherical", shared=True, seed=6)
    tables["mu_in"][0, 1, 2] = np.nan
    before = {n: tables[n].copy() for n in NAMES}
    keep = np.full(V, ALWAYS, dtype=np.uint32)
    state = kernel_state(tables, None, keep, ref.deterministic_alias(V, 3), 1, 1)
    loss_sum, n_samples, n_active, n_kept, n_nonfinite = state.train_job(
        *job_arrays([[0, 1]]), 0.05, 0.05, 0)
    assert (n_samples, n_active, n_nonfinite) == (2, 0, 2)
    assert loss_sum == 0.0
    for n in NAMES:
        np.testing.assert_array_equal(tables[n], before[n])


# ---------------------------------------------------------------------------
# 7. Log-variance clipping
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("adagrad", [False, True], ids=["sgd", "adagrad"])
def test_log_var_clipping(cov, adagrad):
    V, lo, hi = 5, -0.05, 0.05
    keep = np.full(V, ALWAYS, dtype=np.uint32)
    sentences = [[0, 1, 2, 0, 1, 2], [2, 0, 1]]

    def run(lv_min, lv_max):
        tables = make_tables(V, 2, 3, cov, shared=False, seed=8)
        for n in ("lv_in", "lv_out"):
            tables[n][...] = 0.0
        accs = make_accumulators(tables, 1e-3) if adagrad else None
        out, want, params, accs64 = train_both(tables, accs, keep, ref.deterministic_alias(V, 3), 2, 2,
                                               sentences, 2.0, 2.0, 0, margin=5.0,
                                               lv_min=lv_min, lv_max=lv_max)
        assert out[2] > 0
        assert out[1:] == want[1:] and out[0] == pytest.approx(want[0], rel=1e-5)
        assert_tables_close(tables, params)
        if adagrad:
            assert_tables_close(accs, accs64)
        return tables

    free = run(-1e3, 1e3)
    touched_lv = np.concatenate([free["lv_in"][:3].ravel(), free["lv_out"][:4].ravel()])
    assert np.any(touched_lv < lo) or np.any(touched_lv > hi)     # bounds would be exceeded
    clipped = run(lo, hi)
    for n in ("lv_in", "lv_out"):
        assert np.all(clipped[n] >= np.float32(lo)) and np.all(clipped[n] <= np.float32(hi)), n
    lv = np.concatenate([clipped["lv_in"].ravel(), clipped["lv_out"].ravel()])
    assert np.any(np.isin(lv, [np.float32(lo), np.float32(hi)]))   # clipping happened
    # untouched rows (word 4 never appears; word 3 only as an output negative)
    np.testing.assert_array_equal(clipped["lv_in"][3:], 0.0)
    np.testing.assert_array_equal(clipped["lv_out"][4], 0.0)


@pytest.mark.parametrize("cov", COVS)
def test_training_with_extreme_values_stays_finite(cov):
    V = 4
    tables = make_tables(V, 2, 3, cov, shared=False, seed=9)
    tables["mu_in"][0, 0, 0] = 1e3
    tables["mu_out"][1, 1, :] = -1e3
    tables["lv_in"][1] = -10.0
    tables["lv_out"][2] = 10.0
    tables["s_in"][2] = [80.0, -80.0]
    tables["s_out"][0] = [-80.0, 80.0]
    keep = np.full(V, ALWAYS, dtype=np.uint32)
    accs = make_accumulators(tables, 1e-3)
    out, want, params, accs64 = train_both(tables, accs, keep, ref.deterministic_alias(V, 3), 2, 2,
                                           [[0, 1, 2, 0, 2, 1]], 0.05, 0.01, 3)
    assert out[1:] == want[1:] and out[0] == pytest.approx(want[0], rel=1e-5)
    assert_tables_close(tables, params)
    assert_tables_close(accs, accs64)
    assert out[4] == 0
    assert out[2] > 0 and np.isfinite(out[0])
    for n in NAMES:
        assert np.all(np.isfinite(tables[n])), n


# ---------------------------------------------------------------------------
# 8. Sizes beyond 32 bits and out-of-range arguments (memory safety)
# ---------------------------------------------------------------------------

def scratch_floats(K, D, Dv, n_shared=0):
    """Floats of one job's TrainScratch, in Python integers (no overflow).

    ``n_shared``: negatives per window with shared negatives (a copy of the
    centre word's means, then per negative its log energy, a copy of its
    means, a pair scratch and a gradient block).
    """
    grad = K * D + K * Dv + K
    pair = K * Dv + K + K * K * Dv + 3 * K * K
    shared = K * D + n_shared * (1 + K * D + pair + grad) if n_shared else 0
    return 3 * grad + K * Dv + K + 2 * pair + shared


@pytest.mark.parametrize("K, D, Dv", [(2, 50, 1), (3, 7, 7), (23171, 1, 1), (46341, 1, 1),
                                      (1000, 10_000, 1), (1000, 10_000, 10_000)])
def test_scratch_length_does_not_wrap_at_32_bits(K, D, Dv):
    # with 32-bit int arithmetic 4*K*K wrapped: K = 46341 gave a short buffer (and a crash),
    # K = 23171 a negative length (a misleading MemoryError); K = 1000, D = 10000 diagonal
    # needs 2*K*K*D = 2e10 floats of pair scratch
    assert ti._train_scratch_floats(K, D, Dv) == scratch_floats(K, D, Dv)


def _tables_of_shape(V, K, Dm, cov="spherical"):
    Dv = 1 if cov == "spherical" else Dm
    return {"mu_in": np.zeros((V, K, Dm), np.float32), "lv_in": np.zeros((V, K, Dv), np.float32),
            "s_in": np.zeros((V, K), np.float32)}


@pytest.mark.parametrize("K, Dm, setting, maximum", [
    (46341, 1, "num_mixtures", 1000),    # crashed the first job (K*K wrapped)
    (1001, 1, "num_mixtures", 1000),
    (1, 10_001, "vector_size", 10_000),
])
def test_kernel_state_rejects_tables_beyond_the_settings_maxima(K, Dm, setting, maximum):
    t = _tables_of_shape(2, K, Dm)
    shared = dict(t, mu_out=t["mu_in"], lv_out=t["lv_in"], s_out=t["s_in"])
    with pytest.raises(ParameterError, match=rf"params_in.means has shape \(2, {K}, {Dm}\).*"
                                             rf"at most {maximum} \({setting}\)"):
        _build(_kernel_args(shared, V=2, alias_index=np.zeros(2, np.int32)))
    # the maxima themselves are accepted
    ok = _tables_of_shape(2, min(K, maximum), min(Dm, 10_000))
    ok.update(mu_out=ok["mu_in"], lv_out=ok["lv_in"], s_out=ok["s_in"])
    _build(_kernel_args(ok, V=2, alias_index=np.zeros(2, np.int32)))


def test_kernel_state_rejects_a_vocabulary_beyond_int32():
    # word indices are int32: V >= 2**31 would let int64 words wrap when cast for the job
    huge = np.broadcast_to(np.float32(0), (2**31, 1, 1))     # no memory behind it
    with pytest.raises(ParameterError, match=r"params_in.means has 2147483648 words, at most 2147483647"):
        ti.KernelState((huge, huge, huge[:, :, 0]), (huge, huge, huge[:, :, 0]), None, None,
                       None, None, None, 1, 1, 1.0, EPS, -10.0, 10.0)


@pytest.mark.parametrize("name, value, maximum", [
    ("window", 2**31, 10_000), ("window", 2**64, 10_000), ("window", 10_001, 10_000),
    ("negative", 2**31, 1000), ("negative", 10**6, 1000), ("negative", 1001, 1000),
    ("window", True, 10_000), ("negative", 2.0, 1000),
])
def test_kernel_state_rejects_window_and_negative_beyond_the_maxima(name, value, maximum):
    tables = make_tables(4, 2, 3, "diagonal", shared=False)
    with pytest.raises(ParameterError, match=rf"^{name} must be an integer from 1 to {maximum}, "
                                             rf"got {value!r}"):
        _build(_kernel_args(tables, **{name: value}))
    _build(_kernel_args(tables, **{name: maximum}))


@pytest.mark.parametrize("seed", [-1, 2**64, 1.5, None])
def test_train_job_rejects_a_seed_outside_uint64(seed):
    tables, state = small_state()
    before = {n: tables[n].copy() for n in NAMES}
    with pytest.raises(ParameterError, match=r"seed must be an integer from 0 to 2\*\*64 - 1"):
        state.train_job(*job_arrays([[0, 1, 2]]), 0.05, 0.05, seed)
    for n in NAMES:
        np.testing.assert_array_equal(tables[n], before[n])
    assert state.train_job(*job_arrays([[0, 1, 2]]), 0.05, 0.05, 2**64 - 1)[3] == 3


@pytest.mark.parametrize("ends", [[3, 1, 3], [2**64 - 1, 3], [4, 3]])
def test_train_job_rejects_unsigned_sentence_ends_that_wrap(ends):
    # np.diff of decreasing uint64 ends wraps to huge positive values instead of negatives
    tables, state = small_state()
    before = {n: tables[n].copy() for n in NAMES}
    with pytest.raises(ValueError, match="sentence_ends"):
        state.train_job(np.array([0, 1, 2], dtype=np.int32), np.array(ends, dtype=np.uint64),
                        0.05, 0.05, 0)
    for n in NAMES:
        np.testing.assert_array_equal(tables[n], before[n])
    # unsigned ends that are valid are fine
    assert state.train_job(np.array([0, 1, 2], dtype=np.int32), np.array([1, 3], dtype=np.uint64),
                           0.05, 0.05, 0)[3] == 3


def _word(K, D, Dv=1):
    return (np.zeros((K, D)), np.zeros((K, Dv)), np.zeros(K))


@pytest.mark.parametrize("f, g, match", [
    (_word(0, 3), _word(0, 3), r"f: means must be \(K, D\) with K >= 1 and D >= 1, got shape \(0, 3\)"),
    (_word(2, 0, 0), _word(2, 0, 0), r"f: means .* got shape \(2, 0\)"),
    (_word(2, 3), _word(0, 3), r"g: means .* got shape \(0, 3\)"),
    (_word(2, 3), _word(3, 3), r"f and g .* f: means \(2, 3\), log-variances \(2, 1\); "
                               r"g: means \(3, 3\), log-variances \(3, 1\)"),
    (_word(2, 3), _word(2, 4), r"f and g .* \(2, 3\).* \(2, 4\)"),
    (_word(2, 3, 3), _word(2, 3, 1), r"f and g .* log-variances \(2, 3\).* log-variances \(2, 1\)"),
    (_word(2, 3, 2), _word(2, 3, 2), r"f: log-variances must be \(K, 1\) or \(K, D\) = \(2, 3\), "
                                     r"got shape \(2, 2\)"),
    ((np.zeros((2, 3)), np.zeros(5), np.zeros(2)), _word(2, 3),
     r"f: log-variances .* got shape \(5,\)"),
    ((np.zeros((2, 3)), np.zeros((2, 1)), np.zeros(3)), _word(2, 3), r"f: logits must be \(K,\) = \(2,\)"),
    ((np.zeros(3), np.zeros(1), np.zeros(1)), _word(1, 3), r"f: means .* got shape \(3,\)"),
    (_word(1001, 1), _word(1001, 1), r"f: means has 1001 components, at most 1000 \(num_mixtures\)"),
    (_word(1, 10_001), _word(1, 10_001), r"f: means has 10001 dimensions, at most 10000 \(vector_size\)"),
], ids=lambda x: x if isinstance(x, str) else "")
def test_float64_wrappers_validate_shapes_before_touching_memory(f, g, match):
    # K = 0 or D = 0 used to read before/after the arrays (log_energy returned 0.0 for D = 0)
    with pytest.raises(ParameterError, match=match):
        ti.log_energy(*f, *g)
    if "logits" not in match:           # partial_energies takes no logits
        with pytest.raises(ParameterError, match=match):
            ti.partial_energies(f[0], f[1], g[0], g[1])
    # loss_and_grads names its words w, c and n
    match = match.replace("f and g", "w, c and n").replace("f: ", "w: ").replace("g: ", "c: ")
    with pytest.raises(ParameterError, match=match):
        ti.loss_and_grads(f, g, f)


def test_loss_and_grads_names_the_inconsistent_negative_word():
    w = _word(2, 3)
    with pytest.raises(ParameterError, match=r"w, c and n .* n: means \(2, 4\)"):
        ti.loss_and_grads(w, w, _word(2, 4))
    with pytest.raises(ParameterError, match=r"n: logits must be \(K,\) = \(2,\), got shape \(1,\)"):
        ti.loss_and_grads(w, w, (np.zeros((2, 3)), np.zeros((2, 1)), np.zeros(1)))


def test_float64_helpers_check_their_sizes():
    with pytest.raises(ParameterError, match="lv .* s"):
        ti._Prepared64(np.zeros((2, 1)), np.zeros(1))
    with pytest.raises(ParameterError):
        ti._Prepared64(np.zeros((0, 1)), np.zeros(0))
    with pytest.raises(ParameterError):
        ti._PairScratch64(0, 1)
    with pytest.raises(ParameterError):
        ti._PairScratch64(2**40, 1)


# ---------------------------------------------------------------------------
# 9. Shared negatives (the shared_negatives setting)
# ---------------------------------------------------------------------------

def random_table(seed, V, K, cov, D=D):
    """An output table ``(means (V, K, D), log_vars (V, K, Dv), logits (V, K))`` in float64."""
    rng = np.random.default_rng(seed)
    words = [random_word(rng, K, D, cov) for _ in range(V)]
    return tuple(np.stack([wd[part] for wd in words]) for part in range(3))


#: contexts with a repeat; negatives with a repeat and one equal to a context (its terms skipped)
WINDOW_CONTEXTS = [0, 1, 2, 1]
WINDOW_NEGATIVES = [3, 1, 4, 3]


def table_gradient(grads, contexts, negatives, V):
    """The window loss's gradient by every table row: context and negative parts summed per word."""
    out = [np.zeros((V,) + g.shape[1:]) for g in grads["c"]]
    for part in range(3):
        np.add.at(out[part], np.asarray(contexts), grads["c"][part])
        np.add.at(out[part], np.asarray(negatives), grads["n"][part])
    return out


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("margin", [0.5, 20.0])
@pytest.mark.parametrize("max_pe", [False, True], ids=["lse", "max_pe"])
def test_shared_window_matches_reference(cov, K, margin, max_pe):
    """The fused-type window step (float64 instance) equals the NumPy reference."""
    V = 5
    w = random_word(np.random.default_rng(40 + K), K, D, cov)
    table = random_table(41 + K, V, K, cov)
    got = ti.shared_window_loss_and_grads(w, table, WINDOW_CONTEXTS, WINDOW_NEGATIVES, margin, EPS,
                                          max_partial_energy=max_pe)
    want = ref.shared_window(w, table, WINDOW_CONTEXTS, WINDOW_NEGATIVES, margin, EPS, max_pe=max_pe)
    loss, n_samples, n_active, n_nonfinite, counts, grads = got
    # 4 contexts x 4 negatives, less the (1, 1) term of each of the two context occurrences of 1
    assert n_samples == want[1] == 14
    assert (n_active, n_nonfinite) == want[2:4]
    np.testing.assert_array_equal(counts, want[4])
    assert counts[1] <= 2           # negative 1 meets only the two contexts that are not 1
    assert loss == pytest.approx(want[0], rel=1e-10, abs=1e-12)
    if margin == 20.0:
        assert n_active == 14 and list(counts) == [4, 2, 4, 4]
    for key in ("w", "c", "n"):
        for part in range(3):
            np.testing.assert_allclose(grads[key][part], want[5][key][part], rtol=1e-9, atol=1e-12,
                                       err_msg=f"{key}[{part}]")
    # negatives that no active term used have a zero gradient
    for k in np.flatnonzero(counts == 0):
        for part in range(3):
            np.testing.assert_array_equal(grads["n"][part][k], 0.0)


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("K", KS)
def test_shared_window_gradients_vs_finite_differences(cov, K):
    """The window loss (sum over its terms) against central differences, by w and by every word."""
    V = 5
    w = random_word(np.random.default_rng(50 + K), K, D, cov)
    table = random_table(51 + K, V, K, cov)
    loss, n_samples, n_active, _, counts, grads = ti.shared_window_loss_and_grads(
        w, table, WINDOW_CONTEXTS, WINDOW_NEGATIVES, MARGIN_ACTIVE, EPS)
    assert n_active == n_samples == 14 and loss > 14.0       # every term active, off the kink

    def window_loss(w_, table_):
        return ref.shared_window_loss(w_, table_, WINDOW_CONTEXTS, WINDOW_NEGATIVES, MARGIN_ACTIVE,
                                      EPS)

    fd_w = numerical_gradient(lambda a, _b, _c: window_loss(a, table), (w, w, w))["w"]
    by_row = table_gradient(grads, WINDOW_CONTEXTS, WINDOW_NEGATIVES, V)
    for part in range(3):
        np.testing.assert_allclose(grads["w"][part], fd_w[part], rtol=1e-5, atol=1e-6,
                                   err_msg=f"w[{part}]")
        assert part == 2 and K == 1 or np.abs(grads["w"][part]).max() > 1e-4
    for v in range(V):
        def row_loss(a, _b, _c, v=v):
            t = [x.copy() for x in table]
            for part in range(3):
                t[part][v] = a[part]
            return window_loss(w, t)

        fd_v = numerical_gradient(row_loss, (tuple(x[v] for x in table),) * 3)["w"]
        for part in range(3):
            np.testing.assert_allclose(by_row[part][v], fd_v[part], rtol=1e-5, atol=1e-6,
                                       err_msg=f"word {v}[{part}]")
    # the negatives' own gradient blocks: word 4 is only a negative, so its row is its block
    for part in range(3):
        np.testing.assert_array_equal(by_row[part][4], grads["n"][part][2])
        assert part == 2 and K == 1 or np.abs(grads["n"][part][2]).max() > 1e-4


def test_shared_window_validates_its_arguments():
    w = random_word(np.random.default_rng(0), 2, D, "diagonal")
    table = random_table(1, 5, 2, "diagonal")
    with pytest.raises(ParameterError, match=r"negatives must be a 1-d sequence of 1 to 1000"):
        ti.shared_window_loss_and_grads(w, table, [0], [])
    with pytest.raises(ParameterError, match=r"contexts must be word indices in \[0, 5\)"):
        ti.shared_window_loss_and_grads(w, table, [5], [0])
    with pytest.raises(ParameterError, match=r"negatives must be word indices in \[0, 5\)"):
        ti.shared_window_loss_and_grads(w, table, [0], [-1])
    with pytest.raises(ParameterError, match=r"table: log_variances must have shape"):
        ti.shared_window_loss_and_grads(w, random_table(1, 5, 2, "spherical"), [0], [1])
    with pytest.raises(ParameterError, match=r"table must be a sequence"):
        ti.shared_window_loss_and_grads(w, table[0], [0], [1])


def random_job(seed=21, V=7):
    """Counts, alias table, subsampling thresholds and sentences (with a one-word sentence)."""
    from w2gm._sampling import build_alias_table, subsampling_thresholds
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 60, V)
    sentences = [list(rng.integers(0, V, rng.integers(1, 13))) for _ in range(6)]
    sentences.insert(2, [int(rng.integers(0, V))])
    return build_alias_table(counts), subsampling_thresholds(counts, 0.01), sentences


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("adagrad", [False, True], ids=["sgd", "adagrad"])
@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("Dm", [3, 13])
def test_train_job_with_shared_negatives_matches_reference(cov, adagrad, K, Dm):
    """shared_negatives=True: the kernel equals the reference draw for draw and update for update.

    Windows, 3 negatives per window, subsampling and a real alias table
    (so negatives often equal context words of the window, or repeat);
    separate output distributions.  The same job with shared_negatives off
    gives another model.  The rate starts at 0.05: with SGD at 0.1 (summed
    steps of up to 6 terms, variances down to exp(-6)) float32 rounding grows
    to 2e-4 by the job's end, beyond the tolerance, while a wrong gradient or
    update would be off by the step itself.  D = 13 runs the float32 squared
    distance's 8 vector lanes and its remainder.
    """
    V = 7
    alias, keep, sentences = random_job()
    results = {}
    for shared_neg in (False, True):
        tables = make_tables(V, K, Dm, cov, shared=False, seed=22)
        accs = make_accumulators(tables, 0.3) if adagrad else None
        got, want, params, accs64 = train_both(tables, accs, keep, alias, 3, 3, sentences, 0.05, 0.01,
                                               2024, lv_min=-6.0, lv_max=2.0,
                                               shared_negatives=shared_neg)
        assert_matches_reference(got, want, tables, params, accs, accs64)
        assert got[1] > 20 and got[2] > 0 and got[4] == 0
        results[shared_neg] = tables
    assert [n for n in NAMES if np.any(results[True][n] != results[False][n])]


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("adagrad", [False, True], ids=["sgd", "adagrad"])
@pytest.mark.parametrize("shared", [False, True], ids=["separate", "shared"])
@pytest.mark.parametrize("margin", [1.0, 200.0])
def test_train_job_with_shared_negatives_counts_every_term_as_a_sample(cov, adagrad, shared, margin):
    """Full windows and a noise table that always draws word 3 (in no sentence): both modes see
    the same windows, and each (c, c'_k) term is one sample, as each (w, c, c') sample is per pair."""
    V, K, Dm, window, negative = 4, 2, 3, 2, 3
    sentences = [[0, 1, 2], [2, 0], [1]]
    keep = np.full(V, ALWAYS, dtype=np.uint32)
    # contexts per centre word with the full window of 2: 2 + 2 + 2 in the first, 1 + 1 in the second
    terms = (6 + 2) * negative
    counts = {}
    for shared_neg in (False, True):
        tables = make_tables(V, K, Dm, cov, shared, seed=11)
        accs = make_accumulators(tables, 0.5) if adagrad else None
        got, want, params, accs64 = train_both(tables, accs, keep, ref.deterministic_alias(V, 3),
                                               window, negative, sentences, 0.05, 0.01, 99,
                                               margin=margin, shrink_windows=False,
                                               shared_negatives=shared_neg)
        assert got[1:] == want[1:]
        assert got[0] == pytest.approx(want[0], rel=1e-5)
        assert_tables_close(tables, params)
        if accs is not None:
            assert_tables_close(accs, accs64)
        counts[shared_neg] = got[1:]
    assert counts[True][0] == counts[False][0] == terms           # n_samples
    assert counts[True][2] == counts[False][2] == 6               # n_kept
    if margin == 200.0 and adagrad:     # (SGD's large steps move some terms below the margin)
        assert counts[True][1] == counts[False][1] == terms       # every term active


def test_shared_negatives_is_checked_like_the_setting():
    tables = make_tables(4, 2, 3, "diagonal", shared=False)
    keep = np.full(4, ALWAYS, dtype=np.uint32)
    for bad in (2, "yes", None):
        with pytest.raises(ParameterError, match=r"^shared_negatives must be True or False"):
            kernel_state(tables, None, keep, ref.deterministic_alias(4, 3), 1, 1, shared_negatives=bad)
    for good in (True, 1, np.bool_(False)):
        kernel_state(tables, None, keep, ref.deterministic_alias(4, 3), 1, 1, shared_negatives=good)


@pytest.mark.parametrize("K, D, Dv, n", [(2, 50, 1, 5), (3, 7, 7, 1), (1000, 10_000, 10_000, 1000)])
def test_scratch_length_with_shared_negatives(K, D, Dv, n):
    assert ti._train_scratch_floats(K, D, Dv, n) == scratch_floats(K, D, Dv, n)
    assert ti._train_scratch_floats(K, D, Dv, 0) == scratch_floats(K, D, Dv)


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("adagrad", [False, True], ids=["sgd", "adagrad"])
@pytest.mark.parametrize("K", KS)
def test_shared_negatives_with_shared_tables_and_w_in_its_own_window(cov, adagrad, K):
    """Shared in/out tables, and centre words that are context words of their own window.

    Word 0's window in ``[0, 1, 0, 2, 0]`` holds 0 itself: its row is updated
    mid-window as a context word.  The kernel (like the reference) reads w's
    parameters as of the window's start for every energy of the window and
    every backward pass; before the fix, the negatives' backward pass read
    the updated means with the variances and responsibilities of the start.
    """
    V, Dm = 5, 3
    sentences = [[0, 1, 0, 2, 0], [3, 3, 1]]
    keep = np.full(V, ALWAYS, dtype=np.uint32)
    tables = make_tables(V, K, Dm, cov, shared=True, seed=5)
    accs = make_accumulators(tables, 0.3) if adagrad else None
    got, want, params, accs64 = train_both(tables, accs, keep, ref.deterministic_alias(V, 4), 2, 2,
                                           sentences, 0.05, 0.01, 7, margin=5.0,
                                           shrink_windows=False, shared_negatives=True)
    assert got[1:] == want[1:]
    assert got[2] >= 2 and got[4] == 0
    assert got[0] == pytest.approx(want[0], rel=1e-5)
    assert_tables_close(tables, params, rtol=1e-4, atol=1e-5)
    if accs is not None:
        assert_tables_close(accs, accs64, rtol=1e-4, atol=1e-5)


def test_shared_negatives_adagrad_accumulates_like_separate_steps():
    """A negative used by N active terms adds N g^2 to its accumulator (g: one term's gradient).

    Separate tables, full window 2 over ``[0, 1, 2]``, every draw word 3 (in no sentence),
    margin 200 (every term active): in each of the three windows word 3 is the one negative,
    used by N = 2 terms, and takes one step of ``G = 2 g``; its accumulator must grow by
    ``G^2 / 2`` (two separate steps of g, to first order), not ``G^2``.  A context word takes
    one step of ``A_j g`` as in the per-pair mode, so it grows by ``(A_j g)^2``.  The rate is
    tiny, so the parameters stay at their start and the window gradients of the float64
    wrapper at the start give the growth.
    """
    V, K, Dm = 4, 2, 3
    keep = np.full(V, ALWAYS, dtype=np.uint32)
    tables = make_tables(V, K, Dm, "diagonal", shared=False, seed=3)
    start = to64(tables)
    accs = make_accumulators(tables, 1.0)
    state = kernel_state(tables, accs, keep, ref.deterministic_alias(V, 3), 2, 1, margin=200.0,
                         shrink_windows=False, shared_negatives=True)
    result = state.train_job(*job_arrays([[0, 1, 2]]), 1e-8, 1e-8, 1)
    assert result[1] == result[2] == 6
    out = group(start, "out")
    want = {name: np.zeros_like(start[name]) for name in ("mu_out", "lv_out", "s_out")}
    for w, contexts in ((0, [1, 2]), (1, [0, 2]), (2, [0, 1])):
        row_w = tuple(a[w] for a in group(start, "in"))
        *_, counts, grads = ti.shared_window_loss_and_grads(row_w, out, contexts, [3], 200.0, EPS)
        assert list(counts) == [2]
        for part, name in enumerate(("mu_out", "lv_out", "s_out")):
            want[name][3] += grads["n"][part][0] ** 2 / 2
            for jj, c in enumerate(contexts):
                want[name][c] += grads["c"][part][jj] ** 2
    for name in ("mu_out", "lv_out", "s_out"):
        np.testing.assert_allclose(accs[name] - 1.0, want[name], rtol=2e-3, atol=1e-6, err_msg=name)
        assert np.abs(want[name][3]).max() > 1e-2


def test_shared_window_wrapper_sizes_do_not_wrap_at_32_bits():
    """1000 negatives, K = 50, D = 1000 diagonal: n*K*K*Dv = 2.5e9 summed variances.

    In C ints the product wrapped to a negative length (a misleading NumPy
    error; other sizes wrap to a short buffer); now it is computed in
    Py_ssize_t and refused by name before any allocation.
    """
    K, Dm = 50, 1000
    w = (np.zeros((K, Dm)), np.zeros((K, Dm)), np.zeros(K))
    table = (np.zeros((1, K, Dm)), np.zeros((1, K, Dm)), np.zeros((1, K)))
    with pytest.raises(ParameterError, match=r"^1000 negatives with K=50, D=1000, Dv=1000 need "
                                             r"\d+ float64 scratch values \(2500000000 summed"):
        ti.shared_window_loss_and_grads(w, table, [], [0] * 1000)


def _tie_words(cov, Dm=4):
    """w = (0, 2) and c = (2.5, 0.5) per dimension: pairs (0, 1) and (1, 0) tie exactly
    (difference -0.5 in every dimension, equal variances and weights); (0, 0) and (1, 1) are
    further apart."""
    Dv = 1 if cov == "spherical" else Dm
    lv = np.zeros((2, Dv))
    w = (np.array([[0.0] * Dm, [2.0] * Dm]), lv, np.zeros(2))
    c = (np.array([[2.5] * Dm, [0.5] * Dm]), lv.copy(), np.zeros(2))
    return w, c


@pytest.mark.parametrize("cov", COVS)
def test_max_partial_energy_tie_takes_the_first_row_major_pair(cov):
    """On an exact tie the gradient flows through the first pair in row-major order, (0, 1)."""
    w, c = _tie_words(cov)
    _, xi, gamma = ti._energy64(w, c, EPS, True)
    assert xi[0, 1] == xi[1, 0] and xi[0, 1] > max(xi[0, 0], xi[1, 1])
    np.testing.assert_array_equal(gamma, [[0.0, 1.0], [0.0, 0.0]])
    # the negative is a copy of w: a higher energy than c's, so the hinge is active
    loss, grads = ti.loss_and_grads(w, c, w, margin=1.0, eps=EPS, max_partial_energy=True)
    assert loss > 1
    g_mu, g_lv, g_s = grads["c"]
    # only c's component 1 (paired with w's component 0) gets a mean / variance gradient
    assert np.all(g_mu[1] != 0) and np.all(g_lv[1] != 0)
    np.testing.assert_array_equal(g_mu[0], 0.0)
    np.testing.assert_array_equal(g_lv[0], 0.0)
    # d/ds_c = -(sum_i gamma_ij - q_j) with q = (1/2, 1/2)
    np.testing.assert_allclose(g_s, [0.5, -0.5])


@pytest.mark.parametrize("cov", COVS)
def test_max_partial_energy_tie_in_the_trainer(cov):
    """The float32 trainer breaks the same tie the same way: only c's component 1 moves.

    Separate tables, sentence ``[0, 1]``, every negative word 2: c = word 1's output row is
    trained only as the context of centre word 0 (input row w of :func:`_tie_words`), never as
    a negative."""
    V, K, Dm = 3, 2, 4
    tables = make_tables(V, K, Dm, cov, shared=False, seed=1)
    w, c = _tie_words(cov, Dm)
    for part, name in enumerate(("mu", "lv", "s")):
        tables[f"{name}_in"][0] = w[part]
        tables[f"{name}_out"][1] = c[part]
        tables[f"{name}_out"][2] = w[part]      # the negative: a copy of w, active hinge
    before = {n: a.copy() for n, a in tables.items()}
    keep = np.full(V, ALWAYS, dtype=np.uint32)
    state = kernel_state(tables, None, keep, ref.deterministic_alias(V, 2), 1, 1, margin=1.0,
                         shrink_windows=False, max_partial_energy=True)
    words, ends = job_arrays([[0, 1]])
    result = state.train_job(words, ends, 0.05, 0.05, 0)
    assert result[2] >= 1       # centre 0: active (c moves below); centre 1: either
    np.testing.assert_array_equal(tables["mu_out"][1][0], before["mu_out"][1][0])
    np.testing.assert_array_equal(tables["lv_out"][1][0], before["lv_out"][1][0])
    assert np.all(tables["mu_out"][1][1] != before["mu_out"][1][1])


SHARED_LEVERS = {
    "norm_cap": dict(norm_cap=0.5),
    "lr_factors": dict(variance_lr_factor=3.0, logit_lr_factor=0.25),
    "all": dict(variance_lr_factor=0.5, logit_lr_factor=4.0, max_partial_energy=True, norm_cap=0.6),
}


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("adagrad", [False, True], ids=["sgd", "adagrad"])
@pytest.mark.parametrize("K", [1, 2])
@pytest.mark.parametrize("shared", [False, True], ids=["separate", "shared"])
@pytest.mark.parametrize("lever", list(SHARED_LEVERS))
def test_train_job_with_shared_negatives_and_levers_matches_reference(cov, adagrad, K, shared, lever):
    """norm_cap and the learning-rate factors combined with shared negatives equal the reference.

    Windows, 3 shared negatives, subsampling and a real alias table; with shared tables a
    centre word is sometimes a context word of its own window.  Each lever moves the result
    away from shared negatives alone.
    """
    V, Dm = 7, 3
    alias, keep, sentences = random_job()
    options = SHARED_LEVERS[lever]
    results = {}
    for name, opts in (("plain", {}), ("lever", options)):
        tables = make_tables(V, K, Dm, cov, shared=shared, seed=22)
        accs = make_accumulators(tables, 0.3) if adagrad else None
        got, want, params, accs64 = train_both(tables, accs, keep, alias, 3, 3, sentences, 0.05, 0.01,
                                               2024, lv_min=-6.0, lv_max=2.0, shared_negatives=True,
                                               **opts)
        assert_matches_reference(got, want, tables, params, accs, accs64)
        assert got[2] > 0 and got[4] == 0
        results[name] = tables
    if options.get("norm_cap") is not None:
        start = make_tables(V, K, Dm, cov, shared, 22)
        for name in ("mu_in", "mu_out"):
            moved = np.any(results["lever"][name] != start[name], axis=2)
            assert moved.any()
            norms = np.linalg.norm(results["lever"][name], axis=2)
            assert norms[moved].max() <= options["norm_cap"] + 1e-5
    changed = [n for n in NAMES if np.any(results["lever"][n] != results["plain"][n])]
    assert changed, lever


# ---------------------------------------------------------------------------
# Row-wise Adagrad (adagrad_state="row")
# ---------------------------------------------------------------------------

def make_row_accumulators(tables, init=0.3):
    """Row-wise accumulators: (V, K, 1) for means and log-variances, (V, 1) for logits.

    Shared tables share their accumulators, as in :func:`make_accumulators`.
    """
    accs = {}
    by_id = {}
    for name in NAMES:
        arr = tables[name]
        if id(arr) not in by_id:
            V, K = arr.shape[:2]
            shape = (V, 1) if name.startswith("s_") else (V, K, 1)
            by_id[id(arr)] = np.full(shape, init, dtype=np.float32)
        accs[name] = by_id[id(arr)]
    return accs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("terms", [1, 3])
@pytest.mark.parametrize("L", [1, 5, 50])
def test_adagrad_row_update_follows_the_rule(dtype, terms, L):
    """``acc += mean(g^2) / terms``, then ``x -= lr g / sqrt(acc)``: float32 and float64 instances.

    The sum instead of the mean would grow each accumulator L times as much, far outside the
    tolerance for L > 1 (checked explicitly).
    """
    rng = np.random.default_rng(L + terms)
    R = 4
    x = rng.normal(0, 1, (R, L)).astype(dtype)
    acc = rng.uniform(0.1, 2.0, R).astype(dtype)
    grad = rng.normal(0, 2, (R, L)).astype(dtype)
    x64, acc64, grad64 = (a.astype(np.float64) for a in (x, acc, grad))
    want_acc = acc64 + np.mean(grad64 ** 2, axis=1) / terms
    want_x = x64 - 0.3 * grad64 / np.sqrt(want_acc)[:, None]
    ti.adagrad_row_update(x, acc, grad, 0.3, terms)
    tol = 1e-13 if dtype == np.float64 else 2e-6
    np.testing.assert_allclose(acc, want_acc, rtol=tol)
    np.testing.assert_allclose(x, want_x, rtol=tol, atol=tol)
    if L > 1:
        summed = acc64 + np.sum(grad64 ** 2, axis=1) / terms
        assert np.all(np.abs(acc - summed) > 0.1 * np.abs(summed - acc64))


def test_adagrad_row_update_checks_its_arguments():
    x = np.zeros((2, 3))
    for args, match in (((x, np.zeros(2, np.float32), np.zeros((2, 3))), "one dtype"),
                        ((x, np.zeros(3), np.zeros((2, 3))), "acc"),
                        ((x, np.zeros(2), np.zeros((2, 4))), "acc"),
                        ((x[:, ::2], np.zeros(2), np.zeros((2, 2))), "C-contiguous"),
                        ((np.zeros((2, 3), np.int64),) * 3, "float32 or float64")):
        with pytest.raises(ParameterError, match=match):
            ti.adagrad_row_update(*args, 0.1)
    with pytest.raises(ParameterError, match="terms must be >= 1"):
        ti.adagrad_row_update(x, np.zeros(2), np.zeros((2, 3)), 0.1, 0)


ROW_LEVERS = {
    "plain": {},
    "levers": dict(variance_lr_factor=0.5, logit_lr_factor=4.0, norm_cap=0.6),
}


def _fixed_job(V):
    """Sentences without a repeated word, every negative word 3 (in no sentence), no subsampling."""
    return (ref.deterministic_alias(V, 3), np.full(V, ALWAYS, dtype=np.uint32),
            [[0, 1, 2], [2, 0], [1, 0, 2]])


#: (shared_negatives, shared in/out tables, job): every combination but the random job with
#: shared tables and per-pair negatives, where the reference does not model a centre word that
#: is its own context (see :func:`reference.train_job`)
ROW_CASES = [pytest.param(shared_neg, shared, job,
                          id=f"{'shared_negatives' if shared_neg else 'per_pair'}-"
                             f"{'shared_tables' if shared else 'separate_output'}-{job}")
             for shared_neg in (False, True) for shared in (False, True) for job in ("fixed", "random")
             if not (job == "random" and shared and not shared_neg)]


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("shared_neg, shared, job", ROW_CASES)
@pytest.mark.parametrize("lever", list(ROW_LEVERS))
def test_train_job_with_row_adagrad_matches_reference(cov, K, shared_neg, shared, job, lever):
    """adagrad_state="row": the float32 kernel equals the float64 reference, update for update.

    Spherical and diagonal, K = 1, 2, 3, per-pair and shared negatives, separate and shared
    in/out tables, with and without the learning-rate factors and norm_cap.  The random job
    (windows, subsampling, a real alias table, repeated words) is not run for shared tables with
    per-pair negatives, where the reference does not model a centre word that is its own
    context (see :func:`reference.train_job`).  The same job with scalar Adagrad gives another
    model.
    """
    V, Dm = 7, 3
    if job == "fixed":
        alias, keep, sentences = _fixed_job(V)
        window, negative, margin = 1, 2, 200.0
    else:
        alias, keep, sentences = random_job(V=V)
        window, negative, margin = 3, 3, 1.0
    opts = dict(ROW_LEVERS[lever], shared_negatives=shared_neg)
    results = {}
    for state in ("scalar", "row"):
        tables = make_tables(V, K, Dm, cov, shared=shared, seed=22)
        accs = make_row_accumulators(tables, 0.3) if state == "row" else make_accumulators(tables, 0.3)
        start_accs = to64(accs)
        got, want, params, accs64 = train_both(tables, accs, keep, alias, window, negative, sentences,
                                               0.05, 0.01, 2024, margin=margin, lv_min=-6.0,
                                               lv_max=2.0, adagrad_state=state, **opts)
        assert_matches_reference(got, want, tables, params, accs, accs64)
        assert got[2] > 0 and got[4] == 0
        moved = [n for n in NAMES if np.any(accs[n] != start_accs[n])]
        assert moved
        results[state] = tables
    assert [n for n in NAMES if np.any(results["row"][n] != results["scalar"][n])]


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("shared_neg", [False, True], ids=["per_pair", "shared_negatives"])
def test_row_adagrad_with_sgd_is_sgd(cov, shared_neg):
    """Without accumulators (SGD) adagrad_state changes nothing."""
    V, K, Dm = 7, 2, 3
    alias, keep, sentences = random_job(V=V)
    results = []
    for state in ("scalar", "row"):
        tables = make_tables(V, K, Dm, cov, shared=False, seed=22)
        got, want, params, _ = train_both(tables, None, keep, alias, 3, 3, sentences, 0.05, 0.01,
                                          2024, adagrad_state=state, shared_negatives=shared_neg)
        assert got[1:] == want[1:]
        assert_tables_close(tables, params, rtol=1e-4, atol=2e-5)
        results.append(tables)
    for name in NAMES:
        np.testing.assert_array_equal(results[0][name], results[1][name])


@pytest.mark.parametrize("cov", COVS)
def test_scalar_adagrad_state_is_the_default_bit_for_bit(cov):
    V, K, Dm = 7, 2, 3
    alias, keep, sentences = random_job(V=V)
    words, ends = job_arrays(sentences)
    results = []
    for opts in ({}, {"adagrad_state": "scalar"}):
        tables = make_tables(V, K, Dm, cov, shared=False, seed=22)
        accs = make_accumulators(tables, 0.3)
        state = kernel_state(tables, accs, keep, alias, 3, 3, **opts)
        results.append((state.train_job(words, ends, 0.05, 0.01, 2024), tables, accs))
    assert results[0][0] == results[1][0]
    for name in NAMES:
        np.testing.assert_array_equal(results[0][1][name], results[1][1][name])
        np.testing.assert_array_equal(results[0][2][name], results[1][2][name])


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("shared_neg", [False, True], ids=["per_pair", "shared_negatives"])
def test_row_adagrad_accumulates_the_mean_not_the_sum(cov, shared_neg):
    """Each row's accumulator grows by the mean of its squared gradient (times N_k for a shared negative).

    Separate tables, full window 2 over ``[0, 1, 2]``, every draw word 3 (in no sentence),
    margin 200 (every term active), a tiny rate (the parameters stay at their start, so the
    float64 window gradients at the start give the growth).  Per pair each (w, c) pair draws
    its own negative 3 (one step of g each); shared, word 3 is each window's one negative, used
    by N = 2 terms, one step of 2 g that must add ``2 mean(g^2) = mean((2 g)^2) / 2``.  A
    context word takes one step of its summed gradient in both modes.  The sum over the row
    instead of the mean would be D (means, diagonal log-variances) or K (logits) times larger.
    """
    V, K, Dm = 4, 2, 5
    keep = np.full(V, ALWAYS, dtype=np.uint32)
    tables = make_tables(V, K, Dm, cov, shared=False, seed=3)
    start = to64(tables)
    accs = make_row_accumulators(tables, 1.0)
    state = kernel_state(tables, accs, keep, ref.deterministic_alias(V, 3), 2, 1, margin=200.0,
                         shrink_windows=False, shared_negatives=shared_neg, adagrad_state="row")
    result = state.train_job(*job_arrays([[0, 1, 2]]), 1e-8, 1e-8, 1)
    assert result[1] == result[2] == 6
    out = group(start, "out")
    names = ("mu_out", "lv_out", "s_out")
    want = {name: np.zeros_like(accs[name], dtype=np.float64) for name in names}
    summed = {name: np.zeros_like(accs[name], dtype=np.float64) for name in names}

    def add(name, word, g, terms):
        rows = g.reshape(1, -1) if name == "s_out" else g      # logits: one row of K
        want[name][word] += (np.mean(rows ** 2, axis=1) / terms).reshape(want[name][word].shape)
        summed[name][word] += (np.sum(rows ** 2, axis=1) / terms).reshape(want[name][word].shape)

    for w, contexts in ((0, [1, 2]), (1, [0, 2]), (2, [0, 1])):
        row_w = tuple(a[w] for a in group(start, "in"))
        if shared_neg:
            *_, counts, grads = ti.shared_window_loss_and_grads(row_w, out, contexts, [3], 200.0, EPS)
            assert list(counts) == [2]
            for part, name in enumerate(names):
                add(name, 3, grads["n"][part][0], 2)
                for jj, c in enumerate(contexts):
                    add(name, c, grads["c"][part][jj], 1)
        else:
            for c in contexts:
                _, grads = ti.loss_and_grads(row_w, tuple(a[c] for a in out),
                                             tuple(a[3] for a in out), 200.0, EPS)
                for part, name in enumerate(names):
                    add(name, 3, grads["n"][part], 1)
                    add(name, c, grads["c"][part], 1)
    for name in names:
        np.testing.assert_allclose(accs[name] - 1.0, want[name], rtol=2e-3, atol=1e-6, err_msg=name)
        assert np.abs(want[name][3]).max() > 1e-3
        if name != "lv_out" or cov == "diagonal":   # a spherical log-variance row has one value
            assert not np.allclose(accs[name] - 1.0, summed[name], rtol=0.1), name


def test_kernel_state_checks_adagrad_state_and_the_accumulator_shapes():
    V, K, Dm = 4, 2, 3
    tables = make_tables(V, K, Dm, "diagonal", shared=False)
    keep = np.full(V, ALWAYS, dtype=np.uint32)
    alias = ref.deterministic_alias(V, 3)
    for bad in ("rows", "", None, 1):
        with pytest.raises(ParameterError, match=r"^adagrad_state must be 'scalar' or 'row'"):
            kernel_state(tables, make_row_accumulators(tables), keep, alias, 1, 1, adagrad_state=bad)
    with pytest.raises(ValueError, match=r"accumulators_in.means has shape \(4, 2, 3\), "
                                         r"expected \(4, 2, 1\)"):
        kernel_state(tables, make_accumulators(tables), keep, alias, 1, 1, adagrad_state="row")
    with pytest.raises(ValueError, match=r"accumulators_in.means has shape \(4, 2, 1\), "
                                         r"expected \(4, 2, 3\)"):
        kernel_state(tables, make_row_accumulators(tables), keep, alias, 1, 1)
    kernel_state(tables, make_row_accumulators(tables), keep, alias, 1, 1, adagrad_state="row")
    kernel_state(tables, None, keep, alias, 1, 1, adagrad_state="row")


# ---------------------------------------------------------------------------
# Packed rows (KernelState's pack_rows)
# ---------------------------------------------------------------------------

def copies(d):
    """Deep copy of a table dict, sharing arrays exactly where ``d`` does (None stays None)."""
    if d is None:
        return None
    memo = {}
    return {name: memo.setdefault(id(d[name]), d[name].copy()) for name in NAMES}


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("K", KS)
@pytest.mark.parametrize("shared", [False, True], ids=["separate", "shared"])
@pytest.mark.parametrize("optimiser", ["sgd", "scalar", "row"])
@pytest.mark.parametrize("shared_neg", [False, True], ids=["per_pair", "shared_negatives"])
def test_packed_rows_train_the_same_bits(cov, K, shared, optimiser, shared_neg):
    """Two jobs on packed rows, then store_packed: every array and result equals the unpacked run's.

    Packing applies to spherical tables without row Adagrad; elsewhere ``pack_rows`` is ignored.
    """
    V, Dm = 9, 4
    alias, keep, sentences = random_job(seed=K + 5, V=V)
    words, ends = job_arrays(sentences)
    tables = make_tables(V, K, Dm, cov, shared, seed=K)
    accs = {"sgd": None, "scalar": make_accumulators(tables, 0.3),
            "row": make_row_accumulators(tables, 0.3)}[optimiser]
    options = dict(shared_negatives=shared_neg,
                   adagrad_state="row" if optimiser == "row" else "scalar")
    runs = []
    for pack in (False, True):
        t, a = copies(tables), copies(accs)
        state = kernel_state(t, a, keep, alias, 3, 2, pack_rows=pack, **options)
        assert state.packed == (pack and cov == "spherical" and optimiser != "row")
        results = [state.train_job(words, ends, 0.05, 0.02, 77), state.train_job(words, ends, 0.02, 0.01, 78)]
        state.store_packed()
        runs.append((results, t, a))
    assert runs[0][0] == runs[1][0]
    for name in NAMES:
        np.testing.assert_array_equal(runs[0][1][name], runs[1][1][name], err_msg=name)
        if accs is not None:
            np.testing.assert_array_equal(runs[0][2][name], runs[1][2][name], err_msg=name)


@pytest.mark.parametrize("shared", [False, True], ids=["separate", "shared"])
def test_packed_rows_are_copied_only_by_load_and_store(shared):
    """Until store_packed the arrays keep their values; load_packed takes changes made meanwhile."""
    V, K, Dm = 9, 2, 4
    alias, keep, sentences = random_job(seed=4, V=V)
    words, ends = job_arrays(sentences)
    tables = make_tables(V, K, Dm, "spherical", shared, seed=6)
    accs = make_accumulators(tables, 0.3)
    start_t, start_a = copies(tables), copies(accs)
    state = kernel_state(tables, accs, keep, alias, 3, 2, pack_rows=True)
    state.train_job(words, ends, 0.05, 0.02, 5)
    small = [f"{p}_{side}" for p in ("lv", "s") for side in ("in", "out")]
    for name in small:  # not yet stored
        np.testing.assert_array_equal(tables[name], start_t[name], err_msg=name)
        np.testing.assert_array_equal(accs[name], start_a[name], err_msg=name)
    assert not np.array_equal(tables["mu_in"], start_t["mu_in"])  # the means are trained in place
    state.store_packed()
    assert any(not np.array_equal(tables[name], start_t[name]) for name in small)
    # a change from outside, then a job: the same as an unpacked state given the changed arrays
    tables["lv_in"] += 0.25
    tables["s_out"] -= 0.5
    expected_t, expected_a = copies(tables), copies(accs)
    state.load_packed()
    got = state.train_job(words, ends, 0.03, 0.01, 6)
    state.store_packed()
    want = kernel_state(expected_t, expected_a, keep, alias, 3, 2).train_job(words, ends, 0.03, 0.01, 6)
    assert got == want
    for name in NAMES:
        np.testing.assert_array_equal(tables[name], expected_t[name], err_msg=name)
        np.testing.assert_array_equal(accs[name], expected_a[name], err_msg=name)


@pytest.mark.parametrize("alone", ["lv", "s"])
def test_packed_rows_are_not_used_when_one_small_table_alone_is_shared(alone):
    """Then pack_rows is ignored: the job trains the arrays themselves, as without it."""
    V, K, Dm = 9, 2, 4
    tables = make_tables(V, K, Dm, "spherical", shared=False, seed=8)
    tables[f"{alone}_out"] = tables[f"{alone}_in"]
    accs = make_accumulators(tables, 0.3)
    alias, keep, sentences = random_job(seed=4, V=V)
    words, ends = job_arrays(sentences)
    runs = []
    for pack in (False, True):
        t, a = copies(tables), copies(accs)
        state = kernel_state(t, a, keep, alias, 3, 2, pack_rows=pack)
        assert not state.packed
        runs.append((state.train_job(words, ends, 0.05, 0.02, 9), t, a))
    assert runs[0][0] == runs[1][0]
    for name in NAMES:
        np.testing.assert_array_equal(runs[0][1][name], runs[1][1][name], err_msg=name)
        np.testing.assert_array_equal(runs[0][2][name], runs[1][2][name], err_msg=name)
