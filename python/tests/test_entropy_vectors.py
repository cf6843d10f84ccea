"""DSMI with a multi-column reference: its spectral clusters are scikit-learn's
SpectralClustering with the dse_dsmi package's settings, and DSMI equals DSMI with those
clusters given as precomputed_clusters."""

import numpy as np
import pytest
from sklearn.cluster import SpectralClustering
from sklearn.metrics import adjusted_rand_score

import unfold


def blobs(seed, centres, std, per):
    rng = np.random.default_rng(seed)
    return np.concatenate([c + std * rng.normal(size=(per, len(c))) for c in centres])


@pytest.mark.parametrize("centres,std", [(10.0 * np.eye(3, 4), 0.5), (5.0 * np.eye(3, 3), 1.0)])
def test_reference_vectors_are_clustered_as_the_package(centres, std):
    ref = blobs(2, centres, std, 40)
    emb = np.random.default_rng(3).normal(size=(len(ref), 5))
    emb[:40] += 2.0
    mi, clusters = unfold.measure.diffusion_spectral_mutual_information(emb, ref, n_clusters=3)
    sk = SpectralClustering(n_clusters=3, affinity="nearest_neighbors", assign_labels="cluster_qr",
                            random_state=0).fit(ref).labels_
    assert adjusted_rand_score(clusters, sk) == 1.0
    mi_sk, _ = unfold.measure.diffusion_spectral_mutual_information(emb, ref, precomputed_clusters=sk, n_clusters=3)
    assert mi == pytest.approx(mi_sk, abs=1e-9)
    assert mi > 0.05  # the first group is shifted in the embedding


def test_too_many_clusters_is_named():
    ref = blobs(0, np.eye(2, 3), 0.1, 8)
    with pytest.raises(ValueError, match=r"n_clusters.*\[1, 16\]"):
        unfold.measure.diffusion_spectral_mutual_information(ref, ref, n_clusters=17)
