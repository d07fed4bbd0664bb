#!/usr/bin/env bash
# What an app developer does: configure the runtime alone (-DPOCKETREC_RUNTIME_ONLY=ON: a C++
# compiler, FlatBuffers and Highway), install it into a prefix, then build the examples against
# the installed package (CMake find_package for C and C++, pkg-config for C) and run them on a
# model committed in the repository. All three must give the same top 10.
#   scripts/test_install.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(realpath -m "${1:-build-install}")
prefix=$work/prefix
model=fuzz/corpus/fuzz_tflite/bow.tflite
fail() { echo "FAIL: $*" >&2; exit 1; }
# Every package the full build finds is switched off, so the runtime-only configuration must
# succeed with the compiler, FlatBuffers and Highway alone, as on a clean machine.
disabled=()
for package in ZLIB nlohmann_json CLI11 Eigen3 CURL OpenSSL PkgConfig Protobuf GTest benchmark \
               MPI; do
  disabled+=("-DCMAKE_DISABLE_FIND_PACKAGE_$package=ON")
done
cmake -S . -B "$work/runtime" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPOCKETREC_RUNTIME_ONLY=ON \
  "${disabled[@]}" -DCMAKE_INSTALL_PREFIX="$prefix" > "$work.log" 2>&1 ||
  fail "configure: $(tail -5 "$work.log")"
cmake --build "$work/runtime" -j "$(nproc 2>/dev/null || echo 2)" >> "$work.log" 2>&1 ||
  fail "build: $(tail -5 "$work.log")"
rm -rf "$prefix"
cmake --install "$work/runtime" >> "$work.log" 2>&1 || fail "install: $(tail -5 "$work.log")"
for f in lib/libpocketrec_runtime.a lib/libpocketrec_runtime.so.0 include/pocketrec/pocketrec.h \
         include/pocketrec/error.hpp \
         lib/cmake/pocketrec/pocketrecConfig.cmake lib/pkgconfig/pocketrec_runtime.pc; do
  [ -e "$prefix/$f" ] || fail "the install lacks $f"
done
for example in c cpp; do
  cmake -S "examples/$example" -B "$work/example-$example" -G Ninja \
    -DCMAKE_PREFIX_PATH="$prefix" >> "$work.log" 2>&1 &&
    cmake --build "$work/example-$example" >> "$work.log" 2>&1 ||
    fail "examples/$example: $(tail -5 "$work.log")"
done
PKG_CONFIG_PATH=$prefix/lib/pkgconfig examples/pkgconfig/build.sh "$work/recommend_pkgconfig" \
  >> "$work.log" 2>&1 || fail "pkg-config example: $(tail -5 "$work.log")"
export LD_LIBRARY_PATH=$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
"$work/example-c/recommend_c" "$model" 1 2 > "$work/c.txt"
"$work/example-cpp/recommend_cpp" "$model" 1 2 | cut -d' ' -f1,2 > "$work/cpp.txt"
"$work/recommend_pkgconfig" "$model" 1 2 > "$work/pkgconfig.txt"
[ "$(wc -l < "$work/c.txt")" -eq 10 ] || fail "the C example gave $(wc -l < "$work/c.txt") lines"
# The committed model's best answer for the history 1, 2 (its catalog titles it 'The Endless Signal').
[ "$(head -1 "$work/c.txt")" = "4 0.8298" ] || fail "unexpected top result: $(head -1 "$work/c.txt")"
cmp -s "$work/c.txt" "$work/cpp.txt" || fail "C and C++ examples differ"
cmp -s "$work/c.txt" "$work/pkgconfig.txt" || fail "CMake and pkg-config builds differ"
echo "install: runtime-only build installed; C, C++ and pkg-config examples agree"
