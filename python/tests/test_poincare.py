"""unfold.PoincareEmbedding: reconstruction scores against gensim's formulas (brute force with
numpy here), a balanced tree's layout, determinism and input errors."""

import numpy as np
import pytest

import unfold


def balanced_tree(branching=3, depth=3):
    edges, level = [], ["r"]
    for _ in range(depth):
        nxt = []
        for p in level:
            for c in range(branching):
                edges.append((f"{p}.{c}", p))
                nxt.append(f"{p}.{c}")
        level = nxt
    return edges


def closure(edges):
    parent = dict(edges)
    out = []
    for child in parent:
        a = parent[child]
        while a is not None:
            out.append((child, a))
            a = parent.get(a)
    return out


def reconstruction(embedding, nodes, edges):
    """gensim's ReconstructionEvaluation, brute force: the node itself counts as a negative."""
    index = {n: i for i, n in enumerate(nodes)}
    positives = {}
    for u, v in edges:
        positives.setdefault(index[u], set()).add(index[v])
    sq = (embedding ** 2).sum(axis=1)
    ranks, aps = [], []
    for u, pos in positives.items():
        diff = ((embedding - embedding[u]) ** 2).sum(axis=1)
        d = np.arccosh(1 + 2 * diff / ((1 - sq[u]) * (1 - sq)))
        neg = [w for w in range(len(nodes)) if w not in pos]
        r = sorted(1 + int((d[neg] < d[v]).sum()) for v in pos)
        ranks += r
        aps.append(np.mean([(i + 1) / (rank + i) for i, rank in enumerate(r)]))
    return np.mean(ranks), np.mean(aps)


def test_balanced_tree_puts_the_root_at_the_centre_and_scores_match_brute_force():
    edges = balanced_tree()
    model = unfold.PoincareEmbedding(n_components=2, negative=5, epochs=300, transitive_closure=True, random_state=1).fit(edges)
    assert model.embedding_.shape == (40, 2) and model.embedding_.dtype == np.float64
    assert len(model.nodes_) == 40 and model.nodes_[:2] == ["r.0", "r"]
    norms = np.linalg.norm(model.embedding_, axis=1)
    assert model.nodes_[int(np.argmin(norms))] == "r"
    assert norms.max() < 1
    mean_rank, map_ = reconstruction(model.embedding_, model.nodes_, closure(edges))
    assert model.rank_ == pytest.approx(mean_rank, rel=1e-12)
    assert model.map_ == pytest.approx(map_, rel=1e-12)
    assert model.reconstruction_["map_excluding_self"] >= 0.95
    assert model.loss_[-1] < model.loss_[0]


def test_integer_ids_arrays_and_threads():
    edges = np.array([(i, i // 3) for i in range(1, 40)])
    a = unfold.PoincareEmbedding(n_components=3, epochs=20, random_state=4, n_jobs=1).fit(edges)
    b = unfold.PoincareEmbedding(n_components=3, epochs=20, random_state=4, n_jobs=2).fit([tuple(e) for e in edges.tolist()])
    assert a.nodes_[:3] == [1, 0, 2] and all(isinstance(n, int) for n in a.nodes_)
    np.testing.assert_array_equal(a.embedding_, b.embedding_)
    lorentz = unfold.PoincareEmbedding(n_components=3, model="lorentz", epochs=20, random_state=4).fit(edges)
    assert np.linalg.norm(lorentz.embedding_, axis=1).max() < 1
    assert unfold.PoincareEmbedding().get_params()["negative"] == 10


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="self-loops"):
        unfold.PoincareEmbedding().fit([("a", "a")])
    with pytest.raises(ValueError, match="no edges"):
        unfold.PoincareEmbedding().fit([])
    with pytest.raises(ValueError, match=r"edge 1 must be a \(u, v\) pair"):
        unfold.PoincareEmbedding().fit([("a", "b"), ("c",)])
    with pytest.raises(ValueError, match=r"shape \(n_edges, 2\)"):
        unfold.PoincareEmbedding().fit(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="`negative`"):
        unfold.PoincareEmbedding(negative=0).fit([("a", "b")])
    with pytest.raises(ValueError, match="model must be"):
        unfold.PoincareEmbedding(model="klein").fit([("a", "b")])


def test_fit_reads_a_tsv_or_csv_path_as_the_command_does(tmp_path):
    edges = balanced_tree(branching=2, depth=2)
    tsv = tmp_path / "tree.tsv"
    tsv.write_text("# child\tparent\n" + "".join(f"{u}\t{v}\n" for u, v in edges) + "\n")
    csv = tmp_path / "tree.csv"
    csv.write_text("".join(f"{u},{v}\n" for u, v in edges))
    kw = dict(n_components=2, negative=3, epochs=20, transitive_closure=True, random_state=4)
    from_pairs = unfold.PoincareEmbedding(**kw).fit(edges)
    for path in (tsv, str(csv)):
        model = unfold.PoincareEmbedding(**kw).fit(path)
        assert model.nodes_ == from_pairs.nodes_
        np.testing.assert_array_equal(model.embedding_, from_pairs.embedding_)
    bad = tmp_path / "bad.tsv"
    bad.write_text("a\tb\nc\n")
    with pytest.raises(ValueError, match="line 2"):
        unfold.PoincareEmbedding(**kw).fit(bad)
    with pytest.raises((OSError, ValueError), match="missing.tsv"):
        unfold.PoincareEmbedding(**kw).fit(tmp_path / "missing.tsv")
