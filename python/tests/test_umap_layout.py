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
