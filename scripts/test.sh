#!/usr/bin/env bash
# The test command: everything CI runs. Needs only a Rust toolchain and python3 (≥ 3.9, with venv);
# installs whatever else it needs by itself.
set -euo pipefail
cd "$(dirname "$0")/.."

# Formatting (rustfmt.toml) and lints, where the toolchain has them: a toolchain without the
# rustfmt or clippy component skips that check with a note rather than failing the tests.
if cargo fmt --version >/dev/null 2>&1; then
    cargo fmt --all -- --check
else
    echo "note: rustfmt is not installed; the formatting check is skipped" >&2
fi

# Numerical tests run optimised: debug builds are 20–50× slower on these kernels.
# The Python extension (unfold-py) is built by maturin below, against the venv's interpreter.
cargo test --release --workspace --exclude unfold-py --all-targets
cargo test --release --workspace --exclude unfold-py --doc

# Python package: a venv with the pinned test requirements, the wheel built from this tree, pytest
# (UNFOLD_CLI: the command built above, for the tests that compare with it). The wheel shares
# cargo's target directory and profile; the core is still compiled once more for it, because the
# extension's dependencies enable other features of shared crates than the CLI's (num-complex,
# bytemuck, libc), and cargo builds one copy per feature set.
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
venv="${UNFOLD_TEST_VENV:-$PWD/.venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r python/tests/requirements.txt
# Lints for every crate, warnings as errors (the extension's build needs the venv's interpreter).
if cargo clippy --version >/dev/null 2>&1; then
    PYO3_PYTHON="$venv/bin/python" cargo clippy --release --workspace --all-targets -- -D warnings
else
    echo "note: clippy is not installed; the lint check is skipped" >&2
fi
rm -rf "$target_dir/wheels"
"$venv/bin/maturin" build --release --interpreter "$venv/bin/python" --out "$target_dir/wheels"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$target_dir"/wheels/*.whl
UNFOLD_CLI="$target_dir/release/unfold" "$venv/bin/python" -m pytest python/tests -q
