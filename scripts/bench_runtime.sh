#!/usr/bin/env bash
# The runtime figures of docs/BENCHMARKS.md: export a BOW model trained on ml-1m-sasrec (float32
# and int8), evaluate both exports, then time single queries and the batch over all users, plus
# synthetic catalogs of the issue's sizes. Not a test: a few minutes (the training dominates).
# Usage: scripts/bench_runtime.sh [OUT_DIR]   (needs ../shared/data/ml-1m-sasrec)
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data/ml-1m-sasrec
if [ ! -d "$data" ]; then
  echo "skipping: $data not found (the benchmark needs the shared MovieLens data)"; exit 0
fi
out=${1:-out/bench_runtime}
mkdir -p "$out"
./scripts/setup.sh > /dev/null
./scripts/build.sh release > /dev/null
bin=./build/pocketrec
if [ ! -f "$out/bow5.pkrec" ]; then
  "$bin" train --data "$data" --out "$out/bow5.pkrec" -L 5 --epochs 30 --threads 2 --quiet
fi
"$bin" export --model "$out/bow5.pkrec" --out "$out/bow5.tflite"
"$bin" export --model "$out/bow5.pkrec" --out "$out/bow5_int8.tflite" --quantize int8
for m in bow5.pkrec bow5.tflite bow5_int8.tflite; do
  echo "== eval $m"
  "$bin" eval --model "$out/$m" --data "$data" | grep -E "^ +10 |MRR"
done
for m in bow5.tflite bow5_int8.tflite; do
  echo "== bench $m (real histories)"
  "$bin" bench --model "$out/$m" --data "$data"
done
starter=../shared/reference/tflite
if [ -d "$starter" ]; then
  for m in model_history10_top100 recommendation_cnn_i10o100 recommendation_rnn_i10o100; do
    echo "== bench starter $m (ml-1m histories)"
    "$bin" bench --model "$starter/$m.tflite" --data ../shared/data/ml-1m | grep -E "model|p50|batch"
  done
fi
echo "== synthetic 3,953 x 32, float32 and int8"
"$bin" bench --synthetic-items 3953 --dim 32 | grep -E "model|p50"
"$bin" bench --synthetic-items 3953 --dim 32 --int8 | grep -E "model|p50"
echo "== synthetic 1,000,000 x 32, int8"
"$bin" bench --synthetic-items 1000000 --dim 32 --int8 --queries 300 | grep -E "model|p50|memory"
echo "== top-K alone, 3,953 rows (Google Benchmark, median of 5)"
./build/bench/pocketrec_top_k_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  | grep -E "median"
echo "== library size"
ls -l build/libpocketrec_runtime.so
strip -o "$out/libpocketrec_runtime.stripped.so" build/libpocketrec_runtime.so
ls -l "$out/libpocketrec_runtime.stripped.so"
