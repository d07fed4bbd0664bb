#!/usr/bin/env bash
# The C example built with pkg-config instead of CMake:
#   PKG_CONFIG_PATH=<prefix>/lib/pkgconfig examples/pkgconfig/build.sh OUT_BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cc -std=c99 -Wall -o "${1:-recommend_pkgconfig}" "$here/../c/main.c" \
  $(pkg-config --cflags --libs pocketrec_runtime)
