//! Embeddings: one module per method, each a validated `Params` → `fit` → fitted `Model`.

pub mod classical_mds;
pub mod diffusion;
pub mod hde;
pub mod heatgeo;
pub mod isomap;
pub mod lle;
pub mod mds;
pub mod pca;
pub mod phate;
pub mod poincare;
pub mod random_projection;
pub mod spectral_embedding;
pub mod truncated_svd;
pub mod tsne;
pub mod umap;
