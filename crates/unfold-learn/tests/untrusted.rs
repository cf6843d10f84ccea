//! Readers on untrusted bytes: random bytes, and valid files of every format with random
//! changes (flipped, inserted and cut bytes, huge or negative dimensions in headers, bad dtype
//! strings, NaN text, ragged rows, byte-order marks, empty files), through every reader that
//! takes them. None may panic; each returns values that fill the shape it reports, or an error
//! that names the file. Model files get the same treatment, re-sealed with a valid checksum
//! so that their contents, not the checksum, are what is tested: a model that loads must then
//! transform without panicking. Each property runs a bounded number of cases (about a second).

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use unfold_learn::io::{
    AnyMatrix, Matrix, read_idx_bytes, read_labels, read_labels_column, read_matrix, read_matrix_precise, read_vector_or_matrix, read_vector_or_matrix_precise,
};
use unfold_learn::method::Value;
use unfold_learn::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() }
}

/// An error must be one the front ends report as bad input, naming the file.
fn names_file<T>(r: &Result<T>, name: &str) -> std::result::Result<(), TestCaseError> {
    if let Err(e) = r {
        let m = e.to_string();
        prop_assert!(m.contains(name), "the error does not name {name}: {m}");
        prop_assert!(e.is_user_error(), "not reported as bad input: {m}");
    }
    Ok(())
}

fn check_matrix(r: Result<Matrix>, name: &str) -> std::result::Result<(), TestCaseError> {
    names_file(&r, name)?;
    if let Ok(m) = r {
        prop_assert_eq!(Some(m.values().len()), m.n_rows().checked_mul(m.n_cols()));
        let data = m.data().map(|d| (d.n_rows(), d.n_cols()));
        names_file(&data, name)?;
        if let Ok(shape) = data {
            prop_assert_eq!(shape, (m.n_rows(), m.n_cols()));
        }
    }
    Ok(())
}

fn check_any(r: Result<AnyMatrix>, name: &str) -> std::result::Result<(), TestCaseError> {
    names_file(&r, name)?;
    match r {
        Ok(AnyMatrix::F32(m)) => check_matrix(Ok(m), name),
        Ok(AnyMatrix::F64(m)) => {
            prop_assert_eq!(Some(m.values().len()), m.n_rows().checked_mul(m.n_cols()));
            names_file(&m.data().map(|_| ()), name)
        }
        Ok(AnyMatrix::Sparse(m)) => {
            prop_assert_eq!(m.data().indptr().len(), m.data().n_rows() + 1);
            Ok(())
        }
        Err(_) => Ok(()),
    }
}

fn check_labels(r: Result<Labels>, name: &str) -> std::result::Result<(), TestCaseError> {
    names_file(&r, name)?;
    if let Ok(l) = r {
        prop_assert!(!l.codes.is_empty());
        prop_assert!(l.codes.iter().all(|&c| (c as usize) < l.names.len()));
    }
    Ok(())
}

/// Saves `bytes` as `name` and runs every reader of matrices and labels on it.
fn every_reader(bytes: &[u8], name: &str) -> std::result::Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    check_matrix(read_matrix(&path), name)?;
    check_matrix(read_vector_or_matrix(&path), name)?;
    check_any(read_matrix_precise(&path), name)?;
    check_any(read_vector_or_matrix_precise(&path), name)?;
    check_labels(read_labels(&path, None), name)?;
    check_labels(read_labels(&path, Some(3)), name)?;
    check_labels(read_labels_column(&path, None, Some("2")), name)?;
    check_labels(read_labels_column(&path, None, Some("label")), name)?;
    if name.contains("ubyte") || name.contains(".idx") {
        check_matrix(read_idx_bytes(bytes.to_vec(), Path::new(name)), name)?;
    }
    Ok(())
}

/// A change to a file: flip a byte, cut the file, insert a byte, or overwrite 8 bytes with 0xFF
/// (a huge length or dimension), at a position taken modulo the length.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, u8),
    Saturate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(i, x)| Mutation::Flip(i, x)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, x)| Mutation::Insert(i, x)),
        any::<usize>().prop_map(Mutation::Saturate),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len();
        match *m {
            Mutation::Flip(i, x) if len > 0 => bytes[i % len] ^= x,
            Mutation::Truncate(i) => bytes.truncate(i % (len + 1)),
            Mutation::Insert(i, x) => bytes.insert(i % (len + 1), x),
            Mutation::Saturate(i) if len > 0 => {
                let at = i % len;
                let end = (at + 8).min(len);
                bytes[at..end].fill(0xff);
            }
            _ => {}
        }
    }
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

// ---------------------------------------------------------------------------------------------
// .npy

/// A `.npy` file from pieces that are mostly valid: dtype, order and shape literals, version,
/// and a body of the size the header implies (when it is small) or of a random size.
fn npy_file() -> impl Strategy<Value = Vec<u8>> {
    let descr = prop::sample::select(vec![
        "'<f4'",
        "'<f8'",
        "'>f8'",
        "'>f4'",
        "'<f2'",
        "'|u1'",
        "'|i1'",
        "'<i4'",
        "'>i8'",
        "'<u8'",
        "'|b1'",
        "'<U5'",
        "'>U2'",
        "'|S3'",
        "'|O'",
        "'<c8'",
        "'<f16'",
        "'<f3'",
        "'f4'",
        "'<M8[ns]'",
        "'<x4'",
        "''",
        "'<U99999999999999999999'",
        "[('a', '<f4')]",
        "3",
    ]);
    let fortran = prop::sample::select(vec!["True", "False", "0", "None"]);
    let dim = prop::sample::select(vec![
        "0",
        "1",
        "1",
        "2",
        "3",
        "3",
        "5",
        "-1",
        "2L",
        "4294967296",
        "1152921504606846976",
        "9223372036854775807",
        "18446744073709551616",
        "99999999999999999999999",
    ]);
    let dims = prop::collection::vec(dim, 0..4);
    let version = prop::sample::select(vec![1u8, 1, 2, 3, 0, 4]);
    (descr, fortran, dims, version, any::<bool>(), prop::collection::vec(any::<u8>(), 0..64), any::<bool>()).prop_map(
        |(descr, fortran, dims, version, exact, noise, comma)| {
            let shape = match dims.len() {
                1 => format!("({},)", dims[0]),
                _ => format!("({}{})", dims.join(", "), if comma && !dims.is_empty() { "," } else { "" }),
            };
            let dict = format!("{{'descr': {descr}, 'fortran_order': {fortran}, 'shape': {shape}, }}");
            let pad = (64 - (12 + dict.len() + 1) % 64) % 64;
            let text = format!("{dict}{}\n", " ".repeat(pad));
            let mut out = b"\x93NUMPY".to_vec();
            out.extend_from_slice(&[version, 0]);
            if version == 1 {
                out.extend_from_slice(&(text.len() as u16).to_le_bytes());
            } else {
                out.extend_from_slice(&(text.len() as u32).to_le_bytes());
            }
            out.extend_from_slice(text.as_bytes());
            // The body the header asks for, when small; else what noise there is.
            let item = descr.trim_matches('\'').trim_start_matches(['<', '>', '|']).get(1..).and_then(|s| s.parse::<usize>().ok());
            let count = dims.iter().try_fold(1usize, |acc, d| d.trim_end_matches('L').parse::<usize>().ok().and_then(|d| acc.checked_mul(d)));
            match (exact, item.zip(count).and_then(|(i, c)| i.checked_mul(c))) {
                (true, Some(len)) if len <= 4096 => out.extend((0..len).map(|i| noise.get(i % noise.len().max(1)).copied().unwrap_or(0))),
                _ => out.extend_from_slice(&noise),
            }
            out
        },
    )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes_never_crash_a_reader(bytes in prop::collection::vec(any::<u8>(), 0..300), ext in prop::sample::select(vec![
        "x.npy", "x.csv", "x.tsv", "x.txt", "x-ubyte", "x.idx.gz", "x.csv.gz", "x.npz",
    ])) {
        every_reader(&bytes, ext)?;
        // Random bytes after a valid magic string reach the header parsers.
        let mut npy = b"\x93NUMPY\x01\x00".to_vec();
        npy.extend_from_slice(&bytes);
        every_reader(&npy, "m.npy")?;
        let mut idx = vec![0, 0, 0x08];
        idx.extend_from_slice(&bytes);
        every_reader(&idx, "m-ubyte")?;
        every_reader(&gzip(&idx), "m.idx.gz")?;
        // A real archive with one member mangled reaches the .npz member parsers.
        let mut npz = std::fs::read(crate::common::fixtures().join("npz_csr_int64_uncompressed.npz")).unwrap();
        for (i, &b) in bytes.iter().enumerate().take(40) {
            let at = (b as usize * 7 + i * 31) % npz.len();
            npz[at] = bytes[(i + 1) % bytes.len()];
        }
        every_reader(&npz, "m.npz")?;
    }

    #[test]
    fn npy_files_with_bad_headers_and_changes(file in npy_file(), changes in prop::collection::vec(mutation(), 0..3)) {
        every_reader(&mutate(file, &changes), "h.npy")?;
    }
}

// ---------------------------------------------------------------------------------------------
// IDX

fn idx_file() -> impl Strategy<Value = Vec<u8>> {
    let code = prop::sample::select(vec![0x08u8, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x0A, 0xFF]);
    let dim = prop::sample::select(vec![0u32, 1, 2, 3, 7, 1 << 16, 1 << 30, u32::MAX]);
    let ndim = prop_oneof![8 => 0usize..5, 1 => Just(255usize)];
    (code, ndim, prop::collection::vec(dim, 255), any::<bool>(), prop::collection::vec(any::<u8>(), 0..64)).prop_map(|(code, ndim, dims, exact, noise)| {
        let mut out = vec![0, 0, code, ndim as u8];
        let dims = &dims[..ndim];
        dims.iter().for_each(|d| out.extend_from_slice(&d.to_be_bytes()));
        let item = match code {
            0x08 | 0x09 => 1,
            0x0B => 2,
            0x0C | 0x0D => 4,
            _ => 8,
        };
        let count = dims.iter().try_fold(item, |acc: usize, &d| acc.checked_mul(d as usize));
        match count {
            Some(len) if exact && len <= 4096 => out.extend((0..len).map(|i| noise.get(i % noise.len().max(1)).copied().unwrap_or(0))),
            _ => out.extend_from_slice(&noise),
        }
        out
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn idx_files_with_huge_dimensions_and_changes(file in idx_file(), changes in prop::collection::vec(mutation(), 0..3), gz in any::<bool>()) {
        let file = mutate(file, &changes);
        if gz {
            every_reader(&gzip(&file), "x-idx3-ubyte.gz")?;
        } else {
            every_reader(&file, "x-idx3-ubyte")?;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Delimited text and text labels

fn text_file() -> impl Strategy<Value = Vec<u8>> {
    let cell = prop::sample::select(vec![
        "1", "-2.5", "0", "3e2", "1e39", "1e309", "nan", "NaN", "inf", "-inf", "", "abc", "\"1\"", "\"a,b\"", "\"open", "0x10", " 3 ", "1_000", "#", "é",
    ]);
    let row = prop::collection::vec(cell, 0..5);
    let delimiter = prop::sample::select(vec![",", "\t", ";", " ", "  "]);
    let extra = prop::sample::select(vec!["", "", "\n", "# comment\n", "\r\n", "\u{feff}", "\u{0}"]);
    (prop::collection::vec((row, extra), 0..7), delimiter, any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(rows, delimiter, crlf, bom, header)| {
        let mut out = String::new();
        if bom {
            out.push('\u{feff}');
        }
        if header {
            out.push_str(&["id", "label", "x"].join(delimiter));
            out.push('\n');
        }
        for (cells, extra) in rows {
            out.push_str(&cells.join(delimiter));
            out.push_str(if crlf { "\r\n" } else { "\n" });
            out.push_str(extra);
        }
        out.into_bytes()
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn text_tables_with_bad_cells_ragged_rows_and_changes(
        file in text_file(),
        changes in prop::collection::vec(mutation(), 0..2),
        name in prop::sample::select(vec!["t.csv", "t.tsv", "t.txt", "t.csv.gz", "labels.txt"]),
    ) {
        let file = mutate(file, &changes);
        let file = if name.ends_with(".gz") { gzip(&file) } else { file };
        every_reader(&file, name)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Model files

/// A small fitted model of every kind, as bytes: PCA, UMAP, and random projection with a sparse
/// and a dense (Gaussian, with its pseudo-inverse) matrix.
fn models() -> &'static [Vec<u8>; 4] {
    static MODELS: OnceLock<[Vec<u8>; 4]> = OnceLock::new();
    MODELS.get_or_init(|| {
        let (n, d) = (40, 3);
        let x: Vec<f32> = (0..n * d).map(|i| ((i * 37 % 101) as f32 * 0.13).sin() * 4.0 + (i % d) as f32).collect();
        let data = Data::from_row_major(&x, n, d).unwrap();
        let pca = Pca::builder().n_components(2).build().unwrap().fit(&data, &Context::default()).unwrap().to_bytes().unwrap();
        let umap = Umap::builder().n_neighbors(5).n_epochs(20).build().unwrap().fit(&data, &Context::seeded(1)).unwrap().to_bytes().unwrap();
        let rp = |gaussian: bool| {
            let values = [("n_components", Value::Int(2)), ("gaussian", Value::Bool(gaussian)), ("compute_inverse_components", Value::Bool(gaussian))];
            let entry = unfold_learn::method::method("random-projection").unwrap();
            (entry.fit)(&values, unfold_learn::method::Input::F32(&data).into(), &Context::seeded(2)).unwrap().to_bytes().unwrap()
        };
        [pca, umap, rp(false), rp(true)]
    })
}

/// Where the payload of model bytes starts: magic, version, tag length and tag, parameter block
/// length and block, payload length, CRC.
fn payload_start(bytes: &[u8]) -> usize {
    let params_at = 8 + 2 + 1 + bytes[10] as usize;
    let params_len = u32::from_le_bytes(bytes[params_at..params_at + 4].try_into().unwrap()) as usize;
    params_at + 4 + params_len + 8 + 4
}

/// The model bytes with `payload` in place of theirs, under a correct length and checksum.
fn reseal(bytes: &[u8], payload: &[u8]) -> Vec<u8> {
    let start = payload_start(bytes);
    let params_at = 8 + 2 + 1 + bytes[10] as usize;
    let mut out = bytes[..start - 12].to_vec();
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(&bytes[params_at + 4..start - 12]);
    crc.update(payload);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// The model bytes with `params` in place of their parameter block, under a correct checksum.
fn reseal_parameters(bytes: &[u8], params: &[u8]) -> Vec<u8> {
    let params_at = 8 + 2 + 1 + bytes[10] as usize;
    let start = payload_start(bytes);
    let payload = &bytes[start..];
    let mut out = bytes[..params_at].to_vec();
    out.extend_from_slice(&(params.len() as u32).to_le_bytes());
    out.extend_from_slice(params);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(params);
    crc.update(payload);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Cancels work that runs past a deadline: a corrupt model may ask for a great many epochs,
/// which is slow, not unsafe.
struct Deadline(Instant);

impl Progress for Deadline {
    fn is_cancelled(&self) -> bool {
        Instant::now() > self.0
    }
}

/// A model that loads must work: the arrays its methods read fit together.
fn use_pca(bytes: &[u8]) -> std::result::Result<(), TestCaseError> {
    let Ok(m) = PcaModel::from_bytes(bytes) else {
        let e = PcaModel::from_bytes(bytes).unwrap_err();
        prop_assert!(e.is_user_error(), "{e}");
        return Ok(());
    };
    let (k, d) = (m.n_components(), m.n_features());
    prop_assert_eq!(Some(m.components().len()), k.checked_mul(d));
    prop_assert_eq!(Some(m.embedding().as_slice().len()), m.n_samples().checked_mul(k));
    let x: Vec<f32> = (0..3 * d).map(|i| i as f32 * 0.5).collect();
    let data = Data::from_row_major(&x, 3, d).unwrap();
    let _ = m.transform(&data);
    let _ = m.inverse_transform(&m.transform(&data).unwrap_or_else(|_| Data::from_vec(vec![0.0; 3 * k], 3, k).unwrap()));
    let _ = m.score_samples(&data);
    let _ = m.precision();
    Ok(())
}

fn use_umap(bytes: &[u8]) -> std::result::Result<(), TestCaseError> {
    let m = match UmapModel::from_bytes(bytes) {
        Ok(m) => m,
        Err(e) => {
            prop_assert!(e.is_user_error(), "{e}");
            return Ok(());
        }
    };
    let (n, k) = (m.embedding().n_rows(), m.embedding().n_cols());
    prop_assert_eq!(Some(m.embedding().as_slice().len()), n.checked_mul(k));
    let d = m.n_features();
    let x: Vec<f32> = (0..3 * d).map(|i| i as f32 * 0.5).collect();
    let deadline = Deadline(Instant::now() + Duration::from_millis(500));
    if let Ok(y) = m.transform_with(&Data::from_row_major(&x, 3, d).unwrap(), None, &deadline) {
        prop_assert_eq!((y.n_rows(), y.n_cols()), (3, k));
    }
    if k == 2 {
        let deadline = Deadline(Instant::now() + Duration::from_millis(500));
        let _ = m.inverse_transform_with(&Data::from_row_major(&[0.0, 0.0, 1.0, 1.0], 2, 2).unwrap(), &deadline);
    }
    Ok(())
}

/// Any kind through the contract's reader (random projection, and PCA again): a model that
/// loads transforms and maps back without panicking, with outputs of the shape it reports.
fn use_contract(bytes: &[u8]) -> std::result::Result<(), TestCaseError> {
    let m = match unfold_learn::method::load(bytes) {
        Ok(m) => m,
        Err(e) => {
            prop_assert!(e.is_user_error(), "{e}");
            return Ok(());
        }
    };
    let (k, d) = (m.n_components(), m.n_features());
    let x: Vec<f32> = (0..3 * d).map(|i| i as f32 * 0.5).collect();
    let ctx = Context::default();
    if let Ok(y) = m.transform(unfold_learn::method::Input::F32(&Data::from_row_major(&x, 3, d).unwrap()), &ctx) {
        prop_assert_eq!((y.n_rows(), y.n_cols()), (3, k));
    }
    if let Ok(back) = m.inverse_transform(&Data::from_vec(vec![0.5; 2 * k], 2, k).unwrap(), &ctx) {
        prop_assert_eq!((back.n_rows(), back.n_cols()), (2, d));
    }
    let _ = m.attributes();
    Ok(())
}

/// Model bytes of kind `which` (0 PCA, 1 UMAP, 2–3 random projection) through their readers and
/// the header's parameter reader.
fn use_model(which: usize, bytes: &[u8]) -> std::result::Result<(), TestCaseError> {
    if let Err(e) = unfold_learn::io::model::parameters_of(bytes) {
        prop_assert!(e.is_user_error(), "{e}");
    }
    match which {
        0 => {
            use_pca(bytes)?;
            use_contract(bytes)
        }
        1 => use_umap(bytes),
        _ => use_contract(bytes),
    }
}

#[test]
fn resealed_models_load_and_inconsistent_ones_are_refused() {
    let models = models();
    for (which, bytes) in models.iter().enumerate() {
        // Resealing an unchanged payload gives the same bytes (the helper is right).
        assert_eq!(&reseal(bytes, &bytes[payload_start(bytes)..]), bytes);
        let loaded = if which == 1 { UmapModel::from_bytes(bytes).err() } else { unfold_learn::method::load(bytes).err() };
        assert!(loaded.is_none(), "model {which}: {loaded:?}");
        assert!(!unfold_learn::io::model::parameters_of(bytes).unwrap().is_empty());
        // The first field of every payload is the number of features (3, one varint byte): with
        // 2, the parts no longer fit together, under a valid checksum.
        let mut payload = bytes[payload_start(bytes)..].to_vec();
        assert_eq!(payload[0], 3);
        payload[0] = 2;
        let sealed = reseal(bytes, &payload);
        let e = if which == 1 { UmapModel::from_bytes(&sealed).err() } else { unfold_learn::method::load(&sealed).err() };
        let e = e.expect("an inconsistent model was accepted").to_string();
        // (A sparse matrix has column ids 0–2: the first past 2 features is named.)
        assert!(e.starts_with("corrupt model: ") && (e.contains("do not fit together") || e.contains("beyond the 2 features")), "model {which}: {e}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..config() })]

    #[test]
    fn changed_model_contents_under_a_valid_checksum_never_crash(
        changes in prop::collection::vec(mutation(), 1..4),
        which in 0..4usize,
    ) {
        let bytes = &models()[which];
        let payload = mutate(bytes[payload_start(bytes)..].to_vec(), &changes);
        let sealed = reseal(bytes, &payload);
        use_model(which, &sealed)?;
        // And without resealing: the header or the checksum refuses it, or it is unchanged.
        let raw = mutate(bytes.clone(), &changes);
        use_model(which, &raw)?;
    }

    #[test]
    fn changed_parameter_blocks_under_a_valid_checksum_never_crash(
        changes in prop::collection::vec(mutation(), 1..4),
        which in 0..4usize,
    ) {
        let bytes = &models()[which];
        let params_at = 8 + 2 + 1 + bytes[10] as usize;
        let params = mutate(bytes[params_at + 4..payload_start(bytes) - 12].to_vec(), &changes);
        let sealed = reseal_parameters(bytes, &params);
        use_model(which, &sealed)?;
    }

    #[test]
    fn random_bytes_are_not_a_model(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut with_magic = b"UNFOLD\x02M".to_vec();
        with_magic.extend_from_slice(&bytes);
        let mut first_layout = b"UNFOLD\0M".to_vec();
        first_layout.extend_from_slice(&bytes);
        for b in [&bytes, &with_magic, &first_layout] {
            for which in 0..3 {
                use_model(which, b)?;
            }
            let _ = unfold_learn::io::model::kind_of(b);
        }
    }
}
