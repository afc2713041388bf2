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
echo "weft is at $(pwd)/.build/release/weft; the word-count pipeline's report:"
cat out/report.txt
echo
echo "the data pipeline (pipelines/data.yaml): split sizes, then the validation report's verdict"
cat out/split/metrics.json | grep -A4 '"parts"'
grep '"passed"' out/validate.json
