//! Readers: every supported format, and every kind of bad input with its message.

use unfold_learn::io::{read_labels, read_matrix, write_matrix};

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
