//! Measurements on data and embeddings.
//!
//! * [`quality`]: how well an embedding keeps the neighbourhoods of the data — trustworthiness
//!   and continuity (Venna & Kaski, 2001), neighbour preservation and leave-one-out kNN accuracy,
//!   with [`quality::evaluate`] computing them all on a seeded subsample of large data.

pub mod quality;
