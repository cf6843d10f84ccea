#!/usr/bin/env bash
# The test command: everything CI runs. Needs only a Rust toolchain and python3 (≥ 3.9, with venv);
# installs whatever else it needs by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

# Numerical tests run optimised: debug builds are 20–50× slower on these kernels.
# The Python extension (unfold-py) is built by maturin below, against the venv's interpreter.
cargo test --release --workspace --exclude unfold-py --all-targets
cargo test --release --workspace --exclude unfold-py --doc

