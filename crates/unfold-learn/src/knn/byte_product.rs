//! Exact squared euclidean distances and dot products between byte rows by blocks of integer
//! dot products.
//!
//! Pixel-like data (every value an integer in `0..=255`) has exact squared distances
//! `|q|² + |r|² − 2 q·r` in integers. The dot products run on AVX-512 VNNI's `vpdpbusd`, which
//! multiplies four unsigned bytes by four signed bytes and adds the four products into a 32-bit
//! lane: the reference rows are stored shifted to signed bytes (`r − 128`), so
//! `q·r = q·(r − 128) + 128 Σq`. One instruction does 64 multiply-adds where the `f32` matrix
//! product does 16, and, the distances being exact, the exact search needs no second pass over
//! its candidates. Reference rows are packed in panels of [`PANEL`] rows, four bytes of each row
//! side by side per step, so a step of a panel is one 64-byte load.
//!
//! Where the processor has AMX (Advanced Matrix Extensions) and the kernel lets the process use
//! it, the same dot products run on its tiles instead: `tdpbusd` multiplies a 16 × 64 tile of
//! query bytes by 16 steps of a panel (the panels' layout is the tiles' layout) into 16 × 16
//! 32-bit sums, 16,384 multiply-adds an instruction. The sums are the same integers, so the
//! distances are the same bits.
//!
//! [`BytePanels`] packs every row once, for blocks of distances among all rows (the exact
//! search); [`ByteRows::gram`] packs a few chosen rows at a time, for the Gram matrix of a
//! neighbourhood (ESS).

/// Reference rows per panel: one 32-bit lane each.
const PANEL: usize = 16;
/// Query rows per tile: two panels and this many rows use 16 of the 32 vector registers as
/// accumulators.
const TILE_ROWS: usize = 8;
/// The largest row length whose dot products cannot overflow a 32-bit lane
/// (`255 · 128 · d < 2³¹`).
const MAX_COLS: usize = 65_536;

/// Byte rows padded for the products: the query side of [`BytePanels`] and the source of
/// [`ByteRows::gram`].
pub(crate) struct ByteRows {
    n: usize,
    /// The dot products run on AMX tiles ([`amx::ready`]); `steps` is then a multiple of 16.
    amx: bool,
    /// Steps of four bytes per row (the row length rounded up to 4, over 4; with `amx`, up to 64).
    steps: usize,
    /// Rows padded with zeros to `4 · steps` bytes (with `amx`, and `AMX_ROWS` zero rows past
    /// the last: the tiles load 32 query rows at a time).
    rows: Vec<u8>,
    /// `128 Σr` per row, an integer held exactly: `q·r = q·(r − 128) + 128 Σq`.
    shifts: Vec<f64>,
}

impl ByteRows {
    /// The rows of `values` (`n × d`), or `None` unless every value is an integer in `0..=255`,
    /// the machine has AVX-512 VNNI and `d` is in `1..=`[`MAX_COLS`] (the cheap checks first, then
    /// the scan of the values).
    pub(crate) fn new(values: &[f32], n: usize, d: usize) -> Option<ByteRows> {
        ByteRows::with_amx(values, n, d, amx_ready())
    }

    /// [`ByteRows::new`], on AMX tiles if `amx` (which [`amx::ready`] must allow).
    fn with_amx(values: &[f32], n: usize, d: usize, amx: bool) -> Option<ByteRows> {
        if !available() || d > MAX_COLS || d == 0 || !super::nndescent::is_bytes(values) {
            return None;
        }
        Some(ByteRows::padded(n, d, amx, |rows, width| {
            for (q, row) in rows.chunks_exact_mut(width).zip(values.chunks_exact(d)) {
                for (o, &v) in q.iter_mut().zip(row) {
                    *o = v as u8;
                }
            }
        }))
    }

    /// `n` rows of `len` bytes, written by `fill(rows, width)` into zeroed rows of `width` bytes
    /// (`len` padded for the products), on AMX tiles if `amx`.
    fn padded(n: usize, len: usize, amx: bool, fill: impl FnOnce(&mut [u8], usize)) -> ByteRows {
        debug_assert!(!amx || amx::ready());
        // On AMX a tile spans 16 steps: rows are padded with zero bytes to whole tiles.
        let steps = if amx { len.div_ceil(64) * 16 } else { len.div_ceil(4) };
        let width = 4 * steps;
        let mut rows = vec![0u8; (n + if amx { AMX_ROWS } else { 0 }) * width];
        fill(&mut rows, width);
        let shifts = rows.chunks_exact(width).take(n).map(|q| 128.0 * q.iter().map(|&v| u64::from(v)).sum::<u64>() as f64).collect();
        ByteRows { n, amx, steps, rows, shifts }
    }

    fn width(&self) -> usize {
        4 * self.steps
    }

    /// The Gram matrix of rows `ids`: `out[a · m + b] = x_{ids[a]} · x_{ids[b]}` for `m =
    /// ids.len()`, each an exact integer (below 2⁵³ for every allowed row length), into `out`
    /// (`m × m`). `scratch` holds the packed rows between calls (start from
    /// `GramScratch::default()`, one per thread).
    pub(crate) fn gram(&self, ids: &[u32], scratch: &mut GramScratch, out: &mut [f64]) {
        let (m, width) = (ids.len(), self.width());
        assert!(out.len() >= m * m && ids.iter().all(|&i| (i as usize) < self.n));
        // The query side: the rows copied in order (plus AMX's padding rows, whatever they hold:
        // their sums are never read). The reference side: the same rows as panels.
        scratch.queries.resize((m + if self.amx { AMX_ROWS } else { 0 }) * width, 0);
        for (q, &i) in scratch.queries.chunks_exact_mut(width).zip(ids) {
            q.copy_from_slice(&self.rows[i as usize * width..][..width]);
        }
        scratch.panels.resize(m.div_ceil(2 * PANEL) * 2 * self.steps * PANEL * 4, 0);
        pack_panels(&scratch.queries, width, m, &mut scratch.panels);
        // Only the tiles on or above the diagonal; the rest is their mirror.
        products(
            self.amx,
            self.steps,
            &scratch.queries,
            &scratch.panels,
            m,
            m,
            |q, c| c + 2 * PANEL > q,
            |q, c, rows, cols, tile| {
                for (r, dots) in tile.iter().enumerate().take(rows) {
                    let a = q + r;
                    let shift = self.shifts[ids[a] as usize];
                    for (j, &dot) in dots.iter().enumerate().take(cols).skip(a.saturating_sub(c)) {
                        let b = c + j;
                        let v = f64::from(dot) + shift;
                        out[a * m + b] = v;
                        out[b * m + a] = v;
                    }
                }
            },
        );
    }
}

/// Rows per part of [`scatter`]: each part's columns are rows of this many bytes, well inside
/// [`MAX_COLS`].
const SCATTER_ROWS: usize = 8192;

/// The scatter matrix `XᵀX` (`d × d`, row-major) of the byte rows `values` (`n × d`) and the
/// column sums, each entry an exact integer (below 2⁵³ up to about 10⁸ rows), or `None` where
/// [`ByteRows::new`] is. The rows are cut into parts of [`SCATTER_ROWS`]; each part's columns, as
/// byte rows, give their [`ByteRows::gram`] (and their sums, from its shifts), and the parts'
/// integer sums are added (in any order: they are exact).
pub(crate) fn scatter(values: &[f32], n: usize, d: usize) -> Option<(Vec<f64>, Vec<f64>)> {
    use rayon::prelude::*;
    if !available() || d == 0 || n == 0 || !super::nndescent::is_bytes(values) {
        return None;
    }
    let amx = amx_ready();
    let ids: Vec<u32> = (0..d as u32).collect();
    let parts = values.par_chunks(SCATTER_ROWS * d).map(|part| {
        let columns = ByteRows::padded(d, part.len() / d, amx, |columns, width| {
            // The transpose by blocks of 64 rows: 64 contiguous bytes written per column.
            for (b, block) in part.chunks(64 * d).enumerate() {
                let m = block.len() / d;
                for (c, column) in columns.chunks_exact_mut(width).take(d).enumerate() {
                    for (o, row) in column[b * 64..][..m].iter_mut().zip(block.chunks_exact(d)) {
                        *o = row[c] as u8;
                    }
                }
            }
        });
        let mut out = vec![0.0f64; d * d];
        columns.gram(&ids, &mut GramScratch::default(), &mut out);
        (out, columns.shifts.iter().map(|s| s / 128.0).collect::<Vec<f64>>())
    });
    let add = |a: &mut Vec<f64>, b: Vec<f64>| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
    Some(parts.reduce(
        || (vec![0.0f64; d * d], vec![0.0f64; d]),
        |(mut g, mut s), (h, t)| {
            add(&mut g, h);
            add(&mut s, t);
            (g, s)
        },
    ))
}

/// The packed rows of [`ByteRows::gram`], kept between calls.
#[derive(Default)]
pub(crate) struct GramScratch {
    queries: Vec<u8>,
    panels: Vec<i8>,
}

/// Packs rows `0..n` of `rows` (stride `width`) as panels: `[panel][step][lane][4 bytes]`, each
/// byte shifted by −128 (its top bit flipped). Lanes past `n` keep what `panels` held.
fn pack_panels(rows: &[u8], width: usize, n: usize, panels: &mut [i8]) {
    let steps = width / 4;
    let panel_len = steps * PANEL * 4;
    for (i, q) in rows.chunks_exact(width).take(n).enumerate() {
        let (panel, lane) = (&mut panels[i / PANEL * panel_len..][..panel_len], i % PANEL);
        for (s, four) in q.chunks_exact(4).enumerate() {
            for (o, &v) in panel[(s * PANEL + lane) * 4..][..4].iter_mut().zip(four) {
                *o = (v ^ 0x80) as i8;
            }
        }
    }
}

/// The dot products of query rows `0..nq` of `queries` (stride `4 · steps`; on AMX readable for
/// `AMX_ROWS` rows from each tile's first) with panel rows `0..nr` of `panels`, a tile at a time:
/// `finish(q, c, rows, cols, tile)` receives `tile[r][j] = q_{q+r} · (p_{c+j} − 128)` for
/// `r < rows`, `j < cols`, for each tile where `wanted(q, c)`.
#[allow(clippy::too_many_arguments)]
fn products(
    amx: bool,
    steps: usize,
    queries: &[u8],
    panels: &[i8],
    nq: usize,
    nr: usize,
    wanted: impl Fn(usize, usize) -> bool,
    mut finish: impl FnMut(usize, usize, usize, usize, &[[i32; 2 * PANEL]]),
) {
    let width = 4 * steps;
    let panel_len = steps * PANEL * 4;
    let mut tile = [[0i32; 2 * PANEL]; AMX_ROWS];
    let tile_rows = if amx { AMX_ROWS } else { TILE_ROWS };
    if amx {
        // SAFETY: `amx` is set only where AMX is ready.
        unsafe { amx::configure() };
    }
    for c0 in (0..nr).step_by(2 * PANEL) {
        let panels = &panels[c0 / PANEL * panel_len..][..2 * panel_len];
        let cols = (2 * PANEL).min(nr - c0);
        let mut qi = 0;
        while qi < nq {
            let rows = tile_rows.min(nq - qi);
            if !wanted(qi, c0) {
                qi += rows;
                continue;
            }
            // SAFETY: the rows come from `ByteRows`, which exist only where AVX-512 VNNI is
            // available and set `amx` only where AMX is; the slices hold `rows` query rows (AMX:
            // `AMX_ROWS`, the padding past the last row) and two panels of `steps` steps.
            unsafe {
                if amx {
                    amx::tile_dots(&queries[qi * width..][..AMX_ROWS * width], width, panels, steps, &mut tile);
                } else if rows == TILE_ROWS {
                    let queries = &queries[qi * width..][..rows * width];
                    let tile: &mut [[i32; 2 * PANEL]; TILE_ROWS] = (&mut tile[..TILE_ROWS]).try_into().expect("TILE_ROWS rows");
                    tile_dots::<TILE_ROWS>(queries, width, panels, steps, tile);
                } else {
                    let queries = &queries[qi * width..][..rows * width];
                    for r in 0..rows {
                        let one: &mut [[i32; 2 * PANEL]; 1] = (&mut tile[r..r + 1]).try_into().expect("one row");
                        tile_dots::<1>(&queries[r * width..][..width], width, panels, steps, one);
                    }
                }
            }
            finish(qi, c0, rows, cols, &tile[..rows]);
            qi += rows;
        }
    }
    if amx {
        // SAFETY: as above.
        unsafe { amx::release() };
    }
}

/// Byte rows packed for [`BytePanels::block`].
pub(crate) struct BytePanels {
    rows: ByteRows,
    /// [`pack_panels`] of every row; the last panels are padded to an even count.
    panels: Vec<i8>,
    /// `|r|²`, integers held exactly in `f64` (below 2⁵³), so that a distance is a few vector
    /// operations.
    norms: Vec<f64>,
    /// The norms in `i32`, for rows short enough that every distance and partial sum fits
    /// ([`I32_COLS`]; empty otherwise): the distances are then finished in integer lanes, 16 a
    /// vector instead of 8 in `f64`, and rounded to `f32` by the same single rounding of the same
    /// integer.
    norms_i32: Vec<i32>,
}

/// The longest padded row whose distances finish in `i32`: `|q|² + |r|²` and `2 q·r` are at most
/// `2 · 255² · d`, below 2³¹ for `d` up to 16,513.
const I32_COLS: usize = 16_384;

impl BytePanels {
    /// The rows of `values` (`n × d`) packed, or `None` where [`ByteRows::new`] is.
    pub(crate) fn new(values: &[f32], n: usize, d: usize) -> Option<BytePanels> {
        BytePanels::with_amx(values, n, d, amx_ready())
    }

    /// [`BytePanels::new`], on AMX tiles if `amx` (which [`amx::ready`] must allow).
    fn with_amx(values: &[f32], n: usize, d: usize, amx: bool) -> Option<BytePanels> {
        let rows = ByteRows::with_amx(values, n, d, amx)?;
        let width = rows.width();
        let mut panels = vec![0i8; n.div_ceil(2 * PANEL) * 2 * rows.steps * PANEL * 4];
        pack_panels(&rows.rows, width, n, &mut panels);
        let norms: Vec<f64> = rows.rows.chunks_exact(width).take(n).map(|q| q.iter().map(|&v| u64::from(v) * u64::from(v)).sum::<u64>() as f64).collect();
        let norms_i32 = if width <= I32_COLS { norms.iter().map(|&v| v as i32).collect() } else { Vec::new() };
        Some(BytePanels { rows, panels, norms, norms_i32 })
    }

    /// The squared distances of query rows `q0..q0 + nq` to reference rows `r0..r0 + nr`
    /// (`r0` a multiple of `2 · PANEL`) into `out` (`nq × nr`, row-major), each exact and then
    /// rounded to `f32`.
    pub(crate) fn block(&self, q0: usize, nq: usize, r0: usize, nr: usize, out: &mut [f32]) {
        let rows = &self.rows;
        assert!(r0.is_multiple_of(2 * PANEL) && q0 + nq <= rows.n && r0 + nr <= rows.n && out.len() >= nq * nr);
        let panel_len = rows.steps * PANEL * 4;
        let queries = &rows.rows[q0 * rows.width()..];
        let panels = &self.panels[r0 / PANEL * panel_len..];
        products(
            rows.amx,
            rows.steps,
            queries,
            panels,
            nq,
            nr,
            |_, _| true,
            |qi, c0, n_rows, cols, tile| {
                for (r, dots) in tile.iter().enumerate().take(n_rows) {
                    let i = q0 + qi + r;
                    let row = &mut out[(qi + r) * nr + c0..][..cols];
                    if self.norms_i32.is_empty() {
                        let (norm, shift) = (self.norms[i], rows.shifts[i]);
                        // Every term and partial sum is an integer below 2⁵³: exact, then rounded once.
                        for ((o, &dot), &other) in row.iter_mut().zip(dots).zip(&self.norms[r0 + c0..]) {
                            *o = (norm + other - 2.0 * (f64::from(dot) + shift)) as f32;
                        }
                    } else {
                        let (norm, shift) = (self.norms_i32[i], rows.shifts[i] as i32);
                        // Below 2³¹ throughout (I32_COLS): exact, then rounded once, as above.
                        for ((o, &dot), &other) in row.iter_mut().zip(dots).zip(&self.norms_i32[r0 + c0..]) {
                            *o = (norm + other - 2 * (dot + shift)) as f32;
                        }
                    }
                }
            },
        );
    }
}

/// Whether [`BytePanels`] multiply on AMX tiles on this machine.
pub(crate) fn amx_ready() -> bool {
    available() && amx::ready()
}

/// Query rows per AMX step: two tiles of 16.
const AMX_ROWS: usize = 32;

/// The dot products on AMX tiles (x86-64 Linux).
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod amx {
    use super::{AMX_ROWS, PANEL};
    use std::arch::asm;
    use std::sync::OnceLock;

    /// Whether the processor has AMX-INT8 and the kernel granted this process the tile state
    /// (`arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)`, asked once).
    pub(super) fn ready() -> bool {
        static READY: OnceLock<bool> = OnceLock::new();
        *READY.get_or_init(|| {
            // CPUID leaf 7: EDX bit 24 is AMX-TILE, bit 25 AMX-INT8.
            let edx = std::arch::x86_64::__cpuid_count(7, 0).edx;
            if edx & (3 << 24) != 3 << 24 {
                return false;
            }
            let (sys_arch_prctl, arch_req_xcomp_perm, xfeature_xtiledata) = (158i64, 0x1023u64, 18u64);
            let ret: i64;
            // SAFETY: the arch_prctl system call only records the permission; it reads and writes
            // no memory of this process.
            unsafe {
                asm!("syscall", inlateout("rax") sys_arch_prctl => ret, in("rdi") arch_req_xcomp_perm, in("rsi") xfeature_xtiledata,
                     lateout("rcx") _, lateout("r11") _, options(nostack));
            }
            ret == 0
        })
    }

    /// The tile configuration (palette 1): tiles 0–7 of 16 rows of 64 bytes.
    #[repr(C, align(64))]
    struct Config {
        palette: u8,
        start_row: u8,
        reserved: [u8; 14],
        colsb: [u16; 16],
        rows: [u8; 16],
    }

    /// Loads the tile configuration [`tile_dots`] uses (once per block of products: loading it
    /// costs about as much as a tile's products).
    ///
    /// # Safety
    /// [`ready`] must be true.
    pub(super) unsafe fn configure() {
        let mut config = Config { palette: 1, start_row: 0, reserved: [0; 14], colsb: [0; 16], rows: [0; 16] };
        config.colsb[..8].fill(64);
        config.rows[..8].fill(16);
        // SAFETY: the configuration is 64 readable bytes; AMX is ready (the caller's contract).
        unsafe { asm!("ldtilecfg [{}]", in(reg) &raw const config, options(nostack, readonly)) };
    }

    /// Releases the tiles [`configure`] set up.
    ///
    /// # Safety
    /// [`ready`] must be true.
    pub(super) unsafe fn release() {
        // SAFETY: AMX is ready (the caller's contract).
        unsafe { asm!("tilerelease", options(nostack, nomem)) };
    }

    /// `out[m][c] = Σ q_m · (r_c − 128)` for the `AMX_ROWS` query rows from `queries` (stride
    /// `width`) and the `2 · PANEL` rows of two consecutive panels of `steps` steps.
    ///
    /// # Safety
    /// [`configure`] must have run on this thread since the last [`release`]; `steps` is a
    /// multiple of 16, `queries` holds `AMX_ROWS` rows of `width = 4 · steps` bytes and `panels`
    /// two panels.
    pub(super) unsafe fn tile_dots(queries: &[u8], width: usize, panels: &[i8], steps: usize, out: &mut [[i32; 2 * PANEL]; AMX_ROWS]) {
        debug_assert!(steps.is_multiple_of(16) && width == 4 * steps && queries.len() >= AMX_ROWS * width && panels.len() >= 2 * steps * PANEL * 4);
        let (q, a) = (queries.as_ptr(), panels.as_ptr());
        let b = a.wrapping_add(steps * PANEL * 4);
        // SAFETY: tiles 0 and 1 are 16 query rows of 64 bytes (inside `queries`), tiles 2 and 3
        // 16 steps of a panel (1,024 bytes inside `panels`); 4–7 accumulate the four 16 × 16
        // blocks of `out`, stored with its row stride.
        unsafe {
            asm!("tilezero tmm4", "tilezero tmm5", "tilezero tmm6", "tilezero tmm7", options(nostack, nomem));
            for kc in 0..steps / 16 {
                asm!(
                    "tileloadd tmm0, [{q0} + {w}*1]",
                    "tileloadd tmm1, [{q1} + {w}*1]",
                    "tileloadd tmm2, [{pa} + {s}*1]",
                    "tileloadd tmm3, [{pb} + {s}*1]",
                    "tdpbusd tmm4, tmm0, tmm2",
                    "tdpbusd tmm5, tmm0, tmm3",
                    "tdpbusd tmm6, tmm1, tmm2",
                    "tdpbusd tmm7, tmm1, tmm3",
                    q0 = in(reg) q.add(kc * 64),
                    q1 = in(reg) q.add(16 * width + kc * 64),
                    w = in(reg) width,
                    pa = in(reg) a.add(kc * 1024),
                    pb = in(reg) b.add(kc * 1024),
                    s = in(reg) 64usize,
                    options(nostack, readonly),
                );
            }
            let o = out.as_mut_ptr().cast::<u8>();
            asm!(
                "tilestored [{o0} + {s}*1], tmm4",
                "tilestored [{o1} + {s}*1], tmm5",
                "tilestored [{o2} + {s}*1], tmm6",
                "tilestored [{o3} + {s}*1], tmm7",
                o0 = in(reg) o,
                o1 = in(reg) o.add(64),
                o2 = in(reg) o.add(16 * 128),
                o3 = in(reg) o.add(16 * 128 + 64),
                s = in(reg) 128usize,
                options(nostack),
            );
        }
    }
}

/// Without AMX support: never ready.
#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
mod amx {
    use super::{AMX_ROWS, PANEL};

    pub(super) fn ready() -> bool {
        false
    }

    pub(super) unsafe fn configure() {
        unreachable!("AMX is never ready here")
    }

    pub(super) unsafe fn release() {
        unreachable!("AMX is never ready here")
    }

    pub(super) unsafe fn tile_dots(_: &[u8], _: usize, _: &[i8], _: usize, _: &mut [[i32; 2 * PANEL]; AMX_ROWS]) {
        unreachable!("AMX is never ready here")
    }
}

/// Whether this machine runs [`tile_dots`].
fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// `out[m][c] = Σ q_m · (r_c − 128)` for `R` query rows (stride `width`) and the `2 · PANEL`
/// rows of two consecutive panels of `steps` steps.
///
/// # Safety
/// AVX-512F and AVX-512 VNNI must be available; `queries` holds `R` rows of `width ≥ 4 · steps`
/// bytes and `panels` two panels.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vnni")]
unsafe fn tile_dots<const R: usize>(queries: &[u8], width: usize, panels: &[i8], steps: usize, out: &mut [[i32; 2 * PANEL]; R]) {
    use std::arch::x86_64::*;
    debug_assert!(queries.len() >= (R - 1) * width + 4 * steps && panels.len() >= 2 * steps * PANEL * 4);
    let (a, b) = (panels.as_ptr(), panels.as_ptr().wrapping_add(steps * PANEL * 4));
    let mut acc = [[_mm512_setzero_si512(); 2]; R];
    for s in 0..steps {
        // SAFETY: step s of each panel is 64 bytes inside `panels`; bytes 4s..4s + 4 of each
        // query row are inside `queries` (the caller's contract).
        unsafe {
            let (pa, pb) = (_mm512_loadu_si512(a.add(s * 64).cast()), _mm512_loadu_si512(b.add(s * 64).cast()));
            for (m, acc) in acc.iter_mut().enumerate() {
                let q = _mm512_set1_epi32(queries.as_ptr().add(m * width + 4 * s).cast::<i32>().read_unaligned());
                acc[0] = _mm512_dpbusd_epi32(acc[0], q, pa);
                acc[1] = _mm512_dpbusd_epi32(acc[1], q, pb);
            }
        }
    }
    for (o, acc) in out.iter_mut().zip(&acc) {
        // SAFETY: each half of `o` holds 16 i32.
        unsafe {
            _mm512_storeu_si512(o.as_mut_ptr().cast(), acc[0]);
            _mm512_storeu_si512(o.as_mut_ptr().add(PANEL).cast(), acc[1]);
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn tile_dots<const R: usize>(_: &[u8], _: usize, _: &[i8], _: usize, _: &mut [[i32; 2 * PANEL]; R]) {
    unreachable!("BytePanels::new returns None off x86_64")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_equal_brute_force() {
        // Row lengths around multiples of 4, bytes at both ends of the range, and blocks whose
        // query and reference counts leave partial tiles and panels; rows past I32_COLS finish
        // their distances in f64.
        // Both the AVX-512 VNNI and the AMX paths, where the machine has them.
        for (n, d, amx) in [(45, 1), (70, 3), (77, 4), (100, 13), (66, 784), (40, I32_COLS + 13), (45, 64), (70, 65)]
            .into_iter()
            .flat_map(|(n, d)| [(n, d, false), (n, d, true)])
            .filter(|&(.., amx)| !amx || amx::ready())
        {
            let values: Vec<f32> = (0..n * d).map(|i| ((i * 7919 + i / 3) % 256) as f32).collect();
            let Some(p) = BytePanels::with_amx(&values, n, d, amx) else { return };
            let brute = |i: usize, j: usize| -> i64 { (0..d).map(|c| (values[i * d + c] as i64 - values[j * d + c] as i64).pow(2)).sum() };
            for (q0, nq, r0, nr) in [(0, n, 0, n), (3, 9, 32, n - 32), (n - 1, 1, 0, 33)] {
                let mut out = vec![f32::NAN; nq * nr];
                p.block(q0, nq, r0, nr, &mut out);
                for qi in 0..nq {
                    for rj in 0..nr {
                        assert_eq!(out[qi * nr + rj], brute(q0 + qi, r0 + rj) as f32, "n {n}, d {d}, AMX {amx}, query {}, reference {}", q0 + qi, r0 + rj);
                    }
                }
            }
        }
        // Gram matrices of chosen rows (repeats, every order, counts around the tiles' 32 and
        // the VNNI tiles' 8), one scratch for all, against integer sums.
        for (n, d, amx) in
            [(70, 13), (120, 784), (40, 65)].into_iter().flat_map(|(n, d)| [(n, d, false), (n, d, true)]).filter(|&(.., amx)| !amx || amx::ready())
        {
            let values: Vec<f32> = (0..n * d).map(|i| ((i * 7919 + i / 3) % 256) as f32).collect();
            let Some(rows) = ByteRows::with_amx(&values, n, d, amx) else { return };
            let mut scratch = GramScratch::default();
            for m in [1, 7, 8, 33, 64, 100] {
                let ids: Vec<u32> = (0..m).map(|a| ((a * 37 + m) % n) as u32).collect();
                let mut out = vec![f64::NAN; m * m];
                rows.gram(&ids, &mut scratch, &mut out);
                for a in 0..m {
                    for b in 0..m {
                        let (i, j) = (ids[a] as usize * d, ids[b] as usize * d);
                        let dot: i64 = (0..d).map(|c| values[i + c] as i64 * values[j + c] as i64).sum();
                        assert_eq!(out[a * m + b], dot as f64, "n {n}, d {d}, AMX {amx}, m {m}, a {a}, b {b}");
                    }
                }
            }
        }
        // Scatter matrices, across parts of SCATTER_ROWS rows, against integer sums.
        for (n, d) in [(5, 3), (SCATTER_ROWS + 70, 20)] {
            let values: Vec<f32> = (0..n * d).map(|i| ((i * 7919 + i / 3) % 256) as f32).collect();
            let Some((g, sums)) = scatter(&values, n, d) else { return };
            for a in 0..d {
                assert_eq!(sums[a], (0..n).map(|i| values[i * d + a] as i64).sum::<i64>() as f64, "n {n}, d {d}, column {a}");
                for b in 0..d {
                    let want: i64 = (0..n).map(|i| values[i * d + a] as i64 * values[i * d + b] as i64).sum();
                    assert_eq!(g[a * d + b], want as f64, "n {n}, d {d}, ({a}, {b})");
                }
            }
        }
        assert!(scatter(&[0.5, 1.0], 1, 2).is_none());
        // Values that are not bytes are refused.
        for bad in [0.5, 256.0, -1.0, f32::NAN] {
            assert!(BytePanels::new(&[3.0, bad], 1, 2).is_none(), "{bad}");
        }
        // The extremes: 0 against 255 in every column, and 255 against itself (the largest
        // intermediate sums), at the longest rows finished in i32.
        for (d, amx) in [(1000, false), (I32_COLS, false), (1000, true), (I32_COLS, true)] {
            if amx && !amx::ready() {
                continue;
            }
            let values: Vec<f32> = (0..3 * d).map(|i| if i < d { 0.0 } else { 255.0 }).collect();
            if let Some(p) = BytePanels::with_amx(&values, 3, d, amx) {
                let mut out = [0.0; 9];
                p.block(0, 3, 0, 3, &mut out);
                let far = (d * 255 * 255) as f32;
                assert_eq!(out, [0.0, far, far, far, 0.0, 0.0, far, 0.0, 0.0], "d {d}, AMX {amx}");
            }
        }
    }
}
