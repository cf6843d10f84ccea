//! IDX files (the MNIST format), optionally gzipped.
//!
//! Layout: two zero bytes, a type code (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32,
//! 0x0E f64), the number of dimensions, each dimension as a big-endian u32, then the values in
//! big-endian row-major order. The first dimension is the rows; the rest are flattened into
//! columns (28 × 28 images become 784 columns). A 1-D file is read as one column.

use std::path::Path;

use super::npy::{TypeChar, convert_to_f32};
use super::{Matrix, maybe_gunzip, read_file};
use crate::error::{Error, Result};

/// Reads an IDX file from disk.
pub fn read_idx(path: &Path) -> Result<Matrix> {
    read_idx_bytes(read_file(path)?, path)
}

/// Reads IDX (or gzipped IDX) bytes; `path` names the source in error messages.
pub fn read_idx_bytes(bytes: Vec<u8>, path: &Path) -> Result<Matrix> {
    let bytes = maybe_gunzip(bytes, path)?;
    if bytes.is_empty() {
        return Err(Error::format(path, "the file is empty"));
    }
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
        return Err(Error::format(path, "not an IDX file (it must start with two zero bytes, a type code and the number of dimensions)"));
    }
    let (tc, item) = match bytes[2] {
        0x08 => (TypeChar::Uint, 1),
        0x09 => (TypeChar::Int, 1),
        0x0B => (TypeChar::Int, 2),
        0x0C => (TypeChar::Int, 4),
        0x0D => (TypeChar::Float, 4),
        0x0E => (TypeChar::Float, 8),
        t => return Err(Error::format(path, format!("unknown IDX type code 0x{t:02X} at byte 2"))),
    };
    let ndim = bytes[3] as usize;
    if ndim == 0 {
        return Err(Error::format(path, "IDX header declares 0 dimensions"));
    }
    let header_len = 4 + 4 * ndim;
    if bytes.len() < header_len {
        return Err(Error::format(path, format!("truncated IDX header: {ndim} dimensions need {header_len} bytes, the file has {}", bytes.len())));
    }
    let dims: Vec<usize> = (0..ndim).map(|i| u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize).collect();
    let n = dims[0];
    // Checked: 255 dimensions of up to 2^32 each overflow any integer, and a product that wrapped
    // around could match the file's length.
    let d = dims[1..].iter().try_fold(1usize, |acc, &x| acc.checked_mul(x));
    let body_len = d.and_then(|d| d.checked_mul(n)).and_then(|c| c.checked_mul(item));
    let available = bytes.len() - header_len;
    let (Some(d), Some(body_len)) = (d, body_len) else {
        return Err(Error::format(path, format!("the header declares shape {dims:?}, more than 2^64 bytes of data, but {available} bytes follow it")));
    };
    if available != body_len {
        return Err(Error::format(
            path,
            format!(
                "{}: the header declares shape {dims:?} ({body_len} bytes of data) but {available} bytes follow it",
                if available < body_len { "truncated" } else { "wrong size" }
            ),
        ));
    }
    let values = convert_to_f32(&bytes[header_len..], tc, item, true);
    Ok(Matrix::owned(values, n, d, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IDX header of `u8` values with dimensions `dims`, followed by `body`.
    fn idx(dims: &[u32], body: &[u8]) -> Vec<u8> {
        let mut out = vec![0, 0, 0x08, dims.len() as u8];
        dims.iter().for_each(|d| out.extend_from_slice(&d.to_be_bytes()));
        out.extend_from_slice(body);
        out
    }

    fn message(bytes: Vec<u8>) -> String {
        read_idx_bytes(bytes, Path::new("x-ubyte")).err().expect("refused").to_string()
    }

    #[test]
    fn shapes_are_checked_against_the_length_before_anything_is_allocated() {
        // 2^60 items: 2^30 × 2^30, fits in 64 bits but not in the 4 bytes that follow.
        let e = message(idx(&[1 << 30, 1 << 30], &[1, 2, 3, 4]));
        assert!(e.starts_with("x-ubyte: truncated") && e.contains("1152921504606846976 bytes of data") && e.contains("4 bytes follow"), "{e}");
        // A product beyond 64 bits, which would wrap around without checked arithmetic: 2^32 − 1
        // to the 3rd power; 2^64 exactly (2^16 ⋅ 2^16 ⋅ 2^16 ⋅ 2^16) wraps to 0 and an empty body.
        let e = message(idx(&[u32::MAX, u32::MAX, u32::MAX], &[]));
        assert!(e.contains("more than 2^64 bytes") && e.contains("0 bytes follow"), "{e}");
        let e = message(idx(&[1 << 16; 4], &[]));
        assert!(e.contains("more than 2^64 bytes"), "{e}");
        // 255 dimensions of 2.
        let e = message(idx(&[2; 255], &[0; 8]));
        assert!(e.contains("more than 2^64 bytes"), "{e}");
        // And a header that fits its body is read.
        let m = read_idx_bytes(idx(&[2, 1, 3], &[1, 2, 3, 4, 5, 6]), Path::new("x-ubyte")).unwrap();
        assert_eq!((m.n_rows(), m.n_cols(), m.values()), (2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0][..]));
    }
}
