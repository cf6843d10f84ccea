//! Random projection, as scikit-learn's `GaussianRandomProjection` and `SparseRandomProjection`
//! (`sklearn.random_projection`): rows are multiplied by a random `n_components × n_features`
//! matrix, which keeps pairwise distances within a factor `1 ± eps` with high probability when
//! `n_components` is at least the Johnson–Lindenstrauss bound
//! `4 ln(n_samples) / (eps²/2 − eps³/3)` ([`johnson_lindenstrauss_min_dim`]), the `"auto"`
//! choice.
//!
//! * **Gaussian** (`gaussian = true`): entries `N(0, 1/n_components)`.
//! * **Sparse** (the default, Achlioptas 2003; Li, Hastie & Church 2006): each entry is
//!   `±√(1/density) / √n_components` with probability `density / 2` each and `0` otherwise;
//!   `density = "auto"` is `1/√n_features`.
//!
//! The matrix depends only on the seed and its shape: entry `(c, j)` is drawn from a hash of
//! `(seed, c, j)`, so it is the same at any thread count, and the projection of a row depends
//! only on that row. scikit-learn draws from numpy's generator, so the matrices differ from
//! scikit-learn's for the same seed; their distribution is the same.
//!
//! This method is the worked example of the [method contract](crate::method): its parameters,
//! fit, model and registration are all in this file.

use crate::linalg::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rayon::prelude::*;

use crate::data::{Data, Embedding};
use crate::error::{Error, Result};
use crate::io::model::{self, Kind};
use crate::linalg::pinv;
use crate::method::{Attribute, Auto, Capabilities, Context, Fitted, Input, MethodEntry, Params, Range, Value, declared, params_from, resolved_values};
use crate::rng::{SeedSource, normal_f64, unit_f64};

crate::method_params! {
    /// Parameters of [`RandomProjection`]; `Default` = scikit-learn's.
    pub struct RandomProjectionParams {
        /// Output dimensions, or "auto": the Johnson–Lindenstrauss bound for `eps` and the number of rows.
        n_components: Auto<usize> = Auto::Auto, flag = "dims", range = Range::at_least(1.0);
        /// Distortion of pairwise distances that the "auto" dimension allows, in (0, 1).
        eps: f64 = 0.1, range = Range::open(0.0, 1.0);
        /// Share of non-zero entries of the sparse matrix, in (0, 1], or "auto" = 1/√n_features.
        density: Auto<f64> = Auto::Auto, range = Range::left_open(0.0, 1.0);
        /// A dense Gaussian matrix (scikit-learn's GaussianRandomProjection) instead of the sparse one.
        gaussian: bool = false;
        /// Compute the matrix's pseudo-inverse at fit, for inverse_transform.
        compute_inverse_components: bool = false;
    }
}

/// The method's registration ([`crate::method::methods`]).
pub const ENTRY: MethodEntry = MethodEntry {
    name: "random-projection",
    summary: "Gaussian or sparse random projection (scikit-learn's GaussianRandomProjection / SparseRandomProjection)",
    specs: <RandomProjectionParams as crate::method::Params>::specs,
    precise: false,
    supervised: false,
    precomputed_knn: false,
    sparse: false,
    fit: |values, data, ctx| Ok(Box::new(RandomProjection::new(params_from(values)?)?.fit(&data.x.f32()?, ctx)?)),
    load: |bytes| Ok(Box::new(RandomProjectionModel::from_bytes(bytes)?)),
};

/// The model file kind (version 2: the file records the parameters).
const KIND: Kind = Kind { tag: "random-projection", version: 2 };

/// scikit-learn's `johnson_lindenstrauss_min_dim(n_samples, eps=eps)`:
/// `⌊4 ln(n_samples) / (eps²/2 − eps³/3)⌋`.
pub fn johnson_lindenstrauss_min_dim(n_samples: usize, eps: f64) -> usize {
    let denominator = eps * eps / 2.0 - eps * eps * eps / 3.0;
    (4.0 * (n_samples as f64).ln() / denominator) as usize
}

/// Random projection with validated parameters.
#[derive(Debug, Clone)]
pub struct RandomProjection {
    params: RandomProjectionParams,
}

/// Seed stage of the matrix entries.
const STAGE_MATRIX: u64 = 0x7270_0001;

impl RandomProjection {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a value out of range.
    pub fn new(params: RandomProjectionParams) -> Result<RandomProjection> {
        crate::method::Params::check_ranges(&params)?;
        Ok(RandomProjection { params })
    }

    /// The parameters.
    pub fn params(&self) -> &RandomProjectionParams {
        &self.params
    }

    /// Draws the matrix for the shape of `data` (only its shape is used, as in scikit-learn).
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the "auto" dimension is not positive or exceeds the number of
    /// features (scikit-learn's errors), or the sparse matrix would have more than 2³² − 1
    /// columns; [`Error::Cancelled`].
    pub fn fit(&self, data: &Data, ctx: &Context) -> Result<RandomProjectionModel> {
        ctx.install(|| {
            let (n, d) = (data.n_rows(), data.n_cols());
            let p = &self.params;
            let mut warnings = Vec::new();
            let k = match p.n_components {
                Auto::Auto => {
                    let k = johnson_lindenstrauss_min_dim(n, p.eps);
                    if k == 0 {
                        return Err(Error::InvalidData(format!(
                            "eps={} and n_samples={n} lead to a target dimension of 0, which is invalid: lower eps or give n_components",
                            p.eps
                        )));
                    }
                    if k > d {
                        return Err(Error::InvalidData(format!(
                            "eps={} and n_samples={n} lead to a target dimension of {k}, which is larger than the original space with n_features={d}: raise eps or give n_components",
                            p.eps
                        )));
                    }
                    k
                }
                Auto::Value(k) => {
                    if k > d {
                        warnings.push(format!(
                            "the number of components is higher than the number of features: n_features < n_components ({d} < {k}); the dimensionality of the problem will not be reduced"
                        ));
                    }
                    k
                }
            };
            ctx.progress.check()?;
            let seeds = SeedSource::new(ctx.seed);
            let components = match (p.gaussian, p.density) {
                (true, _) => Components::Dense(gaussian_matrix(k, d, &seeds)),
                (false, density) => {
                    let density = match density {
                        Auto::Auto => 1.0 / (d as f64).sqrt(),
                        Auto::Value(s) => s,
                    };
                    sparse_matrix(k, d, density, &seeds)?
                }
            };
            let mut model = RandomProjectionModel { n_features: d, n_components: k, components, inverse: None, warnings, params: Vec::new() };
            if p.compute_inverse_components {
                model.inverse = Some(model.pseudo_inverse()?);
            }
            model.params = resolved_values(p, &Fitted::resolved(&model));
            Ok(model)
        })
    }
}

/// The random matrix, `n_components × n_features`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Components {
    /// Row-major entries.
    Dense(Vec<f32>),
    /// Compressed sparse rows: one row per component; every stored entry is `±value`.
    Sparse {
        /// Row pointers (`n_components + 1`).
        indptr: Vec<usize>,
        /// Column of each entry, increasing within a row.
        indices: Vec<u32>,
        /// Each entry.
        values: Vec<f32>,
        /// The density the entries were drawn with.
        density: f64,
    },
}

/// `N(0, 1/k)` entries, entry `(c, j)` from the hash of `(c, j)`.
fn gaussian_matrix(k: usize, d: usize, seeds: &SeedSource) -> Vec<f32> {
    let scale = 1.0 / (k as f64).sqrt();
    let mut out = vec![0f32; k * d];
    out.par_chunks_mut(d.max(1)).enumerate().for_each(|(c, row)| {
        for (j, v) in row.iter_mut().enumerate() {
            let unit = 2 * (c * d + j) as u64;
            *v = (scale * normal_f64(seeds.value(STAGE_MATRIX, unit), seeds.value(STAGE_MATRIX, unit + 1))) as f32;
        }
    });
    out
}

/// Entries `±√(1/density)/√k` with probability `density/2` each, else 0; with `density = 1`,
/// every entry is `±1/√k`, as scikit-learn's. Columns are `u32` ids, so `d` is at most 2³² − 1.
fn sparse_matrix(k: usize, d: usize, density: f64, seeds: &SeedSource) -> Result<Components> {
    if d > u32::MAX as usize {
        return Err(Error::InvalidData(format!(
            "the data has {d} columns, more than the {} (2³² − 1) that the sparse random matrix can number with its 32-bit column ids",
            u32::MAX
        )));
    }
    let value = ((1.0 / density).sqrt() / (k as f64).sqrt()) as f32;
    let rows: Vec<(Vec<u32>, Vec<f32>)> = (0..k)
        .into_par_iter()
        .map(|c| {
            let (mut idx, mut val) = (Vec::new(), Vec::new());
            for j in 0..d {
                let h = seeds.value(STAGE_MATRIX, (c * d + j) as u64);
                if density >= 1.0 || unit_f64(h) < density {
                    idx.push(j as u32);
                    // The lowest bit is independent of the uniform's top 53 bits.
                    val.push(if h & 1 == 0 { value } else { -value });
                }
            }
            (idx, val)
        })
        .collect();
    let mut indptr = Vec::with_capacity(k + 1);
    indptr.push(0);
    let (mut indices, mut values) = (Vec::new(), Vec::new());
    for (i, v) in rows {
        indices.extend(i);
        values.extend(v);
        indptr.push(indices.len());
    }
    Ok(Components::Sparse { indptr, indices, values, density })
}

/// A fitted random projection.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RandomProjectionModel {
    n_features: usize,
    n_components: usize,
    components: Components,
    /// The pseudo-inverse, `n_features × n_components` row-major, when computed at fit.
    inverse: Option<Vec<f64>>,
    warnings: Vec<String>,
    /// The parameters as the fit resolved them; the model file keeps them in its header.
    #[serde(skip)]
    params: Vec<(&'static str, Value)>,
}

/// Rows per task of the projection.
const ROWS_PER_TASK: usize = 256;

impl RandomProjectionModel {
    /// The random matrix.
    pub fn components(&self) -> &Components {
        &self.components
    }

    /// The matrix densified, `n_components × n_features` row-major.
    pub fn components_dense(&self) -> Vec<f32> {
        match &self.components {
            Components::Dense(m) => m.clone(),
            Components::Sparse { indptr, indices, values, .. } => {
                let mut m = vec![0f32; self.n_components * self.n_features];
                for c in 0..self.n_components {
                    for e in indptr[c]..indptr[c + 1] {
                        m[c * self.n_features + indices[e] as usize] = values[e];
                    }
                }
                m
            }
        }
    }

    /// The density of the sparse matrix (1 for the Gaussian one), scikit-learn's `density_`.
    pub fn density(&self) -> f64 {
        match &self.components {
            Components::Dense(_) => 1.0,
            Components::Sparse { density, .. } => *density,
        }
    }

    /// The pseudo-inverse (`n_features × n_components`, row-major), scikit-learn's
    /// `inverse_components_`, when computed at fit.
    pub fn inverse_components(&self) -> Option<&[f64]> {
        self.inverse.as_deref()
    }

    /// The model file's bytes, with the parameters in the header.
    ///
    /// # Errors
    /// Only if serialisation fails, which it does not for this type.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        model::to_bytes(KIND, &self.params, self)
    }

    /// A model from [`RandomProjectionModel::to_bytes`], checked for consistency.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming what is wrong with the file, or the part of its contents
    /// that does not fit the others ("corrupt model: …").
    pub fn from_bytes(bytes: &[u8]) -> Result<RandomProjectionModel> {
        let (read, mut m): (_, RandomProjectionModel) = model::decode(KIND, bytes)?;
        m.validate().map_err(|what| Error::InvalidData(format!("corrupt model: {what}")))?;
        m.params = declared(&RandomProjectionParams::specs(), read)?;
        Ok(m)
    }

    /// Checks that the decoded parts fit together: a `k × d` matrix (dense, or sparse rows with
    /// increasing pointers and columns below `d`), finite entries, a density in (0, 1], and a
    /// `d × k` pseudo-inverse.
    fn validate(&self) -> std::result::Result<(), String> {
        let (k, d) = (self.n_components, self.n_features);
        if k == 0 || d == 0 {
            return Err(format!("the random-projection model's arrays do not fit together: {k} components of {d} features"));
        }
        fn finite(name: &str, mut values: impl Iterator<Item = f64>) -> std::result::Result<(), String> {
            match values.position(|x| !x.is_finite()) {
                Some(i) => Err(format!("{name} holds a value that is not finite at index {i}")),
                None => Ok(()),
            }
        }
        match &self.components {
            Components::Dense(v) => {
                if k.checked_mul(d) != Some(v.len()) {
                    return Err(format!("the random-projection model's arrays do not fit together: the dense matrix has {} entries, not {k} × {d}", v.len()));
                }
                finite("the dense matrix", v.iter().map(|&x| x as f64))?;
            }
            Components::Sparse { indptr, indices, values, density } => {
                if indptr.len() != k + 1 {
                    return Err(format!(
                        "the random-projection model's arrays do not fit together: the sparse matrix has {} row pointers for {k} components (needs {})",
                        indptr.len(),
                        k + 1
                    ));
                }
                if indptr[0] != 0 || indptr[k] != indices.len() || values.len() != indices.len() {
                    return Err(format!(
                        "the random-projection model's arrays do not fit together: the sparse matrix's row pointers run from {} to {}, over {} column indices and {} values",
                        indptr[0],
                        indptr[k],
                        indices.len(),
                        values.len()
                    ));
                }
                if let Some(c) = indptr.windows(2).position(|w| w[0] > w[1]) {
                    return Err(format!("the sparse matrix's row pointers decrease at component {c} ({} then {})", indptr[c], indptr[c + 1]));
                }
                if let Some(e) = indices.iter().position(|&j| j as usize >= d) {
                    return Err(format!("the sparse matrix's column index {e} is {}, beyond the {d} features", indices[e]));
                }
                finite("the sparse matrix", values.iter().map(|&x| x as f64))?;
                if !(*density > 0.0 && *density <= 1.0) {
                    return Err(format!("the sparse matrix's density is {density}, outside (0, 1]"));
                }
            }
        }
        if let Some(p) = &self.inverse {
            if k.checked_mul(d) != Some(p.len()) {
                return Err(format!("the random-projection model's arrays do not fit together: the pseudo-inverse has {} entries, not {d} × {k}", p.len()));
            }
            finite("the pseudo-inverse", p.iter().copied())?;
        }
        Ok(())
    }

    fn pseudo_inverse(&self) -> Result<Vec<f64>> {
        let dense = self.components_dense();
        let d = self.n_features;
        let m = Mat::<f64>::from_fn(self.n_components, d, |c, j| dense[c * d + j] as f64);
        let p = pinv(m.as_ref(), "random projection pseudo-inverse")?;
        Ok((0..self.n_features).flat_map(|i| (0..self.n_components).map(move |c| (i, c))).map(|(i, c)| p[(i, c)]).collect())
    }

    /// `X Rᵀ` for rows `x` (`n × n_features`).
    ///
    /// # Errors
    /// [`Error::InvalidData`] for the wrong number of columns, [`Error::Cancelled`].
    pub fn transform(&self, x: &Data, ctx: &Context) -> Result<Embedding> {
        ctx.install(|| {
            if x.n_cols() != self.n_features {
                return Err(Error::InvalidData(format!("the model was fitted on {} features but the data has {} columns", self.n_features, x.n_cols())));
            }
            let (n, d, k) = (x.n_rows(), self.n_features, self.n_components);
            let mut out = vec![0f32; n * k];
            out.par_chunks_mut(ROWS_PER_TASK * k.max(1)).enumerate().try_for_each(|(t, chunk)| {
                ctx.progress.check()?;
                let first = t * ROWS_PER_TASK;
                let rows = chunk.len() / k.max(1);
                match &self.components {
                    Components::Dense(m) => {
                        let xs = MatRef::from_row_major_slice(&x.as_slice()[first * d..(first + rows) * d], rows, d);
                        let r = MatRef::from_row_major_slice(m, k, d);
                        matmul(MatMut::from_row_major_slice_mut(chunk, rows, k), Accum::Replace, xs, r.transpose(), 1.0f32, Par::Seq);
                    }
                    Components::Sparse { indptr, indices, values, .. } => {
                        for (i, y) in chunk.chunks_exact_mut(k).enumerate() {
                            let row = x.row(first + i);
                            for (c, yc) in y.iter_mut().enumerate() {
                                let range = indptr[c]..indptr[c + 1];
                                *yc = indices[range.clone()].iter().zip(&values[range]).map(|(&j, &v)| row[j as usize] * v).sum();
                            }
                        }
                    }
                }
                Ok::<(), Error>(())
            })?;
            Data::from_vec(out, n, k)
        })
    }

    /// Points of the projected space mapped back by the pseudo-inverse, scikit-learn's
    /// `inverse_transform` (computed once here when not kept at fit).
    ///
    /// # Errors
    /// [`Error::InvalidData`] for the wrong number of columns, [`Error::Numerical`] if the SVD
    /// fails.
    pub fn inverse_transform(&self, y: &Data, ctx: &Context) -> Result<Embedding> {
        ctx.install(|| {
            let k = self.n_components;
            if y.n_cols() != k {
                return Err(Error::InvalidData(format!("the model has {k} components but the data to map back has {} columns", y.n_cols())));
            }
            let computed;
            let inv = match &self.inverse {
                Some(p) => p.as_slice(),
                None => {
                    computed = self.pseudo_inverse()?;
                    &computed
                }
            };
            let (n, d) = (y.n_rows(), self.n_features);
            let p = MatRef::from_row_major_slice(inv, d, k);
            let mut out = vec![0f32; n * d];
            out.par_chunks_mut(ROWS_PER_TASK * d.max(1)).enumerate().try_for_each(|(t, chunk)| {
                ctx.progress.check()?;
                let first = t * ROWS_PER_TASK;
                let rows = chunk.len() / d.max(1);
                let ys = Mat::<f64>::from_fn(rows, k, |i, c| y.row(first + i)[c] as f64);
                let mut z = Mat::<f64>::zeros(rows, d);
                matmul(z.as_mut(), Accum::Replace, ys.as_ref(), p.transpose(), 1.0, Par::Seq);
                for (i, row) in chunk.chunks_exact_mut(d).enumerate() {
                    for (j, v) in row.iter_mut().enumerate() {
                        *v = z[(i, j)] as f32;
                    }
                }
                Ok::<(), Error>(())
            })?;
            Data::from_vec(out, n, d)
        })
    }
}

impl Fitted for RandomProjectionModel {
    fn method(&self) -> &'static str {
        ENTRY.name
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { embedding: false, transform: true, inverse_transform: true, save: true }
    }

    fn n_components(&self) -> usize {
        self.n_components
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn transform(&self, data: Input<'_>, ctx: &Context) -> Result<Embedding> {
        RandomProjectionModel::transform(self, &data.f32()?, ctx)
    }

    fn resolved(&self) -> Vec<(&'static str, Value)> {
        let mut out = vec![("n_components", Value::Int(self.n_components as i64))];
        if let Components::Sparse { density, .. } = self.components {
            out.push(("density", Value::Float(density)));
        }
        out
    }

    fn inverse_transform(&self, embedded: &Data, ctx: &Context) -> Result<Embedding> {
        RandomProjectionModel::inverse_transform(self, embedded, ctx)
    }

    fn attributes(&self) -> Vec<Attribute> {
        let (k, d) = (self.n_components, self.n_features);
        let mut out = vec![
            Attribute::scalar("n_components_", k as f64),
            Attribute::matrix("components_", self.components_dense().iter().map(|&v| v as f64).collect(), k, d),
        ];
        if let Components::Sparse { density, .. } = self.components {
            out.push(Attribute::scalar("density_", density));
        }
        if let Some(p) = &self.inverse {
            out.push(Attribute::matrix("inverse_components_", p.clone(), d, k));
        }
        out
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        RandomProjectionModel::to_bytes(self)
    }

    fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn params(&self) -> Vec<(&'static str, Value)> {
        self.params.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::method::{Params, Value};

    fn data(n: usize, d: usize, seed: u64) -> Embedding {
        let s = SeedSource::new(Some(seed));
        let values = (0..n * d).map(|i| normal_f64(s.value(1, 2 * i as u64), s.value(1, 2 * i as u64 + 1)) as f32).collect();
        Data::from_vec(values, n, d).unwrap()
    }

    #[test]
    fn jl_bound_as_scikit_learn() {
        // scikit-learn's docstring: johnson_lindenstrauss_min_dim([1e4, 1e5, 1e6], eps=0.1)
        // = [7894, 9868, 11841]; johnson_lindenstrauss_min_dim(1e6, eps=0.5) = 663.
        assert_eq!(johnson_lindenstrauss_min_dim(10_000, 0.1), 7894);
        assert_eq!(johnson_lindenstrauss_min_dim(100_000, 0.1), 9868);
        assert_eq!(johnson_lindenstrauss_min_dim(1_000_000, 0.1), 11841);
        assert_eq!(johnson_lindenstrauss_min_dim(1_000_000, 0.5), 663);
    }

    #[test]
    fn sparse_entries_have_the_declared_law() {
        let (k, d) = (200, 400);
        let x = data(3, d, 1);
        let model =
            RandomProjection::new(RandomProjectionParams { n_components: Auto::Value(k), ..Default::default() }).unwrap().fit(&x, &Context::seeded(7)).unwrap();
        let density = 1.0 / (d as f64).sqrt();
        assert_eq!(model.density(), density);
        let m = model.components_dense();
        let value = ((1.0 / density).sqrt() / (k as f64).sqrt()) as f32;
        let nonzero = m.iter().filter(|&&v| v != 0.0).count() as f64;
        let positive = m.iter().filter(|&&v| v > 0.0).count() as f64;
        assert!(m.iter().all(|&v| v == 0.0 || v.abs() == value));
        // Binomial(k·d, density): mean 4000, standard deviation 62.
        assert!((nonzero - density * (k * d) as f64).abs() < 4.0 * 62.0, "{nonzero}");
        assert!((positive / nonzero - 0.5).abs() < 0.03, "{positive} of {nonzero}");
    }

    #[test]
    fn gaussian_entries_have_variance_one_over_k() {
        let (k, d) = (100, 300);
        let model = RandomProjection::new(RandomProjectionParams { n_components: Auto::Value(k), gaussian: true, ..Default::default() })
            .unwrap()
            .fit(&data(2, d, 2), &Context::seeded(3))
            .unwrap();
        let m = model.components_dense();
        let mean = m.iter().map(|&v| v as f64).sum::<f64>() / m.len() as f64;
        let var = m.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / m.len() as f64;
        assert!(mean.abs() < 4.0 * (1.0 / k as f64 / m.len() as f64).sqrt(), "{mean}");
        assert!((var * k as f64 - 1.0).abs() < 0.03, "{var}");
    }

    #[test]
    fn distances_are_kept_within_eps() {
        // 300 points in 2,000 dimensions to the Johnson–Lindenstrauss dimension for eps = 0.5.
        let (n, d, eps) = (300, 2000, 0.5);
        let x = data(n, d, 4);
        for gaussian in [false, true] {
            let p = RandomProjectionParams { eps, gaussian, ..Default::default() };
            let model = RandomProjection::new(p).unwrap().fit(&x, &Context::seeded(5)).unwrap();
            assert_eq!(model.n_components, johnson_lindenstrauss_min_dim(n, eps));
            let y = model.transform(&x, &Context::default()).unwrap();
            let d2 = |m: &Embedding, i: usize, j: usize| m.row(i).iter().zip(m.row(j)).map(|(a, b)| ((a - b) as f64).powi(2)).sum::<f64>();
            for (i, j) in (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))) {
                let ratio = d2(&y, i, j) / d2(&x, i, j);
                assert!(ratio > 1.0 - eps && ratio < 1.0 + eps, "gaussian {gaussian}: pair ({i}, {j}) ratio {ratio}");
            }
        }
    }

    #[test]
    fn transform_is_the_matrix_product_and_identical_at_any_thread_count() {
        let x = data(700, 50, 6);
        for gaussian in [false, true] {
            let p = RandomProjectionParams { n_components: Auto::Value(8), gaussian, density: Auto::Value(0.3), ..Default::default() };
            let model = RandomProjection::new(p.clone()).unwrap().fit(&x, &Context::seeded(9)).unwrap();
            let m = model.components_dense();
            let ctx = Context::default();
            let run = |threads| crate::threads::install(Some(threads), || model.transform(&x, &ctx)).unwrap().unwrap();
            let (one, two) = (run(1), run(2));
            assert!(one.as_slice() == two.as_slice());
            for i in [0, 255, 256, 699] {
                for c in 0..8 {
                    let exact: f64 = (0..50).map(|j| x.row(i)[j] as f64 * m[c * 50 + j] as f64).sum();
                    assert!((one.row(i)[c] as f64 - exact).abs() < 1e-4 * (1.0 + exact.abs()), "row {i} component {c}");
                }
            }
            let again = RandomProjection::new(p).unwrap().fit(&x, &Context::seeded(9)).unwrap();
            assert_eq!(again, model);
        }
    }

    #[test]
    fn inverse_transform_undoes_the_projection_on_its_row_space() {
        // With n_components ≥ n_features the matrix has full column rank: the pseudo-inverse
        // maps projected rows back exactly.
        let x = data(20, 6, 8);
        let p = RandomProjectionParams { n_components: Auto::Value(10), gaussian: true, compute_inverse_components: true, ..Default::default() };
        let model = RandomProjection::new(p.clone()).unwrap().fit(&x, &Context::seeded(1)).unwrap();
        assert_eq!(model.warnings.len(), 1);
        let back = model.inverse_transform(&model.transform(&x, &Context::default()).unwrap(), &Context::default()).unwrap();
        for (a, b) in back.as_slice().iter().zip(x.as_slice()) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
        // Computed on the fly when not kept.
        let lean = RandomProjection::new(RandomProjectionParams { compute_inverse_components: false, ..p }).unwrap().fit(&x, &Context::seeded(1)).unwrap();
        let back2 = lean.inverse_transform(&model.transform(&x, &Context::default()).unwrap(), &Context::default()).unwrap();
        assert!(back.as_slice() == back2.as_slice());
    }

    #[test]
    fn errors_name_the_problem() {
        let x = data(100, 5, 1);
        // scikit-learn: johnson_lindenstrauss_min_dim(100, eps=0.1) = 3947.
        let e = RandomProjection::new(RandomProjectionParams::default()).unwrap().fit(&x, &Context::seeded(1)).unwrap_err().to_string();
        assert!(e.contains("eps=0.1 and n_samples=100 lead to a target dimension of 3947") && e.contains("n_features=5"), "{e}");
        let e = RandomProjectionParams::from_values([("density", &Value::Float(0.0))]).unwrap_err().to_string();
        assert_eq!(e, "invalid value for `density`: 0 (must be > 0 and ≤ 1)");
        let e = RandomProjectionParams::from_values([("eps", &Value::Float(1.0))]).unwrap_err().to_string();
        assert_eq!(e, "invalid value for `eps`: 1 (must be > 0 and < 1)");
        let model =
            RandomProjection::new(RandomProjectionParams { n_components: Auto::Value(2), ..Default::default() }).unwrap().fit(&x, &Context::seeded(1)).unwrap();
        let e = model.transform(&data(3, 4, 1), &Context::default()).unwrap_err().to_string();
        assert!(e.contains("fitted on 5 features but the data has 4 columns"), "{e}");
    }

    #[test]
    fn model_file_round_trip_and_checks() {
        let x = data(40, 12, 3);
        for gaussian in [false, true] {
            let p = RandomProjectionParams { n_components: Auto::Value(4), gaussian, compute_inverse_components: true, ..Default::default() };
            let model = RandomProjection::new(p).unwrap().fit(&x, &Context::seeded(2)).unwrap();
            let bytes = model.to_bytes().unwrap();
            let back = crate::method::load(&bytes).unwrap();
            let ctx = Context::default();
            assert!(back.transform(Input::F32(&x), &ctx).unwrap().as_slice() == model.transform(&x, &ctx).unwrap().as_slice());
            // A consistent header around inconsistent contents is refused.
            let mut broken = model.clone();
            broken.n_features = 13;
            let e = RandomProjectionModel::from_bytes(&broken.to_bytes().unwrap()).unwrap_err().to_string();
            assert!(e.contains("corrupt model") && e.contains("do not fit together"), "{e}");
        }
        let e = crate::method::load(b"UNFOLD").err().unwrap().to_string();
        assert!(e.contains("not an unfold model file") || e.contains("truncated"), "{e}");
    }

    #[test]
    fn the_file_records_the_parameters_as_the_fit_resolved_them() {
        // 300 rows, eps = 0.5: the Johnson–Lindenstrauss bound is 4 ln 300 / (1/8 − 1/24) = 273
        // components; the sparse density "auto" is 1/√400 = 0.05.
        let model =
            RandomProjection::new(RandomProjectionParams { eps: 0.5, ..Default::default() }).unwrap().fit(&data(300, 400, 1), &Context::seeded(1)).unwrap();
        let read = model::parameters_of(&model.to_bytes().unwrap()).unwrap();
        let expected: Vec<(String, Value)> = [
            ("n_components", Value::Int(273)),
            ("eps", Value::Float(0.5)),
            ("density", Value::Float(0.05)),
            ("gaussian", Value::Bool(false)),
            ("compute_inverse_components", Value::Bool(false)),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_string(), v))
        .collect();
        assert_eq!(read, expected);
        assert_eq!(crate::method::load(&model.to_bytes().unwrap()).unwrap().params(), Fitted::params(&model));
    }

    #[test]
    fn loading_names_the_part_that_does_not_fit() {
        let x = data(30, 6, 2);
        let fit = |gaussian| {
            let p = RandomProjectionParams {
                n_components: Auto::Value(3),
                gaussian,
                density: Auto::Value(0.5),
                compute_inverse_components: gaussian,
                ..Default::default()
            };
            RandomProjection::new(p).unwrap().fit(&x, &Context::seeded(3)).unwrap()
        };
        let check = |good: &RandomProjectionModel, change: &dyn Fn(&mut RandomProjectionModel), expected: &str| {
            let mut m = good.clone();
            change(&mut m);
            let bytes = model::to_bytes(KIND, &m.params, &m).unwrap();
            let e = RandomProjectionModel::from_bytes(&bytes).unwrap_err().to_string();
            assert!(e.starts_with("corrupt model: ") && e.contains(expected), "expected {expected:?} in {e:?}");
        };
        let sparse = fit(false);
        let sparse_parts = |m: &mut RandomProjectionModel| -> (Vec<usize>, Vec<u32>, Vec<f32>) {
            let Components::Sparse { indptr, indices, values, .. } = &m.components else { panic!("sparse") };
            (indptr.clone(), indices.clone(), values.clone())
        };
        let set = |m: &mut RandomProjectionModel, (indptr, indices, values): (Vec<usize>, Vec<u32>, Vec<f32>), density: f64| {
            m.components = Components::Sparse { indptr, indices, values, density };
        };
        check(&sparse, &|m| m.n_components = 0, "0 components of 6 features");
        check(&sparse, &|m| m.n_components = 4, "the sparse matrix has 4 row pointers for 4 components (needs 5)");
        check(
            &sparse,
            &|m| {
                let (p, mut i, v) = sparse_parts(m);
                i[0] = 6;
                set(m, (p, i, v), 0.5)
            },
            "column index 0 is 6, beyond the 6 features",
        );
        check(
            &sparse,
            &|m| {
                let (mut p, i, v) = sparse_parts(m);
                p.swap(1, 2);
                set(m, (p, i, v), 0.5)
            },
            "row pointers decrease at component 1",
        );
        check(
            &sparse,
            &|m| {
                let (mut p, i, v) = sparse_parts(m);
                p[0] = 1;
                set(m, (p, i, v), 0.5)
            },
            "row pointers run from 1 to",
        );
        check(
            &sparse,
            &|m| {
                let (p, i, mut v) = sparse_parts(m);
                v.pop();
                set(m, (p, i, v), 0.5)
            },
            "column indices and",
        );
        check(
            &sparse,
            &|m| {
                let (p, i, mut v) = sparse_parts(m);
                v[1] = f32::NAN;
                set(m, (p, i, v), 0.5)
            },
            "the sparse matrix holds a value that is not finite at index 1",
        );
        check(
            &sparse,
            &|m| {
                let parts = sparse_parts(m);
                set(m, parts, 1.5)
            },
            "density is 1.5, outside (0, 1]",
        );
        let dense = fit(true);
        check(&dense, &|m| m.n_features = 7, "the dense matrix has 18 entries, not 3 × 7");
        check(
            &dense,
            &|m| {
                if let Components::Dense(v) = &mut m.components {
                    v[2] = f32::INFINITY
                }
            },
            "the dense matrix holds a value that is not finite at index 2",
        );
        check(
            &dense,
            &|m| {
                if let Some(p) = &mut m.inverse {
                    p.pop();
                }
            },
            "the pseudo-inverse has 17 entries, not 6 × 3",
        );
        // A parameter the method does not declare.
        let mut params = dense.params.clone();
        params[1].0 = "epsilon";
        let e = RandomProjectionModel::from_bytes(&model::to_bytes(KIND, &params, &dense).unwrap()).unwrap_err().to_string();
        assert!(e.contains("names `epsilon`, which is not a parameter"), "{e}");
    }

    #[test]
    fn registered_and_fitted_by_name() {
        let entry = crate::method::method("random-projection").unwrap();
        let specs = (entry.specs)();
        assert_eq!(specs[0].name, "n_components");
        assert_eq!(specs[0].flag, "dims");
        let x = data(50, 30, 2);
        let model = (entry.fit)(&[("n_components", Value::Int(3)), ("gaussian", Value::Bool(true))], Input::F32(&x).into(), &Context::seeded(4)).unwrap();
        assert_eq!((model.n_components(), model.n_features()), (3, 30));
        assert!(model.capabilities().transform && !model.capabilities().embedding);
        let e = crate::method::method("no-such-method").err().unwrap().to_string();
        assert!(e.contains("random-projection"), "{e}");
    }

    #[test]
    fn sparse_matrix_refuses_columns_past_u32() {
        // 5·10⁹ columns, refused before any entry is drawn; 2³² − 1 would still be numbered.
        let e = sparse_matrix(1, 5_000_000_000, 1e-9, &SeedSource::new(Some(0))).unwrap_err().to_string();
        assert!(e.contains("5000000000 columns") && e.contains("4294967295"), "{e}");
    }
}
