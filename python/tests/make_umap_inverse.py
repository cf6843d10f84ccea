"""Reference behaviour of umap-learn's ``UMAP.inverse_transform`` on scikit-learn's digits.

Generated with
    Python 3.11, numpy 2.4.6, scikit-learn 1.9.1, umap-learn 0.5.12

To regenerate (from the repository root), in the test environment:

    .venv/bin/python python/tests/make_umap_inverse.py

umap-learn is fitted on the 1,797 digits (64 pixel values 0–16) with its defaults and
random_state 0..2. Each library's embedding differs, so ``test_umap_inverse.py`` compares
quantities measured on each library's own embedding, computed here by the same functions the
test imports (``inverse_scores``):

- ``train``: every 45th training point's embedded coordinates are mapped back; for each, the
  distance of its inverse image to the training row, relative to the row's distance to the mean
  of the data (the plain mean of the data scores 1), and whether the training row is among the
  10 nearest training rows of the inverse image.
- ``grid``: a 12 × 12 grid spanning 5 %–95 % of the embedding's bounding box is mapped back;
  for each grid point, whether the label of its nearest embedded point equals the label of the
  training row nearest its inverse image (1-NN in data space). The agreement is recorded
  separately for the grid points inside the embedding's convex hull and outside it: outside,
  umap-learn maps from an arbitrary simplex (scipy's ``find_simplex`` returns -1 and umap-learn
  indexes the last simplex), and its agreement there is near 0.

The script records, per seed, the median relative distance, the fraction of training rows found
among the 10 nearest, and the grid's label agreement inside and outside the hull.
"""
import json
import pathlib

import numpy as np
from scipy.spatial import Delaunay
from sklearn.datasets import load_digits
from sklearn.neighbors import NearestNeighbors

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "umap_inverse_reference.json"
TRAIN_STEP = 45
GRID = 12
SEEDS = (0, 1, 2)


def grid_points(embedding):
    """A GRID × GRID grid over 5 %–95 % of the embedding's bounding box (float32)."""
    lo, hi = embedding.min(axis=0), embedding.max(axis=0)
    axes = [np.linspace(lo[c] + 0.05 * (hi[c] - lo[c]), hi[c] - 0.05 * (hi[c] - lo[c]), GRID) for c in range(2)]
    gx, gy = np.meshgrid(*axes)
    return np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)


def inverse_scores(X, labels, embedding, inverse):
    """The summary numbers of one fitted model; ``inverse(points)`` maps embedding points back."""
    X = np.asarray(X, dtype=np.float64)
    data_nn = NearestNeighbors(n_neighbors=10).fit(X)
    idx = np.arange(0, X.shape[0], TRAIN_STEP)
    back = np.asarray(inverse(embedding[idx]), dtype=np.float64)
    mean = X.mean(axis=0)
    rel = np.linalg.norm(back - X[idx], axis=1) / np.linalg.norm(X[idx] - mean, axis=1)
    near = data_nn.kneighbors(back, return_distance=False)
    self_found = np.mean([i in row for i, row in zip(idx, near)])

    grid = grid_points(embedding)
    inside = Delaunay(embedding).find_simplex(grid) >= 0
    emb_label = labels[NearestNeighbors(n_neighbors=1).fit(embedding).kneighbors(grid, return_distance=False)[:, 0]]
    back = np.asarray(inverse(grid), dtype=np.float64)
    data_label = labels[data_nn.kneighbors(back, n_neighbors=1, return_distance=False)[:, 0]]
    agree = emb_label == data_label
    return {
        "train_median_relative_distance": float(np.median(rel)),
        "train_self_in_10nn": float(self_found),
        "grid_inside_hull": float(np.mean(inside)),
        "grid_label_agreement_inside": float(np.mean(agree[inside])),
        "grid_label_agreement_outside": float(np.mean(agree[~inside])) if (~inside).any() else None,
    }


def main():
    import umap

    digits = load_digits()
    X, labels = digits.data.astype(np.float32), digits.target
    runs = {}
    for seed in SEEDS:
        model = umap.UMAP(random_state=seed).fit(X)
        runs[str(seed)] = inverse_scores(X, labels, model.embedding_, model.inverse_transform)
        print(seed, runs[str(seed)], flush=True)
    OUT.write_text(json.dumps({"umap_learn": "0.5.12", "seeds": runs}, indent=1) + "\n")


if __name__ == "__main__":
    main()
