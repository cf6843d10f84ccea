"""Package-level behaviour: lazy imports, docs examples, Ctrl-C, the sklearn drop-in."""

import doctest
import importlib
import json
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import unfold


def run_python(code, **kwargs):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, **kwargs)


def test_import_is_lazy_and_fast():
    done = run_python(
        """
        import sys, time
        t = time.perf_counter()
        import unfold
        elapsed = time.perf_counter() - t
        print("sklearn" in sys.modules, elapsed)
        unfold.PCA
        print("sklearn" in sys.modules)
        """
    )
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.split("\n")[:2]
    loaded, seconds = first.split()
    assert loaded == "False" and second == "True"
    assert float(seconds) < 0.3


def test_public_names():
    assert set(unfold.__all__) >= {"PCA", "UMAP", "neighbors", "metrics", "datasets", "plot", "__version__"}
    assert set(dir(unfold)) == set(unfold.__all__)
    with pytest.raises(AttributeError, match="module 'unfold' has no attribute 'UMAPP'"):
        unfold.UMAPP


@pytest.mark.parametrize("module", ["unfold", "unfold._pca", "unfold._umap", "unfold._neighbors", "unfold.metrics", "unfold.datasets"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_ctrl_c_stops_a_long_computation(interrupted):
    # An exact kNN of 30,000 × 784 points takes far longer than the test waits.
    code = """
        import numpy as np, unfold
        X = np.random.default_rng(0).random((30000, 784), dtype=np.float32)
        print("start", flush=True)
        try:
            unfold.neighbors(X, 15, exact=True)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
        """
    assert interrupted(code, wait=1.0) < 1.5


def test_sklearn_script_runs_with_only_the_import_changed(tmp_path, mnist):
    script = textwrap.dedent(
        """
        import json
        import numpy as np
        from sklearn.neighbors import KNeighborsClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from {module} import PCA

        X = np.load("x.npy"); y = np.load("y.npy")
        pca = PCA(n_components=10, random_state=0)
        Z = pca.fit_transform(X)
        pipe = make_pipeline(StandardScaler(), PCA(n_components=20), KNeighborsClassifier())
        pipe.fit(X[:1000], y[:1000])
        print(json.dumps({{"shape": Z.shape, "ratio": pca.explained_variance_ratio_.tolist(),
                          "first": Z[0].tolist(), "score": pipe.score(X[1000:], y[1000:])}}))
        """
    )
    np.save(tmp_path / "x.npy", mnist[0][:1500].astype(np.float64))
    np.save(tmp_path / "y.npy", mnist[1][:1500])
    results = []
    for module in ["sklearn.decomposition", "unfold"]:
        done = run_python(script.format(module=module), cwd=tmp_path, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        assert done.returncode == 0, done.stderr
        results.append(json.loads(done.stdout))
    ref, ours = results
    assert ours["shape"] == ref["shape"] == [1500, 10]
    np.testing.assert_allclose(ours["ratio"], ref["ratio"], rtol=1e-3)  # randomized solver: own random vectors
    # Components 9 and 10 have nearly equal variances, so randomized solvers may mix them;
    # the leading five are well separated.
    np.testing.assert_allclose(ours["first"][:5], ref["first"][:5], rtol=1e-3, atol=0.1)
    assert abs(ours["score"] - ref["score"]) <= 0.02


# --- conversions shared by every entry point ---------------------------------------------------

TOO_LARGE = 2**64


@pytest.mark.parametrize(
    "name, call",
    [
        ("n_neighbors", lambda X: unfold.UMAP(n_neighbors=TOO_LARGE).fit(X)),
        ("n_epochs", lambda X: unfold.UMAP(n_epochs=TOO_LARGE).fit(X)),
        ("negative_sample_rate", lambda X: unfold.UMAP(negative_sample_rate=TOO_LARGE).fit(X)),
        ("transform_seed", lambda X: unfold.UMAP(transform_seed=TOO_LARGE).fit(X)),
        ("target_n_neighbors", lambda X: unfold.UMAP(target_n_neighbors=TOO_LARGE).fit(X, np.arange(len(X)) % 2)),
        ("k", lambda X: unfold.neighbors(X, k=TOO_LARGE)),
        ("n_oversamples", lambda X: unfold.PCA(n_oversamples=TOO_LARGE).fit(X)),
        ("n_components", lambda X: unfold.PCA(n_components=TOO_LARGE).fit(X)),
        ("iterated_power", lambda X: unfold.PCA(iterated_power=TOO_LARGE).fit(X)),
        ("n_neighbors", lambda X: unfold.metrics.trustworthiness(X, X, n_neighbors=TOO_LARGE)),
    ],
)
def test_integers_too_large_name_the_parameter_and_range(blobs, name, call):
    message = rf"invalid value for `{name}`: {TOO_LARGE} \(must be at most 2\*\*64 - 1 = {TOO_LARGE - 1}\)"
    with pytest.raises(ValueError, match=message):
        call(blobs)


def test_n_jobs_is_capped_at_the_cores(blobs):
    from unfold._validation import threads_from_n_jobs

    cores = unfold._core.available_parallelism()
    assert 1 <= cores <= os.cpu_count()
    assert threads_from_n_jobs(1000) == cores
    assert threads_from_n_jobs(1) == 1
    assert threads_from_n_jobs(-2) == max(1, cores - 1)
    assert threads_from_n_jobs(-1000) == 1
    # A thousand threads would be started for every stage (13 s here before the cap).
    started = time.perf_counter()
    expected = unfold.UMAP(random_state=0, n_epochs=50).fit_transform(blobs)
    one_run = time.perf_counter() - started
    started = time.perf_counter()
    many = unfold.UMAP(random_state=0, n_epochs=50, n_jobs=1000).fit_transform(blobs)
    assert time.perf_counter() - started < 3 * one_run + 1.0
    np.testing.assert_array_equal(many, expected)


def test_pandas_missing_values_are_reported_as_nan():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": np.arange(8.0), "b": np.arange(8) % 3})
    frame = frame.astype({"a": "Float64", "b": "Int64"})
    frame.loc[5, "b"] = pd.NA
    message = r"row 5, column 1 \(counting from 0\) is NaN"
    for call in [
        lambda: unfold.PCA().fit(frame),
        lambda: unfold.UMAP(n_neighbors=3).fit(frame),
        lambda: unfold.neighbors(frame, k=2),
        lambda: unfold.metrics.trustworthiness(frame, np.zeros((8, 2)), n_neighbors=2),
    ]:
        with pytest.raises(ValueError, match=message):
            call()
    # Without a gap, the nullable columns are plain numbers.
    filled = frame.fillna(1)
    np.testing.assert_array_equal(unfold.PCA().fit_transform(filled), unfold.PCA().fit_transform(filled.astype(float).to_numpy()))


@pytest.mark.parametrize(
    "make, breaks",
    [
        (lambda: unfold.PCA(n_components=2), lambda est: est.set_params(n_components=5)),
        (lambda: unfold.UMAP(n_epochs=30, random_state=0), lambda est: est.set_params(min_dist=2.0)),
    ],
)
def test_a_failed_refit_keeps_the_fitted_state(blobs, make, breaks):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(blobs, columns=[f"f{i}" for i in range(6)])
    est = make().fit(frame)
    before = {k: v for k, v in vars(est).items() if k.endswith("_") or k == "_model"}
    embedded = est.transform(frame.iloc[:10])
    nan = blobs[:50, :4].copy()
    nan[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"row 3, column 1 \(counting from 0\) is NaN"):
        est.fit(nan)
    breaks(est)
    with pytest.raises(ValueError, match=r"invalid value for `(n_components|min_dist)`"):
        est.fit(blobs[:40, :3])
    after = {k: v for k, v in vars(est).items() if k.endswith("_") or k == "_model"}
    assert after.keys() == before.keys()
    assert est.n_features_in_ == 6 and est.feature_names_in_.tolist() == list(frame.columns)
    assert est._model is before["_model"]
    np.testing.assert_array_equal(est.transform(frame.iloc[:10]), embedded)
