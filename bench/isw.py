#!/usr/bin/env python3
"""Intrinsic sliced Wasserstein distance: unfold against a plain numpy/scipy implementation.

A 2,000-point swiss roll, its symmetric 10-NN connectivity graph (scikit-learn, exact), the
20 smallest non-zero eigenpairs of D - W, and the 200 x 200 distance matrix of 200
distributions (100 dense Dirichlet histograms, 100 samples of 50 points). The numpy side:
scipy.linalg.eigh of the dense Laplacian (subset of eigenvalues), then per pair and eigenvector
the exact 1-D W2 on the merged cumulative masses (sorted supports and cumulative sums prepared
once per distribution). Both sides get the same graph; unfold is also timed on the points.

Run with the repository's test venv (the wheel installed): .venv/bin/python bench/isw.py
Prints one JSON line per measurement.
"""

import json
import time

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from sklearn.datasets import make_swiss_roll
from sklearn.neighbors import kneighbors_graph

from unfold.geometry import IntrinsicSlicedWasserstein

N, K, L, M = 2000, 10, 20, 200


def numpy_isw(adjacency, dists):
    t0 = time.perf_counter()
    w = adjacency.toarray()
    vals, vecs = scipy.linalg.eigh(np.diag(w.sum(1)) - w, subset_by_index=[1, L])
    alpha = vals ** -2.0
    t1 = time.perf_counter()
    prepared = []
    for d in dists:
        p = d / d.sum()
        support = np.flatnonzero(p)
        rows = []
        for l in range(L):
            x = vecs[support, l]
            o = np.argsort(x, kind="stable")
            rows.append((x[o], np.cumsum(p[support][o])))
        prepared.append(rows)
    out = np.zeros((len(dists), len(dists)))
    for i in range(len(dists)):
        for j in range(i + 1, len(dists)):
            total = 0.0
            for l in range(L):
                (xa, ca), (xb, cb) = prepared[i][l], prepared[j][l]
                ts = np.unique(np.clip(np.concatenate(([0.0, 1.0], ca, cb)), 0.0, 1.0))
                mid = 0.5 * (ts[1:] + ts[:-1])
                qa = xa[np.minimum(np.searchsorted(ca, mid), len(xa) - 1)]
                qb = xb[np.minimum(np.searchsorted(cb, mid), len(xb) - 1)]
                total += alpha[l] * np.sum(np.diff(ts) * (qa - qb) ** 2)
            out[i, j] = out[j, i] = np.sqrt(total)
    t2 = time.perf_counter()
    return out, t1 - t0, t2 - t1, vals


def main():
    x, _ = make_swiss_roll(N, noise=0.05, random_state=0)
    a = kneighbors_graph(x, K, mode="connectivity", include_self=False)
    a = a.maximum(a.T).tocsr()
    rng = np.random.default_rng(0)
    dists = np.zeros((M, N))
    dists[: M // 2] = rng.dirichlet(np.full(N, 0.5), size=M // 2)
    for r in range(M // 2, M):
        centre = rng.integers(N)
        near = np.argsort(np.linalg.norm(x - x[centre], axis=1))[:200]
        np.add.at(dists[r], rng.choice(near, 50), 1.0)

    ref, eig_s, pairs_s, ref_vals = numpy_isw(a, dists)
    print(json.dumps({"tool": "numpy/scipy", "n": N, "m": M, "eigen_seconds": round(eig_s, 3), "pairwise_seconds": round(pairs_s, 3)}))

    t0 = time.perf_counter()
    isw = IntrinsicSlicedWasserstein(L, n_jobs=None, random_state=0).fit(a)
    t1 = time.perf_counter()
    d = isw.pairwise(dists)
    t2 = time.perf_counter()
    off = ~np.eye(M, dtype=bool)
    rel = float(np.max(np.abs(d[off] - ref[off]) / ref[off]))
    eig_rel = float(np.max(np.abs(isw.eigenvalues_ - ref_vals) / ref_vals))
    print(json.dumps({"tool": "unfold (graph)", "n": N, "m": M, "eigen_seconds": round(t1 - t0, 3), "pairwise_seconds": round(t2 - t1, 3),
                      "max_rel_diff_distances": rel, "max_rel_diff_eigenvalues": eig_rel}))
    for threads in (1, 2):
        t0 = time.perf_counter()
        one = IntrinsicSlicedWasserstein(L, n_jobs=threads, random_state=0).fit(a)
        t1 = time.perf_counter()
        d1 = one.pairwise(dists)
        t2 = time.perf_counter()
        print(json.dumps({"tool": f"unfold (graph, {threads} thread{'s' if threads > 1 else ''})", "eigen_seconds": round(t1 - t0, 3),
                          "pairwise_seconds": round(t2 - t1, 3), "identical_to_default": bool(np.array_equal(d1, d))}))
    t0 = time.perf_counter()
    pts = IntrinsicSlicedWasserstein(L, n_neighbors=K, random_state=0).fit(x)
    t1 = time.perf_counter()
    dp = pts.pairwise(dists)
    t2 = time.perf_counter()
    print(json.dumps({"tool": "unfold (points, own kNN)", "fit_seconds": round(t1 - t0, 3), "pairwise_seconds": round(t2 - t1, 3),
                      "max_rel_diff_vs_numpy": float(np.max(np.abs(dp[off] - ref[off]) / ref[off]))}))


if __name__ == "__main__":
    main()
