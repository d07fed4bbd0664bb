#!/usr/bin/env bash
# The WebAssembly runtime (scripts/build_wasm.sh) in Node against `pocketrec serve` on the same
# models: a pocketrec export of every encoder family the synthetic data trains quickly (BOW, GRU,
# attention) and, where ../shared has them, the reference's BOW and CNN starter models with their
# catalog. Every answer must match (tests/wasm/compare.mjs).
set -euo pipefail
bin=${POCKETREC:?set POCKETREC to the pocketrec binary}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$(mktemp -d)}
wasm=${POCKETREC_WASM_DIR:-$root/build-wasm}
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; [ -n "${pid:-}" ] && kill "$pid" 2> /dev/null; exit 1; }
command -v node > /dev/null || fail "node is missing: scripts/setup.sh installs it"
# Incremental: a build already up to date takes a second.
"$root/scripts/build_wasm.sh" "$wasm" > "$work/build.log" 2>&1 ||
  fail "scripts/build_wasm.sh failed: $(tail -5 "$work/build.log")"

compare() {  # model [catalog]
  "$bin" serve --model "$1" ${2:+--catalog "$2"} --port 0 --threads 2 > "$work/serve.out" \
    2> "$work/serve.err" &
  pid=$!
  for _ in $(seq 100); do grep -q "serving" "$work/serve.out" 2> /dev/null && break; sleep 0.1; done
  url=$(grep -o 'http://[^/]*' "$work/serve.out") || fail "serve did not start: $(cat "$work/serve.err")"
  node "$root/tests/wasm/compare.mjs" "$wasm" "$1" "$url" "${2:-}" 300 || fail "$1 differs"
  kill "$pid" && wait "$pid" || true
  pid=
}

"$bin" synth "$work/data" --users 300 --items 120 --mean-length 15 > /dev/null 2>&1
for encoder in bow gru attention; do
  "$bin" train --data "$work/data" --out "$work/$encoder.pkrec" --encoder "$encoder" --epochs 2 \
    --dim 16 --quiet > /dev/null 2>&1
  "$bin" export --model "$work/$encoder.pkrec" --out "$work/$encoder.tflite" > /dev/null 2>&1
  compare "$work/$encoder.tflite"
done
reference=${POCKETREC_SHARED:-$root/../shared}/reference
if [ -d "$reference/tflite" ]; then
  for model in model_history10_top100.tflite recommendation_cnn_i10o100.tflite; do
    compare "$reference/tflite/$model" "$reference/tflite/sorted_movie_vocab.json"
  done
else
  echo "shared reference models absent ($reference), skipping the starter models"
fi
echo "wasm runtime: every answer equals the native runtime's"
