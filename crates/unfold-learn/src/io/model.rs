//! Model files: one container for every kind of model — magic, format version, method kind,
//! parameters, payload, checksum.
//!
//! Layout (little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 8 | the magic `UNFOLD\x02M` (byte 6 is the container layout: 2; files of the first layout, `UNFOLD\0M`, had no parameters) |
//! | 2 | `u16` format version of the kind's payload |
//! | 1 + t | `u8` length `t` and the kind tag (`umap`, `pca`, …) |
//! | 4 + p | `u32` length `p` and the parameter block: the model's parameters as its fit resolved them, a postcard list of `(name, value)` pairs ([`Value`]) |
//! | 8 | `u64` payload length |
//! | 4 | CRC-32 of the parameter block followed by the payload |
//! | … | the payload: the model, postcard-encoded |
//!
//! [`parameters_of`] lists the parameters without decoding the payload. A file that is not a
//! model, holds another kind of model, comes from another format version, is truncated or corrupt
//! is rejected with a message that says which; each model's reader then checks that the decoded
//! parts fit together (lengths, indices in range, finite values, the metric against the columns)
//! and names the part that does not.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::method::Value;

const MAGIC: &[u8; 8] = b"UNFOLD\x02M";
/// The magic of the first container layout, without a parameter block.
const MAGIC_1: &[u8; 8] = b"UNFOLD\0M";

/// A kind of model: its tag and the version of its layout that this build writes and reads.
/// Files of any other version are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The tag in the header (`umap`, `pca`, …).
    pub tag: &'static str,
    /// The layout version.
    pub version: u16,
}

/// A model's parameters as its file keeps them: `(name, value)` in declaration order.
pub type Parameters = Vec<(String, Value)>;

/// Serialises `value` as a model of kind `kind` with its `parameters`.
///
/// # Errors
/// [`Error::Numerical`] if serialisation fails (it does not for the crate's models).
pub fn to_bytes<T: Serialize>(kind: Kind, parameters: &[(&str, Value)], value: &T) -> Result<Vec<u8>> {
    let encode = |e: postcard::Error| Error::Numerical { stage: "model serialisation", message: e.to_string() };
    let params = postcard::to_allocvec(parameters).map_err(encode)?;
    let payload = postcard::to_allocvec(value).map_err(encode)?;
    let mut out = Vec::with_capacity(params.len() + payload.len() + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&kind.version.to_le_bytes());
    out.push(kind.tag.len() as u8);
    out.extend_from_slice(kind.tag.as_bytes());
    out.extend_from_slice(&(params.len() as u32).to_le_bytes());
    out.extend_from_slice(&params);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32(&[&params, &payload]).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Reads a model of kind `kind` written by [`to_bytes`].
///
/// # Errors
/// [`Error::InvalidData`] naming the problem: not a model file, another kind, another format
/// version (newer: upgrade; older: fit again), truncated, or corrupt.
pub fn from_bytes<T: DeserializeOwned>(kind: Kind, bytes: &[u8]) -> Result<T> {
    decode(kind, bytes).map(|(_, value)| value)
}

/// [`from_bytes`], with the model's parameters.
///
/// # Errors
/// As [`from_bytes`].
pub fn decode<T: DeserializeOwned>(kind: Kind, bytes: &[u8]) -> Result<(Parameters, T)> {
    let header = Header::read(bytes, Some(kind))?;
    let parameters = header.parameters()?;
    let value = postcard::from_bytes(header.payload).map_err(|e| Error::InvalidData(format!("corrupt model file: {e}")))?;
    Ok((parameters, value))
}

/// The parameters a model file records, as its fit resolved them, without decoding the model.
///
/// ```
/// use unfold_learn::prelude::*;
/// use unfold_learn::method::Value;
/// let x: Vec<f32> = (0..40).map(|i| ((i * 7) % 11) as f32).collect();
/// let pca = Pca::builder().n_components(2).build()?.fit(&Data::from_row_major(&x, 10, 4)?, &Context::default())?;
/// let parameters = unfold_learn::io::model::parameters_of(&pca.to_bytes()?)?;
/// assert!(parameters.contains(&("n_components".to_string(), Value::Int(2))));
/// # Ok::<(), unfold_learn::Error>(())
/// ```
///
/// # Errors
/// As [`from_bytes`], but any kind and version of the current container layout is read.
pub fn parameters_of(bytes: &[u8]) -> Result<Parameters> {
    Header::read(bytes, None)?.parameters()
}

/// The kind tag in the header of model bytes (`umap`, `pca`, …), so that a reader that serves
/// every kind (`unfold transform`) can pick the model type before decoding.
///
/// # Errors
/// [`Error::InvalidData`] for bytes that are not a model file or end inside the header.
pub fn kind_of(bytes: &[u8]) -> Result<String> {
    if !(bytes.starts_with(MAGIC) || bytes.starts_with(MAGIC_1)) {
        return Err(not_a_model());
    }
    let at = MAGIC.len() + 2;
    let len = *bytes.get(at).ok_or_else(|| truncated_header(bytes))? as usize;
    let tag = bytes.get(at + 1..at + 1 + len).ok_or_else(|| truncated_header(bytes))?;
    Ok(String::from_utf8_lossy(tag).into_owned())
}

fn not_a_model() -> Error {
    Error::InvalidData("not an unfold model file (the header is missing)".into())
}

fn truncated_header(bytes: &[u8]) -> Error {
    Error::InvalidData(format!("truncated model file: it ends at byte {} inside the header", bytes.len()))
}

/// A model file's header, checked, around its parameter block and payload.
struct Header<'a> {
    params: &'a [u8],
    payload: &'a [u8],
}

impl<'a> Header<'a> {
    /// Reads and checks the header, the lengths and the checksum; with `kind`, also the tag and
    /// the version.
    fn read(bytes: &'a [u8], kind: Option<Kind>) -> Result<Header<'a>> {
        let bad = |m: String| Error::InvalidData(m);
        let first_layout = bytes.starts_with(MAGIC_1);
        if !(bytes.starts_with(MAGIC) || first_layout) {
            return Err(not_a_model());
        }
        let mut at = MAGIC.len();
        let mut take = |len: usize| -> Result<&'a [u8]> {
            let s = at.checked_add(len).and_then(|end| bytes.get(at..end)).ok_or_else(|| truncated_header(bytes))?;
            at += len;
            Ok(s)
        };
        let version = u16::from_le_bytes(take(2)?.try_into().expect("2 bytes"));
        let kind_len = take(1)?[0] as usize;
        let found = String::from_utf8_lossy(take(kind_len)?).into_owned();
        if let Some(kind) = kind {
            if found != kind.tag {
                return Err(bad(format!("this file holds a `{found}` model, not a `{}` model", kind.tag)));
            }
            if version > kind.version && !first_layout {
                return Err(bad(format!("model format version {version} is newer than this build reads ({}); upgrade unfold", kind.version)));
            }
            if version < kind.version || first_layout {
                return Err(bad(format!(
                    "model format version {version} comes from an older unfold; this build reads version {}: fit the model again",
                    kind.version
                )));
            }
        } else if first_layout {
            return Err(bad(format!("this `{found}` model file comes from an older unfold, whose files do not record their parameters: fit the model again")));
        }
        let params_len = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
        let params = take(params_len)?;
        let len = u64::from_le_bytes(take(8)?.try_into().expect("8 bytes"));
        let crc = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes"));
        let payload = &bytes[at..];
        if (payload.len() as u64) < len {
            return Err(bad(format!("truncated model file: {len} bytes of model data expected, {} present", payload.len())));
        }
        if payload.len() as u64 > len {
            return Err(bad(format!("corrupt model file: {} unexpected bytes after the model data", payload.len() as u64 - len)));
        }
        if crc32(&[params, payload]) != crc {
            return Err(bad("corrupt model file: the checksum does not match the contents".into()));
        }
        Ok(Header { params, payload })
    }

    /// The parameter block, decoded.
    fn parameters(&self) -> Result<Parameters> {
        postcard::from_bytes(self.params).map_err(|e| Error::InvalidData(format!("corrupt model file: its parameter block does not decode ({e})")))
    }
}

/// Writes a model file atomically.
///
/// # Errors
/// [`Error::Io`] when the file cannot be written.
pub fn save<T: Serialize>(path: &Path, kind: Kind, parameters: &[(&str, Value)], value: &T) -> Result<()> {
    let bytes = to_bytes(kind, parameters, value)?;
    super::write_atomic(path, |w| w.write_all(&bytes))
}

/// The bytes of a model file, naming the file in any error. They are mapped, not copied: a
/// model's training rows are tens of megabytes, which decoding copies once anyway.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read.
pub fn read(path: &Path) -> Result<memmap2::Mmap> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(Error::io(path, std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory, not a model file")));
    }
    // SAFETY: the map is read-only; a file truncated by another process while mapped is the
    // usual caveat of memory maps, as for `.npy` input.
    unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))
}

/// CRC-32 of the concatenation of `parts`.
fn crc32(parts: &[&[u8]]) -> u32 {
    let mut c = flate2::Crc::new();
    for p in parts {
        c.update(p);
    }
    c.sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_rejection() {
        let umap = Kind { tag: "umap", version: 3 };
        let value = (vec![1.5f32, -2.0, 3.25], String::from("x"), 7u64);
        let params = [("n_neighbors", Value::Int(15)), ("min_dist", Value::Float(0.1)), ("metric", Value::Text("cosine".into())), ("a", Value::None)];
        let bytes = to_bytes(umap, &params, &value).unwrap();
        let (read_params, read) = decode::<(Vec<f32>, String, u64)>(umap, &bytes).unwrap();
        assert_eq!(read, value);
        let expected: Parameters = params.iter().map(|(n, v)| (n.to_string(), v.clone())).collect();
        assert_eq!(read_params, expected);
        assert_eq!(parameters_of(&bytes).unwrap(), expected);
        let err = |b: &[u8], kind: Kind| from_bytes::<(Vec<f32>, String, u64)>(kind, b).unwrap_err().to_string();
        assert!(err(b"PK\x03\x04 a zip file", umap).contains("not an unfold model"));
        assert!(err(&bytes, Kind { tag: "tsne", version: 3 }).contains("holds a `umap` model, not a `tsne`"));
        assert!(err(&bytes[..bytes.len() - 3], umap).contains("truncated"));
        assert!(err(&bytes[..12], umap).contains("truncated"));
        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 0x10;
        assert!(err(&flipped, umap).contains("checksum"));
        // The checksum covers the parameter block too: byte 19 is in it (8 + 2 + 1 + 4 + 4).
        let mut flipped = bytes.clone();
        flipped[19] ^= 0x01;
        assert!(err(&flipped, umap).contains("checksum"));
        assert!(parameters_of(&flipped).unwrap_err().to_string().contains("checksum"));
        let mut newer = bytes.clone();
        newer[8] = 9;
        assert!(err(&newer, umap).contains("newer"));
        let mut older = bytes.clone();
        older[8] = 1;
        assert!(err(&older, umap).contains("older unfold"));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(err(&longer, umap).contains("unexpected bytes"));
        // A parameter block longer than the file.
        let mut long_block = bytes.clone();
        long_block[15..19].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(err(&long_block, umap).contains("truncated"));
        assert_eq!(kind_of(&bytes).unwrap(), "umap");
        assert!(kind_of(b"PK\x03\x04 a zip file").unwrap_err().to_string().contains("not an unfold model"));
        assert!(kind_of(&bytes[..10]).unwrap_err().to_string().contains("truncated"));
    }

    #[test]
    fn files_of_the_first_layout_are_refused_as_older() {
        // The first layout: magic, version 5, tag, payload length, CRC, payload.
        let payload = postcard::to_allocvec(&7u64).unwrap();
        let mut old = b"UNFOLD\0M".to_vec();
        old.extend_from_slice(&5u16.to_le_bytes());
        old.push(4);
        old.extend_from_slice(b"umap");
        old.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        old.extend_from_slice(&crc32(&[&payload]).to_le_bytes());
        old.extend_from_slice(&payload);
        let e = from_bytes::<u64>(Kind { tag: "umap", version: 6 }, &old).unwrap_err().to_string();
        assert_eq!(e, "model format version 5 comes from an older unfold; this build reads version 6: fit the model again");
        let e = parameters_of(&old).unwrap_err().to_string();
        assert!(e.contains("older unfold") && e.contains("fit the model again"), "{e}");
        assert_eq!(kind_of(&old).unwrap(), "umap");
    }
}
