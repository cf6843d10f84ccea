//! Data sets built into the library.
//!
//! The MNIST test set is vendored in the crate (`data/`, with its licence note: CC BY-SA 3.0) and
//! compiled in, so the `unfold` command's demo and the Python package's
//! `unfold.datasets.load_mnist_sample()` read the same bytes without a file or a download. A
//! program that never calls [`load_mnist_sample`] does not carry them: the linker drops the
//! unused bytes.

use std::path::Path;

use crate::error::Result;
use crate::io::{Matrix, read_idx_bytes};

/// The images of the MNIST test set, gzip IDX as distributed.
const MNIST_IMAGES: &[u8] = include_bytes!("../data/t10k-images.idx3-ubyte.gz");
/// Their digits, gzip IDX.
const MNIST_LABELS: &[u8] = include_bytes!("../data/t10k-labels.idx1-ubyte.gz");

/// The MNIST test set: 10,000 handwritten digits of 28 × 28 pixels.
///
/// Returns the images as a 10,000 × 784 matrix of grey levels 0–255 (row-major pixels) and the
/// digit (0–9) of each image. MNIST is by Y. LeCun, C. Cortes and C. J. C. Burges, licensed
/// CC BY-SA 3.0.
///
/// # Errors
/// None in practice: the bytes are fixed at build time; a damaged build reports
/// [`Error::Format`](crate::Error::Format) rather than panicking.
///
/// # Example
/// ```
/// let (images, digits) = unfold_learn::datasets::load_mnist_sample()?;
/// assert_eq!((images.n_rows(), images.n_cols(), digits.len()), (10_000, 784, 10_000));
/// # Ok::<(), unfold_learn::Error>(())
/// ```
pub fn load_mnist_sample() -> Result<(Matrix, Vec<u8>)> {
    let images = read_idx_bytes(MNIST_IMAGES.to_vec(), Path::new("<built-in MNIST sample>"))?;
    let labels = read_idx_bytes(MNIST_LABELS.to_vec(), Path::new("<built-in MNIST sample labels>"))?;
    // IDX type 0x08: unsigned bytes, read exactly into f32.
    let digits = labels.values().iter().map(|&v| v as u8).collect();
    Ok((images, digits))
}
