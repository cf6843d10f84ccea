//! Readers: every supported format, and every kind of bad input with its message.

use unfold_learn::io::{
    AnyMatrix, matrix_output_kind, read_labels, read_labels_column, read_matrix, read_matrix_precise, read_vector_or_matrix, read_vector_or_matrix_precise,
    write_matrix,
};

use crate::common::{npy_with, write};

fn err(path: &std::path::Path) -> String {
    match read_matrix(path).and_then(|m| m.data().map(|_| ())) {
        Ok(()) => panic!("{} was accepted", path.display()),
        Err(e) => {
            assert!(e.is_user_error(), "{e}");
            e.to_string()
        }
    }
}

#[test]
fn npy_float32_is_memory_mapped() {
    let dir = tempfile::tempdir().unwrap();
    let values: Vec<f32> = (0..12).map(|v| v as f32 * 0.5).collect();
    let p = dir.path().join("a.npy");
    write_matrix(&p, &values, 4, 3).unwrap();
    let m = read_matrix(&p).unwrap();
    assert!(m.is_mapped());
    assert_eq!((m.n_rows(), m.n_cols()), (4, 3));
    assert_eq!(m.values(), &values[..]);
}

#[test]
fn npy_every_numeric_dtype() {
    let dir = tempfile::tempdir().unwrap();
    let want = [1.0f32, -2.0, 3.0, 4.0, 0.0, 6.0];
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("<f8", want.iter().flat_map(|&v| (v as f64).to_le_bytes()).collect()),
        (">f8", want.iter().flat_map(|&v| (v as f64).to_be_bytes()).collect()),
        (">f4", want.iter().flat_map(|&v| v.to_be_bytes()).collect()),
        ("<f2", want.iter().flat_map(|&v| half(v).to_le_bytes()).collect()),
        ("|i1", want.iter().map(|&v| v as i8 as u8).collect()),
        ("<i2", want.iter().flat_map(|&v| (v as i16).to_le_bytes()).collect()),
        ("<i4", want.iter().flat_map(|&v| (v as i32).to_le_bytes()).collect()),
        ("<i8", want.iter().flat_map(|&v| (v as i64).to_le_bytes()).collect()),
        (">i8", want.iter().flat_map(|&v| (v as i64).to_be_bytes()).collect()),
    ];
    for (descr, body) in cases {
        let p = write(dir.path(), "x.npy", &npy_with(descr, false, &[2, 3], &body));
        let m = read_matrix(&p).unwrap_or_else(|e| panic!("{descr}: {e}"));
        assert_eq!(m.values(), &want[..], "{descr}");
    }
    let unsigned = [1u8, 2, 3, 4, 0, 6];
    let ucases: Vec<(&str, Vec<u8>)> = vec![
        ("|u1", unsigned.to_vec()),
        ("<u2", unsigned.iter().flat_map(|&v| (v as u16).to_le_bytes()).collect()),
        ("<u4", unsigned.iter().flat_map(|&v| (v as u32).to_le_bytes()).collect()),
        ("<u8", unsigned.iter().flat_map(|&v| (v as u64).to_le_bytes()).collect()),
    ];
    for (descr, body) in ucases {
        let p = write(dir.path(), "x.npy", &npy_with(descr, false, &[2, 3], &body));
        let m = read_matrix(&p).unwrap();
        assert_eq!(m.values(), &[1.0, 2.0, 3.0, 4.0, 0.0, 6.0], "{descr}");
    }
    let p = write(dir.path(), "b.npy", &npy_with("|b1", false, &[2, 2], &[1, 0, 0, 1]));
    assert_eq!(read_matrix(&p).unwrap().values(), &[1.0, 0.0, 0.0, 1.0]);
}

/// float32 → IEEE half for values exactly representable in half precision.
fn half(v: f32) -> u16 {
    if v == 0.0 {
        return 0;
    }
    let bits = v.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exp = ((bits >> 23) & 0xff) as i32 - 127 + 15;
    let frac = ((bits >> 13) & 0x3ff) as u16;
    sign | ((exp as u16) << 10) | frac
}

#[test]
fn npy_fortran_order_is_transposed() {
    let dir = tempfile::tempdir().unwrap();
    // The 2 × 3 matrix [[1,2,3],[4,5,6]] stored column by column.
    let body: Vec<u8> = [1.0f32, 4.0, 2.0, 5.0, 3.0, 6.0].iter().flat_map(|v| v.to_le_bytes()).collect();
    let p = write(dir.path(), "f.npy", &npy_with("<f4", true, &[2, 3], &body));
    let m = read_matrix(&p).unwrap();
    assert!(!m.is_mapped());
    assert_eq!(m.values(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
}

#[test]
fn npy_bad_inputs_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f32s = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();

    let e = err(&write(d, "empty.npy", b""));
    assert!(e.contains("empty.npy") && e.contains("empty"), "{e}");

    let e = err(&write(d, "junk.npy", b"hello world, not numpy"));
    assert!(e.contains("junk.npy") && e.contains("not a .npy file"), "{e}");

    let full = npy_with("<f4", false, &[2, 2], &f32s(&[1.0, 2.0, 3.0, 4.0]));
    let e = err(&write(d, "cut_header.npy", &full[..20]));
    assert!(e.contains("cut_header.npy") && e.contains("header"), "{e}");

    let e = err(&write(d, "cut_body.npy", &full[..full.len() - 3]));
    assert!(e.contains("cut_body.npy") && e.contains("truncated") && e.contains("2 × 2"), "{e}");

    let e = err(&write(d, "one_d.npy", &npy_with("<f4", false, &[4], &f32s(&[1.0, 2.0, 3.0, 4.0]))));
    assert!(e.contains("one_d.npy") && e.contains("1-D") && e.contains("reshape"), "{e}");

    let e = err(&write(d, "three_d.npy", &npy_with("<f4", false, &[1, 2, 2], &f32s(&[1.0, 2.0, 3.0, 4.0]))));
    assert!(e.contains("3-D"), "{e}");

    let e = err(&write(d, "nan.npy", &npy_with("<f4", false, &[2, 2], &f32s(&[1.0, 2.0, 3.0, f32::NAN]))));
    assert!(e.contains("nan.npy") && e.contains("row 1, column 1") && e.contains("NaN"), "{e}");

    let e = err(&write(d, "inf.npy", &npy_with("<f8", false, &[2, 2], &[0u8; 24].iter().copied().chain(f64::INFINITY.to_le_bytes()).collect::<Vec<_>>())));
    assert!(e.contains("row 1, column 1") && e.contains("+inf"), "{e}");

    let e = err(&write(d, "zero_rows.npy", &npy_with("<f4", false, &[0, 3], &[])));
    assert!(e.contains("empty"), "{e}");

    let e = err(&write(d, "complex.npy", &npy_with("<c8", false, &[1, 1], &[0; 8])));
    assert!(e.contains("unsupported dtype"), "{e}");

    let e = err(&d.join("missing.npy"));
    assert!(e.contains("missing.npy"), "{e}");
}

#[test]
fn csv_with_and_without_header() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "h.csv", b"a,b,c\n1,2,3\n4, 5 ,6.5e0\n\n");
    let m = read_matrix(&p).unwrap();
    assert_eq!((m.n_rows(), m.n_cols()), (2, 3));
    assert_eq!(m.values(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.5]);
    let p = write(dir.path(), "n.tsv", b"1\t2\n3\t-4\n");
    assert_eq!(read_matrix(&p).unwrap().values(), &[1.0, 2.0, 3.0, -4.0]);
    // A .csv that is really semicolon-separated is detected.
    let p = write(dir.path(), "s.csv", b"# comment\n1;2\n3;4\n");
    assert_eq!(read_matrix(&p).unwrap().values(), &[1.0, 2.0, 3.0, 4.0]);
}

#[test]
fn csv_bad_inputs_name_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let e = err(&write(d, "ragged.csv", b"x,y\n1,2\n3,4,5\n"));
    assert!(e.contains("ragged.csv") && e.contains("line 3") && e.contains("3 fields"), "{e}");
    let e = err(&write(d, "text.csv", b"1,2\n3,abc\n"));
    assert!(e.contains("line 2, column 2") && e.contains("`abc`"), "{e}");
    let e = err(&write(d, "nan.csv", b"1,2\nnan,4\n"));
    assert!(e.contains("line 2, column 1") && e.contains("finite"), "{e}");
    let e = err(&write(d, "hole.csv", b"1,2\n3,\n"));
    assert!(e.contains("line 2, column 2 is empty"), "{e}");
    let e = err(&write(d, "empty.csv", b"\n\n"));
    assert!(e.contains("empty"), "{e}");
    let e = err(&write(d, "header_only.csv", b"a,b\n"));
    assert!(e.contains("no data rows"), "{e}");
    let e = err(&write(d, "data.parquet", b"PAR1"));
    assert!(e.contains("unknown file type"), "{e}");
}

#[test]
fn idx_demo_set_and_corruption() {
    let (m, labels) = crate::common::demo();
    assert_eq!((m.n_rows(), m.n_cols()), (10_000, 784));
    assert!(m.values().iter().all(|&v| (0.0..=255.0).contains(&v)));
    assert_eq!(labels.names, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    // The first test digit is a 7 (LeCun et al.).
    assert_eq!(labels.names[labels.codes[0] as usize], "7");

    let dir = tempfile::tempdir().unwrap();
    let mut raw = vec![0u8, 0, 0x08, 2, 0, 0, 0, 3, 0, 0, 0, 2];
    raw.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
    let m = read_matrix(&write(dir.path(), "ok-ubyte", &raw)).unwrap();
    assert_eq!(m.values(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let e = err(&write(dir.path(), "short-ubyte", &raw[..15]));
    assert!(e.contains("short-ubyte") && e.contains("truncated"), "{e}");
    let e = err(&write(dir.path(), "bad-ubyte", &[1, 2, 3, 4, 5]));
    assert!(e.contains("not an IDX file"), "{e}");
    let e = err(&write(dir.path(), "bad.idx.gz", &[0x1f, 0x8b, 1, 2, 3]));
    assert!(e.contains("gzip"), "{e}");
}

#[test]
fn labels_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let l = read_labels(&write(d, "l.txt", b"label\ncat\ndog\ncat\n"), Some(3)).unwrap();
    assert_eq!(l.names, ["cat", "dog"]);
    assert_eq!(l.codes, [0, 1, 0]);
    let l = read_labels(&write(d, "l2.txt", b"3\n10\n3\n"), None).unwrap();
    assert_eq!(l.names, ["3", "10"]);
    let body: Vec<u8> = [5i64, -1, 5].iter().flat_map(|v| v.to_le_bytes()).collect();
    let l = read_labels(&write(d, "l.npy", &npy_with("<i8", false, &[3], &body)), Some(3)).unwrap();
    assert_eq!((l.names.clone(), l.codes.clone()), (vec!["-1".to_string(), "5".to_string()], vec![1, 0, 1]));
    // numpy's '<U3' strings: UTF-32, zero-padded
    let mut body = Vec::new();
    for s in ["ab", "xyz"] {
        let mut chars: Vec<u32> = s.chars().map(|c| c as u32).collect();
        chars.resize(3, 0);
        body.extend(chars.iter().flat_map(|c| c.to_le_bytes()));
    }
    let l = read_labels(&write(d, "s.npy", &npy_with("<U3", false, &[2], &body)), Some(2)).unwrap();
    assert_eq!(l.names, ["ab", "xyz"]);
    let e = read_labels(&write(d, "short.txt", b"1\n2\n"), Some(3)).unwrap_err().to_string();
    assert!(e.contains("short.txt") && e.contains("2 entries") && e.contains("3 rows"), "{e}");
    let e = read_labels(&write(d, "gap.txt", b"1\n\n2\n"), None).unwrap_err().to_string();
    assert!(e.contains("line 2 is empty"), "{e}");
}

#[test]
fn csv_output_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("y.csv");
    write_matrix(&p, &[0.25, -1.5, 3.0, 4.0], 2, 2).unwrap();
    assert_eq!(read_matrix(&p).unwrap().values(), &[0.25, -1.5, 3.0, 4.0]);
}

#[test]
fn npy_object_array_says_it_is_not_numeric() {
    let dir = tempfile::tempdir().unwrap();
    // The header numpy writes for `np.save(f, np.array([[1, "a"]], dtype=object))`; the body is a pickle.
    let p = write(dir.path(), "obj.npy", &npy_with("|O", false, &[1, 2], b"\x80\x04pickle"));
    let e = err(&p);
    assert!(e.contains("obj.npy") && e.contains("object array") && e.contains("not numeric data") && e.contains("numeric dtype"), "{e}");
    let e = read_labels(&p, None).unwrap_err().to_string();
    assert!(e.contains("object array") && e.contains("astype(str)"), "{e}");
}

#[test]
fn whitespace_separated_text_with_and_without_header() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // As numpy.savetxt writes by default: one space between values, no header.
    let p = write(d, "plain.txt", b"1.000000000000000000e+00 -2.500000000000000000e+00 3.000000000000000000e+00\n4.0e+00 5.0e+00 6.0e+00\n");
    let m = read_matrix(&p).unwrap();
    assert_eq!((m.n_rows(), m.n_cols()), (2, 3));
    assert_eq!(m.values(), &[1.0, -2.5, 3.0, 4.0, 5.0, 6.0]);
    // With a header line, runs of spaces and tabs, a comment and trailing spaces.
    let p = write(d, "header.txt", b"# made by hand\nx   y z\n  1  2\t3  \n4 5   6\n");
    let m = read_matrix(&p).unwrap();
    assert_eq!((m.n_rows(), m.n_cols()), (2, 3));
    assert_eq!(m.values(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    // Errors count lines and columns of the file as it is.
    let e = err(&write(d, "ragged.txt", b"1 2 3\n4 5\n"));
    assert!(e.contains("line 2 has 2 fields but line 1 has 3"), "{e}");
    let e = err(&write(d, "word.txt", b"1 2\n\n3 x\n"));
    assert!(e.contains("line 3, column 2: cannot read `x`"), "{e}");
}

#[test]
fn a_first_line_is_a_header_only_when_the_rest_is_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Text on the first two lines: the first is data, and its text is the error.
    let e = err(&write(d, "words.csv", b"a,b\nc,d\n1,2\n"));
    assert!(e.contains("line 1, column 1: cannot read `a`"), "{e}");
    let e = err(&write(d, "words.txt", b"a b\nc d\n"));
    assert!(e.contains("line 1, column 1: cannot read `a`"), "{e}");
    // A header over a missing value is still a header; the error is the missing value.
    let e = err(&write(d, "hole.csv", b"a,b\n1,\n"));
    assert!(e.contains("line 2, column 2 is empty"), "{e}");
    // pandas' to_csv: an empty first header cell over the index column.
    let m = read_matrix(&write(d, "pandas.csv", b",a,b\n0,1.5,2\n1,3,4\n")).unwrap();
    assert_eq!(m.values(), &[0.0, 1.5, 2.0, 1.0, 3.0, 4.0]);
}

#[test]
fn a_one_d_npy_is_one_column_where_a_vector_is_expected() {
    let dir = tempfile::tempdir().unwrap();
    let body: Vec<u8> = [0.5f64, -1.0, 2.0].iter().flat_map(|v| v.to_le_bytes()).collect();
    let p = write(dir.path(), "y.npy", &npy_with("<f8", false, &[3], &body));
    let m = read_vector_or_matrix(&p).unwrap();
    assert_eq!((m.n_rows(), m.n_cols()), (3, 1));
    assert_eq!(m.values(), &[0.5, -1.0, 2.0]);
    let e = read_vector_or_matrix(&write(dir.path(), "y3.npy", &npy_with("<f8", false, &[3, 1, 1], &body))).err().unwrap().to_string();
    assert!(e.contains("expected a 1-D or 2-D array") && e.contains("[3, 1, 1]"), "{e}");
}

#[test]
fn labels_from_a_table_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let table = write(d, "meta.csv", b"id,label\n0,cat\n1,dog\n2,cat\n");
    for column in ["label", "2"] {
        let l = read_labels_column(&table, Some(3), Some(column)).unwrap();
        assert_eq!((l.names.clone(), l.codes.clone()), (vec!["cat".to_string(), "dog".to_string()], vec![0, 1, 0]), "{column}");
    }
    let l = read_labels_column(&table, Some(3), Some("id")).unwrap();
    assert_eq!(l.names, ["0", "1", "2"]);
    let e = read_labels(&table, Some(3)).unwrap_err().to_string();
    assert!(e.contains("meta.csv") && e.contains("2 columns (`id`, `label`)") && e.contains("name the column that holds the labels"), "{e}");
    let e = read_labels_column(&table, Some(3), Some("kind")).unwrap_err().to_string();
    assert!(e.contains("no column `kind`") && e.contains("`id`, `label`"), "{e}");
    // Tab-separated, with a quoted cell holding the delimiter of CSV files.
    let l = read_labels_column(&write(d, "meta.tsv", b"label\tscore\n\"a, b\"\t1\nc\t2\n"), Some(2), Some("label")).unwrap();
    assert_eq!(l.names, ["a, b", "c"]);
    // No header line: columns are chosen by number.
    let bare = write(d, "bare.csv", b"0,cat\n1,dog\n");
    assert_eq!(read_labels_column(&bare, Some(2), Some("2")).unwrap().names, ["cat", "dog"]);
    let e = read_labels(&bare, Some(2)).unwrap_err().to_string();
    assert!(e.contains("2 columns (no header line, so numbered 1 to 2)"), "{e}");
    // A .txt of one label per line keeps labels with commas whole when the lines differ in cells.
    let l = read_labels(&write(d, "names.txt", b"Smith, J.\nDoe\nSmith, J.\n"), Some(3)).unwrap();
    assert_eq!(l.names, ["Doe", "Smith, J."]);
    // …but a .csv with lines of different lengths is an error.
    let e = read_labels(&write(d, "ragged.csv", b"a,b\n1,x\n2\n"), Some(2)).unwrap_err().to_string();
    assert!(e.contains("line 3 has 1 fields but line 1 has 2"), "{e}");
    let e = read_labels_column(&write(d, "hole.csv", b"id,label\n0,a\n1,\n"), Some(2), Some("label")).unwrap_err().to_string();
    assert!(e.contains("line 3, column 2 is empty"), "{e}");
    let body: Vec<u8> = [1i64, 2].iter().flat_map(|v| v.to_le_bytes()).collect();
    let e = read_labels_column(&write(d, "l.npy", &npy_with("<i8", false, &[2], &body)), Some(2), Some("label")).unwrap_err().to_string();
    assert!(e.contains("no columns to choose from"), "{e}");
}

#[test]
fn matrix_outputs_are_npy_csv_or_tsv() {
    for ok in ["y.npy", "y.csv", "y.TSV", "y.txt"] {
        assert!(matrix_output_kind(std::path::Path::new(ok)).is_ok(), "{ok}");
    }
    for bad in ["y.csv.gz", "y.parquet", "y", "y.png"] {
        let e = matrix_output_kind(std::path::Path::new(bad)).unwrap_err().to_string();
        assert!(e.contains("use .npy, .csv or .tsv"), "{bad}: {e}");
    }
}

#[test]
fn precise_reading_keeps_what_f32_would_round() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f64s = |p: &std::path::Path| match read_matrix_precise(p).unwrap() {
        AnyMatrix::F64(m) => (m.values().to_vec(), m.n_rows(), m.n_cols()),
        _ => panic!("{} was not read as f64", p.display()),
    };
    // Decimal text: each value as Rust parses it into f64, header skipped.
    let want = [1e6 + 1e-3, 1e6 - 7e-4, 0.1, 16777217.0];
    let p = write(d, "x.csv", format!("a,b\n{},{}\n{},{}\n", want[0], want[1], want[2], want[3]).as_bytes());
    assert_eq!(f64s(&p), (want.to_vec(), 2, 2));
    let p = write(d, "x.tsv", format!("{}\t{}\n{}\t{}\n", want[0], want[1], want[2], want[3]).as_bytes());
    assert_eq!(f64s(&p), (want.to_vec(), 2, 2));
    // float64 and 64-bit integers, in Fortran order too; 2^53 + 2 is not an f32.
    let body: Vec<u8> = [1.0f64, 4.0, 2.0, 5.0, 3.0, 1e6 + 1e-3].iter().flat_map(|v| v.to_le_bytes()).collect();
    let p = write(d, "f.npy", &npy_with("<f8", true, &[2, 3], &body));
    assert_eq!(f64s(&p), (vec![1.0, 2.0, 3.0, 4.0, 5.0, 1e6 + 1e-3], 2, 3));
    let big = (1i64 << 53) + 2;
    let p = write(d, "i.npy", &npy_with(">i8", false, &[1, 2], &[big.to_be_bytes(), (-big).to_be_bytes()].concat()));
    assert_eq!(f64s(&p), (vec![big as f64, -big as f64], 1, 2));
    // Values f32 holds exactly stay f32 (float32 memory-mapped as before); 1-D where asked for.
    let p = write(d, "s.npy", &npy_with("<f4", false, &[2, 1], &[1.5f32.to_le_bytes(), 2.5f32.to_le_bytes()].concat()));
    assert!(matches!(read_matrix_precise(&p).unwrap(), AnyMatrix::F32(m) if m.is_mapped() && m.values() == [1.5, 2.5]));
    let p = write(d, "v.npy", &npy_with("<f8", false, &[3], &[0.1f64, 0.2, 0.3].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<_>>()));
    assert!(read_matrix_precise(&p).err().unwrap().to_string().contains("expected a 2-D array"));
    assert!(matches!(read_vector_or_matrix_precise(&p).unwrap(), AnyMatrix::F64(m) if m.values() == [0.1, 0.2, 0.3] && m.n_cols() == 1));
    // A text value beyond f32 but finite in f64 is read; the f32 reader refuses it by place.
    let p = write(d, "big.csv", b"1e39,2\n3,4\n");
    assert_eq!(f64s(&p).0, vec![1e39, 2.0, 3.0, 4.0]);
    assert!(err(&p).contains("line 1, column 1: `1e39` is not a finite number (f32)"), "{}", err(&p));
    let p = write(d, "inf.csv", b"1e309,2\n");
    let e = read_matrix_precise(&p).err().unwrap().to_string();
    assert!(e.contains("line 1, column 1: `1e309` is not a finite number (f64)"), "{e}");
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_first_cell() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Without the mark removed, `\u{feff}1` is text over numbers, and the first row became a header.
    let m = read_matrix(&write(d, "bom.csv", "\u{feff}1,2\n3,4\n".as_bytes())).unwrap();
    assert_eq!((m.n_rows(), m.n_cols(), m.values()), (2, 2, &[1.0, 2.0, 3.0, 4.0][..]));
    let m = read_matrix(&write(d, "bom_header.csv", "\u{feff}a,b\n1,2\n".as_bytes())).unwrap();
    assert_eq!((m.n_rows(), m.values()), (1, &[1.0, 2.0][..]));
    let l = read_labels_column(&write(d, "bom_labels.csv", "\u{feff}label,x\ncat,1\ndog,2\n".as_bytes()), Some(2), Some("label")).unwrap();
    assert_eq!(l.names, ["cat", "dog"]);
    let l = read_labels(&write(d, "bom_labels.txt", "\u{feff}7\n8\n".as_bytes()), Some(2)).unwrap();
    assert_eq!(l.names, ["7", "8"]);
}

/// The built-in sample is the vendored MNIST test set: the published digit counts of its 10,000
/// images, and the same pixels as the files read from disk.
#[test]
fn built_in_mnist_sample_is_the_test_set() {
    let (images, digits) = unfold_learn::datasets::load_mnist_sample().unwrap();
    assert_eq!((images.n_rows(), images.n_cols()), (10_000, 784));
    let mut counts = [0usize; 10];
    digits.iter().for_each(|&d| counts[d as usize] += 1);
    assert_eq!(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    assert_eq!(images.values(), crate::common::demo().0.values());
}

/// The dense `.npy` twin of an `.npz` fixture.
fn npz_dense(name: &str) -> Vec<f32> {
    unfold_learn::io::read_npy(&crate::common::fixtures().join(name)).unwrap().data().unwrap().as_slice().to_vec()
}

#[test]
fn npz_files_from_scipy_read_as_their_dense_matrix() {
    use unfold_learn::io::read_npz;
    let want = npz_dense("npz_dense.npy");
    for name in ["npz_csr.npz", "npz_csr_int64.npz", "npz_csr_int64_uncompressed.npz", "npz_csc.npz"] {
        let x = read_npz(&crate::common::fixtures().join(name)).unwrap();
        assert_eq!((x.n_rows(), x.n_cols()), (7, 5), "{name}");
        assert_eq!(x.to_dense().as_slice(), &want[..], "{name}");
        assert_eq!(x.row(3).0.len(), 0, "{name}: the empty row");
    }
    // Repeated COO entries are summed, as scipy sums them.
    let coo = read_npz(&crate::common::fixtures().join("npz_coo_duplicates.npz")).unwrap();
    assert_eq!(coo.to_dense().as_slice(), &npz_dense("npz_coo_duplicates_dense.npy")[..]);
}

#[test]
fn npz_errors_name_the_file_and_the_place() {
    use unfold_learn::io::{read_matrix, read_npz};
    let f = |name: &str| crate::common::fixtures().join(name);
    let e = read_npz(&f("npz_nan.npz")).unwrap_err().to_string();
    assert!(e.contains("npz_nan.npz") && e.contains("row 1, column 4 (counting from 0) is NaN"), "{e}");
    let e = read_npz(&f("npz_bsr.npz")).unwrap_err().to_string();
    assert!(e.contains("npz_bsr.npz") && e.contains("sparse format `bsr` is not read") && e.contains("tocsr()"), "{e}");
    let e = read_npz(&f("npz_dense.npy")).unwrap_err().to_string();
    assert!(e.contains("not a .npz archive"), "{e}");
    let e = read_matrix(&f("npz_csr.npz")).err().unwrap().to_string();
    assert!(e.contains("takes dense rows") && e.contains("--method umap, tsne or svd"), "{e}");
}
