//! One error type for the whole library.
//!
//! Every message names what was wrong and where: the parameter and its allowed range, the file
//! and the row/column or line, the stage that failed. Front ends map
//! [`Error::is_user_error`] to "bad input" (exit code 2 in the CLI, `ValueError` in Python).

use std::path::PathBuf;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in unfold-learn.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter is outside its allowed range.
    #[error("invalid value for `{name}`: {value} ({expected})")]
    InvalidParameter {
        /// The parameter's name as the user spells it.
        name: &'static str,
        /// The offending value, formatted.
        value: String,
        /// What is allowed, e.g. "must be at least 1 and less than the number of rows (100)".
        expected: String,
    },
    /// The data is unusable: wrong shape, non-finite value, too few rows, …
    #[error("{0}")]
    InvalidData(String),
    /// A file could not be parsed; `message` says where (line, column, row, byte).
    #[error("{}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong and where in the file.
        message: String,
    },
    /// The operating system refused a read or write. The message already includes the
    /// operating system's reason, so it is not repeated as an error source.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// A numerical routine did not converge or met a degenerate case it cannot handle.
    #[error("{stage} failed: {message}")]
    Numerical {
        /// The stage, e.g. "PCA eigendecomposition".
        stage: &'static str,
        /// What happened.
        message: String,
    },
    /// The caller asked to stop (Ctrl-C, KeyboardInterrupt).
    #[error("cancelled")]
    Cancelled,
}

impl Error {
    /// Builds an [`Error::InvalidParameter`].
    pub fn param(name: &'static str, value: impl std::fmt::Display, expected: impl Into<String>) -> Self {
        Error::InvalidParameter { name, value: value.to_string(), expected: expected.into() }
    }

    /// Builds an [`Error::Format`] for `path`.
    pub fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Format { path: path.into(), message: message.into() }
    }

    /// Builds an [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Error::Io { path: path.into(), error }
    }

    /// Attaches a file to a data error, so "row 3, column 2 is NaN" becomes
    /// "x.npy: row 3, column 2 is NaN". Other errors pass through.
    pub fn in_file(self, path: impl Into<PathBuf>) -> Self {
        match self {
            Error::InvalidData(message) => Error::Format { path: path.into(), message },
            other => other,
        }
    }

    /// True for errors caused by the caller's input or parameters (exit code 2 in the CLI).
    pub fn is_user_error(&self) -> bool {
        match self {
            Error::InvalidParameter { .. } | Error::InvalidData(_) | Error::Format { .. } => true,
            Error::Io { error, .. } => {
                matches!(error.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::IsADirectory)
            }
            _ => false,
        }
    }

    /// True if the work was cancelled through [`crate::Progress`].
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Error::Cancelled)
    }

    /// True for [`Error::InvalidParameter`].
    pub fn is_invalid_parameter(&self) -> bool {
        matches!(self, Error::InvalidParameter { .. })
    }
}
