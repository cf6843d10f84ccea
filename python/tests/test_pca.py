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
    assert pca.noise_variance_ == 0.0
    assert unfold.PCA().get_params() == {
        "n_components": None,
        "whiten": False,
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
    # Dtypes float32 holds exactly are computed as float32; the others as float64.
    X = (np.arange(60).reshape(20, 3) * [1, 7, 3] % 11).astype(dtype)
    wide = np.dtype(dtype) in (np.float64, np.int32, np.int64)
    expected = unfold.PCA(n_components=2).fit_transform(X.astype(np.float64 if wide else np.float32))
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
    forms = r"must be a whole number ≥ 1, a fraction strictly between 0 and 1, \"mle\" or none"
    for bad in (0, -1, 1.5, "auto", 2.0, np.float64(2.0)):
        with pytest.raises(ValueError, match=rf"invalid value for `n_components`: {float(bad) if isinstance(bad, float) else bad} \({forms}\)"):
            unfold.PCA(n_components=bad).fit(blobs)
    with pytest.raises(ValueError, match=r"`n_components`: 0.5 \(a variance fraction or 'mle' needs the whole spectrum: .* not randomized\)"):
        unfold.PCA(n_components=0.5, svd_solver="randomized").fit(blobs)
    with pytest.raises(ValueError, match="`n_components`: mle .is only supported if n_samples >= n_features, but the data has 4 samples and 6 features"):
        unfold.PCA(n_components="mle").fit(blobs[:4])
    # Wrong types raise an error that is both a ValueError and a TypeError, as scikit-learn's.
    with pytest.raises(TypeError, match="invalid value for `whiten`: yes .must be true or false"):
        unfold.PCA(whiten="yes").fit(blobs)
    assert unfold.PCA(whiten=np.bool_(True)).fit(blobs).whiten
    with pytest.raises(ValueError, match="`svd_solver`: arpack .must be one of auto, full, covariance_eigh, randomized"):
        unfold.PCA(svd_solver="arpack").fit(blobs)
    with pytest.raises(TypeError, match="invalid value for `iterated_power`: fast .must be \"auto\" or a whole number ≥ 0"):
        unfold.PCA(iterated_power="fast").fit(blobs)
    # scikit-learn fits one sample and reports NaN variances; unfold refuses, in the wording
    # scikit-learn's estimator checks accept ("n_samples = 1").
    with pytest.raises(ValueError, match=r"PCA needs at least 2 rows \(its variances divide by n_samples − 1\), but the data has n_samples = 1"):
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
    assert state["_model_bytes"].startswith(b"UNFOLD\x02M\x03\x00\x03pca")
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
        _core.FittedModel.from_bytes(b"hello")
    with pytest.raises(ValueError, match="a model file of kind `pcb`, which this build of unfold does not read"):
        _core.FittedModel.from_bytes(good.replace(b"pca", b"pcb", 1))
    with pytest.raises(ValueError, match="model format version 9 is newer than this build reads"):
        _core.FittedModel.from_bytes(good[:8] + b"\x09\x00" + good[10:])
    with pytest.raises(ValueError, match="truncated model file"):
        _core.FittedModel.from_bytes(good[:40])
    flipped = bytearray(good)
    flipped[-1] ^= 0x10
    with pytest.raises(ValueError, match="the checksum does not match"):
        _core.FittedModel.from_bytes(bytes(flipped))


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


# --- precision: scale and offset -------------------------------------------------------------


def assert_same_pca(ours, ref, X, rtol):
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=rtol)
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=rtol)
    np.testing.assert_allclose(ours.singular_values_, ref.singular_values_, rtol=rtol)
    # Same sign convention (svd_flip): components equal, not only up to sign.
    np.testing.assert_allclose(ours.components_, ref.components_, atol=rtol)
    expected = ref.transform(X)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(ours.transform(X), expected, atol=rtol * scale)
    np.testing.assert_allclose(ours.embedding_, expected, atol=rtol * scale)


@pytest.mark.parametrize("solver", ["auto", "full", "randomized"])
@pytest.mark.parametrize("magnitude", [1e18, 1e19, 1e20, 1e-25])
def test_huge_and_tiny_values_match_sklearn(magnitude, solver):
    # The float32 scatter matrix overflowed at 1e18-1e20 (NaN output, or "eigendecomposition
    # did not converge") and underflowed at 1e-25 (an all-zero embedding).
    X = np.random.default_rng(0).random((200, 5)) * magnitude
    ref = SkPCA(2, svd_solver=solver, random_state=0).fit(X)
    ours = unfold.PCA(2, svd_solver=solver, random_state=0).fit(X)
    assert np.all(np.isfinite(ours.embedding_))
    assert_same_pca(ours, ref, X, 1e-6)
    # float32 input of the same values: float32's precision.
    X32 = X.astype(np.float32)
    ours32 = unfold.PCA(2, svd_solver=solver, random_state=0).fit(X32)
    ref32 = SkPCA(2, svd_solver=solver, random_state=0).fit(X32.astype(np.float64))
    assert_same_pca(ours32, ref32, X32, 2e-4)


@pytest.mark.parametrize("solver", ["auto", "covariance_eigh", "full", "randomized"])
def test_a_large_offset_keeps_its_digits(solver):
    # float32 rounds every value to 1e6 (an all-zero embedding before); float64 input is
    # centred in float64. scikit-learn's covariance_eigh forms X^T X - n mu mu^T and loses every
    # digit of this covariance, so its full SVD of the centred data is the reference.
    X = np.random.default_rng(0).random((200, 5)) * 1e-3 + 1e6
    ref = SkPCA(2, svd_solver="full").fit(X)
    ours = unfold.PCA(2, svd_solver=solver, random_state=0).fit(X)
    assert_same_pca(ours, ref, X, 1e-5)
    np.testing.assert_allclose(ours.mean_, X.mean(axis=0), rtol=1e-15)
    # And it is the same PCA as of the data without the offset and scale.
    base = SkPCA(2, svd_solver="full").fit((X - 1e6) * 1e3)
    np.testing.assert_allclose(ours.explained_variance_ratio_, base.explained_variance_ratio_, rtol=1e-5)


@pytest.mark.parametrize("n_oversamples", [2**62, 2**63 - 1])
def test_oversampling_beyond_the_data_is_the_full_sketch(blobs, n_oversamples):
    # n_components + n_oversamples overflowed 64 bits (2**63 - 1 is the largest a parameter takes); any n_oversamples of at least
    # min(n_samples, n_features) - n_components gives the full-width sketch, hence the exact PCA.
    fit = lambda extra: unfold.PCA(3, svd_solver="randomized", n_oversamples=extra, random_state=2).fit(blobs)  # noqa: E731
    huge, full = fit(n_oversamples), fit(min(blobs.shape) - 3)
    np.testing.assert_array_equal(huge.components_, full.components_)
    np.testing.assert_array_equal(huge.embedding_, full.embedding_)
    ref = SkPCA(3, svd_solver="full").fit(blobs.astype(np.float64))
    np.testing.assert_allclose(huge.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=1e-5)
    np.testing.assert_allclose(np.abs(huge.components_ @ ref.components_.T), np.eye(3), atol=1e-4)


def test_results_that_do_not_fit_raise():
    X = np.where(np.indices((10, 4)).sum(axis=0) % 2 == 0, 3e38, -3e38).astype(np.float32)
    with pytest.raises(ValueError, match=r"the PCA embedding does not fit in float32: row \d+, component 0 is .* scale the data down"):
        unfold.PCA(1).fit(X)
    X = np.random.default_rng(1).random((10, 4)) * 1e200
    with pytest.raises(ValueError, match=r"PCA's variances overflow float64 .* scale the data down"):
        unfold.PCA(1).fit(X)


# --- scikit-learn's other PCA pieces -----------------------------------------------------------


@pytest.mark.parametrize("solver", ["full", "covariance_eigh", "randomized"])
@pytest.mark.parametrize("whiten", [False, True])
def test_whiten_inverse_transform_and_likelihood_match_sklearn(blobs, solver, whiten):
    ours = unfold.PCA(3, whiten=whiten, svd_solver=solver, random_state=0).fit(blobs)
    ref = SkPCA(3, whiten=whiten, svd_solver=solver, random_state=0).fit(blobs)
    np.testing.assert_allclose(ours.fit_transform(blobs), ref.fit_transform(blobs), atol=1e-5)
    np.testing.assert_allclose(ours.transform(blobs[:30]), ref.transform(blobs[:30]), atol=1e-5)
    Y = ref.transform(blobs[:30])
    back = ours.inverse_transform(Y)
    assert back.dtype == np.float64 and back.shape == (30, 6)
    np.testing.assert_allclose(back, ref.inverse_transform(Y), rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(ours.noise_variance_, ref.noise_variance_, rtol=1e-8)
    np.testing.assert_allclose(ours.get_covariance(), ref.get_covariance(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.get_precision(), ref.get_precision(), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours.score_samples(blobs), ref.score_samples(blobs), rtol=1e-8)
    assert isinstance(ours.score(blobs), float)
    np.testing.assert_allclose(ours.score(blobs), ref.score(blobs), rtol=1e-8)


def test_whitened_embedding_has_unit_variance(blobs):
    Z = unfold.PCA(4, whiten=True).fit_transform(blobs)
    np.testing.assert_allclose(Z.var(axis=0, ddof=1), 1.0, rtol=1e-5)


def test_all_components_inverse_transform_gives_the_data(blobs):
    pca = unfold.PCA().fit(blobs)
    np.testing.assert_allclose(pca.inverse_transform(pca.transform(blobs)), blobs, atol=1e-5)


@pytest.mark.parametrize("fraction", [0.5, 0.8, 0.95, 0.999])
def test_variance_fraction_matches_sklearn(blobs, fraction):
    ours = unfold.PCA(fraction).fit(blobs)
    ref = SkPCA(fraction).fit(blobs)
    assert ours.n_components_ == ref.n_components_ and ours.embedding_.shape == (200, ref.n_components_)
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-8)
    np.testing.assert_allclose(ours.noise_variance_, ref.noise_variance_, rtol=1e-8)
    assert ours.explained_variance_ratio_.sum() > fraction


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mle_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 10)) * np.r_[np.full(3 + seed, 5.0), np.full(7 - seed, 0.3)] @ np.linalg.qr(rng.normal(size=(10, 10)))[0]
    ours = unfold.PCA("mle").fit(X)
    ref = SkPCA("mle").fit(X)
    assert ours.n_components_ == ref.n_components_
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-8)
    np.testing.assert_allclose(ours.noise_variance_, ref.noise_variance_, rtol=1e-8)


def test_singular_model_has_no_likelihood(blobs):
    pca = unfold.PCA(4).fit(blobs[:4])
    assert pca.noise_variance_ == 0.0
    with pytest.raises(ValueError, match=r"covariance is singular \(noise_variance_ = 0, n_components = 4, n_features = 6"):
        pca.score(blobs)
    with pytest.raises(ValueError, match="covariance is singular"):
        pca.get_precision()
    with pytest.raises(ValueError, match="the model has 4 components but the data to map back has 3 columns"):
        pca.inverse_transform(np.zeros((2, 3)))


def test_new_attributes_survive_pickling(blobs):
    pca = unfold.PCA(0.9, whiten=True).fit(blobs)
    copy = pickle.loads(pickle.dumps(pca))
    assert copy.noise_variance_ == pca.noise_variance_ and copy.n_components_ == pca.n_components_
    np.testing.assert_array_equal(copy.transform(blobs), pca.transform(blobs))
    np.testing.assert_array_equal(copy.score_samples(blobs), pca.score_samples(blobs))


# --- the command line: float64 files, --whiten, --save-model and transform --------------------


def run_cli(*args):
    import os
    import subprocess
    from pathlib import Path

    path = os.environ.get("UNFOLD_CLI") or str(Path(__file__).resolve().parents[2] / "target" / "release" / "unfold")
    if not Path(path).exists():
        pytest.skip("the unfold command is not built")
    return subprocess.run([path, *map(str, args)], capture_output=True, text=True)


def test_cli_fits_float64_files_in_float64(cli, tmp_path):
    # 1e6 + 1e-3 u: read as float32 this was a constant matrix and an all-zero embedding.
    X = np.random.default_rng(0).random((200, 5)) * 1e-3 + 1e6
    np.save(tmp_path / "x.npy", X)
    cli("embed", tmp_path / "x.npy", "--quiet", "-o", tmp_path / "y.npy")
    ref = SkPCA(2, svd_solver="full").fit(X)
    got = np.load(tmp_path / "y.npy")
    np.testing.assert_allclose(got, ref.transform(X), atol=1e-5 * np.abs(ref.transform(X)).max())
    np.testing.assert_array_equal(got, unfold.PCA(2).fit_transform(X))


@pytest.mark.parametrize("ext, sep", [(".csv", ","), (".tsv", "\t"), (".txt", " ")])
def test_cli_fits_text_files_in_float64(cli, tmp_path, ext, sep):
    # Text holds decimals, not float32: 1e6 + 1e-3 u read as float32 was a constant matrix.
    X = np.random.default_rng(0).random((200, 5)) * 1e-3 + 1e6
    np.savetxt(tmp_path / f"x{ext}", X, delimiter=sep, fmt="%.17g")
    done = cli("embed", tmp_path / f"x{ext}", "--quiet", "--json", "--save-model", tmp_path / "m.pca", "-o", tmp_path / "y.npy")
    import json

    ref = SkPCA(2, svd_solver="full").fit(X)
    summary = json.loads(done.stdout)
    np.testing.assert_allclose(summary["parameters"]["explained_variance_ratio_"], ref.explained_variance_ratio_, rtol=1e-6)
    expected = ref.transform(X)
    got = np.load(tmp_path / "y.npy")
    np.testing.assert_allclose(got, expected, atol=1e-5 * np.abs(expected).max())
    # unfold transform projects text in float64 too.
    cli("transform", "--model", tmp_path / "m.pca", tmp_path / f"x{ext}", "--quiet", "-o", tmp_path / "t.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "t.npy"), got)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cli_huge_values_give_sklearns_pca(cli, tmp_path, dtype):
    X = (np.random.default_rng(0).random((200, 5)) * 1e20).astype(dtype)
    np.save(tmp_path / "x.npy", X)
    cli("embed", tmp_path / "x.npy", "--quiet", "-o", tmp_path / "y.npy")
    expected = SkPCA(2).fit_transform(X.astype(np.float64))
    got = np.load(tmp_path / "y.npy")
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, expected, atol=2e-4 * np.abs(expected).max())


def test_cli_refuses_an_embedding_float32_cannot_hold(tmp_path):
    X = np.where(np.indices((10, 4)).sum(axis=0) % 2 == 0, 3e38, -3e38).astype(np.float32)
    np.save(tmp_path / "x.npy", X)
    done = run_cli("embed", tmp_path / "x.npy", "--dims", 1, "--quiet", "-o", tmp_path / "y.npy")
    assert done.returncode == 2, done.stderr
    assert "the PCA embedding does not fit in float32" in done.stderr
    assert not (tmp_path / "y.npy").exists()


def test_cli_whiten_save_model_and_transform(cli, tmp_path, blobs):
    train, new = blobs[:150], blobs[150:]
    np.save(tmp_path / "train.npy", train)
    np.save(tmp_path / "new.npy", new)
    done = cli(
        "embed", tmp_path / "train.npy", "--dims", 3, "--whiten", "--save-model", tmp_path / "m.pca",
        "-o", tmp_path / "train.pca.npy", "--json", "--quiet",
    )
    import json

    summary = json.loads(done.stdout)
    assert summary["parameters"]["whiten"] is True and summary["model"] == str(tmp_path / "m.pca")
    ours = unfold.PCA(3, whiten=True).fit(train)
    np.testing.assert_array_equal(np.load(tmp_path / "train.pca.npy"), ours.embedding_)
    # The model file is the model's bytes, as pickling uses them.
    assert (tmp_path / "m.pca").read_bytes() == ours._model.to_bytes()
    done = cli("transform", "--model", tmp_path / "m.pca", tmp_path / "new.npy", "-o", tmp_path / "new.pca.npy", "--json", "--quiet")
    assert json.loads(done.stdout)["method"] == "pca-transform"
    ref = SkPCA(3, whiten=True).fit(train)
    np.testing.assert_allclose(np.load(tmp_path / "new.pca.npy"), ref.transform(new), atol=1e-5)
    # A model of the wrong width is refused, naming both widths.
    np.save(tmp_path / "narrow.npy", new[:, :4])
    done = run_cli("transform", "--model", tmp_path / "m.pca", tmp_path / "narrow.npy", "-o", tmp_path / "z.npy", "--quiet")
    assert done.returncode == 2 and "the model was fitted on 6 columns but the data has 4" in done.stderr


def test_cli_whiten_is_pca_only(tmp_path, blobs):
    np.save(tmp_path / "x.npy", blobs)
    done = run_cli("embed", tmp_path / "x.npy", "--method", "umap", "--whiten", "--quiet")
    assert done.returncode == 2 and "--whiten does not apply to --method umap" in done.stderr


def test_values_beyond_float32_in_a_float64_file(cli, tmp_path):
    # 1e39 + 1e30 u: no value fits float32, every centred value and projection does.
    X = 1e39 + np.random.default_rng(2).random((100, 4)) * 1e30
    np.save(tmp_path / "x.npy", X)
    cli("embed", tmp_path / "x.npy", "--save-model", tmp_path / "m.pca", "--quiet", "-o", tmp_path / "y.npy")
    expected = SkPCA(2, svd_solver="full").fit(X).transform(X)
    atol = 1e-5 * np.abs(expected).max()
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), expected, atol=atol)
    np.testing.assert_allclose(unfold.PCA(2).fit_transform(X), expected, atol=atol)
    cli("transform", "--model", tmp_path / "m.pca", tmp_path / "x.npy", "--quiet", "-o", tmp_path / "z.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "z.npy"), np.load(tmp_path / "y.npy"))
    # Too far apart for float32 once centred: an error naming it, not "+inf" in the file.
    np.save(tmp_path / "far.npy", X * 1e9)
    done = run_cli("embed", tmp_path / "far.npy", "--quiet", "-o", tmp_path / "far.pca.npy")
    assert done.returncode == 2 and "the PCA embedding does not fit in float32" in done.stderr, done.stderr
