//! Sparse Riemannian optimisers for embedding tables: a step updates only the rows that have a
//! gradient, as geoopt's `SparseRiemannianSGD` and `SparseRiemannianAdam`.
//!
//! The variable is a table of `n` points of a [`Manifold`] (one row each), of which a step
//! touches a few: the nodes of a training batch, say. [`SparseGrad`] collects the Euclidean
//! gradients of the touched rows (a row added twice has its gradients summed in the order they
//! were added); [`SparseOptimizer::step`] applies [`Method`]'s rule to those rows only, with the
//! same arithmetic as the dense [`minimize`](super::minimize):
//!
//! * SGD: `m ← μ m + grad`, `x ← retr_x(−lr m)`, `m` transported to the new point;
//! * Adam / AMSGrad: the moments of a row are updated only when it has a gradient (as PyTorch's
//!   `SparseAdam` and geoopt's sparse Adam), and the bias correction counts the table's steps.
//!
//! Rows not in the gradient keep their point and their optimiser state bit for bit. Rows are
//! updated independently (in parallel for large steps), so a step does not depend on the thread
//! count.

use super::Method;
use crate::error::{Error, Result};
use crate::manifold::Manifold;
use rayon::prelude::*;

/// Rows per parallel task of a step; smaller steps run on the calling thread.
const ROWS_PER_TASK: usize = 256;

/// The Euclidean gradients of a few rows of a table of `n_rows` points of `len` values.
///
/// Allocation-free once warm: [`SparseGrad::clear`] forgets only the rows that were touched.
///
/// ```
/// use unfold_learn::optim::SparseGrad;
/// let mut g = SparseGrad::new(5, 2);
/// g.add(3, &[1.0, 2.0]);
/// g.add(1, &[0.5, 0.5]);
/// g.add(3, &[1.0, 1.0]);
/// assert_eq!(g.rows(), &[3, 1]);
/// assert_eq!(g.values(), &[2.0, 3.0, 0.5, 0.5]);
/// ```
#[derive(Debug, Clone)]
pub struct SparseGrad {
    len: usize,
    rows: Vec<usize>,
    values: Vec<f64>,
    /// Position of each table row in `rows`, or `usize::MAX`.
    slot: Vec<usize>,
}

impl SparseGrad {
    /// An empty gradient of a table of `n_rows` rows of `len` values.
    pub fn new(n_rows: usize, len: usize) -> Self {
        SparseGrad { len, rows: Vec::new(), values: Vec::new(), slot: vec![usize::MAX; n_rows] }
    }

    /// Adds `g` (`len` values) to row `row`'s gradient; the first time a row is added it is
    /// appended to [`SparseGrad::rows`].
    ///
    /// # Panics
    /// If `row` is out of range or `g` has the wrong length (a caller's bug).
    #[inline]
    pub fn add(&mut self, row: usize, g: &[f64]) {
        assert_eq!(g.len(), self.len, "gradient of row {row} has {} values, not {}", g.len(), self.len);
        let s = self.slot[row];
        if s == usize::MAX {
            self.slot[row] = self.rows.len();
            self.rows.push(row);
            self.values.extend_from_slice(g);
        } else {
            self.values[s * self.len..(s + 1) * self.len].iter_mut().zip(g).for_each(|(a, b)| *a += b);
        }
    }

    /// Forgets every row.
    pub fn clear(&mut self) {
        for &r in &self.rows {
            self.slot[r] = usize::MAX;
        }
        self.rows.clear();
        self.values.clear();
    }

    /// The touched rows, in the order they were first added.
    pub fn rows(&self) -> &[usize] {
        &self.rows
    }

    /// Their summed gradients, `rows().len() × len` row-major.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The number of rows of the table.
    pub fn n_rows(&self) -> usize {
        self.slot.len()
    }
}

/// A [`Method`] applied to the rows of a table that have a gradient.
///
/// ```
/// use unfold_learn::manifold::PoincareBall;
/// use unfold_learn::optim::{Method, SparseGrad, SparseOptimizer};
/// let ball = PoincareBall::new(2, 1.0);
/// let mut x = vec![0.1, 0.0, 0.0, 0.2, -0.3, 0.1];
/// let mut opt = SparseOptimizer::new(&ball, Method::Sgd { lr: 0.1, momentum: 0.0 }, 3)?;
/// let mut g = SparseGrad::new(3, 2);
/// g.add(1, &[1.0, 1.0]);
/// opt.step(&mut x, &g)?;
/// assert_eq!(&x[..2], &[0.1, 0.0]); // row 0 untouched
/// assert!(x[2] < 0.0 && x[3] < 0.2); // row 1 moved against its gradient
/// # Ok::<(), unfold_learn::Error>(())
/// ```
#[derive(Debug)]
pub struct SparseOptimizer<'m, M: Manifold + ?Sized> {
    manifold: &'m M,
    method: Method,
    n_rows: usize,
    n_steps: u64,
    /// Momentum or Adam's first moments, `n_rows × len` (empty for plain SGD).
    moment: Vec<f64>,
    /// Adam's second moments and their running maxima, one per row (empty for SGD).
    second: Vec<f64>,
    second_max: Vec<f64>,
    /// Gathered rows of the step: points, then their new values.
    scratch: Vec<f64>,
    moved: Vec<f64>,
    moments: Vec<f64>,
    work: Vec<f64>,
    rgrad: Vec<f64>,
    denoms: Vec<f64>,
}

impl<'m, M: Manifold + ?Sized> SparseOptimizer<'m, M> {
    /// An optimiser of a table of `n_rows` points of `manifold`, its state all zero.
    ///
    /// # Errors
    /// `method`'s parameters out of range (named).
    pub fn new(manifold: &'m M, method: Method, n_rows: usize) -> Result<Self> {
        method.validate()?;
        let len = manifold.point_len();
        let (moment, second) = match method {
            Method::Sgd { momentum, .. } if momentum > 0.0 => (vec![0.0; n_rows * len], Vec::new()),
            Method::Sgd { .. } => (Vec::new(), Vec::new()),
            Method::Adam { .. } => (vec![0.0; n_rows * len], vec![0.0; n_rows]),
        };
        let second_max = second.clone();
        Ok(SparseOptimizer {
            manifold,
            method,
            n_rows,
            n_steps: 0,
            moment,
            second,
            second_max,
            scratch: Vec::new(),
            moved: Vec::new(),
            moments: Vec::new(),
            work: Vec::new(),
            rgrad: Vec::new(),
            denoms: Vec::new(),
        })
    }

    /// The steps taken so far.
    pub fn n_steps(&self) -> u64 {
        self.n_steps
    }

    /// Sets the step size (e.g. after a burn-in phase); the optimiser state is kept.
    ///
    /// # Errors
    /// `lr` not a positive number.
    pub fn set_lr(&mut self, new_lr: f64) -> Result<()> {
        if !(new_lr > 0.0 && new_lr.is_finite()) {
            return Err(Error::param("lr", new_lr, "must be a positive number"));
        }
        match &mut self.method {
            Method::Sgd { lr, .. } | Method::Adam { lr, .. } => *lr = new_lr,
        }
        Ok(())
    }

    /// One step on the rows of `grad` (Euclidean gradients); every other row of `x` is left
    /// as it is.
    ///
    /// # Errors
    /// `x` or `grad` not of this optimiser's table.
    pub fn step(&mut self, x: &mut [f64], grad: &SparseGrad) -> Result<()> {
        let len = self.manifold.point_len();
        if x.len() != self.n_rows * len || grad.n_rows() != self.n_rows || grad.len != len {
            return Err(Error::InvalidData(format!(
                "the table has {} values and its gradient {} rows of {}, but the optimiser was made for {} rows of {len} ({})",
                x.len(),
                grad.n_rows(),
                grad.len,
                self.n_rows,
                self.manifold.name()
            )));
        }
        self.n_steps += 1;
        let rows = grad.rows();
        let k = rows.len();
        let keeps_moment = !self.moment.is_empty();
        // Gather the touched rows so that they can be updated as contiguous chunks.
        self.scratch.clear();
        self.moments.clear();
        for &r in rows {
            self.scratch.extend_from_slice(&x[r * len..(r + 1) * len]);
            if keeps_moment {
                self.moments.extend_from_slice(&self.moment[r * len..(r + 1) * len]);
            }
        }
        if !keeps_moment {
            self.moments.resize(k * len, 0.0);
        }
        self.moved.clear();
        self.moved.resize(k * len, 0.0);
        let (m, method, t) = (self.manifold, self.method, self.n_steps as i32);
        let (second, second_max) = (&mut self.second, &mut self.second_max);
        // Second moments: one scalar per row, updated serially (cheap) so that the row update
        // below only reads them.
        let denoms = &mut self.denoms;
        denoms.clear();
        if let Method::Adam { beta2, amsgrad, .. } = method {
            let g = &mut self.rgrad;
            g.resize(len, 0.0);
            for (i, &r) in rows.iter().enumerate() {
                let xi = &self.scratch[i * len..(i + 1) * len];
                g.copy_from_slice(&grad.values()[i * len..(i + 1) * len]);
                m.egrad_to_rgrad(xi, g);
                let sq = m.inner(xi, g, g);
                second[r] = beta2 * second[r] + (1.0 - beta2) * sq;
                second_max[r] = if amsgrad { second_max[r].max(second[r]) } else { second[r] };
                denoms.push(second_max[r]);
            }
        }
        let denoms: &[f64] = denoms;
        // Per row: `[rgrad | step | transported moment]`, reused across steps.
        self.work.clear();
        self.work.resize(k * 3 * len, 0.0);
        for (w, g) in self.work.chunks_mut(3 * len.max(1)).zip(grad.values().chunks(len.max(1))) {
            w[..len].copy_from_slice(g);
        }
        let update = |i: usize, xi: &[f64], mi: &mut [f64], out: &mut [f64], w: &mut [f64]| {
            let (g, rest) = w.split_at_mut(len);
            let (step, moved_moment) = rest.split_at_mut(len);
            m.egrad_to_rgrad(xi, g);
            match method {
                Method::Sgd { lr, momentum } => {
                    if momentum > 0.0 {
                        mi.iter_mut().zip(g.iter()).for_each(|(b, g)| *b = momentum * *b + g);
                    } else {
                        mi.copy_from_slice(g);
                    }
                    step.iter_mut().zip(mi.iter()).for_each(|(s, b)| *s = -lr * b);
                }
                Method::Adam { lr, beta1, beta2, eps, .. } => {
                    mi.iter_mut().zip(g.iter()).for_each(|(b, g)| *b = beta1 * *b + (1.0 - beta1) * g);
                    let (bias1, bias2) = (1.0 - beta1.powi(t), 1.0 - beta2.powi(t));
                    let denom = (denoms[i] / bias2).max(0.0).sqrt() + eps;
                    let scale = -lr / bias1 / denom;
                    step.iter_mut().zip(mi.iter()).for_each(|(s, b)| *s = scale * b);
                }
            }
            m.retr(xi, step, out);
            if keeps_moment {
                m.transp(xi, out, mi, moved_moment);
                mi.copy_from_slice(moved_moment);
            }
        };
        let chunk = len.max(1);
        if k < ROWS_PER_TASK {
            let rows_iter =
                self.scratch.chunks(chunk).zip(self.moments.chunks_mut(chunk)).zip(self.moved.chunks_mut(chunk)).zip(self.work.chunks_mut(3 * chunk));
            for (i, (((xi, mi), out), w)) in rows_iter.enumerate() {
                update(i, xi, mi, out, w);
            }
        } else {
            self.scratch
                .par_chunks(chunk)
                .zip(self.moments.par_chunks_mut(chunk))
                .zip(self.moved.par_chunks_mut(chunk))
                .zip(self.work.par_chunks_mut(3 * chunk))
                .enumerate()
                .with_min_len(ROWS_PER_TASK)
                .for_each(|(i, (((xi, mi), out), w))| update(i, xi, mi, out, w));
        }
        for (i, &r) in rows.iter().enumerate() {
            x[r * len..(r + 1) * len].copy_from_slice(&self.moved[i * len..(i + 1) * len]);
            if keeps_moment {
                self.moment[r * len..(r + 1) * len].copy_from_slice(&self.moments[i * len..(i + 1) * len]);
            }
        }
        Ok(())
    }
}
