#!/usr/bin/env bash
# The runtime apps embed must stand alone: none of its sources (cmake/runtime_sources.cmake) or
# public headers may include the data, model, training, evaluation, export, serving or CLI code,
# nor the libraries only those need (JSON, Eigen, CLI11, HTTP, curl, OpenSSL, libzip, zlib,
# protobuf). Exit status 1, naming the file and line, when one does.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(grep -o 'src/[A-Za-z0-9_/]*\.cpp' cmake/runtime_sources.cmake)
headers=$(for f in $files; do grep -ho '#include "[^"]*"' "$f"; done | sed 's/#include "\(.*\)"/\1/' | sort -u)
status=0
training_libraries='#include <(nlohmann|Eigen|unsupported/Eigen|CLI|httplib|curl|openssl|zip|zlib|google/protobuf)'
for f in $files include/pocketrec/* $(for h in $headers; do [ -f "src/$h" ] && echo "src/$h"; done); do
  if grep -nE "$training_libraries" "$f"; then
    echo "  ^ $f: runtime code includes a library only training and serving need" >&2
    status=1
  fi
done
for f in $files include/pocketrec/*; do
  if grep -nE '#include "(data|model|nn|train|eval|export|serve|cli)/' "$f"; then
    echo "  ^ $f: runtime code includes a header outside the runtime" >&2
    status=1
  fi
done
for h in $headers; do
  [ -f "src/$h" ] || continue
  if grep -nE '#include "(data|model|nn|train|eval|export|serve|cli)/' "src/$h"; then
    echo "  ^ src/$h (included by the runtime) includes a header outside the runtime" >&2
    status=1
  fi
done
[ $status -eq 0 ] && echo "layers: the runtime's $(echo "$files" | wc -w) sources include only runtime headers"
exit $status
