//! Delimited text: `.csv`, `.tsv`, and whitespace-separated `.txt` (as `numpy.savetxt` writes).
//!
//! The delimiter is `,`, tab or `;`, whichever the first line uses most (tab for `.tsv`); a first
//! line with none of them but with spaces makes the file whitespace-separated (any run of spaces
//! and tabs separates two cells). The first line is a header, and skipped, only when it is not
//! numeric like the rest: it has a cell that is not a number while the second line is all numbers
//! (or there is no second line). Lines starting with `#` are comments. Errors count lines and
//! columns from 1, as editors do. Numbers are read as `f64` and kept so
//! ([`read_delimited_f64`]) or rounded to `f32` ([`read_delimited`]), which must hold them.

use std::path::Path;

use csv::StringRecord;

use super::{Matrix, MatrixF64, read_file};
use crate::error::{Error, Result};

/// Reads a numeric table into `f32`; `delimiter` overrides detection.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Format`] naming the line and column of a
/// cell that is empty, not a number, or not finite in `f32`, of a row of another width, or for a
/// file without data rows.
pub fn read_delimited(path: &Path, delimiter: Option<u8>) -> Result<Matrix> {
    let (values, n_rows, n_cols) = read_table::<f32>(path, delimiter)?;
    Ok(Matrix::owned(values, n_rows, n_cols, path))
}

/// Reads a numeric table into `f64`, as [`read_delimited`] does into `f32` (a value need only be
/// finite in `f64`).
///
/// # Errors
/// As [`read_delimited`].
pub fn read_delimited_f64(path: &Path, delimiter: Option<u8>) -> Result<MatrixF64> {
    let (values, n_rows, n_cols) = read_table::<f64>(path, delimiter)?;
    Ok(MatrixF64 { values, n_rows, n_cols, path: path.to_path_buf() })
}

/// The type a table's numbers are stored in.
trait Cell: Copy {
    /// Its name in messages.
    const NAME: &'static str;
    /// `v` in this type, if it is finite there.
    fn finite(v: f64) -> Option<Self>;
}

impl Cell for f32 {
    const NAME: &'static str = "f32";
    fn finite(v: f64) -> Option<f32> {
        Some(v as f32).filter(|x| x.is_finite())
    }
}

impl Cell for f64 {
    const NAME: &'static str = "f64";
    fn finite(v: f64) -> Option<f64> {
        Some(v).filter(|x| x.is_finite())
    }
}

/// The values of a table, row-major, with its row and column counts.
fn read_table<T: Cell>(path: &Path, delimiter: Option<u8>) -> Result<(Vec<T>, usize, usize)> {
    let bytes = super::maybe_gunzip(read_file(path)?, path)?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        Error::format(path, format!("line {line}: not valid UTF-8 text"))
    })?;
    // A byte-order mark (Excel's "CSV UTF-8") is not part of the first cell.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(first) = text.lines().find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')) else {
        return Err(Error::format(path, "the file is empty (no data lines)"));
    };
    let mut rows = match delimiter.or_else(|| sniff_delimiter(first)) {
        Some(d) => Rows::Delimited(
            csv::ReaderBuilder::new().delimiter(d).has_headers(false).flexible(true).comment(Some(b'#')).trim(csv::Trim::All).from_reader(text.as_bytes()),
        ),
        None => Rows::Whitespace(text.lines().enumerate()),
    };

    let mut first = StringRecord::new();
    let mut record = StringRecord::new();
    let Some(first_line) = rows.next(&mut first, path)? else {
        return Err(Error::format(path, "the file is empty (no data lines)"));
    };
    let second_line = rows.next(&mut record, path)?;
    let is_header = has_text_cell(&first) && (second_line.is_none() || !has_text_cell(&record));

    let mut table = Table { values: Vec::new(), n_cols: None, n_rows: 0 };
    if !is_header {
        table.push(&first, first_line, path)?;
    }
    let mut line = second_line;
    while let Some(l) = line {
        table.push(&record, l, path)?;
        line = rows.next(&mut record, path)?;
    }
    let Some((d, _)) = table.n_cols else {
        return Err(Error::format(path, "the file has a header but no data rows"));
    };
    Ok((table.values, table.n_rows, d))
}

/// The data lines of a file, one record at a time.
enum Rows<'a> {
    Delimited(csv::Reader<&'a [u8]>),
    /// Lines with their index from 0.
    Whitespace(std::iter::Enumerate<std::str::Lines<'a>>),
}

impl Rows<'_> {
    /// Reads the next non-blank, non-comment line into `record`; returns its line number.
    fn next(&mut self, record: &mut StringRecord, path: &Path) -> Result<Option<u64>> {
        match self {
            Rows::Delimited(reader) => loop {
                match reader.read_record(record) {
                    Ok(false) => return Ok(None),
                    Ok(true) if record.len() == 1 && record[0].is_empty() => continue, // blank line
                    Ok(true) => return Ok(Some(record.position().map(|p| p.line()).unwrap_or(0))),
                    Err(e) => {
                        let line = e.position().map(|p| p.line()).unwrap_or(0);
                        return Err(Error::format(path, format!("line {line}: {e}")));
                    }
                }
            },
            Rows::Whitespace(lines) => {
                for (i, line) in lines.by_ref() {
                    let line = line.trim();
                    if line.is_empty() || line.starts_with('#') {
                        continue;
                    }
                    record.clear();
                    line.split_whitespace().for_each(|cell| record.push_field(cell));
                    return Ok(Some(i as u64 + 1));
                }
                Ok(None)
            }
        }
    }
}

/// True when a cell holds something other than a number (an empty cell is a missing value, not text).
fn has_text_cell(record: &StringRecord) -> bool {
    record.iter().any(|cell| !cell.is_empty() && cell.parse::<f64>().is_err())
}

/// The values read so far, with the width of the first data line and its line number.
struct Table<T> {
    values: Vec<T>,
    n_cols: Option<(usize, u64)>,
    n_rows: usize,
}

impl<T: Cell> Table<T> {
    fn push(&mut self, record: &StringRecord, line: u64, path: &Path) -> Result<()> {
        match self.n_cols {
            None => self.n_cols = Some((record.len(), line)),
            Some((w, first_line)) if w != record.len() => {
                return Err(Error::format(path, format!("line {line} has {} fields but line {first_line} has {w} (ragged rows)", record.len())));
            }
            Some(_) => {}
        }
        for (j, cell) in record.iter().enumerate() {
            let col = j + 1;
            if cell.is_empty() {
                return Err(Error::format(path, format!("line {line}, column {col} is empty (missing value)")));
            }
            let v: f64 = cell.parse().map_err(|_| Error::format(path, format!("line {line}, column {col}: cannot read `{cell}` as a number")))?;
            let Some(v) = T::finite(v) else {
                return Err(Error::format(
                    path,
                    format!("line {line}, column {col}: `{cell}` is not a finite number ({}); unfold needs finite values", T::NAME),
                ));
            };
            self.values.push(v);
        }
        self.n_rows += 1;
        Ok(())
    }
}

/// `,`, tab or `;`, whichever `line` holds most; `None` (whitespace-separated) when it holds none
/// of them.
pub(crate) fn sniff_delimiter(line: &str) -> Option<u8> {
    let count = |c: char| line.matches(c).count();
    [(b',', count(',')), (b'\t', count('\t')), (b';', count(';'))].into_iter().max_by_key(|&(_, c)| c).filter(|&(_, c)| c > 0).map(|(d, _)| d)
}
