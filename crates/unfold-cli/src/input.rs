//! Reading inputs: a data file or the built-in demo set, and optional labels.

use std::path::{Path, PathBuf};

use anyhow::Result;
use unfold_learn::datasets::load_mnist_sample;
use unfold_learn::io::{AnyMatrix, read_labels_column, read_matrix, read_matrix_or_sparse, read_matrix_precise};
use unfold_learn::{Data, Labels};

/// A usage error that is not an `unfold_learn::Error` (exit code 2).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A loaded input: the matrix, where it came from, and labels if any.
pub struct Input {
    /// In `f32`, or with [`Input::load_precise`] in the precision the file needs.
    pub matrix: AnyMatrix,
    pub labels: Option<Labels>,
    /// `None` for the demo set.
    pub path: Option<PathBuf>,
}

/// The input path argument of the commands whose input is positional: `None` (the demo set) for
/// the word `demo` when no file of that name exists.
pub fn path_or_demo(arg: &Path) -> Option<&Path> {
    (arg.as_os_str() != "demo" || arg.exists()).then_some(arg)
}

impl Input {
    /// Reads `path` into `f32`, or the demo set when `None`; reads `labels` if given (the demo set
    /// brings its own), taking a table's column `labels_column`.
    pub fn load(path: Option<&Path>, labels: Option<&Path>, labels_column: Option<&str>) -> Result<Input> {
        Input::load_with(path, labels, labels_column, |p| read_matrix(p).map(AnyMatrix::F32))
    }

    /// Like [`Input::load`], but keeps the values in `f64` when `f32` would round them (float64
    /// and 32/64-bit integer `.npy`, decimal text), for methods that compute in the input's
    /// precision (PCA).
    pub fn load_precise(path: Option<&Path>, labels: Option<&Path>, labels_column: Option<&str>) -> Result<Input> {
        Input::load_with(path, labels, labels_column, read_matrix_precise)
    }

    /// Like [`Input::load`], but reads a sparse `.npz` file as sparse rows, for the methods
    /// and commands that take them.
    pub fn load_or_sparse(path: Option<&Path>, labels: Option<&Path>, labels_column: Option<&str>) -> Result<Input> {
        Input::load_with(path, labels, labels_column, read_matrix_or_sparse)
    }

    fn load_with(
        path: Option<&Path>,
        labels: Option<&Path>,
        labels_column: Option<&str>,
        read: impl FnOnce(&Path) -> unfold_learn::Result<AnyMatrix>,
    ) -> Result<Input> {
        let (matrix, demo_labels) = match path {
            Some(p) => (read(p)?, None),
            None => {
                let (m, digits) = load_mnist_sample()?;
                let labels = Labels::from_ints(&digits.iter().map(|&d| i64::from(d)).collect::<Vec<_>>());
                (AnyMatrix::F32(m), Some(labels))
            }
        };
        let labels = match labels {
            Some(l) => Some(load_labels(l, matrix.n_rows(), labels_column)?),
            None => demo_labels,
        };
        Ok(Input { matrix, labels, path: path.map(Path::to_path_buf) })
    }

    /// The rows in `f32`, validated; errors name the file. (Only an input read with
    /// [`Input::load_precise`] can hold `f64` values; they are rounded here.)
    pub fn data(&self) -> Result<Data<'_>> {
        let data = match &self.matrix {
            AnyMatrix::F32(m) => m.data()?,
            AnyMatrix::F64(m) => {
                let values = m.values().iter().map(|&v| v as f32).collect();
                Data::from_vec(values, m.n_rows(), m.n_cols()).map_err(|e| e.in_file(m.path()))?
            }
            AnyMatrix::Sparse(m) => {
                return Err(UsageError(format!(
                    "{}: a sparse matrix, but this command takes dense rows; save them with numpy.save(file, x.toarray())",
                    m.path().display()
                ))
                .into());
            }
        };
        Ok(data)
    }

    /// A short name for titles and JSON: the file name or "MNIST demo".
    pub fn display_name(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None => "MNIST demo (10,000 × 784)".to_string(),
        }
    }
}

/// `<stem>.<suffix>` beside the input, or `unfold-demo.<suffix>` in the current folder.
pub fn default_output(input: Option<&Path>, suffix: &str) -> PathBuf {
    match input {
        Some(p) => {
            let stem = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let stem = stem.strip_suffix(".gz").unwrap_or(&stem);
            let stem = Path::new(stem).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            p.with_file_name(format!("{stem}.{suffix}"))
        }
        None => PathBuf::from(format!("unfold-demo.{suffix}")),
    }
}

/// Reads `--labels` for `n` rows, taking the column `--labels-column` of a table.
pub fn load_labels(path: &Path, n: usize, column: Option<&str>) -> Result<Labels> {
    read_labels_column(path, Some(n), column).map_err(|e| {
        // The reader lists a table's columns; say how to choose one here.
        if column.is_none() && e.to_string().ends_with("name the column that holds the labels") {
            UsageError(format!("{e} with --labels-column NAME")).into()
        } else {
            anyhow::Error::from(e)
        }
    })
}

/// Runs `$body` with `$data` bound to the validated rows of an [`Input`] as the core's
/// `method::Input`: `f32`, `f64` when it was read with [`Input::load_precise`], or sparse rows.
macro_rules! with_input {
    ($input:expr, |$data:ident| $body:expr) => {
        match &$input.matrix {
            unfold_learn::io::AnyMatrix::F32(m) => {
                let rows = m.data()?;
                let $data = unfold_learn::method::Input::F32(&rows);
                $body
            }
            unfold_learn::io::AnyMatrix::F64(m) => {
                let rows = m.data()?;
                let $data = unfold_learn::method::Input::F64(&rows);
                $body
            }
            unfold_learn::io::AnyMatrix::Sparse(m) => {
                let $data = unfold_learn::method::Input::Sparse(m.data());
                $body
            }
        }
    };
}
pub(crate) use with_input;
