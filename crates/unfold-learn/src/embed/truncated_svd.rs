//! Truncated SVD, as scikit-learn's `TruncatedSVD` (latent semantic analysis): the `k` largest
//! singular directions of the data **without centring it**, so that sparse input stays sparse
//! (term counts, single-cell counts). The embedding is `U Σ = X Vᵀ`.
//!
//! The solver is the randomized SVD of [`crate::linalg::randomized_svd`] with scikit-learn's
//! defaults (`n_iter = 5`, `n_oversamples = 10`); the signs follow scikit-learn's
//! `svd_flip(u_based_decision=False)`: the largest-magnitude entry of each component is
//! positive. `explained_variance_` is the variance of each embedding column and
//! `explained_variance_ratio_` its share of the data's total variance, as scikit-learn computes
//! them. scikit-learn's `algorithm="arpack"` is not offered: the randomized solver with more
//! `n_iter` converges to the same components.

use faer::Mat;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{Data, Embedding, SparseData};
use crate::error::{Error, Result};
use crate::io::model::{self, Kind};
use crate::linalg::Rows;
use crate::linalg::randomized_svd::{Centred, LinearOperator, randomized_svd};
use crate::method::{Attribute, Capabilities, Context, Fitted, Input, MethodEntry, Params, Range, Value, declared, params_from, resolved_values};

/// scikit-learn's `power_iteration_normalizer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PowerIterationNormalizer {
    /// QR after every product (unfold's choice for `auto`: scikit-learn picks LU, which spans the
    /// same subspace).
    Auto,
    /// QR after every product.
    Qr,
    /// No normalisation between products (fast, but loses small directions to rounding).
    None,
}
crate::choice_param!(PowerIterationNormalizer { Auto = "auto", Qr = "qr", None = "none" });

/// scikit-learn's `algorithm`: the randomized solver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SvdAlgorithm {
    /// Randomized SVD (Halko et al. 2011).
    Randomized,
}
crate::choice_param!(SvdAlgorithm { Randomized = "randomized" });

crate::method_params! {
    /// Parameters of [`TruncatedSvd`]; `Default` = scikit-learn's.
    pub struct TruncatedSvdParams {
        /// Output dimensions, at most min(n_samples, n_features).
        n_components: usize = 2, flag = "dims", range = Range::at_least(1.0);
        /// Solver: randomized (scikit-learn's arpack is not offered; raise n_iter for more precision).
        algorithm: SvdAlgorithm = SvdAlgorithm::Randomized;
        /// Power iterations of the randomized solver.
        n_iter: usize = 5;
        /// Extra random vectors of the randomized solver.
        n_oversamples: usize = 10;
        /// Normalisation between power iterations: auto (= QR), QR or none.
        power_iteration_normalizer: PowerIterationNormalizer = PowerIterationNormalizer::Auto;
    }
}

/// The method's registration ([`crate::method::methods`]).
pub const ENTRY: MethodEntry = MethodEntry {
    name: "svd",
    summary: "Truncated SVD without centring, for sparse input (scikit-learn's TruncatedSVD)",
    specs: <TruncatedSvdParams as crate::method::Params>::specs,
    precise: true,
    supervised: false,
    precomputed_knn: false,
    sparse: true,
    fit: |values, data, ctx| Ok(Box::new(TruncatedSvd::new(params_from(values)?).fit(data.x, ctx)?)),
    load: |bytes| Ok(Box::new(TruncatedSvdModel::from_bytes(bytes)?)),
};

const KIND: Kind = Kind { tag: "svd", version: 1 };

/// Validated truncated SVD, ready to fit.
#[derive(Debug, Clone)]
pub struct TruncatedSvd {
    params: TruncatedSvdParams,
}

/// A fitted truncated SVD.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruncatedSvdModel {
    n_features: usize,
    n_components: usize,
    /// `k × d`, row-major.
    components: Vec<f64>,
    explained_variance: Vec<f64>,
    explained_variance_ratio: Vec<f64>,
    singular_values: Vec<f64>,
    embedding: Vec<f32>,
    #[serde(skip)]
    params: Vec<(&'static str, Value)>,
}

/// Dense rows as they are (no centring).
fn uncentred<'a, R: Rows + ?Sized>(data: &'a R, zeros: &'a [f64]) -> Centred<'a, R> {
    Centred { data, mean: zeros, scale: 1.0 }
}

impl TruncatedSvd {
    /// Truncated SVD with `params`.
    pub fn new(params: TruncatedSvdParams) -> TruncatedSvd {
        TruncatedSvd { params }
    }

    /// Fits dense or sparse rows; `ctx.seed` seeds the random block.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `n_components` above `min(n_samples, n_features)`;
    /// [`Error::Numerical`] when the small SVD fails; [`Error::Cancelled`].
    pub fn fit(&self, x: Input<'_>, ctx: &Context) -> Result<TruncatedSvdModel> {
        let (n, d, k) = (x.n_rows(), x.n_cols(), self.params.n_components);
        if k > n.min(d) {
            return Err(Error::param("n_components", k, format!("must be at most min(n_samples, n_features) = {}", n.min(d))));
        }
        ctx.install(|| {
            let zeros = vec![0.0; d];
            let (dense32, dense64);
            let op: &dyn LinearOperator = match x {
                Input::F32(m) => {
                    dense32 = uncentred(m, &zeros);
                    &dense32
                }
                Input::F64(m) => {
                    dense64 = uncentred(m, &zeros);
                    &dense64
                }
                Input::Sparse(m) => m,
            };
            ctx.progress.stage("truncated SVD", 1);
            let normalize = self.params.power_iteration_normalizer != PowerIterationNormalizer::None;
            let (singular, vt) = randomized_svd(op, k, self.params.n_oversamples, self.params.n_iter, normalize, ctx.seed, ctx.progress, "truncated SVD")?;
            let mut components: Vec<f64> = (0..k).flat_map(|r| (0..d).map(move |c| (r, c))).map(|(r, c)| vt[(r, c)]).collect();
            flip_rows(&mut components, d);
            // The embedding X Vᵀ (= U Σ), and scikit-learn's variances.
            let projected = op.times(Mat::from_fn(d, k, |c, r| components[r * d + c]).as_ref());
            let column_var = |j: usize| {
                let mean = (0..n).map(|i| projected[(i, j)]).sum::<f64>() / n as f64;
                (0..n).map(|i| (projected[(i, j)] - mean).powi(2)).sum::<f64>() / n as f64
            };
            let explained_variance: Vec<f64> = (0..k).map(column_var).collect();
            let total = total_variance(x);
            let explained_variance_ratio = explained_variance.iter().map(|v| if total > 0.0 { v / total } else { 0.0 }).collect();
            let embedding: Vec<f32> = (0..n).flat_map(|i| (0..k).map(move |j| (i, j))).map(|(i, j)| projected[(i, j)] as f32).collect();
            ctx.progress.inc(1);
            ctx.progress.finish_stage();
            let mut model = TruncatedSvdModel {
                n_features: d,
                n_components: k,
                components,
                explained_variance,
                explained_variance_ratio,
                singular_values: singular,
                embedding,
                params: Vec::new(),
            };
            model.params = resolved_values(&self.params, &[]);
            Ok(model)
        })
    }
}

/// Makes the largest-magnitude entry of each row positive (the first on ties).
fn flip_rows(rows: &mut [f64], d: usize) {
    for row in rows.chunks_mut(d) {
        let best = (0..d).fold(0, |b, j| if row[j].abs() > row[b].abs() { j } else { b });
        if row[best] < 0.0 {
            row.iter_mut().for_each(|v| *v = -*v);
        }
    }
}

/// The sum of the columns' variances (`ddof = 0`), in `f64`.
fn total_variance(x: Input<'_>) -> f64 {
    let (n, d) = (x.n_rows(), x.n_cols());
    let (mut sum, mut sq) = (vec![0.0f64; d], vec![0.0f64; d]);
    let mut add = |c: usize, v: f64| {
        sum[c] += v;
        sq[c] += v * v;
    };
    match x {
        Input::F32(m) => (0..n).for_each(|i| m.row(i).iter().enumerate().for_each(|(c, &v)| add(c, v as f64))),
        Input::F64(m) => (0..n).for_each(|i| m.row(i).iter().enumerate().for_each(|(c, &v)| add(c, v))),
        Input::Sparse(m) => m.indices().iter().zip(m.values()).for_each(|(&c, &v)| add(c as usize, v as f64)),
    }
    sum.iter().zip(&sq).map(|(s, q)| (q / n as f64 - (s / n as f64).powi(2)).max(0.0)).sum()
}

impl TruncatedSvdModel {
    /// The components, `n_components × n_features` row-major.
    pub fn components(&self) -> &[f64] {
        &self.components
    }

    /// The singular values, largest first.
    pub fn singular_values(&self) -> &[f64] {
        &self.singular_values
    }

    /// The embedding of the training rows, `n × n_components`.
    pub fn embedding(&self) -> Data<'_> {
        Data::from_trusted_slice(&self.embedding, self.embedding.len() / self.n_components, self.n_components)
    }

    /// `X Vᵀ` for new rows, dense or sparse.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the rows do not have the fit's number of columns.
    pub fn transform(&self, x: Input<'_>) -> Result<Embedding> {
        let (k, d) = (self.n_components, self.n_features);
        if x.n_cols() != d {
            return Err(Error::InvalidData(format!("the model was fitted on {d} columns, but the data has {}", x.n_cols())));
        }
        let dot = |cols: &mut dyn Iterator<Item = (usize, f64)>, out: &mut [f32]| {
            let mut sums = vec![0.0f64; k];
            for (c, v) in cols {
                sums.iter_mut().enumerate().for_each(|(j, o)| *o += v * self.components[j * d + c]);
            }
            out.iter_mut().zip(&sums).for_each(|(o, &s)| *o = s as f32);
        };
        let mut values = vec![0f32; x.n_rows() * k];
        values.par_chunks_mut(k).enumerate().for_each(|(i, out)| match x {
            Input::F32(m) => dot(&mut m.row(i).iter().enumerate().map(|(c, &v)| (c, v as f64)), out),
            Input::F64(m) => dot(&mut m.row(i).iter().copied().enumerate(), out),
            Input::Sparse(m) => {
                let (cols, vals) = m.row(i);
                dot(&mut cols.iter().zip(vals).map(|(&c, &v)| (c as usize, v as f64)), out)
            }
        });
        Data::from_vec(values, x.n_rows(), k)
    }

    /// `Y V`: points of the embedding mapped back to data space.
    pub fn inverse_transform(&self, y: &Data) -> Result<Embedding> {
        let (k, d) = (self.n_components, self.n_features);
        if y.n_cols() != k {
            return Err(Error::InvalidData(format!("the model has {k} components, but the embedding has {} columns", y.n_cols())));
        }
        let values = (0..y.n_rows())
            .flat_map(|i| (0..d).map(move |c| (i, c)))
            .map(|(i, c)| y.row(i).iter().enumerate().map(|(j, &v)| v as f64 * self.components[j * d + c]).sum::<f64>() as f32)
            .collect();
        Data::from_vec(values, y.n_rows(), d)
    }

    /// The model file's bytes.
    ///
    /// # Errors
    /// Only if serialisation fails.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        model::to_bytes(KIND, &self.params, self)
    }

    /// A model from [`TruncatedSvdModel::to_bytes`], checked for consistency.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming what is wrong ("corrupt model: …").
    pub fn from_bytes(bytes: &[u8]) -> Result<TruncatedSvdModel> {
        let (read, mut m): (_, TruncatedSvdModel) = model::decode(KIND, bytes)?;
        let (k, d) = (m.n_components, m.n_features);
        let fits = k >= 1
            && k <= d
            && k.checked_mul(d) == Some(m.components.len())
            && [m.explained_variance.len(), m.explained_variance_ratio.len(), m.singular_values.len()] == [k; 3]
            && m.embedding.len() % k == 0
            && m.components.iter().chain(&m.singular_values).all(|v| v.is_finite())
            && m.embedding.iter().all(|v| v.is_finite());
        if !fits {
            return Err(Error::InvalidData(format!("corrupt model: the truncated SVD's arrays do not fit together ({k} components of {d} features)")));
        }
        m.params = declared(&TruncatedSvdParams::specs(), read)?;
        Ok(m)
    }
}

impl Fitted for TruncatedSvdModel {
    fn method(&self) -> &'static str {
        ENTRY.name
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { embedding: true, transform: true, inverse_transform: true, save: true }
    }

    fn n_components(&self) -> usize {
        self.n_components
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn embedding(&self) -> Option<Data<'_>> {
        Some(TruncatedSvdModel::embedding(self))
    }

    fn transform(&self, data: Input<'_>, ctx: &Context) -> Result<Embedding> {
        ctx.install(|| TruncatedSvdModel::transform(self, data))
    }

    fn inverse_transform(&self, embedded: &Data, ctx: &Context) -> Result<Embedding> {
        ctx.install(|| TruncatedSvdModel::inverse_transform(self, embedded))
    }

    fn attributes(&self) -> Vec<Attribute> {
        let (k, d) = (self.n_components, self.n_features);
        vec![
            Attribute::matrix("components_", self.components.clone(), k, d),
            Attribute::vector("explained_variance_", self.explained_variance.clone()),
            Attribute::vector("explained_variance_ratio_", self.explained_variance_ratio.clone()),
            Attribute::vector("singular_values_", self.singular_values.clone()),
        ]
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        TruncatedSvdModel::to_bytes(self)
    }

    fn params(&self) -> Vec<(&'static str, Value)> {
        self.params.clone()
    }
}

/// The truncated SVD embedding of sparse rows (`ctx.seed` seeds it): UMAP's and t-SNE's
/// `init = "pca"` on sparse input, as umap-learn does it (no centring, which would make the rows
/// dense).
pub(crate) fn sparse_embedding(x: &SparseData, k: usize, ctx: &Context) -> Result<Vec<f32>> {
    let params = TruncatedSvdParams { n_components: k, ..Default::default() };
    Ok(TruncatedSvd::new(params).fit(Input::Sparse(x), ctx)?.embedding)
}
