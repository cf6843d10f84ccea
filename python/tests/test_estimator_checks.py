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
# UMAP passes every check: on the checks' 1 to 15 samples, n_neighbors is lowered to
# n_samples - 1 with a warning as in umap-learn, and a single sample is refused with
# "n_samples = 1" in the message.


def expected_failed_checks(estimator):
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
