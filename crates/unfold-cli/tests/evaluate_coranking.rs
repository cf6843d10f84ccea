//! `unfold evaluate`'s co-ranking measures and `--shepard` output, end to end.

use std::path::Path;
use std::process::{Command, Output};

fn unfold(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unfold")).current_dir(dir).args(args).output().expect("run unfold")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A float32 `n × d` `.npy` file, written independently of the library under test.
fn write_npy(path: &Path, values: &[f32], n: usize, d: usize) {
    let dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({n}, {d}), }}");
    let pad = (64 - (10 + dict.len() + 1) % 64) % 64;
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&((dict.len() + pad + 1) as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.extend(std::iter::repeat_n(b' ', pad));
    out.push(b'\n');
    out.extend(values.iter().flat_map(|v| v.to_le_bytes()));
    std::fs::write(path, out).unwrap();
}

/// 40 points on a noisy curve in 3-d, and their first two coordinates.
fn setup(dir: &Path) {
    let (n, d) = (40, 3);
    let x: Vec<f32> = (0..n)
        .flat_map(|i| {
            let t = i as f32 * 0.15;
            [t.cos(), t.sin(), ((i * 7919) % 13) as f32 / 50.0]
        })
        .collect();
    write_npy(&dir.join("x.npy"), &x, n, d);
    let y: Vec<f32> = (0..n).flat_map(|i| [x[i * d], x[i * d + 1]]).collect();
    write_npy(&dir.join("y.npy"), &y, n, 2);
}

#[test]
fn json_has_the_coranking_keys() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let o = unfold(dir.path(), &["evaluate", "x.npy", "y.npy", "-k", "5", "--json", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in ["lcmc", "qnx", "rnx", "rnx_auc", "trustworthiness", "k", "n"] {
        assert!(j.get(key).is_some_and(|v| !v.is_null()), "missing {key}: {j}");
    }
    assert!(j.get("shepard_pearson").is_none());
    // Q_NX(k) is neighbour preservation; LCMC and R_NX follow from it (n = 40, k = 5).
    let q = j["neighbor_preservation"].as_f64().unwrap();
    assert_eq!(j["qnx"].as_f64().unwrap(), q);
    assert!((j["lcmc"].as_f64().unwrap() - (q - 5.0 / 39.0)).abs() < 1e-12);
    assert!((j["rnx"].as_f64().unwrap() - (39.0 * q - 5.0) / 34.0).abs() < 1e-12);
    let auc = j["rnx_auc"].as_f64().unwrap();
    assert!(auc > 0.5 && auc <= 1.0, "{auc}");

    let o = unfold(dir.path(), &["evaluate", "x.npy", "y.npy", "-k", "5", "-q"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("LCMC") && text.contains("R_NX AUC"), "{text}");
}

#[test]
fn shepard_file_holds_the_pairs() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let o = unfold(dir.path(), &["evaluate", "x.npy", "y.npy", "-k", "5", "--shepard", "s.csv", "--shepard-pairs", "50", "--json", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(j["shepard_spearman"].as_f64().unwrap() > 0.5, "{j}");
    let text = std::fs::read_to_string(dir.path().join("s.csv")).unwrap();
    let rows: Vec<Vec<f64>> = text.lines().map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect();
    assert_eq!(rows.len(), 50);
    for r in &rows {
        assert_eq!(r.len(), 4);
        assert!(r[0] < r[1] && r[1] < 40.0);
        // The embedding is a projection: its distances never exceed the data's.
        assert!(r[3] <= r[2] + 1e-5, "{r:?}");
    }
    // All 780 pairs when more are asked for, as .npy.
    let o = unfold(dir.path(), &["evaluate", "x.npy", "y.npy", "-k", "5", "--shepard", "s.npy", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bytes = std::fs::read(dir.path().join("s.npy")).unwrap();
    assert!(String::from_utf8_lossy(&bytes[..128]).contains("(780, 4)"));
}

#[test]
fn bad_values_exit_2_naming_the_parameter() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let cases: [(&[&str], &str); 4] = [
        (&["--shepard", "s.csv", "--shepard-pairs", "0"], "--shepard-pairs"),
        (&["--shepard", "s.png"], "--shepard"),
        (&["--shepard", "missing/s.csv"], "--shepard"),
        (&["-k", "20", "--shepard", "s.csv"], "k"),
    ];
    for (extra, name) in cases {
        let args = [&["evaluate", "x.npy", "y.npy", "-q"][..], extra].concat();
        let o = unfold(dir.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(name), "{args:?}: {}", stderr(&o));
        assert!(!dir.path().join("s.csv").exists(), "{args:?} wrote s.csv");
    }
}
