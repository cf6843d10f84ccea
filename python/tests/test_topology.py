"""unfold.measure.ripser against ripser.py 0.6 and bottleneck/wasserstein against persim, whose
values are saved as fixtures by crates/unfold-learn/tests/fixtures/make_topology_fixtures.py
(neither library is a test requirement)."""

import json
import pathlib

import numpy as np
import pytest

import unfold
from unfold.measure import bottleneck, persistent_homology, ripser, wasserstein

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "crates/unfold-learn/tests/fixtures"
EXPECTED = json.loads((FIXTURES / "topology_expected.json").read_text())


def dgm(pairs):
    return np.array([[b, np.inf if d == "inf" else d] for b, d in pairs], dtype=float).reshape(-1, 2)


def same_diagram(got, want, what):
    order = lambda d: d[np.lexsort((d[:, 0], d[:, 1]))]  # noqa: E731
    got, want = order(np.asarray(got)), order(want)
    assert got.shape == want.shape, f"{what}: {got.shape} vs ripser's {want.shape}"
    # X is float32 here, float64 for ripser: a short distance between far-out points differs by
    # about 1e-7 (the Rust tests allow 1e-6 too).
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6, err_msg=what)


@pytest.mark.parametrize("case", sorted(EXPECTED["cases"]))
def test_diagrams_equal_ripser(case):
    c = EXPECTED["cases"][case]
    X = np.load(FIXTURES / f"topo_{c['cloud']}.npy")
    r = ripser(X, **c["kwargs"])
    assert sorted(r) == ["dgms", "idx_perm", "num_edges", "r_cover"]
    assert len(r["dgms"]) == len(c["dgms"])
    for dim, (g, w) in enumerate(zip(r["dgms"], c["dgms"])):
        assert g.dtype == np.float64 and g.shape[1] == 2
        same_diagram(g, dgm(w), f"{case} H{dim}")
    assert r["num_edges"] == c["num_edges"]
    np.testing.assert_array_equal(r["idx_perm"], c["idx_perm"])
    assert r["r_cover"] == pytest.approx(c["r_cover"], rel=1e-6)


def test_precomputed_equals_the_cloud_and_threads_do_not_matter():
    X = np.load(FIXTURES / "topo_random.npy")
    D = np.load(FIXTURES / "topo_random_dm.npy")
    a = ripser(X, maxdim=2, n_jobs=1)
    b = persistent_homology(D, maxdim=2, metric="precomputed", n_jobs=2)
    c = ripser(D, maxdim=2, distance_matrix=True)
    for da, db, dc in zip(a["dgms"], b["dgms"], c["dgms"]):
        same_diagram(da, db, "cloud vs precomputed")
        np.testing.assert_array_equal(db, dc)
    np.testing.assert_array_equal(ripser(X, maxdim=2, n_jobs=2)["dgms"][2], a["dgms"][2])


def test_distances_equal_persim():
    for d in EXPECTED["distances"]:
        A = dgm(EXPECTED["cases"][d["a"]]["dgms"][d["dim"]])
        B = dgm(EXPECTED["cases"][d["b"]]["dgms"][d["dim"]])
        with pytest.warns(UserWarning, match="non-finite death") if np.isinf(A).any() or np.isinf(B).any() else _nothing():
            assert bottleneck(A, B) == pytest.approx(d["bottleneck"], rel=1e-12)
        with pytest.warns(UserWarning) if np.isinf(A).any() or np.isinf(B).any() else _nothing():
            assert wasserstein(A, B) == pytest.approx(d["wasserstein"], rel=1e-9)
            assert wasserstein(A, B, p=2, internal_p=np.inf) == pytest.approx(d["wasserstein_2"], rel=1e-9)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_a_circle_has_one_long_loop():
    t = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    X = np.c_[np.cos(t), np.sin(t)]
    h1 = ripser(X)["dgms"][1]
    assert (h1[:, 1] - h1[:, 0] > 1.0).sum() == 1
    assert bottleneck(h1, np.zeros((0, 2))) == pytest.approx((h1[:, 1] - h1[:, 0]).max() / 2, rel=1e-12)


def test_bad_input_is_named():
    X = np.load(FIXTURES / "topo_circle.npy")
    with pytest.raises(ValueError, match=r"`n_perm`: 500 \(must be in \[1, n_samples = 100\]"):
        ripser(X, n_perm=500)
    with pytest.raises(ValueError, match="`thresh`: -1"):
        ripser(X, thresh=-1)
    with pytest.raises(ValueError, match="coeff must be 2"):
        ripser(X, coeff=3)
    D = np.load(FIXTURES / "topo_random_dm.npy").copy()
    D[3, 5] += 1.0
    with pytest.raises(ValueError, match="row 3, column 5 holds"):
        ripser(D, distance_matrix=True)
    with pytest.raises(ValueError, match="must be square"):
        ripser(X, metric="precomputed")
    with pytest.raises(ValueError, match="n_perm"):
        ripser(np.random.default_rng(0).random((3000, 2)), maxdim=3)
    with pytest.raises(ValueError, match="`p`"):
        wasserstein([[0, 1]], [[0, 2]], p=0.5)
    assert {"ripser", "bottleneck", "wasserstein", "persistent_homology"} <= set(unfold.measure.__all__)
