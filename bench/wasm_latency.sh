#!/usr/bin/env bash
# pocketrec's WebAssembly runtime against LiteRT.js in Node on the starter models and a pocketrec
# export (docs/BENCHMARKS.md, "WebAssembly"). Builds the runtime if needed; LiteRT.js comes from
# the cache that ../shared/tools/litert/litert-run installs.
#   bench/wasm_latency.sh [QUERIES]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
queries=${1:-2000}
shared=${POCKETREC_SHARED:-../shared}
reference=$shared/reference/tflite
[ -d "$reference" ] || { echo "$reference is absent: nothing to compare" >&2; exit 1; }
./scripts/build_wasm.sh > /dev/null
cache=${POCKETREC_LITERT_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pocketrec-litert}
if [ ! -d "$cache/node_modules/@litertjs/core" ]; then  # first use installs it
  "$shared/tools/litert/litert-run" "$reference/model_history10_top100.tflite" \
    "$shared/tools/litert/cases_example.json" > /dev/null
fi
cp bench/wasm_latency.mjs "$cache/"
[ -x build/pocketrec ] || ./scripts/build.sh release
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# pocketrec exports (the timing does not depend on how well they are trained): GRU L = 10 and
# attention L = 50 over 1,000 synthetic items.
build/pocketrec synth "$work/data" --users 2000 --items 1000 --mean-length 30 > /dev/null 2>&1
for spec in "gru -L 10" "attention -L 50"; do
  read -r encoder flag length <<< "$spec"
  build/pocketrec train --data "$work/data" --out "$work/$encoder.pkrec" --encoder "$encoder" \
    "$flag" "$length" --epochs 1 --quiet > /dev/null 2>&1
  build/pocketrec export --model "$work/$encoder.pkrec" --out "$work/$encoder.tflite" > /dev/null 2>&1
done
run() { (cd "$cache" && node wasm_latency.mjs "$root/build-wasm" "$@" "$queries") 2> /dev/null; }
run "$(realpath "$reference/model_history10_top100.tflite")" "$(realpath "$reference/sorted_movie_vocab.json")"
run "$(realpath "$reference/recommendation_cnn_i10o100.tflite")" "$(realpath "$reference/sorted_movie_vocab.json")"
for encoder in gru attention; do run "$work/$encoder.tflite" ""; done
