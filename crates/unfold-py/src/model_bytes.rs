//! Bytes of a fitted model, for pickling: `UNFOLDPY`, a `u16` format version, the model kind
//! (length-prefixed), then the model's postcard encoding. Bytes from another kind of model or a
//! newer format are refused with a message that says so.

use pyo3::PyResult;
use pyo3::exceptions::PyValueError;
use serde::Serialize;
use serde::de::DeserializeOwned;

const MAGIC: &[u8; 8] = b"UNFOLDPY";
const FORMAT_VERSION: u16 = 1;

/// Encodes `model` as a model of kind `kind` (e.g. `"pca"`).
pub fn to_bytes<T: Serialize>(kind: &str, model: &T) -> PyResult<Vec<u8>> {
    let payload = postcard::to_allocvec(model).map_err(|e| PyValueError::new_err(format!("cannot encode the {kind} model: {e}")))?;
    let mut out = Vec::with_capacity(payload.len() + 16 + kind.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.push(kind.len() as u8);
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Decodes bytes written by [`to_bytes`] for the same `kind`.
pub fn from_bytes<T: DeserializeOwned>(kind: &str, bytes: &[u8]) -> PyResult<T> {
    let bad = |m: String| PyValueError::new_err(m);
    let rest = bytes.strip_prefix(MAGIC.as_slice()).ok_or_else(|| bad("not the bytes of an unfold model (the header is missing)".into()))?;
    let (version, rest) = rest.split_at_checked(2).ok_or_else(|| bad("truncated unfold model bytes".into()))?;
    let version = u16::from_le_bytes([version[0], version[1]]);
    if version > FORMAT_VERSION {
        return Err(bad(format!("unfold model format {version} is newer than this build reads ({FORMAT_VERSION}); upgrade unfold")));
    }
    let (&len, rest) = rest.split_first().ok_or_else(|| bad("truncated unfold model bytes".into()))?;
    let (found, payload) = rest.split_at_checked(len as usize).ok_or_else(|| bad("truncated unfold model bytes".into()))?;
    if found != kind.as_bytes() {
        return Err(bad(format!("these bytes hold a `{}` model, not a `{kind}` model", String::from_utf8_lossy(found))));
    }
    postcard::from_bytes(payload).map_err(|e| bad(format!("corrupt {kind} model bytes: {e}")))
}
