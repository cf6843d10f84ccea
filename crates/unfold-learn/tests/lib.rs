//! Integration tests, compiled as one binary.

mod common;
mod curvature;
mod diffusion;
mod entropy;
mod graph;
mod hyperbolicity;
mod intrinsic_dim;
mod io;
mod isomap;
mod knn;
mod lle;
mod manifold;
mod mds;
mod npy_headers;
mod optim;
mod pca;
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
