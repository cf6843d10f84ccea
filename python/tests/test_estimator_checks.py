"""scikit-learn's estimator checks for every unfold estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

import unfold

# Checks an estimator cannot pass, and why. Keep this list short and every reason true.
EXPECTED_FAILED_CHECKS = {}
# Every estimator passes every check. PCA refuses a single sample with "n_samples = 1" in the
# message (scikit-learn's PCA fits it and reports NaN variances, which unfold never returns).
# UMAP: on the checks' 1 to 15 samples, n_neighbors is lowered to n_samples - 1 with a warning as
# in umap-learn, and a single sample is refused with "n_samples = 1" in the message.


def expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(
    [
        unfold.PCA(),
        unfold.PCA(n_components=2, svd_solver="randomized", random_state=0),
        # Few epochs: the checks test the estimator contract, not convergence.
        unfold.UMAP(random_state=0, n_epochs=20),
        unfold.UMAP(random_state=0, n_epochs=20, n_neighbors=5),
        # As scikit-learn's own checks: "auto" needs more features than the checks' data has.
        unfold.GaussianRandomProjection(n_components=2, random_state=0),
        unfold.SparseRandomProjection(n_components=2, random_state=0),
        unfold.SpectralEmbedding(random_state=0),
        unfold.SpectralEmbedding(affinity="rbf", random_state=0),
        # Few iterations: the checks test the estimator contract, not convergence.
        unfold.MDS(random_state=0, max_iter=20),
        unfold.MDS(metric_mds=False, init="classical_mds", max_iter=20),
        unfold.ClassicalMDS(),
        unfold.DiffusionMap(random_state=0),
        unfold.DiffusionMap(n_neighbors=10, epsilon=1.0, adaptive_k=3, random_state=0),
        unfold.LocallyLinearEmbedding(random_state=0),
        # Standard LLE only: the checks compare transform(X) with the embedding, which the
        # barycenter transform reproduces for standard LLE alone (as in scikit-learn).
        unfold.LocallyLinearEmbedding(n_neighbors=6, eigen_solver="arpack", random_state=0),
        unfold.Isomap(random_state=0),
        unfold.PHATE(random_state=0),
        unfold.HeatGeo(random_state=0),
        unfold.HyperbolicDiffusion(n_scales=3),
        unfold.Isomap(n_landmarks=8, n_neighbors=4, random_state=0),
        # As scikit-learn's own checks of its TSNE: a perplexity the checks' few samples allow.
        unfold.TSNE(perplexity=2, early_exaggeration_iter=20, max_iter=20, random_state=0),
        unfold.NearestNeighbors(),
        unfold.TruncatedSVD(random_state=0),
    ],
    expected_failed_checks=expected_failed_checks,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
