//! Validated input data and embeddings.
//!
//! [`Data`] is a row-major `n × d` matrix of `f32` that is known to be non-empty and finite. It
//! borrows the caller's buffer when it can (a memory-mapped `.npy`, a NumPy array) and owns a copy
//! only when a conversion was needed. [`SparseData`] holds sparse rows in compressed sparse row
//! form, for the methods that take them.

mod sparse;

pub use sparse::SparseData;

use std::borrow::Cow;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::linalg::Scalar;

/// A validated, row-major `n × d` matrix of finite `f32` values.
#[derive(Debug, Clone)]
pub struct Data<'a> {
    values: Cow<'a, [f32]>,
    n_rows: usize,
    n_cols: usize,
}

/// An embedding: `n × k` row-major `f32` coordinates (same layout as [`Data`]).
pub type Embedding = Data<'static>;

impl<'a> Data<'a> {
    /// Validates `values` as an `n_rows × n_cols` row-major matrix and borrows it.
    ///
    /// # Errors
    /// [`Error::InvalidData`] when the length does not match the shape, the matrix is empty, or a
    /// value is NaN or infinite (the message names the first such row and column, counting from 0).
    pub fn from_row_major(values: &'a [f32], n_rows: usize, n_cols: usize) -> Result<Self> {
        check_shape(values.len(), n_rows, n_cols)?;
        check_finite(values, n_cols)?;
        Ok(Data { values: Cow::Borrowed(values), n_rows, n_cols })
    }

    /// Like [`Data::from_row_major`] but takes ownership of `values`.
    pub fn from_vec(values: Vec<f32>, n_rows: usize, n_cols: usize) -> Result<Data<'static>> {
        check_shape(values.len(), n_rows, n_cols)?;
        check_finite(&values, n_cols)?;
        Ok(Data { values: Cow::Owned(values), n_rows, n_cols })
    }

    /// Builds a matrix whose values the crate computed itself and knows to be finite.
    pub(crate) fn from_trusted(values: Vec<f32>, n_rows: usize, n_cols: usize) -> Data<'static> {
        debug_assert_eq!(values.len(), n_rows * n_cols);
        Data { values: Cow::Owned(values), n_rows, n_cols }
    }

    /// Number of rows (points).
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns (dimensions).
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Row `i` as a slice of `n_cols` values.
    #[inline]
    pub fn row(&self, i: usize) -> &[f32] {
        &self.values[i * self.n_cols..(i + 1) * self.n_cols]
    }

    /// All values, row-major.
    pub fn as_slice(&self) -> &[f32] {
        &self.values
    }

    /// The values as an owned vector (copies if borrowed).
    pub fn into_vec(self) -> Vec<f32> {
        self.values.into_owned()
    }

    /// A copy holding only the given rows, in the given order.
    pub fn select_rows(&self, rows: &[usize]) -> Data<'static> {
        let mut out = Vec::with_capacity(rows.len() * self.n_cols);
        for &r in rows {
            out.extend_from_slice(self.row(r));
        }
        Data::from_trusted(out, rows.len(), self.n_cols)
    }

    /// Checks that there are at least `min_rows` rows for `what` (e.g. "kNN with k = 15").
    ///
    /// # Errors
    /// [`Error::InvalidData`] naming `what`, the number needed and the number present.
    pub fn require_rows(&self, min_rows: usize, what: &str) -> Result<()> {
        if self.n_rows < min_rows {
            return Err(Error::InvalidData(format!("{what} needs at least {min_rows} rows, but the data has {}", self.n_rows)));
        }
        Ok(())
    }
}

/// Checks that `len` values form a non-empty `n_rows × n_cols` matrix (shared by [`Data`] and
/// [`DataF64`](crate::linalg::DataF64)).
pub(crate) fn check_shape(len: usize, n_rows: usize, n_cols: usize) -> Result<()> {
    if n_rows == 0 || n_cols == 0 {
        return Err(Error::InvalidData(format!("the data is empty ({n_rows} rows × {n_cols} columns); at least one row and one column are needed")));
    }
    if n_rows.checked_mul(n_cols) != Some(len) {
        return Err(Error::InvalidData(format!("{len} values cannot form a {n_rows} × {n_cols} matrix")));
    }
    Ok(())
}

/// Finds the first non-finite value in row-major order (in parallel, blocks of rows), for `f32`
/// and `f64` input alike.
pub(crate) fn check_finite<T: Scalar>(values: &[T], n_cols: usize) -> Result<()> {
    const BLOCK: usize = 1 << 16;
    let first_bad = values
        .par_chunks(BLOCK)
        .enumerate()
        .filter_map(|(b, chunk)| {
            // A branch-free scan first: almost all data is clean.
            if chunk.iter().fold(true, |ok, &v| ok & v.into().is_finite()) {
                return None;
            }
            chunk.iter().position(|&v| !v.into().is_finite()).map(|p| b * BLOCK + p)
        })
        .min();
    match first_bad {
        None => Ok(()),
        Some(pos) => {
            let v: f64 = values[pos].into();
            let what = if v.is_nan() {
                "NaN"
            } else if v > 0.0 {
                "+inf"
            } else {
                "-inf"
            };
            Err(Error::InvalidData(format!(
                "row {}, column {} (counting from 0) is {what}; unfold needs finite values (remove or impute missing values first)",
                pos / n_cols,
                pos % n_cols
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_nan_with_position() {
        let mut x = vec![0.0f32; 12];
        x[7] = f32::NAN;
        let err = Data::from_row_major(&x, 4, 3).unwrap_err().to_string();
        assert!(err.contains("row 2, column 1") && err.contains("NaN"), "{err}");
        x[7] = f32::NEG_INFINITY;
        let err = Data::from_row_major(&x, 4, 3).unwrap_err().to_string();
        assert!(err.contains("-inf"), "{err}");
    }

    #[test]
    fn rejects_bad_shapes() {
        assert!(Data::from_row_major(&[], 0, 3).unwrap_err().to_string().contains("empty"));
        assert!(Data::from_row_major(&[1.0; 5], 2, 3).unwrap_err().to_string().contains("5 values"));
    }

    #[test]
    fn f64_input_gets_the_same_checks() {
        use crate::linalg::DataF64;
        // 1e300 is finite in f64 (it would be +inf as f32): accepted.
        let mut x = vec![1e300f64; 12];
        assert_eq!(DataF64::from_row_major(&x, 4, 3).unwrap().row(3), &[1e300; 3]);
        x[11] = f64::INFINITY;
        let err = DataF64::from_row_major(&x, 4, 3).unwrap_err().to_string();
        assert!(err.contains("row 3, column 2 (counting from 0) is +inf"), "{err}");
        // The first bad value in row-major order, past the first parallel block.
        let mut big = vec![0.0f64; 3 << 16];
        big[(1 << 16) + 5] = f64::NAN;
        big[(2 << 16) + 1] = f64::NEG_INFINITY;
        let err = DataF64::from_vec(big, 3 << 15, 2).unwrap_err().to_string();
        assert!(err.contains(&format!("row {}, column 1 (counting from 0) is NaN", ((1 << 16) + 5) / 2)), "{err}");
        assert_eq!(DataF64::from_row_major(&[], 0, 3).unwrap_err().to_string(), Data::from_row_major(&[], 0, 3).unwrap_err().to_string());
        assert!(DataF64::from_row_major(&[1.0; 5], 2, 3).unwrap_err().to_string().contains("5 values cannot form a 2 × 3 matrix"));
    }

    #[test]
    fn rows_and_selection() {
        let x: Vec<f32> = (0..6).map(|v| v as f32).collect();
        let d = Data::from_row_major(&x, 3, 2).unwrap();
        assert_eq!(d.row(1), &[2.0, 3.0]);
        assert_eq!(d.select_rows(&[2, 0]).as_slice(), &[4.0, 5.0, 0.0, 1.0]);
        assert!(d.require_rows(4, "PCA").unwrap_err().to_string().contains("PCA needs at least 4 rows"));
    }
}

/// Categorical labels: `codes[i]` indexes `names` (sorted: numerically for integer labels,
/// lexicographically otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    /// The category of each row.
    pub codes: Vec<u32>,
    /// The category names.
    pub names: Vec<String>,
}

impl Labels {
    /// Builds categorical labels from one string per row. Integer-looking labels sort numerically.
    ///
    /// ```
    /// use unfold_learn::data::Labels;
    /// let l = Labels::from_strings(["10", "9", "10"].iter().map(|s| s.to_string()));
    /// assert_eq!(l.names, ["9", "10"]);
    /// assert_eq!(l.codes, [1, 0, 1]);
    /// ```
    pub fn from_strings(values: impl IntoIterator<Item = String>) -> Labels {
        let values: Vec<String> = values.into_iter().collect();
        let mut names: Vec<String> = values.clone();
        names.sort_unstable();
        names.dedup();
        if names.iter().all(|s| s.parse::<i64>().is_ok()) {
            names.sort_by_key(|s| s.parse::<i64>().unwrap_or(0));
        }
        let index: std::collections::HashMap<&str, u32> = names.iter().enumerate().map(|(i, s)| (s.as_str(), i as u32)).collect();
        let codes = values.iter().map(|s| index[s.as_str()]).collect();
        Labels { codes, names }
    }

    /// Builds labels from integers.
    pub fn from_ints(values: &[i64]) -> Labels {
        Labels::from_strings(values.iter().map(|v| v.to_string()))
    }

    /// Number of rows labelled.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// Checks that there is one label per data row.
    pub fn check_len(&self, n_rows: usize) -> Result<()> {
        if self.len() != n_rows {
            return Err(Error::InvalidData(format!("the labels have {} entries but the data has {n_rows} rows; give one label per row", self.len())));
        }
        Ok(())
    }

    /// The labels of the given rows.
    pub fn select(&self, rows: &[usize]) -> Labels {
        Labels { codes: rows.iter().map(|&r| self.codes[r]).collect(), names: self.names.clone() }
    }
}

impl<'a> Data<'a> {
    /// Borrows values the crate computed itself and knows to be finite.
    pub(crate) fn from_trusted_slice(values: &'a [f32], n_rows: usize, n_cols: usize) -> Data<'a> {
        debug_assert_eq!(values.len(), n_rows * n_cols);
        Data { values: Cow::Borrowed(values), n_rows, n_cols }
    }
}
