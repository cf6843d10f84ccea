//! scipy's sparse `.npz` files (`scipy.sparse.save_npz`): a zip archive (stored or deflated) of
//! `.npy` arrays: `format` (`csr`, `csc` or `coo`), `shape`, and `indptr`, `indices`, `data`
//! (CSR and CSC) or `row`, `col`, `data` (COO). Every format is read into CSR rows
//! ([`SparseData`]); repeated entries are summed, as scipy does when it converts them.

use std::io::Read;
use std::path::Path;

use super::npy::{TypeChar, convert_to_f32, parse_header};
use crate::data::SparseData;
use crate::error::{Error, Result};

/// Reads a sparse matrix saved by `scipy.sparse.save_npz`.
///
/// # Errors
/// [`Error::Io`] when the file cannot be opened; [`Error::Format`] naming the file and the
/// member for a file that is not such an archive, a missing or malformed member, a format other
/// than CSR, CSC or COO, or an index out of range; [`Error::InvalidData`] (naming the file, the
/// row and the column) for a NaN or infinite value.
pub fn read_npz(path: &Path) -> Result<SparseData> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| Error::format(path, format!("not a .npz archive (scipy.sparse.save_npz writes a zip file): {e}")))?;
    let mut member = |name: &str| -> Result<Array> {
        let mut entry = zip.by_name(&format!("{name}.npy")).map_err(|_| {
            Error::format(
                path,
                format!("the archive has no `{name}` array; a sparse matrix saved by scipy.sparse.save_npz has format, shape, and its index and data arrays"),
            )
        })?;
        // The size is the archive's claim: reserve at most 16 MB up front.
        let mut bytes = Vec::with_capacity((entry.size() as usize).min(1 << 24));
        entry.read_to_end(&mut bytes).map_err(|e| Error::format(path, format!("cannot read the `{name}` array: {e}")))?;
        Array::parse(bytes, name, path)
    };
    let format = member("format")?.text(path)?;
    let shape = member("shape")?.integers(path)?;
    let [n_rows, n_cols] = shape[..] else {
        return Err(Error::format(path, format!("the `shape` array must hold 2 numbers, it holds {}", shape.len())));
    };
    let (n_rows, n_cols) = (index(n_rows, "shape", 0, path)?, index(n_cols, "shape", 1, path)?);
    crate::knn::check_point_count(n_rows).map_err(|e| e.in_file(path))?;
    let data = member("data")?.values(path)?;
    let matrix = match format.as_str() {
        "csr" | "csc" => {
            let indptr = member("indptr")?.integers(path)?;
            let indices = member("indices")?.integers(path)?;
            let major = if format == "csr" { n_rows } else { n_cols };
            if indptr.len() != major + 1 || indices.len() != data.len() {
                return Err(Error::format(
                    path,
                    format!(
                        "a {format} matrix of shape ({n_rows}, {n_cols}) with {} values needs {} row offsets (indptr) and {} indices, got {} and {}",
                        data.len(),
                        major + 1,
                        data.len(),
                        indptr.len(),
                        indices.len()
                    ),
                ));
            }
            let indptr = indptr.iter().enumerate().map(|(p, &v)| index(v, "indptr", p, path)).collect::<Result<Vec<_>>>()?;
            let indices = indices.iter().enumerate().map(|(p, &v)| index(v, "indices", p, path)).collect::<Result<Vec<_>>>()?;
            if format == "csr" {
                let cols = indices.iter().map(|&c| column(c, n_cols, path)).collect::<Result<Vec<_>>>()?;
                SparseData::from_csr(n_rows, n_cols, indptr, cols, data)
            } else {
                // Columns to rows: a triplet per stored value.
                if indptr.windows(2).any(|w| w[1] < w[0]) || indptr[major] != data.len() {
                    return Err(Error::format(path, "the csc matrix's column offsets (indptr) must increase from 0 to the number of values"));
                }
                let cols: Vec<usize> = (0..n_cols).flat_map(|c| std::iter::repeat_n(c, indptr[c + 1] - indptr[c])).collect();
                from_triplets(n_rows, n_cols, &indices, &cols, data, path)
            }
        }
        "coo" => {
            let (row, col) = (member("row")?.integers(path)?, member("col")?.integers(path)?);
            if row.len() != data.len() || col.len() != data.len() {
                return Err(Error::format(
                    path,
                    format!("a coo matrix needs as many rows and columns as values ({}), got {} and {}", data.len(), row.len(), col.len()),
                ));
            }
            let row = row.iter().enumerate().map(|(p, &v)| index(v, "row", p, path)).collect::<Result<Vec<_>>>()?;
            let col = col.iter().enumerate().map(|(p, &v)| index(v, "col", p, path)).collect::<Result<Vec<_>>>()?;
            from_triplets(n_rows, n_cols, &row, &col, data, path)
        }
        other => {
            return Err(Error::format(path, format!("sparse format `{other}` is not read; save the matrix as CSR (`scipy.sparse.save_npz(file, x.tocsr())`)")));
        }
    };
    matrix.map_err(|e| e.in_file(path))
}

/// CSR rows from `(row, col, value)` triplets, in row order (stable, so repeated entries are
/// summed in the order given).
fn from_triplets(n_rows: usize, n_cols: usize, rows: &[usize], cols: &[usize], values: Vec<f32>, path: &Path) -> Result<SparseData> {
    let mut indptr = vec![0usize; n_rows + 1];
    for (p, &r) in rows.iter().enumerate() {
        if r >= n_rows {
            return Err(Error::format(path, format!("value {p} is in row {r}, but the matrix has {n_rows} rows")));
        }
        indptr[r + 1] += 1;
    }
    for r in 0..n_rows {
        indptr[r + 1] += indptr[r];
    }
    let mut fill = indptr.clone();
    let (mut indices, mut data) = (vec![0u32; values.len()], vec![0f32; values.len()]);
    for ((&r, &c), v) in rows.iter().zip(cols).zip(values) {
        indices[fill[r]] = column(c, n_cols, path)?;
        data[fill[r]] = v;
        fill[r] += 1;
    }
    SparseData::from_csr(n_rows, n_cols, indptr, indices, data)
}

fn index(v: i64, array: &str, at: usize, path: &Path) -> Result<usize> {
    usize::try_from(v).map_err(|_| Error::format(path, format!("`{array}` entry {at} is {v}; indices and sizes cannot be negative")))
}

fn column(c: usize, n_cols: usize, path: &Path) -> Result<u32> {
    if c >= n_cols {
        return Err(Error::format(path, format!("a value is stored in column {c}, but the matrix has {n_cols} columns")));
    }
    Ok(c as u32)
}

/// One member of the archive: its header and body.
struct Array {
    name: String,
    bytes: Vec<u8>,
    header: super::npy::Header,
}

impl Array {
    fn parse(bytes: Vec<u8>, name: &str, path: &Path) -> Result<Array> {
        let header = parse_header(&bytes, path).map_err(|e| Error::format(path, format!("the `{name}` array: {e}")))?;
        let count = header.shape.iter().try_fold(1usize, |a, &b| a.checked_mul(b));
        let need = count.and_then(|c| c.checked_mul(header.size.max(1) * if header.type_char == TypeChar::UnicodeStr { 4 } else { 1 }));
        if need.is_none_or(|need| bytes.len() < header.offset + need) {
            return Err(Error::format(path, format!("the `{name}` array is truncated")));
        }
        Ok(Array { name: name.to_string(), bytes, header })
    }

    fn body(&self) -> &[u8] {
        &self.bytes[self.header.offset..]
    }

    /// The text of a 0-d string array (`format`).
    fn text(&self, path: &Path) -> Result<String> {
        let h = &self.header;
        let body = self.body();
        let text: String = match h.type_char {
            TypeChar::UnicodeStr => body[..4 * h.size]
                .chunks_exact(4)
                .map(|c| if h.big_endian { u32::from_be_bytes([c[0], c[1], c[2], c[3]]) } else { u32::from_le_bytes([c[0], c[1], c[2], c[3]]) })
                .filter_map(char::from_u32)
                .collect(),
            TypeChar::ByteStr => body[..h.size].iter().map(|&b| b as char).collect(),
            _ => return Err(Error::format(path, format!("the `{}` array must be a string such as 'csr', it has dtype {}", self.name, h.descr))),
        };
        Ok(text.trim_end_matches('\0').to_string())
    }

    /// An integer array, as `i64`.
    fn integers(&self, path: &Path) -> Result<Vec<i64>> {
        let h = &self.header;
        let count: usize = h.shape.iter().product();
        let body = &self.body()[..count * h.size];
        macro_rules! ints {
            ($t:ty) => {
                body.chunks_exact(std::mem::size_of::<$t>())
                    .map(|c| {
                        let a = c.try_into().unwrap_or_default();
                        (if h.big_endian { <$t>::from_be_bytes(a) } else { <$t>::from_le_bytes(a) }) as i64
                    })
                    .collect()
            };
        }
        Ok(match (h.type_char, h.size) {
            (TypeChar::Int, 1) => body.iter().map(|&b| b as i8 as i64).collect(),
            (TypeChar::Uint, 1) => body.iter().map(|&b| b as i64).collect(),
            (TypeChar::Int, 2) => ints!(i16),
            (TypeChar::Uint, 2) => ints!(u16),
            (TypeChar::Int, 4) => ints!(i32),
            (TypeChar::Uint, 4) => ints!(u32),
            (TypeChar::Int, 8) => ints!(i64),
            (TypeChar::Uint, 8) => body
                .chunks_exact(8)
                .map(|c| {
                    let a = c.try_into().unwrap_or_default();
                    i64::try_from(if h.big_endian { u64::from_be_bytes(a) } else { u64::from_le_bytes(a) }).unwrap_or(i64::MAX)
                })
                .collect(),
            _ => return Err(Error::format(path, format!("the `{}` array must hold integers, it has dtype {}", self.name, h.descr))),
        })
    }

    /// The stored values, as `f32`.
    fn values(&self, path: &Path) -> Result<Vec<f32>> {
        let h = &self.header;
        if !matches!(h.type_char, TypeChar::Float | TypeChar::Int | TypeChar::Uint | TypeChar::Bool)
            || (h.type_char == TypeChar::Float && ![2, 4, 8].contains(&h.size))
        {
            return Err(Error::format(path, format!("the `data` array must hold numbers, it has dtype {}", h.descr)));
        }
        let count: usize = h.shape.iter().product();
        Ok(convert_to_f32(&self.body()[..count * h.size], h.type_char, h.size, h.big_endian))
    }
}
