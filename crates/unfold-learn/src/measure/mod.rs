//! Measurements on data and embeddings.
//!
//! * [`quality`]: how well an embedding keeps the neighbourhoods of the data — trustworthiness
//!   and continuity (Venna & Kaski, 2001), neighbour preservation and leave-one-out kNN accuracy,
//!   with [`quality::evaluate`] computing them all on a seeded subsample of large data.
//! * [`coranking`]: the co-ranking matrix and its curves — Q_NX, LCMC, R_NX and its AUC (Lee &
//!   Verleysen) — and Shepard-diagram data.
//! * [`demap`]: DEMaP, the rank correlation of geodesic distances in the data with distances in
//!   the embedding (PHATE's measure).
//! * [`intrinsic_dim`]: intrinsic dimension, globally and per point — TwoNN, Levina–Bickel
//!   maximum likelihood, the local-PCA rules, the correlation dimension, MADA, ESS and MiND-ML,
//!   as scikit-dimension defines them.
//! * [`danco`]: DANCo (Ceruti et al. 2014), the dimension of the uniform ball whose neighbour
//!   distances and angles are closest to the data's.
//! * [`topology`]: Vietoris–Rips persistent homology (ripser.py's diagrams) and the bottleneck
//!   and Wasserstein distances between diagrams (persim's).
//! * [`entropy`]: diffusion spectral entropy and mutual information (Liao et al. 2023), the
//!   entropy of the diffusion operator's spectrum.
//! * [`hyperbolicity`]: Gromov's four-point δ, exact (pruned enumeration) or sampled, on the
//!   metric's, precomputed or kNN-geodesic distances.
//! * [`curvature`]: Ollivier–Ricci curvature of the kNN graph's edges and points
//!   (GraphRicciCurvature's), by exact optimal transport between neighbourhoods.
//! * [`sectional`]: a per-point sectional curvature estimate by triangle comparison (Gu et al.
//!   2019, Manify's), on the kNN graph's geodesic or precomputed distances.

pub mod coranking;
pub mod curvature;
pub mod danco;
pub mod demap;
pub mod entropy;
pub mod hyperbolicity;
pub mod intrinsic_dim;
pub mod quality;
pub mod sectional;
pub mod topology;
