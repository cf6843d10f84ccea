//! The fitted LLE model: the embedding, the reconstruction error, and what `transform` needs,
//! the training rows in a [`NeighborIndex`].
//!
//! `transform` is scikit-learn's: each new row's `n_neighbors` nearest training rows, its
//! barycenter weights on them ([`local::barycenter_weights`], the same `reg`), and the weighted
//! sum of their coordinates, `y = Σ_j w_j Y_j`, for every variant of LLE.

use rayon::prelude::*;

use super::local::{self, LocalScratch};
use super::{ENTRY, LleParams};
use crate::data::{Data, Embedding};
use crate::error::{Error, Result};
use crate::io::model::{self, Kind};
use crate::knn::search::NeighborIndex;
use crate::method::{Attribute, Capabilities, Context, Fitted, Input, Params, Value, declared, rows_not_kept};

/// The model file kind.
const KIND: Kind = Kind { tag: "lle", version: 1 };

/// A fitted locally linear embedding.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LleModel {
    n_samples: usize,
    n_features: usize,
    n_components: usize,
    n_neighbors: usize,
    reg: f64,
    /// `n_samples × n_components`, row-major: the eigenvectors of `M`.
    embedding: Vec<f64>,
    /// Their eigenvalues.
    eigenvalues: Vec<f64>,
    /// The training rows' neighbour index, when the fit kept its data.
    index: Option<NeighborIndex>,
    #[serde(skip)]
    embedding32: Vec<f32>,
    #[serde(skip)]
    params: Vec<(&'static str, Value)>,
}

impl LleModel {
    /// A model from the fit's results.
    ///
    /// # Errors
    /// [`Error::Numerical`] when the embedding holds a value that is not finite.
    pub(super) fn new(
        n_features: usize,
        n_components: usize,
        n_neighbors: usize,
        reg: f64,
        embedding: Vec<f64>,
        eigenvalues: Vec<f64>,
        index: Option<NeighborIndex>,
    ) -> Result<LleModel> {
        let n_samples = embedding.len() / n_components;
        if let Some(p) = embedding.iter().chain(&eigenvalues).position(|v| !v.is_finite()) {
            return Err(Error::Numerical { stage: "locally linear embedding", message: format!("the eigensolver gave a value that is not finite (at {p})") });
        }
        let embedding32 = embedding.iter().map(|&v| v as f32).collect();
        Ok(LleModel { n_samples, n_features, n_components, n_neighbors, reg, embedding, eigenvalues, index, embedding32, params: Vec::new() })
    }

    pub(super) fn set_params(&mut self, params: Vec<(&'static str, Value)>) {
        self.params = params;
    }

    /// The embedding in `f64`, row-major `n_samples × n_components`.
    pub fn embedding_f64(&self) -> &[f64] {
        &self.embedding
    }

    /// The eigenvalues of `M` whose eigenvectors are the embedding's columns.
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// scikit-learn's `reconstruction_error_`: the sum of [`LleModel::eigenvalues`].
    pub fn reconstruction_error(&self) -> f64 {
        self.eigenvalues.iter().sum()
    }

    /// The model file's bytes.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the fit kept no training rows.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        if self.index.is_none() {
            return Err(rows_not_kept("this LLE model"));
        }
        model::to_bytes(KIND, &self.params, self)
    }

    /// A model from [`LleModel::to_bytes`], checked for consistency.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming what does not fit ("corrupt model: …").
    pub fn from_bytes(bytes: &[u8]) -> Result<LleModel> {
        let (read, mut m): (_, LleModel) = model::decode(KIND, bytes)?;
        m.validate().map_err(|what| Error::InvalidData(format!("corrupt model: {what}")))?;
        m.embedding32 = m.embedding.iter().map(|&v| v as f32).collect();
        m.params = declared(&LleParams::specs(), read)?;
        Ok(m)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let (n, k) = (self.n_samples, self.n_components);
        if n == 0 || k == 0 || n.checked_mul(k) != Some(self.embedding.len()) || self.eigenvalues.len() != k {
            return Err(format!(
                "{} embedding values and {} eigenvalues do not fit {n} points and {k} components",
                self.embedding.len(),
                self.eigenvalues.len()
            ));
        }
        if self.embedding.iter().chain(&self.eigenvalues).any(|v| !v.is_finite()) {
            return Err("the embedding or eigenvalues hold a value that is not finite".into());
        }
        if self.n_neighbors == 0 || self.n_neighbors >= n || !(self.reg.is_finite() && self.reg >= 0.0) {
            return Err(format!("n_neighbors {} or reg {} is out of range for {n} points", self.n_neighbors, self.reg));
        }
        match &self.index {
            Some(index) if index.n_points() != n => Err(format!("the neighbour index holds {} points, not {n}", index.n_points())),
            Some(index) if index.metric() != &crate::metric::Metric::Euclidean => Err("the neighbour index is not euclidean".into()),
            Some(index) => index.validate().map_err(|e| e.to_string()),
            None => Err("the model holds no training rows".into()),
        }
    }

    /// scikit-learn's `transform` (see the [module docs](self)).
    fn place(&self, data: &Data, ctx: &Context) -> Result<Embedding> {
        let index = self.index.as_ref().ok_or_else(|| rows_not_kept("this LLE model"))?;
        if data.n_cols() != self.n_features {
            return Err(Error::InvalidData(format!("the model was fitted on {} features, the new data has {}", self.n_features, data.n_cols())));
        }
        let (m, k, dims) = (data.n_rows(), self.n_neighbors, self.n_components);
        let (idx, _) = index.query(data, k, ctx.progress)?;
        ctx.progress.check()?;
        let row = |j: u32| index.row(j as usize).expect("euclidean index keeps its rows");
        let mut out = vec![0.0f32; m * dims];
        let failed: Vec<usize> = out
            .par_chunks_mut(dims)
            .enumerate()
            .map_init(
                || LocalScratch::new(k, self.n_features, dims),
                |s, (i, y)| {
                    let nb = &idx[i * k..(i + 1) * k];
                    if local::barycenter_weights(s, data.row(i), |j| row(nb[j]), self.reg).is_err() {
                        return Some(i);
                    }
                    for (c, o) in y.iter_mut().enumerate() {
                        *o = nb.iter().zip(s.weights()).map(|(&j, &w)| w * self.embedding[j as usize * dims + c]).sum::<f64>() as f32;
                    }
                    None
                },
            )
            .flatten()
            .collect();
        if let Some(&i) = failed.first() {
            return Err(Error::InvalidData(format!(
                "the regularised Gram matrix of row {i} of the new data on its training neighbours is singular; fit with reg above {}",
                self.reg
            )));
        }
        Data::from_vec(out, m, dims)
    }
}

impl Fitted for LleModel {
    fn method(&self) -> &'static str {
        ENTRY.name
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { embedding: true, transform: self.index.is_some(), inverse_transform: false, save: self.index.is_some() }
    }

    fn n_components(&self) -> usize {
        self.n_components
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn embedding(&self) -> Option<Data<'_>> {
        Some(Data::from_trusted_slice(&self.embedding32, self.n_samples, self.n_components))
    }

    fn transform(&self, data: Input<'_>, ctx: &Context) -> Result<Embedding> {
        let x = data.f32()?;
        ctx.install(|| self.place(&x, ctx))
    }

    fn attributes(&self) -> Vec<Attribute> {
        vec![
            Attribute::matrix("embedding_", self.embedding.clone(), self.n_samples, self.n_components),
            Attribute::scalar("reconstruction_error_", self.reconstruction_error()),
            Attribute::vector("eigenvalues_", self.eigenvalues.clone()),
        ]
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        LleModel::to_bytes(self)
    }

    fn params(&self) -> Vec<(&'static str, Value)> {
        self.params.clone()
    }
}
