"""The UMAP layout keeps every point with the rest, as umap-learn does, on small data at small
n_neighbors (references: crates/unfold-learn/tests/fixtures/make_umap_spread.py)."""
import importlib.util
import json
import pathlib

import numpy as np
import pytest

import unfold

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "crates" / "unfold-learn" / "tests" / "fixtures"
REFERENCE = json.loads((FIXTURES / "umap_spread.json").read_text())


def _fixture_script():
    spec = importlib.util.spec_from_file_location("make_umap_spread", FIXTURES / "make_umap_spread.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT = _fixture_script()
CASES = {name: (X, params, seeds) for name, X, params, seeds in SCRIPT.cases()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_point_is_flung_away_from_the_rest(name):
    from sklearn.manifold import trustworthiness

    X, params, seeds = CASES[name]
    ref = REFERENCE["cases"][name]
    assert ref["params"] == params and ref["seeds"] == seeds
    ratios, trusts = [], []
    for seed in seeds:
        emb = unfold.UMAP(random_state=seed, **params).fit_transform(X)
        assert np.isfinite(emb).all()
        ratios.append(SCRIPT.spread_ratio(emb))
        trusts.append(trustworthiness(X, emb, n_neighbors=5))
    assert max(ratios) <= 2 * ref["max_ratio"], f"{name}: farthest point at {max(ratios):.2f} × the 90th-percentile radius, umap-learn {ref['max_ratio']:.2f}"
    assert min(trusts) >= ref["min_trustworthiness"] - 0.01, f"{name}: trustworthiness {min(trusts):.4f}, umap-learn {ref['min_trustworthiness']:.4f}"


def test_digits_tutorial_matches_umap_learn_quality():
    # umap-learn's "Transforming new data" tutorial: trustworthiness at least the peer's.
    from sklearn.manifold import trustworthiness

    X, params, seeds = CASES["digits_tutorial"]
    emb = unfold.UMAP(random_state=seeds[0], **params).fit_transform(X)
    assert trustworthiness(X, emb, n_neighbors=5) >= REFERENCE["cases"]["digits_tutorial"]["min_trustworthiness"] - 0.002


def test_unique_embeds_each_distinct_row_once_and_copies_share_it():
    rng = np.random.default_rng(3)
    base = rng.normal(size=(120, 6))
    X = np.vstack([base, base[:40], base[:40]])  # 80 copies of the first 40 rows
    order = rng.permutation(len(X))
    X = X[order]
    reducer = unfold.UMAP(n_neighbors=10, unique=True, random_state=5, n_epochs=50)
    emb = reducer.fit_transform(X)
    assert emb.shape == (200, 2)
    distinct, inverse = np.unique(X, axis=0, return_inverse=True)
    assert reducer.graph_.shape == (120, 120)
    # Every copy of a row has that row's coordinates: the fit of the distinct rows, spread back.
    reference = unfold.UMAP(n_neighbors=10, random_state=5, n_epochs=50).fit_transform(distinct)
    np.testing.assert_array_equal(emb, reference[inverse.reshape(-1)])
    # Without unique, the copies are separate points of the graph.
    assert unfold.UMAP(n_neighbors=10, random_state=5, n_epochs=50).fit(X).graph_.shape == (200, 200)
    with pytest.raises(ValueError, match="init has 3 rows but X has 200"):
        unfold.UMAP(unique=True, init=np.zeros((3, 2))).fit(X)


def test_unique_refuses_precomputed_distances_by_name():
    D = np.abs(np.subtract.outer(np.arange(20.0), np.arange(20.0)))
    with pytest.raises(ValueError, match="unique=True does not apply to metric='precomputed'"):
        unfold.UMAP(unique=True, metric="precomputed", n_neighbors=5).fit(D)
