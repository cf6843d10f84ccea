import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli():
    """Runs the `unfold` command built by cargo (scripts/test.sh sets UNFOLD_CLI)."""
    path = os.environ.get("UNFOLD_CLI")
    if path is None:
        target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
        path = target / "release" / "unfold"
        if not path.exists():
            pytest.skip("the unfold command is not built (cargo build --release -p unfold-cli)")
    elif not Path(path).exists():
        pytest.fail(f"UNFOLD_CLI={path} does not exist")

    def run(*args, cwd=None):
        done = subprocess.run([str(path), *map(str, args)], capture_output=True, text=True, cwd=cwd)
        assert done.returncode == 0, done.stderr
        return done

    return run


@pytest.fixture
def blobs():
    """200 points in 6 dimensions with a clear variance ordering (float64)."""
    rng = np.random.default_rng(7)
    scales = np.array([5.0, 3.0, 2.0, 1.0, 0.5, 0.25])
    return rng.normal(size=(200, 6)) * scales + rng.normal(size=6)


@pytest.fixture(scope="session")
def mnist():
    import unfold

    return unfold.datasets.load_mnist_sample()


@pytest.fixture
def interrupted():
    """Runs `code` in a fresh Python, sends SIGINT `wait` seconds after it prints "start", and
    returns how many seconds it took to stop. The code must print "interrupted" when the
    KeyboardInterrupt reaches it."""

    def run(code, wait):
        child = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            assert child.stdout.readline().strip() == "start"
            time.sleep(wait)
            sent = time.perf_counter()
            child.send_signal(signal.SIGINT)
            out, err = child.communicate(timeout=30)
            stopped_after = time.perf_counter() - sent
        finally:
            child.kill()
        assert out.strip() == "interrupted", err
        return stopped_after

    return run
