//! Measurements on data and embeddings.
//!
//! * [`quality`]: how well an embedding keeps the neighbourhoods of the data — trustworthiness
//!   and continuity (Venna & Kaski, 2001), neighbour preservation and leave-one-out kNN accuracy,
//!   with [`quality::evaluate`] computing them all on a seeded subsample of large data.
//! * [`demap`]: DEMaP, the rank correlation of geodesic distances in the data with distances in
//!   the embedding (PHATE's measure).
//! * [`intrinsic_dim`]: intrinsic dimension, globally and per point — TwoNN, Levina–Bickel
//!   maximum likelihood, the local-PCA rules, the correlation dimension, MADA, ESS and MiND-ML,
//!   as scikit-dimension defines them.
//! * [`topology`]: Vietoris–Rips persistent homology (ripser.py's diagrams) and the bottleneck
//!   and Wasserstein distances between diagrams (persim's).

pub mod demap;
pub mod intrinsic_dim;
pub mod quality;
pub mod topology;
