#!/usr/bin/env bash
# `pocketrec serve` over real HTTP (curl): every route and error status, concurrent clients,
# reload (SIGHUP) under load with a good and a broken file, and SIGTERM exiting 0.
set -euo pipefail
bin=${POCKETREC:?set POCKETREC to the pocketrec binary}
work=${1:-$(mktemp -d)}
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; [ -n "${pid:-}" ] && kill "$pid" 2> /dev/null; exit 1; }
command -v curl > /dev/null || fail "curl is missing: scripts/setup.sh installs it"

"$bin" synth "$work/data" --users 200 --items 80 --mean-length 15 > /dev/null
for seed in 1 2; do
  "$bin" train --data "$work/data" --out "$work/m$seed.pkrec" --epochs 2 --dim 8 --seed $seed \
    --quiet > /dev/null
  "$bin" export --model "$work/m$seed.pkrec" --out "$work/m$seed.tflite" > /dev/null
done
cp "$work/m1.tflite" "$work/served.tflite"
"$bin" serve --model "$work/served.tflite" --port 0 --threads 4 > "$work/serve.out" \
  2> "$work/serve.err" &
pid=$!
for _ in $(seq 100); do grep -q "serving" "$work/serve.out" 2> /dev/null && break; sleep 0.1; done
url=$(grep -o 'http://[^/]*' "$work/serve.out") || fail "serve did not start: $(cat "$work/serve.err")"

status() { curl -s -o "$work/body.json" -w '%{http_code}' "$@"; }
expect() {
  local want=$1
  shift
  local got
  got=$(status "$@")
  [ "$got" = "$want" ] || fail "$* gave $got, not $want: $(cat "$work/body.json")"
}
expect 200 "$url/healthz"
expect 200 "$url/"
grep -q "pocketrec" "$work/body.json" || fail "the demo page is not served at /"
expect 200 "$url/v1/model"
grep -q '"encoder":"bow"' "$work/body.json" || fail "/v1/model lacks the encoder"
expect 200 -X POST "$url/v1/recommend" -d '{"history": ["1", "2", 3, "nope"], "k": 5}'
grep -q '"unknown_ids":\["nope"\]' "$work/body.json" || fail "unknown id not reported"
[ "$(grep -o '"id"' "$work/body.json" | wc -l)" -eq 5 ] || fail "recommend did not give 5 items"
expect 200 "$url/v1/items?query=the&limit=3"
expect 200 "$url/v1/items/1"
expect 200 "$url/v1/items/1/similar?k=3"
expect 400 -X POST "$url/v1/recommend" -d '{not json'
expect 422 -X POST "$url/v1/recommend" -d '{"history": "1"}'
expect 404 "$url/v1/items/no-such-item"
expect 404 "$url/nowhere"
expect 405 "$url/v1/recommend"
head -c 2000000 /dev/zero | tr '\0' 'a' > "$work/big.txt"
expect 413 -X POST "$url/v1/recommend" --data-binary "@$work/big.txt"
grep -q '"status":413' "$work/body.json" || fail "413 without the JSON error body"

# Many concurrent clients: every answer 200.
seq 400 | xargs -P 16 -I{} curl -s -o /dev/null -w '%{http_code}\n' -X POST \
  "$url/v1/recommend" -d '{"history": ["{}"], "k": 10}' | sort | uniq -c > "$work/codes.txt"
grep -qE '^ *400 200$' "$work/codes.txt" || fail "concurrent requests: $(cat "$work/codes.txt")"

# Reload under load: a good file swaps in, a broken one leaves the old model serving.
before=$(curl -s -X POST "$url/v1/recommend" -d '{"history": ["1"], "k": 10}')
( for _ in $(seq 300); do
    curl -s -o /dev/null -w '%{http_code}\n' -X POST "$url/v1/recommend" -d '{"history": ["2"]}'
  done > "$work/load_codes.txt" ) &
load=$!
cp "$work/m2.tflite" "$work/next.tflite" && mv "$work/next.tflite" "$work/served.tflite"
kill -HUP "$pid"
for _ in $(seq 50); do grep -q "reloaded" "$work/serve.err" && break; sleep 0.1; done
grep -q "reloaded" "$work/serve.err" || fail "SIGHUP did not reload: $(cat "$work/serve.err")"
after=$(curl -s -X POST "$url/v1/recommend" -d '{"history": ["1"], "k": 10}')
[ "$before" != "$after" ] || fail "the reloaded model answers as the old one"
head -c 100 "$work/m1.tflite" > "$work/broken.tflite" && mv "$work/broken.tflite" "$work/served.tflite"
kill -HUP "$pid"
for _ in $(seq 50); do grep -q "reload failed" "$work/serve.err" && break; sleep 0.1; done
grep -q "reload failed" "$work/serve.err" || fail "a broken reload was not reported"
wait "$load"
[ "$(grep -vc '^200$' "$work/load_codes.txt")" -eq 0 ] || fail "errors during reload: $(sort "$work/load_codes.txt" | uniq -c)"
[ "$(curl -s -X POST "$url/v1/recommend" -d '{"history": ["1"], "k": 10}')" = "$after" ] \
  || fail "after a failed reload the served model changed"
# POST /v1/admin/reload (loopback): a broken file is refused with 422 and the old model serves on;
# a good one swaps in. The model file the page downloads is the file served.
expect 422 -X POST "$url/v1/admin/reload" -d ''
[ "$(curl -s -X POST "$url/v1/recommend" -d '{"history": ["1"], "k": 10}')" = "$after" ] \
  || fail "a refused admin reload changed the model"
cp "$work/m1.tflite" "$work/next.tflite" && mv "$work/next.tflite" "$work/served.tflite"
expect 200 -X POST "$url/v1/admin/reload" -d ''
[ "$(curl -s -X POST "$url/v1/recommend" -d '{"history": ["1"], "k": 10}')" = "$before" ] \
  || fail "POST /v1/admin/reload did not swap the model in"
curl -s -o "$work/downloaded.tflite" "$url/v1/model/file"
cmp -s "$work/downloaded.tflite" "$work/m1.tflite" || fail "/v1/model/file is not the served file"
expect 404 "$url/v1/model/catalog"
expect 200 -X POST "$url/v1/recommend" -d '{"history": ["1", "2"], "k": 3, "explain": true}'
grep -q '"because"' "$work/body.json" || fail "explain gave no reasons"
expect 200 "$url/metrics"
grep -q 'pocketrec_requests_total{route="/v1/recommend",status="200"}' "$work/body.json" \
  || fail "/metrics lacks the recommend counter"

# SIGTERM: stop and exit 0.
kill -TERM "$pid"
code=0
wait "$pid" || code=$?
pid=
[ "$code" -eq 0 ] || fail "serve exited $code after SIGTERM"
grep -q stopped "$work/serve.out" || fail "serve did not report stopping"
echo "serve end-to-end: ok"
