#!/usr/bin/env python3
"""Benchmark `unfold` against peer libraries on MNIST (70,000 x 784).

Run from the repository root:

    python3 bench/run.py [--tasks knn,pca,evaluate] [--repeat N] [--n N]

Every measured run is its own process ("cold": interpreter start, imports and
data loading included) timed by wall clock, with its peak resident set size.
One JSON line per run goes to stdout (and is appended to
bench/out/results.jsonl); progress messages go to stderr. See bench/README.md.

The script bootstraps bench/.venv from bench/requirements.txt on first use and
re-executes itself inside it.
"""

import argparse
import gzip
import hashlib
import json
import os
import pathlib
import shutil
import statistics
import struct
import subprocess
import sys
import time

BENCH = pathlib.Path(__file__).resolve().parent
REPO = BENCH.parent
VENV = BENCH / ".venv"
REQUIREMENTS = BENCH / "requirements.txt"
REQUIREMENTS_NODEPS = BENCH / "requirements-nodeps.txt"
PEERS = BENCH / "peers.py"
OUT = BENCH / "out"
LOGS = OUT / "logs"
MNIST_ROWS = 70000
ALL_TASKS = ("knn", "pca", "evaluate", "umap", "umap_transform", "umap_scale", "random_projection", "spectral", "mds",
             "diffusion", "intrinsic_dim", "lle", "isomap", "isomap_70k", "tsne", "tsne_70k", "topology",
             "manifold", "entropy", "curvature", "phate", "phate_70k", "phate_swissroll", "scanpy_pbmc", "sparse_knn", "heatgeo", "heatgeo_10k", "hde",
             "poincare_wordnet", "umap_hyperbolic", "coranking")
# Rows of the spectral task: scikit-learn's default n_neighbors is n/10, so at 70,000 rows its
# graph has 490 million entries; the task runs on the first 10,000 (1,000 neighbours each).
SPECTRAL_ROWS = 10000
# The intrinsic_dim task's estimators (scikit-dimension's classes in peers.py skdim-id).
ID_ESTIMATORS = ("twonn", "mle", "lpca", "corrint", "mada", "ess", "mind_ml", "danco")
DEFAULT_TASKS = ("knn", "pca", "evaluate", "umap", "umap_transform")

# A child forked from a large parent inherits the parent's resident pages in
# its ru_maxrss (Linux keeps the old mm's high-water mark across exec), so
# the peak RSS is read from a small intermediate process: GNU time when it
# exists, else this launcher.
RSS_LAUNCHER = """
import os, subprocess, sys
p = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(p.pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- environment

def venv_python():
    return VENV / "bin" / "python"


def requirements_digest():
    return hashlib.sha256(REQUIREMENTS.read_bytes() + REQUIREMENTS_NODEPS.read_bytes()).hexdigest()


def ensure_venv():
    """Create bench/.venv and install the pinned peers, unless already done."""
    stamp = VENV / ".requirements.sha256"
    if venv_python().exists() and stamp.exists() and stamp.read_text().strip() == requirements_digest():
        return
    if not venv_python().exists():
        log(f"creating {VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    log(f"installing {REQUIREMENTS.name} into {VENV}")
    subprocess.run([str(venv_python()), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)],
                   check=True)
    subprocess.run([str(venv_python()), "-m", "pip", "install", "--quiet", "--no-deps", "-r", str(REQUIREMENTS_NODEPS)],
                   check=True)
    stamp.write_text(requirements_digest() + "\n")


def running_in_venv():
    return pathlib.Path(sys.prefix).resolve() == VENV.resolve()


def package_versions():
    from importlib import metadata

    versions = {}
    for name in ("numpy", "scikit-learn", "pynndescent", "umap-learn", "numba"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


# ----------------------------------------------------------------------- data

def read_idx(path):
    """Read a gzipped IDX file (the MNIST distribution format) as uint8."""
    import numpy as np

    with gzip.open(path, "rb") as f:
        raw = f.read()
    (magic,) = struct.unpack(">I", raw[:4])
    if magic >> 8 != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {magic:#x})")
    ndim = magic & 0xFF
    shape = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def cached_ok(path, shape, dtype):
    import numpy as np

    if not path.exists():
        return False
    try:
        array = np.load(path, mmap_mode="r")
    except ValueError:
        return False
    return array.shape == shape and array.dtype == dtype and array.flags.c_contiguous


def prepare_data(data_dir, n):
    """Return (X path, labels path, n) for the first n MNIST rows, train first."""
    import numpy as np

    OUT.mkdir(parents=True, exist_ok=True)
    x_full, y_full = OUT / "mnist70k.npy", OUT / "mnist70k_labels.npy"
    if not (cached_ok(x_full, (MNIST_ROWS, 784), np.float32)
            and cached_ok(y_full, (MNIST_ROWS,), np.int64)):
        log(f"converting MNIST from {data_dir}")
        parts = [(data_dir / f"{p}-images.idx3-ubyte.gz", data_dir / f"{p}-labels.idx1-ubyte.gz")
                 for p in ("train", "t10k")]
        images = np.concatenate([read_idx(i).reshape(-1, 784) for i, _ in parts])
        labels = np.concatenate([read_idx(lab) for _, lab in parts])
        assert images.shape == (MNIST_ROWS, 784) and labels.shape == (MNIST_ROWS,)
        np.save(x_full, np.ascontiguousarray(images, dtype=np.float32))
        np.save(y_full, labels.astype(np.int64))
    if n == MNIST_ROWS:
        return x_full, y_full
    x_sub, y_sub = OUT / f"mnist_first{n}.npy", OUT / f"mnist_first{n}_labels.npy"
    if not (cached_ok(x_sub, (n, 784), np.float32) and cached_ok(y_sub, (n,), np.int64)):
        np.save(x_sub, np.ascontiguousarray(np.load(x_full, mmap_mode="r")[:n]))
        np.save(y_sub, np.ascontiguousarray(np.load(y_full, mmap_mode="r")[:n]))
    return x_sub, y_sub


# ---------------------------------------------------------------- measurement

def gnu_time():
    path = shutil.which("time", path="/usr/bin:/bin")
    if path is None:
        return None
    probe = OUT / ".time-probe"
    r = subprocess.run([path, "-f", "%M", "-o", str(probe), "true"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ok = r.returncode == 0 and probe.exists() and probe.read_text().strip().isdigit()
    probe.unlink(missing_ok=True)
    return path if ok else None


class Runner:
    """Runs one command as its own process: wall time, peak RSS, exit code."""

    def __init__(self, env_extra):
        self.time_path = gnu_time()
        self.rss_method = "gnu-time" if self.time_path else "wait4-launcher"
        self.env = dict(os.environ, **env_extra)
        LOGS.mkdir(parents=True, exist_ok=True)

    def __call__(self, cmd, name):
        cmd = [str(c) for c in cmd]
        rss_file = LOGS / f"{name}.maxrss"
        rss_file.unlink(missing_ok=True)
        if self.time_path:
            argv = [self.time_path, "-f", "%M", "-o", str(rss_file), *cmd]
        else:
            argv = [sys.executable, "-I", "-S", "-c", RSS_LAUNCHER, str(rss_file), *cmd]
        log("$ " + " ".join(cmd))
        stdout_path, stderr_path = LOGS / f"{name}.stdout", LOGS / f"{name}.stderr"
        with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
            start = time.perf_counter()
            try:
                child = subprocess.Popen(argv, stdout=out, stderr=err, env=self.env)
            except OSError as e:
                return {"returncode": None, "error": str(e), "stdout": "", "stderr": ""}
            _, status, _ = os.wait4(child.pid, 0)
            seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        rss_lines = rss_file.read_text().split() if rss_file.exists() else []
        rss_kib = int(rss_lines[-1]) if rss_lines and rss_lines[-1].isdigit() else None
        return {
            "returncode": child.returncode,
            "seconds": seconds,
            "peak_rss_mb": None if rss_kib is None else rss_kib / 1024.0,
            "stdout": stdout_path.read_text(errors="replace"),
            "stderr": stderr_path.read_text(errors="replace"),
        }


def last_json_object(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


# -------------------------------------------------------------------- quality

def neighbour_recall(approx, exact, k):
    """Mean over rows of |approx_i ∩ exact_i| / k (approx rows may be ragged)."""
    hits = sum(len(set(a).intersection(e)) for a, e in zip(approx, exact))
    return hits / (k * len(exact))


def drop_self(indices):
    """Rows of a self-inclusive kNN list with the point itself removed.

    A row that does not contain its own index (an exact duplicate can take
    its place) is kept whole.
    """
    return [[j for j in row if j != i] for i, row in enumerate(indices.tolist())]


def exact_check(X, queries, unfold_rows, sklearn_rows, k):
    """Compare unfold's exact rows with sklearn's brute force on query rows.

    The strict score counts shared indices; the tie-tolerant one counts an
    unfold neighbour as right when its float64 distance is at most the k-th
    true distance (MNIST pixels are integers, so distances tie exactly).
    """
    import numpy as np

    strict = neighbour_recall(unfold_rows.tolist(), sklearn_rows.tolist(), k)
    Xq = X[queries].astype(np.float64)
    d_unfold = np.sqrt(((X[unfold_rows].astype(np.float64) - Xq[:, None, :]) ** 2).sum(-1))
    d_sklearn = np.sqrt(((X[sklearn_rows].astype(np.float64) - Xq[:, None, :]) ** 2).sum(-1))
    kth = d_sklearn.max(axis=1, keepdims=True)
    tolerant = float(np.mean(d_unfold <= kth * (1 + 1e-12)))
    return strict, tolerant


def pearson_abs(a, b):
    import numpy as np

    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    return np.abs((a * b).sum(0) / np.sqrt((a * a).sum(0) * (b * b).sum(0)))


# ---------------------------------------------------------------------- tasks

class Bench:
    def __init__(self, args):
        import numpy as np

        self.args = args
        self.n = args.n
        self.k = 15
        self.suffix = "" if args.n == MNIST_ROWS else f"_n{args.n}"
        self.X_path, self.labels_path = prepare_data(args.data, args.n)
        self.X = np.load(self.X_path, mmap_mode="r")
        self.dims = int(self.X.shape[1])
        env_extra = {}
        if args.threads:
            for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                        "RAYON_NUM_THREADS"):
                env_extra[var] = str(args.threads)
        self.run = Runner(env_extra)
        self.unfold = None
        self.unfold_reason = None
        self.records = []
        self.results_file = pathlib.Path(args.jsonl) if args.jsonl else OUT / "results.jsonl"

    # -- helpers
    def out(self, stem):
        return OUT / f"{stem}{self.suffix}.npy"

    def emit(self, record):
        line = json.dumps(record)
        print(line, flush=True)
        with open(self.results_file, "a") as f:
            f.write(line + "\n")
        self.records.append(record)

    def base(self, tool, task, variant, repeat):
        return {"tool": tool, "task": task, "variant": variant, "n": self.n, "dims": self.dims,
                "repeat": repeat, "threads": self.args.threads or os.cpu_count()}

    def measured(self, record, result, outputs=()):
        """Fill seconds/RSS/status into record; False if the run failed."""
        record["seconds"] = result.get("seconds")
        record["peak_rss_mb"] = result.get("peak_rss_mb")
        if result["returncode"] != 0:
            tail = (result.get("error") or result["stderr"]).strip().splitlines()[-3:]
            record.update(status="failed", reason=f"exit code {result['returncode']}: " + " | ".join(tail))
            return False
        missing = [str(p) for p in outputs if not pathlib.Path(p).exists()]
        if missing:
            record.update(status="failed", reason="exit code 0 but no output written: " + ", ".join(missing))
            return False
        record["status"] = "ok"
        return True

    def skipped(self, tool, task, variant, reason):
        record = self.base(tool, task, variant, None)
        record.update(seconds=None, peak_rss_mb=None, status="skipped", reason=reason)
        self.emit(record)

    def peer(self, *args):
        return [venv_python(), PEERS, *args]

    def unfold_cmd(self, *args):
        cmd = [self.unfold, *args]
        if self.args.threads and args[0] == "neighbors":
            cmd += ["--threads", self.args.threads]
        return cmd

    def locate_unfold(self):
        path = pathlib.Path(self.args.unfold) if self.args.unfold else REPO / "target" / "release" / "unfold"
        if not path.exists():
            if self.args.unfold:
                self.unfold_reason = f"{path} does not exist (--unfold)"
            elif self.args.no_build:
                self.unfold_reason = f"{path} missing (--no-build)"
            elif shutil.which("cargo") is None:
                self.unfold_reason = f"{path} missing and cargo not found"
            else:
                log("unfold binary missing: cargo build --release -p unfold-cli")
                subprocess.run(["cargo", "build", "--release", "-p", "unfold-cli"], cwd=REPO)
                self.unfold_reason = f"{path} missing after cargo build"
        if path.exists():
            self.unfold, self.unfold_reason = path.resolve(), None
        else:
            log(f"skipping unfold runs: {self.unfold_reason}")

    def prime_numba_cache(self):
        """Untimed pynndescent run so numba's on-disk cache is populated.

        Without it the first "cold" run would also pay one-off compilation
        that later runs load from disk.
        """
        import numpy as np

        prime = OUT / "prime.npy"
        np.save(prime, np.random.default_rng(0).random((2000, self.dims)).astype(np.float32))
        log("priming numba cache (untimed)")
        self.run(self.peer("pynndescent", "--input", prime, "-k", self.k, "--out", OUT / "prime_knn.npy"),
                 "prime")

    # -- knn
    def task_knn(self):
        import numpy as np

        k, n = self.k, self.n
        exact_path, exact_d = self.out("exact_knn"), self.out("exact_knn_d")
        ground_truth, truth_source = None, None

        if self.unfold:
            for r in range(self.args.repeat):
                for p in (exact_path, exact_d):
                    p.unlink(missing_ok=True)
                rec = self.base("unfold", "knn", "exact", r)
                res = self.run(self.unfold_cmd("neighbors", self.X_path, "-k", k, "--exact", "-o", exact_path,
                                               "--distances", exact_d, "--seed", 42, "--quiet"),
                               f"unfold_knn_exact{self.suffix}_r{r}")
                if self.measured(rec, res, [exact_path]):
                    ground_truth, truth_source = exact_path, "unfold-exact"
                    rec.update(self.exact_check(exact_path))
                self.emit(rec)
        else:
            self.skipped("unfold", "knn", "exact", self.unfold_reason)

        if ground_truth is None:
            log("no exact kNN from unfold: computing the ground truth with sklearn brute force")
            queries = OUT / f"all_rows{self.suffix}.npy"
            np.save(queries, np.arange(n, dtype=np.int64))
            truth = self.out("sklearn_exact_knn")
            rec = self.base("sklearn", "knn", "exact-brute", 0)
            res = self.run(self.peer("sklearn-exact-knn", "--input", self.X_path, "-k", k, "--queries", queries,
                                     "--out", truth, "--distances", self.out("sklearn_exact_knn_d")),
                           f"sklearn_knn_exact{self.suffix}")
            if self.measured(rec, res, [truth]):
                ground_truth, truth_source = truth, "sklearn-brute"
            self.emit(rec)
        exact = np.load(ground_truth).tolist() if ground_truth else None

        if self.unfold:
            approx_path, approx_d = self.out("unfold_knn"), self.out("unfold_knn_d")
            for r in range(self.args.repeat):
                for p in (approx_path, approx_d):
                    p.unlink(missing_ok=True)
                rec = self.base("unfold", "knn", "approx", r)
                res = self.run(self.unfold_cmd("neighbors", self.X_path, "-k", k, "-o", approx_path,
                                               "--distances", approx_d, "--seed", 42, "--quiet"),
                               f"unfold_knn{self.suffix}_r{r}")
                if self.measured(rec, res, [approx_path]) and exact is not None:
                    approx = np.load(approx_path)
                    rec.update(k=k, recall=neighbour_recall(approx.tolist(), exact, k),
                               ground_truth=truth_source)
                self.emit(rec)
        else:
            self.skipped("unfold", "knn", "approx", self.unfold_reason)

        if not self.args.no_prime:
            self.prime_numba_cache()
        pynn_path = self.out("pynndescent_knn")
        for variant in ("cold", "warm"):
            for r in range(self.args.repeat):
                pynn_path.unlink(missing_ok=True)
                rec = self.base("pynndescent", "knn", variant, r)
                extra = ["--warm"] if variant == "warm" else []
                res = self.run(self.peer("pynndescent", "--input", self.X_path, "-k", k, "--out", pynn_path,
                                         *extra),
                               f"pynndescent_knn_{variant}{self.suffix}_r{r}")
                if self.measured(rec, res, [pynn_path]):
                    info = last_json_object(res["stdout"]) or {}
                    if variant == "warm":
                        # The headline time is the in-process NNDescent call;
                        # the whole process is kept beside it.
                        rec["process_seconds"] = rec["seconds"]
                        rec["seconds"] = info.get("inproc_seconds")
                        rec["warmup_seconds"] = info.get("warmup_seconds")
                    else:
                        rec["inproc_seconds"] = info.get("inproc_seconds")
                    if exact is not None:
                        rec.update(self.pynndescent_quality(np.load(pynn_path), exact, truth_source))
                self.emit(rec)

    def exact_check(self, exact_path):
        """exact_check_recall: unfold --exact vs sklearn brute on 1,000 rows."""
        import numpy as np

        queries_path = OUT / f"exact_check_queries{self.suffix}.npy"
        queries = np.sort(np.random.default_rng(0).choice(self.n, size=min(1000, self.n), replace=False))
        np.save(queries_path, queries.astype(np.int64))
        check = self.out("exact_check_sklearn")
        res = self.run(self.peer("sklearn-exact-knn", "--input", self.X_path, "-k", self.k,
                                 "--queries", queries_path, "--out", check,
                                 "--distances", self.out("exact_check_sklearn_d")),
                       f"sklearn_exact_check{self.suffix}")
        if res["returncode"] != 0 or not check.exists():
            return {"exact_check_recall": None, "exact_check_error": res["stderr"].strip()[-300:]}
        unfold_rows = np.load(exact_path)[queries]
        strict, tolerant = exact_check(self.X, queries, unfold_rows, np.load(check), self.k)
        return {"k": self.k, "exact_check_recall": strict, "exact_check_recall_tie_tolerant": tolerant,
                "exact_check_queries": int(len(queries))}

    def pynndescent_quality(self, indices, exact, truth_source):
        """Recall of pynndescent's neighbours with the point itself removed.

        NNDescent(n_neighbors=15) lists the point itself first, so it returns
        14 other points: `recall` (over 15, as for unfold) is then at most
        14/15; `recall_k14` compares the first 14 others with the 14 nearest
        true neighbours, like for like.
        """
        k = self.k
        others = drop_self(indices)
        self_first = sum(1 for i, row in enumerate(indices.tolist()) if row[0] == i) / len(indices)
        return {
            "k": k,
            "recall": neighbour_recall(others, exact, k),
            "recall_k14": neighbour_recall([row[:k - 1] for row in others], [e[:k - 1] for e in exact], k - 1),
            "self_first_fraction": self_first,
            "ground_truth": truth_source,
        }

    # -- pca
    def task_pca(self):
        import numpy as np

        sk_path = self.out("sklearn_pca")
        for r in range(self.args.repeat):
            sk_path.unlink(missing_ok=True)
            rec = self.base("sklearn", "pca", "PCA(2)", r)
            res = self.run(self.peer("sklearn-pca", "--input", self.X_path, "--dims", 2, "--out", sk_path),
                           f"sklearn_pca{self.suffix}_r{r}")
            if self.measured(rec, res, [sk_path]):
                info = last_json_object(res["stdout"]) or {}
                rec.update(out_dims=2, inproc_seconds=info.get("inproc_seconds"),
                           svd_solver=info.get("svd_solver"),
                           explained_variance_ratio=info.get("explained_variance_ratio"))
            self.emit(rec)

        if not self.unfold:
            self.skipped("unfold", "pca", "pca", self.unfold_reason)
            return
        unfold_path = self.out("unfold_pca")
        for r in range(self.args.repeat):
            unfold_path.unlink(missing_ok=True)
            rec = self.base("unfold", "pca", "pca", r)
            res = self.run(self.unfold_cmd("embed", self.X_path, "--method", "pca", "--dims", 2,
                                           "-o", unfold_path, "--quiet"),
                           f"unfold_pca{self.suffix}_r{r}")
            if self.measured(rec, res, [unfold_path]):
                rec["out_dims"] = 2
                if sk_path.exists():
                    corr = pearson_abs(np.load(unfold_path).astype(np.float64), np.load(sk_path).astype(np.float64))
                    rec.update(pca_corr=[float(c) for c in corr], pca_corr_min=float(corr.min()))
            self.emit(rec)

    # -- random projection
    def task_random_projection(self):
        sk_path = self.out("sklearn_srp")
        unfold_path = self.out("unfold_srp")
        runs = [("sklearn", "SparseRandomProjection(50)", sk_path, self.peer("sklearn-srp", "--input", self.X_path, "--dims", 50, "--out", sk_path))]
        if self.unfold:
            runs.append(("unfold", "random-projection-50", unfold_path,
                         self.unfold_cmd("embed", self.X_path, "--method", "random-projection", "--dims", 50,
                                         "--seed", 0, "-o", unfold_path, "--quiet")))
        else:
            self.skipped("unfold", "random_projection", "random-projection-50", self.unfold_reason)
        for tool, variant, path, cmd in runs:
            for r in range(self.args.repeat):
                path.unlink(missing_ok=True)
                rec = self.base(tool, "random_projection", variant, r)
                res = self.run(cmd, f"{tool}_srp{self.suffix}_r{r}")
                if self.measured(rec, res, [path]):
                    q = self.run(self.peer("distortion", "--input", self.X_path, "--embedding", path), f"{tool}_srp_distortion_r{r}")
                    rec.update(last_json_object(q["stdout"]) or {})
                self.emit(rec)

    # -- spectral embedding
    def task_spectral(self):
        n = min(self.n, SPECTRAL_ROWS)
        x_path, _ = prepare_data(self.args.data, n)
        sk_path, unfold_path = OUT / f"sklearn_spectral_n{n}.npy", OUT / f"unfold_spectral_n{n}.npy"
        runs = [("sklearn", "SpectralEmbedding(2)", sk_path, self.peer("sklearn-spectral", "--input", x_path, "--dims", 2, "--out", sk_path))]
        if self.unfold:
            runs.append(("unfold", "spectral-2", unfold_path,
                         self.unfold_cmd("embed", x_path, "--method", "spectral", "--dims", 2, "--seed", 0, "-o", unfold_path, "--quiet")))
            if self.n > n:
                # All rows, for the peak RSS, with 15 neighbours: n/10 would be 7,000 at 70,000 rows.
                runs.append(("unfold", f"spectral-2-k15-n{self.n}", OUT / f"unfold_spectral_k15_n{self.n}.npy",
                             self.unfold_cmd("embed", self.X_path, "--method", "spectral", "--dims", 2, "--neighbors", 15,
                                             "--seed", 0, "-o", OUT / f"unfold_spectral_k15_n{self.n}.npy", "--quiet")))
        else:
            self.skipped("unfold", "spectral", "spectral-2", self.unfold_reason)
        for tool, variant, path, cmd in runs:
            for r in range(self.args.repeat):
                path.unlink(missing_ok=True)
                rec = self.base(tool, "spectral", variant, r)
                rec["n"] = self.n if variant.endswith(f"-n{self.n}") else n
                res = self.run(cmd, f"{tool}_spectral_n{n}_r{r}")
                if self.measured(rec, res, [path]):
                    info = last_json_object(res["stdout"]) or {}
                    rec.update({k: info[k] for k in ("inproc_seconds", "n_neighbors") if k in info})
                    if tool == "unfold" and rec["n"] == n and sk_path.exists():
                        q = self.run(self.peer("spectral-agreement", "--input", x_path, "--embedding", path, "--reference", sk_path),
                                     f"spectral_agreement_n{n}_r{r}")
                        rec.update(last_json_object(q["stdout"]) or {})
                self.emit(rec)

    # -- diffusion maps
    def task_diffusion(self):
        """Diffusion maps with pyDiffMap's defaults (k = 64, epsilon="bgh", alpha = 0.5), two
        coordinates: pyDiffMap and unfold on the first 10,000 rows (agreement per coordinate and
        trustworthiness by the same code), then unfold alone on all --n rows, for its peak RSS."""
        n = min(self.n, SPECTRAL_ROWS)
        x_path, _ = prepare_data(self.args.data, n)
        ref = OUT / f"pydiffmap_diffusion_n{n}.npy"
        runs = [("pydiffmap", f"dmap-{n}", n, x_path, ref,
                 self.peer("pydiffmap-fit", "--input", x_path, "--dims", 2, "-k", 64, "--out", ref))]
        sizes = [(n, x_path)] + ([(self.n, self.X_path)] if self.n > n else [])
        for rows, path in sizes:
            out = OUT / f"unfold_diffusion_n{rows}.npy"
            if self.unfold:
                runs.append(("unfold", f"dmap-{rows}", rows, path, out,
                             self.unfold_cmd("embed", path, "--method", "diffusion", "--dims", 2, "--seed", 0,
                                             "-o", out, "--quiet")))
            else:
                self.skipped("unfold", "diffusion", f"dmap-{rows}", self.unfold_reason)
        for tool, variant, rows, path, out, cmd in runs:
            for r in range(self.args.repeat):
                out.unlink(missing_ok=True)
                rec = self.base(tool, "diffusion", variant, r)
                rec["n"] = rows
                res = self.run(cmd, f"{tool}_diffusion_n{rows}_r{r}")
                if self.measured(rec, res, [out]):
                    info = last_json_object(res["stdout"]) or {}
                    rec.update({k: info[k] for k in ("inproc_seconds", "epsilon", "evals") if k in info})
                    if tool == "unfold" and rows == n and ref.exists():
                        q = self.run(self.peer("spectral-agreement", "--input", path, "--embedding", out,
                                               "--reference", ref), f"diffusion_agreement_n{rows}_r{r}")
                        rec.update(last_json_object(q["stdout"]) or {})
                self.emit(rec)

    # -- intrinsic dimension
    def task_intrinsic_dim(self):
        """scikit-dimension's estimators (defaults) against `unfold measure id` on the MNIST test set
        (the last 10,000 rows), then unfold alone on all --n rows; --id-estimators picks some."""
        import numpy as np

        test_path = OUT / "mnist_test10k.npy"
        if not cached_ok(test_path, (10000, 784), np.float32):
            np.save(test_path, np.ascontiguousarray(np.load(self.X_path, mmap_mode="r")[-10000:]))
        for est in self.args.id_estimators.split(","):
            runs = [("skdim", "test10k", 10000, self.peer("skdim-id", "--input", test_path, "--estimator", est))]
            if self.unfold:
                runs.append(("unfold", "test10k", 10000,
                             self.unfold_cmd("measure", "id", test_path, "--estimator", est, "--seed", 0, "--json", "--quiet")))
                if self.n > 10000:
                    runs.append(("unfold", f"all{self.n}", self.n,
                                 self.unfold_cmd("measure", "id", self.X_path, "--estimator", est, "--seed", 0, "--json", "--quiet")))
            else:
                self.skipped("unfold", "intrinsic_dim", f"{est}-test10k", self.unfold_reason)
            for tool, variant, rows, cmd in runs:
                for r in range(self.args.repeat):
                    rec = self.base(tool, "intrinsic_dim", f"{est}-{variant}", r)
                    rec["n"] = rows
                    res = self.run(cmd, f"{tool}_id_{est}_{variant}_r{r}")
                    if self.measured(rec, res):
                        info = last_json_object(res["stdout"]) or {}
                        rec.update({k: info[k] for k in ("inproc_seconds", "dimension") if k in info})
                    self.emit(rec)

    # -- Riemannian geometry
    def install_unfold_wheel(self):
        """Builds the Python package from this tree with maturin into bench/out/wheels and installs
        it into bench/.venv (the manifold task has no command-line form); None or the reason not."""
        if self.args.no_build:
            ok = subprocess.run([venv_python(), "-c", "import unfold.manifolds"], capture_output=True).returncode == 0
            return None if ok else "unfold not installed in bench/.venv (--no-build)"
        maturin = shutil.which("maturin") or str(REPO / ".venv" / "bin" / "maturin")
        wheels = OUT / "wheels"
        shutil.rmtree(wheels, ignore_errors=True)
        log("building the unfold wheel (maturin) for the manifold task")
        built = subprocess.run([maturin, "build", "--release", "--interpreter", str(venv_python()), "--out", str(wheels)], cwd=REPO)
        found = list(wheels.glob("*.whl"))
        if built.returncode != 0 or len(found) != 1:
            return "maturin build failed"
        subprocess.run([venv_python(), "-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps", str(found[0])], check=True)
        return None

    def manifold_data(self, space, rows):
        """Paired float64 points of one space (numpy default_rng(0) for x, (1) for y), cached in
        bench/out: the Poincaré ball B^10 (a wrapped normal about 3 from the origin), the sphere
        S^9 (unit vectors about a pole, angular spread about 0.5) or SPD(3) (exp of symmetric
        matrices with N(0, 0.25) entries)."""
        import numpy as np

        shape = {"poincare": (rows, 10), "sphere": (rows, 10), "spd": (rows, 3, 3)}[space]
        paths = [OUT / f"{space}_{name}_{rows}.npy" for name in ("x", "y")]
        for seed, path in enumerate(paths):
            if cached_ok(path, shape, np.float64):
                continue
            rng = np.random.default_rng(seed)
            if space == "poincare":
                u = rng.normal(scale=0.5, size=shape)
                r = np.linalg.norm(u, axis=1, keepdims=True)
                points = np.tanh(r) * u / r  # exp at the origin of the ball of curvature -1
            elif space == "sphere":
                u = rng.normal(scale=0.5 / 3, size=shape)
                u[:, 0] += 1.0
                points = u / np.linalg.norm(u, axis=1, keepdims=True)
            else:
                g = rng.normal(scale=0.5, size=shape)
                w, v = np.linalg.eigh((g + g.transpose(0, 2, 1)) / 2)
                points = (v * np.exp(w)[:, None, :]) @ v.transpose(0, 2, 1)
                points = (points + points.transpose(0, 2, 1)) / 2
            np.save(path, points)
        return paths

    def manifold_variants(self):
        """(space, variant name, rows, rows of the mean) of the manifold task."""
        rows = self.args.manifold_rows
        mean_rows = min(rows, 100000)
        return [("poincare", f"poincare-{rows}", rows, rows), ("sphere", f"sphere9-{rows}", rows, mean_rows),
                ("spd", f"spd3-{rows}", rows, mean_rows)]

    def task_manifold(self):
        """Batched Riemannian geometry: --manifold-rows pairs of points in the Poincaré ball B^10,
        on the sphere S^9 and in SPD(3) (affine-invariant); geomstats 2.8.0 (numpy backend)
        against unfold.geometry, each a process; dist, log and exp over all pairs and the Fréchet
        mean (all the ball's points; the first 100,000 on the sphere and in SPD(3)) timed in
        process and compared."""
        reason = self.install_unfold_wheel()
        tools = ["geomstats"] + (["unfold"] if reason is None else [])
        for space, variant, rows, mean_rows in self.manifold_variants():
            paths = self.manifold_data(space, rows)
            if reason is not None:
                self.skipped("unfold", "manifold", variant, reason)
            prefixes = {}
            for tool in tools:
                for r in range(self.args.repeat):
                    rec = self.base(tool, "manifold", variant, r)
                    rec.update(n=rows, mean_rows=mean_rows, space=space, dims=10 if space != "spd" else 3)
                    prefix = OUT / f"{variant}_{tool}"
                    res = self.run(self.peer("geometry", "--tool", tool, "--space", space, "--x", paths[0], "--y", paths[1],
                                             "--mean-rows", mean_rows, "--out-prefix", prefix),
                                   f"{tool}_{variant}_r{r}")
                    if self.measured(rec, res, [f"{prefix}_mean.npy"]):
                        rec.update(last_json_object(res["stdout"]) or {})
                        prefixes[tool] = prefix
                    self.emit(rec)
            if len(prefixes) == 2:
                q = self.run(self.peer("geometry-agreement", "--a", prefixes["unfold"], "--b", prefixes["geomstats"]), f"{variant}_agreement")
                self.emit({"task": "manifold", "kind": "agreement", "variant": variant, "n": rows, **(last_json_object(q["stdout"]) or {})})

    # -- scanpy
    def task_scanpy_pbmc(self):
        """UMAP on AnnData, whole processes (`peers.py scanpy-umap`): scanpy's sc.pp.neighbors +
        sc.tl.umap against unfold.tl.umap on the same neighbours and unfold.tl.umap alone (its
        own neighbours, no scanpy import), on scanpy's pbmc68k_reduced (700 cells, 50 PCs), then
        the same pipelines with PCA first on the MNIST test set (10,000 × 784) as an AnnData;
        trustworthiness@15 against the representation the neighbours were found in, by the same
        code (`peers.py embedding-trust`)."""
        import numpy as np

        reason = self.install_unfold_wheel()
        if reason is not None:
            self.skipped("unfold", "scanpy_pbmc", "pbmc68k", reason)
        test_path = OUT / "mnist_test10k.npy"
        if not cached_ok(test_path, (10000, 784), np.float32):
            np.save(test_path, np.ascontiguousarray(np.load(self.X_path, mmap_mode="r")[-10000:]))
        runs = [("scanpy", "scanpy"), ("unfold", "scanpy"), ("unfold", "unfold")] if reason is None else [("scanpy", "scanpy")]
        # Untimed: numba's on-disk cache of umap-learn and pynndescent (scanpy's neighbours).
        if not self.args.no_prime:
            self.run(self.peer("scanpy-umap", "--tool", "scanpy", "--out", OUT / "prime_sc.npy", "--rep", OUT / "prime_sc_rep.npy"), "prime_scanpy")
        for data, extra in (("pbmc68k", []), ("mnist-test10k", ["--input", test_path])):
            for r in range(self.args.repeat):
                for tool, neighbors in runs:
                    variant = f"{data}-{tool}-umap-{neighbors}-neighbors"
                    out, rep = OUT / f"scanpy_{variant}.npy", OUT / f"scanpy_{variant}_rep.npy"
                    out.unlink(missing_ok=True)
                    rec = self.base(tool, "scanpy_pbmc", variant, r)
                    res = self.run(self.peer("scanpy-umap", "--tool", tool, "--neighbors", neighbors, "--out", out, "--rep", rep, *extra), f"scanpy_{variant}_r{r}")
                    if self.measured(rec, res, [out]):
                        rec.update(last_json_object(res["stdout"]) or {})
                        q = self.run(self.peer("embedding-trust", "--input", rep, "--embedding", out, "-k", 15), f"scanpy_{variant}_trust_r{r}")
                        rec.update(last_json_object(q["stdout"]) or {})
                    self.emit(rec)

    # -- t-SNE
    def task_tsne(self):
        """t-SNE of the MNIST test set (the last 10,000 rows) with each tool's defaults: openTSNE
        1.0.4 (Barnes-Hut below 10,000 rows, FFT from there; Annoy neighbours) and `unfold embed
        --method tsne` (the same rule: FFT at 10,000 rows; NN-descent neighbours); time, peak RSS, each tool's own final
        KL divergence, and trustworthiness@15 on a fixed 5k subsample by the same code."""
        import numpy as np

        test_path = OUT / "mnist_test10k.npy"
        if not cached_ok(test_path, (10000, 784), np.float32):
            np.save(test_path, np.ascontiguousarray(np.load(self.X_path, mmap_mode="r")[-10000:]))
        self.tsne_fit("tsne", "test10k", test_path, 10000)
        self.tsne_transform(test_path)

    def task_sparse_knn(self):
        """MNIST as a CSR matrix (scipy.sparse.save_npz, uncompressed; 19 % of the pixels are
        non-zero), cosine: `unfold neighbors X.npz` against a cold pynndescent process on the
        same file (numba's cache primed unless --no-prime). Recall@15 against exact cosine
        neighbours of 1,000 seeded rows (scikit-learn brute force, in this process)."""
        import numpy as np
        import scipy.sparse as sp
        from sklearn.neighbors import NearestNeighbors

        k = self.k
        npz = OUT / f"mnist_csr{self.suffix}.npz"
        if not npz.exists():
            sp.save_npz(npz, sp.csr_matrix(np.asarray(self.X)), compressed=False)
        X = sp.load_npz(npz)
        rows = np.sort(np.random.default_rng(0).choice(X.shape[0], size=min(1000, X.shape[0]), replace=False))
        nn = NearestNeighbors(n_neighbors=k + 1, metric="cosine", algorithm="brute").fit(X)
        truth = [[j for j in row if j != i][:k] for i, row in zip(rows, nn.kneighbors(X[rows], return_distance=False).tolist())]
        variant = f"mnist{self.n // 1000}k-csr-cosine"
        runs = [("pynndescent", OUT / "pynndescent_sparse_knn.npy",
                 lambda out: self.peer("pynndescent-sparse", "--input", npz, "-k", k + 1, "--metric", "cosine", "--out", out))]
        if self.unfold:
            runs.insert(0, ("unfold", OUT / "unfold_sparse_knn.npy",
                            lambda out: self.unfold_cmd("neighbors", npz, "-k", k, "--metric", "cosine", "--seed", 42, "-o", out, "--quiet")))
        else:
            self.skipped("unfold", "sparse_knn", variant, self.unfold_reason)
        if not self.args.no_prime:
            self.prime_numba_cache()
        for tool, out, cmd in runs:
            for r in range(self.args.repeat):
                out.unlink(missing_ok=True)
                rec = self.base(tool, "sparse_knn", variant, r)
                res = self.run(cmd(out), f"{tool}_sparse_knn_r{r}")
                if self.measured(rec, res, [out]):
                    found = np.load(out)
                    if tool == "pynndescent":  # its lists start with the point itself
                        found = np.array([[j for j in row if j != i][:k] for i, row in enumerate(found.tolist())], dtype=object)
                    rec.update(k=k, recall=neighbour_recall([list(found[i]) for i in rows], truth, k),
                               **(last_json_object(res["stdout"]) or {}))
                self.emit(rec)

    def task_tsne_70k(self):
        """The `tsne` task's fit on all of MNIST (70,000 rows): openTSNE 1.0.4 against `unfold
        embed --method tsne`, both with the FFT gradient; trustworthiness@15 on a 5k subsample."""
        self.tsne_fit("tsne_70k", "mnist70k", self.X_path, self.n)

    def tsne_fit(self, task, variant, test_path, n):
        """One t-SNE fit of `test_path` by each tool (see `task_tsne`)."""
        runs = [("opentsne", OUT / f"opentsne_tsne_{variant}.npy",
                 lambda out: self.peer("opentsne-fit", "--input", test_path, "--out", out))]
        if n <= 10000:
            # scikit-learn's Barnes-Hut TSNE, the API most users know (hours at 70,000 rows).
            runs.append(("sklearn", OUT / f"sklearn_tsne_{variant}.npy",
                         lambda out: self.peer("sklearn-tsne", "--input", test_path, "--out", out)))
        if self.unfold:
            runs.append(("unfold", OUT / f"unfold_tsne_{variant}.npy",
                         lambda out: self.unfold_cmd("embed", test_path, "--method", "tsne", "--seed", 0,
                                                     "-o", out, "--json", "--quiet")))
        else:
            self.skipped("unfold", task, variant, self.unfold_reason)
        for tool, out, cmd in runs:
            for r in range(self.args.repeat):
                out.unlink(missing_ok=True)
                rec = self.base(tool, task, variant, r)
                rec["n"] = n
                res = self.run(cmd(out), f"{tool}_{task}_{variant}_r{r}")
                if self.measured(rec, res, [out]):
                    info = last_json_object(res["stdout"]) or {}
                    kl = info.get("kl_divergence", (info.get("parameters") or {}).get("kl_divergence_"))
                    rec.update({"inproc_seconds": info.get("inproc_seconds"), "kl_divergence": kl})
                    q = self.run(self.peer("tsne-quality", "--input", test_path, "--embedding", out),
                                 f"{tool}_{task}_quality_r{r}")
                    rec.update(last_json_object(q["stdout"]) or {})
                self.emit(rec)

    def tsne_transform(self, test_path):
        """openTSNE's transform against unfold's: each tool fits the first 9,000 rows of the MNIST
        test set with its defaults, then places the last 1,000 (`unfold transform` of the saved
        model, a process of its own; openTSNE's `transform` timed inside its process); kNN
        preservation@10 of the new points by the same code."""
        import numpy as np

        X = np.load(test_path, mmap_mode="r")
        fit_path, new_path = OUT / "mnist_test_first9k.npy", OUT / "mnist_test_last1k.npy"
        if not cached_ok(fit_path, (9000, 784), np.float32):
            np.save(fit_path, np.ascontiguousarray(X[:9000]))
        if not cached_ok(new_path, (1000, 784), np.float32):
            np.save(new_path, np.ascontiguousarray(X[9000:]))
        tools = ["opentsne"] + (["unfold"] if self.unfold else [])
        for tool in tools:
            for r in range(self.args.repeat):
                ref, out = OUT / f"{tool}_tsne_ref9k.npy", OUT / f"{tool}_tsne_new1k.npy"
                out.unlink(missing_ok=True)
                rec = self.base(tool, "tsne", "transform-1k", r)
                rec["n"] = 1000
                if tool == "opentsne":
                    res = self.run(self.peer("opentsne-transform", "--fit", fit_path, "--new", new_path, "--out", out,
                                             "--out-ref", ref), f"opentsne_tsne_transform_r{r}")
                    ok = self.measured(rec, res, [out])
                    rec["transform_seconds"] = (last_json_object(res["stdout"]) or {}).get("transform_seconds")
                else:
                    model = OUT / "unfold_tsne_9k.model"
                    fit = self.run(self.unfold_cmd("embed", fit_path, "--method", "tsne", "--seed", 0, "--save-model", model,
                                                   "-o", ref, "--quiet"), f"unfold_tsne_fit9k_r{r}")
                    res = self.run(self.unfold_cmd("transform", "--model", model, new_path, "-o", out, "--quiet"),
                                   f"unfold_tsne_transform_r{r}")
                    ok = self.measured(rec, fit, [ref]) and self.measured(rec, res, [out])
                    rec["transform_seconds"] = rec.get("seconds")
                if ok:
                    q = self.run(self.peer("tsne-transform-quality", "--fit", fit_path, "--new", new_path, "--ref", ref,
                                           "--embedding", out), f"{tool}_tsne_transform_quality_r{r}")
                    rec.update(last_json_object(q["stdout"]) or {})
                self.emit(rec)

    # -- PHATE
    def task_phate(self):
        """PHATE of the MNIST test set (the last 10,000 rows) with each tool's defaults: phate
        2.0.0 and `unfold embed --method phate` (n_pca 100, knn 5, decay 40, 2,000 landmarks,
        t auto, SGD MDS); time, peak RSS, and for both outputs DEMaP (k = 10, 2,000-point seeded
        subsample), trustworthiness@15 and kNN accuracy (5k subsample) by the same code
        (`unfold evaluate`)."""
        x_path, y_path = self.mnist_test_set()
        self.phate_fit("phate", "test10k", x_path, y_path, 10000)

    def mnist_test_set(self):
        """The MNIST test set (the last 10,000 rows) and its labels, as .npy files in bench/out."""
        import numpy as np

        x_path, y_path = OUT / "mnist_t10k.npy", OUT / "mnist_t10k_labels.npy"
        if not (cached_ok(x_path, (10000, 784), np.float32) and cached_ok(y_path, (10000,), np.int64)):
            np.save(x_path, np.ascontiguousarray(np.load(self.X_path, mmap_mode="r")[-10000:]))
            np.save(y_path, np.ascontiguousarray(np.load(self.labels_path, mmap_mode="r")[-10000:]))
        return x_path, y_path

    def task_phate_70k(self):
        """The `phate` task on all of MNIST (70,000 rows; quality on a 5k subsample)."""
        self.phate_fit("phate_70k", "mnist70k", self.X_path, self.labels_path, self.n)

    def task_phate_swissroll(self):
        """DEMaP of each tool's PHATE embedding of a noisy swiss roll (3,000 points, above the
        2,000 landmarks; scikit-learn's `make_swiss_roll` formula with noise 0.5, numpy's
        generator at seed 0), each tool's defaults; the roll's parameter t in ten equal bins
        labels the points for kNN accuracy."""
        import numpy as np

        x_path, y_path = OUT / "swissroll3000.npy", OUT / "swissroll3000_labels.npy"
        rng = np.random.default_rng(0)
        t = 1.5 * np.pi * (1 + 2 * rng.random(3000))
        x = np.stack([t * np.cos(t), 21 * rng.random(3000), t * np.sin(t)], axis=1)
        x += 0.5 * rng.standard_normal(x.shape)
        np.save(x_path, x.astype(np.float32))
        np.save(y_path, np.digitize(t, np.linspace(t.min(), t.max(), 11)[1:-1]).astype(np.int64))
        self.phate_fit("phate_swissroll", "swissroll3000", x_path, y_path, 3000, dims=3)

    def phate_fit(self, task, variant, x_path, y_path, n, dims=784):
        """One PHATE fit of `x_path` (`n × dims`) by each tool (see `task_phate`)."""
        runs = [("phate", OUT / f"phate_phate_{variant}.npy",
                 lambda out: self.peer("phate-fit", "--input", x_path, "--out", out))]
        if self.unfold:
            runs.append(("unfold", OUT / f"unfold_phate_{variant}.npy",
                         lambda out: self.unfold_cmd("embed", x_path, "--method", "phate", "--seed", 0,
                                                     "-o", out, "--json", "--quiet")))
        else:
            self.skipped("unfold", task, variant, self.unfold_reason)
        def details(info):
            t = info.get("optimal_t", (info.get("parameters") or {}).get("optimal_t_"))
            return {"inproc_seconds": info.get("inproc_seconds"), "optimal_t": t}
        self.evaluated_fits(task, variant, runs, x_path, y_path, {"n": n, "dims": dims}, details)

    def evaluated_fits(self, task, variant, runs, x_path, y_path, fields, details):
        """Each `(tool, out, cmd)` of `runs`, --repeat times: time and peak RSS, `fields`,
        `details(json printed by the run)`, and DEMaP, trustworthiness@15 and kNN accuracy of
        the output by the same code (`unfold evaluate --labels y_path --demap`)."""
        for tool, out, cmd in runs:
            for r in range(self.args.repeat):
                out.unlink(missing_ok=True)
                rec = self.base(tool, task, variant, r)
                rec.update(fields)
                res = self.run(cmd(out), f"{tool}_{task}_{variant}_r{r}")
                if self.measured(rec, res, [out]):
                    rec.update(details(last_json_object(res["stdout"]) or {}))
                    if self.unfold:
                        q = self.run(self.unfold_cmd("evaluate", x_path, out, "--labels", y_path, "--demap",
                                                     "--seed", 0, "-k", 15, "--json", "--quiet"),
                                     f"{tool}_{task}_quality_r{r}")
                        info = last_json_object(q["stdout"]) or {}
                        rec.update({k: info.get(k) for k in ("demap", "trustworthiness", "knn_accuracy") if k in info})
                self.emit(rec)

    # -- heat-geodesic embedding
    def task_heatgeo(self):
        """Heat-geodesic embedding of the first --heatgeo-rows rows (2,000) of the MNIST test set
        with tau="auto", knn 5 and the package's other defaults (n_pca 40, decay 40, order 32):
        heatgeo 0.0.1 and `unfold embed --method heatgeo`; time, peak RSS, the chosen tau, and
        DEMaP (k = 10) and trustworthiness@15 of both outputs by the same code (`unfold
        evaluate`). Both compute the dense n × n heat kernel and distances, so the rows are few."""
        import numpy as np

        rows = self.args.heatgeo_rows
        full = np.load(self.X_path, mmap_mode="r")
        test = full[-10000:] if full.shape[0] >= 70000 else full
        path = OUT / f"mnist_test_first{rows}.npy"
        if not cached_ok(path, (rows, 784), np.float32):
            np.save(path, np.ascontiguousarray(test[:rows], dtype=np.float32))
        label = f"test{rows}"
        runs = [("heatgeo", OUT / f"heatgeo_heatgeo_{label}.npy",
                 lambda out: self.peer("heatgeo-fit", "--input", path, "--out", out))]
        if self.unfold:
            runs.append(("unfold", OUT / f"unfold_heatgeo_{label}.npy",
                         lambda out: self.unfold_cmd("embed", path, "--method", "heatgeo", "--tau", "auto",
                                                     "--seed", 0, "-o", out, "--json", "--quiet")))
        else:
            self.skipped("unfold", "heatgeo", label, self.unfold_reason)
        for tool, out, cmd in runs:
            for r in range(self.args.repeat):
                out.unlink(missing_ok=True)
                rec = self.base(tool, "heatgeo", label, r)
                rec["n"] = rows
                res = self.run(cmd(out), f"{tool}_heatgeo_{label}_r{r}")
                if self.measured(rec, res, [out]):
                    info = last_json_object(res["stdout"]) or {}
                    tau = info.get("tau", (info.get("parameters") or {}).get("tau"))
                    rec.update({"inproc_seconds": info.get("inproc_seconds"), "tau": tau})
                    if self.unfold:
                        q = self.run(self.unfold_cmd("evaluate", path, out, "--demap",
                                                     "--seed", 0, "-k", 15, "--json", "--quiet"),
                                     f"{tool}_heatgeo_quality_r{r}")
                        info = last_json_object(q["stdout"]) or {}
                        rec.update({k: info.get(k) for k in ("demap", "trustworthiness") if k in info})
                self.emit(rec)

    def task_heatgeo_10k(self):
        """Heat-geodesic embedding of the MNIST test set (10,000 rows) at the package's defaults
        (tau 10, n_pca 40, decay 40, order 32) with knn 10: heatgeo 0.0.1 and `unfold embed
        --method heatgeo --neighbors 10`; time, peak RSS, and for both outputs DEMaP,
        trustworthiness@15 and kNN accuracy by the same code (`unfold evaluate`, as `phate`)."""
        x_path, y_path = self.mnist_test_set()
        runs = [("heatgeo", OUT / "heatgeo_heatgeo_test10k.npy",
                 lambda out: self.peer("heatgeo-fit", "--input", x_path, "--out", out, "--knn", 10, "--tau", 10))]
        if self.unfold:
            runs.append(("unfold", OUT / "unfold_heatgeo_test10k.npy",
                         lambda out: self.unfold_cmd("embed", x_path, "--method", "heatgeo", "--neighbors", 10,
                                                     "--seed", 0, "-o", out, "--json", "--quiet")))
        else:
            self.skipped("unfold", "heatgeo_10k", "test10k", self.unfold_reason)
        self.evaluated_fits("heatgeo_10k", "test10k", runs, x_path, y_path, {"n": 10000},
                            lambda info: {"inproc_seconds": info.get("inproc_seconds")})

    # -- hyperbolic diffusion embedding
    def task_hde(self):
        """Hyperbolic diffusion embedding of the first --heatgeo-rows rows (2,000) of the MNIST
        test set, `unfold embed --method hde` with its defaults (6 scales, epsilon auto): time
        and peak RSS only; no package on PyPI implements the method, so there is no peer."""
        import numpy as np

        rows = self.args.heatgeo_rows
        full = np.load(self.X_path, mmap_mode="r")
        test = full[-10000:] if full.shape[0] >= 70000 else full
        path = OUT / f"mnist_test_first{rows}.npy"
        if not cached_ok(path, (rows, 784), np.float32):
            np.save(path, np.ascontiguousarray(test[:rows], dtype=np.float32))
        label = f"test{rows}"
        if not self.unfold:
            self.skipped("unfold", "hde", label, self.unfold_reason)
            return
        out = OUT / f"unfold_hde_{label}.npy"
        for r in range(self.args.repeat):
            out.unlink(missing_ok=True)
            rec = self.base("unfold", "hde", label, r)
            rec["n"] = rows
            res = self.run(self.unfold_cmd("embed", path, "--method", "hde", "-o", out, "--json", "--quiet"),
                           f"unfold_hde_{label}_r{r}")
            if self.measured(rec, res, [out]):
                info = last_json_object(res["stdout"]) or {}
                rec.update({"dims_out": info.get("dims"), "epsilon": (info.get("parameters") or {}).get("epsilon")})
            self.emit(rec)
            out.unlink(missing_ok=True)

    # -- Poincaré embeddings
    def task_poincare_wordnet(self):
        """Poincaré embeddings (10 dimensions, 10 negatives, 50 epochs after gensim's 10 burn-in
        epochs) of the WordNet mammal closure (crates/unfold-learn/tests/fixtures, made by
        bench/make_wordnet_mammals.py): gensim's PoincareModel against `unfold hierarchy`, each a
        process, seeds 0, 1, 2; each scored by gensim's ReconstructionEvaluation formulas (mean
        rank, MAP) on the training edges."""
        edges = BENCH.parent / "crates/unfold-learn/tests/fixtures/wordnet_mammal_closure.tsv"
        dims, epochs = 10, 50
        runs = []
        for seed in range(3):
            variant = f"mammals-d{dims}-seed{seed}"
            runs.append(("gensim", variant, OUT / f"gensim_poincare_{seed}.npy",
                         lambda out, s=seed: self.peer("gensim-poincare", "--input", edges, "--out", out, "--dims", dims,
                                                       "--epochs", epochs, "--seed", s)))
            if self.unfold:
                runs.append(("unfold", variant, OUT / f"unfold_poincare_{seed}.npy",
                             lambda out, s=seed: self.unfold_cmd("hierarchy", edges, "--dims", dims, "--epochs", epochs,
                                                                 "--seed", s, "-o", out, "--quiet", "--json")))
            else:
                self.skipped("unfold", "poincare_wordnet", variant, self.unfold_reason)
        for tool, variant, out, cmd in runs:
            for r in range(self.args.repeat):
                out.unlink(missing_ok=True)
                rec = self.base(tool, "poincare_wordnet", variant, r)
                res = self.run(cmd(out), f"{tool}_poincare_{variant}_r{r}")
                if self.measured(rec, res, [out]):
                    info = last_json_object(res["stdout"]) or {}
                    rec.update({k: info.get(k) for k in ("mean_rank", "map", "inproc_seconds", "n_edges")})
                    rec["n"], rec["dims"] = info.get("n_nodes", 1182), dims
                self.emit(rec)

    # -- persistent homology
    def task_topology(self):
        """Rips persistence (H0, H1) of the first 1,000 and 2,000 rows of the MNIST test set:
        ripser.py against `unfold measure topology`, each a process; the diagrams are compared
        (bar counts, and the 20 most persistent H1 bars to 1e-3)."""
        import numpy as np

        full = np.load(self.X_path, mmap_mode="r")
        test = full[-10000:] if full.shape[0] >= 70000 else full
        for rows in (1000, 2000):
            path = OUT / f"mnist_test_first{rows}.npy"
            if not cached_ok(path, (rows, 784), np.float32):
                np.save(path, np.ascontiguousarray(test[:rows], dtype=np.float32))
            outs = {}
            runs = [("ripser", self.peer("ripser", "--input", path, "--maxdim", 1, "--out", OUT / f"ripser_dgm_{rows}.json"))]
            if self.unfold:
                runs.append(("unfold", self.unfold_cmd("measure", "topology", path, "--maxdim", 1, "--json", "--quiet")))
            else:
                self.skipped("unfold", "topology", f"h1-{rows}", self.unfold_reason)
            for tool, cmd in runs:
                for r in range(self.args.repeat):
                    rec = self.base(tool, "topology", f"h1-{rows}", r)
                    rec["n"] = rows
                    res = self.run(cmd, f"{tool}_topology_{rows}_r{r}")
                    if self.measured(rec, res):
                        if tool == "unfold":
                            outs[tool] = (last_json_object(res["stdout"]) or {}).get("diagrams")
                        else:
                            outs[tool] = json.loads((OUT / f"ripser_dgm_{rows}.json").read_text())["diagrams"]
                            rec["inproc_seconds"] = (last_json_object(res["stdout"]) or {}).get("inproc_seconds")
                        rec["bars"] = [len(d) for d in outs[tool]] if outs.get(tool) else None
                    self.emit(rec)
            if outs.get("unfold") and outs.get("ripser"):
                self.emit({"task": "topology", "kind": "agreement", "n": rows, **diagram_agreement(outs["unfold"], outs["ripser"])})

    # -- diffusion spectral entropy
    def task_entropy(self):
        """Diffusion spectral entropy of the first 2,000 MNIST rows (σ = 1,000 on raw pixels, about
        the median distance's half, t = 1): the dse_dsmi package's formula in numpy (peers.py
        dse-numpy) against `unfold measure entropy`, each a process; the entropies compared."""
        rows = min(2000, self.n)
        path, _ = prepare_data(self.args.data, rows) if rows != MNIST_ROWS else (self.X_path, None)
        runs = [("numpy", self.peer("dse-numpy", "--input", path, "--sigma", 1000, "--t", 1))]
        if self.unfold:
            runs.append(("unfold", self.unfold_cmd("measure", "entropy", path, "--sigma", 1000, "--t", 1, "--json", "--quiet")))
        else:
            self.skipped("unfold", "entropy", f"dse-{rows}", self.unfold_reason)
        found = {}
        for tool, cmd in runs:
            for r in range(self.args.repeat):
                rec = self.base(tool, "entropy", f"dse-{rows}", r)
                rec["n"] = rows
                res = self.run(cmd, f"{tool}_entropy_{rows}_r{r}")
                if self.measured(rec, res):
                    info = last_json_object(res["stdout"]) or {}
                    rec.update({k: info[k] for k in ("inproc_seconds", "entropy") if k in info})
                    found[tool] = info.get("entropy")
                self.emit(rec)
        if found.get("numpy") is not None and found.get("unfold") is not None:
            self.emit({"task": "entropy", "kind": "agreement", "n": rows, "numpy": found["numpy"], "unfold": found["unfold"],
                       "relative_difference": abs(found["numpy"] - found["unfold"]) / abs(found["numpy"])})

    # -- Ollivier-Ricci curvature
    def task_curvature(self):
        """Ollivier-Ricci curvature of the 10-NN graph of the first 2,000 MNIST rows (symmetrised,
        edges weighted by their distances, alpha = 0.5, exact transport): GraphRicciCurvature
        0.6.1 (peers.py ricci-grc, its graph built before its clock) against `unfold measure
        curvature`, each a process; the mean edge curvatures compared."""
        rows = min(2000, self.n)
        path, _ = prepare_data(self.args.data, rows) if rows != MNIST_ROWS else (self.X_path, None)
        runs = [("graphricci", self.peer("ricci-grc", "--input", path, "-k", 10))]
        if self.unfold:
            runs.append(("unfold", self.unfold_cmd("measure", "curvature", path, "--neighbors", 10, "--json", "--quiet")))
        else:
            self.skipped("unfold", "curvature", f"knn10-{rows}", self.unfold_reason)
        found = {}
        for tool, cmd in runs:
            for r in range(self.args.repeat):
                rec = self.base(tool, "curvature", f"knn10-{rows}", r)
                rec["n"] = rows
                res = self.run(cmd, f"{tool}_curvature_{rows}_r{r}")
                if self.measured(rec, res):
                    info = last_json_object(res["stdout"]) or {}
                    rec.update({k: info[k] for k in ("inproc_seconds", "edges", "mean_edge_curvature") if k in info})
                    found[tool] = info.get("mean_edge_curvature")
                self.emit(rec)
        if found.get("graphricci") is not None and found.get("unfold") is not None:
            self.emit({"task": "curvature", "kind": "agreement", "n": rows, "graphricci": found["graphricci"],
                       "unfold": found["unfold"], "difference": abs(found["graphricci"] - found["unfold"])})

    # -- mds
    def task_mds(self):
        """MDS of the first --mds-rows MNIST rows (2,000 by default): scikit-learn's MDS and unfold's,
        metric SMACOF from a random start and from classical MDS (and non-metric with
        --mds-nonmetric), each output's stress measured by the same code (peers.py mds-stress);
        then unfold's landmark MDS: on the same rows with a quarter of them as landmarks (stress
        measured the same way), and on all --n rows when they are more than MDS embeds exactly
        (time and memory only: the stress of every pair would need an n × n matrix)."""
        rows = min(self.args.mds_rows, self.n)
        X_path, _ = prepare_data(self.args.data, rows) if rows != MNIST_ROWS else (self.X_path, None)
        variants = [("random", 1), ("classical_mds", 1)] + ([("random", 0)] if self.args.mds_nonmetric else [])
        for init, metric_mds in variants:
            name = f"{'metric' if metric_mds else 'nonmetric'}-{init}"
            runs = [("sklearn", OUT / f"sklearn_mds_{name}_{rows}.npy",
                     lambda out: self.peer("sklearn-mds", "--input", X_path, "--out", out, "--init", init,
                                           "--metric-mds", metric_mds, "--seed", 0))]
            if self.unfold:
                runs.append(("unfold", OUT / f"unfold_mds_{name}_{rows}.npy",
                             lambda out: self.unfold_cmd("embed", X_path, "--method", "mds", "--init", init,
                                                         "--metric-mds", bool(metric_mds), "--seed", 0, "-o", out,
                                                         "--quiet", "--json")))
            else:
                self.skipped("unfold", "mds", name, self.unfold_reason)
            if self.unfold and metric_mds and init == "random":
                m = rows // 4
                runs.append(("unfold", OUT / f"unfold_mds_{name}-landmarks{m}_{rows}.npy",
                             lambda out, m=m: self.unfold_cmd("embed", X_path, "--method", "mds", "--n-landmarks", m,
                                                              "--seed", 0, "-o", out, "--quiet", "--json")))
            for run_index, (tool, out, cmd) in enumerate(runs):
                variant = name if run_index < 2 else f"{name}-landmarks{rows // 4}"
                for r in range(self.args.repeat):
                    out.unlink(missing_ok=True)
                    rec = self.base(tool, "mds", variant, r)
                    rec["n"] = rows
                    res = self.run(cmd(out), f"{tool}_mds_{variant}_{rows}_r{r}")
                    if self.measured(rec, res, [out]):
                        info = last_json_object(res["stdout"]) or {}
                        info = info.get("parameters", info)
                        rec.update(stress_=info.get("stress_"), n_iter_=info.get("n_iter_"),
                                   inproc_seconds=info.get("inproc_seconds"))
                        q = self.run(self.peer("mds-stress", "--input", X_path, "--embedding", out,
                                               "--metric-mds", metric_mds), f"{tool}_mds_{variant}_stress_r{r}")
                        rec.update(last_json_object(q["stdout"]) or {})
                    self.emit(rec)
        if self.unfold and self.n > 20000:
            out = OUT / f"unfold_mds_landmarks_all{self.n}.npy"
            for r in range(self.args.repeat):
                out.unlink(missing_ok=True)
                rec = self.base("unfold", "mds", f"metric-random-landmarks-all{self.n}", r)
                rec["n"] = self.n
                res = self.run(self.unfold_cmd("embed", self.X_path, "--method", "mds", "--seed", 0, "-o", out, "--quiet", "--json"),
                               f"unfold_mds_landmarks_all{self.n}_r{r}")
                if self.measured(rec, res, [out]):
                    info = last_json_object(res["stdout"]) or {}
                    rec.update(n_iter_=info.get("parameters", {}).get("n_iter_"), inproc_seconds=info.get("inproc_seconds"))
                self.emit(rec)

    # -- lle
    def task_lle(self):
        """Standard LLE (n_neighbors=10, 2 components) of the MNIST 10k test set (rows 60,000 on;
        with --n, the first min(n, 10,000) rows): scikit-learn's LocallyLinearEmbedding (its
        default eigen_solver "auto": ARPACK shift-invert) and unfold's, each output's
        trustworthiness@15 on a fixed 5k subsample measured by the same code (peers.py
        lle-quality), and each tool's own reconstruction_error_."""
        import numpy as np

        if self.n == MNIST_ROWS:
            x_path, rows = OUT / "mnist_test10k.npy", 10000
            if not cached_ok(x_path, (rows, self.dims), np.float32):
                np.save(x_path, np.ascontiguousarray(self.X[MNIST_ROWS - rows:], dtype=np.float32))
        else:
            rows = min(self.n, 10000)
            x_path, _ = prepare_data(self.args.data, rows)
        k = 10
        runs = [("sklearn", OUT / f"sklearn_lle_{rows}.npy",
                 lambda out: self.peer("sklearn-lle", "--input", x_path, "--out", out, "-k", k))]
        runs = [("sklearn", f"standard-k{k}", *runs[0][1:])]
        if self.unfold:
            # unfold's default neighbour search (NN-descent above 4,096 rows), and the exact one,
            # which gives scikit-learn's graph.
            for variant, algorithm in ((f"standard-k{k}", "auto"), (f"standard-k{k}-exact", "brute")):
                runs.append(("unfold", variant, OUT / f"unfold_lle_{variant}_{rows}.npy",
                             lambda out, a=algorithm: self.unfold_cmd("embed", x_path, "--method", "lle", "--neighbors", k,
                                                                      "--neighbors-algorithm", a, "--seed", 0, "-o", out,
                                                                      "--quiet", "--json")))
        else:
            self.skipped("unfold", "lle", f"standard-k{k}", self.unfold_reason)
        for tool, variant, out, cmd in runs:
            for r in range(self.args.repeat):
                out.unlink(missing_ok=True)
                rec = self.base(tool, "lle", variant, r)
                rec["n"] = rows
                res = self.run(cmd(out), f"{tool}_lle_{variant}_{rows}_r{r}")
                if self.measured(rec, res, [out]):
                    info = last_json_object(res["stdout"]) or {}
                    info = info.get("parameters", info)
                    rec.update(reconstruction_error_=info.get("reconstruction_error_"),
                               inproc_seconds=info.get("inproc_seconds"))
                    q = self.run(self.peer("lle-quality", "--input", x_path, "--embedding", out),
                                 f"{tool}_lle_{variant}_quality_{rows}_r{r}")
                    rec.update(last_json_object(q["stdout"]) or {})
                self.emit(rec)

    # -- isomap
    def task_isomap(self):
        """Isomap (n_neighbors=5, 2 dimensions) of the MNIST test set (the last 10,000 rows):
        scikit-learn's and unfold's (exact), each output's trustworthiness@15 on a 5k subsample
        (peers.py sklearn-evaluate, seed 0)."""
        import numpy as np

        x_path, y_path = OUT / "mnist_t10k.npy", OUT / "mnist_t10k_labels.npy"
        if not (cached_ok(x_path, (10000, 784), np.float32) and cached_ok(y_path, (10000,), np.int64)):
            full_x, full_y = prepare_data(self.args.data, MNIST_ROWS)
            np.save(x_path, np.ascontiguousarray(np.load(full_x, mmap_mode="r")[-10000:]))
            np.save(y_path, np.ascontiguousarray(np.load(full_y, mmap_mode="r")[-10000:]))
        runs = [("sklearn", "Isomap(5)", OUT / "sklearn_isomap_t10k.npy",
                 lambda out: self.peer("sklearn-isomap", "--input", x_path, "--neighbors", 5, "--out", out))]
        if self.unfold:
            runs.append(("unfold", "isomap-5", OUT / "unfold_isomap_t10k.npy",
                         lambda out: self.unfold_cmd("embed", x_path, "--method", "isomap", "--neighbors", 5, "--seed", 0,
                                                     "-o", out, "--quiet", "--json")))
        else:
            self.skipped("unfold", "isomap", "isomap-5", self.unfold_reason)
        for tool, variant, out, cmd in runs:
            for r in range(self.args.repeat):
                out.unlink(missing_ok=True)
                rec = self.base(tool, "isomap", variant, r)
                rec["n"] = 10000
                res = self.run(cmd(out), f"{tool}_isomap_t10k_r{r}")
                if self.measured(rec, res, [out]):
                    info = last_json_object(res["stdout"]) or {}
                    if "inproc_seconds" in info:
                        rec["inproc_seconds"] = info["inproc_seconds"]
                    q = self.run(self.peer("sklearn-evaluate", "--input", x_path, "--embedding", out, "--labels", y_path,
                                           "--sample", 5000, "--seed", 0, "-k", 15), f"{tool}_isomap_t10k_trust_r{r}")
                    info = last_json_object(q["stdout"]) or {}
                    rec.update({k: info.get(k) for k in ("trustworthiness", "knn_accuracy") if k in info})
                self.emit(rec)

    def task_isomap_70k(self):
        """Landmark Isomap (1,000 landmarks, the default above 20,000 points) of all of MNIST,
        unfold only (scikit-learn's Isomap would hold a 70,000² matrix, 39 GB): time, peak RSS,
        trustworthiness@15 on a 5k subsample and the 60k/10k kNN-10 accuracy."""
        if not self.unfold:
            self.skipped("unfold", "isomap_70k", "landmark-1000", self.unfold_reason)
            return
        out = OUT / f"unfold_isomap{self.suffix}.npy"
        for r in range(self.args.repeat):
            out.unlink(missing_ok=True)
            rec = self.base("unfold", "isomap_70k", "landmark-1000", r)
            res = self.run(self.unfold_cmd("embed", self.X_path, "--method", "isomap", "--neighbors", 5, "--seed", 0,
                                           "-o", out, "--quiet"), f"unfold_isomap{self.suffix}_r{r}")
            if self.measured(rec, res, [out]):
                self.umap_quality(rec, out, name=f"unfold_isomap{self.suffix}_quality_r{r}")
            self.emit(rec)

    # -- umap
    def umap_quality(self, rec, embedding, test_embedding=None, name="q"):
        """Adds trustworthiness@15 (5k) and the 60k/10k kNN-10 accuracy to rec (MNIST only)."""
        if self.n != MNIST_ROWS:
            return
        cmd = ["umap-quality", "--input", self.X_path, "--labels", self.labels_path, "--embedding", embedding]
        if test_embedding:
            cmd += ["--test-embedding", test_embedding]
        res = self.run(self.peer(*cmd), name)
        info = last_json_object(res["stdout"]) or {}
        rec.update({k: info.get(k) for k in ("trustworthiness", "knn_accuracy", "finite") if k in info})

    def task_umap(self):
        self.prime_umap()
        for r in range(self.args.repeat):
            for variant, extra in (("cold", []), ("warm", ["--warm"])):
                path = self.out(f"umap_learn_{variant}")
                path.unlink(missing_ok=True)
                rec = self.base("umap-learn", "umap", variant, r)
                res = self.run(self.peer("umap-fit", "--input", self.X_path, "--out", path, *extra),
                               f"umap_learn_{variant}{self.suffix}_r{r}")
                if self.measured(rec, res, [path]):
                    info = last_json_object(res["stdout"]) or {}
                    rec.update(inproc_seconds=info.get("inproc_seconds"), warmup_seconds=info.get("warmup_seconds"))
                    self.umap_quality(rec, path, name=f"umap_learn_{variant}_quality_r{r}")
                self.emit(rec)
        if not self.unfold:
            self.skipped("unfold", "umap", "seeded", self.unfold_reason)
            return
        for r in range(self.args.repeat):
            for variant, extra in (("seeded", ["--seed", 42]), ("unseeded", [])):
                path = self.out(f"unfold_umap_{variant}")
                path.unlink(missing_ok=True)
                rec = self.base("unfold", "umap", variant, r)
                cmd = self.unfold_cmd("embed", self.X_path, "--method", "umap", "-o", path, "--quiet", *extra)
                if self.args.threads:
                    cmd += ["--threads", self.args.threads]
                res = self.run(cmd, f"unfold_umap_{variant}{self.suffix}_r{r}")
                if self.measured(rec, res, [path]):
                    self.umap_quality(rec, path, name=f"unfold_umap_{variant}_quality_r{r}")
                self.emit(rec)

    def prime_umap(self):
        """Untimed umap-learn run on a small set, so numba's on-disk cache is filled."""
        import numpy as np

        if self.args.no_prime:
            return
        prime = OUT / "prime_umap.npy"
        np.save(prime, np.random.default_rng(0).random((2000, self.dims)).astype(np.float32))
        log("priming umap-learn's numba cache (untimed)")
        self.run(self.peer("umap-fit", "--input", prime, "--out", OUT / "prime_umap_out.npy"), "prime_umap")

    def task_umap_hyperbolic(self):
        """UMAP into the hyperbolic plane (output_metric="hyperboloid") on the MNIST test set (the
        last 10,000 rows): umap-learn (n_jobs=2, no seed) against unfold (seed 42), and unfold in
        the Poincaré ball; trustworthiness@15 measured in each output distance (peers.py
        output-trust, 5,000-row subsample)."""
        import numpy as np

        test_path = OUT / "mnist_test10k.npy"
        if not cached_ok(test_path, (10000, 784), np.float32):
            np.save(test_path, np.ascontiguousarray(np.load(self.X_path, mmap_mode="r")[-10000:]))
        self.prime_umap()
        runs = [("umap-learn", "hyperboloid", self.peer("umap-fit", "--input", test_path, "--output-metric", "hyperboloid", "--out"))]
        if self.unfold:
            for metric in ("hyperboloid", "poincare"):
                runs.append(("unfold", metric, self.unfold_cmd("embed", test_path, "--method", "umap", "--output-metric", metric,
                                                               "--seed", 42, "--quiet", "-o")))
        else:
            self.skipped("unfold", "umap_hyperbolic", "hyperboloid", self.unfold_reason)
        for r in range(self.args.repeat):
            for tool, metric, cmd in runs:
                path = OUT / f"{tool.replace('-', '_')}_umap_{metric}_test10k.npy"
                path.unlink(missing_ok=True)
                rec = self.base(tool, "umap_hyperbolic", f"{metric}-test10k", r)
                res = self.run([*cmd, path], f"{tool}_umap_{metric}_test10k_r{r}")
                if self.measured(rec, res, [path]):
                    info = last_json_object(self.run(self.peer("output-trust", "--input", test_path, "--embedding", path,
                                                               "--output-metric", metric), f"{tool}_{metric}_trust_r{r}")["stdout"]) or {}
                    rec.update({k: info.get(k) for k in ("trustworthiness", "finite", "sample")})
                rec.update(n=10000)
                self.emit(rec)

    def task_umap_transform(self):
        import numpy as np

        train_rows = self.n * 6 // 7
        train, test = OUT / f"umap_train{self.suffix}.npy", OUT / f"umap_test{self.suffix}.npy"
        np.save(train, np.ascontiguousarray(self.X[:train_rows]))
        np.save(test, np.ascontiguousarray(self.X[train_rows:]))
        for r in range(self.args.repeat):
            out_train, out_test = self.out("umap_learn_tr_train"), self.out("umap_learn_tr_test")
            rec = self.base("umap-learn", "umap_transform", "fit60k-transform10k", r)
            res = self.run(self.peer("umap-transform", "--input", self.X_path, "--train-rows", train_rows,
                                     "--out-train", out_train, "--out-test", out_test),
                           f"umap_learn_transform{self.suffix}_r{r}")
            if self.measured(rec, res, [out_train, out_test]):
                info = last_json_object(res["stdout"]) or {}
                rec.update(fit_seconds=info.get("fit_seconds"), transform_seconds=info.get("transform_seconds"))
                self.umap_quality(rec, out_train, out_test, name=f"umap_learn_transform_quality_r{r}")
            self.emit(rec)
        if not self.unfold:
            self.skipped("unfold", "umap_transform", "fit60k-transform10k", self.unfold_reason)
            return
        for r in range(self.args.repeat):
            model, out_train, out_test = OUT / "unfold_train.umap", self.out("unfold_tr_train"), self.out("unfold_tr_test")
            fit = self.run(self.unfold_cmd("embed", train, "--method", "umap", "--seed", 42, "-o", out_train,
                                           "--save-model", model, "--quiet"), f"unfold_umap_fit_train{self.suffix}_r{r}")
            rec = self.base("unfold", "umap_transform", "fit60k-transform10k", r)
            res = self.run(self.unfold_cmd("transform", "--model", model, test, "-o", out_test, "--quiet", "--json"),
                           f"unfold_umap_transform{self.suffix}_r{r}")
            if self.measured(rec, res, [out_test]):
                # The whole process (reading the model and the rows included), and the placing
                # alone, as umap-learn's `transform` is timed in its process.
                info = last_json_object(res["stdout"]) or {}
                rec.update(fit_seconds=fit.get("seconds"), transform_seconds=res["seconds"],
                           inproc_seconds=info.get("transform_seconds"), model_mb=model.stat().st_size / 1e6)
                self.umap_quality(rec, out_train, out_test, name=f"unfold_transform_quality_r{r}")
            self.emit(rec)

    def task_umap_scale(self):
        """A synthetic Gaussian mixture (scale-rows x 50, 20 clusters, seed 0)."""
        import numpy as np

        rows = self.args.scale_rows
        path = OUT / f"mixture_{rows}x50.npy"
        if not cached_ok(path, (rows, 50), np.float32):
            rng = np.random.default_rng(0)
            centres = rng.normal(0, 10, (20, 50)).astype(np.float32)
            X = np.empty((rows, 50), dtype=np.float32)
            for start in range(0, rows, 100_000):
                stop = min(rows, start + 100_000)
                X[start:stop] = centres[rng.integers(0, 20, stop - start)] + rng.normal(0, 1, (stop - start, 50))
            np.save(path, X)
        if self.unfold:
            out = OUT / f"unfold_umap_mixture_{rows}.npy"
            rec = self.base("unfold", "umap_scale", f"mixture-{rows}x50", 0)
            res = self.run(self.unfold_cmd("embed", path, "--method", "umap", "--seed", 42, "-o", out, "--quiet"),
                           f"unfold_umap_scale_{rows}")
            if self.measured(rec, res, [out]):
                rec["finite"] = bool(np.isfinite(np.load(out)).all())
            rec.update(n=rows, dims=50)
            self.emit(rec)
        out = OUT / f"umap_learn_mixture_{rows}.npy"
        rec = self.base("umap-learn", "umap_scale", f"mixture-{rows}x50", 0)
        cmd = ["timeout", str(int(self.args.peer_timeout)), *map(str, self.peer("umap-fit", "--input", path, "--out", out))]
        res = self.run(cmd, f"umap_learn_scale_{rows}")
        if self.measured(rec, res, [out]) is False and res["returncode"] == 124:
            rec["reason"] = f"stopped after {self.args.peer_timeout:.0f} s (--peer-timeout)"
        rec.update(n=rows, dims=50)
        self.emit(rec)

    # -- evaluate
    def task_evaluate(self):
        import numpy as np

        embedding, source = self.out("unfold_pca"), "unfold_pca"
        valid = bool(self.unfold) and embedding.exists() and np.load(embedding, mmap_mode="r").shape[0] == self.n
        if not valid and self.unfold:
            log("no unfold PCA embedding yet: making one (untimed)")
            self.run(self.unfold_cmd("embed", self.X_path, "--method", "pca", "--dims", 2, "-o", embedding,
                                     "--quiet"), f"unfold_pca_for_evaluate{self.suffix}")
            valid = embedding.exists()
        k = self.k
        if self.unfold and valid:
            for r in range(self.args.repeat):
                rec = self.base("unfold", "evaluate", "pca-embedding", r)
                res = self.run(self.unfold_cmd("evaluate", self.X_path, embedding, "--labels", self.labels_path,
                                               "--json"), f"unfold_evaluate{self.suffix}_r{r}")
                if self.measured(rec, res):
                    parsed = last_json_object(res["stdout"])
                    if parsed is None:
                        rec.update(status="failed", reason="no JSON object on stdout")
                    else:
                        for key in ("trustworthiness", "continuity", "neighbor_preservation", "knn_accuracy",
                                    "k", "sample"):
                            rec[key] = parsed.get(key)
                        if parsed.get("n") not in (None, self.n):
                            rec["eval_n"] = parsed["n"]
                        k = parsed.get("k") or k
                self.emit(rec)
        else:
            self.skipped("unfold", "evaluate", "pca-embedding",
                         self.unfold_reason or f"{embedding} could not be made")

        if not valid:
            embedding, source = self.out("sklearn_pca"), "sklearn_pca"
            if not (embedding.exists() and np.load(embedding, mmap_mode="r").shape[0] == self.n):
                log("no PCA embedding available: making one with sklearn (untimed)")
                self.run(self.peer("sklearn-pca", "--input", self.X_path, "--dims", 2, "--out", embedding),
                         f"sklearn_pca_for_evaluate{self.suffix}")
        for r in range(self.args.repeat):
            rec = self.base("sklearn", "evaluate", "trustworthiness-5k-seed0", r)
            res = self.run(self.peer("sklearn-evaluate", "--input", self.X_path, "--embedding", embedding,
                                     "--labels", self.labels_path, "-k", k, "--sample", 5000, "--seed", 0),
                           f"sklearn_evaluate{self.suffix}_r{r}")
            if self.measured(rec, res):
                info = last_json_object(res["stdout"]) or {}
                rec.update({key: info.get(key) for key in (
                    "trustworthiness", "continuity", "neighbor_preservation", "knn_accuracy", "k", "sample",
                    "subsample_seed", "inproc_seconds")})
                rec["embedding"] = source
            self.emit(rec)

    def task_coranking(self):
        """The co-ranking measures on the MNIST test set (last 10,000 rows) and its PCA: `unfold
        evaluate --sample 10000` (trustworthiness, continuity, neighbour preservation, LCMC and the
        whole R_NX curve's AUC on all 10,000 points) against peers.py coranking-numpy (the curves
        by numpy, trustworthiness by scikit-learn)."""
        import numpy as np

        test_path = OUT / "mnist_test10k.npy"
        if not cached_ok(test_path, (10000, 784), np.float32):
            np.save(test_path, np.ascontiguousarray(np.load(self.X_path, mmap_mode="r")[-10000:]))
        pca_path = OUT / "sklearn_pca_test10k.npy"
        if not cached_ok(pca_path, (10000, 2), np.float32):
            log("making the test set's PCA embedding (untimed)")
            self.run(self.peer("sklearn-pca", "--input", test_path, "--dims", 2, "--out", pca_path), "sklearn_pca_test10k")
        runs = [("numpy", self.peer("coranking-numpy", "--input", test_path, "--embedding", pca_path, "-k", 15))]
        if self.unfold:
            runs.append(("unfold", self.unfold_cmd("evaluate", test_path, pca_path, "-k", 15, "--sample", 10000,
                                                   "--json", "--quiet")))
        else:
            self.skipped("unfold", "coranking", "test10k-pca", self.unfold_reason)
        for tool, cmd in runs:
            for r in range(self.args.repeat):
                rec = self.base(tool, "coranking", "test10k-pca", r)
                res = self.run(cmd, f"{tool}_coranking_test10k_r{r}")
                if self.measured(rec, res):
                    info = last_json_object(res["stdout"]) or {}
                    rec.update({k: info[k] for k in ("lcmc", "rnx", "rnx_auc", "trustworthiness", "inproc_seconds",
                                                     "coranking_seconds", "trust_seconds") if k in info})
                    if tool == "unfold":
                        rec["inproc_seconds"] = info.get("seconds")
                self.emit(rec)

    # -- summary
    def median(self, tool, task, variant, key="seconds"):
        values = [r[key] for r in self.records
                  if r.get("status") == "ok" and r["tool"] == tool and r["task"] == task
                  and r["variant"] == variant and r.get(key) is not None]
        return statistics.median(values) if values else None

    def ratios(self):
        pairs = {
            "knn": [("pynndescent_cold_over_unfold", ("pynndescent", "cold"), ("unfold", "approx")),
                    ("pynndescent_warm_over_unfold", ("pynndescent", "warm"), ("unfold", "approx")),
                    ("unfold_exact_over_unfold", ("unfold", "exact"), ("unfold", "approx"))],
            "pca": [("sklearn_over_unfold", ("sklearn", "PCA(2)"), ("unfold", "pca"))],
            "random_projection": [("sklearn_over_unfold", ("sklearn", "SparseRandomProjection(50)"), ("unfold", "random-projection-50"))],
            "spectral": [("sklearn_over_unfold", ("sklearn", "SpectralEmbedding(2)"), ("unfold", "spectral-2"))],
            "intrinsic_dim": [(f"skdim_over_unfold_{e}", ("skdim", f"{e}-test10k"), ("unfold", f"{e}-test10k"))
                              for e in ID_ESTIMATORS],
            "diffusion": [("pydiffmap_over_unfold", ("pydiffmap", f"dmap-{min(self.n, SPECTRAL_ROWS)}"),
                           ("unfold", f"dmap-{min(self.n, SPECTRAL_ROWS)}"))],
            "isomap": [("sklearn_over_unfold", ("sklearn", "Isomap(5)"), ("unfold", "isomap-5"))],
            "tsne": [("opentsne_over_unfold", ("opentsne", "test10k"), ("unfold", "test10k")),
                     ("sklearn_over_unfold", ("sklearn", "test10k"), ("unfold", "test10k"))],
            "tsne_70k": [("opentsne_over_unfold", ("opentsne", "mnist70k"), ("unfold", "mnist70k"))],
            "sparse_knn": [("pynndescent_cold_over_unfold", ("pynndescent", f"mnist{self.n // 1000}k-csr-cosine"),
                            ("unfold", f"mnist{self.n // 1000}k-csr-cosine"))],
            "phate": [("phate_over_unfold", ("phate", "test10k"), ("unfold", "test10k"))],
            "phate_70k": [("phate_over_unfold", ("phate", "mnist70k"), ("unfold", "mnist70k"))],
            "phate_swissroll": [("phate_over_unfold", ("phate", "swissroll3000"), ("unfold", "swissroll3000"))],
            "poincare_wordnet": [(f"gensim_over_unfold_seed{s}", ("gensim", f"mammals-d10-seed{s}"), ("unfold", f"mammals-d10-seed{s}"))
                                 for s in range(3)],

            "entropy": [("numpy_over_unfold", ("numpy", f"dse-{min(self.n, 2000)}"), ("unfold", f"dse-{min(self.n, 2000)}"))],
            "curvature": [("graphricci_over_unfold", ("graphricci", f"knn10-{min(self.n, 2000)}"), ("unfold", f"knn10-{min(self.n, 2000)}"))],
            "topology": [(f"ripser_over_unfold_{r}", ("ripser", f"h1-{r}"), ("unfold", f"h1-{r}")) for r in (1000, 2000)],

            "mds": [(f"sklearn_over_unfold_{v}", ("sklearn", v), ("unfold", v))
                    for v in ("metric-random", "metric-classical_mds", "nonmetric-random")],
            "evaluate": [("sklearn_trust5k_over_unfold", ("sklearn", "trustworthiness-5k-seed0"),
                          ("unfold", "pca-embedding"))],
            "coranking": [("numpy_over_unfold", ("numpy", "test10k-pca"), ("unfold", "test10k-pca"))],
            "umap_hyperbolic": [("umap_learn_over_unfold", ("umap-learn", "hyperboloid-test10k"), ("unfold", "hyperboloid-test10k"))],
            "umap": [("umap_learn_cold_over_unfold", ("umap-learn", "cold"), ("unfold", "seeded")),
                     ("unfold_seeded_over_unseeded", ("unfold", "seeded"), ("unfold", "unseeded"))],
        }
        pairs["umap_transform"] = []
        pairs["manifold"] = []
        for task, entries in pairs.items():
            if task not in self.args.tasks:
                continue
            line = {"task": task, "kind": "ratios", "n": self.n, "statistic": "median over repeats"}
            for name, (tool_a, var_a), (tool_b, var_b) in entries:
                for key, prefix in (("seconds", "ratio_"), ("peak_rss_mb", "rss_ratio_")):
                    a, b = self.median(tool_a, task, var_a, key), self.median(tool_b, task, var_b, key)
                    line[prefix + name] = a / b if a is not None and b else None
            if task == "manifold":
                for _, variant, rows, _ in self.manifold_variants():
                    line["n"] = rows  # the pairs per space, not the MNIST rows
                    name = variant.split("-")[0]
                    for op in ("dist", "log", "exp", "mean"):
                        a = self.median("geomstats", "manifold", variant, f"{op}_seconds")
                        b = self.median("unfold", "manifold", variant, f"{op}_seconds")
                        line[f"ratio_geomstats_over_unfold_{name}_{op}"] = a / b if a and b else None
                    a, b = self.median("geomstats", "manifold", variant), self.median("unfold", "manifold", variant)
                    line[f"ratio_geomstats_over_unfold_{name}_process"] = a / b if a and b else None
            if task == "mds":
                for v in ("metric-random", "metric-classical_mds", "nonmetric-random"):
                    a, b = self.median("sklearn", "mds", v, "stress1"), self.median("unfold", "mds", v, "stress1")
                    line[f"stress1_ratio_sklearn_over_unfold_{v}"] = a / b if a is not None and b else None
            if task == "umap":
                warm, ours = self.median("umap-learn", "umap", "warm", "inproc_seconds"), self.median("unfold", "umap", "seeded")
                line["ratio_umap_learn_warm_fit_over_unfold_process"] = warm / ours if warm and ours else None
            if task == "umap_transform":
                a = self.median("umap-learn", "umap_transform", "fit60k-transform10k", "transform_seconds")
                b = self.median("unfold", "umap_transform", "fit60k-transform10k", "transform_seconds")
                line["ratio_umap_learn_transform_over_unfold_process"] = a / b if a and b else None
                b = self.median("unfold", "umap_transform", "fit60k-transform10k", "inproc_seconds")
                line["ratio_umap_learn_transform_over_unfold_transform"] = a / b if a and b else None
            self.emit(line)


def diagram_agreement(a, b):
    """Bar counts per dimension and the largest difference among the 20 most persistent finite
    H1 bars (each list sorted by persistence) of two diagrams given as JSON lists."""
    import numpy as np

    def bars(dgm):
        d = np.array([[p[0], np.inf if p[1] is None else p[1]] for p in dgm], dtype=float).reshape(-1, 2)
        d = d[np.isfinite(d[:, 1])]
        return d[np.argsort(-(d[:, 1] - d[:, 0]), kind="stable")][:20]

    out = {"bars_a": [len(d) for d in a], "bars_b": [len(d) for d in b]}
    if len(a) > 1 and len(b) > 1:
        x, y = bars(a[1]), bars(b[1])
        out["h1_top20_max_abs_diff"] = float(np.abs(x - y).max()) if x.shape == y.shape and len(x) else None
    return out


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Benchmark unfold against peers on MNIST.")
    parser.add_argument("--tasks", default=",".join(DEFAULT_TASKS),
                        help="comma-separated subset of " + ",".join(ALL_TASKS)
                        + " (default: all but umap_scale)")
    parser.add_argument("--scale-rows", type=int, default=1_000_000,
                        help="rows of the synthetic umap_scale data (default 1,000,000)")
    parser.add_argument("--peer-timeout", type=float, default=3600.0,
                        help="umap_scale: seconds before umap-learn's run is stopped (default 3600)")
    parser.add_argument("--manifold-rows", type=int, default=1000000,
                        help="manifold: pairs of points per space (default 1,000,000)")
    parser.add_argument("--heatgeo-rows", type=int, default=2000,
                        help="heatgeo, hde: rows of the MNIST test set embedded (dense n x n matrices; default 2,000)")
    parser.add_argument("--mds-rows", type=int, default=2000,
                        help="mds: embed the first N MNIST rows (default 2,000; MDS holds N x N matrices)")
    parser.add_argument("--mds-nonmetric", action="store_true",
                        help="mds: also run non-metric MDS (scikit-learn's takes minutes at 2,000 rows)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (default 1)")
    parser.add_argument("--id-estimators", default=",".join(ID_ESTIMATORS),
                        help=f"intrinsic_dim: the estimators, comma-separated (default {','.join(ID_ESTIMATORS)})")
    parser.add_argument("--n", type=int, default=MNIST_ROWS,
                        help="use only the first N rows, for quick runs (default 70000)")
    parser.add_argument("--data", type=pathlib.Path, default=REPO.parent / "shared" / "data" / "mnist",
                        help="folder with the MNIST *-ubyte.gz files")
    parser.add_argument("--unfold", help="unfold binary (default: <repo>/target/release/unfold)")
    parser.add_argument("--no-build", action="store_true",
                        help="do not run cargo when the unfold binary is missing; skip its runs")
    parser.add_argument("--threads", type=int, help="threads for every tool (default: all cores)")
    parser.add_argument("--no-prime", action="store_true",
                        help="skip the untimed run that fills numba's on-disk cache")
    parser.add_argument("--jsonl", help="also append lines here (default bench/out/results.jsonl)")
    args = parser.parse_args(argv)
    args.tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    unknown = sorted(set(args.tasks) - set(ALL_TASKS))
    if unknown:
        parser.error(f"unknown task(s) {', '.join(unknown)}; choose from {', '.join(ALL_TASKS)}")
    if not 2 * 15 < args.n <= MNIST_ROWS:
        parser.error(f"--n must be in 31..{MNIST_ROWS}, got {args.n}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv):
    args = parse_args(argv)
    if not running_in_venv():
        ensure_venv()
        os.execv(str(venv_python()), [str(venv_python()), str(pathlib.Path(__file__).resolve()), *argv])
    ensure_venv()
    bench = Bench(args)
    bench.locate_unfold()
    bench.emit({"kind": "env", "n": bench.n, "dims": bench.dims, "cpu_count": os.cpu_count(),
                "python": sys.version.split()[0], "versions": package_versions(),
                "unfold": str(bench.unfold) if bench.unfold else None, "rss_method": bench.run.rss_method,
                "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    for task in args.tasks:
        getattr(bench, f"task_{task}")()
    bench.ratios()


if __name__ == "__main__":
    main(sys.argv[1:])
