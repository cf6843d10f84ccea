//! Readers and writers: `.npy`, `.csv`/`.tsv`, MNIST IDX (optionally gzipped), scipy's sparse
//! `.npz`, label files.
//!
//! Readers validate as they go and name the file and the place of any problem (row and column,
//! line number, byte offset). Writers never leave a partial file: they write to a temporary file
//! in the same folder and rename it into place.

mod delimited;
mod idx;
mod labels;
pub mod model;
mod npy;
mod npz;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::DataF64;
use crate::data::{Data, SparseData};
use crate::error::{Error, Result};

pub use delimited::{read_delimited, read_delimited_f64};
pub use idx::{read_idx, read_idx_bytes};
pub use labels::{read_labels, read_labels_column};
pub use npy::{npy_bytes_f32, npy_bytes_f64_vector, npy_bytes_i64, read_npy};
pub use npz::read_npz;

/// A matrix read from a file: the values are either memory-mapped (`.npy` float32, C order,
/// little-endian) or owned after conversion.
pub struct Matrix {
    storage: Storage,
    n_rows: usize,
    n_cols: usize,
    path: PathBuf,
}

enum Storage {
    Owned(Vec<f32>),
    Mapped { map: memmap2::Mmap, offset: usize },
}

impl Matrix {
    pub(crate) fn owned(values: Vec<f32>, n_rows: usize, n_cols: usize, path: &Path) -> Matrix {
        Matrix { storage: Storage::Owned(values), n_rows, n_cols, path: path.to_path_buf() }
    }

    /// The values, row-major.
    pub fn values(&self) -> &[f32] {
        match &self.storage {
            Storage::Owned(v) => v,
            Storage::Mapped { map, offset } => bytemuck::cast_slice(&map[*offset..*offset + self.n_rows * self.n_cols * 4]),
        }
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// The file it came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the values are read straight from a memory map (no copy).
    pub fn is_mapped(&self) -> bool {
        matches!(self.storage, Storage::Mapped { .. })
    }

    /// Validates the values (finite, non-empty) and borrows them as [`Data`]; errors name the file.
    pub fn data(&self) -> Result<Data<'_>> {
        Data::from_row_major(self.values(), self.n_rows, self.n_cols).map_err(|e| e.in_file(&self.path))
    }
}

/// A matrix read in `f64`, for values `f32` would round (see [`read_matrix_precise`]).
pub struct MatrixF64 {
    values: Vec<f64>,
    n_rows: usize,
    n_cols: usize,
    path: PathBuf,
}

impl MatrixF64 {
    /// The values, row-major.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// The file it came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Validates the values (finite, non-empty) and borrows them as [`DataF64`]; errors name the file.
    pub fn data(&self) -> Result<DataF64<'_>> {
        DataF64::from_row_major(&self.values, self.n_rows, self.n_cols).map_err(|e| e.in_file(&self.path))
    }
}

/// A sparse matrix read from a `.npz` file, validated.
pub struct SparseMatrix {
    data: SparseData,
    path: PathBuf,
}

impl SparseMatrix {
    /// The rows.
    pub fn data(&self) -> &SparseData {
        &self.data
    }

    /// The file it came from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A matrix in the precision its file needs: what [`read_matrix_precise`] returns.
pub enum AnyMatrix {
    /// Values `f32` holds exactly (or that were read into `f32` anyway).
    F32(Matrix),
    /// Values `f32` would round.
    F64(MatrixF64),
    /// Sparse rows (`.npz`).
    Sparse(SparseMatrix),
}

impl AnyMatrix {
    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        match self {
            AnyMatrix::F32(m) => m.n_rows(),
            AnyMatrix::F64(m) => m.n_rows(),
            AnyMatrix::Sparse(m) => m.data.n_rows(),
        }
    }

    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        match self {
            AnyMatrix::F32(m) => m.n_cols(),
            AnyMatrix::F64(m) => m.n_cols(),
            AnyMatrix::Sparse(m) => m.data.n_cols(),
        }
    }

    /// The file it came from.
    pub fn path(&self) -> &Path {
        match self {
            AnyMatrix::F32(m) => m.path(),
            AnyMatrix::F64(m) => m.path(),
            AnyMatrix::Sparse(m) => m.path(),
        }
    }
}

/// The kinds of file [`read_matrix`] understands, chosen by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// NumPy `.npy`.
    Npy,
    /// Delimited text (`.csv`, `.txt`): `,`, tab, `;` or runs of spaces between values.
    Csv,
    /// Tab-separated (`.tsv`, `.tab`).
    Tsv,
    /// IDX (`*-ubyte`, `.idx`, `.idx3`, …), optionally `.gz`.
    Idx,
    /// scipy's sparse `.npz` (`scipy.sparse.save_npz`).
    Npz,
}

impl FileKind {
    /// Guesses the kind from the file name; `None` when unknown.
    pub fn from_path(path: &Path) -> Option<FileKind> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        if name.ends_with(".npy") {
            Some(FileKind::Npy)
        } else if name.ends_with(".npz") {
            Some(FileKind::Npz)
        } else if name.ends_with(".csv") || name.ends_with(".txt") {
            Some(FileKind::Csv)
        } else if name.ends_with(".tsv") || name.ends_with(".tab") {
            Some(FileKind::Tsv)
        } else if name.ends_with("-ubyte") || name.contains(".idx") {
            Some(FileKind::Idx)
        } else {
            None
        }
    }
}

/// Reads a data matrix from `.npy`, `.csv`/`.tsv` or IDX, chosen by file name.
///
/// # Errors
/// [`Error::Io`] when the file cannot be opened, [`Error::Format`] naming the file and the place
/// when its contents are malformed, or when the extension is unknown.
pub fn read_matrix(path: &Path) -> Result<Matrix> {
    match FileKind::from_path(path) {
        Some(FileKind::Npy) => read_npy(path),
        Some(FileKind::Csv) => read_delimited(path, None),
        Some(FileKind::Tsv) => read_delimited(path, Some(b'\t')),
        Some(FileKind::Idx) => read_idx(path),
        Some(FileKind::Npz) => Err(Error::format(
            path,
            "a sparse matrix (.npz) is read by the commands and methods that take sparse input (unfold embed with --method umap, tsne or svd; unfold neighbors); this one takes dense rows: save them with numpy.save(file, x.toarray())",
        )),
        None => Err(Error::format(path, "unknown file type; use .npy, .csv, .tsv, .npz (sparse) or an IDX file (*-ubyte, optionally .gz)")),
    }
}

/// Reads like [`read_matrix`], and a sparse `.npz` file as sparse rows.
///
/// # Errors
/// As [`read_matrix`] and [`read_npz`].
pub fn read_matrix_or_sparse(path: &Path) -> Result<AnyMatrix> {
    match FileKind::from_path(path) {
        Some(FileKind::Npz) => read_npz(path).map(|data| AnyMatrix::Sparse(SparseMatrix { data, path: path.to_path_buf() })),
        _ => read_matrix(path).map(AnyMatrix::F32),
    }
}

/// Reads like [`read_matrix`], but in `f64` where `f32` would round the file's values: `.npy`
/// files of float64 and 32- or 64-bit integers, and decimal text (`.csv`, `.tsv`, …), for methods
/// that compute in the input's precision (PCA). Other `.npy` dtypes and IDX files are read into
/// `f32`, which holds them exactly. The file is read once.
///
/// # Errors
/// As [`read_matrix`]; a text value need only be finite in `f64`.
pub fn read_matrix_precise(path: &Path) -> Result<AnyMatrix> {
    match FileKind::from_path(path) {
        Some(FileKind::Npy) => npy::read_npy_precise(path, false),
        Some(FileKind::Csv) => read_delimited_f64(path, None).map(AnyMatrix::F64),
        Some(FileKind::Tsv) => read_delimited_f64(path, Some(b'\t')).map(AnyMatrix::F64),
        _ => read_matrix_or_sparse(path),
    }
}

/// Reads like [`read_matrix_precise`], except that a 1-D `.npy` array of `n` values is read as
/// one column (`n × 1`), as [`read_vector_or_matrix`] reads it.
///
/// # Errors
/// As [`read_matrix_precise`]; a `.npy` array of 3 or more dimensions is refused with its shape.
pub fn read_vector_or_matrix_precise(path: &Path) -> Result<AnyMatrix> {
    match FileKind::from_path(path) {
        Some(FileKind::Npy) => npy::read_npy_precise(path, true),
        _ => read_matrix_precise(path),
    }
}

/// Reads like [`read_matrix`], except that a 1-D `.npy` array of `n` values is read as one
/// column (`n × 1`): a per-row target, as Python's `y` of shape `(n,)`.
///
/// # Errors
/// As [`read_matrix`]; a `.npy` array of 3 or more dimensions is refused with its shape.
pub fn read_vector_or_matrix(path: &Path) -> Result<Matrix> {
    match FileKind::from_path(path) {
        Some(FileKind::Npy) => npy::read_npy_shaped(path, true),
        _ => read_matrix(path),
    }
}

/// Reads a whole file, mapping the error to [`Error::Io`] with the path.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

/// Decompresses gzip bytes (or returns them unchanged when they are not gzip).
pub(crate) fn maybe_gunzip(bytes: Vec<u8>, path: &Path) -> Result<Vec<u8>> {
    if bytes.len() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b {
        let mut out = Vec::with_capacity(bytes.len() * 4);
        std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(&bytes[..]), &mut out)
            .map_err(|e| Error::format(path, format!("corrupt gzip stream: {e}")))?;
        Ok(out)
    } else {
        Ok(bytes)
    }
}

/// Writes `path` atomically: `write` fills a temporary file in the same folder
/// ([`write_temp`]), which is renamed over `path` only when everything succeeded. On error no
/// file is left behind.
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let tmp = write_temp(path, write)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// The temporary file that stands for `path` until it is complete: `.NAME.PID.tmp` in the same
/// folder (so that renaming it into place is atomic).
///
/// # Errors
/// [`Error::Format`] when `path` does not end in a file name.
pub fn temp_path(path: &Path) -> Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| Error::format(path, "not a file name"))?;
    Ok(path.with_file_name(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id())))
}

/// Writes the contents of `path` to its [`temp_path`], flushed to disk, and returns that path
/// for the caller to rename into place (as [`write_atomic`] does at once, or a caller writing
/// several files does when all are written). On error the temporary file is removed.
///
/// # Errors
/// [`Error::Io`] naming `path` when the file cannot be created or `write` fails.
pub fn write_temp(path: &Path, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<PathBuf> {
    let tmp = temp_path(path)?;
    let result = (|| {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
        write(&mut w)?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()
    })();
    match result {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(Error::io(path, e))
        }
    }
}

/// The format [`write_matrix`] uses for `path`: [`FileKind::Npy`], [`FileKind::Csv`] (`.csv`,
/// `.txt`) or [`FileKind::Tsv`] (`.tsv`, `.tab`), by extension.
///
/// # Errors
/// [`Error::Format`] for any other name, a compressed one (`.gz`) included.
pub fn matrix_output_kind(path: &Path) -> Result<FileKind> {
    let gz = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    match FileKind::from_path(path) {
        Some(kind @ (FileKind::Npy | FileKind::Csv | FileKind::Tsv)) if !gz => Ok(kind),
        _ => Err(Error::format(path, "unknown output type; use .npy, .csv or .tsv")),
    }
}

/// Writes an `n × d` float32 matrix to `w` in the format `kind` (from [`matrix_output_kind`]):
/// `.npy`, or one text line per row with `,` (CSV) or tab (TSV) between values.
pub fn write_matrix_to(w: &mut dyn Write, kind: FileKind, values: &[f32], n_rows: usize, n_cols: usize) -> std::io::Result<()> {
    if kind == FileKind::Npy {
        return w.write_all(&npy_bytes_f32(values, n_rows, n_cols));
    }
    let sep = if kind == FileKind::Tsv { '\t' } else { ',' };
    for row in values.chunks(n_cols.max(1)) {
        for (j, v) in row.iter().enumerate() {
            if j > 0 {
                write!(w, "{sep}")?;
            }
            write!(w, "{v}")?;
        }
        writeln!(w)?;
    }
    Ok(())
}

/// Writes an `n × d` float32 matrix as `.npy` or `.csv` (by extension; `.tsv` uses tabs), atomically.
pub fn write_matrix(path: &Path, values: &[f32], n_rows: usize, n_cols: usize) -> Result<()> {
    let kind = matrix_output_kind(path)?;
    write_atomic(path, |w| write_matrix_to(w, kind, values, n_rows, n_cols))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_leaves_nothing_on_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.npy");
        let err = write_atomic(&path, |w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(err.unwrap_err().to_string().contains("disk full"));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn kinds_by_name() {
        assert_eq!(FileKind::from_path(Path::new("a/x.NPY")), Some(FileKind::Npy));
        assert_eq!(FileKind::from_path(Path::new("t10k-images-idx3-ubyte.gz")), Some(FileKind::Idx));
        assert_eq!(FileKind::from_path(Path::new("x.tsv")), Some(FileKind::Tsv));
        assert_eq!(FileKind::from_path(Path::new("x.parquet")), None);
    }
}
