//! A hierarchy's relations: ordered pairs `(u, v)` of named nodes ("u is a v", child then
//! ancestor), as gensim's `PoincareRelations`, with an optional transitive closure.

use std::path::Path;

use crate::error::{Error, Result};

/// The relations of a hierarchy: node names and directed edges between their indices.
///
/// Nodes are numbered in order of first appearance (the first column before the second on each
/// row), as gensim builds its vocabulary. Repeated pairs count once and self-loops are dropped.
///
/// ```
/// use unfold_learn::embed::poincare::Relations;
/// let r = Relations::from_pairs([("cat", "feline"), ("feline", "mammal")], true)?;
/// assert_eq!(r.names(), &["cat", "feline", "mammal"]);
/// assert_eq!(r.edges(), &[(0, 1), (0, 2), (1, 2)]); // closure adds cat → mammal
/// # Ok::<(), unfold_learn::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Relations {
    names: Vec<String>,
    /// Sorted, unique, no self-loops.
    edges: Vec<(u32, u32)>,
    /// Node occurrence counts over the edges (both ends), gensim's negative-sampling weights.
    counts: Vec<u64>,
    /// `targets[offsets[u]..offsets[u + 1]]`: the sorted `v` of the edges `(u, v)`.
    offsets: Vec<usize>,
    targets: Vec<u32>,
}

impl Relations {
    /// The relations of `pairs` (child, ancestor), with their transitive closure when `closure`.
    ///
    /// # Errors
    /// No pair left once self-loops are dropped, or more than `u32::MAX` nodes.
    pub fn from_pairs<S: AsRef<str>>(pairs: impl IntoIterator<Item = (S, S)>, closure: bool) -> Result<Self> {
        let mut index = std::collections::HashMap::new();
        let mut names: Vec<String> = Vec::new();
        let mut edges = Vec::new();
        let mut n_pairs = 0usize;
        let mut id = |name: &str, names: &mut Vec<String>| -> Result<u32> {
            if let Some(&i) = index.get(name) {
                return Ok(i);
            }
            let i = u32::try_from(names.len()).map_err(|_| Error::InvalidData("more than 4,294,967,295 nodes".into()))?;
            index.insert(name.to_string(), i);
            names.push(name.to_string());
            Ok(i)
        };
        for (u, v) in pairs {
            n_pairs += 1;
            let (u, v) = (id(u.as_ref(), &mut names)?, id(v.as_ref(), &mut names)?);
            if u != v {
                edges.push((u, v));
            }
        }
        if edges.is_empty() {
            return Err(Error::InvalidData(if n_pairs == 0 {
                "the hierarchy has no edges".to_string()
            } else {
                format!("the hierarchy's {n_pairs} edges are all self-loops (u, u); at least one edge between two different nodes is needed")
            }));
        }
        edges.sort_unstable();
        edges.dedup();
        let n = names.len();
        if closure {
            edges = transitive_closure(n, &edges);
        }
        let mut counts = vec![0u64; n];
        let mut offsets = vec![0usize; n + 1];
        for &(u, v) in &edges {
            counts[u as usize] += 1;
            counts[v as usize] += 1;
            offsets[u as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let targets = edges.iter().map(|e| e.1).collect();
        Ok(Relations { names, edges, counts, offsets, targets })
    }

    /// The node names, in index order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.names.len()
    }

    /// The edges `(u, v)`, sorted.
    pub fn edges(&self) -> &[(u32, u32)] {
        &self.edges
    }

    /// How often each node occurs in the edges (either end).
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// The sorted `v` of the edges `(u, v)` of node `u`.
    pub fn targets(&self, u: usize) -> &[u32] {
        &self.targets[self.offsets[u]..self.offsets[u + 1]]
    }

    /// The length of the longest chain of edges from each node to a node without edges out
    /// (0 for the roots): with the closure, a node's number of ancestors on its longest path.
    pub fn depths(&self) -> Vec<usize> {
        let n = self.n_nodes();
        let mut depth = vec![usize::MAX; n];
        // Iterative DFS with an on-stack mark, so a cycle ends the walk instead of looping.
        let mut state = vec![0u8; n];
        for start in 0..n {
            if state[start] == 2 {
                continue;
            }
            let mut stack = vec![(start, 0usize)];
            state[start] = 1;
            while let Some(&mut (u, ref mut next)) = stack.last_mut() {
                let t = self.targets(u);
                if *next < t.len() {
                    let v = t[*next] as usize;
                    *next += 1;
                    if state[v] == 0 {
                        state[v] = 1;
                        stack.push((v, 0));
                    }
                } else {
                    depth[u] = t.iter().map(|&v| if depth[v as usize] == usize::MAX { 0 } else { depth[v as usize] + 1 }).max().unwrap_or(0);
                    state[u] = 2;
                    stack.pop();
                }
            }
        }
        depth
    }
}

/// Every pair `(u, w)` with a directed path from `u` to `w`, `u ≠ w`, sorted.
fn transitive_closure(n: usize, edges: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut offsets = vec![0usize; n + 1];
    edges.iter().for_each(|&(u, _)| offsets[u as usize + 1] += 1);
    (0..n).for_each(|i| offsets[i + 1] += offsets[i]);
    let targets: Vec<u32> = edges.iter().map(|e| e.1).collect();
    let mut out = Vec::new();
    let mut seen = vec![usize::MAX; n];
    let mut stack = Vec::new();
    for u in 0..n {
        seen[u] = u;
        stack.extend_from_slice(&targets[offsets[u]..offsets[u + 1]]);
        let start = out.len();
        while let Some(v) = stack.pop() {
            let v = v as usize;
            if seen[v] == u {
                continue;
            }
            seen[v] = u;
            out.push((u as u32, v as u32));
            stack.extend_from_slice(&targets[offsets[v]..offsets[v + 1]]);
        }
        out[start..].sort_unstable();
    }
    out
}

/// Reads a hierarchy's edges from a delimited text file: two columns per line (child, parent),
/// separated by a tab, or by a comma when the line has no tab. Blank lines and lines starting
/// with `#` are skipped; fields are trimmed. There is no header line.
///
/// # Errors
/// The file cannot be read (named), or a line does not have two non-empty fields (the line
/// number and what it holds are named).
pub fn read_edges(path: &Path) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut pairs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let sep = if line.contains('\t') { '\t' } else { ',' };
        let fields: Vec<&str> = line.split(sep).map(str::trim).collect();
        if fields.len() != 2 || fields.iter().any(|f| f.is_empty()) {
            let shown: String = line.chars().take(80).collect();
            return Err(Error::format(
                path,
                format!(
                    "line {}: expected 2 columns (child, parent) separated by a tab or a comma, found {} non-empty in {shown:?}",
                    i + 1,
                    fields.iter().filter(|f| !f.is_empty()).count()
                ),
            ));
        }
        pairs.push((fields[0].to_string(), fields[1].to_string()));
    }
    if pairs.is_empty() {
        return Err(Error::format(path, "no edges: the file has no line with two columns (child, parent)"));
    }
    Ok(pairs)
}
