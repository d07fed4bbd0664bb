#!/usr/bin/env bash
# End to end through the CLI: synth -> prepare -> train -> eval -> recommend, plus error paths.
set -euo pipefail
bin=${POCKETREC:?set POCKETREC to the pocketrec binary}
work=${1:-$(mktemp -d)}
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
# Reads all of its input, unlike grep -q, whose early exit can kill the writer with SIGPIPE and
# fail the pipeline under pipefail (seen with the slower ASan binary).
contains() { grep -c -- "$1" > /dev/null; }

"$bin" --help | contains quickstart || fail "--help does not list quickstart"
"$bin" train --help | contains "--context-length" || fail "train --help lacks --context-length"

"$bin" synth "$work/data" --users 300 --items 150 --mean-length 25 > /dev/null
"$bin" prepare "$work/data" --out "$work/prepared" > "$work/prepare.txt"
grep -q "users *300" "$work/prepare.txt" || fail "prepare did not report 300 users"
grep -q "skipped *0" "$work/prepare.txt" || fail "prepare reported skipped rows"

"$bin" train --data "$work/prepared" --out "$work/model.pkrec" --epochs 3 --dim 16 --quiet \
  --report "$work/report.json" > "$work/train.txt"
[ -s "$work/model.pkrec" ] || fail "no model written"
[ -s "$work/model.pkrec.ckpt" ] || fail "no checkpoint written"
grep -q '"hr@10"' "$work/report.json" || fail "report lacks hr@10"

# The streaming prepare: a 20 KiB sort buffer spills runs to disk, 3 shards; training on it gives
# the model training on the raw log gives, byte for byte.
"$bin" prepare "$work/data" --out "$work/sharded" --shards 3 --memory-mb 0.02 > "$work/sharded.txt"
grep -q "in [1-9][0-9]* runs on disk" "$work/sharded.txt" || fail "prepare did not sort on disk"
[ -s "$work/sharded/shard-00002.bin" ] || fail "prepare --shards 3 did not write 3 shards"
"$bin" train --data "$work/data" --out "$work/raw.pkrec" --epochs 2 --dim 16 --quiet > /dev/null
"$bin" train --data "$work/sharded" --out "$work/sharded.pkrec" --epochs 2 --dim 16 --quiet \
  > /dev/null
cmp -s "$work/raw.pkrec" "$work/sharded.pkrec" || fail "training on the shards differs from the log"
"$bin" train --data "$work/sharded" --out "$work/speed.pkrec" --max-batches 3 --quiet \
  | contains "stopped after 3 batches: [0-9]* targets/s" || fail "--max-batches gave no speed"
if "$bin" prepare "$work/no-such-log" --out "$work/never" 2> "$work/err.txt"; then
  fail "prepare of a missing log succeeded"
fi
[ ! -e "$work/never" ] || fail "a failed prepare left its output folder behind"

"$bin" eval --model "$work/model.pkrec" --data "$work/data" --baselines > "$work/eval.txt"
grep -q "first-order Markov" "$work/eval.txt" || fail "eval lacks the Markov baseline"
"$bin" eval --model "$work/model.pkrec" --data "$work/data" --json > "$work/eval.json"
grep -q '"ndcg@10"' "$work/eval.json" || fail "eval --json lacks ndcg@10"

"$bin" recommend --model "$work/model.pkrec" --history "1,2,3,nope" -k 5 \
  > "$work/rec.txt" 2> "$work/rec.err"
[ "$(wc -l < "$work/rec.txt")" -eq 5 ] || fail "recommend did not print 5 lines"
grep -q "unknown item id(s): nope" "$work/rec.err" || fail "unknown id not reported"
if grep -E '^ *[0-9]+\. +(1|2|3) ' "$work/rec.txt"; then fail "history item recommended"; fi

# The recurrent encoders through the same commands.
for encoder in cnn gru lstm; do
  "$bin" train --data "$work/prepared" --out "$work/$encoder.pkrec" --encoder $encoder --rnn-units 16 \
    --epochs 2 --dim 16 --quiet > /dev/null
  "$bin" eval --model "$work/$encoder.pkrec" --data "$work/prepared" --json | contains '"hr@10"' \
    || fail "$encoder eval failed"
  "$bin" recommend --model "$work/$encoder.pkrec" --history "1,2,3" -k 3 > "$work/rnn_rec.txt"
  [ "$(wc -l < "$work/rnn_rec.txt")" -eq 3 ] || fail "$encoder recommend did not print 3 lines"
done

# Side features: genre, year and rating from movies.dat and the log, user attributes from users.dat.
"$bin" train --data "$work/data" --out "$work/features.pkrec" --features genre,year,rating,gender,age \
  --encoder cnn -L 8 --epochs 2 --dim 16 --quiet > "$work/features.txt"
grep -q "HR@K" "$work/features.txt" || fail "the feature model was not evaluated"
"$bin" eval --model "$work/features.pkrec" --data "$work/data" --json | contains '"hr@10"' \
  || fail "feature model eval failed"
"$bin" recommend --model "$work/features.pkrec" --history "1,2,3" -k 3 > "$work/feature_rec.txt"
[ "$(wc -l < "$work/feature_rec.txt")" -eq 3 ] || fail "feature model recommend did not print 3 lines"
if "$bin" export --model "$work/features.pkrec" --out "$work/features.tflite" 2> "$work/err.txt"; then
  fail "a feature model was exported"
fi
grep -q "side features" "$work/err.txt" || fail "feature export error unclear: $(cat "$work/err.txt")"
# The reference's input config, unchanged, next to a genre vocabulary.
cp "$(dirname "$0")/../model/testdata/reference_input_config.pbtxt" "$work/"
printf 'UNK\nDrama\nComedy\nAction\nThriller\nRomance\nHorror\nAdventure\nSci-Fi\n' \
  > "$work/movie_genre_vocab.txt"
printf "Children's\nCrime\nWar\nDocumentary\nMusical\nMystery\nAnimation\nFantasy\nWestern\n" \
  >> "$work/movie_genre_vocab.txt"
printf 'Film-Noir\n' >> "$work/movie_genre_vocab.txt"
"$bin" train --data "$work/data" --out "$work/reference_config.pkrec" --epochs 1 --quiet \
  --input-config "$work/reference_input_config.pbtxt" > "$work/reference_config.txt" \
  || fail "training from the reference's input config failed"
grep -q "HR@K" "$work/reference_config.txt" || fail "reference-config model was not evaluated"
# prepare kept users.dat's attributes; an attribute the data lacks is one clear error.
"$bin" train --data "$work/prepared" --out "$work/x.pkrec" --features occupation --epochs 1 \
  --quiet > /dev/null || fail "the prepared dataset lost its user attributes"
if "$bin" train --data "$work/prepared" --out "$work/x.pkrec" --features religion --quiet \
  2> "$work/err.txt"; then fail "a missing user attribute was accepted"; fi
grep -q "no user attribute 'religion'" "$work/err.txt" || fail "unclear: $(cat "$work/err.txt")"

# Export to .tflite: the exported graph recommends what the trained model does.
for encoder in model cnn gru lstm; do
  "$bin" export --model "$work/$encoder.pkrec" --out "$work/$encoder.tflite" --top-k 50 > /dev/null \
    || fail "$encoder export failed"
  "$bin" recommend --model "$work/$encoder.pkrec" --history "1,2,3" -k 5 | awk '{print $2}' \
    > "$work/want.txt"
  "$bin" recommend --model "$work/$encoder.tflite" --history "1,2,3" -k 5 | awk '{print $2}' \
    > "$work/got.txt"
  cmp -s "$work/want.txt" "$work/got.txt" || fail "$encoder .tflite recommends differently"
done
# Fine-tuning: a newer log with items (151-180) the model has never seen; the grown model exports and
# recommends the new items like any other.
"$bin" synth "$work/newer" --users 300 --items 180 --mean-length 25 --seed 7 > /dev/null
if "$bin" train --init "$work/model.pkrec" --data "$work/newer" --out "$work/bad.pkrec" --dim 8 \
  --quiet 2> "$work/err.txt" > /dev/null; then fail "--init accepted a new --dim"; fi
grep -q -- "--dim changes the model's architecture" "$work/err.txt" \
  || fail "unclear --init error: $(cat "$work/err.txt")"
"$bin" train --init "$work/model.pkrec" --data "$work/newer" --out "$work/finetuned.pkrec" --epochs 1 \
  --quiet > "$work/finetuned.txt" 2> "$work/finetuned.err" || fail "train --init failed: $(cat "$work/finetuned.err")"
grep -qE "[0-9]+ items kept, [1-9][0-9]* added" "$work/finetuned.err" \
  || fail "growth not reported: $(cat "$work/finetuned.err")"
"$bin" export --model "$work/finetuned.pkrec" --out "$work/finetuned.tflite" --top-k 180 > /dev/null \
  || fail "grown model export failed"
"$bin" recommend --model "$work/finetuned.tflite" --history "1,2,3" -k 180 > "$work/finetuned_rec.txt"
awk '$2 > 150 {n++} END {exit !(n > 0)}' "$work/finetuned_rec.txt" || fail "no new item recommended"
# Evaluating a full-ranking export gives the trained model's metrics.
"$bin" export --model "$work/gru.pkrec" --out "$work/gru_all.tflite" --top-k 100000 > /dev/null
want=$("$bin" eval --model "$work/gru.pkrec" --data "$work/prepared" --json | grep '"mrr"' | head -1)
got=$("$bin" eval --model "$work/gru_all.tflite" --data "$work/prepared" --json | grep '"mrr"' | head -1)
[ -n "$want" ] && [ "$want" = "$got" ] || fail "eval of the .tflite export differs: $want vs $got"
"$bin" export --model "$work/model.pkrec" --out "$work/app/model.tflite" --io reference \
  --quantize int8 > /dev/null || fail "reference export failed"
[ -s "$work/app/config.json" ] && [ -s "$work/app/sorted_movie_vocab.json" ] \
  || fail "reference export wrote no config.json / sorted_movie_vocab.json"
grep -q '"outputIdsIndex": 0' "$work/app/config.json" || fail "config.json lacks outputIdsIndex"
"$bin" recommend --model "$work/app/model.tflite" --history "1,2,3" -k 3 --json | contains '"title"' \
  || fail "int8 reference export does not recommend"
starter="$(dirname "$0")/../../../shared/reference/tflite"
if [ -f "$starter/model_history10_top100.tflite" ]; then
  "$bin" recommend --model "$starter/recommendation_cnn_i10o100.tflite" --history 260,1196,1210 \
    --catalog "$starter/sorted_movie_vocab.json" -k 3 > "$work/starter.txt"
  [ "$(wc -l < "$work/starter.txt")" -eq 3 ] || fail "starter CNN did not give 3 movies"
  if grep -E '^ *[0-9]+\. +(260|1196|1210) ' "$work/starter.txt"; then fail "starter returned the history"; fi
else
  echo "skipping the starter-model checks: ../shared/reference is absent"
fi

# Sampled softmax (popularity-sampled negatives shared by the batch) trains and evaluates.
"$bin" train --data "$work/prepared" --out "$work/sampled.pkrec" --loss sampled --negatives 32 \
  --epochs 2 --dim 16 --quiet > /dev/null || fail "sampled softmax training failed"
"$bin" eval --model "$work/sampled.pkrec" --data "$work/prepared" --json | contains '"hr@10"' \
  || fail "sampled model eval failed"
if "$bin" train --data "$work/prepared" --out "$work/x.pkrec" --loss sometimes --quiet 2> "$work/err.txt"; then
  fail "unknown loss accepted"
fi
grep -q "unknown loss" "$work/err.txt" || fail "unknown loss error unclear"

# Causal (every-step) training of a recurrent encoder; refused for BOW with a clear error.
"$bin" train --data "$work/prepared" --out "$work/causal.pkrec" --encoder gru --causal -L 20 \
  --epochs 2 --dim 16 --quiet > /dev/null || fail "causal gru training failed"
if "$bin" train --data "$work/prepared" --out "$work/x.pkrec" --causal --quiet 2> "$work/err.txt"; then
  fail "causal bow accepted"
fi
grep -q "recurrent or attention encoder" "$work/err.txt" || fail "causal bow error unclear"

# The self-attention encoder trains causally by default, evaluates, recommends and exports; the
# .tflite ranks as the model does.
"$bin" train --data "$work/prepared" --out "$work/attention.pkrec" --encoder attention -L 12 \
  --embedding-dim 16 --dim 0 --heads 2 --dropout 0.2 --epochs 2 --quiet > /dev/null \
  || fail "attention training failed"
"$bin" eval --model "$work/attention.pkrec" --data "$work/prepared" --json > "$work/att.json" \
  || fail "attention eval failed"
grep -q '"ndcg@10"' "$work/att.json" || fail "attention eval printed no NDCG@10"
"$bin" recommend --model "$work/attention.pkrec" --history "1,2,3" -k 3 > "$work/att_rec.txt" \
  || fail "attention recommend failed"
[ "$(grep -c . "$work/att_rec.txt")" -ge 3 ] || fail "attention recommend printed too little"
"$bin" export --model "$work/attention.pkrec" --out "$work/attention.tflite" > /dev/null \
  || fail "attention export failed"
"$bin" recommend --model "$work/attention.tflite" --history "1,2,3" -k 3 > "$work/att_rec_tfl.txt" \
  || fail "attention .tflite recommend failed"
[ "$(awk '{print $2}' "$work/att_rec.txt")" = "$(awk '{print $2}' "$work/att_rec_tfl.txt")" ] \
  || fail "attention .tflite ranks differently from the model"
if "$bin" train --data "$work/prepared" --out "$work/x.pkrec" --encoder attention --heads 3 \
  --embedding-dim 16 --quiet 2> "$work/err.txt"; then
  fail "heads not dividing the width accepted"
fi
grep -q "heads" "$work/err.txt" || fail "bad --heads error unclear"

# tune: trials as a table, the best model and a JSON report of every trial.
"$bin" tune --data "$work/prepared" --out "$work/tuned.pkrec" --budget 60s --trials 3 --epochs 2 \
  --lr 0.000001 > "$work/tune.txt" 2> /dev/null || fail "tune failed"
[ "$(grep -cE '^ +[0-9]+ ' "$work/tune.txt")" -eq 3 ] || fail "tune did not print 3 trials"
contains '"best"' < "$work/tuned.pkrec.tune.json" || fail "tune report lacks the best trial"
"$bin" eval --model "$work/tuned.pkrec" --data "$work/prepared" > /dev/null \
  || fail "tuned model does not evaluate"
if "$bin" tune --data "$work/prepared" --out "$work/x.pkrec" --budget soon 2> "$work/err.txt"; then
  fail "bad --budget accepted"
fi
contains "30m" < "$work/err.txt" || fail "bad --budget error unclear"

# Resume of a finished run is a no-op that still succeeds.
"$bin" train --data "$work/prepared" --out "$work/model.pkrec" --epochs 3 --dim 16 --quiet --resume \
  > /dev/null

# Bad input: one clear error line, exit code 1, no crash.
printf '1::2::3\n' > "$work/bad.dat"
if "$bin" prepare "$work/bad.dat" --strict 2> "$work/err.txt"; then fail "strict accepted a bad line"; fi
grep -q "bad.dat:1:" "$work/err.txt" || fail "strict error lacks file:line"
if "$bin" prepare /nonexistent 2> "$work/err.txt"; then fail "missing input accepted"; fi
grep -q "error:" "$work/err.txt" || fail "missing input lacks an error line"
head -c 100 "$work/model.pkrec" > "$work/truncated.pkrec"
if "$bin" recommend --model "$work/truncated.pkrec" --history 1 2> "$work/err.txt"; then
  fail "truncated model accepted"
fi
grep -q "error:" "$work/err.txt" || fail "truncated model lacks an error line"
head -c 3000 "$work/model.tflite" > "$work/truncated.tflite"
if "$bin" recommend --model "$work/truncated.tflite" --history 1 2> "$work/err.txt"; then
  fail "truncated .tflite accepted"
fi
grep -q "truncated.tflite" "$work/err.txt" || fail "truncated .tflite error does not name the file"
# bench on real histories of the dataset, with and without the prefilter.
"$bin" bench --model "$work/model.pkrec" --data "$work/prepared" --queries 200 --json \
  > "$work/bench.json"
grep -q '"prefilter": true' "$work/bench.json" || fail "bench does not report the prefilter"
grep -q '"p99_us"' "$work/bench.json" || fail "bench lacks p99"
"$bin" bench --model "$work/model.pkrec" --data "$work/prepared" --queries 200 --json \
  --no-prefilter > "$work/bench_off.json"
grep -q '"prefilter": false' "$work/bench_off.json" || fail "--no-prefilter ignored"
echo "cli end-to-end: ok"
