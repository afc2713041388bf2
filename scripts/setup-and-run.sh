#!/usr/bin/env bash
# Quick start, step 1: install what is missing, build weft, run the default pipeline.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
install_deps
install_python_deps
swift build -c release --product weft --static-swift-stdlib
./.build/release/weft repro "$@"
echo
echo "weft is at $(pwd)/.build/release/weft; the default pipeline's report:"
cat out/report.txt
