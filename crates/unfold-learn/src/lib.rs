//! # unfold-learn
//!
//! Manifold learning built on one idea: **points → neighbour graph → operator on the graph →
//! coordinates or measurements**. This crate is the core library behind the `unfold` command and
//! the `unfold` Python package.
//!
//! * [`Data`]: validated row-major `f32` input (finite, non-empty, consistent shape).
//! * [`datasets`]: the built-in MNIST test set (the `unfold` command's demo).
//! * [`embed`]: embeddings ([`Pca`], [`Umap`]), each a validated `Params` → `fit` → `Model`.
//! * [`graph`]: weighted sparse graphs, symmetrisation, connected components, Laplacians and
//!   the spectral embedding, shared by the graph-based methods.
//! * [`knn`]: exact and NN-descent k-nearest-neighbour graphs, deterministic for a seed at any
//!   thread count.
//! * [`measure`]: embedding quality (trustworthiness, continuity, neighbour preservation, kNN
//!   accuracy) with [`measure::quality::evaluate`].
//! * [`method`]: the contract every method keeps: parameters declared once, a fit [`method::Context`],
//!   fitted models that say what they can do, and the registry the front ends read.
//! * [`metric`]: distances with vectorised kernels.
//! * [`manifold`]: Riemannian geometry (spheres, hyperbolic models, SPD matrices, Stiefel,
//!   Grassmann and flag manifolds, products) and statistics on it; [`optim`]: Riemannian optimisers.
//! * [`io`]: readers for `.npy`, `.csv`/`.tsv` and MNIST IDX files, and atomic writers.
//!
//! ```
//! use unfold_learn::prelude::*;
//! let x: Vec<f32> = (0..60).map(|i| ((i * 37) % 11) as f32).collect();
//! let data = Data::from_row_major(&x, 20, 3)?;
//! let model = Pca::builder().n_components(2).build()?.fit(&data, &Context::default())?;
//! assert_eq!(model.embedding().n_rows(), 20);
//! # Ok::<(), unfold_learn::Error>(())
//! ```
#![deny(missing_docs)]

pub mod data;
pub mod datasets;
pub mod embed;
pub mod error;
pub mod graph;
pub mod io;
pub mod knn;
pub mod linalg;
pub mod manifold;
pub mod measure;
pub mod method;
pub mod metric;
pub mod optim;
mod prefetch;
pub mod progress;
pub mod rng;
pub mod threads;

pub use data::{Data, Embedding, Labels, SparseData};
pub use embed::pca::{Pca, PcaComponents, PcaModel, PcaParams, PcaSolver};
pub use embed::umap::{TargetMetric, Umap, UmapInit, UmapModel, UmapParams, UmapTarget};
pub use error::{Error, Result};
pub use knn::{KnnAlgorithm, KnnGraph, KnnParams};
pub use linalg::DataF64;
pub use measure::quality::{QualityParams, QualityReport};
pub use method::Context;
pub use metric::Metric;
pub use progress::{NoProgress, Progress};

/// The names most programs need: `use unfold_learn::prelude::*;`.
pub mod prelude {
    pub use crate::data::{Data, Embedding, Labels, SparseData};
    pub use crate::embed::pca::{Pca, PcaComponents, PcaModel, PcaParams, PcaSolver};
    pub use crate::embed::umap::{TargetMetric, Umap, UmapInit, UmapModel, UmapParams, UmapTarget};
    pub use crate::error::{Error, Result};
    pub use crate::knn::{KnnAlgorithm, KnnGraph, KnnParams, knn_graph};
    pub use crate::linalg::DataF64;
    pub use crate::measure::quality::{QualityParams, QualityReport};
    pub use crate::method::Context;
    pub use crate::metric::Metric;
    pub use crate::progress::{NoProgress, Progress};
}
