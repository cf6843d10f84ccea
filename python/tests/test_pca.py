"""unfold.PCA against scikit-learn's PCA, the CLI, and its own contract."""

import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from sklearn.base import clone
from sklearn.decomposition import PCA as SkPCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import unfold


@pytest.mark.parametrize("solver", ["full", "covariance_eigh", "randomized"])
def test_matches_sklearn(blobs, solver):
    ours = unfold.PCA(n_components=3, svd_solver=solver, random_state=0).fit(blobs)
    ref = SkPCA(n_components=3, svd_solver=solver, random_state=0).fit(blobs)
    # float32 data: agreement to float32 rounding relative to the data's scale.
    np.testing.assert_allclose(ours.components_, ref.components_, atol=2e-5)
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-5)
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=1e-5)
    np.testing.assert_allclose(ours.singular_values_, ref.singular_values_, rtol=1e-5)
    np.testing.assert_allclose(ours.mean_, ref.mean_, atol=1e-5)
    np.testing.assert_allclose(ours.transform(blobs), ref.transform(blobs), atol=1e-4)
    assert ours.svd_solver_ == solver


def test_mnist_matches_sklearn(mnist):
    X, _ = mnist
    ours = unfold.PCA(n_components=5).fit(X)
    ref = SkPCA(n_components=5).fit(X.astype(np.float64))
    assert ours.svd_solver_ == "covariance_eigh"
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=1e-5)
    np.testing.assert_allclose(ours.embedding_, ref.transform(X.astype(np.float64)), atol=2e-3, rtol=1e-4)


def test_closed_form_on_a_line():
    # Points on the line t·(3, 4)/5: one component (0.6, 0.8), all variance on it.
    t = np.linspace(-2.0, 3.0, 11)
    X = np.outer(t, [0.6, 0.8]) + [1.0, -1.0]
    pca = unfold.PCA(n_components=1).fit(X)
    np.testing.assert_allclose(pca.components_, [[0.6, 0.8]], atol=1e-6)
    np.testing.assert_allclose(pca.explained_variance_ratio_, [1.0], atol=1e-6)
    np.testing.assert_allclose(pca.explained_variance_, [np.var(t, ddof=1)], rtol=1e-5)
    np.testing.assert_allclose(pca.embedding_[:, 0], t - t.mean(), atol=1e-5)


def test_fitted_attributes_and_defaults(blobs):
    pca = unfold.PCA().fit(blobs)
    assert pca.n_components_ == 6 and pca.components_.shape == (6, 6)
    assert pca.n_features_in_ == 6 and pca.n_samples_ == 200
    assert pca.embedding_.shape == (200, 6) and pca.embedding_.dtype == np.float32
    assert pca.get_feature_names_out().tolist() == [f"pca{i}" for i in range(6)]
    assert unfold.PCA().get_params() == {
        "n_components": None,
        "svd_solver": "auto",
        "n_oversamples": 10,
        "iterated_power": "auto",
        "random_state": None,
        "n_jobs": None,
        "verbose": False,
    }


def test_fit_transform_equals_fit_then_transform(blobs):
    pca = unfold.PCA(n_components=2)
    np.testing.assert_array_equal(pca.fit_transform(blobs), pca.transform(blobs))


# --- inputs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int8, np.uint8, np.int32, np.int64, np.bool_])
def test_any_numeric_dtype(dtype):
    X = (np.arange(60).reshape(20, 3) * [1, 7, 3] % 11).astype(dtype)
    expected = unfold.PCA(n_components=2).fit_transform(X.astype(np.float32))
    np.testing.assert_array_equal(unfold.PCA(n_components=2).fit_transform(X), expected)


def test_orders_strides_lists_and_dataframes(blobs):
    expected = unfold.PCA(n_components=2).fit_transform(blobs)
    fortran = np.asfortranarray(blobs)
    wide = np.zeros((400, 12))
    wide[::2, ::2] = blobs
    strided = wide[::2, ::2]
    assert not strided.flags.c_contiguous and not fortran.flags.c_contiguous
    frame = pd.DataFrame(blobs, columns=[f"g{i}" for i in range(6)])
    for X in [fortran, strided, blobs.tolist(), frame]:
        np.testing.assert_array_equal(unfold.PCA(n_components=2).fit_transform(X), expected)
    pca = unfold.PCA(n_components=2).fit(frame)
    assert pca.feature_names_in_.tolist() == list(frame.columns)
    with pytest.warns(UserWarning, match="feature names"):
        pca.transform(blobs)


def test_input_is_not_modified(blobs):
    X = blobs.copy()
    unfold.PCA(n_components=2).fit(X)
    np.testing.assert_array_equal(X, blobs)


def test_set_output_pandas(blobs):
    out = unfold.PCA(n_components=2).set_output(transform="pandas").fit_transform(blobs)
    assert list(out.columns) == ["pca0", "pca1"]


def test_in_a_pipeline(blobs):
    pipe = make_pipeline(StandardScaler(), unfold.PCA(n_components=2))
    ref = make_pipeline(StandardScaler(), SkPCA(n_components=2))
    np.testing.assert_allclose(pipe.fit_transform(blobs), ref.fit_transform(blobs), atol=1e-4)


# --- errors ----------------------------------------------------------------------------------


def test_errors_name_the_problem(blobs):
    nan = blobs.copy()
    nan[17, 4] = np.nan
    with pytest.raises(ValueError, match=r"row 17, column 4 \(counting from 0\) is NaN"):
        unfold.PCA().fit(nan)
    inf = blobs.copy()
    inf[3, 0] = -np.inf
    with pytest.raises(ValueError, match=r"row 3, column 0 .* is -inf"):
        unfold.PCA().fit(inf)
    with pytest.raises(ValueError, match=r"`n_components`: 7 \(must be between 1 and min\(n_samples, n_features\) = min\(200, 6\) = 6\)"):
        unfold.PCA(n_components=7).fit(blobs)
    with pytest.raises(ValueError, match="invalid value for `n_components`: 0 .must be at least 1"):
        unfold.PCA(n_components=0).fit(blobs)
    with pytest.raises(ValueError, match="n_components must be a non-negative integer, got -1"):
        unfold.PCA(n_components=-1).fit(blobs)
    with pytest.raises(ValueError, match="fractional variance targets are not supported"):
        unfold.PCA(n_components=0.95).fit(blobs)
    with pytest.raises(TypeError, match="n_components must be an int, got str 'mle'"):
        unfold.PCA(n_components="mle").fit(blobs)
    with pytest.raises(ValueError, match="`svd_solver`: arpack .must be one of auto, full, covariance_eigh, randomized"):
        unfold.PCA(svd_solver="arpack").fit(blobs)
    with pytest.raises(TypeError, match="iterated_power must be an int, got str 'fast'"):
        unfold.PCA(iterated_power="fast").fit(blobs)
    with pytest.raises(ValueError, match="PCA needs at least 2 rows, but the data has 1"):
        unfold.PCA(n_components=1).fit(blobs[:1])
    pca = unfold.PCA(n_components=2).fit(blobs)
    with pytest.raises(ValueError, match="X has 5 features, but PCA is expecting 6 features as input"):
        pca.transform(blobs[:, :5])
    with pytest.raises(ValueError, match=r"row 17, column 4 .* is NaN"):
        pca.transform(nan)


def test_input_type_errors(blobs):
    with pytest.raises(TypeError, match=r"X is a scipy sparse matrix; .* Densify it with X.toarray\(\)"):
        unfold.PCA().fit(scipy.sparse.csr_matrix(blobs))
    with pytest.raises(TypeError, match=r"X is a scipy sparse matrix"):
        unfold.PCA().fit(scipy.sparse.csr_array(blobs))
    with pytest.raises(TypeError, match=r"X has dtype <U1 \(text or raw bytes\); unfold needs numbers"):
        unfold.PCA().fit(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(TypeError, match="X must be an array-like of numbers .*got str"):
        unfold.PCA().fit("data.csv")
    with pytest.raises(ValueError, match="Complex data not supported"):
        unfold.PCA().fit(blobs + 1j)
    with pytest.raises(ValueError, match=r"Expected 2D array, got 1D array instead: X.shape = \(200,\)"):
        unfold.PCA().fit(blobs[:, 0])
    with pytest.raises(ValueError, match=r"Expected a 2D array, got 3D array"):
        unfold.PCA().fit(blobs.reshape(20, 10, 6))
    with pytest.raises(ValueError, match=r"Found array with 0 sample\(s\) \(shape=\(0, 6\)\)"):
        unfold.PCA().fit(blobs[:0])
    with pytest.raises(ValueError, match=r"Found array with 0 feature\(s\) \(shape=\(200, 0\)\)"):
        unfold.PCA().fit(blobs[:, :0])


def test_parameter_type_errors(blobs):
    with pytest.raises(TypeError, match="random_state must be None, an int or a numpy.random.RandomState, got str"):
        unfold.PCA(random_state="seed").fit(blobs)
    with pytest.raises(ValueError, match=r"random_state must be between 0 and 2\*\*64 - 1, got -3"):
        unfold.PCA(random_state=-3).fit(blobs)
    with pytest.raises(ValueError, match="n_jobs must not be 0: use a positive number of threads, or None or -1"):
        unfold.PCA(n_jobs=0).fit(blobs)
    with pytest.raises(TypeError, match="n_jobs must be None or an int, got float"):
        unfold.PCA(n_jobs=1.5).fit(blobs)


def test_unfitted_transform_raises(blobs):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="This PCA instance is not fitted yet"):
        unfold.PCA().transform(blobs)


# --- state -----------------------------------------------------------------------------------


def test_pickle_round_trip_goes_through_model_bytes(blobs):
    pca = unfold.PCA(n_components=3, svd_solver="randomized", random_state=5).fit(blobs)
    state = pca.__getstate__()
    assert "components_" not in state and "embedding_" not in state and "_model" not in state
    assert state["_model_bytes"].startswith(b"UNFOLD\0M")
    copy = pickle.loads(pickle.dumps(pca))
    assert copy.get_params() == pca.get_params()
    for name in ["components_", "explained_variance_", "explained_variance_ratio_", "singular_values_", "mean_", "embedding_"]:
        np.testing.assert_array_equal(getattr(copy, name), getattr(pca, name))
    assert (copy.n_components_, copy.n_samples_, copy.svd_solver_, copy.n_features_in_) == (3, 200, "randomized", 6)
    np.testing.assert_array_equal(copy.transform(blobs[:10]), pca.transform(blobs[:10]))
    assert "_model" in vars(pca), "pickling must not change the original"


def test_joblib_round_trip(blobs, tmp_path):
    pca = unfold.PCA(n_components=2).fit(blobs)
    joblib.dump(pca, tmp_path / "pca.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "pca.joblib").transform(blobs), pca.transform(blobs))


def test_corrupt_model_bytes_are_refused(blobs):
    from unfold import _core

    good = unfold.PCA(n_components=2).fit(blobs)._model.to_bytes()
    with pytest.raises(ValueError, match=r"not an unfold model file \(the header is missing\)"):
        _core.PcaModel.from_bytes(b"hello")
    with pytest.raises(ValueError, match="holds a `pcb` model, not a `pca` model"):
        _core.PcaModel.from_bytes(good.replace(b"pca", b"pcb", 1))
    with pytest.raises(ValueError, match="model format version 9 is newer than this build reads"):
        _core.PcaModel.from_bytes(good[:8] + b"\x09\x00" + good[10:])
    with pytest.raises(ValueError, match="truncated model file"):
        _core.PcaModel.from_bytes(good[:40])
    flipped = bytearray(good)
    flipped[-1] ^= 0x10
    with pytest.raises(ValueError, match="the checksum does not match"):
        _core.PcaModel.from_bytes(bytes(flipped))


def test_clone_is_unfitted(blobs):
    pca = unfold.PCA(n_components=2, random_state=3).fit(blobs)
    c = clone(pca)
    assert c.get_params() == pca.get_params() and not hasattr(c, "components_")


def test_same_random_state_same_output(mnist):
    X = mnist[0][:3000]
    a = unfold.PCA(n_components=4, svd_solver="randomized", random_state=11).fit_transform(X)
    b = unfold.PCA(n_components=4, svd_solver="randomized", random_state=11, n_jobs=1).fit_transform(X)
    np.testing.assert_array_equal(a, b)
    # A RandomState instance draws the seed from its stream: equal streams give equal results.
    c = unfold.PCA(n_components=4, svd_solver="randomized", random_state=np.random.RandomState(1)).fit_transform(X)
    d = unfold.PCA(n_components=4, svd_solver="randomized", random_state=np.random.RandomState(1)).fit_transform(X)
    np.testing.assert_array_equal(c, d)
    # Few power iterations: the seed shows in the result.
    e = unfold.PCA(n_components=4, svd_solver="randomized", iterated_power=0, random_state=12).fit_transform(X)
    f = unfold.PCA(n_components=4, svd_solver="randomized", iterated_power=0, random_state=11).fit_transform(X)
    assert not np.array_equal(e, f)


def test_verbose_draws_a_progress_bar(blobs, capsys):
    unfold.PCA(n_components=2, verbose=True).fit(blobs)
    err = capsys.readouterr().err
    assert "PCA [" in err and "3/3" in err and err.endswith("\n")
    unfold.PCA(n_components=2).fit(blobs)
    assert capsys.readouterr().err == ""


# --- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["auto", "full", "randomized"])
def test_equals_the_cli(cli, tmp_path, mnist, solver):
    X = mnist[0][:1500]
    np.save(tmp_path / "x.npy", X)
    cli("embed", tmp_path / "x.npy", "--dims", 3, "--svd-solver", solver, "--seed", 42, "-o", tmp_path / "y.npy", "--quiet")
    expected = np.load(tmp_path / "y.npy")
    got = unfold.PCA(n_components=3, svd_solver=solver, random_state=42).fit_transform(X)
    np.testing.assert_array_equal(got, expected)


def test_demo_equals_the_cli(cli, tmp_path, mnist):
    cli("embed", "--quiet", cwd=tmp_path)
    np.testing.assert_array_equal(unfold.PCA(n_components=2).fit_transform(mnist[0]), np.load(tmp_path / "unfold-demo.pca.npy"))
