#!/usr/bin/env bash
# Compile-checks the runtime's sources for 64-bit ARM (NEON, and SVE, whose sizeless vector types
# reject some constructs x86 accepts) with clang's -fsyntax-only, on this x86 machine's headers.
# No ARM sysroot is installed here, so a shim gives glibc's headers a 64-bit word size. Not part
# of the tests: it checks that the code compiles, not that it runs. Needs clang and a configured
# build/ (for the generated FlatBuffers header).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang++ >/dev/null || { echo "clang++ not found: skipping the ARM syntax check"; exit 0; }
[ -f build/generated/tflite_generated.h ] || { echo "configure build/ first (scripts/build.sh)"; exit 1; }
shim=$(mktemp -d)
trap 'rm -rf "$shim"' EXIT
mkdir -p "$shim/gnu" "$shim/bits"
touch "$shim/gnu/stubs-32.h"
printf '#define __WORDSIZE 64\n#define __WORDSIZE_TIME64_COMPAT32 1\n#define __SYSCALL_WORDSIZE 64\n' \
  > "$shim/bits/wordsize.h"
files=$(sed -n '/add_library(pocketrec_runtime_objects OBJECT/,/)/p' CMakeLists.txt |
        grep -o 'src/[A-Za-z_/0-9]*\.cpp')
failed=0
for arch in armv8.2-a+sve armv8-a; do
  for f in $files; do
    if ! clang++ --target=aarch64-linux-gnu -march="$arch" -std=c++20 -fsyntax-only \
        -isystem "$shim" -isystem /usr/include/c++/12 -isystem /usr/include/x86_64-linux-gnu/c++/12 \
        -isystem /usr/include/x86_64-linux-gnu -isystem /usr/include \
        -Isrc -Iinclude -Ibuild/generated "$f" 2> "$shim/err"; then
      echo "$arch: $f"; head -3 "$shim/err"; failed=1
    fi
  done
done
[ "$failed" = 0 ] && echo "ARM (SVE, NEON): $(echo "$files" | wc -w) runtime sources compile"
exit "$failed"
