"""Peer-library workloads for bench/run.py, one per process.

Each subcommand imports only what its peer needs (imports happen inside the
subcommand, so a "cold" process pays exactly the peer's own start-up cost),
does one job, writes its arrays, and prints one JSON object on the last line
of stdout with in-process timings and any scalars.

    python peers.py pynndescent --input X.npy -k 15 --out IDX.npy [--warm]
    python peers.py sklearn-pca --input X.npy --dims 2 --out Y.npy
    python peers.py sklearn-srp --input X.npy --dims 50 --out Y.npy
    python peers.py distortion --input X.npy --embedding Y.npy
    python peers.py sklearn-spectral --input X.npy --dims 2 --out Y.npy
    python peers.py sklearn-isomap --input X.npy --neighbors 5 --out Y.npy
    python peers.py spectral-agreement --input X.npy --embedding Y.npy --reference R.npy
    python peers.py pydiffmap-fit --input X.npy --dims 2 -k 64 --out Y.npy
    python peers.py skdim-id --input X.npy --estimator twonn|mle|lpca|corrint|mada|ess|mind_ml|danco
    python peers.py sklearn-exact-knn --input X.npy -k 15 --queries Q.npy \
        --out IDX.npy --distances D.npy
    python peers.py sklearn-evaluate --input X.npy --embedding Y.npy \
        [--labels L.npy] -k 15 --sample 5000 --seed 0
    python peers.py umap-fit --input X.npy --out Y.npy [--warm]
    python peers.py umap-transform --input X.npy --train-rows 60000 \
        --out-train Y.npy --out-test T.npy
    python peers.py umap-quality --input X.npy --labels L.npy --embedding Y.npy \
        [--test-embedding T.npy] --train-rows 60000
    python peers.py sklearn-mds --input X.npy --out Y.npy [--init random|classical_mds] \
        [--metric-mds 1|0] --seed 0
    python peers.py mds-stress --input X.npy --embedding Y.npy [--metric-mds 1|0]
    python peers.py sklearn-lle --input X.npy --out Y.npy -k 10
    python peers.py lle-quality --input X.npy --embedding Y.npy
    python peers.py geometry --tool geomstats|unfold --space poincare|sphere|spd --x X.npy --y Y.npy --mean-rows N --out-prefix P
    python peers.py dse-numpy --input X.npy --sigma 10 --t 1
    python peers.py ricci-grc --input X.npy -k 10
    python peers.py scanpy-umap --tool scanpy|unfold [--neighbors scanpy|unfold] [--input X.npy] \
        --out Y.npy --rep R.npy
    python peers.py embedding-trust --input R.npy --embedding Y.npy -k 15
    python peers.py coranking-numpy --input X.npy --embedding Y.npy -k 15
"""

import argparse
import json
import os
import sys
import time


def emit(record):
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def run_pynndescent(args):
    import numpy as np
    import pynndescent

    X = np.load(args.input)
    record = {}
    if args.warm:
        # Compile numba kernels on data of the same dtype and width, so the
        # timed call below measures only the graph construction.
        rng = np.random.default_rng(0)
        small = rng.random((3000, X.shape[1])).astype(X.dtype)
        t0 = time.perf_counter()
        warm = pynndescent.NNDescent(small, n_neighbors=args.k)
        warm.neighbor_graph
        record["warmup_seconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = pynndescent.NNDescent(X, n_neighbors=args.k)
    indices = index.neighbor_graph[0]
    record["inproc_seconds"] = time.perf_counter() - t0
    np.save(args.out, np.ascontiguousarray(indices, dtype=np.int64))
    emit(record)


def run_pynndescent_sparse(args):
    """pynndescent's NNDescent on a CSR matrix read with scipy.sparse.load_npz (cold process)."""
    import numpy as np
    import pynndescent
    import scipy.sparse as sp

    X = sp.load_npz(args.input)
    t0 = time.perf_counter()
    index = pynndescent.NNDescent(X, n_neighbors=args.k, metric=args.metric)
    indices = index.neighbor_graph[0]
    np.save(args.out, np.ascontiguousarray(indices, dtype=np.int64))
    emit({"inproc_seconds": time.perf_counter() - t0})


def run_sklearn_pca(args):
    import numpy as np
    from sklearn.decomposition import PCA

    X = np.load(args.input)
    t0 = time.perf_counter()
    pca = PCA(args.dims)
    Y = pca.fit_transform(X)
    elapsed = time.perf_counter() - t0
    np.save(args.out, np.ascontiguousarray(Y, dtype=np.float32))
    emit({
        "inproc_seconds": elapsed,
        "svd_solver": pca._fit_svd_solver,
        "explained_variance_ratio": [float(v) for v in pca.explained_variance_ratio_],
    })


def run_sklearn_srp(args):
    import numpy as np
    from sklearn.random_projection import SparseRandomProjection

    X = np.load(args.input)
    t0 = time.perf_counter()
    Y = SparseRandomProjection(args.dims, random_state=0).fit_transform(X)
    elapsed = time.perf_counter() - t0
    np.save(args.out, np.ascontiguousarray(Y, dtype=np.float32))
    emit({"inproc_seconds": elapsed})


def run_sklearn_spectral(args):
    import numpy as np
    from sklearn.manifold import SpectralEmbedding

    X = np.load(args.input)
    t0 = time.perf_counter()
    est = SpectralEmbedding(args.dims, random_state=0)
    Y = est.fit_transform(X)
    elapsed = time.perf_counter() - t0
    np.save(args.out, np.ascontiguousarray(Y, dtype=np.float32))
    emit({"inproc_seconds": elapsed, "n_neighbors": int(est.n_neighbors_)})


def run_pydiffmap_fit(args):
    """pyDiffMap's DiffusionMap.from_sklearn with its defaults (Gaussian kernel on the k-NN
    graph, epsilon="bgh", alpha=0.5) and n_evecs = --dims; writes its `dmap`."""
    import numpy as np
    from pydiffmap import diffusion_map as dm

    X = np.load(args.input)
    t0 = time.perf_counter()
    model = dm.DiffusionMap.from_sklearn(n_evecs=args.dims, k=args.k, epsilon="bgh", alpha=0.5)
    Y = model.fit_transform(X)
    elapsed = time.perf_counter() - t0
    np.save(args.out, np.ascontiguousarray(Y, dtype=np.float32))
    emit({"inproc_seconds": elapsed, "epsilon": float(model.epsilon_fitted),
          "evals": [float(v) for v in model.evals]})


def run_opentsne_fit(args):
    """openTSNE 1.0.4's TSNE(n_jobs=--threads, random_state=0).fit(X) with its defaults (PCA
    start, perplexity 30, 250 + 500 iterations, "auto" gradient: Barnes-Hut below 10,000 rows,
    FFT from there); writes the embedding and prints its KL divergence."""
    import os

    import numpy as np
    import openTSNE

    X = np.load(args.input).astype(np.float64)
    threads = int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count())
    t0 = time.perf_counter()
    Y = openTSNE.TSNE(n_jobs=threads, random_state=0).fit(X)
    elapsed = time.perf_counter() - t0
    np.save(args.out, np.ascontiguousarray(np.asarray(Y), dtype=np.float32))
    emit({"inproc_seconds": elapsed, "kl_divergence": float(Y.kl_divergence)})


def run_sklearn_tsne(args):
    """scikit-learn's TSNE(n_jobs=--threads, random_state=0).fit_transform(X) with its defaults
    (Barnes-Hut, PCA start, perplexity 30, learning_rate "auto", 1,000 iterations); writes the
    embedding and prints its KL divergence."""
    import os

    import numpy as np
    from sklearn.manifold import TSNE

    X = np.load(args.input).astype(np.float32)
    threads = int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count())
    t0 = time.perf_counter()
    model = TSNE(n_jobs=threads, random_state=0)
    Y = model.fit_transform(X)
    elapsed = time.perf_counter() - t0
    np.save(args.out, np.ascontiguousarray(Y, dtype=np.float32))
    emit({"inproc_seconds": elapsed, "kl_divergence": float(model.kl_divergence_)})


def run_opentsne_transform(args):
    """openTSNE 1.0.4: TSNE(n_jobs=--threads, random_state=0).fit on --fit, then transform(--new)
    with its defaults; writes both embeddings and prints the transform's own seconds."""
    import os

    import numpy as np
    import openTSNE

    X = np.load(args.fit).astype(np.float64)
    new = np.load(args.new).astype(np.float64)
    threads = int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count())
    embedding = openTSNE.TSNE(n_jobs=threads, random_state=0).fit(X)
    # transform centres the reference in place: keep both in its frame.
    t0 = time.perf_counter()
    Y = np.asarray(embedding.transform(new))
    elapsed = time.perf_counter() - t0
    np.save(args.out_ref, np.ascontiguousarray(np.asarray(embedding), dtype=np.float32))
    np.save(args.out, np.ascontiguousarray(Y, dtype=np.float32))
    emit({"transform_seconds": elapsed})


def run_tsne_transform_quality(args):
    """For each new point, the share of its 10 nearest training rows (data space) that are among
    the 10 training points nearest to its place in the embedding (kNN preservation@10)."""
    import numpy as np
    from sklearn.neighbors import NearestNeighbors

    X, new = np.load(args.fit), np.load(args.new)
    ref, Y = np.load(args.ref), np.load(args.embedding)
    data_nn = NearestNeighbors(n_neighbors=10).fit(X).kneighbors(new, return_distance=False)
    emb_nn = NearestNeighbors(n_neighbors=10).fit(ref).kneighbors(Y, return_distance=False)
    shared = np.mean([len(np.intersect1d(a, b)) / 10 for a, b in zip(data_nn, emb_nn)])
    emit({"finite": bool(np.isfinite(Y).all()), "knn_preservation_10": float(shared)})


def run_phate_fit(args):
    """phate 2.0.0's PHATE(n_jobs=--threads, random_state=0, verbose=0).fit_transform(X) with its
    defaults (n_pca=100, knn=5, decay=40, 2,000 landmarks, t="auto", SGD MDS); writes the
    embedding and prints the automatic t."""
    import os

    import numpy as np
    import phate

    X = np.load(args.input)
    threads = int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count())
    t0 = time.perf_counter()
    op = phate.PHATE(n_jobs=threads, random_state=0, verbose=0)
    Y = op.fit_transform(X)
    elapsed = time.perf_counter() - t0
    np.save(args.out, np.ascontiguousarray(np.asarray(Y), dtype=np.float32))
    emit({"inproc_seconds": elapsed, "optimal_t": int(op.optimal_t)})


def run_heatgeo_fit(args):
    """heatgeo 0.0.1's HeatGeo(knn=--knn, tau=--tau) (5 and "auto" unless given) with its other
    defaults (n_pca=40, decay=40, order=32, normalized Laplacian, s_gd2 MDS with seed 2)
    .fit_transform(X); writes the embedding and prints the tau used."""
    import contextlib
    import io

    import numpy as np
    from heatgeo.embedding import HeatGeo

    X = np.load(args.input)
    t0 = time.perf_counter()
    op = HeatGeo(knn=args.knn, tau=args.tau if args.tau == "auto" else float(args.tau))
    with contextlib.redirect_stdout(io.StringIO()):  # it prints the chosen tau and the solver
        Y = op.fit_transform(X)
    elapsed = time.perf_counter() - t0
    np.save(args.out, np.ascontiguousarray(np.asarray(Y), dtype=np.float32))
    tau = op.opt_tau if args.tau == "auto" else float(args.tau)
    emit({"inproc_seconds": elapsed, "tau": float(np.asarray(tau).ravel()[0])})


def run_tsne_quality(args):
    """trustworthiness@15 of an embedding on a fixed 5k subsample (numpy default_rng(0))."""
    import numpy as np
    from sklearn.manifold import trustworthiness

    X = np.load(args.input, mmap_mode="r")
    Y = np.load(args.embedding)
    rows = np.sort(np.random.default_rng(0).choice(X.shape[0], size=min(5000, X.shape[0]), replace=False))
    emit({"finite": bool(np.isfinite(Y).all()),
          "trustworthiness": float(trustworthiness(np.asarray(X[rows], dtype=np.float64),
                                                   Y[rows].astype(np.float64), n_neighbors=15))})


def run_skdim_id(args):
    """scikit-dimension's estimator with its defaults, e.g. TwoNN().fit(X), MLE().fit(X) (20
    neighbours), lPCA().fit(X) (FO) or ESS().fit(X) (100 neighbours); prints dimension_."""
    import numpy as np
    import skdim

    X = np.load(args.input)
    cls = {"twonn": skdim.id.TwoNN, "mle": skdim.id.MLE, "lpca": skdim.id.lPCA, "corrint": skdim.id.CorrInt,
           "mada": skdim.id.MADA, "ess": skdim.id.ESS, "mind_ml": skdim.id.MiND_ML, "danco": skdim.id.DANCo}[args.estimator]
    t0 = time.perf_counter()
    # DANCo draws its calibration balls at random: seeded as unfold's --seed 0 is.
    est = (cls(random_state=0) if args.estimator == "danco" else cls()).fit(X)
    elapsed = time.perf_counter() - t0
    emit({"inproc_seconds": elapsed, "dimension": float(est.dimension_)})


def run_dse_numpy(args):
    """Diffusion spectral entropy as the dse_dsmi package computes it (its formula in numpy:
    scikit-learn's pairwise_distances, the Gaussian kernel, D^-1/2 G D^-1/2, numpy eigvalsh,
    p = |l|^t / sum + eps, -sum p log2 p); prints the entropy."""
    import numpy as np
    from sklearn.metrics import pairwise_distances

    X = np.load(args.input).astype(np.float64)
    t0 = time.perf_counter()
    D = pairwise_distances(X)
    G = (1 / (args.sigma * np.sqrt(2 * np.pi))) * np.exp(-D**2 / (2 * args.sigma**2))
    s = 1 / np.sqrt(G.sum(axis=1))
    ev = np.linalg.eigvalsh(s[:, None] * G * s[None, :])
    p = np.abs(ev) ** args.t
    p = p / p.sum() + np.finfo(float).eps
    entropy = float(-(p * np.log2(p)).sum())
    emit({"inproc_seconds": time.perf_counter() - t0, "entropy": entropy})


def run_ricci_grc(args):
    """GraphRicciCurvature's OllivierRicci(G, alpha=0.5, method="OTD") on the kNN graph of the
    rows: each row's -k nearest by exact euclidean distance (numpy, ties to the lower index),
    symmetrised, edges weighted by their distances; prints the mean edge curvature. The graph is
    built before the clock starts."""
    import networkx as nx
    import numpy as np
    from GraphRicciCurvature.OllivierRicci import OllivierRicci

    X = np.load(args.input).astype(np.float64)
    sq = (X**2).sum(1)
    D = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * X @ X.T, 0))
    np.fill_diagonal(D, np.inf)
    G = nx.Graph()
    G.add_nodes_from(range(len(X)))
    for i in range(len(X)):
        for j in np.argsort(D[i], kind="stable")[:args.k]:
            G.add_edge(i, int(j), weight=float(np.float32(D[i, j])))
    t0 = time.perf_counter()
    H = OllivierRicci(G, alpha=0.5, method="OTD", proc=args.proc, verbose="ERROR").compute_ricci_curvature()
    elapsed = time.perf_counter() - t0
    k = [d["ricciCurvature"] for _, _, d in H.edges(data=True)]
    emit({"inproc_seconds": elapsed, "edges": len(k), "mean_edge_curvature": float(np.mean(k))})


def run_ripser(args):
    """ripser.py's ripser(X, maxdim) on the rows of --input; saves the diagrams as JSON (null for
    an infinite death) to --out."""
    import json

    import numpy as np
    from ripser import ripser

    X = np.load(args.input)
    t0 = time.perf_counter()
    res = ripser(X, maxdim=args.maxdim)
    elapsed = time.perf_counter() - t0
    dgms = [[[float(b), None if np.isinf(d) else float(d)] for b, d in dgm] for dgm in res["dgms"]]
    with open(args.out, "w") as f:
        json.dump({"diagrams": dgms, "num_edges": int(res["num_edges"])}, f)
    emit({"inproc_seconds": elapsed, "num_edges": int(res["num_edges"]), "bars": [len(d) for d in dgms]})


def run_spectral_agreement(args):
    """An embedding against a reference: per column, |Pearson r| and the largest difference
    after matching signs (relative to the reference's largest value); trustworthiness@15 of
    both on a 5,000-row subsample (default_rng(0))."""
    import numpy as np
    from sklearn.manifold import trustworthiness

    X = np.load(args.input)
    Y = np.load(args.embedding).astype(np.float64)
    R = np.load(args.reference).astype(np.float64)
    corr, diff = [], []
    for c in range(R.shape[1]):
        r = np.corrcoef(Y[:, c], R[:, c])[0, 1]
        corr.append(float(abs(r)))
        diff.append(float(np.abs(np.sign(r) * Y[:, c] - R[:, c]).max() / np.abs(R[:, c]).max()))
    rows = np.sort(np.random.default_rng(0).choice(len(X), size=min(5000, len(X)), replace=False))
    Xs = np.asarray(X[rows], dtype=np.float64)
    emit({"agreement_corr": corr, "agreement_corr_min": min(corr), "agreement_max_rel_diff": max(diff),
          "trustworthiness": float(trustworthiness(Xs, Y[rows], n_neighbors=15)),
          "reference_trustworthiness": float(trustworthiness(Xs, R[rows], n_neighbors=15))})


def run_distortion(args):
    """Squared-distance ratios embedding / input over 20,000 random pairs (seed 0)."""
    import numpy as np

    X = np.load(args.input).astype(np.float64)
    Y = np.load(args.embedding).astype(np.float64)
    rng = np.random.default_rng(0)
    i, j = rng.integers(0, len(X), 20000), rng.integers(0, len(X), 20000)
    keep = i != j
    d0 = ((X[i[keep]] - X[j[keep]]) ** 2).sum(1)
    d1 = ((Y[i[keep]] - Y[j[keep]]) ** 2).sum(1)
    ok = d0 > 0
    r = d1[ok] / d0[ok]
    emit({"ratio_mean": float(r.mean()), "ratio_std": float(r.std()),
          "ratio_p01": float(np.quantile(r, 0.01)), "ratio_p99": float(np.quantile(r, 0.99))})


def run_sklearn_exact_knn(args):
    """Exact euclidean kNN of the rows listed in --queries, self excluded."""
    import numpy as np
    from sklearn.neighbors import NearestNeighbors

    X = np.load(args.input)
    queries = np.load(args.queries)
    t0 = time.perf_counter()
    nn = NearestNeighbors(n_neighbors=args.k + 1, algorithm="brute").fit(X)
    dist, ind = nn.kneighbors(X[queries])
    elapsed = time.perf_counter() - t0
    # Drop the query itself; if an exact duplicate pushed it out of the first
    # k + 1 slots, drop the last column instead.
    out_ind = np.empty((len(queries), args.k), dtype=np.int64)
    out_dist = np.empty((len(queries), args.k), dtype=np.float64)
    for row, q in enumerate(queries):
        keep = ind[row] != q
        if keep.all():
            keep[-1] = False
        out_ind[row] = ind[row][keep]
        out_dist[row] = dist[row][keep]
    np.save(args.out, out_ind)
    np.save(args.distances, out_dist)
    emit({"inproc_seconds": elapsed})


def run_sklearn_evaluate(args):
    """sklearn trustworthiness and continuity on a fixed subsample.

    A reference for `unfold evaluate`, not an equality check: the subsample
    (rows drawn by numpy.random.default_rng(seed), without replacement) is our
    own. kNN accuracy is leave-one-out within the subsample, majority vote of
    the k nearest other points in the embedding, ties to the smallest label.
    Neighbour preservation is the mean of |kNN_X(i) ∩ kNN_Y(i)| / k within
    the subsample.
    """
    import numpy as np
    from sklearn.manifold import trustworthiness
    from sklearn.neighbors import NearestNeighbors

    X = np.load(args.input)
    Y = np.load(args.embedding)
    n = X.shape[0]
    sample = min(args.sample, n)
    rows = np.sort(np.random.default_rng(args.seed).choice(n, size=sample, replace=False))
    Xs = np.asarray(X[rows], dtype=np.float64)
    Ys = np.asarray(Y[rows], dtype=np.float64)
    t0 = time.perf_counter()
    record = {
        "trustworthiness": float(trustworthiness(Xs, Ys, n_neighbors=args.k)),
        "continuity": float(trustworthiness(Ys, Xs, n_neighbors=args.k)),
    }
    nn_x = NearestNeighbors(n_neighbors=args.k).fit(Xs).kneighbors(return_distance=False)
    nn_y = NearestNeighbors(n_neighbors=args.k).fit(Ys).kneighbors(return_distance=False)
    shared = [len(set(a).intersection(b)) for a, b in zip(nn_x.tolist(), nn_y.tolist())]
    record["neighbor_preservation"] = float(np.mean(shared) / args.k)
    if args.labels:
        labels = np.load(args.labels)[rows]
        n_classes = int(labels.max()) + 1
        votes = np.array([np.argmax(np.bincount(labels[r], minlength=n_classes)) for r in nn_y])
        record["knn_accuracy"] = float(np.mean(votes == labels))
    record["inproc_seconds"] = time.perf_counter() - t0
    record.update({"k": args.k, "sample": sample, "subsample_seed": args.seed})
    emit(record)


def run_coranking_numpy(args):
    """The co-ranking curves (Q_NX, LCMC, R_NX and its AUC with 1/K weights) by numpy, with
    scikit-learn's trustworthiness at k: the computation `unfold evaluate --sample N` does.

    No co-ranking package installs from PyPI (`coranking` is not there, `pycoranking` does not
    build), so the curves are the definition vectorised: full distance rows in blocks of 500
    points, both spaces ranked by a stable argsort (ties by index), the larger of the two ranks
    of each pair counted with bincount. `coranking_seconds` and `trust_seconds` time the two
    parts.
    """
    import numpy as np
    from sklearn.manifold import trustworthiness
    from sklearn.metrics import pairwise_distances

    X = np.load(args.input).astype(np.float64)
    Y = np.load(args.embedding).astype(np.float64)
    n, k = X.shape[0], args.k
    t0 = time.perf_counter()
    hist = np.zeros(n, dtype=np.int64)
    for start in range(0, n, 500):
        rows = np.arange(start, min(start + 500, n))
        ranks = []
        for Z in (X, Y):
            D = pairwise_distances(Z[rows], Z)
            D[np.arange(len(rows)), rows] = -np.inf  # the point itself first, at rank 0
            order = np.argsort(D, axis=1, kind="stable")
            R = np.empty_like(order)
            np.put_along_axis(R, order, np.arange(n)[None, :], axis=1)
            ranks.append(R)
        m = np.maximum(ranks[0], ranks[1])
        m[np.arange(len(rows)), rows] = 0
        hist += np.bincount(m.ravel(), minlength=n)
    K = np.arange(1, n - 1)
    qnx = np.cumsum(hist[1:n - 1]) / (K * n)
    rnx = ((n - 1) * qnx - K) / (n - 1 - K)
    auc = float(np.sum(rnx / K) / np.sum(1.0 / K))
    t1 = time.perf_counter()
    trust = float(trustworthiness(X, Y, n_neighbors=k))
    t2 = time.perf_counter()
    emit({"lcmc": float(qnx[k - 1] - k / (n - 1)), "rnx": float(rnx[k - 1]), "rnx_auc": auc,
          "trustworthiness": trust, "coranking_seconds": t1 - t0, "trust_seconds": t2 - t1,
          "inproc_seconds": t2 - t0, "n": n, "k": k})


def run_umap_fit(args):
    """umap-learn's fit_transform with its defaults and n_jobs=2 (no seed, so it runs in parallel).

    --warm first fits a small random set of the same width, so numba's compilation is done
    before the timed call.
    """
    import numpy as np
    import umap

    X = np.load(args.input)
    record = {}
    if args.warm:
        t0 = time.perf_counter()
        umap.UMAP(n_jobs=2).fit_transform(np.random.default_rng(0).random((3000, X.shape[1])).astype(X.dtype))
        record["warmup_seconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    Y = umap.UMAP(n_jobs=2, output_metric=args.output_metric).fit_transform(X)
    record["inproc_seconds"] = time.perf_counter() - t0
    np.save(args.out, np.ascontiguousarray(Y, dtype=np.float32))
    emit(record)


def output_distances(Y, metric):
    """All pairwise distances of embedding Y in umap-learn's output metric (as its layout reads
    the coordinates: hyperboloid spatial coordinates, Poincaré ball, (colatitude, longitude))."""
    import numpy as np

    Y = Y.astype(np.float64)
    if metric == "hyperboloid":
        z = np.sqrt(1.0 + (Y**2).sum(1))
        return np.arccosh(np.maximum(z[:, None] * z[None, :] - Y @ Y.T, 1.0))
    if metric == "poincare":
        n2 = (Y**2).sum(1)
        d2 = np.maximum(n2[:, None] + n2[None, :] - 2.0 * Y @ Y.T, 0.0)
        return np.arccosh(1.0 + 2.0 * d2 / ((1.0 - n2)[:, None] * (1.0 - n2)[None, :]))
    if metric == "haversine":
        t, p = Y[:, 0], Y[:, 1]
        P = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], axis=1)
        return 2.0 * np.arcsin(np.clip(np.sqrt(np.maximum(2.0 - 2.0 * P @ P.T, 0.0)) / 2.0, 0.0, 1.0))
    n2 = (Y**2).sum(1)
    return np.sqrt(np.maximum(n2[:, None] + n2[None, :] - 2.0 * Y @ Y.T, 0.0))


def run_output_trust(args):
    """Trustworthiness@k of an embedding measured in its output metric: euclidean ranks in the
    data, neighbour sets by the output distance, on a --sample subsample (default_rng(seed))."""
    import numpy as np
    from sklearn.metrics import pairwise_distances

    X = np.load(args.input, mmap_mode="r")
    Y = np.load(args.embedding)
    n = X.shape[0]
    idx = np.sort(np.random.default_rng(args.seed).choice(n, size=min(args.sample, n), replace=False))
    Xs, Ys = np.asarray(X[idx], dtype=np.float64), Y[idx]
    m, k = len(idx), args.k
    dx = pairwise_distances(Xs)
    np.fill_diagonal(dx, np.inf)
    ranks = np.empty((m, m), dtype=np.int64)
    ranks[np.arange(m)[:, None], np.argsort(dx, axis=1, kind="stable")] = np.arange(1, m + 1)[None, :]
    de = output_distances(Ys, args.output_metric)
    np.fill_diagonal(de, np.inf)
    nn = np.argsort(de, axis=1, kind="stable")[:, :k]
    t = 1.0 - 2.0 / (m * k * (2.0 * m - 3.0 * k - 1.0)) * np.maximum(ranks[np.arange(m)[:, None], nn] - k, 0).sum()
    emit({"trustworthiness": float(t), "finite": bool(np.isfinite(Y).all()), "k": k, "sample": int(m), "output_metric": args.output_metric})


def run_umap_transform(args):
    """Fit on the first --train-rows rows, transform the rest; both timed in process."""
    import numpy as np
    import umap

    X = np.load(args.input)
    train, test = X[:args.train_rows], X[args.train_rows:]
    t0 = time.perf_counter()
    model = umap.UMAP(n_jobs=2).fit(train)
    fit_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    T = model.transform(test)
    transform_seconds = time.perf_counter() - t0
    np.save(args.out_train, np.ascontiguousarray(model.embedding_, dtype=np.float32))
    np.save(args.out_test, np.ascontiguousarray(T, dtype=np.float32))
    emit({"fit_seconds": fit_seconds, "transform_seconds": transform_seconds})


def run_umap_quality(args):
    """The issue's UMAP quality: trustworthiness@15 on a fixed 5k subsample (numpy
    default_rng(0), as sklearn-evaluate) and the accuracy of a 10-NN classifier trained on the
    embedding of rows < --train-rows and tested on the rest (or on --test-embedding)."""
    import numpy as np
    from sklearn.manifold import trustworthiness
    from sklearn.neighbors import KNeighborsClassifier

    X = np.load(args.input, mmap_mode="r")
    L = np.load(args.labels)
    Y = np.load(args.embedding)
    record = {"finite": bool(np.isfinite(Y).all())}
    if args.test_embedding:
        T = np.load(args.test_embedding)
        train_labels, test_labels = L[:args.train_rows], L[args.train_rows:]
        record["finite"] = record["finite"] and bool(np.isfinite(T).all())
    else:
        rows = np.sort(np.random.default_rng(0).choice(X.shape[0], size=min(5000, X.shape[0]), replace=False))
        record["trustworthiness"] = float(trustworthiness(np.asarray(X[rows], dtype=np.float64),
                                                          Y[rows].astype(np.float64), n_neighbors=15))
        Y, T = Y[:args.train_rows], Y[args.train_rows:]
        train_labels, test_labels = L[:args.train_rows], L[args.train_rows:]
    clf = KNeighborsClassifier(n_neighbors=10).fit(Y, train_labels)
    record["knn_accuracy"] = float(clf.score(T, test_labels))
    emit(record)


def run_sklearn_mds(args):
    import warnings

    import numpy as np
    from sklearn.manifold import MDS

    X = np.load(args.input)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        mds = MDS(n_components=2, init=args.init, metric_mds=bool(args.metric_mds), n_init=1, random_state=args.seed)
        Y = mds.fit_transform(X)
    elapsed = time.perf_counter() - t0
    np.save(args.out, np.ascontiguousarray(Y, dtype=np.float32))
    emit({"inproc_seconds": elapsed, "stress_": float(mds.stress_), "n_iter_": int(mds.n_iter_)})


def run_sklearn_isomap(args):
    import numpy as np
    from sklearn.manifold import Isomap

    X = np.load(args.input)
    t0 = time.perf_counter()
    Y = Isomap(n_neighbors=args.neighbors, n_components=2).fit_transform(X)
    elapsed = time.perf_counter() - t0
    np.save(args.out, np.ascontiguousarray(Y, dtype=np.float32))
    emit({"inproc_seconds": elapsed})


def run_mds_stress(args):
    """The stress of an embedding against the rows' euclidean distances, computed the same way
    for every tool: raw sum over pairs of (d - delta)^2 and Kruskal's Stress-1 (metric MDS), or
    Stress-1 against the isotonic fit of the distances on delta (non-metric)."""
    import numpy as np
    from sklearn.isotonic import IsotonicRegression
    from sklearn.metrics import euclidean_distances

    X = np.load(args.input).astype(np.float64)
    Y = np.load(args.embedding).astype(np.float64)
    iu = np.triu_indices(len(X), 1)
    delta = euclidean_distances(X)[iu]
    d = np.sqrt(((Y[iu[0]] - Y[iu[1]]) ** 2).sum(1))
    target = delta if args.metric_mds else IsotonicRegression().fit_transform(delta, d)
    raw = float(((d - target) ** 2).sum())
    emit({"raw_stress": raw, "stress1": float(np.sqrt(raw / (d ** 2).sum())), "finite": bool(np.isfinite(Y).all())})


def run_sklearn_lle(args):
    import numpy as np
    from sklearn.manifold import LocallyLinearEmbedding

    X = np.load(args.input)
    t0 = time.perf_counter()
    lle = LocallyLinearEmbedding(n_neighbors=args.k, n_components=2, random_state=0)
    Y = lle.fit_transform(X)
    elapsed = time.perf_counter() - t0
    np.save(args.out, np.ascontiguousarray(Y, dtype=np.float32))
    emit({"inproc_seconds": elapsed, "reconstruction_error_": float(lle.reconstruction_error_)})


def run_lle_quality(args):
    """Trustworthiness@15 of an embedding on a fixed 5k subsample (numpy default_rng(0))."""
    import numpy as np
    from sklearn.manifold import trustworthiness

    X = np.load(args.input, mmap_mode="r")
    Y = np.load(args.embedding)
    rows = np.sort(np.random.default_rng(0).choice(X.shape[0], size=min(5000, X.shape[0]), replace=False))
    emit({"finite": bool(np.isfinite(Y).all()),
          "trustworthiness": float(trustworthiness(np.asarray(X[rows], dtype=np.float64), Y[rows].astype(np.float64), n_neighbors=15))})


def run_geometry(args):
    """Batched Riemannian geometry on paired rows of --x and --y in one --space: dist(x, y),
    log_x(y), exp_x(log_x(y)), then the Fréchet mean of the first --mean-rows rows of x (start at
    the first row, step 1, at most 100 steps, stop at a step norm of 1e-10), each timed in
    process. Spaces: "poincare" (the ball of curvature -1 in --x's dimension), "sphere" (the unit
    sphere of --x's rows), "spd" (SPD matrices, affine-invariant metric). geomstats 2.8.0 (numpy
    backend: the space's default metric and FrechetMean with its "default" gradient descent) or
    unfold.geometry (PoincareBall, Sphere, SPD, frechet_mean)."""
    import numpy as np

    x, y = np.load(args.x), np.load(args.y)
    record, outputs = {}, {}

    def timed(name, f):
        t0 = time.perf_counter()
        value = f()
        record[f"{name}_seconds"] = time.perf_counter() - t0
        outputs[name] = np.asarray(value)
        return value

    sample = x[: args.mean_rows]
    if args.tool == "geomstats":
        os.environ["GEOMSTATS_BACKEND"] = "numpy"
        # geomstats 2.8.0's numpy backend imports numpy.trapz, which numpy 2.4 (this venv's pin)
        # removed in favour of numpy.trapezoid, the same function; nothing timed here uses it.
        if not hasattr(np, "trapz"):
            np.trapz = np.trapezoid
        from geomstats.learning.frechet_mean import FrechetMean

        if args.space == "poincare":
            from geomstats.geometry.poincare_ball import PoincareBall

            space, dim = PoincareBall(dim=x.shape[1]), x.shape[1]
        elif args.space == "sphere":
            from geomstats.geometry.hypersphere import Hypersphere

            space, dim = Hypersphere(dim=x.shape[1] - 1), x.shape[1] - 1
        else:
            from geomstats.geometry.spd_matrices import SPDMatrices

            space, dim = SPDMatrices(n=x.shape[1]), x.shape[1] * (x.shape[1] + 1) // 2
        timed("dist", lambda: space.metric.dist(x, y))
        v = timed("log", lambda: space.metric.log(y, x))
        timed("exp", lambda: space.metric.exp(v, x))
        est = FrechetMean(space)
        # geomstats stops when the step's squared norm is at most epsilon * dim: the same rule
        # as unfold's "step norm at most 1e-10".
        est.set(max_iter=100, epsilon=1e-20 / dim, init_point=sample[0], init_step_size=1.0)
        timed("mean", lambda: est.fit(sample).estimate_)
    else:
        from unfold import geometry

        if args.space == "poincare":
            space = geometry.PoincareBall(x.shape[1])
        elif args.space == "sphere":
            space = geometry.Sphere(x.shape[1] - 1)
        else:
            space = geometry.SPD(x.shape[1])
        timed("dist", lambda: space.dist(x, y))
        v = timed("log", lambda: space.log(x, y))
        timed("exp", lambda: space.exp(x, v))
        timed("mean", lambda: geometry.frechet_mean(space, sample, max_iter=100, tol=1e-10))
    for name, value in outputs.items():
        np.save(f"{args.out_prefix}_{name}.npy", value)
    emit(record)


def run_geometry_agreement(args):
    """Largest differences between two tools' geometry outputs (--a, --b prefixes)."""
    import numpy as np

    record = {}
    for name in ("dist", "log", "exp", "mean"):
        a, b = np.load(f"{args.a}_{name}.npy"), np.load(f"{args.b}_{name}.npy")
        record[f"max_abs_diff_{name}"] = float(np.max(np.abs(a - b)))
    emit(record)


def run_gensim_poincare(args):
    """gensim's PoincareModel on a TSV of (child, ancestor) edges, scored by its
    ReconstructionEvaluation on the same edges."""
    import numpy as np
    from gensim.models.poincare import PoincareModel, PoincareRelations, ReconstructionEvaluation

    t0 = time.perf_counter()
    model = PoincareModel(PoincareRelations(args.input), size=args.dims, negative=args.negative, seed=args.seed)
    model.train(epochs=args.epochs)
    fit_seconds = time.perf_counter() - t0
    scores = ReconstructionEvaluation(args.input, model.kv).evaluate()
    np.save(args.out, np.ascontiguousarray(model.kv.vectors, dtype=np.float32))
    emit({"inproc_seconds": time.perf_counter() - t0, "fit_seconds": fit_seconds,
          "mean_rank": float(scores["mean_rank"]), "map": float(scores["MAP"])})


def run_scanpy_umap(args):
    """UMAP of an AnnData the scanpy way: scanpy's bundled pbmc68k_reduced (700 cells, its
    .obsm["X_pca"]), or with --input an .npy matrix (first sc.pp.pca / unfold.tl.pca, 50
    components). --tool scanpy: sc.pp.neighbors then sc.tl.umap. --tool unfold with --neighbors
    scanpy: sc.pp.neighbors then unfold.tl.umap on those neighbours; with --neighbors unfold:
    unfold.tl.umap alone (it finds the neighbours), and scanpy is not imported (the data set is
    read with anndata from scanpy's package folder). Saves the embedding and the representation
    the neighbours were found in; prints the in-process seconds of each stage."""
    import importlib.util
    import pathlib

    import numpy as np

    record = {}
    t0 = time.perf_counter()
    use_scanpy = args.tool == "scanpy" or args.neighbors == "scanpy"
    if use_scanpy:
        import scanpy as sc
        import scipy.sparse

        # scanpy 1.11.5 calls getnnz on pynndescent 0.7's csr_array (above 4,096 cells), a
        # method scipy 1.17 has only under its private name.
        if not hasattr(scipy.sparse.csr_array, "getnnz"):
            scipy.sparse.csr_array.getnnz = lambda self, axis=None: self._getnnz(axis=axis)
    import anndata
    if args.tool == "unfold":
        import unfold
    record["import_seconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if args.input:
        adata = anndata.AnnData(np.load(args.input))
    else:
        folder = pathlib.Path(importlib.util.find_spec("scanpy").submodule_search_locations[0])
        adata = anndata.read_h5ad(folder / "datasets" / "10x_pbmc68k_reduced.h5ad")
        for key in ("distances", "connectivities"):
            del adata.obsp[key]
        del adata.uns["neighbors"]
    record["read_seconds"] = time.perf_counter() - t0
    if args.input:
        t0 = time.perf_counter()
        (sc.pp.pca if args.tool == "scanpy" else unfold.tl.pca)(adata)
        record["pca_seconds"] = time.perf_counter() - t0
    if use_scanpy:
        t0 = time.perf_counter()
        sc.pp.neighbors(adata)
        record["neighbors_seconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if args.tool == "scanpy":
        sc.tl.umap(adata)
    else:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the note that unfold.tl.umap finds the neighbours
            unfold.tl.umap(adata)
    record["umap_seconds"] = time.perf_counter() - t0
    np.save(args.out, np.ascontiguousarray(adata.obsm["X_umap"], dtype=np.float32))
    np.save(args.rep, np.ascontiguousarray(adata.obsm["X_pca"], dtype=np.float32))
    record["n"], record["dims"], record["rep_dims"] = int(adata.n_obs), int(adata.n_vars), int(adata.obsm["X_pca"].shape[1])
    emit(record)


def run_embedding_trust(args):
    """scikit-learn's trustworthiness of an embedding against a representation, on all rows (or
    a 5k subsample, numpy default_rng(0), above 5,000)."""
    import numpy as np
    from sklearn.manifold import trustworthiness

    X, Y = np.load(args.input), np.load(args.embedding)
    rows = np.arange(len(X)) if len(X) <= 5000 else np.sort(np.random.default_rng(0).choice(len(X), size=5000, replace=False))
    emit({"trustworthiness": float(trustworthiness(X[rows].astype(np.float64), Y[rows].astype(np.float64), n_neighbors=args.k)),
          "finite": bool(np.isfinite(Y).all())})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("pynndescent")
    p.add_argument("--input", required=True)
    p.add_argument("-k", type=int, default=15)
    p.add_argument("--out", required=True)
    p.add_argument("--warm", action="store_true")
    p.set_defaults(func=run_pynndescent)

    p = sub.add_parser("pynndescent-sparse")
    p.add_argument("--input", required=True)
    p.add_argument("-k", type=int, default=16)
    p.add_argument("--metric", default="cosine")
    p.add_argument("--out", required=True)
    p.set_defaults(func=run_pynndescent_sparse)

    p = sub.add_parser("sklearn-pca")
    p.add_argument("--input", required=True)
    p.add_argument("--dims", type=int, default=2)
    p.add_argument("--out", required=True)
    p.set_defaults(func=run_sklearn_pca)

    p = sub.add_parser("sklearn-srp")
    p.add_argument("--input", required=True)
    p.add_argument("--dims", type=int, default=50)
    p.add_argument("--out", required=True)
    p.set_defaults(func=run_sklearn_srp)

    p = sub.add_parser("sklearn-isomap")
    p.add_argument("--input", required=True)
    p.add_argument("--neighbors", type=int, default=5)
    p.add_argument("--out", required=True)
    p.set_defaults(func=run_sklearn_isomap)

    p = sub.add_parser("sklearn-spectral")
    p.add_argument("--input", required=True)
    p.add_argument("--dims", type=int, default=2)
    p.add_argument("--out", required=True)
    p.set_defaults(func=run_sklearn_spectral)

    p = sub.add_parser("pydiffmap-fit")
    p.add_argument("--input", required=True)
    p.add_argument("--dims", type=int, default=2)
    p.add_argument("-k", type=int, default=64)
    p.add_argument("--out", required=True)
    p.set_defaults(func=run_pydiffmap_fit)

    p = sub.add_parser("ripser")
    p.add_argument("--input", required=True)
    p.add_argument("--maxdim", type=int, default=1)
    p.add_argument("--out", required=True)
    p.set_defaults(func=run_ripser)

    p = sub.add_parser("dse-numpy")
    p.add_argument("--input", required=True)
    p.add_argument("--sigma", type=float, default=10.0)
    p.add_argument("--t", type=int, default=1)
    p.set_defaults(func=run_dse_numpy)

    p = sub.add_parser("ricci-grc")
    p.add_argument("--input", required=True)
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--proc", type=int, default=os.cpu_count())
    p.set_defaults(func=run_ricci_grc)

    p = sub.add_parser("skdim-id")
    p.add_argument("--input", required=True)
    p.add_argument("--estimator", required=True, choices=["twonn", "mle", "lpca", "corrint", "mada", "ess", "mind_ml", "danco"])
    p.set_defaults(func=run_skdim_id)

    p = sub.add_parser("opentsne-fit")
    p.add_argument("--input", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=run_opentsne_fit)

    p = sub.add_parser("sklearn-tsne")
    p.add_argument("--input", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=run_sklearn_tsne)

    p = sub.add_parser("opentsne-transform")
    p.add_argument("--fit", required=True)
    p.add_argument("--new", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--out-ref", required=True)
    p.set_defaults(func=run_opentsne_transform)

    p = sub.add_parser("tsne-transform-quality")
    for name in ("--fit", "--new", "--ref", "--embedding"):
        p.add_argument(name, required=True)
    p.set_defaults(func=run_tsne_transform_quality)
    p = sub.add_parser("phate-fit")
    p.add_argument("--input", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=run_phate_fit)

    p = sub.add_parser("heatgeo-fit")
    p.add_argument("--input", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--knn", type=int, default=5)
    p.add_argument("--tau", default="auto")
    p.set_defaults(func=run_heatgeo_fit)

    p = sub.add_parser("tsne-quality")
    p.add_argument("--input", required=True)
    p.add_argument("--embedding", required=True)
    p.set_defaults(func=run_tsne_quality)

    p = sub.add_parser("spectral-agreement")
    p.add_argument("--input", required=True)
    p.add_argument("--embedding", required=True)
    p.add_argument("--reference", required=True)
    p.set_defaults(func=run_spectral_agreement)

    p = sub.add_parser("distortion")
    p.add_argument("--input", required=True)
    p.add_argument("--embedding", required=True)
    p.set_defaults(func=run_distortion)

    p = sub.add_parser("sklearn-exact-knn")
    p.add_argument("--input", required=True)
    p.add_argument("-k", type=int, default=15)
    p.add_argument("--queries", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--distances", required=True)
    p.set_defaults(func=run_sklearn_exact_knn)

    p = sub.add_parser("sklearn-evaluate")
    p.add_argument("--input", required=True)
    p.add_argument("--embedding", required=True)
    p.add_argument("--labels")
    p.add_argument("-k", type=int, default=15)
    p.add_argument("--sample", type=int, default=5000)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run_sklearn_evaluate)

    p = sub.add_parser("umap-fit")
    p.add_argument("--input", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--warm", action="store_true")
    p.add_argument("--output-metric", default="euclidean")
    p.set_defaults(func=run_umap_fit)

    p = sub.add_parser("output-trust")
    p.add_argument("--input", required=True)
    p.add_argument("--embedding", required=True)
    p.add_argument("--output-metric", required=True)
    p.add_argument("-k", type=int, default=15)
    p.add_argument("--sample", type=int, default=5000)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run_output_trust)

    p = sub.add_parser("umap-transform")
    p.add_argument("--input", required=True)
    p.add_argument("--train-rows", type=int, default=60000)
    p.add_argument("--out-train", required=True)
    p.add_argument("--out-test", required=True)
    p.set_defaults(func=run_umap_transform)

    p = sub.add_parser("umap-quality")
    p.add_argument("--input", required=True)
    p.add_argument("--labels", required=True)
    p.add_argument("--embedding", required=True)
    p.add_argument("--test-embedding")
    p.add_argument("--train-rows", type=int, default=60000)
    p.set_defaults(func=run_umap_quality)

    p = sub.add_parser("sklearn-mds")
    p.add_argument("--input", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--init", default="random")
    p.add_argument("--metric-mds", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run_sklearn_mds)

    p = sub.add_parser("gensim-poincare")
    p.add_argument("--input", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--dims", type=int, default=10)
    p.add_argument("--negative", type=int, default=10)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run_gensim_poincare)

    p = sub.add_parser("sklearn-lle")
    p.add_argument("--input", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("-k", type=int, default=10)
    p.set_defaults(func=run_sklearn_lle)

    p = sub.add_parser("lle-quality")
    p.add_argument("--input", required=True)
    p.add_argument("--embedding", required=True)
    p.set_defaults(func=run_lle_quality)

    p = sub.add_parser("mds-stress")
    p.add_argument("--input", required=True)
    p.add_argument("--embedding", required=True)
    p.add_argument("--metric-mds", type=int, default=1)
    p.set_defaults(func=run_mds_stress)

    p = sub.add_parser("geometry")
    p.add_argument("--tool", required=True, choices=["geomstats", "unfold"])
    p.add_argument("--space", required=True, choices=["poincare", "sphere", "spd"])
    p.add_argument("--x", required=True)
    p.add_argument("--y", required=True)
    p.add_argument("--mean-rows", type=int, required=True)
    p.add_argument("--out-prefix", required=True)
    p.set_defaults(func=run_geometry)

    p = sub.add_parser("scanpy-umap")
    p.add_argument("--tool", choices=["scanpy", "unfold"], required=True)
    p.add_argument("--neighbors", choices=["scanpy", "unfold"], default="scanpy")
    p.add_argument("--input")
    p.add_argument("--out", required=True)
    p.add_argument("--rep", required=True)
    p.set_defaults(func=run_scanpy_umap)

    p = sub.add_parser("embedding-trust")
    p.add_argument("--input", required=True)
    p.add_argument("--embedding", required=True)
    p.add_argument("-k", type=int, default=15)
    p.set_defaults(func=run_embedding_trust)

    p = sub.add_parser("coranking-numpy")
    p.add_argument("--input", required=True)
    p.add_argument("--embedding", required=True)
    p.add_argument("-k", type=int, default=15)
    p.set_defaults(func=run_coranking_numpy)

    p = sub.add_parser("geometry-agreement")
    p.add_argument("--a", required=True)
    p.add_argument("--b", required=True)
    p.set_defaults(func=run_geometry_agreement)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
