"""scikit-learn's estimator checks for every unfold estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

import unfold

# Checks an estimator cannot pass, and why. Keep this list short and every reason true.
EXPECTED_FAILED_CHECKS = {
    "PCA": {
        # The core refuses PCA on one sample with "PCA needs at least 2 rows, but the data has 1";
        # the check accepts only its own wordings ("1 sample", "n_samples = 1", ...).
        "check_fit2d_1sample": "the core's message for a single sample uses its own wording",
    },
}

# UMAP needs n_neighbors < n_samples; umap-learn lowers n_neighbors with a warning instead, unfold
# refuses ("`n_neighbors`: 15 (must be at least 2 and less than the number of points (10))").
# With the default n_neighbors = 15, these checks fit on 1, 10 or 15 samples; the instance with
# n_neighbors = 5 runs the last three of them.
UMAP_TOO_FEW_SAMPLES = "fits on fewer samples than n_neighbors + 1, which UMAP refuses"
UMAP_EXPECTED_FAILED = {
    15: {
        "check_fit2d_1sample": UMAP_TOO_FEW_SAMPLES,
        "check_fit2d_1feature": UMAP_TOO_FEW_SAMPLES + " (10 samples)",
        "check_estimators_nan_inf": UMAP_TOO_FEW_SAMPLES + " (10 samples, before any NaN)",
        "check_n_features_in_after_fitting": UMAP_TOO_FEW_SAMPLES + " (15 samples)",
    },
    5: {"check_fit2d_1sample": UMAP_TOO_FEW_SAMPLES},
}


def expected_failed_checks(estimator):
    if isinstance(estimator, unfold.UMAP):
        return UMAP_EXPECTED_FAILED[estimator.n_neighbors]
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(
    [
        unfold.PCA(),
        unfold.PCA(n_components=2, svd_solver="randomized", random_state=0),
        # Few epochs: the checks test the estimator contract, not convergence.
        unfold.UMAP(random_state=0, n_epochs=20),
        unfold.UMAP(random_state=0, n_epochs=20, n_neighbors=5),
    ],
    expected_failed_checks=expected_failed_checks,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
