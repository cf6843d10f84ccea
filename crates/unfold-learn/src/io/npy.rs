//! NumPy `.npy` files (format versions 1–3).
//!
//! Float32 little-endian C-order arrays are memory-mapped and used in place; every other numeric
//! dtype (float16/32/64, int8–64, uint8–64, bool; either byte order; C or Fortran order) is
//! converted to row-major `f32`. The header is parsed by [`header`]; the body is checked against the
//! header's size before it is read, so a truncated file is reported, not read past.

mod header;

use std::path::Path;

use rayon::prelude::*;

use super::{AnyMatrix, Matrix, MatrixF64, Storage};
use crate::error::{Error, Result};
pub(crate) use header::{Header, TypeChar, parse_header};

/// Reads a 2-D numeric `.npy` file.
pub fn read_npy(path: &Path) -> Result<Matrix> {
    read_npy_shaped(path, false)
}

/// Reads a numeric `.npy` file that is 2-D, or 1-D when `one_d` (then it is one column).
pub(crate) fn read_npy_shaped(path: &Path, one_d: bool) -> Result<Matrix> {
    Ok(narrow(open_checked(path, one_d)?, path))
}

/// A `.npy` file whose header, dtype and body length have been checked.
struct Checked {
    map: memmap2::Mmap,
    h: Header,
    n: usize,
    d: usize,
}

/// Maps `path` and checks it: a 2-D (or, with `one_d`, 1-D) numeric array whose body has exactly
/// the header's size.
fn open_checked(path: &Path, one_d: bool) -> Result<Checked> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    // SAFETY: the map is read-only; a file truncated by another process while mapped is the
    // usual caveat of memory maps and the same risk every mmap-based reader takes.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
    let h = parse_header(&map, path)?;
    let (n, d) = match h.shape[..] {
        [n, d] => (n, d),
        [n] if one_d => (n, 1),
        _ => {
            return Err(Error::format(
                path,
                format!(
                    "expected a {}2-D array (rows × columns), got {}-D shape {:?}{}",
                    if one_d { "1-D or " } else { "" },
                    h.shape.len(),
                    h.shape,
                    if h.shape.len() == 1 { "; reshape it to (n, 1) or (1, n)" } else { "" }
                ),
            ));
        }
    };
    let item = match (h.type_char, h.size) {
        (TypeChar::Float, 2 | 4 | 8) | (TypeChar::Int | TypeChar::Uint, 1 | 2 | 4 | 8) | (TypeChar::Bool, 1) => h.size,
        _ => return Err(header::unsupported(path, &h.descr)),
    };
    let body_len = n
        .checked_mul(d)
        .and_then(|c| c.checked_mul(item))
        .ok_or_else(|| Error::format(path, format!("the header's shape ({n}, {d}) is too large: {n} × {d} values of {item} bytes exceed 2^64 bytes")))?;
    let available = map.len() - h.offset;
    if available < body_len {
        return Err(Error::format(
            path,
            format!("truncated: the header says {n} × {d} values of {item} bytes ({body_len} bytes), but only {available} bytes follow it"),
        ));
    }
    if available > body_len {
        return Err(Error::format(path, format!("{} unexpected bytes after the {n} × {d} array", available - body_len)));
    }
    Ok(Checked { map, h, n, d })
}

/// The values as `f32`: float32 little-endian C-order files in place, others converted.
fn narrow(c: Checked, path: &Path) -> Matrix {
    let Checked { map, h, n, d } = c;
    let little = !h.big_endian || h.size == 1;
    if h.type_char == TypeChar::Float && h.size == 4 && little && !h.fortran && h.offset % 4 == 0 && cfg!(target_endian = "little") {
        return Matrix { storage: Storage::Mapped { map, offset: h.offset }, n_rows: n, n_cols: d, path: path.to_path_buf() };
    }
    let mut values = convert_to_f32(&map[h.offset..], h.type_char, h.size, h.big_endian);
    if h.fortran && n > 1 && d > 1 {
        values = transpose(&values, d, n);
    }
    Matrix::owned(values, n, d, path)
}

/// Reads a 2-D (or, with `one_d`, 1-D) `.npy` file in the precision its values need: `f64` when
/// its dtype holds values `f32` would round (float64, 32- and 64-bit integers), else `f32` as
/// [`read_npy`] reads it.
pub(crate) fn read_npy_precise(path: &Path, one_d: bool) -> Result<AnyMatrix> {
    let c = open_checked(path, one_d)?;
    if !matches!((c.h.type_char, c.h.size), (TypeChar::Float, 8) | (TypeChar::Int | TypeChar::Uint, 4 | 8)) {
        return Ok(AnyMatrix::F32(narrow(c, path)));
    }
    let Checked { map, h, n, d } = c;
    macro_rules! conv {
        ($t:ty) => {
            map[h.offset..]
                .par_chunks_exact(std::mem::size_of::<$t>())
                .map(|c| {
                    let a = c.try_into().unwrap();
                    (if h.big_endian { <$t>::from_be_bytes(a) } else { <$t>::from_le_bytes(a) }) as f64
                })
                .collect::<Vec<f64>>()
        };
    }
    let mut values = match (h.type_char, h.size) {
        (TypeChar::Float, _) => conv!(f64),
        (TypeChar::Int, 4) => conv!(i32),
        (TypeChar::Int, _) => conv!(i64),
        (TypeChar::Uint, 4) => conv!(u32),
        _ => conv!(u64),
    };
    if h.fortran && n > 1 && d > 1 {
        values = transpose(&values, d, n);
    }
    Ok(AnyMatrix::F64(MatrixF64 { values, n_rows: n, n_cols: d, path: path.to_path_buf() }))
}

/// Converts raw little/big-endian elements to `f32`, in parallel.
pub(crate) fn convert_to_f32(body: &[u8], tc: TypeChar, item: usize, big: bool) -> Vec<f32> {
    macro_rules! conv {
        ($t:ty) => {{
            let n = std::mem::size_of::<$t>();
            body.par_chunks_exact(n)
                .map(|c| {
                    let a = c.try_into().unwrap();
                    (if big { <$t>::from_be_bytes(a) } else { <$t>::from_le_bytes(a) }) as f32
                })
                .collect()
        }};
    }
    match (tc, item) {
        (TypeChar::Float, 2) => body
            .par_chunks_exact(2)
            .map(|c| {
                let bits = if big { u16::from_be_bytes([c[0], c[1]]) } else { u16::from_le_bytes([c[0], c[1]]) };
                f16_to_f32(bits)
            })
            .collect(),
        (TypeChar::Float, 4) => conv!(f32),
        (TypeChar::Float, 8) => conv!(f64),
        (TypeChar::Int, 1) => body.par_iter().map(|&b| b as i8 as f32).collect(),
        (TypeChar::Int, 2) => conv!(i16),
        (TypeChar::Int, 4) => conv!(i32),
        (TypeChar::Int, 8) => conv!(i64),
        (TypeChar::Uint, 1) => body.par_iter().map(|&b| b as f32).collect(),
        (TypeChar::Uint, 2) => conv!(u16),
        (TypeChar::Uint, 4) => conv!(u32),
        (TypeChar::Uint, 8) => conv!(u64),
        (TypeChar::Bool, 1) => body.par_iter().map(|&b| (b != 0) as u8 as f32).collect(),
        _ => unreachable!("dtype checked by the caller"),
    }
}

/// IEEE half to single precision (exact).
fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let frac = (h & 0x3ff) as u32;
    let bits = match exp {
        0 if frac == 0 => sign,
        0 => {
            // subnormal: value = frac · 2^-24
            let v = frac as f32 * (1.0 / 16_777_216.0);
            return if sign != 0 { -v } else { v };
        }
        0x1f => sign | 0x7f80_0000 | (frac << 13),
        _ => sign | ((exp + 112) << 23) | (frac << 13),
    };
    f32::from_bits(bits)
}

/// Column-major `n × d` (stored as `d` runs of `n`) to row-major.
fn transpose<T: Copy + Default + Send + Sync>(col_major: &[T], d: usize, n: usize) -> Vec<T> {
    let mut out = vec![T::default(); n * d];
    out.par_chunks_mut(d).enumerate().for_each(|(i, row)| {
        for (j, v) in row.iter_mut().enumerate() {
            *v = col_major[j * n + i];
        }
    });
    out
}

fn npy_header(descr: &str, n: usize, d: usize) -> Vec<u8> {
    npy_header_shape(descr, &format!("({n}, {d})"))
}

fn npy_header_shape(descr: &str, shape: &str) -> Vec<u8> {
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    // Pad so that magic (6) + version (2) + length (2) + dict + '\n' is a multiple of 64.
    let unpadded = 10 + dict.len() + 1;
    let pad = (64 - unpadded % 64) % 64;
    let mut h = Vec::with_capacity(unpadded + pad);
    h.extend_from_slice(b"\x93NUMPY\x01\x00");
    h.extend_from_slice(&((dict.len() + pad + 1) as u16).to_le_bytes());
    h.extend_from_slice(dict.as_bytes());
    h.extend(std::iter::repeat_n(b' ', pad));
    h.push(b'\n');
    h
}

/// A complete `.npy` file (version 1.0, `<f4`, C order) for an `n × d` matrix.
pub fn npy_bytes_f32(values: &[f32], n: usize, d: usize) -> Vec<u8> {
    let mut out = npy_header("<f4", n, d);
    out.reserve(values.len() * 4);
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// A complete `.npy` file (version 1.0, `<f8`) for a vector of shape `(n,)`.
pub fn npy_bytes_f64_vector(values: &[f64]) -> Vec<u8> {
    let mut out = npy_header_shape("<f8", &format!("({},)", values.len()));
    out.reserve(values.len() * 8);
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// A complete `.npy` file (version 1.0, `<i8`, C order) for an `n × d` integer matrix.
pub fn npy_bytes_i64(values: &[i64], n: usize, d: usize) -> Vec<u8> {
    let mut out = npy_header("<i8", n, d);
    out.reserve(values.len() * 8);
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
        assert!(f16_to_f32(0x7c00).is_infinite());
    }

    #[test]
    fn header_is_aligned() {
        assert_eq!(npy_header("<f4", 70000, 784).len() % 64, 0);
        let v = npy_bytes_f64_vector(&[1.5, -2.0]);
        let header = v.len() - 16;
        assert_eq!(header % 64, 0);
        assert!(std::str::from_utf8(&v[10..header]).unwrap().contains("'descr': '<f8', 'fortran_order': False, 'shape': (2,)"));
        assert_eq!(&v[header..header + 8], &1.5f64.to_le_bytes());
    }
}
