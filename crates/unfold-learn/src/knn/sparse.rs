//! Nearest neighbours of sparse rows ([`SparseData`]): the same two algorithms as for dense rows.
//!
//! Every supported metric is a function of two per-row statistics of each row and of one sum
//! over the columns the two rows share, so a distance costs a merge of the two rows' column
//! lists and never touches the zeros:
//!
//! | metric | row map | statistics | shared-column term | reduced distance |
//! |---|---|---|---|---|
//! | (sq)euclidean | none | `Σx²` | `x y` | `Σa² + Σb² − 2 acc` |
//! | cosine | unit rows | none | `x y` | `1 − acc` |
//! | correlation | none | mean `m`, centred `Σx² − d m²` | `x y` | `1 − (acc − d mₐ m_b) / √(cₐ c_b)` |
//! | manhattan | none | `Σ|x|` | `|x − y| − |x| − |y|` | `Σ|a| + Σ|b| + acc` |
//! | jaccard | none | stored values | `1` | `(∪ − acc) / ∪`, `∪ = nₐ + n_b − acc` |
//! | hellinger | `√(x / Σx)` | `Σx²` | `x y` | `½ (Σa² + Σb² − 2 acc)` |
//!
//! The sum runs in `f64` in increasing column order, so the distance of a pair is the same in
//! either direction and in both algorithms. The **exact** search finds the shared columns of one
//! row with all others through the columns' lists of rows (an inverted index). **NN-descent**
//! grows its random-projection trees on the sparse rows' Gaussian sketch (the same projection
//! as dense rows get); each local join scatters its anchor row into a dense buffer once, so a
//! distance from it is one pass over the other row's stored values (the merge's sum, to the
//! bit). Only the random fill of short rows uses the merge itself.

use std::borrow::Cow;

use rayon::prelude::*;

use super::nndescent::{Forest, RowSet, STAGE_SKETCH, descend};
use super::rptree::sparse_sketch;
use super::{EMPTY, KnnAlgorithm, KnnGraph, KnnParams, NN_DESCENT_MIN_K, check_point_count, push_sorted, write_sorted};
use crate::data::SparseData;
use crate::error::{Error, Result};
use crate::metric::Metric;
use crate::progress::{NoProgress, Progress};
use crate::rng::SeedSource;

/// The metrics sparse rows can be compared under, by their names.
pub const SPARSE_METRICS: &str = "euclidean, sqeuclidean, cosine, correlation, manhattan, jaccard, hellinger";

/// A metric on sparse rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    SqEuclidean { root: bool },
    Cosine,
    Correlation,
    Manhattan,
    Jaccard,
    Hellinger,
}

impl Kind {
    fn new(metric: &Metric) -> Result<Kind> {
        Ok(match metric {
            Metric::Euclidean => Kind::SqEuclidean { root: true },
            Metric::SqEuclidean => Kind::SqEuclidean { root: false },
            Metric::Cosine => Kind::Cosine,
            Metric::Correlation => Kind::Correlation,
            Metric::Manhattan => Kind::Manhattan,
            Metric::Jaccard => Kind::Jaccard,
            Metric::Hellinger => Kind::Hellinger,
            other => {
                return Err(Error::param(
                    "metric",
                    other.to_string(),
                    format!("is not available for sparse input; sparse rows take {SPARSE_METRICS} (or pass the data dense)"),
                ));
            }
        })
    }
}

/// Checks that `metric` can compare sparse rows.
///
/// # Errors
/// [`Error::InvalidParameter`] naming the metric and the ones sparse rows take.
pub fn check_sparse_metric(metric: &Metric) -> Result<()> {
    Kind::new(metric).map(|_| ())
}

/// Sparse rows mapped for a metric, with each row's statistics.
struct SparseRows<'a> {
    /// The rows, borrowed when the metric compares them as they are.
    x: Cow<'a, SparseData>,
    stats: Vec<[f64; 2]>,
    kind: Kind,
}

impl<'a> SparseRows<'a> {
    fn new(x: &'a SparseData, kind: Kind) -> SparseRows<'a> {
        let x = match kind {
            Kind::Cosine => Cow::Owned(x.map_rows(|_, row| {
                let norm = row.iter().map(|&v| v as f64 * v as f64).sum::<f64>().sqrt();
                if norm > 0.0 {
                    row.iter_mut().for_each(|v| *v = (*v as f64 / norm) as f32);
                }
            })),
            Kind::Hellinger => Cow::Owned(x.map_rows(|_, row| {
                let total = row.iter().map(|&v| v as f64).sum::<f64>();
                if total > 0.0 {
                    row.iter_mut().for_each(|v| *v = (*v as f64 / total).max(0.0).sqrt() as f32);
                }
            })),
            _ => Cow::Borrowed(x),
        };
        let d = x.n_cols() as f64;
        let stats = (0..x.n_rows())
            .into_par_iter()
            .map(|i| {
                let v = x.row(i).1;
                let sq = || v.iter().map(|&v| v as f64 * v as f64).sum::<f64>();
                match kind {
                    Kind::SqEuclidean { .. } | Kind::Hellinger => [sq(), 0.0],
                    Kind::Cosine => [0.0, 0.0],
                    Kind::Correlation => {
                        let mean = v.iter().map(|&v| v as f64).sum::<f64>() / d;
                        [mean, (sq() - d * mean * mean).max(0.0)]
                    }
                    Kind::Manhattan => [v.iter().map(|&v| (v as f64).abs()).sum(), 0.0],
                    Kind::Jaccard => [v.len() as f64, 0.0],
                }
            })
            .collect();
        SparseRows { x, stats, kind }
    }

    /// The rows in the order `perm`.
    fn permuted(&self, perm: &[u32]) -> SparseRows<'static> {
        let rows: Vec<usize> = perm.iter().map(|&i| i as usize).collect();
        SparseRows { x: Cow::Owned(self.x.select_rows(&rows)), stats: rows.iter().map(|&i| self.stats[i]).collect(), kind: self.kind }
    }

    /// The shared-column term of two values.
    #[inline]
    fn term(kind: Kind, a: f32, b: f32) -> f64 {
        let (a, b) = (a as f64, b as f64);
        match kind {
            Kind::Manhattan => (a - b).abs() - a.abs() - b.abs(),
            Kind::Jaccard => 1.0,
            _ => a * b,
        }
    }

    /// The reduced distance from the two rows' statistics and their shared-column sum.
    #[inline]
    fn combine(&self, sa: [f64; 2], sb: [f64; 2], acc: f64) -> f32 {
        let r = match self.kind {
            Kind::SqEuclidean { .. } => (sa[0] + sb[0] - 2.0 * acc).max(0.0),
            Kind::Cosine => 1.0 - acc,
            Kind::Correlation => {
                if sa[1] > 0.0 && sb[1] > 0.0 {
                    1.0 - (acc - self.x.n_cols() as f64 * sa[0] * sb[0]) / (sa[1] * sb[1]).sqrt()
                } else {
                    1.0
                }
            }
            Kind::Manhattan => (sa[0] + sb[0] + acc).max(0.0),
            Kind::Jaccard => {
                let union = sa[0] + sb[0] - acc;
                if union == 0.0 { 0.0 } else { (union - acc) / union }
            }
            Kind::Hellinger => match (sa[0] > 0.0, sb[0] > 0.0) {
                (true, true) => 0.5 * (sa[0] + sb[0] - 2.0 * acc),
                (false, false) => 0.0,
                _ => 1.0,
            },
        };
        r as f32
    }

    fn finalize(&self, r: f32) -> f32 {
        match self.kind {
            Kind::SqEuclidean { root: true } => r.max(0.0).sqrt(),
            Kind::SqEuclidean { root: false } | Kind::Manhattan => r.max(0.0),
            Kind::Cosine | Kind::Correlation => r.clamp(0.0, 2.0),
            Kind::Jaccard => r,
            Kind::Hellinger => r.clamp(0.0, 1.0).sqrt(),
        }
    }

    /// The reduced distance between rows `a` and `b`, by a merge of their columns.
    #[inline]
    fn dist(&self, a: usize, b: usize) -> f32 {
        let ((ca, va), (cb, vb)) = (self.x.row(a), self.x.row(b));
        let kind = self.kind;
        let (mut i, mut j, mut acc) = (0, 0, 0.0f64);
        while i < ca.len() && j < cb.len() {
            match ca[i].cmp(&cb[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    acc += Self::term(kind, va[i], vb[j]);
                    i += 1;
                    j += 1;
                }
            }
        }
        self.combine(self.stats[a], self.stats[b], acc)
    }
}

/// A row scattered into a dense buffer, for [`RowSet::dist_from_anchor`].
#[derive(Default)]
pub(super) struct Scattered {
    /// The anchor's values by column (zero elsewhere); sized to the columns on first use.
    dense: Vec<f32>,
    /// The anchor whose values `dense` holds.
    row: Option<u32>,
}

impl RowSet for SparseRows<'_> {
    type Anchor = Scattered;

    /// Scatters row `a` into the buffer (clearing the previous anchor's columns): distances
    /// from it then cost one pass over the other row's stored values, with no merge.
    fn set_anchor(&self, a: u32, s: &mut Scattered) {
        if s.dense.len() != self.x.n_cols() {
            s.dense = vec![0.0; self.x.n_cols()];
        } else if let Some(prev) = s.row {
            self.x.row(prev as usize).0.iter().for_each(|&c| s.dense[c as usize] = 0.0);
        }
        let (cols, vals) = self.x.row(a as usize);
        cols.iter().zip(vals).for_each(|(&c, &v)| s.dense[c as usize] = v);
        s.row = Some(a);
    }

    /// The same sum as the merge, in the same column order: columns the anchor does not store
    /// add terms that are exactly zero (`0 · y`, `|0 − y| − 0 − |y|`, jaccard counts stored
    /// values only), so the distance is the merge's to the bit.
    #[inline]
    fn dist_from_anchor(&self, s: &Scattered, a: u32, b: u32, _bound: f32) -> f32 {
        let (cols, vals) = self.x.row(b as usize);
        let dense = &s.dense;
        let acc = match self.kind {
            Kind::Manhattan => cols.iter().zip(vals).fold(0.0f64, |acc, (&c, &y)| acc + Self::term(Kind::Manhattan, dense[c as usize], y)),
            Kind::Jaccard => cols.iter().fold(0.0f64, |acc, &c| acc + (dense[c as usize] != 0.0) as u32 as f64),
            _ => cols.iter().zip(vals).fold(0.0f64, |acc, (&c, &y)| acc + dense[c as usize] as f64 * y as f64),
        };
        self.combine(self.stats[a as usize], self.stats[b as usize], acc)
    }

    #[inline]
    fn dist(&self, a: u32, b: u32) -> f32 {
        SparseRows::dist(self, a as usize, b as usize)
    }
    #[inline]
    fn dist_bounded(&self, a: u32, b: u32, _bound: f32) -> f32 {
        SparseRows::dist(self, a as usize, b as usize)
    }
    fn finalize(&self, r: f32) -> f32 {
        SparseRows::finalize(self, r)
    }
}

/// The kNN graph of sparse rows, as [`super::knn_graph`] computes it for dense rows: exact up to
/// [`super::EXACT_MAX_ROWS`] points (or with [`KnnAlgorithm::Exact`]), NN-descent above.
///
/// ```
/// use unfold_learn::prelude::*;
/// use unfold_learn::knn::sparse_knn_graph;
/// // Four points on a line, stored sparse (the zero is not stored).
/// let x = SparseData::from_csr(4, 1, vec![0, 0, 1, 2, 3], vec![0, 0, 0], vec![1.0, 3.0, 7.0])?;
/// let g = sparse_knn_graph(&x, &KnnParams { k: 2, ..Default::default() }, &NoProgress)?;
/// assert_eq!(g.neighbors(0).0, &[1, 2]);
/// assert_eq!(g.neighbors(3).1, &[4.0, 6.0]);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// As [`super::knn_graph`], and [`Error::InvalidParameter`] for a metric sparse rows do not take
/// (see [`SPARSE_METRICS`]).
pub fn sparse_knn_graph(x: &SparseData, params: &KnnParams, progress: &dyn Progress) -> Result<KnnGraph> {
    check_point_count(x.n_rows())?;
    params.validate(x.n_rows(), x.n_cols())?;
    let kind = Kind::new(&params.metric)?;
    crate::threads::install(params.threads, || sparse_knn_on_pool(x, params, kind, progress))?
}

/// [`sparse_knn_graph`] with validated parameters, on the current thread pool.
pub(crate) fn sparse_knn_fitted(x: &SparseData, params: &KnnParams, progress: &dyn Progress) -> Result<KnnGraph> {
    check_point_count(x.n_rows())?;
    sparse_knn_on_pool(x, params, Kind::new(&params.metric)?, progress)
}

fn sparse_knn_on_pool(x: &SparseData, params: &KnnParams, kind: Kind, progress: &dyn Progress) -> Result<KnnGraph> {
    let rows = SparseRows::new(x, kind);
    let n = x.n_rows();
    let graph = match params.resolved_algorithm(n) {
        KnnAlgorithm::Exact => exact(&rows, params.k, progress),
        _ if params.k < NN_DESCENT_MIN_K && n > NN_DESCENT_MIN_K => {
            let longer = KnnParams { k: NN_DESCENT_MIN_K, ..params.clone() };
            nn_descent(&rows, &longer, progress).map(|g| g.truncated(params.k))
        }
        _ => nn_descent(&rows, params, progress),
    };
    graph.map_err(|e| match e {
        Error::InvalidData(_) => super::float32_overflow(x.values(), x.n_cols()).unwrap_or(e),
        e => e,
    })
}

fn nn_descent(rows: &SparseRows<'_>, params: &KnnParams, progress: &dyn Progress) -> Result<KnnGraph> {
    let seeds = SeedSource::new(params.seed);
    let (sk, s) = sparse_sketch(&rows.x, &seeds, STAGE_SKETCH);
    let forest = Forest::build(sk, s, rows.x.n_rows(), params, &seeds, progress)?;
    descend(&rows.permuted(&forest.perm), &forest, params, &seeds, progress)
}

/// Rows per parallel task of the exact search.
const EXACT_TASK: usize = 32;

/// All pairs: each row's shared-column sums with every other row through the columns' lists of
/// rows, then the `k` smallest distances.
fn exact(rows: &SparseRows<'_>, k: usize, progress: &dyn Progress) -> Result<KnnGraph> {
    let (n, d) = (rows.x.n_rows(), rows.x.n_cols());
    // The transpose: for each column, the rows that store it and their values, rows increasing.
    let mut col_ptr = vec![0usize; d + 1];
    for &c in rows.x.indices() {
        col_ptr[c as usize + 1] += 1;
    }
    for c in 0..d {
        col_ptr[c + 1] += col_ptr[c];
    }
    let mut fill = col_ptr.clone();
    let mut col_rows = vec![(0u32, 0f32); rows.x.nnz()];
    for i in 0..n {
        let (cols, vals) = rows.x.row(i);
        for (&c, &v) in cols.iter().zip(vals) {
            col_rows[fill[c as usize]] = (i as u32, v);
            fill[c as usize] += 1;
        }
    }
    drop(fill);
    progress.stage("exact kNN", n as u64);
    let mut indices = vec![0u32; n * k];
    let mut distances = vec![0f32; n * k];
    indices.par_chunks_mut(k * EXACT_TASK).zip(distances.par_chunks_mut(k * EXACT_TASK)).enumerate().try_for_each_init(
        || (vec![0f64; n], Vec::<u32>::new(), vec![f32::INFINITY; k], vec![EMPTY; k], Vec::<(f32, u32)>::with_capacity(k)),
        |(acc, touched, best_d, best_i, cand), (t, (out_i, out_d))| {
            progress.check()?;
            let kind = rows.kind;
            for (r, (oi, od)) in out_i.chunks_mut(k).zip(out_d.chunks_mut(k)).enumerate() {
                let a = t * EXACT_TASK + r;
                let (cols, vals) = rows.x.row(a);
                // Columns in increasing order, rows of a column in increasing order: each
                // pair's sum adds its terms in column order, as the merge does.
                for (&c, &x) in cols.iter().zip(vals) {
                    for &(b, y) in &col_rows[col_ptr[c as usize]..col_ptr[c as usize + 1]] {
                        if acc[b as usize] == 0.0 {
                            touched.push(b);
                        }
                        acc[b as usize] += SparseRows::term(kind, x, y);
                    }
                }
                best_d.fill(f32::INFINITY);
                best_i.fill(EMPTY);
                let sa = rows.stats[a];
                for (b, (&sb, &sum)) in rows.stats.iter().zip(acc.iter()).enumerate() {
                    if b != a {
                        push_sorted(best_d, best_i, rows.combine(sa, sb, sum), b as u32);
                    }
                }
                for &b in touched.iter() {
                    acc[b as usize] = 0.0;
                }
                touched.clear();
                cand.clear();
                cand.extend(best_d.iter().copied().zip(best_i.iter().copied()));
                write_sorted(cand, oi, od, |r| rows.finalize(r));
            }
            progress.inc((out_i.len() / k) as u64);
            Ok::<(), Error>(())
        },
    )?;
    progress.finish_stage();
    KnnGraph::from_parts(n, k, indices, distances)
}

/// [`sparse_knn_graph`] without progress reporting.
pub fn sparse_knn(x: &SparseData, params: &KnnParams) -> Result<KnnGraph> {
    sparse_knn_graph(x, params, &NoProgress)
}
