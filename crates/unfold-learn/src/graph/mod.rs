//! Weighted graphs and the operators on them: the pieces every graph-based method shares.
//!
//! Methods build a neighbour graph ([`crate::knn`]), turn it into affinities, symmetrise them
//! and then work with an operator on the graph. This module holds what they have in common:
//!
//! * [`SparseGraph`] ([`csr`]): a weighted graph as a square CSR matrix (`u32` columns, `f32`
//!   weights), with a checked constructor ([`SparseGraph::from_parts`]), the directed kNN graph
//!   ([`SparseGraph::from_knn`]), rows, transpose, degrees and induced subgraphs. UMAP's fuzzy
//!   graph ([`FuzzyGraph`](crate::embed::umap::graph::FuzzyGraph)) is one, with its `sigma` and
//!   `rho` beside it.
//! * [`symmetrize`] ([`mod@symmetrize`]): `max`, `mean`, fuzzy union `A + Aᵀ − A∘Aᵀ`, fuzzy
//!   intersection `A∘Aᵀ` and UMAP's mix of the two.
//! * [`connected_components`], [`breadth_first_order`] and [`connect_components`] ([`components`]).
//! * [`shortest_paths`]: parallel Dijkstra from many sources and maxmin landmarks.
//! * [`laplacian`] ([`mod@laplacian`]): the unnormalised, symmetric normalised and random-walk
//!   Laplacians as a [`GraphOperator`] that multiplies blocks of vectors in parallel
//!   (deterministically) and gives the explicit sparse or dense matrix.
//! * [`diffusion`] ([`DiffusionOperator`]): the α-normalised Markov matrix of a kernel graph,
//!   its eigenpairs (through the symmetric conjugate) and the Nyström weights of new points.
//! * [`spectral`]: Laplacian eigenvectors (dense below 2,000 vertices, LOBPCG above) and the
//!   spectral embedding of a possibly disconnected graph.
//! * [`heat_kernel`]: the heat kernel `e^{−τL}` by a Chebyshev expansion applied to blocks of
//!   vectors (the heat-geodesic embedding's).
//!
//! Users now: UMAP (fuzzy graph, supervised intersections, spectral initialisation) and Laplacian
//! eigenmaps ([`crate::embed::spectral_embedding`]: symmetrisation, components,
//! [`normalized_adjacency`]) and diffusion maps ([`crate::embed::diffusion`]: `max`
//! symmetrisation, [`DiffusionOperator`]). Isomap ([`crate::embed::isomap`]: `max` symmetrisation,
//! [`connect_components`], [`shortest_paths`]). Planned users: t-SNE (`mean`-symmetrised perplexity affinities) and PHATE.
//!
//! The kNN search graph ([`crate::knn::search::SearchGraph`]) and the Delaunay graph of UMAP's
//! inverse transform are not [`SparseGraph`]s: they carry no weights and are laid out for their
//! own searches.
//!
//! ```
//! use unfold_learn::graph::{LaplacianKind, SparseGraph, Symmetrization, connected_components, laplacian, symmetrize};
//! use unfold_learn::knn::KnnGraph;
//! // Four points, each with its nearest neighbour: 0 ↔ 1 and 2 ↔ 3.
//! let knn = KnnGraph::from_parts(4, 1, vec![1, 0, 3, 2], vec![1.0, 1.0, 2.0, 2.0])?;
//! let g = symmetrize(&SparseGraph::from_knn(&knn), Symmetrization::Max)?;
//! assert_eq!(connected_components(&g), (2, vec![0, 0, 1, 1]));
//! let l = laplacian(&g, LaplacianKind::RandomWalk).to_dense();
//! assert_eq!((l[(0, 0)], l[(0, 1)]), (1.0, -1.0));
//! # Ok::<(), unfold_learn::Error>(())
//! ```

pub mod alpha_decay;
pub mod components;
pub mod csr;
pub mod diffusion;
pub mod heat_kernel;
pub mod landmarks;
pub mod laplacian;
pub mod shortest_paths;
pub mod sliced_wasserstein;
pub mod spectral;
pub mod spectral_clustering;
pub mod symmetrize;

pub use components::{breadth_first_order, closest_component_pairs, connect_components, connected_components};
pub use csr::SparseGraph;
pub use diffusion::{DiffusionEigen, DiffusionOperator};
pub use laplacian::{GraphOperator, LaplacianKind, laplacian, normalized_adjacency};
pub use symmetrize::{Symmetrization, symmetrize};
