//! t-SNE: t-distributed stochastic neighbour embedding (van der Maaten & Hinton 2008), with
//! openTSNE 1.0.4's affinities, optimiser and defaults, and its heavy-tailed kernel
//! `(1 + d²/α)^−α` (`dof` = α, Kobak et al. 2019).
//!
//! Stages, one file each:
//!
//! 1. **Affinities** ([`affinity`]): perplexity-calibrated Gaussian conditionals on the kNN
//!    graph, symmetrised and normalised.
//! 2. **Repulsion** ([`repulsion`]): the one function shape every gradient method provides;
//!    [`exact`] and Barnes–Hut ([`bh`]).

pub mod affinity;
pub mod bh;
pub mod exact;
pub mod repulsion;

pub use repulsion::Gradient;
