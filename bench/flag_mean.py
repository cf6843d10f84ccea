#!/usr/bin/env python3
"""Chordal flag mean and median: unfold.geometry against the plain numpy implementation of the
paper's algorithms in crates/unfold-learn/tests/fixtures/make_flag_mean_fixtures.py.

Run from the repository root with a Python that has unfold and numpy installed:

    .venv/bin/python bench/flag_mean.py [--points 1000] [--repeat 3]

Data: --points noisy flags of Flag(10; 1, 2, 3) (Q factors of centre + 0.25 N(0, 1), numpy
default_rng(0)). Each tool is timed in this process (best of --repeat, after one warm-up call),
and the results are compared by the largest gap between the projectors onto the nested
subspaces. One JSON line per measurement on stdout.
"""

import argparse
import importlib.util
import json
import pathlib
import time

import numpy as np

from unfold.geometry import flag_mean, flag_median

REPO = pathlib.Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("ref", REPO / "crates/unfold-learn/tests/fixtures/make_flag_mean_fixtures.py")
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)


def flag_gap(a, b, signature):
    return max(float(np.abs(a[:, :d] @ a[:, :d].T - b[:, :d] @ b[:, :d].T).max()) for d in signature)


def best(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n, sig = 10, [1, 2, 3]
    rng = np.random.default_rng(0)
    center = ref.qf(rng.standard_normal((n, sig[-1])))
    X = ref.noisy_flags(rng, center, args.points, 0.25)
    w = np.ones(len(X))

    rows = []
    t_np, y_np = best(lambda: ref.mean_rsd(X, sig, w, tol=1e-10), args.repeat)
    rows.append({"task": "flag_mean", "tool": "numpy-reference", "seconds": t_np})
    for jobs in (1, 2):
        t, y = best(lambda: flag_mean(X, sig, n_jobs=jobs), args.repeat)
        rows.append({"task": "flag_mean", "tool": f"unfold n_jobs={jobs}", "seconds": t, "gap": flag_gap(y, y_np, sig)})
    t_np, m_np = best(lambda: ref.median_irls(X, sig, None, conv_eps=1e-6), args.repeat)
    rows.append({"task": "flag_median", "tool": "numpy-reference", "seconds": t_np})
    for jobs in (1, 2):
        t, m = best(lambda: flag_median(X, sig, conv_eps=1e-6, n_jobs=jobs, return_all=True), args.repeat)
        rows.append({"task": "flag_median", "tool": f"unfold n_jobs={jobs}", "seconds": t, "gap": flag_gap(m.point, m_np, sig),
                     "n_iter": m.n_iter})
    for r in rows:
        print(json.dumps({"points": args.points, "n": n, "signature": sig, **r}))


if __name__ == "__main__":
    main()
