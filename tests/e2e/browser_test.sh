#!/usr/bin/env bash
# The demo page in headless Chromium (tests/browser/demo_test.mjs) against `pocketrec serve` with
# the WebAssembly runtime built: both modes, screenshots kept in the work folder. puppeteer-core
# is installed from npm once into $POCKETREC_BROWSER_DIR (default ~/.cache/pocketrec-browser).
set -euo pipefail
bin=${POCKETREC:?set POCKETREC to the pocketrec binary}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$(mktemp -d)}
wasm=${POCKETREC_WASM_DIR:-$root/build-wasm}
chromium=${CHROMIUM:-/usr/bin/chromium}
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; [ -n "${pid:-}" ] && kill "$pid" 2> /dev/null; exit 1; }
[ -x "$chromium" ] || fail "Chromium is missing: apt-get install chromium (scripts/setup.sh does)"
command -v npm > /dev/null || fail "npm is missing: scripts/setup.sh installs it"
cache=${POCKETREC_BROWSER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pocketrec-browser}
if [ ! -d "$cache/node_modules/puppeteer-core" ]; then
  mkdir -p "$cache"
  cp "$root/tests/browser/package.json" "$cache/"
  (cd "$cache" && npm install --no-audit --no-fund --loglevel=error) ||
    fail "npm install puppeteer-core failed (is the npm registry reachable?)"
fi
cp "$root/tests/browser/demo_test.mjs" "$cache/"
"$root/scripts/build_wasm.sh" "$wasm" > "$work/build.log" 2>&1 ||
  fail "scripts/build_wasm.sh failed: $(tail -5 "$work/build.log")"

reference=${POCKETREC_SHARED:-$root/../shared}/reference/tflite
if [ -f "$reference/model_history10_top100.tflite" ]; then
  model=$reference/model_history10_top100.tflite catalog=$reference/sorted_movie_vocab.json
  search=star
else
  echo "shared reference models absent: a synthetic model instead"
  "$bin" synth "$work/data" --users 200 --items 80 --mean-length 15 > /dev/null 2>&1
  "$bin" train --data "$work/data" --out "$work/m.pkrec" --epochs 2 --dim 8 --quiet > /dev/null 2>&1
  "$bin" export --model "$work/m.pkrec" --out "$work/m.tflite" > /dev/null 2>&1
  model=$work/m.tflite catalog= search=
fi
"$bin" serve --model "$model" ${catalog:+--catalog "$catalog"} --wasm "$wasm" --port 0 \
  > "$work/serve.out" 2> "$work/serve.err" &
pid=$!
for _ in $(seq 100); do grep -q "serving" "$work/serve.out" 2> /dev/null && break; sleep 0.1; done
url=$(grep -o 'http://[^/]*' "$work/serve.out") || fail "serve did not start: $(cat "$work/serve.err")"
CHROMIUM=$chromium node "$cache/demo_test.mjs" "$url/" "$work/demo" "$search" ||
  fail "the demo page test failed"
kill "$pid" && wait "$pid" || true
echo "browser test: ok (screenshots in $work)"
