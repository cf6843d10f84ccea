//! Distances between persistence diagrams, as persim defines them: points are matched to points
//! or to the diagonal, and points with an infinite death are left out.
//!
//! * [`bottleneck`]: the smallest largest cost of a matching with the L∞ ground metric
//!   (`max(|Δbirth|, |Δdeath|)`, a point's distance to the diagonal `(death − birth) / 2`), as
//!   persim's `bottleneck`; a binary search over the candidate costs with a perfect-matching test
//!   at each.
//! * [`wasserstein`]: `(min Σ cost^p)^(1/p)` over matchings, the cost the L_q norm with
//!   `q = internal_p` (a point's distance to the diagonal `2^(1/q) (death − birth) / 2`). persim's
//!   `wasserstein` is `p = 1`, `q = 2` (its euclidean ground metric); `q = ∞` is the L∞ one of
//!   the bottleneck distance and GUDHI. By the Hungarian algorithm (shortest augmenting paths,
//!   Jonker–Volgenant) on the `(m + n) × (m + n)` cost matrix with diagonal slots.

use crate::error::{Error, Result};

/// The finite points of a diagram, checked.
fn finite(dgm: &[[f64; 2]], name: &'static str) -> Result<Vec<[f64; 2]>> {
    for (i, p) in dgm.iter().enumerate() {
        if p[0].is_nan() || p[1].is_nan() || p[0].is_infinite() {
            return Err(Error::InvalidData(format!("{name}: point {i} is ({}, {}): births must be finite and deaths not NaN", p[0], p[1])));
        }
    }
    Ok(dgm.iter().filter(|p| p[1].is_finite()).copied().collect())
}

fn linf(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).abs().max((a[1] - b[1]).abs())
}

fn to_diagonal(a: [f64; 2]) -> f64 {
    0.5 * (a[1] - a[0]).abs()
}

/// The bottleneck distance between two diagrams (persim's `bottleneck`).
///
/// ```
/// use unfold_learn::measure::topology::diagram_distance::bottleneck;
/// let a = [[0.0, 1.0], [0.0, 4.0]];
/// let b = [[0.0, 4.5]];
/// // [0, 4] ↔ [0, 4.5] costs 0.5; [0, 1] goes to the diagonal at 0.5.
/// assert_eq!(bottleneck(&a, &b)?, 0.5);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidData`] for a NaN or an infinite birth.
pub fn bottleneck(dgm1: &[[f64; 2]], dgm2: &[[f64; 2]]) -> Result<f64> {
    let (s, t) = (finite(dgm1, "dgm1")?, finite(dgm2, "dgm2")?);
    let mut candidates: Vec<f64> = s.iter().chain(&t).map(|&p| to_diagonal(p)).collect();
    for &a in &s {
        candidates.extend(t.iter().map(|&b| linf(a, b)));
    }
    candidates.push(0.0);
    candidates.sort_unstable_by(f64::total_cmp);
    candidates.dedup();
    // The smallest candidate at which a perfect matching exists.
    let (mut lo, mut hi) = (0usize, candidates.len() - 1);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if perfect_matching(&s, &t, candidates[mid]) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Ok(candidates[lo])
}

/// Whether every point can be matched at cost ≤ `r`. Left vertices: the points of `s`, then one
/// diagonal slot per point of `t`; right: the points of `t`, then one diagonal slot per point of
/// `s`. A point reaches its own diagonal slot when it is within `r` of the diagonal; slots reach
/// each other freely.
fn perfect_matching(s: &[[f64; 2]], t: &[[f64; 2]], r: f64) -> bool {
    let (m, n) = (s.len(), t.len());
    let adjacent = |left: usize, right: usize| -> bool {
        match (left < m, right < n) {
            (true, true) => linf(s[left], t[right]) <= r,
            (true, false) => right - n == left && to_diagonal(s[left]) <= r,
            (false, true) => left - m == right && to_diagonal(t[right]) <= r,
            (false, false) => true,
        }
    };
    let size = m + n;
    let mut match_right = vec![usize::MAX; size];
    let mut visited = vec![0usize; size];
    for left in 0..size {
        // Kuhn's augmenting path search, iterative.
        let stamp = left + 1;
        if !augment(left, size, &adjacent, &mut match_right, &mut visited, stamp) {
            return false;
        }
    }
    true
}

fn augment(start: usize, size: usize, adjacent: &impl Fn(usize, usize) -> bool, match_right: &mut [usize], visited: &mut [usize], stamp: usize) -> bool {
    // Stack of (left vertex, next right vertex to try); `via[right]` the left that reached it.
    let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
    let mut path: Vec<usize> = Vec::new(); // right vertices taken, one per stack level below the top
    while let Some(&mut (left, ref mut next)) = stack.last_mut() {
        let mut advanced = false;
        while *next < size {
            let right = *next;
            *next += 1;
            if visited[right] == stamp || !adjacent(left, right) {
                continue;
            }
            visited[right] = stamp;
            if match_right[right] == usize::MAX {
                // Flip the path.
                path.push(right);
                for (level, &r) in path.iter().enumerate() {
                    match_right[r] = stack[level].0;
                }
                return true;
            }
            path.push(right);
            stack.push((match_right[right], 0));
            advanced = true;
            break;
        }
        if !advanced {
            stack.pop();
            path.pop();
        }
    }
    false
}

/// The p-Wasserstein distance between two diagrams with the L_q ground metric, `q =
/// internal_p` (1 to ∞); `p = 1, internal_p = 2` is persim's `wasserstein`.
///
/// ```
/// use unfold_learn::measure::topology::diagram_distance::wasserstein;
/// let a = [[0.0, 1.0], [0.0, 4.0]];
/// let b = [[0.0, 4.5]];
/// // L∞: 0.5 for the matched pair and 0.5 for [0, 1] to the diagonal.
/// assert_eq!(wasserstein(&a, &b, 1.0, f64::INFINITY)?, 1.0);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidParameter`] for `p` below 1 or not finite, `internal_p` below 1;
/// [`Error::InvalidData`] as [`bottleneck`].
pub fn wasserstein(dgm1: &[[f64; 2]], dgm2: &[[f64; 2]], p: f64, internal_p: f64) -> Result<f64> {
    if !(p >= 1.0 && p.is_finite()) {
        return Err(Error::param("p", p, "must be a finite number ≥ 1 (use bottleneck for p = ∞)"));
    }
    if internal_p.is_nan() || internal_p < 1.0 {
        return Err(Error::param("internal_p", internal_p, "must be a number ≥ 1 or inf (the L_q ground metric)"));
    }
    let q = internal_p;
    let ground = |a: [f64; 2], b: [f64; 2]| {
        let (x, y) = ((a[0] - b[0]).abs(), (a[1] - b[1]).abs());
        if q.is_infinite() {
            x.max(y)
        } else if q == 2.0 {
            x.hypot(y)
        } else {
            (x.powf(q) + y.powf(q)).powf(1.0 / q)
        }
    };
    let diag_factor = if q.is_infinite() { 1.0 } else { 2f64.powf(1.0 / q) };
    let diagonal = |a: [f64; 2]| to_diagonal(a) * diag_factor;
    let (s, t) = (finite(dgm1, "dgm1")?, finite(dgm2, "dgm2")?);
    let (m, n) = (s.len(), t.len());
    let size = m + n;
    if size == 0 {
        return Ok(0.0);
    }
    let pow = |c: f64| if p == 1.0 { c } else { c.powf(p) };
    let mut cost = vec![0f64; size * size];
    for i in 0..size {
        for j in 0..size {
            cost[i * size + j] = match (i < m, j < n) {
                (true, true) => pow(ground(s[i], t[j])),
                (true, false) => pow(diagonal(s[i])),
                (false, true) => pow(diagonal(t[j])),
                (false, false) => 0.0,
            };
        }
    }
    let total = min_cost_assignment(&cost, size);
    Ok(if p == 1.0 { total } else { total.powf(1.0 / p) })
}

/// The least total cost of a perfect assignment in the square `size × size` cost matrix
/// (shortest augmenting paths with potentials, O(size³)).
fn min_cost_assignment(cost: &[f64], size: usize) -> f64 {
    // 1-based arrays, column 0 is the virtual start.
    let (mut u, mut v) = (vec![0f64; size + 1], vec![0f64; size + 1]);
    let mut row_of = vec![0usize; size + 1];
    let mut way = vec![0usize; size + 1];
    let mut minv = vec![0f64; size + 1];
    let mut used = vec![false; size + 1];
    for i in 1..=size {
        row_of[0] = i;
        let mut j0 = 0usize;
        minv.iter_mut().for_each(|x| *x = f64::INFINITY);
        used.iter_mut().for_each(|x| *x = false);
        loop {
            used[j0] = true;
            let i0 = row_of[j0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0usize;
            for j in 1..=size {
                if !used[j] {
                    let cur = cost[(i0 - 1) * size + (j - 1)] - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=size {
                if used[j] {
                    u[row_of[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if row_of[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            row_of[j0] = row_of[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    (1..=size).map(|j| cost[(row_of[j] - 1) * size + (j - 1)]).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// All matchings of small diagrams, by brute force over permutations of the padded matrix.
    fn brute(s: &[[f64; 2]], t: &[[f64; 2]], p: f64, bottleneck: bool) -> f64 {
        let (m, n) = (s.len(), t.len());
        let size = m + n;
        let c = |i: usize, j: usize| match (i < m, j < n) {
            (true, true) => linf(s[i], t[j]),
            (true, false) => to_diagonal(s[i]),
            (false, true) => to_diagonal(t[j]),
            (false, false) => 0.0,
        };
        let mut perm: Vec<usize> = (0..size).collect();
        let mut best = f64::INFINITY;
        permute(&mut perm, 0, &mut |pm| {
            let costs = pm.iter().enumerate().map(|(i, &j)| c(i, j));
            let v = if bottleneck { costs.fold(0.0, f64::max) } else { costs.map(|x| x.powf(p)).sum::<f64>().powf(1.0 / p) };
            best = best.min(v);
        });
        best
    }

    fn permute(v: &mut Vec<usize>, k: usize, f: &mut impl FnMut(&[usize])) {
        if k == v.len() {
            f(v);
            return;
        }
        for i in k..v.len() {
            v.swap(k, i);
            permute(v, k + 1, f);
            v.swap(k, i);
        }
    }

    #[test]
    fn bottleneck_and_wasserstein_equal_brute_force() {
        let mut state = 12345u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        for trial in 0..40 {
            let (m, n) = (trial % 4, (trial / 4) % 4);
            let mut pt = || {
                let b = next();
                [b, b + next()]
            };
            let s: Vec<[f64; 2]> = (0..m).map(|_| pt()).collect();
            let t: Vec<[f64; 2]> = (0..n).map(|_| pt()).collect();
            let want = brute(&s, &t, 1.0, true);
            assert!((bottleneck(&s, &t).unwrap() - want).abs() < 1e-12, "trial {trial}");
            for p in [1.0, 2.0, 3.5] {
                let want = brute(&s, &t, p, false);
                assert!((wasserstein(&s, &t, p, f64::INFINITY).unwrap() - want).abs() < 1e-9, "trial {trial} p {p}");
            }
        }
    }

    #[test]
    fn infinite_points_are_left_out_and_bad_values_named() {
        let a = [[0.0, 1.0], [0.0, f64::INFINITY]];
        assert_eq!(bottleneck(&a, &[[0.0, 1.0]]).unwrap(), 0.0);
        assert_eq!(wasserstein(&a, &[], 1.0, f64::INFINITY).unwrap(), 0.5);
        assert!((wasserstein(&a, &[], 1.0, 2.0).unwrap() - 0.5f64.sqrt()).abs() < 1e-15);
        assert!(bottleneck(&[[f64::NAN, 1.0]], &[]).unwrap_err().to_string().contains("dgm1: point 0"));
        assert!(wasserstein(&a, &a, 0.5, 2.0).unwrap_err().to_string().contains("`p`"));
    }
}
