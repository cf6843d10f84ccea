//! FFT-accelerated interpolation of the t-SNE repulsion (Linderman et al. 2019, "Fast
//! interpolation-based t-SNE for improved visualization of single-cell RNA-seq data", FIt-SNE), as
//! openTSNE 1.0.4 computes it (`estimate_negative_gradient_fft_1d/2d` and the `*_with_grid`
//! variants of `prepare_partial`).
//!
//! For an embedding `y` (1-D or 2-D) it computes, for every point `i`, the unnormalised repulsion
//! `Σ_{j≠i} K₂(y_i − y_j)·(y_i − y_j)` with `K₂ = w^{(α+1)/α} = (1 + d²/α)^−(α+1)`, and
//! `Z = Σ_{i≠j} w_ij`, `w = (1 + d²/α)^−α`, in O(n + G log G) for a grid of G nodes:
//!
//! 1. The bounding square of the points is cut into `n_boxes` intervals per axis
//!    (`max(min_num_intervals, span / ints_in_interval)`, rounded up to [`GRID_SIZES`]), each with
//!    `n_interpolation_points` equispaced Lagrange nodes at `(k + ½)/p` of the box.
//! 2. Each point spreads its charges (`1`, `y`, and `1` under the kernel `w` when α ≠ 1) onto the
//!    nodes of its box with the Lagrange weights (tensor products in 2-D). The transform's grid,
//!    which needs each new point's own normaliser, also carries `‖y‖²` when α = 1.
//! 3. The node potentials are the kernel matrix (Toeplitz, or block Toeplitz in 2-D) times the
//!    node charges, computed as a circular convolution on the grid padded to twice its size.
//! 4. Each point interpolates the potentials φ back from its box's nodes, and
//!    `repulsion_i = y_i φ₀ − φ_{1..}`; with α = 1, `Z = Σ_i (1 + 2‖y_i‖²)φ₀ − 2 y_i·φ_{1..} − n`,
//!    otherwise `Z = Σ_i φ_last − n` (the `− n` removes each point's own `w(0) = 1`). With α = 1,
//!    `w = K₂·(1 + d²)` and `Σ_i Z_i` expands into `Σ_i (1 + ‖y_i‖²)φ₀ − 2 y_i·φ_{1..} + φ_{‖y‖²}`;
//!    the interpolated kernel `Σ_ab W_i(a) K(a − b) W_j(b)` is symmetric in `i` and `j`, so
//!    `Σ_i φ_{‖y‖²}(i) = Σ_i ‖y_i‖² φ₀(i)` and the fourth convolution (openTSNE's) is not needed.
//!
//! Differences from openTSNE, none of which changes the quantity computed: the charges are taken
//! relative to the grid's centre (the sums are translation invariant, and centred charges lose
//! fewer digits in step 4's cancellation); the grid's true minimum and maximum are used (openTSNE's
//! scan misses a maximum that is also a running minimum); the transform grid is symmetric about 0
//! in 1-D as in 2-D (openTSNE's 1-D code assigns the symmetric bounds to unused variables, which
//! changes nothing for a centred reference).
//!
//! Parallel and deterministic: points are bucketed by box row (a stable counting sort), each box
//! row owns its own node rows, so the spreading needs no partial grids and adds each node's charges
//! in point order; the FFTs run row by row and column by column; per-point results are written by
//! fixed chunks and `Z` is added in point order. The output is bit-identical at any thread count.

use std::cell::RefCell;
use std::sync::Arc;

use rayon::prelude::*;
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

use crate::linalg::real_fft::RealFft;

/// The largest `n_interpolation_points` supported (the Lagrange weights live on the stack).
pub const MAX_INTERPOLATION_POINTS: usize = 16;

/// Points per parallel task of the interpolation back to the points: fixed, so the work splits the
/// same way at any thread count.
const CHUNK: usize = 512;

/// Rows or columns per parallel FFT task: neighbouring columns are read together, so the strided
/// transposes touch whole cache lines.
const BLOCK: usize = 8;

/// The interpolation parameters, with openTSNE's defaults.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FftParams {
    /// Lagrange nodes per box and axis (openTSNE: 3).
    pub n_interpolation_points: usize,
    /// The fewest boxes per axis (openTSNE: 50).
    pub min_num_intervals: usize,
    /// Embedding units per box, at least: `n_boxes ≥ span / ints_in_interval` (openTSNE: 1).
    pub ints_in_interval: f64,
}

impl Default for FftParams {
    fn default() -> Self {
        FftParams { n_interpolation_points: 3, min_num_intervals: 50, ints_in_interval: 1.0 }
    }
}

/// `n` is `2^a 3^b 5^c 7^d`: a size whose transforms split into radices with vectorised butterflies.
const fn is_smooth(n: usize) -> bool {
    let mut m = n;
    let primes = [2, 3, 5, 7];
    let mut k = 0;
    while k < primes.len() {
        while m.is_multiple_of(primes[k]) {
            m /= primes[k];
        }
        k += 1;
    }
    m == 1
}

/// The box counts per axis the fitted grid is rounded up to: every number from 20 to 1000 of the
/// form `2^a 3^b 5^c 7^d` (126 of them). Above 1000 boxes the count stays at 1000.
///
/// openTSNE's list (206 sizes) also takes these times one factor 11 or 13, which FFTW transforms
/// quickly. rustfft has no vectorised butterflies of 11 or 13, and a grid of 156 = 12·13 or
/// 165 = 15·11 boxes took 40–45 % longer per gradient than one of 160 or 168 (MNIST test set, end
/// of the optimisation), so those counts round up to the next 7-smooth one: where the two lists
/// round differently, 1.7 % more boxes per axis on average (9 % at most), a finer grid, never a
/// coarser one.
pub const GRID_SIZES: [usize; 126] = {
    let mut out = [0; 126];
    let mut k = 0;
    let mut n = 20;
    while n <= 1000 {
        if is_smooth(n) {
            out[k] = n;
            k += 1;
        }
        n += 1;
    }
    assert!(k == 126);
    out
};

/// The grid size for `n_boxes` boxes per axis: the next entry of [`GRID_SIZES`], capped at 1000.
pub fn round_up_grid_size(n_boxes: usize) -> usize {
    if n_boxes >= 1000 {
        return 1000;
    }
    GRID_SIZES[GRID_SIZES.partition_point(|&g| g < n_boxes)]
}

/// Lagrange basis polynomials on the nodes `(k + ½)/p`, `k < p`, of the unit interval.
#[derive(Debug, Clone, Copy)]
struct Lagrange {
    p: usize,
    nodes: [f64; MAX_INTERPOLATION_POINTS],
    inv_denominator: [f64; MAX_INTERPOLATION_POINTS],
}

impl Lagrange {
    fn new(p: usize) -> Self {
        assert!((1..=MAX_INTERPOLATION_POINTS).contains(&p), "n_interpolation_points must be in 1..={MAX_INTERPOLATION_POINTS}");
        let mut nodes = [0.0; MAX_INTERPOLATION_POINTS];
        for (k, node) in nodes.iter_mut().enumerate().take(p) {
            *node = (k as f64 + 0.5) / p as f64;
        }
        let mut inv_denominator = [0.0; MAX_INTERPOLATION_POINTS];
        for k in 0..p {
            let den: f64 = (0..p).filter(|&m| m != k).map(|m| nodes[k] - nodes[m]).product();
            inv_denominator[k] = 1.0 / den;
        }
        Lagrange { p, nodes, inv_denominator }
    }

    /// `out[k] = L_k(t)`.
    #[inline(always)]
    fn weights(&self, t: f64, out: &mut [f64; MAX_INTERPOLATION_POINTS]) {
        if self.p == 3 {
            // openTSNE's default, straight-line: the same products in the same order as below.
            let (d0, d1, d2) = (t - self.nodes[0], t - self.nodes[1], t - self.nodes[2]);
            out[0] = self.inv_denominator[0] * d1 * d2;
            out[1] = self.inv_denominator[1] * d0 * d2;
            out[2] = self.inv_denominator[2] * d0 * d1;
            return;
        }
        for (k, o) in out.iter_mut().enumerate().take(self.p) {
            let mut v = self.inv_denominator[k];
            for (m, &node) in self.nodes[..self.p].iter().enumerate() {
                if m != k {
                    v *= t - node;
                }
            }
            *o = v;
        }
    }
}

/// An interpolation grid: `n_boxes` boxes of side `width` per axis from `lo` (the same on both
/// axes), `p` nodes per box and axis.
#[derive(Debug, Clone, Copy)]
struct Grid {
    lagrange: Lagrange,
    n_boxes: usize,
    lo: f64,
    width: f64,
    inv_width: f64,
    /// Subtracted from the coordinates before they become charges.
    centre: f64,
}

impl Grid {
    /// openTSNE's grid for the repulsion within `y`: the bounding square, its box count rounded up
    /// to [`GRID_SIZES`]. `None` when every coordinate is the same (all points coincide).
    fn fitted(y: &[f64], params: &FftParams) -> Option<Grid> {
        let (min, max) = y.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let span = max - min;
        if span.is_nan() || span <= 0.0 {
            return None;
        }
        let n_boxes = round_up_grid_size((span / params.ints_in_interval).max(params.min_num_intervals as f64) as usize);
        Some(Grid::new(params, n_boxes, min, span, 0.5 * (min + max)))
    }

    /// openTSNE's `prepare_*_interpolation_grid(padding)`: a square symmetric about 0 reaching
    /// `max |y|` times `1 + padding`, the box count not rounded.
    fn symmetric(y: &[f64], params: &FftParams, padding: f64) -> Grid {
        let reach = y.iter().fold(0.0f64, |r, &v| r.max(v.abs()));
        // A reference all at the origin still gets a (tiny) grid rather than a zero width.
        let half = reach.max(f64::MIN_POSITIVE.sqrt()) * (1.0 + padding);
        let span = 2.0 * half;
        let n_boxes = ((span / params.ints_in_interval).max(params.min_num_intervals as f64) as usize).max(1);
        Grid::new(params, n_boxes, -half, span, 0.0)
    }

    fn new(params: &FftParams, n_boxes: usize, lo: f64, span: f64, centre: f64) -> Grid {
        let width = span / n_boxes as f64;
        Grid { lagrange: Lagrange::new(params.n_interpolation_points), n_boxes, lo, width, inv_width: 1.0 / width, centre }
    }

    /// Nodes per axis.
    fn nodes(&self) -> usize {
        self.lagrange.p * self.n_boxes
    }

    /// The box holding `x` (the last box holds the maximum; points outside fall into the nearest
    /// edge box) and `x`'s position in it, in box widths.
    #[inline(always)]
    fn locate(&self, x: f64) -> (usize, f64) {
        let u = (x - self.lo) * self.inv_width;
        let b = (u as usize).min(self.n_boxes - 1);
        (b, u - b as f64)
    }
}

/// `K₂(r²) = (1 + r²/α)^−(α+1)` and `K₁(r²) = (1 + r²/α)^−α`: kernel `kind` 0 and 1.
#[inline(always)]
fn kernel(kind: usize, r2: f64, dof: f64) -> f64 {
    if dof == 1.0 {
        let w = 1.0 / (1.0 + r2);
        if kind == 0 { w * w } else { w }
    } else {
        let base = 1.0 + r2 / dof;
        if kind == 0 { base.powf(-(dof + 1.0)) } else { base.powf(-dof) }
    }
}

/// The kernel each charge is convolved with: every term under `K₂`, except the last under `K₁`
/// when α ≠ 1 (with α = 1 the last term, `‖y‖²`, gives `Z` under `K₂`).
fn kernel_of_term(term: usize, n_terms: usize, dof: f64) -> usize {
    usize::from(term + 1 == n_terms && dof != 1.0)
}

/// The terms a grid carries: `1` and the coordinates, then the last term (`‖y‖²`, or `1` under
/// `K₁`) when `per_point_z` asks for each point's own `Z_i`, or when α ≠ 1. The self-repulsion with
/// α = 1 needs only the total `Z`, which the first terms give (step 4), so it convolves one term
/// fewer.
fn terms(dim: usize, dof: f64, per_point_z: bool) -> usize {
    if per_point_z || dof != 1.0 { dim + 2 } else { dim + 1 }
}

/// The precision of the transforms. The charges are spread and the potentials interpolated in
/// `f64`; the convolution between them runs in `f32`, which doubles the vector lanes and halves
/// the memory traffic of its passes, and the node potentials it leaves are kept in `f32` (the
/// interpolation widens each as it reads it). Its rounding (about 1e-6 of the potentials) is far below the
/// interpolation's error (about 1e-2 of the forces with openTSNE's grid).
type Fl = f32;

/// Transforms of one length, planned once and reused while the grid keeps its size.
struct Plans {
    len: usize,
    real: Arc<RealFft>,
    forward: Arc<dyn Fft<Fl>>,
    inverse: Arc<dyn Fft<Fl>>,
    scratch_len: usize,
}

/// Per-thread buffers of the FFT tasks, grown to the largest grid seen and then reused.
#[derive(Default)]
struct Scratch {
    complex: Vec<Complex<Fl>>,
    real: Vec<Fl>,
    fft: Vec<Complex<Fl>>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
    /// A box row's node charges in 2-D, spread and transformed by the same task.
    static CHARGES: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's scratch, each buffer at least the length asked.
fn with_scratch<R>(complex: usize, real: usize, fft: usize, f: impl FnOnce(&mut [Complex<Fl>], &mut [Fl], &mut [Complex<Fl>]) -> R) -> R {
    SCRATCH.with(|s| {
        let s = &mut *s.borrow_mut();
        grow(&mut s.complex, complex, Complex::default());
        grow(&mut s.real, real, 0.0);
        grow(&mut s.fft, fft, Complex::default());
        f(&mut s.complex[..complex], &mut s.real[..real], &mut s.fft[..fft])
    })
}

fn grow<T: Clone>(v: &mut Vec<T>, len: usize, value: T) {
    if v.len() < len {
        v.resize(len, value);
    }
}

/// `v` resized to `len`, new slots `value`, the rest left as they were: for buffers whose every
/// slot is written before it is read (zeroing the grids each iteration cost a few percent).
fn sized<T: Clone>(v: &mut Vec<T>, len: usize, value: T) {
    v.resize(len, value);
}

/// `v` holding exactly `len` copies of `value`, reusing its allocation.
fn reset<T: Clone>(v: &mut Vec<T>, len: usize, value: T) {
    v.clear();
    v.resize(len, value);
}

/// The buffers of steps 1–3, reused across calls.
struct Workspace {
    planner: FftPlanner<Fl>,
    plans: Option<Plans>,
    box_rows: Vec<u32>,
    bucket_ends: Vec<usize>,
    order: Vec<u32>,
    /// The points' coordinates in `order`.
    y_sorted: Vec<f64>,
    /// The interpolation's results in `order`: each point's forces and its `z`.
    sorted: Vec<f64>,
    /// Node charges in 1-D: `[node][term]`.
    charges: Vec<f64>,
    /// Node potentials: `[node row][term][node column]`.
    potentials: Vec<Fl>,
    /// Row spectra of the kernel, and the kernels' 2-D spectra (real: the kernels are even).
    kernel_rows: Vec<Complex<Fl>>,
    kernel_hat: [Vec<Fl>; 2],
    spectrum_rows: Vec<Complex<Fl>>,
    spectrum_cols: Vec<Complex<Fl>>,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace").field("grid_len", &self.plans.as_ref().map(|p| p.len)).finish_non_exhaustive()
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Workspace {
            planner: FftPlanner::new(),
            plans: None,
            box_rows: Vec::new(),
            bucket_ends: Vec::new(),
            order: Vec::new(),
            y_sorted: Vec::new(),
            sorted: Vec::new(),
            charges: Vec::new(),
            potentials: Vec::new(),
            kernel_rows: Vec::new(),
            kernel_hat: [Vec::new(), Vec::new()],
            spectrum_rows: Vec::new(),
            spectrum_cols: Vec::new(),
        }
    }
}

impl Workspace {
    fn plan(&mut self, len: usize) -> &Plans {
        if self.plans.as_ref().is_none_or(|p| p.len != len) {
            let real = Arc::new(RealFft::new(&mut self.planner, len));
            let forward = self.planner.plan_fft_forward(len);
            let inverse = self.planner.plan_fft_inverse(len);
            let scratch_len = real.scratch_len().max(forward.get_inplace_scratch_len()).max(inverse.get_inplace_scratch_len());
            self.plans = Some(Plans { len, real, forward, inverse, scratch_len });
        }
        self.plans.as_ref().expect("planned above")
    }

    /// Steps 1 and 2: the node potentials of `y`'s charges on `grid`, into `self.potentials`;
    /// with `interpolate`, step 3 too: the points' results into `self.sorted`, in `self.order`
    /// (in 2-D, each task of the last transforms interpolates the points of its box rows while
    /// their potentials are in its cache).
    fn potentials(&mut self, y: &[f64], dim: usize, grid: &Grid, dof: f64, n_terms: usize, interpolate: bool) {
        let m = grid.nodes();
        let delta = grid.width / grid.lagrange.p as f64;
        match dim {
            1 => {
                self.bucket::<1>(y, grid);
                let (ys, ends, p) = (&self.y_sorted, &self.bucket_ends, grid.lagrange.p);
                sized(&mut self.charges, m * n_terms, 0.0);
                self.charges.par_chunks_mut(p * n_terms).enumerate().for_each(|(b, rows)| {
                    spread_box_row::<1>(grid, &ys[box_row_range(ends, b)], dof, n_terms, rows);
                });
                self.convolve_1d(m, n_terms, delta, dof);
                if interpolate {
                    let (ys, potentials) = (&self.y_sorted, &self.potentials);
                    sized(&mut self.sorted, ys.len() * 2, 0.0);
                    self.sorted.par_chunks_mut(CHUNK * 2).zip(ys.par_chunks(CHUNK)).for_each(|(sorted, ys)| {
                        interpolate_sorted::<1>(grid, potentials, 0, n_terms, ys, dof, sorted);
                    });
                }
            }
            2 => {
                self.bucket::<2>(y, grid);
                self.convolve_2d(grid, m, n_terms, delta, dof, interpolate);
            }
            _ => unreachable!("the FFT repulsion is 1-D or 2-D"),
        }
    }

    /// Buckets the points by box row, stably, into `order` (`bucket_ends[b]` is where box row
    /// `b`'s points end; see [`box_row_range`]), and their coordinates in that order into
    /// `y_sorted`: the later steps read them in runs instead of gathering them point by point.
    fn bucket<const D: usize>(&mut self, y: &[f64], grid: &Grid) {
        let nb = grid.n_boxes;
        self.box_rows.clear();
        self.box_rows.extend(y.chunks_exact(D).map(|pt| grid.locate(pt[0]).0 as u32));
        // Counting sort: bucket_ends[b] is first the start, then the end, of box row b's points.
        reset(&mut self.bucket_ends, nb + 1, 0);
        for &b in &self.box_rows {
            self.bucket_ends[b as usize + 1] += 1;
        }
        for b in 0..nb {
            self.bucket_ends[b + 1] += self.bucket_ends[b];
        }
        sized(&mut self.order, self.box_rows.len(), 0);
        sized(&mut self.y_sorted, y.len(), 0.0);
        for (i, &b) in self.box_rows.iter().enumerate() {
            let slot = &mut self.bucket_ends[b as usize];
            self.order[*slot] = i as u32;
            self.y_sorted[*slot * D..][..D].copy_from_slice(&y[i * D..][..D]);
            *slot += 1;
        }
    }

    /// Step 2 in 1-D: each term's charges convolved with its kernel, as a circular convolution of
    /// length `2m` (the kernel at lags `±k` for `k < m`).
    fn convolve_1d(&mut self, m: usize, n_terms: usize, delta: f64, dof: f64) {
        let len = 2 * m;
        let half = m + 1;
        let scale = 1.0 / len as Fl;
        let plans = self.plan(len);
        let (rfft, scratch_len) = (plans.real.clone(), plans.scratch_len);
        let kinds = if dof == 1.0 { 1 } else { 2 };
        sized(&mut self.potentials, m * n_terms, 0.0);
        with_scratch(half, len, scratch_len, |spectrum, real, fft| {
            for kind in 0..kinds {
                for (c, v) in real.iter_mut().enumerate() {
                    let lag = c.min(len - c);
                    *v = if lag == m { 0.0 } else { kernel(kind, (lag as f64 * delta).powi(2), dof) as Fl };
                }
                rfft.forward(real, spectrum, fft);
                sized(&mut self.kernel_hat[kind], half, 0.0);
                for (k, s) in self.kernel_hat[kind].iter_mut().zip(spectrum.iter()) {
                    *k = s.re * scale;
                }
            }
            for t in 0..n_terms {
                for (r, v) in real.iter_mut().enumerate() {
                    *v = if r < m { self.charges[r * n_terms + t] as Fl } else { 0.0 };
                }
                rfft.forward(real, spectrum, fft);
                for (s, &k) in spectrum.iter_mut().zip(&self.kernel_hat[kernel_of_term(t, n_terms, dof)]) {
                    *s *= k;
                }
                rfft.inverse(spectrum, real, fft);
                for (r, &v) in real[..m].iter().enumerate() {
                    self.potentials[r * n_terms + t] = v;
                }
            }
        });
    }

    /// Step 2 in 2-D: the block-Toeplitz product as a 2-D circular convolution on a `2m × 2m`
    /// grid. Row transforms (real to complex, only the `m` rows holding charges), then column
    /// transforms, the product with the kernel's spectrum, inverse column transforms (keeping the
    /// `m` rows wanted) and inverse row transforms.
    ///
    /// Every term goes through each pass together, and the kernel's spectrum is computed while
    /// the charges' rows are transformed (`rayon::join`): three parallel passes an iteration
    /// instead of three a term plus two for the kernel, so the threads wait at fewer barriers.
    fn convolve_2d(&mut self, grid: &Grid, m: usize, n_terms: usize, delta: f64, dof: f64, interpolate: bool) {
        let len = 2 * m;
        let half = m + 1;
        let plans = self.plan(len);
        let (rfft, forward, inverse, scratch_len) = (plans.real.clone(), plans.forward.clone(), plans.inverse.clone(), plans.scratch_len);
        let Workspace { y_sorted, sorted, bucket_ends, potentials, kernel_rows, kernel_hat, spectrum_rows, spectrum_cols, .. } = self;
        let (ys, ends, p) = (&*y_sorted, &*bucket_ends, grid.lagrange.p);
        let kinds = if dof == 1.0 { 1 } else { 2 };
        sized(spectrum_rows, n_terms * m * half, Complex::default());
        rayon::join(
            || {
                for (kind, hat) in kernel_hat.iter_mut().enumerate().take(kinds) {
                    kernel_spectrum(kind, m, delta, dof, &rfft, scratch_len, kernel_rows, hat);
                }
            },
            || {
                // Term t's row r at `(r·n_terms + t)·half`. A box row's charges are spread into
                // this thread's buffer and transformed while they are in its cache.
                spectrum_rows.par_chunks_mut(p * n_terms * half).enumerate().for_each(|(b, out)| {
                    CHARGES.with(|block| {
                        let block = &mut *block.borrow_mut();
                        sized(block, p * n_terms * m, 0.0);
                        let points = box_row_range(ends, b);
                        let set = spread_box_row::<2>(grid, &ys[2 * points.start..2 * points.end], dof, n_terms, block);
                        with_scratch(0, len, scratch_len, |_, real, fft| {
                            for (row, out) in block.chunks_exact(m).zip(out.chunks_exact_mut(half)) {
                                real[..set.start].fill(0.0);
                                for (v, &q) in real[set.clone()].iter_mut().zip(&row[set.clone()]) {
                                    *v = q as Fl;
                                }
                                real[set.end..].fill(0.0);
                                rfft.forward(real, out, fft);
                            }
                        })
                    })
                });
            },
        );
        let (kernel_hat, rows) = (&*kernel_hat, &*spectrum_rows);
        // Term t's column c at `(t·half + c)·m`.
        sized(spectrum_cols, n_terms * half * m, Complex::default());
        spectrum_cols.par_chunks_mut(half * m).enumerate().for_each(|(t, term_cols)| {
            let hat = &kernel_hat[kernel_of_term(t, n_terms, dof)];
            term_cols.par_chunks_mut(BLOCK * m).enumerate().for_each(|(block, out)| {
                let n_cols = out.len() / m;
                with_scratch(BLOCK * len, 0, scratch_len, |cols, _, fft| {
                    let c0 = block * BLOCK;
                    for r in 0..m {
                        for k in 0..n_cols {
                            cols[k * len + r] = rows[(r * n_terms + t) * half + c0 + k];
                        }
                    }
                    for (k, out) in out.chunks_exact_mut(m).enumerate() {
                        let col = &mut cols[k * len..][..len];
                        col[m..].fill(Complex::default());
                        forward.process_with_scratch(col, fft);
                        // The column's spectrum is even: `h(u) = h(2m − u)`, stored for u ≤ m.
                        let h = &hat[(c0 + k) * half..][..half];
                        let (low, high) = col.split_at_mut(half);
                        for (v, &h) in low.iter_mut().zip(h) {
                            *v *= h;
                        }
                        for (v, &h) in high.iter_mut().zip(h[1..m].iter().rev()) {
                            *v *= h;
                        }
                        inverse.process_with_scratch(col, fft);
                        out.copy_from_slice(&col[..m]);
                    }
                })
            });
        });
        let cols = &*spectrum_cols;
        sized(potentials, m * n_terms * m, 0.0);
        // Tasks of whole box rows, so that each can interpolate its box rows' points: each task
        // gets its share of `sorted` (empty without `interpolate`).
        let group = BLOCK.div_ceil(p);
        let rows_per_task = group * p;
        let mut shares: Vec<&mut [f64]> = Vec::with_capacity(grid.n_boxes.div_ceil(group));
        let mut rest: &mut [f64] = if interpolate {
            sized(sorted, ys.len() / 2 * 3, 0.0);
            &mut sorted[..]
        } else {
            &mut []
        };
        for b0 in (0..grid.n_boxes).step_by(group) {
            let points = if interpolate { box_row_range(ends, b0).start..box_row_range(ends, (b0 + group).min(grid.n_boxes) - 1).end } else { 0..0 };
            let (share, tail) = std::mem::take(&mut rest).split_at_mut(3 * points.len());
            shares.push(share);
            rest = tail;
        }
        potentials.par_chunks_mut(rows_per_task * n_terms * m).zip(shares).enumerate().for_each(|(task, (out, share))| {
            let n_rows = out.len() / (n_terms * m);
            let r0 = task * rows_per_task;
            with_scratch(rows_per_task * half, len, scratch_len, |spectra, real, fft| {
                for t in 0..n_terms {
                    let cols = &cols[t * half * m..][..half * m];
                    for c in 0..half {
                        for k in 0..n_rows {
                            spectra[k * half + c] = cols[c * m + r0 + k];
                        }
                    }
                    for k in 0..n_rows {
                        let spectrum = &mut spectra[k * half..][..half];
                        rfft.inverse(spectrum, real, fft);
                        out[(k * n_terms + t) * m..][..m].copy_from_slice(&real[..m]);
                    }
                }
            });
            if !share.is_empty() {
                let b0 = task * group;
                let first = box_row_range(ends, b0).start;
                interpolate_sorted::<2>(grid, out, b0, n_terms, &ys[2 * first..][..2 * share.len() / 3], dof, share);
            }
        });
    }
}

/// The 2-D spectrum of kernel `kind` at lags `(r, c)·delta`, `|r|, |c| < m`, periodic with period
/// `2m`, scaled by `1/(2m)²` (the inverse transforms' normalisation), into `hat`: for each of the
/// `m + 1` columns of the half spectrum, its values at row frequencies `0..=m` (the spectrum is
/// even in the row frequency too, so the other `m − 1` mirror them). `rows` is a work buffer.
#[allow(clippy::too_many_arguments)]
fn kernel_spectrum(kind: usize, m: usize, delta: f64, dof: f64, rfft: &RealFft, scratch_len: usize, rows: &mut Vec<Complex<Fl>>, hat: &mut Vec<Fl>) {
    let (len, half) = (2 * m, m + 1);
    let scale = 1.0 / (len as Fl * len as Fl);
    // Rows r and 2m − r are equal, so only rows 0..=m are transformed.
    sized(rows, half * half, Complex::default());
    rows.par_chunks_mut(half).enumerate().for_each(|(r, out)| {
        with_scratch(0, len, scratch_len, |_, real, fft| {
            let r2 = (r as f64 * delta).powi(2);
            real[0] = if r == m { 0.0 } else { kernel(kind, r2, dof) as Fl };
            real[m] = 0.0;
            for c in 1..m {
                let v = if r == m { 0.0 } else { kernel(kind, r2 + (c as f64 * delta).powi(2), dof) as Fl };
                real[c] = v;
                real[len - c] = v;
            }
            rfft.forward(real, out, fft);
        })
    });
    let rows = &*rows;
    sized(hat, half * half, 0.0);
    // The row spectra are real (the kernel is even in the column lag) and even in the row lag, and
    // so are the columns' spectra: real-to-complex column transforms.
    hat.par_chunks_mut(BLOCK * half).enumerate().for_each(|(block, out)| {
        let n_cols = out.len() / half;
        with_scratch(half, BLOCK * len, scratch_len, |spectrum, cols, fft| {
            // Row by row, the block's columns side by side: each row's values are read in one run
            // (column by column, every read was a cache miss).
            let c0 = block * BLOCK;
            for r in 0..len {
                let row = &rows[r.min(len - r) * half + c0..][..n_cols];
                for (k, v) in row.iter().enumerate() {
                    cols[k * len + r] = v.re;
                }
            }
            for (out, col) in out.chunks_exact_mut(half).zip(cols.chunks_exact_mut(len)) {
                rfft.forward(col, spectrum, fft);
                for (o, s) in out.iter_mut().zip(spectrum.iter()) {
                    *o = s.re * scale;
                }
            }
        })
    });
}

/// The points of box row `b`, as [`Workspace::bucket`] left them.
fn box_row_range(ends: &[usize], b: usize) -> std::ops::Range<usize> {
    (if b == 0 { 0 } else { ends[b - 1] })..ends[b]
}

/// Step 1 for one box row: its points (`points`, in point order, so each node adds its charges in
/// the same order at any thread count) spread their charges onto the box row's `p` node rows,
/// `rows` (`[node row][term][node column]`). Each box row owns its node rows, so the box rows are
/// independent parallel tasks. Returns the node columns written, the only ones set: in 2-D the
/// columns are zeroed as the points first reach them (late in an optimisation a box row's points
/// reach about half of them, and zeroing and converting whole rows was most of this step's
/// time); in 1-D all of `rows` is.
fn spread_box_row<const D: usize>(grid: &Grid, points: &[f64], dof: f64, n_terms: usize, rows: &mut [f64]) -> std::ops::Range<usize> {
    // Fixed loop lengths for openTSNE's 3 nodes a box, as in [`interpolate`].
    match (grid.lagrange.p, n_terms - D) {
        (3, 1) => spread_box_row_pt::<D, 3, 1>(grid, points, dof, n_terms, rows),
        (3, 2) => spread_box_row_pt::<D, 3, 2>(grid, points, dof, n_terms, rows),
        _ => spread_box_row_pt::<D, 0, 0>(grid, points, dof, n_terms, rows),
    }
}

/// [`spread_box_row`] with `P` nodes a box and `D + E` terms, or the grid's values where `P` and
/// `E` are 0.
#[inline(always)]
fn spread_box_row_pt<const D: usize, const P: usize, const E: usize>(
    grid: &Grid,
    points: &[f64],
    dof: f64,
    n_terms: usize,
    rows: &mut [f64],
) -> std::ops::Range<usize> {
    let p = if P == 0 { grid.lagrange.p } else { P };
    let n_terms = if E == 0 { n_terms } else { D + E };
    let cols = if D == 2 { grid.nodes() } else { 1 };
    let (mut lo, mut hi) = (0, 0);
    if D == 1 {
        rows.fill(0.0);
        hi = cols;
    }
    let zero = |rows: &mut [f64], from: usize, to: usize| {
        for row in rows.chunks_exact_mut(cols) {
            row[from..to].fill(0.0);
        }
    };
    let (mut wx, mut wy) = ([0.0; MAX_INTERPOLATION_POINTS], [0.0; MAX_INTERPOLATION_POINTS]);
    for pt in points.chunks_exact(D) {
        let q = charges::<D>(pt, grid.centre, dof);
        grid.lagrange.weights(grid.locate(pt[0]).1, &mut wx);
        if D == 2 {
            let (by, ty) = grid.locate(pt[1]);
            let (first, end) = (by * p, by * p + p);
            if lo == hi {
                zero(rows, first, end);
                (lo, hi) = (first, end);
            } else if first < lo {
                zero(rows, first, lo);
                lo = first;
            } else if end > hi {
                zero(rows, hi, end);
                hi = end;
            }
            grid.lagrange.weights(ty, &mut wy);
            for a in 0..p {
                for (t, &qt) in q.iter().enumerate().take(n_terms) {
                    let s = wx[a] * qt;
                    let row = &mut rows[(a * n_terms + t) * cols + by * p..][..p];
                    for (r, &w) in row.iter_mut().zip(&wy[..p]) {
                        *r += s * w;
                    }
                }
            }
        } else {
            for a in 0..p {
                for (t, &qt) in q.iter().enumerate().take(n_terms) {
                    rows[a * n_terms + t] += wx[a] * qt;
                }
            }
        }
    }
    lo..hi
}

/// A point's charges: `1`, its centred coordinates, and `‖y‖²` (α = 1) or `1` (α ≠ 1, under `K₁`).
#[inline(always)]
fn charges<const D: usize>(pt: &[f64], centre: f64, dof: f64) -> [f64; 4] {
    let mut q = [1.0; 4];
    let mut norm2 = 0.0;
    for d in 0..D {
        let c = pt[d] - centre;
        q[1 + d] = c;
        norm2 += c * c;
    }
    q[D + 1] = if dof == 1.0 { norm2 } else { 1.0 };
    q
}

/// Step 3: the potentials interpolated at each point of `y`, turned into the repulsion (`out`) and
/// `z[i]`: with all `dim + 2` terms, the point's kernel sum `Σ_j w_ij` over the grid's charges
/// (itself included, if it is one of them); with `dim + 1` (α = 1, the self-repulsion), a share
/// whose sum over the points is the same total (step 4 of the module docs). Parallel over fixed
/// chunks of points.
#[allow(clippy::too_many_arguments)]
fn interpolate(grid: &Grid, potentials: &[Fl], n_terms: usize, y: &[f64], dim: usize, dof: f64, out: &mut [f64], z: &mut [f64]) {
    match dim {
        1 => interpolate_chunks::<1>(grid, potentials, n_terms, y, dof, out, z),
        2 => interpolate_chunks::<2>(grid, potentials, n_terms, y, dof, out, z),
        _ => unreachable!("the FFT repulsion is 1-D or 2-D"),
    }
}

/// [`interpolate`] in `D` dimensions.
fn interpolate_chunks<const D: usize>(grid: &Grid, potentials: &[Fl], n_terms: usize, y: &[f64], dof: f64, out: &mut [f64], z: &mut [f64]) {
    out.par_chunks_mut(CHUNK * D).zip(z.par_chunks_mut(CHUNK)).zip(y.par_chunks(CHUNK * D)).for_each(|((out, z), y)| {
        interpolate_points::<D>(grid, potentials, 0, n_terms, y, dof, |i, o, zi| {
            out[D * i..][..D].copy_from_slice(o);
            z[i] = zi;
        });
    });
}

/// [`interpolate`] of the points `ys` (coordinates in the bucketed order of
/// [`Workspace::bucket`]) into `sorted`: each point's `D` forces and its `z`, in the same order.
/// `potentials` starts at the node rows of box row `first_box`, which holds the first point.
fn interpolate_sorted<const D: usize>(grid: &Grid, potentials: &[Fl], first_box: usize, n_terms: usize, ys: &[f64], dof: f64, sorted: &mut [f64]) {
    interpolate_points::<D>(grid, potentials, first_box, n_terms, ys, dof, |i, o, zi| {
        sorted[i * (D + 1)..][..D].copy_from_slice(o);
        sorted[i * (D + 1) + D] = zi;
    });
}

/// Each point of `ys` interpolated: `put(k, forces, z)` for the `k`th point.
#[inline(always)]
fn interpolate_points<const D: usize>(
    grid: &Grid,
    potentials: &[Fl],
    first_box: usize,
    n_terms: usize,
    ys: &[f64],
    dof: f64,
    put: impl FnMut(usize, &[f64], f64),
) {
    // openTSNE's 3 nodes a box with its usual terms get loops of fixed length, which the
    // compiler unrolls (the interpolation took a third less time); other settings take the same
    // code with the lengths read at run time.
    match (grid.lagrange.p, n_terms - D) {
        (3, 1) => interpolate_run::<D, 3, 1>(grid, potentials, first_box, n_terms, ys, dof, put),
        (3, 2) => interpolate_run::<D, 3, 2>(grid, potentials, first_box, n_terms, ys, dof, put),
        _ => interpolate_run::<D, 0, 0>(grid, potentials, first_box, n_terms, ys, dof, put),
    }
}

/// [`interpolate_points`] with `P` nodes a box and `D + E` terms, or the grid's values where `P`
/// and `E` are 0.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn interpolate_run<const D: usize, const P: usize, const E: usize>(
    grid: &Grid,
    potentials: &[Fl],
    first_box: usize,
    n_terms: usize,
    ys: &[f64],
    dof: f64,
    mut put: impl FnMut(usize, &[f64], f64),
) {
    let mut o = [0.0; D];
    for (k, pt) in ys.chunks_exact(D).enumerate() {
        let zi = interpolate_point::<D, P, E>(grid, potentials, first_box, n_terms, pt, dof, &mut o);
        put(k, &o, zi);
    }
}

/// The forces on the point `pt` into `o`; returns its `z` (see [`interpolate`]). `potentials`
/// starts at box row `first_box`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn interpolate_point<const D: usize, const P: usize, const E: usize>(
    grid: &Grid,
    potentials: &[Fl],
    first_box: usize,
    n_terms: usize,
    pt: &[f64],
    dof: f64,
    o: &mut [f64],
) -> f64 {
    let p = if P == 0 { grid.lagrange.p } else { P };
    let n_terms = if E == 0 { n_terms } else { D + E };
    let cols = if D == 2 { grid.nodes() } else { 1 };
    let (mut wx, mut wy) = ([0.0; MAX_INTERPOLATION_POINTS], [0.0; MAX_INTERPOLATION_POINTS]);
    let (bx, tx) = grid.locate(pt[0]);
    grid.lagrange.weights(tx, &mut wx);
    let mut phi = [0.0; 4];
    let rows = &potentials[(bx - first_box) * p * n_terms * cols..][..p * n_terms * cols];
    if D == 2 {
        let (by, ty) = grid.locate(pt[1]);
        grid.lagrange.weights(ty, &mut wy);
        for a in 0..p {
            for (t, phi_t) in phi.iter_mut().enumerate().take(n_terms) {
                let row = &rows[(a * n_terms + t) * cols + by * p..][..p];
                let s: f64 = row.iter().zip(&wy[..p]).map(|(&r, w)| f64::from(r) * w).sum();
                *phi_t += wx[a] * s;
            }
        }
    } else {
        for a in 0..p {
            for (t, phi_t) in phi.iter_mut().enumerate().take(n_terms) {
                *phi_t += wx[a] * f64::from(rows[a * n_terms + t]);
            }
        }
    }
    let mut norm2 = 0.0;
    let mut dot = 0.0;
    for d in 0..D {
        let c = pt[d] - grid.centre;
        o[d] = c * phi[0] - phi[1 + d];
        norm2 += c * c;
        dot += c * phi[1 + d];
    }
    if n_terms == D + 1 {
        (1.0 + 2.0 * norm2) * phi[0] - 2.0 * dot
    } else if dof == 1.0 {
        (1.0 + norm2) * phi[0] - 2.0 * dot + phi[D + 1]
    } else {
        phi[D + 1]
    }
}

fn check_shape(y: &[f64], dim: usize, out: &[f64]) -> usize {
    assert!(dim == 1 || dim == 2, "the FFT repulsion is 1-D or 2-D, not {dim}-D");
    assert!(y.len().is_multiple_of(dim) && out.len() == y.len(), "embedding and output must both be n × dim");
    y.len() / dim
}

/// The FFT-interpolated repulsion of an embedding on itself, with its transforms and buffers kept
/// between calls (an optimiser calls it once per iteration; after the grid reaches its largest
/// size, a call allocates nothing).
///
/// ```
/// use unfold_learn::embed::tsne::fft::{FftParams, FftRepulsion};
/// let y: Vec<f64> = (0..200).map(|i| ((i * 37) % 101) as f64 / 10.0).collect();
/// let mut rep = FftRepulsion::new(FftParams::default());
/// let mut out = vec![0.0; y.len()];
/// let z = rep.repulsion(&y, 2, 1.0, &mut out);
/// assert!(z > 0.0 && out.iter().all(|v| v.is_finite()));
/// ```
#[derive(Debug)]
pub struct FftRepulsion {
    params: FftParams,
    workspace: Workspace,
    z: Vec<f64>,
}

impl FftRepulsion {
    /// A repulsion with `params` and empty buffers.
    pub fn new(params: FftParams) -> Self {
        FftRepulsion { params, workspace: Workspace::default(), z: Vec::new() }
    }

    /// Writes into `out` (`n × dim`, overwritten) `Σ_{j≠i} w_ij^{(α+1)/α} (y_i − y_j)` for the
    /// row-major `n × dim` embedding `y` (`dim` 1 or 2), `w = (1 + d²/α)^−α`, α = `dof`, and
    /// returns `Z = Σ_{i≠j} w_ij`.
    ///
    /// # Panics
    /// If `dim` is not 1 or 2, or the lengths of `y` and `out` are not `n × dim`.
    pub fn repulsion(&mut self, y: &[f64], dim: usize, dof: f64, out: &mut [f64]) -> f64 {
        let n = check_shape(y, dim, out);
        if n < 2 {
            out.fill(0.0);
            return 0.0;
        }
        let Some(grid) = Grid::fitted(y, &self.params) else {
            // Every point at the same place: no force, every w_ij = 1.
            out.fill(0.0);
            return n as f64 * (n - 1) as f64;
        };
        let n_terms = terms(dim, dof, false);
        self.workspace.potentials(y, dim, &grid, dof, n_terms, true);
        // The results back in point order; Z summed in point order.
        let ws = &self.workspace;
        sized(&mut self.z, n, 0.0);
        for (s, &i) in ws.sorted.chunks_exact(dim + 1).zip(&ws.order) {
            out[i as usize * dim..][..dim].copy_from_slice(&s[..dim]);
            self.z[i as usize] = s[dim];
        }
        self.z.iter().sum::<f64>() - n as f64
    }
}

/// [`FftRepulsion::repulsion`] with fresh buffers: the one-call form.
pub fn repulsion_fft(y: &[f64], dim: usize, dof: f64, params: &FftParams, out: &mut [f64]) -> f64 {
    FftRepulsion::new(*params).repulsion(y, dim, dof, out)
}

/// The padding of openTSNE's transform grid around the reference embedding.
pub const REFERENCE_PADDING: f64 = 0.25;

/// The repulsion of a fixed reference embedding on new points (openTSNE's `prepare_partial` with
/// FFT gradients): the grid, symmetric about the origin and padded by [`REFERENCE_PADDING`], and
/// its node potentials are computed once; each call only interpolates them at the new points, so
/// each point's result is independent of the others.
#[derive(Debug, Clone)]
pub struct FftReference {
    grid: Grid,
    dim: usize,
    dof: f64,
    potentials: Vec<Fl>,
}

impl FftReference {
    /// The grid and node potentials of `reference` (row-major `n × dim`, `dim` 1 or 2; openTSNE
    /// centres it first, so the grid, symmetric about 0, covers it evenly).
    ///
    /// # Panics
    /// If `dim` is not 1 or 2 or `reference.len()` is not a multiple of it.
    pub fn new(reference: &[f64], dim: usize, dof: f64, params: &FftParams) -> Self {
        check_shape(reference, dim, reference);
        let grid = Grid::symmetric(reference, params, REFERENCE_PADDING);
        let mut workspace = Workspace::default();
        workspace.potentials(reference, dim, &grid, dof, terms(dim, dof, true), false);
        FftReference { grid, dim, dof, potentials: workspace.potentials }
    }

    /// Writes into `out` (`m × dim`, overwritten) `Σ_j w_ij^{(α+1)/α} (x_i − y_j)` over the
    /// reference points `y_j`, and into `sum_q[i]` the point's own normaliser `Σ_j w_ij`, for the
    /// row-major `m × dim` new points `points`.
    ///
    /// # Panics
    /// If the lengths are not `m × dim`, `m × dim` and `m`.
    pub fn repulsion(&self, points: &[f64], out: &mut [f64], sum_q: &mut [f64]) {
        let m = check_shape(points, self.dim, out);
        assert_eq!(sum_q.len(), m, "sum_q must have one value per point");
        interpolate(&self.grid, &self.potentials, terms(self.dim, self.dof, true), points, self.dim, self.dof, out, sum_q);
    }

    /// openTSNE's range limit for the new points: `(lower, upper)` = the lower edges of the first
    /// and the last box. A 1-D point is clipped to `[lower, upper]`, a 2-D point to the disc of
    /// radius `max(|lower|, |upper|)` (see [`clip`](Self::clip)).
    pub fn range_limit(&self) -> (f64, f64) {
        let g = &self.grid;
        (g.lo, g.lo + (g.n_boxes - 1) as f64 * g.width)
    }

    /// Clips `points` (row-major `m × dim`) into the [range limit](Self::range_limit) in place,
    /// and sets `clipped[i]` for the points that were moved.
    ///
    /// # Panics
    /// If the lengths are not `m × dim` and `m`.
    pub fn clip(&self, points: &mut [f64], clipped: &mut [bool]) {
        assert!(points.len() == clipped.len() * self.dim, "clipped must have one flag per point");
        let (lower, upper) = self.range_limit();
        if self.dim == 1 {
            for (x, c) in points.iter_mut().zip(clipped.iter_mut()) {
                *c = *x < lower || *x > upper;
                *x = x.clamp(lower, upper);
            }
        } else {
            let radius = lower.abs().max(upper.abs());
            for (pt, c) in points.chunks_exact_mut(2).zip(clipped.iter_mut()) {
                let r = pt[0].hypot(pt[1]);
                *c = r > radius;
                if *c {
                    pt[0] *= radius / r;
                    pt[1] *= radius / r;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{SeedSource, normal_f64, unit_f64};

    /// `n` points in `dim` dimensions: 10 Gaussian clusters (s.d. `spread`) with centres uniform in
    /// `[-reach, reach]`, like a t-SNE embedding mid-optimisation.
    fn clusters(n: usize, dim: usize, reach: f64, spread: f64, seed: u64) -> Vec<f64> {
        let s = SeedSource::new(Some(seed));
        let centres: Vec<f64> = (0..10 * dim).map(|k| reach * (2.0 * unit_f64(s.value(0, k as u64)) - 1.0)).collect();
        (0..n * dim)
            .map(|k| {
                let (i, d) = (k / dim, k % dim);
                centres[(i % 10) * dim + d] + spread * normal_f64(s.value(1, 2 * k as u64), s.value(1, 2 * k as u64 + 1))
            })
            .collect()
    }

    /// The sums by definition, every pair: repulsion of `sources` on each of `targets`, and each
    /// target's `Σ_j w_ij` (a target at the same index as a source skips it when `skip_self`).
    fn brute(sources: &[f64], targets: &[f64], dim: usize, dof: f64, skip_self: bool) -> (Vec<f64>, Vec<f64>) {
        let mut out = vec![0.0; targets.len()];
        let mut z = vec![0.0; targets.len() / dim];
        for (i, x) in targets.chunks_exact(dim).enumerate() {
            for (j, y) in sources.chunks_exact(dim).enumerate() {
                if skip_self && i == j {
                    continue;
                }
                let d2: f64 = x.iter().zip(y).map(|(a, b)| (a - b) * (a - b)).sum();
                let w = (1.0 + d2 / dof).powf(-dof);
                let f = w.powf((dof + 1.0) / dof);
                z[i] += w;
                for d in 0..dim {
                    out[i * dim + d] += f * (x[d] - y[d]);
                }
            }
        }
        (out, z)
    }

    /// ‖a − b‖ / ‖b‖.
    fn rel_err(a: &[f64], b: &[f64]) -> f64 {
        let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
        let den: f64 = b.iter().map(|y| y * y).sum();
        (num / den).sqrt()
    }

    #[test]
    fn grid_sizes_are_the_126_seven_smooth_counts() {
        // An independent derivation: every product 2^a 3^b 5^c 7^d in 20..=1000.
        let mut sizes = Vec::new();
        for a in 0..10u32 {
            for b in 0..7u32 {
                for c in 0..5u32 {
                    for d in 0..4u32 {
                        let v = 2u64.pow(a) * 3u64.pow(b) * 5u64.pow(c) * 7u64.pow(d);
                        if (20..=1000).contains(&v) {
                            sizes.push(v as usize);
                        }
                    }
                }
            }
        }
        sizes.sort_unstable();
        sizes.dedup();
        assert_eq!(sizes.len(), 126);
        assert_eq!(&GRID_SIZES[..], &sizes[..]);
        assert!(!GRID_SIZES.contains(&156) && !GRID_SIZES.contains(&165), "no factor 11 or 13");
        assert_eq!(round_up_grid_size(0), 20);
        assert_eq!(round_up_grid_size(50), 50);
        assert_eq!(round_up_grid_size(51), 54);
        assert_eq!(round_up_grid_size(101), 105);
        assert_eq!(round_up_grid_size(155), 160);
        assert_eq!(round_up_grid_size(999), 1000);
        assert_eq!(round_up_grid_size(5000), 1000);
    }

    #[test]
    fn lagrange_weights_reproduce_polynomials() {
        let l = Lagrange::new(3);
        let mut w = [0.0; MAX_INTERPOLATION_POINTS];
        for t in [-0.3, 0.0, 0.2, 0.5, 0.99, 1.4] {
            l.weights(t, &mut w);
            let nodes: [f64; 3] = [1.0 / 6.0, 0.5, 5.0 / 6.0];
            // Exact for degree < 3: 1, t, t².
            for k in 0..3 {
                let interp: f64 = (0..3).map(|j| w[j] * nodes[j].powi(k)).sum();
                assert!((interp - f64::powi(t, k)).abs() < 1e-13, "t={t} degree {k}: {interp}");
            }
        }
    }

    /// Error bounds of the interpolation with openTSNE's defaults (p = 3, boxes of at most one
    /// unit), measured on these clustered data: ~2.5e-2 for the forces (the net force on a point
    /// is a difference of large sums, so its relative error exceeds the kernel's) and ≤ 2.2e-3
    /// for Z (a sum of positive terms). Bounded at twice that. The error is third order in the box
    /// width: with boxes of a quarter unit it must fall below 1e-3 and 1e-4, which a wrong node,
    /// weight or kernel lag would not allow.
    const FORCE_BOUND: f64 = 5e-2;
    const Z_BOUND: f64 = 5e-3;

    fn errors(y: &[f64], dim: usize, dof: f64, params: &FftParams) -> (f64, f64) {
        let mut out = vec![0.0; y.len()];
        let z = repulsion_fft(y, dim, dof, params, &mut out);
        let (want, zs) = brute(y, y, dim, dof, true);
        let want_z: f64 = zs.iter().sum();
        (rel_err(&out, &want), ((z - want_z) / want_z).abs())
    }

    fn check_against_brute(dim: usize, reach: f64) {
        let y = clusters(2000, dim, reach, 3.0, 7 + dim as u64);
        let fine = FftParams { ints_in_interval: 0.25, ..FftParams::default() };
        for dof in [1.0, 0.5, 100.0] {
            let (ef, ez) = errors(&y, dim, dof, &FftParams::default());
            let (ff, fz) = errors(&y, dim, dof, &fine);
            eprintln!("{dim}-D dof {dof}: force {ef:.2e} Z {ez:.2e}; quarter boxes: force {ff:.2e} Z {fz:.2e}");
            assert!(ef < FORCE_BOUND && ez < Z_BOUND, "{dim}-D dof {dof}: force error {ef:.2e}, Z error {ez:.2e}");
            assert!(ff < 1e-3 && fz < 1e-4, "{dim}-D dof {dof}, quarter boxes: force error {ff:.2e}, Z error {fz:.2e}");
        }
    }

    #[test]
    fn fft_matches_brute_force_2d() {
        check_against_brute(2, 30.0);
        // A compact start (PCA scaled to 1e-4): 50 boxes over a tiny span, exact up to the
        // convolution's f32 rounding.
        let y = clusters(1000, 2, 1e-4, 1e-4, 1);
        let (ef, ez) = errors(&y, 2, 1.0, &FftParams::default());
        assert!(ef < 1e-6 && ez < 1e-7, "compact: {ef:.2e} {ez:.2e}");
    }

    #[test]
    fn fft_matches_brute_force_1d() {
        check_against_brute(1, 60.0);
    }

    #[test]
    fn coincident_and_tiny_inputs() {
        let mut out = vec![1.0; 10];
        assert_eq!(repulsion_fft(&[2.5; 10], 2, 1.0, &FftParams::default(), &mut out), 20.0);
        assert!(out.iter().all(|&v| v == 0.0));
        let mut out = vec![1.0; 2];
        assert_eq!(repulsion_fft(&[2.5, 1.0], 2, 1.0, &FftParams::default(), &mut out), 0.0);
        // Two points: exact up to interpolation.
        let mut out = vec![0.0; 2];
        let z = repulsion_fft(&[0.0, 3.0], 1, 1.0, &FftParams::default(), &mut out);
        assert!((z - 0.2).abs() < 1e-4 && (out[0] + 0.03).abs() < 1e-4 && (out[1] - 0.03).abs() < 1e-4, "{z} {out:?}");
    }

    #[test]
    fn buffers_reused_across_grid_sizes_give_fresh_results() {
        let mut rep = FftRepulsion::new(FftParams::default());
        for (n, reach, dim) in [(3000, 80.0, 2), (500, 5.0, 2), (800, 40.0, 1), (3000, 80.0, 2)] {
            let y = clusters(n, dim, reach, 2.0, n as u64);
            let (mut a, mut b) = (vec![0.0; y.len()], vec![0.0; y.len()]);
            let za = rep.repulsion(&y, dim, 1.0, &mut a);
            let zb = repulsion_fft(&y, dim, 1.0, &FftParams::default(), &mut b);
            assert_eq!(za.to_bits(), zb.to_bits());
            assert_eq!(a, b);
        }
    }

    #[test]
    fn fft_is_identical_at_1_and_2_threads() {
        for dim in [1, 2] {
            let y = clusters(20_000, dim, 40.0, 3.0, 11);
            let grid = Grid::fitted(&y, &FftParams::default()).unwrap();
            // The work splits: many box rows hold points and the points span many chunks.
            let rows: std::collections::BTreeSet<usize> = y.chunks_exact(dim).map(|p| grid.locate(p[0]).0).collect();
            assert!(rows.len() > 10 && y.len() / dim > 10 * CHUNK);
            let run = |t| {
                crate::threads::install(Some(t), || {
                    assert_eq!(rayon::current_num_threads(), t);
                    let mut out = vec![0.0; y.len()];
                    let z = repulsion_fft(&y, dim, 1.0, &FftParams::default(), &mut out);
                    (z, out)
                })
                .unwrap()
            };
            let (z1, o1) = run(1);
            let (z2, o2) = run(2);
            assert_eq!(z1.to_bits(), z2.to_bits());
            assert!(o1.iter().zip(&o2).all(|(a, b)| a.to_bits() == b.to_bits()), "{dim}-D forces differ");
        }
    }

    #[test]
    fn reference_grid_matches_brute_force() {
        for dim in [1, 2] {
            for dof in [1.0, 0.5, 100.0] {
                let mut reference = clusters(2000, dim, 25.0, 2.5, 3);
                // Centred as openTSNE centres the reference.
                for d in 0..dim {
                    let (lo, hi) = reference.iter().skip(d).step_by(dim).fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
                    reference.iter_mut().skip(d).step_by(dim).for_each(|v| *v -= 0.5 * (lo + hi));
                }
                let r = FftReference::new(&reference, dim, dof, &FftParams::default());
                let (lower, upper) = r.range_limit();
                assert!(lower < 0.0 && upper > 0.0);
                let mut points = clusters(300, dim, 25.0, 4.0, 5);
                let mut clipped = vec![false; 300];
                r.clip(&mut points, &mut clipped);
                let (mut out, mut sum_q) = (vec![0.0; points.len()], vec![0.0; 300]);
                r.repulsion(&points, &mut out, &mut sum_q);
                let (want, want_q) = brute(&reference, &points, dim, dof, false);
                let (ef, eq) = (rel_err(&out, &want), rel_err(&sum_q, &want_q));
                eprintln!("reference {dim}-D dof {dof}: force {ef:.2e} sum_q {eq:.2e}");
                // A point's own normaliser is dominated by its nearest reference points, so its
                // error is the kernel's (measured ≤ 6e-3), not a whole sum's.
                assert!(ef < FORCE_BOUND && eq < 1e-2, "{dim}-D dof {dof}: {ef:.2e} {eq:.2e}");
                // Each point's result is its own: the first point alone gives the same values.
                let (mut one, mut q1) = (vec![0.0; dim], vec![0.0; 1]);
                r.repulsion(&points[..dim], &mut one, &mut q1);
                assert_eq!(&one[..], &out[..dim]);
                assert_eq!(q1[0], sum_q[0]);
            }
        }
    }

    #[test]
    fn range_limit_and_clip_follow_opentsne() {
        let reference = [-4.0, 1.0, 3.0, -2.0];
        let r = FftReference::new(&reference, 2, 1.0, &FftParams::default());
        // Reach 4 padded by 25 %: [-5, 5] in 50 boxes of 0.2; upper = lower edge of the last box.
        let (lower, upper) = r.range_limit();
        assert!((lower + 5.0).abs() < 1e-12 && (upper - 4.8).abs() < 1e-12, "{lower} {upper}");
        let mut pts = [6.0, 8.0, 1.0, 1.0];
        let mut clipped = [false; 2];
        r.clip(&mut pts, &mut clipped);
        assert_eq!(clipped, [true, false]);
        assert!((pts[0] - 3.0).abs() < 1e-12 && (pts[1] - 4.0).abs() < 1e-12 && pts[2..] == [1.0, 1.0]);
        let r1 = FftReference::new(&[-4.0, 2.0], 1, 1.0, &FftParams::default());
        let mut pts = [-7.0, 0.5, 9.0];
        let mut clipped = [false; 3];
        r1.clip(&mut pts, &mut clipped);
        assert_eq!(clipped, [true, false, true]);
        assert_eq!(pts[..2], [-5.0, 0.5]);
        assert!((pts[2] - 4.8).abs() < 1e-12);
    }

    /// Timings at t-SNE's scale (run with `--ignored --nocapture`): one warm call on 2-D points in
    /// 10 clusters spanning ~100 units (a late MNIST embedding's extent, a 100-box grid).
    #[test]
    #[ignore]
    fn fft_timing() {
        for n in [10_000, 70_000] {
            let y = clusters(n, 2, 45.0, 4.0, 1);
            for threads in [1, 2] {
                crate::threads::install(Some(threads), || {
                    let mut rep = FftRepulsion::new(FftParams::default());
                    let mut out = vec![0.0; y.len()];
                    rep.repulsion(&y, 2, 1.0, &mut out);
                    let reps = 20;
                    let start = std::time::Instant::now();
                    for _ in 0..reps {
                        std::hint::black_box(rep.repulsion(&y, 2, 1.0, &mut out));
                    }
                    let grid = Grid::fitted(&y, &FftParams::default()).unwrap();
                    eprintln!("n={n} threads={threads} boxes={}: {:.2} ms per call", grid.n_boxes, start.elapsed().as_secs_f64() * 1e3 / reps as f64);
                })
                .unwrap();
            }
        }
    }
}
