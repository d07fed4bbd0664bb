#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) into build-fuzz/ and runs each for SECONDS
# (default 60) from the seed corpus in fuzz/corpus/<target>/, printing executions, coverage and
# findings per target. Exit status 1 when any target found a crash, leak, hang or sanitizer error.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(fuzz_tflite fuzz_pkrec fuzz_input_config fuzz_serve fuzz_reader_csv fuzz_reader_ml_dat
           fuzz_reader_ml_latest fuzz_reader_ml_100k fuzz_reader_sequence fuzz_reader_gzip_csv)
fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Fuzz \
  -DCMAKE_CXX_FLAGS_FUZZ="-O1 -g1" -DCMAKE_C_FLAGS_FUZZ="-O1 -g1" -DPOCKETREC_FUZZ=ON \
  -DPOCKETREC_NATIVE=OFF -DPOCKETREC_BUILD_TESTS=OFF -DPOCKETREC_BUILD_BENCH=OFF > /dev/null
cmake --build build-fuzz -j "$(nproc 2>/dev/null || echo 2)" --target "${targets[@]}"

found=0
printf '%-24s %12s %10s %8s %10s  %s\n' target executions exec/s cov corpus result
for target in "${targets[@]}"; do
  work=build-fuzz/corpus/$target
  mkdir -p "$work" build-fuzz/findings
  # New inputs go to the build folder; the repository's seeds are read, never written.
  log=build-fuzz/$target.log
  status=0
  # Log readers find their bugs in a few lines; 4 KB inputs run several times faster than 64 KB.
  max_len=65536
  [[ $target == fuzz_reader_* ]] && max_len=4096
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    "build-fuzz/fuzz/$target" "$work" "fuzz/corpus/$target" -max_total_time="$seconds" \
    -timeout=10 -rss_limit_mb=2048 -max_len=$max_len -print_final_stats=1 \
    -artifact_prefix=build-fuzz/findings/"$target"- > "$log" 2>&1 || status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  corpus=$(find "$work" -type f | wc -l)
  result=ok
  if [ "$status" -ne 0 ]; then
    result="FINDING (see $log, build-fuzz/findings/)"
    found=1
  fi
  printf '%-24s %12s %10s %8s %10s  %s\n' "$target" "$runs" "$rate" "$cov" "$corpus" "$result"
done
exit $found
