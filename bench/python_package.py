#!/usr/bin/env python3
"""The Python package's costs: `import unfold` vs `import umap`, wheel size, build time, and the
overhead of `unfold.UMAP` over the `unfold` command on the same work.

    python3 bench/python_package.py                 # import times and wheel size
    python3 bench/python_package.py --from-source   # also `pip install .` from scratch (minutes)
    python3 bench/python_package.py --umap          # also UMAP on MNIST 70k: Python vs CLI (minutes)
    python3 bench/python_package.py --umap --no-wheel --python .venv/bin/python --unfold PATH
                                                    # only that, with an installed unfold

Builds the wheel with maturin into bench/out/wheels (same cargo target directory as the
workspace), installs it without dependencies into bench/.venv (which bench/run.py creates with
the peers, umap-learn among them), then times each import in fresh processes. Prints one JSON
line per measurement and appends them to bench/out/results.jsonl, like bench/run.py.

`--from-source` times `pip install .` into a new virtual environment with an empty cargo target
directory: what a user without a matching wheel waits for (Rust compile included).
"""

import argparse
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = pathlib.Path(__file__).resolve().parent
REPO = BENCH.parent
VENV_PY = BENCH / ".venv" / "bin" / "python"
OUT = BENCH / "out"


def emit(record):
    record = {"date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()} {os.cpu_count()} cores", **record}
    line = json.dumps(record)
    print(line, flush=True)
    OUT.mkdir(exist_ok=True)
    with open(OUT / "results.jsonl", "a") as f:
        f.write(line + "\n")


def build_wheel():
    wheels = OUT / "wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    maturin = shutil.which("maturin") or str(REPO / ".venv" / "bin" / "maturin")
    start = time.perf_counter()
    subprocess.run([maturin, "build", "--release", "--interpreter", str(VENV_PY), "--out", str(wheels)], cwd=REPO, check=True)
    seconds = time.perf_counter() - start
    (wheel,) = wheels.glob("*.whl")
    emit({"task": "wheel", "file": wheel.name, "mb": round(wheel.stat().st_size / 1e6, 2), "incremental_build_seconds": round(seconds, 1)})
    subprocess.run([str(VENV_PY), "-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps", str(wheel)], check=True)


IMPORT_TIMER = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def time_import(module, repeat):
    # One warm-up run fills the OS file cache and Python's bytecode cache (and numba's cache).
    inner, whole = [], []
    for i in range(repeat + 1):
        start = time.perf_counter()
        done = subprocess.run([str(VENV_PY), "-c", IMPORT_TIMER.format(module=module)], capture_output=True, text=True, check=True)
        elapsed = time.perf_counter() - start
        if i:
            inner.append(float(done.stdout.strip()))
            whole.append(elapsed)
    emit(
        {
            "task": "import",
            "module": module,
            "repeat": repeat,
            "import_seconds_median": round(statistics.median(inner), 4),
            "import_seconds_max": round(max(inner), 4),
            "process_seconds_median": round(statistics.median(whole), 4),
        }
    )


def build_from_source():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        subprocess.run([sys.executable, "-m", "venv", str(tmp / "venv")], check=True)
        env = {**os.environ, "CARGO_TARGET_DIR": str(tmp / "target")}
        start = time.perf_counter()
        subprocess.run([str(tmp / "venv" / "bin" / "pip"), "install", "--quiet", str(REPO)], env=env, check=True)
        seconds = time.perf_counter() - start
    emit({"task": "build_from_source", "command": "pip install . (fresh venv, empty target dir)", "seconds": round(seconds, 1)})


UMAP_SCRIPT = """
import sys, time
import numpy as np
import unfold
UMAP = unfold.UMAP  # imports the estimator and scikit-learn, once per process: not the work itself
X = np.load(sys.argv[1], mmap_mode="r")
start = time.perf_counter()
Y = UMAP(random_state=42).fit_transform(X)
seconds = time.perf_counter() - start
np.save(sys.argv[2], Y)
print(seconds)
"""


def unfold_binary(given):
    if given:
        return pathlib.Path(given)
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "release" / "unfold"


def time_umap_overhead(python, unfold, repeat):
    """`unfold.UMAP(random_state=42).fit_transform` on MNIST 70k against `unfold embed --method
    umap --seed 42` on the same file, alternating, each a fresh process; both outputs must be equal."""
    data = OUT / "mnist70k.npy"
    if not data.exists():
        sys.exit(f"{data} is missing: run python3 bench/run.py --tasks pca --n 5000 once to prepare MNIST")
    if not unfold.exists():
        sys.exit(f"{unfold} is missing: cargo build --release -p unfold-cli (or pass --unfold)")
    seconds = {"cli": [], "python": []}
    inner = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([str(unfold), "embed", str(data), "--method", "umap", "--seed", "42", "-o", str(OUT / "umap_cli.npy"), "--quiet"], check=True)
        seconds["cli"].append(time.perf_counter() - start)
        start = time.perf_counter()
        done = subprocess.run([str(python), "-c", UMAP_SCRIPT, str(data), str(OUT / "umap_python.npy")], capture_output=True, text=True, check=True)
        seconds["python"].append(time.perf_counter() - start)
        inner.append(float(done.stdout.strip()))
    equal = subprocess.run(
        [str(python), "-c", "import sys, numpy as np; print(np.array_equal(np.load(sys.argv[1]), np.load(sys.argv[2])))", str(OUT / "umap_cli.npy"), str(OUT / "umap_python.npy")],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    cli, py, fit = statistics.median(seconds["cli"]), statistics.median(seconds["python"]), statistics.median(inner)
    emit(
        {
            "task": "umap_overhead",
            "data": "mnist70k",
            "repeat": repeat,
            "cli_process_seconds": [round(s, 1) for s in seconds["cli"]],
            "python_process_seconds": [round(s, 1) for s in seconds["python"]],
            "python_fit_transform_seconds": [round(s, 1) for s in inner],
            "ratio_process_median": round(py / cli, 3),
            "ratio_fit_transform_over_cli_process_median": round(fit / cli, 3),
            "outputs_equal": equal == "True",
        }
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per import (default 5)")
    parser.add_argument("--from-source", action="store_true", help="also time pip install . from scratch")
    parser.add_argument("--umap", action="store_true", help="also time UMAP on MNIST 70k, Python against the CLI")
    parser.add_argument("--umap-repeat", type=int, default=2, help="runs of each tool for --umap (default 2)")
    parser.add_argument("--no-wheel", action="store_true", help="skip the wheel build and the import timings")
    parser.add_argument("--python", default=str(VENV_PY), help="interpreter with unfold installed, for --umap")
    parser.add_argument("--unfold", help="unfold binary (default: $CARGO_TARGET_DIR or <repo>/target, release)")
    args = parser.parse_args()
    if not args.no_wheel:
        if not VENV_PY.exists():
            sys.exit("bench/.venv is missing: run python3 bench/run.py --tasks pca --n 5000 once to create it")
        build_wheel()
        for module in ["unfold", "umap", "sklearn.decomposition"]:
            time_import(module, args.repeat)
        time_import("unfold; unfold.PCA", args.repeat)
    if args.from_source:
        build_from_source()
    if args.umap:
        time_umap_overhead(args.python, unfold_binary(args.unfold), args.umap_repeat)


if __name__ == "__main__":
    main()
