#!/usr/bin/env bash
# Sets up, builds and runs every test: the Release build, the runtime-only build installed and
# used by the examples, then an ASan/UBSan build of the tests, then a short run of every libFuzzer
# target (scripts/fuzz.sh; long runs are separate).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh release
(cd build && ctest --output-on-failure -j 2)
./scripts/test_install.sh
./scripts/build.sh asan
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j 2)
./scripts/fuzz.sh "${POCKETREC_FUZZ_SECONDS:-5}"
