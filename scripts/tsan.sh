#!/usr/bin/env bash
# ThreadSanitizer run of the unit tests (trainer thread teams, thread pool, batch recommendation,
# the HTTP service), apart from CI: the README's test command has no time left for a third build.
# Builds into build-tsan/ (about 5 minutes on 2 cores) and runs every test but the LiteRT and
# shared-data ones (about 5 minutes); exit status 1 on any race report.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Tsan \
  -DCMAKE_CXX_FLAGS_TSAN="-O1 -g1 -fsanitize=thread" -DCMAKE_C_FLAGS_TSAN="-O1 -g1 -fsanitize=thread" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" \
  -DPOCKETREC_BUILD_BENCH=OFF -DPOCKETREC_NATIVE=OFF > /dev/null
cmake --build build-tsan -j "$(nproc 2>/dev/null || echo 2)" --target pocketrec_tests
TSAN_OPTIONS="halt_on_error=1 report_signal_unsafe=0" \
  build-tsan/tests/pocketrec_tests --gtest_filter='-Litert*:SharedData*'
