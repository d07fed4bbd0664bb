#!/usr/bin/env bash
# Input-side robustness through the CLI (issue "Robustness"): each case was once read silently
# wrong, destroyed a file, failed late or printed a misleading message.
set -euo pipefail
bin=${POCKETREC:?set POCKETREC to the pocketrec binary}
work=${1:-$(mktemp -d)}
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
contains() { grep -c -- "$1" > /dev/null; }
# Runs a command that must fail with an error line containing $1.
expect_error() {
  local want=$1
  shift
  if "$@" > "$work/out.txt" 2> "$work/err.txt"; then fail "accepted: $*"; fi
  contains "$want" < "$work/err.txt" || fail "'$*' said: $(cat "$work/err.txt"), not '$want'"
}

"$bin" synth "$work/data" --users 120 --items 60 --mean-length 12 > /dev/null

# A user's own CSV, shuffled: the time column, not the line order, orders it; ratings are kept.
{
  echo "userId,itemId,rating,timestamp"
  awk -F'::' '{print $1","$2","$3","$4}' "$work/data/ratings.dat" | sort -t, -k2,2 -k1,1
} > "$work/log.csv"
"$bin" prepare "$work/log.csv" --out "$work/prepared" --tsv > "$work/prepare.txt" 2> "$work/prepare.err"
contains '"has_timestamps": true' < "$work/prepared/manifest.json" || fail "timestamps dropped"
contains '"has_ratings": true' < "$work/prepared/manifest.json" || fail "ratings dropped"
contains "time=4 (timestamp)" < "$work/prepare.err" || fail "layout not reported"
# The same events as the MovieLens reader gives, each user's in time order.
"$bin" prepare "$work/data" --out "$work/prepared_ml" --tsv > /dev/null 2>&1
events() { cut -f1-3 "$1/events.tsv" | sort; }
cmp -s <(events "$work/prepared") <(events "$work/prepared_ml") \
  || fail "the shuffled CSV gave other events than ratings.dat"
awk -F'\t' '$1 == u && $3 < t {bad = 1} {u = $1; t = $3} END {exit bad}' \
  "$work/prepared/events.tsv" || fail "the shuffled CSV was not put in time order"
# --columns is honoured on a detected .csv, and nonsense is refused.
awk -F, 'NR > 1 {print $4","$1","$2}' "$work/log.csv" > "$work/tiu.csv"
"$bin" prepare "$work/tiu.csv" --columns time=1,user=2,item=3 --out "$work/prepared_tiu" --tsv \
  > /dev/null 2>&1 || fail "--columns time=1,user=2,item=3 refused"
cmp -s <(events "$work/prepared_tiu") <(events "$work/prepared_ml") \
  || fail "--columns was not honoured"
expect_error "expected name=column pairs" "$bin" prepare "$work/log.csv" --columns garbage
expect_error "--min-rating needs ratings" "$bin" prepare "$work/tiu.csv" \
  --columns user=2,item=3 --min-rating 4
# Binary data is refused, naming the file and line.
head -c 3000 /dev/urandom > "$work/random.bin"
printf '\0' >> "$work/random.bin"
expect_error "random.bin" "$bin" prepare "$work/random.bin" --min-length 1
# A catalog file passed as data names the file.
expect_error "movies.dat" "$bin" prepare "$work/data/movies.dat"

# Outputs never destroy inputs and are checked before any work.
cp "$work/log.csv" "$work/keep.csv"
expect_error "is an input" "$bin" train --data "$work/log.csv" --out "$work/log.csv" --epochs 1
cmp -s "$work/log.csv" "$work/keep.csv" || fail "train overwrote its input log"
expect_error "should end with .pkrec" "$bin" train --data "$work/prepared" --out "$work/m.tflite"
expect_error "cannot create the folder" "$bin" train --data "$work/prepared" \
  --out "$work/m.pkrec" --checkpoint /proc/no/such.ckpt
"$bin" train --data "$work/prepared" --out "$work/m.pkrec" --epochs 1 --dim 8 --quiet > /dev/null
cp "$work/m.pkrec" "$work/m_keep.pkrec"
expect_error "is an input" "$bin" export --model "$work/m.pkrec" --out "$work/m.pkrec"
cmp -s "$work/m.pkrec" "$work/m_keep.pkrec" || fail "export overwrote the model"
expect_error "should end with .tflite" "$bin" export --model "$work/m.pkrec" --out "$work/m.bin"
"$bin" export --model "$work/m.pkrec" --out "$work/m.bin" --force > /dev/null \
  || fail "--force did not write the odd name"
expect_error "not a prepared dataset" "$bin" prepare "$work/log.csv" --out "$work/data"
# A second prepare into the same folder leaves nothing stale behind: not the first one's user
# attributes, its events.tsv or its extra shards.
"$bin" prepare "$work/data" --out "$work/again" --tsv --shards 3 > /dev/null 2>&1
contains '"gender"' < "$work/again/manifest.json" || fail "prepare of ml-1m kept no attributes"
"$bin" prepare "$work/log.csv" --out "$work/again" > /dev/null 2>&1
if grep -q '"gender"' "$work/again/manifest.json"; then fail "stale user attributes survived"; fi
[ ! -f "$work/again/events.tsv" ] || fail "a stale events.tsv survived"
[ ! -f "$work/again/shard-00001.bin" ] || fail "a stale shard survived"
# An orphaned temporary file of a killed writer is cleaned up by the next write.
touch "$work/m2.pkrec.tmp.999999999"
"$bin" train --data "$work/prepared" --out "$work/m2.pkrec" --epochs 1 --dim 8 --quiet > /dev/null
[ ! -f "$work/m2.pkrec.tmp.999999999" ] || fail "orphaned temporary file kept"

# A resumed run names the options it overrides.
"$bin" train --data "$work/prepared" --out "$work/r.pkrec" --epochs 2 --dim 8 --quiet > /dev/null
"$bin" train --data "$work/prepared" --out "$work/r.pkrec" --epochs 3 --dim 8 --lr 0.01 --quiet \
  --resume 2> "$work/err.txt" > /dev/null
contains "learning_rate: 0.001 in the checkpoint's run, 0.01 now" < "$work/err.txt" \
  || fail "resume did not report the changed rate: $(cat "$work/err.txt")"

# Bounded resources and options that made no sense.
expect_error "--threads must be in" "$bin" train --data "$work/prepared" --out "$work/t.pkrec" \
  --threads 100000
expect_error "not in range" "$bin" eval --model "$work/m.pkrec" --data "$work/prepared" \
  --threads 100000
"$bin" train --data "$work/prepared" --out "$work/t.pkrec" --loss sampled --negatives 100000 \
  --epochs 1 --dim 8 --quiet 2> "$work/err.txt" > /dev/null
contains "covers the whole catalog" < "$work/err.txt" || fail "huge --negatives not reported"
ids=$(seq -s, 100000 110000)
"$bin" recommend --model "$work/m.pkrec" --history "$ids" 2> "$work/err.txt" > /dev/null
[ "$(wc -c < "$work/err.txt")" -lt 300 ] || fail "10,000 unknown ids flooded stderr"
contains "and 9991 more" < "$work/err.txt" || fail "unknown ids not summarized"
all=$(cut -f1 "$work/prepared/items.tsv" | paste -sd,)
"$bin" recommend --model "$work/m.pkrec" --history "$all" 2> "$work/err.txt" > /dev/null
contains "nothing to recommend" < "$work/err.txt" || fail "an empty answer was silent"
for args in "-k 0" "--queries 0" "--threads -1" "--dim 0"; do
  # shellcheck disable=SC2086
  expect_error "not in range" "$bin" bench --synthetic-items 50 $args
done
expect_error "--dim describes the --synthetic-items model" "$bin" bench --model "$work/m.pkrec" \
  --data "$work/prepared" --dim 8
expect_error "--int8 quantizes a .pkrec" "$bin" bench --model "$work/m.bin" \
  --data "$work/prepared" --int8

# Messages that name the problem.
expect_error "is a folder" "$bin" recommend --model "$work/data" --history 1
printf 'PK' > "$work/tiny.pkrec"
expect_error "too short to be a model" "$bin" recommend --model "$work/tiny.pkrec" --history 1
printf 'xxxxNOPEyyyyyyyy' > "$work/bad.tflite"
expect_error "not a TFLite model" "$bin" recommend --model "$work/bad.tflite" --history 1
expect_error "unknown subcommand 'trian'" "$bin" trian --data x

# gzip everywhere: an ml-100k folder of .gz files, titles included.
mkdir -p "$work/ml100k"
printf '1\t10\t5\t100\n1\t11\t4\t101\n1\t12\t3\t102\n' | gzip > "$work/ml100k/u.data.gz"
for id in 10 11 12; do
  printf '%s|Film %s (1995)|01-Jan-1995||http://x|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n' "$id" "$id"
done | gzip > "$work/ml100k/u.item.gz"
"$bin" prepare "$work/ml100k" --out "$work/ml100k_prepared" --min-length 1 > /dev/null 2>&1 \
  || fail "an ml-100k folder of .gz files was not read"
contains "Film 11 (1995)" < "$work/ml100k_prepared/items.tsv" || fail "u.item.gz was ignored"
echo "robustness end-to-end: ok"
