//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

/// A `.npy` file with an arbitrary dtype string, shape and body.
pub fn npy_with(descr: &str, fortran: bool, shape: &[usize], body: &[u8]) -> Vec<u8> {
    let shape_txt = match shape {
        [n] => format!("({n},)"),
        s => format!("({})", s.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", ")),
    };
    let dict = format!("{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape_txt}, }}", if fortran { "True" } else { "False" });
    let pad = (64 - (10 + dict.len() + 1) % 64) % 64;
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&((dict.len() + pad + 1) as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.extend(std::iter::repeat_n(b' ', pad));
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// The folder of the reference fixtures.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Reads a float64 C-order fixture (1-D or 2-D) as (values, rows, cols), independently of the
/// reader under test.
pub fn load_fixture(name: &str) -> (Vec<f64>, usize, usize) {
    let bytes = std::fs::read(fixtures().join(name)).unwrap();
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    let shape: Vec<usize> = npy.shape().iter().map(|&s| s as usize).collect();
    // A Fortran-ordered file would be read transposed: the scripts save C order.
    assert!(npy.order() == npyz::Order::C || shape.len() < 2 || shape[1] == 1, "{name}: Fortran order");
    let (n, d) = match shape[..] {
        [n] => (n, 1),
        [n, d] => (n, d),
        _ => panic!("{name}: shape {shape:?}"),
    };
    (npy.into_vec::<f64>().unwrap(), n, d)
}

/// The demo images (10,000 × 784) and labels, from the vendored files.
pub fn demo() -> (unfold_learn::io::Matrix, unfold_learn::Labels) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let m = unfold_learn::io::read_matrix(&root.join("t10k-images.idx3-ubyte.gz")).unwrap();
    let l = unfold_learn::io::read_labels(&root.join("t10k-labels.idx1-ubyte.gz"), Some(m.n_rows())).unwrap();
    (m, l)
}

/// Reads a fixture `.npy` of any element type npyz can decode.
pub fn load_npy<T: npyz::Deserialize>(name: &str) -> Vec<T> {
    let bytes = std::fs::read(fixtures().join(format!("{name}.npy"))).unwrap();
    npyz::NpyFile::new(&bytes[..]).unwrap().into_vec::<T>().unwrap()
}

/// A kNN fixture in umap-learn's layout (`{prefix}_indices.npy`, `{prefix}_dists.npy`, `width`
/// columns, the point itself in column 0) as this crate's graph of the first `k − 1` neighbours.
pub fn umap_knn_fixture(prefix: &str, width: usize, k: usize) -> unfold_learn::knn::KnnGraph {
    let idx: Vec<i64> = load_npy(&format!("{prefix}_indices"));
    let dist: Vec<f32> = load_npy(&format!("{prefix}_dists"));
    let n = idx.len() / width;
    let (mut i2, mut d2) = (Vec::new(), Vec::new());
    for i in 0..n {
        assert_eq!(idx[i * width], i as i64, "{prefix}: row {i} must start with itself");
        for c in 1..k {
            i2.push(idx[i * width + c] as u32);
            d2.push(dist[i * width + c]);
        }
    }
    unfold_learn::knn::KnnGraph::from_parts(n, k - 1, i2, d2).unwrap()
}

/// Checks that `g` has exactly the edges of umap-learn's graph fixture `name` (`{name}_rows`,
/// `_cols` as int16, `_vals`, in CSR order) and returns the fixture's weights, edge for edge.
pub fn fixture_graph_weights(g: &unfold_learn::embed::umap::graph::FuzzyGraph, name: &str) -> Vec<f32> {
    let rows: Vec<i16> = load_npy(&format!("{name}_rows"));
    let cols: Vec<i16> = load_npy(&format!("{name}_cols"));
    let vals: Vec<f32> = load_npy(&format!("{name}_vals"));
    assert_eq!(g.nnz(), vals.len(), "{name}: number of edges");
    let mut got_rows = Vec::new();
    for i in 0..g.n_points() {
        got_rows.extend(std::iter::repeat_n(i as i16, g.row(i).0.len()));
    }
    assert_eq!(got_rows, rows, "{name}: rows");
    let got_cols: Vec<i16> = g.indices().iter().map(|&j| j as i16).collect();
    assert_eq!(got_cols, cols, "{name}: columns");
    vals
}

/// Ranks (1-based, ties averaged) of `v`.
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut out = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        order[i..=j].iter().for_each(|&o| out[o] = rank);
        i = j + 1;
    }
    out
}

/// Spearman's rank correlation: Pearson's correlation of the ranks (ties averaged).
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}
