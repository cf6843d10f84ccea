//! The `unfold` binary end to end: outputs, exit codes, messages, no partial files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn unfold(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unfold")).current_dir(dir).args(args).output().expect("run unfold")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `unfold` with `base` and then each case's arguments: each must exit with 2 and a message
/// holding the case's text, and, when `output` is given, leave that file unwritten.
fn assert_usage_errors<'a, A: AsRef<[&'a str]>>(d: &Path, base: &[&'a str], cases: impl IntoIterator<Item = (A, &'a str)>, output: Option<&str>) {
    for (args, message) in cases {
        let full = [base, args.as_ref()].concat();
        let o = unfold(d, &full);
        assert_eq!(o.status.code(), Some(2), "{full:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(message), "{full:?}: {}", stderr(&o));
        if let Some(out) = output {
            assert!(!d.join(out).exists(), "{full:?} wrote {out}");
        }
    }
}

/// A `.npy` file with dtype `descr` and `shape` (e.g. `"(3, 2)"`), written independently of
/// the library under test.
fn write_npy_raw(path: &Path, descr: &str, shape: &str, body: impl IntoIterator<Item = u8>) {
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let pad = (64 - (10 + dict.len() + 1) % 64) % 64;
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&((dict.len() + pad + 1) as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.extend(std::iter::repeat_n(b' ', pad));
    out.push(b'\n');
    out.extend(body);
    std::fs::write(path, out).unwrap();
}

/// A float32 `n × d` `.npy` file.
fn write_npy(path: &Path, values: &[f32], n: usize, d: usize) {
    write_npy_raw(path, "<f4", &format!("({n}, {d})"), values.iter().flat_map(|v| v.to_le_bytes()));
}

/// Reads a `.npy` written by unfold (C order, little-endian) as (shape, raw body).
fn read_npy(path: &Path) -> (Vec<usize>, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY");
    let hlen = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + hlen]).unwrap();
    let shape_txt = header.split("'shape': (").nth(1).unwrap().split(')').next().unwrap();
    let shape = shape_txt.split(',').filter(|s| !s.trim().is_empty()).map(|s| s.trim().parse().unwrap()).collect();
    (shape, bytes[10 + hlen..].to_vec())
}

fn blobs(n: usize, d: usize) -> Vec<f32> {
    (0..n * d).map(|i| ((i / d) % 3) as f32 * 10.0 + ((i * 7919) % 13) as f32 / 13.0).collect()
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

#[test]
fn demo_embed_writes_npy_and_png() {
    let dir = tempfile::tempdir().unwrap();
    let o = unfold(dir.path(), &["embed", "--plot", "demo.png", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (shape, body) = read_npy(&dir.path().join("unfold-demo.pca.npy"));
    assert_eq!(shape, [10_000, 2]);
    assert_eq!(body.len(), 10_000 * 2 * 4);
    let png = std::fs::read(dir.path().join("demo.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["method"], "pca");
    assert_eq!(json["n"], 10_000);
    assert_eq!(json["parameters"]["svd_solver"], "covariance_eigh");
}

#[test]
fn pca_dims_take_a_variance_fraction() {
    // Three orthogonal ±1 columns (bits of the row number) scaled to variances 100 : 10 : 1, so
    // the explained variance ratios are 100/111, 10/111 and 1/111 exactly.
    let dir = tempfile::tempdir().unwrap();
    let scale = [10.0f32, 10f32.sqrt(), 1.0];
    let x: Vec<f32> = (0..8).flat_map(|i| (0..3).map(move |j| if (i >> j) & 1 == 1 { scale[j] } else { -scale[j] })).collect();
    write_npy(&dir.path().join("x.npy"), &x, 8, 3);
    for (dims, k) in [("0.85", 1), ("0.95", 2), ("0.995", 3)] {
        let o = unfold(dir.path(), &["embed", "x.npy", "--dims", dims, "--svd-solver", "full", "--json", "-q"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(json["dims"], k, "--dims {dims}");
        assert_eq!(json["parameters"]["n_components"], k);
        let ratio: Vec<f64> = json["parameters"]["explained_variance_ratio_"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        for (r, want) in ratio.iter().zip([100.0 / 111.0, 10.0 / 111.0, 1.0 / 111.0]) {
            assert!((r - want).abs() < 1e-6, "{ratio:?}");
        }
        assert_eq!(read_npy(&dir.path().join("x.pca.npy")).0, [8, k]);
    }
}

#[test]
fn embed_csv_in_csv_out() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("a,b,c\n");
    for r in 0..30 {
        csv += &format!("{},{},{}\n", r, (r * r) % 7, r % 3);
    }
    std::fs::write(dir.path().join("t.csv"), csv).unwrap();
    let o = unfold(dir.path(), &["embed", "t.csv", "-o", "y.csv", "--dims", "2", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = std::fs::read_to_string(dir.path().join("y.csv")).unwrap();
    assert_eq!(out.lines().count(), 30);
    assert!(out.lines().all(|l| l.split(',').count() == 2));
}

#[test]
fn bad_input_exits_2_with_file_and_place_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut x = blobs(20, 3);
    x[3 * 3 + 2] = f32::NAN;
    write_npy(&dir.path().join("bad.npy"), &x, 20, 3);
    let before = files(dir.path());
    let o = unfold(dir.path(), &["embed", "bad.npy", "-o", "out.npy", "--plot", "out.png"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("bad.npy") && e.contains("row 3, column 2") && e.contains("NaN"), "{e}");
    assert_eq!(files(dir.path()), before, "a failed run left files behind");

    std::fs::write(dir.path().join("ragged.csv"), "1,2\n3\n").unwrap();
    let o = unfold(dir.path(), &["neighbors", "ragged.csv", "-k", "1", "-o", "n.npy"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("line 2 has 1 fields"), "{}", stderr(&o));

    let o = unfold(dir.path(), &["embed", "missing.npy"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing.npy"), "{}", stderr(&o));
}

#[test]
fn invalid_parameters_exit_2_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    write_npy(&dir.path().join("x.npy"), &blobs(10, 3), 10, 3);
    let cases: &[(&[&str], &str)] = &[
        (&["embed", "x.npy", "--dims", "5"], "n_components"),
        (&["embed", "x.npy", "--dims", "0"], "n_components"),
        (&["neighbors", "x.npy", "-k", "10", "-o", "n.npy"], "less than the number of rows (10)"),
        (&["neighbors", "x.npy", "-k", "3", "--metric", "mahalanobix", "-o", "n.npy"], "`metric`"),
        (&["neighbors", "x.npy", "-k", "3", "-o", "n.csv"], ".npy"),
        (&["embed", "x.npy", "--threads", "0"], "`threads`"),
        (&["embed", "x.npy", "--svd-solver", "arpack"], "svd_solver"),
        (&["plot", "x.npy", "-o", "x.jpg"], ".png"),
        (&["embed", "x.npy", "--plot", "x.jpg"], ".png"),
        (&["neighbors", "x.npy", "-k", "3", "--pca", "2", "--metric", "manhattan", "-o", "n.npy"], "--pca applies"),
        (&["neighbors", "x.npy", "-k", "3", "--pca", "4", "-o", "n.npy"], "n_components"),
    ];
    for (args, needle) in cases {
        let o = unfold(dir.path(), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
    let o = unfold(dir.path(), &["embed", "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(files(dir.path()), vec![dir.path().join("x.npy")]);
}

#[test]
fn neighbors_match_brute_force_and_seeded_runs_agree_across_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (n, d, k) = (60, 4, 5);
    let x = blobs(n, d);
    write_npy(&dir.path().join("x.npy"), &x, n, d);
    let o = unfold(dir.path(), &["neighbors", "x.npy", "-k", "5", "--exact", "-o", "i.npy", "--distances", "d.npy", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (shape, body) = read_npy(&dir.path().join("i.npy"));
    assert_eq!(shape, [n, k]);
    let idx: Vec<i64> = body.chunks(8).map(|c| i64::from_le_bytes(c.try_into().unwrap())).collect();
    let (_, dbody) = read_npy(&dir.path().join("d.npy"));
    let dist: Vec<f32> = dbody.chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    for i in 0..n {
        let mut brute: Vec<(f32, usize)> =
            (0..n).filter(|&j| j != i).map(|j| ((0..d).map(|c| (x[i * d + c] - x[j * d + c]).powi(2)).sum::<f32>().sqrt(), j)).collect();
        brute.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for c in 0..k {
            assert!((dist[i * k + c] - brute[c].0).abs() < 1e-4, "row {i}");
            assert_ne!(idx[i * k + c] as usize, i);
        }
    }
    // --pca 4 of 4 columns is a rotation: the same neighbour distances (ties may reorder).
    let o = unfold(dir.path(), &["neighbors", "x.npy", "-k", "5", "--exact", "--pca", "4", "-o", "p.npy", "--distances", "pd.npy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (_, pbody) = read_npy(&dir.path().join("pd.npy"));
    let pdist: Vec<f32> = pbody.chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    for (a, b) in pdist.iter().zip(&dist) {
        assert!((a - b).abs() < 1e-3, "distance {a} after a rotation, {b} before");
    }
    // NN-descent forced through the library default for n ≤ 4096 is exact; use the demo set
    // for an approximate, seeded run at two thread counts.
    let run = |t: &str, out: &str| {
        let o = unfold(dir.path(), &["neighbors", "-k", "10", "--seed", "3", "--threads", t, "-o", out, "-q"]);
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read(dir.path().join(out)).unwrap()
    };
    assert!(run("1", "a.npy") == run("2", "b.npy"), "seeded neighbours differ between 1 and 2 threads");
}

#[test]
fn evaluate_and_plot() {
    let dir = tempfile::tempdir().unwrap();
    let (n, d) = (90, 5);
    let x = blobs(n, d);
    write_npy(&dir.path().join("x.npy"), &x, n, d);
    // The data itself, first two columns, as a (poor) embedding; labels are the blob ids.
    let y: Vec<f32> = (0..n).flat_map(|i| [x[i * d], x[i * d + 1]]).collect();
    write_npy(&dir.path().join("y.npy"), &y, n, 2);
    let labels: String = (0..n).map(|i| format!("{}\n", ["a", "b", "c"][i % 3])).collect();
    std::fs::write(dir.path().join("l.txt"), labels).unwrap();
    let o = unfold(dir.path(), &["evaluate", "x.npy", "y.npy", "--labels", "l.txt", "-k", "5", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for key in ["trustworthiness", "continuity", "neighbor_preservation", "knn_accuracy", "k", "n", "sample"] {
        assert!(j.get(key).is_some(), "missing {key}: {j}");
    }
    assert_eq!(j["n"], 90);
    assert_eq!(j["knn_accuracy"], 1.0); // blobs are 10 apart in column 0
    let t = j["trustworthiness"].as_f64().unwrap();
    assert!((0.5..=1.0).contains(&t));

    let o = unfold(dir.path(), &["evaluate", "x.npy", "y.npy", "--labels", "short.txt"]);
    assert_eq!(o.status.code(), Some(2));
    std::fs::write(dir.path().join("short.txt"), "a\nb\n").unwrap();
    let o = unfold(dir.path(), &["evaluate", "x.npy", "y.npy", "--labels", "short.txt"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("2 entries") && stderr(&o).contains("90 rows"), "{}", stderr(&o));

    let o = unfold(dir.path(), &["plot", "y.npy", "--labels", "l.txt", "-o", "y.png"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(&std::fs::read(dir.path().join("y.png")).unwrap()[..4], b"\x89PNG");
}

#[test]
fn help_has_examples_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in ["embed", "neighbors", "evaluate", "plot", "transform", "measure id"] {
        let args: Vec<&str> = cmd.split(' ').chain(["--help"]).collect();
        let o = unfold(dir.path(), &args);
        assert!(o.status.success());
        assert!(String::from_utf8_lossy(&o.stdout).contains("Examples:"), "{cmd} --help has no examples");
    }
}

#[test]
fn umap_embed_save_model_and_transform() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_npy(&d.join("train.npy"), &blobs(300, 5), 300, 5);
    write_npy(&d.join("new.npy"), &blobs(30, 5), 30, 5);
    let o = unfold(d, &["embed", "train.npy", "--method", "umap", "--seed", "3", "--epochs", "50", "--save-model", "m.umap", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["method"], "umap");
    assert_eq!(json["parameters"]["n_neighbors"], 15);
    assert!(json["model_bytes"].as_u64().unwrap() > 0);
    let (shape, first) = read_npy(&d.join("train.umap.npy"));
    assert_eq!(shape, [300, 2]);
    // Same seed, other thread count: identical bytes.
    let o = unfold(d, &["embed", "train.npy", "--method", "umap", "--seed", "3", "--epochs", "50", "--threads", "1", "-o", "again.npy", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&d.join("again.npy")).1, first);

    // Supervised, with half the labels unknown (-1), and densMAP with radii output.
    let labels: Vec<f32> = (0..300).map(|i| if i % 2 == 0 { (i % 3) as f32 } else { -1.0 }).collect();
    write_npy(&d.join("y.npy"), &labels, 300, 1);
    let o = unfold(d, &["embed", "train.npy", "--method", "umap", "--seed", "3", "--epochs", "30", "--target", "y.npy", "-o", "sup.npy", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The same labels as a 1-d int64 .npy: -1 must stay "unknown", so the output is identical.
    write_npy_raw(&d.join("y1d.npy"), "<i8", "(300,)", labels.iter().flat_map(|&v| (v as i64).to_le_bytes()));
    let o = unfold(d, &["embed", "train.npy", "--method", "umap", "--seed", "3", "--epochs", "30", "--target", "y1d.npy", "-o", "sup1d.npy", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&d.join("sup1d.npy")).1, read_npy(&d.join("sup.npy")).1, "1-d integer labels read differently");
    write_npy(&d.join("y_bad.npy"), &labels[..100], 100, 1);
    let o = unfold(d, &["embed", "train.npy", "--method", "umap", "--target", "y_bad.npy", "-o", "sup_bad.npy"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("100 rows"), "{}", stderr(&o));
    let o = unfold(
        d,
        &["embed", "train.npy", "--method", "umap", "--seed", "3", "--densmap", "--epochs", "30", "--output-dens", "r.npy", "-o", "dens.npy", "--quiet"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&d.join("r.npy")).0, [300, 2]);

    let o = unfold(d, &["transform", "--model", "m.umap", "new.npy", "-o", "new_t.npy", "--quiet", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&d.join("new_t.npy")).0, [30, 2]);
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let (whole, placing) = (summary["seconds"].as_f64().unwrap(), summary["transform_seconds"].as_f64().unwrap());
    assert!(placing > 0.0 && placing <= whole, "{summary}");
    // The model file records the parameters as the fit resolved them: those given, the defaults,
    // and the curve fitted to min_dist = 0.1, spread = 1 (umap-learn: a = 1.5769, b = 0.8951).
    assert_eq!(summary["model_method"], "umap");
    let p = &summary["parameters"];
    assert_eq!(
        (&p["n_neighbors"], &p["n_epochs"], &p["metric"], &p["min_dist"]),
        (&serde_json::json!(15), &serde_json::json!(50), &serde_json::json!("euclidean"), &serde_json::json!(0.1)),
        "{summary}"
    );
    assert!((p["a"].as_f64().unwrap() - 1.5769).abs() < 1e-3 && (p["b"].as_f64().unwrap() - 0.8951).abs() < 1e-3, "{summary}");
    // The training rows get their fitted coordinates back; `blobs` repeats rows, and a repeated
    // row gets those of its first occurrence.
    let o = unfold(d, &["transform", "--model", "m.umap", "train.npy", "-o", "train_t.npy", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let x = blobs(300, 5);
    let want: Vec<u8> = (0..300)
        .flat_map(|i| {
            let j = (0..300).find(|&j| x[j * 5..j * 5 + 5] == x[i * 5..i * 5 + 5]).unwrap();
            first[j * 8..j * 8 + 8].to_vec()
        })
        .collect();
    assert!(want != first, "the training data repeats rows");
    assert_eq!(read_npy(&d.join("train_t.npy")), (vec![300, 2], want));

    // --inverse maps the placed points back into data space, near their own blob (row i of
    // `blobs` has every value within 1 of 10·(i mod 3)).
    let o = unfold(d, &["transform", "--model", "m.umap", "--inverse", "new_t.npy", "-o", "back.npy", "--quiet", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["method"], "umap-inverse-transform");
    let (shape, body) = read_npy(&d.join("back.npy"));
    assert_eq!(shape, [30, 5]);
    let back: Vec<f32> = body.chunks(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
    for (i, row) in back.chunks(5).enumerate() {
        let centre = 10.0 * (i % 3) as f32 + 0.5;
        assert!(row.iter().all(|v| (v - centre).abs() < 3.0), "row {i}: {row:?}");
    }
    let o = unfold(d, &["transform", "--model", "m.umap", "--inverse", "new.npy", "-o", "bad_out.npy"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("embedding has 2 columns"), "{}", stderr(&o));
    let o = unfold(d, &["transform", "--model", "m.umap", "--inverse", "new_t.npy", "--plot", "p.png"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // A PCA model with every component maps its projections back onto the data exactly.
    let o = unfold(d, &["embed", "new.npy", "--method", "pca", "--dims", "5", "--save-model", "m.pca", "-o", "new_pca.npy", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = unfold(d, &["transform", "--model", "m.pca", "--inverse", "new_pca.npy", "-o", "new_back.npy", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (shape, body) = read_npy(&d.join("new_back.npy"));
    assert_eq!(shape, [30, 5]);
    let original = blobs(30, 5);
    for (v, w) in body.chunks(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).zip(&original) {
        assert!((v - w).abs() < 1e-4, "{v} vs {w}");
    }

    // Damaged and foreign model files: exit 2, the file named, no output.
    let bytes = std::fs::read(d.join("m.umap")).unwrap();
    std::fs::write(d.join("cut.umap"), &bytes[..bytes.len() / 3]).unwrap();
    std::fs::write(d.join("foreign.umap"), b"PK\x03\x04not a model at all").unwrap();
    // Model files are mapped: an empty file and a directory are still told apart from a model.
    std::fs::write(d.join("empty.umap"), b"").unwrap();
    std::fs::create_dir(d.join("folder.umap")).unwrap();
    for (file, needle) in [
        ("cut.umap", "truncated"),
        ("foreign.umap", "not an unfold model"),
        ("absent.umap", "absent.umap"),
        ("empty.umap", "header is missing"),
        ("folder.umap", "is a directory"),
    ] {
        let o = unfold(d, &["transform", "--model", file, "new.npy", "-o", "bad_out.npy"]);
        assert_eq!(o.status.code(), Some(2), "{file}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle) && stderr(&o).contains(file), "{file}: {}", stderr(&o));
        assert!(!d.join("bad_out.npy").exists());
    }
    // New data with other columns.
    write_npy(&d.join("wide.npy"), &blobs(10, 6), 10, 6);
    let o = unfold(d, &["transform", "--model", "m.umap", "wide.npy", "-o", "bad_out.npy"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("5 columns"), "{}", stderr(&o));
}

#[test]
fn umap_invalid_options_exit_2_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_npy(&d.join("x.npy"), &blobs(60, 4), 60, 4);
    assert_usage_errors(
        d,
        &["embed", "x.npy", "--method", "umap", "-o", "out.npy"],
        [
            (&["--neighbors", "1"][..], "n_neighbors"),
            (&["--neighbors", "60"][..], "n_neighbors"),
            (&["--min-dist", "3", "--spread", "1"][..], "min_dist"),
            (&["--dims", "0"][..], "n_components"),
            (&["--metric", "nope"][..], "nope"),
            (&["--init", "tsne.npy"][..], "tsne.npy"),
            (&["--svd-solver", "full"][..], "--svd-solver"),
            (&["--output-metric", "sphere"][..], "`output_metric`: sphere (must be one of euclidean, hyperboloid, poincare, haversine)"),
            (&["--output-metric", "haversine", "--dims", "3"][..], "n_components = 2"),
            (&["--output-metric", "hyperboloid", "--densmap"][..], "`output_metric`"),
        ],
        Some("out.npy"),
    );
    let o = unfold(d, &["embed", "x.npy", "--method", "pca", "--neighbors", "5", "-o", "out.npy"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--neighbors does not apply to --method pca"), "{}", stderr(&o));
}

#[test]
fn outputs_are_checked_before_any_work_and_written_all_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_npy(&d.join("x.npy"), &blobs(60, 4), 60, 4);
    std::fs::create_dir(d.join("sub")).unwrap();
    std::fs::create_dir(d.join("folder.npy")).unwrap();
    let before = files(d);
    let cases: &[(&[&str], &str)] = &[
        // Two outputs that are one file, by the same or another spelling.
        (&["neighbors", "x.npy", "-k", "3", "-o", "s.npy", "--distances", "s.npy"], "-o s.npy and --distances s.npy are the same file"),
        (&["neighbors", "x.npy", "-k", "3", "-o", "s.npy", "--distances", "sub/../s.npy"], "are the same file"),
        (&["embed", "x.npy", "--method", "umap", "-o", "a.npy", "--output-dens", "./a.npy"], "are the same file"),
        // A folder that does not exist, even for the last output of a long fit.
        (&["embed", "x.npy", "--method", "umap", "-o", "a.npy", "--save-model", "nodir/m"], "--save-model nodir/m: the folder nodir does not exist"),
        (&["neighbors", "x.npy", "-k", "3", "-o", "nodir/i.npy"], "the folder nodir does not exist"),
        (&["plot", "x.npy", "-o", "nodir/p.png"], "the folder nodir does not exist"),
        (&["embed", "x.npy", "--plot", "nodir/p.png"], "the folder nodir does not exist"),
        // The output checks come before the inputs are read: a missing model is not reached.
        (&["transform", "--model", "absent.umap", "x.npy", "-o", "nodir/t.npy"], "the folder nodir does not exist"),
        (&["embed", "absent.npy", "-o", "y.parquet"], "-o y.parquet: unknown output type; use .npy, .csv or .tsv"),
        (&["embed", "x.npy", "-o", "y.csv.gz"], "unknown output type"),
        (&["embed", "x.npy", "--method", "umap", "--save-model", "m.npy"], "a model file is not a .npy file"),
        (&["embed", "x.npy", "-o", "folder.npy"], "-o folder.npy: is a folder"),
        (&["transform", "--model", "absent.umap", "x.npy", "--plot", "t.jpg"], ".png"),
    ];
    for (args, needle) in cases {
        let o = unfold(d, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert_eq!(files(d), before, "{args:?} left files behind");
    }
    // A folder no file can be created in, even by root: sysfs.
    if cfg!(target_os = "linux") && Path::new("/sys/kernel").is_dir() {
        let o = unfold(d, &["neighbors", "x.npy", "-k", "3", "-o", "i.npy", "--distances", "/sys/d.npy"]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("--distances /sys/d.npy: cannot write in the folder /sys"), "{}", stderr(&o));
        assert_eq!(files(d), before);
    }
    // Both files or none: the indices and the distances differ, each in its own file.
    let o = unfold(d, &["neighbors", "x.npy", "-k", "3", "--exact", "-o", "i.npy", "--distances", "sub/d.npy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&d.join("i.npy")).0, [60, 3]);
    assert_eq!(read_npy(&d.join("sub/d.npy")).0, [60, 3]);
}

#[test]
fn labels_column_chooses_a_table_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (n, dims) = (90, 5);
    let x = blobs(n, dims);
    write_npy(&d.join("x.npy"), &x, n, dims);
    let y: Vec<f32> = (0..n).flat_map(|i| [x[i * dims], x[i * dims + 1]]).collect();
    write_npy(&d.join("y.npy"), &y, n, 2);
    // Row i is in blob i % 3 (blobs 10 apart in column 0): the label column gives accuracy 1;
    // the id column is unique per row.
    let table: String = std::iter::once("id,label\n".to_string()).chain((0..n).map(|i| format!("{i},{}\n", ["a", "b", "c"][i % 3]))).collect();
    std::fs::write(d.join("meta.csv"), table).unwrap();
    let o = unfold(d, &["evaluate", "x.npy", "y.npy", "--labels", "meta.csv", "--labels-column", "label", "-k", "5", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["knn_accuracy"], 1.0);
    let o = unfold(d, &["evaluate", "x.npy", "y.npy", "--labels", "meta.csv"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("meta.csv: 2 columns (`id`, `label`); name the column that holds the labels with --labels-column NAME"), "{}", stderr(&o));
    let o = unfold(d, &["plot", "y.npy", "--labels", "meta.csv", "--labels-column", "kind", "-o", "p.png"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no column `kind`; the columns are: `id`, `label`"), "{}", stderr(&o));
    assert!(!d.join("p.png").exists());
    let o = unfold(d, &["plot", "y.npy", "--labels", "meta.csv", "--labels-column", "label", "-o", "p.png", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = unfold(d, &["embed", "x.npy", "--labels-column", "label"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--labels"), "{}", stderr(&o));
}

#[test]
fn plot_json_and_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_npy(&d.join("y.npy"), &blobs(40, 2), 40, 2);
    let o = unfold(d, &["plot", "y.npy", "-o", "p.png", "--json", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["output"], "p.png");
    assert_eq!(j["n"], 40);
    assert!(j["seconds"].as_f64().unwrap() >= 0.0, "{j}");
    assert_eq!(&std::fs::read(d.join("p.png")).unwrap()[..4], b"\x89PNG");
    let o = unfold(d, &["plot", "y.npy", "-o", "q.png"]);
    assert!(o.status.success() && o.stdout.is_empty());
    assert!(stderr(&o).contains("q.png"), "{}", stderr(&o));
}

#[test]
fn umap_target_is_a_vector_or_a_matrix_of_one_row_per_point() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let n = 120;
    write_npy(&d.join("x.npy"), &blobs(n, 4), n, 4);
    let t: Vec<f64> = (0..n).map(|i| (i % 3) as f64 * 0.75 + 0.1).collect();
    // The same numeric target as a 1-D float64 array, as Python's y, and as an n × 1 float32 matrix.
    write_npy_raw(&d.join("t1.npy"), "<f8", &format!("({n},)"), t.iter().flat_map(|v| v.to_le_bytes()));
    write_npy(&d.join("t2.npy"), &t.iter().map(|&v| v as f32).collect::<Vec<_>>(), n, 1);
    let run = |target: &str, out: &str| {
        let o = unfold(
            d,
            &["embed", "x.npy", "--method", "umap", "--seed", "1", "--epochs", "20", "--target", target, "--target-metric", "euclidean", "-o", out, "-q"],
        );
        assert!(o.status.success(), "{target}: {}", stderr(&o));
        read_npy(&d.join(out)).1
    };
    assert_eq!(run("t1.npy", "e1.npy"), run("t2.npy", "e2.npy"), "a 1-D target is read differently from its n × 1 matrix");
    write_npy_raw(&d.join("t3.npy"), "<f8", &format!("({n}, 1, 1)"), t.iter().flat_map(|v| v.to_le_bytes()));
    for metric in ["euclidean", "categorical"] {
        let o = unfold(d, &["embed", "x.npy", "--method", "umap", "--target", "t3.npy", "--target-metric", metric, "-o", "bad.npy"]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains("--target") && e.contains(&format!("shape ({n},)")) && e.contains("t3.npy") && e.contains("[120, 1, 1]"), "{e}");
    }
    // Fractional values are not categories: the message says how to use them as numbers.
    let o = unfold(d, &["embed", "x.npy", "--method", "umap", "--target", "t1.npy", "-o", "bad.npy"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("0.1 is not an integer label (use --target-metric euclidean"), "{}", stderr(&o));
    assert!(!d.join("bad.npy").exists());
}

#[test]
fn object_arrays_and_whitespace_text_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_npy_raw(&d.join("obj.npy"), "|O", "(2, 2)", b"\x80\x04pickled".iter().copied());
    let o = unfold(d, &["embed", "obj.npy"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("obj.npy: an object array (dtype=object) holds Python objects, not numeric data"), "{}", stderr(&o));
    // numpy.savetxt's layout, with and without a header: the same 20 × 3 values.
    let x = blobs(20, 3);
    let body: String = x.chunks(3).map(|r| format!("{:.18e} {:.18e} {:.18e}\n", r[0], r[1], r[2])).collect();
    std::fs::write(d.join("plain.txt"), &body).unwrap();
    std::fs::write(d.join("header.txt"), format!("a b c\n{body}")).unwrap();
    for f in ["plain.txt", "header.txt"] {
        let o = unfold(d, &["embed", f, "-o", &format!("{f}.npy"), "--json"]);
        assert!(o.status.success(), "{f}: {}", stderr(&o));
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!((j["n"].as_u64(), j["input_dims"].as_u64()), (Some(20), Some(3)), "{f}");
    }
    assert_eq!(read_npy(&d.join("plain.txt.npy")), read_npy(&d.join("header.txt.npy")));
}

#[test]
fn unknown_metric_is_one_sentence_listing_each_metric_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_npy(&d.join("x.npy"), &blobs(30, 3), 30, 3);
    for args in [
        &["embed", "x.npy", "--method", "umap", "--metric", "bogus", "-o", "e.npy"][..],
        &["neighbors", "x.npy", "-k", "3", "--metric", "bogus", "-o", "n.npy"][..],
        &["evaluate", "x.npy", "x.npy", "--metric", "bogus"][..],
    ] {
        let o = unfold(d, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        let list = err.strip_prefix("error: invalid value for `metric`: bogus (must be one of ").and_then(|r| r.strip_suffix(")\n"));
        let list = list.unwrap_or_else(|| panic!("{args:?}: {err}"));
        let names: Vec<&str> = list.split(", ").collect();
        for name in ["euclidean", "minkowski:P", "hellinger", "seuclidean", "mahalanobis", "wminkowski:P", "yule", "precomputed"] {
            assert_eq!(names.iter().filter(|n| **n == name).count(), 1, "{args:?}: {err}");
        }
        assert_eq!(names.len(), names.iter().collect::<std::collections::HashSet<_>>().len(), "{args:?}: {err}");
    }
}

#[test]
fn neighbors_with_the_new_metrics_and_precomputed_distances() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (n, c) = (40, 3);
    let x: Vec<f32> = blobs(n, c).iter().enumerate().map(|(i, v)| v * (1 + i % c) as f32 + 0.5).collect();
    write_npy(&d.join("x.npy"), &x, n, c);
    // The manhattan distance matrix, written independently.
    let dist: Vec<f32> = (0..n * n).map(|p| (0..c).map(|k| (x[(p / n) * c + k] - x[(p % n) * c + k]).abs()).sum()).collect();
    write_npy(&d.join("dist.npy"), &dist, n, n);
    let run = |args: &[&str]| {
        let o = unfold(d, args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    };
    run(&["neighbors", "dist.npy", "-k", "4", "--metric", "precomputed", "-o", "p.npy"]);
    run(&["neighbors", "x.npy", "-k", "4", "--metric", "manhattan", "-o", "m.npy"]);
    assert_eq!(read_npy(&d.join("p.npy")), read_npy(&d.join("m.npy")));
    // seuclidean with its default V: euclidean on columns divided by their standard deviation.
    let mean: Vec<f64> = (0..c).map(|k| (0..n).map(|i| x[i * c + k] as f64).sum::<f64>() / n as f64).collect();
    let sd: Vec<f64> = (0..c).map(|k| ((0..n).map(|i| (x[i * c + k] as f64 - mean[k]).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()).collect();
    let scaled: Vec<f32> = x.iter().enumerate().map(|(i, &v)| (v as f64 / sd[i % c]) as f32).collect();
    write_npy(&d.join("s.npy"), &scaled, n, c);
    run(&["neighbors", "x.npy", "-k", "4", "--metric", "seuclidean", "-o", "se.npy", "--distances", "sed.npy"]);
    run(&["neighbors", "s.npy", "-k", "4", "-o", "e.npy", "--distances", "ed.npy"]);
    let floats = |p: &str| read_npy(&d.join(p)).1.chunks(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect::<Vec<_>>();
    for (a, b) in floats("sed.npy").iter().zip(floats("ed.npy")) {
        assert!((a - b).abs() <= 1e-4 * (1.0 + b), "seuclidean {a} against scaled euclidean {b}");
    }
    run(&["neighbors", "x.npy", "-k", "4", "--metric", "wminkowski:3", "-o", "w.npy"]);
    run(&["neighbors", "x.npy", "-k", "4", "--metric", "minkowski:3", "-o", "mk.npy"]);
    assert_eq!(read_npy(&d.join("w.npy")), read_npy(&d.join("mk.npy")));
    run(&["embed", "dist.npy", "--method", "umap", "--metric", "precomputed", "--neighbors", "5", "--epochs", "20", "--seed", "1", "-o", "u.npy", "-q"]);
    let o = unfold(d, &["neighbors", "x.npy", "-k", "4", "--metric", "precomputed", "-o", "bad.npy"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("square matrix of distances between its rows, but it is 40 × 3"), "{}", stderr(&o));
}

#[test]
fn metric_kwds_give_the_weighted_metrics_their_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (n, c) = (40, 3);
    let x: Vec<f32> = blobs(n, c).iter().enumerate().map(|(i, v)| v * (1 + i % c) as f32 + 0.5).collect();
    write_npy(&d.join("x.npy"), &x, n, c);
    let f64s = |path: &str, values: &[f64], shape: &str| {
        write_npy_raw(&d.join(path), "<f8", shape, values.iter().flat_map(|v| v.to_le_bytes()));
    };
    let run = |args: &[&str]| {
        let o = unfold(d, args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    };
    let floats = |p: &str| read_npy(&d.join(p)).1.chunks(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect::<Vec<_>>();
    // The blobs have tied distances, which rounding may order either way: the indices are
    // compared where the transformed rows give the same rounding (`indices`), the distances always.
    let same_neighbours = |a: &str, b: &str, what: &str, indices: bool| {
        if indices {
            assert_eq!(read_npy(&d.join(format!("{a}.npy"))), read_npy(&d.join(format!("{b}.npy"))), "{what}: neighbours");
        }
        for (g, w) in floats(&format!("{a}_d.npy")).iter().zip(floats(&format!("{b}_d.npy"))) {
            assert!((g - w).abs() <= 1e-4 * (1.0 + w), "{what}: distance {g}, expected {w}");
        }
    };
    // Each weighted metric equals a plain one on rows transformed by hand: wminkowski with
    // weights w and exponent p is minkowski:p on the columns times w^(1/p); seuclidean with V is
    // euclidean on the columns divided by √V; mahalanobis with VI = AᵀA is euclidean on A x.
    let transformed = |f: &dyn Fn(&[f32]) -> Vec<f32>, path: &str| {
        let rows: Vec<f32> = x.chunks(c).flat_map(f).collect();
        write_npy(&d.join(path), &rows, n, c);
    };
    f64s("w.npy", &[1.0, 8.0, 27.0], "(3,)");
    transformed(&|r| vec![r[0], 2.0 * r[1], 3.0 * r[2]], "xw.npy");
    run(&["neighbors", "x.npy", "-k", "4", "--metric", "wminkowski", "--metric-kwds", "w=w.npy, p=3", "-o", "wk.npy", "--distances", "wk_d.npy"]);
    run(&["neighbors", "xw.npy", "-k", "4", "--metric", "minkowski", "--metric-kwds", "p=3", "-o", "wref.npy", "--distances", "wref_d.npy"]);
    same_neighbours("wk", "wref", "wminkowski w, p", true);
    f64s("v.npy", &[4.0, 9.0, 1.0], "(1, 3)");
    transformed(&|r| vec![r[0] / 2.0, r[1] / 3.0, r[2]], "xv.npy");
    run(&["neighbors", "x.npy", "-k", "4", "--metric", "seuclidean", "--metric-kwds", "V=v.npy", "-o", "sv.npy", "--distances", "sv_d.npy"]);
    run(&["neighbors", "xv.npy", "-k", "4", "-o", "vref.npy", "--distances", "vref_d.npy"]);
    same_neighbours("sv", "vref", "seuclidean V", true);
    f64s("vi.npy", &[2.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 4.0], "(3, 3)");
    transformed(&|r| vec![r[0], r[0] + r[1], 2.0 * r[2]], "xa.npy");
    run(&["neighbors", "x.npy", "-k", "4", "--metric", "mahalanobis", "--metric-kwds", "VI=vi.npy", "-o", "mv.npy", "--distances", "mv_d.npy"]);
    run(&["neighbors", "xa.npy", "-k", "4", "-o", "aref.npy", "--distances", "aref_d.npy"]);
    same_neighbours("mv", "aref", "mahalanobis VI", false);
    // The same through UMAP and evaluate (which read --metric-kwds the same way).
    run(&[
        "embed",
        "x.npy",
        "--method",
        "umap",
        "--metric",
        "seuclidean",
        "--metric-kwds",
        "V=v.npy",
        "--neighbors",
        "5",
        "--epochs",
        "20",
        "--seed",
        "1",
        "-o",
        "u.npy",
        "-q",
    ]);
    run(&["embed", "xv.npy", "--method", "umap", "--neighbors", "5", "--epochs", "20", "--seed", "1", "-o", "uref.npy", "-q"]);
    assert_eq!(read_npy(&d.join("u.npy")), read_npy(&d.join("uref.npy")), "UMAP with seuclidean V");
    run(&["evaluate", "x.npy", "u.npy", "--metric", "seuclidean", "--metric-kwds", "V=v.npy", "-k", "5"]);

    // Errors name the key and what the metric takes; nothing is written.
    for (args, want) in [
        (&["--metric", "seuclidean", "--metric-kwds", "VI=vi.npy"][..], "'VI' (the seuclidean metric takes only 'V')"),
        (&["--metric", "wminkowski", "--metric-kwds", "q=2"][..], "'q' (the wminkowski metric takes only 'w' and 'p')"),
        (&["--metric-kwds", "p=3"][..], "'p' (the euclidean metric takes no parameters)"),
        (&["--metric", "minkowski", "--metric-kwds", "p"][..], "`p` is not KEY=VALUE"),
        (&["--metric", "minkowski", "--metric-kwds", "p=three"][..], "p = `three` is not a number"),
        (&["--metric", "minkowski", "--metric-kwds", "p=0.5"][..], "the Minkowski exponent p must be finite and ≥ 1"),
        (&["--metric", "minkowski", "--metric-kwds", "p=2,p=3"][..], "`p` is given twice"),
        (&["--metric", "mahalanobis", "--metric-kwds", "VI=v.npy"][..], "VI = v.npy is 1 × 3; VI is a square matrix"),
        (&["--metric", "wminkowski", "--metric-kwds", "w=vi.npy"][..], "w = vi.npy is 3 × 3; w is one value per column"),
        (&["--metric", "wminkowski", "--metric-kwds", "w=missing.npy"][..], "missing.npy"),
    ] {
        let mut full = vec!["neighbors", "x.npy", "-k", "4", "-o", "bad.npy"];
        full.extend_from_slice(args);
        let o = unfold(d, &full);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("--metric-kwds") && err.contains(want), "{args:?}: {err}");
        assert!(!d.join("bad.npy").exists());
    }
    let o = unfold(d, &["embed", "x.npy", "--metric-kwds", "p=3", "-o", "bad.npy"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--metric-kwds does not apply to --method pca"), "{}", stderr(&o));
    let help = String::from_utf8_lossy(&unfold(d, &["neighbors", "--help"]).stdout).into_owned();
    assert!(help.contains("--metric-kwds") && help.contains("w=weights.npy,p=3"), "{help}");
}

#[test]
fn random_projection_from_its_declared_flags() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (n, dims) = (60, 40);
    let x = blobs(n, dims);
    write_npy(&d.join("x.npy"), &x, n, dims);
    // The flags come from the method's parameter table; --dims is its n_components.
    let help = String::from_utf8_lossy(&unfold(d, &["embed", "--help"]).stdout).into_owned();
    assert!(help.contains("random-projection options") && help.contains("--eps") && help.contains("--gaussian"), "{help}");
    let o = unfold(d, &["embed", "x.npy", "--method", "random-projection", "--dims", "5", "--gaussian", "--seed", "1", "--save-model", "rp.model", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(summary.contains("\"gaussian\":true") && summary.contains("\"n_components\":5"), "{summary}");
    let (shape, body) = read_npy(&d.join("x.random-projection.npy"));
    assert_eq!(shape, [n, 5]);
    // A saved model places the same rows at the same coordinates.
    let o = unfold(d, &["transform", "--model", "rp.model", "x.npy", "-o", "again.npy", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&d.join("again.npy")).1, body);
    let o = unfold(d, &["embed", "x.npy", "--method", "random-projection", "--dims", "30", "--density", "0.5", "--seed", "2", "-o", "y30.npy", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&d.join("y30.npy")).0, [n, 30]);
    // Errors: a range, a flag of another method, an "auto" dimension larger than the input.
    assert_usage_errors(
        d,
        &["embed", "x.npy", "-o", "bad.npy"],
        [
            (vec!["--method", "random-projection", "--eps", "1.5"], "invalid value for `eps`: 1.5 (must be > 0 and < 1)"),
            (vec!["--method", "random-projection", "--density", "0"], "invalid value for `density`: 0"),
            (vec!["--method", "umap", "--eps", "0.2"], "--eps does not apply to --method umap"),
            (vec!["--method", "random-projection", "--whiten"], "--whiten does not apply to --method random-projection"),
            // scikit-learn: johnson_lindenstrauss_min_dim(60, eps=0.1) = 3509.
            (vec!["--method", "random-projection"], "lead to a target dimension of 3509, which is larger than the original space with n_features=40"),
            (
                vec!["--method", "pca", "--dims", "auto"],
                "invalid value for `n_components`: auto (must be a whole number ≥ 1, a fraction strictly between 0 and 1",
            ),
            (vec!["--method", "umap", "--dims", "0.5"], "invalid value for `n_components`: 0.5 (must be a whole number"),
        ],
        Some("bad.npy"),
    );
}

#[test]
fn umap_with_precomputed_neighbors_equals_its_own_search() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Three noisy clusters, values from a multiplicative hash (no duplicate rows).
    let (n, cols) = (200, 5);
    let x: Vec<f32> = (0..n * cols)
        .map(|p| ((p / cols) % 3) as f32 * 6.0 + ((p as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as f32 / (1u64 << 24) as f32 * 4.0)
        .collect();
    write_npy(&d.join("x.npy"), &x, n, cols);
    write_npy(&d.join("other.npy"), &x[..150 * cols], 150, cols);
    let run = |args: &[&str]| {
        let o = unfold(d, args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    };
    // More neighbours than UMAP's default 15 − 1 needs: the extra columns are ignored.
    run(&["neighbors", "x.npy", "-k", "20", "-o", "i20.npy", "--distances", "d20.npy", "-q"]);
    run(&["neighbors", "x.npy", "-k", "20", "--metric", "manhattan", "-o", "im.npy", "--distances", "dm.npy", "-q"]);
    run(&["neighbors", "x.npy", "-k", "5", "-o", "i5.npy", "--distances", "d5.npy", "-q"]);
    run(&["neighbors", "other.npy", "-k", "20", "-o", "io.npy", "--distances", "do.npy", "-q"]);
    let umap = ["embed", "x.npy", "--method", "umap", "--seed", "3", "--epochs", "50", "-q"];
    let embed = |out: &str, extra: &[&str]| {
        run(&[&umap[..], &["-o", out], extra].concat());
        read_npy(&d.join(out))
    };
    let (shape, plain) = embed("plain.npy", &[]);
    assert_eq!(shape, [n, 2]);
    assert_eq!(embed("pre.npy", &["--knn", "i20.npy", "--knn-distances", "d20.npy"]).1, plain, "the precomputed neighbours give another embedding");
    // The given graph is the one used: manhattan neighbours give another layout.
    assert_ne!(embed("man.npy", &["--knn", "im.npy", "--knn-distances", "dm.npy"]).1, plain);
    let cases: &[(&[&str], &str)] = &[
        (&["--knn", "io.npy", "--knn-distances", "do.npy"], "has 150 rows but the data has 200"),
        (&["--knn", "i5.npy", "--knn-distances", "d5.npy"], "has 5 neighbours per point; n_neighbors = 15 needs at least 14"),
        (&["--knn", "i20.npy", "--knn-distances", "d5.npy"], "--knn i20.npy is 200 × 20 but --knn-distances d5.npy is 200 × 5"),
        (&["--knn", "i20.npy"], "--knn-distances"),
    ];
    for (extra, needle) in cases {
        let o = unfold(d, &[&umap[..], &["-o", "bad.npy"], extra].concat());
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{extra:?}: {}", stderr(&o));
        assert!(!d.join("bad.npy").exists(), "{extra:?} left an output");
    }
}

#[test]
fn mds_of_a_precomputed_matrix_under_either_name_and_its_checks() {
    let dir = tempfile::tempdir().unwrap();
    let (n, d) = (30, 4);
    let x = blobs(n, d);
    let dist: Vec<f32> =
        (0..n * n).map(|p| (0..d).map(|c| (x[p / n * d + c] - x[p % n * d + c]).powi(2)).sum::<f32>().sqrt()).map(|v| (v * 100.0).round() / 100.0).collect();
    write_npy(&dir.path().join("D.npy"), &dist, n, n);
    let a = unfold(dir.path(), &["embed", "D.npy", "--method", "mds", "--dissimilarity", "precomputed", "--seed", "4", "-o", "a.npy", "--json"]);
    assert!(a.status.success(), "{}", stderr(&a));
    let json: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert!(json["parameters"]["stress_"].as_f64().unwrap() > 0.0 && json["parameters"]["n_iter_"].as_f64().unwrap() >= 1.0, "{json}");
    let b = unfold(dir.path(), &["embed", "D.npy", "--method", "mds", "--metric", "precomputed", "--seed", "4", "-o", "b.npy", "--threads", "1"]);
    assert!(b.status.success(), "{}", stderr(&b));
    assert_eq!(read_npy(&dir.path().join("a.npy")), read_npy(&dir.path().join("b.npy")));
    // --precomputed is the same.
    let p = unfold(dir.path(), &["embed", "D.npy", "--method", "mds", "--precomputed", "--seed", "4", "-o", "p.npy"]);
    assert!(p.status.success(), "{}", stderr(&p));
    assert_eq!(read_npy(&dir.path().join("a.npy")), read_npy(&dir.path().join("p.npy")));
    let mut bad = dist.clone();
    bad[2 * n + 7] += 1.0;
    write_npy(&dir.path().join("bad.npy"), &bad, n, n);
    let o = unfold(dir.path(), &["embed", "bad.npy", "--method", "mds", "--metric", "precomputed", "-o", "c.npy"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("row 2, column 7 holds"), "{}", stderr(&o));
    assert!(!dir.path().join("c.npy").exists());
    // Parameters out of range: exit 2, named, no output.
    write_npy(&dir.path().join("x.npy"), &x, n, d);
    assert_usage_errors(
        dir.path(),
        &["embed", "x.npy", "--method", "mds", "-o", "e.npy"],
        [
            (vec!["--n-init", "0"], "`n_init`: 0"),
            (vec!["--max-iter", "0"], "`max_iter`: 0"),
            (vec!["--eps=-1"], "`eps`: -1"),
            (vec!["--n-landmarks", "2"], "`n_landmarks`: 2 (must be in [n_components + 1, n_samples] = [3, 30])"),
            (vec!["--n-landmarks", "31"], "`n_landmarks`: 31"),
        ],
        Some("e.npy"),
    );
}

#[test]
fn classical_mds_of_exact_distances_recovers_the_points() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Points of a plane (a low-discrepancy sequence): classical MDS of their distances keeps
    // every distance, as rows and as a precomputed matrix, exactly or from 12 landmarks.
    let n = 40;
    let x: Vec<f32> =
        (0..n).flat_map(|i| [((i as f64 * 0.618_033_988_75).fract() * 10.0) as f32, ((i as f64 * 0.414_213_562_37).fract() * 10.0) as f32]).collect();
    let dist = |y: &[f32], i: usize, j: usize| ((y[2 * i] - y[2 * j]).powi(2) + (y[2 * i + 1] - y[2 * j + 1]).powi(2)).sqrt();
    let m: Vec<f32> = (0..n * n).map(|p| dist(&x, p / n, p % n)).collect();
    write_npy(&d.join("x.npy"), &x, n, 2);
    write_npy(&d.join("D.npy"), &m, n, n);
    for (i, args) in
        [vec!["x.npy"], vec!["D.npy", "--precomputed"], vec!["D.npy", "--metric", "precomputed", "--n-landmarks", "12", "--seed", "3"]].into_iter().enumerate()
    {
        let out = format!("c{i}.npy");
        let o = unfold(d, &[&["embed", "--method", "classical-mds", "-o", &out][..], &args].concat());
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        let (shape, body) = read_npy(&d.join(&out));
        assert_eq!(shape, vec![n, 2]);
        let y: Vec<f32> = body.chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
        for (a, b) in [(0, 1), (3, 39), (17, 25)] {
            assert!((dist(&y, a, b) - dist(&x, a, b)).abs() < 1e-4, "{args:?} ({a}, {b})");
        }
    }
    assert_usage_errors(
        d,
        &["embed", "x.npy", "-o", "e.npy"],
        [
            (vec!["--method", "classical-mds", "--dims", "41"], "`n_components`: 41"),
            (vec!["--method", "classical-mds", "--n-landmarks", "2"], "`n_landmarks`: 2"),
            (vec!["--method", "classical-mds", "--precomputed"], "square dissimilarity matrix, but the data has 40 rows and 2 columns"),
            (
                vec!["--method", "classical-mds", "--precomputed", "--metric", "euclidean"],
                "--precomputed takes the input as a square matrix: it does not go with --metric euclidean",
            ),
            (vec!["--method", "pca", "--precomputed"], "--precomputed does not apply to --method pca"),
        ],
        Some("e.npy"),
    );
}

#[test]
fn diffusion_map_saves_a_model_that_places_its_rows_again() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Three noisy clusters without duplicate rows (a multiplicative hash).
    let (n, dims) = (80, 5);
    let x: Vec<f32> = (0..n * dims)
        .map(|p| ((p / dims) % 3) as f32 * 6.0 + ((p as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as f32 / (1u64 << 24) as f32 * 4.0)
        .collect();
    write_npy(&d.join("x.npy"), &x, n, dims);
    let o = unfold(
        d,
        &[
            "embed",
            "x.npy",
            "--method",
            "diffusion",
            "--neighbors",
            "20",
            "--alpha",
            "1",
            "--t",
            "2",
            "--seed",
            "1",
            "--save-model",
            "dm.model",
            "-o",
            "y.npy",
            "--json",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(json["parameters"]["epsilon_"].as_f64().unwrap() > 0.0, "{json}");
    let (shape, body) = read_npy(&d.join("y.npy"));
    assert_eq!(shape, [n, 2]);
    let o = unfold(
        d,
        &[
            "embed",
            "x.npy",
            "--method",
            "diffusion",
            "--neighbors",
            "20",
            "--alpha",
            "1",
            "--t",
            "2",
            "--seed",
            "1",
            "--threads",
            "1",
            "-o",
            "y1.npy",
            "--quiet",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&d.join("y1.npy")).1, body, "one thread gives another embedding");
    // The Nystrom extension of a training row is its own coordinate.
    let o = unfold(d, &["transform", "--model", "dm.model", "x.npy", "-o", "again.npy", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&d.join("again.npy")).1, body);
    assert_usage_errors(
        d,
        &["embed", "x.npy", "--method", "diffusion", "-o", "bad.npy"],
        [
            (vec!["--alpha", "1.5"], "invalid value for `alpha`: 1.5"),
            (vec!["--epsilon", "0"], "invalid value for `epsilon`: 0"),
            (vec!["--epsilon", "wide"], "invalid value for `epsilon`: wide"),
            (vec!["--neighbors", "1"], "invalid value for `n_neighbors`: 1"),
            (vec!["--adaptive-k", "0"], "invalid value for `adaptive_k`: 0"),
        ],
        Some("bad.npy"),
    );
}

#[test]
fn measure_id_estimates_the_dimension_of_a_plane() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 400 points of a 2-D square (hashed coordinates) placed in 5-D by a fixed linear map.
    let n = 400;
    // splitmix64's finaliser: uniform and without the lattice of a bare multiplicative hash.
    let u = |p: u64| {
        let mut z = (p + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32
    };
    let x: Vec<f32> = (0..n as u64)
        .flat_map(|i| {
            let (a, b) = (u(2 * i), u(2 * i + 1));
            [a + b, a - b, 0.5 * a, 2.0 * b, a + 0.3 * b]
        })
        .collect();
    write_npy(&d.join("x.npy"), &x, n, 5);
    for (estimator, lo, hi) in
        [("twonn", 1.7, 2.3), ("mle", 1.7, 2.3), ("lpca", 2.0, 2.0), ("corrint", 1.7, 2.3), ("mada", 1.6, 2.4), ("ess", 1.7, 2.3), ("mind_ml", 1.7, 2.3)]
    {
        let o = unfold(d, &["measure", "id", "x.npy", "--estimator", estimator, "--json"]);
        assert!(o.status.success(), "{estimator}: {}", stderr(&o));
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let dim = json["dimension"].as_f64().unwrap();
        assert!((lo..=hi).contains(&dim), "{estimator}: {json}");
        assert_eq!(json["estimator"], estimator);
    }
    let o = unfold(d, &["measure", "id", "x.npy", "--estimator", "mle", "--per-point", "pw.npy", "--neighbors", "10", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&d.join("pw.npy")).0, [n]);
    assert_usage_errors(
        d,
        &["measure", "id", "x.npy"],
        [
            (vec!["--estimator", "twonn", "--per-point", "bad.npy"], "`per_point`: true (is not available for twonn"),
            (vec!["--estimator", "twonn", "--comb", "mean"], "--comb does not apply to --estimator twonn"),
            (vec!["--estimator", "lpca", "--ver", "FO", "--alpha-fan", "3"], "--alpha-fan applies to --ver Fan only"),
            (vec!["--estimator", "lpca", "--alpha-fo", "1.5"], "`alphaFO`: 1.5 (must be strictly between 0 and 1)"),
            (vec!["--estimator", "twonn", "--discard-fraction", "1"], "`discard_fraction`: 1 (must be in [0, 1))"),
            (vec!["--estimator", "lpca", "--neighbors", "30"], "`n_neighbors`: 30 (applies to lpca only per point"),
            (vec!["--estimator", "mle", "--neighbors", "400", "--per-point", "bad.npy"], "`n_neighbors`: 400 (must be below the number of points (400))"),
            (vec!["--estimator", "corrint", "--per-point", "bad.npy"], "`per_point`: true (is not available for corrint"),
            (vec!["--estimator", "mle", "--k1", "5"], "--k1 does not apply to --estimator mle (it is an option of corrint)"),
            (vec!["--estimator", "corrint", "--k1", "20"], "`k1`: 20 (must be at least 1 and below k2 (20))"),
            (vec!["--estimator", "corrint", "--neighbors", "20"], "`n_neighbors`: 20 (does not apply to corrint"),
            (vec!["--estimator", "mada", "--comb", "mle"], "`comb`: mle (must be mean or median for mada)"),
            (vec!["--estimator", "mind_ml", "--max-dim", "0"], "`D`: 0 (must be at least 1)"),
            (vec!["--estimator", "mind_ml", "--neighbors", "399"], "`n_neighbors`: 399 (plus one must be below the number of points (400))"),
        ],
        Some("bad.npy"),
    );
}

#[test]
fn lle_variants_save_model_transform_and_invalid_options_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_npy(&d.join("train.npy"), &blobs(300, 5), 300, 5);
    write_npy(&d.join("new.npy"), &blobs(30, 5), 30, 5);
    let o =
        unfold(d, &["embed", "train.npy", "--method", "lle", "--lle-method", "ltsa", "--neighbors", "12", "--seed", "1", "--save-model", "m.lle", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((json["method"].as_str(), json["parameters"]["method"].as_str()), (Some("lle"), Some("ltsa")));
    assert!(json["parameters"]["reconstruction_error_"].as_f64().unwrap() > 0.0);
    let (shape, first) = read_npy(&d.join("train.lle.npy"));
    assert_eq!(shape, [300, 2]);
    let o = unfold(
        d,
        &["embed", "train.npy", "--method", "lle", "--lle-method", "ltsa", "--neighbors", "12", "--seed", "1", "--threads", "1", "-o", "again.npy", "--quiet"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&d.join("again.npy")).1, first);
    let o = unfold(d, &["transform", "--model", "m.lle", "new.npy", "-o", "placed.npy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&d.join("placed.npy")).0, [30, 2]);
    let cases: &[(&[&str], &str)] = &[
        (&["embed", "train.npy", "--method", "lle", "--lle-method", "hessian", "--neighbors", "5"], "greater than n_components · (n_components + 3) / 2 = 5"),
        (&["embed", "train.npy", "--method", "lle", "--lle-method", "modified", "--neighbors", "2", "--dims", "3"], "at least n_components = 3"),
        (&["embed", "train.npy", "--method", "lle", "--lle-method", "isomap"], "`method`"),
        (&["embed", "train.npy", "--method", "lle", "--eigen-solver", "lobpcg"], "`eigen_solver`"),
        (&["embed", "train.npy", "--method", "lle", "--reg=-1"], "`reg`"),
        (&["embed", "train.npy", "--method", "lle", "--neighbors", "300"], "less than n_samples = 300"),
        (&["embed", "train.npy", "--method", "lle", "--dims", "6"], "at most the number of features, 5"),
        (&["embed", "train.npy", "--method", "lle", "--neighbors-algorithm", "hnsw"], "`neighbors_algorithm`"),
    ];
    for (args, needle) in cases {
        let o = unfold(d, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn isomap_embeds_saves_transforms_and_refuses_bad_options() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A helix: a curve whose geodesic order Isomap recovers.
    let n = 200;
    let x: Vec<f32> = (0..n)
        .flat_map(|i| {
            let t = i as f32 * 0.05;
            [t.cos(), t.sin(), 0.2 * t]
        })
        .collect();
    write_npy(&d.join("x.npy"), &x, n, 3);
    let o = unfold(d, &["embed", "x.npy", "--method", "isomap", "--neighbors", "6", "--seed", "2", "--save-model", "m.iso", "-o", "e.npy", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(json["parameters"]["reconstruction_error_"].as_f64().unwrap() >= 0.0, "{json}");
    let o = unfold(d, &["embed", "x.npy", "--method", "isomap", "--neighbors", "6", "--seed", "2", "--threads", "1", "-o", "e1.npy", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&d.join("e.npy")), read_npy(&d.join("e1.npy")));
    let o = unfold(d, &["transform", "--model", "m.iso", "x.npy", "-o", "t.npy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&d.join("t.npy")).0, vec![n, 2]);
    let o = unfold(d, &["embed", "x.npy", "--method", "isomap", "--n-landmarks", "50", "--path-method", "FW", "-o", "l.npy", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_usage_errors(
        d,
        &["embed", "x.npy", "--method", "isomap", "-o", "bad.npy"],
        [
            (&["--n-landmarks", "2"][..], "invalid value for `n_landmarks`: 2 (must be in [n_components + 1, n_samples] = [3, 200])"),
            (&["--neighbors", "200"][..], "invalid value for `n_neighbors`: 200 (must be less than n_samples = 200)"),
            (&["--eigen-solver", "lobpcg"][..], "must be one of auto, arpack, dense"),
            (&["--radius", "1.5"][..], "radius neighbourhoods are not offered"),
        ],
        Some("bad.npy"),
    );
}

#[test]
fn measure_topology_finds_the_loop_of_a_circle() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let n = 40;
    let x: Vec<f32> = (0..n)
        .flat_map(|i| {
            let t = i as f32 * std::f32::consts::TAU / n as f32;
            [t.cos(), t.sin()]
        })
        .collect();
    write_npy(&d.join("circle.npy"), &x, n, 2);
    let o = unfold(d, &["measure", "topology", "circle.npy", "--json", "--plot", "dgm.png"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let h1 = json["diagrams"][1].as_array().unwrap();
    assert_eq!(h1.len(), 1, "{json}");
    assert!(h1[0][1].as_f64().unwrap() > 1.0);
    let h0 = json["diagrams"][0].as_array().unwrap();
    assert_eq!(h0.len(), n);
    assert!(h0.iter().filter(|p| p[1].is_null()).count() == 1);
    assert_eq!(&std::fs::read(d.join("dgm.png")).unwrap()[..4], b"\x89PNG");
    // A precomputed matrix of the same distances gives the same diagrams.
    let dm: Vec<f32> = (0..n * n)
        .map(|k| {
            let (i, j) = (k / n, k % n);
            ((x[2 * i] - x[2 * j]).powi(2) + (x[2 * i + 1] - x[2 * j + 1]).powi(2)).sqrt()
        })
        .collect();
    write_npy(&d.join("dm.npy"), &dm, n, n);
    let o = unfold(d, &["measure", "topology", "dm.npy", "--precomputed", "--json", "--n-perm", "20"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["idx_perm"].as_array().unwrap().len(), 20);
    assert_eq!(json["diagrams"][1].as_array().unwrap().len(), 1);
    assert_usage_errors(
        d,
        &["measure", "topology"],
        [
            (vec!["circle.npy", "--thresh=-1"], "`thresh`: -1"),
            (vec!["circle.npy", "--n-perm", "41"], "`n_perm`: 41 (must be in [1, n_samples = 40]"),
            (vec!["circle.npy", "--precomputed"], "must be square"),
            (vec!["circle.npy", "--precomputed", "--metric", "cosine"], "--precomputed"),
            (vec!["circle.npy", "--maxdim", "5"], "`maxdim`: 5"),
        ],
        None,
    );
    let o = unfold(d, &["measure", "topology", "--help"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("Examples:"));
}

#[test]
fn tsne_embeds_saves_and_transforms() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Three clusters in 5 dimensions.
    let n = 120;
    let x: Vec<f32> = (0..n * 5).map(|i| ((i * 7919) % 101) as f32 / 50.0 + ((i / 5) % 3) as f32 * 20.0).collect();
    write_npy(&d.join("x.npy"), &x, n, 5);
    let o = unfold(
        d,
        &["embed", "x.npy", "--method", "tsne", "--perplexity", "10", "--iter", "100", "--seed", "1", "--save-model", "m.tsne", "-o", "e.npy", "--json"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(json["parameters"]["kl_divergence_"].as_f64().unwrap() > 0.0, "{json}");
    let o = unfold(d, &["embed", "x.npy", "--method", "tsne", "--perplexity", "10", "--iter", "100", "--seed", "1", "--threads", "1", "-o", "e1.npy", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&d.join("e.npy")), read_npy(&d.join("e1.npy")));
    // The training rows come back where the fit put them.
    let o = unfold(d, &["transform", "--model", "m.tsne", "x.npy", "-o", "t.npy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&d.join("t.npy")), read_npy(&d.join("e.npy")));
    for args in [&["--perplexities", "5,20"][..], &["--affinity", "uniform", "--k-neighbors", "10"][..]] {
        let mut full = vec!["embed", "x.npy", "--method", "tsne", "--iter", "50", "--seed", "1", "-o", "other.npy", "-q"];
        full.extend_from_slice(args);
        let o = unfold(d, &full);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert_ne!(read_npy(&d.join("other.npy")), read_npy(&d.join("e.npy")));
    }
    assert_usage_errors(
        d,
        &["embed", "x.npy", "--method", "tsne", "-o", "bad.npy"],
        [
            (&["--perplexities", "5,x"][..], "invalid value for `perplexities`: 5,x"),
            (&["--affinity", "uniform", "--k-neighbors", "120"][..], "invalid value for `k_neighbors`: 120 (must be below n_samples = 120)"),
            (&["--perplexity", "40"][..], "invalid value for `perplexity`: 40 (must be at most (n_samples - 1) / 3 = 39.6667"),
            (&["--gradient", "fft", "--dims", "3"][..], "must be 1 or 2 with method = fft"),
            (&["--theta", "1.5"][..], "invalid value for `angle`: 1.5"),
        ],
        Some("bad.npy"),
    );
}

#[test]
fn phate_embeds_saves_a_model_and_evaluate_reports_demap() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A noisy helix (hashed noise), 150 points in 3 dimensions.
    let n = 150;
    let x: Vec<f32> = (0..n)
        .flat_map(|i| {
            let s = i as f32 * 0.08;
            let e = |c: u64| (((i as u64 * 3 + c + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.02;
            [s.cos() + e(0), s.sin() + e(1), s / 4.0 + e(2)]
        })
        .collect();
    write_npy(&d.join("x.npy"), &x, n, 3);
    let run = |threads: &str, out: &str, extra: &[&str]| {
        let mut args = vec!["embed", "x.npy", "--method", "phate", "--neighbors", "6", "--seed", "2", "--threads", threads, "-o", out, "--quiet"];
        args.extend(extra);
        unfold(d, &args)
    };
    let o = run("2", "y.npy", &["--save-model", "p.model", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(json["parameters"]["optimal_t_"].as_f64().unwrap() >= 1.0, "{json}");
    let (shape, body) = read_npy(&d.join("y.npy"));
    assert_eq!(shape, [n, 2]);
    let o = run("1", "y1.npy", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&d.join("y1.npy")).1, body, "one thread gives another embedding");
    let o = unfold(d, &["transform", "--model", "p.model", "x.npy", "-o", "again.npy", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&d.join("again.npy")).1, body);
    let o = unfold(d, &["evaluate", "x.npy", "y.npy", "--demap", "--json", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let demap = json["demap"].as_f64().unwrap();
    assert!(demap > 0.8 && demap <= 1.0, "{json}");
    assert_usage_errors(
        d,
        &["embed", "x.npy", "--method", "phate", "-o", "bad.npy"],
        [
            (vec!["--gamma", "2"], "invalid value for `gamma`: 2"),
            (vec!["--neighbors", "0"], "invalid value for `knn`: 0"),
            (vec!["--t", "0"], "invalid value for `t`: 0"),
            (vec!["--decay=-1"], "invalid value for `decay`: -1"),
            (vec!["--mds-solver", "lbfgs"], "invalid value for `mds_solver`: lbfgs"),
            (vec!["--n-landmark", "0"], "invalid value for `n_landmark`: 0"),
        ],
        Some("bad.npy"),
    );
}

#[test]
fn heatgeo_embeds_with_automatic_tau_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A noisy helix (hashed noise), 120 points in 3 dimensions.
    let n = 120;
    let x: Vec<f32> = (0..n)
        .flat_map(|i| {
            let s = i as f32 * 0.1;
            let e = |c: u64| (((i as u64 * 3 + c + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.02;
            [s.cos() + e(0), s.sin() + e(1), s / 4.0 + e(2)]
        })
        .collect();
    write_npy(&d.join("x.npy"), &x, n, 3);
    let run = |threads: &str, out: &str| {
        unfold(
            d,
            &["embed", "x.npy", "--method", "heatgeo", "--tau", "auto", "--order", "30", "--seed", "1", "--threads", threads, "-o", out, "--json", "--quiet"],
        )
    };
    let o = run("2", "y.npy");
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let tau = json["parameters"]["tau"].as_f64().unwrap();
    assert!(tau > 0.05 && tau < 200.0, "{json}");
    let (shape, body) = read_npy(&d.join("y.npy"));
    assert_eq!(shape, [n, 2]);
    assert!(run("1", "y1.npy").status.success());
    assert_eq!(read_npy(&d.join("y1.npy")).1, body, "one thread gives another embedding");
    assert_usage_errors(
        d,
        &["embed", "x.npy", "--method", "heatgeo", "-o", "bad.npy"],
        [
            (vec!["--harnack-regul", "2"], "invalid value for `harnack_regul`: 2"),
            (vec!["--tau", "0"], "invalid value for `tau`: 0"),
            (vec!["--order", "0"], "invalid value for `order`: 0"),
            (vec!["--lap-type", "random"], "invalid value for `lap_type`: random"),
        ],
        Some("bad.npy"),
    );
}

#[test]
fn measure_entropy_of_far_apart_points_and_its_mutual_information() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Sixteen points far apart: the diffusion operator is the identity, DSE = log2 16 = 4 bits.
    let x: Vec<f32> = (0..16).map(|i| 1000.0 * i as f32).collect();
    write_npy(&d.join("far.npy"), &x, 16, 1);
    let o = unfold(d, &["measure", "entropy", "far.npy", "--sigma", "1", "--t", "2", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!((json["entropy"].as_f64().unwrap() - 4.0).abs() < 1e-9, "{json}");
    assert_eq!(json["n_used"], 16);
    // Two classes of 8: every draw of 8 points has 3 bits, as each class: nothing is learnt.
    let labels: Vec<u8> = (0..16i64).flat_map(|i| (i / 8).to_le_bytes()).collect();
    write_npy_raw(&d.join("labels.npy"), "<i8", "(16,)", labels);
    let o = unfold(d, &["measure", "entropy", "far.npy", "--sigma", "1", "--labels", "labels.npy", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(json["mutual_information"].as_f64().unwrap().abs() < 1e-9, "{json}");
    assert_eq!(json["classes"].as_array().unwrap().len(), 2);
    assert!((json["classes"][1]["conditional_entropy"].as_f64().unwrap() - 3.0).abs() < 1e-9, "{json}");
    // A scalar reference is binned: its position on the line, 4 bins of 4 points.
    let o = unfold(d, &["measure", "entropy", "far.npy", "--sigma", "1", "--other", "far.npy", "--n-clusters", "4", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let counts: Vec<u64> = json["classes"].as_array().unwrap().iter().map(|c| c["count"].as_u64().unwrap()).collect();
    assert_eq!(counts, [4, 4, 4, 4], "{json}");
    write_npy(&d.join("two.npy"), &x, 8, 2);
    assert_usage_errors(
        d,
        &["measure", "entropy"],
        [
            (vec!["far.npy", "--sigma", "0"], "`gaussian_kernel_sigma`: 0"),
            (vec!["far.npy", "--max-n", "0"], "`max_N`: 0"),
            (vec!["two.npy", "--other", "far.npy"], "has 16 rows but the input has 8"),
            (vec!["far.npy", "--other", "two.npy"], "has 8 rows but the input has 16"),
            (vec!["far.npy", "--labels", "labels.npy", "--num-repetitions", "0"], "`num_repetitions`: 0"),
        ],
        None,
    );
}

#[test]
fn measure_entropy_clusters_a_multi_column_reference() {
    // Two groups of 10 far apart in the plane: each point's 9 neighbours are its own group, so
    // the spectral clusters are the groups (10 points each).
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let reference: Vec<f32> = (0..20).flat_map(|i| [(i % 10) as f32 * 0.1 + if i < 10 { 0.0 } else { 50.0 }, (i % 3) as f32 * 0.1]).collect();
    write_npy(&d.join("ref.npy"), &reference, 20, 2);
    let x: Vec<f32> = (0..20).map(|i| i as f32).collect();
    write_npy(&d.join("x.npy"), &x, 20, 1);
    let o = unfold(d, &["measure", "entropy", "x.npy", "--other", "ref.npy", "--n-clusters", "2", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let counts: Vec<u64> = json["classes"].as_array().unwrap().iter().map(|c| c["count"].as_u64().unwrap()).collect();
    assert_eq!(counts, [10, 10], "{json}");
    assert_usage_errors(d, &["measure", "entropy", "x.npy", "--other", "ref.npy"], [(vec!["--n-clusters", "21"], "`n_clusters`: 21")], None);
}

#[test]
fn measure_hyperbolicity_of_a_cycle_and_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The unit cycle C_8 as a distance matrix: δ = 2.
    let n: usize = 8;
    let dm: Vec<f32> = (0..n * n)
        .map(|k| {
            let diff = (k / n).abs_diff(k % n);
            diff.min(n - diff) as f32
        })
        .collect();
    write_npy(&d.join("c8.npy"), &dm, n, n);
    let o = unfold(d, &["measure", "hyperbolicity", "c8.npy", "--precomputed", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["delta"], 2.0, "{json}");
    assert_eq!(json["method"], "exact");
    assert_eq!(json["diameter"], 4.0);
    let o = unfold(d, &["measure", "hyperbolicity", "c8.npy", "--precomputed", "--method", "sampled", "--n-samples", "20000", "--seed", "0", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["delta"], 2.0, "{json}");
    assert_eq!(json["n_quadruples"], 20000);
    // Points on a line are a tree, in the plane or along their kNN graph.
    let x: Vec<f32> = (0..20).map(|i| (i * i) as f32).collect();
    write_npy(&d.join("line.npy"), &x, 20, 1);
    let o = unfold(d, &["measure", "hyperbolicity", "line.npy", "--neighbors", "3", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["delta"], 0.0, "{json}");
    assert_usage_errors(
        d,
        &["measure", "hyperbolicity"],
        [
            (vec!["line.npy", "--n-samples", "0"], "`n_samples`: 0"),
            (vec!["line.npy", "--neighbors", "20"], "`n_neighbors`: 20"),
            (vec!["line.npy", "--precomputed"], "must be square"),
        ],
        None,
    );
}

#[test]
fn measure_curvature_of_a_circle_is_flat() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let n = 24;
    let x: Vec<f32> = (0..n)
        .flat_map(|i| {
            let t = i as f32 * std::f32::consts::TAU / n as f32;
            [t.cos(), t.sin()]
        })
        .collect();
    write_npy(&d.join("circle.npy"), &x, n, 2);
    let o = unfold(d, &["measure", "curvature", "circle.npy", "--neighbors", "2", "--unweighted", "--per-point", "k.npy", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["edges"], 24, "{json}");
    assert!(json["mean_edge_curvature"].as_f64().unwrap().abs() < 1e-9, "{json}");
    let (shape, body) = read_npy(&d.join("k.npy"));
    assert_eq!(shape, [24]);
    assert!(body.chunks(8).all(|c| f64::from_le_bytes(c.try_into().unwrap()).abs() < 1e-9));
    assert_usage_errors(
        d,
        &["measure", "curvature"],
        [(vec!["circle.npy", "--alpha", "2"], "`alpha`: 2"), (vec!["circle.npy", "--neighbors", "24"], "`n_neighbors`: 24")],
        None,
    );
}

#[test]
fn measure_sectional_curvature_of_a_line_is_zero() {
    // 12 evenly spaced points, one neighbour a side: a path whose inner points are midpoints, ξ = 0.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let x: Vec<f32> = (0..12).map(|i| 0.5 * i as f32).collect();
    write_npy(&d.join("line.npy"), &x, 12, 1);
    let o = unfold(d, &["measure", "curvature", "line.npy", "--kind", "sectional", "--neighbors", "1", "--exact", "--per-point", "k.npy", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(json["mean_sectional_curvature"].as_f64().unwrap().abs() < 1e-12, "{json}");
    assert_eq!(json["n_without_pairs"], 2, "{json}");
    assert_eq!(json["n_references"], 12, "{json}");
    let (shape, body) = read_npy(&d.join("k.npy"));
    assert_eq!(shape, [12]);
    assert!(body.chunks(8).all(|c| f64::from_le_bytes(c.try_into().unwrap()).abs() < 1e-12));
    assert_usage_errors(
        d,
        &["measure", "curvature", "line.npy"],
        [
            (vec!["--kind", "sectional", "--samples", "0"], "`n_samples`: 0"),
            (vec!["--kind", "sectional", "--neighbors", "12"], "`n_neighbors`: 12"),
            (vec!["--kind", "sectional", "--alpha", "0.3"], "--kind ollivier-ricci only"),
            (vec!["--samples", "10"], "--kind sectional only"),
        ],
        None,
    );
}

/// scipy's `.npz` fixtures of the core's reader tests.
fn npz_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../unfold-learn/tests/fixtures").join(name)
}

#[test]
fn sparse_npz_input_for_the_methods_and_commands_that_take_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (npz, dense) = (npz_fixture("npz_csr.npz"), npz_fixture("npz_dense.npy"));
    let (npz, dense) = (npz.to_str().unwrap(), dense.to_str().unwrap());
    // neighbors: the sparse rows give the dense rows' graph.
    for (input, out) in [(npz, "sparse.npy"), (dense, "dense.npy")] {
        let o = unfold(d, &["neighbors", input, "-k", "3", "--exact", "-o", out, "--distances", &format!("d-{out}")]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert_eq!(read_npy(&d.join("sparse.npy")), read_npy(&d.join("dense.npy")));
    assert_eq!(read_npy(&d.join("d-sparse.npy")), read_npy(&d.join("d-dense.npy")));
    // svd fits, saves and transforms sparse rows; its embedding is the transform of the same rows.
    let o = unfold(d, &["embed", npz, "--method", "svd", "--dims", "2", "--seed", "1", "-o", "svd.npy", "--save-model", "svd.model"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = unfold(d, &["transform", "--model", "svd.model", npz, "-o", "t.npy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&d.join("svd.npy")).0, vec![7, 2]);
    // UMAP fits them.
    let o = unfold(d, &["embed", npz, "--method", "umap", "--neighbors", "3", "--seed", "1", "-o", "u.npy"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_npy(&d.join("u.npy")).0, vec![7, 2]);
    // The spectral embedding of the sparse rows is that of the dense rows.
    for (input, out) in [(npz, "se-sparse.npy"), (dense, "se-dense.npy")] {
        let o = unfold(d, &["embed", input, "--method", "spectral", "--neighbors", "4", "--seed", "1", "-o", out]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert_eq!(read_npy(&d.join("se-sparse.npy")), read_npy(&d.join("se-dense.npy")));
    // The others say which methods take sparse input, naming the file; nothing is written.
    assert_usage_errors(
        d,
        &["embed", npz, "-o", "no.npy"],
        [
            (&["--method", "pca"][..], "method pca takes dense rows, but the input is sparse. PCA centres the data"),
            (&["--method", "isomap"], "method isomap takes dense rows, but the input is sparse. Methods that take sparse input:"),
            (&["--method", "umap", "--metric", "chebyshev"], "not available for sparse input"),
        ],
        Some("no.npy"),
    );
    assert_usage_errors(d, &["evaluate", npz, "u.npy"], [(&[][..], "takes dense rows")], None);
    assert_usage_errors(
        d,
        &["embed", npz_fixture("npz_nan.npz").to_str().unwrap(), "--method", "svd", "-o", "no.npy"],
        [(&[][..], "row 1, column 4 (counting from 0) is NaN")],
        Some("no.npy"),
    );
}

#[test]
fn stages_reports_each_stage_with_time_and_memory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_npy(&d.join("x.npy"), &blobs(300, 5), 300, 5);
    let o = unfold(d, &["embed", "x.npy", "--method", "umap", "--seed", "1", "--epochs", "30", "-o", "e.npy", "--quiet", "--stages"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let stages: Vec<&str> = err.lines().filter_map(|l| l.strip_prefix("stage ")).map(|l| l.split(':').next().unwrap()).collect();
    for name in ["read input", "UMAP graph", "UMAP layout", "write output"] {
        assert!(stages.contains(&name), "no line for {name}: {err}");
    }
    let pos = |name: &str| stages.iter().position(|s| *s == name).unwrap();
    assert!(pos("read input") < pos("UMAP graph") && pos("UMAP graph") < pos("UMAP layout") && pos("UMAP layout") < pos("write output"), "{err}");
    // Each line gives a time and a peak RSS; the last one the whole run with the kernel's peak.
    for line in err.lines().filter(|l| l.starts_with("stage ")) {
        let mb: f64 = line.split("peak RSS ").nth(1).unwrap().split(" MB").next().unwrap().parse().unwrap();
        assert!(mb > 1.0, "{line}");
    }
    let last = err.lines().last().unwrap();
    assert!(last.starts_with("stages: ") && last.contains(" s in all") && last.ends_with(" MB"), "{err}");
    // Without --stages, --quiet prints nothing.
    let o = unfold(d, &["embed", "x.npy", "--method", "umap", "--seed", "1", "--epochs", "30", "-o", "f.npy", "--quiet"]);
    assert!(o.status.success() && o.stderr.is_empty(), "{}", stderr(&o));
}

#[test]
fn hierarchy_writes_the_embedding_names_and_plot_the_same_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A small tree as child,parent pairs; the closure adds grandparents.
    let mut text = String::from("# child,parent\n");
    for i in 0..4 {
        text += &format!("n{i},root\n");
        for j in 0..3 {
            text += &format!("n{i}_{j},n{i}\n");
        }
    }
    std::fs::write(d.join("tree.csv"), text).unwrap();
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = format!("t{threads}.npy");
        let o = unfold(
            d,
            &[
                "hierarchy",
                "tree.csv",
                "--closure",
                "--dims",
                "2",
                "--epochs",
                "100",
                "--negatives",
                "4",
                "--seed",
                "3",
                "--threads",
                threads,
                "-o",
                &out,
                "--plot",
                "t.png",
                "--json",
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!((json["n_nodes"].as_u64(), json["n_edges"].as_u64(), json["dims"].as_u64()), (Some(17), Some(4 + 12 * 2), Some(2)));
        assert!(json["map"].as_f64().unwrap() > 0.3 && json["map_excluding_self"].as_f64().unwrap() > 0.7, "{json}");
        assert_eq!(json["names"], format!("t{threads}.names.txt"));
        outs.push(read_npy(&d.join(&out)));
    }
    assert_eq!(outs[0], outs[1]);
    assert_eq!(outs[0].0, vec![17, 2]);
    let names = std::fs::read_to_string(d.join("t1.names.txt")).unwrap();
    assert_eq!(names.lines().take(3).collect::<Vec<_>>(), ["n0", "root", "n0_0"]);
    assert_eq!(&std::fs::read(d.join("t.png")).unwrap()[..4], b"\x89PNG");
}

#[test]
fn hierarchy_bad_input_exits_2_naming_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("one.tsv"), "a\tb\nc\n").unwrap();
    std::fs::write(d.join("empty.tsv"), "").unwrap();
    std::fs::write(d.join("loops.tsv"), "a\ta\nb\tb\n").unwrap();
    std::fs::write(d.join("ok.tsv"), "a\tb\nc\tb\n").unwrap();
    assert_usage_errors(
        d,
        &["hierarchy"],
        [
            (vec!["missing.tsv", "-o", "x.npy"], "missing.tsv"),
            (vec!["one.tsv", "-o", "x.npy"], "one.tsv: line 2: expected 2 columns"),
            (vec!["empty.tsv", "-o", "x.npy"], "empty.tsv: no edges"),
            (vec!["loops.tsv", "-o", "x.npy"], "loops.tsv: the hierarchy's 2 edges are all self-loops"),
            (vec!["ok.tsv", "-o", "x.npy", "--dims", "0"], "`--dims`"),
            (vec!["ok.tsv", "-o", "x.npy", "--negatives", "0"], "`--negatives`"),
            (vec!["ok.tsv", "-o", "x.npy", "--alpha", "0"], "`--alpha`"),
            (vec!["ok.tsv", "-o", "x.npy", "--plot", "x.jpg"], "--plot x.jpg"),
            (vec!["ok.tsv", "-o", "x.npy", "--names-out", "names.npy"], "not a .npy file"),
        ],
        Some("x.npy"),
    );
}

#[test]
fn umap_output_metrics_embed_plot_and_transform() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_npy(&d.join("train.npy"), &blobs(300, 5), 300, 5);
    let new: Vec<f32> = blobs(30, 5).iter().map(|v| v + 0.25).collect();
    write_npy(&d.join("new.npy"), &new, 30, 5);
    for metric in ["hyperboloid", "poincare", "haversine"] {
        let out = format!("{metric}.npy");
        let png = format!("{metric}.png");
        let model = format!("{metric}.umap");
        let args = ["embed", "train.npy", "--method", "umap", "--output-metric", metric, "--seed", "3", "--epochs", "40"];
        let o = unfold(d, &[&args[..], &["-o", &out, "--plot", &png, "--save-model", &model, "--json"]].concat());
        assert!(o.status.success(), "{metric}: {}", stderr(&o));
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(json["parameters"]["output_metric"], metric);
        let (shape, first) = read_npy(&d.join(&out));
        assert_eq!(shape, [300, 2]);
        let values: Vec<f32> = first.chunks(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
        assert!(values.iter().all(|v| v.is_finite()), "{metric}");
        if metric == "poincare" {
            assert!(values.chunks(2).all(|p| p[0].hypot(p[1]) < 1.0), "{metric}: outside the disk");
        }
        assert!(std::fs::metadata(d.join(&png)).unwrap().len() > 1000);
        // One thread: the same bytes.
        let o = unfold(d, &[&args[..], &["--threads", "1", "-o", "again.npy", "--quiet"]].concat());
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(read_npy(&d.join("again.npy")).1, first, "{metric}: 1 thread differs");
        // The model keeps the output metric: new rows land in its space.
        let o = unfold(d, &["transform", "--model", &model, "new.npy", "-o", "t.npy", "--quiet"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let placed: Vec<f32> = read_npy(&d.join("t.npy")).1.chunks(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
        assert!(placed.len() == 60 && placed.iter().all(|v| v.is_finite()), "{metric}");
        if metric == "poincare" {
            assert!(placed.chunks(2).all(|p| p[0].hypot(p[1]) < 1.0), "{metric}: transform outside the disk");
        }
    }
}

#[test]
fn measure_id_danco_estimates_a_ball_and_names_bad_options() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 500 points of a 3-D cube (hashed coordinates) placed in 5-D by a fixed linear map.
    let n = 500;
    let u = |p: u64| {
        let mut z = (p + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32
    };
    let x: Vec<f32> = (0..n as u64)
        .flat_map(|i| {
            let (a, b, c) = (u(3 * i), u(3 * i + 1), u(3 * i + 2));
            [a + b, a - c, 0.5 * a + c, 2.0 * b, a + 0.3 * b - c]
        })
        .collect();
    write_npy(&d.join("x.npy"), &x, n, 5);
    let run = |extra: &[&str]| {
        let mut args = vec!["measure", "id", "x.npy", "--estimator", "danco", "--seed", "3", "--json"];
        args.extend_from_slice(extra);
        let o = unfold(d, &args);
        assert!(o.status.success(), "{extra:?}: {}", stderr(&o));
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(json["estimator"], "danco");
        json["dimension"].as_f64().unwrap()
    };
    let fractal = run(&[]);
    assert!((2.5..=3.5).contains(&fractal), "{fractal}");
    assert_eq!(run(&["--threads", "1"]).to_bits(), run(&["--threads", "2"]).to_bits());
    assert_eq!(run(&["--no-fractal"]), 3.0);
    let mlk = run(&["--danco-ver", "MIND_MLk", "--max-dim", "4"]);
    assert!(mlk > 2.0 && mlk <= 4.0, "{mlk}");
    assert_usage_errors(
        d,
        &["measure", "id", "x.npy"],
        [
            (vec!["--estimator", "danco", "--max-dim", "0"], "`D`: 0 (must be at least 1)"),
            (vec!["--estimator", "danco", "--neighbors", "499"], "`n_neighbors`: 499 (plus one must be below the number of points (500))"),
            (vec!["--estimator", "mle", "--no-fractal"], "--no-fractal does not apply to --estimator mle (it is an option of danco)"),
            (vec!["--estimator", "danco", "--metric", "manhattan"], "`metric`"),
        ],
        Some("bad.npy"),
    );
}

#[test]
fn spectral_embedding_orders_a_path_and_names_bad_values() {
    // Points along a line: the kNN graph is a thick path, whose first non-trivial Laplacian
    // eigenvector (the Fiedler vector) is monotone along it (equal where two points have the
    // same neighbours) and changes sign once.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let n = 30;
    let x: Vec<f32> = (0..n).flat_map(|i| [i as f32, 0.05 * (i % 3) as f32]).collect();
    write_npy(&d.join("line.npy"), &x, n, 2);
    let o = unfold(d, &["embed", "line.npy", "--method", "spectral", "--dims", "1", "--neighbors", "4", "--seed", "0", "-o", "y.npy", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (shape, bytes) = read_npy(&d.join("y.npy"));
    assert_eq!(shape, [n, 1]);
    let y: Vec<f32> = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    let increasing = y.windows(2).all(|w| w[1] >= w[0]);
    let decreasing = y.windows(2).all(|w| w[1] <= w[0]);
    assert!((increasing || decreasing) && y[0] * y[n - 1] < 0.0, "not monotone along the line: {y:?}");
    assert_usage_errors(
        d,
        &["embed", "line.npy", "--method", "spectral", "-o", "bad.npy"],
        [
            (vec!["--gamma=-1", "--affinity", "rbf"], "`gamma`: -1"),
            (vec!["--neighbors", "0"], "`n_neighbors`: 0"),
            (vec!["--neighbors", "31"], "`n_neighbors`"),
            (vec!["--affinity", "cosine"], "`affinity`: cosine (must be one of nearest_neighbors, rbf, precomputed)"),
            (vec!["--dims", "30"], "n_components"),
        ],
        Some("bad.npy"),
    );
}
