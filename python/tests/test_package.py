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
