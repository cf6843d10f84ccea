//! Classical multidimensional scaling (Torgerson's scaling, principal coordinates analysis), as
//! scikit-learn 1.9's `sklearn.manifold.ClassicalMDS`: the rows' euclidean distances, or a
//! square dissimilarity matrix given as the data (`metric = "precomputed"`), double centred as
//! `B = −½ J Δ² J`, and the embedding `U_k Λ_k^½` of `B`'s `k` largest eigenpairs
//! ([`crate::linalg::mds::classical_mds`]), each eigenvector signed by scikit-learn's `svd_flip`.
//! `eigenvalues_` are the `k` largest eigenvalues as computed.
//!
//! Differences from scikit-learn, shared with [`crate::embed::mds`]: distances are computed in
//! `f64` from centred rows; only the euclidean and precomputed metrics are offered; a
//! precomputed matrix must be square, non-negative, symmetric within a relative 1e-6 (then
//! averaged with its transpose) with a zero diagonal, and the first entry that is not is named
//! (scikit-learn checks symmetry only); a component whose eigenvalue is not positive is 0, where
//! scikit-learn's `√λ` gives NaN (with a warning here).
//!
//! **Landmark mode** (not in scikit-learn; de Silva & Tenenbaum 2004). Above
//! [`MAX_POINTS`](crate::embed::mds::MAX_POINTS) points, or with `n_landmarks` given, `m`
//! landmarks are drawn uniformly from the seed, classical MDS embeds their `m × m`
//! dissimilarities, and every other point is triangulated from its squared dissimilarities to
//! them ([`LandmarkMds`]). With every point a landmark the triangulation gives each point its
//! classical MDS coordinates, so the mode approximates the exact embedding by sampling the
//! columns of `B`. Memory is `8 m²` bytes and the rows; `eigenvalues_` are the landmarks' and
//! `landmarks_` names them; no `dissimilarity_matrix_` is kept.

use crate::data::{Data, Embedding};
use crate::embed::mds::{
    DEFAULT_LANDMARKS, KEEP_DISSIMILARITY_MAX, MAX_POINTS, MdsMetric, check_precomputed, landmark_rows, place_all, random_landmarks, symmetric_part,
    validate_parts,
};
use crate::error::{Error, Result};
use crate::io::model::{self, Kind};
use crate::linalg::mds::{LandmarkMds, classical_mds, euclidean_dissimilarities};
use crate::method::{Attribute, Capabilities, Context, FitData, Fitted, Input, MethodEntry, Params, Range, Value, declared, params_from, resolved_values};

crate::method_params! {
    /// Parameters of [`ClassicalMds`]; `Default` = scikit-learn 1.9's.
    pub struct ClassicalMdsParams {
        /// Dimensions of the embedding.
        n_components: usize = 2, flag = "dims", range = Range::at_least(1.0);
        /// euclidean (distances between the rows) or precomputed (the data is a square dissimilarity matrix).
        metric: MdsMetric = MdsMetric::Euclidean;
        /// Landmarks (random, from the seed) embedded exactly, the other points triangulated from them; default: all points up to 20000, 2000 above.
        n_landmarks: Option<usize> = None, range = Range::at_least(1.0);
    }
}

/// The method's registration ([`crate::method::methods`]).
pub const ENTRY: MethodEntry = MethodEntry {
    name: "classical-mds",
    summary: "Classical (Torgerson) MDS, principal coordinates (scikit-learn's ClassicalMDS)",
    specs: <ClassicalMdsParams as crate::method::Params>::specs,
    precise: true,
    supervised: false,
    precomputed_knn: false,
    sparse: false,
    fit: |values, data, ctx| Ok(Box::new(ClassicalMds::new(params_from(values)?)?.fit(data, ctx)?)),
    load: |bytes| Ok(Box::new(ClassicalMdsModel::from_bytes(bytes)?)),
};

/// The model file kind.
const KIND: Kind = Kind { tag: "classical-mds", version: 1 };

/// Classical MDS with validated parameters.
#[derive(Debug, Clone)]
pub struct ClassicalMds {
    params: ClassicalMdsParams,
}

impl ClassicalMds {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a value out of range.
    pub fn new(params: ClassicalMdsParams) -> Result<ClassicalMds> {
        params.check_ranges()?;
        Ok(ClassicalMds { params })
    }

    /// Embeds the rows of `data` (or, with `metric = "precomputed"`, the points whose
    /// dissimilarities `data` holds).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `n_components` above the points (or landmarks) or
    /// `n_landmarks` outside `[n_components + 1, n_samples]`; [`Error::InvalidData`] for a
    /// precomputed matrix that is not a dissimilarity matrix (naming the first entry at fault);
    /// [`Error::Numerical`] if the eigendecomposition fails; [`Error::Cancelled`].
    pub fn fit(&self, data: FitData<'_>, ctx: &Context) -> Result<ClassicalMdsModel> {
        ctx.install(|| {
            let p = &self.params;
            let (x, k) = (data.x, p.n_components);
            let (n_all, n_features) = (x.n_rows(), x.n_cols());
            let mut warnings = Vec::new();
            let landmarks = match p.n_landmarks {
                Some(m) if m <= k || m > n_all => {
                    return Err(Error::param("n_landmarks", m, format!("must be in [n_components + 1, n_samples] = [{}, {n_all}]", k + 1)));
                }
                Some(m) => Some(random_landmarks(n_all, m, ctx.seed)),
                None if n_all > MAX_POINTS => {
                    warnings.push(format!(
                        "{n_all} points are more than classical MDS embeds exactly ({MAX_POINTS}): {DEFAULT_LANDMARKS} random landmarks are embedded and the other points triangulated from them; set n_landmarks to choose how many"
                    ));
                    Some(random_landmarks(n_all, DEFAULT_LANDMARKS, ctx.seed))
                }
                None => None,
            };
            let n = landmarks.as_ref().map_or(n_all, Vec::len);
            if k > n {
                return Err(Error::param("n_components", k, format!("must be at most the number of points embedded exactly ({n})")));
            }
            if p.metric == MdsMetric::Euclidean && n_all == n_features && n_all > 1 {
                warnings.push("the data is a square matrix; its rows are taken as points and its columns as features: for a matrix of dissimilarities, set metric=\"precomputed\"".to_string());
            }
            if p.metric == MdsMetric::Precomputed {
                check_precomputed(x)?;
            }
            let dissimilarities = match (&landmarks, p.metric) {
                (l, MdsMetric::Precomputed) => symmetric_part(x, l.as_deref()),
                (None, MdsMetric::Euclidean) => match x {
                    Input::F32(d) => euclidean_dissimilarities(d),
                    Input::F64(d) => euclidean_dissimilarities(d),
                    Input::Sparse(_) => return Err(crate::method::sparse_refused(&ENTRY)),
                },
                (Some(l), MdsMetric::Euclidean) => euclidean_dissimilarities(&landmark_rows(x, l)?),
            };
            ctx.progress.check()?;
            let (embedding, eigenvalues) = match &landmarks {
                None => {
                    let c = classical_mds(&dissimilarities, n, k)?;
                    (c.embedding, c.eigenvalues)
                }
                Some(l) => {
                    let lmds = LandmarkMds::fit(&dissimilarities, n, k)?;
                    let place = lmds.placer();
                    let triangulate = |delta: &mut [f64], point: &mut [f64]| {
                        delta.iter_mut().for_each(|v| *v *= *v);
                        place(delta, point);
                    };
                    let own = lmds.landmark_embedding();
                    let embedding = place_all(x, p.metric, l, &own, k, "classical MDS triangulation from the landmarks", ctx, triangulate)?;
                    (embedding, lmds.eigenvalues.clone())
                }
            };
            let positive = eigenvalues.iter().filter(|&&l| l > 0.0).count();
            if positive < k {
                warnings.push(format!(
                    "classical MDS found {positive} positive eigenvalue(s) for {k} components (the dissimilarities are not euclidean in {k} dimensions); the other components are 0, where scikit-learn's are NaN"
                ));
            }
            if let Some(at) = embedding.iter().position(|v| v.abs() > f32::MAX as f64) {
                return Err(Error::InvalidData(format!(
                    "the embedding reaches {:e} at row {}, beyond float32's range; scale the dissimilarities down",
                    embedding[at],
                    at / k
                )));
            }
            let keep = ctx.keep_data && landmarks.is_none() && n <= KEEP_DISSIMILARITY_MAX;
            let mut model = ClassicalMdsModel {
                n_samples: n_all,
                n_features,
                n_components: k,
                embedding32: embedding.iter().map(|&v| v as f32).collect(),
                embedding,
                eigenvalues,
                dissimilarity_matrix: keep.then_some(dissimilarities),
                landmarks,
                warnings,
                params: Vec::new(),
            };
            model.params = resolved_values(p, &Fitted::resolved(&model));
            Ok(model)
        })
    }
}

/// A fitted classical MDS.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassicalMdsModel {
    n_samples: usize,
    n_features: usize,
    n_components: usize,
    /// `n_samples × n_components`, row-major.
    embedding: Vec<f64>,
    #[serde(skip)]
    embedding32: Vec<f32>,
    /// The `n_components` largest eigenvalues of `B`, descending, as computed.
    eigenvalues: Vec<f64>,
    /// The dissimilarities, when kept (at most [`KEEP_DISSIMILARITY_MAX`] points).
    dissimilarity_matrix: Option<Vec<f64>>,
    /// In landmark mode, the landmarks, increasing.
    landmarks: Option<Vec<u32>>,
    warnings: Vec<String>,
    #[serde(skip)]
    params: Vec<(&'static str, Value)>,
}

impl ClassicalMdsModel {
    /// The embedding in `f64`, row-major `n × n_components`.
    pub fn embedding_f64(&self) -> &[f64] {
        &self.embedding
    }

    /// The embedding rounded to `f32`.
    pub fn embedding32(&self) -> Embedding {
        Data::from_vec(self.embedding32.clone(), self.n_samples, self.n_components).expect("finite, checked at fit")
    }

    /// The `n_components` largest eigenvalues of the double-centred matrix (`eigenvalues_`).
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// The dissimilarities (`dissimilarity_matrix_`), when kept.
    pub fn dissimilarity_matrix(&self) -> Option<&[f64]> {
        self.dissimilarity_matrix.as_deref()
    }

    /// The model file's bytes.
    ///
    /// # Errors
    /// Only if serialisation fails.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        model::to_bytes(KIND, &self.params, self)
    }

    /// A model from [`ClassicalMdsModel::to_bytes`], checked for consistency.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming what does not fit ("corrupt model: …").
    pub fn from_bytes(bytes: &[u8]) -> Result<ClassicalMdsModel> {
        let (read, mut m): (_, ClassicalMdsModel) = model::decode(KIND, bytes)?;
        m.validate().map_err(|what| Error::InvalidData(format!("corrupt model: {what}")))?;
        m.embedding32 = m.embedding.iter().map(|&v| v as f32).collect();
        m.params = declared(&ClassicalMdsParams::specs(), read)?;
        Ok(m)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let k = self.n_components;
        validate_parts(self.n_samples, k, &self.embedding, self.dissimilarity_matrix.as_deref(), self.landmarks.as_deref())?;
        if self.eigenvalues.len() != k {
            return Err(format!("the model has {} eigenvalues for {k} components", self.eigenvalues.len()));
        }
        if let Some(p) = self.eigenvalues.iter().position(|v| !v.is_finite()) {
            return Err(format!("eigenvalue {p} is {}", self.eigenvalues[p]));
        }
        Ok(())
    }
}

impl Fitted for ClassicalMdsModel {
    fn method(&self) -> &'static str {
        ENTRY.name
    }

    fn capabilities(&self) -> Capabilities {
        // scikit-learn's ClassicalMDS places no new points.
        Capabilities { embedding: true, transform: false, inverse_transform: false, save: true }
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

    fn attributes(&self) -> Vec<Attribute> {
        let (n, k) = (self.n_samples, self.n_components);
        let mut out = vec![Attribute::matrix("embedding_", self.embedding.clone(), n, k), Attribute::vector("eigenvalues_", self.eigenvalues.clone())];
        if let Some(d) = &self.dissimilarity_matrix {
            out.push(Attribute::matrix("dissimilarity_matrix_", d.clone(), n, n));
        }
        if let Some(l) = &self.landmarks {
            out.push(Attribute::vector("landmarks_", l.iter().map(|&i| i as f64).collect()));
        }
        out
    }

    fn to_bytes(&self) -> Result<Vec<u8>> {
        ClassicalMdsModel::to_bytes(self)
    }

    fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn params(&self) -> Vec<(&'static str, Value)> {
        self.params.clone()
    }
}
