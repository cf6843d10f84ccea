//! [`SparseData`]: a validated `n × d` matrix of finite `f32` values in compressed sparse row
//! (CSR) form, scipy's `csr_matrix` layout.
//!
//! The rows are kept canonical: in each row the columns strictly increase and every stored value
//! is non-zero. Input that is not canonical is made so as scipy's `sum_duplicates` and
//! `eliminate_zeros` would: columns sorted, values of a repeated column summed, explicit zeros
//! dropped (a zero stored or not is the same matrix; the boolean metrics count stored values).

use rayon::prelude::*;

use super::Data;
use crate::error::{Error, Result};

/// A validated sparse matrix of finite `f32` values, rows in CSR form, kept canonical: in each
/// row the columns strictly increase and every stored value is non-zero.
///
/// ```
/// use unfold_learn::data::SparseData;
/// // [[0, 2, 0], [1, 0, 3]], the second row given unsorted with a duplicate and a zero.
/// let x = SparseData::from_csr(2, 3, vec![0, 1, 5], vec![1, 2, 0, 2, 1], vec![2.0, 1.0, 1.0, 2.0, 0.0])?;
/// assert_eq!(x.row(1), (&[0, 2][..], &[1.0, 3.0][..]));
/// assert_eq!(x.nnz(), 3);
/// assert_eq!(x.to_dense().as_slice(), &[0.0, 2.0, 0.0, 1.0, 0.0, 3.0]);
/// # Ok::<(), unfold_learn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SparseData {
    n_rows: usize,
    n_cols: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

impl SparseData {
    /// Validates CSR arrays and makes the rows canonical as scipy's `sum_duplicates` and
    /// `eliminate_zeros` would (columns sorted, repeated columns summed, zeros dropped):
    /// `indptr` has `n_rows + 1` non-decreasing offsets from 0 to the number of stored values,
    /// `indices` holds each value's column (below `n_cols`), `values` the values.
    ///
    /// # Errors
    /// [`Error::InvalidData`] for an empty shape, arrays whose lengths disagree, offsets that
    /// decrease (naming the row), a column out of range or a NaN or infinite value (naming its
    /// row and column, counting from 0).
    pub fn from_csr(n_rows: usize, n_cols: usize, indptr: Vec<usize>, indices: Vec<u32>, values: Vec<f32>) -> Result<SparseData> {
        if n_rows == 0 || n_cols == 0 {
            return Err(Error::InvalidData(format!("the data is empty ({n_rows} rows × {n_cols} columns); at least one row and one column are needed")));
        }
        if n_cols > u32::MAX as usize {
            return Err(Error::InvalidData(format!("the sparse data has {n_cols} columns; at most {} (2³² − 1) are supported", u32::MAX)));
        }
        if indptr.len() != n_rows + 1 {
            return Err(Error::InvalidData(format!("a sparse matrix of {n_rows} rows needs {} row offsets (indptr), got {}", n_rows + 1, indptr.len())));
        }
        if indices.len() != values.len() {
            return Err(Error::InvalidData(format!("the sparse matrix has {} column indices but {} values; they must pair up", indices.len(), values.len())));
        }
        if indptr[0] != 0 || indptr[n_rows] != values.len() {
            return Err(Error::InvalidData(format!(
                "the row offsets (indptr) must run from 0 to the number of stored values ({}), but run from {} to {}",
                values.len(),
                indptr[0],
                indptr[n_rows]
            )));
        }
        if let Some(r) = indptr.windows(2).position(|w| w[1] < w[0]) {
            return Err(Error::InvalidData(format!("the row offsets (indptr) decrease at row {r}: {} then {}", indptr[r], indptr[r + 1])));
        }
        // Check every row in parallel; report the first bad one.
        let bad = (0..n_rows).into_par_iter().find_first(|&r| {
            let (lo, hi) = (indptr[r], indptr[r + 1]);
            indices[lo..hi].iter().zip(&values[lo..hi]).any(|(&c, v)| c as usize >= n_cols || !v.is_finite())
        });
        if let Some(r) = bad {
            let (lo, hi) = (indptr[r], indptr[r + 1]);
            let (c, v) =
                indices[lo..hi].iter().zip(&values[lo..hi]).find(|(c, v)| **c as usize >= n_cols || !v.is_finite()).map(|(c, v)| (*c, *v)).unwrap_or_default();
            return Err(Error::InvalidData(if c as usize >= n_cols {
                format!("row {r} (counting from 0) stores a value in column {c}, but the matrix has {n_cols} columns")
            } else {
                format!("row {r}, column {c} (counting from 0) is {}; unfold needs finite values (remove or impute missing values first)", non_finite(v))
            }));
        }
        let canonical = (0..n_rows).into_par_iter().all(|r| {
            let (lo, hi) = (indptr[r], indptr[r + 1]);
            indices[lo..hi].windows(2).all(|w| w[0] < w[1]) && values[lo..hi].iter().all(|&v| v != 0.0)
        });
        let x = SparseData { n_rows, n_cols, indptr, indices, values };
        if canonical { Ok(x) } else { x.canonical() }
    }

    /// The matrix with each row's columns sorted, repeated columns summed and zeros dropped.
    fn canonical(self) -> Result<SparseData> {
        let rows: Vec<Vec<(u32, f32)>> = (0..self.n_rows)
            .into_par_iter()
            .map(|r| {
                let (lo, hi) = (self.indptr[r], self.indptr[r + 1]);
                let mut row: Vec<(u32, f32)> = self.indices[lo..hi].iter().copied().zip(self.values[lo..hi].iter().copied()).collect();
                // A stable sort: duplicates are summed in the order they were given, as scipy does.
                row.sort_by_key(|e| e.0);
                let mut out: Vec<(u32, f32)> = Vec::with_capacity(row.len());
                for (c, v) in row {
                    match out.last_mut() {
                        Some(last) if last.0 == c => last.1 += v,
                        _ => out.push((c, v)),
                    }
                }
                out.retain(|e| e.1 != 0.0);
                out
            })
            .collect();
        let mut indptr = Vec::with_capacity(self.n_rows + 1);
        indptr.push(0);
        let (mut indices, mut values) = (Vec::new(), Vec::new());
        for (r, row) in rows.iter().enumerate() {
            if let Some(&(c, v)) = row.iter().find(|e| !e.1.is_finite()) {
                return Err(Error::InvalidData(format!(
                    "row {r}, column {c} (counting from 0) sums its repeated entries to {}, beyond float32's range",
                    non_finite(v)
                )));
            }
            indices.extend(row.iter().map(|e| e.0));
            values.extend(row.iter().map(|e| e.1));
            indptr.push(indices.len());
        }
        Ok(SparseData { n_rows: self.n_rows, n_cols: self.n_cols, indptr, indices, values })
    }

    /// The non-zero entries of a dense matrix.
    pub fn from_dense(data: &Data) -> SparseData {
        let mut indptr = Vec::with_capacity(data.n_rows() + 1);
        indptr.push(0);
        let (mut indices, mut values) = (Vec::new(), Vec::new());
        for i in 0..data.n_rows() {
            for (c, &v) in data.row(i).iter().enumerate() {
                if v != 0.0 {
                    indices.push(c as u32);
                    values.push(v);
                }
            }
            indptr.push(values.len());
        }
        SparseData { n_rows: data.n_rows(), n_cols: data.n_cols(), indptr, indices, values }
    }

    /// Number of rows (points).
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns (dimensions).
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Number of stored (non-zero) values.
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// Row `i`: its columns (increasing) and values (non-zero).
    #[inline]
    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let (lo, hi) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[lo..hi], &self.values[lo..hi])
    }

    /// The row offsets, `n_rows + 1` of them.
    pub fn indptr(&self) -> &[usize] {
        &self.indptr
    }

    /// The column of every stored value.
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }

    /// The stored values.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// The same rows with every stored value mapped by `f` (rows whose values all map to zero
    /// keep them: the caller's maps send zero rows to zero rows).
    pub(crate) fn map_rows(&self, f: impl Fn(&[u32], &mut [f32]) + Sync) -> SparseData {
        let values = (0..self.n_rows)
            .into_par_iter()
            .flat_map_iter(|i| {
                let (cols, vals) = self.row(i);
                let mut row = vals.to_vec();
                f(cols, &mut row);
                row
            })
            .collect();
        SparseData { n_rows: self.n_rows, n_cols: self.n_cols, indptr: self.indptr.clone(), indices: self.indices.clone(), values }
    }

    /// A copy holding only the given rows, in the given order.
    pub fn select_rows(&self, rows: &[usize]) -> SparseData {
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        indptr.push(0);
        let (mut indices, mut values) = (Vec::new(), Vec::new());
        for &r in rows {
            let (c, v) = self.row(r);
            indices.extend_from_slice(c);
            values.extend_from_slice(v);
            indptr.push(values.len());
        }
        SparseData { n_rows: rows.len(), n_cols: self.n_cols, indptr, indices, values }
    }

    /// The dense matrix (`n_rows × n_cols` values: only for data known to be small).
    pub fn to_dense(&self) -> Data<'static> {
        let mut out = vec![0f32; self.n_rows * self.n_cols];
        out.par_chunks_mut(self.n_cols).enumerate().for_each(|(i, dst)| {
            let (c, v) = self.row(i);
            c.iter().zip(v).for_each(|(&c, &v)| dst[c as usize] = v);
        });
        Data::from_trusted(out, self.n_rows, self.n_cols)
    }
}

fn non_finite(v: f32) -> &'static str {
    if v.is_nan() {
        "NaN"
    } else if v > 0.0 {
        "+inf"
    } else {
        "-inf"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_sums_duplicates_and_drops_zeros() {
        let x = SparseData::from_csr(3, 4, vec![0, 3, 3, 6], vec![3, 1, 3, 0, 2, 0], vec![1.0, 2.0, 4.0, 0.0, 5.0, -1.0]).unwrap();
        assert_eq!(x.row(0), (&[1, 3][..], &[2.0, 5.0][..]));
        assert_eq!(x.row(1), (&[][..], &[][..]));
        // 0 + (−1) in column 0: summed, then dropped only if zero (it is −1).
        assert_eq!(x.row(2), (&[0, 2][..], &[-1.0, 5.0][..]));
        assert_eq!(x.to_dense().as_slice(), &[0.0, 2.0, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, 5.0, 0.0]);
        assert_eq!(SparseData::from_dense(&x.to_dense()), x);
        assert_eq!(x.select_rows(&[2, 0]).row(1), x.row(0));
    }

    #[test]
    fn errors_name_the_row_and_column() {
        let e = |r: Result<SparseData>| r.unwrap_err().to_string();
        assert!(e(SparseData::from_csr(2, 3, vec![0, 1, 2], vec![0, 2], vec![1.0, f32::NAN])).contains("row 1, column 2 (counting from 0) is NaN"));
        assert!(
            e(SparseData::from_csr(2, 3, vec![0, 1, 2], vec![0, 3], vec![1.0, 1.0]))
                .contains("row 1 (counting from 0) stores a value in column 3, but the matrix has 3 columns")
        );
        assert!(
            e(SparseData::from_csr(2, 3, vec![0, 2, 1], vec![0, 1], vec![1.0, 1.0]))
                .contains("run from 0 to the number of stored values (2), but run from 0 to 1")
        );
        assert!(e(SparseData::from_csr(3, 3, vec![0, 2, 1, 2], vec![0, 1], vec![1.0, 1.0])).contains("decrease at row 1"));
        assert!(e(SparseData::from_csr(2, 3, vec![0, 1], vec![0], vec![1.0])).contains("needs 3 row offsets"));
        assert!(e(SparseData::from_csr(1, 3, vec![0, 1], vec![0, 1], vec![1.0])).contains("2 column indices but 1 values"));
        assert!(e(SparseData::from_csr(0, 3, vec![0], vec![], vec![])).contains("empty"));
        assert!(
            e(SparseData::from_csr(1, 3, vec![0, 2], vec![1, 1], vec![3e38, 3e38]))
                .contains("row 0, column 1 (counting from 0) sums its repeated entries to +inf")
        );
    }
}
