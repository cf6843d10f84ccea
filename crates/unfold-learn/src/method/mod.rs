//! The contract every method keeps, so the front ends serve a new method without code of their
//! own for it.
//!
//! * A method declares its parameters once with [`method_params!`](crate::method_params)
//!   ([`params`]): names, types, defaults, ranges, help and the peer library's names. The
//!   command line builds its flags and `--help` from that table, Python its keyword arguments
//!   and its stub, and both set values by name.
//! * Fitting takes a [`Context`]: the seed, the thread count, progress and cancellation, made
//!   once per call. Only the method's own parameters live in its parameter struct.
//! * A fitted model is a [`Fitted`]: it says what it can do ([`Capabilities`]) and does it.
//! * Each method is one [`MethodEntry`] in [`methods`], which the front ends list and call.
//!
//! Adding a method: write `embed/<method>.rs` with its parameters (`method_params!`), its fit
//! and its model (a [`Fitted`]), and add its entry to [`methods`]; the command line
//! (`--method <name>`) and Python (a class naming the entry) need one line each. See
//! [`crate::embed::random_projection`] for a complete example.

pub mod params;

use crate::data::{Data, Embedding, SparseData};
use crate::error::{Error, Result};
use crate::knn::KnnGraph;
use crate::linalg::DataF64;
use crate::progress::{NoProgress, Progress};

pub use params::{Auto, ParamKind, ParamSpec, Params, Range, Value};

/// What a fit needs besides the data and the method's parameters: made once per call by the
/// front end, never nested.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// Seed of every random choice; `None` draws one from the operating system, and lets the
    /// method use all cores freely (its output may then vary from run to run).
    pub seed: Option<u64>,
    /// Worker threads; `None` = all cores.
    pub threads: Option<usize>,
    /// Progress report and cancellation.
    pub progress: &'a dyn Progress,
    /// Whether the model keeps what it needs beyond the fit's embedding (default true). False
    /// when the caller only wants the embedding: a model that would copy its training rows
    /// (UMAP) then keeps none, and cannot transform, inverse-transform or be saved; its
    /// [`Fitted::capabilities`] say so. UMAP's copy of MNIST's 70,000 × 784 rows is 220 MB
    /// as `f32` (47 MB as bytes); of 10⁶ such rows, 3.1 GB.
    pub keep_data: bool,
}

impl Default for Context<'_> {
    fn default() -> Self {
        Context { seed: None, threads: None, progress: &NoProgress, keep_data: true }
    }
}

impl<'a> Context<'a> {
    /// A context with a seed, all cores and no progress.
    pub fn seeded(seed: u64) -> Context<'a> {
        Context { seed: Some(seed), ..Context::default() }
    }

    /// Runs `f` on this context's threads (a local pool; the global one is never changed). The
    /// front ends call it once around a fit or a transform; methods use rayon inside it and
    /// never make pools of their own.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `threads = Some(0)`, and whatever `f` returns.
    pub fn install<T: Send>(&self, f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
        crate::threads::install(self.threads, f)?
    }
}

/// Rows a method fits or transforms: `f32`, or `f64` for the methods that compute in the input's
/// precision ([`MethodEntry::precise`]; the front ends hand the others `f32`).
#[derive(Clone, Copy)]
pub enum Input<'a> {
    /// Single precision, as most methods compute.
    F32(&'a Data<'a>),
    /// Double precision, read as the file holds it.
    F64(&'a DataF64<'a>),
    /// Sparse rows, for the methods that take them ([`MethodEntry::sparse`]).
    Sparse(&'a SparseData),
}

impl<'a> Input<'a> {
    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        match self {
            Input::F32(d) => d.n_rows(),
            Input::F64(d) => d.n_rows(),
            Input::Sparse(d) => d.n_rows(),
        }
    }

    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        match self {
            Input::F32(d) => d.n_cols(),
            Input::F64(d) => d.n_cols(),
            Input::Sparse(d) => d.n_cols(),
        }
    }

    /// The rows in `f32`: borrowed, or rounded from `f64`.
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming the first value beyond `f32`'s range, or for sparse rows
    /// (which the front ends give only to the methods that take them).
    pub fn f32(&self) -> Result<Data<'a>> {
        match *self {
            Input::Sparse(_) => Err(Error::InvalidData("this method takes dense rows, but the input is sparse; pass the data dense".into())),
            Input::F32(d) => Ok(Data::from_trusted_slice(d.as_slice(), d.n_rows(), d.n_cols())),
            Input::F64(d) => {
                if let Some(p) = d.as_slice().iter().position(|v| v.abs() > f32::MAX as f64) {
                    let (n_cols, v) = (d.n_cols(), d.as_slice()[p]);
                    return Err(Error::InvalidData(format!(
                        "row {}, column {} holds {v:e}, beyond float32's range (3.4e38), which this method computes in; scale the data down",
                        p / n_cols,
                        p % n_cols
                    )));
                }
                let values: Vec<f32> = d.as_slice().iter().map(|&v| v as f32).collect();
                Data::from_vec(values, d.n_rows(), d.n_cols())
            }
        }
    }
}

impl<'a> From<&'a Data<'a>> for Input<'a> {
    fn from(d: &'a Data<'a>) -> Input<'a> {
        Input::F32(d)
    }
}

/// The rows of a fit that reads `f32` rows or sparse rows (the methods with
/// [`MethodEntry::sparse`]; `f64` input is rounded to `f32` first).
#[derive(Clone, Copy)]
pub enum FitRows<'a> {
    /// Dense `f32` rows.
    Dense(&'a Data<'a>),
    /// Sparse rows.
    Sparse(&'a SparseData),
}

impl FitRows<'_> {
    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        match self {
            FitRows::Dense(d) => d.n_rows(),
            FitRows::Sparse(s) => s.n_rows(),
        }
    }

    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        match self {
            FitRows::Dense(d) => d.n_cols(),
            FitRows::Sparse(s) => s.n_cols(),
        }
    }

    /// The dense rows, or `None` for sparse ones.
    pub fn dense(&self) -> Option<&Data<'_>> {
        match self {
            FitRows::Dense(d) => Some(d),
            FitRows::Sparse(_) => None,
        }
    }
}

/// A supervision target `y`, one entry per row.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// One integer label per row; a negative label means "unknown" (semi-supervised use,
    /// umap-learn's `-1`).
    Categorical(Vec<i64>),
    /// Numbers, row-major `n × n_cols`.
    Numeric {
        /// The values.
        values: Vec<f32>,
        /// Columns per row.
        n_cols: usize,
    },
}

/// What a fit reads: the rows, and what a method may take besides them
/// ([`MethodEntry::supervised`], [`MethodEntry::precomputed_knn`]; the front ends refuse them
/// for the other methods, which ignore them).
#[derive(Clone, Copy)]
pub struct FitData<'a> {
    /// The rows.
    pub x: Input<'a>,
    /// A supervision target.
    pub y: Option<&'a Target>,
    /// Nearest neighbours already computed (the point itself not among them).
    pub knn: Option<&'a KnnGraph>,
}

impl<'a> From<Input<'a>> for FitData<'a> {
    fn from(x: Input<'a>) -> FitData<'a> {
        FitData { x, y: None, knn: None }
    }
}

/// A fitted attribute: a scalar, a vector or a row-major matrix of numbers, named as the peer
/// library names it (`explained_variance_`).
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// The name.
    pub name: &'static str,
    /// The values, row-major.
    pub values: Vec<f64>,
    /// `[]` for a scalar, `[n]` for a vector, `[rows, cols]` for a matrix.
    pub shape: Vec<usize>,
}

impl Attribute {
    /// A number.
    pub fn scalar(name: &'static str, value: f64) -> Attribute {
        Attribute { name, values: vec![value], shape: Vec::new() }
    }

    /// A vector.
    pub fn vector(name: &'static str, values: Vec<f64>) -> Attribute {
        let n = values.len();
        Attribute { name, values, shape: vec![n] }
    }

    /// A `rows × cols` row-major matrix.
    pub fn matrix(name: &'static str, values: Vec<f64>, rows: usize, cols: usize) -> Attribute {
        debug_assert_eq!(values.len(), rows * cols);
        Attribute { name, values, shape: vec![rows, cols] }
    }
}

/// What a fitted model can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// It holds the embedding of the rows it was fitted on.
    pub embedding: bool,
    /// It places new rows.
    pub transform: bool,
    /// It maps embedded points back into data space.
    pub inverse_transform: bool,
    /// It can be written to a model file.
    pub save: bool,
}

/// A fitted model, as the front ends use it.
/// `Any` lets a front end reach a method's extras (PCA's likelihood) by downcasting a
/// `&dyn Fitted` upcast to `&dyn Any`.
pub trait Fitted: Send + Sync + std::any::Any {
    /// The method's registered name ([`MethodEntry::name`]).
    fn method(&self) -> &'static str;

    /// What it can do.
    fn capabilities(&self) -> Capabilities;

    /// Output dimensions.
    fn n_components(&self) -> usize;

    /// Columns of the data it was fitted on.
    fn n_features(&self) -> usize;

    /// The embedding of the rows it was fitted on, when it keeps one.
    fn embedding(&self) -> Option<Data<'_>> {
        None
    }

    /// Places new rows.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the model cannot transform (see [`Fitted::capabilities`]) or
    /// the rows have the wrong number of columns.
    fn transform(&self, data: Input<'_>, ctx: &Context) -> Result<Embedding> {
        let _ = (data, ctx);
        Err(unsupported(self.method(), "transform"))
    }

    /// Maps embedded points back into data space (`n × n_features`).
    ///
    /// # Errors
    /// As [`Fitted::transform`].
    fn inverse_transform(&self, embedded: &Data, ctx: &Context) -> Result<Embedding> {
        let _ = (embedded, ctx);
        Err(unsupported(self.method(), "inverse_transform"))
    }

    /// The fitted attributes a front end exposes, by the peer library's names.
    fn attributes(&self) -> Vec<Attribute> {
        Vec::new()
    }

    /// The model file's bytes ([`crate::io::model`]: magic, version, kind, parameters ([`Fitted::params`]),
    /// checksum, payload).
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the model cannot be saved (see [`Fitted::capabilities`]).
    fn to_bytes(&self) -> Result<Vec<u8>> {
        Err(unsupported(self.method(), "be saved"))
    }

    /// Parameters as the fit resolved them, where they differ from what was asked: an "auto"
    /// choice made (PCA's `svd_solver`), a count chosen from the data (`n_components`).
    fn resolved(&self) -> Vec<(&'static str, Value)> {
        Vec::new()
    }

    /// Every declared parameter as the fit resolved it ([`Fitted::resolved`] over what was
    /// asked; see [`resolved_values`]), in declaration order: what the model file records. A
    /// model read from a file gives the file's.
    fn params(&self) -> Vec<(&'static str, Value)> {
        Vec::new()
    }

    /// Warnings of the fit, for the front ends to show (Python's `warnings.warn`, the command
    /// line's stderr).
    fn warnings(&self) -> &[String] {
        &[]
    }
}

/// "`method` cannot `what`".
pub fn unsupported(method: &str, what: &str) -> Error {
    Error::InvalidData(format!("a {method} model cannot {what}"))
}

/// The fit of a method from parameter values by name, as the front ends call it.
pub type FitFn = fn(&[(&str, Value)], FitData<'_>, &Context) -> Result<Box<dyn Fitted>>;

/// One registered method.
#[derive(Clone, Copy)]
pub struct MethodEntry {
    /// Its name on the command line (`--method <name>`) and in Python.
    pub name: &'static str,
    /// One line about it.
    pub summary: &'static str,
    /// Its parameter declarations.
    pub specs: fn() -> Vec<ParamSpec>,
    /// It computes in the input's precision: the front ends hand it `f64` rows when the input
    /// holds values `f32` would round ([`Input::F64`]), and `f32` otherwise.
    pub precise: bool,
    /// It takes a supervision target ([`FitData::y`]).
    pub supervised: bool,
    /// It takes nearest neighbours already computed ([`FitData::knn`]).
    pub precomputed_knn: bool,
    /// It takes sparse rows ([`Input::Sparse`]).
    pub sparse: bool,
    /// Its fit.
    pub fit: FitFn,
    /// Its model file reader: the bytes of [`Fitted::to_bytes`], checked.
    pub load: fn(&[u8]) -> Result<Box<dyn Fitted>>,
}

/// Every method on the contract.
pub fn methods() -> Vec<MethodEntry> {
    vec![
        crate::embed::umap::ENTRY,
        crate::embed::pca::ENTRY,
        crate::embed::random_projection::ENTRY,
        crate::embed::spectral_embedding::ENTRY,
        crate::embed::mds::ENTRY,
        crate::embed::classical_mds::ENTRY,
        crate::embed::diffusion::ENTRY,
        crate::embed::lle::ENTRY,
        crate::embed::isomap::ENTRY,
        crate::embed::tsne::ENTRY,
        crate::embed::phate::ENTRY,
        crate::embed::truncated_svd::ENTRY,
        crate::embed::heatgeo::ENTRY,
        crate::embed::hde::ENTRY,
    ]
}

/// The error for sparse input given to a method that takes dense rows only, naming the methods
/// that take sparse rows.
pub fn sparse_refused(entry: &MethodEntry) -> Error {
    let takers: Vec<&str> = methods().iter().filter(|m| m.sparse).map(|m| m.name).collect();
    let hint = if entry.name == "pca" { " PCA centres the data, which would make it dense: truncated SVD (method svd) does not centre." } else { "" };
    Error::InvalidData(format!(
        "method {} takes dense rows, but the input is sparse.{hint} Methods that take sparse input: {}; or pass the data dense",
        entry.name,
        takers.join(", ")
    ))
}

/// The error of a model fitted with [`Context::keep_data`] false when asked to transform or to be
/// saved; `model` names it ("this Isomap", "this LLE model", …).
pub(crate) fn rows_not_kept(model: &str) -> Error {
    Error::InvalidData(format!(
        "{model} was fitted without keeping its training rows (as `unfold embed` fits without --save-model); it gives its embedding, but to transform or save, fit it again keeping them"
    ))
}

/// The method named `name`.
///
/// # Errors
/// [`Error::InvalidParameter`] listing the names.
pub fn method(name: &str) -> Result<MethodEntry> {
    let all = methods();
    all.iter()
        .find(|m| m.name == name)
        .copied()
        .ok_or_else(|| Error::param("method", name, format!("must be one of {}", all.iter().map(|m| m.name).collect::<Vec<_>>().join(", "))))
}

/// A model of any registered method from its model file's bytes.
///
/// # Errors
/// [`Error::InvalidData`] for a file that is not a model, of an unknown kind, or whose contents
/// do not fit together.
pub fn load(bytes: &[u8]) -> Result<Box<dyn Fitted>> {
    let kind = crate::io::model::kind_of(bytes)?;
    let entry = methods()
        .into_iter()
        .find(|m| m.name == kind)
        .ok_or_else(|| Error::InvalidData(format!("a model file of kind `{kind}`, which this build of unfold does not read")))?;
    (entry.load)(bytes)
}

/// Every parameter of `p` in declaration order, with the fit's `resolved` values in place of
/// what was asked: a model's [`Fitted::params`].
pub fn resolved_values<P: Params>(p: &P, resolved: &[(&'static str, Value)]) -> Vec<(&'static str, Value)> {
    P::specs()
        .into_iter()
        .map(|spec| {
            let value = resolved.iter().find(|(n, _)| *n == spec.name).map(|(_, v)| v.clone());
            (spec.name, value.or_else(|| p.get(spec.name)).unwrap_or(spec.default))
        })
        .collect()
}

/// Parameters read from a model file ([`crate::io::model::parameters_of`]), each checked to be
/// one of `specs`, the method's declarations.
///
/// # Errors
/// [`Error::InvalidData`] ("corrupt model: …") naming a parameter the method does not declare
/// or one given twice.
pub fn declared(specs: &[ParamSpec], read: crate::io::model::Parameters) -> Result<Vec<(&'static str, Value)>> {
    let mut out: Vec<(&'static str, Value)> = Vec::with_capacity(read.len());
    for (name, value) in read {
        let spec = specs
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| Error::InvalidData(format!("corrupt model: its parameter block names `{name}`, which is not a parameter of the method")))?;
        if out.iter().any(|(n, _)| *n == spec.name) {
            return Err(Error::InvalidData(format!("corrupt model: its parameter block gives `{name}` twice")));
        }
        out.push((spec.name, value));
    }
    Ok(out)
}

/// `P` from `(name, value)` pairs over its defaults.
///
/// # Errors
/// As [`Params::set`].
pub fn params_from<P: Params>(values: &[(&str, Value)]) -> Result<P> {
    P::from_values(values.iter().map(|(n, v)| (*n, v)))
}
