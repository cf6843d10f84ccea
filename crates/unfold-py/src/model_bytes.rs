//! Bytes of a fitted model, for pickling: the core's model file format
//! ([`unfold_learn::io::model`]: magic, format version, kind tag, length, CRC-32, postcard
//! payload), so a pickled estimator's model and an `unfold embed --save-model` file are the same
//! bytes. Bytes of another kind of model, another format version, truncated or corrupt bytes are refused
//! with a `ValueError` that says which.

use pyo3::prelude::*;
use pyo3::types::PyBytes;
/// What `__reduce__` returns for a model class with a `from_bytes` static method: unpickling
/// calls `from_bytes(bytes)`, which is the core model's own `from_bytes` (it checks the contents,
/// not only the header).
pub fn reduce<'py, T: pyo3::PyClass>(slf: &Bound<'py, T>, bytes: Bound<'py, PyBytes>) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
    Ok((slf.as_any().get_type().getattr("from_bytes")?, (bytes,)))
}
