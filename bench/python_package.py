#!/usr/bin/env python3
"""The Python package's fixed costs: `import unfold` vs `import umap`, wheel size, build time.

    python3 bench/python_package.py                 # import times and wheel size
    python3 bench/python_package.py --from-source   # also `pip install .` from scratch (minutes)

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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per import (default 5)")
    parser.add_argument("--from-source", action="store_true", help="also time pip install . from scratch")
    args = parser.parse_args()
    if not VENV_PY.exists():
        sys.exit("bench/.venv is missing: run python3 bench/run.py --tasks pca --n 5000 once to create it")
    build_wheel()
    for module in ["unfold", "umap", "sklearn.decomposition"]:
        time_import(module, args.repeat)
    time_import("unfold; unfold.PCA", args.repeat)
    if args.from_source:
        build_from_source()


if __name__ == "__main__":
    main()
