//! UMAP (McInnes, Healy & Melville, 2018): the stages of the method, one file each.
//!
//! * [`spectral`]: the spectral initialisation (normalised-Laplacian eigenvectors, one box per
//!   connected component, then umap-learn's noisy rescaling to `[0, 10]`).
//! * [`layout`]: the stochastic-gradient layout on the fuzzy graph, with order-independent
//!   updates so a seeded layout is identical at any thread count.

pub mod layout;
pub mod spectral;
