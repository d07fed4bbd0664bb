#!/usr/bin/env bash
# Load test of `pocketrec serve` with wrk (loopback only, DURATION seconds, at most 20): POST
# /v1/recommend with ten-item histories drawn from the catalog, as many clients as CONNECTIONS.
# Prints requests/s, latency percentiles and the count of non-200 answers and socket errors
# (docs/BENCHMARKS.md, "HTTP service").
#   bench/serve_load.sh [MODEL] [CATALOG] [DURATION] [CONNECTIONS] [SERVER_THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
reference=../shared/reference/tflite
model=${1:-$reference/model_history10_top100.tflite}
catalog=${2-$reference/sorted_movie_vocab.json}
duration=${3:-10}
connections=${4:-16}
server_threads=${5:-}  # empty: serve's default (16 here)
bin=build/pocketrec
[ -x "$bin" ] || ./scripts/build.sh release
command -v wrk > /dev/null || { echo "wrk is missing: scripts/setup.sh installs it" >&2; exit 1; }
[ -f "$model" ] || { echo "$model is absent" >&2; exit 1; }
[ "$duration" -le 20 ] || { echo "at most 20 seconds" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill "$pid" 2> /dev/null || true; rm -rf "$work"' EXIT
"$bin" serve --model "$model" ${catalog:+--catalog "$catalog"} --port 0 \
  ${server_threads:+--threads "$server_threads"} \
  > "$work/serve.out" 2> "$work/serve.err" &
pid=$!
for _ in $(seq 100); do grep -q "serving" "$work/serve.out" 2> /dev/null && break; sleep 0.1; done
url=$(grep -o 'http://[^/]*' "$work/serve.out")
# Twenty histories of the catalog's popular items, taken in turn by each connection.
ids=$(curl -s "$url/v1/items?limit=200" | grep -o '"id":"[^"]*"' | cut -d'"' -f4 | tr '\n' ' ')
read -r -a all <<< "$ids"
{
  echo 'local bodies = {'
  for h in $(seq 0 19); do
    printf '  [[{"history": ['
    for j in $(seq 0 9); do
      printf '"%s"%s' "${all[$(((h * 7 + j * 13) % ${#all[@]}))]}" "$([ "$j" -lt 9 ] && echo ,)"
    done
    printf '], "k": 10}]],\n'
  done
  echo '}'
  echo 'local n = 0'
  echo 'wrk.method = "POST"'
  echo 'wrk.headers["Content-Type"] = "application/json"'
  echo 'request = function() n = n % #bodies + 1; return wrk.format(nil, nil, nil, bodies[n]) end'
  echo 'local bad = 0'
  echo 'response = function(status) if status ~= 200 then bad = bad + 1 end end'
} > "$work/recommend.lua"
wrk -t 2 -c "$connections" -d "${duration}s" --latency -s "$work/recommend.lua" \
  "$url/v1/recommend" > "$work/wrk.txt"
cat "$work/wrk.txt"
rps=$(grep 'Requests/sec' "$work/wrk.txt" | awk '{print $2}')
p50=$(grep -E '^ +50%' "$work/wrk.txt" | awk '{print $2}')
p99=$(grep -E '^ +99%' "$work/wrk.txt" | awk '{print $2}')
non2xx=$(grep -o 'Non-2xx or 3xx responses: [0-9]*' "$work/wrk.txt" | grep -o '[0-9]*$' || echo 0)
socket=$(grep -o 'Socket errors: .*' "$work/wrk.txt" || echo "Socket errors: none")
echo "model $(basename "$model"), $connections connections, server threads ${server_threads:-default}," \
  "$(nproc) cores: $rps requests/s, p50 $p50, p99 $p99, non-200 $non2xx, $socket"
