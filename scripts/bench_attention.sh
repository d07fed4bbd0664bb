#!/usr/bin/env bash
# The attention encoder's defaults on every log in ../shared/data, with the popularity and Markov
# baselines and the recurrent encoders on the MovieLens sets (docs/BENCHMARKS.md, "Every shared
# log"). About an hour on 2 cores; the ml-1m-sasrec run is capped at 30 minutes.
#   scripts/bench_attention.sh [DATA_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data}
out=${2:-bench-out/attention}
bin=build/pocketrec
[ -x "$bin" ] || ./scripts/build.sh release
mkdir -p "$out"
train() {
  local name=$1 dir=$2; shift 2
  if [ ! -d "$data/$dir" ]; then echo "$name: $data/$dir absent, skipping"; return; fi
  echo "== $name"
  "$bin" train --data "$data/$dir" --out "$out/$name.pkrec" --threads 2 --quiet \
    --report "$out/$name.json" "$@" 2>&1 | grep -E "recipe|trained|^ +10 "
}
train ml-1m-sasrec_attention ml-1m-sasrec --encoder attention --max-minutes 30
for log in amazon-office amazon-tools; do
  train "${log}_attention" "$log" --encoder attention
  [ -f "$out/${log}_attention.pkrec" ] && "$bin" eval --model "$out/${log}_attention.pkrec" \
    --data "$data/$log" --baselines 2>/dev/null | tail -3
done
for set in ml-100k ml-latest-small ml-1m; do
  train "${set}_attention" "$set" --encoder attention
  train "${set}_lstm" "$set" --encoder lstm -L 10
  train "${set}_gru" "$set" --encoder gru -L 20
done
