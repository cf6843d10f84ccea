//! UMAP (McInnes, Healy & Melville, 2018): the stages of the method, one file each.
//!
//! * [`layout`]: the stochastic-gradient layout on the fuzzy graph, with order-independent
//!   updates so a seeded layout is identical at any thread count.

pub mod layout;
