//! Label files: `.npy` (integers, bools or strings), IDX (MNIST labels), or text with one label
//! per line (with an optional header line).

use std::path::Path;

use npyz::TypeChar;

use super::npy::parse_header;
use super::{FileKind, read_file};
use crate::data::Labels;
use crate::error::{Error, Result};

/// Reads a labels file; when `n_rows` is given, its length must match.
pub fn read_labels(path: &Path, n_rows: Option<usize>) -> Result<Labels> {
    let labels = match FileKind::from_path(path) {
        Some(FileKind::Npy) => read_npy_labels(path)?,
        Some(FileKind::Idx) => {
            let m = super::read_idx(path)?;
            if m.n_cols() != 1 {
                return Err(Error::format(path, format!("a labels file must be 1-D, this IDX file has {} columns", m.n_cols())));
            }
            Labels::from_ints(&m.values().iter().map(|&v| v as i64).collect::<Vec<_>>())
        }
        _ => read_text_labels(path, n_rows)?,
    };
    if labels.is_empty() {
        return Err(Error::format(path, "the labels file is empty"));
    }
    if let Some(n) = n_rows {
        labels.check_len(n).map_err(|e| e.in_file(path))?;
    }
    Ok(labels)
}

fn read_text_labels(path: &Path, n_rows: Option<usize>) -> Result<Labels> {
    let bytes = super::maybe_gunzip(read_file(path)?, path)?;
    let text = String::from_utf8(bytes).map_err(|_| Error::format(path, "labels file is not valid UTF-8 text"))?;
    let mut lines: Vec<String> = text.lines().map(|l| l.trim().to_string()).collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    if let Some(i) = lines.iter().position(|l| l.is_empty()) {
        return Err(Error::format(path, format!("line {} is empty (missing label)", i + 1)));
    }
    // The first line is a header (e.g. "label") when there is one line more than data rows, or
    // when it is the only non-numeric line.
    let one_extra = n_rows.is_some_and(|n| lines.len() == n + 1);
    let numeric_below = lines.len() > 1 && lines[0].parse::<f64>().is_err() && lines[1..].iter().all(|l| l.parse::<f64>().is_ok());
    if one_extra || numeric_below {
        lines.remove(0);
    }
    Ok(Labels::from_strings(lines))
}

fn read_npy_labels(path: &Path) -> Result<Labels> {
    let bytes = read_file(path)?;
    let h = parse_header(&bytes, path)?;
    let n = match h.shape[..] {
        [n] => n,
        [n, 1] | [1, n] => n,
        _ => return Err(Error::format(path, format!("labels must be a 1-D array, got shape {:?}", h.shape))),
    };
    let body = &bytes[h.offset..];
    let need = n * h.size * if h.type_char == TypeChar::UnicodeStr { 4 } else { 1 };
    if body.len() < need {
        return Err(Error::format(path, format!("truncated: {n} labels need {need} bytes, {} follow the header", body.len())));
    }
    let body = &body[..need];
    let strings: Vec<String> = match h.type_char {
        TypeChar::Int | TypeChar::Uint | TypeChar::Bool if matches!(h.size, 1 | 2 | 4 | 8) => {
            return Ok(int_labels(body, h.type_char, h.size, h.big_endian));
        }
        TypeChar::Float => {
            let v = super::npy::convert_to_f32(body, h.type_char, h.size, h.big_endian);
            if let Some(i) = v.iter().position(|x| x.fract() != 0.0 || !x.is_finite()) {
                return Err(Error::format(path, format!("label {i} is {} — float labels must be whole numbers", v[i])));
            }
            return Ok(Labels::from_ints(&v.iter().map(|&x| x as i64).collect::<Vec<_>>()));
        }
        TypeChar::ByteStr => body
            .chunks(h.size.max(1))
            .map(|c| String::from_utf8_lossy(c).trim_end_matches('\0').to_string())
            .collect(),
        TypeChar::UnicodeStr => body
            .chunks(4 * h.size.max(1))
            .map(|c| {
                c.chunks_exact(4)
                    .map(|b| {
                        let a = [b[0], b[1], b[2], b[3]];
                        u32::from_le_bytes(if h.big_endian { [a[3], a[2], a[1], a[0]] } else { a })
                    })
                    .take_while(|&u| u != 0)
                    .map(|u| char::from_u32(u).unwrap_or('\u{FFFD}'))
                    .collect()
            })
            .collect(),
        tc => return Err(Error::format(path, format!("unsupported label dtype ({tc:?}); use integers or strings"))),
    };
    Ok(Labels::from_strings(strings))
}

fn int_labels(body: &[u8], tc: TypeChar, size: usize, big: bool) -> Labels {
    let v: Vec<i64> = body
        .chunks_exact(size)
        .map(|c| {
            let mut b = [0u8; 8];
            if big {
                b[8 - size..].copy_from_slice(c);
                b.reverse();
            } else {
                b[..size].copy_from_slice(c);
            }
            let raw = i64::from_le_bytes(b);
            match tc {
                // sign-extend
                TypeChar::Int => (raw << (64 - 8 * size)) >> (64 - 8 * size),
                _ => raw,
            }
        })
        .collect();
    Labels::from_ints(&v)
}
