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
echo "weft is at $(pwd)/.build/release/weft. Results of the default pipelines:"
for m in eval-base eval-lora eval-qlora; do
  printf '%-11s' "$m"; grep -E '"(perplexity|rougeL)"' "out/$m/metrics.json" | tr -s ' \n' ' '; echo
done
printf '%-11s' "eval-cls"; grep -E '"(accuracy|f1_macro|baseline_accuracy|baseline_f1_macro)"' out/eval-cls/metrics.json | tr -s ' \n' ' '; echo
