//! Measurements of the data (`unfold_learn::measure`): the intrinsic dimension, persistent
//! homology.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use unfold_learn::Metric;
use unfold_learn::measure::intrinsic_dim::{Combine, EssVersion, Estimator, IdParams, LpcaVersion, MindVersion, TwoNnMethod, intrinsic_dimension as estimate};

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

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(rips_persistence, m)?)?;
    m.add_function(wrap_pyfunction!(bottleneck_distance, m)?)?;
    m.add_function(wrap_pyfunction!(wasserstein_distance, m)?)?;
    m.add_function(wrap_pyfunction!(intrinsic_dimension, m)?)
}
