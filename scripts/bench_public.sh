#!/usr/bin/env bash
# The attention encoder's defaults on public sequential-recommendation logs that are not in
# ../shared/data, with the popularity and first-order Markov baselines (docs/BENCHMARKS.md,
# "Public logs outside ../shared"). Never commit the files. Where they come from:
#   Beauty.txt, Sports_and_Outdoors.txt, Toys_and_Games.txt, Yelp.txt: the data/ folder of
#     https://github.com/salesforce/ICLRec (one line per user: user item1 item2 ...)
#   Video.txt: the data/ folder of https://github.com/kang205/SASRec (one "user item" per line)
#   scripts/bench_public.sh DATA_DIR [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:?usage: scripts/bench_public.sh DATA_DIR [OUT_DIR]}
out=${2:-bench-out/public}
bin=build/pocketrec
[ -x "$bin" ] || ./scripts/build.sh release
mkdir -p "$out"
for name in Beauty Sports_and_Outdoors Toys_and_Games Yelp Video; do
  file="$data/$name.txt"
  if [ ! -f "$file" ]; then echo "$name: $file absent, skipping"; continue; fi
  echo "== $name"
  "$bin" train --data "$file" --encoder attention --threads 2 --quiet \
    --out "$out/$name.pkrec" --report "$out/$name.json" 2>&1 | grep -E "recipe|^ +10 "
  "$bin" eval --model "$out/$name.pkrec" --data "$file" --baselines --threads 2 2>/dev/null |
    grep -E "^(test, same|model  |most popular|first-order)" || true
done
