//! `.npy` files as numpy writes them (format versions 1.0, 2.0 and 3.0; tests/fixtures/
//! make_npy_header_fixtures.py), read by every reader that takes `.npy`, against the shapes and
//! values numpy read back from the same files.

use unfold_learn::io::{AnyMatrix, read_labels, read_matrix, read_matrix_precise, read_vector_or_matrix};

use crate::common::fixtures;

#[test]
fn every_numpy_header_and_dtype_reads_as_numpy_reads_it() {
    let dir = fixtures().join("npy_headers");
    let expected: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let expected = expected.as_object().unwrap();
    assert_eq!(expected.len(), 26);
    for (file, want) in expected {
        let path = dir.join(file);
        let descr = want["descr"].as_str().unwrap();
        let shape: Vec<usize> = want["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        let (n, d) = match shape[..] {
            [n] => (n, 1),
            [n, d] => (n, d),
            _ => unreachable!("{file}"),
        };
        if let Some(values) = want.get("values") {
            let values: Vec<f64> = values.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
            let m = read_vector_or_matrix(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!((m.n_rows(), m.n_cols()), (n, d), "{file}");
            let want32: Vec<f32> = values.iter().map(|&v| v as f32).collect();
            assert_eq!(m.values(), &want32[..], "{file}");
            // float32 little-endian C order is mapped in place, whatever the header's version.
            assert_eq!(m.is_mapped(), descr == "<f4" && !want["fortran"].as_bool().unwrap(), "{file}");
            if shape.len() == 2 {
                match read_matrix_precise(&path).unwrap() {
                    AnyMatrix::F64(m) => assert_eq!(m.values(), &values[..], "{file}"),
                    AnyMatrix::F32(m) => assert_eq!(m.values(), &want32[..], "{file}"),
                    AnyMatrix::Sparse(_) => panic!("{file} was read as sparse"),
                }
            } else {
                let e = read_matrix(&path).err().unwrap().to_string();
                assert!(e.contains("expected a 2-D array") && e.contains("reshape"), "{file}: {e}");
            }
            if (shape.len() == 1 || d == 1) && values.iter().all(|v| v.fract() == 0.0) {
                let l = read_labels(&path, Some(n)).unwrap_or_else(|e| panic!("{file}: {e}"));
                let got: Vec<f64> = l.codes.iter().map(|&c| l.names[c as usize].parse().unwrap()).collect();
                assert_eq!(got, values, "{file}");
            }
        } else if let Some(strings) = want.get("strings") {
            let e = read_vector_or_matrix(&path).err().unwrap().to_string();
            assert!(e.contains(file.as_str()) && e.contains(&format!("unsupported dtype `{descr}`")), "{file}: {e}");
            let l = read_labels(&path, Some(n)).unwrap_or_else(|e| panic!("{file}: {e}"));
            let got: Vec<&str> = l.codes.iter().map(|&c| l.names[c as usize].as_str()).collect();
            let want: Vec<&str> = strings.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
            assert_eq!(got, want, "{file}");
        } else {
            assert_eq!(descr, "|O", "{file}");
            for e in [read_matrix(&path).err().unwrap().to_string(), read_labels(&path, None).unwrap_err().to_string()] {
                assert!(e.contains(file.as_str()) && e.contains("an object array (dtype=object)"), "{file}: {e}");
            }
        }
    }
}
