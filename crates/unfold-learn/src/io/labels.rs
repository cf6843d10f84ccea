//! Label files: `.npy` (integers, bools or strings), IDX (MNIST labels), or text: one label per
//! line (with an optional header line), or a table (`,`, tab or `;` between cells, as a `.csv` or
//! `.tsv` file) from which one column is taken.

use std::path::Path;

use super::npy::{TypeChar, parse_header};
use super::{FileKind, read_file};
use crate::data::Labels;
use crate::error::{Error, Result};

/// Reads a labels file; when `n_rows` is given, its length must match. A table of several
/// columns is refused: [`read_labels_column`] chooses one.
pub fn read_labels(path: &Path, n_rows: Option<usize>) -> Result<Labels> {
    read_labels_column(path, n_rows, None)
}

/// Reads a labels file as [`read_labels`] does, taking the labels of a text table from the
/// column `column`: a name in its header line, or a number counted from 1. With `None`, a table
/// must have one column.
///
/// # Errors
/// [`Error::Format`] naming the file and the place: an empty label, ragged rows, a table of
/// several columns without `column` (the message lists them), a `column` the table does not have,
/// a `column` for a file without columns (`.npy`, IDX), or a length other than `n_rows`.
pub fn read_labels_column(path: &Path, n_rows: Option<usize>, column: Option<&str>) -> Result<Labels> {
    let labels = match FileKind::from_path(path) {
        Some(kind @ (FileKind::Npy | FileKind::Idx)) if column.is_some() => {
            let what = if kind == FileKind::Npy { ".npy" } else { "IDX" };
            return Err(Error::format(
                path,
                format!("a {what} labels file has no columns to choose from (column `{}` was asked for)", column.unwrap_or_default()),
            ));
        }
        Some(FileKind::Npy) => read_npy_labels(path)?,
        Some(FileKind::Idx) => {
            let m = super::read_idx(path)?;
            if m.n_cols() != 1 {
                return Err(Error::format(path, format!("a labels file must be 1-D, this IDX file has {} columns", m.n_cols())));
            }
            Labels::from_ints(&m.values().iter().map(|&v| v as i64).collect::<Vec<_>>())
        }
        _ => read_text_labels(path, n_rows, column)?,
    };
    if labels.is_empty() {
        return Err(Error::format(path, "the labels file is empty"));
    }
    if let Some(n) = n_rows {
        labels.check_len(n).map_err(|e| e.in_file(path))?;
    }
    Ok(labels)
}

/// One line of a text labels file: its number (from 1) and its cells.
struct Row {
    line: usize,
    cells: Vec<String>,
}

fn read_text_labels(path: &Path, n_rows: Option<usize>, column: Option<&str>) -> Result<Labels> {
    let bytes = super::maybe_gunzip(read_file(path)?, path)?;
    let text = String::from_utf8(bytes).map_err(|_| Error::format(path, "labels file is not valid UTF-8 text"))?;
    let mut lines: Vec<&str> = text.strip_prefix('\u{feff}').unwrap_or(&text).lines().collect();
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    if let Some(i) = lines.iter().position(|l| l.trim().is_empty()) {
        return Err(Error::format(path, format!("line {} is empty (missing label)", i + 1)));
    }
    let rows = split_rows(path, &lines)?;
    let Some(first) = rows.first() else { return Ok(Labels::from_strings(Vec::new())) };
    let width = first.cells.len();
    // The first line is a header when there is one line more than data rows, when it holds the
    // column asked for, or when a column is numbers below a first cell that is not.
    let number = |s: &str| s.parse::<f64>().is_ok();
    let one_extra = n_rows.is_some_and(|n| rows.len() == n + 1);
    let named = column.is_some_and(|c| first.cells.iter().any(|h| h == c));
    let numbers_below = rows.len() > 1 && (0..width).any(|j| !number(&first.cells[j]) && rows[1..].iter().all(|r| number(&r.cells[j])));
    let header = one_extra || named || numbers_below;
    let j = choose_column(path, if header { Some(&first.cells) } else { None }, width, column)?;
    let body = &rows[header as usize..];
    if let Some(r) = body.iter().find(|r| r.cells[j].is_empty()) {
        return Err(Error::format(path, format!("line {}, column {} is empty (missing label)", r.line, j + 1)));
    }
    Ok(Labels::from_strings(body.iter().map(|r| r.cells[j].clone())))
}

/// Splits the lines into cells: a table when the first line holds `,`, tab or `;` (tab for
/// `.tsv`) and every line has as many cells; otherwise one label per line, as it stands. Only a
/// `.csv` or `.tsv` file with lines of different lengths is an error.
fn split_rows(path: &Path, lines: &[&str]) -> Result<Vec<Row>> {
    let whole_lines = || lines.iter().enumerate().map(|(i, l)| Row { line: i + 1, cells: vec![l.trim().to_string()] }).collect();
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    let tsv = name.ends_with(".tsv") || name.ends_with(".tab");
    let table = tsv || name.ends_with(".csv");
    let Some(delimiter) = (if tsv { Some(b'\t') } else { lines.first().and_then(|l| super::delimited::sniff_delimiter(l)) }) else {
        return Ok(whole_lines());
    };
    let text = lines.join("\n");
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut rows: Vec<Row> = Vec::with_capacity(lines.len());
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            Error::format(path, format!("line {line}: {e}"))
        })?;
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        if let Some(first) = rows.first()
            && first.cells.len() != record.len()
        {
            if !table {
                return Ok(whole_lines());
            }
            return Err(Error::format(
                path,
                format!("line {line} has {} fields but line {} has {} (ragged rows)", record.len(), first.line, first.cells.len()),
            ));
        }
        rows.push(Row { line, cells: record.iter().map(str::to_string).collect() });
    }
    Ok(rows)
}

/// The index of the labels' column: `column` by header name or number from 1, or the only one.
fn choose_column(path: &Path, header: Option<&Vec<String>>, width: usize, column: Option<&str>) -> Result<usize> {
    let names = || match header {
        Some(h) => h.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "),
        None => format!("no header line, so numbered 1 to {width}"),
    };
    let Some(c) = column else {
        if width == 1 {
            return Ok(0);
        }
        return Err(Error::format(path, format!("{width} columns ({}); name the column that holds the labels", names())));
    };
    if let Some(j) = header.and_then(|h| h.iter().position(|h| h == c)) {
        return Ok(j);
    }
    match c.parse::<usize>() {
        Ok(j) if (1..=width).contains(&j) => Ok(j - 1),
        _ => Err(Error::format(path, format!("no column `{c}`; the columns are: {}", names()))),
    }
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
    let item = h.size.checked_mul(if h.type_char == TypeChar::UnicodeStr { 4 } else { 1 });
    let Some(need) = item.and_then(|item| item.checked_mul(n)) else {
        return Err(Error::format(path, format!("the header's {n} labels of dtype `{}` exceed 2^64 bytes", h.descr)));
    };
    if body.len() < need {
        return Err(Error::format(path, format!("truncated: {n} labels need {need} bytes, {} follow the header", body.len())));
    }
    let body = &body[..need];
    let strings: Vec<String> = match h.type_char {
        TypeChar::Int | TypeChar::Uint | TypeChar::Bool if matches!(h.size, 1 | 2 | 4 | 8) => {
            return Ok(int_labels(body, h.type_char, h.size, h.big_endian));
        }
        TypeChar::Float if matches!(h.size, 2 | 4 | 8) => {
            let v = super::npy::convert_to_f32(body, h.type_char, h.size, h.big_endian);
            if let Some(i) = v.iter().position(|x| x.fract() != 0.0 || !x.is_finite()) {
                return Err(Error::format(path, format!("label {i} is {} — float labels must be whole numbers", v[i])));
            }
            return Ok(Labels::from_ints(&v.iter().map(|&x| x as i64).collect::<Vec<_>>()));
        }
        TypeChar::ByteStr => body.chunks(h.size.max(1)).map(|c| String::from_utf8_lossy(c).trim_end_matches('\0').to_string()).collect(),
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
        _ => return Err(Error::format(path, format!("unsupported label dtype `{}`; use integers or strings", h.descr))),
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
