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
//! [`UmapModel::to_bytes`] writes exactly that, with the parameters in the file's header. A fit
//! whose [`Context::keep_data`](crate::method::Context::keep_data) is false keeps no rows: its
//! model gives its embedding, and refuses to transform, inverse-transform or be saved.

use std::sync::{Mutex, OnceLock};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{Data, Embedding};
use crate::error::{Error, Result};
use crate::io::model::Kind;
use crate::knn::KnnGraph;
use crate::knn::nndescent::is_bytes;
use crate::knn::search::{SearchGraph, query_bytes, query_mapped, query_precomputed, variance_order};
use crate::method::{Params, Value};
use crate::metric::{Metric, PreparedMetric, byte_distance};
use crate::progress::Progress;
use crate::rng::mix64;

use super::graph::smooth_knn_dist;
use super::layout::{LayoutParams, optimize_layout_fixed};
use super::model::{UmapModel, UmapParams};
use super::output::OutputMetric;

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

    /// Checks that the column order of byte rows is a permutation of `0..d`, and that float
    /// rows are finite.
    fn check(&self, d: usize) -> std::result::Result<(), String> {
        match self {
            Rows::Bytes { columns, .. } => {
                if columns.len() != d {
                    return Err(format!("the byte rows' column order has {} entries for {d} features", columns.len()));
                }
                let mut seen = vec![false; d];
                match columns.iter().position(|&c| (c as usize) >= d || std::mem::replace(&mut seen[c as usize], true)) {
                    Some(i) if columns[i] as usize >= d => {
                        Err(format!("the byte rows' column order names column {} at position {i}, beyond the {d} features", columns[i]))
                    }
                    Some(i) => Err(format!("the byte rows' column order names column {} twice (again at position {i}): it is not a permutation", columns[i])),
                    None => Ok(()),
                }
            }
            Rows::Floats(f) => match f.iter().position(|v| !v.is_finite()) {
                Some(i) => Err(format!("the training rows hold {} at row {}, column {}, not a finite number", f[i], i / d.max(1), i % d.max(1))),
                None => Ok(()),
            },
        }
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
    /// The output space; the model file records it among the parameters.
    #[serde(skip)]
    pub output_metric: OutputMetric,
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
    /// Whether the fit's rows were sparse (the model then keeps none).
    #[serde(skip)]
    fitted_sparse: bool,
    /// Every declared parameter as the fit resolved it (the curve's `a` and `b` fitted); the
    /// model file keeps them in its header, not here.
    #[serde(skip)]
    pub params: Vec<(&'static str, Value)>,
}

fn built<S: serde::Serializer>(g: &OnceLock<Index>, s: S) -> std::result::Result<S::Ok, S::Error> {
    g.get().ok_or_else(|| serde::ser::Error::custom("the search index is built before a model is saved"))?.serialize(s)
}

fn loaded<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<OnceLock<Index>, D::Error> {
    Index::deserialize(d).map(OnceLock::from)
}

impl TransformState {
    /// The state of a fit of `data` under `metric` (`p.metric` fitted to `data`) with kNN graph
    /// `knn`; with `keep_data` false, without a copy of the rows (the model then cannot
    /// transform or be saved).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        p: &UmapParams,
        metric: PreparedMetric,
        a: f32,
        b: f32,
        data: Option<&Data>,
        n_features: usize,
        knn: KnnGraph,
        scales: DataScales,
        embedding: Vec<f32>,
        keep_data: bool,
    ) -> Self {
        use crate::method::params::ParamType;
        let fitted_curve = [("a", a.to_value()), ("b", b.to_value())];
        TransformState {
            n_features,
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
            output_metric: p.output_metric,
            scales,
            fit: Pending(Mutex::new(data.filter(|_| keep_data).map(|data| (Rows::new(data), knn)))),
            fitted_sparse: data.is_none(),
            index: OnceLock::new(),
            metric_map: OnceLock::from(metric),
            mapped_rows: OnceLock::new(),
            identities: OnceLock::new(),
            embedding,
            params: crate::method::resolved_values(p, &fitted_curve),
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

    /// Whether the model has its training rows: a fit with `keep_data` false has none.
    pub fn keeps_rows(&self) -> bool {
        self.index.get().is_some() || self.fit.0.lock().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    /// The neighbour search index of the training rows, built from the fit's rows and kNN graph
    /// on first use, so that a fit never transformed nor saved does not pay for it. The fit's
    /// copy of the rows moves into it, in the graph's order, where searching them took 5–10 %
    /// less time on MNIST.
    ///
    /// # Errors
    /// [`Error::InvalidData`] for a model fitted without keeping its training rows.
    fn index(&self) -> Result<&Index> {
        if let Some(index) = self.index.get() {
            return Ok(index);
        }
        // Held while the index is built, so that concurrent callers wait for it.
        let mut pending = self.fit.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(index) = self.index.get() {
            return Ok(index);
        }
        let (rows, knn) = pending.take().ok_or_else(|| {
            Error::InvalidData(if self.fitted_sparse {
                "this UMAP model was fitted on sparse rows; it gives its embedding, but to transform, inverse-transform or save, fit it on dense rows".into()
            } else {
                "this UMAP model was fitted without keeping its training rows (keep_data false, as `unfold embed` fits without --save-model); it gives its embedding, but to transform, inverse-transform or save, fit it again keeping them".into()
            })
        })?;
        Ok(self.index.get_or_init(|| {
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
        }))
    }

    /// For each row of `data` (with the training data's columns), the training row it equals
    /// value for value, if any: the lowest numbered one when several do. Rows are hashed as the
    /// index stores them (byte rows eight values to a word), so that the table costs little
    /// beside a search even for a model just loaded.
    fn training_matches(&self, data: &Data) -> Result<Vec<Option<u32>>> {
        let (n, d) = (self.n_train(), self.n_features);
        let index = self.index()?;
        let ids = index.graph.ids();
        // (key, training row, position in the index), sorted; one entry per key, the lowest row.
        let table = self.identities.get_or_init(|| {
            let mut table: Vec<(u64, u32, u32)> = (0..n).into_par_iter().map(|t| (index.rows.stored_key(t, d), ids[t], t as u32)).collect();
            table.sort_unstable();
            table.dedup_by_key(|e| e.0);
            table
        });
        Ok((0..data.n_rows())
            .into_par_iter()
            .map_init(
                || vec![0u8; d],
                |buf, i| {
                    let lookup = |key: u64| table.get(table.partition_point(|e| e.0 < key)).filter(|e| e.0 == key).map(|e| e.2 as usize);
                    index.rows.find(data.row(i), buf, lookup).map(|t| ids[t])
                },
            )
            .collect())
    }

    /// The training rows, in the order of the embedding.
    ///
    /// # Errors
    /// As [`TransformState::index`].
    pub fn train_rows(&self) -> Result<TrainRows<'_>> {
        let index = self.index()?;
        let mut position = vec![0u32; self.n_train()];
        for (t, &i) in index.graph.ids().iter().enumerate() {
            position[i as usize] = t as u32;
        }
        Ok(TrainRows { rows: &index.rows, position, d: self.n_features })
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

    /// Checks the internal consistency of a state read from a file: every length against
    /// `n_features`, `n_components` and the number of training points, indices in range, finite
    /// values where a transform needs them, the metric against `n_features`. The message names
    /// the part and the numbers.
    fn validate(&self) -> std::result::Result<(), String> {
        let (d, dim) = (self.n_features, self.n_components);
        let unfit = |what: String| Err(format!("the model's arrays do not fit together: {what}"));
        if d == 0 || dim == 0 {
            return unfit(format!("{d} features and {dim} components (both must be at least 1)"));
        }
        if !self.embedding.len().is_multiple_of(dim) {
            return unfit(format!("the embedding has {} values, not a multiple of its {dim} components", self.embedding.len()));
        }
        let n = self.n_train();
        if n < 2 {
            return unfit(format!("the embedding holds {n} points; a fit has at least 2"));
        }
        let index = self.index.get().ok_or_else(|| "the model has no search index".to_string())?;
        if n.checked_mul(d) != Some(index.rows.len()) {
            return unfit(format!("the training rows hold {} values, not {n} points × {d} features", index.rows.len()));
        }
        index.rows.check(d)?;
        for (name, len) in [("sigmas", self.scales.sigmas.len()), ("rhos", self.scales.rhos.len())] {
            if len != n {
                return unfit(format!("the data's {name} have {len} values for {n} points"));
            }
        }
        let finite = |name: &str, values: &[f32]| match values.iter().position(|v| !v.is_finite()) {
            Some(i) => Err(format!("{name} holds {} at index {i}, not a finite number", values[i])),
            None => Ok(()),
        };
        finite("the embedding", &self.embedding)?;
        finite("the data's sigmas", &self.scales.sigmas)?;
        finite("the data's rhos", &self.scales.rhos)?;
        let positive = [("a", self.a), ("b", self.b), ("learning_rate", self.learning_rate)];
        let non_negative = [("repulsion_strength", self.repulsion_strength), ("local_connectivity", self.local_connectivity)];
        for (name, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("{name} is {v}; it must be a finite number > 0"));
            }
        }
        for (name, v) in non_negative {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("{name} is {v}; it must be a finite number ≥ 0"));
            }
        }
        if let Some(c) = self.disconnection_distance
            && c.is_nan()
        {
            return Err("disconnection_distance is NaN".into());
        }
        if self.n_neighbors < 2 {
            return Err(format!("n_neighbors is {}; it must be at least 2", self.n_neighbors));
        }
        if self.metric == Metric::Precomputed && d != n {
            return unfit(format!("a model of precomputed distances has one column per training point, but {d} columns for {n} points"));
        }
        self.metric.check_params(d).map_err(|e| format!("the metric does not fit the model's {d} features: {e}"))?;
        index.graph.validate(n).map_err(|e| e.to_string())
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
    /// of training points, for precomputed distances), a new point has no training neighbour
    /// within the disconnection distance, or the model was fitted without keeping its training
    /// rows; [`Error::InvalidParameter`] for a negative precomputed
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
            return Err(Error::InvalidData(format!("the model was fitted on {} columns but the new data has {}", s.n_features, data.n_cols())));
        }
        let m = data.n_rows();
        if let Some(keys) = keys
            && keys.len() != m
        {
            return Err(Error::InvalidData(format!("{} keys for {m} new rows", keys.len())));
        }
        let matches = s.training_matches(data)?;
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
        let (idx, dist) = if s.metric == Metric::Precomputed { query_precomputed(data, k, progress)? } else { self.query_training(data, k, progress)? };
        progress.check()?;
        self.place(data, &idx, &dist, k, keys, progress)
    }

    /// The `k` nearest training points of each row of `data`, searched in the model's index.
    fn query_training(&self, data: &Data, k: usize, progress: &dyn Progress) -> Result<(Vec<u32>, Vec<f32>)> {
        let s = &self.state;
        let n = s.n_train();
        let index = s.index()?;
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
            output_metric: s.output_metric,
        };
        optimize_layout_fixed(&indptr, &cols, &weights, Some(1.0), &keys, &mut init, &s.embedding, dim, &layout, progress)?;
        Ok(Data::from_trusted(init, m, dim))
    }

    /// The model as bytes: a versioned, checksummed header with the parameters, and what a
    /// transform needs.
    ///
    /// # Errors
    /// [`Error::InvalidData`] for a model fitted without keeping its training rows.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        self.state.index()?;
        crate::io::model::to_bytes(MODEL_KIND, &self.state.params, &self.state)
    }

    /// Whether the model kept its training rows: without them ([`crate::method::Context::keep_data`]
    /// false at fit) it cannot transform, inverse-transform or be saved.
    pub fn keeps_rows(&self) -> bool {
        self.state.keeps_rows()
    }

    /// What the model can do: always give its embedding; transform, inverse-transform and be
    /// saved when it kept its training rows.
    pub fn capabilities(&self) -> crate::method::Capabilities {
        let kept = self.keeps_rows();
        crate::method::Capabilities { embedding: true, transform: kept, inverse_transform: kept, save: kept }
    }

    /// The parameters as the fit resolved them (the curve's `a` and `b` fitted), or as the model
    /// file recorded them.
    pub fn params(&self) -> &[(&'static str, Value)] {
        &self.state.params
    }

    /// Reads a model written by [`UmapModel::to_bytes`].
    ///
    /// # Errors
    /// [`Error::InvalidData`] for bytes that are not an unfold UMAP model, come from a newer
    /// or an older format version, are truncated or corrupt.
    pub fn from_bytes(bytes: &[u8]) -> Result<UmapModel> {
        let (read, mut state): (_, TransformState) = crate::io::model::decode(MODEL_KIND, bytes)?;
        state.validate().map_err(|what| Error::InvalidData(format!("corrupt model: {what}")))?;
        state.params = crate::method::declared(&UmapParams::specs(), read)?;
        // Files written before output metrics existed name none: the plane.
        if let Some((_, v)) = state.params.iter().find(|(n, _)| *n == "output_metric") {
            use crate::method::params::ParamType;
            state.output_metric = OutputMetric::from_value("output_metric", v).map_err(|e| Error::InvalidData(format!("corrupt model: {e}")))?;
            state.output_metric.check_components(state.n_components).map_err(|e| Error::InvalidData(format!("corrupt model: {e}")))?;
        }
        Ok(UmapModel::from_state(state))
    }
}

/// UMAP model files. Version 2: the search graph starts from an entry tree, not fixed points;
/// version 3: byte rows are stored with their columns by decreasing variance; version 4: the
/// rows and the graph's points are in the order of the entry tree's leaves; version 5: the
/// data's `sigma` and `rho` per point and the densMAP flag, for the inverse transform; version
/// 6: the file records the parameters.
const MODEL_KIND: Kind = Kind { tag: "umap", version: 6 };

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
        assert!(rows.check(d).is_ok());
        assert_eq!(rows.to_data(n, d).as_slice(), &x[..]);
        let broken = Rows::Bytes { values: values.clone(), columns: vec![0, 0, 2, 3, 4, 5] };
        assert!(broken.check(d).is_err());
    }

    /// A small fitted model read back from its bytes (so its index is built), and its parameters.
    fn loaded(bytes_rows: bool) -> (TransformState, crate::io::model::Parameters) {
        let (n, d) = (60, 3);
        let x: Vec<f32> =
            (0..n * d).map(|i| if bytes_rows { ((i * 37 + i / d * 11) % 200) as f32 } else { ((i * 37 % 101) as f32 * 0.13).sin() * 4.0 }).collect();
        let data = Data::from_row_major(&x, n, d).unwrap();
        let model = crate::embed::umap::Umap::builder().n_neighbors(5).n_epochs(10).build().unwrap().fit(&data, &crate::method::Context::seeded(1)).unwrap();
        let bytes = model.to_bytes().unwrap();
        (UmapModel::from_bytes(&bytes).unwrap().state, crate::io::model::parameters_of(&bytes).unwrap())
    }

    /// The error of loading `state` re-encoded under `params`.
    fn load_error(state: &TransformState, params: &crate::io::model::Parameters) -> String {
        let params: Vec<(&str, Value)> = params.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
        let bytes = crate::io::model::to_bytes(MODEL_KIND, &params, state).unwrap();
        match UmapModel::from_bytes(&bytes) {
            Ok(_) => panic!("an inconsistent model was accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn loading_names_the_part_that_does_not_fit() {
        let (good, params) = loaded(false);
        assert!(matches!(good.index.get().unwrap().rows, Rows::Floats(_)));
        let check = |change: &dyn Fn(&mut TransformState), expected: &str| {
            let mut s = good.clone();
            change(&mut s);
            let e = load_error(&s, &params);
            assert!(e.starts_with("corrupt model: ") && e.contains(expected), "expected {expected:?} in {e:?}");
        };
        check(&|s| s.n_features = 4, "the training rows hold 180 values, not 60 points × 4 features");
        check(&|s| s.n_components = 0, "3 features and 0 components");
        check(&|s| s.n_components = 7, "the embedding has 120 values, not a multiple of its 7 components");
        check(&|s| s.embedding.truncate(2), "the embedding holds 1 points");
        check(&|s| s.embedding[5] = f32::NAN, "the embedding holds NaN at index 5");
        check(&|s| s.scales.sigmas.pop().map_or((), drop), "the data's sigmas have 59 values for 60 points");
        check(&|s| s.scales.rhos[2] = f32::INFINITY, "the data's rhos holds inf at index 2");
        check(&|s| s.a = -1.0, "a is -1; it must be a finite number > 0");
        check(&|s| s.local_connectivity = f32::NAN, "local_connectivity is NaN");
        check(&|s| s.n_neighbors = 1, "n_neighbors is 1");
        check(
            &|s| {
                if let Some(Index { rows: Rows::Floats(f), .. }) = s.index.get_mut() {
                    f[4] = f32::NAN;
                }
            },
            "the training rows hold NaN at row 1, column 1",
        );
        // The metric against the 3 columns.
        check(&|s| s.metric = Metric::Haversine, "haversine needs exactly 2 columns");
        check(&|s| s.metric = Metric::Minkowski { p: 0.5 }, "the Minkowski exponent p must be finite and ≥ 1");
        check(&|s| s.metric = Metric::WMinkowski { w: Some(vec![1.0, -1.0, 1.0]), p: 2.0 }, "every value must be finite and non-negative");
        check(&|s| s.metric = Metric::SEuclidean { v: Some(vec![1.0, 1.0]) }, "must hold one value per column of the data (3)");
        check(&|s| s.metric = Metric::SEuclidean { v: Some(vec![1.0, 0.0, 1.0]) }, "`V`: 0 at index 1");
        check(&|s| s.metric = Metric::Mahalanobis { vi: Some(vec![1.0; 4]) }, "must be a 3 × 3 matrix");
        check(&|s| s.metric = Metric::Mahalanobis { vi: Some(vec![f64::NAN; 9]) }, "`VI`: NaN at index 0");
        check(&|s| s.metric = Metric::Precomputed, "one column per training point, but 3 columns for 60 points");
        // An unknown parameter in the header.
        let mut renamed = params.clone();
        renamed[0].0 = "n_neighbours".into();
        let e = load_error(&good, &renamed);
        assert!(e.contains("names `n_neighbours`, which is not a parameter"), "{e}");
    }

    #[test]
    fn loading_checks_the_byte_rows_column_order() {
        let (good, params) = loaded(true);
        fn columns(s: &mut TransformState) -> &mut Vec<u32> {
            match s.index.get_mut() {
                Some(Index { rows: Rows::Bytes { columns, .. }, .. }) => columns,
                _ => panic!("integer rows are kept as bytes"),
            }
        }
        let mut s = good.clone();
        columns(&mut s)[1] = 3;
        let e = load_error(&s, &params);
        assert!(e.contains("names column 3 at position 1, beyond the 3 features"), "{e}");
        let mut s = good.clone();
        let c = columns(&mut s);
        c[1] = c[0];
        let e = load_error(&s, &params);
        assert!(e.contains("twice (again at position 1): it is not a permutation"), "{e}");
        let mut s = good.clone();
        columns(&mut s).pop();
        let e = load_error(&s, &params);
        assert!(e.contains("column order has 2 entries for 3 features"), "{e}");
    }

    #[test]
    fn a_fit_without_its_rows_gives_its_embedding_and_refuses_the_rest() {
        let (n, d) = (60, 3);
        let x: Vec<f32> = (0..n * d).map(|i| ((i * 37 % 101) as f32 * 0.13).sin() * 4.0).collect();
        let data = Data::from_row_major(&x, n, d).unwrap();
        let umap = crate::embed::umap::Umap::builder().n_neighbors(5).n_epochs(10).build().unwrap();
        let kept = umap.fit(&data, &crate::method::Context::seeded(1)).unwrap();
        let lean = umap.fit(&data, &crate::method::Context { keep_data: false, ..crate::method::Context::seeded(1) }).unwrap();
        assert!(kept.embedding().as_slice() == lean.embedding().as_slice());
        assert!(kept.keeps_rows() && !lean.keeps_rows());
        assert!(lean.state.fit.0.lock().unwrap().is_none(), "the fit kept a copy of the rows");
        let caps = lean.capabilities();
        assert!(caps.embedding && !caps.transform && !caps.inverse_transform && !caps.save, "{caps:?}");
        assert_eq!(kept.capabilities(), crate::method::Capabilities { embedding: true, transform: true, inverse_transform: true, save: true });
        assert_eq!(lean.params(), kept.params());
        let refusal = "this UMAP model was fitted without keeping its training rows";
        for e in [lean.to_bytes().unwrap_err(), lean.transform(&data).unwrap_err(), lean.inverse_transform(&lean.embedding()).unwrap_err()] {
            assert!(e.to_string().starts_with(refusal) && e.is_user_error(), "{e}");
        }
    }
}
