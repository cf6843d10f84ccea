#!/usr/bin/env bash
# The test command: everything CI runs. Needs only a Rust toolchain (and python3 once the
# Python package lands); installs whatever else it needs by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

# Numerical tests run optimised: debug builds are 20–50× slower on these kernels.
cargo test --release --workspace --all-targets
cargo test --release --workspace --doc
