//! Integration tests, compiled as one binary.

mod common;
mod diffusion;
mod graph;
mod intrinsic_dim;
mod io;
mod isomap;
mod knn;
mod lle;
mod mds;
mod npy_headers;
mod pca;
mod phate;
mod quality;
mod spectral_embedding;
mod topology;
mod tsne;
mod umap;
mod umap_graph;
mod umap_inverse;
mod umap_spectral;
mod umap_supervised;
mod untrusted;
