//! Vietoris–Rips persistence over Z/2 by the reduction of the coboundary matrix, as Ripser
//! computes it (Bauer 2021, "Ripser: efficient computation of Vietoris–Rips persistence
//! barcodes", J. Appl. Comput. Topology 5).
//!
//! * Simplices are numbered by the combinatorial number system: `{v_d > … > v_0}` has index
//!   `Σ_i C(v_i, i + 1)`, so a simplex is a `u64` and its vertices, cofacets and facets are found
//!   from binomial coefficients, never stored.
//! * The filtration is the lexicographic refinement of the Rips filtration: by diameter, ties by
//!   *decreasing* index. The persistence pairs do not depend on this choice; the shortcuts below do.
//! * H0 comes from a union–find over the edges in filtration order (Kruskal).
//! * Higher dimensions reduce the coboundary matrix (cohomology), one column per `d`-simplex in
//!   reverse filtration order, the pivot of a column being its oldest cofacet. Only the reduction
//!   matrix `V` is kept; a column is rebuilt by enumerating the coboundaries of its `V` entries.
//! * *Clearing*: a `(d+1)`-simplex that is a pivot in dimension `d` is not a column in `d + 1`.
//! * *Apparent pairs* of zero persistence `(σ, τ)` — `τ` the oldest cofacet of `σ` and of the same
//!   diameter, `σ` the youngest facet of `τ` — are persistence pairs found from `σ` or `τ` alone:
//!   neither becomes a column, and a reduction meeting `τ` as its pivot adds `δσ` (an implicit
//!   pivot table).
//! * *Emergent pairs*: the cofacets of a column are enumerated by decreasing index, so the first
//!   one of the column's own diameter is its pivot; when no column owns it yet the pair is found
//!   without building the column.
//!
//! Only pairs of positive persistence are reported, as Ripser does.

use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use rayon::prelude::*;

use crate::error::Result;
use crate::progress::Progress;

/// A simplex: its diameter and its index in the combinatorial number system.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Simplex {
    pub diameter: f32,
    pub index: u64,
}

/// Heap entry: the top is the oldest simplex (smallest diameter, then largest index).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Entry {
    /// `!bits(diameter)` for non-negative finite diameters: larger means smaller diameter.
    key: u32,
    index: u64,
}

impl Entry {
    fn new(s: Simplex) -> Entry {
        Entry { key: !s.diameter.to_bits(), index: s.index }
    }
    fn simplex(self) -> Simplex {
        Simplex { diameter: f32::from_bits(!self.key), index: self.index }
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.key, self.index).cmp(&(other.key, other.index))
    }
}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Multiplicative hashing for simplex indices (already well spread).
#[derive(Default)]
struct IndexHasher(u64);
impl Hasher for IndexHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (v ^ (v >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        self.0 ^= self.0 >> 32;
    }
}
type PivotTable = HashMap<u64, u32, BuildHasherDefault<IndexHasher>>;

/// `C(v, k)` for `v ≤ n`, `k ≤ max_k`.
struct Binomials {
    stride: usize,
    table: Vec<u64>,
}

impl Binomials {
    fn new(n: usize, max_k: usize) -> Binomials {
        let stride = n + 1;
        let mut table = vec![0u64; (max_k + 1) * stride];
        for v in 0..=n {
            table[v] = 1;
            for k in 1..=max_k.min(v) {
                let above = table[(k - 1) * stride + v - 1];
                let same = if k < v { table[k * stride + v - 1] } else { 0 };
                table[k * stride + v] = above.saturating_add(same);
            }
        }
        Binomials { stride, table }
    }
    #[inline(always)]
    fn get(&self, v: usize, k: usize) -> u64 {
        self.table[k * self.stride + v]
    }
}

/// The persistence diagrams: `(birth, death)` per dimension, `death = ∞` for essential classes.
pub(crate) type Diagrams = Vec<Vec<(f32, f32)>>;

/// The Rips complex of a full `n × n` distance matrix up to `threshold`.
pub(crate) struct Rips<'a> {
    n: usize,
    dist: &'a [f32],
    threshold: f32,
    maxdim: usize,
    binom: Binomials,
}

impl<'a> Rips<'a> {
    /// `dist` is `n × n` row-major, symmetric with a zero diagonal, finite.
    pub fn new(dist: &'a [f32], n: usize, threshold: f32, maxdim: usize) -> Rips<'a> {
        Rips { n, dist, threshold, maxdim, binom: Binomials::new(n, maxdim + 2) }
    }

    #[inline(always)]
    fn d(&self, i: usize, j: usize) -> f32 {
        self.dist[i * self.n + j]
    }

    /// The largest vertex `v < top` with `C(v, k) ≤ idx` (binary search).
    fn max_vertex(&self, idx: u64, k: usize, top: usize) -> usize {
        let (mut lo, mut hi) = (k - 1, top);
        // Invariant: C(lo, k) ≤ idx; the answer is in [lo, hi).
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.binom.get(mid, k) <= idx {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The vertices of the `dim`-simplex `idx`, largest first, into `out`.
    fn vertices(&self, mut idx: u64, dim: usize, out: &mut Vec<usize>) {
        out.clear();
        let mut top = self.n;
        for k in (1..=dim + 1).rev() {
            let v = self.max_vertex(idx, k, top);
            out.push(v);
            idx -= self.binom.get(v, k);
            top = v;
        }
    }

    fn diameter_of(&self, vs: &[usize]) -> f32 {
        let mut diam = 0f32;
        for (a, &i) in vs.iter().enumerate() {
            for &j in &vs[a + 1..] {
                diam = diam.max(self.d(i, j));
            }
        }
        diam
    }

    /// Calls `f` on each cofacet of the `dim`-simplex `s` (vertices `vs`, largest first) in
    /// decreasing index order, within the threshold, until `f` returns false. With `all = false`
    /// only cofacets whose new vertex is above every vertex of `s`.
    #[inline]
    fn cofacets(&self, s: Simplex, vs: &[usize], dim: usize, all: bool, mut f: impl FnMut(Simplex) -> bool) {
        let mut idx_below = s.index;
        let mut idx_above = 0u64;
        let mut k = dim + 1;
        let mut v = self.n;
        let mut pos = 0usize; // vertices of s above v
        while v > 0 {
            v -= 1;
            if pos < vs.len() && vs[pos] == v {
                if !all {
                    return;
                }
                idx_below -= self.binom.get(v, k);
                idx_above += self.binom.get(v, k + 1);
                k -= 1;
                pos += 1;
                continue;
            }
            let mut diam = s.diameter;
            for &w in vs {
                // Row w, column v: the rows of the few vertices are read sequentially.
                diam = diam.max(self.dist[w * self.n + v]);
            }
            if diam <= self.threshold {
                let index = idx_above + self.binom.get(v, k + 1) + idx_below;
                if !f(Simplex { diameter: diam, index }) {
                    return;
                }
            }
        }
    }

    /// The oldest cofacet of `s` with the same diameter, if any.
    fn zero_pivot_cofacet(&self, s: Simplex, vs: &[usize], dim: usize) -> Option<Simplex> {
        let mut found = None;
        self.cofacets(s, vs, dim, true, |c| {
            if c.diameter == s.diameter {
                found = Some(c);
                false
            } else {
                true
            }
        });
        found
    }

    /// The youngest facet of the `dim`-simplex `t` (vertices `vs`) with the same diameter, if any:
    /// facets by increasing index are those without the largest vertex first.
    fn zero_pivot_facet(&self, t: Simplex, vs: &[usize], dim: usize, scratch: &mut Vec<usize>) -> Option<Simplex> {
        if dim == 0 {
            return None;
        }
        for drop in 0..vs.len() {
            scratch.clear();
            scratch.extend(vs.iter().enumerate().filter(|&(i, _)| i != drop).map(|(_, &v)| v));
            let diam = self.diameter_of(scratch);
            if diam == t.diameter {
                let index = scratch.iter().enumerate().map(|(i, &v)| self.binom.get(v, dim - i)).sum();
                return Some(Simplex { diameter: diam, index });
            }
        }
        None
    }

    /// The partner `τ` when `s` is the lower simplex of a zero-persistence apparent pair.
    fn zero_apparent_cofacet(&self, s: Simplex, dim: usize, w: &mut Work) -> Option<Simplex> {
        self.vertices(s.index, dim, &mut w.vs);
        let t = self.zero_pivot_cofacet(s, &w.vs, dim)?;
        self.vertices(t.index, dim + 1, &mut w.vs);
        let back = self.zero_pivot_facet(t, &w.vs, dim + 1, &mut w.scratch)?;
        (back.index == s.index).then_some(t)
    }

    /// The partner `σ` when the `dim`-simplex `t` is the upper simplex of a zero-persistence
    /// apparent pair.
    fn zero_apparent_facet(&self, t: Simplex, dim: usize, w: &mut Work) -> Option<Simplex> {
        self.vertices(t.index, dim, &mut w.vs);
        let s = self.zero_pivot_facet(t, &w.vs, dim, &mut w.scratch)?;
        self.vertices(s.index, dim - 1, &mut w.vs);
        let back = self.zero_pivot_cofacet(s, &w.vs, dim - 1)?;
        (back.index == t.index).then_some(s)
    }

    fn in_zero_apparent_pair(&self, s: Simplex, dim: usize, w: &mut Work) -> bool {
        self.zero_apparent_cofacet(s, dim, w).is_some() || self.zero_apparent_facet(s, dim, w).is_some()
    }

    /// The edges within the threshold in filtration order (diameter, then decreasing index).
    fn sorted_edges(&self) -> Vec<Simplex> {
        let n = self.n;
        let mut edges: Vec<Simplex> = (1..n)
            .into_par_iter()
            .flat_map_iter(|i| {
                let base = self.binom.get(i, 2);
                (0..i).filter_map(move |j| {
                    let d = self.d(i, j);
                    (d <= self.threshold).then_some(Simplex { diameter: d, index: base + j as u64 })
                })
            })
            .collect();
        // Keys are unique (indices are), so the parallel sort is deterministic.
        edges.par_sort_unstable_by(|a, b| a.diameter.total_cmp(&b.diameter).then(b.index.cmp(&a.index)));
        edges
    }

    /// All pairs, dimension 0 to `maxdim`.
    pub fn compute(&self, progress: &dyn Progress) -> Result<Diagrams> {
        let mut dgms: Diagrams = vec![Vec::new(); self.maxdim + 1];
        let edges = self.sorted_edges();
        progress.check()?;
        let mut columns = self.dim0_pairs(&edges, &mut dgms[0]);
        let mut simplices = edges;
        for (dim, out) in dgms.iter_mut().enumerate().skip(1) {
            progress.check()?;
            let pivots = self.compute_pairs(&columns, dim, out, progress)?;
            if dim < self.maxdim {
                progress.check()?;
                columns = self.assemble_columns(&mut simplices, &pivots, dim + 1);
            }
        }
        Ok(dgms)
    }

    /// H0 by union–find with the elder rule (every vertex born at 0); returns the edges that are
    /// columns in dimension 1: not in the spanning forest and not in an apparent pair.
    fn dim0_pairs(&self, edges: &[Simplex], out: &mut Vec<(f32, f32)>) -> Vec<Simplex> {
        let mut parent: Vec<u32> = (0..self.n as u32).collect();
        let mut rank = vec![0u8; self.n];
        fn find(parent: &mut [u32], mut x: u32) -> u32 {
            while parent[x as usize] != x {
                let p = parent[x as usize];
                parent[x as usize] = parent[p as usize];
                x = p;
            }
            x
        }
        let mut vs = Vec::with_capacity(2);
        let mut positive = Vec::new();
        for e in edges {
            self.vertices(e.index, 1, &mut vs);
            let (u, v) = (find(&mut parent, vs[0] as u32), find(&mut parent, vs[1] as u32));
            if u != v {
                if e.diameter > 0.0 {
                    out.push((0.0, e.diameter));
                }
                let (a, b) = if rank[u as usize] < rank[v as usize] { (u, v) } else { (v, u) };
                parent[a as usize] = b;
                if rank[a as usize] == rank[b as usize] {
                    rank[b as usize] += 1;
                }
            } else if self.maxdim > 0 {
                positive.push(*e);
            }
        }
        for i in 0..self.n as u32 {
            if find(&mut parent, i) == i {
                out.push((0.0, f32::INFINITY));
            }
        }
        // Reverse filtration order, without the edges of apparent pairs (checked in parallel).
        positive.reverse();
        let keep: Vec<bool> = positive.par_iter().map_init(Work::default, |w, &e| self.zero_apparent_cofacet(e, 1, w).is_none()).collect();
        positive.into_iter().zip(keep).filter_map(|(e, k)| k.then_some(e)).collect()
    }

    /// The `dim`-simplices (cofacets of `simplices`, the `(dim−1)`-simplices) that are columns:
    /// not cleared by `pivots` and not in an apparent pair, in reverse filtration order. Keeps
    /// the `dim`-simplices in `simplices` when a higher dimension needs them.
    fn assemble_columns(&self, simplices: &mut Vec<Simplex>, pivots: &PivotTable, dim: usize) -> Vec<Simplex> {
        let keep_all = dim < self.maxdim;
        let chunks: Vec<(Vec<Simplex>, Vec<Simplex>)> = simplices
            .par_chunks(4096)
            .map_init(Work::default, |w, chunk| {
                let (mut next, mut cols) = (Vec::new(), Vec::new());
                let mut vs = Vec::new();
                for &s in chunk {
                    self.vertices(s.index, dim - 1, &mut vs);
                    self.cofacets(s, &vs, dim - 1, false, |c| {
                        if keep_all {
                            next.push(c);
                        }
                        if !pivots.contains_key(&c.index) && !self.in_zero_apparent_pair(c, dim, w) {
                            cols.push(c);
                        }
                        true
                    });
                }
                (next, cols)
            })
            .collect();
        let mut next = Vec::new();
        let mut columns = Vec::new();
        for (n, c) in chunks {
            next.extend(n);
            columns.extend(c);
        }
        *simplices = next;
        columns.par_sort_unstable_by(|a, b| b.diameter.total_cmp(&a.diameter).then(a.index.cmp(&b.index)));
        columns
    }

    /// Reduces the columns of dimension `dim`; returns the pivot table (pivot → column).
    fn compute_pairs(&self, columns: &[Simplex], dim: usize, out: &mut Vec<(f32, f32)>, progress: &dyn Progress) -> Result<PivotTable> {
        let mut pivots = PivotTable::with_capacity_and_hasher(columns.len(), Default::default());
        // The reduction matrix V, column by column (the column's own simplex left out).
        let mut v_start: Vec<usize> = Vec::with_capacity(columns.len() + 1);
        let mut v_entries: Vec<Simplex> = Vec::new();
        v_start.push(0);
        let mut working = BinaryHeap::<Entry>::new();
        let mut reduction = BinaryHeap::<Entry>::new();
        let mut cofacet_buf: Vec<Simplex> = Vec::new();
        let mut w = Work::default();
        let mut vs = Vec::new();
        for (j, &sigma) in columns.iter().enumerate() {
            if j % 65536 == 0 {
                progress.check()?;
            }
            working.clear();
            reduction.clear();
            reduction.push(Entry::new(sigma));
            // Enumerate δσ; stop at an emergent pair.
            cofacet_buf.clear();
            let mut emergent = None;
            let mut check_emergent = true;
            self.vertices(sigma.index, dim, &mut vs);
            self.cofacets(sigma, &vs, dim, true, |c| {
                if check_emergent && c.diameter == sigma.diameter {
                    check_emergent = false;
                    if !pivots.contains_key(&c.index) && self.zero_apparent_facet(c, dim + 1, &mut w).is_none() {
                        emergent = Some(c);
                        return false;
                    }
                }
                cofacet_buf.push(c);
                true
            });
            let mut pivot = match emergent {
                Some(c) => Some(c),
                None => {
                    working.extend(cofacet_buf.iter().map(|&c| Entry::new(c)));
                    get_pivot(&mut working)
                }
            };
            loop {
                let Some(p) = pivot else {
                    out.push((sigma.diameter, f32::INFINITY));
                    break;
                };
                if let Some(&other) = pivots.get(&p.index) {
                    let other = other as usize;
                    self.add_coboundary(columns[other], dim, &mut working, &mut reduction, &mut vs);
                    for &s in &v_entries[v_start[other]..v_start[other + 1]] {
                        self.add_coboundary(s, dim, &mut working, &mut reduction, &mut vs);
                    }
                } else if let Some(s) = self.zero_apparent_facet(p, dim + 1, &mut w) {
                    self.add_coboundary(s, dim, &mut working, &mut reduction, &mut vs);
                } else {
                    if p.diameter > sigma.diameter {
                        out.push((sigma.diameter, p.diameter));
                    }
                    pivots.insert(p.index, j as u32);
                    // The column's own simplex is the oldest entry of its V column.
                    pop_pivot(&mut reduction);
                    while let Some(e) = pop_pivot(&mut reduction) {
                        v_entries.push(e);
                    }
                    break;
                }
                pivot = get_pivot(&mut working);
            }
            v_start.push(v_entries.len());
        }
        Ok(pivots)
    }

    fn add_coboundary(&self, s: Simplex, dim: usize, working: &mut BinaryHeap<Entry>, reduction: &mut BinaryHeap<Entry>, vs: &mut Vec<usize>) {
        reduction.push(Entry::new(s));
        self.vertices(s.index, dim, vs);
        self.cofacets(s, vs, dim, true, |c| {
            working.push(Entry::new(c));
            true
        });
    }
}

/// Scratch vectors for the apparent-pair tests.
#[derive(Default)]
struct Work {
    vs: Vec<usize>,
    scratch: Vec<usize>,
}

/// Pops the oldest entry that survives Z/2 cancellation of equal entries.
fn pop_pivot(heap: &mut BinaryHeap<Entry>) -> Option<Simplex> {
    while let Some(top) = heap.pop() {
        match heap.peek() {
            Some(next) if next.index == top.index => {
                heap.pop();
            }
            _ => return Some(top.simplex()),
        }
    }
    None
}

/// The pivot, left in the heap.
fn get_pivot(heap: &mut BinaryHeap<Entry>) -> Option<Simplex> {
    let p = pop_pivot(heap)?;
    heap.push(Entry::new(p));
    Some(p)
}

/// The smallest radius `r` such that the ball of radius `r` around some point holds every point:
/// `min_i max_j d(i, j)`. Above it the Rips complex is a cone, so nothing changes.
pub(crate) fn enclosing_radius(dist: &[f32], n: usize) -> f32 {
    dist.par_chunks(n.max(1)).map(|row| row.iter().copied().fold(f32::NEG_INFINITY, f32::max)).reduce(|| f32::INFINITY, f32::min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomials_and_vertices_round_trip() {
        let r = Rips::new(&[0.0; 49], 7, f32::INFINITY, 2);
        assert_eq!(r.binom.get(6, 3), 20);
        let mut vs = Vec::new();
        let mut idx = 0u64;
        // Colex order of 3-subsets of 0..7: the index counts them.
        for c in 2..7usize {
            for b in 1..c {
                for a in 0..b {
                    let i = r.binom.get(c, 3) + r.binom.get(b, 2) + r.binom.get(a, 1);
                    r.vertices(i, 2, &mut vs);
                    assert_eq!(vs, [c, b, a]);
                    let _ = idx;
                    idx += 1;
                }
            }
        }
        assert_eq!(idx, 35);
    }

    #[test]
    fn cofacets_come_by_decreasing_index() {
        let n = 6;
        let dist: Vec<f32> = (0..n * n).map(|k| if k / n == k % n { 0.0 } else { 1.0 + ((k / n) * (k % n)) as f32 }).collect();
        let r = Rips::new(&dist, n, f32::INFINITY, 2);
        let mut vs = Vec::new();
        let s = Simplex { diameter: r.d(3, 1), index: r.binom.get(3, 2) + 1 };
        r.vertices(s.index, 1, &mut vs);
        let mut seen = Vec::new();
        r.cofacets(s, &vs, 1, true, |c| {
            seen.push(c.index);
            true
        });
        let mut want: Vec<u64> = [5usize, 4, 2, 0]
            .iter()
            .map(|&x| {
                let mut t = [3usize, 1, x];
                t.sort_unstable_by(|a, b| b.cmp(a));
                r.binom.get(t[0], 3) + r.binom.get(t[1], 2) + r.binom.get(t[2], 1)
            })
            .collect();
        want.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(seen, want);
    }
}
