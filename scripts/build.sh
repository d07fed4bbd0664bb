#!/usr/bin/env bash
# Configures and builds one variant: release (default) into build/, or asan into build-asan/.
set -euo pipefail
cd "$(dirname "$0")/.."
variant=${1:-release}
jobs=$(nproc 2>/dev/null || echo 2)
case "$variant" in
  release) cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPOCKETREC_NATIVE=ON > /dev/null
           cmake --build build -j "$jobs" ;;
  asan)    cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Sanitize -DCMAKE_CXX_FLAGS_SANITIZE="-O1 -g1" \
             -DPOCKETREC_SANITIZE=ON -DPOCKETREC_BUILD_BENCH=OFF -DPOCKETREC_NATIVE=OFF > /dev/null
           cmake --build build-asan -j "$jobs" ;;
  *) echo "usage: scripts/build.sh [release|asan]" >&2; exit 2 ;;
esac
