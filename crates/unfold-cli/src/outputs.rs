//! Every file a command writes, declared before any work and written all together or not at all.
//!
//! A command declares its outputs ([`Outputs::add`]) and calls [`Outputs::check`] before it reads
//! or computes anything: each output's folder must exist and be writable, its extension must fit
//! what is written there, it must not be a folder, and no two outputs may be the same file (paths
//! are compared after resolving `..` and symbolic links, and by file identity when the file
//! exists). Each output is then written to a temporary file beside its destination
//! ([`Outputs::write`]); [`Outputs::commit`] renames them all into place, and removes those
//! already renamed if one rename fails. Temporary files of an unfinished plan are removed when it
//! is dropped, so a failed or cancelled run leaves no file behind.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use unfold_learn::io::{matrix_output_kind, temp_path, write_matrix_to, write_temp};

use crate::input::UsageError;

/// What an output holds, which decides the file names it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A float matrix: `.npy`, `.csv` (or `.txt`) or `.tsv`.
    Matrix,
    /// A `.npy` file only.
    Npy,
    /// A `.png` image.
    Png,
    /// A model file: any name except those of the other formats.
    Model,
    /// Plain text (e.g. names, one per line): any name but `.npy` or `.png`.
    Text,
}

/// A declared output, returned by [`Outputs::add`].
#[derive(Clone, Copy, Debug)]
pub struct Output(usize);

struct Planned {
    /// The option that named it (`-o`, `--plot`, …), for messages.
    flag: &'static str,
    path: PathBuf,
    format: Format,
    /// The temporary file holding its contents, once written.
    staged: Option<PathBuf>,
}

/// The outputs of one run.
#[derive(Default)]
pub struct Outputs {
    planned: Vec<Planned>,
}

impl Outputs {
    pub fn new() -> Outputs {
        Outputs::default()
    }

    /// Declares that the run writes `path`, named by option `flag`.
    pub fn add(&mut self, flag: &'static str, path: &Path, format: Format) -> Output {
        self.planned.push(Planned { flag, path: path.to_path_buf(), format, staged: None });
        Output(self.planned.len() - 1)
    }

    /// Checks every declared output (see the module documentation); the first problem is a
    /// usage error naming the option and the path.
    pub fn check(&self) -> Result<()> {
        let mut seen: Vec<(usize, Identity)> = Vec::with_capacity(self.planned.len());
        for (i, p) in self.planned.iter().enumerate() {
            let bad = |why: String| -> anyhow::Error { UsageError(format!("{} {}: {why}", p.flag, p.path.display())).into() };
            check_extension(&p.path, p.format).map_err(bad)?;
            let id = identity(&p.path).map_err(bad)?;
            if let Some((j, _)) = seen.iter().find(|(_, other)| other.same_file(&id)) {
                let q = &self.planned[*j];
                return Err(UsageError(format!(
                    "{} {} and {} {} are the same file; give each output its own path",
                    q.flag,
                    q.path.display(),
                    p.flag,
                    p.path.display()
                ))
                .into());
            }
            seen.push((i, id));
        }
        Ok(())
    }

    /// Writes an output's contents to its temporary file (renamed into place by [`commit`](Self::commit)).
    pub fn write(&mut self, output: Output, fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
        let p = &mut self.planned[output.0];
        // A failed write removes its own temporary file.
        p.staged = Some(write_temp(&p.path, fill).with_context(|| format!("writing {}", p.flag))?);
        Ok(())
    }

    /// Writes an `n × d` matrix in the format of the output's extension.
    pub fn write_matrix(&mut self, output: Output, values: &[f32], n_rows: usize, n_cols: usize) -> Result<()> {
        let kind = matrix_output_kind(&self.planned[output.0].path)?;
        self.write(output, |w| write_matrix_to(w, kind, values, n_rows, n_cols))
    }

    /// Renames every written output into place. If a rename fails, the outputs already renamed
    /// are removed and the rest discarded: the run leaves none of its outputs.
    pub fn commit(mut self) -> Result<()> {
        let mut done: Vec<PathBuf> = Vec::with_capacity(self.planned.len());
        for p in &mut self.planned {
            let Some(tmp) = p.staged.take() else { continue };
            if let Err(e) = std::fs::rename(&tmp, &p.path) {
                let _ = std::fs::remove_file(&tmp);
                for path in &done {
                    let _ = std::fs::remove_file(path);
                }
                let undone = match done.len() {
                    0 => String::new(),
                    _ => format!(" (removed {}, written before it)", done.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")),
                };
                return Err(anyhow::Error::from(e).context(format!("writing {} {}{undone}", p.flag, p.path.display())));
            }
            done.push(p.path.clone());
        }
        Ok(())
    }
}

impl Drop for Outputs {
    fn drop(&mut self) {
        for p in &self.planned {
            if let Some(tmp) = &p.staged {
                let _ = std::fs::remove_file(tmp);
            }
        }
    }
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

fn check_extension(path: &Path, format: Format) -> Result<(), String> {
    match format {
        Format::Matrix => matrix_output_kind(path).map(|_| ()).map_err(|_| "unknown output type; use .npy, .csv or .tsv".to_string()),
        Format::Npy if has_extension(path, "npy") => Ok(()),
        Format::Npy => Err("this output is written as .npy; name it *.npy".to_string()),
        Format::Png if has_extension(path, "png") => Ok(()),
        Format::Png => Err("the plot must be a .png file".to_string()),
        Format::Text => match ["npy", "png"].into_iter().find(|e| has_extension(path, e)) {
            Some(ext) => Err(format!("this text file is not a .{ext} file; give it a .txt name")),
            None => Ok(()),
        },
        Format::Model => match ["npy", "csv", "tsv", "txt", "png", "gz"].into_iter().find(|e| has_extension(path, e)) {
            Some(ext) => Err(format!("a model file is not a .{ext} file; give it another extension (e.g. .umap)")),
            None => Ok(()),
        },
    }
}

/// Where an output lands: its folder resolved (`..`, symbolic links) joined with its name, and,
/// when the file exists, the file it is.
struct Identity {
    resolved: PathBuf,
    #[cfg(unix)]
    inode: Option<(u64, u64)>,
}

impl Identity {
    fn same_file(&self, other: &Identity) -> bool {
        #[cfg(unix)]
        if self.inode.is_some() && self.inode == other.inode {
            return true;
        }
        self.resolved == other.resolved
    }
}

/// Resolves an output path and checks its folder: it exists, is a folder, and a file can be
/// created in it. The message says which of these fails.
fn identity(path: &Path) -> Result<Identity, String> {
    let Some(name) = path.file_name() else { return Err("not a file name".to_string()) };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let folder = std::fs::canonicalize(dir).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("the folder {} does not exist", dir.display()),
        _ => format!("the folder {}: {e}", dir.display()),
    })?;
    if !folder.is_dir() {
        return Err(format!("{} is not a folder", dir.display()));
    }
    if path.is_dir() {
        return Err("is a folder; give a file name".to_string());
    }
    // The only reliable test of a folder being writable is to create a file in it.
    let probe = temp_path(path).map_err(|_| "not a file name".to_string())?;
    File::create(&probe).map_err(|e| format!("cannot write in the folder {}: {e}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    // An existing file (or a symbolic link to one) is resolved to where it really is.
    let resolved = std::fs::canonicalize(path).unwrap_or_else(|_| folder.join(name));
    #[cfg(unix)]
    let inode = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    };
    Ok(Identity {
        resolved,
        #[cfg(unix)]
        inode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn a_failed_rename_removes_the_outputs_already_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.npy"), dir.path().join("b.png"));
        let mut plan = Outputs::new();
        let (oa, ob) = (plan.add("-o", &a, Format::Matrix), plan.add("--plot", &b, Format::Png));
        plan.check().unwrap();
        plan.write_matrix(oa, &[1.0, 2.0], 1, 2).unwrap();
        plan.write(ob, |w| w.write_all(b"png")).unwrap();
        // Something takes the second name between the check and the rename: a folder, which a
        // file cannot be renamed over.
        std::fs::create_dir(&b).unwrap();
        let err = plan.commit().unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("--plot") && msg.contains(&format!("(removed {}, written before it)", a.display())), "{msg}");
        assert_eq!(names(dir.path()), ["b.png"], "a.npy or a temporary file was left behind");
    }

    #[test]
    fn an_unfinished_plan_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut plan = Outputs::new();
        let o = plan.add("-o", &dir.path().join("a.csv"), Format::Matrix);
        plan.check().unwrap();
        let err = plan.write(o, |w| {
            w.write_all(b"1,2\n")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(format!("{:#}", err.unwrap_err()).contains("disk full"));
        drop(plan);
        assert!(names(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn the_same_file_by_another_path_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("sub")).unwrap();
        std::fs::write(d.join("real.npy"), b"x").unwrap();
        std::os::unix::fs::symlink(d.join("real.npy"), d.join("link.npy")).unwrap();
        std::fs::hard_link(d.join("real.npy"), d.join("hard.npy")).unwrap();
        for (a, b) in [("x.npy", "sub/../x.npy"), ("real.npy", "link.npy"), ("real.npy", "hard.npy")] {
            let mut plan = Outputs::new();
            plan.add("-o", &d.join(a), Format::Matrix);
            plan.add("--distances", &d.join(b), Format::Npy);
            let err = plan.check().unwrap_err().to_string();
            assert!(err.contains("are the same file") && err.contains(b), "{a} {b}: {err}");
        }
    }
}
