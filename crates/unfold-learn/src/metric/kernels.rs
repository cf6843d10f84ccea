//! Distance kernels on prepared rows (see [`super::Metric::prepare`]): a reduced form that orders
//! pairs as the distance does, and the map from it to the distance. Also the exact squared
//! euclidean kernel on byte rows ([`sq_euclidean_u8`]) that NN-descent and the transform's search
//! use for pixel-like data.

/// A distance in reduced form (monotone in the true distance) plus the map back.
pub(crate) trait Kernel: Copy + Send + Sync {
    /// The reduced distance between two prepared rows.
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32;
    /// The true distance from a reduced one.
    fn finalize(&self, r: f32) -> f32;
    /// The reduced distance, or any value above `bound` once it is certain to exceed it (kernels
    /// that accumulate non-negative terms stop early).
    #[inline]
    fn reduced_bounded(&self, a: &[f32], b: &[f32], _bound: f32) -> f32 {
        self.reduced(a, b)
    }
}

/// Static dispatch over kernels: `Metric::visit_kernel` calls `visit` with the concrete kernel.
pub(crate) trait KernelVisitor {
    type Output;
    fn visit<K: Kernel>(self, kernel: K) -> Self::Output;
}

#[derive(Clone, Copy)]
pub(crate) struct SqEuclidean {
    pub root: bool,
}
impl Kernel for SqEuclidean {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        sq_euclidean(a, b)
    }
    #[inline]
    fn reduced_bounded(&self, a: &[f32], b: &[f32], bound: f32) -> f32 {
        // Partial sums only grow: check the bound every ABANDON_CHUNK coordinates.
        let mut sum = 0.0;
        for (x, y) in a.chunks(ABANDON_CHUNK).zip(b.chunks(ABANDON_CHUNK)) {
            sum += sq_euclidean(x, y);
            if sum > bound {
                return sum;
            }
        }
        sum
    }
    #[inline]
    fn finalize(&self, r: f32) -> f32 {
        if self.root { r.max(0.0).sqrt() } else { r.max(0.0) }
    }
}

#[derive(Clone, Copy)]
pub(crate) struct OneMinusDot;
impl Kernel for OneMinusDot {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        1.0 - dot(a, b)
    }
    #[inline]
    fn finalize(&self, r: f32) -> f32 {
        r.clamp(0.0, 2.0)
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Manhattan;
impl Kernel for Manhattan {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        manhattan(a, b)
    }
    fn finalize(&self, r: f32) -> f32 {
        r
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Chebyshev;
impl Kernel for Chebyshev {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).fold(0.0f32, |m, (x, y)| m.max((x - y).abs()))
    }
    fn finalize(&self, r: f32) -> f32 {
        r
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Minkowski {
    pub p: f32,
}
impl Kernel for Minkowski {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| (x - y).abs().powf(self.p)).sum()
    }
    fn finalize(&self, r: f32) -> f32 {
        r.powf(1.0 / self.p)
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Canberra;
impl Kernel for Canberra {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        a.iter()
            .zip(b)
            .map(|(x, y)| {
                let den = x.abs() + y.abs();
                if den > 0.0 { (x - y).abs() / den } else { 0.0 }
            })
            .sum()
    }
    fn finalize(&self, r: f32) -> f32 {
        r
    }
}

#[derive(Clone, Copy)]
pub(crate) struct BrayCurtis;
impl Kernel for BrayCurtis {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        let (num, den) = a.iter().zip(b).fold((0.0f32, 0.0f32), |(n, d), (x, y)| (n + (x - y).abs(), d + (x + y).abs()));
        if den > 0.0 { num / den } else { 0.0 }
    }
    fn finalize(&self, r: f32) -> f32 {
        r
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Hamming;
impl Kernel for Hamming {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        let diff = a.iter().zip(b).filter(|(x, y)| x != y).count();
        diff as f32 / a.len() as f32
    }
    fn finalize(&self, r: f32) -> f32 {
        r
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Haversine;
impl Kernel for Haversine {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        let (lat1, lon1, lat2, lon2) = (a[0] as f64, a[1] as f64, b[0] as f64, b[1] as f64);
        let s_lat = ((lat2 - lat1) / 2.0).sin();
        let s_lon = ((lon2 - lon1) / 2.0).sin();
        (s_lat * s_lat + lat1.cos() * lat2.cos() * s_lon * s_lon) as f32
    }
    fn finalize(&self, r: f32) -> f32 {
        2.0 * (r.clamp(0.0, 1.0) as f64).sqrt().asin() as f32
    }
}

/// Hellinger distance on rows prepared as `sqrt(x / Σx)` (all-zero rows stay zero). For two
/// non-zero rows `1 − Σ √(p q) = ½ Σ (√p − √q)²`, a sum of squares free of the cancellation of
/// the first form; a zero row is at 1 from any non-zero row and at 0 from another zero row.
#[derive(Clone, Copy)]
pub(crate) struct Hellinger;
impl Kernel for Hellinger {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        let (mut diff, mut na, mut nb) = (0.0f32, 0.0f32, 0.0f32);
        for (&x, &y) in a.iter().zip(b) {
            diff += (x - y) * (x - y);
            na += x * x;
            nb += y * y;
        }
        match (na > 0.0, nb > 0.0) {
            (true, true) => 0.5 * diff,
            (false, false) => 0.0,
            _ => 1.0,
        }
    }
    fn finalize(&self, r: f32) -> f32 {
        r.clamp(0.0, 1.0).sqrt()
    }
}

/// The coordinate counts of two boolean vectors (non-zero = true) among `n`: true in both,
/// true only in the first, true only in the second.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct BoolCounts {
    pub tt: f64,
    pub tf: f64,
    pub ft: f64,
    pub n: f64,
}

/// A dissimilarity of boolean vectors computed from their [`BoolCounts`]; the formula is the
/// metric's (see [`super::Metric::visit_kernel`], which pairs each boolean metric with its
/// function in [`boolean`]).
#[derive(Clone, Copy)]
pub(crate) struct Boolean(pub fn(BoolCounts) -> f64);

impl Kernel for Boolean {
    #[inline]
    fn reduced(&self, a: &[f32], b: &[f32]) -> f32 {
        let (mut tt, mut tf, mut ft) = (0u32, 0u32, 0u32);
        for (x, y) in a.iter().zip(b) {
            let (x, y) = (*x != 0.0, *y != 0.0);
            tt += (x & y) as u32;
            tf += (x & !y) as u32;
            ft += (!x & y) as u32;
        }
        (self.0)(BoolCounts { tt: tt as f64, tf: tf as f64, ft: ft as f64, n: a.len() as f64 }) as f32
    }
    fn finalize(&self, r: f32) -> f32 {
        r
    }
}

/// umap-learn's dissimilarities of boolean vectors (`umap.distances`), one function per metric.
pub(crate) mod boolean {
    use super::BoolCounts;

    /// `1 − #tt / (#tt + #tf + #ft)`; 0 when neither vector has a true coordinate.
    pub fn jaccard(c: BoolCounts) -> f64 {
        let (ne, either) = (c.tf + c.ft, c.tt + c.tf + c.ft);
        if either == 0.0 { 0.0 } else { ne / either }
    }

    pub fn dice(c: BoolCounts) -> f64 {
        let ne = c.tf + c.ft;
        if ne == 0.0 { 0.0 } else { ne / (2.0 * c.tt + ne) }
    }

    pub fn kulsinski(c: BoolCounts) -> f64 {
        let ne = c.tf + c.ft;
        if ne == 0.0 { 0.0 } else { (ne - c.tt + c.n) / (ne + c.n) }
    }

    /// Rogers–Tanimoto and Sokal–Michener (the same formula in umap-learn).
    pub fn rogers_tanimoto(c: BoolCounts) -> f64 {
        let ne = c.tf + c.ft;
        2.0 * ne / (c.n + ne)
    }

    /// umap-learn: 0 when both rows have the same true coordinates.
    pub fn russell_rao(c: BoolCounts) -> f64 {
        if c.tf + c.ft == 0.0 { 0.0 } else { (c.n - c.tt) / c.n }
    }

    pub fn sokal_sneath(c: BoolCounts) -> f64 {
        let ne = c.tf + c.ft;
        if ne == 0.0 { 0.0 } else { ne / (0.5 * c.tt + ne) }
    }

    pub fn yule(c: BoolCounts) -> f64 {
        if c.tf == 0.0 || c.ft == 0.0 {
            return 0.0;
        }
        let ff = c.n - c.tt - c.tf - c.ft;
        2.0 * c.tf * c.ft / (c.tt * ff + c.tf * c.ft)
    }
}

/// Coordinates between early-abandon checks in [`Kernel::reduced_bounded`].
const ABANDON_CHUNK: usize = 128;

/// Lanes of the accumulators below: wide enough for AVX-512, and several independent sums hide
/// FMA latency.
const LANES: usize = 16;

/// `Σ term(a_i, b_i)` over [`LANES`] independent accumulators, so the compiler vectorises it.
/// Inlined into each of the multiversioned kernels below, which compiles it for their targets.
#[inline(always)]
fn lane_sum(a: &[f32], b: &[f32], term: impl Fn(f32, f32) -> f32) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..LANES {
            acc[l] += term(x[l], y[l]);
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(&x, &y)| term(x, y)).sum();
    acc.iter().sum::<f32>() + tail
}

/// `Σ (a−b)²`, vectorised.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
pub(crate) fn sq_euclidean(a: &[f32], b: &[f32]) -> f32 {
    lane_sum(a, b, |x, y| (x - y) * (x - y))
}

/// `Σ a·b`, vectorised.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    lane_sum(a, b, |x, y| x * y)
}

/// `Σ |a−b|`, vectorised.
#[multiversion::multiversion(targets("x86_64+avx512f+avx512vl", "x86_64+avx2+fma"))]
fn manhattan(a: &[f32], b: &[f32]) -> f32 {
    lane_sum(a, b, |x, y| (x - y).abs())
}

/// `Σ (a−b)²` over bytes, exact.
#[inline]
pub(crate) fn sq_euclidean_u8(a: &[u8], b: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 is available, checked just above.
            return unsafe { sq_euclidean_u8_avx2(a, b) };
        }
    }
    a.iter().zip(b).map(|(&x, &y)| (x as i64 - y as i64).pow(2) as u64).sum()
}

/// AVX2: `|a − b|` of 32 bytes at once by two saturating subtractions, widened to 16-bit lanes,
/// and `pmaddwd` of the differences with themselves (pairs of squares summed into 32-bit lanes).
/// Lanes are flushed to 64 bits every 1,024 blocks (at most 4 · 255² per lane and block) so they
/// cannot overflow. A remaining 16 bytes take one 128-bit step; the last `len mod 16` bytes are
/// added one by one.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn sq_euclidean_u8_avx2(a: &[u8], b: &[u8]) -> u64 {
    use std::arch::x86_64::*;
    let n = a.len().min(b.len());
    let blocks = n / 32;
    let zero = _mm256_setzero_si256();
    let mut total = 0u64;
    let mut done = 0;
    while done < blocks {
        let stop = (done + 1024).min(blocks);
        let mut acc = _mm256_setzero_si256();
        for i in done..stop {
            // SAFETY: i * 32 + 32 ≤ n, so the unaligned 32-byte loads stay inside both slices.
            let (x, y) =
                unsafe { (_mm256_loadu_si256(a.as_ptr().add(i * 32) as *const __m256i), _mm256_loadu_si256(b.as_ptr().add(i * 32) as *const __m256i)) };
            let d = _mm256_or_si256(_mm256_subs_epu8(x, y), _mm256_subs_epu8(y, x));
            let (lo, hi) = (_mm256_unpacklo_epi8(d, zero), _mm256_unpackhi_epi8(d, zero));
            acc = _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_madd_epi16(lo, lo), _mm256_madd_epi16(hi, hi)));
        }
        let mut lanes = [0u32; 8];
        // SAFETY: `lanes` holds exactly 32 bytes.
        unsafe { _mm256_storeu_si256(lanes.as_mut_ptr() as *mut __m256i, acc) };
        total += lanes.iter().map(|&v| v as u64).sum::<u64>();
        done = stop;
    }
    let mut tail = blocks * 32;
    if n - tail >= 16 {
        // One 16-byte step the same way (MNIST's 784 = 24 · 32 + 16 ends here).
        // SAFETY: tail + 16 ≤ n, so both loads stay inside the slices.
        let (x, y) = unsafe { (_mm_loadu_si128(a.as_ptr().add(tail) as *const __m128i), _mm_loadu_si128(b.as_ptr().add(tail) as *const __m128i)) };
        let zero = _mm_setzero_si128();
        let d = _mm_or_si128(_mm_subs_epu8(x, y), _mm_subs_epu8(y, x));
        let (lo, hi) = (_mm_unpacklo_epi8(d, zero), _mm_unpackhi_epi8(d, zero));
        let sums = _mm_add_epi32(_mm_madd_epi16(lo, lo), _mm_madd_epi16(hi, hi));
        let mut lanes = [0u32; 4];
        // SAFETY: `lanes` holds exactly 16 bytes.
        unsafe { _mm_storeu_si128(lanes.as_mut_ptr() as *mut __m128i, sums) };
        total += lanes.iter().map(|&v| v as u64).sum::<u64>();
        tail += 16;
    }
    total + a[tail..n].iter().zip(&b[tail..n]).map(|(&x, &y)| (x as i64 - y as i64).pow(2) as u64).sum::<u64>()
}

/// The euclidean (`root`) or squared euclidean distance between byte rows, as the byte search uses it.
pub(crate) fn byte_distance(a: &[u8], b: &[u8], root: bool) -> f32 {
    from_sum_of_squares(sq_euclidean_u8(a, b), root)
}

/// The euclidean (`root`) or squared euclidean distance from a sum of squared differences.
#[inline]
pub(crate) fn from_sum_of_squares(r: u64, root: bool) -> f32 {
    if root { (r as f32).sqrt() } else { r as f32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_kernel_is_exact() {
        for len in [0, 1, 15, 16, 17, 31, 32, 33, 47, 48, 49, 784, 32 * 1024 + 5, 32 * 2100 + 17, 32 * 2100 + 31] {
            let a: Vec<u8> = (0..len).map(|i| (i * 37 % 256) as u8).collect();
            let b: Vec<u8> = (0..len).map(|i| 255 - (i * 11 % 256) as u8).collect();
            let naive: u64 = a.iter().zip(&b).map(|(&x, &y)| ((x as i64 - y as i64) * (x as i64 - y as i64)) as u64).sum();
            assert_eq!(sq_euclidean_u8(&a, &b), naive, "length {len}");
        }
        assert_eq!(sq_euclidean_u8(&[255; 64], &[0; 64]), 64 * 255 * 255);
        // The largest differences over more than one flush of the 32-bit lanes.
        let len = 32 * 1024 * 2 + 7;
        assert_eq!(sq_euclidean_u8(&vec![0; len], &vec![255; len]), len as u64 * 255 * 255);
    }
}
