#!/usr/bin/env bash
# Training across two MPI ranks on loopback gives, byte for byte, the model of one process with
# the same total number of slices (ranks x threads), for every kind of gradient: dense (BOW,
# attention with dropout), sparse rows (sampled softmax), clipped (the reference's Adagrad); and
# a run resumed across ranks equals one that never stopped. The same holds with each rank reading
# only its shards of a prepared dataset (--shard-batches).
set -euo pipefail
bin=${POCKETREC:?set POCKETREC to the pocketrec binary}
work=${1:-$(mktemp -d)}
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
if ! command -v mpirun > /dev/null; then echo "SKIP: no mpirun (scripts/setup.sh installs OpenMPI)"; exit 0; fi
if ! "$bin" --version | grep -q "MPI ranks"; then echo "SKIP: pocketrec was built without MPI"; exit 0; fi
# Root in CI containers; more ranks than cores is fine for a test.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
two_ranks() { mpirun -np 2 "$bin" "$@"; }

"$bin" synth "$work/data" --users 300 --items 150 --mean-length 25 > /dev/null
check() {  # name, threads per rank, then train options
  local name=$1 threads=$2; shift 2
  local data=$work/data
  if [ "${1:-}" = --shard-batches ]; then data=$work/shards; fi
  two_ranks train --data "$data" --out "$work/$name.2.pkrec" --threads "$threads" --quiet "$@" \
    > "$work/$name.2.txt" 2> "$work/$name.2.err" || fail "$name on 2 ranks: $(cat "$work/$name.2.err")"
  "$bin" train --data "$data" --out "$work/$name.1.pkrec" --threads $((2 * threads)) --quiet "$@" \
    > /dev/null 2>&1 || fail "$name in one process"
  cmp -s "$work/$name.1.pkrec" "$work/$name.2.pkrec" || fail "$name: 2 ranks x $threads threads differ from 1 x $((2 * threads))"
  grep -q "across 2 ranks" "$work/$name.2.txt" || fail "$name: no transport figures"
  echo "ok: $name, 2 ranks x $threads threads = 1 process x $((2 * threads)) threads"
}
check bow 1 --epochs 3 --dim 16
check attention 1 --encoder attention -L 20 --epochs 2
check sampled 2 --encoder gru --loss sampled --negatives 32 --epochs 2
check reference 1 --preset reference --epochs 2

# Each rank reads only its 2 of the 4 shards: half of the 300 users each.
"$bin" prepare "$work/data" --out "$work/shards" --shards 4 > /dev/null 2>&1
check shards-bow 1 --shard-batches --epochs 3 --dim 16
check shards-attention 2 --shard-batches --encoder attention -L 20 --epochs 2
check shards-sampled 1 --shard-batches --encoder gru --loss sampled --negatives 32 --epochs 2
users=$(grep -o "prepared: [0-9]* users" "$work/shards-bow.2.err" | awk '{print $2}' | sort -n)
[ "$(echo "$users" | wc -l)" -eq 2 ] || fail "expected two ranks' reads: $users"
[ "$(echo "$users" | awk '{s += $1} END {print s}')" -eq 300 ] || fail "the ranks' users do not add up: $users"
[ "$(echo "$users" | tail -1)" -lt 300 ] || fail "a rank read every user"
if mpirun -np 3 "$bin" train --data "$work/shards" --shard-batches --out "$work/x.pkrec" --quiet \
  > /dev/null 2> "$work/three.err"; then
  fail "3 ranks on 4 shards ran"
fi
grep -q "do not split evenly" "$work/three.err" || fail "no clear error: $(cat "$work/three.err")"

# Resume across ranks: one epoch, then a second from the checkpoint, equals two straight.
two_ranks train --data "$work/data" --out "$work/resumed.pkrec" --threads 1 --epochs 1 --dim 16 \
  --patience 100 --quiet > /dev/null 2>&1
two_ranks train --data "$work/data" --out "$work/resumed.pkrec" --threads 1 --epochs 2 --dim 16 \
  --patience 100 --quiet --resume > /dev/null 2> "$work/resume.err"
grep -q "resuming" "$work/resume.err" || fail "the second run did not resume: $(cat "$work/resume.err")"
"$bin" train --data "$work/data" --out "$work/straight.pkrec" --threads 2 --epochs 2 --dim 16 \
  --patience 100 --quiet > /dev/null 2>&1
cmp -s "$work/resumed.pkrec" "$work/straight.pkrec" || fail "a run resumed across ranks differs"
echo "ok: resumed across ranks = straight"
sharded=(--data "$work/shards" --shard-batches --dim 16 --patience 100 --quiet)
two_ranks train "${sharded[@]}" --out "$work/sresumed.pkrec" --epochs 1 --threads 1 > /dev/null 2>&1
two_ranks train "${sharded[@]}" --out "$work/sresumed.pkrec" --epochs 2 --threads 1 --resume \
  > /dev/null 2>&1
"$bin" train "${sharded[@]}" --out "$work/sstraight.pkrec" --epochs 2 --threads 2 > /dev/null 2>&1
cmp -s "$work/sresumed.pkrec" "$work/sstraight.pkrec" || fail "a sharded run resumed across ranks differs"
echo "ok: sharded, resumed across ranks = straight"

# A rank that fails ends the job instead of leaving the others waiting.
status=0
timeout 120 mpirun -np 2 "$bin" train --data "$work/missing" --out "$work/x.pkrec" --quiet \
  > /dev/null 2> "$work/missing.err" || status=$?
[ "$status" -ne 0 ] || fail "training on a missing log succeeded"
[ "$status" -ne 124 ] || fail "a failed rank left the job hanging"
grep -q "error:" "$work/missing.err" || fail "no error message: $(cat "$work/missing.err")"

# Commands other than train refuse to run across ranks.
if two_ranks eval --model "$work/bow.2.pkrec" --data "$work/data" > /dev/null 2> "$work/eval.err"; then
  fail "eval ran across ranks"
fi
rm -rf "$work"
