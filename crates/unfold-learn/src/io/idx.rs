//! IDX files (the MNIST format), optionally gzipped.
//!
//! Layout: two zero bytes, a type code (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32,
//! 0x0E f64), the number of dimensions, each dimension as a big-endian u32, then the values in
//! big-endian row-major order. The first dimension is the rows; the rest are flattened into
//! columns (28 × 28 images become 784 columns). A 1-D file is read as one column.

use std::path::Path;

use npyz::TypeChar;

use super::npy::convert_to_f32;
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
    let dims: Vec<usize> =
        (0..ndim).map(|i| u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize).collect();
    let n = dims[0];
    let d: usize = dims[1..].iter().product();
    let body_len = n * d * item;
    let available = bytes.len() - header_len;
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
