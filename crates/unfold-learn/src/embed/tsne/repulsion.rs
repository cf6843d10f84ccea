//! The repulsive term of the t-SNE gradient, one function shape for every method of computing it.
//!
//! Each method provides
//! `repulsion(y, dim, dof, out) -> Z`: for the row-major `n × dim` embedding `y`, it writes into
//! `out` (`n × dim`, overwritten) the **unnormalised** sum `Σ_{j≠i} w_ij^{(α+1)/α} (y_i − y_j)`
//! with `w_ij = (1 + d_ij²/α)^−α` (α = `dof`, the degrees of freedom of the heavy-tailed kernel
//! of Kobak et al. 2019), and returns `Z = Σ_{i≠j} w_ij`. The gradient divides by `Z`.
//!
//! For new points against a fixed reference (openTSNE's `prepare_partial`), a method provides
//! `repulsion_against(reference, points, dim, dof, out, sum_q)`, with each new point's own
//! normaliser `sum_q[i] = Σ_j w_ij` in place of `Z`.
//!
//! [`Gradient`] selects the method: [`exact`](super::exact), [Barnes–Hut](super::bh) or
//! [FFT-accelerated interpolation](super::fft).

use super::fft::{FftParams, FftReference, repulsion_fft};
use super::{bh, exact};

/// Points per parallel task of the repulsion sums: fixed, so that `Z` adds its partial sums in
/// the same order at any thread count.
pub(crate) const CHUNK: usize = 256;

/// The kernel `w = (1 + d²/α)^−α` and the force factor `w^{(α+1)/α}`, which is `w / (1 + d²/α)`:
/// one power a pair instead of two (the two powers took five sixths of an exact fit at `α ≠ 1`).
#[inline(always)]
pub(crate) fn kernel(d2: f64, dof: f64) -> (f64, f64) {
    if dof == 1.0 {
        let w = 1.0 / (1.0 + d2);
        (w, w * w)
    } else {
        let base = 1.0 + d2 / dof;
        let w = base.powf(-dof);
        (w, w / base)
    }
}

/// How the repulsive term is computed.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Gradient {
    /// Every pair ([`exact::repulsion`]).
    Exact,
    /// A Barnes–Hut space-partitioning tree with opening angle `theta` ([`bh::repulsion`]).
    BarnesHut {
        /// A cell is summarised when its side over its distance is below `theta`.
        theta: f64,
    },
    /// Polynomial interpolation on an equispaced grid and convolution by FFT (FIt-SNE,
    /// openTSNE's `"fft"`; 1 or 2 output dimensions).
    Fft(FftParams),
}

impl Gradient {
    /// The repulsion of every point of `y` on the others (see the [module docs](self)).
    pub fn repulsion(&self, y: &[f64], dim: usize, dof: f64, out: &mut [f64]) -> f64 {
        match *self {
            Gradient::Exact => exact::repulsion(y, dim, dof, out),
            Gradient::BarnesHut { theta } => bh::repulsion(y, dim, dof, theta, out),
            // The optimiser keeps one `FftRepulsion` across iterations instead (plans, buffers).
            Gradient::Fft(params) => repulsion_fft(y, dim, dof, &params, out),
        }
    }

    /// The repulsion of `reference` on each of `points` (see the [module docs](self)), prepared
    /// and applied once; [`Gradient::reference`] prepares it for many calls.
    pub fn repulsion_against(&self, reference: &[f64], points: &[f64], dim: usize, dof: f64, out: &mut [f64], sum_q: &mut [f64]) {
        self.reference(reference, dim, dof).repulsion(points, out, sum_q);
    }

    /// The repulsion of the fixed `reference` embedding (row-major `n × dim`) on new points,
    /// with what does not depend on them (the Barnes–Hut tree, the FFT grid's potentials)
    /// computed here, once.
    pub fn reference<'a>(&self, reference: &'a [f64], dim: usize, dof: f64) -> Reference<'a> {
        let kind = match *self {
            Gradient::Exact => ReferenceKind::Exact,
            Gradient::BarnesHut { theta } => ReferenceKind::BarnesHut { tree: bh::Tree::new(reference, dim), theta },
            Gradient::Fft(params) => ReferenceKind::Fft(Box::new(FftReference::new(reference, dim, dof, &params))),
        };
        Reference { reference, dim, dof, kind }
    }
}

/// A fixed embedding's repulsion on new points ([`Gradient::reference`]): each new point's
/// force and normaliser depend on that point alone.
#[derive(Debug)]
pub struct Reference<'a> {
    reference: &'a [f64],
    dim: usize,
    dof: f64,
    kind: ReferenceKind,
}

#[derive(Debug)]
enum ReferenceKind {
    Exact,
    BarnesHut { tree: bh::Tree, theta: f64 },
    Fft(Box<FftReference>),
}

impl Reference<'_> {
    /// Writes into `out` (`m × dim`, overwritten) the unnormalised force
    /// `Σ_j w_ij^{(α+1)/α} (p_i − r_j)` of the reference points `r_j` on each of the row-major
    /// `points` (`m × dim`), and into `sum_q[i]` its normaliser `Σ_j w_ij`.
    pub fn repulsion(&self, points: &[f64], out: &mut [f64], sum_q: &mut [f64]) {
        let (dim, dof) = (self.dim, self.dof);
        match &self.kind {
            ReferenceKind::Exact => exact::repulsion_against(self.reference, points, dim, dof, out, sum_q),
            ReferenceKind::BarnesHut { tree, theta } => bh::repulsion_against(tree, points, dim, dof, *theta, out, sum_q),
            ReferenceKind::Fft(fft) => fft.repulsion(points, out, sum_q),
        }
    }

    /// With the FFT gradient, clips `points` into the interpolation grid in place
    /// ([`FftReference::clip`]) and flags the points moved; otherwise does nothing.
    pub fn clip(&self, points: &mut [f64], clipped: &mut [bool]) {
        if let ReferenceKind::Fft(fft) = &self.kind {
            fft.clip(points, clipped);
        }
    }
}
