//! Delimited text: `.csv`, `.tsv`.
//!
//! The delimiter is `,`, tab or `;`, whichever the first line uses most (tab for `.tsv`). A first
//! line with any non-numeric cell is a header and is skipped. Lines starting with `#` are comments.
//! Errors count lines and columns from 1, as editors do.

use std::path::Path;

use super::{Matrix, read_file};
use crate::error::{Error, Result};

/// Reads a numeric table; `delimiter` overrides detection.
pub fn read_delimited(path: &Path, delimiter: Option<u8>) -> Result<Matrix> {
    let bytes = super::maybe_gunzip(read_file(path)?, path)?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        Error::format(path, format!("line {line}: not valid UTF-8 text"))
    })?;
    let first = text.lines().find(|l| !l.trim().is_empty() && !l.starts_with('#'));
    let Some(first) = first else {
        return Err(Error::format(path, "the file is empty (no data lines)"));
    };
    let delimiter = delimiter.unwrap_or_else(|| sniff_delimiter(first));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());

    let mut values: Vec<f32> = Vec::new();
    let mut n_cols: Option<(usize, u64)> = None;
    let mut n_rows = 0usize;
    let mut record = csv::StringRecord::new();
    let mut first_record = true;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                return Err(Error::format(path, format!("line {line}: {e}")));
            }
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.len() == 1 && record[0].is_empty() {
            continue; // blank line
        }
        if first_record {
            first_record = false;
            if record.iter().any(|cell| cell.parse::<f64>().is_err()) {
                continue; // header
            }
        }
        match n_cols {
            None => n_cols = Some((record.len(), line)),
            Some((w, first_line)) if w != record.len() => {
                return Err(Error::format(
                    path,
                    format!("line {line} has {} fields but line {first_line} has {w} (ragged rows)", record.len()),
                ));
            }
            Some(_) => {}
        }
        for (j, cell) in record.iter().enumerate() {
            let col = j + 1;
            if cell.is_empty() {
                return Err(Error::format(path, format!("line {line}, column {col} is empty (missing value)")));
            }
            let v: f64 = cell.parse().map_err(|_| {
                Error::format(path, format!("line {line}, column {col}: cannot read `{cell}` as a number"))
            })?;
            if !v.is_finite() || !(v as f32).is_finite() {
                return Err(Error::format(
                    path,
                    format!("line {line}, column {col}: `{cell}` is not a finite number (f32); unfold needs finite values"),
                ));
            }
            values.push(v as f32);
        }
        n_rows += 1;
    }
    let Some((d, _)) = n_cols else {
        return Err(Error::format(path, "the file has a header but no data rows"));
    };
    Ok(Matrix::owned(values, n_rows, d, path))
}

fn sniff_delimiter(line: &str) -> u8 {
    let count = |c: char| line.matches(c).count();
    [(b',', count(',')), (b'\t', count('\t')), (b';', count(';'))]
        .into_iter()
        .max_by_key(|&(_, c)| c)
        .filter(|&(_, c)| c > 0)
        .map(|(d, _)| d)
        .unwrap_or(b',')
}
