"""Writes the transitive closure of WordNet 3.0's "mammal.n.01" hyponym tree.

Reads the noun database of Debian's `wordnet-base` package (`/usr/share/wordnet/data.noun`
and `index.noun`; `apt-get install wordnet-base`) and follows hypernym (`@`) and instance
hypernym (`@i`) pointers, as Nickel & Kiela (2017) and the `mammal_closure` set gensim's
Poincaré tutorial uses: one edge (noun, ancestor) for every ancestor of every noun below
mammal.n.01 (mammal.n.01 itself included), both ends in that set. Synsets are named as NLTK
names them, `lemma.n.NN` with NN the synset's sense number for its first lemma.

    python bench/make_wordnet_mammals.py [OUT.tsv] [--wordnet DIR]

Writes a header-less two-column TSV (child, ancestor), sorted.
"""

import argparse
import sys
from pathlib import Path

ROOT = "mammal.n.01"


def read_synsets(data_noun):
    """offset -> (first lemma, [hypernym offsets])."""
    synsets = {}
    with open(data_noun, encoding="latin-1") as f:
        for line in f:
            if line.startswith("  "):
                continue  # licence header
            fields = line.split(" | ")[0].split()
            offset = fields[0]
            n_words = int(fields[3], 16)
            lemma = fields[4].lower()
            at = 4 + 2 * n_words
            n_ptrs = int(fields[at])
            parents = []
            for p in range(n_ptrs):
                symbol, target, pos = fields[at + 1 + 4 * p: at + 4 + 4 * p]
                if symbol in ("@", "@i") and pos == "n":
                    parents.append(target)
            synsets[offset] = (lemma, parents)
    return synsets


def sense_numbers(index_noun):
    """(lemma, offset) -> sense number, from the order of offsets in the index."""
    senses = {}
    with open(index_noun, encoding="latin-1") as f:
        for line in f:
            if line.startswith("  "):
                continue
            fields = line.split()
            lemma, n_synsets, n_ptrs = fields[0], int(fields[2]), int(fields[3])
            offsets = fields[4 + n_ptrs + 2:]
            assert len(offsets) == n_synsets, line
            for k, off in enumerate(offsets):
                senses[(lemma, off)] = k + 1
    return senses


def closure_edges(wordnet_dir):
    synsets = read_synsets(Path(wordnet_dir) / "data.noun")
    senses = sense_numbers(Path(wordnet_dir) / "index.noun")
    name = {off: f"{lemma}.n.{senses[(lemma, off)]:02d}" for off, (lemma, _) in synsets.items()}

    ancestors = {}

    def ancestors_of(off):
        if off not in ancestors:
            found = set()
            for p in synsets[off][1]:
                found.add(p)
                found |= ancestors_of(p)
            ancestors[off] = found
        return ancestors[off]

    sys.setrecursionlimit(10000)
    (root,) = [off for off, n in name.items() if n == ROOT]
    nodes = {off for off in synsets if off == root or root in ancestors_of(off)}
    return sorted((name[u], name[v]) for u in nodes for v in ancestors_of(u) if v in nodes)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default="crates/unfold-learn/tests/fixtures/wordnet_mammal_closure.tsv")
    ap.add_argument("--wordnet", default="/usr/share/wordnet")
    args = ap.parse_args()
    edges = closure_edges(args.wordnet)
    with open(args.out, "w") as f:
        f.writelines(f"{u}\t{v}\n" for u, v in edges)
    n_nodes = len({x for e in edges for x in e})
    print(f"{args.out}: {n_nodes} nouns, {len(edges)} edges")


if __name__ == "__main__":
    main()
