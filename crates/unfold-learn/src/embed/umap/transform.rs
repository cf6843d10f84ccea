//! Placing new points in a fitted UMAP embedding (umap-learn's `UMAP.transform`).
//!
//! 1. Each new point's `n_neighbors` nearest training points ([`crate::knn::search`]); with
//!    `metric = precomputed` the new rows are the distances to the training points, and their
//!    smallest entries are read ([`query_precomputed`], as umap-learn).
//! 2. Memberships from [`smooth_knn_dist`] with `local_connectivity − 1` (so `rho = 0` by
//!    default), one directed edge per neighbour, as umap-learn's bipartite graph.
//! 3. Start at the membership-weighted mean of the neighbours' coordinates, or exactly at a
//!    training point the new point duplicates.
//! 4. SGD with the training coordinates fixed: `n_epochs / 3` epochs (100 by default), step
//!    `learning_rate / 4`, negative samples drawn from the training points.
//!
//! **A row equal to a training row gets that row's embedding**, value for value (the lowest
//! numbered such row when the training data repeats it), without steps 1–4: so transforming the
//! training data gives the fitted embedding. Training rows are found by a hash of their values
//! (built on the first transform) and then compared in full. umap-learn answers only the whole
//! training matrix so (by a hash of the array) and places anything else as a batch.
//!
//! **A point's result depends only on itself.** umap-learn chooses the epochs (100 or 30) and the
//! pruning threshold from the whole batch; here they are fixed (100 epochs; memberships below
//! `1 / n_epochs` of the largest possible membership, 1, are dropped), and every random choice of
//! a point is keyed by a hash of its coordinates and `transform_seed`. Transforming a subset
//! gives exactly the same rows as transforming everything.
//!
//! The model keeps the training rows (as bytes when every value is an integer in 0–255, as in
//! images) in the order of the kNN search graph, the graph and the embedding;
//! [`UmapModel::to_bytes`] writes exactly that.

use std::sync::{Mutex, OnceLock};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{Data, Embedding};
use crate::error::{Error, Result};
use crate::knn::nndescent::is_bytes;
use crate::io::model::Kind;
use crate::knn::KnnGraph;
use crate::knn::search::{SearchGraph, query_bytes, query_mapped, query_precomputed, variance_order};
use crate::metric::{Metric, PreparedMetric, byte_distance};
use crate::progress::Progress;
use crate::rng::mix64;

use super::graph::smooth_knn_dist;
use super::layout::{LayoutParams, optimize_layout_fixed};
use super::model::{UmapModel, UmapParams};

/// Epochs of a transform when `n_epochs` was not set.
const DEFAULT_TRANSFORM_EPOCHS: usize = 100;

/// Training rows as stored in a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Rows {
    /// Every value an integer in 0..=255: the rows with their columns in the order `columns`,
    /// by decreasing variance, so that the first half of a distance is most of it (see
    /// [`query_bytes`]).
    Bytes {
        #[serde(with = "byte_string")]
        values: Vec<u8>,
        columns: Vec<u32>,
    },
    /// Anything else.
    Floats(Vec<f32>),
}

impl Rows {
    fn new(data: &Data) -> Rows {
        let (v, d) = (data.as_slice(), data.n_cols());
        // The column order is kept as `u32`; rows wider than that stay floats.
        if d <= u32::MAX as usize && is_bytes(v) {
            let columns = variance_order(v, d);
            Rows::Bytes { values: permuted_bytes(data, &columns), columns }
        } else {
            Rows::Floats(v.to_vec())
        }
    }

    fn len(&self) -> usize {
        match self {
            Rows::Bytes { values, .. } => values.len(),
            Rows::Floats(f) => f.len(),
        }
    }

    /// Whether the column order of byte rows is a permutation of `0..d`.
    fn columns_ok(&self, d: usize) -> bool {
        let Rows::Bytes { columns, .. } = self else { return true };
        let mut seen = vec![false; d];
        columns.len() == d && columns.iter().all(|&c| (c as usize) < d && !std::mem::replace(&mut seen[c as usize], true))
    }

    /// The same rows in the order `ids` (row `t` is row `ids[t]`).
    fn in_order(&self, ids: &[u32], d: usize) -> Rows {
        fn pick<T: Copy + Send + Sync + Default>(v: &[T], ids: &[u32], d: usize) -> Vec<T> {
            let mut out = vec![T::default(); ids.len() * d];
            out.par_chunks_mut(d).zip(ids).for_each(|(o, &i)| o.copy_from_slice(&v[i as usize * d..(i as usize + 1) * d]));
            out
        }
        match self {
            Rows::Bytes { values, columns } => Rows::Bytes { values: pick(values, ids, d), columns: columns.clone() },
            Rows::Floats(f) => Rows::Floats(pick(f, ids, d)),
        }
    }

    /// A hash of stored row `t` as it is stored: byte rows as bytes, float rows by value.
    fn stored_key(&self, t: usize, d: usize) -> u64 {
        match self {
            Rows::Bytes { values, .. } => bytes_hash(&values[t * d..(t + 1) * d]),
            Rows::Floats(f) => floats_hash(&f[t * d..(t + 1) * d]),
        }
    }

    /// The position of the stored row equal to `row` (value for value), if it is the one
    /// `lookup` gives for the row's [`Rows::stored_key`]; `buf` (one row long) holds a byte row.
    fn find(&self, row: &[f32], buf: &mut [u8], lookup: impl Fn(u64) -> Option<usize>) -> Option<usize> {
        let d = row.len();
        match self {
            Rows::Bytes { values, columns } => {
                // Only integers in 0..=255 can equal a byte row (-0.0 included, as 0).
                if !row.iter().all(|&v| (v as u8) as f32 == v) {
                    return None;
                }
                for (o, &c) in buf.iter_mut().zip(columns) {
                    *o = row[c as usize] as u8;
                }
                let t = lookup(bytes_hash(buf))?;
                (values[t * d..(t + 1) * d] == *buf).then_some(t)
            }
            Rows::Floats(f) => {
                let t = lookup(floats_hash(row))?;
                (f[t * d..(t + 1) * d] == *row).then_some(t)
            }
        }
    }

    /// The rows as `f32`, columns in their original order.
    fn to_data(&self, n: usize, d: usize) -> Data<'_> {
        match self {
            Rows::Bytes { values, columns } => {
                let mut out = vec![0f32; n * d];
                out.par_chunks_mut(d).zip(values.par_chunks(d)).for_each(|(o, r)| {
                    for (&c, &v) in columns.iter().zip(r) {
                        o[c as usize] = v as f32;
                    }
                });
                Data::from_trusted(out, n, d)
            }
            Rows::Floats(f) => Data::from_trusted_slice(f, n, d),
        }
    }
}

/// The rows of `data` (integers in 0..=255) as bytes, columns in the order `columns`.
fn permuted_bytes(data: &Data, columns: &[u32]) -> Vec<u8> {
    let d = data.n_cols();
    let mut out = vec![0u8; data.n_rows() * d];
    out.par_chunks_mut(d.max(1)).enumerate().for_each(|(i, o)| {
        let row = data.row(i);
        for (o, &c) in o.iter_mut().zip(columns) {
            *o = row[c as usize] as u8;
        }
    });
    out
}

/// A `Vec<u8>` (de)serialised as one byte string: postcard writes exactly the bytes of a
/// sequence of `u8`, but reads them with one copy instead of one call per byte (0.1 s for
/// MNIST's 47 MB of rows).
mod byte_string {
    use serde::de::{Deserializer, Error, SeqAccess, Visitor};
    use serde::ser::Serializer;

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct Bytes;
        impl<'de> Visitor<'de> for Bytes {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a byte string")
            }
            fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
                let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 20));
                while let Some(b) = seq.next_element()? {
                    v.push(b);
                }
                Ok(v)
            }
        }
        d.deserialize_byte_buf(Bytes)
    }
}

/// What a transform's neighbour search reads: the training rows in the order of the search
/// graph ([`SearchGraph::ids`]), and the graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Index {
    rows: Rows,
    graph: SearchGraph,
}

/// The training rows of a model, one at a time as `f32`, by their row number in the training
/// data (the index keeps them in the search graph's order, maybe as bytes).
pub(super) struct TrainRows<'a> {
    rows: &'a Rows,
    /// Where training row `i` sits in the index.
    position: Vec<u32>,
    d: usize,
}

impl TrainRows<'_> {
    /// Training row `i`; `buf` (one row long) holds it when the rows are kept as bytes.
    #[inline]
    pub fn row<'b>(&'b self, i: usize, buf: &'b mut [f32]) -> &'b [f32] {
        let (t, d) = (self.position[i] as usize, self.d);
        match self.rows {
            Rows::Floats(f) => &f[t * d..(t + 1) * d],
            Rows::Bytes { values, columns } => {
                for (&c, &v) in columns.iter().zip(&values[t * d..(t + 1) * d]) {
                    buf[c as usize] = v as f32;
                }
                buf
            }
        }
    }
}

/// A fit's training rows and kNN graph, until the [`Index`] is built from them.
#[derive(Debug, Default)]
struct Pending(Mutex<Option<(Rows, KnnGraph)>>);

impl Clone for Pending {
    fn clone(&self) -> Self {
        Pending(Mutex::new(self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()))
    }
}

/// Each training point's `sigma` and `rho` in data space (see [`smooth_knn_dist`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct DataScales {
    pub sigmas: Vec<f32>,
    pub rhos: Vec<f32>,
}

/// Everything a transform needs; the content of a model file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct TransformState {
    pub n_features: usize,
    pub n_components: usize,
    metric: Metric,
    n_neighbors: usize,
    local_connectivity: f32,
    disconnection_distance: Option<f32>,
    pub a: f32,
    pub b: f32,
    repulsion_strength: f32,
    negative_sample_rate: usize,
    learning_rate: f32,
    n_epochs: Option<usize>,
    transform_seed: u64,
    /// Whether the layout kept local densities (densMAP), which the inverse transform refuses.
    pub densmap: bool,
    /// The data's fuzzy-set bandwidths, for the inverse transform.
    pub scales: DataScales,
    /// Until the index is built; not saved.
    #[serde(skip)]
    fit: Pending,
    #[serde(serialize_with = "built", deserialize_with = "loaded")]
    index: OnceLock<Index>,
    /// The metric's row map: the fit's, or set up on a loaded model's first transform; not saved.
    #[serde(skip)]
    metric_map: OnceLock<PreparedMetric>,
    /// The index's rows as `f32` mapped by `metric_map`, when they are not the stored floats as
    /// they are; set up on the first transform, not saved.
    #[serde(skip)]
    mapped_rows: OnceLock<Vec<f32>>,
    /// `(Rows::stored_key, training row, position in the index)` of every distinct training
    /// row, sorted: how a transform recognises training rows. Set up on the first transform,
    /// not saved.
    #[serde(skip)]
    identities: OnceLock<Vec<(u64, u32, u32)>>,
    pub embedding: Vec<f32>,
}

fn built<S: serde::Serializer>(g: &OnceLock<Index>, s: S) -> std::result::Result<S::Ok, S::Error> {
    g.get().ok_or_else(|| serde::ser::Error::custom("the search index is built before a model is saved"))?.serialize(s)
}

fn loaded<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<OnceLock<Index>, D::Error> {
    Index::deserialize(d).map(OnceLock::from)
}

impl TransformState {
    /// The state of a fit of `data` under `metric` (`p.metric` fitted to `data`) with kNN graph
    /// `knn`.
    pub fn new(p: &UmapParams, metric: PreparedMetric, a: f32, b: f32, data: &Data, knn: KnnGraph, scales: DataScales, embedding: Vec<f32>) -> Self {
        TransformState {
            n_features: data.n_cols(),
            n_components: p.n_components,
            metric: p.metric.clone(),
            n_neighbors: p.n_neighbors,
            local_connectivity: p.local_connectivity,
            disconnection_distance: p.disconnection_distance,
            a,
            b,
            repulsion_strength: p.repulsion_strength,
            negative_sample_rate: p.negative_sample_rate,
            learning_rate: p.learning_rate,
            n_epochs: p.n_epochs,
            transform_seed: p.transform_seed,
            densmap: p.densmap,
            scales,
            fit: Pending(Mutex::new(Some((Rows::new(data), knn)))),
            index: OnceLock::new(),
            metric_map: OnceLock::from(metric),
            mapped_rows: OnceLock::new(),
            identities: OnceLock::new(),
            embedding,
        }
    }

    /// The metric's row map (set up once per model: for mahalanobis, a factorisation of `VI`).
    ///
    /// # Errors
    /// As [`Metric::fitted`], for a loaded model whose `VI` is not positive semi-definite.
    fn metric_map(&self) -> Result<&PreparedMetric> {
        if let Some(m) = self.metric_map.get() {
            return Ok(m);
        }
        let m = PreparedMetric::new(self.metric.clone(), self.n_features)?;
        Ok(self.metric_map.get_or_init(|| m))
    }

    /// The index's rows (in its order) mapped by `metric` for comparison with mapped queries:
    /// stored floats compared as they are are borrowed, anything else is computed once.
    fn mapped_rows<'s>(&'s self, index: &'s Index, metric: &PreparedMetric) -> &'s [f32] {
        match &index.rows {
            Rows::Floats(f) if metric.is_identity() => f,
            rows => self.mapped_rows.get_or_init(|| metric.rows(rows.to_data(self.n_train(), self.n_features).as_slice()).into_owned()),
        }
    }

    /// The neighbour search index of the training rows, built from the fit's rows and kNN graph
    /// on first use, so that a fit never transformed nor saved does not pay for it. The fit's
    /// copy of the rows moves into it, in the graph's order, where searching them took 5–10 %
    /// less time on MNIST.
    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            let pending = self.fit.0.lock().unwrap_or_else(|e| e.into_inner()).take();
            let (rows, knn) = pending.expect("a state without a search index comes from a fit, which keeps its rows and kNN graph");
            let metric = self.metric_map.get().expect("a fit keeps its metric's row map");
            let (n, d, seed) = (self.n_train(), self.n_features, self.transform_seed);
            let graph = match &rows {
                Rows::Bytes { values: x, .. } if byte_search(&self.metric) => {
                    let root = self.metric == Metric::Euclidean;
                    SearchGraph::new(&knn, seed, |i, j| byte_distance(&x[i * d..(i + 1) * d], &x[j * d..(j + 1) * d], root))
                }
                rows => {
                    let data = rows.to_data(n, d);
                    let mapped = metric.rows(data.as_slice());
                    let row = |i: usize| &mapped[i * d..(i + 1) * d];
                    SearchGraph::new(&knn, seed, |i, j| metric.distance(row(i), row(j)))
                }
            };
            Index { rows: rows.in_order(graph.ids(), d), graph }
        })
    }

    /// For each row of `data` (with the training data's columns), the training row it equals
    /// value for value, if any: the lowest numbered one when several do. Rows are hashed as the
    /// index stores them (byte rows eight values to a word), so that the table costs little
    /// beside a search even for a model just loaded.
    fn training_matches(&self, data: &Data) -> Vec<Option<u32>> {
        let (n, d) = (self.n_train(), self.n_features);
        let index = self.index();
        let ids = index.graph.ids();
        // (key, training row, position in the index), sorted; one entry per key, the lowest row.
        let table = self.identities.get_or_init(|| {
            let mut table: Vec<(u64, u32, u32)> = (0..n).into_par_iter().map(|t| (index.rows.stored_key(t, d), ids[t], t as u32)).collect();
            table.sort_unstable();
            table.dedup_by_key(|e| e.0);
            table
        });
        (0..data.n_rows())
            .into_par_iter()
            .map_init(
                || vec![0u8; d],
                |buf, i| {
                    let lookup = |key: u64| table.get(table.partition_point(|e| e.0 < key)).filter(|e| e.0 == key).map(|e| e.2 as usize);
                    index.rows.find(data.row(i), buf, lookup).map(|t| ids[t])
                },
            )
            .collect()
    }

    /// The training rows, in the order of the embedding.
    pub fn train_rows(&self) -> TrainRows<'_> {
        let index = self.index();
        let mut position = vec![0u32; self.n_train()];
        for (t, &i) in index.graph.ids().iter().enumerate() {
            position[i as usize] = t as u32;
        }
        TrainRows { rows: &index.rows, position, d: self.n_features }
    }

    /// The input metric.
    pub fn metric(&self) -> &Metric {
        &self.metric
    }

    /// `n_epochs` as given at fit (`None`: umap-learn's default).
    pub fn n_epochs(&self) -> Option<usize> {
        self.n_epochs
    }

    /// The layout's learning rate, repulsion strength and negative samples per positive sample.
    pub fn sgd(&self) -> (f32, f32, usize) {
        (self.learning_rate, self.repulsion_strength, self.negative_sample_rate)
    }

    /// Seed of a transform's random choices.
    pub fn transform_seed(&self) -> u64 {
        self.transform_seed
    }

    pub fn n_train(&self) -> usize {
        self.embedding.len() / self.n_components.max(1)
    }

    /// Checks the internal consistency of a state read from a file.
    fn validate(&self) -> Result<()> {
        let n = self.n_train();
        let index = self.index.get().ok_or_else(|| Error::InvalidData("the model has no search index".into()))?;
        let ok = self.n_components > 0
            && self.n_features > 0
            && n >= 2
            && self.embedding.len() == n * self.n_components
            && index.rows.len() == n * self.n_features
            && index.rows.columns_ok(self.n_features)
            && self.n_neighbors >= 2
            && self.scales.sigmas.len() == n
            && self.scales.rhos.len() == n
            && self.scales.sigmas.iter().chain(&self.scales.rhos).all(|v| v.is_finite())
            && self.embedding.iter().all(|v| v.is_finite());
        if !ok {
            return Err(Error::InvalidData("the model's arrays do not fit together".into()));
        }
        index.graph.validate(n)
    }
}

impl UmapModel {
    /// Places `data` (new rows with the training data's columns) in the fitted embedding.
    /// For a model fitted on precomputed distances, row `i` of `data` holds the distances from new
    /// point `i` to the training points (`m × n_train`), as umap-learn's `transform` takes them.
    /// `keys`, when given, names each row for the random choices (default: a hash of the row's
    /// values), so the same point gets the same place in any batch. A row equal to a training
    /// row (for precomputed distances: to that point's row of the training matrix) gets the
    /// training row's embedding (see the module docs).
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the column count differs from the training data's (the number
    /// of training points, for precomputed distances) or a new point has no training neighbour
    /// within the disconnection distance; [`Error::InvalidParameter`] for a negative precomputed
    /// distance; [`Error::Cancelled`].
    pub fn transform_with(&self, data: &Data, keys: Option<&[u64]>, progress: &dyn Progress) -> Result<Embedding> {
        let s = &self.state;
        let n = s.n_train();
        let precomputed = s.metric == Metric::Precomputed;
        if precomputed && data.n_cols() != n {
            return Err(Error::InvalidData(format!(
                "with precomputed distances each new row holds its distances to the {n} training points, but the new data has {} columns",
                data.n_cols()
            )));
        }
        if data.n_cols() != s.n_features {
            return Err(Error::InvalidData(format!(
                "the model was fitted on {} columns but the new data has {}",
                s.n_features,
                data.n_cols()
            )));
        }
        let m = data.n_rows();
        if let Some(keys) = keys
            && keys.len() != m
        {
            return Err(Error::InvalidData(format!("{} keys for {m} new rows", keys.len())));
        }
        let matches = s.training_matches(data);
        let fresh: Vec<usize> = (0..m).filter(|&i| matches[i].is_none()).collect();
        if fresh.len() == m {
            return self.place_new(data, keys, progress);
        }
        let dim = s.n_components;
        let mut out = vec![0f32; m * dim];
        for (o, j) in out.chunks_exact_mut(dim).zip(&matches) {
            if let Some(j) = j {
                let j = *j as usize;
                o.copy_from_slice(&s.embedding[j * dim..(j + 1) * dim]);
            }
        }
        if !fresh.is_empty() {
            let fresh_keys: Option<Vec<u64>> = keys.map(|k| fresh.iter().map(|&i| k[i]).collect());
            let placed = self.place_new(&data.select_rows(&fresh), fresh_keys.as_deref(), progress)?;
            for (r, &i) in fresh.iter().enumerate() {
                out[i * dim..(i + 1) * dim].copy_from_slice(placed.row(r));
            }
        }
        Ok(Data::from_trusted(out, m, dim))
    }

    /// Steps 1–4 of the module docs for the rows of `data`, checked by [`UmapModel::transform_with`].
    fn place_new(&self, data: &Data, keys: Option<&[u64]>, progress: &dyn Progress) -> Result<Embedding> {
        let s = &self.state;
        let n = s.n_train();
        let k = s.n_neighbors.min(n);
        let (idx, dist) = if s.metric == Metric::Precomputed {
            query_precomputed(data, k, progress)?
        } else {
            self.query_training(data, k, progress)?
        };
        progress.check()?;
        self.place(data, &idx, &dist, k, keys, progress)
    }

    /// The `k` nearest training points of each row of `data`, searched in the model's index.
    fn query_training(&self, data: &Data, k: usize, progress: &dyn Progress) -> Result<(Vec<u32>, Vec<f32>)> {
        let s = &self.state;
        let n = s.n_train();
        let index = s.index();
        Ok(match &index.rows {
            // Pixel-like training rows and queries: compared as bytes, exactly as NN-descent does.
            Rows::Bytes { values, columns } if byte_search(&s.metric) && is_bytes(data.as_slice()) => {
                query_bytes(values, Some(&index.graph), &permuted_bytes(data, columns), s.n_features, k, s.metric == Metric::Euclidean, k, progress)?
            }
            _ => {
                let metric = s.metric_map()?;
                query_mapped(s.mapped_rows(index, metric), n, Some(&index.graph), data, k, metric, k, progress)?
            }
        })
    }

    /// Steps 2–4 of the module docs for the rows of `data` with neighbours `idx` at `dist` (`k`
    /// per row).
    fn place(&self, data: &Data, idx: &[u32], dist: &[f32], k: usize, keys: Option<&[u64]>, progress: &dyn Progress) -> Result<Embedding> {
        let s = &self.state;
        let (m, dim) = (data.n_rows(), s.n_components);

        // Memberships, as umap-learn's transform: local connectivity reduced by one.
        let cut = s.disconnection_distance.unwrap_or(f32::INFINITY);
        let dist: Vec<f32> = dist.iter().map(|&d| if d >= cut { f32::INFINITY } else { d }).collect();
        let (sigmas, rhos) = smooth_knn_dist(&dist, k, (s.local_connectivity - 1.0).max(0.0), 1.0);
        let n_epochs = s.n_epochs.map(|e| (e / 3).max(1)).unwrap_or(DEFAULT_TRANSFORM_EPOCHS);
        let floor = 1.0 / n_epochs as f32;
        let mut indptr = vec![0usize];
        let (mut cols, mut weights) = (Vec::with_capacity(m * k), Vec::with_capacity(m * k));
        let mut init = vec![0f32; m * dim];
        for i in 0..m {
            let (mut sum, mut exact) = (0.0f64, None);
            let y0 = &mut init[i * dim..(i + 1) * dim];
            for c in 0..k {
                let (j, d) = (idx[i * k + c] as usize, dist[i * k + c]);
                if !d.is_finite() {
                    continue;
                }
                let w = if d - rhos[i] <= 0.0 || sigmas[i] == 0.0 { 1.0 } else { (-((d - rhos[i]) as f64) / sigmas[i] as f64).exp() as f32 };
                if w == 1.0 && exact.is_none() {
                    exact = Some(j);
                }
                for (o, &e) in y0.iter_mut().zip(&s.embedding[j * dim..(j + 1) * dim]) {
                    *o += w * e;
                }
                sum += w as f64;
                if w >= floor {
                    cols.push(j as u32);
                    weights.push(w);
                }
            }
            if sum <= 0.0 {
                return Err(Error::InvalidData(format!(
                    "new row {i} has no training neighbour closer than the disconnection distance ({cut}); it cannot be placed"
                )));
            }
            match exact {
                Some(j) => y0.copy_from_slice(&s.embedding[j * dim..(j + 1) * dim]),
                None => y0.iter_mut().for_each(|v| *v = (*v as f64 / sum) as f32),
            }
            indptr.push(cols.len());
        }
        let keys: Vec<u64> = match keys {
            Some(k) => k.to_vec(),
            None => (0..m).into_par_iter().map(|i| row_key(data.row(i))).collect(),
        };
        let layout = LayoutParams {
            n_epochs,
            learning_rate: s.learning_rate / 4.0,
            repulsion_strength: s.repulsion_strength,
            negative_sample_rate: s.negative_sample_rate,
            a: s.a,
            b: s.b,
            seed: Some(s.transform_seed),
        };
        optimize_layout_fixed(&indptr, &cols, &weights, Some(1.0), &keys, &mut init, &s.embedding, dim, &layout, progress)?;
        Ok(Data::from_trusted(init, m, dim))
    }

    /// The model as bytes: a versioned, checksummed header and what a transform needs.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        self.state.index();
        crate::io::model::to_bytes(MODEL_KIND, &self.state)
    }

    /// Reads a model written by [`UmapModel::to_bytes`].
    ///
    /// # Errors
    /// [`Error::InvalidData`] for bytes that are not an unfold UMAP model, come from a newer
    /// or an older format version, are truncated or corrupt.
    pub fn from_bytes(bytes: &[u8]) -> Result<UmapModel> {
        let state: TransformState = crate::io::model::from_bytes(MODEL_KIND, bytes)?;
        state.validate().map_err(|e| Error::InvalidData(format!("corrupt model: {e}")))?;
        Ok(UmapModel::from_state(state))
    }
}

/// UMAP model files. Version 2: the search graph starts from an entry tree, not fixed points;
/// version 3: byte rows are stored with their columns by decreasing variance; version 4: the
/// rows and the graph's points are in the order of the entry tree's leaves; version 5: the
/// data's `sigma` and `rho` per point and the densMAP flag, for the inverse transform.
const MODEL_KIND: Kind = Kind { tag: "umap", version: 5 };

/// Whether byte rows are searched as bytes under `metric` (else as `f32`).
fn byte_search(metric: &Metric) -> bool {
    matches!(metric, Metric::Euclidean | Metric::SqEuclidean)
}

/// A key for a row's random choices: a hash of its values' bits.
pub(super) fn row_key(row: &[f32]) -> u64 {
    row_hash(row, f32::to_bits)
}

/// A hash of a row's values under `==` (`-0.0` taken as `0.0`), to find equal rows.
fn floats_hash(row: &[f32]) -> u64 {
    row_hash(row, |v| (v + 0.0).to_bits())
}

/// A hash of a row of bytes, eight to a word, in four interleaved chains.
fn bytes_hash(row: &[u8]) -> u64 {
    let mut h = HASH_START;
    let (words, tail) = row.as_chunks::<8>();
    for block in words.chunks(4) {
        for (h, w) in h.iter_mut().zip(block) {
            *h = mix64(*h ^ u64::from_le_bytes(*w));
        }
    }
    let mut last = [0u8; 8];
    last[..tail.len()].copy_from_slice(tail);
    h[0] = mix64(h[0] ^ u64::from_le_bytes(last));
    mix64(h[0] ^ mix64(h[1] ^ mix64(h[2] ^ mix64(h[3] ^ row.len() as u64))))
}

const HASH_START: [u64; 4] = [0x5555_5555_5555_5555, 0x6666_6666_6666_6666, 0x7777_7777_7777_7777, 0x8888_8888_8888_8888];

/// A hash of `bits` of each value, in four interleaved chains (one chain of 784 dependent mixes
/// per row took 15–25 ms for 10,000 MNIST rows).
#[inline]
fn row_hash(row: &[f32], bits: impl Fn(f32) -> u32) -> u64 {
    let mut h = HASH_START;
    let (blocks, tail) = row.as_chunks::<4>();
    for block in blocks {
        for (h, &v) in h.iter_mut().zip(block) {
            *h = mix64(*h ^ bits(v) as u64);
        }
    }
    for (h, &v) in h.iter_mut().zip(tail) {
        *h = mix64(*h ^ bits(v) as u64);
    }
    mix64(h[0] ^ mix64(h[1] ^ mix64(h[2] ^ mix64(h[3] ^ row.len() as u64))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_rows_keep_their_columns_by_variance_and_give_them_back() {
        // Column c takes values in 0..=4c (scaled): variance grows with c, except the constant
        // column 1.
        let (n, d) = (500, 6);
        let x: Vec<f32> = (0..n * d).map(|i| if i % d == 1 { 7.0 } else { ((i * 37 + i / d * 11) % (5 * (i % d) + 1)) as f32 * 3.0 }).collect();
        let data = Data::from_row_major(&x, n, d).unwrap();
        let rows = Rows::new(&data);
        let Rows::Bytes { columns, values } = &rows else { panic!("integer rows are kept as bytes") };
        let var = |c: usize| {
            let mean = (0..n).map(|i| x[i * d + c] as f64).sum::<f64>() / n as f64;
            (0..n).map(|i| (x[i * d + c] as f64 - mean).powi(2)).sum::<f64>() / n as f64
        };
        assert!(columns.windows(2).all(|w| var(w[0] as usize) >= var(w[1] as usize)), "{columns:?}");
        assert_eq!(*columns.last().unwrap(), 1);
        assert_eq!(values[..d].iter().map(|&v| v as f32).collect::<Vec<_>>(), columns.iter().map(|&c| x[c as usize]).collect::<Vec<_>>());
        assert!(rows.columns_ok(d));
        assert_eq!(rows.to_data(n, d).as_slice(), &x[..]);
        let broken = Rows::Bytes { values: values.clone(), columns: vec![0, 0, 2, 3, 4, 5] };
        assert!(!broken.columns_ok(d));
    }
}
