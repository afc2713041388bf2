#!/usr/bin/env bash
# Quick start, step 2: the whole test suite (installs what is missing first).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
install_deps
install_python_deps
swift build --build-tests
swift test --skip-build "$@"
