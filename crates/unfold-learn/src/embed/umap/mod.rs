//! UMAP: Uniform Manifold Approximation and Projection (McInnes, Healy & Melville 2018,
//! arXiv:1802.03426), stage by stage, matching umap-learn 0.5.
//!
//! The method runs in stages; each is a public function here so it can be tested against
//! umap-learn on its own:
//!
//! 1. **kNN graph** ([`crate::knn`]): `n_neighbors − 1` neighbours per point, since umap-learn
//!    counts the point itself as its first neighbour and this crate's graphs do not.
//! 2. **Fuzzy simplicial set** ([`graph`]): per-point `rho` (distance to the nearest neighbour)
//!    and `sigma` (a bandwidth so that the memberships of each point sum to `log2(n_neighbors)`)
//!    by [`graph::smooth_knn_dist`]; memberships `exp(−(d − rho)/sigma)`, then the fuzzy union
//!    `A + Aᵀ − A∘Aᵀ` (or a mix with the intersection) by [`graph::fuzzy_simplicial_set`].
//!    With a target `y` (supervised or semi-supervised UMAP), [`supervised`] then weakens the
//!    edges between different labels (negative labels are unknown), or intersects the graph
//!    with the fuzzy graph of a numeric target, and resets every point's strongest edge to 1.
//! 3. **Output curve** ([`curve`]): the `a`, `b` of the low-dimensional similarity
//!    `1 / (1 + a d^(2b))`, fitted to `min_dist` and `spread` by [`curve::find_ab_params`].
//! 4. **Initialisation** ([`spectral`]): normalised-Laplacian eigenvectors, one box per
//!    connected component, then umap-learn's noisy rescaling to `[0, 10]`.
//! 5. **Layout** ([`layout`]): stochastic gradient descent on the fuzzy cross entropy, with
//!    order-independent updates so a seeded layout is identical at any thread count; in the
//!    plane, or in the hyperbolic plane or on the sphere ([`output`], umap-learn's
//!    `output_metric`).
//! 6. **densMAP** ([`densmap`]): optionally, a term that keeps local densities.
//! 7. **Transform** ([`transform`]): new points placed against the fitted embedding.
//! 8. **Inverse transform** ([`inverse`]): points of the embedding space mapped back into data
//!    space, from the Delaunay triangulation of the embedding and an SGD in data space.
//!
//! [`Umap`] chains the stages:
//!
//! ```
//! use unfold_learn::prelude::*;
//! let x: Vec<f32> = (0..400).map(|i| ((i * 7919) % 101) as f32 / 10.0 + (i / 200) as f32 * 50.0).collect();
//! let data = Data::from_row_major(&x, 100, 4)?;
//! let model = Umap::builder().n_neighbors(10).n_epochs(50).build()?.fit(&data, &Context::seeded(42))?;
//! assert_eq!(model.embedding().n_rows(), 100);
//! let again = model.transform(&data.select_rows(&[0, 1]))?;
//! assert_eq!(again.n_cols(), 2);
//! # Ok::<(), unfold_learn::Error>(())
//! ```

pub mod curve;
pub mod densmap;
pub mod graph;
pub mod inverse;
pub mod layout;
mod model;
pub mod output;
pub mod spectral;
pub mod supervised;
pub mod transform;

pub use model::{ENTRY, TargetMetric, Umap, UmapBuilder, UmapInit, UmapModel, UmapParams, UmapTarget};
pub use output::OutputMetric;
