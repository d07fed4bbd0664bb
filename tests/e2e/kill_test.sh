#!/usr/bin/env bash
# Crash safety: `train` killed with SIGKILL at random moments leaves a loadable model and
# checkpoint every time, no stray temporary file survives the next run, and --resume ends with
# exactly the model of an uninterrupted run.
set -euo pipefail
bin=${POCKETREC:?set POCKETREC to the pocketrec binary}
work=${1:-$(mktemp -d)}
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$bin" synth "$work/data" --users 4000 --items 300 --mean-length 40 > /dev/null
args=(--data "$work/data" --encoder gru --rnn-units 16 --dim 16 --epochs 8 --patience 8
      --threads 2 --batch 32 --quiet)
"$bin" train "${args[@]}" --out "$work/straight.pkrec" > /dev/null
RANDOM=7  # the kill moments are random but the same on every run of this test
kills=0
for attempt in 1 2 3 4 5 6; do
  "$bin" train "${args[@]}" --out "$work/killed.pkrec" --resume > /dev/null 2>&1 &
  pid=$!
  sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
  if kill -9 "$pid" 2> /dev/null; then kills=$((kills + 1)); fi
  wait "$pid" 2> /dev/null || true
  for file in "$work/killed.pkrec" "$work/killed.pkrec.ckpt"; do
    if [ -e "$file" ]; then
      "$bin" recommend --model "$file" --history 1,2,3 -k 3 > /dev/null 2> "$work/err.txt" \
        || fail "after kill $attempt, $file does not load: $(cat "$work/err.txt")"
    fi
  done
done
[ "$kills" -ge 3 ] || fail "only $kills of 6 runs were still running when killed"
"$bin" train "${args[@]}" --out "$work/killed.pkrec" --resume > /dev/null 2>&1 \
  || fail "the final --resume failed"
cmp -s <("$bin" recommend --model "$work/straight.pkrec" --history 1,2,3,4,5 -k 20 --json) \
  <("$bin" recommend --model "$work/killed.pkrec" --history 1,2,3,4,5 -k 20 --json) \
  || fail "killed and resumed training ended with another model than the uninterrupted run"
cmp -s <("$bin" eval --model "$work/straight.pkrec" --data "$work/data" --json | grep -v seconds) \
  <("$bin" eval --model "$work/killed.pkrec" --data "$work/data" --json | grep -v seconds) \
  || fail "killed and resumed model evaluates differently"
if ls "$work"/killed.pkrec*.tmp.* > /dev/null 2>&1; then
  fail "temporary files left behind: $(ls "$work"/killed.pkrec*.tmp.*)"
fi
echo "kill and resume: ok ($kills kills)"
