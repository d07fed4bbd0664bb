#!/usr/bin/env bash
# Accuracy and speed of the BOW dual encoder on ml-1m-sasrec (leave-one-out, full ranking, seen
# items excluded), as recorded in docs/BENCHMARKS.md. Not a test: takes about 20-30 minutes.
# Usage: scripts/bench_ml1m.sh [OUT_DIR]   (needs ../shared/data/ml-1m-sasrec)
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data/ml-1m-sasrec
if [ ! -d "$data" ]; then
  echo "skipping: $data not found (the benchmark needs the shared MovieLens data)"; exit 0
fi
out=${1:-out/bench}
mkdir -p "$out"
./scripts/setup.sh > /dev/null
./scripts/build.sh release > /dev/null
bin=./build/pocketrec
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

run() {  # name, then train flags
  local name=$1; shift
  echo "== $name: $*"
  "$bin" train --data "$data" --out "$out/$name.pkrec" --threads 2 --quiet \
    --report "$out/$name.json" "$@" | grep -E "trained|speed|peak|^  (1|5|10|20) |MRR|evaluated"
}

run bow_L10 -L 10 --epochs 30
run bow_L5 -L 5 --epochs 30
run bow_L3 -L 3 --epochs 30
run bow_L30 -L 30 --epochs 30
echo "== baselines and the best model again through 'eval'"
"$bin" eval --model "$out/bow_L5.pkrec" --data "$data" --baselines | tail -4
