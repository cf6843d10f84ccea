//! t-SNE: t-distributed stochastic neighbour embedding.

pub mod fft;
