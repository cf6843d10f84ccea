//! Model files: a small versioned, checksummed header around a postcard payload.
//!
//! Layout (little-endian): the 8-byte magic `UNFOLD\0M`, a `u16` format version of the kind, a
//! `u8` length and the kind tag (`umap`, …), a `u64` payload length, the payload's CRC-32, then
//! the payload. A file that is not a model, holds another kind of model, comes from another
//! format version, is truncated or corrupt is rejected with a message that says which.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

const MAGIC: &[u8; 8] = b"UNFOLD\0M";
/// A kind of model: its tag and the version of its layout that this build writes and reads.
/// Files of any other version are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The tag in the header (`umap`, `pca`, …).
    pub tag: &'static str,
    /// The layout version.
    pub version: u16,
}

/// Serialises `value` as a model of kind `kind`.
///
/// # Errors
/// [`Error::Numerical`] if serialisation fails (it does not for the crate's models).
pub fn to_bytes<T: Serialize>(kind: Kind, value: &T) -> Result<Vec<u8>> {
    let payload = postcard::to_allocvec(value).map_err(|e| Error::Numerical { stage: "model serialisation", message: e.to_string() })?;
    let mut out = Vec::with_capacity(payload.len() + 32);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&kind.version.to_le_bytes());
    out.push(kind.tag.len() as u8);
    out.extend_from_slice(kind.tag.as_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Reads a model of kind `kind` written by [`to_bytes`].
///
/// # Errors
/// [`Error::InvalidData`] naming the problem: not a model file, another kind, another format
/// version (newer: upgrade; older: fit again), truncated, or corrupt.
pub fn from_bytes<T: DeserializeOwned>(kind: Kind, bytes: &[u8]) -> Result<T> {
    let bad = |m: String| Error::InvalidData(m);
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(bad("not an unfold model file (the header is missing)".into()));
    }
    let mut at = MAGIC.len();
    let mut take = |len: usize| -> Result<&[u8]> {
        let s = bytes.get(at..at + len).ok_or_else(|| bad(format!("truncated model file: it ends at byte {} inside the header", bytes.len())))?;
        at += len;
        Ok(s)
    };
    let version = u16::from_le_bytes(take(2)?.try_into().expect("2 bytes"));
    let kind_len = take(1)?[0] as usize;
    let found = String::from_utf8_lossy(take(kind_len)?).into_owned();
    if found != kind.tag {
        return Err(bad(format!("this file holds a `{found}` model, not a `{}` model", kind.tag)));
    }
    if version > kind.version {
        return Err(bad(format!("model format version {version} is newer than this build reads ({}); upgrade unfold", kind.version)));
    }
    if version < kind.version {
        return Err(bad(format!("model format version {version} comes from an older unfold; this build reads version {}: fit the model again", kind.version)));
    }
    let len = u64::from_le_bytes(take(8)?.try_into().expect("8 bytes"));
    let crc = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes"));
    let payload = &bytes[at..];
    if (payload.len() as u64) < len {
        return Err(bad(format!("truncated model file: {len} bytes of model data expected, {} present", payload.len())));
    }
    if payload.len() as u64 > len {
        return Err(bad(format!("corrupt model file: {} unexpected bytes after the model data", payload.len() as u64 - len)));
    }
    if crc32(payload) != crc {
        return Err(bad("corrupt model file: the checksum does not match the contents".into()));
    }
    postcard::from_bytes(payload).map_err(|e| bad(format!("corrupt model file: {e}")))
}

/// The kind tag in the header of model bytes (`umap`, `pca`, …), so that a reader that serves
/// every kind (`unfold transform`) can pick the model type before decoding.
///
/// # Errors
/// [`Error::InvalidData`] for bytes that are not a model file or end inside the header.
pub fn kind_of(bytes: &[u8]) -> Result<String> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(Error::InvalidData("not an unfold model file (the header is missing)".into()));
    }
    let at = MAGIC.len() + 2;
    let len = *bytes.get(at).ok_or_else(|| Error::InvalidData(format!("truncated model file: it ends at byte {} inside the header", bytes.len())))? as usize;
    let tag = bytes
        .get(at + 1..at + 1 + len)
        .ok_or_else(|| Error::InvalidData(format!("truncated model file: it ends at byte {} inside the header", bytes.len())))?;
    Ok(String::from_utf8_lossy(tag).into_owned())
}

/// Writes a model file atomically.
///
/// # Errors
/// [`Error::Io`] when the file cannot be written.
pub fn save<T: Serialize>(path: &Path, kind: Kind, value: &T) -> Result<()> {
    let bytes = to_bytes(kind, value)?;
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

fn crc32(bytes: &[u8]) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(bytes);
    c.sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_rejection() {
        let umap = Kind { tag: "umap", version: 3 };
        let value = (vec![1.5f32, -2.0, 3.25], String::from("x"), 7u64);
        let bytes = to_bytes(umap, &value).unwrap();
        assert_eq!(from_bytes::<(Vec<f32>, String, u64)>(umap, &bytes).unwrap(), value);
        let err = |b: &[u8], kind: Kind| from_bytes::<(Vec<f32>, String, u64)>(kind, b).unwrap_err().to_string();
        assert!(err(b"PK\x03\x04 a zip file", umap).contains("not an unfold model"));
        assert!(err(&bytes, Kind { tag: "tsne", version: 3 }).contains("holds a `umap` model, not a `tsne`"));
        assert!(err(&bytes[..bytes.len() - 3], umap).contains("truncated"));
        assert!(err(&bytes[..12], umap).contains("truncated"));
        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 0x10;
        assert!(err(&flipped, umap).contains("checksum"));
        let mut newer = bytes.clone();
        newer[8] = 9;
        assert!(err(&newer, umap).contains("newer"));
        let mut older = bytes.clone();
        older[8] = 1;
        assert!(err(&older, umap).contains("older unfold"));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(err(&longer, umap).contains("unexpected bytes"));
        assert_eq!(kind_of(&bytes).unwrap(), "umap");
        assert!(kind_of(b"PK\x03\x04 a zip file").unwrap_err().to_string().contains("not an unfold model"));
        assert!(kind_of(&bytes[..10]).unwrap_err().to_string().contains("truncated"));
    }
}
