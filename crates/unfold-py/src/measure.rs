//! Measurements of the data (`unfold_learn::measure`): the intrinsic dimension, persistent
//! homology.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use unfold_learn::Metric;
use unfold_learn::measure::intrinsic_dim::{Combine, EssVersion, Estimator, IdParams, LpcaVersion, MindVersion, TwoNnMethod, intrinsic_dimension as estimate};

use unfold_learn::measure::curvature::{RicciParams, ollivier_ricci as ollivier_ricci_core};
use unfold_learn::measure::entropy::{
    DseParams, DsmiParams, Reference, diffusion_spectral_entropy as dse_core, diffusion_spectral_mutual_information as dsmi_core,
};
use unfold_learn::measure::hyperbolicity::{HyperbolicityMethod, HyperbolicityParams, hyperbolicity as hyperbolicity_core};
use unfold_learn::measure::topology::diagram_distance::{bottleneck, wasserstein};
use unfold_learn::measure::topology::{RipsParams, rips_persistence as rips_persistence_core};

use crate::convert::{self, to_py_err};
use crate::run::run;

/// The estimator named by the Python layer, with scikit-dimension's option values; `ver` is the
/// named estimator's own (lpca, ess, mind_ml), `counts` are CorrInt's `k1`, `k2` and MiND-ML's `D`.
#[allow(clippy::too_many_arguments)]
fn estimator(
    name: &str,
    discard_fraction: f64,
    twonn_method: &str,
    unbiased: bool,
    comb: &str,
    ver: &str,
    lpca: [f64; 5],
    counts: [usize; 3],
) -> PyResult<Estimator> {
    let [alpha_fo, alpha_fan, beta_fan, p_fan, alpha_ratio] = lpca;
    let [k1, k2, max_dim] = counts;
    let bad = |what: &str, value: &str, allowed: &str| PyValueError::new_err(format!("{what} must be one of {allowed}, got {value:?}"));
    let mean_or_median = || match comb {
        "mean" => Ok(Combine::Mean),
        "median" => Ok(Combine::Median),
        c => Err(bad("comb", c, "'mean', 'median'")),
    };
    Ok(match name {
        "twonn" => Estimator::TwoNn {
            discard_fraction,
            method: match twonn_method {
                "linear" => TwoNnMethod::Linear,
                "mle" => TwoNnMethod::Mle,
                m => return Err(bad("method", m, "'linear', 'mle'")),
            },
        },
        "mle" => Estimator::Mle {
            unbiased,
            comb: match comb {
                "mle" => Combine::Mle,
                "mean" => Combine::Mean,
                "median" => Combine::Median,
                c => return Err(bad("comb", c, "'mle', 'mean', 'median'")),
            },
        },
        "lpca" => Estimator::Lpca {
            version: match ver {
                "FO" => LpcaVersion::Fo { alpha: alpha_fo },
                "Fan" => LpcaVersion::Fan { alpha: alpha_fan, beta: beta_fan, p: p_fan },
                "maxgap" => LpcaVersion::Maxgap,
                "ratio" => LpcaVersion::Ratio { alpha: alpha_ratio },
                "participation_ratio" => LpcaVersion::ParticipationRatio,
                "Kaiser" => LpcaVersion::Kaiser,
                "broken_stick" => LpcaVersion::BrokenStick,
                v => return Err(bad("ver", v, "'FO', 'Fan', 'maxgap', 'ratio', 'participation_ratio', 'Kaiser', 'broken_stick'")),
            },
        },
        "corrint" => Estimator::CorrInt { k1, k2 },
        "mada" => Estimator::Mada { comb: mean_or_median()? },
        "ess" => Estimator::Ess {
            ver: match ver {
                "a" => EssVersion::A,
                "b" => EssVersion::B,
                v => return Err(bad("ver", v, "'a', 'b'")),
            },
            comb: mean_or_median()?,
        },
        "mind_ml" => Estimator::MindMl {
            max_dim,
            ver: match ver {
                "MLk" => MindVersion::Mlk,
                "MLi" => MindVersion::Mli,
                v => return Err(bad("ver", v, "'MLk', 'MLi'")),
            },
        },
        e => return Err(bad("method", e, "'twonn', 'mle', 'lpca', 'corrint', 'mada', 'ess', 'mind_ml'")),
    })
}

/// Returns `(dimension, per-point estimates or None, neighbours used, points dropped)`.
#[pyfunction]
#[pyo3(signature = (x, *, estimator_name, n_neighbors, per_point, metric, seed, threads, verbose, discard_fraction, twonn_method, unbiased, comb, ver, lpca, counts))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn intrinsic_dimension<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'_, f32>,
    estimator_name: &str,
    n_neighbors: Option<usize>,
    per_point: bool,
    metric: &str,
    seed: Option<u64>,
    threads: Option<usize>,
    verbose: bool,
    discard_fraction: f64,
    twonn_method: &str,
    unbiased: bool,
    comb: &str,
    ver: &str,
    lpca: [f64; 5],
    counts: [usize; 3],
) -> PyResult<(f64, Option<Bound<'py, PyArray1<f64>>>, usize, usize)> {
    let estimator = estimator(estimator_name, discard_fraction, twonn_method, unbiased, comb, ver, lpca, counts)?;
    let metric = Metric::parse(metric).map_err(to_py_err)?;
    let (xv, n, d) = convert::row_major(&x);
    let data = convert::data(&xv, n, d)?;
    let params = IdParams { estimator, n_neighbors, per_point, metric, seed, threads };
    let report = run(py, "intrinsic_dimension", verbose, |progress| estimate(&data, &params, progress))?;
    let pw = report.per_point.map(|v| v.into_pyarray(py));
    Ok((report.dimension, pw, report.n_neighbors, report.dropped))
}

/// Returns `(dgms, num_edges, idx_perm, r_cover)`: one `(k, 2)` float64 array per dimension.
#[pyfunction]
#[pyo3(signature = (x, *, maxdim, thresh, metric, n_perm, threads, verbose))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn rips_persistence<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'_, f32>,
    maxdim: usize,
    thresh: f64,
    metric: &Bound<'py, PyAny>,
    n_perm: Option<usize>,
    threads: Option<usize>,
    verbose: bool,
) -> PyResult<(Vec<Bound<'py, numpy::PyArray2<f64>>>, usize, Bound<'py, PyArray1<i64>>, f64)> {
    let metric = convert::metric(metric)?;
    let (xv, n, d) = convert::row_major(&x);
    let data = convert::data(&xv, n, d)?;
    let params = RipsParams { maxdim, thresh, metric, n_perm, threads };
    let p = run(py, "ripser", verbose, |progress| rips_persistence_core(&data, &params, progress))?;
    let dgms = p
        .dgms
        .into_iter()
        .map(|d| {
            let k = d.len();
            convert::matrix(py, d.into_iter().flatten().collect(), k, 2)
        })
        .collect::<PyResult<Vec<_>>>()?;
    let idx: Vec<i64> = p.idx_perm.iter().map(|&i| i as i64).collect();
    Ok((dgms, p.num_edges, idx.into_pyarray(py), p.r_cover))
}

fn diagram(x: &PyReadonlyArray2<'_, f64>, name: &str) -> PyResult<Vec<[f64; 2]>> {
    let (v, _, c) = convert::row_major(x);
    if c < 2 && !v.is_empty() {
        return Err(PyValueError::new_err(format!("{name} must have 2 columns (birth, death), got {c}")));
    }
    Ok(v.chunks(c.max(1)).map(|r| [r[0], r[1]]).collect())
}

/// persim's bottleneck distance (L∞ ground metric).
#[pyfunction]
fn bottleneck_distance(dgm1: PyReadonlyArray2<'_, f64>, dgm2: PyReadonlyArray2<'_, f64>) -> PyResult<f64> {
    bottleneck(&diagram(&dgm1, "dgm1")?, &diagram(&dgm2, "dgm2")?).map_err(to_py_err)
}

/// The p-Wasserstein distance with the L_q ground metric, `q = internal_p`.
#[pyfunction]
fn wasserstein_distance(dgm1: PyReadonlyArray2<'_, f64>, dgm2: PyReadonlyArray2<'_, f64>, p: f64, internal_p: f64) -> PyResult<f64> {
    wasserstein(&diagram(&dgm1, "dgm1")?, &diagram(&dgm2, "dgm2")?, p, internal_p).map_err(to_py_err)
}

/// Returns `(entropy, eigenvalues, rows used)`.
#[pyfunction]
#[pyo3(signature = (x, *, sigma, t, max_n, seed, threads, verbose))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn diffusion_spectral_entropy<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'_, f32>,
    sigma: f64,
    t: u32,
    max_n: Option<usize>,
    seed: u64,
    threads: Option<usize>,
    verbose: bool,
) -> PyResult<(f64, Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<i64>>)> {
    let (xv, n, d) = convert::row_major(&x);
    let data = convert::data(&xv, n, d)?;
    let params = DseParams { sigma, t, max_n, seed, threads };
    let r = run(py, "diffusion_spectral_entropy", verbose, |progress| dse_core(&data, &params, progress))?;
    let rows: Vec<i64> = r.rows.iter().map(|&i| i as i64).collect();
    Ok((r.entropy, r.eigenvalues.into_pyarray(py), rows.into_pyarray(py)))
}

/// Returns `(mutual information, clusters, [(class, count, conditional entropy, subsample
/// entropy)])`; exactly one of `labels` (codes), `scalar` and `vectors` (spectrally clustered)
/// is given.
#[pyfunction]
#[pyo3(signature = (x, *, labels, scalar, sigma, t, max_n, seed, num_repetitions, n_clusters, threads, verbose, vectors=None))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn diffusion_spectral_mutual_information<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'_, f32>,
    labels: Option<numpy::PyReadonlyArray1<'_, i64>>,
    scalar: Option<numpy::PyReadonlyArray1<'_, f64>>,
    sigma: f64,
    t: u32,
    max_n: Option<usize>,
    seed: u64,
    num_repetitions: usize,
    n_clusters: usize,
    threads: Option<usize>,
    verbose: bool,
    vectors: Option<PyReadonlyArray2<'_, f32>>,
) -> PyResult<(f64, Bound<'py, PyArray1<i64>>, Vec<(i64, usize, f64, f64)>)> {
    let (xv, n, d) = convert::row_major(&x);
    let data = convert::data(&xv, n, d)?;
    let labels: Option<Vec<i64>> = labels.map(|l| l.as_array().iter().copied().collect());
    let scalar: Option<Vec<f64>> = scalar.map(|s| s.as_array().iter().copied().collect());
    let vectors = vectors.as_ref().map(|v| convert::row_major(v));
    let reference = match (&labels, &scalar, &vectors) {
        (Some(l), None, None) => Reference::Labels(l),
        (None, Some(s), None) => Reference::Scalar(s),
        (None, None, Some((v, _, cols))) => Reference::Vectors(v, *cols),
        _ => return Err(PyValueError::new_err("give exactly one of labels, scalar and vectors")),
    };
    let params = DsmiParams { dse: DseParams { sigma, t, max_n, seed, threads }, num_repetitions, n_clusters };
    let r = run(py, "diffusion_spectral_mutual_information", verbose, |progress| dsmi_core(&data, &reference, &params, progress))?;
    let classes = r.classes.iter().map(|c| (c.class, c.count, c.conditional_entropy, c.subsample_entropy)).collect();
    Ok((r.mutual_information, r.clusters.into_pyarray(py), classes))
}

/// Returns `(delta, method, quadruple, diameter, n_quadruples, base_point, delta_base_point)`.
#[pyfunction]
#[pyo3(signature = (x, *, metric, n_neighbors, method, n_samples, seed, threads, verbose))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn hyperbolicity(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f32>,
    metric: &Bound<'_, PyAny>,
    n_neighbors: Option<usize>,
    method: &str,
    n_samples: usize,
    seed: Option<u64>,
    threads: Option<usize>,
    verbose: bool,
) -> PyResult<(f64, &'static str, [usize; 4], f64, u64, Option<usize>, Option<f64>)> {
    let metric = convert::metric(metric)?;
    let method = match method {
        "auto" => HyperbolicityMethod::Auto,
        "exact" => HyperbolicityMethod::Exact,
        "sampled" => HyperbolicityMethod::Sampled,
        m => return Err(PyValueError::new_err(format!("method must be one of 'auto', 'exact', 'sampled', got {m:?}"))),
    };
    let (xv, n, d) = convert::row_major(&x);
    let data = convert::data(&xv, n, d)?;
    let params = HyperbolicityParams { metric, n_neighbors, method, n_samples, seed, threads };
    let h = run(py, "hyperbolicity", verbose, |progress| hyperbolicity_core(&data, &params, progress))?;
    Ok((h.delta, h.method, h.quadruple, h.diameter, h.n_quadruples, h.base_point, h.delta_base_point))
}

/// Returns `(edges (m, 2) int64, edge curvature, node curvature)`.
#[pyfunction]
#[pyo3(signature = (x, *, n_neighbors, metric, weighted, alpha, base, exp_power, seed, threads, verbose))]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn ollivier_ricci<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'_, f32>,
    n_neighbors: usize,
    metric: &Bound<'py, PyAny>,
    weighted: bool,
    alpha: f64,
    base: f64,
    exp_power: f64,
    seed: Option<u64>,
    threads: Option<usize>,
    verbose: bool,
) -> PyResult<(Bound<'py, numpy::PyArray2<i64>>, Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>)> {
    let metric = convert::metric(metric)?;
    let (xv, n, d) = convert::row_major(&x);
    let data = convert::data(&xv, n, d)?;
    let params = RicciParams { n_neighbors, metric, weighted, alpha, base, exp_power, seed, threads };
    let r = run(py, "ollivier_ricci", verbose, |progress| ollivier_ricci_core(&data, &params, progress))?;
    let m = r.edges.len();
    let edges: Vec<i64> = r.edges.iter().flat_map(|e| [i64::from(e[0]), i64::from(e[1])]).collect();
    Ok((convert::matrix(py, edges, m, 2)?, r.edge_curvature.into_pyarray(py), r.node_curvature.into_pyarray(py)))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(ollivier_ricci, m)?)?;
    m.add_function(wrap_pyfunction!(hyperbolicity, m)?)?;
    m.add_function(wrap_pyfunction!(diffusion_spectral_entropy, m)?)?;
    m.add_function(wrap_pyfunction!(diffusion_spectral_mutual_information, m)?)?;
    m.add_function(wrap_pyfunction!(rips_persistence, m)?)?;
    m.add_function(wrap_pyfunction!(bottleneck_distance, m)?)?;
    m.add_function(wrap_pyfunction!(wasserstein_distance, m)?)?;
    m.add_function(wrap_pyfunction!(intrinsic_dimension, m)?)
}
